"""An unexpected error anywhere in a page shows a French message with a reference, never
Streamlit's English crash screen; the reference and the stack go to the log."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.streamlit_server import browser, running_app  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
FAILING_PAGE = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(ROOT)!r})
    import streamlit as st
    from ui import boundary

    boundary.install()
    st.title("Page de test")

    def fail():
        raise RuntimeError("panne imprévue")

    st.button("Provoquer une panne", on_click=fail)

    @st.fragment
    def part():
        if st.button("Panne dans un fragment"):
            raise KeyError("fragment")

    part()
    if st.query_params.get("panne") == "1":
        raise ValueError("panne au chargement")
    """
)


@pytest.fixture
def failing_page(tmp_path) -> Path:
    script = tmp_path / "failing_page.py"
    script.write_text(FAILING_PAGE, encoding="utf-8")
    return script


def test_an_error_in_the_page_is_shown_in_french_with_a_reference(failing_page, caplog):
    at = AppTest.from_file(str(failing_page))
    at.query_params["panne"] = "1"
    at.run()
    [message] = [e.value for e in at.error]
    assert message.startswith("Une erreur inattendue s'est produite (référence **")
    reference = message.split("**")[1]
    assert len(reference) == 8
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_error_in_a_button_callback_is_shown_in_french(failing_page):
    at = AppTest.from_file(str(failing_page)).run()
    at.button[0].click()
    at.run()
    assert any(e.value.startswith("Une erreur inattendue") for e in at.error)


@pytest.mark.browser
def test_the_real_server_never_shows_the_english_crash_screen(browser, failing_page):  # noqa: F811
    with running_app("sqlite:///:memory:", script=failing_page) as server:
        page = browser.new_page(locale="fr-FR")
        page.set_default_timeout(60_000)
        page.goto(server.url + "/?panne=1")
        page.get_by_text("Une erreur inattendue s'est produite").wait_for()
        page.goto(server.url)
        page.get_by_role("button", name="Provoquer une panne").click()
        page.get_by_text("Une erreur inattendue s'est produite").wait_for()
        page.goto(server.url)  # a failed callback stops that run: start again
        page.get_by_role("button", name="Panne dans un fragment").click()
        page.get_by_text("Une erreur inattendue s'est produite").first.wait_for()
        assert page.get_by_text("This app has encountered an error").count() == 0
        page.close()
