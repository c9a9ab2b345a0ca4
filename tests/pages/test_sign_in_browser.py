"""Signing in for real: a production server (`CTG_ENV=production`) whose `[auth]` section
points at an OpenID Connect provider running on 127.0.0.1 (PyPI `oidc-provider-mock`,
installed by `make setup`), driven in Debian's Chromium. Nothing leaves the machine.

The provider signs in whoever it is told to (`Provider.set_user`); the app decides who may
come in, from its own users table.
"""

from __future__ import annotations

import re
import secrets
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import httpx2
import pytest
import werkzeug.serving
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import ActionStatus, Convention, Role, User
from ctg_core.setup import bootstrap
from tests.factories import CARENE, World
from tests.streamlit_server import Server, browser, free_port, running_app  # noqa: F401

# authlib turns its own deprecation warnings to « always » when imported, past pytest's filters;
# the test provider still uses authlib.jose.
with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401  (installs its « always » filter first)

    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock

pytestmark = pytest.mark.browser
HOST = "127.0.0.1"  # one host name everywhere, or the OAuth state cookie is lost
TIMEOUT_MS = 60_000
OFFICER = "nadia.officier@nantesmetropole.fr"
DEACTIVATED = "ancien.officier@nantesmetropole.fr"


@dataclass(frozen=True)
class Provider:
    url: str  # the issuer

    def set_user(self, sub: str, **claims: object) -> None:
        """The claims the provider puts in `sub`'s ID token (email, name…)."""
        response = httpx2.put(f"{self.url}/users/{quote(sub, safe='')}", json=claims)
        assert response.status_code == 204, response.text


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    server = werkzeug.serving.make_server(HOST, 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield Provider(f"http://{HOST}:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def prepare_database(path: Path) -> str:
    """Territories, one CTG on Nantes Métropole with two fiches, and three people."""
    url = f"sqlite:///{path}"
    bootstrap.prepare(url, demo=False)
    with Session(db.engine_for(url), expire_on_commit=False) as session:
        world = World(session)
        nantes = world.territory()
        officer = world.user(Role.coop_officer, name="Nadia Officier", territories=[nantes])
        old = world.user(Role.coop_officer, name="Ancien Officier", territories=[nantes])
        for user, email, active in ((officer, OFFICER, True), (old, DEACTIVATED, False)):
            row = session.get(User, user.id)
            row.email, row.is_active = email, active
            session.add(row)
        session.commit()
        ctg = world.convention(nantes, title="CTG de Nantes Métropole")
        world.action(ctg, "PE-01", title="Accueil du mercredi", status=ActionStatus.en_cours)
        carene = world.convention(world.territory(CARENE), title="CTG de la CARENE")
        world.action(carene, "PE-07", title="Hors périmètre")
    db.engine_for(url).dispose()
    return url


@pytest.fixture(scope="module")
def production_app(tmp_path_factory, provider) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("oidc")
    url = prepare_database(folder / "ctg.db")
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://{HOST}:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "ctg-pilotage-test"\n'
        'client_secret = "non-verifie-par-le-fournisseur-de-test"\n'
        f'server_metadata_url = "{provider.url}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    with running_app(
        url,
        env={"CTG_ENV": "production", "CTG_TODAY": "2026-11-25"},
        log_path=folder / "streamlit.log",
        port=port,
        # Only this file: the repository's own .streamlit/secrets.toml is never read.
        args=["--secrets.files", str(secrets_file)],
    ) as server:
        yield server
    db.engine_for(url).dispose()


@pytest.fixture
def page(browser) -> Iterator[object]:  # noqa: F811
    """A fresh browser context (no cookies); any request off 127.0.0.1 is refused."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")

    def local_only(route) -> None:  # type: ignore[no-untyped-def]
        if urlparse(route.request.url).hostname == HOST:
            route.continue_()
        else:  # the provider's pages link a stylesheet on a CDN
            route.abort()

    context.route("**/*", local_only)
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()


def sign_in(page, app: Server, provider: Provider, sub: str) -> None:
    """From the app's address: « Se connecter », then authorize `sub` on the provider."""
    page.goto(app.url)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile("^" + re.escape(f"{provider.url}/oauth2/authorize")))
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile("^" + re.escape(app.url)))


def convention_id(app: Server, title: str) -> int:
    with Session(db.engine_for(app.database_url)) as session:
        return session.exec(select(Convention.id).where(Convention.title == title)).one()


def menu(page) -> list[str]:
    nav = page.locator('[data-testid="stSidebarNav"] a')
    return [text.strip().splitlines()[-1] for text in nav.all_inner_texts()]  # icon, title


def test_a_known_officer_lands_on_their_actions_with_their_menu_and_signs_out(
    page, production_app, provider
):
    provider.set_user("nadia", email=OFFICER, email_verified=True, name="Nadia")
    sign_in(page, production_app, provider, "nadia")

    page.get_by_role("heading", name="Mes actions").wait_for()
    assert urlparse(page.url).path == "/mes-actions"
    page.get_by_text("Connecté : Nadia Officier · Chargé de coopération").wait_for()
    assert menu(page) == [
        "Convention",
        "Comité",
        "Mes actions",
        "Indicateurs",
        "Financement des postes",
    ]
    assert page.get_by_text("aucune connexion n'est configurée").count() == 0

    page.goto(f"{production_app.url}/convention")  # their territory's CTG…
    page.get_by_role("heading", name="CTG de Nantes Métropole").wait_for()
    other = convention_id(production_app, "CTG de la CARENE")
    page.goto(f"{production_app.url}/convention?convention={other}")  # …not another's
    page.get_by_text("Vous n'avez pas le droit de consulter cette convention").wait_for()
    assert page.get_by_text("Hors périmètre").count() == 0

    page.goto(f"{production_app.url}/administration")  # a page of another role, by URL
    page.get_by_text("Cette page est réservée à l'administrateur").wait_for()
    assert page.get_by_role("heading", name="Utilisateurs").count() == 0

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile("^" + re.escape(f"{provider.url}/oauth2/end_session")))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile("^" + re.escape(production_app.url)))
    page.get_by_role("button", name="Se connecter").wait_for()
    assert "_streamlit_user" not in {cookie["name"] for cookie in page.context.cookies()}


def test_an_unknown_e_mail_is_refused_politely_and_sees_no_data(page, production_app, provider):
    provider.set_user("inconnu", email="inconnu@exemple.fr", email_verified=True)
    sign_in(page, production_app, provider, "inconnu")

    page.get_by_text("n'a pas encore accès à CTG Pilotage").wait_for()
    assert page.get_by_text("Demandez à l'administrateur de la Caf de vous ajouter").count() == 1
    assert menu(page) == []
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert "Accueil du mercredi" not in page.content()


def test_a_deactivated_user_is_refused(page, production_app, provider):
    provider.set_user("ancien", email=DEACTIVATED, email_verified=True)
    sign_in(page, production_app, provider, "ancien")

    page.get_by_text("a été désactivé").wait_for()
    assert menu(page) == []
    assert "Accueil du mercredi" not in page.content()


def test_a_production_server_without_identity_provider_refuses_to_open(page, tmp_path):
    url = f"sqlite:///{tmp_path / 'ctg.db'}"
    bootstrap.upgrade(url)
    no_secrets = ["--secrets.files", str(tmp_path / "absent.toml")]
    with running_app(url, env={"CTG_ENV": "production"}, args=no_secrets) as server:
        page.goto(server.url)
        page.get_by_text("CTG Pilotage refuse de démarrer").wait_for()
        assert page.get_by_text("aucune connexion n'est configurée").count() == 0
        assert menu(page) == []
    db.engine_for(url).dispose()
