"""Structured problem reports shared by every reader and join.

A reader never stops at the first problem: it collects every one into a
:class:`Report` (file, row, column, what, what to do) and the caller decides
whether errors are fatal. Row numbers are 1-based data rows as a person sees
them in a spreadsheet *with the header on row 1*, i.e. the first data row is 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning", "info"]

REPORT_COLUMNS = ["severity", "file", "row", "column", "what", "fix", "count"]


@dataclass(frozen=True)
class Problem:
    """One problem in the input.

    Attributes
    ----------
    severity
        ``"error"`` (row rejected or file unusable), ``"warning"`` (kept but
        worth checking) or ``"info"`` (expected quirk, counted).
    file
        File name (or label) the problem is in.
    row
        Spreadsheet row number (header = 1), or ``None`` for file-level problems.
    column
        Column name, or ``None``.
    what
        Plain-words description.
    fix
        What the user can do about it.
    count
        How many rows this line stands for (for grouped problems).
    """

    severity: Severity
    file: str
    row: int | None
    column: str | None
    what: str
    fix: str
    count: int = 1

    def to_text(self) -> str:
        """Return a one-line human description."""
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        n = f" ({self.count} rows)" if self.count > 1 else ""
        return f"[{self.severity}] {where}: {self.what}{n}. {self.fix}".strip()


@dataclass
class Report:
    """An ordered collection of :class:`Problem` records."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        severity: Severity,
        file: str,
        what: str,
        fix: str = "",
        *,
        row: int | None = None,
        column: str | None = None,
        count: int = 1,
    ) -> None:
        """Append one problem."""
        self.problems.append(Problem(severity, file, row, column, what, fix, count))

    def extend(self, other: Report | Iterable[Problem]) -> None:
        """Append every problem of another report."""
        items = other.problems if isinstance(other, Report) else list(other)
        self.problems.extend(items)

    def errors(self) -> list[Problem]:
        """Return the problems of severity ``"error"``."""
        return [p for p in self.problems if p.severity == "error"]

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.problems)

    def to_frame(self) -> pd.DataFrame:
        """Return the problems as a DataFrame with :data:`REPORT_COLUMNS`."""
        rows = [
            (p.severity, p.file, p.row, p.column, p.what, p.fix, p.count) for p in self.problems
        ]
        df = pd.DataFrame(rows, columns=REPORT_COLUMNS)
        df["row"] = df["row"].astype("Int64")
        df["count"] = df["count"].astype("int64")
        return df

    def to_text(self, *, severity: Severity | None = None, limit: int | None = None) -> str:
        """Return the problems as text, one per line."""
        items = [p for p in self.problems if severity is None or p.severity == severity]
        lines = [p.to_text() for p in items[:limit]]
        if limit is not None and len(items) > limit:
            lines.append(f"... and {len(items) - limit} more problems (see the full report).")
        return "\n".join(lines)


@dataclass
class ReadResult:
    """What every reader returns.

    Attributes
    ----------
    frame
        The clean rows kept for analysis (including rows that have no
        location: the join counts those as *unlocated*).
    rejected
        Rows that cannot be used, with ``source``, ``source_row`` and
        ``reason`` columns (plus the original values where useful).
    report
        Every problem found, including those behind ``rejected``.
    rows_read
        Data rows read from the input(s). For record-level readers
        (one row per offence or referral) this is always
        ``len(frame) + len(rejected)``; :meth:`check_records` enforces it.
    rows
        For readers whose ``frame`` is not one row per file row (the MPS
        ward table, reshaped long): one row per *kept* file row (``source``,
        ``source_row`` and its keys), so that a join can reconcile file rows;
        ``rows_read == len(rows) + len(rejected)``. ``None`` otherwise.
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame
    report: Report
    rows_read: int
    rows: pd.DataFrame | None = None

    def check_records(self) -> ReadResult:
        """Raise if a record-level reader lost or invented rows; return self."""
        if self.rows_read != len(self.frame) + len(self.rejected):
            raise RuntimeError(
                f"reader lost rows: read {self.rows_read}, kept {len(self.frame)}, "
                f"rejected {len(self.rejected)}"
            )
        return self


def empty_rejected() -> pd.DataFrame:
    """Return an empty rejected-rows frame with the standard columns."""
    return pd.DataFrame(
        {"source": pd.Series(dtype="str"), "source_row": pd.Series(dtype="int64"),
         "reason": pd.Series(dtype="str")}
    )


def rows_text(rows: Iterable[int], *, limit: int = 5) -> str:
    """Return a short list of row numbers, e.g. ``"rows 3, 7, 9 and 12 more"``.

    Parameters
    ----------
    rows
        Spreadsheet row numbers, in the order to show them.
    limit
        How many numbers to show before summarising the rest.

    Examples
    --------
    >>> rows_text([3])
    'row 3'
    >>> rows_text([3, 7, 9, 10], limit=2)
    'rows 3, 7 and 2 more'
    """
    items = [int(r) for r in rows]
    if len(items) == 1:
        return f"row {items[0]}"
    shown = ", ".join(str(r) for r in items[:limit])
    rest = len(items) - limit
    return f"rows {shown} and {rest} more" if rest > 0 else f"rows {shown}"
