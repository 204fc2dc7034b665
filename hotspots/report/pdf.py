"""The board-pack PDF: A4 landscape, embedded DejaVu fonts, a marking banner on every page.

Built with reportlab's platypus from the sections, figures and findings the
other modules prepared: title page, key findings, per measure the maps, tables
and monthly chart, then the method card. The protective marking is drawn at
the top and bottom of every page by the page callback; the document is written
with ``invariant=1`` (no creation date or random document id), so the same
inputs give the same bytes. The page size, fonts, styles, images and printed
tables are :mod:`hotspots.report.pdflayout`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from hotspots.report.content import MeasureSection
from hotspots.report.figures import FigureSpec
from hotspots.report.patrol import PatrolSection
from hotspots.report.pdflayout import (
    BANNER_H,
    BOTTOM,
    FONT,
    FONT_BOLD,
    FRAME_H,
    FRAME_W,
    GREY,
    MARGIN,
    NAVY,
    PAGE,
    PDF_DPI,
    RED,
    TOP,
    _cell,
    _cell_text,
    _esc,
    _height,
    _image,
    _styles,
    _table,
    _ts,
    fit_widths,
    register_fonts,
)
from hotspots.stats import registry as registry

__all__ = ["BOROUGH_COLUMNS", "FONT", "FONT_BOLD", "HOTSPOT_COLUMNS", "PATROL_BACKTEST_SKIP",
           "PDF_DPI", "TOP_WARD_COLUMNS", "MapTablePage", "PackText", "map_table_page",
           "patrol_backtest_columns", "register_fonts", "write_pdf"]


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
    measures_note: str = ""


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


# --------------------------------------------------------------------------- pages


def _title_page(text: PackText, sections: Sequence[MeasureSection],
                st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Spacer(1, 1.2 * cm), Paragraph(_esc(text.title), st["title"]),
                      Paragraph(_esc(text.subtitle), st["h2"]), Spacer(1, 8)]
    rows = [("Period", text.period), ("Area", text.area),
            ("Measures", "; ".join(s.label for s in sections) or text.measures_note),
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
                   patrol: PatrolSection | None = None,
                   profile: Sequence[Any] = ()) -> list[Any]:
    out: list[Any] = [Paragraph("Key findings", st["h1"])]
    if text.measures_note:
        out.append(_finding_block("Deprivation and population", profile,
                                  [text.measures_note], st))
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


#: Columns each table prints (in this order; a column the table lacks is left out).
HOTSPOT_COLUMNS = ["Statistic", "Value", "Pseudo p", "Wards"]
BOROUGH_COLUMNS = ["Rank", "Borough", "Count", "Population", "Rate per 1,000", "Previous",
                 "Change", "Change %", "Rank (previous)"]
#: The local statistics of the measure alone (their maps and class columns are printed).
_CLASSED = registry.local_statistics(univariate=True)
TOP_WARD_COLUMNS = ["Rank", "Ward", "Borough", "Count", "Previous", "Change", "Change %",
             "Rank (previous)", "Rate per 1,000", "Smoothed rate per 1,000", "IMD decile",
             *(stat.words.class_title for stat in _CLASSED)]
_TOP_WIDTHS = [1.2 * cm, 3.8 * cm, 3.2 * cm, 1.6 * cm, 1.7 * cm, 1.6 * cm, 1.7 * cm, 1.9 * cm,
               1.9 * cm, 2.0 * cm, 1.5 * cm, *(stat.words.print_width * cm for stat in _CLASSED)]
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
    heads = s.words.heading  # "Local authority", "<index> decile" outside London
    out += [*_table(b, st, [heads(c) for c in BOROUGH_COLUMNS],
                    [1.3 * cm, 5.5 * cm, 2.2 * cm, 2.4 * cm, 2.2 * cm, 2.2 * cm, 2.2 * cm,
                     2.0 * cm, 2.4 * cm],
                    synthetic=s.synthetic), PageBreak()]
    top = s.tables[f"{s.slug}_top_wards"]
    out += [*_table(top, st, [heads(c) for c in TOP_WARD_COLUMNS], _TOP_WIDTHS,
                    synthetic=s.synthetic),
            Paragraph(_esc(f"Every ward is in {s.slug}_wards.csv and the XLSX workbook."),
                      st["small"])]
    hs = s.tables[f"{s.slug}_hotspots"]
    out += [CondPageBreak(7 * cm),
            *_table(hs, st, HOTSPOT_COLUMNS,
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


def _table_column(table: pd.DataFrame, n: int, st: dict[str, ParagraphStyle], tab_w: float,
                  col_widths: Sequence[float] | None, notes: Sequence[str]) -> list[Any]:
    """Return the right-hand column of :func:`map_table_page`: the first ``n`` rows, notes."""
    shown = table.head(n)
    cols = [str(c) for c in shown.columns]
    bold = ParagraphStyle("head", parent=st["cell"], fontName=FONT_BOLD, textColor=colors.white)
    rows = [[Paragraph(_esc(c), bold) for c in cols]]
    rows += [[_cell(v, st["cell"], c) for c, v in zip(cols, r, strict=True)]
             for r in shown.itertuples(index=False)]
    if col_widths is not None and len(col_widths) == len(cols) and sum(col_widths) > 0:
        widths = [tab_w * w / sum(col_widths) for w in col_widths]
    else:
        widths = [tab_w / max(len(cols), 1)] * len(cols)
    widths = fit_widths(cols, [[_cell_text(v, c) for v in shown[c]] for c in shown.columns],
                        widths, size=st["cell"].fontSize, total=tab_w)
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
    return [grid, Spacer(1, 4), *(Paragraph(_esc(x), st["small"]) for x in small if x)]


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
    tab_w = FRAME_W - map_w
    n = min(max_rows, len(table))
    while True:  # fewer rows until the table fits beside the map (long street names wrap)
        right = _table_column(table, n, st, tab_w, col_widths, notes)
        if n <= 1 or _height(right, tab_w) <= room:
            break
        n = max(1, n * 3 // 4)
    body = Table([[img, right]], colWidths=[map_w, tab_w])
    body.setStyle(_ts([("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("LEFTPADDING", (0, 0), (-1, -1), 0),
                       ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                       ("TOPPADDING", (0, 0), (-1, -1), 0),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [head, body, PageBreak()]


#: Backtest columns kept out of the printed table (they are in the CSV and XLSX).
PATROL_BACKTEST_SKIP = ("Description", "Months held out")


def patrol_backtest_columns(frame: pd.DataFrame) -> list[str]:
    """Return the columns of the patrol backtest table the PDF prints, in order."""
    return [str(c) for c in frame.columns if c not in PATROL_BACKTEST_SKIP]


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
        cols = patrol_backtest_columns(bt.frame)
        out += _table(bt, st, cols, [2.2 * cm, *([1.55 * cm] * (len(cols) - 1))])
        if p.pai_chart is not None:
            out += [Spacer(1, 4), _image(p.pai_chart, FRAME_W, 7.5 * cm, enlarge=False)]
    else:
        out.append(Paragraph("No backtest: the points cover too few months.", st["body"]))
    out += [PageBreak(), Paragraph(_esc(f"Patrol cells: method ({p.study_area})"), st["h1"])]
    for head, text in p.method:  # short sections with headings, as on the page
        out.append(KeepTogether([Paragraph(_esc(head), st["h2"]),
                                 Paragraph(_esc(text), st["method"])]))
    return [*out, PageBreak()]


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
              patrol: PatrolSection | None = None,
              profile_findings: Sequence[Any] = ()) -> Path:
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
    profile_findings
        Findings of an area profile (a pack without measures,
        :mod:`hotspots.report.profile`), printed with ``text.measures_note``.

    Returns
    -------
    pathlib.Path
    """
    register_fonts()
    st = _styles()
    story: list[Any] = [*_title_page(text, sections, st),
                        *_findings_page(text, sections, st, patrol, profile_findings)]
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
    # Images go in as binary Flate streams, not ASCII85 text: without reportlab's C
    # accelerator (not installed) ASCII85 is pure Python, ~10% of a board pack's time,
    # and it makes the file a quarter larger. Every PDF reader takes either.
    rl_config.useA85 = 0
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return path
