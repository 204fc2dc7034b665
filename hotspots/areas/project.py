"""Coordinate arrays projected exactly as ``GeoSeries.to_crs`` projects points.

Layer 2 (:mod:`hotspots.areas`): pyproj only.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["project_xy"]

_TRANSFORMERS = threading.local()
_HELPER: list[ThreadPoolExecutor] = []  # one lasting helper thread: its Transformer is kept
_HELPER_LOCK = threading.Lock()
_SPLIT_MIN = 100_000  # points below which a second thread is not worth handing work to


def project_xy(
    x: np.ndarray, y: np.ndarray, src: object, dst: object, *, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Project coordinate arrays, giving exactly what ``GeoSeries.to_crs`` gives.

    geopandas reprojects points with a pyproj ``Transformer`` (``always_xy=True``) on
    their coordinates; calling it on the arrays skips building point objects.

    Parameters
    ----------
    x, y
        Coordinates in ``src``.
    src, dst
        Anything ``pyproj.CRS.from_user_input`` reads.
    threads
        With 2 or more, a large input is projected in two halves at once (pyproj
        releases the GIL; each thread has its own ``Transformer``). Same results.

    Returns
    -------
    tuple of ndarray
        ``x`` and ``y`` in ``dst`` (float64).

    Examples
    --------
    >>> px, py = project_xy(np.array([0.0]), np.array([51.5]), "EPSG:4326", "EPSG:4326")
    >>> float(px[0]), float(py[0])
    (0.0, 51.5)
    """
    from pyproj import CRS

    s, d = CRS.from_user_input(src), CRS.from_user_input(dst)
    if s.equals(d):
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if threads < 2 or len(x) < _SPLIT_MIN:
        return _transform(s, d, x, y)
    h = len(x) // 2
    fut = _helper().submit(_transform, s, d, x[h:], y[h:])
    ax, ay = _transform(s, d, x[:h], y[:h])
    bx, by = fut.result()
    return np.concatenate([ax, bx]), np.concatenate([ay, by])


def _transform(s: object, d: object, x: np.ndarray, y: np.ndarray) -> tuple:
    from pyproj import Transformer

    # building a Transformer costs ~50 ms: keep one per CRS pair (per thread: pyproj's are
    # not shared across threads)
    cache = _TRANSFORMERS.__dict__.setdefault("by_pair", {})
    key = (s.to_wkt(), d.to_wkt())  # type: ignore[attr-defined]
    if key not in cache:
        cache[key] = Transformer.from_crs(s, d, always_xy=True)
    tx, ty = cache[key].transform(x, y)
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)


def _helper() -> ThreadPoolExecutor:
    with _HELPER_LOCK:
        if not _HELPER:
            _HELPER.append(ThreadPoolExecutor(1, thread_name_prefix="project_xy"))
        return _HELPER[0]
