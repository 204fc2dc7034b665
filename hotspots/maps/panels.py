"""The page's maps: measure and IMD panels, and the pair that pans and zooms together.

A panel is a map with what the page draws around it (:class:`MapPanel`: the
legend, the classes and a title): :func:`measure_panel` for the ward table's
measure (small referral counts suppressed, never classed) and :func:`imd_panel`
for the IMD 2019 score. :func:`synced_pair` puts two maps side by side in one
element on one view, with the project's own sync script (served locally) instead
of Leaflet.Sync from a CDN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
from branca.element import Figure
from folium.template import Template

from hotspots.maps.arealayers import StaticGeometry
from hotspots.maps.assets import LEAFLET_CSS_URL, LEAFLET_JS_URL, MAP_SYNC_JS_URL
from hotspots.maps.choropleths import choropleth, legend_html
from hotspots.maps.classify import SCHEMES, Classification, _labels, classify
from hotspots.maps.web import SYNTHETIC_BADGE, Basemap

__all__ = [
    "MapPanel",
    "SyncedMaps",
    "imd_panel",
    "measure_panel",
    "synced_pair",
    "too_little_text",
    "ward_map_frame",
]


@dataclass(frozen=True, eq=False)
class MapPanel:
    """A map with what is drawn around it on the page.

    Attributes
    ----------
    map
        The folium map (offline unless an internet basemap was chosen).
    legend
        HTML legend (escaped) to draw beside the map.
    classification
        The classes behind the colours and the legend.
    title
        Plain-text heading for the map.
    """

    map: folium.Map
    legend: str
    classification: Classification
    title: str


def ward_map_frame(
    web_areas: gpd.GeoDataFrame, table: pd.DataFrame, columns: Sequence[str]
) -> gpd.GeoDataFrame:
    """Attach table columns to the web layer by ``area_code`` (web layer order kept).

    Parameters
    ----------
    web_areas
        Simplified EPSG:4326 layer with ``area_code``, ``area_name``,
        ``borough_name``.
    table
        One row per area with ``area_code`` and ``columns`` (e.g. a ward
        table frame; its geometry, if any, is ignored).
    columns
        Columns to bring over.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame with a fresh RangeIndex; areas missing from ``table``
        get NaN.
    """
    keep = [c for c in ("area_code", "area_name", "borough_name") if c in web_areas.columns]
    values = pd.DataFrame(table[["area_code", *columns]]).drop_duplicates("area_code")
    out = web_areas[[*keep, "geometry"]].merge(values, on="area_code", how="left")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=web_areas.crs)


def measure_panel(
    web_areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    title: str,
    value_label: str,
    integer: bool,
    sensitive: bool,
    threshold: int,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    synthetic: bool = False,
    basemap: Basemap = "none",
    borough_outlines: gpd.GeoDataFrame | None = None,
    attribution: str | None = None,
    palette_name: str = "YlOrRd",
    borough_labels: bool = False,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
    authority: str = "Borough",
    from_zero: bool = True,
) -> MapPanel:
    """Build the measure map, its legend and title for one ward table.

    ``authority`` names the ``borough_name`` column in the tooltip (e.g.
    ``"Local authority"`` outside London).

    Parameters
    ----------
    web_areas
        Web layer (EPSG:4326) with ``area_code``, ``area_name``, ``borough_name``.
    table
        Ward table frame with ``area_code``, ``value``, ``rank``,
        ``value_display`` and ``suppressed``.
    title
        Map heading (measure and period).
    value_label
        Tooltip label of the value, e.g. ``"Crimes"`` or ``"Rate per 1,000"``.
    integer
        The value is a count (class bounds are whole numbers).
    sensitive
        Suppression applies: suppressed areas get their own legend entry and
        no colour class, and their rank is not shown.
    threshold
        Suppression threshold (counts ``1 .. threshold - 1`` hidden).
    scheme, k, bins
        Classification (see :func:`hotspots.maps.classify.classify`).
    synthetic
        Draw the "SYNTHETIC - not real data" badge on the map.
    basemap, borough_outlines, attribution
        As for :func:`choropleth`.
    palette_name
        Sequential palette, a key of :data:`~hotspots.maps.palettes.MAP_PALETTES`.
    borough_labels
        Write borough names on the map (see :func:`choropleth`).
    geometry, outline_geometry
        Static geometry files of ``web_areas`` and ``borough_outlines``
        (see :func:`choropleth`); ``None``: inline.
    from_zero
        Print the first class of a count from 0 (``"0 to 4"``; from 1 after the
        zero class) rather than from the smallest count (see
        :func:`~hotspots.maps.classify.classify`).

    Returns
    -------
    MapPanel
        The map is zoomed to the areas with data. Wards with 0 are their own
        white class ``"0 (n)"`` (never a colour of the scale); when every ward
        is 0, suppressed or without data, the legend says there is too little
        to map.
    """
    frame = ward_map_frame(web_areas, table, ["value", "rank", "value_display", "suppressed"])
    suppressed = frame["suppressed"].astype("boolean").fillna(False).astype(bool)
    masked = suppressed if sensitive else None
    frame["rank_display"] = _rank_text(frame["rank"], suppressed if sensitive else None)
    frame["value_display"] = frame["value_display"].fillna("no data")
    c = classify(frame["value"], scheme=scheme, k=k, bins=bins, integer=integer,
                 masked=masked, masked_label=f"Fewer than {threshold} (suppressed)",
                 zero_class=True, from_zero=from_zero)
    badge = SYNTHETIC_BADGE if synthetic else None
    m = choropleth(
        frame, value_col="value", classification=c, palette=palette_name,
        tooltip_fields={"area_name": "Ward", "borough_name": authority,
                        "value_display": value_label, "rank_display": "Rank (1 = highest)"},
        borough_outlines=borough_outlines, basemap=basemap, title=None, badge=badge,
        attribution=attribution, borough_labels=borough_labels, fit_to_data=True,
        geometry=geometry, outline_geometry=outline_geometry,
    )
    note = SCHEMES[scheme].description + " White = 0 (none in the period)."
    if sensitive:
        note += (f" Counts from 1 to {threshold - 1} are suppressed: those wards are shown "
                 "apart and not ranked.")
    if c.too_little_to_map and frame["value"].notna().any():
        note = (too_little_text(sensitive, threshold) + " " + note)
    return MapPanel(m, legend_html(c, palette_name, title=value_label, note=note), c, title)


def too_little_text(sensitive: bool, threshold: int) -> str:
    """Say why a measure map has no class to colour (every ward 0, hidden or without data).

    Examples
    --------
    >>> too_little_text(True, 5)[:40]
    'Too little data to map: every ward has 0'
    """
    hidden = f" or fewer than {threshold} (suppressed)" if sensitive else ""
    return (f"Too little data to map: every ward has 0{hidden}, so no ward can be shown in a "
            "class. Choose a longer period, all categories or all boroughs.")


def imd_panel(
    web_areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    reference: str = "the wards on this map",
    basemap: Basemap = "none",
    borough_outlines: gpd.GeoDataFrame | None = None,
    attribution: str | None = None,
    palette_name: str = "Blues",
    borough_labels: bool = False,
    class_reference: pd.Series | None = None,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
    index_label: str = "IMD 2019",
    authority: str = "Borough",
    notice: str = "",
) -> MapPanel:
    """Build the deprivation (e.g. IMD 2019) average-score map, legend and title.

    Parameters
    ----------
    web_areas
        Web layer (EPSG:4326).
    table
        Frame with ``area_code``, ``imd_score`` and optionally ``imd_rank``,
        ``imd_decile`` (rank and decile within the layer, 1 = most deprived).
    scheme, k
        Classification; ``"user_defined"`` (meant for the measure) falls back
        to quantiles here.
    reference
        The population the classes and ranks refer to, e.g. ``"London wards"``
        (printed in the legend: IMD quantiles are relative to it, not to
        England's national deciles).
    basemap, borough_outlines, attribution
        As for :func:`choropleth`.
    palette_name
        Sequential palette, a key of :data:`~hotspots.maps.palettes.MAP_PALETTES`.
    borough_labels
        Write borough names on the map (see :func:`choropleth`).
    class_reference
        Optional IMD scores of every area of the reference population (e.g.
        all of London's wards when the map shows a few boroughs): the class
        bounds come from these, so that a colour means the same as on the
        whole map; the legend counts the areas drawn.
    geometry, outline_geometry
        Static geometry files (see :func:`choropleth`); ``None``: inline.
    index_label
        The index's short label in the title, legend and tooltip, e.g.
        ``"WIMD 2019 (Wales)"`` (the pack's ``imd_label``).
    authority
        Tooltip name of ``borough_name`` (``"Local authority"`` outside London).
    notice
        Printed at the end of the legend's note: the index's licence and meaning
        when they differ from the national indices' (mySociety's composite).

    Returns
    -------
    MapPanel
    """
    cols = [c for c in ("imd_score", "imd_rank", "imd_decile") if c in table.columns]
    frame = ward_map_frame(web_areas, table, cols)
    n = int(frame["imd_score"].notna().sum())
    frame["imd_score_display"] = frame["imd_score"].map(
        lambda v: "no data" if pd.isna(v) else f"{v:.1f}")
    fields = {"area_name": "Ward", "borough_name": authority,
              "imd_score_display": f"{index_label} average score"}
    if "imd_rank" in frame:
        frame["imd_rank_display"] = frame["imd_rank"].map(
            lambda v: "no data" if pd.isna(v) else f"{int(v)} of {n}")
        fields["imd_rank_display"] = "Rank (1 = most deprived)"
    if "imd_decile" in frame:
        frame["imd_decile_display"] = frame["imd_decile"].map(
            lambda v: "no data" if pd.isna(v) else f"{int(v)}")
        fields["imd_decile_display"] = "Decile (1 = most deprived 10%)"
    used = "quantiles" if SCHEMES[scheme].needs_bins else scheme
    c = classify(frame["imd_score"], scheme=used, k=k)
    bounds_note = ""
    if class_reference is not None and pd.Series(class_reference).notna().any():
        c = _classes_from_reference(frame["imd_score"], pd.Series(class_reference), used, k)
        bounds_note = " Class bounds from all of them; counts are the areas on this map."
    title = f"{index_label} average score (higher = more deprived)"
    m = choropleth(frame, value_col="imd_score", classification=c, palette=palette_name,
                   tooltip_fields=fields, borough_outlines=borough_outlines, basemap=basemap,
                   attribution=attribution, borough_labels=borough_labels,
                   geometry=geometry, outline_geometry=outline_geometry)
    national = ("" if "national deciles" in reference or index_label != "IMD 2019"
                else ", not England's national deciles")
    note = (f"{SCHEMES[used].description} Classes, ranks and deciles are relative to "
            f"{reference}{national}.{bounds_note}")
    if index_label != "IMD 2019":  # a built pack: national ranks, classes of this map
        note = (f"{SCHEMES[used].description} Classes are relative to the wards on this "
                f"map; ranks and deciles to {reference}.{bounds_note}")
    if notice:
        note = f"{note} {notice}"
    return MapPanel(m, legend_html(c, palette_name, title=f"{index_label} average score",
                                    note=note),
                    c, title)


def _classes_from_reference(
    values: pd.Series, reference: pd.Series, scheme: str, k: int
) -> Classification:
    """Class ``values`` with the bounds (and printed lower ends) of ``reference``'s classes."""
    ref = classify(reference.reset_index(drop=True), scheme=scheme, k=k)
    c = classify(values, scheme="user_defined", bins=ref.bins)
    n = min(c.k, ref.k)
    lower = (*ref.lower[:n], *c.lower[n:])
    labels = _labels(lower, c.bins, c.counts, False)
    if c.n_no_data:
        labels = (*labels, f"No data ({c.n_no_data})")
    return dataclasses.replace(c, scheme=scheme, lower=lower, labels=labels)


def _rank_text(rank: pd.Series, hidden: pd.Series | None) -> pd.Series:
    """Return rank strings: ``"no data"`` for NaN, ``"not shown"`` where hidden."""
    out = rank.map(lambda v: "no data" if pd.isna(v) else f"{int(v):,}")
    if hidden is not None:
        out = out.where(~hidden.to_numpy(), "not shown (small count)")
    return out.astype(str)


# --------------------------------------------------------------------------- synced pair


class SyncedMaps(folium.plugins.DualMap):
    """Two maps side by side in one element, panning and zooming together.

    folium's :class:`~folium.plugins.DualMap` (which ``st_folium`` draws as one
    component), with the project's own sync script (:data:`hotspots.maps.assets.MAP_SYNC_JS`,
    served locally) instead of Leaflet.Sync from a CDN. Build it with
    :func:`synced_pair`.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            hsSyncMaps([{{ this.m1.get_name() }}, {{ this.m2.get_name() }}]);
        {% endmacro %}
        """
    )

    default_js = [("hs_map_sync", MAP_SYNC_JS_URL)]


def synced_pair(left: folium.Map, right: folium.Map) -> SyncedMaps:
    """Put two maps side by side in one element, on one synchronised view.

    Every layer, control and fit of ``left`` and ``right`` moves to the pair's
    ``m1`` and ``m2`` (the inputs are emptied: pass copies if you keep them).
    The pair starts on the view of ``left``; panning or zooming either map
    moves the other. Only local scripts are loaded (Leaflet and the sync
    script under ``/app/static/``).

    Parameters
    ----------
    left, right
        Maps from :func:`choropleth` (or :func:`measure_panel`,
        :func:`imd_panel`).

    Returns
    -------
    SyncedMaps
        ``m1`` holds ``left``'s layers, ``m2`` ``right``'s.
    """
    pair = SyncedMaps(location=left.location, tiles=None, control_scale=True,
                      zoom_snap=0.25, zoom_start=left.options.get("zoom", 10))
    header = cast(Figure, pair.get_root()).header
    for src, dst in ((left, pair.m1), (right, pair.m2)):
        dst.default_js = [("leaflet", LEAFLET_JS_URL)]
        dst.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
        for name, child in list(src._children.items()):
            if src is right and isinstance(child, folium.FitBounds):
                continue  # one starting view, the left map's (a second fit would win)
            dst.add_child(child, name=name)
        src._children.clear()
        for name, child in cast(Figure, src.get_root()).header._children.items():
            if name.startswith("hs_") and name not in header._children:
                header.add_child(child, name=name)
    return pair
