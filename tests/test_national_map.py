"""The national LSOA view's data: the geometry encoding, the values sent, the national table."""

from __future__ import annotations

import hashlib
import os
import re
import stat

import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots.maps import lsoageom
from hotspots.pipeline import nationalmap as national

LSOA21 = "lsoa_2021_england_wales_bgc/lsoa21_ew_bgc.gpkg"


def _rings(geom: shapely.Geometry) -> list[np.ndarray]:
    """Shapely's rings of a (multi)polygon, shell then holes per part, closing point dropped."""
    out = []
    for part in shapely.get_parts(geom):
        for ring in shapely.get_rings(part):
            out.append(shapely.get_coordinates(ring)[:-1])
    return out


def test_encoding_round_trip_is_within_half_the_grid_step():
    rng = np.random.default_rng(17)
    shell = [(531000.3, 181000.7), (531420.9, 181003.2), (531400.1, 181390.4),
             (531010.6, 181377.7)]
    hole = [(531100.2, 181100.1), (531200.8, 181100.9), (531150.5, 181200.3)]
    pieces = [shapely.Polygon(shell, [hole]),
              shapely.MultiPolygon([shapely.box(100000.4, 200000.2, 100050.9, 200070.1),
                                    shapely.box(100200.5, 200000.3, 100260.2, 200020.8)])]
    for _ in range(20):  # random polygons far apart: deltas of many sizes, both signs
        cx, cy = rng.uniform(80000, 650000), rng.uniform(10000, 650000)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
        r = rng.uniform(10, 5000, 12)
        pieces.append(shapely.Polygon(np.c_[cx + r * np.cos(angles), cy + r * np.sin(angles)]))
    codes = [f"E01{i:06d}" for i in range(len(pieces))]
    names = [f"Place {i} ü" for i in range(len(pieces))]
    for quantum in (5.0, 1.0, 0.1):
        data = lsoageom.encode_polygons(codes, names, pieces, quantum=quantum)
        got_codes, got_names, rings = lsoageom.decode_polygons(data)
        assert got_codes == codes and got_names == names
        for geom, got in zip(pieces, rings, strict=True):
            want = _rings(geom)
            assert [len(r) for r in got] == [len(r) for r in want]
            for a, b in zip(got, want, strict=True):
                assert np.abs(a - b).max() <= quantum / 2 + 1e-6


def test_encoding_is_not_lossless_beyond_its_grid():
    """The tolerance is real: a 5 m grid moves a point by up to 2.5 m (not more, not 0)."""
    poly = shapely.Polygon([(0.0, 0.0), (102.4, 0.0), (102.4, 47.6)])
    _, _, rings = lsoageom.decode_polygons(lsoageom.encode_polygons(["a"], ["a"], [poly]))
    err = np.abs(rings[0][0] - _rings(poly)[0]).max()
    assert 2.0 < err <= 2.5


def test_varints_round_trip_large_and_negative_values():
    values = np.array([0, 1, -1, 63, 64, -64, -65, 8191, 8192, -(2 ** 31), 2 ** 40, 7])
    poly_bytes = lsoageom.zigzag_varints(values)
    assert len(poly_bytes) == 1 + 1 + 1 + 1 + 2 + 1 + 2 + 2 + 3 + 5 + 6 + 1
    assert lsoageom.read_varints(poly_bytes).tolist() == values.tolist()
    rng = np.random.default_rng(5)
    many = rng.integers(-(2 ** 35), 2 ** 35, 5000) // rng.integers(1, 2 ** 30, 5000)
    assert (lsoageom.read_varints(lsoageom.zigzag_varints(many)) == many).all()


def test_decode_refuses_other_bytes():
    with pytest.raises(ValueError, match="magic"):
        lsoageom.decode_polygons(b"PK\x03\x04 not ours at all, a zip perhaps" * 3)


def test_coverage_simplification_keeps_neighbours_touching():
    # two squares sharing a wiggly edge: simplified, they still share it (no gap, no overlap)
    xs = np.linspace(0, 1000, 201)
    edge = np.c_[xs, 500 + 3 * np.sin(xs / 7)]
    top = shapely.Polygon(np.r_[edge, [[1000, 1000], [0, 1000]]])
    bottom = shapely.Polygon(np.r_[edge[::-1], [[0, 0], [1000, 0]]])
    out = lsoageom.simplify_coverage([top, bottom], 20.0)
    assert shapely.get_num_coordinates(out).sum() < shapely.get_num_coordinates(
        np.array([top, bottom])).sum() / 4
    assert shapely.intersection(out[0], out[1]).area == pytest.approx(0, abs=1e-6)
    assert shapely.union(out[0], out[1]).area == pytest.approx(1000 * 1000, rel=1e-9)


# ---------------------------------------------------------------------------- values sent


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"lsoa_code": [f"E01{i:06d}" for i in range(8)],
                         "crime": [0, 1, 4, 5, 9, 30, np.nan, 2],
                         "population": [1000.0, 1500, 2000, 1000, 1200, 1600, 1400, 800]})


def test_sensitive_counts_below_threshold_never_leave_the_server():
    t = _frame()
    shown = np.array([True] * 7 + [False])
    v = national.map_values(t, shown, measure="crime", sensitive=True, threshold=5, k=2)
    S, Z, N, H = (national.MapValues.CLASS_SUPPRESSED, national.MapValues.CLASS_ZERO,
                  national.MapValues.CLASS_NO_DATA, national.MapValues.CLASS_HIDDEN)
    assert v.texts[:7] == ["0", "<5", "<5", "5", "9", "30", "no data"]
    assert v.texts[7] == ""  # outside the area shown: nothing at all
    assert v.classes.tolist()[:3] == [Z, S, S] and v.classes[6] == N and v.classes[7] == H
    labels = [lab for _, items in v.legends for _, lab in items]
    assert "Fewer than 5 (suppressed) (2)" in labels
    # the hidden 1 and 4 are in no class bound either
    assert not any(re.search(r"\b[14] to\b", lab) for lab in labels), labels
    rates = national.map_values(t, shown, measure="crime", rate=True, sensitive=True, k=2)
    assert rates.texts[1] == rates.texts[2] == "suppressed (count <5)"
    assert rates.texts[3] == "5.0" and rates.texts[4] == "7.5"
    assert rates.classes[1] == S


def test_recorded_crime_is_not_suppressed_as_on_the_ward_maps():
    t = _frame()
    v = national.map_values(t, np.ones(8, dtype=bool), measure="crime", sensitive=False, k=2)
    assert v.texts[1] == "1" and v.texts[2] == "4" and v.texts[7] == "2"
    assert national.MapValues.CLASS_SUPPRESSED not in set(v.classes.tolist())


def test_deprivation_gets_one_legend_per_nation():
    t = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002", "W01000001", "W01000002",
                                    "W01000003"],
                      "dep_index": ["iod2025", "iod2025", "wimd2019", "wimd2019", "wimd2019"],
                      "dep_decile": [1.0, 10.0, 1.0, 1.0, np.nan]})
    v = national.map_values(t, np.ones(5, dtype=bool), measure="deprivation",
                            index_labels={"iod2025": "IoD 2025 (England)",
                                          "wimd2019": "WIMD 2019 (Wales)"})
    titles = [title for title, _ in v.legends]
    assert titles == ["IoD 2025 (England) decile", "WIMD 2019 (Wales) decile"]
    england, wales = (dict(items) for _, items in v.legends)
    assert england[0] == "1 most deprived 10 % (1)" and england[9] == "10 least deprived 10 % (1)"
    assert wales[0] == "1 most deprived 10 % (2)"  # Welsh counts only Welsh LSOAs
    assert wales[national.MapValues.CLASS_NO_DATA] == "No data (1)"
    assert v.classes.tolist() == [0, 9, 0, 0, national.MapValues.CLASS_NO_DATA]
    assert v.texts == ["1", "10", "1", "1", "no data"]  # the tooltip label names the index


# ---------------------------------------------------------------------------- geometry file


@pytest.mark.realdata
def test_geometry_file_is_private_named_by_content_and_written_once(tmp_path, shared_data):
    src = shared_data / LSOA21
    folder = tmp_path / "national"
    first = national.geometry_file(src, folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    data = first.read_bytes()
    assert first.name == f"lsoa-{hashlib.sha256(data).hexdigest()[:16]}.bin"
    assert len(data) < 10_000_000
    before = first.stat().st_mtime_ns
    again = national.geometry_file(src, folder)
    assert again == first and again.stat().st_mtime_ns == before  # found, not re-encoded
    codes, names, rings = lsoageom.decode_polygons(data)
    assert len(codes) == 35_672 and codes == sorted(codes)
    assert codes[0] == "E01000001" and names[0] == "City of London 001A"
    assert sum(c.startswith("W01") for c in codes) == 1_917


def test_geometry_file_refuses_a_folder_others_can_write(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(PermissionError, match="0700"):
        national.geometry_file(tmp_path / "nothing.gpkg", folder)


@pytest.mark.realdata
def test_geometry_file_matches_the_published_polygons(shared_data):
    """Decoded LSOAs against shapely's own: same rings, points within the simplification."""
    import pyogrio

    raw = pyogrio.read_dataframe(shared_data / LSOA21, columns=["LSOA21CD"]).to_crs(27700)
    raw = raw.sort_values("LSOA21CD").reset_index(drop=True)
    path = national.geometry_file(shared_data / LSOA21)
    codes, _, rings = lsoageom.decode_polygons(path.read_bytes())
    assert codes == raw["LSOA21CD"].tolist()
    simplified = lsoageom.simplify_coverage(raw.geometry.to_numpy(), national.GEOMETRY_TOLERANCE)
    far = []
    for i in np.random.default_rng(3).choice(len(codes), 300, replace=False):
        want = _rings(simplified[i])
        assert [len(r) for r in rings[i]] == [len(r) for r in want]
        for a, b in zip(rings[i], want, strict=True):
            assert np.abs(a - b).max() <= national.GEOMETRY_QUANTUM / 2 + 1e-6
        # and the drawing is close to the published shape (Hausdorff distance)
        drawn = shapely.MultiLineString([np.r_[r, r[:1]] for r in rings[i]])
        far.append(shapely.hausdorff_distance(drawn, shapely.boundary(raw.geometry[i])))
    assert np.median(far) < national.GEOMETRY_TOLERANCE  # measured: 10 m at 25 m
    assert max(far) < 16 * national.GEOMETRY_TOLERANCE  # measured: 290 m on 3,000 LSOAs


@pytest.mark.realdata
def test_national_table_reads_every_lsoa_with_its_nations_index(shared_data):
    v = national.national_table(data_root=shared_data)
    t = v.table
    assert len(t) == 35_672 and t["lsoa_code"].is_unique
    assert (t["dep_index"] == "iod2025").sum() == 33_755
    assert (t["dep_index"] == "wimd2019").sum() == 1_917
    assert set(t.loc[t["lsoa_code"].str.startswith("W"), "dep_index"]) == {"wimd2019"}
    # Census 2021 usual residents: the LSOA file sums to 59,597,611 (its PROVENANCE.md);
    # ONS's published nation totals (England 56,490,048, Wales 3,107,494) differ by a few
    # dozen, the small-area outputs' own noise
    assert t["population"].sum() == 59_597_611
    assert abs(t.loc[t["lsoa_code"].str.startswith("E"), "population"].sum() - 56_490_048) < 100
    assert abs(t.loc[t["lsoa_code"].str.startswith("W"), "population"].sum() - 3_107_494) < 100
    # IoD 2025 deciles are national tenths of 33,755 LSOAs: 3,375 or 3,376 each
    counts = t.loc[t["dep_index"] == "iod2025", "dep_decile"].value_counts()
    assert set(counts.tolist()) <= {3375, 3376} and len(counts) == 10
    mask, place = national.place_mask(v, "pfa:Dyfed-Powys")
    assert place is not None and place.code == "W15000004"
    assert t.loc[mask, "lsoa_code"].str.startswith("W").all()
    assert mask.sum() == t["lad_code"].isin(
        ["W06000008", "W06000009", "W06000010", "W06000023"]).sum()


@pytest.mark.realdata
def test_store_counts_per_lsoa_add_up_to_the_reconciliation(tmp_path, shared_data):
    import subprocess
    import sys

    from boundaries import national as national_files

    store = tmp_path / "wales.duckdb"
    subprocess.run([sys.executable, "-m", "hotspots", "store", "add", "--store", str(store),
                    str(shared_data / "police_uk_wales_2024-01_to_2024-04" / "2024-01")],
                   check=True, capture_output=True, cwd=os.path.dirname(os.path.dirname(
                       os.path.abspath(__file__))))
    polys = national_files.read_lsoa_polygons(shared_data / LSOA21, "lsoa21_boundaries",
                                              nations=("W",))
    counts, line = national.store_lsoa_counts(store, polys.rename(
        columns={"lsoa_code": "area_code"}))
    assigned = int(re.search(r"= ([\d,]+) assigned", line)[1].replace(",", ""))
    assert counts["crime"].sum() + counts["asb"].sum() == assigned > 10_000
    assert (counts["asb"] > 0).any() and counts["lsoa_code"].str.startswith("W").all()



def _as_layer_names(view: national.NationalView) -> pd.DataFrame:
    """The page's table with the statistics' column names (the documented renaming)."""
    t = view.table.rename(columns={"lsoa_code": "area_code", "lsoa_name": "area_name",
                                   "lad_code": "borough_code", "lad_name": "borough_name",
                                   "dep_index": "dep_key"})
    return t.rename(columns={"dep_label": "dep_index"})


def _layer_table(layer) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return (layer.areas.drop(columns="geometry")
            .merge(layer.deprivation, on="area_code", how="left").reset_index(drop=True))


def _same_rows(page: pd.DataFrame, stats_: pd.DataFrame) -> None:
    assert page["area_code"].tolist() == stats_["area_code"].tolist()
    for col in stats_.columns:
        assert col in page.columns, col
        pd.testing.assert_series_equal(page[col].reset_index(drop=True), stats_[col],
                                       check_dtype=False, check_names=False, obj=col)


@pytest.mark.realdata
def test_page_and_statistics_read_the_same_lsoa_table(shared_data):
    """One reader: the national page's table and ``store analyse``'s layer, all E&W."""
    from hotspots.pipeline import national as stats_national

    v = national.national_table(data_root=shared_data)
    layer = stats_national.load_lsoa_layer(v.data, "England and Wales")
    page, lay = _as_layer_names(v), _layer_table(layer)
    assert len(lay) == 35_672
    _same_rows(page, lay)
    # and a force: the page's place mask selects exactly the statistics' LSOAs
    mask, _ = national.place_mask(v, "pfa:Dyfed-Powys")
    force = _layer_table(stats_national.load_lsoa_layer(v.data, "pfa:Dyfed-Powys"))
    _same_rows(page.loc[mask].reset_index(drop=True), force)


@pytest.mark.realdata
def test_page_and_statistics_agree_when_the_boundaries_lack_lsoas(tmp_path, shared_data):
    """A boundaries file without some LSOAs of the lookup (here: Wales only, one left out).

    Before the one reader, the page's table kept every LSOA of the lookup (35,672 rows, so
    its values no longer matched the geometry file's polygons) while the statistics kept
    only the LSOAs with a polygon.
    """
    import pyogrio

    from hotspots.pipeline import national as stats_national

    src = shared_data / LSOA21
    wales = pyogrio.read_dataframe(src, where="substr(LSOA21CD, 1, 1) = 'W'")
    dropped = sorted(wales["LSOA21CD"])[5]
    wales = wales.loc[wales["LSOA21CD"] != dropped]
    pyogrio.write_dataframe(wales, tmp_path / "wales.gpkg")
    toml = tmp_path / "sources.toml"
    toml.write_text(f'[sources]\nlsoa21_boundaries = "{tmp_path / "wales.gpkg"}"\n',
                    encoding="utf-8")
    v = national.national_table(toml, data_root=shared_data)
    layer = stats_national.load_lsoa_layer(v.data, "England and Wales")
    page, lay = _as_layer_names(v), _layer_table(layer)
    assert len(lay) == len(wales) == 1_916
    assert dropped not in set(page["area_code"])
    _same_rows(page, lay)


def test_two_versions_of_the_map_component_do_not_share_a_page(tmp_path, monkeypatch):
    """Two servers of different versions (two checkouts) on one computer share the cache
    folder; each must keep serving its own script (before: one index.html, rewritten by
    whichever started last)."""
    from ui import national as page

    base = tmp_path / "national"
    base.mkdir(mode=0o700)
    monkeypatch.setattr(page.national, "geometry_folder", lambda: base)
    mine = page._component_folder()
    original = (page._SRC / "national_map.js").read_bytes()
    other_src = tmp_path / "other"
    other_src.mkdir()
    (other_src / "national_map.js").write_text("// another version\n", encoding="utf-8")
    (other_src / "index.html").write_text(
        (page._SRC / "index.html").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(page, "_SRC", other_src)
    theirs = page._component_folder()
    assert theirs != mine
    script = re.search(r'src="(national_map-[0-9a-f]+\.js)"',
                       (mine / "index.html").read_text(encoding="utf-8"))
    assert script is not None  # the first version's page still names its own script
    assert (mine / script[1]).read_bytes() == original
    assert "another version" in next(theirs.glob("national_map-*.js")).read_text(
        encoding="utf-8")
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
