"""Sign-in through OpenID Connect (`st.login`): roles come from the app's own users table."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import Role

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
