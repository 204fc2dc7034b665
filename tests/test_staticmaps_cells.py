"""Print map of grid cells (:func:`hotspots.staticmaps.cell_map`) on a hand-built grid."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib_scalebar.scalebar import ScaleBar
from shapely.geometry import box

from hotspots._errors import CRSError
from hotspots.maps import printmaps as staticmaps

X0, Y0, SIZE = 530_000.0, 180_000.0, 100.0


def _grid(values=None):  # type: ignore[no-untyped-def]
    """3 rows x 4 columns of 100 m squares, cell ids r<row>_c<col>."""
    cells, ids = [], []
    for r in range(3):
        for c in range(4):
            cells.append(box(X0 + c * SIZE, Y0 + r * SIZE, X0 + (c + 1) * SIZE,
                             Y0 + (r + 1) * SIZE))
            ids.append(f"r{r}_c{c}")
    v = values if values is not None else [0, 0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 0]
    return gpd.GeoDataFrame({"cell_id": ids, "count": v}, geometry=cells, crs="EPSG:27700")


def _wards():  # type: ignore[no-untyped-def]
    west = box(X0, Y0, X0 + 2 * SIZE, Y0 + 3 * SIZE)
    east = box(X0 + 2 * SIZE, Y0, X0 + 4 * SIZE, Y0 + 3 * SIZE)
    return gpd.GeoDataFrame({"area_code": ["W1", "W2"], "area_name": ["West", "East"],
                             "borough_code": ["B", "B"], "borough_name": ["Town", "Town"]},
                            geometry=[west, east], crs="EPSG:27700")


def _texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()] + [leg.get_title().get_text()]
    return out


def _lines(fig, colour: str) -> list[LineCollection]:  # type: ignore[no-untyped-def]
    ax = fig.axes[0]
    return [c for c in ax.collections if isinstance(c, LineCollection)
            and len(c.get_colors()) and to_hex(c.get_colors()[0]) == colour]


@pytest.fixture(scope="module")
def drawn():  # type: ignore[no-untyped-def]
    g = _grid()
    fig = staticmaps.cell_map(g, "count", title="Patrol cells", legend_title="Crimes per cell",
                              selected=["r2_c2", "r2_c1"], hot=["r2_c2"],
                              labels={"r2_c2": "1", "r2_c1": "2"}, context_areas=_wards(),
                              k=3)
    return g, fig


def test_legend_prints_every_class_with_its_cell_count(drawn):
    g, fig = drawn
    c = fig.classification
    texts = _texts(fig)
    for label in c.class_labels:
        assert label in texts
    # Counts in brackets add up to the cells, and each class holds the cells in its range.
    assert sum(c.counts) == len(g) == 12
    upper = list(c.bins)
    for i, n in enumerate(c.counts):
        lo = -np.inf if i == 0 else upper[i - 1]
        assert n == int(((g["count"] > lo) & (g["count"] <= upper[i])).sum())
    assert "Patrol cells (2)" in texts and "Gi* hot spot (1)" in texts
    assert fig.cell_counts == {"cells": 12, "selected": 2, "hot": 1, "no_data": 0}


def test_selected_cells_outlined_and_hot_cells_marked_inside(drawn):
    g, fig = drawn
    (sel,) = _lines(fig, staticmaps.SELECTED_EDGE)
    assert len(sel.get_paths()) == 2
    boxes = sorted(tuple(np.round(p.get_extents().bounds)) for p in sel.get_paths())
    assert boxes == [(X0 + SIZE, Y0 + 2 * SIZE, SIZE, SIZE), (X0 + 2 * SIZE, Y0 + 2 * SIZE,
                                                            SIZE, SIZE)]
    (hot,) = _lines(fig, staticmaps.HOT_EDGE)
    (path,) = hot.get_paths()
    x, y, w, h = path.get_extents().bounds
    # Inset 12% of the cell, so both outlines show on a cell that is selected and hot.
    assert (x, y, w, h) == pytest.approx((X0 + 2 * SIZE + 12, Y0 + 2 * SIZE + 12, 76, 76))
    assert {"1", "2"} <= set(_texts(fig))


def test_furniture_attribution_scale_bar_north_arrow_outlines(drawn):
    _, fig = drawn
    texts = " ".join(_texts(fig)).replace("\n", " ")
    assert ("Contains public sector information licensed under the Open Government Licence "
            "v3.0 (data.police.uk)") in texts
    assert "N" in _texts(fig)
    assert any(isinstance(a, ScaleBar) for a in fig.axes[0].artists)
    # Ward outlines (dashed grey) and the borough outline (dark) are drawn.
    assert _lines(fig, "#6e6e6e") and _lines(fig, "#222222")


def test_no_data_cells_grey_and_counted():
    g = _grid([np.nan, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan])
    fig = staticmaps.cell_map(g, "count", title="t", legend_title="l", k=3)
    assert "No data (2)" in _texts(fig)
    assert fig.cell_counts["no_data"] == 2 and sum(fig.classification.counts) == 10


def test_empty_hot_set_says_zero_and_none_draws_no_entry():
    g = _grid()
    fig = staticmaps.cell_map(g, "count", title="t", legend_title="l", hot=[], k=3)
    assert "Gi* hot spot (0)" in _texts(fig)
    fig = staticmaps.cell_map(g, "count", title="t", legend_title="l", k=3)
    assert not any(t.startswith(("Gi*", "Patrol cells")) for t in _texts(fig))


def test_boolean_mask_equals_cell_ids():
    g = _grid()
    mask = g["cell_id"].isin(["r0_c3", "r1_c0"])
    a = staticmaps.cell_map(g, "count", title="t", legend_title="l", selected=mask, k=3)
    b = staticmaps.cell_map(g, "count", title="t", legend_title="l",
                            selected=["r1_c0", "r0_c3"], k=3)
    assert _png(a) == _png(b)


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60, metadata={"Software": None})
    return buf.getvalue()


def test_same_input_same_bytes(tmp_path):
    out = []
    for name in ("a.png", "b.png"):
        fig = staticmaps.cell_map(_grid(), "count", title="t", legend_title="l",
                                  selected=["r2_c2"], hot=["r2_c2"], context_areas=_wards())
        out.append(staticmaps.save_figure(fig, tmp_path / name, dpi=80).read_bytes())
    assert out[0] == out[1]


@pytest.mark.parametrize("change, error, words", [
    (lambda g: g.to_crs("EPSG:4326"), CRSError, "EPSG:27700"),
    (lambda g: g.set_crs(None, allow_override=True), CRSError, "no CRS"),
    (lambda g: g.drop(columns="cell_id"), ValueError, "'cell_id'"),
    (lambda g: g.drop(columns="count"), ValueError, "'count'"),
], ids=["lonlat", "no-crs", "no-cell-id", "no-column"])
def test_bad_grid_named(change, error, words):
    with pytest.raises(error, match=words):
        staticmaps.cell_map(change(_grid()), "count", title="t", legend_title="l")


def test_unknown_cell_ids_named():
    with pytest.raises(ValueError, match=r"selected cell id\(s\) are not in the grid.*r9_c9"):
        staticmaps.cell_map(_grid(), "count", title="t", legend_title="l", selected=["r9_c9"])
    with pytest.raises(ValueError, match="labels"):
        staticmaps.cell_map(_grid(), "count", title="t", legend_title="l", labels={"x": "1"})


def test_cells_without_crime_are_their_own_white_class():
    from hotspots.maps.classify import ZERO_COLOUR

    g = _grid()  # three cells with 0
    fig = staticmaps.cell_map(g, "count", title="t", legend_title="l", k=3, zero_class=True)
    c = fig.classification
    assert c.n_zero == 3 and _texts(fig).count("0 (3)") == 1
    leg = next(a.get_legend() for a in fig.axes if a.get_legend() is not None)
    assert leg.get_texts()[0].get_text() == "0 (3)"  # first, before the classes
    assert to_hex(leg.legend_handles[0].get_facecolor()) == ZERO_COLOUR
    assert sum(c.counts) + c.n_zero == len(g)
