"""Change and rank tables: a period against the period it is compared with.

Input is a long frame of counts: a group column (``area_code``, a borough, an
offence group ...), ``month`` (``"YYYY-MM"``) and ``count``; several rows per
group and month (e.g. one per offence type) are summed. Months inside a
period that have no records count as 0 **only if the source covers them**:
callers always say which months the source covers (``months_available``), and
a period that reaches beyond them is an error, or, on request, flagged
``incomplete`` -- never silently a shorter period.

Rules used on every table (one rule each, documented once):

* change: ``change_abs = count - count_prev``;
  ``change_pct = 100 * change_abs / count_prev``, undefined (NaN) when
  ``count_prev`` is 0: the label then says ``"new"`` (0 -> n) or
  ``"no change"`` (0 -> 0), never ``inf``;
* ``small_base``: ``count_prev`` below a threshold (default 10, including 0),
  where a percentage change says little;
* ranks: competition ranking ("1224", :func:`hotspots.stats.competition_rank`),
  1 = highest count, for both periods; ``rank_move = rank_prev - rank``
  (positive = moved up the table towards rank 1);
* differences of shares are in percentage **points**
  (:func:`points_change`), never per cent.

Examples
--------
>>> import pandas as pd
>>> from hotspots.periods import custom_period
>>> df = pd.DataFrame({"area_code": ["A", "A", "B", "C"],
...                    "month": ["2025-01", "2025-02", "2025-02", "2025-01"],
...                    "count": [10, 12, 3, 5]})
>>> t = compare_periods(df, custom_period("2025-02", "2025-02"),
...                     custom_period("2025-01", "2025-01"),
...                     months_available=["2025-01", "2025-02"])
>>> t.frame["area_code"].tolist(), t.frame["change_label"].tolist()
(['A', 'B', 'C'], ['+2 (+20.0%)', 'new', '-5 (-100.0%)'])
>>> t.frame["rank"].tolist(), t.frame["rank_prev"].tolist(), t.frame["rank_move"].tolist()
([1, 2, 3], [1, 3, 2], [0, 1, -1])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.periods import (
    MONTH_NAMES,
    Period,
    YearStart,
    YearStartKey,
    available_months,
    get_year_start,
    months_text,
    year_period,
)
from hotspots.stats.ranking import competition_rank

__all__ = [
    "change_words",
    "CHANGE_COLUMNS",
    "DEFAULT_SMALL_BASE",
    "ChangeTable",
    "callouts",
    "change_label",
    "compare_periods",
    "points_change",
    "points_label",
    "seasonal_table",
]

#: Percentage changes on a previous count below this are flagged ``small_base``.
DEFAULT_SMALL_BASE = 10

#: Columns :func:`compare_periods` adds after the group column.
CHANGE_COLUMNS = [
    "count", "count_prev", "change_abs", "change_pct", "change_label",
    "rank", "rank_prev", "rank_move", "small_base", "incomplete",
]


# --------------------------------------------------------------------------- input checks

def _check_long(frame: pd.DataFrame, group: str, month_col: str, count_col: str) -> None:
    """Raise once, naming every problem with the long input frame."""
    missing = [c for c in (group, month_col, count_col) if c not in frame.columns]
    if missing:
        raise ColumnMappingError(
            f"The counts frame lacks column(s) {missing}; it has {list(frame.columns)}. "
            f"Pass group=, month_col= or count_col= to name yours."
        )
    problems: list[str] = []
    bad_month = _bad_months(frame[month_col])
    if bad_month.any():
        examples = frame.loc[bad_month, month_col].astype(str).unique()[:5].tolist()
        problems.append(f"{int(bad_month.sum())} row(s) with a month not of the form "
                        f"'YYYY-MM' (e.g. {examples})")
    counts = pd.to_numeric(frame[count_col], errors="coerce")
    if counts.isna().any():
        problems.append(f"{int(counts.isna().sum())} row(s) with a missing or non-numeric "
                        f"'{count_col}' (leave areas without data out of the long frame)")
    if (counts < 0).any():
        problems.append(f"{int((counts < 0).sum())} row(s) with a negative '{count_col}'")
    if frame[group].isna().any():
        problems.append(f"{int(frame[group].isna().sum())} row(s) with no '{group}'")
    if problems:
        raise InputDataError("The counts frame cannot be used: " + "; ".join(problems) + ".")


def _bad_months(months: pd.Series) -> pd.Series:
    """Mark the values that are not a ``YYYY-MM`` month (missing ones too).

    Matched once per distinct value: a long frame repeats a few dozen months.
    """
    codes, distinct = pd.factorize(months, use_na_sentinel=False)
    bad = ~pd.Series(distinct, dtype=object).astype("string").str.fullmatch(
        r"\d{4}-(0[1-9]|1[0-2])")
    return pd.Series(bad.fillna(True).to_numpy(dtype=bool)[codes], index=months.index)


def _coverage(period: Period, available: frozenset[str]) -> tuple[str, ...]:
    """Months of ``period`` the source does not cover."""
    return tuple(m for m in period.months if m not in available)


def _coverage_text(available: frozenset[str]) -> str:
    return f"{months_text(available)} ({len(available)} months)"


def _check_coverage(
    periods: tuple[Period, Period],
    available: frozenset[str],
    incomplete: Literal["raise", "flag"],
) -> tuple[str, ...]:
    """Raise (or return notes) for periods reaching beyond the data."""
    if incomplete not in ("raise", "flag"):
        raise ValueError(f"incomplete={incomplete!r} is unknown: use 'raise' or 'flag'.")
    notes = []
    for p in periods:
        gap = _coverage(p, available)
        if gap:
            rest = p.n_months - len(gap)
            notes.append(
                f"{p.label} is incomplete: the data do not cover {len(gap)} of its "
                f"{p.n_months} months ({months_text(gap)}); its count covers the other "
                f"{rest} only." if rest else
                (f"{p.label} is not in the data: none of its {p.n_months} months "
                 f"({months_text(gap)}) are covered." if p.n_months != 1 else
                 f"{p.label} is not in the data: its month ({months_text(gap)}) is not "
                 "covered.")
            )
    if notes and incomplete == "raise":
        err = InputDataError(
            " ".join(notes) + f" The data cover {_coverage_text(available)}. Choose periods "
            "that lie inside the data."
        )
        # For programmers only (tracebacks), never shown on the page.
        err.add_note("compare_periods(..., incomplete='flag') returns them marked incomplete.")
        raise err
    return tuple(notes)


# --------------------------------------------------------------------------- change maths

def _fmt_number(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.1f}"


def change_label(count: float, count_prev: float) -> str:
    """Return the change in words: ``"+12 (+20.0%)"``, ``"new"`` or ``"no change"``.

    Parameters
    ----------
    count, count_prev
        Current and previous counts (non-negative).

    Returns
    -------
    str
        ``"new"`` when the previous count is 0 and the current one is not;
        ``"no change"`` when both are equal (including 0 -> 0); otherwise
        the signed absolute change and the signed percentage change.

    Examples
    --------
    >>> change_label(60, 50), change_label(3, 0), change_label(0, 0), change_label(0, 4)
    ('+10 (+20.0%)', 'new', 'no change', '-4 (-100.0%)')
    """
    if any(isinstance(v, float) and math.isnan(v) for v in (count, count_prev)):
        return "no data"
    if count == count_prev:
        return "no change"
    if count_prev == 0:
        return "new"
    diff = count - count_prev
    pct = 100.0 * diff / count_prev
    sign = "+" if diff > 0 else "-"
    return f"{sign}{_fmt_number(abs(diff))} ({pct:+.1f}%)"


def _totals(frame: pd.DataFrame, group: str, month_col: str, count_col: str,
            months: Iterable[str]) -> pd.Series:
    keep = frame[month_col].isin(set(months))  # two columns taken, not every column
    return pd.to_numeric(frame[count_col][keep]).groupby(frame[group][keep], observed=True).sum()


def _as_counts(s: pd.Series) -> pd.Series:
    """Integer dtype when every value is whole, float otherwise."""
    s = s.astype(float)
    return s.astype("int64") if np.all(np.mod(s.to_numpy(), 1) == 0) else s


def _change_frame(cur: pd.Series, prev: pd.Series, group: str, small_base: float) -> pd.DataFrame:
    out = pd.DataFrame({group: cur.index, "count": _as_counts(cur).to_numpy(),
                        "count_prev": _as_counts(prev).to_numpy()})
    c, p = out["count"].astype(float), out["count_prev"].astype(float)
    out["change_abs"] = _as_counts(c - p).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = np.where(p > 0, 100.0 * (c - p) / p.where(p > 0), np.nan)
    out["change_label"] = [change_label(a, b) for a, b in zip(c, p, strict=True)]
    out["rank"] = competition_rank(c).astype("Int64")
    out["rank_prev"] = competition_rank(p).astype("Int64")
    out["rank_move"] = (out["rank_prev"] - out["rank"]).astype("Int64")
    out["small_base"] = (p < small_base).to_numpy()
    return out


# --------------------------------------------------------------------------- public: compare

@dataclass(frozen=True)
class ChangeTable:
    """A change-and-rank table with the periods it compares.

    Attributes
    ----------
    frame
        One row per group, sorted by ``rank`` then group: the group column,
        then :data:`CHANGE_COLUMNS` -- ``count``, ``count_prev``,
        ``change_abs``, ``change_pct`` (NaN when ``count_prev`` is 0),
        ``change_label``, ``rank``, ``rank_prev``, ``rank_move`` (Int64),
        ``small_base`` and ``incomplete`` (bool).
    current, previous
        The periods compared.
    small_base
        Threshold below which a previous count is a small base.
    notes
        Plain-words notes to print with the table (incompleteness, the
        small-base rule, the caveats of both periods).
    """

    frame: pd.DataFrame
    current: Period
    previous: Period
    small_base: float
    notes: tuple[str, ...]

    @property
    def incomplete(self) -> bool:
        """True when either period reaches beyond the months the source covers."""
        return bool(self.frame["incomplete"].any()) if len(self.frame) else False

    @property
    def title(self) -> str:
        """E.g. ``"FY 2025/26 (Apr 2025 – Mar 2026) compared with FY 2024/25 (...)"``."""
        return f"{self.current.label} compared with {self.previous.label}"


def compare_periods(
    frame: pd.DataFrame,
    current: Period,
    previous: Period,
    *,
    months_available: Iterable[str] | Period,
    group: str = "area_code",
    month_col: str = "month",
    count_col: str = "count",
    groups: Iterable[object] | None = None,
    small_base: float = DEFAULT_SMALL_BASE,
    incomplete: Literal["raise", "flag"] = "raise",
) -> ChangeTable:
    """Compare counts per group in two periods, with change and ranks.

    Parameters
    ----------
    frame
        Long counts: ``group``, ``month_col`` (``"YYYY-MM"``) and
        ``count_col``. Not modified.
    current, previous
        Periods to compare (see :mod:`hotspots.periods`).
    months_available
        Months the source covers. Months in a period without records count
        as 0 only when listed here.
    group
        Column to group by (``area_code``, a borough name, an offence group).
    month_col, count_col
        Names of the month and count columns.
    groups
        Every group that must appear (e.g. all areas of the layer), with 0
        where it has no records; groups found in ``frame`` are always kept.
    small_base
        ``small_base`` is True where ``count_prev < small_base``.
    incomplete
        ``"raise"`` (default) when a period has months outside
        ``months_available``; ``"flag"`` to count the covered months only and
        mark every row ``incomplete``.

    Returns
    -------
    ChangeTable

    Raises
    ------
    ColumnMappingError
        When a named column is missing.
    InputDataError
        For malformed months, missing or negative counts, missing groups,
        or (with ``incomplete="raise"``) a period beyond the data.
    ValueError
        For a malformed ``months_available`` or unknown ``incomplete``.

    Notes
    -----
    Ranks are competition ("1224") ranks, as in Excel's ``RANK.EQ`` and
    SQL's ``RANK()``; percentage change is undefined on a zero base and
    labelled ``"new"``. Percentage changes on bases below about 10 are
    unstable (a change of 1 is already 10%), hence ``small_base``.
    """
    _check_long(frame, group, month_col, count_col)
    available = available_months(months_available)
    notes = list(_check_coverage((current, previous), available, incomplete))
    cur = _totals(frame, group, month_col, count_col, set(current.months) & available)
    prev = _totals(frame, group, month_col, count_col, set(previous.months) & available)
    keys = pd.Index(pd.unique(frame[group])).union(pd.Index(list(groups or [])), sort=False)
    keys = keys.union(cur.index, sort=False).union(prev.index, sort=False)
    cur = cur.reindex(keys, fill_value=0)
    prev = prev.reindex(keys, fill_value=0)
    out = _change_frame(cur, prev, group, small_base)
    out["incomplete"] = bool(notes)
    out = out.sort_values(["rank", group], kind="mergesort").reset_index(drop=True)
    notes.append(f"Percentage change is flagged as on a small base where the previous count "
                 f"is below {_fmt_number(small_base)}.")
    notes.extend(p.text for p in (current, previous) if p.caveats)
    return ChangeTable(out, current, previous, float(small_base), tuple(notes))


def callouts(table: ChangeTable, *, name_col: str | None = None) -> dict[str, str]:
    """One-line callouts for a change table: top, largest rise and fall.

    The largest rise is given both as the largest absolute rise and as the
    largest percentage rise among groups *not* on a small base, so a group
    that tripled from a modest base is not hidden behind the largest count.

    Parameters
    ----------
    table
        Output of :func:`compare_periods`.
    name_col
        Column of ``table.frame`` to name groups by (default: the group
        column).

    Returns
    -------
    dict
        Keys ``"top"``, ``"largest_rise"``, ``"largest_pct_rise"``,
        ``"largest_fall"``, ``"new"`` (only those that apply).
    """
    f = table.frame
    name = name_col or f.columns[0]
    out: dict[str, str] = {}
    if not len(f):
        return out
    top = f.iloc[0]
    if top["count"] > 0:
        out["top"] = (f"Highest: {top[name]} with {_fmt_number(top['count'])} "
                      f"({table.current.label}).")
    rises, falls = f[f["change_abs"] > 0], f[f["change_abs"] < 0]
    if len(rises):
        r = rises.sort_values(["change_abs", name], ascending=[False, True]).iloc[0]
        out["largest_rise"] = f"Largest rise: {r[name]}, {r['change_label']}."
    solid = rises[~rises["small_base"]]
    if len(solid):
        r = solid.sort_values(["change_pct", name], ascending=[False, True]).iloc[0]
        out["largest_pct_rise"] = (
            f"Largest percentage rise (previous count at least "
            f"{_fmt_number(table.small_base)}): {r[name]}, {r['change_label']}.")
    if len(falls):
        r = falls.sort_values(["change_abs", name], ascending=[True, True]).iloc[0]
        out["largest_fall"] = f"Largest fall: {r[name]}, {r['change_label']}."
    new = f[f["change_label"] == "new"]
    if len(new):
        shown = ", ".join(str(v) for v in new[name].head(5)) + (", ..." if len(new) > 5 else "")
        out["new"] = f"New (none in the previous period): {len(new)} ({shown})."
    return out


# --------------------------------------------------------------------------- points

def points_label(share: float, share_prev: float, *,
                 scale: Literal["fraction", "percent"] = "fraction", decimals: int = 1) -> str:
    """Describe a difference of two shares in percentage points.

    Parameters
    ----------
    share, share_prev
        Current and previous shares.
    scale
        ``"fraction"`` (0.54) or ``"percent"`` (54.0).
    decimals
        Decimal places.

    Returns
    -------
    str

    Examples
    --------
    >>> points_label(0.54, 0.46)
    '+8.0 percentage points (from 46.0% to 54.0%)'
    >>> points_label(46.0, 46.0, scale="percent")
    'no change (46.0%)'
    """
    f = _SCALES.get(scale)
    if f is None:
        raise ValueError(f"scale={scale!r} is unknown: use one of {sorted(_SCALES)}.")
    a, b = share * f, share_prev * f
    if math.isnan(a) or math.isnan(b):
        return "no data"
    d = round(a - b, decimals)
    if d == 0:
        return f"no change ({a:.{decimals}f}%)"
    word = "point" if abs(d) == 1 else "points"
    return f"{d:+.{decimals}f} percentage {word} (from {b:.{decimals}f}% to {a:.{decimals}f}%)"


_SCALES: dict[str, float] = {"fraction": 100.0, "percent": 1.0}


def points_change(share: pd.Series, share_prev: pd.Series, *,
                  scale: Literal["fraction", "percent"] = "fraction",
                  decimals: int = 1) -> pd.DataFrame:
    """Differences of shares in percentage points, never per cent.

    "From 46% to 54%" is a rise of 8 percentage points (and of 17.4 per
    cent); this helper only ever reports the former, and says so.

    Parameters
    ----------
    share, share_prev
        Aligned current and previous shares.
    scale
        ``"fraction"`` (0..1) or ``"percent"`` (0..100).
    decimals
        Decimal places in the label.

    Returns
    -------
    DataFrame
        Index of ``share``; columns ``share_pct``, ``share_prev_pct`` (both
        in per cent), ``change_points`` and ``change_label``.

    Raises
    ------
    ValueError
        For an unknown ``scale`` or misaligned series.
    """
    f = _SCALES.get(scale)
    if f is None:
        raise ValueError(f"scale={scale!r} is unknown: use one of {sorted(_SCALES)}.")
    if not share.index.equals(share_prev.index):
        raise ValueError("share and share_prev must have the same index (align them first).")
    a, b = share.astype(float) * f, share_prev.astype(float) * f
    labels = [points_label(x, y, scale="percent", decimals=decimals) for x, y in zip(a, b,
                                                                                      strict=True)]
    return pd.DataFrame({"share_pct": a, "share_prev_pct": b, "change_points": a - b,
                         "change_label": labels}, index=share.index)


# --------------------------------------------------------------------------- seasonality

def seasonal_table(
    frame: pd.DataFrame,
    *,
    months_available: Iterable[str] | Period,
    year_start: YearStartKey | YearStart = "calendar",
    month_col: str = "month",
    count_col: str = "count",
    layout: Literal["wide", "long"] = "wide",
) -> pd.DataFrame:
    """Monthly totals as a month-of-year × year table, for overlaid year lines.

    Parameters
    ----------
    frame
        Long counts with ``month_col`` and ``count_col`` (filter it to one
        area, offence group or borough first). Not modified.
    months_available
        Months the source covers: covered months without records are 0,
        months not covered are NaN ("no data", not zero).
    year_start
        Year convention for the columns and the order of the rows
        (e.g. ``"financial"``: rows April to March, columns "FY 2024/25" ...).
    month_col, count_col
        Column names.
    layout
        ``"wide"``: index ``month_name`` (in year order), one column per
        year name; ``"long"``: one row per month with ``year``,
        ``year_label``, ``month_of_year`` (1 = the year's first month),
        ``month_name``, ``month``, ``count`` and ``available``.

    Returns
    -------
    DataFrame

    Raises
    ------
    ColumnMappingError, InputDataError, ValueError
        As :func:`compare_periods`; ``ValueError`` for an unknown layout.
    """
    if layout not in ("wide", "long"):
        raise ValueError(f"layout={layout!r} is unknown: use 'wide' or 'long'.")
    ys = get_year_start(year_start)
    work = frame.assign(_all="all")
    _check_long(work, "_all", month_col, count_col)
    available = available_months(months_available)
    totals = _totals(work, month_col, month_col, count_col, available)
    years = range(ys.year_of(min(available)), ys.year_of(max(available)) + 1)
    rows = []
    for y in years:
        p = year_period(y, year_start=ys)
        for k, m in enumerate(p.months, start=1):
            ok = m in available
            rows.append((y, p.label, k, MONTH_NAMES[int(m[5:]) - 1], m,
                         float(totals.get(m, 0.0)) if ok else np.nan, ok))
    long = pd.DataFrame(rows, columns=["year", "year_label", "month_of_year", "month_name",
                                       "month", "count", "available"])
    if layout == "long":
        return long
    wide = long.pivot(index="month_of_year", columns="year", values="count")
    wide.index = pd.Index([MONTH_NAMES[(ys.start_month - 1 + i - 1) % 12] for i in wide.index],
                          name="month_name")
    wide.columns = pd.Index([ys.name(y) for y in wide.columns], name="year")
    return wide


def _count_text(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def _as_float(x: object) -> float:
    """Return ``x`` as a float, NaN when missing or not a number (``pd.to_numeric`` coerce)."""
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def change_words(count: object, count_prev: object) -> str:
    """Return a change in words that no spreadsheet reads as a formula.

    Like :func:`change_label` but the direction is a word, so
    the text never starts with ``+`` or ``-`` (a CSV export would otherwise
    neutralise it with a leading apostrophe, :func:`hotspots.privacy.neutralise_formula`).

    Parameters
    ----------
    count, count_prev
        Current and previous counts (non-negative; NaN or None = no data).

    Returns
    -------
    str
        ``"up 12 (20.0%)"``, ``"down 3 (5.0%)"``, ``"new"`` (from 0),
        ``"no change"`` or ``"no data"``.

    Examples
    --------
    >>> change_words(60, 50), change_words(47, 50), change_words(3, 0), change_words(4, 4)
    ('up 10 (20.0%)', 'down 3 (6.0%)', 'new', 'no change')
    >>> change_words(1234.6, 1000), change_words(0, 4), change_words(None, 4)
    ('up 234.6 (23.5%)', 'down 4 (100.0%)', 'no data')
    """
    now, before = _as_float(count), _as_float(count_prev)
    if math.isnan(now) or math.isnan(before):
        return "no data"
    if now == before:
        return "no change"
    if before == 0:
        return "new"
    diff = now - before
    pct = abs(100.0 * diff / before)
    return f"{'up' if diff > 0 else 'down'} {_count_text(abs(diff))} ({pct:.1f}%)"
