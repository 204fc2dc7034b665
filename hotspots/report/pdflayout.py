"""The board-pack PDF's layout kit: page size, fonts, styles, images and tables.

Everything :mod:`hotspots.report.pdf` builds its pages from: A4 landscape with
its margins and frame, DejaVu Sans registered from matplotlib's fonts (so the
PDF embeds them), the paragraph styles, escaping for reportlab's mark-up, a
figure rasterised at :data:`PDF_DPI` and fitted to a box, and a report
:class:`~hotspots.report.tables.Table` as a printed table (hidden cells in red,
totals ruled, numbers formatted per column). Tables wrap headings and cells at
spaces only: every column is at least as wide as its longest word
(:func:`fit_widths`), and reportlab never splits a word.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, Spacer, TableStyle
from reportlab.platypus.tables import LongTable

from hotspots.report.figures import FigureSpec
from hotspots.report.tables import Table as ReportTable

__all__ = ["FONT", "FONT_BOLD", "FRAME_H", "FRAME_W", "PAGE", "PDF_DPI", "fit_widths",
           "register_fonts"]

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
PAGE = landscape(A4)
MARGIN = 1.2 * cm
BANNER_H = 0.55 * cm
NAVY = colors.HexColor("#1f3b73")
RED = colors.HexColor("#b30000")
GREY = colors.HexColor("#555555")
#: Resolution of map images inside the PDF (the PNG files are 300 dpi); maps are
#: placed at 100%, so this is the printed resolution.
PDF_DPI = 220
TOP = MARGIN + BANNER_H + 0.2 * cm
BOTTOM = MARGIN + BANNER_H + 0.3 * cm
#: Usable width and height of a page's frame (platypus pads a frame by 6 pt a side).
FRAME_W = PAGE[0] - 2 * MARGIN - 12
FRAME_H = PAGE[1] - TOP - BOTTOM - 12


def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold, oblique) from matplotlib's bundled fonts."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf"),
                       (FONT_ITALIC, "DejaVuSans-Oblique.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                  boldItalic=FONT_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5,
                          bulletFontName=FONT)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5,
                                textColor=GREY),
        "method": ParagraphStyle("method", parent=base, fontSize=8.5, leading=11,
                                 spaceAfter=2),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.2, leading=8.6,
                               splitLongWords=0),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=26,
                                leading=31, textColor=NAVY, spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20,
                             textColor=NAVY, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=11.5,
                             leading=14.5, textColor=NAVY, spaceBefore=6, spaceAfter=3),
        "bullet": ParagraphStyle("bullet", parent=base, fontSize=10, leading=13.5,
                                 leftIndent=12, bulletIndent=2, spaceAfter=1),
        "source": ParagraphStyle("source", parent=base, fontSize=7, leading=9,
                                 leftIndent=12, textColor=GREY, spaceAfter=4),
        "synthetic": ParagraphStyle("synthetic", parent=base, fontName=FONT_BOLD, fontSize=13,
                                    leading=17, textColor=colors.white, backColor=RED,
                                    alignment=TA_CENTER, borderPadding=6),
    }


def _ts(commands: list[Any]) -> TableStyle:
    """Return a table style whose default cell font is DejaVu (reportlab's is Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def _esc(text: object) -> str:
    """Escape text for reportlab's paragraph mark-up."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


# --------------------------------------------------------------------------- blocks


def _image(spec: FigureSpec | Figure, width: float, height: float, *,
           enlarge: bool = True) -> Image:
    """Rasterise a figure and fit it in ``width`` x ``height`` points.

    ``enlarge=False`` keeps it at most at the size it was drawn (100%), so its
    fonts print at their point sizes.
    """
    fig = spec.figure if isinstance(spec, FigureSpec) else spec
    out = _rgb_bitmap(fig)
    iw, ih = ImageReader(out).getSize()
    out.seek(0)
    scale = min(width / iw, height / ih, *(() if enlarge else (72.0 / PDF_DPI,)))
    return Image(out, width=iw * scale, height=ih * scale)


def _rgb_bitmap(fig: Figure) -> io.BytesIO:
    """Render ``fig`` at :data:`PDF_DPI` on white; return it as an uncompressed RGB bitmap.

    The page embeds the pixels (reportlab compresses them itself), so the figure's
    raw RGBA buffer is flattened to RGB (alpha dropped: no alpha in the PDF, and
    identical bytes every run) and handed over as BMP: the pixels a PNG round trip
    gave (tested), without encoding and decoding a PNG twice per figure (issue 18:
    1.5 s of the board pack's 18 s).
    """
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=PDF_DPI, facecolor="white")
    data = raw.getbuffer()
    wf, hf = fig.get_figwidth() * PDF_DPI, fig.get_figheight() * PDF_DPI
    size = next(((w, h) for w in {int(wf), round(wf)} for h in {int(hf), round(hf)}
                 if 4 * w * h == len(data)), None)
    if size is None:  # the renderer's size is not ours (never seen): the PNG round trip
        raw = io.BytesIO()
        fig.savefig(raw, format="png", dpi=PDF_DPI, facecolor="white")
        raw.seek(0)
        im = PILImage.open(raw)
    else:
        im = PILImage.frombuffer("RGBA", size, data, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    im.convert("RGB").save(out, format="BMP")
    out.seek(0)
    return out


def _height(flowables: Sequence[Any], width: float) -> float:
    """Height in points the flowables take in a frame of ``width`` (with their spacing)."""
    total = 0.0
    for f in flowables:
        _, h = f.wrap(width, FRAME_H)
        total += h + f.getSpaceBefore() + f.getSpaceAfter()
    return total


#: Column -> (decimals, signed) for numbers printed in tables; others: whole numbers.
_FORMATS: dict[str, tuple[int, bool]] = {
    "Change": (0, True), "Change %": (1, True), "Rate per 1,000": (1, False),
    "Smoothed rate per 1,000": (1, False),
    "Pseudo p": (4, False), "Value": (3, False), "rho": (2, False), "CI low": (2, False),
    "CI high": (2, False), "Median PAI": (2, False), "Mean PAI": (2, False),
    "Min PAI": (2, False), "Max PAI": (2, False), "Median RRI": (2, False),
    "Mean hit rate (%)": (1, False), "Mean area patrolled (%)": (1, False),
}


def _cell_text(v: object, column: str = "") -> str:
    """Return the text a table cell prints (numbers formatted by :data:`_FORMATS`)."""
    decimals, signed = _FORMATS.get(column, (None, False))
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return "" if v is None else str(v)
    if isinstance(v, int | float) or hasattr(v, "item"):
        f = float(v)  # type: ignore[arg-type]
        if pd.isna(f):
            return ""
        d = decimals if decimals is not None else (0 if f.is_integer() else 2)
        return f"{'+' if signed and f > 0 else ''}{f:,.{d}f}"
    return str(v)


def _cell(v: object, st: ParagraphStyle, column: str = "") -> Paragraph:
    return Paragraph(_esc(_cell_text(v, column)), st)


#: Left plus right padding of a table cell (reportlab's default, 6 pt a side), and a hair.
CELL_PAD = 12.5


def fit_widths(head: Sequence[str], body: Sequence[Sequence[str]], widths: Sequence[float], *,
               size: float, total: float | None = None) -> list[float]:
    """Widen columns so that no word of a heading or a cell has to be split.

    Parameters
    ----------
    head
        Column headings (printed bold).
    body
        The printed cell texts, one sequence per column.
    widths
        Wanted widths (points).
    size
        Font size (points) of headings and cells.
    total
        Width the table must keep to: columns with room to spare give it back,
        in proportion to their spare room.

    Returns
    -------
    list of float
        Each at least the widest word of its column (heading or cell) plus the
        cell padding, so lines break at spaces only.

    Examples
    --------
    >>> register_fonts()
    >>> fit_widths(["Mean area patrolled (%)"], [["5.4"]], [30.0], size=7.2)[0] > 30.0
    True
    """
    need = []
    for h, cells in zip(head, body, strict=True):
        words = [(wd, FONT_BOLD) for wd in str(h).split()]
        words += [(wd, FONT) for text in cells for wd in str(text).split()]
        need.append(max((pdfmetrics.stringWidth(wd, font, size) for wd, font in words),
                        default=0.0) + CELL_PAD)
    out = [max(float(w), n) for w, n in zip(widths, need, strict=True)]
    if total is not None and sum(out) > total:
        spare = [w - n for w, n in zip(out, need, strict=True)]
        if sum(spare) > 0:
            cut = min(1.0, (sum(out) - total) / sum(spare))
            out = [w - sp * cut for w, sp in zip(out, spare, strict=True)]
    return out


def _table(t: ReportTable, st: dict[str, ParagraphStyle], columns: Sequence[str],
           widths: Sequence[float], *, synthetic: bool = False) -> list[Any]:
    title = t.title + ("  [SYNTHETIC]" if synthetic and "SYNTHETIC" not in t.title else "")
    if not len(t.frame):  # no rows: the notes say why, no header over nothing
        return [Paragraph(_esc(title), st["h2"]),
                *[Paragraph(_esc(n), st["body"] if i == 0 else st["small"])
                  for i, n in enumerate(x for x in t.notes if x)]]
    cols = [c for c in columns if c in t.frame]
    body = [[_cell_text(v, c) for v in t.frame[c]] for c in cols]
    w = fit_widths(cols, body, [widths[list(columns).index(c)] for c in cols],
                   size=st["cell"].fontSize, total=FRAME_W)
    head = ParagraphStyle("head", parent=st["cell"], fontName=FONT_BOLD,
                          textColor=colors.white)
    rows = [[Paragraph(_esc(c), head) for c in cols]]
    for _, r in t.frame[cols].iterrows():
        rows.append([_cell(r[c], st["cell"], c) for c in cols])
    table = LongTable(rows, colWidths=w, repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.0),
    ]
    for i in range(1, len(rows)):
        if i % 2 == 0:
            style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f3f5f9")))
    key = t.frame[cols[0]].astype(str).tolist() if cols else []
    if t.key in cols:  # the total row of a by-authority table ("Borough", "Local authority")
        key = t.frame[t.key].astype(str).tolist()
    for i, k in enumerate(key, start=1):
        if k == "Total":
            style += [("LINEABOVE", (0, i), (-1, i), 0.8, NAVY),
                      ("BACKGROUND", (0, i), (-1, i), colors.HexColor("#dde4f0"))]
    for j, c in enumerate(cols):
        hidden = t.mask[c].to_numpy() if c in t.mask else []
        for i, h in enumerate(hidden, start=1):
            if h:
                style.append(("TEXTCOLOR", (j, i), (j, i), RED))
    table.setStyle(_ts(style))
    notes = [Paragraph(_esc(n), st["small"]) for n in t.notes if n]
    return [Paragraph(_esc(title), st["h2"]), table, Spacer(1, 4), *notes]
