"""What goes in a board pack: per-measure tables (suppressed) and findings written from them.

Nothing here computes a statistic: the numbers come from
:func:`hotspots.analysis.analyse` (hotspots, association), :mod:`hotspots.trends`
(change and ranks) and :mod:`hotspots.viewdata` (the page's borough and ward
change tables and monthly series). This module only arranges them into
tables for print and export, applies disclosure control to every table of a
sensitive measure (:func:`hotspots.disclosure.suppress_table`: primary and
secondary suppression), and writes each key finding from one row of one of
those *displayed* tables, so a sentence can never show a number the table
hides.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hotspots import disclosure, periods, pipeline
from hotspots.maps import charts as charts
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import viewdata as viewdata
from hotspots.report.config import COMPARISONS, ReportConfig
from hotspots.stats import trends as trends

__all__ = [
    "Finding",
    "MeasureSection",
    "Table",
    "build_section",
    "finding_numbers",
    "resolve_period",
    "safe_name",
]

#: Text of a suppressed (primary) cell is ``"<t"``; of a protecting (secondary) cell:
SECONDARY_TEXT = "suppressed"


# --------------------------------------------------------------------------- small types


@dataclass(frozen=True)
class Table:
    """A table as printed and exported.

    Attributes
    ----------
    name
        File-safe name (``referrals-all_boroughs``): the CSV file and XLSX sheet.
    title
        Printed title.
    frame
        Display frame: suppressed cells already replaced by text.
    mask
        True where a cell is hidden (primary or secondary), aligned on
        ``frame``; all False for non-sensitive measures.
    key
        Column whose value names a row (findings refer to rows by it).
    notes
        Printed under the table (suppression rule, small bases ...).
    """

    name: str
    title: str
    frame: pd.DataFrame
    mask: pd.DataFrame
    key: str
    notes: tuple[str, ...] = ()

    def row(self, key: object) -> pd.Series:
        """Return the row whose :attr:`key` column equals ``key``."""
        hit = self.frame[self.frame[self.key].astype(str) == str(key)]
        if len(hit) != 1:
            raise KeyError(f"{self.name}: {len(hit)} rows with {self.key} = {key!r}")
        return hit.iloc[0]


@dataclass(frozen=True)
class Finding:
    """One key finding and where its numbers come from.

    Attributes
    ----------
    text
        The sentence printed on the findings page.
    table
        :attr:`Table.name` of the table the numbers are read from.
    row_key
        Value of that table's key column on the row used.
    value_cols
        Columns of that row whose (displayed) values the sentence quotes.
    """

    text: str
    table: str
    row_key: str
    value_cols: tuple[str, ...]


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
        """``"referrals"`` or ``"crimes"``."""
        return "referrals" if self.sensitive else "crimes"


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
        ``latest_months`` months up to ``month_to`` or the last month).

    Returns
    -------
    Period
    """
    if not months and (cfg.month_from is None or cfg.month_to is None):
        raise ValueError("The pack has no months of data: give period.from and period.to.")
    to = cfg.month_to or months[-1]
    frm = cfg.month_from or periods.shift_month(to, -(cfg.latest_months - 1))
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
        return None, f"No comparison with {previous.label}: {e}"
    return ct, ""


# --------------------------------------------------------------------------- suppression


def _suppress(frame: pd.DataFrame, value_cols: list[str], *, total_row: bool,
              sensitive: bool, threshold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply disclosure control to a table of a sensitive measure; pass others through."""
    if not sensitive:
        return frame.copy(), pd.DataFrame(False, index=frame.index, columns=frame.columns)
    shown, mask = disclosure.suppress_table(frame, value_cols=value_cols, total_row=total_row,
                                            total_col=False, threshold=threshold)
    mask = mask.reindex(index=frame.index, columns=frame.columns, fill_value=False)
    return shown, mask.fillna(False).astype(bool)


def _hide_derived(shown: pd.DataFrame, mask: pd.DataFrame, rules: Mapping[str, Sequence[str]],
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hide derived cells (change, %, ranks, rates) wherever a count they use is hidden."""
    shown, mask = shown.copy(), mask.copy()
    for col, sources in rules.items():
        if col not in shown:
            continue
        hide = mask[list(sources)].any(axis=1)
        shown[col] = shown[col].astype(object).where(~hide, SECONDARY_TEXT)
        mask[col] = mask[col] | hide
    return shown, mask


# --------------------------------------------------------------------------- formatting


def _int(v: object) -> object:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, int | np.integer | float | np.floating):
        return int(v)
    return v


def _pct(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, int | np.integer | float | np.floating):
        return round(float(v), 1)
    return v


def _num_text(v: object, decimals: int = 0, signed: bool = False) -> str:
    """Format a table cell as printed: thousands separators, text passes through."""
    if isinstance(v, str):
        return v
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    f = float(v)  # type: ignore[arg-type]
    sign = "+" if signed and f > 0 else ""
    return f"{sign}{f:,.{decimals}f}"


# --------------------------------------------------------------------------- tables


def _ward_frame(a: analysis_mod.Analysis, ct: trends.ChangeTable | None) -> pd.DataFrame:
    """Numeric ward table (wards with data), sorted by borough then ward."""
    t = a.table[a.table["has_data"]].drop(columns="geometry")
    cols = {"area_code": "Ward code", "area_name": "Ward", "borough_name": "Borough",
            "count": "Count", "rate_per_1000": "Rate per 1,000", "imd_decile": "IMD decile",
            "gi_class": "Gi* class", "lisa_quadrant": "LISA cluster"}
    out = t[list(cols)].rename(columns=cols)
    if ct is not None:
        ch = ct.frame.set_index("area_code")
        out["Previous"] = ch["count_prev"].reindex(t["area_code"]).to_numpy()
        out["Change"] = ch["change_abs"].reindex(t["area_code"]).to_numpy()
        out["Change %"] = ch["change_pct"].reindex(t["area_code"]).to_numpy()
        out["Rank (previous)"] = ch["rank_prev"].reindex(t["area_code"]).to_numpy()
    out["Rank"] = t["rank"].to_numpy()
    order = ["Rank", "Ward", "Borough", "Ward code", "Count", "Previous", "Change", "Change %",
             "Rank (previous)", "Rate per 1,000", "IMD decile", "Gi* class", "LISA cluster"]
    out = out[[c for c in order if c in out]]
    return out.sort_values(["Borough", "Ward", "Ward code"], kind="stable").reset_index(drop=True)


_WARD_RULES = {"Change": ("Count", "Previous"), "Change %": ("Count", "Previous"),
               "Rank": ("Count",), "Rank (previous)": ("Previous",),
               "Rate per 1,000": ("Count",)}


def ward_tables(a: analysis_mod.Analysis, ct: trends.ChangeTable | None, *, slug: str,
                top_n: int, threshold: int) -> tuple[Table, Table]:
    """Return the full ward table and the top-wards table, suppressed for sensitive measures.

    For referrals each borough's wards are suppressed together with the
    borough total (the borough table prints it), so a total minus the wards
    shown never gives a hidden ward away; the top-wards table is a subset of
    the same displayed rows, so the two tables never disagree.
    """
    sens = a.ward.is_sensitive
    raw = _ward_frame(a, ct)
    value_cols = [c for c in ("Count", "Previous") if c in raw]
    for c in value_cols:
        raw[c] = raw[c].map(_int)
    raw["Change"] = raw["Change"].map(_int) if "Change" in raw else None
    if "Change %" in raw:
        raw["Change %"] = raw["Change %"].map(_pct)
    for c in ("Rank", "Rank (previous)", "IMD decile"):
        if c in raw:
            raw[c] = raw[c].map(_int)
    raw["Rate per 1,000"] = raw["Rate per 1,000"].map(
        lambda v: "" if pd.isna(v) else round(float(v), 2))
    blocks_shown, blocks_mask = [], []
    for _, block in raw.groupby("Borough", sort=True, dropna=False):
        if sens:
            total = pd.DataFrame([{c: pd.to_numeric(block[c], errors="coerce").sum()
                                   for c in value_cols}])
            with_total = pd.concat([block[value_cols], total], ignore_index=True)
            with_total = with_total.astype("int64")
            shown_v, mask_v = _suppress(with_total, value_cols, total_row=True,
                                        sensitive=True, threshold=threshold)
            shown = block.copy().astype(object)
            shown[value_cols] = shown_v[value_cols].iloc[:-1].to_numpy()
            mask = pd.DataFrame(False, index=block.index, columns=block.columns)
            mask[value_cols] = mask_v[value_cols].iloc[:-1].to_numpy()
        else:
            shown = block.copy()
            mask = pd.DataFrame(False, index=block.index, columns=block.columns)
        blocks_shown.append(shown)
        blocks_mask.append(mask)
    shown = pd.concat(blocks_shown) if blocks_shown else raw.iloc[:0]
    mask = pd.concat(blocks_mask) if blocks_mask else raw.iloc[:0].astype(bool)
    shown, mask = _hide_derived(shown, mask, _WARD_RULES)
    # Ranked order; suppressed wards last (their rank is hidden).
    order = pd.to_numeric(shown["Rank"], errors="coerce").sort_values(
        kind="stable", na_position="last").index
    shown, mask = shown.loc[order].reset_index(drop=True), mask.loc[order].reset_index(drop=True)
    notes = _table_notes(a, threshold, ct)
    full = Table(f"{slug}_wards", f"{a.ward.label}: every ward", shown, mask, "Ward code",
                 tuple(notes))
    counts = pd.to_numeric(shown["Count"].where(~mask["Count"]), errors="coerce")
    top_idx = counts[counts > 0].sort_values(ascending=False, kind="stable").index[:top_n]
    top_idx = sorted(top_idx, key=lambda i: (-counts[i], str(shown.at[i, "Ward"])))
    top = Table(f"{slug}_top_wards", f"Top {len(top_idx)} wards: {a.ward.label}",
                shown.loc[top_idx].reset_index(drop=True),
                mask.loc[top_idx].reset_index(drop=True), "Ward code", tuple(notes))
    return full, top


def _table_notes(a: analysis_mod.Analysis, threshold: int,
                 ct: trends.ChangeTable | None) -> list[str]:
    notes = ["Ranks: 1 = highest count; ties share a rank (competition ranking 1, 2, 2, 4)."]
    if ct is not None:
        notes.append(f"Previous = {ct.previous.label}. 'Change %' is blank where the previous "
                     f"count is 0; percentage changes on a previous count below "
                     f"{ct.small_base:g} are unstable.")
    if a.ward.is_sensitive:
        notes.append(f"Disclosure control: counts from 1 to {threshold - 1} are shown as "
                     f"'<{threshold}' (primary suppression); counts marked 'c' are hidden so "
                     "that a total cannot reveal a suppressed count (secondary suppression). "
                     f"Change, rank and rate show '{SECONDARY_TEXT}' wherever a count they "
                     "use is hidden.")
    return notes


def borough_table(a: analysis_mod.Analysis, ct: trends.ChangeTable | None, *, slug: str,
                  threshold: int) -> Table:
    """Return counts, change and ranks by borough with a total row, suppressed if sensitive.

    Borough totals are sums of the wards with data (the page's
    :func:`hotspots.viewdata.borough_change`).
    """
    sens = a.ward.is_sensitive
    a2 = dataclasses.replace(a, change=ct) if ct is not None else None
    bc = viewdata.borough_change(a2) if a2 is not None else None
    if bc is not None:
        f = bc.table.frame
        raw = pd.DataFrame({
            "Rank": f["rank"].map(_int), "Borough": f["borough_name"].astype(str),
            "Count": f["count"].map(_int), "Previous": f["count_prev"].map(_int),
            "Change": f["change_abs"].map(_int), "Change %": f["change_pct"].map(_pct),
            "Rank (previous)": f["rank_prev"].map(_int),
        })
        tot_now, tot_prev = int(f["count"].sum()), int(f["count_prev"].sum())
        total = {"Rank": "", "Borough": "Total", "Count": tot_now, "Previous": tot_prev,
                 "Change": tot_now - tot_prev,
                 "Change %": round(100 * (tot_now - tot_prev) / tot_prev, 1) if tot_prev else "",
                 "Rank (previous)": ""}
        notes = list(bc.notes)
    else:
        t = a.table[a.table["has_data"]]
        g = t.groupby("borough_name")["count"].sum()
        raw = pd.DataFrame({"Borough": g.index.astype(str), "Count": g.map(_int).to_numpy()})
        raw.insert(0, "Rank", pd.Series(
            pd.to_numeric(raw["Count"]).rank(method="min", ascending=False)).map(_int))
        raw = raw.sort_values(["Rank", "Borough"], kind="stable")
        total = {"Rank": "", "Borough": "Total", "Count": int(g.sum())}
        notes = []
    raw = pd.concat([raw, pd.DataFrame([total])], ignore_index=True)
    value_cols = [c for c in ("Count", "Previous") if c in raw]
    shown, mask = _suppress(raw, value_cols, total_row=True, sensitive=sens,
                            threshold=threshold)
    shown, mask = _hide_derived(shown, mask, {
        "Change": ("Count", "Previous"), "Change %": ("Count", "Previous"),
        "Rank": ("Count",), "Rank (previous)": ("Previous",)})
    notes = _table_notes(a, threshold, ct) + [n for n in notes if n.startswith("No data")]
    return Table(f"{slug}_boroughs", f"By borough: {a.ward.label}", shown, mask, "Borough",
                 tuple(notes))


def hotspot_summary(a: analysis_mod.Analysis, *, slug: str) -> Table:
    """Return the Gi* and LISA class counts and global Moran's I as a small table.

    Counts of wards, not of people; Moran's I itself is left out for
    sensitive measures (as on the page), its pseudo p-value is shown.
    """
    h = a.params.get("hotspots", {})
    gm = h.get("global_moran", {}) or {}
    gi = a.table["gi_class"].astype(str)
    lisa = a.table["lisa_quadrant"].astype(str)
    rows: list[dict[str, Any]] = []
    n_tested = int((h.get("gi_star", {}) or {}).get("n_tested", len(a.table)))
    rows.append({"Statistic": "Global Moran's I",
                 "Value": "not shown (referrals)" if a.ward.is_sensitive else
                 (round(float(gm["I"]), 3) if "I" in gm else ""),
                 "Pseudo p": round(float(gm["p_sim"]), 4) if "p_sim" in gm else "",
                 "Wards": int(gm.get("n", n_tested))})
    rows.append({"Statistic": "Gi* hot spots (all levels)", "Value": "", "Pseudo p": "",
                 "Wards": int(gi.str.startswith("Hot").sum())})
    rows.append({"Statistic": "Gi* cold spots (all levels)", "Value": "", "Pseudo p": "",
                 "Wards": int(gi.str.startswith("Cold").sum())})
    for cls, n in gi.value_counts().sort_index().items():
        rows.append({"Statistic": f"Gi* {cls}", "Value": "", "Pseudo p": "", "Wards": int(n)})
    for q in ("HH", "LL", "HL", "LH"):
        rows.append({"Statistic": f"LISA {q}", "Value": "", "Pseudo p": "",
                     "Wards": int((lisa == q).sum())})
    rows.append({"Statistic": "Wards tested", "Value": "", "Pseudo p": "", "Wards": n_tested})
    frame = pd.DataFrame(rows)
    return Table(f"{slug}_hotspots", f"Hot spots and clusters: {a.ward.label}", frame,
                 pd.DataFrame(False, index=frame.index, columns=frame.columns), "Statistic",
                 (str(h.get("correction_text", "")),))


def association_tables(a: analysis_mod.Analysis, *, slug: str) -> list[Table]:
    """Return Spearman by borough and, for referrals, the share-in-most-deprived row."""
    out: list[Table] = []
    if len(a.by_borough):
        b = a.by_borough
        frame = pd.DataFrame({
            "Area": b["group"].astype(str), "n": b["n"].map(_int),
            "rho": b["rho"].map(lambda v: "" if pd.isna(v) else round(float(v), 2)),
            "CI low": b["ci_low"].map(lambda v: "" if pd.isna(v) else round(float(v), 2)),
            "CI high": b["ci_high"].map(lambda v: "" if pd.isna(v) else round(float(v), 2)),
            "Wording": b["wording"].astype(str),
        })
        out.append(Table(f"{slug}_spearman", "Spearman's rank correlation with IMD score",
                         frame, pd.DataFrame(False, index=frame.index, columns=frame.columns),
                         "Area", ("95% confidence intervals; ties get average ranks.",)))
    s = a.deprived_share
    if s is not None and s.n_qualifying:
        frame = pd.DataFrame([{
            "Headline": "share", "Wards with at least": int(s.min_count),
            "Qualifying wards": s.n_qualifying, "In most deprived": s.n_in_most_deprived,
            "Most deprived fraction (%)": round(100 * s.quantile),
            "Share (%)": round(100 * s.share), "Reference": s.reference_text}])
        out.append(Table(f"{slug}_deprivation", "Wards with many referrals and deprivation",
                         frame, pd.DataFrame(False, index=frame.index, columns=frame.columns),
                         "Headline", (s.text,)))
    return out


def monthly_table(pack: pipeline.Pack, a: analysis_mod.Analysis, ct: trends.ChangeTable | None,
                  *, threshold: int) -> pd.DataFrame:
    """Return the monthly year-on-year series with suppression (:func:`charts.trend_table`)."""
    ys = periods.get_year_start(str(a.params.get("statistics", {}).get("year_start",
                                                                        "financial")))
    long = viewdata.monthly_long(pack, a.ward.selection, year_start=ys)
    windows = viewdata.published_windows(a)
    if ct is not None:
        windows += [ct.current.months, ct.previous.months]
    return charts.trend_table(long, sensitive=a.ward.is_sensitive, threshold=threshold,
                              windows=windows)


# --------------------------------------------------------------------------- findings


def _is_shown(table: Table, key: object, cols: Sequence[str]) -> bool:
    i = table.frame.index[table.frame[table.key].astype(str) == str(key)]
    if len(i) != 1:
        return False
    r = table.frame.loc[i[0]]
    return not bool(table.mask.loc[i[0], list(cols)].any()) and all(
        not isinstance(r[c], str) or r[c] not in ("", SECONDARY_TEXT) for c in cols)


def _change_finding(label: str, word: str, b: Table, ct: trends.ChangeTable,
                    comparison: str) -> Finding | None:
    if not _is_shown(b, "Total", ["Count", "Previous", "Change", "Change %"]):
        return None
    r = b.row("Total")
    now, prev, ch, pct = r["Count"], r["Previous"], r["Change"], r["Change %"]
    if ch == 0:
        move = "unchanged"
    elif pct == "":
        move = f"{'up' if ch > 0 else 'down'} {_num_text(abs(ch))}"
    else:
        move = (f"{'up' if ch > 0 else 'down'} {_num_text(abs(float(pct)), 1)}% "
                f"({_num_text(ch, signed=True)})")
    text = (f"{label}: {_num_text(now)} {word} in {ct.current.dates}, {move} on "
            f"{comparison} ({_num_text(prev)} in {ct.previous.dates}).")
    return Finding(text, b.name, "Total", ("Count", "Previous", "Change %", "Change"))


def _rise_finding(word: str, b: Table) -> Finding | None:
    f = b.frame[b.frame["Borough"] != "Total"]
    shown = [i for i in f.index if _is_shown(b, f.at[i, "Borough"], ["Change", "Change %"])
             and isinstance(f.at[i, "Change"], int | np.integer) and f.at[i, "Change"] > 0]
    if not shown:
        return None
    best = max(shown, key=lambda i: (int(f.at[i, "Change"]), str(f.at[i, "Borough"])))
    r = f.loc[best]
    pct = r["Change %"]
    pct_text = f" ({_num_text(float(pct), 1, signed=True)}%)" if pct != "" else " (new)"
    text = (f"Largest rise by borough: {r['Borough']}, {_num_text(r['Change'], signed=True)} "
            f"{word}{pct_text}; the table shows every borough's absolute and % change.")
    return Finding(text, b.name, str(r["Borough"]), ("Change", "Change %"))


def _top_finding(word: str, top: Table) -> Finding | None:
    if not len(top.frame):
        return None
    r = top.frame.iloc[0]
    if not _is_shown(top, r["Ward code"], ["Count"]):
        return None
    text = (f"Highest ward: {r['Ward']} ({r['Borough']}) with {_num_text(r['Count'])} {word}, "
            f"rank {_num_text(r['Rank'])} of the wards shown.")
    return Finding(text, top.name, str(r["Ward code"]), ("Count", "Rank"))


def _hotspot_findings(a: analysis_mod.Analysis, hs: Table, word: str) -> list[Finding]:
    h = a.params.get("hotspots", {})
    corr = {"fdr": "Benjamini-Hochberg false discovery rate control",
            "bonferroni": "Bonferroni correction", "none": "no multiple-testing correction"
            }.get(str(h.get("correction", "")), str(h.get("correction_text", "")))
    perms = int(h.get("permutations", 0))
    hot = hs.row("Gi* hot spots (all levels)")["Wards"]
    cold = hs.row("Gi* cold spots (all levels)")["Wards"]
    tested = hs.row("Wards tested")["Wards"]
    out = [Finding(
        f"Getis-Ord Gi*: {hot} wards are hot spots and {cold} are cold spots at 90% "
        f"confidence or more, of {tested} wards tested, after {corr} "
        f"({perms:,} permutations).",
        hs.name, "Gi* hot spots (all levels)", ("Wards",))]
    m = hs.row("Global Moran's I")
    if m["Pseudo p"] != "":
        p = float(m["Pseudo p"])
        alpha = float(h.get("alpha", 0.05))
        verdict = ("wards with many " + word + " tend to neighbour each other"
                   if p <= alpha else "no clear clustering across the whole map")
        value = "" if isinstance(m["Value"], str) else f"I = {m['Value']:.3f}, "
        out.append(Finding(
            f"Global Moran's I ({value}pseudo p = {p:.4f}, {perms:,} permutations): "
            f"{verdict}.", hs.name, "Global Moran's I", ("Pseudo p",) if not value
            else ("Value", "Pseudo p")))
    return out


def _association_findings(label: str, word: str, tables: dict[str, Table],
                          slug: str) -> list[Finding]:
    out: list[Finding] = []
    sp = tables.get(f"{slug}_spearman")
    if sp is not None and (sp.frame["Area"] == "All areas").any():
        r = sp.row("All areas")
        if r["rho"] != "":
            out.append(Finding(
                f"{label} and deprivation: Spearman's rho = {r['rho']:.2f} (95% CI "
                f"{r['CI low']:.2f} to {r['CI high']:.2f}, n = {r['n']} wards), "
                f"{r['Wording']}.", sp.name, "All areas", ("rho", "CI low", "CI high", "n")))
    dp = tables.get(f"{slug}_deprivation")
    if dp is not None:
        r = dp.row("share")
        out.append(Finding(
            f"{r['Share (%)']}% of wards with {r['Wards with at least']} or more {word} "
            f"({r['In most deprived']} of {r['Qualifying wards']}) are in the "
            f"{r['Most deprived fraction (%)']}% most deprived wards of this map by IMD 2019 "
            "score (a quantile of these wards, not England's national deciles).",
            dp.name, "share", ("Share (%)", "Wards with at least", "In most deprived",
                               "Qualifying wards", "Most deprived fraction (%)")))
    return out


def _findings(a: analysis_mod.Analysis, tables: dict[str, Table], slug: str,
              ct: trends.ChangeTable | None, comparison: str) -> list[Finding]:
    label = a.ward.label.split(",")[0]
    word = "referrals" if a.ward.is_sensitive else "crimes"
    b = tables[f"{slug}_boroughs"]
    out: list[Finding | None] = []
    if ct is not None:
        out.append(_change_finding(label, word, b, ct, comparison))
        out.append(_rise_finding(word, b))
    out.append(_top_finding(word, tables[f"{slug}_top_wards"]))
    out += _association_findings(label, word, tables, slug)
    out += _hotspot_findings(a, tables[f"{slug}_hotspots"], word)
    return [f for f in out if f is not None]


def finding_numbers(text: str) -> list[float]:
    """Return the numbers written in a sentence (``"1,234"``, ``"-12.5%"``, ``"0.56"``).

    Examples
    --------
    >>> finding_numbers("Up 12.5% (+310) to 2,890, rho = -0.04")
    [12.5, 310.0, 2890.0, -0.04]
    """
    found = re.findall(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?", text)
    return [float(x.replace(",", "").replace("−", "-")) for x in found]


# --------------------------------------------------------------------------- one measure


def build_section(pack: pipeline.Pack, cfg: ReportConfig, measure: str,
                  current: periods.Period) -> MeasureSection:
    """Analyse one measure and arrange its tables and findings.

    Parameters
    ----------
    pack
        The loaded pack.
    cfg
        The config (statistics, threshold, comparison, boroughs, top wards).
    measure
        Measure key.
    current
        The reporting period.

    Returns
    -------
    MeasureSection
    """
    sel = pipeline.Selection(measure=measure, month_from=current.start, month_to=current.end,
                             rate="count", suppress_below=cfg.suppress_below,
                             boroughs=cfg.boroughs)
    a = analysis_mod.analyse(pack, sel, cfg.statistics)
    ct, why = _change_table(pack, a, current, _comparison(current, cfg.comparison))
    slug = safe_name(measure)
    t = cfg.suppress_below
    full, top = ward_tables(a, ct, slug=slug, top_n=cfg.top_wards, threshold=t)
    tables: dict[str, Table] = {}
    for tab in (borough_table(a, ct, slug=slug, threshold=t), top, full,
                hotspot_summary(a, slug=slug), *association_tables(a, slug=slug)):
        tables[tab.name] = tab
    comparison = COMPARISONS[cfg.comparison]
    findings = _findings(a, tables, slug, ct, comparison)
    notes = [why] if why else []
    if a.ward.is_sensitive:
        # analyse()'s notes may quote a ward's small count (population warnings): summarise.
        n = sum(1 for x in a.notes if "population" in x)
        if n:
            notes.append("Some wards have no population figure; their rates are left blank.")
    else:
        notes += [x for x in a.notes if not x.startswith("No previous period")]
    return MeasureSection(
        measure=measure, label=a.ward.label.split(",")[0], slug=slug, analysis=a, change=ct,
        comparison_text=comparison, tables=tables, findings=tuple(findings),
        monthly=monthly_table(pack, a, ct, threshold=t), notes=tuple(notes))
