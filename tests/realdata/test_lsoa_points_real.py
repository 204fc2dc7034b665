"""The shipped LSOA points (boundaries/data/lsoa_points.csv.gz) against ONS's own sources."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from boundaries import lsoapoints
from hotspots.areas.lsoa import VINTAGE_UNKNOWN, lsoa_lookup

pytestmark = pytest.mark.realdata

LSOA11 = "lsoa_2011_england_wales_bgc/lsoa11_ew_bgc.gpkg"
LSOA21 = "lsoa_2021_england_wales_bgc/lsoa21_ew_bgc.gpkg"
LOOKUP = ("lookups/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2"
          ".csv.gz")


def test_shipped_lsoa_points_are_the_derived_ones(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "lsoa_points.csv.gz"
    assert lsoapoints.main([str(shared_data / LSOA11), str(shared_data / LSOA21),
                            "--out", str(out)]) == 0
    assert out.read_bytes() == lsoapoints.LSOA_POINTS_PATH.read_bytes()


def test_london_lsoas_land_in_the_wards_ons_assigns_them(shared_data: Path, demo_dir: Path):
    """Independent reference: ONS's LSOA21 -> 2025 ward best-fit lookup. ONS fits by
    population-weighted centroids, we by a point on the LSOA's surface: they agree for 95.7%
    of London's 4,994 LSOAs (the rest straddle a ward boundary), and every LSOA is placed."""
    ons = pd.read_csv(shared_data / LOOKUP, dtype=str, encoding="utf-8-sig")
    ons = ons[ons["LAD25CD"].str.startswith("E09")]
    wards = gpd.read_file(demo_dir / "wards.geojson").to_crs(27700)
    ours = lsoa_lookup(ons["LSOA21CD"], wards).set_index("lsoa_code")["area_code"]
    same = (ours.reindex(ons["LSOA21CD"]).to_numpy() == ons["WD25CD"].to_numpy())
    assert len(ons) == 4_994 and ours.notna().all()
    assert 0.95 < same.mean() < 1.0, same.mean()


def test_vintages_and_unknown_codes():
    wards = gpd.read_file(Path(__file__).resolve().parents[2] / "data" / "demo"
                          / "wards.geojson").to_crs(27700)
    out = lsoa_lookup(pd.Series(["E01000001", " e01000010 ", "E01999999", None, ""]), wards)
    got = dict(zip(out["lsoa_code"], out["vintage"], strict=True))
    assert got == {"E01000001": "2011+2021", "E01000010": "2011", "E01999999": VINTAGE_UNKNOWN}
    assert out.set_index("lsoa_code").loc["E01999999", "area_code"] is pd.NA
