"""The scatter plot of ward values against the IMD 2019 score, coloured by borough.

Referral measures are sensitive: wards with a suppressed count sit in a labelled
band (counts) or are left out (rates), their value only as ``"<5"``. Boroughs get
Okabe & Ito's colour-blind-safe colours (up to eight; the rest grey).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import altair as alt
import pandas as pd

from hotspots.maps.charts.trend import SUPPRESSED_FILL
from hotspots.maps.palettes import OKABE_ITO
from hotspots.privacy import DEFAULT_THRESHOLD
from hotspots.stats import spearman

__all__ = ["not_plotted_notes", "scatter_chart", "scatter_table"]


_MAX_BOROUGH_COLOURS = len(OKABE_ITO)


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


def not_plotted_notes(table: pd.DataFrame, *, sensitive: bool = False,
                      threshold: int = DEFAULT_THRESHOLD, rate: bool = False,
                      index_label: str = "IMD 2019") -> list[str]:
    """Say how the wards of the table and those of the plot add up (suppressed, no IMD).

    The page's table counts every suppressed ward; the plot has only those
    with an IMD score (and, for rates, none of them). These sentences make the
    two numbers agree in words.

    Parameters
    ----------
    table, sensitive, threshold, rate
        As :func:`scatter_table` (a sensitive measure is a referral measure).
    index_label
        The deprivation index, as :func:`scatter_chart`.

    Returns
    -------
    list of str
        Sentences for the chart's subtitle (empty when every ward is plotted).

    Examples
    --------
    >>> t = pd.DataFrame({"value": [3, 8, 2, 9], "imd_score": [10.0, 20.0, None, None],
    ...                   "suppressed": [True, False, True, False]})
    >>> not_plotted_notes(t, sensitive=True)  # doctest: +NORMALIZE_WHITESPACE
    ['Shaded band: 1 of the 2 wards with 1 to 4 referrals (suppressed), drawn as triangles
      in the middle of the band; the other 1 have no IMD 2019 score.',
     '2 wards with data but no IMD 2019 score are not plotted.']
    """
    t = table[table["has_data"].astype(bool)] if "has_data" in table else table
    no_imd = pd.to_numeric(t["imd_score"], errors="coerce").isna()
    out: list[str] = []
    small = f"wards with 1 to {threshold - 1} referrals"
    if sensitive and "suppressed" in t:
        hidden = t["suppressed"].astype(bool)
        n_all, n_no_imd = int(hidden.sum()), int((hidden & no_imd).sum())
        if n_all and rate:
            out.append(f"The {n_all} {small} are not plotted (suppressed).")
        elif n_all and n_no_imd:
            out.append(f"Shaded band: {n_all - n_no_imd} of the {n_all} {small} (suppressed), "
                       "drawn as triangles in the middle of the band; the other "
                       f"{n_no_imd} have no {index_label} score.")
        elif n_all:
            out.append(f"Shaded band: the {n_all} {small} (suppressed), drawn as triangles in "
                       "the middle of the band.")
    if int(no_imd.sum()):
        out.append(f"{int(no_imd.sum())} wards with data but no {index_label} score are not "
                   "plotted.")
    return out


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
    index_label: str = "IMD 2019",
    authority: str = "Borough",
) -> alt.LayerChart:
    """Chart ward values against the IMD 2019 score, coloured by borough.

    ``index_label`` names the deprivation index on the axis and in the tooltip
    (e.g. ``"WIMD 2019 (Wales)"``); ``authority`` names ``borough_name``
    (e.g. ``"Local authority"`` outside London).

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
            alt.Tooltip("borough_name:N", title=authority),
            alt.Tooltip("value_display:N", title=measure_label),
            alt.Tooltip("imd_score:Q", title=f"{index_label} score", format=".1f"),
            alt.Tooltip("imd_decile:Q", title="IMD decile (1 = most deprived)")]
    x = alt.X("imd_score:Q", title=f"{index_label} average score (higher = more deprived)",
              scale=alt.Scale(zero=False))
    colour = alt.Color("colour_group:N", title=authority, scale=alt.Scale(domain=domain,
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
    layers.append(points)
    sub += not_plotted_notes(table, sensitive=sensitive, threshold=threshold, rate=rate,
                             index_label=index_label)
    return cast(alt.LayerChart, alt.layer(*layers).properties(
        height=height, width="container",
        title=alt.TitleParams(title or f"{measure_label} against deprivation, by ward",
                              subtitle=sub, anchor="start")))
