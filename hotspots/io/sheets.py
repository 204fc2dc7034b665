"""One CSV/XLSX grid parser: a spreadsheet's cells, its header row, its mapped columns.

Both ways a partner's referral sheet is read go through here, so they agree on
what a readable file is and on every cell:

* the upload page's header sniffing, before any mapping exists
  (:func:`read_headers`: the first sheet with a header row, and the header
  row found below any title block by :func:`header_index`);
* :func:`hotspots.io.read_referrals`, through a
  :class:`~hotspots.io.ColumnMap` (:func:`_read_grid`: the sheet holding the
  mapped headers, vertically merged blocks filled; :func:`_locate_columns`
  and :func:`_grid_frame` cut out the mapped columns with spreadsheet row
  numbers, skipping blank and merged heading rows).

The shared steps are :func:`check_spreadsheet_bytes` (empty, old ``.xls``,
binary data posing as CSV), :func:`csv_rows` (UTF-8 with or without BOM, else
Windows-1252; ``,`` ``;`` tab or ``|`` sniffed), :func:`open_workbook` and
:func:`_top_rows` (the rows searched for a header).

Strict, not lenient: a CSV whose quotes do not balance (a ``"`` never closed,
or text straight after a closing quote) is refused with its line number, and
so is binary data; nothing is guessed. Python's lenient CSV mode would read
everything after an unclosed quote as one cell: the rest of the file would
quietly become one (rejected) row and ``rows_read`` would be short, and counts
on a hotspot map must not lose rows without saying so. Unlike the police.uk
reader, which knows its fixed columns and can name and reject each broken
record, a mapped partner sheet has no layout to repair against, so the whole
file is refused with the line to fix. (The upload page was already strict; the
direct reader, used by the command line and pack builds, was lenient and now
agrees.)

Errors are :class:`~hotspots._errors.InputDataError` subclasses naming the
file; :func:`read_headers` raises them as
:class:`~hotspots._errors.UploadError` (``part="referrals"``) for the page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError, UploadError
from hotspots._validate import Report
from hotspots.io.cells import cell_problem, footer_rows, formula_cells
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
from hotspots.io.safezip import SafeZip

__all__ = ["HEADER_SEARCH_ROWS", "check_spreadsheet_bytes", "csv_rows", "header_index",
           "is_xlsx", "open_workbook", "read_headers"]

#: How many top rows are searched for the header row.
HEADER_SEARCH_ROWS = 20


# --------------------------------------------------------------------------- bytes to rows


def is_xlsx(name: str, data: bytes) -> bool:
    """Return True when the bytes (or the name) are an .xlsx workbook."""
    return data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))


def check_spreadsheet_bytes(name: str, data: bytes) -> None:
    """Refuse empty files, old .xls workbooks and binary files posing as CSV.

    Raises
    ------
    EmptyInputError
        The file is empty (or only white space).
    InputDataError
        An old ``.xls`` workbook, or binary data in a file that is not ``.xlsx``.
    """
    if not data.strip():
        raise EmptyInputError(f"{name} is empty (0 bytes). Check you chose the right file.")
    if data[:4] == b"PK\x03\x04":
        SafeZip(data, name).close()  # an .xlsx is a zip: refuse a "zip bomb" before opening it
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputDataError(f"{name}: old Excel .xls files are not supported. Open it and save "
                             "as .xlsx or CSV UTF-8.")
    if not is_xlsx(name, data) and b"\x00" in data[:4096]:
        raise InputDataError(f"{name} is not a text CSV (it holds binary data). Save the sheet "
                             "as 'CSV UTF-8' or .xlsx and upload that.")


def csv_rows(name: str, data: bytes) -> tuple[list[list[str]], str]:
    r"""Parse a CSV strictly; return its rows and the encoding used.

    Raises
    ------
    InputDataError
        A broken CSV, with the line where it breaks (usually a quote never closed).

    Examples
    --------
    >>> csv_rows("a.csv", b"Date;Ward\n2024-01-02;Bow\n")
    ([['Date', 'Ward'], ['2024-01-02', 'Bow']], 'utf-8-sig')
    """
    text, encoding = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise InputDataError(
            f"{name} is a broken CSV at line {reader.line_num} ({exc}), usually a quote (\") "
            "that is never closed. Open it in Excel or LibreOffice and save it again as CSV."
        ) from exc
    return rows, encoding


def open_workbook(name: str, data: bytes, *, read_only: bool = False) -> Any:
    """Open an .xlsx workbook (values, not formulas); ``read_only`` is faster but has no merges.

    Raises
    ------
    InputDataError
        The bytes are not a readable workbook.
    """
    import openpyxl  # local: only needed for spreadsheets

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            return openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise InputDataError(
            f"{name}: not a readable .xlsx workbook ({exc}). Open it in Excel or LibreOffice "
            "and save it as .xlsx or CSV."
        ) from exc


def _top_rows(ws: Any) -> list[list[Any]]:
    """Return the rows of a worksheet searched for its header row."""
    return [list(r) for r in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS,
                                          values_only=True)]


# --------------------------------------------------------------------------- headers (no mapping)


_NUMBERISH = re.compile(r"[-+]?[\d.,/: -]+")
_DATE_TEXT = re.compile(r"(?i)(\d{1,2}[ /-])?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                        r"[a-z]*\.?[ /-]\d{2,4}")


def _is_value(value: Any) -> bool:
    """Return True for a number or a date (a cell no header row holds)."""
    if isinstance(value, (int, float, dt.date, dt.datetime)):
        return True
    text = "" if value is None else str(value).strip()
    return bool(text) and bool(_NUMBERISH.fullmatch(text) or _DATE_TEXT.fullmatch(text))


def _is_label(value: Any) -> bool:
    """Return True for a cell that reads as a column name (text, not a number or date)."""
    return value is not None and bool(str(value).strip()) and not _is_value(value)


def header_index(rows: list[list[Any]]) -> int | None:
    """Return the index of the header row among the top rows, or ``None``.

    The header is the widest row of labels (text, no numbers or dates) at least
    half as wide as the table; among equally wide ones, the first. A title block
    above it ("Prepared by", "Community Safety Team") is narrower, so it is
    skipped even when its rows have two or three cells.

    Examples
    --------
    >>> header_index([["Referrals 2025", None], ["Date", "Ward"], ["2025-01-02", "Bow"]])
    1
    >>> header_index([["Prepared by", "CSP team", None, None], ["Period", "2024/25", None, None],
    ...               ["Date", "Type", "Ward", "Borough"], ["2025-01-02", "CCE", "Bow", "TH"]])
    2
    >>> header_index([["2025-01-02", 3]]) is None
    True
    """
    top = rows[:HEADER_SEARCH_ROWS]
    filled = [sum(1 for c in r if c is not None and str(c).strip()) for r in top]
    widest = max(filled, default=0)
    candidates = [(n, -i) for i, (row, n) in enumerate(zip(top, filled, strict=True))
                  if n >= max(2, math.ceil(widest / 2)) and not any(map(_is_value, row))
                  and sum(map(_is_label, row)) >= 0.8 * n]
    if candidates:
        return -max(candidates)[1]
    if widest == 1:  # a one-column file: a text cell on top of values
        for i, row in enumerate(top):
            if any(_is_label(c) for c in row):
                return i
    return None


def _xlsx_top_rows(name: str, data: bytes) -> list[list[Any]]:
    """Return the top rows of the first sheet that has a header row (else the first)."""
    wb = open_workbook(name, data, read_only=True)
    try:
        first: list[list[Any]] = []
        for ws in wb.worksheets:
            rows = _top_rows(ws)
            if header_index(rows) is not None:
                return rows
            first = first or rows
        return first
    finally:
        wb.close()


def read_headers(name: str, data: bytes, *, header_row: int | None = None) -> list[str]:
    """Return the column headers of an uploaded referral spreadsheet (CSV or XLSX).

    The header row is the widest of the top 20 rows that holds text, not
    numbers or dates (:func:`header_index`; title rows above it are skipped, as
    :func:`hotspots.io.read_referrals` does), unless the user picks it.

    Parameters
    ----------
    name
        The file name (``.xlsx`` is also recognised from the content).
    data
        The file's bytes.
    header_row
        The header's row number (1 = the first row) when the user picked it;
        ``None``: found as above.

    Returns
    -------
    list of str
        Non-blank headers, in file order, without repeats.

    Raises
    ------
    UploadError
        Empty file, old ``.xls``, binary data, broken CSV (with its line), an
        unreadable workbook, or no header row (the first row holds values).
    """
    try:
        check_spreadsheet_bytes(name, data)
        rows = _xlsx_top_rows(name, data) if is_xlsx(name, data) else csv_rows(name, data)[0]
    except InputDataError as exc:
        raise UploadError("referrals", name, str(exc)) from exc
    if not any(any(c is not None and str(c).strip() for c in r) for r in rows):
        raise UploadError("referrals", name, f"{name} has no data (every cell is blank). "
                          "Check you chose the right file and sheet.")
    idx = header_index(rows) if header_row is None else header_row - 1
    if header_row is not None and (not 0 <= header_row - 1 < len(rows) or not any(
            c is not None and str(c).strip() for c in rows[header_row - 1])):
        raise UploadError("referrals", name, f"{name}: row {header_row} is blank or not among "
                          f"the first {HEADER_SEARCH_ROWS} rows; choose the row holding the "
                          "column names.")
    if idx is None:
        first = next(r for r in rows if any(c is not None and str(c).strip() for c in r))
        shown = ", ".join(repr(c) for c in first[:5] if c is not None)
        raise UploadError("referrals", name, f"{name} has no header row: the first row holds "
                          f"values ({shown}), not column names. Add a row of column names "
                          "(e.g. Date, Type, Ward) above the data and upload it again.")
    headers: list[str] = []
    for cell in rows[idx]:
        text = "" if cell is None else str(cell).strip()
        if text and text not in headers:
            headers.append(text)
    return headers


# --------------------------------------------------------------------------- grid (mapped)


@dataclass
class _Grid:
    """Cell values of one sheet (or CSV), rows numbered from 1."""

    rows: list[list[Any]]
    heading_rows: set[int]  # 1-based rows with a merged cell spanning columns
    filled_merges: tuple[str, ...] = ()  # merged ranges spanning rows, e.g. "C10:C11"
    where: str = ""  # e.g. " (sheet 'Data'; sheets: Notes, Data)" for messages
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) 1-based


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
        if _header_row(_top_rows(ws), headers)[1] == len(headers):
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


def _read_grid(path: Source, name: str, mapping: ColumnMap, sheet: str | int | None,
               report: Report) -> _Grid:
    """Return the grid of a CSV or of the sheet holding the mapped headers (strict)."""
    data = _input_bytes(path)
    check_spreadsheet_bytes(name, data)
    if not is_xlsx(name, data):
        if sheet is not None:
            report.add("info", name, f"sheet={sheet!r} ignored for a CSV file", "Nothing to do.")
        rows, encoding = csv_rows(name, data)
        if encoding != "utf-8-sig":
            report.add("info", name, f"read as {encoding} (not UTF-8)",
                       "Nothing to do; save as 'CSV UTF-8' to avoid surprises with accents.")
        return _Grid(rows, set())
    wb = open_workbook(name, data)
    ws = _choose_sheet(wb, sheet, list(mapping.columns.values()), name)
    grid = _sheet_grid(ws)
    grid.formulas = formula_cells(data, name, ws.title)
    if len(wb.sheetnames) > 1:
        grid.where = f" (sheet {ws.title!r}; sheets: {', '.join(wb.sheetnames)})"
        report.add("info", name, f"read sheet {ws.title!r} (sheets: {', '.join(wb.sheetnames)})",
                   "Pass sheet= to read another one.")
    return grid


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
            f"{_suggest(missing, [c for c in row if c], headers)} Fix the column mapping to "
            "use the file's header names."
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
    _report_unused_columns(grid.rows[header], columns, name, report)
    notes = {i + 1 for i in footer_rows(grid.rows, header + 1, _is_value)}
    note = raw["source_row"].isin(notes)
    if note.any():
        first = next(c for c in grid.rows[min(notes) - 1] if c is not None and str(c).strip())
        _grouped(report, "info", name, raw.loc[note, "source_row"],
                 f"notes or totals below the table skipped, not counted (e.g. "
                 f"{str(first)[:60]!r})", "Nothing to do if these rows are notes or totals, "
                 "not records.")
    filled = raw[list(columns)].map(_cell_text).notna().sum(axis=1).where(~note, 0)
    last = int(np.flatnonzero(filled.to_numpy())[-1]) if filled.any() else -1
    raw, filled = raw.iloc[: last + 1], filled.iloc[: last + 1]
    heading = raw["source_row"].isin(grid.heading_rows) & (filled == 1)
    blank = (filled == 0) & ~note.iloc[: last + 1]
    if heading.any():
        title = next(t for t in raw.loc[heading, list(columns)].iloc[0].map(_cell_text) if t)
        _grouped(report, "warning", name, raw.loc[heading, "source_row"],
                 f"merged heading rows skipped, e.g. {title!r}",
                 "Nothing to do if these are section titles.")
    _grouped(report, "info", name, raw.loc[blank, "source_row"], "blank rows skipped",
             "Nothing to do.")
    raw = raw.loc[~heading & (filled > 0)].reset_index(drop=True)
    if raw.empty:
        raise EmptyInputError(f"{name} has a header but no data rows. Check the file and sheet.")
    raw["cell_problem"] = _cell_problems(raw, grid, columns, grid.rows[header])
    _report_spaces(raw, columns, grid.rows[header], name, report)
    return raw


#: Standard names whose cells are names or categories (text).
TEXT_NAMES = frozenset({"referral_id", "category", "ward_code", "ward_name", "borough",
                        "lsoa_code"})


def _cell_problems(raw: pd.DataFrame, grid: _Grid, columns: dict[str, int],
                   header: list[Any]) -> pd.Series:
    """Return what is wrong with each row's mapped cells (formula without value, error)."""
    out = pd.Series(pd.NA, index=raw.index, dtype="string")
    rows = raw["source_row"].to_numpy()
    for std, col in columns.items():
        values = raw[std]
        suspects = values.map(lambda v: isinstance(v, str) and v.strip()[:1] in ("#", "="))
        if grid.formulas:
            suspects |= pd.Series([(int(r), col + 1) in grid.formulas for r in rows],
                                  index=raw.index)
        label = str(header[col]).strip() if col < len(header) and header[col] else std
        for idx in raw.index[suspects.to_numpy(dtype=bool)]:
            formula = grid.formulas.get((int(raw.at[idx, "source_row"]), col + 1))
            problem = cell_problem(values[idx], formula, text_column=std in TEXT_NAMES)
            if problem:
                text = f"{std} (column '{label}') {problem}"
                prior = out[idx]
                out[idx] = f"{prior}; {text}" if pd.notna(prior) else text
    return out


def _report_unused_columns(header: list[Any], columns: dict[str, int], name: str,
                           report: Report) -> None:
    used = set(columns.values())
    unused = [str(c).strip() for i, c in enumerate(header)
              if i not in used and c is not None and str(c).strip()]
    if unused:
        shown = ", ".join(repr(c) for c in unused[:8]) + (" ..." if len(unused) > 8 else "")
        report.add("info", name, f"{len(unused)} column(s) not mapped, not used: {shown}",
                   "Nothing to do; map a column if it holds what the dashboard needs.",
                   count=len(unused))


def _report_spaces(raw: pd.DataFrame, columns: dict[str, int], header: list[Any], name: str,
                   report: Report) -> None:
    """Say once per text column how many values had spaces around them (they are trimmed)."""
    for std in columns:
        if std not in TEXT_NAMES:
            continue
        spaced = raw[std].map(lambda v: isinstance(v, str) and v.strip() != v and bool(v.strip()))
        if spaced.any():
            first = raw.loc[spaced, std].iloc[0]
            report.add("info", name, f"{int(spaced.sum()):,} {std} value(s) had spaces around "
                       f"them (e.g. {first!r}): trimmed, so they count with the rest",
                       "Nothing to do.", column=str(header[columns[std]]).strip(),
                       count=int(spaced.sum()))
