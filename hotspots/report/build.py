"""Build a board pack from a config: PDF, PNG maps, CSV/XLSX tables and a run manifest.

:func:`build_report` is the one entry point, used by the CLI
(``python -m hotspots report --config report.toml``) and by the page's export
button (:mod:`ui.report`).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hotspots import periods, pipeline, privacy
from hotspots._errors import InputDataError
from hotspots.config import file_sha256, run_manifest, write_manifest
from hotspots.maps.classify import SCHEMES
from hotspots.pipeline import wording
from hotspots.report import audit
from hotspots.report.config import (
    ReportConfig,
    load_config,
)
from hotspots.report.configfile import config_to_mapping, config_toml
from hotspots.report.content import (
    Finding,
    MeasureSection,
    Table,
    build_section,
    resolve_period,
    safe_name,
)
from hotspots.report.figures import FigureSpec, save_png, section_figures
from hotspots.report.method import (
    area_text,
    caveat_lines,
    deprivation_text,
    method_rows,
    source_rows,
)
from hotspots.report.patrol import (
    PatrolSection,
    build_patrol_section,
    patrol_manifest,
    patrol_status,
)
from hotspots.report.pdf import MapTablePage, PackText, write_pdf
from hotspots.report.profile import (
    NO_CRIME_LINE,
    PROFILE_CAVEAT,
    AreaProfile,
    area_profile,
    profile_method_rows,
)

__all__ = ["ReportOutputs", "build_report", "load_report_pack", "main"]

#: Manifest keys that change from run to run (left out when comparing two runs).
VOLATILE_MANIFEST_KEYS = ("created_utc",)

#: The config that rebuilds a pack, written into it.
CONFIG_FILE = "board_pack_config.toml"


def _config_note(pack: pipeline.Pack) -> str:
    """Say when a config cannot name the pack's data (files uploaded on the page)."""
    uploads = pack.meta.uploads
    if pack.folder is not None or uploads is None:
        return ""
    files = ", ".join(str(f) for f in uploads.files or ()) or "uploads"
    return (f"Built on the page from uploaded files ({files}) on top of a base pack: give "
            "them under [data] (areas, police_uk, referrals + mapping, ...) to rebuild it.")


@dataclass(frozen=True)
class ReportOutputs:
    """What :func:`build_report` wrote.

    Attributes
    ----------
    folder
        The output folder.
    pdf
        The PDF (``None`` when ``"pdf"`` is not among the formats).
    pngs, csvs
        One PNG per figure (300 dpi); one CSV per table.
    xlsx
        Workbook with one sheet per table plus a notes sheet.
    manifest
        ``manifest.json``.
    sections
        One per measure, with its tables and findings.
    patrol
        The patrol-cell pages' analysis, tables and findings (``None`` when
        left out).
    patrol_reason
        Why the patrol pages are in or out (also in the manifest).
    config
        ``board_pack_config.toml``: the config that rebuilds this pack
        (``python -m hotspots report --config``), the page's choices included.
    profile_findings
        The findings of an area profile (a pack without measures).
    """

    folder: Path
    pdf: Path | None
    pngs: tuple[Path, ...]
    csvs: tuple[Path, ...]
    xlsx: Path | None
    manifest: Path
    sections: tuple[MeasureSection, ...]
    patrol: PatrolSection | None = None
    patrol_reason: str = ""
    config: Path | None = None
    profile_findings: tuple[Finding, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file written, in a stable order."""
        out = [p for p in (self.pdf, self.xlsx) if p is not None]
        conf = (self.config,) if self.config is not None else ()
        return (*out, *self.pngs, *self.csvs, *conf, self.manifest)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding of every measure, then the patrol findings."""
        patrol = self.patrol.findings if self.patrol is not None else ()
        return (*(f for s in self.sections for f in s.findings), *patrol,
                *self.profile_findings)

    @property
    def tables(self) -> dict[str, Table]:
        """Every table by name (the patrol tables too)."""
        out = {k: t for s in self.sections for k, t in s.tables.items()}
        return out | (dict(self.patrol.tables) if self.patrol is not None else {})


def load_report_pack(cfg: ReportConfig) -> pipeline.Pack:
    """Load the pack a config names (a pack folder, the demo pack, or individual files)."""
    if cfg.files:
        f = {k: Path(v) if k != "layer" else v for k, v in cfg.file_inputs.items()}
        return pipeline.assemble_pack(
            f.pop("areas"), layer=f.pop("layer", None),  # type: ignore[arg-type]
            **f)  # type: ignore[arg-type]
    return pipeline.load_pack(cfg.pack)


# --------------------------------------------------------------------------- writers


def _write_csvs(folder: Path, tables: dict[str, Table],
                sections: Sequence[MeasureSection], marking: str) -> list[Path]:
    out: list[Path] = []
    for name, t in tables.items():
        p = folder / f"{safe_name(name, max_len=80)}.csv"
        privacy.write_csv(t.frame, p)
        out.append(p)
    for s in sections:
        m = s.monthly[["year_name", "month", "month_label", "count_display", "status"]]
        p = folder / f"{s.slug}_monthly.csv"
        privacy.write_csv(m, p)
        out.append(p)
    notes = [{"table": "(all)", "note": f"Protective marking: {marking}"}]
    notes += [{"table": n, "note": x} for n, t in tables.items() for x in t.notes if x]
    p = folder / "notes.csv"
    privacy.write_csv(pd.DataFrame(notes), p)
    out.append(p)
    return out


def _xlsx_value(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()  # numpy scalar -> Python
    return privacy.neutralise_formula(v)


def _write_xlsx(path: Path, tables: dict[str, Table], marking: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append([_xlsx_value(marking)])
    notes["A1"].font = Font(bold=True)
    used = {"notes"}
    for name, t in tables.items():
        sheet = privacy.safe_sheet_name(safe_name(name, max_len=28))
        base, i = sheet, 2
        while sheet.lower() in used:
            sheet, i = f"{base[:25]}-{i}", i + 1
        used.add(sheet.lower())
        ws = wb.create_sheet(sheet)
        ws.append([_xlsx_value(marking)])
        ws.append([_xlsx_value(t.title)])
        ws["A1"].font = Font(bold=True)
        ws.append([])
        ws.append([_xlsx_value(c) for c in t.frame.columns])
        for row in t.frame.itertuples(index=False):
            ws.append([_xlsx_value(v) for v in row])
        ws.append([])
        for n in t.notes:
            ws.append([_xlsx_value(n)])
        notes.append([sheet, _xlsx_value(t.title)])
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_fixed_zip(buf.getvalue()))
    return path


_XLSX_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a workbook with fixed entry and document times (openpyxl stamps the clock).

    The same tables then give the same bytes.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _XLSX_TIME.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, body)
    return out.getvalue()


def _selection(cfg: ReportConfig, sections: Sequence[MeasureSection],
               current: periods.Period | None) -> dict[str, Any]:
    """Return the selection behind every figure, with the names the page and the CLI use."""
    mc = cfg.map_classes
    return {
        "measure": cfg.measures[0] if len(cfg.measures) == 1 else list(cfg.measures),
        "measures": {s.measure: s.analysis.ward.label for s in sections},
        "month_from": current.start if current else None,
        "month_to": current.end if current else None,
        "period_label": current.label if current else "no crime data",
        "comparison": cfg.comparison, "rate": cfg.rate,
        "rate_label": pipeline.RATE_WORDS[cfg.rate],
        "smoothing": (f"{pipeline.EB_METHOD_WORDS} (esda's Empirical_Bayes arithmetic in "
                      "numpy; "
                      "Marshall 1991)" if cfg.rate == "eb_per_1000" else "none"),
        "boroughs": list(cfg.boroughs),
        "classification": {"scheme": mc.scheme, "scheme_label": SCHEMES[mc.scheme].label,
                           "k": mc.k, "bins": list(mc.bins) if mc.bins else None,
                           "palette": mc.palette, "first_class_from_zero": mc.from_zero},
        "statistics": asdict(cfg.statistics),
        "suppress_below": cfg.suppress_below,
    }


def _manifest(cfg: ReportConfig, pack: pipeline.Pack, sections: Sequence[MeasureSection],
              current: periods.Period | None, outputs: Sequence[Path], command: str,
              patrol: dict[str, Any] | None = None,
              patrol_findings: Sequence[Finding] = ()) -> dict[str, Any]:
    inputs: dict[str, Path | str | None] = (
        {k: v for k, v in cfg.file_inputs.items() if k != "layer"} if cfg.files
        else {"pack": pack.folder})
    if cfg.source is not None:
        inputs["config"] = cfg.source
    params = {
        "selection": _selection(cfg, sections, current),
        "config": {k: v for k, v in config_to_mapping(cfg).items() if k != "output"},
        "title": cfg.title, "marking": cfg.marking,
        "measures": list(cfg.measures) if current else [],
        "deprivation": pack.meta.deprivation or {"label": wording.index_label(pack.meta)},
        "period": ({"from": current.start, "to": current.end, "label": current.label}
                   if current else {"from": None, "to": None, "label": NO_CRIME_LINE}),
        "comparison": cfg.comparison, "boroughs": list(cfg.boroughs),
        "statistics": asdict(cfg.statistics), "suppress_below": cfg.suppress_below,
        "top_wards": cfg.top_wards, "formats": list(cfg.formats), "caveats": list(cfg.caveats),
        # pipeline.params_for_export: no global value of a sensitive measure (registry rule)
        "sections": {s.measure: pipeline.analysis.params_for_export(s.analysis)
                     for s in sections},
        "findings": [{"text": f.text, "table": f.table, "row_key": f.row_key,
                      "value_cols": list(f.value_cols)}
                     for f in [*(f for s in sections for f in s.findings), *patrol_findings]],
        "patrol": patrol or {"included": False},
    }
    m = run_manifest(command=command, inputs=inputs, parameters=params)
    m["outputs"] = {p.name: file_sha256(p) for p in outputs}
    m["volatile_keys"] = list(VOLATILE_MANIFEST_KEYS)
    return m


def _pack_text(cfg: ReportConfig, pack: pipeline.Pack, current: periods.Period | None,
               sections: Sequence[MeasureSection], patrol: PatrolSection | None,
               profile: AreaProfile | None, patrol_left_out: str = "") -> PackText:
    """Return the title page and method card words (an area profile's when no period)."""
    return PackText(
        title=cfg.title,
        subtitle=cfg.organisation or pack.meta.title or "",
        marking=cfg.marking, period=current.label if current else "No crime data",
        area=area_text(pack, cfg), author=", ".join(
            x for x in (cfg.author, cfg.organisation) if x),
        sources=tuple(source_rows(pack, sections, patrol)),
        method=tuple(method_rows(pack, cfg, current, sections, patrol_left_out) if current else
                     profile_method_rows(pack, deprivation_text(pack.meta))),
        caveats=tuple(caveat_lines(pack, cfg, sections) if current else
                      [*cfg.caveats, PROFILE_CAVEAT]),
        synthetic=any(s.synthetic for s in sections),
        patrol=(f"{patrol.study_area}, {patrol.analysis.period_label} "
                f"({patrol.analysis.source})" if patrol is not None else ""),
        measures_note=NO_CRIME_LINE if profile is not None else "")


def _patrol(pack: pipeline.Pack, cfg: ReportConfig, current: periods.Period | None
            ) -> tuple[PatrolSection | None, tuple[bool, str]]:
    """Return the patrol pages (or None) and why they are in or out."""
    if current is None:
        return None, (False, NO_CRIME_LINE)
    status = patrol_status(pack, cfg)
    try:
        return (build_patrol_section(pack, cfg, current) if status[0] else None), status
    except InputDataError as e:  # e.g. a county too large for patrol cells
        if cfg.patrol.enabled:  # asked for: the config must change
            raise
        return None, (False, str(e))


# --------------------------------------------------------------------------- build


_FAMILY_WORDS = {"referrals": "referrals", "crime": "recorded crime (police.uk or MPS)",
                 "asb": "anti-social behaviour"}


def _check_measures(pack: pipeline.Pack, cfg: ReportConfig) -> None:
    """Refuse, naming it, a measure of a kind the pack has no records of (e.g. referrals).

    Without this the first statistic failed on a measure of zeros ("take a single value
    (0.0)"), naming neither the measure nor the cause.
    """
    offered = list(pipeline.measure_options(pack))
    where = str(cfg.source) if cfg.source is not None else "report config"
    for m in cfg.measures:
        family = str(m).split(":", 1)[0]
        if not any(k.split(":", 1)[0] == family for k in offered):
            raise InputDataError(
                f"{where}: measures = ['{m}', ...], but the pack has no "
                f"{_FAMILY_WORDS.get(family, family)} records. Remove '{m}' from measures, "
                "or add the data to the pack. The pack's measures: "
                + ", ".join(offered[:4]) + (", ..." if len(offered) > 4 else "") + ".")


def build_report(cfg: ReportConfig, *, pack: pipeline.Pack | None = None,
                 command: str | None = None,
                 extra_figures: Sequence[FigureSpec] = (),
                 extra_pages: Sequence[MapTablePage] = ()) -> ReportOutputs:
    """Build the board pack a config describes.

    Parameters
    ----------
    cfg
        The validated config (see :func:`hotspots.report.load_config`).
    pack
        An already loaded pack (the page passes its own); default: load the
        one the config names.
    command
        What produced the pack, for the manifest (default: the CLI command).
    extra_figures
        Optional further figures printed after the measures, each on its own
        page, and saved as PNG.
    extra_pages
        Optional map-and-table pages (:class:`hotspots.report.pdf.MapTablePage`:
        ``MapTablePage(title, figure, table)``), printed after the patrol
        pages by :func:`hotspots.report.pdf.map_table_page`; each also writes
        ``<name>.png`` (300 dpi) and ``<name>.csv``.

    Notes
    -----
    Patrol cells (``cfg.patrol``, :mod:`hotspots.report.patrol`): when the
    pack has street-level points (and the config does not switch them off),
    one :func:`hotspots.patrol.analysis.analyse_patrol` run adds, before the
    method card, the cell map beside the patrol list, the backtest with its
    finding and the patrol method; ``patrol_cell_map.png``,
    ``patrol_backtest_pai.png`` and ``patrol_list``, ``patrol_backtest``,
    ``patrol_backtest_months``, ``patrol_grid``, ``patrol_reconciliation``
    as CSV and XLSX sheets.

    Returns
    -------
    ReportOutputs

    Raises
    ------
    InputDataError, ValueError
        For unusable inputs, an unknown measure or borough, or a period
        outside the data.
    """
    pack = load_report_pack(cfg) if pack is None else pack
    profile = None if wording.has_measure(pack) else area_profile(pack, cfg)
    if profile is None:
        _check_measures(pack, cfg)
    current = resolve_period(pack.months, cfg) if profile is None else None
    sections = ([build_section(pack, cfg, m, current) for m in cfg.measures]
                if current is not None else [])
    patrol, status = _patrol(pack, cfg, current)
    if profile is not None:
        extra_pages = [*profile.pages, *extra_pages]
    folder = Path(cfg.output)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {s.slug: section_figures(s, pack.meta, classes=cfg.map_classes) for s in sections}
    patrol_figs = list(patrol.figures) if patrol is not None else []
    pngs: list[Path] = []
    if "png" in cfg.formats:
        for spec in [*(f for fs in figures.values() for f in fs), *extra_figures,
                     *patrol_figs]:
            pngs.append(save_png(spec, folder))
    stems = [safe_name(p.name or p.title, max_len=80) for p in extra_pages]
    if "png" in cfg.formats:
        for page, stem in zip(extra_pages, stems, strict=True):
            pngs.append(save_png(FigureSpec(stem, page.title, page.figure, "map"), folder))
    tables = {k: t for s in sections for k, t in s.tables.items()}
    if profile is not None:
        tables |= profile.tables
    if patrol is not None:
        tables |= patrol.tables
    csvs = _write_csvs(folder, tables, sections, cfg.marking) if "csv" in cfg.formats else []
    if "csv" in cfg.formats:
        for page, stem in zip(extra_pages, stems, strict=True):
            path = folder / f"{stem}.csv"
            if path in csvs:  # an area profile page's table, written above
                continue
            privacy.write_csv(page.table, path)
            csvs.append(path)
    xlsx = (_write_xlsx(folder / f"{safe_name(cfg.title)}.xlsx", tables, cfg.marking)
            if "xlsx" in cfg.formats else None)
    pdf = None
    if "pdf" in cfg.formats:
        text = _pack_text(cfg, pack, current, sections, patrol, profile,
                          "" if patrol is not None or status[0] or cfg.patrol.enabled is False
                          else status[1])  # switched off: the user's choice, in the config
        pdf = write_pdf(folder / f"{safe_name(cfg.title)}.pdf", text, sections, figures,
                        extra=extra_figures, extra_pages=extra_pages, patrol=patrol,
                        profile_findings=profile.findings if profile is not None else ())
    for f in [*(f for fs in figures.values() for f in fs), *patrol_figs]:
        f.figure.clear()
    conf = folder / CONFIG_FILE
    conf.write_text(config_toml(cfg, note=_config_note(pack)), encoding="utf-8")
    written = [p for p in (pdf, xlsx) if p is not None] + pngs + csvs + [conf]
    cmd = command or "python -m hotspots " + " ".join(sys.argv[1:])
    manifest = write_manifest(
        _manifest(cfg, pack, sections, current, written, cmd,
                  patrol=patrol_manifest(patrol, status),
                  patrol_findings=[*(patrol.findings if patrol is not None else ()),
                                   *(profile.findings if profile is not None else ())]),
        folder / "manifest.json")
    return ReportOutputs(folder, pdf, tuple(pngs), tuple(csvs), xlsx, manifest,
                         tuple(sections), patrol, status[1], conf,
                         profile.findings if profile is not None else ())


def comparable_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest without its volatile keys (the wall-clock time), for comparisons."""
    m = json.loads(Path(path).read_text(encoding="utf-8"))
    for k in m.get("volatile_keys", VOLATILE_MANIFEST_KEYS):
        m.pop(k, None)
    return m


def main(args: argparse.Namespace) -> int:
    """Run ``python -m hotspots report --config FILE [--out DIR]``; return the exit code."""
    cfg = load_config(args.config)
    if getattr(args, "out", None) is not None:
        cfg = cfg.with_output(args.out)
    # Everything imported so far (pandas, matplotlib, reportlab ...) lives as long as the
    # process: frozen, the collector stops walking it on every full collection of the
    # build's many short-lived objects (0.2-0.3 CPU s of the demo pack, issue 18).
    gc.freeze()
    try:
        out = build_report(cfg)
    finally:
        gc.unfreeze()
    # the period printed (a config's latest_months resolves to months only when built)
    sel = out.sections[0].analysis.ward.selection if out.sections else None
    audit.record(audit.audit_entry(
        user=audit.local_user(), via="cli", export="board pack", files=[f.name for f in out.files],
        data=str(cfg.pack) if cfg.pack else ("files" if cfg.files else "demo pack"), selection={
            "measure": ", ".join(cfg.measures),
            "month_from": sel.month_from if sel is not None else cfg.month_from,
            "month_to": sel.month_to if sel is not None else cfg.month_to, "rate": cfg.rate,
            "boroughs": list(cfg.boroughs)},
        suppress_below=cfg.suppress_below))
    for s in out.sections:
        tag = "  [SYNTHETIC]" if s.synthetic and "SYNTHETIC" not in s.label else ""
        print(f"{s.label}: {len(s.findings)} findings{tag}")
        for f in s.findings:
            print(f"  - {f.text}")
    if not out.sections:
        print(NO_CRIME_LINE)
    elif out.patrol is not None:
        print(f"Patrol cells ({out.patrol.study_area}): {len(out.patrol.findings)} findings")
        for f in out.patrol.findings:
            print(f"  - {f.text}")
    else:
        print(f"Patrol cells: left out ({out.patrol_reason}).")
    print(f"Wrote {len(out.files)} files to {out.folder}" + (
        f" (PDF: {out.pdf.name})" if out.pdf else ""))
    return 0
