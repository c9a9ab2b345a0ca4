"""Write `data/epci_france.csv`: every EPCI of France (SIREN, name, population), for the
national-scale demo used by the benchmarks. Same pinned source as build_geodata.py.

Usage: python scripts/build_epci_france.py [--out data/epci_france.csv]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_geodata

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "epci_france.csv")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "geodata-cache")
    args = parser.parse_args()
    tgz = build_geodata.ensure_package(build_geodata.DECOUPAGE, args.cache)
    communes, epcis = build_geodata.read_decoupage(tgz)
    dep_of = {c["code"]: c.get("departement", "") for c in communes}
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["siren", "nom", "nature", "departement", "population"])
        for epci in sorted(epcis, key=lambda e: e["code"]):
            deps = Counter(dep_of.get(m["code"], "") for m in epci["membres"])
            main_dep = deps.most_common(1)[0][0] if deps else ""
            writer.writerow(
                [epci["code"], epci["nom"], epci["type"], main_dep, epci["populationMunicipale"]]
            )
    print(f"{len(epcis)} EPCI écrits dans {args.out}")


if __name__ == "__main__":
    main()
