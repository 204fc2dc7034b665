"""Time of reading police.uk months: the project's reader against plain pandas (run by hand).

From the project folder, with ``../shared/data`` present::

    .venv/bin/python -m bench.read_speed              # 5 interleaved rounds
    .venv/bin/python -m bench.read_speed --rounds 9

Both read the City of London's 36 ``*-street.csv`` months (the real files in
``../shared/data``), warm (files in the page cache after a first untimed read), in
this one process, interleaved A/B/A/B. The peer is the least a user would write:
``pandas.concat(pandas.read_csv(f) for f in files)``, which does none of the
reader's checks (duplicates across files, coordinates, months, Crime IDs, the
reconciliation). Minimum and median per side are printed with the machine's load
(``os.getloadavg``), never asserted: speed is not a test (it used to be one, and it
failed whenever the machine was busy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd

from hotspots.io import read_police_uk

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT.parent / "shared" / "data" / "police_uk_city_of_london_2017-12_to_2020-11"


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures with their conditions."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--folder", type=Path, default=CITY)
    a = ap.parse_args(argv)
    files = sorted(a.folder.rglob("*-street.csv"))
    if not files:
        print(f"no *-street.csv under {a.folder}")
        return 2
    ours = lambda: read_police_uk(a.folder)  # noqa: E731
    peer = lambda: pd.concat([pd.read_csv(f) for f in files], ignore_index=True)  # noqa: E731
    ours(), peer()  # warm: page cache, imports
    load0 = os.getloadavg()[0]
    t_ours, t_peer = [], []
    for _ in range(a.rounds):
        t_ours.append(_timed(ours))
        t_peer.append(_timed(peer))
    load1 = os.getloadavg()[0]
    rows = len(peer())
    print(f"{len(files)} files, {rows:,} rows; warm, {a.rounds} interleaved rounds; "
          f"load average {load0:.1f} -> {load1:.1f} on {os.cpu_count()} cores")
    for name, t in (("read_police_uk", t_ours), ("pandas read_csv + concat", t_peer)):
        print(f"  {name:26s} min {min(t):.2f} s  median {statistics.median(t):.2f} s")
    print(f"  ratio of medians (ours / peer): "
          f"{statistics.median(t_ours) / statistics.median(t_peer):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
