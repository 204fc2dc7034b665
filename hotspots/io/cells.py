"""Cells a spreadsheet shows but a reader must not take at face value.

* **Formulas without a saved value.** A workbook written by a program (not
  saved by Excel) keeps ``=VLOOKUP(...)`` but no result: read "as values" the
  cell is blank, and a category would silently become "no category".
  :func:`formula_cells` finds them so the row is rejected and named.
* **Excel errors** (``#N/A``, ``#REF!`` ...) and **formula text** in a CSV
  (``=A2``): :func:`cell_problem` names them.
* **Notes below the table** ("Source: ...", "Figures are provisional"):
  :func:`footer_rows` finds the rows after the data that are notes, so they
  are skipped and named, not counted as records and then rejected.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

from hotspots.io.safezip import SafeZip

__all__ = ["EXCEL_ERRORS", "NOTE_BLOCK_ROWS", "cell_problem", "footer_rows", "formula_cells"]

#: Error values Excel writes into a cell.
EXCEL_ERRORS = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
                "#UNKNOWN!")
_ERRORS = {e.casefold() for e in EXCEL_ERRORS}
_FORMULA_TEXT = re.compile(r"=\s*[A-Za-z_$(][^\n]*")
_TOTAL = re.compile(r"(?:grand )?totals?:?|sum|all")
#: Most rows of a block of notes below the table (after a blank row).
NOTE_BLOCK_ROWS = 10


def _has_formulas(data: bytes, label: str) -> bool:
    """Return True when any worksheet of the .xlsx holds a formula (read bounded)."""
    with SafeZip(data, label) as z:
        for name in z.names():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = z.read(name)
                if b"<f>" in xml or b"<f " in xml or b"<x:f" in xml:
                    return True
    return False


def formula_cells(data: bytes, label: str, title: str) -> dict[tuple[int, int], str]:
    """Return ``{(row, column): formula}`` (1-based) of the sheet's formula cells.

    Parameters
    ----------
    data
        The .xlsx bytes.
    label
        The file's name, for messages.
    title
        The worksheet's title.

    Returns
    -------
    dict
        Empty when the workbook has no formula (checked on the sheet XML first,
        so a workbook without formulas is read once only).
    """
    if not _has_formulas(data, label):
        return {}
    import openpyxl  # local: only needed for spreadsheets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        ws = wb[title]
        out: dict[tuple[int, int], str] = {}
        for r, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
            for c, value in enumerate(row, start=1):
                text = getattr(value, "text", value)  # ArrayFormula keeps its text
                if isinstance(text, str) and text.startswith("="):
                    out[(r, c)] = text
        return out
    finally:
        wb.close()


def cell_problem(value: Any, formula: str | None, *, text_column: bool) -> str | None:
    """Return what is wrong with a mapped cell, or None.

    Parameters
    ----------
    value
        The cell's value (as read, values not formulas).
    formula
        The cell's formula when it has one (``=...``), else None.
    text_column
        True for a column of names or categories, where text starting with
        ``=`` can only be a formula pasted as text.

    Examples
    --------
    >>> cell_problem(None, "=VLOOKUP(A2,Types!A:B,2,0)", text_column=True)
    'holds a formula (=VLOOKUP(A2,Types!A:B,2,0)) without a saved value'
    >>> cell_problem("#N/A", None, text_column=True)
    "holds the Excel error '#N/A'"
    >>> cell_problem("=A2", None, text_column=True)
    "holds formula text '=A2', not a value"
    >>> cell_problem("Criminal exploitation", None, text_column=True) is None
    True
    """
    if formula is not None and (value is None or (isinstance(value, str) and not value.strip())):
        return f"holds a formula ({formula[:60]}) without a saved value"
    if isinstance(value, str):
        text = value.strip()
        if text.casefold() in _ERRORS:
            return f"holds the Excel error '{text}'"
        if text_column and formula is None and _FORMULA_TEXT.fullmatch(text):
            return f"holds formula text '{text[:60]}', not a value"
    return None


def _filled(row: list[Any]) -> list[Any]:
    return [c for c in row if c is not None and str(c).strip()]


def footer_rows(rows: list[list[Any]], first: int, is_value: Any) -> set[int]:
    """Return the 0-based indices of note rows below the table.

    Two rules, checked from the bottom of the sheet:

    * the block after the table's last blank row is notes when it has at most
      :data:`NOTE_BLOCK_ROWS` rows, each with at most two filled cells (and fewer
      than a typical record), the first one text (not a number or a date);
    * otherwise, the rows at the very end with one filled cell holding text
      (when records have more), or starting with "Total" (a totals row is no record).

    Parameters
    ----------
    rows
        Every row of the sheet (all columns).
    first
        Index of the first data row (below the header).
    is_value
        Predicate: a cell is a number or a date.

    Examples
    --------
    >>> grid = [["Date", "Type", "Ward"], ["2025-01-02", "CCE", "Bow"], [None, None, None],
    ...         ["Source:", "children's services", None], ["Provisional", None, None]]
    >>> sorted(footer_rows(grid, 1, lambda v: str(v)[:1].isdigit()))
    [3, 4]
    >>> sorted(footer_rows(grid[:2] + [["Total 1", None]], 1, lambda v: str(v)[:1].isdigit()))
    [2]
    """
    filled = [_filled(r) for r in rows]
    body = [i for i in range(first, len(rows)) if filled[i]]
    if not body:
        return set()

    last = body[-1]
    gaps = [i for i in range(first, last) if not filled[i] and any(filled[j] for j in
                                                                      range(first, i))]
    table = [i for i in body if i < gaps[-1]] if gaps else body
    width = sorted(len(filled[i]) for i in table)[len(table) // 2]  # a typical record's cells

    def note_like(i: int, most: int) -> bool:
        return 0 < len(filled[i]) <= min(most, width - 1) and not is_value(filled[i][0])

    if gaps:
        block = [i for i in range(gaps[-1] + 1, last + 1) if filled[i]]
        if len(block) <= NOTE_BLOCK_ROWS and all(note_like(i, 2) for i in block):
            return set(block)
    notes: set[int] = set()
    for i in reversed(body):
        total = _TOTAL.fullmatch(str(filled[i][0]).strip().casefold()) is not None
        if not (note_like(i, 1) or total) or i == body[0]:
            break
        notes.add(i)
    return notes
