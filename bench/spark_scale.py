"""Spark ``local[2]`` against the embedded engine: counts per LSOA from the same store.

Run by hand (never in the tests), from the project folder, on a store made by
``bench/store_scale.py`` (``generate`` then ``run --steps add``, or ``replicate`` for 30 M):

    .venv/bin/python -m bench.spark_scale --store /tmp/ew6m.duckdb --repeats 2

Each run is its own child process, embedded and Spark interleaved (embedded, spark,
embedded, spark, ...), so both see the same machine load. Each step counts the whole store
per 2021 LSOA (35,672), month and crime type with the reconciliation, and the two engines'
counts and reconciliations must be identical (checked on a digest of every count).

**CPU and memory.** The embedded step's CPU seconds are its process's (``os.wait4``). For
Spark, the JVM and its Python workers are processes of their own: just before the session
stops, the step reads ``/proc`` for the JVM and every process under it (user + system
seconds, including their exited children, and each one's peak resident memory
``VmHWM``). ``cpu_seconds`` is the driver's plus that tree's; ``peak_mb`` is the driver's
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


def _digest(got) -> str:  # type: ignore[no-untyped-def]
    c = got.counts.astype({"area_code": str, "month": str, "category": str})
    h = hashlib.sha256(c.to_csv(index=False).encode())
    r = got.reconciliation
    h.update(repr((r.rows_in, r.assigned, r.unlocated, r.outside, r.rejected)).encode())
    return h.hexdigest()[:16]


def step(engine: str, db: Path, master: str) -> dict:
    import geopandas as gpd

    from hotspots import store

    areas = gpd.read_file(LSOA, columns=["LSOA21CD"]).rename(
        columns={"LSOA21CD": "area_code"}).to_crs(27700)
    con = store.connect(db, read_only=True)
    t0 = time.perf_counter()
    out: dict = {}
    if engine == "spark":
        from pyspark import SparkContext

        info = store.start_session(master)
        out["session_start_seconds"] = round(time.perf_counter() - t0, 1)
        t1 = time.perf_counter()
        got = store.spark_area_counts(info, con, areas)
        out["counts_seconds"] = round(time.perf_counter() - t1, 1)
        jvm = SparkContext._gateway.proc.pid  # type: ignore[union-attr]
        cpu, peak = _usage(_tree(jvm))
        out["jvm_tree_cpu_seconds"], out["jvm_tree_peak_mb"] = round(cpu, 1), round(peak)
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


def _child(engine: str, db: Path, master: str) -> dict:
    cmd = [sys.executable, "-m", "bench.spark_scale", "--step", engine, "--store", str(db),
           "--master", master]
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--step", choices=["embedded", "spark"])
    ap.add_argument("--label", default="6M", help="key of these runs in the results file")
    a = ap.parse_args()
    if a.step:
        print(json.dumps(step(a.step, a.store, a.master)))
        return
    load_before = load_average()
    runs = []
    for k in range(a.repeats):
        for engine in ("embedded", "spark"):
            got = {"engine": engine, "repeat": k, **_child(engine, a.store, a.master)}
            print(json.dumps(got), flush=True)
            runs.append(got)
    digests = {r["digest"] for r in runs}
    if len(digests) != 1:
        raise SystemExit(f"the engines disagree: {digests}")
    old = json.loads(OUT.read_text()) if OUT.is_file() else {}
    raw = {k: v for k, v in old.get("runs", {}).items() if k != a.label}
    raw[a.label] = runs
    rows = []
    for label, rs in raw.items():
        for engine in ("embedded", "spark"):
            mine = [r for r in rs if r["engine"] == engine]
            wall = summary([r["seconds"] for r in mine])
            cpu = summary([r["cpu_seconds"] for r in mine])
            rows.append({
                "rows": f"{label} ({mine[0]['rows_in']:,})",
                "engine": "embedded (DuckDB + locator)" if engine == "embedded"
                else f"Spark {a.master} (mapInPandas + locator)",
                "wall s (median)": wall["median"],
                "of which session start": statistics.median(
                    [r.get("session_start_seconds", 0.0) for r in mine]) if engine == "spark"
                else "",
                "CPU s (median, JVM tree incl.)": cpu["median"],
                "peak MB (max)": max(r["peak_mb"] for r in mine),
                "load (1 min, start-end)": "; ".join(
                    f"{r['load_average'][0]:.0f}-{r['load_average'][1]:.0f}" for r in mine),
                "identical counts": "yes" if len({r["digest"] for r in rs}) == 1 else "NO"})
    cond = conditions(a.repeats, interleaved=True, load_before=load_before,
                      notes="each run a fresh process; Spark's CPU and peak add the JVM and "
                            "its Python workers (read from /proc before the session stops; "
                            "peak is the sum of the processes' peaks, an upper bound)")
    path = record("spark_scale", {"conditions": cond, "rows": rows, "runs": raw})
    print(f"wrote {path}")

if __name__ == "__main__":
    main()
