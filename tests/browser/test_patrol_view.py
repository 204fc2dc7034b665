"""The patrol hotspots view in headless Chromium, on the harness page (demo City points).

A ``streamlit run tests/apps/patrol_harness.py`` server on a free localhost port;
the page is drawn with the view's default settings (150 m squares, 9,999
permutations, top 5% of the area by the best backtest method). Checked against
:func:`hotspots.patrol.analyse_patrol` in this process: one Leaflet
polygon per grid cell, the legend's ranges and cell counts, the patrol list's
rows. Every request is recorded (never intercepted) and none may leave the machine.
A full-page screenshot goes to ``test-artifacts/patrol-view.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotspots import pipeline
from hotspots.patrol import PatrolParams, analyse_patrol
from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    column,
    is_local,
    keyed,
    map_frame,
    read_grid,
    serve_app,
    settle,
)

pytestmark = pytest.mark.browser

HARNESS = ROOT / "tests" / "apps" / "patrol_harness.py"
CELL_PATH = "path.leaflet-interactive"
TIMEOUT_MS = 90_000
#: The view's element keys (``render_patrol(key="patrol")``, the harness's default).
MAP, LEGEND, LIST = "patrol_map", "patrol_legend", "patrol_list_table"
#: A legend class with its number of cells: a range, "10 to 19 (38)", or the cells with no
#: crime, "0, not drawn (95)" (their own white class, counted but not drawn: issue 14).
CLASS_RANGE = re.compile(r"^(?:\d[\d,]* to [\d,]+|0, not drawn) \((\d+)\)$", re.M)


@pytest.fixture(scope="module")
def harness_server(chromium_path: Path) -> Iterator[str]:
    """Serve the patrol harness on 127.0.0.1 (its own server, beside the page's)."""
    with serve_app(HARNESS, "patrol-harness-server.log") as url:
        yield url


@pytest.fixture(scope="module")
def expected():
    pack = pipeline.load_pack()
    return analyse_patrol(pack.points, pack.areas, pack.meta.points_boroughs,
                          PatrolParams(seed=pack.meta.seed),
                          rejected=pack.meta.points_rejected)


def test_patrol_view_draws_every_cell_legend_and_list(harness_server, browser, expected):
    requests: list[str] = []
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(harness_server, wait_until="domcontentloaded")
        page.get_by_role("heading", name="Patrol hotspots (street scale)").wait_for(
            timeout=TIMEOUT_MS)
        page.locator(map_frame(MAP)).wait_for(state="attached", timeout=TIMEOUT_MS)
        cells = page.frame_locator(map_frame(MAP)).locator(CELL_PATH)
        n_cells = len(expected.grid)
        g = expected.grid
        n_drawn = int(((g["count"] > 0) | g["selected_rank"].notna() | g["gi_hot"]).sum())
        assert 0 < n_drawn < n_cells == 162
        # cells with no crime are not drawn (a force's 98,439 hung the browser)
        assert settle(cells.count, lambda n: n >= n_drawn) == n_drawn
        # the legend: every class range with its number of cells, the patrol and Gi* cells
        n_sel = len(expected.patrol)
        legend_box = page.locator(keyed(LEGEND))
        legend = settle(legend_box.inner_text,
                        lambda t: sum(int(n) for n in CLASS_RANGE.findall(t)) == n_cells)
        assert "Crimes per cell, 2020-09 to 2020-11" in legend
        assert sum(int(n) for n in CLASS_RANGE.findall(legend)) == n_cells
        assert f"Patrol cells ({expected.method}) ({n_sel})" in legend
        gi_line = next(x for x in legend.splitlines() if x.startswith("Gi* hot spot"))
        assert gi_line.endswith(f"({int(expected.grid['gi_hot'].sum())})"), gi_line
        # the patrol list (by its key: the backtest and emerging tables are grids too):
        # as many rows as the library's, in the same order
        want = expected.patrol["cell_id"].tolist()
        grid = read_grid(page, LIST, lambda g: g["rows"] == n_sel
                         and column(g, "Cell") == want)
        assert grid["rows"] == n_sel
        assert column(grid, "Cell") == want
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert expected.reconciliation_text in body
        time.sleep(0.5)
        page.mouse.move(2, 2)
        height = page.evaluate("Math.max(document.body.scrollHeight, ...[...document."
                               "querySelectorAll('[data-testid=stMain]')].map(e => "
                               "e.scrollHeight))")
        page.set_viewport_size({"width": 1500, "height": min(int(height) + 50, 9000)})
        time.sleep(1.0)
        page.screenshot(path=str(ARTIFACTS / "patrol-view.png"), full_page=True)
    finally:
        context.close()
    outside = [u for u in requests if not is_local(u)]
    assert outside == [], f"requests left the machine: {outside[:5]}"
    assert errors == [], errors
