"""The board-pack PDF: A4 landscape, embedded DejaVu fonts, a marking banner on every page.

Built with reportlab's platypus from the sections, figures and findings the
other modules prepared: title page, key findings, per measure the maps, tables
and monthly chart, then the method card. The protective marking is drawn at
the top and bottom of every page by the page callback; the document is written
with ``invariant=1`` (no creation date or random document id), so the same
inputs give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
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
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import LongTable

from hotspots.report.content import MeasureSection
from hotspots.report.content import Table as ReportTable
from hotspots.report.figures import FigureSpec
from hotspots.report.patrol import PatrolSection
from hotspots.stats import registry as registry

__all__ = ["FONT", "FONT_BOLD", "MapTablePage", "PackText", "map_table_page", "register_fonts",
           "write_pdf"]

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
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.2, leading=8.6),
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


@dataclass(frozen=True)
class PackText:
    """Words of the title page and method card (prepared by :mod:`hotspots.report.build`)."""

    title: str
    subtitle: str
    marking: str
    period: str
    area: str
    author: str
    sources: tuple[tuple[str, str], ...]
    method: tuple[tuple[str, str], ...]
    caveats: tuple[str, ...]
    synthetic: bool
    patrol: str = ""


# --------------------------------------------------------------------------- page furniture


def _on_page(text: PackText):  # type: ignore[no-untyped-def]
    sensitive = "SENSITIVE" in text.marking or "SECRET" in text.marking
    colour = RED if sensitive else NAVY

    def draw(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        w, h = PAGE
        canvas.saveState()
        for y in (h - BANNER_H - 0.25 * cm, 0.25 * cm):
            canvas.setFillColor(colour)
            canvas.rect(MARGIN, y, w - 2 * MARGIN, BANNER_H, stroke=0, fill=1)
            canvas.setFillColor(colors.white)
            canvas.setFont(FONT_BOLD, 9)
            canvas.drawCentredString(w / 2, y + 0.17 * cm, text.marking)
        canvas.setFillColor(GREY)
        canvas.setFont(FONT, 7)
        y = 0.25 * cm + BANNER_H + 0.12 * cm
        canvas.drawString(MARGIN, y, f"{text.title} · {text.period}")
        canvas.drawRightString(w - MARGIN, y, f"Page {doc.page}")
        if text.synthetic:
            canvas.setFillColor(RED)
            canvas.setFont(FONT_BOLD, 7)
            canvas.drawCentredString(w / 2, y, "Contains SYNTHETIC referrals: not real data")
        canvas.restoreState()

    return draw


# --------------------------------------------------------------------------- blocks


def _image(spec: FigureSpec | Figure, width: float, height: float, *,
           enlarge: bool = True) -> Image:
    """Rasterise a figure and fit it in ``width`` x ``height`` points.

    ``enlarge=False`` keeps it at most at the size it was drawn (100%), so its
    fonts print at their point sizes.
    """
    fig = spec.figure if isinstance(spec, FigureSpec) else spec
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PDF_DPI, metadata={"Software": None},
                facecolor="white")
    buf.seek(0)
    # Flatten to RGB (no alpha): smaller, and identical bytes every run.
    im = PILImage.open(buf).convert("RGB")
    out = io.BytesIO()
    im.save(out, format="PNG", optimize=False)
    out.seek(0)
    iw, ih = ImageReader(out).getSize()
    out.seek(0)
    scale = min(width / iw, height / ih, *(() if enlarge else (72.0 / PDF_DPI,)))
    return Image(out, width=iw * scale, height=ih * scale)


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
    "Pseudo p": (4, False), "Value": (3, False), "rho": (2, False), "CI low": (2, False),
    "CI high": (2, False), "Median PAI": (2, False), "Mean PAI": (2, False),
    "Min PAI": (2, False), "Max PAI": (2, False), "Median RRI": (2, False),
    "Mean hit rate (%)": (1, False), "Mean area patrolled (%)": (1, False),
}


def _cell(v: object, st: ParagraphStyle, column: str = "") -> Paragraph:
    decimals, signed = _FORMATS.get(column, (None, False))
    if isinstance(v, bool) or v is None or isinstance(v, str):
        text = "" if v is None else str(v)
    elif isinstance(v, int | float) or hasattr(v, "item"):
        f = float(v)  # type: ignore[arg-type]
        if pd.isna(f):
            text = ""
        else:
            d = decimals if decimals is not None else (0 if f.is_integer() else 2)
            text = f"{'+' if signed and f > 0 else ''}{f:,.{d}f}"
    else:
        text = str(v)
    return Paragraph(_esc(text), st)


def _table(t: ReportTable, st: dict[str, ParagraphStyle], columns: Sequence[str],
           widths: Sequence[float], *, synthetic: bool = False) -> list[Any]:
    cols = [c for c in columns if c in t.frame]
    w = [widths[list(columns).index(c)] for c in cols]
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
    if "Borough" in cols:
        key = t.frame["Borough"].astype(str).tolist()
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
    title = t.title + ("  [SYNTHETIC]" if synthetic and "SYNTHETIC" not in t.title else "")
    return [Paragraph(_esc(title), st["h2"]), table, Spacer(1, 4), *notes]


# --------------------------------------------------------------------------- pages


def _title_page(text: PackText, sections: Sequence[MeasureSection],
                st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Spacer(1, 1.2 * cm), Paragraph(_esc(text.title), st["title"]),
                      Paragraph(_esc(text.subtitle), st["h2"]), Spacer(1, 8)]
    rows = [("Period", text.period), ("Area", text.area),
            ("Measures", "; ".join(s.label for s in sections)),
            *([("Patrol cells", text.patrol)] if text.patrol else []),
            ("Protective marking", text.marking)]
    if text.author:
        rows.append(("Prepared by", text.author))
    out.append(_kv(rows, st, 4.2 * cm))
    if text.synthetic:
        out += [Spacer(1, 12), Paragraph(
            "SYNTHETIC referrals: the referral figures in this pack are invented for the "
            "demonstration. Do not use them for decisions.", st["synthetic"])]
    out += [Spacer(1, 12), Paragraph("Data sources", st["h2"]), _kv(text.sources, st, 4.2 * cm)]
    return [*out, PageBreak()]


def _kv(rows: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle], first: float) -> Table:
    label = ParagraphStyle("kvl", parent=st["body"], fontName=FONT_BOLD, fontSize=8.5,
                           leading=11)
    value = ParagraphStyle("kvv", parent=st["body"], fontSize=8.5, leading=11)
    data = [[Paragraph(_esc(k), label), Paragraph(_esc(v), value)] for k, v in rows]
    t = Table(data, colWidths=[first, PAGE[0] - 2 * MARGIN - first - 0.2 * cm])
    t.setStyle(_ts([("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    return t


def _finding_block(head: str, findings: Sequence[Any], notes: Sequence[str],
                   st: dict[str, ParagraphStyle]) -> KeepTogether:
    block: list[Any] = [Paragraph(_esc(head), st["h2"])]
    for f in findings:
        block.append(Paragraph(_esc(f.text), st["bullet"], bulletText="•"))
        block.append(Paragraph(_esc(f"Source: table '{f.table}', row '{f.row_key}' "
                                    f"({', '.join(f.value_cols)})"), st["source"]))
    block += [Paragraph(_esc(n), st["small"]) for n in notes]
    return KeepTogether(block)


def _findings_page(text: PackText, sections: Sequence[MeasureSection],
                   st: dict[str, ParagraphStyle],
                   patrol: PatrolSection | None = None) -> list[Any]:
    out: list[Any] = [Paragraph("Key findings", st["h1"])]
    for s in sections:
        head = s.label + ("  [SYNTHETIC]" if s.synthetic and "SYNTHETIC" not in s.label
                          else "")
        block: list[Any] = [Paragraph(_esc(head), st["h2"])]
        for f in s.findings:
            block.append(Paragraph(_esc(f.text), st["bullet"], bulletText="•"))
            block.append(Paragraph(_esc(f"Source: table '{f.table}', row '{f.row_key}' "
                                        f"({', '.join(f.value_cols)})"), st["source"]))
        block += [Paragraph(_esc(n), st["small"]) for n in s.notes]
        out.append(KeepTogether(block))
    if patrol is not None and patrol.findings:
        out.append(_finding_block(
            f"Patrol cells ({patrol.study_area}, street level)", patrol.findings,
            [f"From {patrol.analysis.source}: another source than the ward maps; see the "
             "patrol method page."], st))
    if text.caveats:
        out.append(Paragraph("Caveats", st["h2"]))
        out += [Paragraph(_esc(c), st["bullet"], bulletText="•") for c in text.caveats]
    return [*out, PageBreak()]


_BOROUGH_COLS = ["Rank", "Borough", "Count", "Previous", "Change", "Change %",
                 "Rank (previous)"]
#: The local statistics of the measure alone (their maps and class columns are printed).
_CLASSED = registry.local_statistics(univariate=True)
_TOP_COLS = ["Rank", "Ward", "Borough", "Count", "Previous", "Change", "Change %",
             "Rank (previous)", "Rate per 1,000", "IMD decile",
             *(stat.words.class_title for stat in _CLASSED)]
_TOP_WIDTHS = [1.2 * cm, 4.2 * cm, 3.6 * cm, 1.6 * cm, 1.7 * cm, 1.6 * cm, 1.7 * cm, 1.9 * cm,
               1.9 * cm, 1.5 * cm, *(stat.words.print_width * cm for stat in _CLASSED)]
#: The statistics maps, two to a page.
_MAP_PAIRS = [tuple(f"{stat.prefix}_map" for stat in _CLASSED[i:i + 2])
              for i in range(0, len(_CLASSED), 2)]


def _section_pages(s: MeasureSection, figs: Sequence[FigureSpec],
                   st: dict[str, ParagraphStyle]) -> list[Any]:
    w = PAGE[0] - 2 * MARGIN
    h = PAGE[1] - 2 * MARGIN - 2 * BANNER_H - 2.4 * cm
    by = {f.name[len(s.slug) + 1:]: f for f in figs}
    out: list[Any] = []
    syn = "  [SYNTHETIC]" if s.synthetic and "SYNTHETIC" not in s.label else ""
    reading = {"measure_map": [f for f in s.findings if f.table.endswith(
                   ("_spearman", "_deprivation"))],
               _MAP_PAIRS[0][0]: [f for f in s.findings if f.table.endswith("_hotspots")]}
    pairs = [("Where: " + s.label + " beside deprivation", ("measure_map", "imd_map")),
             *(("Hot spots and clusters: " + s.label, keys) for keys in _MAP_PAIRS)]
    for heading, keys in pairs:
        if not any(k in by for k in keys):
            continue
        head = Paragraph(_esc(heading + syn), st["h1"])
        bullets = [Paragraph(_esc(f.text), st["bullet"], bulletText="•")
                   for f in reading.get(keys[0], [])]
        # The maps take whatever height the heading and reading leave (at most 100%).
        room = FRAME_H - _height([head, *bullets], FRAME_W) - 6 - 4
        imgs = [_image(by[k], FRAME_W / 2 - 0.15 * cm, room, enlarge=False)
                for k in keys if k in by]
        row = Table([imgs], colWidths=[FRAME_W / 2] * len(imgs))
        row.setStyle(_ts([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                 ("TOPPADDING", (0, 0), (-1, -1), 0),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
        out += [head, row, Spacer(1, 6), *bullets, PageBreak()]
    b = s.tables[f"{s.slug}_boroughs"]
    out += [*_table(b, st, _BOROUGH_COLS, [1.3 * cm, 5.5 * cm, 2.2 * cm, 2.2 * cm, 2.2 * cm,
                                           2.0 * cm, 2.4 * cm], synthetic=s.synthetic),
            PageBreak()]
    top = s.tables[f"{s.slug}_top_wards"]
    out += [*_table(top, st, _TOP_COLS, _TOP_WIDTHS, synthetic=s.synthetic),
            Paragraph(_esc(f"Every ward is in {s.slug}_wards.csv and the XLSX workbook."),
                      st["small"])]
    hs = s.tables[f"{s.slug}_hotspots"]
    out += [CondPageBreak(7 * cm),
            *_table(hs, st, ["Statistic", "Value", "Pseudo p", "Wards"],
                    [6.0 * cm, 3.5 * cm, 2.5 * cm, 2.0 * cm], synthetic=s.synthetic),
            PageBreak()]
    chart = by.get("monthly")
    if chart is not None:
        out += [Paragraph(_esc("Trend: " + s.label + syn), st["h1"]),
                _image(chart, w, h, enlarge=False)]
        if s.change is not None:
            out.append(Paragraph(_esc(f"Compared: {s.change.title}. "
                                      + " ".join(s.change.notes)), st["small"]))
        out.append(PageBreak())
    return out


@dataclass(frozen=True)
class MapTablePage:
    """An extra page of the pack: one map beside one table (e.g. patrol cells).

    Pass a sequence of these as ``extra_pages`` to
    :func:`hotspots.report.build_report`: each becomes a PDF page
    (:func:`map_table_page`, after the measures and before the method card), a
    300 dpi PNG of the map and a CSV of the whole table (formula cells
    neutralised), all listed in the manifest.

    Attributes
    ----------
    title
        Page heading.
    figure
        The map, e.g. :func:`hotspots.staticmaps.class_map` with
        ``figsize=(6.2, 5.6)`` so that it prints at 100%.
    table
        The rows to print beside it, as they should be read (already ranked,
        rounded and, for referrals, suppressed: the page prints cells as given).
    name
        File-safe stem of the PNG and CSV (default: from the title).
    notes
        Small print under the table (method, period, caveats).
    """

    title: str
    figure: Figure
    table: pd.DataFrame
    name: str = ""
    notes: tuple[str, ...] = ()


#: Share of the text width the map takes on a map-and-table page.
MAP_SHARE = 0.58


def map_table_page(figure: Figure, table: pd.DataFrame, title: str, *,
                   notes: Sequence[str] = (), max_rows: int = 30,
                   col_widths: Sequence[float] | None = None,
                   map_share: float = MAP_SHARE) -> list[Any]:
    """Return the flowables of one page: a heading, a map on the left, a table on the right.

    The hook for sections that are not a measure (the patrol cells of the
    tasking view): the caller draws the map and prepares the table; this lays
    them out on one A4 landscape page with the pack's fonts and marking.

    Parameters
    ----------
    figure
        The map (any matplotlib figure). It is placed at most at the size it
        was drawn, in the left ``map_share`` of the page, and shrunk to fit if
        larger.
    table
        Rows to print, in order; numbers get thousands separators, text is
        escaped. Only the first ``max_rows`` rows are printed, with a note
        saying how many there are (the CSV has them all). Disclosure control is
        the caller's: apply :func:`hotspots.disclosure.suppress_table` first for
        referrals.
    title
        Page heading.
    notes
        Small print under the table.
    max_rows
        Most rows printed (about 30 fit a page at the table font).
    col_widths
        Relative widths of the table's columns (scaled to the table's room);
        default equal widths.
    map_share
        Share of the text width the map's column takes (default
        :data:`MAP_SHARE`).

    Returns
    -------
    list
        reportlab flowables ending in a page break; add them to a story.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> cells = pd.DataFrame({"Cell": ["A1", "B2"], "Crimes": [12, 9]})
    >>> page = map_table_page(fig, cells, "Patrol cells: next week")
    >>> [type(f).__name__ for f in page][-1]
    'PageBreak'
    >>> plt.close(fig)
    """
    register_fonts()
    st = _styles()
    head = Paragraph(_esc(title), st["h1"])
    room = FRAME_H - _height([head], FRAME_W) - 4
    map_w = FRAME_W * map_share
    img = _image(figure, map_w - 0.3 * cm, room, enlarge=False)
    shown = table.head(max_rows)
    cols = [str(c) for c in shown.columns]
    tab_w = FRAME_W - map_w
    bold = ParagraphStyle("head", parent=st["cell"], fontName=FONT_BOLD, textColor=colors.white)
    rows = [[Paragraph(_esc(c), bold) for c in cols]]
    rows += [[_cell(v, st["cell"], c) for c, v in zip(cols, r, strict=True)]
             for r in shown.itertuples(index=False)]
    if col_widths is not None and len(col_widths) == len(cols) and sum(col_widths) > 0:
        widths = [tab_w * w / sum(col_widths) for w in col_widths]
    else:
        widths = [tab_w / max(len(cols), 1)] * len(cols)
    grid = Table(rows, colWidths=widths, repeatRows=1)
    style = [("BACKGROUND", (0, 0), (-1, 0), NAVY), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
             ("TOPPADDING", (0, 0), (-1, -1), 1.0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.0)]
    style += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f3f5f9"))
              for i in range(2, len(rows), 2)]
    grid.setStyle(_ts(style))
    small = list(notes)
    if len(table) > len(shown):
        small.insert(0, f"First {len(shown)} of {len(table)} rows; the CSV has them all.")
    right = [grid, Spacer(1, 4), *(Paragraph(_esc(n), st["small"]) for n in small if n)]
    body = Table([[img, right]], colWidths=[map_w, tab_w])
    body.setStyle(_ts([("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("LEFTPADDING", (0, 0), (-1, -1), 0),
                       ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                       ("TOPPADDING", (0, 0), (-1, -1), 0),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [head, body, PageBreak()]


_PATROL_BACKTEST_COLS = ["Method", "Months with a PAI", "Median PAI", "Mean PAI", "Min PAI",
                         "Max PAI", "Mean hit rate (%)", "Target area (%)", "Target cells",
                         "Mean area patrolled (%)", "Median RRI", "Crimes captured",
                         "Crimes (held-out months)"]


def _patrol_pages(p: PatrolSection, st: dict[str, ParagraphStyle]) -> list[Any]:
    """Return the patrol pages: cell map beside the list, the backtest, the method."""
    out = map_table_page(p.cell_map.figure, p.printed_list, p.title, notes=p.list_notes,
                         col_widths=[36, 80, 90, 42, 102], map_share=0.54)
    bt = p.tables.get("patrol_backtest")
    head = Paragraph(_esc(f"Patrol cells: would the method have worked? ({p.study_area})"),
                     st["h1"])
    out.append(head)
    out += [Paragraph(_esc(f.text), st["bullet"], bulletText="•") for f in p.findings]
    if bt is not None:
        w = 1.55 * cm
        out += _table(bt, st, _PATROL_BACKTEST_COLS, [2.2 * cm, *([w] * 12)])
        if p.pai_chart is not None:
            out += [Spacer(1, 4), _image(p.pai_chart, FRAME_W, 7.5 * cm, enlarge=False)]
    else:
        out.append(Paragraph("No backtest: the points cover too few months.", st["body"]))
    out += [PageBreak(), Paragraph(_esc(f"Patrol cells: method ({p.study_area})"), st["h1"]),
            _kv(p.method, st, 4.2 * cm), PageBreak()]
    return out


def _method_page(text: PackText, st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Paragraph("Method card", st["h1"]), _kv(text.method, st, 5.0 * cm)]
    if text.caveats:
        out += [Paragraph("Caveats", st["h2"])]
        out += [Paragraph(_esc(c), st["bullet"], bulletText="•") for c in text.caveats]
    return out


def write_pdf(path: Path, text: PackText, sections: Sequence[MeasureSection],
              figures: dict[str, list[FigureSpec]], *,
              extra: Sequence[FigureSpec] = (),
              extra_pages: Sequence[MapTablePage] = (),
              patrol: PatrolSection | None = None) -> Path:
    """Write the board-pack PDF.

    Parameters
    ----------
    path
        Output file.
    text
        Title page and method card words.
    sections
        One per measure.
    figures
        Measure slug -> its figures.
    extra
        Further figures, one page each, before the method card.
    extra_pages
        Map-and-table pages (:class:`MapTablePage`), after ``extra`` and the
        patrol pages, before the method card.
    patrol
        The patrol-cell pages (cell map and list, backtest, method), after
        ``extra``; their findings also go on the key findings page.

    Returns
    -------
    pathlib.Path
    """
    register_fonts()
    st = _styles()
    story: list[Any] = [*_title_page(text, sections, st),
                        *_findings_page(text, sections, st, patrol)]
    for s in sections:
        story += _section_pages(s, figures.get(s.slug, []), st)
    w, h = PAGE[0] - 2 * MARGIN, PAGE[1] - 2 * MARGIN - 2 * BANNER_H - 2.4 * cm
    for spec in extra:
        story += [Paragraph(_esc(spec.title), st["h1"]), _image(spec, w, h), PageBreak()]
    if patrol is not None:
        story += _patrol_pages(patrol, st)
    for page in extra_pages:
        story += map_table_page(page.figure, page.table, page.title, notes=page.notes)
    story += _method_page(text, st)
    doc = SimpleDocTemplate(
        str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=TOP, bottomMargin=BOTTOM,
        title=text.title, author=text.author or "hotspot-dashboard",
        subject=f"{text.period} ({text.marking})", creator="hotspot-dashboard",
        producer="hotspot-dashboard (reportlab)", invariant=1, initialFontName=FONT,
        initialFontSize=9)
    draw = _on_page(text)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return path

