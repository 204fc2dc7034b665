"""Record the log of ``bench/board_before_after.sh`` in ``bench/results/board_before_after.json``.

Run by hand after the shell script (never in the test suite)::

    BASE="/tmp/old1 /tmp/old2" HERE=$PWD TMP=/tmp/ab LOG=/tmp/ab/ab.log \\
        sh bench/board_before_after.sh
    .venv/bin/python -m bench.board_before_after /tmp/ab/ab.log \\
        --tree /tmp/old1="before issue 18 (b590c15)" --tree /tmp/old2="first pass (d20fe9a)" \\
        --tree $PWD="second pass (this tree)" --load-before 12.0,11.0,10.0

Every ``/usr/bin/time`` line of the log becomes one run (CPU = user + system seconds,
wall, peak resident memory); each tree's row holds the min and median of its rounds
and the last row the ratio of the last tree to the first (the rounds were interleaved
A/B/C/A/B/C, so every tree saw the same load). ``python -m bench.results`` then puts
the table in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import re
import statistics
from pathlib import Path

from bench import results

_LINE = re.compile(r"^(?P<tree>\S+) round (?P<round>\d+): wall (?P<wall>[\d.]+) s, "
                   r"CPU (?P<user>[\d.]+)\+(?P<sys>[\d.]+) s, peak (?P<kb>\d+) KB$")


def parse(log: str) -> dict[str, list[dict[str, float]]]:
    """Return ``{tree: [{"wall", "cpu", "peak_mb"}, ...]}`` from the script's log.

    Examples
    --------
    >>> parse("/t/a round 1: wall 9.5 s, CPU 7.25+0.75 s, peak 2048 KB\\n up 1 day")
    {'/t/a': [{'wall': 9.5, 'cpu': 8.0, 'peak_mb': 2.0}]}
    """
    runs: dict[str, list[dict[str, float]]] = {}
    for line in log.splitlines():
        m = _LINE.match(line.strip())
        if m:
            runs.setdefault(m["tree"], []).append({
                "wall": float(m["wall"]), "cpu": float(m["user"]) + float(m["sys"]),
                "peak_mb": int(m["kb"]) / 1024})
    return runs


def main(argv: list[str] | None = None) -> int:
    """Parse the log, record the results file and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", type=Path)
    ap.add_argument("--tree", action="append", required=True,
                    help="PATH=LABEL, in the order of the table (first = before)")
    ap.add_argument("--load-before", required=True,
                    help="1, 5 and 15 minute load averages before the runs, comma-separated")
    ap.add_argument("--commit", default="", help="what the trees are, for the conditions")
    a = ap.parse_args(argv)
    runs = parse(a.log.read_text(encoding="utf-8"))
    labels = dict(t.split("=", 1) for t in a.tree)
    rows, by_label = [], {}
    for tree, label in labels.items():
        got = runs.get(tree) or runs.get(tree.rstrip("/"))
        if not got:
            raise SystemExit(f"{a.log}: no run of {tree}")
        by_label[label] = got
        rows.append({"board pack, new process": label,
                     "CPU s (min)": min(r["cpu"] for r in got),
                     "CPU s (median)": statistics.median(r["cpu"] for r in got),
                     "wall s (median)": statistics.median(r["wall"] for r in got),
                     "peak MB (median)": statistics.median(r["peak_mb"] for r in got)})
    first, last = rows[0], rows[-1]
    rows.append({"board pack, new process": f"{last['board pack, new process']} / "
                                            f"{first['board pack, new process']}",
                 "CPU s (median)": last["CPU s (median)"] / first["CPU s (median)"],
                 "peak MB (median)": last["peak MB (median)"] / first["peak MB (median)"]})
    cond = results.conditions(
        min(len(v) for v in by_label.values()), interleaved=True,
        load_before=[float(x) for x in a.load_before.split(",")],
        notes=(a.commit + "; " if a.commit else "") + "bench/board_before_after.sh: each tree "
              "in turn per round, /usr/bin/time around python -m hotspots report --config "
              "report.example.toml in a new process, pack and bytecode caches filled by an "
              "untimed run of each tree first")
    results.record("board_before_after", {"conditions": cond, "rows": rows, "runs": by_label})
    print(results.render("board_before_after"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
