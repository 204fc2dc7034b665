"""Brute-force references for the statistics tests (independent of the project's kernels)."""

from __future__ import annotations

import numpy as np


def brute_force_lisa_p(y: np.ndarray, adjacency, reps: int, seed: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Folded LISA pseudo p: each area's neighbours replaced by a permutation of the others."""
    rng = np.random.default_rng(seed)
    k, obs = np.diff(adjacency.indptr), adjacency @ y
    up = y > y.mean()
    ref = np.empty(len(y))
    for i in range(len(y)):
        others = np.delete(y, i)
        sums = np.array([rng.permutation(others)[:k[i]].sum() for _ in range(reps)])
        ge, le = (sums >= obs[i]).sum(), (sums <= obs[i]).sum()
        ge, le = (ge, le) if up[i] else (le, ge)
        ref[i] = min(1.0, 2 * (min(ge, le) + 1) / (reps + 1))
    return ref
