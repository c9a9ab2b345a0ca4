"""Verbs of the committees (COPIL, COTECH): meetings, their automatic and timed agenda, the
backlog of parked points, attendance, live updates, typed decisions, closing with a
snapshot of the plan. The rules they share with the pages' reads are in
`committee.rules`; what the pages read is in `committee.queries`.

Each public function is a `@command` (see `common.command`): guard (`_meeting_for_edit`),
one input model, history, one commit at the boundary. A quick update writes the action
through the plan's own writer (`plan.commands.apply_action_change`), and a decision
« action à mener » creates its fiche through `plan.commands.insert_action`, inside the same
unit of work: permission and meeting are checked once, here.

The agenda has its own version (`Meeting.agenda_version`): every agenda write (add, remove,
move, refresh, park, take up, duration, mark reviewed) takes the version its page showed
(`seen_version`) and is refused with `AgendaConflict` when someone changed the agenda since.
Taking the version first also queues agenda writers one behind the other. Without
`seen_version` (scripts), the write applies to the agenda as it stands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Self

import sqlalchemy as sa
from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Session, select

from ctg_core.committee.rules import (
    MANUAL,
    MAX_MEETING_MINUTES,
    MAX_POINT_MINUTES,
    MEETING_MINUTES,
    PARKED,
    agenda_order,
    agenda_reasons,
    point_minutes,
)
from ctg_core.common import formats
from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.command import command, unique_rule
from ctg_core.common.errors import ConflictError, ConflictInfo, NotFound, ValidationFailed
from ctg_core.common.history import diff, log_change, versioned_update
from ctg_core.common.labels import FIELD_LABELS
from ctg_core.common.models import (
    Action,
    AgendaItem,
    Attendance,
    Axis,
    ChangeLog,
    Decision,
    DecisionKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanSnapshot,
    utcnow,
)
from ctg_core.common.validation import (
    SENTENCE,
    Day,
    Id,
    Input,
    LongText,
    RequiredText,
    ShortText,
    french_number,
    validated,
)
from ctg_core.plan.commands import ActionData, QuickChange, apply_action_change, insert_action

MAX_ATTENDEES = 100


unique_rule(
    ("uq_agenda_items_action", "agenda_items.meeting_id, agenda_items.action_id"),
    "action_id",
    "Cette action est déjà à l'ordre du jour.",
)
unique_rule(
    ("uq_meetings_number", "meetings.convention_id, meetings.kind, meetings.number"),
    "kind",
    "Une autre réunion de ce type vient d'être créée au même moment : réessayez.",
)

Attendees = Annotated[list[ShortText], Field(max_length=MAX_ATTENDEES)]
PointMinutes = Annotated[int, BeforeValidator(french_number), Field(ge=1, le=MAX_POINT_MINUTES)]
MeetingMinutes = Annotated[
    int, BeforeValidator(french_number), Field(ge=15, le=MAX_MEETING_MINUTES)
]


def _decision_kind(value: Any) -> Any:
    try:
        return DecisionKind(value)
    except (ValueError, TypeError):
        raise PydanticCustomError(
            SENTENCE, "Choisissez : décision, information ou action à mener."
        ) from None


KindOfDecision = Annotated[DecisionKind, BeforeValidator(_decision_kind)]


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
    planned_minutes: MeetingMinutes | None = None


class MeetingChange(_MeetingInput):
    kind: MeetingKind | None = None
    held_on: Day | None = None
    place: ShortText | None = None
    attendees: Attendees | None = None
    minutes: LongText | None = None
    next_steps: LongText | None = None
    next_meeting_on: Day | None = None
    status: MeetingStatus | None = None
    planned_minutes: MeetingMinutes | None = None


class AttendanceData(Input):
    """Présent, excusé or absent, for participants of the meeting."""

    attendance: Annotated[dict[ShortText, Attendance], Field(max_length=MAX_ATTENDEES)]


class AgendaPointData(Input):
    """A point added by hand: an action of the convention, or a free point with a title."""

    action_id: Id | None = None
    title: ShortText = ""
    planned_minutes: PointMinutes | None = None
    presenter: ShortText = ""

    @model_validator(mode="after")
    def _named(self) -> Self:
        self.title = " ".join(self.title.split())
        if self.action_id is None and not self.title:
            raise ValueError("title|Intitulé du point ne peut pas être vide.")
        return self


class AgendaItemChange(Input):
    planned_minutes: PointMinutes | None = None
    presenter: ShortText | None = None


class DecisionData(Input):
    """What the committee said. An « action à mener » creates a fiche action: its axis and
    due date are required, its title is the decision's text unless given, its pilot
    optional."""

    text: RequiredText
    kind: KindOfDecision = DecisionKind.decision
    confidential: bool = False
    action_id: Id | None = None
    new_axis_id: Id | None = None
    new_title: ShortText = ""
    new_lead: ShortText = ""
    new_due_on: Day | None = None

    @model_validator(mode="after")
    def _action_to_carry_out(self) -> Self:
        if self.kind is not DecisionKind.action:
            return self
        if self.new_axis_id is None:
            raise ValueError("new_axis_id|Choisissez l'axe de l'action à mener.")
        if self.new_due_on is None:
            raise ValueError("new_due_on|Donnez une échéance à l'action à mener.")
        if not self.new_title and len(self.text) > 200:
            raise ValueError(
                "new_title|Donnez à l'action à mener un intitulé de 200 caractères au plus."
            )
        return self


# --- small helpers -------------------------------------------------------------------------


def _meeting_for_edit(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    *,
    hold: bool = False,
    lock: bool = False,
) -> Meeting:
    """The meeting, if the user may run it and it is still open to changes.

    With `hold`, the row is read FOR SHARE (PostgreSQL): a concurrent `close_meeting`, which
    takes the row FOR UPDATE (`lock`) before anything else, then waits for this transaction,
    so no update is linked to a meeting closed meanwhile and none falls after its closing
    time. SQLite write transactions are already serialised (BEGIN IMMEDIATE).
    """
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        query = query.with_for_update()
    elif hold:
        query = query.with_for_update(read=True)
    meeting = session.exec(query.execution_options(populate_existing=True)).first()
    if meeting is None:
        raise NotFound("réunion", meeting_id)
    editable_convention(
        session, user, meeting.convention_id, "animer les comités de cette convention"
    )
    if meeting.status is MeetingStatus.closed:
        raise ValidationFailed({"meeting_id": "Cette réunion est clôturée : elle ne change plus."})
    return meeting


def _item(session: Session, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("point de l'ordre du jour", item_id)
    return item


def _items(session: Session, meeting_id: int) -> list[AgendaItem]:
    """The points on the agenda (parked points are not), in order."""
    return list(
        session.exec(
            select(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.parked_at.is_(None),  # type: ignore[union-attr]
            )
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def _renumber(items: list[AgendaItem]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position


class AgendaConflict(ConflictError):
    """Someone changed the agenda since the page showed it: nothing of this write is saved."""

    def __init__(self, info: ConflictInfo, record: Any = None) -> None:
        super().__init__(info, record)
        who = info.changed_by or "Une autre personne"
        when = (
            f" le {formats.moment(info.changed_at).replace(' ', ' à ')}" if info.changed_at else ""
        )
        self.message = (
            f"Modification refusée : {who} a modifié l'ordre du jour{when} pendant que vous le "
            "consultiez. Rien n'a été enregistré : relisez l'ordre du jour tel qu'il est "
            "maintenant, puis recommencez."
        )
        self.args = (self.message,)


def _take_agenda(
    session: Session,
    user: CurrentUser,
    meeting: Meeting,
    seen_version: int | None,
    attempt: str,
) -> None:
    """Move the agenda to its next version, if it is still the one the user saw.

    Done first by every agenda write: the row lock it takes queues concurrent agenda writers.
    """
    query = sa.update(Meeting).where(Meeting.id == meeting.id)
    if seen_version is not None:
        query = query.where(Meeting.agenda_version == seen_version)
    result = session.execute(
        query.values(agenda_version=Meeting.agenda_version + 1).execution_options(
            synchronize_session=False
        )
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    current = session.exec(select(Meeting.agenda_version).where(Meeting.id == meeting.id)).one()
    last = session.exec(
        select(ChangeLog)
        .where(
            ChangeLog.entity == "agenda_item",
            ChangeLog.meeting_id == meeting.id,
            ChangeLog.operation != "conflict",
        )
        .order_by(ChangeLog.id.desc())  # type: ignore[union-attr]
    ).first()
    raise AgendaConflict(
        ConflictInfo(
            entity="agenda",
            entity_id=meeting.id,  # type: ignore[arg-type]
            current_version=current,
            changed_by=last.user_name if last else "",
            changed_at=last.at if last else None,
        ),
        record=ChangeLog(
            user_id=user.id,
            user_name=user.name,
            entity="agenda_item",
            entity_id=meeting.id,  # type: ignore[arg-type]
            convention_id=meeting.convention_id,
            operation="conflict",
            changes={"agenda": [seen_version, attempt]},
            meeting_id=meeting.id,
        ),
    )


def _log_item(
    session: Session,
    user: CurrentUser,
    meeting: Meeting,
    item: AgendaItem,
    operation: str,
    changes: Mapping[str, Any],
) -> None:
    session.flush()
    assert item.id is not None
    log_change(
        session,
        user,
        "agenda_item",
        item.id,
        operation,
        changes,
        convention_id=meeting.convention_id,
        meeting_id=meeting.id,
    )


def _item_of_meeting(
    session: Session,
    user: CurrentUser,
    item_id: int,
    seen_version: int | None,
    attempt: str,
) -> tuple[AgendaItem, Meeting]:
    """The agenda point and its meeting, guarded, with the agenda version taken."""
    item = _item(session, item_id)
    meeting = _meeting_for_edit(session, user, item.meeting_id)
    _take_agenda(session, user, meeting, seen_version, attempt)
    session.refresh(item)  # as it stands once the agenda is ours
    return item, meeting


def _filled(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The history of a creation: the values given, not the empty ones."""
    return diff({}, {name: value for name, value in values.items() if value not in (None, "")})


@dataclass(frozen=True)
class AgendaRefresh:
    added: int
    removed: int
    updated: int


def _sync_agenda(
    session: Session, user: CurrentUser, meeting: Meeting, today: date, *, log: bool = True
) -> AgendaRefresh:
    """Add the actions that now belong on the agenda, drop automatic items that no longer
    do (unless already reviewed), refresh the reasons; keep the facilitator's order.
    Parked points stay in the backlog, untouched. Each change is in the history (`log`),
    except when the meeting is being created: its own entry counts the points."""
    assert meeting.id is not None
    reasons = agenda_reasons(session, meeting, today)
    actions = {
        a.id: a
        for a in session.exec(select(Action).where(Action.convention_id == meeting.convention_id))
    }
    present: set[int] = set(
        session.exec(
            select(AgendaItem.action_id).where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.parked_at.is_not(None),  # type: ignore[union-attr]
                AgendaItem.action_id.is_not(None),  # type: ignore[union-attr]
            )
        )
    )
    kept, removed, updated = [], 0, 0
    for item in _items(session, meeting.id):
        if item.action_id is None:
            kept.append(item)
            continue
        found = reasons.get(item.action_id)
        own = [r for r in item.reason.split(",") if r in (MANUAL, PARKED)]
        if found is None and not own and item.reviewed_at is None:
            if log:
                _log_item(
                    session, user, meeting, item, "remove", {"action_id": [item.action_id, None]}
                )
            session.delete(item)
            removed += 1
            continue
        reason = ",".join(own + (found or []))
        if found is not None and reason != item.reason:
            if log:
                _log_item(session, user, meeting, item, "update", {"reason": [item.reason, reason]})
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
            planned_minutes=point_minutes(reasons[action_id]),
        )
        session.add(item)
        kept.append(item)
        if log:
            _log_item(session, user, meeting, item, "create", {"action_id": [None, action_id]})
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
    """Create a meeting (status "prévue"), numbered within its kind (« COPIL n° 3 »), with
    its automatic agenda, in one commit."""
    editable_convention(session, user, convention_id, "organiser un comité de cette convention")
    data = validated(MeetingData, data)
    last = session.exec(
        select(sa.func.max(Meeting.number)).where(
            Meeting.convention_id == convention_id, Meeting.kind == data.kind
        )
    ).one()
    values = data.model_dump()
    values["planned_minutes"] = data.planned_minutes or MEETING_MINUTES[data.kind]
    meeting = Meeting(
        convention_id=convention_id,
        status=MeetingStatus.planned,
        created_by_id=user.id,
        number=(last or 0) + 1,
        **values,
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    agenda = _sync_agenda(session, user, meeting, today, log=False)
    log_change(
        session,
        user,
        "meeting",
        meeting.id,
        "create",
        diff({}, {**values, "number": meeting.number, "agenda": agenda.added}),
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
    for name in ("kind", "held_on", "status", "attendees", "planned_minutes"):
        if name in values and values[name] is None:
            raise ValidationFailed({name: f"{FIELD_LABELS[name]} est obligatoire."})
    if "kind" in values and values["kind"] is not meeting.kind:
        raise ValidationFailed(
            {"kind": "Le type d'une réunion ne change pas : créez une autre réunion."}
        )
    before = {name: getattr(meeting, name) for name in values}
    merged = {**{"held_on": meeting.held_on, "next_meeting_on": meeting.next_meeting_on}, **values}
    if merged["next_meeting_on"] and merged["next_meeting_on"] <= merged["held_on"]:
        raise ValidationFailed({"next_meeting_on": "La prochaine réunion doit suivre celle-ci."})
    changes = diff(before, values)
    if not changes:
        return meeting
    if "attendees" in values:  # presence is kept only for people still on the list
        kept = {k: v for k, v in (meeting.attendance or {}).items() if k in values["attendees"]}
        if kept != (meeting.attendance or {}):
            values["attendance"] = kept
    _write_meeting(session, user, meeting, seen_version, values, "update", changes)
    return meeting


@command
def start_meeting(
    session: Session, user: CurrentUser, meeting_id: int, seen_version: int
) -> Meeting:
    """The séance begins: status « en cours », and the clock of the meeting starts."""
    meeting = _meeting_for_edit(session, user, meeting_id)
    if meeting.started_at is not None:
        return meeting
    _write_meeting(
        session,
        user,
        meeting,
        seen_version,
        {"status": MeetingStatus.open, "started_at": utcnow()},
        "start",
        {"status": [MeetingStatus.planned.value, MeetingStatus.open.value]},
    )
    return meeting


@command
def record_attendance(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    seen_version: int,
    data: AttendanceData | Mapping[str, Any],
) -> Meeting:
    """Présent, excusé or absent for participants of the meeting (others unchanged)."""
    meeting = _meeting_for_edit(session, user, meeting_id)
    data = validated(AttendanceData, data)
    unknown = [name for name in data.attendance if name not in (meeting.attendees or [])]
    if unknown:
        raise ValidationFailed(
            {"attendance": f"{unknown[0]} n'est pas parmi les participants de la réunion."}
        )
    before = dict(meeting.attendance or {})
    after = {**before, **{name: value.value for name, value in data.attendance.items()}}
    changes = {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }
    if not changes:
        return meeting
    _write_meeting(
        session,
        user,
        meeting,
        seen_version,
        {"attendance": after},
        "update",
        {"attendance": [_presence_text(before, changes), _presence_text(after, changes)]},
    )
    return meeting


def _write_meeting(
    session: Session,
    user: CurrentUser,
    meeting: Meeting,
    seen_version: int,
    values: Mapping[str, Any],
    operation: str,
    changes: Mapping[str, Any],
) -> None:
    """Apply `values` to the meeting under its version check, and say so in the history."""
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
        meeting.id,  # type: ignore[arg-type]
        operation,
        changes,
        convention_id=meeting.convention_id,
        meeting_id=meeting.id,
    )


def _presence_text(attendance: Mapping[str, str], names: Mapping[str, Any]) -> str:
    """« Anne Le Goff : Présente ; … » for the history (only the names that changed)."""
    return " ; ".join(
        f"{name} : {Attendance(attendance[name]).label if attendance.get(name) else '—'}"
        for name in names
    )


@command
def close_meeting(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    seen_version: int,
    change: MeetingChange | Mapping[str, Any] | None = None,
) -> Meeting:
    """Close the meeting and freeze the plan as it stands (one `PlanSnapshot` per action).

    The meeting row is locked first: quick updates still in flight (they hold it FOR SHARE)
    finish before the closing time is taken, so every update made in the meeting falls
    before its close and never reappears as « changed since the last committee ».
    `change` may carry the last words of the compte rendu (minutes, next steps, next date).
    """
    meeting = _meeting_for_edit(session, user, meeting_id, lock=True)
    change = validated(MeetingChange, change or {})
    values = change.model_dump(exclude_unset=True)
    values.pop("status", None)
    status_before = meeting.status
    now = utcnow()  # only now: every update that held the meeting has committed
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
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    *,
    today: date,
    seen_version: int | None = None,
) -> AgendaRefresh:
    meeting = _meeting_for_edit(session, user, meeting_id)
    _take_agenda(session, user, meeting, seen_version, "refresh")
    return _sync_agenda(session, user, meeting, today)


@command
def move_agenda_item(
    session: Session,
    user: CurrentUser,
    item_id: int,
    offset: int,
    *,
    seen_version: int | None = None,
) -> None:
    """Move an item up (offset -1) or down (+1); positions stay 0..n-1."""
    item, meeting = _item_of_meeting(session, user, item_id, seen_version, "move")
    if item.parked_at is not None:
        raise ValidationFailed(
            {"item": "Ce point est reporté : remettez-le d'abord à l'ordre du jour."}
        )
    items = _items(session, item.meeting_id)
    index = next(i for i, it in enumerate(items) if it.id == item_id)
    target = min(max(index + offset, 0), len(items) - 1)
    if target == index:
        return
    items.insert(target, items.pop(index))
    _renumber(items)
    _log_item(session, user, meeting, item, "update", {"position": [index + 1, target + 1]})


@command
def add_agenda_item(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    *,
    action_id: int | None = None,
    title: str = "",
    planned_minutes: int | str | None = None,
    presenter: str = "",
    seen_version: int | None = None,
) -> AgendaItem:
    """Add an action of the convention, or a free point ("Questions diverses"), at the end."""
    meeting = _meeting_for_edit(session, user, meeting_id)
    data = validated(
        AgendaPointData,
        {
            "action_id": action_id,
            "title": title,
            "planned_minutes": planned_minutes,
            "presenter": presenter,
        },
    )
    _take_agenda(session, user, meeting, seen_version, "add")
    title = data.title
    if data.action_id is not None:
        action = session.get(Action, data.action_id)
        if action is None or action.convention_id != meeting.convention_id:
            raise ValidationFailed({"action_id": "Cette action n'appartient pas à la convention."})
        listed = session.exec(
            select(AgendaItem).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.action_id == data.action_id
            )
        ).first()
        if listed is not None:
            raise ValidationFailed(
                {
                    "action_id": "Cette action est dans les points reportés : remettez-la à "
                    "l'ordre du jour."
                    if listed.parked_at is not None
                    else "Cette action est déjà à l'ordre du jour."
                }
            )
        title = action.title
    item = AgendaItem(
        meeting_id=meeting_id,
        position=len(_items(session, meeting_id)),
        action_id=data.action_id,
        title=title,
        reason=MANUAL,
        planned_minutes=data.planned_minutes
        or point_minutes([MANUAL], free=data.action_id is None),
        presenter=data.presenter,
    )
    session.add(item)
    _log_item(
        session,
        user,
        meeting,
        item,
        "create",
        _filled({"action_id": data.action_id, "title": title, "presenter": data.presenter}),
    )
    return item


@command
def update_agenda_item(
    session: Session,
    user: CurrentUser,
    item_id: int,
    change: AgendaItemChange | Mapping[str, Any],
    *,
    seen_version: int | None = None,
) -> AgendaItem:
    """Change a point's planned duration or presenter."""
    item, meeting = _item_of_meeting(session, user, item_id, seen_version, "update")
    values = validated(AgendaItemChange, change).model_dump(exclude_unset=True)
    if "planned_minutes" in values and values["planned_minutes"] is None:
        raise ValidationFailed({"planned_minutes": "Durée prévue (min) est obligatoire."})
    if values.get("presenter") is None:
        values.pop("presenter", None)
    changes = diff({name: getattr(item, name) for name in values}, values)
    for name, value in values.items():
        setattr(item, name, value)
    if changes:
        _log_item(session, user, meeting, item, "update", changes)
    return item


@command
def remove_agenda_item(
    session: Session, user: CurrentUser, item_id: int, *, seen_version: int | None = None
) -> None:
    item, meeting = _item_of_meeting(session, user, item_id, seen_version, "remove")
    _log_item(
        session,
        user,
        meeting,
        item,
        "remove",
        diff({"action_id": item.action_id, "title": item.title}, {"action_id": None, "title": ""}),
    )
    session.delete(item)
    session.flush()
    _renumber(_items(session, meeting.id))  # type: ignore[arg-type]


@command
def park_agenda_item(
    session: Session, user: CurrentUser, item_id: int, *, seen_version: int | None = None
) -> None:
    """Take a point off this agenda into the backlog: the next meeting of the convention
    offers it again."""
    item, meeting = _item_of_meeting(session, user, item_id, seen_version, "park")
    if item.parked_at is not None:
        return
    now = utcnow()
    item.parked_at = now
    _log_item(session, user, meeting, item, "park", {"parked_at": [None, now.isoformat()]})
    session.flush()
    _renumber(_items(session, meeting.id))  # type: ignore[arg-type]


@command
def unpark_agenda_item(
    session: Session, user: CurrentUser, item_id: int, *, seen_version: int | None = None
) -> None:
    """Put a point parked in this meeting back at the end of its agenda."""
    item, meeting = _item_of_meeting(session, user, item_id, seen_version, "unpark")
    if item.parked_at is None:
        return
    if item.carried_to_id is not None:
        raise ValidationFailed({"item": "Ce point a déjà été repris par une autre réunion."})
    parked_at = item.parked_at
    item.parked_at = None
    item.position = len(_items(session, meeting.id))  # type: ignore[arg-type]
    _log_item(session, user, meeting, item, "update", {"parked_at": [parked_at.isoformat(), None]})


@command
def take_up_parked(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    parked_item_id: int,
    *,
    seen_version: int | None = None,
) -> AgendaItem:
    """Bring a point parked in another meeting of the convention onto this agenda. The
    parked point (even of a closed meeting) only records which meeting took it up."""
    meeting = _meeting_for_edit(session, user, meeting_id)
    _take_agenda(session, user, meeting, seen_version, "take_up")
    parked = _item(session, parked_item_id)
    origin = session.get(Meeting, parked.meeting_id)
    if (
        origin is None
        or origin.convention_id != meeting.convention_id
        or origin.id == meeting.id
        or parked.parked_at is None
    ):
        raise ValidationFailed({"item": "Ce point n'est pas dans les points reportés."})
    if parked.carried_to_id is not None:
        raise ValidationFailed({"item": "Ce point a déjà été repris par une autre réunion."})
    parked.carried_to_id = meeting_id
    listed = None
    if parked.action_id is not None:
        listed = session.exec(
            select(AgendaItem).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.action_id == parked.action_id
            )
        ).first()
    if listed is not None:  # already on this agenda: it now says it was carried over too
        if PARKED not in listed.reason.split(","):
            listed.reason = ",".join([PARKED, *[r for r in listed.reason.split(",") if r]])
        listed.parked_at = None
        _log_item(session, user, meeting, listed, "update", {"reason": [None, PARKED]})
        return listed
    item = AgendaItem(
        meeting_id=meeting_id,
        position=len(_items(session, meeting_id)),
        action_id=parked.action_id,
        title=parked.title,
        reason=PARKED,
        planned_minutes=parked.planned_minutes,
        presenter=parked.presenter,
    )
    session.add(item)
    _log_item(
        session,
        user,
        meeting,
        item,
        "create",
        _filled({"action_id": parked.action_id, "title": parked.title, "reason": PARKED}),
    )
    return item


@command
def mark_reviewed(
    session: Session, user: CurrentUser, item_id: int, *, seen_version: int | None = None
) -> None:
    """The committee went through this point without changing anything."""
    item, meeting = _item_of_meeting(session, user, item_id, seen_version, "review")
    if item.parked_at is not None:
        raise ValidationFailed({"item": "Ce point a été reporté à une prochaine réunion."})
    if item.reviewed_at is None:
        item.reviewed_at = utcnow()
        _log_item(
            session,
            user,
            meeting,
            item,
            "update",
            {"reviewed_at": [None, item.reviewed_at.isoformat()]},
        )


# --- decisions and live updates -----------------------------------------------------

_CODE_NUMBER = re.compile(r"-(\d+)$")


def _next_code(session: Session, convention_id: int, axis: Axis) -> str:
    """The next free code of the axis in the convention: PE-01, PE-02… (PE-07 after PE-06)."""
    codes = session.exec(
        select(Action.code).where(
            Action.convention_id == convention_id,
            Action.code.startswith(f"{axis.code}-"),  # type: ignore[attr-defined]
        )
    ).all()
    numbers = [int(m.group(1)) for c in codes if (m := _CODE_NUMBER.search(c))]
    return f"{axis.code}-{max(numbers, default=0) + 1:02d}"


def _stage_decision(
    session: Session, user: CurrentUser, meeting: Meeting, data: DecisionData
) -> Decision:
    if data.action_id is not None:
        action = session.get(Action, data.action_id)
        if action is None or action.convention_id != meeting.convention_id:
            raise ValidationFailed({"action_id": "Cette action n'appartient pas à la convention."})
    created = None
    if data.kind is DecisionKind.action:
        axis = session.get(Axis, data.new_axis_id)
        if axis is None or axis.archived_at is not None:
            raise ValidationFailed({"new_axis_id": "Axe inconnu ou archivé."})
        fiche = validated(
            ActionData,
            {
                "axis_id": axis.id,
                "code": _next_code(session, meeting.convention_id, axis),
                "title": data.new_title or data.text,
                "lead": data.new_lead,
                "due_on": data.new_due_on,
                "last_comment": f"Décidée en séance ({meeting.kind.label} n° {meeting.number}).",
            },
        )
        created = insert_action(session, user, meeting.convention_id, fiche, meeting_id=meeting.id)
    decision = Decision(
        meeting_id=meeting.id,  # type: ignore[arg-type]
        action_id=data.action_id,
        text=data.text,
        kind=data.kind,
        confidential=data.confidential,
        created_action_id=created.id if created else None,
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
        diff(
            {},
            {
                "text": data.text,
                "kind": data.kind,
                "confidential": data.confidential,
                "action_id": data.action_id,
                "created_action_id": decision.created_action_id,
            },
        ),
        convention_id=meeting.convention_id,
        meeting_id=meeting.id,
    )
    return decision


def _decision_input(decision: str | Mapping[str, Any] | DecisionData) -> dict[str, Any] | None:
    """A decision as typed: a text alone, or the decision form's fields; None when empty."""
    if isinstance(decision, DecisionData):
        return decision.model_dump()
    fields = {"text": decision} if isinstance(decision, str) else dict(decision)
    text = fields.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    return fields


@command
def record_decision(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    decision: str | Mapping[str, Any] | DecisionData,
    *,
    action_id: int | None = None,
    reviewed_item_id: int | None = None,
) -> Decision:
    """Record a decision (an « action à mener » creates its fiche in the same commit); with
    `reviewed_item_id`, that agenda point is marked as gone through too (a free point)."""
    meeting = _meeting_for_edit(session, user, meeting_id, hold=True)
    fields = _decision_input(decision) or {"text": ""}
    if action_id is not None:
        fields["action_id"] = action_id
    data = validated(DecisionData, fields)
    row = _stage_decision(session, user, meeting, data)
    if reviewed_item_id is not None:
        item = _item(session, reviewed_item_id)
        if item.meeting_id != meeting_id:
            raise ValidationFailed({"item": "Ce point appartient à une autre réunion."})
        if item.reviewed_at is None:
            item.reviewed_at = utcnow()
    return row


@dataclass(frozen=True)
class QuickUpdateResult:
    action_id: int
    changes: dict[str, list[Any]]
    decision_id: int | None
    new_version: int
    created_action_id: int | None = None


@command
def quick_update(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    action_id: int,
    seen_version: int,
    change: QuickChange | Mapping[str, Any],
    *,
    decision: str | Mapping[str, Any] | DecisionData = "",
) -> QuickUpdateResult:
    """Update an action during a meeting, optionally with a decision, in ONE commit.

    The change log entry carries the meeting; the action's agenda item is marked reviewed.
    A conflict (someone saved the action meanwhile) refuses the whole update, decision and
    any fiche it would have created included.
    """
    meeting = _meeting_for_edit(session, user, meeting_id, hold=True)
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    if action.convention_id != meeting.convention_id:
        raise ValidationFailed({"action_id": "Cette action n'appartient pas à la convention."})
    values = validated(QuickChange, change).model_dump(exclude_unset=True)
    fields = _decision_input(decision)
    decision_data = validated(DecisionData, {**fields, "action_id": action_id}) if fields else None
    changes = apply_action_change(
        session, user, action, seen_version, values, meeting_id=meeting_id
    )
    row = _stage_decision(session, user, meeting, decision_data) if decision_data else None
    now = utcnow()
    for item in session.exec(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting_id, AgendaItem.action_id == action_id
        )
    ):
        item.reviewed_at = now
    version = session.exec(select(Action.version).where(Action.id == action_id)).one()
    return QuickUpdateResult(
        action_id,
        changes,
        row.id if row else None,
        version,
        row.created_action_id if row else None,
    )
