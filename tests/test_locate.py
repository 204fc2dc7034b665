"""hotspots._locate: raster + finer tiles + exact tests equal geopandas.sjoin.

Every test compares with ``geopandas.sjoin(predicate="intersects")`` followed by the
lowest-``area_code`` rule, on layers with shared edges, a hole with an enclave, an
overlapping polygon and a multipolygon, and on points where the fast paths could go
wrong: vertices, points interpolated along edges (within rounding of the boundary),
points on cell and tile borders, repeated points.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from hotspots.areas import locate as _locate


def _layer(seed: int, n: int = 80) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.uniform(0, 2000, (n, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box(0, 0, 2000, 2000)))
    cells = shapely.intersection(cells, box(0, 0, 2000, 2000))
    codes = [f"A{i:03d}" for i in rng.permutation(len(cells))]
    layer = gpd.GeoDataFrame({"area_code": codes}, geometry=cells, crs="EPSG:27700")
    big = layer.geometry.iloc[0]
    enclave = big.representative_point().buffer(25)
    layer.loc[0, "geometry"] = big.difference(enclave)  # a hole ...
    multi = shapely.MultiPolygon([box(2100, 0, 2200, 100), box(2300, 0, 2400, 100)])
    extra = gpd.GeoDataFrame(
        {"area_code": ["A000x", "0OVER", "ZMULTI"]},  # ... its enclave, an overlap, islands
        geometry=[enclave, box(900, 900, 1300, 1250), multi], crs="EPSG:27700")
    return pd.concat([layer, extra], ignore_index=True)


def _hard_points(layer: gpd.GeoDataFrame, rng: np.random.Generator, n: int):
    """Random points, every vertex, and points interpolated along every edge."""
    x = rng.uniform(-100, 2500, n)
    y = rng.uniform(-100, 2100, n)
    rings = shapely.get_rings(shapely.get_parts(layer.geometry.values))
    v, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = v[:-1][same], v[1:][same]
    t = rng.uniform(0, 1, (len(a), 1))
    on = a + t * (b - a)  # on an edge up to rounding: the tie rule and GEOS's decision
    return np.r_[x, v[:, 0], on[:, 0], x[:50]], np.r_[y, v[:, 1], on[:, 1], y[:50]]


def _sjoin_pos(x: np.ndarray, y: np.ndarray, layer: gpd.GeoDataFrame) -> np.ndarray:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=layer.crs)
    hits = gpd.sjoin(pts, layer[["area_code", "geometry"]], predicate="intersects")
    hits = hits.sort_values("area_code", kind="stable")
    first = hits[~hits.index.duplicated(keep="first")]
    out = np.full(len(x), -1, dtype=np.int64)
    out[first.index.to_numpy()] = first["index_right"].to_numpy()
    return out


@pytest.fixture(autouse=True)
def _fresh_cache():
    _locate._CACHE.clear()
    yield
    _locate._CACHE.clear()


@pytest.mark.parametrize(("seed", "threads"), [(0, 1), (3, 2)])
def test_tiles_and_raster_equal_sjoin(seed, threads, monkeypatch):
    # a coarse raster (few cells) with small tiles, so that the finer tiles do the work
    monkeypatch.setattr(_locate, "_RASTER_MIN_POINTS", 1_000)
    monkeypatch.setattr(_locate, "_MAX_CELLS", 60 * 60)
    monkeypatch.setattr(_locate, "_TILE", 8)
    monkeypatch.setattr(_locate, "_TILE_MIN_POINTS", 50)
    layer = _layer(seed)
    x, y = _hard_points(layer, np.random.default_rng(seed + 1), 40_000)
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    pos = _locate.locate_points(loc, x, y, threads=threads)
    built = [t for t in loc.raster["tiles"].values() if t is not None]
    assert loc.label is not None and len(built) >= 5
    # the finer tiles answered points the coarse raster left uncertain
    r = loc.raster
    coarse = _locate._Raster(*r["origin"], r["step"], r["label"], off=-1).lookup(x, y)
    unsure = coarse == -2
    assert (_locate._refine(loc, x[unsure], y[unsure]) >= 0).sum() > 1_000
    ref = _sjoin_pos(x, y, layer)
    assert (pos == ref).all()
    codes = layer["area_code"].to_numpy()
    hit = set(codes[pos[pos >= 0]])
    assert {"0OVER", "A000x", "ZMULTI"} <= hit and (pos == -1).any()


def test_boundary_cells_are_uncertain_and_certain_labels_exact(monkeypatch):
    monkeypatch.setattr(_locate, "_MAX_CELLS", 120 * 120)
    layer = _layer(1)
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    _locate._build_raster(loc)
    r = loc.raster
    raster = _locate._Raster(*r["origin"], r["step"], r["label"], off=-1)
    bx, by = _hard_points(layer, np.random.default_rng(9), 0)
    assert (raster.lookup(bx, by) == -2).all()  # every boundary point is uncertain
    # every certain cell's label is the exact answer at its centre and corners
    rows, cols = np.nonzero(r["label"] != 0)  # stored 0: uncertain
    x = r["origin"][0] + (cols + np.array([[0.5], [0.0], [1.0]])) * r["step"]
    y = r["origin"][1] + (rows + np.array([[0.5], [1.0], [0.0]])) * r["step"]
    x, y = x.ravel(), y.ravel()
    want = _locate._exact(loc, x, y)
    assert (np.tile(_locate._positions(r["label"][rows, cols]), 3) == want).all()
    assert (r["label"] >= 2).mean() > 0.3 and (r["label"] == 0).mean() < 0.5


def test_threads_give_the_same_answer():
    layer = _layer(2)
    x, y = _hard_points(layer, np.random.default_rng(4), 60_000)
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    one = _locate._exact(loc, x, y, threads=1)
    two = _locate._exact(loc, x, y, threads=2)
    assert (one == two).all()
    assert (one == _sjoin_pos(x, y, layer)).all()


def test_few_distinct_points_skip_the_raster():
    layer = _layer(5)
    rng = np.random.default_rng(6)
    distinct = rng.uniform(0, 2000, (300, 2))
    xy = distinct[rng.integers(0, 300, 300_000)]  # many rows, few distinct places
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    pos = _locate.locate_points(loc, xy[:, 0], xy[:, 1])
    assert loc.label is None
    assert (pos == _sjoin_pos(xy[:, 0], xy[:, 1], layer)).all()


def test_points_off_the_raster_and_negative_zero(monkeypatch):
    monkeypatch.setattr(_locate, "_RASTER_MIN_POINTS", 10)
    layer = gpd.GeoDataFrame({"area_code": ["B", "A"]},
                             geometry=[box(-10, -10, 0, 10), box(0, -10, 10, 10)],
                             crs="EPSG:27700")
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    x = np.r_[np.linspace(-1e6, 1e6, 50), -0.0, 0.0, 5.0, -5.0, 1e-300]
    y = np.r_[np.zeros(50), -0.0, 10.0, 10.0, -10.0, 0.0]
    pos = _locate.locate_points(loc, x, y)
    assert loc.label is not None
    assert (pos == _sjoin_pos(x, y, layer)).all()
    assert pos[50] == 1 and pos[51] == 1  # on the shared edge: "A" (position 1) wins
    assert (pos[np.abs(x) > 10] == -1).all()


def test_invalid_polygons_follow_sjoin(monkeypatch):
    # nested shells (a real E&W 2011 LSOA has them), a bow-tie and a self-overlapping ring:
    # GEOS's point-in-polygon answers differ between its own code paths here; ours must
    # be sjoin's (point.intersects(polygon)).
    monkeypatch.setattr(_locate, "_RASTER_MIN_POINTS", 1_000)
    monkeypatch.setattr(_locate, "_MAX_CELLS", 80 * 80)
    nested = shapely.MultiPolygon([box(0, 0, 400, 400), box(100, 100, 300, 300)])
    bowtie = shapely.Polygon([(500, 0), (900, 400), (900, 0), (500, 400)])
    loop = shapely.Polygon([(0, 500), (400, 500), (400, 900), (100, 600), (300, 600),
                            (0, 900)])
    layer = gpd.GeoDataFrame({"area_code": ["N", "B", "L", "Z"]},
                             geometry=[nested, bowtie, loop, box(-50, -50, 1000, 1000)],
                             crs="EPSG:27700")
    assert not shapely.is_valid(layer.geometry.values[:3]).any()
    rng = np.random.default_rng(11)
    x, y = rng.uniform(-100, 1100, 30_000), rng.uniform(-100, 1100, 30_000)
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    pos = _locate.locate_points(loc, x, y)
    assert loc.label is not None
    ref = _sjoin_pos(x, y, layer)
    assert (pos == ref).all()
    assert {0, 1, 2, 3} <= set(pos.tolist())


def test_every_labelled_tile_cell_is_exact(monkeypatch):
    # tiles see only the polygons whose boxes meet them: a label passed on from a cell at
    # a tile's edge must still be the exact answer everywhere in the cell
    monkeypatch.setattr(_locate, "_RASTER_MIN_POINTS", 1_000)
    monkeypatch.setattr(_locate, "_MAX_CELLS", 40 * 40)
    monkeypatch.setattr(_locate, "_TILE", 4)
    monkeypatch.setattr(_locate, "_TILE_MIN_POINTS", 1)
    layer = _layer(7, n=150)
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    rng = np.random.default_rng(8)
    _locate.locate_points(loc, rng.uniform(0, 2000, 20_000), rng.uniform(0, 2000, 20_000))
    tiles = [t for t in loc.raster["tiles"].values() if t is not None]
    assert len(tiles) >= 50
    checked = 0
    for t in tiles:
        rows, cols = np.nonzero(t.label != 0)
        x = t.x0 + (cols + np.array([[0.5], [0.0], [1.0]])) * t.step
        y = t.y0 + (rows + np.array([[0.5], [1.0], [0.0]])) * t.step
        want = _locate._exact(loc, x.ravel(), y.ravel())
        got = np.tile(_locate._positions(t.label[rows, cols], t.polys), 3)
        assert (got == want).all()
        checked += len(rows)
    assert checked > 10_000


@pytest.mark.parametrize("gap", [0.05, 0.3, 0.55, 0.8])
def test_edge_just_beyond_a_raster_does_not_leak_in(gap):
    # B's lower edge lies a fraction of a cell above the raster: its pieces are not
    # marked, and Pillow may still paint B into the raster's top row
    h = 10.0
    a = box(-50, -50, 150, 100 + gap * h)
    b = box(-50, 100 + gap * h, 150, 300)
    layer = gpd.GeoDataFrame({"area_code": ["Z", "A"]}, geometry=[a, b], crs="EPSG:27700")
    loc = _locate.build_locator(layer.geometry.values, layer["area_code"].to_numpy())
    label = _locate._rasterise(loc, np.array([0, 1]), 0.0, 0.0, 10, 10, h)
    rows, cols = np.nonzero(label != 0)
    assert len(rows) > 20
    x, y = (cols + 0.5) * h, (rows + 0.5) * h
    assert (_locate._positions(label[rows, cols]) == _locate._exact(loc, x, y)).all()
