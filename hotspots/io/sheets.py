"""A spreadsheet's top rows and its header row, from uploaded bytes (CSV or XLSX).

Owns byte sniffing (empty, old ``.xls``, binary posing as CSV), strict CSV
parsing with the broken line named, the first sheet with a header row, and
finding the header row below any title block. Never imports areas, stats, maps
or pipeline.
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
import math
import re
from typing import Any

from hotspots._errors import UploadError

__all__ = ["HEADER_SEARCH_ROWS", "check_spreadsheet_bytes", "header_index", "is_xlsx",
           "read_headers"]

#: How many top rows are searched for the header row.
HEADER_SEARCH_ROWS = 20


def is_xlsx(name: str, data: bytes) -> bool:
    """Return True when the bytes (or the name) are an .xlsx workbook."""
    return data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))


def check_spreadsheet_bytes(name: str, data: bytes) -> None:
    """Refuse empty files, old .xls workbooks and binary files posing as CSV."""
    if not data.strip():
        raise UploadError("referrals", name, f"{name} is empty (0 bytes). Choose the file "
                          "again, or export it again from the partner's system.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UploadError("referrals", name, f"{name} is an old Excel .xls workbook. Open it "
                          "in Excel or LibreOffice and save it as .xlsx or CSV.")
    if not is_xlsx(name, data) and b"\x00" in data[:4096]:
        raise UploadError("referrals", name, f"{name} is not a text CSV (it holds binary "
                          "data). Save the sheet as 'CSV UTF-8' or .xlsx and upload that.")


def _csv_rows(name: str, data: bytes) -> list[list[str]]:
    """Parse a CSV strictly; a broken one raises with its line number."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(_io.StringIO(text, newline=""), dialect, strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise UploadError(
            "referrals", name,
            f"{name} is a broken CSV at line {reader.line_num} ({exc}), usually a quote (\") "
            "that is never closed. Open it in Excel or LibreOffice and save it again as CSV.",
        ) from exc
    return rows


def _xlsx_rows(name: str, data: bytes) -> list[list[Any]]:
    """Return the top rows of the first sheet that has a header row (else the first)."""
    import openpyxl  # local: only needed for spreadsheets

    try:
        wb = openpyxl.load_workbook(_io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise UploadError("referrals", name, f"{name} is not a readable .xlsx workbook "
                          f"({type(exc).__name__}). Open it in Excel or LibreOffice and save it "
                          "as .xlsx or CSV.") from exc
    try:
        first: list[list[Any]] = []
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]
            if header_index(rows) is not None:
                return rows
            first = first or rows
        return first
    finally:
        wb.close()


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

    Examples
    --------
    >>> header_index([["Referrals 2025", None], ["Date", "Ward"], ["2025-01-02", "Bow"]])
    1
    >>> header_index([["2025-01-02", 3]]) is None
    True
    """
    top = rows[:HEADER_SEARCH_ROWS]
    filled = [sum(1 for c in r if c is not None and str(c).strip()) for r in top]
    widest = max(filled, default=0)
    for i, (row, n) in enumerate(zip(top, filled, strict=True)):
        if (n >= max(2, math.ceil(widest / 2)) and not any(map(_is_value, row))
                and sum(map(_is_label, row)) >= 0.8 * n):
            return i
    if widest == 1:  # a one-column file: a text cell on top of values
        for i, row in enumerate(top):
            if any(_is_label(c) for c in row):
                return i
    return None


def read_headers(name: str, data: bytes) -> list[str]:
    """Return the column headers of an uploaded referral spreadsheet (CSV or XLSX).

    The header row is the first of the top 20 rows that is about as wide as
    the table and holds text, not numbers or dates (title rows above it are
    skipped, as :func:`hotspots.io.read_referrals` does).

    Parameters
    ----------
    name
        The file name (``.xlsx`` is also recognised from the content).
    data
        The file's bytes.

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
    check_spreadsheet_bytes(name, data)
    rows = _xlsx_rows(name, data) if is_xlsx(name, data) else _csv_rows(name, data)
    if not any(any(c is not None and str(c).strip() for c in r) for r in rows):
        raise UploadError("referrals", name, f"{name} has no data (every cell is blank). "
                          "Check you chose the right file and sheet.")
    idx = header_index(rows)
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
