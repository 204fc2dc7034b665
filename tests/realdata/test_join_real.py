"""All 36 City of London police.uk months placed in 2018 wards: every row accounted for."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from boundaries.load import read_boundaries
from hotspots import cli, io
from hotspots.areas import join as join

pytestmark = pytest.mark.realdata

POLICE = "police_uk_city_of_london_2017-12_to_2020-11"
WARDS18 = "london_wards_2018/london_wards_2018.gpkg"


def _independent(shared_data, *, once: bool = False) -> dict[str, int]:
    """The same reconciliation with plain pandas/geopandas, not the project's code.

    ``once``: each Crime ID counted once (first row kept); else rows as published (no
    Crime ID of these files is in two files, so nothing else is rejected).
    """
    files = sorted((shared_data / POLICE).glob("*/*-street.csv"))
    raw = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
    has_id = raw["Crime ID"].notna()
    dup = has_id & raw.duplicated(["Crime ID", "Month"], keep="first") & once
    kept = raw[~dup]
    lon = pd.to_numeric(kept["Longitude"])
    lat = pd.to_numeric(kept["Latitude"])
    located = kept[lon.notna() & lat.notna()]
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(pd.to_numeric(located["Longitude"]),
                                    pd.to_numeric(located["Latitude"])), crs=4326
    ).to_crs(27700)
    wards = gpd.read_file(shared_data / WARDS18, layer="London_Ward")
    hit = gpd.sjoin(pts, wards, predicate="intersects")
    inside = hit.index.unique()
    return {
        "rows_in": len(raw),
        "rejected": int(dup.sum()),
        "unlocated": int(len(kept) - len(located)),
        "outside": int(len(pts) - len(inside)),
        "assigned": int(len(inside)),
    }


@pytest.mark.parametrize("rule", ["as_published", "once"])
def test_city_of_london_36_months_reconciled(shared_data, rule):
    res = io.read_police_uk(shared_data / POLICE, crime_ids=rule)
    areas, _ = read_boundaries(shared_data / WARDS18, layer="London_Ward")
    assigned, rec = join.points_to_areas(res.frame, areas, crs="EPSG:4326",
                                         rejected=res.rejected, source="city")
    expect = _independent(shared_data, once=rule == "once")
    got = {k: getattr(rec, k) for k in expect}
    assert got == expect
    assert rec.rows_in == 24_750
    assert res.frame["month"].nunique() == 36
    # Each located point counted exactly once.
    assert assigned["source"].astype(str).add(assigned["source_row"].astype(str)).is_unique
    city = areas.loc[areas["borough_code"] == "E09000001", "area_code"]
    assert assigned["area_code"].isin(city).mean() > 0.9


def test_cli_from_police_uk_files(tmp_path, shared_data, capsys):
    code = cli.main(["table", "--areas", str(shared_data / WARDS18), "--layer", "London_Ward",
                     "--police-uk", str(shared_data / POLICE), "--from", "2017-12",
                     "--to", "2020-11", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "24,750 =" in out
    table = pd.read_csv(tmp_path / "ward_table.csv", dtype={"count": str})
    expect = _independent(shared_data)
    # Only the City of London is covered by its force's points: its 25 wards have counts,
    # every other ward is "no data" (a few points across the border do not make it 0 or 3).
    counts = pd.to_numeric(table["count"], errors="coerce")
    city = table["borough_name"].str.contains("City of London")
    assert counts[city].notna().all() and counts[~city].isna().all()
    note = pd.read_csv(tmp_path / "reconciliation.csv")["note"].iloc[0]
    assert "covered boroughs" in note and "City of London" in note and "covered boroughs" in out
    # Points in wards outside the force's boroughs are counted outside the study area,
    # so the table sums to the reconciliation's assigned and every row is accounted for.
    # Recorded crime leaves police.uk's anti-social behaviour out (its own measure): the two
    # tables together sum to the reconciliation's assigned.
    rec = pd.read_csv(tmp_path / "reconciliation.csv").iloc[0]
    asb_out = tmp_path / "asb"
    assert cli.main(["table", "--areas", str(shared_data / WARDS18), "--layer", "London_Ward",
                     "--police-uk", str(shared_data / POLICE), "--from", "2017-12",
                     "--to", "2020-11", "--measure", "asb:all", "--out", str(asb_out)]) == 0
    asb = pd.read_csv(asb_out / "ward_table.csv")["count"].sum()
    assert asb > 3000 and counts.sum() + asb == rec["assigned"] < expect["assigned"]
    assert (f"Placed rows, all months: {rec['assigned']:,} = {int(counts.sum()):,} recorded "
            f"crimes + {int(asb):,} anti-social behaviour") in out
    unassigned = pd.read_csv(tmp_path / "unassigned_rows.csv")
    off_force = expect["assigned"] - rec["assigned"]
    assert (unassigned["status"] == "outside the study area").sum() == off_force
    assert len(unassigned) == (expect["rejected"] + expect["unlocated"] + expect["outside"]
                               + off_force)
