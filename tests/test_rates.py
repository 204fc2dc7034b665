"""Rates per 1,000 and Empirical-Bayes smoothing against Marshall (1991) by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import W

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.stats import rates as R


def _marshall(e, b, neighbourhoods):
    """Marshall (1991) EB rates written out from the paper's moment estimators.

    For area i with reference set N_i: m = sum e / sum b;
    s2 = sum b_j (r_j - m)^2 / sum b; A = s2 - m / mean(b) (0 if negative);
    C_i = A / (A + m / b_i); smoothed = m + C_i (r_i - m).
    """
    out = []
    for i, nb in enumerate(neighbourhoods):
        e_n, b_n = [e[j] for j in nb], [b[j] for j in nb]
        m = sum(e_n) / sum(b_n)
        s2 = sum(bj * (ej / bj - m) ** 2 for ej, bj in zip(e_n, b_n, strict=True)) / sum(b_n)
        a = max(0.0, s2 - m / (sum(b_n) / len(b_n)))
        c = a / (a + m / b[i])
        out.append(m + c * (e[i] / b[i] - m))
    return out


@pytest.fixture
def areas():
    # Four usable areas plus one without population and one without data.
    return pd.DataFrame({
        "area_code": ["A", "B", "C", "D", "E", "F"],
        "area_name": ["Ash", "Birch", "Cedar", "Damson", "Elm", "Fir"],
        "count": [20.0, 100.0, 300.0, 5.0, 3.0, np.nan],
        "population": [500.0, 4000.0, 10000.0, 100.0, 0.0, 800.0],
    })


def test_crude_rates_and_gaps_reported(areas):
    before = areas.copy()
    res = R.rates_per_1000(areas)
    pd.testing.assert_frame_equal(areas, before)
    f = res.frame.set_index("area_code")
    assert f.loc[["A", "B", "C", "D"], "rate_per_1000"].tolist() == pytest.approx(
        [40.0, 25.0, 30.0, 50.0])
    assert math.isnan(f.loc["E", "rate_per_1000"]) and math.isnan(f.loc["F", "rate_per_1000"])
    assert not np.isinf(f["rate_per_1000"]).any()
    rep = res.report.to_frame()
    assert rep["what"].tolist() == [
        "E (Elm) has a population of 0 although it has a count of 3: its rate is left blank",
        "F (Fir) has no count (no data): its rate is left blank",
    ]
    assert rep["severity"].tolist() == ["warning", "info"]


def test_population_frame_merged_and_missing_reported():
    counts = pd.DataFrame({"area_code": ["A", "B", "C"], "count": [1, 2, 3]})
    pop = pd.DataFrame({"area_code": ["A", "B", "Z"], "population": [1000, 4000, 50]})
    res = R.rates_per_1000(counts, population=pop, label="census 2021")
    assert res.frame["rate_per_1000"].tolist()[:2] == [1.0, 0.5]
    assert math.isnan(res.frame["rate_per_1000"].iloc[2])
    (p,) = res.report.problems
    assert p.file == "census 2021" and p.column == "population"
    assert p.what.startswith("C (name not given) has no population (missing) although it has")
    assert "population" not in counts.columns  # input untouched


def test_global_eb_matches_marshall_by_hand(areas):
    res = R.smooth_rates(areas, method="global")
    e, b = [20, 100, 300, 5], [500, 4000, 10000, 100]
    expected = _marshall(e, b, [[0, 1, 2, 3]] * 4)
    f = res.frame.set_index("area_code")
    assert f.loc[["A", "B", "C", "D"], "eb_rate"].tolist() == pytest.approx(
        [1000 * x for x in expected], rel=1e-12)
    assert f[["eb_rate"]].loc[["E", "F"]].isna().all().item()
    # Shrinkage: the smallest area (D, 100 residents) moves most towards the mean
    m = 1000 * sum(e) / sum(b)
    crude = f.loc[["A", "B", "C", "D"], "rate_per_1000"]
    moved = (crude - f.loc[["A", "B", "C", "D"], "eb_rate"]).abs() / (crude - m).abs()
    assert moved.idxmax() == "D"
    assert "global" in res.description and "Marshall 1991" in res.description


def test_global_eb_negative_variance_shrinks_to_the_mean():
    # Between-area variance estimate is negative here (A = 4.35e-7 - 8.07e-7 < 0):
    # Marshall sets it to 0, so every smoothed rate is the overall rate.
    df = pd.DataFrame({"area_code": list("ABCD"), "count": [2, 10, 30, 1],
                       "population": [500, 4000, 10000, 100]})
    f = R.smooth_rates(df).frame
    assert f["eb_rate"].tolist() == pytest.approx([1000 * 43 / 14600] * 4)
    assert f["eb_rate"].tolist() == pytest.approx(
        [1000 * x for x in _marshall([2, 10, 30, 1], [500, 4000, 10000, 100], [[0, 1, 2, 3]] * 4)])


def test_global_eb_all_zero_counts_is_zero_not_nan():
    df = pd.DataFrame({"area_code": list("AB"), "count": [0, 0], "population": [10, 20]})
    assert R.smooth_rates(df).frame["eb_rate"].tolist() == [0.0, 0.0]


# --------------------------------------------------------------------------- spatial

@pytest.fixture
def line():
    # X - Y - Z in a row; by hand (Marshall, neighbourhood = area + neighbours):
    # X: {X,Y} m = 50/3000, A = 1.111e-5 > 0, C = 0.4 -> 0.014
    # Y: {X,Y,Z} A = 8.79e-6 > 0;  Z: {Y,Z} A < 0 -> 0, rate = local mean 45/2200
    return pd.DataFrame({"area_code": ["X", "Y", "Z"], "area_name": ["Ex", "Why", "Zed"],
                         "count": [10, 40, 5], "population": [1000, 2000, 200]})


NEIGHBOURS = {"X": ["Y"], "Y": ["X", "Z"], "Z": ["Y"]}


def test_spatial_eb_matches_three_area_hand_computation(line):
    res = R.smooth_rates(line, method="spatial", w=W(NEIGHBOURS))
    expected = _marshall([10, 40, 5], [1000, 2000, 200], [[0, 1], [1, 0, 2], [2, 1]])
    assert expected[0] == pytest.approx(0.014)
    assert expected[2] == pytest.approx(45 / 2200)
    assert res.frame["eb_rate"].tolist() == pytest.approx([1000 * x for x in expected],
                                                          rel=1e-12)
    assert len(res.report) == 0 and "spatial" in res.description


@pytest.mark.parametrize(
    "make_w",
    [
        lambda: W(NEIGHBOURS),
        lambda: W({0: [1], 1: [0, 2], 2: [1]}),                        # ids = frame index
        lambda: W({**NEIGHBOURS, "Y": ["X", "Z", "Q"], "Q": ["Y"]}),    # covers more areas
        lambda: W(NEIGHBOURS, weights={"X": [0.5], "Y": [3.0, 1.0], "Z": [2.0]}),  # valued
    ],
    ids=["codes", "index", "superset", "valued-weights"],
)
def test_spatial_eb_accepts_any_w_and_leaves_it_untouched(line, make_w):
    w = make_w()
    w.transform = "r"
    before = (w.transform, {k: list(v) for k, v in w.weights.items()})
    got = R.smooth_rates(line, method="spatial", w=w).frame["eb_rate"]
    ref = R.smooth_rates(line, method="spatial", w=W(NEIGHBOURS)).frame["eb_rate"]
    assert got.tolist() == pytest.approx(ref.tolist(), rel=1e-12)
    assert (w.transform, {k: list(v) for k, v in w.weights.items()}) == before


def test_spatial_eb_without_population_makes_islands(line):
    df = line.copy()
    df.loc[1, "population"] = 0  # Y has no residents: X and Z lose their only neighbour
    res = R.smooth_rates(df, method="spatial", w=W(NEIGHBOURS))
    f = res.frame.set_index("area_code")
    assert f.loc["X", "eb_rate"] == pytest.approx(f.loc["X", "rate_per_1000"])
    assert f.loc["Z", "eb_rate"] == pytest.approx(f.loc["Z", "rate_per_1000"])
    assert math.isnan(f.loc["Y", "eb_rate"])
    whats = res.report.to_frame()["what"].tolist()
    assert whats[0].startswith("Y (Why) has a population of 0")
    assert "X (Ex) has no neighbours with a population in the weights" in whats[1]
    assert "Z (Zed) has no neighbours" in whats[2]


def test_spatial_eb_zero_neighbourhood_is_zero_not_nan(line):
    df = line.assign(count=[0, 0, 7])
    f = R.smooth_rates(df, method="spatial", w=W({"X": ["Y"], "Y": ["X"], "Z": []},
                                                 silence_warnings=True)).frame
    assert f["eb_rate"].tolist()[:2] == [0.0, 0.0]
    assert f["eb_rate"].iloc[2] == pytest.approx(35.0)


# --------------------------------------------------------------------------- errors

def test_errors(areas, line):
    with pytest.raises(ColumnMappingError, match=r"lacks column\(s\) \['count'\]"):
        R.rates_per_1000(areas.drop(columns="count"))
    with pytest.raises(ColumnMappingError, match=r"no population= given\) frame lacks"):
        R.rates_per_1000(areas.drop(columns="population"))
    with pytest.raises(ValueError, match="already has a 'population' column"):
        R.rates_per_1000(areas, population=areas[["area_code", "population"]])
    with pytest.raises(ColumnMappingError, match=r"population frame lacks column\(s\)"):
        R.rates_per_1000(areas.drop(columns="population"), population=areas[["area_code"]])
    pop = pd.DataFrame({"area_code": ["A", "A"], "population": [1, 2]})
    with pytest.raises(InputDataError, match=r"lists 1 area\(s\) more than once"):
        R.rates_per_1000(areas.drop(columns="population"), population=pop)
    with pytest.raises(InputDataError, match=r"area code\(s\) appear more than once"):
        R.rates_per_1000(pd.concat([areas, areas.iloc[:1]]))
    with pytest.raises(InputDataError, match=r"count column 'count' has 1 negative value"):
        R.rates_per_1000(areas.assign(count=[-1, 1, 1, 1, 1, 1]))
    with pytest.raises(InputDataError, match=r"population column 'population' has 1 "
                                             r"non-numeric value\(s\), e\.g\. \['n/a'\]"):
        R.rates_per_1000(areas.assign(population=["n/a", 1, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match=r"method='bayes' is unknown: use one of \['global'"):
        R.smooth_rates(areas, method="bayes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method='spatial' needs w="):
        R.smooth_rates(areas, method="spatial")
    with pytest.raises(ValueError, match="w= is only used by method='spatial'"):
        R.smooth_rates(line, w=W(NEIGHBOURS))
    with pytest.raises(TypeError, match="w must be a libpysal.weights.W, not dict"):
        R.smooth_rates(line, method="spatial", w=NEIGHBOURS)  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match=r"do not cover every area.*\['Z'\] are missing"):
        R.smooth_rates(line, method="spatial", w=W({"X": ["Y"], "Y": ["X"]}))


# --------------------------------------------------------------------------- esda reference

@pytest.mark.parametrize("seed", range(5))
def test_global_eb_equals_esda_empirical_bayes_to_the_last_bit(seed):
    from esda.smoothing import Empirical_Bayes

    rng = np.random.default_rng(seed)
    b = rng.integers(50, 20000, 700).astype(float)
    e = rng.poisson(b * rng.gamma(2.0, 0.002, 700)).astype(float)
    ours = R.SMOOTHERS["global"].smooth(e, b, None)
    ref = np.asarray(Empirical_Bayes(e, b).r, dtype=float).ravel()
    np.testing.assert_array_equal(ours, ref)


def test_global_eb_does_not_import_esda():
    import subprocess
    import sys

    code = ("import sys, pandas as pd; from hotspots.stats import rates; "
            "df = pd.DataFrame({'area_code': list('ABC'), 'count': [3, 50, 7], "
            "'population': [900, 4000, 300]}); rates.smooth_rates(df); "
            "print(sorted(m for m in ('esda', 'libpysal', 'numba', 'scipy.stats') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
