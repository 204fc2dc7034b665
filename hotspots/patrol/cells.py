"""Patrol hotspots on a grid: Gi* on cells, cell selection, scorers, patrol list.

The pieces the patrol view, the CLI and the backtest (:mod:`hotspots.patrol.backtest`)
share:

- :func:`grid_weights`, :func:`gi_star_cells`: Gi* on grid counts, distance band
  1.5 cells (8 neighbours of a square, 6 of a hexagon), FDR-adjusted p from the
  normal approximation (:func:`hotspots.stats.getis.gi_star_normal`) and from
  permutations side by side; :data:`GI_INFERENCES` decides the hot cells.
- :func:`select_cells`: the top N cells, or the smallest top set covering a share
  of the study area; ties by ``cell_id``; never a cell scoring 0 or less.
- :func:`method_scorers`: ``counts``, ``kde``, ``gi_star``, ``gi_star_perm`` ->
  training months (``cell_id x month``) to a score per cell, for the backtest.
- :func:`patrol_list`: the printable list of chosen cells.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import ColumnMappingError, CRSError, InputDataError
from hotspots.labels import street_name as mended_street_name
from hotspots.patrol.kde import bandwidth_rule, lattice_density, quartic_density
from hotspots.patrol.metrics import select_by_area_share, select_top_n
from hotspots.stats import LocalResult, gi_star_normal, local_gi_star
from hotspots.stats.weights import SpatialWeights, build_weights

__all__ = [
    "DEFAULT_BAND_FACTOR",
    "GI_INFERENCES",
    "GI_STAR_SCORE_NOTE",
    "gi_star_cells",
    "gi_star_score",
    "grid_weights",
    "grid_weights_cache_clear",
    "method_scorers",
    "patrol_list",
    "select_cells",
]

Scorer = Callable[[pd.DataFrame], pd.Series]

#: Default distance band in cell sizes (1.5: queen-like neighbours on squares, the six
#: touching hexagons on hexes).
DEFAULT_BAND_FACTOR = 1.5

#: How Gi* p-values are found: ``"normal"`` (analytical, the standard normal: ArcGIS's
#: Hot Spot Analysis, spdep::localG, sfhotspot) or ``"permutation"`` (conditional
#: randomisation; its smallest two-sided p is 2 / (permutations + 1)).
GI_INFERENCES: tuple[str, ...] = ("normal", "permutation")

GI_STAR_SCORE_NOTE = (
    "Gi* score for ranking: cells that are significant hot spots (gi_q <= alpha, gi_z > 0) "
    "score their gi_z; every other cell is ranked after all of them, in gi_z order (its "
    "score is gi_z minus (max gi_z - min gi_z + 1)); cells without neighbours rank last."
)



# --------------------------------------------------------------------------- Gi*


def grid_weights(grid: gpd.GeoDataFrame, *, band: float | None = None) -> SpatialWeights:
    """Distance-band weights between grid cell centres.

    Parameters
    ----------
    grid
        From :func:`hotspots.patrol.grid.make_grid` (``cell_id``, ``centre_x``, ``centre_y``).
    band
        Metres; default :data:`DEFAULT_BAND_FACTOR` x the cell size.

    Returns
    -------
    SpatialWeights
        ids = ``cell_id`` in grid order; cells without a neighbour in the band
        are linked to their nearest cell (reported).
    """
    if band is None:
        spec = grid.attrs.get("grid_spec")
        if spec is None:
            raise InputDataError("grid_weights: the grid carries no GridSpec; pass band=.")
        band = DEFAULT_BAND_FACTOR * float(spec.size)
    ids = grid["cell_id"].to_numpy()
    cx = np.ascontiguousarray(grid["centre_x"], dtype=float)
    cy = np.ascontiguousarray(grid["centre_y"], dtype=float)
    key = _grid_key(ids, cx, cy, float(band))
    with _GRID_LOCK:
        sw = _GRID_WEIGHTS.get(key)
    if sw is not None:
        return sw
    pts = gpd.GeoDataFrame({"area_code": ids}, geometry=gpd.points_from_xy(cx, cy),
                           crs="EPSG:27700")
    sw = build_weights(pts, kind="distance", threshold=float(band))
    with _GRID_LOCK:
        if len(_GRID_WEIGHTS) >= 4:
            _GRID_WEIGHTS.clear()
        _GRID_WEIGHTS[key] = sw
    return sw


#: The weights of the last grids, by :func:`_grid_key`: the same cell ids, centres and
#: band give the same points layer, so :func:`gi_star_cells` after :func:`grid_weights`
#: (or the page's rerun) skips building the points and hashing their geometry (0.15 s of
#: a 71,000-cell grid) that :func:`hotspots.stats.weights.build_weights`' own cache needs.
_GRID_WEIGHTS: dict[bytes, SpatialWeights] = {}
_GRID_LOCK = threading.Lock()


def _grid_key(ids: np.ndarray, cx: np.ndarray, cy: np.ndarray, band: float) -> bytes:
    """Digest of the cell ids, the exact centre coordinates and the band."""
    h = hashlib.blake2b(digest_size=16)
    h.update("\x1f".join(map(str, ids)).encode())
    h.update(b"\x1e" + cx.tobytes() + b"\x1e" + cy.tobytes() + np.float64(band).tobytes())
    return h.digest()


def grid_weights_cache_clear() -> None:
    """Forget the grids' weights remembered by :func:`grid_weights` (and build them anew).

    The weights themselves stay in :func:`hotspots.stats.weights.build_weights`' cache
    until :func:`hotspots.stats.weights.weights_cache_clear`.
    """
    with _GRID_LOCK:
        _GRID_WEIGHTS.clear()


def gi_star_cells(
    values: pd.Series,
    grid: gpd.GeoDataFrame,
    *,
    band: float | None = None,
    permutations: int = 999,
    seed: int,
    alpha: float = 0.05,
    inference: str = "normal",
) -> LocalResult:
    """Getis-Ord Gi* on grid cell values: normal and permutation p, both FDR-adjusted.

    Parameters
    ----------
    values
        One value >= 0 per cell (counts or harm), indexed by ``cell_id``; cells
        missing from the index count 0.
    grid
        The grid.
    band
        Distance band in metres (default 1.5 cell sizes).
    permutations, seed, alpha
        As :func:`hotspots.stats.getis.local_gi_star` (two-sided, Benjamini-Hochberg).
    inference
        Which p-values decide ``gi_p``, ``gi_q`` and ``gi_class`` (one of
        :data:`GI_INFERENCES`; default ``"normal"``).

    Returns
    -------
    LocalResult
        By ``cell_id``: ``gi_g``, ``gi_z`` (one z), ``gi_p``, ``gi_q``, ``gi_class``
        (from ``inference``), ``gi_p_normal``, ``gi_q_normal``, ``gi_p_perm``,
        ``gi_q_perm``; ``params`` of the inference used, with ``inference``,
        ``permutations``, ``seed`` and the hot cells (q <= alpha, z > 0) under each
        (``hot_normal``, ``hot_perm``).
    """
    if inference not in GI_INFERENCES:
        raise ValueError(f"inference={inference!r}: choose one of {list(GI_INFERENCES)}.")
    sw = grid_weights(grid, band=band)
    y = values.reindex(sw.ids, fill_value=0).astype(float)
    normal = gi_star_normal(y, sw, alternative="two-sided", correction="fdr", alpha=alpha)
    perm = local_gi_star(y, sw, permutations=permutations, seed=seed,
                         alternative="two-sided", correction="fdr", alpha=alpha)
    used = normal if inference == "normal" else perm
    frame = used.frame.copy()
    z = frame["gi_z"]
    hot = {}
    for name, res in (("normal", normal), ("perm", perm)):
        frame[f"gi_p_{name}"] = res.frame["gi_p"]
        frame[f"gi_q_{name}"] = res.frame["gi_q"]
        hot[f"hot_{name}"] = int(((res.frame["gi_q"] <= alpha) & (z > 0)).sum())
    params = {**used.params, "inference": inference, "permutations": int(permutations),
              "seed": int(seed), **hot}
    return LocalResult(frame, MappingProxyType(params))


def gi_star_score(frame: pd.DataFrame, *, alpha: float = 0.05) -> pd.Series:
    """Turn Gi* results into one ranking score per cell (see :data:`GI_STAR_SCORE_NOTE`).

    Parameters
    ----------
    frame
        ``gi_z`` and ``gi_q`` by ``cell_id``.
    alpha
        Largest ``gi_q`` counted as significant.

    Returns
    -------
    Series
        Scores by ``cell_id``: significant hot cells first (their z), then the rest.
    """
    z = frame["gi_z"].astype(float)
    hot = (frame["gi_q"] <= alpha) & (z > 0)
    finite = z[np.isfinite(z)]
    if finite.empty:
        return pd.Series(0.0, index=frame.index, name="gi_star")
    shift = float(finite.max() - finite.min() + 1.0)
    score = z.where(hot, z - shift)
    score = score.fillna(float(finite.min()) - shift - 1.0)
    return score.rename("gi_star")


# --------------------------------------------------------------------------- selection


def select_cells(
    scores: pd.Series,
    cell_area: pd.Series,
    *,
    top_n: int | None = None,
    area_share: float | None = None,
) -> pd.Index:
    """Choose patrol cells: the top N, or the smallest top set covering a share of the area.

    One rule for the patrol list and the backtest: this delegates to
    :func:`hotspots.patrol.metrics.select_top_n` /
    :func:`hotspots.patrol.metrics.select_by_area_share`.

    Parameters
    ----------
    scores
        Score per cell, indexed by ``cell_id`` (higher = more of a hotspot).
        Cells scoring 0 or less, or NaN, are never chosen: a cell with no
        (predicted) crime is never a patrol place.
    cell_area
        Cell area per ``cell_id`` (e.g. the grid's ``cell_area_m2``); the study
        area is their sum.
    top_n
        Number of cells (fewer when fewer cells score above 0).
    area_share
        Share of the study area, in (0, 1]: cells are taken in score order until
        their area reaches ``area_share`` x the total (the last cell may take it
        slightly past; fewer cells when too few score above 0).

    Returns
    -------
    Index
        ``cell_id`` of the chosen cells, best first. Equal scores are ordered by
        ``cell_id`` (ascending), so the choice is reproducible.

    Raises
    ------
    ValueError
        Not exactly one of ``top_n`` / ``area_share``, or a bad value.
    InputDataError
        Scores for cells without an area.

    Examples
    --------
    >>> s = pd.Series([1.0, 3.0, 3.0, 0.0], index=["c", "b", "a", "d"])
    >>> a = pd.Series(1.0, index=["a", "b", "c", "d"])
    >>> select_cells(s, a, top_n=4).tolist(), select_cells(s, a, area_share=0.5).tolist()
    (['a', 'b', 'c'], ['a', 'b'])
    """
    if (top_n is None) == (area_share is None):
        raise ValueError("Give exactly one of top_n= (a number of cells) or area_share= "
                         "(a share of the study area, e.g. 0.05).")
    missing = pd.Index(scores.index).difference(cell_area.index)
    if len(missing):
        raise InputDataError(f"{len(missing)} scored cells have no area (e.g. "
                             f"{missing[:3].tolist()}): pass the grid's cell_area_m2.")
    if top_n is not None:
        return pd.Index(select_top_n(scores, top_n), name="cell_id")
    return pd.Index(select_by_area_share(scores, cell_area, area_share=area_share),
                    name="cell_id")


# --------------------------------------------------------------------------- scorers


def method_scorers(
    grid: gpd.GeoDataFrame,
    *,
    bandwidth: float | None = None,
    band: float | None = None,
    permutations: int = 999,
    seed: int,
    harm: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> dict[str, Scorer]:
    """Scoring functions for the backtest: training-month counts in, a score per cell out.

    Parameters
    ----------
    grid
        The grid (``cell_id``, ``centre_x``, ``centre_y``; spec in ``attrs``).
    bandwidth
        KDE radius in metres; ``None``: :func:`hotspots.patrol.kde.bandwidth_rule` on
        the training events placed at their cell centres.
    band
        Gi* distance band in metres (default 1.5 cell sizes).
    permutations, seed, alpha
        Gi* inference (two-sided, FDR): ``"gi_star"`` uses the normal
        approximation, ``"gi_star_perm"`` these permutations.
    harm
        Optional ``cell_id x month`` table of harm-weighted counts (same months as
        the counts): the scorers then rank by harm over the training months, while
        the backtest still scores hits on the counts it holds.

    Returns
    -------
    dict
        ``"counts"`` (sum over the training months), ``"kde"`` (quartic KDE of
        those sums at the cell centres, per km\u00b2), ``"gi_star"`` and
        ``"gi_star_perm"`` (:func:`gi_star_score` with normal-approximation and
        permutation p-values). Each takes a ``cell_id x month`` DataFrame and
        returns a Series indexed by every ``cell_id`` of the grid.
    """
    cells = pd.Index(grid["cell_id"], name="cell_id")
    centres = grid[["centre_x", "centre_y"]].to_numpy(dtype=float)
    spec = grid.attrs.get("grid_spec")
    size = float(spec.size) if spec is not None else 150.0
    cache: dict[str, SpatialWeights] = {}

    def totals(training: pd.DataFrame) -> pd.Series:
        src = training if harm is None else harm.reindex(columns=training.columns)
        return src.sum(axis=1).reindex(cells, fill_value=0).astype(float)

    def counts(training: pd.DataFrame) -> pd.Series:
        return totals(training).rename("counts")

    def kde(training: pd.DataFrame) -> pd.Series:
        w = totals(training).to_numpy()
        h = bandwidth
        if h is None:
            n = training.sum(axis=1).reindex(cells, fill_value=0).to_numpy()
            rep = np.repeat(centres, np.maximum(n, 0).astype(np.int64), axis=0)
            h, _ = bandwidth_rule(rep[:, 0], rep[:, 1], cell_size=size)
        dens = (lattice_density(centres, w, float(h), size)
                if spec is not None and spec.shape == "square" else None)
        if dens is None:  # hexagons, or a lattice too big to convolve: pair by pair
            dens = quartic_density(centres, centres, float(h), w)
        return pd.Series(dens * 1e6, index=cells, name="kde")

    def gi(training: pd.DataFrame, name: str) -> pd.Series:
        y = totals(training)
        if np.ptp(y.to_numpy()) == 0:
            return pd.Series(0.0, index=cells, name=name)
        if "sw" not in cache:
            cache["sw"] = grid_weights(grid, band=band)
        if name == "gi_star":
            res = gi_star_normal(y, cache["sw"], alternative="two-sided", correction="fdr",
                                 alpha=alpha)
        else:
            res = local_gi_star(y, cache["sw"], permutations=permutations, seed=seed,
                                alternative="two-sided", correction="fdr", alpha=alpha)
        return gi_star_score(res.frame, alpha=alpha).reindex(cells).rename(name)

    return {"counts": counts, "kde": kde, "gi_star": lambda t: gi(t, "gi_star"),
            "gi_star_perm": lambda t: gi(t, "gi_star_perm")}


# --------------------------------------------------------------------------- patrol list


def _most_common(records: pd.DataFrame, location: str) -> pd.Series:
    loc = records[["cell_id", location]].dropna()
    loc = loc[loc[location].astype(str).str.strip() != ""]
    n = loc.groupby(["cell_id", location]).size().rename("n").reset_index()
    n = n.sort_values(["cell_id", "n", location], ascending=[True, False, True], kind="stable")
    return n.drop_duplicates("cell_id").set_index("cell_id")[location]


def _nearest_streets(points: np.ndarray, streets: gpd.GeoDataFrame,
                     name: str) -> tuple[np.ndarray, np.ndarray]:
    if streets.crs is None:
        raise CRSError("The street layer has no CRS. Set it (e.g. streets.set_crs("
                       "'EPSG:27700')) or read it from a file that records it.")
    if name not in streets.columns:
        raise ColumnMappingError(f"The street layer has no {name!r} column (columns: "
                                 f"{list(streets.columns)}). Pass street_name=.")
    streets = streets.to_crs("EPSG:27700")
    geoms = np.asarray(streets.geometry.array, dtype=object)
    names = streets[name].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    (pi, si), dist = tree.query_nearest(shapely.points(points), all_matches=True,
                                        return_distance=True)
    # equidistant streets: the alphabetically first name
    order = np.lexsort([names[si], pi])
    pi, si, dist = pi[order], si[order], dist[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    out_name = np.full(len(points), None, dtype=object)
    out_dist = np.full(len(points), np.nan)
    out_name[pi[first]] = names[si[first]]
    out_dist[pi[first]] = dist[first]
    return out_name, out_dist


def patrol_list(
    grid: gpd.GeoDataFrame,
    records_with_cells: pd.DataFrame,
    selected: Iterable[str],
    *,
    street_layer: gpd.GeoDataFrame | None = None,
    street_name: str = "name",
    category: str = "category",
    location: str = "location",
) -> pd.DataFrame:
    """Build the printable patrol list: one row per chosen cell, best first.

    Parameters
    ----------
    grid
        The grid.
    records_with_cells
        Records with ``cell_id`` (and ``category``, ``location`` when present)
        for the period the list describes.
    selected
        Chosen ``cell_id`` values in rank order (e.g. :func:`select_cells`).
    street_layer
        Optional street lines with a name column, any CRS: the nearest street to
        each cell centre is named.
    street_name, category, location
        Column names.

    Returns
    -------
    DataFrame
        ``rank``, ``cell_id``, ``lat``, ``lon`` (centre, EPSG:4326), ``easting``,
        ``northing`` (centre, EPSG:27700), ``count``, one column per offence type
        (counts, sorted by name), ``street`` and ``street_source`` (``"street
        layer"`` with ``street_distance_m``, or ``"police.uk location"``: the
        most common police.uk location text in the cell, ties alphabetical).

    Raises
    ------
    InputDataError
        Selected cells that are not in the grid.
    """
    sel = pd.Index(list(selected), name="cell_id")
    cells = grid.set_index("cell_id")
    unknown = sel.difference(cells.index)
    if len(unknown):
        raise InputDataError(f"{len(unknown)} selected cells are not in the grid (e.g. "
                             f"{unknown[:3].tolist()}).")
    rows = cells.loc[sel]
    out = pd.DataFrame({
        "rank": np.arange(1, len(sel) + 1), "cell_id": sel.to_numpy(),
        "lat": rows["lat"].to_numpy(), "lon": rows["lon"].to_numpy(),
        "easting": rows["centre_x"].to_numpy(), "northing": rows["centre_y"].to_numpy(),
    })
    recs = records_with_cells[records_with_cells["cell_id"].isin(sel)]
    out["count"] = recs.groupby("cell_id").size().reindex(sel, fill_value=0).to_numpy()
    if category in recs.columns:
        by_type = recs.groupby(["cell_id", category]).size().unstack(fill_value=0)
        by_type = by_type.reindex(index=sel, columns=sorted(by_type.columns), fill_value=0)
        for c in by_type.columns:
            out[str(c)] = by_type[c].to_numpy().astype("int64")
    if street_layer is not None:
        names, dist = _nearest_streets(
            np.column_stack([out["easting"], out["northing"]]), street_layer, street_name)
        out["street"] = names
        out["street_source"] = "street layer"
        out["street_distance_m"] = np.round(dist, 1)
    else:
        hint = (_most_common(recs, location).reindex(sel) if location in recs.columns
                else pd.Series(None, index=sel, dtype=object))
        # police.uk's own title-casing ("Alderman'S Walk") mended in one place
        out["street"] = hint.map(
            lambda v: mended_street_name(v) if isinstance(v, str) else v).to_numpy()
        out["street_source"] = "police.uk location"
    return out
