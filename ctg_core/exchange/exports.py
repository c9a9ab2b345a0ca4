"""The tables the pages offer for download, as `writers.Table`s: the rows the page shows
(its filters applied), French headers, each column's kind (dates, euros, percentages).

The plan d'actions and the indicator values are written in the columns their import reads
(`plan_sheet.plan_table`, `indicator_sheet.values_table`): a download re-imported changes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ctg_core.common.models import TerritoryKind
from ctg_core.exchange.indicator_sheet import values_table
from ctg_core.exchange.plan_sheet import plan_table
from ctg_core.exchange.writers import Column, Kind, Table
from ctg_core.funding.queries import FundingLine
from ctg_core.overview.queries import TerritoryRow
from ctg_core.people.queries import ViewerLine

__all__ = [
    "caf_view_table",
    "funding_table",
    "history_table",
    "history_viewer_table",
    "overview_table",
    "plan_table",
    "values_table",
]

OVERVIEW_COLUMNS = (
    Column("name", "Territoire", Kind.text, 32),
    Column("kind", "Type", Kind.text, 10),
    Column("code", "Code SIREN / INSEE", Kind.text, 12),
    Column("population", "Population", Kind.integer, 12),
    Column("phase", "Phase", Kind.text, 20),
    Column("convention", "Convention", Kind.text, 36),
    Column("signed_on", "Signée le", Kind.date, 12),
    Column("starts_on", "Début", Kind.date, 12),
    Column("ends_on", "Fin", Kind.date, 12),
    Column("advisor", "Conseiller Caf", Kind.text, 24),
    Column("officer", "Chargé de coopération", Kind.text, 24),
    Column("actions", "Actions", Kind.integer, 10),
    Column("done", "Réalisées", Kind.integer, 10),
    Column("done_ratio", "Part réalisée", Kind.percent, 12),
    Column("late", "En retard", Kind.integer, 10),
    Column("renewal", "Poste : renouvellement", Kind.text, 16),
)


def overview_table(rows: Sequence[TerritoryRow]) -> Table:
    """The overview's territories (its filters applied)."""
    frame = pd.DataFrame(
        [
            {
                "name": r.name,
                "kind": "EPCI" if r.kind is TerritoryKind.epci else "Commune",
                "code": r.code,
                "population": r.population,
                "phase": r.phase_label,
                "convention": r.convention_title,
                "signed_on": r.signed_on,
                "starts_on": r.starts_on,
                "ends_on": r.ends_on,
                "advisor": r.advisor_name,
                "officer": r.officer_name,
                "actions": r.actions if r.convention_id else None,
                "done": r.actions_done if r.convention_id else None,
                "done_ratio": None if r.done_ratio is None else round(100 * r.done_ratio),
                "late": r.actions_late if r.convention_id else None,
                "renewal": (
                    ("En attente" if r.renewals_pending else "À jour") if r.convention_id else ""
                ),
            }
            for r in rows
        ],
        columns=[c.key for c in OVERVIEW_COLUMNS],
    )
    return Table("Vue d'ensemble", OVERVIEW_COLUMNS, frame)


FUNDING_COLUMNS = (
    Column("territory", "Territoire", Kind.text, 32),
    Column("holders", "Titulaire(s)", Kind.text, 28),
    Column("year", "Année", Kind.integer, 8),
    Column("fte", "ETP", Kind.number, 8),
    Column("months", "Mois", Kind.integer, 6),
    Column("eligible_cost", "Coût éligible", Kind.money, 14),
    Column("rate", "Taux Caf", Kind.percent, 10),
    Column("ceiling_per_fte", "Plafond par ETP", Kind.money, 14),
    Column("entitlement", "Droit", Kind.money, 14),
    Column("stage", "Étape", Kind.text, 22),
    Column("renewal_due_on", "À signer avant", Kind.date, 12),
    Column("renewal_received_on", "Demande reçue le", Kind.date, 12),
    Column("renewal_signed_on", "Signé le", Kind.date, 12),
    Column("advance_amount", "Acompte", Kind.money, 14),
    Column("advance_paid_on", "Acompte versé le", Kind.date, 12),
    Column("actual_cost", "Coût réel justifié", Kind.money, 14),
    Column("final_entitlement", "Droit définitif", Kind.money, 14),
    Column("balance_amount", "Solde (négatif : à récupérer)", Kind.money, 16),
    Column("balance_paid_on", "Solde réglé le", Kind.date, 12),
    Column("alerts", "Alertes", Kind.text, 24),
    Column("missing", "Ce qui manque", Kind.text, 40),
)


def funding_table(lines: Sequence[FundingLine]) -> Table:
    """Funding lines as the Financement page lists them (`funding.queries.funding_lines`)."""
    rows = [
        {
            **{c.key: getattr(line, c.key, None) for c in FUNDING_COLUMNS},
            "rate": float(line.rate) * 100 if line.rate is not None else None,
            "stage": line.stage.label,
            "alerts": " ; ".join(a.label for a in line.alerts),
            "missing": " ; ".join(line.missing),
        }
        for line in lines
    ]
    frame = pd.DataFrame(rows, columns=[c.key for c in FUNDING_COLUMNS])
    return Table("Financement des postes", FUNDING_COLUMNS, frame)


CAF_VIEW_COLUMNS = (
    Column("year", "Année", Kind.integer, 8),
    Column("epci", "EPCI", Kind.text, 40),
    Column("lines", "Postes", Kind.integer, 8),
    Column("entitlements", "Droits", Kind.money, 16),
    Column("advances_paid", "Acomptes versés", Kind.money, 16),
    Column("balances_settled", "Soldes réglés (net)", Kind.money, 16),
    Column("balances_due", "Soldes à verser", Kind.money, 16),
    Column("to_recover", "Sommes à récupérer", Kind.money, 16),
)


def caf_view_table(view: pd.DataFrame) -> Table:
    """The Caf-wide view by year and EPCI (`funding.queries.caf_view`)."""
    return Table("Vue Caf du financement des postes", CAF_VIEW_COLUMNS, view)


HISTORY_COLUMNS = (
    Column("at", "Date", Kind.moment, 17),
    Column("user_name", "Par", Kind.text, 24),
    Column("record", "Objet", Kind.text, 24),
    Column("operation", "Opération", Kind.text, 18),
    Column("meeting", "Réunion", Kind.text, 20),
    Column("changes", "Modifications", Kind.text, 80),
)


def history_table(history: pd.DataFrame) -> Table:
    """A convention's history (`exchange.queries.convention_history`)."""
    return Table("Historique", HISTORY_COLUMNS, history)


HISTORY_VIEWER_COLUMNS = (
    Column("at", "Date", Kind.moment, 17),
    Column("user_name", "Par", Kind.text, 24),
    Column("operation", "Opération", Kind.text, 18),
    Column("subject", "Objet", Kind.text, 40),
    Column("convention", "Convention", Kind.text, 32),
    Column("meeting", "Réunion", Kind.text, 22),
    Column("changes", "Modifications", Kind.text, 80),
)


def history_viewer_table(lines: Sequence[ViewerLine]) -> Table:
    """The history viewer's lines, its filters applied (`people.queries.history_log`)."""
    frame = pd.DataFrame(
        [
            {
                "at": item.line.at,
                "user_name": item.line.user_name,
                "operation": item.line.operation_label,
                "subject": item.subject,
                "convention": item.convention,
                "meeting": item.line.meeting,
                "changes": item.changes,
            }
            for item in lines
        ],
        columns=[c.key for c in HISTORY_VIEWER_COLUMNS],
    )
    return Table("Historique", HISTORY_VIEWER_COLUMNS, frame)
