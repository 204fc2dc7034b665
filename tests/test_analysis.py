"""The composed ward analysis on the demo pack, and the CLI's analyse command."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotspots import cli, pipeline, stats
from hotspots.pipeline import analysis as analysis

FAST = analysis.StatsParams(permutations=99, seed=7)


@pytest.fixture(scope="module")
def pack():
    return pipeline.load_pack()


@pytest.fixture(scope="module")
def crime_analysis(pack):
    m = pack.months
    return analysis.analyse(pack, pipeline.Selection("crime:all", m[-12], m[-1]), FAST)


def test_every_column_present_and_no_data_kept_apart(crime_analysis):
    t = crime_analysis.table
    missing = [c for c in analysis.EXPORT_COLUMNS if c not in t.columns]
    assert not missing
    nodata = t[~t["has_data"]]
    assert len(nodata) == 25
    assert (nodata["gi_class"].str.lower() == "no data").all()
    assert nodata["gi_z"].isna().all() and nodata["count_prev"].isna().all()
    assert crime_analysis.params["statistics"]["permutations"] == 99
    assert crime_analysis.params["statistics"]["seed"] == 7


def test_change_against_previous_period_matches_independent_sum(pack, crime_analysis):
    raw = pd.read_csv(pack.folder / "crime_ward_month.csv.gz", dtype={"area_code": str})
    m = pack.months
    prev = raw[(raw["month"] >= m[-24]) & (raw["month"] <= m[-13])]
    expect = prev.groupby("area_code")["count"].sum()
    t = crime_analysis.table.set_index("area_code")
    got = t.loc[expect.index, "count_prev"]
    assert (got == expect).all()
    ok = t["has_data"]
    assert (t.loc[ok, "change_abs"] == t.loc[ok, "count"] - t.loc[ok, "count_prev"]).all()


def test_same_seed_identical_other_seed_changes_only_p(pack):
    m = pack.months
    sel = pipeline.Selection("crime:major:BURGLARY", m[-6], m[-1], "per_1000")
    a1 = analysis.analyse(pack, sel, FAST).table
    a2 = analysis.analyse(pack, sel, FAST).table
    a3 = analysis.analyse(pack, sel, analysis.StatsParams(permutations=99, seed=8)).table
    cols = ["gi_z", "gi_p", "lisa_i", "lisa_p", "bv_i"]
    pd.testing.assert_frame_equal(a1[cols], a2[cols])
    pd.testing.assert_series_equal(a1["gi_z"], a3["gi_z"])  # statistic does not depend on seed
    assert not a1["gi_p"].equals(a3["gi_p"])


def test_referral_export_hides_small_numbers_everywhere(pack, tmp_path):
    m = pack.months
    a = analysis.analyse(pack, pipeline.Selection("referrals:all", m[-12], m[-1]), FAST)
    ex = analysis.analysis_for_export(a)
    for col in ("count", "count_prev"):
        s = ex[col].astype(str)
        assert not s.isin(["1", "2", "3", "4", "1.0", "2.0", "3.0", "4.0"]).any(), col
    small = a.table["count"].between(1, 4).to_numpy()
    hidden = ex.set_index("area_code").loc[a.table.loc[small, "area_code"]]
    assert hidden["eb_rate"].isna().all() and hidden["rank"].isna().all()
    assert a.deprived_share is not None and "not England" in a.deprived_share.text
    # Notes never quote an area's referral count (it may be a suppressed one).
    assert any("no usable population" in n for n in a.notes)
    assert not any("has a count of" in n for n in a.notes)
    assert not any("E05" in n for n in a.notes)


def test_cli_analyse_writes_tables_and_manifest(tmp_path, capsys):
    code = cli.main(["analyse", "--measure", "crime:major:ROBBERY", "--permutations", "99",
                     "--seed", "3", "--borough", "Lambeth", "--borough", "Southwark",
                     "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Moran" in out and "Gi*" in out
    t = pd.read_csv(tmp_path / "ward_analysis.csv")
    assert set(t["borough_name"]) == {"Lambeth", "Southwark"}
    assert {"gi_class", "lisa_quadrant", "bv_class_label", "change_label"} <= set(t.columns)
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["parameters"]["statistics"]["seed"] == 3
    assert m["parameters"]["selection"]["boroughs"] == ["Lambeth", "Southwark"]
    by = pd.read_csv(tmp_path / "spearman_by_borough.csv")
    assert set(by["group"]) >= {"Lambeth", "Southwark"}
    assert not (tmp_path / "emerging_wards.csv").exists()  # only when asked
    # one row and one printed line per global statistic of the registry
    g = pd.read_csv(tmp_path / "global_statistics.csv")
    assert list(g["key"]) == [s.key for s in stats.registry.global_statistics()]
    for row in g.itertuples():
        saved = m["parameters"]["hotspots"][row.key]
        symbol = stats.registry.get(row.key).symbol
        assert row.value == pytest.approx(saved[symbol]) and row.p_sim == saved["p_sim"]
        assert f"Global {row.statistic} = {row.value:.3f}" in out
    # Change in words: nothing for a spreadsheet to neutralise with an apostrophe.
    labels = t["change_label"].dropna().astype(str)
    assert len(labels) and not labels.str.match(r"^['+\-=@]").any()
    assert labels.str.match(r"^(up|down) [\d,.]+ \([\d.]+%\)$|^new$|^no change$").all()


def test_cli_analyse_emerging_writes_per_ward_classes(tmp_path, capsys, pack):
    code = cli.main(["analyse", "--permutations", "99", "--seed", "3", "--borough", "Lambeth",
                     "--emerging", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert "Emerging hot spots (wards)" in capsys.readouterr().out
    em = pd.read_csv(tmp_path / "emerging_wards.csv")
    lambeth = pack.areas.loc[pack.areas["borough_name"] == "Lambeth", "area_code"]
    assert sorted(em["area_code"]) == sorted(lambeth)
    assert (em["n_steps"] == len(pack.crime["month"].unique())).all()


def test_emerging_wards_equal_an_independent_series(pack):
    """Per-ward emerging hot spots equal a series rebuilt by hand from the pack."""
    from hotspots.stats import emerging as emerging
    from hotspots.stats import weights as weights

    m = pack.months
    p = analysis.StatsParams(permutations=99, seed=3)
    got = analysis.emerging_wards(pack, pipeline.Selection("crime:all", m[-12], m[-1]), p)
    covered = sorted(pack.crime_coverage)
    assert sorted(got["area_code"]) == covered  # wards with data only (not the City)
    months = sorted(pack.crime["month"].unique())
    wide = (pack.crime.groupby(["area_code", "month"])["count"].sum().unstack(fill_value=0)
            .reindex(index=covered, columns=months, fill_value=0))
    sw = weights.build_weights(pack.areas[pack.areas["area_code"].isin(covered)], kind="queen")
    ref = emerging.emerging_hotspots(wide.loc[list(sw.ids)], sw, permutations=99, seed=3,
                                     alpha=0.10)
    mine = got.set_index("area_code")
    assert (mine.loc[ref.index, "trend_class"] == ref["trend_class"]).all()
    assert (mine["n_steps"] == len(months)).all()
    assert set(got["trend_class"]) <= set(emerging.CATEGORIES)
    patterned = got["trend_class"] != emerging.NO_PATTERN
    assert not patterned.iloc[patterned.sum():].any(), "patterns are listed first"


def test_emerging_wards_hide_referral_z_scores(pack):
    m = pack.months
    got = analysis.emerging_wards(pack, pipeline.Selection("referrals:all", m[-12], m[-1]),
                                  analysis.StatsParams(permutations=99, seed=3))
    assert not set(analysis.EMERGING_SENSITIVE_COLUMNS) & set(got.columns)
    assert {"trend_class", "mk_trend", "n_hot"} <= set(got.columns)
    assert len(got) == len(pack.areas)


def test_analysis_export_of_synthetic_referrals_says_so(pack):
    from hotspots import pipeline
    from hotspots.pipeline import analysis

    months = pack.months
    sel = pipeline.Selection("referrals:all", months[-12], months[-1])
    res = analysis.analyse(pack, sel, analysis.StatsParams(permutations=99, seed=1))
    out = analysis.analysis_for_export(res)
    assert (out["data"] == pipeline.table.SYNTHETIC_EXPORT_LABEL).all()
    crime = analysis.analyse(pack, pipeline.Selection("crime:all", months[-1], months[-1]),
                             analysis.StatsParams(permutations=99, seed=1))
    assert "data" not in analysis.analysis_for_export(crime)
