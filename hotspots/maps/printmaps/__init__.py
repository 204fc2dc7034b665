"""Static (print) maps and charts for the board pack: matplotlib figures that read on paper.

Every map has a classed legend *outside* the map body that prints each class's
range and number of wards (``"36 to 48 (3)"``, from :func:`hotspots.maps.classify.classify`,
so the page and the print agree), "No data (n)" and "Suppressed (<5) (n)" entries
when present, borough outlines and names, a scale bar (EPSG:27700 is in metres),
a north arrow, a title, an optional subtitle and source attribution.

Figures are built on :class:`matplotlib.figure.Figure` directly (never the pyplot
global state), with DejaVu Sans (bundled with matplotlib), and are saved without
timestamps so that the same input gives byte-identical PNG, PDF and SVG files.

Colours come from the web maps: sequential palettes from
:data:`hotspots.maps.palettes.PALETTES` (ColorBrewer, colour-blind safe, lightness
falling monotonically from the first class to the last so that they survive
greyscale printing), "no data" and suppressed greys from
:mod:`hotspots.maps.classify`, and the Gi*, LISA and bivariate colours from
:mod:`hotspots.maps.statmaps` (pass them as ``categories=`` to :func:`category_map`).

- :mod:`~hotspots.maps.printmaps.page`: the figure, legend, scale bar, north
  arrow, titles, attribution, and :func:`save_figure`;
- :mod:`~hotspots.maps.printmaps.boroughs`: borough outlines and names;
- :mod:`~hotspots.maps.printmaps.draw`: polygons and outlines as one collection each
  (the pixels ``GeoSeries.plot`` draws, without its full redraw per call), a layer's
  paths made once for every map that draws it;
- :mod:`~hotspots.maps.printmaps.wards`: :func:`class_map` and :func:`category_map`;
- :mod:`~hotspots.maps.printmaps.cells`: :func:`cell_map` (patrol cells);
- :mod:`~hotspots.maps.printmaps.trend`: :func:`trend_chart` (monthly lines).
"""

from hotspots.maps.printmaps.cells import ATTRIBUTION_POLICE_UK, HOT_EDGE, SELECTED_EDGE, cell_map
from hotspots.maps.printmaps.page import (
    ATTRIBUTION_DEFAULT,
    DEFAULT_FIGSIZE,
    DEFAULT_PALETTE,
    FONT_FAMILY,
    LEGEND_POSITIONS,
    SUPPRESSED_HATCH,
    luminance,
    save_figure,
)
from hotspots.maps.printmaps.trend import trend_chart
from hotspots.maps.printmaps.wards import category_map, class_map, quantile_note

__all__ = [
    "ATTRIBUTION_DEFAULT",
    "ATTRIBUTION_POLICE_UK",
    "DEFAULT_FIGSIZE",
    "DEFAULT_PALETTE",
    "FONT_FAMILY",
    "HOT_EDGE",
    "LEGEND_POSITIONS",
    "SELECTED_EDGE",
    "SUPPRESSED_HATCH",
    "category_map",
    "cell_map",
    "class_map",
    "luminance",
    "quantile_note",
    "save_figure",
    "trend_chart",
]
