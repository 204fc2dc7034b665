"""The frames behind the analysis views: monthly series, borough change, callouts.

The page's analysis tabs draw an :class:`hotspots.analysis.Analysis`; the
pieces they need beyond it are built here, from the pack and the analysis,
as plain frames (no streamlit): the records of the measure over every month
the source covers, the month-of-year series for the year-on-year chart, the
change table by borough (with the borough totals that would reveal a
suppressed ward hidden) and callouts that never name a hidden count. One
ward's profile for the drill-down is :mod:`hotspots.pipeline.wardprofile`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from hotspots.periods import YearStart, YearStartKey, month_range
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline.measures import source_pack
from hotspots.pipeline.pack import Pack
from hotspots.pipeline.table import Selection, family_records
from hotspots.privacy import suppressed_mask
from hotspots.stats import trends as trends

__all__ = [
    "BoroughChange",
    "Which",
    "borough_change",
    "change_callouts",
    "measure_records",
    "monthly_long",
    "published_windows",
    "source_months",
    "ward_change",
]

Which = Literal["change", "ytd"]


# --------------------------------------------------------------------------- records


def source_months(pack: Pack, measure: str) -> list[str]:
    """Return the months the measure's source covers (crime or referrals), sorted.

    Parameters
    ----------
    pack
        A loaded pack.
    measure
        A measure key (``"crime:..."`` or ``"referrals:..."``).

    Returns
    -------
    list of str
        ``YYYY-MM`` months; within them a month without records is a zero.
    """
    pack, measure = source_pack(pack, measure)  # one crime source, as the maps count it
    frame = family_records(pack, measure)
    return sorted(str(m) for m in frame["month"].unique())


def measure_records(pack: Pack, sel: Selection) -> pd.DataFrame:
    """Return the selection's records over every month (not only the selected period).

    Parameters
    ----------
    pack
        A loaded pack.
    sel
        The selection (measure and boroughs are used; the months are not).

    Returns
    -------
    DataFrame
        ``area_code``, ``borough_name``, ``month``, ``count``.
    """
    view, key = source_pack(pack, sel.measure)  # one crime source, as the maps count it
    records = analysis_mod._records_all_months(view, dataclasses.replace(sel, measure=key))
    boroughs = pack.areas[["area_code", "borough_name"]]
    out = records[["area_code", "month", "count"]].merge(boroughs, on="area_code", how="left")
    return out[["area_code", "borough_name", "month", "count"]].reset_index(drop=True)


def monthly_long(
    pack: Pack,
    sel: Selection,
    *,
    year_start: YearStartKey | YearStart,
    area_codes: Iterable[str] | None = None,
    records: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the monthly totals, one row per month of each year, for the trend chart.

    Parameters
    ----------
    pack, sel
        Pack and selection (measure and boroughs).
    year_start
        Year convention of the rows.
    area_codes
        Sum these areas only (default: every area of the selection).
    records
        Output of :func:`measure_records`, when already computed.

    Returns
    -------
    DataFrame
        :func:`hotspots.trends.seasonal_table` with ``layout="long"``: months
        the source does not cover have ``count`` NaN.
    """
    rec = measure_records(pack, sel) if records is None else records
    if area_codes is not None:
        rec = rec[rec["area_code"].isin(set(area_codes))]
    return trends.seasonal_table(rec[["month", "count"]],
                                 months_available=source_months(pack, sel.measure),
                                 year_start=year_start, layout="long")


def published_windows(a: analysis_mod.Analysis) -> list[tuple[str, ...]]:
    """Return the runs of months whose totals the page prints (for complementary suppression).

    Parameters
    ----------
    a
        An analysis.

    Returns
    -------
    list of tuple of str
        The selected period and both periods of each change table.
    """
    sel = a.ward.selection
    out: list[tuple[str, ...]] = []
    if "0000" not in sel.month_from and "9999" not in sel.month_to:
        out.append(month_range(sel.month_from, sel.month_to))
    for ct in (a.change, a.ytd):
        if ct is not None:
            out += [ct.current.months, ct.previous.months]
    return out


# --------------------------------------------------------------------------- change


@dataclass(frozen=True)
class BoroughChange:
    """A change table by borough, with the cells that must not be shown.

    Attributes
    ----------
    table
        The change table (group column ``borough_name``).
    hide_count, hide_prev
        Borough totals hidden (aligned on ``table.frame``) because, with the
        ward counts shown and the overall total printed, they would reveal a
        suppressed ward (all False for crime).
    notes
        Notes to print with the table.
    """

    table: trends.ChangeTable
    hide_count: pd.Series
    hide_prev: pd.Series
    notes: tuple[str, ...]


def _change(a: analysis_mod.Analysis, which: Which) -> trends.ChangeTable | None:
    if which not in ("change", "ytd"):
        raise ValueError(f"which={which!r} is unknown: use 'change' or 'ytd'.")
    return a.change if which == "change" else a.ytd


def ward_change(a: analysis_mod.Analysis, *, which: Which = "change") -> pd.DataFrame | None:
    """Return the ward change table with names, wards without data left out.

    Parameters
    ----------
    a
        An analysis.
    which
        ``"change"`` (the previous period of the same length) or ``"ytd"``.

    Returns
    -------
    DataFrame or None
        The :class:`~hotspots.trends.ChangeTable` frame with ``area_name``,
        ``borough_name`` and ``label`` (``"Ward, Borough"``); ``None`` when
        the analysis has no such comparison.
    """
    ct = _change(a, which)
    if ct is None:
        return None
    names = a.table[["area_code", "area_name", "borough_name", "count"]].rename(
        columns={"count": "_covered"})
    f = ct.frame.merge(names, on="area_code", how="inner")
    f = f[f["_covered"].notna()].drop(columns="_covered")
    f["label"] = f["area_name"].astype(str) + ", " + f["borough_name"].fillna("").astype(str)
    return f.reset_index(drop=True)


def _hidden_totals(wards: pd.DataFrame, col: str, threshold: int) -> pd.Series:
    """Borough totals to hide so that no suppressed ward can be worked out.

    With every ward count from ``threshold`` up shown and the overall total
    printed, a borough total gives away the sum of its suppressed wards; it
    is hidden unless that sum is at least ``threshold``. The hidden totals
    together must again hide at least ``threshold`` (the overall total gives
    their sum away), else one more borough with suppressed wards is hidden.
    """
    c = pd.to_numeric(wards[col], errors="coerce").fillna(0)
    prim = suppressed_mask(c, threshold=threshold)
    by = wards["borough_name"].fillna("")
    r = c.where(prim, 0).groupby(by).sum()
    n = prim.groupby(by).sum()
    hidden = (n > 0) & (r < threshold)
    if hidden.any() and r[hidden].sum() < threshold:
        totals = c.groupby(by).sum()
        cand = totals[(~hidden) & (n > 0)].sort_values(kind="stable")
        if len(cand):
            hidden[cand.index[0]] = True
    return hidden


def borough_change(
    a: analysis_mod.Analysis, *, which: Which = "change"
) -> BoroughChange | None:
    """Return the change table by borough for the same two periods as the ward table.

    Parameters
    ----------
    a
        An analysis.
    which
        ``"change"`` or ``"ytd"``.

    Returns
    -------
    BoroughChange or None
        Borough totals are sums of the wards with data (a borough without
        any, e.g. the City of London in an MPS crime file, is left out and
        the notes say so). For referrals, totals that would reveal a
        suppressed ward are marked hidden. ``None`` without a comparison.
    """
    ct = _change(a, which)
    w = ward_change(a, which=which)
    if ct is None or w is None:
        return None
    long = pd.concat([
        pd.DataFrame({"borough_name": w["borough_name"], "month": ct.current.start,
                      "count": w["count"]}),
        pd.DataFrame({"borough_name": w["borough_name"], "month": ct.previous.start,
                      "count": w["count_prev"]}),
    ], ignore_index=True).dropna(subset=["borough_name"])
    table = trends.compare_periods(long, ct.current, ct.previous,
                                   months_available=set(ct.current.months)
                                   | set(ct.previous.months),
                                   group="borough_name", small_base=ct.small_base)
    table = dataclasses.replace(table, notes=ct.notes)
    notes = list(ct.notes)
    all_boroughs = set(a.table["borough_name"].dropna())
    left_out = sorted(all_boroughs - set(table.frame["borough_name"]))
    if left_out:
        notes.append(f"No data for {', '.join(left_out)}: left out (never counted as zero).")
    f = table.frame
    false = pd.Series(False, index=f.index)
    hide_now, hide_prev = false, false
    if a.ward.is_sensitive:
        t = a.ward.selection.suppress_below
        hn, hp = _hidden_totals(w, "count", t), _hidden_totals(w, "count_prev", t)
        hide_now = f["borough_name"].map(hn).fillna(False).astype(bool)
        hide_prev = f["borough_name"].map(hp).fillna(False).astype(bool)
        if (hide_now | hide_prev).any():
            notes.append("Totals marked 'suppressed' are hidden because, with the ward "
                         "counts shown and the overall total, they would reveal a ward with "
                         f"1 to {t - 1} referrals.")
    return BoroughChange(table, hide_now, hide_prev, tuple(notes))


def change_callouts(
    table: trends.ChangeTable,
    frame: pd.DataFrame,
    *,
    name_col: str,
    sensitive: bool = False,
    threshold: int = 5,
    hide_count: pd.Series | None = None,
    hide_prev: pd.Series | None = None,
) -> dict[str, str]:
    """Return the one-line callouts (top, largest rise and fall) without hidden counts.

    Parameters
    ----------
    table
        The change table (for its periods and small-base threshold).
    frame
        Its frame, with ``name_col`` (e.g. :func:`ward_change`'s ``label``).
    name_col
        Column naming the rows.
    sensitive, threshold, hide_count, hide_prev
        As :func:`hotspots.charts.change_table`: rows with a hidden count in
        either period are left out, and the callouts then say so.

    Returns
    -------
    dict
        :func:`hotspots.trends.callouts` keys.
    """
    f = frame
    dropped = False
    if sensitive:
        hide = suppressed_mask(f["count"], threshold=threshold) | suppressed_mask(
            f["count_prev"], threshold=threshold)
        for extra in (hide_count, hide_prev):
            if extra is not None:
                hide |= extra.reindex(f.index).fillna(False).astype(bool)
        dropped = bool(hide.any())
        f = f[~hide]
    f = f.sort_values(["rank", name_col], kind="stable").reset_index(drop=True)
    out = trends.callouts(dataclasses.replace(table, frame=f), name_col=name_col)
    if dropped:
        out = {k: v.rstrip(".") + " (among the areas whose counts can be shown)."
               for k, v in out.items()}
    return out
