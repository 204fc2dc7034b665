"""Change between two periods: the change-and-rank table and the change bars.

Referral measures are sensitive: change bars and ranks leave out every row whose
count, in either period, is hidden, and ranks are recomputed over the rows shown.
Rises and falls are red and blue (ColorBrewer RdBu).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import altair as alt
import numpy as np
import pandas as pd

from hotspots.maps.charts.trend import _fmt_count
from hotspots.privacy import DEFAULT_THRESHOLD, suppressed_mask
from hotspots.stats import competition_rank
from hotspots.stats.trends import change_words

__all__ = [
    "FALL_COLOUR",
    "NO_CHANGE_COLOUR",
    "RISE_COLOUR",
    "change_bar_chart",
    "change_bar_table",
    "change_table",
    "change_words",
]


RISE_COLOUR = "#b2182b"

FALL_COLOUR = "#2166ac"

NO_CHANGE_COLOUR = "#999999"


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
        :attr:`hotspots.stats.trends.ChangeTable.frame` (``count``, ``count_prev``,
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
        :attr:`hotspots.stats.trends.ChangeTable.frame` with ``name_col``.
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
