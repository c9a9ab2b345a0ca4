"""Nouns of the committees that the Comité page reads: meetings of a convention, a
meeting's detail and agenda, history since the last committee, updates made in séance,
and the plan compared with a snapshot. The verbs are in `committee.commands`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.committee.rules import (
    ActionState,
    Changes,
    Timing,
    aware,
    changes_between,
    closed_since,
    meeting_minutes,
    previous_meeting,
    readable_meeting,
    reference_day,
    states_at,
    timing,
)
from ctg_core.common import formats
from ctg_core.common.auth import CurrentUser, readable_convention
from ctg_core.common.errors import NotFound
from ctg_core.common.history import HistoryLine, history_lines
from ctg_core.common.labels import AGENDA_REASON_LABELS, meeting_label
from ctg_core.common.models import (
    Action,
    ActionStatus,
    AgendaItem,
    Attendance,
    Axis,
    ChangeLog,
    Convention,
    CooperationPost,
    Decision,
    DecisionKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanSnapshot,
    Territory,
    User,
    UserTerritory,
    is_late,
)


@dataclass(frozen=True)
class MeetingRow:
    id: int
    kind: MeetingKind
    held_on: date
    place: str
    status: MeetingStatus
    version: int
    number: int = 1

    @property
    def name(self) -> str:
        """« COPIL n° 3 du 25/11/2026 »: unique within the convention."""
        return meeting_label(self.kind, self.held_on, self.number)

    @property
    def label(self) -> str:
        return f"{self.name} — {self.status.label}"


def meetings_of(session: Session, user: CurrentUser, convention_id: int) -> list[MeetingRow]:
    """Meetings of a convention, most recent first."""
    readable_convention(session, user, convention_id)
    rows = session.exec(
        select(Meeting)
        .where(Meeting.convention_id == convention_id)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())  # type: ignore[attr-defined]
    ).all()
    return [
        MeetingRow(m.id, m.kind, m.held_on, m.place, m.status, m.version, m.number)  # type: ignore[arg-type]
        for m in rows
    ]


def meeting_convention(session: Session, user: CurrentUser, meeting_id: int) -> int:
    """The convention of a meeting the user may read (a link names only the meeting)."""
    return readable_meeting(session, user, meeting_id).convention_id


@dataclass(frozen=True)
class DecisionRow:
    id: int
    text: str
    action_id: int | None
    action_code: str
    action_title: str
    created_at: datetime
    created_by: str
    kind: DecisionKind = DecisionKind.decision
    confidential: bool = False
    created_action_id: int | None = None
    created_action: str = ""  # « PE-07 — Relais itinérant (pilote : …, échéance …) »


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
    number: int = 1
    planned_minutes: int = 120
    started_at: datetime | None = None
    attendance: dict[str, Attendance] = field(default_factory=dict)
    agenda_version: int = 1

    @property
    def title(self) -> str:
        """« COPIL n° 3 du 25 novembre 2026 »."""
        return f"{self.kind.label} n° {self.number} du {formats.long_day(self.held_on)}"

    @property
    def name(self) -> str:
        """« COPIL n° 3 du 25/11/2026 »."""
        return meeting_label(self.kind, self.held_on, self.number)

    @property
    def closed(self) -> bool:
        return self.status is MeetingStatus.closed


def meeting_detail(session: Session, user: CurrentUser, meeting_id: int) -> MeetingDetail:
    meeting = readable_meeting(session, user, meeting_id)
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
            meeting_label(previous.kind, previous.held_on, previous.number) if previous else ""
        ),
        since=closed_since(previous),
        decisions=decisions_of(session, meeting_id),
        number=meeting.number,
        planned_minutes=meeting_minutes(meeting.kind, meeting.planned_minutes),
        started_at=aware(meeting.started_at),
        attendance={
            name: Attendance(value)
            for name, value in (meeting.attendance or {}).items()
            if value in Attendance._value2member_map_
        },
        agenda_version=meeting.agenda_version,
    )


def decisions_of(session: Session, meeting_id: int) -> list[DecisionRow]:
    created = sa.orm.aliased(Action)
    rows = session.exec(
        select(Decision, Action.code, Action.title, User.name, created)
        .join(Action, Action.id == Decision.action_id, isouter=True)  # type: ignore[arg-type]
        .join(User, User.id == Decision.created_by_id, isouter=True)  # type: ignore[arg-type]
        .join(created, created.id == Decision.created_action_id, isouter=True)  # type: ignore[arg-type]
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
            kind=d.kind,
            confidential=d.confidential,
            created_action_id=d.created_action_id,
            created_action=_fiche_text(new) if new is not None else "",
        )
        for d, code, title, name, new in rows
    ]


def _fiche_text(action: Action) -> str:
    """« PE-07 — Relais itinérant (pilote : Mairie, échéance : 30/06/2027) »."""
    facts = []
    if action.lead:
        facts.append(f"pilote : {action.lead}")
    if action.due_on:
        facts.append(f"échéance : {formats.day(action.due_on)}")
    suffix = f" ({', '.join(facts)})" if facts else ""
    return f"{action.code} — {action.title}{suffix}"


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
    planned_minutes: int = 5
    presenter: str = ""

    @property
    def reason_labels(self) -> list[str]:
        return [AGENDA_REASON_LABELS.get(r, r) for r in self.reasons]


def agenda(session: Session, user: CurrentUser, meeting_id: int, today: date) -> list[AgendaRow]:
    """The points on the agenda, in order (parked points are in `parked_points`)."""
    meeting = readable_meeting(session, user, meeting_id)
    day = reference_day(meeting, today)
    rows = session.exec(
        select(AgendaItem, Action, Axis.label)
        .join(Action, Action.id == AgendaItem.action_id, isouter=True)  # type: ignore[arg-type]
        .join(Axis, Axis.id == Action.axis_id, isouter=True)  # type: ignore[arg-type]
        .where(
            AgendaItem.meeting_id == meeting_id,
            AgendaItem.parked_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    result = []
    for item, action, axis_label in rows:
        common = {
            "item_id": item.id,
            "position": item.position,
            "reasons": tuple(r for r in item.reason.split(",") if r),
            "reviewed": item.reviewed_at is not None,
            "planned_minutes": item.planned_minutes,
            "presenter": item.presenter,
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


def agenda_timing(rows: list[AgendaRow], detail: MeetingDetail) -> Timing:
    """When each point starts, the total, and the overrun against the meeting's length."""
    return timing((row.planned_minutes for row in rows), detail.planned_minutes)


@dataclass(frozen=True)
class ParkedPoint:
    """A point taken off an agenda into the backlog."""

    item_id: int
    meeting_id: int
    meeting: str  # « COPIL n° 2 du 21/01/2026 »
    title: str
    code: str
    planned_minutes: int
    presenter: str
    parked_at: datetime


def _parked(session: Session, query: Any) -> list[ParkedPoint]:
    rows = session.exec(
        query.join(Meeting, Meeting.id == AgendaItem.meeting_id)  # type: ignore[arg-type]
        .join(Action, Action.id == AgendaItem.action_id, isouter=True)  # type: ignore[arg-type]
        .where(
            AgendaItem.parked_at.is_not(None),  # type: ignore[union-attr]
            AgendaItem.carried_to_id.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Meeting.held_on, AgendaItem.parked_at, AgendaItem.id)
    ).all()
    return [
        ParkedPoint(
            item.id,
            meeting.id,
            meeting_label(meeting.kind, meeting.held_on, meeting.number),
            action.title if action else item.title,
            action.code if action else "",
            item.planned_minutes,
            item.presenter,
            aware(item.parked_at),  # type: ignore[arg-type]
        )
        for item, meeting, action in rows
    ]


def parked_points(session: Session, user: CurrentUser, meeting_id: int) -> list[ParkedPoint]:
    """Points parked during this meeting and not yet taken up by another."""
    readable_meeting(session, user, meeting_id)
    return _parked(
        session,
        select(AgendaItem, Meeting, Action).where(AgendaItem.meeting_id == meeting_id),
    )


def backlog(session: Session, user: CurrentUser, meeting_id: int) -> list[ParkedPoint]:
    """Points parked in the other meetings of the convention, still waiting to be taken up:
    what this meeting is offered again."""
    meeting = readable_meeting(session, user, meeting_id)
    return _parked(
        session,
        select(AgendaItem, Meeting, Action).where(
            Meeting.convention_id == meeting.convention_id, AgendaItem.meeting_id != meeting_id
        ),
    )


def convention_actions(session: Session, user: CurrentUser, convention_id: int) -> list[tuple]:
    """(id, code, title) of the live actions of a convention, for pickers."""
    readable_convention(session, user, convention_id)
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
    convention = readable_convention(session, user, convention_id)
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


def action_history_since(
    session: Session, user: CurrentUser, action_id: int, since: datetime | None
) -> list[HistoryLine]:
    """The action's change log after `since` (all of it when None), newest first."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    readable_convention(session, user, action.convention_id, archived=True)
    return history_lines(session, "action", action_id, since=since)


@dataclass(frozen=True)
class PointChanges:
    """What changed on one action since the previous committee, for the presenter: its
    state as that committee froze it, and the history since (newest first)."""

    previous: str  # « COPIL n° 2 du 21/01/2026 », or "" when there was none
    then: ActionState | None
    lines: list[HistoryLine]


def point_changes(
    session: Session, user: CurrentUser, meeting_id: int, action_id: int
) -> PointChanges:
    meeting = readable_meeting(session, user, meeting_id)
    previous = previous_meeting(session, meeting)
    then = None
    if previous is not None:
        then = states_at(session, previous.id, action_id).get(action_id)  # type: ignore[arg-type]
    lines = [
        line
        for line in action_history_since(session, user, action_id, closed_since(previous))
        if line.operation in {"update", "create", "archive"}
    ]
    label = meeting_label(previous.kind, previous.held_on, previous.number) if previous else ""
    return PointChanges(label, then, lines)


@dataclass(frozen=True)
class Evolution:
    """What changed on one action over a period: old → new (None when unchanged), and from
    the history, the comments written and who changed it."""

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
    last_at: datetime | None
    new: bool = False  # created since the start of the period


def _span(rows: list[ChangeLog], name: str) -> tuple[Any, Any]:
    touched = [r.changes[name] for r in rows if name in r.changes]
    return (touched[0][0], touched[-1][1]) if touched else (None, None)


def _evolution(
    action: Action,
    rows: list[ChangeLog],
    then: ActionState | None,
    now: ActionState | None,
    new: bool,
) -> Evolution | None:
    """Old → new from the frozen states when both ends have one, else from the history."""
    if then is not None and now is not None:
        status = (then.status, now.status)
        progress = (then.progress, now.progress)
        vigilance = now.vigilance if now.vigilance != then.vigilance else None
    elif new and now is not None:
        status, progress = (None, now.status), (None, now.progress)
        vigilance = now.vigilance or None
    else:
        status, progress = _span(rows, "status"), _span(rows, "progress")
        vigilance = _span(rows, "vigilance")[1]
    status_changed = status[0] != status[1]
    progress_changed = progress[0] != progress[1]
    comments = [r.changes["last_comment"][1] for r in rows if "last_comment" in r.changes]
    if not (rows or new or status_changed or progress_changed or vigilance is not None):
        return None
    return Evolution(
        action_id=action.id,  # type: ignore[arg-type]
        code=action.code,
        title=action.title,
        status_before=ActionStatus(status[0]) if status_changed and status[0] else None,
        status_after=ActionStatus(status[1]) if status_changed and status[1] else None,
        progress_before=progress[0] if progress_changed else None,
        progress_after=progress[1] if progress_changed else None,
        comments=[c for c in comments if c],
        vigilance=vigilance,
        people=list(dict.fromkeys(r.user_name for r in rows)),
        updates=len(rows),
        last_at=aware(rows[-1].at) if rows else None,
        new=new,
    )


def _evolutions(session: Session, changes: Changes) -> list[Evolution]:
    ids = changes.changed()
    actions = session.exec(
        select(Action).where(Action.id.in_(list(ids) or [-1]))  # type: ignore[union-attr]
    ).all()
    result = []
    for action in actions:
        ident: int = action.id  # type: ignore[assignment]
        evolution = _evolution(
            action,
            changes.entries.get(ident, []),
            changes.then.get(ident),
            changes.now.get(ident),
            new=bool(changes.then) and ident not in changes.then and ident in changes.now,
        )
        if evolution is not None:
            result.append(evolution)
    return sorted(result, key=lambda e: e.code)


def changes_since_previous(session: Session, user: CurrentUser, meeting_id: int) -> list[Evolution]:
    """Per action, what changed since the previous closed meeting of the convention (up to
    this meeting's close, or now), updates made during this meeting included: the one
    source of « ce qui a changé depuis le dernier comité », whether an empty message or a
    table is shown, in the page and in the compte rendu."""
    meeting = readable_meeting(session, user, meeting_id)
    previous = previous_meeting(session, meeting)
    return _evolutions(session, changes_between(session, meeting.convention_id, previous, meeting))


def changes_between_meetings(
    session: Session, user: CurrentUser, earlier_id: int, later_id: int | None
) -> list[Evolution]:
    """Per action, what changed from the closing of one meeting to the closing of another
    of the same convention (`later_id` None: up to now)."""
    earlier = readable_meeting(session, user, earlier_id)
    later = readable_meeting(session, user, later_id) if later_id is not None else None
    if later is not None and later.convention_id != earlier.convention_id:
        raise NotFound("réunion", later_id)
    return _evolutions(session, changes_between(session, earlier.convention_id, earlier, later))


def updates_during(session: Session, user: CurrentUser, meeting_id: int) -> list[Evolution]:
    """Per action, the updates saved during this meeting."""
    meeting = readable_meeting(session, user, meeting_id)
    entries: dict[int, list[ChangeLog]] = {}
    for entry in session.exec(
        select(ChangeLog)
        .where(
            ChangeLog.entity == "action",
            ChangeLog.meeting_id == meeting.id,
            ChangeLog.operation == "update",
        )
        .order_by(ChangeLog.id)  # type: ignore[arg-type]
    ):
        entries.setdefault(entry.entity_id, []).append(entry)
    return _evolutions(session, Changes({}, {}, entries))


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
