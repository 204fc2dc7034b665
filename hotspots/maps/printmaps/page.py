"""The print page of a map or chart: figure, title band, legend, scale bar, north arrow.

What every print figure shares: the fixed style (DejaVu Sans, TrueType in PDF, no
timestamps), the layout of a map and its legend beside or under it (the height
shrinks to the map's shape), the wrapped title and subtitle, the attribution line,
the scale bar and north arrow, the legend with its small print, the red badge, and
:func:`save_figure`. The maps themselves are :mod:`hotspots.maps.printmaps.wards`
and :mod:`hotspots.maps.printmaps.cells`; borough outlines and names are
:mod:`hotspots.maps.printmaps.boroughs`.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.textpath import text_to_path
from matplotlib_scalebar.scalebar import ScaleBar
from PIL import Image

from hotspots._errors import CRSError

__all__ = [
    "ATTRIBUTION_DEFAULT",
    "DEFAULT_FIGSIZE",
    "DEFAULT_PALETTE",
    "FONT_FAMILY",
    "LEGEND_POSITIONS",
    "SUPPRESSED_HATCH",
    "luminance",
    "save_figure",
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


_WARD_EDGE = "#ffffff"

_HATCH_COLOUR = "#6b7b8c"

_TEXT_COLOUR = "#1a1a1a"


# Map body width (figure fraction); title sizes (points); footer height (inches).
_MAP_W = 0.66

_TITLE_PT = 12.5

_TITLE_PT_NARROW = 11.0  # panels under 6 in wide: one line more often

_SUB_PT = 8.5

_FOOT_IN = 0.32

# Legend under the map: entry and note sizes (points).
_LEG_PT = 7.5

_NOTE_PT = 6.5


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
    # A patch's default face colour is "C0", looked up in the property cycle for every
    # patch made (geopandas makes one per polygon: 0.6 s of the board pack, issue 18);
    # the colour itself, resolved once, draws the same.
    first = matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", ["k"])[0]
    face = matplotlib.rcParams["patch.facecolor"]
    with matplotlib.rc_context({**_RC, "patch.facecolor": first if face == "C0" else face}):
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


# --------------------------------------------------------------------------- saving


def save_figure(fig: Figure, path: Path | str, *, dpi: int = 300) -> Path:
    """Save a figure as PNG (print resolution), PDF or SVG, chosen by the file suffix.

    No timestamp or software version is written, so the same figure gives the
    same bytes every time. Fonts embed as TrueType in PDF (``pdf.fonttype`` 42).
    PNG is compressed at zlib level 3: on these flat-colour maps as small as the
    default level 6 (6.43 against 6.42 MB for the demo board pack's 12 figures) and
    a third faster to write; it is RGB, without the alpha channel of an opaque page
    (the same pixels, 5.83 MB).

    Parameters
    ----------
    fig
        A figure from :mod:`hotspots.maps.printmaps` (or any matplotlib figure).
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
        if fmt == "png" and _save_rgb_png(fig, out, dpi):
            return out
        fig.savefig(out, format=fmt, dpi=dpi, metadata=_METADATA[fmt], facecolor="white",
                    **({"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}))
    return out


def _save_rgb_png(fig: Figure, out: Path, dpi: int) -> bool:
    """Write the figure as an RGB PNG (no alpha channel); return False if it cannot.

    The page is opaque white, so the alpha channel matplotlib writes is 255
    everywhere: dropping it gives the same pixels in 10% fewer bytes, and is
    faster to encode (issue 18). A figure with any transparent pixel, or whose
    rendered size is not the one expected, is left to ``savefig``.
    """
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi, facecolor="white")
    data = raw.getbuffer()
    wf, hf = fig.get_figwidth() * dpi, fig.get_figheight() * dpi
    size = next(((w, h) for w in {int(wf), round(wf)} for h in {int(hf), round(hf)}
                 if 4 * w * h == len(data)), None)
    if size is None:
        return False
    im = Image.frombuffer("RGBA", size, data, "raw", "RGBA", 0, 1)
    if im.getextrema()[3][0] != 255:
        return False
    im.convert("RGB").save(out, format="png", compress_level=3, dpi=(dpi, dpi))
    return True
