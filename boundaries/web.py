"""Light web-map layers: coverage simplification, lon/lat, rounded coordinates.

A raw boundary layer is far too heavy for a web page (London's 2018 wards at full
resolution make a multi-megabyte page). :func:`web_layer` simplifies the *whole* layer
at once with :func:`shapely.coverage_simplify`, so neighbouring areas keep sharing
exactly the same simplified edge (simplifying polygon by polygon opens gaps and
overlaps), converts to EPSG:4326, rounds the coordinates and keeps only the columns the
map's tooltip needs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from boundaries.load import polygonal_part, repair_polygons
from hotspots._errors import ColumnMappingError, CRSError, InputDataError

__all__ = ["coverage_gaps", "geojson_bytes", "round_polygons", "web_layer"]

WEB_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:27700"


def web_layer(
    areas: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 20.0,
    precision: int = 5,
    keep: Sequence[str] = ("area_code", "area_name", "borough_name"),
) -> gpd.GeoDataFrame:
    """Return a simplified, lon/lat, coordinate-rounded copy of an area layer for maps.

    Parameters
    ----------
    areas
        Polygon layer (normally from :func:`boundaries.load.read_boundaries`). Any CRS;
        it is projected to EPSG:27700 for simplification when it is not already.
    tolerance_m
        Simplification tolerance in metres, passed unchanged to
        :func:`shapely.coverage_simplify` (Visvalingam–Whyatt). shapely documents the
        tolerance as "roughly equal to the square root of the area of triangles that
        will be removed": a vertex goes when the triangle it forms with its two
        neighbours has an area of at most ``tolerance_m ** 2`` (20 m removes wiggles
        of up to 400 m², e.g. a notch 40 m wide and 20 m deep). It is a length, not an
        area. ``0`` skips simplification.
    precision
        Decimal places kept in the lon/lat coordinates (5 dp is about 1 m).
    keep
        Columns to keep besides ``geometry``.

    Returns
    -------
    geopandas.GeoDataFrame
        Same rows and index as ``areas``, columns ``keep`` + ``geometry``, EPSG:4326,
        every geometry a valid Polygon / MultiPolygon whose coordinates are rounded to
        ``precision`` decimals.

    Raises
    ------
    CRSError
        ``areas`` has no CRS.
    ColumnMappingError
        A ``keep`` column is missing.
    InputDataError
        A geometry is missing or not polygonal.
    ValueError
        ``tolerance_m`` is negative or ``precision`` is outside 0–12.

    Warns
    -----
    UserWarning
        The layer is not a valid coverage (overlaps, or shared edges whose vertices
        differ), so simplification may open gaps.

    Notes
    -----
    Simplification runs on the whole layer in metres, so shared edges stay shared and
    no gaps or overlaps open between neighbours (the layer must be a valid coverage;
    check with :func:`shapely.coverage_is_valid`). Rounding moves every vertex to the
    nearest grid point independently; identical shared vertices stay identical.
    Rounding can make a polygon invalid (a thin part collapses, a ring touches
    itself): those are repaired with :func:`shapely.make_valid` (polygonal parts kept)
    and rounded again; if that does not converge, :func:`shapely.set_precision` (which
    guarantees valid output) is used for them. The result is checked: every geometry
    valid, polygonal and non-empty. A part smaller than the rounding grid can vanish;
    an area that would vanish completely keeps its unrounded shape.
    """
    if tolerance_m < 0 or not np.isfinite(tolerance_m):
        raise ValueError(f"tolerance_m must be a length in metres >= 0, got {tolerance_m!r}.")
    if not 0 <= int(precision) <= 12:
        raise ValueError(f"precision must be 0 to 12 decimal places, got {precision!r}.")
    columns = [c for c in keep if c != "geometry"]
    missing = [c for c in columns if c not in areas.columns]
    if missing:
        available = ", ".join(c for c in areas.columns if c != areas.geometry.name)
        raise ColumnMappingError(f"web_layer: column(s) {', '.join(missing)} not in the layer. "
                                 f"Available: {available}. Change keep=.")
    metric = _polygons_in_metres(areas, what="web_layer")
    if tolerance_m > 0 and not shapely.coverage_is_valid(metric):
        broken = int((~shapely.is_empty(shapely.coverage_invalid_edges(metric))).sum())
        warnings.warn(f"web_layer: the layer is not a clean coverage ({broken} polygons overlap "
                      "or do not share vertices with their neighbours); simplification may "
                      "open gaps. Check with shapely.coverage_invalid_edges.", UserWarning,
                      stacklevel=2)
    simplified = shapely.coverage_simplify(metric, tolerance=float(tolerance_m)) \
        if tolerance_m > 0 else metric
    lonlat = np.asarray(gpd.GeoSeries(simplified, crs=METRIC_CRS).to_crs(WEB_CRS).values,
                        dtype=object)
    rounded = round_polygons(lonlat, precision=int(precision))
    return gpd.GeoDataFrame(areas[columns].copy(), geometry=list(rounded), crs=WEB_CRS)


def round_polygons(geoms: np.ndarray, *, precision: int) -> np.ndarray:
    """Round polygon coordinates to ``precision`` decimals, repairing what rounding breaks.

    Parameters
    ----------
    geoms
        Array of valid Polygon / MultiPolygon geometries.
    precision
        Decimal places to keep.

    Returns
    -------
    numpy.ndarray
        Valid, non-empty Polygon / MultiPolygon geometries (see :func:`web_layer`, Notes).

    Raises
    ------
    RuntimeError
        If a geometry is still invalid after the repairs (should not happen).

    Examples
    --------
    >>> import numpy as np
    >>> from shapely import box
    >>> round_polygons(np.array([box(0.123456, 0, 1, 1.000004)]), precision=5)[0].bounds
    (0.12346, 0.0, 1.0, 1.0)
    """
    grid = 10.0 ** -precision

    def _round(values: np.ndarray) -> np.ndarray:
        return np.asarray(shapely.transform(values, lambda c: np.round(c, precision)))

    out = _round(np.asarray(geoms, dtype=object))
    for _ in range(3):
        bad = np.flatnonzero(~shapely.is_valid(out) | shapely.is_empty(out))
        if len(bad) == 0:
            break
        fixed = np.array([polygonal_part(g) for g in repair_polygons(out[bad])], dtype=object)
        out[bad] = _round(fixed)
    bad = np.flatnonzero(~shapely.is_valid(out) | shapely.is_missing(out) | shapely.is_empty(out))
    if len(bad):
        out[bad] = shapely.set_precision(geoms[bad], grid, mode="valid_output")
    gone = np.flatnonzero(shapely.is_missing(out) | shapely.is_empty(out))
    out[gone] = geoms[gone]
    kinds = shapely.get_type_id(out)
    if not (shapely.is_valid(out).all() and np.isin(kinds, (3, 6)).all()):
        raise RuntimeError("round_polygons: rounding left invalid or non-polygonal geometries.")
    return out


def coverage_gaps(areas: gpd.GeoDataFrame) -> float:
    """Return the area in m² of gaps and overlaps between the polygons of a layer.

    Parameters
    ----------
    areas
        Polygon layer in any CRS with a CRS set (projected to EPSG:27700 to measure).

    Returns
    -------
    float
        ``overlaps + holes`` where *overlaps* is the sum of the polygons' areas minus
        the area of their union (area covered twice or more) and *holes* is the area of
        the union's interior rings (uncovered places enclosed by the layer). ``0`` for a
        clean coverage, up to floating-point noise (about 1e-5 m² for London's wards).

    Raises
    ------
    CRSError
        ``areas`` has no CRS.

    Notes
    -----
    Gaps that open onto the layer's outer edge (a sliver between two coastal areas)
    are not enclosed and so not counted; :func:`shapely.coverage_is_valid` with a
    ``gap_width`` finds those. Water enclosed by the layer (a lake that belongs to no
    area) counts as a hole: compare a processed layer with its source rather than with 0.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> layer = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10),
    ...                                    box(19, 0, 30, 10)], crs="EPSG:27700")
    >>> round(coverage_gaps(layer), 6)
    10.0
    """
    geoms = _polygons_in_metres(areas, what="coverage_gaps")
    union = shapely.union_all(geoms)
    overlaps = max(float(shapely.area(geoms).sum() - union.area), 0.0)
    holes = sum(
        float(shapely.area(shapely.polygons(ring)))
        for part in shapely.get_parts(union)
        if part.geom_type == "Polygon"
        for ring in shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part)))
    )
    return overlaps + holes


def geojson_bytes(web: gpd.GeoDataFrame) -> int:
    """Return the size in bytes of the layer as UTF-8 GeoJSON (no feature ids).

    Parameters
    ----------
    web
        Layer, normally from :func:`web_layer`.

    Returns
    -------
    int
        ``len(web.to_json(drop_id=True).encode("utf-8"))``.
    """
    return len(web.to_json(drop_id=True).encode("utf-8"))


def _polygons_in_metres(areas: gpd.GeoDataFrame, *, what: str) -> np.ndarray:
    """Return the geometries in EPSG:27700 as an array; check they are polygons."""
    if areas.crs is None:
        raise CRSError(f"{what}: the layer has no CRS. Read it with "
                       "boundaries.load.read_boundaries, or set one with .set_crs(...).")
    layer = areas if areas.crs.to_epsg() == 27700 else areas.to_crs(METRIC_CRS)
    geoms = np.asarray(layer.geometry.values, dtype=object)
    kinds = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(kinds, (3, 6)) | shapely.is_empty(geoms))
    if len(bad):
        rows = ", ".join(str(i) for i in bad[:10])
        raise InputDataError(f"{what}: {len(bad)} geometries are missing or not polygons "
                             f"(positions {rows}). Use read_boundaries to check the layer.")
    return geoms
