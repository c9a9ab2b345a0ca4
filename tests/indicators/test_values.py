"""Indicator values: recorded by the plan's editors, one per year, logged; the page shows them."""

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from ctg_core.common.errors import PermissionDenied, ValidationFailed
from ctg_core.common.models import ChangeLog, IndicatorValue, Role
from ctg_core.indicators import commands as indicator_commands

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def indicator(world):
    return world.indicator(world.convention())


def indicators_page(world, convention) -> AppTest:
    """The Indicateurs page of `convention`, as Caf management sees it."""
    manager = world.user(Role.caf_manager, demo=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = manager.id
    at.switch_page("pages/indicateurs.py")
    at.query_params["convention"] = str(convention.id)
    return at.run()


def labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def test_an_officer_records_a_yearly_value_and_it_is_logged(world, session, indicator):
    officer = world.user(Role.coop_officer, territories=[world.territory()])
    indicator_commands.record_indicator_value(
        session, officer, indicator.id, {"year": 2025, "value": 131.5, "source": "Caf"}
    )
    [value] = session.exec(select(IndicatorValue)).all()
    assert (value.year, value.value) == (2025, 131.5)
    [entry] = session.exec(select(ChangeLog).where(ChangeLog.entity == "indicator_value")).all()
    assert entry.changes["value"] == [None, 131.5]


def test_a_second_value_for_the_same_year_is_refused(world, session, indicator):
    admin = world.user(Role.admin)
    indicator_commands.record_indicator_value(
        session, admin, indicator.id, {"year": 2025, "value": 1}
    )
    with pytest.raises(ValidationFailed, match="déjà saisie pour 2025"):
        indicator_commands.record_indicator_value(
            session, admin, indicator.id, {"year": 2025, "value": 2}
        )


def test_bad_input_and_readers_are_refused(world, session, indicator):
    admin = world.user(Role.admin)
    with pytest.raises(ValidationFailed) as raised:
        indicator_commands.record_indicator_value(
            session, admin, indicator.id, {"year": 2025, "value": 3, "measured_on": "2024-05-01"}
        )
    assert "measured_on" in raised.value.errors
    with pytest.raises(PermissionDenied):
        indicator_commands.record_indicator_value(
            session,
            world.user(Role.committee, territories=[world.territory()]),
            indicator.id,
            {"year": 2025, "value": 3},
        )
    assert session.exec(select(IndicatorValue)).all() == []


def test_the_indicators_page_shows_the_trend_and_reference_values(app_world):
    convention = app_world.convention()
    indicator = app_world.indicator(
        convention, "Familles accompagnées", unit="familles", baseline_value=40, target_value=60
    )
    for year, value in ((2023, 40), (2024, 47), (2025, 52)):
        app_world.session.add(IndicatorValue(indicator_id=indicator.id, year=year, value=value))
    app_world.session.commit()
    at = indicators_page(app_world, convention)
    assert not at.exception
    assert [e for e in labels(at) if e.startswith("Familles accompagnées · ")]  # its card
    assert any(
        "40,0 familles en 2023, 52,0 familles en 2025 ; cible 60,0 familles en 2028" in c.value
        for c in at.caption
    )
    assert len(at.get("vega_lite_chart")) == 2  # the small multiple and the trend
    assert not at.button  # a manager reads; no input form


def test_indicator_text_is_shown_as_text_not_markup(app_world):
    convention = app_world.convention()
    app_world.indicator(
        convention, "**Gras** [lien](http://x) :red[rouge]", unit="<b>u</b>", source="$x$"
    )
    at = indicators_page(app_world, convention)
    assert not at.exception
    card = "\\*\\*Gras\\*\\* \\[lien\\]\\(http\\://x\\) \\:red\\[rouge\\] · "
    assert [e for e in labels(at) if e.startswith(card)]  # its card, titled with the name
    facts = next(m.value for m in at.markdown if "Source" in m.value)
    assert "\\<b\\>u\\</b\\>" in facts and "\\$x\\$" in facts


def test_a_value_that_is_not_a_finite_number_is_refused(world, session, indicator):
    admin = world.user(Role.admin)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValidationFailed) as raised:
            indicator_commands.record_indicator_value(
                session, admin, indicator.id, {"year": 2025, "value": bad}
            )
        assert "nombre fini" in raised.value.errors["value"]


@pytest.mark.parametrize(("typed", "stored"), [("42,5", 42.5), ("1 234,5", 1234.5), ("7", 7.0)])
def test_a_value_typed_the_french_way_keeps_its_decimal_comma(
    world, session, indicator, typed, stored
):
    indicator_commands.record_indicator_value(
        session, world.user(Role.admin), indicator.id, {"year": 2025, "value": typed}
    )
    assert session.exec(select(IndicatorValue.value)).one() == stored


@pytest.mark.parametrize(("typed", "message"), [("", "obligatoire"), ("douze", "nombre")])
def test_a_missing_or_unreadable_value_is_refused_in_french(
    world, session, indicator, typed, message
):
    with pytest.raises(ValidationFailed) as raised:
        indicator_commands.record_indicator_value(
            session, world.user(Role.admin), indicator.id, {"year": 2025, "value": typed}
        )
    assert message in raised.value.errors["value"]
    assert raised.value.errors["value"].startswith("Valeur mesurée")
