"""The store's database: a local DuckDB file, its tables, and the spatial extension.

DuckDB is embedded (a Python package, no server). Its spatial extension comes
from the ``duckdb-extension-spatial`` package (pinned with ``duckdb`` as a pair)
and is loaded from that package's folder with automatic installing and loading
of extensions switched off: opening a store never touches the network.

Tables (one row per ...):

``store_meta``
    setting (``schema``, ``crime_ids``: the rule on a Crime ID repeated within a
    file, fixed by the first add).
``adds``
    ``store add`` run: when, what was given, the package versions.
``files``
    street file read (``source`` unique in the store, its SHA-256, the input it
    came in and its rows), and each file skipped as a copy (``copy_of``).
``records``
    row read from a street file: the police.uk columns, ``reason`` (``NULL``:
    counted; else why the row is not counted), ``lost_in_add`` (the add that made
    a stored row not counted: undone with it). Rows read = ``count(*)``.
``problems``
    problem the readers found (the :class:`~hotspots._validate.Problem` fields).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from hotspots._errors import InputDataError

__all__ = ["MEMORY_LIMIT", "SCHEMA_VERSION", "StoreError", "connect", "spatial_extension_path"]

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS adds (
    add_id INTEGER PRIMARY KEY, added_utc VARCHAR, inputs VARCHAR, versions VARCHAR);
CREATE TABLE IF NOT EXISTS files (
    file_id INTEGER PRIMARY KEY, add_id INTEGER, input VARCHAR, source VARCHAR,
    sha256 VARCHAR, rows_read BIGINT, copy_of VARCHAR);
CREATE TABLE IF NOT EXISTS records (
    file_id INTEGER, source_row BIGINT, crime_id VARCHAR, month VARCHAR, category VARCHAR,
    x DOUBLE, y DOUBLE, lsoa_code VARCHAR, lsoa_name VARCHAR, location VARCHAR,
    falls_within VARCHAR, outcome VARCHAR, reason VARCHAR, lost_in_add INTEGER);
CREATE TABLE IF NOT EXISTS problems (
    add_id INTEGER, severity VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR,
    what VARCHAR, fix VARCHAR, count BIGINT);
"""


class StoreError(InputDataError):
    """A store that cannot be opened or used as asked (the message says what to do)."""


def spatial_extension_path() -> Path:
    """Return the spatial extension file shipped in the ``duckdb-extension-spatial`` wheel.

    The wheel holds ``duckdb_extension_spatial/extensions/v<duckdb version>/
    spatial.duckdb_extension``; the version folder must match the installed
    ``duckdb`` (the two are pinned as a pair in ``requirements.txt``).

    Raises
    ------
    StoreError
        The package is missing, or was built for another DuckDB.
    """
    try:
        import duckdb_extension_spatial as spatial  # a data-only package: no project import
    except ImportError as exc:
        raise StoreError("DuckDB's spatial extension is not installed: install the pinned "
                         "requirements (duckdb-extension-spatial).") from exc
    path = (Path(spatial.__file__).parent / "extensions" / f"v{duckdb.__version__}"
            / "spatial.duckdb_extension")
    if not path.is_file():
        raise StoreError(f"DuckDB's spatial extension for DuckDB {duckdb.__version__} is "
                         f"missing ({path}): install duckdb and duckdb-extension-spatial at "
                         "the same version (requirements.txt pins them as a pair).")
    return path


#: DuckDB's own memory (it spills to a temporary folder beyond it), so that an add or a
#: count over tens of millions of rows stays within a laptop's means.
MEMORY_LIMIT = "1GB"


def connect(path: str | os.PathLike[str] | None, *, read_only: bool = False,
            spatial: bool = False, threads: int | None = None,
            memory_limit: str = MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """Open (or create) a store; ``None`` gives an in-memory one.

    Parameters
    ----------
    path
        The DuckDB file (created with its tables when missing, unless ``read_only``).
    read_only
        Open without writing (several readers may share it).
    spatial
        Also load the spatial extension (from the package, no network).
    threads
        DuckDB's worker threads (default: DuckDB's own, one per core).
    memory_limit
        DuckDB's memory before it spills to disk (:data:`MEMORY_LIMIT`).

    Raises
    ------
    StoreError
        ``read_only`` on a missing file, a file that is not a store, or one
        another process is writing.
    """
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
              "allow_community_extensions": False, "memory_limit": memory_limit}
    if threads:
        config["threads"] = int(threads)  # type: ignore[assignment]
    target = ":memory:" if path is None else os.fspath(path)
    if path is not None and read_only and not Path(target).is_file():
        raise StoreError(f"{target}: no store there. Create it with "
                         f"'python -m hotspots store add --store {target} <files>'.")
    try:
        con = duckdb.connect(target, read_only=read_only, config=config)
    except (duckdb.IOException, duckdb.Error) as exc:
        raise StoreError(f"{target}: cannot open the store ({exc}). Is another command "
                         "writing to it? Wait for it to finish, or give another --store path."
                         ) from exc
    con.execute("SET enable_progress_bar = false")  # no progress bar in a command's output
    if spatial:
        con.load_extension(os.fspath(spatial_extension_path()))
    if not read_only:
        con.execute(_SCHEMA)
        con.execute("INSERT OR IGNORE INTO store_meta VALUES ('schema', ?)", [SCHEMA_VERSION])
    else:
        _check_store(con, target)
    return con


def _check_store(con: duckdb.DuckDBPyConnection, target: str) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                        ).fetchall()}
    if not {"store_meta", "files", "records"} <= tables:
        raise StoreError(f"{target} is a DuckDB file but not a hotspots store (no records "
                         "table). Give the folder of a store made by 'store add'.")
