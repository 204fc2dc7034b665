"""A team server under load: light websocket sessions plus real browsers on one dashboard.

Run by hand (never in the test suite)::

    .venv/bin/python bench/team_load.py --light 16 --browsers 2 --minutes 3 [--json out.json]

Starts ``streamlit run dashboard.py`` (the project's ``.streamlit/config.toml``,
127.0.0.1, a free port; the audit log in a temporary folder) and runs the page once
through its websocket first, as ``scripts/start.sh``'s warm-up does. Then, for the
given minutes:

- ``--light`` light sessions, each a websocket client speaking Streamlit's protocol
  (``BackMsg``/``ForwardMsg``, as the warm-up): it opens the page, then every
  ``--think`` seconds (+-50%, random) changes the measure selectbox
  (``measure_group``) to another of its first ``--measures`` options and waits for the
  script run to finish. Interaction latency = send -> ``script_finished``. Errors: a
  run that ends in an exception element or an error box with a reference, a refused or
  dropped connection, a run over 60 s;
  The measures are run once each before the load (as a team server's caches are warm
  after its first users); the warm-up times are reported;
- ``--browsers`` headless Chromium pages (the system one, never downloaded) that load
  the page, wait for the first map, and reload every ``--browser-every`` seconds
  (load latency = navigation -> the first map's ward paths drawn in its frame; the
  frame's attachment alone is reported beside; Streamlit's "having trouble loading"
  component warning is counted).

The server's resident memory (``/proc/<pid>/status`` VmRSS, its whole process tree) is
sampled every second: at start (after the warm-up), peak during the load, and after
(every client gone, ``--settle`` seconds later); so are the machine's load average and
the server's CPU seconds (``/proc/<pid>/stat``), whose ratio to the script runs served is
the cost of a run independent of how busy the machine is. Reported, never asserted: sessions
held to the end, latency p50/p95 (light interactions and browser loads), memory, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui import wire  # noqa: E402 - the page's websocket protocol (Streamlit's protobufs)

CHROMIUM = Path(os.environ.get("HOTSPOTS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAP_IFRAME = 'iframe[title="ui.mapview.st_folium"]'
COMPONENT_WARNING = "having trouble loading"  # Streamlit's component-load warning
RUN_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    pids, total = [pid], 0
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                             text=True, check=False).stdout
        pids += [int(x) for x in out.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                             text=True, check=False).stdout
        pids = [pid, *(int(x) for x in out.split())]
    except OSError:
        pids = [pid]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total


class MemoryWatch:
    """Sample a process tree's RSS every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float]] = []
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), _tree_rss_mb(self.pid)))
            self.loads.append(os.getloadavg()[0])
            self._stop.wait(self.interval)

    def start(self) -> MemoryWatch:
        self._t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._t.join(timeout=5)

    def peak(self, since: float, until: float) -> float:
        vals = [m for t, m in self.samples if since <= t <= until]
        return max(vals) if vals else float("nan")


@contextlib.contextmanager
def dashboard(port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``streamlit run dashboard.py`` on 127.0.0.1:port; stop it (process group) after."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true"]
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT,
                                env={**os.environ, **env}, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the dashboard did not start; see {log}")
            time.sleep(0.25)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


# --------------------------------------------------------------------------- light sessions


@dataclass
class Light:
    """One light session's record."""

    latencies: list[float] = field(default_factory=list)
    first_run_s: float | None = None
    errors: list[str] = field(default_factory=list)
    held: bool = False


def _rerun_msg(widget: tuple[str, str] | None) -> bytes:
    return wire.rerun(widget)


async def _run_once(ws: Any, payload: bytes, found: dict[str, Any]) -> tuple[float, list[str]]:
    """Send one rerun; read until ``script_finished``; return (seconds, problems)."""
    t0 = time.monotonic()
    await ws.send(payload)
    problems: list[str] = []
    while True:
        ev = wire.read(await asyncio.wait_for(ws.recv(), RUN_TIMEOUT_S))
        if ev.problem:
            problems.append(ev.problem)
        if ev.selectbox is not None and ev.selectbox[0].endswith("-measure_group"):
            found["measure_group"] = (ev.selectbox[0], list(ev.selectbox[1]))
        if ev.finished:
            return time.monotonic() - t0, problems


async def light_session(url: str, end: float, think: float, measures: int,
                        rec: Light, seed: int) -> None:
    import websockets

    rnd = random.Random(seed)
    found: dict[str, Any] = {}
    try:
        async with websockets.connect(f"ws://{url}/_stcore/stream", subprotocols=["streamlit"],
                                      max_size=None, open_timeout=60,
                                      ping_interval=None) as ws:
            rec.first_run_s, problems = await _run_once(ws, _rerun_msg(None), found)
            rec.errors += problems
            current = 0
            while time.monotonic() < end:
                await asyncio.sleep(think * rnd.uniform(0.5, 1.5))
                if time.monotonic() >= end:
                    break
                if "measure_group" not in found:
                    rec.errors.append("no measure selectbox on the page")
                    return
                wid, options = found["measure_group"]
                current = (current + 1 + rnd.randrange(max(1, min(measures, len(options)) - 1))
                           ) % min(measures, len(options))
                seconds, problems = await _run_once(ws, _rerun_msg((wid, options[current])),
                                                    found)
                rec.latencies.append(seconds)
                rec.errors += problems
            rec.held = True
    except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as e:
        rec.errors.append(f"{type(e).__name__}: {e}"[:200])


# --------------------------------------------------------------------------- browsers


def browser_sessions(url: str, n: int, end: float, every: float,
                     out: dict[str, Any]) -> None:
    """Run ``n`` Chromium pages in one thread: load, wait for the map, reload every ``every`` s."""
    from playwright.sync_api import sync_playwright

    loads: list[float] = []
    attached: list[float] = []
    errors: list[str] = []
    warnings = 0
    held = 0
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                  args=CHROMIUM_ARGS)
            pages = [b.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                     for _ in range(n)]
            next_at = [time.monotonic() + i * every / max(n, 1) for i in range(n)]
            alive = [True] * n
            while time.monotonic() < end:
                i = min(range(n), key=next_at.__getitem__)
                wait = next_at[i] - time.monotonic()
                if wait > 0:
                    time.sleep(min(wait, max(0.0, end - time.monotonic())))
                if time.monotonic() >= end:
                    break
                t0 = time.monotonic()
                try:
                    pages[i].goto(f"http://{url}/", wait_until="commit", timeout=120_000)
                    pages[i].locator(MAP_IFRAME).first.wait_for(state="attached",
                                                                timeout=120_000)
                    attached.append(time.monotonic() - t0)
                    # "maps drawn": the first map frame's ward paths, as a person sees them
                    pages[i].frame_locator(MAP_IFRAME).first.locator(
                        "path.leaflet-interactive").first.wait_for(state="attached",
                                                                   timeout=120_000)
                    loads.append(time.monotonic() - t0)
                    if pages[i].locator('[data-testid="stException"]').count():
                        errors.append("exception shown in a browser")
                    if pages[i].get_by_text(COMPONENT_WARNING).count():
                        warnings += 1
                except Exception as e:  # noqa: BLE001 - a benchmark counts every failure
                    alive[i] = False
                    errors.append(f"browser {i}: {type(e).__name__}: {str(e)[:150]}")
                next_at[i] = time.monotonic() + every
            held = sum(alive)
            b.close()
    except Exception as e:  # noqa: BLE001
        errors.append(f"browsers: {type(e).__name__}: {str(e)[:200]}")
    out.update(loads=loads, attached=attached, errors=errors, held=held, warnings=warnings)


# --------------------------------------------------------------------------- run


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def _warm_measures(url: str, measures: int) -> list[float]:
    """Run the page once per measure the sessions use (their maps into the caches)."""
    import websockets

    found: dict[str, Any] = {}
    out: list[float] = []
    async with websockets.connect(f"ws://{url}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=60, ping_interval=None) as ws:
        await _run_once(ws, _rerun_msg(None), found)
        wid, options = found["measure_group"]
        for option in options[:measures]:
            seconds, _ = await _run_once(ws, _rerun_msg((wid, option)), found)
            out.append(seconds)
    return out


async def _all_light(url: str, n: int, end: float, think: float, measures: int,
                     stagger: float) -> list[Light]:
    recs = [Light() for _ in range(n)]

    async def start(i: int) -> None:
        await asyncio.sleep(i * stagger)
        await light_session(url, end, think, measures, recs[i], seed=i)

    await asyncio.gather(*(start(i) for i in range(n)))
    return recs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--light", type=int, default=16, help="light websocket sessions")
    ap.add_argument("--browsers", type=int, default=2, help="headless Chromium pages")
    ap.add_argument("--minutes", type=float, default=10.0, help="load duration")
    ap.add_argument("--think", type=float, default=10.0,
                    help="seconds between a light session's interactions (+-50%%)")
    ap.add_argument("--measures", type=int, default=4,
                    help="how many of the measure selectbox's first options sessions use")
    ap.add_argument("--browser-every", type=float, default=30.0,
                    help="seconds between a browser's reloads")
    ap.add_argument("--settle", type=float, default=30.0,
                    help="seconds after the load before the 'after' memory sample")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--record", metavar="NAME",
                    help="also write bench/results/NAME.json (python -m bench.results)")
    a = ap.parse_args(argv)

    load_before = [round(x, 2) for x in os.getloadavg()]
    port = _free_port()
    url = f"127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="team-load-"))
    (tmp / "team.toml").write_text(f'[audit]\nlog = "{tmp / "audit.jsonl"}"\n')
    log = tmp / "server.log"
    with dashboard(port, {"HOTSPOTS_TEAM_CONFIG": str(tmp / "team.toml")}, log) as proc:
        t0 = time.monotonic()
        warm = Light()
        asyncio.run(light_session(url, time.monotonic(), 0, 1, warm, seed=-1))
        print(f"warm-up run: {warm.first_run_s or float('nan'):.1f} s", flush=True)
        warm_measures = asyncio.run(_warm_measures(url, a.measures))
        print(f"warm-up of the {a.measures} measures: "
              + ", ".join(f"{s:.1f} s" for s in warm_measures), flush=True)
        time.sleep(2)
        watch = MemoryWatch(proc.pid).start()
        time.sleep(2)
        mem_start = statistics.median(m for _, m in watch.samples)
        load_start = time.monotonic()
        cpu_start = _tree_cpu_s(proc.pid)
        end = load_start + a.minutes * 60
        browser_out: dict[str, Any] = {"loads": [], "errors": [], "held": 0}
        bt = threading.Thread(target=browser_sessions,
                              args=(url, a.browsers, end, a.browser_every, browser_out))
        if a.browsers:
            bt.start()
        lights = asyncio.run(_all_light(url, a.light, end, a.think, a.measures,
                                        stagger=min(2.0, a.think / max(a.light, 1))))
        if a.browsers:
            bt.join()
        load_end = time.monotonic()
        cpu_used = _tree_cpu_s(proc.pid) - cpu_start
        time.sleep(a.settle)
        mem_after = statistics.median(m for t, m in watch.samples if t > time.monotonic() - 5)
        watch.stop()
        server_errors = [line.strip() for line in log.read_text(errors="replace").splitlines()
                         if "Traceback" in line or " ERROR " in line or "CRITICAL" in line]
    lat = [x for r in lights for x in r.latencies]
    first = [r.first_run_s for r in lights if r.first_run_s is not None]
    light_errors = [e for r in lights for e in r.errors]
    result = {
        "conditions": {
            "light_sessions": a.light, "browsers": a.browsers, "minutes": a.minutes,
            "think_s": a.think, "measures": a.measures, "browser_every_s": a.browser_every,
            "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
            "warmup_run_s": warm.first_run_s, "warmup_measures_s": warm_measures,
        },
        "sessions_held": {"light": sum(r.held for r in lights), "light_of": a.light,
                          "browsers": browser_out["held"], "browsers_of": a.browsers},
        "light_interactions": {"n": len(lat), "p50_s": _pct(lat, 50), "p95_s": _pct(lat, 95),
                               "max_s": max(lat) if lat else None},
        "light_first_run": {"p50_s": _pct(first, 50), "p95_s": _pct(first, 95)},
        "browser_loads": {"n": len(browser_out["loads"]),
                          "p50_s": _pct(browser_out["loads"], 50),
                          "p95_s": _pct(browser_out["loads"], 95),
                          "max_s": max(browser_out["loads"], default=None),
                          "frame_attached_p95_s": _pct(browser_out.get("attached", []), 95),
                          "component_warnings": browser_out.get("warnings", 0)},
        "memory_mb": {"start": round(mem_start, 1),
                      "peak": round(watch.peak(load_start, load_end), 1),
                      "after": round(mem_after, 1),
                      "after_vs_start_pct": round(100 * (mem_after / mem_start - 1), 1)},
        "errors": {"light": light_errors, "browsers": browser_out["errors"],
                   "server_log": server_errors[:20],
                   "total": len(light_errors) + len(browser_out["errors"]) + len(server_errors)},
        "server_cpu": {
            "cpu_s_during_load": round(cpu_used, 1),
            "share_of_2_cores_pct": round(100 * cpu_used / (2 * (load_end - load_start)), 1),
            "cpu_s_per_script_run": round(cpu_used / max(1, len(lat) + len(first)
                                                         + len(browser_out["loads"])), 2),
        },
        "machine_load_average_1min": {"min": min(watch.loads), "median":
                                      statistics.median(watch.loads), "max": max(watch.loads)},
        "seconds": round(time.monotonic() - t0, 1),
    }
    print(json.dumps(result, indent=2, default=str))
    if a.json:
        a.json.write_text(json.dumps(result, indent=2, default=str))
    if a.record:
        _record(a.record, result, load_before, a)
    return 0


def _record(name: str, result: dict[str, Any], load_before: list[float],
            a: argparse.Namespace) -> None:
    """Write ``bench/results/<name>.json``: the issue's three figures and the details."""
    from bench import results

    li, lf, bl = result["light_interactions"], result["light_first_run"], result["browser_loads"]
    rows = [
        {"what": f"light sessions' interactions (measure change), {li['n']} runs",
         "p50 s": li["p50_s"], "p95 s": li["p95_s"], "max s": li["max_s"]},
        {"what": "light sessions' first run (page opened)", "p50 s": lf["p50_s"],
         "p95 s": lf["p95_s"], "max s": ""},
        {"what": f"browsers: navigation to the first map drawn, {bl['n']} loads",
         "p50 s": bl["p50_s"], "p95 s": bl["p95_s"], "max s": bl["max_s"]},
        {"what": "browsers: component-load warnings seen", "p50 s": "", "p95 s": "",
         "max s": "", "count": bl["component_warnings"]},
        {"what": "errors (light, browsers, server log)", "count": result["errors"]["total"]},
        {"what": "server memory MB: start / peak / after", "count":
         "{start:,.0f} / {peak:,.0f} / {after:,.0f}".format(**result["memory_mb"])},
        {"what": "server CPU s per script run", "count":
         result["server_cpu"]["cpu_s_per_script_run"]},
    ]
    ml = result["machine_load_average_1min"]
    results.record(name, {"conditions": results.conditions(
        1, interleaved=False, load_before=load_before,
        notes=(f"{a.light} light websocket sessions (think {a.think:g} s +-50 %, "
               f"{a.measures} measures) and {a.browsers} headless Chromium pages (reload "
               f"every {a.browser_every:g} s) for {a.minutes:g} min on one server started "
               f"with its warm-up run; client and server share the 2 cores; load during "
               f"{ml['min']:.1f}-{ml['max']:.1f} (1 min); targets: light p95 < 3 s, "
               "browsers' maps < 5 s, no component-load warning")),
        "rows": rows, "details": result})


if __name__ == "__main__":
    raise SystemExit(main())
