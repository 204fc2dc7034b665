"""The fast grid path (issue 18) gives exactly what the polygon-by-polygon path gave.

``make_grid`` decides cells from the study area's boundary and their centres
(:mod:`hotspots.patrol.lattice`) instead of testing every lattice polygon; points are
projected once per distinct pair through a hash table; counts go by position; a grid's
weights are remembered by its cell ids and centres. Each is checked here against the
plain shapely / pandas / scipy computation it replaces, and on real data (South Wales
police.uk over three council areas' LSOAs) against digests of the outputs of the code
before the change (commit b3cef23): the same cells, counts and Gi* z, p, q and classes.
"""

from __future__ import annotations

import hashlib

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Point, Polygon, box

from hotspots import io
from hotspots._errors import InputDataError
from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as grid
from hotspots.patrol import lattice
from hotspots.stats import weights


def _reference_cells(spec: grid.GridSpec, area: shapely.Geometry) -> pd.DataFrame:
    """Every lattice polygon tested against the area (the path before issue 18)."""
    row, col = np.divmod(np.arange(spec.n_rows * spec.n_cols), spec.n_cols)
    polys = spec.polygons(row, col)
    shapely.prepare(area)
    full = shapely.contains_properly(area, polys)
    cut = shapely.intersects(area, polys) & ~full
    clipped = np.where(cut, shapely.intersection(polys, area), polys)
    for i in np.flatnonzero(shapely.get_type_id(clipped) == 7):  # polygonal parts only
        parts = [p for p in shapely.get_parts(clipped[i]) if shapely.get_type_id(p) in (3, 6)]
        clipped[i] = shapely.union_all(parts) if parts else Polygon()
    keep = full | (cut & (shapely.area(clipped) > 0))
    return pd.DataFrame({"row": row[keep], "col": col[keep], "full": full[keep],
                         "geometry": clipped[keep]})


def _shapes() -> dict[str, gpd.GeoDataFrame]:
    # a ring with a hole whose edges run along grid lines, a diagonal sliver, a star
    # (many cut cells), two parts, and a collection of a polygon and a line
    ring = box(0, 0, 1500, 1200).difference(box(300, 300, 900, 750))
    star = Polygon([(750 + r * np.cos(a), 600 + r * np.sin(a)) for a, r in
                    zip(np.linspace(0, 2 * np.pi, 41)[:-1], [700, 260] * 20, strict=True)])
    sliver = Polygon([(0, 0), (1700, 20), (1700, 60)])
    two = shapely.union(box(0, 0, 450, 450), box(1050, 600, 1600, 1000))
    return {name: gpd.GeoDataFrame(geometry=[g], crs="EPSG:27700").translate(530_100, 180_000)
            for name, g in (("ring", ring), ("star", star), ("sliver", sliver), ("two", two))}


@pytest.mark.parametrize("shape", ["square", "hex"])
@pytest.mark.parametrize("name", ["ring", "star", "sliver", "two"])
def test_cells_equal_testing_every_lattice_polygon(name, shape):
    area_frame = _shapes()[name]
    g, spec = grid.make_grid(area_frame, shape=shape, cell_size=100)
    ref = _reference_cells(spec, area_frame.geometry.iloc[0])
    assert g["row"].tolist() == ref["row"].tolist() and g["col"].tolist() == ref["col"].tolist()
    assert g["full"].tolist() == ref["full"].tolist()
    got = np.asarray(g.geometry.array, dtype=object)
    assert shapely.equals_exact(got, ref["geometry"].to_numpy(), tolerance=0).all()
    assert (~g["full"]).any() and (g["full"].any() or name == "sliver")  # both kinds


def test_candidate_windows_cover_every_cell_the_boundary_meets():
    rng = np.random.default_rng(5)
    for shape in ("square", "hex"):
        for _ in range(20):
            pts = rng.uniform(0, 2000, (12, 2))
            area = shapely.convex_hull(shapely.multipoints(pts)).buffer(rng.uniform(0, 90))
            g, spec = grid.make_grid(gpd.GeoDataFrame(geometry=[area], crs="EPSG:27700"),
                                     shape=shape, cell_size=120)
            row, col = np.divmod(np.arange(spec.n_rows * spec.n_cols), spec.n_cols)
            meets = shapely.intersects(area.boundary, spec.polygons(row, col))
            cand = lattice.boundary_candidates(area.boundary, shape, spec.size, spec.origin,
                                               spec.n_rows, spec.n_cols)
            assert meets.any() and not (meets & ~cand).any()
            assert cand.sum() < len(cand)  # a window, not every cell


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_every_cell_is_a_candidate_when_the_windows_would_be_too_many(monkeypatch, shape):
    area_frame = _shapes()["star"]
    fast, _ = grid.make_grid(area_frame, shape=shape, cell_size=100)
    monkeypatch.setattr(lattice, "MAX_CANDIDATES_PER_CELL", 0)
    monkeypatch.setattr(lattice, "MIN_WINDOWS_CAP", 0)
    spec = fast.attrs["grid_spec"]
    boundary = area_frame.geometry.iloc[0].boundary
    assert lattice.boundary_candidates(boundary, shape, spec.size, spec.origin, spec.n_rows,
                                       spec.n_cols).all()
    every, _ = grid.make_grid(area_frame, shape=shape, cell_size=100)
    assert every["cell_id"].tolist() == fast["cell_id"].tolist()
    assert every["full"].tolist() == fast["full"].tolist()
    assert shapely.equals_exact(np.asarray(every.geometry.array, dtype=object),
                                np.asarray(fast.geometry.array, dtype=object), tolerance=0).all()


def test_counts_by_position_equal_a_groupby_and_refuse_unknown_or_missing_ids():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 900, 600)], crs="EPSG:27700")
    g, _ = grid.make_grid(area)
    rng = np.random.default_rng(1)
    recs = pd.DataFrame({"cell_id": rng.choice(g["cell_id"].to_numpy()[:-3], 500)})
    got = grid.counts_by_cell(recs, g)
    ref = recs.groupby("cell_id").size().reindex(g["cell_id"], fill_value=0)
    assert got["cell_id"].tolist() == g["cell_id"].tolist()
    assert got["count"].tolist() == ref.tolist() and got["count"].dtype == "int64"
    assert got["count"].iloc[-3:].tolist() == [0, 0, 0]
    with pytest.raises(InputDataError, match="1 cell ids are not in the grid"):
        grid.counts_by_cell(pd.DataFrame({"cell_id": ["sq150_r999_c999"]}), g)
    with pytest.raises(InputDataError, match="not in the grid"):
        grid.counts_by_cell(pd.DataFrame({"cell_id": [g["cell_id"].iloc[0], None]}), g)


def test_points_get_the_cell_their_point_lies_in_through_the_hash_table():
    area = gpd.GeoDataFrame(geometry=[Point(530_500, 180_500).buffer(400)], crs="EPSG:27700")
    g, _ = grid.make_grid(area)
    rng = np.random.default_rng(2)
    e = rng.uniform(530_000, 531_000, 400).round(-1)  # snapped: many repeated points
    n = rng.uniform(180_000, 181_000, 400).round(-1)
    recs = pd.DataFrame({"source": "f", "source_row": range(2, 402), "x": e, "y": n})
    out, rec = grid.points_to_cells(recs, g, crs="EPSG:27700")
    assert rec.rows_in == rec.assigned + rec.outside == 400 and 0 < rec.assigned < 400
    assert out["cell_id"].dtype == g["cell_id"].dtype
    cells = g.set_index("cell_id").geometry
    geoms = np.asarray(cells.loc[out["cell_id"]].array, dtype=object)
    assert shapely.intersects(geoms, shapely.points(out["easting"], out["northing"])).all()
    inside = shapely.intersects(area.geometry.iloc[0], shapely.points(e, n))
    assert rec.assigned == int(inside.sum())


def test_grid_weights_are_remembered_by_ids_and_centres_and_equal_a_kdtree():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 1500, 900).difference(box(600, 300, 750, 450))],
                            crs="EPSG:27700")
    g, _ = grid.make_grid(area)
    patrol.grid_weights_cache_clear()
    weights.weights_cache_clear()
    sw = patrol.grid_weights(g)
    again, _ = grid.make_grid(area)  # another frame, the same cells
    assert patrol.grid_weights(again) is sw
    assert patrol.grid_weights(g, band=400.0) is not sw
    xy = g[["centre_x", "centre_y"]].to_numpy()
    pairs = cKDTree(xy).query_pairs(225.0, output_type="ndarray")
    ref = np.zeros((len(g), len(g)), dtype=int)
    ref[pairs[:, 0], pairs[:, 1]] = ref[pairs[:, 1], pairs[:, 0]] = 1
    assert (sw.adjacency.toarray() == ref).all() and sw.n_neighbours.max() == 8
    patrol.grid_weights_cache_clear()
    assert patrol.grid_weights(g) is sw  # rebuilt through build_weights' own cache
    moved = again.assign(centre_x=again["centre_x"] + 1.0)
    assert patrol.grid_weights(moved) is not sw


def test_gi_star_on_a_grid_still_equals_esda():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 1500, 1500)], crs="EPSG:27700")
    g, _ = grid.make_grid(area)
    rng = np.random.default_rng(3)
    y = pd.Series(rng.poisson(2, len(g)).astype(float), index=g["cell_id"])
    y.iloc[44:47] += 12  # a hot patch
    res = patrol.gi_star_cells(y, g, permutations=99, seed=1)
    sw = patrol.grid_weights(g)
    ref = esda.G_Local(y.reindex(sw.ids).to_numpy(), sw.w, transform="B", star=True,
                       permutations=0)
    assert np.allclose(res.frame["gi_z"].to_numpy(), ref.Zs, rtol=1e-12, atol=1e-12)
    assert res.frame.loc[y.index[45], "gi_class"].startswith("Hot")


# --------------------------------------------------------------------------- real data

#: Digests of cells, counts, placed records and Gi* (z, p and q under both inferences,
#: classes) on the sample below, from the code before issue 18 (commit b3cef23).
BEFORE = {"square": "9378348e8e561a75", "hex": "740d577fe4872865"}


def _digest(counts: pd.DataFrame, frame: pd.DataFrame, assigned: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update("\n".join(f"{c},{n}" for c, n in zip(counts["cell_id"], counts["count"],
                                                   strict=True)).encode())
    for col in ("gi_z", "gi_p_normal", "gi_q_normal", "gi_p_perm", "gi_q_perm"):
        h.update("|".join(f"{v:.12g}" for v in frame[col].to_numpy()).encode())
    h.update("|".join(frame["gi_class"].astype(str)).encode())
    h.update("|".join(f"{s}:{r}:{c}" for s, r, c in zip(
        assigned["source"], assigned["source_row"], assigned["cell_id"], strict=True)).encode())
    return h.hexdigest()[:16]


@pytest.fixture(scope="module")
def south_wales(shared_data):
    where = " OR ".join(f"LSOA21NM LIKE '{p} %'" for p in
                        ("Cardiff", "Vale of Glamorgan", "Rhondda Cynon Taf"))
    lsoa = gpd.read_file(shared_data / "lsoa_2021_england_wales_bgc" / "lsoa21_ew_bgc.gpkg",
                         where=where).to_crs("EPSG:27700")
    return lsoa, io.read_police_uk(shared_data / "police_uk_wales_2024-01_to_2024-04")


@pytest.mark.realdata
@pytest.mark.parametrize("shape", ["square", "hex"])
def test_real_grid_counts_and_gi_star_are_those_of_the_path_before(south_wales, shape):
    lsoa, res = south_wales
    assert len(lsoa) == 453 and res.rows_read == 66_647
    g, spec = grid.make_grid(lsoa, shape=shape)
    ref = _reference_cells(spec, shapely.union_all(lsoa.geometry.array))
    assert g["row"].tolist() == ref["row"].tolist() and g["full"].tolist() == ref["full"].tolist()
    out, rec = grid.points_to_cells(res.frame, g, rejected=res.rejected, source="wales")
    assert (rec.rows_in, rec.assigned, rec.unlocated, rec.outside, rec.rejected) == (
        66_647, 25_019, 1_344, 40_274, 10)
    counts = grid.counts_by_cell(out, g)
    gi = patrol.gi_star_cells(counts.set_index("cell_id")["count"], g, permutations=999, seed=3)
    assert int(gi.frame["gi_class"].str.startswith("Hot").sum()) == {"square": 1367,
                                                                     "hex": 1211}[shape]
    assert _digest(counts, gi.frame, out) == BEFORE[shape]
