"""The stored rows of some forces and months, as the readers give them.

:func:`read_results` returns what :func:`hotspots.io.read_police_inputs` returns
for the same files (a :class:`~hotspots._validate.ReadResult`: kept rows,
rejected rows with their reasons, the readers' problems), so a pack built from
the store places and reconciles rows exactly as one built from the files.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from hotspots import io
from hotspots._validate import ReadResult, Report
from hotspots.store.counts import record_filter

__all__ = ["force_month_rows", "read_results", "store_categories", "store_forces",
           "store_months"]

_TEXT = ["source", "month", "category", "lsoa_code", "lsoa_name", "location", "falls_within",
         "outcome"]


def store_forces(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the forces (``Falls within``) with rows in the store, in order."""
    return [r[0] for r in con.execute("SELECT DISTINCT falls_within FROM records WHERE "
                                      "falls_within IS NOT NULL ORDER BY 1").fetchall()]


def store_categories(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the crime types (``Crime type``) of the counted rows in the store, in order."""
    return [r[0] for r in con.execute("SELECT DISTINCT category FROM records WHERE reason IS "
                                      "NULL AND category IS NOT NULL ORDER BY 1").fetchall()]


def force_month_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return the counted rows per force, month and crime type (for incomplete-month flags).

    Returns
    -------
    DataFrame
        ``falls_within, month, category, rows``: the store's counted rows (every
        row read but those not counted: repeats, rejected), by force, month and type.
    """
    return con.execute(
        "SELECT falls_within, month, category, count(*)::BIGINT AS rows FROM records "
        "WHERE reason IS NULL AND month IS NOT NULL GROUP BY ALL ORDER BY 1, 2, 3").df()


def store_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the months (``YYYY-MM``) with rows in the store, in order."""
    return [r[0] for r in con.execute("SELECT DISTINCT month FROM records WHERE month IS NOT "
                                      "NULL ORDER BY 1").fetchall()]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for col in _TEXT:
        frame[col] = frame[col].astype("category")
    frame["crime_id"] = frame["crime_id"].astype("string[pyarrow]")
    frame["source_row"] = frame["source_row"].astype("int64")
    for col in ("x", "y"):
        frame[col] = frame[col].astype("float64")
    return frame


def read_results(con: duckdb.DuckDBPyConnection, *, months: tuple[str, str] | None = None,
                 forces: Sequence[str] | None = None, label: str = "police.uk (store)",
                 or_within: tuple[float, float, float, float] | None = None,
                 ) -> list[tuple[str, ReadResult]]:
    """Return the store's rows of some months and forces as one reader's result.

    Parameters
    ----------
    con
        An open store.
    months
        ``(first, last)`` ``YYYY-MM``, both included (``None``: all).
    forces
        ``Falls within`` names (``None``: all).
    label
        The result's name.
    or_within
        ``(min lon, min lat, max lon, max lat)``: also the rows of any other force
        whose point lies in this box (a force's crimes snapped across its border).

    Returns
    -------
    list of (str, ReadResult)
        One ``(label, result)``: ``frame`` with
        :data:`hotspots.io.POLICE_FRAME_COLUMNS` (text categorical, ids Arrow
        strings), ``rejected`` with ``reason`` too, ``report`` the problems of
        those files, ``rows_read == len(frame) + len(rejected)``. Empty when no
        row matches.
    """
    where, params = record_filter(months, forces)
    if or_within is not None and forces is not None:
        by_force, force_params = record_filter(None, forces)
        when, when_params = record_filter(months, None)
        where = (f"{when} AND ({by_force} OR (r.x BETWEEN ? AND ? AND r.y BETWEEN ? AND ?))")
        x0, y0, x1, y1 = or_within
        params = [*when_params, *force_params, x0, x1, y0, y1]
    cols = ", ".join(f"r.{c}" if c != "source" else "f.source"
                     for c in io.POLICE_FRAME_COLUMNS)
    rows = con.execute(f"""SELECT {cols}, r.reason FROM records r JOIN files f USING (file_id)
                           WHERE {where} ORDER BY f.file_id, r.source_row""", params).df()
    if rows.empty:
        return []
    rows = _typed(rows)
    counted = rows["reason"].isna().to_numpy()
    frame = rows.loc[counted, io.POLICE_FRAME_COLUMNS].reset_index(drop=True)
    rejected = rows.loc[~counted].reset_index(drop=True)
    rejected["reason"] = rejected["reason"].astype("string")
    sources = sorted(set(rows["source"].astype(str)))
    report = Report()
    problems = con.execute("""SELECT severity, file, "row", "column", what, fix, count
                              FROM problems WHERE file IN (SELECT unnest(?))""",
                           [sources]).fetchall()
    for sev, file, row, column, what, fix, count in problems:
        report.add(sev, file, what, fix, row=None if row is None else int(row), column=column,
                   count=int(count))
    return [(label, ReadResult(frame, rejected, report, len(frame) + len(rejected))
             .check_records())]
