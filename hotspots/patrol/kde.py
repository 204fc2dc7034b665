"""Quartic (biweight) kernel density on grid cell centres.

The density at a cell centre ``c`` is ``sum_i w_i K(|c - p_i|)`` with the quartic
kernel ``K(d) = 3 / (pi h**2) (1 - d**2 / h**2)**2`` for ``d < h`` and 0 beyond
(Silverman 1986, eq. 4.5, as used by ArcGIS Kernel Density and QGIS Heatmap),
reported per square kilometre. No edge correction: cells near the study-area
edge see only the points inside it.

The bandwidth ``h`` (the kernel's radius) is the user's, or chosen by
:func:`bandwidth_rule`: MASS's ``bandwidth.nrd`` rule of thumb (Venables & Ripley,
*Modern Applied Statistics with S*, 4th ed., 2002), ``4 x 1.06 min(sd, IQR/1.34)
n**(-1/5)``, computed on the eastings and on the northings and averaged. sfhotspot
(Ashby) describes the same average for its default bandwidth, but its code,
``mean(bandwidth_nrd(x), bandwidth_nrd(y))``, passes the second value to R's
``mean()`` as ``trim`` and so returns the x-axis value alone; wherever the points
spread differently east-west and north-south the two bandwidths differ. This
project uses the average of both axes, and prints both axes' values with it. The
bandwidth is never allowed below one cell size, where the kernel would reach no
neighbouring centre.

Computation is vectorised with :class:`scipy.spatial.cKDTree`: repeated
coordinates (police.uk's snapped map points) are merged first, with their
weights summed, then the (point, centre) pairs within ``h`` are found with
``sparse_distance_matrix``, a block of centres at a time so that at most
:data:`MAX_PAIRS` pairs are held (a force area's 94,000 cells with an 8.6 km
bandwidth made 13 GB of pairs at once). Densities of cells from weights at
the cells' own centres on a square lattice (the backtest's KDE) are one FFT
convolution of the lattice with the kernel (:func:`lattice_density`), the
same sums; :func:`convolve_same` is ``scipy.signal.fftconvolve(..., mode="same")``
step for step on :mod:`scipy.fft` (the same numbers, bit for bit), since importing
``scipy.signal`` costs 0.3 s of every board pack and patrol run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import fft as sp_fft
from scipy.spatial import cKDTree

from hotspots._errors import ColumnMappingError, InputDataError

__all__ = ["MAX_LATTICE_CELLS", "MAX_PAIRS", "KDEResult", "bandwidth_nrd", "bandwidth_rule",
           "convolve_same",
           "kde_on_grid", "lattice_density", "quartic_density"]

#: (point, centre) pairs :func:`quartic_density` holds at once: 24 bytes each, so
#: about 100 MB, whatever the number of points, centres and the bandwidth.
MAX_PAIRS = 4_000_000

#: Largest lattice (rows x columns, holes included) :func:`lattice_density` convolves:
#: 20 million cells (all England and Wales at 150 m is 13 million), 160 MB a copy.
MAX_LATTICE_CELLS = 20_000_000


@dataclass(frozen=True)
class KDEResult:
    """A density surface on grid cells.

    Attributes
    ----------
    density
        Events (or weight) per km\u00b2 at each cell centre, indexed by ``cell_id``.
    bandwidth
        Kernel radius in metres.
    rule
        How the bandwidth was chosen, in words.
    """

    density: pd.Series
    bandwidth: float
    rule: str


def bandwidth_nrd(x: np.ndarray, y: np.ndarray) -> float:
    """MASS ``bandwidth.nrd`` rule of thumb, averaged over the two axes (metres).

    Parameters
    ----------
    x, y
        Point coordinates (EPSG:27700).

    Returns
    -------
    float
        ``mean(nrd(x), nrd(y))`` with ``nrd(v) = 4 x 1.06 min(sd(v), IQR(v) / 1.34)
        n**(-1/5)`` (sample standard deviation, R's default quantiles).

    Examples
    --------
    >>> round(bandwidth_nrd(np.arange(10.0), np.arange(10.0) * 2), 3)
    12.15
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.mean([_nrd(x), _nrd(y)]))


def _nrd(v: np.ndarray) -> float:
    """MASS ``bandwidth.nrd`` of one axis (sample sd, R's type-7 quartiles)."""
    q1, q3 = np.quantile(v, [0.25, 0.75])
    return 4 * 1.06 * min(float(np.std(v, ddof=1)), (q3 - q1) / 1.34) * len(v) ** -0.2


def bandwidth_rule(x: np.ndarray, y: np.ndarray, *, cell_size: float) -> tuple[float, str]:
    """Choose the bandwidth by :func:`bandwidth_nrd`, at least one cell size.

    Parameters
    ----------
    x, y
        Point coordinates (EPSG:27700).
    cell_size
        Grid cell size in metres (the floor).

    Returns
    -------
    tuple of (float, str)
        Bandwidth in metres and the rule in words.
    """
    if len(x) < 2:
        return float(cell_size), (f"{cell_size:g} m: one cell size (fewer than 2 points, "
                                  "no rule of thumb possible)")
    h = bandwidth_nrd(x, y)
    if not math.isfinite(h) or h < cell_size:
        return float(cell_size), (f"{cell_size:g} m: one cell size (the rule of thumb gave "
                                  f"{h:,.0f} m, less than a cell)")
    hx, hy = _nrd(np.asarray(x, dtype=float)), _nrd(np.asarray(y, dtype=float))
    return h, (f"auto: {h:,.0f} m, the mean of MASS's bandwidth.nrd rule of thumb (4 x 1.06 "
               f"min(sd, IQR/1.34) n^-1/5) on the eastings ({hx:,.0f} m) and on the "
               f"northings ({hy:,.0f} m) of {len(x):,} points (sfhotspot's code takes the "
               "x-axis value alone)")


def quartic_density(
    points: np.ndarray,
    targets: np.ndarray,
    bandwidth: float,
    weights: np.ndarray | None = None,
    *,
    max_pairs: int = MAX_PAIRS,
) -> np.ndarray:
    """Quartic kernel density of weighted points at target locations (per m\u00b2).

    Parameters
    ----------
    points
        ``(n, 2)`` point coordinates in metres.
    targets
        ``(m, 2)`` locations (cell centres) in metres.
    bandwidth
        Kernel radius ``h`` in metres (> 0).
    weights
        Optional ``(n,)`` non-negative weights (default 1 each).
    max_pairs
        At most this many (point, centre) pairs are held at once (memory bound).

    Returns
    -------
    ndarray
        ``(m,)`` densities per square metre.

    Examples
    --------
    >>> d = quartic_density(np.array([[0.0, 0.0]]), np.array([[0.0, 0.0], [5.0, 0.0]]), 10.0)
    >>> np.allclose(d, 3 / (np.pi * 100) * np.array([1.0, 0.75**2]))
    True
    """
    if not (isinstance(bandwidth, int | float) and math.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth={bandwidth!r}: give a positive number of metres.")
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    tgt = np.asarray(targets, dtype=float).reshape(-1, 2)
    w = np.ones(len(pts)) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != len(pts):
        raise ValueError(f"weights has {len(w)} values for {len(pts)} points.")
    if (w < 0).any() or not np.isfinite(w).all():
        raise InputDataError("KDE weights must be finite and >= 0.")
    out = np.zeros(len(tgt))
    if not len(pts) or not len(tgt):
        return out
    # merge repeated coordinates (police.uk snaps crimes to shared map points)
    key = np.empty(len(pts), dtype=np.complex128)
    key.real, key.imag = pts[:, 0] + 0.0, pts[:, 1] + 0.0
    uniq, inverse = np.unique(key, return_inverse=True)
    wsum = np.bincount(inverse, weights=w, minlength=len(uniq))
    keep = wsum > 0  # a point of weight 0 adds nothing
    upts, wsum = np.column_stack([uniq.real, uniq.imag])[keep], wsum[keep]
    if not len(upts):
        return out
    tree = cKDTree(upts)
    # a centre pairs with at most every point: blocks of this many centres stay in bounds
    step = max(1, int(max_pairs) // len(upts))
    for start in range(0, len(tgt), step):
        block = tgt[start:start + step]
        pairs = cKDTree(block).sparse_distance_matrix(tree, bandwidth, output_type="ndarray")
        d2 = pairs["v"] ** 2 / bandwidth**2
        k = np.where(d2 < 1.0, (1.0 - d2) ** 2, 0.0) * wsum[pairs["j"]]
        out[start:start + len(block)] += np.bincount(pairs["i"], weights=k,
                                                     minlength=len(block))
    return out * 3.0 / (math.pi * bandwidth**2)


def convolve_same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Convolve two 2-D arrays by FFT, cropped to ``a``'s shape, centred.

    The steps of ``scipy.signal.fftconvolve(a, b, mode="same")`` (SciPy 1.17):
    axes where either array has length 1 are broadcast, not transformed; the
    others are padded to :func:`scipy.fft.next_fast_len` for ``rfftn``; the full
    result is cut to ``a.shape``, centred. The same numbers bit for bit (tested),
    without importing ``scipy.signal``.

    Parameters
    ----------
    a, b
        Real 2-D arrays.

    Returns
    -------
    ndarray
        ``a.shape``, float.

    Examples
    --------
    >>> convolve_same(np.eye(3), np.ones((1, 3))).round(12).tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    axes = [i for i in range(a.ndim) if a.shape[i] != 1 and b.shape[i] != 1]
    shape = [a.shape[i] + b.shape[i] - 1 if i in axes else max(a.shape[i], b.shape[i])
             for i in range(a.ndim)]
    if axes:
        fshape = [sp_fft.next_fast_len(shape[i], True) for i in axes]
        spectrum = sp_fft.rfftn(a, fshape, axes=axes) * sp_fft.rfftn(b, fshape, axes=axes)
        full = sp_fft.irfftn(spectrum, fshape, axes=axes)[tuple(slice(n) for n in shape)]
    else:
        full = a * b
    start = [(f - n) // 2 for f, n in zip(full.shape, a.shape, strict=True)]
    return full[tuple(slice(s, s + n) for s, n in zip(start, a.shape, strict=True))].copy()


def lattice_density(centres: np.ndarray, weights: np.ndarray, bandwidth: float,
                    size: float) -> np.ndarray | None:
    """Quartic density at square-lattice cell centres of weights at those centres (per m\u00b2).

    The same sums as ``quartic_density(centres, centres, bandwidth, weights)``, as
    one FFT convolution of the lattice of weights with the kernel sampled at the
    lattice offsets: time and memory grow with the lattice, not with the pairs
    (a force area's 94,000 cells and an 8.6 km bandwidth: 0.1 s, against minutes).
    Rounding in the FFT leaves about 1e-16 of the largest density where the exact
    sum is 0, so densities below 1e-9 of the largest count as 0 (a cell reached
    only by a kernel's last 1e-9 of height).

    Parameters
    ----------
    centres
        ``(m, 2)`` cell centres in metres, on one square lattice of side ``size``.
    weights
        ``(m,)`` non-negative weights at those centres.
    bandwidth
        Kernel radius ``h`` in metres (> 0).
    size
        The lattice's cell side in metres.

    Returns
    -------
    ndarray or None
        ``(m,)`` densities per square metre; None when the centres are not on one
        square lattice of side ``size``, or it spans more than
        :data:`MAX_LATTICE_CELLS` (the caller then uses :func:`quartic_density`).

    Examples
    --------
    >>> c = np.array([[50.0, 50.0], [150.0, 50.0], [450.0, 50.0]])
    >>> d = lattice_density(c, np.array([2.0, 0.0, 0.0]), 200.0, 100.0)
    >>> np.allclose(d, quartic_density(c, c, 200.0, np.array([2.0, 0.0, 0.0])))
    True
    >>> float(d[2])
    0.0
    """
    c = np.asarray(centres, dtype=float).reshape(-1, 2)
    w = np.asarray(weights, dtype=float)
    if not len(c) or not (size > 0 and bandwidth > 0) or len(w) != len(c):
        return None
    low = c.min(axis=0)
    ij = np.rint((c - low) / size)
    if np.abs(c - (low + ij * size)).max() > 1e-6 * size:
        return None
    ij = ij.astype(np.int64)
    ncols, nrows = (ij.max(axis=0) + 1).tolist()
    if ncols * nrows > MAX_LATTICE_CELLS:
        return None
    lattice = np.bincount(ij[:, 1] * ncols + ij[:, 0], weights=w,
                          minlength=nrows * ncols).reshape(nrows, ncols)
    r = int(bandwidth // size)
    off = np.arange(-r, r + 1) * size
    d2 = (off[None, :] ** 2 + off[:, None] ** 2) / bandwidth**2
    kernel = np.where(d2 < 1.0, (1.0 - d2) ** 2, 0.0)
    dens = convolve_same(lattice, kernel)[ij[:, 1], ij[:, 0]]
    dens[dens <= 1e-9 * dens.max()] = 0.0  # centres checked non-empty above
    return dens * 3.0 / (math.pi * bandwidth**2)


def kde_on_grid(
    records: pd.DataFrame,
    grid: pd.DataFrame,
    *,
    bandwidth: float | None = None,
    cell_size: float | None = None,
    weights: str | None = None,
    x: str = "easting",
    y: str = "northing",
) -> KDEResult:
    """Quartic kernel density of point records at every grid cell centre.

    Parameters
    ----------
    records
        Points in EPSG:27700 (e.g. :func:`hotspots.patrol.grid.points_to_cells`'s output,
        which has ``easting``/``northing``).
    grid
        Grid with ``cell_id``, ``centre_x``, ``centre_y``.
    bandwidth
        Kernel radius in metres; ``None`` chooses it with :func:`bandwidth_rule`.
    cell_size
        Cell size (the bandwidth floor); default from the grid's spec.
    weights
        Optional column of non-negative weights (e.g. harm).
    x, y
        Coordinate columns (metres, EPSG:27700).

    Returns
    -------
    KDEResult
        Density per km\u00b2 by ``cell_id``, the bandwidth and its rule.

    Raises
    ------
    ColumnMappingError
        Missing columns.
    ValueError
        Bad bandwidth.
    """
    for col in (x, y, *([weights] if weights else [])):
        if col not in records.columns:
            raise ColumnMappingError(f"kde_on_grid: the records have no {col!r} column "
                                     "(project the points to EPSG:27700 first: "
                                     "hotspots.grid.points_to_cells adds easting/northing).")
    px = records[x].to_numpy(dtype=float)
    py = records[y].to_numpy(dtype=float)
    if bandwidth is None:
        if cell_size is None:
            spec = grid.attrs.get("grid_spec")
            cell_size = float(spec.size) if spec is not None else 150.0
        bandwidth, rule = bandwidth_rule(px, py, cell_size=cell_size)
    else:
        rule = f"{float(bandwidth):g} m, chosen by the user"
    w = records[weights].to_numpy(dtype=float) if weights else None
    dens = quartic_density(np.column_stack([px, py]),
                           grid[["centre_x", "centre_y"]].to_numpy(dtype=float),
                           float(bandwidth), w)
    series = pd.Series(dens * 1e6, index=pd.Index(grid["cell_id"], name="cell_id"), name="kde")
    return KDEResult(series, float(bandwidth), rule)
