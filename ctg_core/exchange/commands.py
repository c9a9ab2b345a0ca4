"""Verbs of the exchange: importing a plan d'actions, importing indicator values.

Each import is one `@command`, so all or nothing: the file is read and every line checked
inside the transaction (the same preview the page showed), and it writes only when no line
is refused. The fiches are written by the plan's own writers (`insert_action`,
`apply_action_change`: their history entries, one per fiche created or changed), the values
by `record_indicator_value`; the import itself is then recorded once in the convention's
history (operation ``import``: who, when, which file, how many lines created and changed).
A file that changes nothing writes nothing, not even that entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.command import command
from ctg_core.common.errors import CtgError, NotFound
from ctg_core.common.history import log_change
from ctg_core.common.models import Action, Axis
from ctg_core.common.validation import FileName, Input, validated
from ctg_core.exchange import indicator_sheet, plan_sheet
from ctg_core.exchange.report import ImportReport, Operation
from ctg_core.indicators.commands import record_indicator_value
from ctg_core.plan.commands import ActionData, apply_action_change, insert_action

SHOWN_PROBLEMS = 5


class SpreadsheetFile(Input):
    """An uploaded file: its name (which says its format) and its bytes."""

    file_name: FileName
    content: bytes


class ImportRefused(CtgError):
    """At least one line is refused: nothing was written. `report` names every line."""

    def __init__(self, report: ImportReport) -> None:
        count = len(report.problems)
        lines = " ; ".join(
            f"ligne {p.line}, colonne « {p.column} » : {p.message}"
            for p in report.problems[:SHOWN_PROBLEMS]
        )
        more = f" ; et {count - SHOWN_PROBLEMS} autre(s)" if count > SHOWN_PROBLEMS else ""
        super().__init__(
            f"Import refusé, rien n'a été enregistré : {count} problème(s) dans le fichier "
            f"« {report.file_name} » — {lines}{more}."
        )
        self.report = report


class ChangedSincePreview(CtgError):
    def __init__(self) -> None:
        super().__init__(
            "Le plan a changé depuis l'aperçu (quelqu'un l'a modifié entre-temps) : rien n'a "
            "été importé. Relisez le nouvel aperçu puis confirmez de nouveau."
        )


@command
def import_plan(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    file: SpreadsheetFile | Mapping[str, Any],
    *,
    seen: str | None = None,
) -> ImportReport:
    """Import a plan d'actions into the convention, all or nothing. `seen` is the
    fingerprint of the preview the user confirmed: the import is refused if it would now
    write something else."""
    editable_convention(session, user, convention_id, "importer un plan d'actions ici")
    file = validated(SpreadsheetFile, file)
    report = plan_sheet.preview_plan(session, user, convention_id, file.file_name, file.content)
    _check(report, seen)
    # Held for the loop: each fiche's axis check then finds its axis in the session.
    axes = session.exec(select(Axis)).all()
    # The writers flush each fiche themselves; their checks need not flush the history first.
    with session.no_autoflush:
        for row in report.rows:
            if row.operation is Operation.create:
                data = ActionData.model_validate(row.values)
                insert_action(session, user, convention_id, data)
            elif row.operation is Operation.update:
                action = session.get(Action, row.record_id)
                if action is None:
                    raise NotFound("action", row.record_id)
                apply_action_change(session, user, action, row.seen_version or 0, row.values)
    _log_import(session, user, convention_id, report, "actions")
    del axes
    return report


@command
def import_indicator_values(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    file: SpreadsheetFile | Mapping[str, Any],
    *,
    seen: str | None = None,
) -> ImportReport:
    """Import measured values of the convention's indicators, all or nothing; a value
    already recorded for that year is refused unless the file gives the same one."""
    editable_convention(session, user, convention_id, "importer des valeurs d'indicateurs ici")
    file = validated(SpreadsheetFile, file)
    report = indicator_sheet.preview_values(
        session, user, convention_id, file.file_name, file.content
    )
    _check(report, seen)
    for row in report.rows:
        if row.operation is Operation.create:
            assert row.record_id is not None
            record_indicator_value(session, user, row.record_id, row.values)
    _log_import(session, user, convention_id, report, "indicator_values")
    return report


def _check(report: ImportReport, seen: str | None) -> None:
    if report.problems:
        raise ImportRefused(report)
    if seen is not None and seen != report.fingerprint:
        raise ChangedSincePreview()


def _log_import(
    session: Session, user: CurrentUser, convention_id: int, report: ImportReport, what: str
) -> None:
    """One entry in the convention's history for the whole import (nothing if it changed
    nothing)."""
    if not report.writes:
        return
    changes: dict[str, list[Any]] = {"file_name": [None, report.file_name]}
    if what == "actions":
        changes["created"] = [None, report.count(Operation.create)]
        changes["updated"] = [None, report.count(Operation.update)]
    else:
        changes["values_added"] = [None, report.count(Operation.create)]
    log_change(
        session, user, "convention", convention_id, "import", changes, convention_id=convention_id
    )
