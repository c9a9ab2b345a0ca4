"""Sign-in through OpenID Connect (`st.login`): roles come from the app's own users table."""

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import ChangeLog, Role, User

ROOT = Path(__file__).resolve().parents[2]
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x",
        "client_id": "ctg",
        "client_secret": "y",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}


def signed_in_as(claims: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": True, **claims}
    return at.run()


def test_a_visitor_who_is_not_signed_in_is_asked_to_sign_in(app_database):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert at.button[0].label == "Se connecter"
    assert not at.info  # no demo banner once an identity provider is configured


def test_a_known_e_mail_gets_its_role_from_the_users_table(app_world):
    manager = app_world.user(Role.caf_manager, name="Claire Direction")
    at = signed_in_as({"email": manager.email.upper(), "email_verified": True})
    assert not at.exception
    assert at.session_state["current_user"].role is Role.caf_manager
    assert "Claire Direction" in at.sidebar.caption[0].value


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"email": "inconnu@exemple.fr", "email_verified": True}, "n'a pas encore accès"),
        ({"email": "x@exemple.fr", "email_verified": False}, "n'est pas vérifiée"),
    ],
)
def test_unknown_or_unverified_e_mails_are_refused(app_world, claims, message):
    app_world.user(Role.admin)
    at = signed_in_as(claims)
    assert not at.exception
    assert message in at.error[0].value
    assert "current_user" not in at.session_state


def access_log(world) -> list[tuple[str, str, str]]:
    world.session.rollback()  # a fresh read (SQLite WAL snapshot)
    entries = world.session.exec(
        select(ChangeLog).where(ChangeLog.entity == "access").order_by(ChangeLog.id)
    )
    return [(e.operation, e.user_name, e.changes.get("refused", [None, ""])[1]) for e in entries]


def deactivate(world, user) -> None:
    world.session.rollback()  # no stale read transaction: SQLite would refuse the write
    row = world.session.get(User, user.id, populate_existing=True)
    row.is_active = False
    world.session.add(row)
    world.session.commit()


def test_a_sign_in_is_recorded_once_per_session(app_world):
    manager = app_world.user(Role.caf_manager, name="Claire Direction")
    at = signed_in_as({"email": manager.email, "email_verified": True})
    at.run()

    assert access_log(app_world) == [("sign_in", "Claire Direction", "")]


def test_a_deactivated_account_is_refused_at_sign_in_and_the_refusal_recorded(app_world):
    manager = app_world.user(Role.caf_manager, name="Claire Direction")
    deactivate(app_world, manager)

    at = signed_in_as({"email": manager.email, "email_verified": True})

    assert not at.exception
    assert "a été désactivé" in at.error[0].value
    assert "current_user" not in at.session_state
    assert not at.title[1:]  # nothing but « CTG Pilotage »
    assert access_log(app_world) == [
        ("refused", "Claire Direction", "Connexion refusée : compte désactivé")
    ]


def test_an_unknown_e_mail_is_recorded_with_the_address(app_world):
    app_world.user(Role.admin)

    signed_in_as({"email": "Intrus@Exemple.fr", "email_verified": True})

    assert access_log(app_world) == [
        ("refused", "intrus@exemple.fr", "Connexion refusée : adresse inconnue")
    ]


def test_a_user_deactivated_while_signed_in_is_refused_at_the_next_run(app_world):
    officer = app_world.user(
        Role.coop_officer, name="Nadia Officier", territories=[app_world.territory()]
    )
    at = signed_in_as({"email": officer.email, "email_verified": True})
    assert at.title[0].value == "Mes actions"

    deactivate(app_world, officer)
    at.run()

    assert not at.exception
    assert any("a été désactivé" in e.value for e in at.error)
    assert "Mes actions" not in [t.value for t in at.title]
