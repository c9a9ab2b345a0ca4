"""Every page's server run, as a ratio to a bare page, at département and at national scale;
memory per session for Mes actions and the overview.

Usage: python scripts/bench_pages.py [--runs 7] [--sessions 8] [--national-db PATH]
                                     [--scale departement|national|both] [--only TEXT]...

`--only TEXT` (repeatable, or a comma list) keeps the cases whose label contains one of the
texts, case-insensitive: `--only financement` measures the two Financement cases.

1. Server run (AppTest, a fresh session each run, so app.py's sign-in is included): each page
   of the app for the administrator (who reads and edits everything: the heaviest case), Mes
   actions also for a Caf advisor and a cooperation officer, and the Mes actions rerun that
   follows one cell edit; against a page holding one title, measured in the same run, runs
   alternating. The figure is the CPU time of the run (all threads of the process): on a
   machine shared with other work, wall time mostly measures the others. Scripts are
   compiled once per process, as a server does (AppTest alone would compile them on every
   run). Target: every page ≤ 2× the bare page at national scale. Financement reads its
   book once per state of the funding tables, the overview its rows once per state of the
   data: their first run after a write is measured apart (« relu »).
2. Memory per session: what Python objects (tracemalloc) and Arrow buffers hold more while
   `--sessions` live sessions of the page are open, divided by their number, then what is
   still held once they are closed. It includes what AppTest keeps of the drawn page (a
   server sends it and forgets it). Target for Mes actions: ≤ 2 MB.

The national database is built by `scripts/make_demo_data.py --scale national` into a
temporary folder (about a minute and a half on 2 cores), or reused from `--national-db`.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE_PAGE = 'import streamlit as st\n\nst.title("Page nue")\n'
TARGET_RATIO = 2.0
TARGET_SESSION_MB = 2.0


@dataclass(frozen=True)
class Case:
    label: str
    page: str  # a file of pages/ ("" for the default page)
    role: str
    edit: bool = False  # measure the rerun after one cell edit instead of the first run
    # What is dropped first, as a write does (the parts whose fingerprint it changes: the
    # overview's tests check which): "actions" the overview's action counts (a write to an
    # action), "rows" its territories' facts (a write to a convention or a user), "book" its
    # posts and the Financement book (a funding write).
    cold: str = ""


CASES = [
    Case("Vue d'ensemble", "", "admin"),
    Case("Vue d'ensemble, actions recomptées", "", "admin", cold="actions"),
    Case("Vue d'ensemble, lignes relues", "", "admin", cold="rows"),
    Case("Vue d'ensemble, lignes + livre relus", "", "admin", cold="book"),
    Case("Convention", "pages/convention.py", "admin"),
    Case("Comité", "pages/comite.py", "admin"),
    Case("Mes actions (administrateur)", "pages/mes_actions.py", "admin"),
    Case("Mes actions (conseiller)", "pages/mes_actions.py", "caf_advisor"),
    Case("Mes actions (chargé de coopération)", "pages/mes_actions.py", "coop_officer"),
    Case("Mes actions : une cellule modifiée", "pages/mes_actions.py", "admin", edit=True),
    Case("Indicateurs", "pages/indicateurs.py", "admin"),
    Case("Financement", "pages/financement.py", "admin"),
    Case("Financement, livre relu (après écriture)", "pages/financement.py", "admin", cold="book"),
    Case("Administration", "pages/administration.py", "admin"),
]
MEMORY_CASES = [
    Case("Mes actions (administrateur)", "pages/mes_actions.py", "admin"),
    Case("Vue d'ensemble", "", "admin"),
]


def only(cases: list[Case], texts: list[str] | None) -> list[Case]:
    """The cases whose label contains one of `texts` (case-insensitive); all without texts."""
    wanted = [t.strip().casefold() for text in texts or [] for t in text.split(",") if t.strip()]
    if not wanted:
        return cases
    return [case for case in cases if any(t in case.label.casefold() for t in wanted)]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def personas() -> dict[str, int]:
    from ctg_core.common import auth, db

    with db.session() as session:
        return {p.role.value: p.id for p in auth.demo_personas(session)}


def opened(case: Case, persona_id: int):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["persona_id"] = persona_id
    if case.page:
        at.switch_page(case.page)
    return at


class PageFailed(Exception):
    """The page raised: its line says so and the bench goes on with the others."""


def checked(at, case: Case):  # type: ignore[no-untyped-def]
    if at.exception:
        error = at.exception[0]
        where = (error.stack_trace or [error.value])[-1].strip()
        raise PageFailed(f"{case.label} : la page a levé une exception ({where})")
    return at


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds of the whole process, wall seconds) spent in `run`."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def one_run(case: Case, persona_id: int) -> tuple[float, float]:
    at = opened(case, persona_id)
    if case.edit:
        checked(at.run(), case)
        editor = at.data_editor[0]
        at.session_state[editor.key] = {
            "edited_rows": {0: {"last_comment": "Banc d'essai"}},
            "added_rows": [],
            "deleted_rows": [],
        }
    if case.cold:
        from ui.funding_book import forget_books
        from ui.overview_rows import forget_rows

        forget_rows({"actions": "counts", "rows": "facts", "book": "posts"}[case.cold])
        if case.cold == "book":
            forget_books()
    spent = timed(at.run)
    checked(at, case)
    return spent


def bare_run(bare_script: Path) -> Callable[[], tuple[float, float]]:
    from streamlit.testing.v1 import AppTest

    def run() -> tuple[float, float]:
        return timed(AppTest.from_file(str(bare_script), default_timeout=60).run)

    return run


def server_runs(bare_script: Path, runs: int) -> list[tuple[str, float, float, float]]:
    """(page, page CPU ms, bare CPU ms, page wall ms) medians for every case."""
    ids = personas()
    bare = bare_run(bare_script)
    rows = []
    for case in CASES:
        page = lambda case=case: one_run(case, ids[case.role])  # noqa: E731
        try:
            page()  # warm-up: imports, caches, compiled statements
        except PageFailed as failure:
            print(failure, file=sys.stderr)
            rows.append((case.label, math.nan, math.nan, math.nan))
            continue
        bare()
        pages, bares = [], []
        for _ in range(runs):
            bares.append(bare())
            pages.append(page())
        rows.append(
            (
                case.label,
                median_ms([cpu for cpu, _ in pages]),
                median_ms([cpu for cpu, _ in bares]),
                median_ms([wall for _, wall in pages]),
            )
        )
    return rows


def compile_once_per_process() -> None:
    """A server compiles each script once (its `ScriptCache` lives as long as the process);
    AppTest builds a new cache on every run. Give AppTest one cache, as a server has."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[attr-defined,assignment]
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[attr-defined,assignment]


def held_bytes() -> int:
    """Memory held by Python objects (tracemalloc: session state, widget states, data frames,
    NumPy arrays) and by Arrow buffers (pandas' string columns, tables sent to the browser)."""
    import pyarrow

    gc.collect()
    return tracemalloc.get_traced_memory()[0] + pyarrow.total_allocated_bytes()


def session_memory(sessions: int) -> list[tuple[str, float, float]]:
    """(page, MB per open session, MB per session still held after they closed)."""
    ids = personas()
    rows = []
    for case in MEMORY_CASES:
        try:
            for _ in range(2):  # caches shared by every session, allocator warm
                checked(opened(case, ids[case.role]).run(), case)
        except PageFailed as failure:
            print(failure, file=sys.stderr)
            continue
        tracemalloc.start()
        before = held_bytes()
        alive = [checked(opened(case, ids[case.role]).run(), case) for _ in range(sessions)]
        opened_bytes = held_bytes()
        del alive
        closed_bytes = held_bytes()
        tracemalloc.stop()
        rows.append(
            (
                case.label,
                (opened_bytes - before) / sessions / 1e6,
                max(closed_bytes - before, 0) / sessions / 1e6,
            )
        )
    return rows


def national_database(folder: Path) -> str:
    path = folder / "national.db"
    url = f"sqlite:///{path}"
    print("Construction de la base nationale (make_demo_data.py --scale national)…", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "make_demo_data.py"),
            "--scale",
            "national",
            "--database-url",
            url,
            "--today",
            date.today().isoformat(),
        ],
        check=True,
        cwd=ROOT,
    )
    return url


def departement_database(folder: Path) -> str:
    from tests.streamlit_server import prepare_demo_database

    print("Préparation de la base de démonstration (Loire-Atlantique)…", flush=True)
    return prepare_demo_database(folder / "departement.db")


def measure(scale: str, url: str, bare_script: Path, runs: int, sessions: int) -> None:
    os.environ["CTG_DATABASE_URL"] = url
    rows = server_runs(bare_script, runs) if runs else []
    memory = session_memory(sessions) if sessions else []
    if rows:
        print(f"\n=== {scale} — exécution serveur (AppTest, temps CPU, médiane de {runs}) ===")
        print(f"{'page':<40} {'page (ms)':>10} {'nue (ms)':>9} {'ratio':>7} {'horloge (ms)':>13}")
        for label, page, bare, wall in rows:
            if math.isnan(page):
                print(f"{label:<40} {'erreur : voir plus haut':>41}")
                continue
            mark = "" if page / bare <= TARGET_RATIO else "  > cible"
            print(f"{label:<40} {page:10.0f} {bare:9.0f} {page / bare:6.2f}× {wall:13.0f}{mark}")
        print(f"cible : ≤ {TARGET_RATIO:.0f}× la page nue à l'échelle nationale")
    if memory:
        print(f"\n=== {scale} — mémoire par session ({sessions} sessions) ===")
        print(f"{'page':<40} {'ouverte':>10} {'après fermeture':>16}")
        for label, opened_mb, closed_mb in memory:
            mark = "" if opened_mb <= TARGET_SESSION_MB else "  > cible"
            print(f"{label:<40} {opened_mb:7.2f} Mo {closed_mb:13.2f} Mo{mark}")
        print(f"cible pour Mes actions : ≤ {TARGET_SESSION_MB:.0f} Mo par session")
    sys.stdout.flush()


def main() -> None:
    # AppTest runs pages in bare mode: silence its "missing ScriptRunContext" warnings.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="0 : pas de mesure du temps")
    parser.add_argument("--sessions", type=int, default=8, help="0 : pas de mesure mémoire")
    parser.add_argument("--scale", choices=["departement", "national", "both"], default="both")
    parser.add_argument("--national-db", type=Path, default=None, help="base nationale existante")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="ne garder que les cas dont le libellé contient TEXT (répétable, ou liste à virgules)",
    )
    args = parser.parse_args()
    CASES[:] = only(CASES, args.only)
    MEMORY_CASES[:] = only(MEMORY_CASES, args.only)
    print(f"Machine : {os.cpu_count()} cœurs, {date.today():%d/%m/%Y}")
    compile_once_per_process()
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        folder = Path(tmp)
        bare_script = folder / "bare.py"
        bare_script.write_text(BARE_PAGE, encoding="utf-8")
        if args.scale in {"departement", "both"}:
            url = departement_database(folder)
            measure("département (Loire-Atlantique)", url, bare_script, args.runs, args.sessions)
        if args.scale in {"national", "both"}:
            if args.national_db:
                url = f"sqlite:///{args.national_db.resolve()}"
            else:
                url = national_database(folder)
            measure("national", url, bare_script, args.runs, args.sessions)


if __name__ == "__main__":
    main()
