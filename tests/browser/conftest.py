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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
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
T = TypeVar("T")
#: st_folium's iframe (one per map component).
MAP_IFRAME = 'iframe[title="ui.mapview.st_folium"]'
#: The accessibility table of a Streamlit data grid (what a screen reader gets).
GRID = 'table[role="grid"]'
#: Read a grid's accessibility table: ``rows`` (data rows, from ``aria-rowcount``),
#: ``headers`` and the ``cells`` of the rows drawn on screen (the grid draws only
#: what is visible).
GRID_JS = """t => ({
    rows: Number(t.getAttribute('aria-rowcount')) - 1,
    headers: [...t.querySelectorAll('thead th')].map(h => h.innerText.trim()),
    cells: [...t.querySelectorAll('tbody tr')].map(
        r => [...r.querySelectorAll('td')].map(c => c.innerText.trim())),
})"""


def free_port() -> int:
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


def offline_context(browser, **options):  # type: ignore[no-untyped-def]
    """Return a browser context that aborts (and records) every request not to this machine.

    ``options`` go to ``browser.new_context``; returns ``(context, blocked)``, where
    ``blocked`` lists the URLs refused, for the test to assert it is empty.
    """
    context = browser.new_context(**options)
    blocked: list[str] = []

    def guard(route):  # type: ignore[no-untyped-def]
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context, blocked


def keyed(key: str) -> str:
    """CSS selector of the element Streamlit draws for ``key=key`` (class ``st-key-<key>``).

    Tests find page elements by such names, never by their position on the page:
    which of several similar elements is drawn (or attached) first depends on timing.
    """
    return f".st-key-{key}"


def map_frame(key: str) -> str:
    """CSS selector of the st_folium iframe of the map drawn with ``show_rendered(key=key)``."""
    return f"{keyed(f'{key}_box')} {MAP_IFRAME}"


def settle(read: Callable[[], T], ok: Callable[[T], bool], timeout_s: float = 90.0,
           interval_s: float = 0.25) -> T:
    """Return ``read()`` once ``ok`` holds for it, or its last value at the deadline.

    For a value read right after an element appears: an early, partial render
    does not fail the test, and the caller still asserts on what is returned,
    so a wrong final value does.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = read()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


def read_grid(scope, key: str, ok: Callable[[dict], bool] = lambda g: True,  # type: ignore[no-untyped-def]
              timeout_s: float = 90.0) -> dict:
    """Wait for the data grid in the container keyed ``key``; return it as :data:`GRID_JS` reads it.

    Waits (up to ``timeout_s``) for the grid to attach, then until ``ok(grid)``
    holds; returns the last reading either way, for the caller to assert on.
    """
    table = scope.locator(f"{keyed(key)} {GRID}")
    table.wait_for(state="attached", timeout=timeout_s * 1000)
    return settle(lambda: table.evaluate(GRID_JS),
                  lambda g: bool(g["headers"]) and ok(g), timeout_s)


#: The app's script state (Streamlit sets it on the stApp element): idle is "notRunning".
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_idle(page, quiet_s: float = 1.5, timeout_s: float = 300.0) -> bool:  # type: ignore[no-untyped-def]
    """Wait until no script run has been going for ``quiet_s``; return False at the deadline.

    A button clicked while a run (e.g. one a map's returned value started) is still
    going can be superseded by that run's rerun, so a test clicks on a quiet page.
    """
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if not page.locator(IDLE).count():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return True
        time.sleep(0.1)
    return False


def column(grid: dict, header: str) -> list[str]:
    """The visible cells of a grid's column, found by its header."""
    i = grid["headers"].index(header)
    return [row[i] for row in grid["cells"] if len(row) > i]


@contextmanager
def serve_app(script: Path, log_name: str, *, port: int | None = None,
              extra_args: tuple[str, ...] = (),
              env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``streamlit run script`` on a free localhost port; yield its URL, then stop it.

    ``extra_args`` go to ``streamlit run`` (e.g. ``--secrets.files``), ``env`` is
    added to the server's environment.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / log_name).open("w")
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false", *extra_args,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, **(env or {})})
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

