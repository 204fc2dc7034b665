"""The team server's login end to end, offline: a local OpenID Connect provider and Chromium.

The suite starts ``oidc-provider-mock`` (a real OIDC provider: discovery, authorize,
token, userinfo, end-session) on localhost, writes a ``secrets.toml`` with an
``[auth]`` section naming it and a ``team.toml`` allowing one e-mail domain, and
serves the page's gate (``tests/apps/login_harness.py``: the same calls as the top of
``dashboard.py``) with them. Headless Chromium signs in as an allowed user (sees
the page and who is signed in), signs out (sees only the sign-in button again),
and signs in as a user outside the allow-list (refused, nothing of the page).
"""

from __future__ import annotations

import secrets

import pytest

from tests.browser.conftest import ROOT, free_port, keyed, serve_app

pytestmark = pytest.mark.browser

oidc = pytest.importorskip("oidc_provider_mock")

ALLOWED = "ann.analyst@council.gov.uk"
REFUSED = "eve@elsewhere.example"


@pytest.fixture(scope="module")
def login_server(chromium_path, tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("login")
    with oidc.run_server_in_thread(port=free_port()) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        port = free_port()
        (folder / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "hotspots-test"\n'
            'client_secret = "not-a-real-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8")
        (folder / "team.toml").write_text(
            '[access]\nallowed_domains = ["council.gov.uk"]\n'
            f'[audit]\nlog = "{folder / "audit.jsonl"}"\n', encoding="utf-8")
        with serve_app(ROOT / "tests" / "apps" / "login_harness.py", "streamlit-login.log",
                       port=port,
                       extra_args=("--secrets.files", str(folder / "secrets.toml")),
                       env={"HOTSPOTS_TEAM_CONFIG": str(folder / "team.toml")}) as url:
            yield url.replace("127.0.0.1", "localhost")


def _sign_in(page, url: str, who: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.locator(f"{keyed('hs_login')} button").click(timeout=60_000)
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.fill('input[name="sub"]', who)
    page.click('button[type="submit"]:has-text("Authorize")')
    page.wait_for_url(f"{url}/**", timeout=30_000)


def test_sign_in_allow_list_and_sign_out(login_server, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(login_server)
        page.locator(f"{keyed('hs_login')} button").wait_for(timeout=60_000)
        assert page.locator(keyed("hs_page_body")).count() == 0  # nothing before sign-in

        _sign_in(page, login_server, ALLOWED)
        body = page.locator(keyed("hs_page_body"))
        body.wait_for(timeout=60_000)
        assert "user known: True" in body.inner_text()
        who = page.locator(keyed("hs_user"))
        assert ALLOWED in who.inner_text()

        page.locator(f"{keyed('hs_logout')} button").click()
        # Streamlit ends the provider's session too (OIDC RP-initiated logout).
        page.wait_for_url("**/oauth2/end_session**", timeout=30_000)
        page.click('button[type="submit"]:has-text("End session")')
        page.locator(f"{keyed('hs_login')} button").wait_for(timeout=60_000)
        assert page.locator(keyed("hs_page_body")).count() == 0
        assert page.locator(keyed("hs_user")).count() == 0

        _sign_in(page, login_server, REFUSED)
        page.locator(f"{keyed('hs_logout_refused')} button").wait_for(timeout=60_000)
        text = page.locator('[data-testid="stAlert"]').inner_text()
        assert REFUSED in text and "not on this server's list of allowed users" in text
        assert page.locator(keyed("hs_page_body")).count() == 0
    finally:
        context.close()

