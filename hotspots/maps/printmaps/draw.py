"""Polygons and outlines onto a print map's axes, as one matplotlib collection each.

``GeoSeries.plot`` draws the same thing but, on every call, redraws the whole
figure (``canvas.draw_idle()`` on an Agg canvas is a full draw), builds one
``PathPatch`` object per polygon and imports pyplot: 54 calls and 1.4 s of the
demo board pack (issue 18). :func:`polygons` and :func:`outlines` build the
paths with vectorised shapely calls and add one collection, drawing the same
pixels as ``GeoSeries.plot`` (geometries normalised as geopandas does, one
compound path per polygon part, rings closed; tested byte for byte).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path

__all__ = ["outlines", "polygon_paths", "polygons"]


def _parts(geoms: gpd.GeoSeries | np.ndarray) -> np.ndarray:
    """Normalised, non-empty geometries with GeometryCollections split (as geopandas plots)."""
    arr = shapely.normalize(np.asarray(getattr(geoms, "values", geoms), dtype=object))
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if (shapely.get_type_id(arr) == 7).any():  # GeometryCollection: its parts, in order
        arr = np.concatenate([shapely.get_parts(g) if shapely.get_type_id(g) == 7 else [g]
                              for g in arr])
    return arr


def polygon_paths(geoms: gpd.GeoSeries | np.ndarray) -> list[Path]:
    """Return one closed compound path per (Multi)Polygon: its rings, exterior first.

    Parameters
    ----------
    geoms
        Polygons and MultiPolygons (missing and empty ones are skipped; other
        geometry types are ignored, as ``GeoSeries.plot`` draws them apart).

    Returns
    -------
    list of matplotlib.path.Path
        Vertices and codes as geopandas' ``_PolygonPatch`` (``MOVETO``,
        ``LINETO`` ..., ``CLOSEPOLY`` for each ring).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> p = polygon_paths(np.array([box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.6, 0.6))]))
    >>> len(p), len(p[0].vertices), [int(c) for c in p[0].codes[:2]], int(p[0].codes[4])
    (1, 10, [1, 2], 79)
    """
    arr = _parts(geoms)
    arr = arr[np.isin(shapely.get_type_id(arr), (3, 6))]
    if len(arr) == 0:
        return []
    parts, part_of = shapely.get_parts(arr, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    owner = part_of[ring_of]
    xy = shapely.get_coordinates(rings)
    n = shapely.get_num_coordinates(rings)
    codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
    ends = np.cumsum(n)
    codes[ends - n] = Path.MOVETO
    codes[ends - 1] = Path.CLOSEPOLY
    cut = np.searchsorted(owner, np.arange(1, len(arr)))
    at = np.concatenate([[0], ends])[cut]
    return [Path(v, c) for v, c in zip(np.split(xy, at), np.split(codes, at), strict=True)]


def polygons(ax: Axes, geoms: gpd.GeoSeries | np.ndarray | list[Path], **style: Any
             ) -> PathCollection:
    """Fill (Multi)Polygons on ``ax`` as one collection; ``style`` as ``GeoSeries.plot``'s.

    ``color`` sets the face colour (as in geopandas); other keywords go to the
    collection (``facecolor``, ``edgecolor``, ``linewidth``, ``hatch``, ``zorder``).
    ``geoms`` may be paths already made by :func:`polygon_paths`. Hatched
    polygons (``hatch=``) are drawn as one compound path.
    """
    if "color" in style:
        style["facecolor"] = style.pop("color")
    paths = geoms if isinstance(geoms, list) else polygon_paths(geoms)
    if style.get("hatch") and len(paths) > 1:
        # Agg renders the hatch tile anew for every path (0.18 s for 347 suppressed
        # wards at 220 dpi): fill the areas one by one (as before), then hatch them
        # all as one compound path, which renders the tile once.
        hatch = style.pop("hatch")
        ax.add_collection(PathCollection(paths, **style), autolim=True)
        style = {**style, "facecolor": "none", "hatch": hatch}
        paths = [Path.make_compound_path(*paths)]
    coll = PathCollection(paths, **style)
    ax.add_collection(coll, autolim=True)
    return coll


def outlines(ax: Axes, geoms: gpd.GeoSeries | np.ndarray, **style: Any) -> LineCollection:
    """Draw the boundaries of polygons (or any lines) on ``ax`` as one line collection.

    ``geoms`` are the lines to draw, e.g. ``areas.boundary`` (as
    ``areas.boundary.plot(ax=ax, ...)`` draws them); ``style`` goes to the
    :class:`~matplotlib.collections.LineCollection` (``color``, ``linewidth``,
    ``linestyle``, ``zorder``).
    """
    arr = _parts(geoms)
    lines = shapely.get_parts(arr[np.isin(shapely.get_type_id(arr), (1, 2, 5))])
    segments = [np.asarray(shapely.get_coordinates(g)) for g in lines]
    coll = LineCollection(segments, **style)
    ax.add_collection(coll, autolim=True)
    return coll
