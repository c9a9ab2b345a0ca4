"""The app shell: demo sign-in, the banner, and every page reachable without a traceback."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import Role, User
from ctg_core.people import access
from tests.factories import CARENE
from ui.plain_text import md

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "pages/vue_ensemble.py",
    "pages/convention.py",
    "pages/comite.py",
    "pages/mes_actions.py",
    "pages/indicateurs.py",
    "pages/financement.py",
    "pages/historique.py",
    "pages/administration.py",
]


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


@pytest.fixture
def personas(app_world):
    return {role: app_world.user(role, demo=True) for role in Role}


def test_without_any_user_the_app_explains_how_to_start(app_database):
    at = app()
    at.run()
    assert not at.exception
    assert "Aucun utilisateur" in at.error[0].value


def test_demo_mode_is_bannered_and_offers_one_persona_per_role(personas):
    at = app()
    at.run()
    assert not at.exception
    assert "Mode démonstration" in at.info[0].value
    picker = at.sidebar.selectbox[0]
    assert picker.label == "Profil de démonstration"
    assert len(picker.options) == len(Role)
    assert picker.value == personas[Role.admin].id


def test_the_chosen_persona_becomes_the_current_user(personas):
    # AppTest (Streamlit 1.67) runs only the page file on later runs when the pages live in
    # pages/, so the choice is set through the widget's key before a fresh run. The real
    # server always runs app.py first (see ui.auth and the browser test of deep links).
    at = app()
    at.session_state["persona_id"] = personas[Role.committee].id
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="persona_id").value == personas[Role.committee].id
    assert at.session_state["current_user"].role is Role.committee


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_for_every_role_without_a_traceback(personas, page):
    for role in (Role.admin, Role.committee):
        at = app()
        at.session_state["persona_id"] = personas[role].id
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, role, at.exception)
        assert at.title, page


# --- where each role lands, what its menu holds, what it is refused ------------------------


@pytest.fixture
def scoped_personas(app_world):
    """A demo persona per role; the advisor follows the CARENE's CTG (not Nantes's, which
    comes first by name), the officer and the committee member work on the CARENE."""
    carene = app_world.territory(CARENE)
    other_advisor = app_world.user(Role.caf_advisor, name="Autre Conseiller")
    personas = {
        role: app_world.user(
            role,
            demo=True,
            territories=[carene] if role in {Role.coop_officer, Role.committee} else (),
        )
        for role in Role
    }
    app_world.convention(app_world.territory(), advisor=other_advisor, title="CTG de Nantes")
    app_world.convention(carene, advisor=personas[Role.caf_advisor], title="CTG de la CARENE")
    return personas


def opened_as(user, page: str | None = None) -> AppTest:
    at = app()
    at.session_state["persona_id"] = user.id
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(
    ("role", "title"),
    [
        (Role.admin, "Vue d'ensemble des CTG"),
        (Role.caf_manager, "Vue d'ensemble des CTG"),
        (Role.caf_advisor, "CTG de la CARENE"),  # its own convention, not the first by name
        (Role.coop_officer, "Mes actions"),
        (Role.committee, "CTG de la CARENE"),
    ],
)
def test_each_role_lands_where_its_work_is(scoped_personas, role, title):
    at = opened_as(scoped_personas[role])

    assert at.title[0].value == title


def test_production_without_an_identity_provider_refuses_to_start_in_french(personas, monkeypatch):
    monkeypatch.setenv("CTG_ENV", "production")

    at = app()
    at.run()

    assert not at.exception
    assert [e.value for e in at.error] == [md(access.PRODUCTION_WITHOUT_SIGN_IN)]
    assert not at.info  # no demo banner
    assert not at.sidebar.selectbox  # no persona to pick
    assert "current_user" not in at.session_state


def test_a_mistyped_environment_refuses_to_start(personas, monkeypatch):
    monkeypatch.setenv("CTG_ENV", "prod")

    at = app()
    at.run()

    assert at.error[0].value.startswith(md("CTG_ENV vaut « prod »"))
    assert "current_user" not in at.session_state


def test_a_deactivated_demo_persona_is_refused_until_another_is_chosen(personas, app_world):
    at = opened_as(personas[Role.committee])
    row = app_world.session.get(User, personas[Role.committee].id)
    row.is_active = False
    app_world.session.add(row)
    app_world.session.commit()

    at = app()  # the same browser session reopened: its persona is gone
    at.session_state["persona_id"] = personas[Role.committee].id
    at.run()

    assert not at.exception
    assert "a été désactivé" in at.error[0].value
    assert at.sidebar.selectbox(key="persona_id").value is None
    assert not any(
        option.startswith(Role.committee.label)
        for option in at.sidebar.selectbox(key="persona_id").options
    )


@pytest.mark.parametrize(
    ("role", "title"),
    [(Role.caf_advisor, "Vue d'ensemble des CTG"), (Role.coop_officer, "Mes actions")],
)
def test_a_shared_overview_link_opens_the_overview_for_those_who_may_see_it(
    scoped_personas, role, title
):
    at = app()
    at.session_state["persona_id"] = scoped_personas[role].id
    at.query_params["phase"] = "pilotage"
    at.run()

    assert not at.exception
    assert at.title[0].value == title
