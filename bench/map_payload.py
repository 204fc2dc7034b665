"""Map payload and build time: the project's web layer against the naive map.

Run by hand (never in the test suite)::

    .venv/bin/python -m bench.map_payload [--rounds 3]

Baseline (measured in the same run): what a user would write first, a folium
choropleth of the raw ONS 2025 wards with every property, unrounded coordinates.
Reported as ratios, plus the absolute sizes for the record.

Then the page's measure/IMD pair as ``st_folium`` receives it (``ui.mapview.render_map``
of ``hotspots.maps.synced_pair``), per selection: with the geometry inline (the way it
was sent before issue 5's second step) and with the geometry in static files fetched
once (``hotspots.maps.ward_geometry_json``, ``outline_geometry_json``; written to a
temporary folder here), whose sizes are printed too (sent once per browser session).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"


def _timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def naive() -> tuple[int, float]:
    """Raw layer, all properties, folium defaults (CDN scripts, tiles)."""
    import geopandas as gpd

    def run() -> int:
        g = gpd.read_file(SHARED / "london_wards_2025_ons_bgc" / "london_wd25_bgc.gpkg")
        m = folium.Map(location=[51.5, -0.1], zoom_start=10)
        folium.GeoJson(g.to_json()).add_to(m)
        return len(m.get_root().render().encode())

    return _timed(run)


def ours() -> tuple[int, float]:
    """The page's measure map: pack -> ward table -> measure panel (as ui/cache.py does)."""
    from hotspots import maps, pipeline

    def run() -> int:
        pack = pipeline.load_pack()
        months = pack.months
        wt = pipeline.ward_table(pack, pipeline.Selection("crime:all", months[-12], months[-1]))
        panel = maps.measure_panel(
            pack.web_areas, wt.frame.drop(columns="geometry"), title=wt.label,
            value_label="Crimes", integer=True, sensitive=False, threshold=5,
            borough_outlines=pack.boroughs_web,
        )
        return len(panel.map.get_root().render().encode())

    return _timed(run)


def pair_payloads() -> dict[str, int]:
    """Bytes of the page's pair per selection, inline geometry vs static files."""
    import tempfile

    from hotspots import maps, pipeline
    from hotspots.maps.assets import write_static_geometry
    from ui import mapview

    pack = pipeline.load_pack()
    months = pack.months
    wt = pipeline.ward_table(pack, pipeline.Selection("crime:all", months[-12], months[-1]))
    ward_bytes = maps.ward_geometry_json(pack.web_areas)
    outline_bytes = maps.outline_geometry_json(pack.boroughs_web)
    out = {"ward file": len(ward_bytes), "outline file": len(outline_bytes)}
    with tempfile.TemporaryDirectory() as tmp:
        geo = maps.StaticGeometry(write_static_geometry(tmp, "wards", ward_bytes),
                                  maps.GEOMETRY_PROPERTIES)
        lines = maps.StaticGeometry(write_static_geometry(tmp, "boroughs", outline_bytes))
        for name, kw in (("pair, inline", {}),
                         ("pair, static", {"geometry": geo, "outline_geometry": lines})):
            left = maps.measure_panel(
                pack.web_areas, wt.frame, title=wt.label, value_label="Crimes", integer=True,
                sensitive=False, threshold=5, borough_outlines=pack.boroughs_web,
                borough_labels=True, **kw)
            right = maps.imd_panel(pack.web_areas, pack.imd, borough_outlines=pack.boroughs_web,
                                   borough_labels=True, **kw)
            out[name] = mapview.render_map(maps.synced_pair(left.map, right.map)).n_bytes
    return out


def _child(which: str) -> None:
    """Build one map in this (fresh) process and print its bytes and seconds as JSON."""
    import json

    nbytes, secs = {"naive": naive, "ours": ours}[which]()
    print(json.dumps({"bytes": nbytes, "seconds": secs}))


def main(argv: list[str] | None = None) -> None:
    """Interleaved rounds in fresh processes; print and record sizes, times and ratios."""
    import argparse
    import json
    import os
    import statistics
    import subprocess
    import tempfile

    from bench import results

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", choices=["naive", "ours"], help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _child(a.child)
        return
    load_before = results.load_average()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HOTSPOTS_CACHE_DIR": tmp}
        entries = {"naive (raw layer, every property, folium)": ("naive", env),
                   "ours, pack cache filled": ("ours", env),
                   "ours, no pack cache": ("ours", {**env, "HOTSPOTS_PACK_CACHE": "0"})}

        def run(which: str, e: dict[str, str]) -> dict:
            out = subprocess.run([sys.executable, "-m", "bench.map_payload", "--child", which],
                                 cwd=ROOT, env=e, capture_output=True, text=True, check=True)
            return json.loads(out.stdout.strip().splitlines()[-1])

        run("ours", env)  # fills the pack cache
        got: dict[str, list[dict]] = {k: [] for k in entries}
        for _ in range(a.rounds):
            for name, (which, e) in entries.items():
                got[name].append(run(which, e))
    naive_name = "naive (raw layer, every property, folium)"
    nb = got[naive_name][0]["bytes"]
    nt = statistics.median(r["seconds"] for r in got[naive_name])
    rows = []
    for name, runs in got.items():
        secs = [r["seconds"] for r in runs]
        med = statistics.median(secs)
        rows.append({"map (704 wards)": name, "bytes": runs[0]["bytes"],
                     "bytes / naive": runs[0]["bytes"] / nb, "build s (min)": min(secs),
                     "build s (median)": med, "build time / naive": med / nt})
    sizes = pair_payloads()
    for key in ("pair, inline", "pair, static", "ward file", "outline file"):
        rows.append({"map (704 wards)": f"page's measure/IMD {key}"
                     + (" (per selection)" if key.startswith("pair") else " (once per visit)"),
                     "bytes": sizes[key]})
    cond = results.conditions(a.rounds, interleaved=True, load_before=load_before,
                              notes="build = the map made and rendered to HTML in a fresh "
                                    "process, imports excluded, pack load included")
    results.record("map_payload", {"conditions": cond, "rows": rows, "runs": got})
    print(results.render("map_payload"))


if __name__ == "__main__":
    main()
