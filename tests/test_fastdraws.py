"""The compiled permutation kernel (hotspots.stats.fastdraws) against references.

The same code run as plain Python; uniform subsets of the other areas (chi-square);
an area's draws independent of every other area and of the number of threads;
p-values against a brute-force reference (fresh numpy permutations) and calibrated
under the null; the switch from the numpy kernel at COMPILED_MIN_DRAWS.
"""

from __future__ import annotations

import geopandas as gpd
import numba
import numpy as np
import pytest
from shapely.geometry import box

from hotspots import stats
from hotspots.stats import fastdraws, significance, weights
from hotspots.stats import permutation as _perm
from tests.stats_reference import brute_force_lisa_p


def counts(y, k, obs, permutations, seed, tol=1e-9, compiled=True):
    return fastdraws.neighbour_sum_counts_compiled(np.asarray(y, float), np.asarray(k),
                                                   np.asarray(obs, float), permutations, seed,
                                                   tol, compiled=compiled)


def test_compiled_equals_the_same_code_run_as_python():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 5, 40).astype(float)  # many ties
    k = rng.integers(0, 7, 40)
    obs = rng.integers(0, 20, 40).astype(float)
    a = counts(y, k, obs, 60, 11, compiled=False)
    b = counts(y, k, obs, 60, 11)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert (a[0][k == 0] == 0).all() and (a[0] + a[1] >= 60)[k > 0].all()  # ties both sides


def test_subsets_are_uniform_among_the_other_areas():
    y = 2.0 ** np.arange(9)
    y[4] = 2.0 ** 20  # the site itself: never drawn
    k = np.zeros(9, dtype=int)
    k[4] = 2
    draws = 28_000
    sums = sorted({y[a] + y[b] for a in range(9) for b in range(a + 1, 9) if 4 not in (a, b)})
    assert len(sums) == 28
    le = [counts(y, k, np.full(9, s), draws, 5, tol=0.25)[1][4] for s in sums]
    freq = np.diff([0, *le])  # draws with each pair's sum (every sum identifies its pair)
    assert le[-1] == draws and (freq > 0).all()
    expected = draws / 28
    assert ((freq - expected) ** 2 / expected).sum() < 61.1  # 99.99th pct of chi-square(27)


def test_an_areas_draws_depend_on_nothing_else():
    rng = np.random.default_rng(4)
    y = rng.gamma(2.0, 3.0, 300)
    k = rng.integers(1, 8, 300)
    obs = rng.gamma(2.0, 3.0, 300) * k
    full = counts(y, k, obs, 199, 21)
    alone = k.copy()
    alone[np.arange(300) != 17] = 0
    one = counts(y, alone, obs, 199, 21)
    assert one[0][17] == full[0][17] and one[1][17] == full[1][17]
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = counts(y, k, obs, 199, 21)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(single[0], full[0]) and np.array_equal(single[1], full[1])
    other = counts(y, k, obs, 199, 22)
    assert not np.array_equal(other[0], full[0])


def grid_layer(n: int, values: np.ndarray) -> gpd.GeoDataFrame:
    cells = [(r, c) for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame({"area_code": [f"c{r:02d}{c:02d}" for r, c in cells],
                             "value": values},
                            geometry=[box(c, r, c + 1, r + 1) for r, c in cells],
                            crs="EPSG:27700")


@pytest.fixture
def compiled_always(monkeypatch):
    calls = []
    real = fastdraws.neighbour_sum_counts_compiled
    monkeypatch.setattr(_perm, "COMPILED_MIN_DRAWS", 0)
    monkeypatch.setattr(fastdraws, "neighbour_sum_counts_compiled",
                        lambda *a, **kw: calls.append(1) or real(*a, **kw))
    significance._LAST_SIMS.clear()
    yield calls
    significance._LAST_SIMS.clear()


def test_p_values_agree_with_a_brute_force_reference(compiled_always):
    rng = np.random.default_rng(8)
    v = rng.gamma(2.0, 2.0, 100)
    v[:3] += 12  # a planted cluster in the first row
    v[10:13] += 12
    layer = grid_layer(10, v)
    sw = weights.build_weights(layer, kind="rook")
    y = layer["value"].to_numpy()
    ours = stats.local_moran(y, sw, permutations=999, seed=2).frame["lisa_p"].to_numpy()
    assert compiled_always  # the compiled kernel made these p-values
    reps = 3000
    ref = brute_force_lisa_p(y, sw.adjacency, reps, seed=99)
    se = np.sqrt(ref * (2 - ref) / 999 + ref * (2 - ref) / reps)
    assert (np.abs(ours - ref) <= 4.5 * se + 0.004).all()
    assert abs((ours - ref).mean()) < 0.01


def test_null_p_values_are_calibrated(compiled_always):
    rng = np.random.default_rng(12)
    layer = grid_layer(30, rng.gamma(2.0, 3.0, 900))
    sw = weights.build_weights(layer)
    p = stats.local_gi_star(layer["value"].to_numpy(), sw, permutations=199, seed=5,
                            correction="none").frame["gi_p"].to_numpy()
    # two-sided pseudo p under the null: about 10% at or below 0.10, 5% at or below 0.05
    assert 0.07 < (p <= 0.10).mean() < 0.13
    assert 0.03 < (p <= 0.05).mean() < 0.075


def test_small_layers_stay_on_the_numpy_kernel(monkeypatch):
    calls = []
    monkeypatch.setattr(fastdraws, "neighbour_sum_counts_compiled",
                        lambda *a, **kw: calls.append(1))
    y, k = np.arange(50.0), np.full(50, 4)
    _perm.neighbour_sum_counts(y, k, y * 4, 999, 1)
    assert not calls and 50 * 4 * 999 < _perm.COMPILED_MIN_DRAWS
    monkeypatch.setattr(_perm, "COMPILED_MIN_DRAWS", 50 * 4 * 999)
    _perm.neighbour_sum_counts(y, k, y * 4, 999, 1)
    assert calls == [1]


def test_two_threads_at_once_get_what_each_gets_alone():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(6)
    y = rng.gamma(2.0, 3.0, 2000)
    k = rng.integers(1, 8, 2000)
    obs = rng.gamma(2.0, 3.0, 2000) * k
    alone = [counts(y, k, obs, 99, s) for s in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda s: counts(y, k, obs, 99, s), (1, 2)))
    for a, b in zip(alone, both, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_the_draws_are_pinned_so_speed_changes_keep_every_count():
    # counts made by the kernel as first committed (commit 2ada7e2, before the branchless
    # gather and the lazy Lemire threshold): a faster kernel must draw the same subsets
    import hashlib

    rng = np.random.default_rng(2026)
    y = rng.gamma(2.0, 3.0, 3000).round(1)  # many ties
    k = rng.integers(0, 9, 3000)
    obs = rng.gamma(2.0, 3.0, 3000).round(1) * k
    ge, le = counts(y, k, obs, 999, 12345)
    assert ge[:6].tolist() == [805, 986, 56, 37, 999, 3]
    assert le[:6].tolist() == [195, 13, 946, 963, 0, 996]
    assert hashlib.sha256(ge.tobytes() + le.tobytes()).hexdigest()[:16] == "ade6645bd6c65564"
    ge, le = counts(y[:60], k[:60], obs[:60], 99, 7, compiled=False)
    assert hashlib.sha256(ge.tobytes() + le.tobytes()).hexdigest()[:16] == "8d0ee9fa6f7dde7a"
