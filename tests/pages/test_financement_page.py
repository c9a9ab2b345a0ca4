"""The Financement page, as a Caf manager and as a chargé de coopération see it on
25/11/2026 (CTG_TODAY pinned by `app_database`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from ctg_core.common import formats
from ctg_core.common.models import (
    ChangeLog,
    PostFunding,
    RenewalStatus,
    Role,
    Territory,
    TerritoryKind,
)
from ctg_core.funding.rules import Stage
from tests.conftest import TODAY
from tests.funding.conftest import (
    RECEIVED,
    SIGNED,
    alert_world,
    line_for,
    make_post,
    open_line,
    restore_rules,
    rule,
    signed_line,
)

ROOT = Path(__file__).resolve().parents[2]


def financement(world, role: Role = Role.caf_manager, **scope) -> AppTest:
    user = world.user(role, demo=True, **scope)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page("pages/financement.py")
    return at.run()


def table(at: AppTest, first_column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def follow(at: AppTest, territory: str) -> AppTest:
    box = next(s for s in at.selectbox if s.label == "Poste à suivre")
    return box.select(next(o for o in box.options if o.startswith(territory))).run()


def amount(text: str) -> Decimal:
    """« 24 000,00 € » as the table shows it → Decimal("24000.00"); « — » → 0."""
    digits = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").strip()
    return Decimal(0) if digits in {"", "—"} else Decimal(digits.replace(",", "."))


def field(at: AppTest, kind: str, label: str):
    return next(w for w in getattr(at, kind) if w.label == label)


def open_tab(at: AppTest, label: str) -> AppTest:
    """Choose a tab, as a click on it does (only the open tab is drawn)."""
    at.session_state["funding_tab"] = label
    return at.run()


def click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def stored(world, line_id: int) -> PostFunding:
    world.session.rollback()  # end the test's read transaction: see what the page wrote
    return world.session.get(PostFunding, line_id)


def test_the_alerts_list_exactly_the_expected_posts(app_world):
    alert_world(app_world, app_world.user(Role.caf_manager))
    at = financement(app_world)
    assert not at.exception
    alerts = table(at, "Alerte")
    assert list(zip(alerts["Alerte"], alerts["Territoire"], alerts["Année"], strict=True)) == [
        ("⚠ Renouvellement en retard", "Nantes Métropole", "2026"),
        ("⚠ Renouvellement à signer dans les 60 jours",
         "CA de la Région Nazairienne et de l'Estuaire (CARENE)", "2027"),
        ("⚠ Acompte bloqué", "CA Clisson Sèvre et Maine Agglo", "2026"),
        ("⚠ Acompte bloqué", "Nantes Métropole", "2026"),
        ("⚠ Solde en attente de justification", "CA Pornic Agglo Pays de Retz", "2025"),
    ]  # fmt: skip


def test_the_year_totals_match_its_lines(app_world):
    alert_world(app_world, app_world.user(Role.caf_manager))
    at = financement(app_world)
    lines = table(at, "Territoire")
    assert len(lines) == 3  # 2026: Nantes Métropole, CARENE, Clisson
    metrics = {m.label: m.value for m in at.metric}
    # Nantes 24 000 + CARENE 24 000 + Clisson 0 (not declared); one acompte of 16 800
    assert (
        metrics["Droits 2026"]
        == formats.euros(Decimal("48000"))
        == formats.euros(sum(map(amount, lines["Droit"])))
    )
    assert metrics["Acomptes versés"] == formats.euros(sum(map(amount, lines["Acompte"])))
    assert metrics["Acomptes versés"] == formats.euros(16800)


def test_the_caf_view_totals_each_year(app_world):
    alert_world(app_world, app_world.user(Role.caf_manager))
    at = financement(app_world)
    assert not [d for d in at.dataframe if d.value.columns[0] == "EPCI"]  # drawn when chosen
    assert "Lignes (Excel)" in [b.proto.label for b in at.get("download_button")]
    at = open_tab(at, "Vue Caf")
    view = table(at, "EPCI")
    total = view[view["EPCI"] == "Total"].iloc[0]
    assert (total["Postes"], amount(total["Droits"]), amount(total["Acomptes versés"])) == (
        3,
        Decimal("48000.00"),
        Decimal("16800.00"),
    )
    assert total["Droits"] == "48\u202f000,00\xa0€"  # the French way
    assert "Vue Caf (Excel)" in [b.proto.label for b in at.get("download_button")]


def test_the_next_date_field_starts_at_today_not_at_the_previous_step_date(app_world):
    line = line_for(app_world, app_world.user(Role.caf_manager))
    at = follow(financement(app_world), "Nantes Métropole")
    received = field(at, "date_input", "Demande reçue le")
    assert received.value == TODAY
    received.set_value(RECEIVED)
    at = click(at, "Enregistrer la demande reçue")
    assert not at.exception
    assert stored(app_world, line.id).renewal_received_on == RECEIVED

    signed = field(at, "date_input", "Convention signée le")
    assert signed.value == TODAY  # never 15/10/2025 again
    assert all(d.value in (None, TODAY) for d in at.date_input)


def test_a_signature_before_the_request_is_refused_under_its_field(app_world):
    line = line_for(app_world, app_world.user(Role.caf_manager))
    line.renew("demande_recue", RECEIVED)
    at = follow(financement(app_world), "Nantes Métropole")
    field(at, "date_input", "Convention signée le").set_value(date(2025, 10, 1))
    at = click(at, "Enregistrer la signature")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert "La signature ne peut pas précéder la réception de la demande (15/10/2025)." in errors
    row = stored(app_world, line.id)
    assert (row.renewal_status, row.version) == (RenewalStatus.demande_recue, 2)


def test_an_acompte_above_the_droit_is_refused_before_any_confirmation(app_world):
    line = signed_line(app_world, app_world.user(Role.caf_manager))  # droit 24 000
    at = follow(financement(app_world), "Nantes Métropole")
    amount = field(at, "text_input", "Montant de l'acompte (€)")
    assert amount.value == "16\u202f800,00"  # 70 % of the droit, from the 2026 rule
    amount.set_value("99 999 999,99")
    field(at, "date_input", "Versé le").set_value(date(2026, 1, 20))
    at = click(at, "Verser l'acompte…")
    assert not at.exception
    assert "Confirmer le versement" not in [b.label for b in at.button]
    assert any("ne peut pas dépasser le droit de l'année" in e.value for e in at.error)
    assert stored(app_world, line.id).advance_amount is None


def test_an_acompte_is_paid_after_confirmation(app_world):
    line = signed_line(app_world, app_world.user(Role.caf_manager))
    at = follow(financement(app_world), "Nantes Métropole")
    field(at, "date_input", "Versé le").set_value(SIGNED)
    at = click(click(at, "Verser l'acompte…"), "Confirmer le versement")
    assert not at.exception
    row = stored(app_world, line.id)
    assert (row.advance_amount, row.advance_paid_on) == (Decimal("16800.00"), SIGNED)
    assert [t.value for t in at.toast] == ["Acompte enregistré."]


def test_a_negative_solde_is_shown_as_a_sum_to_recover(app_world):
    line = signed_line(app_world, app_world.user(Role.caf_manager))
    line.pay("16800")
    line.justify("30000")  # final 15 000: 1 800 to recover
    at = financement(app_world)
    lines = table(at, "Territoire")
    assert list(lines["Solde"]) == ["1\u202f800,00\xa0€ à récupérer"]
    assert {m.label: m.value for m in at.metric}["Sommes à récupérer"] == "1\u202f800,00\xa0€"


def test_an_officer_sees_their_post_and_what_is_missing_but_no_form(app_world):
    manager = app_world.user(Role.caf_manager)
    line_for(app_world, manager)
    at = financement(app_world, Role.coop_officer, territories=[app_world.territory()])
    assert not at.exception
    assert [t.label for t in at.tabs] == [
        "Suivi de l'année",
        "Postes et titulaires",
        "Règles de financement",
    ]
    missing = table(at, "Territoire")["Ce qui manque"].iloc[0]
    assert "Demande de renouvellement 2026 à envoyer à la Caf" in missing
    assert not at.date_input and not [b for b in at.button if "Enregistrer" in b.label]
    entries = app_world.session.exec(select(func.count(ChangeLog.id))).one()
    assert entries == 3  # post, holder, line: the page wrote nothing


def test_the_justification_is_confirmed_with_the_solde_it_gives(app_world):
    line = line_for(app_world, app_world.user(Role.caf_manager), year=2025)
    line.declare("48000")  # 2025: min(24 000, 25 500)
    line.renew("demande_recue", date(2024, 10, 15))
    line.renew("signee", date(2024, 11, 20))
    line.pay("16800", on=date(2025, 1, 20))
    at = financement(app_world)
    at = field(at, "selectbox", "Année").select(2025).run()
    field(at, "text_input", "Coût réel justifié (€)").set_value("30 000")
    field(at, "date_input", "Justificatif reçu le").set_value(date(2026, 2, 15))
    at = click(at, "Calculer le solde…")
    question = next(m.value for m in at.markdown if m.value.startswith("Coût réel 2025"))
    assert "Droit définitif : **15\u202f000,00\xa0€**" in question
    assert "Solde : **1\u202f800,00\xa0€ à récupérer**" in question
    at = click(at, "Enregistrer la justification")
    assert not at.exception
    row = stored(app_world, line.id)
    assert (row.final_entitlement, row.balance_amount) == (Decimal("15000.00"), Decimal("-1800.00"))


def test_the_overview_links_the_number_of_funding_lines_in_alert(app_world):
    alert_world(app_world, app_world.user(Role.caf_manager))
    user = app_world.user(Role.caf_manager, demo=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.run()
    assert not at.exception
    [link] = [p for p in at.get("page_link") if p.proto.page.endswith("financement")]
    assert link.value == (
        "Financement des postes : 4 lignes en alerte (renouvellements, acomptes bloqués, "
        "soldes à justifier)"
    )


def declare(at: AppTest, **typed: str) -> AppTest:
    labels = {"fte": "ETP", "months": "Mois couverts", "eligible_cost": "Coût éligible (€)"}
    for name, text in typed.items():
        next(t for t in at.text_input if t.label == labels[name]).set_value(text)
    return click(at, "Recalculer le droit")


def test_the_declared_cost_typed_the_french_way_recomputes_the_droit(app_world):
    line = line_for(app_world, app_world.user(Role.caf_manager))
    at = declare(
        follow(financement(app_world), "Nantes Métropole"), fte="0,8", eligible_cost="41 000"
    )
    assert not at.exception
    row = stored(app_world, line.id)
    # min(50 % × 41 000 = 20 500, 26 000 × 0,8 = 20 800)
    assert (row.fte, row.eligible_cost, row.entitlement) == (
        Decimal("0.80"),
        Decimal("41000.00"),
        Decimal("20500.00"),
    )


def test_an_unreadable_cost_is_refused_in_french_and_changes_nothing(app_world):
    line = line_for(app_world, app_world.user(Role.caf_manager))
    at = declare(follow(financement(app_world), "Nantes Métropole"), eligible_cost="quarante mille")
    assert not at.exception
    assert "Coût éligible doit être un montant." in [e.value for e in at.error]
    assert stored(app_world, line.id).version == 1


def rules_tab(world, year: int) -> AppTest:
    at = open_tab(financement(world, Role.admin), "Règles de financement")
    return field(at, "selectbox", "Règle à modifier").select(year).run()


def test_the_admin_corrects_a_used_rule_with_a_reason_after_confirmation(app_world):
    line = line_for(app_world, app_world.user(Role.caf_manager))
    line.declare("48000")  # 24 000
    at = rules_tab(app_world, 2026)
    field(at, "text_input", "Plafond par ETP (€)").set_value("23 000")
    field(at, "text_input", "Motif de la correction").set_value("Circulaire rectificative")
    at = click(at, "Corriger la règle…")
    assert any("recalculer ses 1 ligne non soldées" in m.value for m in at.markdown)
    at = click(at, "Corriger et recalculer")
    assert not at.exception
    try:
        assert stored(app_world, line.id).entitlement == Decimal("23000.00")  # rolls back
        saved = rule(app_world.session, 2026)
        assert (saved.ceiling_per_fte, saved.rate) == (Decimal("23000.00"), Decimal("0.5000"))
    finally:
        restore_rules(app_world.session)


def test_an_unused_rule_is_edited_field_by_field(app_world):
    at = rules_tab(app_world, 2027)
    field(at, "text_input", "Part versée en acompte (%)").set_value("65 %")
    at = click(at, "Enregistrer la règle")
    assert not at.exception
    assert [t.value for t in at.toast] == ["Règle 2027 enregistrée."]
    app_world.session.rollback()  # end the test's read transaction: see what the page wrote
    try:
        saved = rule(app_world.session, 2027)
        assert (saved.advance_share, saved.rate, saved.version) == (
            Decimal("0.6500"),
            Decimal("0.5000"),
            2,
        )
    finally:
        restore_rules(app_world.session)


# --- a long list: a page at a time, filters ----------------------------------------------------


def many_lines(world, count: int = 51) -> list[str]:
    """`count` communes with a 2026 line each, none renewed (due 31/12/2025: two alerts
    each); their names in the page's order."""
    manager = world.user(Role.caf_manager)
    communes = world.session.exec(
        select(Territory)
        .where(Territory.kind == TerritoryKind.commune)
        .order_by(Territory.code)
        .limit(count)
    ).all()
    for commune in communes:
        open_line(world, manager, make_post(world, manager, territory=commune))
    return sorted((c.name for c in communes), key=formats.folded)


def test_the_year_lines_are_shown_fifty_at_a_time_and_every_one_is_reachable(app_world):
    names = many_lines(app_world)
    at = financement(app_world)
    assert list(table(at, "Territoire")["Territoire"]) == names[:50]
    assert "Lignes 1 à 50 sur 51." in [c.value for c in at.caption]
    at = at.get("pagination")[-1].set_value(2).run()
    assert list(table(at, "Territoire")["Territoire"]) == names[50:]
    assert "Lignes 51 à 51 sur 51." in [c.value for c in at.caption]
    box = next(s for s in at.selectbox if s.label == "Poste à suivre")
    assert box.options == names  # every line can be followed, whatever the page


def test_the_year_lines_are_searched_by_territory_without_accents(app_world):
    names = many_lines(app_world)
    wanted = next(n for n in names if any(c in n for c in "éèêâîôç"))
    typed = formats.folded(wanted).upper()
    at = field(financement(app_world), "text_input", "Rechercher un territoire ou un titulaire")
    at = at.set_value(typed).run()
    found = list(table(at, "Territoire")["Territoire"])
    assert wanted in found and len(found) < len(names)
    assert [p.key for p in at.get("pagination") if "lines" in p.key] == []  # one page
    assert next(s for s in at.selectbox if s.label == "Poste à suivre").options == found


def test_the_year_lines_are_filtered_by_stage_and_alert(app_world):
    manager = app_world.user(Role.caf_manager)
    alert_world(app_world, manager)
    at = financement(app_world)
    at = field(at, "multiselect", "Étape").select(Stage.acompte_verse).run()
    assert list(table(at, "Territoire")["Territoire"]) == [
        "CA de la Région Nazairienne et de l'Estuaire (CARENE)"
    ]
    at = field(at, "multiselect", "Étape").unselect(Stage.acompte_verse).run()
    at = field(at, "toggle", "Seulement les lignes en alerte").set_value(True).run()
    assert list(table(at, "Territoire")["Territoire"]) == [
        "CA Clisson Sèvre et Maine Agglo",
        "Nantes Métropole",
    ]
    at = field(at, "text_input", "Rechercher un territoire ou un titulaire").set_value("zzz").run()
    assert "Aucune ligne ne correspond à ces filtres." in [i.value for i in at.info]


def test_many_alerts_are_listed_by_kind_a_page_at_a_time(app_world):
    names = many_lines(app_world)
    at = financement(app_world)
    alerts = table(at, "Alerte")
    assert len(alerts) == 50  # 102 alerts: 51 renewals overdue, 51 acomptes blocked
    assert "Alertes 1 à 50 sur 102." in [c.value for c in at.caption]
    at = field(at, "selectbox", "Type d'alerte").select_index(2).run()  # acompte bloqué
    at = at.get("pagination")[0].set_value(2).run()
    alerts = table(at, "Alerte")
    assert list(zip(alerts["Alerte"], alerts["Territoire"], strict=True)) == [
        ("⚠ Acompte bloqué", names[50])
    ]


def test_the_caf_view_is_searched_by_epci_and_keeps_the_year_total(app_world):
    alert_world(app_world, app_world.user(Role.caf_manager))
    at = open_tab(financement(app_world), "Vue Caf")
    at = field(at, "text_input", "Rechercher un EPCI").set_value("carene").run()
    view = table(at, "EPCI")
    assert list(view["EPCI"]) == ["CA de la Région Nazairienne et de l'Estuaire (CARENE)", "Total"]
    assert list(view["Postes"]) == [1, 3]  # the total stays the year's
    at = field(at, "text_input", "Rechercher un EPCI").set_value("Rezé").run()
    assert list(table(at, "EPCI")["EPCI"]) == ["Total"]
    assert "Aucun EPCI ne correspond à « Rezé »." in [i.value for i in at.info]
