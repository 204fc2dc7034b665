"""The embedded store: police.uk street records in a local DuckDB file, for big inputs.

Years of police.uk for all of England and Wales (about 6 million rows a year)
do not fit the one-process pandas path. The store holds them in a DuckDB
database file on this computer (no server, no network):

* :mod:`~hotspots.store.db` -- opening a store, its tables, and DuckDB's spatial
  extension loaded from the ``duckdb-extension-spatial`` package (no download);
* :mod:`~hotspots.store.add` -- ``store add``: street CSVs, month folders and
  archive zips (read member by member from the zip) added a month at a time
  through the readers' own rules (:func:`hotspots.io.read_police_inputs`, the
  same file twice read once, the same crime in two months counted once:
  :func:`hotspots.io.cross_file_repeats`);
* :mod:`~hotspots.store.status` -- ``store status``: months, forces, files,
  rows read = counted + not counted, with the reasons;
* :mod:`~hotspots.store.counts` -- counts per area, month and crime type with
  the reconciliation (rows in = assigned + without a location + outside +
  rejected): distinct coordinates first in DuckDB, placed by the project's
  locator or DuckDB's spatial join (identical counts), joined back;
* :mod:`~hotspots.store.records` -- the stored rows of some forces and months
  as the readers' ``ReadResult``, for a pack built from the store;
* :mod:`~hotspots.store.spark` -- the same counts and reconciliation on Apache
  Spark (``--engine spark --master URL``): the rows exported to Parquet and
  counted by the Python workers under ``mapInArrow``
  (:mod:`~hotspots.store.sparkrows`), each distinct point placed once by the
  project's locator with the area layer broadcast (pyspark imported only when a
  session starts).

Layer 3 (beside ``maps`` and ``patrol``, never importing them): imports
``areas``, ``io`` and the floor. ``pipeline`` and the CLI use the names below.
"""

from hotspots.store.add import BATCH_BYTES, STORE_MAX_ZIP_BYTES, AddResult, add_inputs, stored_rule
from hotspots.store.counts import ENGINES, Engine, StoreCounts, area_counts, record_filter
from hotspots.store.db import SCHEMA_VERSION, StoreError, connect, spatial_extension_path
from hotspots.store.records import (
    force_month_rows,
    read_results,
    store_categories,
    store_forces,
    store_months,
)
from hotspots.store.spark import (
    SparkError,
    check_master,
    export_records,
    spark_area_counts,
    start_session,
    stop_session,
)
from hotspots.store.status import StoreStatus, status_text, store_status

__all__ = [
    "AddResult", "BATCH_BYTES", "ENGINES", "Engine", "SCHEMA_VERSION", "STORE_MAX_ZIP_BYTES",
    "SparkError", "StoreCounts", "StoreError", "StoreStatus", "add_inputs", "area_counts",
    "check_master", "connect", "export_records", "force_month_rows", "read_results",
    "record_filter",
    "spark_area_counts", "spatial_extension_path", "start_session", "status_text",
    "stop_session", "store_categories", "store_forces", "store_months", "store_status",
    "stored_rule",
]
