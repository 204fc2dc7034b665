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
from hotspots.io.policeuk import read_police_uk
from hotspots.io.referrals import read_referrals
from hotspots.io.sheets import read_headers

__all__ = ["Upload", "named_error", "read_police_upload", "read_police_uploads",
           "read_referral_upload"]

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
