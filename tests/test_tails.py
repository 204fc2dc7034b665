"""The scipy.stats functions the statistics use, rewritten on scipy.special, agree with scipy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats as sps

from hotspots.stats import tails


def test_normal_tails_and_quantile_equal_scipy_stats():
    z = np.linspace(-9, 9, 721)
    np.testing.assert_allclose(tails.normal_sf(z), sps.norm.sf(z), rtol=1e-14, atol=0)
    np.testing.assert_allclose(tails.normal_cdf(z), sps.norm.cdf(z), rtol=1e-14, atol=0)
    q = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(tails.normal_ppf(q), sps.norm.ppf(q), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_spearman_equals_scipy_with_and_without_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 700))
    x = rng.integers(0, 12, n).astype(float) if seed % 2 else rng.normal(size=n)
    y = x * rng.uniform(-1, 1) + rng.poisson(3, n)
    rho, p = tails.spearman_r(x, y)
    ref = sps.spearmanr(x, y)
    assert rho == pytest.approx(float(ref.statistic), rel=1e-13, abs=1e-15)
    assert p == pytest.approx(float(ref.pvalue), rel=1e-10, abs=1e-300)


def test_spearman_perfect_rank_agreement_has_p_zero_like_scipy():
    x = np.arange(10.0)
    rho, p = tails.spearman_r(x, x**3)
    assert (rho, p) == (pytest.approx(1.0), float(sps.spearmanr(x, x**3).pvalue))


def test_average_ranks_equal_rankdata():
    a = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], dtype=float)
    np.testing.assert_array_equal(tails._average_ranks(a), sps.rankdata(a))


@pytest.mark.parametrize("seed", range(4))
def test_fdr_bh_equals_false_discovery_control(seed):
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(0.3, 2, 500), 3)  # ties included
    np.testing.assert_array_equal(tails.fdr_bh(p), sps.false_discovery_control(p, method="bh"))


def test_fdr_bh_of_nothing_is_empty():
    assert tails.fdr_bh(np.array([])).shape == (0,)


def test_the_statistics_do_not_import_scipy_stats_or_esda():
    code = ("import sys; from hotspots import stats; from hotspots.pipeline import analysis; "
            "print(sorted(m for m in ('scipy.stats', 'esda', 'libpysal', 'numba') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
