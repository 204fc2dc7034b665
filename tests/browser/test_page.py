"""The real page in headless Chromium with every non-local request blocked.

Proves the maps draw with no internet: both st_folium maps show one Leaflet
path per ward, the legends are readable, and no request left the machine.
Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
WARD_PATH = "path.leaflet-interactive"
LOAD_TIMEOUT_MS = 90_000


def _expected_wards() -> int:
    folder = Path(os.environ.get("HOTSPOTS_PACK") or ROOT / "data" / "demo")
    meta = json.loads((folder / "pack.json").read_text(encoding="utf-8"))
    layer = json.loads((folder / meta.get("area_layer", "wards.geojson")).read_text("utf-8"))
    return len(layer["features"])


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname in {"127.0.0.1", "localhost"}


@pytest.fixture()
def offline_page(browser):  # type: ignore[no-untyped-def]
    """A page whose context aborts (and records) every request not to this machine."""
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    blocked: list[str] = []

    def guard(route):  # type: ignore[no-untyped-def]
        if _is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page, blocked, errors
    finally:
        context.close()


def _wait_for_maps(page, n_wards: int) -> list[int]:  # type: ignore[no-untyped-def]
    page.locator(MAP_IFRAME).nth(1).wait_for(state="attached", timeout=LOAD_TIMEOUT_MS)
    counts = []
    for i in range(2):
        frame = page.frame_locator(MAP_IFRAME).nth(i)
        frame.locator(WARD_PATH).nth(n_wards - 1).wait_for(state="attached",
                                                           timeout=LOAD_TIMEOUT_MS)
        counts.append(frame.locator(WARD_PATH).count())
    return counts


def test_maps_draw_offline(server, offline_page):  # type: ignore[no-untyped-def]
    page, blocked, errors = offline_page
    n_wards = _expected_wards()
    ARTIFACTS.mkdir(exist_ok=True)

    start = time.monotonic()
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Community safety hotspots").wait_for(
        timeout=LOAD_TIMEOUT_MS)
    first_paint = time.monotonic() - start
    counts = _wait_for_maps(page, n_wards)
    maps_drawn = time.monotonic() - start

    assert counts == [n_wards, n_wards]
    assert blocked == [], f"requests left the machine: {blocked[:5]}"
    for text in ("No data (25)", "IMD 2019 average score", "OFFICIAL",
                 "Wards with the highest values", "Spearman's rho"):
        assert page.get_by_text(text).first.is_visible(), text
    legend = page.locator(".hs-legend").first
    box = legend.bounding_box()
    assert box is not None and box["height"] > 60
    font_px = legend.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_px >= 13

    # The two map columns sit side by side without overlapping.
    iframes = page.locator(MAP_IFRAME)
    a, b = iframes.nth(0).bounding_box(), iframes.nth(1).bounding_box()
    assert a and b and a["x"] + a["width"] <= b["x"] and a["height"] >= 400

    # Hovering a ward shows its tooltip (ward, borough, value, rank).
    frame = page.frame_locator(MAP_IFRAME).nth(0)
    frame.locator(WARD_PATH).nth(n_wards // 2).hover(force=True)
    tip = frame.locator(".leaflet-tooltip")
    tip.wait_for(timeout=10_000)
    text = tip.inner_text()
    assert "Ward" in text and "Borough" in text and "Rank" in text
    iframes.nth(0).screenshot(path=str(ARTIFACTS / "map-measure-tooltip.png"))
    page.screenshot(path=str(ARTIFACTS / "page-top.png"))
    # Streamlit scrolls inside its own container: a tall window shows the whole page.
    page.set_viewport_size({"width": 1600, "height": 3200})
    page.get_by_text("Method and sources").wait_for()
    page.screenshot(path=str(ARTIFACTS / "page-full.png"))
    assert errors == [], errors
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(
        {"first_paint_s": round(first_paint, 2), "maps_drawn_s": round(maps_drawn, 2),
         "wards_per_map": counts}, indent=2))


def test_narrow_window_keeps_maps_apart(server, offline_page):  # type: ignore[no-untyped-def]
    page, blocked, _ = offline_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server, wait_until="domcontentloaded")
    counts = _wait_for_maps(page, _expected_wards())
    assert min(counts) > 0 and blocked == []
    iframes = page.locator(MAP_IFRAME)
    a, b = iframes.nth(0).bounding_box(), iframes.nth(1).bounding_box()
    assert a and b
    side_by_side = a["x"] + a["width"] <= b["x"]
    stacked = a["y"] + a["height"] <= b["y"]
    assert side_by_side or stacked
    page.screenshot(path=str(ARTIFACTS / "page-1280.png"), full_page=False)


def test_artifacts_folder_is_ignored():
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "/test-artifacts/" in ignore and Path(ARTIFACTS).name == "test-artifacts"


def test_referral_map_is_labelled_synthetic(server, offline_page):  # type: ignore[no-untyped-def]
    page, blocked, errors = offline_page
    page.goto(server, wait_until="domcontentloaded")
    _wait_for_maps(page, _expected_wards())
    measure = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    measure.click()
    page.keyboard.type("Referrals (SYNTHETIC)")  # first level; the type defaults to "All"
    page.keyboard.press("Enter")
    page.locator(".hs-synthetic").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    frame = page.frame_locator(MAP_IFRAME).nth(0)
    badge = frame.locator(".hs-map-title")
    badge.wait_for(timeout=LOAD_TIMEOUT_MS)
    assert "SYNTHETIC" in badge.inner_text()
    assert page.get_by_text("Fewer than 5 (suppressed)").first.is_visible()
    assert blocked == [] and errors == []
    page.screenshot(path=str(ARTIFACTS / "page-referrals.png"))
