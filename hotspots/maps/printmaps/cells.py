"""Print maps of grid cells: patrol cells outlined, Gi* hot cells marked, ranks written in.

The cells are classed like the ward maps (:func:`hotspots.maps.classify.classify`,
every class with its range and number of cells), with the study area's ward and
borough outlines for context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hotspots.maps import palettes
from hotspots.maps.classify import (
    NO_DATA_COLOUR,
    NO_DATA_INDEX,
    SCHEMES,
    ZERO_COLOUR,
    ZERO_INDEX,
    classify,
)
from hotspots.maps.printmaps.boroughs import _borough_shapes, _draw_boroughs
from hotspots.maps.printmaps.draw import outlines, polygons
from hotspots.maps.printmaps.page import (
    _TEXT_COLOUR,
    _WARD_EDGE,
    ATTRIBUTION_DEFAULT,
    DEFAULT_PALETTE,
    _attribution,
    _check_areas,
    _is_integer,
    _legend,
    _new_figure,
    _north_arrow,
    _scale_bar,
    _style,
    _titles,
)

__all__ = ["ATTRIBUTION_POLICE_UK", "HOT_EDGE", "SELECTED_EDGE", "cell_map"]


#: Licence line of police.uk street-level crime (printed under every cell map by default).
ATTRIBUTION_POLICE_UK = ("Contains public sector information licensed under the Open "
                         "Government Licence v3.0 (data.police.uk).")


#: Outline of selected (patrol) cells and of Gi* hot cells: the web patrol map's colours.
SELECTED_EDGE = "#000000"

HOT_EDGE = "#b2182b"

_CONTEXT_EDGE = "#6e6e6e"


def _cell_mask(arg: Any, grid: gpd.GeoDataFrame, name: str) -> np.ndarray:
    """Return a boolean mask over the grid from ``None``, a boolean Series or cell ids."""
    if arg is None:
        return np.zeros(len(grid), dtype=bool)
    if isinstance(arg, pd.Series) and pd.api.types.is_bool_dtype(arg.dtype):
        if len(arg) != len(grid) or not arg.index.equals(grid.index):
            raise ValueError(f"cell_map: {name} as a boolean Series must have the grid's index")
        return arg.to_numpy(dtype=bool)
    ids = {str(v) for v in arg}
    known = set(grid["cell_id"].astype(str))
    unknown = sorted(ids - known)
    if unknown:
        raise ValueError(f"cell_map: {len(unknown)} {name} cell id(s) are not in the grid, "
                         f"e.g. {unknown[:3]}; pass values of grid['cell_id']")
    return grid["cell_id"].astype(str).isin(ids).to_numpy()


def _inset(geoms: gpd.GeoSeries, by: float) -> gpd.GeoSeries:
    """Shrink cells by ``by`` metres so a second outline shows inside the first."""
    shrunk = geoms.buffer(-by, join_style="mitre")
    return shrunk.where(~shrunk.is_empty, geoms)


def _draw_classes(ax: Any, grid: gpd.GeoDataFrame, c: Any, colours: list[str],
                  no_data_label: str) -> list[Patch]:
    """Fill the cells by class (zero, classes, no data); return their legend handles."""
    index, geoms = c.class_index.to_numpy(), grid.geometry
    fills = ([(ZERO_INDEX, ZERO_COLOUR, str(c.zero_label))] if c.n_zero else []) + [
        (i, colour, c.class_labels[i]) for i, colour in enumerate(colours)] + (
        [(NO_DATA_INDEX, NO_DATA_COLOUR, f"{no_data_label} ({c.n_no_data})")]
        if c.n_no_data else [])
    handles = []
    for i, colour, label in fills:
        if (index == i).any():
            polygons(ax, geoms, index == i, color=colour, edgecolor=_WARD_EDGE, linewidth=0.3,
                     zorder=2)
        handles.append(Patch(facecolor=colour, edgecolor="#555555", linewidth=0.5, label=label))
    return handles


def cell_map(
    grid: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    legend_title: str,
    selected: Any = None,
    hot: Any = None,
    labels: Mapping[str, str] | None = None,
    context_areas: gpd.GeoDataFrame | None = None,
    scheme: str = "natural_breaks",
    k: int = 5,
    palette: str = DEFAULT_PALETTE,
    integer: bool | None = None,
    attribution: str = f"{ATTRIBUTION_DEFAULT} {ATTRIBUTION_POLICE_UK}",
    subtitle: str | None = None,
    note: str | None = None,
    figsize: tuple[float, float] = (6.0, 6.0),
    legend: str = "below",
    selected_label: str = "Patrol cells",
    hot_label: str = "Gi* hot spot",
    no_data_label: str = "No data",
    zero_class: bool = False,
) -> Figure:
    """Draw grid cells (e.g. patrol cells) as a classed map for print.

    Parameters
    ----------
    grid
        Cells in EPSG:27700 with ``cell_id`` and ``column`` (NaN = no data,
        grey, never zero), e.g. :attr:`hotspots.patrol.result.PatrolAnalysis.grid`.
    column
        The value to class and colour (``"count"``, ``"kde"``).
    title, legend_title
        Map title and legend heading.
    selected
        Cells to outline in black (the patrol cells): ``cell_id`` values, or a
        boolean Series aligned to ``grid``. ``None`` draws no outline and no
        legend entry.
    hot
        Cells to mark with a dashed red outline drawn inside the cell (Gi* hot
        cells), as ``selected``. Passed but empty, the legend says ``(0)``.
    labels
        ``cell_id`` -> short text written in the cell (e.g. the patrol rank).
    context_areas
        Areas in EPSG:27700 (e.g. the study area's wards, with ``borough_code``
        or ``borough_name``): ward outlines in thin grey, borough outlines dark.
    scheme, k, palette, integer
        Classification and palette, as
        :func:`~hotspots.maps.printmaps.wards.class_map` (default natural
        breaks, as the page's patrol map). Every class prints its range and
        number of cells, e.g. ``"3 to 7 (21)"``.
    attribution
        Source line at the bottom; by default the OS/ONS statement and
        :data:`ATTRIBUTION_POLICE_UK`.
    subtitle, note
        Line under the title; small print under the legend (default: the
        scheme's description).
    figsize
        Inches; the height shrinks (never grows) to the cells' shape.
    legend
        ``"below"`` (default) or ``"right"``.
    selected_label, hot_label, no_data_label
        Legend words (each followed by its number of cells).
    zero_class
        Cells with 0 are their own white class ``"0 (n)"``, listed first
        (:func:`hotspots.maps.classify.classify`).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.classification`` holds the classes; ``fig.cell_counts`` the
        number of cells, selected, hot and no-data cells.

    Raises
    ------
    CRSError
        The grid or the context areas are not in EPSG:27700.
    ValueError
        Missing ``cell_id`` or ``column``, unknown cell ids in ``selected``,
        ``hot`` or ``labels``, or a bad scheme, palette or legend position.
    """
    _check_areas(grid, column, "cell_map")
    if "cell_id" not in grid.columns:
        raise ValueError("cell_map: the grid has no 'cell_id' column (make it with "
                         "hotspots.patrol.grid.make_grid)")
    if context_areas is not None:
        _check_areas(context_areas, "geometry", "cell_map context_areas")
    sel = _cell_mask(selected, grid, "selected")
    hot_mask = _cell_mask(hot, grid, "hot")
    if labels:
        _cell_mask(list(labels), grid, "labels")
    values = pd.to_numeric(grid[column], errors="coerce").astype(float)
    whole = _is_integer(values) if integer is None else integer
    c = classify(values, scheme=scheme, k=k, integer=whole, zero_class=zero_class)
    colours = list(palettes.palette(palette, c.k))
    note = SCHEMES[scheme].description if note is None else note
    n_sel, n_hot = int(sel.sum()), int(hot_mask.sum())
    entries = [*([str(c.zero_label)] if c.n_zero else []), *c.class_labels,
               *([f"{no_data_label} ({c.n_no_data})"] if c.n_no_data else []),
               *([f"{selected_label} ({n_sel})"] if selected is not None else []),
               *([f"{hot_label} ({n_hot})"] if hot is not None else [])]
    with _style():
        fig, ax, leg_ax = _new_figure(figsize, grid, labels=entries, title=title,
                                      subtitle=subtitle, legend=legend,
                                      legend_title=legend_title, note=note)
        geoms = grid.geometry
        handles = _draw_classes(ax, grid, c, colours, no_data_label)
        if context_areas is not None and len(context_areas):
            outlines(ax, context_areas.boundary, color=_CONTEXT_EDGE, linewidth=0.45,
                     linestyle=(0, (3, 2)), zorder=3)
            _draw_boroughs(ax, _borough_shapes(context_areas, None), labels=False)
        if selected is not None:
            if n_sel:
                outlines(ax, geoms[sel].boundary, color=SELECTED_EDGE, linewidth=1.5, zorder=5)
            handles.append(Patch(facecolor="none", edgecolor=SELECTED_EDGE, linewidth=1.5,
                                 label=f"{selected_label} ({n_sel})"))
        if hot is not None:
            if n_hot:
                size = float(np.sqrt(np.nanmax(geoms.area.to_numpy())))
                outlines(ax, _inset(geoms[hot_mask], 0.12 * size).boundary, color=HOT_EDGE,
                         linewidth=1.1, linestyle=(0, (2.5, 1.5)), zorder=6)
            handles.append(Patch(facecolor="none", edgecolor=HOT_EDGE, linewidth=1.1,
                                 linestyle="--", label=f"{hot_label} ({n_hot})"))
        if labels:
            halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
            at = grid.assign(_id=grid["cell_id"].astype(str)).set_index("_id").geometry
            for cid, text in sorted(labels.items(), key=lambda kv: str(kv[0])):
                p = at[str(cid)].representative_point()
                ax.text(p.x, p.y, str(text), ha="center", va="center", fontsize=5.5,
                        fontweight="bold", color=_TEXT_COLOUR, path_effects=halo, zorder=7)
        _scale_bar(ax)
        _north_arrow(ax)
        _legend(leg_ax, handles, title=legend_title, note=note)
        _titles(fig, title, subtitle)
        _attribution(fig, attribution)
    fig.classification = c  # type: ignore[attr-defined]
    fig.cell_counts = {"cells": len(grid), "selected": n_sel, "hot": n_hot,  # type: ignore[attr-defined]
                       "no_data": int(c.n_no_data)}
    return fig
