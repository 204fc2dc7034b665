"""The Metropolitan Police ward x offence x month table (London Datastore), read long.

:func:`read_met_ward_crime` reads the wide ``YYYYMM`` month columns, rejects
rows with bad counts, blank ward codes or repeated keys, reports probable
partial months, and returns one row per ward x offence x month.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError
from hotspots._validate import ReadResult, Report
from hotspots.io.common import (
    TEXT,
    Source,
    _decode,
    _input_bytes,
    _input_name,
    _match_headers,
    _parse_count_text,
    _strip_text,
    _suggest,
)
from hotspots.io.safezip import gunzip_bounded, is_gzip

__all__ = ["MET_COLUMNS", "MET_FRAME_COLUMNS", "PARTIAL_MONTH_SHARE", "read_met_ward_crime"]


#: MPS ward file id column -> output column.
MET_COLUMNS: dict[str, str] = {
    "WardCode": "area_code",
    "WardName": "area_name",
    "LookUp_BoroughName": "borough_name",
    "MajorText": "major",
    "MinorText": "minor",
}
MET_FRAME_COLUMNS = ["area_code", "area_name", "borough_name", "major", "minor", "month", "count",
                     "source", "source_row"]
_YYYYMM_RE = re.compile(r"(\d{4})(0[1-9]|1[0-2])")
PARTIAL_MONTH_SHARE = 0.10


def read_met_ward_crime(path: Source, *, label: str | None = None) -> ReadResult:
    """Read the MPS ward-level crime table and reshape it long.

    Parameters
    ----------
    path
        The London Datastore file (``MPS Ward Level Crime (most recent 24
        months).csv``), plain or gzip-compressed (detected from its content),
        or a binary file object.
    label
        Name to use for the file in messages and ``rejected.source``.

    Returns
    -------
    ReadResult
        ``frame``: one row per ward x offence x month with a non-zero count:
        ``area_code`` (WardCode), ``area_name``, ``borough_name``, ``major``,
        ``minor``, ``month`` (``"YYYY-MM"``), ``count`` (int64), ``source``
        (the file) and ``source_row`` (its wide row). Zero counts are dropped.
        ``rejected``: wide rows that cannot be used (``source``,
        ``source_row``, ``reason`` and the id columns). ``rows``: the kept wide
        rows (``source``, ``source_row``, the id columns), so that a join
        reconciles file rows, not cells. ``rows_read`` is the number of wide
        data rows ``== len(rows) + len(rejected)``.

    Raises
    ------
    ColumnMappingError
        The id columns (``MajorText, MinorText, WardName, WardCode,
        LookUp_BoroughName``) or the ``YYYYMM`` month columns are missing.
    EmptyInputError
        The file is empty or has no data rows.

    Notes
    -----
    Counts must be non-negative whole numbers (``1,234`` is accepted); a bad
    cell is reported with its row and column and its whole row is rejected.
    A repeated (WardCode, MajorText, MinorText) key is an error: the first row
    is kept, later ones rejected. A month whose total is under 10 % of the
    median month total is reported as a probable partial month (warning; kept).
    """
    name = _input_name(path, label)
    report = Report()
    wide, months = _read_met_table(_input_bytes(path), name)
    counts, bad_cells = _met_counts(wide, months)
    reason = _met_reject_reasons(wide, months, bad_cells, name, report)
    keep = reason.isna().to_numpy()
    _report_partial_months(counts[keep], months, name, report)
    frame = _met_long(wide.loc[keep], counts[keep], months, name)
    rejected = wide.loc[~keep, ["source_row", *MET_COLUMNS.values()]].copy()
    rejected.insert(0, "source", name)
    rejected["reason"] = reason[~keep]
    rows = wide.loc[keep, ["source_row", *MET_COLUMNS.values()]].copy()
    rows.insert(0, "source", name)
    return ReadResult(frame, rejected.reset_index(drop=True), report, len(wide),
                      rows=rows.reset_index(drop=True))


def _read_met_table(data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Return the wide table (text columns renamed) and its YYYYMM month columns."""
    if is_gzip(data):
        data = gunzip_bounded(data, name)
    text, _ = _decode(data)
    if not text.strip():
        raise EmptyInputError(f"{name} is empty (0 bytes). Download the MPS ward file again.")
    header = next(csv.reader(io.StringIO(text)))
    options: dict[str, Any] = {"keep_default_na": False, "na_values": [""]}
    try:  # fast path: every count a plain integer
        dtypes = {h: ("int64" if _YYYYMM_RE.fullmatch(h.strip()) else TEXT) for h in header}
        wide = pd.read_csv(io.StringIO(text), dtype=dtypes, **options)
    except (ValueError, OverflowError):  # blanks, separators, text: parse cell by cell
        wide = pd.read_csv(io.StringIO(text), dtype=TEXT, **options)
    wide.columns = [str(c).strip() for c in wide.columns]
    rename, missing = _match_headers(wide.columns, MET_COLUMNS)
    months = [c for c in wide.columns if _YYYYMM_RE.fullmatch(c)]
    if missing or not months:
        need = ", ".join(repr(m) for m in missing) or "month columns named YYYYMM (e.g. 202403)"
        raise ColumnMappingError(
            f"{name}: missing column(s) {need}; columns found: "
            f"{', '.join(repr(c) for c in wide.columns[:12])}"
            f"{' ...' if len(wide.columns) > 12 else ''}."
            f"{_suggest(missing, wide.columns, MET_COLUMNS)} "
            "Use the MPS 'Ward Level Crime' file from the London Datastore as downloaded."
        )
    if wide.empty:
        raise EmptyInputError(f"{name} has a header but no data rows. Download it again.")
    wide = wide.rename(columns={h: MET_COLUMNS[w] for h, w in rename.items()})
    for col in MET_COLUMNS.values():
        wide[col] = _strip_text(wide[col])
    wide.insert(0, "source_row", np.arange(2, len(wide) + 2, dtype="int64"))
    return wide, months


def _met_counts(wide: pd.DataFrame, months: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return an (n x months) int64 array (bad cells 0) and the bad-cell mask."""
    counts = np.zeros((len(wide), len(months)), dtype="int64")
    bad = np.zeros((len(wide), len(months)), dtype=bool)
    for j, col in enumerate(months):
        if wide[col].dtype == "int64":
            counts[:, j] = wide[col].to_numpy()
            bad[:, j] = counts[:, j] < 0
            continue
        number, bad_col = _parse_count_text(wide[col])
        counts[:, j] = np.where(bad_col, 0, np.nan_to_num(number)).astype("int64")
        bad[:, j] = bad_col
    return counts, bad


def _met_reject_reasons(
    wide: pd.DataFrame, months: list[str], bad_cells: np.ndarray, name: str, report: Report
) -> pd.Series:
    """Report bad cells, blank codes and repeated keys; return the reason per rejected row."""
    reason = pd.Series(pd.NA, index=wide.index, dtype=TEXT)
    for i, j in zip(*np.nonzero(bad_cells), strict=True):
        idx, col = wide.index[i], months[j]
        value = wide.at[idx, col]
        what = ("count is blank" if pd.isna(value)
                else f"count '{value}' is not a non-negative whole number")
        report.add("error", name, what, "Row rejected. Correct the cell (0 or more, no decimals).",
                   row=int(wide.at[idx, "source_row"]), column=col)
        prior = reason[idx]
        reason[idx] = f"{prior}; {col}: {what}" if pd.notna(prior) else f"{col}: {what}"
    for idx in wide.index[wide["area_code"].isna().to_numpy()]:
        report.add("error", name, "WardCode is blank", "Row rejected. Fill in the ward code.",
                   row=int(wide.at[idx, "source_row"]), column="WardCode")
        reason[idx] = "WardCode is blank"
    _met_duplicate_keys(wide, reason, name, report)
    return reason


def _met_duplicate_keys(wide: pd.DataFrame, reason: pd.Series, name: str, report: Report) -> None:
    key = ["area_code", "major", "minor"]
    usable = wide.loc[reason.isna().to_numpy(), ["source_row", *key]]
    dup = usable.duplicated(key)
    if not dup.any():
        return
    first_row = usable.loc[~dup].set_index(key)["source_row"]
    for idx in usable.index[dup.to_numpy()]:
        k = tuple(usable.loc[idx, key])
        what = f"duplicate key {k[0]} / {k[1]} / {k[2]} first seen at row {first_row.loc[k]}"
        report.add("error", name, what,
                   "Row rejected, first kept. Each ward x offence should appear once; "
                   "check the file was not appended to itself.",
                   row=int(usable.at[idx, "source_row"]), column="WardCode")
        reason[idx] = what


def _month_label(yyyymm: str) -> str:
    return f"{yyyymm[:4]}-{yyyymm[4:]}"


def _report_partial_months(
    counts: np.ndarray, months: list[str], name: str, report: Report
) -> None:
    totals = counts.sum(axis=0)
    median = float(np.median(totals)) if len(totals) else 0.0
    if median <= 0:
        return
    for j, col in enumerate(months):
        if totals[j] < PARTIAL_MONTH_SHARE * median:
            edge = {0: " at the start of the window", len(months) - 1: " at the end of the window"}
            report.add(
                "warning", name,
                f"month {_month_label(col)} totals {int(totals[j]):,} offences, under "
                f"{PARTIAL_MONTH_SHARE:.0%} of the median month ({median:,.0f}): "
                f"probably a partial month{edge.get(j, '')}",
                "Kept; exclude this month from comparisons and trends.", column=col,
            )


def _met_long(wide: pd.DataFrame, counts: np.ndarray, months: list[str],
              name: str) -> pd.DataFrame:
    """Reshape to one row per ward x offence x month with a non-zero count."""
    rows, cols = np.nonzero(counts)
    labels = np.array([_month_label(m) for m in months], dtype=object)
    out = {c: wide[c].to_numpy()[rows] for c in ("area_code", "area_name", "borough_name",
                                                  "major", "minor")}
    frame = pd.DataFrame(out).astype(TEXT)
    frame["month"] = pd.array(labels[cols], dtype=TEXT)
    frame["count"] = counts[rows, cols].astype("int64")
    frame["source"] = pd.array([name] * len(frame), dtype=TEXT)
    frame["source_row"] = wide["source_row"].to_numpy()[rows]
    return frame[MET_FRAME_COLUMNS]

