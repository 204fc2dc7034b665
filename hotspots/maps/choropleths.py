"""Classed choropleths of a value per ward, and their HTML legends.

:func:`choropleth` draws the classes of a :class:`hotspots.maps.classify.Classification`
on the offline map of :mod:`hotspots.maps.web`, with the area layers of
:mod:`hotspots.maps.arealayers` (inline or static geometry), and
:func:`legend_html` draws the same classes beside the map: one swatch and label
per class, with the suppressed and "no data" entries.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np

from hotspots._errors import CRSError
from hotspots.maps.arealayers import StaticGeometry, _add_area_layers
from hotspots.maps.classify import (
    MASKED_COLOUR,
    MASKED_INDEX,
    NO_DATA_COLOUR,
    NO_DATA_INDEX,
    ZERO_COLOUR,
    ZERO_INDEX,
    Classification,
)
from hotspots.maps.palettes import map_palette
from hotspots.maps.web import BASEMAPS, Basemap, _bounds, _MapTitle, _offline_map

__all__ = ["FIT_MARGIN", "FIT_SHARE", "choropleth", "legend_html"]


log = logging.getLogger(__name__)


def choropleth(
    web_areas_with_values: gpd.GeoDataFrame,
    *,
    value_col: str,
    classification: Classification,
    palette: str | Sequence[str],
    tooltip_fields: Mapping[str, str],
    borough_outlines: gpd.GeoDataFrame | None = None,
    basemap: Basemap = "none",
    title: str | None = None,
    badge: str | None = None,
    attribution: str | None = None,
    id_col: str = "area_code",
    borough_labels: bool = False,
    fit_to_data: bool = False,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
) -> folium.Map:
    """Build a classed choropleth of areas that renders with no internet.

    Parameters
    ----------
    web_areas_with_values
        Area polygons in EPSG:4326 (e.g. ``boundaries.web`` output) with the
        value and tooltip columns. Another CRS is reprojected (logged); a
        missing CRS is refused.
    value_col
        The classified column; areas where it is NaN are drawn in the "no
        data" grey (this must agree with ``classification``).
    classification
        Result of :func:`hotspots.maps.classify.classify` on ``value_col``; its
        ``class_index`` must have the same index as the frame.
    palette
        A palette name of :data:`hotspots.maps.palettes.PALETTES` or one colour
        per class.
    tooltip_fields
        Column -> label shown on hover, in order. Values are shown as text
        (NaN as "no data"); values and labels are HTML-escaped.
    borough_outlines
        Optional polygons drawn as thin dark non-interactive lines on top.
    basemap
        ``"none"`` (no tiles, no external request) or ``"osm"``
        (OpenStreetMap tiles from the internet).
    title
        Optional plain-text title drawn in the map's corner.
    badge
        Optional warning shown under the title in white on red
        (e.g. :data:`~hotspots.maps.web.SYNTHETIC_BADGE`).
    attribution
        Data attribution shown in the map's attribution line (escaped).
    id_col
        Column with a unique id per area (used as the GeoJSON feature id).
    borough_labels
        Write each borough's name (``borough_outlines["borough_name"]``) as
        small non-interactive text at a point inside it (a Leaflet ``divIcon``:
        no extra script or stylesheet).
    fit_to_data
        Zoom to the areas that have a value (e.g. the few wards an uploaded
        police.uk file covers) instead of every area.
    geometry
        Where the browser fetches the areas' geometry (a file from
        :func:`~hotspots.maps.arealayers.ward_geometry_json` of the layer these
        areas come from, written with
        :func:`hotspots.maps.assets.write_static_geometry`): the map then
        carries only each area's id, colour and tooltip values, not its
        polygons. ``None``: the geometry is inline.
    outline_geometry
        The same for ``borough_outlines`` (:func:`~hotspots.maps.arealayers.outline_geometry_json`);
        used only with ``borough_outlines``, whose ``borough_name`` values
        choose the outlines drawn.

    Returns
    -------
    folium.Map
        A map whose only scripts and styles are the project's Leaflet copy
        (:data:`hotspots.maps.assets.LEAFLET_JS_URL`), fitted to the areas.

    Raises
    ------
    CRSError
        The frame has no CRS.
    ValueError
        A tooltip or value column is missing, the classification is not
        aligned with the frame, the palette has the wrong length, or the
        basemap is unknown.
    """
    areas = _checked_areas(web_areas_with_values, value_col, tooltip_fields, classification)
    colours = _class_colour_list(classification, palette)
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {sorted(BASEMAPS)}; got {basemap!r}")

    fill_by_id = _fill_by_id(areas, classification, colours, id_col)
    m = _offline_map(areas, basemap)
    _add_area_layers(m, areas, tooltip_fields, fill_by_id, id_col=id_col,
                     attribution=attribution, geometry=geometry,
                     borough_outlines=borough_outlines, outline_geometry=outline_geometry,
                     borough_labels=borough_labels)
    if title or badge:
        _MapTitle(title or "", badge).add_to(m)
    has_value = areas[value_col].notna().to_numpy()
    (south, west), (north, east) = (_data_bounds(areas, has_value) if fit_to_data
                                    else _bounds(areas))
    m.fit_bounds([[south, west], [north, east]])
    return m


#: Zoom to the areas with data when their box is smaller than this share of the layer's
#: (width and height each); below it the rest of the layer is mostly empty grey.
FIT_SHARE = 0.5

#: Margin around the areas with data, as a share of their box (each side).
FIT_MARGIN = 0.15


def _data_bounds(areas: gpd.GeoDataFrame, has_value: np.ndarray
                 ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return the bounds of the areas with data plus a margin, or the layer's.

    The whole layer stays drawn; only the starting view moves. When the
    areas with data span most of the layer (or none has data), the layer's
    bounds are kept.
    """
    full = _bounds(areas)
    if not has_value.any() or has_value.all():
        return full
    (s, w), (n, e) = _bounds(areas[has_value])
    (fs, fw), (fn, fe) = full
    if (n - s) > FIT_SHARE * (fn - fs) and (e - w) > FIT_SHARE * (fe - fw):
        return full
    dy, dx = max(n - s, 1e-4) * FIT_MARGIN, max(e - w, 1e-4) * FIT_MARGIN
    return (max(s - dy, fs), max(w - dx, fw)), (min(n + dy, fn), min(e + dx, fe))


def legend_html(
    classification: Classification,
    palette: str | Sequence[str],
    *,
    title: str,
    note: str | None = None,
) -> str:
    """Return an HTML legend (swatch and label per class) to draw beside a map.

    Parameters
    ----------
    classification
        Result of :func:`hotspots.maps.classify.classify`.
    palette
        Palette name or one colour per class (as for :func:`choropleth`).
    title
        Legend heading (escaped).
    note
        Optional small print under the classes (escaped), e.g. the scheme.

    Returns
    -------
    str
        A self-contained ``<div>`` with inline styles; all text escaped.
    """
    colours = _class_colour_list(classification, palette)
    rows = list(zip(colours, classification.class_labels, strict=True))
    if classification.masked_label:
        # Suppressed counts (1 to threshold - 1) sit after the classes starting at 0 or less.
        at = sum(1 for lo in classification.lower if lo <= 0)
        rows.insert(at, (MASKED_COLOUR, classification.masked_label))
    if classification.zero_label:  # zeros in their own class come first (white)
        rows.insert(0, (ZERO_COLOUR, classification.zero_label))
    if classification.no_data_label:
        rows.append((NO_DATA_COLOUR, classification.no_data_label))
    items = "".join(
        '<li style="display:flex;align-items:center;gap:8px;margin:2px 0;">'
        f'<span style="display:inline-block;width:22px;height:14px;background:{c};'
        'border:1px solid #555;flex:none;"></span>'
        f'<span class="hs-legend-label">{html.escape(label)}</span></li>'
        for c, label in rows
    )
    small = (
        f'<div style="font-size:0.8rem;color:#444;margin-top:4px;">{html.escape(note)}</div>'
        if note
        else ""
    )
    return (
        '<div class="hs-legend" style="font-size:0.92rem;line-height:1.35;color:#1a1a1a;">'
        f'<div style="font-weight:600;margin-bottom:4px;">{html.escape(title)}</div>'
        f'<ul style="list-style:none;margin:0;padding:0;">{items}</ul>{small}</div>'
    )


def _checked_areas(
    gdf: gpd.GeoDataFrame,
    value_col: str,
    tooltip_fields: Mapping[str, str],
    classification: Classification,
) -> gpd.GeoDataFrame:
    """Validate columns, CRS and alignment; return the frame in EPSG:4326."""
    if gdf.crs is None:
        raise CRSError(
            "the map layer has no CRS; set it first, e.g. gdf.set_crs('EPSG:4326') for lon/lat"
        )
    missing = [c for c in (value_col, *tooltip_fields) if c not in gdf.columns]
    if missing:
        raise ValueError(f"columns missing from the map layer: {missing}; have {list(gdf.columns)}")
    if not classification.class_index.index.equals(gdf.index):
        raise ValueError(
            "classification is not aligned with the map layer: classify the layer's own "
            f"'{value_col}' column (index differs)"
        )
    nan = gdf[value_col].isna().to_numpy()
    no_data = (classification.class_index == NO_DATA_INDEX).to_numpy()
    if (nan != no_data).any():
        raise ValueError(
            f"classification does not match '{value_col}': its 'no data' areas differ from the "
            "NaN values; classify this column"
        )
    if gdf.crs.to_epsg() != 4326:
        log.info("reprojecting the map layer from %s to EPSG:4326", gdf.crs)
        gdf = gdf.to_crs("EPSG:4326")
    return gdf


def _class_colour_list(
    classification: Classification, palette_spec: str | Sequence[str]
) -> list[str]:
    """Return one colour per class from a palette name or an explicit list."""
    if isinstance(palette_spec, str):
        return list(map_palette(palette_spec, classification.k))
    colours = list(palette_spec)
    if len(colours) != classification.k:
        raise ValueError(
            f"palette has {len(colours)} colours but the classification has "
            f"{classification.k} classes"
        )
    return colours


def _fill_by_id(
    areas: gpd.GeoDataFrame, classification: Classification, colours: list[str], id_col: str
) -> dict[str, str]:
    """Return feature id -> fill colour, in the frame's row order."""
    if id_col in areas.columns and areas[id_col].notna().all() and areas[id_col].is_unique:
        ids = areas[id_col].astype(str).tolist()
    else:
        ids = [str(i) for i in range(len(areas))]
    lookup = dict(enumerate(colours)) | {NO_DATA_INDEX: NO_DATA_COLOUR,
                                         MASKED_INDEX: MASKED_COLOUR, ZERO_INDEX: ZERO_COLOUR}
    fills = [lookup[int(i)] for i in classification.class_index.to_numpy()]
    return dict(zip(ids, fills, strict=True))
