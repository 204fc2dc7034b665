"""The analysis views: hotspot maps, bivariate map, deprivation, trends and a ward drill-down.

One function per view, each taking ``(pack, analysis, options)`` and drawing
into the current container; :func:`render_analysis_tabs` draws them as tabs.
Views only draw: maps come from :mod:`hotspots.statmaps`, charts and their
tables from :mod:`hotspots.charts`, the other frames from
:mod:`hotspots.viewdata`. Every view prints the data behind it with
``st.dataframe``. Text from the pack or the user is escaped before it is drawn
as Markdown or HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from hotspots import pipeline, privacy, stats
from hotspots._errors import InputDataError
from hotspots.maps import charts as charts
from hotspots.maps import statmaps as statmaps
from hotspots.maps.web import SYNTHETIC_BADGE
from hotspots.periods import YearStart, get_year_start
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import uploads as uploads
from hotspots.pipeline import viewdata as viewdata
from hotspots.pipeline import wardprofile as wardprofile
from hotspots.stats import emerging as emerging
from ui import cache, mapview

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

#: Label of the Trends tab's opt-in emerging hot spot section.
EMERGING_TITLE = "Emerging hot spots (Gi* every month, Mann-Kendall trend)"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")
_ALL_AREAS = "All areas in the selection"


@dataclass(frozen=True)
class ViewOptions:
    """How the views draw (small and hashable).

    Attributes
    ----------
    basemap
        ``"none"`` (offline) or ``"osm"``.
    suppress_below
        Referral counts from 1 to ``suppress_below - 1`` are hidden.
    borough_labels
        Write borough names on the maps.
    key
        Prefix of every widget key, so two sets of views can share a page.
    cache_key
        Small hashable arguments that name the analysis: those of
        :func:`ui.cache.analysis`, ``(folder, upload_set, measure, month_from,
        month_to, rate, suppress_below, boroughs, stats)``. When given, each
        map is rendered once per key and options
        (:func:`ui.cache.rendered_panel`), the maps draw their wards from the
        pack's static geometry files (:func:`ui.cache.static_geometry`) and the
        emerging hot spots are cached (:func:`ui.cache.emerging_wards`).
    """

    basemap: Literal["none", "osm"] = "none"
    suppress_below: int = 5
    borough_labels: bool = False
    key: str = "hs"
    cache_key: tuple[Any, ...] | None = None


# --------------------------------------------------------------------------- helpers


def _safe(text: object) -> str:
    """Escape text for st.markdown / st.caption without HTML: Markdown marks only.

    Streamlit shows raw HTML as text when ``unsafe_allow_html`` is off, so only
    the Markdown marks need escaping; text drawn *as* HTML goes through
    :func:`html.escape` instead.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _table(frame: pd.DataFrame, widths: dict[str, Any] | None = None,
           right: tuple[str, ...] = ()) -> None:
    """Draw a data table: whole numbers with thousands separators, no index.

    ``widths`` maps column -> ``"small"``, ``"medium"``, ``"large"`` or pixels,
    for columns whose text would otherwise be cut off; ``right`` names text
    columns of numbers (with a dash where undefined) to align like numbers.
    """
    config: dict[str, Any] = {
        c: st.column_config.NumberColumn(format="localized")
        for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])
        and not str(c).lower().startswith(("decile", "imd decile", "class"))}
    for col in frame.columns:
        if col in config or (col not in (widths or {}) and col not in right):
            continue
        config[col] = st.column_config.TextColumn(
            width=(widths or {}).get(col), alignment="right" if col in right else None)
    for col, width in (widths or {}).items():
        if col in config and col in frame.columns and pd.api.types.is_integer_dtype(frame[col]):
            config[col] = st.column_config.NumberColumn(format="localized", width=width)
    if len(frame) > 20:
        st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
    else:  # short tables in full, without an inner scroll bar
        st.dataframe(frame, hide_index=True, width="stretch", column_config=config,
                     height=35 * (len(frame) + 1) + 3)


def _threshold(a: analysis_mod.Analysis, opts: ViewOptions) -> int:
    """Return the stricter of the page's threshold and the one the analysis used."""
    return max(int(opts.suppress_below), int(a.ward.selection.suppress_below))


def _year_start(a: analysis_mod.Analysis) -> YearStart:
    """Return the year convention the analysis used."""
    return get_year_start(str(a.params.get("statistics", {}).get("year_start", "financial")))


def _value_label(a: analysis_mod.Analysis) -> str:
    sel = a.ward.selection
    what = "Referrals" if a.ward.is_sensitive else "Crimes"
    return f"{what} per 1,000 residents" if sel.rate == "per_1000" else what


def _measure_word(a: analysis_mod.Analysis) -> str:
    what = "Referrals" if a.ward.is_sensitive else "Crimes"
    return f"{what[:-1]} rate" if a.ward.selection.rate == "per_1000" else what


def _synthetic(a: analysis_mod.Analysis) -> None:
    """Warn above a view's maps and tables that the figures are invented.

    The maps carry the badge inside them (it survives a copied map image), so
    their titles do not repeat it.
    """
    if a.ward.is_synthetic:
        st.warning(f"**{_safe(SYNTHETIC_BADGE)}.** Invented for the demo: do not use these "
                   "figures for decisions.", icon="\u26a0\ufe0f")


def _heading(text: str) -> None:
    st.markdown(f'<div class="hs-map-title" style="font-weight:600;min-height:3em;">'
                f"{html.escape(text)}</div>", unsafe_allow_html=True)


def _pack_key(opts: ViewOptions) -> tuple[str | None, uploads.UploadSet | None] | None:
    """Return ``(folder, upload_set)`` from the cache key, or ``None`` without one."""
    key = opts.cache_key
    if key is None or len(key) < 2:
        return None
    folder, upload_set = key[0], key[1]
    if not (folder is None or isinstance(folder, str)) or not (
            upload_set is None or isinstance(upload_set, uploads.UploadSet)):
        return None
    return folder, upload_set


def _map_args(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> dict:
    pack_key = _pack_key(opts)
    # Static geometry only for the pack the key names (never an upload's boundaries).
    geometry, outlines = (None, None) if pack_key is None else cache.static_geometry(*pack_key)
    return {"params": a.params, "value_label": _value_label(a), "synthetic": a.ward.is_synthetic,
            "sensitive": a.ward.is_sensitive,
            "basemap": opts.basemap, "borough_outlines": pack.boroughs_web,
            "borough_labels": opts.borough_labels,
            "geometry": geometry, "outline_geometry": outlines}


def _rendered(opts: ViewOptions, which: str,
              build: Callable[[], statmaps.StatMapPanel]) -> mapview.RenderedPanel:
    """Return a statistics map rendered for the page (cached when the view has a key)."""

    def render() -> mapview.RenderedPanel:
        p = build()
        return mapview.RenderedPanel(mapview.render_map(p.map), p.title, p.legend, p.caption)

    if opts.cache_key is None:
        return render()
    return cache.rendered_panel((*opts.cache_key, which, opts.basemap, opts.suppress_below,
                                 opts.borough_labels), _build=render)


def _draw_panel(panel: mapview.RenderedPanel, key: str) -> None:
    _heading(panel.title)
    mapview.show_rendered(panel.rendered, key=key)
    st.markdown(panel.legend, unsafe_allow_html=True)
    st.caption(_safe(panel.caption))


def _table_caption(a: analysis_mod.Analysis, threshold: int) -> str:
    text = f"{a.ward.label}, {a.ward.period_label}."
    if a.ward.is_sensitive:
        text += (f" Counts from 1 to {threshold - 1} are shown as '<{threshold}' and not "
                 "ranked. z-scores and Moran's I are not shown for referrals: with the "
                 "neighbours' counts they would give a suppressed count away; classes, p and q "
                 "are.")
    return text


# --------------------------------------------------------------------------- views


def _global_line(stat: stats.registry.Statistic, g: dict[str, Any]) -> str:
    """One global statistic in a sentence: its value, pseudo p and what it says."""
    value = g.get(stat.symbol, float("nan"))
    return (f"Global {stat.name} = {value:.3f} (pseudo p = {statmaps.format_p(g.get('p_sim'))}): "
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
            st.caption(_global_line(stat, h[stat.key]))
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
    st.caption(_safe(_table_caption(a, _threshold(a, opts))))
    _table(statmaps.hotspot_table(a.table, value_label=_value_label(a),
                                  sensitive=a.ward.is_sensitive))


def bivariate_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the 3 x 3 bivariate map of the measure against IMD, its legend and table."""
    st.subheader("Measure and deprivation together")
    _synthetic(a)
    if "bv_class" not in a.table or a.table["bv_class"].isna().all():
        st.info("No IMD 2019 scores for these wards, so there is no bivariate map.")
        return
    ref = pack.meta.imd_reference or "the wards on this map"
    panel = _rendered(opts, "bivariate", lambda: statmaps.bivariate_map(
        pack.web_areas, a.table, **_map_args(pack, a, opts), measure_word=_measure_word(a),
        integer=a.ward.selection.rate == "count", threshold=_threshold(a, opts), reference=ref))
    left, right = st.columns([2, 1], gap="medium")
    with left:
        _heading(panel.title)
        mapview.show_rendered(panel.rendered, key=f"{opts.key}_bv_map")
    with right:
        st.markdown(panel.legend, unsafe_allow_html=True)
        st.caption("Dark blue-purple: high on both. Pink: high measure, low deprivation. "
                   "Teal: high deprivation, low measure.")
    st.caption(_safe(panel.caption))
    st.markdown("**The numbers behind the map**")
    st.caption(_safe(_table_caption(a, _threshold(a, opts))))
    _table(statmaps.bivariate_table(a.table, value_label=_value_label(a),
                                    measure_word=_measure_word(a),
                                    sensitive=a.ward.is_sensitive))


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
        st.info("No IMD 2019 scores for these wards, so there is no comparison with "
                "deprivation.")
        return
    st.markdown(_safe(f"Against the IMD 2019 average score of each ward: {a.ward.spearman.text}"))
    if a.deprived_share is not None:
        st.markdown(_safe(a.deprived_share.text))
    boroughs = sorted(a.table["borough_name"].dropna().astype(str).unique())
    highlight: list[str] = []
    if len(boroughs) > 10:
        highlight = st.multiselect("Highlight boroughs on the chart", boroughs,
                                   default=_top_boroughs(a), key=f"{opts.key}_scatter_highlight",
                                   max_selections=10)
    log = st.toggle("Logarithmic value axis (a few wards dwarf the rest)",
                    value=_skewed(a.table["value"]), key=f"{opts.key}_scatter_log")
    chart = charts.scatter_chart(a.table, measure_label=_value_label(a),
                                 subtitle=a.ward.spearman.text, sensitive=a.ward.is_sensitive,
                                 threshold=t, rate=a.ward.selection.rate == "per_1000",
                                 highlight=highlight, y_scale="symlog" if log else "linear")
    st.altair_chart(chart, width="stretch")
    st.markdown("**Spearman's rank correlation with IMD score, per borough**")
    scale = "; ".join(f"{w} from {b:g}" for b, w in stats.WORDING_SCALE)
    note = _spearman_note(a.by_borough)
    st.caption(_safe(f"rho with its 95% confidence interval (Fisher z, Bonett-Wright variance) "
                     f"and n; ties get average ranks. Wording of |rho|: {scale}. 'Small n' = "
                     "yes: fewer than 10 wards, where rho is unstable." + (
                         f" {note}" if note else "")))
    _table(_spearman_display(a.by_borough), widths={"Area": "medium", "Wording": "medium"},
           right=("rho", "95% CI low", "95% CI high", "p"))
    with st.expander("The numbers behind the chart (one row per ward)"):
        _table(charts.scatter_table(a.table, sensitive=a.ward.is_sensitive, threshold=t,
                                          rate=a.ward.selection.rate == "per_1000").drop(
            columns=["value", "y_plot"]).rename(columns={
                "area_name": "Ward", "borough_name": "Borough", "imd_score": "IMD score",
                "imd_decile": "IMD decile", "value_display": _value_label(a),
                "suppressed": "Suppressed"}))
    if len(a.deciles):
        st.markdown("**By IMD decile**")
        _table(_deciles(a, t))


def _deciles(a: analysis_mod.Analysis, threshold: int) -> pd.DataFrame:
    d = a.deciles
    count = pd.to_numeric(d["count"], errors="coerce")
    out = pd.DataFrame({"Decile": d["decile_label"].astype(str), "Wards": d["areas"]})
    if a.ward.is_sensitive:
        prim, extra = charts.protect_totals(count, [list(d.index)], threshold=threshold)
        hidden = prim | extra
        out["Count"] = count.map(lambda v: f"{int(v):,}").where(~extra, "suppressed").where(
            ~prim, f"<{threshold}")
        out["Share of count"] = (100 * d["share_of_count"]).round(1).astype(object).where(
            ~hidden, None)
        if "rate_per_1000" in d:
            out["Rate per 1,000"] = d["rate_per_1000"].round(2).astype(object).where(
                ~hidden, None)
    else:
        out["Count"] = count
        out["Share of count"] = (100 * d["share_of_count"]).round(1)
        if "rate_per_1000" in d:
            out["Rate per 1,000"] = d["rate_per_1000"].round(2)
    return out


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
    st.altair_chart(charts.trend_chart(long, year_start=ys, sensitive=a.ward.is_sensitive,
                                       threshold=t, windows=windows,
                                       value_label=_value_label(a).split(" per ")[0],
                                       title=title), width="stretch")
    with st.expander("The numbers behind the chart (one row per month)"):
        tt = charts.trend_table(long, sensitive=a.ward.is_sensitive, threshold=t,
                                windows=windows)
        _table(tt[["year_label", "month_label", "count_display", "status"]].rename(
            columns={"year_label": "Year", "month_label": "Month",
                     "count_display": _value_label(a), "status": "Status"}))


def trends_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw the year-on-year chart, callouts, change tables and (on request) emerging hot spots."""
    st.subheader("Trends and change")
    _synthetic(a)
    _trend_section(pack, a, opts)
    _change_section(a, opts)
    _emerging_section(pack, a, opts)


def _change_section(a: analysis_mod.Analysis, opts: ViewOptions) -> None:
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
    bc = viewdata.borough_change(a, which=which)
    wards = viewdata.ward_change(a, which=which)
    lines: list[str] = []
    if bc is not None:
        lines += [f"Boroughs — {v}" for v in viewdata.change_callouts(
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
            title=f"Change by borough: {ct.title}"), width="stretch")
    if bc is not None:
        st.markdown("**By borough**")
        st.caption(_safe(" ".join(bc.notes)))
        _table(charts.change_table(bc.table.frame, name_col="borough_name",
                                         name_label="Borough", sensitive=sensitive, threshold=t,
                                         hide_count=bc.hide_count, hide_prev=bc.hide_prev))
    if wards is not None:
        st.markdown("**By ward**")
        cap = ("Ranks by count, 1 = highest, ties share a rank (1, 2, 2, 4); 'Rank move' "
               "> 0 = moved up. 'new' = none in the previous period.")
        if sensitive:
            cap += (f" Counts from 1 to {t - 1} are shown as '<{t}'; their change and ranks "
                    "are not shown, and ranks count only the wards shown.")
        st.caption(_safe(cap))
        _table(charts.change_table(wards, name_col="area_name", name_label="Ward",
                                         extra_cols={"borough_name": "Borough"},
                                         sensitive=sensitive, threshold=t))


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


def emerging_table(frame: pd.DataFrame, *, sensitive: bool) -> pd.DataFrame:
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
        frame's order: ``Ward``, ``Borough``, ``Category`` (capitalised), ``Months hot``,
        ``Months cold``, ``Months``, ``Final month``, ``Trend in clustering``,
        and for other measures ``Trend p``, ``Kendall's tau``, ``Gi* z (final
        month)``.
    """
    e = frame[frame["trend_class"] != emerging.NO_PATTERN]
    out = pd.DataFrame({
        "Ward": e["area_name"].astype(str).to_numpy(),
        "Borough": e["borough_name"].astype(str).to_numpy(),
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
    if key is not None and len(key) == 9 and _pack_key(opts) is not None:
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
    _table(counts, widths={"Category": "medium", "Wards": "small", "What it means": 860})
    table = emerging_table(e, sensitive=sensitive)
    st.markdown(f"**Wards with a pattern** ({len(table):,} of {len(e):,})")
    if sensitive:
        st.caption("For referrals only the categories and the number of months are shown: "
                   "z-scores and trend statistics of monthly referral counts could narrow "
                   "down a suppressed count.")
    if table.empty:
        st.info("No ward shows an emerging hot or cold spot pattern with these settings.")
        return
    _table(table, widths={"Ward": "medium", "Borough": "medium", "Category": "medium"})
    csv = privacy.safe_for_spreadsheet(table).to_csv(index=False).encode("utf-8")
    st.download_button("Download the wards with a pattern (CSV)", csv,
                       file_name="emerging_hotspots_wards.csv", mime="text/csv",
                       key=f"{opts.key}_emerging_download", on_click="ignore")


def drilldown_view(pack: pipeline.Pack, a: analysis_mod.Analysis, opts: ViewOptions) -> None:
    """Draw one ward: its trend, rank, change, hotspot status, deprivation and neighbours."""
    st.subheader("Ward drill-down")
    _synthetic(a)
    choices = wardprofile.ward_choices(a.table)
    labels = list(choices)
    ranked = a.table.sort_values(["rank", "area_name"], na_position="last", kind="stable")
    top = str(ranked["area_code"].iloc[0]) if len(ranked) else None
    codes = list(choices.values())
    index = codes.index(top) if top in codes else 0
    picked = st.session_state.pop(f"{opts.key}_drill_clicked", None)
    if picked in codes:  # a ward clicked on the map (see select_ward)
        st.session_state[f"{opts.key}_drill_ward"] = labels[codes.index(picked)]
        st.toast(f"{labels[codes.index(picked)]}: open in the Ward drill-down tab below.")
    elif picked is not None:
        st.info("The ward clicked on the map is not in this selection.")
    label = st.selectbox("Ward (type to search)", labels, index=index,
                         key=f"{opts.key}_drill_ward")
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
        _table(p.facts)
    with right:
        st.markdown("**Deprivation (IMD 2019)**")
        _table(p.imd.drop(columns="Reference"))
        st.caption(_safe(wardprofile.imd_reference_note(p.imd)))
    st.markdown("**Hotspot status** (q = p adjusted for multiple testing)")
    _table(p.status)
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
        _table(tt[["year_label", "month_label", "count_display", "status"]])
    st.markdown(f"**Neighbours** ({len(p.neighbours)}, under the weights of the statistics): "
                "where activity could move if it is displaced")
    _table(p.neighbours)


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
