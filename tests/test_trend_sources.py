"""The monthly series when uploaded police.uk crime sits beside the pack's own crime.

"All recorded crime" is the pack's own source (adding both would count the same
crimes twice, :func:`hotspots.pipeline.measures.table_for`); the trend chart, the
ward drill-down's chart and the board pack's monthly table must say the same as the
maps and tables: each measure on its own source, never both summed.
"""

from __future__ import annotations

import geopandas as gpd
import pytest

from hotspots import pipeline
from hotspots.pipeline import uploads, viewdata, wardprofile

MONTH = "2025-05"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
          "LSOA code,LSOA name,Crime type,Last outcome category,Context")
POLICE_ALL = f"{uploads.SOURCE_KEY_PREFIX}{uploads.POLICE_UK_KEY}"


@pytest.fixture(scope="module")
def base() -> pipeline.Pack:
    return pipeline.load_pack()


@pytest.fixture(scope="module")
def mixed(base) -> pipeline.Pack:
    """The demo pack plus 7 uploaded burglaries in Hackney's first ward in May 2025."""
    ward = base.areas[base.areas["borough_name"] == "Hackney"].sort_values("area_code").iloc[0]
    pt = gpd.GeoSeries([ward.geometry.representative_point()], crs=base.areas.crs).to_crs(4326)[0]
    force = "Metropolitan Police Service"
    lines = [HEADER] + [f"id{i},{MONTH},{force},{force},{pt.x:.6f},{pt.y:.6f},On or near a "
                        "street,,,Burglary,," for i in range(7)]
    return uploads.pack_with_uploads(
        base, police_uk_files=[("may.csv", ("\n".join(lines) + "\n").encode())],
        crime_mode="add")


def _may(long) -> float:  # type: ignore[no-untyped-def]
    return float(long.loc[long["month"] == MONTH, "count"].sum())


def test_all_crime_trend_is_the_pack_source_alone(base, mixed):
    assert mixed.meta.crime_sources  # both sources present
    sel = pipeline.Selection("crime:all", "2025-04", "2026-03")
    own = _may(viewdata.monthly_long(base, sel, year_start="calendar"))
    assert own == float(base.crime.loc[base.crime["month"] == MONTH, "count"].sum()) > 0
    # the bug: the uploads were added to the pack's own crime (own + 7)
    assert _may(viewdata.monthly_long(mixed, sel, year_start="calendar")) == own
    # the same for one borough (the drill-down's chart uses area codes)
    hackney = base.areas.loc[base.areas["borough_name"] == "Hackney", "area_code"]
    sel_h = pipeline.Selection("crime:all", "2025-04", "2026-03", boroughs=("Hackney",))
    assert (_may(viewdata.monthly_long(mixed, sel_h, year_start="calendar",
                                       area_codes=hackney))
            == _may(viewdata.monthly_long(base, sel_h, year_start="calendar",
                                          area_codes=hackney)))


def test_uploaded_source_trend_counts_the_uploads_alone(mixed):
    sel = pipeline.Selection(POLICE_ALL, "2025-04", "2026-03")
    long = viewdata.monthly_long(mixed, sel, year_start="calendar")
    assert _may(long) == 7
    # the uploads cover May 2025 alone: other months are not zero but not covered (blank)
    assert long.loc[long["month"] == "2025-04", "count"].isna().all()
    assert viewdata.source_months(mixed, POLICE_ALL) == [MONTH]


def test_ward_profile_trend_is_one_source(base, mixed):
    ward = base.areas[base.areas["borough_name"] == "Hackney"].sort_values("area_code").iloc[0]
    sel = pipeline.Selection("crime:all", "2025-04", "2026-03")
    a_mixed = pipeline.measures.analyse_for(mixed, sel, pipeline.analysis.StatsParams(
        permutations=99, seed=1))
    a_base = pipeline.analysis.analyse(base, sel, pipeline.analysis.StatsParams(
        permutations=99, seed=1))
    pm = wardprofile.ward_profile(mixed, a_mixed, ward["area_code"])
    pb = wardprofile.ward_profile(base, a_base, ward["area_code"])
    assert _may(pm.trend) == _may(pb.trend)
