"""A partner's referral spreadsheet (CSV or XLSX) read through a column mapping.

:func:`read_referrals` reads the sheet's grid (:mod:`hotspots.io.sheets`),
parses dates (ISO, UK day-first, Excel serials; US order only when nothing
else fits) or month periods and counts, rejects unreadable cells and totals
rows, and keeps the location columns the mapping gives (ward code or name,
LSOA, lon/lat or easting/northing), reporting odd codes and implausible
coordinates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hotspots._validate import ReadResult, Report
from hotspots.io.columns import ColumnMap
from hotspots.io.common import (
    EASTING_RANGE,
    LAT_RANGE,
    LON_RANGE,
    NORTHING_RANGE,
    TEXT,
    Source,
    _grouped,
    _in_range,
    _input_name,
    _parse_count_text,
    _to_float,
)
from hotspots.io.sheets import _cell_text, _grid_frame, _locate_columns, _read_grid

__all__ = ["read_referrals"]


# --------------------------------------------------------------------------- values

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIAL_RANGE = (25_569, 73_050)  # 1970-01-01 .. 2099-12-31 (outside: not a date)
DATE_FORMATS_DAY_FIRST = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d",
    "%Y%m%d", "%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%y", "%d-%m-%Y",
    "%d.%m.%Y", "%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%d-%B-%Y", "%d %b %y",
    "%d/%b/%Y",
)
DATE_FORMATS_US = ("%m/%d/%Y", "%m/%d/%y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")
PERIOD_FORMATS = ("%Y-%m", "%Y%m", "%Y/%m", "%m/%Y", "%m-%Y", "%b %Y", "%B %Y", "%b-%y",
                  "%b-%Y", "%B-%Y", "%b %y", "%B %y")


def _try_formats(text: pd.Series, formats: Iterable[str]) -> pd.Series:
    """Parse text with each format in turn (first success wins)."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out[todo] = parsed.astype("datetime64[ns]")
    return out


def _excel_serials(text: pd.Series) -> pd.Series:
    number = _to_float(text)
    ok = number.between(*EXCEL_SERIAL_RANGE)
    days = pd.to_timedelta(number.where(ok), unit="D")
    return (EXCEL_EPOCH + days).astype("datetime64[ns]")


def _parse_dates(values: pd.Series, *, formats: Iterable[str] = DATE_FORMATS_DAY_FIRST,
                 us_fallback: bool = True) -> tuple[pd.Series, pd.Series]:
    """Parse date cells; return (datetime64[ns], mask of values only valid month-first).

    Datetime cells are used as they are; text is tried against ``formats``
    (ISO first, then UK day-first); remaining whole numbers in the Excel
    serial range become dates; finally, with ``us_fallback``, text that only
    makes sense month-first (``12/31/2024``) is parsed US-style.
    """
    is_date = values.map(lambda v: isinstance(v, dt.date)).astype(bool)
    direct = pd.to_datetime(values.where(is_date), errors="coerce")
    out = pd.Series(direct.to_numpy(dtype="datetime64[ns]"), index=values.index)
    text = values.where(~is_date).map(_cell_text).astype(TEXT)
    todo = out.isna() & text.notna()
    out[todo] = _try_formats(text[todo], formats)
    todo = out.isna() & text.notna()
    out[todo] = _excel_serials(text[todo])
    us_only = pd.Series(False, index=values.index)
    todo = out.isna() & text.notna()
    if us_fallback and todo.any():
        us = _try_formats(text[todo], DATE_FORMATS_US)
        out[todo] = us
        us_only[todo] = us.notna()
    return out.astype("datetime64[ns]"), us_only


def _parse_periods(values: pd.Series) -> pd.Series:
    """Parse month cells (``2024-03``, ``202403``, ``Mar 2024``, dates) to month starts."""
    text = values.map(_cell_text).astype(TEXT)
    months = _try_formats(text, PERIOD_FORMATS)
    todo = months.isna()
    if todo.any():
        months[todo] = _parse_dates(values[todo])[0]
    return months.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")


def _reject_cells(
    raw: pd.DataFrame, bad: pd.Series, std: str, mapping: ColumnMap, name: str,
    report: Report, reason: pd.Series, explain: str,
) -> None:
    """Report each bad cell of one column (row and column) and add to the row's reason."""
    column = mapping.header(std)
    for idx in raw.index[bad.to_numpy()]:
        value = _cell_text(raw.at[idx, std])
        what = f"{std} is blank" if value is None else f"{std} {value!r} {explain}"
        report.add("error", name, what, "Row rejected. Correct the cell and read the file again.",
                   row=int(raw.at[idx, "source_row"]), column=column)
        prior = reason[idx]
        reason[idx] = f"{prior}; {what}" if pd.notna(prior) else what


def _reject_cell_problems(problem: pd.Series, raw: pd.DataFrame, name: str,
                          report: Report) -> pd.Series:
    """Reject rows whose mapped cells hold a formula without a value or an Excel error."""
    reason = pd.Series(pd.NA, index=raw.index, dtype=TEXT)
    bad = problem.notna()
    for idx in raw.index[bad.to_numpy()]:
        text = str(problem[idx])
        column = text.split("(column '", 1)[1].split("')", 1)[0] if "(column '" in text else None
        report.add("error", name, text, "Row rejected. Type the value into the cell (or save "
                   "the workbook in Excel so that formulas keep their results) and read the "
                   "file again.", row=int(raw.at[idx, "source_row"]), column=column)
        reason[idx] = text
    return reason


_TOTAL_RE = r"(?:grand )?totals?(?: .*)?|all wards|sum"


def _reject_total_rows(raw: pd.DataFrame, mapping: ColumnMap, name: str, report: Report,
                       reason: pd.Series) -> None:
    for std in ("ward_name", "ward_code"):
        if not mapping.has(std):
            continue
        text = raw[std].map(_cell_text).astype(TEXT).str.casefold()
        total = text.str.fullmatch(_TOTAL_RE).fillna(False).astype(bool) & reason.isna()
        _reject_cells(raw, total, std, mapping, name, report, reason,
                      "looks like a totals row, not an area")


def _period_and_count(raw: pd.DataFrame, mapping: ColumnMap, name: str, report: Report,
                      reason: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ``period`` and ``count`` for the aggregate layout, rejecting bad cells."""
    months = _parse_periods(raw["period"])
    _reject_cells(raw, months.isna(), "period", mapping, name, report, reason,
                  "is not a month (use e.g. 2024-03 or Mar 2024)")
    number, bad = _parse_count_text(raw["count"].map(_cell_text).astype(TEXT))
    _reject_cells(raw, pd.Series(bad, index=raw.index), "count", mapping, name, report, reason,
                  "is not a non-negative whole number")
    counts = pd.Series(np.where(bad, 0, np.nan_to_num(number)).astype("int64"), index=raw.index)
    return months, counts


def _dates_and_counts(raw: pd.DataFrame, mapping: ColumnMap, name: str, report: Report,
                      reason: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ``date`` for the records layout (count is 1), rejecting bad cells."""
    dates, us_only = _parse_dates(raw["date"])
    _reject_cells(raw, dates.isna(), "date", mapping, name, report, reason,
                  "is not a recognised date (use e.g. 2024-03-31 or 31/03/2024)")
    if us_only.any():
        sample = _cell_text(raw.loc[us_only, "date"].iloc[0])
        _grouped(report, "warning", name, raw.loc[us_only, "source_row"],
                 f"dates only valid month-first (US order, e.g. {sample!r}) read as month/day; "
                 "ambiguous dates such as 01/02/2024 are always read day-first (1 Feb 2024)",
                 "If this file uses US dates, convert the column to yyyy-mm-dd and read again.",
                 column=mapping.header("date"))
    return dates, pd.Series(1, index=raw.index, dtype="int64")


# --------------------------------------------------------------------------- locations

_GSS_RE = r"[EWSN]\d{8}"
_LSOA_RE = r"[EW]01\d{6}"


def _code_column(raw: pd.DataFrame, std: str, pattern: str, mapping: ColumnMap, name: str,
                 report: Report) -> pd.Series:
    codes = raw[std].map(_cell_text).astype(TEXT).str.upper().str.replace(" ", "", regex=False)
    odd = codes.notna() & ~codes.str.fullmatch(pattern).fillna(False).astype(bool)
    if odd.any():
        _grouped(report, "warning", name, raw.loc[odd, "source_row"],
                 f"{std} does not look like a GSS code (e.g. {codes[odd].iloc[0]!r})",
                 "Kept; the join reports codes it cannot match.", column=mapping.header(std))
    return codes


def _coordinates(raw: pd.DataFrame, pair: tuple[str, str], mapping: ColumnMap, name: str,
                 report: Report) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return x, y and "plausible" for a lon/lat or easting/northing pair.

    Numbers may have thousands separators (``531,975.80``). Longitude and latitude
    given the wrong way round are swapped back (reported). Numbers outside the
    plausible UK range are kept (the join counts them outside the study area)
    and reported; missing halves and text are NaN (reported).
    """
    a_text = raw[pair[0]].map(_cell_text).astype(TEXT)
    b_text = raw[pair[1]].map(_cell_text).astype(TEXT)
    x, y = _number_text(a_text), _number_text(b_text)
    given = a_text.notna() | b_text.notna()
    degrees = pair == ("lon", "lat")
    x_range, y_range = (LON_RANGE, LAT_RANGE) if degrees else (EASTING_RANGE, NORTHING_RANGE)
    ok = _in_range(x, x_range) & _in_range(y, y_range)
    column = mapping.header(pair[0])
    if degrees:
        swapped = ~ok & _in_range(x, LAT_RANGE) & _in_range(y, LON_RANGE)
        if swapped.any():
            x, y = x.where(~swapped, y), y.where(~swapped, x)
            ok |= swapped
            every = "every row" if swapped.sum() == (x.notna() & y.notna()).sum() else \
                f"{int(swapped.sum()):,} rows"
            _grouped(report, "warning", name, raw.loc[swapped, "source_row"],
                     f"longitude and latitude are swapped in {every} (a latitude in the "
                     f"'{mapping.header('lon')}' column): read the other way round",
                     "Check the mapping: map the longitude column (about -6 to 2) to lon and "
                     "the latitude column (about 50 to 56) to lat.", column=column)
    numbers = x.notna() & y.notna()
    far = numbers & ~ok
    if far.any():
        hint = _coordinate_hint(x[far], y[far], degrees)
        first = raw.index[far.to_numpy()][0]
        _grouped(report, "warning", name, raw.loc[far, "source_row"],
                 f"{pair[0]}/{pair[1]} outside the UK ({x_range[0]:g}..{x_range[1]:g}, "
                 f"{y_range[0]:g}..{y_range[1]:g}), e.g. {a_text[first]}, {b_text[first]}: "
                 "counted as outside the study area",
                 f"Check these rows' coordinates.{hint}", column=column)
    bad = given & ~numbers
    if bad.any():
        first = raw.index[bad.to_numpy()][0]
        _grouped(report, "warning", name, raw.loc[bad, "source_row"],
                 f"{pair[0]}/{pair[1]} missing or not a number, e.g. {a_text[first]}, "
                 f"{b_text[first]}; treated as missing",
                 "Kept as without a location unless another location is given.", column=column)
    return x.where(numbers), y.where(numbers), ok & numbers


_THOUSANDS_NUMBER = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"


def _number_text(text: pd.Series) -> pd.Series:
    """Parse numbers, accepting thousands separators (``531,975.80``)."""
    text = text.str.replace(" ", "", regex=False)
    sep = text.str.fullmatch(_THOUSANDS_NUMBER).fillna(False).astype(bool)
    return _to_float(text.where(~sep, text.str.replace(",", "", regex=False)))


def _coordinate_hint(x: pd.Series, y: pd.Series, degrees: bool) -> str:
    if degrees and (x.abs() > 1000).mean() > 0.5:
        return " These look like metres: map them as easting/northing."
    if not degrees and (x.abs() <= 180).mean() > 0.5:
        return " These look like degrees: map them as lon/lat."
    if degrees and (_in_range(x, LAT_RANGE) & _in_range(y, LON_RANGE)).mean() > 0.5:
        return " Longitude and latitude look swapped: swap them in the mapping."
    return ""


def _locations(raw: pd.DataFrame, mapping: ColumnMap, name: str, report: Report) -> pd.DataFrame:
    """Return the location columns the mapping gives (see :func:`read_referrals`)."""
    out = pd.DataFrame(index=raw.index)
    if mapping.has("ward_code"):
        out["ward_code"] = _code_column(raw, "ward_code", _GSS_RE, mapping, name, report)
    for std in ("ward_name", "borough"):
        if mapping.has(std):
            out[std] = raw[std].map(_cell_text).astype(TEXT)
    if mapping.has("lsoa_code"):
        out["lsoa_code"] = _code_column(raw, "lsoa_code", _LSOA_RE, mapping, name, report)
    if mapping.has("lon") or mapping.has("easting"):
        x = pd.Series(np.nan, index=raw.index)
        y = x.copy()
        crs = pd.Series(pd.NA, index=raw.index, dtype=TEXT)
        chosen_ok = pd.Series(False, index=raw.index)
        for pair, code in ((("lon", "lat"), "EPSG:4326"), (("easting", "northing"), "EPSG:27700")):
            if mapping.has(*pair):
                px, py, ok = _coordinates(raw, pair, mapping, name, report)
                # easting/northing (second) win over lon/lat, unless only lon/lat are plausible
                use = px.notna() & (ok | ~chosen_ok)
                x, y = x.mask(use, px), y.mask(use, py)
                crs = crs.mask(use, code)
                chosen_ok = chosen_ok.mask(use, ok)
        out["x"], out["y"], out["xy_crs"] = x, y, crs
    located = [c for c in ("ward_code", "ward_name", "lsoa_code", "x") if c in out]
    none = out[located].isna().all(axis=1)
    _grouped(report, "warning", name, raw.loc[none, "source_row"], "no usable location",
             "Kept; the join counts these rows as unlocated.")
    return out


# --------------------------------------------------------------------------- reader


def read_referrals(
    path: Source,
    mapping: ColumnMap,
    *,
    sheet: str | int | None = None,
    label: str | None = None,
) -> ReadResult:
    """Read a partner's referral spreadsheet (CSV or XLSX) through a column mapping.

    Parameters
    ----------
    path
        A ``.csv`` (UTF-8, UTF-8 with BOM or Windows-1252; ``,``, ``;``, tab
        or ``|`` delimited) or ``.xlsx`` file, or a binary file object (an
        upload; XLSX is recognised from its content).
    mapping
        :class:`ColumnMap` from standard names to the file's headers. Headers
        match ignoring case and repeated spaces, and may be on any of the
        first 20 rows (rows above are ignored).
    sheet
        XLSX sheet name or 0-based position. By default the first sheet that
        has every mapped header.
    label
        Name used for ``source`` and in messages (default: the file name).

    Returns
    -------
    ReadResult
        ``frame`` with ``source``, ``source_row``, ``referral_id`` (when
        mapped), ``date`` (datetime64[ns]; the month start for the aggregate
        layout), ``month`` (``"YYYY-MM"``), ``category``, the location columns
        the mapping gives (``ward_code``, ``ward_name``, ``borough``,
        ``lsoa_code``, ``x``, ``y``, ``xy_crs``) and ``count`` (1 per record
        row). ``rejected`` has ``source``, ``source_row``, ``reason`` and the
        mapped cells as text. ``rows_read == len(frame) + len(rejected)``.

    Raises
    ------
    ColumnMappingError
        A mapped header is not in the first 20 rows (the message lists the
        headers found and the closest match), or ``sheet`` does not exist.
    EmptyInputError
        The file or sheet has no data rows.
    InputDataError
        The file is an old ``.xls``, an unreadable workbook, binary data, or a
        broken CSV (quotes that do not balance; the message gives the line).
        Strict on purpose: the same grid parser as the upload page's header
        sniffing (:mod:`hotspots.io.sheets` explains why).

    Notes
    -----
    Dates may be ISO (``2024-03-31``), UK day-first (``31/03/2024``,
    ``31/03/24``, ``31-Mar-24``, ``31 March 2024``), Excel serial numbers or
    date cells. **Ambiguous dates such as ``01/02/2024`` are read day-first
    (UK): 1 February 2024.** Text that is only valid month-first
    (``12/31/2024``) is read US-style and reported as a warning. Unreadable
    dates, periods and counts (which must be non-negative whole numbers,
    ``1,234`` accepted) reject their row, reported with row and column; so do
    rows whose ward is ``Total``. Rows with no location value are kept with
    the location columns ``<NA>`` and reported (the join counts them as
    unlocated); coordinates outside the plausible UK range are treated as
    missing. Blank and merged heading rows are skipped and reported (not
    counted in ``rows_read``); a merged block spanning rows gives its value to
    every row it covers.
    """
    name = _input_name(path, label)
    report = Report()
    grid = _read_grid(path, name, mapping, sheet, report)
    header, columns = _locate_columns(grid, mapping, name)
    raw = _grid_frame(grid, header, columns, name, report)
    reason = _reject_cell_problems(raw.pop("cell_problem"), raw, name, report)
    _reject_total_rows(raw, mapping, name, report, reason)
    rest = raw.loc[reason.isna()]
    parse = _period_and_count if mapping.layout == "aggregate" else _dates_and_counts
    dates, counts = parse(rest, mapping, name, report, reason)
    keep = reason.isna()
    dates, counts = dates.reindex(raw.index), counts.reindex(raw.index)
    frame = _referral_frame(raw.loc[keep], dates[keep], counts[keep], mapping, name, report)
    rejected = raw.loc[~keep].map(_cell_text).astype(TEXT)
    rejected["source_row"] = raw.loc[~keep, "source_row"]
    rejected.insert(0, "source", name)
    rejected["reason"] = reason[~keep]
    result = ReadResult(frame, rejected.reset_index(drop=True), report, len(raw))
    return result.check_records()


def _referral_frame(raw: pd.DataFrame, dates: pd.Series, counts: pd.Series, mapping: ColumnMap,
                    name: str, report: Report) -> pd.DataFrame:
    out = pd.DataFrame({"source": pd.Series(name, index=raw.index, dtype=TEXT),
                        "source_row": raw["source_row"].astype("int64")})
    if mapping.has("referral_id"):
        ids = raw["referral_id"].map(_cell_text).astype(TEXT)
        dup = ids.notna() & ids.duplicated(keep=False)
        _grouped(report, "warning", name, raw.loc[dup, "source_row"], "repeated referral id",
                 "Kept; remove copies if one referral was entered twice.",
                 column=mapping.header("referral_id"))
        out["referral_id"] = ids
    out["date"] = dates.astype("datetime64[ns]")
    out["month"] = dates.dt.strftime("%Y-%m").astype(TEXT)
    category = pd.Series(pd.NA, index=raw.index, dtype=TEXT)
    if mapping.has("category"):
        category = raw["category"].map(_cell_text).astype(TEXT)
        _grouped(report, "warning", name, raw.loc[category.isna(), "source_row"],
                 "blank category", "Kept; fill in the category to filter by it.",
                 column=mapping.header("category"))
    out["category"] = category
    out = out.join(_locations(raw, mapping, name, report))
    out["count"] = counts.astype("int64")
    return out.reset_index(drop=True)

