"""A pack's metadata as a typed value: pack.json read and written back exactly."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from hotspots import pipeline
from hotspots._errors import InputDataError
from hotspots.pipeline.meta import CrimeSource, PackMeta, PointsReconciliation, UploadsInfo

ROOT = Path(__file__).resolve().parents[1]
DEMO_JSON = ROOT / "data" / "demo" / "pack.json"


def _written(meta: PackMeta) -> str:
    """pack.json as data.build_demo writes it."""
    return json.dumps(meta.to_json(), indent=2, ensure_ascii=False) + "\n"


def test_demo_pack_json_round_trips_byte_for_byte():
    text = DEMO_JSON.read_text(encoding="utf-8")
    meta = PackMeta.from_json(json.loads(text))
    assert _written(meta) == text
    assert meta.extra == {}
    assert PackMeta.from_json(meta.to_json()) == meta


def test_demo_pack_json_is_the_attribute_order():
    """A PackMeta built in code (the demo builder) writes its keys in attribute order."""
    meta = PackMeta.from_json(json.loads(DEMO_JSON.read_text(encoding="utf-8")))
    fresh = dataclasses.replace(meta, key_order=())
    assert _written(fresh) == DEMO_JSON.read_text(encoding="utf-8")


def test_demo_pack_typed_values():
    meta = pipeline.load_pack().meta
    assert isinstance(meta, PackMeta)
    assert meta.title == "London wards demo pack" and meta.synthetic_referrals is True
    assert meta.points_boroughs == ("City of London",)
    assert isinstance(meta.points_reconciliation, PointsReconciliation)
    assert meta.points_reconciliation.rows_read == 24_750
    assert meta.points_rejected == {"duplicate Crime ID": 252}
    assert meta.seed == 20261123 and meta.crime_months == ("2024-04", "2026-03")
    assert meta.placement is not None and "referrals" in meta.placement
    assert meta.uploads is None and meta.crime_sources is None


@pytest.mark.parametrize("data", [
    {},
    {"title": "Mine"},
    {"area_layer": "areas.geojson", "title": "Mine", "synthetic_referrals": False},
    # unknown keys, and known keys set to null, are kept where they were
    {"zeta": [1, {"a": None}], "title": None, "seed": 7, "alpha": "x"},
    {"points_reconciliation": {"rows_read": 3, "rows_kept": 2, "rows_rejected": 1,
                               "rows_without_location": 0}},
])
def test_minimal_packs_round_trip(data):
    meta = PackMeta.from_json(data)
    assert json.dumps(meta.to_json()) == json.dumps(data)
    assert list(meta.to_json()) == list(data)


def test_absent_is_none_and_extras_are_kept():
    meta = PackMeta.from_json({"zeta": 1, "title": None})
    assert meta.title is None and meta.vintage is None and meta.points_rejected == {}
    assert meta.extra == {"zeta": 1, "title": None}
    changed = meta.replace(title="Set later")
    assert changed.to_json() == {"zeta": 1, "title": "Set later"}


def test_keys_set_later_follow_in_attribute_order():
    meta = PackMeta.from_json({"title": "T", "zeta": 1})
    later = meta.replace(crime_sources=(CrimeSource("pack", "pack data", ("E1",)),),
                         uploads=UploadsInfo(base_synthetic=True), points_file=None,
                         marking="OFFICIAL")
    assert list(later.to_json()) == ["title", "zeta", "marking", "uploads", "crime_sources"]
    assert later.to_json()["crime_sources"] == [
        {"key": "pack", "label": "pack data", "coverage": ["E1"]}]


def test_a_legacy_rejected_total_is_one_reason():
    rec = PointsReconciliation(rows_read=5, rows_kept=3, rows_rejected=2,
                               rows_without_location=0)
    assert rec.rejected == {"rejected when read": 2}
    assert PointsReconciliation(5, 5, {"dup": 0, "bad": 1}, 0).rejected == {"bad": 1}


@pytest.mark.parametrize(("data", "words"), [
    ({"seed": "7"}, "'seed' must be a whole number"),
    ({"points_boroughs": "City of London"}, "'points_boroughs' must be a list of text"),
    ({"synthetic_referrals": "yes"}, "'synthetic_referrals' must be true or false"),
    ({"placement": {"crime": 3}}, "'placement' must be an object of text values"),
    ({"points_reconciliation": {"rows_read": 1}}, "'points_reconciliation' must be an object"),
])
def test_malformed_values_are_named(data, words):
    with pytest.raises(InputDataError, match=words) as e:
        PackMeta.from_json(data, where="my/pack.json")
    assert str(e.value).startswith("my/pack.json: ")


def test_an_uploaded_pack_meta_round_trips():
    """What pack_with_uploads writes (uploads, crime sources) reads back the same."""
    base = pipeline.load_pack()
    a = base.areas
    pt = a[a["borough_name"] == "Hackney"].geometry.representative_point().to_crs(
        "EPSG:4326").iloc[0]
    csv = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
           "LSOA name,Crime type,Last outcome category,Context\n"
           f"c1,2025-05,MPS,MPS,{pt.x:.6f},{pt.y:.6f},On or near X,,,Burglary,,\n").encode()
    pack = pipeline.uploads.pack_with_uploads(base, police_uk_files=[("a.csv", csv)])
    meta = pack.meta
    assert meta.uploads is not None and meta.uploads.files == ("a.csv",)
    assert [s.key for s in meta.crime_sources or ()] == ["pack", "police_uk"]
    assert meta.points_file is None and "points_file" not in meta.to_json()
    again = PackMeta.from_json(json.loads(json.dumps(meta.to_json())))
    assert again.to_json() == meta.to_json()
    assert again.uploads == meta.uploads and again.crime_sources == meta.crime_sources
    assert base.meta == PackMeta.from_json(json.loads(DEMO_JSON.read_text("utf-8")))


# --------------------------------------------------------------------------- the rule


def _meta_reads(path: Path) -> list[str]:
    """``<x>.meta[...]``, ``meta[...]``, ``meta.get(...)`` and ``<x>.meta.get(...)`` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = path.relative_to(ROOT) if ROOT in path.parents else path

    def is_meta(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "meta") or (
            isinstance(node, ast.Attribute) and node.attr == "meta")

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_meta(node.value):
            found.append(f"{name}:{node.lineno}: meta[...]")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and is_meta(node.func.value)):
            found.append(f"{name}:{node.lineno}: meta.get(...)")
    return found


def test_no_module_outside_pipeline_reads_meta_by_key():
    """Pack metadata is read as attributes of PackMeta, never by string key."""
    files = [ROOT / "dashboard.py"]
    for top in ("hotspots", "ui", "data", "bench", "scripts"):
        files += sorted((ROOT / top).rglob("*.py"))
    pipeline_dir = ROOT / "hotspots" / "pipeline"
    found = [hit for f in files if pipeline_dir not in f.parents and "__pycache__" not in f.parts
             for hit in _meta_reads(f)]
    assert not found, "read pack metadata as PackMeta attributes:\n" + "\n".join(found)


def test_the_rule_sees_a_key_read(tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text("x = pack.meta['title']\ny = meta.get('seed')\nz = meta.seed\n",
                   encoding="utf-8")
    assert len(_meta_reads(bad)) == 2


def test_every_pack_json_key_has_an_attribute_and_a_reader():
    from hotspots.pipeline import meta

    assert set(meta._FIELDS) == set(meta._JSON)
