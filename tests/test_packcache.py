"""The pack cache gives the same pack as reading the files, and never a stale one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from hotspots.pipeline import pack as P
from hotspots.pipeline import packcache

DEMO = Path(P.DEMO_PACK)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HOTSPOTS_PACK_CACHE", raising=False)
    return tmp_path / "cache" / "packs"


def _same(a: P.Pack, b: P.Pack) -> None:
    for name in packcache.FRAMES:
        x, y = getattr(a, name), getattr(b, name)
        if x is None:
            assert y is None, name
            continue
        pd.testing.assert_frame_equal(x, y, check_dtype=True, obj=name)
    assert a.areas.crs == b.areas.crs and type(b.areas).__name__ == "GeoDataFrame"
    assert a.crime_coverage == b.crime_coverage and a.meta == b.meta


def test_cached_demo_pack_equals_the_pack_read_from_its_files(cache):
    fresh = P.load_pack(cache=False)
    assert not cache.exists()
    first = P.load_pack()                       # reads the files, writes the entry
    (entry,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert {f.stem for f in entry.glob("*.arrow")} == set(packcache.FRAMES)
    assert entry.stat().st_mode & 0o077 == 0  # readable by the user only
    cached = P.load_pack()                      # reads the entry
    _same(fresh, first)
    _same(fresh, cached)


def test_a_changed_pack_file_is_never_served_from_the_cache(cache, tmp_path):
    folder = tmp_path / "pack"
    shutil.copytree(DEMO, folder)
    before = P.load_pack(folder)
    pop = pd.read_csv(folder / "population.csv", dtype={"area_code": str})
    pop.loc[0, "population"] = 123456
    pop.to_csv(folder / "population.csv", index=False)
    after = P.load_pack(folder)
    code = pop.loc[0, "area_code"]
    assert before.population.set_index("area_code").at[code, "population"] != 123456
    assert after.population.set_index("area_code").at[code, "population"] == 123456
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 1  # replaced


def test_a_changed_source_file_changes_the_key(monkeypatch):
    key = packcache.pack_key(DEMO)
    monkeypatch.setattr(packcache, "FORMAT", packcache.FORMAT + "-changed")
    assert packcache.pack_key(DEMO) != key


def test_switched_off_nothing_is_written(cache, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PACK_CACHE", "0")
    P.load_pack()
    assert not cache.exists()


def test_an_unwritable_cache_falls_back_to_the_files(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(blocker))
    _same(P.load_pack(cache=False), P.load_pack())


def test_a_damaged_entry_is_read_from_the_files_again(cache):
    P.load_pack()
    (entry,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    (entry / "crime.arrow").write_bytes(b"garbage")
    _same(P.load_pack(cache=False), P.load_pack())


def test_a_changed_file_in_a_subfolder_is_never_served_from_the_cache(cache, tmp_path):
    import json

    folder = tmp_path / "pack"
    shutil.copytree(DEMO, folder)
    meta = json.loads((folder / "pack.json").read_text())
    (folder / "sub").mkdir()
    shutil.move(folder / meta["referrals_mapping"], folder / "sub" / "mapping.json")
    meta["referrals_mapping"] = "sub/mapping.json"            # pack.json may name sub/...
    (folder / "pack.json").write_text(json.dumps(meta))
    P.load_pack(folder)                                        # read and cached
    key = packcache.pack_key(folder)
    mapping = folder / "sub" / "mapping.json"
    mapping.write_text(mapping.read_text() + " ")              # one more byte in sub/
    assert packcache.pack_key(folder) != key


def test_a_named_file_leading_outside_is_refused_even_when_cached(cache, tmp_path):
    import json

    from hotspots._errors import InputDataError

    folder = tmp_path / "pack"
    shutil.copytree(DEMO, folder)
    meta = json.loads((folder / "pack.json").read_text())
    inside = folder / "kept" / meta["points_file"]
    inside.parent.mkdir()
    shutil.move(folder / meta["points_file"], inside)
    (folder / meta["points_file"]).symlink_to(inside)
    P.load_pack(folder)                                   # read and cached
    outside = tmp_path / "elsewhere.csv.gz"
    shutil.copy(inside, outside)
    shutil.rmtree(folder / "kept")                        # same bytes, now outside the folder
    (folder / meta["points_file"]).unlink()
    (folder / meta["points_file"]).symlink_to(outside)
    with pytest.raises(InputDataError, match="points_file"):
        P.load_pack(folder)


def test_web_layers_are_kept_and_read_back_equal(cache):
    first = P.load_pack()
    built = {"areas": first.web_areas, "boroughs": first.boroughs_web}  # built, then kept
    (entry,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert {f"web_{n}.parquet" for n in packcache.WEB_LAYERS} <= {f.name for f in entry.iterdir()}
    again = P.load_pack()
    pd.testing.assert_frame_equal(again.web_areas, built["areas"])
    pd.testing.assert_frame_equal(again.boroughs_web, built["boroughs"])
    assert again.web_areas.crs == built["areas"].crs
    fresh = P.build_web_layers(P.load_pack(cache=False).areas)
    pd.testing.assert_frame_equal(again.web_areas, fresh["areas"])


def test_wards_without_an_lsoa_survive_the_cache(cache, tmp_path):
    """A pack read from the cache lost which wards have no LSOA (n_lsoa21 = 0)."""
    folder = tmp_path / "pack"
    shutil.copytree(DEMO, folder)
    pop = pd.read_csv(folder / "population.csv", dtype={"area_code": str})
    pop["n_lsoa21"] = 2
    pop.loc[[0, 3], "n_lsoa21"] = 0
    pop.to_csv(folder / "population.csv", index=False)
    want = frozenset(pop.loc[[0, 3], "area_code"])
    first = P.load_pack(folder)   # reads the files, writes the entry
    cached = P.load_pack(folder)  # reads the entry
    assert cached._cache_entry is not None
    assert first.no_lsoa == cached.no_lsoa == want
    pop.drop(columns="n_lsoa21").to_csv(folder / "population.csv", index=False)
    assert P.load_pack(folder).no_lsoa == frozenset()  # no such column: none
