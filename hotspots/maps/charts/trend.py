"""The year-on-year chart of monthly counts, and the helpers every chart shares.

:func:`trend_table` is the data behind :func:`trend_chart`, with suppression
applied: months from 1 to ``threshold - 1`` are hidden (drawn as a band, never a
value) and, where a published total would let a reader work a hidden month out
(a year, the compared periods), one more month is hidden (:func:`protect_totals`).
Years run from light to dark blue (older years lighter).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from hotspots.periods import MONTH_NAMES, YearStart, YearStartKey, get_year_start
from hotspots.privacy import DEFAULT_THRESHOLD, suppressed_mask

if TYPE_CHECKING:
    import altair as alt

__all__ = [
    "NOT_COVERED",
    "PROTECTING",
    "SHOWN",
    "SUPPRESSED",
    "SUPPRESSED_FILL",
    "month_order",
    "protect_totals",
    "trend_chart",
    "trend_table",
    "year_colours",
]


#: Pale fill of suppressed bands (scatter plot) and protected months (trend).
SUPPRESSED_FILL = "#dde6ee"
#: Ring colour of months that look incomplete (a partial police.uk upload).
INCOMPLETE_COLOUR = "#b30000"

_LIGHT, _DARK = "#9ecae1", "#08306b"


#: Status words of a trend month.
SHOWN, NOT_COVERED, SUPPRESSED, PROTECTING = (
    "shown", "not covered by the data", "suppressed (small count)",
    "suppressed (protects a published total)")


# --------------------------------------------------------------------------- helpers


def month_order(year_start: YearStartKey | YearStart) -> list[str]:
    """Return the month names in the order of a year convention.

    Examples
    --------
    >>> month_order("financial")[:3], month_order("project")[0], month_order("calendar")[0]
    (['Apr', 'May', 'Jun'], 'May', 'Jan')
    """
    ys = get_year_start(year_start)
    return [MONTH_NAMES[(ys.start_month - 1 + i) % 12] for i in range(12)]


def year_colours(n: int) -> list[str]:
    """Return ``n`` blues from light (oldest year) to dark (latest year).

    Examples
    --------
    >>> year_colours(1), year_colours(2)
    (['#08306b'], ['#9ecae1', '#08306b'])
    """
    if n <= 1:
        return [_DARK][:max(n, 0)]
    a = [int(_LIGHT[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(_DARK[i:i + 2], 16) for i in (1, 3, 5)]
    return ["#" + "".join(f"{round(x + (y - x) * t / (n - 1)):02x}" for x, y in zip(a, b,
                                                                                  strict=True))
            for t in range(n)]


def _fmt_count(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "no data"
    f = float(v)  # type: ignore[arg-type]
    return f"{int(f):,}" if f.is_integer() else f"{f:,.1f}"


def protect_totals(
    counts: pd.Series,
    windows: Iterable[Iterable[object]],
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[pd.Series, pd.Series]:
    """Primary and complementary suppression of cells whose window totals are published.

    A cell from 1 to ``threshold - 1`` is hidden (primary). A published total
    of a window of cells (a year, a compared period) minus the cells shown
    would give away a single hidden cell, or a sum below the threshold; so in
    every window the hidden cells must be none, or sum to at least
    ``threshold`` (hence at least two). Where not, the smallest cell shown
    that is above zero is hidden as well (complementary), until every window
    passes or has no cell left to hide.

    Parameters
    ----------
    counts
        Non-negative counts; NaN (not covered) is never hidden.
    windows
        Groups of index labels of ``counts`` whose totals may be published.
    threshold
        Smallest count that may be shown.

    Returns
    -------
    primary, complementary : Series of bool
        Index of ``counts``.

    Notes
    -----
    This is the usual one-cell-at-a-time heuristic, not a full audit of
    every linear combination of overlapping windows.

    Examples
    --------
    >>> s = pd.Series([3, 9, 12, 0], index=list("abcd"))
    >>> p, c = protect_totals(s, [list("abcd")], threshold=5)
    >>> p.tolist(), c.tolist()
    ([True, False, False, False], [False, True, False, False])
    """
    c = pd.to_numeric(counts, errors="coerce").astype(float)
    primary = suppressed_mask(c, threshold=threshold)
    hidden = primary.copy()
    groups = [pd.Index(list(w)).intersection(c.index) for w in windows]
    changed = True
    while changed:
        changed = False
        for g in groups:
            h = hidden.loc[g]
            if not h.any() or c.loc[g][h].sum() >= threshold:
                continue
            free = c.loc[g][~h & (c.loc[g] > 0)].dropna()
            if free.empty:
                continue
            hidden.loc[free.sort_values(kind="stable").index[0]] = True
            changed = True
    return primary, hidden & ~primary


# --------------------------------------------------------------------------- trend


def trend_table(
    monthly_long: pd.DataFrame,
    *,
    sensitive: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    windows: Iterable[Iterable[str]] = (),
) -> pd.DataFrame:
    """Return the data behind the year-on-year chart, with suppression applied.

    Parameters
    ----------
    monthly_long
        :func:`hotspots.stats.trends.seasonal_table` with ``layout="long"``:
        ``year``, ``year_label``, ``month_of_year``, ``month_name``,
        ``month``, ``count`` (NaN where the data do not cover the month),
        ``available``.
    sensitive
        Suppress small counts (referrals).
    threshold
        Smallest count that may be shown.
    windows
        Other groups of months whose totals are published (e.g. the
        compared periods); every year of the table is one already.

    Returns
    -------
    DataFrame
        ``year``, ``year_label``, ``year_name`` (e.g. ``"FY 2025/26"``),
        ``month_of_year``, ``month_name``, ``month``, ``month_label`` (e.g.
        ``"Apr 2025"``), ``count`` (NaN
        where not covered or hidden), ``count_display``, ``status`` and,
        for primary-suppressed months, ``band_low`` = 1 and ``band_high`` =
        ``threshold - 1`` (NaN otherwise).
    """
    f = monthly_long.reset_index(drop=True)
    count = pd.to_numeric(f["count"], errors="coerce").astype(float)
    covered = f["available"].astype(bool) & count.notna()
    status = pd.Series(np.where(covered, SHOWN, NOT_COVERED), index=f.index, dtype=object)
    primary = pd.Series(False, index=f.index)
    extra = pd.Series(False, index=f.index)
    if sensitive:
        by_month = pd.Series(f.index, index=f["month"].astype(str))
        groups = [list(ix) for ix in f.groupby("year", sort=False).groups.values()]
        for w in windows:
            idx = by_month.reindex([m for m in w if m in by_month.index]).dropna()
            if len(idx):
                groups.append([int(i) for i in idx])
        primary, extra = protect_totals(count.where(covered), groups, threshold=threshold)
    status[primary] = SUPPRESSED
    status[extra] = PROTECTING
    hidden = primary | extra
    display = count.map(_fmt_count).where(covered, "no data (not covered)")
    display[primary] = f"<{threshold}"
    display[extra] = "suppressed"
    out = pd.DataFrame({
        "year": f["year"].to_numpy(),
        "year_label": f["year_label"].astype(str).to_numpy(),
        "year_name": f["year_label"].astype(str).str.split(" (", n=1, regex=False).str[0]
        .to_numpy(),
        "month_of_year": f["month_of_year"].to_numpy(),
        "month_name": f["month_name"].astype(str).to_numpy(),
        "month": f["month"].astype(str).to_numpy(),
        "month_label": [f"{MONTH_NAMES[int(m[5:]) - 1]} {m[:4]}" for m in f["month"].astype(str)],
        "count": count.where(covered & ~hidden).to_numpy(),
        "count_display": display.to_numpy(),
        "status": status.to_numpy(),
    })
    out["band_low"] = np.where(primary, 1.0, np.nan)
    out["band_high"] = np.where(primary, float(max(threshold - 1, 1)), np.nan)
    return out


def trend_chart(
    monthly_long: pd.DataFrame,
    *,
    year_start: YearStartKey | YearStart,
    sensitive: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    windows: Iterable[Iterable[str]] = (),
    value_label: str = "Count",
    title: str | None = None,
    height: int = 380,
    incomplete: Mapping[str, str] | None = None,
) -> alt.LayerChart:
    """Chart monthly counts with one line per year, months in the year's order.

    Parameters
    ----------
    monthly_long
        :func:`hotspots.stats.trends.seasonal_table` (``layout="long"``) for the
        same ``year_start``.
    year_start
        Year convention: the x axis runs from its first month (April for
        ``"financial"``, May for ``"project"``, January for ``"calendar"``).
    sensitive, threshold, windows
        As :func:`trend_table`.
    value_label
        Y axis title.
    title
        Chart title.
    height
        Height in pixels, title and legend included (the width follows the
        container).
    incomplete
        ``YYYY-MM`` -> why the month looks incomplete (e.g. a partial police.uk
        upload): those months are ringed in red and their status says why.

    Returns
    -------
    altair.LayerChart
        Lines break at months the data do not cover (never drawn as zero);
        suppressed months are a band from 1 to ``threshold - 1`` in the
        year's colour, months hidden to protect a total a grey column.
    """
    import altair as alt  # here: the board pack's tables use this module, not Altair

    data = trend_table(monthly_long, sensitive=sensitive, threshold=threshold, windows=windows)
    flagged = data["month"].astype(str).isin(list(incomplete or {})) & data["count"].notna()
    if flagged.any():
        data.loc[flagged, "status"] = data.loc[flagged, "month"].astype(str).map(
            lambda m: (incomplete or {})[m])
    data["incomplete"] = flagged
    order = month_order(year_start)
    years = (data[["year", "year_name"]].drop_duplicates().sort_values("year")["year_name"]
             .tolist())
    ys = get_year_start(year_start)
    x = alt.X("month_name:N", sort=order, scale=alt.Scale(domain=order),
              title=f"Month ({ys.label})", axis=alt.Axis(labelAngle=0))
    colour = alt.Color("year_name:N", title=None, sort=years,
                       scale=alt.Scale(domain=years, range=year_colours(len(years))),
                       legend=alt.Legend(orient="top", labelLimit=260, symbolStrokeWidth=3))
    tips = [alt.Tooltip("year_label:N", title="Year"), alt.Tooltip("month_label:N", title="Month"),
            alt.Tooltip("count_display:N", title=value_label),
            alt.Tooltip("status:N", title="Status")]
    cols = ["year_label", "year_name", "month_name", "month", "month_label", "count",
            "count_display", "status", "band_low", "band_high", "incomplete"]
    base = alt.Chart(data[cols])
    latest = years[-1] if years else ""
    line = base.mark_line(point=True, invalid="break-paths-show-domains").encode(
        x=x, y=alt.Y("count:Q", title=value_label, scale=alt.Scale(zero=True)), color=colour,
        strokeWidth=alt.condition(alt.datum.year_name == latest, alt.value(3.5), alt.value(2)),
        tooltip=tips)
    layers: list[Any] = [line]
    if (data["status"] == SUPPRESSED).any():
        # one thin bar per year side by side within the month, so that years never overlap
        layers.append(base.transform_filter(alt.datum.status == SUPPRESSED).mark_bar(
            opacity=0.6, width=alt.RelativeBandSize(0.8)).encode(
            x=x, xOffset=alt.XOffset("year_name:N", sort=years, scale=alt.Scale(
                domain=years, paddingInner=0.1)),
            y=alt.Y("band_low:Q"), y2="band_high:Q", color=colour, tooltip=tips))
    if (data["status"] == PROTECTING).any():
        layers.append(base.transform_filter(alt.datum.status == PROTECTING).mark_rect(
            color=SUPPRESSED_FILL, opacity=0.6).encode(x=x, tooltip=tips))
    if flagged.any():
        layers.append(base.transform_filter(alt.datum.incomplete).mark_point(
            shape="circle", size=260, filled=False, color=INCOMPLETE_COLOUR, strokeWidth=2.5
        ).encode(x=x, y=alt.Y("count:Q"), tooltip=tips))
    notes = ["Gaps: months the data do not cover (not zero)."]
    if flagged.any():
        notes.append("Red rings: months that look incomplete (partial uploads), not real "
                     "falls.")
    if (data["status"] == SUPPRESSED).any():
        notes.append(f"Bars: months with 1 to {threshold - 1} (suppressed).")
    if (data["status"] == PROTECTING).any():
        notes.append("Grey columns: months hidden so that a published total does not reveal "
                     "a suppressed month.")
    chart = alt.layer(*layers).properties(
        height=height, width="container",
        title=alt.TitleParams(title or value_label, subtitle=" ".join(notes), anchor="start"))
    return cast(alt.LayerChart, chart)
