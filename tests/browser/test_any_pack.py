"""The page on a pack built for a Welsh place, in headless Chromium, offline.

Cardiff is built into a temporary folder from the national files in
``../shared/data`` with South Wales Police's police.uk months (January to April
2024), then served with ``--pack``: the measure and deprivation maps draw one
path per ward, the deprivation legend names WIMD 2019, the top wards are
Cardiff's, and no request leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import time

import pytest

from hotspots.pipeline import packbuild
from tests.browser.conftest import ARTIFACTS, ROOT, offline_context, serve_app

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

MAP_IFRAME = 'iframe[title="ui.mapview.st_folium"]'
WARD_PATH = "path.leaflet-interactive"
PAIR_MAPS = ("#map_div", "#map_div2")
TIMEOUT_MS = 120_000
WALES = "police_uk_wales_2024-01_to_2024-04"


@pytest.fixture(scope="module")
def cardiff(tmp_path_factory, shared_data):  # type: ignore[no-untyped-def]
    police = sorted((shared_data / WALES).glob("*/*south-wales-street.csv"))
    assert police, f"no South Wales files in {shared_data / WALES}"
    folder = tmp_path_factory.mktemp("packs") / "cardiff"
    packbuild.build_pack("Cardiff", folder, data=packbuild.load_national(data_root=shared_data),
                         police_uk=police)
    return folder


def test_a_welsh_pack_draws_offline_with_wimd(cardiff, chromium_path, browser):  # type: ignore[no-untyped-def]
    wards = json.loads((cardiff / "wards.geojson").read_text(encoding="utf-8"))["features"]
    names = {str(f["properties"]["area_name"]) for f in wards}
    n_wards = len(wards)
    assert n_wards > 20
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTSPOTS_PACK", str(cardiff))
        mp.setenv("HOTSPOTS_PACKS_DIR", str(cardiff.parent))
        with serve_app(ROOT / "dashboard.py", "streamlit-any-pack.log") as url:
            context, blocked = offline_context(browser, viewport={"width": 1600, "height": 1400})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            try:
                page.goto(url, wait_until="domcontentloaded")
                page.get_by_text("Cardiff (local authority, W06000015)").first.wait_for(
                    timeout=TIMEOUT_MS)
                page.locator(MAP_IFRAME).first.wait_for(state="attached", timeout=TIMEOUT_MS)
                frame = page.frame_locator(MAP_IFRAME).first
                counts = []
                for div in PAIR_MAPS:
                    paths = frame.locator(f"{div} {WARD_PATH}")
                    paths.nth(n_wards - 1).wait_for(state="attached", timeout=TIMEOUT_MS)
                    time.sleep(0.5)
                    counts.append(paths.count())
                assert counts == [n_wards, n_wards]
                legends = page.locator(".hs-legend").all_inner_texts()
                assert any("WIMD 2019 (Wales) average score" in t for t in legends), legends
                assert not any("IMD 2019 average" in t.replace("WIMD 2019 (Wales) average", "")
                               for t in legends)
                body = page.locator('[data-testid="stMain"]').inner_text()
                assert "Against the WIMD 2019 (Wales) average score of each ward" in body
                grid = page.locator('.st-key-top_wards_table table[role="grid"]')
                grid.wait_for(state="attached", timeout=TIMEOUT_MS)
                cells = {t.strip() for t in grid.locator("tbody td").all_inner_texts()}
                listed = cells & names
                assert len(listed) >= min(10, n_wards), sorted(cells)[:20]
                assert "Cardiff" in cells  # the local authority column
                heads = {t.strip() for t in grid.locator("thead th").all_inner_texts()}
                assert {"Local authority", "WIMD 2019 (Wales) score"} <= heads, heads
                page.get_by_text("Hotspots, deprivation and trends").first.wait_for(
                    timeout=TIMEOUT_MS)
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "any-pack-cardiff.png"))
            finally:
                context.close()
    assert blocked == [], f"requests left the machine: {blocked[:5]}"
    assert errors == [], errors
