"""Fast, exact point-in-polygon location with the project's tie rule.

:func:`locate_points` gives, for every point, the polygon that
``geopandas.sjoin(points, polygons, predicate="intersects")`` followed by
"keep the lowest ``area_code``" gives (the rule of :mod:`hotspots.join`), but
faster on the data this project meets:

1. **Interior cells of a raster are looked up, not tested.** A raster of
   square cells covers the polygons. Every cell that a polygon boundary
   touches is found exactly (the boundary is cut into pieces no longer than a
   cell, and a piece can only cross the 2 x 2 cells around its ends); those
   cells and their eight neighbours are *uncertain*, and so is every cell
   inside a hole or an invalid polygon (nested shells, say, where GEOS's own
   predicates disagree with each other). Every other cell lies, whole and with a margin of a cell,
   inside the same set of polygons, so its label (drawn with Pillow's polygon
   fill, lowest code drawn last so it wins where polygons overlap) is exact
   for every point in it.
2. **Busy tiles get a finer raster.** The raster's cell budget makes national
   cells ~110 m, wider than a quarter of an urban LSOA. The raster is cut into
   tiles of 64 x 64 cells; a tile holding many uncertain points gets its own
   raster (same construction, cells ~1/40 of the width of its small polygons),
   built once and cached with the layer.
3. **The rest is tested exactly and only once per distinct coordinate.**
   Points still uncertain (and all points when there are few distinct ones)
   are deduplicated, their candidate polygons found with a shapely 2
   ``STRtree`` bounding-box query and tested with the prepared, vectorised
   ``shapely.intersects_xy`` (optionally on two threads: shapely releases the
   GIL there).

Memory is bounded: points are located 2^20 at a time, labels are stored in the
smallest unsigned type (one byte a cell below 254 polygons), and the raster's
temporaries are built in bands. The tests check equality with ``geopandas.sjoin`` on
random points, points on shared edges and vertices, holes, overlaps, chunk
boundaries and real boundaries, and bound the memory per point and per cell.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import shapely

from hotspots.areas.project import project_xy

__all__ = ["PolygonLocator", "build_locator", "locate_points", "project_xy"]

# Below this many distinct points the raster is not worth building: it takes ~0.5 s for
# London's LSOAs and saves about 1 microsecond per distinct point.
_RASTER_MIN_POINTS = 250_000
_MAX_CELLS = 30_000_000
_CELLS_PER_WIDTH = 40  # cells across the typical polygon
_TILE = 64  # coarse cells per tile side
_TILE_MAX_SIDE = 1024  # fine cells per tile side at most (int16 labels: 2 MB a tile)
_TILE_MIN_POINTS = 1_000  # uncertain points a tile needs before it gets a finer raster
_TILE_QUANTILE = 0.1  # of its polygons' areas, for a tile's cell size
_TILE_CELLS_PER_WIDTH = 40
_SLACK = 1e-6  # cells: far more than the rounding of interpolated edge points
_CHUNK = 1 << 20  # points located at once by locate_points (bounds its memory)
_PIECES = 1 << 20  # edge points cut at once by _touched (bounds its memory)
_PAD = 2  # cells around a raster's extent, so that its edge cells have true neighbours
_CACHE: OrderedDict[str, PolygonLocator] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4
THREADS = min(2, os.cpu_count() or 1)
"""Threads for the exact tests (``locate_points(threads=...)`` overrides it) and, in
:func:`hotspots.areas.join.points_to_areas`, for projecting the points."""


def _positions(label: np.ndarray, polys: np.ndarray | None = None) -> np.ndarray:
    """Decode stored raster labels into positions (``-2`` uncertain, ``-1`` outside).

    ``0`` means uncertain, ``1`` outside every polygon, ``k + 2`` position ``k`` (into
    ``polys``, or into the layer when ``None``): stored unsigned and offset by two, a
    layer or tile with fewer than 254 polygons needs one byte a cell.

    >>> _positions(np.array([0, 1, 2, 4], dtype=np.uint8)).tolist()
    [-2, -1, 0, 2]
    >>> _positions(np.array([0, 1, 3], dtype=np.uint8), np.array([7, 9])).tolist()
    [-2, -1, 9]
    """
    lab = label.astype(np.int64) - 2
    if polys is not None:
        lab = np.where(lab >= 0, polys[np.maximum(lab, 0)], lab)
    return lab


def _label_dtype(n: int) -> type:
    """Return the smallest unsigned type holding labels ``0 .. n + 1`` for ``n`` polygons."""
    if n + 2 <= 2**8:
        return np.uint8
    return np.uint16 if n + 2 <= 2**16 else np.uint32


@dataclass(frozen=True)
class _Raster:
    """Labels on square cells, stored as :func:`_positions` decodes them."""

    x0: float
    y0: float
    step: float
    label: np.ndarray
    polys: np.ndarray | None = None
    off: int = -2

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Layer positions for points (``-2`` where uncertain, :attr:`off` off the raster)."""
        ny, nx = self.label.shape
        ci = np.floor((x - self.x0) / self.step)
        cj = np.floor((y - self.y0) / self.step)
        ok = (ci >= 0) & (ci < nx) & (cj >= 0) & (cj < ny)
        out = np.full(len(x), self.off, dtype=np.int64)
        out[ok] = _positions(self.label[cj[ok].astype(np.intp), ci[ok].astype(np.intp)],
                             self.polys)
        return out


@dataclass(frozen=True, eq=False)
class PolygonLocator:
    """Polygons prepared for repeated point location.

    Attributes
    ----------
    geoms
        The polygons, in layer order.
    rank
        ``rank[i]`` is the position of polygon *i* when the codes are sorted
        (the lowest code wins a tie).
    tree
        ``shapely.STRtree`` over :attr:`geoms`.
    raster
        Built on first use by a large query: ``origin``, ``step``, ``shape``
        and ``label`` of the whole-layer raster (stored as :func:`_positions`
        decodes it: uncertain, outside every polygon, or a polygon position),
        and ``tiles``, the finer rasters of busy tiles.
    """

    geoms: np.ndarray
    rank: np.ndarray
    tree: shapely.STRtree
    raster: dict = field(default_factory=dict)

    @property
    def label(self) -> np.ndarray | None:
        """The whole-layer raster's stored labels, or ``None`` when not built yet."""
        return self.raster.get("label")


def _fingerprint(geoms: np.ndarray, codes: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update("\x1f".join(map(str, codes)).encode())
    for wkb in shapely.to_wkb(geoms):
        h.update(wkb)
    return h.hexdigest()


def build_locator(geoms: np.ndarray, codes: np.ndarray) -> PolygonLocator:
    """Prepare polygons for :func:`locate_points` (cached per layer).

    Parameters
    ----------
    geoms
        Polygons (any CRS; the points must be in the same one).
    codes
        One code per polygon (the lowest wins where a point touches several).

    Returns
    -------
    PolygonLocator
        The index; the raster is built on first use by a large query.
    """
    geoms = np.asarray(geoms, dtype=object)
    codes = np.asarray(codes).astype(str)
    key = _fingerprint(geoms, codes)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    rank = np.empty(len(codes), dtype=np.int64)
    rank[np.argsort(codes, kind="stable")] = np.arange(len(codes))
    loc = PolygonLocator(geoms, rank, shapely.STRtree(geoms))
    with _CACHE_LOCK:
        _CACHE[key] = loc
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return loc


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while creating many point objects.

    Creating 300,000 shapely points triggers collections that walk every tracked object
    (about 80% of the time of ``shapely.points``); none of these objects form cycles.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _exact_chunk(
    loc: PolygonLocator, x: np.ndarray, y: np.ndarray, pts: np.ndarray
) -> np.ndarray:
    """Lowest-code polygon intersecting each point (``-1``: none), tested exactly.

    Candidates come from the tree's bounding boxes and are tested lowest code first;
    a point stops at its first hit (about a third fewer tests than testing all).
    ``point.intersects(polygon)``, point first, is what ``STRtree.query(points,
    predicate="intersects")`` (so ``geopandas.sjoin``) evaluates; for points within
    rounding of an edge it can differ from ``intersects_xy(polygon, x, y)``.
    """
    out = np.full(len(x), -1, dtype=np.int64)
    pt, poly = loc.tree.query(pts)
    if not len(pt):
        return out
    # by point, then code rank (the tree answers by point already: timsort finds the runs)
    order = np.argsort(pt * len(loc.geoms) + loc.rank[poly], kind="stable")
    pt, poly = pt[order], poly[order]
    starts = np.flatnonzero(np.r_[True, pt[1:] != pt[:-1]])
    counts = np.diff(np.r_[starts, len(pt)])
    turn = 0
    while len(starts):
        idx = starts + turn
        hit = shapely.intersects(pts[pt[idx]], loc.geoms[poly[idx]])
        out[pt[idx[hit]]] = poly[idx[hit]]
        turn += 1
        more = ~hit & (counts > turn)
        starts, counts = starts[more], counts[more]
    return out


def _exact(loc: PolygonLocator, x: np.ndarray, y: np.ndarray, threads: int = 1) -> np.ndarray:
    """Exact location: the lowest-code polygon intersecting each point (``-1``: none)."""
    with _gc_paused():
        pts = shapely.points(x, y)
    chunks = max(1, min(threads, len(x) // 20_000))
    if chunks == 1:
        return _exact_chunk(loc, x, y, pts)
    edges = np.linspace(0, len(x), chunks + 1).astype(np.int64)
    with ThreadPoolExecutor(chunks) as ex:
        parts = ex.map(lambda a, b: _exact_chunk(loc, x[a:b], y[a:b], pts[a:b]),
                       edges[:-1], edges[1:])
        return np.concatenate(list(parts))


def _parts(loc: PolygonLocator) -> dict:
    """Rings of the polygon parts, computed once per layer and cached on the locator.

    ``ext`` / ``holes`` / ``owner``: each part's exterior and hole coordinates and its
    polygon, in drawing order (highest code first, so that the lowest is drawn last and
    wins an overlap); ``seg_a``, ``seg_b``: every ring edge, by polygon (polygon *i*'s
    from ``seg_start[i]`` to ``seg_start[i + 1]``).
    """
    if "parts" not in loc.raster:
        parts, owner = shapely.get_parts(loc.geoms, return_index=True)
        keep = shapely.get_type_id(parts) == 3
        parts, owner = parts[keep], owner[keep]
        order = np.argsort(-loc.rank[owner], kind="stable")
        parts, owner = parts[order], owner[order]
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, ring_id = shapely.get_coordinates(rings, return_index=True)
        ring_start = np.searchsorted(ring_id, np.arange(len(rings) + 1))
        coords = [xy[ring_start[i] : ring_start[i + 1]] for i in range(len(rings))]
        first = np.searchsorted(ring_part, np.arange(len(parts) + 1))
        edge = np.flatnonzero(ring_id[1:] == ring_id[:-1])
        seg_owner = owner[ring_part[ring_id[edge]]]
        by_owner = np.argsort(seg_owner, kind="stable")
        edge, seg_owner = edge[by_owner], seg_owner[by_owner]
        loc.raster["parts"] = {
            "owner": owner,
            "invalid": ~shapely.is_valid(loc.geoms)[owner],
            "ext": [coords[first[i]] for i in range(len(parts))],
            "holes": [coords[first[i] + 1 : first[i + 1]] for i in range(len(parts))],
            "seg_a": xy[edge],
            "seg_b": xy[edge + 1],
            "seg_start": np.searchsorted(seg_owner, np.arange(len(loc.geoms) + 1)),
        }
    return loc.raster["parts"]


def _span(a: np.ndarray, b: np.ndarray, n: int) -> tuple:
    """Low, middle and high cell index (clipped to ``[0, n)``) between cell coordinates."""
    lo = np.floor(np.minimum(a, b) - _SLACK)
    hi = np.floor(np.maximum(a, b) + _SLACK)
    lo = np.clip(lo, 0, n - 1).astype(np.intp)
    hi = np.clip(hi, 0, n - 1).astype(np.intp)
    return lo, np.minimum(lo + 1, hi), hi


def _touched(pp: dict, polys: np.ndarray, x0: float, y0: float, nx: int, ny: int,
             step: float) -> np.ndarray:
    """Cells of an ``ny x nx`` raster that an edge of the selected polygons touches.

    Each edge is cut into ``n`` equal pieces no longer than a cell; a piece lies in the
    2 x 2 cells spanned by its ends' cells. The span is widened by a millionth of a
    cell for the rounding of the cut points, so a cell left untouched is clear of
    every edge. Edges are cut a batch at a time (about :data:`_PIECES` points), so the
    memory is bounded whatever the layer's size.
    """
    lo, hi = pp["seg_start"][polys], pp["seg_start"][polys + 1]
    size = hi - lo
    idx = np.repeat(lo - np.cumsum(size) + size, size) + np.arange(size.sum())
    a, b = pp["seg_a"][idx], pp["seg_b"][idx]
    x1, y1 = x0 + nx * step, y0 + ny * step
    keep = (
        (np.maximum(a[:, 0], b[:, 0]) >= x0) & (np.minimum(a[:, 0], b[:, 0]) <= x1)
        & (np.maximum(a[:, 1], b[:, 1]) >= y0) & (np.minimum(a[:, 1], b[:, 1]) <= y1)
    )
    ax, ay = a[keep, 0], a[keep, 1]
    dx, dy = b[keep, 0] - ax, b[keep, 1] - ay
    del a, b, idx, keep
    n = np.maximum(1, np.ceil(np.hypot(dx, dy) / step)).astype(np.int64)
    near = np.zeros(ny * nx, dtype=bool)
    ends = np.cumsum(n + 1)
    start = 0
    while start < len(n):
        done = int(ends[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, done + _PIECES, side="right")))
        e = slice(start, stop)
        _mark(near, ax[e], ay[e], dx[e], dy[e], n[e], (x0, y0, step, nx, ny))
        start = stop
    return near.reshape(ny, nx)


def _mark(near: np.ndarray, ax: np.ndarray, ay: np.ndarray, dx: np.ndarray, dy: np.ndarray,
          n: np.ndarray, grid: tuple) -> None:
    """Set in ``near`` (flat) the cells that the pieces of a batch of edges touch."""
    x0, y0, step, nx, ny = grid
    # n + 1 points on each edge (t = k / n); consecutive points bound one piece
    seg = np.repeat(np.arange(len(n)), n + 1)
    k = np.arange(len(seg)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
    t = k / n[seg]
    fx = (ax[seg] + t * dx[seg] - x0) / step
    fy = (ay[seg] + t * dy[seg] - y0) / step
    piece = np.flatnonzero(k[:-1] < n[seg[:-1]])  # a piece starts at every point but the last
    del seg, k, t
    # the 2 x 2 cells around a piece, widened by _SLACK cells for the rounding of its ends
    cols = _span(fx[piece], fx[piece + 1], nx)
    rows = _span(fy[piece], fy[piece + 1], ny)
    for r in rows:
        for c in cols:
            near[r * nx + c] = True


def _rasterise(loc: PolygonLocator, polys: np.ndarray, x0: float, y0: float,
               nx: int, ny: int, step: float, threads: int = 1) -> np.ndarray:
    """Label an ``ny x nx`` raster with lower-left corner ``(x0, y0)``.

    Labels are stored as :func:`_positions` decodes them, positions into ``polys``
    (the only polygons drawn): ``0`` uncertain, ``1`` outside them all, ``k + 2``
    polygon ``polys[k]``; in the smallest unsigned type that holds them.
    """
    from PIL import Image, ImageDraw
    from scipy import ndimage

    pp = _parts(loc)
    local = np.full(len(loc.geoms), -1, dtype=np.int64)
    local[polys] = np.arange(len(polys))
    # the edges are cut up (numpy, mostly without the GIL) while Pillow draws
    pool = ThreadPoolExecutor(1) if threads > 1 else None
    touched = (pool.submit(_touched, pp, polys, x0, y0, nx, ny, step) if pool else None)
    img = Image.new("I;16" if len(polys) + 2 <= 2**16 else "I", (nx, ny), 1)
    draw = ImageDraw.Draw(img)
    unsure: list = []  # rings whose inside is uncertain: holes, invalid polygons
    off = np.array([x0 + 0.5 * step, y0 + 0.5 * step])
    for i in np.flatnonzero(local[pp["owner"]] >= 0).tolist():
        draw.polygon(((pp["ext"][i] - off) / step).ravel().tolist(),
                     fill=int(local[pp["owner"][i]]) + 2)
        if pp["invalid"][i]:  # e.g. nested shells: GEOS's predicates disagree there
            unsure.append(pp["ext"][i])
        unsure.extend(pp["holes"][i])
    label = np.asarray(img)
    del draw, img
    dtype = _label_dtype(len(polys))
    if label.dtype != dtype:
        label = label.astype(dtype)
    if unsure:
        holes_img = Image.new("L", (nx, ny), 0)
        draw_holes = ImageDraw.Draw(holes_img)
        for ring in unsure:
            draw_holes.polygon(((ring - off) / step).ravel().tolist(), fill=1)
    if pool:
        near = touched.result()
        pool.shutdown()
    else:
        near = _touched(pp, polys, x0, y0, nx, ny, step)
    if unsure:
        near |= np.asarray(holes_img, dtype=bool)
        del draw_holes, holes_img
    # Pillow's label is trusted only a cell away from any edge ...
    trusted = near.copy()
    trusted[1:] |= near[:-1]
    trusted[:-1] |= near[1:]
    grown = trusted.copy()
    trusted[:, 1:] |= grown[:, :-1]
    trusted[:, :-1] |= grown[:, 1:]
    del grown
    np.logical_not(trusted, out=trusted)
    # an edge just beyond the raster is not marked: its outermost cells are never trusted
    trusted[[0, -1], :] = trusted[:, [0, -1]] = False
    # ... and passed on to every untouched cell connected to it through untouched cells
    # (no edge crosses their shared sides, so they lie inside the same polygons)
    np.logical_not(near, out=near)
    comp, ncomp = ndimage.label(near)
    del near
    by_comp = np.zeros(ncomp + 1, dtype=label.dtype)
    rows = max(1, _PIECES // nx)  # a band of rows at a time: no copy of every trusted cell
    for r in range(0, ny, rows):
        t = trusted[r : r + rows]
        by_comp[comp[r : r + rows][t]] = label[r : r + rows][t]
    del label, trusted
    return by_comp[comp]


def _raster_step(geoms: np.ndarray, bounds: np.ndarray, max_cells: float,
                 quantile: float = 0.5, per_width: float = _CELLS_PER_WIDTH) -> float:
    """Cell size: 1/40 of the typical polygon's width, within the cell budget."""
    area = shapely.area(geoms)
    typical = float(np.sqrt(np.nanquantile(area, quantile))) if len(geoms) else 0.0
    step = typical / per_width if typical > 0 else 1.0
    span = (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])
    return max(step, float(np.sqrt(span / max_cells)), 1e-9)


def _build_raster(loc: PolygonLocator, threads: int = 1) -> None:
    b = np.asarray(shapely.total_bounds(loc.geoms), dtype=float)
    step = _raster_step(loc.geoms, b, _MAX_CELLS)
    x0, y0 = b[0] - _PAD * step, b[1] - _PAD * step
    nx = int(np.ceil((b[2] - x0) / step)) + _PAD + 1
    ny = int(np.ceil((b[3] - y0) / step)) + _PAD + 1
    label = _rasterise(loc, np.arange(len(loc.geoms)), x0, y0, nx, ny, step, threads)
    loc.raster.update(origin=(x0, y0), step=step, shape=(ny, nx), label=label, tiles={})


def _build_tile(loc: PolygonLocator, ti: int, tj: int, threads: int = 1) -> _Raster | None:
    """Build a finer raster over coarse tile ``(ti, tj)`` (``None`` if not finer)."""
    (x0, y0), step = loc.raster["origin"], loc.raster["step"]
    side = _TILE * step
    tx0, ty0 = x0 + ti * side, y0 + tj * side
    polys = loc.tree.query(shapely.box(tx0, ty0, tx0 + side, ty0 + side))
    if not len(polys):
        return None
    polys = np.sort(polys)
    # sized for the tile's small polygons: points are densest there
    fine = _raster_step(loc.geoms[polys], np.array([0.0, 0.0, side, side]),
                        _TILE_MAX_SIDE**2, _TILE_QUANTILE, _TILE_CELLS_PER_WIDTH)
    k = int(np.floor(step / fine))  # fine cells per coarse cell side
    if k < 2:
        return None
    h = step / k
    n = _TILE * k + 2 * _PAD
    label = _rasterise(loc, polys, tx0 - _PAD * h, ty0 - _PAD * h, n, n, h, threads)
    return _Raster(tx0 - _PAD * h, ty0 - _PAD * h, h, label, polys)


def _refine(loc: PolygonLocator, x: np.ndarray, y: np.ndarray, threads: int = 1,
            min_points: float | None = None) -> np.ndarray:
    """Positions of uncertain points from the busy tiles' finer rasters (``-2`` elsewhere).

    A tile not built yet is built when it holds ``min_points`` of the points (default
    :data:`_TILE_MIN_POINTS`).
    """
    min_points = _TILE_MIN_POINTS if min_points is None else min_points
    (x0, y0), step, (ny, nx) = loc.raster["origin"], loc.raster["step"], loc.raster["shape"]
    tiles: dict = loc.raster["tiles"]
    ntx = -(-nx // _TILE)
    ti = np.clip(np.floor((x - x0) / step), 0, nx - 1).astype(np.int64) // _TILE
    tj = np.clip(np.floor((y - y0) / step), 0, ny - 1).astype(np.int64) // _TILE
    tid = tj * ntx + ti
    order = np.argsort(tid, kind="stable")
    ids, start, count = np.unique(tid[order], return_index=True, return_counts=True)
    out = np.full(len(x), -2, dtype=np.int64)
    for t, s, c in zip(ids.tolist(), start.tolist(), count.tolist(), strict=True):
        if t not in tiles:
            if c < min_points:
                continue
            tiles[t] = _build_tile(loc, t % ntx, t // ntx, threads)
        if tiles[t] is not None:
            idx = order[s : s + c]
            out[idx] = tiles[t].lookup(x[idx], y[idx])
    return out


def _unique_share(z: np.ndarray, sample: int = 50_000) -> float:
    """Share of distinct values in an evenly spaced sample of ``z``."""
    s = z[:: max(1, len(z) // sample)]
    return len(np.unique(s)) / max(1, len(s))


def locate_points(
    loc: PolygonLocator, x: np.ndarray, y: np.ndarray, *, threads: int | None = None
) -> np.ndarray:
    """Return the polygon position for each point (``-1`` when in no polygon).

    Parameters
    ----------
    loc
        From :func:`build_locator`.
    x, y
        Finite point coordinates in the polygons' CRS.
    threads
        Threads for the exact tests near boundaries (default :data:`THREADS`).

    Returns
    -------
    ndarray
        ``int64`` positions into the layer: the polygon the point intersects
        (boundary included), the lowest code where it touches several, ``-1``
        where it touches none. Equal to ``geopandas.sjoin(...,
        predicate="intersects")`` with that tie rule.
    """
    threads = THREADS if threads is None else max(1, int(threads))
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.empty(len(x), dtype=np.int64)
    if not len(x):
        return out
    if loc.label is None and _worth_a_raster(x, y):
        with _CACHE_LOCK:
            if loc.label is None:
                _build_raster(loc, threads)
    # a chunk at a time: the temporaries (complex copies, sort keys, point objects) are
    # bounded by the chunk, not by the input
    for a in range(0, len(x), _CHUNK):
        b = min(a + _CHUNK, len(x))
        xy = np.empty(b - a, dtype=np.complex128)
        xy.real, xy.imag = x[a:b] + 0.0, y[a:b] + 0.0  # + 0.0 folds -0.0 into 0.0
        if loc.label is None:
            out[a:b] = _located_once(loc, xy, threads)
        else:
            out[a:b] = _rastered(loc, xy, threads, (b - a) / len(x))
    return out


def _worth_a_raster(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether enough distinct points come to pay for building the raster."""
    if len(x) < _RASTER_MIN_POINTS:
        return False
    head = min(len(x), 4 * _CHUNK)  # the first few million tell
    xy = np.empty(head, dtype=np.complex128)
    xy.real, xy.imag = x[:head] + 0.0, y[:head] + 0.0
    return _unique_share(xy) > 0.5 or len(np.unique(xy)) >= _RASTER_MIN_POINTS


def _rastered(loc: PolygonLocator, xy: np.ndarray, threads: int, share: float) -> np.ndarray:
    """Locate complex coordinates with the raster, its tiles, then exact tests.

    ``share`` is the chunk's share of the whole query: a tile gets its finer raster when
    the whole query would bring it :data:`_TILE_MIN_POINTS` uncertain points.
    """
    r = loc.raster
    out = _Raster(*r["origin"], r["step"], r["label"], off=-1).lookup(xy.real, xy.imag)
    todo = np.flatnonzero(out == -2)
    if len(todo):
        with _CACHE_LOCK:  # tiles are built into the shared cache
            out[todo] = _refine(loc, xy.real[todo], xy.imag[todo], threads,
                                _TILE_MIN_POINTS * share)
        todo = todo[out[todo] == -2]
        out[todo] = _located_once(loc, xy[todo], threads)
    return out


def _located_once(loc: PolygonLocator, xy: np.ndarray, threads: int) -> np.ndarray:
    """Exact location of complex coordinates, each distinct one tested once."""
    uniq, inverse = np.unique(xy, return_inverse=True)
    return _exact(loc, uniq.real, uniq.imag, threads)[inverse]
