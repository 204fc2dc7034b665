"""Our IMD 2019 ward roll-up against the GLA's published ward figures (2018 wards).

GLA LSOA IMD 2019 scores, weighted by the IoD mid-2015 LSOA populations, are rolled up
to the 633 units of ``London_Ward_CityMerged`` two ways and compared with
``imd_average_score`` in ``imd2019_wards_london_gla/deprivation_index_london_2019_wards_df.csv``:

(a) through the ONS LSOA11 → WD18 best-fit lookup;
(b) through :func:`boundaries.lookups.assign_best_fit` (point on surface) on the GLA
    LSOA 2011 polygons.

The GLA did not use a best-fit assignment: its ``number_of_lsoas`` and ``population`` are
fractional for 144 wards (LSOAs split between wards). Where the GLA used whole LSOAs our
figures are identical; elsewhere they differ, which bounds the agreement.

The City of London: the ONS lookup assigns the City's 6 LSOAs to individual City wards,
while the merged layer and the GLA file have one City unit. That unit carries Castle
Baynard's ward code ``E05009297`` (not ``E09000001`` as the folder's PROVENANCE says), so
the test maps every lookup row whose borough is ``E09000001`` to the one area of the
layer whose ``borough_code`` is ``E09000001``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from boundaries.deprivation import read_imd, read_imd_population, rollup_imd
from boundaries.load import read_boundaries
from boundaries.lookups import assign_best_fit, read_lsoa_ward_lookup
from hotspots._validate import Report

pytestmark = pytest.mark.realdata

CITY = "E09000001"


@pytest.fixture(scope="module")
def inputs(shared_data: Path) -> dict[str, pd.DataFrame]:
    gla_lsoa = shared_data / "imd2019_lsoa_london_gla"
    imd, _ = read_imd(gla_lsoa / "id2019_london_lsoa_imd.csv")
    population = read_imd_population(gla_lsoa / "id2019_london_lsoa_population.csv")
    wards, _ = read_boundaries(shared_data / "london_wards_2018" / "london_wards_2018.gpkg",
                               layer="London_Ward_CityMerged")
    lsoas, _ = read_boundaries(shared_data / "lsoa_2011_london_gla" /
                               "LSOA_2011_London_gen_MHW.shp")
    gla = pd.read_csv(shared_data / "imd2019_wards_london_gla" /
                      "deprivation_index_london_2019_wards_df.csv", dtype={"ward_code": "str"})
    return {"imd": imd, "population": population, "wards": wards, "lsoas": lsoas, "gla": gla}


def ons_assignment(shared_data: Path, wards: pd.DataFrame) -> pd.DataFrame:
    """Return the ONS WD18 lookup for London with the City's wards merged into one unit."""
    lookup = read_lsoa_ward_lookup(shared_data / "lookups" / "LSOA11_WD18_LAD18_EW_LU_v3.csv.gz")
    lookup = lookup[lookup["borough_code"].str.match(r"E09\d{6}")]
    (city_unit,) = wards.loc[wards["borough_code"] == CITY, "area_code"]
    assert city_unit == "E05009297"
    in_city = lookup["borough_code"] == CITY
    assert in_city.sum() == 6 and lookup.loc[in_city, "area_code"].nunique() > 1
    return lookup.assign(area_code=lookup["area_code"].where(~in_city, city_unit))


def compare(inputs: dict[str, pd.DataFrame], assignment: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                                  Report]:
    """Roll up and join to the GLA ward table (633 rows both sides)."""
    report = Report()
    ours = rollup_imd(inputs["imd"], assignment, population=inputs["population"],
                      areas=inputs["wards"], report=report)
    joined = ours.merge(inputs["gla"], left_on="area_code", right_on="ward_code",
                        how="outer", indicator=True, validate="one_to_one")
    assert (joined["_merge"] == "both").all() and len(joined) == 633
    joined["diff"] = (joined["imd_score"] - joined["imd_average_score"]).abs()
    return joined, report


def check_common(joined: pd.DataFrame) -> None:
    """Checks that hold for both assignments."""
    assert joined["imd_population"].sum() == 8_662_622
    assert joined["population"].sum() == pytest.approx(8_662_622)
    assert joined["n_lsoa"].sum() == 4835 and joined["number_of_lsoas"].sum() == pytest.approx(4835)
    assert joined["imd_score"].notna().all() and (joined["n_lsoa"] > 0).all()
    same = joined["imd_population"] == joined["population"]
    # Same LSOAs, same weights: identical weighted mean, mean rank and LSOA count.
    assert joined.loc[same, "diff"].max() < 1e-9
    np.testing.assert_allclose(joined.loc[same, "imd_average_rank_x"],
                               joined.loc[same, "imd_average_rank_y"], rtol=1e-12)
    assert (joined.loc[same, "n_lsoa"] == joined.loc[same, "number_of_lsoas"]).all()
    assert ((joined.loc[same, "imd_share_10pct"] > 0) ==
            (joined.loc[same, "lsoas_in_worst_10pc"] > 0)).all()


def test_a_ons_best_fit_lookup(inputs: dict[str, pd.DataFrame], shared_data: Path) -> None:
    """(a) ONS LSOA11→WD18 lookup, City merged. Measured on the shared data:

    * max |Δ score| 2.720 (St. Helen's E05009404: 27.890 vs 30.610), mean 0.101,
      median 6e-14;
    * 491 of 633 wards (77.6 %) within 0.01, 586 within 0.5;
    * Spearman of scores (= of ranks) 0.99936;
    * 487 wards have the GLA's exact population and LSOA count, and for those the
      score matches to 1e-13; population Pearson r 0.976 overall; totals equal
      (8,662,622 people, 4,835 LSOAs).
    """
    joined, report = compare(inputs, ons_assignment(shared_data, inputs["wards"]))
    assert not [p for p in report if p.severity != "info"]
    check_common(joined)
    diff = joined["diff"]
    assert diff.max() == pytest.approx(2.7202, abs=1e-3)
    assert diff.mean() == pytest.approx(0.1007, abs=1e-3)
    assert (diff <= 0.01).sum() == 491 and (diff <= 0.5).sum() == 586
    rho = spearmanr(joined["imd_score"], joined["imd_average_score"]).statistic
    assert rho == pytest.approx(0.99936, abs=5e-5)
    rank_rho = spearmanr(joined["imd_rank"], joined["imd_average_score_rank"]).statistic
    assert rank_rho == pytest.approx(rho, abs=1e-6)
    assert (joined["imd_population"] == joined["population"]).sum() == 487
    assert np.corrcoef(joined["imd_population"], joined["population"])[0, 1] > 0.975


def test_b_point_on_surface(inputs: dict[str, pd.DataFrame]) -> None:
    """(b) assign_best_fit point on surface on the GLA LSOA 2011 polygons. Measured:

    * every LSOA's point on surface falls inside a ward (no nearest fallback), and the
      City unit receives its 6 LSOAs directly;
    * max |Δ score| 4.149 (Poplar E05009328: 29.300 vs 33.450), mean 0.155;
    * 491 of 633 wards (77.6 %) within 0.01, 562 within 0.5;
    * Spearman of scores 0.99867;
    * 489 wards have the GLA's exact population and LSOA count - all 489 wards the
      GLA built from whole LSOAs - with scores equal to 1e-13; population Pearson r
      0.965; 4,767 of 4,835 LSOAs go to the same ward as in the ONS lookup.
    """
    assignment, fit_report = assign_best_fit(inputs["lsoas"], inputs["wards"])
    assert (assignment["method"] == "point_on_surface").all() and len(fit_report) == 0
    joined, report = compare(inputs, assignment)
    assert not [p for p in report if p.severity != "info"]
    check_common(joined)
    city = joined.loc[joined["area_code"] == "E05009297"].iloc[0]
    assert city["n_lsoa"] == 6 and city["diff"] < 1e-9
    whole = np.isclose(joined["number_of_lsoas"], joined["number_of_lsoas"].round())
    same = joined["imd_population"] == joined["population"]
    assert same.sum() == whole.sum() == 489 and (same == whole).all()
    diff = joined["diff"]
    assert diff.max() == pytest.approx(4.1494, abs=1e-3)
    assert diff.mean() == pytest.approx(0.1545, abs=1e-3)
    assert (diff <= 0.01).sum() == 491 and (diff <= 0.5).sum() == 562
    rho = spearmanr(joined["imd_score"], joined["imd_average_score"]).statistic
    assert rho == pytest.approx(0.99867, abs=5e-5)
    assert np.corrcoef(joined["imd_population"], joined["population"])[0, 1] > 0.96
