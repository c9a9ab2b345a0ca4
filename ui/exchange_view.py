"""Spreadsheets on the pages: the import of a plan d'actions or of indicator values (template,
upload, preview line by line, confirmation), and the downloads of the plan and of the
history of a convention."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ctg_core.common import db, formats, history
from ctg_core.common.auth import CurrentUser
from ctg_core.common.db import Session
from ctg_core.common.errors import CtgError
from ctg_core.common.labels import field_label
from ctg_core.exchange import commands as exchange_commands
from ctg_core.exchange import exports, indicator_sheet, plan_sheet, readers, writers
from ctg_core.exchange import queries as exchange_queries
from ctg_core.exchange.report import ImportReport, Operation
from ctg_core.plan.queries import AxisRef, ConventionHeader
from ui import confirm
from ui.downloads import download_buttons, file_stem
from ui.feedback import show_error
from ui.plain_text import md

# The widget refuses larger files itself (in English); up to this size the core refuses them
# in French (`readers.MAX_FILE_BYTES`).
UPLOAD_LIMIT_MB = 60


# --- downloads ----------------------------------------------------------------------------------


def plan_downloads(header: ConventionHeader, shown: pd.DataFrame) -> None:
    """The plan as filtered on screen, in the columns of the import template."""
    download_buttons(
        exports.plan_table(shown),
        f"plan-actions-{header.territory_name}",
        label="Plan affiché",
        help="Les fiches affichées (filtres appliqués), dans les colonnes du modèle d'import : "
        "le fichier peut être complété puis réimporté.",
        key=f"plan-download-{header.id}",
    )


def history_downloads(header: ConventionHeader, user: CurrentUser) -> None:
    """The convention's whole history (itself, its fiches, values, committees, imports),
    read only when a button is clicked."""

    def history_table() -> writers.Table:
        with db.session() as session:
            changes = exchange_queries.convention_history(session, user, header.id)
        return exports.history_table(changes)

    download_buttons(
        history_table,
        f"historique-{header.territory_name}",
        label="Historique complet",
        help="Toutes les modifications de la convention : elle-même, ses fiches, ses valeurs "
        "d'indicateurs, ses comités et ses imports.",
        key=f"history-download-{header.id}",
    )


def indicator_downloads(convention_id: int, territory: str, user: CurrentUser) -> None:
    """Every value of the convention's indicators, read only when a button is clicked."""

    def values() -> writers.Table:
        with db.session() as session:
            return exports.values_table(
                exchange_queries.indicator_values(session, user, convention_id)
            )

    download_buttons(
        values,
        f"indicateurs-{territory}",
        label="Valeurs des indicateurs",
        key=f"values-download-{convention_id}",
    )


# --- imports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportKind:
    key: str
    title: str
    explanation: str
    template_xlsx: Callable[[], bytes] | None
    template_csv: Callable[[], bytes] | None
    preview: Callable[[Session, str, bytes], ImportReport]
    write: Callable[[Session, str, bytes, str], ImportReport]
    done: Callable[[ImportReport], str]


def plan_import(convention_id: int, territory: str, axes: list[AxisRef], user: CurrentUser) -> None:
    """« Importer un plan d'actions » on the Convention page (for those who edit the plan)."""
    labels = [a.label for a in axes]
    _import_section(
        ImportKind(
            key=f"plan-import-{convention_id}",
            title="Importer un plan d'actions (Excel ou CSV)",
            explanation=(
                "Une ligne par fiche : un **code** nouveau crée la fiche, un code connu la met "
                "à jour, une ligne identique ne change rien. L'**axe** se donne par son code "
                "(PE) ou son libellé, le **pilote** en texte libre. Les colonnes absentes ne "
                "changent pas ; une cellule vide vide le champ (sauf statut et avancement). "
                "**Tout ou rien** : une seule ligne refusée, et rien n'est importé. Séparateur "
                "point-virgule, virgule décimale, dates JJ/MM/AAAA et « 50 % » sont compris."
            ),
            template_xlsx=lambda: plan_sheet.template_xlsx(labels),
            template_csv=lambda: plan_sheet.template_csv(labels),
            preview=lambda session, name, content: plan_sheet.preview_plan(
                session, user, convention_id, name, content
            ),
            write=lambda session, name, content, seen: exchange_commands.import_plan(
                session, user, convention_id, {"file_name": name, "content": content}, seen=seen
            ),
            done=lambda report: (
                f"Import terminé : {report.count(Operation.create)} fiche(s) créée(s), "
                f"{report.count(Operation.update)} modifiée(s)."
            ),
        ),
        axes={a.id: a.label for a in axes},
        file_name=f"modele-plan-actions-{file_stem(territory)}",
    )


def indicator_import(convention_id: int, user: CurrentUser) -> None:
    """« Importer des valeurs » on the Indicateurs page: the file is the export's format."""
    _import_section(
        ImportKind(
            key=f"values-import-{convention_id}",
            title="Importer des valeurs mesurées (Excel ou CSV)",
            explanation=(
                "Une ligne par valeur : **Indicateur** (son nom exact), **Année**, **Valeur**, "
                "et si besoin Date de mesure et Source, comme dans le fichier « Valeurs des "
                "indicateurs » téléchargé ci-dessus. Une année déjà mesurée avec la même valeur "
                "est laissée telle quelle ; une valeur différente se corrige sur cette page. "
                "**Tout ou rien.**"
            ),
            template_xlsx=None,
            template_csv=None,
            preview=lambda session, name, content: indicator_sheet.preview_values(
                session, user, convention_id, name, content
            ),
            write=lambda session, name, content, seen: exchange_commands.import_indicator_values(
                session, user, convention_id, {"file_name": name, "content": content}, seen=seen
            ),
            done=lambda report: (
                f"Import terminé : {report.count(Operation.create)} valeur(s) ajoutée(s)."
            ),
        ),
        axes={},
        file_name="",
    )


def _import_section(kind: ImportKind, *, axes: dict[int, str], file_name: str) -> None:
    generation_key = f"{kind.key}-generation"
    generation = st.session_state.setdefault(generation_key, 0)
    with st.expander(kind.title, icon=":material/upload_file:"):
        st.markdown(kind.explanation)
        if kind.template_xlsx is not None and kind.template_csv is not None:
            with st.container(horizontal=True, key=f"{kind.key}-templates"):
                st.download_button(
                    "Modèle à remplir (Excel)",
                    data=kind.template_xlsx,
                    file_name=f"{file_name}.xlsx",
                    mime=writers.XLSX_MIME,
                    on_click="ignore",
                    icon=":material/table_view:",
                    help="Titres de colonnes, une ligne d'exemple, listes des axes et statuts.",
                    key=f"{kind.key}-template-xlsx",
                )
                st.download_button(
                    "Modèle CSV",
                    data=kind.template_csv,
                    file_name=f"{file_name}.csv",
                    mime=writers.CSV_MIME,
                    on_click="ignore",
                    icon=":material/description:",
                    key=f"{kind.key}-template-csv",
                )
        upload = st.file_uploader(
            "Fichier à importer (.xlsx ou .csv)",
            key=f"{kind.key}-file-{generation}",
            max_upload_size=UPLOAD_LIMIT_MB,
            help=f"Classeur Excel (.xlsx) ou CSV, {formats.number(readers.MAX_FILE_BYTES / 2**20)} "
            "Mo au plus. Rien n'est enregistré avant votre confirmation.",
        )
        if upload is None:
            return
        name, content = upload.name, upload.getvalue()
        try:
            with db.session() as session:
                report = kind.preview(session, name, content)
        except CtgError as error:
            show_error(error)
            return
        show_report(report, axes)
        if not report.ok or not report.writes:
            return
        confirm_key = f"{kind.key}-confirm"
        st.button(
            f"Importer ({_counts(report)})…",
            type="primary",
            icon=":material/upload:",
            on_click=confirm.ask,
            args=(confirm_key,),
            key=f"{kind.key}-ask",
        )

    def finished(result: ImportReport) -> str:
        st.session_state[generation_key] = generation + 1  # an empty uploader next time
        return kind.done(result)

    confirm.confirmation(
        confirm_key,
        title="Confirmer l'import",
        question=(
            f"Importer « {md(name)} » : **{_counts(report)}** ? Chaque fiche garde son "
            "historique ; l'import est inscrit à l'historique de la convention."
        ),
        confirm_label="Importer",
        icon=":material/upload:",
        write=lambda session: kind.write(session, name, content, report.fingerprint),
        done=finished,
    )


def _counts(report: ImportReport) -> str:
    parts = []
    for operation, word in ((Operation.create, "création"), (Operation.update, "modification")):
        count = report.count(operation)
        if count:
            parts.append(f"{formats.number(count)} {word}{'s' if count > 1 else ''}")
    return ", ".join(parts) or "aucun changement"


def show_report(report: ImportReport, axes: dict[int, str]) -> None:
    """The preview: counts, warnings, then the refused lines or what each line will do."""
    sheet = f" (feuille « {md(report.sheet)} »)" if report.sheet else ""
    lines = len(report.rows) + len({p.line for p in report.problems})
    unchanged = report.count(Operation.unchanged)
    st.markdown(
        f"**Aperçu de « {md(report.file_name)} »**{sheet} : {formats.number(lines)} ligne(s) "
        f"lue(s) — {_counts(report)}"
        + (f", {formats.number(unchanged)} inchangée(s)" if unchanged else "")
        + "."
    )
    for warning in report.warnings:
        st.warning(md(warning), icon=":material/info:")
    if report.problems:
        count = len(report.problems)
        st.error(
            f"{formats.number(count)} problème{'s' if count > 1 else ''} dans le fichier : "
            "**rien ne sera importé** tant qu'il n'est pas corrigé. Corrigez le fichier puis "
            "déposez-le de nouveau.",
            icon=":material/error:",
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "Ligne": [p.line for p in report.problems],
                    "Colonne": [p.column for p in report.problems],
                    "Problème": [p.message for p in report.problems],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Ligne": st.column_config.NumberColumn(width="small"),
                "Problème": st.column_config.TextColumn(width="large"),
            },
            key=f"problems-{report.fingerprint}",
        )
        return
    if not report.writes:
        st.success("Le fichier ne change rien : tout est déjà à jour.", icon=":material/check:")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Ligne": row.line,
                    "Fiche": row.key,
                    "Opération": row.operation.label,
                    "Détail": _detail(row.operation, row.changes, axes),
                }
                for row in report.rows
                if row.operation is not Operation.unchanged
            ]
        ),
        hide_index=True,
        width="stretch",
        key=f"planned-{report.fingerprint}",
    )


def _detail(operation: Operation, changes: dict[str, list[object]], axes: dict[int, str]) -> str:
    if operation is Operation.create:
        if "title" in changes:
            return str(changes["title"][1])
        return " ; ".join(
            f"{field_label(name)} : {history.readable_value(name, new)}"
            for name, (_, new) in changes.items()
            if new not in (None, "")
        )
    return " ; ".join(
        history.change_text(name, old, new, axes) for name, (old, new) in changes.items()
    )
