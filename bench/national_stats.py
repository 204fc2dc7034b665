"""National LSOA statistics: Gi* + LISA + EB and emerging hot spots over 35,672 LSOAs.

Run by hand (never in the test suite), from the project folder::

    .venv/bin/python -m bench.national_stats [--months 60] [--permutations 999]

**Data (synthetic counts, seeded, documented).** The real 35,672 England and Wales
2021 LSOAs (``lsoa21_ew_bgc.gpkg``, ONS BGC) with their Census 2021 residents. Monthly
crime counts per LSOA are Poisson draws (seed 20261206) with mean

    population / 1000 x 6 x exp(0.6 g(x, y)) x season(t) x trend_i(t)

where ``g`` is a smooth random field over the LSOA centroids (20 gaussian bumps of
8-40 km, the same every month: persistent clusters), ``season`` a +-10 % annual cycle,
and ``trend_i`` makes 10 clusters of about 15 km grow (x1 to x2.5 over the months:
intensifying / new / consecutive hot spots) and 5 fade (x1 to x0.4: diminishing /
historical). About 6 crimes per 1,000 residents a month: roughly the police.uk national
volume (6 million a year over 60 million residents).

**Measured**, in one process after the layer is read (not timed): queen weights, then
(a) ``pipeline.national.lsoa_statistics`` on the sum of the last 12 months (Gi*, LISA,
global and rate Moran, EB rates; 999 permutations), (b)
``pipeline.national.lsoa_emerging`` over every month (Gi* each month with 999
permutations, Mann-Kendall on each LSOA's z-series, the categories), and (b') the
Mann-Kendall step alone. Wall and CPU seconds (``time.process_time``, this process),
peak RSS (``ru_maxrss``) and the load average before and after: the machine's 2 cores
are shared with other work.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from bench import results

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261206


def synthetic_counts(areas, months: list[str], seed: int = SEED):  # type: ignore[no-untyped-def]
    """Return ``area_code, month, category, count`` rows (module docstring)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    xy = np.column_stack([areas.geometry.centroid.x, areas.geometry.centroid.y])
    lo, hi = xy.min(axis=0), xy.max(axis=0)

    def bumps(m: int, scale: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        centres = xy[rng.integers(0, len(xy), m)]
        width = rng.uniform(*scale, m)
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        return np.exp(-d2 / (2 * width ** 2)), centres

    field, _ = bumps(20, (8_000, 40_000))
    g = (field * rng.normal(0, 1, 20)).sum(axis=1)
    g = (g - g.mean()) / (g.std() or 1.0)
    grow, _ = bumps(10, (10_000, 15_000))
    fade, _ = bumps(5, (10_000, 15_000))
    grow, fade = grow.max(axis=1), fade.max(axis=1)
    pop = areas["population"].fillna(areas["population"].median()).to_numpy()
    base = pop / 1000 * 6 * np.exp(0.6 * g)
    n = len(months)
    frac = np.arange(n) / max(1, n - 1)
    season = 1 + 0.1 * np.sin(2 * np.pi * np.arange(n) / 12)
    lam = (base[:, None] * season[None, :]
           * (1 + 1.5 * grow[:, None] * frac[None, :])
           * (1 - 0.6 * fade[:, None] * frac[None, :]))
    counts = rng.poisson(lam)
    codes = areas["area_code"].to_numpy()
    i, t = np.nonzero(counts)
    del lo, hi
    return pd.DataFrame({"area_code": codes[i], "month": np.asarray(months)[t],
                         "category": "all crime", "count": counts[i, t]})


def _mark() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(m: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - m[0], time.process_time() - m[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--permutations", type=int, default=999)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    from hotspots import stats
    from hotspots.pipeline import national, packbuild
    from hotspots.stats.mannkendall import mann_kendall_matrix

    layer = national.load_lsoa_layer(packbuild.load_national(), "England and Wales",
                                     deprivation=False)
    n = len(layer.areas)
    months = [f"{2021 + m // 12}-{m % 12 + 1:02d}" for m in range(args.months)]
    counts = synthetic_counts(layer.areas, months)
    print(f"{n:,} LSOAs x {len(months)} months, {int(counts['count'].sum()):,} synthetic "
          f"crimes; load {results.load_average()}")
    load_before = results.load_average()
    rows = []

    m = _mark()
    sw = stats.build_weights(layer.areas)
    wall, cpu = _since(m)
    rows.append({"step": "queen weights, 2021 LSOAs", "wall s": wall, "cpu s": cpu})

    last = counts[counts["month"].isin(months[-12:])]
    m = _mark()
    res = national.lsoa_statistics(layer, last, permutations=args.permutations, seed=1,
                                   weights=sw)
    wall, cpu = _since(m)
    rows.append({"step": f"store analyse statistics: Gi* + LISA + Moran + EB, "
                         f"{args.permutations} permutations (12 months summed)",
                 "wall s": wall, "cpu s": cpu})
    print(rows[-1], res.params["gi_star"]["n_significant"])

    m = _mark()
    em = national.lsoa_emerging(layer, counts, months, permutations=args.permutations,
                                seed=1, weights=sw)
    wall, cpu = _since(m)
    rows.append({"step": f"emerging hot spots: Gi* x {len(months)} months "
                         f"({args.permutations} permutations) + Mann-Kendall + categories",
                 "wall s": wall, "cpu s": cpu})
    print(rows[-1])
    print(em["trend_class"].value_counts().to_string())

    z = np.random.default_rng(1).normal(size=(n, len(months)))
    m = _mark()
    mann_kendall_matrix(z)
    wall, cpu = _since(m)
    rows.append({"step": f"of which Mann-Kendall alone ({n:,} series of {len(months)})",
                 "wall s": wall, "cpu s": cpu})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in rows:
        r["peak RSS MB (process)"] = round(peak)
    cond = results.conditions(1, interleaved=False, load_before=load_before, notes=(
        f"{n:,} England and Wales 2021 LSOAs, synthetic Poisson counts (seed {SEED}, "
        f"bench/national_stats.py), {len(months)} months, one process, layer read before "
        "timing; target: emerging hot spots < 5 min"))
    results.record("national_stats", {"conditions": cond, "rows": rows,
                                      "categories": em["trend_class"].value_counts().to_dict()})
    for r in rows:
        print(f"  {r['step']}: {r['wall s']:.1f} s wall, {r['cpu s']:.1f} s CPU")


if __name__ == "__main__":
    main()
