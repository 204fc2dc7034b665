"""Choropleth builders that return :class:`folium.Map` objects and HTML legends.

The maps work with no internet: with ``basemap="none"`` the page loads only the
project's own copy of Leaflet (see :mod:`hotspots.assets`) and no tiles. Legends
are HTML drawn *beside* the map (a branca colour scale would make
``st_folium`` fetch d3 from a CDN). Every piece of user-supplied text (ward,
borough, category names, titles) is HTML-escaped before it reaches a tooltip.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from shapely.ops import polylabel

from hotspots._errors import CRSError
from hotspots.maps.assets import LEAFLET_CSS_URL, LEAFLET_JS_URL, MAP_LAYERS_JS_URL, MAP_SYNC_JS_URL
from hotspots.maps.classify import (
    MASKED_COLOUR,
    MASKED_INDEX,
    NO_DATA_COLOUR,
    NO_DATA_INDEX,
    SCHEMES,
    Classification,
    _labels,
    classify,
    palette,
)

__all__ = [
    "BASEMAPS",
    "GEOMETRY_PROPERTIES",
    "MAP_PALETTES",
    "OSM_ATTRIBUTION",
    "SYNTHETIC_BADGE",
    "MapPanel",
    "StaticGeometry",
    "StaticWardLayer",
    "SyncedMaps",
    "choropleth",
    "imd_panel",
    "synced_pair",
    "legend_html",
    "map_palette",
    "measure_panel",
    "outline_geometry_json",
    "short_borough_name",
    "ward_geometry_json",
    "ward_map_frame",
]

log = logging.getLogger(__name__)

Basemap = Literal["none", "osm"]

#: Basemap options: key -> plain-words label (the UI lists these).
BASEMAPS: dict[str, str] = {
    "none": "None (works offline; nothing leaves this machine)",
    "osm": "OpenStreetMap (fetches map tiles from the internet)",
}

OSM_ATTRIBUTION = "&copy; OpenStreetMap contributors"

#: Badge drawn on maps (and beside them) of invented referral data.
SYNTHETIC_BADGE = "SYNTHETIC referrals — not real data"

#: Colour-blind-safe sequential palettes for the maps: key -> plain-words label.
#: The ColorBrewer ones come from :data:`hotspots.classify.PALETTES`; "viridis" is
#: interpolated from matplotlib's viridis stops, light (low) to dark (high).
MAP_PALETTES: dict[str, str] = {
    "YlOrRd": "Yellow-orange-red (ColorBrewer)",
    "Blues": "Blues (ColorBrewer)",
    "Purples": "Purples (ColorBrewer)",
    "viridis": "Viridis (yellow to purple)",
}
_VIRIDIS_STOPS = ("#fde725", "#addc30", "#5ec962", "#28ae80", "#21918c", "#2c728e",
                  "#3b528b", "#472d7b", "#440154")

_WARD_STYLE = {"color": "#ffffff", "weight": 0.6, "fillOpacity": 0.9, "opacity": 1.0}
_HIGHLIGHT_STYLE = {"color": "#000000", "weight": 2.5, "fillOpacity": 0.95}
_OUTLINE_GRID_DEG = 1e-5
_OUTLINE_STYLE = {"color": "#222222", "weight": 1.3, "opacity": 0.9, "fill": False}
_LABEL_CSS = (
    "<style>.hs-borough-label { transform: translate(-50%, -50%); display: inline-block;"
    " font: 600 10px/1.1 sans-serif; color: #1a1a1a; white-space: nowrap;"
    " text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; pointer-events: none; }"
    " .hs-borough-label-icon { pointer-events: none; }</style>"
)


class _FillById:
    """Style function: ward style with the fill colour of the feature's class.

    A class, not a lambda, so that a built map can be pickled (``st.cache_data``).
    """

    def __init__(self, fill_by_id: dict[str, str]) -> None:
        self.fill_by_id = fill_by_id

    def __call__(self, feature: dict[str, Any]) -> dict[str, Any]:
        return {**_WARD_STYLE, "fillColor": self.fill_by_id[feature["id"]]}


class _ConstantStyle:
    """Style function returning the same style for every feature (picklable)."""

    def __init__(self, style: dict[str, Any]) -> None:
        self.style = dict(style)

    def __call__(self, feature: dict[str, Any]) -> dict[str, Any]:
        return dict(self.style)


class _MapTitle(MacroElement):
    """A plain-text title (and optional warning badge) drawn as a Leaflet control.

    Text goes in through ``textContent``, so it is never parsed as HTML.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "topright"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "hs-map-title");
            div.style.cssText = "background: rgba(255,255,255,0.92); padding: 4px 8px;"
                + " font: 600 13px/1.3 sans-serif; color: #111; border-radius: 3px;"
                + " box-shadow: 0 1px 3px rgba(0,0,0,0.3); max-width: 260px;";
            {%- if this.text %}
            var title = document.createElement("div");
            title.textContent = {{ this.text|tojson }};
            div.appendChild(title);
            {%- endif %}
            {%- if this.badge %}
            var badge = document.createElement("div");
            badge.textContent = {{ this.badge|tojson }};
            badge.style.cssText = "padding: 2px 6px; background: #b30000;"
                + " color: #fff; font-weight: 700; border-radius: 2px;";
            div.appendChild(badge);
            {%- endif %}
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str, badge: str | None = None) -> None:
        super().__init__()
        self._name = "MapTitle"
        self.text = text
        self.badge = badge


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
        Result of :func:`hotspots.classify.classify` on ``value_col``; its
        ``class_index`` must have the same index as the frame.
    palette
        A palette name of :data:`hotspots.classify.PALETTES` or one colour
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
        (e.g. :data:`SYNTHETIC_BADGE`).
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
        :func:`ward_geometry_json` of the layer these areas come from, written
        with :func:`hotspots.assets.write_static_geometry`): the map then
        carries only each area's id, colour and tooltip values, not its
        polygons. ``None``: the geometry is inline.
    outline_geometry
        The same for ``borough_outlines`` (:func:`outline_geometry_json`);
        used only with ``borough_outlines``, whose ``borough_name`` values
        choose the outlines drawn.

    Returns
    -------
    folium.Map
        A map whose only scripts and styles are the project's Leaflet copy
        (:data:`hotspots.assets.LEAFLET_JS_URL`), fitted to the areas.

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


def _add_area_layers(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    tooltip_fields: Mapping[str, str],
    fill_by_id: Mapping[str, str],
    *,
    id_col: str,
    attribution: str | None,
    geometry: StaticGeometry | None,
    borough_outlines: gpd.GeoDataFrame | None,
    outline_geometry: StaticGeometry | None,
    borough_labels: bool,
) -> None:
    """Add the filled areas, borough outlines and labels: served geometry or inline.

    One place for every ward map (the measure and IMD maps here, the Gi*, LISA
    and bivariate maps in :mod:`hotspots.statmaps`).
    """
    if geometry is not None:
        StaticWardLayer(areas, geometry, tooltip_fields, list(fill_by_id.values()),
                        id_col=id_col, attribution=attribution).add_to(m)
    else:
        folium.GeoJson(
            _feature_collection(areas, list(tooltip_fields), list(fill_by_id)),
            name="areas",
            style_function=_FillById(dict(fill_by_id)),
            highlight_function=_ConstantStyle(_HIGHLIGHT_STYLE),
            tooltip=_tooltip(tooltip_fields) if len(areas) else None,
            attribution=html.escape(attribution) if attribution else None,
        ).add_to(m)
    if borough_outlines is not None and len(borough_outlines):
        if outline_geometry is not None:
            _StaticOutlineLayer(borough_outlines, outline_geometry).add_to(m)
        else:
            _outline_layer(borough_outlines).add_to(m)
        if borough_labels:
            _borough_label_layer(borough_outlines).add_to(m)
            cast(Figure, m.get_root()).header.add_child(folium.Element(_LABEL_CSS),
                                                        name="hs_borough_labels")


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
        Result of :func:`hotspots.classify.classify`.
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


def map_palette(name: str, k: int) -> tuple[str, ...]:
    """Return ``k`` colours, light (low values) to dark (high), of a map palette.

    Parameters
    ----------
    name
        A key of :data:`MAP_PALETTES` (the ColorBrewer keys of
        :data:`hotspots.classify.PALETTES`, or ``"viridis"``).
    k
        Number of classes, 0 to 9; one class gets the darkest colour.

    Returns
    -------
    tuple of str
        Hex colours.

    Raises
    ------
    ValueError
        Unknown palette (the message lists the valid keys) or ``k`` outside 0 to 9.

    Examples
    --------
    >>> map_palette("viridis", 3)
    ('#fde725', '#21918c', '#440154')
    """
    if name != "viridis":
        if name not in MAP_PALETTES:
            raise ValueError(f"palette must be one of {sorted(MAP_PALETTES)}; got {name!r}")
        return palette(name, k)
    if not 0 <= k <= 9:
        raise ValueError(f"k must be between 0 and 9; got {k}")
    if k <= 1:
        return _VIRIDIS_STOPS[-1:] * k
    return tuple(_interpolate(_VIRIDIS_STOPS, i / (k - 1)) for i in range(k))


def _interpolate(stops: Sequence[str], t: float) -> str:
    """Return the colour at ``t`` (0 to 1) along evenly spaced hex stops (linear RGB)."""
    pos = t * (len(stops) - 1)
    i = min(int(pos), len(stops) - 2)
    f = pos - i
    a = [int(stops[i][j:j + 2], 16) for j in (1, 3, 5)]
    b = [int(stops[i + 1][j:j + 2], 16) for j in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def _fill_by_id(
    areas: gpd.GeoDataFrame, classification: Classification, colours: list[str], id_col: str
) -> dict[str, str]:
    """Return feature id -> fill colour, in the frame's row order."""
    if id_col in areas.columns and areas[id_col].notna().all() and areas[id_col].is_unique:
        ids = areas[id_col].astype(str).tolist()
    else:
        ids = [str(i) for i in range(len(areas))]
    lookup = dict(enumerate(colours)) | {NO_DATA_INDEX: NO_DATA_COLOUR,
                                         MASKED_INDEX: MASKED_COLOUR}
    fills = [lookup[int(i)] for i in classification.class_index.to_numpy()]
    return dict(zip(ids, fills, strict=True))


def _offline_map(areas: gpd.GeoDataFrame, basemap: Basemap) -> folium.Map:
    """Return an empty map that loads only the local Leaflet files."""
    (south, west), (north, east) = _bounds(areas)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
    )
    # Instance attributes: the class-level lists (CDN URLs) stay untouched.
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    # A white sea instead of Leaflet's grey, so the grey "no data" wards stand out.
    cast(Figure, m.get_root()).header.add_child(
        folium.Element("<style>.leaflet-container { background: #ffffff; }</style>"),
        name="hs_background",
    )
    if basemap == "osm":
        folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION, control=False
        ).add_to(m)
    return m


def _feature_collection(
    areas: gpd.GeoDataFrame, fields: list[str], ids: list[str]
) -> dict[str, Any]:
    """Return a GeoJSON dict holding only the escaped tooltip fields."""
    props = pd.DataFrame(
        {f: [html.escape(_as_text(v)) for v in areas[f].tolist()] for f in fields},
        index=pd.Index(ids, name="id"),
    )
    slim = gpd.GeoDataFrame(props, geometry=areas.geometry.to_numpy(), crs=areas.crs)
    return slim.to_geo_dict(drop_id=False)


def _tooltip(tooltip_fields: Mapping[str, str]) -> folium.GeoJsonTooltip:
    """Return the hover tooltip: escaped labels; values are escaped in the data."""
    return folium.GeoJsonTooltip(
        fields=list(tooltip_fields),
        aliases=[html.escape(str(a)) for a in tooltip_fields.values()],
        sticky=True,
        style="font-size: 13px;",
    )


def _outline_layer(outlines: gpd.GeoDataFrame) -> folium.GeoJson:
    """Return borough outlines as thin dark lines that ignore the mouse."""
    if outlines.crs is None:
        raise CRSError("borough outlines have no CRS; set it first, e.g. set_crs('EPSG:4326')")
    lines = outlines.to_crs("EPSG:4326").geometry.boundary
    # About 1 m: invisible at city zoom, and full-precision floats would double the payload.
    lines = gpd.GeoSeries(shapely.set_precision(lines.to_numpy(), _OUTLINE_GRID_DEG),
                          crs="EPSG:4326")
    slim = gpd.GeoDataFrame(
        geometry=lines.to_numpy(), index=[str(i) for i in range(len(lines))], crs="EPSG:4326"
    )
    return folium.GeoJson(
        slim.to_geo_dict(drop_id=False),
        name="borough outlines",
        style_function=_ConstantStyle(_OUTLINE_STYLE),
        interactive=False,
        control=False,
    )


def short_borough_name(name: str) -> str:
    """Return the short label of a borough for crowded views.

    ``"X and Y"`` -> ``"X&Y"`` initials, ``"... upon Thames"`` dropped,
    ``"City of London"`` -> ``"City"``, two or more words -> the first word and
    the others' initials; one word stays.

    Examples
    --------
    >>> [short_borough_name(n) for n in ("Hammersmith and Fulham", "City of London",
    ...  "Kingston upon Thames", "Tower Hamlets", "Camden")]
    ['H&F', 'City', 'Kingston', 'Tower H.', 'Camden']
    """
    words = name.split()
    if name.strip() == "City of London":
        return "City"
    if "and" in words[1:-1]:
        i = words.index("and", 1)
        return f"{words[0][0]}&{words[i + 1][0]}"
    if len(words) > 2 and words[-2:] == ["upon", "Thames"]:
        return " ".join(words[:-2])
    if len(words) >= 2:
        return words[0] + " " + "".join(w[0] + "." for w in words[1:])
    return name


class _LabelDeclutter(MacroElement):
    """Keep borough labels apart at every zoom.

    Biggest borough first, each label is placed with its short name
    (:func:`short_borough_name`), or hidden while it would overlap a label
    already placed; then each placed label gets its full name wherever that
    overlaps no other. Inline (no script file to load).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (group) {
          function hits(r, placed, self) {
            return placed.some(function (o) {
              return o !== self && r.left < o.r.right + 4 && r.right + 4 > o.r.left
                && r.top < o.r.bottom + 1 && r.bottom + 1 > o.r.top;
            });
          }
          function place() {
            var placed = [];
            if (!group._map) { return; }
            group.eachLayer(function (mk) {  /* short names first, biggest borough first */
              var el = mk.getElement && mk.getElement();
              var lab = el && el.querySelector(".hs-borough-label");
              if (!lab) { return; }
              lab.textContent = lab.getAttribute("data-short");
              var r = lab.getBoundingClientRect();
              if (hits(r, placed, null)) {
                lab.style.visibility = "hidden";
                lab.textContent = lab.getAttribute("data-full");
              } else {
                lab.style.visibility = "visible";
                placed.push({lab: lab, r: r});
              }
            });
            placed.forEach(function (p) {  /* then the full name wherever it fits */
              p.lab.textContent = p.lab.getAttribute("data-full");
              var r = p.lab.getBoundingClientRect();
              if (hits(r, placed, p)) { p.lab.textContent = p.lab.getAttribute("data-short"); }
              else { p.r = r; }
            });
          }
          function later() { window.requestAnimationFrame(place); }
          function hook(map) { map.on("zoomend resize viewreset", later); map.whenReady(later); }
          if (group._map) { hook(group._map); }
          else { group.once("add", function () { hook(group._map); }); }
        }({{ this._parent.get_name() }}));
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LabelDeclutter"


def _borough_label_layer(outlines: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Return borough names as plain text markers (escaped, ignoring the mouse).

    Largest borough first: where labels would overlap (central London at the
    default zoom), the smaller borough's label is shortened or hidden until the
    map is zoomed in (:class:`_LabelDeclutter`).
    """
    if outlines.crs is None:
        raise CRSError("borough outlines have no CRS; set it first, e.g. set_crs('EPSG:4326')")
    if "borough_name" not in outlines.columns:
        raise ValueError("borough outlines need a 'borough_name' column for labels")
    shapes = outlines.to_crs("EPSG:4326")
    order = shapes.to_crs("EPSG:6933").area.sort_values(ascending=False, kind="stable").index
    points = gpd.GeoSeries([_label_point(g) for g in shapes.loc[order].to_crs("EPSG:3857")
                            .geometry], crs="EPSG:3857").to_crs("EPSG:4326")
    group = folium.FeatureGroup(name="borough names", control=False)
    for name, geom, pt in zip(shapes.loc[order, "borough_name"], shapes.loc[order].geometry,
                              points, strict=True):
        if geom is None or geom.is_empty or not isinstance(name, str) or not name.strip():
            continue
        full, short = html.escape(name), html.escape(short_borough_name(name))
        icon = folium.DivIcon(
            html=(f'<div data-full="{full}" data-short="{short}" '
                  f'class="hs-borough-label">{full}</div>'),
            icon_size=(0, 0), icon_anchor=(0, 0), class_name="hs-borough-label-icon")
        folium.Marker([round(pt.y, 5), round(pt.x, 5)], icon=icon, interactive=False,
                      keyboard=False).add_to(group)
    _LabelDeclutter().add_to(group)
    return group


def _label_point(geom: Any) -> Any:
    """Point deepest inside the largest part (polylabel), where a label reads best."""
    if geom is None or geom.is_empty:
        return shapely.Point()
    parts = getattr(geom, "geoms", [geom])
    part = max(parts, key=lambda g: g.area)
    if part.geom_type != "Polygon":
        return geom.representative_point()
    return polylabel(part, tolerance=max(part.length / 1000, 1e-9))


def _bounds(areas: gpd.GeoDataFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return ((south, west), (north, east)) of the areas, or London if empty."""
    if len(areas) == 0 or areas.geometry.is_empty.all():
        return (51.28, -0.51), (51.69, 0.33)
    west, south, east, north = areas.total_bounds
    return (float(south), float(west)), (float(north), float(east))


def _as_text(value: object) -> str:
    """Return a tooltip string: NaN -> "no data", whole floats without ".0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "no data"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


# --------------------------------------------------------------------------- static geometry

#: The only properties a static ward geometry file may carry besides the id
#: (``area_code``): names, never a count or anything of a selection.
GEOMETRY_PROPERTIES: tuple[str, ...] = ("area_name", "borough_name")


@dataclass(frozen=True)
class StaticGeometry:
    """A GeoJSON file of a layer's geometry that the browser fetches once.

    Attributes
    ----------
    url
        Where the page fetches it (same origin, e.g. from
        :func:`hotspots.assets.write_static_geometry`).
    properties
        The feature properties the file holds (tooltip fields with these
        names are read from the file instead of being sent with the map).
    """

    url: str
    properties: tuple[str, ...] = ()


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def ward_geometry_json(web_areas: gpd.GeoDataFrame, *, id_col: str = "area_code") -> bytes:
    """Return the areas' GeoJSON for a static file: geometry, id and names only.

    Parameters
    ----------
    web_areas
        Web layer (EPSG:4326, e.g. ``boundaries.web`` output) with a unique,
        non-null ``id_col``; other CRSs are reprojected.
    id_col
        Column written as each feature's ``id``.

    Returns
    -------
    bytes
        Compact UTF-8 GeoJSON; properties are the :data:`GEOMETRY_PROPERTIES`
        the layer has (never counts or values), HTML-escaped as tooltip text.
        Coordinates are as in the layer (``boundaries.web`` rounds them).

    Raises
    ------
    CRSError
        The layer has no CRS.
    ValueError
        ``id_col`` is missing, null or repeated.
    """
    areas = _to_4326(web_areas, "the map layer")
    if id_col not in areas.columns or areas[id_col].isna().any() or not areas[id_col].is_unique:
        raise ValueError(f"the map layer needs a unique, non-null '{id_col}' column for ids")
    keep = [c for c in GEOMETRY_PROPERTIES if c in areas.columns]
    props = pd.DataFrame({c: areas[c].map(lambda v: None if pd.isna(v)
                                          else html.escape(str(v))).to_numpy()
                          for c in keep},
                         index=pd.Index(areas[id_col].astype(str).to_numpy(), name="id"))
    slim = gpd.GeoDataFrame(props, geometry=areas.geometry.to_numpy(), crs="EPSG:4326")
    return _json_bytes(slim.to_geo_dict(drop_id=False))


def outline_geometry_json(outlines: gpd.GeoDataFrame) -> bytes:
    """Return borough outlines (boundary lines, ~1 m grid) for a static file.

    Parameters
    ----------
    outlines
        Borough polygons with a ``borough_name`` column (the feature ``id``).

    Returns
    -------
    bytes
        Compact UTF-8 GeoJSON of lines with empty properties.

    Raises
    ------
    CRSError
        No CRS.
    ValueError
        ``borough_name`` is missing, null or repeated.
    """
    shapes = _to_4326(outlines, "borough outlines")
    names = shapes.get("borough_name")
    if names is None or names.isna().any() or not names.is_unique:
        raise ValueError("borough outlines need a unique, non-null 'borough_name' column")
    slim = gpd.GeoDataFrame(geometry=_outline_lines(shapes),
                            index=pd.Index(names.astype(str).to_numpy(), name="id"),
                            crs="EPSG:4326")
    return _json_bytes(slim.to_geo_dict(drop_id=False))


def _to_4326(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise CRSError(f"{what} have no CRS; set it first, e.g. set_crs('EPSG:4326')")
    return gdf if gdf.crs.to_epsg() == 4326 else gdf.to_crs("EPSG:4326")


def _outline_lines(shapes: gpd.GeoDataFrame) -> Any:
    """Boundary lines on a ~1 m grid (invisible at city zoom; full floats double the bytes)."""
    return shapely.set_precision(shapes.geometry.boundary.to_numpy(), _OUTLINE_GRID_DEG)


def _script_json(obj: Any) -> str:
    """JSON safe inside an inline ``<script>`` (no ``</script>``, no HTML entities)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class StaticWardLayer(JSCSSMixin, MacroElement):
    """Wards drawn from a static geometry file, styled from an inline table.

    Add it to a map in place of a ``folium.GeoJson`` of the same areas:
    ``StaticWardLayer(areas, geometry, tooltip_fields, fills).add_to(m)``, with
    one fill colour per row of ``areas`` (any palette: classes, categories) and
    ``geometry`` from :func:`ward_geometry_json` of the layer the areas come
    from. Its script is the project's ``map-sync.js`` (local).

    The script holds each area's id, class colour and the tooltip values that
    are not in the file, HTML-escaped like folium's tooltips (and escaped again
    for the inline script, see :func:`_script_json`).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = hsWardLayer({{ this._parent.get_name() }},
            {{ this.spec_json }});
        {% endmacro %}
        """
    )

    default_js = [("hs_map_sync", MAP_LAYERS_JS_URL)]

    def __init__(self, areas: gpd.GeoDataFrame, geometry: StaticGeometry,
                 tooltip_fields: Mapping[str, str], fills: Sequence[str], *,
                 id_col: str = "area_code", attribution: str | None = None) -> None:
        super().__init__()
        self._name = "StaticWardLayer"
        if id_col not in areas.columns or areas[id_col].isna().any() \
                or not areas[id_col].is_unique:
            raise ValueError(f"static geometry needs a unique, non-null '{id_col}' column")
        if len(fills) != len(areas):
            raise ValueError(f"one fill colour per area: got {len(fills)} for {len(areas)}")
        palette_all = list(dict.fromkeys(fills))
        index = {c: i for i, c in enumerate(palette_all)}
        fill = [index[c] for c in fills]
        fields = list(tooltip_fields) if len(areas) else []
        values = {f: [html.escape(_as_text(v)) for v in areas[f].tolist()]
                  for f in fields if f not in geometry.properties}
        self.spec_json = _script_json({
            "url": geometry.url, "ids": areas[id_col].astype(str).tolist(),
            "colours": palette_all, "fill": fill, "fields": fields,
            "aliases": [html.escape(str(a)) for a in tooltip_fields.values()] if fields else [],
            "values": values, "style": _WARD_STYLE, "highlight": _HIGHLIGHT_STYLE,
            "attribution": html.escape(attribution) if attribution else None,
        })


class _StaticOutlineLayer(JSCSSMixin, MacroElement):
    """Borough outlines drawn from a static file (the boroughs named in the frame)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = hsOutlineLayer({{ this._parent.get_name() }},
            {{ this.spec_json }});
        {% endmacro %}
        """
    )

    default_js = [("hs_map_sync", MAP_LAYERS_JS_URL)]

    def __init__(self, outlines: gpd.GeoDataFrame, geometry: StaticGeometry) -> None:
        super().__init__()
        self._name = "StaticOutlineLayer"
        if "borough_name" not in outlines.columns:
            raise ValueError("borough outlines need a 'borough_name' column")
        keep = [str(n) for n in outlines["borough_name"].dropna().tolist()]
        self.spec_json = _script_json({"url": geometry.url, "keep": keep,
                                       "style": _OUTLINE_STYLE})


# --------------------------------------------------------------------------- page panels


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
) -> MapPanel:
    """Build the measure map, its legend and title for one ward table.

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
        Classification (see :func:`hotspots.classify.classify`).
    synthetic
        Draw the "SYNTHETIC - not real data" badge on the map.
    basemap, borough_outlines, attribution
        As for :func:`choropleth`.
    palette_name
        Sequential palette, a key of :data:`MAP_PALETTES`.
    borough_labels
        Write borough names on the map (see :func:`choropleth`).
    geometry, outline_geometry
        Static geometry files of ``web_areas`` and ``borough_outlines``
        (see :func:`choropleth`); ``None``: inline.

    Returns
    -------
    MapPanel
        The map is zoomed to the areas with data.
    """
    frame = ward_map_frame(web_areas, table, ["value", "rank", "value_display", "suppressed"])
    suppressed = frame["suppressed"].astype("boolean").fillna(False).astype(bool)
    masked = suppressed if sensitive else None
    frame["rank_display"] = _rank_text(frame["rank"], suppressed if sensitive else None)
    frame["value_display"] = frame["value_display"].fillna("no data")
    c = classify(frame["value"], scheme=scheme, k=k, bins=bins, integer=integer,
                 masked=masked, masked_label=f"Fewer than {threshold} (suppressed)")
    badge = SYNTHETIC_BADGE if synthetic else None
    m = choropleth(
        frame, value_col="value", classification=c, palette=palette_name,
        tooltip_fields={"area_name": "Ward", "borough_name": "Borough",
                        "value_display": value_label, "rank_display": "Rank (1 = highest)"},
        borough_outlines=borough_outlines, basemap=basemap, title=None, badge=badge,
        attribution=attribution, borough_labels=borough_labels, fit_to_data=True,
        geometry=geometry, outline_geometry=outline_geometry,
    )
    note = SCHEMES[scheme].description
    if sensitive:
        note += (f" Counts from 1 to {threshold - 1} are suppressed: those wards are shown "
                 "apart and not ranked.")
    return MapPanel(m, legend_html(c, palette_name, title=value_label, note=note), c, title)


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
) -> MapPanel:
    """Build the IMD 2019 average-score map, legend and title.

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
        Sequential palette, a key of :data:`MAP_PALETTES`.
    borough_labels
        Write borough names on the map (see :func:`choropleth`).
    class_reference
        Optional IMD scores of every area of the reference population (e.g.
        all of London's wards when the map shows a few boroughs): the class
        bounds come from these, so that a colour means the same as on the
        whole map; the legend counts the areas drawn.
    geometry, outline_geometry
        Static geometry files (see :func:`choropleth`); ``None``: inline.

    Returns
    -------
    MapPanel
    """
    cols = [c for c in ("imd_score", "imd_rank", "imd_decile") if c in table.columns]
    frame = ward_map_frame(web_areas, table, cols)
    n = int(frame["imd_score"].notna().sum())
    frame["imd_score_display"] = frame["imd_score"].map(
        lambda v: "no data" if pd.isna(v) else f"{v:.1f}")
    fields = {"area_name": "Ward", "borough_name": "Borough",
              "imd_score_display": "IMD 2019 average score"}
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
    title = "IMD 2019 average score (higher = more deprived)"
    m = choropleth(frame, value_col="imd_score", classification=c, palette=palette_name,
                   tooltip_fields=fields, borough_outlines=borough_outlines, basemap=basemap,
                   attribution=attribution, borough_labels=borough_labels,
                   geometry=geometry, outline_geometry=outline_geometry)
    national = "" if "national deciles" in reference else ", not England's national deciles"
    note = (f"{SCHEMES[used].description} Classes, ranks and deciles are relative to "
            f"{reference}{national}.{bounds_note}")
    return MapPanel(m, legend_html(c, palette_name, title="IMD 2019 average score", note=note),
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
    component), with the project's own sync script (:data:`hotspots.assets.MAP_SYNC_JS`,
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
