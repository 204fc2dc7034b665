"""How neighbours are found: the weights kinds and the island fallbacks.

Each kind of :data:`KINDS` turns a validated layer into pairs of neighbouring
areas: queen and rook contiguity from exact shared coordinates (the rule of
libpysal's ``Queen`` / ``Rook`` and GeoDa, with numpy sorting instead of Python
loops), k nearest centroids, or a distance band between centroids. Each fallback
of :data:`FALLBACKS` decides what happens to an area left without a neighbour.
:func:`hotspots.stats.weights.build_weights` validates, caches and describes; the
digest of a layer's geometries, part of its cache key, is remembered here for the same
geometry objects (:func:`geometry_digests_clear`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely
from scipy import sparse

__all__ = ["FALLBACKS", "KINDS", "connected_parts", "geometry_digests_clear"]

# --------------------------------------------------------------------------- digests

#: Digests of the geometries of recent layers, by the identity of their geometry objects.
#: Shapely geometries are immutable and each entry holds its objects (so no id is reused
#: while it lives): the same objects have the same WKB, hashed once (35,000 LSOAs: 0.13 s
#: of CPU that every later build_weights call on the same frame, a cache hit, skips).
_geometry_digests: OrderedDict[bytes, tuple[np.ndarray, bytes]] = OrderedDict()
_DIGESTS_KEPT = 8
_digests_lock = threading.Lock()


def geometry_digests_clear() -> None:
    """Forget every remembered geometry digest (with the weights cache)."""
    with _digests_lock:
        _geometry_digests.clear()


def _geometry_digest(geoms: np.ndarray) -> bytes:
    """Hash of the exact geometries (WKB), remembered for the same geometry objects."""
    ids = np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms)).tobytes()
    with _digests_lock:
        kept = _geometry_digests.get(ids)
        if kept is not None:
            _geometry_digests.move_to_end(ids)
            return kept[1]
    h = hashlib.blake2b(digest_size=16)
    wkbs = shapely.to_wkb(geoms)
    # one update of the joined bytes (35,000 LSOAs: 10 ms, against 50 ms for one per area);
    # each geometry's length first, so that no two layers join to the same bytes
    h.update(np.fromiter(map(len, wkbs), dtype=np.int64, count=len(wkbs)).tobytes())
    h.update(b"".join(wkbs))
    digest = h.digest()
    with _digests_lock:
        _geometry_digests[ids] = (np.array(geoms, dtype=object), digest)
        while len(_geometry_digests) > _DIGESTS_KEPT:
            _geometry_digests.popitem(last=False)
    return digest


# --------------------------------------------------------------------------- builders

_Pairs = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Layer:
    """The parts of a validated layer the builders need."""

    codes: np.ndarray
    names: np.ndarray
    geoms: np.ndarray
    crs: Any
    label: str


def _queen_pairs(layer: _Layer, opts: Mapping[str, Any]) -> _Pairs:
    """Pairs of areas sharing at least one vertex (exact coordinates)."""
    xy, owner = shapely.get_coordinates(layer.geoms, return_index=True)
    keys = _coordinate_keys(xy)
    hashed = _hashed_vertex_pairs(keys, owner)
    return hashed if hashed is not None else _shared_key_pairs([keys[:, 0], keys[:, 1]], owner)


def _mix(v: np.ndarray) -> np.ndarray:
    """Mix 64-bit keys (splitmix64's finaliser): equal inputs, equal outputs.

    Computed in place on one copy with one scratch array (not seven temporaries).

    >>> _mix(np.array([0, 1], dtype=np.uint64)).tolist()
    [0, 6238072747940578789]
    """
    v = np.array(v, dtype=np.uint64)
    tmp = np.empty_like(v)
    for shift, mult in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        np.right_shift(v, np.uint64(shift), out=tmp)
        v ^= tmp
        v *= np.uint64(mult)
    np.right_shift(v, np.uint64(31), out=tmp)
    v ^= tmp
    return v


def _hashed_vertex_pairs(keys: np.ndarray, owner: np.ndarray) -> _Pairs | None:
    """Return the pairs of :func:`_shared_key_pairs` from one sort of one 64-bit key.

    Each vertex gets ``hash(x, y)`` in its high bits and its own position in the
    low bits, so one in-place (SIMD) sort of one array, not an argsort, puts equal
    coordinates together, in vertex order (hence owner order) within them, where
    the exact path sorts three keys. A hash is not a proof: every run of equal
    hashes is checked to hold one exact coordinate, and a run that holds several
    (a collision, about one layer in twenty at two million vertices) is sorted
    again by its exact coordinates. ``None`` (use the exact path) when the
    owners are not in vertex order or the positions need more than 40 bits.
    """
    m = len(owner)
    bits = max(1, (m - 1).bit_length())
    if m == 0 or bits > 40 or (np.diff(owner) < 0).any():
        return None
    n = int(owner[-1]) + 1
    kx = keys[:, 0].view(np.uint64)
    ky = keys[:, 1].view(np.uint64)
    shift = np.uint64(bits)
    with np.errstate(over="ignore"):
        key = _mix(_mix(kx) ^ ky)
    key >>= shift
    key <<= shift
    key |= np.arange(m, dtype=np.uint64)
    key.sort()
    idx = (key & np.uint64((1 << bits) - 1)).view(np.int64)  # positions < 2**40
    key >>= shift  # the hash alone
    same = key[1:] == key[:-1]
    sx, sy = kx[idx], ky[idx]
    differ = (sx[1:] != sx[:-1]) | (sy[1:] != sy[:-1])
    clash = same & differ
    if clash.any():  # two coordinates share a hash: order those runs by coordinate
        starts = np.flatnonzero(np.concatenate([[True], ~same]))
        ends = np.append(starts[1:], m)
        for r in np.unique(np.searchsorted(starts, np.flatnonzero(clash) + 1, "right") - 1):
            part = slice(starts[r], ends[r])
            order = np.lexsort((idx[part], sy[part], sx[part]))
            idx[part], sx[part], sy[part] = idx[part][order], sx[part][order], sy[part][order]
        differ = (sx[1:] != sx[:-1]) | (sy[1:] != sy[:-1])
    new_key = np.empty(m, dtype=bool)
    new_key[0] = True
    np.logical_or(~same, differ, out=new_key[1:])
    return _run_pairs(new_key, owner[idx], n)


def _rook_pairs(layer: _Layer, opts: Mapping[str, Any]) -> _Pairs:
    """Pairs of areas sharing at least one edge (two consecutive exact vertices)."""
    parts, part_owner = shapely.get_parts(layer.geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    keys = _coordinate_keys(xy)
    same_ring = ring[1:] == ring[:-1]
    a, b = keys[:-1][same_ring], keys[1:][same_ring]
    owner = part_owner[ring_part[ring[:-1][same_ring]]]
    # an edge is the same whichever way it is walked: put the smaller end first
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo, hi = np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)
    real = (lo != hi).any(axis=1)
    return _shared_key_pairs([lo[real, 0], lo[real, 1], hi[real, 0], hi[real, 1]], owner[real])


def _knn_pairs(layer: _Layer, opts: Mapping[str, Any]) -> _Pairs:
    """Each area to its ``k`` nearest areas by centroid (libpysal ``KNN`` rule)."""
    from scipy.spatial import cKDTree

    k = int(opts["k"])
    pts = _centroids(layer.geoms)
    _, idx = cKDTree(pts).query(pts, k=k + 1)
    rows = np.repeat(np.arange(len(pts)), k + 1)
    cols = idx.ravel()
    # drop the point itself (usually, but not always, the first hit)
    not_self = cols != rows
    rows, cols = rows[not_self], cols[not_self]
    starts = np.searchsorted(rows, rows, side="left")
    first_k = (np.arange(len(rows)) - starts) < k
    return rows[first_k], cols[first_k]


def _distance_pairs(layer: _Layer, opts: Mapping[str, Any]) -> _Pairs:
    """Pairs of areas whose centroids are at most ``threshold`` metres apart."""
    from scipy.spatial import cKDTree

    pairs = cKDTree(_centroids(layer.geoms)).query_pairs(float(opts["threshold"]),
                                                          output_type="ndarray")
    return pairs[:, 0], pairs[:, 1]


@dataclass(frozen=True)
class _Kind:
    """One weights kind: how neighbours are found and how to describe it."""

    pairs: Callable[[_Layer, Mapping[str, Any]], _Pairs]
    criterion: str
    options: tuple[str, ...]
    symmetric: bool
    needs_metres: bool
    polygons_only: bool


#: Registry of weights kinds (``kind=`` of :func:`~hotspots.stats.weights.build_weights`).
KINDS: Mapping[str, _Kind] = MappingProxyType({
    "queen": _Kind(_queen_pairs, "queen contiguity: areas sharing at least one boundary point "
                   "(exact shared vertex)", (), True, False, True),
    "rook": _Kind(_rook_pairs, "rook contiguity: areas sharing at least one boundary edge "
                  "(two consecutive exact shared vertices)", (), True, False, True),
    "knn": _Kind(_knn_pairs, "k nearest neighbours by centroid distance", ("k",), False, True,
                 False),
    "distance": _Kind(_distance_pairs, "distance band: centroids at most `threshold` metres "
                      "apart", ("threshold",), True, True, False),
})


def _coordinate_keys(xy: np.ndarray) -> np.ndarray:
    """Exact integer keys for coordinates (bit patterns; -0.0 folded into 0.0).

    ``xy`` (the caller's own array, from ``shapely.get_coordinates``) is folded in
    place when it is contiguous float64: two million vertices, 32 MB not copied.
    """
    if xy.dtype == np.float64 and xy.flags.c_contiguous and xy.flags.writeable:
        xy += 0.0
        return xy.view(np.int64).reshape(-1, 2)
    return np.ascontiguousarray(xy + 0.0).view(np.int64).reshape(-1, 2)


def _shared_key_pairs(keys: list[np.ndarray], owner: np.ndarray) -> _Pairs:
    """Pairs of distinct owners that share a key (a vertex or an edge).

    Sort by (key..., owner), drop repeats of a key within one owner, then pair
    every member of each run of equal keys with the following members. Each
    pair is returned once, smaller index first.
    """
    order = np.lexsort([owner, *reversed(keys)])
    ks = [k[order] for k in keys]
    own = owner[order]
    new_key = np.zeros(len(own), dtype=bool)
    new_key[:1] = True
    for k in ks:
        new_key[1:] |= k[1:] != k[:-1]
    return _run_pairs(new_key, own, int(owner.max()) + 1)


def _run_pairs(new_key: np.ndarray, own: np.ndarray, n: int) -> _Pairs:
    """Pairs of distinct owners within each run of equal keys (``new_key`` starts a run).

    ``own`` is sorted within each run; each pair is returned once, smaller first.
    """
    keep = new_key.copy()
    keep[1:] |= own[1:] != own[:-1]
    group = np.cumsum(new_key)[keep]
    own = own[keep]
    size = np.bincount(group)[group]
    shared = size > 1
    group, own = group[shared], own[shared]
    rows, cols = [], []
    d = 1
    while d < len(own):
        same = group[d:] == group[:-d]
        if not same.any():
            break
        rows.append(own[:-d][same])
        cols.append(own[d:][same])
        d += 1
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # own is sorted within each run, so rows < cols; many shared vertices give one pair
    # np.sort + a comparison, not np.unique: numpy 2's unique hashes and is 25 times
    # slower here (0.2 s for the million pairs of England and Wales's LSOAs)
    codes = np.sort(np.concatenate(rows).astype(np.int64) * n + np.concatenate(cols))
    codes = codes[np.concatenate([codes[:1] == codes[:1], codes[1:] != codes[:-1]])]
    return codes // n, codes % n


def _centroids(geoms: np.ndarray) -> np.ndarray:
    if (shapely.get_type_id(geoms) == 0).all():  # points are their own centroids
        return shapely.get_coordinates(geoms)  # (71,000 grid cell centres: 0.1 s saved)
    return shapely.get_coordinates(shapely.centroid(geoms))


def _adjacency(rows: np.ndarray, cols: np.ndarray, n: int, *, symmetric: bool) -> sparse.csr_array:
    """Binary CSR matrix from index pairs (symmetrised when asked), no self-links."""
    if symmetric:
        rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
    off = rows != cols
    codes = np.sort(rows[off].astype(np.int64) * n + cols[off])
    codes = codes[np.concatenate([codes[:1] == codes[:1], codes[1:] != codes[:-1]])]
    r, c = codes // n, codes % n
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n))])
    return sparse.csr_array((np.ones(len(c)), c.astype(np.int32), indptr.astype(np.int32)),
                            shape=(n, n))


def connected_parts(a: sparse.csr_array) -> tuple[int, np.ndarray]:
    """Weakly connected parts of a graph, as ``scipy.sparse.csgraph.connected_components``.

    Labels are numbered by each part's lowest area, as scipy numbers them (tested on
    random graphs), by hooking roots to the lower one and pointer jumping, in numpy:
    importing ``scipy.sparse.csgraph`` (it loads ``scipy.sparse.linalg``) cost about
    30 ms of every cold command for a count on a few hundred areas.

    Parameters
    ----------
    a
        Square adjacency matrix (links in either direction join two areas).

    Returns
    -------
    n_parts, labels
        The number of parts and each area's part (``0 .. n_parts - 1``).

    Examples
    --------
    >>> m = sparse.csr_array((np.ones(2), ([0, 3], [1, 2])), shape=(5, 5))
    >>> n, labels = connected_parts(m)
    >>> n, labels.tolist()
    (3, [0, 0, 1, 1, 2])
    """
    coo = sparse.coo_array(a)
    rows, cols = np.asarray(coo.row, dtype=np.int64), np.asarray(coo.col, dtype=np.int64)
    label = np.arange(a.shape[0], dtype=np.int64)
    while True:
        lr, lc = label[rows], label[cols]
        high, low = np.maximum(lr, lc), np.minimum(lr, lc)
        if not (high != low).any():
            break
        np.minimum.at(label, high, low)  # each root hooked to its lowest linked root
        while True:  # pointer jumping: labels only point lower, so this ends at roots
            up = label[label]
            if np.array_equal(up, label):
                break
            label = up
    roots, labels = np.unique(label, return_inverse=True)
    return len(roots), labels.astype(np.int32)


# --------------------------------------------------------------------------- islands


def _link_islands_knn1(layer: _Layer, a: sparse.csr_array, islands: np.ndarray,
                       kind: _Kind) -> tuple[sparse.csr_array, dict[int, tuple[int, float]]]:
    """Link each island to its nearest area, both ways (polygons: boundary distance)."""
    if not len(islands):
        return a, {}
    if kind.polygons_only:
        tree = shapely.STRtree(layer.geoms)
        (src, dst), dist = tree.query_nearest(layer.geoms[islands], exclusive=True,
                                              return_distance=True, all_matches=False)
        nearest = {int(islands[s]): (int(t), float(d)) for s, t, d in zip(src, dst, dist,
                                                                        strict=True)}
    else:
        from scipy.spatial import cKDTree

        pts = _centroids(layer.geoms)
        dist, idx = cKDTree(pts).query(pts[islands], k=2)
        nearest = {}
        for isl, d_row, i_row in zip(islands, dist, idx, strict=True):
            j = int(i_row[1] if i_row[0] == isl else i_row[0])
            nearest[int(isl)] = (j, float(d_row[1] if i_row[0] == isl else d_row[0]))
    r, c = a.nonzero()
    extra_r = np.array([i for i in nearest], dtype=np.int64)
    extra_c = np.array([j for j, _ in nearest.values()], dtype=np.int64)
    linked = _adjacency(np.concatenate([r, extra_r, extra_c]),
                        np.concatenate([c, extra_c, extra_r]), a.shape[0], symmetric=False)
    return linked, nearest


def _leave_islands(layer: _Layer, a: sparse.csr_array, islands: np.ndarray,
                   kind: _Kind) -> tuple[sparse.csr_array, dict[int, tuple[int, float]]]:
    return a, {}


#: Registry of island fallbacks (``island_fallback=`` of
#: :func:`~hotspots.stats.weights.build_weights`).
FALLBACKS: Mapping[str, Callable[..., tuple[sparse.csr_array, dict[int, tuple[int, float]]]]] = (
    MappingProxyType({"knn1": _link_islands_knn1, "none": _leave_islands})
)
