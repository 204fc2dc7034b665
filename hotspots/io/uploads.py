"""Uploaded bytes in, a read result out: police.uk files and referral sheets from the page.

The page hands over ``(file name, bytes)`` pairs. Each reader wraps the
matching :mod:`hotspots.io` reader so that every failure is an
:class:`~hotspots._errors.UploadError` whose message starts with the file's
name and says what to do. police.uk uploads are read together, with the rules
of :mod:`hotspots.io.policeuk` (a file uploaded twice is read once, the same
crime in two files is counted once).
"""

from __future__ import annotations

import csv
import io as _io
import zipfile
from collections.abc import Sequence

import pandas as pd

from hotspots._errors import InputDataError, UploadError
from hotspots._validate import ReadResult
from hotspots.io.columns import ColumnMap
from hotspots.io.common import Source, _decode
from hotspots.io.policeuk import CrimeIdRule, PoliceRead, read_police_inputs
from hotspots.io.referrals import read_referrals
from hotspots.io.safezip import SafeZip, gunzip_bounded, is_gzip
from hotspots.io.sheets import (
    HEADER_SEARCH_ROWS,
    header_index,
    is_xlsx,
    open_workbook,
    read_headers,
)

__all__ = ["Upload", "named_error", "read_police_uploads", "read_referral_upload",
           "refused_rows"]

#: An uploaded file: its name and its bytes.
Upload = tuple[str, bytes]


def named_error(name: str, exc: Exception) -> str:
    """Return the error's text, starting with the file's name when it does not name it."""
    text = str(exc)
    return text if name in text else f"{name}: {text}"


def read_police_uploads(files: Sequence[tuple[str, bytes | Source]], *,
                        crime_ids: CrimeIdRule = "as_published") -> PoliceRead:
    """Read every police.uk upload with one set of rules (:func:`read_police_inputs`).

    The same bytes uploaded twice (under one name or two) are read once; the
    same crime in two files is counted once; see :mod:`hotspots.io.policeuk`.
    Every failure is an :class:`UploadError` naming the file. ``files`` are
    ``(name, bytes)`` (uploads) or ``(name, path)`` (the command line).
    """
    try:
        return read_police_inputs(
            [(name, _io.BytesIO(data) if isinstance(data, bytes) else data)
             for name, data in files], crime_ids=crime_ids)
    except UploadError:
        raise
    except (ValueError, csv.Error, UnicodeError, zipfile.BadZipFile) as exc:
        name = files[0][0] if len(files) == 1 else "a police.uk upload"
        raise UploadError("police_uk", name, f"{name} could not be read as a police.uk CSV "
                          f"({exc}). Download it again from data.police.uk and upload the "
                          "file as it came (YYYY-MM-<force>-street.csv, or the zip).") from exc


def read_referral_upload(name: str, data: bytes, mapping: ColumnMap | None) -> ReadResult:
    """Read an uploaded referral sheet with its mapping; every failure names the file."""
    if mapping is None:
        raise UploadError("referrals", name, f"{name} needs a column mapping: say which "
                          "column holds the date, the category and the location.")
    read_headers(name, data)  # empty, broken CSV, no header row: clear messages first
    try:
        return read_referrals(_io.BytesIO(data), mapping, label=name)
    except InputDataError as exc:
        raise UploadError("referrals", name, named_error(name, exc)) from exc
    except (ValueError, csv.Error, UnicodeError) as exc:
        raise UploadError("referrals", name, f"{name} could not be read ({exc}). Save it as "
                          "'CSV UTF-8' or .xlsx and upload it again.") from exc


# --------------------------------------------------------------------------- refused files


def _csv_records(text: str) -> list[tuple[int, list[str]]]:
    """Return (first line, cells) of every record, leniently (a refused file may be broken)."""
    reader = csv.reader(_io.StringIO(text, newline=""))
    out, line = [], 0
    try:
        for rec in reader:
            out.append((line + 1, rec))
            line = reader.line_num
    except csv.Error:
        pass
    return out


def _data_rows(records: list[tuple[int, list[object]]]) -> list[int]:
    """Spreadsheet rows of the non-blank records below the header row."""
    filled = [(n, r) for n, r in records if any(c is not None and str(c).strip() for c in r)]
    if not filled:
        return []
    top = [r for _, r in records[:HEADER_SEARCH_ROWS]]
    at = header_index(top)
    header_line = records[at][0] if at is not None else filled[0][0]
    return [n for n, _ in filled if n > header_line]


def _unpacked(name: str, data: bytes) -> bytes | None:
    """Return a plain or gzipped file's bytes; ``None`` when it cannot be unpacked safely."""
    if not is_gzip(data):
        return data
    try:
        return gunzip_bounded(data, name)
    except InputDataError:
        return None


def _police_rows(name: str, data: bytes) -> list[tuple[str, list[int]]]:
    if data[:4] == b"PK\x03\x04":  # read through the safe unzip: a refused bomb stays shut
        try:
            with SafeZip(data, name) as z:
                members = sorted(n for n in z.names()
                                 if n.endswith((".csv", ".csv.gz"))
                                 and not n.startswith("__MACOSX/"))
                out = []
                for m in members:
                    text = _unpacked(m, z.read(m))
                    if text is not None:
                        out.append((m, _data_rows(_csv_records(_decode(text)[0]))))  # type: ignore[arg-type]
                return out
        except InputDataError:
            return []
    text = _unpacked(name, data)
    if text is None:
        return []
    return [(name, _data_rows(_csv_records(_decode(text)[0])))]  # type: ignore[arg-type]


def _referral_rows(name: str, data: bytes) -> list[tuple[str, list[int]]]:
    if is_xlsx(name, data):
        try:
            SafeZip(data, name).close()  # a workbook is a zip: never open a bomb
            wb = open_workbook(name, data, read_only=True)
        except InputDataError:
            return []
        try:
            for ws in wb.worksheets:
                rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True),
                                                           start=1)]
                found = _data_rows(rows)  # type: ignore[arg-type]
                if found:
                    return [(name, found)]
            return [(name, [])]
        finally:
            wb.close()
    if b"\x00" in data[:4096]:
        return []
    return [(name, _data_rows(_csv_records(_decode(data)[0])))]  # type: ignore[arg-type]


def refused_rows(part: str, name: str, data: bytes) -> pd.DataFrame:
    r"""Return the rows of an upload that was refused as a whole, to count them as rejected.

    Counted as the readers would (non-blank rows below the header row, police.uk
    street CSVs inside a zip one by one), but leniently: the file was refused,
    perhaps for being broken. A file that is not text or a zip at all has no
    rows that can be counted (empty frame).

    Parameters
    ----------
    part
        ``"police_uk"``, ``"mps"`` (counted as CSV rows, a gzip unpacked) or
        ``"referrals"``.
    name, data
        The uploaded file.

    Returns
    -------
    DataFrame
        ``source`` (the file, or the member of a zip) and ``source_row``
        (spreadsheet row), one row per data row.

    Examples
    --------
    >>> refused_rows("referrals", "r.csv", b"Date,Type\n2025-01-02,CCE\n\n2025-01-03,CSE\n")
      source  source_row
    0  r.csv           2
    1  r.csv           4
    """
    found = (_police_rows(name, data) if part in ("police_uk", "mps")
             else _referral_rows(name, data))
    frames = [pd.DataFrame({"source": src, "source_row": pd.Series(rows, dtype="int64")})
              for src, rows in found]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame({"source": pd.Series(dtype=str),
                               "source_row": pd.Series(dtype="int64")}))
