"""Serving safely: allowed hosts, no traceback to a user, no serving beyond loopback without login.

The rebinding probe talks to a real ``streamlit run`` server (a one-line page, the
project's ``.streamlit/config.toml``) through its websocket with a foreign
``Host`` (a DNS-rebinding page) or ``Origin`` header; both are refused, and the
same client with this computer's names is served.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests.browser.conftest import serve_app
from ui import errors

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "tests" / "apps"


async def _probe(port: int, host: str, origin: str) -> tuple[str, int]:
    """Open the page's websocket with these headers; return ('accepted', messages) or refusal."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    try:
        async with websockets.connect(f"ws://{host}/_stcore/stream", host="127.0.0.1",
                                      port=port, subprotocols=["streamlit"], origin=origin,
                                      open_timeout=20) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = ""
            msg.rerun_script.page_script_hash = ""
            await ws.send(msg.SerializeToString())
            n = 0
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await asyncio.wait_for(ws.recv(), 30))
                n += 1
                if fwd.WhichOneof("type") == "script_finished":
                    return "accepted", n
    except websockets.exceptions.InvalidStatus as e:
        return "refused", e.response.status_code


def probe(port: int, host: str, origin: str) -> tuple[str, int]:
    """Run :func:`_probe` in its own thread (Playwright's sync API may own this thread's loop)."""
    with ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, _probe(port, host, origin)).result()


@pytest.fixture(scope="module")
def hello_port():
    with serve_app(APPS / "hello_harness.py", "streamlit-serving.log") as url:
        yield int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("host, origin", [
    ("evil.example:{port}", "http://evil.example:{port}"),  # DNS rebinding: both foreign
    ("evil.example", "http://127.0.0.1:{port}"),
    ("127.0.0.1:{port}", "http://evil.example"),  # a foreign page's script
], ids=["rebinding", "foreign-host", "foreign-origin"])
def test_a_websocket_with_a_foreign_host_or_origin_is_refused(hello_port, host, origin):
    result = probe(hello_port, host.format(port=hello_port), origin.format(port=hello_port))
    assert result == ("refused", 403)


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_this_computers_names_are_served(hello_port, name):
    kind, n = probe(hello_port, f"{name}:{hello_port}", f"http://{name}:{hello_port}")
    assert kind == "accepted" and n >= 2


def test_the_projects_server_settings():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["address"] == "127.0.0.1"
    assert set(cfg["server"]["allowedHosts"]) == {"localhost", "127.0.0.1"}
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["enableCORS"] is True
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["client"]["showErrorLinks"] is False
    assert cfg["browser"]["gatherUsageStats"] is False


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture()
def page_log():
    h = _Records()
    errors.LOG.addHandler(h)
    try:
        yield h.records
    finally:
        errors.LOG.removeHandler(h)


def test_an_unexpected_error_shows_a_reference_and_logs_the_traceback(page_log):
    at = AppTest.from_file(str(APPS / "error_harness.py"), default_timeout=60)
    at.run()
    at.button(key="break").click().run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    ref = re.search(r"reference \*\*(E-[0-9A-F]{8})\*\*", shown)
    assert ref, shown
    assert "/tmp" not in shown and "RuntimeError" not in shown and "Traceback" not in shown
    assert "after the guard" in [m.value for m in at.markdown]
    logged = [r for r in page_log if ref.group(1) in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "board-pack-abc123" in str(logged[0].exc_info[1])


def test_the_board_pack_button_never_shows_a_traceback(monkeypatch, page_log):
    import ui.report

    def broken(*_a, **_k):
        raise RuntimeError("/tmp/board-pack-q1w2e3/pack.pdf: disk full")

    monkeypatch.setattr(ui.report, "build_pack_bytes", broken)
    at = AppTest.from_file(str(APPS / "report_harness.py"), default_timeout=180)
    at.run()
    at.button(key="hs_report_build").click().run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error)
    assert "reference **E-" in shown and "/tmp" not in shown and "disk full" not in shown
    assert "hs_report_built" not in at.session_state
    assert any("Building the board pack" in r.getMessage() for r in page_log)


@pytest.fixture()
def listening_everywhere():
    old = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        yield
    finally:
        st_config.set_option("server.address", old)


def test_the_page_beyond_loopback_without_login_shows_only_how_to_fix_it(listening_everywhere):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    assert not at.exception
    shown = [e.value for e in at.error]
    assert len(shown) == 1 and "no login is configured" in shown[0]
    assert "[auth]" in shown[0] and "team.toml" in shown[0]
    assert not at.title and not at.sidebar.selectbox  # nothing of the data pack


def _root(tmp_path: Path, *, address: str = "127.0.0.1", hosts=("localhost", "127.0.0.1"),
          auth: bool = False) -> Path:
    (tmp_path / ".streamlit").mkdir(exist_ok=True)
    (tmp_path / ".streamlit" / "config.toml").write_text(
        f'[server]\naddress = "{address}"\nallowedHosts = {list(hosts)!r}\n'.replace("'", '"'))
    if auth:
        (tmp_path / ".streamlit" / "secrets.toml").write_text(
            '[auth]\nredirect_uri = "https://h/oauth2callback"\ncookie_secret = "s"\n'
            'client_id = "c"\nclient_secret = "x"\n'
            'server_metadata_url = "https://login.example/.well-known/openid-configuration"\n')
    return tmp_path


@pytest.mark.parametrize("argv, auth, refused", [
    ([], False, False),  # the laptop: 127.0.0.1 from config.toml
    (["--server.address", "0.0.0.0"], False, True),
    (["--server.address=0.0.0.0"], True, False),
    (["--server.allowedHosts", "hotspots.council.gov.uk"], False, True),  # behind a proxy
    (["--server.allowedHosts", "hotspots.council.gov.uk"], True, False),
], ids=["laptop", "all-interfaces", "all-interfaces-login", "proxy", "proxy-login"])
def test_the_team_server_does_not_start_reachable_without_login(tmp_path, argv, auth, refused):
    from ui.serving import check_before_start

    problem = check_before_start(argv, _root(tmp_path, auth=auth))
    assert (problem is not None) == refused
    if refused:
        assert "no login is configured" in problem and "[auth]" in problem


def test_serve_team_script_refuses_before_listening():
    import subprocess

    r = subprocess.run(["bash", str(ROOT / "scripts" / "serve_team.sh"), "--server.address",
                        "0.0.0.0", "--server.port", "1"], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 2 and "Not starting:" in r.stderr and "[auth]" in r.stderr
