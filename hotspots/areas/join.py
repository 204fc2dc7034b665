"""Records meet areas here, and only here: points, codes and names to areas.

Every join returns the assigned records plus a
:class:`~hotspots.areas.reconciliation.Reconciliation` in which
``rows_in == assigned + unlocated + outside + rejected`` always holds, and a
per-row detail frame says which rows were not assigned and why. Nothing is
dropped silently and nothing is counted twice.

Boundary rule (documented once, used everywhere): a point is matched to the
areas it *intersects*, so a point exactly on a shared edge or vertex touches
two or more areas; it is assigned to the one with the lowest ``area_code``
(string order). Points inside no area are *outside*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import CRSError, InputDataError
from hotspots.areas import locate
from hotspots.areas.locate import build_locator, locate_points
from hotspots.areas.names import match_names
from hotspots.areas.project import project_xy
from hotspots.areas.reconciliation import (
    STATUS_ASSIGNED,
    STATUS_OUTSIDE,
    STATUS_REJECTED,
    STATUS_UNLOCATED,
    Reconciliation,
    reconcile,
    reconcile_points,
    unassigned_rows,
)

__all__ = [
    "codes_to_areas",
    "count_by_area",
    "locate_records",
    "lsoas_to_areas",
    "names_to_areas",
    "placed_by",
    "points_to_areas",
]


def _check_areas(areas: gpd.GeoDataFrame) -> None:
    if areas.crs is None:
        raise CRSError("The area layer has no CRS. Load it with boundaries.load.read_boundaries.")
    _check_areas_codes(areas)


def points_to_areas(
    records: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    *,
    crs: str,
    x: str = "x",
    y: str = "y",
    source: str = "records",
    rejected: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Reconciliation]:
    """Assign point records to the area containing them, through a spatial index.

    Parameters
    ----------
    records
        One row per record with coordinate columns ``x`` and ``y`` (NaN when
        the record has no location) and ideally ``source``/``source_row``.
    areas
        Area layer with unique ``area_code``; any projected or geographic CRS.
    crs
        CRS of the record coordinates, e.g. ``"EPSG:4326"`` for police.uk.
    x, y
        Coordinate column names.
    source
        Label used in the reconciliation.
    rejected
        Rows the reader already rejected (counted as *rejected*).

    Returns
    -------
    assigned : DataFrame
        The located records with ``area_code`` added (each exactly once).
    reconciliation : Reconciliation
        ``rows_in == assigned + unlocated + outside + rejected``.

    Raises
    ------
    CRSError
        If the area layer has no CRS.

    Notes
    -----
    Points on a shared edge go to the touching area with the lowest
    ``area_code``; see the module docstring. The result equals
    ``geopandas.sjoin(points, areas, predicate="intersects")`` with that rule;
    :mod:`hotspots.areas.locate` gets it faster (repeated coordinates located once,
    raster lookup away from boundaries) in bounded memory (a chunk at a time).
    """
    _check_areas(areas)
    xs, ys = records[x].to_numpy(dtype=float), records[y].to_numpy(dtype=float)
    has_xy = ~np.isnan(xs) & ~np.isnan(ys)
    codes = areas["area_code"].astype(str).to_numpy()
    pos = np.full(len(records), -1, dtype=np.int64)
    located = slice(None) if has_xy.all() else has_xy  # a view when every row has x, y
    pos[located] = _locate_positions(xs[located], ys[located], areas, codes, crs)
    inside = pos >= 0
    rows = np.flatnonzero(inside)
    # one copy of the records: the assigned rows (two million points are not copied twice);
    # their codes taken from the layer's (a million Python strings are never made)
    assigned = records.iloc[rows].assign(area_code=pd.array(codes, dtype="str").take(pos[rows]))
    return reconcile_points(source, records, assigned, has_xy, inside, rejected,
                            where="every area")


def _locate_positions(
    x: np.ndarray, y: np.ndarray, areas: gpd.GeoDataFrame, codes: np.ndarray, crs: str
) -> np.ndarray:
    """Position in ``areas`` (``-1`` outside every area) of each located point.

    Each distinct coordinate is projected and located once when coordinates repeat
    (police.uk snaps crimes to map points); when nearly all are distinct (a sample
    says so) the points are projected a chunk at a time instead, without the hash
    table and copies that deduplication costs (hundreds of MB for millions of points).
    """
    loc = build_locator(np.asarray(areas.geometry.array, dtype=object), codes)
    inverse = None
    if _unique_share(x, y) >= _DISTINCT:
        px, py = np.empty(len(x)), np.empty(len(x))
        for a in range(0, len(x), _CHUNK):
            b = min(a + _CHUNK, len(x))
            px[a:b], py[a:b] = project_xy(x[a:b], y[a:b], crs, areas.crs,
                                          threads=locate.THREADS)
    else:
        xy = np.empty(len(x), dtype=np.complex128)
        xy.real, xy.imag = x + 0.0, y + 0.0
        # hashed, not sorted: a million points in 0.1 s instead of 0.25 s
        inverse, uniq = pd.factorize(xy)
        del xy
        px, py = project_xy(uniq.real, uniq.imag, crs, areas.crs, threads=locate.THREADS)
        del uniq
    finite = np.isfinite(px) & np.isfinite(py)  # e.g. metres given as degrees
    if finite.all():
        pos = locate_points(loc, px, py)
    else:
        pos = np.full(len(px), -1, dtype=np.int64)
        if finite.any():
            pos[finite] = locate_points(loc, px[finite], py[finite])
    return pos if inverse is None else pos[inverse]


#: Share of distinct coordinates (in a sample) above which points are not deduplicated.
_DISTINCT = 0.95
_CHUNK = 1 << 20  # points projected at once when not deduplicated


def _unique_share(x: np.ndarray, y: np.ndarray, sample: int = 50_000) -> float:
    """Share of distinct coordinates in an evenly spaced sample of about ``sample``.

    >>> _unique_share(np.array([1.0, 1.0, 2.0, 3.0]), np.zeros(4))
    0.75
    """
    step = max(1, len(x) // sample)
    xy = np.empty(len(x[::step]), dtype=np.complex128)
    xy.real, xy.imag = x[::step] + 0.0, y[::step] + 0.0
    return len(np.unique(xy)) / max(1, len(xy))


def codes_to_areas(
    records: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    code_col: str,
    source: str = "records",
    rejected: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Reconciliation]:
    """Assign records to areas by an area code column (e.g. a ward GSS code).

    Blank codes are *unlocated*; codes the layer does not have are *outside*
    (the reason names the code, which often means another boundary vintage).

    Parameters
    ----------
    records
        Records with ``code_col``.
    areas
        Frame with unique ``area_code``.
    code_col
        Column holding the code.
    source
        Label used in the reconciliation.
    rejected
        Rows the reader already rejected.

    Returns
    -------
    tuple of (DataFrame, Reconciliation)
        Assigned records with ``area_code`` and the reconciliation.
    """
    _check_areas_codes(areas)
    code = records[code_col].astype("string").str.strip().str.upper()
    blank = code.isna() | (code == "")
    known = code.isin(set(areas["area_code"].astype(str)))
    assigned = records.loc[~blank & known].copy()
    assigned["area_code"] = code[~blank & known].astype(str).to_numpy()
    unknown = records.loc[~blank & ~known]
    parts = [
        unassigned_rows(records.loc[blank], STATUS_UNLOCATED, f"blank {code_col}"),
        unassigned_rows(
            unknown,
            STATUS_OUTSIDE,
            "code " + code[~blank & ~known].astype(str) + " is not in the area layer "
            "(another boundary vintage?)",
        ),
    ]
    return reconcile(source, assigned, parts, rejected)


def _check_areas_codes(areas: pd.DataFrame) -> None:
    if "area_code" not in areas.columns:
        raise InputDataError("The area layer has no 'area_code' column.")
    if areas["area_code"].duplicated().any():
        dup = areas.loc[areas["area_code"].duplicated(), "area_code"].iloc[0]
        raise InputDataError(f"The area layer repeats area_code {dup!r}; codes must be unique.")


def names_to_areas(
    records: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    name_col: str,
    borough_col: str | None = None,
    source: str = "records",
    rejected: pd.DataFrame | None = None,
    ward_names: Mapping[str, str] | Iterable[tuple[str, str]] = (),
) -> tuple[pd.DataFrame, Reconciliation]:
    """Assign records to areas by ward name, optionally qualified by borough.

    Names are compared after :func:`hotspots.io.standardise_area_name`
    (case, ``&``/``and``, punctuation, a trailing "ward"). A name that is not
    exactly one area (unknown, in another borough than the record's, or
    shared by wards of several boroughs with no borough to choose) is
    *without a location*: its reason offers the closest ward names, or names
    the boroughs (:mod:`hotspots.areas.names`). Nothing is matched by
    similarity unless the user confirmed it (``ward_names``).

    Parameters
    ----------
    records
        Records with ``name_col`` (and ``borough_col``).
    areas
        Frame with ``area_code``, ``area_name`` and ``borough_name``.
    name_col, borough_col
        Columns holding the ward name and (optionally) the borough name.
    source
        Label used in the reconciliation.
    rejected
        Rows the reader already rejected.
    ward_names
        Names the user confirmed, ``{name as written: area code}``.

    Returns
    -------
    tuple of (DataFrame, Reconciliation)
        Assigned records with ``area_code`` and the reconciliation.
    """
    _check_areas_codes(areas)
    names = records[name_col].astype("string")
    boroughs = (
        records[borough_col].astype("string")
        if borough_col
        else pd.Series(pd.NA, index=records.index)
    )
    status, reason, codes = match_names(names, boroughs, areas, ward_names=ward_names)
    status_s = pd.Series(status, index=records.index)
    ok = status_s == STATUS_ASSIGNED
    assigned = records.loc[ok].copy()
    assigned["area_code"] = [c for c, o in zip(codes, ok, strict=True) if o]
    reason_s = pd.Series(reason, index=records.index)
    parts = [
        unassigned_rows(records.loc[status_s == s], s, reason_s[status_s == s])
        for s in (STATUS_UNLOCATED, STATUS_OUTSIDE, STATUS_REJECTED)
    ]
    return reconcile(source, assigned, parts, rejected)


def lsoas_to_areas(
    records: pd.DataFrame,
    lookup: pd.DataFrame,
    *,
    lsoa_col: str = "lsoa_code",
    source: str = "records",
    rejected: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Reconciliation]:
    """Assign records to areas through an LSOA -> area best-fit lookup.

    Parameters
    ----------
    records
        Records with an LSOA code column.
    lookup
        Frame with unique ``lsoa_code`` and ``area_code``.
    lsoa_col
        Column holding the LSOA code.
    source
        Label used in the reconciliation.
    rejected
        Rows the reader already rejected.

    Returns
    -------
    tuple of (DataFrame, Reconciliation)
        Assigned records with ``area_code`` and the reconciliation.
    """
    if lookup["lsoa_code"].duplicated().any():
        raise InputDataError("The LSOA lookup lists an LSOA more than once; it must be best-fit.")
    table = lookup.set_index(lookup["lsoa_code"].astype(str))
    code = records[lsoa_col].astype("string").str.strip().str.upper().str.replace(
        " ", "", regex=False)
    blank = code.isna() | (code == "")
    area = code.map(table["area_code"])
    vintage = (code.map(table["vintage"]) if "vintage" in table
               else pd.Series(pd.NA, index=code.index, dtype="string"))
    known = area.notna() & ~blank
    unknown = ~blank & (vintage == "unknown").fillna(False).astype(bool)
    listed = ~blank & code.isin(table.index)
    nowhere = ~blank & ~known & ~unknown & listed
    missing = ~blank & ~known & ~unknown & ~listed
    assigned = records.loc[known].copy()
    assigned["area_code"] = area[known].astype(str).to_numpy()
    when = vintage.fillna("").map(lambda v: f" ({v} LSOA)" if v else "")
    parts = [
        unassigned_rows(records.loc[blank], STATUS_UNLOCATED, f"blank {lsoa_col}"),
        unassigned_rows(records.loc[nowhere], STATUS_OUTSIDE,
                        "LSOA " + code[nowhere].astype(str) + when[nowhere]
                        + " lies outside every area"),
        unassigned_rows(records.loc[missing], STATUS_OUTSIDE,
                        "LSOA " + code[missing].astype(str) + " is not in the lookup"),
        unassigned_rows(records.loc[unknown], STATUS_REJECTED,
                        "'" + code[unknown].astype(str) + "' is no 2011 or 2021 LSOA code of "
                        "England and Wales"),
    ]
    return reconcile(source, assigned, parts, rejected)


def count_by_area(
    assigned: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    by: list[str] | None = None,
    weight: str | None = None,
) -> pd.DataFrame:
    """Count assigned records per area, with zero rows for areas without any.

    Parameters
    ----------
    assigned
        Records carrying ``area_code`` (output of a join).
    areas
        The area layer; every ``area_code`` appears in the result.
    by
        Extra grouping columns (e.g. ``["month"]``); zeros are not filled
        across these.
    weight
        Optional column to sum instead of counting rows (e.g. ``count`` for
        pre-aggregated data).

    Returns
    -------
    DataFrame
        ``area_code`` (+ ``by``) and ``count`` (int64).
    """
    by = by or []
    keys = ["area_code", *by]
    if weight:
        g = assigned.groupby(keys, observed=True)[weight].sum()
    else:
        g = assigned.groupby(keys, observed=True).size()
    out = g.rename("count").reset_index()
    if not by:
        out = (
            areas[["area_code"]]
            .merge(out, on="area_code", how="left")
            .fillna({"count": 0})
        )
    out["count"] = out["count"].astype("int64")
    return out


def locate_records(
    records: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    *,
    source: str = "records",
    rejected: pd.DataFrame | None = None,
    lsoa_lookup: pd.DataFrame | None = None,
    ward_names: Mapping[str, str] | Iterable[tuple[str, str]] = (),
) -> tuple[pd.DataFrame, Reconciliation]:
    """Assign records whose location may be given in different ways, row by row.

    Each row is placed by the first location it has, in this order:
    ``ward_code``, ``lsoa_code`` (needs ``lsoa_lookup``), ``x``/``y`` (with
    ``xy_crs``), ``ward_name`` (+ ``borough``). Rows with none are *unlocated*.

    Parameters
    ----------
    records
        Output of :func:`hotspots.io.read_referrals` (or any frame with some
        of the location columns).
    areas
        Area layer with ``area_code``, ``area_name``, ``borough_name``.
    source
        Label used in the reconciliation.
    rejected
        Rows the reader already rejected.
    lsoa_lookup
        ``lsoa_code`` -> ``area_code`` best-fit lookup, if LSOA codes are used.
    ward_names
        Ward names the user confirmed, ``{name as written: area code}``
        (see :func:`names_to_areas`).

    Returns
    -------
    tuple of (DataFrame, Reconciliation)
        Assigned records with ``area_code`` and one reconciliation for all rows.
    """
    kinds = placed_by(records, lsoa_lookup is not None)
    remaining = kinds == ""
    assigned_parts: list[pd.DataFrame] = []
    detail_parts: list[pd.DataFrame] = []
    for kind in _STEPS:
        take = kinds == kind
        if not take.any():
            continue
        sub = records.loc[take]
        if kind == "code":
            a, r = codes_to_areas(sub, areas, code_col="ward_code", source=source)
        elif kind == "lsoa":
            a, r = lsoas_to_areas(sub, lsoa_lookup, source=source)  # type: ignore[arg-type]
        elif kind == "xy":
            a, r = _points_by_crs(sub, areas, source)
        else:  # "name"
            borough = "borough" if "borough" in sub else None
            a, r = names_to_areas(sub, areas, name_col="ward_name", borough_col=borough,
                                  source=source, ward_names=ward_names)
        assigned_parts.append(a)
        detail_parts.append(r.details)
    detail_parts.append(
        unassigned_rows(
            records.loc[remaining],
            STATUS_UNLOCATED,
            "no ward code, LSOA, coordinates or ward name",
        )
    )
    assigned = (
        pd.concat(assigned_parts, ignore_index=True)
        if assigned_parts
        else records.iloc[0:0].assign(area_code=pd.Series(dtype=str))
    )
    if "source_row" in assigned:
        assigned = assigned.sort_values(["source", "source_row"], kind="stable")
    return reconcile(source, assigned, [d for d in detail_parts if len(d)], rejected)


#: The location steps of :func:`locate_records`, in order.
_STEPS = ("code", "lsoa", "xy", "name")


def placed_by(records: pd.DataFrame, lsoa: bool = False) -> pd.Series:
    """Return how :func:`locate_records` places each row: its first location given.

    Parameters
    ----------
    records
        Records with some of ``ward_code``, ``lsoa_code``, ``x``/``y``, ``ward_name``.
    lsoa
        Whether LSOA codes are used (a lookup is given).

    Returns
    -------
    Series
        ``"code"``, ``"lsoa"``, ``"xy"``, ``"name"`` or ``""`` (no location), per row.
    """

    def has(col: str) -> pd.Series:
        if col not in records:
            return pd.Series(False, index=records.index)
        s = records[col]
        return (s.notna() & (s.astype("string").str.strip() != "")).fillna(False).astype(bool)

    out = pd.Series("", index=records.index, dtype=object)
    for kind, mask in (("code", has("ward_code")), ("lsoa", has("lsoa_code") & lsoa),
                       ("xy", has("x") & has("y")), ("name", has("ward_name"))):
        out = out.mask((out == "") & mask, kind)
    return out


def _points_by_crs(
    sub: pd.DataFrame, areas: gpd.GeoDataFrame, source: str
) -> tuple[pd.DataFrame, Reconciliation]:
    crs_col = sub["xy_crs"] if "xy_crs" in sub else pd.Series("EPSG:4326", index=sub.index)
    parts_a, parts_d = [], []
    for crs, grp in sub.groupby(crs_col.fillna("EPSG:4326"), sort=True):
        a, r = points_to_areas(grp, areas, crs=str(crs), source=source)
        parts_a.append(a)
        parts_d.append(r.details)
    return reconcile(source, pd.concat(parts_a, ignore_index=True), parts_d, None)
