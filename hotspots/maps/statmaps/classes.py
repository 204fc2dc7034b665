"""Classes of the local statistics as drawn and printed: their colours and legend order.

The part of :mod:`~hotspots.maps.statmaps` that the print maps and the board pack
need (no folium): :data:`STAT_COLOURS`, :func:`stat_colour`, :func:`local_keys`,
:func:`print_classes`. Colours are colour-blind safe: ColorBrewer RdBu for Gi*
(Brewer & Harrower, from :func:`hotspots.maps.palettes.brewer`) and GeoDa's red /
blue / pink / light-blue cluster colours for LISA.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hotspots.maps.classify import NO_DATA_COLOUR
from hotspots.maps.palettes import brewer
from hotspots.maps.statmaps.captions import _hotspots
from hotspots.stats import registry as registry

__all__ = [
    "GI_COLD",
    "GI_HOT",
    "LISA_CLASSES",
    "NOT_SIGNIFICANT_COLOUR",
    "NO_NEIGHBOURS_COLOUR",
    "STAT_COLOURS",
    "gi_keys",
    "local_keys",
    "print_classes",
    "stat_colour",
]

#: Light grey for areas tested and not significant.
NOT_SIGNIFICANT_COLOUR = "#ebebeb"


#: Dark grey for areas with no neighbours (not tested); "no data" is the mid grey
#: :data:`hotspots.maps.classify.NO_DATA_COLOUR`.
NO_NEIGHBOURS_COLOUR = "#7f7f7f"


#: Gi* hot colours, strongest confidence first: ColorBrewer RdBu (7 and 9 classes).
GI_HOT: dict[int, tuple[str, ...]] = {3: brewer("RdBu", 7)[:3], 4: brewer("RdBu", 9)[:4]}


#: Gi* cold colours, strongest confidence first.
GI_COLD: dict[int, tuple[str, ...]] = {3: brewer("RdBu", 7)[::-1][:3],
                                       4: brewer("RdBu", 9)[::-1][:4]}


#: The colours the registry's categories name (``"hot-i/n"`` and ``"cold-i/n"``, the
#: i-th of n confidence levels from the strongest, are :data:`GI_HOT` / :data:`GI_COLD`).
STAT_COLOURS: dict[str, str] = {
    "high-high": "#d7191c",
    "high-low": "#f4a5ae",
    "low-high": "#9ecae1",
    "low-low": "#2c7bb6",
    "not significant": NOT_SIGNIFICANT_COLOUR,
    "no neighbours": NO_NEIGHBOURS_COLOUR,
    "no data": NO_DATA_COLOUR,
}


def stat_colour(name: str) -> str:
    """Return the colour of a category's colour name.

    Examples
    --------
    >>> stat_colour("high-high"), stat_colour("hot-1/3"), stat_colour("cold-3/4")
    ('#d7191c', '#b2182b', '#92c5de')
    """
    if name in STAT_COLOURS:
        return STAT_COLOURS[name]
    side, _, rank = name.partition("-")
    i, _, n = rank.partition("/")
    if side in ("hot", "cold") and i.isdigit() and n.isdigit():
        shades = (GI_HOT if side == "hot" else GI_COLD)
        k = int(n)
        return (shades.get(k) or shades[4][:k])[int(i) - 1]
    raise KeyError(f"no colour named {name!r}: add it to STAT_COLOURS")


#: LISA quadrant -> (legend label, colour), in legend order.
LISA_CLASSES: dict[str, tuple[str, str]] = {
    c.key: (c.label, stat_colour(c.colour)) for c in registry.get("lisa").classes(0.05)
    if c.kind in ("class", "not significant")
}


def _stat(stat: registry.Statistic | str) -> registry.Statistic:
    return stat if isinstance(stat, registry.Statistic) else registry.get(stat)


def _alpha(params: Mapping[str, Any]) -> float:
    return float(_hotspots(params).get("alpha", 0.05))


def local_keys(stat: registry.Statistic | str,
               params: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Return a local statistic's classes in legend order: keys, legend labels and colours.

    Parameters
    ----------
    stat
        A local statistic of :mod:`hotspots.stats.registry` (or its key).
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params` (``alpha`` decides
        classes by confidence level, e.g. Gi*'s).

    Returns
    -------
    keys, labels, colours : list of str
        The keys are the values of the statistic's class column.
    """
    cats = _stat(stat).classes(_alpha(params))
    return ([c.key for c in cats], [c.label for c in cats],
            [stat_colour(c.colour) for c in cats])


def gi_keys(params: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Return the Gi* classes in legend order: keys, legend labels and colours.

    Parameters
    ----------
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params` (the confidence levels
        come from :func:`~hotspots.maps.statmaps.captions.gi_levels`).

    Returns
    -------
    keys, labels, colours : list of str
        Strongest hot spot first (``"Hot 99%"``, ...), ``"Not significant"``,
        the cold spots from the weakest, then ``"No neighbours"`` and
        ``"No data"``; the keys are the values of ``gi_class``.
    """
    return local_keys("gi_star", params)


def print_classes(stat: registry.Statistic | str, classes: pd.Series,
                  params: Mapping[str, Any]) -> tuple[pd.Series, dict[str, str]]:
    """Return a local statistic's classes as printed: labels per area, and label -> colour.

    Parameters
    ----------
    stat
        A local statistic of the registry (or its key).
    classes
        Its class column.
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params`.

    Returns
    -------
    values, categories
        For :func:`hotspots.maps.printmaps.category_map`: each area's printed
        label (NaN where printed as no data) and the printed labels with their
        colours, in legend order.
    """
    cats = [c for c in _stat(stat).classes(_alpha(params)) if c.printed is not None]
    label = {c.key: c.printed for c in cats}
    values = classes.astype(object).map(lambda v: label.get(str(v), np.nan))
    return values, {str(c.printed): stat_colour(c.colour) for c in cats}
