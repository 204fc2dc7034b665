"""The analysis views: hotspot maps, bivariate map, deprivation, trends and a ward drill-down.

One function per view, each taking ``(pack, analysis, options)`` and drawing
into the current container; :func:`render_analysis_tabs` draws them as tabs.
Views only draw: maps come from :mod:`hotspots.maps.statmaps` (one per
statistic of :mod:`hotspots.stats.registry`), charts and their tables from
:mod:`hotspots.maps.charts`, the other frames from :mod:`hotspots.pipeline`.
Every view prints the data behind it with ``st.dataframe``. Text from the pack
or the user is escaped before it is drawn as Markdown or HTML. The Trends tab
is :mod:`ui.trendviews`; what the views share (:class:`ViewOptions`, drawing
helpers) is :mod:`ui.viewparts`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
import streamlit as st

from hotspots import pipeline, stats
from hotspots.maps import charts as charts
from hotspots.maps import statmaps as statmaps
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import viewdata as viewdata
from hotspots.pipeline import wardprofile as wardprofile
from hotspots.pipeline import wording
from ui import mapview
from ui.trendviews import EMERGING_TITLE, emerging_counts, emerging_table, trends_view
from ui.viewparts import (
    ViewOptions,
    _draw_panel,
    _heading,
    _map_args,
    _measure_word,
    _rendered,
    _safe,
    _synthetic,
    _table,
    _table_caption,
    _threshold,
    _value_label,
    _year_start,
    text_width,
)

__all__ = [
    "DRILLDOWN_TAB",
    "EMERGING_TITLE",
    "TABS",
    "ViewOptions",
    "bivariate_view",
    "deprivation_view",
    "drilldown_view",
    "emerging_counts",
    "emerging_table",
    "hotspot_view",
    "render_analysis_tabs",
    "select_ward",
    "trends_view",
]

#: The tab a map click opens (by label, so that tabs added later do not move it).
DRILLDOWN_TAB = "Ward drill-down"
#: Tab labels, in order.
TABS: tuple[str, ...] = ("Hotspots", "Bivariate", "Deprivation", "Trends", DRILLDOWN_TAB)


# --------------------------------------------------------------------------- views


def _global_line(stat: stats.registry.Statistic, g: dict[str, Any], *,
                 sensitive: bool = False) -> str:
    """One global statistic in a sentence: its value, pseudo p and what it says.

    For a sensitive measure the value is not printed (the registry's rule,
    :func:`hotspots.stats.registry.public_global`): pseudo p and the verdict are.
    """
    value = stats.registry.public_global(g, sensitive=sensitive).get(stat.symbol)
    shown = f" = {value:.3f}" if value is not None else f": {statmaps.HIDDEN_STAT}"
    return (f"Global {stat.name}{shown} (pseudo p = {statmaps.format_p(g.get('p_sim'))}): "
            + ("wards with similar values sit together more than chance would give."
               if stat.clustered(g.get(stat.symbol, stat.neutral))
               else "no overall clustering of similar values."))


def hotspot_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the global statistics, the local statistics' maps side by side and their table.

    One line per global statistic of :mod:`hotspots.stats.registry` (Moran's I,
    ...), then a map per local statistic of the measure alone (Gi*, LISA, ...),
    two to a row, with its legend and method, then the ward table of them all.
    """
    st.subheader("Hot spots and clusters")
    _synthetic(a)
    h = a.params.get("hotspots", {})
    for stat in stats.registry.global_statistics():
        if h.get(stat.key):
            st.caption(_global_line(stat, h[stat.key], sensitive=a.ward.is_sensitive))
    args = _map_args(pack, a, opts)
    shown = stats.registry.local_statistics(univariate=True)
    panels = [_rendered(opts, s.prefix, lambda s=s: statmaps.local_map(  # type: ignore[misc]
        s, pack.web_areas, a.table, **args)) for s in shown]
    for i in range(0, len(shown), 2):
        for column, s, panel in zip(st.columns(2, gap="medium"), shown[i:i + 2],
                                    panels[i:i + 2], strict=False):
            with column:
                _draw_panel(panel, f"{opts.key}_{s.prefix}_map")
    st.markdown("**The numbers behind the maps** (strongest hot spot first)")
    st.caption(_safe(" ".join(filter(None, (_table_caption(a, _threshold(a, opts)),
                                            statmaps.same_p_note(a.table))))))
    _table(statmaps.hotspot_table(a.table, value_label=_value_label(a),
                                  sensitive=a.ward.is_sensitive,
                                  authority=wording.authority_word(pack.meta, capital=True)),
           key=f"{opts.key}_hotspot_table")


def bivariate_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the 3 x 3 bivariate map of the measure against IMD, its legend and table."""
    st.subheader("Measure and deprivation together")
    _synthetic(a)
    group = stats.registry.get("bivariate").col("group")
    if group not in a.table or a.table[group].isna().all():
        st.info(f"No {wording.index_label(pack.meta)} scores for these wards, so there is "
                "no bivariate map.")
        return
    ref = pack.meta.imd_reference or "the wards on this map"
    panel = _rendered(opts, "bivariate", lambda: statmaps.bivariate_map(
        pack.web_areas, a.table, **_map_args(pack, a, opts), measure_word=_measure_word(a),
        integer=a.ward.selection.rate == "count", threshold=_threshold(a, opts), reference=ref,
        index_label=wording.index_label(pack.meta)))
    left, right = st.columns([2, 1], gap="medium")
    with left:
        _heading(panel.title)
        mapview.show_rendered(panel.rendered, key=f"{opts.key}_bv_map")
    with right:
        with st.container(key=f"{opts.key}_bv_map_legend"):
            st.markdown(panel.legend, unsafe_allow_html=True)
        st.caption("Dark blue-purple: high on both. Pink: high measure, low deprivation. "
                   "Teal: high deprivation, low measure.")
    st.caption(_safe(panel.caption))
    st.markdown("**The numbers behind the map**")
    st.caption(_safe(_table_caption(a, _threshold(a, opts))))
    _table(statmaps.bivariate_table(a.table, value_label=_value_label(a),
                                    measure_word=_measure_word(a),
                                    sensitive=a.ward.is_sensitive,
                                    index_label=wording.index_label(pack.meta),
                                    authority=wording.authority_word(pack.meta, capital=True)),
           key=f"{opts.key}_bivariate_table")


def _top_boroughs(a: analysis_mod.Analysis, n: int = 3) -> list[str]:
    t = a.table
    totals = pd.to_numeric(t["count"], errors="coerce").groupby(t["borough_name"]).sum()
    return totals.sort_values(ascending=False, kind="stable").head(n).index.astype(str).tolist()


def _skewed(values: pd.Series) -> bool:
    """Return True when the largest value is over five times the 90th percentile."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(v) and v.quantile(0.9) > 0 and v.max() > 5 * v.quantile(0.9))


def _fixed(value: object, digits: int = 2) -> str:
    """Return a number rounded for a table, or a dash where it is not defined."""
    v = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return "\u2014" if pd.isna(v) else f"{round(float(v), digits) + 0.0:.{digits}f}"  # no -0.00


def _spearman_display(by: pd.DataFrame) -> pd.DataFrame:
    """Spearman per borough as drawn: undefined values as a dash, 'Small n' as words."""
    undefined = pd.to_numeric(by["rho"], errors="coerce").isna()
    p = by["p_value"].map(statmaps.format_p).where(~undefined, "\u2014")
    return pd.DataFrame({
        "Area": by["group"].astype(str),
        "n (wards)": by["n"].astype("int64"),
        "rho": by["rho"].map(_fixed),
        "95% CI low": by["ci_low"].map(_fixed),
        "95% CI high": by["ci_high"].map(_fixed),
        "p": p,
        "Wording": by["wording"].astype(str),
        "Small n": by["small_n"].astype(bool).map({True: "yes", False: ""}),
        "Tied measure values": by["n_ties_measure"],
        "Zero values": by["n_zero"],
    })


def _spearman_note(by: pd.DataFrame) -> str:
    """Say why some rows have no rho (too few wards with both values)."""
    undefined = by[pd.to_numeric(by["rho"], errors="coerce").isna()]
    if undefined.empty:
        return ""
    rows = ", ".join(f"{g} (n = {int(n)})" for g, n in zip(
        undefined["group"].astype(str), undefined["n"], strict=True))
    return (f"\u2014 = not defined: too few wards with both a value and an IMD score "
            f"(rho needs at least 4 that vary): {rows}.")


def deprivation_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the scatter of ward values against IMD, Spearman per borough and the deciles."""
    st.subheader("How the measure relates to deprivation")
    _synthetic(a)
    t = _threshold(a, opts)
    if a.table["imd_score"].notna().sum() < 3:
        st.info(f"No {wording.index_label(pack.meta)} scores for these wards, so there is no "
                "comparison with deprivation.")
        return
    label, authority = wording.index_label(pack.meta), wording.authority_word(pack.meta)
    st.markdown(_safe(f"Against the {label} average score of each ward: "
                      f"{a.ward.spearman.text}"))
    if a.deprived_share is not None:
        st.markdown(_safe(a.deprived_share.text))
    boroughs = sorted(a.table["borough_name"].dropna().astype(str).unique())
    highlight: list[str] = []
    if len(boroughs) > 10:
        highlight = st.multiselect(
            f"Highlight {wording.authority_word(pack.meta, plural=True)} on the chart", boroughs,
                                   default=_top_boroughs(a), key=f"{opts.key}_scatter_highlight",
                                   max_selections=10)
    log = st.toggle("Logarithmic value axis (a few wards dwarf the rest)",
                    value=_skewed(a.table["value"]), key=f"{opts.key}_scatter_log")
    chart = charts.scatter_chart(a.table, measure_label=_value_label(a),
                                 subtitle=a.ward.spearman.text, sensitive=a.ward.is_sensitive,
                                 threshold=t, rate=a.ward.selection.rate != "count",
                                 highlight=highlight, y_scale="symlog" if log else "linear",
                                 index_label=label, authority=authority.capitalize())
    with st.container(key=f"{opts.key}_scatter_chart"):
        st.altair_chart(chart, width="stretch")
    st.markdown(f"**Spearman's rank correlation with {_safe(label)} score, per "
                f"{_safe(authority)}**")
    scale = "; ".join(f"{w} from {b:g}" for b, w in stats.WORDING_SCALE)
    note = _spearman_note(a.by_borough)
    st.caption(_safe(f"rho with its 95% confidence interval (Fisher z, Bonett-Wright variance) "
                     f"and n; ties get average ranks. Wording of |rho|: {scale}. 'Small n' = "
                     "yes: fewer than 10 wards, where rho is unstable." + (
                         f" {note}" if note else "")))
    _table(_spearman_display(a.by_borough), widths={"Area": "medium", "Wording": "medium"},
           right=("rho", "95% CI low", "95% CI high", "p"), key=f"{opts.key}_spearman_table")
    with st.expander("The numbers behind the chart (one row per ward)"):
        _table(charts.scatter_table(a.table, sensitive=a.ward.is_sensitive, threshold=t,
                                          rate=a.ward.selection.rate != "count").drop(
            columns=["value", "y_plot"]).rename(columns={
                "area_name": "Ward", "borough_name": authority.capitalize(),
                "imd_score": f"{label} score", "imd_decile": f"{label} decile",
                "value_display": _value_label(a), "suppressed": "Suppressed"}),
               key=f"{opts.key}_scatter_table")
    if len(a.deciles):
        st.markdown("**By IMD decile**")
        deciles = _deciles(a, t)  # "1, most deprived 10%, <reference>" shown whole
        _table(deciles, widths={"Decile": text_width(deciles["Decile"])},
               right=_DECILE_TEXT_NUMBERS, key=f"{opts.key}_decile_table")


def _deciles(a: analysis_mod.Analysis, threshold: int) -> pd.DataFrame:
    d = a.deciles
    count = pd.to_numeric(d["count"], errors="coerce")
    out = pd.DataFrame({"Decile": d["decile_label"].astype(str), "Wards": d["areas"]})
    if a.ward.is_sensitive:
        prim, extra = charts.protect_totals(count, [list(d.index)], threshold=threshold)
        hidden = prim | extra
        out["Count"] = count.map(lambda v: f"{int(v):,}").where(~extra, "suppressed").where(
            ~prim, f"<{threshold}")
        out["Share of count"] = _number_text(100 * d["share_of_count"], 1, hidden)
        if "rate_per_1000" in d:
            out["Rate per 1,000"] = _number_text(d["rate_per_1000"], 2, hidden)
    else:
        out["Count"] = count
        out["Share of count"] = (100 * d["share_of_count"]).round(1)
        if "rate_per_1000" in d:  # a decile without population (no IMD value) has no rate
            out["Rate per 1,000"] = _number_text(d["rate_per_1000"], 2)
    return out


#: Text columns of numbers in the decile table (aligned right like numbers).
_DECILE_TEXT_NUMBERS = ("Share of count", "Rate per 1,000")


def _number_text(values: pd.Series, decimals: int, hidden: pd.Series | None = None) -> list[str]:
    """Return numbers as text, "—" where undefined or hidden (the grid printed "None")."""
    return ["\u2014" if pd.isna(v) or (hidden is not None and bool(h)) else f"{v:,.{decimals}f}"
            for v, h in zip(values, hidden if hidden is not None else [False] * len(values),
                            strict=True)]


def drilldown_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw one ward: its trend, rank, change, hotspot status, deprivation and neighbours."""
    st.subheader("Ward drill-down")
    _synthetic(a)
    choices = wardprofile.ward_choices(a.table)
    labels = list(choices)
    ranked = a.table.sort_values(["rank", "area_name"], na_position="last", kind="stable")
    top = str(ranked["area_code"].iloc[0]) if len(ranked) else None
    codes = list(choices.values())
    key = f"{opts.key}_drill_ward"
    picked = st.session_state.pop(f"{opts.key}_drill_clicked", None)
    if picked in codes:  # a ward clicked on the map (see select_ward)
        st.session_state[key] = labels[codes.index(picked)]
        st.toast(f"{labels[codes.index(picked)]}: open in the Ward drill-down tab below.")
    elif picked is not None:
        st.info("The ward clicked on the map is not in this selection.")
    if labels and st.session_state.get(key) not in labels:
        # The list opens on the top-ranked ward. Its value is set through the session state
        # only (never also as index=): Streamlit warns when a widget gets both.
        st.session_state[key] = labels[codes.index(top) if top in codes else 0]
    label = st.selectbox("Ward (type to search)", labels, key=key)
    if label is None:
        return
    t = _threshold(a, opts)
    ys = _year_start(a)
    p = wardprofile.ward_profile(pack, a, choices[label], year_start=ys,
                              value_label=_value_label(a))
    st.markdown(f"### {_safe(p.label)}")
    left, right = st.columns([5, 4], gap="medium")
    with left:
        st.markdown("**The ward in numbers**")
        _table(p.facts, key=f"{opts.key}_drill_facts_table")
    with right:
        st.markdown(f"**Deprivation ({_safe(wording.index_label(pack.meta))})**")
        _table(p.imd.drop(columns="Reference"), key=f"{opts.key}_drill_imd_table")
        st.caption(_safe(wardprofile.imd_reference_note(p.imd)))
    st.markdown("**Hotspot status** (q = p adjusted for multiple testing)")
    _table(p.status, key=f"{opts.key}_drill_status_table")
    for note in p.notes:
        st.caption(_safe(note))
    st.altair_chart(charts.trend_chart(
        p.trend, year_start=ys, sensitive=a.ward.is_sensitive, threshold=t,
        windows=viewdata.published_windows(a),
        value_label=_value_label(a).split(" per ")[0],
        title=f"By month, year on year: {p.trend_level}"), width="stretch")
    with st.expander("The numbers behind the chart (one row per month)"):
        tt = charts.trend_table(p.trend, sensitive=a.ward.is_sensitive, threshold=t,
                                windows=viewdata.published_windows(a))
        _table(tt[["year_label", "month_label", "count_display", "status"]],
               key=f"{opts.key}_drill_trend_table")
    st.markdown(f"**Neighbours** ({len(p.neighbours)}, under the weights of the statistics): "
                "where activity could move if it is displaced")
    _table(p.neighbours, key=f"{opts.key}_drill_neighbours_table")


def select_ward(area_code: str, *, key: str = "hs") -> None:
    """Show a ward in the Ward drill-down tab (a map click; use as a widget callback).

    Sets session state only: the drill-down tab opens on the next run and its
    ward list selects ``area_code`` (the list stays the keyboard and
    screen-reader path).

    Parameters
    ----------
    area_code
        The ward's code.
    key
        The views' key prefix (as given to :func:`render_analysis_tabs`).
    """
    st.session_state[f"{key}_drill_clicked"] = str(area_code)
    st.session_state[f"{key}_tab"] = DRILLDOWN_TAB


_VIEWS: tuple[Callable[[pipeline.Pack, analysis_mod.Analysis, ViewOptions], None], ...] = (
    hotspot_view, bivariate_view, deprivation_view, trends_view, drilldown_view)


def render_analysis_tabs(
    pack: pipeline.Pack,
    analysis: analysis_mod.Analysis,
    *,
    basemap: Literal["none", "osm"] = "none",
    suppress_below: int = 5,
    borough_labels: bool = False,
    lazy: bool = True,
    key: str = "hs",
    cache_key: tuple[Any, ...] | None = None,
) -> None:
    """Draw the analysis views as tabs: Hotspots, Bivariate, Deprivation, Trends, Ward drill-down.

    Parameters
    ----------
    pack
        The pack the analysis was run on.
    analysis
        :func:`hotspots.analysis.analyse` output (cache it in ``ui/cache.py``).
    basemap
        ``"none"`` (offline) or ``"osm"``.
    suppress_below
        Suppression threshold; the stricter of this and the analysis' own is used.
    borough_labels
        Write borough names on the maps.
    lazy
        Run only the open tab (``st.tabs(on_change="rerun")``): switching tabs
        reruns the page, and the maps of the other tabs are never built or sent.
    key
        Prefix of the widget keys (the tabs' key is ``f"{key}_tab"``).
    cache_key
        Small hashable arguments naming ``analysis`` (those of
        :func:`ui.cache.analysis`): the maps are then rendered once per key and
        view options instead of on every rerun.
    """
    if analysis.ward.is_empty:
        st.info(f"No data for this selection: {_safe(analysis.ward.label)}, "
                f"{_safe(analysis.ward.period_label)}.")
        return
    opts = ViewOptions(basemap=basemap, suppress_below=suppress_below,
                       borough_labels=borough_labels, key=key, cache_key=cache_key)
    tabs = st.tabs(list(TABS), key=f"{key}_tab", on_change="rerun" if lazy else "ignore")
    for tab, view in zip(tabs, _VIEWS, strict=True):
        with tab:
            if tab.open is False:
                continue
            view(pack, analysis, opts)
