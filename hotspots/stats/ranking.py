"""Rank correlation of a measure with deprivation, worded on one scale.

- :func:`spearman`: Spearman's rho of two aligned series with its 95% interval,
  n, p-value and tie counts (:class:`SpearmanResult`).
- :func:`describe_rho` words a rho on :data:`WORDING_SCALE`, the one scale used
  on every page and export.
- :func:`competition_rank`: ranks with ties sharing the best rank ("1224").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspots.stats.tails import normal_ppf, spearman_r

__all__ = ["WORDING_SCALE", "SpearmanResult", "competition_rank", "describe_rho", "spearman"]

# One documented wording scale for |rho|, used on every page and export.
# (Lower bound inclusive.) Based on the common Dancey & Reidy style bands.
WORDING_SCALE: tuple[tuple[float, str], ...] = (
    (0.0, "negligible"),
    (0.1, "weak"),
    (0.3, "moderate"),
    (0.5, "strong"),
    (0.7, "very strong"),
)


def describe_rho(rho: float) -> str:
    """Return the wording for a rank correlation, e.g. ``"moderate positive"``.

    Parameters
    ----------
    rho
        Spearman's rho in [-1, 1].

    Returns
    -------
    str
        Strength word from :data:`WORDING_SCALE` plus direction.

    Examples
    --------
    >>> describe_rho(0.46), describe_rho(0.49), describe_rho(-0.05)
    ('moderate positive', 'moderate positive', 'negligible')
    """
    if not math.isfinite(rho):
        return "not defined"
    word = WORDING_SCALE[0][1]
    for bound, w in WORDING_SCALE:
        if abs(rho) >= bound:
            word = w
    if word == "negligible":
        return word
    return f"{word} {'positive' if rho > 0 else 'negative'}"


@dataclass(frozen=True)
class SpearmanResult:
    """Spearman rank correlation with its 95% confidence interval.

    Attributes
    ----------
    rho, ci_low, ci_high
        Coefficient and the 95% interval (Fisher z with the Bonett & Wright
        (2000) variance ``(1 + rho**2 / 2) / (n - 3)``).
    n
        Number of pairs used (areas with both values).
    p_value
        Two-sided p-value from :func:`scipy.stats.spearmanr`.
    n_ties_x, n_ties_y
        Number of values sharing a rank with another (ties are given the
        average rank).
    """

    rho: float
    ci_low: float
    ci_high: float
    n: int
    p_value: float
    n_ties_x: int
    n_ties_y: int

    @property
    def wording(self) -> str:
        """Strength and direction in words (see :data:`WORDING_SCALE`)."""
        return describe_rho(self.rho)

    @property
    def text(self) -> str:
        """One plain-words sentence with rho, CI and n."""
        if not math.isfinite(self.rho):
            return f"Rank correlation not defined (n = {self.n}; needs at least 4 varying pairs)."
        return (
            f"Spearman's rho = {self.rho:.2f} (95% CI {self.ci_low:.2f} to {self.ci_high:.2f}, "
            f"n = {self.n} wards): a {self.wording} association."
        )


def spearman(x: pd.Series, y: pd.Series, *, confidence: float = 0.95) -> SpearmanResult:
    """Spearman rank correlation of two aligned series, with CI and n.

    Pairs with a missing value in either series are left out (and ``n`` says
    how many remain). Ties get the average rank.

    Parameters
    ----------
    x, y
        Aligned numeric series (e.g. ward rate and ward IMD score).
    confidence
        Confidence level of the interval.

    Returns
    -------
    SpearmanResult
        rho, interval, n, p-value and tie counts; NaN rho when fewer than
        4 pairs or a constant series.

    Notes
    -----
    Interval: Fisher z-transform of rho with standard error
    ``sqrt((1 + rho**2 / 2) / (n - 3))`` (Bonett, D. G. & Wright, T. A.
    (2000), *Psychometrika* 65, 23-28).
    """
    if not (isinstance(x, pd.Series) and isinstance(y, pd.Series) and x.index.equals(y.index)):
        df = pd.DataFrame({"x": x, "y": y})  # aligned on the index, as before
        x, y = df["x"], df["y"]
    xv = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
    yv = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
    keep = ~(np.isnan(xv) | np.isnan(yv))
    xv, yv = xv[keep], yv[keep]
    n = len(xv)
    (ux, cx), (uy, cy) = np.unique(xv, return_counts=True), np.unique(yv, return_counts=True)
    ties_x, ties_y = int(cx[cx > 1].sum()), int(cy[cy > 1].sum())
    nan = float("nan")
    if n < 4 or len(ux) < 2 or len(uy) < 2:
        return SpearmanResult(nan, nan, nan, n, nan, ties_x, ties_y)
    rho, pvalue = spearman_r(xv, yv)
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    se = math.sqrt((1 + rho**2 / 2) / (n - 3))
    zc = float(normal_ppf(0.5 + confidence / 2))
    lo, hi = float(np.tanh(z - zc * se)), float(np.tanh(z + zc * se))
    return SpearmanResult(rho, lo, hi, n, pvalue, ties_x, ties_y)


def competition_rank(values: pd.Series, *, ascending: bool = False) -> pd.Series:
    """Rank with ties sharing the best rank ("1224" competition ranking).

    Parameters
    ----------
    values
        Numeric values; NaN gets a NaN rank.
    ascending
        ``False`` (default) gives rank 1 to the highest value.

    Returns
    -------
    Series
        Float ranks (NaN where the value is missing).

    Examples
    --------
    >>> competition_rank(pd.Series([5, 3, 5, 1])).tolist()
    [1.0, 3.0, 1.0, 4.0]
    """
    return values.rank(method="min", ascending=ascending)
