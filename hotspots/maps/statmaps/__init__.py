"""Maps of the hotspot statistics: Gi* hot and cold spots, LISA clusters, bivariate classes.

The builders take the analysis table (:attr:`hotspots.pipeline.analysis.Analysis.table`:
one row per ward with the columns of the local statistics of
:mod:`hotspots.stats.registry` and the display strings of the ward table) and
the web layer, and return a :class:`StatMapPanel`: the
folium map, an HTML legend drawn *beside* it with the number of wards in each
class, a title and a method caption naming the weights, permutations, seed and
multiple-testing correction.

They follow the offline recipe of :mod:`hotspots.maps.web` (and reuse its private
helpers): only the project's own Leaflet copy (and, with static geometry, the
project's ``map-sync.js``) is loaded, no tiles unless the
user picks a basemap, legends are HTML outside the map, and every piece of text
in a tooltip is HTML-escaped. Tooltips read only display strings: a suppressed
referral count stays ``"<5"``.

- :mod:`~hotspots.maps.statmaps.captions`: p-values as text, corrections, Gi*
  levels and the method caption;
- :mod:`~hotspots.maps.statmaps.panel`: the panel, its legend, and the
  categorical ward map every statistics map is;
- :mod:`~hotspots.maps.statmaps.local`: the map of any local statistic of the
  registry (:func:`local_map`; Gi* and LISA are two), its colours by name, its
  printed classes, and the table of them all;
- :mod:`~hotspots.maps.statmaps.bivariate`: the 3 x 3 bivariate map and its table.

Colours are colour-blind safe: ColorBrewer RdBu for Gi* (Brewer & Harrower),
GeoDa's red / blue / pink / light-blue cluster colours for LISA, and Joshua
Stevens' 3 x 3 pink-blue bivariate scheme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotspots._lazy import lazy_attribute, lazy_dir

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from hotspots.maps.statmaps.bivariate import (
        BIVARIATE_COLOURS,
        bivariate_map,
        bivariate_table,
        tercile_cuts,
        tercile_span,
    )
    from hotspots.maps.statmaps.captions import (
        CORRECTION_SHORT,
        CORRECTION_WORDS,
        HIDDEN_STAT,
        Statistic,
        format_p,
        gi_levels,
        method_caption,
    )
    from hotspots.maps.statmaps.local import (
        GI_COLD,
        GI_HOT,
        LISA_CLASSES,
        STAT_COLOURS,
        gi_keys,
        gi_map,
        hotspot_table,
        lisa_map,
        local_keys,
        local_map,
        print_classes,
        same_p_note,
        stat_colour,
    )
    from hotspots.maps.statmaps.panel import (
        NO_NEIGHBOURS_COLOUR,
        NOT_SIGNIFICANT_COLOUR,
        StatMapPanel,
    )

#: Public name -> the module defining it, imported on first use (the board pack's
#: print maps need the classes and captions, not folium)
_EXPORTS = {
    **dict.fromkeys((
        "BIVARIATE_COLOURS", "bivariate_map", "bivariate_table", "tercile_cuts", "tercile_span",
    ), "hotspots.maps.statmaps.bivariate"),
    **dict.fromkeys((
        "CORRECTION_SHORT", "CORRECTION_WORDS", "HIDDEN_STAT", "Statistic", "format_p",
        "gi_levels", "method_caption",
    ), "hotspots.maps.statmaps.captions"),
    **dict.fromkeys((
        "GI_COLD", "GI_HOT", "LISA_CLASSES", "STAT_COLOURS", "gi_keys", "local_keys",
        "print_classes", "stat_colour", "NO_NEIGHBOURS_COLOUR", "NOT_SIGNIFICANT_COLOUR",
    ), "hotspots.maps.statmaps.classes"),
    **dict.fromkeys((
        "gi_map", "hotspot_table", "lisa_map", "local_map", "same_p_note",
    ), "hotspots.maps.statmaps.local"),
    "StatMapPanel": "hotspots.maps.statmaps.panel",
}
_MODULES = ("bivariate", "captions", "classes", "local", "panel")

__all__ = [
    "BIVARIATE_COLOURS",
    "CORRECTION_SHORT",
    "CORRECTION_WORDS",
    "GI_COLD",
    "GI_HOT",
    "HIDDEN_STAT",
    "LISA_CLASSES",
    "NOT_SIGNIFICANT_COLOUR",
    "NO_NEIGHBOURS_COLOUR",
    "STAT_COLOURS",
    "StatMapPanel",
    "Statistic",
    "bivariate_map",
    "bivariate_table",
    "format_p",
    "gi_keys",
    "gi_levels",
    "gi_map",
    "hotspot_table",
    "lisa_map",
    "local_keys",
    "local_map",
    "method_caption",
    "print_classes",
    "same_p_note",
    "stat_colour",
    "tercile_cuts",
    "tercile_span",
]


def __getattr__(name: str) -> Any:
    """Import the module behind a public name (or a sub-module) on first use."""
    return lazy_attribute(globals(), name, _EXPORTS, _MODULES)


def __dir__() -> list[str]:
    return lazy_dir(globals())
