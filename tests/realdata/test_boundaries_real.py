"""Real-data checks of boundaries.load / web / lookups / deprivation on ../shared/data.

Figures asserted here were measured on the shared data (see each folder's PROVENANCE.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely

from boundaries.deprivation import read_imd, read_imd_population
from boundaries.load import read_boundaries
from boundaries.lookups import read_lsoa_ward_lookup
from boundaries.web import coverage_gaps, geojson_bytes, web_layer
from hotspots._errors import InputDataError

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def wards_2025(shared_data: Path):  # type: ignore[no-untyped-def]
    return read_boundaries(shared_data / "london_wards_2025_ons_bgc" / "london_wd25_bgc.gpkg")


def test_wards_2025(wards_2025) -> None:  # type: ignore[no-untyped-def]
    areas, report = wards_2025
    assert len(areas) == 704 and areas.crs.to_epsg() == 27700
    assert areas["area_code"].is_unique and areas["borough_code"].nunique() == 33
    assert (areas["vintage"] == "ons_wards_2025").all()
    assert areas.is_valid.all() and not report.errors()
    assert "reprojected from EPSG:4326" in report.to_text()


@pytest.mark.parametrize(("layer", "rows"), [("London_Ward", 657), ("London_Ward_CityMerged", 633)])
def test_wards_2018(shared_data: Path, layer: str, rows: int) -> None:
    areas, report = read_boundaries(shared_data / "london_wards_2018" / "london_wards_2018.gpkg",
                                    layer=layer)
    assert len(areas) == rows and areas.crs.to_epsg() == 27700
    assert (areas["vintage"] == "gla_wards_2018").all()
    assert not [p for p in report if p.severity != "info"]


def test_wards_2018_needs_layer(shared_data: Path) -> None:
    with pytest.raises(InputDataError, match="2 layers: London_Ward, London_Ward_CityMerged"):
        read_boundaries(shared_data / "london_wards_2018" / "london_wards_2018.gpkg")


def test_wards_2018_mapinfo_original(shared_data: Path) -> None:
    path = shared_data / "london_wards_2018" / "original_mapinfo" / "London_Ward_CityMerged.tab"
    areas, _ = read_boundaries(path)
    assert len(areas) == 633 and areas.crs.to_epsg() == 27700


def test_wards_2014_two_repairs(shared_data: Path) -> None:
    areas, report = read_boundaries(shared_data / "london_wards_2014" / "london_wards_2014.gpkg",
                                    layer="London_Ward")
    assert len(areas) == 654 and areas.is_valid.all()
    repairs = [p.what for p in report if "make_valid" in p.what]
    assert len(repairs) == 2
    assert "E05009392 (Colville)" in repairs[0] and "E05009400 (Pembridge)" in repairs[1]


def test_lsoa_2011_gla_esri_prj_accepted_as_bng(shared_data: Path) -> None:
    path = shared_data / "lsoa_2011_london_gla" / "LSOA_2011_London_gen_MHW.shp"
    areas, report = read_boundaries(path)
    assert len(areas) == 4835 and areas.crs.to_epsg() == 27700
    assert (areas["vintage"] == "lsoa_2011").all() and areas.is_valid.all()
    warnings = [p.what for p in report if p.severity == "warning"]
    assert any("treated as EPSG:27700" in w for w in warnings)
    assert sum("make_valid" in w for w in warnings) == 8


def test_lsoa_2021_and_lad_2022(shared_data: Path) -> None:
    folder = shared_data / "lsoa_2021_london_ons"
    lsoa, _ = read_boundaries(folder / "london-2021-lsoa-gen20.shp")
    lad, _ = read_boundaries(folder / "london-2021-lad22-gen20.shp")
    assert (len(lsoa), lsoa["vintage"].iat[0]) == (4994, "lsoa_2021")
    assert (len(lad), lad["vintage"].iat[0]) == (33, "lad_2022")
    assert lad["borough_code"].isna().all()


def test_gla_imd_ward_geojson(shared_data: Path) -> None:
    name = "deprivation_index_london_2019_wards_sdf.geojson.gz"
    path = shared_data / "imd2019_wards_london_gla" / name
    areas, _ = read_boundaries(f"/vsigzip/{path}")
    assert len(areas) == 633 and (areas["vintage"] == "gla_imd_wards_2018").all()


def test_web_layer_2025_wards(wards_2025) -> None:  # type: ignore[no-untyped-def]
    """Measured: 676,728 bytes at 20 m and 587,971 bytes at 50 m (3 properties, 5 dp).

    At 50 m, rounding closes the mouth of a piece of water that belongs to no ward
    (Deptford Creek, about 2,340 m²), which ``coverage_gaps`` then counts as an
    enclosed hole; at 20 m nothing is enclosed.
    """
    areas, _ = wards_2025
    web = web_layer(areas, tolerance_m=20.0)
    assert len(web) == 704 and web.crs.to_epsg() == 4326
    assert web.is_valid.all()
    assert shapely.coverage_is_valid(web.geometry.values)
    assert coverage_gaps(areas) < 1e-3
    assert coverage_gaps(web) < 1e-3
    size_20 = geojson_bytes(web)
    size_50 = geojson_bytes(web_layer(areas, tolerance_m=50.0))
    assert size_20 < 1_000_000
    assert 650_000 < size_20 < 700_000 and 560_000 < size_50 < size_20


def test_web_layer_2018_wards_under_1mb_at_50m(shared_data: Path) -> None:
    areas, _ = read_boundaries(shared_data / "london_wards_2018" / "london_wards_2018.gpkg",
                               layer="London_Ward")
    web = web_layer(areas, tolerance_m=50.0)
    assert web.is_valid.all() and coverage_gaps(web) < 1e-3
    assert geojson_bytes(web) < 1_000_000  # about 4.0 MB unsimplified


def test_ons_lookups(shared_data: Path) -> None:
    wd18 = read_lsoa_ward_lookup(shared_data / "lookups" / "LSOA11_WD18_LAD18_EW_LU_v3.csv.gz")
    assert len(wd18) == 34_753 and wd18["lsoa_code"].is_unique
    london = wd18[wd18["lsoa_code"].str.startswith("E01") &
                  wd18["borough_code"].str.startswith("E09")]
    assert len(london) == 4835 and london["area_code"].nunique() == 637
    wd25 = read_lsoa_ward_lookup(shared_data / "lookups" / (
        "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv.gz"))
    assert len(wd25) == 35_672 and wd25["lsoa_code"].iat[0] == "E01012152"  # BOM handled


def test_mhclg_and_gla_imd_agree(shared_data: Path) -> None:
    file1, report = read_imd(shared_data / "imd2019_lsoa_england" /
                             "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz")
    assert len(file1) == 32_844 and file1["imd_score"].isna().all()
    assert "no scores" in report.to_text()
    assert file1["imd_decile"].value_counts().between(3284, 3285).all()
    file2, _ = read_imd(shared_data / "imd2019_lsoa_england" /
                        "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
    pd.testing.assert_series_equal(file1["imd_rank"], file2["imd_rank"])
    gla, report = read_imd(shared_data / "imd2019_lsoa_london_gla" / "id2019_london_lsoa_imd.csv")
    assert len(gla) == 4835 and not report.errors()
    assert gla["imd_score"].between(2.326, 64.677).all()
    assert {f"imd_{d}_score" for d in ("income", "crime", "living_environment")} <= set(gla)
    joined = gla.merge(file1, on="lsoa_code", suffixes=("", "_mhclg"))
    assert len(joined) == 4835 and (joined["imd_rank"] == joined["imd_rank_mhclg"]).all()


def test_gla_workbook_matches_csv(shared_data: Path) -> None:
    folder = shared_data / "imd2019_lsoa_london_gla"
    csv, _ = read_imd(folder / "id2019_london_lsoa_imd.csv")
    xlsx, _ = read_imd(folder / "ID 2019 for London.xlsx")
    pd.testing.assert_frame_equal(csv, xlsx)


def test_population_denominators(shared_data: Path) -> None:
    file6 = read_imd_population(shared_data / "imd2019_lsoa_england" /
                                "File_6_-_IoD2019_Population_Denominators.csv.gz")
    assert file6["population"].sum() == 54_728_204
    gla = read_imd_population(shared_data / "imd2019_lsoa_london_gla" /
                              "id2019_london_lsoa_population.csv")
    assert len(gla) == 4835 and gla["population"].sum() == 8_662_622
