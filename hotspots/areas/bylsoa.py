"""police.uk rows placed by their own LSOA code, and how that differs from the snap point.

police.uk publishes each crime at an anonymised snap point *and* with the code
of the LSOA the crime was recorded in. The project places rows by the snap
point (point in polygon, :func:`hotspots.areas.coverage.place_police_uk`); on
a *generalised* boundary layer (ONS BGC: lines simplified to 20 m, clipped to
the coastline and the Thames) a point close to an edge can fall in the
neighbouring ward, or in no ward at all. This module holds the other rule and
the comparison, one place for the pack build and the page:

* :func:`place_by_lsoa` -- each row's LSOA code through the ONS LSOA (2021) ->
  ward (2025) best-fit lookup;
* :func:`compare_placements` -- the two rules row by row: same ward, another
  ward, placed by one rule only;
* :func:`placement_crosstab` -- where every row went under each rule (rows
  in = the sum of the table);
* :func:`generalisation_m` -- the generalisation a boundary description names;
* :func:`near_edge` -- which points lie within a distance of an area edge.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._validate import ReadResult
from hotspots.areas import reconciliation as join
from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE
from hotspots.areas.locate import project_xy

__all__ = ["NOT_COVERED", "compare_placements", "generalisation_m", "lsoa_vintage",
           "near_edge", "place_by_lsoa", "placement_crosstab"]

#: Reason of a row whose LSOA's ward lies in an authority the force does not cover.
NOT_COVERED = "its LSOA's ward is in an authority the recording force does not cover"

#: ONS boundary resolutions by their file-name code: generalisation in metres.
_ONS_CODES = {"BGC": 20.0, "BGE": 20.0, "BSC": 200.0, "BUC": 500.0}


def _member(values: pd.Series, known: Collection[str]) -> np.ndarray:
    """``values.isin(known)`` for large sets (pandas' Arrow-string ``isin`` is slow there)."""
    arr = values.astype(object).to_numpy()
    return np.fromiter((v in known for v in arr), dtype=bool, count=len(arr))


def lsoa_vintage(code: pd.Series, lookup_codes: Collection[str],
                 codes11: Collection[str]) -> pd.Series:
    """Return ``"2021"``, ``"2011 only"``, ``"unknown"`` or ``"blank"`` for each LSOA code.

    Examples
    --------
    >>> lsoa_vintage(pd.Series(["E01000001", "e01000004 ", "", "X1"]),
    ...              {"E01000001"}, {"E01000004"}).tolist()
    ['2021', '2011 only', 'blank', 'unknown']
    """
    c = code.astype("string").str.strip().str.upper().fillna("")
    return pd.Series(np.select(
        [(c == "").to_numpy(), _member(c, lookup_codes), _member(c, codes11)],
        ["blank", "2021", "2011 only"], "unknown"), index=code.index)


def place_by_lsoa(label: str, res: ReadResult, ward: Mapping[str, str],
                  pack_codes: Collection[str], covered: Collection[str],
                  codes11: Collection[str]) -> tuple[pd.DataFrame, join.Reconciliation]:
    """Place police.uk rows by their own LSOA code through a best-fit lookup.

    Parameters
    ----------
    label
        Reconciliation source label.
    res
        The file as read (:func:`hotspots.io.read_police_uk`).
    ward
        ``{LSOA (2021) code: ward code}`` (the whole lookup, not only the pack's).
    pack_codes
        Area codes of the layer.
    covered
        Area codes the force covers (others: outside the study area).
    codes11
        Every 2011 LSOA code (a 2011 code is *without a location*, wrong vintage).

    Returns
    -------
    tuple
        The assigned rows (with ``area_code``) and their reconciliation.

    Examples
    --------
    >>> from hotspots._validate import Report
    >>> f = pd.DataFrame({"source": "f.csv", "source_row": [2, 3, 4, 5],
    ...                   "lsoa_code": ["E01000001", "E01000004", None, "E01000009"]})
    >>> a, rec = place_by_lsoa("f", ReadResult(f, f.iloc[0:0], Report(), 4),
    ...                        {"E01000001": "W1", "E01000009": "W9"}, {"W1"}, {"W1"},
    ...                        {"E01000004"})
    >>> a["area_code"].tolist(), rec.assigned, rec.unlocated, rec.outside
    (['W1'], 1, 2, 1)
    """
    frame = res.frame
    code = frame["lsoa_code"].astype("string").str.strip().str.upper()
    vintage = lsoa_vintage(code, ward.keys(), codes11)
    area = code.map(ward)
    pack = set(pack_codes)
    in_pack = _member(area.fillna(""), pack)
    ok = in_pack & _member(area.fillna(""), set(covered))
    assigned = frame.loc[ok].assign(area_code=area[ok].astype(str))
    parts = [
        join.unassigned_rows(frame.loc[vintage == "blank"], join.STATUS_UNLOCATED,
                             "no LSOA code"),
        join.unassigned_rows(frame.loc[vintage == "2011 only"], join.STATUS_UNLOCATED,
                             "LSOA " + code[vintage == "2011 only"].astype(str) + " is a 2011 "
                             "code, not in the LSOA (2021) lookup (wrong vintage)"),
        join.unassigned_rows(frame.loc[vintage == "unknown"], join.STATUS_UNLOCATED,
                             "LSOA " + code[vintage == "unknown"].astype(str) + " is not an "
                             "LSOA code of England and Wales"),
        join.unassigned_rows(frame.loc[((vintage == "2021") & ~in_pack).to_numpy()],
                             join.STATUS_OUTSIDE, "its LSOA's ward is outside the study area"),
        join.unassigned_rows(frame.loc[in_pack & ~ok], join.STATUS_OUTSIDE, NOT_COVERED),
    ]
    assigned, rec = join.reconcile(label, assigned, parts, res.rejected)
    d = rec.details
    d.loc[d["reason"] == NOT_COVERED, "status"] = STATUS_OUTSIDE_COVERAGE
    return assigned, rec


def compare_placements(a_pt: pd.DataFrame, a_ls: pd.DataFrame) -> dict[str, int]:
    """Count rows both rules place (same or another ward) and rows only one places.

    Parameters
    ----------
    a_pt, a_ls
        Rows assigned by the snap point and by the LSOA code (``source``,
        ``source_row``, ``area_code``).

    Returns
    -------
    dict
        ``rows_same_ward``, ``rows_different_ward``, ``rows_point_only``,
        ``rows_lsoa_only``.

    Examples
    --------
    >>> pt = pd.DataFrame({"source": "f", "source_row": [2, 3, 4], "area_code": ["A", "B", "C"]})
    >>> ls = pd.DataFrame({"source": "f", "source_row": [2, 3, 5], "area_code": ["A", "C", "C"]})
    >>> compare_placements(pt, ls)
    {'rows_same_ward': 1, 'rows_different_ward': 1, 'rows_point_only': 1, 'rows_lsoa_only': 1}
    """
    k = ["source", "source_row"]
    m = a_pt[[*k, "area_code"]].merge(a_ls[[*k, "area_code"]], on=k, how="outer",
                                      suffixes=("_point", "_lsoa"), indicator=True)
    both = m["_merge"] == "both"
    return {"rows_same_ward": int((both & (m["area_code_point"] == m["area_code_lsoa"])).sum()),
            "rows_different_ward": int((both & (m["area_code_point"] != m["area_code_lsoa"]))
                                       .sum()),
            "rows_point_only": int((m["_merge"] == "left_only").sum()),
            "rows_lsoa_only": int((m["_merge"] == "right_only").sum())}


def _status(assigned: pd.DataFrame, rec: join.Reconciliation) -> pd.DataFrame:
    k = ["source", "source_row"]
    return pd.concat([assigned[k].assign(status=join.STATUS_ASSIGNED,
                                         area_code=assigned["area_code"].astype(str)),
                      rec.details[[*k, "status"]].assign(area_code=None)], ignore_index=True)


def placement_crosstab(pt: tuple[pd.DataFrame, join.Reconciliation],
                       ls: tuple[pd.DataFrame, join.Reconciliation]) -> pd.DataFrame:
    """Where every row went by snap point and by LSOA code (sums to rows in).

    Parameters
    ----------
    pt, ls
        ``(assigned rows, reconciliation)`` of the same file under each rule.

    Returns
    -------
    pandas.DataFrame
        ``by_point``, ``by_lsoa``, ``rows``: one row per pair of outcomes that
        occurs, where an outcome is ``"assigned"`` (``"assigned, same ward"`` /
        ``"assigned, another ward"`` when both rules assign) or the
        reconciliation status.

    Examples
    --------
    >>> from hotspots._validate import Report
    >>> f = pd.DataFrame({"source": "f", "source_row": [2, 3, 4]})
    >>> rec = lambda a, d: join.Reconciliation("f", 3, len(a), 0, len(d), 0, d)
    >>> out = lambda r: pd.DataFrame({"source": "f", "source_row": r, "status": "outside",
    ...                               "reason": "x"})
    >>> a1 = f.iloc[:2].assign(area_code=["A", "B"])
    >>> a2 = f.iloc[1:].assign(area_code=["A", "C"])
    >>> placement_crosstab((a1, rec(a1, out([4]))), (a2, rec(a2, out([2])))).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'by_point': 'assigned', 'by_lsoa': 'outside', 'rows': 1},
     {'by_point': 'assigned, another ward', 'by_lsoa': 'assigned, another ward', 'rows': 1},
     {'by_point': 'outside', 'by_lsoa': 'assigned', 'rows': 1}]
    """
    k = ["source", "source_row"]
    m = _status(*pt).merge(_status(*ls), on=k, suffixes=("_point", "_lsoa"), how="outer")
    both = (m["status_point"] == join.STATUS_ASSIGNED) & (m["status_lsoa"] == join.STATUS_ASSIGNED)
    same = both & (m["area_code_point"] == m["area_code_lsoa"])
    for col in ("status_point", "status_lsoa"):
        m.loc[same, col] = "assigned, same ward"
        m.loc[both & ~same, col] = "assigned, another ward"
    m = m.fillna({"status_point": "(not read)", "status_lsoa": "(not read)"})
    return (m.groupby(["status_point", "status_lsoa"]).size().rename("rows").reset_index()
            .rename(columns={"status_point": "by_point", "status_lsoa": "by_lsoa"})
            .astype({"rows": "int64"}))


def generalisation_m(description: str | None) -> float | None:
    """Return the generalisation (metres) a boundary layer's description names, or ``None``.

    Reads "generalised 20 m" (or "generalized"), and ONS's resolution codes in
    a file or layer name: BGC/BGE (20 m), BSC (200 m), BUC (500 m). Full
    resolution (BFC, BFE) and undescribed layers return ``None``.

    Examples
    --------
    >>> generalisation_m("London wards, May 2025 (ONS, generalised 20 m, coverage-simplified 10 m)")
    20.0
    >>> generalisation_m("Wards_May_2025_Boundaries_UK_BSC.gpkg (uploaded)")
    200.0
    >>> generalisation_m("Wards_May_2025_Boundaries_UK_BFC.gpkg (uploaded)") is None
    True
    """
    if not description:
        return None
    m = re.search(r"generali[sz]ed(?: to)? (\d+(?:\.\d+)?) ?m\b", description, re.IGNORECASE)
    if m:
        return float(m.group(1))
    code = re.search(r"(?<![A-Za-z])(BGC|BGE|BSC|BUC)(?![A-Za-z])", description)
    return _ONS_CODES[code.group(1)] if code else None


def near_edge(x: np.ndarray, y: np.ndarray, areas: gpd.GeoDataFrame, distance_m: float,
              *, crs: str = "EPSG:4326") -> np.ndarray:
    """Return which points lie within ``distance_m`` metres of an area's edge.

    Parameters
    ----------
    x, y
        Coordinates in ``crs`` (NaN: no coordinates, never near).
    areas
        The area layer (any CRS; distances are measured in EPSG:27700).
    distance_m
        The distance in metres (e.g. the layer's generalisation).
    crs
        CRS of ``x`` and ``y``.

    Returns
    -------
    numpy.ndarray
        Boolean, one per point.

    Examples
    --------
    >>> sq = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:27700")
    >>> near_edge(np.array([50.0, 5.0, 115.0, np.nan]), np.array([50.0, 50.0, 50.0, 1.0]),
    ...           sq, 20, crs="EPSG:27700").tolist()
    [False, True, True, False]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    out = np.zeros(len(x), dtype=bool)
    if not ok.any() or not len(areas):
        return out
    px, py = project_xy(x[ok], y[ok], crs, "EPSG:27700")
    edges = shapely.boundary(np.asarray(areas.to_crs("EPSG:27700").geometry.array,
                                        dtype=object))
    tree = shapely.STRtree(edges)
    hit = tree.query(shapely.points(px, py), predicate="dwithin", distance=float(distance_m))
    near = np.zeros(int(ok.sum()), dtype=bool)
    near[np.unique(hit[0])] = True
    out[ok] = near
    return out
