"""The overview of every territory's CTG: one row per territory, headline figures, filters.

A territory row carries what the map, the KPIs and the table of the overview page show, and
what was true twelve months earlier (phase from `PhaseChange`, annual renewal from
`PostFunding` dates), so the KPIs can give their deltas without another query.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from ctg_core.common import config, history
from ctg_core.common.auth import CurrentUser, readable_clause
from ctg_core.common.models import (
    CLOSED_STATUSES,
    Action,
    ActionStatus,
    Axis,
    ChangeLog,
    Convention,
    ConventionPhase,
    CooperationPost,
    PhaseChange,
    PostFunding,
    RenewalStatus,
    Territory,
    TerritoryKind,
    User,
)
from ctg_core.funding import queries as funding_queries

NO_CTG = "aucune"
"""Phase key of a territory without a convention (filters, map colours, legend)."""

FRANCE = "france"
"""The scope of the national overview (every département), as written in `?dep=france`."""

PHASE_KEYS: tuple[str, ...] = (*(p.value for p in ConventionPhase), NO_CTG)
SIGNED = frozenset({ConventionPhase.pilotage, ConventionPhase.evaluation})
DRAFTING = frozenset(
    {ConventionPhase.preparation, ConventionPhase.diagnostic, ConventionPhase.plan_actions}
)
DEADLINES: tuple[str, ...] = ("3", "6", "12", "depassee")
DEADLINE_LABELS = {
    "": "Toutes les échéances",
    "3": "Dans les 3 mois",
    "6": "Dans les 6 mois",
    "12": "Dans les 12 mois",
    "depassee": "Échéance dépassée",
}
ENDING_SOON_MONTHS = 6


def phase_label(key: str) -> str:
    """French label of a phase key, `aucune` included."""
    return "Aucune CTG" if key == NO_CTG else ConventionPhase(key).label


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def year_before(today: date) -> date:
    """The reference day of the KPI deltas: the same day twelve months earlier."""
    return add_months(today, -12)


# --- filters ------------------------------------------------------------------------------


def _split(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else [p for v in value for p in v.split(",")]
    return [p.strip() for p in parts if p.strip()]


@dataclass(frozen=True)
class OverviewFilters:
    """What the sidebar of the overview selects; empty means everything.

    Kept in the URL as `?phase=pilotage,echue&axe=PE&territoire=244400404&echeance=6`:
    values are stable codes (phase keys, axis codes, SIREN/INSEE codes), comma-separated.
    """

    phases: tuple[str, ...] = ()
    axes: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    deadline: str = ""

    QUERY_KEYS = ("phase", "axe", "territoire", "echeance")

    def __post_init__(self) -> None:
        # One spelling per view: phases in lifecycle order, codes sorted, no duplicates.
        phases = [k for k in PHASE_KEYS if k in set(self.phases)]
        object.__setattr__(self, "phases", tuple(phases))
        object.__setattr__(self, "axes", tuple(sorted(set(self.axes))))
        object.__setattr__(self, "territories", tuple(sorted(set(self.territories))))
        if self.deadline not in DEADLINES:
            object.__setattr__(self, "deadline", "")

    @property
    def is_empty(self) -> bool:
        return self == OverviewFilters()

    def to_query_params(self) -> dict[str, str]:
        """The non-empty filters as URL query parameters."""
        values = {
            "phase": ",".join(self.phases),
            "axe": ",".join(self.axes),
            "territoire": ",".join(self.territories),
            "echeance": self.deadline,
        }
        return {k: v for k, v in values.items() if v}

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]]) -> OverviewFilters:
        """Filters from a URL; unknown phases and deadlines are dropped, never an error.

        Axis and territory codes are kept as given (a code that matches nothing selects
        nothing, which the page shows as an empty result rather than a crash).
        """
        codes = [c for c in _split(params.get("territoire")) if c.isalnum() and len(c) <= 9]
        return cls(
            phases=tuple(k for k in _split(params.get("phase")) if k in PHASE_KEYS),
            axes=tuple(a for a in _split(params.get("axe")) if len(a) <= 8),
            territories=tuple(codes),
            deadline=next(iter(_split(params.get("echeance"))), ""),
        )


# --- territory rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryRow:
    """One territory of the overview with its current CTG (if any) and its alerts.

    `done_ratio` is réalisées over the actions still meant to happen (abandoned actions
    are left out of the denominator); None when there is no such action.
    """

    territory_id: int
    code: str
    name: str
    kind: TerritoryKind
    epci_code: str | None
    population: int
    convention_id: int | None = None
    convention_title: str = ""
    phase: ConventionPhase | None = None
    signed_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    advisor_name: str = ""
    officer_name: str = ""
    actions: int = 0
    actions_done: int = 0
    actions_late: int = 0
    actions_abandoned: int = 0
    renewals_pending: int = 0
    phase_year_ago: ConventionPhase | None = None
    renewals_pending_year_ago: int = 0
    departement: str = ""
    funding_alerts: int = 0  # yearly funding lines of the territory's posts with an alert

    @property
    def phase_key(self) -> str:
        return self.phase.value if self.phase else NO_CTG

    @property
    def phase_label(self) -> str:
        return phase_label(self.phase_key)

    @property
    def done_ratio(self) -> float | None:
        planned = self.actions - self.actions_abandoned
        return self.actions_done / planned if planned > 0 else None


@functools.lru_cache(maxsize=8192)  # the same names sort on every run (1,255 EPCI in France)
def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def territory_rows(
    session: Session,
    user: CurrentUser,
    today: date,
    filters: OverviewFilters | None = None,
    departement: str | None = None,
) -> list[TerritoryRow]:
    """Territories of the département (or of every one, for `FRANCE`) the user may see, each
    with its latest convention and its actions counted (of the filters' axes).

    Caf roles see every EPCI (with or without a CTG) and every commune holding a CTG of its
    own; officers and committee members see the territories of their scope. Sorted by name.
    """
    filters = filters or OverviewFilters()
    dep = departement or config.departement()
    rows = completed(
        territory_facts(session, user, today, dep),
        post_facts(session, user, today, dep),
        action_counts(session, user, dep, filters.axes, today),
    )
    return apply_filters(session, rows, filters, today)


def territory_facts(
    session: Session, user: CurrentUser, today: date, departement: str
) -> list[TerritoryRow]:
    """`territory_rows` before its posts and actions are read (their fields at zero),
    unfiltered: what changes only with a convention, a user or a territory (the overview page
    keeps it apart from the posts, which change with every funding write, and from the counts,
    which change with every quick update)."""
    dep = departement
    conventions = _latest_conventions(session, user, dep)
    # The helpers select by this SQL condition, not by lists of ids: at national scale a list
    # of a thousand ids costs more to bind than the query costs to run.
    listed = _listed(user, dep)
    territories = _plain_rows(session, _TERRITORY_COLUMNS.where(listed))
    epci_codes = _epci_codes(session, dep)
    phases_then = _territory_phases_on(session, listed, year_before(today))
    advisors = _names(session, {advisor for *_, advisor in conventions.values() if advisor})
    rows = []
    for ident, code, name, kind, epci_id, population, in_departement in territories:
        convention_id, title, phase, signed_on, starts_on, ends_on, advisor_id = conventions.get(
            ident, _NO_CONVENTION
        )
        rows.append(
            TerritoryRow(
                territory_id=ident,
                code=code,
                name=name,
                kind=kind,
                epci_code=epci_codes.get(epci_id) if epci_id else None,
                population=population,
                convention_id=convention_id,
                convention_title=title,
                phase=phase,
                signed_on=signed_on,
                starts_on=starts_on,
                ends_on=ends_on,
                advisor_name=advisors.get(advisor_id, "") if advisor_id else "",
                phase_year_ago=phases_then.get(ident),
                departement=in_departement,
            )
        )
    rows.sort(key=lambda r: (_sort_key(r.name), r.code))
    return rows


def completed(
    rows: Iterable[TerritoryRow],
    posts: Mapping[int, PostFacts],
    counts: Mapping[int, ActionCounts],
) -> list[TerritoryRow]:
    """The rows with their territory's post facts and their convention's action counts (new
    rows: the given ones may be shared)."""
    result = []
    for row in rows:
        post = posts.get(row.territory_id)
        found = counts.get(row.convention_id) if row.convention_id else None  # type: ignore[arg-type]
        if post or found:
            changes = vars(post) if post else {}
            if found:
                changes = changes | {
                    "actions": found.total,
                    "actions_done": found.done,
                    "actions_late": found.late,
                    "actions_abandoned": found.abandoned,
                }
            # one new row, not one per part: `replace` costs twice this at national scale
            row = TerritoryRow(**(vars(row) | changes))
        result.append(row)
    return result


# What the rows show, and the history entities of the commands that change it: the overview
# keeps each part of its rows under its own fingerprint (a sign-in, an indicator or a meeting
# leaves them all).
FACT_ENTITIES = ("convention", "user")
ACTION_ENTITIES = ("action",)


def facts_version(session: Session) -> str:
    """A fingerprint of what `territory_facts` reads: conventions, their phase changes, users
    (names), territories (reference loads), and the latest history line of their commands.
    Any such write, in this process or another on the same database, changes it."""
    return history.data_version(
        session,
        [
            (Convention.id, Convention.version),
            (PhaseChange.id, None),
            (User.id, User.version),
            (Territory.id, Territory.population),
        ],
        col(ChangeLog.entity).in_(FACT_ENTITIES),
    )


def posts_version(session: Session) -> str:
    """A fingerprint of what `post_facts` reads: the funding's (posts, holders, yearly lines,
    rules), which every funding write changes."""
    return funding_queries.funding_version(session)


def actions_version(session: Session) -> str:
    """A fingerprint of what `action_counts` reads: the actions' number and the latest history
    line of an action command (tens of thousands of actions: not the sum of their versions,
    which would cost the time of everything else)."""
    return history.data_version(
        session, [(Action.id, None)], col(ChangeLog.entity).in_(ACTION_ENTITIES)
    )


def _in_scope(dep: str):  # type: ignore[no-untyped-def]
    """The SQL condition "the territory lies in `dep`" (always true for `FRANCE`)."""
    return true() if dep == FRANCE else Territory.departement == dep


def _plain_rows(session: Session, query: Any) -> list[Any]:
    """The rows of a select of columns, through the core, not the ORM's result machinery, as
    tuples: the overview reads thousands of them, and a tuple's items cost a tenth of a row's
    attributes."""
    return [tuple(row) for row in session.connection().execute(query)]


# (id, title, phase, signed on, starts on, ends on, advisor id) of a territory without one
_NO_CONVENTION = (None, "", None, None, None, None, None)


def _latest_conventions(session: Session, user: CurrentUser, dep: str) -> dict[int, tuple]:
    """The most recent non-archived convention of each territory the user may read (the
    fields the overview shows, in the order of `_NO_CONVENTION`: thousands at national
    scale)."""
    query = (
        select(
            Convention.territory_id,
            Convention.id,
            Convention.title,
            Convention.phase,
            Convention.signed_on,
            Convention.starts_on,
            Convention.ends_on,
            Convention.advisor_id,
        )
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .where(col(Convention.archived_at).is_(None), _in_scope(dep), readable_clause(user))
        .order_by(col(Convention.id))
    )
    return {row[0]: row[1:] for row in _plain_rows(session, query)}


_TERRITORY_COLUMNS = select(
    Territory.id,
    Territory.code,
    Territory.name,
    Territory.kind,
    Territory.epci_id,
    Territory.population,
    Territory.departement,
)


def _listed(user: CurrentUser, dep: str) -> ColumnElement[bool]:
    """The SQL condition on `Territory` of the territories the overview lists: in `dep`,
    holding a convention the user may read, or else every EPCI for the Caf roles and the
    user's own territories for the others."""
    holding = select(Convention.territory_id).where(
        col(Convention.archived_at).is_(None), readable_clause(user)
    )
    if user.reads_everything:
        own = Territory.kind == TerritoryKind.epci
    else:
        own = col(Territory.id).in_(user.territory_ids or {-1})
    return _in_scope(dep) & (own | col(Territory.id).in_(holding))


def _epci_codes(session: Session, dep: str) -> dict[int, str]:
    query = select(Territory.id, Territory.code).where(
        Territory.kind == TerritoryKind.epci, _in_scope(dep)
    )
    return dict(_plain_rows(session, query))


@dataclass(frozen=True)
class ActionCounts:
    """Actions of a convention (of the chosen axes): all, réalisées, en retard, abandonnées."""

    total: int = 0
    done: int = 0
    late: int = 0
    abandoned: int = 0


def action_counts(
    session: Session, user: CurrentUser, dep: str, axis_codes: tuple[str, ...], today: date
) -> dict[int, ActionCounts]:
    """Per live convention of `dep` the user may read: actions (of the chosen axes, if any),
    réalisées, abandonnées, en retard (the rule of `is_late`), counted by the database in
    one grouped query."""

    def count(condition):  # type: ignore[no-untyped-def]
        return func.sum(case((condition, 1), else_=0))

    late = (
        col(Action.due_on).is_not(None)
        & (col(Action.due_on) < today)
        & col(Action.status).not_in(list(CLOSED_STATUSES))
    )
    query = (
        select(
            Action.convention_id,
            func.count(),
            count(Action.status == ActionStatus.realisee),
            count(Action.status == ActionStatus.abandonnee),
            count(late),
        )
        .join(Convention, Convention.id == Action.convention_id)  # type: ignore[arg-type]
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .where(
            col(Action.archived_at).is_(None),
            col(Convention.archived_at).is_(None),
            _in_scope(dep),
            readable_clause(user),
        )
        .group_by(Action.convention_id)
    )
    if axis_codes:
        query = query.join(Axis, Axis.id == Action.axis_id).where(  # type: ignore[arg-type]
            col(Axis.code).in_(axis_codes)
        )
    return {
        convention_id: ActionCounts(int(total), int(done), int(late_count), int(abandoned))
        for convention_id, total, done, abandoned, late_count in session.exec(query)
    }


@dataclass(frozen=True)
class PostFacts:
    """What the overview shows of a territory's posts (named as the `TerritoryRow` fields)."""

    officer_name: str = ""
    renewals_pending: int = 0
    renewals_pending_year_ago: int = 0
    funding_alerts: int = 0


def post_facts(
    session: Session, user: CurrentUser, today: date, departement: str
) -> dict[int, PostFacts]:
    """Per territory of `departement` (or of every one, for `FRANCE`) the user may read and
    that has a post: the officer of its active post, its renewals pending now and a year
    earlier, and its yearly lines with a funding alert (`funding.queries.alert_counts`: the
    Financement page's rule and figure). What changes only with a funding write."""
    readable = _in_scope(departement)
    if not user.reads_everything:
        readable = readable & col(Territory.id).in_(user.territory_ids or {-1})
    posts = _post_facts(session, readable, today)
    alerts = funding_queries.alert_counts(session, user, today, _in_scope(departement))
    return {
        territory_id: PostFacts(*posts.get(territory_id, ("", 0, 0)), alerts.get(territory_id, 0))
        for territory_id in posts.keys() | alerts.keys()
    }


# Made once: building an alias costs more than the query it serves.
_LINE_NOW, _LINE_THEN = aliased(PostFunding), aliased(PostFunding)


def _post_facts(
    session: Session, readable: ColumnElement[bool], today: date
) -> dict[int, tuple[str, int, int]]:
    """Per territory meeting `readable` (a condition on `Territory`): officer of the active
    post, renewals pending now and a year earlier.

    A renewal is pending when the post's funding line of the year is not signed. Twelve
    months earlier, a line counts as signed only if it was signed by that day.
    """
    then = year_before(today)
    line_now, line_then = _LINE_NOW, _LINE_THEN
    # Plain columns, each post with its lines of both years (one per post and year), in one
    # statement: at national scale there are thousands of posts and lines.
    posts = _plain_rows(
        session,
        select(
            CooperationPost.territory_id,
            CooperationPost.officer_name,
            CooperationPost.started_on,
            CooperationPost.ended_on,
            line_now.id,
            line_now.renewal_status,
            line_then.id,
            line_then.renewal_status,
            line_then.renewal_signed_on,
        )
        .join(Territory, Territory.id == CooperationPost.territory_id)  # type: ignore[arg-type]
        .outerjoin(
            line_now,
            (line_now.post_id == CooperationPost.id) & (line_now.year == today.year),  # type: ignore[arg-type]
        )
        .outerjoin(
            line_then,
            (line_then.post_id == CooperationPost.id) & (line_then.year == then.year),  # type: ignore[arg-type]
        )
        .where(readable)
        .order_by(col(CooperationPost.id)),
    )
    facts: dict[int, tuple[str, int, int]] = {}
    for territory_id, officer_name, started_on, ended_on, *lines in posts:
        now_id, now_status, then_id, then_status, then_signed_on = lines
        officer, now, before = facts.get(territory_id, ("", 0, 0))
        if _active(started_on, ended_on, today):
            officer = officer_name
            now += now_id is not None and now_status is not RenewalStatus.signee
        if _active(started_on, ended_on, then):
            before += then_id is not None and not _signed_by(then_status, then_signed_on, then)
        facts[territory_id] = (officer, now, before)
    return facts


def _active(started_on: date | None, ended_on: date | None, day: date) -> bool:
    started = started_on is None or started_on <= day
    return started and (ended_on is None or ended_on >= day)


def _signed_by(status: RenewalStatus, signed_on: date | None, day: date) -> bool:
    if status is not RenewalStatus.signee:
        return False
    return signed_on is None or signed_on <= day


def _territory_phases_on(
    session: Session, listed: ColumnElement[bool], day: date
) -> dict[int, ConventionPhase]:
    """The phase of each listed territory's CTG on `day`, whichever convention it was then: a
    territory that has since renewed its CTG was already covered by the previous one."""
    # Each convention's latest change by `day` (numbered by the database), then the latest
    # convention of each territory wins.
    latest_first = func.row_number().over(
        partition_by=PhaseChange.convention_id,
        order_by=(col(PhaseChange.reached_on).desc(), col(PhaseChange.id).desc()),
    )
    changes = (
        select(
            Convention.territory_id,
            PhaseChange.convention_id,
            PhaseChange.phase,
            latest_first.label("rank"),
        )
        .join(Convention, Convention.id == PhaseChange.convention_id)  # type: ignore[arg-type]
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .where(listed, col(Convention.archived_at).is_(None), PhaseChange.reached_on <= day)
        .subquery()
    )
    query = (
        select(changes.c.territory_id, changes.c.phase)
        .where(changes.c.rank == 1)
        .order_by(changes.c.convention_id)
    )
    return dict(_plain_rows(session, query))


def _names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(col(User.id).in_(user_ids))).all())  # type: ignore[arg-type]


def apply_filters(
    session: Session, rows: list[TerritoryRow], filters: OverviewFilters, today: date
) -> list[TerritoryRow]:
    """Rows matching every filter. A commune chosen in the territory filter also brings the
    EPCI it belongs to (the CTG that covers it), as the search of conventions does."""
    if filters.territories:
        wanted = set(filters.territories) | _epci_of_communes(session, filters.territories)
        rows = [r for r in rows if r.code in wanted]
    if filters.phases:
        rows = [r for r in rows if r.phase_key in filters.phases]
    if filters.axes:
        rows = [r for r in rows if r.actions > 0]
    if filters.deadline:
        rows = [r for r in rows if _meets_deadline(r, filters.deadline, today)]
    return rows


def _epci_of_communes(session: Session, codes: Iterable[str]) -> set[str]:
    epci = aliased(Territory)
    query = (
        select(epci.code)
        .join(Territory, epci.id == Territory.epci_id)
        .where(col(Territory.code).in_(list(codes)))
    )
    return set(session.exec(query))


def _meets_deadline(row: TerritoryRow, deadline: str, today: date) -> bool:
    if row.ends_on is None:
        return False
    if deadline == "depassee":
        return row.ends_on < today
    return today <= row.ends_on <= add_months(today, int(deadline))


# --- headline figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A count now and twelve months earlier (None when no comparison is meaningful)."""

    value: int
    year_ago: int | None = None

    @property
    def delta(self) -> int | None:
        return None if self.year_ago is None else self.value - self.year_ago


@dataclass(frozen=True)
class OverviewKpis:
    reference_day: date
    signed: Figure
    drafting: Figure
    ending_soon: Figure
    population_covered: Figure
    departement_population: int
    actions_done: Figure
    actions_late: Figure
    renewals_pending: Figure

    @property
    def population_share(self) -> float | None:
        if not self.departement_population:
            return None
        return self.population_covered.value / self.departement_population

    @property
    def population_share_year_ago(self) -> float | None:
        covered = self.population_covered.year_ago
        if not self.departement_population or covered is None:
            return None
        return covered / self.departement_population


def overview_kpis(
    rows: list[TerritoryRow], today: date, departement_population: int
) -> OverviewKpis:
    """Headline figures of the rows shown.

    Signées: phases pilotage and évaluation; en cours d'élaboration: préparation,
    diagnostic, plan d'actions. Population couverte: territories under a signed CTG, a
    commune counted once when its EPCI is covered too. Actions have no delta: their past
    statuses are not kept.
    """
    now = [r.phase for r in rows]
    then = [r.phase_year_ago for r in rows]
    soon = add_months(today, ENDING_SOON_MONTHS)
    return OverviewKpis(
        reference_day=year_before(today),
        signed=Figure(sum(p in SIGNED for p in now), sum(p in SIGNED for p in then)),
        drafting=Figure(sum(p in DRAFTING for p in now), sum(p in DRAFTING for p in then)),
        ending_soon=Figure(
            sum(
                r.phase in SIGNED and r.ends_on is not None and today <= r.ends_on <= soon
                for r in rows
            )
        ),
        population_covered=Figure(
            _covered_population(rows, lambda r: r.phase),
            _covered_population(rows, lambda r: r.phase_year_ago),
        ),
        departement_population=departement_population,
        actions_done=Figure(sum(r.actions_done for r in rows)),
        actions_late=Figure(sum(r.actions_late for r in rows)),
        renewals_pending=Figure(
            sum(r.renewals_pending for r in rows),
            sum(r.renewals_pending_year_ago for r in rows),
        ),
    )


def _covered_population(rows: list[TerritoryRow], phase_of) -> int:  # type: ignore[no-untyped-def]
    covered = [r for r in rows if phase_of(r) in SIGNED]
    covered_epci = {r.code for r in covered if r.kind is TerritoryKind.epci}
    return sum(
        r.population
        for r in covered
        if r.kind is TerritoryKind.epci or r.epci_code not in covered_epci
    )


def departement_population(session: Session, departement: str | None = None) -> int:
    """Population municipale of the département: the sum of its communes (INSEE), or of its
    EPCI when its communes are not loaded (the national benchmark's world). For `FRANCE`,
    the sum over every département loaded."""
    dep = departement or config.departement()
    query = (
        select(Territory.departement, Territory.kind, func.sum(Territory.population))
        .where(_in_scope(dep))
        .group_by(Territory.departement, Territory.kind)
    )
    sums: dict[str, dict[TerritoryKind, int]] = {}
    for code, kind, total in session.exec(query):
        sums.setdefault(code, {})[kind] = int(total or 0)
    return sum(
        by_kind.get(TerritoryKind.commune) or by_kind.get(TerritoryKind.epci, 0)
        for by_kind in sums.values()
    )


def departements(session: Session) -> list[str]:
    """Codes of the départements holding at least one territory, in order."""
    query = select(Territory.departement).distinct()
    return sorted(code for code in session.exec(query) if code)


# --- the national view: one row per département ---------------------------------------------


@dataclass(frozen=True)
class DepartementRow:
    """What the national map and table show of one département: its territories shown, how
    many hold a convention, how many of those are in each phase, and the actions late."""

    code: str
    name: str
    territories: int
    conventions: int
    by_phase: Mapping[str, int]
    actions_late: int

    @property
    def signed(self) -> int:
        return sum(self.by_phase.get(p.value, 0) for p in SIGNED)

    @property
    def drafting(self) -> int:
        return sum(self.by_phase.get(p.value, 0) for p in DRAFTING)

    @property
    def ended(self) -> int:
        return self.by_phase.get(ConventionPhase.echue.value, 0)

    @property
    def without_ctg(self) -> int:
        return self.by_phase.get(NO_CTG, 0)


def departement_rows(
    rows: Iterable[TerritoryRow], names: Mapping[str, str] | None = None
) -> list[DepartementRow]:
    """The territory rows counted per département (only the départements having rows), in
    order of code. `names` gives the départements' names (the code when missing)."""
    names = names or {}
    grouped: dict[str, list[TerritoryRow]] = {}
    for row in rows:
        grouped.setdefault(row.departement, []).append(row)
    result = []
    for code in sorted(grouped):
        members = grouped[code]
        by_phase = {key: 0 for key in PHASE_KEYS}
        for row in members:
            by_phase[row.phase_key] += 1
        result.append(
            DepartementRow(
                code=code,
                name=names.get(code, code),
                territories=len(members),
                conventions=sum(r.convention_id is not None for r in members),
                by_phase=by_phase,
                actions_late=sum(r.actions_late for r in members),
            )
        )
    return result


# --- choices for the sidebar --------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryChoice:
    code: str
    name: str
    kind: TerritoryKind

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind.label})"


def territory_choices(session: Session, departement: str | None = None) -> list[TerritoryChoice]:
    """Every EPCI, then every commune, of the département (or of all, for `FRANCE`), by name
    (filter options)."""
    dep = departement or config.departement()
    rows = session.exec(
        select(Territory.code, Territory.name, Territory.kind).where(_in_scope(dep))
    ).all()
    choices = [TerritoryChoice(code, name, kind) for code, name, kind in rows]
    choices.sort(key=lambda c: (c.kind is not TerritoryKind.epci, _sort_key(c.name), c.code))
    return choices
