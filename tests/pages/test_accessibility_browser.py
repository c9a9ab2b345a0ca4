"""Accessibility measured with axe-core in Debian's Chromium, offline, on every page.

axe-core (npm, pinned in the Makefile and unpacked under build/ by `make test`) is injected
from that local file into every frame of the page (the map is drawn in the page itself; a
component's frame, if any, is checked too) and run from the top page across its frames; the
charts' SVG texts, which axe does not read, are measured as well. A page passes when nothing
is found, apart from the findings listed in `STREAMLIT_SIDE`: markup drawn by Streamlit
itself that the app cannot change. Each of those is excused for one rule on the elements
matching one CSS selector, never a whole rule, so a new violation of the app's own fails
with its rule, impact, element and help.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Convention, Meeting, MeetingStatus, Role
from tests.streamlit_server import (  # noqa: F401  (fixtures)
    ROOT,
    Server,
    browser,
    offline_context,
    streamlit_server,
)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000
AXE = ROOT / "build" / "npm" / "axe-core" / "package" / "axe.min.js"
PRESENTER_SIZES = {
    "1366x768": ({"width": 1366, "height": 768}, 1),
    "683x384@2x": ({"width": 683, "height": 384}, 2),
}


@dataclass(frozen=True)
class StreamlitSide:
    """One finding of Streamlit's own markup: `rule` on the elements matching `selector`."""

    rule: str
    selector: str
    why: str


# Also listed in the README (« Accessibilité »): tests/pages/test_accessibility_readme.py.
STREAMLIT_SIDE: list[StreamlitSide] = [
    StreamlitSide(
        "color-contrast",
        'label[data-testid="stWidgetLabel"][disabled] p',
        "le libellé d'un champ désactivé est grisé par Streamlit ; WCAG 1.4.3 exempte les "
        "composants inactifs, mais Streamlit ne marque pas le libellé comme tel",
    ),
    StreamlitSide(
        "presentation-role-conflict",
        '[data-testid="stFileUploader"] section[role="presentation"]',
        "la zone de dépôt de `st.file_uploader` est une section role=presentation qui prend "
        "le focus (tabindex) ; le bouton « Browse files » qu'elle contient reste utilisable "
        "au clavier",
    ),
]

# The page is drawn: the script has finished, the presenter's buttons are enabled (greyed
# while it runs) and its stylesheet applied, no element is stale, every chart on screen is
# drawn (one in a hidden tab waits for its tab) and every component's frame has loaded.
SETTLED = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    if (app?.dataset.testScriptState !== 'notRunning') return false;
    if (document.querySelector('[data-stale=true]')) return false;
    if (document.querySelector('.st-key-presentation-next button:disabled')) return false;
    for (const key of document.querySelectorAll('.st-key-presenter-form kbd'))
        if (key.checkVisibility()) return false;  // the presenter's stylesheet not applied yet
    for (const chart of document.querySelectorAll('[data-testid=stVegaLiteChart]'))
        if (chart.checkVisibility() && !chart.querySelector('canvas, svg')) return false;
    for (const frame of document.querySelectorAll('iframe'))
        if (frame.contentDocument?.readyState !== 'complete') return false;
    return true;
}"""

# Run in the top frame: axe (injected into every frame beforehand) checks each iframe too,
# page-level rules (one main landmark, one h1…) on the top document only. A node of the top
# document is matched against the Streamlit-side selectors at once (the page may redraw).
RUN_AXE = """async (known) => {
    const result = await axe.run(document, {iframes: true, resultTypes: ['violations']});
    return result.violations.flatMap(rule => rule.nodes.map(node => ({
        rule: rule.id,
        impact: node.impact || rule.impact,
        help: rule.help,
        help_url: rule.helpUrl,
        path: node.target,
        html: node.html,
        summary: node.failureSummary,
        excused: node.target.length > 1 ? null : known.some(k => k.rule === rule.id
            && document.querySelector(node.target[0])?.matches(k.selector)),
    })));
}"""

# In the violation's frame: does its element match one of the Streamlit-side selectors?
MATCHES_ANY = """([target, selectors]) =>
    selectors.some(selector => document.querySelector(target)?.matches(selector))"""


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    help_url: str
    frame: str
    target: str
    html: str
    summary: str

    def describe(self) -> str:
        return (
            f"- {self.rule} [{self.impact}] {self.target}\n"
            f"    {self.help} ({self.help_url})\n"
            f"    cadre : {self.frame}\n"
            f"    élément : {self.html[:200]}\n"
            f"    {' '.join(self.summary.split())[:300]}"
        )


@dataclass
class Scan:
    """What axe found in every frame of a page, the Streamlit-side findings set apart."""

    violations: list[Violation]
    excused: list[Violation]

    def add(self, other: Scan) -> None:
        seen = {(v.rule, v.frame, v.target) for v in self.violations + self.excused}
        self.violations += [v for v in other.violations if (v.rule, v.frame, v.target) not in seen]
        self.excused += [v for v in other.excused if (v.rule, v.frame, v.target) not in seen]

    def report(self, where: str) -> str:
        lines = "\n".join(v.describe() for v in self.violations)
        return f"{len(self.violations)} violation(s) d'accessibilité sur {where} :\n{lines}"


def scan(page) -> Scan:  # type: ignore[no-untyped-def]
    """axe-core run on the settled page and every frame in it, and the charts' texts."""
    page.wait_for_function(SETTLED)
    for frame in page.frames:
        try:
            frame.add_script_tag(path=str(AXE))
        except PlaywrightError:
            if not frame.is_detached():  # a frame removed meanwhile is no longer in the page
                raise
    found = Scan([], [])
    known = [{"rule": k.rule, "selector": k.selector} for k in STREAMLIT_SIDE]
    for node in page.evaluate(RUN_AXE, known):
        *frame_path, target = node.pop("path")
        excused = node.pop("excused")
        frame = _frame_at(page, frame_path)
        violation = Violation(frame=frame.url, target=target, **node)
        if excused is None:  # in an iframe
            excused = _streamlit_side(frame, violation)
        (found.excused if excused else found.violations).append(violation)
    found.violations += pale_chart_texts(page)
    return found


# axe does not check the text of SVG drawings: the charts' axis, legend and title texts (on
# the chart's white) are measured here. Labels drawn on the bars have their own ink per colour
# (`ctg_core/plan/charts.py`).
CHART_TEXTS = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart] svg text')]
    .filter(text => text.textContent.trim() && text.checkVisibility())
    .filter(text => text.closest('[class*=role-axis], [class*=role-legend], [class*=role-title]'))
    .map(text => {
        const style = getComputedStyle(text);
        return {text: text.textContent, fill: style.fill, opacity: parseFloat(style.opacity),
                px: parseFloat(style.fontSize), bold: parseInt(style.fontWeight) >= 700};
    })"""


def pale_chart_texts(page) -> list[Violation]:  # type: ignore[no-untyped-def]
    """Chart texts under WCAG AA on the charts' white: 4.5:1, or 3:1 when large (24 px, or
    18.66 px bold)."""
    pale = []
    for text in page.evaluate(CHART_TEXTS):
        rgb = [int(part) for part in re.findall(r"\d+", text["fill"])[:3]]
        ratio = contrast_on_white(rgb, text["opacity"])
        large = text["px"] >= 24 or (text["bold"] and text["px"] >= 18.66)
        if ratio < (3 if large else 4.5):
            pale.append(
                Violation(
                    rule="chart-text-contrast",
                    impact="serious",
                    help="Texte de graphique (SVG) sous le contraste WCAG AA",
                    help_url="https://www.w3.org/WAI/WCAG21/Understanding/contrast-minimum",
                    frame="page",
                    target=f"« {text['text']} »",
                    html=f"fill {text['fill']}, {text['px']:g} px",
                    summary=f"contraste {ratio:.2f}:1 sur blanc",
                )
            )
    return pale


def contrast_on_white(rgb: list[int], opacity: float = 1.0) -> float:
    def linear(channel: float) -> float:
        channel /= 255
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    seen = [opacity * c + (1 - opacity) * 255 for c in rgb]  # drawn over white
    r, g, b = (linear(c) for c in seen)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def _frame_at(page, iframe_selectors: list[str]):  # type: ignore[no-untyped-def]
    """The frame axe names by the selectors of the iframes that lead to it."""
    frame = page.main_frame
    for selector in iframe_selectors:
        frame = frame.query_selector(selector).content_frame()
    return frame


def _streamlit_side(frame, violation: Violation) -> bool:  # type: ignore[no-untyped-def]
    selectors = [k.selector for k in STREAMLIT_SIDE if k.rule == violation.rule]
    return bool(selectors) and frame.evaluate(MATCHES_ANY, [violation.target, selectors])


def scan_every_tab(page) -> Scan:  # type: ignore[no-untyped-def]
    """The page, then each of its tabs, every expander opened (axe skips what is hidden:
    the forms are in expanders)."""
    open_expanders(page)
    found = scan(page)
    tabs = page.locator('[data-testid="stMain"] [role="tab"]')
    for index in range(1, tabs.count()):
        tabs.nth(index).click()
        open_expanders(page)
        found.add(scan(page))
    return found


def open_expanders(page) -> None:  # type: ignore[no-untyped-def]
    """Opens them one at a time, each after the page has settled: a lazy expander reruns the
    script when opened, which redraws (detaches) the others, and may reveal nested ones."""
    closed = page.locator(
        '[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary'
        " >> visible=true"
    )
    for _ in range(60):  # bounded: a page never holds that many
        page.wait_for_function(SETTLED)
        if closed.count() == 0:
            return
        try:
            closed.first.click(timeout=10_000)
        except PlaywrightTimeoutError:  # redrawn under the pointer: look again once settled
            continue
    pytest.fail("Des sections repliées restent fermées après 60 clics.", pytrace=False)


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.exists():
        pytest.fail(f"axe-core introuvable ({AXE}) : `make test` (cible axe) le télécharge.")
    return AXE


@pytest.fixture(scope="module")
def demo(streamlit_server: Server) -> dict[str, int]:  # noqa: F811
    """Ids the addresses need: a convention, an upcoming and a closed meeting."""
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        meetings = session.exec(select(Meeting).order_by(Meeting.held_on, Meeting.id)).all()
        return {
            "convention": session.exec(select(Convention.id).order_by(Convention.id)).first(),
            "upcoming": next(m.id for m in meetings if m.status != MeetingStatus.closed),
            "closed": next(m.id for m in reversed(meetings) if m.status == MeetingStatus.closed),
        }


@pytest.fixture
def open_context(browser, axe_script) -> Iterator[object]:  # noqa: F811
    contexts = []

    def opened(**options):  # type: ignore[no-untyped-def]
        context = offline_context(browser, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield opened
    for context in contexts:
        assert context.outside == []
        context.close()


ADMIN_PAGES = {
    "vue-ensemble": "/",
    "convention": "/convention?convention={convention}",
    "comite-preparation": "/comite?reunion={upcoming}&mode=prepare",
    "comite-presentation": "/comite?reunion={upcoming}&mode=present",
    "comite-compte-rendu": "/comite?reunion={closed}&mode=minutes",
    "indicateurs": "/indicateurs?convention={convention}",
    "financement": "/financement",
    "mes-actions": "/mes-actions",
    "administration": "/administration",
    "historique": "/historique",
}


@pytest.mark.parametrize("name", list(ADMIN_PAGES))
def test_every_page_has_no_violation_of_the_app_as_the_administrator(
    open_context,
    streamlit_server,  # noqa: F811
    demo,
    name,
):
    page = open_context(viewport={"width": 1400, "height": 1000})
    page.goto(streamlit_server.url + ADMIN_PAGES[name].format(**demo))
    if name == "vue-ensemble":  # the map is checked drawn, with the page around it
        page.locator(".ctg-map path.leaflet-interactive").first.wait_for(state="visible")
        page.get_by_text("Conventions signées").wait_for()
    found = scan_every_tab(page)
    if found.violations:
        pytest.fail(found.report(name), pytrace=False)
    # Read aloud in French (Streamlit serves lang="en"; app.py sets it on every page).
    page.wait_for_function("document.documentElement.lang === 'fr'", timeout=10_000)


OTHER_ROLES = {
    Role.coop_officer: ["Mes actions", "Convention", "Comité", "Indicateurs", "Financement"],
    Role.committee: ["Convention", "Comité", "Indicateurs"],
}


@pytest.mark.parametrize("role", list(OTHER_ROLES), ids=lambda role: role.value)
def test_the_pages_of_other_roles_have_no_violation_of_the_app(
    open_context,
    streamlit_server,  # noqa: F811
    role,
):
    page = open_context(viewport={"width": 1400, "height": 1000})
    page.goto(streamlit_server.url + "/")
    page.wait_for_function(SETTLED)
    page.locator('.st-key-persona_id [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name=re.compile(role.label)).click()
    page.wait_for_function(SETTLED)
    found = Scan([], [])
    for title in OTHER_ROLES[role]:  # through the menu: the chosen profile stays
        link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title)
        path = urlsplit(link.get_attribute("href") or "").path
        link.click()
        page.wait_for_url(lambda url, path=path: urlsplit(url).path == path)
        page.locator("h1").first.wait_for(state="visible")
        found.add(scan_every_tab(page))
    if found.violations:
        pytest.fail(found.report(role.label), pytrace=False)


@pytest.mark.parametrize("size", list(PRESENTER_SIZES))
def test_the_presenter_has_no_violation_of_the_app_on_a_laptop_and_zoomed(
    open_context,
    streamlit_server,  # noqa: F811
    demo,
    size,
):
    viewport, scale = PRESENTER_SIZES[size]
    page = open_context(viewport=viewport, device_scale_factor=scale)
    page.goto(f"{streamlit_server.url}/comite?reunion={demo['upcoming']}&mode=present")
    page.locator(".st-key-presentation-next button").first.wait_for(state="visible")
    found = scan(page)
    if found.violations:
        pytest.fail(found.report(f"le mode présentation ({size})"), pytrace=False)


def test_a_violation_added_to_the_page_or_the_map_is_reported_with_its_help(
    open_context,
    streamlit_server,  # noqa: F811
):
    """The check itself: an unlabelled field put into the page and a button with no name put
    into the map are found, described, and not excused by the Streamlit-side list."""
    page = open_context(viewport={"width": 1400, "height": 1000})
    page.goto(streamlit_server.url + "/")
    page.locator(".ctg-map path.leaflet-interactive").first.wait_for(state="visible")
    page.get_by_text("Conventions signées").wait_for()
    page.locator('[data-testid="stMain"]').evaluate(
        "main => main.insertAdjacentHTML('beforeend', '<input id=\"sans-libelle\">')"
    )
    page.locator(".ctg-map .leaflet-container").evaluate(
        "map => map.insertAdjacentHTML('afterbegin', '<button id=\"bouton-vide\"></button>')"
    )
    found = scan(page)
    by_rule = {v.rule: v for v in found.violations}
    assert (by_rule["label"].target, by_rule["label"].impact) == ("#sans-libelle", "critical")
    button = by_rule["button-name"]
    assert (button.target, button.impact) == ("#bouton-vide", "critical")
    report = found.report("la page modifiée")
    assert "- label [critical] #sans-libelle" in report
    assert "Form elements must have labels" in report  # axe's help, and its link
    assert "dequeuniversity.com/rules/axe/4.14/label" in report
