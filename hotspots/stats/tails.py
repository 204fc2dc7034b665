"""Normal and Student-t tails, Spearman's rho and the Benjamini-Hochberg correction.

The few functions of :mod:`scipy.stats` the statistics use, written on
:mod:`scipy.special` and numpy: importing ``scipy.stats`` costs about 0.6 s of
every cold start (the command line, the page, the board pack), for a handful of
lines. Each function gives scipy.stats' value (checked in ``tests/test_tails.py``
against ``scipy.stats.norm``, ``spearmanr`` and ``false_discovery_control``).

Examples
--------
>>> round(float(normal_sf(1.959963984540054)), 6)
0.025
>>> fdr_bh(np.array([0.01, 0.04, 0.03])).round(3).tolist()
[0.03, 0.04, 0.04]
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["fdr_bh", "normal_cdf", "normal_ppf", "normal_sf", "spearman_r", "t_two_sided"]


def normal_cdf(z: float | np.ndarray) -> np.ndarray:
    """Return the standard normal distribution function, as ``scipy.stats.norm.cdf``."""
    return special.ndtr(z)


def normal_sf(z: float | np.ndarray) -> np.ndarray:
    """Return the standard normal upper tail ``1 - Phi(z)``, as ``scipy.stats.norm.sf``."""
    return special.ndtr(-np.asarray(z, dtype=float))


def normal_ppf(q: float | np.ndarray) -> np.ndarray:
    """Return the standard normal quantile, as ``scipy.stats.norm.ppf``."""
    return special.ndtri(q)


def t_two_sided(t: float | np.ndarray, dof: float) -> np.ndarray:
    """Two-sided p-value ``2 P(T > |t|)`` of Student's t with ``dof`` degrees of freedom."""
    return 2.0 * special.stdtr(dof, -np.abs(np.asarray(t, dtype=float)))


def spearman_r(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value, as ``scipy.stats.spearmanr(x, y)``.

    Parameters
    ----------
    x, y
        Aligned numbers without missing values, at least 3 of them.

    Returns
    -------
    tuple of float
        ``(rho, p)``: Pearson's r of the average ranks, and the t-distribution
        p-value with ``n - 2`` degrees of freedom (scipy's formula).
    """
    rx = _average_ranks(np.asarray(x, dtype=float))
    ry = _average_ranks(np.asarray(y, dtype=float))
    rs = float(np.corrcoef(rx, ry)[0, 1])
    dof = len(rx) - 2
    with np.errstate(divide="ignore"):
        t = rs * np.sqrt(max(dof / ((rs + 1.0) * (1.0 - rs)), 0.0))
    return rs, float(t_two_sided(t, dof))


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the mean of their ranks (``scipy.stats.rankdata``)."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    new = np.r_[True, s[1:] != s[:-1]]
    dense = np.cumsum(new)[np.argsort(order, kind="mergesort")]
    bounds = np.r_[np.nonzero(new)[0], len(a)]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def fdr_bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, as ``false_discovery_control(p, method="bh")``.

    Parameters
    ----------
    p
        1-d p-values in [0, 1], no missing values.

    Returns
    -------
    ndarray
        ``min(1, min_{j >= i} p_(j) m / j)`` in the order of ``p``.
    """
    ps = np.asarray(p, dtype=float)
    m = len(ps)
    if m == 0:
        return ps.copy()
    order = np.argsort(ps)
    s = ps[order] * (m / np.arange(1, m + 1))
    s = np.minimum.accumulate(s[::-1])[::-1]
    out = np.empty(m)
    out[order] = s
    return np.clip(out, 0, 1)
