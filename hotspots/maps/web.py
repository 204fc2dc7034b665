"""The offline Leaflet map every web map of the project starts from.

The maps work with no internet: with ``basemap="none"`` the page loads only the
project's own copy of Leaflet (see :mod:`hotspots.maps.assets`) and no tiles.
Legends are HTML drawn *beside* the map (a branca colour scale would make
``st_folium`` fetch d3 from a CDN). Every piece of user-supplied text (ward,
borough, category names, titles) is HTML-escaped before it reaches a tooltip.

This module holds what every web map shares: the empty offline map
(:func:`_offline_map`), the basemap choices, the title and "SYNTHETIC" badge
control, the ward and hover styles, inline GeoJSON with escaped tooltip fields,
and the bounds a map is fitted to. The choropleth is
:mod:`hotspots.maps.choropleths`; ward and borough layers (inline or from a static
geometry file) are :mod:`hotspots.maps.arealayers`; the page's panels and the
synchronised pair are :mod:`hotspots.maps.panels`; the statistics and patrol maps
(:mod:`hotspots.maps.statmaps`, :mod:`hotspots.maps.patrolmaps`) build on the same
pieces.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any, Literal, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.template import Template

from hotspots.labels import SYNTHETIC_BADGE
from hotspots.maps.assets import LEAFLET_CSS_URL, LEAFLET_JS_URL, MAP_SYNC_JS_URL

__all__ = [
    "BASEMAPS",
    "OSM_ATTRIBUTION",
    "SYNTHETIC_BADGE",
    "Basemap",
]


Basemap = Literal["none", "osm"]

#: Basemap options: key -> plain-words label (the UI lists these).
BASEMAPS: dict[str, str] = {
    "none": "None (works offline; nothing leaves this machine)",
    "osm": "OpenStreetMap (fetches map tiles from the internet)",
}

OSM_ATTRIBUTION = "&copy; OpenStreetMap contributors"


#: Ward polygons, and a ward under the pointer.
_WARD_STYLE = {"color": "#ffffff", "weight": 0.6, "fillOpacity": 0.9, "opacity": 1.0}
_HIGHLIGHT_STYLE = {"color": "#000000", "weight": 2.5, "fillOpacity": 0.95}


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


def _offline_map(areas: gpd.GeoDataFrame, basemap: Basemap) -> folium.Map:
    """Return an empty map that loads only the local Leaflet files."""
    (south, west), (north, east) = _bounds(areas)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
        # Leaflet's own control size (folium's default 1rem made the hotspot maps'
        # scale bar and credit a third larger than the pair's).
        font_size="0.75rem",
    )
    # Instance attributes: the class-level lists (CDN URLs) stay untouched.
    # map-sync.js keeps hover tooltips inside the map (and syncs a pair)
    m.default_js = [("leaflet", LEAFLET_JS_URL), ("hs_map_sync", MAP_SYNC_JS_URL)]
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


#: A group of polygon parts this far (a share of the layer box's diagonal) from every
#: other part, and holding less than :data:`ISLAND_SHARE` of the layer's area, is left out
#: of the starting view (still drawn): Flat Holm in Cardiff's Butetown ward, 5 km out in
#: the Bristol Channel, opened Cardiff's maps zoomed out on open water.
ISLAND_GAP = 0.02
ISLAND_SHARE = 0.02


def _bounds(areas: gpd.GeoDataFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return ((south, west), (north, east)) of the bulk of the areas, or London if empty.

    The bulk: every polygon part except far, small islands (groups of parts
    farther than :data:`ISLAND_GAP` of the layer's diagonal from the rest and
    with less than :data:`ISLAND_SHARE` of its area); a layer that is all
    islands keeps its whole box.
    """
    if len(areas) == 0 or areas.geometry.is_empty.all():
        return (51.28, -0.51), (51.69, 0.33)
    west, south, east, north = _bulk_bounds(areas.geometry.to_numpy())
    return (float(south), float(west)), (float(north), float(east))


def _bulk_bounds(geoms: Any) -> tuple[float, float, float, float]:
    """Return (west, south, east, north) of the parts of ``geoms`` that are not far islands.

    Parts are grouped when their boxes, one grown by the gap on every side, overlap: a
    test that links every two parts within the gap (and some a little farther), so a
    part is never wrongly taken for an island.
    """
    parts = shapely.get_parts(geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)])
    box = shapely.total_bounds(parts)
    if len(parts) < 2:
        return tuple(float(v) for v in box)  # type: ignore[return-value]
    from scipy.sparse import coo_matrix  # only here: the maps' importers need no scipy
    from scipy.sparse.csgraph import connected_components

    gap = ISLAND_GAP * math.hypot(box[2] - box[0], box[3] - box[1])
    lo, hi = shapely.bounds(parts)[:, :2], shapely.bounds(parts)[:, 2:]
    grown = shapely.box(lo[:, 0] - gap, lo[:, 1] - gap, hi[:, 0] + gap, hi[:, 1] + gap)
    a, b = shapely.STRtree(parts).query(grown)  # the tree's own box test: no predicate
    n = len(parts)
    _, group = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)),
                                    directed=False)
    area = np.bincount(group, weights=shapely.area(parts))
    keep = area >= ISLAND_SHARE * area.sum()
    keep[np.argmax(area)] = True
    return tuple(float(v) for v in shapely.total_bounds(parts[keep[group]]))  # type: ignore[return-value]


def _as_text(value: object) -> str:
    """Return a tooltip string: NaN -> "no data", whole floats without ".0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "no data"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)
