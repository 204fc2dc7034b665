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

import hashlib
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path

__all__ = ["layer_key", "layer_paths", "outlines", "polygon_paths", "polygons"]


def _parts(geoms: gpd.GeoSeries | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised, non-empty geometries with GeometryCollections split (as geopandas plots).

    Returns the geometries and, for each, the position of the row it came from.
    """
    arr = shapely.normalize(np.asarray(getattr(geoms, "values", geoms), dtype=object))
    row = np.flatnonzero(~(shapely.is_missing(arr) | shapely.is_empty(arr)))
    arr = arr[row]
    collection = shapely.get_type_id(arr) == 7
    if collection.any():  # GeometryCollection: its parts, in order
        parts, of = shapely.get_parts(arr[collection], return_index=True)
        keep = np.concatenate([np.flatnonzero(~collection), np.flatnonzero(collection)[of]])
        order = np.argsort(keep, kind="stable")
        arr = np.concatenate([arr[~collection], parts])[order]
        row = row[keep[order]]
    return arr, row


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
    return _paths(*_parts(geoms))[0]


def _paths(arr: np.ndarray, row: np.ndarray) -> tuple[list[Path], np.ndarray]:
    """Paths of the (Multi)Polygons of ``arr`` and the rows they belong to."""
    poly = np.isin(shapely.get_type_id(arr), (3, 6))
    arr, row = arr[poly], row[poly]
    if len(arr) == 0:
        return [], row
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
    return ([Path(v, c, readonly=True)
             for v, c in zip(np.split(xy, at), np.split(codes, at), strict=True)],
            row)


#: Paths of the layers drawn lately, by content: the board pack draws the same wards on
#: eight maps (issue 18). A few layers at most (a ward layer's paths are a few MB).
_LAYERS: dict[bytes, tuple[list[Path], np.ndarray]] = {}
_LAYERS_KEPT = 4


def layer_key(geoms: gpd.GeoSeries | np.ndarray, *columns: Any) -> bytes:
    """Return a digest of a layer's geometries (and of any ``columns`` given): its content key.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a = layer_key(np.array([box(0, 0, 1, 1), None]))
    >>> a == layer_key(np.array([box(0, 0, 1, 1), None])), a == layer_key(np.array([None, None]))
    (True, False)
    """
    h = hashlib.blake2b(digest_size=20)
    arr = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    for w in shapely.to_wkb(arr):
        h.update(len(w or b"").to_bytes(8, "little") + (w or b""))
    for c in columns:
        h.update(repr(list(c)).encode())
    return h.digest()


def layer_paths(geoms: gpd.GeoSeries | np.ndarray) -> tuple[list[Path], np.ndarray]:
    """Return the paths of a layer's polygons and the row of each, reused while it is the same.

    Parameters
    ----------
    geoms
        The whole layer, one geometry a row.

    Returns
    -------
    paths : list of matplotlib.path.Path
        As :func:`polygon_paths` (shared: never modify them).
    rows : ndarray of int
        For each path, the position of its row in ``geoms``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> paths, rows = layer_paths(np.array([box(0, 0, 1, 1), None, box(2, 2, 3, 3)]))
    >>> rows.tolist(), layer_paths(np.array([box(0, 0, 1, 1), None, box(2, 2, 3, 3)]))[0] is paths
    ([0, 2], True)
    """
    key = layer_key(geoms)
    hit = _LAYERS.get(key)
    if hit is None:
        hit = _paths(*_parts(geoms))
        while len(_LAYERS) >= _LAYERS_KEPT:
            _LAYERS.pop(next(iter(_LAYERS)))
        _LAYERS[key] = hit
    return hit


def polygons(ax: Axes, geoms: gpd.GeoSeries | np.ndarray, mask: np.ndarray | None = None,
             **style: Any) -> PathCollection:
    """Fill (Multi)Polygons on ``ax`` as one collection; ``style`` as ``GeoSeries.plot``'s.

    ``mask`` (boolean, one a row of ``geoms``) draws those rows of a whole
    layer, whose paths are made once (:func:`layer_paths`); without it every
    geometry is drawn. ``color`` sets the face colour (as in geopandas); other
    keywords go to the collection (``facecolor``, ``edgecolor``, ``linewidth``,
    ``hatch``, ``zorder``). Hatched polygons (``hatch=``) are filled one by one
    and hatched as one compound path.
    """
    if "color" in style:
        style["facecolor"] = style.pop("color")
    if mask is None:
        paths = polygon_paths(geoms)
    else:
        every, rows = layer_paths(geoms)
        paths = [every[i] for i in np.flatnonzero(np.asarray(mask, dtype=bool)[rows])]
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
    arr, _ = _parts(geoms)
    lines = shapely.get_parts(arr[np.isin(shapely.get_type_id(arr), (1, 2, 5))])
    segments = [np.asarray(shapely.get_coordinates(g)) for g in lines]
    coll = LineCollection(segments, **style)
    ax.add_collection(coll, autolim=True)
    return coll
