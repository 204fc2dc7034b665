"""Page speed in headless Chromium: the dashboard against a trivial Streamlit page.

Run by hand (never in the test suite; about 2 minutes with the default 3 repeats)::

    .venv/bin/python bench/page_speed.py [--repeats 3] [--json out.json] [--pack FOLDER]

``--before DIR`` times another checkout of the project in the same run (e.g. main,
``git archive main | tar -x -C DIR``, ``DIR/.venv`` linked to this one's, the commit in
``DIR/COMMIT``): each repeat starts both dashboards in turn, the order alternating, and
the report and ``--record`` give its figures beside ours.

``--pack FOLDER`` measures the page on that pack (e.g. a force pack built with
``python -m hotspots pack build --area "South Wales Police" --police-uk ...``) instead of
the demo: the server gets ``HOTSPOTS_PACK``, and the in-process steps load it.

Baseline (measured in the same run, interleaved with ours): a trivial page written to a
temporary folder at run time (a title and one ``st.dataframe`` of 700 rows), started
exactly like the dashboard (``python -m streamlit run`` with the project's
``.streamlit/config.toml``, 127.0.0.1, a free port) and timed from navigation to its
title visible, on a cold server (first visit after start) and a warm one (second visit,
new browser context).

Ours, per repeat on a dashboard freshly started the way users start it,
``scripts/start.sh`` (which runs the page once through its websocket before it prints
"Ready"; ``--no-warmup`` sets ``HOTSPOTS_WARMUP=0`` to measure without that run); "cold"
is the first browser visit after "Ready":

1. first meaningful paint: navigation -> page title visible, and -> both main maps drawn
   (one ``path.leaflet-interactive`` per ward in each of the first two Leaflet maps on the
   page: the measure and IMD maps, which share one st_folium iframe as a synchronised
   pair), cold then warm (new browser context each);
2. on the warm page: a measure change (offence group "Burglary" in the measure
   selectbox), a change back to a selection the server has cached (all offences), and a
   period change (the end month of the period slider one month back, by keyboard), each
   timed from the key press to the new measure map drawn (every ward path in the first
   map iframe is new) with the IMD map drawn;
3. the map payload: the ``json_args`` of each st_folium element (Leaflet script + HTML +
   header) as decoded from the websocket frames the page received (Playwright's
   ``framereceived``), and the total page transfer (HTTP bytes on the wire from
   ``request.sizes()`` plus websocket frames in both directions).

Timings are taken inside the page with ``performance.now()`` (0 = navigation start),
sampled once per animation frame: an init script records websocket message arrivals (it
subclasses the page's ``WebSocket`` only to add a message listener), key presses, long
tasks, Streamlit's script state and the marks above. Nothing is intercepted (``page.route``
is never used: it leaves redrawn st_folium maps blank). Where the time goes:
page shell (navigation -> websocket open), server (-> map payload received), browser
(-> Leaflet paths in the DOM); and the server's work timed in a separate cold process
(imports, pack, ``hotspots.pipeline.ward_table``, map builds, st_folium serialisation in
Streamlit's bare mode, the page's default statistics). Medians of the repeats; targets
are reported, never asserted. Seconds move with the machine's load (run it on a quiet
machine); the ratios, measured interleaved, move less. Servers and the browser are
stopped on exit, also on error or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("HOTSPOTS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1600, "height": 1200}
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 180.0  # scripts/start.sh's warm-up run included
TIMEOUT_MS = 120_000
QUIET_MS = 1500  # a page has settled when its script is done and no message came for this long

COMPONENT = "ui.mapview.st_folium"
MAP_IFRAME = f'iframe[title="{COMPONENT}"]'
TITLE = "Community safety hotspots"
BASE_TITLE = "Baseline page"
# st_folium elements in page order: the measure/IMD pair is one element (two maps).
MAP_NAMES = ("measure + IMD pair", "Gi*", "LISA")
#: Ward maps per element (the pair's payload target is one map's, twice).
MAPS_PER_ELEMENT = (2, 1, 1)

TARGET_PAINT_S = 3.0
TARGET_CHANGE_S = 1.0
TARGET_PAYLOAD_B = 1_000_000

BASELINE_APP = '''\
import numpy as np
import pandas as pd
import streamlit as st

st.title("Baseline page")
rng = np.random.default_rng(1)
n = 700
st.dataframe(pd.DataFrame({
    "ward": [f"Ward {i:03d}" for i in range(n)],
    "borough": [f"Borough {i % 33:02d}" for i in range(n)],
    "crimes": rng.integers(0, 2000, n),
    "per_1000": rng.gamma(2.0, 40.0, n).round(1),
    "imd_score": rng.uniform(5, 50, n).round(2),
    "rank": np.arange(1, n + 1),
}))
'''

# Runs in every frame; records only in the top page. __CFG__ is replaced by JSON.
INIT_JS = """
(() => {
  if (window !== window.top) return;
  const cfg = __CFG__;
  const now = () => performance.now();
  const S = {ws: [], wsOpen: null, keys: [], state: [], marks: {}, change: null};
  window.__hs = S;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => { if (S.wsOpen === null) S.wsOpen = now(); });
      this.addEventListener("message", (e) => {
        const t = now(), d = e.data;
        const n = typeof d === "string" ? d.length : (d.byteLength ?? d.size ?? 0);
        const map = n > 20000 && d instanceof ArrayBuffer
          && new TextDecoder("latin1").decode(d).includes(cfg.component);
        S.ws.push([t, n, map]);
      });
    }
  };
  document.addEventListener("keydown", () => S.keys.push(now()), true);
  S.long = [];  // long tasks of this renderer (the same-origin map iframes included)
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) S.long.push([e.startTime, e.duration]);
    }).observe({type: "longtask", buffered: true});
  } catch (e) { /* no long-task timing */ }

  // Leaflet maps in page order, across the st_folium iframes (a synced pair is one
  // iframe holding two maps).
  const leafletMaps = () => {
    const out = [];
    for (const f of document.querySelectorAll(cfg.iframe)) {
      let d = null;
      try { d = f.contentDocument; } catch (e) { d = null; }
      if (d) out.push(...d.querySelectorAll(".leaflet-container"));
    }
    return out;
  };
  const paths = (i) => {
    const m = leafletMaps()[i];
    return m ? m.querySelectorAll("path.leaflet-interactive") : null;
  };
  const drawn = (i, fresh) => {
    const ps = paths(i);
    if (!ps || ps.length < cfg.n) return false;
    if (fresh) for (const p of ps) if (p.__hsOld) return false;
    return true;
  };
  const titleVisible = () => [...document.querySelectorAll("h1")].some((h) => {
    const r = h.getBoundingClientRect();
    return h.textContent.includes(cfg.title) && r.width > 0 && r.height > 0;
  });
  const legend = () => [...document.querySelectorAll(".hs-legend")]
    .map((e) => e.textContent).join("|");
  const scriptState = () => {
    const a = document.querySelector('[data-testid="stApp"]');
    return a ? a.getAttribute("data-test-script-state") : null;
  };
  const first = (o, k, cond, t) => { if (o[k] === undefined && cond()) o[k] = t; };

  const tick = () => {
    const t = now(), m = S.marks, c = S.change;
    const st = scriptState();
    if (!S.state.length || S.state[S.state.length - 1][1] !== st) S.state.push([t, st]);
    first(m, "title", titleVisible, t);
    if (cfg.n) {
      first(m, "map0", () => drawn(0, false), t);
      first(m, "map1", () => drawn(1, false), t);
    }
    if (c) {
      first(c, "legend", () => legend() !== c.legendBefore, t);
      first(c, "map0", () => drawn(0, true), t);
      first(c, "map1Gone", () => !drawn(1, false), t);
      if (c.map1Gone !== undefined) first(c, "map1Back", () => drawn(1, false), t);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  S.lastMsg = () => (S.ws.length ? S.ws[S.ws.length - 1][0] : 0);
  S.settled = (quietMs) => scriptState() === "notRunning" && now() - S.lastMsg() > quietMs;
  S.drawnAll = () => {
    const n = leafletMaps().length;
    for (let i = 0; i < n; i++) if (!drawn(i, false)) return false;
    return true;
  };
  S.arm = () => {
    for (const f of document.querySelectorAll(cfg.iframe)) {
      const d = f.contentDocument;
      if (d) for (const p of d.querySelectorAll("path.leaflet-interactive")) p.__hsOld = true;
    }
    S.change = {armed: now(), legendBefore: legend(), ws0: S.ws.length, keys0: S.keys.length,
                state0: S.state.length};
  };
  S.changeDone = () => {
    const c = S.change;
    return c.map0 !== undefined && drawn(1, false)
      && (c.map1Gone === undefined || c.map1Back !== undefined);
  };
})();
"""

# Server-side work in a fresh process (cold imports, like the first script run).
IN_PROCESS = r"""
import json, logging, pickle, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
import streamlit  # imported by the server before the first script run: not timed
logging.disable(logging.WARNING)
out = {}
def lap(name, t0):
    out[name] = time.perf_counter() - t0
    return time.perf_counter()
t = time.perf_counter()
from hotspots import maps
from hotspots import pipeline
from hotspots.maps import statmaps as statmaps
from hotspots.pipeline import uploads as uploads
from hotspots.pipeline import measures
from hotspots.pipeline.analysis import StatsParams
from hotspots.maps.classify import SCHEMES
from streamlit_folium import st_folium
from ui import mapview
t = lap("imports (hotspots, folium, esda, streamlit_folium)", t)
pack = pipeline.load_pack(sys.argv[2] or None)
_ = pack.web_areas, pack.boroughs_web
t = lap("pack load + web layers", t)
from hotspots.maps.assets import write_static_geometry
geo = maps.StaticGeometry(write_static_geometry(sys.argv[1], "wards",
                          maps.ward_geometry_json(pack.web_areas)), maps.GEOMETRY_PROPERTIES)
lines = maps.StaticGeometry(write_static_geometry(sys.argv[1], "boroughs",
                            maps.outline_geometry_json(pack.boroughs_web)))
t = lap("static geometry files (once per pack and server)", t)
m = pack.months
scheme = next(iter(SCHEMES))
def table(measure):
    return pipeline.ward_table(pack, pipeline.Selection(measure, m[-min(12, len(m))], m[-1]))
burglary = next(k for k, v in pipeline.measure_options(pack).items() if "urglary" in v)
def measure_map(wt):
    return maps.measure_panel(
        pack.web_areas, wt.frame, title=f"{wt.label}, {wt.period_label}",
        value_label="Crimes", integer=True, sensitive=wt.is_sensitive, threshold=5,
        scheme=scheme, k=5, bins=None, synthetic=wt.is_synthetic, basemap="none",
        borough_outlines=pack.boroughs_web, palette_name="YlOrRd", borough_labels=True,
        geometry=geo, outline_geometry=lines)
def show(panel, key):
    st_folium(panel.map, key=key, returned_objects=[], use_container_width=True, height=470)
wt = table("crime:all")
t = lap("ward_table (all offences, 12 months)", t)
mp = measure_map(wt)
t = lap("measure map build", t)
ip = maps.imd_panel(pack.web_areas, pack.imd, scheme=scheme, k=5,
                    reference=str(pack.meta.imd_reference), basemap="none",
                    borough_outlines=pack.boroughs_web, palette_name="Blues",
                    borough_labels=True, geometry=geo, outline_geometry=lines)
t = lap("IMD map build", t)
mp, ip = pickle.loads(pickle.dumps(mp)), pickle.loads(pickle.dumps(ip))
t = lap("st.cache_data copies of both maps (pickle)", t)
mapview.render_map(maps.synced_pair(mp.map, ip.map))
t = lap("render the synced measure/IMD pair (cached after)", t)
from ui import sidebar  # the page's default statistics (imports streamlit only)
stats = getattr(sidebar, "PAGE_STATS_DEFAULT", StatsParams())
t = time.perf_counter()
a = measures.analyse_for(pack, wt.selection, stats)
t = lap(f"hotspot statistics ({stats.permutations:,} permutations)", t)
args = {"params": a.params, "value_label": "Crimes", "synthetic": False, "sensitive": False,
        "basemap": "none", "borough_outlines": pack.boroughs_web, "borough_labels": False}
show(statmaps.gi_map(pack.web_areas, a.table, **args), "hs_gi_map")
show(statmaps.lisa_map(pack.web_areas, a.table, **args), "hs_lisa_map")
t = lap("Gi* + LISA maps build + st_folium (uncached)", t)
show(measure_map(table(burglary)), "measure_map")
t = lap("measure change: ward_table + map build + st_folium", t)
print(json.dumps(out))
"""


# --------------------------------------------------------------------------- processes

#: Pid of the server's process group leader (``scripts/start.sh`` or streamlit), for CPU.
SERVER_PID: list[int] = []


def _proc_table() -> tuple[dict[int, list[int]], dict[int, tuple[str, float]]]:
    """Children of every process, and each process's (name, CPU seconds), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[str, float]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            text = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        rest = text[text.rindex(")") + 2:].split()
        children.setdefault(int(rest[1]), []).append(int(d))
        info[int(d)] = (name, (int(rest[11]) + int(rest[12])) / tick)
    return children, info


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) used so far by this run's browser and server processes.

    Browser: every Chromium process below this one (browser, GPU, renderers of the
    page and of its component frames); server: the process tree of :data:`SERVER_PID`.
    A difference of two calls is the CPU a step cost, whatever the machine's load.
    """
    children, info = _proc_table()

    def tree(root: int, keep: Callable[[str], bool] = lambda _: True) -> float:
        total, stack = 0.0, [root]
        while stack:
            p = stack.pop()
            name, cpu = info.get(p, ("", 0.0))
            total += cpu if keep(name) else 0.0
            stack += children.get(p, [])
        return total

    browser = tree(os.getpid(), lambda n: "chrom" in n.lower() or "headless" in n.lower())
    server = tree(SERVER_PID[-1]) if SERVER_PID else 0.0
    return {"browser": browser, "server": server}


def _cpu_since(c0: dict[str, float]) -> dict[str, float]:
    c1 = cpu_seconds()
    return {k: round(c1[k] - c0[k], 3) for k in c1}



def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:  # noqa: S310
            return r.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


#: What ``scripts/start.sh`` prints once the server is up and (unless HOTSPOTS_WARMUP=0)
#: its warm-up run has finished: the moment a user is told to open the page.
READY_LINE = "Ready: open http://"


@contextlib.contextmanager
def streamlit_server(script: Path, cwd: Path, log_path: Path, *,
                     via_start_sh: bool = False,
                     warmup: bool = True) -> Iterator[tuple[str, float]]:
    """Start ``streamlit run script`` on 127.0.0.1; yield (url, seconds until ready).

    With ``via_start_sh`` the server is started the way users start it, through
    ``scripts/start.sh`` (its warm-up run included unless ``warmup`` is false), and
    it is ready when the script prints :data:`READY_LINE`; otherwise when healthy.
    """
    port = _free_port()
    url = f"http://{HOST}:{port}"
    opts = ["--server.address", HOST, "--server.headless", "true",
            "--browser.gatherUsageStats", "false"]
    env = dict(os.environ)
    if via_start_sh:
        cmd = ["bash", str(cwd / "scripts" / "start.sh"), *opts]
        env.update(PORT=str(port), HOTSPOTS_WARMUP="1" if warmup else "0")
    else:
        cmd = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.port", str(port), *opts]

    def ready() -> bool:
        if via_start_sh:  # without the warm-up, start.sh says Ready before the server is up
            return READY_LINE in log_path.read_text(errors="replace") and _healthy(url)
        return _healthy(url)

    with log_path.open("w") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env)
        SERVER_PID.append(proc.pid)
        try:
            deadline = t0 + STARTUP_TIMEOUT_S
            while not ready():
                if proc.poll() is not None or time.perf_counter() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"streamlit did not become healthy ({script.name}):\n"
                                       f"{tail}")
                time.sleep(0.1)
            yield url, time.perf_counter() - t0
        finally:
            _stop(proc)


def _raise_on_sigterm() -> None:
    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


# --------------------------------------------------------------------------- page records


@dataclass
class Traffic:
    """What one browser context sent and received (recorded, never intercepted)."""

    requests: list[Any] = field(default_factory=list)
    ws_in: list[bytes] = field(default_factory=list)
    ws_out: int = 0

    def attach(self, context: Any, page: Any) -> None:
        context.on("requestfinished", self._request)
        page.on("websocket", self._websocket)

    def _request(self, request: Any) -> None:
        self.requests.append(request)

    def _websocket(self, ws: Any) -> None:
        ws.on("framereceived", self._received)
        ws.on("framesent", self._sent)

    def _received(self, payload: bytes | str) -> None:
        self.ws_in.append(payload if isinstance(payload, bytes) else payload.encode())

    def _sent(self, payload: bytes | str) -> None:
        self.ws_out += len(payload)

    def http_bytes(self) -> int:
        """Bytes on the wire for HTTP (headers + encoded body; memory-cache hits count 0)."""
        total = 0
        for r in self.requests:
            s = r.sizes()
            body = s["responseBodySize"]
            if body >= 0:
                total += body + s["responseHeadersSize"] + s["requestHeadersSize"]
        return total

    def ws_bytes(self, start: int = 0) -> int:
        return sum(len(p) for p in self.ws_in[start:]) + (self.ws_out if start == 0 else 0)


def map_payloads(frames: list[bytes]) -> list[dict[str, int]]:
    """Sizes of each st_folium element's arguments, in page order."""
    out = []
    decoder = json.JSONDecoder()
    for frame in frames:
        if COMPONENT.encode() not in frame:
            continue
        start = frame.find(b'{"script"')
        if start < 0:
            continue
        args, end = decoder.raw_decode(frame[start:].decode("latin-1"))
        out.append({"frame": len(frame), "json_args": end,
                    "deflated": len(zlib.compress(frame, 6)),
                    "script": len(args.get("script") or ""),
                    "html": len(args.get("html") or ""),
                    "header": len(args.get("header") or "")})
    return out


@dataclass
class Visit:
    """A page opened in a new browser context, with what it recorded."""

    context: Any
    page: Any
    traffic: Traffic
    errors: list[str]
    cpu: dict[str, float] = field(default_factory=dict)

    def state(self) -> dict[str, Any]:
        return dict(self.page.evaluate(
            "() => ({marks: __hs.marks, ws: __hs.ws, wsOpen: __hs.wsOpen, keys: __hs.keys,"
            " state: __hs.state, change: __hs.change, long: __hs.long})"))

    def wait(self, condition: str, arg: Any = None) -> None:
        self.page.wait_for_function(condition, arg=arg, timeout=TIMEOUT_MS, polling=50)


def open_page(browser: Any, url: str, title: str, n_wards: int) -> Visit:
    """Open ``url`` in a new context; return once the page has settled."""
    context = browser.new_context(viewport=VIEWPORT)
    cfg = {"title": title, "n": n_wards, "iframe": MAP_IFRAME, "component": COMPONENT}
    context.add_init_script(script=INIT_JS.replace("__CFG__", json.dumps(cfg)))
    page = context.new_page()
    traffic, errors = Traffic(), []
    traffic.attach(context, page)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    visit = Visit(context, page, traffic, errors)
    c0 = cpu_seconds()
    try:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        marks = "__hs.marks.title !== undefined"
        if n_wards:
            marks += " && __hs.marks.map0 !== undefined && __hs.marks.map1 !== undefined"
        visit.wait(f"() => window.__hs && {marks}")
        visit.wait("(q) => __hs.settled(q) && __hs.drawnAll()", QUIET_MS)
    except BaseException:
        context.close()
        raise
    visit.cpu = _cpu_since(c0)  # navigation -> settled (quiet for QUIET_MS)
    return visit


def busy_s(long_tasks: list[list[float]], start_ms: float, end_ms: float) -> float:
    """Seconds of long tasks (main thread busy > 50 ms at a time) within [start, end]."""
    total = 0.0
    for t, d in long_tasks:
        total += max(0.0, min(t + d, end_ms) - max(t, start_ms))
    return total / 1000


def load_figures(visit: Visit, baseline: bool) -> dict[str, Any]:
    """Page-load figures (seconds from navigation start) and transfer."""
    s = visit.state()
    m = s["marks"]
    fig: dict[str, Any] = {"title": m["title"] / 1000, "ws_open": (s["wsOpen"] or 0) / 1000,
                           "http_bytes": visit.traffic.http_bytes(),
                           "ws_bytes": visit.traffic.ws_bytes()}
    fig["total_bytes"] = fig["http_bytes"] + fig["ws_bytes"]
    fig["cpu"] = dict(visit.cpu)
    fig["load_avg"] = os.getloadavg()
    done = [t for t, st in s["state"] if st == "notRunning"]
    fig["script_done"] = done[-1] / 1000 if done else float("nan")
    if baseline:
        return fig
    map_msgs = [t for t, _, is_map in s["ws"] if is_map]
    maps_ms = max(m["map0"], m["map1"])
    fig["maps"] = maps_ms / 1000
    fig["map_msg"] = (map_msgs[0] if map_msgs else float("nan")) / 1000  # the pair
    fig["browser_busy"] = busy_s(s["long"], map_msgs[0] if map_msgs else maps_ms, maps_ms)
    fig["payloads"] = map_payloads(visit.traffic.ws_in)
    return fig


# --------------------------------------------------------------------------- filter changes


def _pick_measure(page: Any, text: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _period_end_back(page: Any) -> None:
    thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has_text="Period").locator('input[type="range"]').nth(1)
    thumb.focus()
    page.keyboard.press("ArrowLeft")


CHANGES: tuple[tuple[str, Callable[[Any], None]], ...] = (
    ("measure -> Burglary", lambda page: _pick_measure(page, "Burglary")),
    ("measure -> all offences (cached)", lambda page: _pick_measure(page, "all offences")),
    ("period end -> one month back", _period_end_back),
)


def change_figures(visit: Visit, action: Callable[[Any], None]) -> dict[str, Any]:
    """Time one filter change on a settled page, from the last key press."""
    visit.page.evaluate("() => __hs.arm()")
    ws0 = len(visit.traffic.ws_in)
    c0 = cpu_seconds()
    action(visit.page)
    visit.wait("() => __hs.changeDone()")
    visit.wait("(q) => __hs.settled(q) && __hs.drawnAll()", QUIET_MS)
    cpu = _cpu_since(c0)
    s = visit.state()
    c = s["change"]
    key = s["keys"][-1] if len(s["keys"]) > c["keys0"] else c["armed"]
    msgs = s["ws"][c["ws0"]:]
    map_msgs = [t for t, _, is_map in msgs if is_map]
    done = [t for t, st in s["state"][c["state0"]:] if st == "notRunning"]
    redrawn = max(c["map0"], c.get("map1Back") or 0)

    def since(t: float | None) -> float:
        return (t - key) / 1000 if t is not None else float("nan")

    first_msg = msgs[0][0] if msgs else key
    return {
        "cpu": cpu, "load_avg": os.getloadavg(),
        "browser_busy": busy_s(s["long"], map_msgs[0] if map_msgs else first_msg, redrawn),
        "maps": since(redrawn),
        "first_msg": since(msgs[0][0] if msgs else None),
        "map_msg": since(map_msgs[0] if map_msgs else None),
        "legend": since(c.get("legend")),
        "script_done": since(done[-1] if done else None),
        "imd_redrawn": c.get("map1Back") is not None,
        "map_frames": len(map_msgs),
        "ws_bytes": visit.traffic.ws_bytes(ws0),
    }


# --------------------------------------------------------------------------- one repeat


def expected_wards() -> int:
    from hotspots.pipeline.meta import PackMeta  # the page's imports are timed elsewhere

    folder = Path(os.environ.get("HOTSPOTS_PACK") or ROOT / "data" / "demo")
    meta = PackMeta.from_json(json.loads((folder / "pack.json").read_text(encoding="utf-8")))
    layer = json.loads((folder / (meta.area_layer or "wards.geojson")).read_text("utf-8"))
    return len(layer["features"])


def run_baseline(browser: Any, app: Path, log: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with streamlit_server(app, app.parent, log) as (url, up):
        out["startup"] = up
        for name in ("cold", "warm"):
            visit = open_page(browser, url, BASE_TITLE, 0)
            try:
                out[name] = load_figures(visit, baseline=True)
                out[name]["ws_frames"] = [len(f) for f in visit.traffic.ws_in]
            finally:
                visit.context.close()
    return out


def run_ours(browser: Any, log: Path, n_wards: int, *, warmup: bool = True,
             root: Path = ROOT) -> dict[str, Any]:
    """Time the dashboard of the checkout at ``root`` (default: this one)."""
    out: dict[str, Any] = {}
    with streamlit_server(root / "dashboard.py", root, log, via_start_sh=True,
                          warmup=warmup) as (url, up):
        out["startup"] = up
        visit = open_page(browser, url, TITLE, n_wards)
        try:
            out["cold"] = load_figures(visit, baseline=False)
        finally:
            visit.context.close()
        visit = open_page(browser, url, TITLE, n_wards)
        try:
            out["warm"] = load_figures(visit, baseline=False)
            out["changes"] = {name: change_figures(visit, action) for name, action in CHANGES}
            out["errors"] = list(visit.errors)
        finally:
            visit.context.close()
    return out


def _commit(root: Path) -> str:
    """Return the short commit of a checkout (or the note a ``git archive`` copy carries)."""
    note = root / "COMMIT"
    if note.is_file():
        return note.read_text(encoding="utf-8").strip()
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                       text=True, check=False)
    return r.stdout.strip() or "unknown"


def in_process(repeats: int) -> dict[str, float]:
    """Median seconds of each server step, each repeat in a fresh process."""
    runs = []
    for _ in range(repeats):
        r = subprocess.run([sys.executable, "-c", IN_PROCESS, str(ROOT),
                            os.environ.get("HOTSPOTS_PACK", "")], cwd=ROOT,
                           capture_output=True, text=True, timeout=600, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"in-process timing failed:\n{r.stderr[-3000:]}")
        runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(run[k] for run in runs) for k in runs[0]}


# --------------------------------------------------------------------------- report


def _med(runs: list[dict[str, Any]], *path: str) -> float:
    values = []
    for run in runs:
        v: Any = run
        for p in path:
            v = v[p]
        values.append(float(v))
    return statistics.median(values)


def _dig(run: dict[str, Any], *path: str) -> Any:
    v: Any = run
    for p in path:
        v = v[p]
    return v


def _verdict(value: float, target: float) -> str:
    return "met" if value < target else "MISSED"


def report(base: list[dict[str, Any]], ours: list[dict[str, Any]],
           server: dict[str, float], *, where: bool = True) -> None:
    n = len(ours)
    print(f"\nMedians of {n} repeat(s); ratio = ours / baseline. Times from navigation start "
          "(loads) or from the key press (changes), measured in the page.\n")
    head = f"{'measurement':44} {'ours':>9} {'baseline':>9} {'ratio':>7} {'target':>8}  verdict"
    print(head)
    print("-" * len(head))

    def row(label: str, value: float, ref: float | None, target: float | None,
            unit: str = "s") -> None:
        if unit == "s":
            v, r = f"{value:8.2f}s", (f"{ref:8.2f}s" if ref is not None else "")
            t = f"< {target:.0f} s" if target is not None else ""
        else:
            v, r = f"{value / 1e3:7.0f}kB", (f"{ref / 1e3:7.0f}kB" if ref is not None else "")
            t = f"< {target / 1e6:.0f} MB" if target is not None else ""
        ratio = f"{value / ref:6.1f}x" if ref else ""
        verdict = _verdict(value, target) if target is not None else ""
        print(f"{label:44} {v:>9} {r:>9} {ratio:>7} {t:>8}  {verdict}")

    for state in ("cold", "warm"):
        b = _med(base, state, "title")
        row(f"{state}: navigation -> title visible", _med(ours, state, "title"), b,
            TARGET_PAINT_S)
        row(f"{state}: navigation -> both maps drawn", _med(ours, state, "maps"), b,
            TARGET_PAINT_S)
        row(f"{state}: navigation -> script finished", _med(ours, state, "script_done"),
            _med(base, state, "script_done"), None)
    bw = _med(base, "warm", "title")
    for name in ours[0]["changes"]:
        row(f"warm change: {name}", _med(ours, "changes", name, "maps"), bw, TARGET_CHANGE_S)
    n_maps = len(ours[0]["warm"]["payloads"])
    base_df = statistics.median(max(r["warm"]["ws_frames"]) for r in base)
    for i in range(n_maps):
        label = MAP_NAMES[i] if i < len(MAP_NAMES) else f"map {i}"
        per = MAPS_PER_ELEMENT[i] if i < len(MAPS_PER_ELEMENT) else 1
        row(f"payload: {label} st_folium json_args",
            _med([r["warm"]["payloads"][i] for r in ours], "json_args"), base_df,
            TARGET_PAYLOAD_B * per, unit="B")
    row("total page transfer (HTTP + websocket)", _med(ours, "warm", "total_bytes"),
        _med(base, "warm", "total_bytes"), None, unit="B")
    row("  of which websocket", _med(ours, "warm", "ws_bytes"), _med(base, "warm", "ws_bytes"),
        None, unit="B")
    print("\nCPU seconds (user + system, /proc) from navigation or key press until the page "
          "settled, browser (every Chromium process) | server (the dashboard's process tree); "
          "load average (1 min) at the end of each:")
    for label, path in (("cold load", ("cold",)), ("warm load", ("warm",)),
                        *((f"change: {n}", ("changes", n)) for n in ours[0]["changes"])):
        b = _med(ours, *path, "cpu", "browser")
        sv = _med(ours, *path, "cpu", "server")
        la = ", ".join(f"{_dig(r, *path)['load_avg'][0]:.1f}" for r in ours)
        print(f"  {label:44} browser {b:6.2f} | server {sv:6.2f}   load {la}")
    print(f"\nServer start -> ready: ours {_med(ours, 'startup'):.2f} s (scripts/start.sh, "
          f"until it prints 'Ready', its warm-up run included), baseline "
          f"{_med(base, 'startup'):.2f} s (healthy) (not in the figures above). Baselines: "
          "a change is compared with the baseline's warm navigation -> title, a map payload "
          "with its largest websocket message (the 700-row dataframe).")
    if where:
        _where(ours, server)


def _where(ours: list[dict[str, Any]], server: dict[str, float]) -> None:
    print("\nWhere the time goes (medians, seconds; 'busy' = main-thread long tasks, i.e. "
          "browser CPU for protobuf, React, the iframes' scripts and Leaflet):")
    for state in ("cold", "warm"):
        shell, msg, maps = (_med(ours, state, k) for k in ("ws_open", "map_msg", "maps"))
        print(f"  {state} load: page shell (HTML + JS bundle, websocket open) {shell:.2f}"
              f" | server script until both main map payloads arrived {msg - shell:.2f}"
              f" | browser, payload -> Leaflet paths in the DOM {maps - msg:.2f}"
              f" (busy {_med(ours, state, 'browser_busy'):.2f})")
    for name in ours[0]["changes"]:
        c = [r["changes"][name] for r in ours]
        first, msg, maps = (_med(c, k) for k in ("first_msg", "map_msg", "maps"))
        if msg == msg:  # a new measure-map payload came over the websocket
            middle = (f"server -> new map payload {msg - first:.2f} | browser -> drawn "
                      f"{maps - msg:.2f} (busy {_med(c, 'browser_busy'):.2f})")
        else:
            middle = (f"map not re-sent (Streamlit's message cache) | rerun + browser -> drawn "
                      f"{maps - first:.2f} (busy {_med(c, 'browser_busy'):.2f})")
        print(f"  {name}: key -> rerun started {first:.2f} | {middle} | total {maps:.2f}; "
              f"legend text changed {_med(c, 'legend'):.2f}; script finished "
              f"{_med(c, 'script_done'):.2f}; {c[0]['map_frames']} map "
              f"payload(s) received, websocket {_med(c, 'ws_bytes') / 1e3:.0f} kB, "
              f"IMD map redrawn: {c[0]['imd_redrawn']}")
    p = ours[0]["warm"]["payloads"][0]
    print(f"  measure/IMD pair payload: Leaflet script (GeoJSON inline) "
          f"{p['script'] / 1e3:.0f} kB, "
          f"html {p['html'] / 1e3:.1f} kB, header {p['header'] / 1e3:.1f} kB; deflated "
          f"{p['deflated'] / 1e3:.0f} kB (websocket compression is off by default)")
    print("\nServer steps in a fresh process (medians; the first script run does all of "
          "them, a warm rerun only the uncached ones):")
    for k, v in server.items():
        print(f"  {k:56} {v:6.2f}")


def record_results(name: str, ours: list[dict[str, Any]], cond: dict[str, Any],
                   before: list[dict[str, Any]] | None = None) -> Path:
    """Write the load and change figures to ``bench/results/<name>.json`` (with conditions).

    With ``before`` (the same steps on another checkout, interleaved), each row also
    holds its wall median and CPU seconds.
    """
    from bench import results

    rows = []
    steps = [("cold load: both maps drawn", ("cold",), TARGET_PAINT_S),
             ("warm load: both maps drawn", ("warm",), TARGET_PAINT_S),
             *((f"change: {n}", ("changes", n), TARGET_CHANGE_S) for n in ours[0]["changes"])]
    for label, path, target in steps:
        wall = [float(_dig(r, *path)["maps"]) for r in ours]
        rows.append({
            "step": label, "wall min (s)": round(min(wall), 2),
            "wall median (s)": round(statistics.median(wall), 2),
            "browser CPU-s (median)": round(_med(ours, *path, "cpu", "browser"), 2),
            "server CPU-s (median)": round(_med(ours, *path, "cpu", "server"), 2),
            **({"before: wall median (s)": round(_med(before, *path, "maps"), 2),
                "before: browser CPU-s": round(_med(before, *path, "cpu", "browser"), 2),
                "before: server CPU-s": round(_med(before, *path, "cpu", "server"), 2)}
               if before else {}),
            "target (s)": target})
    notes = (f"pack {Path(str(cond['pack'])).name} ({cond['wards']} wards), "
             f"{'with' if cond['warmup'] else 'without'} the start script's warm-up run; "
             "cold = first browser visit after 'Ready'; CPU-s from /proc (browser: every "
             "Chromium process; server: the dashboard's process tree), navigation or key press "
             "until the page settled; wall times move with the load, CPU-s much less"
             + (f"; 'before' = commit {cond['before_commit']} in the same run, each round "
                "timing both in turn (order alternating)" if before else ""))
    data = {"conditions": results.conditions(
        len(ours), interleaved=True, load_before=[round(x, 2) for x in cond["load_avg_start"]],
        notes=notes), "rows": rows}
    return results.record(name, data)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--no-warmup", action="store_true",
                        help="start the dashboard with HOTSPOTS_WARMUP=0 (no warm-up run)")
    parser.add_argument("--record", metavar="NAME",
                        help="also write bench/results/NAME.json (python -m bench.results "
                             "puts it in the READMEs)")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="another checkout of the project (e.g. `git archive main | tar "
                             "-x -C DIR` with DIR/.venv linked): timed in the same run, "
                             "each round both in turn, order alternating")
    parser.add_argument("--pack", type=Path,
                        help="pack folder to open (default: the demo); sets HOTSPOTS_PACK")
    args = parser.parse_args()
    if args.pack is not None:
        os.environ["HOTSPOTS_PACK"] = str(args.pack.resolve())
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        sys.exit(f"Chromium not found at {CHROMIUM} (set HOTSPOTS_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    _raise_on_sigterm()
    conditions: dict[str, Any] = {
        "pack": os.environ.get("HOTSPOTS_PACK") or "demo", "repeats": args.repeats,
        "warmup": not args.no_warmup, "cpus": os.cpu_count(),
        "load_avg_start": os.getloadavg(), "started_utc": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    n_wards = expected_wards()
    conditions["wards"] = n_wards
    base: list[dict[str, Any]] = []
    ours: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    if args.before is not None:
        conditions["before"] = str(args.before.resolve())
        conditions["before_commit"] = _commit(args.before)
    with tempfile.TemporaryDirectory(prefix="page-speed-") as tmp:
        tmpdir = Path(tmp)
        app = tmpdir / "app" / "baseline.py"
        (app.parent / ".streamlit").mkdir(parents=True)
        shutil.copy(ROOT / ".streamlit" / "config.toml", app.parent / ".streamlit")
        app.write_text(BASELINE_APP, encoding="utf-8")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=CHROMIUM_ARGS)
            try:
                for i in range(args.repeats):
                    print(f"repeat {i + 1}/{args.repeats}: baseline", flush=True)
                    base.append(run_baseline(browser, app, tmpdir / f"baseline-{i}.log"))
                    turns = ["ours", "before"] if args.before is not None else ["ours"]
                    for who in (turns if i % 2 == 0 else turns[::-1]):
                        print(f"repeat {i + 1}/{args.repeats}: dashboard ({who})", flush=True)
                        (ours if who == "ours" else before).append(run_ours(
                            browser, tmpdir / f"dashboard-{who}-{i}.log", n_wards,
                            warmup=not args.no_warmup,
                            root=ROOT if who == "ours" else args.before.resolve()))
            finally:
                browser.close()
    print("server steps in a fresh process", flush=True)
    server = in_process(args.repeats)
    errors = sorted({e for r in ours for e in r["errors"]})
    if errors:
        print("page errors:", *errors, sep="\n  ")
    conditions["load_avg_end"] = os.getloadavg()
    print(f"Conditions: {json.dumps(conditions)}")
    report(base, ours, server)
    if before:
        print(f"\nBefore ({conditions['before_commit']}, same run, interleaved):")
        report(base, before, server, where=False)
    if args.record:
        record_results(args.record, ours, conditions, before or None)
    if args.json:
        args.json.write_text(json.dumps({"conditions": conditions, "baseline": base,
                                         "ours": ours, "before": before, "server": server},
                                        indent=1, default=str))


if __name__ == "__main__":
    main()
