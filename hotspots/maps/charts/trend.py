"""Altair chart specs of the analysis views, and the plain tables behind them.

Every chart has a ``*_table`` function returning the frame it draws (the
screen-reader and copy-paste path); the chart is built from that frame only,
so what the table hides the chart cannot show. Streamlit draws the specs with
its bundled Vega-Lite: nothing is fetched from the internet.

Referral measures are sensitive: with ``sensitive=True`` no point, bar, label
or tooltip carries a count from 1 to ``threshold - 1``:

* months of a trend are hidden where the count is small (drawn as a band
  "1 to 4", never a value) and, where a published total would let a reader
  work a hidden month out (a year, the compared periods), one more month is
  hidden (:func:`protect_totals`);
* wards with a suppressed count sit in a labelled band of the scatter plot
  (counts) or are left out of it (rates), their value only as ``"<5"``;
* change bars and ranks leave out every row whose count, in either period,
  is hidden, and ranks are recomputed over the rows shown.

Colours are colour-blind safe: years from light to dark blue (older years
lighter), rises and falls red and blue (ColorBrewer RdBu).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast

import altair as alt
import numpy as np
import pandas as pd

from hotspots.periods import MONTH_NAMES, YearStart, YearStartKey, get_year_start
from hotspots.privacy import DEFAULT_THRESHOLD, suppressed_mask
from hotspots.stats import competition_rank, spearman
from hotspots.stats.trends import change_words

__all__ = [
    "FALL_COLOUR",
    "RISE_COLOUR",
    "change_bar_chart",
    "change_bar_table",
    "change_table",
    "change_words",
    "month_order",
    "protect_totals",
    "scatter_chart",
    "scatter_table",
    "trend_chart",
    "trend_table",
    "year_colours",
]

RISE_COLOUR = "#b2182b"
FALL_COLOUR = "#2166ac"
NO_CHANGE_COLOUR = "#999999"
SUPPRESSED_FILL = "#dde6ee"
_LIGHT, _DARK = "#9ecae1", "#08306b"
#: Okabe & Ito's colour-blind-safe qualitative palette (grey is kept for "other").
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
_MAX_BOROUGH_COLOURS = len(OKABE_ITO)

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
        :func:`hotspots.trends.seasonal_table` with ``layout="long"``:
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
) -> alt.LayerChart:
    """Chart monthly counts with one line per year, months in the year's order.

    Parameters
    ----------
    monthly_long
        :func:`hotspots.trends.seasonal_table` (``layout="long"``) for the
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

    Returns
    -------
    altair.LayerChart
        Lines break at months the data do not cover (never drawn as zero);
        suppressed months are a band from 1 to ``threshold - 1`` in the
        year's colour, months hidden to protect a total a grey column.
    """
    data = trend_table(monthly_long, sensitive=sensitive, threshold=threshold, windows=windows)
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
            "count_display", "status", "band_low", "band_high"]
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
    notes = ["Gaps: months the data do not cover (not zero)."]
    if (data["status"] == SUPPRESSED).any():
        notes.append(f"Bars: months with 1 to {threshold - 1} (suppressed).")
    if (data["status"] == PROTECTING).any():
        notes.append("Grey columns: months hidden so that a published total does not reveal "
                     "a suppressed month.")
    chart = alt.layer(*layers).properties(
        height=height, width="container",
        title=alt.TitleParams(title or value_label, subtitle=" ".join(notes), anchor="start"))
    return cast(alt.LayerChart, chart)


# --------------------------------------------------------------------------- scatter


def scatter_table(
    table: pd.DataFrame,
    *,
    sensitive: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    rate: bool = False,
) -> pd.DataFrame:
    """Return the data behind the scatter plot of ward values against IMD score.

    Parameters
    ----------
    table
        Analysis (or ward) table: ``area_name``, ``borough_name``,
        ``value``, ``value_display``, ``imd_score``, ``suppressed`` and
        optionally ``imd_decile``, ``has_data``.
    sensitive
        Referral measure: suppressed wards get no value.
    threshold
        Suppression threshold.
    rate
        The value is a rate: suppressed wards are left out of the plot (a
        rate band would be meaningless); counts sit in a band.

    Returns
    -------
    DataFrame
        Wards with data and an IMD score: ``area_name``, ``borough_name``,
        ``imd_score``, ``imd_decile``, ``value`` (NaN where suppressed),
        ``value_display``, ``suppressed``, ``y_plot`` (the value, the middle
        of the band for suppressed counts, NaN where not plotted).
    """
    t = table
    keep = pd.to_numeric(t["imd_score"], errors="coerce").notna()
    keep &= pd.to_numeric(t["value"], errors="coerce").notna()
    if "has_data" in t:
        keep &= t["has_data"].astype(bool)
    t = t[keep]
    hidden = (t["suppressed"].astype(bool) if sensitive and "suppressed" in t
              else pd.Series(False, index=t.index))
    value = pd.to_numeric(t["value"]).astype(float).where(~hidden)
    y_plot = value.copy()
    if not rate:
        y_plot[hidden] = threshold / 2
    out = pd.DataFrame({
        "area_name": t["area_name"].astype(str).to_numpy(),
        "borough_name": t["borough_name"].fillna("").astype(str).to_numpy(),
        "imd_score": pd.to_numeric(t["imd_score"]).round(2).to_numpy(),
        "imd_decile": (pd.array(pd.to_numeric(t["imd_decile"]), dtype="Int64")
                       if "imd_decile" in t else pd.array([pd.NA] * len(t), dtype="Int64")),
        "value": value.to_numpy(),
        "value_display": t["value_display"].astype(str).to_numpy(),
        "suppressed": hidden.to_numpy(),
        "y_plot": y_plot.to_numpy(),
    })
    return out.sort_values(["borough_name", "area_name"], kind="stable").reset_index(drop=True)


def _y_scale(values: pd.Series, kind: str) -> tuple[alt.Scale, alt.Axis]:
    """Scale and axis: linear, or log (symlog when there are zeros) with 1-2-5 ticks."""
    if kind == "linear":
        return alt.Scale(type="linear"), alt.Axis()
    v = pd.to_numeric(values, errors="coerce").dropna()
    top = float(v.max()) if len(v) else 1.0
    low = float(v[v > 0].min()) if (v > 0).any() else 1.0
    ticks = [m * 10**k for k in range(-2, 8) for m in (1, 2, 5)
             if low / 2 <= m * 10**k <= top * 1.5]
    if (v <= 0).any():
        return alt.Scale(type="symlog"), alt.Axis(values=[0, *ticks], format=",")
    return alt.Scale(type="log", domain=[low / 1.2, top * 1.2]), alt.Axis(values=ticks,
                                                                         format=",")


def scatter_chart(
    table: pd.DataFrame,
    *,
    measure_label: str,
    subtitle: str | None = None,
    sensitive: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    rate: bool = False,
    highlight: Sequence[str] = (),
    y_scale: Literal["linear", "symlog"] = "linear",
    title: str | None = None,
    height: int = 420,
) -> alt.LayerChart:
    """Chart ward values against the IMD 2019 score, coloured by borough.

    Parameters
    ----------
    table
        As :func:`scatter_table`.
    measure_label
        Y axis title, e.g. ``"Crimes"``.
    subtitle
        Subtitle (default: the Spearman sentence for the plotted wards, e.g.
        ``"Spearman's rho = 0.56 (95% CI 0.51 to 0.62, n = 704 wards) ..."``).
        Pass the analysis' own sentence to match the page.
    sensitive, threshold, rate
        As :func:`scatter_table`.
    highlight
        Boroughs drawn in colour when the plot has more than eight boroughs
        (the rest grey); with eight or fewer, every borough has its colour
        (Okabe-Ito palette).
    y_scale
        ``"symlog"`` (a log scale that keeps zero) for skewed counts, where a
        few wards dwarf the rest; the axis title says so.
    title
        Chart title.
    height
        Height in pixels, title included (the width follows the container).

    Returns
    -------
    altair.LayerChart
    """
    data = scatter_table(table, sensitive=sensitive, threshold=threshold, rate=rate)
    if subtitle is None:
        subtitle = spearman(pd.to_numeric(table["value"], errors="coerce"),
                            pd.to_numeric(table["imd_score"], errors="coerce")).text
    boroughs = sorted(set(data["borough_name"]))
    if len(boroughs) <= _MAX_BOROUGH_COLOURS:
        data["colour_group"] = data["borough_name"]
        domain, rng = boroughs, list(OKABE_ITO[:len(boroughs)])
    else:
        shown = [b for b in boroughs if b in set(highlight)][:_MAX_BOROUGH_COLOURS]
        data["colour_group"] = data["borough_name"].where(
            data["borough_name"].isin(shown), "Other boroughs")
        domain, rng = [*shown, "Other boroughs"], [*OKABE_ITO[:len(shown)], "#9e9e9e"]
    plotted = data[data["y_plot"].notna()]
    cols = ["area_name", "borough_name", "imd_score", "imd_decile", "value_display",
            "suppressed", "y_plot", "colour_group"]
    base = alt.Chart(plotted[cols])
    tips = [alt.Tooltip("area_name:N", title="Ward"),
            alt.Tooltip("borough_name:N", title="Borough"),
            alt.Tooltip("value_display:N", title=measure_label),
            alt.Tooltip("imd_score:Q", title="IMD 2019 score", format=".1f"),
            alt.Tooltip("imd_decile:Q", title="IMD decile (1 = most deprived)")]
    x = alt.X("imd_score:Q", title="IMD 2019 average score (higher = more deprived)",
              scale=alt.Scale(zero=False))
    colour = alt.Color("colour_group:N", title="Borough", scale=alt.Scale(domain=domain,
                       range=rng), legend=alt.Legend(orient="right", symbolLimit=0))
    if y_scale not in ("linear", "symlog"):
        raise ValueError(f"y_scale={y_scale!r} is unknown: use 'linear' or 'symlog'.")
    scale, axis = _y_scale(plotted["y_plot"], y_scale)
    y = alt.Y("y_plot:Q", scale=scale, axis=axis,
              title=measure_label + (" (log scale)" if y_scale == "symlog" else ""))
    points = base.mark_point(filled=True, size=38, opacity=0.75).encode(
        x=x, y=y,
        color=colour, shape=alt.condition(alt.datum.suppressed, alt.value("triangle-up"),
                                          alt.value("circle")),
        tooltip=tips)
    layers: list[Any] = []
    n_hidden = int(data["suppressed"].sum())
    sub = [subtitle]
    if n_hidden and not rate:
        band = pd.DataFrame({"lo": [1.0], "hi": [float(max(threshold - 1, 1))]})
        layers.append(alt.Chart(band).mark_rect(color=SUPPRESSED_FILL, opacity=0.8).encode(
            y=alt.Y("lo:Q", scale=scale), y2="hi:Q"))
        sub.append(f"Shaded band: {n_hidden} wards with 1 to {threshold - 1} (suppressed), "
                   "drawn as triangles in the middle of the band.")
    layers.append(points)
    if n_hidden and rate:
        sub.append(f"{n_hidden} wards with 1 to {threshold - 1} referrals are not plotted "
                   "(suppressed).")
    return cast(alt.LayerChart, alt.layer(*layers).properties(
        height=height, width="container",
        title=alt.TitleParams(title or f"{measure_label} against deprivation, by ward",
                              subtitle=sub, anchor="start")))


# --------------------------------------------------------------------------- change


def _masks(frame: pd.DataFrame, sensitive: bool, threshold: int,
           hide_count: pd.Series | None,
           hide_prev: pd.Series | None) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Return (primary count, any count, primary previous, any previous) hidden masks."""
    false = pd.Series(False, index=frame.index)
    if not sensitive:
        return false, false, false, false
    p_now = suppressed_mask(frame["count"], threshold=threshold)
    p_prev = suppressed_mask(frame["count_prev"], threshold=threshold)
    h_now = p_now | (hide_count.reindex(frame.index).fillna(False).astype(bool)
                     if hide_count is not None else false)
    h_prev = p_prev | (hide_prev.reindex(frame.index).fillna(False).astype(bool)
                       if hide_prev is not None else false)
    return p_now, h_now, p_prev, h_prev


def _shown_rank(values: pd.Series, shown: pd.Series) -> pd.Series:
    """Competition ranks among the rows shown (1 = highest); <NA> for the others."""
    r = competition_rank(pd.to_numeric(values, errors="coerce").where(shown))
    return pd.array(r.where(shown), dtype="Int64")


def _words(f: pd.DataFrame) -> pd.Series:
    return pd.Series([change_words(c, p) for c, p in zip(f["count"], f["count_prev"],
                                                          strict=True)], index=f.index)


def change_table(
    frame: pd.DataFrame,
    *,
    name_col: str,
    name_label: str = "Area",
    sensitive: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    hide_count: pd.Series | None = None,
    hide_prev: pd.Series | None = None,
    extra_cols: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return a change-and-rank table for display, with suppression applied.

    Parameters
    ----------
    frame
        :attr:`hotspots.trends.ChangeTable.frame` (``count``, ``count_prev``,
        ``change_abs``, ``change_pct``, ``change_label``, ``rank``,
        ``rank_prev``, ``rank_move``, ``small_base``) with ``name_col``.
    name_col, name_label
        Column naming each row, and its heading.
    sensitive, threshold
        Hide counts from 1 to ``threshold - 1`` (as ``"<5"``).
    hide_count, hide_prev
        Further cells to hide (e.g. a borough total that would reveal a
        suppressed ward), aligned on ``frame``'s index; shown as
        ``"suppressed"``.
    extra_cols
        More columns of ``frame`` to show after the name: column -> heading.

    Returns
    -------
    DataFrame
        Name, ``Count``, ``Previous count``, ``Change``, ``Change %``,
        ``Change (words)`` (:func:`change_words`: ``"up 12 (20.0%)"``, never a
        leading sign, so an exported copy is not taken for a formula),
        ``Small base`` (``"yes"`` or blank) and, in the order of ``frame``
        (the current rank), ``Rank``, ``Previous rank``, ``Rank move``
        (positive = up the table). With ``sensitive``, counts are text and
        ranks are among the rows shown in each period, hidden rows last.
    """
    f = frame
    p_now, h_now, p_prev, h_prev = _masks(f, sensitive, threshold, hide_count, hide_prev)
    either = h_now | h_prev
    out = pd.DataFrame({name_label: f[name_col].astype(str).to_numpy()}, index=f.index)
    for col, head in (extra_cols or {}).items():
        out[head] = f[col].to_numpy()
    if sensitive:
        def show(col: str, prim: pd.Series, hid: pd.Series) -> pd.Series:
            txt = f[col].map(_fmt_count)
            return txt.where(~hid, "suppressed").where(~prim, f"<{threshold}")

        out["Count"] = show("count", p_now, h_now)
        out["Previous count"] = show("count_prev", p_prev, h_prev)
        out["Change"] = f["change_abs"].map(
            lambda v: "no data" if pd.isna(v) else f"{v:+,.0f}").where(~either, "not shown")
        out["Change %"] = pd.to_numeric(f["change_pct"]).round(1).astype(object).where(
            ~either, None)
        words = _words(f).where(~either, "not shown")
        new = (pd.to_numeric(f["count_prev"]) == 0) & (pd.to_numeric(f["count"]) > 0)
        out["Change (words)"] = words.where(~new, "new")
        out["Rank"] = _shown_rank(f["count"], ~h_now)
        out["Previous rank"] = _shown_rank(f["count_prev"], ~h_prev)
        out["Rank move"] = pd.array(out["Previous rank"], dtype="Int64") - pd.array(
            out["Rank"], dtype="Int64")
        out = out.assign(_hidden=either.to_numpy()).sort_values(
            ["_hidden", "Rank", name_label], na_position="last", kind="stable").drop(
            columns="_hidden")
    else:
        out["Count"] = pd.to_numeric(f["count"]).to_numpy()
        out["Previous count"] = pd.to_numeric(f["count_prev"]).to_numpy()
        out["Change"] = pd.to_numeric(f["change_abs"]).to_numpy()
        out["Change %"] = pd.to_numeric(f["change_pct"]).round(1).to_numpy()
        out["Change (words)"] = _words(f).to_numpy()
        out["Rank"] = pd.array(f["rank"], dtype="Int64")
        out["Previous rank"] = pd.array(f["rank_prev"], dtype="Int64")
        out["Rank move"] = pd.array(f["rank_move"], dtype="Int64")
    # A small-base flag on a total hidden to protect another cell would narrow it down.
    small = f["small_base"].astype(bool).map({True: "yes", False: ""}).where(
        ~(h_prev & ~p_prev), "")
    out.insert(out.columns.get_loc("Change (words)") + 1, "Small base",
               small.reindex(out.index).to_numpy())
    return out.reset_index(drop=True)


def change_bar_table(
    frame: pd.DataFrame,
    *,
    name_col: str,
    sensitive: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    hide_count: pd.Series | None = None,
    hide_prev: pd.Series | None = None,
) -> pd.DataFrame:
    """Return the data behind the change bars: rows whose counts may be shown.

    Parameters
    ----------
    frame, name_col, sensitive, threshold, hide_count, hide_prev
        As :func:`change_table`.

    Returns
    -------
    DataFrame
        ``name``, ``count``, ``count_prev``, ``change_abs``, ``change_pct``,
        ``change_label``, ``small_base``, ``direction`` (``"rise"``,
        ``"fall"``, ``"no change"``), largest rise first; rows with a hidden
        count in either period are left out.
    """
    _, h_now, _, h_prev = _masks(frame, sensitive, threshold, hide_count, hide_prev)
    f = frame[~(h_now | h_prev)]
    chg = pd.to_numeric(f["change_abs"]).astype(float)
    out = pd.DataFrame({
        "name": f[name_col].astype(str).to_numpy(),
        "count": pd.to_numeric(f["count"]).to_numpy(),
        "count_prev": pd.to_numeric(f["count_prev"]).to_numpy(),
        "change_abs": chg.to_numpy(),
        "change_pct": pd.to_numeric(f["change_pct"]).round(1).to_numpy(),
        "change_label": f["change_label"].astype(str).to_numpy(),
        "small_base": f["small_base"].astype(bool).to_numpy(),
        "direction": np.select([chg > 0, chg < 0], ["rise", "fall"], "no change"),
    })
    return out.sort_values(["change_abs", "name"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def change_bar_chart(
    change_frame: pd.DataFrame,
    *,
    name_col: str = "borough_name",
    name_label: str = "Borough",
    sensitive: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    hide_count: pd.Series | None = None,
    hide_prev: pd.Series | None = None,
    title: str | None = None,
    subtitle: str | None = None,
) -> alt.LayerChart:
    """Chart the absolute change per row (e.g. borough) as horizontal bars.

    Parameters
    ----------
    change_frame
        :attr:`hotspots.trends.ChangeTable.frame` with ``name_col``.
    name_col, name_label
        Column naming each bar, and its axis title.
    sensitive, threshold, hide_count, hide_prev
        As :func:`change_table`: hidden rows get no bar.
    title, subtitle
        Chart title (e.g. the two periods) and subtitle.

    Returns
    -------
    altair.LayerChart
        Red bars for rises, blue for falls; pale bars where the previous
        count is a small base; each bar labelled ``"+12 (+20.0%)"`` /
        ``"new"``.
    """
    data = change_bar_table(change_frame, name_col=name_col, sensitive=sensitive,
                            threshold=threshold, hide_count=hide_count, hide_prev=hide_prev)
    order = data["name"].tolist()
    data["count_display"] = data["count"].map(_fmt_count)
    data["count_prev_display"] = data["count_prev"].map(_fmt_count)
    data["small_base_text"] = np.where(data["small_base"], "yes: % change says little", "no")
    base = alt.Chart(data)
    y = alt.Y("name:N", sort=order, title=name_label,
              axis=alt.Axis(labelLimit=200, labelOverlap=False, labelFontSize=11))
    tips = [alt.Tooltip("name:N", title=name_label),
            alt.Tooltip("change_label:N", title="Change"),
            alt.Tooltip("count_display:N", title="Count"),
            alt.Tooltip("count_prev_display:N", title="Previous count"),
            alt.Tooltip("small_base_text:N", title="Small base")]
    lo, hi = float(min(0.0, data["change_abs"].min())), float(max(0.0, data["change_abs"].max()))
    pad = 0.3 * max(hi - lo, 1.0)  # room for the labels at the ends of the longest bars
    x = alt.X("change_abs:Q", title="Change (count)",
              scale=alt.Scale(domain=[lo - (pad if lo < 0 else 0), hi + (pad if hi > 0 else 0)],
                              nice=False))
    bars = base.mark_bar().encode(
        y=y, x=x,
        color=alt.Color("direction:N", title="Direction",
                        scale=alt.Scale(domain=["rise", "fall", "no change"],
                                        range=[RISE_COLOUR, FALL_COLOUR, NO_CHANGE_COLOUR]),
                        legend=alt.Legend(orient="top")),
        opacity=alt.condition(alt.datum.small_base, alt.value(0.4), alt.value(0.95)),
        tooltip=tips)
    labels = base.mark_text(fontSize=11, color="#222", dx=4, align="left").encode(
        y=y, x=x, text="change_label:N", tooltip=tips)
    left = base.transform_filter(alt.datum.change_abs < 0).mark_text(
        fontSize=11, color="#222", dx=-4, align="right").encode(
        y=y, x=x, text="change_label:N", tooltip=tips)
    right = labels.transform_filter(alt.datum.change_abs >= 0)
    sub = subtitle or ("Pale bars: previous count below the small-base threshold, where a "
                       "percentage change says little.")
    height = 140 + 24 * len(data)  # title, legend and axis included
    return cast(alt.LayerChart, alt.layer(bars, right, left).properties(
        height=height, width="container",
        title=alt.TitleParams(title or "Change by area", subtitle=sub, anchor="start")))
