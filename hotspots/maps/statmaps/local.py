"""Maps of the local statistics (Getis-Ord Gi* hot and cold spots, LISA clusters, ...), their table.

Every map here is one local statistic of :mod:`hotspots.stats.registry` drawn
the same way (:func:`local_map`): its class column coloured by its categories,
its tooltip columns, legend title and note, map title and method caption all
come from the entry; :func:`gi_map` and :func:`lisa_map` are two of them. The
entry names its colours (:data:`STAT_COLOURS`, :func:`stat_colour`).

Colours are colour-blind safe: ColorBrewer RdBu for Gi* (Brewer & Harrower, from
:func:`hotspots.maps.palettes.brewer`) and GeoDa's red / blue / pink / light-blue
cluster colours for LISA.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.maps.arealayers import StaticGeometry
from hotspots.maps.classify import NO_DATA_COLOUR
from hotspots.maps.statmaps.captions import (
    _correction,
    _hotspots,
    _stat_text,
    format_p,
    method_caption,
)
from hotspots.maps.statmaps.classes import (
    GI_COLD,
    GI_HOT,
    LISA_CLASSES,
    STAT_COLOURS,
    _alpha,
    _stat,
    gi_keys,
    local_keys,
    print_classes,
    stat_colour,
)
from hotspots.maps.statmaps.panel import (
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
from hotspots.stats import registry as registry

__all__ = [
    "GI_COLD",
    "GI_HOT",
    "LISA_CLASSES",
    "STAT_COLOURS",
    "gi_keys",
    "gi_map",
    "hotspot_table",
    "lisa_map",
    "local_keys",
    "local_map",
    "print_classes",
    "stat_colour",
]


def _fill(values: pd.Series, stat: registry.Statistic, alpha: float) -> pd.Series:
    """Class values as text, areas without data under the entry's no-data key."""
    none = stat.category(alpha, "no data")
    return values.fillna(none.key if none is not None else "no data").astype(str)


def local_map(
    stat: registry.Statistic | str,
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
    authority: str = "Borough",
) -> StatMapPanel:
    """Map the classes of one local statistic of the registry.

    ``authority`` heads the tooltip's authority line (``"Local authority"`` outside
    London).

    Parameters
    ----------
    stat
        A local statistic of :mod:`hotspots.stats.registry` (or its key, e.g.
        ``"gi_star"``): its columns, classes, colours and words are used.
    web_areas
        Web layer (EPSG:4326, e.g. :attr:`hotspots.pipeline.Pack.web_areas`)
        with ``area_code``, ``area_name``, ``borough_name``; only the areas in
        ``table`` are drawn.
    table
        :attr:`hotspots.pipeline.analysis.Analysis.table`: ``area_code``,
        ``value_display`` and the statistic's statistic, p, q and class columns.
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params` (levels, weights and
        permutations for the legend and caption).
    value_label
        Tooltip label of the value, e.g. ``"Crimes"``.
    sensitive
        Referral measure: the tooltips give the class, p and q but not the
        statistic (:data:`~hotspots.maps.statmaps.captions.HIDDEN_STAT`): z or
        I depends on the counts of the ward and its neighbours, so with the
        neighbours' counts shown it would give away a suppressed count.
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
        Legend classes in the entry's order, "No neighbours" and "No data"
        only when present.

    Raises
    ------
    ValueError
        A column is missing or the basemap is unknown.
    CRSError
        The web layer has no CRS.
    """
    s = _stat(stat)
    cols = {role: s.column(role) for role in ("statistic", "p", "q", "class")}
    stat_col, p_col, q_col, cls_col = (c.name for c in cols.values())  # type: ignore[union-attr]
    frame = _web_frame(web_areas, table, ["value_display", stat_col, p_col, q_col, cls_col])
    alpha = _alpha(params)
    cats = s.classes(alpha)
    keys, labels, colours = local_keys(s, params)
    cls = _fill(frame[cls_col], s, alpha)
    colour_of = dict(zip(keys, colours, strict=True))
    words = {c.key: c.tooltip for c in cats}
    frame = frame.assign(**{
        "value_display": frame["value_display"].fillna("no data"),
        f"{s.prefix}_class_display": cls.map(lambda q: words.get(q, q)),
        f"{stat_col}_display": _stat_text(frame[stat_col], sensitive),
        f"{p_col}_display": frame[p_col].map(format_p),
        f"{q_col}_display": frame[q_col].map(format_p),
    })
    fields = {**_base_fields(value_label, authority),
              f"{s.prefix}_class_display": s.words.class_title,
              f"{stat_col}_display": cols["statistic"].label,  # type: ignore[union-attr]
              f"{p_col}_display": cols["p"].label,  # type: ignore[union-attr]
              f"{q_col}_display": cols["q"].label}  # type: ignore[union-attr]
    fills = [colour_of.get(c, NO_DATA_COLOUR) for c in cls]
    m = _class_map(frame, fills, fields, basemap=basemap,
                   borough_outlines=_outlines_for(borough_outlines, table),
                   borough_labels=borough_labels,
                   badge=SYNTHETIC_BADGE if synthetic else None, attribution=attribution,
                   geometry=geometry, outline_geometry=outline_geometry)
    counts = _counts(keys, labels, colours, cls,
                     optional=[c.key for c in cats if c.kind in ("no neighbours", "no data")])
    h = _hotspots(params)
    note = s.words.legend_note.format(
        correction=_correction(h), alpha=f"{float(h.get('alpha', 0.05)):g}",
        permutations=f"{int(h.get('permutations', 0)):,}", seed=h.get("seed", "?"))
    legend = _legend(s.words.legend, counts, note)
    return StatMapPanel(m, legend, _title(params, s.words.title),
                        method_caption(params, s.prefix), counts)


def gi_map(web_areas: gpd.GeoDataFrame, table: pd.DataFrame, **kwargs: Any) -> StatMapPanel:
    """Map the Getis-Ord Gi* hot and cold spots of an analysis (:func:`local_map`).

    The legend lists Hot 99/95/90%, Not significant, Cold 90/95/99%, then "No
    neighbours" and "No data" when present; keyword arguments as
    :func:`local_map` (``table`` needs ``gi_z``, ``gi_p``, ``gi_q``, ``gi_class``).
    """
    return local_map("gi_star", web_areas, table, **kwargs)


def lisa_map(web_areas: gpd.GeoDataFrame, table: pd.DataFrame, **kwargs: Any) -> StatMapPanel:
    """Map the local Moran (LISA) clusters and outliers significant after correction.

    The legend lists HH, HL, LH, LL, not significant, then "No neighbours" and
    "No data" when present; the note names the correction and alpha; keyword
    arguments as :func:`local_map` (``sensitive`` hides Moran's I).
    """
    return local_map("lisa", web_areas, table, **kwargs)


# --------------------------------------------------------------------------- table


def hotspot_table(table: pd.DataFrame, *, value_label: str,
                  sensitive: bool = False, authority: str = "Borough") -> pd.DataFrame:
    """Return the data behind the hotspot maps: one row per ward, strongest hot spot first.

    Parameters
    ----------
    table
        :attr:`hotspots.pipeline.analysis.Analysis.table`.
    value_label
        Column name for the value (display strings: suppressed counts stay
        ``"<5"``).
    sensitive
        Referral measure: leave out each statistic's own number (``Gi* z``,
        ``LISA I``, see :func:`local_map`), and sort by the first statistic's
        class (hot first), then its p, then ward: in z order the rows would give
        the order of every ward's local sum away.
    authority
        Heading of the authority column (``"Local authority"`` outside London).

    Returns
    -------
    DataFrame
        ``Ward``, ``Borough``, the value, then for each local statistic of the
        measure alone in the registry its class, statistic, p and q (``Gi*
        class``, ``Gi* z``, ``Gi* p``, ``Gi* q``, ``LISA cluster``, ``LISA I``,
        ...), ``Neighbours``; sorted by the first one's statistic (Gi* z,
        highest first, no data last), or for ``sensitive`` as said there.
    """
    shown = registry.local_statistics(univariate=True)
    if sensitive:  # in z order the rows would publish the order of every local sum
        first = shown[0]
        order = {c.key: i for i, c in enumerate(first.classes(0.05))}
        t = table.assign(_order=table[first.col("class")].map(order).fillna(len(order)))
        t = t.sort_values(["_order", first.col("p"), "area_name"], na_position="last",
                          kind="stable").drop(columns="_order")
    else:
        t = table.sort_values([shown[0].col("statistic"), "area_name"], ascending=[False, True],
                              na_position="last", kind="stable")
    out = _names(t, value_label, authority)
    hidden = []
    for s in shown:
        out[s.words.class_title] = t[s.col("class")].fillna(
            s.category(0.05, "no data").key).to_numpy()  # type: ignore[union-attr]
        for role in ("statistic", "p", "q"):
            c = s.column(role)  # type: ignore[arg-type]
            v = pd.to_numeric(t[c.name])  # type: ignore[union-attr]
            out[c.heading] = (v if c.digits is None else v.round(c.digits)).to_numpy()  # type: ignore[union-attr]
        hidden.append(s.column("statistic").heading)  # type: ignore[union-attr]
    out["Neighbours"] = pd.array(t["n_neighbours"], dtype="Int64") if "n_neighbours" in t else pd.NA
    if sensitive:
        out = out.drop(columns=hidden)
    return out.reset_index(drop=True)


def same_p_note(table: pd.DataFrame) -> str:
    """Say why the univariate statistics' p and q agree, when they do in ``table``.

    Gi* and LISA test each area's neighbours' values against the same random
    rearrangements of the other areas (conditional permutations, the same draws): both
    statistics rise or fall with the neighbours' total, so each area gets the same
    pseudo p, and the same q. A reader comparing the columns may take it for a fault.
    The sentence is given only when the table bears it out (every area with both).

    Parameters
    ----------
    table
        :attr:`hotspots.pipeline.analysis.Analysis.table` (the statistics' p columns).

    Returns
    -------
    str
        The sentence, or ``""`` when the p-values differ, or fewer than two
        univariate statistics with a p column are in the table.

    Examples
    --------
    >>> t = pd.DataFrame({"gi_p": [0.01, 0.5, None], "lisa_p": [0.01, 0.5, None]})
    >>> same_p_note(t).split(":")[0]
    'Gi* and LISA have the same p and q in every row'
    >>> same_p_note(t.assign(lisa_p=[0.02, 0.5, None]))
    ''
    """
    stats = [s for s in registry.local_statistics(univariate=True)
             if s.column("p") is not None and s.col("p") in table]
    if len(stats) < 2:
        return ""
    ps = [pd.to_numeric(table[s.col("p")]) for s in stats]
    both = pd.concat(ps, axis=1).notna().all(axis=1)
    if not both.any() or any(not np.allclose(p[both], ps[0][both], rtol=0, atol=1e-12)
                             for p in ps[1:]):
        return ""
    names = " and ".join(s.short for s in stats)
    return (f"{names} have the same p and q in every row: with the same random "
            "rearrangements of the other wards, both test how high the neighbours' values "
            "are, so they are equally sure. They differ in what they report: Gi* whether a "
            "ward and its neighbours are a hot or cold spot, LISA which kind of cluster or "
            "outlier it is.")
