"""Yearly rules are data the admin keeps: next year's rule changes freely, a rule already
used by lines only through a motivated correction that says which lines it recomputes."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ctg_core.common.errors import PermissionDenied, ValidationFailed
from ctg_core.common.models import ChangeLog
from ctg_core.funding import commands as funding
from ctg_core.funding import queries as funding_queries
from tests.factories import CARENE
from tests.funding.conftest import (
    history_count,
    line_for,
    make_post,
    restore_rules,
    rule,
    signed_line,
)


def test_a_rule_changed_for_next_year_leaves_past_lines_unchanged(world, manager, admin):
    this_year = line_for(world, manager)
    this_year.declare("48000")  # 2026: 24 000
    funding.update_rule(world.session, admin, 2027, 1, {"rate": "55 %", "advance_share": "65"})

    assert this_year.row.entitlement == Decimal("24000.00")
    assert rule(world.session, 2026).rate == Decimal("0.5000")
    saved = rule(world.session, 2027)
    assert (saved.rate, saved.advance_share, saved.version) == (
        Decimal("0.5500"),
        Decimal("0.6500"),
        2,
    )
    # A 2027 line is computed with the new rule: min(55 % × 48 000, 26 500) = 26 400
    next_year = line_for(world, manager, this_year.row.post_id, year=2027)
    assert next_year.declare("48000").entitlement == Decimal("26400.00")


def test_a_used_rule_cannot_be_changed_without_a_correction(world, manager, admin):
    line_for(world, manager).declare("48000")
    entries = history_count(world.session)
    with pytest.raises(ValidationFailed, match=r"s'applique déjà à 1 ligne .* correction motivée"):
        funding.update_rule(world.session, admin, 2026, 1, {"ceiling_per_fte": "23 000"})
    assert rule(world.session, 2026).ceiling_per_fte == Decimal("26000.00")
    assert history_count(world.session) == entries


def test_a_logged_correction_recomputes_the_open_lines_and_says_which(world, manager, admin):
    nantes = line_for(world, manager)
    nantes.declare("48000")  # 24 000
    carene_post = make_post(world, manager, territory=world.territory(CARENE))
    settled = signed_line(world, manager, post_id=carene_post)  # 24 000
    settled.pay("16800")
    settled.justify("48000")  # final 24 000, solde 7 200
    settled.settle(date(2027, 4, 2))

    recomputed = funding.correct_rule(
        world.session,
        admin,
        2026,
        1,
        {"ceiling_per_fte": "23 000", "reason": "Circulaire rectificative du 12/03/2026"},
    )

    assert recomputed == [nantes.id]
    assert nantes.row.entitlement == Decimal("23000.00")  # min(24 000, 23 000)
    assert settled.row.entitlement == Decimal("24000.00")  # soldée: its figures stay
    entry = world.session.exec(
        select(ChangeLog).where(ChangeLog.entity == "funding_rule", ChangeLog.entity_id == 2026)
    ).one()
    assert entry.operation == "correct"
    assert entry.changes["ceiling_per_fte"] == ["26000.00", "23000.00"]
    assert entry.changes["reason"] == [None, "Circulaire rectificative du 12/03/2026"]
    assert entry.changes["recomputed"] == {
        str(nantes.id): {"territory": "Nantes Métropole", "entitlement": ["24000.00", "23000.00"]}
    }
    assert list(entry.changes["kept"]) == [str(settled.id)]

    [history] = funding_queries.rule_history(world.session, 2026)
    assert history.operation == "Correction motivée"
    assert history.reason == "Circulaire rectificative du 12/03/2026"
    assert history.changes == ("Plafond par ETP : 26\u202f000,00\xa0€ → 23\u202f000,00\xa0€",)
    assert history.recomputed == (
        "Nantes Métropole : Droit 24\u202f000,00\xa0€ → 23\u202f000,00\xa0€",
    )
    line_entry = funding_queries.line_history(world.session, manager, nantes.id)[0]
    assert line_entry.operation_label == "Correction motivée"
    assert "Règle 2026 corrigée : Circulaire rectificative" in line_entry.summary


def test_a_correction_recomputes_the_solde_of_a_justified_line(world, manager, admin):
    line = signed_line(world, manager)  # droit 24 000
    line.pay("16800")
    line.justify("40000")  # final 20 000, solde 3 200
    funding.correct_rule(world.session, admin, 2026, 1, {"rate": "45", "reason": "Erratum"})
    row = line.row
    # droit min(45 % × 48 000 = 21 600, 26 000); final 45 % × 40 000 = 18 000; 18 000 − 16 800
    assert (row.entitlement, row.final_entitlement, row.balance_amount) == (
        Decimal("21600.00"),
        Decimal("18000.00"),
        Decimal("1200.00"),
    )


def test_a_correction_needs_a_reason(world, admin):
    with pytest.raises(ValidationFailed, match="Motif"):
        funding.correct_rule(world.session, admin, 2026, 1, {"rate": "45", "reason": " "})
    assert rule(world.session, 2026).rate == Decimal("0.5000")


def test_a_new_rule_is_checked_and_logged(world, admin):
    with pytest.raises(ValidationFailed, match="Taux de la Caf doit être inférieur ou égal à 100"):
        funding.create_rule(world.session, admin, 2028, new_rule(rate="150"))
    with pytest.raises(ValidationFailed, match="L'échéance du renouvellement 2028 se situe"):
        funding.create_rule(world.session, admin, 2028, new_rule(renewal_due_on="01/01/2029"))
    with pytest.raises(ValidationFailed, match="existe déjà"):
        funding.create_rule(world.session, admin, 2026, new_rule())
    created = funding.create_rule(world.session, admin, 2028, new_rule())
    assert (created.rate, created.ceiling_per_fte, created.advance_share) == (
        Decimal("0.5000"),
        Decimal("27000.00"),
        Decimal("0.6250"),
    )
    assert funding_queries.rule_history(world.session, 2028)[0].changes[0] == (
        "Taux de la Caf : — → 50 %"
    )
    world.session.delete(created)  # rules are reference rows: leave the table as found
    world.session.commit()


def new_rule(**fields: str) -> dict[str, str]:
    values = {
        "rate": "50",
        "ceiling_per_fte": "27 000",
        "advance_share": "62,5 %",
        "renewal_opens_on": "01/10/2027",
        "renewal_due_on": "31/12/2027",
    }
    return {**values, **fields}


def test_only_the_admin_writes_the_rules(world, manager):
    with pytest.raises(PermissionDenied):
        funding.update_rule(world.session, manager, 2027, 1, {"rate": "55"})
    with pytest.raises(PermissionDenied):
        funding.correct_rule(world.session, manager, 2026, 1, {"rate": "55", "reason": "x"})
    with pytest.raises(PermissionDenied):
        funding.create_rule(world.session, manager, 2029, new_rule())


@pytest.fixture(autouse=True)
def rules_put_back(session):
    """The rules are reference data shared by the tests: put back what a test changed."""
    yield
    restore_rules(session)
