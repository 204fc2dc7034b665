"""Print maps draw polygons and outlines as one collection, the pixels geopandas drew (issue 18)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, box

from hotspots.maps.printmaps import category_map, cell_map, class_map
from hotspots.maps.printmaps.draw import outlines, polygon_paths, polygons


@pytest.fixture()
def shapes() -> gpd.GeoSeries:
    """Polygons with a hole, a multipolygon, a collection, an empty and a missing one."""
    holed = box(0, 0, 10, 10).difference(box(3, 3, 6, 6))
    multi = MultiPolygon([box(12, 0, 15, 4), Polygon([(12, 6), (18, 6), (15, 10)])])
    coll = GeometryCollection([box(0, 12, 4, 16), box(6, 12, 9, 18)])
    return gpd.GeoSeries([holed, multi, None, Polygon(), coll, box(11, 11, 19, 19)],
                         crs="EPSG:27700")


def _pixels(draw) -> np.ndarray:  # type: ignore[no-untyped-def]
    fig = Figure(figsize=(3, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_xlim(-1, 20)
    ax.set_ylim(-1, 20)
    draw(ax)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_polygons_draw_what_geopandas_drew(shapes: gpd.GeoSeries) -> None:
    style = {"edgecolor": "#ffffff", "linewidth": 0.8, "zorder": 2}
    ref = _pixels(lambda ax: shapes.plot(ax=ax, color="#e31a1c", **style))
    ours = _pixels(lambda ax: polygons(ax, shapes, color="#e31a1c", **style))
    assert (ref[..., :3] != 255).any()  # something was drawn
    np.testing.assert_array_equal(ours, ref)
    hatch = {"facecolor": "#dddddd", "edgecolor": "#6b7b8c", "hatch": "////", "linewidth": 0.0}
    ref = _pixels(lambda ax: shapes.plot(ax=ax, **hatch))
    np.testing.assert_array_equal(_pixels(lambda ax: polygons(ax, shapes, **hatch)), ref)


def test_outlines_draw_what_geopandas_drew(shapes: gpd.GeoSeries) -> None:
    style = {"color": "#222222", "linewidth": 1.3, "linestyle": (0, (3, 2)), "zorder": 4}
    ref = _pixels(lambda ax: shapes.boundary.plot(ax=ax, **style))
    assert (ref[..., :3] != 255).any()
    np.testing.assert_array_equal(_pixels(lambda ax: outlines(ax, shapes.boundary, **style)),
                                  ref)


def test_polygon_paths_one_per_polygon_with_its_rings(shapes: gpd.GeoSeries) -> None:
    paths = polygon_paths(shapes)
    # holed, multi (two parts in one path), the collection's two boxes, the last box
    assert len(paths) == 5
    assert [int((p.codes == p.MOVETO).sum()) for p in paths] == [2, 2, 1, 1, 1]
    assert all(int((p.codes == p.CLOSEPOLY).sum()) == int((p.codes == p.MOVETO).sum())
               for p in paths)
    assert polygon_paths(gpd.GeoSeries([None, Polygon()])) == []


def test_building_a_print_map_never_draws_the_figure(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """GeoSeries.plot redrew the whole figure on every call (54 full draws in the pack)."""
    draws = []
    real = FigureCanvasAgg.draw
    monkeypatch.setattr(FigureCanvasAgg, "draw",
                        lambda self, *a, **k: (draws.append(1), real(self, *a, **k))[1])
    cells = [box(530000 + 500 * c, 180000 + 500 * r, 530500 + 500 * c, 180500 + 500 * r)
             for r in range(4) for c in range(4)]
    areas = gpd.GeoDataFrame({
        "area_code": [f"E05{i:06d}" for i in range(16)],
        "area_name": [f"Ward {i}" for i in range(16)],
        "borough_code": ["E09000001" if i % 4 < 2 else "E09000002" for i in range(16)],
        "borough_name": ["West" if i % 4 < 2 else "East" for i in range(16)],
        "value": [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 3, 4, 6, np.nan, 2],
        "cat": ["Hot", "Cold"] * 8, "cell_id": [str(i) for i in range(16)],
    }, geometry=cells, crs="EPSG:27700")
    class_map(areas, "value", title="T", legend_title="L", legend="below",
              suppressed=areas["value"].between(1, 4), zero_class=True)
    category_map(areas, "cat", categories={"Hot": "#d7191c", "Cold": "#2c7bb6"}, title="T",
                 legend_title="L")
    cell_map(areas, "value", title="T", legend_title="L", selected=["1", "2"], hot=["3"],
             context_areas=areas)
    assert draws == []
