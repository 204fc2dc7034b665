"""Issue 13 item 9: points near generalised edges, the LSOA-code rule, its reconciliation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots._errors import InputDataError
from hotspots._validate import ReadResult, Report
from hotspots.areas import points_to_areas
from hotspots.areas.bylsoa import generalisation_m, near_edge
from hotspots.pipeline.policeassign import LookupChoice, assign_police


def _areas() -> gpd.GeoDataFrame:
    """Two 100 m squares side by side (A west, B east), EPSG:27700."""
    return gpd.GeoDataFrame({"area_code": ["A", "B"], "area_name": ["A", "B"],
                             "borough_code": "L", "borough_name": "Borough"},
                            geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
                            crs="EPSG:27700")


def test_near_edge_agrees_with_shapely_distances() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-50, 250, 500), rng.uniform(-50, 150, 500)
    areas = _areas()
    edges = shapely.union_all(areas.boundary.to_numpy())
    want = shapely.distance(shapely.points(x, y), edges) <= 20
    got = near_edge(x, y, areas, 20, crs="EPSG:27700")
    assert (got == want).all() and 0 < got.sum() < len(x)


@pytest.mark.parametrize(("text", "metres"), [
    ("Wards, May 2025 (ONS Wards (May 2025) Boundaries UK BGC, generalised 20 m)", 20.0),
    ("Wards_(May_2025)_Boundaries_UK_BSC.gpkg (uploaded)", 200.0),
    ("my_wards_full_resolution_BFC.gpkg (uploaded)", None),
    ("wards.gpkg", None), (None, None)])
def test_generalisation_is_read_from_the_layer_description(text, metres) -> None:
    assert generalisation_m(text) == metres


def _file() -> ReadResult:
    # 1: in A, 5 m from the A|B edge, LSOA -> B (moves ward); 2: centre of A, LSOA -> A;
    # 3: outside every area, 10 m below A, LSOA -> A (outside -> assigned);
    # 4: no coordinates, LSOA -> A (no location -> assigned); 5: centre of B, 2011-only code
    f = pd.DataFrame({"source": "f.csv", "source_row": [2, 3, 4, 5, 6],
                      "x": [95.0, 50.0, 50.0, np.nan, 150.0],
                      "y": [50.0, 50.0, -10.0, np.nan, 50.0],
                      "lsoa_code": ["E01000002", "E01000001", "E01000001", "E01000001",
                                    "E01000004"]})
    return ReadResult(f, f.iloc[0:0].assign(reason=pd.Series(dtype=str)), Report(), 5)


def _placed(res: ReadResult, areas: gpd.GeoDataFrame):
    return [points_to_areas(res.frame, areas, crs="EPSG:27700", source="f",
                            rejected=res.rejected)]


def test_both_rules_reconciled_row_by_row(monkeypatch) -> None:
    from hotspots.pipeline import policeassign
    monkeypatch.setattr(policeassign, "_codes11", lambda: frozenset({"E01000004"}))
    areas, res = _areas(), _file()
    placed = _placed(res, areas)
    # near_edge is given lon/lat by the page; here the frame is in metres
    monkeypatch.setattr(policeassign, "near_edge",
                        lambda x, y, a, d: near_edge(x, y, a, d, crs="EPSG:27700"))
    lookup = LookupChoice({"E01000001": "A", "E01000002": "B"}, "test lookup")
    out = assign_police([("f", res)], placed, areas, frozenset({"A", "B"}), assign_by="lsoa",
                        vintage="test wards, generalised 20 m", lookup=lookup)
    assert out.differences == {"rows_same_ward": 1, "rows_different_ward": 1,
                               "rows_point_only": 1, "rows_lsoa_only": 2}
    assert out.edge == {"tolerance_m": 20.0, "placed": 3, "placed_near_edge": 1,
                        "outside_every_area": 1, "outside_near_edge": 1}
    cmp = out.comparison.set_index(["by_point", "by_lsoa"])["rows"]
    assert cmp.sum() == 5
    assert cmp[("outside", "assigned")] == 1 and cmp[("unlocated", "assigned")] == 1
    assert cmp[("assigned, another ward", "assigned, another ward")] == 1
    assert cmp[("assigned", "unlocated")] == 1  # the 2011 code: wrong vintage
    a, rec = out.files[0]
    assert sorted(a["area_code"]) == ["A", "A", "A", "B"] and rec.rows_in == 5
    assert "1 of the 3 rows placed (33%) lie within 20 m" in out.notes[0]
    assert "1 of the rows both rules place would be in another area" in out.notes[1]


def test_lsoa_rule_without_a_lookup_fails_saying_why() -> None:
    areas, res = _areas(), _file()
    with pytest.raises(InputDataError, match="cannot be placed by LSOA code: no lookup here"):
        assign_police([("f", res)], _placed(res, areas), areas, frozenset({"A", "B"}),
                      assign_by="lsoa", lookup=LookupChoice(None, "no lookup here"))
