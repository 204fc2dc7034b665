"""Finding and parsing police.uk street files: inputs to members to frames.

An *input* is what the user gave: one street CSV (plain or ``.gz``), a folder
searched at any depth, or the police.uk archive zip (or an upload of either).
Its *members* are the street files inside it. Files in a folder or zip that are
not street files (police.uk's ``-outcomes.csv`` and ``-stop-and-search.csv``,
anything else) are skipped and named; ``-street (1).csv`` copies are read like
any street file (a byte-identical copy is then skipped by
:mod:`hotspots.io.policeuk`, which owns the rules on repeats).

Parsing is columnar and lean (2 million rows in well under 2 GB): only the
columns used are read, text as pandas categoricals (crime ids as Arrow
strings), the bytes never decoded into one Python string.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hotspots._errors import EmptyInputError, InputDataError
from hotspots._validate import Report
from hotspots.io.common import (
    TEXT,
    Source,
    _grouped,
    _input_bytes,
    _is_buffer,
    _match_headers,
    _norm_header,
    _suggest,
)
from hotspots.io.safezip import SafeZip, gunzip_bounded, is_gzip, is_zip

__all__ = ["POLICE_COLUMNS", "POLICE_FRAME_COLUMNS", "Member", "categorical_text", "crime_id_codes",
           "input_members", "is_all_blank", "numbers", "parse_member", "report_blank_lines",
           "strip_text"]

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
#: police.uk street columns the dashboard does not use (never reported as unexpected).
_UNUSED_POLICE = ("Reported by", "Context")
#: Columns whose stray spaces are reported (once per file and column) when trimmed.
_TRIM_REPORTED = ("Crime ID", "Month", "Crime type", "Falls within", "LSOA code")
FIX_COLUMNS = (
    "Use the police.uk 'street' CSV (YYYY-MM-<force>-street.csv) as downloaded; "
    "outcomes and stop-and-search files are different tables."
)

_MONTH_DIR = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
_COPY = r"(?:\s*\(\d+\)|\s*[-_ ]\s*copy(?:\s*\(\d+\))?)?"
_KINDS = {
    "street": re.compile(rf"(?i)-street{_COPY}\.csv(?:\.gz)?$"),
    "outcomes": re.compile(rf"(?i)-outcomes{_COPY}\.csv(?:\.gz)?$"),
    "stop-and-search": re.compile(rf"(?i)-stop-and-search{_COPY}\.csv(?:\.gz)?$"),
}
_SKIPPED = {
    "outcomes": ("skipped: a police.uk outcomes file (what happened to crimes already in the "
                 "street files; a different table)", "Nothing to do: give the street files."),
    "stop-and-search": ("skipped: a police.uk stop-and-search file (searches, not recorded "
                        "crime)", "Nothing to do: give the street files."),
    "other": ("skipped: not a police.uk street file (the name does not end in -street.csv)",
              "Rename it YYYY-MM-<force>-street.csv if it is a street file."),
}
_IGNORED = re.compile(r"(^|/)(__MACOSX/|\.[^/]*$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)


@dataclass(frozen=True)
class Member:
    """One street CSV inside an input.

    Attributes
    ----------
    source
        Its name: the input's name for a single file, else its path inside the
        folder or zip.
    folder_month
        ``YYYY-MM`` when the file sits in a folder of that name.
    data
        The file's bytes, unpacked.
    packed
        ``".gz"`` when it was gzip-compressed, else ``""``.
    """

    source: str
    folder_month: str | None
    data: bytes
    packed: str = ""


def _folder_month(parent: str) -> str | None:
    return parent if _MONTH_DIR.fullmatch(parent) else None


def _kind(name: str) -> str:
    for kind, pattern in _KINDS.items():
        if pattern.search(name):
            return kind
    return "other"


def _order(rel: str) -> tuple[str, int, str]:
    """Sort key: a ``(1)`` or ``copy`` file right after its original."""
    plain = re.sub(rf"(?i)(-street){_COPY}(\.csv)", r"\1\2", rel)
    return plain, int(plain != rel), rel


def _unpack(data: bytes, label: str) -> tuple[bytes, str]:
    if is_gzip(data):
        return gunzip_bounded(data, label), ".gz"
    return data, ""


def input_members(name: str, path: Source, report: Report, *,
                  max_zip_bytes: int | None = None) -> tuple[bool, Iterator[Member]]:
    """Return (is_container, members) of one input; skipped files are reported.

    A zip given by its path is read member by member from the disk (never whole
    into memory); ``max_zip_bytes`` raises the most it may unpack to in all
    (default :data:`hotspots.io.safezip.MAX_UNPACKED_BYTES`; each member's
    ratio is still checked).

    Raises
    ------
    EmptyInputError
        A folder or zip without any street file.
    InputDataError
        An unreadable or unsafe zip or gzip file.
    """
    if not _is_buffer(path) and Path(os.fspath(path)).is_dir():  # type: ignore[arg-type]
        return True, _folder_members(Path(os.fspath(path)), name, report)  # type: ignore[arg-type]
    if not _is_buffer(path):
        file = Path(os.fspath(path))  # type: ignore[arg-type]
        with file.open("rb") as handle:
            head = handle.read(4)
        if is_zip(head) or file.suffix.lower() == ".zip":
            return True, _zip_members(file, name, report, max_zip_bytes)
    data = _input_bytes(path)
    if is_zip(data):
        return True, _zip_members(data, name, report, max_zip_bytes)
    parent = "" if _is_buffer(path) else Path(os.fspath(path)).parent.name  # type: ignore[arg-type]
    data, packed = _unpack(data, name)
    return False, iter([Member(name, _folder_month(parent), data, packed)])


def _classify(rels: list[str], name: str, report: Report) -> list[str]:
    """Return the street files among ``rels`` (sorted); report the others once each."""
    street = []
    for rel in sorted(rels):
        if _IGNORED.search(rel):
            continue
        kind = _kind(rel)
        if kind == "street":
            street.append(rel)
        else:
            what, fix = _SKIPPED[kind]
            report.add("warning" if kind == "other" else "info", rel, what, fix)
    if not street:
        others = [r for r in sorted(rels) if not _IGNORED.search(r)]
        extra = f" It holds {', '.join(others[:3])}{' ...' if len(others) > 3 else ''}." \
            if others else ""
        raise EmptyInputError(
            f"{name}: no police.uk street files (*-street.csv) found.{extra} "
            "Point at a monthly street CSV, a folder of YYYY-MM/ folders or the police.uk zip.")
    return sorted(street, key=_order)


def _folder_members(folder: Path, name: str, report: Report) -> Iterator[Member]:
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    for rel in _classify(list(files), name, report):
        data, packed = _unpack(files[rel].read_bytes(), rel)
        yield Member(rel, _folder_month(files[rel].parent.name), data, packed)


def _zip_members(data: bytes | Path, name: str, report: Report,
                 max_bytes: int | None = None) -> Iterator[Member]:
    limits = {} if max_bytes is None else {"max_bytes": max_bytes}
    with SafeZip(data, name, **limits) as archive:
        for rel in _classify(archive.names(), name, report):
            parent = rel.rsplit("/", 2)[-2] if "/" in rel else ""
            unpacked, packed = _unpack(archive.read(rel), rel)
            yield Member(rel, _folder_month(parent), unpacked, packed)


# --------------------------------------------------------------------------- bytes


def _encoding(data: bytes) -> str:
    """Return the encoding of the bytes: UTF-8 (BOM or not), else cp1252, else latin-1.

    Checked in chunks, so a large file is never decoded into one string.
    """
    if data.isascii():
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 24):
                decoder.decode(data[start:start + (1 << 24)])
            decoder.decode(b"", final=True)
            return "utf-8-sig" if encoding == "utf-8" else encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _bare_returns(data: bytes, source: str, report: Report) -> bytes:
    r"""Read a carriage return that ends no line (``\r`` not before ``\n``) as a space.

    Old-Mac files whose every line ends in ``\r`` are read as lines instead.
    """
    n_cr = data.count(b"\r")
    if not n_cr:
        return data
    n_crlf = data.count(b"\r\n")
    if n_cr == n_crlf:
        return data
    if b"\n" not in data:
        report.add("info", source, "lines end in a carriage return only (old Mac files)",
                   "Nothing to do.")
        return data.replace(b"\r", b"\n")
    report.add("warning", source, f"{n_cr - n_crlf:,} carriage return(s) inside cells read as "
               "spaces (a line break pasted into a cell)", "Nothing to do.",
               count=n_cr - n_crlf)
    return re.sub(rb"\r(?!\n)", b" ", data)


def _header(data: bytes, encoding: str) -> list[str] | None:
    head = data[:1 << 16].decode(encoding, errors="replace")
    rows = csv.reader(io.StringIO(head, newline=""))
    first = next(rows, None)
    return first if first and any(c.strip() for c in first) else None


# --------------------------------------------------------------------------- frame


def _dtype(out: str) -> Any:
    if out in ("x", "y"):
        return "float64"
    return "string[pyarrow]" if out == "crime_id" else "category"


def _read_csv(data: bytes, encoding: str, columns: dict[str, str]) -> pd.DataFrame:
    """Read the wanted columns: float lon/lat, categorical text, Arrow crime ids."""
    options: dict[str, Any] = {
        "usecols": list(columns), "keep_default_na": False, "na_values": [""],
        "skip_blank_lines": False, "encoding": encoding,
        "dtype": {h: ("category" if out in ("x", "y") else _dtype(out))
                  for h, out in columns.items()},
    }
    if len(data) < SMALL_BYTES:  # one pass as text; the files are made categorical together
        options["dtype"] = {h: ("string[pyarrow]" if out == "crime_id" else object)
                            for h, out in columns.items()}
        return pd.read_csv(io.BytesIO(data), **options).rename(columns=columns)
    chunks = [c for c in pd.read_csv(io.BytesIO(data), chunksize=CHUNK_ROWS, **options)]
    if len(chunks) == 1:
        return chunks[0].rename(columns=columns)
    out = {}
    for col in chunks[0].columns:
        parts = [c[col] for c in chunks]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            out[col] = pd.Series(pd.api.types.union_categoricals(
                [p.array for p in parts], ignore_order=True))
        else:
            out[col] = pd.concat(parts, ignore_index=True)
    del chunks
    return pd.DataFrame(out).rename(columns=columns)


#: Rows parsed at a time: each chunk's text becomes categories (and Arrow strings) before
#: the next is read, so a large file never exists as millions of Python strings at once.
CHUNK_ROWS = 250_000
#: Files smaller than this are read in one pass as text, then made categorical.
SMALL_BYTES = 8 * 1024**2


def numbers(frame: pd.DataFrame) -> None:
    """Turn the lon/lat categoricals into floats, keeping unreadable text (in place)."""
    unreadable = np.zeros(len(frame), dtype=bool)
    bad_text = np.full(len(frame), None, dtype=object)
    for col, header in (("x", "Longitude"), ("y", "Latitude")):
        s = frame[col]
        if not isinstance(s.dtype, pd.CategoricalDtype):  # a small file read as text
            text = s.astype("string").str.strip()
            number = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
            bad = (text.notna() & (text != "")).to_numpy(dtype=bool) & np.isnan(number)
            unreadable |= bad
            first = bad & pd.isna(bad_text)
            bad_text[first] = [f"{header} '{t}'" for t in text[first]]
            frame[col] = number
            continue
        cats = s.cat.categories.astype(str).str.strip()
        values = pd.to_numeric(pd.Series(cats), errors="coerce").to_numpy(dtype="float64")
        codes = s.cat.codes.to_numpy()
        number = np.append(values, np.nan)[codes]  # code -1 (missing) takes the last: NaN
        text = np.append(np.asarray(cats, dtype=object), "")[codes]
        bad = (codes >= 0) & np.isnan(number) & (text != "")
        unreadable |= bad
        first = bad & pd.isna(bad_text)
        bad_text[first] = [f"{header} '{cats[c]}'" for c in codes[first]]
        frame[col] = number
    frame["coord_unreadable"] = unreadable
    frame["coord_bad_text"] = pd.array(bad_text, dtype=TEXT)


def strip_text(frame: pd.DataFrame, report_of: Callable[[str], Report]) -> None:
    """Trim spaces around text values (blank -> missing); say so once per file and column.

    Works on the categories (a few thousand texts, not millions of cells), in place.
    """
    header_of = {out: h for h, out in POLICE_COLUMNS.items()}
    sources = frame["source"]
    for col in frame.columns:
        s = frame[col]
        if col == "source" or not isinstance(s.dtype, pd.CategoricalDtype):
            if col == "crime_id":
                frame[col] = _strip_ids(s)
            continue
        cats = pd.Index(s.cat.categories.astype(str))
        trimmed = cats.str.strip()
        changed = np.flatnonzero(np.asarray(trimmed != cats))
        if not len(changed):
            continue
        codes = s.cat.codes.to_numpy()
        uniq, inverse = np.unique(np.asarray(trimmed, dtype=object), return_inverse=True)
        keep = uniq != ""
        remap = np.where(keep[inverse], np.cumsum(keep)[inverse] - 1, -1)
        new_codes = np.append(remap, -1)[codes]
        frame[col] = pd.Categorical.from_codes(new_codes, categories=uniq[keep])
        header = header_of.get(col, col)
        spaced = np.isin(codes, changed) & (new_codes >= 0)
        if header not in _TRIM_REPORTED or not spaced.any():
            continue
        for code in np.unique(sources.cat.codes.to_numpy()[spaced]):
            mine = spaced & (sources.cat.codes.to_numpy() == code)
            source = str(sources.cat.categories[code])
            example = cats[codes[np.flatnonzero(mine)[0]]]
            n = int(mine.sum())
            report_of(source).add("info", source, f"{n:,} '{header}' value(s) had spaces around "
                                  f"them (e.g. {example!r}): trimmed", "Nothing to do.",
                                  column=header, count=n)


def _strip_ids(s: pd.Series) -> pd.Series:
    """Trim the Crime IDs (Arrow strings) only when one needs it; blank -> missing."""
    ids = pa.chunked_array(s.array.__arrow_array__())
    if pc.any(pc.match_substring_regex(ids, r"^\s|\s$")).as_py():  # only when needed
        ids = pc.utf8_trim_whitespace(ids)
    if pc.any(pc.equal(ids, "")).as_py():
        ids = pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)
    return pd.Series(pd.arrays.ArrowStringArray(ids), index=s.index)


#: A line break inside a cell followed by what reads as the next police.uk row (a month
#: between commas): a stray quote made two rows one, even if the cell count adds up.
_SWALLOWED = re.compile(r"[\r\n][^\r\n]*,\d{4}-\d{2},")


def _record_lines(data: bytes, encoding: str, n_fields: int, n_records: int,
                  ) -> tuple[np.ndarray, pd.Series]:
    """Spreadsheet row of each record, and what is wrong with records that are not one line.

    When every record is one line the rows are 2, 3, ... (counted on the bytes).
    Otherwise a stray quote made the parser read several lines as one record;
    such a record is named by its first line (its fields are shifted, so its
    Month is not to be trusted). Falls back to one record per line if the
    parsers disagree.
    """
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines - 1 == n_records:
        return (np.arange(2, n_records + 2, dtype="int64"),
                pd.Series(pd.NA, index=range(n_records), dtype=TEXT))
    starts, problems = [], []
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))
    next(reader)
    line = reader.line_num
    for rec in reader:
        first, line = line + 1, reader.line_num
        starts.append(first)
        swallowed = line > first and any(_SWALLOWED.search(f) for f in rec)
        if line > first and any('\n' in f or '\r' in f for f in rec) and (
                len(rec) != n_fields or swallowed):
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


def parse_member(member: Member, report: Report, column_problems: list[str],
                 ) -> pd.DataFrame | None:
    """Parse one street CSV; return None when it is empty or has wrong columns.

    The frame has ``source``, ``source_row``, the :data:`POLICE_COLUMNS` outputs
    (text as categoricals, ``crime_id`` as Arrow strings, ``x``/``y`` floats),
    ``coord_unreadable``, ``coord_bad_text``, ``folder_month`` and
    ``broken_line``. Encoding, extra columns, stray spaces and carriage returns
    inside cells are reported.
    """
    encoding = _encoding(member.data)
    data = _bare_returns(member.data, member.source, report)
    header = _header(data, encoding)
    if header is None:
        return None
    rename, missing = _match_headers(header, POLICE_COLUMNS)
    if missing:
        found = ", ".join(f"'{h}'" for h in header)
        column_problems.append(
            f"{member.source}: missing column(s) {', '.join(repr(m) for m in missing)}; "
            f"columns found: {found}.{_suggest(missing, header, POLICE_COLUMNS)}")
        return None
    if encoding != "utf-8-sig":
        report.add("info", member.source,
                   f"read as {'Windows-1252 (cp1252)' if encoding == 'cp1252' else encoding}, "
                   "not UTF-8 (the file was saved by a Windows program)",
                   "Nothing to do; check accented names and apostrophes read as expected.")
    known = {_norm_header(h) for h in (*POLICE_COLUMNS, *_UNUSED_POLICE)}
    extra = [h.strip() for h in header if h.strip() and _norm_header(h) not in known]
    if extra:
        report.add("info", member.source,
                   f"column(s) {', '.join(repr(h) for h in extra)} are not police.uk street "
                   "columns: ignored", "Nothing to do if they are your own additions.",
                   column=extra[0])
    columns = {h: POLICE_COLUMNS[w] for h, w in rename.items()}
    try:
        frame = _read_csv(data, encoding, columns)
    except (ValueError, csv.Error) as exc:
        raise InputDataError(f"{member.source} could not be read as a CSV ({exc}). Download it "
                             "again from data.police.uk.") from exc
    if frame.empty:
        return None
    rows, broken = _record_lines(data, encoding, len(header), len(frame))
    frame.insert(0, "source_row", rows)
    frame.insert(0, "source", _constant(member.source, len(frame)))
    frame["folder_month"] = _constant(member.folder_month, len(frame))
    frame["broken_line"] = broken.astype(object).to_numpy()
    if member.packed:
        report.add("info", member.source, "read from a gzip-compressed file", "Nothing to do.")
    return frame


_HEX = np.full(256, 255, dtype=np.uint8)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


def _hex_keys(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """64-bit keys of the ids in an Arrow string chunk that start with 16 hex digits.

    Returns the keys and which rows have one (the others: blank or another form).
    Read straight from the Arrow buffers: no Python string per row.
    """
    n = len(chunk)
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset:chunk.offset + n + 1]
    data = chunk.buffers()[2]
    body = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    valid = (np.diff(offsets) >= 16) & ~np.asarray(chunk.is_null(), dtype=bool)
    keys = np.zeros(n, dtype=np.uint64)
    ok = np.flatnonzero(valid)
    if len(ok):
        nibbles = _HEX[body[offsets[ok, None] + np.arange(16)]]
        hexed = (nibbles != 255).all(axis=1)
        ok, nibbles = ok[hexed], nibbles[hexed].astype(np.uint64)
        keys[ok] = (nibbles << (np.uint64(4) * np.arange(15, -1, -1, dtype=np.uint64))).sum(
            axis=1, dtype=np.uint64)
        valid[:] = False
        valid[ok] = True
    return keys, valid


def crime_id_codes(ids: pd.Series) -> np.ndarray:
    """Return an integer per row, equal exactly when the Crime IDs are equal (-1: blank).

    The integers are labels, not a dense numbering.

    police.uk ids are 64 hex digits: their first 16 digits make a 64-bit key, so
    two million ids cost a few integer arrays, not a hash table of two million
    strings; rows sharing a key are then compared in full (a shared prefix never
    merges two crimes). Ids of another form are factorised as text.

    Examples
    --------
    >>> ids = pd.Series(["a" * 64, None, "b" * 64, "a" * 64, "x1", "x1", "a" * 63 + "b"],
    ...                 dtype="string[pyarrow]")
    >>> crime_id_codes(ids).tolist()  # the last id shares its first 16 digits only
    [0, -1, 1, 0, 2, 2, 4]
    """
    n = len(ids)
    keys = np.zeros(n, dtype=np.uint64)
    hexed = np.zeros(n, dtype=bool)
    at = 0
    for chunk in pa.chunked_array(ids.array.__arrow_array__()).chunks:
        k, v = _hex_keys(chunk)
        keys[at:at + len(chunk)], hexed[at:at + len(chunk)] = k, v
        at += len(chunk)
    codes = np.full(n, -1, dtype=np.int64)
    hex_codes, uniques = pd.factorize(keys[hexed])
    codes[hexed] = hex_codes
    top = len(uniques)
    other = np.flatnonzero(~hexed & ids.notna().to_numpy())
    if len(other):
        codes[other] = pd.factorize(ids.iloc[other])[0] + top
        top = int(codes[other].max()) + 1
    # rows whose 16-digit keys repeat: check the whole ids, split any that differ
    counts = np.bincount(hex_codes, minlength=len(uniques)) if len(hex_codes) else np.zeros(0)
    shared = np.flatnonzero(hexed)[counts[hex_codes] > 1] if len(hex_codes) else np.zeros(0, int)
    if len(shared):
        full = pd.factorize(ids.iloc[shared].astype(str))[0]
        pairs = pd.factorize(pd.MultiIndex.from_arrays([codes[shared], full]))[0]
        firsts = pd.Series(pairs).groupby(codes[shared]).transform("first").to_numpy()
        codes[shared] = np.where(pairs == firsts, codes[shared], top + pairs)
    return codes


def _constant(value: str | None, n: int) -> pd.Categorical:
    """Return a categorical column holding one value (or missing) ``n`` times."""
    codes = np.zeros(n, dtype=np.int8) - (value is None)
    return pd.Categorical.from_codes(codes, categories=[value] if value is not None else
                                     pd.Index([], dtype=object))


def categorical_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Make the text columns of a frame read as text categorical (ids stay Arrow strings)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        out[col] = s.astype("category") if s.dtype == object else s
    return pd.DataFrame(out, index=frame.index)


def is_all_blank(frame: pd.DataFrame) -> bool:
    """Return True when no row of a parsed file has a cell filled in."""
    cols = [c for c in POLICE_COLUMNS.values() if c in frame]
    return bool(frame[cols].isna().all(axis=1).all())


def report_blank_lines(frame: pd.DataFrame, report_of: Callable[[str], Report]) -> pd.DataFrame:
    """Drop (and report) lines with no cell filled in (after trimming)."""
    cols = [c for c in POLICE_COLUMNS.values() if c in frame]
    blank = frame[cols].isna().all(axis=1).to_numpy()
    if blank.any():
        for source, rows in frame.loc[blank].groupby("source", sort=False, observed=True):
            _grouped(report_of(str(source)), "info", str(source), rows["source_row"],
                     "blank lines skipped", "Nothing to do.")
        frame = frame.loc[~blank].reset_index(drop=True)
    return frame
