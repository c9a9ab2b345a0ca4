"""Alerts (renewals overdue or due within 60 days, acomptes blocked, soldes awaiting their
justification) and the Caf-wide totals, hand-computed, on 25/11/2026."""

from datetime import date, timedelta
from decimal import Decimal

from ctg_core.common.models import RenewalStatus, Role
from ctg_core.funding import charts, rules
from ctg_core.funding import queries as funding_queries
from ctg_core.funding.queries import AlertKind
from ctg_core.overview import queries as overview
from tests.conftest import TODAY
from tests.factories import CARENE
from tests.funding.conftest import alert_world, make_post, signed_line

REZE = "44143"  # a commune of Nantes Métropole


def test_the_alerts_list_exactly_the_lines_that_need_action(world, manager):
    ids = alert_world(world, manager)
    alerts = funding_queries.funding_alerts(world.session, manager, TODAY)
    assert [(a.kind, a.line.id) for a in alerts] == [
        (AlertKind.renewal_overdue, ids["overdue"]),
        (AlertKind.renewal_due_soon, ids["due_soon"]),
        (AlertKind.advance_blocked, ids["undeclared"]),  # CA Clisson… sorts before Nantes
        (AlertKind.advance_blocked, ids["overdue"]),
        (AlertKind.justification_awaited, ids["awaiting"]),
    ]
    assert [a.detail for a in alerts if a.kind is AlertKind.advance_blocked] == [
        "droit non calculé : coût éligible à déclarer",
        "renouvellement non signé à l'échéance",
    ]
    assert funding_queries.alert_count(world.session, manager, TODAY) == 4  # distinct lines


def test_the_overview_counts_the_lines_with_an_alert_within_its_territories(world, manager):
    alert_world(world, manager)
    carene = world.territory(CARENE).id

    def alerts(user) -> dict[int, int]:  # type: ignore[no-untyped-def]
        facts = overview.post_facts(world.session, user, TODAY, "44")
        return {t: f.funding_alerts for t, f in facts.items() if f.funding_alerts}

    assert sum(alerts(manager).values()) == 4
    assert alerts(manager)[carene] == 1
    officer = world.user(Role.coop_officer, territories=[world.territory()])
    assert sum(alerts(officer).values()) == 1


def test_a_renewal_is_due_soon_within_sixty_days_and_overdue_after_its_date():
    pending = RenewalStatus.demande_recue
    assert rules.renewal_due_soon(pending, TODAY + timedelta(days=60), TODAY)
    assert not rules.renewal_due_soon(pending, TODAY + timedelta(days=61), TODAY)
    assert not rules.renewal_due_soon(RenewalStatus.signee, TODAY, TODAY)
    assert rules.renewal_overdue(pending, TODAY - timedelta(days=1), TODAY)
    assert not rules.renewal_overdue(pending, TODAY, TODAY)


def test_what_is_missing_follows_the_cycle(world, manager):
    ids = alert_world(world, manager)
    by_id = {line.id: line for line in funding_queries.lines(world.session, manager, TODAY)}
    assert by_id[ids["overdue"]].missing == (
        "Demande de renouvellement 2026 à envoyer à la Caf (avant le 31/12/2025)",
    )
    assert by_id[ids["undeclared"]].missing == (
        "Coût éligible 2026 à déclarer (ETP, mois, coût) pour calculer le droit",
    )
    assert by_id[ids["awaiting"]].missing == (
        "Justificatif des dépenses 2025 (coût réel) à transmettre à la Caf",
    )
    assert by_id[ids["paid"]].missing == (
        "Justificatif des dépenses 2026 à transmettre après le 31/12/2026",
    )


def test_the_caf_view_totals_each_epci_and_the_year(world, manager):
    # 2026: Nantes Métropole (droit 24 000, acompte 16 800, solde −1 800 to recover),
    # Rezé in Nantes Métropole (droit 13 000, acompte 9 100, solde 3 900 paid),
    # CARENE (droit 26 000, acompte 18 200, solde 7 800 due).
    nantes = signed_line(world, manager)
    nantes.pay("16800")
    nantes.justify("30000")  # final 15 000 → −1 800
    reze = signed_line(
        world, manager, "26000", post_id=make_post(world, manager, territory=world.territory(REZE))
    )
    reze.pay("9100")
    reze.justify("26000")  # final 13 000 → 3 900
    reze.settle(date(2027, 4, 2))
    carene = signed_line(
        world,
        manager,
        "60000",
        post_id=make_post(world, manager, territory=world.territory(CARENE)),
    )
    carene.pay("18200")
    carene.justify("60000")  # final 26 000 → 7 800

    view = funding_queries.caf_view(funding_queries.lines(world.session, manager, TODAY))
    rows = {
        row.epci: (row.lines, row.entitlements, row.advances_paid, row.balances_due,
                   row.to_recover, row.balances_settled)
        for row in view.itertuples()
    }  # fmt: skip
    d = Decimal
    assert rows == {
        "CA de la Région Nazairienne et de l'Estuaire (CARENE)": (
            1,
            d("26000.00"),
            d("18200.00"),
            d("7800.00"),
            0,
            0,
        ),
        "Nantes Métropole": (2, d("37000.00"), d("25900.00"), 0, d("1800.00"), d("3900.00")),
        "Total": (3, d("63000.00"), d("44100.00"), d("7800.00"), d("1800.00"), d("3900.00")),
    }
    assert list(view["epci"]) == [
        "CA de la Région Nazairienne et de l'Estuaire (CARENE)",
        "Nantes Métropole",
        "Total",
    ]


def test_the_chart_draws_the_yearly_totals(world, manager):
    signed_line(world, manager).pay("16800")
    view = funding_queries.caf_view(funding_queries.lines(world.session, manager, TODAY))
    amounts = charts.yearly_amounts(view)
    assert dict(zip(amounts["series"], amounts["amount"], strict=True))["Droits"] == 24000.0
    assert "Acomptes versés" in set(amounts["series"])
    spec = charts.yearly_chart(view).to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
