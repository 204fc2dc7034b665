"""Where each block of conditional draws starts in the seed's stream, and on how many threads.

:func:`hotspots.stats.permutation.neighbour_sum_counts` draws the neighbours of areas
with the same number of neighbours together, a block of about :data:`BLOCK_VALUES`
uniforms at a time. :func:`_plan` lists the blocks in stream order with the offset of
each block's first uniform, so each block can draw from the seed's PCG64 stream
advanced to that offset, in any order and on several threads (:func:`_workers`), with
the same draws as one generator drawing the blocks in turn.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

__all__ = ["BLOCK_VALUES", "PARALLEL_MIN_DRAWS"]

# Draws are made a block at a time: about 2 MB of uniforms, which the allocator reuses
# and the cache holds (measured fastest between 100,000 and 4,000,000 values).
BLOCK_VALUES = 250_000

#: Draws from which :func:`~hotspots.stats.permutation.neighbour_sum_counts_many` spreads
#: its blocks over threads (:func:`_workers`; the demo's wards at 9,999 permutations make
#: 38 million).
PARALLEL_MIN_DRAWS = 2_000_000


class _Block(NamedTuple):
    """One block of draws.

    Its sites (all with ``k`` neighbours) and where its uniforms start in the seed's
    stream (``offset`` doubles drawn before it).
    """

    sites: np.ndarray
    k: int
    offset: int


def _plan(k: np.ndarray, permutations: int) -> list[_Block]:
    """Return the blocks of :func:`hotspots.stats.permutation._draws` in stream order.

    Sites with the same number of neighbours go together, in order of that
    number then position; islands (no neighbours) are skipped.
    """
    order = np.argsort(k, kind="stable")
    bounds = np.flatnonzero(np.diff(k[order])) + 1
    out: list[_Block] = []
    offset = 0
    for group in np.split(order, bounds):
        kv = int(k[group[0]]) if len(group) else 0
        if kv == 0:
            continue
        step = max(1, BLOCK_VALUES // (permutations * kv))
        for start in range(0, len(group), step):
            sites = group[start:start + step]
            out.append(_Block(sites, kv, offset))
            offset += kv * len(sites) * permutations
    return out


def _workers(draws: int) -> int:
    """Threads for a conditional simulation of ``draws`` positions (1 below 2 million).

    ``HOTSPOTS_STATS_THREADS`` caps them (``1``: one thread); by default the cores
    this process may use, at most 4.
    """
    if draws < PARALLEL_MIN_DRAWS:
        return 1
    try:
        cap = int(os.environ.get("HOTSPOTS_STATS_THREADS", "4"))
    except ValueError:
        cap = 4
    return max(1, min(cap, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))
