"""Rules shared by the committee's verbs and nouns: who may read a meeting, which meeting
came before, what counts as "since the last committee", and which actions belong on the
automatic agenda.

The agenda is built from the data: actions en retard, with a point de vigilance, due
within the next three months, or changed since the previous (closed) meeting of the same
convention. Each item keeps its reasons as comma-separated codes in `AgendaItem.reason`
("late,vigilance"); items added by hand carry "manual".

Dates: "late" and "due soon" are judged at the meeting's date when it lies ahead (the
agenda is prepared for that day), else at `today`.

Time: each point has a planned duration, by default from its first reason (a late action
needs more time than one due soon); a meeting has a planned length, by default from its
kind. `timing` adds the points up against that length and says when the agenda overruns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, readable_convention
from ctg_core.common.errors import NotFound
from ctg_core.common.models import (
    CLOSED_STATUSES,
    Action,
    ActionStatus,
    ChangeLog,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanSnapshot,
    is_late,
)

DUE_SOON_DAYS = 92
REASONS = ("late", "vigilance", "due_soon", "changed")
MANUAL = "manual"
PARKED = "parked"  # a point taken up from the backlog of an earlier meeting

# Planned minutes of a point, by its first reason; a free point (no action) takes FREE_POINT.
POINT_MINUTES = {"late": 10, "vigilance": 8, "due_soon": 5, "changed": 5, MANUAL: 5, PARKED: 10}
FREE_POINT_MINUTES = 10
MEETING_MINUTES = {MeetingKind.copil: 120, MeetingKind.cotech: 90}
MAX_POINT_MINUTES = 240
MAX_MEETING_MINUTES = 600


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones: make them comparable."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def readable_meeting(session: Session, user: CurrentUser, meeting_id: int) -> Meeting:
    """The meeting if the user may read its convention (same errors as the convention)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("réunion", meeting_id)
    readable_convention(session, user, meeting.convention_id)
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


def reference_day(meeting: Meeting, today: date) -> date:
    return max(today, meeting.held_on)


# --- "since the last committee": one definition for the agenda, the tables and the minutes --


@dataclass(frozen=True)
class ActionState:
    """What a committee looks at on an action: frozen at a closing, or as it stands."""

    status: ActionStatus
    progress: int
    vigilance: str


def states_at(
    session: Session, meeting_id: int, action_id: int | None = None
) -> dict[int, ActionState]:
    """The plan (or one action of it) frozen when the meeting was closed (empty if it holds
    no snapshot)."""
    query = select(PlanSnapshot).where(PlanSnapshot.meeting_id == meeting_id)
    if action_id is not None:
        query = query.where(PlanSnapshot.action_id == action_id)
    return {
        s.action_id: ActionState(ActionStatus(s.status), s.progress, s.vigilance or "")
        for s in session.exec(query)
    }


def states_now(session: Session, convention_id: int) -> dict[int, ActionState]:
    """The live actions of the convention as they stand."""
    return {
        a.id: ActionState(ActionStatus(a.status), a.progress, a.vigilance or "")  # type: ignore[misc]
        for a in session.exec(
            select(Action).where(
                Action.convention_id == convention_id,
                Action.archived_at.is_(None),  # type: ignore[union-attr]
            )
        )
    }


@dataclass(frozen=True)
class Changes:
    """What changed on the plan between two moments of a convention: the states at both
    ends (`then` empty when there is no frozen state to start from) and the history
    entries of each action in between."""

    then: dict[int, ActionState]
    now: dict[int, ActionState]
    entries: dict[int, list[ChangeLog]]

    def changed(self) -> set[int]:
        """Actions whose state differs from the start, created since, or updated since."""
        moved = {
            ident
            for ident, state in self.now.items()
            if self.then and (ident not in self.then or self.then[ident] != state)
        }
        return moved | set(self.entries)


def changes_between(
    session: Session,
    convention_id: int,
    start: Meeting | None,
    end: Meeting | None,
    *,
    besides_meeting: int | None = None,
) -> Changes:
    """The changes after the closing of `start` (from the beginning when None) up to the
    closing of `end` (up to now when None or not closed). History entries linked to
    `besides_meeting` are left out (updates made in the meeting being prepared)."""
    query = select(ChangeLog).where(
        ChangeLog.entity == "action",
        ChangeLog.convention_id == convention_id,
        ChangeLog.operation == "update",
    )
    since = closed_since(start)
    if since is not None:
        query = query.where(ChangeLog.at > since)
    closed = end is not None and end.status is MeetingStatus.closed and end.closed_at is not None
    if closed:
        query = query.where(ChangeLog.at <= end.closed_at)  # type: ignore[union-attr, operator]
    if besides_meeting is not None:
        query = query.where(
            sa.or_(ChangeLog.meeting_id.is_(None), ChangeLog.meeting_id != besides_meeting)  # type: ignore[union-attr]
        )
    entries: dict[int, list[ChangeLog]] = {}
    for entry in session.exec(query.order_by(ChangeLog.id)):  # type: ignore[arg-type]
        entries.setdefault(entry.entity_id, []).append(entry)
    then = states_at(session, start.id) if start is not None else {}  # type: ignore[arg-type]
    now = states_at(session, end.id) if closed else states_now(session, convention_id)  # type: ignore[union-attr, arg-type]
    return Changes(then, now, entries)


def agenda_reasons(session: Session, meeting: Meeting, today: date) -> dict[int, list[str]]:
    """For each action that belongs on the agenda, why (codes in `REASONS` order)."""
    day = reference_day(meeting, today)
    actions = session.exec(
        select(Action).where(
            Action.convention_id == meeting.convention_id,
            Action.archived_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    changed: set[int] = set()
    previous = previous_meeting(session, meeting)
    if previous is not None:
        changed = changes_between(
            session, meeting.convention_id, previous, None, besides_meeting=meeting.id
        ).changed()
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


def agenda_order(actions: dict[int, Action], reasons: dict[int, list[str]]) -> list[int]:
    """Late first, then vigilance, due soon, changed; then by due date and code."""

    def key(action_id: int) -> tuple[int, date, str]:
        action = actions[action_id]
        return (REASONS.index(reasons[action_id][0]), action.due_on or date.max, action.code)

    return sorted(reasons, key=key)


def point_minutes(reasons: Iterable[str], *, free: bool = False) -> int:
    """The default duration of a point: from its first reason, else a free point's."""
    first = next(iter(reasons), None)
    if first is None or (free and first == MANUAL):
        return FREE_POINT_MINUTES if free else POINT_MINUTES[MANUAL]
    return POINT_MINUTES.get(first, POINT_MINUTES[MANUAL])


def meeting_minutes(kind: MeetingKind, planned: int | None) -> int:
    """The planned length of a meeting: its own, else the default of its kind."""
    return planned if planned else MEETING_MINUTES[kind]


@dataclass(frozen=True)
class Timing:
    """The agenda against the meeting's length: when each point starts (minutes from the
    start), the total, and by how much it overruns (0 when it fits)."""

    starts: tuple[int, ...]
    total: int
    planned: int

    @property
    def overrun(self) -> int:
        return max(0, self.total - self.planned)


def timing(durations: Iterable[int], planned: int) -> Timing:
    starts, total = [], 0
    for minutes in durations:
        starts.append(total)
        total += minutes
    return Timing(tuple(starts), total, planned)
