"""Migrate the configured database and load reference and demo data when it is empty.

Usage: python scripts/setup_db.py [--no-demo]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctg_core.common import config
from ctg_core.setup import bootstrap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="ne pas charger la démo")
    args = parser.parse_args()
    url = config.database_url()
    report = bootstrap.prepare(url, demo=not args.no_demo)
    print(f"Base prête : {url.split('@')[-1]}")
    if report.territories:
        t = report.territories
        print(f"  territoires chargés : {t.epci_added} EPCI, {t.communes_added} communes")
    if report.demo:
        d = report.demo
        print(f"  démo : {d.conventions} conventions, {d.actions} actions, {d.meetings} réunions")


if __name__ == "__main__":
    main()
