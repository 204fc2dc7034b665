"""Compact binary polygons for the national LSOA map (35,672 areas in about 3 MB).

Folium's inline GeoJSON of the 35,672 LSOAs of England and Wales is about 50 MB
of text; the page's national view (``ui/national.py``) instead loads one binary
file, once, from the project's own server (the browser caches it: its name
carries its content hash), and draws it on a canvas. Values travel separately.

The encoding (:func:`encode_polygons`), little-endian:

============  ==========================================================
bytes         content
============  ==========================================================
8             magic ``b"HSLSOA01"``
4 x uint32    features, rings, points, length of the JSON block
4 x float64   quantum (metres), origin x, origin y (EPSG:27700), tolerance
uint32[f]     rings per feature
uint32[r]     points per ring (the closing point is dropped)
JSON          ``{"codes": [...], "names": [...]}`` (UTF-8), then 0-3 pad bytes
varints       the points: x and y quantised to ``quantum`` metres, each the
              difference from the previous point (the first from the
              origin), zig-zag encoded as LEB128 varints
============  ==========================================================

Geometry is simplified first with :func:`shapely.coverage_simplify` (neighbours
keep their shared edges: no gaps or overlaps appear between LSOAs), then rounded
to ``quantum``: every decoded point is within ``quantum / 2`` of the simplified
point in x and in y (:func:`decode_polygons` gives them back; tested).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence

import numpy as np
import shapely

__all__ = ["MAGIC", "decode_polygons", "encode_polygons", "read_varints",
           "simplify_coverage", "zigzag_varints"]

MAGIC = b"HSLSOA01"
_HEAD = struct.Struct("<8s4I4d")


def simplify_coverage(geoms: Sequence[shapely.Geometry] | np.ndarray, tolerance: float
                      ) -> np.ndarray:
    """Simplify polygons that tile an area, keeping shared edges shared.

    Parameters
    ----------
    geoms
        Polygons in a projected CRS (metres).
    tolerance
        :func:`shapely.coverage_simplify` tolerance in metres (0: unchanged).

    Returns
    -------
    numpy.ndarray
        The simplified polygons (never empty: a polygon that would vanish keeps
        its original shape).

    Examples
    --------
    >>> a = shapely.box(0, 0, 10, 10)
    >>> int(shapely.get_num_coordinates(simplify_coverage([a], 1.0)).sum())
    5
    """
    arr = np.asarray(geoms, dtype=object)
    if tolerance <= 0:
        return arr
    out = shapely.coverage_simplify(arr, tolerance)
    empty = shapely.is_empty(out)
    out[empty] = arr[empty]
    return out


def zigzag_varints(values: np.ndarray) -> bytes:
    """Return signed integers as zig-zag LEB128 varints (7 bits a byte, high bit = more).

    Parameters
    ----------
    values
        Signed integers (int64).

    Returns
    -------
    bytes

    Examples
    --------
    >>> zigzag_varints(np.array([0, -1, 1, 64, -300])).hex()
    '0001028001d704'
    """
    v = np.asarray(values, dtype=np.int64)
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    chunks = []
    rest = z.copy()
    n = np.ones(len(z), dtype=np.int64)
    while True:  # bytes per value
        rest = rest >> np.uint64(7)
        more = rest > 0
        if not more.any():
            break
        n += more
    width = int(n.max()) if len(n) else 0
    # byte j of value i: 7 bits, with the high bit set when a byte follows
    for j in range(width):
        b = ((z >> np.uint64(7 * j)) & np.uint64(0x7F)).astype(np.uint8)
        b = b | np.where(n > j + 1, 0x80, 0).astype(np.uint8)
        chunks.append(b)
    if not chunks:
        return b""
    table = np.stack(chunks, axis=1)  # values x width
    keep = np.arange(width)[None, :] < n[:, None]
    return table[keep].tobytes()


def read_varints(buf: bytes) -> np.ndarray:
    """Decode zig-zag LEB128 varints (the inverse of :func:`zigzag_varints`).

    >>> read_varints(bytes.fromhex("0001028001d704")).tolist()
    [0, -1, 1, 64, -300]
    """
    b = np.frombuffer(buf, dtype=np.uint8)
    if not len(b):
        return np.zeros(0, dtype=np.int64)
    last = (b & 0x80) == 0
    ends = np.flatnonzero(last)
    starts = np.concatenate([[0], ends[:-1] + 1])
    pos = np.arange(len(b)) - np.repeat(starts, ends - starts + 1)
    val = (b & 0x7F).astype(np.uint64) << (np.uint64(7) * pos.astype(np.uint64))
    z = np.add.reduceat(val, starts)
    return (z >> np.uint64(1)).astype(np.int64) ^ -(z & np.uint64(1)).astype(np.int64)


def encode_polygons(codes: Sequence[str], names: Sequence[str],
                    geoms: Sequence[shapely.Geometry] | np.ndarray, *,
                    quantum: float = 5.0, tolerance: float = 0.0) -> bytes:
    """Encode (already simplified) polygons in EPSG:27700 as the binary file (module docstring).

    Parameters
    ----------
    codes, names
        One LSOA code and name per polygon (the file's feature order).
    geoms
        Polygons or multipolygons in metres (EPSG:27700).
    quantum
        Grid step in metres the points are rounded to.
    tolerance
        The simplification tolerance already applied (recorded in the header).

    Returns
    -------
    bytes

    Examples
    --------
    >>> data = encode_polygons(["E01"], ["A"], [shapely.box(0, 0, 100, 50)])
    >>> codes, names, rings = decode_polygons(data)
    >>> codes, [r.tolist() for r in rings[0]]
    (['E01'], [[[100.0, 0.0], [100.0, 50.0], [0.0, 50.0], [0.0, 0.0]]])
    """
    arr = np.asarray(geoms, dtype=object)
    if not (len(codes) == len(names) == len(arr)):
        raise ValueError("codes, names and geometries must have the same length")
    if quantum <= 0:
        raise ValueError(f"quantum must be positive, not {quantum}")
    parts = shapely.get_parts(arr, return_index=True)
    rings, ring_part = shapely.get_rings(parts[0], return_index=True)
    feature_of_ring = parts[1][ring_part]
    rings_per_feature = np.bincount(feature_of_ring, minlength=len(arr)).astype("<u4")
    coords, ring_of_point = shapely.get_coordinates(rings, return_index=True)
    pts_per_ring = np.bincount(ring_of_point, minlength=len(rings))
    # drop each ring's closing point (the first point again)
    last = np.cumsum(pts_per_ring) - 1
    keep = np.ones(len(coords), dtype=bool)
    keep[last[pts_per_ring > 0]] = False
    coords = coords[keep]
    pts_per_ring = np.maximum(pts_per_ring - 1, 0).astype("<u4")
    x0 = float(np.floor(coords[:, 0].min())) if len(coords) else 0.0
    y0 = float(np.floor(coords[:, 1].min())) if len(coords) else 0.0
    q = np.round((coords - [x0, y0]) / quantum).astype(np.int64)
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).reshape(-1)
    meta = json.dumps({"codes": [str(c) for c in codes], "names": [str(n) for n in names]},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    meta += b" " * (-len(meta) % 4)
    head = _HEAD.pack(MAGIC, len(arr), len(rings), len(coords), len(meta),
                      float(quantum), x0, y0, float(tolerance))
    return (head + rings_per_feature.tobytes() + pts_per_ring.tobytes() + meta
            + zigzag_varints(deltas))


def decode_polygons(data: bytes) -> tuple[list[str], list[str], list[list[np.ndarray]]]:
    """Decode the binary file: codes, names, and each feature's rings (n x 2 arrays, metres).

    Rings come without their closing point, in the encoder's order (each part's
    shell, then its holes).

    Raises
    ------
    ValueError
        The bytes are not this format.
    """
    if len(data) < _HEAD.size or data[:8] != MAGIC:
        raise ValueError("not a national LSOA geometry file (wrong magic bytes)")
    _, nf, nr, npt, nmeta, quantum, x0, y0, _tol = _HEAD.unpack_from(data, 0)
    off = _HEAD.size
    rpf = np.frombuffer(data, dtype="<u4", count=nf, offset=off)
    off += 4 * nf
    ppr = np.frombuffer(data, dtype="<u4", count=nr, offset=off)
    off += 4 * nr
    names_json = json.loads(data[off:off + nmeta].decode("utf-8"))
    off += nmeta
    deltas = read_varints(data[off:])
    if len(deltas) != 2 * npt:
        raise ValueError(f"expected {2 * npt} coordinates, found {len(deltas)}")
    xy = np.cumsum(deltas.reshape(-1, 2), axis=0) * quantum + [x0, y0]
    ring_ends = np.cumsum(ppr)
    ring_starts = ring_ends - ppr
    out: list[list[np.ndarray]] = []
    r = 0
    for n in rpf:
        out.append([xy[ring_starts[i]:ring_ends[i]] for i in range(r, r + int(n))])
        r += int(n)
    return names_json["codes"], names_json["names"], out
