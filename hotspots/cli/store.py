"""``store add``, ``store status``, ``store counts``: police.uk at national scale in DuckDB.

``store analyse`` and ``store emerging`` (national LSOA statistics) are in
:mod:`hotspots.cli.storestats`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hotspots.cli.storestats import run_analyse, run_emerging, stats_arguments

DEFAULT_STORE = Path("store") / "police_uk.duckdb"


def store_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``store add|status|counts`` to the command line."""
    p = sub.add_parser("store", help="keep police.uk street records for many forces and years "
                                     "in a local DuckDB file, and count them per area")
    ss = p.add_subparsers(dest="store_command", required=True)
    add = ss.add_parser("add", help="add street CSVs, folders of YYYY-MM months or archive "
                                    "zips (a file already in the store is read once, a crime "
                                    "in two months counted once)")
    add.add_argument("inputs", type=Path, nargs="+", metavar="FILE_OR_FOLDER_OR_ZIP")
    add.add_argument("--crime-id-once", action="store_true",
                     help="count a Crime ID repeated within a file once (first row); fixed "
                          "for the store by its first add")
    st = ss.add_parser("status", help="months, forces, files and where every row went")
    st.add_argument("--problems", type=Path, metavar="CSV",
                    help="also write every problem the readers found to this CSV")
    st.add_argument("--by-month", type=Path, metavar="CSV",
                    help="also write rows read, counted, without a location and not counted "
                         "per force and month to this CSV")
    co = ss.add_parser("counts", help="counts per area, month and crime type, with the "
                                      "reconciliation (CSV)")
    co.add_argument("--areas", type=Path, required=True,
                    help="boundary file (wards, LSOAs, force areas, grid cells; any CRS)")
    co.add_argument("--layer", help="layer in a multi-layer boundary file")
    co.add_argument("--from", dest="month_from", help="first month YYYY-MM (default: all)")
    co.add_argument("--to", dest="month_to", help="last month YYYY-MM (default: all)")
    co.add_argument("--force", action="append",
                    help="only rows of this force (as in 'Falls within'; repeat for several)")
    co.add_argument("--engine", choices=["locator", "spatial", "spark"], default="locator",
                    help="place the distinct points by the project's locator (default), "
                         "DuckDB's spatial join, or the locator on Apache Spark (--master): "
                         "the same counts")
    co.add_argument("--master", default="local[2]",
                    help="with --engine spark: local[N] (this computer), spark://HOST:7077, "
                         "yarn or k8s://https://HOST:PORT (default: %(default)s; "
                         "docs/SPARK.md)")
    co.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="with --engine spark: a Spark setting (repeat for several)")
    co.add_argument("--spark-stage", type=Path, metavar="FOLDER",
                    help="with --engine spark: where the store's rows are exported as Parquet "
                         "(default: a temporary folder; on a cluster, a folder every executor "
                         "reads at the same path)")
    co.add_argument("--spark-records", metavar="URL",
                    help="with --engine spark: read an export already on the cluster's storage "
                         "(hdfs://, s3a://, a shared folder) instead of exporting")
    co.add_argument("--suppress-below", type=int, default=5, metavar="N",
                    help="counts from 1 to N-1 are written blank in area_counts.csv "
                         "(default: %(default)s; 0 keeps every count)")
    co.add_argument("--out", type=Path, required=True, help="output folder")
    for q in (add, st, co):
        q.add_argument("--store", type=Path, default=DEFAULT_STORE,
                       help="the store's DuckDB file (default: %(default)s)")
    stats_arguments(ss, DEFAULT_STORE)


def run_store(a: argparse.Namespace) -> int:
    """Run ``python -m hotspots store ...``; return the exit code (2 on bad input)."""
    from hotspots._errors import InputDataError
    from hotspots.cli.common import INPUT_ERRORS

    try:
        if a.store_command == "add":
            return _add(a)
        if a.store_command == "status":
            return _status(a)
        if a.store_command in ("analyse", "emerging"):
            return run_analyse(a) if a.store_command == "analyse" else run_emerging(a)
        return _counts(a)
    except (InputDataError, FileNotFoundError, *INPUT_ERRORS) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _add(a: argparse.Namespace) -> int:
    from hotspots import store

    a.store.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    con = store.connect(a.store)
    try:
        r = store.add_inputs(con, a.inputs, crime_ids="once" if a.crime_id_once else None)
        st = store.store_status(con)
    finally:
        con.close()
    print(f"Added to {a.store} in {time.perf_counter() - t0:.1f}s: {len(r.files):,} street "
          f"files, {r.rows_read:,} rows read = {r.rows_counted:,} counted + "
          f"{r.rows_rejected:,} not counted")
    for source, copy_of in r.copies[:10]:
        print(f"  not read again: {source} (same contents as {copy_of})")
    if len(r.copies) > 10:
        print(f"  ... and {len(r.copies) - 10:,} more copies")
    if r.stored_now_rejected:
        print(f"  {r.stored_now_rejected:,} rows stored earlier are no longer counted: the same "
              "crime came in an earlier month")
    warnings = [p for p in r.report if p.severity != "info"]
    for p in warnings[:20]:
        print("  " + p.to_text())
    if len(warnings) > 20:
        print(f"  ... and {len(warnings) - 20:,} more warnings ('store status' counts them)")
    print(store.status_text(st))
    return 0


def _status(a: argparse.Namespace) -> int:
    from hotspots import store

    con = store.connect(a.store, read_only=True)
    try:
        st = store.store_status(con)
        print(store.status_text(st))
        if a.by_month:
            st.by_force_month.to_csv(a.by_month, index=False)
            print(f"Wrote {a.by_month}")
        if a.problems:
            con.execute("SELECT * FROM problems ORDER BY add_id, file, \"row\"").df().to_csv(
                a.problems, index=False)
            print(f"Wrote {a.problems}")
    finally:
        con.close()
    return 0


def _counts(a: argparse.Namespace) -> int:
    from boundaries.load import read_boundaries
    from hotspots import privacy, store
    from hotspots._errors import InputDataError
    from hotspots.areas import reconciliation_frame
    from hotspots.cli.common import record_export

    areas, _ = read_boundaries(a.areas, layer=a.layer)
    months = None
    if a.month_from or a.month_to:
        months = (a.month_from or "0000-01", a.month_to or "9999-12")
    con = store.connect(a.store, read_only=True, spatial=a.engine == "spatial")
    t0 = time.perf_counter()
    try:
        known = store.store_forces(con)
        unknown = [f for f in a.force or [] if f not in known]
        if unknown:
            raise InputDataError(
                f"--force {', '.join(repr(f) for f in unknown)}: no rows of that force in "
                f"{a.store}. Its forces ('Falls within'): {', '.join(known) or 'none'}.")
        label = f"police.uk ({a.store.name})"
        if a.engine == "spark":
            got = _spark_counts(a, con, areas, months, label)
        else:
            got = store.area_counts(con, areas, months=months, forces=a.force, engine=a.engine,
                                    details=True, label=label)
    finally:
        con.close()
    a.out.mkdir(parents=True, exist_ok=True)
    # every export suppressed and neutralised as the other commands' (hotspots.privacy)
    counts = got.counts.copy()
    small = privacy.suppressed_mask(counts["count"], threshold=a.suppress_below)
    counts["count"] = counts["count"].astype("Int64").mask(small)
    privacy.write_csv(counts, a.out / "area_counts.csv")
    privacy.write_csv(reconciliation_frame([got.reconciliation]), a.out / "reconciliation.csv")
    privacy.write_csv(got.reconciliation.details, a.out / "unassigned_rows.csv")
    print(f"{len(areas):,} areas; {got.distinct_points:,} distinct points placed by "
          f"{got.engine} in {time.perf_counter() - t0:.1f}s")
    print(got.reconciliation.text())
    if small.any():
        print(f"{int(small.sum()):,} area-month-type counts from 1 to {a.suppress_below - 1} "
              "written blank (--suppress-below 0 keeps them)")
    print(f"Wrote {a.out}/: area_counts.csv, reconciliation.csv, unassigned_rows.csv")
    record_export("store counts", a.out, data=str(a.store), selection={
        "measure": "police.uk rows, every crime type" + (
            f" ({', '.join(a.force)})" if a.force else ""),
        "month_from": months[0] if months else None, "month_to": months[1] if months else None},
        suppress_below=a.suppress_below)
    return 0


def _spark_counts(a: argparse.Namespace, con, areas, months, label):  # type: ignore[no-untyped-def]
    from hotspots.store import spark

    conf = {}
    for item in a.spark_conf:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise spark.SparkError(f"--spark-conf {item!r}: give KEY=VALUE, e.g. "
                                   "spark.executor.memory=4g")
        conf[key.strip()] = value.strip()
    info = spark.start_session(a.master, conf)
    done = False
    try:
        got = spark.spark_area_counts(info, con, areas, months=months, forces=a.force,
                                      details=True, label=label, stage=a.spark_stage,
                                      records=a.spark_records)
        done = True
        return got
    finally:
        spark.stop_session(info, keep_log=not done)  # a failure's message names the log
