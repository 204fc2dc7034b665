"""One CSV or XLSX sheet as a grid of cells, and the mapped columns found in it.

Used by :func:`hotspots.io.read_referrals`: decode and sniff a CSV (``,``
``;`` tab ``|``), or open a workbook and choose the sheet holding the mapped
headers; fill vertically merged blocks; find the header row among the top
:data:`HEADER_SEARCH_ROWS` rows; and cut the mapped columns into a frame with
spreadsheet row numbers, skipping (and reporting) blank and merged heading rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots._validate import Report
from hotspots.io.columns import ColumnMap
from hotspots.io.common import (
    _SHOW_ROWS,
    Source,
    _decode,
    _grouped,
    _input_bytes,
    _match_headers,
    _norm_header,
    _suggest,
)

HEADER_SEARCH_ROWS = 20


@dataclass
class _Grid:
    """Cell values of one sheet (or CSV), rows numbered from 1."""

    rows: list[list[Any]]
    heading_rows: set[int]  # 1-based rows with a merged cell spanning columns
    filled_merges: tuple[str, ...] = ()  # merged ranges spanning rows, e.g. "C10:C11"
    where: str = ""  # e.g. " (sheet 'Data'; sheets: Notes, Data)" for messages


def _csv_grid(data: bytes, name: str, report: Report) -> _Grid:
    text, encoding = _decode(data)
    if encoding != "utf-8-sig":
        report.add("info", name, f"read as {encoding} (not UTF-8)",
                   "Nothing to do; save as 'CSV UTF-8' to avoid surprises with accents.")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), dialect)]
    return _Grid(rows, set())


def _open_workbook(data: bytes, name: str) -> Any:
    import openpyxl  # local: only needed for spreadsheets

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            return openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputDataError(
            f"{name}: not a readable .xlsx workbook ({exc}). Open it in Excel or LibreOffice "
            "and save it as .xlsx or CSV."
        ) from exc


def _sheet_grid(ws: Any) -> _Grid:
    """Return cell values; vertically merged blocks are filled with their value."""
    rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=1,
                                          max_col=ws.max_column, values_only=True)]
    headings: set[int] = set()
    filled: list[str] = []
    for rng in ws.merged_cells.ranges:
        top = rows[rng.min_row - 1][rng.min_col - 1]
        if rng.max_row > rng.min_row:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    rows[r - 1][c - 1] = top
            filled.append(rng.coord)
        elif rng.max_col > rng.min_col:
            headings.add(rng.min_row)
    return _Grid(rows, headings, tuple(filled))


def _choose_sheet(wb: Any, sheet: str | int | None, headers: list[str], name: str) -> Any:
    names = list(wb.sheetnames)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise ColumnMappingError(f"{name}: no sheet number {sheet}; sheets: {names}. "
                                     "Pass sheet= as one of these names or 0-based positions.")
        return wb[names[sheet]]
    if isinstance(sheet, str):
        match = [n for n in names if n.casefold() == sheet.strip().casefold()]
        if not match:
            raise ColumnMappingError(f"{name}: no sheet named {sheet!r}; sheets: {names}. "
                                     "Pass sheet= as one of these names.")
        return wb[match[0]]
    for ws in wb.worksheets:
        top = [list(r) for r in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS,
                                             values_only=True)]
        if _header_row(top, headers)[1] == len(headers):
            return ws
    return wb.worksheets[0]


def _header_row(rows: list[list[Any]], headers: list[str]) -> tuple[int, int]:
    """Return (index of the row matching most mapped headers, how many it matches)."""
    wanted = {_norm_header(h) for h in headers}
    best, best_n = 0, -1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = {_norm_header(c) for c in row if c is not None}
        n = len(wanted & cells)
        if n > best_n:
            best, best_n = i, n
        if n == len(wanted):
            break
    return best, max(best_n, 0)


def _locate_columns(grid: _Grid, mapping: ColumnMap, name: str) -> tuple[int, dict[str, int]]:
    """Find the header row; return its 0-based index and ``{standard name: column index}``."""
    headers = list(mapping.columns.values())
    top = grid.rows[:HEADER_SEARCH_ROWS]
    non_blank = [i for i, r in enumerate(top) if any(_cell_text(c) for c in r)]
    if not non_blank:
        raise EmptyInputError(f"{name} is empty. Check you chose the right file (and sheet).")
    idx, n = _header_row(top, headers)
    idx = idx if n > 0 else non_blank[0]
    row = [str(c).strip() if c is not None else "" for c in grid.rows[idx]]
    _, missing = _match_headers([c for c in row if c], headers)
    if missing:
        found = ", ".join(repr(c) for c in row if c)
        raise ColumnMappingError(
            f"{name}: column(s) {', '.join(repr(m) for m in missing)} not found in the first "
            f"{HEADER_SEARCH_ROWS} rows{grid.where}. Headers found (row {idx + 1}): {found}."
            f"{_suggest(missing, [c for c in row if c])} Fix the column mapping to use the "
            "file's header names."
        )
    position = {_norm_header(c): i for i, c in reversed(list(enumerate(row))) if c}
    columns = {std: position[_norm_header(h)] for std, h in mapping.columns.items()}
    return idx, columns


def _cell_text(value: Any) -> str | None:
    """Return a cell as stripped text (None when blank); whole floats lose ``.0``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _grid_frame(grid: _Grid, header: int, columns: dict[str, int], name: str,
                report: Report) -> pd.DataFrame:
    """Return the mapped cells (object columns by standard name) plus ``source_row``."""
    width = max(columns.values()) + 1
    body = [(r + [None] * width)[:width] for r in grid.rows[header + 1:]]
    raw = pd.DataFrame([[row[i] for i in columns.values()] for row in body],
                       columns=list(columns), dtype=object)
    raw.insert(0, "source_row", np.arange(header + 2, header + 2 + len(raw), dtype="int64"))
    if header > 0:
        report.add("info", name, f"header found on row {header + 1}; rows above it ignored",
                   "Nothing to do.")
    if grid.filled_merges:
        blocks = ", ".join(grid.filled_merges[:_SHOW_ROWS])
        report.add("info", name, f"merged cells spanning rows ({blocks}): their value was used "
                   "for every row they cover", "Check these rows.",
                   count=len(grid.filled_merges))
    filled = raw[list(columns)].map(_cell_text).notna().sum(axis=1)
    last = int(np.flatnonzero(filled.to_numpy())[-1]) if filled.any() else -1
    raw, filled = raw.iloc[: last + 1], filled.iloc[: last + 1]
    heading = raw["source_row"].isin(grid.heading_rows) & (filled == 1)
    blank = filled == 0
    if heading.any():
        title = next(t for t in raw.loc[heading, list(columns)].iloc[0].map(_cell_text) if t)
        _grouped(report, "warning", name, raw.loc[heading, "source_row"],
                 f"merged heading rows skipped, e.g. {title!r}",
                 "Nothing to do if these are section titles.")
    _grouped(report, "info", name, raw.loc[blank, "source_row"], "blank rows skipped",
             "Nothing to do.")
    raw = raw.loc[~heading & ~blank].reset_index(drop=True)
    if raw.empty:
        raise EmptyInputError(f"{name} has a header but no data rows. Check the file and sheet.")
    return raw


def _read_grid(path: Source, name: str, mapping: ColumnMap, sheet: str | int | None,
               report: Report) -> _Grid:
    data = _input_bytes(path)
    if not data.strip():
        raise EmptyInputError(f"{name} is empty (0 bytes). Check you chose the right file.")
    suffix = Path(name).suffix.lower()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputDataError(f"{name}: old Excel .xls files are not supported. Open it and save "
                             "as .xlsx or CSV UTF-8.")
    if data[:4] != b"PK\x03\x04" and suffix not in (".xlsx", ".xlsm"):
        if sheet is not None:
            report.add("info", name, f"sheet={sheet!r} ignored for a CSV file", "Nothing to do.")
        return _csv_grid(data, name, report)
    wb = _open_workbook(data, name)
    ws = _choose_sheet(wb, sheet, list(mapping.columns.values()), name)
    grid = _sheet_grid(ws)
    if len(wb.sheetnames) > 1:
        grid.where = f" (sheet {ws.title!r}; sheets: {', '.join(wb.sheetnames)})"
        report.add("info", name, f"read sheet {ws.title!r} (sheets: {', '.join(wb.sheetnames)})",
                   "Pass sheet= to read another one.")
    return grid

