"""Team server, uploads: repeated uploads in one session, and a server killed mid-upload.

Run by hand (never in the test suite), from the project folder::

    .venv/bin/python bench/upload_repeat.py --part repeat --times 10 [--windows same|shifted]
    .venv/bin/python bench/upload_repeat.py --part kill

Both parts start ``streamlit run dashboard.py`` as ``bench/team_load.py`` does and
upload as a browser does, without one: the session asks for upload URLs over the
websocket (``file_urls_request``), PUTs the file to ``/_stcore/upload_file/...``
(with the XSRF cookie and header), then reruns the page with the file uploader's
state (``ui/wire.py``). The file: a police.uk archive zip of 12 months of City of
London street crime (``../shared/data``, zipped in a temporary folder).

(repeat) One light session picks "Your own files" and uploads the zip ``--times``
    times, removing the previous file first (its delete URL), as an analyst replacing
    a file does. ``same``: the same 12 months every time (the page's upload cache
    answers after the first); ``shifted``: a window two months later each time (a
    new pack every time, so the session cache's eviction is what bounds memory).
    Reported: server RSS (process tree) before the first upload and ``--settle``
    seconds after each run finished, each run's seconds, errors. Target: RSS does
    not grow with the number of uploads beyond one upload's worth.
(kill) Starts an upload (36 months, stored uncompressed: a 5.7 MB body) that trickles
    in (``--chunk`` bytes every 0.1 s), SIGKILLs the server's process group half-way,
    restarts it on the same port, and checks the health endpoint, that one light
    session runs the page without an error, and that no file appeared in the
    temporary folder or the project folder meanwhile
    (Streamlit keeps uploads in memory; starlette spools a large form part to an
    unnamed temporary file, listed from ``/proc/<pid>/fd`` before the kill).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import team_load  # noqa: E402 - the load benchmark's server and memory helpers

from ui import wire  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "police_uk_city_of_london_2017-12_to_2020-11"


def make_zip(folder: Path, start: int, months: int = 12, stored: bool = False) -> Path:
    """Zip ``months`` monthly street files from the ``start``-th month, as police.uk does."""
    dirs = sorted(d for d in DATA.iterdir() if d.is_dir())[start:start + months]
    out = folder / f"{dirs[0].name}_to_{dirs[-1].name}-city-of-london.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for d in dirs:
            for f in sorted(d.glob("*-street.csv")):
                z.write(f, f"{d.name}/{f.name}")
    return out


def xsrf_cookie(base: str) -> str:
    """Return the ``_streamlit_xsrf`` cookie value the health endpoint sets."""
    with urllib.request.urlopen(f"http://{base}/_stcore/health", timeout=10) as r:
        for h in r.headers.get_all("Set-Cookie") or []:
            if h.startswith("_streamlit_xsrf="):
                return h.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit("no XSRF cookie from the health endpoint")


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/zip\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def http_send(base: str, method: str, path: str, cookie: str, body: bytes = b"",
              boundary: str = "", chunk: int = 0, stop: threading.Event | None = None) -> int:
    """Send one upload request (trickled in ``chunk``-byte pieces when given); return status."""
    conn = http.client.HTTPConnection(base, timeout=120)
    conn.putrequest(method, path)
    conn.putheader("Cookie", f"_streamlit_xsrf={cookie}")
    conn.putheader("X-Xsrftoken", cookie)
    if boundary:
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    try:
        step = chunk or len(body) or 1
        for i in range(0, len(body), step):
            if stop is not None and stop.is_set():
                return -1
            conn.send(body[i:i + step])
            if chunk:
                time.sleep(0.1)
        return conn.getresponse().status
    finally:
        conn.close()


class Session:
    """One light websocket session that can pick a radio option and upload files."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.sid = ""
        self.widgets: dict[str, str] = {}  # key suffix -> widget id
        self.options: dict[str, tuple[str, ...]] = {}
        self.texts: list[str] = []

    async def run(self, payload: bytes) -> tuple[float, list[str]]:
        t0 = time.monotonic()
        await self.ws.send(payload)
        problems: list[str] = []
        self.texts = []
        while True:
            ev = wire.read(await asyncio.wait_for(self.ws.recv(), 600))
            self._note(ev)
            if ev.problem:
                problems.append(ev.problem)
            if ev.finished:
                return time.monotonic() - t0, problems

    async def file_urls(self, name: str) -> tuple[str, str, str]:
        await self.ws.send(wire.file_urls_request(uuid.uuid4().hex, self.sid, [name]))
        while True:
            ev = wire.read(await asyncio.wait_for(self.ws.recv(), 60))
            self._note(ev)
            if ev.file_urls:
                return ev.file_urls[0]

    def _note(self, ev: wire.Event) -> None:
        self.sid = ev.session_id or self.sid
        if ev.text:
            self.texts.append(ev.text)
        for w in (ev.radio, ev.uploader, ev.selectbox):
            if w is not None:
                suffix = w[0].rsplit("-", 1)[-1]
                self.widgets[suffix], self.options[suffix] = w[0], w[1]


async def repeat(base: str, pid: int, zips: list[Path], settle: float,
                 cookie: str) -> dict[str, Any]:
    import websockets

    rows: list[dict[str, Any]] = []
    async with websockets.connect(f"ws://{base}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=60, ping_interval=None) as ws:
        s = Session(ws)
        await s.run(wire.rerun())
        pick = {s.widgets["data_source"]: next(o for o in s.options["data_source"]
                                               if o.startswith("Your own files"))}
        await s.run(wire.rerun(strings=pick))
        uploader = s.widgets["up_police_uk"]
        time.sleep(settle)
        before = team_load._tree_rss_mb(pid)
        print(f"before the first upload: {before:.0f} MB", flush=True)
        previous: str | None = None
        for i, z in enumerate(zips, 1):
            if previous:
                http_send(base, "DELETE", previous, cookie)
            file_id, upload_url, delete_url = await s.file_urls(z.name)
            data = z.read_bytes()
            body, boundary = _multipart(z.name, data)
            status = http_send(base, "PUT", upload_url, cookie, body, boundary)
            seconds, problems = await s.run(wire.rerun(
                strings=pick, files={uploader: [(file_id, z.name, len(data))]}))
            previous = delete_url
            time.sleep(settle)
            rss = team_load._tree_rss_mb(pid)
            rows.append({"upload": i, "file": z.name, "put_status": status,
                         "run_s": round(seconds, 1), "rss_mb": round(rss, 1),
                         "placed": next((t[:60] for t in s.texts
                                         if t.startswith("police.uk: ")), None),
                         "problems": problems})
            print(json.dumps(rows[-1]), flush=True)
    return {"rss_before_mb": round(before, 1), "uploads": rows}


def _listing(folders: list[Path]) -> set[str]:
    """Files under the project folder, and the temporary folder's own entries."""
    tmp = Path(tempfile.gettempdir())
    out: set[str] = {str(e) for e in tmp.iterdir()} if tmp in folders else set()
    for f in (x for x in folders if x != tmp):
        for dirpath, dirnames, filenames in os.walk(f):
            dirnames[:] = [d for d in dirnames if d not in {".git", ".venv", "__pycache__"}]
            out.update(os.path.join(dirpath, n) for n in filenames)
    return out


def kill_mid_upload(port: int, tmp: Path, z: Path, chunk: int) -> dict[str, Any]:
    import websockets

    base = f"127.0.0.1:{port}"
    env = {"HOTSPOTS_TEAM_CONFIG": str(tmp / "team.toml")}
    watched = [Path(tempfile.gettempdir()), ROOT]
    out: dict[str, Any] = {}
    with team_load.dashboard(port, env, tmp / "server1.log") as proc:
        cookie = xsrf_cookie(base)
        files_before = _listing(watched)

        async def start() -> tuple[str, Any]:
            ws = await websockets.connect(f"ws://{base}/_stcore/stream",
                                          subprotocols=["streamlit"], max_size=None,
                                          open_timeout=60, ping_interval=None)
            s = Session(ws)
            await s.run(wire.rerun())
            return (await s.file_urls(z.name))[1], ws

        loop = asyncio.new_event_loop()
        upload_url, ws = loop.run_until_complete(start())
        body, boundary = _multipart(z.name, z.read_bytes())
        result: dict[str, Any] = {}

        def send() -> None:
            try:
                result["status"] = http_send(base, "PUT", upload_url, cookie, body, boundary,
                                             chunk=chunk)
            except OSError as e:
                result["status"] = f"{type(e).__name__}"

        t = threading.Thread(target=send, daemon=True)
        t.start()
        time.sleep(0.1 * (len(body) // chunk) / 2)  # half the body sent
        fds = []
        for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
            with_target = os.readlink(fd) if fd.is_symlink() else ""
            if ("tmp" in with_target or "(deleted)" in with_target) and str(tmp) not in with_target:
                fds.append(with_target)
        out["server_temp_fds_mid_upload"] = fds
        out["body_bytes"], out["killed_after_s"] = len(body), round(0.1 * (len(body) // chunk)
                                                                    / 2, 1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        t.join(timeout=10)
        out["client_saw"] = result.get("status")
        with __import__("contextlib").suppress(Exception):
            loop.run_until_complete(ws.close())
        loop.close()
    files_after_kill = _listing(watched)
    with team_load.dashboard(port, env, tmp / "server2.log") as proc2:
        with urllib.request.urlopen(f"http://{base}/_stcore/health", timeout=10) as r:
            out["health_after_restart"] = r.status
        rec = team_load.Light()
        asyncio.run(team_load.light_session(base, time.monotonic(), 0, 1, rec, seed=0))
        out["light_session_after_restart"] = {"first_run_s": rec.first_run_s and
                                              round(rec.first_run_s, 1), "held": rec.held,
                                              "errors": rec.errors}
        out["server_pid_changed"] = proc2.pid != proc.pid
    log = (tmp / "server2.log").read_text(errors="replace")
    out["restart_log_errors"] = [x for x in log.splitlines() if "Traceback" in x or "ERROR" in x]
    new = sorted((files_after_kill - files_before) - {str(tmp / "server1.log")})
    out["new_files_after_kill"] = [f for f in new if not f.startswith(str(tmp))][:20]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["repeat", "kill"], default="repeat")
    ap.add_argument("--times", type=int, default=10)
    ap.add_argument("--windows", choices=["same", "shifted"], default="same")
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds after a run before its RSS sample")
    ap.add_argument("--chunk", type=int, default=65_536,
                    help="(kill) bytes sent every 0.1 s")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="upload-repeat-"))
    (tmp / "team.toml").write_text(f'[audit]\nlog = "{tmp / "audit.jsonl"}"\n')
    port = team_load._free_port()
    conditions = {"part": a.part, "load_average": os.getloadavg(), "cpus": os.cpu_count(),
                  "uptime": subprocess.run(["uptime"], capture_output=True,
                                           text=True).stdout.strip()}
    if a.part == "repeat":
        starts = [0] * a.times if a.windows == "same" else [2 * i for i in range(a.times)]
        zips = {s: make_zip(tmp, s) for s in sorted(set(starts))}
        conditions.update(times=a.times, windows=a.windows, settle_s=a.settle,
                          zip_mb=round(zips[0].stat().st_size / 1e6, 2))
        base = f"127.0.0.1:{port}"
        with team_load.dashboard(port, {"HOTSPOTS_TEAM_CONFIG": str(tmp / "team.toml")},
                                 tmp / "server.log") as proc:
            res = asyncio.run(repeat(base, proc.pid, [zips[s] for s in starts], a.settle,
                                     xsrf_cookie(base)))
        rss = [r["rss_mb"] for r in res["uploads"]]
        res["rss_growth_after_first_mb"] = round(max(rss) - rss[0], 1)
        res["rss_last_minus_first_mb"] = round(rss[-1] - rss[0], 1)
        res["first_upload_cost_mb"] = round(rss[0] - res["rss_before_mb"], 1)
    else:
        z = make_zip(tmp, 0, months=36, stored=True)  # over starlette's 1 MB in-memory part
        conditions.update(zip_mb=round(z.stat().st_size / 1e6, 2), chunk_bytes_per_0_1_s=a.chunk)
        res = kill_mid_upload(port, tmp, z, a.chunk)
    result = {"conditions": conditions, **res}
    print(json.dumps(result, indent=2, default=str))
    if a.json:
        a.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
