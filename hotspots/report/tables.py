"""The tables of a board pack: per-measure tables with disclosure control, as printed.

Nothing here computes a statistic: the numbers come from
:func:`hotspots.pipeline.analysis.analyse` (hotspots, association),
:mod:`hotspots.stats.trends` (change and ranks) and
:mod:`hotspots.pipeline.viewdata` (the page's borough change and monthly
series). This module arranges them into tables for print and export
(:class:`Table`), and applies disclosure control to every table of a sensitive
measure (:func:`hotspots.disclosure.suppress_table`: primary and secondary
suppression). The hot spot table has a row per global statistic of
:mod:`hotspots.stats.registry` and the rows each local statistic's entry gives.
The tables follow the page's selection: ranked by its value (a count, a rate
per 1,000 residents or a smoothed rate), with rates printed as the page prints
them. The findings written from these tables are :mod:`hotspots.report.findings`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hotspots import disclosure, periods, pipeline
from hotspots.maps import charts as charts
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import viewdata as viewdata
from hotspots.pipeline.wording import LONDON_WORDS, Words
from hotspots.stats import registry as registry
from hotspots.stats import trends as trends

__all__ = [
    "RATE_DECIMALS",
    "SECONDARY_TEXT",
    "VALUE_COLUMNS",
    "Table",
    "association_tables",
    "borough_table",
    "hotspot_summary",
    "monthly_table",
    "value_column",
    "ward_tables",
]

#: Text of a suppressed (primary) cell is ``"<t"``; of a protecting (secondary) cell:
SECONDARY_TEXT = "suppressed"


# --------------------------------------------------------------------------- the table type


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
        hide = mask[[c for c in sources if c in mask]].any(axis=1)
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


#: The local statistics whose class each ward table shows (those of the measure alone).
_CLASSED = registry.local_statistics(univariate=True)

#: Rate choice -> the table column that holds a ward's value (what it is ranked by).
VALUE_COLUMNS: dict[str, str] = {"count": "Count", "per_1000": "Rate per 1,000",
                                 "eb_per_1000": "Smoothed rate per 1,000"}

#: Decimals of a rate as printed: the page's (its tables show rates to one decimal).
RATE_DECIMALS = 1


def value_column(a: analysis_mod.Analysis) -> str:
    """Return the column of the ward tables that holds the page's value (count or a rate)."""
    return VALUE_COLUMNS[a.ward.selection.rate]


def _rate(v: object) -> object:
    return "" if v is None or v is pd.NA or pd.isna(v) else round(float(v), RATE_DECIMALS)


def _ward_frame(a: analysis_mod.Analysis, ct: trends.ChangeTable | None,
                words: Words) -> pd.DataFrame:
    """Numeric ward table (wards with data), sorted by borough then ward."""
    auth, decile = words.authority, words.decile
    t = a.table[a.table["has_data"]].drop(columns="geometry")
    classes = {s.col("class"): s.words.class_title for s in _CLASSED}
    smoothed = ({"eb_rate": "Smoothed rate per 1,000"}
                if a.ward.selection.rate == "eb_per_1000" else {})
    cols = {"area_code": "Ward code", "area_name": "Ward", "borough_name": auth,
            "count": "Count", "rate_per_1000": "Rate per 1,000", **smoothed,
            "imd_decile": decile, **classes}
    out = t[list(cols)].rename(columns=cols)
    if ct is not None:
        ch = ct.frame.set_index("area_code")
        out["Previous"] = ch["count_prev"].reindex(t["area_code"]).to_numpy()
        out["Change"] = ch["change_abs"].reindex(t["area_code"]).to_numpy()
        out["Change %"] = ch["change_pct"].reindex(t["area_code"]).to_numpy()
        if a.ward.selection.rate == "count":  # a rate's ranks are this period's only
            out["Rank (previous)"] = ch["rank_prev"].reindex(t["area_code"]).to_numpy()
    out["Rank"] = t["rank"].to_numpy()
    order = ["Rank", "Ward", auth, "Ward code", "Count", "Previous", "Change", "Change %",
             "Rank (previous)", "Rate per 1,000", "Smoothed rate per 1,000", decile,
             *classes.values()]
    out = out[[c for c in order if c in out]]
    return out.sort_values([auth, "Ward", "Ward code"], kind="stable").reset_index(drop=True)


_WARD_RULES = {"Change": ("Count", "Previous"), "Change %": ("Count", "Previous"),
               "Rank": ("Count",), "Rank (previous)": ("Previous",),
               "Rate per 1,000": ("Count",), "Smoothed rate per 1,000": ("Count",)}


def ward_tables(a: analysis_mod.Analysis, ct: trends.ChangeTable | None, *, slug: str,
                top_n: int, threshold: int, words: Words = LONDON_WORDS) -> tuple[Table, Table]:
    """Return the full ward table and the top-wards table, suppressed for sensitive measures.

    For referrals each borough's wards are suppressed together with the
    borough total (the borough table prints it), so a total minus the wards
    shown never gives a hidden ward away; the top-wards table is a subset of
    the same displayed rows, so the two tables never disagree. ``words``: the pack's
    headings (the authority column, the index's decile:
    :func:`hotspots.pipeline.wording.words`).
    """
    sens = a.ward.is_sensitive
    raw = _ward_frame(a, ct, words)
    value_cols = [c for c in ("Count", "Previous") if c in raw]
    for c in value_cols:
        raw[c] = raw[c].map(_int)
    if "Change" in raw:  # (no comparison: no change columns at all)
        raw["Change"] = raw["Change"].map(_int)
    if "Change %" in raw:
        raw["Change %"] = raw["Change %"].map(_pct)
    for c in ("Rank", "Rank (previous)", words.decile):
        if c in raw:
            raw[c] = raw[c].map(_int)
    for c in ("Rate per 1,000", "Smoothed rate per 1,000"):
        if c in raw:
            raw[c] = raw[c].map(_rate)
    blocks_shown, blocks_mask = [], []
    for _, block in raw.groupby(words.authority, sort=True, dropna=False):
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
    notes = _table_notes(a, threshold, ct, words)
    full = Table(f"{slug}_wards", f"{a.ward.label}: every ward", shown, mask, "Ward code",
                 tuple(notes))
    # The top wards by the page's value (count or rate), as the page ranks them.
    col = value_column(a)
    values = pd.to_numeric(shown[col].where(~mask[col]), errors="coerce")
    top_idx = values[values > 0].sort_values(ascending=False, kind="stable").index[:top_n]
    top_idx = sorted(top_idx, key=lambda i: (-values[i], str(shown.at[i, "Ward"])))
    # An empty list says why (every ward 0 or hidden), never "Top 0 wards" over nothing.
    title = f"Top {len(top_idx)} wards: {a.ward.label}" if top_idx else (
        f"Top wards: {a.ward.label}")
    why = () if top_idx else (pipeline.nothing_to_rank_text(a.ward),)
    top = Table(f"{slug}_top_wards", title, shown.loc[top_idx].reset_index(drop=True),
                mask.loc[top_idx].reset_index(drop=True), "Ward code", (*why, *notes))
    return full, top


def _table_notes(a: analysis_mod.Analysis, threshold: int,
                 ct: trends.ChangeTable | None, words: Words) -> list[str]:
    rate = a.ward.selection.rate
    notes = [f"Ranks: 1 = highest {pipeline.RATE_WORDS[rate]}; ties share a rank (competition "
             "ranking 1, 2, 2, 4)."]
    if rate != "count":
        notes.append("Rates per 1,000 residents use the Census 2021 usual resident population"
                     + (f" (the {words.authority_lower} rates are crude: smoothing is by "
                        "ward)."
                        if rate == "eb_per_1000" else ".")
                     + " Previous, Change and Change % are counts.")
    if ct is not None:
        notes.append(f"Previous = {ct.previous.label}. 'Change %' is blank where the previous "
                     f"count is 0; percentage changes on a previous count below "
                     f"{ct.small_base:g} are unstable.")
    if a.ward.is_synthetic:
        notes.append("SYNTHETIC referrals: invented by the project for the demonstration, "
                     "not real data. Do not use them for decisions.")
    if a.ward.is_sensitive:
        notes.append(f"Disclosure control: counts from 1 to {threshold - 1} are shown as "
                     f"'<{threshold}' (primary suppression); counts marked 'c' are hidden so "
                     "that a total cannot reveal a suppressed count (secondary suppression). "
                     f"Change, rank and rate show '{SECONDARY_TEXT}' wherever a count they "
                     "use is hidden.")
    return notes


def borough_table(a: analysis_mod.Analysis, ct: trends.ChangeTable | None, *, slug: str,
                  threshold: int, words: Words = LONDON_WORDS) -> Table:
    """Return counts, change and ranks by borough with a total row, suppressed if sensitive.

    Borough totals are sums of the wards with data (the page's
    :func:`hotspots.viewdata.borough_change`). Outside London the column and title
    say "Local authority" (``words``).
    """
    auth = words.authority
    sens = a.ward.is_sensitive
    a2 = dataclasses.replace(a, change=ct) if ct is not None else None
    bc = viewdata.borough_change(a2) if a2 is not None else None
    if bc is not None:
        f = bc.table.frame
        raw = pd.DataFrame({
            "Rank": f["rank"].map(_int), auth: f["borough_name"].astype(str),
            "Count": f["count"].map(_int), "Previous": f["count_prev"].map(_int),
            "Change": f["change_abs"].map(_int), "Change %": f["change_pct"].map(_pct),
            "Rank (previous)": f["rank_prev"].map(_int),
        })
        tot_now, tot_prev = int(f["count"].sum()), int(f["count_prev"].sum())
        total = {"Rank": "", auth: "Total", "Count": tot_now, "Previous": tot_prev,
                 "Change": tot_now - tot_prev,
                 "Change %": round(100 * (tot_now - tot_prev) / tot_prev, 1) if tot_prev else "",
                 "Rank (previous)": ""}
        notes = list(bc.notes)
    else:
        t = a.table[a.table["has_data"]]
        g = t.groupby("borough_name")["count"].sum()
        raw = pd.DataFrame({auth: g.index.astype(str), "Count": g.map(_int).to_numpy()})
        raw.insert(0, "Rank", pd.Series(
            pd.to_numeric(raw["Count"]).rank(method="min", ascending=False)).map(_int))
        raw = raw.sort_values(["Rank", auth], kind="stable")
        total = {"Rank": "", auth: "Total", "Count": int(g.sum())}
        notes = []
    if a.ward.selection.rate != "count":
        raw, total = _borough_rates(a, raw, total, auth)
    raw = pd.concat([raw, pd.DataFrame([total])], ignore_index=True)
    value_cols = [c for c in ("Count", "Previous") if c in raw]
    shown, mask = _suppress(raw, value_cols, total_row=True, sensitive=sens,
                            threshold=threshold)
    shown, mask = _hide_derived(shown, mask, {
        "Change": ("Count", "Previous"), "Change %": ("Count", "Previous"),
        "Rank": ("Count",), "Rank (previous)": ("Previous",), "Rate per 1,000": ("Count",)})
    notes = _table_notes(a, threshold, ct, words) + [n for n in notes
                                                     if n.startswith("No data")]
    return Table(f"{slug}_boroughs", f"By {words.authority_lower}: {_borough_label(a, words)}",
                 shown, mask, auth, tuple(notes))


def _borough_label(a: analysis_mod.Analysis, words: Words) -> str:
    """Return the measure and what a borough's value is (a borough's rate is never smoothed)."""
    if a.ward.selection.rate != "eb_per_1000":
        return a.ward.label
    name = a.ward.label.split(", ")[0]
    return f"{name}, {pipeline.RATE_WORDS['per_1000']} ({words.authorities}: not smoothed)"


def _borough_rates(a: analysis_mod.Analysis, raw: pd.DataFrame, total: dict[str, Any],
                   auth: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Add each borough's population and rate per 1,000, and rank the boroughs by rate.

    A borough's rate is its count over the population of its wards with data
    (the same wards as its count), per 1,000 residents; ``Rank (previous)``
    ranks the previous counts over the same populations.
    """
    t = a.table[a.table["has_data"]]
    pop = pd.to_numeric(t["population"], errors="coerce").groupby(t["borough_name"]).sum()
    raw = raw.copy()
    people = raw[auth].map(pop).astype(float)
    raw.insert(raw.columns.get_loc("Count") + 1, "Population", people.map(_int))

    def per_1000(col: str) -> pd.Series:
        return pd.to_numeric(raw[col], errors="coerce") / people.where(people > 0) * 1000

    rate = per_1000("Count")
    raw.insert(raw.columns.get_loc("Population") + 1, "Rate per 1,000", rate.map(_rate))
    raw["Rank"] = rate.rank(method="min", ascending=False).map(_int)
    if "Previous" in raw:
        raw["Rank (previous)"] = per_1000("Previous").rank(method="min",
                                                           ascending=False).map(_int)
    raw = raw.sort_values(["Rank", auth], key=lambda s: pd.to_numeric(
        s, errors="coerce") if s.name == "Rank" else s, kind="stable", na_position="last")
    everyone = float(people.sum())
    total = {**total, "Population": int(everyone),
             "Rate per 1,000": _rate(total["Count"] / everyone * 1000) if everyone else ""}
    return raw.reset_index(drop=True), total


def hotspot_summary(a: analysis_mod.Analysis, *, slug: str) -> Table:
    """Return the global statistics and the local statistics' class counts as a small table.

    One row per global statistic of the registry (Moran's I, ...: its value
    and pseudo p), then each local statistic's rows (:meth:`Statistic.rows
    <hotspots.stats.statistic.Statistic.rows>`: Gi* hot and cold spots and
    classes, LISA quadrants), then the wards tested. Counts of wards, not of
    people; a global statistic's value is left out for sensitive measures (as
    on the page), its pseudo p-value is shown.
    """
    h = a.params.get("hotspots", {})
    alpha = float(h.get("alpha", 0.05))
    rows: list[dict[str, Any]] = []
    n_tested = int((h.get(_CLASSED[0].key, {}) or {}).get("n_tested", len(a.table)))
    for s in registry.global_statistics():
        g = h.get(s.key, {}) or {}
        rows.append({"Statistic": f"Global {s.name}",
                     "Value": "not shown (referrals)" if a.ward.is_sensitive else
                     (round(float(g[s.symbol]), 3) if s.symbol in g else ""),
                     "Pseudo p": round(float(g["p_sim"]), 4) if "p_sim" in g else "",
                     "Wards": int(g.get("n", n_tested))})
    for s in _CLASSED:
        rows += [{"Statistic": f"{s.short} {what}", "Value": "", "Pseudo p": "", "Wards": n}
                 for what, n in s.rows(a.table[s.col("class")], alpha)]
    rows.append({"Statistic": "Wards tested", "Value": "", "Pseudo p": "", "Wards": n_tested})
    frame = pd.DataFrame(rows)
    return Table(f"{slug}_hotspots", f"Hot spots and clusters: {a.ward.label}", frame,
                 pd.DataFrame(False, index=frame.index, columns=frame.columns), "Statistic",
                 (str(h.get("correction_text", "")),))


def association_tables(a: analysis_mod.Analysis, *, slug: str,
                       words: Words = LONDON_WORDS) -> list[Table]:
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
        out.append(Table(f"{slug}_spearman",
                         f"Spearman's rank correlation with {words.index} score",
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
