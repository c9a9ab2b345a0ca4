"""The plan d'actions of one convention as its page shows it: phase stepper, filters,
timeline rows, a fiche with its history rendered as plain text, and the choices the forms
offer. Plain data only (dataclasses, DataFrames, strings); no streamlit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core import formats
from ctg_core.auth import CurrentUser
from ctg_core.errors import NotFound, PermissionDenied, require
from ctg_core.models import (
    Action,
    ActionStatus,
    Axis,
    ChangeLog,
    Convention,
    ConventionPhase,
    Meeting,
    Role,
    Territory,
    TerritoryKind,
    User,
    UserTerritory,
)
from ctg_core.queries import is_late
from ctg_core.validation import FIELD_LABELS


def paris_time(moment: datetime | None) -> datetime | None:
    """A stored timestamp (UTC; naive on SQLite) as the clock on the wall in France."""
    return formats.local_time(moment) if moment is not None else None


# --- phase stepper ------------------------------------------------------------------------

# The five steps of the stepper; `echue` comes after the last one (every step done).
PHASE_STEPS = (
    ConventionPhase.preparation,
    ConventionPhase.diagnostic,
    ConventionPhase.plan_actions,
    ConventionPhase.pilotage,
    ConventionPhase.evaluation,
)

StepState = Literal["done", "current", "upcoming"]


@dataclass(frozen=True)
class PhaseStep:
    phase: ConventionPhase
    number: int
    reached_on: date | None
    state: StepState


def phase_steps(
    current: ConventionPhase, phase_dates: Mapping[ConventionPhase, date]
) -> list[PhaseStep]:
    """The stepper préparation → évaluation; a step before the current one is done even
    when its date was never recorded (conventions created before the app)."""
    position = PHASE_STEPS.index(current) if current in PHASE_STEPS else len(PHASE_STEPS)
    steps = []
    for number, phase in enumerate(PHASE_STEPS, start=1):
        index = number - 1
        state: StepState = (
            "done" if index < position else "current" if index == position else "upcoming"
        )
        reached = phase_dates.get(phase) if state != "upcoming" else None
        steps.append(PhaseStep(phase, number, reached, state))
    return steps


def duration_months(starts_on: date | None, ends_on: date | None) -> int | None:
    """Length of a convention in whole months (1 Jan 2025 → 31 Dec 2028 is 48)."""
    if starts_on is None or ends_on is None or ends_on < starts_on:
        return None
    return round(((ends_on - starts_on).days + 1) / 30.4375)


def duration_label(starts_on: date | None, ends_on: date | None) -> str:
    """« 4 ans », « 2 ans et 6 mois », « 8 mois »; empty when a date is missing."""
    months = duration_months(starts_on, ends_on)
    if months is None:
        return ""
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} an{'s' if years > 1 else ''}")
    if rest or not years:
        parts.append(f"{rest} mois")
    return " et ".join(parts)


# --- filtering the plan -------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFilters:
    """What the user narrowed the plan to. Empty sets mean « tous ».

    Kinds of filter combine with AND. Within the pilote filter, chosen leads and
    `without_lead` combine with OR (« Mairie ou sans pilote »).
    """

    axis_ids: frozenset[int] = frozenset()
    statuses: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()
    without_lead: bool = False
    late_only: bool = False
    vigilance_only: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.axis_ids
            or self.statuses
            or self.leads
            or self.without_lead
            or self.late_only
            or self.vigilance_only
        )


def filter_actions(actions: pd.DataFrame, filters: PlanFilters) -> pd.DataFrame:
    """Rows of an `actions_frame` that pass `filters`, in their original order."""
    keep = pd.Series(True, index=actions.index)
    if filters.axis_ids:
        keep &= actions["axis_id"].isin(filters.axis_ids)
    if filters.statuses:
        keep &= actions["status"].isin(filters.statuses)
    if filters.leads or filters.without_lead:
        lead = actions["lead"].fillna("").str.strip()
        by_lead = lead.isin(filters.leads)
        if filters.without_lead:
            by_lead |= lead == ""
        keep &= by_lead
    if filters.late_only:
        keep &= actions["late"].astype(bool)
    if filters.vigilance_only:
        keep &= actions["vigilance"].fillna("").str.strip() != ""
    return actions[keep]


def leads(actions: pd.DataFrame) -> list[str]:
    """Distinct non-empty pilotes of a plan, alphabetical (case-insensitive)."""
    names = {str(v).strip() for v in actions["lead"].fillna("") if str(v).strip()}
    return sorted(names, key=str.casefold)


# --- timeline -----------------------------------------------------------------------------

TIMELINE_COLUMNS = [
    "id",
    "code",
    "label",
    "axis_id",
    "axis",
    "axis_order",
    "row_order",
    "start",
    "due",
    "status",
    "status_label",
    "progress",
    "late",
]


def shorten(text: str, limit: int = 48) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def timeline_rows(actions: pd.DataFrame) -> pd.DataFrame:
    """One bar per dated action (start → due) for the Gantt-like timeline, grouped by axis.

    An action with only one of its dates becomes a single day; one with neither is left
    out (see `undated_count`).
    """
    dated = actions[actions["starts_on"].notna() | actions["due_on"].notna()]
    axis_order = {axis_id: i for i, axis_id in enumerate(pd.unique(actions["axis_id"]))}
    rows = []
    for row_order, action in enumerate(dated.itertuples(index=False)):
        start = action.starts_on if pd.notna(action.starts_on) else action.due_on
        due = action.due_on if pd.notna(action.due_on) else action.starts_on
        rows.append(
            {
                "id": int(action.id),
                "code": action.code,
                "label": f"{action.code} · {shorten(action.title)}",
                "axis_id": int(action.axis_id),
                "axis": action.axis,
                "axis_order": axis_order[action.axis_id],
                "row_order": row_order,
                "start": pd.Timestamp(start),
                "due": pd.Timestamp(due),
                "status": action.status,
                "status_label": action.status_label,
                "progress": int(action.progress),
                "late": bool(action.late),
            }
        )
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def undated_count(actions: pd.DataFrame) -> int:
    return int((actions["starts_on"].isna() & actions["due_on"].isna()).sum())


# --- a fiche action and its history -------------------------------------------------------

OPERATION_LABELS = {
    "create": "Création",
    "update": "Modification",
    "archive": "Archivage",
    "conflict": "Modification refusée (conflit)",
}
MISSING = "—"


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label} : {self.old} → {self.new}"


@dataclass(frozen=True)
class HistoryLine:
    """One change-log entry, every value already written out in French."""

    at: datetime
    user_name: str
    operation: str
    meeting: str
    changes: tuple[FieldChange, ...]

    @property
    def summary(self) -> str:
        if self.operation == OPERATION_LABELS["conflict"]:
            return " ; ".join(f"{c.label} : {c.new} (non enregistré)" for c in self.changes)
        return " ; ".join(str(c) for c in self.changes)


@dataclass(frozen=True)
class ActionDetail:
    id: int
    version: int
    convention_id: int
    code: str
    title: str
    axis_id: int
    axis: str
    objective: str
    lead: str
    partners: str
    starts_on: date | None
    due_on: date | None
    budget: Decimal | None
    status: ActionStatus
    progress: int
    last_comment: str
    vigilance: str
    late: bool
    archived_at: datetime | None
    updated_at: datetime | None
    updated_by: str
    history: tuple[HistoryLine, ...] = field(default_factory=tuple)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def form_values(self) -> dict[str, Any]:
        """The editable fields, as a form shows them first."""
        return {
            "axis_id": self.axis_id,
            "code": self.code,
            "title": self.title,
            "objective": self.objective,
            "lead": self.lead,
            "partners": self.partners,
            "starts_on": self.starts_on,
            "due_on": self.due_on,
            "budget": self.budget,
            "status": self.status,
            "progress": self.progress,
            "last_comment": self.last_comment,
            "vigilance": self.vigilance,
        }


def _readable_convention(session: Session, user: CurrentUser, convention_id: int) -> Convention:
    convention = session.get(Convention, convention_id)
    if convention is None:
        raise NotFound("convention", convention_id)
    if not user.can_read(convention):
        raise PermissionDenied("consulter cette convention")
    return convention


def action_detail(session: Session, user: CurrentUser, action_id: int, today: date) -> ActionDetail:
    """Every field of a fiche action (archived ones too) with its history, newest first."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    _readable_convention(session, user, action.convention_id)
    axis = session.get(Axis, action.axis_id)
    editor = session.get(User, action.updated_by_id) if action.updated_by_id else None
    return ActionDetail(
        id=action_id,
        version=action.version,
        convention_id=action.convention_id,
        code=action.code,
        title=action.title,
        axis_id=action.axis_id,
        axis=axis.label if axis else "",
        objective=action.objective,
        lead=action.lead,
        partners=action.partners,
        starts_on=action.starts_on,
        due_on=action.due_on,
        budget=action.budget,
        status=action.status,
        progress=action.progress,
        last_comment=action.last_comment,
        vigilance=action.vigilance,
        late=action.archived_at is None and is_late(action.status, action.due_on, today),
        archived_at=paris_time(action.archived_at),
        updated_at=paris_time(action.updated_at),
        updated_by=editor.name if editor else "",
        history=tuple(history_lines(session, "action", action_id)),
    )


def convention_history(
    session: Session, user: CurrentUser, convention_id: int
) -> list[HistoryLine]:
    """Changes of the convention itself (title, dates, phase…), newest first."""
    _readable_convention(session, user, convention_id)
    return history_lines(session, "convention", convention_id)


def history_lines(session: Session, entity: str, entity_id: int) -> list[HistoryLine]:
    """The change log of one record in French; callers check the user may read it."""
    entries = session.exec(
        select(ChangeLog)
        .where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
        .order_by(ChangeLog.id.desc())  # type: ignore[union-attr]
    ).all()
    meetings = meeting_labels(session, {e.meeting_id for e in entries if e.meeting_id})
    axis_labels = dict(session.exec(select(Axis.id, Axis.label)).all())
    return [
        HistoryLine(
            at=paris_time(entry.at),  # type: ignore[arg-type]
            user_name=entry.user_name,
            operation=OPERATION_LABELS.get(entry.operation, entry.operation),
            meeting=meetings.get(entry.meeting_id, "") if entry.meeting_id else "",
            changes=tuple(
                FieldChange(
                    name,
                    FIELD_LABELS.get(name, _EXTRA_LABELS.get(name, name)),
                    readable_value(name, old, axis_labels),
                    readable_value(name, new, axis_labels),
                )
                for name, (old, new) in entry.changes.items()
            ),
        )
        for entry in entries
    ]


_EXTRA_LABELS = {"archived_at": "Archivage", "kind": "Type"}


def meeting_labels(session: Session, meeting_ids: Iterable[int]) -> dict[int, str]:
    """« COPIL du 21/01/2026 » for each meeting id."""
    ids = list(meeting_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Meeting).where(Meeting.id.in_(ids))  # type: ignore[union-attr]
    ).all()
    return {m.id: f"{m.kind.label} du {formats.day(m.held_on)}" for m in rows}  # type: ignore[misc]


def readable_value(name: str, value: Any, axis_labels: Mapping[int, str]) -> str:
    """A value as stored in the change log (JSON), written for a French reader."""
    if value is None or value == "":
        return MISSING
    if name == "status":
        return _enum_label(ActionStatus, value)
    if name == "phase":
        return _enum_label(ConventionPhase, value)
    if name == "axis_id":
        return axis_labels.get(int(value), str(value))
    if name == "progress":
        return f"{value} %"
    if name == "budget":
        return formats.euros(Decimal(str(value)))
    if name == "archived_at":
        return formats.moment(paris_time(datetime.fromisoformat(str(value))))
    if isinstance(value, str) and _looks_like_date(value):
        return formats.day(date.fromisoformat(value))
    return shorten(str(value), 120)


def _enum_label(enum_cls: type[ActionStatus] | type[ConventionPhase], value: Any) -> str:
    try:
        return enum_cls(value).label
    except ValueError:
        return str(value)


def _looks_like_date(text: str) -> bool:
    if len(text) != 10:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- choices offered by the forms -------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


def advisor_choices(session: Session) -> list[Choice]:
    """Active conseillers techniques territoriaux, by name."""
    rows = session.exec(
        select(User.id, User.name)
        .where(User.role == Role.caf_advisor, User.is_active)
        .order_by(User.name)
    ).all()
    return [Choice(ident, name) for ident, name in rows]


def territory_choices(session: Session) -> list[Choice]:
    """EPCI first, then communes, each by name: « Rezé (commune) »."""
    rows = session.exec(select(Territory.id, Territory.name, Territory.kind)).all()
    ordered = sorted(rows, key=lambda r: (r[2] is not TerritoryKind.epci, r[1].casefold()))
    return [Choice(ident, f"{name} ({kind.label.lower()})") for ident, name, kind in ordered]


# --- reference tables (administration) ----------------------------------------------------


def axes_with_usage(session: Session) -> pd.DataFrame:
    """Every axis (archived ones too) with the number of actions filed under it."""
    counts = dict(
        session.exec(
            select(Action.axis_id, sa.func.count(Action.id)).group_by(Action.axis_id)
        ).all()
    )
    rows = [
        {
            "id": a.id,
            "code": a.code,
            "label": a.label,
            "position": a.position,
            "actions": int(counts.get(a.id, 0)),
            "archived": a.archived_at is not None,
        }
        for a in session.exec(select(Axis).order_by(Axis.position, Axis.id))
    ]
    return pd.DataFrame(rows, columns=["id", "code", "label", "position", "actions", "archived"])


def user_directory(session: Session, user: CurrentUser) -> pd.DataFrame:
    """Users with their role and territories (read-only list for the administrator)."""
    require(user.is_admin, "consulter la liste des utilisateurs")
    scopes: dict[int, list[str]] = {}
    for user_id, name in session.exec(
        select(UserTerritory.user_id, Territory.name).join(
            Territory, Territory.id == UserTerritory.territory_id
        )
    ):
        scopes.setdefault(user_id, []).append(name)
    rows = [
        {
            "name": u.name,
            "email": u.email,
            "role": u.role.label,
            "territories": ", ".join(sorted(scopes.get(u.id, []), key=str.casefold)),  # type: ignore[arg-type]
            "active": u.is_active,
            "demo": u.is_demo,
        }
        for u in session.exec(select(User).order_by(User.name))
    ]
    return pd.DataFrame(rows, columns=["name", "email", "role", "territories", "active", "demo"])
