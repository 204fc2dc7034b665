"""Rolling backtest and emerging hot spots on the 36 City of London police.uk months, 150 m grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boundaries.load import read_boundaries
from hotspots import io
from hotspots.patrol.backtest import baseline_methods, rolling_backtest
from hotspots.patrol.cells import method_scorers
from hotspots.patrol.grid import counts_by_cell, make_grid, points_to_cells
from hotspots.periods import month_range
from hotspots.stats.emerging import CATEGORIES, emerging_hotspots
from hotspots.stats.weights import build_weights

pytestmark = pytest.mark.realdata

POLICE = "police_uk_city_of_london_2017-12_to_2020-11"
WARDS18 = "london_wards_2018/london_wards_2018.gpkg"
MONTHS = month_range("2017-12", "2020-11")


@pytest.fixture(scope="module")
def city(shared_data):
    res = io.read_police_uk(shared_data / POLICE)
    wards, _ = read_boundaries(shared_data / WARDS18, layer="London_Ward")
    study = wards.loc[wards["borough_code"] == "E09000001"]
    grid, spec = make_grid(study)
    assigned, rec = points_to_cells(res.frame, grid, spec=spec, rejected=res.rejected,
                                    source="city")
    counts = counts_by_cell(assigned, grid, by="month", columns=list(MONTHS))
    return grid, counts, rec


def window_total(train: pd.DataFrame) -> pd.Series:
    """Retrospective hotspots: all crimes of the training months."""
    return train.sum(axis=1)


def test_city_backtest_top_5pct_pai(city):
    grid, counts, rec = city
    assert rec.rows_in == rec.assigned + rec.unlocated + rec.outside + rec.rejected
    assert int(counts.to_numpy().sum()) == rec.assigned  # each point counted once
    area = pd.Series(grid["cell_area_m2"].to_numpy(), index=grid["cell_id"])
    methods = {**baseline_methods(), "training total": window_total}
    res = rolling_backtest(counts, methods, area, train_months=3, area_share=0.05)
    s = res.summary
    print(f"\nCity of London, {len(grid)} cells of 150 m, {counts.shape[1]} months, "
          f"{rec.assigned:,} crimes on the grid")
    print(s[["months", "months_pai", "mean_pai", "median_pai", "min_pai", "max_pai",
             "mean_hit_rate", "mean_rri", "mean_area_pct"]].round(3).to_string())
    print(res.method_text)
    assert list(s.index) == ["naive", "training total"]
    assert (s["months"] == 33).all()
    # police.uk crime concentrates: the top 5% of cells must beat area-random (PAI 1),
    # and cannot beat 1 / (area share actually chosen)
    for m, row in s.iterrows():
        assert row["median_pai"] > 1.5, m
        assert row["max_pai"] <= 100 / row["mean_area_pct"] * 1.5
        assert 4.9 <= row["mean_area_pct"] <= 8.0
    pm = res.per_month
    assert np.isfinite(pm[["hit_rate", "pai", "rri"]].to_numpy(float)).all()
    assert (pm["captured"] <= pm["crimes"]).all()


def test_city_backtest_with_patrol_scorers(city):
    grid, counts, _ = city
    area = pd.Series(grid["cell_area_m2"].to_numpy(), index=grid["cell_id"])
    scorers = method_scorers(grid, seed=7)
    methods = {**baseline_methods(), "counts": scorers["counts"], "kde": scorers["kde"]}
    res = rolling_backtest(counts, methods, area, train_months=3, area_share=0.05)
    print("\n" + res.summary[["months_pai", "median_pai", "mean_pai", "mean_hit_rate_at_share",
                              "mean_rri"]].round(3).to_string())
    assert (res.summary["months_pai"] == 33).all()
    assert (res.summary["median_pai"] > 1.5).all()
    # patrol.py's "counts" scorer is the training total: same cells, same PAI as ours
    ours = rolling_backtest(counts, {"t": window_total}, area).per_month["pai"].to_numpy()
    theirs = res.per_month.loc[res.per_month["method"] == "counts", "pai"].to_numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-12)


def test_city_emerging_hotspots(city):
    grid, counts, _ = city
    sw = build_weights(grid.rename(columns={"cell_id": "area_code"}), kind="queen")
    # 9999 permutations: with FDR over 175 cells per month, 999 leave almost nothing
    # significant (the smallest p is 0.002)
    out = emerging_hotspots(counts, sw, permutations=9999, seed=20240101)
    tally = out["trend_class"].value_counts()
    print("\n" + tally.to_string())
    assert len(out) == len(grid)
    assert set(tally.index) <= set(CATEGORIES)
    hot = out["trend_class"].str.endswith("hot spot")
    assert hot.any()
    # a cell hot in at least 90% of months (persistent, intensifying, diminishing or
    # historical) must be hot in at least 33 of the 36
    steady = out["trend_class"].str.match("(persistent|intensifying|diminishing|historical) hot")
    assert (out.loc[steady, "n_hot"] >= 33).all()


def test_city_gi_star_normal_and_permutation_backtested_on_21_months(shared_data):
    """The last 21 City months, recorded crime without ASB: the permutation Gi* rarely reaches
    significance after FDR over ~160 cells, the normal-approximation Gi* chooses cells."""
    res = io.read_police_uk(shared_data / POLICE)
    wards, _ = read_boundaries(shared_data / WARDS18, layer="London_Ward")
    grid, spec = make_grid(wards.loc[wards["borough_code"] == "E09000001"])
    crime = res.frame[res.frame["category"] != "Anti-social behaviour"]
    assigned, _ = points_to_cells(crime, grid, spec=spec, source="city")
    months = list(month_range("2019-03", "2020-11"))
    counts = counts_by_cell(assigned[assigned["month"].isin(months)], grid, by="month",
                            columns=months)
    area = pd.Series(grid["cell_area_m2"].to_numpy(), index=grid["cell_id"])
    scorers = method_scorers(grid, permutations=9_999, seed=7)
    out = rolling_backtest(counts, {m: scorers[m] for m in ("counts", "gi_star", "gi_star_perm")},
                           area, train_months=3, area_share=0.05)
    s = out.summary
    print("\n" + s[["months", "months_pai", "months_no_cells", "median_pai",
                    "mean_hit_rate", "mean_area_pct"]].round(3).to_string())
    assert (s["months"] == 18).all() and len(grid) > 150
    assert s.loc["gi_star", "months_no_cells"] == 0 and s.loc["gi_star", "median_pai"] > 1.5
    assert s.loc["gi_star_perm", "months_no_cells"] >= 9  # half the months or more: nothing
    assert "undefined" not in out.method_text
