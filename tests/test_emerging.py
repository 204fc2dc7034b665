"""Emerging hot spots: every category on hand-made series, the 90% rule, precedence,
Mann-Kendall against scipy, and Gi* per step on a small grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from shapely.geometry import box

from hotspots._errors import InputDataError
from hotspots.stats import local_gi_star
from hotspots.stats.emerging import (
    CATEGORIES,
    classify_emerging,
    emerging_hotspots,
    gi_star_series,
    mann_kendall,
    mann_kendall_table,
)
from hotspots.stats.weights import build_weights

H, C, N = "hot", "cold", "ns"


def classify(states: list[str], trend: str = "no trend") -> str:
    st = pd.DataFrame([states], index=["u"])
    return classify_emerging(st, pd.Series([trend], index=["u"])).iloc[0]


def swap(states: list[str]) -> list[str]:
    return [{H: C, C: H}.get(s, s) for s in states]


# 10 steps each; (states for the hot version, trend for hot, trend for cold, category stem)
CASES = {
    "new": ([N] * 9 + [H], "no trend", "no trend"),
    "consecutive": ([N] * 7 + [H] * 3, "no trend", "no trend"),
    "intensifying": ([H] * 10, "increasing", "decreasing"),
    "persistent": ([H] * 10, "no trend", "no trend"),
    "diminishing": ([H] * 10, "decreasing", "increasing"),
    "sporadic": ([N, H, N, N, H, H, N, N, N, H], "no trend", "no trend"),
    "oscillating": ([C, N, N, N, N, N, N, N, H, H], "no trend", "no trend"),
    "historical": ([H] * 9 + [N], "no trend", "no trend"),
}


@pytest.mark.parametrize("stem", list(CASES), ids=list(CASES))
def test_every_hot_category(stem):
    states, trend, _ = CASES[stem]
    assert classify(states, trend) == f"{stem} hot spot"


@pytest.mark.parametrize("stem", list(CASES), ids=list(CASES))
def test_every_cold_category(stem):
    states, _, trend = CASES[stem]
    assert classify(swap(states), trend) == f"{stem} cold spot"


@pytest.mark.parametrize("states", [[N] * 10, [N, H, H, N, N, N, N, N, N, N],
                                    [C] * 8 + [N] * 2, [H, C] * 4 + [N, N]],
                         ids=["all ns", "hot once, ends ns", "80% cold, ends ns", "mixed ns"])
def test_no_pattern(states):
    assert classify(states) == "no pattern detected"


def test_registry_holds_every_category_once():
    stems = ["new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
             "oscillating", "historical"]
    expected = {"no pattern detected"} | {f"{s} {w} spot" for s in stems for w in ("hot", "cold")}
    assert set(CATEGORIES) == expected


# --------------------------------------------------------------------------- 90% boundary


def test_ninety_percent_boundary_ten_steps():
    # 9 of 10 hot including the final step: at the threshold -> persistent
    assert classify([N] + [H] * 9) == "persistent hot spot"
    # 8 of 10: below -> one unbroken final run -> consecutive
    assert classify([N, N] + [H] * 8) == "consecutive hot spot"
    # historical: 9 of 10 hot and final ns, but 8 of 10 is not enough
    assert classify([H] * 9 + [N]) == "historical hot spot"
    assert classify([N] + [H] * 8 + [N]) == "no pattern detected"


def test_ninety_percent_boundary_twelve_steps():
    # 0.9 * 12 = 10.8: 11 hot steps are needed, 10 are not
    assert classify([N] + [H] * 11, "increasing") == "intensifying hot spot"
    assert classify([N, N] + [H] * 10, "increasing") == "consecutive hot spot"
    assert classify([H, N, N] + [H] * 9, "increasing") == "sporadic hot spot"


def test_fewer_than_ten_steps_need_every_step():
    assert classify([H] * 5) == "persistent hot spot"
    assert classify([N] + [H] * 4) == "consecutive hot spot"  # 4 / 5 = 80%


def test_threshold_is_an_option():
    assert classify_emerging(pd.DataFrame([[N] + [H] * 4]), pd.Series(["no trend"]),
                             threshold=0.8).iloc[0] == "persistent hot spot"


# --------------------------------------------------------------------------- precedence


def test_final_step_decides_the_family():
    # 90% cold but hot at the end: oscillating hot, not historical cold
    assert classify([C] * 9 + [H]) == "oscillating hot spot"
    assert classify([H] * 9 + [C]) == "oscillating cold spot"


def test_earlier_cold_makes_oscillating_not_new_or_consecutive():
    assert classify([C] + [N] * 8 + [H]) == "oscillating hot spot"
    assert classify([C, N, N, N, N, N, N, H, H, H]) == "oscillating hot spot"


def test_ninety_percent_wins_over_oscillating():
    # one cold step among 10, 9 hot including the final one
    assert classify([C] + [H] * 9, "increasing") == "intensifying hot spot"


def test_trend_ignored_below_ninety_percent_and_untested_trend_is_no_trend():
    assert classify([N] * 7 + [H] * 3, "increasing") == "consecutive hot spot"
    assert classify([H] * 10, "not tested") == "persistent hot spot"
    # a hot spot whose z rises is not a diminishing cold spot, and vice versa
    assert classify([C] * 10, "increasing") == "diminishing cold spot"


def test_consecutive_needs_a_run_of_two_and_no_earlier_hot():
    assert classify([N] * 8 + [H, H]) == "consecutive hot spot"
    assert classify([H] + [N] * 7 + [H, H]) == "sporadic hot spot"
    assert classify([N] * 9 + [H]) == "new hot spot"


def test_bad_status_and_missing_trend_raise():
    st = pd.DataFrame([[N, "warm"]], index=["u"])
    with pytest.raises(InputDataError, match="unknown status 'warm'.*unit 'u'"):
        classify_emerging(st, pd.Series(["no trend"], index=["u"]))
    with pytest.raises(InputDataError, match="trend has no row for 1 units"):
        classify_emerging(pd.DataFrame([[N, H]], index=["u"]), pd.Series(dtype=object))
    with pytest.raises(InputDataError, match="unknown trend"):
        classify_emerging(pd.DataFrame([[N, H]], index=["u"]), pd.Series(["up"], index=["u"]))


# --------------------------------------------------------------------------- Mann-Kendall


def test_mann_kendall_tau_equals_scipy_kendalltau_without_ties():
    rng = np.random.default_rng(7)
    x = rng.permutation(np.arange(15, dtype=float)) + np.linspace(0, 8, 15)
    assert len(np.unique(x)) == len(x)
    r = mann_kendall(x)
    assert r["tau"] == pytest.approx(sps.kendalltau(np.arange(15), x).statistic, abs=1e-12)
    # S counted by hand: sum over pairs i < j of sign(x_j - x_i)
    s = sum(np.sign(x[j] - x[i]) for i in range(15) for j in range(i + 1, 15))
    assert r["s"] == s
    assert r["trend"] == ("increasing" if r["p"] <= 0.05 and s > 0 else "no trend")


def test_mann_kendall_directions_nan_and_short_series():
    assert mann_kendall(np.arange(10.0))["trend"] == "increasing"
    assert mann_kendall(-np.arange(10.0))["trend"] == "decreasing"
    assert mann_kendall([1.0, 3.0, 2.0, 3.0, 1.0, 2.0])["trend"] == "no trend"
    skipped = mann_kendall([1.0, np.nan, 2.0, 3.0, 4.0])
    assert skipped["n"] == 4 and skipped["tau"] == pytest.approx(1.0)
    short = mann_kendall([1.0, np.nan, 2.0])
    assert short["trend"] == "not tested" and np.isnan(short["tau"])
    table = mann_kendall_table(pd.DataFrame([np.arange(10.0), -np.arange(10.0)],
                                            index=["up", "down"]))
    assert table["trend"].tolist() == ["increasing", "decreasing"]
    assert table["tau"].tolist() == pytest.approx([1.0, -1.0])


# --------------------------------------------------------------------------- Gi* series


def grid(n: int = 6) -> gpd.GeoDataFrame:
    cells = [(r, c) for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame({"area_code": [f"r{r}c{c}" for r, c in cells]},
                            geometry=[box(c, r, c + 1, r + 1) for r, c in cells],
                            crs="EPSG:27700")


def cluster_counts(steps: int = 10, seed: int = 3) -> pd.DataFrame:
    """Background 0-2 per cell; a 3 x 3 block in the corner with 12-15 every step."""
    g = grid()
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 3, size=(len(g), steps)).astype(float)
    block = g["area_code"].isin([f"r{r}c{c}" for r in range(3) for c in range(3)]).to_numpy()
    data[block] = rng.integers(12, 16, size=(int(block.sum()), steps))
    months = [f"2024-{m:02d}" for m in range(1, steps + 1)]
    return pd.DataFrame(data, index=g["area_code"], columns=months)


def test_gi_star_series_equals_local_gi_star_per_step_and_flags_flat_steps():
    g, counts = grid(), cluster_counts()
    counts["2024-05"] = 0.0  # no crime anywhere that month: Gi* undefined
    sw = build_weights(g)
    gi = gi_star_series(counts.iloc[::-1], sw, permutations=999, seed=11, alpha=0.10)
    assert gi.z.index.tolist() == sw.ids.tolist()
    one = local_gi_star(counts["2024-03"], sw, permutations=999, seed=11 + 2, alpha=0.10)
    np.testing.assert_allclose(gi.z["2024-03"], one.frame["gi_z"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(gi.q["2024-03"], one.frame["gi_q"], rtol=0, atol=1e-12)
    expected = np.where((one.frame["gi_q"] <= 0.10) & (one.frame["gi_z"] > 0), "hot",
                        np.where((one.frame["gi_q"] <= 0.10) & (one.frame["gi_z"] < 0),
                                 "cold", "ns"))
    assert gi.status["2024-03"].tolist() == expected.tolist()
    assert gi.params["steps_without_variation"] == ("2024-05",)
    assert (gi.status["2024-05"] == "ns").all() and gi.z["2024-05"].isna().all()
    assert gi.status.loc["r1c1"].drop("2024-05").eq("hot").all()
    long = gi.long()
    assert len(long) == 36 * 10 and set(long.columns) == {"unit", "step", "z", "p", "q",
                                                           "status"}


def test_emerging_hotspots_end_to_end_finds_persistent_and_new_hot_spots():
    g, counts = grid(), cluster_counts(steps=10)
    sw = build_weights(g)
    out = emerging_hotspots(counts, sw, permutations=499, seed=5)
    assert out.index.tolist() == sw.ids.tolist()
    assert out.loc["r1c1", "n_hot"] == 10 and out.loc["r1c1", "final_status"] == "hot"
    assert out.loc["r1c1", "trend_class"] in {"persistent hot spot", "intensifying hot spot",
                                              "diminishing hot spot"}
    assert out.loc["r5c5", "trend_class"] == "no pattern detected"
    assert set(out["trend_class"]) <= set(CATEGORIES)
    # the far corner gets a burst in the final month only: a new hot spot there
    far = [f"r{r}c{c}" for r in (4, 5) for c in (4, 5)]
    counts.loc[far, "2024-10"] = 30.0
    burst = emerging_hotspots(counts, sw, permutations=499, seed=5)
    assert burst.loc["r5c5", "trend_class"] == "new hot spot"
    assert burst.loc["r5c5", "n_hot"] == 1


def test_gi_star_series_rejects_rows_not_in_the_weights():
    g, counts = grid(), cluster_counts()
    with pytest.raises(InputDataError, match="1 units of the weights have no row"):
        gi_star_series(counts.iloc[1:], build_weights(g), permutations=9, seed=1)
    bad = counts.copy()
    bad.iloc[0, 0] = -1
    with pytest.raises(InputDataError, match="numbers >= 0"):
        gi_star_series(bad, build_weights(g), permutations=9, seed=1)
