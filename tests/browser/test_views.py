"""Every view of the page in headless Chromium, checked against the library's own numbers.

One server, one browser page per module: the statistics form is submitted once
(9,999 permutations, seed 1), then each tab is opened in turn, its maps counted
(one Leaflet path per ward), its legends and tables read as a person or a
screen reader would (legend text, the grid's row count and visible cells), and
a full-page screenshot saved to ``test-artifacts/view-*.png``. The expected
numbers come from :func:`hotspots.analysis.analyse` with the same parameters in
this process, and from other libraries where they can (mapclassify for the map
classes, scipy for Spearman's rho, libpysal for the neighbours). The last tests
switch the measure to the SYNTHETIC referrals: the label must be visible and no
referral count from 1 to 4 may appear in a visible table cell. Every request
the browser makes is recorded (not intercepted: routing blanks redrawn st_folium
maps) and none may leave the machine.

Why 9,999 permutations and not 99: with ~680 wards and FDR, 99 permutations can
never reach significance (the smallest pseudo p is 0.02), so every legend class
but "Not significant" would be 0 and the maps would show nothing to check.
9,999 cost about a second, the page's default; seed 1 (not the page's default)
proves the form applied.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import mapclassify
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from scipy import stats as sps

from hotspots import pipeline
from hotspots.maps.web import SYNTHETIC_BADGE
from hotspots.pipeline import analysis as analysis
from hotspots.pipeline import viewdata as viewdata
from hotspots.stats import registry
from tests.browser.conftest import (
    ARTIFACTS,
    GRID,
    GRID_JS,
    column,
    is_local,
    keyed,
    map_frame,
    read_grid,
    settle,
)

pytestmark = pytest.mark.browser

WARD_PATH = "path.leaflet-interactive"
TIMEOUT_MS = 90_000
SEED, PERMUTATIONS = 1, 9999
N_MONTHS = 12  # the page's default period: the latest 12 months of the pack
CRIME, REFERRALS = "crime:all", "referrals:all"
REFERRAL_MEASURE_LABEL = "Referrals (SYNTHETIC)"
DRILL_RANK = 3  # the drill-down test picks the ward ranked 3rd (not the default, 1st)
PANEL = '[role="tabpanel"]:visible'
#: Element keys on the page: the map pair and its legends, the top-wards table and the
#: synthetic warning (ui.panels), the measure box (ui.sidebar); the analysis tabs' keys
#: start with the page's ``render_analysis_tabs`` key, see :func:`_k`.
PAIR = "map_pair"
MEASURE_LEGEND, IMD_LEGEND = f"{PAIR}_measure_legend", f"{PAIR}_imd_legend"
TOP_WARDS, SYNTHETIC_WARNING, MEASURE_BOX = "top_wards_table", "synthetic_warning", "measure_group"
TABS_KEY = "hs"
SMALL_COUNT = re.compile(r"^[1-4]$")
# Headers of table columns that hold referral counts (value, counts in both periods).
COUNT_HEADER = re.compile(r"^(Referrals|Count|Previous count|Count,)", re.IGNORECASE)



def _k(name: str) -> str:
    """The key of an element of the analysis tabs, e.g. ``_k("gi_map")`` -> ``"hs_gi_map"``."""
    return f"{TABS_KEY}_{name}"


# --------------------------------------------------------------------------- expected


@dataclass(frozen=True)
class Expected:
    """The library's numbers for one measure, with the page's default period."""

    pack: pipeline.Pack
    ward: pipeline.WardTable
    an: analysis.Analysis


def _expected(pack: pipeline.Pack, measure: str) -> Expected:
    months = pack.months[-N_MONTHS:]
    sel = pipeline.Selection(measure, months[0], months[-1])
    wt = pipeline.ward_table(pack, sel)
    an = analysis.analyse(pack, sel, analysis.StatsParams(permutations=PERMUTATIONS, seed=SEED))
    return Expected(pack, wt, an)


@pytest.fixture(scope="module")
def demo_pack() -> pipeline.Pack:
    return pipeline.load_pack()


@pytest.fixture(scope="module")
def crime_exp(demo_pack) -> Expected:  # type: ignore[no-untyped-def]
    return _expected(demo_pack, CRIME)


@pytest.fixture(scope="module")
def referral_exp(demo_pack) -> Expected:  # type: ignore[no-untyped-def]
    return _expected(demo_pack, REFERRALS)


# --------------------------------------------------------------------------- the page


@dataclass
class Dash:
    """The module's page and what it recorded."""

    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _labelled(page, scope, label: str):  # type: ignore[no-untyped-def]
    """The selectbox in ``scope`` whose label is exactly ``label``."""
    return scope.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True))


def _pick(page, box, option: str) -> None:  # type: ignore[no-untyped-def]
    """Choose ``option`` in the selectbox ``box`` by typing, as a person would."""
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


@pytest.fixture(scope="module")
def dash(server, browser) -> Iterator[Dash]:  # type: ignore[no-untyped-def]
    """The page, loaded once, with the statistics form submitted (9,999 perms, seed 1)."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1600, "height": 1400})
    d = Dash(page=context.new_page())
    context.on("request", lambda r: d.requests.append(r.url))
    page = d.page
    page.on("pageerror", lambda exc: d.errors.append(str(exc)))
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Hotspots").wait_for(timeout=TIMEOUT_MS)
        form = page.locator('[data-testid="stSidebar"] [data-testid="stForm"]')
        _pick(page, _labelled(page, form, "Permutations"), f"{PERMUTATIONS}")
        seed = form.get_by_role("spinbutton", name="Seed", exact=True)
        seed.fill(str(SEED))
        seed.press("Tab")
        form.get_by_role("button", name="Apply statistics").click()
        page.locator(keyed(_k("gi_map_legend"))).get_by_text(f"seed {SEED})").wait_for(
            timeout=TIMEOUT_MS)
        yield d
    finally:
        context.close()


# --------------------------------------------------------------------------- helpers


def _open_tab(page, name: str, heading: str):  # type: ignore[no-untyped-def]
    """Click a tab and wait for its heading; return the open tab panel."""
    page.get_by_role("tab", name=name, exact=True).click()
    panel = page.locator(PANEL)
    panel.get_by_role("heading", name=heading).wait_for(timeout=TIMEOUT_MS)
    return panel


def _settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script run has finished (Streamlit's "Running..." widget is gone)."""
    time.sleep(0.3)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)


def _map_paths(scope, keys: list[str], n_maps: int, n_wards: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Wait for the maps drawn with ``show_rendered(key=k)``, ``k`` in ``keys``, to draw
    every ward; return the paths per Leaflet map, in the order of ``keys``.

    Counts per map (``.leaflet-container``), not per component: one component may
    hold two synchronised maps; ``n_maps`` is the number of Leaflet maps expected.
    """
    for key in keys:
        scope.locator(map_frame(key)).wait_for(state="attached", timeout=TIMEOUT_MS)

    def counts() -> list[int]:
        out = []
        for key in keys:  # every map of every named frame
            maps = scope.frame_locator(map_frame(key)).locator(".leaflet-container")
            out += [maps.nth(j).locator(WARD_PATH).count() for j in range(maps.count())]
        return out

    return settle(counts, lambda c: len(c) >= n_maps and min(c) >= n_wards, TIMEOUT_MS / 1000)


def _all_grids(scope) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every data grid drawn in ``scope``, as :data:`GRID_JS` reads them (for sweeps)."""
    return scope.locator(GRID).evaluate_all(f"els => els.map({GRID_JS})")  # type: ignore[no-any-return]


def _map_views(scope, keys: list[str]) -> list[tuple[float, str]]:  # type: ignore[no-untyped-def]
    """Return (zoom, scale-bar text) of the maps drawn with these keys, in that order."""
    out = []
    for key in keys:
        frame = scope.locator(map_frame(key)).element_handle().content_frame()
        out.append((frame.evaluate("window.map.getZoom()"),
                    " | ".join(frame.locator(".leaflet-control-scale-line").all_inner_texts())))
    return out


def _legend(scope, key: str) -> str:  # type: ignore[no-untyped-def]
    """The text of the legend keyed ``key``, its lines joined by " | "."""
    box = scope.locator(keyed(key))
    box.wait_for(timeout=TIMEOUT_MS)
    return settle(box.inner_text, bool).replace("\n", " | ")


def _warning(scope):  # type: ignore[no-untyped-def]
    """The SYNTHETIC warning in ``scope`` (a tab panel's, above its maps and tables)."""
    return scope.locator('[data-testid="stAlert"]').filter(has_text=SYNTHETIC_BADGE)


_TOOLTIP_JS = """code => {
    let out = null;
    window.map.eachLayer(l => {
        if (out === null && l.feature && l.feature.id === code && l.getTooltip()) {
            l.openTooltip(l.getBounds().getCenter());
            out = l.getTooltip().getElement().innerText;
            l.closeTooltip();
        }
    });
    return out;
}"""


def _tooltip(scope, key: str, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Open the hover tooltip of ward ``code`` on the map keyed ``key``: label -> value."""
    frame = scope.locator(map_frame(key)).element_handle().content_frame()
    text = frame.evaluate(_TOOLTIP_JS, code)
    assert text, f"no tooltip for {code} on map {key}"
    rows = [line.split("\t", 1) for line in text.strip().split("\n")]
    return {r[0].strip(): r[1].strip() for r in rows if len(r) == 2}


def _screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save the whole page: Streamlit scrolls inside its own box, so grow the window to fit."""
    _settled(page)
    page.mouse.move(2, 2)  # no tooltip left open over a map
    height = page.evaluate(  # the page's own scroll boxes (not a data grid's inner scroller)
        "Math.max(document.body.scrollHeight, ...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stSidebarContent]')].map(e => e.scrollHeight))")
    size = page.viewport_size
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 50, 9000)})
        time.sleep(0.8)  # maps and grids re-lay out at the new size
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size(size)


def _page_ok(d: Dash) -> None:
    """No request left the machine, no script error, no Streamlit exception box."""
    outside = [u for u in d.requests if not is_local(u)]
    assert outside == [], f"requests left the machine: {outside[:5]}"
    assert d.errors == [], d.errors
    assert d.page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in d.page.locator(PANEL).inner_text()


def _class_labels(values: pd.Series, k: int = 5) -> list[str]:
    """Quantile legend labels computed with mapclassify directly (integer counts).

    As the page draws them by default: wards with 0 are their own class "0 (n)",
    the other counts are classed, and the first class is printed from 0 (from 1
    after a zero class: "First class from 0 (counts)").
    """
    y = values.dropna().to_numpy(dtype=float)
    n_zero = int((y == 0).sum())
    y = y[y != 0]
    q = mapclassify.Quantiles(y, k=k)
    upper = np.floor(np.asarray(q.bins) + 1e-9)
    lower = [1 if n_zero else 0, *(upper[:-1] + 1)]
    return [f"0 ({n_zero})"] * bool(n_zero) + [
        f"{int(lo):,} to {int(hi):,} ({int(n)})"
        for lo, hi, n in zip(lower, upper, q.counts, strict=True)]


GI_WORDS = {"Hot": "Hot spot", "Cold": "Cold spot"}


def _gi_pattern(key: str, n: int) -> str:
    """'Hot 99%' -> regex of its legend entry, 'Hot spot, 99% confidence (q ≤ 0.01) (5)'."""
    if key in ("Not significant", "No data"):
        return re.escape(f"{key} ({n:,})")
    side, pct = key.split(" ")
    return re.escape(f"{GI_WORDS[side]}, {pct} confidence") + r" \(q [^)]*\) " + re.escape(
        f"({n:,})")


# --------------------------------------------------------------------------- crime views


def test_measure_and_imd_maps(dash: Dash, crime_exp: Expected) -> None:
    page, wt = dash.page, crime_exp.ward
    n_wards = len(crime_exp.pack.areas)
    assert n_wards == 704  # the demo pack (data/demo/wards.geojson)
    main = page.locator('[data-testid="stMain"]')
    assert _map_paths(main, [PAIR], 2, n_wards) == [n_wards, n_wards]

    measure = _legend(main, MEASURE_LEGEND)
    assert measure.startswith("Crimes"), measure
    for label in _class_labels(wt.frame["value"]):  # mapclassify, not the project's classify
        assert label in measure, (label, measure)
    no_data = int(wt.frame["value"].isna().sum())
    assert no_data == 25 and f"No data ({no_data})" in measure  # the City of London wards
    imd = _legend(main, IMD_LEGEND)
    assert imd.startswith("IMD 2019 average score"), imd
    imd_scores = crime_exp.pack.areas[["area_code"]].merge(crime_exp.pack.imd, how="left")
    assert f"No data ({int(imd_scores['imd_score'].isna().sum())})" in imd

    ranked = wt.frame[wt.frame["rank"].notna()].sort_values(["rank", "area_name"])
    top = read_grid(main, TOP_WARDS, lambda g: g["rows"] == min(20, len(ranked)))
    assert top["headers"][0] == "Rank"
    assert top["rows"] == min(20, len(ranked))
    shown = column(top, "Ward")
    assert len(shown) >= 5 and shown == ranked["area_name"].head(len(shown)).tolist()
    assert column(top, "Crimes")[0] == f"{int(ranked['count'].iloc[0]):,}"
    _screenshot(page, "view-map-pair.png")
    _page_ok(dash)


def test_hotspots_view(dash: Dash, crime_exp: Expected) -> None:
    page, t = dash.page, crime_exp.an.table
    panel = _open_tab(page, "Hotspots", "Hot spots and clusters")
    maps = [_k("gi_map"), _k("lisa_map")]
    assert _map_paths(panel, maps, 2, len(t)) == [len(t), len(t)]

    gi = _legend(panel, _k("gi_map_legend"))
    lisa = _legend(panel, _k("lisa_map_legend"))
    assert gi.startswith("Getis-Ord Gi*") and lisa.startswith("Local Moran (LISA)"), (gi, lisa)
    gi_counts = t["gi_class"].fillna("No data").value_counts()
    assert gi_counts.get("Hot 99%", 0) > 0, "seed 1 with 9,999 permutations has Hot 99% wards"
    for key, n in gi_counts.items():
        assert re.search(_gi_pattern(str(key), int(n)), gi), (key, n, gi)
    assert f"{PERMUTATIONS:,} permutations, seed {SEED}" in gi
    quad = t["lisa_quadrant"].fillna("no data").value_counts()
    words = {"HH": "High-High", "LL": "Low-Low", "HL": "High-Low", "LH": "Low-High"}
    for key, word in words.items():
        assert re.search(rf"{word}:[^|]*\({int(quad.get(key, 0)):,}\)", lisa), (key, lisa)
    assert f"Not significant ({int(quad['ns']):,})" in lisa
    assert f"No data ({int(quad['no data'])})" in lisa

    table = read_grid(panel, _k("hotspot_table"), lambda g: g["rows"] == len(t))
    assert table["headers"][0] == "Ward" and "Gi* class" in table["headers"]
    assert table["rows"] == len(t)
    by_z = t.sort_values(["gi_z", "area_name"], ascending=[False, True], na_position="last")
    shown = column(table, "Ward")
    assert shown[:5] == by_z["area_name"].head(5).tolist()
    assert column(table, "Gi* class")[:5] == by_z["gi_class"].head(5).tolist()
    text = panel.inner_text()
    assert "Benjamini-Hochberg false discovery rate" in text and "scipy" not in text
    # Hover text of the strongest hot spot, on maps drawn from the static geometry file.
    top = by_z.iloc[0]
    gi_tip = _tooltip(panel, _k("gi_map"), str(top["area_code"]))
    assert gi_tip["Ward"] == top["area_name"] and gi_tip["Borough"] == top["borough_name"]
    assert gi_tip["Crimes"] == top["value_display"] and gi_tip["Gi* class"] == top["gi_class"]
    assert gi_tip["z"] == f"{top['gi_z']:+.2f}"
    lisa_tip = _tooltip(panel, _k("lisa_map"), str(top["area_code"]))
    assert lisa_tip["Ward"] == top["area_name"]
    assert lisa_tip["Local Moran's I"] == f"{top['lisa_i']:+.2f}"
    _settled(page)
    views = _map_views(panel, maps)
    assert len(views) == 2 and views[0] == views[1], views  # the same zoom and scale bar
    _screenshot(page, "view-hotspots.png")
    _page_ok(dash)


def test_bivariate_view(dash: Dash, crime_exp: Expected) -> None:
    page, t = dash.page, crime_exp.an.table
    panel = _open_tab(page, "Bivariate", "Measure and deprivation together")
    assert _map_paths(panel, [_k("bv_map")], 1, len(t)) == [len(t)]

    legend = panel.locator(keyed(_k("bv_map_legend"))).locator(".hs-bivariate-legend")
    text = legend.inner_text()
    cls = pd.to_numeric(t["bv_class"]).value_counts()
    # The grid as drawn: measure high to low (rows), IMD low to high (columns).
    for m in (3, 2, 1):
        row = [int(cls.get(3 * (m - 1) + d, 0)) for d in (1, 2, 3)]
        assert "\n".join(f"{n:,}" for n in row) in text, (m, row, text)
    for word in ("high", "medium", "low", "IMD 2019 average score", "No data (25)"):
        assert word in text, word
    n_both = int(t["bv_class"].notna().sum())
    assert f"Terciles over the {n_both:,} wards with both values" in text
    classed = t[t["bv_class"].notna()]
    low, high = int(classed["value"].min()), int(classed["value"].max())
    assert low > 0 and f"{low:,} to " in text and f" to {high:,}" in text  # not "0 to ..."
    assert not re.search(r"(^|\n)0 to ", text)
    box = legend.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 150

    table = read_grid(panel, _k("bivariate_table"), lambda g: g["rows"] == len(t))
    assert table["headers"][0] == "Ward" and "Class (words)" in table["headers"]
    assert table["rows"] == len(t)
    top = t.sort_values(["bv_class", "area_name"], ascending=[False, True], na_position="last")
    assert column(table, "Ward")[:5] == top["area_name"].head(5).tolist()
    _screenshot(page, "view-bivariate.png")
    _page_ok(dash)


def test_deprivation_view(dash: Dash, crime_exp: Expected) -> None:
    page, an = dash.page, crime_exp.an
    panel = _open_tab(page, "Deprivation", "How the measure relates to deprivation")
    chart = panel.locator(keyed(_k("scatter_chart"))).locator(".vega-embed")
    chart.wait_for(timeout=TIMEOUT_MS)
    box = settle(chart.bounding_box, lambda b: b is not None and b["height"] > 200, 30.0)
    assert box is not None and box["height"] > 200

    # Spearman's rho with scipy, over the wards with both values.
    both = an.table[["value", "imd_score"]].dropna()
    rho = sps.spearmanr(both["value"], both["imd_score"]).statistic
    assert f"rho = {rho:.2f}" in panel.inner_text()
    assert f"n = {len(both):,} wards" in panel.inner_text()

    by_borough = read_grid(panel, _k("spearman_table"),
                           lambda g: g["rows"] == len(an.by_borough))
    assert by_borough["headers"][0] == "Area" and "rho" in by_borough["headers"]
    n_boroughs = an.table.dropna(subset=["value", "imd_score"])["borough_name"].nunique()
    assert by_borough["rows"] == len(an.by_borough)
    assert len(an.by_borough) >= n_boroughs
    cells = [c for row in by_borough["cells"] for c in row]
    assert "None" not in cells and "nan" not in cells
    assert set(column(by_borough, "Small n")) <= {"yes", ""}
    undefined = an.by_borough[an.by_borough["rho"].isna()]
    shown = dict(zip(column(by_borough, "Area"), column(by_borough, "rho"), strict=True))
    for area in undefined["group"]:
        if area in shown:  # the grid draws only the rows on screen
            assert shown[area] == "\u2014"
    assert "too few wards with both a value and an IMD score" in panel.inner_text()
    deciles = read_grid(panel, _k("decile_table"), lambda g: g["rows"] == len(an.deciles))
    assert deciles["headers"][0] == "Decile"
    assert deciles["rows"] == len(an.deciles) == 10
    _screenshot(page, "view-deprivation.png")
    _page_ok(dash)


def test_trends_view(dash: Dash, crime_exp: Expected) -> None:
    page, an = dash.page, crime_exp.an
    panel = _open_tab(page, "Trends", "Trends and change")
    panel.locator(keyed(_k("trend_chart"))).locator(".vega-embed").wait_for(timeout=TIMEOUT_MS)

    bc = viewdata.borough_change(an, which="change")
    wc = viewdata.ward_change(an, which="change")
    assert bc is not None and wc is not None
    boroughs = read_grid(panel, _k("change_borough_table"),
                         lambda g: g["rows"] == len(bc.table.frame))
    wards = read_grid(panel, _k("change_ward_table"), lambda g: g["rows"] == len(wc))
    assert boroughs["headers"][0] == "Borough" and wards["headers"][0] == "Ward"
    assert boroughs["rows"] == len(bc.table.frame)
    assert wards["rows"] == len(wc)
    # Independently: every ward with data in the period has a row, City of London has none.
    assert wards["rows"] == int(crime_exp.ward.frame["value"].notna().sum())
    assert boroughs["rows"] == crime_exp.ward.frame.dropna(subset=["value"])[
        "borough_name"].nunique()
    text = panel.inner_text()
    assert "compared with previous 12 months" in text and "compared with Previous" not in text
    assert not any(w.startswith(("+", "-")) for w in column(wards, "Change (words)"))
    _screenshot(page, "view-trends.png")
    _page_ok(dash)


def test_trends_emerging_hot_spots_on_request(dash: Dash, crime_exp: Expected) -> None:
    page = dash.page
    panel = _open_tab(page, "Trends", "Trends and change")
    assert panel.get_by_text("Wards per category").count() == 0  # off by default
    panel.locator(keyed(_k("emerging"))).get_by_text(
        "Emerging hot spots (Gi* every month", exact=False).click()
    panel.get_by_text("Wards per category").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    counts = read_grid(panel, _k("emerging_counts_table"), lambda g: g["rows"] == 17)
    assert counts["headers"][0] == "Category" and "What it means" in counts["headers"]
    assert counts["rows"] == 17  # 8 hot, 8 cold categories and "no pattern detected"
    n = dict(zip(column(counts, "Category"), map(int, column(counts, "Wards")), strict=True))
    with_data = int(crime_exp.ward.frame["value"].notna().sum())
    assert sum(n.values()) == with_data == 679  # every ward with crime data, once
    patterned = with_data - n["No pattern detected"]
    text = panel.inner_text()
    assert f"Wards with a pattern ({patterned:,} of {with_data:,})" in text
    if patterned:
        wards = read_grid(panel, _k("emerging_wards_table"), lambda g: g["rows"] == patterned)
        assert wards["headers"][0] == "Ward" and "Months hot" in wards["headers"]
        assert wards["rows"] == patterned
        assert set(column(wards, "Category")) <= set(n) - {"No pattern detected"}
    _screenshot(page, "view-trends-emerging.png")
    _page_ok(dash)


#: The drill-down's tables (ui.views.drilldown_view), keyed ``_k(name)``.
DRILL_TABLES = ("drill_facts_table", "drill_imd_table", "drill_status_table",
                "drill_neighbours_table")


def test_ward_drilldown(dash: Dash, crime_exp: Expected) -> None:
    page, wt, pack = dash.page, crime_exp.ward, crime_exp.pack
    panel = _open_tab(page, "Ward drill-down", "Ward drill-down")
    row = wt.frame[wt.frame["rank"] == DRILL_RANK].sort_values("area_name").iloc[0]
    label = f"{row['area_name']}, {row['borough_name']}"
    _pick(page, panel.locator(keyed(_k("drill_ward"))), label)
    panel.get_by_role("heading", name=label).wait_for(timeout=TIMEOUT_MS)

    n_ranked = int(wt.frame["rank"].notna().sum())
    rank_text = f"{DRILL_RANK} of {n_ranked:,} wards ranked"
    panel.locator(f"{keyed(_k('drill_facts_table'))} {GRID}").get_by_text(
        rank_text, exact=True).wait_for(
        state="attached", timeout=TIMEOUT_MS)  # the tables are redrawn after the heading
    _settled(page)
    graph = Graph.build_contiguity(pack.areas.set_index("area_code"), rook=False)
    neighbour_codes = graph[row["area_code"]].index.tolist()
    names = pack.areas.set_index("area_code").loc[neighbour_codes, "area_name"]
    facts = read_grid(panel, _k("drill_facts_table"),
                      lambda g: rank_text in column(g, "Value"))
    assert facts["headers"][0] == "What"
    assert rank_text in column(facts, "Value")
    assert f"{int(row['count']):,}" in column(facts, "Value")
    nb = read_grid(panel, _k("drill_neighbours_table"),
                   lambda g: sorted(column(g, "Ward")) == sorted(names.astype(str)))
    assert nb["rows"] == len(neighbour_codes)
    assert sorted(column(nb, "Ward")) == sorted(names.astype(str))
    assert panel.get_by_text(f"Neighbours ({len(neighbour_codes)},").is_visible()
    status = read_grid(panel, _k("drill_status_table"))
    assert status["headers"][0] == "Statistic" and status["rows"] >= 3
    imd = read_grid(panel, _k("drill_imd_table"))
    assert imd["rows"] >= 3 and imd["headers"] == ["Indicator", "Value"]
    assert "population-weighted mean of the ward's LSOAs" in panel.inner_text()  # the caption
    moves = [v for w, v in zip(column(facts, "What"), column(facts, "Value"), strict=True)
             if w.startswith("Rank movement")]
    assert moves and all(m == "no change" or m.startswith(("up ", "down ")) for m in moves)
    assert panel.locator(".vega-embed").count() >= 1
    _screenshot(page, "view-drilldown.png")
    _page_ok(dash)


# --------------------------------------------------------------------------- referrals


def _has_counts(grid: dict) -> bool:
    """True when a grid has a referral-count column (it is drawn for the referrals)."""
    return any(COUNT_HEADER.match(h) for h in grid["headers"])


def _no_small_counts(grids: list[dict]) -> list[str]:
    """Return the visible cells of referral-count columns; fail on any count from 1 to 4."""
    cells = []
    for g in grids:
        for i, h in enumerate(g["headers"]):
            if COUNT_HEADER.match(h):
                col = [r[i] for r in g["cells"] if len(r) > i]
                small = [c for c in col if SMALL_COUNT.match(c)]
                assert small == [], (h, small)
                cells += col
    return cells


@pytest.fixture(scope="module")
def referral_page(dash: Dash, referral_exp: Expected) -> Dash:
    """The same page switched to the SYNTHETIC referrals (all categories)."""
    page = dash.page
    page.get_by_role("tab", name="Hotspots", exact=True).click()
    page.locator(keyed(MEASURE_BOX)).click()
    page.keyboard.type(REFERRAL_MEASURE_LABEL)
    page.keyboard.press("Enter")
    page.locator(keyed(MEASURE_LEGEND)).get_by_text("Fewer than 5 (suppressed)").wait_for(
        timeout=TIMEOUT_MS)
    _warning(page.locator(PANEL)).wait_for(timeout=TIMEOUT_MS)
    return dash


def test_referrals_map_pair_synthetic(referral_page: Dash, referral_exp: Expected) -> None:
    page, wt = referral_page.page, referral_exp.ward
    main = page.locator('[data-testid="stMain"]')
    n_wards = len(referral_exp.pack.areas)
    assert _map_paths(main, [PAIR], 2, n_wards) == [n_wards, n_wards]
    # One badge per map, inside it (it survives a copied map image); a warning above.
    warning = page.locator(keyed(SYNTHETIC_WARNING))
    assert warning.is_visible() and SYNTHETIC_BADGE in warning.inner_text()
    titles = main.locator(".hs-map-title").all_inner_texts()
    assert titles and not any(SYNTHETIC_BADGE in t for t in titles)
    badge = page.frame_locator(map_frame(PAIR)).locator(".hs-map-title")
    assert SYNTHETIC_BADGE in settle(badge.inner_text, lambda t: SYNTHETIC_BADGE in t)
    assert badge.is_visible()

    n_small = int(wt.frame["suppressed"].astype(bool).sum())
    assert n_small > 0
    measure = _legend(main, MEASURE_LEGEND)
    assert f"Fewer than 5 (suppressed) ({n_small})" in measure
    top = read_grid(main, TOP_WARDS, _has_counts)
    assert top["headers"][0] == "Rank"
    assert _no_small_counts([top]), top["headers"]
    _screenshot(page, "view-referrals-map-pair.png")
    _page_ok(referral_page)


#: Per tab: its heading, the keys of its maps and of the tables with referral counts.
REFERRAL_TABS = [("Hotspots", "Hot spots and clusters", ("gi_map", "lisa_map"),
                  ("hotspot_table",)),
                 ("Bivariate", "Measure and deprivation together", ("bv_map",),
                  ("bivariate_table",)),
                 ("Deprivation", "How the measure relates to deprivation", (),
                  ("decile_table",)),
                 ("Trends", "Trends and change", (),
                  ("change_borough_table", "change_ward_table"))]


@pytest.mark.parametrize(("tab", "heading", "maps", "tables"), REFERRAL_TABS,
                         ids=[t[0].lower() for t in REFERRAL_TABS])
def test_referral_views_synthetic_and_suppressed(referral_page: Dash, referral_exp: Expected,
                                                 tab: str, heading: str, maps: tuple[str, ...],
                                                 tables: tuple[str, ...]) -> None:
    page = referral_page.page
    panel = _open_tab(page, tab, heading)
    assert _warning(panel).is_visible()
    if maps:
        n = len(referral_exp.an.table)
        keys = [_k(m) for m in maps]
        assert _map_paths(panel, keys, len(keys), n) == [n] * len(keys)
        for key in keys:  # the badge inside every map, not beside its title
            badge = panel.frame_locator(map_frame(key)).locator(".hs-map-title")
            assert SYNTHETIC_BADGE in settle(badge.inner_text, lambda t: SYNTHETIC_BADGE in t)
        titles = panel.locator(".hs-map-title").all_inner_texts()
        assert len(titles) == len(keys) and not any(SYNTHETIC_BADGE in t for t in titles)
        _settled(page)
        views = _map_views(panel, keys)
        assert len(set(views)) == 1, views  # side by side at the same zoom and scale
    # The tables with referral counts, by name, then every grid drawn in the tab.
    _settled(page)
    named = [read_grid(panel, _k(t), _has_counts) for t in tables]
    cells = _no_small_counts(named)
    assert cells, "no referral-count column was visible"
    _no_small_counts(_all_grids(panel))
    if tab == "Hotspots":
        t = referral_exp.an.table
        table = read_grid(panel, _k("hotspot_table"), lambda g: g["rows"] == len(t))
        assert table["rows"] == len(t)
        assert "Gi* z" not in table["headers"] and "LISA I" not in table["headers"]
        # referrals: by Gi* class, then p, then ward (in z order the rows would give away the
        # order of every ward's local sum: tests/test_statmaps.py)
        rank = {c.key: i for i, c in enumerate(registry.get("gi_star").classes(0.05))}
        by_class = (t.assign(_rank=t["gi_class"].map(rank).fillna(len(rank)))
                    .sort_values(["_rank", "gi_p", "area_name"], na_position="last",
                                 kind="stable"))
        shown = column(table, "Referrals")
        assert len(shown) >= 5
        assert shown == by_class["value_display"].head(len(shown)).astype(str).tolist()
        assert "<5" in shown  # suppressed wards are among the rows drawn, and say so
        small = t[t["suppressed"].astype(bool)].sort_values("area_name").iloc[0]
        for key, stat in (("gi_map", "z"), ("lisa_map", "Local Moran's I")):  # "<5", no z or I
            tip = _tooltip(panel, _k(key), str(small["area_code"]))
            assert tip["Referrals"] == "<5" and tip[stat] == "not shown for referrals", tip
            assert not any(SMALL_COUNT.match(v) for k, v in tip.items()
                           if not k.startswith(("p ", "q "))), tip  # a p of 1 is no count
    _screenshot(page, f"view-referrals-{tab.lower()}.png")
    _page_ok(referral_page)


def test_referral_bivariate_table_hides_moran_i(referral_page: Dash) -> None:
    """Like the map's tooltips, the bivariate table must not show Moran's I for referrals."""
    panel = _open_tab(referral_page.page, "Bivariate", "Measure and deprivation together")
    table = read_grid(panel, _k("bivariate_table"), _has_counts)
    assert table["headers"][0] == "Ward" and "Class (words)" in table["headers"]
    assert "Bivariate I" not in table["headers"], table["headers"]


def test_referral_drilldown_of_a_suppressed_ward(referral_page: Dash,
                                                 referral_exp: Expected) -> None:
    page, wt = referral_page.page, referral_exp.ward
    panel = _open_tab(page, "Ward drill-down", "Ward drill-down")
    small = wt.frame[wt.frame["suppressed"].astype(bool)].sort_values("area_name").iloc[0]
    label = f"{small['area_name']}, {small['borough_name']}"
    _pick(page, panel.locator(keyed(_k("drill_ward"))), label)
    panel.get_by_role("heading", name=label).wait_for(timeout=TIMEOUT_MS)
    panel.locator(f"{keyed(_k('drill_facts_table'))} {GRID}").get_by_text(
        "not shown (small count)", exact=True).wait_for(state="attached", timeout=TIMEOUT_MS)
    _settled(page)
    assert _warning(panel).is_visible()
    facts = column(read_grid(panel, _k("drill_facts_table"),
                             lambda g: "not shown (small count)" in column(g, "Value")), "Value")
    assert "<5" in facts and "not shown (small count)" in facts
    assert str(int(small["count"])) not in facts
    _no_small_counts([read_grid(panel, _k(t)) for t in DRILL_TABLES])
    _no_small_counts(_all_grids(panel))
    assert not math.isnan(float(small["count"])) and 1 <= small["count"] <= 4
    _screenshot(page, "view-referrals-drilldown.png")
    _page_ok(referral_page)


def test_no_request_left_the_machine(dash: Dash) -> None:
    """The whole module's browsing stayed on this machine (and did make requests)."""
    hosts = Counter(urlsplit(u).hostname or urlsplit(u).scheme for u in dash.requests)
    assert hosts, "no request recorded"
    assert set(hosts) <= {"127.0.0.1", "localhost", "data", "blob", "about"}, hosts
