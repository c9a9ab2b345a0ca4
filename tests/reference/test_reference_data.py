"""Territories, funding rules and the setup that loads them."""

from decimal import Decimal

from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Convention, FundingRule, Territory, TerritoryKind
from ctg_core.funding.rules import entitlement
from ctg_core.reference.territories import load_territories
from ctg_core.setup import bootstrap


def test_territories_are_the_real_ones_and_loading_twice_changes_nothing(session):
    report = load_territories(session, "44")
    assert (report.epci_added, report.communes_added, report.updated) == (0, 0, 0)
    rows = session.exec(select(Territory)).all()
    assert sum(t.kind is TerritoryKind.epci for t in rows) == 17
    assert sum(t.kind is TerritoryKind.commune for t in rows) == 207
    reze = next(t for t in rows if t.code == "44143")
    nantes = next(t for t in rows if t.code == "244400404")
    assert (reze.name, reze.epci_id) == ("Rezé", nantes.id)


def test_entitlement_is_the_rate_capped_by_the_ceiling_per_fte():
    rule = FundingRule(year=2026, rate=Decimal("0.5"), ceiling_per_fte=Decimal("26000"))
    assert entitlement(Decimal("1"), Decimal("48000"), rule) == Decimal("24000.00")
    assert entitlement(Decimal("1"), Decimal("60000"), rule) == Decimal("26000.00")
    assert entitlement(Decimal("0.5"), Decimal("30000"), rule) == Decimal("13000.00")


def test_prepare_loads_everything_once_then_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = bootstrap.prepare(url)
    second = bootstrap.prepare(url)
    assert first.territories is not None and first.territories.epci_added == 17
    assert first.demo is not None and first.demo.conventions >= 15
    assert (second.territories, second.demo, second.funding_rules) == (None, None, 0)
    with Session(db.engine_for(url)) as session:
        assert len(session.exec(select(Convention)).all()) == first.demo.conventions
