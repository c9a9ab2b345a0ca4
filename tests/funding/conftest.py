"""Small funding worlds built through the commands themselves (2026 rule of
`data/funding_rules.csv`: rate 50 %, ceiling 26 000 € per ETP, acompte 70 %, renewal from
01/10/2025, due 31/12/2025). The clock is `tests.conftest.TODAY`, 25/11/2026."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from ctg_core.common.auth import CurrentUser
from ctg_core.common.history import ACCESS
from ctg_core.common.models import ChangeLog, FundingRule, PostFunding, Role
from ctg_core.funding import commands as funding
from tests.conftest import TODAY
from tests.factories import CARENE, World

PORNIC = "200067346"
CLISSON = "200067635"
RECEIVED = date(2025, 10, 15)
SIGNED = date(2025, 11, 20)
PAID = date(2026, 1, 20)
JUSTIFIED = date(2027, 2, 15)


@pytest.fixture
def manager(world: World) -> CurrentUser:
    return world.user(Role.caf_manager, name="Claire Direction")


@pytest.fixture
def admin(world: World) -> CurrentUser:
    return world.user(Role.admin, name="Anne Admin")


def make_post(
    world: World,
    manager: CurrentUser,
    *holders: tuple[str, str, date, date | None],
    territory=None,
) -> int:
    """A post through `create_post` (+ `add_holder`): holders as (name, ETP, start, end)."""
    holders = holders or (("Léa Tessier", "1", date(2020, 1, 1), None),)
    territory = territory or world.territory()
    first, *others = holders
    post = funding.create_post(
        world.session,
        manager,
        {
            "territory_id": territory.id,
            "name": first[0],
            "fte": first[1],
            "starts_on": first[2],
            "ends_on": first[3],
        },
        today=TODAY,
    )
    version = post.version
    for name, fte, starts_on, ends_on in others:
        funding.add_holder(
            world.session,
            manager,
            post.id,
            version,
            {"name": name, "fte": fte, "starts_on": starts_on, "ends_on": ends_on},
            today=TODAY,
        )
        version += 1
    return post.id


def open_line(world: World, manager: CurrentUser, post_id: int, year: int = 2026) -> PostFunding:
    return funding.open_line(world.session, manager, post_id, {"year": year}, today=TODAY)


@dataclass
class Line:
    """A line and the session, to walk its cycle step by step with its current version."""

    session: Session
    user: CurrentUser
    id: int

    @property
    def row(self) -> PostFunding:
        return self.session.get(PostFunding, self.id, populate_existing=True)

    def declare(self, cost: str, **more: str) -> PostFunding:
        return funding.declare_funding(
            self.session, self.user, self.id, self.row.version, {"eligible_cost": cost, **more}
        )

    def renew(self, status: str, on: date, today: date = TODAY) -> PostFunding:
        return funding.record_renewal(
            self.session,
            self.user,
            self.id,
            self.row.version,
            {"status": status, "on": on},
            today=today,
        )

    def pay(self, amount: str, on: date = PAID, today: date = TODAY) -> PostFunding:
        return funding.pay_advance(
            self.session,
            self.user,
            self.id,
            self.row.version,
            {"amount": amount, "paid_on": on},
            today=today,
        )

    def justify(self, cost: str, on: date = JUSTIFIED, today: date = date(2027, 3, 1)):
        return funding.record_justification(
            self.session,
            self.user,
            self.id,
            self.row.version,
            {"actual_cost": cost, "justified_on": on},
            today=today,
        )

    def settle(self, on: date, today: date = date(2027, 6, 1)) -> PostFunding:
        return funding.settle_balance(
            self.session, self.user, self.id, self.row.version, {"paid_on": on}, today=today
        )


def line_for(world: World, manager: CurrentUser, post_id: int | None = None, year: int = 2026):
    post_id = post_id or make_post(world, manager)
    return Line(world.session, manager, open_line(world, manager, post_id, year).id)


def signed_line(world: World, manager: CurrentUser, cost: str = "48000", **kw) -> Line:
    """2026 line of a full-time post, declared (droit 24 000 € for 48 000 €) and signed."""
    line = line_for(world, manager, **kw)
    line.declare(cost)
    line.renew("demande_recue", RECEIVED)
    line.renew("signee", SIGNED)
    return line


def history_count(session: Session) -> int:
    """Entries of the history of records (a refused permission is recorded apart, as an
    access entry for the administrator: it is no change)."""
    session.rollback()
    return session.exec(select(func.count(ChangeLog.id)).where(ChangeLog.entity != ACCESS)).one()


def alert_world(world, manager) -> dict[str, int]:
    """One post per situation; returns the line ids by name."""
    overdue = line_for(world, manager)  # Nantes 2026, à renouveler, due 31/12/2025
    overdue.declare("48000")
    carene = make_post(world, manager, territory=world.territory(CARENE))
    paid = signed_line(world, manager, post_id=carene)  # CARENE 2026, acompte paid: no alert
    paid.pay("16800")
    due_soon = line_for(world, manager, carene, 2027)  # CARENE 2027, due 31/12/2026
    pornic = make_post(world, manager, territory=world.territory(PORNIC))
    awaiting = line_for(world, manager, pornic, 2025)  # Pornic 2025, acompte paid, not justified
    awaiting.declare("48000")
    awaiting.renew("demande_recue", date(2024, 10, 15))
    awaiting.renew("signee", date(2024, 11, 20))
    awaiting.pay("16800", on=date(2025, 1, 20))
    undeclared = line_for(
        world, manager, make_post(world, manager, territory=world.territory(CLISSON))
    )
    undeclared.renew("demande_recue", date(2025, 10, 15))  # Clisson 2026, signed, no droit
    undeclared.renew("signee", date(2025, 11, 20))
    return {
        "overdue": overdue.id,
        "paid": paid.id,
        "due_soon": due_soon.id,
        "awaiting": awaiting.id,
        "undeclared": undeclared.id,
    }


def rule(session: Session, year: int) -> FundingRule:
    return session.get(FundingRule, year, populate_existing=True)


ORIGINAL_RULES = {
    2026: {
        "rate": Decimal("0.5000"),
        "ceiling_per_fte": Decimal("26000.00"),
        "advance_share": Decimal("0.7000"),
        "renewal_opens_on": date(2025, 10, 1),
        "renewal_due_on": date(2025, 12, 31),
        "version": 1,
    },
    2027: {
        "rate": Decimal("0.5000"),
        "ceiling_per_fte": Decimal("26500.00"),
        "advance_share": Decimal("0.6000"),
        "renewal_opens_on": date(2026, 10, 1),
        "renewal_due_on": date(2026, 12, 31),
        "version": 1,
    },
}


def restore_rules(session: Session) -> None:
    """Put back the reference rules of data/funding_rules.csv that a test changed."""
    session.rollback()
    for year, values in ORIGINAL_RULES.items():
        row = session.get(FundingRule, year)
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
    session.commit()
