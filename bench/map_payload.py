"""Map payload and build time: the project's web layer against the naive map.

Run by hand (never in the test suite)::

    .venv/bin/python bench/map_payload.py

Baseline (measured in the same run): what a user would write first, a folium
choropleth of the raw ONS 2025 wards with every property, unrounded coordinates.
Reported as ratios, plus the absolute sizes for the record.
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


def main() -> None:
    """Print sizes, times and ratios."""
    (nb, nt), (ob, ot) = naive(), ours()
    print(f"naive map: {nb:,} bytes, {nt:.2f} s (raw layer, all properties)")
    print(f"our map:   {ob:,} bytes, {ot:.2f} s (pack load + ward table + map, cold)")
    print(f"payload ratio ours/naive: {ob / nb:.2f}; time ratio: {ot / nt:.2f}")


if __name__ == "__main__":
    main()
