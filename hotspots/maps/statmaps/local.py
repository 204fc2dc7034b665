"""Maps of the local statistics: Getis-Ord Gi* hot and cold spots, LISA clusters, their table.

Colours are colour-blind safe: ColorBrewer RdBu for Gi* (Brewer & Harrower, from
:func:`hotspots.maps.palettes.brewer`) and GeoDa's red / blue / pink / light-blue
cluster colours for LISA.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from hotspots.maps.arealayers import StaticGeometry
from hotspots.maps.classify import NO_DATA_COLOUR
from hotspots.maps.palettes import brewer
from hotspots.maps.statmaps.captions import (
    _conf,
    _correction,
    _hotspots,
    _stat_text,
    format_p,
    gi_levels,
    method_caption,
)
from hotspots.maps.statmaps.panel import (
    NO_NEIGHBOURS_COLOUR,
    NOT_SIGNIFICANT_COLOUR,
    StatMapPanel,
    _base_fields,
    _class_map,
    _counts,
    _legend,
    _names,
    _outlines_for,
    _title,
    _web_frame,
)
from hotspots.maps.web import SYNTHETIC_BADGE, Basemap
from hotspots.stats import NO_DATA, NO_NEIGHBOURS

__all__ = ["GI_COLD", "GI_HOT", "LISA_CLASSES", "gi_keys", "gi_map", "hotspot_table", "lisa_map"]


#: Gi* hot colours, strongest confidence first: ColorBrewer RdBu (7 and 9 classes).
GI_HOT: dict[int, tuple[str, ...]] = {3: brewer("RdBu", 7)[:3], 4: brewer("RdBu", 9)[:4]}


#: Gi* cold colours, strongest confidence first.
GI_COLD: dict[int, tuple[str, ...]] = {3: brewer("RdBu", 7)[::-1][:3],
                                       4: brewer("RdBu", 9)[::-1][:4]}


#: LISA quadrant -> (legend label, colour), in legend order.
LISA_CLASSES: dict[str, tuple[str, str]] = {
    "HH": ("High-High: high values among high neighbours (hot spot)", "#d7191c"),
    "HL": ("High-Low: high value among low neighbours (outlier)", "#f4a5ae"),
    "LH": ("Low-High: low value among high neighbours (outlier)", "#9ecae1"),
    "LL": ("Low-Low: low values among low neighbours (cold spot)", "#2c7bb6"),
    "ns": ("Not significant", NOT_SIGNIFICANT_COLOUR),
}


# --------------------------------------------------------------------------- Gi*


def gi_keys(params: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Return the Gi* classes in legend order: keys, legend labels and colours.

    Parameters
    ----------
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params` (the confidence levels
        come from :func:`~hotspots.maps.statmaps.captions.gi_levels`).

    Returns
    -------
    keys, labels, colours : list of str
        Strongest hot spot first (``"Hot 99%"``, ...), ``"Not significant"``,
        the cold spots from the weakest, then ``"No neighbours"`` and
        ``"No data"``; the keys are the values of ``gi_class``.
    """
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
        :attr:`hotspots.pipeline.analysis.Analysis.table`: ``area_code``,
        ``value_display``, ``gi_z``, ``gi_p``, ``gi_q``, ``gi_class``.
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params` (levels, weights and
        permutations for the legend and caption).
    value_label
        Tooltip label of the value, e.g. ``"Crimes"``.
    sensitive
        Referral measure: the tooltips give the class, p and q but not z
        (:data:`~hotspots.maps.statmaps.captions.HIDDEN_STAT`): z depends on
        the counts of the ward and its neighbours, so with the neighbours'
        counts shown it would give away a suppressed count.
    synthetic
        Draw the "SYNTHETIC" badge on the map.
    basemap, borough_outlines, borough_labels, attribution
        As :func:`hotspots.maps.choropleths.choropleth`.
    geometry
        The static ward geometry file of the layer ``web_areas`` comes from
        (:func:`hotspots.maps.arealayers.ward_geometry_json`, e.g. from
        ``ui.cache.static_geometry``): the browser fetches the polygons once
        and the map carries only each ward's code, colour and tooltip values.
        ``None`` (e.g. a pack built from uploads): the geometry is inline.
    outline_geometry
        The same for ``borough_outlines``
        (:func:`hotspots.maps.arealayers.outline_geometry_json`).

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
    keys, labels, colours = gi_keys(params)
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
        :attr:`hotspots.pipeline.analysis.Analysis.table`: ``area_code``,
        ``value_display``, ``lisa_i``, ``lisa_p``, ``lisa_q``,
        ``lisa_quadrant`` (``HH``/``LL``/``HL``/``LH`` where ``lisa_q`` <=
        alpha, else ``ns``).
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params`.

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


# --------------------------------------------------------------------------- table


def hotspot_table(table: pd.DataFrame, *, value_label: str,
                  sensitive: bool = False) -> pd.DataFrame:
    """Return the data behind the Gi* and LISA maps: one row per ward, strongest hot spot first.

    Parameters
    ----------
    table
        :attr:`hotspots.pipeline.analysis.Analysis.table`.
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
