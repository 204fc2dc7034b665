"""Hotspot statistics: hand-computed lattice cases, FDR, the permutation kernel, the table."""

from __future__ import annotations

import json
import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import stats
from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.stats import permutation as _perm
from hotspots.stats import registry as registry
from hotspots.stats import weights as weights
from tests.stats_reference import brute_force_lisa_p

# 3 x 3 rook lattice, positions 0..8 row by row from the bottom left:
#   6 7 8
#   3 4 5
#   0 1 2
ROOK_3X3 = {0: [1, 3], 1: [0, 2, 4], 2: [1, 5], 3: [0, 4, 6], 4: [1, 3, 5, 7], 5: [2, 4, 8],
            6: [3, 7], 7: [4, 6, 8], 8: [5, 7]}
X = np.array([8.0, 6.0, 2.0, 7.0, 5.0, 1.0, 9.0, 4.0, 3.0])
Y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0])


def grid(nx: int, ny: int, **columns: object) -> gpd.GeoDataFrame:
    cells = [box(x, y, x + 1, y + 1) for y in range(ny) for x in range(nx)]
    codes = [f"A{i:03d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"area_code": codes, "area_name": [f"Area {c}" for c in codes],
                             **columns}, geometry=cells, crs="EPSG:27700")


@pytest.fixture(scope="module")
def sw3():
    return weights.build_weights(grid(3, 3), kind="rook")


@pytest.fixture(scope="module")
def planted():
    """10 x 10 grid, noise plus a hot 4 x 4 block in one corner and a cold one opposite."""
    rng = np.random.default_rng(42)
    v = rng.gamma(4.0, 2.0, size=(10, 10))
    v[:4, :4] += 25.0
    v[6:, 6:] *= 0.05
    return grid(10, 10, value=v.ravel(), imd=rng.normal(20, 5, 100) + v.ravel())


def hand_binary() -> np.ndarray:
    w = np.zeros((9, 9))
    for i, js in ROOK_3X3.items():
        w[i, js] = 1.0
    return w


# --------------------------------------------------------------------------- by hand


def test_weights_are_the_hand_lattice(sw3):
    assert np.array_equal(sw3.adjacency.toarray(), hand_binary())


def test_global_moran_matches_textbook_formulas_on_3x3_rook(sw3):
    w = hand_binary()
    wr = w / w.sum(axis=1, keepdims=True)
    n, z = 9, X - X.mean()
    s0 = wr.sum()
    i_hand = n / s0 * (z @ wr @ z) / (z @ z)
    s1 = 0.5 * ((wr + wr.T) ** 2).sum()
    s2 = ((wr.sum(axis=1) + wr.sum(axis=0)) ** 2).sum()
    ei = -1 / (n - 1)
    vi = (n**2 * s1 - n * s2 + 3 * s0**2) / ((n**2 - 1) * s0**2) - ei**2
    res = stats.global_moran(X, sw3, permutations=199, seed=7)
    assert res.I == pytest.approx(i_hand, abs=1e-12)
    assert res.EI == pytest.approx(-0.125)
    assert res.z_norm == pytest.approx((i_hand - ei) / math.sqrt(vi), abs=1e-12)
    assert res.p_norm == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(abs(res.z_norm) / 2**0.5))))
    assert res.n == 9 and res.params["seed"] == 7 and res.params["permutations"] == 199
    assert res.params["weights"]["kind"] == "rook"
    assert 2 / 200 <= res.p_sim <= 1


def test_local_moran_and_bivariate_match_textbook_formulas(sw3):
    wr = hand_binary() / hand_binary().sum(axis=1, keepdims=True)
    zx = (X - X.mean()) / X.std()
    zy = (Y - Y.mean()) / Y.std()
    lisa = stats.local_moran(X, sw3, permutations=99, seed=1).frame
    np.testing.assert_allclose(lisa["lisa_i"], 8 * zx * (wr @ zx) / (zx @ zx), atol=1e-12)
    bv = stats.bivariate_local_moran(X, Y, sw3, permutations=99, seed=1).frame
    np.testing.assert_allclose(bv["bv_i"], 8 * zx * (wr @ zy) / (zx @ zx), atol=1e-12)
    # the global I is the sum of the local ones over n - 1
    assert lisa["lisa_i"].sum() / 8 == pytest.approx(
        stats.global_moran(X, sw3, permutations=9, seed=1).I, abs=1e-12)


def test_gi_star_matches_getis_ord_formulas(sw3):
    wstar = hand_binary() + np.eye(9)                  # binary, the area itself included
    n = 9
    wi = wstar.sum(axis=1)
    s1i = (wstar**2).sum(axis=1)
    xbar = X.mean()
    s = math.sqrt((X**2).sum() / n - xbar**2)
    z_hand = (wstar @ X - xbar * wi) / (s * np.sqrt((n * s1i - wi**2) / (n - 1)))
    g_hand = (wstar / wi[:, None]) @ X / X.sum()       # row-standardised G*
    gi = stats.local_gi_star(X, sw3, permutations=99, seed=3).frame
    np.testing.assert_allclose(gi["gi_z"], z_hand, atol=1e-12)
    np.testing.assert_allclose(gi["gi_g"], g_hand, atol=1e-15)
    assert list(gi.index) == list(sw3.ids)


def test_rate_moran_uses_assuncao_reis_standardisation(sw3):
    e = np.array([3.0, 5, 2, 8, 1, 0, 7, 4, 6])
    b = np.array([100.0, 400, 150, 300, 50, 80, 200, 120, 500])
    r = e / b
    beta = e.sum() / b.sum()
    a = (b * (r - beta) ** 2).sum() / b.sum() - beta / b.mean()
    v = np.where(a + beta / b < 0, beta / b, a + beta / b)
    zr = (r - beta) / np.sqrt(v)
    expected = stats.global_moran(zr, sw3, permutations=9, seed=1).I
    res = stats.global_moran_rate(e, b, sw3, permutations=9, seed=1)
    assert res.I == pytest.approx(expected, abs=1e-12)
    assert res.params["statistic"].startswith("rate-adjusted")


# --------------------------------------------------------------------------- FDR

BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
           0.4262, 0.5719, 0.6528, 0.7590, 1.000]


def test_fdr_rejects_four_in_the_benjamini_hochberg_1995_example():
    q = stats.adjust_pvalues(BH_1995, method="fdr")
    assert (q <= 0.05).sum() == 4
    assert np.flatnonzero(q <= 0.05).tolist() == [0, 1, 2, 3]
    m = len(BH_1995)
    by_hand = [min(min(BH_1995[j] * m / (j + 1) for j in range(i, m)), 1.0) for i in range(m)]
    np.testing.assert_allclose(q, by_hand, rtol=1e-12)


def test_bonferroni_rejects_three_and_none_leaves_p_alone():
    assert (stats.adjust_pvalues(BH_1995, method="bonferroni") <= 0.05).sum() == 3
    np.testing.assert_array_equal(stats.adjust_pvalues(BH_1995, method="none"), BH_1995)


def test_untested_areas_stay_nan_and_are_not_counted_in_the_family():
    q = stats.adjust_pvalues([0.01, np.nan, 0.02], method="bonferroni")
    assert np.isnan(q[1]) and q[0] == pytest.approx(0.02) and q[2] == pytest.approx(0.04)


@pytest.mark.parametrize(("p", "method", "match"), [
    ([0.1], "holm", r"method='holm' is not known: choose one of \['fdr', 'bonferroni', 'none'\]"),
    ([1.2], "fdr", "between 0 and 1"),
], ids=["unknown-method", "p-above-one"])
def test_adjust_pvalues_refuses_bad_input(p, method, match):
    with pytest.raises(ValueError, match=match):
        stats.adjust_pvalues(p, method=method)


# --------------------------------------------------------------------------- kernel


def test_pseudo_p_formulas_by_hand():
    ge, le = np.array([0, 10, 60]), np.array([99, 90, 40])
    assert _perm.pseudo_p(ge, le, 99, "two-sided").tolist() == [0.02, 0.22, 0.82]
    assert _perm.pseudo_p(ge, le, 99, "greater").tolist() == [0.01, 0.11, 0.61]
    assert _perm.pseudo_p(ge, le, 99, "lesser").tolist() == [1.0, 0.91, 0.41]


def test_sample_others_draws_uniform_subsets_of_the_other_areas():
    rng = np.random.default_rng(5)
    draws = 28_000
    idx = _perm.sample_others(rng, np.array([4]), 2, draws, 9)
    assert (idx != 4).all() and (idx[0] != idx[1]).all()
    lo, hi = np.minimum(idx[0], idx[1]), np.maximum(idx[0], idx[1])
    _, counts = np.unique(lo * 9 + hi, return_counts=True)
    assert len(counts) == 28                        # every pair of the 8 others occurs
    expected = draws / 28
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 61.1                              # 99.99th percentile of chi-square(27)


def test_neighbour_sums_are_sums_over_the_drawn_areas():
    y = np.arange(10.0) ** 2
    k = np.array([1, 3, 3, 0, 2, 9, 1, 3, 2, 2])
    sums = _perm.neighbour_sums(y, k, 50, 11)
    rng = np.random.default_rng(11)                 # replay the draws, group by group
    for kv in (1, 2, 3, 9):
        sites = np.flatnonzero(k == kv)
        idx = _perm.sample_others(rng, sites, kv, 50, 10)
        np.testing.assert_array_equal(sums[sites], y[idx].sum(axis=0).reshape(len(sites), 50))
    assert np.isnan(sums[3]).all()
    ge, le = _perm.neighbour_sum_counts(y, k, sums[:, 7], 50, 11)
    assert (ge[k > 0] >= 1).all() and (le[k > 0] >= 1).all()   # draw 7 ties itself


def test_kernel_p_values_agree_with_a_brute_force_reference(planted):
    sw = weights.build_weights(planted, kind="rook")
    y = planted["value"].to_numpy()
    ours = stats.local_moran(y, sw, permutations=999, seed=2).frame["lisa_p"].to_numpy()
    # reference: each area's neighbours replaced by a fresh permutation of the others
    reps = 4000
    ref = brute_force_lisa_p(y, sw.adjacency, reps, seed=99)
    se = np.sqrt(ref * (2 - ref) / 999 + ref * (2 - ref) / reps)
    assert (np.abs(ours - ref) <= 4.5 * se + 0.004).all()
    assert abs((ours - ref).mean()) < 0.01


def test_null_p_values_are_calibrated():
    rng = np.random.default_rng(8)
    layer = grid(20, 20, value=rng.normal(size=400))
    sw = weights.build_weights(layer)
    p = stats.local_moran(layer.set_index("area_code")["value"], sw, permutations=199,
                          seed=4).frame["lisa_p"]
    for level in (0.1, 0.3, 0.5):
        assert abs((p <= level).mean() - level) < 4 * math.sqrt(level * (1 - level) / 400) + 0.01


# --------------------------------------------------------------------------- local results


def test_same_seed_same_output_other_seed_changes_only_p_within_sampling_error(planted):
    sw = weights.build_weights(planted)
    v = planted.set_index("area_code")["value"]
    a = stats.local_moran(v, sw, seed=1).frame
    b = stats.local_moran(v, sw, seed=1).frame
    c = stats.local_moran(v, sw, seed=2).frame
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(a["lisa_i"], c["lisa_i"])
    assert not a["lisa_p"].equals(c["lisa_p"])
    pbar = (a["lisa_p"] + c["lisa_p"]) / 2
    se = np.sqrt(2 * pbar * (2 - pbar) / 999)
    assert ((a["lisa_p"] - c["lisa_p"]).abs() <= 4.5 * se + 0.004).all()


def test_gi_star_labels_follow_q_and_the_sign_of_z(planted):
    sw = weights.build_weights(planted)
    # 9999 permutations: with 999 the smallest q over 100 areas cannot reach 0.01 here
    res = stats.local_gi_star(planted.set_index("area_code")["value"], sw, seed=5, alpha=0.10,
                              permutations=9999)
    f = res.frame
    assert set(f["gi_class"]) <= {"Hot 99%", "Hot 95%", "Hot 90%", "Not significant",
                                  "Cold 90%", "Cold 95%", "Cold 99%"}
    hot99 = f["gi_class"] == "Hot 99%"
    assert hot99.any() and (f.loc[hot99, "gi_q"] <= 0.01).all() and (f.loc[hot99, "gi_z"] > 0).all()
    cold = f["gi_class"].str.startswith("Cold")
    assert cold.any() and (f.loc[cold, "gi_z"] < 0).all()
    band95 = f["gi_class"].str.endswith("95%")
    assert f.loc[band95, "gi_q"].between(0.01, 0.05, inclusive="right").all()
    assert (f.loc[f["gi_class"] == "Not significant", "gi_q"] > 0.10).all()
    assert "A000" in f.index[hot99] and "A099" in f.index[cold]    # the planted corners
    assert res.params["alpha"] == 0.10 and res.params["correction"] == "fdr"
    default = stats.local_gi_star(planted.set_index("area_code")["value"], sw, seed=5).frame
    # alpha 0.05 still shows the 90% classes (ArcGIS Gi_Bin convention), on gi_q
    band90 = default["gi_class"].str.endswith("90%")
    assert band90.any()
    assert default.loc[band90, "gi_q"].between(0.05, 0.10, inclusive="right").all()


def test_lisa_quadrant_only_where_significant_and_gi_shares_its_p(planted):
    sw = weights.build_weights(planted)
    v = planted.set_index("area_code")["value"]
    lisa = stats.local_moran(v, sw, seed=9, correction="fdr", alpha=0.05)
    f = lisa.frame
    sig = f["lisa_q"] <= 0.05
    assert set(f.loc[sig, "lisa_quadrant"]) <= {"HH", "LL", "HL", "LH"}
    assert (f.loc[~sig, "lisa_quadrant"] == "ns").all()
    assert f.loc["A000", "lisa_quadrant"] == "HH" and f.loc["A099", "lisa_quadrant"] == "LL"
    np.testing.assert_allclose(f["lisa_q"], stats.adjust_pvalues(f["lisa_p"], method="fdr"))
    gi = stats.local_gi_star(v, sw, seed=9).frame
    pd.testing.assert_series_equal(gi["gi_p"], f["lisa_p"], check_names=False)
    params = lisa.params
    assert (params["permutations"], params["seed"], params["alternative"]) == (999, 9,
                                                                               "two-sided")
    assert params["weights"]["kind"] == "queen" and params["n_significant"] == int(sig.sum())


@pytest.mark.parametrize("correction", ["fdr", "bonferroni", "none"])
def test_correction_is_a_parameter(planted, correction):
    sw = weights.build_weights(planted)
    f = stats.local_moran(planted.set_index("area_code")["value"], sw, seed=3, permutations=199,
                          correction=correction).frame
    np.testing.assert_allclose(f["lisa_q"], stats.adjust_pvalues(f["lisa_p"], method=correction))


def test_island_left_without_neighbours_is_not_tested_nor_counted():
    layer = grid(4, 4, value=np.arange(16.0))
    layer.loc[16] = ["Z", "Far", 3.0, box(30, 30, 31, 31)]
    sw = weights.build_weights(layer, island_fallback="none")
    v = layer.set_index("area_code")["value"]
    gi = stats.local_gi_star(v, sw, seed=1, permutations=199)
    lisa = stats.local_moran(v, sw, seed=1, permutations=199).frame
    assert gi.frame.loc["Z", "gi_class"] == "No neighbours" and np.isnan(gi.frame.loc["Z", "gi_p"])
    assert lisa.loc["Z", "lisa_quadrant"] == "no neighbours"
    tested = lisa.drop(index="Z")
    np.testing.assert_allclose(tested["lisa_q"],
                               stats.adjust_pvalues(tested["lisa_p"], method="fdr"))
    assert gi.params["n_tested"] == 16


def test_series_in_another_order_is_aligned_by_code(sw3):
    v = pd.Series(X, index=sw3.ids)
    a = stats.local_moran(v, sw3, seed=1, permutations=99).frame
    b = stats.local_moran(v.iloc[::-1], sw3, seed=1, permutations=99).frame
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- esda


def test_statistics_equal_esda_to_1e_12():
    esda_moran = pytest.importorskip("esda.moran")
    esda_g = pytest.importorskip("esda.getisord")
    rng = np.random.default_rng(3)
    layer = grid(8, 8, value=rng.gamma(2.0, 3.0, 64), other=rng.normal(10, 2, 64))
    sw = weights.build_weights(layer)
    y, x2 = layer["value"].to_numpy(), layer["other"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = esda_moran.Moran(y, sw.w, permutations=0)
        ml = esda_moran.Moran_Local(y, sw.w, permutations=0)
        bv = esda_moran.Moran_Local_BV(y, x2, sw.w, permutations=0)
        gb = esda_g.G_Local(y, sw.w, transform="B", star=True, permutations=0)
        gr = esda_g.G_Local(y, sw.w, transform="R", star=True, permutations=0)
        mr = esda_moran.Moran_Rate(np.round(y), np.round(x2 * 100), sw.w, permutations=0)
    ours = stats.global_moran(y, sw, seed=1, permutations=9)
    for mine, theirs in [(ours.I, m.I), (ours.z_norm, m.z_norm), (ours.z_rand, m.z_rand),
                         (ours.p_norm, m.p_norm), (ours.p_rand, m.p_rand)]:
        assert mine == pytest.approx(theirs, abs=1e-12)
    rate = stats.global_moran_rate(np.round(y), np.round(x2 * 100), sw, seed=1, permutations=9)
    assert rate.I == pytest.approx(mr.I, abs=1e-12)
    assert rate.z_norm == pytest.approx(mr.z_norm, abs=1e-12)
    lisa = stats.local_moran(y, sw, seed=1, permutations=9).frame
    np.testing.assert_allclose(lisa["lisa_i"], ml.Is, atol=1e-12)
    np.testing.assert_array_equal(lisa["lisa_quadrant"].where(lisa["lisa_q"] <= 0.05, "ns"),
                                  lisa["lisa_quadrant"])
    np.testing.assert_allclose(stats.bivariate_local_moran(y, x2, sw, seed=1, permutations=9)
                               .frame["bv_i"], bv.Is, atol=1e-12)
    gi = stats.local_gi_star(y, sw, seed=1, permutations=9).frame
    np.testing.assert_allclose(gi["gi_z"], gb.Zs, atol=1e-12)
    np.testing.assert_allclose(gi["gi_g"], gr.Gs, atol=1e-15)
    # esda's transform="R" z takes the row sum (1) for the neighbour count: not comparable
    assert np.abs(gr.Zs).mean() < 0.75 * np.abs(gb.Zs).mean()


# --------------------------------------------------------------------------- classes


def test_bivariate_classes_by_hand():
    x = pd.Series([1.0, 2, 3, 4, 5, 6, np.nan, 7, 8], index=list("abcdefghi"))
    y = pd.Series([9.0, 8, 7, 6, 5, 4, 3, 2, 1], index=list("abcdefghi"))
    out = stats.bivariate_classes(x, y)
    # terciles of x (8 values): cuts 3.33, 5.67 -> 1,1,1,2,2,3,-,3,3
    # terciles of y (the 8 pairs present: 9,8,7,6,5,4,2,1): cuts 4, 6.67 -> 3,3,3,2,2,1,-,1,1
    assert out["bv_class"].tolist()[:6] == [3, 3, 3, 5, 5, 7]
    assert pd.isna(out.loc["g", "bv_class"]) and out.loc["g", "bv_class_label"] == "no data"
    assert out.loc["a", "bv_class_label"] == "low-high"
    assert out.loc["i", "bv_class_label"] == "high-low" and out.loc["i", "bv_class"] == 7
    assert out["bv_class"].dtype == "Int64"
    with pytest.raises(InputDataError, match="different indexes"):
        stats.bivariate_classes(x, y.iloc[::-1].reset_index(drop=True))


# --------------------------------------------------------------------------- table


def test_hotspot_table_leaves_areas_without_data_out_and_says_so(planted):
    layer = planted.copy()
    layer.loc[layer["area_code"] == "A055", "value"] = np.nan
    table, params = stats.hotspot_table(layer, value_col="value", imd_col="imd", seed=12,
                                        permutations=199)
    assert list(table.columns) == [
        "area_code", "n_neighbours", "weights_fallback", "gi_g", "gi_z", "gi_p", "gi_q",
        "gi_class", "lisa_i", "lisa_quadrant", "lisa_p", "lisa_q", "bv_i", "bv_quadrant",
        "bv_p", "bv_q", "bv_class", "bv_class_label"]
    assert table["area_code"].tolist() == layer["area_code"].tolist()
    row = table.set_index("area_code").loc["A055"]
    assert row["gi_class"] == "No data" and row["lisa_quadrant"] == "no data"
    assert row["bv_class_label"] == "no data" and row["weights_fallback"] == "no data"
    assert pd.isna(row["gi_z"]) and pd.isna(row["n_neighbours"])
    # its neighbours lost it: A054 has 4 queen neighbours left on the full grid's 8 - 1
    full = weights.build_weights(planted)
    assert table.set_index("area_code").loc["A054", "n_neighbours"] == \
        full.n_neighbours["A054"] - 1
    assert params["no_data"] == ["A055"] and params["n_with_data"] == 99
    assert any("A055 (Area A055)" in line and "never as zero" in line
               for line in params["report"])
    json.dumps(params)                                # ready for the run manifest


def test_hotspot_table_parameters_travel_with_the_result(planted):
    layer = planted.assign(pop=np.linspace(500, 5000, 100), count=np.round(planted["value"]))
    table, params = stats.hotspot_table(layer, value_col="count", population_col="pop",
                                        weights="rook", seed=3, permutations=99,
                                        correction="bonferroni", alpha=0.10)
    assert params["weights"]["kind"] == "rook"
    assert (params["permutations"], params["seed"], params["correction"], params["alpha"]) == (
        99, 3, "bonferroni", 0.10)
    assert params["global_moran"]["I"] > 0.3
    assert params["global_moran_rate"]["params"]["statistic"].startswith("rate-adjusted")
    assert "bv_i" not in table.columns
    sw = weights.build_weights(layer, kind="rook")
    direct = stats.local_moran(layer.set_index("area_code")["count"], sw, seed=3,
                               permutations=99, correction="bonferroni", alpha=0.10).frame
    np.testing.assert_allclose(table["lisa_p"], direct["lisa_p"])


def test_hotspot_table_accepts_ready_weights_only_for_the_same_layer(planted):
    sw = weights.build_weights(planted, kind="knn", k=4)
    table, params = stats.hotspot_table(planted, value_col="value", weights=sw, seed=1,
                                        permutations=99)
    assert (table["n_neighbours"] == 4).all() and params["weights"]["k"] == 4
    with pytest.raises(InputDataError, match="built on another layer"):
        stats.hotspot_table(planted.iloc[:50], value_col="value", weights=sw, seed=1)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda sw: stats.local_moran(pd.Series(X, index=list("abcdefghi")), sw, seed=1),
     InputDataError, "not aligned with the weights: 9 weights areas have no value"),
    (lambda sw: stats.local_moran(X[:5], sw, seed=1), InputDataError,
     r"got \(5,\) values for 9 areas"),
    (lambda sw: stats.local_gi_star(np.r_[X[:8], np.nan], sw, seed=1), InputDataError,
     "missing or infinite value.*hotspot_table"),
    (lambda sw: stats.local_gi_star(X - 5, sw, seed=1), InputDataError, r"Gi\* needs values >= 0"),
    (lambda sw: stats.global_moran(np.ones(9), sw, seed=1), InputDataError, "single value"),
    (lambda sw: stats.local_moran(X, sw, seed=-1), ValueError, "seed=-1"),
    (lambda sw: stats.local_moran(X, sw, seed=1, permutations=0), ValueError, "permutations=0"),
    (lambda sw: stats.local_moran(X, sw, seed=1, alternative="two_sided"), ValueError,
     r"alternative='two_sided' is not known: choose one of \['two-sided'"),
    (lambda sw: stats.local_moran(X, sw, seed=1, correction="BH"), ValueError,
     "correction='BH' is not known"),
    (lambda sw: stats.local_moran(X, sw, seed=1, alpha=5), ValueError, "alpha=5"),
    (lambda sw: stats.global_moran_rate(X, np.r_[0.0, X[1:]], sw, seed=1), InputDataError,
     "population > 0"),
], ids=["misaligned-series", "wrong-length", "nan", "negative-gi", "constant", "bad-seed",
        "no-permutations", "unknown-alternative", "unknown-correction", "bad-alpha",
        "zero-population"])
def test_bad_input_raises_naming_the_fix(sw3, call, error, match):
    with pytest.raises(error, match=match):
        call(sw3)


def test_seed_is_required(sw3):
    with pytest.raises(TypeError, match="seed"):
        stats.local_moran(X, sw3)  # type: ignore[call-arg]


@pytest.mark.parametrize(("frame", "kwargs", "error", "match"), [
    (grid(3, 3, value=X), {"value_col": "count"}, ColumnMappingError,
     "value_col='count' is not a column"),
    (pd.DataFrame({"area_code": list("abc"), "value": [1.0, 2, 3]}), {"value_col": "value"},
     TypeError, "must be a GeoDataFrame"),
    (grid(3, 3, value=["1", "x", "3", "4", "5", "6", "7", "8", "9"]), {"value_col": "value"},
     InputDataError, "not numbers in 1 rows"),
    (grid(3, 3, value=X), {"value_col": "value", "weights": "hexagon"}, ValueError,
     "kind='hexagon' is not known"),
    (grid(3, 3, value=[1.0, 2.0] + [np.nan] * 7), {"value_col": "value"}, InputDataError,
     "only 2 of 9 areas have a value"),
], ids=["missing-column", "not-geodataframe", "not-numbers", "unknown-weights", "almost-no-data"])
def test_hotspot_table_refuses_bad_frames(frame, kwargs, error, match):
    with pytest.raises(error, match=match):
        stats.hotspot_table(frame, seed=1, permutations=9, **kwargs)


# --------------------------------------------------------------------------- registry


def test_registry_keys_prefixes_and_columns_are_unique():
    keys = [s.key for s in registry.REGISTRY]
    assert len(keys) == len(set(keys))
    local = registry.local_statistics()
    assert len({s.prefix for s in local}) == len(local)
    names = [c for s in local for c in s.column_names]
    assert len(names) == len(set(names))
    for s in local:
        assert all(c.startswith(s.prefix + "_") for c in s.column_names), s.key
        assert s.column("class") is not None and s.column("p") and s.column("q"), s.key
    assert {s.key for s in registry.global_statistics()} >= {"global_moran"}


def test_registry_references_name_esda_functions():
    esda = pytest.importorskip("esda")
    for s in registry.REGISTRY:
        assert s.reference.startswith("esda."), s.key
        assert hasattr(esda, s.reference.removeprefix("esda.").split("(")[0]), s.reference


def test_hotspot_table_columns_and_parameters_come_from_the_registry(planted):
    table, params = stats.hotspot_table(planted, value_col="value", imd_col="imd", seed=5,
                                        permutations=99)
    expected = [c for s in registry.local_statistics() for c in s.column_names]
    assert list(table.columns) == ["area_code", "n_neighbours", "weights_fallback", *expected]
    assert set(registry.export_columns()) <= set(table.columns)
    for s in registry.REGISTRY:
        assert s.key in params, s.key
    for s in registry.local_statistics():
        keys = {c.key for c in s.classes(0.05)}
        assert set(table[s.col("class")].astype(str)) <= keys, s.key
    for s in registry.global_statistics():
        g = params[s.key]
        assert {s.symbol, "E" + s.symbol, "p_sim", "z_sim", "n"} <= set(g), s.key


@pytest.mark.parametrize("key", [s.key for s in registry.local_statistics()])
def test_each_local_statistic_on_its_own_gives_its_columns(planted, key):
    s = registry.get(key)
    sw = weights.build_weights(planted)
    v = planted.set_index("area_code")["value"]
    others = [planted.set_index("area_code")["imd"]] if s.needs else []
    res = s.function(v, *others, sw, seed=2, permutations=99)
    shown = [c for c in s.column_names if c in res.frame.columns]
    assert shown == list(res.frame.columns), key
    # the same numbers as in the table (the same seed gives the same draws)
    table, _ = stats.hotspot_table(planted, value_col="value", imd_col="imd", seed=2,
                                   permutations=99)
    np.testing.assert_allclose(table[s.col("p")], res.frame[s.col("p")].to_numpy())


def test_gi_categories_follow_alpha():
    gi = registry.get("gi_star")
    assert [c.key for c in gi.classes(0.05)][:4] == ["Hot 99%", "Hot 95%", "Hot 90%",
                                                      "Not significant"]
    assert gi.levels(0.05) == [0.01, 0.05, 0.1] and gi.levels(0.2) == [0.01, 0.05, 0.1, 0.2]
    assert [c.colour for c in gi.classes(0.2) if c.kind == "class"][:2] == ["hot-1/4", "hot-2/4"]


# --------------------------------------------------------------------------- Geary's C


def test_geary_equals_esda_and_shares_the_global_draws():
    esda_geary = pytest.importorskip("esda.geary")
    from hotspots.stats.geary import global_geary, permuted_geary

    rng = np.random.default_rng(11)
    layer = grid(9, 7, value=rng.gamma(2.0, 3.0, 63))
    layer.loc[:8, "value"] += 15.0                     # a clustered bottom row
    sw = weights.build_weights(layer)
    y = layer["value"].to_numpy()
    ours = global_geary(y, sw, seed=4, permutations=999)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = esda_geary.Geary(y, sw.w, permutations=0)
    # the statistic, its moments and z: the same formulas
    for mine, ref in [(ours.C, theirs.C), (ours.EC, theirs.EC), (ours.z_norm, theirs.z_norm),
                      (ours.z_rand, theirs.z_rand)]:
        assert mine == pytest.approx(ref, abs=1e-9)
    # esda's analytical p is one-tailed towards C - 1: ours with that alternative, or half
    # the two-sided one
    tail = "lesser" if ours.C < 1 else "greater"
    one = global_geary(y, sw, seed=4, permutations=9, alternative=tail)
    assert one.p_norm == pytest.approx(theirs.p_norm, abs=1e-9)
    assert one.p_rand == pytest.approx(theirs.p_rand, abs=1e-9)
    assert ours.p_norm / 2 == pytest.approx(theirs.p_norm, abs=1e-9)
    assert ours.C < 1 and ours.p_sim <= 0.01                  # clustered: C below 1
    # the permuted C are esda's C of our permuted maps (Moran's I's draws, same seed)
    w = sw.row_standardised()
    sims = permuted_geary(y, w, 50, seed=4)
    draws = np.concatenate(list(_perm.permuted_blocks(y, 50, seed=4)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(
            sims, [esda_geary.Geary(d, sw.w, permutations=0).C for d in draws], atol=1e-9)
    z = y - y.mean()
    moran_sims = _perm.permuted_global_moran(z, w, 50, seed=4)
    np.testing.assert_allclose(moran_sims, [(len(y) / w.sum()) * (d - d.mean()) @ (w @ (
        d - d.mean())) / (z @ z) for d in draws], atol=1e-12)


def test_geary_permutation_distribution_agrees_with_esda():
    """esda permutes with numpy's global state, so compare the distributions, not the draws."""
    esda_geary = pytest.importorskip("esda.geary")
    from hotspots.stats.geary import global_geary

    rng = np.random.default_rng(5)
    layer = grid(8, 8, value=rng.gamma(2.0, 3.0, 64))
    sw = weights.build_weights(layer)
    y = layer["value"].to_numpy()
    ours = global_geary(y, sw, seed=9, permutations=4999)
    np.random.seed(9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = esda_geary.Geary(y, sw.w, permutations=4999)
    # Monte Carlo: mean to 4 standard errors, sd to 5%; pseudo p (esda one-tailed) close
    assert abs(ours.EC_sim - theirs.EC_sim) < 4 * theirs.seC_sim * math.sqrt(2 / 4999)
    assert ours.se_sim == pytest.approx(theirs.seC_sim, rel=0.05)
    assert ours.se_sim == pytest.approx(math.sqrt(
        esda_geary.Geary(y, sw.w, permutations=0).VC_rand), rel=0.05)
    assert ours.p_sim / 2 == pytest.approx(theirs.p_sim, abs=0.03)


def test_geary_refuses_what_moran_refuses(sw3):
    from hotspots.stats.geary import global_geary

    with pytest.raises(InputDataError, match="single value"):
        global_geary(np.ones(9), sw3, seed=1)
    with pytest.raises(ValueError, match="seed=-1"):
        global_geary(X, sw3, seed=-1)
    res = global_geary(pd.Series(X, index=sw3.ids).iloc[::-1], sw3, seed=1, permutations=99)
    assert res == global_geary(X, sw3, seed=1, permutations=99)       # aligned by code
    assert json.dumps(res.to_dict()) and "Geary's C = " in res.text


def test_geary_is_in_the_registry_and_the_hotspot_table(planted):
    from hotspots.stats.geary import global_geary

    entry = registry.get("global_geary")
    assert entry in registry.global_statistics() and entry.clustered(0.8)
    _, params = stats.hotspot_table(planted, value_col="value", seed=6, permutations=199)
    direct = global_geary(planted.set_index("area_code")["value"],
                          weights.build_weights(planted), seed=6, permutations=199)
    assert params["global_geary"] == json.loads(json.dumps(direct.to_dict()))
    assert params["global_geary"]["C"] < 1 and params["global_moran"]["I"] > 0  # clustered


@pytest.mark.parametrize("n, permutations", [(37, 999), (40_001, 250)])  # kept / not kept
def test_global_draws_are_rng_permuted_of_the_values_and_repeat_exactly(n, permutations):
    values = np.random.default_rng(2).gamma(2.0, 3.0, n)
    step = max(1, 250_000 // n)
    rng = np.random.default_rng(8)
    expected = [rng.permuted(np.broadcast_to(values, (min(s + step, permutations) - s, n)),
                             axis=1) for s in range(0, permutations, step)]
    for _ in range(2):  # the second call may come from the positions kept
        got = list(_perm.permuted_blocks(values, permutations, seed=8))
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e)


def test_lisa_then_gi_star_share_one_simulation_with_the_same_p_values(monkeypatch):
    from hotspots.stats import significance

    rng = np.random.default_rng(21)
    layer = grid(8, 7, value=rng.gamma(2.0, 3.0, 56))
    sw = weights.build_weights(layer)
    y = layer["value"].to_numpy()
    significance._LAST_SIMS.clear()
    calls = []
    real = _perm.neighbour_sum_counts_many
    monkeypatch.setattr(_perm, "neighbour_sum_counts_many",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    lisa = stats.local_moran(y, sw, seed=3, permutations=199)
    gi = stats.local_gi_star(y, sw, seed=3, permutations=199)
    assert len(calls) == 1                                     # the draws were shared
    significance._LAST_SIMS.clear()
    fresh = stats.local_gi_star(y, sw, seed=3, permutations=199)
    assert len(calls) == 2
    np.testing.assert_array_equal(gi.frame["gi_p"], fresh.frame["gi_p"])  # as simulated anew
    np.testing.assert_array_equal(gi.frame["gi_p"], lisa.frame["lisa_p"])  # one count, one p
    other = stats.local_gi_star(y, sw, seed=4, permutations=199)
    assert len(calls) == 3 and not np.array_equal(other.frame["gi_p"], gi.frame["gi_p"])
