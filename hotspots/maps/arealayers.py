"""The area layers of every ward map: wards, borough outlines and borough names.

Wards are drawn either inline (a ``folium.GeoJson`` with the polygons in the page)
or from a static GeoJSON file the browser fetches once (:class:`StaticWardLayer`,
with the file from :func:`ward_geometry_json` written by
:func:`hotspots.maps.assets.write_static_geometry`): then the map's own script
carries only each ward's id, colour and tooltip values, and a new selection sends
tens of kB instead of the geometry again. :func:`_add_area_layers` is the one place
every ward map (the measure and IMD maps, the Gi*, LISA and bivariate maps) adds
its areas, outlines and labels, whichever way.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from shapely.ops import polylabel

from hotspots._errors import CRSError
from hotspots.maps.assets import MAP_LAYERS_JS_URL
from hotspots.maps.web import (
    _HIGHLIGHT_STYLE,
    _WARD_STYLE,
    _as_text,
    _ConstantStyle,
    _feature_collection,
    _tooltip,
)

__all__ = [
    "GEOMETRY_PROPERTIES",
    "StaticGeometry",
    "StaticWardLayer",
    "outline_geometry_json",
    "short_borough_name",
    "ward_geometry_json",
]


_OUTLINE_GRID_DEG = 1e-5

_OUTLINE_STYLE = {"color": "#222222", "weight": 1.3, "opacity": 0.9, "fill": False}

_LABEL_CSS = (
    "<style>.hs-borough-label { transform: translate(-50%, -50%); display: inline-block;"
    " font: 600 10px/1.1 sans-serif; color: #1a1a1a; white-space: nowrap;"
    " text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; pointer-events: none; }"
    " .hs-borough-label-icon { pointer-events: none; }</style>"
)


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
        :func:`hotspots.maps.assets.write_static_geometry`).
    properties
        The feature properties the file holds (tooltip fields with these
        names are read from the file instead of being sent with the map).
    """

    url: str
    properties: tuple[str, ...] = ()


class _FillById:
    """Style function: ward style with the fill colour of the feature's class.

    A class, not a lambda, so that a built map can be pickled (``st.cache_data``).
    """

    def __init__(self, fill_by_id: dict[str, str]) -> None:
        self.fill_by_id = fill_by_id

    def __call__(self, feature: dict[str, Any]) -> dict[str, Any]:
        return {**_WARD_STYLE, "fillColor": self.fill_by_id[feature["id"]]}


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

    One place for every ward map (the measure and IMD maps of
    :mod:`hotspots.maps.choropleths`, the Gi*, LISA and bivariate maps of
    :mod:`hotspots.maps.statmaps`).
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
    already placed or run over the map's edge; then each placed label gets its
    full name wherever that overlaps no other and stays inside the map
    ("Hammersmith and Fulham" ran over the edge). Inline (no script file to load).
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
          function outside(r, box) {  /* a label never runs over the map's edge */
            return r.left < box.left || r.right > box.right || r.top < box.top
              || r.bottom > box.bottom;
          }
          function place() {
            var placed = [];
            if (!group._map) { return; }
            var box = group._map.getContainer().getBoundingClientRect();
            group.eachLayer(function (mk) {  /* short names first, biggest borough first */
              var el = mk.getElement && mk.getElement();
              var lab = el && el.querySelector(".hs-borough-label");
              if (!lab) { return; }
              lab.textContent = lab.getAttribute("data-short");
              var r = lab.getBoundingClientRect();
              if (hits(r, placed, null) || outside(r, box)) {
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
              if (hits(r, placed, p) || outside(r, box)) {
                p.lab.textContent = p.lab.getAttribute("data-short");
              }
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


# --------------------------------------------------------------------------- static geometry


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
