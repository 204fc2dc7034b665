"""Gi* with analytical (normal-approximation) p-values beside the permutation p.

The z is checked against esda's ``G_Local(star=True, transform="B").Zs`` and the
p-values against scipy.stats.norm (and esda's one-sided ``p_norm``); on the demo's
City of London points the normal approximation finds hot cells where 9,999
permutations after FDR find none, and the patrol analysis says which it used.
"""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from shapely.geometry import box

from hotspots import pipeline
from hotspots.patrol import PatrolParams, analyse_patrol
from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as grid
from hotspots.stats.getis import gi_star_normal


@pytest.fixture(scope="module")
def lattice():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 1500, 1200)], crs="EPSG:27700")
    g, _ = grid.make_grid(area)
    rng = np.random.default_rng(11)
    y = pd.Series(rng.poisson(2.0, len(g)).astype(float), index=g["cell_id"])
    y.iloc[[25, 26, 35, 36]] = [30.0, 22.0, 18.0, 25.0]
    return g, y


def test_z_equals_esda_and_p_is_the_normal_tail(lattice):
    g, y = lattice
    sw = patrol.grid_weights(g)
    res = gi_star_normal(y, sw, alpha=0.05)
    f = res.frame
    ref = esda.G_Local(y.reindex(sw.ids).to_numpy(), sw.w, transform="B", star=True,
                       permutations=0)
    np.testing.assert_allclose(f["gi_z"].to_numpy(), ref.Zs, rtol=0, atol=1e-9)
    z = f["gi_z"].to_numpy()
    np.testing.assert_allclose(f["gi_p"].to_numpy(), 2 * sps.norm.sf(np.abs(z)), atol=1e-15)
    np.testing.assert_allclose(f["gi_p"].to_numpy(), 2 * ref.p_norm, atol=1e-12)
    np.testing.assert_allclose(f["gi_q"].to_numpy(),
                               sps.false_discovery_control(f["gi_p"].to_numpy()), atol=1e-15)
    hot = f.index[(f["gi_q"] <= 0.05) & (f["gi_z"] > 0)]
    assert set(y.index[[25, 26, 35, 36]]) <= set(hot)
    assert res.params["p_value"].startswith("normal approximation")
    one = gi_star_normal(y, sw, alternative="greater", correction="none")
    up = z > 0  # esda's p_norm is the tail beyond |z|: the one-sided p where z > 0
    np.testing.assert_allclose(one.frame["gi_p"].to_numpy()[up], ref.p_norm[up], atol=1e-12)


def test_cells_report_both_p_values_and_use_the_chosen_one(lattice):
    g, y = lattice
    both = patrol.gi_star_cells(y, g, permutations=99, seed=3, alpha=0.05)
    f = both.frame
    assert both.params["inference"] == "normal"
    np.testing.assert_array_equal(f["gi_p"], f["gi_p_normal"])
    assert (f["gi_p_perm"] >= 2 / 100 - 1e-12).all()  # the permutation floor
    perm = patrol.gi_star_cells(y, g, permutations=99, seed=3, inference="permutation")
    np.testing.assert_array_equal(perm.frame["gi_p"], perm.frame["gi_p_perm"])
    np.testing.assert_array_equal(perm.frame["gi_p_perm"], f["gi_p_perm"])
    np.testing.assert_array_equal(perm.frame["gi_z"], f["gi_z"])


@pytest.fixture(scope="module")
def city():
    pack = pipeline.load_pack()
    return analyse_patrol(pack.points, pack.areas, pack.meta.points_boroughs,
                          PatrolParams(seed=pack.meta.seed),
                          rejected=pack.meta.points_rejected,
                          source=pack.meta.points_source)


def test_city_normal_finds_hot_cells_and_says_so(city):
    g = city.grid
    n_normal, n_perm = int(g["gi_hot_normal"].sum()), int(g["gi_hot_perm"].sum())
    print(f"\nCity, 150 m, 2020-09 to 2020-11: Gi* hot cells {n_normal} (normal), "
          f"{n_perm} (9,999 permutations)")
    assert n_normal > 0
    assert g["gi_hot"].equals(g["gi_hot_normal"])  # the default inference is named ...
    text = city.method_text
    assert f"{n_normal} of {len(g)} cells by the normal approximation (used" in text
    assert f"{n_perm} of {len(g)} cells by 9,999 permutations" in text
    assert "can be found" not in text  # ... and nothing the result contradicts
    assert f"This run found {n_perm} hot cell" in text
    # both Gi* methods are backtested; the normal approximation chooses cells more often
    s = city.backtest.summary
    print(s[["months_pai", "median_pai", "mean_hit_rate", "months_no_cells"]].to_string())
    assert {"gi_star", "gi_star_perm"} <= set(s.index)
    assert s.loc["gi_star", "months_pai"] >= s.loc["gi_star_perm", "months_pai"]
    assert s.loc["gi_star", "months_pai"] > 0


def test_permutation_advice_follows_the_settings():
    from hotspots.patrol.params import permutation_note

    low = permutation_note(162, 999, found=0)
    assert "This run found 0 hot cells" in low and "9,999 permutations would lower" in low
    top = permutation_note(162, 99_999, found=0)
    assert "would lower" not in top and "More permutations would not change" in top
    some = permutation_note(162, 9_999, found=4)
    assert "found 4 hot cells" in some and "would" not in some
    assert "use 9,999" not in low + top + some
