"""Verbs of the plan d'actions: conventions, fiches actions, axes, quick updates.

Each public function is a `@command` (see `common.command`): guard, one input model
(defined here, beside its command), version check, history; the commit happens once at
the command's boundary. `insert_action` and `apply_action_change` are the writers the
commands share; another capability's command (a committee's quick update or decision)
calls them after passing its own guard, inside its own unit of work.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Self

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Session, select

from ctg_core.common import config
from ctg_core.common.auth import CurrentUser, editable_convention, readable_convention
from ctg_core.common.command import command, unique_rule
from ctg_core.common.errors import (
    ConflictError,
    ConflictInfo,
    CtgError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    require,
)
from ctg_core.common.history import diff, log_change, versioned_update
from ctg_core.common.labels import field_label
from ctg_core.common.models import (
    Action,
    ActionStatus,
    Axis,
    Convention,
    ConventionPhase,
    Meeting,
    MeetingStatus,
    PhaseChange,
    Role,
    Territory,
    User,
    utcnow,
)
from ctg_core.common.validation import (
    Code,
    Day,
    Id,
    Input,
    Money,
    Progress,
    ShortText,
    Text,
    Title,
    bounded_text,
    validated,
)

unique_rule(
    ("actions_convention_id_code_key", "actions.convention_id, actions.code"),
    "code",
    "Ce code vient d'être pris par quelqu'un d'autre dans cette convention : choisissez-en un "
    "autre.",
)

# --- input models ----------------------------------------------------------------------------


def plan_rule_broken(
    starts_on: date | None, due_on: date | None, status: ActionStatus, progress: int
) -> tuple[str, str] | None:
    """The first rule of a fiche action that these values break, as (field, message)."""
    if starts_on and due_on and due_on < starts_on:
        return "due_on", "L'échéance ne peut pas précéder le début."
    if status is ActionStatus.realisee and progress != 100:
        return "progress", "Une action réalisée est avancée à 100 %."
    if status is ActionStatus.a_venir and progress == 100:
        return "status", "Une action avancée à 100 % n'est plus « à venir »."
    return None


class ActionData(Input):
    """A new fiche action."""

    axis_id: Id
    code: Code
    title: Title
    objective: Text = ""
    lead: ShortText = ""
    partners: Text = ""
    starts_on: Day | None = None
    due_on: Day | None = None
    budget: Money | None = None
    status: ActionStatus = ActionStatus.a_venir
    progress: Progress = 0
    last_comment: Text = ""
    vigilance: Text = ""

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        broken = plan_rule_broken(self.starts_on, self.due_on, self.status, self.progress)
        if broken:
            raise ValueError("|".join(broken))
        return self


class ActionChange(Input):
    """The fields of a fiche the user changed; only those set are applied."""

    axis_id: Id | None = None
    code: Code | None = None
    title: Title | None = None
    objective: Text | None = None
    lead: ShortText | None = None
    partners: Text | None = None
    starts_on: Day | None = None
    due_on: Day | None = None
    budget: Money | None = None
    status: ActionStatus | None = None
    progress: Progress | None = None
    last_comment: Text | None = None
    vigilance: Text | None = None


class QuickChange(Input):
    """A quick update (officer's table, committee): statut, avancement, commentaire,
    vigilance; only the fields set are applied."""

    status: ActionStatus | None = None
    progress: Progress | None = None
    last_comment: Text | None = None
    vigilance: Text | None = None


QUICK_FIELDS = tuple(QuickChange.model_fields)
ACTION_FIELDS = tuple(ActionData.model_fields)
# A field that cannot be emptied: sending None for it is a missing value, not "no change".
REQUIRED_ACTION_FIELDS = frozenset({"axis_id", "code", "title", "status", "progress"})


class ConventionData(Input):
    territory_id: Id
    title: Title
    phase: ConventionPhase = ConventionPhase.preparation
    signed_on: Day | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    advisor_id: Id | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        broken = convention_rule_broken(self.phase, self.signed_on, self.starts_on, self.ends_on)
        if broken:
            raise ValueError("|".join(broken))
        return self


def convention_rule_broken(
    phase: ConventionPhase, signed_on: date | None, starts_on: date | None, ends_on: date | None
) -> tuple[str, str] | None:
    if starts_on and ends_on:
        if ends_on <= starts_on:
            return "ends_on", "La fin doit suivre le début de la convention."
        if (ends_on - starts_on).days / 365.25 > 5.05:
            return "ends_on", "Une CTG dure au plus 5 ans."
    signed_phases = {ConventionPhase.pilotage, ConventionPhase.evaluation, ConventionPhase.echue}
    if phase in signed_phases and not signed_on:
        return "signed_on", "Une convention en pilotage doit avoir une date de signature."
    return None


class PhaseDate(Input):
    """The day a convention reached its new phase (when it is not today)."""

    phase_reached_on: Day


class ConventionChange(Input):
    title: Title | None = None
    phase: ConventionPhase | None = None
    signed_on: Day | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    advisor_id: Id | None = None


CONVENTION_FIELDS = tuple(ConventionData.model_fields)


class AxisData(Input):
    code: bounded_text(8, min_length=1)  # type: ignore[valid-type]
    label: bounded_text(120, min_length=1)  # type: ignore[valid-type]


# --- conventions ----------------------------------------------------------------------------


@command
def create_convention(
    session: Session, user: CurrentUser, data: ConventionData | Mapping[str, Any]
) -> Convention:
    require(user.can_manage_convention(), "créer une convention")
    data = validated(ConventionData, data)
    if session.get(Territory, data.territory_id) is None:
        raise NotFound("territoire", data.territory_id)
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
        PhaseChange(convention_id=convention.id, phase=convention.phase, reached_on=config.today())
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
    return convention


@command
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
    convention = readable_convention(session, user, convention_id)
    require(user.can_manage_convention(convention), "modifier cette convention")
    values = validated(ConventionChange, change).model_dump(exclude_unset=True)
    before = {name: getattr(convention, name) for name in CONVENTION_FIELDS}
    state = {**before, **values}
    if not state["title"]:
        raise ValidationFailed({"title": "Intitulé est obligatoire."})
    broken = convention_rule_broken(
        state["phase"], state["signed_on"], state["starts_on"], state["ends_on"]
    )
    if broken:
        raise ValidationFailed(dict([broken]))
    changes = diff(before, values)
    if not changes:
        return convention
    if "advisor_id" in changes:
        require(user.is_admin, "confier cette convention à un autre conseiller")
        _require_advisor(session, values["advisor_id"])
    if "phase" in changes:
        reached_on = (
            validated(PhaseDate, {"phase_reached_on": phase_reached_on}).phase_reached_on
            if phase_reached_on is not None
            else config.today()
        )
        session.add(
            PhaseChange(convention_id=convention_id, phase=values["phase"], reached_on=reached_on)
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
    return convention


# --- fiches actions ---------------------------------------------------------------------------


def editable_action(session: Session, user: CurrentUser, action_id: int, doing: str) -> Action:
    """The guard of a fiche: it exists and its convention's plan is the user's to edit."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    editable_convention(session, user, action.convention_id, doing)
    return action


@command
def create_action(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    data: ActionData | Mapping[str, Any],
    *,
    meeting_id: int | None = None,
) -> Action:
    editable_convention(session, user, convention_id, "ajouter une action à cette convention")
    data = validated(ActionData, data)
    _require_open_meeting(session, meeting_id, convention_id)
    return insert_action(session, user, convention_id, data, meeting_id=meeting_id)


def insert_action(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    data: ActionData,
    *,
    meeting_id: int | None = None,
) -> Action:
    """Write a new fiche and its history; for commands that have passed their guard."""
    _require_axis(session, data.axis_id)
    _require_unique_code(session, convention_id, data.code)
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
    return action


@command
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
    action = editable_action(session, user, action_id, "modifier cette action")
    _require_open_meeting(session, meeting_id, action.convention_id)
    values = validated(ActionChange, change).model_dump(exclude_unset=True)
    apply_action_change(session, user, action, seen_version, values, meeting_id=meeting_id)
    return action


def apply_action_change(
    session: Session,
    user: CurrentUser,
    action: Action,
    seen_version: int,
    values: Mapping[str, Any],
    *,
    meeting_id: int | None = None,
) -> dict[str, list[Any]]:
    """Write validated changes to a fiche the caller has guarded: the fiche's rules on the
    merged values, the version check, the history. Returns `{field: [old, new]}` (empty
    when nothing differs from what is stored)."""
    if action.archived_at is not None:
        raise ValidationFailed(
            {"archived_at": "Cette action est archivée : elle n'est plus modifiable."}
        )
    missing = {
        name: f"{field_label(name)} est obligatoire."
        for name, value in values.items()
        if value is None and name in REQUIRED_ACTION_FIELDS
    }
    if missing:
        raise ValidationFailed(missing)
    before = {name: getattr(action, name) for name in ACTION_FIELDS}
    state = {**before, **values}
    broken = plan_rule_broken(
        state["starts_on"], state["due_on"], ActionStatus(state["status"]), state["progress"]
    )
    if broken:
        raise ValidationFailed(dict([broken]))
    if "axis_id" in values and values["axis_id"] != action.axis_id:
        _require_axis(session, values["axis_id"])
    if "code" in values and values["code"] != action.code:
        _require_unique_code(session, action.convention_id, values["code"])
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
        action.id,  # type: ignore[arg-type]
        "update",
        changes,
        convention_id=action.convention_id,
        meeting_id=meeting_id,
    )
    return changes


@command
def archive_action(
    session: Session, user: CurrentUser, action_id: int, seen_version: int
) -> Action:
    """Archive (never delete): the action leaves the plan but stays in history and exports."""
    action = editable_action(session, user, action_id, "archiver cette action")
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
    return action


def _require_open_meeting(session: Session, meeting_id: int | None, convention_id: int) -> None:
    if meeting_id is None:
        return
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("réunion", meeting_id)
    if meeting.convention_id != convention_id:
        raise ValidationFailed({"meeting_id": "Cette réunion concerne une autre convention."})
    if meeting.status is MeetingStatus.closed:
        raise ValidationFailed({"meeting_id": "Cette réunion est clôturée."})


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


# --- the officer's table: several quick updates in one save ------------------------------------


@dataclass(frozen=True)
class RowChange:
    """One edited row: the action, the version it was loaded with, the new values."""

    action_id: int
    seen_version: int
    change: dict[str, Any]


class Outcome(enum.StrEnum):
    saved = "saved"
    unchanged = "unchanged"
    rejected = "rejected"
    conflict = "conflict"

    @property
    def label(self) -> str:
        return {
            Outcome.saved: "Enregistrée",
            Outcome.unchanged: "Inchangée",
            Outcome.rejected: "Refusée",
            Outcome.conflict: "Conflit",
        }[self]


@dataclass(frozen=True)
class RowResult:
    action_id: int
    code: str
    outcome: Outcome
    attempted: dict[str, Any]
    changes: dict[str, list[Any]] = field(default_factory=dict)
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    conflict: ConflictInfo | None = None


@dataclass(frozen=True)
class BatchReport:
    rows: list[RowResult]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.rows if r.outcome is outcome)

    @property
    def saved(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome is Outcome.saved]

    @property
    def failed(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome in {Outcome.rejected, Outcome.conflict}]


@command
def update_actions(
    session: Session, user: CurrentUser, changes: Iterable[RowChange]
) -> BatchReport:
    """Apply each row on its own and report every row's outcome.

    Each row runs in a savepoint: a refused or conflicting row is undone alone (its refusal
    recorded) and never blocks the others; everything saved commits once at the end.
    """
    results = []
    for row in changes:
        code = _code_of(session, user, row.action_id)
        try:
            with session.begin_nested():
                action = editable_action(session, user, row.action_id, "modifier cette action")
                values = validated(QuickChange, row.change).model_dump(exclude_unset=True)
                written = apply_action_change(session, user, action, row.seen_version, values)
        except ConflictError as exc:
            if exc.record is not None:
                session.add(exc.record)
            results.append(
                RowResult(
                    row.action_id,
                    code,
                    Outcome.conflict,
                    row.change,
                    message=exc.message,
                    conflict=exc.info,
                )
            )
            continue
        except CtgError as exc:
            errors = exc.errors if isinstance(exc, ValidationFailed) else {}
            detail = " ; ".join(errors.values()) if errors else exc.message
            results.append(
                RowResult(
                    row.action_id,
                    code,
                    Outcome.rejected,
                    row.change,
                    message=detail,
                    errors=errors,
                )
            )
            continue
        outcome = Outcome.saved if written else Outcome.unchanged
        results.append(RowResult(row.action_id, code, outcome, row.change, changes=written))
    return BatchReport(results)


def _code_of(session: Session, user: CurrentUser, action_id: int) -> str:
    """The action's code if the user may read it; else only its number."""
    row = session.exec(
        select(Action.code, Convention)
        .join(Convention, Convention.id == Action.convention_id)  # type: ignore[arg-type]
        .where(Action.id == action_id)
    ).first()
    if row is None or not user.can_read(row[1]):
        return f"n° {action_id}"
    return row[0]


# --- reference tables -----------------------------------------------------------------------


@command
def add_axis(session: Session, user: CurrentUser, data: AxisData | Mapping[str, Any]) -> Axis:
    require(user.is_admin, "ajouter un axe")
    data = validated(AxisData, data)
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
    return axis
