"""Memory of the point locator: bounded per point and per raster cell, results unchanged.

``tracemalloc`` sees numpy's allocations (not Pillow's or GEOS's), which is where the
locator's large temporaries are: copies of the coordinates, hash tables, sort keys,
masks and labels the size of the input or of the raster. The bounds are a few times
what the output itself needs, far below what deduplicating or copying everything at
once costs. Equality with ``geopandas.sjoin`` is checked across chunk boundaries.
"""

from __future__ import annotations

import tracemalloc

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from hotspots.areas import join
from hotspots.areas import locate as _locate


@pytest.fixture(autouse=True)
def _fresh_cache():
    _locate._CACHE.clear()
    yield
    _locate._CACHE.clear()


def _grid_layer(n: int = 10, side: float = 1000.0) -> gpd.GeoDataFrame:
    boxes = [box(i * side, j * side, (i + 1) * side, (j + 1) * side)
             for i in range(n) for j in range(n)]
    codes = [f"E{k:03d}" for k in np.random.default_rng(0).permutation(len(boxes))]
    return gpd.GeoDataFrame({"area_code": codes}, geometry=boxes, crs="EPSG:27700")


def _traced_peak(fn, *args, **kw):  # type: ignore[no-untyped-def]
    """(result, peak bytes traced during the call above what was traced before)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn(*args, **kw)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return out, peak


def test_points_to_areas_memory_is_bounded_per_point():
    # 1.5 million distinct points: not deduplicated (no hash table, no complex copy of
    # all of them), located a chunk at a time: ~85 bytes a point traced (positions, the
    # projected coordinates, the assigned rows' copy); deduplicating and locating
    # everything at once needed ~160.
    layer = _grid_layer()
    n = 1_500_000
    rng = np.random.default_rng(1)
    recs = pd.DataFrame({"x": rng.uniform(-500, 10_500, n), "y": rng.uniform(-500, 10_500, n)})
    (assigned, rec), peak = _traced_peak(join.points_to_areas, recs, layer, crs="EPSG:27700")
    assert rec.rows_in == n and rec.assigned + rec.outside == n
    assert _locate._CACHE and next(iter(_locate._CACHE.values())).label is not None
    assert peak / n < 110, f"{peak / n:.0f} bytes a point"
    # the answer itself: a box's code from the coordinates, edges excluded (no ties)
    col = np.floor(assigned["x"].to_numpy() / 1000).astype(int)
    row = np.floor(assigned["y"].to_numpy() / 1000).astype(int)
    want = layer["area_code"].to_numpy()[col * 10 + row]
    assert (assigned["area_code"].to_numpy() == want).all()
    inside = (recs["x"].between(0, 10_000) & recs["y"].between(0, 10_000)).sum()
    assert rec.assigned == inside


def test_raster_build_memory_is_bounded_per_cell(monkeypatch):
    # a raster of ~4 million cells over 100 polygons: labels kept in one byte a cell (two
    # before), and the build's temporaries (masks, component labels) ~10 bytes a cell at
    # their peak (17 before: copies of the labels and of every trusted cell's component)
    monkeypatch.setattr(_locate, "_MAX_CELLS", 4_000_000)
    step = _locate._raster_step  # cells as fine as the budget allows
    monkeypatch.setattr(_locate, "_raster_step",
                        lambda geoms, bounds, cells, *a: step(geoms, bounds, cells, 0.5, 1e4))
    layer = _grid_layer()
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    _locate._parts(loc)  # the rings, cached with the layer, are not the raster's
    _, peak = _traced_peak(_locate._build_raster, loc)
    cells = loc.label.size
    assert cells > 3_500_000
    assert loc.label.nbytes <= cells  # one byte a cell for fewer than 254 polygons
    assert peak / cells < 12, f"{peak / cells:.1f} bytes a cell"
    # and the labels are right: the centre of every certain cell lies in its box
    r = loc.raster
    rows, cols = np.nonzero(r["label"] != 0)
    pick = np.random.default_rng(2).choice(len(rows), 20_000, replace=False)
    x = r["origin"][0] + (cols[pick] + 0.5) * r["step"]
    y = r["origin"][1] + (rows[pick] + 0.5) * r["step"]
    want = _locate._exact(loc, x, y)
    assert (_locate._positions(r["label"][rows[pick], cols[pick]]) == want).all()


@pytest.mark.parametrize("threads", [1, 2])
def test_chunks_and_projection_threads_equal_sjoin(threads, monkeypatch):
    # small chunks (so points, tiles and exact tests straddle chunk boundaries), a raster
    # with busy tiles, points given in lon/lat and projected in two halves: sjoin's answer
    monkeypatch.setattr(_locate, "_CHUNK", 7_001)
    monkeypatch.setattr(join, "_CHUNK", 5_003)
    monkeypatch.setattr(_locate, "_RASTER_MIN_POINTS", 1_000)
    monkeypatch.setattr(_locate, "_MAX_CELLS", 60 * 60)
    monkeypatch.setattr(_locate, "_TILE", 8)
    monkeypatch.setattr(_locate, "_TILE_MIN_POINTS", 200)
    monkeypatch.setattr("hotspots.areas.project._SPLIT_MIN", 1_000)
    monkeypatch.setattr(_locate, "THREADS", threads)
    rng = np.random.default_rng(5)
    seeds = shapely.multipoints(rng.uniform(530_000, 532_000, (80, 2)) + [0, -350_000])
    frame = box(530_000, 180_000, 532_000, 182_000)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(
        seeds, extend_to=frame)), frame)
    layer = gpd.GeoDataFrame({"area_code": [f"W{i:02d}" for i in rng.permutation(80)]},
                             geometry=cells, crs="EPSG:27700")
    pts = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(529_900, 532_100, 40_000),
                                           rng.uniform(179_900, 182_100, 40_000)),
                        crs="EPSG:27700").to_crs(4326)
    recs = pd.DataFrame({"source": "t", "source_row": np.arange(2, 40_002),
                         "x": pts.x.to_numpy(), "y": pts.y.to_numpy()})
    recs.loc[[5, 7_001, 20_000], ["x", "y"]] = np.nan  # rows without a location
    assigned, rec = join.points_to_areas(recs, layer, crs="EPSG:4326")
    loc = next(iter(_locate._CACHE.values()))
    assert loc.label is not None and any(t is not None for t in loc.raster["tiles"].values())
    geo = gpd.GeoDataFrame(recs[["source_row"]], crs="EPSG:4326",
                           geometry=gpd.points_from_xy(recs["x"], recs["y"])).to_crs(27700)
    hits = gpd.sjoin(geo[~geo.geometry.is_empty], layer, predicate="intersects")
    want = hits.sort_values("area_code").groupby("source_row")["area_code"].first()
    got = assigned.set_index("source_row")["area_code"].sort_index()
    assert got.index.tolist() == want.index.tolist()
    assert (got == want).all()
    assert rec.unlocated == 3 and rec.assigned + rec.outside + 3 == len(recs)
