"""analyse_patrol: a hand-built town with known top cell and PAI, settings checks, the City demo."""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from hotspots import pipeline
from hotspots._errors import InputDataError
from hotspots.maps.assets import LEAFLET_JS_URL, MAP_SYNC_JS_URL
from hotspots.maps.patrolmaps import pai_chart, patrol_map
from hotspots.patrol import (
    PatrolParams,
    analyse_patrol,
    patrol_for_export,
    permutation_note,
)
from hotspots.patrol import grid as grid
from hotspots.patrol import metrics as metrics

X0, Y0, S = 529_950.0, 180_000.0, 150.0  # origin on the national 150 m lattice
TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

# Crimes per (cell, month). Cells are (row, col) of a 4 x 4 grid of 150 m squares.
A, B, C = (2, 1), (0, 3), (3, 0)
PLAN = {
    "2020-01": {A: 5, B: 2},
    "2020-02": {A: 5, B: 2},
    "2020-03": {A: 5, B: 2, C: 6},
    "2020-04": {A: 4, B: 1, C: 5},
}


def _cell_id(rc: tuple[int, int]) -> str:
    return f"sq150_r{rc[0]:03d}_c{rc[1]:03d}"


def _areas() -> gpd.GeoDataFrame:
    # the study borough: two wards side by side (4 x 4 cells in all); a neighbour east of it
    return gpd.GeoDataFrame(
        {"area_code": ["W1", "W2", "N1"], "area_name": ["West", "East", "Next"],
         "borough_code": ["B1", "B1", "B2"], "borough_name": ["Town", "Town", "Other"]},
        geometry=[box(X0, Y0, X0 + 300, Y0 + 600), box(X0 + 300, Y0, X0 + 600, Y0 + 600),
                  box(X0 + 600, Y0, X0 + 900, Y0 + 600)], crs="EPSG:27700")


def _points() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(3)
    for month, plan in PLAN.items():
        for (r, c), n in plan.items():
            for _ in range(n):
                # inside the cell, away from its edges
                e = X0 + (c + 0.2 + 0.6 * rng.random()) * S
                nn = Y0 + (r + 0.2 + 0.6 * rng.random()) * S
                cat = "Robbery" if (r, c) == A else "Shoplifting"
                loc = "=HYPERLINK(\"x\")" if (r, c) == C else f"On or near Street {r}{c}"
                rows.append((month, cat, e, nn, loc))
    # 3 in the neighbouring borough (outside the study area), 2 without a location
    rows += [("2020-02", "Robbery", X0 + 700, Y0 + 100 + 100 * i, "Elsewhere") for i in range(3)]
    rows += [("2020-03", "Drugs", math.nan, math.nan, "") for _ in range(2)]
    f = pd.DataFrame(rows, columns=["month", "category", "e", "n", "location"])
    lon, lat = TO_LONLAT.transform(f["e"].to_numpy(), f["n"].to_numpy())
    f["x"], f["y"] = np.where(np.isnan(f["e"]), np.nan, lon), np.where(np.isnan(f["n"]),
                                                                       np.nan, lat)
    f["source"] = "town.csv"
    f["source_row"] = np.arange(2, 2 + len(f))
    f["lsoa_code"] = ""
    return pipeline.point_records(f)


PARAMS = dict(area_share=1 / 16, train_months=3, permutations=99, seed=5, bandwidth=200.0)


@pytest.fixture(scope="module")
def town():
    pa = analyse_patrol(_points(), _areas(), ["Town"], PatrolParams(**PARAMS),
                        rejected={"duplicate Crime ID": 4}, source="town test points")
    return pa


def test_reconciliation_adds_up_and_names_the_rejected_rows(town):
    r = town.reconciliation
    n_rows = len(_points())
    assert r.rows_in == n_rows + 4
    assert (r.assigned, r.unlocated, r.outside, r.rejected) == (n_rows - 5, 2, 3, 4)
    assert r.assigned + r.unlocated + r.outside + r.rejected == r.rows_in
    assert town.reconciliation_text.startswith(f"{n_rows + 4:,} rows read: {n_rows - 5:,} "
                                               "assigned to a grid cell, 2 without a location, "
                                               "3 outside the study area, 4 rejected")
    assert "4 duplicate Crime ID" in town.reconciliation_text
    # the rows assigned include other months: the text says how many the map counts
    on_map = int(town.grid["count"].sum())
    assert 0 < on_map < r.assigned
    assert (f"and {on_map:,} fall in the list period {town.period_label}: the counts on the "
            "map and the list") in town.reconciliation_text
    assert town.reconciliation_text in town.method_text
    # every cell x month count, summed, is every assigned point
    assert int(town.monthly.to_numpy().sum()) == r.assigned
    assert list(town.monthly.columns) == list(PLAN)


def test_grid_counts_and_known_top_cell(town):
    assert len(town.grid) == 16 and town.spec.size == 150.0
    assert town.list_months == ("2020-02", "2020-03", "2020-04")  # the latest 3 months
    counts = town.grid.set_index("cell_id")["count"]
    # period Feb-Apr: A = 5 + 5 + 4, B = 2 + 2 + 1, C = 6 + 5
    assert counts[_cell_id(A)] == 14 and counts[_cell_id(B)] == 5 and counts[_cell_id(C)] == 11
    assert counts.sum() == 30
    for (r, c), n in PLAN["2020-04"].items():
        assert town.monthly.loc[_cell_id((r, c)), "2020-04"] == n
    # area share 1/16 = exactly one cell; counts picks the top cell A
    assert town.selections["counts"].tolist() == [_cell_id(A)]
    assert town.patrol["cell_id"].tolist() == [_cell_id(A)]
    assert town.patrol.loc[0, "count"] == 14 and town.patrol.loc[0, "Robbery"] == 14
    assert town.patrol.loc[0, "street"] == "On or near Street 21"
    g = town.grid.set_index("cell_id")
    assert g.loc[_cell_id(A), "selected_rank"] == 1 and g["selected_rank"].notna().sum() == 1
    # KDE peaks in the busiest cell; cells with no crime are never selected by any method
    assert g["kde"].idxmax() in {_cell_id(A), _cell_id(C)}
    for m, sel in town.selections.items():
        assert (g.loc[sel, f"score_{m}"] > 0).all(), m


def test_backtest_pai_on_the_constructed_split(town):
    pm = town.backtest.per_month.set_index("method")
    assert pm["test_month"].unique().tolist() == ["2020-04"]
    # counts trains on Jan-Mar (A 15, B 6, C 6) -> A; April: 4 of 10 crimes on 1/16 of the area
    assert pm.loc["counts", "captured"] == 4 and pm.loc["counts", "crimes"] == 10
    assert pm.loc["counts", "pai"] == pytest.approx(0.4 / (1 / 16))  # 6.4
    # naive takes March alone (C 6 > A 5) -> C: 5 of 10 -> PAI 8.0
    assert pm.loc["naive", "pai"] == pytest.approx(8.0)
    assert town.backtest.summary.loc["naive", "median_pai"] == pytest.approx(8.0)
    # one held-out month (fewer than 6): too weak to choose, so the list falls back to
    # 'counts' and says so, naming the backtest's best only as a weak hint (issue 14)
    best = town.backtest.summary["median_pai"].reindex(["counts", "kde", "gi_star"]).idxmax()
    assert town.method == "counts"
    assert town.method_reason.startswith(
        "'counts': the backtest rests on 1 held-out month, fewer than 6, too few to choose")
    assert f"'{best}', the best median PAI in the backtest" in town.method_reason


def test_six_held_out_months_choose_by_best_median_pai_and_fewer_fall_back_to_counts():
    from hotspots.patrol import analysis as mod
    from hotspots.patrol.backtest import BacktestResult

    summary = pd.DataFrame({"median_pai": [4.0, 3.5, 5.0, 2.0, 4.1],
                            "months": [6, 6, 6, 6, 6]},
                           index=pd.Index(["counts", "kde", "gi_star", "gi_star_perm", "naive"],
                                          name="method"))
    best, why = mod._choose_method(PatrolParams(area_share=None, top_n=10),
                                   BacktestResult(pd.DataFrame(), summary, "", {}))
    assert best == "gi_star" and why.startswith("'gi_star', the best median PAI")
    best, why = mod._choose_method(PatrolParams(area_share=None, top_n=10), BacktestResult(
        pd.DataFrame(), summary.assign(months=5), "", {}))
    assert best == "counts" and "5 held-out months, fewer than 6" in why
    assert "a weak hint only: 'gi_star', the best median PAI in the backtest (5.00" in why


def test_best_pai_from_a_smaller_area_is_said():
    """Gi* picks only significant cells: a high PAI on 2% of the area is not a better patrol."""
    from hotspots.patrol import analysis as mod
    from hotspots.patrol.backtest import BacktestResult

    summary = pd.DataFrame({"median_pai": [4.0, 3.5, 3.0, 9.0, 4.1],
                            "mean_area_pct": [5.3, 5.2, 5.1, 2.1, 5.4],
                            "mean_hit_rate": [0.21, 0.18, 0.16, 0.19, 0.22]},
                           index=pd.Index(["counts", "kde", "gi_star", "gi_star_perm", "naive"],
                                          name="method"))
    res = BacktestResult(pd.DataFrame(), summary, "", {})
    best, why = mod._choose_method(PatrolParams(), res)
    assert best == "gi_star_perm"
    assert ("'gi_star_perm' patrolled 2.1% of the area on average against the 5% target, and "
            "a smaller area alone raises the PAI; 'counts' captured more (21.0% of the next "
            "month's crimes against 19.0%)") in why
    _, why = mod._choose_method(PatrolParams(), BacktestResult(
        pd.DataFrame(), summary.assign(mean_area_pct=5.2), "", {}))
    assert "target" not in why


def test_user_method_crime_type_filter_and_top_n():
    p = PatrolParams(**{**PARAMS, "area_share": None}, top_n=2, method="kde",
                     crime_types=("Shoplifting",))
    pa = analyse_patrol(_points(), _areas(), ["Town"], p)
    assert pa.method == "kde" and "chosen by the user" in pa.method_reason
    counts = pa.grid.set_index("cell_id")["count"]
    assert counts[_cell_id(A)] == 0 and counts.sum() == 16  # B 5 + C 11
    assert pa.n_selected_records == 2 + 2 + 8 + 6  # Shoplifting in the study area, all months
    assert len(pa.patrol) == 2 and "Robbery" not in pa.patrol.columns
    assert pa.reconciliation.rows_in == len(_points())  # placement covers every row
    with pytest.raises(InputDataError, match="Burglary"):
        analyse_patrol(_points(), _areas(), ["Town"],
                       PatrolParams(**PARAMS, crime_types=("Burglary",)))


def test_harm_weights_rank_by_harm_and_months_without_records_are_zero_filled():
    pts = _points()
    pts = pts[pts["month"] != "2020-02"].reset_index(drop=True)
    table = {"Robbery": 1.0, "Shoplifting": 10.0, "Drugs": 1.0}
    pa = analyse_patrol(pts, _areas(), ["Town"], PatrolParams(**PARAMS, harm=table))
    assert list(pa.monthly.columns) == list(PLAN)
    assert (pa.monthly["2020-02"] == 0).all()
    assert any("2020-02" in n and "zero" in n for n in pa.notes)
    g = pa.grid.set_index("cell_id")
    # Mar-Apr (Feb has no record): A 9 crimes x 1; C 11 x 10 -> C first by harm
    assert g.loc[_cell_id(C), "harm"] == 110.0 and g.loc[_cell_id(A), "harm"] == 9.0
    assert pa.selections["counts"].tolist() == [_cell_id(C)]
    assert "ILLUSTRATIVE" in pa.method_text or "Harm weighting" in pa.method_text


def test_exports_are_spreadsheet_safe_and_complete(town):
    p = PatrolParams(**{**PARAMS, "area_share": None}, top_n=3)
    pa = analyse_patrol(_points(), _areas(), ["Town"], p)
    out = patrol_for_export(pa)
    assert {"patrol_list", "grid", "backtest_per_month", "backtest_summary", "reconciliation",
            "unassigned_rows"} <= set(out)
    streets = out["patrol_list"]["street"].tolist()
    assert "'=HYPERLINK(\"x\")" in streets  # formula neutralised
    rec = out["reconciliation"].iloc[0]
    assert rec["rows_in"] == rec["assigned"] + rec["unlocated"] + rec["outside"] + rec["rejected"]
    assert len(out["unassigned_rows"]) == 5
    assert {"count", "kde", "gi_z", "gi_q", "gi_class", "selected_rank"} <= set(out["grid"])
    assert out["grid"].crs.to_epsg() == 27700 and len(out["grid"]) == 16


def _map(pa, **kw):
    return patrol_map(pa.grid, period_label=pa.period_label, method=pa.method,
                      alpha=pa.params.alpha, cell_size=pa.spec.size, shape=pa.spec.shape, **kw)


def test_map_draws_cells_with_crime_or_marked_and_its_legend_counts_every_cell(town):
    # issue 14: a force drew 98,439 empty cells (6.4 GB, the browser hung): empty cells that
    # are neither patrol cells nor Gi* hot are counted in the legend but not drawn
    pm = _map(town)
    g = town.grid
    drawn = (g["count"] > 0) | g["selected_rank"].notna() | g["gi_hot"]
    assert 0 < drawn.sum() < 16 and pm.n_cells == int(drawn.sum())
    html = pm.map.get_root().render()
    assert len(re.findall(r'"cell_id": "sq150_r\d{3}_c\d{3}"', html)) == int(drawn.sum())
    assert set(re.findall(r'"cell_id": "(sq150_r\d{3}_c\d{3})"', html)) == set(
        g.loc[drawn, "cell_id"])
    n_zero = int((g["count"] == 0).sum())
    assert f"0, not drawn ({n_zero})" in pm.legend
    assert f"{int(drawn.sum())} of 16 cells drawn" in pm.legend


def test_map_draws_every_cell_and_its_legend_counts_cells(town):
    pm = _map(town)
    html = pm.map.get_root().render()
    assert re.findall(r'(?:src|href)="(https?:[^"]*)"', html) == []  # nothing from the internet
    # Leaflet and the project's map script (tooltips kept inside the map): both local.
    assert pm.map.default_js == [("leaflet", LEAFLET_JS_URL), ("hs_map_sync", MAP_SYNC_JS_URL)]
    counts = [int(x) for x in re.findall(r"\((\d+)\)</span>", pm.legend)]
    # class counts add up to the cells; then the patrol cells (1) and the Gi* hot cells
    assert sum(counts[:-2]) == 16 and counts[-2] == 1
    assert counts[-1] == int(town.grid["gi_hot"].sum())
    with pytest.raises(ValueError, match="value"):
        _map(town, value="rate")


def test_map_of_cells_without_crime_draws_no_hot_colour(town):
    from hotspots.maps.classify import ZERO_COLOUR
    from hotspots.maps.palettes import map_palette

    g = town.grid.assign(count=0)  # e.g. a crime type with no record in the list period
    pm = patrol_map(g, period_label=town.period_label, method=town.method,
                    alpha=town.params.alpha, cell_size=town.spec.size, shape=town.spec.shape)
    html = pm.map.get_root().render()
    assert "0, not drawn (16)" in pm.legend and ZERO_COLOUR in pm.legend
    assert not any(c in html for c in map_palette("YlOrRd", 3))
    z = patrol_map(town.grid, period_label=town.period_label, method=town.method,
                   alpha=town.params.alpha, cell_size=town.spec.size, shape=town.spec.shape)
    n_zero = int((town.grid["count"] == 0).sum())
    assert n_zero and f"0, not drawn ({n_zero})" in z.legend


def test_pai_chart_draws_one_line_per_backtest_method(town):
    assert pai_chart(None) is None
    spec = pai_chart(town.backtest.per_month, height=200).to_dict()
    assert spec["height"] == 200 and spec["encoding"]["y"]["field"] == "pai"
    methods = list(dict.fromkeys(town.backtest.per_month["method"]))
    assert spec["encoding"]["color"]["scale"]["domain"] == methods


def test_hex_grid_reconciles_too():
    pa = analyse_patrol(_points(), _areas(), ["Town"], PatrolParams(**PARAMS, shape="hex"))
    r = pa.reconciliation
    assert r.assigned == len(_points()) - 5 and r.outside == 3
    assert pa.grid["cell_id"].str.startswith("hx150").all()
    assert abs(pa.grid["cell_area_m2"].sum() - 600 * 600) < 1e-6


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"cell_size": -5}, "cell_size"),
    ({"cell_size": "big"}, "cell_size"),
    ({"shape": "circle"}, "shape"),
    ({"area_share": 1.5}, "area_share"),
    ({"area_share": None}, "exactly one of area_share"),
    ({"area_share": 0.1, "top_n": 3}, "exactly one of area_share"),
    ({"area_share": None, "top_n": 0}, "top_n"),
    ({"method": "magic"}, "method"),
    ({"permutations": 10}, "permutations"),
    ({"month_from": "2020-13"}, "month_from"),
    ({"month_from": "2020-05", "month_to": "2020-01"}, "after"),
    ({"alpha": 1.5}, "alpha"),
    ({"train_months": 0}, "train_months"),
    ({"harm": {"Robbery": -1}}, "harm"),
    ({"bandwidth": 0}, "bandwidth"),
], ids=lambda v: str(v) if isinstance(v, str) else None)
def test_params_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PatrolParams(**kwargs)


def test_params_collect_every_problem_and_are_hashable():
    with pytest.raises(ValueError, match="shape=.*; method="):
        PatrolParams(shape="x", method="y")
    a = PatrolParams(harm={"B": 2, "A": 1}, crime_types=["Robbery"])
    b = PatrolParams(harm={"A": 1.0, "B": 2.0}, crime_types=("Robbery",))
    assert a == b and hash(a) == hash(b) and a.harm_table == {"A": 1.0, "B": 2.0}
    assert PatrolParams(top_n=5).area_share is None


def test_input_errors():
    pts, areas = _points(), _areas()
    with pytest.raises(InputDataError, match="Nowhere.*Known boroughs"):
        analyse_patrol(pts, areas, ["Nowhere"], PatrolParams(**PARAMS))
    with pytest.raises(InputDataError, match="No borough"):
        analyse_patrol(pts, areas, [], PatrolParams(**PARAMS))
    with pytest.raises(InputDataError, match="outside the points' months"):
        analyse_patrol(pts, areas, ["Town"], PatrolParams(**PARAMS, month_to="2021-01"))
    with pytest.raises(InputDataError, match="'month'"):
        analyse_patrol(pts.drop(columns="month"), areas, ["Town"], PatrolParams(**PARAMS))
    bad = pts.copy()
    bad.loc[3, "month"] = "March"
    with pytest.raises(InputDataError, match="row 5"):
        analyse_patrol(bad, areas, ["Town"], PatrolParams(**PARAMS))
    with pytest.raises(InputDataError, match="None of the"):
        analyse_patrol(pts[pts["location"] == "Elsewhere"], areas, ["Town"],
                       PatrolParams(**PARAMS))


def test_permutation_note_arithmetic():
    # 162 cells: 999 permutations need 7 cells at p = 0.002 (0.002 x 162 / 7 = 0.046)
    assert "at least 7 cells" in permutation_note(162, 999)
    assert "at least 1 cell has" in permutation_note(162, 9999)


# --------------------------------------------------------------------------- demo City points


@pytest.fixture(scope="module")
def city():
    pack = pipeline.load_pack()
    pa = analyse_patrol(pack.points, pack.areas, pack.meta.points_boroughs,
                        PatrolParams(permutations=999, seed=1),
                        rejected=pack.meta.points_rejected,
                        source=pack.meta.points_source)
    return pack, pa


def test_city_demo_points_end_to_end(city):
    pack, pa = city
    rec, read = pa.reconciliation, pack.meta.points_reconciliation
    assert rec.rows_in == read.rows_read == 24_750
    assert rec.unlocated == read.rows_without_location and rec.rejected == 252
    assert rec.assigned + rec.outside == read.rows_kept - read.rows_without_location
    assert pa.list_months == ("2020-09", "2020-10", "2020-11")
    s = pa.backtest.summary
    assert s.loc["counts", "months"] == 33 and s.loc["counts", "months_pai"] == 33
    print("\nCity demo, top 5% of cells, median PAI per method:\n"
          + s[["median_pai", "mean_pai", "mean_hit_rate", "months_pai"]].round(3).to_string())
    # an independent recomputation of the counts method for the last held-out month
    area = pa.area_m2
    placed, _ = grid.points_to_cells(pack.points, pa.grid[["cell_id", "row", "col", "geometry",
                                                           "cell_area_m2", "full", "centre_x",
                                                           "centre_y"]], spec=pa.spec)
    placed = placed[placed["category"] != "Anti-social behaviour"]  # recorded crime only
    train = placed[placed["month"].isin(["2020-08", "2020-09", "2020-10"])]
    score = train.groupby("cell_id").size().sort_index()
    order = sorted(score.index, key=lambda c: (-score[c], c))
    cum, chosen = 0.0, []
    for c in order:
        chosen.append(c)
        cum += area[c]
        if cum >= 0.05 * area.sum() * (1 - 1e-9):
            break
    test = placed[placed["month"] == "2020-11"]
    hit = test["cell_id"].isin(chosen).mean()
    expected = hit / (area[chosen].sum() / area.sum())
    got = pa.backtest.per_month.set_index(["method", "test_month"]).loc[("counts", "2020-11"),
                                                                       "pai"]
    assert got == pytest.approx(expected, rel=1e-12)
    # counts beats chance by far; a 999-permutation Gi* finds no hot cell after FDR, the
    # normal approximation does (and has a PAI in every held-out month)
    assert s.loc["counts", "median_pai"] > 3
    assert s.loc["gi_star_perm", "months_pai"] == 0 and int(pa.grid["gi_hot_perm"].sum()) == 0
    assert s.loc["gi_star", "months_pai"] == 33 and int(pa.grid["gi_hot"].sum()) > 0
    assert pa.method == "counts"
    sel = pa.selections["counts"]
    assert area[sel].sum() >= 0.05 * area.sum() > area[sel[:-1]].sum()
    assert metrics.select_by_area_share(pa.grid.set_index("cell_id")["score_counts"], area,
                                         area_share=0.05).equals(sel)


# --------------------------------------------------------------------------- the view (AppTest)


HARNESS = Path(__file__).resolve().parent / "apps" / "patrol_harness.py"


def _plain(text: str) -> str:
    return text.replace("\\", "")


def test_view_form_submit_draws_the_library_list(city):
    from streamlit.testing.v1 import AppTest

    pack, _ = city
    at = AppTest.from_file(str(HARNESS), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["Patrol hotspots (street scale)"]
    texts = [_plain(m.value) for m in at.markdown]
    assert any(t.startswith("24,750 rows read: 20,888 assigned to a grid cell, 1,731 without "
                            "a location, 1,879 outside the study area, 252 rejected")
               for t in texts)
    assert "City of London Police" in _plain(at.info[0].value)
    legend = next(t for t in texts if "hs-legend" in t)
    assert "Crimes per cell, 2020-09 to 2020-11" in legend and "Patrol cells" in legend
    # change the settings in the form; nothing applies until it is submitted
    at.selectbox(key="patrol_permutations").set_value(999)
    at.radio(key="patrol_by").set_value("Number of cells")
    at.number_input(key="patrol_top_n").set_value(6)
    at.selectbox(key="patrol_method").set_value("kde")
    at.checkbox(key="patrol_emerging").set_value(True)
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    expected = analyse_patrol(pack.points, pack.areas, ["City of London"], PatrolParams(
        area_share=None, top_n=6, method="kde", permutations=999, emerging=True,
        seed=pack.meta.seed), rejected=pack.meta.points_rejected)
    frames = [d.value for d in at.dataframe]
    plist = next(f for f in frames if "Cell" in f.columns)
    assert plist["Cell"].tolist() == expected.patrol["cell_id"].tolist()
    assert len(plist) == 6
    assert plist["Crimes 2020-09 to 2020-11"].tolist() == expected.patrol["count"].tolist()
    summary = next(f for f in frames if "Median PAI" in f.columns)
    assert len(summary) == 5  # counts, kde, Gi* (normal p), Gi* (permutation p), naive
    assert summary["Months with no cell chosen"].tolist() == expected.backtest.summary[
        "months_no_cells"].astype(int).tolist()
    assert summary["Median PAI"].iloc[0] == round(
        expected.backtest.summary.loc["counts", "median_pai"], 2)
    em = next(f for f in frames if "Category" in f.columns)
    assert em["Cells"].sum() == 162


# --------------------------------------------------------------------------- anti-social behaviour

ASB = "Anti-social behaviour"
D = (3, 3)


def _points_with_asb() -> pd.DataFrame:
    """The town's crimes plus 12 police.uk ASB incidents a month in cell D (none of them crime)."""
    pts = _points()
    rows = []
    for month in PLAN:
        for i in range(12):
            e, n = X0 + (D[1] + 0.3 + 0.03 * i) * S, Y0 + (D[0] + 0.5) * S
            rows.append((month, ASB, *TO_LONLAT.transform(e, n), "On or near ASB Street"))
    extra = pd.DataFrame(rows, columns=["month", "category", "x", "y", "location"])
    extra["source"] = "town.csv"
    extra["source_row"] = np.arange(1000, 1000 + len(extra))
    extra["lsoa_code"] = ""
    return pd.concat([pts, pipeline.point_records(extra)], ignore_index=True)


def test_asb_is_its_own_measure_never_inside_crime():
    pts = _points_with_asb()
    crime = analyse_patrol(pts, _areas(), ["Town"], PatrolParams(**PARAMS))
    counts = crime.grid.set_index("cell_id")["count"]
    # recorded crime only: the 36 ASB incidents in cell D are not counted, listed or ranked
    assert counts[_cell_id(D)] == 0 and counts.sum() == 30
    assert int(crime.monthly.to_numpy().sum()) == crime.reconciliation.assigned - 48
    assert ASB not in crime.patrol.columns and crime.patrol["cell_id"].tolist() == [_cell_id(A)]
    assert crime.n_selected_records == len(_points()) - 5
    assert "without anti-social behaviour" in crime.method_text
    # rows read still reconcile: ASB rows are placed, just not counted as crime
    r = crime.reconciliation
    assert r.rows_in == len(pts) and r.assigned + r.unlocated + r.outside + r.rejected == len(pts)
    asb = analyse_patrol(pts, _areas(), ["Town"], PatrolParams(**PARAMS, measure="asb"))
    g = asb.grid.set_index("cell_id")["count"]
    assert g[_cell_id(D)] == 36 and g.sum() == 36
    assert asb.patrol["cell_id"].tolist() == [_cell_id(D)]
    assert int(asb.monthly.to_numpy().sum()) == 48
    assert asb.noun == "ASB incidents" and crime.noun == "crimes"
    assert "Anti-social behaviour" in asb.method_text
    with pytest.raises(ValueError, match="own measure"):
        PatrolParams(crime_types=(ASB, "Robbery"))
    with pytest.raises(InputDataError, match="no anti-social behaviour"):
        analyse_patrol(_points(), _areas(), ["Town"], PatrolParams(**PARAMS, measure="asb"))


def test_view_offers_asb_as_its_own_measure(city):
    from streamlit.testing.v1 import AppTest

    pack, _ = city
    at = AppTest.from_file(str(HARNESS), default_timeout=120)
    at.session_state["patrol_permutations"] = 999
    at.run()
    assert "Recorded crime" in _plain(at.caption[0].value)
    assert "Anti-social behaviour" not in at.multiselect(key="patrol_types").options
    at.radio(key="patrol_measure").set_value("asb")
    at.multiselect(key="patrol_types").set_value(["Robbery"])
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert "cannot be used together" in at.error[0].value and "takes none" in at.error[0].value
    at.multiselect(key="patrol_types").set_value([])
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error
    expected = analyse_patrol(pack.points, pack.areas, ["City of London"], PatrolParams(
        measure="asb", permutations=999, seed=pack.meta.seed),
        rejected=pack.meta.points_rejected)
    plist = next(d.value for d in at.dataframe if "Cell" in d.value.columns)
    assert plist["Cell"].tolist() == expected.patrol["cell_id"].tolist()
    assert plist["ASB incidents 2020-09 to 2020-11"].tolist() == expected.patrol["count"].tolist()
    assert "Anti-social behaviour (police.uk ASB incidents" in _plain(at.caption[0].value)


def test_a_study_area_too_large_for_the_cells_is_refused_before_the_grid():
    """A rural authority (Powys: 5,180 km^2 of 150 m cells, 230,000 cells) ran out of memory
    in the kernel density after minutes; it is refused at once, saying what to do."""
    big = gpd.GeoDataFrame(
        {"area_code": ["W1"], "area_name": ["Big"], "borough_code": ["B1"],
         "borough_name": ["Shire"]},
        geometry=[box(X0, Y0, X0 + 60_000, Y0 + 60_000)], crs="EPSG:27700")  # 3,600 km^2
    with pytest.raises(InputDataError, match=r"160,000 cells of 150 m.*at most 100,000.*"
                                             r"fewer areas.*at least 190 m"):
        analyse_patrol(_points(), big, ["Shire"], PatrolParams(**PARAMS))


def test_backtest_gi_star_draws_each_block_once(monkeypatch):
    # Gi* of the list period and of every training window share one grid and one seed:
    # their conditional draws are made once (keep_draws), not once per window
    from hotspots.stats import permutation as perm
    from hotspots.stats import significance

    # the last simulations are kept by their inputs: the town fixture's run (same points,
    # grid and seed) would otherwise answer from that cache and draw nothing
    significance._LAST_SIMS.clear()
    calls = []
    real = perm.sample_others

    def counted(rng, sites, k, permutations, n):
        calls.append((n, k, tuple(int(s) for s in sites)))
        return real(rng, sites, k, permutations, n)

    monkeypatch.setattr(perm, "sample_others", counted)
    pa = analyse_patrol(_points(), _areas(), ["Town"], PatrolParams(**PARAMS))
    assert pa.backtest is not None and calls
    assert len(calls) == len(set(calls))


def test_patrol_warnings_name_a_weak_backtest_and_a_list_too_long_to_patrol(town):
    """Issue 14: one held-out month chose the method; a force's 5% share listed 1,730 cells."""
    import dataclasses

    from hotspots.patrol import MAX_PATROL_CELLS, patrol_warnings

    (weak,) = patrol_warnings(town)  # 1 held-out month, a 1-cell list
    assert weak.startswith("The backtest rests on 1 held-out month (fewer than 6)")
    assert "the list uses 'counts'" in weak
    long = pd.concat([town.patrol] * (MAX_PATROL_CELLS + 1), ignore_index=True)
    warns = patrol_warnings(dataclasses.replace(town, patrol=long))
    assert len(warns) == 2
    # 16 cells of 150 m = 0.36 km2; the area share is 1/16 = 6.25%
    assert warns[1].startswith(f"The patrol list has {MAX_PATROL_CELLS + 1} cells (6.25% of a "
                               "0.36 km\u00b2 study area), more than a team can patrol")
    assert "'Number of cells'" in warns[1] and "--top-n" in warns[1]
    assert "Every cell with any" not in warns[1]  # the town's other crime cells are not listed
    # a list holding every cell with crime (a rural force's 5%: 699 cells, all of them)
    busy = town.grid.loc[town.grid["count"] > 0, ["cell_id"]]
    assert 1 < len(busy) < len(town.grid)
    every = pd.concat([busy] * (MAX_PATROL_CELLS + 1), ignore_index=True)
    (_, warn) = patrol_warnings(dataclasses.replace(town, patrol=every))
    assert (f"Every cell with any {town.noun} in the list period ({len(busy)}) is on it, so the "
            "list does not pick out hot spots.") in warn
    six = dataclasses.replace(town, backtest=dataclasses.replace(
        town.backtest, summary=town.backtest.summary.assign(months=6)))
    assert patrol_warnings(six) == []


def test_default_study_area_of_a_force_is_the_authority_with_most_crime():
    """Issue 14: a force pack refused at 150 m with no study-area choice on the form."""
    from hotspots.patrol import default_study_area

    areas = gpd.GeoDataFrame(
        {"borough_name": ["A", "B", "C"]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(3)],
        crs="EPSG:27700")
    # 5 points in A, 7 in B, 1 in C (hand-placed at cell centres)
    e = [X0 + 500] * 5 + [X0 + 1500] * 7 + [X0 + 2500]
    lon, lat = TO_LONLAT.transform(e, [Y0 + 500] * len(e))
    pts = pd.DataFrame({"x": lon, "y": lat})
    # 100 m cells: 100 per area, 300 in all
    assert default_study_area(pts, areas, ["A", "B", "C"], cell_size=100,
                              max_cells=300) == (("A", "B", "C"), "")
    chosen, why = default_study_area(pts, areas, ["A", "B", "C"], cell_size=100, max_cells=299)
    assert chosen == ("B",)
    assert why.startswith("All 3 areas (3 km\u00b2) would make about 300 cells of 100 m, more "
                          "than the 299 the patrol analysis handles")
    assert "starts as B, the area with the most located records (7 in the pack's months)" in why
    assert "'Study area' in the patrol settings" in why


def test_map_of_a_large_grid_stays_within_memory():
    """Issue 14: a force's 101,086 cells took the server to 6.4 GB: the map's bounds grouped
    every pair of nearby cells (the island test of the ward maps), O(cells^2) pairs."""
    import tracemalloc

    from hotspots.patrol import grid as gridmod

    study = gpd.GeoDataFrame({"borough_name": ["Big"]},
                             geometry=[box(X0, Y0, X0 + 30_000, Y0 + 30_000)], crs="EPSG:27700")
    g, _ = gridmod.make_grid(study, cell_size=200)  # 22,650 (the grid is aligned to 200 m)
    g = g.assign(count=0, kde=0.0, gi_class="not significant", gi_hot=False,
                 selected_rank=np.nan)
    g.loc[g.index[:300], "count"] = np.arange(1, 301)
    g.loc[g.index[:10], "selected_rank"] = np.arange(1, 11)
    tracemalloc.start()
    try:
        pm = patrol_map(g, period_label="Jan 2024", method="counts", alpha=0.05,
                        cell_size=200, shape="square")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(g) == 22_650 and pm.n_cells == 300
    assert "0, not drawn (22,350)" in pm.legend
    assert peak < 60 * 2**20, f"{peak / 2**20:.0f} MB"
