"""Read any boundary file (GPKG, GeoJSON, shapefile, MapInfo) into the standard area layer.

The standard layer is in EPSG:27700 (British National Grid) with the columns
``area_code``, ``area_name``, ``borough_code``, ``borough_name``, ``vintage`` and a
polygonal ``geometry``. Every problem is collected into a
:class:`hotspots._validate.Report` first and the reader raises once, naming the file,
the row and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from boundaries.vintages import VINTAGES, detect_vintage
from hotspots._errors import ColumnMappingError, CRSError, EmptyInputError, InputDataError
from hotspots._validate import Report

__all__ = ["BNG_BOUNDS", "LONLAT_BOUNDS", "OVERLAP_MIN_M2", "overlapping_areas", "polygonal_part",
           "read_boundaries", "repair_polygons", "report_overlaps"]

ANALYSIS_CRS = "EPSG:27700"
#: The standard area layer's columns, in order (what every reader of boundaries returns).
AREA_COLUMNS = ["area_code", "area_name", "borough_code", "borough_name", "geometry"]

BNG_BOUNDS = (-110_000.0, -20_000.0, 700_000.0, 1_300_000.0)
"""Range of British National Grid coordinates in metres (minx, miny, maxx, maxy).

EPSG:27700's area of use (Great Britain and its islands) in projected metres, rounded
outwards.
"""

LONLAT_BOUNDS = (-180.0, -90.0, 180.0, 90.0)
"""Range of longitude / latitude in degrees (minx, miny, maxx, maxy)."""

_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class _Columns:
    """Source columns for the standard columns (``None`` when the file has none)."""

    code: str
    name: str | None
    parent_code: str | None
    parent_name: str | None
    vintage: str


def read_boundaries(
    path: str | Path,
    *,
    layer: str | None = None,
    code_col: str | None = None,
    name_col: str | None = None,
    parent_code_col: str | None = None,
    parent_name_col: str | None = None,
    assume_crs: str | int | CRS | None = None,
) -> tuple[gpd.GeoDataFrame, Report]:
    """Read a boundary layer and return it in the standard form, in EPSG:27700.

    Parameters
    ----------
    path
        A GeoPackage, GeoJSON, shapefile (``.shp`` with its sidecars) or anything else
        GDAL reads (MapInfo ``.tab``; ``/vsigzip/...`` paths are passed through).
    layer
        Layer name; required when the file has more than one layer.
    code_col, name_col, parent_code_col, parent_name_col
        Columns holding the area code, area name and parent (borough) code / name.
        When ``code_col`` is not given the layout is detected with
        :func:`boundaries.vintages.detect_vintage`; any column given explicitly overrides
        the detected one. Without a name column the code is used as the name.
    assume_crs
        CRS to use when the file has none, or whose CRS is ambiguous or wrong (the
        file's own CRS is then overridden and a warning says so), e.g. ``"EPSG:27700"``.

    Returns
    -------
    areas : geopandas.GeoDataFrame
        One row per area, in file order, EPSG:27700, columns ``area_code`` (str),
        ``area_name``, ``borough_code``, ``borough_name`` (missing when the file has no
        such column), ``vintage`` (registry key or ``"custom"``) and ``geometry``
        (Polygon / MultiPolygon only).
    report : hotspots._validate.Report
        What was detected and done (layout, CRS, reprojection, repaired polygons).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    EmptyInputError
        The file is empty or has no features.
    ColumnMappingError
        Unknown layout, or a named column is not in the file.
    CRSError
        Missing CRS, ambiguous CRS, or coordinates that do not fit the CRS (lon/lat
        declared for metres or the reverse). The message names the ``assume_crs=`` fix.
    InputDataError
        Several layers and no ``layer=``; or, with the full report, blank or duplicate
        area codes, missing or non-polygonal geometries (with their row numbers).

    Notes
    -----
    Row numbers follow the project convention (header = row 1): feature *n* of the
    file (1-based) is row *n + 1*. A CRS with no exact EPSG match (ESRI-style WKT
    ``.prj`` files) is accepted as EPSG:27700 only when its closest EPSG match
    (``to_epsg(min_confidence=20)``) is 27700 and the coordinates lie in the British
    National Grid's range and its parameters put the layer's corners within 1 m of
    where EPSG:27700 does; a warning says so. Invalid polygons are repaired with
    :func:`shapely.make_valid` (``method="structure"``, see :func:`repair_polygons`),
    keeping only their polygonal parts, and reported with code and name. Every
    reprojection is reported.
    """
    label = _label(path)
    report = Report()
    layer = _choose_layer(path, layer, label)
    raw = _read_layer(path, layer, label)
    cols = _resolve_columns(
        list(raw.columns), label,
        code_col=code_col, name_col=name_col,
        parent_code_col=parent_code_col, parent_name_col=parent_name_col,
    )
    used = ", ".join(f"{std} <- '{col}'" for std, col in (
        ("area_code", cols.code), ("area_name", cols.name), ("borough_code", cols.parent_code),
        ("borough_name", cols.parent_name)) if col is not None)
    report.add("info", label, f"layout '{cols.vintage}': {used}",
               "Pass code_col= / name_col= / parent_code_col= / parent_name_col= to change.")
    raw = _to_analysis_crs(raw, label, assume_crs, report)
    areas = _standardise(raw, cols, label, report)
    areas = _check_geometries(areas, label, report)
    if not report.errors():
        report_overlaps(areas, label, report)
    if report.errors():
        raise InputDataError(
            f"{label}: the boundary file cannot be used as it is "
            f"({len(report.errors())} problems).", report,
        )
    return areas, report


def polygonal_part(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """Return the polygonal part of a geometry (``None`` when it has none).

    Parameters
    ----------
    geom
        Any geometry, e.g. the output of :func:`shapely.make_valid`.

    Returns
    -------
    shapely.Geometry or None
        A Polygon or MultiPolygon, or ``None`` when ``geom`` has no polygon with area.

    Examples
    --------
    >>> from shapely import GeometryCollection, LineString, box
    >>> polygonal_part(GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (2, 2)])]))
    <POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))>
    """
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL and not p.is_empty]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    if not polys:
        return None
    if len(polys) == 1:
        return polys[0]
    multi = shapely.MultiPolygon(polys)
    return multi if multi.is_valid else shapely.union_all(polys)


def repair_polygons(geoms: np.ndarray) -> np.ndarray:
    """Return :func:`shapely.make_valid` repairs that keep area as boundaries intend.

    Uses ``method="structure"`` (parts of a MultiPolygon are unioned, holes
    subtracted, collapsed parts dropped), so a part nested inside another is kept
    rather than cut out as the default ``"linework"`` method does; a self-intersecting
    ring (bow-tie) becomes its lobes. Apply :func:`polygonal_part` to the result.

    Parameters
    ----------
    geoms
        Array of (invalid) geometries.

    Returns
    -------
    numpy.ndarray
        Valid geometries, one per input.
    """
    return np.asarray(shapely.make_valid(geoms, method="structure", keep_collapsed=False))


# --------------------------------------------------------------------------- reading


def _label(path: str | Path) -> str:
    """Return the file name used in messages."""
    return Path(str(path)).name


def _choose_layer(path: str | Path, layer: str | None, label: str) -> str | None:
    """Return the layer to read; raise when the choice is missing or wrong."""
    if not str(path).startswith("/vsi") and not Path(path).exists():
        raise FileNotFoundError(f"Boundary file not found: {path}")
    if not str(path).startswith("/vsi") and Path(path).is_file() and Path(path).stat().st_size == 0:
        raise EmptyInputError(f"{label} is empty (0 bytes). Export the boundaries again.")
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except pyogrio.errors.DataSourceError as exc:
        raise InputDataError(
            f"{label} cannot be read as a GIS file ({exc}). Use a GeoPackage, GeoJSON or "
            "shapefile (with its .shx, .dbf and .prj)."
        ) from exc
    if layer is not None and layer not in layers:
        raise InputDataError(
            f"{label} has no layer '{layer}'. Its layers are: {', '.join(layers)}. "
            f"Pass one of them as layer=."
        )
    if layer is None and len(layers) > 1:
        raise InputDataError(
            f"{label} has {len(layers)} layers: {', '.join(layers)}. "
            f"Choose one with layer=, e.g. layer='{layers[0]}'."
        )
    return layer


def _read_layer(path: str | Path, layer: str | None, label: str) -> gpd.GeoDataFrame:
    """Read the layer; raise :class:`EmptyInputError` when it has no rows."""
    try:
        raw = pyogrio.read_dataframe(path, layer=layer)
    except pyogrio.errors.DataSourceError as exc:
        raise InputDataError(f"{label} cannot be read as a GIS file ({exc}).") from exc
    if not isinstance(raw, gpd.GeoDataFrame) or len(raw) == 0:
        raise EmptyInputError(
            f"{label} has no features (0 rows{'' if layer is None else f' in layer {layer!r}'}). "
            "Check that the right file and layer were exported."
        )
    return raw.reset_index(drop=True)


def _resolve_columns(
    columns: list[str],
    label: str,
    *,
    code_col: str | None,
    name_col: str | None,
    parent_code_col: str | None,
    parent_name_col: str | None,
) -> _Columns:
    """Return the source column of each standard column (detected or given)."""
    present = [c for c in columns if c != "geometry"]
    detected: dict[str, str | None] = {"code": None, "name": None, "pc": None, "pn": None}
    vintage = "custom"
    if code_col is None:
        try:
            vintage = detect_vintage(present)
        except ColumnMappingError as exc:
            raise ColumnMappingError(f"{label}: {exc}") from None
        v = VINTAGES[vintage]
        detected = {"code": v.code_col, "name": v.name_col,
                    "pc": v.parent_code_col if v.parent_code_col in present else None,
                    "pn": v.parent_name_col if v.parent_name_col in present else None}
    chosen = {"code": code_col or detected["code"], "name": name_col or detected["name"],
              "pc": parent_code_col or detected["pc"], "pn": parent_name_col or detected["pn"]}
    missing = [c for c in chosen.values() if c is not None and c not in present]
    if missing:
        raise ColumnMappingError(
            f"{label}: column(s) {', '.join(repr(m) for m in missing)} not found. "
            f"The file's columns are: {', '.join(present)}. Check the spelling (case matters)."
        )
    code = chosen["code"]
    if code is None:  # unreachable: a detected layout always has a code column
        raise ColumnMappingError(f"{label}: no area code column; pass code_col=.")
    return _Columns(code, chosen["name"], chosen["pc"], chosen["pn"], vintage)


# --------------------------------------------------------------------------- CRS


def _inside(bounds: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Return whether finite ``bounds`` (minx, miny, maxx, maxy) lie inside ``box``."""
    if not np.all(np.isfinite(bounds)):
        return False
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    return box[0] <= minx and box[1] <= miny and maxx <= box[2] and maxy <= box[3]


def _describe_bounds(bounds: np.ndarray) -> str:
    """Return the coordinate range as text."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    return f"x {minx:,.6g} to {maxx:,.6g}, y {miny:,.6g} to {maxy:,.6g}"


def _suggest_crs(bounds: np.ndarray) -> str:
    """Return the ``assume_crs=`` advice that fits the coordinates."""
    if _inside(bounds, LONLAT_BOUNDS):
        return ('The coordinates look like longitude/latitude: pass assume_crs="EPSG:4326" '
                "(or add the CRS to the file).")
    if _inside(bounds, BNG_BOUNDS):
        return ('The coordinates look like British National Grid metres: pass '
                'assume_crs="EPSG:27700" (or add the CRS to the file).')
    return ('The coordinates look like neither longitude/latitude nor British National Grid: '
            'pass assume_crs="EPSG:<code>" with the EPSG code of their CRS.')


def _declared_crs(
    raw: gpd.GeoDataFrame, label: str, bounds: np.ndarray, assume_crs: object, report: Report,
) -> CRS:
    """Return the CRS the coordinates are in (file's, assumed, or accepted ambiguous)."""
    declared = raw.crs
    if assume_crs is not None:
        try:
            assumed = CRS.from_user_input(assume_crs)
        except PyprojCRSError as exc:
            raise CRSError(f"{label}: assume_crs={assume_crs!r} is not a CRS pyproj knows "
                           f"({exc}). Use e.g. assume_crs=\"EPSG:27700\".") from exc
        if declared is None:
            report.add("info", label,
                       f"the file has no CRS; using assume_crs={assumed.to_string()}")
        elif not declared.equals(assumed):
            report.add("warning", label,
                       f"the file declares CRS '{declared.name}' but assume_crs="
                       f"{assumed.to_string()} overrides it",
                       "Remove assume_crs= if the file's own CRS is right.")
        return assumed
    if declared is None:
        raise CRSError(f"{label} has no coordinate reference system (no .prj / CRS in the file; "
                       f"{_describe_bounds(bounds)}). {_suggest_crs(bounds)}")
    if declared.to_epsg() is not None:
        return declared
    closest = declared.to_epsg(min_confidence=20)
    shift = _shift_from_bng(declared, bounds) if closest == 27700 else math.inf
    if closest == 27700 and _inside(bounds, BNG_BOUNDS) and shift <= 1.0:
        report.add("warning", label,
                   f"the file's CRS '{declared.name}' has no exact EPSG match (e.g. ESRI-style "
                   "WKT .prj); its closest match is EPSG:27700 and the coordinates lie within "
                   "British National Grid, so it was treated as EPSG:27700",
                   'Pass assume_crs="EPSG:27700" to state this explicitly.')
        return CRS.from_epsg(27700)
    near = f"its closest EPSG match is EPSG:{closest}" if closest else "no EPSG code matches it"
    if closest == 27700 and math.isfinite(shift) and shift > 1.0:
        near += f", but its parameters move points by up to {shift:,.0f} m from EPSG:27700"
    raise CRSError(f"{label}: the CRS '{declared.name}' is ambiguous ({near}; coordinates "
                   f"{_describe_bounds(bounds)}). {_suggest_crs(bounds)}")


def _shift_from_bng(crs: CRS, bounds: np.ndarray) -> float:
    """Return how far (m) ``crs`` puts the layer's corners from where EPSG:27700 does.

    The corners are read as coordinates in ``crs`` and transformed to EPSG:27700: a CRS
    that is British National Grid in different words moves them by millimetres.
    """
    if not np.all(np.isfinite(bounds)):
        return math.inf
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    xs = np.array([minx, minx, maxx, maxx, (minx + maxx) / 2])
    ys = np.array([miny, maxy, miny, maxy, (miny + maxy) / 2])
    try:
        tx, ty = Transformer.from_crs(crs, 27700, always_xy=True).transform(xs, ys)
    except PyprojCRSError:
        return math.inf
    shift = float(np.max(np.hypot(np.asarray(tx) - xs, np.asarray(ty) - ys)))
    return shift if math.isfinite(shift) else math.inf


def _check_crs_fits(crs: CRS, label: str, bounds: np.ndarray) -> None:
    """Raise :class:`CRSError` when the coordinates cannot be in ``crs`` (a CRS mix-up)."""
    if not np.all(np.isfinite(bounds)):
        return
    where = _describe_bounds(bounds)
    if crs.is_geographic and not _inside(bounds, LONLAT_BOUNDS):
        raise CRSError(f"{label}: CRS mix-up: the CRS '{crs.name}' is longitude/latitude but the "
                       f"coordinates ({where}) look like metres. {_suggest_crs(bounds)}")
    if crs.is_projected and _inside(bounds, LONLAT_BOUNDS):
        raise CRSError(f"{label}: CRS mix-up: the CRS '{crs.name}' is projected (metres) but the "
                       f"coordinates ({where}) look like longitude/latitude degrees. "
                       f"{_suggest_crs(bounds)}")
    if crs.to_epsg() == 27700 and not _inside(bounds, BNG_BOUNDS):
        raise CRSError(f"{label}: CRS mix-up: the coordinates ({where}) are outside British "
                       f"National Grid's range, so they are not EPSG:27700. {_suggest_crs(bounds)}")


def _to_analysis_crs(
    raw: gpd.GeoDataFrame, label: str, assume_crs: object, report: Report,
) -> gpd.GeoDataFrame:
    """Return ``raw`` in EPSG:27700 after resolving and checking its CRS."""
    bounds = np.asarray(raw.total_bounds, dtype=float)
    crs = _declared_crs(raw, label, bounds, assume_crs, report)
    _check_crs_fits(crs, label, bounds)
    frame = raw.set_crs(crs, allow_override=True)
    if crs.to_epsg() == 27700:
        return frame.set_crs(ANALYSIS_CRS, allow_override=True)
    frame = frame.to_crs(ANALYSIS_CRS)
    new = np.asarray(frame.total_bounds, dtype=float)
    if not np.all(np.isfinite(new)):
        raise CRSError(f"{label}: reprojecting from '{crs.name}' to EPSG:27700 failed (infinite "
                       f"coordinates). {_suggest_crs(bounds)}")
    report.add("info", label, f"reprojected from {crs.to_string()} ('{crs.name}') to EPSG:27700")
    if not _inside(new, BNG_BOUNDS):
        report.add("warning", label, f"after reprojection the areas lie partly outside Great "
                   f"Britain ({_describe_bounds(new)})", "Check the file's CRS.")
    return frame


# --------------------------------------------------------------------------- columns


def _text(values: pd.Series) -> pd.Series:
    """Return values as stripped strings; blanks become missing."""
    out = values.astype("str").str.strip()
    return out.where(values.notna() & (out != ""))


def _standardise(
    raw: gpd.GeoDataFrame, cols: _Columns, label: str, report: Report,
) -> gpd.GeoDataFrame:
    """Return the standard columns; report blank and duplicate codes, blank names."""
    n = len(raw)
    missing = pd.Series([None] * n, dtype="str")
    code = _text(raw[cols.code])
    name = _text(raw[cols.name]) if cols.name else code.copy()
    if cols.name is None:
        report.add("info", label, "no name column: area codes are used as names",
                   "Pass name_col= to show names.")
    areas = gpd.GeoDataFrame(
        {
            "area_code": code,
            "area_name": name,
            "borough_code": _text(raw[cols.parent_code]) if cols.parent_code else missing,
            "borough_name": _text(raw[cols.parent_name]) if cols.parent_name else missing,
            "vintage": pd.Series([cols.vintage] * n, dtype="str"),
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
    )
    for i in np.flatnonzero(code.isna().to_numpy()):
        report.add("error", label, "blank area code", f"Fill in '{cols.code}' or remove the row.",
                   row=int(i) + 2, column=cols.code)
    dup = code.notna() & code.duplicated(keep=False)
    for value, rows in code[dup].groupby(code[dup]).groups.items():
        shown = ", ".join(str(int(r) + 2) for r in rows)
        report.add("error", label, f"area code {value} appears {len(rows)} times (rows {shown})",
                   "Area codes must be unique: dissolve the parts into one (Multi)Polygon or "
                   "fix the codes.", row=int(rows[1]) + 2, column=cols.code, count=len(rows))
    blank_names = int((name.isna() & code.notna()).sum())
    if blank_names:
        report.add("warning", label, "blank area names", "Names are shown in maps and tables.",
                   column=cols.name, count=blank_names)
    return areas


# --------------------------------------------------------------------------- geometry


#: Overlaps smaller than this (square metres) are slivers from generalisation, not reported.
OVERLAP_MIN_M2 = 1.0


def overlapping_areas(areas: gpd.GeoDataFrame, *, min_m2: float = OVERLAP_MIN_M2,
                      ) -> pd.DataFrame:
    """Return the pairs of areas whose interiors overlap by more than ``min_m2``.

    The GEOS coverage validator (:func:`shapely.coverage_invalid_edges`) first
    finds the polygons whose edges do not match their neighbours' (fast, even for
    35,000 LSOAs); only those are intersected pairwise.

    Parameters
    ----------
    areas
        Area layer in a projected CRS (metres), ``area_code`` and ``geometry``.
    min_m2
        Smallest overlap reported.

    Returns
    -------
    pandas.DataFrame
        ``code_a``, ``code_b`` (``code_a < code_b``) and ``overlap_m2``, largest first.
    """
    geoms = np.asarray(areas.geometry.values, dtype=object)
    codes = areas["area_code"].astype(str).to_numpy()
    empty = pd.DataFrame({"code_a": pd.Series(dtype=str), "code_b": pd.Series(dtype=str),
                          "overlap_m2": pd.Series(dtype=float)})
    if len(geoms) < 2:
        return empty
    try:
        odd = np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(geoms)))
    except shapely.errors.GEOSException:
        odd = np.arange(len(geoms))
    if len(odd) < 1:
        return empty
    sub = geoms[odd]
    left, right = shapely.STRtree(sub).query(sub, predicate="intersects")
    keep = left < right
    left, right = odd[left[keep]], odd[right[keep]]
    try:
        area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    except shapely.errors.GEOSException:
        area = np.array([shapely.area(shapely.intersection(a, b, grid_size=0.01))
                         for a, b in zip(geoms[left], geoms[right], strict=True)])
    big = area > min_m2
    a, b = codes[left[big]], codes[right[big]]
    out = pd.DataFrame({"code_a": np.minimum(a, b), "code_b": np.maximum(a, b),
                        "overlap_m2": area[big]})
    return out.sort_values(["overlap_m2", "code_a"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def report_overlaps(areas: gpd.GeoDataFrame, label: str, report: Report) -> None:
    """Report overlapping areas, and the rule that counts a point in an overlap once."""
    pairs = overlapping_areas(areas)
    if pairs.empty:
        return
    shown = "; ".join(f"{r.code_a} and {r.code_b} ({r.overlap_m2:,.0f} m²)"
                      for r in pairs.head(5).itertuples())
    more = f" and {len(pairs) - 5} more pairs" if len(pairs) > 5 else ""
    report.add("warning", label, f"{len(pairs)} pair(s) of areas overlap: {shown}{more}. A "
               "point in an overlap is counted once, in the area with the lowest code (here "
               f"{pairs['code_a'].iloc[0]})", "Check the boundaries: areas of one layer "
               "should not overlap (two vintages or a duplicated ward mixed?).",
               column="geometry", count=len(pairs))


def _check_geometries(areas: gpd.GeoDataFrame, label: str, report: Report) -> gpd.GeoDataFrame:
    """Report missing / non-polygonal geometries; repair invalid polygons with make_valid."""
    geoms = np.asarray(areas.geometry.values, dtype=object)
    kinds = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    polygonal = np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    for i in np.flatnonzero(missing):
        report.add("error", label, f"area {areas['area_code'].iat[i]} has no geometry",
                   "Remove the row or draw its boundary.", row=int(i) + 2, column="geometry")
    for i in np.flatnonzero(~missing & ~polygonal):
        report.add("error", label,
                   f"area {areas['area_code'].iat[i]} has a {geoms[i].geom_type} geometry, "
                   "not a polygon", "Boundary layers must hold only Polygon / MultiPolygon "
                   "areas: remove points and lines.", row=int(i) + 2, column="geometry")
    bad = np.flatnonzero(~missing & polygonal & ~shapely.is_valid(geoms))
    if len(bad) == 0:
        return areas
    reasons = shapely.is_valid_reason(geoms[bad])
    fixed = [polygonal_part(g) for g in repair_polygons(geoms[bad])]
    for i, reason, new in zip(bad, reasons, fixed, strict=True):
        code, name = areas["area_code"].iat[i], areas["area_name"].iat[i]
        if new is None:
            report.add("error", label, f"area {code} ({name}) is invalid ({reason}) and "
                       "make_valid leaves no polygon", "Redraw its boundary.",
                       row=int(i) + 2, column="geometry")
            continue
        before, after = float(shapely.area(geoms[i])), float(new.area)
        change = "" if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-6) else (
            f"; area {before:,.0f} -> {after:,.0f} m²")
        report.add("warning", label, f"invalid polygon repaired with shapely.make_valid: {code} "
                   f"({name}): {reason}{change}", "Check the boundary if it matters; the "
                   "repaired shape is used.", row=int(i) + 2, column="geometry")
        geoms[i] = new
    out = areas.copy()
    out["geometry"] = gpd.GeoSeries(geoms, index=areas.index, crs=areas.crs)
    return out
