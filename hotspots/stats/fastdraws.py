"""The conditional-permutation kernel compiled (numba), for national layers.

The same null and the same counts as :func:`hotspots.stats.permutation.neighbour_sum_counts`
(area *i* keeps its value; its *k_i* neighbours are replaced by *k_i* distinct other
areas drawn uniformly, ``permutations`` times; the draws whose neighbour sum is at
least / at most the observed one are counted, sums within ``tol`` as ties on both
sides), in one compiled loop that never stores a draw:

* **independent draws per area**: area *i*'s random stream is xoshiro256** (Blackman
  & Vigna 2021) seeded by splitmix64 from ``(seed, i)``, so its draws do not depend
  on any other area, on the order areas are processed or on the number of threads;
* **exact uniform subsets**: Floyd's algorithm (as the numpy kernel), its integers
  by Lemire's multiply-and-reject on 32-bit halves of the 64-bit outputs (no bias);
* **in parallel** over areas (numba ``prange``; the machine's cores).

On England and Wales's LSOAs (200 million draws) it takes about 0.5 s of CPU where
the numpy kernel takes 1.0 s (bench/stats_speed.py): about 2.4 ns a draw, the site
skipped without a branch and Lemire's division made only when a draw may be rejected
(both keep every draw as it was; the counts are pinned by a test). numba is imported
and the kernel compiled only when :func:`compiled_kernel` is first called (import
about 0.5-1 s; compilation a few seconds once, then read from numba's cache in
``__pycache__``), so small layers (wards, patrol cells), which stay on the numpy
kernel, never pay for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["available", "compiled_kernel", "neighbour_sum_counts_compiled"]

_KERNEL: list[Callable[..., Any]] = []
#: One compiled run at a time: numba's fallback threading layer ("workqueue") must not
#: be entered from two threads at once (the page runs each session in its own thread).
_RUN_LOCK = threading.Lock()
#: ``range`` in plain Python; numba's ``prange`` once :func:`compiled_kernel` has run
#: (which also behaves as ``range`` outside compiled code).
prange = range


def _kernel(y: np.ndarray, k: np.ndarray, obs: np.ndarray, permutations: int, seed: int,
            tol: float, n_ge: np.ndarray, n_le: np.ndarray) -> None:  # pragma: no cover
    """Count, for every area with neighbours, the draws at least / at most its sum.

    Written for numba (``prange``, uint64 arithmetic); run as Python it is slow
    but gives the same counts (the tests run both on small layers).
    """
    n = y.shape[0]
    mask32 = np.uint64(0xFFFFFFFF)
    two32 = np.uint64(0x100000000)
    for i in prange(n):
        kv = k[i]
        if kv == 0:
            continue
        # splitmix64 from (seed, i): four words of state for this area's stream
        x = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(i)
        state = np.empty(4, np.uint64)
        for w in range(4):
            x += np.uint64(0x9E3779B97F4A7C15)
            z = x
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            state[w] = z ^ (z >> np.uint64(31))
        s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
        drawn = np.empty(kv, np.int64)
        spare = np.uint64(0)
        have_spare = False
        ge = 0
        le = 0
        o = obs[i]
        for _p in range(permutations):
            acc = 0.0
            for c in range(kv):
                top = n - 1 - kv + c  # Floyd: t uniform in 0 .. top
                m = np.uint64(top + 1)
                while True:
                    if have_spare:
                        r = spare
                        have_spare = False
                    else:
                        rot = s1 * np.uint64(5)
                        out = ((rot << np.uint64(7)) | (rot >> np.uint64(57))) * np.uint64(9)
                        t17 = s1 << np.uint64(17)
                        s2 ^= s0
                        s3 ^= s1
                        s1 ^= s2
                        s0 ^= s3
                        s2 ^= t17
                        s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
                        r = out >> np.uint64(32)
                        spare = out & mask32
                        have_spare = True
                    prod = r * m
                    low = prod & mask32
                    # Lemire: reject below (2**32 - m) % m, a division made only in the
                    # rare case low < m (about m / 2**32), not once per draw
                    if low >= m or low >= (two32 - m) % m:
                        break
                t = np.int64(prod >> np.uint64(32))
                for q in range(c):
                    if drawn[q] == t:
                        t = top
                        break
                drawn[c] = t
                acc += y[t + np.int64(t >= i)]  # skip the site itself, without a branch
            if acc >= o - tol:
                ge += 1
            if acc <= o + tol:
                le += 1
        n_ge[i] = ge
        n_le[i] = le


def available() -> bool:
    """Return True when numba can be imported (the compiled kernel can run)."""
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is pinned in requirements.txt
        return False
    return True


def compiled_kernel() -> Callable[..., Any]:
    """Return the compiled kernel (importing numba and compiling on the first call)."""
    with _RUN_LOCK:
        return _compile()


def _compile() -> Callable[..., Any]:
    if not _KERNEL:
        import numba

        globals()["prange"] = numba.prange
        _KERNEL.append(numba.njit(cache=True, parallel=True, nogil=True)(_kernel))
    return _KERNEL[0]


def neighbour_sum_counts_compiled(
    y: np.ndarray, k: np.ndarray, observed: np.ndarray, permutations: int, seed: int,
    tol: float, *, compiled: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Count simulated neighbour sums at least / at most the observed one (module docstring).

    Parameters
    ----------
    y
        Values, one per area.
    k
        Number of neighbours of each area (``k = 0``: counts of 0, not to be used).
    observed
        Observed neighbour sums.
    permutations
        Draws per area.
    seed
        Seed (``0 <= seed < 2**64``); area *i*'s stream depends on ``(seed, i)`` only.
    tol
        Sums within ``tol`` of the observed one count on both sides.
    compiled
        ``False`` runs the same code as plain Python (slow; for tests on tiny layers).

    Returns
    -------
    n_ge, n_le
        ``int64`` counts per area.

    Examples
    --------
    Area 0's one neighbour is drawn from areas 1-3 (values 1, 2, 3): the observed
    sum 2 is reached or passed by about two thirds of the draws, on each side:

    >>> ge, le = neighbour_sum_counts_compiled(np.array([0.0, 1, 2, 3]),
    ...     np.array([1, 0, 0, 0]), np.array([2.0, 0, 0, 0]), 3000, 7, 1e-9, compiled=False)
    >>> bool(1800 < ge[0] < 2200 and 1800 < le[0] < 2200 and ge[0] + le[0] > 3000)
    True
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    k = np.ascontiguousarray(k, dtype=np.int64)
    observed = np.ascontiguousarray(observed, dtype=np.float64)
    n_ge = np.zeros(len(y), dtype=np.int64)
    n_le = np.zeros(len(y), dtype=np.int64)
    args = (y, k, observed, int(permutations), np.uint64(int(seed) % 2**64), float(tol), n_ge,
            n_le)
    if compiled:
        kernel = compiled_kernel()
        with _RUN_LOCK:
            kernel(*args)
    else:
        with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as it does compiled
            _kernel(*args)
    return n_ge, n_le
