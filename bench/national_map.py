"""The national LSOA view in headless Chromium: first paint and bytes, all England and Wales.

Run by hand (never in the test suite)::

    .venv/bin/python -m bench.national_map [--rounds 3]

Starts ``streamlit run dashboard.py -- --national --store S`` (S: a store made in a
temporary folder from the shared police.uk months of the Welsh forces), warms the
server once (as ``scripts/start.sh`` does: the national table and the geometry file
are then in its caches; the geometry file itself is built once per computer and kept
in the user's cache), then, per round, opens the page in a **fresh** browser context
(empty HTTP cache) and measures:

* first paint: from the page's navigation start to the canvas's first drawing of all
  35,672 LSOAs (the frame stamps ``performance.timeOrigin + now()``);
* bytes over HTTP (encoded body sizes: the page, scripts, the geometry file) and the
  websocket messages the browser received (Streamlit's, decompressed: with
  ``enableWebsocketCompression`` the wire carries less);
* a change of measure (deprivation -> usual residents): websocket bytes until the map
  is redrawn, and the time; HTTP bytes then (0: the geometry is not fetched again);
* a reload in the same context (the browser's cache warm): first paint again and the
  geometry file's bytes (0 when cached).

Targets (issue 17): first paint < 3 s, payload < 10 MB. Conditions: load averages,
the server's CPU seconds and peak resident memory (``/proc``), the browser main
thread's task seconds (Chrome's ``Performance.getMetrics`` ``TaskDuration``).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import conditions, load_average, record, summary  # noqa: E402

SHARED = Path(os.environ.get("HOTSPOTS_SHARED_DATA", ROOT.parent / "shared" / "data"))
FRAME = '.st-key-national_map_box iframe[title="ui.national.national_map"]'
CHROMIUM = os.environ.get("HOTSPOTS_CHROMIUM", "/usr/bin/chromium")


def _proc(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and peak resident bytes of a process and its children."""
    cpu, peak = 0.0, 0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            hwm = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
            peak = max(peak, int(hwm[1]) * 1024 if hwm else 0)
        except OSError:
            continue
    return cpu, peak


def _serve(store: Path, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--",
           "--national", "--store", str(store)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start within 120 s")


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _wait_idle(page, quiet_s: float = 1.5, timeout_s: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until no script run has been going for ``quiet_s`` (a click then is not lost)."""
    deadline = time.monotonic() + timeout_s
    since = time.monotonic()
    while time.monotonic() < deadline:
        if not page.locator(IDLE).count():
            since = time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.1)


def _visit(context, url: str, *, change: bool) -> dict:  # type: ignore[no-untyped-def]
    page = context.new_page()
    http: list[tuple[str, int]] = []
    ws_bytes = [0]
    outside: list[str] = []

    def on_finished(req):  # type: ignore[no-untyped-def]
        try:
            http.append((req.url, max(0, int(req.sizes()["responseBodySize"]))))
        except Exception:  # noqa: BLE001 - a request without sizes (aborted)
            pass

    def on_ws(ws):  # type: ignore[no-untyped-def]
        ws.on("framereceived", lambda payload: ws_bytes.__setitem__(
            0, ws_bytes[0] + len(payload if isinstance(payload, bytes) else payload.encode())))

    page.on("requestfinished", on_finished)
    page.on("websocket", on_ws)
    page.on("request", lambda r: outside.append(r.url) if not re.match(
        r"(https?://(127\.0\.0\.1|localhost)[:/]|data:|blob:|about:)", r.url) else None)
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(url, wait_until="commit")
    origin = page.evaluate("performance.timeOrigin")
    frame = page.frame_locator(FRAME)
    canvas = frame.locator("canvas#map[data-drawn='35672']")
    canvas.wait_for(timeout=300_000)
    painted = float(frame.locator("body").get_attribute("data-first-paint"))
    out = {"first_paint_s": (painted - origin) / 1000,
           "http_bytes": sum(n for _, n in http),
           "geometry_bytes": sum(n for u, n in http if re.search(r"/lsoa-[0-9a-f]{16}\.bin$", u)),
           "map_http_bytes": sum(n for u, n in http if "/component/ui.national.national_map/" in u),
           "ws_bytes": ws_bytes[0]}
    if change:
        _wait_idle(page)
        before_http, before_ws = sum(n for _, n in http), ws_bytes[0]
        applied = canvas.get_attribute("data-applied")
        draws = canvas.get_attribute("data-draws")
        t0 = time.perf_counter()
        page.locator(".st-key-national_measure").get_by_text(
            "Usual residents (Census 2021)", exact=True).click()
        frame.locator(f"canvas#map:not([data-applied='{applied}'])").wait_for(timeout=120_000)
        frame.locator(f"canvas#map:not([data-draws='{draws}'])").wait_for(timeout=30_000)
        out["change_s"] = time.perf_counter() - t0
        out["change_ws_bytes"] = ws_bytes[0] - before_ws
        out["change_http_bytes"] = sum(n for _, n in http) - before_http
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    out["browser_task_s"] = metrics.get("TaskDuration", float("nan"))
    out["outside_requests"] = len(outside)
    out["page"] = page
    return out


def _show(page, frame, measure: str, legend_text: str, timeout_ms: int = 900_000  # type: ignore[no-untyped-def]
          ) -> float:
    """Click a measure; return the seconds until the map is redrawn and the legend says it."""
    _wait_idle(page)
    canvas = frame.locator("canvas#map")
    applied = canvas.get_attribute("data-applied")
    t0 = time.perf_counter()
    page.locator(".st-key-national_measure").get_by_text(measure, exact=False).click()
    frame.locator(f"canvas#map:not([data-applied='{applied}'])").wait_for(timeout=timeout_ms)
    page.locator(".st-key-national_legend", has_text=legend_text).wait_for(timeout=timeout_ms)
    return time.perf_counter() - t0


def _statistics(browser, url: str, server_pid: int, rounds: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Hot spots (Gi*, 999 permutations, FDR) for all England and Wales: cold, then cached."""
    out = []
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    got = _visit(ctx, url, change=False)
    page = got.pop("page")
    frame = page.frame_locator(FRAME)
    for r in range(rounds):
        load = load_average()
        cpu0, _ = _proc(server_pid)
        secs = _show(page, frame, "Hot spots and clusters", "Hot spot, 99% confidence")
        cpu1, peak = _proc(server_pid)
        kind = "cold (computed)" if r == 0 else "cached (same choice again)"
        out.append({"hot spots, all E&W (35,672 LSOAs, 999 permutations, FDR)": kind,
                    "wall s": round(secs, 2), "server CPU s": round(cpu1 - cpu0, 2),
                    "server peak RSS MiB": round(peak / 2**20), "load before": load[0]})
        print(f"hot spots {kind}: {secs:.1f} s, server CPU {cpu1 - cpu0:.1f} s", flush=True)
        _show(page, frame, "Deprivation (each nation", "decile")
    page.close()
    ctx.close()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--port", type=int, default=8731)
    ap.add_argument("--stats", type=int, default=0, metavar="N",
                    help="also time hot spots for all E&W: once cold, then N-1 times cached "
                         "(recorded as national_page_stats)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    load_before = load_average()
    tmp = Path(tempfile.mkdtemp(prefix="bench-national-"))
    store = tmp / "wales.duckdb"
    subprocess.run([sys.executable, "-m", "hotspots", "store", "add", "--store", str(store),
                    str(SHARED / "police_uk_wales_2024-01_to_2024-04")], cwd=ROOT, check=True,
                   capture_output=True)
    url = f"http://127.0.0.1:{args.port}"
    server = _serve(store, args.port)
    cold, warm = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            t0 = time.perf_counter()
            ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
            first = _visit(ctx, url, change=False)  # warm-up: fills the server's caches
            warmup_s = time.perf_counter() - t0
            first.pop("page").close()
            ctx.close()
            cpu0, _ = _proc(server.pid)
            for r in range(args.rounds):
                ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
                got = _visit(ctx, url, change=True)
                got.pop("page").close()
                cold.append(got)
                again = _visit(ctx, url, change=False)  # same context: HTTP cache warm
                again.pop("page").close()
                warm.append(again)
                ctx.close()
                print(f"round {r + 1}: first paint {got['first_paint_s']:.2f} s, "
                      f"{got['http_bytes'] + got['ws_bytes']:,} bytes; cached "
                      f"{again['first_paint_s']:.2f} s", flush=True)
            stat_rows = _statistics(browser, url, server.pid, args.stats) if args.stats else []
            browser.close()
        cpu1, peak = _proc(server.pid)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    def med(rows: list[dict], key: str) -> float:
        return summary([float(x[key]) for x in rows])["median"]

    def mn(rows: list[dict], key: str) -> float:
        return summary([float(x[key]) for x in rows])["min"]

    rows = [
        {"visit (all E&W, 35,672 LSOAs)": "first visit, empty browser cache",
         "first paint s (median)": med(cold, "first_paint_s"),
         "first paint s (min)": mn(cold, "first_paint_s"),
         "HTTP bytes (all, incl. Streamlit's own scripts)": int(med(cold, "http_bytes")),
         "map HTTP bytes (component + geometry)": int(med(cold, "map_http_bytes")),
         "of which geometry": int(med(cold, "geometry_bytes")),
         "websocket bytes (decompressed)": int(med(cold, "ws_bytes")),
         "payload MB": round((med(cold, "http_bytes") + med(cold, "ws_bytes")) / 1e6, 2),
         "browser task s": round(med(cold, "browser_task_s"), 2)},
        {"visit (all E&W, 35,672 LSOAs)": "reload, browser cache warm",
         "first paint s (median)": med(warm, "first_paint_s"),
         "first paint s (min)": mn(warm, "first_paint_s"),
         "HTTP bytes (all, incl. Streamlit's own scripts)": int(med(warm, "http_bytes")),
         "map HTTP bytes (component + geometry)": int(med(warm, "map_http_bytes")),
         "of which geometry": int(med(warm, "geometry_bytes")),
         "websocket bytes (decompressed)": int(med(warm, "ws_bytes")),
         "payload MB": round((med(warm, "http_bytes") + med(warm, "ws_bytes")) / 1e6, 2),
         "browser task s": round(med(warm, "browser_task_s"), 2)},
        {"visit (all E&W, 35,672 LSOAs)": "change of measure (to usual residents)",
         "first paint s (median)": med(cold, "change_s"),
         "first paint s (min)": mn(cold, "change_s"),
         "HTTP bytes (all, incl. Streamlit's own scripts)": int(med(cold, "change_http_bytes")),
         "map HTTP bytes (component + geometry)": 0,
         "of which geometry": 0,
         "websocket bytes (decompressed)": int(med(cold, "change_ws_bytes")),
         "payload MB": round((med(cold, "change_http_bytes") + med(cold, "change_ws_bytes"))
                             / 1e6, 2),
         "browser task s": ""},
    ]
    outside = sum(x["outside_requests"] for x in cold + warm)
    data = {
        "conditions": conditions(args.rounds, interleaved=True, load_before=load_before,
                                 notes=(
            "headless Debian Chromium 1500x1000, server warmed once (warm-up visit "
            f"{warmup_s:.1f} s incl. server caches); first paint = navigation start to the "
            "canvas's first drawing of every LSOA; the change row's 'first paint' is the "
            "time from the click to the redraw; server CPU over the rounds "
            f"{cpu1 - cpu0:.1f} s, server peak RSS {peak / 2**20:.0f} MiB; requests outside "
            f"localhost: {outside}")),
        "rows": rows,
        "targets": {"first_paint_s": 3.0, "payload_bytes": 10_000_000},
    }
    path = record("national_map", data)
    print(f"wrote {path}")
    if stat_rows:
        path = record("national_page_stats", {
            "conditions": conditions(len(stat_rows), interleaved=False,
                                     load_before=load_before, notes=(
                "the national page on a store of the three Welsh forces' 2024-01..04 "
                "police.uk months; 'Hot spots and clusters' clicked on all England and "
                "Wales (Gi* on recorded crime counts, queen weights, 999 permutations, seed "
                "12345, FDR 0.05; LISA and EB rates computed in the same run), wall = click "
                "to the map redrawn with the Gi* legend; then back to deprivation, and the "
                "same choice again (st.cache_data hit)")),
            "rows": stat_rows})
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
