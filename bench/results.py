"""The results file the bench scripts write, and the tables the READMEs quote from it.

Every script records its figures with :func:`record` into ``bench/results/<name>.json``
with the conditions they were measured under (``uptime`` load averages before and
after, CPU count, rounds, min and median of each measurement, interleaved or not, the
commit, Python, the date). :func:`render` turns a results file into a Markdown table;
``python -m bench.results`` rewrites every block between
``<!-- bench:<name> -->`` and ``<!-- /bench:<name> -->`` in ``README.md`` and
``bench/README.md`` from the files, so no figure there is typed by hand.

Examples
--------
>>> summary([3.0, 1.0, 2.0])
{'min': 1.0, 'median': 2.0, 'runs': [3.0, 1.0, 2.0]}
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOCS = (ROOT / "README.md", ROOT / "bench" / "README.md")


def load_average() -> list[float]:
    """Return the 1, 5 and 15 minute load averages (as ``uptime`` prints them)."""
    return [round(x, 2) for x in os.getloadavg()]


def child_env(tmp: str, **extra: str) -> dict[str, str]:
    """Environment of a timed child process: the project's modules compiled once.

    A shell with ``PYTHONDONTWRITEBYTECODE`` set (as the engineers' sessions) recompiles
    every project module in every new process (about 0.3 s of the board pack), which
    no installed copy does; the children write their bytecode under ``tmp`` instead
    (``PYTHONPYCACHEPREFIX``), so the working tree stays clean and the untimed first run
    fills it.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": tmp + "/pycache", "PYTHONPATH": str(ROOT), **extra}


def summary(runs: list[float]) -> dict[str, Any]:
    """Return ``{"min", "median", "runs"}`` of some timings."""
    return {"min": min(runs), "median": statistics.median(runs), "runs": list(runs)}


def conditions(rounds: int, *, interleaved: bool, load_before: list[float],
               notes: str = "") -> dict[str, Any]:
    """Return the conditions of a measurement (call when it has finished)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    cwd=ROOT, capture_output=True, text=True,
                                    check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "commit": commit + ("+changes" if dirty else ""), "python": sys.version.split()[0],
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "load_before": load_before, "load_after": load_average(), "rounds": rounds,
            "interleaved": interleaved, "notes": notes}


def record(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (replacing an older one) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.0f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def render(name: str) -> str:
    """Return the Markdown table and conditions line of ``bench/results/<name>.json``.

    The file holds ``"conditions"`` and ``"rows"``: a list of dicts whose keys are the
    table's columns (in order).
    """
    data = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    rows = data["rows"]
    cols = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    lines += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    c = data["conditions"]
    lines.append("")
    lines.append(
        f"*`bench/results/{name}.json`, {c['date_utc']} UTC, commit {c['commit']}, "
        f"{c['machine']}, load average {c['load_before'][0]:.1f} before / "
        f"{c['load_after'][0]:.1f} after (1 min), {c['rounds']} rounds"
        f"{', interleaved' if c['interleaved'] else ''}; min and median of the rounds"
        + (f". {c['notes']}" if c.get("notes") else "") + ".*")
    return "\n".join(lines)


def update_docs() -> list[str]:
    """Rewrite every ``<!-- bench:NAME -->`` block of the READMEs from its results file."""
    done = []
    pattern = re.compile(r"(<!-- bench:([\w-]+) -->\n).*?(<!-- /bench:\2 -->)", re.S)
    def repl(m: re.Match[str]) -> str:
        name = m.group(2)
        if not (RESULTS / f"{name}.json").is_file():
            return m.group(0)
        done.append(name)
        return m.group(1) + render(name) + "\n" + m.group(3)

    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        new = pattern.sub(repl, text)
        if new != text:
            doc.write_text(new, encoding="utf-8")
    return done


if __name__ == "__main__":
    print("updated: " + (", ".join(update_docs()) or "nothing"))
