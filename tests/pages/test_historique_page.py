"""The history viewer page (AppTest on SQLite): the change log in words, filtered from the
address and the boxes, with a French refusal of a period that is not one."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import Role
from ctg_core.plan import commands as plan_commands
from tests.factories import CARENE

ROOT = Path(__file__).resolve().parents[2]


def opened(user, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page("pages/historique.py")
    for name, value in params.items():
        at.query_params[name] = str(value)
    at.run()
    assert not at.exception, at.exception
    return at


def lines(at: AppTest):
    [table] = [d.value for d in at.dataframe if "Modifications" in d.value.columns]
    return table


@pytest.fixture
def admin(app_world):
    return app_world.user(Role.admin, name="Alice Admin", demo=True)


@pytest.fixture
def history(app_world, admin):
    """Two fiches changed, on Nantes Métropole and on the CARENE."""
    nantes = app_world.convention(app_world.territory(), title="CTG de Nantes")
    carene = app_world.convention(app_world.territory(CARENE), title="CTG de la CARENE")
    pe = app_world.action(nantes, "PE-02", title="Accueil du mercredi", progress=35)
    ej = app_world.action(carene, "EJ-01", title="Promeneurs du net", progress=10)
    session = app_world.session
    plan_commands.update_action(session, admin, pe.id, 1, {"progress": 60})
    plan_commands.update_action(session, admin, ej.id, 1, {"vigilance": "Locaux"})
    return {"nantes": nantes, "carene": carene, "pe": pe}


def test_the_administrator_reads_every_change_in_words_with_a_link(history, admin):
    table = lines(opened(admin)).set_index("Objet")

    assert list(table.index) == [
        "Fiche EJ-01 · Promeneurs du net",
        "Fiche PE-02 · Accueil du mercredi",
    ]
    row = table.loc["Fiche PE-02 · Accueil du mercredi"]
    assert (row["Par"], row["Modifications"], row["Convention"]) == (
        "Alice Admin",
        "Avancement : 35 % → 60 %",
        "CTG de Nantes",
    )
    assert row["Lien"] == (
        f"convention?convention={history['nantes'].id}&action={history['pe'].id}"
    )


def test_the_address_names_the_convention_to_show(history, admin):
    at = opened(admin, convention=history["carene"].id)

    assert list(lines(at)["Objet"]) == ["Fiche EJ-01 · Promeneurs du net"]
    assert at.selectbox(key="history-convention").value == history["carene"].id


def test_a_period_that_is_not_a_date_is_refused_in_french(history, admin):
    at = opened(admin)
    at.text_input(key="history-since").input("31/02/2026")
    at.run()

    assert "Début de la période doit être une date (JJ/MM/AAAA)." in [e.value for e in at.error]
    assert len(lines(at)) == 2  # the other filters still apply


def test_a_period_with_no_change_says_so(history, admin):
    at = opened(admin)
    at.text_input(key="history-until").input("01/01/2020")
    at.run()

    assert "Aucune modification ne correspond à ces filtres." in [i.value for i in at.info]


def test_the_lines_are_offered_for_download_in_excel_and_csv(history, admin):
    at = opened(admin)

    buttons = {b.proto.label: b.proto.help for b in at.get("download_button")}
    assert set(buttons) == {"Exporter (Excel)", "CSV"}
    assert "jusqu'à 50\u202f000 lignes" in buttons["Exporter (Excel)"]
