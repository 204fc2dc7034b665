"""The national LSOA view (``--national --store FILE``) in headless Chromium, offline.

A store is made in a temporary folder from the shared police.uk months of the three
Welsh forces (January to April 2024). The page opens on all England and Wales: the
canvas draws all 35,672 LSOAs (many coloured pixels, ten decile colours), one legend
per nation names its index and edition (IoD 2025 England, WIMD 2019 Wales), hovering
shows an LSOA's name, code and decile. Then South Wales Police's area and recorded
crime: exactly its LSOAs are drawn (counted here from the ONS lookups), the tooltip
shows a count, the boundaries file was fetched once, and no request left 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from tests.browser.conftest import ROOT, keyed, offline_context, serve_app, settle, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

FRAME = f'{keyed("national_map_box")} iframe[title="ui.national.national_map"]'
TIMEOUT_MS = 180_000
WALES = "police_uk_wales_2024-01_to_2024-04"
#: Pixels drawn (alpha > 0) and their distinct colours, read from the map's canvas.
PIXELS_JS = """c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] > 0) { n++; colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); }
    }
    return {drawn: n, total: c.width * c.height, colours: colours.size};
}"""


@pytest.fixture(scope="module")
def wales_store(tmp_path_factory, shared_data):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("store") / "wales.duckdb"
    subprocess.run([sys.executable, "-m", "hotspots", "store", "add", "--store", str(path),
                    str(shared_data / WALES)], cwd=ROOT, check=True, capture_output=True)
    return path


def _south_wales_lsoas(shared_data) -> int:  # type: ignore[no-untyped-def]
    """LSOAs of South Wales Police's authorities, from the two ONS lookups."""
    pfa = pd.read_csv(shared_data / "lookups" / "LAD19_CSP19_PFA19_EW_LU.csv")
    lads = set(pfa.loc[pfa["PFA19NM"] == "South Wales", "LAD19CD"])
    look = pd.read_csv(shared_data / "lookups" / "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_"
                       "(2025)_Best_Fit_Lookup_in_EW_v2.csv.gz", usecols=["LSOA21CD", "LAD25CD"])
    return int(look.drop_duplicates("LSOA21CD")["LAD25CD"].isin(lads).sum())


def _hover_tip(page, frame) -> str:  # type: ignore[no-untyped-def]
    box = page.locator(FRAME).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 2, box["y"] + box["height"] / 2 + 1)
    tip = frame.locator("#tip")
    return settle(lambda: tip.inner_text() if tip.is_visible() else "", bool, timeout_s=10)


def _choose(page, key: str, text: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(keyed(key))
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_national_lsoa_view_offline(wales_store, shared_data, chromium_path, browser):  # type: ignore[no-untyped-def]
    n_south_wales = _south_wales_lsoas(shared_data)
    assert 500 < n_south_wales < 1917  # part of Wales's 1,917 LSOAs
    args = ("--", "--national", "--store", str(wales_store))
    with serve_app(ROOT / "dashboard.py", "streamlit-national.log", extra_args=args) as url:
        context, blocked = offline_context(browser, viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        errors: list[str] = []
        geometry_fetches: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda r: geometry_fetches.append(r.url)
                if re.search(r"/lsoa-[0-9a-f]{16}\.bin$", r.url) else None)
        try:
            page.goto(url, wait_until="domcontentloaded")
            page.locator(FRAME).wait_for(timeout=TIMEOUT_MS)
            frame = page.frame_locator(FRAME)
            canvas = frame.locator("canvas#map[data-drawn]")
            canvas.wait_for(timeout=TIMEOUT_MS)
            assert canvas.get_attribute("data-drawn") == "35672"
            px = canvas.evaluate(PIXELS_JS)
            assert px["drawn"] > 0.15 * px["total"], px  # England and Wales fill the frame
            assert px["colours"] >= 10, px  # ten decile colours (and their anti-aliasing)
            legend = page.locator(keyed("national_legend")).inner_text()
            assert "IoD 2025 (England) decile" in legend
            assert "WIMD 2019 (Wales) decile" in legend
            tip = _hover_tip(page, frame)
            assert re.search(r"\((E|W)01\d{6}\)", tip), tip
            assert re.search(r"(IoD 2025 \(England\)|WIMD 2019 \(Wales\)) decile "
                             r"\(1 = most deprived, 10 = least\): \d{1,2}$", tip), tip

            wait_idle(page)
            page.locator(keyed("national_measure")).get_by_text(
                "Recorded crime (police.uk, from the store)", exact=True).click()
            wait_idle(page)
            _choose(page, "national_place", "South Wales")
            wait_idle(page)
            drawn = settle(lambda: canvas.get_attribute("data-drawn"),
                           lambda v: v == str(n_south_wales), timeout_s=90)
            assert drawn == str(n_south_wales)
            legend = settle(lambda: page.locator(keyed("national_legend")).inner_text(),
                            lambda t: "Recorded crime" in t, timeout_s=60)
            assert "Recorded crime" in legend, legend
            tip = _hover_tip(page, frame)
            assert re.search(r"\(W01\d{6}\)", tip), tip
            assert re.search(r"Recorded crime, 2024-01 to 2024-04: (\d[\d,]*|no data)", tip), tip
            notes = page.locator(keyed("national_notes")).inner_text()
            assert re.search(r"rows in = [\d,]+ assigned \+ [\d,]+ without a location", notes)
            assert len(geometry_fetches) == 1, geometry_fetches  # geometry once; values apart
            assert not errors, errors
        finally:
            context.close()
    assert blocked == [], f"requests left this machine: {blocked}"


def _dyfed_powys_lsoas(shared_data) -> int:  # type: ignore[no-untyped-def]
    pfa = pd.read_csv(shared_data / "lookups" / "LAD19_CSP19_PFA19_EW_LU.csv")
    lads = set(pfa.loc[pfa["PFA19NM"] == "Dyfed-Powys", "LAD19CD"])
    look = pd.read_csv(shared_data / "lookups" / "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_"
                       "(2025)_Best_Fit_Lookup_in_EW_v2.csv.gz", usecols=["LSOA21CD", "LAD25CD"])
    return int(look.drop_duplicates("LSOA21CD")["LAD25CD"].isin(lads).sum())


def _hover_any_lsoa(page, frame) -> str:  # type: ignore[no-untyped-def]
    """Hover points of a grid over the map until one is over a drawn LSOA; its tooltip."""
    box = page.locator(FRAME).bounding_box()
    tip = frame.locator("#tip")
    for fy in (0.5, 0.4, 0.6, 0.3, 0.7):
        for fx in (0.5, 0.4, 0.6, 0.3, 0.7):
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            page.mouse.move(box["x"] + fx * box["width"] + 2, box["y"] + fy * box["height"] + 1)
            text = settle(lambda: tip.inner_text() if tip.is_visible() else "", bool,
                          timeout_s=2)
            if text:
                return text
    return ""


def test_national_hot_spots_and_clusters_offline(wales_store, shared_data, chromium_path,  # type: ignore[no-untyped-def]
                                                 browser):
    """Hot spots (Gi*) and clusters (LISA) for a force: the ward page's legend, drawn, offline."""
    n = _dyfed_powys_lsoas(shared_data)
    assert 250 < n < 400
    args = ("--", "--national", "--store", str(wales_store))
    with serve_app(ROOT / "dashboard.py", "streamlit-national-stats.log", extra_args=args) as url:
        context, blocked = offline_context(browser, viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(url, wait_until="domcontentloaded")
            page.locator(FRAME).wait_for(timeout=TIMEOUT_MS)
            frame = page.frame_locator(FRAME)
            canvas = frame.locator("canvas#map[data-drawn]")
            canvas.wait_for(timeout=TIMEOUT_MS)
            wait_idle(page)
            _choose(page, "national_place", "Dyfed-Powys")
            wait_idle(page)
            page.locator(keyed("national_measure")).get_by_text(
                "Hot spots and clusters", exact=False).click()
            wait_idle(page)
            legend = settle(lambda: page.locator(keyed("national_legend")).inner_text(),
                            lambda t: "Hot spot, 99% confidence" in t, timeout_s=120)
            # the ward page's Gi* legend: seven confidence classes, counts adding up to the force
            for label in ("Hot spot, 99% confidence", "Hot spot, 90% confidence",
                          "Not significant", "Cold spot, 95% confidence"):
                assert label in legend, legend
            shown = [int(x.replace(",", "")) for x in re.findall(r"\(([\d,]+)\)\s*$", legend,
                                                                  flags=re.M)]
            assert sum(shown) == n, (shown, legend)
            drawn = settle(lambda: canvas.get_attribute("data-drawn"), lambda v: v == str(n),
                           timeout_s=60)
            assert drawn == str(n)
            px = canvas.evaluate(PIXELS_JS)
            assert px["drawn"] > 0.05 * px["total"], px
            tip = _hover_any_lsoa(page, frame)
            assert re.search(r"Hot spots \(Gi\*\) of recorded crime, 2024-01 to 2024-04: "
                             r"(Hot|Cold|Not significant)", tip), tip
            notes = page.locator(keyed("national_stat_notes")).inner_text()
            assert re.search(r"rows in = [\d,]+ assigned", notes), notes

            page.locator(keyed("national_statistic")).get_by_text(
                "Clusters and outliers (LISA)", exact=True).click()
            page.get_by_role("button", name="Apply statistics").click()
            wait_idle(page)
            legend = settle(lambda: page.locator(keyed("national_legend")).inner_text(),
                            lambda t: "High-High" in t, timeout_s=120)
            assert "Low-Low: low values among low neighbours" in legend, legend
            assert not errors, errors
        finally:
            context.close()
    assert blocked == [], f"requests left this machine: {blocked}"
