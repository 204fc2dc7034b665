"""Scores of a patrol area on one month, and the one rule that chooses the cells.

Metrics (pure functions, one number each; undefined cases give NaN, never
``inf`` and never an exception, because a month without crimes or an empty
selection is a normal event in small areas, not an error):

* :func:`hit_rate` ``n / N``: share of the test month's crimes that fell in
  the chosen cells (Bowers, Johnson & Pease 2004, "prospective hotspotting").
* :func:`area_share` ``a / A``: share of the study area the chosen cells cover.
* :func:`pai` Predictive Accuracy Index ``(n / N) / (a / A)`` (Chainey,
  Tompson & Uhlig 2008): 1 = no better than choosing cells at random by area.
* :func:`rri` Recapture Rate Index ``(n_t / n_{t-1}) / (N_t / N_{t-1})``
  (Levine 2008): how much of the chosen cells' crime recurs in the next
  period, relative to the change in crime overall; 1 = the chosen cells kept
  their share.
* :func:`hit_rate_at_area_share`: the hit rate of the best cells covering
  exactly a given area share (the crossing cell counted pro rata), so that
  methods are compared at the same area.

Cell selection (:func:`select_by_area_share`, :func:`select_top_n`): cells
ranked by score, highest first, ties by ``cell_id`` ascending; a cell with a
score of 0 or less, or no score (NaN), is never chosen. The rolling backtest
(:mod:`hotspots.patrol.backtest`) and the patrol list
(:func:`hotspots.patrol.cells.select_cells`) both use this one rule.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hotspots._errors import InputDataError

__all__ = [
    "area_share",
    "areas_for",
    "check_area_share",
    "hit_rate",
    "hit_rate_at_area_share",
    "pai",
    "rank_cells",
    "rri",
    "select_by_area_share",
    "select_top_n",
]


# --------------------------------------------------------------------------- metrics


def _ratio(num: float, den: float) -> float:
    """``num / den`` as float; NaN when the denominator is 0 or either side is NaN."""
    num, den = float(num), float(den)
    if not (math.isfinite(num) and math.isfinite(den)) or den == 0:
        return math.nan
    return num / den


def hit_rate(captured: float, total: float) -> float:
    """Share of the test period's crimes that fell in the chosen cells.

    Parameters
    ----------
    captured
        Crimes in the chosen cells, ``n``.
    total
        All crimes in the study area, ``N``.

    Returns
    -------
    float
        ``n / N``; NaN when ``N`` is 0 (no crimes: nothing to capture, so the
        rate is undefined rather than 0).

    Notes
    -----
    The "hit rate" of Bowers, Johnson & Pease (2004), *Prospective
    hot-spotting*, Brit. J. Criminology 44, 641-658; numerator of the PAI.

    Examples
    --------
    >>> hit_rate(6, 10), hit_rate(0, 0)
    (0.6, nan)
    """
    return _ratio(captured, total)


def area_share(selected_area: float, total_area: float) -> float:
    """Share of the study area covered by the chosen cells, ``a / A``.

    Parameters
    ----------
    selected_area
        Area of the chosen cells, ``a``.
    total_area
        Area of all cells, ``A``.

    Returns
    -------
    float
        ``a / A``; NaN when ``A`` is 0.

    Examples
    --------
    >>> area_share(2.0, 10.0)
    0.2
    """
    return _ratio(selected_area, total_area)


def pai(captured: float, total: float, selected_area: float, total_area: float) -> float:
    """Predictive Accuracy Index: hit rate divided by area share.

    Parameters
    ----------
    captured, total
        Crimes in the chosen cells (``n``) and in the whole area (``N``).
    selected_area, total_area
        Area of the chosen cells (``a``) and of the whole area (``A``).

    Returns
    -------
    float
        ``(n / N) / (a / A)``. NaN when ``N`` is 0 (no crimes), ``A`` is 0, or
        ``a`` is 0 (nothing chosen: 0 / 0, no prediction to judge).

    Notes
    -----
    Chainey, S., Tompson, L. & Uhlig, S. (2008), The utility of hotspot
    mapping for predicting spatial patterns of crime, *Security Journal* 21,
    4-28. PAI = 1 is what cells chosen at random by area achieve on average;
    the most a selection can reach is ``A / a``.

    Examples
    --------
    >>> round(pai(6, 10, 2.0, 10.0), 12)
    3.0
    >>> pai(0, 0, 2.0, 10.0)
    nan
    """
    return _ratio(hit_rate(captured, total), area_share(selected_area, total_area))


def rri(captured_now: float, captured_before: float, total_now: float,
        total_before: float) -> float:
    """Recapture Rate Index of the chosen cells between two periods.

    Parameters
    ----------
    captured_now, captured_before
        Crimes in the chosen cells in the test period (``n_t``) and in the
        period before it (``n_{t-1}``).
    total_now, total_before
        All crimes in the study area in the same two periods (``N_t``,
        ``N_{t-1}``).

    Returns
    -------
    float
        ``(n_t / n_{t-1}) / (N_t / N_{t-1})``. NaN when ``n_{t-1}``,
        ``N_{t-1}`` or ``N_t`` is 0: the growth ratio of the chosen cells or of
        the whole area is then undefined (or the index would divide by 0).

    Notes
    -----
    Levine, N. (2008), The "hottest" part of a hotspot: comments on "The
    utility of hotspot mapping for predicting spatial patterns of crime",
    *Security Journal* 21, 295-302: the ratio of the hot spots' crimes in the
    second period to those in the first, divided by the same ratio for all
    crimes. Written ``(n2/n1)/(N2/N1)``; it equals the hot spots' share of all
    crimes in the second period over their share in the first. Here period 1
    is the month before the test month (same length as the test period).

    Examples
    --------
    >>> rri(6, 4, 10, 10), rri(6, 0, 10, 10)
    (1.5, nan)
    """
    return _ratio(_ratio(captured_now, captured_before), _ratio(total_now, total_before))


def _ranked(scores: pd.Series) -> pd.Series:
    """Scores > 0 only, highest first, ties by cell id ascending (stable, deterministic)."""
    s = pd.to_numeric(scores, errors="coerce").astype(float)
    v = s.to_numpy()
    keep = np.isfinite(v) & (v > 0)
    s, v = s[keep], v[keep]
    # one numpy sort (a DataFrame sort cost 0.5 ms a call, 334 calls in a board pack's backtest)
    order = np.lexsort((s.index.astype(str).to_numpy(dtype=str), -v))
    return s.iloc[order].rename("score")


def rank_cells(scores: pd.Series) -> pd.Index:
    """Return the cells that can be chosen, best first.

    Parameters
    ----------
    scores
        Score per ``cell_id`` (higher = more likely to see crime).

    Returns
    -------
    Index
        ``cell_id`` values with a score above 0, by score descending; equal
        scores in ascending ``cell_id`` (compared as text). Cells scoring 0 or
        less, or NaN, are left out: a cell with no predicted crime is never a
        patrol place.

    Examples
    --------
    >>> rank_cells(pd.Series([1.0, 3.0, 0.0, 3.0, float("nan")],
    ...                      index=["d", "b", "e", "a", "c"])).tolist()
    ['a', 'b', 'd']
    """
    return _ranked(scores).index


def areas_for(cells: pd.Index, cell_area: pd.Series) -> pd.Series:
    """Return the area of each cell, checked.

    Parameters
    ----------
    cells
        ``cell_id`` values (e.g. the chosen cells).
    cell_area
        Area per ``cell_id``.

    Returns
    -------
    Series
        ``cell_area`` of ``cells``, in their order, as float.

    Raises
    ------
    InputDataError
        A cell has no area, or an area is not a positive number.
    """
    missing = cells.difference(cell_area.index)
    if len(missing):
        raise InputDataError(
            f"cell_area has no area for {len(missing)} scored cells (e.g. "
            f"{missing[:5].tolist()}). Pass one area per cell_id of the grid."
        )
    area = cell_area.reindex(cells).astype(float)
    if not (np.isfinite(area.to_numpy()) & (area.to_numpy() > 0)).all():
        raise InputDataError("cell_area must be positive numbers for every scored cell.")
    return area


def select_by_area_share(scores: pd.Series, cell_area: pd.Series, *,
                         area_share: float = 0.05) -> pd.Index:
    """Choose the best cells until they cover ``area_share`` of the total area.

    Parameters
    ----------
    scores
        Score per ``cell_id``.
    cell_area
        Area per ``cell_id`` (any unit; every cell of the grid). Its sum is the
        total area ``A``.
    area_share
        Target share of ``A`` in (0, 1].

    Returns
    -------
    Index
        The smallest run of best-ranked cells (see :func:`rank_cells`) whose
        area reaches ``area_share * A``: the last cell may take the total past
        the target. Fewer cells when too few have a score above 0.

    Raises
    ------
    ValueError
        ``area_share`` outside (0, 1].
    InputDataError
        A scored cell has no area.

    Examples
    --------
    >>> s = pd.Series([5, 4, 3, 2], index=["a", "b", "c", "d"])
    >>> area = pd.Series([1.0, 1.0, 1.0, 1.0], index=s.index)
    >>> select_by_area_share(s, area, area_share=0.5).tolist()
    ['a', 'b']
    """
    check_area_share(area_share)
    order = rank_cells(scores)
    if not len(order):
        return order
    areas = areas_for(order, cell_area)
    target = area_share * float(cell_area.sum())
    cum = areas.cumsum().to_numpy()
    # relative tolerance: 2 cells of 0.1 must cover 20% despite float rounding
    reached = np.flatnonzero(cum >= target * (1 - 1e-9))
    stop = int(reached[0]) + 1 if len(reached) else len(order)
    return order[:stop]


def select_top_n(scores: pd.Series, n: int) -> pd.Index:
    """Choose the ``n`` best cells (fewer when fewer score above 0).

    Parameters
    ----------
    scores
        Score per ``cell_id``.
    n
        Number of cells, at least 1.

    Returns
    -------
    Index
        Best ``n`` cells by :func:`rank_cells`.

    Examples
    --------
    >>> select_top_n(pd.Series([1, 2, 2], index=["c", "b", "a"]), 2).tolist()
    ['a', 'b']
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"top_n={n!r}: give a whole number of cells, at least 1.")
    return rank_cells(scores)[: int(n)]


def hit_rate_at_area_share(scores: pd.Series, observed: pd.Series, cell_area: pd.Series, *,
                           area_share: float) -> float:
    """Hit rate of the best cells covering exactly ``area_share`` of the area.

    Parameters
    ----------
    scores
        Score per ``cell_id`` (ranked as in :func:`rank_cells`).
    observed
        Crimes per ``cell_id`` in the test period (all cells of the grid).
    cell_area
        Area per ``cell_id`` (all cells of the grid).
    area_share
        Share of the total area in (0, 1].

    Returns
    -------
    float
        Crimes in the best cells up to the area ``area_share * A``, the cell
        that crosses the boundary counted in proportion to the part of its
        area inside it, divided by all crimes. NaN when there are no crimes.

    Notes
    -----
    The point at ``area_share`` on the capture curve (crimes captured against
    area searched, linear between cells), as in the "hit rate at a coverage
    level" of Bowers et al. (2004) and Adepeju et al. (2016); PAI at that
    share is this value divided by ``area_share``.

    Examples
    --------
    >>> s = pd.Series([3, 2, 1], index=["a", "b", "c"])
    >>> hit_rate_at_area_share(s, pd.Series([4, 2, 4], index=s.index),
    ...                        pd.Series([1.0, 1.0, 2.0], index=s.index), area_share=0.375)
    0.5
    """
    check_area_share(area_share)
    total = float(observed.sum())
    if total == 0:
        return math.nan
    order = rank_cells(scores)
    areas = areas_for(order, cell_area).to_numpy()
    crimes = observed.reindex(order).fillna(0).to_numpy(dtype=float)
    budget = area_share * float(cell_area.sum())
    before = np.concatenate([[0.0], np.cumsum(areas)[:-1]])
    part = np.clip((budget - before) / areas, 0.0, 1.0)
    got = float((part * crimes).sum())
    return got / total


def check_area_share(share: object) -> None:
    """Raise ``ValueError`` unless ``share`` is a number in (0, 1]."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ValueError(f"area_share={share!r}: give a share of the area in (0, 1], "
                         "e.g. 0.05 for 5%.")
