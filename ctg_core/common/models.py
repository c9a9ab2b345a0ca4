"""Every table and enum of the domain (DESIGN.md §1), with the input shapes beside them.

Enums keep their value in French snake case (as stored) and carry their French label once,
here. They are stored as plain strings (non-native enums) so migrations stay portable
between SQLite and PostgreSQL.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a French label (see `_LABELS`)."""

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def options(cls) -> list[LabelledEnum]:
        return list(cls)


class TerritoryKind(LabelledEnum):
    epci = "epci"
    commune = "commune"


class ConventionPhase(LabelledEnum):
    preparation = "preparation"
    diagnostic = "diagnostic"
    plan_actions = "plan_actions"
    pilotage = "pilotage"
    evaluation = "evaluation"
    echue = "echue"


class ActionStatus(LabelledEnum):
    a_venir = "a_venir"
    en_cours = "en_cours"
    realisee = "realisee"
    suspendue = "suspendue"
    abandonnee = "abandonnee"


class IndicatorDirection(LabelledEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class MeasureKind(LabelledEnum):
    """What an indicator measures, which bounds its values (see `indicators.units`)."""

    count = "count"
    quantity = "quantity"
    rate = "rate"
    share = "share"
    amount = "amount"
    signed = "signed"


class RenewalStatus(LabelledEnum):
    a_renouveler = "a_renouveler"
    demande_recue = "demande_recue"
    signee = "signee"


class MeetingKind(LabelledEnum):
    copil = "copil"
    cotech = "cotech"


class MeetingStatus(LabelledEnum):
    planned = "planned"
    open = "open"
    closed = "closed"


class DecisionKind(LabelledEnum):
    """What the committee said: a decision, an information, or an action to carry out
    (which creates a fiche action in the plan)."""

    decision = "decision"
    information = "information"
    action = "action"


class Attendance(LabelledEnum):
    present = "present"
    excuse = "excuse"
    absent = "absent"


class Role(LabelledEnum):
    admin = "admin"
    caf_manager = "caf_manager"
    caf_advisor = "caf_advisor"
    coop_officer = "coop_officer"
    committee = "committee"


_LABELS: dict[enum.Enum, str] = {
    TerritoryKind.epci: "EPCI",
    TerritoryKind.commune: "Commune",
    ConventionPhase.preparation: "Préparation",
    ConventionPhase.diagnostic: "Diagnostic partagé",
    ConventionPhase.plan_actions: "Plan d'actions",
    ConventionPhase.pilotage: "Pilotage et suivi",
    ConventionPhase.evaluation: "Évaluation",
    ConventionPhase.echue: "Échue",
    ActionStatus.a_venir: "À venir",
    ActionStatus.en_cours: "En cours",
    ActionStatus.realisee: "Réalisée",
    ActionStatus.suspendue: "Suspendue",
    ActionStatus.abandonnee: "Abandonnée",
    IndicatorDirection.higher_is_better: "Plus haut, c'est mieux",
    IndicatorDirection.lower_is_better: "Plus bas, c'est mieux",
    MeasureKind.count: "Effectif (nombre entier, jamais négatif)",
    MeasureKind.quantity: "Quantité (jamais négative, décimales permises)",
    MeasureKind.rate: "Taux en % (peut dépasser 100, jamais négatif)",
    MeasureKind.share: "Part en % (de 0 à 100)",
    MeasureKind.amount: "Montant en euros (jamais négatif)",
    MeasureKind.signed: "Nombre relatif (peut être négatif)",
    RenewalStatus.a_renouveler: "À renouveler",
    RenewalStatus.demande_recue: "Demande reçue",
    RenewalStatus.signee: "Signée",
    MeetingKind.copil: "COPIL",
    MeetingKind.cotech: "COTECH",
    MeetingStatus.planned: "Prévue",
    MeetingStatus.open: "En cours",
    MeetingStatus.closed: "Clôturée",
    DecisionKind.decision: "Décision",
    DecisionKind.information: "Information",
    DecisionKind.action: "Action à mener",
    Attendance.present: "Présent",
    Attendance.excuse: "Excusé",
    Attendance.absent: "Absent",
    Role.admin: "Administrateur",
    Role.caf_manager: "Direction Caf",
    Role.caf_advisor: "Conseiller technique territorial",
    Role.coop_officer: "Chargé de coopération",
    Role.committee: "Membre de comité",
}

# Statuses after which an action can no longer be late.
CLOSED_STATUSES = frozenset({ActionStatus.realisee, ActionStatus.abandonnee})


def is_late(status: ActionStatus | str, due_on: date | None, today: date) -> bool:
    """En retard (derived, never stored): due date passed and the action neither réalisée
    nor abandonnée."""
    return due_on is not None and due_on < today and ActionStatus(status) not in CLOSED_STATUSES


def enum_field(enum_cls: type[enum.Enum], **kwargs: Any) -> Any:
    return Field(sa_type=sa.Enum(enum_cls, native_enum=False, length=24), **kwargs)


def money_field(**kwargs: Any) -> Any:
    return Field(sa_type=sa.Numeric(12, 2), **kwargs)


def timestamp_field(**kwargs: Any) -> Any:
    return Field(sa_type=sa.DateTime(timezone=True), **kwargs)


# --- Reference tables -------------------------------------------------------------------


class Territory(SQLModel, table=True):
    """An EPCI or a commune (real INSEE reference data)."""

    __tablename__ = "territories"

    id: int | None = Field(default=None, primary_key=True)
    kind: TerritoryKind = enum_field(TerritoryKind, index=True)
    code: str = Field(max_length=9, unique=True, description="SIREN (EPCI) or INSEE (commune)")
    name: str = Field(max_length=200, index=True)
    search_name: str = Field(
        default="", max_length=200, index=True, description="name folded for search: rezé → reze"
    )
    siren: str | None = Field(default=None, max_length=9)
    population: int = 0
    departement: str = Field(max_length=3, index=True)
    epci_id: int | None = Field(default=None, foreign_key="territories.id", index=True)


class Axis(SQLModel, table=True):
    """A thématique of the plan d'actions (seeded, extensible by an admin)."""

    __tablename__ = "axes"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)
    label: str = Field(max_length=120, unique=True)
    position: int = 0
    archived_at: datetime | None = timestamp_field(default=None)


class Setting(SQLModel, table=True):
    """Small key/value facts about this database (e.g. that it holds demo data)."""

    __tablename__ = "settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=400)


# --- People -----------------------------------------------------------------------------


class User(SQLModel, table=True):
    """A person who signs in; keyed by e-mail (the identity provider's claim)."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    role: Role = enum_field(Role)
    is_active: bool = True
    is_demo: bool = False
    version: int = 1


class UserTerritory(SQLModel, table=True):
    """Territory scope of a chargé de coopération or a committee member."""

    __tablename__ = "user_territories"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    territory_id: int = Field(foreign_key="territories.id", primary_key=True)


# --- Conventions and their plan d'actions -----------------------------------------------


class Convention(SQLModel, table=True):
    __tablename__ = "conventions"

    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territories.id", index=True)
    title: str = Field(max_length=200)
    phase: ConventionPhase = enum_field(ConventionPhase, default=ConventionPhase.preparation)
    signed_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    advisor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    archived_at: datetime | None = timestamp_field(default=None)
    version: int = 1
    created_at: datetime = timestamp_field(default_factory=utcnow)
    updated_at: datetime = timestamp_field(default_factory=utcnow)


class PhaseChange(SQLModel, table=True):
    """The date a convention reached a phase (drives the phase stepper)."""

    __tablename__ = "phase_changes"

    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = Field(foreign_key="conventions.id", index=True)
    phase: ConventionPhase = enum_field(ConventionPhase)
    reached_on: date


class Action(SQLModel, table=True):
    """A fiche action. `late` is derived (see queries), never stored."""

    __tablename__ = "actions"
    __table_args__ = (sa.UniqueConstraint("convention_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = Field(foreign_key="conventions.id", index=True)
    axis_id: int = Field(foreign_key="axes.id", index=True)
    code: str = Field(max_length=20)
    title: str = Field(max_length=200)
    objective: str = Field(default="", sa_type=sa.Text)
    lead: str = Field(default="", max_length=200)
    partners: str = Field(default="", sa_type=sa.Text)
    starts_on: date | None = None
    due_on: date | None = None
    budget: Decimal | None = money_field(default=None)
    status: ActionStatus = enum_field(ActionStatus, default=ActionStatus.a_venir)
    progress: int = 0
    last_comment: str = Field(default="", sa_type=sa.Text)
    vigilance: str = Field(default="", sa_type=sa.Text)
    archived_at: datetime | None = timestamp_field(default=None)
    version: int = 1
    created_at: datetime = timestamp_field(default_factory=utcnow)
    updated_at: datetime = timestamp_field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")


# --- Indicators -------------------------------------------------------------------------


class IndicatorCatalogue(SQLModel, table=True):
    """A common CTG indicator (reference data, `data/indicator_catalogue.csv`, editable by
    the admin): the same code, unit and definition in every territory, so they compare."""

    __tablename__ = "indicator_catalogue"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=40)
    measure: MeasureKind = enum_field(MeasureKind, default=MeasureKind.quantity)
    direction: IndicatorDirection = enum_field(
        IndicatorDirection, default=IndicatorDirection.higher_is_better
    )
    definition: str = Field(default="", sa_type=sa.Text)
    source: str = Field(default="", max_length=200)
    axis_code: str = Field(default="", max_length=8)
    archived_at: datetime | None = timestamp_field(default=None)
    version: int = 1


class Indicator(SQLModel, table=True):
    """A convention's indicator: from the catalogue (`catalogue_id`, comparable across
    territories; one live per convention) or its own."""

    __tablename__ = "indicators"
    __table_args__ = (
        sa.Index(
            "uq_indicators_catalogue",
            "convention_id",
            "catalogue_id",
            unique=True,
            sqlite_where=sa.text("archived_at IS NULL AND catalogue_id IS NOT NULL"),
            postgresql_where=sa.text("archived_at IS NULL AND catalogue_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = Field(foreign_key="conventions.id", index=True)
    catalogue_id: int | None = Field(default=None, foreign_key="indicator_catalogue.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="actions.id", index=True)
    axis_id: int | None = Field(default=None, foreign_key="axes.id")
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=40)
    measure: MeasureKind = enum_field(MeasureKind, default=MeasureKind.quantity)
    direction: IndicatorDirection = enum_field(
        IndicatorDirection, default=IndicatorDirection.higher_is_better
    )
    baseline_value: float | None = None
    baseline_year: int | None = None
    target_value: float | None = None
    target_year: int | None = None
    source: str = Field(default="", max_length=200)
    archived_at: datetime | None = timestamp_field(default=None)
    version: int = 1


class IndicatorValue(SQLModel, table=True):
    """A value measured for one year; a wrong one is archived (history keeps it), and only
    one live value per indicator and year exists (a unique index, not only a check)."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        sa.Index(
            "uq_indicator_values_year",
            "indicator_id",
            "year",
            unique=True,
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicators.id", index=True)
    year: int
    measured_on: date | None = None
    value: float
    source: str = Field(default="", max_length=200)
    archived_at: datetime | None = timestamp_field(default=None)
    version: int = 1
    created_at: datetime = timestamp_field(default_factory=utcnow)


class TerritoryFigure(SQLModel, table=True):
    """A published figure of a catalogue indicator for one territory and one year — or for
    the whole département when `territory_id` is None (`area_code` « D44 ») — imported from
    the Caf open data. Reference data: a new import of the same year replaces it."""

    __tablename__ = "territory_figures"
    __table_args__ = (
        sa.UniqueConstraint("catalogue_id", "area_code", "year", name="uq_territory_figures_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    catalogue_id: int = Field(foreign_key="indicator_catalogue.id", index=True)
    area_code: str = Field(max_length=12, description="SIREN, INSEE code, or D + département")
    territory_id: int | None = Field(default=None, foreign_key="territories.id", index=True)
    departement: str = Field(max_length=3, index=True)
    year: int
    value: float
    source: str = Field(default="", max_length=200)
    imported_at: datetime = timestamp_field(default_factory=utcnow)


# --- Cooperation officer posts and their funding ----------------------------------------


class CooperationPost(SQLModel, table=True):
    """The chargé de coopération post of a territory, co-funded by the Caf."""

    __tablename__ = "cooperation_posts"

    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territories.id", index=True)
    officer_name: str = Field(default="", max_length=200)
    officer_email: str = Field(default="", max_length=254)
    started_on: date | None = None
    ended_on: date | None = None
    version: int = 1


class PostHolder(SQLModel, table=True):
    """A person holding (part of) a cooperation post: a post can be shared, each holder with
    their own working time (ETP) and dates."""

    __tablename__ = "post_holders"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="cooperation_posts.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(default="", max_length=254)
    fte: Decimal = Field(default=Decimal("1.00"), sa_type=sa.Numeric(4, 2))
    starts_on: date
    ends_on: date | None = None
    version: int = 1


class FundingRule(SQLModel, table=True):
    """Caf rate, ceiling, acompte share and renewal dates in force for a year (never a
    constant in code). Changed once used by lines only through a logged correction."""

    __tablename__ = "funding_rules"

    year: int = Field(primary_key=True)
    rate: Decimal = Field(sa_type=sa.Numeric(5, 4), description="e.g. 0.5000 for 50 %")
    ceiling_per_fte: Decimal = money_field()
    advance_share: Decimal = Field(
        default=Decimal("0.7000"), sa_type=sa.Numeric(5, 4), description="acompte, share of droit"
    )
    renewal_opens_on: date = Field(description="first day a renewal step may be dated")
    renewal_due_on: date = Field(description="the annual convention is signed by this day")
    notes: str = Field(default="", max_length=400)
    version: int = 1


class PostFunding(SQLModel, table=True):
    """One year of funding of a post: entitlement, annual renewal, advance and balance."""

    __tablename__ = "post_fundings"
    __table_args__ = (sa.UniqueConstraint("post_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="cooperation_posts.id", index=True)
    year: int
    fte: Decimal = Field(default=Decimal("1.00"), sa_type=sa.Numeric(4, 2))
    eligible_cost: Decimal = money_field(default=Decimal("0"))
    entitlement: Decimal = money_field(default=Decimal("0"))
    renewal_status: RenewalStatus = enum_field(RenewalStatus, default=RenewalStatus.a_renouveler)
    renewal_due_on: date | None = None
    renewal_received_on: date | None = None
    renewal_signed_on: date | None = None
    advance_amount: Decimal | None = money_field(default=None)
    advance_paid_on: date | None = None
    months: int = Field(default=12, description="months of the year the post is covered")
    actual_cost: Decimal | None = money_field(default=None, description="justified real cost")
    justified_on: date | None = None
    final_entitlement: Decimal | None = money_field(default=None)
    balance_amount: Decimal | None = money_field(
        default=None, description="final droit − acompte; negative: a sum to recover"
    )
    balance_paid_on: date | None = None
    version: int = 1


# --- Committees -------------------------------------------------------------------------


class Meeting(SQLModel, table=True):
    """A COPIL or COTECH. `number` counts the meetings of one kind of a convention (« COPIL
    n° 3 »): two meetings never share a label. The agenda has its own `agenda_version`, so
    preparing the agenda and writing the compte rendu never refuse each other."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.UniqueConstraint("convention_id", "kind", "number", name="uq_meetings_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = Field(foreign_key="conventions.id", index=True)
    kind: MeetingKind = enum_field(MeetingKind)
    number: int = 1
    held_on: date
    place: str = Field(default="", max_length=200)
    attendees: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    status: MeetingStatus = enum_field(MeetingStatus, default=MeetingStatus.planned)
    minutes: str = Field(default="", sa_type=sa.Text)
    next_steps: str = Field(default="", sa_type=sa.Text)
    next_meeting_on: date | None = None
    closed_at: datetime | None = timestamp_field(default=None)
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    planned_minutes: int | None = None
    started_at: datetime | None = timestamp_field(default=None)
    attendance: dict[str, str] = Field(
        default_factory=dict, sa_type=sa.JSON, description="attendee name → Attendance value"
    )
    agenda_version: int = 1


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_items"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "action_id", name="uq_agenda_items_action"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings.id", index=True)
    position: int = 0
    action_id: int | None = Field(default=None, foreign_key="actions.id")
    title: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=40)
    reviewed_at: datetime | None = timestamp_field(default=None)
    planned_minutes: int = 5
    presenter: str = Field(default="", max_length=200)
    parked_at: datetime | None = timestamp_field(default=None)
    carried_to_id: int | None = Field(
        default=None, foreign_key="meetings.id", description="meeting that took the parked point up"
    )


class Decision(SQLModel, table=True):
    __tablename__ = "decisions"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="actions.id")
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = timestamp_field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    kind: DecisionKind = enum_field(DecisionKind, default=DecisionKind.decision)
    confidential: bool = False
    created_action_id: int | None = Field(default=None, foreign_key="actions.id")


class PlanSnapshot(SQLModel, table=True):
    """State of one action frozen when a meeting was closed."""

    __tablename__ = "plan_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings.id", index=True)
    action_id: int = Field(foreign_key="actions.id")
    status: ActionStatus = enum_field(ActionStatus)
    progress: int
    vigilance: str = Field(default="", sa_type=sa.Text)
    due_on: date | None = None
    captured_at: datetime = timestamp_field(default_factory=utcnow)


# --- History ----------------------------------------------------------------------------


class ChangeLog(SQLModel, table=True):
    """Append-only history: who changed which record, when, old → new, in which meeting."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    user_name: str = Field(default="", max_length=200)
    entity: str = Field(max_length=40, index=True)
    entity_id: int = Field(index=True)
    convention_id: int | None = Field(default=None, index=True)
    operation: str = Field(max_length=20, description="create, update, archive, conflict")
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    meeting_id: int | None = Field(default=None, foreign_key="meetings.id", index=True)
