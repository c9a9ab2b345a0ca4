"""Verbs that change data: one function per use case.

Each checks the user's permission itself, validates its input in the core, applies an
optimistic version check (``UPDATE … WHERE version = seen``), writes the change log and
commits once. Callers open the session with ``db.session(write=True)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, select

from ctg_core.auth import CurrentUser
from ctg_core.errors import (
    ConflictError,
    ConflictInfo,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    require,
)
from ctg_core.models import (
    Action,
    Axis,
    ChangeLog,
    Convention,
    Meeting,
    MeetingStatus,
    PhaseChange,
    Role,
    Territory,
    User,
    utcnow,
)
from ctg_core.validation import (
    ActionChange,
    ActionData,
    AxisData,
    ConventionChange,
    ConventionData,
    validated,
)

T = TypeVar("T", bound=SQLModel)
In = TypeVar("In", bound=BaseModel)

ACTION_FIELDS = tuple(ActionData.model_fields)
CONVENTION_FIELDS = tuple(ConventionData.model_fields)
BOOKKEEPING = frozenset({"updated_at", "updated_by_id", "archived_at"})


# --- helpers shared by the verbs ----------------------------------------------------------


def get_or_404(session: Session, model: type[T], ident: int, what: str) -> T:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(what, ident)
    return row


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
        return Decimal(str(a)) == Decimal(str(b))
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
    entry = ChangeLog(
        user_id=user.id,
        user_name=user.name,
        entity=entity,
        entity_id=entity_id,
        convention_id=convention_id,
        operation=operation,
        changes=dict(changes),
        meeting_id=meeting_id,
    )
    session.add(entry)
    return entry


def as_input(model: type[In], data: In | Mapping[str, Any]) -> In:
    return data if isinstance(data, model) else validated(model, dict(data))  # type: ignore[arg-type]


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
    """Apply `values` only if nobody saved since `seen_version`; else log and raise.

    The refused attempt is itself recorded (operation ``conflict``) so that history shows
    both people's edits.
    """
    table = type(row)
    ident = row.id  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(table)
        .where(table.id == ident, table.version == seen_version)  # type: ignore[attr-defined]
        .values(**values, version=seen_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        session.refresh(row)  # callers read the saved values after the session closes
        return
    session.rollback()
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
    log_change(
        session,
        user,
        entity,
        ident,
        "conflict",
        attempted,
        convention_id=convention_id,
        meeting_id=meeting_id,
    )
    session.commit()
    raise ConflictError(
        ConflictInfo(
            entity=entity,
            entity_id=ident,
            current_version=current.version,  # type: ignore[attr-defined]
            current_values={k: getattr(current, k) for k in user_values},
            changed_by=last.user_name if last else "",
            changed_at=last.at if last else None,
        )
    )


def _open_meeting(session: Session, meeting_id: int | None, convention_id: int) -> None:
    if meeting_id is None:
        return
    meeting = get_or_404(session, Meeting, meeting_id, "réunion")
    if meeting.convention_id != convention_id:
        raise ValidationFailed({"meeting_id": "Cette réunion concerne une autre convention."})
    if meeting.status is MeetingStatus.closed:
        raise ValidationFailed({"meeting_id": "Cette réunion est clôturée."})


# --- conventions --------------------------------------------------------------------------


def create_convention(
    session: Session, user: CurrentUser, data: ConventionData | Mapping[str, Any]
) -> Convention:
    require(user.can_manage_convention(), "créer une convention")
    data = as_input(ConventionData, data)
    get_or_404(session, Territory, data.territory_id, "territoire")
    convention = Convention(**data.model_dump())
    if not user.is_admin:
        # An advisor's new convention lands in their own portfolio, never in someone else's.
        if convention.advisor_id not in (None, user.id):
            raise PermissionDenied("confier une convention à un autre conseiller")
        convention.advisor_id = user.id
    _require_advisor(session, convention.advisor_id)
    session.add(convention)
    session.flush()
    assert convention.id is not None
    session.add(
        PhaseChange(convention_id=convention.id, phase=convention.phase, reached_on=date.today())
    )
    log_change(
        session,
        user,
        "convention",
        convention.id,
        "create",
        diff({}, data.model_dump()),
        convention_id=convention.id,
    )
    session.commit()
    return convention


def update_convention(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    seen_version: int,
    change: ConventionChange | Mapping[str, Any],
    *,
    phase_reached_on: date | None = None,
) -> Convention:
    """Change a convention; a phase change is recorded with the date it was reached."""
    convention = get_or_404(session, Convention, convention_id, "convention")
    require(user.can_manage_convention(convention), "modifier cette convention")
    change = as_input(ConventionChange, change)
    values = change.model_dump(exclude_unset=True)
    before = {name: getattr(convention, name) for name in CONVENTION_FIELDS}
    validated(ConventionData, {**before, **values})
    changes = diff(before, values)
    if not changes:
        return convention
    if "advisor_id" in changes:
        require(user.is_admin, "confier cette convention à un autre conseiller")
        _require_advisor(session, values["advisor_id"])
    if "phase" in changes:
        session.add(
            PhaseChange(
                convention_id=convention_id,
                phase=values["phase"],
                reached_on=phase_reached_on or date.today(),
            )
        )
    versioned_update(
        session,
        convention,
        seen_version,
        {**values, "updated_at": utcnow()},
        user=user,
        entity="convention",
        convention_id=convention_id,
    )
    log_change(
        session, user, "convention", convention_id, "update", changes, convention_id=convention_id
    )
    session.commit()
    return convention


# --- actions ------------------------------------------------------------------------------


def create_action(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    data: ActionData | Mapping[str, Any],
    *,
    meeting_id: int | None = None,
) -> Action:
    convention = get_or_404(session, Convention, convention_id, "convention")
    require(user.can_edit_plan(convention), "ajouter une action à cette convention")
    data = as_input(ActionData, data)
    _require_axis(session, data.axis_id)
    _require_unique_code(session, convention_id, data.code)
    _open_meeting(session, meeting_id, convention_id)
    action = Action(convention_id=convention_id, updated_by_id=user.id, **data.model_dump())
    session.add(action)
    session.flush()
    assert action.id is not None
    log_change(
        session,
        user,
        "action",
        action.id,
        "create",
        diff({}, data.model_dump()),
        convention_id=convention_id,
        meeting_id=meeting_id,
    )
    session.commit()
    return action


def stage_action_update(
    session: Session,
    user: CurrentUser,
    action_id: int,
    seen_version: int,
    change: ActionChange | Mapping[str, Any],
    *,
    meeting_id: int | None = None,
) -> dict[str, list[Any]]:
    """Everything `update_action` does except the commit, for callers that add to the same
    transaction (a meeting decision) or commit row by row (a batch).

    Returns the `{field: [old, new]}` written (empty when nothing differs). On a version
    mismatch `versioned_update` rolls back, records the refused attempt, commits that record
    and raises `ConflictError`: call this before staging anything else.
    """
    action = get_or_404(session, Action, action_id, "action")
    convention = get_or_404(session, Convention, action.convention_id, "convention")
    require(user.can_edit_plan(convention), "modifier cette action")
    if action.archived_at is not None:
        raise ValidationFailed(
            {"archived_at": "Cette action est archivée : elle n'est plus modifiable."}
        )
    change = as_input(ActionChange, change)
    values = change.model_dump(exclude_unset=True)
    before = {name: getattr(action, name) for name in ACTION_FIELDS}
    merged = validated(ActionData, {**before, **values})
    values = {k: getattr(merged, k) for k in values}
    if "axis_id" in values:
        _require_axis(session, values["axis_id"])
    if "code" in values and values["code"] != action.code:
        _require_unique_code(session, action.convention_id, values["code"])
    _open_meeting(session, meeting_id, action.convention_id)
    changes = diff(before, values)
    if not changes:
        return {}
    versioned_update(
        session,
        action,
        seen_version,
        {**values, "updated_at": utcnow(), "updated_by_id": user.id},
        user=user,
        entity="action",
        convention_id=action.convention_id,
        meeting_id=meeting_id,
    )
    log_change(
        session,
        user,
        "action",
        action_id,
        "update",
        changes,
        convention_id=action.convention_id,
        meeting_id=meeting_id,
    )
    return changes


def update_action(
    session: Session,
    user: CurrentUser,
    action_id: int,
    seen_version: int,
    change: ActionChange | Mapping[str, Any],
    *,
    meeting_id: int | None = None,
) -> Action:
    """Apply the fields set in `change` if the action is still at `seen_version`."""
    stage_action_update(session, user, action_id, seen_version, change, meeting_id=meeting_id)
    session.commit()
    return get_or_404(session, Action, action_id, "action")


def archive_action(
    session: Session, user: CurrentUser, action_id: int, seen_version: int
) -> Action:
    """Archive (never delete): the action leaves the plan but stays in history and exports."""
    action = get_or_404(session, Action, action_id, "action")
    convention = get_or_404(session, Convention, action.convention_id, "convention")
    require(user.can_edit_plan(convention), "archiver cette action")
    if action.archived_at is not None:
        return action
    now = utcnow()
    versioned_update(
        session,
        action,
        seen_version,
        {"archived_at": now, "updated_at": now, "updated_by_id": user.id},
        user=user,
        entity="action",
        convention_id=action.convention_id,
    )
    log_change(
        session,
        user,
        "action",
        action_id,
        "archive",
        {"archived_at": [None, now.isoformat()]},
        convention_id=action.convention_id,
    )
    session.commit()
    return action


def _require_advisor(session: Session, advisor_id: int | None) -> None:
    if advisor_id is None:
        return
    advisor = session.get(User, advisor_id)
    if advisor is None or not advisor.is_active or advisor.role is not Role.caf_advisor:
        raise ValidationFailed({"advisor_id": "Choisissez un conseiller Caf actif."})


def _require_axis(session: Session, axis_id: int) -> None:
    axis = session.get(Axis, axis_id)
    if axis is None or axis.archived_at is not None:
        raise ValidationFailed({"axis_id": "Axe inconnu ou archivé."})


def _require_unique_code(session: Session, convention_id: int, code: str) -> None:
    taken = session.exec(
        select(Action.id).where(Action.convention_id == convention_id, Action.code == code)
    ).first()
    if taken is not None:
        raise ValidationFailed({"code": f"Le code {code} est déjà utilisé dans cette convention."})


# --- reference tables ---------------------------------------------------------------------


def add_axis(session: Session, user: CurrentUser, data: AxisData | Mapping[str, Any]) -> Axis:
    require(user.is_admin, "ajouter un axe")
    data = as_input(AxisData, data)
    clash = session.exec(
        select(Axis).where(
            sa.or_(Axis.code == data.code, sa.func.lower(Axis.label) == data.label.lower())
        )
    ).first()
    if clash is not None:
        raise ValidationFailed({"label": "Un axe porte déjà ce code ou ce libellé."})
    position = (session.exec(select(sa.func.max(Axis.position))).one() or 0) + 1
    axis = Axis(code=data.code, label=data.label, position=position)
    session.add(axis)
    session.flush()
    assert axis.id is not None
    log_change(session, user, "axis", axis.id, "create", diff({}, data.model_dump()))
    session.commit()
    return axis
