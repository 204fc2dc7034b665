"""Time and memory of ``pack build`` for places of every size (run by hand, never in tests).

From the project folder, with ``../shared/data`` present::

    .venv/bin/python -m bench.pack_speed                 # every case below, ~2 minutes
    .venv/bin/python -m bench.pack_speed --case cardiff --case ew
    .venv/bin/python -m bench.pack_speed --json /tmp/pack-speed.json
    .venv/bin/python -m bench.pack_speed --case cardiff --repeats 3   # cold, then warm

``--repeats N`` builds each case N times in a row: the first is "cold" (the first read
of the national files since they were last used, as far as the OS page cache allows:
nothing is flushed), the others "warm" (files in the page cache). Before each run the
1-minute load average and the number of cores are printed: the machine is shared, and
a build under a load above the core count is slower for reasons of its own.

Each case runs in a fresh process (so peak memory, ``ru_maxrss``, is its own) and
reports: the CPU time of the process (user + system: what the build costs, nearly the
same under load), the wall time of the whole command as a user runs it (Python start and
imports included), the build time inside :func:`hotspots.pipeline.packbuild.build_pack`
with its steps, and the process's peak resident memory. Targets (from the issue): a
local authority under 10 s, a police force area under 60 s, all of England and Wales
(7,588 wards, 35,672 LSOAs) under 3 minutes within 4 GB. Targets are reported, never
asserted. Packs are written to a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
WALES = SHARED / "police_uk_wales_2024-01_to_2024-04"

#: name -> (area, extra arguments, police.uk globs under WALES, target seconds)
CASES: dict[str, tuple[str, list[str], list[str], float]] = {
    "cardiff": ("Cardiff", [], ["*/*south-wales-street.csv"], 10.0),
    "powys": ("Powys", [], ["*/*dyfed-powys-street.csv"], 10.0),
    "manchester": ("Manchester", [], [], 10.0),
    "force_dyfed_powys": ("pfa:Dyfed-Powys", ["--assign-by", "lsoa"], ["."], 60.0),
    "force_south_wales": ("pfa:South Wales", [], ["*/*south-wales-street.csv"], 60.0),
    "force_greater_manchester": ("Greater Manchester", [], [], 60.0),
    "ew": ("England and Wales", ["--deprivation", "composite"], ["."], 180.0),
}

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from hotspots.pipeline import packbuild
t_import = time.perf_counter() - t0
args = json.loads(sys.argv[1])
built = packbuild.build_pack(args["area"], args["out"], police_uk=args["police"],
                             assign_by=args["assign_by"], deprivation=args["deprivation"])
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": time.perf_counter() - t0, "import_s": t_import,
                  "cpu_s": ru.ru_utime + ru.ru_stime,
                  "build_s": sum(built.seconds.values()), "steps": built.seconds,
                  "wards": sum(1 for _ in open(args["out"] + "/population.csv")) - 1,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_case(name: str, out: Path) -> dict:
    """Build one case's pack in a fresh process and return its figures."""
    area, extra, globs, target = CASES[name]
    police = [str(p) for g in globs for p in (sorted(WALES.glob(g)) if g != "." else [WALES])]
    opts = {"area": area, "out": str(out / name), "police": police, "assign_by": "point",
            "deprivation": "auto"}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        opts[flag.lstrip("-").replace("-", "_")] = value
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(opts)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    res = json.loads(done.stdout.strip().splitlines()[-1])
    res.update(case=name, area=area, police_files=len(police), target_s=target,
               process_s=time.perf_counter() - t)
    return res


def main(argv: list[str] | None = None) -> int:
    """Run the cases and print a table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", choices=list(CASES),
                    help="run only this case (repeat)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--repeats", type=int, default=1,
                    help="build each case this many times (first = cold, then warm)")
    a = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.case or list(CASES):
            for i in range(a.repeats):
                load = os.getloadavg()[0]
                r = run_case(name, Path(tmp))
                r.update(run="cold" if i == 0 else "warm", load_1min=load,
                         cores=os.cpu_count())
                results.append(r)
                ok = "ok" if r["wall_s"] < r["target_s"] else "OVER"
                steps = ", ".join(f"{k} {v:.1f}" for k, v in r["steps"].items())
                print(f"{name:26s} {r['run']:4s} wards {r['wards']:>5,}  wall "
                      f"{r['wall_s']:6.1f}s (imports {r['import_s']:.1f}s, build "
                      f"{r['build_s']:.1f}s; target {r['target_s']:.0f}s {ok}; CPU "
                      f"{r['cpu_s']:.1f}s)  peak "
                      f"{r['peak_mb']:,.0f} MB  load {load:.1f} on {os.cpu_count()} cores  "
                      f"[{steps}]", flush=True)
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
