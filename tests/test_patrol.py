"""Patrol hotspots: harm tables, Gi* on a grid, cell selection, scorers and the patrol list."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as grid
from hotspots.patrol import harm
from hotspots.patrol import metrics as metrics


@pytest.fixture
def city():
    # 6 x 6 cells of 150 m; a cluster in cell (row 3, col 2) and its neighbours
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 900, 900)], crs="EPSG:27700")
    g, spec = grid.make_grid(area)
    rng = np.random.default_rng(8)
    hot = rng.normal([375, 525], 60, (120, 2))
    bg = rng.uniform(0, 900, (60, 2))
    xy = np.clip(np.vstack([hot, bg]), 1, 899)
    cats = np.where(np.arange(len(xy)) % 3 == 0, "Robbery", "Shoplifting")
    locs = np.where(np.arange(len(xy)) % 4 == 0, "On or near High Street", "On or near Mill Lane")
    recs = pd.DataFrame({"source": "f.csv", "source_row": np.arange(2, 2 + len(xy)),
                         "x": xy[:, 0], "y": xy[:, 1], "category": cats, "location": locs,
                         "month": np.where(np.arange(len(xy)) % 2 == 0, "2020-01", "2020-02")})
    out, rec = grid.points_to_cells(recs, g, crs="EPSG:27700")
    assert rec.assigned == len(xy)
    return g, out


def test_select_top_n_and_area_share_with_ties():
    scores = pd.Series([5.0, 9.0, 9.0, 1.0, np.nan], index=["e", "d", "c", "b", "a"])
    area = pd.Series([1.0, 1.0, 2.0, 4.0, 2.0], index=["e", "d", "c", "b", "a"])
    assert patrol.select_cells(scores, area, top_n=3).tolist() == ["c", "d", "e"]
    # total 10; 30% = 3: c (2) + d (1) = 3 exactly
    assert patrol.select_cells(scores, area, area_share=0.3).tolist() == ["c", "d"]
    assert patrol.select_cells(scores, area, area_share=0.31).tolist() == ["c", "d", "e"]
    # one rule with the backtest: a NaN (or <= 0) score is never chosen, even at 100%
    assert patrol.select_cells(scores, area, area_share=1.0).tolist() == ["c", "d", "e", "b"]
    assert patrol.select_cells(scores, area, top_n=5).tolist() == ["c", "d", "e", "b"]
    zero = pd.Series([0.0, -1.0, 2.0], index=["e", "d", "c"])
    assert patrol.select_cells(zero, area, top_n=3).tolist() == ["c"]
    for share in (0.05, 0.3, 1.0):
        assert patrol.select_cells(scores, area, area_share=share).equals(
            metrics.select_by_area_share(scores, area, area_share=share))
    with pytest.raises(ValueError):
        patrol.select_cells(scores, area)
    with pytest.raises(ValueError):
        patrol.select_cells(scores, area, top_n=2, area_share=0.1)
    with pytest.raises(ValueError):
        patrol.select_cells(scores, area, area_share=1.5)


def test_harm_table_reader_and_errors(tmp_path):
    good = "crime_type,weight\n" + "\n".join(
        f"{c},{i + 1}" for i, c in enumerate(harm.POLICE_UK_CATEGORIES))
    p = tmp_path / "harm.csv"
    p.write_text(good)
    table = harm.read_harm_weights(p)
    assert table["Anti-social behaviour"] == 1.0 and len(table) == 14
    bad_type = good + "\nMurder,1000"
    p.write_text(bad_type)
    with pytest.raises(InputDataError, match="Murder"):
        harm.read_harm_weights(p)
    p.write_text("crime_type,weight\nRobbery,abc\n")
    with pytest.raises(InputDataError, match="row 2, column weight"):
        harm.read_harm_weights(p)
    p.write_text("crime_type,weight\nRobbery,3\n")
    with pytest.raises(InputDataError, match="no weight for crime type"):
        harm.read_harm_weights(p)
    # anti-social behaviour is not recorded crime (its own measure): no weight needed
    p.write_text(good.replace("Anti-social behaviour,1\n", ""))
    assert "Anti-social behaviour" not in harm.read_harm_weights(p)
    p.write_text("type,w\nRobbery,3\n")
    with pytest.raises(ColumnMappingError, match="crime_type"):
        harm.read_harm_weights(p)
    assert harm.read_harm_weights(b"Crime Type,Weight\nX,2\n", categories=None) == {"X": 2.0}


def test_harm_weights_for_records_and_example_is_labelled():
    assert set(harm.HARM_WEIGHTS_EXAMPLE) == set(harm.POLICE_UK_CATEGORIES)
    assert "ILLUSTRATIVE" in harm.HARM_NOTE
    recs = pd.DataFrame({"category": ["Robbery", "Drugs", "Robbery"]})
    w = harm.harm_weights_for(recs, {"Robbery": 40.0, "Drugs": 10.0})
    assert w.tolist() == [40.0, 10.0, 40.0]
    with pytest.raises(InputDataError, match="'Drugs' \\(1\\)"):
        harm.harm_weights_for(recs, {"Robbery": 40.0})


def test_gi_star_finds_the_cluster(city):
    g, out = city
    counts = grid.counts_by_cell(out, g).set_index("cell_id")["count"]
    res = patrol.gi_star_cells(counts, g, permutations=999, seed=1)
    f = res.frame
    assert f.loc["sq150_r003_c002", "gi_class"].startswith("Hot")
    assert f["gi_z"].idxmax() in {"sq150_r003_c002", "sq150_r003_c001", "sq150_r002_c002"}
    assert res.params["weights"]["threshold"] == 225.0
    # interior cells have the 8 queen-like neighbours in the 1.5-cell band
    sw = patrol.grid_weights(g)
    assert sw.n_neighbours.loc["sq150_r002_c002"] == 8
    assert sw.n_neighbours.loc["sq150_r000_c000"] == 3
    score = patrol.gi_star_score(f, alpha=0.1)
    sig = (f["gi_q"] <= 0.1) & (f["gi_z"] > 0)
    assert sig.any() and (~sig).any()
    assert score[sig].min() > score[~sig].max()


def test_method_scorers_interface(city):
    g, out = city
    wide = grid.counts_by_cell(out, g, by="month")
    scorers = patrol.method_scorers(g, bandwidth=300.0, permutations=99, seed=2)
    assert set(scorers) >= {"counts", "kde", "gi_star"}
    for name, fn in scorers.items():
        s = fn(wide[["2020-01"]])
        assert s.index.tolist() == g["cell_id"].tolist(), name
        assert s.notna().all()
    c = scorers["counts"](wide)
    assert c.sum() == len(out)
    assert scorers["kde"](wide).idxmax() in {"sq150_r003_c002", "sq150_r003_c001"}
    # harm-weighted: scores follow the harm table, not the counts
    harm = grid.counts_by_cell(out.assign(h=np.where(out["category"] == "Robbery", 10.0, 0.0)),
                               g, by="month", weights="h")
    hs = patrol.method_scorers(g, bandwidth=300.0, permutations=99, seed=2, harm=harm)
    assert hs["counts"](wide).sum() == 10.0 * (out["category"] == "Robbery").sum()
    zero = wide * 0
    assert (scorers["gi_star"](zero) == 0).all()


def test_patrol_list_contents(city):
    g, out = city
    counts = grid.counts_by_cell(out, g).set_index("cell_id")["count"]
    sel = patrol.select_cells(counts.astype(float), g.set_index("cell_id")["cell_area_m2"],
                              top_n=3)
    pl = patrol.patrol_list(g, out, sel)
    assert pl["rank"].tolist() == [1, 2, 3] and pl["cell_id"].tolist() == sel.tolist()
    assert pl["count"].tolist() == counts.loc[sel].tolist()
    assert (pl["Robbery"] + pl["Shoplifting"] == pl["count"]).all()
    for cell, street in zip(pl["cell_id"], pl["street"], strict=True):
        vc = out.loc[out["cell_id"] == cell, "location"].value_counts()
        assert street == sorted(vc[vc == vc.max()].index)[0]
    assert (pl["street_source"] == "police.uk location").all()
    first = g.set_index("cell_id").loc[sel[0]]
    assert pl.loc[0, "easting"] == first["centre_x"] and pl.loc[0, "lat"] == first["lat"]
    streets = gpd.GeoDataFrame({"name": ["North Road", "South Road"]},
                               geometry=[LineString([(0, 800), (900, 800)]),
                                         LineString([(0, 100), (900, 100)])], crs="EPSG:27700")
    pl2 = patrol.patrol_list(g, out, ["sq150_r005_c000", "sq150_r000_c003"], street_layer=streets)
    assert pl2["street"].tolist() == ["North Road", "South Road"]
    assert pl2["street_distance_m"].tolist() == [25.0, 25.0]
    with pytest.raises(InputDataError):
        patrol.patrol_list(g, out, ["nope"])


@pytest.mark.parametrize("seed", range(20))
def test_rank_cells_is_a_sort_by_score_then_cell_text(seed):
    # reference: Python's sort of (-score, str(cell)) over the cells scoring above 0
    rng = np.random.default_rng(seed)
    ids = list(dict.fromkeys(f"c{rng.integers(0, 10**4)}" for _ in range(rng.integers(0, 200))))
    raw = rng.integers(-2, 5, len(ids)).astype(float)
    raw[rng.random(len(ids)) < 0.05] = np.nan
    got = metrics.rank_cells(pd.Series(raw, index=ids)).tolist()
    want = [c for _, c in sorted((-v, c) for c, v in zip(ids, raw, strict=True) if v > 0)]
    assert got == want
