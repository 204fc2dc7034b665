"""Issue 18, a sub-second ``analyse``: the shortcuts give exactly the slow path's numbers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from hotspots import stats
from hotspots.stats import drawplan, significance
from hotspots.stats import permutation as _perm


def _grid(nx: int, ny: int, **columns: object) -> gpd.GeoDataFrame:
    cells = [box(x, y, x + 1, y + 1) for y in range(ny) for x in range(nx)]
    codes = [f"A{i:03d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"area_code": codes, "area_name": [f"Area {c}" for c in codes],
                             **columns}, geometry=cells, crs="EPSG:27700")


@pytest.fixture
def layer() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    value = rng.poisson(6.0, 63).astype(float)
    imd = rng.gamma(3.0, 8.0, 63)
    value[[4, 30]] = np.nan                      # areas without data: weights rebuilt
    imd[4] = np.nan
    return _grid(9, 7, value=value, imd=imd)


def _counting_draws(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = _perm.sample_others
    monkeypatch.setattr(_perm, "sample_others",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_measure_and_imd_on_the_same_weights_draw_their_permutations_once(layer, monkeypatch):
    """The conditional draws do not depend on the values: the bivariate LISA's IMD draws are
    the measure's (the demo's 679 wards: 38 million positions made once instead of twice)."""
    significance._LAST_SIMS.clear()
    calls = _counting_draws(monkeypatch)
    stats.hotspot_table(layer, value_col="value", permutations=99, seed=3)
    alone = len(calls)
    significance._LAST_SIMS.clear()
    calls.clear()
    stats.hotspot_table(layer, value_col="value", imd_col="imd", permutations=99, seed=3)
    assert alone > 0 and len(calls) == alone


def test_shared_draws_give_each_statistic_its_own_simulation_bit_for_bit(layer):
    significance._LAST_SIMS.clear()
    table, params = stats.hotspot_table(layer, value_col="value", imd_col="imd",
                                        permutations=199, seed=8)
    # the slow path: every variable simulated on its own, the bivariate LISA on its own
    has = layer["value"].notna() & layer["imd"].notna()
    sub = layer[has].reset_index(drop=True)
    sw = stats.build_weights(sub)
    significance._LAST_SIMS.clear()
    gi = stats.local_gi_star(sub["value"].to_numpy(), sw, permutations=199, seed=8)
    significance._LAST_SIMS.clear()
    bv = stats.bivariate_local_moran(sub["value"].to_numpy(), sub["imd"].to_numpy(), sw,
                                     permutations=199, seed=8)
    got = table.set_index("area_code").loc[sub["area_code"]]
    for col in ("gi_z", "gi_p", "gi_q"):
        np.testing.assert_array_equal(got[col].to_numpy(), gi.frame[col].to_numpy())
    for col in ("bv_i", "bv_p", "bv_q", "bv_quadrant"):
        np.testing.assert_array_equal(got[col].to_numpy(), bv.frame[col].to_numpy())
    assert bv.frame["bv_p"].min() < 0.2          # the comparison is on real p-values


def test_neighbour_sum_counts_many_equals_one_call_per_variable():
    rng = np.random.default_rng(2)
    k = rng.integers(1, 6, 40)
    ys = [rng.gamma(2.0, 3.0, 40), rng.poisson(3.0, 40).astype(float), np.zeros(40) + 1.5]
    obs = [y * k for y in ys]
    both = _perm.neighbour_sum_counts_many(ys, k, obs, 299, seed=9)
    for y, o, (ge, le) in zip(ys, obs, both, strict=True):
        one_ge, one_le = _perm.neighbour_sum_counts(y, k, o, 299, seed=9)
        np.testing.assert_array_equal(ge, one_ge)
        np.testing.assert_array_equal(le, one_le)
    assert both[0][0].min() < 299 and both[2][0].min() == 299   # constant: every draw ties


def test_blocks_drawn_from_jumped_streams_are_those_of_one_generator_in_turn():
    """Each block's generator is PCG64(seed) advanced by the doubles drawn before it:
    exactly the positions one ``default_rng(seed)`` gives drawing the blocks in order."""
    rng = np.random.default_rng(4)
    k = rng.integers(0, 7, 300)
    n, permutations, seed = len(k), 999, 17
    one = np.random.default_rng(seed)
    plan = _perm._plan(k, permutations)
    assert len(plan) > 5 and len({b.k for b in plan}) == 6        # islands skipped
    for block, (sites, idx) in zip(plan, _perm._draws(k, permutations, seed, n), strict=True):
        np.testing.assert_array_equal(sites, block.sites)
        np.testing.assert_array_equal(idx, _perm.sample_others(one, sites, block.k,
                                                               permutations, n))


def test_a_big_simulation_runs_on_several_threads_with_the_same_counts(monkeypatch):
    import threading

    rng = np.random.default_rng(6)
    k = rng.integers(1, 8, 700)
    y = rng.gamma(2.0, 3.0, 700)
    obs = y * k
    threads: set[int] = set()
    real = _perm.sample_others
    monkeypatch.setattr(_perm, "sample_others", lambda *a, **kw: threads.add(
        threading.get_ident()) or real(*a, **kw))
    monkeypatch.setenv("HOTSPOTS_STATS_THREADS", "1")
    ge1, le1 = _perm.neighbour_sum_counts(y, k, obs, 999, seed=2)
    assert len(threads) == 1
    threads.clear()
    monkeypatch.setenv("HOTSPOTS_STATS_THREADS", "2")
    monkeypatch.setattr(drawplan.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    ge2, le2 = _perm.neighbour_sum_counts(y, k, obs, 999, seed=2)
    assert len(threads) == 2                       # both workers drew blocks
    np.testing.assert_array_equal(ge1, ge2)
    np.testing.assert_array_equal(le1, le2)


_SLOW = """
import sys
from hotspots import cli
from hotspots.stats import table
if sys.argv[2] == "slow":
    table._simulate_with_imd = lambda *a: None     # every variable simulated on its own
raise SystemExit(cli.main(["analyse", "--out", sys.argv[1]]))
"""


def _analyse(out, mode: str, env: dict[str, str]) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _SLOW, str(out), mode], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.replace(str(out), "OUT")


def test_analyse_on_the_demo_pack_writes_what_the_slow_path_writes(tmp_path):
    """The demo's ``analyse`` with every shortcut (pack cache, draws shared between the
    measure and IMD, blocks on threads) against a fresh computation without them: the
    same printout, the same CSV bytes, the same GeoPackage table and manifest numbers."""
    import json
    import os

    env = {**os.environ, "HOTSPOTS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("HOTSPOTS_PACK_CACHE", None)
    env.pop("HOTSPOTS_STATS_THREADS", None)
    _analyse(tmp_path / "fill", "fast", env)                  # fills the pack cache
    fast = _analyse(tmp_path / "fast", "fast", env)
    slow = _analyse(tmp_path / "slow", "slow", {**env, "HOTSPOTS_PACK_CACHE": "0",
                                                 "HOTSPOTS_STATS_THREADS": "1"})
    assert fast == slow and "Gi* classes" in fast
    names = sorted(p.name for p in (tmp_path / "slow").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "fast").iterdir())
    assert "ward_analysis.csv" in names and "global_statistics.csv" in names
    for name in names:
        if name.endswith(".csv"):
            assert (tmp_path / "fast" / name).read_bytes() == \
                (tmp_path / "slow" / name).read_bytes(), name
    a, b = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("fast", "slow"))
    assert a["parameters"] == b["parameters"] and a["parameters"]["hotspots"]["global_moran"]
    ga, gb = (gpd.read_file(tmp_path / d / "ward_analysis.gpkg") for d in ("fast", "slow"))
    assert len(ga) == 704
    import pandas as pd

    pd.testing.assert_frame_equal(ga, gb, check_exact=True)


def test_measure_options_from_distinct_pairs_equal_those_from_every_row():
    import dataclasses

    import pandas as pd

    from hotspots import pipeline
    from hotspots.labels import measure_label
    from hotspots.pipeline import table as ptable

    pack = pipeline.load_pack(cache=False)
    extra = pd.DataFrame({"area_code": pack.crime["area_code"].iloc[0], "month": "2025-01",
                          "major": ["police.uk: Anti-social behaviour", "ROBBERY", "Ünïcode"],
                          "minor": ["Anti-social behaviour", "Anti-social behaviour", "b"],
                          "count": 1})
    crime = pd.concat([pack.crime, extra], ignore_index=True)
    pack = dataclasses.replace(pack, crime=crime)

    def reference(p):  # the rule on every row, as before (drop_duplicates on the rows)
        asb = ptable.is_asb(p.crime)
        rows = p.crime[~asb]
        opts = {"crime:all": "All recorded crime"}
        for major in sorted(rows["major"].unique()):
            opts[pipeline.Measure("crime", group=major).key] = measure_label(major)
        pairs = rows[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
        for major, minor in pairs.itertuples(index=False):
            opts[pipeline.Measure("crime", group=major, type=minor).key] = (
                f"{measure_label(major)}: {measure_label(minor)}")
        opts[pipeline.ASB_KEY] = ptable.ASB_LABEL
        return opts

    got = {k: v for k, v in ptable.measure_options(pack).items()
           if not k.startswith("referrals")}
    assert list(got.items()) == list(reference(pack).items())
    assert len(got) > 50 and any("ROBBERY" in k for k in got)


def test_month_check_on_distinct_values_marks_the_rows_the_row_by_row_check_marks():
    import pandas as pd

    from hotspots.stats import trends

    values = ["2024-01", "2024-13", None, "2024-1", 202401, float("nan"), "2024-12 ",
              pd.NA, "1999-09", "2024-01"] * 3
    s = pd.Series(values, dtype=object, index=range(100, 130))
    rowwise = (~s.astype("string").str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")).fillna(True)
    got = trends._bad_months(s)
    assert got.index.equals(s.index) and got.dtype == bool
    assert got.tolist() == rowwise.astype(bool).tolist() and got.sum() == 21
    text = pd.Series(["2024-01", "2024-02", "20x4-02"], dtype="str")
    assert trends._bad_months(text).tolist() == [False, False, True]


def test_analyse_runs_the_statistics_beside_the_change_tables_with_the_same_numbers(
        monkeypatch):
    import threading

    import pandas as pd

    from hotspots import pipeline
    from hotspots.pipeline import analysis

    pack = pipeline.load_pack(cache=False)
    sel = pipeline.Selection("crime:all", pack.months[-12], pack.months[-1])
    p = analysis.StatsParams(permutations=99)
    where: dict[str, int] = {}
    real_hot, real_change = stats.hotspot_table, analysis._change_tables
    monkeypatch.setattr(analysis.stats, "hotspot_table", lambda *a, **k: where.setdefault(
        "hot", threading.get_ident()) and real_hot(*a, **k))
    monkeypatch.setattr(analysis, "_change_tables", lambda *a, **k: where.setdefault(
        "change", threading.get_ident()) and real_change(*a, **k))
    res = analysis.analyse(pack, sel, p)
    assert where["change"] == threading.get_ident() != where["hot"]
    significance._LAST_SIMS.clear()
    alone, _ = real_hot(res.ward.frame, value_col="value", imd_col="imd_score",
                        population_col="population", permutations=99, seed=p.seed)
    cols = [c for c in alone.columns if c != "area_code"]
    pd.testing.assert_frame_equal(res.table[cols].reset_index(drop=True),
                                  alone[cols].reset_index(drop=True), check_exact=True)
    assert res.change is not None and (res.table["gi_class"] != "No data").sum() == 679


def test_connected_parts_are_scipys_weak_components_with_the_same_labels():
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    from hotspots.stats.neighbours import connected_parts

    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        n, m = int(rng.integers(1, 60)), int(rng.integers(0, 80))
        r, c = rng.integers(0, n, m), rng.integers(0, n, m)     # one-way links, self-links
        a = sparse.csr_array((np.ones(m), (r, c)), shape=(n, n))
        want_n, want = connected_components(a, directed=True, connection="weak")
        got_n, got = connected_parts(a)
        assert got_n == want_n
        np.testing.assert_array_equal(got, want)
        seen.add(min(got_n, 5))
    assert seen == {1, 2, 3, 4, 5}
    chain = rng.permutation(20_000)                              # a long path: still fast
    a = sparse.csr_array((np.ones(19_999), (chain[:-1], chain[1:])), shape=(20_000, 20_000))
    assert connected_parts(a)[0] == 1


def test_analyse_loads_no_sparse_graph_module(tmp_path):
    import subprocess
    import sys

    probe = ("import sys; from hotspots import cli\n"
             f"code = cli.main(['analyse', '--out', {str(tmp_path)!r}, '--permutations', '99'])\n"
             "print('LOADED', code, 'scipy.sparse.csgraph' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED 0 False"


def test_a_pack_read_from_its_cache_needs_no_parquet_reader(tmp_path):
    """The pack cache is Arrow IPC: reading it imports neither pyarrow.parquet nor
    pyarrow.dataset (about 13 ms of a cold command)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOTSPOTS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("HOTSPOTS_PACK_CACHE", None)
    probe = ("import sys; from hotspots import pipeline\n"
             "pack = pipeline.load_pack()\n"
             "print('LOADED', len(pack.crime), sorted(m for m in ('pyarrow.parquet', "
             "'pyarrow.dataset') if m in sys.modules))")
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True, env=env).stdout           # fills the cache
    again = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True, env=env).stdout
    assert list((tmp_path / "cache" / "packs").glob("*/crime.arrow"))
    assert again.strip().splitlines()[-1] == "LOADED 315848 []"
    assert first.strip().splitlines()[-1].split()[1] == "315848"       # from the files


def test_rate_gaps_report_the_same_lines_as_a_check_of_every_row():
    import pandas as pd

    from hotspots.stats import rates

    f = pd.DataFrame({"area_code": list("ABCDEFG"),
                      "area_name": ["a", None, "c", float("nan"), "e", "f", "g"],
                      "count": [3, 0, None, 5, None, 2, 7],
                      "population": [100, 0, 50, None, None, 80, 0]},
                     index=[10, 11, 12, 13, 14, 15, 16])
    got = [p.to_text() for p in rates.rates_per_1000(f).report]
    out, counts, pop = f, pd.to_numeric(f["count"]), pd.to_numeric(f["population"])
    want = []
    for i in out.index:                                     # every row, as before
        who = rates._name(out.at[i, "area_code"], out.at[i, "area_name"])
        c = counts.at[i]
        if pd.isna(pop.at[i]) or pop.at[i] == 0:
            state = "no population (missing)" if pd.isna(pop.at[i]) else "a population of 0"
            extra = f" although it has a count of {c:g}" if pd.notna(c) and c > 0 else ""
            want.append(f"{who} has {state}{extra}: its rate is left blank")
        elif pd.isna(c):
            want.append(f"{who} has no count (no data): its rate is left blank")
    assert len(got) == len(want) == 5
    for line, text in zip(got, want, strict=True):
        assert text in line


def test_select_records_with_one_mask_keeps_the_rows_of_the_filters_in_turn():
    import dataclasses

    import pandas as pd

    from hotspots import pipeline
    from hotspots.pipeline import table as ptable

    pack = pipeline.load_pack(cache=False)
    asb = pd.DataFrame({"area_code": pack.crime["area_code"].iloc[:3].tolist(),
                        "month": ["2025-05", "2025-06", "2019-01"],
                        "major": "police.uk: Anti-social behaviour",
                        "minor": "Anti-social behaviour", "count": 1})
    pack = dataclasses.replace(pack, crime=pd.concat([pack.crime, asb], ignore_index=True))

    def in_turn(p, sel):  # the filters one after another, as before
        m = sel.measure_value
        a = ptable.is_asb(p.crime)
        if m.is_asb:
            df = p.crime[a]
        elif m.is_crime:
            df = p.crime[~a]
            df = df[df["major"] == m.group] if m.group is not None else df
            df = df[df["minor"] == m.type] if m.type is not None else df
        else:
            df = p.referrals
            df = df[df["category"] == m.category] if m.category is not None else df
        return df[(df["month"] >= sel.month_from) & (df["month"] <= sel.month_to)]

    major, minor = pack.crime.iloc[0][["major", "minor"]]
    category = pack.referrals["category"].dropna().iloc[0]
    keys = ["crime:all", pipeline.Measure("crime", group=major).key,
            pipeline.Measure("crime", group=major, type=minor).key, pipeline.ASB_KEY,
            "referrals:all", pipeline.Measure("referrals", category=category).key]
    sizes = []
    for key in keys:
        sel = pipeline.Selection(key, "2025-04", "2025-09")
        got, _, _ = ptable.select_records(pack, sel)
        pd.testing.assert_frame_equal(got, in_turn(pack, sel))
        sizes.append(len(got))
        months = sorted(ptable.family_records(pack, key)["month"].unique())
        assert ptable.family_months(pack, key) == months
    assert all(sizes) and sizes[3] == 2 and sizes[0] > sizes[1] > sizes[2]
