"""Rules shared by the committee's verbs and nouns: who may read a meeting, which meeting
came before, what counts as "since the last committee", and which actions belong on the
automatic agenda.

The agenda is built from the data: actions en retard, with a point de vigilance, due
within the next three months, or changed since the previous (closed) meeting of the same
convention. Each item keeps its reasons as comma-separated codes in `AgendaItem.reason`
("late,vigilance"); items added by hand carry "manual".

Dates: "late" and "due soon" are judged at the meeting's date when it lies ahead (the
agenda is prepared for that day), else at `today`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, readable_convention
from ctg_core.common.errors import NotFound
from ctg_core.common.models import (
    CLOSED_STATUSES,
    Action,
    ChangeLog,
    Meeting,
    MeetingStatus,
    is_late,
)

DUE_SOON_DAYS = 92
REASONS = ("late", "vigilance", "due_soon", "changed")
MANUAL = "manual"


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


def agenda_order(actions: dict[int, Action], reasons: dict[int, list[str]]) -> list[int]:
    """Late first, then vigilance, due soon, changed; then by due date and code."""

    def key(action_id: int) -> tuple[int, date, str]:
        action = actions[action_id]
        return (REASONS.index(reasons[action_id][0]), action.due_on or date.max, action.code)

    return sorted(reasons, key=key)
