"""``python -m hotspots analyse`` on the demo pack, whole cold process, against pygeoda.

Run by hand (never in the test suite; about 2 minutes at 5 rounds)::

    .venv/bin/python -m bench.cli_speed [--rounds 5]

Each round runs, one after the other (A/B/C/D interleaved, so every entry sees the
same load), each in a **new process** (interpreter start and imports included):

- ``analyse``, pack cache filled: ``python -m hotspots analyse --out TMP`` on the
  demo pack (all crime, latest 12 months, 9,999 permutations, every statistic,
  the CSV + GeoPackage + manifest written), the pack read from its Arrow cache
  (``hotspots.pipeline.packcache``; filled once before the rounds);
- the same with one statistics thread (``HOTSPOTS_STATS_THREADS=1``): by default the
  conditional draws run on the cores (``hotspots.stats.drawplan``) and the statistics
  beside the change tables, which shortens the wall time, not the CPU time;
- ``analyse``, no pack cache (``HOTSPOTS_PACK_CACHE=0``): the first run after the
  pack or the code changed;
- pygeoda script: the same pack files read with geopandas/pandas, the same counts
  (all crime, the same 12 months), ``pygeoda.open`` + queen weights, LISA, Gi* and
  bivariate LISA against the IMD score at 9,999 permutations (1 thread, pygeoda's
  default ``complete`` permutations), Spearman's rho with scipy, FDR with scipy, a
  CSV written. It does less than ``analyse`` (no global Moran/Geary with their
  9,999 permutations, no rate-adjusted Moran, no reconciliation of the referrals, no
  change tables or GeoPackage): a lower bound for "the same statistics";
- ``python -m hotspots --help``.

Wall seconds move with the load of the shared machine; CPU seconds (user + system of
the process, every thread) move less; peak memory is the process's maximum resident
set. Then one process with the phases timed inside (imports, pack load, statistics,
writing), for where the time goes. Results go to ``bench/results/cli_speed.json``
(``python -m bench.results`` puts them in the READMEs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench import results

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DEMO = ROOT / "data" / "demo"

PYGEODA = textwrap.dedent(f"""
    import json, sys
    import geopandas as gpd, numpy as np, pandas as pd, pygeoda
    from scipy.stats import false_discovery_control, spearmanr
    folder = {str(DEMO)!r}
    g = gpd.read_file(folder + "/wards.geojson").sort_values("area_code").reset_index(drop=True)
    crime = pd.read_csv(folder + "/crime_ward_month.csv.gz", dtype={{"area_code": str,
                        "month": str, "major": str, "minor": str, "count": "int64"}})
    imd = pd.read_csv(folder + "/imd_wards.csv", dtype={{"area_code": str}})
    months = sorted(crime["month"].unique())[-12:]
    counts = crime[crime["month"].isin(months)].groupby("area_code")["count"].sum()
    g = g.merge(imd[["area_code", "imd_score"]], on="area_code", how="left")
    g["count"] = g["area_code"].map(counts)
    g = g[g["count"].notna()].reset_index(drop=True)     # wards without data left out
    y, x = g["count"].astype(float).tolist(), g["imd_score"].astype(float).tolist()
    gd = pygeoda.open(g[["area_code", "geometry"]])
    w = pygeoda.queen_weights(gd)
    kw = dict(permutations=9999, cpu_threads=1, seed=1)
    lm = pygeoda.local_moran(w, y, **kw)
    gs = pygeoda.local_gstar(w, y, **kw)
    bv = pygeoda.local_bimoran(w, y, x, **kw)
    rho = spearmanr(y, x)
    out = pd.DataFrame({{"area_code": g["area_code"]}})
    for name, r in (("lisa", lm), ("gi", gs), ("bv", bv)):
        out[name + "_q"] = false_discovery_control(
            np.minimum(1, 2 * np.asarray(r.lisa_pvalues())))
        out[name + "_cluster"] = r.lisa_clusters()
    out.to_csv(sys.argv[1] + "/pygeoda.csv", index=False)
    print(json.dumps({{"wards": len(g), "rho": float(rho.statistic)}}))
""")

PHASES = textwrap.dedent("""
    import json, sys, time
    t0 = time.process_time()
    from hotspots import cli, pipeline
    from hotspots.pipeline import analysis
    import geopandas, pyogrio
    t1 = time.process_time()
    pack = pipeline.load_pack()
    t2 = time.process_time()
    months = pack.months
    sel = pipeline.Selection("crime:all", months[-12], months[-1])
    res = analysis.analyse(pack, sel, analysis.StatsParams())
    t3 = time.process_time()
    cli.main(["analyse", "--out", sys.argv[1]])
    t4 = time.process_time()
    print(json.dumps({"imports": t1 - t0, "load_pack (cache filled)": t2 - t1,
                      "analyse() statistics and tables": t3 - t2,
                      "whole command again in the same process": t4 - t3}))
""")


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, str, float, float]:
    """Run a command; return its wall seconds, stdout, CPU seconds (user + system, every
    thread) and peak resident memory in MB (``os.wait4``: this process alone)."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err)
        out = proc.stdout.read().decode() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{cmd} failed:\n{err.read().decode()[-2000:]}")
    return wall, out, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print the table and write the results file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args(argv)
    load_before = results.load_average()
    with tempfile.TemporaryDirectory() as tmp:
        env = results.child_env(tmp, HOTSPOTS_CACHE_DIR=tmp + "/cache")
        no_cache = {**env, "HOTSPOTS_PACK_CACHE": "0"}
        script = Path(tmp) / "pygeoda_same.py"
        script.write_text(PYGEODA)
        analyse = [PY, "-m", "hotspots", "analyse", "--out", tmp + "/out"]
        _run(analyse, env)  # fills the pack cache (not timed)
        entries = {
            "analyse, pack cache filled": (analyse, env),
            "analyse, pack cache filled, 1 statistics thread": (
                analyse, {**env, "HOTSPOTS_STATS_THREADS": "1"}),
            "analyse, no pack cache": (analyse, no_cache),
            "pygeoda script (same statistics, fewer outputs)": ([PY, str(script), tmp], env),
            "python -m hotspots --help": ([PY, "-m", "hotspots", "--help"], env),
        }
        times: dict[str, list[float]] = {k: [] for k in entries}
        cpu: dict[str, list[float]] = {k: [] for k in entries}
        peak: dict[str, list[float]] = {k: [] for k in entries}
        for r in range(a.rounds):
            for name, (cmd, e) in entries.items():
                wall, _, used, mb = _run(cmd, e)
                times[name].append(wall)
                cpu[name].append(used)
                peak[name].append(mb)
            print(f"round {r + 1}: " + ", ".join(f"{v[-1]:.2f}" for v in times.values()),
                  flush=True)
        phases = json.loads(_run([PY, "-c", PHASES, tmp + "/out2"], env)[1].splitlines()[-1])
    name_peer = "pygeoda script (same statistics, fewer outputs)"
    peer = results.summary(times[name_peer])["median"]
    peer_cpu = results.summary(cpu[name_peer])["median"]
    rows = []
    for name, runs in times.items():
        s, c = results.summary(runs), results.summary(cpu[name])
        rows.append({"whole cold process": name, "wall min (s)": s["min"],
                     "wall median (s)": s["median"], "wall median / pygeoda": s["median"] / peer,
                     "CPU median (s)": c["median"], "CPU median / pygeoda": c["median"] / peer_cpu,
                     "peak memory median (MB)": results.summary(peak[name])["median"]})
    for k, v in phases.items():
        rows.append({"whole cold process": f"where it goes: {k} (one process, CPU s)",
                     "CPU median (s)": v})
    cond = results.conditions(a.rounds, interleaved=True, load_before=load_before,
                              notes="each entry a new Python process, bytecode cache "
                                    "filled by an untimed first run (as an installed copy); "
                                    "targets: analyse under 1 s and at most the pygeoda script")
    results.record("cli_speed", {"conditions": cond, "rows": rows, "times": times,
                                 "cpu": cpu, "peak_mb": peak, "phases": phases})
    print(results.render("cli_speed"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
