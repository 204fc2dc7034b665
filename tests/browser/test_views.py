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
from tests.browser.conftest import ARTIFACTS, is_local

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
WARD_PATH = "path.leaflet-interactive"
TIMEOUT_MS = 90_000
SEED, PERMUTATIONS = 1, 9999
N_MONTHS = 12  # the page's default period: the latest 12 months of the pack
CRIME, REFERRALS = "crime:all", "referrals:all"
REFERRAL_MEASURE_LABEL = "Referrals (SYNTHETIC)"
DRILL_RANK = 3  # the drill-down test picks the ward ranked 3rd (not the default, 1st)
PANEL = '[role="tabpanel"]:visible'
GRIDS = 'table[role="grid"]'
SMALL_COUNT = re.compile(r"^[1-4]$")
# Headers of table columns that hold referral counts (value, counts in both periods).
COUNT_HEADER = re.compile(r"^(Referrals|Count|Previous count|Count,)", re.IGNORECASE)

_GRID_JS = """els => els.map(t => ({
    rows: Number(t.getAttribute('aria-rowcount')) - 1,
    headers: [...t.querySelectorAll('thead th')].map(h => h.innerText.trim()),
    cells: [...t.querySelectorAll('tbody tr')].map(
        r => [...r.querySelectorAll('td')].map(c => c.innerText.trim())),
}))"""


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


def _pick(page, scope, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Choose ``option`` in the selectbox labelled ``label`` by typing, as a person would."""
    box = scope.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
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
        _pick(page, form, "Permutations", f"{PERMUTATIONS}")
        seed = form.get_by_role("spinbutton", name="Seed", exact=True)
        seed.fill(str(SEED))
        seed.press("Tab")
        form.get_by_role("button", name="Apply statistics").click()
        page.locator(PANEL).get_by_text(f"seed {SEED})").first.wait_for(timeout=TIMEOUT_MS)
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


def _map_paths(scope, n_maps: int, n_wards: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Wait for ``n_maps`` Leaflet maps in ``scope`` to draw every ward; return paths per map.

    Counts per map (``.leaflet-container``), not per component: one component may
    hold two synchronised maps.
    """
    scope.locator(MAP_IFRAME).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        counts = []
        for i in range(scope.locator(MAP_IFRAME).count()):
            maps = scope.frame_locator(MAP_IFRAME).nth(i).locator(".leaflet-container")
            counts += [maps.nth(j).locator(WARD_PATH).count() for j in range(maps.count())]
        if (len(counts) >= n_maps and min(counts) >= n_wards) or time.monotonic() > deadline:
            return counts
        time.sleep(0.25)


def _grids(scope, n_min: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Wait for at least ``n_min`` data tables in ``scope``; return what a screen reader gets.

    Each table: ``rows`` (data rows, from ``aria-rowcount``), ``headers`` and the
    ``cells`` of the rows drawn on screen (the grid draws only what is visible).
    """
    grids = scope.locator(GRIDS)
    grids.nth(n_min - 1).wait_for(state="attached", timeout=TIMEOUT_MS)
    return grids.evaluate_all(_GRID_JS)  # type: ignore[no-any-return]


def _grid(grids: list[dict], first_header: str, *, has: str | None = None) -> dict:
    found = [g for g in grids if g["headers"][:1] == [first_header]
             and (has is None or has in g["headers"])]
    assert len(found) == 1, (first_header, has, [g["headers"] for g in grids])
    return found[0]


def _column(grid: dict, header: str) -> list[str]:
    i = grid["headers"].index(header)
    return [row[i] for row in grid["cells"] if len(row) > i]


def _map_views(page, scope) -> list[tuple[float, str]]:  # type: ignore[no-untyped-def]
    """Return (zoom, scale-bar text) of every map in ``scope``, left to right."""
    out = []
    for i in range(scope.locator(MAP_IFRAME).count()):
        frame = scope.locator(MAP_IFRAME).nth(i).element_handle().content_frame()
        out.append((frame.evaluate("window.map.getZoom()"),
                    frame.locator(".leaflet-control-scale-line").first.inner_text()))
    return out


def _legend_texts(scope) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.replace("\n", " | ") for t in scope.locator(".hs-legend").all_inner_texts()]


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


def _tooltip(scope, i: int, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Open the hover tooltip of ward ``code`` on the ``i``-th map in ``scope``: label -> value."""
    frame = scope.locator(MAP_IFRAME).nth(i).element_handle().content_frame()
    text = frame.evaluate(_TOOLTIP_JS, code)
    assert text, f"no tooltip for {code} on map {i}"
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
    """Quantile legend labels computed with mapclassify directly (integer counts)."""
    y = values.dropna().to_numpy(dtype=float)
    q = mapclassify.Quantiles(y, k=k)
    upper = np.floor(np.asarray(q.bins) + 1e-9)
    lower = [y.min(), *(upper[:-1] + 1)]
    return [f"{int(lo):,} to {int(hi):,} ({int(n)})"
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
    paths = _map_paths(main, 2, n_wards)
    assert paths[:2] == [n_wards, n_wards]

    legends = _legend_texts(main)
    measure = next(t for t in legends if t.startswith("Crimes"))
    for label in _class_labels(wt.frame["value"]):  # mapclassify, not the project's classify
        assert label in measure, (label, measure)
    no_data = int(wt.frame["value"].isna().sum())
    assert no_data == 25 and f"No data ({no_data})" in measure  # the City of London wards
    imd = next(t for t in legends if t.startswith("IMD 2019 average score"))
    imd_scores = crime_exp.pack.areas[["area_code"]].merge(crime_exp.pack.imd, how="left")
    assert f"No data ({int(imd_scores['imd_score'].isna().sum())})" in imd

    top = _grid(_grids(main, 1), "Rank")
    ranked = wt.frame[wt.frame["rank"].notna()].sort_values(["rank", "area_name"])
    assert top["rows"] == min(20, len(ranked))
    shown = _column(top, "Ward")
    assert len(shown) >= 5 and shown == ranked["area_name"].head(len(shown)).tolist()
    assert _column(top, "Crimes")[0] == f"{int(ranked['count'].iloc[0]):,}"
    _screenshot(page, "view-map-pair.png")
    _page_ok(dash)


def test_hotspots_view(dash: Dash, crime_exp: Expected) -> None:
    page, t = dash.page, crime_exp.an.table
    panel = _open_tab(page, "Hotspots", "Hot spots and clusters")
    assert _map_paths(panel, 2, len(t)) == [len(t), len(t)]

    gi = next(x for x in _legend_texts(panel) if x.startswith("Getis-Ord Gi*"))
    lisa = next(x for x in _legend_texts(panel) if x.startswith("Local Moran (LISA)"))
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

    table = _grid(_grids(panel, 1), "Ward", has="Gi* class")
    assert table["rows"] == len(t)
    by_z = t.sort_values(["gi_z", "area_name"], ascending=[False, True], na_position="last")
    shown = _column(table, "Ward")
    assert shown[:5] == by_z["area_name"].head(5).tolist()
    assert _column(table, "Gi* class")[:5] == by_z["gi_class"].head(5).tolist()
    text = panel.inner_text()
    assert "Benjamini-Hochberg false discovery rate" in text and "scipy" not in text
    # Hover text of the strongest hot spot, on maps drawn from the static geometry file.
    top = by_z.iloc[0]
    gi_tip = _tooltip(panel, 0, str(top["area_code"]))
    assert gi_tip["Ward"] == top["area_name"] and gi_tip["Borough"] == top["borough_name"]
    assert gi_tip["Crimes"] == top["value_display"] and gi_tip["Gi* class"] == top["gi_class"]
    assert gi_tip["z"] == f"{top['gi_z']:+.2f}"
    lisa_tip = _tooltip(panel, 1, str(top["area_code"]))
    assert lisa_tip["Ward"] == top["area_name"]
    assert lisa_tip["Local Moran's I"] == f"{top['lisa_i']:+.2f}"
    _settled(page)
    views = _map_views(page, panel)
    assert len(views) == 2 and views[0] == views[1], views  # the same zoom and scale bar
    _screenshot(page, "view-hotspots.png")
    _page_ok(dash)


def test_bivariate_view(dash: Dash, crime_exp: Expected) -> None:
    page, t = dash.page, crime_exp.an.table
    panel = _open_tab(page, "Bivariate", "Measure and deprivation together")
    assert _map_paths(panel, 1, len(t)) == [len(t)]

    legend = panel.locator(".hs-bivariate-legend")
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

    table = _grid(_grids(panel, 1), "Ward", has="Class (words)")
    assert table["rows"] == len(t)
    top = t.sort_values(["bv_class", "area_name"], ascending=[False, True], na_position="last")
    assert _column(table, "Ward")[:5] == top["area_name"].head(5).tolist()
    _screenshot(page, "view-bivariate.png")
    _page_ok(dash)


def test_deprivation_view(dash: Dash, crime_exp: Expected) -> None:
    page, an = dash.page, crime_exp.an
    panel = _open_tab(page, "Deprivation", "How the measure relates to deprivation")
    chart = panel.locator(".vega-embed").first
    chart.wait_for(timeout=TIMEOUT_MS)
    box = chart.bounding_box()
    assert box is not None and box["height"] > 200

    # Spearman's rho with scipy, over the wards with both values.
    both = an.table[["value", "imd_score"]].dropna()
    rho = sps.spearmanr(both["value"], both["imd_score"]).statistic
    assert f"rho = {rho:.2f}" in panel.inner_text()
    assert f"n = {len(both):,} wards" in panel.inner_text()

    grids = _grids(panel, 2)
    by_borough = _grid(grids, "Area", has="rho")
    n_boroughs = an.table.dropna(subset=["value", "imd_score"])["borough_name"].nunique()
    assert by_borough["rows"] == len(an.by_borough)
    assert len(an.by_borough) >= n_boroughs
    cells = [c for row in by_borough["cells"] for c in row]
    assert "None" not in cells and "nan" not in cells
    assert set(_column(by_borough, "Small n")) <= {"yes", ""}
    undefined = an.by_borough[an.by_borough["rho"].isna()]
    shown = dict(zip(_column(by_borough, "Area"), _column(by_borough, "rho"), strict=True))
    for area in undefined["group"]:
        if area in shown:  # the grid draws only the rows on screen
            assert shown[area] == "\u2014"
    assert "too few wards with both a value and an IMD score" in panel.inner_text()
    deciles = _grid(grids, "Decile")
    assert deciles["rows"] == len(an.deciles) == 10
    _screenshot(page, "view-deprivation.png")
    _page_ok(dash)


def test_trends_view(dash: Dash, crime_exp: Expected) -> None:
    page, an = dash.page, crime_exp.an
    panel = _open_tab(page, "Trends", "Trends and change")
    panel.locator(".vega-embed").first.wait_for(timeout=TIMEOUT_MS)
    assert panel.locator(".vega-embed").count() >= 1

    grids = _grids(panel, 2)
    boroughs = _grid(grids, "Borough")
    wards = _grid(grids, "Ward")
    bc = viewdata.borough_change(an, which="change")
    wc = viewdata.ward_change(an, which="change")
    assert bc is not None and wc is not None
    assert boroughs["rows"] == len(bc.table.frame)
    assert wards["rows"] == len(wc)
    # Independently: every ward with data in the period has a row, City of London has none.
    assert wards["rows"] == int(crime_exp.ward.frame["value"].notna().sum())
    assert boroughs["rows"] == crime_exp.ward.frame.dropna(subset=["value"])[
        "borough_name"].nunique()
    text = panel.inner_text()
    assert "compared with previous 12 months" in text and "compared with Previous" not in text
    assert not any(w.startswith(("+", "-")) for w in _column(wards, "Change (words)"))
    _screenshot(page, "view-trends.png")
    _page_ok(dash)


def test_trends_emerging_hot_spots_on_request(dash: Dash, crime_exp: Expected) -> None:
    page = dash.page
    panel = _open_tab(page, "Trends", "Trends and change")
    assert panel.get_by_text("Wards per category").count() == 0  # off by default
    panel.get_by_text("Emerging hot spots (Gi* every month", exact=False).first.click()
    panel.get_by_text("Wards per category").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    grids = _grids(panel, 4)
    counts = _grid(grids, "Category", has="What it means")
    assert counts["rows"] == 17  # 8 hot, 8 cold categories and "no pattern detected"
    n = dict(zip(_column(counts, "Category"), map(int, _column(counts, "Wards")), strict=True))
    with_data = int(crime_exp.ward.frame["value"].notna().sum())
    assert sum(n.values()) == with_data == 679  # every ward with crime data, once
    patterned = with_data - n["No pattern detected"]
    text = panel.inner_text()
    assert f"Wards with a pattern ({patterned:,} of {with_data:,})" in text
    if patterned:
        wards = _grid(grids, "Ward", has="Months hot")
        assert wards["rows"] == patterned
        assert set(_column(wards, "Category")) <= set(n) - {"No pattern detected"}
    _screenshot(page, "view-trends-emerging.png")
    _page_ok(dash)


def test_ward_drilldown(dash: Dash, crime_exp: Expected) -> None:
    page, wt, pack = dash.page, crime_exp.ward, crime_exp.pack
    panel = _open_tab(page, "Ward drill-down", "Ward drill-down")
    row = wt.frame[wt.frame["rank"] == DRILL_RANK].sort_values("area_name").iloc[0]
    label = f"{row['area_name']}, {row['borough_name']}"
    _pick(page, panel, "Ward (type to search)", label)
    panel.get_by_role("heading", name=label).wait_for(timeout=TIMEOUT_MS)

    n_ranked = int(wt.frame["rank"].notna().sum())
    rank_text = f"{DRILL_RANK} of {n_ranked:,} wards ranked"
    panel.locator(GRIDS).get_by_text(rank_text, exact=True).wait_for(
        state="attached", timeout=TIMEOUT_MS)  # the tables are redrawn after the heading
    _settled(page)
    graph = Graph.build_contiguity(pack.areas.set_index("area_code"), rook=False)
    neighbour_codes = graph[row["area_code"]].index.tolist()
    names = pack.areas.set_index("area_code").loc[neighbour_codes, "area_name"]
    grids = _grids(panel, 4)
    facts = _grid(grids, "What")
    assert rank_text in _column(facts, "Value")
    assert f"{int(row['count']):,}" in _column(facts, "Value")
    nb = _grid(grids, "Ward")
    assert nb["rows"] == len(neighbour_codes)
    assert sorted(_column(nb, "Ward")) == sorted(names.astype(str))
    assert panel.get_by_text(f"Neighbours ({len(neighbour_codes)},").first.is_visible()
    assert _grid(grids, "Statistic")["rows"] >= 3
    imd = _grid(grids, "Indicator")
    assert imd["rows"] >= 3 and imd["headers"] == ["Indicator", "Value"]
    assert "population-weighted mean of the ward's LSOAs" in panel.inner_text()  # the caption
    moves = [v for w, v in zip(_column(facts, "What"), _column(facts, "Value"), strict=True)
             if w.startswith("Rank movement")]
    assert moves and all(m == "no change" or m.startswith(("up ", "down ")) for m in moves)
    assert panel.locator(".vega-embed").count() >= 1
    _screenshot(page, "view-drilldown.png")
    _page_ok(dash)


# --------------------------------------------------------------------------- referrals


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
    measure = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    measure.click()
    page.keyboard.type(REFERRAL_MEASURE_LABEL)
    page.keyboard.press("Enter")
    page.get_by_text("Fewer than 5 (suppressed)").first.wait_for(timeout=TIMEOUT_MS)
    page.locator(PANEL).get_by_text(SYNTHETIC_BADGE).first.wait_for(timeout=TIMEOUT_MS)
    return dash


def test_referrals_map_pair_synthetic(referral_page: Dash, referral_exp: Expected) -> None:
    page, wt = referral_page.page, referral_exp.ward
    main = page.locator('[data-testid="stMain"]')
    n_wards = len(referral_exp.pack.areas)
    assert _map_paths(main, 2, n_wards)[:2] == [n_wards, n_wards]
    # One badge per map, inside it (it survives a copied map image); a warning above.
    warning = main.locator('[data-testid="stAlert"]').filter(has_text=SYNTHETIC_BADGE).first
    assert warning.is_visible()
    titles = main.locator(".hs-map-title").all_inner_texts()
    assert titles and not any(SYNTHETIC_BADGE in t for t in titles)
    badge = page.frame_locator(MAP_IFRAME).nth(0).locator(".hs-map-title")
    assert SYNTHETIC_BADGE in badge.inner_text() and badge.is_visible()

    n_small = int(wt.frame["suppressed"].astype(bool).sum())
    assert n_small > 0
    measure = next(t for t in _legend_texts(main) if "suppressed" in t)
    assert f"Fewer than 5 (suppressed) ({n_small})" in measure
    top = _grid(_grids(main, 1), "Rank")
    _no_small_counts([top])
    _screenshot(page, "view-referrals-map-pair.png")
    _page_ok(referral_page)


REFERRAL_TABS = [("Hotspots", "Hot spots and clusters", 2),
                 ("Bivariate", "Measure and deprivation together", 1),
                 ("Deprivation", "How the measure relates to deprivation", 0),
                 ("Trends", "Trends and change", 0)]


@pytest.mark.parametrize(("tab", "heading", "n_maps"), REFERRAL_TABS,
                         ids=[t[0].lower() for t in REFERRAL_TABS])
def test_referral_views_synthetic_and_suppressed(referral_page: Dash, referral_exp: Expected,
                                                 tab: str, heading: str, n_maps: int) -> None:
    page = referral_page.page
    panel = _open_tab(page, tab, heading)
    assert panel.get_by_text("SYNTHETIC", exact=False).first.is_visible()
    if n_maps:
        n = len(referral_exp.an.table)
        assert _map_paths(panel, n_maps, n) == [n] * n_maps
        for i in range(n_maps):  # the badge inside every map, not beside its title
            frame = panel.frame_locator(MAP_IFRAME).nth(i)
            assert SYNTHETIC_BADGE in frame.locator(".hs-map-title").inner_text()
        titles = panel.locator(".hs-map-title").all_inner_texts()
        assert len(titles) == n_maps and not any(SYNTHETIC_BADGE in t for t in titles)
        _settled(page)
        views = _map_views(page, panel)
        assert len(set(views)) == 1, views  # side by side at the same zoom and scale
    # Deprivation: wait for the decile table too (the Spearman table, drawn first, has no count).
    grids = _grids(panel, 2 if tab == "Deprivation" else 1)
    cells = _no_small_counts(grids)
    assert cells, "no referral-count column was visible"
    if tab == "Hotspots":
        table = _grid(grids, "Ward", has="Gi* class")
        assert table["rows"] == len(referral_exp.an.table)
        assert "Gi* z" not in table["headers"] and "LISA I" not in table["headers"]
        t = referral_exp.an.table
        by_z = t.sort_values(["gi_z", "area_name"], ascending=[False, True], na_position="last")
        shown = _column(table, "Referrals")
        assert len(shown) >= 5
        assert shown == by_z["value_display"].head(len(shown)).astype(str).tolist()
        assert "<5" in shown  # suppressed wards are among the rows drawn, and say so
        small = t[t["suppressed"].astype(bool)].sort_values("area_name").iloc[0]
        for i, stat in ((0, "z"), (1, "Local Moran's I")):  # hovers: "<5", no z or I
            tip = _tooltip(panel, i, str(small["area_code"]))
            assert tip["Referrals"] == "<5" and tip[stat] == "not shown for referrals", tip
            assert not any(SMALL_COUNT.match(v) for k, v in tip.items()
                           if not k.startswith(("p ", "q "))), tip  # a p of 1 is no count
    _screenshot(page, f"view-referrals-{tab.lower()}.png")
    _page_ok(referral_page)


def test_referral_bivariate_table_hides_moran_i(referral_page: Dash) -> None:
    """Like the map's tooltips, the bivariate table must not show Moran's I for referrals."""
    panel = _open_tab(referral_page.page, "Bivariate", "Measure and deprivation together")
    table = _grid(_grids(panel, 1), "Ward", has="Class (words)")
    assert "Bivariate I" not in table["headers"], table["headers"]


def test_referral_drilldown_of_a_suppressed_ward(referral_page: Dash,
                                                 referral_exp: Expected) -> None:
    page, wt = referral_page.page, referral_exp.ward
    panel = _open_tab(page, "Ward drill-down", "Ward drill-down")
    small = wt.frame[wt.frame["suppressed"].astype(bool)].sort_values("area_name").iloc[0]
    label = f"{small['area_name']}, {small['borough_name']}"
    _pick(page, panel, "Ward (type to search)", label)
    panel.get_by_role("heading", name=label).wait_for(timeout=TIMEOUT_MS)
    panel.locator(GRIDS).get_by_text("not shown (small count)", exact=True).wait_for(
        state="attached", timeout=TIMEOUT_MS)
    _settled(page)
    assert panel.get_by_text("SYNTHETIC", exact=False).first.is_visible()
    grids = _grids(panel, 4)
    facts = _column(_grid(grids, "What"), "Value")
    assert "<5" in facts and "not shown (small count)" in facts
    assert str(int(small["count"])) not in facts
    _no_small_counts(grids)
    assert not math.isnan(float(small["count"])) and 1 <= small["count"] <= 4
    _screenshot(page, "view-referrals-drilldown.png")
    _page_ok(referral_page)


def test_no_request_left_the_machine(dash: Dash) -> None:
    """The whole module's browsing stayed on this machine (and did make requests)."""
    hosts = Counter(urlsplit(u).hostname or urlsplit(u).scheme for u in dash.requests)
    assert hosts, "no request recorded"
    assert set(hosts) <= {"127.0.0.1", "localhost", "data", "blob", "about"}, hosts
