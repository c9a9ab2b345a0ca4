"""Speed of importing a plan d'actions, as a ratio to reading the same file with pandas alone.

Usage: python scripts/bench_import.py [--rows 2000] [--runs 3]

A plan of `--rows` fiches (every column of the template filled) is written as .xlsx and as
CSV. For each format, alternately:
- baseline: `pandas.read_excel` / `pandas.read_csv` of the file (openpyxl engine for .xlsx,
  `;` separator) — reading only;
- import: `exchange.commands.import_plan` into an empty convention of a SQLite database — read
  the file, check every line through the plan's rules, write every fiche with its history,
  one commit;
- re-import: the same file again, nothing to change (read, check, compare, no write).

Medians are printed with their ratio to the baseline. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def plan_frame(rows: int):  # type: ignore[no-untyped-def]
    import pandas as pd

    axes = ["Petite enfance", "Enfance-jeunesse", "Parentalité", "Logement"]
    statuses = ["À venir", "En cours", "Suspendue"]
    return pd.DataFrame(
        {
            "axis": [axes[n % 4] for n in range(rows)],
            "code": [f"A-{n:05d}" for n in range(rows)],
            "title": [f"Action fictive n° {n} du plan de banc d'essai" for n in range(rows)],
            "objective": ["Améliorer l'accès aux droits des familles du territoire"] * rows,
            "lead": [f"Service {n % 17}" for n in range(rows)],
            "partners": ["Caf, Département, communes"] * rows,
            "starts_on": [date(2025, 1, 1) + timedelta(days=n % 300) for n in range(rows)],
            "due_on": [date(2027, 1, 1) + timedelta(days=n % 300) for n in range(rows)],
            "budget": [1000.0 + 12.5 * n for n in range(rows)],
            "status": [statuses[n % 3] for n in range(rows)],
            "progress": [n % 100 for n in range(rows)],
            "last_comment": ["Point d'étape présenté en comité technique."] * rows,
            "vigilance": ["" if n % 5 else "Partenaire à relancer" for n in range(rows)],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd
    from sqlmodel import Session, select

    from ctg_core.common import db
    from ctg_core.common.auth import current_user_from
    from ctg_core.common.models import Convention, Role, Territory, User
    from ctg_core.exchange import commands, writers
    from ctg_core.exchange.plan_sheet import SHEET_TITLE, plan_columns
    from ctg_core.reference.territories import load_territories
    from ctg_core.setup import bootstrap

    table = writers.Table(SHEET_TITLE, plan_columns(), plan_frame(args.rows))
    files = {"xlsx": writers.excel_bytes(table), "csv": writers.csv_bytes(table)}
    readers: dict[str, Callable[[bytes], object]] = {
        "xlsx": lambda content: pd.read_excel(io.BytesIO(content), engine="openpyxl"),
        "csv": lambda content: pd.read_csv(io.BytesIO(content), sep=";", encoding="utf-8-sig"),
    }

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        bootstrap.upgrade(url)
        engine = db.engine_for(url)
        with Session(engine, expire_on_commit=False) as session:
            load_territories(session, "44")
            territory = session.exec(select(Territory)).first()
            admin = User(email="banc@essai.invalid", name="Banc d'essai", role=Role.admin)
            session.add(admin)
            session.commit()
            user = current_user_from(session, admin)
            territory_id = territory.id

        def new_convention() -> int:
            with Session(engine) as session:
                convention = Convention(territory_id=territory_id, title="Banc d'essai")
                session.add(convention)
                session.commit()
                return convention.id  # type: ignore[return-value]

        def importing(kind: str, convention_id: int) -> float:
            file = {"file_name": f"plan.{kind}", "content": files[kind]}
            with db.session(write=True, engine=engine) as session:
                return timed(lambda: commands.import_plan(session, user, convention_id, file))

        print(f"Import d'un plan de {args.rows} fiches ({args.runs} essais, médianes)")
        for kind in ("xlsx", "csv"):
            baseline, first, again = [], [], []
            for _ in range(args.runs):
                baseline.append(timed(lambda kind=kind: readers[kind](files[kind])))
                convention_id = new_convention()
                first.append(importing(kind, convention_id))
                again.append(importing(kind, convention_id))
            base = statistics.median(baseline)
            size = len(files[kind]) / 1024
            print(f"  .{kind} ({size:,.0f} Ko) — lecture pandas seule : {base * 1000:,.0f} ms")
            for label, samples in (("import (création)", first), ("réimport (inchangé)", again)):
                value = statistics.median(samples)
                print(f"    {label:<20} {value * 1000:8,.0f} ms  = {value / base:5.1f} × pandas")
        engine.dispose()


if __name__ == "__main__":
    main()
