"""The board pack (``report.example.toml``: 17 pages) in a new process: time and peak memory.

Run by hand (never in the test suite)::

    .venv/bin/python -m bench.board_speed [--rounds 3] [--profile /tmp/board.prof]

Each round runs ``python -m hotspots report --config report.example.toml --out TMP``
in a new process (the demo pack, every format: PDF, PNG maps, CSV, XLSX, manifest),
with the pack cache filled once before the rounds, and reports its wall and CPU
seconds and the process's peak resident memory (``ru_maxrss`` of the child). With
``--profile`` one more run under cProfile prints the 25 costliest functions
(cumulative). Results go to ``bench/results/board_speed.json``. Target: under 10 s.

``--baseline DIR`` (another checkout, e.g. ``git archive main`` unpacked, with its
own ``.venv`` link) also runs that checkout's board pack in every round, interleaved
A/B (baseline first), with its own pack and bytecode caches, so both see the same
load; its rows are recorded beside ("baseline: ...").
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import results

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import resource, sys, time
from hotspots import cli
t = time.perf_counter()
code = cli.main(["report", "--config", "report.example.toml", "--out", sys.argv[1]])
print("RESULT", time.perf_counter() - t,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, code)
"""


def _one(out: str, env: dict[str, str], root: Path = ROOT) -> dict[str, float]:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, out], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT")]
    if done.returncode or not line or line[-1].split()[3] != "0":
        raise SystemExit(f"report failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    _, inner, peak, _ = line[-1].split()
    pages = None
    pdfs = sorted(Path(out).glob("*.pdf"))
    if pdfs:
        pages = pdfs[0].read_bytes().count(b"/Type /Page") - pdfs[0].read_bytes().count(
            b"/Type /Pages")
    return {"wall": wall, "inside": float(inner), "peak_mb": float(peak),
            "cpu": (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime),
            "pages": pages}


def main(argv: list[str] | None = None) -> int:
    """Run the rounds (and the profile), print and record the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", type=Path, help="also run once under cProfile, save here")
    ap.add_argument("--baseline", type=Path,
                    help="another checkout to time interleaved with this one (A/B)")
    a = ap.parse_args(argv)
    load_before = results.load_average()
    base_runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = results.child_env(tmp, HOTSPOTS_CACHE_DIR=tmp + "/cache")
        base_env = None
        if a.baseline:
            base_env = {**results.child_env(tmp + "/base"), "PYTHONPATH": str(a.baseline),
                        "HOTSPOTS_CACHE_DIR": tmp + "/base/cache"}
            _one(tmp + "/base/warm", base_env, a.baseline)
        _one(tmp + "/warm", env)  # fills the pack cache
        runs = []
        for r in range(a.rounds):
            if base_env is not None:
                base_runs.append(_one(f"{tmp}/base/out{r}", base_env, a.baseline))
                print(f"round {r + 1} baseline: {base_runs[-1]}", flush=True)
            runs.append(_one(f"{tmp}/out{r}", env))
            print(f"round {r + 1}: {runs[-1]}", flush=True)
        if a.profile:
            subprocess.run([sys.executable, "-m", "cProfile", "-o", str(a.profile), "-m",
                            "hotspots", "report", "--config", "report.example.toml", "--out",
                            tmp + "/prof"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            import pstats

            pstats.Stats(str(a.profile)).sort_stats("cumulative").print_stats(25)
    rows = []
    for label, which in (("baseline: ", base_runs), ("", runs)):
        if not which:
            continue
        for key, words in (("wall", "whole process, wall s"),
                           ("inside", "report command, wall s"),
                           ("cpu", "whole process, CPU s"), ("peak_mb", "peak memory, MB")):
            s = results.summary([r[key] for r in which])
            rows.append({"board pack (demo, report.example.toml)": label + words,
                         "min": s["min"], "median": s["median"]})
    rows.append({"board pack (demo, report.example.toml)": "PDF pages",
                 "min": runs[0]["pages"] or "", "median": ""})
    notes = ("each round a new process, pack cache and bytecode cache filled by an untimed "
             "first run; target under 10 s")
    if a.baseline:
        notes += f"; baseline = {a.baseline.name} (interleaved A/B, baseline first each round)"
    cond = results.conditions(a.rounds, interleaved=bool(a.baseline), load_before=load_before,
                              notes=notes)
    results.record("board_speed", {"conditions": cond, "rows": rows, "runs": runs,
                                   "baseline_runs": base_runs})
    print(results.render("board_speed"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
