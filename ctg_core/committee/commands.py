"""Verbs of the committees (COPIL, COTECH): meetings, their automatic agenda, live updates,
decisions, closing with a snapshot of the plan. The rules they share with the pages'
reads are in `committee.rules`; what the pages read is in `committee.queries`.

Each public function is a `@command` (see `common.command`): guard (`_meeting_for_edit`),
one input model, history, one commit at the boundary. A quick update writes the action
through the plan's own writer (`plan.commands.apply_action_change`) inside the same unit
of work: permission and meeting are checked once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Self

from pydantic import Field, model_validator
from sqlmodel import Session, select

from ctg_core.committee.rules import MANUAL, agenda_order, agenda_reasons
from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.command import command, unique_rule
from ctg_core.common.errors import NotFound, ValidationFailed
from ctg_core.common.history import diff, log_change, versioned_update
from ctg_core.common.labels import FIELD_LABELS
from ctg_core.common.models import (
    Action,
    AgendaItem,
    Decision,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanSnapshot,
    utcnow,
)
from ctg_core.common.validation import (
    Day,
    Id,
    Input,
    LongText,
    RequiredText,
    ShortText,
    validated,
)
from ctg_core.plan.commands import QuickChange, apply_action_change

MAX_ATTENDEES = 100


unique_rule(
    ("uq_agenda_items_action", "agenda_items.meeting_id, agenda_items.action_id"),
    "action_id",
    "Cette action est déjà à l'ordre du jour.",
)

Attendees = Annotated[list[ShortText], Field(max_length=MAX_ATTENDEES)]


# --- inputs --------------------------------------------------------------------------------


class _MeetingInput(Input):
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
    held_on: Day
    place: ShortText = ""
    attendees: Attendees = Field(default_factory=list)
    next_meeting_on: Day | None = None


class MeetingChange(_MeetingInput):
    kind: MeetingKind | None = None
    held_on: Day | None = None
    place: ShortText | None = None
    attendees: Attendees | None = None
    minutes: LongText | None = None
    next_steps: LongText | None = None
    next_meeting_on: Day | None = None
    status: MeetingStatus | None = None


class DecisionData(Input):
    text: RequiredText
    action_id: Id | None = None


# --- small helpers -------------------------------------------------------------------------


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
    editable_convention(
        session, user, meeting.convention_id, "animer les comités de cette convention"
    )
    if meeting.status is MeetingStatus.closed:
        raise ValidationFailed({"meeting_id": "Cette réunion est clôturée."})
    return meeting


def _item(session: Session, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("point de l'ordre du jour", item_id)
    return item


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
    for action_id in agenda_order(actions, reasons):  # type: ignore[arg-type]
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


# --- meetings ----------------------------------------------------------------------


@command
def create_meeting(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    data: MeetingData | Mapping[str, Any],
    *,
    today: date,
) -> Meeting:
    """Create a meeting (status "prévue") with its automatic agenda, in one commit."""
    editable_convention(session, user, convention_id, "organiser un comité de cette convention")
    data = validated(MeetingData, data)
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
    log_change(
        session,
        user,
        "meeting",
        meeting.id,
        "create",
        diff({}, data.model_dump()),
        convention_id=convention_id,
        meeting_id=meeting.id,
    )
    return meeting


@command
def update_meeting(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    seen_version: int,
    change: MeetingChange | Mapping[str, Any],
) -> Meeting:
    """Change a meeting that is not closed (closing is `close_meeting`)."""
    meeting = _meeting_for_edit(session, user, meeting_id)
    change = validated(MeetingChange, change)
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
    changes = diff(before, values)
    if not changes:
        return meeting
    versioned_update(
        session,
        meeting,
        seen_version,
        values,
        user=user,
        entity="meeting",
        convention_id=meeting.convention_id,
    )
    log_change(
        session,
        user,
        "meeting",
        meeting_id,
        "update",
        changes,
        convention_id=meeting.convention_id,
        meeting_id=meeting_id,
    )
    return meeting


@command
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
    change = validated(MeetingChange, change or {})
    values = change.model_dump(exclude_unset=True)
    values.pop("status", None)
    status_before = meeting.status
    now = utcnow()
    versioned_update(
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
    log_change(
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
    return meeting


# --- agenda ------------------------------------------------------------------------


@command
def refresh_agenda(
    session: Session, user: CurrentUser, meeting_id: int, *, today: date
) -> AgendaRefresh:
    meeting = _meeting_for_edit(session, user, meeting_id)
    result = _sync_agenda(session, meeting, today)
    return result


@command
def move_agenda_item(session: Session, user: CurrentUser, item_id: int, offset: int) -> None:
    """Move an item up (offset -1) or down (+1); positions stay 0..n-1."""
    item = _item(session, item_id)
    _meeting_for_edit(session, user, item.meeting_id)
    items = _items(session, item.meeting_id)
    index = next(i for i, it in enumerate(items) if it.id == item_id)
    target = min(max(index + offset, 0), len(items) - 1)
    items.insert(target, items.pop(index))
    _renumber(items)


@command
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
    return item


@command
def remove_agenda_item(session: Session, user: CurrentUser, item_id: int) -> None:
    item = _item(session, item_id)
    _meeting_for_edit(session, user, item.meeting_id)
    meeting_id = item.meeting_id
    session.delete(item)
    session.flush()
    _renumber(_items(session, meeting_id))


@command
def mark_reviewed(session: Session, user: CurrentUser, item_id: int) -> None:
    """The committee went through this point without changing anything."""
    item = _item(session, item_id)
    _meeting_for_edit(session, user, item.meeting_id)
    if item.reviewed_at is None:
        item.reviewed_at = utcnow()


# --- decisions and live updates -----------------------------------------------------


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
    log_change(
        session,
        user,
        "decision",
        decision.id,
        "create",
        diff({}, data.model_dump()),
        convention_id=meeting.convention_id,
        meeting_id=meeting.id,
    )
    return decision


@command
def record_decision(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    text: str,
    *,
    action_id: int | None = None,
    reviewed_item_id: int | None = None,
) -> Decision:
    """Record a decision; with `reviewed_item_id`, that agenda point is marked as gone
    through in the same commit (a free point of the agenda)."""
    meeting = _meeting_for_edit(session, user, meeting_id, hold=True)
    data = validated(DecisionData, {"text": text, "action_id": action_id})
    decision = _stage_decision(session, user, meeting, data)
    if reviewed_item_id is not None:
        item = _item(session, reviewed_item_id)
        if item.meeting_id != meeting_id:
            raise ValidationFailed({"item": "Ce point appartient à une autre réunion."})
        item.reviewed_at = item.reviewed_at or utcnow()
    return decision


@dataclass(frozen=True)
class QuickUpdateResult:
    action_id: int
    changes: dict[str, list[Any]]
    decision_id: int | None
    new_version: int


@command
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
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    if action.convention_id != meeting.convention_id:
        raise ValidationFailed({"action_id": "Cette action n'appartient pas à la convention."})
    values = validated(QuickChange, change).model_dump(exclude_unset=True)
    decision_data = None
    if decision.strip():
        decision_data = validated(DecisionData, {"text": decision, "action_id": action_id})
    changes = apply_action_change(
        session, user, action, seen_version, values, meeting_id=meeting_id
    )
    decision_row = _stage_decision(session, user, meeting, decision_data) if decision_data else None
    now = utcnow()
    for item in session.exec(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting_id, AgendaItem.action_id == action_id
        )
    ):
        item.reviewed_at = now
    version = session.exec(select(Action.version).where(Action.id == action_id)).one()
    return QuickUpdateResult(action_id, changes, decision_row.id if decision_row else None, version)
