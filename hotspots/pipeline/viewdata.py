"""The frames behind the analysis views: monthly series, borough change, ward profile.

The page's analysis tabs draw an :class:`hotspots.analysis.Analysis`; the
pieces they need beyond it are built here, from the pack and the analysis,
as plain frames (no streamlit): the records of the measure over every month
the source covers, the month-of-year series for the year-on-year chart, the
change table by borough (with the borough totals that would reveal a
suppressed ward hidden), callouts that never name a hidden count, the ward
picker's labels and a ward's profile for the drill-down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from hotspots.maps import charts as charts
from hotspots.maps.statmaps import HIDDEN_STAT, format_p
from hotspots.periods import YearStart, YearStartKey, month_range
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline.pack import Pack
from hotspots.pipeline.table import Selection
from hotspots.privacy import suppressed_mask
from hotspots.stats import NO_DATA
from hotspots.stats import trends as trends
from hotspots.stats.weights import build_weights

__all__ = [
    "BoroughChange",
    "WardProfile",
    "Which",
    "borough_change",
    "change_callouts",
    "imd_reference_note",
    "measure_records",
    "monthly_long",
    "published_windows",
    "rank_move_words",
    "source_months",
    "ward_change",
    "ward_choices",
    "ward_profile",
]

Which = Literal["change", "ytd"]

_DOMAIN_LABELS = {
    "income": "Income", "employment": "Employment",
    "education": "Education, skills and training",
    "health": "Health deprivation and disability", "crime": "Crime",
    "barriers": "Barriers to housing and services", "living_environment": "Living environment",
}


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
    family = measure.partition(":")[0]
    frame = pack.crime if family == "crime" else pack.referrals
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
    records = analysis_mod._records_all_months(pack, sel)  # the records analyse() compares
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
            notes.append("Borough totals marked 'suppressed' are hidden because, with the ward "
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


# --------------------------------------------------------------------------- drill-down


def ward_choices(table: pd.DataFrame) -> dict[str, str]:
    """Return ``"Ward, Borough"`` labels -> area codes, A to Z.

    Parameters
    ----------
    table
        Frame with ``area_code``, ``area_name``, ``borough_name``.

    Returns
    -------
    dict
        Labels are unique (a repeated label gets its code appended).
    """
    f = table[["area_code", "area_name", "borough_name"]].copy()
    f["label"] = f["area_name"].astype(str) + ", " + f["borough_name"].fillna("").astype(str)
    dup = f["label"].duplicated(keep=False)
    f.loc[dup, "label"] = f.loc[dup, "label"] + " (" + f.loc[dup, "area_code"].astype(str) + ")"
    f = f.sort_values(["label"], key=lambda s: s.str.casefold(), kind="stable")
    return dict(zip(f["label"], f["area_code"].astype(str), strict=True))


@dataclass(frozen=True)
class WardProfile:
    """Everything the drill-down shows about one ward, as plain tables.

    Attributes
    ----------
    area_code, label
        The ward's code and ``"Ward, Borough"``.
    facts
        ``What`` / ``Value`` (text): value, rank, counts and change in both
        periods, ranks by count in both periods and the movement.
    status
        One row per statistic: ``Statistic``, ``Result``, ``Statistic value``,
        ``p``, ``q``.
    imd
        ``Indicator`` / ``Value`` / ``Reference`` rows: IMD 2019 score, rank,
        decile, share in England's most deprived 20%, domain scores if the
        pack has them.
    neighbours
        The ward's neighbours under the analysis' weights: ``Ward``,
        ``Borough``, the value, ``Gi* class``, ``LISA cluster``.
    trend
        Month-of-year series for the trend chart (see :func:`monthly_long`).
    trend_level
        What the trend sums, e.g. ``"Coldharbour, Lambeth (this ward)"``.
    notes
        Notes to print.
    """

    area_code: str
    label: str
    facts: pd.DataFrame
    status: pd.DataFrame
    imd: pd.DataFrame
    neighbours: pd.DataFrame
    trend: pd.DataFrame
    trend_level: str
    notes: tuple[str, ...]


def _txt(v: object, fmt: str = "{:,.0f}") -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return "no data"
    return fmt.format(v)


def _cell(v: object) -> str:
    """Return a table cell as text: numbers with thousands separators, text as it is."""
    if isinstance(v, str):
        return v
    return _txt(v, "{:,.0f}")


def _ward_facts(a: analysis_mod.Analysis, row: pd.Series, value_label: str) -> pd.DataFrame:
    sel, t = a.ward.selection, a.ward.selection.suppress_below
    sensitive = a.ward.is_sensitive
    n_ranked = int(a.table["rank"].notna().sum())
    rank = ("not shown (small count)" if sensitive and bool(row.get("suppressed"))
            else _txt(row.get("rank"), "{:,.0f}") + f" of {n_ranked:,} wards ranked")
    rows = [("Measure", str(a.params.get("measure_label", sel.measure))),
            ("Period", str(a.params.get("period_label", ""))),
            (value_label, str(row.get("value_display", "no data"))),
            ("Rank in the period (1 = highest; ties share a rank)", rank)]
    pairs: tuple[tuple[Which, str], ...] = (("change", "previous period"),
                                            ("ytd", "year to date"))
    for which, name in pairs:
        ct, w = _change(a, which), ward_change(a, which=which)
        if ct is None or w is None:
            rows.append((f"Compared with the {name}", "not available"))
            continue
        shown = charts.change_table(w, name_col="area_code", name_label="area_code",
                                    sensitive=sensitive, threshold=t)
        r = shown[shown["area_code"] == row["area_code"]]
        if r.empty:
            rows.append((f"Compared with the {name}", "no data"))
            continue
        r0 = r.iloc[0]
        rows += [
            (f"Count, {ct.current.label}", _cell(r0["Count"])),
            (f"Count, {ct.previous.label}", _cell(r0["Previous count"])),
            (f"Change ({name})", str(r0["Change (words)"])
             + (" (small base: the % says little)" if r0["Small base"] == "yes"
                and r0["Change (words)"] not in ("not shown", "new", "no change") else "")),
            (f"Rank by count, {ct.current.label}", _txt(r0["Rank"], "{:,}")),
            (f"Rank by count, {ct.previous.label}", _txt(r0["Previous rank"], "{:,}")),
            (f"Rank movement ({name})", rank_move_words(r0["Rank move"])),
        ]
    return pd.DataFrame(rows, columns=["What", "Value"])


def rank_move_words(move: object) -> str:
    """Return a movement in rank in words (positive = up the table).

    Examples
    --------
    >>> rank_move_words(0), rank_move_words(3), rank_move_words(-1), rank_move_words(None)
    ('no change', 'up 3 places', 'down 1 place', 'no data')
    """
    v = pd.to_numeric(pd.Series([move], dtype=object), errors="coerce").iloc[0]
    if pd.isna(v):
        return "no data"
    n = int(v)
    if n == 0:
        return "no change"
    return f"{'up' if n > 0 else 'down'} {abs(n):,} place{'s' if abs(n) != 1 else ''}"


def imd_reference_note(imd: pd.DataFrame) -> str:
    """Return the ``Reference`` column of :attr:`WardProfile.imd` as one sentence.

    Indicators sharing a reference are named together, e.g. ``"IMD rank and
    IMD decile: London's 2025 wards."``, so the table itself can stay narrow.

    Parameters
    ----------
    imd
        ``Indicator`` / ``Value`` / ``Reference`` rows.

    Returns
    -------
    str
        Empty when there is no reference.
    """
    parts = []
    refs = imd["Reference"].astype(str)
    for ref in dict.fromkeys(r for r in refs if r.strip()):
        names = [str(x).split(" (")[0] for x in imd.loc[refs == ref, "Indicator"]]
        what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(f"{what}: {ref}.")
    return " ".join(parts)


def _ward_status(row: pd.Series, sensitive: bool) -> pd.DataFrame:
    def stat(v: object) -> str:
        return HIDDEN_STAT if sensitive and v is not None and not pd.isna(v) else _txt(
            v, "{:+.3f}")

    rows = [
        ("Getis-Ord Gi*", str(row.get("gi_class", NO_DATA)), "z = " + stat(row.get("gi_z")),
         format_p(row.get("gi_p")), format_p(row.get("gi_q"))),
        ("Local Moran (LISA)", str(row.get("lisa_quadrant", NO_DATA)),
         "I = " + stat(row.get("lisa_i")), format_p(row.get("lisa_p")),
         format_p(row.get("lisa_q"))),
    ]
    if "bv_quadrant" in row:
        rows.append(("Bivariate LISA (measure here, IMD around)", str(row.get("bv_quadrant")),
                     "I = " + stat(row.get("bv_i")), format_p(row.get("bv_p")),
                     format_p(row.get("bv_q"))))
        rows.append(("Bivariate class (terciles)", str(row.get("bv_class_label", NO_DATA)),
                     "", "", ""))
    rows.append(("Neighbours used", _txt(row.get("n_neighbours"), "{:,.0f}"),
                 str(row.get("weights_fallback") or ""), "", ""))
    return pd.DataFrame(rows, columns=["Statistic", "Result", "Statistic value", "p", "q"])


def _ward_imd(pack: Pack, row: pd.Series, n: int) -> pd.DataFrame:
    ref = str(pack.meta.get("imd_reference") or "the wards of this layer")
    rows = [
        ("IMD 2019 average score (higher = more deprived)", _txt(row.get("imd_score"), "{:.1f}"),
         "population-weighted mean of the ward's LSOAs"),
        ("IMD rank (1 = most deprived)", _txt(row.get("imd_rank"), "{:,.0f}") + f" of {n:,}",
         ref),
        ("IMD decile (1 = most deprived 10%)", _txt(row.get("imd_decile"), "{:.0f}"), ref),
        ("Residents in England's most deprived 20% of LSOAs",
         _txt(row.get("imd_share_20pct"), "{:.0%}"), "national deciles (England)"),
    ]
    imd = pack.imd[pack.imd["area_code"] == row["area_code"]]
    for key, label in _DOMAIN_LABELS.items():
        col = f"imd_{key}_score"
        if col in imd.columns and len(imd):
            rows.append((f"{label} domain score", _txt(imd[col].iloc[0], "{:.3g}"),
                         "IoD 2019 domain"))
    return pd.DataFrame(rows, columns=["Indicator", "Value", "Reference"])


def _neighbours(pack: Pack, a: analysis_mod.Analysis, code: str,
                value_label: str) -> pd.DataFrame:
    s = a.params.get("statistics", {})
    kind = str(s.get("weights", "queen"))
    opts: dict[str, Any] = {"k": int(s.get("k", 6))} if kind == "knn" else {}
    if kind == "distance":
        opts["threshold"] = s.get("threshold")
    sw = build_weights(pack.areas, kind=kind, **opts)  # type: ignore[arg-type]
    i = sw.ids.get_loc(code)
    adj = sw.adjacency
    codes = [sw.ids[j] for j in adj.indices[adj.indptr[i]:adj.indptr[i + 1]]]
    info = pack.areas.set_index("area_code").loc[codes, ["area_name", "borough_name"]]
    t = a.table.set_index("area_code")
    inside = [c in t.index for c in codes]
    out = pd.DataFrame({
        "Ward": info["area_name"].astype(str).to_numpy(),
        "Borough": info["borough_name"].astype(str).to_numpy(),
        value_label: [str(t.at[c, "value_display"]) if ok else "outside the selection"
                      for c, ok in zip(codes, inside, strict=True)],
        "Gi* class": [str(t.at[c, "gi_class"]) if ok else "" for c, ok in zip(codes, inside,
                                                                              strict=True)],
        "LISA cluster": [str(t.at[c, "lisa_quadrant"]) if ok else ""
                         for c, ok in zip(codes, inside, strict=True)],
    })
    return out.sort_values(["Borough", "Ward"], kind="stable").reset_index(drop=True)


def ward_profile(
    pack: Pack,
    a: analysis_mod.Analysis,
    area_code: str,
    *,
    year_start: YearStartKey | YearStart | None = None,
    value_label: str = "Value",
) -> WardProfile:
    """Return one ward's profile for the drill-down.

    Parameters
    ----------
    pack
        The pack the analysis was run on.
    a
        The analysis.
    area_code
        The ward (a code of ``a.table``).
    year_start
        Year convention of the trend (default: the analysis').
    value_label
        Heading of the value, e.g. ``"Crimes"``.

    Returns
    -------
    WardProfile
        For referrals the trend is the ward's borough (ward-level monthly
        counts are almost all below the threshold) and says so.

    Raises
    ------
    KeyError
        The code is not in the analysis table.
    """
    t = a.table
    match = t[t["area_code"] == area_code]
    if match.empty:
        raise KeyError(f"{area_code!r} is not a ward of this analysis; pick one of "
                       "ward_choices(analysis.table).")
    row = match.iloc[0]
    ys = year_start or a.params.get("statistics", {}).get("year_start", "financial")
    label = f"{row['area_name']}, {row['borough_name']}"
    sel = a.ward.selection
    notes: list[str] = []
    if a.ward.is_sensitive:
        borough = row["borough_name"]
        codes = t.loc[t["borough_name"] == borough, "area_code"]
        level = f"{borough} (the ward's borough)"
        notes.append("Monthly referrals are not shown for a single ward: most months would be "
                     f"below {sel.suppress_below}. The chart shows the ward's borough.")
    else:
        codes = pd.Series([area_code])
        level = f"{label} (this ward)"
    trend = monthly_long(pack, sel, year_start=ys, area_codes=codes)
    n_imd = int(pd.to_numeric(pack.imd.get("imd_score", pd.Series(dtype=float)),
                              errors="coerce").notna().sum())
    return WardProfile(
        area_code=area_code, label=label,
        facts=_ward_facts(a, row, value_label),
        status=_ward_status(row, a.ward.is_sensitive),
        imd=_ward_imd(pack, row, n_imd),
        neighbours=_neighbours(pack, a, area_code, value_label),
        trend=trend, trend_level=level, notes=tuple(notes),
    )
