"""Committees (COPIL, COTECH): meetings, their automatic agenda, live updates, decisions,
closing with a snapshot of the plan — and the queries the meeting page reads.

The agenda is built from the data: actions en retard, with a point de vigilance, due
within the next three months, or changed since the previous (closed) meeting of the same
convention. Each item keeps its reasons as comma-separated codes in `AgendaItem.reason`
("late,vigilance"); items added by hand carry "manual".

Dates: "late" and "due soon" are judged at the meeting's date when it lies ahead (the
agenda is prepared for that day), else at `today`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Self, TypeVar

import pandas as pd
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from sqlmodel import Session, select

from ctg_core import formats, services
from ctg_core.auth import CurrentUser
from ctg_core.errors import NotFound, PermissionDenied, ValidationFailed, require
from ctg_core.models import (
    CLOSED_STATUSES,
    Action,
    ActionStatus,
    AgendaItem,
    Axis,
    ChangeLog,
    Convention,
    CooperationPost,
    Decision,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanSnapshot,
    Territory,
    User,
    UserTerritory,
    utcnow,
)
from ctg_core.queries import is_late
from ctg_core.quick_updates import QuickChange, stage_action_update
from ctg_core.validation import FIELD_LABELS, Text, validated

DUE_SOON_DAYS = 92
REASONS = ("late", "vigilance", "due_soon", "changed")
MANUAL = "manual"
REASON_LABELS = {
    "late": "En retard",
    "vigilance": "Point de vigilance",
    "due_soon": "Échéance dans les 3 mois",
    "changed": "Modifiée depuis le dernier comité",
    MANUAL: "Ajouté à l'ordre du jour",
}

Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


# --- inputs --------------------------------------------------------------------------------


class _MeetingInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _clean(self) -> Self:
        attendees = getattr(self, "attendees", None)
        if attendees is not None:
            seen: dict[str, str] = {}
            for name in attendees:
                if name and name.casefold() not in seen:
                    seen[name.casefold()] = name
            self.attendees = list(seen.values())  # type: ignore[attr-defined]
        held_on, next_on = getattr(self, "held_on", None), getattr(self, "next_meeting_on", None)
        if held_on and next_on and next_on <= held_on:
            raise ValueError("next_meeting_on|La prochaine réunion doit suivre celle-ci.")
        return self


class MeetingData(_MeetingInput):
    kind: MeetingKind
    held_on: date
    place: Name = ""
    attendees: list[Name] = []
    next_meeting_on: date | None = None


class MeetingChange(_MeetingInput):
    kind: MeetingKind | None = None
    held_on: date | None = None
    place: Name | None = None
    attendees: list[Name] | None = None
    minutes: Text | None = None
    next_steps: Text | None = None
    next_meeting_on: date | None = None
    status: MeetingStatus | None = None


class DecisionData(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: Required
    action_id: int | None = None


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: M | Mapping[str, Any]) -> M:
    return data if isinstance(data, model) else validated(model, dict(data))


# --- small helpers -------------------------------------------------------------------------


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones: make them comparable."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _meeting_for_edit(
    session: Session, user: CurrentUser, meeting_id: int, *, hold: bool = False
) -> Meeting:
    """The meeting, if the user may run it and it is still open to changes.

    With `hold`, the row is read FOR SHARE (PostgreSQL): a concurrent `close_meeting` then
    waits for this transaction, so no update is linked to a meeting closed meanwhile.
    SQLite write transactions are already serialised (BEGIN IMMEDIATE).
    """
    query = select(Meeting).where(Meeting.id == meeting_id)
    if hold:
        query = query.with_for_update(read=True)
    meeting = session.exec(query.execution_options(populate_existing=True)).first()
    if meeting is None:
        raise NotFound("réunion", meeting_id)
    convention = services.get_or_404(session, Convention, meeting.convention_id, "convention")
    require(user.can_edit_plan(convention), "animer les comités de cette convention")
    if meeting.status is MeetingStatus.closed:
        raise ValidationFailed({"meeting_id": "Cette réunion est clôturée."})
    return meeting


def _readable_meeting(session: Session, user: CurrentUser, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("réunion", meeting_id)
    convention = session.get(Convention, meeting.convention_id)
    if convention is None or not user.can_read(convention):
        raise PermissionDenied("consulter cette réunion")
    return meeting


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The last closed meeting of the same convention held before this one."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.convention_id == meeting.convention_id,
            Meeting.status == MeetingStatus.closed,
            Meeting.id != meeting.id,
            Meeting.held_on <= meeting.held_on,
        )
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())  # type: ignore[attr-defined]
    ).first()


def closed_since(meeting: Meeting | None) -> datetime | None:
    """The moment after which changes count as "since" that meeting."""
    if meeting is None:
        return None
    if meeting.closed_at is not None:
        return aware(meeting.closed_at)
    return datetime.combine(meeting.held_on, time.max, tzinfo=UTC)


def _reference_day(meeting: Meeting, today: date) -> date:
    return max(today, meeting.held_on)


# --- the automatic agenda -------------------------------------------------------------------


def agenda_reasons(session: Session, meeting: Meeting, today: date) -> dict[int, list[str]]:
    """For each action that belongs on the agenda, why (codes in `REASONS` order)."""
    day = _reference_day(meeting, today)
    actions = session.exec(
        select(Action).where(
            Action.convention_id == meeting.convention_id,
            Action.archived_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    changed: set[int] = set()
    since = closed_since(previous_meeting(session, meeting))
    if since is not None:
        query = select(ChangeLog.entity_id).where(
            ChangeLog.entity == "action",
            ChangeLog.convention_id == meeting.convention_id,
            ChangeLog.operation != "conflict",
            ChangeLog.at > since,
            sa.or_(ChangeLog.meeting_id.is_(None), ChangeLog.meeting_id != meeting.id),  # type: ignore[union-attr]
        )
        changed = set(session.exec(query.distinct()))
    reasons: dict[int, list[str]] = {}
    for action in actions:
        found = []
        if is_late(action.status, action.due_on, day):
            found.append("late")
        if action.vigilance.strip():
            found.append("vigilance")
        if (
            action.due_on is not None
            and day <= action.due_on <= day + timedelta(days=DUE_SOON_DAYS)
            and action.status not in CLOSED_STATUSES
        ):
            found.append("due_soon")
        if action.id in changed:
            found.append("changed")
        if found:
            reasons[action.id] = found  # type: ignore[index]
    return reasons


def _agenda_order(actions: dict[int, Action], reasons: dict[int, list[str]]) -> list[int]:
    """Late first, then vigilance, due soon, changed; then by due date and code."""

    def key(action_id: int) -> tuple[int, date, str]:
        action = actions[action_id]
        return (REASONS.index(reasons[action_id][0]), action.due_on or date.max, action.code)

    return sorted(reasons, key=key)


def _items(session: Session, meeting_id: int) -> list[AgendaItem]:
    return list(
        session.exec(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def _renumber(items: list[AgendaItem]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position


@dataclass(frozen=True)
class AgendaRefresh:
    added: int
    removed: int
    updated: int


def _sync_agenda(session: Session, meeting: Meeting, today: date) -> AgendaRefresh:
    """Add the actions that now belong on the agenda, drop automatic items that no longer
    do (unless already reviewed), refresh the reasons; keep the facilitator's order."""
    assert meeting.id is not None
    reasons = agenda_reasons(session, meeting, today)
    actions = {
        a.id: a
        for a in session.exec(select(Action).where(Action.convention_id == meeting.convention_id))
    }
    items = _items(session, meeting.id)
    kept, removed, updated = [], 0, 0
    present: set[int] = set()
    for item in items:
        if item.action_id is None:
            kept.append(item)
            continue
        found = reasons.get(item.action_id)
        manual = MANUAL in item.reason.split(",")
        if found is None and not manual and item.reviewed_at is None:
            session.delete(item)
            removed += 1
            continue
        reason = ",".join(([MANUAL] if manual else []) + (found or []))
        if found is not None and reason != item.reason:
            item.reason = reason
            updated += 1
        present.add(item.action_id)
        kept.append(item)
    added = 0
    for action_id in _agenda_order(actions, reasons):  # type: ignore[arg-type]
        if action_id in present:
            continue
        item = AgendaItem(
            meeting_id=meeting.id,
            action_id=action_id,
            title=actions[action_id].title,
            reason=",".join(reasons[action_id]),
        )
        session.add(item)
        kept.append(item)
        added += 1
    _renumber(kept)
    return AgendaRefresh(added, removed, updated)


# --- services: meetings ----------------------------------------------------------------------


def create_meeting(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    data: MeetingData | Mapping[str, Any],
    *,
    today: date,
) -> Meeting:
    """Create a meeting (status "prévue") with its automatic agenda, in one commit."""
    convention = services.get_or_404(session, Convention, convention_id, "convention")
    require(user.can_edit_plan(convention), "organiser un comité de cette convention")
    data = _validated(MeetingData, data)
    meeting = Meeting(
        convention_id=convention_id,
        status=MeetingStatus.planned,
        created_by_id=user.id,
        **data.model_dump(),
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    _sync_agenda(session, meeting, today)
    services.log_change(
        session,
        user,
        "meeting",
        meeting.id,
        "create",
        services.diff({}, data.model_dump()),
        convention_id=convention_id,
        meeting_id=meeting.id,
    )
    session.commit()
    return meeting


def update_meeting(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    seen_version: int,
    change: MeetingChange | Mapping[str, Any],
) -> Meeting:
    """Change a meeting that is not closed (closing is `close_meeting`)."""
    meeting = _meeting_for_edit(session, user, meeting_id)
    change = _validated(MeetingChange, change)
    values = change.model_dump(exclude_unset=True)
    if values.get("status") is MeetingStatus.closed:
        raise ValidationFailed({"status": "Clôturez la réunion avec « Clôturer »."})
    for name in ("kind", "held_on", "status", "attendees"):
        if name in values and values[name] is None:
            raise ValidationFailed({name: f"{FIELD_LABELS[name]} est obligatoire."})
    before = {name: getattr(meeting, name) for name in values}
    merged = {**{"held_on": meeting.held_on, "next_meeting_on": meeting.next_meeting_on}, **values}
    if merged["next_meeting_on"] and merged["next_meeting_on"] <= merged["held_on"]:
        raise ValidationFailed({"next_meeting_on": "La prochaine réunion doit suivre celle-ci."})
    changes = services.diff(before, values)
    if not changes:
        return meeting
    services.versioned_update(
        session,
        meeting,
        seen_version,
        values,
        user=user,
        entity="meeting",
        convention_id=meeting.convention_id,
    )
    services.log_change(
        session,
        user,
        "meeting",
        meeting_id,
        "update",
        changes,
        convention_id=meeting.convention_id,
        meeting_id=meeting_id,
    )
    session.commit()
    return meeting


def close_meeting(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    seen_version: int,
    change: MeetingChange | Mapping[str, Any] | None = None,
) -> Meeting:
    """Close the meeting and freeze the plan as it stands (one `PlanSnapshot` per action).

    `change` may carry the last words of the compte rendu (minutes, next steps, next date).
    """
    meeting = _meeting_for_edit(session, user, meeting_id)
    change = _validated(MeetingChange, change or {})
    values = change.model_dump(exclude_unset=True)
    values.pop("status", None)
    status_before = meeting.status
    now = utcnow()
    services.versioned_update(
        session,
        meeting,
        seen_version,
        {**values, "status": MeetingStatus.closed, "closed_at": now},
        user=user,
        entity="meeting",
        convention_id=meeting.convention_id,
    )
    actions = session.exec(
        select(Action).where(
            Action.convention_id == meeting.convention_id,
            Action.archived_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    for action in actions:
        session.add(
            PlanSnapshot(
                meeting_id=meeting_id,
                action_id=action.id,  # type: ignore[arg-type]
                status=action.status,
                progress=action.progress,
                vigilance=action.vigilance,
                due_on=action.due_on,
                captured_at=now,
            )
        )
    services.log_change(
        session,
        user,
        "meeting",
        meeting_id,
        "close",
        {
            "status": [status_before.value, MeetingStatus.closed.value],
            "snapshot": [None, len(actions)],
        },
        convention_id=meeting.convention_id,
        meeting_id=meeting_id,
    )
    session.commit()
    return meeting


# --- services: agenda ------------------------------------------------------------------------


def refresh_agenda(
    session: Session, user: CurrentUser, meeting_id: int, *, today: date
) -> AgendaRefresh:
    meeting = _meeting_for_edit(session, user, meeting_id)
    result = _sync_agenda(session, meeting, today)
    session.commit()
    return result


def move_agenda_item(session: Session, user: CurrentUser, item_id: int, offset: int) -> None:
    """Move an item up (offset -1) or down (+1); positions stay 0..n-1."""
    item = services.get_or_404(session, AgendaItem, item_id, "point de l'ordre du jour")
    _meeting_for_edit(session, user, item.meeting_id)
    items = _items(session, item.meeting_id)
    index = next(i for i, it in enumerate(items) if it.id == item_id)
    target = min(max(index + offset, 0), len(items) - 1)
    items.insert(target, items.pop(index))
    _renumber(items)
    session.commit()


def add_agenda_item(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    *,
    action_id: int | None = None,
    title: str = "",
) -> AgendaItem:
    """Add an action of the convention, or a free point ("Questions diverses"), at the end."""
    meeting = _meeting_for_edit(session, user, meeting_id)
    items = _items(session, meeting_id)
    if action_id is not None:
        action = session.get(Action, action_id)
        if action is None or action.convention_id != meeting.convention_id:
            raise ValidationFailed({"action_id": "Cette action n'appartient pas à la convention."})
        if any(it.action_id == action_id for it in items):
            raise ValidationFailed({"action_id": "Cette action est déjà à l'ordre du jour."})
        title = action.title
    else:
        title = " ".join(title.split())
        if not title:
            raise ValidationFailed({"title": "Intitulé du point ne peut pas être vide."})
        if len(title) > 200:
            raise ValidationFailed({"title": "Intitulé ne doit pas dépasser 200 caractères."})
    item = AgendaItem(
        meeting_id=meeting_id,
        position=len(items),
        action_id=action_id,
        title=title,
        reason=MANUAL,
    )
    session.add(item)
    session.commit()
    return item


def remove_agenda_item(session: Session, user: CurrentUser, item_id: int) -> None:
    item = services.get_or_404(session, AgendaItem, item_id, "point de l'ordre du jour")
    _meeting_for_edit(session, user, item.meeting_id)
    meeting_id = item.meeting_id
    session.delete(item)
    session.flush()
    _renumber(_items(session, meeting_id))
    session.commit()


def mark_reviewed(session: Session, user: CurrentUser, item_id: int) -> None:
    """The committee went through this point without changing anything."""
    item = services.get_or_404(session, AgendaItem, item_id, "point de l'ordre du jour")
    _meeting_for_edit(session, user, item.meeting_id)
    if item.reviewed_at is None:
        item.reviewed_at = utcnow()
        session.commit()


# --- services: decisions and live updates -----------------------------------------------------


def _stage_decision(
    session: Session, user: CurrentUser, meeting: Meeting, data: DecisionData
) -> Decision:
    if data.action_id is not None:
        action = session.get(Action, data.action_id)
        if action is None or action.convention_id != meeting.convention_id:
            raise ValidationFailed({"action_id": "Cette action n'appartient pas à la convention."})
    decision = Decision(
        meeting_id=meeting.id,  # type: ignore[arg-type]
        action_id=data.action_id,
        text=data.text,
        created_by_id=user.id,
    )
    session.add(decision)
    session.flush()
    assert decision.id is not None
    services.log_change(
        session,
        user,
        "decision",
        decision.id,
        "create",
        services.diff({}, data.model_dump()),
        convention_id=meeting.convention_id,
        meeting_id=meeting.id,
    )
    return decision


def record_decision(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    text: str,
    *,
    action_id: int | None = None,
) -> Decision:
    meeting = _meeting_for_edit(session, user, meeting_id, hold=True)
    data = _validated(DecisionData, {"text": text, "action_id": action_id})
    decision = _stage_decision(session, user, meeting, data)
    session.commit()
    return decision


@dataclass(frozen=True)
class QuickUpdateResult:
    action_id: int
    changes: dict[str, list[Any]]
    decision_id: int | None
    new_version: int


def quick_update(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    action_id: int,
    seen_version: int,
    change: QuickChange | Mapping[str, Any],
    *,
    decision: str = "",
) -> QuickUpdateResult:
    """Update an action during a meeting, optionally with a decision, in ONE commit.

    The change log entry carries the meeting; the action's agenda item is marked reviewed.
    A conflict (someone saved the action meanwhile) refuses the whole update.
    """
    meeting = _meeting_for_edit(session, user, meeting_id, hold=True)
    action = services.get_or_404(session, Action, action_id, "action")
    if action.convention_id != meeting.convention_id:
        raise ValidationFailed({"action_id": "Cette action n'appartient pas à la convention."})
    decision_data = None
    if decision.strip():
        decision_data = _validated(DecisionData, {"text": decision, "action_id": action_id})
    changes = stage_action_update(
        session, user, action_id, seen_version, change, meeting_id=meeting_id
    )
    decision_row = _stage_decision(session, user, meeting, decision_data) if decision_data else None
    now = utcnow()
    for item in session.exec(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting_id, AgendaItem.action_id == action_id
        )
    ):
        item.reviewed_at = now
    session.commit()
    version = session.exec(select(Action.version).where(Action.id == action_id)).one()
    return QuickUpdateResult(action_id, changes, decision_row.id if decision_row else None, version)


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingRow:
    id: int
    kind: MeetingKind
    held_on: date
    place: str
    status: MeetingStatus
    version: int

    @property
    def label(self) -> str:
        return f"{self.kind.label} du {formats.day(self.held_on)} — {self.status.label}"


def meetings_of(session: Session, user: CurrentUser, convention_id: int) -> list[MeetingRow]:
    """Meetings of a convention, most recent first."""
    convention = session.get(Convention, convention_id)
    if convention is None:
        raise NotFound("convention", convention_id)
    if not user.can_read(convention):
        raise PermissionDenied("consulter cette convention")
    rows = session.exec(
        select(Meeting)
        .where(Meeting.convention_id == convention_id)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())  # type: ignore[attr-defined]
    ).all()
    return [
        MeetingRow(m.id, m.kind, m.held_on, m.place, m.status, m.version)  # type: ignore[arg-type]
        for m in rows
    ]


@dataclass(frozen=True)
class DecisionRow:
    id: int
    text: str
    action_id: int | None
    action_code: str
    action_title: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class MeetingDetail:
    id: int
    convention_id: int
    convention_title: str
    territory_name: str
    kind: MeetingKind
    held_on: date
    place: str
    attendees: list[str]
    status: MeetingStatus
    minutes: str
    next_steps: str
    next_meeting_on: date | None
    closed_at: datetime | None
    version: int
    can_run: bool
    previous_id: int | None
    previous_label: str
    since: datetime | None
    decisions: list[DecisionRow] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.kind.label} du {formats.long_day(self.held_on)}"


def meeting_detail(session: Session, user: CurrentUser, meeting_id: int) -> MeetingDetail:
    meeting = _readable_meeting(session, user, meeting_id)
    convention = session.get(Convention, meeting.convention_id)
    assert convention is not None
    territory = session.get(Territory, convention.territory_id)
    previous = previous_meeting(session, meeting)
    return MeetingDetail(
        id=meeting_id,
        convention_id=meeting.convention_id,
        convention_title=convention.title,
        territory_name=territory.name if territory else "",
        kind=meeting.kind,
        held_on=meeting.held_on,
        place=meeting.place,
        attendees=list(meeting.attendees or []),
        status=meeting.status,
        minutes=meeting.minutes,
        next_steps=meeting.next_steps,
        next_meeting_on=meeting.next_meeting_on,
        closed_at=aware(meeting.closed_at),
        version=meeting.version,
        can_run=user.can_edit_plan(convention) and meeting.status is not MeetingStatus.closed,
        previous_id=previous.id if previous else None,
        previous_label=(
            f"{previous.kind.label} du {previous.held_on:%d/%m/%Y}" if previous else ""
        ),
        since=closed_since(previous),
        decisions=decisions_of(session, meeting_id),
    )


def decisions_of(session: Session, meeting_id: int) -> list[DecisionRow]:
    rows = session.exec(
        select(Decision, Action.code, Action.title, User.name)
        .join(Action, Action.id == Decision.action_id, isouter=True)  # type: ignore[arg-type]
        .join(User, User.id == Decision.created_by_id, isouter=True)  # type: ignore[arg-type]
        .where(Decision.meeting_id == meeting_id)
        .order_by(Decision.created_at, Decision.id)
    ).all()
    return [
        DecisionRow(
            d.id,  # type: ignore[arg-type]
            d.text,
            d.action_id,
            code or "",
            title or "",
            aware(d.created_at),  # type: ignore[arg-type]
            name or "",
        )
        for d, code, title, name in rows
    ]


@dataclass(frozen=True)
class AgendaRow:
    """One point of the agenda, with what the committee needs to see of its action."""

    item_id: int
    position: int
    title: str
    reasons: tuple[str, ...]
    reviewed: bool
    action_id: int | None = None
    code: str = ""
    axis: str = ""
    objective: str = ""
    lead: str = ""
    partners: str = ""
    starts_on: date | None = None
    due_on: date | None = None
    status: ActionStatus | None = None
    progress: int = 0
    last_comment: str = ""
    vigilance: str = ""
    late: bool = False
    version: int = 0

    @property
    def reason_labels(self) -> list[str]:
        return [REASON_LABELS.get(r, r) for r in self.reasons]


def agenda(session: Session, user: CurrentUser, meeting_id: int, today: date) -> list[AgendaRow]:
    meeting = _readable_meeting(session, user, meeting_id)
    day = _reference_day(meeting, today)
    rows = session.exec(
        select(AgendaItem, Action, Axis.label)
        .join(Action, Action.id == AgendaItem.action_id, isouter=True)  # type: ignore[arg-type]
        .join(Axis, Axis.id == Action.axis_id, isouter=True)  # type: ignore[arg-type]
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    result = []
    for item, action, axis_label in rows:
        common = {
            "item_id": item.id,
            "position": item.position,
            "reasons": tuple(r for r in item.reason.split(",") if r),
            "reviewed": item.reviewed_at is not None,
        }
        if action is None:
            result.append(AgendaRow(title=item.title, **common))
            continue
        result.append(
            AgendaRow(
                title=action.title,
                action_id=action.id,
                code=action.code,
                axis=axis_label or "",
                objective=action.objective,
                lead=action.lead,
                partners=action.partners,
                starts_on=action.starts_on,
                due_on=action.due_on,
                status=action.status,
                progress=action.progress,
                last_comment=action.last_comment,
                vigilance=action.vigilance,
                late=is_late(action.status, action.due_on, day),
                version=action.version,
                **common,
            )
        )
    return result


def convention_actions(session: Session, user: CurrentUser, convention_id: int) -> list[tuple]:
    """(id, code, title) of the live actions of a convention, for pickers."""
    convention = session.get(Convention, convention_id)
    if convention is None or not user.can_read(convention):
        raise PermissionDenied("consulter cette convention")
    return list(
        session.exec(
            select(Action.id, Action.code, Action.title)
            .where(
                Action.convention_id == convention_id,
                Action.archived_at.is_(None),  # type: ignore[union-attr]
            )
            .order_by(Action.code)
        )
    )


def attendee_suggestions(session: Session, user: CurrentUser, convention_id: int) -> list[str]:
    """Names for the attendees picker: past attendees, the Caf advisor, the officer, and
    the people scoped to the territory."""
    convention = session.get(Convention, convention_id)
    if convention is None or not user.can_read(convention):
        raise PermissionDenied("consulter cette convention")
    names: list[str] = []
    for attendees in session.exec(
        select(Meeting.attendees)
        .where(Meeting.convention_id == convention_id)
        .order_by(Meeting.held_on.desc())  # type: ignore[attr-defined]
    ):
        names.extend(attendees or [])
    if convention.advisor_id:
        advisor = session.get(User, convention.advisor_id)
        if advisor:
            names.append(advisor.name)
    names.extend(
        session.exec(
            select(CooperationPost.officer_name).where(
                CooperationPost.territory_id == convention.territory_id,
                CooperationPost.ended_on.is_(None),  # type: ignore[union-attr]
            )
        )
    )
    names.extend(
        session.exec(
            select(User.name)
            .join(UserTerritory, UserTerritory.user_id == User.id)  # type: ignore[arg-type]
            .where(UserTerritory.territory_id == convention.territory_id, User.is_active)
        )
    )
    seen: dict[str, str] = {}
    for name in names:
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return sorted(seen.values(), key=str.casefold)


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    user_name: str
    operation: str
    changes: dict[str, list[Any]]
    meeting_id: int | None


def action_history_since(
    session: Session, user: CurrentUser, action_id: int, since: datetime | None
) -> list[HistoryLine]:
    """The action's change log after `since` (all of it when None), newest first."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    convention = session.get(Convention, action.convention_id)
    if convention is None or not user.can_read(convention):
        raise PermissionDenied("consulter cette action")
    query = select(ChangeLog).where(ChangeLog.entity == "action", ChangeLog.entity_id == action_id)
    if since is not None:
        query = query.where(ChangeLog.at > since)
    rows = session.exec(query.order_by(ChangeLog.id.desc())).all()  # type: ignore[union-attr]
    return [
        HistoryLine(aware(r.at), r.user_name, r.operation, r.changes, r.meeting_id)  # type: ignore[arg-type]
        for r in rows
    ]


@dataclass(frozen=True)
class Evolution:
    """What changed on one action over a period: first old → last new, and by whom."""

    action_id: int
    code: str
    title: str
    status_before: ActionStatus | None
    status_after: ActionStatus | None
    progress_before: int | None
    progress_after: int | None
    comments: list[str]
    vigilance: str | None
    people: list[str]
    updates: int
    last_at: datetime


def _evolutions(session: Session, entries: list[ChangeLog]) -> list[Evolution]:
    by_action: dict[int, list[ChangeLog]] = {}
    for entry in entries:
        by_action.setdefault(entry.entity_id, []).append(entry)
    actions = {
        a.id: a
        for a in session.exec(
            select(Action).where(Action.id.in_(list(by_action) or [-1]))  # type: ignore[union-attr]
        )
    }
    result = []
    for action_id, rows in by_action.items():
        action = actions.get(action_id)
        if action is None:
            continue

        def span(name: str, rows: list[ChangeLog] = rows) -> tuple[Any, Any]:
            touched = [r.changes[name] for r in rows if name in r.changes]
            return (touched[0][0], touched[-1][1]) if touched else (None, None)

        status_before, status_after = span("status")
        progress_before, progress_after = span("progress")
        _, vigilance = span("vigilance")
        comments = [r.changes["last_comment"][1] for r in rows if "last_comment" in r.changes]
        people = list(dict.fromkeys(r.user_name for r in rows))
        result.append(
            Evolution(
                action_id=action_id,
                code=action.code,
                title=action.title,
                status_before=ActionStatus(status_before) if status_before else None,
                status_after=ActionStatus(status_after) if status_after else None,
                progress_before=progress_before,
                progress_after=progress_after,
                comments=[c for c in comments if c],
                vigilance=vigilance,
                people=people,
                updates=len(rows),
                last_at=aware(rows[-1].at),  # type: ignore[arg-type]
            )
        )
    return sorted(result, key=lambda e: e.code)


def changes_since_previous(session: Session, user: CurrentUser, meeting_id: int) -> list[Evolution]:
    """Per action, what changed since the previous closed meeting of the convention (up to
    this meeting's close, or now), updates made during this meeting included."""
    meeting = _readable_meeting(session, user, meeting_id)
    query = select(ChangeLog).where(
        ChangeLog.entity == "action",
        ChangeLog.convention_id == meeting.convention_id,
        ChangeLog.operation == "update",
    )
    since = closed_since(previous_meeting(session, meeting))
    if since is not None:
        query = query.where(ChangeLog.at > since)
    if meeting.closed_at is not None:
        query = query.where(ChangeLog.at <= meeting.closed_at)
    entries = list(session.exec(query.order_by(ChangeLog.id)))  # type: ignore[union-attr]
    return _evolutions(session, entries)


def updates_during(session: Session, user: CurrentUser, meeting_id: int) -> list[Evolution]:
    """Per action, the updates saved during this meeting."""
    meeting = _readable_meeting(session, user, meeting_id)
    entries = list(
        session.exec(
            select(ChangeLog)
            .where(
                ChangeLog.entity == "action",
                ChangeLog.meeting_id == meeting.id,
                ChangeLog.operation == "update",
            )
            .order_by(ChangeLog.id)  # type: ignore[arg-type]
        )
    )
    return _evolutions(session, entries)


def closed_meetings(session: Session, user: CurrentUser, convention_id: int) -> list[MeetingRow]:
    return [
        m for m in meetings_of(session, user, convention_id) if m.status is MeetingStatus.closed
    ]


SNAPSHOT_COLUMNS = [
    "action_id",
    "code",
    "title",
    "status_then",
    "status_now",
    "progress_then",
    "progress_now",
    "progress_delta",
    "vigilance_then",
    "vigilance_now",
    "status_changed",
]


def compare_with_snapshot(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    meeting_id: int | None = None,
    *,
    kind: MeetingKind | None = None,
) -> pd.DataFrame:
    """The plan now against its state frozen at a closed meeting: `meeting_id`, else the
    last closed one (of `kind` if given: "now" against "at the last COPIL").

    ``attrs["meeting"]`` holds the `MeetingRow` compared with (None when there is none).
    Actions created since have no "then" values.
    """
    closed = [
        m for m in closed_meetings(session, user, convention_id) if kind is None or m.kind is kind
    ]
    chosen = next((m for m in closed if m.id == meeting_id), None) if meeting_id else None
    chosen = chosen or (closed[0] if closed else None)
    frame = pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    frame.attrs["meeting"] = chosen
    if chosen is None:
        return frame
    snaps = {
        s.action_id: s
        for s in session.exec(select(PlanSnapshot).where(PlanSnapshot.meeting_id == chosen.id))
    }
    actions = session.exec(
        select(Action)
        .where(
            Action.convention_id == convention_id,
            Action.archived_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Action.code)
    ).all()
    rows = []
    for action in actions:
        snap = snaps.get(action.id)  # type: ignore[arg-type]
        rows.append(
            {
                "action_id": action.id,
                "code": action.code,
                "title": action.title,
                "status_then": snap.status.value if snap else None,
                "status_now": action.status.value,
                "progress_then": snap.progress if snap else None,
                "progress_now": action.progress,
                "progress_delta": action.progress - snap.progress if snap else None,
                "vigilance_then": snap.vigilance if snap else None,
                "vigilance_now": action.vigilance,
                "status_changed": bool(snap and snap.status is not action.status),
            }
        )
    frame = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
    frame.attrs["meeting"] = chosen
    return frame
