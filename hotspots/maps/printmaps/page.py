"""Static (print) maps and charts for the board pack: matplotlib figures that read on paper.

Every map has a classed legend *outside* the map body that prints each class's
range and number of wards (``"36 to 48 (3)"``, from :func:`hotspots.classify.classify`,
so the page and the print agree), "No data (n)" and "Suppressed (<5) (n)" entries
when present, borough outlines and names, a scale bar (EPSG:27700 is in metres),
a north arrow, a title, an optional subtitle and source attribution.

Figures are built on :class:`matplotlib.figure.Figure` directly (never the pyplot
global state), with DejaVu Sans (bundled with matplotlib), and are saved without
timestamps so that the same input gives byte-identical PNG, PDF and SVG files.

Colours come from the web maps: sequential palettes from
:data:`hotspots.classify.PALETTES` (ColorBrewer, colour-blind safe, lightness
falling monotonically from the first class to the last so that they survive
greyscale printing), "no data" and suppressed greys from :mod:`hotspots.classify`,
and the Gi*, LISA and bivariate colours from :mod:`hotspots.statmaps` (pass them as
``categories=`` to :func:`category_map`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patheffects, ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.textpath import text_to_path
from matplotlib_scalebar.scalebar import ScaleBar

from hotspots import periods
from hotspots._errors import CRSError
from hotspots.maps.classify import (
    MASKED_COLOUR,
    MASKED_INDEX,
    NO_DATA_COLOUR,
    NO_DATA_INDEX,
    SCHEMES,
    Classification,
    classify,
    palette,
)
from hotspots.privacy import DEFAULT_THRESHOLD

__all__ = [
    "ATTRIBUTION_DEFAULT",
    "ATTRIBUTION_POLICE_UK",
    "DEFAULT_FIGSIZE",
    "LEGEND_POSITIONS",
    "DEFAULT_PALETTE",
    "FONT_FAMILY",
    "SUPPRESSED_HATCH",
    "category_map",
    "cell_map",
    "class_map",
    "luminance",
    "quantile_note",
    "save_figure",
    "trend_chart",
]

#: Source and copyright statement printed under every map.
ATTRIBUTION_DEFAULT = (
    "Contains OS data © Crown copyright and database right 2025. "
    "Contains National Statistics data © Crown copyright and database right 2025."
)

#: Default palette: ColorBrewer YlOrRd (colour-blind safe; lightness falls monotonically).
DEFAULT_PALETTE = "YlOrRd"

#: A map panel that fits an A4 landscape page beside a second one or a table (inches).
DEFAULT_FIGSIZE: tuple[float, float] = (11.69 * 0.62, 8.27 * 0.78)

#: Where the legend goes: beside the map (a full-page map) or under it (a half-page
#: panel: the map then takes the panel's whole width).
LEGEND_POSITIONS = ("right", "below")

#: Font bundled with matplotlib, so every machine draws the same glyphs.
FONT_FAMILY = "DejaVu Sans"

#: Hatch of suppressed areas (drawn over the pale masked grey, never a class colour).
SUPPRESSED_HATCH = "////"

_OUTLINE_COLOUR = "#222222"
_WARD_EDGE = "#ffffff"
_HATCH_COLOUR = "#6b7b8c"
_TEXT_COLOUR = "#1a1a1a"
_SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                   "#000000")  # Okabe-Ito, as hotspots.charts

# Map body width (figure fraction); title sizes (points); footer height (inches).
_MAP_W = 0.66
_TITLE_PT = 12.5
_TITLE_PT_NARROW = 11.0  # panels under 6 in wide: one line more often
_SUB_PT = 8.5
_FOOT_IN = 0.32
# Legend under the map: entry and note sizes (points).
_LEG_PT = 7.5
_NOTE_PT = 6.5
# Quantile classes count as "about equal" when every class is within this share of the mean.
_EQUAL_TOLERANCE = 0.2

_RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_FAMILY],
    "pdf.fonttype": 42,  # TrueType embedded, text stays searchable
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "svg.hashsalt": "hotspots",  # fixed ids in SVG output
    "hatch.linewidth": 0.6,
    "hatch.color": _HATCH_COLOUR,
    "path.simplify": True,
    "axes.unicode_minus": True,
}

# No timestamps or version strings: the same input gives the same bytes.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    "svg": {"Creator": None, "Date": None},
}


@contextmanager
def _style():  # type: ignore[no-untyped-def]
    with matplotlib.rc_context(_RC):
        yield


def luminance(colour: str) -> float:
    """Return the relative luminance (WCAG / ITU-R BT.709 on linear RGB) of a colour.

    Parameters
    ----------
    colour
        Any matplotlib colour, e.g. ``"#fd8d3c"``.

    Returns
    -------
    float
        0 (black) to 1 (white): roughly the grey a printer gives the colour.

    Examples
    --------
    >>> round(luminance("#ffffff"), 3), round(luminance("#000000"), 3)
    (1.0, 0.0)
    """
    rgb = np.asarray(matplotlib.colors.to_rgb(colour), dtype=float)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(lin @ np.array([0.2126, 0.7152, 0.0722]))


# --------------------------------------------------------------------------- checks


def _check_areas(areas: gpd.GeoDataFrame, column: str, what: str) -> None:
    """Raise a plain-words error unless ``areas`` is EPSG:27700 with ``column``."""
    if not isinstance(areas, gpd.GeoDataFrame):
        raise TypeError(f"{what}: areas must be a GeoDataFrame; got {type(areas).__name__}")
    if areas.crs is None:
        raise CRSError(
            f"{what}: the areas have no CRS; set it first, e.g. areas.set_crs('EPSG:27700') "
            "for British National Grid eastings/northings"
        )
    if areas.crs.to_epsg() != 27700:
        raise CRSError(
            f"{what}: the areas are in {areas.crs.to_string()}, but static maps are drawn in "
            "EPSG:27700 (metres, for the scale bar); use areas.to_crs('EPSG:27700') first"
        )
    if column not in areas.columns:
        raise ValueError(
            f"{what}: column {column!r} is not in the areas; have {list(areas.columns)}"
        )


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


def _is_integer(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    return bool(len(v)) and bool(np.all(np.isclose(v, np.round(v))))


# --------------------------------------------------------------------------- drawing parts


def _wrap(text: str, width_in: float, fontsize: float) -> str:
    """Wrap text to a width in inches (DejaVu Sans averages about 0.6 em a character)."""
    return textwrap.fill(text, max(20, int(width_in * 72 / (fontsize * 0.6))))


def _title_pt(width: float) -> float:
    return _TITLE_PT_NARROW if width < 6.0 else _TITLE_PT


def _head_in(width: float, title: str, subtitle: str | None) -> float:
    """Height in inches of the title band."""
    pt = _title_pt(width)
    lines = _wrap(title, width - 0.2, pt).count("\n") + 1
    sub = (_wrap(subtitle, width - 0.2, _SUB_PT).count("\n") + 1) if subtitle else 0
    return 0.12 + lines * pt * 1.3 / 72 + sub * _SUB_PT * 1.3 / 72 + 0.12


def _text_in(text: str, pt: float, *, bold: bool = False) -> float:
    """Width in inches of one line of text in the print font."""
    prop = FontProperties(family=FONT_FAMILY, size=pt, weight="bold" if bold else "normal")
    return float(text_to_path.get_text_width_height_descent(text, prop, ismath=False)[0]) / 72


def _fill(text: str, width_in: float, pt: float) -> str:
    """Wrap text to a measured width in inches (greedy, whole words)."""
    space = _text_in("a b", pt) - _text_in("ab", pt)
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0.0
        for word in para.split():
            w = _text_in(word, pt)
            if line and used + space + w > width_in:
                lines.append(line)
                line, used = word, w
            else:
                line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return "\n".join(lines)


# Legend under the map: handle + pad and column gap, in ems of the entry font.
_HANDLE_EM, _PAD_EM, _COLGAP_EM = 2.0, 0.8, 1.4


def _below_layout(width: float, labels: Sequence[str], legend_title: str,
                  note: str | None) -> tuple[int, float]:
    """Columns and height (inches) of a legend set under the map, with its note."""
    avail = width - 0.24
    em = _LEG_PT / 72
    entry = max((_text_in(t, _LEG_PT) for t in labels), default=1.0) + (
        _HANDLE_EM + _PAD_EM) * em
    ncol = 1
    for n in (3, 2):
        if n <= len(labels) and n * entry + (n - 1) * _COLGAP_EM * em <= avail:
            ncol = n
            break
    rows = -(-len(labels) // ncol)
    title_lines = _fill(legend_title, avail, _LEG_PT + 0.5).count("\n") + 1
    h = 0.06 + title_lines * (_LEG_PT + 0.5) * 1.4 / 72 + rows * _LEG_PT * 1.62 / 72
    if note:
        h += 0.05 + (_fill(note, avail, _NOTE_PT).count("\n") + 1) * _NOTE_PT * 1.25 / 72
    return ncol, h + 0.06


def _new_figure(figsize: tuple[float, float], areas: gpd.GeoDataFrame, *, labels: Sequence[str],
                title: str, subtitle: str | None, legend: str = "right",
                legend_title: str = "", note: str | None = None) -> tuple[Figure, Axes, Axes]:
    """Figure with the map and its legend column (right) or band (below).

    The height shrinks (never grows) to the map's shape, so no band of white is
    left; with the legend below, the map takes the figure's whole width unless the
    height runs out first.
    """
    if legend not in LEGEND_POSITIONS:
        raise ValueError(f"legend must be one of {LEGEND_POSITIONS}; got {legend!r}")
    width, height = figsize
    head, foot = _head_in(width, title, subtitle), _FOOT_IN
    x0, y0, x1, y1 = _extent(areas)
    shape = (y1 - y0) / max(x1 - x0, 1.0)
    if legend == "below":
        ncol, leg_h = _below_layout(width, labels, legend_title, note)
        map_w = width - 0.2
        body = min(map_w * shape, height - head - foot - leg_h)
        height = min(height, head + body + leg_h + foot)
        map_box = (0.1 / width, (foot + leg_h) / height, map_w / width, body / height)
        leg_box = (0.12 / width, foot / height, (width - 0.24) / width, leg_h / height)
    else:
        ncol = 1
        map_w = width * _MAP_W
        legend_h = 0.45 + 0.24 * len(labels) + 0.55
        body = min(max(map_w * shape, legend_h), height - head - foot)
        height = min(height, head + body + foot)
        map_box = (0.01, foot / height, _MAP_W, body / height)
        leg_box = (0.02 + _MAP_W, foot / height, 0.97 - _MAP_W, body / height)
    fig = Figure(figsize=(width, height), facecolor="white")
    FigureCanvasAgg(fig)
    fig.hotspots_head_in = head  # type: ignore[attr-defined]
    fig.hotspots_legend = (legend, ncol)  # type: ignore[attr-defined]
    ax = fig.add_axes(map_box)
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="box", anchor="N")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    leg_ax = fig.add_axes(leg_box)
    leg_ax.set_axis_off()
    return fig, ax, leg_ax


def _extent(areas: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    if len(areas) == 0 or areas.geometry.is_empty.all():
        return 0.0, 0.0, 1.0, 1.0
    x0, y0, x1, y1 = (float(v) for v in areas.total_bounds)
    pad = 0.03 * max(x1 - x0, y1 - y0, 1.0)
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _titles(fig: Figure, title: str, subtitle: str | None) -> None:
    width, height = fig.get_size_inches()
    top = 1 - 0.12 / height
    pt = _title_pt(width)
    wrapped = _wrap(title, width - 0.2, pt)
    fig.text(0.1 / width, top, wrapped, ha="left", va="top", fontsize=pt,
             fontweight="bold", color=_TEXT_COLOUR)
    if subtitle:
        y = top - (wrapped.count("\n") + 1) * pt * 1.3 / 72 / height
        fig.text(0.1 / width, y, _wrap(subtitle, width - 0.2, _SUB_PT), ha="left", va="top",
                 fontsize=_SUB_PT, color="#444444")


def _attribution(fig: Figure, attribution: str) -> None:
    if attribution:
        width, height = fig.get_size_inches()
        fig.text(0.1 / width, 0.06 / height, _wrap(attribution, width - 0.2, 6), ha="left",
                 va="bottom", fontsize=6, color="#444444")


def _borough_shapes(areas: gpd.GeoDataFrame,
                    boroughs: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Borough polygons in EPSG:27700 with ``borough_name`` (dissolved from wards if needed)."""
    if boroughs is not None:
        if boroughs.crs is None:
            raise CRSError("boroughs have no CRS; set it first, e.g. set_crs('EPSG:27700')")
        return boroughs.to_crs(27700) if boroughs.crs.to_epsg() != 27700 else boroughs
    key = "borough_code" if "borough_code" in areas.columns else (
        "borough_name" if "borough_name" in areas.columns else None)
    if key is None or areas[key].isna().all():
        return None
    cols = [key, *([] if key == "borough_name" or "borough_name" not in areas else
                   ["borough_name"]), "geometry"]
    # Wards tile their boroughs exactly: a coverage union is exact and fast.
    return areas[cols].dropna(subset=[key]).dissolve(by=key, method="coverage",
                                                      as_index=False, sort=True)


def _label_text(name: str) -> str:
    return textwrap.fill(name.strip().replace(" and ", " & "), 12)


def _draw_boroughs(ax: Axes, shapes: gpd.GeoDataFrame | None, *, labels: bool) -> None:
    if shapes is None or len(shapes) == 0:
        return
    shapes.boundary.plot(ax=ax, color=_OUTLINE_COLOUR, linewidth=0.7, zorder=4)
    if not labels or "borough_name" not in shapes.columns:
        return
    size = 5.2 if len(shapes) > 12 else 6.5
    halo = [patheffects.withStroke(linewidth=1.8, foreground="white")]
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax.apply_aspect()
    placed: list[Any] = []
    # Smallest boroughs first (they have the least room; a big one's name can move
    # and stay inside it); a name that would overlap is nudged to a free spot nearby
    # (with a leader line) or drawn smaller.
    order = shapes.assign(_a=shapes.geometry.area).sort_values("_a", ascending=True,
                                                               kind="stable")
    for name, geom in zip(order["borough_name"], order.geometry, strict=True):
        if geom is None or geom.is_empty or not isinstance(name, str) or not name.strip():
            continue
        pt = _label_point(geom)
        text = ax.text(pt[0], pt[1], _label_text(name), ha="center", va="center",
                       fontsize=size, color=_TEXT_COLOUR, fontweight="bold",
                       linespacing=0.95, path_effects=halo, zorder=6, clip_on=True)
        box = text.get_window_extent(renderer).expanded(1.05, 1.1)
        if any(box.overlaps(b) for b in placed):
            box = _nudge(ax, text, pt, placed, renderer)
        if box is not None:
            placed.append(box)


def _label_point(geom: Any) -> tuple[float, float]:
    """Return the pole of inaccessibility of the largest part (a label point inside)."""
    from shapely.geometry import MultiPolygon
    from shapely.ops import polylabel

    part = max(geom.geoms, key=lambda g: g.area) if isinstance(geom, MultiPolygon) else geom
    try:
        p = polylabel(part, tolerance=max(part.length / 500.0, 1.0))
    except Exception:  # noqa: BLE001 - odd geometries: fall back to a point inside
        p = part.representative_point()
    return float(p.x), float(p.y)


# Label fallbacks, nearest first: (font scale, offset in label sizes); 0 = in place.
_NUDGES = ((1.0, 0.7), (0.8, 0.0), (0.8, 0.7), (1.0, 1.1), (0.8, 1.1), (1.0, 1.6),
           (0.8, 1.6), (0.8, 2.2))
_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


def _nudge(ax: Axes, text: Any, pt: tuple[float, float], placed: list[Any],
           renderer: Any) -> Any:
    """Move an overlapping label to the nearest free spot (leader line), smaller if need be.

    Tries, nearest first, small moves and an 80% size; a label that still finds no
    free spot is left out (never drawn over another) and listed in
    ``fig.hotspots_unlabelled``.
    """
    size = text.get_fontsize()
    to_data = ax.transData.inverted()
    for scale, f in _NUDGES:
        text.set_fontsize(size * scale)
        text.set_position(pt)
        box = text.get_window_extent(renderer)
        w = abs(to_data.transform((box.width, 0))[0] - to_data.transform((0, 0))[0])
        h = abs(to_data.transform((0, box.height))[1] - to_data.transform((0, 0))[1])
        for dx, dy in (_DIRECTIONS if f else ((0, 0),)):
            xy = (pt[0] + dx * w * f * 0.75, pt[1] + dy * h * f * 1.1)
            text.set_position(xy)
            cand = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(cand.overlaps(b) for b in placed):
                if f:
                    ax.plot([pt[0], xy[0]], [pt[1], xy[1]], color=_TEXT_COLOUR,
                            linewidth=0.4, zorder=5, solid_capstyle="butt")
                return cand
    fig = ax.figure
    fig.hotspots_unlabelled = [*getattr(fig, "hotspots_unlabelled", []),  # type: ignore[attr-defined]
                               text.get_text().replace("\n", " ")]
    text.remove()
    return None


def _north_arrow(ax: Axes) -> None:
    ax.annotate("N", xy=(0.965, 0.975), xytext=(0.965, 0.875), xycoords="axes fraction",
                textcoords="axes fraction", ha="center", va="center", fontsize=9,
                fontweight="bold", color=_TEXT_COLOUR, zorder=7,
                arrowprops={"facecolor": _TEXT_COLOUR, "edgecolor": _TEXT_COLOUR,
                            "width": 2.5, "headwidth": 8, "headlength": 8, "shrink": 0.0})


def _scale_bar(ax: Axes) -> None:
    ax.add_artist(ScaleBar(1.0, "m", location="lower right", length_fraction=0.22,
                           box_alpha=0.85, frameon=True, scale_loc="top",
                           font_properties={"size": 7, "family": "sans-serif"},
                           border_pad=0.6, color=_TEXT_COLOUR))


def _legend(leg_ax: Axes, handles: list[Patch], *, title: str, note: str | None) -> None:
    fig = leg_ax.figure
    where, ncol = getattr(fig, "hotspots_legend", ("right", 1))
    below = where == "below"
    width_in = leg_ax.get_position().width * fig.get_size_inches()[0]
    legend = leg_ax.legend(
        handles=handles, labels=[h.get_label() for h in handles],
        title=_fill(title, width_in, _LEG_PT + 0.5) if below else textwrap.fill(title, 30),
        loc="upper left", bbox_to_anchor=(0.0, 1.0), frameon=False,
        fontsize=_LEG_PT if below else 8, title_fontsize=_LEG_PT + 0.5 if below else 8.5,
        alignment="left", handlelength=_HANDLE_EM if below else 2.2, handletextpad=_PAD_EM,
        handleheight=1.05 if below else 1.3, borderaxespad=0.0,
        labelspacing=0.45 if below else 0.55, ncols=ncol, columnspacing=_COLGAP_EM)
    legend.get_title().set_fontweight("bold")
    if note:
        box = legend.get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]
        _, y = leg_ax.transAxes.inverted().transform((box.x0, box.y0))
        text = _fill(note, width_in, _NOTE_PT) if below else textwrap.fill(note, 46)
        gap = 0.05 / (leg_ax.get_position().height * fig.get_size_inches()[1]) if below \
            else 0.03
        leg_ax.text(0.0, y - gap, text, transform=leg_ax.transAxes,
                    ha="left", va="top", fontsize=_NOTE_PT, color="#444444")


def _badge(ax: Axes, badge: str | None) -> None:
    if badge:
        ax.text(0.01, 0.99, badge, transform=ax.transAxes, ha="left", va="top", fontsize=8,
                fontweight="bold", color="white", zorder=8,
                bbox={"boxstyle": "square,pad=0.3", "facecolor": "#b30000",
                      "edgecolor": "none"})


# --------------------------------------------------------------------------- public


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
        Classification, as :func:`hotspots.classify.classify` (the web map's).
    palette
        A sequential palette of :data:`hotspots.classify.PALETTES` (``"YlOrRd"``,
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
        Optional red badge on the map, e.g. :data:`hotspots.maps.SYNTHETIC_BADGE`.
    borough_labels
        Write borough names on the map.
    legend
        ``"right"``: legend column beside the map (a full-page map);
        ``"below"``: legend in one to three columns under a map that takes the
        figure's whole width (a half-page panel of the board pack). The figure's
        height shrinks to fit; it never grows past ``figsize``.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.classification`` holds the :class:`hotspots.classify.Classification`.

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
                 masked_label=label)
    colours = list(_palette(palette, c.k))
    index = c.class_index.to_numpy()
    if note is None:
        note = quantile_note(c) if scheme == "quantiles" else SCHEMES[scheme].description
    entries = [*c.class_labels, *([str(c.masked_label)] if c.n_masked else []),
               *([f"{no_data_label} ({c.n_no_data})"] if c.n_no_data else [])]
    with _style():
        fig, ax, leg_ax = _new_figure(figsize, areas, labels=entries, title=title,
                                      subtitle=subtitle, legend=legend,
                                      legend_title=legend_title, note=note)
        geoms = areas.geometry
        for i, colour in enumerate(colours):
            sel = index == i
            if sel.any():
                gpd.GeoSeries(geoms[sel], crs=areas.crs).plot(
                    ax=ax, color=colour, edgecolor=_WARD_EDGE, linewidth=0.15, zorder=2)
        handles = [Patch(facecolor=col, edgecolor="#555555", linewidth=0.5, label=lab)
                   for col, lab in zip(colours, c.class_labels, strict=True)]
        if c.n_masked:
            gpd.GeoSeries(geoms[index == MASKED_INDEX], crs=areas.crs).plot(
                ax=ax, facecolor=MASKED_COLOUR, edgecolor=_HATCH_COLOUR, hatch=SUPPRESSED_HATCH,
                linewidth=0.0, zorder=2)
            handles.append(Patch(facecolor=MASKED_COLOUR, edgecolor=_HATCH_COLOUR,
                                 hatch=SUPPRESSED_HATCH, linewidth=0.5,
                                 label=str(c.masked_label)))
        if c.n_no_data:
            gpd.GeoSeries(geoms[index == NO_DATA_INDEX], crs=areas.crs).plot(
                ax=ax, color=NO_DATA_COLOUR, edgecolor=_WARD_EDGE, linewidth=0.15, zorder=2)
            handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#555555", linewidth=0.5,
                                 label=f"{no_data_label} ({c.n_no_data})"))
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
        :data:`hotspots.statmaps.GI_HOT`, :data:`~hotspots.statmaps.LISA_CLASSES`
        or :data:`~hotspots.statmaps.BIVARIATE_COLOURS`). Every category is
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
                gpd.GeoSeries(areas.geometry[sel], crs=areas.crs).plot(
                    ax=ax, facecolor=colour, edgecolor=_HATCH_COLOUR if hatch else _WARD_EDGE,
                    hatch=hatch, linewidth=0.0 if hatch else 0.15, zorder=2)
            handles.append(Patch(facecolor=colour, edgecolor="#555555", linewidth=0.5,
                                 hatch=hatch, label=f"{lab} ({counts[str(lab)]})"))
        if n_missing:
            gpd.GeoSeries(areas.geometry[~present], crs=areas.crs).plot(
                ax=ax, color=NO_DATA_COLOUR, edgecolor=_WARD_EDGE, linewidth=0.15, zorder=2)
            handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#555555", linewidth=0.5,
                                 label=f"{no_data_label} ({n_missing})"))
        _finish(fig, ax, leg_ax, areas, boroughs, handles, title=title, subtitle=subtitle,
                legend_title=legend_title, attribution=attribution, badge=badge, note=note,
                borough_labels=borough_labels)
    fig.category_counts = {**counts, no_data_label: n_missing}  # type: ignore[attr-defined]
    return fig


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
    >>> from hotspots.classify import classify
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


def _palette(name: str, k: int) -> tuple[str, ...]:
    """Colours of a print palette; only the greyscale-monotone ColorBrewer ones."""
    return palette(name, k)


def trend_chart(
    monthly: pd.DataFrame,
    *,
    x: str = "month",
    y: str = "value",
    series: str | None = None,
    title: str,
    ylabel: str,
    figsize: tuple[float, float] = (11.69 * 0.8, 8.27 * 0.45),
    subtitle: str | None = None,
    attribution: str | None = None,
    overlay: bool = False,
    year_start: str | periods.YearStart = "financial",
) -> Figure:
    """Draw monthly values as lines for print: years end to end, or overlaid.

    Parameters
    ----------
    monthly
        Long frame with ``x`` (``"YYYY-MM"`` strings, periods or dates), ``y``
        (NaN = not covered or hidden: the line breaks there, never drawn as
        zero) and, optionally, ``series``.
    x, y, series
        Column names. ``series`` gives one line each (Okabe-Ito colours plus
        distinct markers and dashes, so lines stay apart in greyscale).
    title, ylabel
        Chart title and y axis label.
    figsize
        Figure size in inches.
    subtitle
        Optional line under the title.
    attribution
        Optional source line at the bottom.
    overlay
        ``False``: one continuous month axis. ``True``: the x axis is the month
        of the year in the ``year_start`` convention (Apr .. Mar for financial
        years) and each year is its own line, the same months of earlier years
        overlaid; ``series`` then names the years (default: the convention's
        year names, e.g. ``"FY 2025/26"``). The latest year is drawn heaviest.
    year_start
        Year convention for ``overlay``: a key of
        :data:`hotspots.periods.YEAR_STARTS` or a :class:`~hotspots.periods.YearStart`.

    Returns
    -------
    matplotlib.figure.Figure
        The y axis starts at 0 and prints thousands separators (``80,000``).

    Raises
    ------
    ValueError
        A named column is missing, a month cannot be read, or (overlay) one
        series holds the same month of the year twice.
    """
    missing = [c for c in (x, y, series) if c is not None and c not in monthly.columns]
    if missing:
        raise ValueError(f"trend_chart: columns {missing} are not in the frame; "
                         f"have {list(monthly.columns)}")
    try:
        months = pd.PeriodIndex(pd.to_datetime(monthly[x].astype(str)), freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"trend_chart: column {x!r} must hold months like '2025-04' ({exc})") \
            from exc
    data = pd.DataFrame({"month": months, "value": pd.to_numeric(monthly[y], errors="coerce"),
                         "series": monthly[series].astype(str).to_numpy() if series else ""})
    if overlay:
        ys = periods.get_year_start(year_start)
        data["pos"] = (data["month"].map(lambda p: p.month) - ys.start_month) % 12
        if not series:
            data["series"] = [ys.name(ys.year_of(str(p))) for p in data["month"]]
        ticks = list(range(12))
        labels = [pd.Period(f"2000-{(ys.start_month - 1 + i) % 12 + 1:02d}", "M").strftime("%b")
                  for i in ticks]
        n_pos = 12
        twice = data.groupby(["series", "pos"])["month"].nunique()
        if (twice > 1).any():
            bad = twice[twice > 1].index[0]
            raise ValueError(f"trend_chart: series {bad[0]!r} holds more than one "
                             f"{labels[bad[1]]}; with overlay=True each series must be one "
                             f"year ({ys.label}): pass series= the year column")
    else:
        axis = pd.period_range(data["month"].min(), data["month"].max(), freq="M") if len(data) \
            else pd.PeriodIndex([], freq="M")
        where = {p: i for i, p in enumerate(axis)}
        data["pos"] = data["month"].map(where)
        n_pos = len(axis)
        step = max(1, int(np.ceil(len(axis) / 12)))
        ticks = list(range(0, len(axis), step))
        labels = [axis[t].strftime("%b\n%Y") for t in ticks]
    markers = ("o", "s", "^", "D", "v", "P", "X")
    dashes = ("-", "--", "-.", ":")
    with _style():
        fig = Figure(figsize=figsize, facecolor="white")
        FigureCanvasAgg(fig)
        width, height = figsize
        top = 1 - (_head_in(width, title, subtitle) + 0.05) / height
        bottom = (0.5 + (0.2 if attribution else 0.0)) / height
        right = 0.8 if (series or overlay) else 0.97
        ax = fig.add_axes((0.9 / width, bottom, right - 0.9 / width, top - bottom))
        names = list(dict.fromkeys(data["series"])) if (series or overlay) else [""]
        for i, name in enumerate(names):
            part = data[data["series"] == name].groupby("pos")["value"].sum(min_count=1)
            line = np.full(n_pos, np.nan)
            line[part.index.to_numpy(dtype=int)] = part.to_numpy()
            latest = overlay and i == len(names) - 1
            ax.plot(range(n_pos), line, color=_SERIES_COLOURS[i % 7],
                    marker=markers[i % len(markers)], markersize=4 if latest else 3.5,
                    linewidth=2.4 if latest else 1.6,
                    linestyle="-" if latest or not overlay else dashes[(len(names) - 1 - i) % 4],
                    label=name or None, zorder=3 + i)
        ax.set_xticks(ticks, labels, fontsize=7.5 if overlay else 7)
        ax.set_xlim(-0.5, max(n_pos - 0.5, 0.5))
        ax.set_ylim(bottom=0)
        if not np.isfinite(data["value"]).any():
            ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
        ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10],
                                                      integer=True))
        ax.set_ylabel(ylabel, fontsize=8.5)
        if overlay:
            ax.set_xlabel(f"Month ({ys.label})", fontsize=8)
        ax.tick_params(axis="y", labelsize=7.5)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        if series or overlay:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7.5,
                      handlelength=2.8)
        _titles(fig, title, subtitle)
        _attribution(fig, attribution or "")
    return fig


def save_figure(fig: Figure, path: Path | str, *, dpi: int = 300) -> Path:
    """Save a figure as PNG (print resolution), PDF or SVG, chosen by the file suffix.

    No timestamp or software version is written, so the same figure gives the
    same bytes every time. Fonts embed as TrueType in PDF (``pdf.fonttype`` 42).

    Parameters
    ----------
    fig
        A figure from this module (or any matplotlib figure).
    path
        Output file ending in ``.png``, ``.pdf`` or ``.svg``; folders are created.
    dpi
        Resolution for PNG (and rasterised parts of PDF/SVG).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        Unsupported suffix.
    """
    out = Path(path)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in _METADATA:
        raise ValueError(f"save_figure: {out.name!r} must end in .png, .pdf or .svg")
    out.parent.mkdir(parents=True, exist_ok=True)
    with _style():
        fig.savefig(out, format=fmt, dpi=dpi, metadata=_METADATA[fmt], facecolor="white")
    return out


# --------------------------------------------------------------------------- grid cells

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
) -> Figure:
    """Draw grid cells (e.g. patrol cells) as a classed map for print.

    Parameters
    ----------
    grid
        Cells in EPSG:27700 with ``cell_id`` and ``column`` (NaN = no data,
        grey, never zero), e.g. :attr:`hotspots.patrol_analysis.PatrolAnalysis.grid`.
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
        Classification and palette, as :func:`class_map` (default natural
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
                         "hotspots.grid.make_grid)")
    if context_areas is not None:
        _check_areas(context_areas, "geometry", "cell_map context_areas")
    sel = _cell_mask(selected, grid, "selected")
    hot_mask = _cell_mask(hot, grid, "hot")
    if labels:
        _cell_mask(list(labels), grid, "labels")
    values = pd.to_numeric(grid[column], errors="coerce").astype(float)
    whole = _is_integer(values) if integer is None else integer
    c = classify(values, scheme=scheme, k=k, integer=whole)
    colours = list(_palette(palette, c.k))
    index = c.class_index.to_numpy()
    note = SCHEMES[scheme].description if note is None else note
    n_sel, n_hot = int(sel.sum()), int(hot_mask.sum())
    entries = [*c.class_labels, *([f"{no_data_label} ({c.n_no_data})"] if c.n_no_data else []),
               *([f"{selected_label} ({n_sel})"] if selected is not None else []),
               *([f"{hot_label} ({n_hot})"] if hot is not None else [])]
    with _style():
        fig, ax, leg_ax = _new_figure(figsize, grid, labels=entries, title=title,
                                      subtitle=subtitle, legend=legend,
                                      legend_title=legend_title, note=note)
        geoms = grid.geometry
        handles: list[Patch] = []
        for i, colour in enumerate(colours):
            if (index == i).any():
                gpd.GeoSeries(geoms[index == i], crs=grid.crs).plot(
                    ax=ax, color=colour, edgecolor=_WARD_EDGE, linewidth=0.3, zorder=2)
            handles.append(Patch(facecolor=colour, edgecolor="#555555", linewidth=0.5,
                                 label=c.class_labels[i]))
        if c.n_no_data:
            gpd.GeoSeries(geoms[index == NO_DATA_INDEX], crs=grid.crs).plot(
                ax=ax, color=NO_DATA_COLOUR, edgecolor=_WARD_EDGE, linewidth=0.3, zorder=2)
            handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#555555", linewidth=0.5,
                                 label=f"{no_data_label} ({c.n_no_data})"))
        if context_areas is not None and len(context_areas):
            context_areas.boundary.plot(ax=ax, color=_CONTEXT_EDGE, linewidth=0.45,
                                        linestyle=(0, (3, 2)), zorder=3)
            _draw_boroughs(ax, _borough_shapes(context_areas, None), labels=False)
        if selected is not None:
            if n_sel:
                gpd.GeoSeries(geoms[sel], crs=grid.crs).boundary.plot(
                    ax=ax, color=SELECTED_EDGE, linewidth=1.5, zorder=5)
            handles.append(Patch(facecolor="none", edgecolor=SELECTED_EDGE, linewidth=1.5,
                                 label=f"{selected_label} ({n_sel})"))
        if hot is not None:
            if n_hot:
                size = float(np.sqrt(np.nanmax(geoms.area.to_numpy())))
                _inset(gpd.GeoSeries(geoms[hot_mask], crs=grid.crs), 0.12 * size).boundary \
                    .plot(ax=ax, color=HOT_EDGE, linewidth=1.1, linestyle=(0, (2.5, 1.5)),
                          zorder=6)
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
