"""Joins on hand-drawn squares: every point counted once, ties resolved by rule."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots._errors import CRSError, InputDataError
from hotspots.areas import join as join


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    # Two 100 m squares side by side (A: x 0-100, B: x 100-200), and C above A.
    return gpd.GeoDataFrame(
        {
            "area_code": ["B", "A", "C"],
            "area_name": ["Beta", "Alpha", "Alpha"],
            "borough_name": ["North", "North", "South"],
        },
        geometry=[box(100, 0, 200, 100), box(0, 0, 100, 100), box(0, 100, 100, 200)],
        crs="EPSG:27700",
    )


def _records(xy: list[tuple[float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": "f.csv",
            "source_row": range(2, 2 + len(xy)),
            "x": [p[0] for p in xy],
            "y": [p[1] for p in xy],
        }
    )


def test_points_each_counted_once_with_edge_rule(squares):
    recs = _records([(50, 50), (150, 50), (100, 50), (100, 100), (500, 500), (None, None)])
    assigned, rec = join.points_to_areas(recs, squares, crs="EPSG:27700", source="f.csv")
    # (100, 50) lies on the A|B edge -> A (lowest code); (100, 100) touches A, B and C -> A.
    assert dict(zip(assigned["source_row"], assigned["area_code"], strict=True)) == {
        2: "A", 3: "B", 4: "A", 5: "A"}
    assert (rec.rows_in, rec.assigned, rec.unlocated, rec.outside, rec.rejected) == (6, 4, 1, 1, 0)
    assert rec.details["source_row"].tolist() == [6, 7]
    assert rec.details["status"].tolist() == ["outside", "unlocated"]


def test_points_reprojected_from_lonlat(squares):
    # Squares moved to central London; a lon/lat point lands inside A after projection.
    moved = squares.set_geometry(squares.translate(530000, 180000))
    wgs = gpd.GeoSeries(gpd.points_from_xy([530050], [180050]), crs="EPSG:27700").to_crs(4326)
    recs = _records([(wgs.x[0], wgs.y[0])])
    assigned, rec = join.points_to_areas(recs, moved, crs="EPSG:4326")
    assert assigned["area_code"].tolist() == ["A"] and rec.assigned == 1


def test_reader_rejections_are_counted(squares):
    recs = _records([(50, 50)])
    rejected = pd.DataFrame({"source": ["f.csv"], "source_row": [9], "reason": ["bad month"]})
    _, rec = join.points_to_areas(recs, squares, crs="EPSG:27700", rejected=rejected)
    assert (rec.rows_in, rec.assigned, rec.rejected) == (2, 1, 1)
    assert rec.details.loc[0, "reason"] == "bad month"
    assert "2 rows read = 1 assigned" in rec.text()


def test_area_layer_without_crs_is_an_error(squares):
    with pytest.raises(CRSError, match="no CRS"):
        join.points_to_areas(_records([(1, 1)]), squares.set_crs(None, allow_override=True),
                             crs="EPSG:27700")


def test_duplicate_area_codes_are_an_error(squares):
    dup = pd.concat([squares, squares.iloc[[0]]])
    with pytest.raises(InputDataError, match="repeats area_code 'B'"):
        join.codes_to_areas(pd.DataFrame({"c": ["A"]}), dup, code_col="c")


def test_codes_blank_unknown_and_case(squares):
    recs = pd.DataFrame({"source": "s", "source_row": [2, 3, 4, 5], "code": ["a", "", None, "Z9"]})
    assigned, rec = join.codes_to_areas(recs, squares, code_col="code")
    assert assigned["area_code"].tolist() == ["A"]
    assert (rec.unlocated, rec.outside) == (2, 1)
    assert "Z9 is not in the area layer" in rec.details.loc[2, "reason"]


def test_names_normalised_and_ambiguity_reported(squares):
    recs = pd.DataFrame(
        {
            "source": "s",
            "source_row": [2, 3, 4, 5, 6],
            "name": ["BETA ward", "Alpha", "alpha", "Gamma", "Alpha"],
            "borough": [None, None, "south", None, "East"],
        }
    )
    assigned, rec = join.names_to_areas(recs, squares, name_col="name", borough_col="borough")
    assert dict(zip(assigned["source_row"], assigned["area_code"], strict=True)) == {2: "B", 4: "C"}
    reasons = dict(zip(rec.details["source_row"], rec.details["reason"], strict=True))
    assert "ambiguous" in reasons[3] and "North, South" in reasons[3]
    # a name that is not exactly one area has no location (it is not "outside" anything)
    assert set(rec.details["status"]) == {"unlocated"}
    assert "not a ward of the area layer and no ward name is close" in reasons[5]
    assert "not in borough 'East'" in reasons[6]
    assert rec.rows_in == 5 and rec.assigned == 2
    assert (rec.unlocated, rec.outside, rec.rejected) == (3, 0, 0)


def test_locate_records_uses_first_available_location(squares):
    recs = pd.DataFrame(
        {
            "source": "s",
            "source_row": [2, 3, 4, 5],
            "ward_code": ["B", None, None, None],
            "x": [None, 150.0, None, None],
            "y": [None, 50.0, None, None],
            "xy_crs": [None, "EPSG:27700", None, None],
            "ward_name": ["Alpha", None, "Beta", None],
            "borough": [None, None, None, None],
        }
    )
    assigned, rec = join.locate_records(recs, squares, source="s")
    assert dict(zip(assigned["source_row"], assigned["area_code"], strict=True)) == {
        2: "B", 3: "B", 4: "B"}
    assert (rec.rows_in, rec.assigned, rec.unlocated) == (4, 3, 1)


def test_lsoa_lookup(squares):
    lk = pd.DataFrame({"lsoa_code": ["E01", "E02"], "area_code": ["A", "B"]})
    recs = pd.DataFrame({"source": "s", "source_row": [2, 3, 4], "lsoa_code": ["E02", "E09", ""]})
    assigned, rec = join.lsoas_to_areas(recs, lk)
    assert assigned["area_code"].tolist() == ["B"]
    assert (rec.outside, rec.unlocated) == (1, 1)


def test_count_by_area_fills_zero(squares):
    assigned = pd.DataFrame({"area_code": ["A", "A", "C"], "count": [2, 3, 1]})
    got = join.count_by_area(assigned, squares, weight="count").set_index("area_code")["count"]
    assert got.to_dict() == {"B": 0, "A": 5, "C": 1}
    got_rows = join.count_by_area(assigned, squares).set_index("area_code")["count"]
    assert got_rows.to_dict() == {"B": 0, "A": 2, "C": 1}


def test_reconciliation_must_add_up():
    with pytest.raises(RuntimeError, match="does not add up"):
        join.Reconciliation("s", 5, 1, 1, 1, 1, details=pd.DataFrame())


@pytest.fixture(scope="module")
def london():  # type: ignore[no-untyped-def]
    from hotspots import pipeline

    return pipeline.load_pack().areas


def test_near_miss_names_have_no_location_and_offer_the_closest_wards(london):
    recs = pd.DataFrame({"source": "s", "source_row": [2, 3, 4, 5, 6],
                         "name": ["Stratford Olympic Prk", "Canning Town Nth", "Stratford",
                                  "Canning Town Nth", "Bridge"],
                         "borough": [None, "Newham", None, "Newham", None]})
    assigned, rec = join.names_to_areas(recs, london, name_col="name", borough_col="borough")
    assert assigned["area_code"].tolist() == ["E05013924"]  # only the exact name
    assert (rec.assigned, rec.unlocated, rec.outside, rec.rejected) == (1, 4, 0, 0)
    reasons = rec.details.set_index("source_row")["reason"]
    assert reasons[2].startswith("ward name 'Stratford Olympic Prk' is not a ward of the area "
                                 "layer; closest: 'Stratford Olympic Park' (Newham)")
    assert "closest: 'Canning Town North' (Newham), 'Canning Town South' (Newham)" in reasons[3]
    assert "confirm one" in reasons[3]
    assert "is ambiguous: it exists in" in reasons[6] and "give the borough" in reasons[6]
    # never matched silently: only a confirmed name is placed
    assigned, rec = join.names_to_areas(recs, london, name_col="name", borough_col="borough",
                                        ward_names={"canning town nth": "E05013906"})
    assert sorted(assigned["area_code"]) == ["E05013906", "E05013906", "E05013924"]
    assert rec.unlocated == 2


def test_closest_names_are_difflibs(london):
    import difflib

    from hotspots.areas import names
    from hotspots.io import standardise_area_name

    index = names.NameIndex.of(london)
    got = names.closest_areas("Canning Town Nth", index)
    keys = difflib.get_close_matches("canning town nth", list(index.by_name), n=6, cutoff=0.6)
    assert [standardise_area_name(n) for _, n, _ in got] == keys[:3]


def test_name_check_lists_names_for_the_user(london):
    from hotspots.areas import names

    recs = pd.DataFrame({"ward_name": ["Canning Town Nth"] * 3 + ["Stratford", "Bridge", None],
                         "borough": ["Newham"] * 3 + [None, None, None]})
    check = names.name_check(recs, london)
    assert check["name"].tolist() == ["Canning Town Nth", "Bridge"]
    assert check["rows"].tolist() == [3, 1]
    assert check.loc[0, "candidates"][0] == ["E05013906", "Canning Town North (Newham)"]
    assert len(check.loc[1, "candidates"]) == 2  # the two wards called Bridge
    done = names.name_check(recs, london, ward_names={"Canning Town Nth": "E05013906"})
    assert done.loc[0, "confirmed"] == "E05013906" and done.loc[0, "reason"] == ""
