"""The ward table on the committed demo pack, checked against independent sums."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats as sps

from hotspots import cli, pipeline


@pytest.fixture(scope="module")
def pack():
    return pipeline.load_pack()


@pytest.fixture(scope="module")
def raw_crime(demo_dir):
    return pd.read_csv(demo_dir / "crime_ward_month.csv.gz", dtype={"area_code": str})


def test_pack_loads_with_reconciled_sources(pack, demo_dir):
    assert len(pack.areas) == 704 and pack.areas.crs.to_epsg() == 27700
    rec = pack.reconciliations.set_index("source")
    for _, r in rec.iterrows():
        assert r["rows_in"] == r["assigned"] + r["unlocated"] + r["outside"] + r["rejected"]
    raw_refs = pd.read_csv(demo_dir / "referrals_SYNTHETIC.csv", dtype=str)
    ref = rec.loc[[s for s in rec.index if s.startswith("Referrals")][0]]
    assert ref["rows_in"] == len(raw_refs)
    # The synthetic file plants rows with no location and with 2018 ward codes.
    no_loc = raw_refs[["Ward code", "Ward name"]].isna().all(axis=1).sum()
    assert ref["unlocated"] == no_loc > 0
    assert ref["outside"] > 0
    assert len(pack.unassigned) == sum(rec[c].sum() for c in ("unlocated", "outside", "rejected"))


def test_crime_table_matches_independent_sum(pack, raw_crime):
    months = pack.months
    frm, to = months[-12], months[-1]
    wt = pipeline.ward_table(pack, pipeline.Selection("crime:all", frm, to, "count"))
    f = wt.frame.set_index("area_code")
    in_period = raw_crime[(raw_crime["month"] >= frm) & (raw_crime["month"] <= to)]
    expect = in_period.groupby("area_code")["count"].sum()
    assert f["count"].sum() == expect.sum() == wt.n_records
    assert f.loc[expect.index, "count"].astype(int).equals(expect.astype(int))
    # City of London wards: not in the MPS file -> no data, never zero.
    city = f[f["borough_name"] == "City of London"]
    assert len(city) == 25 and city["count"].isna().all() and (~city["has_data"]).all()
    assert (city["value_display"] == "no data").all()
    assert f["rank"].min() == 1 and f.loc[f["rank"] == 1, "count"].iloc[0] == f["count"].max()
    assert "12 months" in wt.period_label


def test_rate_and_spearman(pack):
    months = pack.months
    sel = pipeline.Selection("crime:major:BURGLARY", months[-12], months[-1], "per_1000")
    f = pipeline.ward_table(pack, sel)
    t = f.frame
    ok = t["population"] > 0
    assert (t.loc[ok, "rate_per_1000"] - t.loc[ok, "count"] / t.loc[ok, "population"] * 1000
            ).abs().max() < 1e-9
    both = t[["value", "imd_score"]].dropna()
    ref = sps.spearmanr(both["value"], both["imd_score"])
    assert f.spearman.n == len(both) and f.spearman.rho == pytest.approx(ref.statistic)
    assert f.spearman.ci_low < f.spearman.rho < f.spearman.ci_high


def test_referrals_are_suppressed_and_labelled(pack):
    months = pack.months
    sel = pipeline.Selection("referrals:all", months[-12], months[-1], "count", suppress_below=5)
    wt = pipeline.ward_table(pack, sel)
    assert wt.is_synthetic and wt.is_sensitive and "SYNTHETIC" in wt.label
    f = wt.frame
    small = f["count"].between(1, 4)
    assert small.any()
    assert (f.loc[small, "count_display"] == "<5").all() and f.loc[small, "suppressed"].all()
    assert (f.loc[small, "rate_display"].str.startswith("suppressed")).all()
    export = pipeline.table_for_export(wt)
    assert not export["count"].isin(["1", "2", "3", "4"]).any()
    assert export.loc[export["count"] == "<5", "rank"].isna().all()


def test_empty_period_and_bad_input(pack):
    wt = pipeline.ward_table(pack, pipeline.Selection("crime:all", "1990-01", "1990-12"))
    assert wt.is_empty and wt.frame["count"].fillna(0).sum() == 0
    assert math.isnan(wt.spearman.rho) or wt.spearman.n == 0 or wt.frame["value"].nunique() <= 1
    with pytest.raises(ValueError, match="Unknown measure"):
        pipeline.ward_table(pack, pipeline.Selection("nonsense:all"))
    with pytest.raises(ValueError, match="runs backwards"):
        pipeline.ward_table(pack, pipeline.Selection("crime:all", "2025-05", "2025-01"))


def test_measure_options_cover_groups_and_categories(pack):
    opts = pipeline.measure_options(pack)
    assert "crime:all" in opts and "referrals:all" in opts
    majors = {k for k in opts if k.startswith("crime:major:")}
    assert len(majors) == pack.crime["major"].nunique()
    assert all("SYNTHETIC" in v for k, v in opts.items() if k.startswith("referrals"))


def test_cli_writes_the_same_table(tmp_path, pack, capsys):
    code = cli.main(["table", "--measure", "referrals:all", "--rate", "per_1000",
                     "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "Spearman" in out and "Reconciliation" in out
    csv = pd.read_csv(tmp_path / "ward_table.csv", dtype={"count": str})
    assert len(csv) == 704
    months = pack.months
    wt = pipeline.ward_table(
        pack, pipeline.Selection("referrals:all", months[-12], months[-1], "per_1000"))
    expect = pipeline.table_for_export(wt)
    assert csv["area_code"].tolist() == expect["area_code"].tolist()
    assert csv["count"].tolist() == expect["count"].tolist()
    import geopandas as gpd

    g = gpd.read_file(tmp_path / "ward_table.gpkg")
    assert len(g) == 704 and g.crs.to_epsg() == 27700
    unassigned = pd.read_csv(tmp_path / "unassigned_rows.csv")
    assert {"source", "source_row", "status", "reason"} <= set(unassigned.columns)


def test_cli_reports_bad_input_plainly(tmp_path, capsys):
    code = cli.main(["table", "--pack", str(tmp_path), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "pack.json not found" in capsys.readouterr().err


def test_cli_manifest_traces_inputs_and_parameters(tmp_path, demo_dir):
    import hashlib
    import json

    assert cli.main(["table", "--measure", "crime:all", "--from", "2025-01", "--to", "2025-03",
                     "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "manifest.json").read_text())
    files = m["inputs"]["pack"]["files"]
    raw = (demo_dir / "crime_ward_month.csv.gz").read_bytes()
    assert files["crime_ward_month.csv.gz"] == hashlib.sha256(raw).hexdigest()
    assert m["parameters"]["selection"] == {"measure": "crime:all", "month_from": "2025-01",
                                            "month_to": "2025-03", "rate": "count",
                                            "suppress_below": 5, "boroughs": []}
    assert m["versions"]["esda"] and m["versions"]["python"].startswith("3.11")


def test_demo_wards_are_one_gap_free_coverage(pack):
    import shapely

    from boundaries.web import coverage_gaps

    assert bool(shapely.coverage_is_valid(pack.areas.geometry.values))
    assert coverage_gaps(pack.areas) < 1.0  # m2, over all of London
    assert bool(shapely.coverage_is_valid(pack.web_areas.to_crs(27700).geometry.values))
    assert pack.web_areas.crs.to_epsg() == 4326 and len(pack.web_areas) == 704


def test_borough_filter(pack, raw_crime):
    months = pack.months
    sel = pipeline.Selection("crime:all", months[-3], months[-1], boroughs=("Camden", "Hackney"))
    wt = pipeline.ward_table(pack, sel)
    f = wt.frame
    assert set(f["borough_name"]) == {"Camden", "Hackney"}
    codes = set(f["area_code"])
    raw = raw_crime[raw_crime["area_code"].isin(codes) & (raw_crime["month"] >= months[-3])]
    assert f["count"].sum() == raw["count"].sum() == wt.n_records
    assert f["rank"].min() == 1 and wt.spearman.n == len(f)
    with pytest.raises(ValueError, match="Unknown borough"):
        pipeline.ward_table(pack, pipeline.Selection("crime:all", boroughs=("Atlantis",)))


def _city_and_tower_hamlets(pack, tmp_path):
    """Two City wards and one Tower Hamlets ward as a shapefile WITHOUT a .prj (no CRS)."""
    import geopandas as gpd

    city = pack.areas[pack.areas["borough_name"] == "City of London"].iloc[:2]
    th = pack.areas[pack.areas["borough_name"] == "Tower Hamlets"].iloc[:1]
    areas = gpd.GeoDataFrame(pd.concat([city, th]), crs=pack.areas.crs)
    shp = tmp_path / "wards.shp"  # the GLA 2018 layout: column names fit a .dbf
    areas.rename(columns={"area_code": "GSS_CODE", "area_name": "NAME",
                          "borough_code": "LAGSSCODE", "borough_name": "DISTRICT"}).to_file(shp)
    shp.with_suffix(".prj").unlink()
    return areas, shp


def _police_file(areas, tmp_path, per_area=(4, 1, 7)):
    pts = areas.geometry.representative_point().to_crs("EPSG:4326")
    lines = ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
             "LSOA code,LSOA name,Crime type,Last outcome category,Context"]
    i = 0
    for p, n in zip(pts, per_area, strict=True):
        for _ in range(n):
            lines.append(f"id{i:03d},2018-01,City of London Police,City of London Police,"
                         f"{p.x:.6f},{p.y:.6f},On or near X,,,Burglary,,")
            i += 1
    lines.append("idnone,2018-01,City of London Police,City of London Police,,,No location,,,"
                 "Burglary,,")
    path = tmp_path / "2018-01-city-of-london-street.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_boundary_without_crs_names_the_flag_and_the_flag_works(tmp_path, pack, capsys):
    areas, shp = _city_and_tower_hamlets(pack, tmp_path)
    out = tmp_path / "o"
    assert cli.main(["table", "--areas", str(shp), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--assume-crs EPSG:27700" in err and 'assume_crs="EPSG:27700" in Python' in err
    police = _police_file(areas, tmp_path)
    for command in ("table", "analyse"):
        args = [command, "--areas", str(shp), "--police-uk", str(police), "--assume-crs",
                "EPSG:27700", "--out", str(out)]
        assert cli._parser().parse_args(args).assume_crs == "EPSG:27700"
    assert cli.main(["table", "--areas", str(shp), "--police-uk", str(police),
                     "--assume-crs", "EPSG:27700", "--out", str(out)]) == 0
    patrol = cli._parser()._subparsers._group_actions[0].choices["patrol"]
    groups = {a.dest: g.title for g in patrol._action_groups for a in g._group_actions}
    assert groups["assume_crs"] == groups["areas"]  # in the patrol data group
    pout = tmp_path / "p"
    assert cli.main(["patrol", "--areas", str(shp), "--police-uk", str(police), "--assume-crs",
                     "EPSG:27700", "--permutations", "99", "--out", str(pout)]) == 0
    assert (pout / "patrol_list.csv").is_file()
    capsys.readouterr()
    assert cli.main(["patrol", "--areas", str(shp), "--police-uk", str(police),
                     "--permutations", "99", "--out", str(pout)]) == 2
    assert "--assume-crs" in capsys.readouterr().err


def test_points_outside_the_forces_boroughs_are_outside_and_the_table_adds_up(tmp_path, pack,
                                                                              capsys):
    """Hand-built: 4 + 1 points in two City wards, 7 City-force points snapped into Tower
    Hamlets (a Met borough), 1 without coordinates: 13 = 5 + 1 + 7 + 0."""
    areas, shp = _city_and_tower_hamlets(pack, tmp_path)
    police = _police_file(areas, tmp_path)
    built = pipeline.assemble_pack(shp, police_uk=police, assume_crs="EPSG:27700")
    assert built.meta.points_boroughs == ("City of London",)  # density would add TH
    rec = built.reconciliations.iloc[0]
    assert (rec["rows_in"], rec["assigned"], rec["unlocated"], rec["outside"],
            rec["rejected"]) == (13, 5, 1, 7, 0)
    away = built.unassigned[built.unassigned["status"] == pipeline.STATUS_OUTSIDE_COVERAGE]
    assert sorted(away["source_row"]) == list(range(7, 14))
    assert away["reason"].str.contains("(Tower Hamlets)", regex=False).all()
    assert "London, City of" in rec["note"]
    wt = pipeline.ward_table(built, pipeline.Selection("crime:all", "2018-01", "2018-01"))
    counts = wt.frame.set_index("area_code")["count"]
    assert counts.sum() == rec["assigned"] == 5
    assert pd.isna(counts[areas["area_code"].iloc[2]])  # Tower Hamlets: no data, not 0
    assert "City of London Police records" not in built.meta.points_note
    out = tmp_path / "o"
    assert cli.main(["table", "--areas", str(shp), "--police-uk", str(police),
                     "--assume-crs", "EPSG:27700", "--out", str(out)]) == 0
    table = pd.read_csv(out / "ward_table.csv")
    recon = pd.read_csv(out / "reconciliation.csv")
    assert table["count"].sum() == recon["assigned"].sum() == 5


# --------------------------------------------------------------------------- EB-smoothed rates


def test_eb_rate_choice_is_esdas_global_empirical_bayes(pack):
    """Issue 13 item 13: the page's EB-smoothed rate is esda's global Empirical Bayes."""
    import numpy as np
    from esda.smoothing import Empirical_Bayes

    sel = pipeline.Selection("crime:major:ROBBERY", pack.months[-12], pack.months[-1],
                             rate="eb_per_1000")
    wt = pipeline.ward_table(pack, sel)
    f = wt.frame
    use = f["count"].notna() & (f["population"] > 0)
    e, b = f.loc[use, "count"].to_numpy(float), f.loc[use, "population"].to_numpy(float)
    esda = 1000 * np.asarray(Empirical_Bayes(e, b).r, dtype=float).ravel()
    np.testing.assert_allclose(f.loc[use, "value"].to_numpy(float), esda, rtol=1e-12)
    # Marshall (1991) by hand: m + C (r - m), C = A / (A + m / b).
    m = e.sum() / b.sum()
    a = (b * (e / b - m) ** 2).sum() / b.sum() - m / b.mean()
    hand = 1000 * (m + a / (a + m / b) * (e / b - m))
    np.testing.assert_allclose(f.loc[use, "value"].to_numpy(float), hand, rtol=1e-10)
    assert (f.loc[use, "eb_rate"] == f.loc[use, "value"]).all()
    assert f.loc[use, "value_display"].tolist() == [f"{v:,.1f}" for v in esda]
    assert "global empirical Bayes" in wt.label and "smoothed rate per 1,000" in wt.label
    top = f.sort_values("rank").iloc[0]
    assert top["value"] == f.loc[use, "value"].max() and top["rank"] == 1
    # The crude rate is still there, and differs: smoothing pulls small wards in.
    assert not np.allclose(f.loc[use, "rate_per_1000"], f.loc[use, "value"])


def test_eb_rate_of_a_suppressed_referral_ward_is_hidden(pack):
    sel = pipeline.Selection("referrals:all", pack.months[-1], pack.months[-1],
                             rate="eb_per_1000")
    f = pipeline.ward_table(pack, sel).frame
    small = f["suppressed"].astype(bool)
    assert small.any()
    assert (f.loc[small, "value_display"] == "suppressed (count <5)").all()  # as crude rates
    assert f.loc[small, "rank"].isna().all()
    export = pipeline.table_for_export(pipeline.ward_table(pack, sel)).set_index("area_code")
    assert (export.loc[f.loc[small, "area_code"], "eb_rate_per_1000"] == "<5").all()
