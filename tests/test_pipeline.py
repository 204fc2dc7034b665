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
