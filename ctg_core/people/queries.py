"""Nouns about the people who use the app and what they did: the user directory of the
administration page, and the history viewer (the change log filtered by who, what, when,
convention and meeting, in words, with a link to each record; its export is
`exchange.exports.history_viewer_table`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, can_open
from ctg_core.common.config import PARIS
from ctg_core.common.errors import ValidationFailed, require
from ctg_core.common.history import ACCESS, HistoryLine, lines_of
from ctg_core.common.labels import field_label, meeting_label
from ctg_core.common.models import (
    ChangeLog,
    Convention,
    Meeting,
    Role,
    Territory,
    User,
    UserTerritory,
)
from ctg_core.common.validation import Day, Input, validated

# --- the user directory (administration) ---------------------------------------------------


@dataclass(frozen=True)
class UserRecord:
    """A user as the administration page shows and edits them."""

    id: int
    version: int
    email: str
    name: str
    role: Role
    territory_ids: tuple[int, ...]
    territories: tuple[str, ...]
    is_active: bool
    is_demo: bool

    @property
    def label(self) -> str:
        state = "" if self.is_active else " — désactivé"
        return f"{self.name} ({self.role.label}){state}"


def users(session: Session, user: CurrentUser) -> list[UserRecord]:
    """Every user (deactivated ones too), by name; for the administrator only."""
    require(user.is_admin, "consulter la liste des utilisateurs")
    scopes: dict[int, list[tuple[str, int]]] = {}
    for user_id, territory_id, name in session.exec(
        select(UserTerritory.user_id, Territory.id, Territory.name).join(
            Territory,
            Territory.id == UserTerritory.territory_id,  # type: ignore[arg-type]
        )
    ):
        scopes.setdefault(user_id, []).append((name, territory_id))  # type: ignore[arg-type]
    records = []
    for u in session.exec(select(User).order_by(User.name, User.id)):
        scope = sorted(scopes.get(u.id, []), key=lambda pair: pair[0].casefold())  # type: ignore[arg-type]
        records.append(
            UserRecord(
                id=u.id,  # type: ignore[arg-type]
                version=u.version,
                email=u.email,
                name=u.name,
                role=u.role,
                territory_ids=tuple(ident for _, ident in scope),
                territories=tuple(name for name, _ in scope),
                is_active=u.is_active,
                is_demo=u.is_demo,
            )
        )
    return records


def user_directory(session: Session, user: CurrentUser) -> pd.DataFrame:
    """Users with their role and territories, one row each (for the administrator)."""
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "email": r.email,
            "role": r.role.label,
            "territories": ", ".join(r.territories),
            "active": r.is_active,
            "demo": r.is_demo,
        }
        for r in users(session, user)
    ]
    return pd.DataFrame(
        rows, columns=["id", "name", "email", "role", "territories", "active", "demo"]
    )


# --- the history viewer ---------------------------------------------------------------------

ENTITY_LABELS: dict[str, str] = {
    "action": "Fiches actions",
    "convention": "Conventions",
    "meeting": "Réunions",
    "decision": "Décisions",
    "indicator_value": "Valeurs d'indicateurs",
    "funding": "Financement des postes",
    "axis": "Thématiques",
    "user": "Utilisateurs",
    ACCESS: "Connexions et refus",
}
# The fields a history entry of each kind may carry, for the « quoi » filter.
ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "action": (
        *("status", "progress", "last_comment", "vigilance", "title", "code", "axis_id"),
        *("lead", "partners", "objective", "starts_on", "due_on", "budget", "archived_at"),
    ),
    "convention": (
        *("phase", "title", "signed_on", "starts_on", "ends_on", "advisor_id", "territory_id"),
    ),
    "meeting": (
        *("status", "kind", "held_on", "place", "attendees", "minutes", "next_steps"),
        "next_meeting_on",
    ),
    "decision": ("text", "action_id"),
    "indicator_value": ("value", "year", "measured_on", "source"),
    "funding": (
        *("fte", "eligible_cost", "entitlement", "renewal_status", "renewal_received_on"),
        *("renewal_signed_on", "advance_amount", "advance_paid_on"),
    ),
    "axis": ("code", "label"),
    "user": ("role", "territories", "is_active", "name", "email"),
    ACCESS: (),
}
# Entries only the administrator reads: who may do what, who came in, what was refused.
ADMIN_ONLY = frozenset({"user", ACCESS})
MAX_SHOWN = 500
MAX_EXPORTED = 50_000


@dataclass(frozen=True)
class HistoryFilters:
    """The viewer's filters; None means « tous »."""

    user_id: int | None = None
    entity: str | None = None
    field: str | None = None
    since: date | None = None
    until: date | None = None
    convention_id: int | None = None
    meeting_id: int | None = None


@dataclass(frozen=True)
class ViewerLine:
    """One change in words, with what it is about and where to open it."""

    line: HistoryLine
    subject: str  # « Fiche PE-02 · Accueil du mercredi »
    convention: str  # the convention's title, or ""
    link: str  # a path of the app (« convention?convention=3&action=12 »), or ""

    @property
    def changes(self) -> str:
        return self.line.summary


@dataclass(frozen=True)
class HistoryLog:
    lines: list[ViewerLine]
    total: int  # entries matching the filters (more than `lines` when cut)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.lines)


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


class Period(Input):
    """The viewer's period as typed in France (« 01/11/2026 »); empty means open-ended."""

    since: Day | None = None
    until: Day | None = None


def period(since: str, until: str) -> tuple[date | None, date | None]:
    """The period typed in the viewer's two boxes, or `ValidationFailed` in French."""
    typed = validated(Period, {"since": since, "until": until})
    if typed.since and typed.until and typed.until < typed.since:
        raise ValidationFailed({"until": "La fin de la période précède son début."})
    return typed.since, typed.until


def may_read_history(user: CurrentUser) -> bool:
    return can_open(user.role, "historique")


def history_log(
    session: Session, user: CurrentUser, filters: HistoryFilters, *, limit: int = MAX_SHOWN
) -> HistoryLog:
    """The change log within the user's reach, newest first, filtered; at most `limit`
    lines (the total says how many matched).

    The administrator reads everything (sign-ins and refusals included); Caf management
    everything but the users and access records; a conseiller the changes of the
    conventions they follow.
    """
    require(may_read_history(user), "consulter l'historique")
    query = _filtered(session, user, filters)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    entries = session.exec(query.order_by(ChangeLog.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
    return HistoryLog(_in_words(session, entries, filters.field), int(total))


def _filtered(session: Session, user: CurrentUser, filters: HistoryFilters):  # type: ignore[no-untyped-def]
    query = select(ChangeLog)
    if user.role is Role.caf_advisor:
        query = query.where(ChangeLog.convention_id.in_(_own_conventions(session, user)))  # type: ignore[union-attr]
    elif not user.is_admin:
        query = query.where(ChangeLog.entity.not_in(ADMIN_ONLY))  # type: ignore[attr-defined]
    if filters.user_id is not None:
        query = query.where(ChangeLog.user_id == filters.user_id)
    if filters.entity:
        query = query.where(ChangeLog.entity == filters.entity)
    if filters.field:
        key = '"' + filters.field.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
        query = query.where(sa.cast(ChangeLog.changes, sa.String).like(f'%{key}":%', escape="\\"))
    if filters.since:
        query = query.where(ChangeLog.at >= _start_of(filters.since))
    if filters.until:
        query = query.where(ChangeLog.at < _start_of(filters.until + timedelta(days=1)))
    if filters.convention_id is not None:
        query = query.where(ChangeLog.convention_id == filters.convention_id)
    if filters.meeting_id is not None:
        query = query.where(ChangeLog.meeting_id == filters.meeting_id)
    return query


def _start_of(day: date) -> datetime:
    """Midnight in France, as the stored (UTC) clock reads it."""
    return datetime.combine(day, time(), tzinfo=PARIS).astimezone(UTC)


def _own_conventions(session: Session, user: CurrentUser) -> list[int]:
    return list(session.exec(select(Convention.id).where(Convention.advisor_id == user.id)))  # type: ignore[arg-type]


def _in_words(session: Session, entries: list[ChangeLog], field: str | None) -> list[ViewerLine]:
    lines = lines_of(session, entries, subjects=True)
    if field:  # show the field asked for, not the whole entry
        lines = [
            replace(line, changes=tuple(c for c in line.changes if c.name == field))
            for line in lines
        ]
    ids = sorted({e.convention_id for e in entries if e.convention_id})
    conventions = dict(
        session.exec(
            select(Convention.id, Convention.title).where(Convention.id.in_(ids or [-1]))
        ).all()  # type: ignore[union-attr]
    )
    return [
        ViewerLine(
            line=line,
            subject=line.subject,
            convention=conventions.get(entry.convention_id or 0, ""),
            link=link_to(entry),
        )
        for entry, line in zip(entries, lines, strict=True)
    ]


def link_to(entry: ChangeLog) -> str:
    """Where the record of an entry opens in the app (a path relative to the app), or ""."""
    convention = entry.convention_id
    match entry.entity:
        case "action" if convention:
            return f"convention?convention={convention}&action={entry.entity_id}"
        case "convention":
            return f"convention?convention={entry.entity_id}"
        case "meeting" if convention:
            return f"comite?convention={convention}&reunion={entry.entity_id}"
        case "decision" if convention and entry.meeting_id:
            return f"comite?convention={convention}&reunion={entry.meeting_id}"
        case "indicator_value" if convention:
            return f"indicateurs?convention={convention}"
        case "funding":
            return "financement"
        case "axis" | "user":
            return "administration"
    return ""


# --- the viewer's choices -------------------------------------------------------------------


def people_choices(session: Session) -> list[Choice]:
    """Everyone who may appear in the history (« qui »), by name."""
    rows = session.exec(select(User.id, User.name, User.role).order_by(User.name, User.id))
    return [Choice(ident, f"{name} ({role.label})") for ident, name, role in rows]  # type: ignore[arg-type]


def history_conventions(session: Session, user: CurrentUser) -> list[Choice]:
    """The conventions whose history the user may read (a conseiller: their own), by
    territory; archived ones too (their history stays)."""
    require(may_read_history(user), "consulter l'historique")
    query = (
        select(Convention.id, Convention.title, Territory.name)
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .order_by(Territory.name, Convention.id)
    )
    if user.role is Role.caf_advisor:
        query = query.where(Convention.advisor_id == user.id)
    return [
        Choice(ident, title if name in title else f"{title} — {name}")
        for ident, title, name in session.exec(query)
    ]


def meeting_choices(session: Session, convention_id: int) -> list[Choice]:
    """The meetings of a convention, latest first (« COPIL n° 3 du 21/01/2026 »)."""
    rows = session.exec(
        select(Meeting.id, Meeting.kind, Meeting.held_on, Meeting.number)
        .where(Meeting.convention_id == convention_id)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())  # type: ignore[attr-defined]
    )
    return [
        Choice(ident, meeting_label(kind, held_on, number))  # type: ignore[arg-type]
        for ident, kind, held_on, number in rows
    ]


CONVENTION_ENTITIES = ("action", "convention", "meeting", "decision", "indicator_value")


def entity_choices(user: CurrentUser) -> list[tuple[str, str]]:
    """(kind, French label) of the records whose history the user may read."""
    if user.role is Role.caf_advisor:
        kinds: tuple[str, ...] = CONVENTION_ENTITIES
    elif user.is_admin:
        kinds = tuple(ENTITY_LABELS)
    else:
        kinds = tuple(k for k in ENTITY_LABELS if k not in ADMIN_ONLY)
    return [(kind, ENTITY_LABELS[kind]) for kind in kinds]


def field_choices(entity: str) -> list[tuple[str, str]]:
    """(field, French label) pairs of one kind of record, for the « quoi » filter."""
    return [(name, field_label(name)) for name in ENTITY_FIELDS.get(entity, ())]
