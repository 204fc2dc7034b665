"""The vectorised Mann-Kendall test against independent references.

scipy.stats.kendalltau on the series against time gives the same S (from tau-b
and its tie counts) and the same variance with ties; a hand-computed case; the
tie variance by the textbook formula written out with loops; pymannkendall's
``original_test`` row by row (trend, z, p), missing values skipped.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pymannkendall
import pytest
import scipy.stats as sps

from hotspots.stats.emerging import mann_kendall_table
from hotspots.stats.mannkendall import MK_COLUMNS, mann_kendall_matrix


def textbook(x: list[float]) -> tuple[float, float]:
    """S and Var(S) with ties (Gilbert 1987, eq. 16.4), loops only, NaN skipped."""
    v = [a for a in x if not math.isnan(a)]
    n = len(v)
    s = sum((b > a) - (b < a) for a, b in itertools.combinations(v, 2))
    ties = [v.count(u) for u in set(v)]
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    return float(s), var


def test_hand_computed_small_case():
    # 2, 1, 4, 4, 3: pairs (2,1)- (2,4)+ (2,4)+ (2,3)+ (1,4)+ (1,4)+ (1,3)+ (4,4)0 (4,3)- (4,3)-
    # S = 6 - 3 = 3; one tie of 2: Var = (5*4*15 - 2*1*9) / 18 = 282 / 18
    r = mann_kendall_matrix(np.array([[2.0, 1.0, 4.0, 4.0, 3.0]]))
    assert r["s"][0] == 3.0
    assert r["var_s"][0] == pytest.approx(282 / 18)
    assert r["z"][0] == pytest.approx(2 / math.sqrt(282 / 18))
    assert r["tau"][0] == pytest.approx(0.3)
    assert r["p"][0] == pytest.approx(2 * (1 - sps.norm.cdf(2 / math.sqrt(282 / 18))))
    assert r["trend"][0] == "no trend" and r["n"][0] == 5


def random_rows(seed: int, units: int = 300, steps: int = 24) -> np.ndarray:
    """Rounded values (many ties), some missing, some constant or short rows."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(units, steps)) + np.linspace(0, rng.normal(), steps), 1)
    x[rng.random(x.shape) < 0.1] = np.nan
    x[0] = 3.0  # all tied
    x[1, 2:] = np.nan  # two values: not tested
    x[2] = np.arange(steps)  # strictly rising
    return x


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_s_and_tie_variance_equal_the_textbook_and_scipy(seed):
    x = random_rows(seed)
    r = mann_kendall_matrix(x)
    for i in range(len(x)):
        s, var = textbook(x[i].tolist())
        keep = ~np.isnan(x[i])
        if keep.sum() < 3:
            assert r["trend"][i] == "not tested" and np.isnan(r["s"][i])
            continue
        assert r["s"][i] == s
        assert r["var_s"][i] == pytest.approx(var, rel=1e-12)
        v = x[i][keep]
        if np.ptp(v) == 0:
            assert r["z"][i] == 0 and r["trend"][i] == "no trend"
            continue
        # scipy: tau_b = S / sqrt((n0 - n1) (n0 - n2)), n2 = 0 (time has no ties)
        res = sps.kendalltau(np.arange(len(v)), v)
        n0 = len(v) * (len(v) - 1) / 2
        n1 = sum(t * (t - 1) / 2 for t in np.unique(v, return_counts=True)[1])
        assert res.statistic * math.sqrt((n0 - n1) * n0) == pytest.approx(s, abs=1e-9)


@pytest.mark.parametrize("seed", [4, 5])
def test_every_row_equals_pymannkendall(seed):
    x = random_rows(seed, units=120)
    r = mann_kendall_matrix(x, alpha=0.1)
    for i in range(len(x)):
        if np.isfinite(x[i]).sum() < 3:
            continue
        ref = pymannkendall.original_test(x[i], alpha=0.1)
        assert r["trend"][i] == ref.trend
        assert r["s"][i] == ref.s
        assert r["var_s"][i] == pytest.approx(ref.var_s, rel=1e-12)
        assert r["z"][i] == pytest.approx(ref.z, abs=1e-12)
        assert r["p"][i] == pytest.approx(ref.p, abs=1e-12)
        assert r["tau"][i] == pytest.approx(ref.Tau, abs=1e-12)


def test_table_keeps_units_and_columns():
    x = random_rows(6, units=10)
    frame = pd.DataFrame(x, index=[f"u{i}" for i in range(10)])
    t = mann_kendall_table(frame)
    assert t.index.tolist() == frame.index.tolist()
    assert t.loc["u2", "trend"] == "increasing" and t.loc["u1", "trend"] == "not tested"
    assert set(MK_COLUMNS) - {"var_s"} == set(t.columns)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="2-D"):
        mann_kendall_matrix(np.arange(5.0))
    with pytest.raises(ValueError, match="alpha"):
        mann_kendall_matrix(np.ones((2, 4)), alpha=1.5)
