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
    # Hatched areas apart from one another (tilted: Agg snaps a rectilinear path to
    # whole pixels, and a compound path of boxes and a triangle is not one): the same too.
    tilted = shapes.rotate(10, origin=(9, 9))
    hatch = {"facecolor": "#dddddd", "edgecolor": "#6b7b8c", "hatch": "////", "linewidth": 0.0}
    ref = _pixels(lambda ax: tilted.plot(ax=ax, **hatch))
    np.testing.assert_array_equal(_pixels(lambda ax: polygons(ax, tilted, **hatch)), ref)


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


def test_hatched_areas_render_the_hatch_once_and_look_the_same() -> None:
    """Agg rendered the hatch tile for every hatched path (0.18 s a map at 220 dpi)."""
    squares = gpd.GeoSeries([box(x, y, x + 2, y + 2) for x in range(0, 18, 2)
                             for y in range(0, 18, 2)], crs="EPSG:27700").rotate(7, origin=(9, 9))
    hatch = {"facecolor": "#dddddd", "edgecolor": "#6b7b8c", "hatch": "////", "linewidth": 0.0,
             "zorder": 2}
    ref = _pixels(lambda ax: squares.plot(ax=ax, **hatch))
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    polygons(ax, squares, **hatch)
    hatched = [c for c in ax.collections if c.get_hatch()]
    assert [len(c.get_paths()) for c in hatched] == [1]  # one compound path: one tile
    assert [len(c.get_paths()) for c in ax.collections if not c.get_hatch()] == [81]
    ours = _pixels(lambda ax: polygons(ax, squares, **hatch)).astype(int)
    diff = np.abs(ours - ref.astype(int)).max(axis=2)
    # the fills (and their faint seams) are drawn one by one as before; only where a
    # hatch line crosses a seam between two hatched squares does a pixel differ (the demo
    # pack: 1,861 of 2.55 million pixels of the referral map, by at most 14 of 255)
    on_seam = np.zeros_like(diff, dtype=bool)  # pixels within 1 px of a square's side
    fig = Figure(figsize=(3, 3), dpi=100)
    x = fig.add_axes((0, 0, 1, 1))
    x.set_aspect("equal")
    x.set_xlim(-1, 20)
    x.set_ylim(-1, 20)
    for g in squares.boundary:
        px = x.transData.transform(np.asarray(g.coords))
        for (x0, y0), (x1, y1) in zip(px[:-1], px[1:], strict=True):
            for t in np.linspace(0, 1, 200):
                c, r = x0 + t * (x1 - x0), 300 - (y0 + t * (y1 - y0))
                on_seam[max(int(r) - 1, 0):int(r) + 2, max(int(c) - 1, 0):int(c) + 2] = True
    assert diff.max() <= 64 and (diff > 0).any()
    assert not (diff[~on_seam] > 0).any()


def test_maps_of_the_same_wards_share_their_paths_and_borough_shapes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Eight maps of one ward layer in a pack: paths made and boroughs dissolved once."""
    dissolved = []
    real = gpd.GeoDataFrame.dissolve
    monkeypatch.setattr(gpd.GeoDataFrame, "dissolve",
                        lambda self, *a, **k: (dissolved.append(1), real(self, *a, **k))[1])
    cells = [box(600000 + 700 * c, 170000 + 700 * r, 600700 + 700 * c, 170700 + 700 * r)
             for r in range(3) for c in range(3)]
    areas = gpd.GeoDataFrame({
        "area_code": [f"E05{i:06d}" for i in range(9)], "area_name": [f"W{i}" for i in range(9)],
        "borough_code": ["E09000031"] * 5 + ["E09000032"] * 4,
        "borough_name": ["North"] * 5 + ["South"] * 4,
        "value": [1.0, 2, 3, 4, 5, 6, 7, 8, 9], "other": [9.0, 8, 7, 6, 5, 4, 3, 2, 1],
    }, geometry=cells, crs="EPSG:27700")
    one = class_map(areas, "value", title="T", legend_title="L")
    two = class_map(areas, "other", title="T", legend_title="L", k=3)
    paths = [{id(p) for c in f.axes[0].collections if not hasattr(c, "get_segments")
              for p in c.get_paths()} for f in (one, two)]
    assert len(paths[0]) == 9 and paths[0] == paths[1]  # the same 9 path objects
    assert len(dissolved) == 1
    moved = areas.set_geometry(areas.geometry.translate(100, 0))
    class_map(moved, "value", title="T", legend_title="L")
    assert len(dissolved) == 2  # another layer: dissolved anew
