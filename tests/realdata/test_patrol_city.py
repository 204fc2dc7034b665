"""All 36 City of London police.uk months on a 150 m grid: reconciled, counted, Gi* runs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspots import io
from hotspots.areas import join as join
from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as grid
from hotspots.patrol import harm

pytestmark = pytest.mark.realdata

POLICE = "police_uk_city_of_london_2017-12_to_2020-11"


@pytest.fixture(scope="module")
def city(shared_data, demo_dir):
    res = io.read_police_uk(shared_data / POLICE)
    wards = gpd.read_file(demo_dir / "wards.geojson")
    area = wards[wards["borough_code"] == "E09000001"].to_crs("EPSG:27700")
    return res, area


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_city_grid_reconciled_and_counted(city, shape):
    res, area = city
    g, spec = grid.make_grid(area, shape=shape)
    assert spec.rule == "150 m, default"
    assert abs(g["cell_area_m2"].sum() - area.area.sum()) < 1.0
    out, rec = grid.points_to_cells(res.frame, g, rejected=res.rejected, source="city")
    assert rec.rows_in == 24_750 == res.rows_read
    assert rec.assigned + rec.unlocated + rec.outside + rec.rejected == rec.rows_in
    # the same points against the City as one polygon by the area join (sjoin-equal)
    city_poly = gpd.GeoDataFrame({"area_code": ["CITY"]}, geometry=[area.union_all()],
                                 crs="EPSG:27700")
    inside, rec2 = join.points_to_areas(res.frame, city_poly, crs="EPSG:4326")
    assert rec.assigned == rec2.assigned and rec.outside == rec2.outside
    assert out["source"].astype(str).add(out["source_row"].astype(str)).is_unique
    counts = grid.counts_by_cell(out, g)
    assert counts["count"].sum() == rec.assigned
    wide = grid.counts_by_cell(out, g, by="month")
    assert wide.shape == (len(g), 36) and wide.to_numpy().sum() == rec.assigned


def test_city_gi_star_kde_and_patrol_list(city):
    res, area = city
    g, spec = grid.make_grid(area)
    out, rec = grid.points_to_cells(res.frame, g, rejected=res.rejected, source="city")
    counts = grid.counts_by_cell(out, g).set_index("cell_id")["count"]
    gi = patrol.gi_star_cells(counts, g, permutations=999, seed=7)
    f = gi.frame
    assert len(f) == len(g) and f["gi_z"].notna().all() and f["gi_q"].between(0, 1).all()
    assert (f["gi_q"] >= f["gi_p"] - 1e-12).all()  # FDR never lowers a p-value
    assert set(f["gi_class"]) <= {"Not significant"} | {
        f"{s} {c}%" for s in ("Hot", "Cold") for c in (99, 95, 90)}
    top = counts.idxmax()
    assert gi.frame.loc[top, "gi_z"] > 0
    wide = grid.counts_by_cell(out, g, by="month")
    scorers = patrol.method_scorers(g, permutations=99, seed=1)
    for fn in scorers.values():
        s = fn(wide.iloc[:, :12])
        assert s.index.equals(pd.Index(g["cell_id"])) and np.isfinite(s).all()
    area_m2 = g.set_index("cell_id")["cell_area_m2"]
    sel = patrol.select_cells(scorers["counts"](wide), area_m2, area_share=0.05)
    assert area_m2.loc[sel].sum() >= 0.05 * area_m2.sum() > area_m2.loc[sel[:-1]].sum()
    pl = patrol.patrol_list(g, out, sel)
    assert pl["count"].sum() == counts.loc[sel].sum()
    assert pl["street"].str.startswith("On or near").all()
    weights = harm.harm_weights_for(out, harm.HARM_WEIGHTS_EXAMPLE)
    assert (weights > 0).all() and len(weights) == len(out)


def test_london_lsoas_dissolve_by_the_coverage_union_to_the_general_union(shared_data):
    import shapely

    lsoa = gpd.read_file(shared_data / "lsoa_2021_london_ons" / "london-2021-lsoa-gen20.shp")
    geoms = shapely.make_valid(lsoa.to_crs("EPSG:27700").geometry.to_numpy())
    fast = grid._union(geoms)
    slow = shapely.union_all(geoms)
    assert shapely.get_num_geometries(fast) == shapely.get_num_geometries(slow)
    assert shapely.equals(fast, slow)
    assert shapely.symmetric_difference(fast, slow).area < 1e-6
    assert fast.is_valid and abs(fast.area - shapely.area(geoms).sum()) < 1.0  # coverage path
