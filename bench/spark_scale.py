"""Spark ``local[2]`` against the embedded engine: counts per LSOA from the same store.

Run by hand (never in the tests), from the project folder, on a store made by
``bench/store_scale.py`` (``generate`` then ``run --steps add``, or ``replicate`` for 30 M):

    .venv/bin/python -m bench.spark_scale --store /tmp/ew6m.duckdb --repeats 2
    .venv/bin/python -m bench.store_scale replicate --from /tmp/ew6m.duckdb --to /tmp/ew30m.duckdb
    .venv/bin/python -m bench.spark_scale --store /tmp/ew30m.duckdb --repeats 2 --label 30M

Each run is its own child process, embedded and Spark interleaved (embedded, spark,
embedded, spark, ...), so both see the same machine load. Each step counts the whole store
per 2021 LSOA (35,672), month and crime type with the reconciliation, and the two engines'
counts and reconciliations must be identical (checked on a digest of every count).

**CPU and memory.** The embedded step's CPU seconds are its process's (``os.wait4``). For
Spark, the JVM and its Python workers are processes of their own: just before the session
stops, the step reads ``/proc`` for the JVM and every process under it (user + system
seconds, including their exited children, and each one's peak resident memory
``VmHWM``), and splits the JVM's CPU by thread (its JIT compilers, its task threads) and
its Python workers'. ``cpu_seconds`` is the driver's plus that tree's; ``peak_mb`` is the driver's
peak plus the sum of the tree's peaks (an upper bound of the combined peak: they need not
peak at the same moment). Wall seconds are reported with the 1-minute load average at the
start and end of each step (the machine is shared).

Writes ``bench/results/spark_scale.json`` (``python -m bench.results`` puts its table in
``bench/README.md``); ``--label 30M`` keeps the 6M runs beside the 30M ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.results import conditions, load_average, record, summary

ROOT = Path(__file__).resolve().parents[1]
LSOA = ROOT.parent / "shared" / "data" / "lsoa_2021_england_wales_bgc" / "lsoa21_ew_bgc.gpkg"
OUT = ROOT / "bench" / "results" / "spark_scale.json"
TICK = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    """The process ``root`` and every process under it (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _usage(pids: list[int]) -> tuple[float, float]:
    """CPU seconds (with exited children) and the sum of peak RSS (MB) of some processes."""
    cpu, peak = 0.0, 0.0
    for p in pids:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += sum(int(v) for v in f[11:15]) / TICK  # utime stime cutime cstime
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) / 1024
        except OSError:
            continue
    return cpu, peak


def _split(jvm: int) -> dict:
    """CPU seconds of the JVM's JIT compilers, its task threads, and the Python workers."""
    out = {"jit_cpu_seconds": 0.0, "task_threads_cpu_seconds": 0.0,
           "python_workers_cpu_seconds": 0.0}
    for t in Path(f"/proc/{jvm}/task").iterdir():
        try:
            stat = (t / "stat").read_text()
        except OSError:
            continue
        name = stat.split("(", 1)[1].rsplit(")", 1)[0]
        f = stat.rsplit(")", 1)[1].split()
        cpu = (int(f[11]) + int(f[12])) / TICK
        if "CompilerThre" in name:
            out["jit_cpu_seconds"] += cpu
        elif name.startswith("Executor task"):
            out["task_threads_cpu_seconds"] += cpu
    out["python_workers_cpu_seconds"] = _usage([p for p in _tree(jvm) if p != jvm])[0]
    return {k: round(v, 1) for k, v in out.items()}


def _digest(got) -> str:  # type: ignore[no-untyped-def]
    c = got.counts.astype({"area_code": str, "month": str, "category": str})
    h = hashlib.sha256(c.to_csv(index=False).encode())
    r = got.reconciliation
    h.update(repr((r.rows_in, r.assigned, r.unlocated, r.outside, r.rejected)).encode())
    return h.hexdigest()[:16]


def step(engine: str, db: Path, master: str, conf: dict[str, str] | None = None) -> dict:
    import geopandas as gpd

    from hotspots import store

    areas = gpd.read_file(LSOA, columns=["LSOA21CD"]).rename(
        columns={"LSOA21CD": "area_code"}).to_crs(27700)
    con = store.connect(db, read_only=True)
    t0 = time.perf_counter()
    out: dict = {}
    if engine == "spark":
        from pyspark import SparkContext

        info = store.start_session(master, conf)
        out["session_start_seconds"] = round(time.perf_counter() - t0, 1)
        t1 = time.perf_counter()
        got = store.spark_area_counts(info, con, areas)
        out["counts_seconds"] = round(time.perf_counter() - t1, 1)
        jvm = SparkContext._gateway.proc.pid  # type: ignore[union-attr]
        cpu, peak = _usage(_tree(jvm))
        out["jvm_tree_cpu_seconds"], out["jvm_tree_peak_mb"] = round(cpu, 1), round(peak)
        out.update(_split(jvm))
        store.stop_session(info)
    else:
        got = store.area_counts(con, areas, engine="locator")
    out["seconds"] = round(time.perf_counter() - t0, 1)
    con.close()
    r = got.reconciliation
    out.update({"rows_in": r.rows_in, "assigned": r.assigned, "unlocated": r.unlocated,
                "outside": r.outside, "rejected": r.rejected, "cells": len(got.counts),
                "distinct_points": got.distinct_points, "digest": _digest(got)})
    return out


def _child(engine: str, db: Path, master: str, conf: list[str] = ()) -> dict:
    cmd = [sys.executable, "-m", "bench.spark_scale", "--step", engine, "--store", str(db),
           "--master", master, *(f"--spark-conf={c}" for c in conf)]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    text = proc.stdout.read() if proc.stdout else ""
    if status:
        raise SystemExit(f"{engine} failed ({status}): {text}")
    got = json.loads(text.strip().splitlines()[-1])
    got["process_wall_seconds"] = round(time.perf_counter() - t0, 1)
    driver_cpu = usage.ru_utime + usage.ru_stime
    got["driver_cpu_seconds"] = round(driver_cpu, 1)
    got["driver_peak_mb"] = round(usage.ru_maxrss / 1024)
    got["cpu_seconds"] = round(driver_cpu + got.get("jvm_tree_cpu_seconds", 0.0), 1)
    got["peak_mb"] = round(usage.ru_maxrss / 1024 + got.get("jvm_tree_peak_mb", 0))
    got["load_average"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return got


def _rows(raw: dict, master: str) -> list[dict]:
    """The table: medians per engine and size, Spark's CPU split (JIT, tasks, Python)."""
    rows = []
    for label, rs in raw.items():
        for engine in ("embedded", "spark"):
            mine = [r for r in rs if r["engine"] == engine]
            if not mine:
                continue

            def med(key: str, mine: list = mine, engine: str = engine) -> float | str:
                got = [r[key] for r in mine if key in r]
                return statistics.median(got) if engine == "spark" and got else ""

            rows.append({
                "rows": f"{label} ({mine[0]['rows_in']:,})",
                "engine": "embedded (DuckDB + locator)" if engine == "embedded"
                else f"Spark {master} (mapInArrow + locator)",
                "wall s (median)": summary([r["seconds"] for r in mine])["median"],
                "of which session start": med("session_start_seconds"),
                "CPU s (median, JVM tree incl.)": summary(
                    [r["cpu_seconds"] for r in mine])["median"],
                "of which JIT / Spark tasks / Python workers": " / ".join(
                    f"{v:.1f}" for v in (med("jit_cpu_seconds"),
                                         med("task_threads_cpu_seconds"),
                                         med("python_workers_cpu_seconds"))
                    if v != "") or "",
                "peak MB (max)": max(r["peak_mb"] for r in mine),
                "load (1 min, start-end)": "; ".join(
                    f"{r['load_average'][0]:.0f}-{r['load_average'][1]:.0f}" for r in mine),
                "identical counts": "yes" if len({r["digest"] for r in rs}) == 1 else "NO"})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, help="the store to count (not with --render)")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--step", choices=["embedded", "spark"])
    ap.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="a Spark setting for the Spark runs (repeat for several)")
    ap.add_argument("--label", default="6M", help="key of these runs in the results file")
    ap.add_argument("--render", action="store_true",
                    help="rewrite the table from the runs already recorded; run nothing")
    a = ap.parse_args()
    if a.step:
        conf = dict(c.split("=", 1) for c in a.spark_conf)
        print(json.dumps(step(a.step, a.store, a.master, conf)))
        return
    if a.render:  # the table again from the runs recorded (after a change of its columns)
        got = json.loads(OUT.read_text())
        record("spark_scale", {**got, "rows": _rows(got["runs"], a.master)})
        return
    if a.store is None:
        ap.error("--store is needed (a store made by bench/store_scale.py)")
    load_before = load_average()
    runs = []
    for k in range(a.repeats):
        for engine in ("embedded", "spark"):
            got = {"engine": engine, "repeat": k, **_child(engine, a.store, a.master, a.spark_conf)}
            print(json.dumps(got), flush=True)
            runs.append(got)
    digests = {r["digest"] for r in runs}
    if len(digests) != 1:
        raise SystemExit(f"the engines disagree: {digests}")
    old = json.loads(OUT.read_text()) if OUT.is_file() else {}
    raw = {k: v for k, v in old.get("runs", {}).items() if k != a.label}
    raw[a.label] = runs
    rows = _rows(raw, a.master)
    cond = conditions(a.repeats, interleaved=True, load_before=load_before,
                      notes="each run a fresh process; Spark's CPU and peak add the JVM and "
                            "its Python workers (read from /proc before the session stops; "
                            "peak is the sum of the processes' peaks, an upper bound)")
    path = record("spark_scale", {"conditions": cond, "rows": rows, "runs": raw})
    print(f"wrote {path}")

if __name__ == "__main__":
    main()
