"""The automatic cell size: the smallest cells that still hold enough crime to be ranked and tested.

``cell_size="auto"`` (:class:`hotspots.patrol.params.PatrolParams`) is resolved
here from the data, not from the shape of the study area alone: small cells
over few crimes leave most cells empty, so a ranking is noise, Gi* cannot reach
significance and the backtest's PAI is undefined in most months; and a patrol
list of dozens of cells is no patrol plan. The rule (:func:`auto_cell_size`):

1. **enough points per cell**: on average at least :data:`AUTO_MIN_PER_CELL`
   points (crimes, or ASB incidents) per cell in one training window (the
   months each backtest method sees, ``train_months``);
2. **a usable list**: with an area share, the patrol area holds at most
   :data:`AUTO_MAX_LIST_CELLS` cells;
3. the smallest size in :data:`AUTO_STEP` m steps that meets both, kept within
   :data:`AUTO_SIZE_RANGE` (a street block to a patrol beat).

The backtest also needs held-out months: with fewer than ``train_months + 1``
months there is none, whatever the cell size (the analysis says so).
"""

from __future__ import annotations

import math

__all__ = ["AUTO_MAX_LIST_CELLS", "AUTO_MIN_PER_CELL", "AUTO_SIZE_RANGE", "AUTO_STEP",
           "auto_cell_size"]

#: Least mean points per cell in one training window (5: a Poisson count of mean 5
#: spreads by about +-45% (sqrt(5) / 5) from window to window, not by 100% or more).
AUTO_MIN_PER_CELL = 5
#: Most cells in a patrol list chosen by area share (about one shift's round).
AUTO_MAX_LIST_CELLS = 25
#: Sizes the rule chooses from (metres).
AUTO_SIZE_RANGE: tuple[float, float] = (50.0, 500.0)
AUTO_STEP = 10.0


def auto_cell_size(area_m2: float, points_per_window: float, *, window_months: int,
                   area_share: float | None = None, top_n: int | None = None,
                   noun: str = "crimes") -> tuple[float, str]:
    """Choose the cell size by the rule of the module docstring, and say why in words.

    Parameters
    ----------
    area_m2
        The study area (m\u00b2).
    points_per_window
        Mean located points of the measure in the study area per training window
        (points per month x ``window_months``).
    window_months
        Months in a training window (``train_months``).
    area_share, top_n
        The patrol area: a share of the study area (the list bound applies) or a
        number of cells (it does not).
    noun
        What a point is (``"crimes"`` or ``"ASB incidents"``), for the words.

    Returns
    -------
    tuple of (float, str)
        Cell size in metres and the rule with its numbers, starting ``"auto: "``.

    Raises
    ------
    ValueError
        A study area that is not a positive number, or a negative count.

    Examples
    --------
    >>> auto_cell_size(2.88e6, 1490.0, window_months=3, area_share=0.05)[0]
    100.0
    """
    if not (math.isfinite(area_m2) and area_m2 > 0):
        raise ValueError(f"area_m2={area_m2!r}: the study area must have a positive area.")
    if not (math.isfinite(points_per_window) and points_per_window >= 0):
        raise ValueError(f"points_per_window={points_per_window!r}: give a count >= 0.")
    lo, hi = AUTO_SIZE_RANGE
    per_point = (math.sqrt(area_m2 * AUTO_MIN_PER_CELL / points_per_window)
                 if points_per_window > 0 else math.inf)
    per_list = (math.sqrt(area_share * area_m2 / AUTO_MAX_LIST_CELLS)
                if area_share is not None and top_n is None else 0.0)
    need = max(per_point, per_list)
    size = min(hi, max(lo, math.ceil(need / AUTO_STEP - 1e-9) * AUTO_STEP))
    months = f"{window_months} month{'s' if window_months != 1 else ''}"
    counted = (f"at least {AUTO_MIN_PER_CELL} {noun} per cell on average in a {months} "
               f"training window ({points_per_window:,.0f} {noun} in {months} over "
               f"{area_m2 / 1e6:,.2f} km\u00b2: at least {per_point:,.0f} m)"
               if math.isfinite(per_point) else
               f"at least {AUTO_MIN_PER_CELL} {noun} per cell (there are no {noun})")
    listed = (f" and a patrol list of at most {AUTO_MAX_LIST_CELLS} cells ({100 * area_share:g}% "
              f"of the area: at least {per_list:,.0f} m)" if per_list else "")
    text = (f"auto: {size:g} m, the smallest size in {AUTO_STEP:g} m steps from {lo:g} to "
            f"{hi:g} m with {counted}{listed}")
    if per_point > hi:
        text += (f"; too few {noun} for that even at {hi:g} m, so {hi:g} m is used: expect "
                 "unstable rankings and months without a PAI")
    elif per_list > hi:
        n_list = math.ceil(area_share * area_m2 / hi**2 - 1e-9)  # type: ignore[operator]
        text += (f"; the study area is too large for that even at {hi:g} m, so {hi:g} m is "
                 f"used and the list has about {n_list} cells: patrol a smaller share or give "
                 "a number of cells")
    return float(size), text
