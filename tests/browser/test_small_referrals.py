"""A small referral file in the real page: zeros are their own class, nothing hot, no SYNTHETIC.

The trial that found it: 15 uploaded referrals, every ward under 5. The 689 wards
with 0 were drawn red-orange under "0 (689)", the top table said "Top 0 wards" over
nothing, and the footer still said "Referrals: SYNTHETIC". Here the file is
uploaded through the browser's file input, the measure chosen as a user would, and
the legend, the map's fills, the empty top list and the whole visible text (page
and map frame) are read back. Screenshot: ``test-artifacts/page-small-referrals.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotspots import pipeline
from hotspots.maps.classify import MASKED_COLOUR, ZERO_COLOUR
from hotspots.maps.palettes import map_palette
from tests.browser.conftest import ARTIFACTS, GRID, is_local, keyed, map_frame, settle, wait_idle

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
N = 15
#: Element keys on the page (ui.panels, ui.views, ui.data, ui.sidebar).
PAIR, GI_MAP, MEASURE_LEGEND = "map_pair", "hs_gi_map", "map_pair_measure_legend"
MEASURE_BOX, UPLOAD_ROWS, TOP_WARDS = "measure_group", "upload_reconciliation_table", \
    "top_wards_table"


def _referrals(folder: Path) -> tuple[Path, int]:
    """15 referrals (May 2025) in 15 different wards of the demo pack: every ward under 5."""
    areas = pipeline.load_pack().areas
    wards = areas.sort_values("area_code").iloc[:N]
    lines = ["Ref,Date of referral,Type of concern,Ward,Borough"]
    lines += [f"R{i},{1 + i % 9:02d}/05/2025,CCE,{w.area_name},{w.borough_name}"
              for i, w in enumerate(wards.itertuples())]
    path = folder / "fifteen_referrals.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(areas)


def test_small_referral_upload_in_the_browser(server, browser, tmp_path):  # type: ignore[no-untyped-def]
    sheet, n_wards = _referrals(tmp_path)
    n_zero = n_wards - N
    context = browser.new_context(viewport={"width": 1600, "height": 1400})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.locator(map_frame(GI_MAP)).wait_for(state="attached", timeout=TIMEOUT_MS)
        side = page.locator('[data-testid="stSidebar"]')
        # on a quiet page, before and after: a run still going (the maps' returned values)
        # could supersede the click, and the uploader drawn by the click's run would drop
        # files set on it mid-run (seen once on two busy workers: "No files yet")
        wait_idle(page)
        side.get_by_text("Your own files, added to the demo pack").click()
        page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)
        (page.locator('[data-testid="stFileUploader"]').filter(has_text="Referral spreadsheet")
         .locator('input[type="file"]').set_input_files(str(sheet), timeout=TIMEOUT_MS))
        page.get_by_text(f"Which column of {sheet.name} holds what?").wait_for(
            timeout=TIMEOUT_MS)
        page.locator(f"{keyed(UPLOAD_ROWS)} {GRID}").get_by_text(
            f"Referrals (upload: {sheet.name})").wait_for(state="attached", timeout=TIMEOUT_MS)

        side.locator(keyed(MEASURE_BOX)).click()
        page.keyboard.type("Referrals")
        page.keyboard.press("Enter")
        legend = page.locator(keyed(MEASURE_LEGEND)).locator(".hs-legend")
        legend.get_by_text("Too little data to map").wait_for(timeout=TIMEOUT_MS)

        # Legend: zeros first, white, their own class; then the suppressed wards; no class.
        labels = settle(legend.locator(".hs-legend-label").all_inner_texts,
                        lambda t: t[:1] == [f"0 ({n_zero})"])
        assert labels == [f"0 ({n_zero})", f"Fewer than 5 (suppressed) ({N})"]
        swatches = legend.locator("li > span:first-child").evaluate_all(
            "els => els.map(e => getComputedStyle(e).backgroundColor)")
        assert swatches == ["rgb(255, 255, 255)", "rgb(122, 122, 122)"]  # ZERO, MASKED colours
        assert (ZERO_COLOUR, MASKED_COLOUR) == ("#ffffff", "#7a7a7a")

        # The map (the pair's #map_div): the zero wards drawn white, none in a scale colour.
        frame = page.frame_locator(map_frame(PAIR))
        white = frame.locator(f'#map_div path.leaflet-interactive[fill="{ZERO_COLOUR}"]')
        white.nth(n_zero - 1).wait_for(state="attached", timeout=TIMEOUT_MS)
        assert white.count() == n_zero
        fills = frame.locator("#map_div path.leaflet-interactive").evaluate_all(
            "els => els.map(e => e.getAttribute('fill'))")
        hot = {c.lower() for k in range(1, 10) for c in map_palette("YlOrRd", k)}
        assert not hot & {str(f).lower() for f in fills}

        # The top list says why it is empty, never "Top 0 wards".
        page.locator(keyed(TOP_WARDS)).get_by_text(
            "No ward can be listed: every ward has 0 referrals or fewer than 5").wait_for(
            timeout=TIMEOUT_MS)
        text = page.locator("body").inner_text()
        assert not re.search(r"Top 0 wards", text)

        # SYNTHETIC nowhere: page, legends, footer, map frame (badge, attribution).
        page.get_by_text("Method and sources").wait_for(timeout=TIMEOUT_MS)
        text = page.locator("body").inner_text()
        assert sheet.name in text  # the footer credits the user's file
        assert "SYNTHETIC" not in text
        assert "SYNTHETIC" not in frame.locator("body").inner_text()
        page.set_viewport_size({"width": 1600, "height": 2600})
        page.screenshot(path=str(ARTIFACTS / "page-small-referrals.png"))
        outside = [u for u in requests if not is_local(u)]
        assert outside == [], f"requests left the machine: {outside[:5]}"
        assert errors == [], errors
    finally:
        context.close()
