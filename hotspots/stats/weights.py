"""Spatial weights for an area layer, built once per geography and reused.

:func:`build_weights` turns any area layer (``area_code``, ``area_name``, polygons)
into a :class:`SpatialWeights`: queen (default) or rook contiguity, k nearest
neighbours or a distance band. Areas without a neighbour (*islands*, e.g. the
Isles of Scilly among England's LSOAs) and disconnected parts of the graph are
found, named in the report and, by default, an island is linked to its nearest
area (``island_fallback="knn1"``) so that every area gets a statistic. Nothing
is dropped silently: :func:`weights_frame` gives every area its number of
neighbours and the fallback used.

Contiguity is computed from exact shared coordinates (queen: a shared vertex;
rook: a shared edge), the same rule as libpysal's ``Queen`` / ``Rook`` and
GeoDa, with numpy sorting instead of Python loops (35,000 LSOAs in well under
a second, against about 5 s for ``libpysal.weights.Queen.from_dataframe``).
The tests check the neighbour sets equal libpysal's and pygeoda's. The neighbour
finders and the island fallbacks live in :mod:`hotspots.stats.neighbours`.

Weights are cached per process, keyed by a fingerprint of the layer (codes,
names, CRS and every coordinate) and the options, so a dashboard rerun or a
second statistic reuses them (:func:`weights_cache_info`). The cached object is
immutable: its arrays are read-only and :attr:`SpatialWeights.w` hands out a
fresh libpysal ``W`` on every access, so transforming one never changes
another.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from hotspots._errors import ColumnMappingError, CRSError, EmptyInputError, InputDataError
from hotspots._validate import Report
from hotspots.stats.neighbours import (
    FALLBACKS,
    KINDS,
    _adjacency,
    _centroids,
    _geometry_digest,
    _Kind,
    _Layer,
    connected_parts,
    geometry_digests_clear,
)

if TYPE_CHECKING:  # pragma: no cover
    from libpysal.weights import W

__all__ = [
    "FALLBACKS",
    "KINDS",
    "SpatialWeights",
    "build_weights",
    "subset_weights",
    "weight_moments",
    "weights_cache_clear",
    "weights_cache_info",
    "weights_frame",
]

WeightsKind = Literal["queen", "rook", "knn", "distance"]
IslandFallback = Literal["knn1", "none"]

_LABEL = "weights"
_CACHE_SIZE = 8

# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class SpatialWeights:
    """Binary spatial weights over one area layer, with what was found on the way.

    The statistics row-standardise :attr:`adjacency` themselves; it holds only
    0/1 links (no self-links), symmetric for contiguity and distance band.

    Attributes
    ----------
    ids
        Area codes, in the order of the layer; every matrix and Series follows it.
    names
        Area names, same order.
    adjacency
        ``scipy.sparse.csr_array`` (n x n), 1 where column *j* is a neighbour of row
        *i* (after the island fallback). Its arrays are read-only.
    params
        The options that made these weights (``kind``, ``criterion``, ``k`` or
        ``threshold`` where they apply, ``island_fallback``, ``transform``, counts
        and the layer ``fingerprint``), ready for a run manifest.
    islands
        ``(area_code, area_name)`` of every area with no neighbour under ``kind``
        (before the fallback).
    components
        Number of connected parts of the graph the statistics use (after the
        fallback; ``1`` when every area is reachable from every other).
    report
        Plain-words lines: the weights used, each island and what was done about
        it, the disconnected parts with their members' names.
    n_neighbours
        Number of neighbours of each area (after the fallback), indexed by code.
    fallback
        What the fallback did to each area (``""`` when nothing), indexed by code.

    Two instances are equal only if they are the same object (the cache hands out
    the same object for the same layer and options).
    """

    ids: pd.Index
    names: pd.Index
    adjacency: sparse.csr_array
    params: Mapping[str, Any]
    islands: tuple[tuple[str, str], ...]
    components: int
    report: Report
    n_neighbours: pd.Series
    fallback: pd.Series
    _geometry: gpd.GeoSeries = field(repr=False)

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.ids)

    @property
    def w(self) -> W:
        """A new binary libpysal ``W`` (ids = area codes) on every access.

        Set ``.transform = "r"`` on it freely: the cached weights are not touched.
        libpysal is imported only here (it costs about 0.4 s of a cold start).
        """
        from libpysal.weights import W

        a = self.adjacency
        ids = self.ids.tolist()
        neighbours = {
            ids[i]: [ids[j] for j in a.indices[a.indptr[i]:a.indptr[i + 1]]] for i in range(self.n)
        }
        return W(neighbours, id_order=ids, silence_warnings=True)

    def row_standardised(self) -> sparse.csr_array:
        """Return a new row-standardised copy of :attr:`adjacency` (rows of islands stay 0)."""
        a = self.adjacency
        k = np.diff(a.indptr)
        data = np.repeat(np.divide(1.0, k, out=np.zeros(len(k)), where=k > 0), k)
        return sparse.csr_array((data, a.indices.copy(), a.indptr.copy()), shape=a.shape)


def weight_moments(w: sparse.csr_array) -> tuple[float, float, float]:
    """Return ``S0, S1, S2`` of a weights matrix (Cliff & Ord 1981), as esda's ``W``.

    ``S0 = sum_ij w_ij``, ``S1 = 1/2 sum_ij (w_ij + w_ji)**2``,
    ``S2 = sum_i (w_i. + w_.i)**2``: the moments of global Moran's I and Geary's C.

    Examples
    --------
    >>> w = sparse.csr_array(np.array([[0, 1.0], [0.5, 0]]))
    >>> weight_moments(w)
    (1.5, 2.25, 4.5)
    """
    wt = w.T.tocsr()
    s0 = float(w.sum())
    s1 = 0.5 * float(((w + wt) ** 2).sum())
    s2 = float(((np.asarray(w.sum(axis=1)) + np.asarray(wt.sum(axis=1))) ** 2).sum())
    return s0, s1, s2


class CacheInfo(NamedTuple):
    """Weights-cache statistics, as :func:`functools.lru_cache` reports them."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


# --------------------------------------------------------------------------- validation


def _check_choice(name: str, value: object, allowed: Iterable[str]) -> None:
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not known: choose one of {allowed}.")


def _layer(areas: object) -> _Layer:
    """Validate the area layer; collect every problem and raise once."""
    if not isinstance(areas, gpd.GeoDataFrame):
        raise TypeError(
            f"areas must be a GeoDataFrame (e.g. from boundaries.load.read_boundaries), "
            f"not {type(areas).__name__}."
        )
    if len(areas) == 0:
        raise EmptyInputError(
            "The area layer is empty: weights need at least 2 areas. Check the boundary file "
            "and any filter applied before build_weights()."
        )
    if "area_code" not in areas.columns:
        raise ColumnMappingError(
            f"The area layer has no 'area_code' column (columns: {list(areas.columns)}). "
            "Read it with boundaries.load.read_boundaries(), or rename the code column to "
            "'area_code'."
        )
    report = Report()
    codes = areas["area_code"].astype("string")
    names = (areas["area_name"].astype("string") if "area_name" in areas.columns else codes)
    blank = codes.isna() | (codes.str.strip() == "")
    if blank.any():
        report.add("error", _LABEL, "blank area_code", "Every area needs a code.",
                   column="area_code", count=int(blank.sum()))
    dup = codes[codes.duplicated(keep=False) & ~blank].unique().tolist()
    if dup:
        report.add("error", _LABEL, f"duplicate area_code: {', '.join(map(str, dup[:10]))}",
                   "Each area must appear once (dissolve multi-part areas first).",
                   column="area_code", count=len(dup))
    missing = areas.geometry.isna() | areas.geometry.is_empty
    if missing.any():
        report.add("error", _LABEL, "missing or empty geometry: "
                   + ", ".join(codes[missing].astype(str).tolist()[:10]),
                   "Repair or remove these areas.", column="geometry", count=int(missing.sum()))
    if len(areas) < 2:
        report.add("error", _LABEL, "only one area", "Weights need at least 2 areas.")
    if report.errors():
        raise InputDataError("The area layer cannot be used for spatial weights.", report)
    return _Layer(codes.to_numpy(dtype=object), names.fillna(codes).to_numpy(dtype=object),
                  np.asarray(areas.geometry.array, dtype=object), areas.crs,
                  _LABEL)


def _check_kind_input(layer: _Layer, kind: str, kind_spec: _Kind, threshold: float | None,
                      k: int) -> None:
    if kind_spec.polygons_only:
        types = set(shapely.get_type_id(layer.geoms).tolist()) - {3, 6}
        if types:
            raise InputDataError(
                f"kind={kind!r} needs polygons, but the layer has other geometry types "
                f"(shapely type ids {sorted(types)}). Use kind='knn' or kind='distance' for "
                "points, or read the boundaries with boundaries.load.read_boundaries()."
            )
    if kind_spec.needs_metres:
        if layer.crs is None:
            raise CRSError(
                f"kind={kind!r} measures distances, but the layer has no CRS. Set it "
                "(areas.set_crs('EPSG:27700') if the coordinates are British National Grid "
                "metres) or read the layer with boundaries.load.read_boundaries()."
            )
        if not layer.crs.is_projected:
            raise CRSError(
                f"kind={kind!r} measures distances in metres, but the layer is in "
                f"{layer.crs.to_string()} (longitude/latitude degrees). Reproject first: "
                "areas.to_crs('EPSG:27700'), or read it with boundaries.load.read_boundaries()."
            )
    if kind == "knn" and not (isinstance(k, int | np.integer) and 1 <= k < len(layer.codes)):
        raise ValueError(f"k={k!r}: kNN weights need an integer k from 1 to "
                         f"{len(layer.codes) - 1} (the number of areas minus one).")
    if kind == "distance" and threshold is not None and not (
            np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold={threshold!r}: the distance band needs a positive number "
                         "of metres, or None to choose the smallest band that gives every "
                         "area a neighbour.")


def _options(layer: _Layer, kind: str, spec: _Kind, k: int, threshold: float | None,
             report: Report) -> dict[str, Any]:
    """Return the options that apply to ``kind``, with automatic choices made and reported."""
    opts: dict[str, Any] = {}
    if "k" in spec.options:
        opts["k"] = int(k)
    if "threshold" in spec.options:
        if threshold is None:
            from scipy.spatial import cKDTree

            pts = _centroids(layer.geoms)
            d, _ = cKDTree(pts).query(pts, k=2)
            threshold = float(np.nextafter(d[:, 1].max(), np.inf))
            report.add("info", _LABEL,
                       f"distance band chosen automatically: {threshold:,.1f} m, the smallest "
                       "that gives every area at least one neighbour",
                       "Pass threshold= (metres) to choose another band.")
            opts["threshold_auto"] = True
        opts["threshold"] = float(threshold)
    return opts


# --------------------------------------------------------------------------- cache

_cache: OrderedDict[tuple[Any, ...], SpatialWeights] = OrderedDict()
_cache_lock = threading.Lock()
_cache_stats = {"hits": 0, "misses": 0}


def weights_cache_info() -> CacheInfo:
    """Return hits, misses, maximum and current size of the per-process weights cache.

    Returns
    -------
    CacheInfo
        ``(hits, misses, maxsize, currsize)``.
    """
    with _cache_lock:
        return CacheInfo(_cache_stats["hits"], _cache_stats["misses"], _CACHE_SIZE, len(_cache))


def weights_cache_clear() -> None:
    """Empty the weights cache (and the geometry digests) and reset its counters."""
    with _cache_lock:
        _cache.clear()
        geometry_digests_clear()
        _cache_stats.update(hits=0, misses=0)


def _fingerprint(layer: _Layer) -> str:
    """Hash of the layer: codes, names, CRS and the exact geometries (WKB)."""
    h = hashlib.blake2b(digest_size=16)
    h.update("\x1f".join(map(str, layer.codes)).encode())
    h.update(b"\x1e" + "\x1f".join(map(str, layer.names)).encode())
    h.update(b"\x1e" + (layer.crs.to_wkt() if layer.crs is not None else "").encode())
    h.update(b"\x1e" + _geometry_digest(layer.geoms))
    return h.hexdigest()


# --------------------------------------------------------------------------- public


def build_weights(
    areas: gpd.GeoDataFrame,
    *,
    kind: WeightsKind = "queen",
    k: int = 6,
    threshold: float | None = None,
    island_fallback: IslandFallback = "knn1",
) -> SpatialWeights:
    """Build (or fetch from the cache) binary spatial weights for an area layer.

    Parameters
    ----------
    areas
        Area layer with ``area_code`` (unique), optional ``area_name`` and a
        geometry (polygons for contiguity). Any CRS for contiguity; a projected
        CRS in metres (e.g. EPSG:27700) for ``"knn"`` and ``"distance"``.
    kind
        ``"queen"`` (shared boundary point), ``"rook"`` (shared boundary edge),
        ``"knn"`` (``k`` nearest centroids) or ``"distance"`` (centroids within
        ``threshold`` metres). See :data:`KINDS`.
    k
        Number of neighbours for ``kind="knn"`` (ignored otherwise).
    threshold
        Band in metres for ``kind="distance"``; ``None`` picks the smallest band
        that gives every area a neighbour and says so in the report.
    island_fallback
        ``"knn1"`` (default): link each area without neighbours to its nearest
        area (nearest boundary for contiguity, nearest centroid otherwise), both
        ways. ``"none"``: leave it without neighbours; its local statistics are
        then not computed (labelled "no neighbours"). See :data:`FALLBACKS`.

    Returns
    -------
    SpatialWeights
        Binary weights with ids in layer order, islands, number of connected
        parts, report and per-area neighbour counts. The same object is returned
        for the same layer and options while it stays in the cache.

    Raises
    ------
    TypeError
        ``areas`` is not a GeoDataFrame.
    EmptyInputError
        The layer has no rows.
    ColumnMappingError
        No ``area_code`` column.
    InputDataError
        Blank or duplicate codes, missing geometries, a single area, or
        non-polygons for contiguity.
    CRSError
        ``"knn"`` / ``"distance"`` on a layer without a CRS or in longitude /
        latitude (the message names the fix: ``areas.to_crs("EPSG:27700")``).
    ValueError
        Unknown ``kind`` or ``island_fallback``, or a bad ``k`` / ``threshold``.

    Notes
    -----
    Contiguity follows libpysal's vertex rule (Rey & Anselin, *PySAL*, 2007;
    GeoDa): polygons are neighbours when they share an exact vertex (queen) or
    an exact edge (rook), so the layer must be a clean coverage, as official
    boundary files are. kNN uses polygon centroids like
    ``libpysal.weights.KNN.from_dataframe``; a kNN graph is not symmetric.
    Disconnected parts (e.g. an island group of LSOAs) are reported but not
    joined: each area is still compared with its own neighbours.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> grid = gpd.GeoDataFrame({"area_code": list("abcd")},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)],
    ...     crs="EPSG:27700")
    >>> build_weights(grid, kind="rook").n_neighbours.tolist()
    [2, 2, 2, 2]
    >>> build_weights(grid).n_neighbours.tolist()
    [3, 3, 3, 3]
    """
    _check_choice("kind", kind, KINDS)
    _check_choice("island_fallback", island_fallback, FALLBACKS)
    spec = KINDS[kind]
    layer = _layer(areas)
    _check_kind_input(layer, kind, spec, threshold, k)
    fingerprint = _fingerprint(layer)
    key = (fingerprint, kind, island_fallback,
           *((o, k if o == "k" else threshold) for o in spec.options))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            _cache_stats["hits"] += 1
            return _cache[key]
        _cache_stats["misses"] += 1
    sw = _build(layer, areas, kind, spec, k, threshold, island_fallback, fingerprint=fingerprint)
    with _cache_lock:
        _cache[key] = sw
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return sw


def _build(layer: _Layer, areas: gpd.GeoDataFrame, kind: str, spec: _Kind, k: int,
           threshold: float | None, island_fallback: str, *, fingerprint: str) -> SpatialWeights:
    """Build the weights (cache miss): pairs -> matrix -> islands -> parts -> report."""
    report = Report()
    n = len(layer.codes)
    opts = _options(layer, kind, spec, k, threshold, report)
    rows, cols = spec.pairs(layer, opts)
    base = _adjacency(rows, cols, n, symmetric=spec.symmetric)
    island_pos = np.flatnonzero(np.diff(base.indptr) == 0)
    parts_before = _n_parts(base)
    adj, nearest = FALLBACKS[island_fallback](layer, base, island_pos, spec)
    _freeze(adj)
    parts_after = _n_parts(adj)
    counts = np.diff(adj.indptr)
    fallback = _fallback_text(layer, island_pos, nearest)
    _describe(report, layer, kind, spec, opts, counts, island_pos, nearest, island_fallback,
              parts_before, adj)
    params = {"kind": kind, "criterion": spec.criterion, **opts,
              "island_fallback": island_fallback,
              "transform": "row-standardised (binary links, each row sums to 1)",
              "n_areas": n, "n_islands": len(island_pos), "n_components_before_fallback":
              parts_before, "n_components": parts_after, "fingerprint": fingerprint}
    ids = pd.Index(layer.codes.astype(str), name="area_code")
    return SpatialWeights(
        ids=ids, names=pd.Index(layer.names.astype(str), name="area_name"), adjacency=adj,
        params=MappingProxyType(params),
        islands=tuple((str(layer.codes[i]), str(layer.names[i])) for i in island_pos),
        components=parts_after, report=report,
        n_neighbours=pd.Series(counts, index=ids, name="n_neighbours"),
        fallback=pd.Series(fallback, index=ids, name="weights_fallback", dtype=object),
        _geometry=gpd.GeoSeries(layer.geoms, crs=layer.crs, index=ids),
    )


def _freeze(a: sparse.csr_array) -> None:
    for arr in (a.data, a.indices, a.indptr):
        arr.flags.writeable = False


def _n_parts(a: sparse.csr_array) -> int:
    return connected_parts(a)[0]


def _fallback_text(layer: _Layer, islands: np.ndarray,
                   nearest: Mapping[int, tuple[int, float]]) -> np.ndarray:
    out = np.full(len(layer.codes), "", dtype=object)
    for i in islands:
        out[i] = "island: no neighbours"
    for i, (j, _) in nearest.items():
        out[i] = f"island: linked to nearest area {layer.codes[j]}"
        if not out[j]:
            out[j] = f"gained island neighbour {layer.codes[i]}"
        elif out[j].startswith("gained"):
            out[j] += f", {layer.codes[i]}"
    return out


def _describe(report: Report, layer: _Layer, kind: str, spec: _Kind, opts: Mapping[str, Any],
              counts: np.ndarray, islands: np.ndarray, nearest: Mapping[int, tuple[int, float]],
              island_fallback: str, parts_before: int, adj: sparse.csr_array) -> None:
    """Add the plain-words lines: weights used, islands, disconnected parts."""
    extra = "".join(f", {o}={opts[o]:g}" for o in spec.options)
    report.add("info", _LABEL,
               f"{spec.criterion}{extra}; {len(counts):,} areas, neighbours per area: mean "
               f"{counts.mean():.2f}, min {counts.min()}, max {counts.max()}; row-standardised "
               "in the statistics", "")
    for i in islands:
        who = f"{layer.codes[i]} ({layer.names[i]})"
        if i in nearest:
            j, dist = nearest[i]
            where = (f"{dist:,.0f} m away" if dist > 0 else "which it touches without sharing "
                     "an exact boundary vertex (check the boundaries, e.g. after a repair)")
            report.add("warning", _LABEL,
                       f"island: {who} has no {kind} neighbour; linked to its nearest area "
                       f"{layer.codes[j]} ({layer.names[j]}), {where} "
                       f"(island_fallback='{island_fallback}')",
                       "Pass island_fallback='none' to leave it without neighbours (its local "
                       "statistics are then not computed).")
        else:
            report.add("warning", _LABEL,
                       f"island: {who} has no {kind} neighbour and is left without one "
                       "(island_fallback='none'): its local statistics are not computed",
                       "Use island_fallback='knn1' to link it to its nearest area.")
    _describe_parts(report, layer, adj, parts_before, len(islands))


def _describe_parts(report: Report, layer: _Layer, adj: sparse.csr_array, parts_before: int,
                    n_islands: int) -> None:
    n_parts, labels = connected_parts(adj)
    if parts_before > 1:
        report.add("info", _LABEL,
                   f"before the island fallback the graph had {parts_before} disconnected "
                   f"parts ({n_islands} of them single islands)", "")
    if n_parts == 1:
        return
    sizes = np.bincount(labels)
    order = np.argsort(-sizes, kind="stable")
    shown = []
    for lab in order[1:11]:
        members = layer.names[labels == lab]
        names = ", ".join(map(str, members[:5])) + (" ..." if len(members) > 5 else "")
        shown.append(f"{sizes[lab]} areas: {names}")
    more = f"; and {n_parts - 11} more" if n_parts > 11 else ""
    report.add("warning", _LABEL,
               f"the weights graph has {n_parts} disconnected parts: the largest has "
               f"{sizes[order[0]]:,} areas; the others: " + "; ".join(shown) + more,
               "Each area is still compared with its own neighbours; use kind='knn' to "
               "connect the parts if they should be compared with each other.")


def weights_frame(sw: SpatialWeights) -> pd.DataFrame:
    """Return one row per area: ``area_code``, ``n_neighbours``, ``weights_fallback``.

    Parameters
    ----------
    sw
        Weights from :func:`build_weights`.

    Returns
    -------
    DataFrame
        In weights order; ``weights_fallback`` is ``""`` where nothing was done.
    """
    return pd.DataFrame({"area_code": sw.ids.to_numpy(),
                         "n_neighbours": sw.n_neighbours.to_numpy(),
                         "weights_fallback": sw.fallback.to_numpy()})


def subset_weights(sw: SpatialWeights, area_codes: Iterable[str]) -> SpatialWeights:
    """Rebuild the same kind of weights on a subset of the areas (e.g. those with data).

    Parameters
    ----------
    sw
        Weights over the whole layer.
    area_codes
        Codes to keep (any order; the result keeps the layer order).

    Returns
    -------
    SpatialWeights
        Weights rebuilt on the subset with the same options (areas that lose every
        neighbour become islands and get the same fallback); cached like any other.

    Raises
    ------
    InputDataError
        A code is not in ``sw`` or fewer than 2 areas are kept.
    """
    keep = pd.Index(pd.unique(pd.Series(list(area_codes), dtype=object)))
    unknown = keep.difference(sw.ids)
    if len(unknown):
        raise InputDataError(
            f"{len(unknown)} area codes are not in the weights, e.g. {unknown[:5].tolist()}. "
            "Use codes of the layer the weights were built on."
        )
    mask = sw.ids.isin(keep)
    areas = gpd.GeoDataFrame({"area_code": sw.ids[mask], "area_name": sw.names[mask]},
                             geometry=sw._geometry.to_numpy()[mask], crs=sw._geometry.crs)
    opts = {o: sw.params[o] for o in ("k", "threshold") if o in sw.params
            and not (o == "threshold" and sw.params.get("threshold_auto"))}
    return build_weights(areas, kind=sw.params["kind"],
                         island_fallback=sw.params["island_fallback"], **opts)
