"""National scale: the embedded store (DuckDB) against the pandas path, time and peak memory.

Run by hand (never in the tests), from the project folder:

    .venv/bin/python -m bench.store_scale generate --rows 6000000 --months 12 --out /tmp/ew6m
    .venv/bin/python -m bench.store_scale run --data /tmp/ew6m --store /tmp/ew6m.duckdb
    .venv/bin/python -m bench.store_scale run --data /tmp/ew30m --store /tmp/ew30m.duckdb \
        --no-pandas

**Data (synthetic but realistic, seeded).** police.uk archive layout
(``YYYY-MM/YYYY-MM-<force>-street.csv``, the 12 police.uk columns). 750,000 anonymous
map points (police.uk has about that many) are drawn inside the 35,672 England and Wales
2021 LSOAs (``lsoa21_ew_bgc.gpkg``; a random LSOA's point on surface, jittered by up to
150 m, kept only if still inside that LSOA's bounding box; lon/lat rounded to 6 decimals
as police.uk publishes them). Each row picks a map point with a gamma-weighted
probability (busy and quiet streets); its month, crime type, outcome and ``Location``
text are drawn from the real Welsh and City of London rows in ``../shared/data`` (so the
crime types keep their real shares, anti-social behaviour without a Crime ID); its
``Falls within`` is one of 10 pseudo-forces (the LSOA's region); 1.5 % of rows have no
coordinates (as in the real months); 0.1 % of crimes are published again the next month
with the same Crime ID (counted once). Seed 20261206.

**Measured** (each step in its own process; peak = the child's max RSS from
``os.wait4``): ``store add`` of every month folder (one add: the archive layout), counts
per LSOA per month per crime type from the store with the project's locator and with
DuckDB's spatial join, and the pandas path (``read_police_inputs`` on the folder +
``points_to_areas`` on the LSOAs + group-by) on the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.results import conditions, load_average, record

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LSOA = DATA / "lsoa_2021_england_wales_bgc" / "lsoa21_ew_bgc.gpkg"
REAL = [DATA / "police_uk_wales_2024-01_to_2024-04",
        DATA / "police_uk_city_of_london_2017-12_to_2020-11"]
SEED = 20261206
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
          "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]


def generate(rows: int, months: int, out: Path, points: int = 750_000) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import shapely

    from hotspots import io
    from hotspots.areas import project_xy

    rng = np.random.default_rng(SEED)
    lsoa = gpd.read_file(LSOA, columns=["LSOA21CD", "LSOA21NM", "RGNCD"]).to_crs(27700)
    real = pd.concat([r.frame for _, r in io.read_police_inputs(
        [(p.name, p) for p in REAL]).files], ignore_index=True)
    pick = rng.integers(0, len(lsoa), points)
    anchor = shapely.get_coordinates(lsoa.geometry.representative_point().to_numpy()[pick])
    bounds = shapely.bounds(lsoa.geometry.to_numpy()[pick])
    xy = anchor + rng.uniform(-150, 150, (points, 2))
    xy[:, 0] = np.clip(xy[:, 0], bounds[:, 0], bounds[:, 2])
    xy[:, 1] = np.clip(xy[:, 1], bounds[:, 1], bounds[:, 3])
    lon, lat = project_xy(xy[:, 0], xy[:, 1], "EPSG:27700", "EPSG:4326")
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    weight = rng.gamma(0.6, size=points)
    weight /= weight.sum()
    lsoa["RGNCD"] = lsoa["RGNCD"].fillna("W92000004")  # Wales has no region code
    regions = sorted(lsoa["RGNCD"].unique())
    force_of = {r: f"Force {chr(65 + i)} Police" for i, r in enumerate(regions)}
    codes = lsoa["LSOA21CD"].to_numpy()[pick]
    names = lsoa["LSOA21NM"].to_numpy()[pick]
    force = np.array([force_of[r] for r in lsoa["RGNCD"].to_numpy()[pick]], dtype=object)
    cats = real["category"].astype(str).to_numpy()
    outcome = real["outcome"].astype(object).to_numpy()
    location = real["location"].astype(object).to_numpy()
    per_month = rows // months
    again: dict[str, pd.DataFrame] = {}
    out.mkdir(parents=True, exist_ok=True)
    month_names = [f"{2020 + m // 12:04d}-{m % 12 + 1:02d}" for m in range(months)]
    for k, month in enumerate(month_names):
        p = rng.choice(points, per_month, p=weight)
        r = rng.integers(0, len(real), per_month)
        cat = cats[r]
        asb = cat == "Anti-social behaviour"
        ids = np.array([f"{a:016x}{b:016x}{c:016x}{d:016x}" for a, b, c, d in
                        rng.integers(0, 2**63, (per_month, 4), dtype=np.int64)], dtype=object)
        ids[asb] = None
        no_xy = rng.random(per_month) < 0.015
        frame = pd.DataFrame({
            "Crime ID": ids, "Month": month, "Reported by": force[p], "Falls within": force[p],
            "Longitude": np.where(no_xy, np.nan, lon[p]),
            "Latitude": np.where(no_xy, np.nan, lat[p]),
            "Location": np.where(no_xy, "No location", location[r]),
            "LSOA code": np.where(no_xy, None, codes[p]),
            "LSOA name": np.where(no_xy, None, names[p]), "Crime type": cat,
            "Last outcome category": np.where(asb, None, outcome[r]), "Context": None})
        if k in again:
            frame = pd.concat([frame, again.pop(k)], ignore_index=True)
        if k + 1 < months:  # republished next month with the same Crime ID
            rep = frame[frame["Crime ID"].notna()].sample(frac=0.001, random_state=k)
            again[k + 1] = rep.assign(Month=month_names[k + 1])
        folder = out / month
        folder.mkdir(exist_ok=True)
        for name, grp in frame.groupby("Falls within", sort=True):
            slug = name.lower().replace(" ", "-").removesuffix("-police")
            table = pa.Table.from_pandas(grp[HEADER], preserve_index=False)
            pacsv.write_csv(table, folder / f"{month}-{slug}-street.csv",
                            pacsv.WriteOptions(quoting_style="needed"))
        print(f"{month}: {len(frame):,} rows", flush=True)
    (out / "GENERATED.json").write_text(json.dumps(
        {"rows": rows, "months": months, "points": points, "seed": SEED}))


# --------------------------------------------------------------------------- steps


def _areas():
    import geopandas as gpd

    a = gpd.read_file(LSOA, columns=["LSOA21CD"]).rename(columns={"LSOA21CD": "area_code"})
    return a.to_crs(27700)


def step(what: str, data: Path, db: Path) -> dict:
    from hotspots import store

    t0 = time.perf_counter()
    if what == "add":
        con = store.connect(db)
        r = store.add_inputs(con, [data])
        con.close()
        out = {"rows_read": r.rows_read, "rows_counted": r.rows_counted}
    elif what in ("counts", "counts-spatial"):
        areas = _areas()
        t0 = time.perf_counter()
        con = store.connect(db, read_only=True, spatial=what == "counts-spatial")
        got = store.area_counts(con, areas, engine="spatial" if what == "counts-spatial"
                                else "locator")
        con.close()
        rec = got.reconciliation
        out = {"assigned": rec.assigned, "outside": rec.outside, "unlocated": rec.unlocated,
               "rejected": rec.rejected, "distinct_points": got.distinct_points,
               "cells": len(got.counts)}
    elif what == "pandas":
        import pandas as pd

        from hotspots import io
        from hotspots.areas import points_to_areas

        areas = _areas()
        t0 = time.perf_counter()
        res = io.read_police_inputs([(data.name, data)]).files[0][1]
        a, rec = points_to_areas(res.frame, areas, crs="EPSG:4326", rejected=res.rejected)
        counts = a.groupby(["area_code", "month", "category"], observed=True).size()
        out = {"assigned": rec.assigned, "outside": rec.outside, "unlocated": rec.unlocated,
               "rejected": rec.rejected, "cells": int((counts > 0).sum())}
        del pd
    else:
        raise SystemExit(f"unknown step {what}")
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def replicate(src: Path, dst: Path, years: int) -> None:
    """A store of ``years`` times the rows: every row again in each later year.

    police.uk reuses its anonymous map points year after year, so the copies keep the
    same points (the distinct coordinates stay ~750,000) with the month moved on by
    whole years and new Crime IDs. Built in SQL (this measures the counts at 30 million
    rows, not the add: ``store add`` of one year is measured on the CSVs).
    """
    import shutil

    from hotspots import store

    shutil.copyfile(src, dst)
    con = store.connect(dst)
    for k in range(1, years):
        con.execute(f"""INSERT INTO records SELECT file_id, source_row,
                            CASE WHEN crime_id IS NULL THEN NULL ELSE crime_id || '-{k}' END,
                            CAST(CAST(left(month, 4) AS INTEGER) + {k} AS VARCHAR)
                                || substr(month, 5),
                            category, x, y, lsoa_code, lsoa_name, location, falls_within,
                            outcome, reason, lost_in_add
                        FROM records WHERE month LIKE '2020-%'""")  # the generated year
    n = con.execute("SELECT count(*) FROM records").fetchone()[0]
    con.close()
    print(f"{dst}: {n:,} rows")


def _child(what: str, data: Path, db: Path) -> dict:
    cmd = [sys.executable, "-m", "bench.store_scale", "step", what, "--data", str(data),
           "--store", str(db)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    text = proc.stdout.read() if proc.stdout else ""
    if status:
        raise SystemExit(f"{what} failed ({status}): {text}")
    got = json.loads(text.strip().splitlines()[-1])
    got["peak_mb"] = round(usage.ru_maxrss / 1024)
    got["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)  # robust to a busy machine
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--rows", type=int, default=6_000_000)
    g.add_argument("--months", type=int, default=12)
    g.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run")
    s = sub.add_parser("step")
    s.add_argument("what")
    for q in (r, s):
        q.add_argument("--data", type=Path, required=True)
        q.add_argument("--store", type=Path, required=True)
    r.add_argument("--no-pandas", action="store_true")
    r.add_argument("--record", metavar="NAME",
                   help="also write bench/results/NAME.json (python -m bench.results)")
    rp = sub.add_parser("replicate")
    rp.add_argument("--from", dest="src", type=Path, required=True)
    rp.add_argument("--to", dest="dst", type=Path, required=True)
    rp.add_argument("--years", type=int, default=5)
    r.add_argument("--steps", default="add,counts,counts-spatial,pandas")
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.rows, a.months, a.out)
    elif a.cmd == "replicate":
        replicate(a.src, a.dst, a.years)
    elif a.cmd == "step":
        print(json.dumps(step(a.what, a.data, a.store)))
    else:
        steps = [x for x in a.steps.split(",") if not (a.no_pandas and x == "pandas")]
        if "add" in steps and a.store.exists():
            a.store.unlink()
        load_before = load_average()
        print("load average at start:", os.getloadavg(), "cores:", os.cpu_count(), flush=True)
        rows = []
        for what in steps:
            got = _child(what, a.data, a.store)
            print(what, json.dumps(got), flush=True)
            print("  load average:", os.getloadavg(), flush=True)
            rows_in = got.get("rows_read") or sum(
                got.get(k, 0) for k in ("assigned", "unlocated", "outside", "rejected"))
            rows.append({"step": what, "rows in": rows_in, "assigned": got.get("assigned", ""),
                         "wall s": got.get("seconds"), "CPU s": got.get("cpu_seconds"),
                         "peak MB": got.get("peak_mb"),
                         "load (1 min) after": round(load_average()[0], 1)})
        if a.record:
            notes = (f"data {a.data.name}; each step in its own process, one run; 'counts' "
                     "places points with the project's locator, 'counts-spatial' with "
                     "DuckDB's spatial join (identical counts)")
            print("wrote", record(a.record, {"conditions": conditions(
                1, interleaved=False, load_before=load_before, notes=notes), "rows": rows}))


if __name__ == "__main__":
    main()
