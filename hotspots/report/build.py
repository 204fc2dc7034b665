"""Build a board pack from a config: PDF, PNG maps, CSV/XLSX tables and a run manifest.

:func:`build_report` is the one entry point, used by the CLI
(``python -m hotspots report --config report.toml``) and by the page's export
button (:mod:`ui.report`).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hotspots import periods, pipeline, privacy, stats
from hotspots._errors import InputDataError
from hotspots.config import file_sha256, run_manifest, write_manifest
from hotspots.maps.classify import SCHEMES
from hotspots.pipeline import wording
from hotspots.report import audit
from hotspots.report.config import (
    COMPARISONS,
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
from hotspots.report.patrol import (
    PatrolSection,
    build_patrol_section,
    patrol_manifest,
    patrol_status,
)
from hotspots.report.pdf import MapTablePage, PackText, write_pdf

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
        return (*(f for s in self.sections for f in s.findings), *patrol)

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


# --------------------------------------------------------------------------- words


def _area_text(pack: pipeline.Pack, cfg: ReportConfig) -> str:
    areas = pack.areas
    if cfg.boroughs:
        areas = areas[areas["borough_name"].isin(cfg.boroughs)]
        where = ", ".join(cfg.boroughs)
    else:
        n = areas["borough_name"].nunique()
        w = wording.words(pack.meta)
        where = (f"all {n} {w.authorities}" if n != 1 else
                 f"the {w.authority_lower} of {areas['borough_name'].iloc[0]}")
    return f"{len(areas):,} wards in {where}. Boundaries: {_stated(pack.meta.vintage)}."


def _stated(text: str | None) -> str:
    """Return a pack.json text, or "not stated" when the pack has none."""
    return "not stated" if text is None else text


def _sources(pack: pipeline.Pack, sections: Sequence[MeasureSection],
             patrol: PatrolSection | None = None) -> list[tuple[str, str]]:
    m = pack.meta
    placement = m.placement or {}
    rows = [("Boundaries", _stated(m.vintage))]
    if any(not s.sensitive for s in sections):
        rows.append(("Recorded crime", " ".join(x for x in (
            _stated(m.crime_source), m.crime_coverage_note or "", m.crime_note or "") if x) + (
            f" Placed by {placement['crime']}." if placement.get("crime") else "")))
    if any(s.sensitive for s in sections):
        syn = (" SYNTHETIC: generated by this project; not real data."
               if m.synthetic_referrals else "")
        rows.append(("Referrals", f"Placed by {placement.get('referrals', 'not stated')}."
                     + syn))
    if patrol is not None:
        rows.append(("Street-level crime (patrol cells)", patrol.source_text))
    rows += [("Population (rates)", _stated(m.population_source)),
             ("Deprivation", "; ".join(x for x in (
                 _stated(m.imd_source), m.imd_reference or "") if x)),
             ("Attribution", pipeline.attribution_text(
                 m, referrals=any(s.sensitive for s in sections)) or "not stated")]
    return rows


def _weights_text(h: dict[str, Any]) -> str:
    w = h.get("weights", {}) or {}
    islands = int(w.get("n_islands", 0) or 0)
    return (f"{w.get('criterion', w.get('kind', '?'))}; {w.get('transform', '')}; "
            f"{islands} island(s)" + (f" linked by {w.get('island_fallback')}" if islands else "")
            + f"; {w.get('n_areas', '?')} areas.")


def _values_text(cfg: ReportConfig) -> str:
    """Say what a ward's value is (as on the page): a count, a rate or a smoothed rate."""
    if cfg.rate == "count":
        return "Counts of records per ward in the period; maps, ranks and top wards by count."
    text = ("Rates per 1,000 residents (Census 2021 usual resident population of each ward); "
            "maps, ranks, top wards and the hot spot statistics use the rate.")
    if cfg.rate == "eb_per_1000":
        text += (f" Smoothed by {pipeline.EB_METHOD_WORDS}: "
                 f"{stats.rates.SMOOTHERS[pipeline.EB_METHOD].description} Computed with "
                 "esda.smoothing.Empirical_Bayes over the wards shown; borough rates are "
                 "crude.")
    return text


def _classes_text(cfg: ReportConfig) -> str:
    mc = cfg.map_classes
    how = (f"class upper bounds {', '.join(f'{b:g}' for b in mc.bins or ())}"
           if mc.scheme == "user_defined" else f"{mc.k} classes")
    return (f"{SCHEMES[mc.scheme].description} Measure map: {how}, palette {mc.palette} "
            "(ColorBrewer, colour-blind safe); grey = no data (never zero).")


def _method(pack: pipeline.Pack, cfg: ReportConfig, current: periods.Period,
            sections: Sequence[MeasureSection]) -> list[tuple[str, str]]:
    h = sections[0].analysis.params.get("hotspots", {}) if sections else {}
    p = cfg.statistics
    aw = wording.words(pack.meta)
    flagged = (wording.incomplete_month_notes(pack.meta)
               if any(not s.sensitive for s in sections) else {})
    scale = "; ".join(f"{w} from {b:g}" for b, w in stats.WORDING_SCALE)
    rows = [
        ("Boundary set", _stated(pack.meta.vintage)),
        ("Period", f"{current.label} (whole calendar months, inclusive); compared with "
                   f"{COMPARISONS[cfg.comparison]}."),
        ("Values", _values_text(cfg)),
        ("Map classes", _classes_text(cfg)),
        ("Spatial weights", _weights_text(h)),
        ("Permutations and seed", f"{p.permutations:,} conditional permutations, seed "
                                  f"{p.seed}; {h.get('p_value', 'two-sided pseudo p-values')}."),
        ("Multiple testing", f"{h.get('correction_text', p.correction)} over all wards tested, "
                             f"before any label; alpha = {p.alpha:g} for LISA; Gi* classes at "
                             "q <= 0.01 / 0.05 / 0.10 (99 / 95 / 90%)."),
        ("Statistics", ", ".join(stat.words.card for stat in (
            *stats.registry.local_statistics(), *stats.registry.global_statistics())
            if stat.words.card)
         + f"; Spearman's rank correlation with {aw.index} score, 95% CI, ties averaged; "
           "wording: "
           f"{scale}."),
        *([("Deprivation", _deprivation_text(pack.meta))] if pack.meta.deprivation else []),
        ("Deprivation headline", f"Wards with at least {p.min_count} in the period, against "
                                 f"the 20% of this map's wards with the highest {aw.index} "
                                 f"score (a quantile of these wards, not {aw.nation}'s "
                                 "deciles)."),
        ("Ranks and change", "Competition ranking (1, 2, 2, 4), 1 = highest; change = count "
                             "minus previous count; % change blank on a zero base ('new')."),
        ("Suppression", f"Referral counts from 1 to {cfg.suppress_below - 1} shown as "
                        f"'<{cfg.suppress_below}' in every table, map and chart (primary); "
                        "further cells hidden where a total would reveal one (secondary, "
                        "marked 'c' or 'suppressed'); their change, rank and rate hidden too. "
                        "Referrals are shown by ward only, never as points."),
        ("Disclosure markers", f"'<{cfg.suppress_below}' = a small count (1 to "
                               f"{cfg.suppress_below - 1}) hidden; 'c' = a count hidden to "
                               "protect a small count (so a total cannot reveal it); "
                               "'suppressed' = a change, rank or rate hidden because a count "
                               "it uses is hidden; hatched grey on maps = suppressed ward; gap "
                               "in a monthly chart = hidden or not covered month. Zero is "
                               "shown as 0: it discloses no one."),
        ("Referral locations", "No point location of a referral is used anywhere in this "
                               "pack: referrals enter only as counts per ward (by the "
                               "placement basis named under data sources), and no map, table, "
                               "chart, PNG, CSV or XLSX holds a point, address or postcode."),
        ("Reconciliation", " ".join(
            f"{r['source']}: {int(r['rows_in']):,} rows = {int(r['assigned']):,} assigned + "
            f"{int(r['unlocated']):,} without a location + {int(r['outside']):,} outside + "
            f"{int(r['rejected']):,} rejected." for _, r in _shown_sources(pack, sections))),
        *([("Incomplete months", "; ".join(
            f"{m}: {n.removeprefix('looks incomplete: ')}" for m, n in flagged.items())
            + f". Rule: {pack.meta.months_incomplete_rule or 'not stated'}.")]
          if flagged else []),
        ("Reproduce", "python -m hotspots report --config <this config>; manifest.json lists "
                      "every input's SHA-256, every parameter and the package versions."),
    ]
    return rows


def _shown_sources(pack: pipeline.Pack,
                   sections: Sequence[MeasureSection]) -> Iterator[tuple[int, pd.Series]]:
    """Reconciliation rows of the sources behind the pack's measures (crime, referrals)."""
    kinds = tuple({"Referrals" if s.sensitive else "Recorded crime" for s in sections})
    rec = pack.reconciliations
    return rec[rec["source"].astype(str).str.startswith(kinds)].iterrows() if kinds else iter(())


def _deprivation_text(meta: pipeline.PackMeta) -> str:
    """Say which index, edition, nation and population base a built pack's deprivation is."""
    d = meta.deprivation or {}
    parts = [f"{d.get('edition', wording.index_label(meta))} ({d.get('nation', '?')}); "
             f"population base: {d.get('population_base', 'not stated')}",
             str(d.get("score_rule", "")), str(d.get("rank_rule", "")),
             str(d.get("decile_rule", "")), str(d.get("caveat", ""))]
    return "; ".join(x for x in parts if x) + "."


def _caveats(pack: pipeline.Pack, cfg: ReportConfig,
             sections: Sequence[MeasureSection]) -> list[str]:
    out = list(cfg.caveats)
    if any(not s.sensitive for s in sections):
        out += ["Recorded crime reflects what is reported to and recorded by the police: a "
                "change can be a change in recording practice or reporting, not in crime.",
                "police.uk street-level locations are snapped to anonymous map points, so "
                "offences near a ward boundary can be placed in the neighbouring ward."]
        if pack.meta.crime_coverage_note:
            out.append(pack.meta.crime_coverage_note)
        flagged = wording.incomplete_month_notes(pack.meta)
        if flagged:
            out.append("Months that look incomplete in the police.uk files (read them as "
                       f"partial, not as a fall in crime): {periods.months_text(list(flagged))}"
                       ". The method card gives each month's numbers and the rule.")
    if any(s.measure == pipeline.ASB_KEY for s in sections):
        out.append("Anti-social behaviour is police.uk's count of ASB incidents reported to the "
                   "police: not recorded crime, so it is a measure of its own and never part of "
                   "'all recorded crime'.")
    if any(s.synthetic for s in sections):
        out.append("The referrals in this pack are SYNTHETIC (invented by the project with a "
                   "fixed seed) and must not be used for decisions.")
    out.append("Hot spots are statistical patterns among wards, not explanations; small "
               "counts make percentage changes unstable.")
    return out


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
               current: periods.Period) -> dict[str, Any]:
    """Return the selection behind every figure, with the names the page and the CLI use."""
    mc = cfg.map_classes
    return {
        "measure": cfg.measures[0] if len(cfg.measures) == 1 else list(cfg.measures),
        "measures": {s.measure: s.analysis.ward.label for s in sections},
        "month_from": current.start, "month_to": current.end, "period_label": current.label,
        "comparison": cfg.comparison, "rate": cfg.rate,
        "rate_label": pipeline.RATE_WORDS[cfg.rate],
        "smoothing": (f"{pipeline.EB_METHOD_WORDS} (esda.smoothing.Empirical_Bayes; "
                      "Marshall 1991)" if cfg.rate == "eb_per_1000" else "none"),
        "boroughs": list(cfg.boroughs),
        "classification": {"scheme": mc.scheme, "scheme_label": SCHEMES[mc.scheme].label,
                           "k": mc.k, "bins": list(mc.bins) if mc.bins else None,
                           "palette": mc.palette, "first_class_from_zero": mc.from_zero},
        "statistics": asdict(cfg.statistics),
        "suppress_below": cfg.suppress_below,
    }


def _manifest(cfg: ReportConfig, pack: pipeline.Pack, sections: Sequence[MeasureSection],
              current: periods.Period, outputs: Sequence[Path], command: str,
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
        "title": cfg.title, "marking": cfg.marking, "measures": list(cfg.measures),
        "period": {"from": current.start, "to": current.end, "label": current.label},
        "comparison": cfg.comparison, "boroughs": list(cfg.boroughs),
        "statistics": asdict(cfg.statistics), "suppress_below": cfg.suppress_below,
        "top_wards": cfg.top_wards, "formats": list(cfg.formats), "caveats": list(cfg.caveats),
        "sections": {s.measure: s.analysis.params for s in sections},
        "findings": [{"text": f.text, "table": f.table, "row_key": f.row_key,
                      "value_cols": list(f.value_cols)}
                     for f in [*(f for s in sections for f in s.findings), *patrol_findings]],
        "patrol": patrol or {"included": False},
    }
    m = run_manifest(command=command, inputs=inputs, parameters=params)
    m["outputs"] = {p.name: file_sha256(p) for p in outputs}
    m["volatile_keys"] = list(VOLATILE_MANIFEST_KEYS)
    return m


# --------------------------------------------------------------------------- build


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
    if not wording.has_measure(pack):
        raise InputDataError(
            f"The pack '{pack.meta.title or pack.folder}' has no crime and no referrals, so a "
            "board pack has nothing to map or rank (its wards' deprivation and population "
            "are in imd_wards.csv and population.csv, and on the page). Build the pack with "
            "street-level crime (python -m hotspots pack build ... --police-uk FILES) or give "
            "referrals under [data] in the config.")
    current = resolve_period(pack.months, cfg)
    sections = [build_section(pack, cfg, m, current) for m in cfg.measures]
    status = patrol_status(pack, cfg)
    try:
        patrol = build_patrol_section(pack, cfg, current) if status[0] else None
    except InputDataError as e:  # e.g. a county too large for patrol cells
        if cfg.patrol.enabled:  # asked for: the config must change
            raise
        patrol, status = None, (False, str(e))
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
    if patrol is not None:
        tables |= patrol.tables
    csvs = _write_csvs(folder, tables, sections, cfg.marking) if "csv" in cfg.formats else []
    if "csv" in cfg.formats:
        for page, stem in zip(extra_pages, stems, strict=True):
            path = folder / f"{stem}.csv"
            privacy.write_csv(page.table, path)
            csvs.append(path)
    xlsx = (_write_xlsx(folder / f"{safe_name(cfg.title)}.xlsx", tables, cfg.marking)
            if "xlsx" in cfg.formats else None)
    pdf = None
    if "pdf" in cfg.formats:
        text = PackText(
            title=cfg.title,
            subtitle=cfg.organisation or pack.meta.title or "",
            marking=cfg.marking, period=current.label,
            area=_area_text(pack, cfg), author=", ".join(
                x for x in (cfg.author, cfg.organisation) if x),
            sources=tuple(_sources(pack, sections, patrol)),
            method=tuple(_method(pack, cfg, current, sections)),
            caveats=tuple(_caveats(pack, cfg, sections)),
            synthetic=any(s.synthetic for s in sections),
            patrol=(f"{patrol.study_area}, {patrol.analysis.period_label} "
                    f"({patrol.analysis.source})" if patrol is not None else ""))
        pdf = write_pdf(folder / f"{safe_name(cfg.title)}.pdf", text, sections, figures,
                        extra=extra_figures, extra_pages=extra_pages, patrol=patrol)
    for f in [*(f for fs in figures.values() for f in fs), *patrol_figs]:
        f.figure.clear()
    conf = folder / CONFIG_FILE
    conf.write_text(config_toml(cfg, note=_config_note(pack)), encoding="utf-8")
    written = [p for p in (pdf, xlsx) if p is not None] + pngs + csvs + [conf]
    cmd = command or "python -m hotspots " + " ".join(sys.argv[1:])
    manifest = write_manifest(
        _manifest(cfg, pack, sections, current, written, cmd,
                  patrol=patrol_manifest(patrol, status),
                  patrol_findings=patrol.findings if patrol is not None else ()),
        folder / "manifest.json")
    return ReportOutputs(folder, pdf, tuple(pngs), tuple(csvs), xlsx, manifest,
                         tuple(sections), patrol, status[1], conf)


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
    out = build_report(cfg)
    audit.record(audit.audit_entry(
        user=audit.local_user(), via="cli", export="board pack", files=[f.name for f in out.files],
        data=str(cfg.pack) if cfg.pack else ("files" if cfg.files else "demo pack"), selection={
            "measure": ", ".join(cfg.measures), "month_from": cfg.month_from,
            "month_to": cfg.month_to, "rate": cfg.rate, "boroughs": list(cfg.boroughs)},
        suppress_below=cfg.suppress_below))
    for s in out.sections:
        tag = "  [SYNTHETIC]" if s.synthetic and "SYNTHETIC" not in s.label else ""
        print(f"{s.label}: {len(s.findings)} findings{tag}")
        for f in s.findings:
            print(f"  - {f.text}")
    if out.patrol is not None:
        print(f"Patrol cells ({out.patrol.study_area}): {len(out.patrol.findings)} findings")
        for f in out.patrol.findings:
            print(f"  - {f.text}")
    else:
        print(f"Patrol cells: left out ({out.patrol_reason}).")
    print(f"Wrote {len(out.files)} files to {out.folder}" + (
        f" (PDF: {out.pdf.name})" if out.pdf else ""))
    return 0
