"""Counts per area on Apache Spark: the same counts and reconciliation as the embedded engine.

``store counts --engine spark --master URL`` runs the work of
:func:`hotspots.store.area_counts` on a Spark cluster (or ``local[2]``, two
threads on this computer):

1. the store's rows (those of the chosen months and forces) are exported by
   DuckDB to Parquet (:func:`export_records`; ``x``/``y`` are the police.uk
   longitude and latitude), or read from such an export already on the
   cluster's storage;
2. each partition of the rows goes to a Python worker as Arrow batches
   (``mapInArrow``, :func:`hotspots.store.sparkrows.count_batches`), which
   places each distinct point once with the project's exact locator
   (:func:`hotspots.areas.locate_points`; the area layer is broadcast once as
   WKB, the locator built once per Python worker), the lowest ``area_code``
   winning where a point touches several areas, and counts its rows per area,
   month and crime type as one integer per cell;
3. Spark adds up the workers' counts per cell, with the reconciliation: rows in
   = assigned + without a location + outside every area + rejected.

pyspark is imported only here, and only when a session is started
(:func:`start_session`), so the command line never loads it otherwise. Spark's
own messages (the JVM's start-up warnings, log4j) go to a log file, never to the
command's output; a missing Java or pyspark, or a master that cannot be
reached, is a :class:`SparkError` saying what to do.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import InputDataError
from hotspots.areas import STATUS_OUTSIDE, STATUS_REJECTED, STATUS_UNLOCATED, Reconciliation
from hotspots.store.counts import _LOCATED, StoreCounts, record_filter
from hotspots.store.sparkrows import _REJECTED, _UNLOCATED, COUNT_SCHEMA, count_batches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["DEFAULT_MASTER", "SparkError", "SparkSessionInfo", "check_master",
           "export_records", "spark_area_counts", "start_session", "stop_session"]

DEFAULT_MASTER = "local[2]"
#: Rows handed to one ``mapInArrow`` batch (``spark.sql.execution.arrow.maxRecordsPerBatch``).
BATCH_ROWS = 1_000_000
EXPORT_COLUMNS = ["file_id", "source_row", "month", "category", "x", "y", "falls_within",
                  "reason"]
_ROOT = Path(__file__).resolve().parents[2]
_LOG4J = """status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


class SparkError(InputDataError):
    """Spark cannot run as asked (no Java, no pyspark, a master out of reach)."""


@dataclass
class SparkSessionInfo:
    """A started Spark session and where its log goes.

    Attributes
    ----------
    session
        The ``pyspark.sql.SparkSession``.
    master
        The master URL it runs on.
    log
        The file that receives the JVM's output (start-up warnings, log4j).
    workdir
        Temporary folder of the log, the log4j settings and the shipped code.
    """

    session: SparkSession
    master: str
    log: Path
    workdir: Path


def _java() -> str:
    """Return the ``java`` Spark will run, or say how to install it."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise SparkError("Spark needs Java 17 and none was found (no 'java' on PATH, no "
                         "JAVA_HOME). On Debian/Ubuntu: sudo apt-get install -y "
                         "openjdk-17-jre-headless. Or use the embedded engine (--engine "
                         "locator).")
    return java


def check_master(master: str, timeout: float = 5.0) -> str:
    """Check a master URL's form and, for a standalone or Kubernetes master, that it answers.

    Parameters
    ----------
    master
        ``local``, ``local[N]``, ``local[*]``, ``spark://host:port``, ``yarn`` or
        ``k8s://https://host:port``.
    timeout
        Seconds to wait for the master's port.

    Returns
    -------
    str
        The master, unchanged.

    Raises
    ------
    SparkError
        The URL is of no known form, ``yarn`` without ``HADOOP_CONF_DIR`` or
        ``YARN_CONF_DIR``, or the host does not answer on its port.

    Examples
    --------
    >>> check_master("local[2]")
    'local[2]'
    >>> check_master("localhost:7077")
    Traceback (most recent call last):
    ...
    hotspots.store.spark.SparkError: --master 'localhost:7077' is not a Spark master URL: ...
    """
    if re.fullmatch(r"local(\[(\d+|\*)(,\d+)?\])?", master):
        return master
    if master == "yarn":
        if not (os.environ.get("HADOOP_CONF_DIR") or os.environ.get("YARN_CONF_DIR")):
            raise SparkError("--master yarn needs HADOOP_CONF_DIR (or YARN_CONF_DIR) set to the "
                             "folder of the cluster's yarn-site.xml and core-site.xml: ask the "
                             "cluster's administrators for it (docs/SPARK.md).")
        return master
    m = re.fullmatch(r"(spark://|k8s://(?:https?://)?)([^:/]+|\[[0-9a-fA-F:]+\]):(\d+)/?",
                     master)
    if not m:
        raise SparkError(f"--master {master!r} is not a Spark master URL: give local[2] (this "
                         "computer, two threads), spark://HOST:7077 (a standalone cluster), "
                         "yarn or k8s://https://HOST:PORT.")
    host, port = m.group(2).strip("[]"), int(m.group(3))
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise SparkError(f"--master {master}: nothing answers at {host}:{port} ({exc}). Check "
                         "the host name and port with the cluster's administrators (a "
                         "standalone master listens on 7077), or run on this computer with "
                         "--master local[2].") from exc
    return master


def _pyspark() -> Any:
    try:
        import pyspark  # third-party, imported only when the spark engine is chosen
    except ImportError as exc:
        raise SparkError("the spark engine needs pyspark, which is not installed: "
                         ".venv/bin/pip install -r requirements-dev.txt (it pins pyspark), or "
                         "use the embedded engine (--engine locator).") from exc
    return pyspark


def _code_zip(folder: Path) -> Path:
    """Zip the project's Python packages, to ship them to every executor."""
    out = folder / "hotspots_code.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for top in ("hotspots", "boundaries"):
            for p in sorted((_ROOT / top).rglob("*.py")):
                if "__pycache__" not in p.parts:
                    z.write(p, p.relative_to(_ROOT).as_posix())
    return out


def start_session(master: str = DEFAULT_MASTER, conf: dict[str, str] | None = None, *,
                  app_name: str = "hotspots store counts") -> SparkSessionInfo:
    """Start a Spark session quietly (its output to a log file), checked first.

    Parameters
    ----------
    master
        Where to run (:func:`check_master`); in local mode Spark binds to
        127.0.0.1 only and its Python workers run this Python.
    conf
        Extra Spark settings (``--spark-conf KEY=VALUE``), applied last.
    app_name
        The application's name on the cluster.

    Returns
    -------
    SparkSessionInfo

    Raises
    ------
    SparkError
        No Java, no pyspark, a bad or unreachable master, or a JVM that did not start
        (the message names the log file).
    """
    check_master(master)
    java = _java()
    _pyspark()
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    workdir = Path(tempfile.mkdtemp(prefix="hotspots-spark-"))
    log = workdir / "spark.log"
    (workdir / "log4j2.properties").write_text(_LOG4J, encoding="utf-8")
    local = master.startswith("local")
    cores = re.findall(r"\d+", master)
    partitions = str(2 * int(cores[0])) if local and cores else "8"
    # out of memory, the JVM exits (an error here) rather than hang with a dead thread
    java_opts = (f"-Dlog4j2.configurationFile=file:{workdir / 'log4j2.properties'} "
                 "-XX:+ExitOnOutOfMemoryError")
    settings = {
        "spark.master": master, "spark.app.name": app_name,
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": partitions,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(BATCH_ROWS),
        "spark.driver.extraJavaOptions": java_opts,
        "spark.executor.extraJavaOptions": java_opts,
    }
    if local:  # nothing leaves this computer: bind to the loopback interface only
        settings.update({"spark.driver.host": "127.0.0.1",
                         "spark.driver.bindAddress": "127.0.0.1",
                         "spark.pyspark.python": sys.executable,
                         "spark.pyspark.driver.python": sys.executable,
                         # the counts come back as two integers a cell: 4 GB holds the
                         # 13.9 million cells of five national years (30 M rows)
                         "spark.driver.memory": "4g"})
    conf = dict(conf or {})
    for k in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        settings[k] = f"{settings[k]} {conf.pop(k, '')}".strip()  # ours, then the user's
    settings.update(conf)
    spark_conf = SparkConf(loadDefaults=False).setAll(list(settings.items()))
    env = {} if "JAVA_HOME" in os.environ else {"JAVA_HOME": str(Path(java).resolve().parents[1])}
    if local:  # the Python workers run this Python (its packages), whatever PYSPARK_PYTHON says
        env["PYSPARK_PYTHON"] = sys.executable
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with open(log, "ab") as sink:
            gateway = launch_gateway(spark_conf, popen_kwargs={"stdout": sink, "stderr": sink})
        sc = SparkContext(conf=spark_conf, gateway=gateway)
    except Exception as exc:  # the JVM died or the master refused: say where to look
        raise SparkError(f"Spark did not start on {master} ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}). Its log: {log}"
                         ) from exc
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    sc.addPyFile(str(_code_zip(workdir)))
    return SparkSessionInfo(SparkSession(sc), master, log, workdir)


def stop_session(info: SparkSessionInfo, *, keep_log: bool = False) -> None:
    """Stop the session and its JVM; remove its temporary folder (but its log if asked)."""
    from pyspark import SparkContext

    try:
        info.session.stop()
    except Exception:  # noqa: BLE001 - a JVM that died (out of memory) cannot be stopped
        pass
    gw = SparkContext._gateway
    if gw is not None:
        try:
            gw.shutdown()
        except Exception:  # noqa: BLE001 - as above
            pass
        SparkContext._gateway = None
        SparkContext._jvm = None
    if keep_log:
        for p in info.workdir.iterdir():
            if p != info.log:
                p.unlink(missing_ok=True)
    else:
        shutil.rmtree(info.workdir, ignore_errors=True)


def export_records(con: duckdb.DuckDBPyConnection, folder: str | os.PathLike[str], *,
                   months: tuple[str, str] | None = None,
                   forces: Sequence[str] | None = None,
                   categories: Sequence[str] | None = None) -> Path:
    """Write the store's rows of some months and forces to Parquet, for Spark to read.

    Parameters
    ----------
    con
        An open store.
    folder
        Where ``records.parquet`` is written (created when missing).
    months, forces, categories
        As :func:`hotspots.store.area_counts`.

    Returns
    -------
    Path
        ``records.parquet``: :data:`EXPORT_COLUMNS` (``x``, ``y`` longitude and
        latitude; ``reason`` null for a counted row), in the store's order.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "records.parquet"
    where, params = record_filter(months, forces, categories)
    cols = ", ".join(f"r.{c}" for c in EXPORT_COLUMNS)
    # in the store's order (not sorted: Spark needs no order, and the unassigned rows are
    # sorted after they are collected)
    con.execute(f"COPY (SELECT {cols} FROM records r WHERE {where}) TO '{_sql_path(path)}' "
                "(FORMAT parquet, ROW_GROUP_SIZE 500000)", params)
    return path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _store_facts(con: duckdb.DuckDBPyConnection, *which: Any) -> tuple[list, list, int]:
    """Return the months and crime types (sorted) and the distinct points of an export.

    Of the rows :func:`export_records` writes; the points as
    :func:`hotspots.store.area_counts` counts them (located rows counted).
    """
    where, params = record_filter(*which)
    got = con.execute("SELECT list(DISTINCT r.month), list(DISTINCT r.category) FROM records r "
                      f"WHERE {where}", params).fetchone() or ([], [])
    points = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT r.x + 0.0, r.y + 0.0 FROM "
                         f"records r WHERE r.reason IS NULL AND {_LOCATED} AND {where})",
                         params).fetchone()
    return (*(sorted(v for v in vals or [] if v is not None) for vals in got),  # type: ignore
            int(points[0]) if points else 0)


# --------------------------------------------------------------------------- the driver


def spark_area_counts(spark: SparkSessionInfo | SparkSession, con: duckdb.DuckDBPyConnection,
                      areas: gpd.GeoDataFrame, *, months: tuple[str, str] | None = None,
                      forces: Sequence[str] | None = None,
                      categories: Sequence[str] | None = None, details: bool = False,
                      label: str = "police.uk (store)", stage: str | os.PathLike[str] | None = None,
                      records: str | None = None) -> StoreCounts:
    """Count the store's rows per area, month and crime type on Spark (module docstring).

    Parameters
    ----------
    spark
        From :func:`start_session` (or a ``SparkSession``).
    con
        The open store (its file names label the unassigned rows; its rows are
        exported unless ``records`` is given).
    areas
        Area layer with a unique ``area_code`` and a CRS.
    months, forces, categories, details, label
        As :func:`hotspots.store.area_counts`.
    stage
        Folder for the Parquet export (default: a temporary folder, removed
        after); on a cluster, a folder every executor reads at the same path.
    records
        A ``records.parquet`` already exported (:func:`export_records`) where the
        executors read it (``hdfs://``, ``s3a://``, a shared folder): nothing is
        exported.

    Returns
    -------
    StoreCounts
        Equal to :func:`hotspots.store.area_counts` on the same store (``engine``
        is ``"spark"``).
    """
    session = spark.session if isinstance(spark, SparkSessionInfo) else spark
    tmp, known = None, None
    if records is None:  # exported here: the store gives the months, crime types, points
        if stage is None:
            tmp = tempfile.mkdtemp(prefix="hotspots-spark-stage-")
        records = str(export_records(con, stage or tmp, months=months, forces=forces,
                                     categories=categories))
        known = _store_facts(con, months, forces, categories)
    try:
        return _count(session, con, areas, records, (months, forces, categories), details,
                      label, known)
    except Exception as exc:
        if not type(exc).__module__.startswith(("pyspark", "py4j")):
            raise
        log = f" Spark's log: {spark.log}." if isinstance(spark, SparkSessionInfo) else ""
        first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "")
        raise SparkError(f"the Spark job failed ({type(exc).__name__}: {first[:300]}). "
                         "On a cluster, check that every executor has the project's "
                         "requirements installed and can read the records at "
                         f"{records} (docs/SPARK.md); where the log says OutOfMemoryError, "
                         "give Spark more memory (--spark-conf spark.driver.memory=8g)."
                         f"{log}") from exc
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _count(session: SparkSession, con: duckdb.DuckDBPyConnection, areas: gpd.GeoDataFrame,
           records: str, which: tuple, details: bool, label: str,
           known: tuple[list[str], list[str], int] | None = None) -> StoreCounts:
    from pyspark.sql import functions as F

    codes = areas["area_code"].astype(str).to_numpy()
    order = np.argsort(codes, kind="stable")
    wkb = shapely.to_wkb(np.asarray(areas.geometry.array, dtype=object))
    layer = session.sparkContext.broadcast((list(wkb), list(codes), areas.crs.to_wkt()))
    try:
        months, forces, categories = which
        rows = session.read.parquet(records)
        if categories is not None:
            rows = rows.where(F.col("category").isin(list(categories)))
        if months:
            rows = rows.where(F.col("month").between(*months))
        if forces is not None:
            rows = rows.where(F.col("falls_within").isin(list(forces)))
        # the month and crime-type values, to count by small integers (not strings)
        vocab = known or rows.agg(F.sort_array(F.collect_set("month")),
                                  F.sort_array(F.collect_set("category"))).first()
        month_values, category_values = list(vocab[0]), list(vocab[1])
        # one pass: each partition's rows counted per cell by a Python worker, its distinct
        # points placed once (no shuffle of the rows, no join); kept when queried again
        cols = ["x", "y", "month", "category", "reason"]
        out = (rows.select(*cols, *(["file_id", "source_row"] if details else []))
               .mapInArrow(partial(count_batches, layer, (month_values, category_values),
                                   points=known is None), COUNT_SCHEMA))
        out = out.cache() if details or known is None else out
        got = (out.where(F.col("n").isNotNull()).groupBy("k")
               .agg(F.sum("n").alias("count")).toArrow())
        n_points = known[2] if known else (out.where(F.col("x").isNotNull())
                                           .select("x", "y").distinct().count())
        table = (_details(con, out) if details
                 else pd.DataFrame(columns=["source", "source_row", "status", "reason"]))
        out.unpersist()
    finally:
        layer.unpersist()
    k = got["k"].to_numpy()
    n = got["count"].to_numpy().astype("int64")
    outside, unlocated, rejected = (int(n[k == c].sum()) for c in (-1, _UNLOCATED, _REJECTED))
    cells = _cell_frame(k[k >= 0], n[k >= 0], codes[order], month_values, category_values)
    rec = Reconciliation(label, int(n.sum()), int(cells["count"].sum()), unlocated, outside,
                         rejected, table)
    return StoreCounts(cells, rec, int(n_points), "spark")


def _cell_frame(key: np.ndarray, count: np.ndarray, codes: Sequence[str], months: list[str],
               categories: list[str]) -> pd.DataFrame:
    """Return the counts per area, month and crime type from the cell keys of :func:`_cell_key`.

    Parameters
    ----------
    key
        ``(rank * (len(months) + 1) + m) * (len(categories) + 1) + c``, with ``rank`` the
        area's position in ``codes`` and ``m``, ``c`` positions in ``months`` and
        ``categories`` (their length: a missing value).
    count
        Rows of each key.
    codes
        The area codes, sorted.
    months, categories
        The sorted values.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``month``, ``category`` (categoricals of the values present) and
        ``count`` (int64), sorted by area code, month and crime type (missing last), as the
        embedded engine gives them.

    Examples
    --------
    >>> _cell_frame(np.array([5, 0]), np.array([2, 7]), ["E1", "E2"], ["2024-01"], ["Burglary"])
    ... # doctest: +NORMALIZE_WHITESPACE
      area_code    month  category  count
    0        E1  2024-01  Burglary      7
    1        E2  2024-01       NaN      2
    """
    nm, nc = len(months) + 1, len(categories) + 1
    key = np.asarray(key, dtype=np.int64)
    sort = np.argsort(key, kind="stable")
    key, count = key[sort], np.asarray(count, dtype=np.int64)[sort]
    rest, c = np.divmod(key, nc)
    a, m = np.divmod(rest, nm)
    return pd.DataFrame({
        "area_code": pd.Categorical.from_codes(a, categories=np.asarray(codes)),
        "month": _seen_order(m, months), "category": _seen_order(c, categories),
        "count": count})


def _seen_order(pos: np.ndarray, values: list[str]) -> pd.Categorical:
    """Positions into ``values`` (``len(values)``: missing) as a categorical, no strings made.

    Its categories are the values present in the order first seen, as
    the embedded engine (Arrow's dictionary encoding) gives them.

    Examples
    --------
    >>> list(_seen_order(np.array([1, 2, 0, 1]), ["a", "b"]))
    ['b', nan, 'a', 'b']
    >>> list(_seen_order(np.array([1, 2, 0, 1]), ["a", "b"]).categories)
    ['b', 'a']
    """
    order = [int(v) for v in pd.unique(pos) if v < len(values)]
    remap = np.full(len(values) + 1, -1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    return pd.Categorical.from_codes(remap[pos], categories=[values[i] for i in order])


def _details(con: duckdb.DuckDBPyConnection, out: DataFrame) -> pd.DataFrame:
    """Every row not assigned: its file, row, status and reason (as the embedded engine).

    ``out`` is :func:`count_batches`'s output; its rows with a ``file_id`` are those.
    """
    from pyspark.sql import functions as F

    got = (out.where(F.col("file_id").isNotNull()).select("file_id", "source_row", "k", "reason")
           .toArrow().sort_by([("file_id", "ascending"), ("source_row", "ascending")])
           .to_pandas())
    k = got["k"].to_numpy()
    status = np.select([k == _REJECTED, k == _UNLOCATED], [STATUS_REJECTED, STATUS_UNLOCATED],
                       STATUS_OUTSIDE)
    why = np.where(k == _UNLOCATED, "no coordinates", "coordinates lie outside every area")
    files = con.execute("SELECT file_id, source FROM files").df()
    source = got["file_id"].map(dict(zip(files["file_id"], files["source"], strict=True)))
    return pd.DataFrame({"source": source.astype(object), "source_row": got["source_row"],
                         "status": status.astype(object),
                         "reason": got["reason"].where(got["reason"].notna(), why)})
