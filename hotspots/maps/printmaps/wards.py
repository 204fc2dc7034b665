"""Print maps of wards: a classed map of one value, or a map of categories.

:func:`class_map` classes a column with :func:`hotspots.maps.classify.classify`
(the web map's classes, so the page and the print agree) and prints each class's
range and number of wards; suppressed wards are hatched in the masked grey, never
a class colour. :func:`category_map` draws one colour per category (Gi* classes,
LISA clusters, bivariate classes) with every category's ward count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hotspots.maps import palettes
from hotspots.maps.classify import (
    MASKED_COLOUR,
    MASKED_INDEX,
    NO_DATA_COLOUR,
    NO_DATA_INDEX,
    SCHEMES,
    ZERO_COLOUR,
    ZERO_INDEX,
    Classification,
    classify,
)
from hotspots.maps.printmaps.boroughs import _borough_shapes, _draw_boroughs
from hotspots.maps.printmaps.draw import polygons
from hotspots.maps.printmaps.page import (
    _HATCH_COLOUR,
    _WARD_EDGE,
    ATTRIBUTION_DEFAULT,
    DEFAULT_FIGSIZE,
    DEFAULT_PALETTE,
    SUPPRESSED_HATCH,
    _attribution,
    _badge,
    _check_areas,
    _is_integer,
    _legend,
    _new_figure,
    _north_arrow,
    _scale_bar,
    _style,
    _titles,
)
from hotspots.privacy import DEFAULT_THRESHOLD

__all__ = ["category_map", "class_map", "quantile_note"]


# Quantile classes count as "about equal" when every class is within this share of the mean.
_EQUAL_TOLERANCE = 0.2


def _mask(suppressed: pd.Series | None, areas: gpd.GeoDataFrame) -> pd.Series | None:
    if suppressed is None:
        return None
    s = pd.Series(suppressed)
    if len(s) != len(areas) or not s.index.equals(areas.index):
        raise ValueError(
            "suppressed must be a boolean Series with the same index as the areas "
            "(e.g. the ward table's 'suppressed' column)"
        )
    return s.astype("boolean").fillna(False).astype(bool)


def class_map(
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    legend_title: str,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    palette: str = DEFAULT_PALETTE,
    boroughs: gpd.GeoDataFrame | None = None,
    suppressed: pd.Series | None = None,
    no_data_label: str = "No data",
    attribution: str = ATTRIBUTION_DEFAULT,
    subtitle: str | None = None,
    figsize: tuple[float, float] = DEFAULT_FIGSIZE,
    integer: bool | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    suppressed_label: str | None = None,
    note: str | None = None,
    badge: str | None = None,
    borough_labels: bool = True,
    legend: str = "right",
    zero_class: bool = False,
    from_zero: bool = False,
) -> Figure:
    """Draw a classed (choropleth) map of one column for print.

    Parameters
    ----------
    areas
        Areas in EPSG:27700 with ``area_code``, ``area_name``, ``borough_code``,
        ``borough_name`` and ``column``; NaN means "no data" (grey, never zero).
    column
        The value to class and colour.
    title, legend_title
        Map title and legend heading.
    scheme, k, bins
        Classification, as :func:`hotspots.maps.classify.classify` (the web map's).
    palette
        A sequential palette of :data:`hotspots.maps.palettes.PALETTES` (``"YlOrRd"``,
        ``"Blues"``, ``"Purples"``): colour-blind safe and monotone in lightness.
    boroughs
        Borough polygons with ``borough_name`` for outlines and labels; by
        default dissolved from the areas' ``borough_code``.
    suppressed
        Boolean mask aligned to ``areas`` (e.g. the ward table's ``suppressed``):
        those areas are hatched in the masked grey, left out of the classes, and
        counted (never valued) in the legend entry ``"Suppressed (<5) (n)"``.
    no_data_label
        Legend word for missing values (``"No data (25)"``).
    attribution
        Source and copyright line at the bottom.
    subtitle
        Optional second line under the title (period, scheme, notes).
    figsize
        Figure size in inches.
    integer
        Values are counts (whole-number class ranges); by default detected.
    threshold
        Suppression threshold, for the default suppressed label.
    suppressed_label
        Legend text of suppressed areas; default ``"Suppressed (<threshold)"``.
    note
        Small print under the legend; default the scheme's description (for
        quantiles :func:`quantile_note`, which claims equal classes only when
        the counts are).
    badge
        Optional red badge on the map, e.g. :data:`hotspots.maps.web.SYNTHETIC_BADGE`.
    borough_labels
        Write borough names on the map.
    legend
        ``"right"``: legend column beside the map (a full-page map);
        ``"below"``: legend in one to three columns under a map that takes the
        figure's whole width (a half-page panel of the board pack). The figure's
        height shrinks to fit; it never grows past ``figsize``.
    zero_class, from_zero
        As :func:`hotspots.maps.classify.classify`: zeros in their own white
        class (for a measure: zero means none), and the first class of a count
        printed from 0. With a zero class the legend lists the entries in value
        order: ``0``, suppressed, the classes, no data.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.classification`` holds the :class:`hotspots.maps.classify.Classification`.

    Raises
    ------
    CRSError
        The areas are not in EPSG:27700 (or have no CRS).
    ValueError
        Missing column, misaligned mask, an invalid scheme / palette or legend
        position.
    """
    _check_areas(areas, column, "class_map")
    mask = _mask(suppressed, areas)
    values = pd.to_numeric(areas[column], errors="coerce").astype(float)
    whole = _is_integer(values[~mask] if mask is not None else values) if integer is None \
        else integer
    label = suppressed_label or f"Suppressed (<{threshold})"
    c = classify(values, scheme=scheme, k=k, bins=bins, integer=whole, masked=mask,
                 masked_label=label, zero_class=zero_class, from_zero=from_zero)
    colours = list(palettes.palette(palette, c.k))
    index = c.class_index.to_numpy()
    if note is None:
        note = quantile_note(c) if scheme == "quantiles" else SCHEMES[scheme].description
    masked_entry = [str(c.masked_label)] if c.n_masked else []
    no_data_entry = [f"{no_data_label} ({c.n_no_data})"] if c.n_no_data else []
    entries = ([*([str(c.zero_label)] if c.n_zero else []), *masked_entry, *c.class_labels,
                *no_data_entry] if zero_class
               else [*c.class_labels, *masked_entry, *no_data_entry])
    with _style():
        fig, ax, leg_ax = _new_figure(figsize, areas, labels=entries, title=title,
                                      subtitle=subtitle, legend=legend,
                                      legend_title=legend_title, note=note)
        handles = [_filled(ax, areas, index == i, col, lab)
                   for i, (col, lab) in enumerate(zip(colours, c.class_labels, strict=True))]
        first: list[Patch] = []
        if c.n_zero:
            first.append(_filled(ax, areas, index == ZERO_INDEX, ZERO_COLOUR, str(c.zero_label)))
        if c.n_masked:
            polygons(ax, areas.geometry, index == MASKED_INDEX, facecolor=MASKED_COLOUR,
                     edgecolor=_HATCH_COLOUR, hatch=SUPPRESSED_HATCH, linewidth=0.0, zorder=2)
            first.append(Patch(facecolor=MASKED_COLOUR, edgecolor=_HATCH_COLOUR,
                               hatch=SUPPRESSED_HATCH, linewidth=0.5,
                               label=str(c.masked_label)))
        handles = [*first, *handles] if zero_class else [*handles, *first]
        if c.n_no_data:
            handles.append(_filled(ax, areas, index == NO_DATA_INDEX, NO_DATA_COLOUR,
                                   f"{no_data_label} ({c.n_no_data})"))
        _finish(fig, ax, leg_ax, areas, boroughs, handles, title=title, subtitle=subtitle,
                legend_title=legend_title, attribution=attribution, badge=badge, note=note,
                borough_labels=borough_labels)
    fig.classification = c  # type: ignore[attr-defined]
    return fig


def category_map(
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    categories: Mapping[str, str],
    title: str,
    legend_title: str,
    boroughs: gpd.GeoDataFrame | None = None,
    attribution: str = ATTRIBUTION_DEFAULT,
    subtitle: str | None = None,
    figsize: tuple[float, float] = DEFAULT_FIGSIZE,
    no_data_label: str = "No data",
    note: str | None = None,
    badge: str | None = None,
    borough_labels: bool = True,
    hatched: Sequence[str] = (),
    legend: str = "right",
) -> Figure:
    """Draw a categorical map (Gi* classes, LISA clusters, bivariate classes) for print.

    Parameters
    ----------
    areas
        Areas in EPSG:27700 with ``column`` holding one category label per area
        (NaN = no data).
    column
        The category column, e.g. ``gi_class``.
    categories
        Category label -> colour, in legend order (e.g. built from
        :data:`hotspots.maps.statmaps.GI_HOT`, :data:`~hotspots.maps.statmaps.LISA_CLASSES`
        or :data:`~hotspots.maps.statmaps.BIVARIATE_COLOURS`). Every category is
        listed with its ward count, including ``(0)``.
    title, legend_title, boroughs, attribution, subtitle, figsize, badge, borough_labels, legend
        As :func:`class_map`.
    no_data_label
        Legend word for areas with NaN in ``column``.
    note
        Small print under the legend (e.g. the method caption).
    hatched
        Categories drawn with the suppression hatch as well as their colour.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.category_counts`` holds the ward count per category.

    Raises
    ------
    CRSError
        The areas are not in EPSG:27700.
    ValueError
        A value of ``column`` is not a key of ``categories``.
    """
    _check_areas(areas, column, "category_map")
    values = areas[column]
    present = values.notna().to_numpy()
    unknown = sorted({str(v) for v in values[present]} - {str(k) for k in categories})
    if unknown:
        raise ValueError(
            f"category_map: column {column!r} has values with no colour in categories: "
            f"{unknown[:10]}; add them to categories= (label -> colour)"
        )
    text = values.astype(object).where(present, None).map(
        lambda v: None if v is None else str(v))
    counts = {str(lab): int((text == str(lab)).sum()) for lab in categories}
    n_missing = int((~present).sum())
    entries = [f"{lab} ({counts[str(lab)]})" for lab in categories] + (
        [f"{no_data_label} ({n_missing})"] if n_missing else [])
    with _style():
        fig, ax, leg_ax = _new_figure(figsize, areas, labels=entries, title=title,
                                      subtitle=subtitle, legend=legend,
                                      legend_title=legend_title, note=note)
        handles = []
        for lab, colour in categories.items():
            sel = (text == str(lab)).to_numpy()
            hatch = SUPPRESSED_HATCH if lab in hatched else None
            if sel.any():
                polygons(ax, areas.geometry, sel, facecolor=colour,
                         edgecolor=_HATCH_COLOUR if hatch else _WARD_EDGE, hatch=hatch,
                         linewidth=0.0 if hatch else 0.15, zorder=2)
            handles.append(Patch(facecolor=colour, edgecolor="#555555", linewidth=0.5,
                                 hatch=hatch, label=f"{lab} ({counts[str(lab)]})"))
        if n_missing:
            handles.append(_filled(ax, areas, ~present, NO_DATA_COLOUR,
                                   f"{no_data_label} ({n_missing})"))
        _finish(fig, ax, leg_ax, areas, boroughs, handles, title=title, subtitle=subtitle,
                legend_title=legend_title, attribution=attribution, badge=badge, note=note,
                borough_labels=borough_labels)
    fig.category_counts = {**counts, no_data_label: n_missing}  # type: ignore[attr-defined]
    return fig


def _filled(ax: Axes, areas: gpd.GeoDataFrame, mask: np.ndarray, colour: str,
            label: str) -> Patch:
    """Fill the areas of ``mask`` (if any) in ``colour``; return their legend entry."""
    if mask.any():
        polygons(ax, areas.geometry, mask, color=colour, edgecolor=_WARD_EDGE, linewidth=0.15,
                 zorder=2)
    return Patch(facecolor=colour, edgecolor="#555555", linewidth=0.5, label=label)


def _finish(fig: Figure, ax: Axes, leg_ax: Axes, areas: gpd.GeoDataFrame,
            boroughs: gpd.GeoDataFrame | None, handles: list[Patch], *, title: str,
            subtitle: str | None, legend_title: str, attribution: str, badge: str | None,
            note: str | None, borough_labels: bool) -> None:
    _draw_boroughs(ax, _borough_shapes(areas, boroughs), labels=borough_labels)
    _scale_bar(ax)
    _north_arrow(ax)
    _badge(ax, badge)
    _legend(leg_ax, handles, title=legend_title, note=note)
    _titles(fig, title, subtitle)
    _attribution(fig, attribution)


def quantile_note(c: Classification) -> str:
    """Return the small print of a quantile legend that is true for these classes.

    "Each class holds about the same number of areas" only when every class count
    is within 20% of their mean; otherwise (many tied values such as zero counts,
    or fewer distinct values than classes) the rule actually used.

    Parameters
    ----------
    c
        The classification drawn (``fig.classification``).

    Returns
    -------
    str

    Examples
    --------
    >>> from hotspots.maps.classify import classify
    >>> quantile_note(classify(pd.Series(range(100)), scheme="quantiles", k=4))
    'Quantiles: each class holds about the same number of areas.'
    >>> quantile_note(classify(pd.Series([0] * 60 + list(range(1, 41))), k=4))[:36]
    'Quantiles of the areas shown; ties k'
    """
    counts = np.asarray(c.counts, dtype=float)
    mean = counts.mean() if len(counts) else 0.0
    if mean > 0 and np.all(np.abs(counts - mean) <= _EQUAL_TOLERANCE * mean):
        return SCHEMES["quantiles"].description
    left_out = " (suppressed areas left out)" if c.n_masked else ""
    return (f"Quantiles of the areas shown{left_out}; ties keep the classes unequal "
            "(equal values share a class): the counts are in brackets.")
