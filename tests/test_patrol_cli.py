"""``python -m hotspots patrol`` end to end on the demo pack (99 permutations), and its errors."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from hotspots import cli, pipeline
from hotspots.config import file_sha256
from hotspots.patrol import PatrolParams, analyse_patrol

FILES = {"patrol_list.csv", "patrol_grid.gpkg", "backtest_per_month.csv",
         "backtest_summary.csv", "emerging.csv", "reconciliation.csv", "unassigned_rows.csv",
         "method.txt", "manifest.json"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("patrol")
    argv = ["patrol", "--permutations", "99", "--seed", "3", "--emerging", "--out", str(out)]
    return out, cli.main(argv)


def test_writes_every_file_and_a_manifest(run, capsys):
    out, code = run
    assert code == 0
    assert {p.name for p in out.iterdir()} == FILES
    m = json.loads((out / "manifest.json").read_text())
    pack = m["inputs"]["pack"]
    assert pack["files"]["police_uk_city_points.csv.gz"] == file_sha256(
        pipeline.DEMO_PACK / "police_uk_city_points.csv.gz")
    par = m["parameters"]
    assert par["patrol"]["permutations"] == 99 and par["seed"] == 3
    assert par["patrol"]["area_share"] == 0.05 and par["boroughs"] == ["City of London"]
    assert par["list_period"] == ["2020-09", "2020-10", "2020-11"]
    assert par["grid"]["size_m"] == 150.0 and "numpy" in m["versions"]


def test_outputs_match_the_library(run):
    out, _ = run
    pack = pipeline.load_pack()
    pa = analyse_patrol(pack.points, pack.areas, ["City of London"],
                        PatrolParams(permutations=99, seed=3, emerging=True),
                        rejected=pack.meta.points_rejected)
    plist = pd.read_csv(out / "patrol_list.csv")
    assert plist["cell_id"].tolist() == pa.patrol["cell_id"].tolist()
    assert plist["count"].tolist() == pa.patrol["count"].tolist()
    assert (plist["method"] == pa.method).all()
    layer = gpd.read_file(out / "patrol_grid.gpkg", layer="patrol_grid")
    assert len(layer) == len(pa.grid) == 162
    assert {"count", "kde", "gi_z", "gi_q", "gi_class", "selected_rank"} <= set(layer.columns)
    assert layer["count"].sum() == pa.grid["count"].sum()
    assert layer["selected_rank"].notna().sum() == len(plist)
    summary = pd.read_csv(out / "backtest_summary.csv").set_index("method")
    assert list(summary.index) == ["counts", "kde", "gi_star", "gi_star_perm", "naive"]
    assert summary.loc["counts", "median_pai"] == pytest.approx(
        pa.backtest.summary.loc["counts", "median_pai"])
    per_month = pd.read_csv(out / "backtest_per_month.csv")
    assert len(per_month) == 5 * 33
    rec = pd.read_csv(out / "reconciliation.csv").iloc[0]
    assert rec["rows_in"] == 24_750 == (rec["assigned"] + rec["unlocated"] + rec["outside"]
                                        + rec["rejected"])
    assert len(pd.read_csv(out / "unassigned_rows.csv")) == 24_750 - rec["assigned"]
    em = pd.read_csv(out / "emerging.csv")
    assert len(em) == 162 and em["n_steps"].eq(36).all()


def test_prints_summary_and_reconciliation(tmp_path, capsys):
    code = cli.main(["patrol", "--permutations", "99", "--top-n", "4", "--method", "kde",
                     "--cell-size", "200", "--shape", "hex", "--out", str(tmp_path)])
    assert code == 0
    text = capsys.readouterr().out
    assert "24,750 rows read:" in text and "252 rejected" in text
    assert "median PAI" in text and "naive" in text
    summary = pd.read_csv(tmp_path / "backtest_summary.csv").set_index("method")
    naive = next(line for line in text.splitlines() if line.strip().startswith("naive"))
    assert f"median RRI {summary.loc['naive', 'median_rri']:.2f}" in naive  # as on the page
    assert "4 cells by 'kde', chosen by the user" in text
    assert len(pd.read_csv(tmp_path / "patrol_list.csv")) == 4
    assert not (tmp_path / "emerging.csv").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--borough", "Nowhere"], "Nowhere"),
    (["--cell-size", "big"], "--cell-size"),
    (["--from", "2030-01", "--to", "2030-02"], "outside the points' months"),
    (["--area-share", "2"], "area_share"),
    (["--permutations", "5"], "permutations"),
    (["--harm", "no_such_file.csv"], "no_such_file.csv"),
    (["--crime-type", "Piracy"], "Piracy"),
    (["--areas", "wards.gpkg"], "--police-uk"),
    (["--crime-type", "Anti-social behaviour"], "its own measure"),
    (["--measure", "asb", "--crime-type", "Robbery"], "takes none"),
], ids=["borough", "cell-size", "period", "share", "permutations", "harm", "type", "areas",
        "asb-as-type", "asb-with-types"])
def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, args, message):
    code = cli.main(["patrol", *args, "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "o").exists()


def test_asb_is_its_own_measure_never_in_the_default(run, tmp_path, capsys):
    out, _ = run
    crime = pd.read_csv(out / "patrol_list.csv")
    assert "Anti-social behaviour" not in crime.columns  # recorded crime by default
    code = cli.main(["patrol", "--measure", "asb", "--permutations", "99", "--top-n", "5",
                     "--method", "counts", "--out", str(tmp_path)])
    assert code == 0
    assert "Measure: Anti-social behaviour" in capsys.readouterr().out
    asb = pd.read_csv(tmp_path / "patrol_list.csv")
    types = [c for c in asb.columns if c not in {"rank", "cell_id", "lat", "lon", "easting",
                                                 "northing", "count", "score", "street",
                                                 "street_source", "period", "method"}]
    assert types == ["Anti-social behaviour"] and len(asb) == 5
    assert (asb["count"] == asb["Anti-social behaviour"]).all()
    # the busiest ASB cells of the list period, counted from the pack's points directly
    layer = gpd.read_file(tmp_path / "patrol_grid.gpkg", layer="patrol_grid")
    pts = pipeline.load_pack().points
    n_asb = int(((pts["category"] == "Anti-social behaviour")
                 & pts["month"].between("2020-09", "2020-11") & pts["x"].notna()).sum())
    assert 0.9 * n_asb <= layer["count"].sum() <= n_asb  # a few lie outside the City


def test_bad_harm_table_names_the_row(tmp_path, capsys):
    bad = tmp_path / "harm.csv"
    bad.write_text("crime_type,weight\nRobbery,lots\n")
    assert cli.main(["patrol", "--harm", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "row 2, column weight" in capsys.readouterr().err


def test_from_files_areas_and_police_uk(tmp_path, capsys):
    pack = pipeline.load_pack()
    wards = pack.areas[pack.areas["borough_name"] == "City of London"].rename(columns={
        "area_code": "WD25CD", "area_name": "WD25NM", "borough_code": "LAD25CD",
        "borough_name": "LAD25NM"})
    wards.to_file(tmp_path / "wards.gpkg", layer="wards", driver="GPKG")
    pts = pack.points[pack.points["month"] >= "2020-06"].reset_index(drop=True)
    folder = tmp_path / "police"
    for month, part in pts.groupby("month"):
        (folder / month).mkdir(parents=True)
        pd.DataFrame({
            "Crime ID": [f"id{month}-{i}" for i in range(len(part))], "Month": month,
            "Reported by": "City of London Police", "Falls within": "City of London Police",
            "Longitude": part["x"], "Latitude": part["y"], "Location": part["location"],
            "LSOA code": part["lsoa_code"], "LSOA name": "", "Crime type": part["category"],
            "Last outcome category": "", "Context": "",
        }).to_csv(folder / month / f"{month}-city-of-london-street.csv", index=False)
    out = tmp_path / "out"
    code = cli.main(["patrol", "--areas", str(tmp_path / "wards.gpkg"), "--police-uk",
                     str(folder), "--borough", "City of London", "--permutations", "99",
                     "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    rec = pd.read_csv(out / "reconciliation.csv").iloc[0]
    assert rec["rows_in"] == len(pts) and rec["rejected"] == 0
    assert rec["unlocated"] == int(pts["x"].isna().sum())
    m = json.loads((out / "manifest.json").read_text())
    assert set(m["inputs"]) == {"areas", "police_uk"}
    assert len(m["inputs"]["police_uk"]["files"]) == 6
    summary = pd.read_csv(out / "backtest_summary.csv")
    assert (summary["months"] == 3).all()  # 6 months, 3 to train


def test_prints_the_list_size_warning_and_the_top_n_option(tmp_path, capsys):
    """Issue 14: a list longer than a team can patrol is flagged, pointing to --top-n."""
    code = cli.main(["patrol", "--permutations", "99", "--top-n", "60", "--method", "counts",
                     "--out", str(tmp_path)])
    assert code == 0
    text = capsys.readouterr().out
    assert ("Warning: The patrol list has 60 cells (the top 60 cells), more than a team can "
            "patrol (at most about 50).") in text
    assert "--top-n on the command line" in text


def test_force_sized_pack_starts_on_the_busiest_area_as_the_page_does(tmp_path, capsys,
                                                                     monkeypatch):
    """A pack too large for one grid: the command line chose no study area and refused
    (naming --borough); it now starts, as the page does, on the area with the most located
    records and says so. The City's 25 wards are split into two 'authorities' and the
    cell limit lowered so that both together (about 128 cells of 150 m) do not fit."""
    from hotspots.patrol import analysis as patrol_analysis

    pack = pipeline.load_pack()
    wards = pack.areas[pack.areas["borough_name"] == "City of London"].copy()
    west = wards["area_code"] <= "E05009300"
    wards.loc[west, "borough_name"] = "City West"
    wards.loc[~west, "borough_name"] = "City East"
    wards.loc[~west, "borough_code"] = "E09999999"
    wards = wards.rename(columns={"area_code": "WD25CD", "area_name": "WD25NM",
                                  "borough_code": "LAD25CD", "borough_name": "LAD25NM"})
    wards.to_file(tmp_path / "wards.gpkg", layer="wards", driver="GPKG")
    pts = pack.points[pack.points["month"] >= "2020-06"].reset_index(drop=True)
    folder = tmp_path / "police" / "2020"
    folder.mkdir(parents=True)
    pd.DataFrame({
        "Crime ID": [f"id{i}" for i in range(len(pts))], "Month": pts["month"],
        "Reported by": "City of London Police", "Falls within": "City of London Police",
        "Longitude": pts["x"], "Latitude": pts["y"], "Location": pts["location"],
        "LSOA code": pts["lsoa_code"], "LSOA name": "", "Crime type": pts["category"],
        "Last outcome category": "", "Context": "",
    }).to_csv(folder / "2020-city-of-london-street.csv", index=False)
    monkeypatch.setattr(patrol_analysis, "MAX_CELLS", 110)
    out = tmp_path / "out"
    code = cli.main(["patrol", "--areas", str(tmp_path / "wards.gpkg"), "--police-uk",
                     str(folder), "--permutations", "99", "--method", "counts",
                     "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    m = json.loads((out / "manifest.json").read_text())
    (chosen,) = m["parameters"]["boroughs"]
    assert chosen in {"City West", "City East"}
    assert ("All 2 areas (3 km\u00b2) would make about 128 cells of 150 m, more than the 110 "
            "the patrol analysis handles, so the study area starts as " + chosen) in printed.out
    assert "Choose other areas with --borough NAME (repeat for several)." in printed.out
    # the busier of the two, counted here from the rows and the ward layer directly
    located = gpd.sjoin(gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts["x"], pts["y"]),
                                         crs="EPSG:4326").to_crs(wards.crs).dropna(),
                        wards[["LAD25NM", "geometry"]], predicate="within")
    assert chosen == located["LAD25NM"].value_counts().idxmax()


def test_emerging_on_fewer_than_ten_months_is_refused_naming_both():
    """ArcGIS Pro's minimum of 10 time steps (hotspots.stats.emerging.MIN_TIME_STEPS)."""
    from hotspots._errors import InputDataError

    pack = pipeline.load_pack()
    months = sorted(pack.points["month"].unique())[:6]
    few = pack.points[pack.points["month"].isin(months)]
    with pytest.raises(InputDataError, match=r"at least 10 months; there are 6 \(2017-12 to "
                                             r"2018-05\)"):
        analyse_patrol(few, pack.areas, ["City of London"],
                       PatrolParams(permutations=99, seed=3, emerging=True, train_months=3))
