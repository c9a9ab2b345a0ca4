"""Create the fictitious demo world (deterministic: same seed → same data).

Usage:
  python scripts/make_demo_data.py                      # Loire-Atlantique, into CTG_DATABASE_URL
  python scripts/make_demo_data.py --scale national     # every EPCI of France (benchmarks)
  python scripts/make_demo_data.py --database-url sqlite:////tmp/national.db --scale national

The target database must hold no convention yet (use a fresh file or `make demo-reset`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, func, select

from ctg_core.common import config, db
from ctg_core.common.models import Convention, Territory
from ctg_core.reference.funding_rules import load_funding_rules
from ctg_core.reference.territories import load_national_epci, load_territories
from ctg_core.setup import bootstrap, demo


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--scale", choices=["departement", "national"], default="departement")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="date de référence (AAAA-MM-JJ), aujourd'hui par défaut",
    )
    args = parser.parse_args()
    url = args.database_url or config.database_url()
    bootstrap.upgrade(url)
    with Session(db.engine_for(url), expire_on_commit=False) as session:
        if session.exec(select(func.count()).select_from(Territory)).one() == 0:
            load_territories(session)
        load_funding_rules(session)
        if session.exec(select(func.count()).select_from(Convention)).one():
            sys.exit("La base contient déjà des conventions : partez d'une base vide.")
        if args.scale == "national":
            load_national_epci(session)
        report = demo.generate(
            session,
            seed=args.seed,
            today=args.today,
            departement=None if args.scale == "national" else config.departement(),
        )
    print(
        f"{report.conventions} conventions, {report.actions} actions, "
        f"{report.indicators} indicateurs, {report.meetings} réunions, {report.users} utilisateurs"
    )


if __name__ == "__main__":
    main()
