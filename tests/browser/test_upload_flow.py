"""Your own files in the real page: upload through the browser's file input, offline.

The browser context records every request (without intercepting: routing requests
through Playwright stops Streamlit's component iframes from being replaced when a map
is redrawn) and the test fails if any left the machine. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import openpyxl
import pytest

from hotspots import pipeline
from hotspots.maps.classify import NO_DATA_COLOUR
from tests.browser.conftest import ARTIFACTS, GRID, is_local, keyed, map_frame, wait_idle

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
#: Element keys on the page (ui.panels, ui.views, ui.data, ui.sidebar).
PAIR, GI_MAP, MEASURE_LEGEND = "map_pair", "hs_gi_map", "map_pair_measure_legend"
MARKING, MEASURE_BOX, UPLOAD_ROWS = "marking_top", "measure_group", "upload_reconciliation_table"
UPLOADS_SECTION = "Your own files: read on this computer, never sent anywhere"
POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                 "LSOA code,LSOA name,Crime type,Last outcome category,Context")


def _files(folder: Path) -> dict[str, Path]:
    """A police.uk CSV with points in two Camden wards, a wrong file and a referral sheet."""
    pack = pipeline.load_pack()
    camden = pack.areas[pack.areas["borough_name"] == "Camden"].sort_values("area_code")
    pts = camden.geometry.representative_point().to_crs("EPSG:4326").iloc[:2]
    rows = [POLICE_HEADER] + [
        f"cam{i},2026-03,MPS,MPS,{pts.iloc[i % 2].x:.6f},{pts.iloc[i % 2].y:.6f},On or near X,,,"
        f"{'Burglary' if i % 3 else 'Robbery'},," for i in range(12)]
    police = folder / "2026-03-metropolitan-street.csv"
    police.write_text("\n".join(rows) + "\n", encoding="utf-8")
    wrong = folder / "stop-and-search.csv"
    wrong.write_text("Type,Date\nPerson search,2026-03-01\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Referrals to the partnership (TEST DATA, invented)"])
    ws.append([])
    ws.append(["Case Ref", "D.O.B.", "Date Referred", "Concern", "Ward of residence", "Borough "])
    for i in range(30):
        ws.append([f"T{i}", "2010-01-01", f"2026-0{1 + i % 3}-1{i % 9}", "CCE",
                   camden["area_name"].iloc[i % 5], "Camden"])
    buf = io.BytesIO()
    wb.save(buf)
    sheet = folder / "partner_referrals.xlsx"
    sheet.write_bytes(buf.getvalue())
    return {"police": police, "wrong": wrong, "sheet": sheet}


def test_upload_flow_in_the_browser(server, browser, tmp_path):  # type: ignore[no-untyped-def]
    files = _files(tmp_path)
    context = browser.new_context(viewport={"width": 1600, "height": 1300})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server, wait_until="domcontentloaded")
        # the page is drawn down to the Hotspots tab's first map
        page.locator(map_frame(GI_MAP)).wait_for(state="attached", timeout=TIMEOUT_MS)
        side = page.locator('[data-testid="stSidebar"]')
        # on a quiet page, before and after: a run still going (the maps' returned values)
        # could supersede the click, and the uploader drawn by the click's run would drop
        # files set on it mid-run (seen once on two busy workers: "No files yet")
        wait_idle(page)
        side.get_by_text("Your own files, added to the demo pack").click()
        page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=TIMEOUT_MS)
        wait_idle(page)

        def uploader(label: str):  # type: ignore[no-untyped-def]
            return (page.locator('[data-testid="stFileUploader"]').filter(has_text=label)
                    .locator('input[type="file"]'))

        uploader("police.uk street-level crime").set_input_files(
            [str(files["police"]), str(files["wrong"])], timeout=TIMEOUT_MS)
        page.get_by_text("Where every uploaded row went").wait_for(timeout=TIMEOUT_MS)
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="stop-and-search.csv")
        assert "missing column(s) 'Crime ID'" in alert.inner_text()
        assert "keeps working without this file" in alert.inner_text()

        uploader("Referral spreadsheet").set_input_files(str(files["sheet"]))
        page.get_by_text("Which column of partner_referrals.xlsx holds what?").wait_for(
            timeout=TIMEOUT_MS)
        page.locator(f"{keyed(UPLOAD_ROWS)} {GRID}").get_by_text(
            "Referrals (upload: partner_referrals.xlsx)").wait_for(
            state="attached", timeout=TIMEOUT_MS)  # a cell of the reconciliation grid
        page.locator(keyed(MARKING)).get_by_text("OFFICIAL-SENSITIVE").wait_for(
            timeout=TIMEOUT_MS)
        section = page.locator('[data-testid="stExpander"]').filter(
            has=page.locator("summary").filter(has_text=UPLOADS_SECTION))
        section.screenshot(path=str(ARTIFACTS / "page-uploads-section.png"))

        side.locator(keyed(MEASURE_BOX)).click()
        page.keyboard.type("police.uk upload")
        page.keyboard.press("Enter")
        page.get_by_text("Top 20 wards: All recorded crime (police.uk uploads)").wait_for(
            timeout=TIMEOUT_MS)
        n_camden = 20
        page.locator(keyed(MEASURE_LEGEND)).get_by_text(f"No data ({704 - n_camden})").wait_for(
            timeout=TIMEOUT_MS)
        # The redrawn map: every ward outside Camden grey ("no data", never 0), names on top.
        frame = page.frame_locator(map_frame(PAIR))
        # The pair is one frame: #map_div is the measure map, #map_div2 the IMD map.
        grey = frame.locator(f'#map_div path.leaflet-interactive[fill="{NO_DATA_COLOUR}"]')
        grey.nth(704 - n_camden - 1).wait_for(state="attached", timeout=TIMEOUT_MS)
        assert grey.count() == 704 - n_camden
        assert frame.locator("#map_div .hs-borough-label").filter(has_text="Camden").count() == 1
        page.set_viewport_size({"width": 1600, "height": 2800})
        time.sleep(1)  # let the maps settle at the new size
        page.screenshot(path=str(ARTIFACTS / "page-uploads.png"))
        outside = [u for u in requests if not is_local(u)]
        assert outside == [], f"requests left the machine: {outside[:5]}"
        assert errors == [], errors
    finally:
        context.close()
