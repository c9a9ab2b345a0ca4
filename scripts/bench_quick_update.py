"""Speed of a quick update, as ratios to baselines measured in the same run (SQLite demo data).

Usage: python scripts/bench_quick_update.py [--saves 200] [--page-runs 15]

1. Service: median time of one quick update during a meeting — `committee.quick_update` in a
   write session: permission, validation, version check, change log, agenda item, one
   commit — against a bare single-row UPDATE + commit in a write session. Target ≤ 50 ms.
   The officer's batch (`plan_commands.update_actions`, one row) is measured too.
2. Page (AppTest): the Comité page in presentation mode, the run that saves a quick update
   and redraws, against the same page's run that only moves to another point and against a
   bare page (one title). AppTest reruns the whole page; in the browser only the fragment
   around the presented point reruns, so this is an upper bound. Mes actions: the run that
   confirms a one-row save and reloads the table.

Runs alternate between the measured path and its baseline; medians are printed. Prints
figures, asserts nothing.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE_PAGE = 'import streamlit as st\n\nst.title("Comité")\n'


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(runs: int, first: Callable[[], float], second: Callable[[], float]):  # type: ignore[no-untyped-def]
    a, b = [], []
    for _ in range(runs):
        a.append(first())
        b.append(second())
    return a, b


def setting_up(url: str):  # type: ignore[no-untyped-def]
    """The demo officer, a meeting of their convention with its agenda, two actions."""
    from ctg_core.committee import commands as committee
    from ctg_core.common import auth, config, db
    from ctg_core.common.models import Role
    from ctg_core.plan import queries as plan_queries
    from ctg_core.setup import bootstrap

    bootstrap.prepare(url, demo=True)
    os.environ["CTG_DATABASE_URL"] = url
    with db.session() as session:
        officer = next(p for p in auth.demo_personas(session) if p.role is Role.coop_officer)
        frame = plan_queries.officer_actions(session, officer, config.today())
    convention_id = int(frame["convention_id"].iloc[0])
    with db.session(write=True) as session:
        meeting = committee.create_meeting(
            session,
            officer,
            convention_id,
            {"kind": "copil", "held_on": config.today(), "place": "Banc d'essai"},
            today=config.today(),
        )
    ids = [int(i) for i in frame[frame["convention_id"] == convention_id]["id"]]
    return officer, meeting.id, convention_id, ids


# --- 1. the service call ----------------------------------------------------------------------


def bench_service(officer, meeting_id: int, ids: list[int], saves: int) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from ctg_core.committee import commands as committee
    from ctg_core.common import db
    from ctg_core.common.models import Action
    from ctg_core.plan import commands as plan_commands
    from ctg_core.plan.commands import RowChange

    target, batch_target, bare_target = ids[0], ids[1], ids[2]
    versions: dict[int, int] = {}
    with db.session() as session:
        for action_id in (target, batch_target):
            versions[action_id] = session.get(Action, action_id).version  # type: ignore[union-attr]
    counter = iter(range(10**9))

    def bare() -> float:
        def run() -> None:
            with db.session(write=True) as session:
                session.execute(
                    sa.update(Action)
                    .where(Action.id == bare_target)
                    .values(last_comment=f"nu {next(counter)}")
                )
                session.commit()

        return timed(run)

    def quick() -> float:
        def run() -> None:
            with db.session(write=True) as session:
                result = committee.quick_update(
                    session,
                    officer,
                    meeting_id,
                    target,
                    versions[target],
                    {"last_comment": f"séance {next(counter)}"},
                )
            versions[target] = result.new_version

        return timed(run)

    def batch() -> float:
        def run() -> None:
            change = RowChange(
                batch_target, versions[batch_target], {"last_comment": f"lot {next(counter)}"}
            )
            with db.session(write=True) as session:
                report = plan_commands.update_actions(session, officer, [change])
            assert report.rows[0].outcome.value == "saved", report.rows[0].message
            versions[batch_target] += 1

        return timed(run)

    alternate(10, bare, quick)  # warm-up: imports, compiled statements
    bare_runs, quick_runs = alternate(saves, bare, quick)
    _, batch_runs = alternate(saves // 2, bare, batch)
    b, q, lot = median_ms(bare_runs), median_ms(quick_runs), median_ms(batch_runs)
    print(f"Service (SQLite, médiane de {saves}) :")
    print(f"  UPDATE nu + commit          {b:7.2f} ms")
    print(f"  mise à jour en séance       {q:7.2f} ms   ratio {q / b:5.1f}×   (cible ≤ 50 ms)")
    print(f"  lot « Mes actions », 1 ligne {lot:6.2f} ms   ratio {lot / b:5.1f}×")


# --- 2. the page rerun after a save ----------------------------------------------------------


def bench_pages(officer, meeting_id: int, convention_id: int, bare_script: Path, runs: int) -> None:  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from ctg_core.committee import queries as committee_queries
    from ctg_core.common import config, db
    from ui.presentation_view import point_key

    def check(at: AppTest) -> AppTest:
        if at.exception:
            raise SystemExit(f"la page a levé une exception : {at.exception[0].message}")
        return at

    bare = AppTest.from_file(str(bare_script), default_timeout=60)
    bare.run()
    comite = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    comite.session_state["persona_id"] = officer.id
    comite.switch_page("pages/comite.py")
    comite.query_params["reunion"] = str(meeting_id)
    comite.query_params["mode"] = "present"  # the presenter, opened by its address
    check(comite.run())
    counter = iter(range(10**9))

    def first_point():  # type: ignore[no-untyped-def]
        comite.session_state[point_key(meeting_id)] = 0
        check(comite.run())
        with db.session() as session:
            return committee_queries.agenda(session, officer, meeting_id, config.today())[0]

    def save() -> float:
        item = first_point()
        base = f"quick-{meeting_id}-{item.action_id}-{item.version}"
        comite.text_area(key=f"{base}-last_comment").set_value(f"banc {next(counter)}")
        [button] = [b for b in comite.button if b.label.startswith("Enregistrer")]
        button.click()
        elapsed = timed(comite.run)
        check(comite)
        if not comite.toast:
            raise SystemExit("aucune confirmation après l'enregistrement")
        return elapsed

    def move() -> float:
        first_point()
        comite.button(key="presentation-next").click()
        elapsed = timed(comite.run)
        check(comite)
        return elapsed

    def bare_run() -> float:
        return timed(bare.run)

    alternate(3, save, move)
    save_runs, move_runs = alternate(runs, save, move)
    _, bare_runs = alternate(runs, bare_run, bare_run)
    s, m, b = median_ms(save_runs), median_ms(move_runs), median_ms(bare_runs)
    print(f"Page Comité, mode Présenter (AppTest, médiane de {runs}) :")
    print(f"  page nue                       {b:7.1f} ms")
    print(f"  point suivant (sans écriture)  {m:7.1f} ms   ratio {m / b:5.1f}× la page nue")
    print(
        f"  enregistrer + réafficher       {s:7.1f} ms   ratio {s / b:5.1f}× la page nue, "
        f"{s / m:4.2f}× le point suivant"
    )
    bench_mes_actions(officer, runs, bare_run)


def bench_mes_actions(officer, runs: int, bare_run: Callable[[], float]) -> None:  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = officer.id
    at.switch_page("pages/mes_actions.py")
    at.run()
    counter = iter(range(10**9))

    def save() -> float:
        editor = at.data_editor[0]
        at.session_state[editor.key] = {
            "edited_rows": {0: {"last_comment": f"banc {next(counter)}"}},
            "added_rows": [],
            "deleted_rows": [],
        }
        at.run()
        at.button(key="mes-actions-save").click().run()
        at.button(key="mes-actions-batch-confirm").click()
        elapsed = timed(at.run)
        if at.exception or not at.toast:
            raise SystemExit("Mes actions : l'enregistrement n'a pas abouti")
        return elapsed

    save()
    save_runs, bare_runs = alternate(runs, save, bare_run)
    s, b = median_ms(save_runs), median_ms(bare_runs)
    print(f"Page Mes actions (AppTest, médiane de {runs}) :")
    print(f"  confirmer 1 ligne + recharger  {s:7.1f} ms   ratio {s / b:5.1f}× la page nue")


def main() -> None:
    # AppTest runs pages in bare mode: silence its "missing ScriptRunContext" warnings.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--page-runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        officer, meeting_id, convention_id, ids = setting_up(url)
        bench_service(officer, meeting_id, ids, args.saves)
        bare_script = Path(tmp) / "bare.py"
        bare_script.write_text(BARE_PAGE, encoding="utf-8")
        bench_pages(officer, meeting_id, convention_id, bare_script, args.page_runs)


if __name__ == "__main__":
    main()
