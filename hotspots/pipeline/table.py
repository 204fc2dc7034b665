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
import numpy as np
import pandas as pd

from hotspots import privacy, stats
from hotspots.areas import join as join
from hotspots.io import ASB_CATEGORY
from hotspots.labels import measure_label
from hotspots.pipeline.measurekey import ASB_KEY, Measure
from hotspots.pipeline.pack import Pack

RateKind = Literal["count", "per_1000", "eb_per_1000"]
#: First column of an export of SYNTHETIC referrals (never of real ones).
SYNTHETIC_EXPORT_LABEL = "SYNTHETIC referrals: invented, not real data"

#: The smoother behind ``"eb_per_1000"`` (a key of :data:`hotspots.stats.rates.SMOOTHERS`).
EB_METHOD = "global"
#: The smoothing method in words (labels, captions, method cards, manifests).
EB_METHOD_WORDS = "global empirical Bayes"

#: Rate choice -> what a picker shows.
RATE_LABELS: dict[str, str] = {
    "count": "Count",
    "per_1000": "Rate per 1,000 residents",
    "eb_per_1000": f"Smoothed rate per 1,000 ({EB_METHOD_WORDS})",
}
#: Rate choice -> how it reads inside a label (``"Robbery, rate per 1,000 residents"``).
RATE_WORDS: dict[str, str] = {
    "count": "count",
    "per_1000": "rate per 1,000 residents",
    "eb_per_1000": f"smoothed rate per 1,000 residents ({EB_METHOD_WORDS})",
}


def value_words(rate: str, *, sensitive: bool, what: str | None = None) -> str:
    """Return what a ward's value is, for a column or axis title.

    ``what`` names what is counted (:func:`value_word`: ``"ASB incidents"``);
    default ``"Referrals"`` when ``sensitive``, else ``"Crimes"``.

    Examples
    --------
    >>> value_words("count", sensitive=False), value_words("per_1000", sensitive=True)
    ('Crimes', 'Referrals per 1,000 residents')
    >>> value_words("eb_per_1000", sensitive=False)
    'Crimes per 1,000 residents, smoothed (global empirical Bayes)'
    >>> value_words("per_1000", sensitive=False, what="ASB incidents")
    'ASB incidents per 1,000 residents'
    """
    what = what or ("Referrals" if sensitive else "Crimes")
    if rate == "count":
        return what
    tail = f", smoothed ({EB_METHOD_WORDS})" if rate == "eb_per_1000" else ""
    return f"{what} per 1,000 residents{tail}"

#: The label of police.uk anti-social behaviour (ASB incidents are reported to the police;
#: they are not recorded crime). No comma: a label's first comma ends the measure's name
#: in headings and findings.
ASB_LABEL = "Anti-social behaviour (police.uk incidents; not recorded crime)"


def is_asb(crime: pd.DataFrame) -> pd.Series:
    """Mark the rows of a pack's crime frame that are police.uk anti-social behaviour.

    Parameters
    ----------
    crime
        ``Pack.crime`` (``major``, ``minor``): police.uk rows carry the Crime type
        as ``minor`` and as ``major`` (with a source prefix when uploaded beside
        the pack's own crime).

    Returns
    -------
    Series
        Boolean, aligned with ``crime``.

    Examples
    --------
    >>> f = pd.DataFrame({"major": ["police.uk: Anti-social behaviour", "BURGLARY"],
    ...                   "minor": ["Anti-social behaviour", "BURGLARY - RESIDENTIAL"]})
    >>> is_asb(f).tolist()
    [True, False]
    """
    minor = crime["minor"].astype(str)
    return minor.eq(ASB_CATEGORY) & crime["major"].astype(str).str.endswith(ASB_CATEGORY)


def value_word(measure: str) -> str:
    """Name what a measure counts, for headings: ``"Crimes"``, ``"ASB incidents"``, ``"Referrals"``.

    Parameters
    ----------
    measure
        A measure key.

    Returns
    -------
    str

    Examples
    --------
    >>> value_word("crime:all"), value_word("asb:all"), value_word("referrals:all")
    ('Crimes', 'ASB incidents', 'Referrals')
    """
    m = Measure.parse(measure)
    return "Referrals" if m.is_referrals else "ASB incidents" if m.is_asb else "Crimes"


def family_records(pack: Pack, measure: str) -> pd.DataFrame:
    """Return the records of the measure's family, every month (crime, ASB or referrals).

    Parameters
    ----------
    pack
        A loaded pack.
    measure
        A measure key.

    Returns
    -------
    DataFrame
        ``pack.referrals`` for ``referrals:``, the anti-social behaviour rows of
        ``pack.crime`` for ``asb:all``, the other crime rows for ``crime:``.
    """
    m = Measure.parse(measure)
    if m.is_referrals:
        return pack.referrals
    asb = is_asb(pack.crime)
    return pack.crime[asb if m.is_asb else ~asb]


@dataclass(frozen=True)
class Selection:
    """What the user asked to see (small and hashable: a cache key).

    Attributes
    ----------
    measure
        Key from :func:`measure_options`, e.g. ``"crime:all"``,
        ``"crime:major:BURGLARY"``, ``"crime:minor:BURGLARY|BURGLARY - RESIDENTIAL"``,
        ``"asb:all"`` (police.uk anti-social behaviour, never part of ``crime:``),
        ``"referrals:all"``, ``"referrals:category:County Lines"`` (kept as the
        key string: it names cache entries and files); read it as a value with
        :attr:`measure_value`.
    month_from, month_to
        Inclusive ``YYYY-MM`` bounds.
    rate
        ``"count"``, ``"per_1000"`` residents (crude) or ``"eb_per_1000"``
        (smoothed by :data:`EB_METHOD_WORDS`, :func:`hotspots.stats.rates.smooth_rates`).
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
    rate_notes: tuple[str, ...] = ()

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
        Keys as in :class:`Selection` and human labels. police.uk anti-social
        behaviour is ``"asb:all"`` only: never inside ``"crime:all"``, never a
        crime type.
    """
    opts: dict[str, str] = {}
    every = _crime_pairs(pack.crime)  # ASB is a property of the pair: read each pair once
    asb = is_asb(every) if len(every) else pd.Series(False, index=every.index)
    crime = every[~asb]
    if len(crime):
        opts[Measure("crime").key] = "All recorded crime"
        for major in sorted(crime["major"].unique()):
            opts[Measure("crime", group=major).key] = measure_label(major)
        pairs = crime.sort_values(["major", "minor"])
        for major, minor in pairs.itertuples(index=False):
            opts[Measure("crime", group=major, type=minor).key] = (
                f"{measure_label(major)}: {measure_label(minor)}")
    if asb.any():
        opts[ASB_KEY] = ASB_LABEL
    if len(pack.referrals):
        tag = " (SYNTHETIC)" if pack.meta.synthetic_referrals else ""
        opts[Measure("referrals").key] = f"All referrals{tag}"
        for cat in sorted(pack.referrals["category"].dropna().unique()):
            opts[Measure("referrals", category=cat).key] = f"Referrals: {cat}{tag}"
    return opts


def _crime_pairs(crime: pd.DataFrame) -> pd.DataFrame:
    """Return the distinct ``(major, minor)`` pairs of a crime frame (any order).

    By the codes of each column (``pandas.factorize``, missing values kept): a few
    milliseconds where ``drop_duplicates`` on the demo's 316,000 rows of text took 16.
    """
    major, majors = pd.factorize(crime["major"], use_na_sentinel=False)
    minor, minors = pd.factorize(crime["minor"], use_na_sentinel=False)
    pair = np.unique(major.astype(np.int64) * max(len(minors), 1) + minor)
    return pd.DataFrame({"major": majors.take(pair // max(len(minors), 1)),
                         "minor": minors.take(pair % max(len(minors), 1))})


def select_records(pack: Pack, sel: Selection) -> tuple[pd.DataFrame, str, frozenset[str] | None]:
    m = sel.measure_value
    if m.is_asb:
        df, coverage = pack.crime, pack.crime_coverage
        keep = is_asb(df)
    elif m.is_crime:
        if ASB_CATEGORY in (m.group or "") or ASB_CATEGORY in (m.type or ""):
            raise ValueError(f"{sel.measure!r}: anti-social behaviour is not recorded crime but "
                             f"its own measure: choose {ASB_KEY!r}.")
        df, coverage = pack.crime, pack.crime_coverage
        keep = ~is_asb(df)
        if m.source is not None:  # a source of several: hotspots.pipeline.measures.table_for
            raise ValueError(f"Unknown crime measure {sel.measure!r}; see measure_options().")
        if m.group is not None:
            keep &= df["major"] == m.group
        if m.type is not None:
            keep &= df["minor"] == m.type
    else:
        df, coverage = pack.referrals, None
        keep = pd.Series(True, index=df.index)
        if m.category is not None:
            keep &= df["category"] == m.category
    # one mask, one copy of the rows (each filter copied the demo's 316,000 crime rows)
    keep &= (df["month"] >= sel.month_from) & (df["month"] <= sel.month_to)
    return df[keep], m.family, coverage


def family_months(pack: Pack, measure: str) -> list[str]:
    """Return the months of :func:`family_records`, sorted, without copying the records."""
    m = Measure.parse(measure)
    if m.is_referrals:
        return sorted(pack.referrals["month"].unique())
    asb = is_asb(pack.crime)
    return sorted(pack.crime["month"][asb if m.is_asb else ~asb].unique())


def period_label(month_from: str, month_to: str) -> str:
    """Return e.g. ``"Apr 2025 to Mar 2026 (12 months)"`` for two ``YYYY-MM`` months."""
    a, b = pd.Period(month_from, "M"), pd.Period(month_to, "M")
    n = (b - a).n + 1
    return f"{a.strftime('%b %Y')} to {b.strftime('%b %Y')} ({n} month{'s' if n != 1 else ''})"


def rank_values(t: pd.DataFrame, sel: Selection) -> pd.Series:
    """Return the values Spearman's rho ranks: ``value``, a suppressed count at mid-range.

    A referral count from 1 to ``suppress_below - 1`` is hidden in everything
    published, but its order among the other hidden counts moved the printed rho
    (to 2 decimals, per borough over ~20 wards: the synthetic demo's rho differed
    in 31 of 33 boroughs between the raw counts and the hidden ones tied). So a
    suppressed ward enters as the middle of its range (``suppress_below / 2``:
    2.5 of 1 to 4), as a count or as that count per 1,000 of its (published)
    population for the rates: rho then uses only what is published. Other
    measures are ranked as they are.

    Parameters
    ----------
    t
        Ward table frame (``value``, ``suppressed``, ``population``).
    sel
        The selection (rate and threshold).

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> t = pd.DataFrame({"value": [0.0, 3.0, 1.0, 9.0], "population": [1e3, 2e3, 4e3, 1e3],
    ...                   "suppressed": [False, True, True, False]})
    >>> rank_values(t, Selection("referrals:all", "2024-01", "2024-12")).tolist()
    [0.0, 2.5, 2.5, 9.0]
    >>> rank_values(t, Selection("referrals:all", "2024-01", "2024-12", rate="per_1000")
    ...             ).tolist()
    [0.0, 1.25, 0.625, 9.0]
    """
    hidden = t["suppressed"].astype(bool)
    if not hidden.any():
        return t["value"]
    mid = sel.suppress_below / 2
    sub = mid if sel.rate == "count" else mid / pd.to_numeric(t["population"]) * 1000
    return t["value"].where(~hidden, sub)


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
    t["eb_rate"], rate_notes = _eb_rates(t)
    t["value"] = {"count": t["count"], "per_1000": t["rate_per_1000"],
                  "eb_per_1000": t["eb_rate"]}[sel.rate]
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
    t["eb_display"] = privacy.display_values(
        t["eb_rate"], t["suppressed"], decimals=1, threshold=sel.suppress_below).to_numpy()
    t["value_display"] = {"count": t["count_display"], "per_1000": t["rate_display"],
                          "eb_per_1000": t["eb_display"]}[sel.rate]
    # A rank would reveal the order of suppressed small counts: not ranked.
    t["rank"] = t["rank"].where(~t["suppressed"].astype(bool))
    no_pop = t["has_data"].to_numpy() & t["value"].isna().to_numpy()
    t.loc[no_pop, "value_display"] = "no population"

    rho = stats.spearman(rank_values(t, sel), t["imd_score"])
    labels = measure_options(pack)
    src = "Referrals" if family == "referrals" else "Recorded crime"  # ASB: police.uk files
    recon = pack.reconciliations[pack.reconciliations["source"].str.startswith(src)]
    frame = gpd.GeoDataFrame(t, geometry="geometry", crs=areas.crs)
    return WardTable(
        frame=frame,
        spearman=rho,
        reconciliation=recon.reset_index(drop=True),
        label=f"{labels.get(sel.measure, sel.measure)}, {RATE_WORDS[sel.rate]}",
        period_label=period_label(sel.month_from, sel.month_to),
        selection=sel,
        is_synthetic=sensitive and bool(pack.meta.synthetic_referrals),
        is_sensitive=sensitive,
        # Records in the areas shown (areas the source does not cover are "no data").
        n_records=int(t["count"].sum(skipna=True)) if len(records) else 0,
        rate_notes=rate_notes,
    )


def _eb_rates(t: pd.DataFrame) -> tuple[pd.Series, tuple[str, ...]]:
    """Return the smoothed rate per 1,000 of every area (:data:`EB_METHOD`) and its notes.

    Areas with a count (no data: NaN) are smoothed together; with fewer than 3
    populated areas there is no smoothed rate (NaN, and a note says so).
    """
    if (pd.to_numeric(t["population"]) > 0).sum() < 3:
        return (pd.Series(float("nan"), index=t.index),
                ("No population for this layer: rates and smoothed rates are left out.",))
    eb = stats.rates.smooth_rates(t[["area_code", "area_name", "count", "population"]].dropna(
        subset=["count"]), method=EB_METHOD)
    rates = t[["area_code"]].merge(eb.frame[["area_code", "eb_rate"]], on="area_code",
                                   how="left")["eb_rate"]
    return (pd.Series(rates.to_numpy(dtype=float), index=t.index),
            tuple(pr.to_text() for pr in eb.report))


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
    eb = f["eb_rate"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    f = f.assign(count=count.where(~hidden, f"<{t}"), rate_per_1000=rate.where(~hidden, f"<{t}"),
                 eb_rate_per_1000=eb.where(~hidden, f"<{t}"))
    cols = ["rank", "area_code", "area_name", "borough_name", "count", "population",
            "rate_per_1000", "eb_rate_per_1000", "imd_score", "imd_rank", "imd_decile",
            "imd_share_20pct", "has_data"]
    out = f[[c for c in cols if c in f]].copy()
    if wt.is_sensitive:
        # The rank of a suppressed ward would reveal its order among small counts.
        out["rank"] = out["rank"].where(~hidden)
    out = out.sort_values(["rank", "area_code"], na_position="last", kind="stable")
    if wt.is_synthetic:  # the export says what it is, as the page and the board pack do
        out.insert(0, "data", SYNTHETIC_EXPORT_LABEL)
    return privacy.safe_for_spreadsheet(out.reset_index(drop=True))


__all__ = ["ASB_LABEL", "EB_METHOD", "EB_METHOD_WORDS", "RATE_LABELS", "RATE_WORDS", "RateKind",
           "Selection", "WardTable", "family_records", "is_asb", "measure_options",
           "nothing_to_rank_text", "period_label", "SYNTHETIC_EXPORT_LABEL", "table_for_export",
           "value_word", "value_words",
           "ward_table"]
