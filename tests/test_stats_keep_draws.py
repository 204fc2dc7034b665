"""keep_draws: one layer's conditional draws summed again for further variables, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from hotspots.stats import permutation as _perm


def _count_draws(monkeypatch) -> list[tuple[int, tuple[int, ...]]]:
    calls: list[tuple[int, tuple[int, ...]]] = []
    real = _perm.sample_others

    def counted(rng, sites, k, permutations, n):
        calls.append((k, tuple(int(s) for s in sites)))
        return real(rng, sites, k, permutations, n)

    monkeypatch.setattr(_perm, "sample_others", counted)
    return calls


K = np.array([1, 2, 3, 2, 0, 3, 1, 2])
YS = [np.array([3.0, 0, 1, 7, 2, 2, 5, 0]), np.array([0.0, 1, 1, 0, 9, 4, 2, 2]),
      np.array([1.5, 2.5, 0, 0, 0, 8, 1, 3])]


def test_kept_draws_give_the_same_counts_bit_for_bit_and_are_drawn_once(monkeypatch):
    fresh = [_perm.neighbour_sum_counts(y, K, np.full(8, 4.0), 999, 7) for y in YS]
    calls = _count_draws(monkeypatch)
    with _perm.keep_draws():
        kept = [_perm.neighbour_sum_counts(y, K, np.full(8, 4.0), 999, 7) for y in YS]
    for (a_ge, a_le), (b_ge, b_le) in zip(fresh, kept, strict=True):
        assert np.array_equal(a_ge, b_ge) and np.array_equal(a_le, b_le)
    # one block per group of equal k (1, 2, 3; the island k = 0 is skipped), drawn once only
    assert sorted(calls) == [(1, (0, 6)), (2, (1, 3, 7)), (3, (2, 5))]


def test_kept_draws_are_distinct_other_areas():
    # y = 2**i: each simulated sum names its subset of areas (an independent check)
    y = 2.0 ** np.arange(8)
    with _perm.keep_draws():
        _perm.neighbour_sums(np.ones(8), K, 50, seed=3)
        sums = _perm.neighbour_sums(y, K, 50, seed=3)
    for i, k in enumerate(K):
        if k == 0:
            assert np.isnan(sums[i]).all()
            continue
        for s in sums[i].astype(np.int64):
            assert bin(s).count("1") == k and not s & (1 << i)


def test_draws_are_released_and_other_seeds_or_layers_draw_again(monkeypatch):
    calls = _count_draws(monkeypatch)
    with _perm.keep_draws():
        _perm.neighbour_sums(YS[0], K, 99, seed=1)
        _perm.neighbour_sums(YS[1], K, 99, seed=2)  # another seed: new draws
        other = _perm.neighbour_sums(YS[1], K[::-1].copy(), 99, seed=2)  # another layer
    assert len(calls) == 9
    again = _perm.neighbour_sums(YS[1], K[::-1].copy(), 99, seed=2)
    assert np.array_equal(other, again, equal_nan=True)
    assert len(calls) == 12  # outside the context nothing is kept


def test_big_layers_are_not_kept(monkeypatch):
    monkeypatch.setattr(_perm, "KEEP_MAX_POSITIONS", int(K.sum()) * 99 - 1)
    calls = _count_draws(monkeypatch)
    with _perm.keep_draws():
        for y in YS:
            _perm.neighbour_sums(y, K, 99, seed=1)
    assert len(calls) == 9


@pytest.mark.parametrize("n", [40_000])
def test_int32_positions_above_int16(n):
    k = np.zeros(n, dtype=np.int64)
    k[[0, n - 1]] = 2
    y = np.zeros(n)
    y[n - 2] = 1.0
    with _perm.keep_draws():
        a = _perm.neighbour_sums(y, k, 20, seed=5)
        b = _perm.neighbour_sums(y, k, 20, seed=5)
    assert np.array_equal(a[[0, n - 1]], b[[0, n - 1]])
    assert np.array_equal(a[[0, n - 1]], _perm.neighbour_sums(y, k, 20, seed=5)[[0, n - 1]])
