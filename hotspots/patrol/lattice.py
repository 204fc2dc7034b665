"""Which lattice cells a study area's boundary may cross, found without building every cell.

:func:`hotspots.patrol.grid.make_grid` needs, for every cell of the lattice over the
study area's bounding box, whether the cell lies wholly inside the area (``full``),
is cut by its boundary, or lies outside. Testing every cell polygon against the area
(``contains_properly`` and ``intersects``: 117,000 boxes over London) costs more than
the rest of the grid. The answer is the same from two cheaper facts:

- a cell that does not meet the area's boundary lies wholly inside or wholly outside
  it (a cell is connected), so its centre decides (``shapely.contains_xy``);
- a cell meets the boundary only if its centre lies within the cell's circumradius of
  some boundary point: the boundary, densified to vertices at most a quarter of a cell
  apart, marks a small window of cells around each vertex (:func:`boundary_candidates`),
  and only those candidates are built and tested against the boundary exactly.

So ``full == contains_properly(area, cell)`` and ``cut == intersects(area, cell) & ~full``
cell for cell, as before (tested on real boundaries in ``tests/test_grid_fast.py``).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import shapely

__all__ = [
    "MAX_CANDIDATES_PER_CELL", "MIN_WINDOWS_CAP", "Lattice", "boundary_candidates",
    "cell_flags", "clipped_cells",
]


class Lattice(Protocol):
    """What :func:`clipped_cells` reads of a :class:`hotspots.patrol.grid.GridSpec`."""

    shape: str
    size: float
    origin: tuple[float, float]
    n_rows: int
    n_cols: int

    def centres(self, row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres."""

    def polygons(self, row: np.ndarray, col: np.ndarray) -> np.ndarray:
        """Unclipped cell polygons."""


#: Above this many candidate windows per lattice cell (and :data:`MIN_WINDOWS_CAP` in
#: all) the windows are not worth it and every cell is a candidate (a boundary far longer
#: than the lattice is wide).
MAX_CANDIDATES_PER_CELL = 4
#: Windows always allowed, whatever the lattice's size.
MIN_WINDOWS_CAP = 1_000_000


def boundary_candidates(boundary: shapely.Geometry, shape: str, size: float,
                        origin: tuple[float, float], n_rows: int, n_cols: int) -> np.ndarray:
    """Return a mask of the lattice cells (row-major) that may meet ``boundary``.

    Parameters
    ----------
    boundary
        The study area's boundary (lines), EPSG:27700.
    shape, size, origin, n_rows, n_cols
        The lattice (:class:`hotspots.patrol.grid.GridSpec`'s fields).

    Returns
    -------
    ndarray
        ``bool`` of ``n_rows * n_cols``: True for every cell that may meet the
        boundary (a superset: every cell that does is marked).

    Examples
    --------
    A 900 m square on a 150 m lattice of 8 x 8 cells: its boundary can meet the
    cells of the ring it runs through and their neighbours, never the middle ones.

    >>> from shapely.geometry import box
    >>> m = boundary_candidates(box(150, 150, 1050, 1050).boundary, "square", 150.0,
    ...                         (0.0, 0.0), 8, 8)
    >>> [''.join(map(str, r)) for r in m.reshape(8, 8).astype(int).tolist()]
    ['11111111', '11111111', '11111111', '11100011', '11100011', '11100011', '11111111', '11111111']
    """
    n = n_rows * n_cols
    # vertices at most size / 4 apart: every boundary point is within size / 8 of one
    pts = shapely.get_coordinates(shapely.segmentize(boundary, size / 4.0))
    x0, y0 = origin
    if shape == "square":
        # a cell meets a point p only if |centre - p| <= size / 2 on each axis; p lies
        # within size / 8 of a vertex, so the cell's row and column are within one of
        # the vertex's own
        rows = np.floor((pts[:, 1] - y0) / size).astype(np.int64)
        cols = np.floor((pts[:, 0] - x0) / size).astype(np.int64)
        dr, dc = np.meshgrid(np.arange(-1, 2), np.arange(-1, 2), indexing="ij")
    else:
        # pointy-topped hexagons: circumradius R, rows h = 1.5 R apart, columns w apart
        radius = size * math.sqrt(2.0 / (3.0 * math.sqrt(3.0)))
        h, w = 1.5 * radius, math.sqrt(3.0) * radius
        # centres within R + size / 8 (< 0.9 size < h, w) of the vertex on each axis
        rows = np.floor((pts[:, 1] - y0) / h).astype(np.int64)
        cols = np.floor((pts[:, 0] - x0) / w).astype(np.int64)
        dr, dc = np.meshgrid(np.arange(-1, 3), np.arange(-2, 3), indexing="ij")
    if len(pts) * dr.size > max(MAX_CANDIDATES_PER_CELL * n, MIN_WINDOWS_CAP):
        return np.ones(n, dtype=bool)
    r = (rows[:, None] + dr.ravel()[None, :]).ravel()
    c = (cols[:, None] + dc.ravel()[None, :]).ravel()
    on = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
    mask = np.zeros(n, dtype=bool)
    mask[r[on] * n_cols + c[on]] = True
    return mask


def cell_flags(area: shapely.Geometry, polygons: np.ndarray, candidates: np.ndarray,
               cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(full, cut)`` of every lattice cell, as the polygon predicates would.

    Parameters
    ----------
    area
        The study area (polygonal), EPSG:27700.
    polygons
        The candidate cells' polygons, in the order of ``candidates``' True entries.
    candidates
        Mask of :func:`boundary_candidates`.
    cx, cy
        Every lattice cell's centre.

    Returns
    -------
    full, cut
        ``full``: the cell lies in the area's interior (``contains_properly``);
        ``cut``: it meets the area but not only its interior (it meets the boundary).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    >>> full, cut = cell_flags(box(0, 0, 1.5, 1), cells[:2], np.array([True, True, False]),
    ...                        np.array([0.5, 1.5, 5.5]), np.array([0.5, 0.5, 5.5]))
    >>> full.tolist(), cut.tolist()
    ([False, False, False], [True, True, False])
    """
    shapely.prepare(area)
    if shapely.get_type_id(area) not in (3, 6):  # a collection: every cell is a candidate
        full = shapely.contains_properly(area, polygons)
        return full, shapely.intersects(area, polygons) & ~full
    boundary = shapely.boundary(area)
    shapely.prepare(boundary)
    cut = np.zeros(len(cx), dtype=bool)
    cut[candidates] = shapely.intersects(boundary, polygons)
    full = np.zeros(len(cx), dtype=bool)
    rest = np.flatnonzero(~cut)
    full[rest] = shapely.contains_xy(area, cx[rest], cy[rest])
    return full, cut


def _clip(cells: np.ndarray, area: shapely.Geometry) -> np.ndarray:
    """Clip cut cells to the area, keeping the polygonal part (empty where no area)."""
    part = shapely.intersection(cells, area)
    # keep the polygonal part only (a shared edge or corner is not area)
    mixed = shapely.get_type_id(part) == 7
    for i in np.flatnonzero(mixed):
        polys = [g for g in shapely.get_parts(part[i]) if shapely.get_type_id(g) in (3, 6)]
        part[i] = shapely.union_all(polys) if polys else shapely.Polygon()
    return part


def clipped_cells(spec: Lattice, area: shapely.Geometry) -> tuple[np.ndarray, ...]:
    """Return the lattice cells with area inside the study area: ``(row, col, geometry, full)``.

    Parameters
    ----------
    spec
        The lattice (a :class:`hotspots.patrol.grid.GridSpec`).
    area
        The study area, EPSG:27700.

    Returns
    -------
    tuple of ndarray
        Row-major ``row``, ``col``, the cell clipped to the area and ``full``
        (the whole cell lies inside), for every cell with some area inside.

    Only cells the boundary may cross are built and tested as polygons
    (:mod:`hotspots.patrol.lattice`); the rest are decided by their centre, with
    the same result as testing every cell's polygon against the area.
    """
    row, col = np.divmod(np.arange(spec.n_rows * spec.n_cols, dtype=np.int64), spec.n_cols)
    cx, cy = spec.centres(row, col)
    if shapely.get_type_id(area) in (3, 6):
        cand = boundary_candidates(shapely.boundary(area), spec.shape, spec.size, spec.origin,
                                   spec.n_rows, spec.n_cols)
    else:  # a collection (polygons and lines): every cell is tested
        cand = np.ones(len(row), dtype=bool)
    idx = np.flatnonzero(cand)
    cand_cells = spec.polygons(row[idx], col[idx])
    full, cut = cell_flags(area, cand_cells, cand, cx, cy)
    geoms = np.full(len(row), None, dtype=object)
    geoms[idx[cut[idx]]] = _clip(cand_cells[cut[idx]], area)
    whole = np.flatnonzero(full)
    geoms[whole] = spec.polygons(row[whole], col[whole])
    keep = full.copy()
    keep[cut] = shapely.area(geoms[cut]) > 0
    return row[keep], col[keep], geoms[keep], full[keep]
