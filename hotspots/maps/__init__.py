"""Pictures from frames: the web maps, the print maps and the charts of the dashboard.

This package owns every picture the pages and the board pack show, and the
choices behind them:

- :mod:`~hotspots.maps.classify`: classing values for a legend (scheme registry,
  class bounds, labels with counts, the "no data" and masked greys);
- :mod:`~hotspots.maps.palettes`: every colour scheme (ColorBrewer from branca,
  viridis, Okabe-Ito);
- :mod:`~hotspots.maps.assets`: the offline Leaflet copy and the project's own map
  script (``static/js/map_sync.js``), served by the app itself;
- web maps (folium, offline): :mod:`~hotspots.maps.web` (the offline map every web
  map starts from), :mod:`~hotspots.maps.arealayers` (wards and borough outlines,
  inline or from a static geometry file), :mod:`~hotspots.maps.choropleths` (classed
  choropleth and legend), :mod:`~hotspots.maps.panels` (the page's measure and IMD
  panels, the synchronised pair), :mod:`~hotspots.maps.statmaps` (Gi*, LISA and
  bivariate maps) and :mod:`~hotspots.maps.patrolmaps` (the patrol cell map);
- the national LSOA map's compact binary polygons: :mod:`~hotspots.maps.lsoageom`;
- print maps and charts (matplotlib): :mod:`~hotspots.maps.printmaps`;
- Altair charts of the views: :mod:`~hotspots.maps.charts`.

It takes frames and values in and gives maps, figures, chart specs and HTML
legends out. It is layer 3 (docs/ARCHITECTURE.md): it imports only the floor
(``hotspots._errors``, ``periods``, ``privacy``, ...) and the layers below it
(``hotspots.stats``, ``hotspots.io``, ``hotspots.areas``, ``boundaries``), and
never :mod:`hotspots.patrol` (its sibling), :mod:`hotspots.pipeline`,
:mod:`hotspots.report`, the CLI, ``ui`` or Streamlit.

The public names below can be taken from the package (``from hotspots import
maps`` then ``maps.measure_panel(...)``). They are imported on first use, so that
``import hotspots.maps.classify`` does not pay for folium, matplotlib and Altair (a
second or more); :func:`classify` itself lives in :mod:`hotspots.maps.classify`,
whose name it shares. The statistics maps, print maps and charts are reached
through their sub-packages (``maps.statmaps.gi_map``, ``maps.printmaps.class_map``,
``maps.charts.trend_chart``: the print and Altair trend charts share a name).
"""

from typing import Any

from hotspots._lazy import lazy_attribute, lazy_dir

#: Public name -> the module of this package that defines it.
_EXPORTS: dict[str, str] = {
    # web maps
    "BASEMAPS": "web",
    "Basemap": "web",
    "OSM_ATTRIBUTION": "web",
    "SYNTHETIC_BADGE": "web",
    "GEOMETRY_PROPERTIES": "arealayers",
    "StaticGeometry": "arealayers",
    "StaticWardLayer": "arealayers",
    "outline_geometry_json": "arealayers",
    "short_borough_name": "arealayers",
    "ward_geometry_json": "arealayers",
    "choropleth": "choropleths",
    "legend_html": "choropleths",
    "MapPanel": "panels",
    "SyncedMaps": "panels",
    "imd_panel": "panels",
    "measure_panel": "panels",
    "synced_pair": "panels",
    "ward_map_frame": "panels",
    # classes and colours
    "Classification": "classify",
    "MASKED_COLOUR": "classify",
    "MASKED_INDEX": "classify",
    "NO_DATA_COLOUR": "classify",
    "NO_DATA_INDEX": "classify",
    "SCHEMES": "classify",
    "Scheme": "classify",
    "class_colours": "classify",
    "MAP_PALETTES": "palettes",
    "OKABE_ITO": "palettes",
    "PALETTES": "palettes",
    "brewer": "palettes",
    "map_palette": "palettes",
    "palette": "palettes",
    # offline assets
    "ensure_static_assets": "assets",
    "write_static_geometry": "assets",
}

#: The modules and sub-packages of the package.
_MODULES = ("arealayers", "assets", "charts", "choropleths", "classify", "palettes", "panels",
            "patrolmaps", "printmaps", "statmaps", "web")

__all__ = [
    "BASEMAPS",
    "GEOMETRY_PROPERTIES",
    "MAP_PALETTES",
    "MASKED_COLOUR",
    "MASKED_INDEX",
    "NO_DATA_COLOUR",
    "NO_DATA_INDEX",
    "OKABE_ITO",
    "OSM_ATTRIBUTION",
    "PALETTES",
    "SCHEMES",
    "SYNTHETIC_BADGE",
    "Basemap",
    "Classification",
    "MapPanel",
    "Scheme",
    "StaticGeometry",
    "StaticWardLayer",
    "SyncedMaps",
    "arealayers",
    "assets",
    "brewer",
    "charts",
    "choropleth",
    "choropleths",
    "class_colours",
    "classify",
    "ensure_static_assets",
    "imd_panel",
    "legend_html",
    "map_palette",
    "measure_panel",
    "outline_geometry_json",
    "palette",
    "palettes",
    "panels",
    "patrolmaps",
    "printmaps",
    "short_borough_name",
    "statmaps",
    "synced_pair",
    "ward_geometry_json",
    "ward_map_frame",
    "web",
    "write_static_geometry",
]


def __getattr__(name: str) -> Any:
    """Import the module behind a public name (or a sub-module) on first use."""
    return lazy_attribute(globals(), name, _EXPORTS, _MODULES)


def __dir__() -> list[str]:
    return lazy_dir(globals())
