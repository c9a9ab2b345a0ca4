"""Nouns of the committees that the Comité page reads: meetings of a convention, a
meeting's detail and agenda, history since the last committee, updates made in séance,
and the plan compared with a snapshot. The verbs are in `committee.commands`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from ctg_core.committee.rules import (
    aware,
    closed_since,
    previous_meeting,
    readable_meeting,
    reference_day,
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

    @property
    def label(self) -> str:
        return f"{meeting_label(self.kind, self.held_on)} — {self.status.label}"


def meetings_of(session: Session, user: CurrentUser, convention_id: int) -> list[MeetingRow]:
    """Meetings of a convention, most recent first."""
    readable_convention(session, user, convention_id)
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
        previous_label=meeting_label(previous.kind, previous.held_on) if previous else "",
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
        return [AGENDA_REASON_LABELS.get(r, r) for r in self.reasons]


def agenda(session: Session, user: CurrentUser, meeting_id: int, today: date) -> list[AgendaRow]:
    meeting = readable_meeting(session, user, meeting_id)
    day = reference_day(meeting, today)
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
    meeting = readable_meeting(session, user, meeting_id)
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
    meeting = readable_meeting(session, user, meeting_id)
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
