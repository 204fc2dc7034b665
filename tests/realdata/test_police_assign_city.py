"""Issue 13 item 9: police.uk points on generalised boundaries, and the LSOA-code rule.

Real City of London months (the demo pack's 20 m generalised 2025 wards). Every figure is
checked against an independent computation: geopandas distances to the ward edges, and the
ONS LSOA (2021) -> ward (2025) lookup read here with pandas.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from hotspots import io, pipeline
from hotspots.cli import main
from hotspots.pipeline.uploads import pack_with_uploads

pytestmark = pytest.mark.realdata

CITY = "police_uk_city_of_london_2017-12_to_2020-11"
LOOKUP = ("lookups/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2"
          ".csv.gz")
MONTHS = ("2020-01", "2020-02")


def _files(shared: Path) -> list[tuple[str, Path]]:
    return [(m, shared / CITY / m) for m in MONTHS]


def _number(pattern: str, text: str) -> int:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text!r}"
    return int(m.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def reference(shared_data: Path, demo_dir: Path) -> dict[str, object]:
    """Independent figures: the rows as read, their snap-point ward (geopandas sjoin), the
    distance to the nearest ward edge, and their ward by the ONS lookup."""
    read = io.read_police_inputs(_files(shared_data))
    frame = pd.concat([r.frame for _, r in read.files], ignore_index=True)
    wards = gpd.read_file(demo_dir / "wards.geojson").to_crs(27700)
    city = set(wards.loc[wards["borough_name"] == "City of London", "area_code"])
    ok = frame["x"].notna()
    pts = gpd.GeoDataFrame(frame[ok], geometry=gpd.points_from_xy(frame.loc[ok, "x"],
                                                                  frame.loc[ok, "y"]),
                           crs=4326).to_crs(27700)
    j = gpd.sjoin(pts, wards[["area_code", "geometry"]], how="left", predicate="intersects")
    j = j[~j.index.duplicated()]
    edges = wards.boundary.union_all()
    dist = pts.distance(edges)
    lk = pd.read_csv(shared_data / LOOKUP, dtype=str, encoding="utf-8-sig")
    ward = dict(zip(lk["LSOA21CD"], lk["WD25CD"], strict=True))
    frame["by_point"] = j["area_code"].reindex(frame.index)
    frame["by_lsoa"] = frame["lsoa_code"].astype("string").str.strip().map(ward)
    frame["dist"] = dist.reindex(frame.index)
    return {"frame": frame, "city": city, "lookup_wards": set(lk["WD25CD"])}


def test_cli_warns_on_generalised_boundaries_and_reconciles_the_lsoa_rule(
        shared_data: Path, reference: dict[str, object], capsys) -> None:
    f: pd.DataFrame = reference["frame"]  # type: ignore[assignment]
    city: set[str] = reference["city"]  # type: ignore[assignment]
    args = ["check"]
    for _, p in _files(shared_data):
        args += ["--police-uk", str(p)]
    assert main(args) == 0
    out = capsys.readouterr().out
    placed = f["by_point"].isin(city)
    near = placed & (f["dist"] <= 20)
    assert _number(r"([\d,]+) of the [\d,]+ rows placed \(\d+%\) lie within 20 m", out) \
        == int(near.sum()) > 100
    assert _number(r"of the ([\d,]+) rows placed \(", out) == int(placed.sum())
    outside = f["x"].notna() & f["by_point"].isna()
    assert _number(r"of the ([\d,]+) rows outside every area", out) == int(outside.sum())
    both = placed & f["by_lsoa"].isin(city)
    moved = both & (f["by_point"] != f["by_lsoa"])
    assert _number(r"([\d,]+) of the rows both rules place would be in another area", out) \
        == int(moved.sum())
    lsoa_only = f["by_lsoa"].isin(city) & ~placed
    assert _number(r"([\d,]+) rows placed by LSOA code are outside", out) == int(lsoa_only.sum())
    # the City's 6 LSOAs (2021) best-fit 5 of its 25 wards: 20 get no row by LSOA code
    lookup_wards: set[str] = reference["lookup_wards"]  # type: ignore[assignment]
    assert _number(r"([\d,]+) of the 25 covered areas are no LSOA's best fit", out) \
        == 25 - len(lookup_wards & city) == 20


def test_page_rule_lsoa_counts_rows_by_the_ons_lookup(shared_data: Path, demo_dir: Path,
                                                      reference: dict[str, object]) -> None:
    f: pd.DataFrame = reference["frame"]  # type: ignore[assignment]
    city: set[str] = reference["city"]  # type: ignore[assignment]
    base = pipeline.load_pack(demo_dir)
    pk = pack_with_uploads(base, police_uk_files=_files(shared_data), assign_by="lsoa")
    got = pk.crime[pk.crime["major"].str.startswith("police.uk")].groupby("area_code")[
        "count"].sum()
    want = f.loc[f["by_lsoa"].isin(city)].groupby("by_lsoa").size()
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False,
                                   check_dtype=False)
    info = pk.meta.uploads.police_assignment
    assert info["rule"] == "lsoa"
    cmp = pd.DataFrame(info["comparison"])
    rec = pk.reconciliations[pk.reconciliations["source"].str.contains("police.uk")]
    assert cmp["rows"].sum() == rec["rows_in"].sum()  # every row, under both rules
    assert cmp.loc[cmp["by_lsoa"].str.startswith("assigned"), "rows"].sum() == rec[
        "assigned"].sum()
    assert cmp.loc[cmp["by_lsoa"].str.startswith("assigned"), "rows"].sum() == int(want.sum())
    outside_to_assigned = cmp.loc[cmp["by_point"].str.startswith("outside")
                                  & (cmp["by_lsoa"] == "assigned"), "rows"].sum()
    assert outside_to_assigned == int((f["by_lsoa"].isin(city) & f["x"].notna()
                                       & ~f["by_point"].isin(city)).sum()) > 0
