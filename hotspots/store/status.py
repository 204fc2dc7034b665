"""What a store holds: months, forces, files, rows, and where every row went.

:func:`store_status` reads it in a few SQL aggregates (never the rows into
Python); :func:`status_text` prints it for ``store status``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from hotspots.store.add import stored_rule

__all__ = ["StoreStatus", "status_text", "store_status"]


@dataclass(frozen=True)
class StoreStatus:
    """A store's contents.

    Attributes
    ----------
    adds, files, copies
        ``store add`` runs; street files read; files skipped as copies of one read.
    rows_read
        Rows of the files read: ``rows_counted + rows_rejected``.
    rows_counted
        Rows counted (``rows_located + rows_without_location``).
    rows_located, rows_without_location
        Counted rows with and without coordinates.
    rows_rejected
        Rows not counted; ``rejected_reasons`` says why (the reason's first words).
    crime_ids
        The store's rule on a Crime ID repeated within a file.
    by_force_month
        ``falls_within, month, rows_read, rows_counted, rows_without_location,
        rows_rejected`` per force and month.
    problems
        Problems the readers found, by severity.
    """

    adds: int
    files: int
    copies: int
    rows_read: int
    rows_counted: int
    rows_located: int
    rows_without_location: int
    rows_rejected: int
    rejected_reasons: dict[str, int]
    crime_ids: str | None
    by_force_month: pd.DataFrame
    problems: dict[str, int]

    @property
    def months(self) -> list[str]:
        """The months with rows, in order."""
        return sorted(self.by_force_month["month"].dropna().unique())

    @property
    def forces(self) -> list[str]:
        """The forces (``Falls within``) with rows, in order."""
        return sorted(self.by_force_month["falls_within"].dropna().unique())


def _reason_kind(reason: str) -> str:
    """Return the kind of a row's reason, without the row-specific details.

    >>> _reason_kind("the same crime (Crime ID 1a2b…) is already counted from a.csv row 3")
    'the same crime in another file (counted once)'
    >>> _reason_kind("month '2024-13' is not a YYYY-MM month")
    'month not YYYY-MM'
    """
    if reason.startswith("the same crime"):
        return "the same crime in another file (counted once)"
    if reason.startswith("no Crime ID"):
        return "the same row without a Crime ID in an overlapping file (counted once)"
    if reason.startswith("Crime ID") and "repeated in this file" in reason:
        return "Crime ID repeated within a file (counted once, as chosen)"
    if reason.startswith("broken line"):
        return "broken line (a stray quote)"
    if reason.startswith("month"):
        return "month blank" if "blank" in reason else "month not YYYY-MM"
    return reason


def store_status(con: duckdb.DuckDBPyConnection) -> StoreStatus:
    """Return what an open store holds (:class:`StoreStatus`)."""
    adds = int(con.execute("SELECT count(*) FROM adds").fetchone()[0])
    files, copies = con.execute(
        "SELECT count(*) FILTER (WHERE copy_of IS NULL), count(*) FILTER (WHERE copy_of IS NOT "
        "NULL) FROM files").fetchone()
    by = con.execute("""
        SELECT falls_within, month, count(*) AS rows_read,
               count(*) FILTER (WHERE reason IS NULL) AS rows_counted,
               count(*) FILTER (WHERE reason IS NULL AND (x IS NULL OR y IS NULL
                                                          OR isnan(x) OR isnan(y)))
                   AS rows_without_location,
               count(*) FILTER (WHERE reason IS NOT NULL) AS rows_rejected
        FROM records GROUP BY ALL ORDER BY falls_within, month""").df()
    reasons: dict[str, int] = {}
    for reason, n in con.execute("SELECT reason, count(*) FROM records WHERE reason IS NOT "
                                 "NULL GROUP BY reason").fetchall():
        kind = _reason_kind(str(reason))
        reasons[kind] = reasons.get(kind, 0) + int(n)
    problems = dict(con.execute("SELECT severity, count(*) FROM problems GROUP BY severity "
                                "ORDER BY severity").fetchall())
    total = {c: int(by[c].sum()) for c in ("rows_read", "rows_counted", "rows_without_location",
                                           "rows_rejected")}
    return StoreStatus(adds, int(files), int(copies), total["rows_read"], total["rows_counted"],
                       total["rows_counted"] - total["rows_without_location"],
                       total["rows_without_location"], total["rows_rejected"],
                       dict(sorted(reasons.items())), stored_rule(con), by,
                       {str(k): int(v) for k, v in problems.items()})


def status_text(st: StoreStatus) -> str:
    """Return the status in plain words, one fact a line (``store status``)."""
    if not st.files:
        return "The store is empty: add police.uk files with 'store add'."
    months = st.months
    lines = [
        f"{st.files:,} street files from {st.adds:,} add(s)"
        + (f"; {st.copies:,} file(s) skipped as copies of a file already read" if st.copies
           else ""),
        f"{len(months)} months, {months[0]} to {months[-1]}; {len(st.forces)} forces: "
        + ", ".join(st.forces),
        f"{st.rows_read:,} rows read = {st.rows_counted:,} counted "
        f"({st.rows_located:,} with a location + {st.rows_without_location:,} without) + "
        f"{st.rows_rejected:,} not counted",
    ]
    for kind, n in st.rejected_reasons.items():
        lines.append(f"  not counted: {n:,} {kind}")
    if st.crime_ids:
        lines.append(f"Crime IDs repeated within a file: {st.crime_ids}")
    if st.problems:
        lines.append("Problems found by the readers: " + ", ".join(
            f"{n:,} {sev}" for sev, n in st.problems.items())
            + " ('store status --problems FILE.csv' lists them)")
    return "\n".join(lines)
