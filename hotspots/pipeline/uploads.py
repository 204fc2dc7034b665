"""Your own data on top of a pack: uploaded files read in memory and placed in its areas.

The dashboard lets an analyst add files to the pack they are looking at (the
demo pack or a pack folder): police.uk street-level crime CSVs or the
police.uk zip, a partner's referral spreadsheet with a column mapping, and a
boundary file. Everything here is a pure function of bytes: nothing is sent
anywhere, and a boundary file (which GDAL must read from disk) is written to a
temporary folder that is deleted before the function returns.

* :func:`pack_with_uploads` builds a new :class:`hotspots.pipeline.Pack`:
  police.uk points are placed spatially in the pack's areas and **added** as
  crime measures under their own keys (major ``"police.uk: <Crime type>"``),
  keeping the pack's population and IMD; uploaded referrals **replace** the
  pack's (synthetic) referrals; an uploaded boundary file replaces the areas
  and keeps only the population, IMD, crime and referral rows whose area code
  is in the new layer (the reconciliation notes say how many).
* :func:`build_upload_pack` does the same but drops any upload that cannot be
  read, returning what went wrong, so the page keeps working.
* :func:`guess_mapping` pre-fills the column-mapping step from messy headers
  (and a remembered mapping); mappings are saved as the small JSON of
  :func:`hotspots.io.save_mapping`, on request under
  ``~/.config/hotspots/mappings/``.
* :func:`table_for` is :func:`hotspots.pipeline.ward_table` with crime
  coverage per source (uploaded police.uk points do not cover the same areas
  as the pack's crime source).

Every error is an :class:`UploadError` (an
:class:`~hotspots._errors.InputDataError`) whose message starts with the
uploaded file's name and says what to do.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io as _io
import json
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from hotspots import privacy
from hotspots._errors import CRSError, InputDataError
from hotspots._validate import REPORT_COLUMNS, ReadResult, Report
from hotspots.areas import join as join
from hotspots.io import readers as io
from hotspots.io.readers import LAYOUT_NAMES, ColumnMap
from hotspots.pipeline import pack as pipeline

__all__ = [
    "COVERAGE_MIN_POINTS",
    "COVERAGE_MIN_SHARE",
    "POLICE_UK_PREFIX",
    "emerging_for",
    "SOURCE_KEY_PREFIX",
    "MeasureGroup",
    "UploadError",
    "UploadFailure",
    "UploadOutcome",
    "UploadSet",
    "build_upload_pack",
    "guess_layout",
    "guess_mapping",
    "mapping_from_json",
    "mapping_to_json",
    "mappings_folder",
    "measure_groups",
    "pack_with_uploads",
    "PoliceCoverage",
    "police_boroughs_guess",
    "police_coverage",
    "read_boundary_upload",
    "read_headers",
    "remember_mapping",
    "remembered_mapping",
    "saved_mappings",
    "table_for",
    "upload_details",
    "upload_reconciliation",
]

Upload = tuple[str, bytes]
Part = Literal["police_uk", "referrals", "boundary"]
CrimeMode = Literal["add", "replace"]
Layout = Literal["records", "aggregate"]

#: Major-group prefix of crime measures built from uploaded police.uk files.
POLICE_UK_PREFIX = "police.uk: "
#: Measure keys ``crime:source:<key>`` select all crime of one source.
SOURCE_KEY_PREFIX = "crime:source:"
POLICE_UK_KEY = "police_uk"
PACK_KEY = "pack"
#: A borough counts as covered by police.uk uploads (a guess the user can correct) when it
#: holds at least ``max(1, min(COVERAGE_MIN_POINTS, ceil(1% of the placed points)))``
#: points and its points per area are at least COVERAGE_MIN_SHARE of the densest
#: borough's: points a force snaps just across its border stay far below that share
#: (City of London Police files put 4% of the City's density into Tower Hamlets).
COVERAGE_MIN_POINTS = 10
COVERAGE_MIN_SHARE = 0.06
HEADER_SEARCH_ROWS = 20
BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
_MAPPINGS_ENV = "XDG_CONFIG_HOME"


class UploadError(InputDataError):
    """An uploaded file cannot be used; the message names the file and the fix.

    Parameters
    ----------
    part
        ``"police_uk"``, ``"referrals"`` or ``"boundary"``.
    name
        The uploaded file's name.
    message
        Plain-words explanation, starting with the file name.
    """

    def __init__(self, part: Part, name: str, message: str) -> None:
        self.part = part
        self.name = name
        super().__init__(message if message.startswith(name) else f"{name}: {message}")


# --------------------------------------------------------------------------- upload set


@dataclass(frozen=True)
class UploadSet:
    """Every upload of one session, as plain bytes (small and hashable by digest).

    Attributes
    ----------
    police_uk
        ``(file name, bytes)`` of police.uk street CSVs or archive zips.
    referral
        ``(file name, bytes)`` of a referral spreadsheet (CSV or XLSX), or ``None``.
    mapping
        Column mapping for the referral file.
    boundary
        ``(file name, bytes)`` of a GeoPackage, GeoJSON or zipped shapefile, or ``None``.
    assume_crs
        CRS to use for a boundary file that has none (e.g. ``"EPSG:27700"``).
    crime_mode
        ``"add"``: police.uk crime sits beside the pack's crime under its own
        keys; ``"replace"``: it replaces the pack's crime.
    police_boroughs
        Boroughs the police.uk files cover (``None``: guessed).
    """

    police_uk: tuple[Upload, ...] = ()
    referral: Upload | None = None
    mapping: ColumnMap | None = None
    boundary: Upload | None = None
    assume_crs: str | None = None
    crime_mode: CrimeMode = "add"
    police_boroughs: tuple[str, ...] | None = None

    @cached_property
    def digest(self) -> str:
        """SHA-256 over every name, every file's bytes and every option."""
        h = hashlib.sha256()
        for name, data in (*self.police_uk, self.referral or ("", b""),
                           self.boundary or ("", b"")):
            h.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        options = {"mapping": mapping_to_json(self.mapping) if self.mapping else None,
                   "assume_crs": self.assume_crs, "crime_mode": self.crime_mode,
                   "police_boroughs": self.police_boroughs}
        h.update(json.dumps(options, sort_keys=True).encode("utf-8"))
        return h.hexdigest()

    @property
    def is_empty(self) -> bool:
        """True when no file would change the pack."""
        return not self.police_uk and self.referral is None and self.boundary is None

    @property
    def names(self) -> tuple[str, ...]:
        """The uploaded file names."""
        files = [*self.police_uk, *(u for u in (self.referral, self.boundary) if u)]
        return tuple(name for name, _ in files)

    def without(self, part: Part, name: str) -> UploadSet:
        """Return a copy without the named upload."""
        if part == "police_uk":
            return dataclasses.replace(self, police_uk=tuple(u for u in self.police_uk
                                                             if u[0] != name))
        if part == "referrals":
            return dataclasses.replace(self, referral=None, mapping=None)
        return dataclasses.replace(self, boundary=None)


@dataclass(frozen=True)
class UploadFailure:
    """One upload left out, and why.

    Attributes
    ----------
    part
        ``"police_uk"``, ``"referrals"`` or ``"boundary"``.
    name
        The file name.
    message
        What is wrong and how to fix it.
    """

    part: str
    name: str
    message: str


@dataclass(frozen=True)
class UploadOutcome:
    """The pack built from the uploads that could be used, and those that could not.

    Attributes
    ----------
    pack
        The new pack (the base pack itself when nothing could be used).
    failures
        Uploads left out, with the reason.
    """

    pack: pipeline.Pack
    failures: tuple[UploadFailure, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """Plain-words notes on what the uploads changed."""
        return tuple(self.pack.meta.get("uploads", {}).get("notes", ()))


# --------------------------------------------------------------------------- mapping


def _norm(text: object) -> str:
    """Return a header casefolded, punctuation as spaces, single-spaced."""
    s = str(text).replace("\ufeff", " ").casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


#: Header spellings for each standard name, best first (compared after :func:`_norm`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "referral_id": ("referral id", "referral ref", "referral reference", "referral number",
                    "referral no", "ref no", "reference", "case id", "case ref",
                    "case reference", "case number", "record id", "urn", "ref", "id"),
    "date": ("date of referral", "referral date", "date referred", "date received",
             "received date", "date", "incident date", "date of incident", "offence date",
             "event date", "created"),
    "category": ("referral type", "category", "type", "referral category",
                 "category of referral", "crime type", "offence type", "offence",
                 "concern type", "concern", "exploitation type", "reason for referral",
                 "reason"),
    "ward_code": ("ward code", "ward gss code", "ward gss", "wardcode", "ward cd", "gss code"),
    "ward_name": ("ward name", "ward", "wardname", "ward nm", "ward of residence",
                  "residential ward", "home ward"),
    "borough": ("borough", "borough name", "local authority", "local authority name",
                "la name", "la", "lad name", "lad", "council", "district",
                "borough of residence", "responsible borough", "responsible authority"),
    "lsoa_code": ("lsoa code", "lsoa", "lsoa11cd", "lsoa21cd", "lsoa 2011 code",
                  "lsoa 2021 code"),
    "lon": ("longitude", "lon", "long", "lng"),
    "lat": ("latitude", "lat"),
    "easting": ("easting", "eastings", "grid easting", "bng easting", "x coordinate", "x"),
    "northing": ("northing", "northings", "grid northing", "bng northing", "y coordinate",
                 "y"),
    "period": ("month", "period", "year month", "yearmonth", "month year", "reporting month"),
    "count": ("count", "number of referrals", "no of referrals", "referrals", "number",
              "total", "cases", "n"),
}
#: A header holding one of these words is never guessed for the standard name.
_EXCLUDE: dict[str, tuple[str, ...]] = {
    "date": ("birth", "dob", "closed", "closure", "end", "discharge", "ended"),
    "ward_name": ("code", "cd"), "borough": ("code", "cd"), "category": ("date",),
    "referral_id": ("date",), "count": ("date",), "period": ("date of birth",),
}
_PATTERNS: dict[str, str] = {"ward_code": r"wd\d\dcd", "ward_name": r"wd\d\dnm",
                             "borough": r"lad\d\dnm", "lsoa_code": r"lsoa\d\dcd"}
_SHORT = 3  # synonyms this short (id, la, n, x, y) only match a whole header


def _score(std: str, header: str) -> int:
    """Return how well a normalised header fits a standard name (0 = not at all)."""
    tokens = set(header.split())
    if any(word in tokens or (" " in word and word in header)
           for word in _EXCLUDE.get(std, ())):
        return 0
    pattern = _PATTERNS.get(std)
    if pattern and re.fullmatch(pattern, header.replace(" ", "")):
        return 95
    best = 0
    for i, syn in enumerate(SYNONYMS[std]):
        if header == syn:
            return 100 - i
        words = syn.split()
        if len(syn) > _SHORT and set(words) <= tokens:
            best = max(best, 50 - i - (len(tokens) - len(words)))
    return max(best, 0)


def guess_mapping(
    headers: Sequence[str],
    *,
    layout: Layout = "records",
    remembered: ColumnMap | Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Guess which header holds each standard name, from its spelling.

    Parameters
    ----------
    headers
        The uploaded file's headers, in file order.
    layout
        ``"records"`` or ``"aggregate"``: only that layout's standard names
        (:data:`hotspots.io.LAYOUT_NAMES`) are guessed.
    remembered
        A mapping used before (a :class:`~hotspots.io.ColumnMap` or a dict):
        each of its headers that this file has wins over any guess.

    Returns
    -------
    dict
        ``{standard name: header}`` for the names guessed (each header used
        at most once), in the layout's canonical order.

    Examples
    --------
    >>> guess_mapping(["Ref No", "DOB", "Date of referral", "Referral type", "Ward",
    ...                "Ward Code", "Borough"])  # doctest: +NORMALIZE_WHITESPACE
    {'referral_id': 'Ref No', 'date': 'Date of referral', 'category': 'Referral type',
     'ward_code': 'Ward Code', 'ward_name': 'Ward', 'borough': 'Borough'}
    """
    names = LAYOUT_NAMES.get(layout)
    if names is None:
        raise ValueError(f"layout must be one of {sorted(LAYOUT_NAMES)}; got {layout!r}")
    clean = [str(h) for h in headers if str(h).strip()]
    by_norm: dict[str, str] = {}
    for h in clean:
        by_norm.setdefault(_norm(h), h)
    chosen: dict[str, str] = {}
    old = remembered.columns if isinstance(remembered, ColumnMap) else dict(remembered or {})
    for std, header in old.items():
        found = by_norm.get(_norm(header))
        if std in names and found is not None and found not in chosen.values():
            chosen[std] = found
    scored = sorted(
        ((-_score(std, n), order, std, h) for order, (n, h) in enumerate(by_norm.items())
         for std in names if std not in chosen),
    )
    for neg, _, std, h in scored:
        if neg < 0 and std not in chosen and h not in chosen.values():
            chosen[std] = h
    return {std: chosen[std] for std in names if std in chosen}


def guess_layout(headers: Sequence[str]) -> Layout:
    """Return ``"aggregate"`` when the headers look like counts per ward and month.

    Examples
    --------
    >>> guess_layout(["Ward", "Month", "Number of referrals"])
    'aggregate'
    >>> guess_layout(["Ward", "Date of referral", "Type"])
    'records'
    """
    rec = guess_mapping(headers, layout="records")
    agg = guess_mapping(headers, layout="aggregate")
    if "period" in agg and "count" in agg and "date" not in rec:
        return "aggregate"
    return "records"


def mapping_to_json(mapping: ColumnMap) -> str:
    """Return the mapping as the JSON text :func:`hotspots.io.save_mapping` writes."""
    with tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        return io.save_mapping(mapping, Path(tmp) / "mapping.json").read_text(encoding="utf-8")


def mapping_from_json(name: str, data: bytes) -> ColumnMap:
    """Read an uploaded mapping JSON (as written by :func:`hotspots.io.save_mapping`).

    Raises
    ------
    UploadError
        Not JSON, or not a valid mapping; the message names the file.
    """
    with tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        path = Path(tmp) / _safe_name(name, ".json")
        path.write_bytes(data)
        try:
            return io.load_mapping(path)
        except InputDataError as exc:
            raise UploadError("referrals", name, str(exc).replace(path.name, name)) from exc


def mappings_folder() -> Path:
    """Return ``$XDG_CONFIG_HOME/hotspots/mappings`` (default ``~/.config/...``)."""
    base = os.environ.get(_MAPPINGS_ENV) or str(Path.home() / ".config")
    return Path(base) / "hotspots" / "mappings"


def remember_mapping(mapping: ColumnMap, name: str, *, folder: Path | None = None) -> Path:
    """Save a mapping on this computer as ``<folder>/<name>.json`` (overwritten).

    Parameters
    ----------
    mapping
        The mapping.
    name
        A name for it, usually the referral file's name (made file-safe).
    folder
        Where to save (default :func:`mappings_folder`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = folder or mappings_folder()
    out.mkdir(parents=True, exist_ok=True)
    return io.save_mapping(mapping, out / _safe_name(Path(name).stem, ".json"))


def saved_mappings(*, folder: Path | None = None) -> list[tuple[Path, ColumnMap]]:
    """Return the mappings saved on this computer, newest first (unreadable ones skipped)."""
    where = folder or mappings_folder()
    if not where.is_dir():
        return []
    out = []
    for path in sorted(where.glob("*.json"), key=lambda p: (-p.stat().st_mtime, p.name)):
        try:
            out.append((path, io.load_mapping(path)))
        except InputDataError:
            continue
    return out


def remembered_mapping(
    headers: Sequence[str], *, folder: Path | None = None
) -> ColumnMap | None:
    """Return the newest saved mapping whose every header is in ``headers``, if any."""
    have = {_norm(h) for h in headers}
    for _, mapping in saved_mappings(folder=folder):
        if all(_norm(h) in have for h in mapping.columns.values()):
            return mapping
    return None


def _safe_name(name: str, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
    return stem if stem.lower().endswith(suffix) else stem + suffix


# --------------------------------------------------------------------------- headers


def _is_xlsx(name: str, data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))


def _check_spreadsheet_bytes(name: str, data: bytes) -> None:
    """Refuse empty files, old .xls workbooks and binary files posing as CSV."""
    if not data.strip():
        raise UploadError("referrals", name, f"{name} is empty (0 bytes). Choose the file "
                          "again, or export it again from the partner's system.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UploadError("referrals", name, f"{name} is an old Excel .xls workbook. Open it "
                          "in Excel or LibreOffice and save it as .xlsx or CSV.")
    if not _is_xlsx(name, data) and b"\x00" in data[:4096]:
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
            if _header_index(rows) is not None:
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


def _header_index(rows: list[list[Any]]) -> int | None:
    """Return the index of the header row among the top rows, or ``None``."""
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
    _check_spreadsheet_bytes(name, data)
    rows = _xlsx_rows(name, data) if _is_xlsx(name, data) else _csv_rows(name, data)
    if not any(any(c is not None and str(c).strip() for c in r) for r in rows):
        raise UploadError("referrals", name, f"{name} has no data (every cell is blank). "
                          "Check you chose the right file and sheet.")
    idx = _header_index(rows)
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


# --------------------------------------------------------------------------- readers


def _named(name: str, exc: Exception) -> str:
    text = str(exc)
    return text if name in text else f"{name}: {text}"


def _read_police_one(name: str, data: bytes) -> ReadResult:
    """Read one uploaded police.uk CSV or zip; every failure names the file."""
    try:
        return io.read_police_uk(_io.BytesIO(data), label=name)
    except InputDataError as exc:
        raise UploadError("police_uk", name, _named(name, exc)) from exc
    except (ValueError, csv.Error, UnicodeError, zipfile.BadZipFile) as exc:
        raise UploadError("police_uk", name, f"{name} could not be read as a police.uk CSV "
                          f"({exc}). Download it again from data.police.uk and upload the "
                          "file as it came (YYYY-MM-<force>-street.csv, or the zip).") from exc


def _police_results(files: Sequence[Upload]) -> list[tuple[str, ReadResult]]:
    """Read every police.uk upload; refuse a file uploaded twice."""
    seen: dict[str, str] = {}
    out = []
    for name, data in files:
        sha = hashlib.sha256(data).hexdigest()
        if sha in seen:
            raise UploadError("police_uk", name, f"{name} has the same contents as "
                              f"{seen[sha]}: remove one of them, or its crimes would be "
                              "counted twice.")
        seen[sha] = name
        out.append((name, _read_police_one(name, data)))
    return _drop_cross_file_duplicates(out)


def _drop_cross_file_duplicates(
    results: list[tuple[str, ReadResult]],
) -> list[tuple[str, ReadResult]]:
    """Reject a Crime ID repeated in the same month in a later file (first one kept)."""
    keys = pd.concat(
        [r.frame.loc[r.frame["crime_id"].notna(), ["month", "crime_id", "source", "source_row"]]
         .assign(_file=i, _idx=r.frame.index[r.frame["crime_id"].notna()])
         for i, (_, r) in enumerate(results)], ignore_index=True)
    dup = keys.duplicated(["month", "crime_id"], keep="first")
    if not dup.any():
        return results
    first = keys.loc[~dup].set_index(["month", "crime_id"])
    out = []
    for i, (name, r) in enumerate(results):
        mine = keys.loc[dup & (keys["_file"] == i)]
        if mine.empty:
            out.append((name, r))
            continue
        where = first.loc[list(zip(mine["month"], mine["crime_id"], strict=True))]
        moved = r.frame.loc[mine["_idx"]].copy()
        moved["reason"] = [f"duplicate Crime ID {str(c)[:8]}… also in {s} row {row}"
                           for c, s, row in zip(mine["crime_id"], where["source"],
                                                where["source_row"], strict=True)]
        kept = r.frame.drop(index=mine["_idx"]).reset_index(drop=True)
        rejected = pd.concat([r.rejected, moved], ignore_index=True)
        out.append((name, ReadResult(kept, rejected, r.report, r.rows_read).check_records()))
    return out


def _read_referral_upload(name: str, data: bytes, mapping: ColumnMap | None) -> ReadResult:
    if mapping is None:
        raise UploadError("referrals", name, f"{name} needs a column mapping: say which "
                          "column holds the date, the category and the location.")
    read_headers(name, data)  # empty, broken CSV, no header row: clear messages first
    try:
        return io.read_referrals(_io.BytesIO(data), mapping, label=name)
    except InputDataError as exc:
        raise UploadError("referrals", name, _named(name, exc)) from exc
    except (ValueError, csv.Error, UnicodeError) as exc:
        raise UploadError("referrals", name, f"{name} could not be read ({exc}). Save it as "
                          "'CSV UTF-8' or .xlsx and upload it again.") from exc


def read_boundary_upload(
    name: str, data: bytes, *, assume_crs: str | None = None
) -> tuple[gpd.GeoDataFrame, Report]:
    """Read an uploaded boundary file into the standard area layer (EPSG:27700).

    Parameters
    ----------
    name
        File name: ``.gpkg``, ``.geojson``/``.json``, or ``.zip`` holding a
        shapefile (``.shp`` with ``.shx``, ``.dbf`` and ``.prj``), a GeoPackage
        or a GeoJSON.
    data
        The file's bytes (written to a temporary folder that is deleted).
    assume_crs
        CRS to use when the file has none.

    Returns
    -------
    areas : geopandas.GeoDataFrame
        ``area_code``, ``area_name``, ``borough_code``, ``borough_name``,
        ``geometry``, sorted by code.
    report : Report
        What was detected and repaired.

    Raises
    ------
    UploadError
        Empty or unreadable file, unknown layout, no CRS (the fix names
        ``assume_crs``), or blank / repeated area codes.
    """
    from boundaries.load import read_boundaries

    if not data:
        raise UploadError("boundary", name, f"{name} is empty (0 bytes). Export the "
                          "boundaries again.")
    with tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        path = _boundary_path(name, data, Path(tmp))
        try:
            areas, report = read_boundaries(path, assume_crs=assume_crs,
                                            **_standard_columns(path))
        except CRSError as exc:
            text = re.sub(r'pass assume_crs=("[^"]+")', r"choose \1 as the file's CRS",
                          _named(name, exc))
            raise UploadError("boundary", name, text) from exc
        except (InputDataError, FileNotFoundError) as exc:
            raise UploadError("boundary", name, _named(name, exc)) from exc
    if report.errors():
        raise UploadError("boundary", name, f"{name} cannot be used as an area layer:\n"
                          f"{report.to_text(severity='error', limit=10)}")
    areas = areas[pipeline.AREA_COLUMNS].sort_values("area_code").reset_index(drop=True)
    return gpd.GeoDataFrame(areas, geometry="geometry", crs=pipeline.ANALYSIS_CRS), report


def _boundary_path(name: str, data: bytes, tmp: Path) -> Path:
    """Write the upload (unzipping a zip safely) and return the file to read."""
    if data[:4] != b"PK\x03\x04":
        path = tmp / _safe_name(name, Path(name).suffix.lower() or ".gpkg")
        path.write_bytes(data)
        return path
    try:
        archive = zipfile.ZipFile(_io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UploadError("boundary", name, f"{name} is not a readable zip ({exc}).") from exc
    with archive:
        members = [m for m in archive.namelist()
                   if not m.startswith("__MACOSX/") and not m.endswith("/")]
        for member in members:
            target = (tmp / Path(member).name).resolve()
            if target.parent != tmp.resolve():
                continue  # never write outside the temporary folder
            target.write_bytes(archive.read(member))
    found = sorted(p for p in tmp.iterdir() if p.suffix.lower() in BOUNDARY_SUFFIXES)
    if not found:
        raise UploadError("boundary", name, f"{name} holds no boundary file (.shp, .gpkg or "
                          ".geojson). Zip the shapefile's .shp, .shx, .dbf and .prj together.")
    shp = [p for p in found if p.suffix.lower() == ".shp"]
    return shp[0] if shp else found[0]


def _standard_columns(path: Path) -> dict[str, str]:
    """Name the columns of a layer already in the pack's standard form."""
    import pyogrio

    try:
        fields = set(pyogrio.read_info(path)["fields"])
    except Exception:  # noqa: BLE001 - read_boundaries reports unreadable files itself
        return {}
    if "area_code" not in fields:
        return {}
    given = {"code_col": "area_code", "name_col": "area_name",
             "parent_code_col": "borough_code", "parent_name_col": "borough_name"}
    return {k: v for k, v in given.items() if v in fields}


# --------------------------------------------------------------------------- pack


@dataclass
class _Parts:
    """The pieces of the pack being built (private, mutable while building).

    ``details`` pairs each reconciliation source label with its per-row details,
    so that a replaced source loses both its row and its details.
    """

    meta: dict[str, Any]
    areas: gpd.GeoDataFrame
    crime: pd.DataFrame
    coverage: frozenset[str]
    referrals: pd.DataFrame
    population: pd.DataFrame
    imd: pd.DataFrame
    recs: pd.DataFrame
    details: list[tuple[str, pd.DataFrame]]
    problems: list[pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    detail_sources: set[str] = field(default_factory=set)
    points: pd.DataFrame | None = None


def _start(base: pipeline.Pack) -> _Parts:
    u = base.unassigned
    ref_file = base.meta.get("referrals_file")
    is_ref = (u["source"] == ref_file) if ref_file and len(u) else pd.Series(False, index=u.index)
    return _Parts(meta=json.loads(json.dumps(base.meta, default=str)), areas=base.areas,
                  crime=base.crime, coverage=base.crime_coverage, referrals=base.referrals,
                  population=base.population, imd=base.imd, recs=base.reconciliations.copy(),
                  details=[("Recorded crime", u[~is_ref]), ("Referrals", u[is_ref])],
                  problems=[base.problems], points=base.points)


def _add_rec(p: _Parts, rec: join.Reconciliation, note: str, *, upload: bool = True) -> None:
    row = join.reconciliation_frame([rec]).assign(note=note)
    p.recs = pd.concat([p.recs, row], ignore_index=True)
    p.details.append((rec.source, rec.details))
    if upload:
        p.sources.append(rec.source)
        p.detail_sources.update(str(s) for s in rec.details["source"].unique())


def _drop_recs(p: _Parts, prefix: str) -> None:
    """Drop the reconciliation rows and details of sources starting with ``prefix``."""
    p.recs = p.recs.loc[~p.recs["source"].str.startswith(prefix)].reset_index(drop=True)
    p.details = [(s, d) for s, d in p.details if not s.startswith(prefix)]


def _apply_boundary(p: _Parts, upload: Upload, assume_crs: str | None, *,
                    keep_crime: bool, keep_referrals: bool) -> None:
    """Replace the areas; keep only population, IMD, crime and referral rows that match."""
    name, data = upload
    areas, report = read_boundary_upload(name, data, assume_crs=assume_crs)
    p.problems.append(report.to_frame())
    codes, old_codes, n = set(areas["area_code"]), set(p.areas["area_code"]), len(areas)
    crime, crime_rec = join.codes_to_areas(
        p.crime if keep_crime else p.crime.iloc[0:0], areas, code_col="area_code",
        source=f"Recorded crime (pack rows re-matched to {name})")
    refs, ref_rec = join.codes_to_areas(
        p.referrals if keep_referrals else p.referrals.iloc[0:0], areas, code_col="area_code",
        source=f"Referrals (pack rows re-matched to {name})")
    pop = p.population[p.population["area_code"].isin(codes)].reset_index(drop=True)
    imd = p.imd[p.imd["area_code"].isin(codes)].reset_index(drop=True)
    n_pop = int(pd.to_numeric(pop["population"], errors="coerce").notna().sum())
    n_imd = int(imd["imd_score"].notna().sum()) if "imd_score" in imd else 0
    p.recs, p.details = p.recs.iloc[0:0], []
    if keep_crime:
        _add_rec(p, crime_rec, "by ward code; codes not in the uploaded layer are 'outside' "
                 "(another boundary vintage)", upload=False)
        p.meta["uploads"].setdefault("rematched", []).append(crime_rec.source)
    if keep_referrals and len(p.referrals):
        _add_rec(p, ref_rec, "by ward code, as for crime", upload=False)
        p.meta["uploads"].setdefault("rematched", []).append(ref_rec.source)
    p.areas, p.crime, p.referrals = areas, crime[p.crime.columns], refs[p.referrals.columns]
    p.coverage = frozenset(p.coverage & codes)
    p.population, p.imd = pop, imd
    p.notes.append(
        f"Boundaries from {name}: {n:,} areas ({len(codes & old_codes):,} with the same code "
        f"as one of the pack's {len(old_codes):,}). Kept where the codes match: population "
        f"for {n_pop:,} of {n:,} areas, IMD for {n_imd:,}, {crime_rec.assigned:,} of "
        f"{crime_rec.rows_in:,} recorded-crime rows and {ref_rec.assigned:,} of "
        f"{ref_rec.rows_in:,} referral records; the rest was dropped."
    )
    p.meta["vintage"] = f"{name} (uploaded)"
    for key, kept in (("population_source", n_pop), ("imd_source", n_imd)):
        if not kept:
            p.meta[key] = "not available for the uploaded boundaries (no matching area codes)"


_NO_BOROUGH = "(no borough)"


def _borough_of(areas: gpd.GeoDataFrame) -> pd.Series:
    return areas.set_index("area_code")["borough_name"].fillna(_NO_BOROUGH)


@dataclass(frozen=True)
class PoliceCoverage:
    """Which boroughs police.uk points cover, and why.

    Attributes
    ----------
    boroughs
        Borough names, sorted.
    forces
        ``{Falls within: police force area name, or None when none matches}``.
    rule
        How the boroughs were found, in plain words (for notes).
    """

    boroughs: tuple[str, ...]
    forces: dict[str, str | None]
    rule: str


def _density_guess(assigned: pd.DataFrame, areas: gpd.GeoDataFrame) -> set[str]:
    """Boroughs where the points are dense (see :data:`COVERAGE_MIN_SHARE`)."""
    borough = _borough_of(areas)
    per = assigned["area_code"].map(borough).value_counts()
    if per.empty:
        return set()
    need = max(1, min(COVERAGE_MIN_POINTS, math.ceil(0.01 * len(assigned))))
    density = per / borough.value_counts().reindex(per.index)
    ok = (per >= need) & (density >= COVERAGE_MIN_SHARE * density.max())
    return {str(b) for b in per.index[ok]}


def _borough_lads(areas: gpd.GeoDataFrame) -> pd.Series:
    """Borough name -> its LAD code (first non-blank ``borough_code``; "" when none)."""
    codes = areas.assign(_b=areas["borough_name"].fillna(_NO_BOROUGH))
    code = codes["borough_code"].astype("string").str.strip().replace("", pd.NA)
    return code.groupby(codes["_b"]).first().fillna("").astype(str)


def police_coverage(assigned: pd.DataFrame, areas: gpd.GeoDataFrame) -> PoliceCoverage:
    """Find the boroughs police.uk points cover: the force's area, else where points are dense.

    A borough (``borough_code`` = LAD code) is covered when its LAD lies in the
    police force area of a force named in ``falls_within`` (ONS LAD -> PFA
    lookup, :mod:`boundaries.forces`; names matched by
    :func:`boundaries.forces.force_key`). Points of a force no PFA matches (or
    with a blank ``falls_within``), and boroughs whose code is not in the lookup,
    use the density rule (:data:`COVERAGE_MIN_SHARE`, :data:`COVERAGE_MIN_POINTS`).

    Parameters
    ----------
    assigned
        Placed points with ``area_code`` and, ideally, ``falls_within``.
    areas
        The area layer (``borough_code``, ``borough_name``).

    Returns
    -------
    PoliceCoverage
    """
    from boundaries.forces import lad_pfa, match_forces

    table = lad_pfa()
    pfa_of_lad = dict(zip(table["lad_code"], table["pfa_code"], strict=True))
    pfa_name = dict(zip(table["pfa_code"], table["pfa_name"], strict=True))
    force = (assigned["falls_within"].astype("string").str.strip()
             if "falls_within" in assigned else pd.Series(pd.NA, index=assigned.index,
                                                          dtype="string"))
    matched = match_forces(force.dropna().unique())
    known = {c for c in matched.values() if c}
    lads = _borough_lads(areas)
    in_table = lads.isin(pfa_of_lad)
    by_force = {b for b, lad in lads[in_table].items() if pfa_of_lad[lad] in known}
    unknown_pts = ~force.isin([f for f, c in matched.items() if c])
    by_density = _density_guess(assigned.loc[unknown_pts], areas) if known else \
        _density_guess(assigned, areas)
    if known:  # the known force's points still decide boroughs the lookup lacks
        by_density |= (_density_guess(assigned, areas) & set(lads.index[~in_table]))
    rule = _coverage_rule(matched, pfa_name, unknown_pts.any(), (~in_table).any() and bool(known))
    return PoliceCoverage(tuple(sorted(by_force | by_density)),
                          {f: pfa_name.get(c) if c else None for f, c in matched.items()}, rule)


def _coverage_rule(matched: Mapping[str, str | None], pfa_name: Mapping[str, str],
                   any_unknown: bool, lads_missing: bool) -> str:
    forces = [f"{f} -> police force area '{pfa_name[c]}'" for f, c in sorted(matched.items())
              if c]
    unknown = sorted(f for f, c in matched.items() if not c)
    parts = []
    if forces:
        parts.append("covered boroughs = the local authorities of the force's area (ONS LAD "
                     "to police force area lookup, December 2019): " + "; ".join(forces))
    if any_unknown:
        who = (f"no police force area matches {', '.join(unknown)}" if unknown
               else "some rows do not say which force recorded them" if forces
               else "the files do not say which force recorded them")
        parts.append(f"{who}: the boroughs for those points are a guess from where the points "
                     "are dense (check them)")
    if lads_missing:
        parts.append("boroughs whose code is not in the lookup are guessed from where the "
                     "points are dense")
    return "; ".join(parts) or "no points placed: no borough covered"


def police_boroughs_guess(assigned: pd.DataFrame, areas: gpd.GeoDataFrame) -> tuple[str, ...]:
    """Guess which boroughs uploaded police.uk points cover (see :func:`police_coverage`).

    Parameters
    ----------
    assigned
        Placed points with ``area_code`` (and ``falls_within``, the force).
    areas
        The area layer (``borough_code``, ``borough_name``; areas without a
        borough name form one group).

    Returns
    -------
    tuple of str
        Borough names, sorted.
    """
    return police_coverage(assigned, areas).boroughs


def _coverage_of(boroughs: Iterable[str], areas: gpd.GeoDataFrame) -> frozenset[str]:
    borough = _borough_of(areas)
    return frozenset(borough.index[borough.isin(set(boroughs))])


def _apply_police_uk(p: _Parts, files: Sequence[Upload], mode: CrimeMode,
                     boroughs: Sequence[str] | None) -> None:
    """Place police.uk points in the areas; add (or replace) crime measures.

    Points placed in an area outside the covered boroughs are not counted: they
    move from *assigned* to *outside* ("outside coverage", with the ward named)
    so that each file's reconciliation adds up to the table.
    """
    placed, points, read = [], [], []
    if mode == "replace":
        _drop_recs(p, "Recorded crime")
    for name, res in _police_results(files):
        p.problems.append(res.report.to_frame())
        points.append(pipeline.point_records(res.frame))
        read.append(pipeline.points_reconciliation(res))
        placed.append(join.points_to_areas(res.frame, p.areas, crs="EPSG:4326",
                                           source=f"Recorded crime: police.uk upload ({name})",
                                           rejected=res.rejected))
    cov = police_coverage(pd.concat([a for a, _ in placed], ignore_index=True), p.areas)
    guess = cov.boroughs
    chosen = tuple(sorted(boroughs)) if boroughs is not None else guess
    coverage = _coverage_of(chosen, p.areas)
    rule = cov.rule if boroughs is None else "covered boroughs chosen on the page"
    parts, moved = [], 0
    for a, rec in placed:
        a, rec = pipeline.restrict_to_coverage(a, rec, coverage, p.areas,
                                               covered_text=", ".join(chosen) or "none")
        n_out = int((rec.details["status"] == pipeline.STATUS_OUTSIDE_COVERAGE).sum())
        moved += n_out
        _add_rec(p, rec, "placed spatially by police.uk's anonymised snap points; measures "
                 f"'{POLICE_UK_PREFIX}<Crime type>'; {rule}; {n_out:,} rows fall in wards "
                 "outside the covered boroughs and are counted as outside")
        parts.append(a.assign(major=POLICE_UK_PREFIX + a["category"].astype(str),
                              minor=a["category"].astype(str), count=1)
                     [["area_code", "month", "major", "minor", "count"]])
    new = (pd.concat(parts, ignore_index=True)
           .groupby(["area_code", "month", "major", "minor"], as_index=False)["count"].sum())
    new = new.astype({"area_code": str, "month": str, "major": str, "minor": str,
                      "count": "int64"})
    p.meta["uploads"].update(police_boroughs=list(chosen), police_boroughs_guess=list(guess),
                             police_coverage_rule=cov.rule, police_forces=cov.forces)
    # The patrol view works on the uploaded points (they replace a pack's own points).
    p.points = pd.concat(points, ignore_index=True)
    rejected: dict[str, int] = {}
    for r in read:
        for reason, n in r["rows_rejected"].items():
            rejected[reason] = rejected.get(reason, 0) + n
    p.meta.update(points_source=_uploaded_label(files), points_boroughs=list(chosen),
                  points_note=pipeline.POLICE_UK_POINTS_NOTE,
                  points_reconciliation={
                      "rows_read": sum(r["rows_read"] for r in read),
                      "rows_kept": sum(r["rows_kept"] for r in read),
                      "rows_rejected": dict(sorted(rejected.items())),
                      "rows_without_location": sum(r["rows_without_location"] for r in read)})
    p.meta.pop("points_file", None)
    label = _uploaded_label(files)
    if mode == "replace" or not len(p.crime):
        p.crime, p.coverage = new, coverage
        p.meta.update(crime_source=label, crime_coverage_note=_coverage_note(coverage, p.areas))
        p.meta.pop("crime_sources", None)
    else:
        base_label = str(p.meta.get("crime_source", "the pack's recorded crime"))
        p.crime = pd.concat([p.crime, new], ignore_index=True)
        p.meta["crime_sources"] = [
            {"key": PACK_KEY, "label": "pack data", "coverage": sorted(p.coverage)},
            {"key": POLICE_UK_KEY, "label": "police.uk uploads", "prefix": POLICE_UK_PREFIX,
             "coverage": sorted(coverage)},
        ]
        p.meta["crime_source"] = f"{base_label}; and {label}"
    p.meta.setdefault("placement", {})["police_uk"] = "police.uk anonymised snap point"
    p.notes.append(f"police.uk: {int(new['count'].sum()):,} crimes placed in "
                   f"{new['area_code'].nunique():,} areas; "
                   + ("they replace the pack's recorded crime. " if mode == "replace" else
                      f"added beside the pack's crime as '{POLICE_UK_PREFIX}<Crime type>'. ")
                   + _coverage_note(coverage, p.areas) + f" How: {rule}."
                   + (f" {moved:,} points fall in wards outside the covered boroughs: counted "
                      "as 'outside coverage', not in the table." if moved else ""))


def _uploaded_label(files: Sequence[Upload]) -> str:
    """Short source label: the file's name, or how many files (not every name)."""
    if len(files) == 1:
        return f"police.uk street-level crime (uploaded: {files[0][0]})"
    return f"police.uk street-level crime (uploaded: {len(files):,} files)"


def _coverage_note(coverage: frozenset[str], areas: gpd.GeoDataFrame) -> str:
    return (f"Areas covered by the police.uk files: {len(coverage):,} of {len(areas):,} "
            "(the boroughs the files cover); the others show 'no data', never 0.")


def _lsoa_lookup(base: pipeline.Pack, boundary_changed: bool) -> pd.DataFrame | None:
    """Return the pack's LSOA -> area best-fit lookup, when it applies to the areas."""
    path = base.folder / "imd_lsoa_assignment.csv" if base.folder else None
    if boundary_changed or path is None or not path.is_file():
        return None
    lookup = pd.read_csv(path, dtype=str).rename(columns={"small_code": "lsoa_code"})
    return lookup[["lsoa_code", "area_code"]] if "lsoa_code" in lookup else None


def _apply_referrals(p: _Parts, upload: Upload, mapping: ColumnMap | None,
                     lookup: pd.DataFrame | None) -> None:
    """Read the referral upload and let it replace the pack's referrals."""
    name, data = upload
    res = _read_referral_upload(name, data, mapping)
    p.problems.append(res.report.to_frame())
    _drop_recs(p, "Referrals")
    a, rec = join.locate_records(res.frame, p.areas, source=f"Referrals (upload: {name})",
                                 rejected=res.rejected, lsoa_lookup=lookup)
    _add_rec(p, rec, "placed by the location columns of the mapping (ward code, LSOA, "
             "coordinates, then ward name)")
    p.referrals = a[["area_code", "month", "category", "count"]].astype(
        {"area_code": str, "month": str, "count": "int64"}).reset_index(drop=True)
    p.meta.update(synthetic_referrals=False, synthetic_label="", referrals_file=name)
    marking = str(p.meta.get("marking") or "OFFICIAL").upper()
    if "SENSITIVE" not in marking and "SECRET" not in marking:
        p.meta["marking"] = "OFFICIAL-SENSITIVE"  # real referrals: data about children
    p.meta.setdefault("placement", {})["referrals"] = f"as given in {name}"
    p.notes.append(f"Referrals from {name} replace the pack's referrals"
                   f"{' (SYNTHETIC)' if _was_synthetic(p) else ''}: {rec.assigned:,} of "
                   f"{rec.rows_in:,} rows placed in an area. The page is marked "
                   f"{p.meta['marking']}.")


def _was_synthetic(p: _Parts) -> bool:
    return bool(p.meta.get("uploads", {}).get("base_synthetic"))


def pack_with_uploads(
    base: pipeline.Pack,
    *,
    police_uk_files: Iterable[Upload] = (),
    referral_file: Upload | None = None,
    mapping: ColumnMap | None = None,
    boundary_file: Upload | None = None,
    assume_crs: str | None = None,
    crime_mode: CrimeMode = "add",
    police_boroughs: Sequence[str] | None = None,
) -> pipeline.Pack:
    """Return a new pack: ``base`` with the uploaded files read in and placed in its areas.

    Parameters
    ----------
    base
        The pack the user is looking at (not modified).
    police_uk_files
        ``(name, bytes)`` of police.uk street CSVs or archive zips. Points are
        placed spatially (:func:`hotspots.join.points_to_areas`, one
        reconciliation per file) and counted as crime measures with major
        group ``"police.uk: <Crime type>"`` and type ``"<Crime type>"``.
    referral_file, mapping
        ``(name, bytes)`` of a CSV/XLSX referral spreadsheet and its
        :class:`~hotspots.io.ColumnMap`. The records replace the pack's
        referrals (``meta["synthetic_referrals"]`` becomes False). LSOA codes
        are placed with the pack's LSOA lookup when it has one.
    boundary_file
        ``(name, bytes)`` of a boundary file (see :func:`read_boundary_upload`);
        it replaces the areas. Population, IMD, crime and referral rows are
        kept where their area code is in the new layer, dropped otherwise.
    assume_crs
        CRS for a boundary file that has none.
    crime_mode
        ``"add"`` (police.uk beside the pack's crime; ``meta["crime_sources"]``
        records each source's coverage, see :func:`table_for`) or
        ``"replace"``.
    police_boroughs
        Boroughs the police.uk files cover (areas elsewhere show "no data");
        ``None``: guessed by :func:`police_boroughs_guess`.

    Returns
    -------
    Pack
        ``folder=None``; ``meta["uploads"]`` lists the files, the
        reconciliation sources of the uploads and plain-words notes.
        ``reconciliations`` has one row per source, with a ``note``.

    Raises
    ------
    UploadError
        For the first upload that cannot be used (the message names the file,
        and the row or column where it can).
    """
    files = list(police_uk_files)
    p = _start(base)
    p.meta["uploads"] = {"base_synthetic": bool(base.meta.get("synthetic_referrals"))}
    if boundary_file is not None:
        _apply_boundary(p, boundary_file, assume_crs,
                        keep_crime=not (files and crime_mode == "replace"),
                        keep_referrals=referral_file is None)
    if files:
        _apply_police_uk(p, files, crime_mode, police_boroughs)
    if referral_file is not None:
        _apply_referrals(p, referral_file, mapping, _lsoa_lookup(base, boundary_file is not None))
    names = [n for n, _ in files] + [u[0] for u in (referral_file, boundary_file) if u]
    p.meta["title"] = f"{base.meta.get('title', 'Data pack')} + your files"
    p.meta["uploads"].update(files=names, sources=p.sources, notes=p.notes,
                             detail_sources=sorted(p.detail_sources))
    problems = [f for f in p.problems if len(f)]
    details = [d for _, d in p.details if len(d)]
    same_areas = boundary_file is None
    return pipeline.Pack(
        folder=None, meta=p.meta, areas=p.areas, crime=p.crime,
        crime_coverage=frozenset(p.coverage), referrals=p.referrals,
        population=p.population, imd=p.imd, reconciliations=p.recs.reset_index(drop=True),
        unassigned=(pd.concat(details, ignore_index=True) if details
                    else base.unassigned.iloc[0:0].reset_index(drop=True)),
        problems=(pd.concat(problems, ignore_index=True) if problems
                  else pd.DataFrame(columns=REPORT_COLUMNS)),
        points=p.points,
        _web=base._web if same_areas else {},  # same areas: one set of web layers, built once
    )


def build_upload_pack(base: pipeline.Pack, uploads: UploadSet) -> UploadOutcome:
    """Build the pack from every upload that can be used; report the others.

    An upload that raises :class:`UploadError` is left out and the pack is
    built again without it, so one bad file never hides the good ones.

    Parameters
    ----------
    base
        The pack the uploads are added to.
    uploads
        The session's uploads.

    Returns
    -------
    UploadOutcome
        The pack (``base`` itself when no upload could be used) and the failures.
    """
    failures: list[UploadFailure] = []
    todo = uploads
    while not todo.is_empty:
        try:
            pack = pack_with_uploads(
                base, police_uk_files=todo.police_uk, referral_file=todo.referral,
                mapping=todo.mapping, boundary_file=todo.boundary,
                assume_crs=todo.assume_crs, crime_mode=todo.crime_mode,
                police_boroughs=todo.police_boroughs)
            return UploadOutcome(pack, tuple(failures))
        except UploadError as exc:
            failures.append(UploadFailure(exc.part, exc.name, str(exc)))
            todo = todo.without(exc.part, exc.name)
    return UploadOutcome(base, tuple(failures))


def upload_reconciliation(pack: pipeline.Pack, *, rematched: bool = False) -> pd.DataFrame:
    """Return the reconciliation rows of the uploads (rows read, assigned, ...).

    Parameters
    ----------
    pack
        A pack from :func:`pack_with_uploads`.
    rematched
        Also return the rows of the pack's own data re-matched to uploaded boundaries.

    Returns
    -------
    DataFrame
        One row per source, as :func:`hotspots.join.reconciliation_frame`, plus ``note``.
    """
    info = pack.meta.get("uploads", {})
    sources = list(info.get("sources", [])) + (info.get("rematched", []) if rematched else [])
    rec = pack.reconciliations
    return rec[rec["source"].isin(sources)].reset_index(drop=True)


def upload_details(pack: pipeline.Pack) -> pd.DataFrame:
    """Return the per-row reasons of every uploaded row not placed, safe for a spreadsheet.

    Returns
    -------
    DataFrame
        ``source`` (file, or member of an uploaded zip), ``source_row``
        (spreadsheet row), ``status``, ``reason``; text that looks like a
        formula is neutralised (:func:`hotspots.privacy.safe_for_spreadsheet`).
    """
    sources = set(pack.meta.get("uploads", {}).get("detail_sources", []))
    d = pack.unassigned
    d = d[d["source"].astype(str).isin(sources)] if len(d) else d
    cols = ["source", "source_row", "status", "reason"]
    return privacy.safe_for_spreadsheet(d.reindex(columns=cols).reset_index(drop=True))


# --------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class MeasureGroup:
    """First level of the two-level measure picker.

    Attributes
    ----------
    label
        What the first selectbox shows.
    options
        ``measure key -> label`` for the second selectbox; the first entry is
        the whole group.
    """

    label: str
    options: dict[str, str]


def _sources(pack: pipeline.Pack) -> list[dict[str, Any]]:
    return list(pack.meta.get("crime_sources") or [])


def measure_groups(pack: pipeline.Pack) -> dict[str, MeasureGroup]:
    """Group the pack's measures two levels deep: family and group, then type.

    Parameters
    ----------
    pack
        A pack (with or without uploads).

    Returns
    -------
    dict
        ``group key -> MeasureGroup``: ``"crime:all"`` (all recorded crime of
        the pack's source), one ``"crime:major:<group>"`` per offence group
        (then its types), ``"police_uk"`` (uploaded police.uk crime: all, then
        each crime type) and ``"referrals"`` (all, then each category).
    """
    opts = pipeline.measure_options(pack)
    groups: dict[str, MeasureGroup] = {}
    police = {k: v for k, v in opts.items() if k.startswith(f"crime:major:{POLICE_UK_PREFIX}")}
    mixed = bool(_sources(pack))
    if "crime:all" in opts and (mixed or not police):
        label = f"Recorded crime: all offences{_source_tag(pack, PACK_KEY)}"
        groups["crime:all"] = MeasureGroup(label, {"crime:all": "All offences"})
    for key, label in opts.items():
        if not key.startswith("crime:major:") or key in police:
            continue
        prefix = f"crime:minor:{key[len('crime:major:'):]}|"
        types = {k: v.split(": ", 1)[-1] for k, v in opts.items() if k.startswith(prefix)}
        groups[key] = MeasureGroup(f"Recorded crime: {label}",
                                   {key: "All types in this group", **types})
    if police:
        all_key = f"{SOURCE_KEY_PREFIX}{POLICE_UK_KEY}" if mixed else "crime:all"
        types = {k: k[len(f"crime:major:{POLICE_UK_PREFIX}"):] for k in police}
        groups["police_uk"] = MeasureGroup("police.uk upload: crime types",
                                           {all_key: "All crime types", **types})
    if "referrals:all" in opts:
        cats = {k: v.split(": ", 1)[-1] for k, v in opts.items()
                if k.startswith("referrals:category:")}
        groups["referrals"] = MeasureGroup(opts["referrals:all"].replace("All referrals",
                                                                         "Referrals"),
                                           {"referrals:all": "All categories", **cats})
    return groups


def _source_tag(pack: pipeline.Pack, key: str) -> str:
    for s in _sources(pack):
        if s["key"] == key:
            return f" ({s['label']})"
    return ""


def _crime_view(pack: pipeline.Pack, measure: str) -> tuple[pipeline.Pack, str, str | None]:
    """Return (pack restricted to one crime source, measure key to use, label override)."""
    srcs = {s["key"]: s for s in _sources(pack)}
    is_police = pack.crime["major"].str.startswith(POLICE_UK_PREFIX)
    if measure.startswith(SOURCE_KEY_PREFIX):
        key = measure[len(SOURCE_KEY_PREFIX):]
        if key not in srcs:
            raise ValueError(f"Unknown crime source {key!r}: this pack has {sorted(srcs)}.")
        rows = is_police if key == POLICE_UK_KEY else ~is_police
        label = f"All recorded crime ({srcs[key]['label']})"
        return _view(pack, rows, srcs[key]), "crime:all", label
    if measure == "crime:all":
        return (_view(pack, ~is_police, srcs[PACK_KEY]), measure,
                f"All recorded crime ({srcs[PACK_KEY]['label']})")
    police = measure.split(":", 2)[-1].startswith(POLICE_UK_PREFIX)
    src = srcs[POLICE_UK_KEY if police else PACK_KEY]
    return _view(pack, is_police if police else ~is_police, src), measure, None


def _view(pack: pipeline.Pack, rows: pd.Series, source: Mapping[str, Any]) -> pipeline.Pack:
    return dataclasses.replace(pack, crime=pack.crime.loc[rows].reset_index(drop=True),
                               crime_coverage=frozenset(source["coverage"]))


def _source_split(
    pack: pipeline.Pack, sel: pipeline.Selection
) -> tuple[pipeline.Pack, pipeline.Selection, str | None] | None:
    """Return (one-source pack, selection, label override), or None for a one-source pack."""
    if not _sources(pack) or not sel.measure.startswith("crime:"):
        if sel.measure.startswith(SOURCE_KEY_PREFIX):
            raise ValueError(f"Unknown measure {sel.measure!r}: this pack has one crime source.")
        return None
    view, measure, label = _crime_view(pack, sel.measure)
    return view, dataclasses.replace(sel, measure=measure), label


def table_for(pack: pipeline.Pack, sel: pipeline.Selection) -> pipeline.WardTable:
    """Return :func:`hotspots.pipeline.ward_table` with crime coverage per source.

    When uploaded police.uk crime sits beside the pack's own crime
    (``meta["crime_sources"]``), each crime measure is counted on its own
    source with that source's coverage (areas the source does not cover show
    "no data", never 0), ``"crime:all"`` means the pack's own source (adding
    both would count the same crimes twice) and ``"crime:source:<key>"``
    selects all crime of one source.

    Parameters
    ----------
    pack
        A pack.
    sel
        The selection.

    Returns
    -------
    WardTable
        With ``selection`` as given and the reconciliation of the measure's source.
    """
    split = _source_split(pack, sel)
    if split is None:
        return pipeline.ward_table(pack, sel)
    view, view_sel, label = split
    wt = pipeline.ward_table(view, view_sel)
    police = "police.uk" in (label or "") or f":{POLICE_UK_PREFIX}" in sel.measure
    rec = wt.reconciliation
    rec = rec[rec["source"].str.contains("police.uk upload", regex=False) == police]
    return dataclasses.replace(wt, selection=sel, label=_view_label(label, wt.label, sel),
                               reconciliation=rec.reset_index(drop=True))


def _view_label(label: str | None, table_label: str, sel: pipeline.Selection) -> str:
    """Return the measure's label when it is one source of several (the map's title)."""
    rate = pipeline.RATE_LABELS[sel.rate].lower()
    return f"{label}, {rate}" if label else table_label.replace("Police.uk: ", "police.uk: ")


def analyse_for(pack: pipeline.Pack, sel: pipeline.Selection, params: Any) -> Any:
    """Return :func:`hotspots.analysis.analyse` on the measure's own crime source.

    As :func:`table_for`: with uploaded police.uk crime beside the pack's own,
    the analysis runs on one source with that source's coverage.

    Parameters
    ----------
    pack
        A pack.
    sel
        The selection.
    params
        :class:`hotspots.analysis.StatsParams`.

    Returns
    -------
    hotspots.analysis.Analysis
    """
    from hotspots.pipeline import analysis as analysis

    split = _source_split(pack, sel)
    if split is None:
        return analysis.analyse(pack, sel, params)
    view, view_sel, label = split
    a = analysis.analyse(view, view_sel, params)
    # The same title as the ward maps (table_for), so the hotspot maps name the source too.
    new = _view_label(label, a.ward.label, sel)
    return dataclasses.replace(a, ward=dataclasses.replace(a.ward, label=new, selection=sel),
                               params={**a.params, "measure_label": new})


def emerging_for(pack: pipeline.Pack, sel: pipeline.Selection, params: Any) -> pd.DataFrame:
    """Return :func:`hotspots.analysis.emerging_wards` on the measure's own crime source.

    Parameters
    ----------
    pack, sel, params
        As :func:`analyse_for`.

    Returns
    -------
    DataFrame
        One row per ward with data (see :func:`hotspots.analysis.emerging_wards`).
    """
    from hotspots.pipeline import analysis as analysis

    split = _source_split(pack, sel)
    if split is not None:  # one crime source at a time, as analyse_for
        pack, sel = split[0], split[1]
    return analysis.emerging_wards(pack, sel, params)
