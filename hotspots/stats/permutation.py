"""Conditional-randomisation kernel for the local statistics, in plain numpy.

The null is conditional randomisation (Anselin 1995), as esda's ``crand`` and
GeoDa: for area *i* with *k_i* neighbours, *y_i* stays where it is and its
neighbours are replaced by *k_i* values drawn without replacement from the
other *n - 1* areas, ``permutations`` times. No numba is needed (esda's
kernels cost 15-20 s of JIT compilation in every new process):

- With binary links that are row-standardised (every kind in
  :mod:`hotspots.stats.weights`), each simulated LISA, Gi* or bivariate LISA is a
  monotone function of the *sum* of the drawn neighbour values, so only that
  sum is simulated, and tail counts are taken on it against the observed
  neighbour sum (sums within rounding error of it count as ties, as extreme on
  both sides; integer counts' many exact ties are then handled exactly).
- Every area gets its own independent draws, as GeoDa's "complete" method
  (esda instead shares one table of draws between all areas, which makes
  the p-values of different areas move together from seed to seed: on
  London wards the number of wards at the smallest p-value varied with
  standard deviation 12 between seeds, against 4.5 with independent draws).
  Areas with the same number of neighbours are processed together, column
  by column: Floyd's algorithm draws *k* distinct positions among the other
  *n - 1* areas from 53-bit uniforms (``floor(u * m)``, non-uniformity below
  1e-11), one vectorised step per neighbour. Each block of areas draws from
  the seed's PCG64 stream advanced to where the block's uniforms start, so
  a big simulation (:data:`~hotspots.stats.drawplan.PARALLEL_MIN_DRAWS`) spreads its blocks over the
  cores (``HOTSPOTS_STATS_THREADS`` caps them) with the same draws as one
  generator drawing the blocks in turn.

Big layers (at least :data:`COMPILED_MIN_DRAWS` draws, e.g. England and Wales's
35,000 LSOAs at 999 permutations: 200 million) go to the compiled kernel of
:mod:`hotspots.stats.fastdraws` when numba imports: the same null, the same counts
and tie rule, each area's draws from its own stream (seeded by the seed and the
area's position), about half the CPU and no draw ever stored. Small layers stay
here and never import numba.

The draws depend on the number of neighbours of each area, the permutations and
the seed, never on the values: a caller that tests many variables on one layer
with one seed (the patrol backtest: Gi* on 33 training windows of one grid) runs
inside :func:`keep_draws`, and the positions drawn for the first variable are
kept and summed again for the others (the same counts, bit for bit, without
drawing again).

The p-value formulas live in :data:`ALTERNATIVES`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from scipy import sparse

from hotspots.stats import fastdraws
from hotspots.stats.drawplan import BLOCK_VALUES, _Block, _plan, _workers

__all__ = [
    "ALTERNATIVES",
    "COMPILED_MIN_DRAWS",
    "GlobalSims",
    "global_sims",
    "keep_draws",
    "neighbour_sum_counts",
    "neighbour_sum_counts_many",
    "neighbour_sums",
    "permuted_blocks",
    "permuted_global_moran",
    "pseudo_p",
    "sample_others",
]


#: Draws (sum of neighbours x permutations) from which :func:`neighbour_sum_counts` uses
#: the compiled kernel (:mod:`hotspots.stats.fastdraws`): the demo's 679 London wards at
#: the default 9,999 permutations make 38 million and stay in numpy (their p-values as
#: before, and no numba import in a ward process: 1.3 s); 35,000 LSOAs at 999 make
#: 200 million.
COMPILED_MIN_DRAWS = 100_000_000

#: Drawn positions kept inside :func:`keep_draws`, ``(n, k, permutations, seed) -> draws``
#: (one entry; ``None`` outside the context). A context variable: each thread of the
#: page starts without one.
_KEPT_DRAWS: ContextVar[dict[tuple[int, bytes, int, int], list[tuple[np.ndarray, np.ndarray]]]
                        | None] = ContextVar("hotspots_kept_draws", default=None)
#: Positions (sum of neighbours x permutations) kept at most: 16 million, 32 MB in int16
#: (the demo's 162-cell patrol grid at 9,999 permutations: 11 million).
KEEP_MAX_POSITIONS = 16_000_000


def sample_others(rng: np.random.Generator, sites: np.ndarray, k: int, permutations: int,
                  n: int) -> np.ndarray:
    """Draw, for each site and permutation, ``k`` distinct areas other than the site.

    Parameters
    ----------
    rng
        Random generator (advanced by the call).
    sites
        Positions of the sites (areas) to draw for.
    k
        Sample size (the sites' common number of neighbours), ``1 <= k <= n - 1``.
    permutations
        Draws per site.
    n
        Number of areas.

    Returns
    -------
    ndarray
        ``(k, len(sites) * permutations)`` positions; column ``s * permutations + p``
        is draw *p* of site ``sites[s]``, never containing the site itself.

    Notes
    -----
    Floyd's algorithm (Bentley & Floyd 1987, *CACM* 30, 754) on the ``n - 1``
    other areas: step *c* draws ``t`` uniformly from ``0 .. n - 1 - k + c`` and
    takes ``n - 1 - k + c`` instead when ``t`` was already drawn; the result is
    a uniform ``k``-subset. Positions at or after the site then shift by one.
    """
    rows = len(sites) * permutations
    u = rng.random((k, rows))
    out = np.empty((k, rows), dtype=np.int32 if n < 2**31 - 1 else np.int64)
    dup = np.empty(rows, dtype=bool)
    same = np.empty(rows, dtype=bool)
    for c in range(k):
        top = n - 1 - k + c
        t = out[c]
        np.multiply(u[c], top + 1, out=u[c])
        t[:] = u[c]  # truncation towards zero = floor for these non-negative numbers
        if c:
            dup[:] = False
            for prev in out[:c]:
                np.equal(prev, t, out=same)
                dup |= same
            t[dup] = top
    site = np.repeat(np.asarray(sites, dtype=out.dtype), permutations)
    for row in out:
        np.greater_equal(row, site, out=same)
        row += same
    return out


@contextmanager
def keep_draws() -> Iterator[None]:
    """Keep the conditional draws of one layer and seed for the next variables.

    Inside the context, :func:`neighbour_sum_counts` and :func:`neighbour_sums`
    keep the positions they drew (at most :data:`KEEP_MAX_POSITIONS`, one layer
    and seed at a time) and sum the next variable over the same positions: the
    results are exactly those of a new draw with the same seed (the draws never
    depend on the values), without the cost of drawing. The positions are
    released when the context ends.

    Examples
    --------
    >>> k = np.array([1, 2, 1])
    >>> with keep_draws():
    ...     a = neighbour_sums(np.array([1.0, 2, 3]), k, 5, seed=1)
    ...     b = neighbour_sums(np.array([4.0, 0, 1]), k, 5, seed=1)
    >>> bool((b == neighbour_sums(np.array([4.0, 0, 1]), k, 5, seed=1)).all())
    True
    """
    token = _KEPT_DRAWS.set({})
    try:
        yield
    finally:
        _KEPT_DRAWS.reset(token)


def _block_draws(block: _Block, permutations: int, seed: int, n: int) -> np.ndarray:
    """Return the positions of one block, from the seed's stream jumped to its offset.

    :meth:`numpy.random.Generator.random` takes one 64-bit output of PCG64 per
    double, so a generator advanced by ``offset`` gives exactly the uniforms one
    generator drawing every block in turn gives this block (tested): blocks can be
    drawn in any order, and on several cores.
    """
    bits = np.random.PCG64(seed)
    if block.offset:
        bits.advance(block.offset)
    return sample_others(np.random.Generator(bits), block.sites, block.k, permutations, n)


def _draws(k: np.ndarray, permutations: int, seed: int,
           n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(sites, positions)`` blocks of :func:`sample_others` for every area.

    Sites with the same number of neighbours go together, in order of that
    number then position; islands (no neighbours) are skipped. The draws are
    those of one ``numpy.random.default_rng(seed)`` drawing the blocks in turn.
    """
    for block in _plan(k, permutations):
        yield block.sites, _block_draws(block, permutations, seed, n)


def _kept_or_drawn(k: np.ndarray, permutations: int, seed: int,
                   n: int) -> Iterator[tuple[np.ndarray, np.ndarray]] | list:
    """Return the draws of :func:`_draws`, kept inside :func:`keep_draws` if small enough."""
    kept = _KEPT_DRAWS.get()
    if kept is None or int(k.sum()) * permutations > KEEP_MAX_POSITIONS:
        return _draws(k, permutations, seed, n)
    key = (n, hashlib.sha256(np.ascontiguousarray(k, dtype=np.int64).tobytes()).digest(),
           permutations, seed)
    draws = kept.get(key)
    if draws is None:
        # int16 positions: half the memory of int32, and gathered faster
        small = np.int16 if n < 2**15 else np.int32
        draws = [(sites, idx.astype(small)) for sites, idx in _draws(k, permutations, seed, n)]
        kept.clear()
        kept[key] = draws
    return draws


def _sums(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sum ``y`` over each column of drawn positions ``idx`` (``(k, m)`` -> ``(m,)``).

    ``ndarray.take`` gathers the same values as ``y[row]`` in about half the time.
    """
    sums = y.take(idx[0])
    for row in idx[1:]:
        sums += y.take(row)
    return sums


def _blocks(y: np.ndarray, k: np.ndarray, permutations: int,
            seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(sites, sums)``: ``sums[s, p]`` is draw *p*'s neighbour sum of ``sites[s]``.

    The blocks of :func:`_draws` (kept ones inside :func:`keep_draws`).
    """
    for sites, idx in _kept_or_drawn(k, permutations, seed, len(y)):
        yield sites, _sums(y, idx).reshape(len(sites), permutations)


def neighbour_sums(y: np.ndarray, k: np.ndarray, permutations: int, seed: int) -> np.ndarray:
    """Return every simulated neighbour sum, ``(n, permutations)`` (for tests and small n).

    Parameters
    ----------
    y
        Values, one per area.
    k
        Number of neighbours of each area.
    permutations
        Draws per area.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    ndarray
        Row *i*: sums of *y* over *k_i* areas other than *i* (NaN rows for islands).
    """
    y = np.asarray(y, dtype=float)
    out = np.full((len(y), permutations), np.nan)
    for sites, sums in _blocks(y, np.asarray(k), permutations, seed):
        out[sites] = sums
    return out


def neighbour_sum_counts(
    y: np.ndarray, k: np.ndarray, observed: np.ndarray, permutations: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Count simulated neighbour sums at least / at most the observed one.

    Parameters
    ----------
    y
        Values, one per area.
    k
        Number of neighbours of each area (islands, ``k = 0``, get counts of 0
        and must not be used).
    observed
        Observed neighbour sums (sum of *y* over each area's neighbours).
    permutations
        Draws per area.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    n_ge, n_le
        Number of draws whose sum is >= (resp. <=) the observed sum, within a
        rounding tolerance (ties count on both sides).

    Notes
    -----
    From :data:`COMPILED_MIN_DRAWS` draws on (and when numba imports) the draws
    are made by :func:`hotspots.stats.fastdraws.neighbour_sum_counts_compiled`:
    the same distribution, other random numbers for the same seed.
    """
    return neighbour_sum_counts_many([y], k, [observed], permutations, seed)[0]


def neighbour_sum_counts_many(
    ys: Sequence[np.ndarray], k: np.ndarray, observed: Sequence[np.ndarray],
    permutations: int, seed: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`neighbour_sum_counts` of several variables on one layer, drawn once.

    The draws depend on ``k``, ``permutations`` and the seed, never on the values,
    so every variable gets exactly the counts of its own call of
    :func:`neighbour_sum_counts` (bit for bit), while the positions are drawn once
    and summed for each variable (the measure and IMD score of one ward table:
    half the random numbers).

    Parameters
    ----------
    ys
        Variables, each one value per area.
    k
        Number of neighbours of each area.
    observed
        Observed neighbour sums of each variable, aligned with ``ys``.
    permutations, seed
        As :func:`neighbour_sum_counts`.

    Returns
    -------
    list of (n_ge, n_le)
        One pair per variable, in the order of ``ys``.

    Examples
    --------
    >>> k = np.array([1, 2, 1])
    >>> a, b = np.array([1.0, 2, 3]), np.array([3.0, 0, 1])
    >>> both = neighbour_sum_counts_many([a, b], k, [a * 2, b * 2], 9, seed=1)
    >>> [bool((x == y).all()) for x, y in zip(both[1], neighbour_sum_counts(b, k, b * 2, 9, 1))]
    [True, True]
    """
    ys = [np.asarray(y, dtype=float) for y in ys]
    k = np.asarray(k)
    n = len(k)
    tols = [1e-12 * (int(k.max(initial=0)) + 1) * max(1.0, float(np.abs(y).max(initial=0.0)))
            for y in ys]
    if int(k.sum()) * permutations >= COMPILED_MIN_DRAWS and fastdraws.available():
        return [fastdraws.neighbour_sum_counts_compiled(y, k, obs, permutations, seed, tol)
                for y, obs, tol in zip(ys, observed, tols, strict=True)]
    out = [(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)) for _ in ys]

    def count(sites: np.ndarray, idx: np.ndarray) -> None:
        for y, obs, tol, (n_ge, n_le) in zip(ys, observed, tols, out, strict=True):
            sums = _sums(y, idx).reshape(len(sites), permutations)
            o = obs[sites][:, None]
            n_ge[sites] = (sums >= o - tol).sum(axis=1)
            n_le[sites] = (sums <= o + tol).sum(axis=1)

    workers = _workers(int(k.sum()) * permutations)
    if _KEPT_DRAWS.get() is None and workers > 1:
        # blocks on several cores (numpy releases the GIL in each step), each from the
        # seed's stream jumped to its offset: the same draws as one block after another
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda b: count(b.sites, _block_draws(b, permutations, seed, n)),
                          _plan(k, permutations)))
        return out
    for sites, idx in _kept_or_drawn(k, permutations, seed, n):
        count(sites, idx)
    return out


def _two_sided(n_ge: np.ndarray, n_le: np.ndarray, permutations: int) -> np.ndarray:
    return np.minimum(1.0, 2.0 * (np.minimum(n_ge, n_le) + 1.0) / (permutations + 1.0))


def _greater(n_ge: np.ndarray, n_le: np.ndarray, permutations: int) -> np.ndarray:
    return (n_ge + 1.0) / (permutations + 1.0)


def _lesser(n_ge: np.ndarray, n_le: np.ndarray, permutations: int) -> np.ndarray:
    return (n_le + 1.0) / (permutations + 1.0)


#: Pseudo p-value formulas from the tail counts (``alternative=``). ``n_ge`` /
#: ``n_le`` count simulated statistics >= / <= the observed one.
ALTERNATIVES: Mapping[str, Callable[[np.ndarray, np.ndarray, int], np.ndarray]] = (
    MappingProxyType({"two-sided": _two_sided, "greater": _greater, "lesser": _lesser})
)

#: The same formulas in words, for the parameters of every result.
ALTERNATIVE_TEXT: Mapping[str, str] = MappingProxyType({
    "two-sided": "min(1, 2 * (min(#sim >= obs, #sim <= obs) + 1) / (permutations + 1))",
    "greater": "(#sim >= obs + 1) / (permutations + 1)",
    "lesser": "(#sim <= obs + 1) / (permutations + 1)",
})


def pseudo_p(n_ge: np.ndarray, n_le: np.ndarray, permutations: int,
             alternative: str) -> np.ndarray:
    """Return pseudo p-values from tail counts (see :data:`ALTERNATIVES`).

    Parameters
    ----------
    n_ge, n_le
        Counts of simulated statistics >= / <= the observed one.
    permutations
        Number of simulations.
    alternative
        Key of :data:`ALTERNATIVES`.

    Returns
    -------
    ndarray
        Pseudo p-values in ``(0, 1]``.

    Examples
    --------
    >>> pseudo_p(np.array([0, 99]), np.array([99, 0]), 99, "two-sided").tolist()
    [0.02, 0.02]
    """
    return ALTERNATIVES[alternative](np.asarray(n_ge), np.asarray(n_le), permutations)


class GlobalSims(NamedTuple):
    """Permutation inference of a global statistic (:func:`global_sims`)."""

    p_sim: float
    mean: float
    sd: float
    z_sim: float


def global_sims(value: float, sims: np.ndarray, permutations: int,
                alternative: str) -> GlobalSims:
    """Pseudo p-value, mean, standard deviation and z of a global statistic's permutations.

    Parameters
    ----------
    value
        Observed statistic.
    sims
        The statistic of each permutation, ``(permutations,)``.
    permutations
        Number of permutations.
    alternative
        Key of :data:`ALTERNATIVES`.

    Returns
    -------
    GlobalSims
        ``p_sim`` (simulated values within rounding error of ``value`` count as
        ties, on both sides), ``mean`` and ``sd`` (population standard deviation)
        of ``sims``, and ``z_sim = (value - mean) / sd`` (NaN when ``sd`` is 0).

    Examples
    --------
    Of 4 simulated values 1 is at least 3.0 and 4 at most 3.0:

    >>> res = global_sims(3.0, np.array([1.0, 2.0, 2.0, 3.0]), 4, "greater")
    >>> res.p_sim, res.mean, round(res.z_sim, 6)
    (0.4, 2.0, 1.414214)
    """
    tol = 1e-12 * max(1.0, abs(value))
    p_sim = float(pseudo_p(np.array([(sims >= value - tol).sum()]),
                           np.array([(sims <= value + tol).sum()]), permutations, alternative)[0])
    mean, sd = float(sims.mean()), float(sims.std())
    return GlobalSims(p_sim, mean, sd, (value - mean) / sd if sd > 0 else float("nan"))


def permuted_blocks(values: np.ndarray, permutations: int, seed: int) -> Iterator[np.ndarray]:
    """Yield random permutations of ``values`` a block at a time (total randomisation).

    Every global statistic draws its permutations here, so that with one seed they
    all see the same permuted maps (as Gi* and LISA share their conditional draws).

    Parameters
    ----------
    values
        One value per area.
    permutations
        Number of permutations in all.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Yields
    ------
    ndarray
        ``(m, n)`` blocks, one permutation per row, ``permutations`` rows in all.

    Examples
    --------
    >>> blocks = list(permuted_blocks(np.arange(4.0), 3, seed=1))
    >>> [b.shape for b in blocks], sorted(blocks[0][0].tolist())
    ([(3, 4)], [0.0, 1.0, 2.0, 3.0])
    """
    values = np.asarray(values)
    for idx in _permutation_blocks(len(values), permutations, seed):
        yield values[idx]


#: The permuted positions last drawn, ``(n, permutations, seed) -> blocks``: Moran's I,
#: its rate version and Geary's C of one table permute the same positions with one seed.
_SHARED_DRAWS: dict[tuple[int, int, int], list[np.ndarray]] = {}
#: Positions kept at most (``n * permutations``; int16 below 32,768 areas: 16 MB).
_SHARED_MAX = 8_000_000


def _permutation_blocks(n: int, permutations: int, seed: int) -> list[np.ndarray] | Iterator:
    """Return (or yield) the blocks of permuted positions ``0 .. n - 1`` for one seed.

    ``rng.permuted`` shuffles positions the same way whatever it shuffles, so
    ``values[positions]`` is exactly ``rng.permuted(values)`` (tested); the
    positions of a small problem are drawn once and kept for the next statistic.
    """
    key = (n, permutations, seed)
    kept = _SHARED_DRAWS.get(key)  # one lookup: another thread may replace the entry
    if kept is not None:
        return kept
    dtype = np.int16 if n < 2**15 else (np.int32 if n < 2**31 else np.int64)
    rng = np.random.default_rng(seed)
    step = max(1, BLOCK_VALUES // n)
    base = np.arange(n, dtype=dtype)
    blocks = (rng.permuted(np.broadcast_to(base, (min(start + step, permutations) - start, n)),
                           axis=1) for start in range(0, permutations, step))
    if n * permutations > _SHARED_MAX:
        return blocks
    drawn = list(blocks)
    for block in drawn:
        block.flags.writeable = False
    _SHARED_DRAWS.clear()
    _SHARED_DRAWS[key] = drawn
    return drawn


def permuted_global_moran(
    z: np.ndarray, w: sparse.csr_array, permutations: int, seed: int
) -> np.ndarray:
    """Moran's I of ``permutations`` random permutations of ``z`` (total randomisation).

    Parameters
    ----------
    z
        Centred values.
    w
        Row-standardised weights (CSR).
    permutations
        Number of permutations.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    ndarray
        ``(permutations,)`` simulated I, from the draws of :func:`permuted_blocks`.
    """
    n = len(z)
    s0 = float(w.sum())
    zz = float(z @ z)
    out = [(n / s0) * (zp * (w @ zp.T).T).sum(axis=1) / zz
           for zp in permuted_blocks(z, permutations, seed)]
    return np.concatenate(out) if out else np.empty(0)
