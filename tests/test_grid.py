"""Grids: each point in one cell by the stated edge rules, reconciled; locator equals sjoin."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from hotspots._errors import CRSError, InputDataError
from hotspots.areas import join as join
from hotspots.areas import locate as _locate
from hotspots.patrol import grid as grid


def _records(xy, months=None) -> pd.DataFrame:
    return pd.DataFrame({
        "source": "f.csv", "source_row": range(2, 2 + len(xy)),
        "x": [p[0] for p in xy], "y": [p[1] for p in xy],
        "month": months if months is not None else ["2020-01"] * len(xy),
    })


@pytest.fixture
def rect() -> gpd.GeoDataFrame:
    # 3 x 2 cells of 150 m, origin at a multiple of 150 m
    return gpd.GeoDataFrame(geometry=[box(300, 600, 750, 900)], crs="EPSG:27700")


def test_square_grid_cells_ids_and_spec(rect):
    g, spec = grid.make_grid(rect)
    assert spec.rule == "150 m, default" and spec.origin == (300.0, 600.0)
    assert g["cell_id"].tolist() == [f"sq150_r00{r}_c00{c}" for r in (0, 1) for c in (0, 1, 2)]
    assert np.allclose(g["cell_area_m2"], 22_500)
    assert g.crs.to_epsg() == 27700
    first = g.iloc[0]
    assert (first["centre_x"], first["centre_y"]) == (375.0, 675.0)
    # lon/lat is the centre in EPSG:4326 (checked in London, inside the grid's datum area)
    london, _ = grid.make_grid(rect.set_geometry(rect.translate(530_100, 180_000)))
    c = london.iloc[0]
    back = gpd.GeoSeries(gpd.points_from_xy([c["lon"]], [c["lat"]]), crs=4326).to_crs(27700)
    assert abs(back.x[0] - c["centre_x"]) < 1e-3 and abs(back.y[0] - c["centre_y"]) < 1e-3
    assert abs(c["lat"] - 51.5) < 0.1 and abs(c["lon"] + 0.1) < 0.1


def test_square_points_edges_outside_unlocated_rejected(rect):
    g, spec = grid.make_grid(rect)
    pts = [(460, 700)] * 5 + [(700, 850), (700, 820),  # densest: r0 c1; r1 c2 has 2
           (450, 650),   # on the c0|c1 edge -> east cell c1
           (600, 750),   # corner of 4 cells -> north-east cell r1 c2
           (300, 600),   # south-west corner of the study area -> r0 c0
           (750, 700),   # on the area's east edge: lattice cell c3 has no area -> touching c2
           (800, 700), (np.nan, np.nan)]
    rejected = pd.DataFrame({"source": ["f.csv"], "source_row": [99], "reason": ["bad month"]})
    out, rec = grid.points_to_cells(_records(pts), g, crs="EPSG:27700", rejected=rejected)
    got = (rec.rows_in, rec.assigned, rec.unlocated, rec.outside, rec.rejected)
    assert got == (14, 11, 1, 1, 1)
    cells = dict(zip(out["source_row"], out["cell_id"], strict=True))
    assert cells[9] == "sq150_r000_c001" and cells[10] == "sq150_r001_c002"
    assert cells[11] == "sq150_r000_c000" and cells[12] == "sq150_r000_c002"
    counts = grid.counts_by_cell(out, g)
    assert counts["count"].sum() == rec.assigned == len(out)
    assert counts.set_index("cell_id")["count"].idxmax() == "sq150_r000_c001"
    assert counts.set_index("cell_id").loc["sq150_r000_c001", "count"] == 6
    assert counts.set_index("cell_id").loc["sq150_r001_c002", "count"] == 3
    assert (counts["count"] == 0).sum() == 2  # zero cells are listed
    assert set(rec.details["status"]) == {"outside", "unlocated", "rejected"}
    assert np.allclose(out["easting"].iloc[0], 460)


def test_clipped_grid_points_outside_the_area_are_outside():
    tri = gpd.GeoDataFrame(geometry=[Polygon([(-10, -10), (610, -10), (-10, 610)])],
                           crs="EPSG:27700")
    g, spec = grid.make_grid(tri)
    assert (~g["full"]).any() and g["full"].any()
    assert abs(g["cell_area_m2"].sum() - 620**2 / 2) < 1e-6
    rng = np.random.default_rng(1)
    xy = rng.uniform(-50, 650, (3000, 2))
    xy = np.vstack([xy, [[300, 300], [150, 450], [-10, -10], [610, -10], [0, 0]]])  # edges
    out, rec = grid.points_to_cells(_records(list(map(tuple, xy))), g, crs="EPSG:27700")
    inside = shapely.intersects(tri.geometry.iloc[0], shapely.points(xy))
    assert rec.assigned == inside.sum() and rec.outside == (~inside).sum()
    # every assigned point lies in (touches) its own clipped cell
    geo = g.set_index("cell_id").geometry
    pts = shapely.points(out["easting"], out["northing"])
    assert shapely.intersects(geo.loc[out["cell_id"]].to_numpy(), pts).all()


def test_hex_nearest_centre_and_edge_ties():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 1200, 900)], crs="EPSG:27700")
    g, spec = grid.make_grid(area, shape="hex", cell_size=150)
    full = g[g["full"]]
    assert np.allclose(full["cell_area_m2"], 22_500)  # same area as the 150 m square
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 1200, (5000, 2)) * [1, 0.75]
    out, rec = grid.points_to_cells(_records(list(map(tuple, xy))), g, crs="EPSG:27700")
    assert rec.assigned == 5000
    # brute force: nearest centre among all cells
    c = g[["centre_x", "centre_y"]].to_numpy()
    d = ((xy[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    assert (g["cell_id"].to_numpy()[d.argmin(1)] == out["cell_id"].to_numpy()).all()
    # a point on the shared edge of two neighbours (their midpoint) -> the lower cell_id
    a, b = full.iloc[0], full.iloc[1]
    mid = ((a.centre_x + b.centre_x) / 2, (a.centre_y + b.centre_y) / 2)
    one, _ = grid.points_to_cells(_records([mid]), g, crs="EPSG:27700")
    assert one["cell_id"].tolist() == [min(a.cell_id, b.cell_id)]


def test_densest_hex_cell_found():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 900, 900)], crs="EPSG:27700")
    g, spec = grid.make_grid(area, shape="hex")
    target = g[g["full"]].iloc[3]
    rng = np.random.default_rng(3)
    near = rng.normal(0, 20, (40, 2)) + [target.centre_x, target.centre_y]
    spread = rng.uniform(0, 900, (60, 2))
    out, rec = grid.points_to_cells(_records(list(map(tuple, np.vstack([near, spread])))), g,
                                    crs="EPSG:27700")
    counts = grid.counts_by_cell(out, g).set_index("cell_id")["count"]
    assert counts.idxmax() == target.cell_id and counts.sum() == rec.assigned == 100


def test_lonlat_records_and_month_table(rect):
    moved = rect.set_geometry(rect.translate(530_100, 180_000))
    g, spec = grid.make_grid(moved, cell_size=150)
    ll = gpd.GeoSeries(gpd.points_from_xy([530_500, 530_500, 530_800], [180_700, 180_700, 180_850]),
                       crs=27700).to_crs(4326)
    recs = _records(list(zip(ll.x, ll.y, strict=True)), months=["2020-01", "2020-03", "2020-03"])
    out, rec = grid.points_to_cells(recs, g)
    assert rec.assigned == 3
    wide = grid.counts_by_cell(out, g, by="month", columns=["2020-01", "2020-02", "2020-03"])
    assert list(wide.columns) == ["2020-01", "2020-02", "2020-03"]
    assert wide.index.tolist() == g["cell_id"].tolist()
    assert wide.to_numpy().sum() == 3 and wide["2020-02"].sum() == 0
    assert wide.dtypes.unique().tolist() == [np.dtype("int64")]
    harm = grid.counts_by_cell(out.assign(w=[1.5, 2.0, 4.0]), g, weights="w")
    assert harm["count"].sum() == 7.5


def test_geographic_crs_and_bad_options_refused(rect):
    with pytest.raises(CRSError, match="to_crs"):
        grid.make_grid(rect.to_crs(4326))
    with pytest.raises(CRSError):
        grid.make_grid(rect.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="cell_size"):
        grid.make_grid(rect, cell_size=-5)
    with pytest.raises(ValueError, match="shape"):
        grid.make_grid(rect, shape="triangle")
    g, _ = grid.make_grid(rect)
    with pytest.raises(InputDataError):
        grid.counts_by_cell(pd.DataFrame({"cell_id": ["nope"]}), g)


def test_auto_cell_size_rule_is_announced_and_clamped():
    small = gpd.GeoDataFrame(geometry=[box(0, 0, 3000, 2000)], crs="EPSG:27700")
    _, spec = grid.make_grid(small, cell_size="auto")
    assert spec.size == 50.0 and spec.rule.startswith("auto: 50 m") and "/ 50" in spec.rule
    mid = gpd.GeoDataFrame(geometry=[box(0, 0, 9000, 6100)], crs="EPSG:27700")
    _, spec = grid.make_grid(mid, cell_size="auto")
    assert spec.size == 120.0  # 6,100 / 50 = 122 -> 120
    big = gpd.GeoDataFrame(geometry=[box(0, 0, 40_000, 30_000)], crs="EPSG:27700")
    _, spec = grid.make_grid(big, cell_size="auto")
    assert spec.size == 250.0


def test_method_note_mentions_snapping():
    assert "snapped" in grid.METHOD_NOTE and "map points" in grid.METHOD_NOTE


# --------------------------------------------------------------------------- locator


def _sjoin_codes(x, y, areas) -> np.ndarray:
    pts = gpd.GeoDataFrame({"_i": np.arange(len(x))}, geometry=gpd.points_from_xy(x, y),
                           crs=areas.crs)
    hits = gpd.sjoin(pts, areas[["area_code", "geometry"]], how="left", predicate="intersects")
    hits = hits.sort_values(["_i", "area_code"], na_position="last", kind="stable")
    hits = hits.drop_duplicates("_i").set_index("_i").sort_index()
    return hits["area_code"].to_numpy(dtype=object)


def _voronoi_areas(seed: int, n: int = 60) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.uniform(0, 2000, (n, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box(0, 0, 2000, 2000)))
    cells = shapely.intersection(cells, box(0, 0, 2000, 2000))
    codes = [f"A{i:03d}" for i in rng.permutation(len(cells))]
    layer = gpd.GeoDataFrame({"area_code": codes}, geometry=cells, crs="EPSG:27700")
    # a hole with an enclave inside it, and an overlapping polygon
    big = layer.geometry.iloc[0]
    c = big.representative_point()
    enclave = c.buffer(15)
    layer.loc[0, "geometry"] = big.difference(enclave)
    extra = gpd.GeoDataFrame({"area_code": ["A000x", "0OVER"]},
                             geometry=[enclave, box(900, 900, 1300, 1250)], crs="EPSG:27700")
    return pd.concat([layer, extra], ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_locator_equals_sjoin_random_edges_and_vertices(seed, monkeypatch):
    monkeypatch.setattr(_locate, "_RASTER_MIN_POINTS", 1_000)
    areas = _voronoi_areas(seed)
    rng = np.random.default_rng(seed + 10)
    x = rng.uniform(-100, 2100, 40_000)
    y = rng.uniform(-100, 2100, 40_000)
    v = shapely.get_coordinates(areas.geometry.values)
    mids = (v[:-1] + v[1:]) / 2  # midpoints of edges (on boundaries, some off)
    x = np.r_[x, v[:, 0], mids[:, 0], x[:100]]  # and repeated points
    y = np.r_[y, v[:, 1], mids[:, 1], y[:100]]
    loc = _locate.build_locator(areas.geometry.values, areas["area_code"].to_numpy())
    pos = _locate.locate_points(loc, x, y)
    assert loc.label is not None  # the raster path was used
    codes = areas["area_code"].to_numpy()
    ours = np.where(pos >= 0, codes[np.maximum(pos, 0)], None)
    ref = _sjoin_codes(x, y, areas)
    ref = np.where(pd.isna(ref), None, ref)
    assert (ours == ref).all()
    assert (pos == -1).any() and (ours == "0OVER").any() and (ours == "A000x").any()


def test_points_to_areas_uses_locator_and_matches_sjoin():
    areas = _voronoi_areas(5)
    rng = np.random.default_rng(7)
    # snapped like police.uk: 25,000 rows on 3,000 map points
    pts = rng.uniform(0, 2000, (3000, 2))[rng.integers(0, 3000, 25_000)]
    recs = _records(list(map(tuple, pts)))
    out, rec = join.points_to_areas(recs, areas, crs="EPSG:27700")
    ref = _sjoin_codes(pts[:, 0], pts[:, 1], areas)
    assert rec.assigned == pd.notna(ref).sum() == len(out)
    assert (out["area_code"].to_numpy() == ref[pd.notna(ref)]).all()


def _voronoi(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    pts = shapely.multipoints(rng.random((n, 2)) * 3000)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box(0, 0, 3000, 3000)))
    return gpd.GeoDataFrame(geometry=shapely.intersection(cells, box(0, 0, 3000, 3000)),
                            crs="EPSG:27700")


def test_a_coverage_is_dissolved_without_the_general_union(monkeypatch):
    layer = _voronoi(300, seed=5)
    reference = shapely.union_all(layer.geometry.to_numpy())
    slow = []
    real = shapely.union_all
    monkeypatch.setattr(shapely, "union_all", lambda g, *a, **k: slow.append(1) or real(g))
    g, _ = grid.make_grid(layer)
    assert not slow  # the coverage union did it
    monkeypatch.setattr(shapely, "union_all", real)
    area = grid._union(layer.geometry.to_numpy())
    assert area.is_valid and shapely.equals(area, reference)
    assert abs(area.area - 3000 * 3000) < 1e-6
    assert abs(g["cell_area_m2"].sum() - 3000 * 3000) < 1e-3  # the grid covers it all


def test_overlaps_and_unmatched_edges_take_the_general_union():
    overlap = np.array([box(0, 0, 300, 300), box(150, 0, 450, 300)])
    t_junction = np.array([box(0, 0, 300, 300),
                           Polygon([(300, 0), (600, 0), (600, 300), (300, 300), (300, 150)])])
    lines = np.array([box(0, 0, 300, 300), shapely.LineString([(0, 0), (900, 900)])])
    for geoms in (overlap, t_junction, lines):
        got = grid._union(geoms)
        assert got.is_valid and shapely.equals(got, shapely.union_all(geoms))
    assert grid._union(overlap).area == 450 * 300


def test_cell_centres_in_lonlat_are_exactly_geopandas_to_crs():
    g, _ = grid.make_grid(_voronoi(50, seed=2))
    ll = gpd.GeoSeries(gpd.points_from_xy(g["centre_x"], g["centre_y"]),
                       crs="EPSG:27700").to_crs("EPSG:4326")
    assert len(g) > 300
    assert np.array_equal(g["lon"].to_numpy(), ll.x.to_numpy())
    assert np.array_equal(g["lat"].to_numpy(), ll.y.to_numpy())
