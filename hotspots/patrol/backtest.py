"""Proof on held-out months: a rolling backtest of patrol-hotspot methods.

For each test month *t* a method sees only the counts of months ``t-k .. t-1``
(``k = train_months``), scores every grid cell, the best cells are chosen as
the patrol area, and the choice is scored on month *t*, which the method never
saw. This tells an analyst which method to trust on their own data.

The metrics (hit rate, area share, PAI, RRI, hit rate at an area share) and the
selection rule (cells ranked by score, ties by ``cell_id``, never a cell
scoring 0 or less) are in :mod:`hotspots.patrol.metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hotspots._errors import InputDataError
from hotspots.patrol.metrics import (
    area_share,
    areas_for,
    check_area_share,
    hit_rate,
    hit_rate_at_area_share,
    pai,
    rri,
    select_by_area_share,
    select_top_n,
)
from hotspots.periods import check_month, shift_month

__all__ = [
    "BacktestResult",
    "Method",
    "Selector",
    "baseline_methods",
    "result_words",
    "rolling_backtest",
]

#: A method: training counts (cells x months ``t-k .. t-1``) -> score per ``cell_id``.
Method = Callable[[pd.DataFrame], pd.Series]
#: A selection rule: (scores, cell areas) -> the chosen ``cell_id`` values.
Selector = Callable[[pd.Series, pd.Series], pd.Index]

PER_MONTH_COLUMNS: tuple[str, ...] = (
    "method", "test_month", "train_from", "train_to", "n_cells", "area_pct", "crimes",
    "captured", "hit_rate", "pai", "rri", "hit_rate_at_share",
)


# --------------------------------------------------------------------------- methods


def _naive(train: pd.DataFrame) -> pd.Series:
    """Last training month's counts: next month looks like this month."""
    return train.iloc[:, -1].astype(float)


def baseline_methods() -> dict[str, Method]:
    """Return the reference method(s) every backtest should include.

    Returns
    -------
    dict
        ``{"naive": last month's counts}``: the patrol area is where crime was
        last month. A method worth using should beat it on PAI.

    Examples
    --------
    >>> m = baseline_methods()["naive"]
    >>> m(pd.DataFrame({"2025-01": [1, 5], "2025-02": [3, 0]}, index=["a", "b"])).tolist()
    [3.0, 0.0]
    """
    return {"naive": _naive}


# --------------------------------------------------------------------------- checks


def _check_counts(counts: object) -> pd.DataFrame:
    """Cells x months, months 'YYYY-MM' sorted and consecutive, values finite and >= 0."""
    if not isinstance(counts, pd.DataFrame):
        raise TypeError("counts must be a DataFrame: one row per cell_id, one column per "
                        "month 'YYYY-MM' (e.g. from hotspots.grid.counts_by_cell).")
    if counts.index.has_duplicates:
        dup = counts.index[counts.index.duplicated()].unique()[:5].tolist()
        raise InputDataError(f"counts has duplicate cell_id values (e.g. {dup}); give one "
                             "row per cell.")
    cols = [str(c) for c in counts.columns]
    for c in cols:
        try:
            check_month(c, argument="counts column")
        except ValueError as exc:
            raise InputDataError(f"{exc} Columns of counts must be months.") from None
    if cols != sorted(cols) or len(set(cols)) != len(cols):
        raise InputDataError(f"counts columns must be months in order, each once; got "
                             f"{cols[:6]}{'...' if len(cols) > 6 else ''}. Sort them "
                             "(counts.sort_index(axis=1)).")
    for before, after in zip(cols, cols[1:], strict=False):
        if shift_month(before, 1) != after:
            raise InputDataError(
                f"counts columns are not consecutive months: {before} is followed by "
                f"{after} (missing {shift_month(before, 1)}"
                + (f" to {shift_month(after, -1)}" if shift_month(before, 2) != after else "")
                + "). Add the missing months as columns of zeros if the source covers them "
                "and had no crime, otherwise backtest each unbroken run separately.")
    values = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputDataError(f"counts must be numbers >= 0: {int(bad.sum())} cells are "
                             f"missing, negative or not numbers (e.g. cell "
                             f"{counts.index[r]!r}, month {cols[c]}). Use 0 for no crime.")
    out = pd.DataFrame(values, index=counts.index, columns=cols)
    out.index.name = counts.index.name or "cell_id"
    return out


def _check_cell_area(cell_area: object, cells: pd.Index) -> pd.Series:
    if not isinstance(cell_area, pd.Series):
        raise TypeError("cell_area must be a Series of areas indexed by cell_id.")
    missing = cells.difference(cell_area.index)
    if len(missing):
        raise InputDataError(f"cell_area has no area for {len(missing)} cells of counts (e.g. "
                             f"{missing[:5].tolist()}). Give every cell its area.")
    area = pd.to_numeric(cell_area.reindex(cells), errors="coerce").astype(float)
    bad = ~np.isfinite(area.to_numpy()) | (area.to_numpy() <= 0)
    if bad.any():
        raise InputDataError(f"cell_area must be positive numbers: {int(bad.sum())} cells are "
                             f"not (e.g. {area.index[bad][:5].tolist()}).")
    return area


def _check_options(train_months: object, n_months: int, top_n: int | None,
                   select: object, share: float) -> None:
    if isinstance(train_months, bool) or not isinstance(train_months, int | np.integer) \
            or train_months < 1:
        raise ValueError(f"train_months={train_months!r}: give a whole number of months >= 1.")
    if n_months <= train_months:
        raise InputDataError(f"counts has {n_months} months: a backtest with "
                             f"train_months={train_months} needs at least "
                             f"{train_months + 1} (training months plus one to test).")
    if top_n is not None and select is not None:
        raise ValueError("give top_n or select, not both.")
    if select is not None and not callable(select):
        raise TypeError("select must be a function (scores, cell_area) -> Index of cell_id.")
    if top_n is not None:
        select_top_n(pd.Series(dtype=float), top_n)  # validates top_n
    check_area_share(share)


def _scores(method: Method, name: str, train: pd.DataFrame) -> pd.Series:
    scores = method(train)
    if not isinstance(scores, pd.Series):
        raise TypeError(f"method {name!r} returned {type(scores).__name__}; a method must "
                        "return a Series of scores indexed by cell_id.")
    extra = scores.index.difference(train.index)
    if len(extra) or scores.index.has_duplicates:
        raise InputDataError(f"method {name!r} scored cells that are not in counts (e.g. "
                             f"{extra[:5].tolist()}) or the same cell twice.")
    return scores.reindex(train.index)


# --------------------------------------------------------------------------- backtest


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Result of :func:`rolling_backtest`.

    Attributes
    ----------
    per_month
        One row per method and test month: ``method``, ``test_month``,
        ``train_from``, ``train_to``, ``n_cells`` (chosen), ``area_pct`` (of
        the total area, 0-100), ``crimes`` (N), ``captured`` (n),
        ``hit_rate``, ``pai``, ``rri``, ``hit_rate_at_share``.
    summary
        One row per method (index ``method``): ``months``, ``months_pai``
        (months where PAI is defined), ``mean_pai``, ``median_pai``,
        ``min_pai``, ``max_pai``, ``mean_hit_rate``, ``mean_hit_rate_at_share``,
        ``mean_rri``, ``median_rri``, ``mean_area_pct``, ``captured``,
        ``crimes``, ``months_no_cells`` (held-out months in which the method
        chose no cell) and ``months_no_crime`` (held-out months without crime):
        the two reasons a month has no PAI.
    method_text
        A plain-words paragraph for the method card.
    params
        Options and sizes (train_months, area_share, top_n, selection rule,
        months, cells, total area) for a run manifest.
    """

    per_month: pd.DataFrame
    summary: pd.DataFrame
    method_text: str
    params: Mapping[str, Any]


def _score_month(scores: pd.Series, chosen: pd.Index, test: pd.Series, prev: pd.Series,
                 area: pd.Series, share: float) -> dict[str, Any]:
    a, big_a = float(area.reindex(chosen).sum()), float(area.sum())
    n, big_n = float(test.reindex(chosen).sum()), float(test.sum())
    n_prev, big_n_prev = float(prev.reindex(chosen).sum()), float(prev.sum())
    return {
        "n_cells": len(chosen), "area_pct": 100 * area_share(a, big_a), "crimes": big_n,
        "captured": n, "hit_rate": hit_rate(n, big_n), "pai": pai(n, big_n, a, big_a),
        "rri": rri(n, n_prev, big_n, big_n_prev),
        "hit_rate_at_share": hit_rate_at_area_share(scores, test, area, area_share=share),
    }


def rolling_backtest(
    counts: pd.DataFrame,
    methods: Mapping[str, Method],
    cell_area: pd.Series,
    *,
    train_months: int = 3,
    area_share: float = 0.05,
    top_n: int | None = None,
    select: Selector | None = None,
) -> BacktestResult:
    """Choose hotspots on months ``t-k .. t-1`` and score them on month ``t``, for every ``t``.

    Parameters
    ----------
    counts
        Crimes per cell and month: index ``cell_id``, columns ``"YYYY-MM"`` in
        order with no month missing (a gap raises, naming it), values >= 0.
    methods
        Name -> method. A method takes the training slice of ``counts`` (the
        same rows, columns ``t-k .. t-1``, a copy) and returns a score per
        ``cell_id`` (higher = more crime expected); cells it leaves out, or
        scores at 0 or below, are never chosen. Add :func:`baseline_methods`
        as a reference.
    cell_area
        Area per ``cell_id`` (e.g. m², clipped cells smaller), every cell.
    train_months
        ``k``, the number of months each method sees (default 3: a quarter).
    area_share
        Share of the total area to choose (default 0.05, the top 5%), by
        :func:`~hotspots.patrol.metrics.select_by_area_share`; also the share of
        ``hit_rate_at_share``.
    top_n
        Choose this many cells instead (:func:`~hotspots.patrol.metrics.select_top_n`).
    select
        Own selection rule ``(scores, cell_area) -> Index`` instead (e.g. the
        patrol list's); its cells must be in ``counts``.

    Returns
    -------
    BacktestResult
        ``per_month``, ``summary``, ``method_text``, ``params``.

    Raises
    ------
    InputDataError
        Months not consecutive, counts not numbers >= 0, areas missing or not
        positive, too few months, a method scoring unknown cells.
    ValueError, TypeError
        Bad options or a method not returning a Series.

    Notes
    -----
    Test months run from the ``k + 1``-th month to the last. PAI (Chainey et
    al. 2008) and the hit rate use the test month's counts; RRI (Levine 2008)
    compares the chosen cells' crimes in month ``t`` with month ``t-1``. A
    month without crime gives NaN for hit rate, PAI and RRI; the summary's
    means skip NaN and ``months_pai`` says how many months count.

    Examples
    --------
    >>> counts = pd.DataFrame({"2025-01": [5, 1, 0, 0], "2025-02": [4, 0, 1, 0]},
    ...                       index=pd.Index(list("abcd"), name="cell_id"))
    >>> area = pd.Series(1.0, index=counts.index)
    >>> res = rolling_backtest(counts, baseline_methods(), area, train_months=1,
    ...                        area_share=0.25)
    >>> res.per_month[["test_month", "n_cells", "captured", "hit_rate", "pai"]].values.tolist()
    [['2025-02', 1, 4.0, 0.8, 3.2]]
    """
    frame = _check_counts(counts)
    area = _check_cell_area(cell_area, frame.index)
    months = list(frame.columns)
    _check_options(train_months, len(months), top_n, select, area_share)
    k = int(train_months)
    if not methods:
        raise ValueError("methods is empty: pass at least baseline_methods().")
    rows: list[dict[str, Any]] = []
    for name, method in methods.items():
        for i in range(k, len(months)):
            train = frame.iloc[:, i - k:i].copy()
            scores = _scores(method, name, train)
            if select is not None:
                chosen = pd.Index(select(scores, area))
                areas_for(chosen, area)
            elif top_n is not None:
                chosen = select_top_n(scores, top_n)
            else:
                chosen = select_by_area_share(scores, area, area_share=area_share)
            rows.append({"method": name, "test_month": months[i], "train_from": months[i - k],
                         "train_to": months[i - 1],
                         **_score_month(scores, chosen, frame.iloc[:, i], frame.iloc[:, i - 1],
                                        area, area_share)})
    per_month = pd.DataFrame(rows, columns=list(PER_MONTH_COLUMNS))
    rule = _rule_text(area_share, top_n, select)
    params = MappingProxyType({
        "train_months": k, "area_share": float(area_share), "top_n": top_n,
        "selection": rule, "months": (months[0], months[-1]), "test_months": len(months) - k,
        "cells": len(frame), "total_area": float(area.sum()), "methods": tuple(methods),
    })
    summary = _summary(per_month)
    return BacktestResult(per_month, summary, _method_text(summary, params), params)


def _summary(per_month: pd.DataFrame) -> pd.DataFrame:
    g = per_month.groupby("method", sort=False)
    out = pd.DataFrame({
        "months": g.size(),
        "months_pai": g["pai"].count(),
        "mean_pai": g["pai"].mean(),
        "median_pai": g["pai"].median(),
        "min_pai": g["pai"].min(),
        "max_pai": g["pai"].max(),
        "mean_hit_rate": g["hit_rate"].mean(),
        "mean_hit_rate_at_share": g["hit_rate_at_share"].mean(),
        "mean_rri": g["rri"].mean(),
        "median_rri": g["rri"].median(),
        "mean_area_pct": g["area_pct"].mean(),
        "captured": g["captured"].sum(),
        "crimes": g["crimes"].sum(),
        "months_no_cells": g["n_cells"].agg(lambda v: int((v == 0).sum())),
        "months_no_crime": g["crimes"].agg(lambda v: int((v == 0).sum())),
    })
    out.index.name = "method"
    return out


def _rule_text(share: float, top_n: int | None, select: Selector | None) -> str:
    if select is not None:
        return f"cells chosen by {getattr(select, '__name__', 'a custom rule')}"
    if top_n is not None:
        return f"the {top_n} highest-scoring cells"
    return (f"the highest-scoring cells until they cover {100 * share:g}% of the area "
            "(the last cell may take it slightly past)")


def _fmt(x: float, spec: str = ".2f") -> str:
    return "none" if not math.isfinite(x) else format(x, spec)


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def result_words(m: str, r: pd.Series) -> str:
    """Say one method's backtest result in words; months without a PAI say why.

    Parameters
    ----------
    m
        Method name.
    r
        Its row of :attr:`BacktestResult.summary`.

    Returns
    -------
    str
        ``"counts: median PAI 4.40 (range ...) over all 33 held-out months, mean
        hit rate 23.5%"``, or ``"gi_star_perm: no PAI in any of the 33 held-out
        months (it chose no cell in any of them)"``: never "undefined".
    """
    total, defined = int(r.months), int(r.months_pai)
    no_crime = int(r.months_no_crime)
    no_cells = total - defined - no_crime  # months with crime but no cell chosen
    if defined == 0:
        if int(r.months_no_cells) == total:
            why = "it chose no cell in any of them" + (
                f"; {_months(no_crime)} had no crime" if no_crime else "")
        elif no_crime == total:
            why = "no month had crime"
        else:
            why = f"{no_crime} without crime, {no_cells} with no cell chosen"
        return f"{m}: no PAI in any of the {total} held-out months ({why})"
    span = (f"all {total} held-out months" if defined == total
            else f"{defined} of {total} held-out months")
    gaps = []
    if defined < total:
        parts = ([f"{no_crime} without crime"] if no_crime else []) + (
            [f"{no_cells} with no cell chosen"] if no_cells else [])
        gaps.append(f" (no PAI in {total - defined}: {', '.join(parts)})")
    return (f"{m}: median PAI {_fmt(r.median_pai)} (range {_fmt(r.min_pai)} to "
            f"{_fmt(r.max_pai)}) over {span}{''.join(gaps)}, mean hit rate "
            f"{_fmt(100 * r.mean_hit_rate, '.1f')}%")


def _method_text(summary: pd.DataFrame, params: Mapping[str, Any]) -> str:
    first, last = params["months"]
    k = params["train_months"]
    lines = [
        f"Rolling backtest on {params['cells']:,} grid cells, {first} to {last}: each of the "
        f"{params['test_months']} months after the first {k} was held out in turn. For each "
        f"held-out month every method scored the cells using only the {k} month"
        f"{'s' if k != 1 else ''} before it, the patrol area was {params['selection']}, "
        "ties broken by cell id and never a cell scoring 0, and we counted how many of the "
        "held-out month's crimes fell inside it.",
        "Hit rate is the share of those crimes captured; the Predictive Accuracy Index "
        "(PAI, Chainey, Tompson & Uhlig 2008) is the hit rate divided by the share of the "
        "area patrolled, so 1 is no better than chance and higher is better. The Recapture "
        "Rate Index (RRI, Levine 2008) compares the patrol area's crimes in the held-out "
        "month with the month before, relative to the change in all crime (1 = it kept its "
        "share). Months without crime have no PAI and are left out of the means.",
    ]
    parts = [result_words(str(m), r) for m, r in summary.iterrows()]
    lines.append("Results: " + "; ".join(parts) + ".")
    if "naive" in summary.index:
        lines.append("'naive' is the reference: last month's counts.")
    return " ".join(lines)
