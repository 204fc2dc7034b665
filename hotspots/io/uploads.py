"""Uploaded bytes in, a read result out: police.uk files and referral sheets from the page.

The page hands over ``(file name, bytes)`` pairs. Each reader wraps the
matching :mod:`hotspots.io` reader so that every failure is an
:class:`~hotspots._errors.UploadError` whose message starts with the file's
name and says what to do. A police.uk file uploaded twice is refused; a Crime
ID repeated in the same month in a later file is rejected (first kept).
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import zipfile
from collections.abc import Sequence

import pandas as pd

from hotspots._errors import InputDataError, UploadError
from hotspots._validate import ReadResult
from hotspots.io.columns import ColumnMap
from hotspots.io.common import _decode
from hotspots.io.policeuk import read_police_uk
from hotspots.io.referrals import read_referrals
from hotspots.io.sheets import (
    HEADER_SEARCH_ROWS,
    header_index,
    is_xlsx,
    open_workbook,
    read_headers,
)

__all__ = ["Upload", "named_error", "read_police_upload", "read_police_uploads",
           "read_referral_upload", "refused_rows"]

#: An uploaded file: its name and its bytes.
Upload = tuple[str, bytes]


def named_error(name: str, exc: Exception) -> str:
    """Return the error's text, starting with the file's name when it does not name it."""
    text = str(exc)
    return text if name in text else f"{name}: {text}"


def read_police_upload(name: str, data: bytes) -> ReadResult:
    """Read one uploaded police.uk CSV or zip; every failure names the file."""
    try:
        return read_police_uk(_io.BytesIO(data), label=name)
    except InputDataError as exc:
        raise UploadError("police_uk", name, named_error(name, exc)) from exc
    except (ValueError, csv.Error, UnicodeError, zipfile.BadZipFile) as exc:
        raise UploadError("police_uk", name, f"{name} could not be read as a police.uk CSV "
                          f"({exc}). Download it again from data.police.uk and upload the "
                          "file as it came (YYYY-MM-<force>-street.csv, or the zip).") from exc


def read_police_uploads(files: Sequence[Upload]) -> list[tuple[str, ReadResult]]:
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
        out.append((name, read_police_upload(name, data)))
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


def _police_rows(name: str, data: bytes) -> list[tuple[str, list[int]]]:
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(_io.BytesIO(data)) as z:
                members = sorted(n for n in z.namelist()
                                 if n.endswith(".csv") and not n.startswith("__MACOSX/"))
                return [(m, _data_rows(_csv_records(_decode(z.read(m))[0])))  # type: ignore[misc]
                        for m in members]
        except zipfile.BadZipFile:
            return []
    return [(name, _data_rows(_csv_records(_decode(data)[0])))]  # type: ignore[arg-type]


def _referral_rows(name: str, data: bytes) -> list[tuple[str, list[int]]]:
    if is_xlsx(name, data):
        try:
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
        ``"police_uk"`` or ``"referrals"``.
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
    found = _police_rows(name, data) if part == "police_uk" else _referral_rows(name, data)
    frames = [pd.DataFrame({"source": src, "source_row": pd.Series(rows, dtype="int64")})
              for src, rows in found]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame({"source": pd.Series(dtype=str),
                               "source_row": pd.Series(dtype="int64")}))
