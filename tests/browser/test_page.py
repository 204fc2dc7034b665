"""The real page in headless Chromium with every non-local request blocked.

Proves the maps draw with no internet: the measure and IMD maps (two Leaflet
maps in one st_folium frame, panning and zooming together) show one Leaflet
path per ward each, the legends are readable, and no request left the machine.
A click on a ward of the measure map opens it in the Ward drill-down tab.
Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from hotspots.pipeline import PackMeta
from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    is_local,
    keyed,
    map_frame,
    offline_context,
    settle,
)

pytestmark = pytest.mark.browser

WARD_PATH = "path.leaflet-interactive"
#: Element keys on the page (ui.panels, ui.sidebar): the measure/IMD map pair, its two
#: legends, the marking banner at the top and the measure selectbox.
PAIR = "map_pair"
MEASURE_LEGEND, IMD_LEGEND = f"{PAIR}_measure_legend", f"{PAIR}_imd_legend"
MARKING, MEASURE_BOX = "marking_top", "measure_group"
#: The synced pair's two maps inside the first st_folium frame (st_folium's ids).
PAIR_MAPS = ("#map_div", "#map_div2")
LOAD_TIMEOUT_MS = 90_000


def _expected_wards() -> int:
    folder = Path(os.environ.get("HOTSPOTS_PACK") or ROOT / "data" / "demo")
    meta = PackMeta.from_json(json.loads((folder / "pack.json").read_text(encoding="utf-8")))
    layer = json.loads((folder / (meta.area_layer or "wards.geojson")).read_text("utf-8"))
    return len(layer["features"])


@pytest.fixture()
def offline_page(browser):  # type: ignore[no-untyped-def]
    """A page whose context aborts (and records) every request not to this machine."""
    context, blocked = offline_context(browser, viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page, blocked, errors
    finally:
        context.close()


def _wait_for_maps(page, n_wards: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Wait for both maps of the pair to draw every ward; return paths per map."""
    page.locator(map_frame(PAIR)).wait_for(state="attached", timeout=LOAD_TIMEOUT_MS)
    frame = page.frame_locator(map_frame(PAIR))
    counts = []
    for div in PAIR_MAPS:
        paths = frame.locator(f"{div} {WARD_PATH}")
        paths.nth(n_wards - 1).wait_for(state="attached", timeout=LOAD_TIMEOUT_MS)
        counts.append(paths.count())
    return counts


def _shows(box, text: str) -> bool:  # type: ignore[no-untyped-def]
    """True when the named element ``box`` is visible and (in time) holds ``text``."""
    return text in settle(box.inner_text, lambda t: text in t, 30.0) and box.is_visible()


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
    for where, text in ((keyed(MEASURE_LEGEND), "No data (25)"),
                        (keyed(IMD_LEGEND), "IMD 2019 average score"),
                        (keyed(MARKING), "OFFICIAL"), (".hs-headline", "Spearman's rho")):
        assert _shows(page.locator(where), text), (where, text)
    assert page.get_by_role("heading", name="Wards with the highest values").is_visible()
    legend = page.locator(keyed(MEASURE_LEGEND)).locator(".hs-legend")
    box = legend.bounding_box()
    assert box is not None and box["height"] > 60
    font_px = legend.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_px >= 13

    # The two maps sit side by side without overlapping, each under its legend's column.
    frame = page.frame_locator(map_frame(PAIR))
    a, b = (frame.locator(div).bounding_box() for div in PAIR_MAPS)
    assert a and b and a["x"] + a["width"] <= b["x"] + 1 and a["height"] >= 400
    la, lb = (page.locator(keyed(k)).bounding_box() for k in (MEASURE_LEGEND, IMD_LEGEND))
    assert la and lb and la["x"] < b["x"] <= lb["x"]

    # Hovering a ward shows its tooltip (ward, borough, value, rank).
    frame.locator(f"#map_div {WARD_PATH}").nth(n_wards // 2).hover(force=True)
    tip = frame.locator(".leaflet-tooltip")
    tip.wait_for(timeout=10_000)
    text = tip.inner_text()
    assert "Ward" in text and "Borough" in text and "Rank" in text
    page.locator(map_frame(PAIR)).screenshot(path=str(ARTIFACTS / "map-measure-tooltip.png"))
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
    frame = page.frame_locator(map_frame(PAIR))
    a, b = (frame.locator(div).bounding_box() for div in PAIR_MAPS)
    assert a and b
    side_by_side = a["x"] + a["width"] <= b["x"] + 1
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
    page.locator(keyed(MEASURE_BOX)).click()
    page.keyboard.type("Referrals (SYNTHETIC)")  # first level; the type defaults to "All"
    page.keyboard.press("Enter")
    page.locator(keyed(MEASURE_LEGEND)).get_by_text("Fewer than 5 (suppressed)").wait_for(
        timeout=LOAD_TIMEOUT_MS)
    frame = page.frame_locator(map_frame(PAIR))
    badge = frame.locator(".hs-map-title")
    badge.wait_for(timeout=LOAD_TIMEOUT_MS)
    assert "SYNTHETIC" in settle(badge.inner_text, lambda t: "SYNTHETIC" in t)
    # Every ward's tooltip on the redrawn measure map: a referral count is never 1 to 4.
    n_wards = _expected_wards()
    frame.locator(f"#map_div {WARD_PATH}").nth(n_wards - 1).wait_for(
        state="attached", timeout=LOAD_TIMEOUT_MS)
    values = _tooltip_values(page, "Referrals")
    assert len(values) == n_wards
    assert not {"1", "2", "3", "4"} & set(values), sorted(set(values))[:10]
    assert "<5" in values
    assert blocked == [] and errors == []
    page.screenshot(path=str(ARTIFACTS / "page-referrals.png"))


def _tooltip_values(page, label: str, timeout_s: float = 60.0) -> list[str]:  # type: ignore[no-untyped-def]
    """The ``label`` row of every ward tooltip of the pair's measure map (as shown).

    Frame order is not page order, and a replaced frame may linger: ask every
    st_folium frame holding a pair, until one answers.
    """
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        for f in page.frames:
            if "st_folium" not in f.url:
                continue
            try:
                got = f.evaluate(_TOOLTIP_JS, label)
            except Exception:  # noqa: BLE001 - a frame being replaced while we look
                continue
            if got:
                return got  # type: ignore[no-any-return]
        time.sleep(0.25)
    return []


_TOOLTIP_JS = """(label) => {
          const out = [];
          if (typeof window.map_div2 === "undefined" || !window.map_div.eachLayer) return out;
          map_div.eachLayer((l) => {
            if (!l.feature || !l.getTooltip || !l.getTooltip()) return;
            const c = l.getTooltip()._content;
            const el = typeof c === "function" ? c(l) : c;
            const box = document.createElement("div");
            if (typeof el === "string") box.innerHTML = el; else box.appendChild(el);
            for (const tr of box.querySelectorAll("tr")) {
              if (tr.querySelector("th").textContent.trim() === label) {
                out.push(tr.querySelector("td").textContent.trim());
              }
            }
          });
          return out;
        }"""


def _view(frame) -> list:  # type: ignore[no-untyped-def]
    return frame.evaluate("() => [map_div.getCenter(), map_div.getZoom(),"
                          " map_div2.getCenter(), map_div2.getZoom()]")


def _pair_frame(page, timeout_s: float = 60.0):  # type: ignore[no-untyped-def]
    """The st_folium frame holding the synchronised pair, once both Leaflet maps exist.

    Frame order is not the page order, and the second map's variable names the
    DOM element until Leaflet has made the map, so wait for both maps.
    """
    ready = ("() => typeof window.map_div2 !== 'undefined' && "
             "typeof window.map_div2.getCenter === 'function' && "
             "typeof window.map_div.getCenter === 'function'")
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        for f in page.frames:
            if "st_folium" in f.url:
                try:
                    if f.evaluate(ready):
                        return f
                except Exception:  # noqa: BLE001 - a frame being replaced while we look
                    continue
        time.sleep(0.25)
    raise AssertionError("the synchronised map pair never finished drawing")


def test_pair_pans_together_and_a_click_opens_the_ward(server, browser):  # type: ignore[no-untyped-def]
    """Synced pan/zoom both ways; a ward click selects it in the drill-down; panning is silent.

    Requests are recorded, not intercepted (``page.route`` blanks redrawn st_folium maps).
    """
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    requests: list[str] = []
    sent: list[float] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.monotonic())))
    try:
        page.goto(server, wait_until="domcontentloaded")
        n_wards = _expected_wards()
        assert _wait_for_maps(page, n_wards) == [n_wards, n_wards]
        frame = _pair_frame(page)
        frame.evaluate("() => map_div.setView([51.55, -0.05], 13)")
        c1, z1, c2, z2 = _view(frame)
        assert (z1, z2) == (13, 13) and c2 == c1 and abs(c1["lat"] - 51.55) < 1e-9
        frame.evaluate("() => map_div2.setView([51.45, -0.2], 12)")
        c1, z1, c2, z2 = _view(frame)
        assert (z1, z2) == (12, 12) and c1 == c2 and abs(c1["lng"] + 0.2) < 1e-9

        # Panning and zooming with the mouse moves both maps and sends nothing back.
        box = page.locator(map_frame(PAIR)).bounding_box()
        assert box is not None
        n_sent = len(sent)
        x, y = box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 120, y - 60, steps=8)
        page.mouse.up()
        page.mouse.wheel(0, -300)
        time.sleep(2)
        after = _view(frame)
        assert after[0] == after[2] and after[1] == after[3] and after[0] != c1
        assert len(sent) == n_sent, "panning or zooming sent a message to the server"

        # A click on a ward of the measure map opens it in the Ward drill-down tab.
        frame.evaluate("() => map_div.setView([51.5, -0.12], 10)")
        pair = page.frame_locator(map_frame(PAIR))
        ward = pair.locator(f"#map_div {WARD_PATH}").nth(n_wards // 2)
        ward.hover(force=True)
        tips = pair.locator("#map_div .leaflet-tooltip")  # the hovered ward's, once alone
        assert settle(tips.count, lambda n: n == 1, 10.0) == 1
        tip = tips.inner_text()
        name = tip.split("Ward", 1)[1].split("Borough", 1)[0].strip()
        borough = tip.split("Borough", 1)[1].split("\n")[0].strip()
        ward.click(force=True)
        page.get_by_role("tab", name="Ward drill-down", selected=True).wait_for(
            timeout=LOAD_TIMEOUT_MS)
        heading = page.get_by_role("heading", level=3, name=re.compile(rf"^{re.escape(name)}, "))
        heading.wait_for(timeout=LOAD_TIMEOUT_MS)
        assert heading.inner_text().startswith(f"{name}, ") and borough in heading.inner_text()
        page.screenshot(path=str(ARTIFACTS / "page-drilldown-click.png"))
        assert errors == []
        assert all(is_local(u) for u in requests), [u for u in requests if not is_local(u)]
    finally:
        context.close()
