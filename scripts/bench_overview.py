"""Speed of the Vue d'ensemble page, as ratios to a bare Streamlit page measured in the same run.

Usage: python scripts/bench_overview.py [--runs 15] [--browser-runs 9] [--no-browser]

1. Server: AppTest run time of the overview (app.py, Caf management persona, Loire-Atlantique
   demo data) against a page holding one title. Target: ≤ 1.5×.
2. Browser (Debian's Chromium, every request outside 127.0.0.1 aborted, a fresh context per
   navigation: a browser's first page): time from navigation start to the first frame painted
   with the 17 EPCI polygons, read inside the page (a timer in every document checks for them,
   then waits for the next animation frame), against the bare page's first contentful paint.
   Target: ≤ 1.5× the first paint. The same time seen from outside (Playwright waiting for the
   polygons to be visible, against the bare page's title) is printed beside it. A page
   holding only a folium map of 17 squares drawn by streamlit-folium in its frame is measured
   too: the app drew its map that way until it drew it in the page (`ui/leaflet_map.py`) and
   in two passes (`ui/first_paint.py`).

Runs alternate between the pages; medians are printed. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.streamlit_server import prepare_demo_database, running_app  # noqa: E402

BARE_PAGE = 'import streamlit as st\n\nst.title("Vue d\'ensemble")\n'
# Reference point: a page holding nothing but a folium map of 17 squares (same offline Leaflet).
MINIMAL_MAP_PAGE = """import folium
import streamlit as st
from streamlit_folium import st_folium

st.title("Carte minimale")
m = folium.Map(location=[47.3, -1.7], zoom_start=8, tiles=None)
m.default_js = [("leaflet", "/app/static/leaflet/leaflet.js")]
m.default_css = [("leaflet_css", "/app/static/leaflet/leaflet.css")]
for i in range(17):
    x, y = -2.4 + (i % 6) * 0.25, 47.0 + (i // 6) * 0.25
    square = [[x, y], [x + 0.2, y], [x + 0.2, y + 0.2], [x, y + 0.2], [x, y]]
    folium.GeoJson({"type": "Polygon", "coordinates": [square]}).add_to(m)
st_folium(m, key="carte", height=520, returned_objects=[])
"""
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
EPCI_COUNT = 17
# Injected in every document (the page and any frame): checked every 10 ms, the time of the
# first frame painted with the EPCI polygons, as an absolute time (ms since the
# epoch) so that a map drawn in a frame compares with the page's own navigation start.
POLYGONS_MARK_JS = """(() => {
    // A timer, not a chain of animation frames: streamlit-folium's frame rewrites its
    // document, which drops the frames' callbacks asked for before.
    const timer = setInterval(() => {
        if (document.querySelectorAll("path.leaflet-interactive").length >= %d) {
            clearInterval(timer);
            requestAnimationFrame((now) => {
                window.__ctgPolygonsAt = performance.timeOrigin + now;
            });
        }
    }, 10);
})();"""
POLYGONS_AT_JS = "window.__ctgPolygonsAt || null"
FIRST_PAINT_JS = """new Promise(resolve => new PerformanceObserver(list => {
    const paint = list.getEntriesByName("first-contentful-paint")[0];
    if (paint) resolve(paint.startTime);
}).observe({type: "paint", buffered: true}))"""


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def alternate(runs: int, first: Callable[[], float], second: Callable[[], float]):  # type: ignore[no-untyped-def]
    a, b = [], []
    for _ in range(runs):
        a.append(first())
        b.append(second())
    return a, b


# --- 1. server run time ---------------------------------------------------------------------


def bench_apptest(database_url: str, bare_script: Path, runs: int) -> None:
    os.environ["CTG_DATABASE_URL"] = database_url
    from streamlit.testing.v1 import AppTest

    from ctg_core.common import auth, db
    from ctg_core.common.models import Role

    with db.session() as session:
        manager = next(p for p in auth.demo_personas(session) if p.role is Role.caf_manager)

    def bare() -> float:
        at = AppTest.from_file(str(bare_script), default_timeout=60)
        start = time.perf_counter()
        at.run()
        return time.perf_counter() - start

    def overview() -> float:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["persona_id"] = manager.id
        start = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - start
        if at.exception:
            raise SystemExit(f"la page a levé une exception : {at.exception[0].message}")
        return elapsed

    alternate(3, bare, overview)  # imports, caches, compiled statements
    bare_runs, page_runs = alternate(runs, bare, overview)
    b, p = median_ms(bare_runs), median_ms(page_runs)
    print(f"AppTest (médiane de {runs}) : page nue {b:.1f} ms · vue d'ensemble {p:.1f} ms")
    print(f"  ratio serveur : {p / b:.2f}× (cible ≤ 1,5×)")


# --- 2. browser -----------------------------------------------------------------------------


def _block_outside(context, aborted: list[str]) -> None:  # type: ignore[no-untyped-def]
    def handle(route) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    context.route("**/*", handle)


def bench_browser(database_url: str, bare_script: Path, minimal_script: Path, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    with (
        running_app(database_url) as app,
        running_app(database_url, script=bare_script) as bare_app,
        running_app(database_url, script=minimal_script) as minimal_app,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        aborted: list[str] = []

        def fresh_page():  # type: ignore[no-untyped-def]
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(POLYGONS_MARK_JS % EPCI_COUNT)
            _block_outside(context, aborted)
            return context, context.new_page()

        def bare() -> tuple[float, float]:
            context, page = fresh_page()
            start = time.perf_counter()
            page.goto(bare_app.url, wait_until="commit")
            page.get_by_role("heading", name="Vue d'ensemble").wait_for(state="visible")
            title = time.perf_counter() - start
            paint = page.evaluate(FIRST_PAINT_JS)
            context.close()
            return title, paint / 1000

        def polygons_drawn(url: str) -> tuple[float, float]:
            """(in the page: navigation start → the frame after the polygons are in the
            document; seen from outside: `goto` → Playwright sees them visible), seconds."""
            context, page = fresh_page()
            start = time.perf_counter()
            page.goto(url, wait_until="commit")
            polygons = page.locator("path.leaflet-interactive")
            if url == minimal_app.url:  # streamlit-folium: the map is in a frame
                polygons = page.frame_locator('iframe[title*="st_folium"]').locator(
                    "path.leaflet-interactive"
                )
            polygons.nth(EPCI_COUNT - 1).wait_for(state="visible", timeout=60_000)
            seen = time.perf_counter() - start
            origin = page.evaluate("performance.timeOrigin")
            marks = [frame.evaluate(POLYGONS_AT_JS) for frame in page.frames]
            context.close()
            return (min(m for m in marks if m) - origin) / 1000, seen

        for _ in range(2):  # the servers' first runs import and cache
            bare()
            polygons_drawn(app.url)
            polygons_drawn(minimal_app.url)
        titles, paints, maps, maps_seen, minimal, minimal_seen = [], [], [], [], [], []
        for _ in range(runs):
            title, paint = bare()
            titles.append(title)
            paints.append(paint)
            drawn, seen = polygons_drawn(app.url)
            maps.append(drawn)
            maps_seen.append(seen)
            drawn, seen = polygons_drawn(minimal_app.url)
            minimal.append(drawn)
            minimal_seen.append(seen)
        browser.close()

    t, f = median_ms(titles), median_ms(paints)
    m, ms, r, rs = (
        median_ms(maps),
        median_ms(maps_seen),
        median_ms(minimal),
        median_ms(minimal_seen),
    )
    print(f"Chromium hors ligne (médiane de {runs}, {os.cpu_count()} cœurs) :")
    print(f"  page nue : premier affichage {f:.0f} ms, titre visible (vu de Playwright) {t:.0f} ms")
    print(f"  vue d'ensemble : polygones affichés {m:.0f} ms (vus de Playwright : {ms:.0f} ms)")
    print(f"  ratio navigateur : {m / f:.2f}× le premier affichage (cible ≤ 1,5×)")
    print(f"                     vu de Playwright : {ms / t:.2f}× le titre visible de la page nue")
    print(
        f"  repère, carte minimale de 17 carrés (streamlit-folium) : {r:.0f} ms, {r / f:.2f}× "
        f"le premier affichage (vue de Playwright : {rs:.0f} ms, {rs / t:.2f}×)"
    )
    blocked = sorted({urlparse(url).hostname or url for url in aborted})
    print(f"  requêtes extérieures bloquées : {len(aborted)} ({', '.join(blocked) or 'aucune'})")


def main() -> None:
    # AppTest runs pages in bare mode: silence its "missing ScriptRunContext" warnings.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--browser-runs", type=int, default=9)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-overview-") as folder:
        bare_script = Path(folder) / "bare.py"
        bare_script.write_text(BARE_PAGE, encoding="utf-8")
        minimal_script = Path(folder) / "minimal_map.py"
        minimal_script.write_text(MINIMAL_MAP_PAGE, encoding="utf-8")
        (Path(folder) / "static").symlink_to(ROOT / "static")  # /app/static/leaflet/
        print("Préparation de la base de démonstration (Loire-Atlantique)…", flush=True)
        database_url = prepare_demo_database(Path(folder) / "ctg.db")
        bench_apptest(database_url, bare_script, args.runs)
        if not args.no_browser:
            bench_browser(database_url, bare_script, minimal_script, args.browser_runs)


if __name__ == "__main__":
    main()
