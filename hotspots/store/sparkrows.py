"""The Python workers' side of the Spark engine (:mod:`hotspots.store.spark`).

Each Python worker counts its partitions' rows per cell under ``mapInArrow``
(:func:`count_batches`), placing each distinct point once with the project's exact
locator (:func:`hotspots.areas.locate_points`), built once per worker from the
broadcast area layer (WKB, codes and CRS). Nothing here imports pyspark: the
functions take a broadcast (anything with a ``value``) and iterators of batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import shapely

from hotspots.areas import build_locator, locate_points, project_xy
from hotspots.store.counts import POINT_CRS

__all__ = ["COUNT_SCHEMA", "PLACE_CHUNK", "count_batches", "place_batches"]

#: Distinct points given to the locator at a time: fewer than its raster threshold
#: (250,000), so each Python worker tests its share exactly (about 2.5 CPU microseconds a
#: point) instead of building the national raster (4-5 CPU seconds in every worker).
PLACE_CHUNK = 200_000
_UNLOCATED, _REJECTED = -2, -3  # the row's "area" in the one counting pass
_WORKER_LOCATORS: dict[str, tuple[Any, np.ndarray, str]] = {}
#: Per Python worker and layer: the points it has placed (sorted ``x + iy``) and their areas.
_WORKER_POINTS: dict[str, list[np.ndarray]] = {}
#: What :func:`count_batches` yields (its three kinds of rows; the others' columns null).
COUNT_SCHEMA = ("k long, n long, x double, y double, file_id long, source_row long, "
                "reason string")


_LAST: list[Any] = [None, ""]  # the layer last seen (held, so never another's id) and its key


def _worker_locator(areas: Any) -> tuple[Any, np.ndarray, str]:
    """Return the broadcast layer's locator, built once per Python worker and layer."""
    wkb, codes, crs = areas.value  # keyed by content: broadcast ids restart in each context
    if areas.value is not _LAST[0]:  # hashing 35 MB of WKB costs 0.08 s: once per layer
        _LAST[:] = [areas.value, hashlib.blake2b(repr((crs, codes)).encode()
                                                 + b"".join(wkb)).hexdigest()]
    key = _LAST[1]
    if key not in _WORKER_LOCATORS:
        geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
        loc = build_locator(geoms, np.asarray(codes, dtype=object))
        _WORKER_LOCATORS.clear()
        _WORKER_POINTS.clear()
        _WORKER_LOCATORS[key] = (loc, loc.rank, crs)
        _WORKER_POINTS[key] = [np.empty(0, complex), np.empty(0, np.int64)]
    return _WORKER_LOCATORS[key]


def _place(areas: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the area rank of each point (lon/lat; ``-1``: in none, or not projectable)."""
    loc, rank, crs = _worker_locator(areas)
    px, py = project_xy(x, y, POINT_CRS, crs)
    a = np.full(len(x), -1, dtype=np.int64)
    ok = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
    for part in np.array_split(ok, -(-len(ok) // PLACE_CHUNK)) if len(ok) else ():
        pos = locate_points(loc, px[part], py[part])
        a[part] = np.where(pos >= 0, rank[np.maximum(pos, 0)], -1)
    return a


def place_batches(areas: Any, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Place distinct points (``x``, ``y`` lon/lat) in the broadcast areas, a batch at a time.

    Yields ``x, y, a`` with ``a`` the area's rank among the sorted codes (``-1``:
    in no area, or not projectable), the lowest code where a point touches several.
    """
    for pdf in batches:
        x, y = pdf["x"].to_numpy(dtype=float), pdf["y"].to_numpy(dtype=float)
        yield pd.DataFrame({"x": x, "y": y, "a": _place(areas, x, y)})


def _placed_once(areas: Any, pts: np.ndarray) -> np.ndarray:
    """Return the area ranks of sorted distinct points ``x + iy``, each placed once per worker."""
    _worker_locator(areas)
    seen, seen_a = next(iter(_WORKER_POINTS.values()))
    i = np.minimum(np.searchsorted(seen, pts), max(len(seen) - 1, 0))
    hit = seen[i] == pts if len(seen) else np.zeros(len(pts), bool)
    out = np.empty(len(pts), np.int64)
    out[hit] = seen_a[i[hit]]
    new = pts[~hit]
    out[~hit] = _place(areas, new.real, new.imag)
    merged = np.concatenate([seen, new])
    order = np.argsort(merged, kind="stable")
    _WORKER_POINTS[next(iter(_WORKER_POINTS))] = [merged[order],
                                                 np.concatenate([seen_a, out[~hit]])[order]]
    return out


def count_batches(areas: Any, vocab: tuple[list[str], list[str]], batches: Iterator[Any], *,
                  points: bool = True) -> Iterator[Any]:
    """Count one partition's rows per cell (``mapInArrow``: Arrow batches in and out).

    Takes ``x, y`` (lon/lat), ``month``, ``category``, ``reason`` (null: counted) and,
    for the list of rows not assigned, ``file_id, source_row``. Each distinct point is
    placed once (:func:`_placed_once`). Yields, when the partition is read,
    :data:`COUNT_SCHEMA` rows of three kinds: ``k, n`` (rows per cell key, as
    :func:`_cell_frame` reads it, or ``-1`` outside every area, ``-2`` without a
    location, ``-3`` rejected); ``x, y`` (the partition's distinct placed points, unless
    ``points`` is false); and,
    given ``file_id``, ``file_id, source_row, k, reason`` of each row not assigned.
    """
    import pyarrow as pa  # third-party, on the workers only
    import pyarrow.compute as pc

    values = [pa.array(v, pa.string()) for v in vocab]
    nm, nc = (len(v) + 1 for v in vocab)
    keys, counts, seen, lost = [], [], [], []
    for b in batches:
        x = b.column("x").to_numpy(zero_copy_only=False).astype(float)  # null: NaN
        y = b.column("y").to_numpy(zero_copy_only=False).astype(float)
        rejected = b.column("reason").is_valid().to_numpy(zero_copy_only=False)
        todo = ~rejected & ~np.isnan(x) & ~np.isnan(y)
        xy = np.empty(int(todo.sum()), complex)
        xy.real, xy.imag = x[todo], y[todo]
        pts, inv = np.unique(xy, return_inverse=True)
        m, c = (pc.fill_null(pc.index_in(b.column(col), value_set=v), len(v)).to_numpy()
                [todo] for col, v in zip(("month", "category"), values, strict=True))
        a = _placed_once(areas, pts)[inv.ravel()]
        key = np.where(rejected, _REJECTED, _UNLOCATED).astype(np.int64)
        key[todo] = np.where(a >= 0, (a * nm + m) * nc + c, -1)
        k, n = np.unique(key, return_counts=True)
        keys.append(k), counts.append(n), seen.append(pts)
        if "file_id" in b.schema.names:
            at = pa.array(np.flatnonzero(key < 0))
            lost.append(pa.table({"file_id": b.column("file_id").take(at).cast(pa.int64()),
                                  "source_row": b.column("source_row").take(at),
                                  "k": key[key < 0], "reason": b.column("reason").take(at)}))
    if not keys:
        return
    k, inv = np.unique(np.concatenate(keys), return_inverse=True)
    n = np.bincount(inv.ravel(), weights=np.concatenate(counts)).astype(np.int64)
    pts = np.unique(np.concatenate(seen)) if points else np.empty(0, complex)
    schema = pa.schema([(c, pa.string() if c == "reason" else pa.float64() if c in "xy"
                         else pa.int64()) for c in COUNT_SCHEMA.replace(",", "").split()[::2]])
    parts = [{"k": pa.array(k), "n": pa.array(n)},
             {"x": pa.array(pts.real), "y": pa.array(pts.imag)},
             *({c: t.column(c).combine_chunks() for c in t.column_names} for t in lost)]
    for part in parts:
        size = len(next(iter(part.values())))
        if size:
            yield pa.RecordBatch.from_arrays(
                [part[f.name].cast(f.type) if f.name in part else pa.nulls(size, f.type)
                 for f in schema], schema=schema)
