"""The droit, hand-computed, through the commands on SQLite and PostgreSQL.

Rule 2026 (data/funding_rules.csv): rate 50 %, ceiling 26 000 € per ETP.
droit = min(50 % × coût éligible, 26 000 × ETP × mois / 12), rounded to the cent, half up.
"""

from datetime import date
from decimal import Decimal

from ctg_core.common.models import FundingRule
from ctg_core.funding import rules
from tests.funding.conftest import line_for, make_post


def test_full_time_for_the_whole_year_under_the_ceiling(world, manager):
    line = line_for(world, manager)
    saved = line.declare("48 000")
    # 50 % × 48 000 = 24 000 ; cap 26 000 × 1 × 12/12 = 26 000
    assert (saved.fte, saved.months, saved.entitlement) == (
        Decimal("1.00"),
        12,
        Decimal("24000.00"),
    )


def test_full_time_above_the_ceiling_is_capped(world, manager):
    saved = line_for(world, manager).declare("60 000")
    # 50 % × 60 000 = 30 000 > cap 26 000
    assert saved.entitlement == Decimal("26000.00")


def test_half_time_halves_the_ceiling(world, manager):
    post = make_post(world, manager, ("Yann Moreau", "0,5", date(2020, 1, 1), None))
    line = line_for(world, manager, post)
    assert line.row.fte == Decimal("0.50")
    # 50 % × 30 000 = 15 000 > cap 26 000 × 0,5 = 13 000
    assert line.declare("30 000").entitlement == Decimal("13000.00")


def test_a_post_starting_in_september_is_capped_for_four_months(world, manager):
    post = make_post(world, manager, ("Maëlle Jamet", "1", date(2026, 9, 1), None))
    line = line_for(world, manager, post)
    assert (line.row.fte, line.row.months) == (Decimal("1.00"), 4)
    # 50 % × 20 000 = 10 000 > cap 26 000 × 1 × 4/12 = 8 666,666… → 8 666,67
    assert line.declare("20 000").entitlement == Decimal("8666.67")


def test_two_holders_sharing_one_point_three_etp(world, manager):
    post = make_post(
        world,
        manager,
        ("Sophie Bernard", "0,8", date(2024, 1, 1), None),
        ("Karim Leroy", "0,5", date(2025, 6, 1), None),
    )
    line = line_for(world, manager, post)
    assert (line.row.fte, line.row.months) == (Decimal("1.30"), 12)
    # 50 % × 70 000 = 35 000 > cap 26 000 × 1,3 = 33 800
    assert line.declare("70 000").entitlement == Decimal("33800.00")


def test_the_droit_is_rounded_to_the_cent_half_up(world, manager):
    saved = line_for(world, manager).declare("12 345,69")
    # 50 % × 12 345,69 = 6 172,845 → 6 172,85 (half up; half even would give 6 172,84)
    assert saved.entitlement == Decimal("6172.85")


def test_months_and_etp_declared_by_hand_replace_the_proposal(world, manager):
    saved = line_for(world, manager).declare("41 000", fte="0,8", months="7")
    # 50 % × 41 000 = 20 500 > cap 26 000 × 0,8 × 7/12 = 12 133,333… → 12 133,33
    assert saved.entitlement == Decimal("12133.33")


class Holder:
    """What `rules.coverage` reads of a holder."""

    def __init__(self, fte: str, starts_on: date, ends_on: date | None = None) -> None:
        self.fte, self.starts_on, self.ends_on = Decimal(fte), starts_on, ends_on


def test_holders_cover_the_months_they_work_in_the_year():
    rule_year = 2026
    # One leaves on 31 August, the successor starts on 1 September: 12 months at 1 ETP.
    assert rules.coverage(
        [Holder("1", date(2022, 3, 1), date(2026, 8, 31)), Holder("1", date(2026, 9, 1))],
        rule_year,
    ) == (Decimal("1.00"), 12)
    # 1 ETP all year and 0,3 ETP from September: 12 + 1,2 ETP-months over 12 months.
    assert rules.coverage(
        [Holder("1", date(2022, 3, 1)), Holder("0.3", date(2026, 9, 1))], rule_year
    ) == (Decimal("1.10"), 12)
    assert rules.coverage([Holder("1", date(2027, 1, 1))], rule_year) == (Decimal(0), 0)


def test_the_proposed_acompte_is_the_share_of_the_rule():
    rule = FundingRule(
        year=2026, rate=Decimal("0.5"), ceiling_per_fte=Decimal("26000"),
        advance_share=Decimal("0.7"),
    )  # fmt: skip
    assert rules.proposed_advance(Decimal("24000.00"), rule) == Decimal("16800.00")
    rule.advance_share = Decimal("0.6")
    assert rules.proposed_advance(Decimal("8666.67"), rule) == Decimal("5200.00")
