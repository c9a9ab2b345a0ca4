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
from ctg_core.overview.queries import TerritoryRow

__all__ = ["funding_table", "history_table", "overview_table", "plan_table", "values_table"]

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
    Column("officer", "Chargé de coopération", Kind.text, 24),
    Column("year", "Année", Kind.integer, 8),
    Column("fte", "ETP", Kind.number, 8),
    Column("eligible_cost", "Coût éligible", Kind.money, 14),
    Column("rate", "Taux Caf", Kind.percent, 10),
    Column("ceiling_per_fte", "Plafond par ETP", Kind.money, 14),
    Column("entitlement", "Droit", Kind.money, 14),
    Column("renewal_label", "Renouvellement", Kind.text, 16),
    Column("renewal_due_on", "À signer avant", Kind.date, 12),
    Column("renewal_received_on", "Demande reçue le", Kind.date, 12),
    Column("renewal_signed_on", "Signé le", Kind.date, 12),
    Column("advance_amount", "Acompte", Kind.money, 14),
    Column("advance_paid_on", "Acompte versé le", Kind.date, 12),
    Column("balance_amount", "Solde", Kind.money, 14),
    Column("balance_paid_on", "Solde versé le", Kind.date, 12),
    Column("alert", "Alerte", Kind.text, 18),
)


def funding_table(lines: pd.DataFrame) -> Table:
    """The year's funding lines (`funding.queries.funding_lines`)."""
    frame = lines.assign(
        rate=lines["rate"] * 100,
        alert=lines["advance_blocked"].map({True: "Acompte bloqué", False: ""}),
    )
    return Table("Financement des postes", FUNDING_COLUMNS, frame)


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
