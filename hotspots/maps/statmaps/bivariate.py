"""The bivariate map: terciles of the measure crossed with IMD terciles, and its table.

Colours are Joshua Stevens' 3 x 3 pink-blue bivariate scheme (colour-blind safe).
The legend is a 3 x 3 grid with the number of wards per cell and each tercile's
range of values; for a sensitive (referral) measure, cut points below the
suppression threshold are not printed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.maps.arealayers import StaticGeometry
from hotspots.maps.classify import NO_DATA_COLOUR
from hotspots.maps.statmaps.captions import _stat_text, format_p, method_caption
from hotspots.maps.statmaps.panel import (
    StatMapPanel,
    _base_fields,
    _class_map,
    _counts,
    _names,
    _outlines_for,
    _title,
    _web_frame,
)
from hotspots.maps.web import SYNTHETIC_BADGE, Basemap
from hotspots.stats import NO_DATA, TERCILE_WORDS
from hotspots.stats import registry as registry

__all__ = [
    "BIVARIATE_COLOURS",
    "bivariate_map",
    "bivariate_table",
    "tercile_cuts",
    "tercile_span",
]


#: The bivariate LISA of the registry: its columns name the table's (``bv_*``).
_BV = registry.get("bivariate")
#: Its columns: statistic, class (quadrant), p, q, group (1..9) and group words.
_I, _QUAD, _P, _Q = _BV.col("statistic"), _BV.col("class"), _BV.col("p"), _BV.col("q")
_CLS, _CLS_LABEL = _BV.col("group"), _BV.col("group_label")


#: Joshua Stevens' pink-blue 3 x 3 bivariate scheme: ``BIVARIATE_COLOURS[m][d]`` for
#: measure tercile ``m + 1`` and IMD tercile ``d + 1`` (so ``bv_class`` k has colour
#: ``BIVARIATE_COLOURS[(k - 1) // 3][(k - 1) % 3]``). The measure runs along the
#: pink axis, deprivation along the teal axis; high-high is the dark blue-purple.
BIVARIATE_COLOURS: tuple[tuple[str, str, str], ...] = (
    ("#e8e8e8", "#ace4e4", "#5ac8c8"),
    ("#dfb0d6", "#a5add3", "#5698b9"),
    ("#be64ac", "#8c62aa", "#3b4994"),
)


def tercile_cuts(table: pd.DataFrame, *, value_col: str = "value",
                 imd_col: str = "imd_score") -> tuple[tuple[float, float], tuple[float, float]]:
    """Return the tercile cut points of the measure and of IMD behind ``bv_class``.

    Parameters
    ----------
    table
        Analysis table with the bivariate class (``bv_class``), the value and the IMD score.
    value_col, imd_col
        Column names.

    Returns
    -------
    tuple
        ``((value_1_3, value_2_3), (imd_1_3, imd_2_3))`` over the areas with a
        class (both values present), as :func:`hotspots.stats.bivariate_classes`
        computes them; NaN when no area has a class.
    """
    ok = table[_CLS].notna()
    if not ok.any():
        nan = float("nan")
        return (nan, nan), (nan, nan)
    v = pd.to_numeric(table.loc[ok, value_col]).to_numpy(dtype=float)
    d = pd.to_numeric(table.loc[ok, imd_col]).to_numpy(dtype=float)
    a, b = np.quantile(v, [1 / 3, 2 / 3])
    c, e = np.quantile(d, [1 / 3, 2 / 3])
    return (float(a), float(b)), (float(c), float(e))


def tercile_span(table: pd.DataFrame, *, value_col: str = "value",
                 imd_col: str = "imd_score") -> tuple[tuple[float, float], tuple[float, float]]:
    """Return the smallest and largest measure and IMD values of the wards with a class.

    Parameters
    ----------
    table, value_col, imd_col
        As :func:`tercile_cuts`.

    Returns
    -------
    tuple
        ``((value_min, value_max), (imd_min, imd_max))`` over the same wards
        as :func:`tercile_cuts` (those drawn in the 3 x 3 grid); NaN when no
        ward has a class.
    """
    ok = table[_CLS].notna()
    if not ok.any():
        nan = float("nan")
        return (nan, nan), (nan, nan)
    v = pd.to_numeric(table.loc[ok, value_col]).astype(float)
    d = pd.to_numeric(table.loc[ok, imd_col]).astype(float)
    return (float(v.min()), float(v.max())), (float(d.min()), float(d.max()))


def _ranges(cuts: tuple[float, float], span: tuple[float, float], *, integer: bool,
            hide_below: float | None = None) -> tuple[str, str, str]:
    """Words for the three terciles, from the smallest to the largest value observed.

    E.g. ``("178 to 817", "818 to 1,395", "1,396 to 29,924")``: the low band
    starts at the smallest value of the wards classed, never at an assumed 0.
    ``span`` NaN (extremes not to be printed, e.g. a referral rate) gives
    ``"up to ..."`` / ``"... or more"``; with ``hide_below``, cut points below
    it are not printed, nor a smallest count from 1 to ``hide_below - 1``.
    """
    lo, hi = cuts
    low, top = span
    if math.isnan(lo):
        return ("", "", "")
    if hide_below is not None and lo < hide_below:
        # A cut point below the suppression threshold would narrow down small counts.
        return ("lowest third", "middle third", "highest third") if hi < hide_below else (
            "lowest third", f"middle third, up to {math.floor(hi):,}",
            f"{math.floor(hi) + 1:,} or more" if math.isnan(top)
            else f"{math.floor(hi) + 1:,} to {math.floor(top):,}")
    if integer:
        a, b = math.floor(lo), math.floor(hi)
        first = math.nan if math.isnan(low) else math.floor(low)
        hidden = hide_below is not None and 0 < first < hide_below  # a small count
        return (f"up to {a:,}" if math.isnan(first) or hidden else f"{first:,} to {a:,}",
                f"{a + 1:,} to {b:,}" if b > a else "none",
                f"{b + 1:,} or more" if math.isnan(top)
                else f"{b + 1:,} to {math.floor(top):,}" if top > b else "none")
    if math.isnan(low):
        return (f"up to {lo:,.1f}", f"{lo:,.1f} to {hi:,.1f}", f"over {hi:,.1f}")
    return (f"{low:,.1f} to {lo:,.1f}", f"{lo:,.1f} to {hi:,.1f}", f"{hi:,.1f} to {top:,.1f}")


def _bivariate_legend(counts: pd.DataFrame, measure_word: str, measure_ranges: Sequence[str],
                      imd_ranges: Sequence[str], note: str,
                      index_label: str = "IMD 2019") -> str:
    """Return a 3 x 3 HTML grid: measure up the side (high at the top), IMD along the bottom."""
    grid = counts.set_index("key")
    cells = []
    for m in (3, 2, 1):
        side = (f'<div style="font-size:0.72rem;text-align:right;padding-right:4px;'
                f'align-self:center;">{html.escape(TERCILE_WORDS[m - 1])}'
                + (f'<br><span style="color:#555">{html.escape(measure_ranges[m - 1])}</span>'
                   if measure_ranges[m - 1] else "") + "</div>")
        cells.append(side)
        for d in (1, 2, 3):
            row = grid.loc[str(3 * (m - 1) + d)]
            dark = d + m >= 5
            label = f"{measure_word} {TERCILE_WORDS[m - 1]}, IMD {TERCILE_WORDS[d - 1]}"
            cells.append(
                f'<div title="{html.escape(label)}: {int(row["count"])} wards" '
                f'style="background:{row["colour"]};height:38px;display:flex;'
                'align-items:center;justify-content:center;font-weight:600;'
                f'color:{"#fff" if dark else "#111"};border:1px solid #fff;">'
                f'{int(row["count"]):,}</div>')
    cells.append("<div></div>")
    for d in (1, 2, 3):
        cells.append(f'<div style="font-size:0.72rem;text-align:center;padding-top:2px;">'
                     f'{html.escape(TERCILE_WORDS[d - 1])}'
                     + (f'<br><span style="color:#555">{html.escape(imd_ranges[d - 1])}</span>'
                        if imd_ranges[d - 1] else "") + "</div>")
    no_data = grid.loc[NO_DATA, "count"] if NO_DATA in grid.index else 0
    extra = (f'<div style="display:flex;align-items:center;gap:8px;margin-top:6px;">'
             f'<span style="display:inline-block;width:22px;height:14px;'
             f'background:{NO_DATA_COLOUR};border:1px solid #555;"></span>'
             f'<span class="hs-legend-label">No data ({int(no_data):,})</span></div>'
             if no_data else "")
    return (
        '<div class="hs-legend hs-bivariate-legend" style="font-size:0.92rem;line-height:1.3;'
        'color:#1a1a1a;max-width:380px;">'
        f'<div style="font-weight:600;margin-bottom:4px;">{html.escape(measure_word)} (up) '
        f"against {html.escape(index_label)} score (across): wards per cell</div>"
        '<div style="display:flex;gap:6px;align-items:stretch;">'
        '<div style="writing-mode:vertical-rl;transform:rotate(180deg);font-size:0.78rem;'
        f'font-weight:600;text-align:center;">{html.escape(measure_word)} &rarr;</div>'
        '<div style="display:grid;grid-template-columns:auto 1fr 1fr 1fr;gap:0;flex:1;">'
        + "".join(cells) + "</div></div>"
        '<div style="font-size:0.78rem;font-weight:600;text-align:center;margin-top:2px;">'
        f"{html.escape(index_label)} average score (more deprived) &rarr;</div>"
        f"{extra}"
        f'<div style="font-size:0.8rem;color:#444;margin-top:4px;">{html.escape(note)}</div>'
        "</div>"
    )


def bivariate_map(
    web_areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    params: Mapping[str, Any],
    value_label: str,
    measure_word: str = "Measure",
    integer: bool = True,
    sensitive: bool = False,
    threshold: int = 5,
    reference: str = "the wards on this map",
    synthetic: bool = False,
    basemap: Basemap = "none",
    borough_outlines: gpd.GeoDataFrame | None = None,
    borough_labels: bool = False,
    attribution: str | None = None,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
    index_label: str = "IMD 2019",
    authority: str = "Borough",
) -> StatMapPanel:
    """Map the 3 x 3 bivariate classes: terciles of the measure crossed with IMD terciles.

    ``index_label`` names the deprivation index in the legend and tooltip
    (e.g. ``"WIMD 2019 (Wales)"``, the pack's ``imd_label``).

    Parameters
    ----------
    web_areas, value_label, synthetic, basemap, borough_outlines, borough_labels, attribution
        As :func:`~hotspots.maps.statmaps.local.gi_map`.
    geometry, outline_geometry
        Static geometry files, as :func:`~hotspots.maps.statmaps.local.gi_map` (``None``: inline).
    table
        :attr:`hotspots.pipeline.analysis.Analysis.table` with ``value``,
        ``value_display``, ``imd_score``, ``bv_class`` (1..9),
        ``bv_class_label``, ``bv_i``, ``bv_p``, ``bv_q``, ``bv_quadrant``.
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params`.
    measure_word
        Short name of the measure for the legend axis, e.g. ``"Referrals"``.
    integer
        The value is a count (tercile ranges printed as whole numbers).
    sensitive, threshold
        Referral measure: tercile cut points below ``threshold`` are not
        printed (they would narrow down suppressed counts), nor is the
        bivariate Moran's I (see :func:`~hotspots.maps.statmaps.local.gi_map`).
    reference
        The population the terciles are relative to, printed in the note.

    Returns
    -------
    StatMapPanel
        ``counts`` keys are ``"1"`` .. ``"9"`` (``bv_class``) and ``"no data"``.

    Raises
    ------
    ValueError
        A column is missing (e.g. a pack without IMD) or the basemap is unknown.
    CRSError
        The web layer has no CRS.
    """
    cols = ["value", "value_display", "imd_score", _CLS, _CLS_LABEL, _I, _P, _Q, _QUAD]
    frame = _web_frame(web_areas, table, cols)
    flat = [c for row in BIVARIATE_COLOURS for c in row]
    cls = pd.array(frame[_CLS], dtype="Int64")
    key = pd.Series([NO_DATA if pd.isna(k) else str(int(k)) for k in cls], index=frame.index)
    fills = [NO_DATA_COLOUR if k == NO_DATA else flat[int(k) - 1] for k in key]
    mcuts, dcuts = tercile_cuts(table)
    mspan, dspan = tercile_span(table)
    if sensitive and not integer:
        mspan = (float("nan"), float("nan"))  # a referral rate's extremes could be a small count's
    m_ranges = _ranges(mcuts, mspan, integer=integer,
                       hide_below=float(threshold) if sensitive and integer else None)
    d_ranges = _ranges(dcuts, dspan, integer=False)
    frame = frame.assign(**{
        "value_display": frame["value_display"].fillna("no data"),
        "imd_display": frame["imd_score"].map(lambda v: "no data" if pd.isna(v) else f"{v:.1f}"),
        f"{_CLS}_display": [_bv_words(k, measure_word) for k in key],
        f"{_QUAD}_display": frame[_QUAD].fillna(NO_DATA).astype(str),
        f"{_I}_display": _stat_text(frame[_I], sensitive),
        f"{_P}_display": frame[_P].map(format_p),
        f"{_Q}_display": frame[_Q].map(format_p),
    })
    fields = {**_base_fields(value_label, authority), "imd_display": f"{index_label} score",
              f"{_CLS}_display": _heading(_CLS),
              **{f"{c}_display": _label(c) for c in (_QUAD, _I, _P, _Q)}}
    m = _class_map(frame, fills, fields, basemap=basemap,
                   borough_outlines=_outlines_for(borough_outlines, table),
                   borough_labels=borough_labels,
                   badge=SYNTHETIC_BADGE if synthetic else None, attribution=attribution,
                   geometry=geometry, outline_geometry=outline_geometry)
    keys = [str(k) for k in range(1, 10)] + [NO_DATA]
    labels = [_bv_words(k, measure_word) for k in keys]
    counts = _counts(keys, labels, [*flat, NO_DATA_COLOUR], key, optional=[NO_DATA])
    n = int((key != NO_DATA).sum())
    note = (f"Terciles over the {n:,} wards with both values ({reference}); ties go to the "
            "lower third, so many zero counts can make the lowest third larger.")
    if sensitive and integer and not math.isnan(mcuts[0]) and mcuts[0] < threshold:
        note += f" Cut points below {threshold} are not printed (small counts)."
    legend = _bivariate_legend(counts, measure_word, m_ranges, d_ranges, note, index_label)
    return StatMapPanel(m, legend, _title(params, f"{measure_word} and deprivation (3 x 3)"),
                        method_caption(params, _BV.prefix), counts)


def _label(name: str) -> str:
    return next(c.label for c in _BV.columns if c.name == name)


def _heading(name: str) -> str:
    return next(c.heading for c in _BV.columns if c.name == name)


def _bv_words(key: str, measure_word: str) -> str:
    if key == NO_DATA:
        return "No data"
    k = int(key)
    m, d = (k - 1) // 3, (k - 1) % 3
    return f"{measure_word}: {TERCILE_WORDS[m]}; IMD: {TERCILE_WORDS[d]}"


# --------------------------------------------------------------------------- table


def bivariate_table(table: pd.DataFrame, *, value_label: str,
                    measure_word: str = "Measure", sensitive: bool = False,
                    index_label: str = "IMD 2019", authority: str = "Borough") -> pd.DataFrame:
    """Return the data behind the bivariate map: one row per ward, by class then ward name.

    Parameters
    ----------
    table
        :attr:`hotspots.pipeline.analysis.Analysis.table` with the ``bv_*`` columns.
    value_label
        Column name for the value (display strings).
    measure_word
        Word for the measure in the class text.
    sensitive
        Referral measure: leave out ``Bivariate I`` (see
        :func:`~hotspots.maps.statmaps.local.gi_map`).
    index_label, authority
        The pack's index (``"WIMD 2019 (Wales)"``) and authority heading
        (``"Local authority"``); London's by default.

    Returns
    -------
    DataFrame
        ``Ward``, ``Borough``, the value, ``IMD score``, ``IMD decile`` (the
        index and authority named as given),
        ``Class`` (1..9), ``Class (words)``, ``Bivariate LISA``,
        ``Bivariate I``, ``p``, ``q``.
    """
    t = table.sort_values([_CLS, "area_name"], ascending=[False, True],
                          na_position="last", kind="stable")
    out = _names(t, value_label, authority)
    imd = "IMD" if index_label == "IMD 2019" else index_label
    out[f"{imd} score"] = pd.to_numeric(t["imd_score"]).round(1).to_numpy()
    out[f"{imd} decile"] = pd.array(pd.to_numeric(t["imd_decile"]), dtype="Int64") \
        if "imd_decile" in t else pd.NA
    cls = pd.array(t[_CLS], dtype="Int64")
    out[_heading(_CLS)] = cls
    out[_heading(_CLS_LABEL)] = [_bv_words(NO_DATA if pd.isna(k) else str(int(k)),
                                           measure_word) for k in cls]
    out[_heading(_QUAD)] = t[_QUAD].fillna(NO_DATA).to_numpy()
    for name in (_I, _P, _Q):
        c = next(c for c in _BV.columns if c.name == name)
        v = pd.to_numeric(t[name])
        out[c.heading] = (v if c.digits is None else v.round(c.digits)).to_numpy()
    if sensitive:
        out = out.drop(columns=[_heading(_I)])
    return out.reset_index(drop=True)
