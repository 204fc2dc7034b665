"""Borough outlines and names on print maps: names inside their borough, never overlapping.

Each name is written at the point deepest inside its borough's largest part; a
name that would overlap another is nudged to a free spot nearby (with a leader
line) or drawn smaller, and left out (listed in ``fig.hotspots_unlabelled``) when
no spot is free.
"""

from __future__ import annotations

import textwrap
from typing import Any

import geopandas as gpd
from matplotlib import patheffects
from matplotlib.axes import Axes
from shapely.geometry import MultiPolygon
from shapely.ops import polylabel

from hotspots._errors import CRSError
from hotspots.maps.printmaps.draw import layer_key, outlines
from hotspots.maps.printmaps.page import _TEXT_COLOUR

_OUTLINE_COLOUR = "#222222"

#: Borough shapes dissolved lately, by the content of the areas they came from.
_SHAPES: dict[bytes, gpd.GeoDataFrame] = {}
_KEPT = 4


def _borough_shapes(areas: gpd.GeoDataFrame,
                    boroughs: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Borough polygons in EPSG:27700 with ``borough_name`` (dissolved from wards if needed)."""
    if boroughs is not None:
        if boroughs.crs is None:
            raise CRSError("boroughs have no CRS; set it first, e.g. set_crs('EPSG:27700')")
        return boroughs.to_crs(27700) if boroughs.crs.to_epsg() != 27700 else boroughs
    key = "borough_code" if "borough_code" in areas.columns else (
        "borough_name" if "borough_name" in areas.columns else None)
    if key is None or areas[key].isna().all():
        return None
    cols = [key, *([] if key == "borough_name" or "borough_name" not in areas else
                   ["borough_name"]), "geometry"]
    # The board pack draws the same wards on eight maps: dissolve them once (issue 18).
    content = layer_key(areas.geometry, *(areas[c] for c in cols[:-1]), [str(areas.crs)])
    if content not in _SHAPES:
        while len(_SHAPES) >= _KEPT:
            _SHAPES.pop(next(iter(_SHAPES)))
        # Wards tile their boroughs exactly: a coverage union is exact and fast.
        _SHAPES[content] = areas[cols].dropna(subset=[key]).dissolve(
            by=key, method="coverage", as_index=False, sort=True)
    return _SHAPES[content].copy()


def _label_text(name: str) -> str:
    return textwrap.fill(name.strip().replace(" and ", " & "), 12)


def _draw_boroughs(ax: Axes, shapes: gpd.GeoDataFrame | None, *, labels: bool) -> None:
    if shapes is None or len(shapes) == 0:
        return
    outlines(ax, shapes.boundary, color=_OUTLINE_COLOUR, linewidth=0.7, zorder=4)
    if not labels or "borough_name" not in shapes.columns:
        return
    size = 5.2 if len(shapes) > 12 else 6.5
    halo = [patheffects.withStroke(linewidth=1.8, foreground="white")]
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax.apply_aspect()
    placed: list[Any] = []
    # Smallest boroughs first (they have the least room; a big one's name can move
    # and stay inside it); a name that would overlap is nudged to a free spot nearby
    # (with a leader line) or drawn smaller.
    order = shapes.assign(_a=shapes.geometry.area).sort_values("_a", ascending=True,
                                                               kind="stable")
    for name, geom in zip(order["borough_name"], order.geometry, strict=True):
        if geom is None or geom.is_empty or not isinstance(name, str) or not name.strip():
            continue
        pt = _label_point(geom)
        text = ax.text(pt[0], pt[1], _label_text(name), ha="center", va="center",
                       fontsize=size, color=_TEXT_COLOUR, fontweight="bold",
                       linespacing=0.95, path_effects=halo, zorder=6, clip_on=True)
        box = text.get_window_extent(renderer).expanded(1.05, 1.1)
        if any(box.overlaps(b) for b in placed):
            box = _nudge(ax, text, pt, placed, renderer)
        if box is not None:
            placed.append(box)


def _label_point(geom: Any) -> tuple[float, float]:
    """Return the pole of inaccessibility of the largest part (a label point inside)."""
    part = max(geom.geoms, key=lambda g: g.area) if isinstance(geom, MultiPolygon) else geom
    try:
        p = polylabel(part, tolerance=max(part.length / 500.0, 1.0))
    except Exception:  # noqa: BLE001 - odd geometries: fall back to a point inside
        p = part.representative_point()
    return float(p.x), float(p.y)


# Label fallbacks, nearest first: (font scale, offset in label sizes); 0 = in place.
_NUDGES = ((1.0, 0.7), (0.8, 0.0), (0.8, 0.7), (1.0, 1.1), (0.8, 1.1), (1.0, 1.6),
           (0.8, 1.6), (0.8, 2.2))

_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


def _nudge(ax: Axes, text: Any, pt: tuple[float, float], placed: list[Any],
           renderer: Any) -> Any:
    """Move an overlapping label to the nearest free spot (leader line), smaller if need be.

    Tries, nearest first, small moves and an 80% size; a label that still finds no
    free spot is left out (never drawn over another) and listed in
    ``fig.hotspots_unlabelled``.
    """
    size = text.get_fontsize()
    to_data = ax.transData.inverted()
    for scale, f in _NUDGES:
        text.set_fontsize(size * scale)
        text.set_position(pt)
        box = text.get_window_extent(renderer)
        w = abs(to_data.transform((box.width, 0))[0] - to_data.transform((0, 0))[0])
        h = abs(to_data.transform((0, box.height))[1] - to_data.transform((0, 0))[1])
        for dx, dy in (_DIRECTIONS if f else ((0, 0),)):
            xy = (pt[0] + dx * w * f * 0.75, pt[1] + dy * h * f * 1.1)
            text.set_position(xy)
            cand = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(cand.overlaps(b) for b in placed):
                if f:
                    ax.plot([pt[0], xy[0]], [pt[1], xy[1]], color=_TEXT_COLOUR,
                            linewidth=0.4, zorder=5, solid_capstyle="butt")
                return cand
    fig = ax.figure
    fig.hotspots_unlabelled = [*getattr(fig, "hotspots_unlabelled", []),  # type: ignore[attr-defined]
                               text.get_text().replace("\n", " ")]
    text.remove()
    return None
