"""The store's counts on Apache Spark (hotspots.store.spark) equal the embedded engine's.

The tests marked ``spark`` start Spark in local mode (one session for the module, one
more in a child process for the command line) on the shared Welsh and City of London
police.uk months, and compare every count, the reconciliation and every unassigned row
with the embedded engine (:func:`hotspots.store.area_counts`), itself checked against
``geopandas.sjoin`` and the pandas path in ``tests/test_store.py``. The rest checks the
errors a user meets without starting a JVM.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots import store
from hotspots.areas import build_locator, project_xy
from hotspots.cli import main

ROOT = Path(__file__).resolve().parents[1]
WALES = "police_uk_wales_2024-01_to_2024-04"
CITY = "police_uk_city_of_london_2017-12_to_2020-11"
HAVE_JAVA = bool(shutil.which("java") or os.environ.get("JAVA_HOME"))
HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None


def needs_spark(test):  # type: ignore[no-untyped-def]
    """Mark a test that starts Spark: ``spark`` and ``realdata``, skipped without Java."""
    for mark in (pytest.mark.spark, pytest.mark.realdata,
                 pytest.mark.skipif(not HAVE_JAVA,
                                    reason="no Java (scripts/test.sh installs Java 17)"),
                 pytest.mark.skipif(not HAVE_PYSPARK,
                                    reason="pyspark missing (requirements-dev.txt)")):
        test = mark(test)
    return test


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket closes


# --------------------------------------------------------------------------- errors, no JVM


def test_a_master_that_is_not_a_url_is_a_plain_error():
    with pytest.raises(store.SparkError, match="is not a Spark master URL"):
        store.check_master("localhost:7077")
    with pytest.raises(store.SparkError, match="is not a Spark master URL"):
        store.check_master("local[two]")
    for ok in ("local", "local[2]", "local[*]", "local[4,2]"):
        assert store.check_master(ok) == ok


def test_an_unreachable_master_is_a_plain_error():
    port = _closed_port()
    with pytest.raises(store.SparkError, match=f"nothing answers at 127.0.0.1:{port}"):
        store.check_master(f"spark://127.0.0.1:{port}", timeout=2)
    with pytest.raises(store.SparkError, match="nothing answers"):
        store.check_master(f"k8s://https://127.0.0.1:{port}", timeout=2)


def test_yarn_without_its_configuration_is_a_plain_error(monkeypatch):
    monkeypatch.delenv("HADOOP_CONF_DIR", raising=False)
    monkeypatch.delenv("YARN_CONF_DIR", raising=False)
    with pytest.raises(store.SparkError, match="HADOOP_CONF_DIR"):
        store.check_master("yarn")


def test_no_java_is_a_plain_error_naming_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    with pytest.raises(store.SparkError, match="apt-get install -y openjdk-17-jre-headless"):
        store.start_session("local[2]")


def test_no_pyspark_is_a_plain_error(monkeypatch, tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").write_text("")  # a Java is found; pyspark is not
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    with pytest.raises(store.SparkError, match="needs pyspark.*requirements-dev.txt"):
        store.start_session("local[2]")


def test_cli_unreachable_master_exits_2_without_a_traceback(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    store.connect(db).close()
    areas = tmp_path / "a.geojson"
    square = gpd.GeoSeries.from_wkt(["POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"])
    gpd.GeoDataFrame({"LSOA21CD": ["E01000001"], "LSOA21NM": ["A"]}, geometry=square,
                     crs="EPSG:4326").to_file(areas)
    port = _closed_port()
    assert main(["store", "counts", "--store", str(db), "--areas", str(areas), "--engine",
                 "spark", "--master", f"spark://127.0.0.1:{port}", "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"nothing answers at 127.0.0.1:{port}" in err and "Traceback" not in err
    assert main(["store", "counts", "--store", str(db), "--areas", str(areas), "--engine",
                 "spark", "--spark-conf", "novalue", "--out", str(tmp_path / "out")]) == 2
    assert "give KEY=VALUE" in capsys.readouterr().err


@pytest.mark.skipif(not (HAVE_PYSPARK and HAVE_JAVA), reason="needs pyspark and Java")
def test_the_users_jvm_options_are_added_to_the_projects_not_put_in_their_place(monkeypatch):
    """--spark-conf spark.driver.extraJavaOptions=... keeps the log settings (no JVM started)."""
    import pyspark.java_gateway

    seen = {}

    def fake_launch(conf, **kw):  # type: ignore[no-untyped-def]
        seen.update(conf.getAll())
        raise RuntimeError("not started in this test")

    monkeypatch.setattr(pyspark.java_gateway, "launch_gateway", fake_launch)
    with pytest.raises(store.SparkError, match="did not start"):
        store.start_session("local[2]", {"spark.driver.extraJavaOptions": "-XX:+UseSerialGC"})
    opts = seen["spark.driver.extraJavaOptions"]
    assert "-Dlog4j2.configurationFile=" in opts and "-XX:+ExitOnOutOfMemoryError" in opts
    assert opts.endswith(" -XX:+UseSerialGC")
    assert "-XX:+UseSerialGC" not in seen["spark.executor.extraJavaOptions"]


def test_store_commands_never_import_pyspark(tmp_path):
    probe = ("import sys\nfrom hotspots.cli import main\n"
             f"main(['store', 'status', '--store', {str(tmp_path / 'none.duckdb')!r}])\n"
             "import hotspots.store\n"
             "print('PYSPARK', 'pyspark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip().splitlines()[-1] == "PYSPARK False"


# --------------------------------------------------------------------------- Spark, local mode


@pytest.fixture(scope="module")
def real_store(tmp_path_factory, shared_data):
    path = tmp_path_factory.mktemp("store") / "real.duckdb"
    c = store.connect(path)
    store.add_inputs(c, [shared_data / WALES])
    store.add_inputs(c, [shared_data / CITY, shared_data / WALES / "2024-02"])  # copies too
    c.close()
    c = store.connect(path, read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def lsoas(shared_data):
    a = gpd.read_file(shared_data / "lsoa_2021_england_wales_bgc" / "lsoa21_ew_bgc.gpkg",
                      columns=["LSOA21CD"])
    return a.rename(columns={"LSOA21CD": "area_code"}).to_crs(27700)


@pytest.fixture(scope="module")
def welsh(lsoas, tmp_path_factory):
    """Wales's 1,917 LSOAs, in memory and as a file (a small layer keeps the tests quick)."""
    w = lsoas[lsoas["area_code"].str.startswith("W")].reset_index(drop=True)
    path = tmp_path_factory.mktemp("areas") / "wales_lsoa21.gpkg"
    w.rename(columns={"area_code": "LSOA21CD"}).assign(LSOA21NM=w["area_code"]).to_file(path)
    return w, path


@pytest.fixture(scope="module")
def session():
    info = store.start_session("local[2]")
    yield info
    store.stop_session(info)


def _same(got: store.StoreCounts, want: store.StoreCounts) -> None:
    pd.testing.assert_frame_equal(got.counts, want.counts)
    g, w = got.reconciliation, want.reconciliation
    assert (g.rows_in, g.assigned, g.unlocated, g.outside, g.rejected) == (
        w.rows_in, w.assigned, w.unlocated, w.outside, w.rejected)
    pd.testing.assert_frame_equal(g.details.reset_index(drop=True),
                                  w.details.reset_index(drop=True), check_dtype=False)
    assert got.distinct_points == want.distinct_points


@needs_spark
def test_spark_counts_equal_the_embedded_engine_on_real_months(session, real_store, lsoas):
    want = store.area_counts(real_store, lsoas, details=True)
    got = store.spark_area_counts(session, real_store, lsoas, details=True)
    assert got.engine == "spark"
    _same(got, want)
    rec = got.reconciliation
    # tests/test_store.py: 66,647 + 24,750 rows read, 10 crimes counted from an earlier
    # month, 422 City points off the generalised coast
    assert (rec.rows_in, rec.rejected, rec.outside) == (91_397, 10, 422)
    assert rec.rows_in == rec.assigned + rec.unlocated + rec.outside + rec.rejected
    assert set(rec.details["status"]) == {"rejected", "unlocated", "outside"}


@needs_spark
def test_spark_counts_of_some_months_forces_and_types_on_a_staged_export(session, real_store, welsh,
                                                                   tmp_path):
    lsoas = welsh[0]
    kw = {"months": ("2024-02", "2024-03"),
          "forces": ["North Wales Police", "South Wales Police"],
          "categories": ["Violence and sexual offences", "Anti-social behaviour", "Burglary"]}
    want = store.area_counts(real_store, lsoas, details=True, **kw)
    got = store.spark_area_counts(session, real_store, lsoas, details=True, stage=tmp_path, **kw)
    _same(got, want)
    assert got.reconciliation.outside > 0  # points of North Wales snapped into England
    assert (tmp_path / "records.parquet").exists()  # kept where the user asked
    # an export already on the cluster's storage, filtered by Spark instead of DuckDB
    whole = store.export_records(real_store, tmp_path / "all")
    again = store.spark_area_counts(session, real_store, lsoas, details=True,
                                    records=str(whole), **kw)
    _same(again, want)


@needs_spark
def test_cli_engine_spark_writes_what_the_embedded_engine_writes(real_store, welsh, tmp_path):
    db = Path(real_store.execute("SELECT path FROM duckdb_databases() WHERE NOT internal"
                                 ).fetchone()[0])
    areas = welsh[1]
    common = ["store", "counts", "--store", str(db), "--areas", str(areas), "--from",
              "2024-01", "--to", "2024-04", "--force", "Dyfed-Powys Police"]
    assert main([*common, "--out", str(tmp_path / "embedded")]) == 0
    run = subprocess.run([sys.executable, "-m", "hotspots", *common, "--engine", "spark",
                          "--master", "local[2]", "--out", str(tmp_path / "spark")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    # Spark's start-up (JVM warnings, log4j) goes to its log, never to the command's output
    assert run.stderr == ""
    assert "placed by spark" in run.stdout and "WARN" not in run.stdout
    for name in ("area_counts.csv", "reconciliation.csv", "unassigned_rows.csv"):
        assert (tmp_path / "spark" / name).read_bytes() == \
            (tmp_path / "embedded" / name).read_bytes(), name
    rec = pd.read_csv(tmp_path / "spark" / "reconciliation.csv").iloc[0]
    by = store.store_status(real_store).by_force_month
    assert rec["rows_in"] == by.loc[by["falls_within"] == "Dyfed-Powys Police",
                                    "rows_read"].sum()
    assert rec["rows_in"] == rec["assigned"] + rec["unlocated"] + rec["outside"] + rec["rejected"]


@needs_spark
def test_a_failing_spark_job_is_a_plain_error_naming_the_log(session, real_store, welsh,
                                                             tmp_path):
    missing = tmp_path / "none" / "records.parquet"
    with pytest.raises(store.SparkError, match="the Spark job failed") as got:
        store.spark_area_counts(session, real_store, welsh[0], records=str(missing))
    assert str(missing) in str(got.value) and str(session.log) in str(got.value)
    assert "Traceback" not in str(got.value)


@needs_spark
def test_spark_brings_back_integers_only_and_places_points_below_the_raster_size(
        session, real_store, welsh, monkeypatch):
    """What keeps five national years within the driver's memory and the CPU low.

    The counts come back as one integer key and a count per cell (month and crime type as
    positions in their sorted values), never as strings: at 30 M rows (13.9 M cells) the
    strings ran the 2 GB driver out of memory. The locator is handed fewer distinct points
    at a time than its raster threshold, so no Python worker builds the national raster.
    """
    import pyarrow as pa
    from pyspark.sql.classic.dataframe import DataFrame  # what a session's frames are

    from hotspots.store import sparkrows as spark_mod

    schemas, sizes = [], []
    real_to_arrow = DataFrame.toArrow
    real_locate = spark_mod.locate_points

    def spy_to_arrow(self):  # type: ignore[no-untyped-def]
        table = real_to_arrow(self)
        schemas.append(table.schema)
        return table

    def spy_locate(loc, x, y, **kw):  # type: ignore[no-untyped-def]
        sizes.append(len(x))
        return real_locate(loc, x, y, **kw)

    monkeypatch.setattr(DataFrame, "toArrow", spy_to_arrow)
    want = store.area_counts(real_store, welsh[0])
    got = store.spark_area_counts(session, real_store, welsh[0])
    _same(got, want)
    assert len(schemas) == 1
    assert all(pa.types.is_integer(f.type) for f in schemas[0]), schemas[0]
    # the chunking itself, in this process (the workers run the same function)
    monkeypatch.setattr(spark_mod, "locate_points", spy_locate)
    layer = session.session.sparkContext.broadcast(
        (list(shapely.to_wkb(welsh[0].geometry.to_numpy())),
         list(welsh[0]["area_code"].astype(str)), welsh[0].crs.to_wkt()))
    rng = np.random.default_rng(7)
    n = 450_001
    pts = pd.DataFrame({"x": rng.uniform(-5.3, -2.7, n), "y": rng.uniform(51.3, 53.4, n)})
    out = pd.concat(spark_mod.place_batches(layer, iter([pts])))
    layer.unpersist()
    assert sizes and max(sizes) < 250_000 and sum(sizes) == n
    # the same areas as the locator given every point at once (its raster path)
    loc = build_locator(welsh[0].geometry.to_numpy(), welsh[0]["area_code"].astype(str).to_numpy())
    px, py = project_xy(pts["x"].to_numpy(), pts["y"].to_numpy(), "EPSG:4326", welsh[0].crs)
    pos = real_locate(loc, px, py)
    assert (out["a"].to_numpy() == np.where(pos >= 0, loc.rank[np.maximum(pos, 0)], -1)).all()
    assert (out["a"] >= 0).any() and (out["a"] == -1).any()
