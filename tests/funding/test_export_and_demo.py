"""The Caf-wide view exported to Excel (formula-safe, amounts as numbers) and the demo's
funding: every state of the cycle, the acompte share taken from each year's rule."""

import zipfile
from collections import Counter
from datetime import date
from decimal import Decimal
from io import BytesIO

import pandas as pd
from openpyxl import load_workbook
from sqlmodel import select

from ctg_core.common.models import FundingRule, PostFunding, PostHolder
from ctg_core.exchange import exports, writers
from ctg_core.funding import rules
from ctg_core.funding.rules import Stage
from ctg_core.setup import demo
from tests.conftest import TODAY


def caf_view(epci: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "year": 2026,
                "epci": epci,
                "lines": 1,
                "entitlements": Decimal("24000.00"),
                "advances_paid": Decimal("16800.00"),
                "balances_due": Decimal("0"),
                "to_recover": Decimal("1800.00"),
                "balances_settled": Decimal("0"),
            }
        ]
    )


def workbook(view: pd.DataFrame) -> bytes:
    return writers.excel_bytes(exports.caf_view_table(view))


def test_the_excel_export_never_turns_a_name_into_a_formula():
    content = workbook(caf_view('=HYPERLINK("http://evil.invalid","Nantes")'))
    sheet = load_workbook(BytesIO(content)).active
    assert [c.value for c in sheet[1]][:4] == ["Année", "EPCI", "Postes", "Droits"]
    name = sheet["B2"]
    assert name.data_type == "s" and 'HYPERLINK("http://evil.invalid","Nantes")' in name.value
    with zipfile.ZipFile(BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_excel_export_keeps_amounts_as_numbers_in_euros():
    sheet = load_workbook(BytesIO(workbook(caf_view("Nantes Métropole")))).active
    droits, recover = sheet["D2"], sheet["H2"]
    assert (droits.value, recover.value) == (24000.0, 1800.0)
    assert "€" in droits.number_format


def test_the_demo_funds_posts_in_every_state_of_the_cycle(session):
    demo.generate(session, today=TODAY)
    lines = session.exec(select(PostFunding)).all()
    assert {rules.stage(line) for line in lines} == set(Stage)
    assert any(line.balance_amount < 0 for line in lines if line.balance_amount is not None)
    holders = Counter(h.post_id for h in session.exec(select(PostHolder)))
    assert max(holders.values()) == 2  # shared posts and changes of holder
    assert any(line.months < 12 for line in lines)  # a post created in September


def test_the_demo_takes_the_acompte_share_from_each_year_rule(session):
    demo.generate(session, today=TODAY)
    rule = {r.year: r for r in session.exec(select(FundingRule))}
    paid = [line for line in session.exec(select(PostFunding)) if line.advance_amount]
    assert paid
    for line in paid:
        assert line.advance_amount == rules.proposed_advance(line.entitlement, rule[line.year])
        assert line.advance_paid_on >= line.renewal_signed_on
        assert line.advance_paid_on <= TODAY


def test_the_demo_dates_every_step_within_its_bounds(session):
    demo.generate(session, today=TODAY)
    rule = {r.year: r for r in session.exec(select(FundingRule))}
    for line in session.exec(select(PostFunding)):
        opens, closes = rules.renewal_window(rule[line.year], line.year)
        steps = [line.renewal_received_on, line.renewal_signed_on, line.advance_paid_on,
                 line.justified_on, line.balance_paid_on]  # fmt: skip
        dated = [d for d in steps if d is not None]
        assert dated == sorted(dated) and all(d <= TODAY for d in dated)
        if line.renewal_received_on:
            assert opens <= line.renewal_received_on <= closes
        if line.justified_on:
            assert line.justified_on >= date(line.year + 1, 1, 1)
            assert line.balance_amount == line.final_entitlement - line.advance_amount
