"""How concentrated a measure is: the top x% of areas, the Lorenz curve, the Gini coefficient.

* :func:`concentration` -- the share of the total held by the top 5, 10, 20%
  of areas (with the Gini coefficient of all areas);
* :func:`lorenz_curve` -- the Lorenz curve's points;
* :func:`gini` -- the Gini coefficient (population form).

Values are counts or rates per area, never negative; no data (NaN) is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError

__all__ = ["concentration", "gini", "lorenz_curve"]


def _values(values: Sequence[float] | pd.Series | np.ndarray) -> np.ndarray:
    v = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").dropna()
    arr = v.to_numpy(dtype=float)
    if (arr < 0).any():
        raise ValueError(f"Concentration needs non-negative values; got {int((arr < 0).sum())} "
                         "negative value(s).")
    return arr


def gini(values: Sequence[float] | pd.Series | np.ndarray) -> float:
    r"""Gini coefficient of non-negative values (0 = even, towards 1 = concentrated).

    Parameters
    ----------
    values
        One value per area (e.g. offences per ward); NaN (no data) is left out.

    Returns
    -------
    float
        NaN when there are no values or they sum to 0.

    Raises
    ------
    ValueError
        For negative values.

    Notes
    -----
    Mean absolute difference over twice the mean (Gini 1912),
    :math:`G = \sum_i \sum_j |x_i - x_j| / (2 n^2 \bar x)`, computed from the
    sorted values as :math:`G = 2 \sum_i i x_{(i)} / (n \sum_i x_i) - (n + 1) / n`
    (e.g. Damgaard & Weiner 2000, *Ecology* 81, 1139-1142). This is the
    population form, equal to one minus twice the area under the Lorenz
    curve of :func:`lorenz_curve`; its maximum for ``n`` areas is
    ``1 - 1/n`` (everything in one area). No small-sample correction
    ``n / (n - 1)`` is applied.

    Examples
    --------
    >>> gini([0, 0, 1, 3])
    0.625
    >>> gini([5, 5, 5])
    0.0
    """
    x = np.sort(_values(values))
    n, total = len(x), x.sum()
    if n == 0 or total == 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2 * (i * x).sum() / (n * total) - (n + 1) / n)


def lorenz_curve(values: Sequence[float] | pd.Series | np.ndarray) -> pd.DataFrame:
    """Points of the Lorenz curve, areas sorted from the lowest value up.

    Parameters
    ----------
    values
        One value per area; NaN left out.

    Returns
    -------
    DataFrame
        ``areas`` (0..n), ``share_of_areas`` and ``share_of_count``
        (cumulative, from (0, 0) to (1, 1)). ``share_of_count`` is NaN when
        the values sum to 0.

    Raises
    ------
    ValueError
        For negative values.

    Notes
    -----
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth.
    *Publications of the American Statistical Association* 9(70), 209-219.
    """
    x = np.sort(_values(values))
    n, total = len(x), x.sum()
    cum = np.concatenate([[0.0], np.cumsum(x)])
    share = cum / total if total else np.full(n + 1, np.nan)
    return pd.DataFrame({"areas": np.arange(n + 1), "share_of_areas": np.arange(n + 1) / max(n, 1),
                         "share_of_count": share})


def concentration(
    frame: pd.DataFrame,
    *,
    measure: str,
    top: Sequence[float] = (0.05, 0.1, 0.2),
    area_word: str = "wards",
    measure_word: str = "offences",
) -> pd.DataFrame:
    """Share of the total held by the top x% of areas.

    Parameters
    ----------
    frame
        One row per area; areas with a missing ``measure`` (no data) are
        left out. Not modified.
    measure
        Count column.
    top
        Fractions of areas, e.g. ``(0.05, 0.1, 0.2)``.
    area_word, measure_word
        Words used in the text.

    Returns
    -------
    DataFrame
        One row per fraction: ``top_share`` (the fraction), ``n_areas``
        (``ceil(top_share * n)``, at least 1), ``n_total_areas``, ``count``,
        ``share_of_count`` and ``text``; the Gini coefficient of all areas
        is in column ``gini`` on every row.

    Raises
    ------
    ColumnMappingError
        When ``measure`` is missing.
    ValueError
        For fractions outside (0, 1] or negative values.

    Notes
    -----
    The areas are those with the highest values; ties at the cut do not
    change the total. See :func:`gini` for the coefficient.
    """
    if measure not in frame.columns:
        raise ColumnMappingError(
            f"The frame lacks column(s) {[measure]}; it has {list(frame.columns)}."
        )
    bad = [t for t in top if not 0 < t <= 1]
    if bad:
        raise ValueError(f"top={list(top)} has fractions outside (0, 1]: {bad}; use e.g. 0.1.")
    x = np.sort(_values(frame[measure]))[::-1]
    n, total, g = len(x), x.sum(), gini(x)
    rows = []
    for t in top:
        k = max(1, math.ceil(t * n - 1e-9)) if n else 0
        c = float(x[:k].sum())
        share = c / total if total else float("nan")
        rows.append({"top_share": float(t), "n_areas": k, "n_total_areas": n, "count": c,
                     "share_of_count": share, "gini": g,
                     "text": (f"The top {100 * t:g}% of {area_word} ({k} of {n}) hold "
                              f"{100 * share:.1f}% of {measure_word}.")})
    return pd.DataFrame(rows)
