"""The Indicateurs page (AppTest): values typed the French way, corrections with their
history, refusals in French that change nothing, stored values out of bounds that still
display, a whole year at once, territories compared, the open-data import."""

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import (
    IndicatorValue,
    MeasureKind,
    Role,
    TerritoryFigure,
)
from tests.factories import CARENE

ROOT = Path(__file__).resolve().parents[2]


def open_page(
    world, convention, role: Role = Role.admin, *, opened: tuple[str, ...] = (), tab: str = ""
) -> AppTest:
    """The page as `role` sees it, with the expanders of keys `opened` open (a closed one
    draws nothing) and the tab `tab` chosen."""
    person = world.user(role, name="Alice Admin", demo=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = person.id
    for key in opened:
        at.session_state[key] = True
    if tab:
        at.session_state["indicator_tab"] = tab
    at.switch_page("pages/indicateurs.py")
    at.query_params["convention"] = str(convention.id)
    return at.run()


def values_form(indicator) -> str:
    return f"indicator-values-{indicator.id}"


def text_input(at: AppTest, label: str, index: int = 0):
    return [t for t in at.text_input if t.label == label][index]


def button(at: AppTest, label: str, index: int = 0):
    return [b for b in at.button if b.label == label][index]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def texts(at: AppTest) -> str:
    """The page's Markdown and captions as read (escapes of user text removed)."""
    return "\n".join(m.value for m in [*at.markdown, *at.caption]).replace("\\", "")


def tables(at: AppTest) -> str:
    return "\n".join(t.value.to_string() for t in at.table)


def stored(world, indicator) -> list[tuple[int, float]]:
    world.session.commit()  # end the test's read transaction: see what the page wrote
    return world.session.exec(
        select(IndicatorValue.year, IndicatorValue.value)
        .where(IndicatorValue.indicator_id == indicator.id, IndicatorValue.archived_at.is_(None))
        .order_by(IndicatorValue.year)
    ).all()


@pytest.fixture
def convention(app_world):
    return app_world.convention()  # Nantes Métropole, 2025 → 2028; today 25/11/2026


@pytest.fixture
def families(app_world, convention):
    return app_world.indicator(convention, "Familles accompagnées", unit="familles")


@pytest.fixture
def places(app_world, convention):
    return app_world.indicator(
        convention, "Places en crèche", unit="places", measure=MeasureKind.count
    )


def test_a_value_typed_42_5_is_stored_as_42_5(app_world, convention, families):
    at = open_page(app_world, convention, opened=(values_form(families),))
    text_input(at, "Année").set_value("2025")
    text_input(at, "Valeur mesurée (familles)").set_value("42,5")
    at = button(at, "Ajouter la valeur").click().run()

    assert not at.exception
    assert stored(app_world, families) == [(2025, 42.5)]
    assert "42,5 familles" in tables(at)


def test_a_correction_shows_old_and_new_values_in_the_history(app_world, convention, families):
    app_world.session.add(IndicatorValue(indicator_id=families.id, year=2025, value=42.5))
    app_world.session.commit()
    history = f"indicator-history-{families.id}"
    at = open_page(app_world, convention, opened=(values_form(families), history))
    text_input(at, "Valeur corrigée").set_value("45")
    at = button(at, "Enregistrer la correction").click().run()

    assert not at.exception
    assert stored(app_world, families) == [(2025, 45)]
    history = texts(at)
    assert "Alice Admin · Modification 2025" in history
    assert "Valeur mesurée : 42,50 → 45" in history


@pytest.mark.parametrize(
    ("year", "typed", "message"),
    [
        ("2025", "douze", "Valeur mesurée doit être un nombre."),
        ("2031", "12", "L'année doit tomber pendant la convention ou être l'année de référence"),
        ("2025", "-3", "La valeur ne peut pas être négative pour un effectif."),
        ("2025", "1e30", "Valeur mesurée doit être comprise entre"),
    ],
)
def test_an_invalid_value_is_refused_in_french_and_nothing_changes(
    app_world, convention, places, year, typed, message
):
    at = open_page(app_world, convention, opened=(values_form(places),))
    text_input(at, "Année").set_value(year)
    text_input(at, "Valeur mesurée (places)").set_value(typed)
    at = button(at, "Ajouter la valeur").click().run()

    assert not at.exception
    assert any(e.startswith(message) for e in errors(at)), errors(at)
    assert stored(app_world, places) == []
    assert text_input(at, "Valeur mesurée (places)").value == typed  # the input is kept


@pytest.mark.parametrize("value", [1e30, -1e308])
def test_an_already_stored_huge_value_displays_without_error(app_world, convention, value):
    # Written before the bounds existed: the page, its charts and its history still open.
    indicator = app_world.indicator(convention, "Places en crèche", unit="places")
    for year, number in ((2024, 130), (2025, value)):
        app_world.session.add(IndicatorValue(indicator_id=indicator.id, year=year, value=number))
    app_world.session.commit()

    for role in (Role.admin, Role.caf_manager):
        at = open_page(app_world, convention, role)
        assert not at.exception
        assert len(at.get("vega_lite_chart")) == 2
        shown = tables(at)
        assert "× 10" in shown and "hors limites : à corriger ou retirer" in shown


def test_a_stored_huge_value_can_be_removed_from_the_page(app_world, convention):
    indicator = app_world.indicator(convention, "Places en crèche", unit="places")
    app_world.session.add(IndicatorValue(indicator_id=indicator.id, year=2025, value=-1e308))
    app_world.session.commit()
    at = open_page(app_world, convention, opened=(values_form(indicator),))
    at = button(at, "Retirer la valeur 2025…").click().run()
    at = button(at, "Retirer").click().run()

    assert not at.exception
    assert stored(app_world, indicator) == []


def test_a_whole_year_is_entered_at_once(app_world, convention, families, places):
    at = open_page(app_world, convention, opened=(f"indicator-year-{convention.id}",))
    at.selectbox(key=f"year-entry-{convention.id}").set_value(2025).run()
    text_input(at, "Familles accompagnées (familles)").set_value("42,5")
    text_input(at, "Places en crèche (places)").set_value("1 234")
    at = button(at, "Enregistrer l'année 2025").click().run()

    assert not at.exception
    assert stored(app_world, families) == [(2025, 42.5)]
    assert stored(app_world, places) == [(2025, 1234)]


def test_the_status_of_each_indicator_is_written_in_words(app_world, convention, families):
    for year, value in ((2024, 150), (2025, 170)):
        app_world.session.add(IndicatorValue(indicator_id=families.id, year=year, value=value))
    app_world.session.commit()
    at = open_page(app_world, convention, Role.caf_manager)
    assert "✓ Atteint" in at.table[0].value.loc["Familles accompagnées", "Statut"]


def test_territories_are_compared_on_a_catalogue_indicator(app_world, convention):
    entry = app_world.catalogue_entry("TXCOUV")
    app_world.catalogue_indicator(convention, "TXCOUV")
    for code, value in ((CARENE, 58.4), ("244400404", 71.0)):
        territory = app_world.territory(code)
        app_world.session.add(
            TerritoryFigure(
                catalogue_id=entry.id,
                area_code=code,
                territory_id=territory.id,
                departement="44",
                year=2024,
                value=value,
            )
        )
    app_world.session.commit()
    at = open_page(app_world, convention, Role.caf_manager, tab="Comparer les territoires")

    assert not at.exception
    assert "★ Votre territoire — Nantes Métropole : 1ᵉ sur 2." in texts(at)
    assert "Valeur du département non publiée pour cette année." in texts(at)


def test_the_admin_imports_the_fictitious_sample_and_reads_the_report(app_world, convention):
    app_world.catalogue_entry()
    at = open_page(app_world, convention, tab="Import open data")
    at.selectbox(key="open-data-code").set_value("TXCOUV")
    at.radio(key="open-data-origin").set_value("sample").run()
    at.selectbox(key="open-data-sample").set_value("caf_taux_couverture_epci_fictif.csv").run()
    at = at.button(key="open-data-import").click().run()

    assert not at.exception
    assert "17 territoire(s) reconnu(s), années 2022, 2023, 2024" in texts(at)
    assert "colonne lue : TAUX_COUV_GLOBAL" in texts(at)
    assert "Codes non reconnus (non importés) : 200099999." in texts(at)
    app_world.session.commit()
    count = len(app_world.session.exec(select(TerritoryFigure)).all())
    assert count == 51


def test_the_convention_page_shows_each_indicator_s_status_and_sparkline(
    app_world, convention, families
):
    for year, value in ((2024, 150), (2025, 170)):
        app_world.session.add(IndicatorValue(indicator_id=families.id, year=year, value=value))
    app_world.session.commit()
    manager = app_world.user(Role.caf_manager, demo=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = manager.id
    at.switch_page("pages/convention.py")
    at.query_params["convention"] = str(convention.id)
    at.run()

    assert not at.exception
    assert "Indicateurs" in [h.value for h in at.header]
    assert "**Familles accompagnées**  \n✓ Atteint" in [m.value for m in at.markdown]
    assert len(at.get("vega_lite_chart")) >= 1


def test_each_indicator_is_drawn_when_its_card_is_opened(app_world, convention, families, places):
    at = open_page(app_world, convention)
    cards = [e.label for e in at.expander if " · " in e.label]
    assert sorted(cards) == [
        "Familles accompagnées · ? Pas de donnée récente",
        "Places en crèche · ? Pas de donnée récente",
    ]
    assert len(at.get("vega_lite_chart")) == 2  # every trend at once, then the first card
    assert not [b for b in at.button if b.label == "Ajouter la valeur"]  # forms: when opened
    for indicator in (families, places):
        at.session_state[f"indicator-card-{indicator.id}"] = True
    at.session_state[values_form(places)] = True
    at = at.run()
    assert len(at.get("vega_lite_chart")) == 3
    assert [t.label for t in at.text_input if t.label.startswith("Valeur mesurée")] == [
        "Valeur mesurée (places)"
    ]


def test_the_other_tabs_are_drawn_when_chosen(app_world, convention, families):
    app_world.catalogue_entry("TXCOUV")
    at = open_page(app_world, convention)
    assert not at.table[1:]  # the status table only: the catalogue is in its own tab
    at = open_page(app_world, convention, tab="Catalogue")
    assert "TXCOUV" in tables(at)
    assert not [e for e in at.expander if " · " in e.label]  # no indicator card
