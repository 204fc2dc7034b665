"""Each speed issue's targets table, measured in one run: every benchmark, then the verdicts.

Run by hand (never in the test suite), from the project folder, on a machine as idle as
you can make it (about 30 minutes for issue 18, 20 for issue 17; both together share the
LSOA statistics step)::

    .venv/bin/python -m bench.targets --issue 17 --issue 18
    .venv/bin/python -m bench.targets --issue 18 --plan          # the steps, run nothing
    .venv/bin/python -m bench.targets --issue 18 --table-only    # verdicts from the files

Each step is one of the bench scripts in its own process, one after the other (never two
at once), with the rounds the issue asks for; each writes its own
``bench/results/<name>.json`` with its conditions. Then each target row reads the figure
it needs from those files and states the verdict, computed here from the issue's
threshold (never typed). A row whose file was not written in this run says so instead of
giving a verdict ("not measured in this run"), so the table cannot mix runs unnoticed.
Where a target is missed, the row names where the time goes, from the same run's own
breakdown (phases, steps, CPU by thread). Results: ``bench/results/targets_<issue>.json``
(``python -m bench.results`` puts the tables in ``bench/README.md``).

Inputs of issue 17 (made once, reused when present, in ``--work``): the seeded national
year (``bench.store_scale generate``: 6,004,641 rows in the police.uk archive layout),
its store (made by the timed ``store add`` step), and the same year five times over (30 M,
``bench.store_scale replicate``).

Examples
--------
>>> _ratio(10.0, 4.0)
2.5
>>> _verdict(True), _verdict(False), _verdict(None)
('met', 'NOT MET', 'not measured in this run')
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import results  # noqa: E402

PY = sys.executable


@dataclass(frozen=True)
class Step:
    """One bench script run: its arguments and the results files it writes."""

    name: str
    argv: tuple[str, ...]
    writes: tuple[str, ...]


def _steps(issue: int, work: Path) -> list[Step]:
    """Return the steps that measure ``issue``'s table, in order."""
    lsoa = Step("LSOA statistics against pygeoda (34,753 LSOAs, 3 rounds)",
                ("-m", "bench.stats_speed", "--part", "b"), ("stats_lsoa",))
    if issue == 17:
        data, s6, s30 = work / "ew6m", work / "ew6m.duckdb", work / "ew30m.duckdb"
        return [
            Step("store add of a national year, counts from the store (6 M)",
                 ("-m", "bench.store_scale", "run", "--data", str(data), "--store", str(s6),
                  "--no-pandas", "--steps", "add,counts,counts-spatial",
                  "--record", "store_scale"), ("store_scale",)),
            Step("Spark local[2] against the embedded engine, 6 M (2 rounds, interleaved)",
                 ("-m", "bench.spark_scale", "--store", str(s6), "--repeats", "2",
                  "--label", "6M"), ("spark_scale",)),
            Step("the same year five times over (30 M), made untimed",
                 ("-m", "bench.store_scale", "replicate", "--from", str(s6), "--to",
                  str(s30)), ()),
            Step("embedded and Spark on 30 M (1 round)",
                 ("-m", "bench.spark_scale", "--store", str(s30), "--repeats", "1",
                  "--label", "30M"), ("spark_scale",)),
            lsoa,
            Step("national statistics and emerging hot spots (35,672 LSOAs x 60 months)",
                 ("-m", "bench.national_stats", "--months", "60", "--permutations", "999"),
                 ("national_stats",)),
            Step("national page in Chromium (all E&W, 3 rounds)",
                 ("-m", "bench.national_map", "--rounds", "3"), ("national_map",)),
        ]
    return [
        Step("analyse, whole cold process, against a pygeoda script (3 rounds)",
             ("-m", "bench.cli_speed", "--rounds", "3"), ("cli_speed",)),
        lsoa,
        Step("1M London points to wards, LSOAs and the grid against sjoin (3 rounds)",
             ("-m", "bench.points_speed", "--part", "a", "--repeats", "3"),
             ("points_london_wards", "points_london_unsnapped", "points_london_snapped")),
        Step("6M points to England and Wales LSOAs against sjoin on every row (1 round)",
             ("-m", "bench.points_speed", "--part", "b", "--repeats", "1"),
             ("points_ew_unsnapped", "points_ew_snapped")),
        Step("1M points to a 150 m grid with Gi* 999 (3 rounds)",
             ("-m", "bench.points_speed", "--part", "c", "--repeats", "3"), ("points_grid",)),
        Step("page speed, demo pack, start script with its warm-up (3 rounds)",
             ("-m", "bench.page_speed", "--repeats", "3", "--record", "page_speed_demo"),
             ("page_speed_demo",)),
        Step("page speed, demo pack, without the warm-up run (3 rounds)",
             ("-m", "bench.page_speed", "--repeats", "3", "--no-warmup", "--record",
              "page_speed_demo_nowarmup"), ("page_speed_demo_nowarmup",)),
        Step("board pack, 3 rounds", ("-m", "bench.board_speed", "--rounds", "3"),
             ("board_speed",)),
        Step("map payload and build time against the naive map (3 rounds)",
             ("-m", "bench.map_payload", "--rounds", "3"), ("map_payload",)),
        Step("team server: 16 light sessions + 2 browsers for 3 minutes",
             ("bench/team_load.py", "--light", "16", "--browsers", "2", "--minutes", "3",
              "--record", "team_load"), ("team_load",)),
    ]


# --------------------------------------------------------------------------- reading


def _ratio(a: float, b: float) -> float:
    """Return ``a / b`` rounded to 2 decimals."""
    return round(a / b, 2)


def _verdict(ok: bool | None) -> str:
    """Return the table's word for a verdict (``None``: the figure is not from this run)."""
    return {True: "met", False: "NOT MET", None: "not measured in this run"}[ok]


class Files:
    """The results files, each marked fresh when written since ``since`` (a UTC minute)."""

    def __init__(self, since: str | None) -> None:
        self.since = since
        self.cache: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any] | None:
        """Return the file's data, or None when it is missing."""
        if name not in self.cache:
            path = results.RESULTS / f"{name}.json"
            self.cache[name] = (json.loads(path.read_text(encoding="utf-8"))
                                if path.is_file() else {})
        return self.cache[name] or None

    def fresh(self, *names: str) -> bool:
        """Whether every file was written in this run (always, with no run start)."""
        for n in names:
            d = self.get(n)
            if d is None or (self.since and d["conditions"]["date_utc"] < self.since):
                return False
        return True

    def row(self, name: str, col: str, start: str, *, exact: bool = False) -> dict[str, Any]:
        """Return the first row of ``name`` whose ``col`` starts with (or is) ``start``."""
        d = self.get(name) or {"rows": []}
        for r in d["rows"]:
            v = str(r.get(col, ""))
            if v == start or (not exact and v.startswith(start)):
                return r
        raise KeyError(f"{name}: no row {start!r} in {col!r}")

    def when(self, *names: str) -> str:
        """Return each file's date and 1-minute load averages, for the conditions column."""
        out = []
        for n in names:
            c = (self.get(n) or {}).get("conditions")
            if c:
                out.append(f"{n} {c['date_utc'][11:]} UTC, load {c['load_before'][0]:.1f}"
                           f"-{c['load_after'][0]:.1f}, {c['rounds']} round(s)")
        return "; ".join(out)


def _target_row(f: Files, work: str, target: str, names: tuple[str, ...],
                measure: Callable[[Files], tuple[str, bool, str]]) -> dict[str, Any]:
    try:
        measured, ok, where = measure(f)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
        return {"work": work, "target": target, "measured": f"no figure ({e})",
                "verdict": _verdict(None), "where the time goes": "",
                "source (time, load)": f.when(*names)}
    fresh = f.fresh(*names)
    verdict = (_verdict(ok if fresh else None) if not target.startswith("reported")
               else "reported" if fresh else _verdict(None))
    return {"work": work, "target": target, "measured": measured, "verdict": verdict,
            "where the time goes": "" if ok else where,
            "source (time, load)": f.when(*names)}


def _med(r: dict[str, Any], *keys: str) -> float:
    for k in keys:
        if k in r and r[k] not in ("", None):
            return float(r[k])
    raise KeyError(f"none of {keys}")


# --------------------------------------------------------------------------- issue 17


def _rows_17(f: Files) -> list[dict[str, Any]]:
    def add(f: Files) -> tuple[str, bool, str]:
        r = f.row("store_scale", "step", "add", exact=True)
        w, mb = float(r["wall s"]), float(r["peak MB"])
        return (f"{w:.1f} s wall / {float(r['CPU s']):.1f} CPU-s, peak {mb:,.0f} MB "
                f"({r['rows in']:,} rows)", w < 60 and mb < 2000,
                "reading each file with the project's pandas reader (about 60 % of the add)")

    def counts(f: Files) -> tuple[str, bool, str]:
        sp = f.row("store_scale", "step", "counts-spatial")
        lo = f.row("store_scale", "step", "counts", exact=True)
        best = min(float(sp["wall s"]), float(lo["wall s"]))
        return (f"DuckDB spatial join {float(sp['wall s']):.1f} s ({float(sp['CPU s']):.1f} "
                f"CPU-s, {float(sp['peak MB']):,.0f} MB); project locator "
                f"{float(lo['wall s']):.1f} s ({float(lo['CPU s']):.1f} CPU-s)", best < 5,
                "start-up and reading 35,672 LSOA polygons are about 2 s of each")

    def counts30(f: Files) -> tuple[str, bool, str]:
        r = _spark(f, "30M", "embedded")
        w, mb = float(r["wall s (median)"]), float(r["peak MB (max)"])
        return (f"{w:.1f} s wall / {float(r['CPU s (median, JVM tree incl.)']):.1f} CPU-s, "
                f"peak {mb:,.0f} MB (embedded: DuckDB + locator)", w < 20 and mb < 4000,
                "DuckDB's scan and group-by of 30 M rows on 2 cores")

    def spark(f: Files) -> tuple[str, bool, str]:
        e, s = _spark(f, "6M", "embedded"), _spark(f, "6M", "Spark")
        cpu_e, cpu_s = (float(x["CPU s (median, JVM tree incl.)"]) for x in (e, s))
        w_e, w_s = float(e["wall s (median)"]), float(s["wall s (median)"])
        ok = cpu_s / cpu_e <= 3 and w_s / w_e <= 3
        return (f"Spark {w_s:.1f} s wall / {cpu_s:.1f} CPU-s against embedded {w_e:.1f} s / "
                f"{cpu_e:.1f}: {_ratio(w_s, w_e)}x wall, {_ratio(cpu_s, cpu_e)}x CPU; "
                f"counts identical: {s['identical counts']}", ok,
                f"session start {float(s['of which session start']):.1f} s of the wall; "
                "CPU by part "
                "(JIT / Spark tasks / Python workers) "
                + str(s["of which JIT / Spark tasks / Python workers"]))

    return [
        _target_row(f, "add one national year (6M rows, 12 monthly folders) to the store",
                    "< 60 s, < 2 GB peak", ("store_scale",), add),
        _target_row(f, "counts per LSOA per month, one year, all E&W", "< 5 s from the store",
                    ("store_scale",), counts),
        _target_row(f, "the same for five years (30M)", "< 20 s, < 4 GB peak",
                    ("spark_scale",), counts30),
        _lsoa_row(f, "LSOA Gi* + LISA, 999 permutations, all E&W"),
        _target_row(f, "emerging hot spots, 35,672 LSOAs x 60 months", "< 5 min",
                    ("national_stats",), _emerging),
        _target_row(f, "page: all E&W at LSOA level, first paint", "< 3 s, payload < 10 MB",
                    ("national_map",), _national_page),
        _target_row(f, "Spark local mode, 6M points", "within 3x of the embedded engine, "
                    "identical counts", ("spark_scale",), spark),
    ]


def _spark(f: Files, label: str, engine: str) -> dict[str, Any]:
    for r in (f.get("spark_scale") or {"rows": []})["rows"]:
        if str(r["rows"]).startswith(label) and str(r["engine"]).startswith(engine):
            return r
    raise KeyError(f"spark_scale: no {label} {engine} row")


def _emerging(f: Files) -> tuple[str, bool, str]:
    r = f.row("national_stats", "step", "emerging")
    w = float(r["wall s"])
    return f"{w:.0f} s wall / {float(r['cpu s']):.0f} CPU-s", w < 300, "Gi* each month"


def _national_page(f: Files) -> tuple[str, bool, str]:
    r = f.row("national_map", "visit (all E&W, 35,672 LSOAs)", "first visit")
    paint, mb = float(r["first paint s (median)"]), float(r["payload MB"])
    return (f"{paint:.2f} s median / {float(r['first paint s (min)']):.2f} s min, "
            f"{mb:.2f} MB", paint < 3 and mb < 10,
            f"the browser's main thread {r['browser task s']} s of tasks (parsing the "
            "geometry, drawing 35,672 polygons on a canvas)")


def _lsoa_row(f: Files, work: str) -> dict[str, Any]:
    def lsoa(f: Files) -> tuple[str, bool, str]:
        ours = f.row("stats_lsoa", "pipeline", "ours", exact=True)
        py1 = f.row("stats_lsoa", "pipeline", "pygeoda lookup-table (1 thread)")
        py2 = f.row("stats_lsoa", "pipeline", "pygeoda lookup-table (2 threads)")
        w, c = float(ours["seconds (median)"]), float(ours["CPU s (median round)"])
        w1, c1 = float(py1["seconds (median)"]), float(py1["CPU s (median round)"])
        w2 = float(py2["seconds (median)"])
        return (f"ours {w:.2f} s wall (min {float(ours['seconds (min)']):.2f}) / {c:.2f} "
                f"CPU-s; pygeoda lookup-table 1 thread {w1:.2f} s (min "
                f"{float(py1['seconds (min)']):.2f}) / {c1:.2f} CPU-s, 2 threads {w2:.2f} s; "
                "without pygeoda.open", w <= w1 and c <= c1,
                f"ours waited {float(ours['waiting for a CPU s (threads)']):.2f} s for a "
                "CPU (its threads' run-queue time); with the weights from the cache "
                + _cached(f) + "; ours runs its permutation kernel on 2 threads, so its CPU "
                "is compared with pygeoda's on 1; the verdict needs both wall and CPU at most "
                "pygeoda's (1 thread)")

    return _target_row(f, work, "<= pygeoda lookup-table, same run", ("stats_lsoa",), lsoa)


def _cached(f: Files) -> str:
    """Return ours' figures with the weights already built (the statistics alone)."""
    r = f.row("stats_lsoa", "pipeline", "ours, weights from the cache")
    return (f"{float(r['seconds (median)']):.2f} s wall / {float(r['CPU s (median round)']):.2f} "
            "CPU-s")


# --------------------------------------------------------------------------- issue 18


def _rows_18(f: Files) -> list[dict[str, Any]]:
    def analyse(f: Files) -> tuple[str, bool, str]:
        a = f.row("cli_speed", "whole cold process", "analyse, pack cache filled")
        p = f.row("cli_speed", "whole cold process", "pygeoda script")
        w, wp = _med(a, "wall median (s)"), _med(p, "wall median (s)")
        phases = [r for r in f.get("cli_speed")["rows"]
                  if str(r["whole cold process"]).startswith("where it goes")]
        where = "; ".join(f"{r['whole cold process'][15:].split(' (')[0]} "
                          f"{float(r['CPU median (s)']):.2f} CPU-s" for r in phases)
        return (f"{w:.2f} s wall / {_med(a, 'CPU median (s)'):.2f} CPU-s; pygeoda script "
                f"{wp:.2f} s", w < 1 and w <= wp, where)

    def locate(name: str, need_mb: float | None) -> Callable[[Files], tuple[str, bool, str]]:
        def m(f: Files) -> tuple[str, bool, str]:
            sj = f.row(name, "call", "geopandas.sjoin")
            t1 = f.row(name, "call", "ours, 1 thread(s), first call")
            t2 = f.row(name, "call", "ours, 2 thread(s), first call")
            best = max(float(t1["sjoin / ours, wall (median of rounds)"]),
                       float(t2["sjoin / ours, wall (median of rounds)"]))
            text = (f"sjoin {float(sj['wall s (median)']):.2f} s; ours first call "
                    f"{float(t1['wall s (median)']):.2f} s (1 thread, "
                    f"{float(t1['sjoin / ours, wall (median of rounds)']):.1f}x) / "
                    f"{float(t2['wall s (median)']):.2f} s (2 threads, "
                    f"{float(t2['sjoin / ours, wall (median of rounds)']):.1f}x); CPU "
                    f"{float(t1['sjoin / ours, CPU']):.1f}x")
            ok = best >= 5
            if need_mb is not None:
                own = f.row(name, "call", "ours alone in its own process")
                peak = float(own["peak MB"])
                text += (f"; peak {peak:,.0f} MB alone in its own process (of which "
                         f"{float(own['of which before locating (layer + points)']):,.0f} "
                         "MB the layer and the points before locating)")
                ok = ok and peak < need_mb
            again = [f.row(name, "call", f"ours, {k} thread(s), again") for k in (1, 2)]
            return (text, ok, "a first call's profile (bench/README.md, points to areas): "
                    "projecting the points with pyproj (which sjoin's to_crs does too), the "
                    "exact tests near boundaries, the raster; again (raster cached), 1 and 2 "
                    "threads: " + ", ".join(
                        f"{float(r['sjoin / ours, wall (median of rounds)']):.1f}x"
                        for r in again))
        return m

    def grid(f: Files) -> tuple[str, bool, str]:
        tot = f.row("points_grid", "step", "total")
        w = float(tot["wall s (median)"])
        steps = [r for r in f.get("points_grid")["rows"] if r["step"] != "total"]
        where = "; ".join(f"{r['step']} {float(r['CPU s (median)']):.2f} CPU-s" for r in steps)
        return (f"{w:.2f} s wall (min {float(tot['wall s (min)']):.2f}) / "
                f"{float(tot['CPU s (median)']):.2f} CPU-s", w < 3, where)

    def page(name: str, step: str, limit: float) -> Callable[[Files], tuple[str, bool, str]]:
        def m(f: Files) -> tuple[str, bool, str]:
            rows = [r for r in f.get(name)["rows"] if str(r["step"]).startswith(step)]
            if not rows:
                raise KeyError(f"{name}: no {step!r} row")
            worst = max(float(r["wall median (s)"]) for r in rows)
            text = "; ".join(f"{r['step']}: {float(r['wall median (s)']):.2f} s (min "
                             f"{float(r['wall min (s)']):.2f})" for r in rows)
            where = "; ".join(f"{r['step']}: browser {r['browser CPU-s (median)']} CPU-s, "
                              f"server {r['server CPU-s (median)']} CPU-s" for r in rows)
            return text, worst < limit, where
        return m

    def board(f: Files) -> tuple[str, bool, str]:
        w = f.row("board_speed", "board pack (demo, report.example.toml)", "whole process, wall")
        c = f.row("board_speed", "board pack (demo, report.example.toml)", "whole process, CPU")
        m = f.row("board_speed", "board pack (demo, report.example.toml)", "peak memory")
        return (f"{float(w['median']):.2f} s wall (min {float(w['min']):.2f}) / "
                f"{float(c['median']):.2f} CPU-s, {float(m['median']):,.0f} MB",
                float(w["median"]) < 10, "see the board pack's profile in bench/README.md")

    def team(f: Files) -> tuple[str, bool, str]:
        li = f.row("team_load", "what", "light sessions' interactions")
        bl = f.row("team_load", "what", "browsers: navigation")
        warn = f.row("team_load", "what", "browsers: component-load")
        err = f.row("team_load", "what", "errors")
        ok = (float(li["p95 s"]) < 3 and float(bl["p95 s"]) < 5 and warn["count"] == 0)
        return (f"light p95 {float(li['p95 s']):.2f} s; browsers' maps p95 "
                f"{float(bl['p95 s']):.2f} s (max {float(bl['max s']):.2f}); component "
                f"warnings {warn['count']}; errors {err['count']}", ok,
                "client and server share the 2 cores")

    def payload(f: Files) -> tuple[str, bool, str]:
        r = f.row("map_payload", "map (704 wards)", "ours, pack cache filled")
        return (f"bytes {float(r['bytes / naive']):.2f}x the naive map's, build time "
                f"{float(r['build time / naive']):.2f}x", True, "")

    return [
        _target_row(f, "`python -m hotspots analyse`, demo pack, whole cold process",
                    "under 1 s, and at most the pygeoda script's time", ("cli_speed",),
                    analyse),
        _lsoa_row(f, "34,753 LSOAs: weights + LISA + Gi*, 999 permutations, warm"),
        _target_row(f, "1M unsnapped points -> 704 wards, first call", ">= 5x geopandas.sjoin",
                    ("points_london_wards",), locate("points_london_wards", None)),
        _target_row(f, "6M unsnapped -> 34,753 LSOAs, first call", ">= 5x sjoin, < 2 GB",
                    ("points_ew_unsnapped",), locate("points_ew_unsnapped", 2000)),
        _target_row(f, "1M points -> 150 m grid -> Gi* 999", "under 3 s", ("points_grid",),
                    grid),
        _target_row(f, "page, cold server, both maps drawn, with the start script's warm-up",
                    "under 1.5 s", ("page_speed_demo",),
                    page("page_speed_demo", "cold load", 1.5)),
        _target_row(f, "page, cold server, both maps drawn, without the warm-up",
                    "under 1.5 s", ("page_speed_demo_nowarmup",),
                    page("page_speed_demo_nowarmup", "cold load", 1.5)),
        _target_row(f, "filter change, maps redrawn", "under 0.5 s", ("page_speed_demo",),
                    page("page_speed_demo", "change", 0.5)),
        _target_row(f, "board pack, 17 pages", "under 10 s", ("board_speed",), board),
        _target_row(f, "server under 16 light sessions + 2 browsers, 2 cores",
                    "light p95 < 3 s; browsers' maps < 5 s; no component-load warning",
                    ("team_load",), team),
        _target_row(f, "map payload (704 wards): bytes and build time against the naive map",
                    "reported (no target)", ("map_payload",), payload),
    ]


# --------------------------------------------------------------------------- run


def run(issues: list[int], work: Path, plan: bool) -> str:
    """Run every step of ``issues`` once (shared steps once); return the run's start."""
    seen: set[tuple[str, ...]] = set()
    steps = [s for i in issues for s in _steps(i, work)
             if not (s.argv in seen or seen.add(s.argv))]
    since = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    if 17 in issues and not plan:
        _national_inputs(work)
    for k, s in enumerate(steps, 1):
        print(f"[{k}/{len(steps)}] {s.name}: {' '.join(s.argv)}", flush=True)
        if plan:
            continue
        t0 = time.monotonic()
        load = results.load_average()[0]
        rc = subprocess.run([PY, *s.argv], cwd=ROOT).returncode
        print(f"    exit {rc}, {time.monotonic() - t0:.0f} s (load {load:.1f} -> "
              f"{results.load_average()[0]:.1f})", flush=True)
    return since


def _national_inputs(work: Path) -> None:
    """Make the seeded national year once (untimed); remove an old store so add is timed."""
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "ew6m").is_dir():
        subprocess.run([PY, "-m", "bench.store_scale", "generate", "--rows", "6000000",
                        "--months", "12", "--out", str(work / "ew6m")], cwd=ROOT, check=True)
    for p in (work / "ew6m.duckdb", work / "ew30m.duckdb"):
        for q in (p, p.with_suffix(".duckdb.wal")):
            q.unlink(missing_ok=True)


def table(issue: int, since: str | None, load_before: list[float]) -> Path:
    """Record ``targets_<issue>.json`` from the results files (fresh since ``since``)."""
    f = Files(since)
    rows = _rows_17(f) if issue == 17 else _rows_18(f)
    met = sum(r["verdict"] == "met" for r in rows)
    return results.record(f"targets_{issue}", {"conditions": results.conditions(
        1, interleaved=False, load_before=load_before,
        notes=(f"issue {issue}'s targets from one run of bench/targets.py started {since} UTC"
               if since else f"issue {issue}'s targets from the results files as they are")
        + f"; {met} of {len(rows)} rows met; each figure's own rounds, interleaving and load "
        "are in its file (the source column); verdicts computed from the thresholds"),
        "rows": rows})


def main(argv: list[str] | None = None) -> int:
    """Run the issues' steps (unless ``--table-only``), then record their tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--issue", type=int, action="append", choices=[17, 18], required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/hotspots-targets"),
                    help="where issue 17's generated inputs and stores are kept")
    ap.add_argument("--plan", action="store_true", help="print the steps, run nothing")
    ap.add_argument("--table-only", action="store_true",
                    help="only the verdicts, from the results files as they are")
    ap.add_argument("--since", metavar="'YYYY-MM-DD HH:MM'",
                    help="with --table-only: the run's start (UTC); older files get no verdict")
    a = ap.parse_args(argv)
    load_before = results.load_average()
    since = a.since if a.table_only else run(a.issue, a.work, a.plan)
    if a.plan:
        return 0
    for i in a.issue:
        path = table(i, since, load_before)
        print(f"\n{path.relative_to(ROOT)}\n" + results.render(path.stem))
    print("updated: " + ", ".join(results.update_docs()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
