"""Maps of the hotspot statistics: Gi* hot and cold spots, LISA clusters, bivariate classes.

The builders take the analysis table (:attr:`hotspots.analysis.Analysis.table`:
one row per ward with ``gi_*``, ``lisa_*``, ``bv_*`` and the display strings of
the ward table) and the web layer, and return a :class:`StatMapPanel`: the
folium map, an HTML legend drawn *beside* it with the number of wards in each
class, a title and a method caption naming the weights, permutations, seed and
multiple-testing correction.

They follow the offline recipe of :mod:`hotspots.maps` (and reuse its private
helpers): only the project's own Leaflet copy (and, with static geometry, the
project's ``map-sync.js``) is loaded, no tiles unless the
user picks a basemap, legends are HTML outside the map, and every piece of text
in a tooltip is HTML-escaped. Tooltips read only display strings: a suppressed
referral count stays ``"<5"``.

Colours are colour-blind safe: ColorBrewer RdBu for Gi* (Brewer & Harrower),
GeoDa's red / blue / pink / light-blue cluster colours for LISA, and Joshua
Stevens' 3 x 3 pink-blue bivariate scheme.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from hotspots.maps.classify import NO_DATA_COLOUR
from hotspots.maps.web import (
    BASEMAPS,
    SYNTHETIC_BADGE,
    Basemap,
    StaticGeometry,
    _add_area_layers,
    _bounds,
    _MapTitle,
    _offline_map,
    ward_map_frame,
)
from hotspots.stats import GI_LEVELS, NO_DATA, NO_NEIGHBOURS, TERCILE_WORDS

__all__ = [
    "BIVARIATE_COLOURS",
    "CORRECTION_SHORT",
    "CORRECTION_WORDS",
    "HIDDEN_STAT",
    "GI_COLD",
    "GI_HOT",
    "LISA_CLASSES",
    "NOT_SIGNIFICANT_COLOUR",
    "NO_NEIGHBOURS_COLOUR",
    "StatMapPanel",
    "bivariate_map",
    "bivariate_table",
    "format_p",
    "gi_levels",
    "gi_map",
    "hotspot_table",
    "lisa_map",
    "method_caption",
    "tercile_cuts",
    "tercile_span",
]

#: Light grey for areas tested and not significant.
NOT_SIGNIFICANT_COLOUR = "#ebebeb"

#: Dark grey for areas with no neighbours (not tested); "no data" is the mid grey
#: :data:`hotspots.classify.NO_DATA_COLOUR`.
NO_NEIGHBOURS_COLOUR = "#7f7f7f"

#: Gi* hot colours, strongest confidence first: ColorBrewer RdBu (7 and 9 classes).
GI_HOT: dict[int, tuple[str, ...]] = {
    3: ("#b2182b", "#ef8a62", "#fddbc7"),
    4: ("#b2182b", "#d6604d", "#f4a582", "#fddbc7"),
}
#: Gi* cold colours, strongest confidence first.
GI_COLD: dict[int, tuple[str, ...]] = {
    3: ("#2166ac", "#67a9cf", "#d1e5f0"),
    4: ("#2166ac", "#4393c3", "#92c5de", "#d1e5f0"),
}

#: LISA quadrant -> (legend label, colour), in legend order.
LISA_CLASSES: dict[str, tuple[str, str]] = {
    "HH": ("High-High: high values among high neighbours (hot spot)", "#d7191c"),
    "HL": ("High-Low: high value among low neighbours (outlier)", "#f4a5ae"),
    "LH": ("Low-High: low value among high neighbours (outlier)", "#9ecae1"),
    "LL": ("Low-Low: low values among low neighbours (cold spot)", "#2c7bb6"),
    "ns": ("Not significant", NOT_SIGNIFICANT_COLOUR),
}

#: Joshua Stevens' pink-blue 3 x 3 bivariate scheme: ``BIVARIATE_COLOURS[m][d]`` for
#: measure tercile ``m + 1`` and IMD tercile ``d + 1`` (so ``bv_class`` k has colour
#: ``BIVARIATE_COLOURS[(k - 1) // 3][(k - 1) % 3]``). The measure runs along the
#: pink axis, deprivation along the teal axis; high-high is the dark blue-purple.
BIVARIATE_COLOURS: tuple[tuple[str, str, str], ...] = (
    ("#e8e8e8", "#ace4e4", "#5ac8c8"),
    ("#dfb0d6", "#a5add3", "#5698b9"),
    ("#be64ac", "#8c62aa", "#3b4994"),
)

Statistic = Literal["gi", "lisa", "bv"]

#: Shown instead of z and I for sensitive (referral) measures: with the neighbours'
#: counts, a local statistic would let a reader work out a suppressed count.
HIDDEN_STAT = "not shown for referrals"


@dataclass(frozen=True, eq=False)
class StatMapPanel:
    """A statistics map with what is drawn around it on the page.

    Attributes
    ----------
    map
        The folium map (offline unless an internet basemap was chosen).
    legend
        HTML legend (escaped) with the number of wards in each class.
    title
        Plain-text heading for the map.
    caption
        The method in words: statistic, weights, permutations, seed,
        correction and significance level.
    counts
        The legend as a frame: ``key``, ``label``, ``colour``, ``count``
        (legend order; classes with no ward are kept with 0).
    """

    map: folium.Map
    legend: str
    title: str
    caption: str
    counts: pd.DataFrame


# --------------------------------------------------------------------------- formatting


def format_p(value: object) -> str:
    """Return a p- or q-value with three significant figures (``"no data"`` for NaN).

    Examples
    --------
    >>> format_p(0.0001), format_p(0.056583), format_p(1.0), format_p(float("nan"))
    ('0.0001', '0.0566', '1', 'no data')
    """
    v = _float(value)
    return "no data" if v is None else f"{v:.3g}"


def _float(value: object) -> float | None:
    try:
        v = float(cast(Any, value))
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _fmt_stat(value: object) -> str:
    v = _float(value)
    return "no data" if v is None else f"{v:+.2f}"


#: Short names of the multiple-testing corrections, for legends.
CORRECTION_SHORT: dict[str, str] = {
    "fdr": "Benjamini-Hochberg FDR",
    "bonferroni": "Bonferroni",
    "none": "no correction (q = p)",
}


#: The corrections in plain words, for the method captions on the page (the
#: function behind each is named in the run's method text and manifest).
CORRECTION_WORDS: dict[str, str] = {
    "fdr": "the Benjamini-Hochberg false discovery rate procedure",
    "bonferroni": "Bonferroni (p times the number of wards tested)",
    "none": "no multiple-testing correction (q = p)",
}


def _correction(h: Mapping[str, Any]) -> str:
    key = str(h.get("correction", "?"))
    return CORRECTION_SHORT.get(key, key)


def _correction_words(h: Mapping[str, Any]) -> str:
    """Return the correction in words, without function names (no ``scipy.stats...``)."""
    key = str(h.get("correction", "?"))
    if key in CORRECTION_WORDS:
        return CORRECTION_WORDS[key]
    text = str(h.get("correction_text", key))
    return re.sub(r"\s*\([\w.]+\)$", "", text)  # drop a trailing "(module.function)"


def _stat_text(values: pd.Series, sensitive: bool) -> pd.Series:
    """Signed statistic as text, or :data:`HIDDEN_STAT` for a sensitive measure."""
    if sensitive:
        return values.map(lambda v: "no data" if _float(v) is None else HIDDEN_STAT)
    return values.map(_fmt_stat)


def _hotspots(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the hotspot parameters, from :attr:`Analysis.params` or ``hotspot_table``'s dict."""
    inner = params.get("hotspots")
    return cast(Mapping[str, Any], inner) if isinstance(inner, Mapping) else params


def gi_levels(params: Mapping[str, Any]) -> list[float]:
    """Return the Gi* class levels (q thresholds): 0.01, 0.05, 0.10 plus ``alpha`` if other.

    Parameters
    ----------
    params
        :attr:`hotspots.analysis.Analysis.params` (or the hotspot parameters).

    Returns
    -------
    list of float
        Ascending, as :func:`hotspots.stats.local_gi_star` classes them.
    """
    alpha = float(_hotspots(params).get("alpha", 0.05))
    return sorted(set(GI_LEVELS) | {alpha})


def _conf(level: float) -> str:
    return f"{100 * (1 - level):g}%"


# --------------------------------------------------------------------------- captions


def _weights_text(h: Mapping[str, Any]) -> str:
    w = h.get("weights", {}) or {}
    kind = str(w.get("kind", "?"))
    what = {"queen": "queen contiguity", "rook": "rook contiguity",
            "knn": f"{w.get('k', '?')} nearest neighbours",
            "distance": f"distance band {w.get('threshold', '?')} m"}.get(kind, kind)
    text = f"Weights: {what}, row-standardised"
    n_islands = int(w.get("n_islands", 0) or 0)
    if n_islands:
        fallback = ("linked to their nearest ward" if w.get("island_fallback") == "knn1"
                    else "left without neighbours (not tested)")
        text += f"; {n_islands} island ward(s) {fallback}"
    return text + "."


def method_caption(params: Mapping[str, Any], statistic: Statistic) -> str:
    """Describe how a statistics map was made, in one paragraph.

    Parameters
    ----------
    params
        :attr:`hotspots.analysis.Analysis.params` (``"hotspots"`` inside it is
        what :func:`hotspots.stats.hotspot_table` returned).
    statistic
        ``"gi"``, ``"lisa"`` or ``"bv"``.

    Returns
    -------
    str
        Names the statistic, the weights, the number of permutations, the
        seed, the alternative, the correction and alpha, and how many wards
        were tested and found significant.

    Raises
    ------
    ValueError
        For an unknown ``statistic``.
    """
    h = _hotspots(params)
    if statistic not in ("gi", "lisa", "bv"):
        raise ValueError(f"statistic={statistic!r} is unknown: use 'gi', 'lisa' or 'bv'.")
    alpha = float(h.get("alpha", 0.05))
    perms = (f"{int(h.get('permutations', 0)):,} conditional permutations (seed "
             f"{h.get('seed', '?')}), {h.get('alternative', 'two-sided')} pseudo p-values")
    correction = _correction_words(h)
    part = {"gi": h.get("gi_star", {}), "lisa": h.get("lisa", {}),
            "bv": h.get("bivariate", {})}[statistic] or {}
    tested, sig = part.get("n_tested"), part.get("n_significant")
    tally = (f" {sig:,} of {tested:,} wards tested are significant at q \u2264 {alpha:g}."
             if tested is not None and sig is not None else "")
    no_data = len(h.get("no_data", []) or [])
    missing = (f" {no_data} ward(s) without data are left out (grey), never counted as zero."
               if no_data else "")
    if statistic == "gi":
        levels = ", ".join(f"{lv:g}" for lv in gi_levels(params))
        head = ("Getis-Ord Gi* (each ward together with its neighbours) against the whole "
                "map.")
        rule = (f"Hot/cold from the sign of z; confidence classes at q \u2264 {levels} "
                f"(q = p adjusted by {correction}).")
    elif statistic == "lisa":
        head = "Local Moran's I (Anselin 1995): each ward against the average of its neighbours."
        rule = (f"Quadrants shown only where q \u2264 {alpha:g} after {correction}; all other "
                "wards are 'not significant'.")
    else:
        head = ("Bivariate local Moran (measure in the ward against IMD score of its "
                "neighbours), in the table and tooltips.")
        rule = f"Quadrants where q \u2264 {alpha:g} after {correction}."
    return " ".join([head, _weights_text(h), perms + ".", rule]) + tally + missing


# --------------------------------------------------------------------------- legend


def _legend(title: str, counts: pd.DataFrame, note: str | None) -> str:
    items = "".join(
        '<li style="display:flex;align-items:center;gap:8px;margin:2px 0;">'
        f'<span style="display:inline-block;width:22px;height:14px;background:{c};'
        'border:1px solid #555;flex:none;"></span>'
        f'<span class="hs-legend-label">{html.escape(f"{label} ({n:,})")}</span></li>'
        for c, label, n in zip(counts["colour"], counts["label"], counts["count"], strict=True)
    )
    small = (f'<div style="font-size:0.8rem;color:#444;margin-top:4px;">{html.escape(note)}'
             "</div>" if note else "")
    return ('<div class="hs-legend" style="font-size:0.92rem;line-height:1.35;color:#1a1a1a;">'
            f'<div style="font-weight:600;margin-bottom:4px;">{html.escape(title)}</div>'
            f'<ul style="list-style:none;margin:0;padding:0;">{items}</ul>{small}</div>')


def _counts(keys: Sequence[str], labels: Sequence[str], colours: Sequence[str],
            values: pd.Series, optional: Sequence[str] = ()) -> pd.DataFrame:
    """Legend rows with the number of areas per key (``optional`` keys only when present)."""
    tally = values.value_counts()
    rows = [(k, lab, col, int(tally.get(k, 0)))
            for k, lab, col in zip(keys, labels, colours, strict=True)
            if k not in optional or int(tally.get(k, 0)) > 0]
    return pd.DataFrame(rows, columns=["key", "label", "colour", "count"])


# --------------------------------------------------------------------------- map


class _FitUntilMoved(MacroElement):
    """Fit the map to its bounds now and whenever its box changes size, until a person moves it.

    Leaflet fits once, to the box it has when the script runs; on the page a
    map's frame can still be growing or shrinking then (a scroll bar
    appearing, a column settling), and with ``zoomSnap`` 0.25 a few pixels
    pick another zoom. Refitting on every resize gives two maps of the same
    size the same view (the Gi* and LISA maps side by side); the first
    pointer, wheel or key event on the map stops it, so a person's pan or
    zoom is never undone.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var bounds = L.latLngBounds({{ this.bounds|tojson }});
            var moved = false;
            function fit() {
                if (moved) { return; }
                map.invalidateSize({animate: false});
                map.fitBounds(bounds, {animate: false});
            }
            fit();
            var box = map.getContainer();
            ["pointerdown", "wheel", "keydown", "touchstart"].forEach(function (type) {
                box.addEventListener(type, function () { moved = true; },
                                     {capture: true, passive: true});
            });
            if (window.ResizeObserver) {
                new ResizeObserver(fit).observe(box);
            } else {
                window.addEventListener("resize", fit);
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitUntilMoved"
        self.bounds = [[float(v) for v in corner] for corner in bounds]



def _web_frame(web_areas: gpd.GeoDataFrame, table: pd.DataFrame,
               columns: Sequence[str]) -> gpd.GeoDataFrame:
    """Return the web layer limited to the table's areas, with ``columns`` attached."""
    missing = [c for c in ("area_code", *columns) if c not in table.columns]
    if missing:
        raise ValueError(f"columns missing from the analysis table: {missing}; run "
                         "hotspots.analysis.analyse() to get them")
    if web_areas.crs is None:
        from hotspots._errors import CRSError

        raise CRSError("the web layer has no CRS; set it first, e.g. set_crs('EPSG:4326')")
    codes = set(table["area_code"].astype(str))
    web = web_areas[web_areas["area_code"].astype(str).isin(codes)].reset_index(drop=True)
    frame = ward_map_frame(web, table, list(columns))
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    return frame


def _class_map(
    frame: gpd.GeoDataFrame,
    colours: Sequence[str],
    fields: Mapping[str, str],
    *,
    basemap: Basemap,
    borough_outlines: gpd.GeoDataFrame | None,
    borough_labels: bool,
    badge: str | None,
    attribution: str | None,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
) -> folium.Map:
    """Build a categorical choropleth: one colour per row, tooltips from display columns.

    With ``geometry`` the wards' polygons stay in the static file the browser
    fetches once (:class:`hotspots.maps.StaticWardLayer`): the map carries
    only each ward's code, colour and tooltip values. The bounds are still
    computed here from ``frame``, so the view is the same either way.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {sorted(BASEMAPS)}; got {basemap!r}")
    ids = frame["area_code"].astype(str).tolist()
    m = _offline_map(frame, basemap)
    _add_area_layers(m, frame, fields, dict(zip(ids, colours, strict=True)),
                     id_col="area_code", attribution=attribution, geometry=geometry,
                     borough_outlines=borough_outlines, outline_geometry=outline_geometry,
                     borough_labels=borough_labels)
    if badge:
        _MapTitle("", badge).add_to(m)
    (south, west), (north, east) = _bounds(frame)
    _FitUntilMoved([[south, west], [north, east]]).add_to(m)
    return m


def _base_fields(value_label: str) -> dict[str, str]:
    return {"area_name": "Ward", "borough_name": "Borough", "value_display": value_label}


def _outlines_for(outlines: gpd.GeoDataFrame | None,
                  table: pd.DataFrame) -> gpd.GeoDataFrame | None:
    if outlines is None or "borough_name" not in outlines or "borough_name" not in table:
        return outlines
    keep = outlines["borough_name"].isin(set(table["borough_name"].dropna()))
    return outlines[keep].reset_index(drop=True)


def _title(params: Mapping[str, Any], what: str) -> str:
    label, period = params.get("measure_label"), params.get("period_label")
    tail = ", ".join(str(x) for x in (label, period) if x)
    return f"{what}: {tail}" if tail else what


# --------------------------------------------------------------------------- Gi*


def _gi_keys(params: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    levels = gi_levels(params)
    n = len(levels)
    hot = GI_HOT.get(n) or GI_HOT[4][:n]
    cold = GI_COLD.get(n) or GI_COLD[4][:n]
    keys = ([f"Hot {_conf(lv)}" for lv in levels] + ["Not significant"]
            + [f"Cold {_conf(lv)}" for lv in reversed(levels)])
    labels = ([f"Hot spot, {_conf(lv)} confidence (q \u2264 {lv:g})" for lv in levels]
              + ["Not significant"]
              + [f"Cold spot, {_conf(lv)} confidence (q \u2264 {lv:g})" for lv in reversed(levels)])
    colours = [*hot, NOT_SIGNIFICANT_COLOUR, *reversed(cold)]
    keys += [NO_NEIGHBOURS.capitalize(), NO_DATA.capitalize()]
    labels += ["No neighbours (not tested)", "No data"]
    colours += [NO_NEIGHBOURS_COLOUR, NO_DATA_COLOUR]
    return keys, labels, colours


def gi_map(
    web_areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    params: Mapping[str, Any],
    value_label: str,
    sensitive: bool = False,
    synthetic: bool = False,
    basemap: Basemap = "none",
    borough_outlines: gpd.GeoDataFrame | None = None,
    borough_labels: bool = False,
    attribution: str | None = None,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
) -> StatMapPanel:
    """Map the Getis-Ord Gi* hot and cold spots of an analysis.

    Parameters
    ----------
    web_areas
        Web layer (EPSG:4326, e.g. :attr:`hotspots.pipeline.Pack.web_areas`)
        with ``area_code``, ``area_name``, ``borough_name``; only the areas in
        ``table`` are drawn.
    table
        :attr:`hotspots.analysis.Analysis.table`: ``area_code``,
        ``value_display``, ``gi_z``, ``gi_p``, ``gi_q``, ``gi_class``.
    params
        :attr:`hotspots.analysis.Analysis.params` (levels, weights and
        permutations for the legend and caption).
    value_label
        Tooltip label of the value, e.g. ``"Crimes"``.
    sensitive
        Referral measure: the tooltips give the class, p and q but not z
        (:data:`HIDDEN_STAT`): z depends on the counts of the ward and its
        neighbours, so with the neighbours' counts shown it would give away a
        suppressed count.
    synthetic
        Draw the "SYNTHETIC" badge on the map.
    basemap, borough_outlines, borough_labels, attribution
        As :func:`hotspots.maps.choropleth`.
    geometry
        The static ward geometry file of the layer ``web_areas`` comes from
        (:func:`hotspots.maps.ward_geometry_json`, e.g. from
        ``ui.cache.static_geometry``): the browser fetches the polygons once
        and the map carries only each ward's code, colour and tooltip values.
        ``None`` (e.g. a pack built from uploads): the geometry is inline.
    outline_geometry
        The same for ``borough_outlines``
        (:func:`hotspots.maps.outline_geometry_json`).

    Returns
    -------
    StatMapPanel
        Legend classes, strongest hot first: Hot 99/95/90%, Not significant,
        Cold 90/95/99%, then "No neighbours" and "No data" when present.

    Raises
    ------
    ValueError
        A column is missing or the basemap is unknown.
    CRSError
        The web layer has no CRS.
    """
    frame = _web_frame(web_areas, table, ["value_display", "gi_z", "gi_p", "gi_q", "gi_class"])
    keys, labels, colours = _gi_keys(params)
    cls = frame["gi_class"].fillna(NO_DATA.capitalize()).astype(str)
    colour_of = dict(zip(keys, colours, strict=True))
    frame = frame.assign(
        value_display=frame["value_display"].fillna("no data"),
        gi_class_display=cls,
        gi_z_display=_stat_text(frame["gi_z"], sensitive),
        gi_p_display=frame["gi_p"].map(format_p),
        gi_q_display=frame["gi_q"].map(format_p),
    )
    fields = {**_base_fields(value_label), "gi_class_display": "Gi* class",
              "gi_z_display": "z", "gi_p_display": "p (pseudo)", "gi_q_display": "q (adjusted)"}
    fills = [colour_of.get(c, NO_DATA_COLOUR) for c in cls]
    m = _class_map(frame, fills, fields, basemap=basemap,
                   borough_outlines=_outlines_for(borough_outlines, table),
                   borough_labels=borough_labels,
                   badge=SYNTHETIC_BADGE if synthetic else None, attribution=attribution,
                   geometry=geometry, outline_geometry=outline_geometry)
    counts = _counts(keys, labels, colours, cls,
                     optional=[NO_NEIGHBOURS.capitalize(), NO_DATA.capitalize()])
    h = _hotspots(params)
    note = (f"Classes from q, the pseudo p-value adjusted by {_correction(h)} "
            f"({int(h.get('permutations', 0)):,} permutations, seed {h.get('seed', '?')}).")
    legend = _legend("Getis-Ord Gi* hot and cold spots", counts, note)
    return StatMapPanel(m, legend, _title(params, "Hot and cold spots (Gi*)"),
                        method_caption(params, "gi"), counts)


# --------------------------------------------------------------------------- LISA


def lisa_map(
    web_areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    params: Mapping[str, Any],
    value_label: str,
    sensitive: bool = False,
    synthetic: bool = False,
    basemap: Basemap = "none",
    borough_outlines: gpd.GeoDataFrame | None = None,
    borough_labels: bool = False,
    attribution: str | None = None,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
) -> StatMapPanel:
    """Map the local Moran (LISA) clusters and outliers that are significant after correction.

    Parameters
    ----------
    web_areas, value_label, sensitive, synthetic, basemap, borough_outlines, borough_labels
        As :func:`gi_map` (``sensitive`` hides Moran's I).
    attribution, geometry, outline_geometry
        As :func:`gi_map`.
    table
        :attr:`hotspots.analysis.Analysis.table`: ``area_code``,
        ``value_display``, ``lisa_i``, ``lisa_p``, ``lisa_q``,
        ``lisa_quadrant`` (``HH``/``LL``/``HL``/``LH`` where ``lisa_q`` <=
        alpha, else ``ns``).
    params
        :attr:`hotspots.analysis.Analysis.params`.

    Returns
    -------
    StatMapPanel
        Legend: HH, HL, LH, LL, not significant, then "No neighbours" and
        "No data" when present; the note names the correction and alpha.

    Raises
    ------
    ValueError
        A column is missing or the basemap is unknown.
    CRSError
        The web layer has no CRS.
    """
    frame = _web_frame(web_areas, table,
                       ["value_display", "lisa_i", "lisa_p", "lisa_q", "lisa_quadrant"])
    keys = [*LISA_CLASSES, NO_NEIGHBOURS, NO_DATA]
    labels = [v[0] for v in LISA_CLASSES.values()] + ["No neighbours (not tested)", "No data"]
    colours = [v[1] for v in LISA_CLASSES.values()] + [NO_NEIGHBOURS_COLOUR, NO_DATA_COLOUR]
    quad = frame["lisa_quadrant"].fillna(NO_DATA).astype(str)
    colour_of = dict(zip(keys, colours, strict=True))
    words = {k: v[0].split(":")[0] for k, v in LISA_CLASSES.items()}
    frame = frame.assign(
        value_display=frame["value_display"].fillna("no data"),
        lisa_class_display=quad.map(lambda q: words.get(q, q)),
        lisa_i_display=_stat_text(frame["lisa_i"], sensitive),
        lisa_p_display=frame["lisa_p"].map(format_p),
        lisa_q_display=frame["lisa_q"].map(format_p),
    )
    fields = {**_base_fields(value_label), "lisa_class_display": "LISA cluster",
              "lisa_i_display": "Local Moran's I", "lisa_p_display": "p (pseudo)",
              "lisa_q_display": "q (adjusted)"}
    fills = [colour_of.get(q, NO_DATA_COLOUR) for q in quad]
    m = _class_map(frame, fills, fields, basemap=basemap,
                   borough_outlines=_outlines_for(borough_outlines, table),
                   borough_labels=borough_labels,
                   badge=SYNTHETIC_BADGE if synthetic else None, attribution=attribution,
                   geometry=geometry, outline_geometry=outline_geometry)
    counts = _counts(keys, labels, colours, quad, optional=[NO_NEIGHBOURS, NO_DATA])
    h = _hotspots(params)
    note = (f"Significant only: q \u2264 {float(h.get('alpha', 0.05)):g} after "
            f"{_correction(h)} ({int(h.get('permutations', 0)):,} permutations, seed "
            f"{h.get('seed', '?')}).")
    legend = _legend("Local Moran (LISA) clusters", counts, note)
    return StatMapPanel(m, legend, _title(params, "Clusters and outliers (LISA)"),
                        method_caption(params, "lisa"), counts)


# --------------------------------------------------------------------------- bivariate


def tercile_cuts(table: pd.DataFrame, *, value_col: str = "value",
                 imd_col: str = "imd_score") -> tuple[tuple[float, float], tuple[float, float]]:
    """Return the tercile cut points of the measure and of IMD behind ``bv_class``.

    Parameters
    ----------
    table
        Analysis table with ``bv_class``, the value and the IMD score.
    value_col, imd_col
        Column names.

    Returns
    -------
    tuple
        ``((value_1_3, value_2_3), (imd_1_3, imd_2_3))`` over the areas with a
        class (both values present), as :func:`hotspots.stats.bivariate_classes`
        computes them; NaN when no area has a class.
    """
    ok = table["bv_class"].notna()
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
    ok = table["bv_class"].notna()
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
                      imd_ranges: Sequence[str], note: str) -> str:
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
        "against IMD 2019 score (across): wards per cell</div>"
        '<div style="display:flex;gap:6px;align-items:stretch;">'
        '<div style="writing-mode:vertical-rl;transform:rotate(180deg);font-size:0.78rem;'
        f'font-weight:600;text-align:center;">{html.escape(measure_word)} &rarr;</div>'
        '<div style="display:grid;grid-template-columns:auto 1fr 1fr 1fr;gap:0;flex:1;">'
        + "".join(cells) + "</div></div>"
        '<div style="font-size:0.78rem;font-weight:600;text-align:center;margin-top:2px;">'
        "IMD 2019 average score (more deprived) &rarr;</div>"
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
) -> StatMapPanel:
    """Map the 3 x 3 bivariate classes: terciles of the measure crossed with IMD terciles.

    Parameters
    ----------
    web_areas, value_label, synthetic, basemap, borough_outlines, borough_labels, attribution
        As :func:`gi_map`.
    geometry, outline_geometry
        Static geometry files, as :func:`gi_map` (``None``: inline).
    table
        :attr:`hotspots.analysis.Analysis.table` with ``value``,
        ``value_display``, ``imd_score``, ``bv_class`` (1..9),
        ``bv_class_label``, ``bv_i``, ``bv_p``, ``bv_q``, ``bv_quadrant``.
    params
        :attr:`hotspots.analysis.Analysis.params`.
    measure_word
        Short name of the measure for the legend axis, e.g. ``"Referrals"``.
    integer
        The value is a count (tercile ranges printed as whole numbers).
    sensitive, threshold
        Referral measure: tercile cut points below ``threshold`` are not
        printed (they would narrow down suppressed counts), nor is the
        bivariate Moran's I (see :func:`gi_map`).
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
    cols = ["value", "value_display", "imd_score", "bv_class", "bv_class_label", "bv_i",
            "bv_p", "bv_q", "bv_quadrant"]
    frame = _web_frame(web_areas, table, cols)
    flat = [c for row in BIVARIATE_COLOURS for c in row]
    cls = pd.array(frame["bv_class"], dtype="Int64")
    key = pd.Series([NO_DATA if pd.isna(k) else str(int(k)) for k in cls], index=frame.index)
    fills = [NO_DATA_COLOUR if k == NO_DATA else flat[int(k) - 1] for k in key]
    mcuts, dcuts = tercile_cuts(table)
    mspan, dspan = tercile_span(table)
    if sensitive and not integer:
        mspan = (float("nan"), float("nan"))  # a referral rate's extremes could be a small count's
    m_ranges = _ranges(mcuts, mspan, integer=integer,
                       hide_below=float(threshold) if sensitive and integer else None)
    d_ranges = _ranges(dcuts, dspan, integer=False)
    frame = frame.assign(
        value_display=frame["value_display"].fillna("no data"),
        imd_display=frame["imd_score"].map(lambda v: "no data" if pd.isna(v) else f"{v:.1f}"),
        bv_class_display=[_bv_words(k, measure_word) for k in key],
        bv_quadrant_display=frame["bv_quadrant"].fillna(NO_DATA).astype(str),
        bv_i_display=_stat_text(frame["bv_i"], sensitive),
        bv_p_display=frame["bv_p"].map(format_p),
        bv_q_display=frame["bv_q"].map(format_p),
    )
    fields = {**_base_fields(value_label), "imd_display": "IMD 2019 score",
              "bv_class_display": "Class", "bv_quadrant_display": "Bivariate LISA",
              "bv_i_display": "Bivariate I", "bv_p_display": "p (pseudo)",
              "bv_q_display": "q (adjusted)"}
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
    legend = _bivariate_legend(counts, measure_word, m_ranges, d_ranges, note)
    return StatMapPanel(m, legend, _title(params, f"{measure_word} and deprivation (3 x 3)"),
                        method_caption(params, "bv"), counts)


def _bv_words(key: str, measure_word: str) -> str:
    if key == NO_DATA:
        return "No data"
    k = int(key)
    m, d = (k - 1) // 3, (k - 1) % 3
    return f"{measure_word}: {TERCILE_WORDS[m]}; IMD: {TERCILE_WORDS[d]}"


# --------------------------------------------------------------------------- tables


def _names(table: pd.DataFrame, value_label: str) -> pd.DataFrame:
    return pd.DataFrame({
        "Ward": table["area_name"].astype(str).to_numpy(),
        "Borough": table["borough_name"].astype(str).to_numpy(),
        value_label: table["value_display"].fillna("no data").astype(str).to_numpy(),
    }, index=table.index)


def hotspot_table(table: pd.DataFrame, *, value_label: str,
                  sensitive: bool = False) -> pd.DataFrame:
    """Return the data behind the Gi* and LISA maps: one row per ward, strongest hot spot first.

    Parameters
    ----------
    table
        :attr:`hotspots.analysis.Analysis.table`.
    value_label
        Column name for the value (display strings: suppressed counts stay
        ``"<5"``).
    sensitive
        Referral measure: leave out ``Gi* z`` and ``LISA I`` (see
        :func:`gi_map`); the order (by z) is kept.

    Returns
    -------
    DataFrame
        ``Ward``, ``Borough``, the value, ``Gi* class``, ``Gi* z``, ``Gi* p``,
        ``Gi* q``, ``LISA cluster``, ``LISA I``, ``LISA p``, ``LISA q``,
        ``Neighbours``; sorted by Gi* z (highest first, no data last).
    """
    t = table.sort_values(["gi_z", "area_name"], ascending=[False, True], na_position="last",
                          kind="stable")
    out = _names(t, value_label)
    out["Gi* class"] = t["gi_class"].fillna(NO_DATA.capitalize()).to_numpy()
    out["Gi* z"] = pd.to_numeric(t["gi_z"]).round(2).to_numpy()
    out["Gi* p"] = pd.to_numeric(t["gi_p"]).to_numpy()
    out["Gi* q"] = pd.to_numeric(t["gi_q"]).round(4).to_numpy()
    out["LISA cluster"] = t["lisa_quadrant"].fillna(NO_DATA).to_numpy()
    out["LISA I"] = pd.to_numeric(t["lisa_i"]).round(3).to_numpy()
    out["LISA p"] = pd.to_numeric(t["lisa_p"]).to_numpy()
    out["LISA q"] = pd.to_numeric(t["lisa_q"]).round(4).to_numpy()
    out["Neighbours"] = pd.array(t["n_neighbours"], dtype="Int64") if "n_neighbours" in t else pd.NA
    if sensitive:
        out = out.drop(columns=["Gi* z", "LISA I"])
    return out.reset_index(drop=True)


def bivariate_table(table: pd.DataFrame, *, value_label: str,
                    measure_word: str = "Measure", sensitive: bool = False) -> pd.DataFrame:
    """Return the data behind the bivariate map: one row per ward, by class then ward name.

    Parameters
    ----------
    table
        :attr:`hotspots.analysis.Analysis.table` with the ``bv_*`` columns.
    value_label
        Column name for the value (display strings).
    measure_word
        Word for the measure in the class text.
    sensitive
        Referral measure: leave out ``Bivariate I`` (see :func:`gi_map`).

    Returns
    -------
    DataFrame
        ``Ward``, ``Borough``, the value, ``IMD score``, ``IMD decile``,
        ``Class`` (1..9), ``Class (words)``, ``Bivariate LISA``,
        ``Bivariate I``, ``p``, ``q``.
    """
    t = table.sort_values(["bv_class", "area_name"], ascending=[False, True],
                          na_position="last", kind="stable")
    out = _names(t, value_label)
    out["IMD score"] = pd.to_numeric(t["imd_score"]).round(1).to_numpy()
    out["IMD decile"] = pd.array(pd.to_numeric(t["imd_decile"]), dtype="Int64") \
        if "imd_decile" in t else pd.NA
    cls = pd.array(t["bv_class"], dtype="Int64")
    out["Class"] = cls
    out["Class (words)"] = [_bv_words(NO_DATA if pd.isna(k) else str(int(k)), measure_word)
                            for k in cls]
    out["Bivariate LISA"] = t["bv_quadrant"].fillna(NO_DATA).to_numpy()
    out["Bivariate I"] = pd.to_numeric(t["bv_i"]).round(3).to_numpy()
    out["p"] = pd.to_numeric(t["bv_p"]).to_numpy()
    out["q"] = pd.to_numeric(t["bv_q"]).round(4).to_numpy()
    if sensitive:
        out = out.drop(columns=["Bivariate I"])
    return out.reset_index(drop=True)
