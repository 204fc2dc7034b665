"""Adding police.uk street files to the store, a month at a time, with the readers' rules.

:func:`add_inputs` takes what ``--police-uk`` takes (street CSVs, folders of
``YYYY-MM/`` months, archive zips, read member by member straight from the zip)
and reads them in batches of one month folder (at most :data:`BATCH_BYTES`), so
memory stays bounded by a month, not by the archive. Every batch goes through
:func:`hotspots.io.read_police_inputs`, the page's and the command line's reader,
with the store's files as files read before: the same rules, one set of them.

* **the same file twice** (byte for byte, in this add or any earlier one) is
  read once: the reader is given the SHA-256 of every stored file;
* **the same crime in two files** read in different batches or adds is counted
  once, from the earliest month, by :func:`hotspots.io.cross_file_repeats` on the
  new rows and the stored rows sharing their Crime IDs (a stored row loses when
  an earlier month is added later, and says which row it is counted from); rows
  without a Crime ID of two overlapping files of one month are matched whole;
* every row read is stored, counted or with the reason it is not, so rows in =
  counted + rejected for every file, and the readers' problems are stored too.

Each batch is committed on its own (memory stays at a month's), and an add is
all or nothing all the same: a file that cannot be read stops it, and what the
add had written is undone (its files, rows and problems deleted, the stored rows
it had made not counted counted again), so the store is as it was. An add
killed midway is undone the same way when the store is next opened for an add.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hotspots import io
from hotspots._validate import Report
from hotspots.config import package_versions
from hotspots.store.db import StoreError

__all__ = ["BATCH_BYTES", "STORE_MAX_ZIP_BYTES", "AddResult", "add_inputs", "stored_rule",
           "undo_add"]

#: Most unpacked bytes of street files read in one batch (a national month is ~150 MB).
BATCH_BYTES = 512 * 1024**2
#: Most a zip may unpack to in all when added to the store (read a member at a time; the
#: readers' per-member ratio check still refuses a "zip bomb"). police.uk's 36-month
#: archive of every force unpacks to about 7 GB.
STORE_MAX_ZIP_BYTES = 64 * 1024**3
RECORD_COLUMNS = ["source_row", "crime_id", "month", "category", "x", "y", "lsoa_code",
                  "lsoa_name", "location", "falls_within", "outcome"]


@dataclass
class AddResult:
    """What one ``store add`` did.

    Attributes
    ----------
    add_id
        The add's number in the store.
    files
        ``source`` of every street file read (in order).
    copies
        ``(file, what it repeats)`` for files not read again.
    rows_read
        Rows of the files read: ``rows_counted + rows_rejected``.
    rows_counted, rows_rejected
        Of those rows, after every rule (this add's and the store's).
    stored_now_rejected
        Rows stored earlier that are no longer counted (an earlier month of the
        same crime came in this add).
    report
        Every problem found.
    """

    add_id: int
    files: list[str] = field(default_factory=list)
    copies: list[tuple[str, str]] = field(default_factory=list)
    rows_read: int = 0
    rows_counted: int = 0
    rows_rejected: int = 0
    stored_now_rejected: int = 0
    report: Report = field(default_factory=Report)


def stored_rule(con: duckdb.DuckDBPyConnection) -> io.CrimeIdRule | None:
    """Return the store's rule on a Crime ID repeated within a file (``None``: empty store)."""
    row = con.execute("SELECT value FROM store_meta WHERE key = 'crime_ids'").fetchone()
    return row[0] if row else None  # type: ignore[return-value]


def _batches(members: Iterator[io.Member], max_bytes: int) -> Iterator[list[io.Member]]:
    """Consecutive members of one month folder, at most ``max_bytes`` a batch."""
    batch: list[io.Member] = []
    size = 0
    for m in members:
        if batch and (m.folder_month != batch[-1].folder_month or size + len(m.data) > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(m)
        size += len(m.data)
    if batch:
        yield batch


def add_inputs(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path], *,
               crime_ids: io.CrimeIdRule | None = None, batch_bytes: int = BATCH_BYTES,
               ) -> AddResult:
    """Add police.uk street files (CSVs, folders, archive zips) to an open store.

    Parameters
    ----------
    con
        From :func:`hotspots.store.connect` (writable).
    paths
        Inputs, in order (file order decides which of two equal rows of one
        month is counted, as on the command line).
    crime_ids
        The rule on a Crime ID repeated within a file; fixed by the store's first
        add (``None``: the store's, or ``"as_published"`` for a new store).
    batch_bytes
        Most unpacked bytes read at once (:data:`BATCH_BYTES`).

    Returns
    -------
    AddResult

    Raises
    ------
    StoreError
        ``crime_ids`` differs from the store's rule.
    InputDataError
        A file cannot be read (the message names it and the fix); nothing is added.
    """
    rule = stored_rule(con)
    if rule and crime_ids and crime_ids != rule:
        raise StoreError(f"this store counts Crime IDs repeated within a file by the rule "
                         f"'{rule}' ({io.CRIME_ID_RULES[rule]}); adding with '{crime_ids}' "
                         "would mix two rules. Use another --store for the other rule.")
    rule = rule or crime_ids or "as_published"
    _undo_unfinished(con)
    add_id = int(con.execute("SELECT coalesce(max(add_id), 0) + 1 FROM adds").fetchone()[0])
    seen = {bytes.fromhex(h): s for h, s in con.execute(
        "SELECT sha256, source FROM files WHERE copy_of IS NULL").fetchall()}
    result = AddResult(add_id)
    try:
        for path in paths:
            name = Path(path).name
            is_container, members = io.input_members(name, path, result.report,
                                                     max_zip_bytes=STORE_MAX_ZIP_BYTES)
            for batch in _batches(members, batch_bytes):
                con.execute("BEGIN TRANSACTION")
                _add_batch(con, name, io.Members(batch, is_container), seen, rule, result)
                con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT OR IGNORE INTO store_meta VALUES ('crime_ids', ?)", [rule])
        con.execute("INSERT INTO adds VALUES (?, ?, ?, ?)", [
            add_id, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            json.dumps([str(p) for p in paths]), json.dumps(package_versions())])
        _insert_problems(con, add_id, result.report)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")  # the batch under way, if any
        except duckdb.TransactionException:
            pass
        undo_add(con, add_id)
        raise
    return result


def undo_add(con: duckdb.DuckDBPyConnection, add_id: int) -> None:
    """Remove what an unfinished add wrote; count again the rows it had made not counted."""
    con.execute("BEGIN TRANSACTION")
    con.execute("UPDATE records SET reason = NULL, lost_in_add = NULL WHERE lost_in_add = ?",
                [add_id])
    con.execute("DELETE FROM records WHERE file_id IN (SELECT file_id FROM files WHERE "
                "add_id = ?)", [add_id])
    con.execute("DELETE FROM files WHERE add_id = ?", [add_id])
    con.execute("DELETE FROM problems WHERE add_id = ?", [add_id])
    con.execute("COMMIT")


def _undo_unfinished(con: duckdb.DuckDBPyConnection) -> None:
    """Undo adds that wrote files but never finished (killed midway)."""
    for (add_id,) in con.execute("SELECT DISTINCT add_id FROM files WHERE add_id NOT IN "
                                 "(SELECT add_id FROM adds)").fetchall():
        undo_add(con, int(add_id))


def _add_batch(con: duckdb.DuckDBPyConnection, name: str, batch: io.Members,
               seen: dict[bytes, str], rule: io.CrimeIdRule, result: AddResult) -> None:
    digests = [hashlib.sha256(m.data).digest() for m in batch.items]
    before = dict(seen)
    read = io.read_police_inputs([(name, batch)], crime_ids=rule, seen=seen, all_copies_ok=True)
    result.report.extend(read.report)
    next_id = int(con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM files").fetchone()[0])
    file_of: dict[str, int] = {}
    rows_of: dict[int, int] = {}
    for member, digest in zip(batch.items, digests, strict=True):
        if digest in before or seen.get(digest) is None or seen[digest] in file_of:
            copy_of = before.get(digest) or seen.get(digest, "")
            result.copies.append((member.source, copy_of))
            con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, 0, ?)",
                        [next_id, result.add_id, name, member.source, digest.hex(), copy_of])
            next_id += 1
            continue
        file_of[seen[digest]] = next_id
        con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, 0, NULL)",
                    [next_id, result.add_id, name, seen[digest], digest.hex()])
        next_id += 1
    for _, res in read.files:
        result.report.extend(res.report)
        kept, rejected = res.frame, res.rejected
        why = _cross_file(con, kept, rule, result)
        if why.notna().any():
            lost = why.notna().to_numpy()
            rejected = pd.concat([rejected, kept.loc[lost].assign(reason=why[lost])],
                                 ignore_index=True)
            kept = kept.loc[~lost]
        _insert_records(con, kept.assign(reason=pd.NA), file_of)
        _insert_records(con, rejected, file_of)
        for part in (kept, rejected):
            for source, n in part["source"].astype(str).value_counts().items():
                rows_of[file_of[source]] = rows_of.get(file_of[source], 0) + int(n)
        result.files.extend(str(s) for s in pd.unique(kept["source"].astype(str)))
        result.rows_read += len(kept) + len(rejected)
        result.rows_counted += len(kept)
        result.rows_rejected += len(rejected)
    for file_id, n in rows_of.items():
        con.execute("UPDATE files SET rows_read = ? WHERE file_id = ?", [n, file_id])


def _insert_records(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame,
                    file_of: dict[str, int]) -> None:
    if frame.empty:
        return
    ids = frame["source"].astype(str).map(file_of)
    if ids.isna().any():  # every row's file was recorded above
        raise RuntimeError(f"store: rows of an unrecorded file {frame['source'][ids.isna()]}")
    table = pa.table({"file_id": pa.array(ids.to_numpy(dtype=np.int32)),
                      **{c: _arrow(frame[c]) for c in [*RECORD_COLUMNS, "reason"]},
                      "lost_in_add": pa.nulls(len(frame), pa.int32())})
    con.register("_new_records", table)
    try:
        con.execute("INSERT INTO records SELECT * FROM _new_records")
    finally:
        con.unregister("_new_records")


def _arrow(s: pd.Series) -> pa.Array:
    """One column as Arrow (categoricals decoded in C++, never as Python strings)."""
    if s.name in ("x", "y"):
        return pa.array(s.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
    if s.name == "source_row":
        return pa.array(s.to_numpy(dtype="int64"))
    if isinstance(s.dtype, pd.CategoricalDtype) or isinstance(s.dtype, pd.StringDtype):
        arr = pa.array(s.array, from_pandas=True) if isinstance(s.dtype, pd.CategoricalDtype) \
            else pa.chunked_array(s.array.__arrow_array__()).combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        return arr.cast(pa.string())
    return pa.array(s.astype(object).where(s.notna(), None).to_numpy(), type=pa.string())


_STORED = """
SELECT f.file_id, f.source, r.source_row, r.crime_id, r.month, r.category, r.x, r.y,
       r.lsoa_code, r.lsoa_name, r.location, r.falls_within, r.outcome
FROM records r JOIN files f USING (file_id) WHERE r.reason IS NULL AND {where}
ORDER BY f.file_id, r.source_row
"""


def _cross_file(con: duckdb.DuckDBPyConnection, kept: pd.DataFrame, rule: io.CrimeIdRule,
                result: AddResult) -> pd.Series:
    """Apply the rules on repeats between new rows and the stored rows sharing their ids.

    Returns the reason each new row is not counted (``<NA>``: counted); stored rows
    that lose are updated in place.
    """
    none = pd.Series(pd.NA, index=kept.index, dtype="string")
    id_arr = _arrow(kept["crime_id"])
    ids = pc.unique(id_arr.drop_null())
    if not len(ids):
        return none
    con.register("_new_ids", pa.table({"crime_id": ids}))
    try:
        stored = con.execute(_STORED.format(
            where="r.crime_id IN (SELECT crime_id FROM _new_ids)")).df()
    finally:
        con.unregister("_new_ids")
    if stored.empty:
        return none
    months = sorted(set(kept["month"].cat.categories.astype(str)) & set(stored["month"]))
    blank_stored = con.execute(_STORED.format(
        where="r.crime_id IS NULL AND r.file_id IN (SELECT unnest(?)) AND r.month IN "
              "(SELECT unnest(?))"), [sorted(stored["file_id"].unique().tolist()), months]).df()
    shared = pa.array(stored["crime_id"].unique(), pa.string())
    month_ok = np.append(kept["month"].cat.categories.astype(str).isin(months), False)
    mine = (np.asarray(pc.is_in(id_arr, value_set=shared).fill_null(False))
            | (id_arr.is_null().to_numpy(zero_copy_only=False)
               & month_ok[kept["month"].cat.codes.to_numpy()]))
    old = pd.concat([stored, blank_stored]).sort_values(["file_id", "source_row"])
    cols = ["source", "source_row", "crime_id", "month", "category", "x", "y", "lsoa_code",
            "lsoa_name", "location", "falls_within", "outcome"]
    new = kept.loc[mine, cols]
    combined = pd.concat([old[cols].astype({c: object for c in cols if c not in
                                            ("source_row", "x", "y")}),
                          new.astype({c: object for c in cols if c not in
                                      ("source_row", "x", "y")})], ignore_index=True)
    for c in cols:
        if c == "crime_id":
            combined[c] = combined[c].astype("string[pyarrow]")
        elif c not in ("source_row", "x", "y"):
            combined[c] = combined[c].astype("category")
    why = io.cross_file_repeats(combined, lambda _s: result.report, rule)
    n_old = len(old)
    lost_old = why.iloc[:n_old].notna().to_numpy()
    if lost_old.any():
        upd = pa.table({"file_id": pa.array(old["file_id"].to_numpy()[lost_old], pa.int32()),
                        "source_row": pa.array(old["source_row"].to_numpy()[lost_old]),
                        "reason": pa.array(why.iloc[:n_old][lost_old].astype(object).tolist(),
                                           pa.string()),
                        "add_id": pa.array([result.add_id] * int(lost_old.sum()), pa.int32())})
        con.register("_lost", upd)
        try:
            con.execute("""UPDATE records SET reason = l.reason, lost_in_add = l.add_id
                           FROM _lost l
                           WHERE records.file_id = l.file_id
                             AND records.source_row = l.source_row AND records.reason IS NULL""")
        finally:
            con.unregister("_lost")
        result.stored_now_rejected += int(lost_old.sum())
    out = none.copy()
    out.loc[kept.index[mine]] = why.iloc[n_old:].to_numpy()
    return out


def _insert_problems(con: duckdb.DuckDBPyConnection, add_id: int, report: Report) -> None:
    frame = report.to_frame()
    if frame.empty:
        return
    frame.insert(0, "add_id", add_id)
    con.register("_problems", frame)
    try:
        con.execute("INSERT INTO problems SELECT add_id, severity, file, \"row\", \"column\", "
                    "what, fix, count FROM _problems")
    finally:
        con.unregister("_problems")
