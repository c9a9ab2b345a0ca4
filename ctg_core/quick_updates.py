"""Quick updates of actions: the officer's table between meetings, the form during one.

Both paths change the same four fields (statut, avancement, commentaire, vigilance) through
`stage_action_update`, which restricts the input to those fields and hands it to
`services.stage_action_update` — permission, validation against the whole fiche, optimistic
version check, change log, but no commit — so that a caller can add to the same transaction
(a meeting decision) or commit row by row (a batch).

Batches commit **per row**: each row is an independent action with its own version, and
`services.versioned_update` answers a conflict by rolling back the session and committing
the refusal itself, which would discard savepoints of earlier rows. Committing each row
means a refused or conflicting row never blocks or undoes the others.
"""

from __future__ import annotations

import enum
import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, select

from ctg_core import services
from ctg_core.auth import CurrentUser
from ctg_core.errors import ConflictError, ConflictInfo, CtgError, ValidationFailed
from ctg_core.models import Action, ActionStatus, Axis, Convention, Territory
from ctg_core.queries import is_late
from ctg_core.validation import FIELD_LABELS, Progress, Text

EDITABLE_FIELDS = ("status", "progress", "last_comment", "vigilance")


class QuickChange(BaseModel):
    """The fields a quick update may change; only those set are applied."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: ActionStatus | None = None
    progress: Progress | None = None
    last_comment: Text | None = None
    vigilance: Text | None = None


# --- the write path shared by the meeting form and the batch -----------------------------


def stage_action_update(
    session: Session,
    user: CurrentUser,
    action_id: int,
    seen_version: int,
    change: QuickChange | Mapping[str, Any],
    *,
    meeting_id: int | None = None,
) -> dict[str, list[Any]]:
    """Apply a quick change inside the caller's transaction (see
    `services.stage_action_update`); only the four quick fields are accepted."""
    change = services.as_input(QuickChange, change)
    values = change.model_dump(exclude_unset=True)
    missing = {
        name: f"{FIELD_LABELS.get(name, name)} est obligatoire."
        for name, value in values.items()
        if value is None
    }
    if missing:
        raise ValidationFailed(missing)
    return services.stage_action_update(
        session, user, action_id, seen_version, values, meeting_id=meeting_id
    )


# --- the officer's table -------------------------------------------------------------------

OFFICER_COLUMNS = [
    "id",
    "version",
    "convention_id",
    "convention",
    "code",
    "title",
    "axis",
    "due_on",
    "late",
    "status",
    "progress",
    "last_comment",
    "vigilance",
    "updated_at",
]


def editable_conventions(session: Session, user: CurrentUser) -> list[Convention]:
    """Live conventions whose plan the user may edit, by territory name."""
    rows = session.exec(
        select(Convention, Territory)
        .join(Territory, Territory.id == Convention.territory_id)
        .where(Convention.archived_at.is_(None))  # type: ignore[union-attr]
        .order_by(Territory.name, Convention.id)
    ).all()
    return [c for c, _ in rows if user.can_edit_plan(c)]


def officer_actions(session: Session, user: CurrentUser, today: date) -> pd.DataFrame:
    """The live actions of every convention the user may edit, one row per action.

    ``attrs["data_version"]`` changes whenever any row's version changes: pages key their
    editor with it so that the table reloads after a save.
    """
    conventions = {c.id: c for c in editable_conventions(session, user)}
    rows: list[dict[str, Any]] = []
    if conventions:
        query = (
            select(Action, Axis.label)
            .join(Axis, Axis.id == Action.axis_id)
            .where(
                Action.convention_id.in_(list(conventions)),  # type: ignore[attr-defined]
                Action.archived_at.is_(None),  # type: ignore[union-attr]
            )
            .order_by(Action.convention_id, Axis.position, Action.code)
        )
        for action, axis_label in session.exec(query):
            rows.append(
                {
                    "id": action.id,
                    "version": action.version,
                    "convention_id": action.convention_id,
                    "convention": conventions[action.convention_id].title,
                    "code": action.code,
                    "title": action.title,
                    "axis": axis_label,
                    "due_on": action.due_on,
                    "late": is_late(action.status, action.due_on, today),
                    "status": action.status.value,
                    "progress": action.progress,
                    "last_comment": action.last_comment,
                    "vigilance": action.vigilance,
                    "updated_at": action.updated_at,
                }
            )
    frame = pd.DataFrame(rows, columns=OFFICER_COLUMNS)
    frame.attrs["data_version"] = data_version(frame)
    return frame


def data_version(frame: pd.DataFrame) -> str:
    """A short fingerprint of the (id, version) pairs of a table."""
    pairs = ",".join(f"{i}:{v}" for i, v in zip(frame["id"], frame["version"], strict=True))
    return hashlib.sha1(pairs.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class RowChange:
    """One edited row: the action, the version it was loaded with, the new values."""

    action_id: int
    seen_version: int
    change: dict[str, Any]


def _cell(value: Any) -> Any:
    """A table cell as a plain Python value (None for a cleared cell)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy scalar
        return _cell(value.item())
    if isinstance(value, enum.Enum):
        return value.value
    return value


def changes_between(original: pd.DataFrame, edited: pd.DataFrame) -> list[RowChange]:
    """Rows whose editable cells differ, each with the version it was loaded with.

    Both tables are indexed by action id (the editor's stable key). A cleared text cell
    counts as the empty text; a cleared avancement is sent as missing, and refused.
    """
    result = []
    for action_id, row in original.iterrows():
        if action_id not in edited.index:
            continue
        new_row = edited.loc[action_id]
        change: dict[str, Any] = {}
        for name in EDITABLE_FIELDS:
            if name not in edited.columns:
                continue
            old, new = _cell(row[name]), _cell(new_row[name])
            if name in {"last_comment", "vigilance"}:
                old, new = old or "", new or ""
            if old != new:
                change[name] = new
        if change:
            result.append(RowChange(int(action_id), int(row["version"]), change))  # type: ignore[arg-type]
    return result


# --- the batch -------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    saved = "saved"
    unchanged = "unchanged"
    rejected = "rejected"
    conflict = "conflict"

    @property
    def label(self) -> str:
        return {
            Outcome.saved: "Enregistrée",
            Outcome.unchanged: "Inchangée",
            Outcome.rejected: "Refusée",
            Outcome.conflict: "Conflit",
        }[self]


@dataclass(frozen=True)
class RowResult:
    action_id: int
    code: str
    outcome: Outcome
    attempted: dict[str, Any]
    changes: dict[str, list[Any]] = field(default_factory=dict)
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    conflict: ConflictInfo | None = None


@dataclass(frozen=True)
class BatchReport:
    rows: list[RowResult]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.rows if r.outcome is outcome)

    @property
    def saved(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome is Outcome.saved]

    @property
    def failed(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome in {Outcome.rejected, Outcome.conflict}]


def update_actions(
    session: Session, user: CurrentUser, changes: Iterable[RowChange]
) -> BatchReport:
    """Apply each row on its own (one commit per row) and report every row's outcome."""
    results = []
    for row in changes:
        code = _code_of(session, row.action_id)
        try:
            written = stage_action_update(
                session, user, row.action_id, row.seen_version, row.change
            )
            session.commit()
        except ConflictError as exc:
            results.append(
                RowResult(
                    row.action_id,
                    code,
                    Outcome.conflict,
                    row.change,
                    message=exc.message,
                    conflict=exc.info,
                )
            )
            continue
        except CtgError as exc:
            session.rollback()
            errors = exc.errors if isinstance(exc, ValidationFailed) else {}
            detail = " ; ".join(errors.values()) if errors else exc.message
            results.append(
                RowResult(
                    row.action_id,
                    code,
                    Outcome.rejected,
                    row.change,
                    message=detail,
                    errors=errors,
                )
            )
            continue
        outcome = Outcome.saved if written else Outcome.unchanged
        results.append(RowResult(row.action_id, code, outcome, row.change, changes=written))
    return BatchReport(results)


def _code_of(session: Session, action_id: int) -> str:
    code = session.exec(select(Action.code).where(Action.id == action_id)).first()
    return code or f"n° {action_id}"
