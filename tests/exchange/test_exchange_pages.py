"""The spreadsheet buttons on the pages (AppTest): who may import, what each page offers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import Role

ROOT = Path(__file__).resolve().parents[2]
IMPORT_PLAN = "Importer un plan d'actions (Excel ou CSV)"


def page(user, path: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page(path)
    for name, value in params.items():
        at.query_params[name] = str(value)
    at.run()
    assert not at.exception, at.exception
    return at


def downloads(at: AppTest) -> list[str]:
    return [button.label for button in at.get("download_button")]


def expanders(at: AppTest) -> list[str]:
    return [expander.label for expander in at.expander]


@pytest.fixture
def convention(app_world):
    convention = app_world.convention()
    app_world.action(convention, "PE-01", title="Relais petite enfance")
    app_world.indicator(convention, "Places en crèche")
    return convention


def test_the_officer_of_the_territory_may_import_a_plan_and_download_its_template(
    app_world, convention
):
    officer = app_world.user(Role.coop_officer, territories=[app_world.territory()], demo=True)

    at = page(officer, "pages/convention.py", convention=convention.id)

    assert IMPORT_PLAN in expanders(at)
    assert downloads(at) == [
        "Historique complet (Excel)",
        "CSV",
        "Modèle à remplir (Excel)",
        "Modèle CSV",
        "Plan affiché (Excel)",
        "CSV",
    ]


def test_a_committee_member_downloads_the_plan_but_is_offered_no_import(app_world, convention):
    member = app_world.user(Role.committee, territories=[app_world.territory()], demo=True)

    convention_page = page(member, "pages/convention.py", convention=convention.id)
    indicators_page = page(member, "pages/indicateurs.py", convention=convention.id)

    assert IMPORT_PLAN not in expanders(convention_page)
    assert "Plan affiché (Excel)" in downloads(convention_page)
    assert "Importer des valeurs mesurées (Excel ou CSV)" not in expanders(indicators_page)
    assert downloads(indicators_page) == ["Valeurs des indicateurs (Excel)", "CSV"]


def test_the_overview_table_offers_its_downloads(app_world, convention):
    manager = app_world.user(Role.caf_manager, demo=True)

    overview = page(manager, "pages/vue_ensemble.py", vue="Tableau")

    assert downloads(overview) == ["Tableau affiché (Excel)", "CSV"]
