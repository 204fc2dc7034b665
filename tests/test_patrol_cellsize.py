"""The automatic cell size: a rule that can be backtested, stated with its numbers."""

from __future__ import annotations

import math

import pytest

from hotspots import pipeline
from hotspots.patrol import PatrolParams, analyse_patrol
from hotspots.patrol.cellsize import AUTO_MAX_LIST_CELLS, AUTO_MIN_PER_CELL, auto_cell_size


def test_rule_by_hand():
    # 2.88 km2, 1,490 crimes in 3 training months: 5 a cell needs 2.88e6 x 5 / 1490 =
    # 9,664 m2 a cell -> 98.3 m -> 100 m; the 5% list: 144,000 m2 / 25 cells -> 75.9 m
    size, rule = auto_cell_size(2.88e6, 1490.0, window_months=3, area_share=0.05)
    assert size == 100.0 and AUTO_MIN_PER_CELL == 5 and AUTO_MAX_LIST_CELLS == 25
    assert "at least 5 crimes per cell" in rule and "98 m" in rule
    assert "1,490 crimes in 3 months" in rule and "at most 25 cells" in rule
    # a dense area: the list bound decides (600 m2 a cell for 5 crimes; 5% of 9 km2 / 25)
    size, rule = auto_cell_size(9e6, 75_000.0, window_months=3, area_share=0.05)
    assert size == 140.0 and "134 m" in rule  # sqrt(450,000 / 25) = 134.2 -> 140
    # top_n: no list bound
    size, _ = auto_cell_size(9e6, 75_000.0, window_months=3, top_n=10)
    assert size == 50.0  # sqrt(600) = 24.5 m, the floor is 50 m
    # too few crimes for any size: the largest, said in words
    size, rule = auto_cell_size(50e6, 20.0, window_months=3, area_share=0.05)
    assert size == 500.0 and "too few" in rule
    # a large, busy area: the list bound cannot be met, and that (not sparse crime) is said
    size, rule = auto_cell_size(142e6, 6304.0, window_months=2, area_share=0.05)
    assert size == 500.0 and "too few" not in rule and "too large" in rule
    assert "about 29 cells" in rule  # 5% of 142 km2 / 0.25 km2 = 28.4 -> 29
    with pytest.raises(ValueError):
        auto_cell_size(0.0, 10.0, window_months=3, area_share=0.05)


@pytest.fixture(scope="module")
def city_auto():
    pack = pipeline.load_pack()
    return analyse_patrol(pack.points, pack.areas, pack.meta.points_boroughs,
                          PatrolParams(cell_size="auto", shape="hex", permutations=999,
                                       seed=pack.meta.seed),
                          rejected=pack.meta.points_rejected,
                          source=pack.meta.points_source)


def test_city_auto_size_can_be_backtested(city_auto):
    pa = city_auto
    n_cells, size = len(pa.grid), pa.spec.size
    per_window = int(pa.monthly.to_numpy().sum()) / pa.monthly.shape[1] * 3
    print(f"\nCity auto: {size:g} m hexagons, {n_cells} cells, {len(pa.patrol)} in the list, "
          f"{per_window / n_cells:.1f} crimes per cell in 3 months")
    assert size >= 100 and per_window / pa.grid["cell_area_m2"].sum() * size**2 >= 5
    assert len(pa.patrol) <= 25
    s = pa.backtest.summary
    assert s.loc["counts", "months_pai"] == 33 and math.isfinite(s.loc["counts", "median_pai"])
    assert pa.spec.rule.startswith(f"auto: {size:g} m")
    assert pa.spec.rule in pa.method_text
    assert "undefined" not in pa.method_text
    # advice follows the settings: 999 permutations were used, so 9,999 may be advised
    assert "999 permutations" in pa.method_text
