"""Readers for the dashboard's inputs.

Three kinds of input are read into plain pandas frames with a
:class:`~hotspots._validate.ReadResult` (kept rows, rejected rows, a report of
every problem, and the number of rows read):

* police.uk street-level crime CSVs (:func:`read_police_uk`): one monthly
  file, a folder of ``YYYY-MM/`` folders, or the police.uk archive zip;
* the Metropolitan Police ward x offence x month table
  (:func:`read_met_ward_crime`), reshaped long;
* a partner's referral spreadsheet, CSV or XLSX (:func:`read_referrals`),
  described by a :class:`ColumnMap` from the user's headers to standard names.

Readers never stop at the first problem. Rows that cannot be used go to
``rejected`` with a ``reason``; rows that can be used but are worth checking
(no coordinates, an odd code) are kept and reported. Only problems that make
the whole input unusable (missing columns, an empty file) raise an
:class:`~hotspots._errors.InputDataError` subclass. Row numbers are spreadsheet
rows: the header is row 1 (or the row it was found on), data starts below it.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import gzip
import io
import json
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots._validate import ReadResult, Report, rows_text

__all__ = [
    "LAYOUT_NAMES",
    "STANDARD_NAMES",
    "ColumnMap",
    "load_mapping",
    "read_met_ward_crime",
    "read_police_uk",
    "read_referrals",
    "save_mapping",
    "standardise_area_name",
]

PathLike = str | os.PathLike[str]
Source = PathLike | IO[bytes]
Layout = Literal["records", "aggregate"]

TEXT = "string"  # pandas StringDtype: missing values are <NA>
MONTH_PATTERN = r"\d{4}-(?:0[1-9]|1[0-2])"
_MONTH_RE = re.compile(MONTH_PATTERN)

# Plausible coordinate ranges (United Kingdom, with a margin), used to spot
# sentinel values such as 0,0 and swapped or mis-typed columns.
LON_RANGE = (-11.0, 3.0)
LAT_RANGE = (49.0, 62.0)
EASTING_RANGE = (0.0, 700_000.0)
NORTHING_RANGE = (0.0, 1_300_000.0)

_SHOW_ROWS = 5  # row numbers quoted in a grouped problem


# --------------------------------------------------------------------------- shared helpers


def _is_buffer(path: Source) -> bool:
    return hasattr(path, "read")


def _input_name(path: Source, label: str | None) -> str:
    """Return the name used in ``source`` and the report."""
    if label:
        return label
    if _is_buffer(path):
        return Path(str(getattr(path, "name", "") or "upload")).name
    return Path(os.fspath(path)).name  # type: ignore[arg-type]


def _input_bytes(path: Source) -> bytes:
    """Return the bytes of a path or binary file object."""
    if _is_buffer(path):
        data = path.read()  # type: ignore[union-attr]
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return Path(os.fspath(path)).read_bytes()  # type: ignore[arg-type]


def _decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), falling back to cp1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _norm_header(value: object) -> str:
    """Return a header compared ignoring case, BOM and runs of spaces."""
    return " ".join(str(value).replace("\ufeff", " ").split()).casefold()


def _match_headers(
    found: Iterable[object], wanted: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """Match wanted header names to the file's headers, ignoring case and spacing.

    Returns ``{file header: wanted name}`` and the wanted names not found.
    """
    lookup: dict[str, str] = {}
    for header in found:
        lookup.setdefault(_norm_header(header), str(header))
    matched: dict[str, str] = {}
    missing: list[str] = []
    for name in wanted:
        key = _norm_header(name)
        if key in lookup:
            matched[lookup[key]] = name
        else:
            missing.append(name)
    return matched, missing


def _suggest(missing: Iterable[str], found: Iterable[str]) -> str:
    """Return ``" Did you mean ...?"`` hints for missing headers (difflib)."""
    choices = {h.casefold(): h for h in found if h}
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name.casefold(), list(choices), n=1, cutoff=0.6)
        if close:
            hints.append(f"'{choices[close[0]]}' for '{name}'")
    return f" Did you mean {', '.join(hints)}?" if hints else ""


def _strip_text(s: pd.Series) -> pd.Series:
    """Return a string column with surrounding spaces removed and blanks as <NA>."""
    out = s.astype(TEXT).str.strip()
    return out.mask(out == "")


def _grouped(
    report: Report,
    severity: Literal["error", "warning", "info"],
    file: str,
    rows: Iterable[int],
    what: str,
    fix: str,
    *,
    column: str | None = None,
) -> None:
    """Add one problem standing for several rows, quoting the first few row numbers."""
    rows = list(rows)
    if rows:
        report.add(severity, file, f"{what} ({rows_text(rows, limit=_SHOW_ROWS)})", fix,
                   column=column, count=len(rows))


def _in_range(values: pd.Series, bounds: tuple[float, float]) -> pd.Series:
    return values.between(bounds[0], bounds[1])


def _to_float(s: pd.Series) -> pd.Series:
    """Convert text or numbers to float64 (unreadable -> NaN)."""
    return pd.to_numeric(s, errors="coerce").astype("float64")


# --------------------------------------------------------------------------- police.uk

#: police.uk street CSV header -> output column.
POLICE_COLUMNS: dict[str, str] = {
    "Crime ID": "crime_id",
    "Month": "month",
    "Falls within": "falls_within",
    "Longitude": "x",
    "Latitude": "y",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "category",
    "Last outcome category": "outcome",
}
POLICE_FRAME_COLUMNS = [
    "source", "source_row", "crime_id", "month", "category", "x", "y",
    "lsoa_code", "lsoa_name", "location", "falls_within", "outcome",
]
_POLICE_FIX_COLUMNS = (
    "Use the police.uk 'street' CSV (YYYY-MM-<force>-street.csv) as downloaded; "
    "outcomes and stop-and-search files are different tables."
)


@dataclass(frozen=True)
class _Member:
    """One street CSV inside a file, folder or zip."""

    source: str
    folder_month: str | None
    data: bytes


def _folder_month(parent: str) -> str | None:
    return parent if _MONTH_RE.fullmatch(parent) else None


def _police_members(path: Source, name: str) -> tuple[bool, Iterator[_Member]]:
    """Return (is_container, members) for a CSV, a folder or a zip."""
    if not _is_buffer(path) and Path(os.fspath(path)).is_dir():  # type: ignore[arg-type]
        return True, _folder_members(Path(os.fspath(path)), name)  # type: ignore[arg-type]
    data = _input_bytes(path)
    if data[:4] == b"PK\x03\x04" or (not _is_buffer(path) and str(path).lower().endswith(".zip")):
        return True, _zip_members(data, name)
    parent = "" if _is_buffer(path) else Path(os.fspath(path)).parent.name  # type: ignore[arg-type]
    return False, iter([_Member(name, _folder_month(parent), data)])


def _folder_members(folder: Path, name: str) -> Iterator[_Member]:
    files = sorted(folder.rglob("*-street.csv"), key=lambda p: p.relative_to(folder).as_posix())
    if not files:
        _no_street_files(name, [p.name for p in folder.rglob("*.csv")])
    for f in files:
        source = f.relative_to(folder).as_posix()
        yield _Member(source, _folder_month(f.parent.name), f.read_bytes())


def _zip_members(data: bytes, name: str) -> Iterator[_Member]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputDataError(
            f"{name}: not a readable zip file ({exc}). Download the police.uk archive again."
        ) from exc
    with archive:
        names = sorted(
            n for n in archive.namelist()
            if n.endswith("-street.csv") and not n.startswith("__MACOSX/")
        )
        if not names:
            _no_street_files(name, [n for n in archive.namelist() if n.endswith(".csv")])
        for member in names:
            parent = member.rsplit("/", 2)[-2] if "/" in member else ""
            yield _Member(member, _folder_month(parent), archive.read(member))


def _no_street_files(name: str, other_csvs: list[str]) -> None:
    extra = f" It holds other CSV files ({', '.join(other_csvs[:3])}...)." if other_csvs else ""
    raise EmptyInputError(
        f"{name}: no police.uk street files (*-street.csv) found.{extra} "
        "Point at a monthly street CSV, a folder of YYYY-MM/ folders or the police.uk zip."
    )


def _read_police_member(member: _Member, column_problems: list[str]) -> pd.DataFrame | None:
    """Parse one street CSV; return None when it is empty or has wrong columns."""
    text, _ = _decode(member.data)
    if not text.strip():
        return None
    header = next(csv.reader(io.StringIO(text)))
    rename, missing = _match_headers(header, POLICE_COLUMNS)
    if missing:
        found = ", ".join(f"'{h}'" for h in header)
        column_problems.append(
            f"{member.source}: missing column(s) {', '.join(repr(m) for m in missing)}; "
            f"columns found: {found}.{_suggest(missing, header)}"
        )
        return None
    frame = _police_csv_frame(text, {h: POLICE_COLUMNS[w] for h, w in rename.items()})
    if frame.empty:
        return None
    rows, broken = _record_lines(text, len(header), len(frame))
    frame.insert(0, "source_row", rows)
    frame.insert(0, "source", member.source)
    frame["folder_month"] = member.folder_month
    frame["broken_line"] = broken
    return frame


def _record_lines(text: str, n_fields: int, n_records: int) -> tuple[np.ndarray, pd.Series]:
    """Spreadsheet row of each record, and what is wrong with records that are not one line.

    A stray quote makes the CSV parser read several lines as one record; such a
    record is named by its first line (its fields are shifted, so its Month is not
    to be trusted). Falls back to one record per line if the parsers disagree.
    """
    starts, problems = [], []
    reader = csv.reader(io.StringIO(text))
    next(reader)
    line = reader.line_num
    for rec in reader:
        first, line = line + 1, reader.line_num
        starts.append(first)
        if line > first and any('\n' in f or '\r' in f for f in rec) and len(rec) != n_fields:
            problems.append(f"lines {first}–{line} were read as one row: a quote (\") in "
                            f"row {first} is not closed on that line")
        elif rec and len(rec) != n_fields:
            problems.append(f"row {first} has {len(rec)} cells, the header has {n_fields}")
        else:
            problems.append(pd.NA)
    if len(starts) != n_records:
        return (np.arange(2, n_records + 2, dtype="int64"),
                pd.Series(pd.NA, index=range(n_records), dtype=TEXT))
    return np.asarray(starts, dtype="int64"), pd.Series(problems, dtype=TEXT)


def _police_csv_frame(text: str, columns: dict[str, str]) -> pd.DataFrame:
    """Read the wanted columns with explicit dtypes (text ids, float lon/lat)."""
    dtypes = {h: ("float64" if out in ("x", "y") else TEXT) for h, out in columns.items()}
    options: dict[str, Any] = {
        "usecols": list(columns), "keep_default_na": False, "na_values": [""],
        "skip_blank_lines": False,
    }
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=dtypes, **options)
        unreadable = np.zeros(len(frame), dtype=bool)
    except ValueError:  # a coordinate cell that is not a number
        frame = pd.read_csv(io.StringIO(text), dtype=TEXT, **options)
        unreadable = np.zeros(len(frame), dtype=bool)
        bad_text = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
        for h in (h for h, out in columns.items() if out in ("x", "y")):
            values = _strip_text(frame[h])
            frame[h] = _to_float(values)
            here = values.notna() & frame[h].isna()
            unreadable |= here.to_numpy()
            bad_text = bad_text.where(~here | bad_text.notna(), f"{h} '" + values + "'")
        frame = frame.rename(columns=columns)
        frame["coord_unreadable"] = unreadable
        frame["coord_bad_text"] = bad_text
        return frame
    frame = frame.rename(columns=columns)
    frame["coord_unreadable"] = unreadable
    frame["coord_bad_text"] = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    return frame


def _combine_police(frames: list[pd.DataFrame], report: Report) -> pd.DataFrame:
    """Concatenate the files, strip text, drop (and report) blank lines."""
    combined = pd.concat(frames, ignore_index=True)
    for col in ("source", "folder_month", *POLICE_COLUMNS.values()):
        if col not in ("x", "y"):
            combined[col] = _strip_text(combined[col])
    blank = combined[list(POLICE_COLUMNS.values())].isna().all(axis=1)
    for source, rows in combined.loc[blank].groupby("source", sort=False):
        _grouped(report, "info", str(source), rows["source_row"], "blank lines skipped",
                 "Nothing to do.")
    return combined.loc[~blank].reset_index(drop=True)


def read_police_uk(path: Source, *, label: str | None = None) -> ReadResult:
    """Read police.uk street-level crime CSVs.

    Parameters
    ----------
    path
        One monthly street CSV (``2020-11-city-of-london-street.csv``), a folder
        searched at any depth for ``*-street.csv`` (normally ``YYYY-MM/``
        folders), or the police.uk archive zip (members are read straight from
        the zip). A binary file object (an upload) holding a CSV or a zip is
        accepted too.
    label
        Name to use for the input in messages; for a single CSV it is also the
        ``source`` value (useful when ``path`` is a temporary upload).

    Returns
    -------
    ReadResult
        ``frame`` with columns ``source`` (file name relative to ``path``),
        ``source_row``, ``crime_id`` (``<NA>`` when blank), ``month``
        (``"YYYY-MM"``), ``category`` (Crime type), ``x``, ``y`` (lon/lat,
        EPSG:4326, NaN when missing or implausible), ``lsoa_code``,
        ``lsoa_name``, ``location``, ``falls_within``, ``outcome``.
        ``rejected`` holds the same columns plus ``reason``.
        ``rows_read == len(frame) + len(rejected)``.

    Raises
    ------
    ColumnMappingError
        A file lacks required police.uk columns (every such file is listed,
        with the columns it has).
    EmptyInputError
        The file is empty (0 bytes or header only), or every file found is,
        or a folder / zip holds no ``*-street.csv``.
    InputDataError
        ``path`` looks like a zip but cannot be opened.

    Notes
    -----
    Rejected: a month that is blank or not ``YYYY-MM``; a non-blank Crime ID
    repeated within the same month (police.uk lists some crimes twice, at two
    snap points or with two outcomes; the first occurrence is kept).
    Reported and kept: rows without coordinates (warning per file; the join
    counts them as *unlocated*), coordinates outside the plausible UK range
    (lon -11..3, lat 49..62; treated as missing), blank Crime IDs
    (anti-social behaviour, info per file), a month that differs from the
    file's ``YYYY-MM`` folder (warning), empty files inside a folder or zip
    (warning).
    """
    name = _input_name(path, label)
    report = Report()
    is_container, members = _police_members(path, name)
    frames: list[pd.DataFrame] = []
    empty: list[str] = []
    column_problems: list[str] = []
    for member in members:
        known = len(column_problems)
        frame = _read_police_member(member, column_problems)
        if frame is not None:
            frames.append(frame)
        elif len(column_problems) == known:
            empty.append(member.source)
    if column_problems:
        raise ColumnMappingError(
            f"{name}: not a police.uk street CSV layout.\n" + "\n".join(column_problems)
            + f"\n{_POLICE_FIX_COLUMNS}"
        )
    _report_empty_members(name, is_container, empty, frames, report)
    combined = _combine_police(frames, report)
    if combined.empty:
        raise EmptyInputError(f"{name} holds only blank lines. Download the file(s) again.")
    frame, rejected = _police_checks(combined, report)
    return ReadResult(frame, rejected, report, len(combined)).check_records()


def _report_empty_members(
    name: str, is_container: bool, empty: list[str], frames: list[pd.DataFrame], report: Report
) -> None:
    if not frames:
        what = (f"every street file in {name} is empty ({len(empty)} files)" if is_container
                else f"{name} is empty (0 bytes or a header without data rows)")
        raise EmptyInputError(f"{what}. Download the file(s) again from data.police.uk.")
    for source in empty:
        report.add("warning", source, "empty file (0 bytes or header only), skipped",
                   "Download this month again if it should have crimes.")


def _police_checks(combined: pd.DataFrame, report: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reject bad months and repeated ids; report coordinates, ASB and folder months."""
    reason = pd.Series(pd.NA, index=combined.index, dtype=TEXT)
    broken = (combined["broken_line"].notna() if "broken_line" in combined
              else pd.Series(False, index=combined.index))
    for idx in combined.index[broken]:
        row = combined.loc[idx]
        reason[idx] = f"broken line: {row['broken_line']}"
        report.add("error", row["source"], reason[idx],
                   "Row rejected. Open the file in a text editor and remove the stray quote "
                   "(or put the quotes around the whole cell).", row=int(row["source_row"]))
    ok_month = (combined["month"].str.fullmatch(MONTH_PATTERN).fillna(False).astype(bool)
                & ~broken)
    _reject_months(combined, ~ok_month & ~broken, reason, report)
    _reject_duplicate_ids(combined, ok_month, reason, report)
    kept = combined.loc[reason.isna()].copy()
    _report_folder_months(kept, report)
    _clean_police_coordinates(kept, report)
    _report_blank_ids(kept, report)
    rejected = combined.loc[reason.notna()].copy()
    rejected["reason"] = reason[reason.notna()]
    frame = kept[POLICE_FRAME_COLUMNS].reset_index(drop=True)
    rejected = rejected[[*POLICE_FRAME_COLUMNS, "reason"]].reset_index(drop=True)
    return frame, rejected


def _reject_months(
    combined: pd.DataFrame, bad: pd.Series, reason: pd.Series, report: Report
) -> None:
    for idx in combined.index[bad]:
        row = combined.loc[idx]
        value = row["month"]
        what = "month is blank" if pd.isna(value) else f"month '{value}' is not a YYYY-MM month"
        reason[idx] = what
        report.add("error", row["source"], what,
                   "Row rejected. Correct the Month cell (YYYY-MM, e.g. 2020-11).",
                   row=int(row["source_row"]), column="Month")


def _reject_duplicate_ids(
    combined: pd.DataFrame, ok_month: pd.Series, reason: pd.Series, report: Report
) -> None:
    keyed = combined.loc[ok_month & combined["crime_id"].notna(),
                         ["source", "source_row", "month", "crime_id"]]
    dup = keyed.duplicated(["month", "crime_id"])
    if not dup.any():
        return
    firsts = keyed.loc[~dup].set_index(["month", "crime_id"])
    repeats = keyed.loc[dup]
    first = firsts.loc[list(zip(repeats["month"], repeats["crime_id"], strict=True))]
    for idx, src, row, cid, fsrc, frow in zip(
        repeats.index, repeats["source"], repeats["source_row"], repeats["crime_id"],
        first["source"], first["source_row"], strict=True,
    ):
        what = f"duplicate Crime ID {cid[:8]}… first seen in {fsrc} row {frow}"
        reason[idx] = what
        report.add("error", src, what,
                   "Row rejected, first occurrence kept (police.uk sometimes lists one crime "
                   "twice, at two snap points or with two outcomes).",
                   row=int(row), column="Crime ID")


def _report_folder_months(kept: pd.DataFrame, report: Report) -> None:
    folder = kept["folder_month"]
    differs = (kept["month"] != folder).fillna(False).astype(bool) & folder.notna()
    for source, rows in kept.loc[differs].groupby("source", sort=False):
        months = ", ".join(f"'{m}'" for m in rows["month"].unique()[:3])
        _grouped(report, "warning", str(source), rows["source_row"],
                 f"Month {months} differs from the folder '{rows['folder_month'].iloc[0]}'",
                 "Kept with the Month in the file; check the file is in the right folder.",
                 column="Month")


def _clean_police_coordinates(kept: pd.DataFrame, report: Report) -> None:
    """Report missing coordinates; blank implausible ones (in place on ``kept``)."""
    missing = kept["x"].isna() | kept["y"].isna()
    given = ~missing | kept["coord_unreadable"]
    plausible = _in_range(kept["x"], LON_RANGE) & _in_range(kept["y"], LAT_RANGE)
    text = kept["coord_bad_text"] if "coord_bad_text" in kept else None
    not_number = kept["coord_unreadable"] & (text.notna() if text is not None else False)
    for idx in kept.index[not_number]:
        cell = str(text[idx])
        report.add("warning", str(kept.at[idx, "source"]),
                   f"{cell} is not a number",
                   "Kept as unlocated (it counts as a crime without a location). Correct the "
                   "cell if you know the coordinates.", row=int(kept.at[idx, "source_row"]),
                   column=cell.split(" '", 1)[0])
    bad = given & ~plausible & ~not_number
    for source, rows in kept.loc[bad].groupby("source", sort=False):
        first = rows.iloc[0]
        _grouped(report, "warning", str(source), rows["source_row"],
                 "coordinates outside the plausible UK range "
                 f"(lon {LON_RANGE[0]:g}..{LON_RANGE[1]:g}, lat {LAT_RANGE[0]:g}..{LAT_RANGE[1]:g})"
                 " or unreadable, e.g. "
                 f"{first['x']}, {first['y']}",
                 "Kept as unlocated (coordinates treated as missing).", column="Longitude")
    for source, rows in kept.loc[missing & ~bad & ~not_number].groupby("source", sort=False):
        _grouped(report, "warning", str(source), rows["source_row"], "no coordinates",
                 "Kept; the join counts these rows as unlocated (police.uk could not place "
                 "them on the map).", column="Longitude")
    kept.loc[bad | not_number, ["x", "y"]] = np.nan


def _report_blank_ids(kept: pd.DataFrame, report: Report) -> None:
    blank = kept["crime_id"].isna()
    for source, rows in kept.loc[blank].groupby("source", sort=False):
        report.add("info", str(source),
                   "blank Crime ID (anti-social behaviour: police.uk publishes it without an id)",
                   "Kept; nothing to do.", column="Crime ID", count=len(rows))
    odd = blank & (kept["category"].str.casefold() != "anti-social behaviour").fillna(True)
    for source, rows in kept.loc[odd].groupby("source", sort=False):
        _grouped(report, "warning", str(source), rows["source_row"],
                 "blank Crime ID on a crime other than anti-social behaviour",
                 "Kept; check the file was not edited.", column="Crime ID")


# --------------------------------------------------------------------------- MPS ward crime

#: MPS ward file id column -> output column.
MET_COLUMNS: dict[str, str] = {
    "WardCode": "area_code",
    "WardName": "area_name",
    "LookUp_BoroughName": "borough_name",
    "MajorText": "major",
    "MinorText": "minor",
}
MET_FRAME_COLUMNS = ["area_code", "area_name", "borough_name", "major", "minor", "month", "count"]
_YYYYMM_RE = re.compile(r"(\d{4})(0[1-9]|1[0-2])")
_THOUSANDS_RE = r"\d{1,3}(?:,\d{3})+"
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
        ``minor``, ``month`` (``"YYYY-MM"``), ``count`` (int64). Zero counts
        are dropped. ``rejected``: wide rows that cannot be used (``source``,
        ``source_row``, ``reason`` and the id columns). ``rows_read`` is the
        number of wide data rows.

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
    frame = _met_long(wide.loc[keep], counts[keep], months)
    rejected = wide.loc[~keep, ["source_row", *MET_COLUMNS.values()]].copy()
    rejected.insert(0, "source", name)
    rejected["reason"] = reason[~keep]
    return ReadResult(frame, rejected.reset_index(drop=True), report, len(wide))


def _read_met_table(data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Return the wide table (text columns renamed) and its YYYYMM month columns."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
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
            f"{' ...' if len(wide.columns) > 12 else ''}.{_suggest(missing, wide.columns)} "
            "Use the MPS 'Ward Level Crime' file from the London Datastore as downloaded."
        )
    if wide.empty:
        raise EmptyInputError(f"{name} has a header but no data rows. Download it again.")
    wide = wide.rename(columns={h: MET_COLUMNS[w] for h, w in rename.items()})
    for col in MET_COLUMNS.values():
        wide[col] = _strip_text(wide[col])
    wide.insert(0, "source_row", np.arange(2, len(wide) + 2, dtype="int64"))
    return wide, months


def _parse_count_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse count text (``"12"``, ``"1,234"``, ``"12.0"``); return floats and a bad mask."""
    text = _strip_text(values)
    thousands = text.str.fullmatch(_THOUSANDS_RE).fillna(False).astype(bool)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    number = _to_float(text).to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(number) | (number < 0) | (np.mod(number, 1) != 0)
    return number, bad


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


def _met_long(wide: pd.DataFrame, counts: np.ndarray, months: list[str]) -> pd.DataFrame:
    """Reshape to one row per ward x offence x month with a non-zero count."""
    rows, cols = np.nonzero(counts)
    labels = np.array([_month_label(m) for m in months], dtype=object)
    out = {c: wide[c].to_numpy()[rows] for c in ("area_code", "area_name", "borough_name",
                                                  "major", "minor")}
    frame = pd.DataFrame(out).astype(TEXT)
    frame["month"] = pd.array(labels[cols], dtype=TEXT)
    frame["count"] = counts[rows, cols].astype("int64")
    return frame[MET_FRAME_COLUMNS]


# --------------------------------------------------------------------------- referrals: mapping

#: Standard column names a referral spreadsheet can be mapped to (registry).
STANDARD_NAMES: dict[str, str] = {
    "referral_id": "the referral's own id (optional; repeats are reported)",
    "date": "date of the referral or incident",
    "category": "type of referral or offence",
    "ward_code": "ward GSS code (E05...)",
    "ward_name": "ward name",
    "borough": "borough / local authority name (tells apart wards with the same name)",
    "lsoa_code": "LSOA code (E01...)",
    "lon": "longitude (WGS84 degrees)",
    "lat": "latitude (WGS84 degrees)",
    "easting": "British National Grid easting (metres)",
    "northing": "British National Grid northing (metres)",
    "period": "month of an aggregate count (2024-03, 202403, Mar 2024, a date ...)",
    "count": "number of referrals in the row (aggregate layout)",
}

#: Standard names each layout accepts, in canonical order.
LAYOUT_NAMES: dict[str, tuple[str, ...]] = {
    "records": ("referral_id", "date", "category", "ward_code", "ward_name", "borough",
                "lsoa_code", "lon", "lat", "easting", "northing"),
    "aggregate": ("period", "count", "category", "ward_code", "ward_name", "borough"),
}
_REQUIRED: dict[str, tuple[str, ...]] = {"records": ("date", "category"),
                                         "aggregate": ("period", "count")}
_LOCATIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "records": (("ward_code",), ("ward_name",), ("lsoa_code",), ("lon", "lat"),
                ("easting", "northing")),
    "aggregate": (("ward_code",), ("ward_name",)),
}
_PAIRS = (("lon", "lat"), ("easting", "northing"))


def _mapping_problems(columns: Mapping[str, str], layout: str) -> list[str]:
    """Return every problem with a mapping (empty when valid)."""
    if layout not in LAYOUT_NAMES:
        return [f"layout {layout!r} is not one of {sorted(LAYOUT_NAMES)}"]
    allowed = LAYOUT_NAMES[layout]
    problems = []
    for std, header in columns.items():
        if std not in STANDARD_NAMES:
            close = difflib.get_close_matches(std, list(STANDARD_NAMES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown standard name {std!r}{hint}; known: {', '.join(allowed)}")
        elif std not in allowed:
            problems.append(
                f"{std!r} is not used by layout {layout!r} (allowed: {', '.join(allowed)})"
            )
        if not isinstance(header, str):
            problems.append(f"the header for {std!r} must be text, got {header!r}")
    problems += [f"{req!r} must be mapped for layout {layout!r}" for req in _REQUIRED[layout]
                 if req not in columns]
    for a, b in _PAIRS:
        if (a in columns) != (b in columns):
            problems.append(f"{a!r} and {b!r} must be mapped together")
    if not any(all(n in columns for n in group) for group in _LOCATIONS[layout]):
        options = " | ".join("+".join(g) for g in _LOCATIONS[layout])
        problems.append(f"map at least one location: {options}")
    return problems


@dataclass(frozen=True, init=False)
class ColumnMap:
    """How a partner's spreadsheet headers map to the standard names.

    Parameters
    ----------
    columns
        ``{standard name: the spreadsheet's header}``, e.g.
        ``{"date": "Referral date", "category": "Type", "ward_name": "Ward"}``.
        Entries whose header is ``None`` or ``""`` are dropped (not mapped).
        Standard names are the keys of :data:`STANDARD_NAMES`.
    layout
        ``"records"`` (one row per referral: ``date``, ``category`` and at
        least one location: ``ward_code`` | ``ward_name`` (+ ``borough``) |
        ``lsoa_code`` | ``lon`` + ``lat`` | ``easting`` + ``northing``) or
        ``"aggregate"`` (counts: ``period``, ``count`` and ``ward_code`` or
        ``ward_name`` (+ ``borough``), optionally ``category``).

    Raises
    ------
    ColumnMappingError
        Unknown standard names (with the closest known name), names the layout
        does not use, missing required names, half a coordinate pair, or no
        location.

    Examples
    --------
    >>> m = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    >>> m.header("ward_name"), m.layout
    ('Ward', 'records')
    """

    pairs: tuple[tuple[str, str], ...]
    layout: Layout

    def __init__(self, columns: Mapping[str, str | None], *, layout: Layout = "records") -> None:
        given = {k: v for k, v in dict(columns).items() if v is not None and v != ""}
        problems = _mapping_problems(given, layout)
        if problems:
            raise ColumnMappingError(
                "invalid column mapping: " + "; ".join(problems)
                + ". Fix the mapping (standard name -> your spreadsheet's header)."
            )
        order = LAYOUT_NAMES[layout]
        pairs = tuple((k, str(given[k])) for k in order if k in given)
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "layout", layout)

    @property
    def columns(self) -> dict[str, str]:
        """Return ``{standard name: header}`` in canonical order."""
        return dict(self.pairs)

    def header(self, name: str) -> str | None:
        """Return the spreadsheet header mapped to a standard name, or ``None``."""
        return self.columns.get(name)

    def has(self, *names: str) -> bool:
        """Return True when every given standard name is mapped."""
        cols = self.columns
        return all(n in cols for n in names)


def save_mapping(mapping: ColumnMap, path: PathLike) -> Path:
    """Write a column mapping as small JSON with a stable key order.

    Parameters
    ----------
    mapping
        The mapping to save.
    path
        Destination ``.json`` file (overwritten).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    payload = {"version": 1, "layout": mapping.layout, "columns": mapping.columns}
    out = Path(os.fspath(path))
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def load_mapping(path: PathLike) -> ColumnMap:
    """Read a column mapping written by :func:`save_mapping`.

    Parameters
    ----------
    path
        A ``.json`` file with ``layout`` and ``columns``.

    Returns
    -------
    ColumnMap

    Raises
    ------
    ColumnMappingError
        The file is not valid JSON, lacks ``columns`` or holds an invalid
        mapping; the message names the file.
    """
    p = Path(os.fspath(path))
    try:
        payload = json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ColumnMappingError(
            f"{p.name}: not valid JSON ({exc}). Save the mapping again with save_mapping()."
        ) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("columns"), dict):
        raise ColumnMappingError(
            f"{p.name}: expected an object with 'layout' and 'columns'. "
            "Save the mapping again with save_mapping()."
        )
    try:
        return ColumnMap(payload["columns"], layout=payload.get("layout", "records"))
    except ColumnMappingError as exc:
        raise ColumnMappingError(f"{p.name}: {exc}") from exc


# --------------------------------------------------------------------------- referrals: grid

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


# --------------------------------------------------------------------------- referrals: values

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


# --------------------------------------------------------------------------- referrals: locations

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
                 report: Report) -> tuple[pd.Series, pd.Series]:
    """Return plausible x, y for a lon/lat or easting/northing pair (others NaN, reported)."""
    a_text = raw[pair[0]].map(_cell_text)
    b_text = raw[pair[1]].map(_cell_text)
    x, y = _to_float(a_text), _to_float(b_text)
    given = a_text.notna() | b_text.notna()
    degrees = pair == ("lon", "lat")
    x_range, y_range = (LON_RANGE, LAT_RANGE) if degrees else (EASTING_RANGE, NORTHING_RANGE)
    ok = _in_range(x, x_range) & _in_range(y, y_range)
    bad = given & ~ok
    if bad.any():
        hint = _coordinate_hint(x[bad], y[bad], degrees)
        first = raw.index[bad.to_numpy()][0]
        _grouped(report, "warning", name, raw.loc[bad, "source_row"],
                 f"{pair[0]}/{pair[1]} missing or outside the plausible range "
                 f"({x_range[0]:g}..{x_range[1]:g}, {y_range[0]:g}..{y_range[1]:g}), e.g. "
                 f"{a_text[first]}, {b_text[first]}; treated as missing",
                 f"Kept as unlocated unless another location is given.{hint}",
                 column=mapping.header(pair[0]))
    return x.where(ok), y.where(ok)


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
        for pair, code in ((("lon", "lat"), "EPSG:4326"), (("easting", "northing"), "EPSG:27700")):
            if mapping.has(*pair):
                px, py = _coordinates(raw, pair, mapping, name, report)
                use = px.notna()  # easting/northing (second) win over lon/lat
                x, y = x.mask(use, px), y.mask(use, py)
                crs = crs.mask(use, code)
        out["x"], out["y"], out["xy_crs"] = x, y, crs
    located = [c for c in ("ward_code", "ward_name", "lsoa_code", "x") if c in out]
    none = out[located].isna().all(axis=1)
    _grouped(report, "warning", name, raw.loc[none, "source_row"], "no usable location",
             "Kept; the join counts these rows as unlocated.")
    return out


# --------------------------------------------------------------------------- referrals: reader


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
        The file is an old ``.xls`` or an unreadable workbook.

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
    reason = pd.Series(pd.NA, index=raw.index, dtype=TEXT)
    _reject_total_rows(raw, mapping, name, report, reason)
    rest = raw.loc[reason.isna()]
    parse = _period_and_count if mapping.layout == "aggregate" else _dates_and_counts
    dates, counts = parse(rest, mapping, name, report, reason)
    keep = reason.isna()
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


# --------------------------------------------------------------------------- names

_APOSTROPHES = re.compile(r"['\u2018\u2019`\u00b4]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def standardise_area_name(s: str) -> str:
    """Return an area name normalised for joining by name.

    Accents are removed, text is case-folded, ``&`` becomes ``and``,
    apostrophes are dropped, other punctuation becomes a space, runs of
    spaces collapse, and a trailing ``" ward"`` is removed.

    Parameters
    ----------
    s
        An area (ward) name as written in a spreadsheet or boundary file.

    Returns
    -------
    str

    Examples
    --------
    >>> standardise_area_name("St. Mary's &  St James Ward")
    'st marys and st james'
    >>> standardise_area_name("Bow-East")
    'bow east'
    """
    text = unicodedata.normalize("NFKD", s)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.casefold().replace("&", " and "))
    text = " ".join(_PUNCTUATION.sub(" ", text).split())
    return text[: -len(" ward")] if text.endswith(" ward") else text
