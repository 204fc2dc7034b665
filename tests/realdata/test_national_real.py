"""store analyse / store emerging on the real Welsh police.uk months and the 2021 LSOAs.

A force-sized place (Dyfed-Powys, about 300 LSOAs) keeps the run short; the full
35,672 LSOAs are in bench/national_stats.py. References: the store's own
counts, esda's G_Local and Moran_Local on the same weights, libpysal's Queen
neighbours, the published IoD 2025 and WIMD 2019 files read with pandas,
scipy's kendalltau.
"""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps
from libpysal.weights import Queen

from hotspots import stats, store
from hotspots.cli import main
from hotspots.pipeline import lsoas, national, packbuild
from tests.test_national import esda_w

pytestmark = pytest.mark.realdata

WALES = "police_uk_wales_2024-01_to_2024-04"
FORCE = "Dyfed-Powys Police"


@pytest.fixture(scope="module")
def wales_store(tmp_path_factory, shared_data):
    path = tmp_path_factory.mktemp("natstore") / "wales.duckdb"
    con = store.connect(path)
    store.add_inputs(con, [shared_data / WALES])
    con.close()
    return path


@pytest.fixture(scope="module")
def data():
    return packbuild.load_national()


@pytest.fixture(scope="module")
def dyfed(data):
    return national.load_lsoa_layer(data, "Dyfed-Powys")


@pytest.fixture(scope="module")
def analysed(wales_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("analyse")
    code = main(["store", "analyse", "--area", "Dyfed-Powys", "--force", FORCE,
                 "--store", str(wales_store), "--out", str(out), "--permutations", "199"])
    assert code == 0
    return out


def store_counts(path, layer, **kw):
    con = store.connect(path, read_only=True)
    try:
        return store.area_counts(con, layer.areas, forces=[FORCE], **kw)
    finally:
        con.close()


def test_analyse_reconciles_and_counts_equal_the_store(analysed, wales_store, dyfed):
    rec = pd.read_csv(analysed / "reconciliation.csv").iloc[0]
    assert rec["rows_in"] == rec[["assigned", "unlocated", "outside", "rejected"]].sum() > 1000
    t = pd.read_csv(analysed / "lsoa_statistics.csv")
    assert len(t) == len(dyfed.areas) > 250
    got = store_counts(wales_store, dyfed).counts
    got = got[got["category"] != "Anti-social behaviour"]  # the default: recorded crime
    per = got.groupby(got["area_code"].astype(str), observed=True)["count"].sum()
    truth = t["area_code"].map(per).fillna(0)
    small = (truth > 0) & (truth < 5)
    assert (t["suppressed"] == small).all()
    assert t.loc[small, ["count", "rate_per_1000", "eb_rate"]].isna().all().all()
    assert (t.loc[~small, "count"] == truth[~small]).all()
    geo = gpd.read_parquet(analysed / "lsoa_statistics.parquet")
    assert geo.crs.to_epsg() == 27700 and geo["count"].isna().sum() == small.sum()
    assert "WIMD 2019" in (analysed / "method.txt").read_text()


def test_gi_and_lisa_equal_esda_and_weights_equal_libpysal(wales_store, dyfed):
    got = store_counts(wales_store, dyfed)
    res = national.lsoa_statistics(dyfed, got.counts, permutations=99, seed=1)
    t = res.table.set_index("area_code")
    sw = stats.build_weights(dyfed.areas)
    y = t["count"].reindex(sw.ids).to_numpy()
    w = esda_w(sw)
    assert t["gi_z"].reindex(sw.ids).to_numpy() == pytest.approx(
        esda.G_Local(y, w, star=True, transform="B", permutations=0).Zs, rel=1e-9)
    w.transform = "r"
    assert t["lisa_i"].reindex(sw.ids).to_numpy() == pytest.approx(
        esda.Moran_Local(y, w, permutations=0).Is, rel=1e-9)
    q = Queen.from_dataframe(dyfed.areas, ids=dyfed.areas["area_code"].tolist(),
                             silence_warnings=True)
    plain = [c for c in sw.ids if not sw.fallback[c]]
    assert len(plain) > 0.95 * sw.n
    assert all(set(q.neighbors[c]) == set(w.neighbors[c]) for c in plain)


def test_deprivation_per_nation_equals_the_published_files(data, shared_data):
    e = pd.read_csv(shared_data / "imd2025_lsoa_england" /
                    "IoD2025_LSOA21_scores_ranks_deciles.csv.gz").iloc[:, [0, 2, 3]]
    e.columns = ["lsoa", "rank", "decile"]
    codes = pd.Series(["E01000001", "E01033768", "W01000001", "W01000240", "W01002000"])
    got = lsoas.lsoa_table(data, codes)  # the one reader (the page's and store analyse's)
    dep, notes = got.table.set_index("area_code"), got.notes
    # W01000001 is a 2011 LSOA only (split in 2021): not a row of the 2021 table
    assert dep.index.tolist() == sorted(set(codes) - {"W01000001"})
    codes = pd.Series(dep.index)
    eng = e.set_index("lsoa").loc[["E01000001", "E01033768"]]
    assert dep.loc[eng.index, "dep_rank"].tolist() == eng["rank"].astype(float).tolist()
    assert dep.loc[eng.index, "dep_decile"].tolist() == eng["decile"].astype(float).tolist()
    assert (dep.loc[eng.index, "dep_index"] == "IoD 2025 (England)").all()
    w = pd.read_csv(shared_data / "wimd2019_lsoa_wales" /
                    "wimd2019_lsoa11_scores_ranks_humaniverse.csv").set_index("lsoa11_code")
    same = [c for c in ("W01000240", "W01002000") if dep.loc[c, "dep_route"] == "same code"]
    assert same and dep.loc[same, "dep_rank"].tolist() == w.loc[same, "IMD_rank"].astype(
        float).tolist()
    assert (dep.loc[codes[codes.str[0] == "W"], "dep_index"] == "WIMD 2019 (Wales)").all()
    # a Welsh rank is among Wales's 1,909 LSOAs, never on England's scale
    assert dep.loc[codes[codes.str[0] == "W"], "dep_rank"].max() <= 1909
    assert any("IoD 2025" in n for n in notes) and any("WIMD 2019" in n for n in notes)


def test_emerging_last_month_equals_esda_and_trend_equals_kendalltau(wales_store, dyfed,
                                                                     tmp_path, capsys):
    # the store holds 4 months: store emerging refuses (10 needed), naming both
    code = main(["store", "emerging", "--area", "Dyfed-Powys", "--force", FORCE,
                 "--store", str(wales_store), "--out", str(tmp_path), "--permutations", "99",
                 "--no-deprivation"])
    assert code == 2
    assert "at least 10 months; there are 4 (2024-01 to 2024-04)" in capsys.readouterr().err
    # the computation itself on the 4 real months (the minimum lowered for this check only)
    got = store_counts(wales_store, dyfed).counts
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    m = national.monthly_counts(got, dyfed.areas["area_code"], months)
    sw = stats.build_weights(dyfed.areas)
    out = stats.emerging_hotspots(m.reindex(sw.ids), sw, permutations=99, seed=1, min_steps=4)
    ref = esda.G_Local(m[months[-1]].reindex(sw.ids).to_numpy(), esda_w(sw), star=True,
                       transform="B", permutations=0)
    assert out["gi_z_last"].reindex(sw.ids).to_numpy() == pytest.approx(ref.Zs, rel=1e-9)
    assert set(out["trend_class"]) <= set(stats.emerging.CATEGORIES)
    assert (out["n_steps"] == 4).all()
    # Mann-Kendall tau of the Gi* z-series: scipy's kendalltau against time (no ties)
    zs = np.column_stack([
        esda.G_Local(m[mo].reindex(sw.ids).to_numpy(), esda_w(sw), star=True, transform="B",
                     permutations=0).Zs for mo in months])
    checked = 0
    for i, c in enumerate(sw.ids[:60]):
        if len(np.unique(zs[i])) == 4:
            tau = sps.kendalltau(np.arange(4), zs[i]).statistic
            assert out.loc[c, "mk_tau"] == pytest.approx(tau, abs=1e-9)
            checked += 1
    assert checked > 30
    # why 10: with 4 steps no Mann-Kendall trend can be significant (scipy's exact test of
    # the strongest possible series, 4 rising values: p = 1/12 > 0.05)
    assert sps.kendalltau(np.arange(4), np.arange(4), method="exact").pvalue > 0.05
    assert not (out["mk_p"] < 0.05).any()


def test_bad_flags_give_a_clear_error_not_a_traceback(wales_store, tmp_path, capsys):
    base = ["store", "analyse", "--area", "Dyfed-Powys", "--store", str(wales_store),
            "--out", str(tmp_path), "--no-deprivation"]
    assert main([*base, "--crime-type", "Burglry"]) == 2
    err = capsys.readouterr().err
    assert "--crime-type 'Burglry'" in err and "Burglary" in err and "Traceback" not in err
    assert main([*base, "--from", "2030-01"]) == 2
    assert "no month of the store" in capsys.readouterr().err
    assert main([*base[:3], "Nowhereshire", *base[4:]]) == 2
    assert "Nowhereshire" in capsys.readouterr().err


def test_counts_for_some_crime_types_are_those_rows_of_all_counts(wales_store, dyfed):
    every = store_counts(wales_store, dyfed).counts
    types = ["Burglary", "Vehicle crime"]
    some = store_counts(wales_store, dyfed, categories=types)
    want = every[every["category"].isin(types)]
    assert some.counts["count"].sum() == want["count"].sum() > 0
    def per(c: pd.DataFrame) -> dict:
        return {(str(a), str(t)): int(n) for a, t, n in zip(c["area_code"], c["category"],
                                                            c["count"], strict=True)}

    assert per(some.counts) == per(want)
    con = store.connect(wales_store, read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM records WHERE falls_within = ? AND category "
                           "IN ('Burglary', 'Vehicle crime')", [FORCE]).fetchone()[0]
    finally:
        con.close()
    rec = some.reconciliation
    assert rec.rows_in == rows == rec.assigned + rec.unlocated + rec.outside + rec.rejected


def test_page_path_gives_store_analyse_classes(wales_store, data, shared_data):
    """The national page's way (its table, every LSOA's polygons counted at once, a place cut
    with layer_of) gives the classes ``store analyse`` writes for North Wales (its layer,
    counts on the force's LSOAs only), LSOA by LSOA."""
    from boundaries import national as national_files
    from hotspots.pipeline import nationalmap, nationalstats

    view = nationalmap.national_table()
    polys = national_files.read_lsoa_polygons(data.sources.path("lsoa21_boundaries"),
                                              "lsoa21_boundaries")
    every, _ = nationalmap.store_counts(wales_store, polys.rename(columns={"lsoa_code":
                                                                          "area_code"}))
    mask, place = nationalmap.place_mask(view, "pfa:North Wales")
    page_layer = national.layer_of(view.lsoas, polys, place)
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    choice = nationalstats.StatChoice(permutations=999, seed=7, alpha=0.10)
    table, params = nationalstats.run_statistic(page_layer, every, months, choice)
    mv = nationalstats.stat_values(view.table["lsoa_code"].tolist(), mask, table, params,
                                   "hotspots")
    cli_layer = national.load_lsoa_layer(data, "pfa:North Wales")
    con = store.connect(wales_store, read_only=True)
    try:
        got = store.area_counts(con, cli_layer.areas)
    finally:
        con.close()
    crime = got.counts[got.counts["category"] != "Anti-social behaviour"]
    cli = national.lsoa_statistics(cli_layer, crime, permutations=999, seed=7, alpha=0.10).table
    from hotspots.maps.statmaps import classes as statclasses

    keys = statclasses.gi_keys({"alpha": 0.10})[0]
    codes = view.table["lsoa_code"].to_numpy()
    page = {c: keys[k] for c, k in zip(codes, mv.classes, strict=True) if k != 255}
    assert len(page) == len(cli) == int(mask.sum())
    assert page == dict(zip(cli["area_code"], cli["gi_class"], strict=True))
    assert table["count"].tolist() == cli["count"].tolist()
    assert cli["count"].sum() > 10_000  # North Wales's recorded crime, four months
    np.testing.assert_array_equal(table["gi_z"].to_numpy(), cli["gi_z"].to_numpy())
    np.testing.assert_array_equal(table["gi_q"].to_numpy(), cli["gi_q"].to_numpy())
    assert cli["gi_z"].max() > 3  # town centres stand out (the classes depend on q)


def test_analyse_correction_flag_reaches_the_files(wales_store, tmp_path):
    """``--correction bonferroni`` (the page's choice too): q = min(1, p x LSOAs tested)."""
    out = tmp_path / "bonf"
    assert main(["store", "analyse", "--area", "Dyfed-Powys", "--store", str(wales_store),
                 "--out", str(out), "--permutations", "99", "--no-deprivation",
                 "--correction", "bonferroni"]) == 0
    t = pd.read_csv(out / "lsoa_statistics.csv")
    tested = t["gi_p"].notna()
    assert tested.sum() > 250
    np.testing.assert_allclose(t.loc[tested, "gi_q"],
                               np.minimum(1, t.loc[tested, "gi_p"] * tested.sum()))
    assert "Bonferroni correction over all LSOAs" in (out / "method.txt").read_text()


def test_store_analyse_export_is_in_the_audit_log(analysed, wales_store,
                                                  _audit_log_in_a_temporary_folder):
    """store analyse / emerging / counts wrote files but no audit line (the page's and the
    other commands' exports all have one)."""
    from hotspots.report import audit

    mine = [e for e in audit.read_entries(_audit_log_in_a_temporary_folder).entries
            if e["export"] == "store analyse (files)" and e.get("folder") == str(analysed)]
    assert len(mine) == 1
    e = mine[0]
    assert e["data"] == str(wales_store) and e["suppress_below"] == 5
    assert "lsoa_statistics.csv" in e["files"] and "method.txt" in e["files"]
    assert e["selection"]["month_from"] == "2024-01" and e["selection"]["month_to"] == "2024-04"
