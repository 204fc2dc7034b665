"""What goes in a board pack for one measure: its analysis, tables and findings.

:func:`build_section` analyses one measure over the reporting period as the
page does (:func:`hotspots.pipeline.measures.analyse_for`: the page's rate, on
the measure's own source), compares it with the comparison
period, and gathers its tables (:mod:`hotspots.report.tables`, suppressed for a
sensitive measure) and key findings (:mod:`hotspots.report.findings`) in a
:class:`MeasureSection`. :func:`safe_name` and :func:`resolve_period` name its
files and its period.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from hotspots import periods, pipeline
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import measures as measures
from hotspots.pipeline import viewdata as viewdata
from hotspots.pipeline import wording as wording
from hotspots.pipeline.wording import LONDON_WORDS, Words
from hotspots.report.config import COMPARISONS, ReportConfig
from hotspots.report.findings import Finding, finding_numbers, key_findings
from hotspots.report.tables import (
    SECONDARY_TEXT,
    Table,
    association_tables,
    borough_table,
    hotspot_summary,
    monthly_table,
    ward_tables,
)
from hotspots.stats import trends as trends

__all__ = [
    "SECONDARY_TEXT",
    "Finding",
    "MeasureSection",
    "Table",
    "build_section",
    "finding_numbers",
    "resolve_period",
    "safe_name",
]


# --------------------------------------------------------------------------- the section


@dataclass(frozen=True)
class MeasureSection:
    """Everything the pack shows for one measure."""

    measure: str
    label: str
    slug: str
    analysis: analysis_mod.Analysis
    change: trends.ChangeTable | None
    comparison_text: str
    tables: dict[str, Table]
    findings: tuple[Finding, ...]
    monthly: pd.DataFrame
    notes: tuple[str, ...]
    words: Words = LONDON_WORDS

    @property
    def sensitive(self) -> bool:
        """True for referrals (disclosure control applies)."""
        return self.analysis.ward.is_sensitive

    @property
    def synthetic(self) -> bool:
        """True when the referrals are the demo's synthetic ones."""
        return self.analysis.ward.is_synthetic

    @property
    def word(self) -> str:
        """``"referrals"``, ``"ASB incidents"`` or ``"crimes"``."""
        w = pipeline.value_word(self.measure)
        return w if w.startswith("ASB") else w.lower()


# --------------------------------------------------------------------------- names


_SLUG = re.compile(r"[^a-z0-9_]+")


def safe_name(text: str, *, max_len: int = 60) -> str:
    """Return a file-safe slug: lower case ``a-z0-9``, ``_`` and single hyphens, never empty.

    No path separators, no leading dot, no Windows-reserved characters.

    Examples
    --------
    >>> safe_name("referrals:category:County Lines"), safe_name("../../etc/passwd")
    ('referrals-category-county-lines', 'etc-passwd')
    >>> safe_name("..."), safe_name("=HYPERLINK(x)")
    ('pack', 'hyperlink-x')
    """
    s = _SLUG.sub("-", str(text).lower()).strip("-_")[:max_len].strip("-_")
    return s or "pack"


# --------------------------------------------------------------------------- period


def resolve_period(months: Sequence[str], cfg: ReportConfig) -> periods.Period:
    """Return the period the pack reports on.

    Parameters
    ----------
    months
        Sorted months with data.
    cfg
        The config (``month_from``/``month_to``, else the latest
        ``latest_months`` months up to ``month_to`` or the last month, never
        starting before the first month with data: four months of police.uk files
        make a four-month period, not a year of which eight months are missing).

    Returns
    -------
    Period

    Examples
    --------
    >>> from hotspots.report.config import ReportConfig
    >>> resolve_period(["2024-01", "2024-02", "2024-03", "2024-04"], ReportConfig()).label
    'Jan 2024 – Apr 2024'
    """
    if not months and (cfg.month_from is None or cfg.month_to is None):
        raise ValueError("The pack has no months of data: give period.from and period.to.")
    to = cfg.month_to or months[-1]
    frm = cfg.month_from or periods.shift_month(to, -(cfg.latest_months - 1))
    if cfg.month_from is None and months and months[0] <= to:
        frm = max(frm, months[0])
    return periods.custom_period(frm, to)


def _comparison(current: periods.Period, key: str) -> periods.Period | None:
    if key == "none":
        return None
    gap = "year" if key == "same_period_last_year" else "adjacent"
    return periods.previous_period(current, gap=gap)  # type: ignore[arg-type]


def _change_table(pack: pipeline.Pack, a: analysis_mod.Analysis, current: periods.Period,
                  previous: periods.Period | None) -> tuple[trends.ChangeTable | None, str]:
    if previous is None:
        return None, "No comparison period (comparison = 'none')."
    records = viewdata.measure_records(pack, a.ward.selection)
    try:
        ct = trends.compare_periods(
            records, current, previous,
            months_available=viewdata.source_months(pack, a.ward.selection.measure),
            groups=list(a.table["area_code"]), incomplete="raise")
    except Exception as e:  # noqa: BLE001 - printed in the pack; the rest still builds
        # the coverage check's message names the period itself: say it once
        said = str(e)
        return None, (f"No comparison: {said}" if said.startswith(previous.label)
                      else f"No comparison with {previous.label}: {said}")
    return ct, ""


# --------------------------------------------------------------------------- one measure


def build_section(pack: pipeline.Pack, cfg: ReportConfig, measure: str,
                  current: periods.Period) -> MeasureSection:
    """Analyse one measure and arrange its tables and findings.

    Parameters
    ----------
    pack
        The loaded pack.
    cfg
        The config (rate, statistics, threshold, comparison, boroughs, top wards).
    measure
        Measure key.
    current
        The reporting period.

    Returns
    -------
    MeasureSection
    """
    sel = pipeline.Selection(measure=measure, month_from=current.start, month_to=current.end,
                             rate=cfg.rate, suppress_below=cfg.suppress_below,
                             boroughs=cfg.boroughs)
    a = measures.analyse_for(pack, sel, cfg.statistics)  # as the page: one crime source
    ct, why = _change_table(pack, a, current, _comparison(current, cfg.comparison))
    slug = safe_name(measure)
    t = cfg.suppress_below
    w = wording.words(pack.meta)  # "Local authority", "WIMD 2019 (Wales)" ... outside London
    full, top = ward_tables(a, ct, slug=slug, top_n=cfg.top_wards, threshold=t, words=w)
    tables: dict[str, Table] = {}
    for tab in (borough_table(a, ct, slug=slug, threshold=t, words=w), top, full,
                hotspot_summary(a, slug=slug), *association_tables(a, slug=slug, words=w)):
        tables[tab.name] = tab
    comparison = COMPARISONS[cfg.comparison]
    findings = key_findings(a, tables, slug, ct, comparison, w)
    notes = [why] if why else []
    # analyse()'s population notes are an analyst's warnings (they may quote a ward's small
    # count and tell the user to check a file): the board reads one plain line, or none where
    # the method card explains every such ward (no LSOA of its own in ONS's lookup).
    if any("population" in x for x in a.notes):
        pop = pd.to_numeric(a.ward.frame["population"], errors="coerce")
        other = int(((pop.isna() | (pop == 0))
                     & ~a.ward.frame["area_code"].isin(pack.no_lsoa)).sum())
        if other:
            notes.append(f"{other:,} ward{'s have' if other != 1 else ' has'} no population "
                         "figure; their rates are left blank.")
    if not a.ward.is_sensitive:
        notes += [x for x in a.notes
                  if not x.startswith("No previous period") and "population" not in x]
    # An analyst's instruction (the CLI's error) is not the board's to act on.
    notes = [x.replace(" Choose periods that lie inside the data.", "") for x in notes]
    return MeasureSection(
        measure=measure, label=a.ward.label.split(",")[0], slug=slug, analysis=a, change=ct,
        comparison_text=comparison, tables=tables, findings=tuple(findings),
        monthly=monthly_table(pack, a, ct, threshold=t), notes=tuple(notes), words=w)
