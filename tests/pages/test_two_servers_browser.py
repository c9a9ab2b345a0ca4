"""Two people on one fiche, each in their own browser, each served by its own app server,
both on one PostgreSQL database — as with two replicas in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Action
from ctg_core.setup import bootstrap
from tests.conftest import scratch_postgres
from tests.streamlit_server import browser, running_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000
# The app has finished its run: every widget on the page is the one of this run.
SCRIPT_DONE = (
    "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
)


@pytest.fixture(scope="module")
def shared_postgres(tmp_path_factory) -> Iterator[str]:
    with scratch_postgres("ctg_two_servers") as url:
        bootstrap.prepare(url, demo=True)
        db.engine_for(url).dispose()
        yield url


@pytest.fixture(scope="module")
def two_servers(shared_postgres):
    with running_app(shared_postgres) as first, running_app(shared_postgres) as second:
        yield first, second


def open_fiche(browser, server, action: Action):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server.url}/convention?convention={action.convention_id}&action={action.id}")
    editor = page.locator('[data-testid="stExpander"]', has_text="Modifier la fiche")
    editor.locator("summary").click()
    editor.get_by_label("Budget (€)").wait_for(state="visible")
    page.wait_for_function(SCRIPT_DONE)
    return page, editor


def test_a_resave_after_a_conflict_on_another_server_keeps_the_colleagues_budget(
    browser,  # noqa: F811
    two_servers,
    shared_postgres,
):
    first, second = two_servers
    engine = db.engine_for(shared_postgres)
    with Session(engine) as session:
        action = session.exec(
            select(Action)
            .where(Action.budget.is_not(None), Action.archived_at.is_(None))  # type: ignore[union-attr]
            .order_by(Action.id)
        ).first()
    assert action is not None
    mine, mine_form = open_fiche(browser, first, action)
    theirs, their_form = open_fiche(browser, second, action)

    their_form.get_by_label("Budget (€)").fill("250 000,00")
    their_form.get_by_role("button", name="Enregistrer la fiche").click()
    theirs.get_by_text(f"Fiche {action.code} enregistrée.").wait_for()

    mine_form.get_by_label("Dernier commentaire").fill("Relance faite auprès de la mairie")
    mine_form.get_by_role("button", name="Enregistrer la fiche").click()
    mine.get_by_text("a enregistré cette fiche").first.wait_for()
    # The form is drawn again with fresh widgets after the message: read it once the run is
    # over (reading earlier once caught a widget being replaced, empty).
    mine.wait_for_function(SCRIPT_DONE)
    # The form now shows the colleague's budget, with this user's comment kept on top.
    mine_form = mine.locator('[data-testid="stExpander"]', has_text="Modifier la fiche")
    expect(mine_form.get_by_label("Budget (€)")).to_have_value(
        re.compile("^250[\u202f ]000,00$")  # Babel's narrow space
    )
    expect(mine_form.get_by_label("Dernier commentaire")).to_have_value(re.compile("^Relance"))
    mine_form.get_by_role("button", name="Enregistrer la fiche").click()
    mine.get_by_text(f"Fiche {action.code} enregistrée.").wait_for()

    with Session(engine) as session:
        saved = session.get(Action, action.id)
    assert saved.budget == Decimal("250000.00")
    assert saved.last_comment == "Relance faite auprès de la mairie"
    assert saved.version == action.version + 2
    mine.context.close()
    theirs.context.close()
