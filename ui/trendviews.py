"""The Trends tab: the year-on-year chart, the change tables and emerging hot spots.

:func:`trends_view` draws the monthly chart (all areas or one borough), the
comparison with an earlier period (callouts, borough chart, borough and ward
tables) and, on request, the emerging hot spots (:func:`emerging_counts`,
:func:`emerging_table`). Frames come from :mod:`hotspots.pipeline.viewdata` and
:mod:`hotspots.pipeline.analysis`, charts from :mod:`hotspots.maps.charts`.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from hotspots import pipeline, privacy
from hotspots._errors import InputDataError
from hotspots.maps import charts as charts
from hotspots.maps import statmaps as statmaps
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import viewdata as viewdata
from hotspots.pipeline import wording
from hotspots.stats import emerging as emerging
from ui import cache, exports
from ui.viewparts import (
    ViewOptions,
    _pack_key,
    _safe,
    _synthetic,
    _table,
    _threshold,
    _value_label,
    _year_start,
)

__all__ = ["EMERGING_TITLE", "emerging_counts", "emerging_table", "trends_view"]

#: Label of the Trends tab's opt-in emerging hot spot section.
EMERGING_TITLE = "Emerging hot spots (Gi* every month, Mann-Kendall trend)"

_ALL_AREAS = "All areas in the selection"


def _trend_section(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    sel, t = a.ward.selection, _threshold(a, opts)
    ys = _year_start(a)
    boroughs = sorted(a.table["borough_name"].dropna().astype(str).unique())
    where = st.selectbox("Monthly chart for", [_ALL_AREAS, *boroughs],
                         key=f"{opts.key}_trend_area")
    codes = (None if where == _ALL_AREAS
             else a.table.loc[a.table["borough_name"] == where, "area_code"])
    long = viewdata.monthly_long(pack, sel, year_start=ys, area_codes=codes)
    windows = viewdata.published_windows(a)
    title = f"{_value_label(a)} by month, year on year: {where}"
    flagged = (wording.incomplete_month_notes(pack.meta)
               if sel.measure_value.family == "crime" else {})
    if flagged:
        st.warning(_plain("Months that look incomplete in the crime files (ringed in red; "
                          "read them as partial, not as a fall): " + "; ".join(
                              f"{m}: {n.removeprefix('looks incomplete: ')}"
                              for m, n in flagged.items()) + "."), icon="⚠️")
    with st.container(key=f"{opts.key}_trend_chart"):
        st.altair_chart(charts.trend_chart(long, year_start=ys, sensitive=a.ward.is_sensitive,
                                           threshold=t, windows=windows,
                                           value_label=_value_label(a).split(" per ")[0],
                                           title=title, incomplete=flagged), width="stretch")
    with st.expander("The numbers behind the chart (one row per month)"):
        tt = charts.trend_table(long, sensitive=a.ward.is_sensitive, threshold=t,
                                windows=windows)
        month_key = tt["month"].astype(str)
        tt.loc[month_key.isin(list(flagged)), "status"] = month_key.map(flagged)
        _table(tt[["year_label", "month_label", "count_display", "status"]].rename(
            columns={"year_label": "Year", "month_label": "Month",
                     "count_display": _value_label(a), "status": "Status"}),
               key=f"{opts.key}_trend_table")


def trends_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the year-on-year chart, callouts, change tables and (on request) emerging hot spots."""
    st.subheader("Trends and change")
    _synthetic(a)
    _trend_section(pack, a, opts)
    _change_section(pack, a, opts)
    _emerging_section(pack, a, opts)


def _change_section(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the comparison with an earlier period: callouts, chart, borough and ward tables."""
    words = {"change": "With the previous period of the same length",
             "ytd": "Year to date with the same months a year before"}
    which: viewdata.Which = st.radio(  # type: ignore[assignment]
        "Compare", ["change", "ytd"], horizontal=True, key=f"{opts.key}_compare",
        format_func=words.__getitem__)
    ct = a.change if which == "change" else a.ytd
    if ct is None:
        head = "No previous period" if which == "change" else "No year to date"
        st.info(_safe(" ".join(n for n in a.notes if n.startswith(head)) or
                      "No comparison for this period."))
        return
    t, sensitive = _threshold(a, opts), a.ward.is_sensitive
    st.markdown(f"**{_safe(ct.title)}**")
    auth = wording.authority_word(pack.meta, capital=True)  # "Borough" in London
    bc = viewdata.borough_change(a, which=which)
    wards = viewdata.ward_change(a, which=which)
    lines: list[str] = []
    if bc is not None:
        lines += [f"{wording.authority_word(pack.meta, plural=True, capital=True)} — {v}"
                  for v in viewdata.change_callouts(
            bc.table, bc.table.frame, name_col="borough_name", sensitive=sensitive,
            threshold=t, hide_count=bc.hide_count, hide_prev=bc.hide_prev).values()]
    if wards is not None:
        lines += [f"Wards — {v}" for v in viewdata.change_callouts(
            ct, wards, name_col="label", sensitive=sensitive, threshold=t).values()]
    if lines:
        st.markdown("\n".join(f"- {_safe(x)}" for x in lines))
    if bc is not None and len(bc.table.frame) > 1:
        st.altair_chart(charts.change_bar_chart(
            bc.table.frame, name_col="borough_name", sensitive=sensitive, threshold=t,
            hide_count=bc.hide_count, hide_prev=bc.hide_prev,
            title=f"Change by {auth.lower()}: {ct.title}"), width="stretch")
    if bc is not None:
        st.markdown(f"**By {auth.lower()}**")
        st.caption(_safe(" ".join(bc.notes)))
        _table(charts.change_table(bc.table.frame, name_col="borough_name",
                                         name_label=auth, sensitive=sensitive, threshold=t,
                                         hide_count=bc.hide_count, hide_prev=bc.hide_prev),
               key=f"{opts.key}_change_borough_table")
    if wards is not None:
        st.markdown("**By ward**")
        cap = ("Ranks by count, 1 = highest, ties share a rank (1, 2, 2, 4); 'Rank move' "
               "> 0 = moved up. 'new' = none in the previous period.")
        if sensitive:
            cap += (f" Counts from 1 to {t - 1} are shown as '<{t}'; their change and ranks "
                    "are not shown, and ranks count only the wards shown.")
        st.caption(_safe(cap))
        _table(charts.change_table(wards, name_col="area_name", name_label="Ward",
                                         extra_cols={"borough_name": auth},
                                         sensitive=sensitive, threshold=t),
               key=f"{opts.key}_change_ward_table")


#: Gi* status of a ward in one month, in words.
_STATUS_WORDS = {"hot": "Hot spot", "cold": "Cold spot", "ns": "Not significant"}


def _plain(text: str) -> str:
    """Return a category definition with months for time steps."""
    return re.sub(r"\bsteps?\b", lambda m: "months" if m.group(0) == "steps" else "month", text)


def emerging_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Return every emerging hot spot category with its number of wards and its meaning.

    Parameters
    ----------
    frame
        :func:`hotspots.analysis.emerging_wards` output.

    Returns
    -------
    DataFrame
        ``Category``, ``Wards``, ``What it means``: the categories of
        :data:`hotspots.emerging.CATEGORIES` in their order (zero counts kept),
        "no pattern detected" last; the counts add up to the rows of ``frame``.
    """
    order = [c for c in emerging.CATEGORIES if c != emerging.NO_PATTERN] + [emerging.NO_PATTERN]
    tally = frame["trend_class"].value_counts()
    meaning = {c: _plain(emerging.CATEGORIES[c]) for c in order}
    meaning[emerging.NO_PATTERN] = "none of the patterns above"  # listed last here
    return pd.DataFrame({
        "Category": [_capital(c) for c in order],
        "Wards": pd.array([int(tally.get(c, 0)) for c in order], dtype="int64"),
        "What it means": [meaning[c] for c in order],
    })


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def emerging_table(frame: pd.DataFrame, *, sensitive: bool,
                   authority: str = "Borough") -> pd.DataFrame:
    """Return the wards with an emerging hot spot pattern, as drawn and downloaded.

    Parameters
    ----------
    frame
        :func:`hotspots.analysis.emerging_wards` output (patterns first).
    sensitive
        Referral measure: categories and counts of months only (no trend
        statistics, no z-scores).

    Returns
    -------
    DataFrame
        One row per ward whose category is not "no pattern detected", in the
        frame's order: ``Ward``, ``Borough`` (``authority``), ``Category``
        (capitalised), ``Months hot``, ``Months cold``, ``Months``, ``Final month``,
        ``Trend in clustering``,
        and for other measures ``Trend p``, ``Kendall's tau``, ``Gi* z (final
        month)``.
    """
    e = frame[frame["trend_class"] != emerging.NO_PATTERN]
    out = pd.DataFrame({
        "Ward": e["area_name"].astype(str).to_numpy(),
        authority: e["borough_name"].astype(str).to_numpy(),
        "Category": e["trend_class"].astype(str).map(_capital).to_numpy(),
        "Months hot": e["n_hot"].astype("int64").to_numpy(),
        "Months cold": e["n_cold"].astype("int64").to_numpy(),
        "Months": e["n_steps"].astype("int64").to_numpy(),
        "Final month": e["final_status"].map(_STATUS_WORDS).fillna(e["final_status"]).to_numpy(),
        "Trend in clustering": e["mk_trend"].astype(str).to_numpy(),
    })
    if not sensitive:
        out["Trend p"] = pd.to_numeric(e["mk_p"]).round(4).to_numpy()
        out["Kendall's tau"] = pd.to_numeric(e["mk_tau"]).round(3).to_numpy()
        out["Gi* z (final month)"] = pd.to_numeric(e["gi_z_last"]).round(2).to_numpy()
    return out


def _emerging_frame(pack: pipeline.Pack, a: analysis_mod.Analysis,
                    opts: ViewOptions) -> pd.DataFrame:
    """Emerging hot spots of the analysis' selection (cached when the view has a key)."""
    key = opts.cache_key
    if key is not None and len(key) == 4 and _pack_key(opts) is not None:
        return cache.emerging_wards(*key)
    params = analysis_mod.StatsParams(**a.params["statistics"])
    with st.spinner("Testing every month for hot spots (Gi*) and their trends..."):
        return analysis_mod.emerging_wards(pack, a.ward.selection, params)


def _emerging_section(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the opt-in emerging hot spots: categories with counts, and the wards with a pattern."""
    st.divider()
    on = st.toggle(_safe(EMERGING_TITLE), value=False, key=f"{opts.key}_emerging",
                   help="Runs Gi* on every month of the data, which takes a few seconds; "
                        "off by default so the tab stays fast.")
    if not on:
        st.caption("Turn on to see which wards are new, intensifying, persistent, diminishing "
                   "or historical hot and cold spots over every month of the data.")
        return
    try:
        e = _emerging_frame(pack, a, opts)
    except (InputDataError, ValueError) as exc:
        st.info(f"No emerging hot spots for this selection: {_safe(exc)}")
        return
    sensitive = a.ward.is_sensitive
    h = a.params.get("statistics", {})
    n_months = int(e["n_steps"].iloc[0]) if len(e) else 0
    correction = statmaps.CORRECTION_WORDS.get(str(h.get("correction")), str(h.get("correction")))
    st.markdown(_safe(
        f"Getis-Ord Gi* is run on each of the {n_months} months of the data (every month, not "
        f"only the period chosen above): a ward is a hot or cold spot in a month when its q "
        f"is at most 0.10 (90% confidence, q = p adjusted by {correction}; "
        f"{int(h.get('permutations', 0)):,} permutations, seed {h.get('seed', '?')}). The "
        "Mann-Kendall test then asks whether its Gi* z-scores rise or fall over the months "
        "(p at most 0.05). Each ward gets the first category below that fits."))
    st.markdown("**Wards per category**")
    counts = emerging_counts(e)
    _table(counts, widths={"Category": "medium", "Wards": "small", "What it means": 860},
           key=f"{opts.key}_emerging_counts_table")
    auth = wording.authority_word(pack.meta, capital=True)
    table = emerging_table(e, sensitive=sensitive, authority=auth)
    st.markdown(f"**Wards with a pattern** ({len(table):,} of {len(e):,})")
    if sensitive:
        st.caption("For referrals only the categories and the number of months are shown: "
                   "z-scores and trend statistics of monthly referral counts could narrow "
                   "down a suppressed count.")
    if table.empty:
        st.info("No ward shows an emerging hot or cold spot pattern with these settings.")
        return
    _table(table, widths={"Ward": "medium", auth: "medium", "Category": "medium"},
           key=f"{opts.key}_emerging_wards_table")
    csv = privacy.csv_bytes(table)
    st.download_button("Download the wards with a pattern (CSV)", csv,
                       file_name="emerging_hotspots_wards.csv", mime="text/csv",
                       key=f"{opts.key}_emerging_download",
                       **exports.download_args("emerging hot spots, wards (CSV)",
                                               "emerging_hotspots_wards.csv", pack,
                                               a.ward.selection, sensitive=sensitive))
