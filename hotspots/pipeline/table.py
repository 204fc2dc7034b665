"""One row per area for a selection: the same ward table for the page and the CLI.

:func:`ward_table` turns a :class:`~hotspots.pipeline.pack.Pack` and a
:class:`Selection` into one row per area with the count, rate, rank,
deprivation and display strings, plus the Spearman correlation and the
reconciliation of every source behind the measure. :func:`measure_options`
lists the measures a pack offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import pandas as pd

from hotspots import privacy, stats
from hotspots.areas import join as join
from hotspots.labels import measure_label
from hotspots.pipeline.measurekey import Measure
from hotspots.pipeline.pack import Pack

RateKind = Literal["count", "per_1000"]
#: First column of an export of SYNTHETIC referrals (never of real ones).
SYNTHETIC_EXPORT_LABEL = "SYNTHETIC referrals: invented, not real data"
RATE_LABELS: dict[str, str] = {"count": "Count", "per_1000": "Rate per 1,000 residents"}


@dataclass(frozen=True)
class Selection:
    """What the user asked to see (small and hashable: a cache key).

    Attributes
    ----------
    measure
        Key from :func:`measure_options`, e.g. ``"crime:all"``,
        ``"crime:major:BURGLARY"``, ``"crime:minor:BURGLARY|BURGLARY - RESIDENTIAL"``,
        ``"referrals:all"``, ``"referrals:category:County Lines"`` (kept as the
        key string: it names cache entries and files); read it as a value with
        :attr:`measure_value`.
    month_from, month_to
        Inclusive ``YYYY-MM`` bounds.
    rate
        ``"count"`` or ``"per_1000"`` residents.
    suppress_below
        Referral counts from 1 to ``suppress_below - 1`` are hidden.
    boroughs
        Limit the table to these borough names (empty = every area).
    """

    measure: str = "crime:all"
    month_from: str = "0000-01"
    month_to: str = "9999-12"
    rate: RateKind = "count"
    suppress_below: int = privacy.DEFAULT_THRESHOLD
    boroughs: tuple[str, ...] = ()

    @property
    def measure_value(self) -> Measure:
        """The measure key read as a :class:`~hotspots.pipeline.measurekey.Measure`.

        Raises
        ------
        ValueError
            For a key of no known form (see :meth:`Measure.parse`).
        """
        return Measure.parse(self.measure)


@dataclass(frozen=True)
class WardTable:
    """One row per area for a selection, and what the page prints around it."""

    frame: gpd.GeoDataFrame
    spearman: stats.SpearmanResult
    reconciliation: pd.DataFrame
    label: str
    period_label: str
    selection: Selection
    is_synthetic: bool
    is_sensitive: bool
    n_records: int

    @property
    def is_empty(self) -> bool:
        """True when no record falls in the selection."""
        return self.n_records == 0


def measure_options(pack: Pack) -> dict[str, str]:
    """Return the measures a pack offers, ``key -> label``, in display order.

    Parameters
    ----------
    pack
        A loaded pack.

    Returns
    -------
    dict
        Keys as in :class:`Selection` and human labels.
    """
    opts: dict[str, str] = {}
    if len(pack.crime):
        opts[Measure("crime").key] = "All recorded crime"
        for major in sorted(pack.crime["major"].unique()):
            opts[Measure("crime", group=major).key] = measure_label(major)
        pairs = pack.crime[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
        for major, minor in pairs.itertuples(index=False):
            opts[Measure("crime", group=major, type=minor).key] = (
                f"{measure_label(major)}: {measure_label(minor)}")
    if len(pack.referrals):
        tag = " (SYNTHETIC)" if pack.meta.synthetic_referrals else ""
        opts[Measure("referrals").key] = f"All referrals{tag}"
        for cat in sorted(pack.referrals["category"].dropna().unique()):
            opts[Measure("referrals", category=cat).key] = f"Referrals: {cat}{tag}"
    return opts


def select_records(pack: Pack, sel: Selection) -> tuple[pd.DataFrame, str, frozenset[str] | None]:
    m = sel.measure_value
    if m.is_crime:
        df, coverage = pack.crime, pack.crime_coverage
        if m.source is not None:  # a source of several: hotspots.pipeline.measures.table_for
            raise ValueError(f"Unknown crime measure {sel.measure!r}; see measure_options().")
        if m.group is not None:
            df = df[df["major"] == m.group]
        if m.type is not None:
            df = df[df["minor"] == m.type]
    else:
        df, coverage = pack.referrals, None
        if m.category is not None:
            df = df[df["category"] == m.category]
    df = df[(df["month"] >= sel.month_from) & (df["month"] <= sel.month_to)]
    return df, m.family, coverage


def period_label(month_from: str, month_to: str) -> str:
    """Return e.g. ``"Apr 2025 to Mar 2026 (12 months)"`` for two ``YYYY-MM`` months."""
    a, b = pd.Period(month_from, "M"), pd.Period(month_to, "M")
    n = (b - a).n + 1
    return f"{a.strftime('%b %Y')} to {b.strftime('%b %Y')} ({n} month{'s' if n != 1 else ''})"


def ward_table(pack: Pack, sel: Selection) -> WardTable:
    """Build the ward table for one selection.

    Parameters
    ----------
    pack
        A loaded pack.
    sel
        Measure, period, rate and suppression threshold.

    Returns
    -------
    WardTable
        ``frame`` columns: ``area_code``, ``area_name``, ``borough_name``,
        ``count`` (NaN = no data for this area), ``population``,
        ``rate_per_1000``, ``value``, ``rank`` (1 = highest, competition
        ranking), ``has_data``, ``imd_score``, ``imd_rank``, ``imd_decile``,
        ``imd_share_20pct``, ``suppressed``, ``count_display``,
        ``value_display``, ``rate_display`` and ``geometry`` (EPSG:27700).

    Raises
    ------
    ValueError
        For an unknown measure key or a month range that runs backwards.
    """
    if sel.month_from > sel.month_to:
        raise ValueError(f"The period runs backwards: {sel.month_from} is after {sel.month_to}.")
    records, family, coverage = select_records(pack, sel)
    areas = pack.areas
    if sel.boroughs:
        unknown = sorted(set(sel.boroughs) - set(areas["borough_name"].dropna()))
        if unknown:
            raise ValueError(f"Unknown borough(s) {unknown}; see the pack's borough names.")
        areas = areas[areas["borough_name"].isin(sel.boroughs)].reset_index(drop=True)
        records = records[records["area_code"].isin(areas["area_code"])]
    counts = join.count_by_area(records, areas, weight="count")
    t = areas.merge(counts, on="area_code", how="left")
    has_data = (
        t["area_code"].isin(coverage) if coverage is not None else pd.Series(True, index=t.index)
    )
    t["count"] = t["count"].astype(float).where(has_data)
    t = t.merge(pack.population, on="area_code", how="left")
    pop = pd.to_numeric(t["population"], errors="coerce").astype(float)
    t["population"] = pop
    t["rate_per_1000"] = (t["count"] / pop.where(pop > 0) * 1000).astype(float)
    t["value"] = t["count"] if sel.rate == "count" else t["rate_per_1000"]
    t["has_data"] = has_data.to_numpy() & t["value"].notna().to_numpy()
    t["rank"] = stats.competition_rank(t["value"])
    imd_all = ("imd_score", "imd_rank", "imd_decile", "imd_share_10pct", "imd_share_20pct")
    imd_cols = [c for c in imd_all if c in pack.imd]
    t = t.merge(pack.imd[["area_code", *imd_cols]], on="area_code", how="left")
    for c in imd_all:  # always present: NaN when the pack has no deprivation data
        if c not in t:
            t[c] = float("nan")

    sensitive = family == "referrals"
    t["suppressed"] = (
        privacy.suppressed_mask(t["count"], threshold=sel.suppress_below)
        if sensitive else pd.Series(False, index=t.index)
    ).to_numpy()
    t["count_display"] = privacy.display_counts(
        t["count"], threshold=sel.suppress_below, sensitive=sensitive).to_numpy()
    t["rate_display"] = privacy.display_values(
        t["rate_per_1000"], t["suppressed"], decimals=1, threshold=sel.suppress_below).to_numpy()
    t["value_display"] = t["count_display"] if sel.rate == "count" else t["rate_display"]
    # A rank would reveal the order of suppressed small counts: not ranked.
    t["rank"] = t["rank"].where(~t["suppressed"].astype(bool))
    no_pop = t["has_data"].to_numpy() & t["value"].isna().to_numpy()
    t.loc[no_pop, "value_display"] = "no population"

    rho = stats.spearman(t["value"], t["imd_score"])
    labels = measure_options(pack)
    src = "Recorded crime" if family == "crime" else "Referrals"
    recon = pack.reconciliations[pack.reconciliations["source"].str.startswith(src)]
    frame = gpd.GeoDataFrame(t, geometry="geometry", crs=areas.crs)
    return WardTable(
        frame=frame,
        spearman=rho,
        reconciliation=recon.reset_index(drop=True),
        label=f"{labels.get(sel.measure, sel.measure)}, {RATE_LABELS[sel.rate].lower()}",
        period_label=period_label(sel.month_from, sel.month_to),
        selection=sel,
        is_synthetic=sensitive and bool(pack.meta.synthetic_referrals),
        is_sensitive=sensitive,
        # Records in the areas shown (areas the source does not cover are "no data").
        n_records=int(t["count"].sum(skipna=True)) if len(records) else 0,
    )


def nothing_to_rank_text(wt: WardTable) -> str:
    """Say why no ward can be listed in a top-wards table (every ward 0, hidden or no data).

    Parameters
    ----------
    wt
        The ward table whose top list is empty.

    Returns
    -------
    str
    """
    t = wt.selection.suppress_below
    if wt.is_sensitive:
        return (f"No ward can be listed: every ward has 0 referrals or fewer than {t} in "
                f"{wt.period_label} (counts from 1 to {t - 1} are suppressed and never ranked). "
                "A longer period, all categories or all boroughs may give wards to list.")
    return (f"No ward can be listed: no ward has a record of this measure in "
            f"{wt.period_label}.")


def table_for_export(wt: WardTable) -> pd.DataFrame:
    """Return the ward table as plain columns safe to export (suppressed, no geometry).

    Parameters
    ----------
    wt
        A ward table.

    Returns
    -------
    DataFrame
        Ranked rows with display strings in place of suppressed numbers and
        spreadsheet formulas neutralised; for the demo's SYNTHETIC referrals a
        first column ``data`` says so on every row.
    """
    f = wt.frame.drop(columns="geometry")
    hidden = f["suppressed"].to_numpy().astype(bool)
    t = wt.selection.suppress_below
    # Plain numbers (no thousands separators) for spreadsheets; suppressed cells as "<t".
    count = f["count"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    rate = f["rate_per_1000"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    f = f.assign(count=count.where(~hidden, f"<{t}"), rate_per_1000=rate.where(~hidden, f"<{t}"))
    cols = ["rank", "area_code", "area_name", "borough_name", "count", "population",
            "rate_per_1000", "imd_score", "imd_rank", "imd_decile", "imd_share_20pct", "has_data"]
    out = f[[c for c in cols if c in f]].copy()
    if wt.is_sensitive:
        # The rank of a suppressed ward would reveal its order among small counts.
        out["rank"] = out["rank"].where(~hidden)
    out = out.sort_values(["rank", "area_code"], na_position="last", kind="stable")
    if wt.is_synthetic:  # the export says what it is, as the page and the board pack do
        out.insert(0, "data", SYNTHETIC_EXPORT_LABEL)
    return privacy.safe_for_spreadsheet(out.reset_index(drop=True))


__all__ = ["RATE_LABELS", "SYNTHETIC_EXPORT_LABEL", "RateKind", "Selection", "WardTable",
           "measure_options", "nothing_to_rank_text", "period_label", "table_for_export",
           "ward_table"]
