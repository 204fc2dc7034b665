"""Small areas (LSOAs) to the areas of another layer: ONS best-fit lookups and our own.

Two ways to say which area each LSOA belongs to:

* :func:`read_lsoa_ward_lookup` reads an ONS best-fit lookup CSV (LSOA11→WD18,
  LSOA21→WD25, ...);
* :func:`assign_best_fit` computes one from polygons, by the LSOA's point on surface
  (or, for comparison, by largest overlap), for layers no ONS lookup covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import ColumnMappingError, CRSError, EmptyInputError, InputDataError
from hotspots._validate import Report

__all__ = ["METHODS", "Method", "assign_best_fit", "lsoa21_to_lsoa11", "read_lsoa_ward_lookup",
           "read_text_table"]

Method = Literal["point_on_surface", "largest_overlap"]

_LOOKUP_PATTERNS = {
    "lsoa_code": r"LSOA\d{2}CD",
    "area_code": r"WDC?\d{2}CD",
    "area_name": r"WDC?\d{2}NM",
    "borough_code": r"LAD\d{2}CD",
    "borough_name": r"LAD\d{2}NM",
}


# --------------------------------------------------------------------------- reading


def read_text_table(path: str | Path, report: Report, *, label: str | None = None) -> pd.DataFrame:
    """Read a CSV (``.gz`` / ``.zip`` fine) as strings, UTF-8 (BOM or not) or cp1252.

    Parameters
    ----------
    path
        The CSV file.
    report
        Receives an info line when the cp1252 fallback is used.
    label
        Name used in messages (default: the file name).

    Returns
    -------
    pandas.DataFrame
        All cells as strings (blank cells missing), headers with surrounding spaces
        and any byte-order mark removed.

    Raises
    ------
    EmptyInputError
        The file is empty or has a header only.
    """
    label = label or Path(path).name
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                            na_values=[""])
    except UnicodeDecodeError:
        frame = pd.read_csv(path, dtype=str, encoding="cp1252", keep_default_na=False,
                            na_values=[""])
        report.add("info", label, "the file is not UTF-8; read as Windows-1252 (cp1252)",
                   "Save as UTF-8 to avoid surprises with accented names.")
    except pd.errors.EmptyDataError as exc:
        raise EmptyInputError(f"{label} is empty. Check the download.") from exc
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if len(frame) == 0:
        raise EmptyInputError(f"{label} has a header but no data rows. Check the download.")
    return frame


def _find_columns(columns: list[str], patterns: dict[str, str]) -> dict[str, str]:
    """Return ``{standard: column}`` for the first column fully matching each pattern."""
    found: dict[str, str] = {}
    for standard, pattern in patterns.items():
        hit = next((c for c in columns if re.fullmatch(pattern, c, flags=re.IGNORECASE)), None)
        if hit is not None:
            found[standard] = hit
    return found


def read_lsoa_ward_lookup(path: str | Path) -> pd.DataFrame:
    """Read an ONS LSOA → ward (→ local authority) best-fit lookup.

    Parameters
    ----------
    path
        ONS lookup CSV, e.g. ``LSOA11_WD18_LAD18_EW_LU_v3.csv.gz`` (``LSOA11CD``,
        ``WD18CD``, ``WD18NM``, ``LAD18CD``, ``LAD18NM``) or the LSOA21 → WD25 lookup
        (``LSOA21CD``, ``WD25CD``, ...; UTF-8 with BOM). Columns are recognised by
        pattern (``LSOAyyCD``, ``WDyyCD``, ``WDyyNM``, ``LADyyCD``, ``LADyyNM``).

    Returns
    -------
    pandas.DataFrame
        One row per LSOA, file order: ``lsoa_code``, ``area_code`` (ward),
        ``area_name``, ``borough_code``, ``borough_name`` (missing when the file has no
        such column).

    Raises
    ------
    ColumnMappingError
        No ``LSOAyyCD`` or ``WDyyCD`` column.
    EmptyInputError
        No data rows.
    InputDataError
        Blank codes, or an LSOA listed against two different wards (then the file is
        not a best-fit lookup); the message lists the rows.
    """
    label = Path(path).name
    report = Report()
    raw = read_text_table(path, report, label=label)
    cols = _find_columns(list(raw.columns), _LOOKUP_PATTERNS)
    if "lsoa_code" not in cols or "area_code" not in cols:
        raise ColumnMappingError(
            f"{label}: not an LSOA → ward lookup: expected columns like LSOA11CD and WD18CD, "
            f"found {', '.join(raw.columns)}."
        )
    out = pd.DataFrame({std: raw[cols[std]].str.strip() if std in cols
                        else pd.Series([None] * len(raw), dtype="str")
                        for std in _LOOKUP_PATTERNS})
    for std in ("lsoa_code", "area_code"):
        for i in np.flatnonzero(out[std].isna().to_numpy()):
            report.add("error", label, f"blank {std}", "Fill it in or remove the row.",
                       row=int(i) + 2, column=cols[std])
    out = out.drop_duplicates(subset=["lsoa_code", "area_code"])
    twice = out["lsoa_code"].notna() & out["lsoa_code"].duplicated(keep=False)
    for code, rows in out[twice].groupby("lsoa_code").groups.items():
        wards = ", ".join(sorted(out.loc[rows, "area_code"].dropna()))
        report.add("error", label, f"LSOA {code} is assigned to several wards ({wards})",
                   "A best-fit lookup lists each LSOA once; use the best-fit product.",
                   row=int(rows[1]) + 2, column=cols["lsoa_code"], count=len(rows))
    if report.errors():
        raise InputDataError(f"{label}: the lookup cannot be used as it is.", report)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- 2021 -> 2011


def lsoa21_to_lsoa11(
    codes21: pd.Series | list[str],
    codes11: set[str],
    polygons21: gpd.GeoDataFrame,
    polygons11: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Give every 2021 LSOA the 2011 LSOA whose values it takes.

    The rule: a 2021 LSOA whose code existed in 2011 takes that LSOA (ONS kept a
    code only where the LSOA did not change); any other (a new code from a
    split, merge or boundary change) takes the 2011 LSOA sharing the largest
    part of its area (ties to the lowest code).

    Parameters
    ----------
    codes21
        The 2021 LSOA codes to bridge.
    codes11
        Every 2011 code that has values (e.g. the index's LSOAs).
    polygons21
        ``lsoa_code``, ``geometry`` of (at least) the 2021 LSOAs whose code is new,
        EPSG:27700.
    polygons11
        ``lsoa_code``, ``geometry`` of the 2011 LSOAs they may overlap, EPSG:27700.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code`` (2021), ``lsoa11_code``,
        ``route`` (``"same code"``, ``"largest overlap"`` or ``"none"``; then
        ``lsoa11_code`` is missing),
        ``overlap_share`` (share of the 2021 LSOA's area inside that 2011 LSOA; 1 for
        the same code).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> p21 = gpd.GeoDataFrame({"lsoa_code": ["N1"]}, geometry=[box(0, 0, 10, 10)],
    ...                        crs="EPSG:27700")
    >>> p11 = gpd.GeoDataFrame({"lsoa_code": ["A", "B"]},
    ...                        geometry=[box(0, 0, 3, 10), box(3, 0, 10, 10)], crs="EPSG:27700")
    >>> lsoa21_to_lsoa11(["A", "N1"], {"A", "B"}, p21, p11).to_dict("list")
    {'lsoa_code': ['A', 'N1'], 'lsoa11_code': ['A', 'B'], 'route': ['same code', 'largest overlap'], 'overlap_share': [1.0, 0.7]}
    """  # noqa: E501
    codes = pd.Series(list(codes21), dtype="str").drop_duplicates().reset_index(drop=True)
    same = codes.isin(codes11).to_numpy()
    out = pd.DataFrame({"lsoa_code": codes, "lsoa11_code": codes.where(same, None),
                        "route": np.where(same, "same code", "none").astype(object),
                        "overlap_share": np.where(same, 1.0, np.nan)})
    new = polygons21[polygons21["lsoa_code"].isin(set(codes[~same]))].reset_index(drop=True)
    cand = polygons11[polygons11["lsoa_code"].isin(codes11)].reset_index(drop=True)
    if len(new) and len(cand):
        left = gpd.GeoDataFrame({"pos": np.arange(len(new))}, geometry=new.geometry.values,
                                crs=new.crs)
        pairs = gpd.sjoin(left, cand[["lsoa_code", "geometry"]], predicate="intersects")
        shared = shapely.area(shapely.intersection(
            np.asarray(new.geometry.values)[pairs["pos"].to_numpy()],
            np.asarray(cand.geometry.values)[pairs["index_right"].to_numpy()]))
        area = shapely.area(np.asarray(new.geometry.values))[pairs["pos"].to_numpy()]
        p = pd.DataFrame({"lsoa": new["lsoa_code"].to_numpy()[pairs["pos"].to_numpy()],
                          "lsoa11": pairs["lsoa_code"].to_numpy(), "shared": shared,
                          "share": np.divide(shared, area, out=np.zeros(len(area)),
                                             where=area > 0)})
        p = p[p["shared"] > 0].sort_values(["lsoa", "shared", "lsoa11"],
                                           ascending=[True, False, True])
        best = p.drop_duplicates("lsoa").set_index("lsoa")
        hit = out["lsoa_code"].isin(best.index) & ~same
        out.loc[hit, "lsoa11_code"] = out.loc[hit, "lsoa_code"].map(best["lsoa11"])
        out.loc[hit, "route"] = "largest overlap"
        out.loc[hit, "overlap_share"] = out.loc[hit, "lsoa_code"].map(best["share"]).round(6)
    return out


# --------------------------------------------------------------------------- best fit


def assign_best_fit(
    small: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    method: Method = "point_on_surface",
) -> tuple[pd.DataFrame, Report]:
    """Assign every small polygon (e.g. an LSOA) to exactly one area of another layer.

    Parameters
    ----------
    small
        Small-area polygons with their code in ``area_code`` (e.g. LSOAs read with
        :func:`boundaries.load.read_boundaries`).
    areas
        The target layer with ``area_code`` (e.g. wards), in the same projected CRS.
    method
        ``"point_on_surface"`` (default): the area containing the small polygon's
        point on surface (:meth:`~geopandas.GeoSeries.representative_point`, always
        inside the polygon, unlike the centroid). ``"largest_overlap"``: the area
        sharing the largest intersection area (slower; for comparison).

    Returns
    -------
    assignment : pandas.DataFrame
        One row per small polygon, in input order: ``small_code``, ``area_code``,
        ``method`` (``"point_on_surface"``, ``"largest_overlap"`` or ``"nearest"``).
    report : hotspots._validate.Report
        Small areas on a boundary or in overlapping areas (info / warning) and those
        outside every area (warning, with the area used and the distance).

    Raises
    ------
    ValueError
        Unknown ``method``.
    ColumnMappingError
        ``area_code`` missing from either layer.
    CRSError
        A layer has no CRS, the CRSs differ (both are printed), or the CRS is
        longitude/latitude (distances would be in degrees).
    EmptyInputError
        Either layer has no rows.
    InputDataError
        Duplicate or blank codes, or small areas without geometry.

    Notes
    -----
    Points are matched through the spatial index (``sjoin(predicate="within")``).
    Ties are resolved deterministically by the lowest ``area_code``: a point inside
    two overlapping areas, a point exactly on a shared boundary (``within`` neither,
    so matched with ``intersects``), or equal overlaps. Points outside every area
    (e.g. an LSOA beyond a clipped coastline) go to the nearest area
    (``sjoin_nearest``), with ``method="nearest"`` and a report line naming each.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    _check_layers(small, areas)
    report = Report()
    right = gpd.GeoDataFrame({"area_code": areas["area_code"].astype(str).to_numpy()},
                             geometry=areas.geometry.values, crs=areas.crs)
    codes = small["area_code"].astype(str).to_numpy()
    chosen = METHODS[method](small.geometry.reset_index(drop=True), right, codes, report)
    labels = np.where(pd.isna(chosen), "nearest", method).astype(object)
    missing = np.flatnonzero(pd.isna(chosen))
    if len(missing):
        points = small.geometry.reset_index(drop=True).iloc[missing].representative_point()
        chosen[missing] = _nearest(points, right, codes[missing], report)
    out = pd.DataFrame({"small_code": codes, "area_code": chosen, "method": labels})
    return out.astype({"small_code": "str", "area_code": "str", "method": "str"}), report


def _check_layers(small: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> None:
    """Raise when the two layers cannot be matched (columns, CRS, codes, emptiness)."""
    for name, layer in (("small", small), ("areas", areas)):
        if "area_code" not in layer.columns:
            raise ColumnMappingError(f"assign_best_fit: '{name}' has no 'area_code' column "
                                     f"(columns: {', '.join(map(str, layer.columns))}).")
        if len(layer) == 0:
            raise EmptyInputError(f"assign_best_fit: '{name}' has no rows.")
        if layer.crs is None:
            raise CRSError(f"assign_best_fit: '{name}' has no CRS. Read both layers with "
                           "boundaries.load.read_boundaries (EPSG:27700).")
    if not small.crs.equals(areas.crs):
        raise CRSError(f"assign_best_fit: CRS mismatch: small is {small.crs.to_string()}, areas "
                       f"is {areas.crs.to_string()}. Reproject one with .to_crs(), or read both "
                       "with read_boundaries (EPSG:27700).")
    if small.crs.is_geographic:
        raise CRSError(f"assign_best_fit: the layers are in longitude/latitude "
                       f"({small.crs.to_string()}); distances would be in degrees. Use "
                       ".to_crs('EPSG:27700') or read them with read_boundaries.")
    report = Report()
    for name, layer in (("small", small), ("areas", areas)):
        code = layer["area_code"]
        for i in np.flatnonzero((code.isna() | (code.astype(str).str.strip() == "")).to_numpy()):
            report.add("error", name, "blank area_code", "Fill it in.", row=int(i) + 2)
        for value in sorted(code[code.duplicated()].astype(str).unique()):
            report.add("error", name, f"area_code {value} appears more than once",
                       "Codes must be unique: dissolve the parts first.")
    for i in np.flatnonzero((small.geometry.isna() | small.geometry.is_empty).to_numpy()):
        report.add("error", "small", f"{small['area_code'].iat[i]} has no geometry",
                   "Remove it or add its polygon.", row=int(i) + 2)
    if report.errors():
        raise InputDataError("assign_best_fit: the layers cannot be matched.", report)


def _lowest_code(pairs: pd.DataFrame, *, order: list[str] | None = None) -> pd.DataFrame:
    """Keep one row per ``pos``: first by ``order`` then lowest ``area_code``."""
    keys = ["pos", *(order or []), "area_code"]
    ascending = [True] + [False] * len(order or []) + [True]
    return pairs.sort_values(keys, ascending=ascending, kind="stable").drop_duplicates("pos")


def _by_point_on_surface(
    geoms: gpd.GeoSeries, right: gpd.GeoDataFrame, codes: np.ndarray, report: Report,
) -> np.ndarray:
    """Return the area code containing each polygon's point on surface (None if none)."""
    points = gpd.GeoDataFrame({"pos": np.arange(len(geoms))},
                              geometry=geoms.representative_point().values, crs=right.crs)
    hits = gpd.sjoin(points, right, predicate="within", how="inner")[["pos", "area_code"]]
    _report_ties(hits, codes, report, "lies inside several overlapping areas", "warning")
    chosen = _lowest_code(hits)
    rest = points[~points["pos"].isin(chosen["pos"])]
    if len(rest):
        edge = gpd.sjoin(rest, right, predicate="intersects", how="inner")[["pos", "area_code"]]
        _report_ties(edge, codes, report, "has its point on surface on the boundary of", "info")
        chosen = pd.concat([chosen, _lowest_code(edge)])
    out = np.full(len(geoms), None, dtype=object)
    out[chosen["pos"].to_numpy()] = chosen["area_code"].to_numpy()
    return out


def _by_largest_overlap(
    geoms: gpd.GeoSeries, right: gpd.GeoDataFrame, codes: np.ndarray, report: Report,
) -> np.ndarray:
    """Return the area code sharing the largest intersection with each polygon."""
    left = gpd.GeoDataFrame({"pos": np.arange(len(geoms))}, geometry=geoms.values, crs=right.crs)
    pairs = gpd.sjoin(left, right, predicate="intersects", how="inner")
    shared = shapely.area(shapely.intersection(
        np.asarray(left.geometry.values)[pairs["pos"].to_numpy()],
        np.asarray(right.geometry.values)[pairs["index_right"].to_numpy()],
    ))
    pairs = pd.DataFrame({"pos": pairs["pos"].to_numpy(),
                          "area_code": pairs["area_code"].to_numpy(), "shared": shared})
    pairs = pairs[pairs["shared"] > 0]
    best = pairs.groupby("pos")["shared"].transform("max")
    _report_ties(pairs[pairs["shared"] == best], codes, report, "overlaps equally", "info")
    chosen = _lowest_code(pairs, order=["shared"])
    out = np.full(len(geoms), None, dtype=object)
    out[chosen["pos"].to_numpy()] = chosen["area_code"].to_numpy()
    return out


def _report_ties(
    pairs: pd.DataFrame, codes: np.ndarray, report: Report, what: str,
    severity: Literal["warning", "info"],
) -> None:
    """Add a line for each small area matched to several areas (lowest code chosen)."""
    groups = pairs.groupby("pos")["area_code"].agg(sorted)
    for pos, matched in groups[groups.map(len) > 1].items():
        report.add(severity, "assign_best_fit",
                   f"{codes[int(pos)]} {what} {', '.join(matched)}; assigned to {matched[0]} "
                   "(lowest code)", "Check the boundaries if this matters.")


def _nearest(
    points: gpd.GeoSeries, right: gpd.GeoDataFrame, codes: np.ndarray, report: Report,
) -> np.ndarray:
    """Return the nearest area code for each point (outside every area), reporting each."""
    frame = gpd.GeoDataFrame({"pos": np.arange(len(points))}, geometry=points.values,
                             crs=right.crs)
    near = gpd.sjoin_nearest(frame, right, how="inner", distance_col="distance_m")
    near = _lowest_code(near[["pos", "area_code", "distance_m"]])
    out = np.full(len(points), None, dtype=object)
    for pos, code, dist in near[["pos", "area_code", "distance_m"]].itertuples(index=False):
        out[int(pos)] = code
        report.add("warning", "assign_best_fit",
                   f"{codes[int(pos)]} lies outside every area (its point on surface is "
                   f"{dist:,.0f} m from the nearest); assigned to the nearest area {code}",
                   "Check that the two layers cover the same region.")
    return out


METHODS: dict[str, Callable[[gpd.GeoSeries, gpd.GeoDataFrame, np.ndarray, Report], np.ndarray]]
METHODS = {"point_on_surface": _by_point_on_surface, "largest_overlap": _by_largest_overlap}
"""Assignment methods of :func:`assign_best_fit`, keyed by name."""
