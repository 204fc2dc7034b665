"""The patrol view's pictures: the cell map (folium) and the PAI-per-month chart (Altair).

Both take plain frames and values, not the patrol analysis itself, so the maps
package never imports :mod:`hotspots.patrol` (a sibling of the same layer): the
caller passes ``pa.grid``, ``pa.period_label``, ``pa.method``,
``pa.params.alpha``, ``pa.spec.size`` and ``pa.spec.shape`` of a
:class:`hotspots.patrol.result.PatrolAnalysis`, and ``pa.backtest.per_month``
for the chart. The map works offline like every map here (:mod:`hotspots.maps.web`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import folium
import geopandas as gpd
import pandas as pd
import shapely

from hotspots.maps.classify import ZERO_COLOUR, ZERO_INDEX, classify
from hotspots.maps.palettes import OKABE_ITO, map_palette
from hotspots.maps.web import (
    _HIGHLIGHT_STYLE,
    BASEMAPS,
    _ConstantStyle,
    _feature_collection,
    _offline_map,
    _tooltip,
)

__all__ = ["HOT_STYLE", "SELECTED_STYLE", "PatrolMap", "pai_chart", "patrol_map"]

#: Outline of the selected patrol cells and the marker style of Gi* hot cells.
SELECTED_STYLE = {"color": "#000000", "weight": 3.0, "opacity": 1.0, "fill": False}
HOT_STYLE = {"color": "#b2182b", "weight": 2.0, "opacity": 1.0, "fill": False,
             "dashArray": "4 4"}
_CELL_STYLE = {"color": "#ffffff", "weight": 0.4, "fillOpacity": 0.85, "opacity": 0.8}


@dataclass(frozen=True, eq=False)
class PatrolMap:
    """The cell map and what goes beside it.

    Attributes
    ----------
    map
        Offline folium map: one interactive polygon per cell with a value (and
        per patrol or Gi* hot cell; empty cells are counted, not drawn), the selected
        cells outlined, Gi* hot cells marked (non-interactive layers).
    legend
        HTML legend (escaped) with every class range and its number of cells.
    title
        Plain-text heading.
    n_cells
        Cell polygons drawn.
    """

    map: Any
    legend: str
    title: str
    n_cells: int


def _legend_row(swatch: str, label: str) -> str:
    return ('<li style="display:flex;align-items:center;gap:8px;margin:2px 0;">'
            f'<span style="display:inline-block;width:22px;height:14px;{swatch}flex:none;">'
            f'</span><span class="hs-legend-label">{html.escape(label)}</span></li>')


def patrol_map(grid: gpd.GeoDataFrame, *, period_label: str, method: str, alpha: float,
               cell_size: float, shape: str, value: Literal["count", "kde"] = "count",
               basemap: str = "none", noun: str = "crimes",
               gi_inference: str = "") -> PatrolMap:
    """Draw the cells as a choropleth of counts or KDE, patrol cells outlined, Gi* hot marked.

    Parameters
    ----------
    grid
        One row per cell, projected (e.g. ``PatrolAnalysis.grid``): ``cell_id``,
        ``count``, ``kde``, ``gi_class``, ``gi_hot``, ``selected_rank`` (NaN
        for cells not in the patrol list) and the cell polygons.
    period_label
        The patrol-list period, e.g. ``"2020-09 to 2020-11"``.
    method
        The method that chose the patrol cells (named in the legend).
    alpha
        FDR level of the Gi* hot cells (named in the legend).
    cell_size, shape
        Cell size in metres and ``"square"`` or ``"hex"`` (the legend's note).
    value
        ``"count"`` (crimes in the list period, natural breaks) or ``"kde"``
        (density per km\u00b2, natural breaks).
    basemap
        ``"none"`` (no tiles, nothing leaves the machine) or ``"osm"``.
    noun
        What a point is (``pa.noun``: ``"crimes"``, or ``"ASB incidents"`` for
        anti-social behaviour), in the legend and the tooltip.
    gi_inference
        Which p-values marked the Gi* hot cells (``pa.params.gi_inference``:
        ``"normal"`` or ``"permutation"``), named in the legend.

    Returns
    -------
    PatrolMap
    """
    if value not in ("count", "kde"):
        raise ValueError(f"value={value!r}: choose 'count' or 'kde'.")
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {sorted(BASEMAPS)}; got {basemap!r}")
    cells = grid.to_crs("EPSG:4326")
    cells = cells.set_geometry(shapely.set_precision(cells.geometry.to_numpy(), 1e-6))
    cells = cells.reset_index(drop=True)
    integer = value == "count"
    # cells with no crime (or no density) are their own white class, never a colour
    cls = classify(cells[value].astype(float), scheme="natural_breaks",
                   k=min(5, max(1, int(cells[value].nunique()))), integer=integer,
                   zero_class=True)
    colours = list(map_palette("YlOrRd", cls.k))
    # Only cells with a value, patrol cells and Gi* hot cells are drawn: a force-sized study
    # area has ~100,000 cells, nearly all empty, whose outlines hung the browser (issue 14).
    # The classes and the legend still count every cell.
    n_all = len(cells)
    keep = ((cells[value].astype(float) > 0).to_numpy() | cells["selected_rank"].notna().to_numpy()
            | cells["gi_hot"].astype(bool).to_numpy())
    # The view is the grid's box: a grid has no far islands, and the ward maps' island test
    # groups every pair of nearby parts, O(cells²) memory on a force's 100,000 cells.
    west, south, east, north = (float(v) for v in shapely.total_bounds(
        cells.geometry.to_numpy()))
    frame = gpd.GeoDataFrame(geometry=[shapely.box(west, south, east, north)],
                             crs="EPSG:4326")
    class_index = cls.class_index[keep]
    cells = cells[keep].reset_index(drop=True)
    ids = cells["cell_id"].astype(str).tolist()
    lookup = dict(enumerate(colours)) | {ZERO_INDEX: ZERO_COLOUR}
    fill = dict(zip(ids, [lookup[int(i)] for i in class_index], strict=True))
    cells["crimes"] = cells["count"]
    cells["kde_text"] = cells["kde"].map(lambda v: f"{v:,.0f}")
    cells["rank_text"] = cells["selected_rank"].map(
        lambda v: "not in the list" if pd.isna(v) else f"{int(v)}")
    things = noun[:1].upper() + noun[1:]
    fields = {"cell_id": "Cell", "crimes": f"{things} {period_label}",
              "kde_text": "KDE per km\u00b2", "gi_class": "Gi*", "rank_text": "Patrol rank"}
    m = _offline_map(frame, basemap)  # type: ignore[arg-type]
    if len(cells):
        folium.GeoJson(_feature_collection(cells, list(fields), ids), name="cells",
                       style_function=_CellFill(fill),
                       highlight_function=_ConstantStyle(_HIGHLIGHT_STYLE),
                       tooltip=_tooltip(fields)).add_to(m)
    for mask, style, name in ((cells["gi_hot"].to_numpy(), HOT_STYLE, "gi hot"),
                              (cells["selected_rank"].notna().to_numpy(), SELECTED_STYLE,
                               "patrol cells")):
        if mask.any():
            sub = gpd.GeoDataFrame(geometry=cells.geometry[mask].to_numpy(),
                                   index=[f"{name}-{i}" for i in range(int(mask.sum()))],
                                   crs="EPSG:4326")
            folium.GeoJson(sub.to_geo_dict(drop_id=False), name=name,
                           style_function=_ConstantStyle(style), interactive=False,
                           control=False).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    what = (f"{things} per cell, {period_label}" if integer
            else f"Kernel density ({noun} per km\u00b2), {period_label}")
    n_sel = int(cells["selected_rank"].notna().sum())
    n_hot = int(cells["gi_hot"].sum())
    by = {"normal": " (normal approximation)", "permutation": " (permutations)"}.get(
        gi_inference, "")
    n_zero = int((cls.class_index == ZERO_INDEX).sum())
    rows = [_legend_row(f"background:{c};border:1px solid #555;", lab)
            for c, lab in [*([(ZERO_COLOUR, f"0, not drawn ({n_zero:,})")]
                             if cls.zero_label else []),
                           *zip(colours, cls.class_labels, strict=True)]]
    rows.append(_legend_row("border:3px solid #000;background:transparent;",
                            f"Patrol cells ({method}) ({n_sel:,})"))
    rows.append(_legend_row("border:2px dashed #b2182b;background:transparent;",
                            f"Gi* hot spot{by}, q \u2264 {alpha:g} ({n_hot:,})"))
    note = (f"{len(cells):,} of {n_all:,} cells drawn ({cell_size:g} m, {shape}): cells with "
            f"no {noun if integer else 'density'} are left out unless they are patrol or Gi* "
            "hot cells; classes: natural breaks (Fisher-Jenks); ranges with the number of "
            "cells.")
    legend = ('<div class="hs-legend" style="font-size:0.92rem;line-height:1.35;color:#1a1a1a;">'
              f'<div style="font-weight:600;margin-bottom:4px;">{html.escape(what)}</div>'
              f'<ul style="list-style:none;margin:0;padding:0;">{"".join(rows)}</ul>'
              f'<div style="font-size:0.8rem;color:#444;margin-top:4px;">{html.escape(note)}'
              "</div></div>")
    return PatrolMap(m, legend, what, len(cells))


class _CellFill:
    """Style function: thin white cell lines, the fill of the cell's class (picklable)."""

    def __init__(self, fill_by_id: dict[str, str]) -> None:
        self.fill_by_id = fill_by_id

    def __call__(self, feature: dict[str, Any]) -> dict[str, Any]:
        return {**_CELL_STYLE, "fillColor": self.fill_by_id[feature["id"]]}


def pai_chart(per_month: pd.DataFrame | None, *, height: int = 300) -> Any:
    """Altair chart of the backtest's PAI per test month, one line per method.

    Parameters
    ----------
    per_month
        The backtest's table by method and held-out month (e.g.
        ``PatrolAnalysis.backtest.per_month``): ``method``, ``test_month``,
        ``pai``, ``hit_rate``, ``n_cells``; ``None`` without a backtest.
    height
        Pixels.

    Returns
    -------
    altair.Chart or None
        ``None`` without a backtest. Months without a defined PAI are gaps.
    """
    if per_month is None:
        return None
    data = per_month[["method", "test_month", "pai", "hit_rate", "n_cells"]].copy()
    data["pai"] = data["pai"].astype(float)
    names = list(dict.fromkeys(data["method"]))
    return alt.Chart(data).mark_line(point=True, invalid="break-paths-show-domains").encode(
        x=alt.X("test_month:O", title="Held-out month", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("pai:Q", title="PAI (1 = chance)", scale=alt.Scale(zero=True)),
        color=alt.Color("method:N", sort=names, title="Method",
                        scale=alt.Scale(domain=names, range=list(OKABE_ITO[:len(names)]))),
        tooltip=[alt.Tooltip("method:N", title="Method"),
                 alt.Tooltip("test_month:O", title="Month"),
                 alt.Tooltip("pai:Q", title="PAI", format=".2f"),
                 alt.Tooltip("hit_rate:Q", title="Hit rate", format=".1%"),
                 alt.Tooltip("n_cells:Q", title="Cells")],
    ).properties(height=height, width="container",
                 title=alt.TitleParams("PAI per held-out month", anchor="start"))
