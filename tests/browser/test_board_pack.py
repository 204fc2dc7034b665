"""The board pack built in the browser says what the page says (issue 13, item 1).

A new user chose Robbery at a rate per 1,000 residents, clicked "Build board pack (PDF)"
and got a pack about counts ("By borough: Robbery, count"; "West End ... 1,293 crimes")
while the page showed 121.5 per 1,000. Here the same clicks are made in headless
Chromium on the real page (every non-local request blocked), the PDF is downloaded and
read back with ``pdftotext`` (poppler-utils): it must name the rate and print the page's
figure for the page's top ward.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.browser.conftest import ARTIFACTS, offline_context, wait_idle

pytestmark = pytest.mark.browser

TIMEOUT_MS = 120_000
#: Building the pack (maps, PDF, patrol pages) on a shared, loaded machine.
BUILD_TIMEOUT_MS = 600_000
GRIDS = 'table[role="grid"]'
VALUE = "Crimes per 1,000 residents"

_GRID_JS = """els => els.map(t => ({
    headers: [...t.querySelectorAll('thead th')].map(h => h.innerText.trim()),
    cells: [...t.querySelectorAll('tbody tr')].map(
        r => [...r.querySelectorAll('td')].map(c => c.innerText.trim())),
}))"""


def _top_row(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The first row of the page's "Wards with the highest values" table, once it shows rates."""
    main = page.locator('[data-testid="stMain"]')
    main.locator(GRIDS).filter(has_text=VALUE).first.wait_for(state="attached",
                                                              timeout=TIMEOUT_MS)
    grids = main.locator(GRIDS).evaluate_all(_GRID_JS)
    top = next(g for g in grids if g["headers"][:2] == ["Rank", "Ward"] and VALUE in g["headers"])
    return dict(zip(top["headers"], top["cells"][0], strict=False))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_rate_per_1000_reaches_the_board_pack_pdf(server, browser, tmp_path):  # type: ignore[no-untyped-def]
    context, blocked = offline_context(browser, viewport={"width": 1600, "height": 1400},
                                       accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server, wait_until="domcontentloaded")
        # The whole page has run (the export is drawn last but one) before any click.
        page.get_by_role("heading", name="Board pack").wait_for(timeout=TIMEOUT_MS)
        page.locator(".st-key-measure_group").click()
        page.keyboard.type("Recorded crime: Robbery")
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=re.compile(r"^Robbery, count")).wait_for(
            timeout=TIMEOUT_MS)
        page.locator(".st-key-rate").get_by_text("Rate per 1,000 residents",
                                                 exact=True).click()
        page.get_by_role("heading", name=re.compile(
            r"^Robbery, rate per 1,000 residents")).wait_for(timeout=TIMEOUT_MS)
        top = _top_row(page)
        assert re.fullmatch(r"[\d,]+\.\d", top[VALUE]), top  # a rate, one decimal

        build = page.locator(".st-key-hs_report_build button")
        build.scroll_into_view_if_needed()
        assert wait_idle(page), "the page never stopped running"
        build.click()
        download = page.locator(".st-key-hs_report_pdf button")
        download.wait_for(timeout=BUILD_TIMEOUT_MS)
        with page.expect_download(timeout=TIMEOUT_MS) as d:
            download.click()
        pdf = tmp_path / "board-pack.pdf"
        d.value.save_as(pdf)
        page.screenshot(path=str(ARTIFACTS / "board-pack-rate.png"))
    finally:
        context.close()
    shutil.copy(pdf, ARTIFACTS / "board-pack-rate.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "By borough: Robbery, rate per 1,000 residents" in flat
    assert "Top 15 wards: Robbery, rate per 1,000 residents" in flat
    assert "Robbery, count" not in flat and "count by ward" not in flat
    assert (f"Highest ward: {top['Ward']} ({top['Borough']}) with {top[VALUE]} crimes per "
            "1,000 residents, rank 1") in flat
    assert "Getis-Ord Gi* on the rate per 1,000 residents" in flat
    assert "Rates per 1,000 residents (Census 2021 usual resident population" in flat
    assert blocked == [] and errors == []
