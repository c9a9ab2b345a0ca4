"""Nouns of the plan d'actions that pages read: plain dataclasses and DataFrames, scoped to
the user through the guards of `common.auth`. Pages never lazy-load relationships:
everything a page shows comes from one of these.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common import history
from ctg_core.common.auth import (
    CurrentUser,
    editable_plan_clause,
    readable_clause,
    readable_convention,
)
from ctg_core.common.errors import NotFound
from ctg_core.common.formats import folded, local_time
from ctg_core.common.history import HistoryLine, history_lines, lines_of
from ctg_core.common.models import (
    CLOSED_STATUSES,
    Action,
    ActionStatus,
    Axis,
    ChangeLog,
    Convention,
    ConventionPhase,
    CooperationPost,
    PhaseChange,
    Role,
    Territory,
    TerritoryKind,
    User,
    is_late,
)


@dataclass(frozen=True)
class AxisRef:
    id: int
    code: str
    label: str


def axes(session: Session, *, include_archived: bool = False) -> list[AxisRef]:
    query = select(Axis).order_by(Axis.position, Axis.id)
    if not include_archived:
        query = query.where(Axis.archived_at.is_(None))  # type: ignore[union-attr]
    return [AxisRef(a.id, a.code, a.label) for a in session.exec(query)]  # type: ignore[arg-type]


@dataclass(frozen=True)
class ConventionRef:
    """A convention as listed in a selector."""

    id: int
    title: str
    territory_id: int
    territory_name: str
    territory_kind: str
    phase: ConventionPhase


def _refs(session: Session, where: sa.ColumnElement[bool]) -> list[ConventionRef]:
    """Live conventions matching `where`, by territory name, read as plain rows."""
    rows = session.exec(
        select(
            Convention.id,
            Convention.title,
            Territory.id,
            Territory.name,
            Territory.kind,
            Convention.phase,
        )
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .where(Convention.archived_at.is_(None), where)  # type: ignore[union-attr]
        .order_by(Territory.name, Convention.id)
    ).all()
    return [
        ConventionRef(ident, title, territory_id, name, kind.value, phase)
        for ident, title, territory_id, name, kind, phase in rows
    ]


def conventions(session: Session, user: CurrentUser) -> list[ConventionRef]:
    """Conventions the user may read, by territory name."""
    return _refs(session, readable_clause(user))


def editable_conventions(session: Session, user: CurrentUser) -> list[ConventionRef]:
    """Live conventions whose plan the user may edit, by territory name."""
    return _refs(session, editable_plan_clause(user))


def conventions_version(session: Session) -> str:
    """A fingerprint that changes whenever a convention is created, changed or archived
    (each change raises its version): pages cache their lists of conventions under it."""
    return history.data_version(session, [(Convention.id, Convention.version)])


def home_convention(
    session: Session, user: CurrentUser, readable: list[ConventionRef]
) -> int | None:
    """The convention the Convention page opens on when the address names none: for a
    conseiller the first of their own portfolio (never another advisor's; None when they
    follow none), for everyone else the first they may read."""
    if user.role is not Role.caf_advisor:
        return readable[0].id if readable else None
    own = set(
        session.exec(
            select(Convention.id).where(
                Convention.advisor_id == user.id,
                Convention.archived_at.is_(None),  # type: ignore[union-attr]
            )
        )
    )
    return next((ref.id for ref in readable if ref.id in own), None)


MAX_SEARCH = 100  # characters of a search that are looked at


def search_conventions(session: Session, user: CurrentUser, text: str) -> list[ConventionRef]:
    """Conventions whose territory, title or a member commune contains `text`, ignoring
    case and accents (« reze » finds « Rezé »); `%` and `_` are plain characters.

    Typing "Rezé" finds Nantes Métropole's CTG: communes lead to the CTG of their EPCI.
    """
    needle = folded(_CONTROL.sub("", text))[:MAX_SEARCH]
    visible = conventions(session, user)
    if not needle:
        return visible
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with_member = set(
        session.exec(
            select(Territory.epci_id)
            .where(Territory.epci_id.is_not(None))  # type: ignore[union-attr]
            .where(Territory.search_name.like(pattern, escape="\\"))  # type: ignore[attr-defined]
            .distinct()
        )
    )
    return [
        ref
        for ref in visible
        if needle in folded(ref.territory_name)
        or needle in folded(ref.title)
        or ref.territory_id in with_member
    ]


_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ConventionHeader:
    id: int
    title: str
    version: int
    phase: ConventionPhase
    signed_on: date | None
    starts_on: date | None
    ends_on: date | None
    territory_id: int
    territory_name: str
    territory_kind: str
    population: int
    advisor_id: int | None
    advisor_name: str
    officer_name: str
    phase_dates: dict[ConventionPhase, date]
    can_edit_plan: bool
    can_manage: bool


def convention_header(session: Session, user: CurrentUser, convention_id: int) -> ConventionHeader:
    convention = readable_convention(session, user, convention_id)
    territory = session.get(Territory, convention.territory_id)
    assert territory is not None
    advisor = session.get(User, convention.advisor_id) if convention.advisor_id else None
    post = session.exec(
        select(CooperationPost)
        .where(CooperationPost.territory_id == territory.id, CooperationPost.ended_on.is_(None))  # type: ignore[union-attr]
        .order_by(CooperationPost.id.desc())  # type: ignore[union-attr]
    ).first()
    changes = session.exec(
        select(PhaseChange)
        .where(PhaseChange.convention_id == convention_id)
        .order_by(PhaseChange.reached_on, PhaseChange.id)
    ).all()
    return ConventionHeader(
        id=convention_id,
        title=convention.title,
        version=convention.version,
        phase=convention.phase,
        signed_on=convention.signed_on,
        starts_on=convention.starts_on,
        ends_on=convention.ends_on,
        territory_id=territory.id,  # type: ignore[arg-type]
        territory_name=territory.name,
        territory_kind=territory.kind.value,
        population=territory.population,
        advisor_id=convention.advisor_id,
        advisor_name=advisor.name if advisor else "",
        officer_name=post.officer_name if post else "",
        phase_dates={c.phase: c.reached_on for c in changes},
        can_edit_plan=user.can_edit_plan(convention),
        can_manage=user.can_manage_convention(convention),
    )


ACTION_COLUMNS = [
    "id",
    "version",
    "code",
    "title",
    "axis_id",
    "axis",
    "lead",
    "partners",
    "objective",
    "starts_on",
    "due_on",
    "budget",
    "status",
    "status_label",
    "progress",
    "last_comment",
    "vigilance",
    "late",
    "updated_at",
]


def actions_frame(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    today: date,
    *,
    include_archived: bool = False,
) -> pd.DataFrame:
    """The plan d'actions of a convention, one row per action, with `late` derived."""
    readable_convention(session, user, convention_id)
    query = (
        select(Action, Axis.label)
        .join(Axis, Axis.id == Action.axis_id)
        .where(Action.convention_id == convention_id)
        .order_by(Axis.position, Action.code)
    )
    if not include_archived:
        query = query.where(Action.archived_at.is_(None))  # type: ignore[union-attr]
    rows = [
        {
            "id": a.id,
            "version": a.version,
            "code": a.code,
            "title": a.title,
            "axis_id": a.axis_id,
            "axis": axis_label,
            "lead": a.lead,
            "partners": a.partners,
            "objective": a.objective,
            "starts_on": a.starts_on,
            "due_on": a.due_on,
            "budget": float(a.budget) if a.budget is not None else None,
            "status": a.status.value,
            "status_label": a.status.label,
            "progress": a.progress,
            "last_comment": a.last_comment,
            "vigilance": a.vigilance,
            "late": is_late(a.status, a.due_on, today),
            "updated_at": a.updated_at,
        }
        for a, axis_label in session.exec(query)
    ]
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


@dataclass(frozen=True)
class AxisStatus:
    axis_id: int
    axis: str
    by_status: dict[ActionStatus, int]
    total: int
    mean_progress: float
    late: int
    vigilance: int


def axis_status(actions: pd.DataFrame) -> list[AxisStatus]:
    """Per-axis roll-up of an `actions_frame`: counts by statut, mean avancement, alerts."""
    result = []
    for (axis_id, axis), group in actions.groupby(["axis_id", "axis"], sort=False):
        counts = group["status"].value_counts()
        result.append(
            AxisStatus(
                axis_id=int(axis_id),
                axis=str(axis),
                by_status={s: int(counts.get(s.value, 0)) for s in ActionStatus},
                total=len(group),
                mean_progress=float(group["progress"].mean()),
                late=int(group["late"].sum()),
                vigilance=int((group["vigilance"].str.strip() != "").sum()),
            )
        )
    return result


# --- a fiche action and its history -------------------------------------------------------


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


def action_detail(session: Session, user: CurrentUser, action_id: int, today: date) -> ActionDetail:
    """Every field of a fiche action (archived ones too) with its history, newest first."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    readable_convention(session, user, action.convention_id, archived=True)
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
        archived_at=local_time(action.archived_at),
        updated_at=local_time(action.updated_at),
        updated_by=editor.name if editor else "",
        history=tuple(history_lines(session, "action", action_id)),
    )


CONVENTION_HISTORY_LINES = 200


def convention_history(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    *,
    limit: int = CONVENTION_HISTORY_LINES,
) -> list[HistoryLine]:
    """Changes of the convention and of everything in it — its fiches actions, meetings,
    decisions, indicator values — newest first, each saying what it is about; the latest
    `limit` (the history viewer reads them all)."""
    readable_convention(session, user, convention_id)
    entries = session.exec(
        select(ChangeLog)
        .where(ChangeLog.convention_id == convention_id)
        .order_by(ChangeLog.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    ).all()
    return lines_of(session, entries, subjects=True)


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


# --- the officer's table ---------------------------------------------------------------

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


@dataclass(frozen=True)
class OfficerFilter:
    """What the officer's table shows: one convention, one axis, one statut, only late
    actions, only actions with a point de vigilance (None / False: no filter)."""

    convention_id: int | None = None
    axis_id: int | None = None
    status: ActionStatus | None = None
    late: bool = False
    vigilance: bool = False


def officer_actions(
    session: Session,
    user: CurrentUser,
    today: date,
    where: OfficerFilter = OfficerFilter(),
    *,
    offset: int = 0,
    limit: int | None = None,
    ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """The live actions of the conventions the user may edit, one row per action, read as
    plain rows: by convention, axis and code, `limit` rows from `offset` (all by default),
    or only the actions `ids` when given.

    ``attrs["total"]`` is the number of rows matching `where` (whatever the window);
    ``attrs["data_version"]`` changes whenever a row's version changes: pages key their
    editor with it so that the table reloads after a save.
    """
    conditions = _officer_conditions(user, today, where)
    if ids is not None:
        conditions.append(Action.id.in_(list(ids) or [-1]))  # type: ignore[union-attr]
    query = (
        select(
            Action.id,
            Action.version,
            Action.convention_id,
            Convention.title,
            Action.code,
            Action.title,
            Axis.label,
            Action.due_on,
            Action.status,
            Action.progress,
            Action.last_comment,
            Action.vigilance,
            Action.updated_at,
        )
        .join(Convention, Convention.id == Action.convention_id)  # type: ignore[arg-type]
        .join(Axis, Axis.id == Action.axis_id)  # type: ignore[arg-type]
        .where(*conditions)
        .order_by(Action.convention_id, Axis.position, Action.code)
        .offset(offset)
        .limit(limit)
    )
    rows = [
        (
            ident,
            version,
            convention_id,
            convention,
            code,
            title,
            axis,
            due_on,
            is_late(status, due_on, today),
            status.value,
            progress,
            last_comment,
            vigilance,
            updated_at,
        )
        for (
            ident,
            version,
            convention_id,
            convention,
            code,
            title,
            axis,
            due_on,
            status,
            progress,
            last_comment,
            vigilance,
            updated_at,
        ) in session.exec(query)
    ]
    frame = pd.DataFrame.from_records(rows, columns=OFFICER_COLUMNS)
    if ids is None and (offset or (limit is not None and len(frame) == limit)):
        frame.attrs["total"] = officer_action_count(session, user, today, where)
    else:
        frame.attrs["total"] = offset + len(frame)
    frame.attrs["data_version"] = data_version(frame)
    return frame


def officer_action_count(
    session: Session, user: CurrentUser, today: date, where: OfficerFilter = OfficerFilter()
) -> int:
    """How many rows `officer_actions` has for `where`."""
    query = (
        select(sa.func.count(Action.id))  # type: ignore[arg-type]
        .join(Convention, Convention.id == Action.convention_id)  # type: ignore[arg-type]
        .where(*_officer_conditions(user, today, where))
    )
    return int(session.exec(query).one())


def _officer_conditions(
    user: CurrentUser, today: date, where: OfficerFilter
) -> list[sa.ColumnElement[bool]]:
    conditions = [
        Action.archived_at.is_(None),  # type: ignore[union-attr]
        Convention.archived_at.is_(None),  # type: ignore[union-attr]
        editable_plan_clause(user),
    ]
    if where.convention_id is not None:
        conditions.append(Action.convention_id == where.convention_id)  # type: ignore[arg-type]
    if where.axis_id is not None:
        conditions.append(Action.axis_id == where.axis_id)  # type: ignore[arg-type]
    if where.status is not None:
        conditions.append(Action.status == where.status)  # type: ignore[arg-type]
    if where.late:  # the SQL twin of `is_late`
        conditions.append(Action.due_on < today)  # type: ignore[operator]
        conditions.append(Action.status.not_in(CLOSED_STATUSES))  # type: ignore[attr-defined]
    if where.vigilance:
        conditions.append(sa.func.trim(Action.vigilance) != "")
    return conditions


def data_version(frame: pd.DataFrame) -> str:
    """A short fingerprint of the (id, version) pairs of a table."""
    pairs = ",".join(f"{i}:{v}" for i, v in zip(frame["id"], frame["version"], strict=True))
    return hashlib.sha1(pairs.encode()).hexdigest()[:12]
