"""National LSOA statistics (hotspots.pipeline.national) on a hand-made layer.

References: esda's G_Local (Gi* z, binary weights with self), Moran_Local (I),
esda.smoothing.Empirical_Bayes (global EB rate), hand-made counts for the
monthly matrix and suppression, and stats.local_gi_star per month.
"""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.weights import W
from shapely.geometry import box

from boundaries.places import Place
from hotspots import stats
from hotspots.pipeline import national


def layer(n: int = 8, seed: int = 1) -> national.LsoaLayer:
    cells = [(r, c) for r in range(n) for c in range(n)]
    codes = [f"E01{r:02d}{c:03d}" for r, c in cells]
    rng = np.random.default_rng(seed)
    areas = gpd.GeoDataFrame({
        "area_code": codes, "area_name": [f"Test {i:03d}A" for i in range(len(codes))],
        "nation": "England", "borough_code": "E06000001", "borough_name": "Test",
        "population": rng.integers(1000, 3000, len(codes)).astype(float)},
        geometry=[box(c * 500, r * 500, c * 500 + 500, r * 500 + 500) for r, c in cells],
        crs="EPSG:27700")
    dep = pd.DataFrame({
        "area_code": codes, "dep_index": "IoD 2025 (England)",
        "dep_score": rng.random(len(codes)), "dep_rank": np.arange(len(codes)) + 1.0,
        "dep_decile": np.repeat(np.arange(1, 11), 7)[:len(codes)].astype(float),
        "dep_route": "2021 LSOA (as published)"})
    return national.LsoaLayer(areas, dep, Place("country", "E92000001", "Test", ("E06000001",)),
                              ())


def counts(lay: national.LsoaLayer, months: list[str], seed: int = 2) -> pd.DataFrame:
    """Background 0-4 a month; a corner block busier every month."""
    rng = np.random.default_rng(seed)
    rows = []
    codes = lay.areas["area_code"].tolist()
    for m in months:
        for i, code in enumerate(codes):
            busy = (i // 8) < 3 and (i % 8) < 3
            for cat in ("Burglary", "Shoplifting"):
                n = int(rng.integers(5, 12) if busy else rng.integers(0, 3))
                if n:
                    rows.append((code, m, cat, n))
    return pd.DataFrame(rows, columns=["area_code", "month", "category", "count"])


def esda_w(sw: stats.SpatialWeights) -> W:
    a = sw.adjacency
    ids = list(sw.ids)
    neigh = {ids[i]: [ids[j] for j in a.indices[a.indptr[i]:a.indptr[i + 1]]]
             for i in range(sw.n)}
    return W(neigh, id_order=ids, silence_warnings=True)


def test_statistics_equal_esda_and_eb_equals_esda_smoothing():
    lay = layer()
    c = counts(lay, ["2024-01", "2024-02"])
    res = national.lsoa_statistics(lay, c, permutations=999, seed=3)
    t = res.table.set_index("area_code")
    y = c.groupby("area_code")["count"].sum().reindex(t.index, fill_value=0).to_numpy(float)
    assert t["count"].to_numpy() == pytest.approx(y)
    sw = stats.build_weights(lay.areas)
    w = esda_w(sw)
    g = esda.G_Local(y, w, star=True, transform="B", permutations=0)
    assert t["gi_z"].to_numpy() == pytest.approx(g.Zs, rel=1e-9)
    w.transform = "r"
    lm = esda.Moran_Local(y, w, permutations=0)
    assert t["lisa_i"].to_numpy() == pytest.approx(lm.Is, rel=1e-9)
    pop = lay.areas.set_index("area_code")["population"].reindex(t.index).to_numpy()
    eb = esda.smoothing.Empirical_Bayes(y, pop)
    assert t["eb_rate"].to_numpy() == pytest.approx(1000 * eb.r.ravel(), rel=1e-9)
    assert t["rate_per_1000"].to_numpy() == pytest.approx(1000 * y / pop)
    assert (t["dep_index"] == "IoD 2025 (England)").all()
    hot = t.loc[t["gi_class"].str.startswith("Hot"), "count"]
    assert len(hot) and hot.min() > y.mean()  # the busy corner, not background


def test_rate_measure_runs_gi_on_rates():
    lay = layer()
    res = national.lsoa_statistics(lay, counts(lay, ["2024-01"]), measure="eb_rate",
                                   permutations=99, seed=3)
    t = res.table
    sw = stats.build_weights(lay.areas)
    g = esda.G_Local(t["eb_rate"].to_numpy(), esda_w(sw), star=True, transform="B",
                     permutations=0)
    assert t["gi_z"].to_numpy() == pytest.approx(g.Zs, rel=1e-9)
    with pytest.raises(ValueError, match="measure='crimes'"):
        national.lsoa_statistics(lay, counts(lay, ["2024-01"]), measure="crimes")


def test_export_hides_small_counts_and_their_rates_only():
    t = pd.DataFrame({"area_code": list("abcde"), "count": [0.0, 1.0, 4.0, 5.0, 80.0],
                      "rate_per_1000": [0.0, 0.5, 2.0, 2.5, 40.0],
                      "eb_rate": [0.3, 0.6, 2.1, 2.4, 39.0], "gi_z": [0.1, 0.2, 0.3, 0.4, 3.0]})
    e = national.export_frame(t)
    assert e["count"].isna().tolist() == [False, True, True, False, False]
    assert e["rate_per_1000"].isna().tolist() == [False, True, True, False, False]
    assert e["eb_rate"].isna().tolist() == [False, True, True, False, False]
    assert e["suppressed"].tolist() == [False, True, True, False, False]
    assert e["gi_z"].tolist() == t["gi_z"].tolist()
    assert e["count"].dropna().tolist() == [0, 5, 80]
    assert national.export_frame(t, threshold=0)["count"].notna().all()


def test_export_never_writes_gi_g_which_is_the_local_sum_over_the_total():
    """police.uk: G* = local sum / the map's total gave blanked counts back (the trial)."""
    t = pd.DataFrame({"area_code": list("abc"), "count": [3.0, 2.0, 80.0],
                      "gi_g": [0.1, 0.2, 0.7], "gi_z": [0.1, 0.2, 3.0], "gi_class": ["x"] * 3})
    e = national.export_frame(t)
    assert "gi_g" not in e.columns
    assert e["gi_z"].tolist() == [0.1, 0.2, 3.0]  # police.uk is public: z kept, and said


def test_method_text_says_what_is_blank_and_what_is_kept():
    text = national.analyse_method({"months": ["2024-01"], "permutations": 99, "seed": 1,
                                    "correction": "fdr", "alpha": 0.05}, 5)
    assert "counts from 1 to 4 are blank" in text
    assert "G* (gi_g) is not written" in text
    assert "z-scores (gi_z) and local Moran's I (lisa_i) are kept" in text
    assert "police.uk is public" in text
    emerging = national.emerging_method({"months": ["2024-01"], "permutations": 99,
                                         "seed": 1, "correction": "fdr", "alpha": 0.1,
                                         "trend_alpha": 0.05}, 5)
    assert "counts from 1 to 4 are blank" in emerging
    assert "(gi_z_last) and trend statistics (mk_z, mk_tau, mk_p) are kept" in emerging


def test_monthly_counts_fill_zero_and_sum_categories():
    c = pd.DataFrame({"area_code": ["a", "a", "b", "z"], "month": ["2024-02", "2024-02",
                      "2024-01", "2024-01"], "category": ["x", "y", "x", "x"],
                      "count": [2, 3, 4, 9]})
    m = national.monthly_counts(c, ["a", "b"], ["2024-01", "2024-02", "2024-03"])
    assert m.to_numpy().tolist() == [[0, 5, 0], [4, 0, 0]]  # 'z' is not a unit


def test_emerging_per_month_equals_local_gi_star_and_classes_agree():
    lay = layer()
    months = [f"2024-{m:02d}" for m in range(1, 11)]
    c = counts(lay, months)
    out = national.lsoa_emerging(lay, c, months, permutations=999, seed=5).set_index("area_code")
    sw = stats.build_weights(lay.areas)
    last = national.monthly_counts(c, list(sw.ids), months)[months[-1]]
    ref = stats.local_gi_star(last, sw, permutations=999, seed=5 + 9, alpha=0.10)
    assert out["gi_z_last"].to_numpy() == pytest.approx(ref.frame["gi_z"].to_numpy())
    inner = [f"E01{r:02d}{c:03d}" for r in range(2) for c in range(2)]
    far = [f"E01{r:02d}{c:03d}" for r in range(5, 8) for c in range(5, 8)]
    assert out.loc["E0101001", "n_hot"] == 10  # the busy block's centre: hot every month
    assert (out.loc[inner, "trend_class"] == "persistent hot spot").all()
    assert not out.loc[far, "trend_class"].str.endswith("hot spot").any()
    assert set(out["trend_class"]) <= set(stats.emerging.CATEGORIES)
    assert (out["n_hot"] + out["n_cold"] <= 10).all()
    with pytest.raises(national.InputDataError, match="at least 10 months; there are 9"):
        national.lsoa_emerging(lay, c, months[:9])


def test_method_text_states_every_category_definition():
    text = national.emerging_method({"months": ["2024-01", "2024-02"], "place": "Test",
                                     "permutations": 999, "seed": 1, "alpha": 0.1,
                                     "trend_alpha": 0.05}, 5)
    for name, definition in stats.emerging.CATEGORIES.items():
        assert f"{name}: {definition}" in text
    assert "counts from 1 to 4 are blank" in text


# ----------------------------------------------------------------------- the national page


def _page_classes(mv, keys: list[str], codes: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The class each drawn LSOA gets on the page, as the statistic's key."""
    return {c: keys[int(k)] for c, k in zip(codes, mv.classes, strict=True) if k != 255}


@pytest.mark.parametrize("statistic, column", [("hotspots", "gi_class"),
                                               ("clusters", "lisa_quadrant")])
def test_page_classes_equal_store_analyse(statistic, column):
    """The page's class per LSOA is store analyse's (lsoa_statistics), in the geometry order."""
    from hotspots.maps.statmaps import classes as statclasses
    from hotspots.pipeline import nationalstats

    lay = layer()
    c = counts(lay, ["2024-01", "2024-02"])
    c = pd.concat([c, pd.DataFrame({"area_code": lay.areas["area_code"][:5], "month": "2024-01",
                                    "category": "Anti-social behaviour", "count": 50})])
    choice = nationalstats.StatChoice(statistic=statistic, permutations=999, seed=3)
    table, params = nationalstats.run_statistic(lay, c, ["2024-01", "2024-02"], choice)
    # the command line's numbers: recorded crime only (the ASB rows left out by hand)
    cli = national.lsoa_statistics(lay, c[c["category"] != "Anti-social behaviour"],
                                   permutations=999, seed=3).table
    # the geometry file holds more LSOAs than the place (here: two Welsh ones, not shown)
    codes = ["W01000001", *sorted(lay.areas["area_code"]), "W01000002"]
    mask = np.array([not x.startswith("W") for x in codes])
    mv = nationalstats.stat_values(codes, mask, table, params, statistic)
    keys, _, colours = statclasses.local_keys("gi_star" if statistic == "hotspots" else "lisa",
                                              {"alpha": 0.05})
    got = _page_classes(mv, keys, codes)
    assert got == dict(zip(cli["area_code"], cli[column], strict=True))
    assert mv.classes[0] == mv.classes[-1] == 255 and mv.texts[0] == ""
    assert [mv.colours[i] for i in range(len(keys))] == colours  # the ward page's colours
    assert any(v != "Not significant" and v != "ns" for v in got.values())  # something found
    legend = dict(mv.legends[0][1])
    assert sum(int(t.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for t in legend.values()
               ) == len(lay.areas)


def test_page_emerging_classes_equal_store_emerging():
    from hotspots.pipeline import nationalstats
    from hotspots.stats import emerging

    lay = layer()
    months = [f"2024-{m:02d}" for m in range(1, 11)]
    c = counts(lay, months)
    choice = nationalstats.StatChoice(statistic="emerging", permutations=199, seed=5,
                                      alpha=0.10)
    table, params = nationalstats.run_statistic(lay, c, months, choice)
    cli = national.lsoa_emerging(lay, c, months, permutations=199, seed=5, alpha=0.10)
    codes = sorted(lay.areas["area_code"])
    mv = nationalstats.stat_values(codes, np.ones(len(codes), bool), table, params, "emerging")
    keys = [k for k in emerging.CATEGORIES if k != emerging.NO_PATTERN] + [emerging.NO_PATTERN]
    assert _page_classes(mv, keys, codes) == dict(zip(cli["area_code"], cli["trend_class"],
                                                      strict=True))
    with pytest.raises(national.InputDataError, match="at least 10 months; there are 9 "
                       r"\(2024-01 to 2024-09\)"):
        nationalstats.run_statistic(lay, c, months[:9], choice)


def test_bonferroni_on_the_page_is_p_times_the_lsoas_tested():
    """The correction chosen reaches the statistics: Bonferroni q = min(1, p x n) by hand."""
    from hotspots.pipeline import nationalstats

    lay = layer()
    c = counts(lay, ["2024-01"])
    fdr, _ = nationalstats.run_statistic(lay, c, ["2024-01"],
                                         nationalstats.StatChoice(permutations=99, seed=1))
    bon, params = nationalstats.run_statistic(
        lay, c, ["2024-01"], nationalstats.StatChoice(permutations=99, seed=1,
                                                      correction="bonferroni"))
    assert bon["gi_p"].tolist() == fdr["gi_p"].tolist()
    assert bon["gi_q"].to_numpy() == pytest.approx(np.minimum(1, bon["gi_p"] * len(bon)))
    assert "Bonferroni" in nationalstats.stat_method(params, "hotspots")
