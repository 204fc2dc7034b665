"""police.uk street-level crime: one monthly CSV, a folder of months, or the archive zip.

:func:`read_police_uk` reads every ``*-street.csv`` it finds into one frame of
crimes (lon/lat, month, category, LSOA), rejecting bad months and repeated
Crime IDs and reporting missing or implausible coordinates, blank ids and
files in the wrong month folder.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots._validate import ReadResult, Report
from hotspots.io.common import (
    LAT_RANGE,
    LON_RANGE,
    MONTH_PATTERN,
    TEXT,
    Source,
    _decode,
    _grouped,
    _in_range,
    _input_bytes,
    _input_name,
    _is_buffer,
    _match_headers,
    _strip_text,
    _suggest,
    _to_float,
)

__all__ = ["ASB_CATEGORY", "POLICE_COLUMNS", "POLICE_FRAME_COLUMNS", "read_police_uk"]

#: police.uk's "Crime type" of anti-social behaviour. police.uk publishes ASB in the
#: street-level files beside crime, but ASB incidents are not recorded crime (they have
#: no Crime ID): every view offers ASB as its own measure, never inside "all crime".
ASB_CATEGORY = "Anti-social behaviour"


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


_MONTH_RE = re.compile(MONTH_PATTERN)


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
            f"columns found: {found}.{_suggest(missing, header, POLICE_COLUMNS)}"
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

