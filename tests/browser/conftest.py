"""Browser fixtures: a real ``streamlit run dashboard.py`` server and headless Chromium.

The server binds to 127.0.0.1 on a free port and is torn down after the session.
Chromium is the system one (``/usr/bin/chromium`` or ``$HOTSPOTS_CHROMIUM``): no
browser is ever downloaded. Without it the tests skip with the reason, except
under CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("HOTSPOTS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:  # noqa: S310
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Path of the system Chromium (skip, or fail under CI, when absent)."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"Chromium not found at {CHROMIUM} (set HOTSPOTS_CHROMIUM or apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; browser tests must run in CI")
    pytest.skip(reason)


def is_local(url: str) -> bool:
    """True for a request that stays on this machine (127.0.0.1, localhost, data:, blob:)."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname in {"127.0.0.1", "localhost"}


@contextmanager
def serve_app(script: Path, log_name: str) -> Iterator[str]:
    """Run ``streamlit run script`` on a free localhost port; yield its URL, then stop it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / log_name).open("w")
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {STARTUP_TIMEOUT_S:.0f} s; "
                            f"see {log.name}")
            time.sleep(0.25)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="session")
def server(chromium_path: Path) -> Iterator[str]:
    """Start ``streamlit run dashboard.py`` on a free localhost port; yield its URL.

    Depends on ``chromium_path`` so that no server starts when the browser tests skip.
    """
    with serve_app(ROOT / "dashboard.py", "streamlit-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium_path: Path):  # type: ignore[no-untyped-def]
    """A headless system Chromium driven by Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), headless=True,
                              args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()

