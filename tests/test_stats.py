"""Spearman, its interval and ranks against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspots import stats


def test_spearman_hand_computed_no_ties():
    # Ranks x: 1..5; y ranks: 2,1,4,3,5 -> d = -1,1,-1,1,0, sum d^2 = 4
    # rho = 1 - 6*4 / (5*24) = 0.8
    x = pd.Series([10, 20, 30, 40, 50])
    y = pd.Series([2.0, 1.0, 4.0, 3.0, 9.0])
    r = stats.spearman(x, y)
    assert r.rho == pytest.approx(0.8)
    assert r.n == 5
    # Fisher z with Bonett-Wright SE, by hand: z = atanh(0.8) = 1.098612,
    # se = sqrt((1 + 0.32)/2) = 0.812404; z +- 1.959964*se -> tanh(...)
    z, se = math.atanh(0.8), math.sqrt(1.32 / 2)
    assert r.ci_low == pytest.approx(math.tanh(z - 1.959964 * se), abs=1e-6)
    assert r.ci_high == pytest.approx(math.tanh(z + 1.959964 * se), abs=1e-6)
    assert r.ci_low < 0 < r.rho < r.ci_high < 1


def test_spearman_ties_use_average_ranks_and_missing_pairs_dropped():
    x = pd.Series([1, 2, 2, 3, 4, np.nan])
    y = pd.Series([1, 3, 2, 4, 5, 7])
    r = stats.spearman(x, y)
    # Average ranks x: 1, 2.5, 2.5, 4, 5; y: 1, 3, 2, 4, 5 -> Pearson of ranks
    rx, ry = np.array([1, 2.5, 2.5, 4, 5]), np.array([1, 3, 2, 4, 5])
    assert r.rho == pytest.approx(np.corrcoef(rx, ry)[0, 1])
    assert r.n == 5 and r.n_ties_x == 2 and r.n_ties_y == 0


def test_spearman_undefined_cases_are_nan_not_errors():
    r = stats.spearman(pd.Series([1, 1, 1, 1]), pd.Series([1, 2, 3, 4]))
    assert math.isnan(r.rho) and "not defined" in r.text
    assert math.isnan(stats.spearman(pd.Series([1, 2]), pd.Series([2, 1])).rho)


@pytest.mark.parametrize(
    ("rho", "words"),
    [(0.05, "negligible"), (0.2, "weak positive"), (0.46, "moderate positive"),
     (0.49, "moderate positive"), (-0.55, "strong negative"), (0.9, "very strong positive")],
)
def test_one_wording_scale(rho, words):
    assert stats.describe_rho(rho) == words


def test_text_names_rho_ci_and_n():
    r = stats.spearman(pd.Series(range(10)), pd.Series([0, 2, 1, 3, 5, 4, 6, 8, 7, 9]))
    assert f"rho = {r.rho:.2f}" in r.text and "95% CI" in r.text and "n = 10" in r.text


def test_competition_ranking():
    got = stats.competition_rank(pd.Series([7, 9, 9, 3, np.nan, 7]))
    assert got.tolist()[:4] == [3.0, 1.0, 1.0, 5.0] and math.isnan(got[4]) and got[5] == 3.0


def test_spearman_aligns_series_on_their_labels_and_reads_text_numbers():
    x = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=list("abcde"))
    y = pd.Series([5.0, 4.0, 3.0, 2.0, 1.0], index=list("edcba"))  # same pairs, other order
    assert stats.spearman(x, y).rho == pytest.approx(1.0)
    r = stats.spearman(pd.Series(["1", "2", "x", "3", "4", "4"]),
                       pd.Series([1, 2, 3, 3, 5, 6]))
    assert r.n == 5 and r.n_ties_x == 2 and r.n_ties_y == 0  # "x" dropped, 3 then untied
