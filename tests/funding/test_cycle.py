"""The yearly cycle with checked dates and amounts: each refusal is French and changes
nothing (the line, its version and the history stay as they were)."""

from datetime import date
from decimal import Decimal

import pytest

from ctg_core.common.errors import ConflictError, ValidationFailed
from ctg_core.common.models import RenewalStatus
from ctg_core.funding import commands as funding
from ctg_core.funding import rules
from tests.conftest import TODAY
from tests.funding.conftest import (
    JUSTIFIED,
    PAID,
    RECEIVED,
    SIGNED,
    history_count,
    line_for,
    make_post,
    signed_line,
)


def refused(line, step, match: str) -> None:
    """`step()` is refused with `match` in French, and nothing changes."""
    before, entries = line.row.model_dump(), history_count(line.session)
    with pytest.raises(ValidationFailed, match=match):
        step()
    assert line.row.model_dump() == before
    assert history_count(line.session) == entries


def test_the_whole_cycle_from_renewal_to_a_solde_to_pay(world, manager):
    line = signed_line(world, manager)  # droit 24 000
    line.pay("16 800,00")
    line.justify("50 000")  # final droit min(25 000, 26 000) = 25 000 ; solde 8 200
    saved = line.settle(date(2027, 4, 2))
    assert (saved.renewal_received_on, saved.renewal_signed_on) == (RECEIVED, SIGNED)
    assert (saved.advance_amount, saved.advance_paid_on) == (Decimal("16800.00"), PAID)
    assert (saved.actual_cost, saved.justified_on) == (Decimal("50000.00"), JUSTIFIED)
    assert (saved.final_entitlement, saved.balance_amount) == (
        Decimal("25000.00"),
        Decimal("8200.00"),
    )
    assert rules.stage(saved) is rules.Stage.soldee
    # open, declare, received, signed, acompte, justification, solde
    assert history_count(world.session) >= 7


def test_a_negative_solde_is_a_sum_to_recover(world, manager):
    line = signed_line(world, manager)  # droit 24 000
    line.pay("16 800")  # 70 %
    saved = line.justify("30 000")  # final droit 15 000
    assert saved.final_entitlement == Decimal("15000.00")
    assert saved.balance_amount == Decimal("-1800.00")
    assert rules.balance_text(saved.balance_amount) == "1\u202f800,00\xa0€ à récupérer"
    assert line.settle(date(2027, 5, 10)).balance_paid_on == date(2027, 5, 10)


def test_the_renewal_moves_one_step_at_a_time(world, manager):
    line = line_for(world, manager)
    refused(line, lambda: line.renew("signee", SIGNED), "l'étape suivante est « Demande reçue »")


def test_a_signature_date_in_the_future_is_refused(world, manager):
    line = line_for(world, manager)
    line.renew("demande_recue", RECEIVED)
    refused(line, lambda: line.renew("signee", date(2026, 11, 26)), "dans le futur")


def test_a_renewal_signed_years_later_is_refused(world, manager):
    line = line_for(world, manager)
    line.renew("demande_recue", RECEIVED)
    refused(
        line,
        lambda: line.renew("signee", date(2030, 12, 31), today=date(2031, 1, 2)),
        "Le renouvellement 2026 se date du 01/10/2025 au 31/12/2026",
    )


def test_a_signature_before_the_request_is_refused(world, manager):
    line = line_for(world, manager)
    line.renew("demande_recue", date(2025, 10, 20))
    refused(
        line,
        lambda: line.renew("signee", date(2025, 10, 10)),
        r"précéder la réception de la demande \(20/10/2025\)",
    )


def test_a_request_before_the_renewal_window_is_refused(world, manager):
    line = line_for(world, manager)
    refused(line, lambda: line.renew("demande_recue", date(2025, 9, 30)), "se date du 01/10/2025")


def test_an_acompte_before_the_signature_is_blocked(world, manager):
    line = line_for(world, manager)
    line.declare("48000")
    line.renew("demande_recue", RECEIVED)
    refused(line, lambda: line.pay("16800"), "n'est pas signé : l'acompte est bloqué")


def test_an_acompte_dated_before_the_signature_date_is_refused(world, manager):
    line = signed_line(world, manager)
    refused(
        line,
        lambda: line.pay("16800", on=date(2025, 11, 19)),
        r"avant la signature du renouvellement \(20/11/2025\)",
    )


def test_an_acompte_above_the_droit_is_refused_in_french(world, manager):
    line = signed_line(world, manager)  # droit 24 000
    refused(
        line,
        lambda: line.pay("99 999 999,99"),
        "L'acompte \\(99\u202f999\u202f999,99\xa0€\\) ne peut pas dépasser le droit de l'année "
        "\\(24\u202f000,00\xa0€\\)",
    )


def test_an_acompte_paid_in_the_future_is_refused(world, manager):
    line = signed_line(world, manager)
    refused(line, lambda: line.pay("16800", on=date(2026, 12, 1)), "dans le futur")


def test_an_amount_with_three_decimals_or_in_words_is_refused(world, manager):
    line = signed_line(world, manager)
    refused(line, lambda: line.pay("16 800,005"), "au plus deux décimales")
    refused(line, lambda: line.pay("seize mille"), "Montant doit être un montant")
    refused(line, lambda: line.pay("0"), "Montant doit être supérieur à 0")


def test_an_acompte_is_paid_once(world, manager):
    line = signed_line(world, manager)
    line.pay("16800")
    refused(line, lambda: line.pay("100"), "déjà versé")


def test_a_solde_before_the_acompte_is_refused(world, manager):
    line = signed_line(world, manager)
    refused(line, lambda: line.justify("48000"), "Le solde vient après l'acompte")
    refused(line, lambda: line.settle(date(2027, 4, 2)), "après la justification")


def test_the_actual_cost_is_justified_once_the_year_is_over(world, manager):
    line = signed_line(world, manager)
    line.pay("16800")
    refused(
        line,
        lambda: line.justify("48000", on=date(2026, 11, 20), today=TODAY),
        "une fois l'année écoulée, à partir du 01/01/2027",
    )


def test_an_implausible_actual_cost_is_refused(world, manager):
    line = signed_line(world, manager)
    line.pay("16800")
    refused(line, lambda: line.justify("99 999 999,99"), "ne peut pas dépasser 500\u202f000,00")


def test_a_solde_settled_before_its_justification_is_refused(world, manager):
    line = signed_line(world, manager)
    line.pay("16800")
    line.justify("48000")
    refused(line, lambda: line.settle(date(2027, 2, 14)), r"avant la justification \(15/02/2027\)")


def test_the_declared_cost_is_frozen_once_the_acompte_is_paid(world, manager):
    line = signed_line(world, manager)
    line.pay("16800")
    refused(line, lambda: line.declare("60000"), "le droit de l'année est arrêté")


def test_a_stale_version_is_a_conflict(world, manager):
    line = line_for(world, manager)
    line.renew("demande_recue", RECEIVED)
    with pytest.raises(ConflictError):
        funding.record_renewal(
            world.session, manager, line.id, 1, {"status": "signee", "on": SIGNED}, today=TODAY
        )
    assert line.row.renewal_status is RenewalStatus.demande_recue


def test_a_line_needs_the_rule_of_its_year_and_a_holder(world, manager):
    post = make_post(world, manager, ("Léa Tessier", "1", date(2027, 3, 1), None))
    with pytest.raises(ValidationFailed, match="Aucun titulaire n'occupe ce poste en 2026"):
        funding.open_line(world.session, manager, post, {"year": 2026}, today=TODAY)
    with pytest.raises(ValidationFailed, match="au plus tard le financement de l'année prochaine"):
        funding.open_line(world.session, manager, post, {"year": 2028}, today=TODAY)
    funding.open_line(world.session, manager, post, {"year": 2027}, today=TODAY)
    with pytest.raises(ValidationFailed, match="déjà une ligne de financement"):
        funding.open_line(world.session, manager, post, {"year": 2027}, today=TODAY)


def test_a_new_line_is_due_on_the_rule_date(world, manager):
    line = line_for(world, manager)
    row = line.row
    assert (row.renewal_status, row.renewal_due_on, row.entitlement) == (
        RenewalStatus.a_renouveler,
        date(2025, 12, 31),
        Decimal("0.00"),
    )
