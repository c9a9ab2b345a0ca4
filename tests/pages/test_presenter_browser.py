"""The presenter as a committee sees it: a 1366×768 laptop on a projector, and the same
screen zoomed to 200 % (683×384 CSS pixels, device scale factor 2), in Debian's Chromium,
offline, opened by its address `/comite?reunion=M&mode=present`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, select

from ctg_core.committee import queries as committee_queries
from ctg_core.common import auth, config, db
from ctg_core.common.models import Action, Meeting, MeetingStatus, Role, User
from tests.streamlit_server import Server, browser, offline_context, streamlit_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000
SIZES = {
    "1366x768": ({"width": 1366, "height": 768}, 1),
    "683x384@2x": ({"width": 683, "height": 384}, 2),
}
# The app has answered and its widgets are live (a button's keyboard shortcut is bound once
# the button is enabled).
READY = """() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState
    === 'notRunning' && document.querySelector('.st-key-presentation-next button')
    ?.disabled === false"""


def meetings_ahead(server: Server) -> list[Meeting]:
    """The demo's upcoming meetings (today, in 7 days, in 14 days), agenda built."""
    with Session(db.engine_for(server.database_url)) as session:
        return list(
            session.exec(
                select(Meeting)
                .where(Meeting.status != MeetingStatus.closed)
                .order_by(Meeting.held_on, Meeting.id)
            )
        )


def first_points(server: Server, meeting: Meeting) -> list[committee_queries.AgendaRow]:
    with Session(db.engine_for(server.database_url)) as session:
        admin = next(p for p in auth.demo_personas(session) if p.role is Role.admin)
        return committee_queries.agenda(session, admin, meeting.id, config.today())


def stored_progress(server: Server, action_id: int) -> int:
    with Session(db.engine_for(server.database_url)) as session:
        return session.exec(select(Action.progress).where(Action.id == action_id)).one()


def open_presenter(browser, server: Server, meeting: Meeting, size: str):  # type: ignore[no-untyped-def]  # noqa: F811
    viewport, scale = SIZES[size]
    context = offline_context(browser, viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server.url}/comite?reunion={meeting.id}&mode=present")
    page.wait_for_function(READY)
    return page


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def meeting(streamlit_server, size) -> Meeting:  # noqa: F811
    """One upcoming meeting per screen size, so that the sizes never share a point."""
    return meetings_ahead(streamlit_server)[list(SIZES).index(size)]


@pytest.fixture
def presenter(browser, streamlit_server, meeting, size) -> Iterator[object]:  # noqa: F811
    page = open_presenter(browser, streamlit_server, meeting, size)
    yield page
    assert page.context.outside == []
    page.context.close()


def expect_on_first_screen(page, locator) -> None:  # type: ignore[no-untyped-def]
    """The element ends up wholly inside the unscrolled viewport.

    Retried until the layout settles: right after the app reports ready, Streamlit may still
    be placing elements (a measurement taken then failed once in CI on a busy machine).
    """
    expect(locator).to_be_in_viewport(ratio=1)
    assert page.evaluate("scrollX === 0 && scrollY === 0")


def save_button(page):  # type: ignore[no-untyped-def]
    """The form's save button (Streamlit also keeps a hidden copy of it, for measuring)."""
    return page.locator(
        '[data-testid="stBaseButton-primaryFormSubmit"] >> visible=true', has_text="Enregistrer"
    )


def progress_input(page):  # type: ignore[no-untyped-def]
    return page.get_by_role("textbox", name="Avancement (%)")


def test_the_point_and_the_save_button_are_on_the_first_screen_with_no_horizontal_scroll(
    presenter,
    streamlit_server,  # noqa: F811
    meeting,
    size,
    tmp_path,
):
    first = first_points(streamlit_server, meeting)[0]
    title = presenter.locator("h1").first
    assert title.inner_text().startswith(f"{first.code} · ")
    expect_on_first_screen(presenter, title)
    expect_on_first_screen(presenter, save_button(presenter))
    assert presenter.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert not presenter.locator('[data-testid="stSidebar"]').is_visible()
    assert not presenter.locator('[data-testid="stHeader"]').is_visible()
    # The demo banner is one thin line (it once took two lines and pushed the point down).
    banner = presenter.locator(".st-key-demo-banner").first
    expect(banner).to_be_visible()
    assert banner.bounding_box()["height"] < 30
    presenter.screenshot(path=str(tmp_path / f"presenter-{size}.png"))


def test_saving_42_percent_moves_to_the_next_point_with_42_stored(
    presenter,
    streamlit_server,  # noqa: F811
    meeting,
):
    first, second = first_points(streamlit_server, meeting)[:2]
    progress_input(presenter).fill("42 %")
    save_button(presenter).click()

    presenter.wait_for_function(
        "(code) => document.querySelector('h1')?.innerText.startsWith(code + ' · ')",
        arg=second.code,
    )
    assert stored_progress(streamlit_server, first.action_id) == 42
    presenter.wait_for_function(READY)
    assert presenter.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_saving_150_shows_the_french_message_and_stays(
    presenter,
    streamlit_server,  # noqa: F811
    meeting,
):
    first = first_points(streamlit_server, meeting)[0]
    before = stored_progress(streamlit_server, first.action_id)
    progress_input(presenter).fill("150")
    save_button(presenter).click()

    message = presenter.get_by_text("L'avancement va de 0 à 100 %.")
    message.wait_for(state="visible")
    expect_on_first_screen(presenter, message)  # next to the field, even at 200 %
    assert presenter.locator("h1").first.inner_text().startswith(f"{first.code} · ")
    assert progress_input(presenter).input_value() == "150"
    assert stored_progress(streamlit_server, first.action_id) == before
    assert presenter.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_page_down_and_page_up_move_between_points(browser, streamlit_server):  # noqa: F811
    meeting = meetings_ahead(streamlit_server)[2]
    points = first_points(streamlit_server, meeting)
    page = open_presenter(browser, streamlit_server, meeting, "1366x768")
    try:
        for key, point in (("PageDown", points[1]), ("PageDown", points[2]), ("PageUp", points[1])):
            page.keyboard.press(key)
            page.wait_for_function(
                "(code) => document.querySelector('h1')?.innerText.startsWith(code + ' · ')",
                arg=point.code,
            )
            page.wait_for_function(READY)
    finally:
        page.context.close()


def test_a_deactivated_users_save_is_refused_next_to_the_form_and_the_input_kept(
    browser,  # noqa: F811
    streamlit_server,  # noqa: F811
):
    meeting = meetings_ahead(streamlit_server)[2]
    first = first_points(streamlit_server, meeting)[0]
    before = stored_progress(streamlit_server, first.action_id)
    page = open_presenter(browser, streamlit_server, meeting, "1366x768")
    engine = db.engine_for(streamlit_server.database_url)
    admin_email = "admin.1@demo.ctg-pilotage.invalid"  # the first demo persona, the visitor's
    try:
        with engine.begin() as conn:
            conn.execute(sa.update(User).where(User.email == admin_email).values(is_active=False))
        progress_input(page).fill("55")
        save_button(page).click()

        page.get_by_text("Votre compte a été désactivé").wait_for(state="visible")
        assert progress_input(page).input_value() == "55"
        assert page.locator("h1").first.inner_text().startswith(f"{first.code} · ")
        assert stored_progress(streamlit_server, first.action_id) == before
    finally:
        with engine.begin() as conn:
            conn.execute(sa.update(User).where(User.email == admin_email).values(is_active=True))
        page.context.close()
