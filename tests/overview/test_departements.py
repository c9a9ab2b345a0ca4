"""The overview for any territory set: a département other than Loire-Atlantique, a missing map
layer, and the national view (counts per département, drill-down kept in the URL).

The national world is a SQLite file of its own holding the EPCI and communes of Loire-Atlantique
and Gironde, with the demo on every one of their EPCI. Gironde's layers are built by
`make test` (`make geodata-test`); without them these tests fail under CI and skip otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from ctg_core.common import config, db
from ctg_core.common.auth import demo_personas
from ctg_core.common.models import ConventionPhase, Role, TerritoryKind
from ctg_core.overview import queries as overview
from ctg_core.overview.queries import FRANCE, NO_CTG, TerritoryRow
from ctg_core.reference import territories
from tests.conftest import TODAY
from tests.streamlit_server import prepare_demo_database

ROOT = Path(__file__).resolve().parents[2]
GIRONDE = "33"
GIRONDE_EPCI = 28
LOIRE_ATLANTIQUE_EPCI = 17
BORDEAUX_METROPOLE = "243300316"

P = ConventionPhase


def require_layers(*departements: str) -> None:
    missing = [d for d in departements if not territories.layers_installed(d)]
    if not missing:
        return
    reason = f"couches absentes pour {', '.join(missing)} : `make geodata-test` les construit"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


# --- counting per département (pure) --------------------------------------------------------


def row(code: str, departement: str, phase: P | None, late: int = 0) -> TerritoryRow:
    return TerritoryRow(
        territory_id=int(code),
        code=code,
        name=f"Territoire {code}",
        kind=TerritoryKind.epci,
        epci_code=None,
        population=1000,
        convention_id=int(code) if phase else None,
        phase=phase,
        actions_late=late,
        departement=departement,
    )


def test_rows_are_counted_per_departement_with_their_phases():
    rows = [
        row("1", "44", P.pilotage, late=2),
        row("2", "44", P.evaluation, late=1),
        row("3", "44", P.diagnostic),
        row("4", "44", None),
        row("5", "33", P.echue),
        row("6", "33", P.plan_actions, late=4),
        row("7", "2A", None),
    ]

    by_code = {
        d.code: d
        for d in overview.departement_rows(rows, {"44": "Loire-Atlantique", "33": "Gironde"})
    }

    assert list(by_code) == ["2A", "33", "44"]
    loire = by_code["44"]
    assert (loire.name, loire.territories, loire.conventions) == ("Loire-Atlantique", 4, 3)
    assert (loire.signed, loire.drafting, loire.ended, loire.without_ctg) == (2, 1, 0, 1)
    assert loire.by_phase["pilotage"] == 1 and loire.by_phase["evaluation"] == 1
    assert loire.actions_late == 3
    gironde = by_code["33"]
    assert (gironde.conventions, gironde.signed, gironde.drafting, gironde.ended) == (2, 0, 1, 1)
    assert gironde.actions_late == 4
    corse = by_code["2A"]
    assert corse.name == "2A"  # no name given: the code
    assert (corse.conventions, corse.without_ctg) == (0, 1)


def test_every_phase_is_counted_even_when_no_territory_is_in_it():
    (only,) = overview.departement_rows([row("1", "44", P.pilotage)])

    assert set(only.by_phase) == {*(p.value for p in P), NO_CTG}
    assert sum(only.by_phase.values()) == only.territories == 1


def test_no_rows_no_departement():
    assert overview.departement_rows([]) == []


# --- a national world (two départements) ----------------------------------------------------


@pytest.fixture(scope="module")
def national_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_layers(GIRONDE)
    url = prepare_demo_database(
        tmp_path_factory.mktemp("national") / "ctg.db", TODAY, ("44", GIRONDE)
    )
    yield url
    db.engine_for(url).dispose()


@pytest.fixture
def national_session(national_url: str) -> Iterator[Session]:
    with Session(db.engine_for(national_url), expire_on_commit=False) as session:
        yield session


def manager_of(session: Session):  # type: ignore[no-untyped-def]
    return next(p for p in demo_personas(session) if p.role is Role.caf_manager)


def test_france_lists_the_territories_of_every_departement(national_session):
    manager = manager_of(national_session)

    everywhere = overview.territory_rows(national_session, manager, TODAY, departement=FRANCE)
    gironde = overview.territory_rows(national_session, manager, TODAY, departement=GIRONDE)

    epci = [r for r in everywhere if r.kind is TerritoryKind.epci]
    assert len(epci) == LOIRE_ATLANTIQUE_EPCI + GIRONDE_EPCI
    assert {r.departement for r in everywhere} == {"44", GIRONDE}
    assert {r.code for r in gironde} == {r.code for r in everywhere if r.departement == GIRONDE}
    assert overview.departements(national_session) == [GIRONDE, "44"]


def test_the_population_of_france_is_the_sum_of_its_departements(national_session):
    loire = overview.departement_population(national_session, "44")
    gironde = overview.departement_population(national_session, GIRONDE)

    assert gironde > 1_600_000  # INSEE: about 1.7 million
    assert overview.departement_population(national_session, FRANCE) == loire + gironde


def test_the_departement_counts_add_up_to_the_national_rows(national_session):
    manager = manager_of(national_session)
    rows = overview.territory_rows(national_session, manager, TODAY, departement=FRANCE)

    counted = overview.departement_rows(rows, territories.departement_names())

    assert [d.name for d in counted] == ["Gironde", "Loire-Atlantique"]
    assert sum(d.territories for d in counted) == len(rows)
    assert sum(d.conventions for d in counted) == sum(r.convention_id is not None for r in rows)
    for d in counted:
        assert sum(d.by_phase.values()) == d.territories


# --- the page (AppTest) ---------------------------------------------------------------------


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


@pytest.fixture
def national_page(national_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CTG_DATABASE_URL", national_url)
    monkeypatch.setenv("CTG_TODAY", TODAY.isoformat())
    with Session(db.engine_for(national_url)) as session:
        manager = manager_of(session)
    at = app()
    at.session_state["persona_id"] = manager.id
    return at


def metric(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(m for m in at.metric if m.label == label)


def test_with_several_departements_the_page_opens_on_france(national_page):
    at = national_page
    at.run()

    assert not at.exception
    assert at.selectbox(key="ov_scope_france").value == FRANCE
    assert at.caption[0].value.startswith("France entière · ")
    assert metric(at, "Part de la population")


def test_choosing_a_departement_puts_it_in_the_url_with_the_same_kpis_and_filters(national_page):
    at = national_page
    at.query_params["phase"] = "pilotage"
    at.run()
    at.selectbox(key="ov_scope_france").set_value(GIRONDE).run()

    assert not at.exception
    assert at.query_params["dep"] == GIRONDE
    assert at.query_params["phase"] == "pilotage"  # the filters stay
    assert at.caption[0].value.startswith("Gironde (33) · ")
    assert metric(at, "Part du département")
    assert at.selectbox(key="ov_scope_33").value == GIRONDE

    at.selectbox(key="ov_scope_33").set_value(FRANCE).run()

    assert at.query_params["dep"] == FRANCE
    assert at.caption[0].value.startswith("France entière · ")


def test_a_link_to_a_departement_opens_it_and_an_unknown_one_opens_france(
    national_page, national_session
):
    rows = overview.territory_rows(
        national_session, manager_of(national_session), TODAY, departement="44"
    )
    at = national_page
    at.query_params["dep"] = "44"
    at.run()
    assert at.caption[0].value.startswith(f"Loire-Atlantique (44) · {len(rows)} territoires")

    at.query_params["dep"] = "<script>"
    at.run()
    assert not at.exception
    assert at.caption[0].value.startswith("France entière · ")


def test_the_national_table_counts_conventions_per_departement(national_page):
    at = national_page
    at.query_params["vue"] = "Tableau"
    at.run()

    table = at.dataframe[0].value  # the départements, before the territories
    assert list(table["Département"]) == ["Gironde (33)", "Loire-Atlantique (44)"]
    assert str(table["Signées"].sum()) == metric(at, "Conventions signées").value
    assert str(table["En cours d'élaboration"].sum()) == metric(at, "En cours d'élaboration").value


def test_gironde_alone_shows_its_own_map_and_kpis(tmp_path, monkeypatch):
    require_layers(GIRONDE)
    monkeypatch.setenv("CTG_DEPARTEMENT", GIRONDE)
    url = prepare_demo_database(tmp_path / "ctg.db", TODAY)
    monkeypatch.setenv("CTG_DATABASE_URL", url)
    monkeypatch.setenv("CTG_TODAY", TODAY.isoformat())
    with Session(db.engine_for(url)) as session:
        manager = manager_of(session)
        population = overview.departement_population(session, GIRONDE)
    at = app()
    at.session_state["persona_id"] = manager.id
    at.run()

    assert not at.exception and not at.error and not at.warning
    assert not [s for s in at.selectbox if s.key and s.key.startswith("ov_scope")]
    # Every EPCI of Gironde and the two communes of the demo holding a CTG of their own.
    assert at.caption[0].value.startswith(f"{GIRONDE_EPCI + 2} territoires affichés")
    share = metric(at, "Part du département").value
    assert share.endswith("%") and share != "0 %"
    assert population > 1_600_000
    db.engine_for(url).dispose()


def test_a_departement_without_its_layer_says_so_in_french_and_keeps_its_figures(
    app_world, monkeypatch, tmp_path
):
    """Today's crash: `CTG_DEPARTEMENT=33` with no GeoJSON for it."""
    manager = app_world.user(Role.caf_manager, name="Direction", demo=True)
    monkeypatch.setattr(config, "GEO_DIR", tmp_path)  # no layer at all
    at = app()
    at.session_state["persona_id"] = manager.id
    at.run()

    assert not at.exception and not at.error
    (warning,) = at.warning
    assert "La carte du département 44 n'est pas installée sur ce serveur" in warning.value
    assert "CTG_DEPARTEMENT=44 make setup" in warning.value
    assert metric(at, "Conventions signées").value == "0"


def test_loading_a_departement_without_its_layer_is_a_french_refusal(session, tmp_path):
    with pytest.raises(territories.MissingLayer, match="La carte du département 33"):
        territories.load_territories(session, GIRONDE, geo_dir=tmp_path)


# --- the national map (folium, no database) -------------------------------------------------


@pytest.fixture(scope="module")
def france():  # type: ignore[no-untyped-def]
    from ctg_core.overview import map as overview_map

    return overview_map.france_shapes(territories.read_layer(territories.france_layer_path()))


def test_the_national_map_draws_the_departements_with_rows_and_outlines_the_others(france):
    from ctg_core.overview import map as overview_map

    rows = overview.departement_rows(
        [row("1", "44", P.pilotage), row("2", "44", None), row("3", "33", P.echue)],
        {"44": "Loire-Atlantique", "33": "Gironde"},
    )
    html = overview_map.france_map(rows, france).get_root().render()

    assert '"id":"44"' in html and '"id":"33"' in html
    assert '"id":"35"' not in html  # no row: an inert outline, without id nor tooltip
    assert "Loire-Atlantique (44)" in html
    assert overview_map.LEAFLET_JS in html and "cdn" not in html.lower()
    legend = overview_map.france_legend_html(rows)
    assert "Conventions par département" in legend and "aucune : 0" in legend


def test_the_national_tooltip_gives_the_counts_in_words():
    from ctg_core.overview import map as overview_map

    (loire,) = overview.departement_rows(
        [row("1", "44", P.pilotage, late=3), row("2", "44", P.diagnostic), row("3", "44", None)],
        {"44": "Loire-Atlantique"},
    )

    labels, values = overview_map.FRANCE_TOOLTIP_LABELS, overview_map.france_tooltip_texts(loire)
    texts = dict(zip(labels, values, strict=True))
    assert texts == {
        "Département": "Loire-Atlantique (44)",
        "Conventions": "2",
        "Signées": "1",
        "En cours d'élaboration": "1",
        "Échues": "0",
        "Territoires sans CTG": "1",
        "Actions en retard": "3",
    }


def test_a_departement_name_is_never_markup_on_the_national_map(france):
    from ctg_core.overview import map as overview_map

    rows = overview.departement_rows([row("1", "44", P.pilotage)], {"44": "<img src=x>"})
    html = overview_map.france_map(rows, france).get_root().render()

    assert "<img src=x>" not in html
    assert "\\u003cimg src=x\\u003e" in html
