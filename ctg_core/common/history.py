"""The append-only history (`ChangeLog`): how a change is written, how a concurrent edit is
refused, and how an entry reads in French — in one place for the fiche, the committee,
the minutes and the history viewer.

Writing: commands call `diff` then `log_change`, or `versioned_update` which applies
``UPDATE … WHERE version = seen`` and, when someone saved first, raises `ConflictError`
carrying the history entry of the refused attempt (the command boundary writes it after
rolling back, see `common.command`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from ctg_core.common import formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import ConflictError, ConflictInfo, NotFound
from ctg_core.common.labels import OPERATION_LABELS, field_label, meeting_label
from ctg_core.common.models import (
    Action,
    ActionStatus,
    Axis,
    ChangeLog,
    Convention,
    ConventionPhase,
    CooperationPost,
    Indicator,
    IndicatorDirection,
    IndicatorValue,
    MeasureKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PostFunding,
    RenewalStatus,
    Role,
    Territory,
    User,
)

# Columns a command sets for its own bookkeeping: never shown as the user's change.
BOOKKEEPING = frozenset({"updated_at", "updated_by_id", "archived_at"})
MISSING = "—"
# Sign-ins and refusals share the change log under this entity (see `access_entry`).
ACCESS = "access"
ACCESS_OPERATIONS = frozenset({"sign_in", "refused"})


# --- writing ---------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A value as it is stored in the change log (JSON)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def same_value(a: Any, b: Any) -> bool:
    """Equal as stored: 12500 and Decimal("12500.00") are the same amount."""
    numbers = (int, float, Decimal)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool | Enum):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except InvalidOperation:
            return a == b
    return json_value(a) == json_value(b)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields whose value changes."""
    return {
        name: [json_value(before.get(name)), json_value(value)]
        for name, value in after.items()
        if not same_value(before.get(name), value)
    }


def log_change(
    session: Session,
    user: CurrentUser,
    entity: str,
    entity_id: int,
    operation: str,
    changes: Mapping[str, Any],
    *,
    convention_id: int | None = None,
    meeting_id: int | None = None,
) -> ChangeLog:
    """Add one history entry to the command's transaction."""
    entry = _entry(user, entity, entity_id, operation, changes, convention_id, meeting_id)
    session.add(entry)
    return entry


def _entry(
    user: CurrentUser,
    entity: str,
    entity_id: int,
    operation: str,
    changes: Mapping[str, Any],
    convention_id: int | None,
    meeting_id: int | None,
) -> ChangeLog:
    return ChangeLog(
        user_id=user.id,
        user_name=user.name,
        entity=entity,
        entity_id=entity_id,
        convention_id=convention_id,
        operation=operation,
        changes=dict(changes),
        meeting_id=meeting_id,
    )


def access_entry(
    *, user_id: int | None, user_name: str, email: str, operation: str, refused: str = ""
) -> ChangeLog:
    """A sign-in (`operation` "sign_in") or a refusal ("refused": a sign-in, a page or a
    command refused, `refused` saying what) for the history viewer. `entity_id` is the
    user's id, 0 for an e-mail the app does not know."""
    assert operation in ACCESS_OPERATIONS, operation
    changes: dict[str, list[Any]] = {"email": [None, email]}
    if refused:
        changes["refused"] = [None, shorten(refused, 300)]
    return ChangeLog(
        user_id=user_id,
        user_name=user_name or email,
        entity=ACCESS,
        entity_id=user_id or 0,
        operation=operation,
        changes=changes,
    )


def versioned_update(
    session: Session,
    row: SQLModel,
    seen_version: int,
    values: Mapping[str, Any],
    *,
    user: CurrentUser,
    entity: str,
    convention_id: int | None,
    meeting_id: int | None = None,
) -> None:
    """Apply `values` only if nobody saved since `seen_version`, else raise `ConflictError`.

    The error carries what the other person saved (to show beside the user's input) and
    the history entry of the refused attempt (operation ``conflict``), which the command
    boundary records after rolling back: history shows both people's edits.
    """
    table = type(row)
    key = sa.inspect(table).primary_key[0]  # `id`, or `year` for a funding rule
    ident = getattr(row, key.name)
    result = session.execute(
        sa.update(table)
        .where(key == ident, table.version == seen_version)  # type: ignore[attr-defined]
        .values(**values, version=seen_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        session.refresh(row)  # callers read the saved values after the session closes
        return
    current = session.get(table, ident, populate_existing=True)
    if current is None:
        raise NotFound(entity, ident)
    last = session.exec(
        select(ChangeLog)
        .where(ChangeLog.entity == entity, ChangeLog.entity_id == ident)
        .where(ChangeLog.operation != "conflict")
        .order_by(ChangeLog.id.desc())  # type: ignore[union-attr]
    ).first()
    user_values = {k: v for k, v in values.items() if k not in BOOKKEEPING}
    attempted = {k: [None, json_value(v)] for k, v in user_values.items()}
    raise ConflictError(
        ConflictInfo(
            entity=entity,
            entity_id=ident,
            current_version=current.version,  # type: ignore[attr-defined]
            current_values={k: getattr(current, k) for k in user_values},
            changed_by=last.user_name if last else "",
            changed_at=last.at if last else None,
        ),
        record=_entry(user, entity, ident, "conflict", attempted, convention_id, meeting_id),
    )


# --- reading ---------------------------------------------------------------------------------


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
    """One change-log entry — qui, quoi, quand, dans quelle réunion — written in French."""

    at: datetime
    user_name: str
    operation: str  # the code: create, update, archive, close, conflict
    meeting_id: int | None
    meeting: str  # « COPIL du 21/01/2026 » or ""
    changes: tuple[FieldChange, ...]
    entity: str = ""  # action, convention, meeting, decision, indicator_value, funding…
    entity_id: int = 0
    convention_id: int | None = None
    subject: str = ""  # « Fiche PE-02 · Accueil du mercredi » (see `subjects_of`)

    @property
    def operation_label(self) -> str:
        return OPERATION_LABELS.get(self.operation, self.operation)

    @property
    def summary(self) -> str:
        if self.entity == ACCESS:
            return " ; ".join(f"{c.label} : {c.new}" for c in self.changes)
        if self.operation == "conflict":
            return " ; ".join(f"{c.label} : {c.new} (non enregistré)" for c in self.changes)
        return " ; ".join(str(c) for c in self.changes)


def data_version(
    session: Session,
    tables: Iterable[tuple[Any, Any]],
    history: sa.ColumnElement[bool] | None = None,
) -> str:
    """A fingerprint of some tables, for caches shared by sessions and processes: for each
    `(key, marker)`, the rows' number, their highest key and the sum of `marker` (a column
    that changes whenever the row does, its version; None: rows are only added or removed),
    then, with `history`, the number and moment of the latest matching history line (every
    command writes one: they tell apart two states whose rows happen to add up the same, a
    database restored or rebuilt). One statement."""
    figures: list[Any] = []
    for key, marker in tables:
        figures.append(sa.select(sa.func.count(key)).scalar_subquery())
        figures.append(sa.select(sa.func.coalesce(sa.func.max(key), 0)).scalar_subquery())
        if marker is not None:
            figures.append(sa.select(sa.func.coalesce(sa.func.sum(marker), 0)).scalar_subquery())
    if history is not None:
        figures.append(sa.select(sa.func.max(ChangeLog.id)).where(history).scalar_subquery())
        figures.append(sa.select(sa.func.max(ChangeLog.at)).where(history).scalar_subquery())
    return "-".join(str(figure) for figure in session.execute(sa.select(*figures)).one())


def history_lines(
    session: Session, entity: str, entity_id: int, *, since: datetime | None = None
) -> list[HistoryLine]:
    """The change log of one record in French, newest first (after `since` when given);
    callers check the user may read the record."""
    query = select(ChangeLog).where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
    if since is not None:
        query = query.where(ChangeLog.at > since)
    entries = session.exec(query.order_by(ChangeLog.id.desc())).all()  # type: ignore[union-attr]
    return lines_of(session, entries)


def lines_of(
    session: Session, entries: Iterable[ChangeLog], *, subjects: bool = False
) -> list[HistoryLine]:
    """History entries in French, in the order given (two queries whatever their number;
    with `subjects`, one more per kind of record, to say what each line is about)."""
    entries = list(entries)
    meetings = meeting_labels(session, {e.meeting_id for e in entries if e.meeting_id})
    axes = axis_labels(session) if any("axis_id" in e.changes for e in entries) else {}
    about = subjects_of(session, entries) if subjects else [""] * len(entries)
    return [
        HistoryLine(
            at=formats.local_time(entry.at),
            user_name=entry.user_name,
            operation=entry.operation,
            meeting_id=entry.meeting_id,
            meeting=meetings.get(entry.meeting_id, "") if entry.meeting_id else "",
            changes=tuple(
                FieldChange(
                    name,
                    field_label(name),
                    readable_value(name, pair[0], axes),
                    readable_value(name, pair[1], axes),
                )
                for name, pair in entry.changes.items()
                if isinstance(pair, list | tuple) and len(pair) == 2
            ),
            entity=entry.entity,
            entity_id=entry.entity_id,
            convention_id=entry.convention_id,
            subject=subject,
        )
        for entry, subject in zip(entries, about, strict=True)
    ]


def subjects_of(session: Session, entries: list[ChangeLog]) -> list[str]:
    """What each entry is about, in French (« Fiche PE-02 · Accueil du mercredi »,
    « Réunion COPIL du 21/01/2026 », « Poste de Nantes Métropole, 2026 »…): one query per
    kind of record present, whatever the number of entries."""
    ids: dict[str, set[int]] = {}
    for entry in entries:
        ids.setdefault(entry.entity, set()).add(entry.entity_id)
    names = _SubjectNames(session, ids, entries)
    return [names.of(entry) for entry in entries]


class _SubjectNames:
    def __init__(
        self, session: Session, ids: dict[str, set[int]], entries: list[ChangeLog]
    ) -> None:
        def rows(query: Any, kind: str) -> list[Any]:
            return list(session.exec(query)) if ids.get(kind) else []

        self.actions = {
            ident: f"Fiche {code} · {title}"
            for ident, code, title in rows(
                select(Action.id, Action.code, Action.title).where(
                    _among(Action.id, ids, "action")
                ),
                "action",
            )
        }
        self.conventions = dict(
            rows(
                select(Convention.id, Convention.title).where(
                    _among(Convention.id, ids, "convention")
                ),
                "convention",
            )
        )
        self.meetings = meeting_labels(
            session,
            ids.get("meeting", set())
            | {e.meeting_id for e in entries if e.entity == "decision" and e.meeting_id},
        )
        self.indicators = dict(
            rows(
                select(IndicatorValue.id, Indicator.name)
                .join(Indicator, Indicator.id == IndicatorValue.indicator_id)  # type: ignore[arg-type]
                .where(_among(IndicatorValue.id, ids, "indicator_value")),
                "indicator_value",
            )
        )
        self.fundings = {
            ident: f"Poste de {name}, {year}"
            for ident, year, name in rows(
                select(PostFunding.id, PostFunding.year, Territory.name)
                .join(CooperationPost, CooperationPost.id == PostFunding.post_id)  # type: ignore[arg-type]
                .join(Territory, Territory.id == CooperationPost.territory_id)  # type: ignore[arg-type]
                .where(_among(PostFunding.id, ids, "funding")),
                "funding",
            )
        }
        self.axes = dict(
            rows(select(Axis.id, Axis.label).where(_among(Axis.id, ids, "axis")), "axis")
        )
        self.users = dict(
            rows(select(User.id, User.name).where(_among(User.id, ids, "user")), "user")
        )

    def of(self, entry: ChangeLog) -> str:
        ident = entry.entity_id
        match entry.entity:
            case "action":
                return self.actions.get(ident, f"Fiche n° {ident}")
            case "convention":
                return f"Convention « {self.conventions.get(ident, ident)} »"
            case "meeting":
                return self.meetings.get(ident, f"Réunion n° {ident}")
            case "decision":
                held = self.meetings.get(entry.meeting_id or 0)
                return f"Décision ({held})" if held else "Décision"
            case "indicator_value":
                return f"Indicateur « {self.indicators.get(ident, ident)} »"
            case "funding":
                return self.fundings.get(ident, f"Financement n° {ident}")
            case "axis":
                return f"Thématique « {self.axes.get(ident, ident)} »"
            case "user":
                return f"Utilisateur : {self.users.get(ident, ident)}"
            case "access":
                return "Accès à l'application"
        return f"{entry.entity} n° {ident}"


def _among(column: Any, ids: Mapping[str, set[int]], kind: str) -> Any:
    return column.in_(sorted(ids.get(kind) or ()) or [-1])


def meeting_labels(session: Session, meeting_ids: Iterable[int]) -> dict[int, str]:
    """« COPIL n° 3 du 21/01/2026 » for each meeting id."""
    ids = list(meeting_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Meeting.id, Meeting.kind, Meeting.held_on, Meeting.number).where(
            Meeting.id.in_(ids)  # type: ignore[union-attr]
        )
    ).all()
    return {ident: meeting_label(kind, held_on, number) for ident, kind, held_on, number in rows}


def axis_labels(session: Session) -> dict[int, str]:
    return dict(session.exec(select(Axis.id, Axis.label)).all())  # type: ignore[arg-type]


_ENUMS: dict[str, type[Enum]] = {
    "phase": ConventionPhase,
    "kind": MeetingKind,
    "renewal_status": RenewalStatus,
    "role": Role,
    "measure": MeasureKind,
    "direction": IndicatorDirection,
}
_MONEY = frozenset(
    {"budget", "eligible_cost", "entitlement", "amount", "advance_amount", "balance_amount"}
    | {"actual_cost", "final_entitlement", "ceiling_per_fte"}
)
_MOMENTS = frozenset({"archived_at", "reviewed_at", "closed_at"})
_YEARS = frozenset({"year", "baseline_year", "target_year"})  # 2025, never « 2 025 »


def readable_value(name: str, value: Any, axes: Mapping[int, str] | None = None) -> str:
    """A value as stored in the change log (JSON), written for a French reader.

    Never raises: a value it cannot read is shown as it is stored.
    """
    if value is None or value == "":
        return MISSING
    try:
        return _readable(name, value, axes or {})
    except (ValueError, TypeError, ArithmeticError):
        return shorten(str(value), 120)


def _readable(name: str, value: Any, axes: Mapping[int, str]) -> str:
    if name == "status":  # an action's statut, or a meeting's (« Clôturée »)
        known = {s.value: s.label for s in (*ActionStatus, *MeetingStatus)}
        return known.get(value, str(value))
    if name in _ENUMS:
        return _ENUMS[name](value).label  # type: ignore[attr-defined]
    if name == "axis_id":
        return axes.get(int(value), f"Axe n° {value}")
    if name == "progress":
        return f"{formats.number(value)} %"
    if name == "fte":  # ETP: « 0,80 »
        return formats.number(Decimal(str(value)), 2)
    if name in _YEARS:
        return str(value)
    if name in _MONEY:
        return formats.euros(Decimal(str(value)))
    if name in _MOMENTS:
        return formats.moment(datetime.fromisoformat(str(value)))
    if isinstance(value, list):
        return shorten(", ".join(str(v) for v in value), 120)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return formats.number(value, 0 if float(value).is_integer() else 2)
    if isinstance(value, str) and _looks_like_date(value):
        return formats.day(date.fromisoformat(value))
    return shorten(str(value), 120)


def change_text(name: str, old: Any, new: Any, axes: Mapping[int, str] | None = None) -> str:
    """« Avancement : 20 % → 60 % » for one field (old and new as stored or as typed)."""
    return str(
        FieldChange(
            name,
            field_label(name),
            readable_value(name, json_value(old), axes),
            readable_value(name, json_value(new), axes),
        )
    )


def shorten(text: str, limit: int = 48) -> str:
    """One line of at most `limit` characters, with « … » when cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _looks_like_date(text: str) -> bool:
    if len(text) != 10:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
