"""Map payload and build time: the project's web layer against the naive map.

Run by hand (never in the test suite)::

    .venv/bin/python bench/map_payload.py

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


def main() -> None:
    """Print sizes, times and ratios."""
    (nb, nt), (ob, ot) = naive(), ours()
    print(f"naive map: {nb:,} bytes, {nt:.2f} s (raw layer, all properties)")
    print(f"our map:   {ob:,} bytes, {ot:.2f} s (pack load + ward table + map, cold)")
    print(f"payload ratio ours/naive: {ob / nb:.2f}; time ratio: {ot / nt:.2f}")
    sizes = pair_payloads()
    print(f"measure/IMD pair per selection: inline {sizes['pair, inline']:,} bytes, "
          f"static geometry {sizes['pair, static']:,} bytes "
          f"(ratio {sizes['pair, static'] / sizes['pair, inline']:.3f}); static files, "
          f"fetched once: wards {sizes['ward file']:,} bytes, borough outlines "
          f"{sizes['outline file']:,} bytes")


if __name__ == "__main__":
    main()
