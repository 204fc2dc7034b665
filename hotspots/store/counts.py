"""Counts per area from the store: distinct points first, located once, joined back.

police.uk snaps every crime to one of about 750,000 anonymous map points, so
30 million rows hold few distinct coordinates. :func:`area_counts`

1. takes the distinct coordinates of the counted rows in DuckDB (``SELECT
   DISTINCT``, in parallel, out of core);
2. projects them to the areas' CRS (pyproj, exactly as ``GeoSeries.to_crs``)
   and places each in an area, with one of two engines giving the same answer:
   ``"locator"``, the project's exact locator
   (:func:`hotspots.areas.locate_points`, the lowest ``area_code`` where a
   point touches several), or ``"spatial"``, DuckDB's spatial join
   (``ST_Intersects``, the same tie rule in SQL);
3. joins the areas back to the rows in DuckDB and counts per area, month and
   crime type, with the reconciliation: rows in = assigned + without a location
   + outside every area + rejected (the reasons stored by ``store add``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from hotspots.areas import (
    STATUS_OUTSIDE,
    STATUS_REJECTED,
    STATUS_UNLOCATED,
    Reconciliation,
    build_locator,
    locate_points,
    project_xy,
)

__all__ = ["ENGINES", "Engine", "StoreCounts", "area_counts", "record_filter"]

Engine = Literal["locator", "spatial"]
ENGINES: tuple[str, ...] = ("locator", "spatial")
POINT_CRS = "EPSG:4326"


@dataclass(frozen=True)
class StoreCounts:
    """Counts per area from the store.

    Attributes
    ----------
    counts
        ``area_code, month, category, count`` (rows counted and placed), sorted; the
        text columns are categoricals.
    reconciliation
        Rows in (the filtered rows of the store) = assigned + without a location
        + outside every area + rejected; ``details`` lists every row not
        assigned (``source, source_row, status, reason``) when asked for.
    distinct_points
        Distinct coordinates located.
    engine
        The engine that placed them.
    """

    counts: pd.DataFrame
    reconciliation: Reconciliation
    distinct_points: int
    engine: str


def record_filter(months: tuple[str, str] | None = None, forces: Sequence[str] | None = None,
                  categories: Sequence[str] | None = None) -> tuple[str, list[object]]:
    """Return the SQL condition (on ``records r``) for a period, forces and crime types.

    >>> where, params = record_filter(("2024-01", "2024-03"), ["Dyfed-Powys Police"])
    >>> where
    'r.month BETWEEN ? AND ? AND r.falls_within IN (SELECT unnest(?))'
    >>> params
    ['2024-01', '2024-03', ['Dyfed-Powys Police']]
    """
    parts, params = [], []
    if months:
        parts.append("r.month BETWEEN ? AND ?")
        params.extend(months)
    if forces is not None:
        parts.append("r.falls_within IN (SELECT unnest(?))")
        params.append(list(forces))
    if categories is not None:
        parts.append("r.category IN (SELECT unnest(?))")
        params.append(list(categories))
    return (" AND ".join(parts) or "TRUE"), params


_LOCATED = "r.x IS NOT NULL AND r.y IS NOT NULL AND NOT isnan(r.x) AND NOT isnan(r.y)"


def area_counts(con: duckdb.DuckDBPyConnection, areas: gpd.GeoDataFrame, *,
                months: tuple[str, str] | None = None, forces: Sequence[str] | None = None,
                categories: Sequence[str] | None = None,
                engine: Engine = "locator", details: bool = False,
                label: str = "police.uk (store)") -> StoreCounts:
    """Count the store's rows per area, month and crime type (module docstring).

    Parameters
    ----------
    con
        An open store (:func:`hotspots.store.connect`; ``spatial=True`` for the
        ``"spatial"`` engine).
    areas
        Area layer with a unique ``area_code`` and a CRS (ward, LSOA, force, cells).
    months
        ``(first, last)`` ``YYYY-MM``, both included (``None``: all).
    forces
        ``Falls within`` names to keep (``None``: all).
    categories
        Crime types (``Crime type``) to keep (``None``: all); rows in the
        reconciliation are then the rows of these types.
    engine
        ``"locator"`` or ``"spatial"``: the same counts (tested).
    details
        Also list every row not assigned in the reconciliation.
    label
        The reconciliation's source label.

    Returns
    -------
    StoreCounts
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    where, params = record_filter(months, forces, categories)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _pts AS
        SELECT x, y, (row_number() OVER ()) - 1 AS pid FROM (
            SELECT DISTINCT r.x + 0.0 AS x, r.y + 0.0 AS y FROM records r
            WHERE r.reason IS NULL AND {_LOCATED} AND {where})""", params)
    pts = con.execute("SELECT pid, x, y FROM _pts ORDER BY pid").fetchnumpy()
    codes = areas["area_code"].astype(str).to_numpy()
    px, py = project_xy(pts["x"], pts["y"], POINT_CRS, areas.crs)
    pos = np.full(len(px), -1, dtype=np.int64)
    finite = np.isfinite(px) & np.isfinite(py)
    if finite.any():
        place = _by_locator if engine == "locator" else _by_spatial
        pos[finite] = place(con, areas, codes, px[finite], py[finite])
    # areas by the rank of their code, so that SQL sorts the counts as the codes sort
    order = np.argsort(codes, kind="stable")
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes))
    ranked = np.where(pos >= 0, rank[np.maximum(pos, 0)], -1)
    con.register("_loc", pa.table({"pid": pa.array(pts["pid"]), "a": pa.array(ranked)}))
    try:
        con.execute("""CREATE OR REPLACE TEMP TABLE _ptsa AS
                       SELECT p.x, p.y, l.a FROM _pts p JOIN _loc l USING (pid)""")
    finally:
        con.unregister("_loc")
    # the counts come back as Arrow and become categoricals: 14 million area-month-type
    # cells (five years of England and Wales) are never 28 million Python strings
    got = con.execute(f"""
        SELECT p.a, r.month, r.category, count(*) AS n
        FROM records r JOIN _ptsa p ON r.x + 0.0 = p.x AND r.y + 0.0 = p.y
        WHERE r.reason IS NULL AND p.a >= 0 AND {where} GROUP BY ALL
        ORDER BY p.a, r.month, r.category""", params).to_arrow_table()
    outside = int(con.execute(f"""
        SELECT count(*) FROM records r JOIN _ptsa p ON r.x + 0.0 = p.x AND r.y + 0.0 = p.y
        WHERE r.reason IS NULL AND p.a < 0 AND {where}""", params).fetchone()[0])
    totals = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE r.reason IS NOT NULL),
               count(*) FILTER (WHERE r.reason IS NULL AND NOT ({_LOCATED}))
        FROM records r WHERE {where}""", params).fetchone()
    counts = pd.DataFrame({
        "area_code": pd.Categorical.from_codes(got["a"].to_numpy(), categories=codes[order]),
        "month": _categorical(got["month"]), "category": _categorical(got["category"]),
        "count": got["n"].to_numpy().astype("int64")})
    del got
    rows_in, rejected, unlocated = (int(v) for v in totals)
    table = _details(con, where, params) if details else pd.DataFrame(
        columns=["source", "source_row", "status", "reason"])
    rec = Reconciliation(label, rows_in, int(counts["count"].sum()), unlocated, outside,
                         rejected, table)
    con.execute("DROP TABLE IF EXISTS _ptsa")
    con.execute("DROP TABLE IF EXISTS _pts")
    return StoreCounts(counts, rec, len(px), engine)


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """Arrow strings as a pandas categorical (dictionary-encoded in C++)."""
    enc = pc.dictionary_encode(column).combine_chunks()
    return pd.Categorical.from_codes(np.asarray(enc.indices.fill_null(-1)),
                                     categories=enc.dictionary.to_pylist())


def _by_locator(con: duckdb.DuckDBPyConnection, areas: gpd.GeoDataFrame, codes: np.ndarray,
                x: np.ndarray, y: np.ndarray) -> np.ndarray:
    loc = build_locator(np.asarray(areas.geometry.array, dtype=object), codes)
    return locate_points(loc, x, y)


def _by_spatial(con: duckdb.DuckDBPyConnection, areas: gpd.GeoDataFrame, codes: np.ndarray,
                x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """DuckDB's spatial join; the lowest ``area_code`` wins where a point touches several."""
    rank = np.empty(len(codes), dtype=np.int64)
    rank[np.argsort(codes, kind="stable")] = np.arange(len(codes))
    con.register("_area_wkb", pa.table({
        "a": pa.array(np.arange(len(codes), dtype=np.int64)), "rank": pa.array(rank),
        "wkb": pa.array(shapely.to_wkb(np.asarray(areas.geometry.array, dtype=object)),
                        pa.binary())}))
    con.register("_xy", pa.table({"i": pa.array(np.arange(len(x), dtype=np.int64)),
                                  "x": pa.array(x), "y": pa.array(y)}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _area_geom AS "
                    "SELECT a, rank, ST_GeomFromWKB(wkb) AS geom FROM _area_wkb")
        hit = con.execute("""
            SELECT p.i, arg_min(g.a, g.rank) AS a
            FROM (SELECT i, ST_Point(x, y) AS pt FROM _xy) p
            JOIN _area_geom g ON ST_Intersects(g.geom, p.pt)
            GROUP BY p.i""").fetchnumpy()
    finally:
        con.unregister("_area_wkb")
        con.unregister("_xy")
        con.execute("DROP TABLE IF EXISTS _area_geom")
    out = np.full(len(x), -1, dtype=np.int64)
    out[hit["i"]] = hit["a"]
    return out


def _details(con: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> pd.DataFrame:
    """Every filtered row not assigned: its file, row, status and reason."""
    return con.execute(f"""
        SELECT f.source, r.source_row,
               CASE WHEN r.reason IS NOT NULL THEN '{STATUS_REJECTED}'
                    WHEN NOT ({_LOCATED}) THEN '{STATUS_UNLOCATED}'
                    ELSE '{STATUS_OUTSIDE}' END AS status,
               coalesce(r.reason, CASE WHEN NOT ({_LOCATED}) THEN 'no coordinates'
                                       ELSE 'coordinates lie outside every area' END) AS reason
        FROM records r JOIN files f USING (file_id)
        LEFT JOIN _ptsa p ON r.x + 0.0 = p.x AND r.y + 0.0 = p.y
        WHERE {where} AND (r.reason IS NOT NULL OR NOT ({_LOCATED}) OR p.a < 0)
        ORDER BY f.file_id, r.source_row""", params).df()
