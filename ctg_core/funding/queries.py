"""Nouns of the funding of cooperation-officer posts, scoped to the user: the yearly lines
with their stage, what is missing and their alerts; the posts and their holders; the rules;
the Caf-wide totals per year and EPCI."""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any, Protocol

import pandas as pd
from sqlalchemy.orm import aliased
from sqlmodel import Session, and_, col, func, or_, select

from ctg_core.common import formats, history
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import NotFound, PermissionDenied
from ctg_core.common.history import HistoryLine, history_lines, readable_value
from ctg_core.common.labels import OPERATION_LABELS, field_label
from ctg_core.common.models import (
    ChangeLog,
    Convention,
    CooperationPost,
    FundingRule,
    PostFunding,
    PostHolder,
    RenewalStatus,
    Territory,
    TerritoryKind,
)
from ctg_core.funding import rules
from ctg_core.funding.rules import Stage

ZERO = Decimal(0)


class AlertKind(StrEnum):
    renewal_overdue = "renewal_overdue"
    renewal_due_soon = "renewal_due_soon"
    advance_blocked = "advance_blocked"
    justification_awaited = "justification_awaited"

    @property
    def label(self) -> str:
        return ALERT_LABELS[self]


ALERT_LABELS = {
    AlertKind.renewal_overdue: "Renouvellement en retard",
    AlertKind.renewal_due_soon: f"Renouvellement à signer dans les {rules.DUE_SOON_DAYS} jours",
    AlertKind.advance_blocked: "Acompte bloqué",
    AlertKind.justification_awaited: "Solde en attente de justification",
}


@dataclass(frozen=True)
class FundingLine:
    """One year of funding of one post, as the pages show it on `read_on` (amounts in
    Decimal). Its alerts and what it waits for follow from its facts and that day; what it
    waits for is written out when first asked for (a book holds thousands of lines, a page
    shows a few)."""

    id: int
    version: int
    post_id: int
    territory_id: int
    territory: str
    epci: str  # the EPCI the territory belongs to (itself for an EPCI)
    holders: str
    year: int
    fte: Decimal
    months: int
    eligible_cost: Decimal
    entitlement: Decimal
    renewal_status: RenewalStatus
    renewal_due_on: date | None
    renewal_received_on: date | None
    renewal_signed_on: date | None
    advance_amount: Decimal | None
    advance_paid_on: date | None
    actual_cost: Decimal | None
    justified_on: date | None
    final_entitlement: Decimal | None
    balance_amount: Decimal | None
    balance_paid_on: date | None
    # the year's rule (None without one)
    rate: Decimal | None
    ceiling_per_fte: Decimal | None
    advance_share: Decimal | None
    read_on: date  # the day its alerts and what is missing are read on
    alerts: tuple[AlertKind, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alerts", alerts_of(self, self.read_on))

    @cached_property
    def missing(self) -> tuple[str, ...]:
        return missing_of(self, self.read_on)

    @property
    def stage(self) -> Stage:
        return rules.stage(self)

    @property
    def proposed_advance(self) -> Decimal | None:
        """The acompte the rule proposes: share × droit (None without a rule or a droit)."""
        if self.advance_share is None or self.entitlement <= 0:
            return None
        return rules.to_cent(self.entitlement * self.advance_share)

    @property
    def balance_text(self) -> str:
        return rules.balance_text(self.balance_amount)

    def justification_preview(self, actual_cost: Decimal) -> tuple[Decimal, Decimal]:
        """(final droit, solde) that justifying `actual_cost` would give, as the command
        computes them: same rule, ETP and months; solde = final droit − acompte."""
        if self.rate is None or self.ceiling_per_fte is None:
            raise ValueError("no rule for this year")
        rule = FundingRule(year=self.year, rate=self.rate, ceiling_per_fte=self.ceiling_per_fte)
        final = rules.entitlement(self.fte, actual_cost, rule, self.months)
        return final, final - (self.advance_amount or ZERO)


# --- the lines ------------------------------------------------------------------------------


def _scoped(query: Any, user: CurrentUser) -> Any:
    if user.reads_everything:
        return query
    return query.where(col(Territory.id).in_(user.territory_ids or {-1}))


def lines(
    session: Session,
    user: CurrentUser,
    today: date,
    *,
    year: int | None = None,
    territory_ids: Iterable[int] | None = None,
    post_id: int | None = None,
) -> list[FundingLine]:
    """The yearly lines the user may read (all years, or one), by territory then year.

    Read as plain rows, not ORM objects nor through the ORM's result machinery: at national
    scale a page reads thousands of them.
    """
    where = []
    if year is not None:
        where.append(PostFunding.year == year)
    if territory_ids is not None:
        where.append(col(Territory.id).in_(list(territory_ids) or [-1]))
    if post_id is not None:
        where.append(PostFunding.post_id == post_id)
    return _read_lines(session, user, today, *where)


def _read_lines(session: Session, user: CurrentUser, today: date, *where: Any) -> list[FundingLine]:
    epci = aliased(Territory)
    columns = {
        "territory_id": Territory.id,
        "territory": Territory.name,
        # the EPCI's name, the territory's own for an EPCI (an empty name counts as none)
        "epci": func.coalesce(func.nullif(epci.name, ""), Territory.name),
        "holders": CooperationPost.officer_name,
    }
    query = _scoped(
        select(
            *(
                columns[name] if name in columns else getattr(PostFunding, name)
                for name in _LINE_FIELDS
            )
        )
        .join(CooperationPost, CooperationPost.id == PostFunding.post_id)
        .join(Territory, Territory.id == CooperationPost.territory_id)
        .join(epci, epci.id == Territory.epci_id, isouter=True),
        user,
    ).where(*where)
    # The few yearly rules apart: joined in SQL, each line would convert their amounts again.
    rule_of = {
        rule_year: (rate, ceiling, share)
        for rule_year, rate, ceiling, share in session.connection().execute(
            select(
                FundingRule.year,
                FundingRule.rate,
                FundingRule.ceiling_per_fte,
                FundingRule.advance_share,
            )
        )
    }
    no_rule = (None, None, None)
    year_at = _LINE_FIELDS.index("year")
    found = [
        FundingLine(*row, *rule_of.get(row[year_at], no_rule), today)
        for row in session.connection().execute(query).all()
    ]
    return sorted(found, key=_line_order)


def _line_order(line: FundingLine) -> tuple[str, int, int]:
    return (_fold(line.territory), line.year, line.id)


# The fields of a FundingLine read with each line, in the order of its constructor
# (the year's rule and the day are not read with them).
_LINE_FIELDS = tuple(each.name for each in fields(FundingLine) if each.init)[:-4]


def funding_lines(session: Session, user: CurrentUser, year: int, today: date) -> list[FundingLine]:
    """One line per cooperation post funded in `year`, within the user's territories."""
    return lines(session, user, today, year=year)


class AlertFacts(Protocol):
    """What `alerts_of` reads of a yearly line (a `PostFunding`, a `FundingLine`, or a row of
    these columns alone: `alert_counts`)."""

    year: int
    renewal_status: RenewalStatus
    renewal_due_on: date | None
    entitlement: Decimal
    advance_paid_on: date | None
    justified_on: date | None


def alerts_of(line: AlertFacts, today: date) -> tuple[AlertKind, ...]:
    """The alerts of one line on `today`.

    - renewal overdue: not signed and its due date passed (this blocks the acompte);
    - renewal due soon: not signed, due within `rules.DUE_SOON_DAYS` days;
    - acompte blocked: not paid for a year already begun, because the renewal is overdue or
      the droit is not computed (no eligible cost declared);
    - solde awaiting justification: acompte paid, year over, actual cost not justified.
    """
    found: list[AlertKind] = []
    overdue = rules.renewal_overdue(line.renewal_status, line.renewal_due_on, today)
    if overdue:
        found.append(AlertKind.renewal_overdue)
    if rules.renewal_due_soon(line.renewal_status, line.renewal_due_on, today):
        found.append(AlertKind.renewal_due_soon)
    no_droit = line.renewal_status is RenewalStatus.signee and line.entitlement <= 0
    if line.advance_paid_on is None and line.year <= today.year and (overdue or no_droit):
        found.append(AlertKind.advance_blocked)
    if (
        line.advance_paid_on is not None
        and line.justified_on is None
        and today >= rules.justification_opens(line.year)
    ):
        found.append(AlertKind.justification_awaited)
    kinds = tuple(found)
    return _ALERT_SETS.setdefault(kinds, kinds)


# Each distinct set of alerts, kept once: a book's thousands of lines share a handful.
_ALERT_SETS: dict[tuple[AlertKind, ...], tuple[AlertKind, ...]] = {}


def missing_of(line: FundingLine, today: date) -> tuple[str, ...]:
    """What the line waits for, in words a chargé de coopération reads on their own post."""
    year = line.year
    due = f" (avant le {formats.day(line.renewal_due_on)})" if line.renewal_due_on else ""
    found: list[str] = []
    if line.advance_paid_on is None and line.entitlement <= 0:
        found.append(f"Coût éligible {year} à déclarer (ETP, mois, coût) pour calculer le droit")
    stage = line.stage
    if stage is Stage.a_renouveler:
        found.append(f"Demande de renouvellement {year} à envoyer à la Caf{due}")
    elif stage is Stage.demande_recue:
        found.append(f"Convention annuelle {year} à signer{due}")
    elif stage is Stage.signee and line.entitlement > 0:
        found.append("Acompte à verser par la Caf")
    elif stage is Stage.acompte_verse:
        if today >= rules.justification_opens(year):
            found.append(f"Justificatif des dépenses {year} (coût réel) à transmettre à la Caf")
        else:
            found.append(
                f"Justificatif des dépenses {year} à transmettre après le "
                f"{formats.day(date(year, 12, 31))}"
            )
    elif stage is Stage.justifiee and line.balance_amount is not None:
        if line.balance_amount < 0:
            found.append(f"Somme de {formats.euros(-line.balance_amount)} à reverser à la Caf")
        else:
            found.append(f"Solde de {formats.euros(line.balance_amount)} à verser par la Caf")
    return tuple(found)


def funding_years(session: Session) -> list[int]:
    """Years with at least one line, newest first."""
    return sorted(set(session.exec(select(PostFunding.year))), reverse=True)


# --- totals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Amounts of a set of lines: droits, acomptes paid, soldes to pay and to recover."""

    lines: int = 0
    entitlements: Decimal = ZERO
    advances_paid: Decimal = ZERO
    balances_due: Decimal = ZERO  # positive soldes computed, not yet paid
    to_recover: Decimal = ZERO  # negative soldes computed, not yet recovered (as a positive sum)
    balances_settled: Decimal = ZERO  # soldes paid minus sums recovered


def totals(rows: Iterable[FundingLine]) -> Totals:
    count, droits, advances, due, recover, settled = 0, ZERO, ZERO, ZERO, ZERO, ZERO
    for line in rows:
        count += 1
        droits += line.entitlement
        if line.advance_paid_on is not None:
            advances += line.advance_amount or ZERO
        balance = line.balance_amount
        if balance is None:
            continue
        if line.balance_paid_on is not None:
            settled += balance
        elif balance >= 0:
            due += balance
        else:
            recover -= balance
    return Totals(count, droits, advances, due, recover, settled)


CAF_COLUMNS = [
    "year",
    "epci",
    "lines",
    "entitlements",
    "advances_paid",
    "balances_due",
    "to_recover",
    "balances_settled",
]


def caf_view(rows: Iterable[FundingLine]) -> pd.DataFrame:
    """Per year and EPCI (a commune's post counts in its EPCI), then a « Total » row per
    year: the Caf-wide view. Amounts are Decimal, to the cent."""
    groups: dict[tuple[int, str], list[FundingLine]] = {}
    for line in rows:
        groups.setdefault((line.year, line.epci), []).append(line)
    folded = {epci: _fold(epci) for _, epci in groups}
    ordered = sorted(groups, key=lambda key: (-key[0], folded[key[1]]))
    records = []
    for year in sorted({y for y, _ in groups}, reverse=True):
        year_lines: list[FundingLine] = []
        for key in ordered:
            if key[0] != year:
                continue
            year_lines += groups[key]
            records.append(_record(year, key[1], totals(groups[key])))
        records.append(_record(year, TOTAL, totals(year_lines)))
    return pd.DataFrame(records, columns=CAF_COLUMNS)


TOTAL = "Total"


def _record(year: int, epci: str, t: Totals) -> dict[str, Any]:
    return {
        "year": year,
        "epci": epci,
        "lines": t.lines,
        "entitlements": t.entitlements,
        "advances_paid": t.advances_paid,
        "balances_due": t.balances_due,
        "to_recover": t.to_recover,
        "balances_settled": t.balances_settled,
    }


@lru_cache(maxsize=16_384)
def _fold(name: str) -> str:
    """`formats.folded`, remembered: the book sorts thousands of lines by a few thousand
    territory names, and is read again after every funding write."""
    return formats.folded(name)


# --- the whole book, read once per state of the funding tables -------------------------------


def funding_version(session: Session) -> str:
    """A fingerprint that changes whenever a yearly line, a post, a holder or a rule is
    created, changed or removed (each change raises its row's version and writes a history
    line): the Financement page keeps its `FundingBook` under it."""
    return history.data_version(
        session,
        [
            (PostFunding.id, PostFunding.version),
            (CooperationPost.id, CooperationPost.version),
            (PostHolder.id, PostHolder.version),
            (FundingRule.year, FundingRule.version),
        ],
        col(ChangeLog.entity).in_(FUNDING_ENTITIES),
    )


# The history entities of the funding commands.
FUNDING_ENTITIES = ("funding", "funding_rule", "post", "post_holder")


@dataclass(frozen=True)
class FundingBook:
    """Every yearly line the user may read on `today`, with their alerts, each year's lines
    and totals and the Caf-wide view: what the Financement page draws from (a window at a
    time).

    `funding_book` may read only what the first screen shows (every alert, the lines of
    `today`'s year): the lines of another year are then read by `read_year` when first asked
    for, once for every session that shares the book."""

    alerts: tuple[FundingAlert, ...]
    years: tuple[int, ...]  # the years with a line, newest first
    read_year: Callable[[int], Sequence[FundingLine]] = field(repr=False, compare=False)
    loaded: dict[int, tuple[FundingLine, ...]] = field(repr=False, compare=False)
    year_totals: dict[int, Totals] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def year(self, year: int) -> tuple[FundingLine, ...]:
        """The lines of `year`, by territory (read when first asked for)."""
        if year not in self.years:
            return ()
        found = self.loaded.get(year)
        if found is None:
            with self._lock:  # sessions share the book: one of them reads the year
                found = self.loaded.get(year)
                if found is None:
                    found = self.loaded[year] = tuple(self.read_year(year))
        return found

    def totals(self, year: int) -> Totals:
        found = self.year_totals.get(year)
        if found is None:  # computed once: every run of the page shows the year's totals
            found = self.year_totals[year] = totals(self.year(year))
        return found

    @cached_property
    def by_year(self) -> dict[int, tuple[FundingLine, ...]]:
        """The lines of every year (all read)."""
        return {year: self.year(year) for year in self.years}

    @cached_property
    def lines(self) -> tuple[FundingLine, ...]:
        """Every line (all read), in the order of `lines`."""
        every_line = [line for rows in self.by_year.values() for line in rows]
        return tuple(sorted(every_line, key=_line_order))

    @cached_property
    def caf_view(self) -> pd.DataFrame:
        """`caf_view` of every line: computed once, when first asked for."""
        return caf_view(self.lines)

    def alert_count(self, territory_ids: Iterable[int] | None = None) -> int:
        """`alert_count` from the book already read: lines with an alert, within
        `territory_ids` when given."""
        wanted = None if territory_ids is None else set(territory_ids)
        return len(
            {a.line.id for a in self.alerts if wanted is None or a.line.territory_id in wanted}
        )


def funding_book(
    session: Session,
    user: CurrentUser,
    today: date,
    *,
    reopen: Callable[[], AbstractContextManager[Session]] | None = None,
) -> FundingBook:
    """The book of the lines `user` may read on `today`.

    Without `reopen`, every line is read now, in `session`. With it (`db.session`), only
    what the first screen shows: the lines of `today`'s year and every line with an alert
    (selected in SQL by a condition that holds for at least every line with one: the alerts
    themselves are `alerts_of`'s); another year is read in a session `reopen` gives, when
    first asked for, as the tables are then. The Financement page checks the funding
    fingerprint at the start of every run: after a write, its next run takes a new book (a
    year first read between a write and that run shows the write a run early)."""
    if reopen is None:
        every_line = lines(session, user, today)
        by_year: dict[int, list[FundingLine]] = {}
        for line in every_line:
            by_year.setdefault(line.year, []).append(line)
        return FundingBook(
            alerts=tuple(alerts_in(every_line)),
            years=tuple(sorted(by_year, reverse=True)),
            read_year=lambda year: (),
            loaded={year: tuple(rows) for year, rows in by_year.items()},
        )

    def read_year(year: int) -> list[FundingLine]:
        with reopen() as later:
            return lines(later, user, today, year=year)

    first = _read_lines(
        session, user, today, or_(PostFunding.year == today.year, _may_alert(today))
    )
    years = session.exec(
        _scoped(
            select(PostFunding.year)
            .distinct()
            .join(CooperationPost, CooperationPost.id == PostFunding.post_id)
            .join(Territory, Territory.id == CooperationPost.territory_id),
            user,
        )
    ).all()
    this_year = tuple(line for line in first if line.year == today.year)
    return FundingBook(
        alerts=tuple(alerts_in(first)),
        years=tuple(sorted(years, reverse=True)),
        read_year=read_year,
        loaded={today.year: this_year} if this_year else {},
    )


def _may_alert(today: date) -> Any:
    """Holds for every line that has an alert on `today` (`alerts_of`), and for few others:
    a renewal not signed and due by `rules.DUE_SOON_DAYS` days from now, a droit not computed
    for a signed year begun without acompte, an acompte paid for a year over and not
    justified."""
    return or_(
        and_(
            PostFunding.renewal_status != RenewalStatus.signee,
            col(PostFunding.renewal_due_on) <= today + timedelta(days=rules.DUE_SOON_DAYS),
        ),
        and_(
            col(PostFunding.advance_paid_on).is_(None),
            PostFunding.year <= today.year,
            PostFunding.renewal_status == RenewalStatus.signee,
            PostFunding.entitlement <= 0,
        ),
        and_(
            col(PostFunding.advance_paid_on).is_not(None),
            col(PostFunding.justified_on).is_(None),
            PostFunding.year < today.year,
        ),
    )


def matching(
    rows: Iterable[FundingLine],
    *,
    search: str = "",
    stages: Iterable[Stage] = (),
    with_alert: bool = False,
) -> list[FundingLine]:
    """The lines whose territory or holders contain `search` (« reze » finds « Rezé »), at
    one of `stages` (any when none given), with at least one alert if `with_alert`; in the
    order given."""
    wanted = _fold(search)
    at = set(stages)
    return [
        line
        for line in rows
        if (not at or line.stage in at)
        and (not with_alert or line.alerts)
        and (not wanted or wanted in _fold(f"{line.territory} {line.holders}"))
    ]


# --- alerts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingAlert:
    kind: AlertKind
    line: FundingLine

    @property
    def detail(self) -> str:
        line = self.line
        if self.kind is AlertKind.renewal_overdue:
            return f"à signer avant le {formats.day(line.renewal_due_on)}, non signé"
        if self.kind is AlertKind.renewal_due_soon:
            return f"à signer avant le {formats.day(line.renewal_due_on)}"
        if self.kind is AlertKind.advance_blocked:
            if line.renewal_status is not RenewalStatus.signee:
                return "renouvellement non signé à l'échéance"
            return "droit non calculé : coût éligible à déclarer"
        return f"coût réel {line.year} non justifié"


def funding_alerts(
    session: Session,
    user: CurrentUser,
    today: date,
    territory_ids: Iterable[int] | None = None,
) -> list[FundingAlert]:
    """Every alert of the lines the user may read, by kind then territory and year."""
    return alerts_in(lines(session, user, today, territory_ids=territory_ids))


def alerts_in(rows: Iterable[FundingLine]) -> list[FundingAlert]:
    """The alerts of lines already read, by kind then territory and year."""
    found = [FundingAlert(kind, line) for line in rows for kind in line.alerts]
    order = {kind: rank for rank, kind in enumerate(AlertKind)}
    return sorted(found, key=lambda a: (order[a.kind], _fold(a.line.territory), a.line.year))


def alert_count(
    session: Session, user: CurrentUser, today: date, territory_ids: Iterable[int] | None = None
) -> int:
    """How many yearly lines carry at least one alert (the overview's figure), within
    `territory_ids` when given."""
    counts = alert_counts(session, user, today)
    if territory_ids is None:
        return sum(counts.values())
    return sum(counts.get(territory_id, 0) for territory_id in set(territory_ids))


# The columns `alerts_of` reads (`AlertFacts`), and a line of them with its territory, as a
# named tuple: a row's attributes cost ten times a tuple's, and there are thousands of lines.
_ALERT_COLUMNS = tuple(getattr(PostFunding, name) for name in AlertFacts.__annotations__)
_AlertLine = namedtuple("_AlertLine", ["territory_id", *AlertFacts.__annotations__])


def alert_counts(session: Session, user: CurrentUser, today: date, *where: Any) -> dict[int, int]:
    """Per territory the user may read (and that meets the conditions `where` on `Territory`,
    if any): how many of its yearly lines carry at least one alert on `today`, the territories
    without one left out. The figure of `FundingBook.alert_count` without reading the book:
    only the columns `alerts_of` reads, of the lines that may have an alert (`_may_alert`,
    in SQL), the alerts themselves `alerts_of`'s."""
    query = _scoped(
        select(CooperationPost.territory_id, *_ALERT_COLUMNS)
        .join(CooperationPost, CooperationPost.id == PostFunding.post_id)
        .join(Territory, Territory.id == CooperationPost.territory_id),
        user,
    ).where(_may_alert(today), *where)
    counts: dict[int, int] = {}
    for line in map(_AlertLine._make, session.connection().execute(query).all()):
        if alerts_of(line, today):
            counts[line.territory_id] = counts.get(line.territory_id, 0) + 1
    return counts


# --- posts and holders ----------------------------------------------------------------------


@dataclass(frozen=True)
class HolderView:
    id: int
    version: int
    name: str
    email: str
    fte: Decimal
    starts_on: date
    ends_on: date | None

    def in_post(self, today: date) -> bool:
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)


@dataclass(frozen=True)
class PostView:
    id: int
    version: int
    territory_id: int
    territory: str
    holders: tuple[HolderView, ...]
    years: tuple[int, ...]  # years with a line

    def coverage(self, year: int) -> tuple[Decimal, int]:
        return rules.coverage(self.holders, year)


def posts(session: Session, user: CurrentUser) -> list[PostView]:
    """The posts the user may read, with their holders and the years they have a line for
    (read as plain rows)."""
    query = _scoped(
        select(CooperationPost.id, CooperationPost.version, Territory.id, Territory.name)
        .join(Territory, Territory.id == CooperationPost.territory_id)
        .order_by(Territory.name, CooperationPost.id),
        user,
    )
    found = session.exec(query).all()
    ids = [post_id for post_id, *_ in found]
    holders: dict[int, list[HolderView]] = {}
    for post_id, *holder in session.exec(
        select(
            PostHolder.post_id,
            PostHolder.id,
            PostHolder.version,
            PostHolder.name,
            PostHolder.email,
            PostHolder.fte,
            PostHolder.starts_on,
            PostHolder.ends_on,
        )
        .where(col(PostHolder.post_id).in_(ids or [-1]))
        .order_by(PostHolder.starts_on, PostHolder.id)  # type: ignore[arg-type]
    ):
        holders.setdefault(post_id, []).append(HolderView(*holder))
    years: dict[int, list[int]] = {}
    for post_id, year in session.exec(
        select(PostFunding.post_id, PostFunding.year).where(
            col(PostFunding.post_id).in_(ids or [-1])
        )
    ):
        years.setdefault(post_id, []).append(year)
    return [
        PostView(
            id=post_id,
            version=version,
            territory_id=territory_id,
            territory=territory,
            holders=tuple(holders.get(post_id, [])),
            years=tuple(sorted(years.get(post_id, []))),
        )
        for post_id, version, territory_id, territory in found
    ]


@dataclass(frozen=True)
class TerritoryOption:
    id: int
    name: str


def territories_without_post(session: Session, today: date) -> list[TerritoryOption]:
    """Territories with a CTG or an EPCI, that have no running post (new post form)."""
    running = select(CooperationPost.territory_id).where(
        col(CooperationPost.ended_on).is_(None) | (col(CooperationPost.ended_on) >= today)
    )
    with_ctg = select(Convention.territory_id).where(col(Convention.archived_at).is_(None))
    query = (
        select(Territory.id, Territory.name)
        .where(
            (Territory.kind == TerritoryKind.epci) | col(Territory.id).in_(with_ctg),
            col(Territory.id).not_in(running),
        )
        .order_by(Territory.name)
    )
    return [TerritoryOption(ident, name) for ident, name in session.exec(query)]


# --- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    year: int
    version: int
    rate: Decimal
    ceiling_per_fte: Decimal
    advance_share: Decimal
    renewal_opens_on: date
    renewal_due_on: date
    notes: str
    lines: int  # lines computed under this rule: changing it takes a correction

    @property
    def rate_text(self) -> str:
        return percent_text(self.rate)

    @property
    def advance_share_text(self) -> str:
        return percent_text(self.advance_share)

    @property
    def in_use(self) -> bool:
        return self.lines > 0

    def form_values(self) -> dict[str, Any]:
        """The rule as the admin types it (percentages, French numbers)."""
        return {
            "rate": formats.number(self.rate * 100, 2),
            "ceiling_per_fte": formats.number(self.ceiling_per_fte, 2),
            "advance_share": formats.number(self.advance_share * 100, 2),
            "renewal_opens_on": self.renewal_opens_on,
            "renewal_due_on": self.renewal_due_on,
            "notes": self.notes,
        }


def percent_text(fraction: Decimal) -> str:
    """0.5 → « 50 % », 0.625 → « 62,50 % »."""
    whole = (fraction * 100) == (fraction * 100).to_integral_value()
    return formats.percent(float(fraction), 0 if whole else 2)


def funding_rules(session: Session) -> list[RuleView]:
    """Every yearly rule, newest first, with the number of lines that use it."""
    used = dict(
        session.exec(
            select(PostFunding.year, func.count(PostFunding.id)).group_by(PostFunding.year)  # type: ignore[arg-type]
        ).all()
    )
    return [
        RuleView(
            r.year,
            r.version,
            r.rate,
            r.ceiling_per_fte,
            r.advance_share,
            r.renewal_opens_on,
            r.renewal_due_on,
            r.notes,
            used.get(r.year, 0),
        )
        for r in session.exec(select(FundingRule).order_by(col(FundingRule.year).desc()))
    ]


# --- history --------------------------------------------------------------------------------


def line_history(session: Session, user: CurrentUser, funding_id: int) -> list[HistoryLine]:
    """The history of one yearly line, newest first, if the user may read it."""
    found = session.exec(
        select(Territory.id)
        .join(CooperationPost, CooperationPost.territory_id == Territory.id)
        .join(PostFunding, PostFunding.post_id == CooperationPost.id)
        .where(PostFunding.id == funding_id)
    ).first()
    if found is None:
        raise NotFound("financement", funding_id)
    if not user.reads_everything and found not in user.territory_ids:
        raise PermissionDenied("consulter ce financement")
    return history_lines(session, "funding", funding_id)


@dataclass(frozen=True)
class RuleHistoryEntry:
    at: datetime
    user_name: str
    operation: str
    changes: tuple[str, ...]  # « Taux de la Caf : 50 % → 52 % »
    reason: str = ""
    recomputed: tuple[str, ...] = field(default=())  # « Nantes Métropole : Droit 24 000,00 € → … »
    kept: tuple[str, ...] = field(default=())


_PERCENT_FIELDS = frozenset({"rate", "advance_share"})


def _rule_value(name: str, value: Any) -> str:
    if value is not None and name in _PERCENT_FIELDS:
        return percent_text(Decimal(str(value)))
    return readable_value(name, value)


def rule_history(session: Session, year: int) -> list[RuleHistoryEntry]:
    """The history of a year's rule in French, newest first: each correction with its
    reason and the lines it recomputed (and those it left, already settled)."""
    entries = session.exec(
        select(ChangeLog)
        .where(ChangeLog.entity == "funding_rule", ChangeLog.entity_id == year)
        .order_by(col(ChangeLog.id).desc())
    ).all()
    result = []
    for entry in entries:
        changes = entry.changes or {}
        pairs = [
            f"{field_label(name)} : {_rule_value(name, pair[0]) or '—'} → "
            f"{_rule_value(name, pair[1])}"
            for name, pair in changes.items()
            if name != "reason" and isinstance(pair, list) and len(pair) == 2
        ]
        result.append(
            RuleHistoryEntry(
                at=formats.local_time(entry.at),
                user_name=entry.user_name,
                operation=OPERATION_LABELS.get(entry.operation, entry.operation),
                changes=tuple(pairs),
                reason=str((changes.get("reason") or [None, ""])[1] or ""),
                recomputed=tuple(
                    _recomputed_text(facts) for facts in (changes.get("recomputed") or {}).values()
                ),
                kept=tuple(
                    f"{facts.get('territory', '')} ({facts.get('why', '')})"
                    for facts in (changes.get("kept") or {}).values()
                ),
            )
        )
    return result


def _recomputed_text(facts: dict[str, Any]) -> str:
    parts = [
        f"{field_label(name)} {readable_value(name, pair[0])} → {readable_value(name, pair[1])}"
        for name, pair in facts.items()
        if name != "territory" and isinstance(pair, list) and len(pair) == 2
    ]
    return f"{facts.get('territory', '')} : {', '.join(parts) or 'inchangée'}"
