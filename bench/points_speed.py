"""Points to grid cells and to LSOAs: the project's locator against geopandas.sjoin.

Run by hand (not part of the tests), from the project folder:

    .venv/bin/python -m bench.points_speed            # all three parts
    .venv/bin/python -m bench.points_speed --part a   # a | b | c
    .venv/bin/python -m bench.points_speed --part b --repeats 1   # sjoin on all 6,000,000

(a) London: ~1 million synthetic police.uk-like points (lon/lat) to a 150 m grid over
    London and to the 4,994 London 2021 LSOAs: ``hotspots.grid.points_to_cells`` and
    ``hotspots.join.points_to_areas`` against ``geopandas.sjoin`` (predicate
    "intersects", after the same projection) on the same points in the same run.
    Medians of ``--repeats`` runs (default 3). Points to LSOAs are timed with the
    locator on 1 and on 2 threads (``hotspots._locate.THREADS``), each "cold" (locator
    cache cleared, so the raster is built inside the timed call) and "warm".
(b) National: a synthetic year of ~6 million points over the 34,753 England and
    Wales 2011 LSOAs, snapped to a finite set of map points as police.uk does, and
    unsnapped; peak memory from ``resource.getrusage``. sjoin is timed on all the
    points by default (``--sample N``: on N of them, scaled, and said so); ours on all
    of them, 1 and 2 threads, first call and again. Ours' peak memory is then measured
    alone, in a process of its own (the same seeded points, one first call; ``VmHWM``,
    since ``ru_maxrss`` would be inherited from the rounds' process): the rounds'
    process also holds sjoin's copies. Both parts write their rounds to
    ``bench/results/points_*.json``.
(c) A year of London-size data (~1 million points) to a 150 m grid with Gi* (999
    permutations): grid, points to cells, counts, weights and Gi*, timed end to end,
    wall and CPU seconds per step (weights caches cleared each round);
    ``--part c --profile`` adds an untimed round under cProfile, printing each
    step's most expensive functions.

Synthetic points: map points are drawn uniformly inside polygons chosen with
probability proportional to a fixed-seed gamma weight (busy and quiet places), and
each record picks a map point with probability proportional to another gamma
weight; unsnapped records are drawn uniformly inside the same polygons. Each part
runs in its own process so that peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LONDON_LSOA = DATA / "lsoa_2021_london_ons" / "london-2021-lsoa-gen20.shp"
EW_LSOA = DATA / "lsoa_2011_england_wales_bgc" / "lsoa11_ew_bgc.gpkg"
WARDS = ROOT / "data" / "demo" / "wards.geojson"  # the demo pack's 704 London wards
SEED = 20240601


def _peak_mb() -> float:
    """Peak resident memory of this process in MB: ``VmHWM``, else ``ru_maxrss``.

    On Linux ``ru_maxrss`` is inherited through fork and kept across exec, so a child
    started by a large process (part b's, after sjoin) reports its parent's size;
    ``VmHWM`` belongs to the process image and starts afresh at exec.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _inside(geoms: np.ndarray, which: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniform point inside ``geoms[which[k]]`` for each k (rejection in the bbox)."""
    b = shapely.bounds(geoms)
    out = np.empty((len(which), 2))
    todo = np.arange(len(which))
    shapely.prepare(geoms)
    while len(todo):
        bb = b[which[todo]]
        x = rng.uniform(bb[:, 0], bb[:, 2])
        y = rng.uniform(bb[:, 1], bb[:, 3])
        ok = shapely.contains_xy(geoms[which[todo]], x, y)
        out[todo[ok], 0], out[todo[ok], 1] = x[ok], y[ok]
        todo = todo[~ok]
    return out


def synthetic_points(areas: gpd.GeoDataFrame, n: int, *, map_points: int | None,
                     seed: int = SEED) -> pd.DataFrame:
    """``n`` records with lon/lat ``x``/``y``; snapped to ``map_points`` points when given."""
    rng = np.random.default_rng(seed)
    geoms = np.asarray(areas.geometry.array, dtype=object)
    weight = rng.gamma(0.7, size=len(geoms))
    p = weight / weight.sum()
    if map_points:
        mp = _inside(geoms, rng.choice(len(geoms), map_points, p=p), rng)
        pick = rng.gamma(0.5, size=map_points)
        xy = mp[rng.choice(map_points, n, p=pick / pick.sum())]
    else:
        xy = _inside(geoms, rng.choice(len(geoms), n, p=p), rng)
    ll = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=areas.crs).to_crs(4326)
    return pd.DataFrame({"source": "synthetic", "source_row": np.arange(2, n + 2),
                         "x": ll.x.to_numpy(), "y": ll.y.to_numpy()})


def sjoin_baseline(records: pd.DataFrame, polygons: gpd.GeoDataFrame, code: str) -> int:
    """geopandas.sjoin on the same records (projected the same way); returns matches."""
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(records["x"], records["y"]),
                           crs="EPSG:4326").to_crs(polygons.crs)
    hits = gpd.sjoin(pts, polygons[[code, "geometry"]], how="left", predicate="intersects")
    return int(hits[code].notna().sum())


def _time(fn, *args, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def _areas(path: Path, code: str) -> gpd.GeoDataFrame:
    g = gpd.read_file(path, columns=[code]).to_crs("EPSG:27700")
    return g.rename(columns={code: "area_code"})


def _median_time(repeats: int, fn, *args, before=None, **kw):  # type: ignore[no-untyped-def]
    """Median wall-clock seconds of ``repeats`` calls (``before()`` untimed before each)."""
    times, out = [], None
    for _ in range(repeats):
        if before is not None:
            before()
        t, out = _time(fn, *args, **kw)
        times.append(t)
    return float(np.median(times)), out


def _clock(fn, *args, **kw):  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process, result)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return time.perf_counter() - w, time.process_time() - c, out


def _lsoa_rounds(recs: pd.DataFrame, lsoa: gpd.GeoDataFrame, repeats: int,
                 sj_recs: pd.DataFrame) -> tuple[dict, object]:
    """Interleaved rounds: sjoin on ``sj_recs``, then ours cold and warm on 1 and 2 threads.

    Interleaving keeps a shared machine's load swings out of the ratios: each round's
    ratio compares runs made seconds apart. Returns ``{name: [(wall, cpu), ...]}`` and
    the last reconciliation.
    """
    from hotspots.areas import join as join
    from hotspots.areas import locate as _locate

    runs: dict = {}
    rec = None
    for _ in range(repeats):
        w, c, _n = _clock(sjoin_baseline, sj_recs, lsoa, "area_code")
        runs.setdefault("sjoin", []).append((w, c))
        for threads in (1, 2):
            _locate.THREADS = threads
            _locate._CACHE.clear()
            for kind in ("cold", "warm"):
                w, c, (_o, rec) = _clock(join.points_to_areas, recs, lsoa, crs="EPSG:4326")
                runs.setdefault(f"{kind}{threads}", []).append((w, c))
    _locate.THREADS = min(2, os.cpu_count() or 1)
    return runs, rec


def _report_rounds(runs: dict, scale: float, indent: str) -> None:
    """Median seconds and median per-round ratios; CPU-time ratios for one thread."""
    sj = np.array(runs["sjoin"]) * scale
    print(f"{indent}sjoin: {np.median(sj[:, 0]):.2f} s wall, {np.median(sj[:, 1]):.2f} s CPU"
          + (f" (sample x{scale:g})" if scale != 1 else ""))
    for threads in (1, 2):
        parts = []
        for kind in ("cold", "warm"):
            t = np.array(runs[f"{kind}{threads}"])
            wall = np.median(sj[:, 0] / t[:, 0])
            text = f"{kind} {np.median(t[:, 0]):.2f} s -> {wall:.1f}x"
            if threads == 1:
                text += f" (CPU {np.median(sj[:, 1] / t[:, 1]):.1f}x)"
            parts.append(text)
        print(f"{indent}ours, {threads} thread(s): " + "; ".join(parts))


def _record_rounds(name: str, runs: dict, scale: float, repeats: int,
                   load_before: list[float], notes: str) -> None:
    """Write one set of interleaved rounds to ``bench/results/<name>.json``."""
    from bench import results

    sj = np.array(runs["sjoin"]) * scale
    rows = [{"call": "geopandas.sjoin" + (f" (sample x{scale:g})" if scale != 1 else
                                          ", the full input"),
             "wall s (min)": float(sj[:, 0].min()), "wall s (median)": float(np.median(sj[:, 0])),
             "CPU s (median)": float(np.median(sj[:, 1]))}]
    for threads in (1, 2):
        for kind, words in (("cold", "first call (raster built)"),
                            ("warm", "again (raster cached)")):
            t = np.array(runs[f"{kind}{threads}"])
            rows.append({"call": f"ours, {threads} thread(s), {words}",
                         "wall s (min)": float(t[:, 0].min()),
                         "wall s (median)": float(np.median(t[:, 0])),
                         "CPU s (median)": float(np.median(t[:, 1])),
                         "sjoin / ours, wall (median of rounds)":
                             float(np.median(sj[:, 0] / t[:, 0])),
                         "sjoin / ours, CPU": float(np.median(sj[:, 1] / t[:, 1]))})
    results.record(name, {"conditions": results.conditions(
        repeats, interleaved=True, load_before=load_before, notes=notes), "rows": rows})


def part_a(repeats: int = 3) -> None:
    from hotspots.patrol import grid as grid

    lsoa = _areas(LONDON_LSOA, "LSOA21CD")
    g, spec = grid.make_grid(lsoa)
    cells = g[["cell_id", "geometry"]]
    print(f"(medians of {repeats} runs; 'cold' = first call after clearing the locator "
          "cache, so the raster is built inside the timed call)")
    for label, mp in (("snapped to 120,000 map points", 120_000), ("unsnapped", None)):
        recs = synthetic_points(lsoa, 1_000_000, map_points=mp)
        print(f"\n(a) London, 1,000,000 points, {label}")
        t_sj_grid, n_sj = _median_time(repeats, sjoin_baseline, recs, cells, "cell_id")
        t_grid, (out, rec) = _median_time(repeats, grid.points_to_cells, recs, g)
        print(f"  150 m grid ({len(g):,} cells): sjoin {t_sj_grid:.2f} s, ours {t_grid:.2f} s "
              f"-> {t_sj_grid / t_grid:.1f}x  (assigned {rec.assigned:,}; sjoin matched "
              f"{n_sj:,} incl. edge duplicates)")
        load_before = _load()
        runs, rec = _lsoa_rounds(recs, lsoa, repeats, recs)
        print(f"  LSOAs ({len(lsoa):,}), {repeats} interleaved rounds "
              f"(assigned {rec.assigned:,}):")
        _report_rounds(runs, 1.0, "    ")
        _record_rounds(f"points_london_{'snapped' if mp else 'unsnapped'}", runs, 1.0, repeats,
                       load_before, f"1,000,000 {label} points (lon/lat) -> {len(lsoa):,} "
                       "London LSOAs, sjoin and ours on the same full input; ours tests each "
                       "distinct coordinate once (snapped points deduplicated), sjoin every row")
        if mp is None:  # the row: 1M unsnapped points -> the demo pack's wards
            wards = _areas(WARDS, "area_code")
            load_before = _load()
            runs, rec = _lsoa_rounds(recs, wards, repeats, recs)
            print(f"  wards ({len(wards):,}), {repeats} interleaved rounds "
                  f"(assigned {rec.assigned:,}):")
            _report_rounds(runs, 1.0, "    ")
            _record_rounds("points_london_wards", runs, 1.0, repeats, load_before,
                           f"1,000,000 unsnapped points (lon/lat) -> {len(wards):,} London "
                           "wards (the demo pack), sjoin and ours on the same full input; "
                           "target: first call at least 5x sjoin")
    print(f"  peak memory {_peak_mb():,.0f} MB")


def _load() -> list[float]:
    from bench import results

    return results.load_average()


def part_b(repeats: int = 1, sample: int = 0) -> None:
    t, lsoa = _time(_areas, EW_LSOA, "LSOA11CD")
    print(f"\n(b) England and Wales: {len(lsoa):,} LSOAs read in {t:.1f} s")
    for label, mp in (("snapped to 750,000 map points", 750_000), ("unsnapped", None)):
        t, recs = _time(synthetic_points, lsoa, 6_000_000, map_points=mp)
        print(f"  6,000,000 points, {label} (generated in {t:.1f} s)")
        sample_n = sample or len(recs)
        scale = len(recs) / sample_n
        load_before = _load()
        runs, rec = _lsoa_rounds(recs, lsoa, repeats, recs if not sample else
                                 recs.sample(sample_n, random_state=SEED))
        print(f"    {repeats} interleaved round(s); ours on all 6,000,000, sjoin on "
              + (f"a {sample_n:,} sample scaled x{scale:g}" if sample else "all of them")
              + f" (assigned {rec.assigned:,}, outside {rec.outside:,}):")
        _report_rounds(runs, scale, "    ")
        _record_rounds(f"points_ew_{'snapped' if mp else 'unsnapped'}", runs, scale, repeats,
                       load_before, f"6,000,000 {label} points (lon/lat) -> {len(lsoa):,} "
                       "LSOAs (2011), peak memory so far " f"{_peak_mb():,.0f} MB; ours tests "
                       "each distinct coordinate once (snapped points deduplicated), sjoin "
                       "every row")
        print(f"    peak memory so far {_peak_mb():,.0f} MB")
        del recs
        _add_own_peak(f"points_ew_{'snapped' if mp else 'unsnapped'}", mp)


def _add_own_peak(name: str, map_points: int | None) -> None:
    """Add ours' peak memory in a process of its own to ``bench/results/<name>.json``.

    The rounds' process also holds sjoin's copies (and the generator's, about 3 GB for
    6M unsnapped points), so its peak is not ours. One child makes the same seeded points
    and writes them to Parquet; another reads them and the LSOAs and locates them once
    (first call, default threads): its peak before and after locating.
    """
    from bench import results

    with tempfile.TemporaryDirectory() as tmp:
        pts = Path(tmp) / "points.parquet"
        subprocess.run([sys.executable, "-m", "bench.points_speed", "--own-peak-make",
                        str(map_points or 0), str(pts)], cwd=ROOT, check=True)
        out = subprocess.run([sys.executable, "-m", "bench.points_speed", "--own-peak",
                              str(pts)], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
    got = json.loads(out)
    path = results.RESULTS / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["rows"].append({"call": "ours alone in its own process, first call (peak memory)",
                         "peak MB": got["after"], "of which before locating (layer + points)":
                         got["before"], "wall s (median)": got["wall"]})
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"    ours alone: peak {got['after']:,.0f} MB ({got['before']:,.0f} MB before "
          f"locating), {got['wall']:.1f} s")


def own_peak_make(map_points: int, out: Path) -> None:
    """Child of :func:`_add_own_peak`: write the seeded 6M points to ``out``."""
    lsoa = _areas(EW_LSOA, "LSOA11CD")
    synthetic_points(lsoa, 6_000_000, map_points=map_points or None).to_parquet(out)


def own_peak(points: Path) -> None:
    """Child of :func:`_add_own_peak`: print ``{"before", "after", "wall"}`` as JSON."""
    from hotspots.areas import join as join

    lsoa = _areas(EW_LSOA, "LSOA11CD")
    recs = pd.read_parquet(points)
    before = _peak_mb()
    wall, _cpu, _out = _clock(join.points_to_areas, recs, lsoa, crs="EPSG:4326")
    print(json.dumps({"before": round(before), "after": round(_peak_mb()),
                      "wall": round(wall, 2)}))


def part_c(repeats: int = 3, profile: bool = False) -> None:
    """1M snapped points -> 150 m grid -> Gi* (999): each step's wall and CPU seconds.

    With ``profile``, one more round runs under cProfile (not timed, not recorded) and
    each step's ten most expensive functions (own time) are printed.
    """
    from bench import results
    from hotspots.patrol import cells as patrol
    from hotspots.patrol import grid as grid
    from hotspots.stats import significance, weights

    lsoa = _areas(LONDON_LSOA, "LSOA21CD")
    recs = synthetic_points(lsoa, 1_000_000, map_points=120_000)
    print("\n(c) London, 1,000,000 snapped points -> 150 m grid -> Gi* (999 permutations)")
    load_before = _load()
    steps: dict[str, list[tuple[float, float]]] = {}
    hot = cells_n = 0
    for _ in range(repeats):
        significance._LAST_SIMS.clear()  # each round simulates afresh
        # and builds its weights afresh: "first call" is one (the grid's weights are
        # otherwise remembered by their cell ids and centres, and by build_weights)
        weights.weights_cache_clear()
        patrol.grid_weights_cache_clear()
        w0, c0 = time.perf_counter(), time.process_time()
        w, c, (g, _spec) = _clock(grid.make_grid, lsoa)
        steps.setdefault("grid (make_grid)", []).append((w, c))
        w, c, (out, _rec) = _clock(grid.points_to_cells, recs, g)
        steps.setdefault("points to cells", []).append((w, c))
        w, c, counts = _clock(grid.counts_by_cell, out, g)
        steps.setdefault("counts by cell", []).append((w, c))
        y = counts.set_index("cell_id")["count"]
        w, c, _sw = _clock(patrol.grid_weights, g)
        steps.setdefault("weights (first call)", []).append((w, c))
        w, c, res = _clock(patrol.gi_star_cells, y, g, permutations=999, seed=1)
        steps.setdefault("Gi* normal + 999 permutations (weights cached)", []).append((w, c))
        steps.setdefault("total", []).append((time.perf_counter() - w0,
                                              time.process_time() - c0))
        hot = int(res.frame["gi_class"].str.startswith("Hot").sum())
        cells_n = len(g)
        print("  " + ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in steps.items()), flush=True)
    rows = [{"step": k, "wall s (min)": float(np.min([r[0] for r in v])),
             "wall s (median)": float(np.median([r[0] for r in v])),
             "CPU s (median)": float(np.median([r[1] for r in v]))} for k, v in steps.items()]
    results.record("points_grid", {"conditions": results.conditions(
        repeats, interleaved=False, load_before=load_before,
        notes=f"1,000,000 snapped points (120,000 map points) over London, {cells_n:,} cells "
              f"of 150 m, {hot:,} hot cells; one process, numpy threads as installed, "
              f"the Gi* permutations on {_kernel_threads()} numba thread(s); weights "
              "caches cleared before each round; CPU = this process's user + system time "
              f"(all threads); peak memory {_peak_mb():,.0f} MB; target: total under 3 s "
              "wall (idle 2-core machine) and 2.5 CPU-s"),
        "rows": rows})
    print(results.render("points_grid"))
    if profile:
        _profile_steps(lsoa, recs)


def _profile_steps(lsoa: gpd.GeoDataFrame, recs: pd.DataFrame) -> None:
    """One untimed round of part (c) under cProfile: each step's top functions."""
    import cProfile
    import pstats

    from hotspots.patrol import cells as patrol
    from hotspots.patrol import grid as grid
    from hotspots.stats import significance, weights

    significance._LAST_SIMS.clear()
    weights.weights_cache_clear()
    patrol.grid_weights_cache_clear()
    state: dict = {}
    steps = {
        "grid (make_grid)": lambda: state.update(g=grid.make_grid(lsoa)[0]),
        "points to cells": lambda: state.update(out=grid.points_to_cells(recs, state["g"])[0]),
        "counts by cell": lambda: state.update(y=grid.counts_by_cell(
            state["out"], state["g"]).set_index("cell_id")["count"]),
        "weights (first call)": lambda: patrol.grid_weights(state["g"]),
        "Gi* normal + 999 permutations": lambda: patrol.gi_star_cells(
            state["y"], state["g"], permutations=999, seed=1),
    }
    for name, fn in steps.items():
        prof = cProfile.Profile()
        prof.runcall(fn)
        print(f"\n--- {name}")
        pstats.Stats(prof).sort_stats("tottime").print_stats(10)


def _kernel_threads() -> int:
    """Threads the compiled permutation kernel ran on (numba's setting), 0 if not loaded."""
    if "numba" not in sys.modules:
        return 0
    return int(sys.modules["numba"].get_num_threads())


PARTS = {"a": part_a, "b": part_b, "c": part_c}


def main(argv: list[str] | None = None) -> None:
    """Run one part, or every part in its own process."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=[*PARTS, "all"], default="all")
    ap.add_argument("--repeats", type=int, default=None,
                    help="runs per timing, median reported (default 3 for a, 1 for b)")
    ap.add_argument("--profile", action="store_true",
                    help="part c: one more round under cProfile, each step's top functions")
    ap.add_argument("--sample", type=int, default=0,
                    help="time part b's sjoin on a sample of this many points, scaled to "
                         "6,000,000 (default 0: the full input, as ours)")
    ap.add_argument("--own-peak", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--own-peak-make", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.own_peak_make:
        own_peak_make(int(args.own_peak_make[0]), Path(args.own_peak_make[1]))
        return
    if args.own_peak is not None:
        own_peak(args.own_peak)
        return
    if args.part != "all":
        kw: dict = {}
        if args.part in "abc" and args.repeats:
            kw["repeats"] = args.repeats
        if args.part == "c" and args.profile:
            kw["profile"] = True
        if args.part == "b":
            kw["sample"] = args.sample
        PARTS[args.part](**kw)
        return
    for p in PARTS:
        extra = ["--sample", str(args.sample)]
        if args.repeats:
            extra += ["--repeats", str(args.repeats)]
        subprocess.run([sys.executable, "-m", "bench.points_speed", "--part", p, *extra],
                       check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
