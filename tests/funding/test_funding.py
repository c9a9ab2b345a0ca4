"""Post funding: the yearly cycle renewal → acompte, on both databases."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from ctg_core.common.errors import ConflictError, PermissionDenied, ValidationFailed
from ctg_core.common.models import (
    ChangeLog,
    CooperationPost,
    FundingRule,
    PostFunding,
    RenewalStatus,
    Role,
)
from ctg_core.funding import commands as funding
from ctg_core.funding import queries as funding_queries
from ctg_core.funding import rules as funding_rules
from tests.conftest import TODAY
from tests.factories import CARENE

ROOT = Path(__file__).resolve().parents[2]


def make_line(world, territory=None, **fields) -> PostFunding:
    territory = territory or world.territory()
    post = CooperationPost(territory_id=territory.id, officer_name="Léa Tessier")
    world.session.add(post)
    world.session.flush()
    values = {
        "year": 2026,
        "fte": Decimal("1"),
        "eligible_cost": Decimal("48000"),
        "entitlement": Decimal("24000"),
        "renewal_due_on": date(2026, 3, 31),
    }
    values.update(fields)
    line = PostFunding(post_id=post.id, **values)
    world.session.add(line)
    world.session.commit()
    return line


def test_unsigned_renewal_past_its_due_date_blocks_the_advance(world, session):
    make_line(world)
    make_line(world, world.territory(CARENE), renewal_status=RenewalStatus.signee)
    lines = funding_queries.funding_lines(session, world.user(Role.caf_manager), 2026, TODAY)
    assert dict(zip(lines["territory"], lines["advance_blocked"], strict=True)) == {
        "CA de la Région Nazairienne et de l'Estuaire (CARENE)": False,
        "Nantes Métropole": True,
    }


def test_an_officer_sees_only_the_post_of_their_territory(world, session):
    make_line(world)
    make_line(world, world.territory(CARENE))
    officer = world.user(Role.coop_officer, territories=[world.territory()])
    assert list(funding_queries.funding_lines(session, officer, 2026, TODAY)["territory"]) == [
        "Nantes Métropole"
    ]


def test_renewal_moves_one_step_at_a_time_then_the_advance_is_paid(world, session):
    line = make_line(world)
    manager = world.user(Role.caf_manager)
    with pytest.raises(ValidationFailed, match="Demande reçue"):
        funding.record_renewal(
            session, manager, line.id, 1, {"status": "signee", "on": date(2026, 4, 2)}
        )
    with pytest.raises(ValidationFailed, match="acompte est bloqué"):
        funding.pay_advance(
            session, manager, line.id, 1, {"amount": "16800", "paid_on": date(2026, 4, 2)}
        )
    funding.record_renewal(
        session, manager, line.id, 1, {"status": "demande_recue", "on": date(2026, 3, 20)}
    )
    funding.record_renewal(
        session, manager, line.id, 2, {"status": "signee", "on": date(2026, 4, 1)}
    )
    with pytest.raises(ValidationFailed, match="dépasser le droit"):
        funding.pay_advance(
            session, manager, line.id, 3, {"amount": "24000.01", "paid_on": date(2026, 4, 2)}
        )
    funding.pay_advance(
        session, manager, line.id, 3, {"amount": "16800", "paid_on": date(2026, 4, 2)}
    )

    saved = session.get(PostFunding, line.id, populate_existing=True)
    assert (saved.renewal_status, saved.renewal_signed_on) == (
        RenewalStatus.signee,
        date(2026, 4, 1),
    )
    assert (saved.advance_amount, saved.version) == (Decimal("16800.00"), 4)
    log = session.exec(select(ChangeLog).where(ChangeLog.entity == "funding")).all()
    assert len(log) == 3


def test_only_caf_management_decides_and_stale_versions_conflict(world, session):
    line = make_line(world)
    officer = world.user(Role.coop_officer, territories=[world.territory()])
    with pytest.raises(PermissionDenied):
        funding.record_renewal(
            session, officer, line.id, 1, {"status": "demande_recue", "on": TODAY}
        )
    manager = world.user(Role.caf_manager)
    funding.record_renewal(session, manager, line.id, 1, {"status": "demande_recue", "on": TODAY})
    with pytest.raises(ConflictError):
        funding.record_renewal(session, manager, line.id, 1, {"status": "signee", "on": TODAY})


def test_funding_page_shows_the_blocked_advance(app_world):
    line = make_line(app_world, renewal_due_on=date(2020, 3, 31), year=TODAY.year)
    manager = app_world.user(Role.caf_manager, demo=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = manager.id
    at.switch_page("pages/financement.py")
    at.run()
    assert not at.exception
    assert "Nantes Métropole" in at.warning[0].value
    assert [m.value for m in at.metric][3] == "1"
    assert line.id


def test_declaring_the_cost_recomputes_the_entitlement_with_the_rule_of_the_year(world, session):
    line = make_line(world, entitlement=Decimal("0"))
    manager = world.user(Role.caf_manager)
    funding.declare_funding(session, manager, line.id, 1, {"fte": "0.80", "eligible_cost": "41000"})
    saved = session.get(PostFunding, line.id, populate_existing=True)
    # 2026 rule (data/funding_rules.csv): 50 %, ceiling 26 000 € per ETP → min(20 500, 20 800)
    assert saved.entitlement == Decimal("20500.00")
    funding.declare_funding(session, manager, line.id, 2, {"fte": "0.50", "eligible_cost": "41000"})
    assert session.get(PostFunding, line.id, populate_existing=True).entitlement == Decimal(
        "13000.00"
    )
    with pytest.raises(ValidationFailed):
        funding.declare_funding(session, manager, line.id, 3, {"fte": "0", "eligible_cost": "1"})


def test_no_rule_for_the_year_means_no_entitlement(world, session):
    line = make_line(world, year=2031)
    with pytest.raises(ValidationFailed, match="Aucune règle de financement"):
        funding.declare_funding(
            session, world.user(Role.admin), line.id, 1, {"fte": "1", "eligible_cost": "40000"}
        )


def funding_page(world) -> AppTest:
    manager = world.user(Role.caf_manager, demo=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = manager.id
    at.switch_page("pages/financement.py")
    return at.run()


def declare(at: AppTest, fte: str, cost: str) -> AppTest:
    next(t for t in at.text_input if t.label == "ETP").set_value(fte)
    next(t for t in at.text_input if t.label == "Coût éligible (€)").set_value(cost)
    return next(b for b in at.button if b.label == "Recalculer le droit").click().run()


def test_the_declared_cost_typed_the_french_way_recomputes_the_entitlement(app_world):
    year = TODAY.year
    line = make_line(app_world, year=year, entitlement=Decimal("0"))
    at = declare(funding_page(app_world), "0,8", "41 000")
    assert not at.exception
    app_world.session.rollback()  # end the test's read transaction: see what the page wrote
    saved = app_world.session.get(PostFunding, line.id)
    rule = app_world.session.get(FundingRule, year)
    assert (saved.fte, saved.eligible_cost) == (Decimal("0.80"), Decimal("41000.00"))
    assert saved.entitlement == funding_rules.entitlement(Decimal("0.8"), Decimal("41000"), rule)
    assert saved.entitlement > 0


def test_an_unreadable_cost_is_refused_in_french_and_changes_nothing(app_world):
    line = make_line(app_world, year=TODAY.year)
    at = declare(funding_page(app_world), "1", "quarante mille")
    assert not at.exception
    assert "Coût éligible doit être un montant" in " ".join(m.value for m in at.markdown)
    app_world.session.rollback()  # end the test's read transaction: see what the page wrote
    assert app_world.session.get(PostFunding, line.id).version == 1
