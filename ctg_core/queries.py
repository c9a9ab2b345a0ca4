"""Nouns that read data for pages: plain dataclasses and DataFrames, scoped to the user.

Pages never lazy-load relationships: everything a page shows comes from one of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.auth import CurrentUser
from ctg_core.errors import NotFound, PermissionDenied
from ctg_core.models import (
    CLOSED_STATUSES,
    Action,
    ActionStatus,
    Axis,
    Convention,
    ConventionPhase,
    CooperationPost,
    PhaseChange,
    Setting,
    Territory,
    User,
)


def is_late(status: ActionStatus, due_on: date | None, today: date) -> bool:
    """En retard: due date passed and the action neither realisée nor abandonnée."""
    return due_on is not None and due_on < today and status not in CLOSED_STATUSES


def holds_demo_data(session: Session) -> bool:
    setting = session.get(Setting, "demo_data")
    return setting is not None and setting.value == "1"


@dataclass(frozen=True)
class AxisRef:
    id: int
    code: str
    label: str


def axes(session: Session, *, include_archived: bool = False) -> list[AxisRef]:
    query = select(Axis).order_by(Axis.position, Axis.id)
    if not include_archived:
        query = query.where(Axis.archived_at.is_(None))  # type: ignore[union-attr]
    return [AxisRef(a.id, a.code, a.label) for a in session.exec(query)]  # type: ignore[arg-type]


@dataclass(frozen=True)
class ConventionRef:
    """A convention as listed in a selector."""

    id: int
    title: str
    territory_id: int
    territory_name: str
    territory_kind: str
    phase: ConventionPhase


def _visible(user: CurrentUser):  # type: ignore[no-untyped-def]
    query = (
        select(Convention, Territory)
        .join(Territory, Territory.id == Convention.territory_id)
        .where(Convention.archived_at.is_(None))  # type: ignore[union-attr]
    )
    if not user.reads_everything:
        query = query.where(Convention.territory_id.in_(user.territory_ids or {-1}))  # type: ignore[attr-defined]
    return query


def conventions(session: Session, user: CurrentUser) -> list[ConventionRef]:
    """Conventions the user may read, by territory name."""
    rows = session.exec(_visible(user).order_by(Territory.name)).all()
    return [
        ConventionRef(c.id, c.title, t.id, t.name, t.kind.value, c.phase)  # type: ignore[arg-type]
        for c, t in rows
    ]


def search_conventions(session: Session, user: CurrentUser, text: str) -> list[ConventionRef]:
    """Conventions whose territory, title or a member commune matches `text`.

    Typing "Rezé" finds Nantes Métropole's CTG: communes lead to the CTG of their EPCI.
    """
    needle = f"%{text.strip().lower()}%"
    commune = sa.orm.aliased(Territory)
    member_match = (
        select(commune.id)
        .where(commune.epci_id == Territory.id, sa.func.lower(commune.name).like(needle))
        .exists()
    )
    query = _visible(user).where(
        sa.or_(
            sa.func.lower(Territory.name).like(needle),
            sa.func.lower(Convention.title).like(needle),
            member_match,
        )
    )
    rows = session.exec(query.order_by(Territory.name)).all()
    return [
        ConventionRef(c.id, c.title, t.id, t.name, t.kind.value, c.phase)  # type: ignore[arg-type]
        for c, t in rows
    ]


@dataclass(frozen=True)
class ConventionHeader:
    id: int
    title: str
    version: int
    phase: ConventionPhase
    signed_on: date | None
    starts_on: date | None
    ends_on: date | None
    territory_id: int
    territory_name: str
    territory_kind: str
    population: int
    advisor_id: int | None
    advisor_name: str
    officer_name: str
    phase_dates: dict[ConventionPhase, date]
    can_edit_plan: bool
    can_manage: bool


def convention_header(session: Session, user: CurrentUser, convention_id: int) -> ConventionHeader:
    convention = session.get(Convention, convention_id)
    if convention is None or convention.archived_at is not None:
        raise NotFound("convention", convention_id)
    if not user.can_read(convention):
        raise PermissionDenied("consulter cette convention")
    territory = session.get(Territory, convention.territory_id)
    assert territory is not None
    advisor = session.get(User, convention.advisor_id) if convention.advisor_id else None
    post = session.exec(
        select(CooperationPost)
        .where(CooperationPost.territory_id == territory.id, CooperationPost.ended_on.is_(None))  # type: ignore[union-attr]
        .order_by(CooperationPost.id.desc())  # type: ignore[union-attr]
    ).first()
    changes = session.exec(
        select(PhaseChange)
        .where(PhaseChange.convention_id == convention_id)
        .order_by(PhaseChange.reached_on, PhaseChange.id)
    ).all()
    return ConventionHeader(
        id=convention_id,
        title=convention.title,
        version=convention.version,
        phase=convention.phase,
        signed_on=convention.signed_on,
        starts_on=convention.starts_on,
        ends_on=convention.ends_on,
        territory_id=territory.id,  # type: ignore[arg-type]
        territory_name=territory.name,
        territory_kind=territory.kind.value,
        population=territory.population,
        advisor_id=convention.advisor_id,
        advisor_name=advisor.name if advisor else "",
        officer_name=post.officer_name if post else "",
        phase_dates={c.phase: c.reached_on for c in changes},
        can_edit_plan=user.can_edit_plan(convention),
        can_manage=user.can_manage_convention(convention),
    )


ACTION_COLUMNS = [
    "id",
    "version",
    "code",
    "title",
    "axis_id",
    "axis",
    "lead",
    "partners",
    "objective",
    "starts_on",
    "due_on",
    "budget",
    "status",
    "status_label",
    "progress",
    "last_comment",
    "vigilance",
    "late",
    "updated_at",
]


def actions_frame(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    today: date,
    *,
    include_archived: bool = False,
) -> pd.DataFrame:
    """The plan d'actions of a convention, one row per action, with `late` derived."""
    convention = session.get(Convention, convention_id)
    if convention is None:
        raise NotFound("convention", convention_id)
    if not user.can_read(convention):
        raise PermissionDenied("consulter cette convention")
    query = (
        select(Action, Axis.label)
        .join(Axis, Axis.id == Action.axis_id)
        .where(Action.convention_id == convention_id)
        .order_by(Axis.position, Action.code)
    )
    if not include_archived:
        query = query.where(Action.archived_at.is_(None))  # type: ignore[union-attr]
    rows = [
        {
            "id": a.id,
            "version": a.version,
            "code": a.code,
            "title": a.title,
            "axis_id": a.axis_id,
            "axis": axis_label,
            "lead": a.lead,
            "partners": a.partners,
            "objective": a.objective,
            "starts_on": a.starts_on,
            "due_on": a.due_on,
            "budget": float(a.budget) if a.budget is not None else None,
            "status": a.status.value,
            "status_label": a.status.label,
            "progress": a.progress,
            "last_comment": a.last_comment,
            "vigilance": a.vigilance,
            "late": is_late(a.status, a.due_on, today),
            "updated_at": a.updated_at,
        }
        for a, axis_label in session.exec(query)
    ]
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


@dataclass(frozen=True)
class AxisStatus:
    axis_id: int
    axis: str
    by_status: dict[ActionStatus, int]
    total: int
    mean_progress: float
    late: int
    vigilance: int


def axis_status(actions: pd.DataFrame) -> list[AxisStatus]:
    """Per-axis roll-up of an `actions_frame`: counts by statut, mean avancement, alerts."""
    result = []
    for (axis_id, axis), group in actions.groupby(["axis_id", "axis"], sort=False):
        counts = group["status"].value_counts()
        result.append(
            AxisStatus(
                axis_id=int(axis_id),
                axis=str(axis),
                by_status={s: int(counts.get(s.value, 0)) for s in ActionStatus},
                total=len(group),
                mean_progress=float(group["progress"].mean()),
                late=int(group["late"].sum()),
                vigilance=int((group["vigilance"].str.strip() != "").sum()),
            )
        )
    return result
