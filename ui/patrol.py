"""The patrol hotspots view: street-scale cells, patrol list, backtest and emerging hot spots.

Drawn only when the pack carries street-level points (``pack.points``, police.uk
crime). Referrals are never placed on the grid: they stay area aggregates.
Settings sit in a form and apply on submit; the analysis is cached per pack,
study area and :class:`hotspots.patrol.PatrolParams`, and the map is
rendered once per analysis and map options.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from hotspots import patrol, privacy
from hotspots.io import ASB_CATEGORY
from hotspots.maps import patrolmaps
from hotspots.pipeline.pack import Pack
from ui import cache, exports, mapview

__all__ = ["CELL_SIZES", "PERMUTATION_CHOICES", "method_markdown", "render_patrol"]

CELL_SIZES: tuple[Any, ...] = (100, 150, 200, 250, "auto")
PERMUTATION_CHOICES: tuple[int, ...] = (999, 9_999, 99_999)
_METHOD_CHOICES = ("best", *patrol.METHODS)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


def _safe(text: object) -> str:
    """Escape Markdown marks in text from the pack or the user."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def month_label(month: str) -> str:
    """Return ``"Sep 2020"`` for ``"2020-09"``."""
    return pd.Period(month, "M").strftime("%b %Y")


#: First part of the key of a pack built from uploads.
UPLOADED = "uploads"


def _pack_key(pack: Pack) -> str:
    """Identify the pack's points by content (uploads have no folder)."""
    pts = pack.points
    digest = int(pd.util.hash_pandas_object(pts, index=False).sum()) if pts is not None else 0
    areas = int(pd.util.hash_pandas_object(pack.areas[["area_code", "borough_name"]],
                                           index=False).sum())
    bounds = ",".join(f"{v:.1f}" for v in pack.areas.total_bounds)
    origin = UPLOADED if pack.meta.uploads is not None else "folder"
    return f"{origin}|{pack.folder}|{0 if pts is None else len(pts)}|{digest}|{areas}|{bounds}"


def _from_uploads(args: tuple[Any, ...]) -> bool:
    """Return True for a call on a pack built from uploads (cached per session)."""
    return bool(args) and str(args[0]).startswith(UPLOADED + "|")


@cache.shared_or_session(st.cache_resource, _from_uploads,
                         show_spinner="Finding patrol hotspots...", max_entries=8)
def _analysis(pack_key: str, boroughs: tuple[str, ...], params: patrol.PatrolParams,
              _pack: Pack) -> patrol.PatrolAnalysis:
    """Return the patrol analysis, once per (points, study area, settings).

    ``st.cache_resource``: for a pack folder the result is shared between
    sessions and never mutated (its frames are only read and copied for
    display); for uploaded points it is the session's own.
    """
    return patrol.analyse_patrol(
        _pack.points, _pack.areas, boroughs, params,
        rejected=_pack.meta.points_rejected,
        source=_pack.meta.points_source or "police.uk street-level crime")


@cache.shared_or_session(st.cache_data, _from_uploads, show_spinner="Drawing the cells...",
                         max_entries=16)
def _rendered(pack_key: str, boroughs: tuple[str, ...], params: patrol.PatrolParams,
              value: str, basemap: str, _pa: patrol.PatrolAnalysis) -> tuple[Any, str, str]:
    """Return the rendered map, its legend and title, once per analysis and map options."""
    pm = patrolmaps.patrol_map(_pa.grid, period_label=_pa.period_label, method=_pa.method,
                               alpha=_pa.params.alpha, cell_size=_pa.spec.size,
                               shape=_pa.spec.shape, value=value,  # type: ignore[arg-type]
                               basemap=basemap, noun=_pa.noun,
                               gi_inference=_pa.params.gi_inference)
    return mapview.render_map(pm.map), pm.legend, pm.title


@cache.shared_or_session(st.cache_data, _from_uploads, show_spinner=False, max_entries=8)
def _default_study(pack_key: str, boroughs: tuple[str, ...],
                   _pack: Pack) -> tuple[tuple[str, ...], str]:
    """Return the default study area and why (once per pack): one authority for a force."""
    return patrol.default_study_area(_pack.points, _pack.areas, boroughs,
                                     cell_size=patrol.PatrolParams().cell_size,  # the form's
                                     max_cells=patrol.MAX_CELLS)


def _form(pack: Pack, key: str, boroughs: tuple[str, ...] = (),
          default_study: tuple[str, ...] = ()) -> tuple[patrol.PatrolParams, str, tuple[str, ...]]:
    d = patrol.PatrolParams()  # the command line's and the board pack's defaults too
    pts = pack.points if pack.points is not None else pd.DataFrame(columns=["month", "category"])
    months = sorted(set(pts["month"].dropna().astype(str)))
    types = sorted(set(pts["category"].dropna().astype(str)) - {"", ASB_CATEGORY})
    default_from = months[max(0, len(months) - patrol.DEFAULT_LIST_MONTHS)]
    with st.form(f"{key}_form"):
        study = boroughs
        if len(boroughs) > 1:
            study = tuple(st.multiselect(
                "Study area (local authorities / partnerships of the pack)", boroughs,
                default=list(default_study or boroughs), key=f"{key}_study",
                help="Patrol cells are for a town, a district or one local authority: a "
                     "whole force makes too many cells. Empty = the default."))
            study = study or default_study or boroughs
        c1, c2, c3 = st.columns(3)
        with c1:
            size = st.selectbox("Cell size (m)", CELL_SIZES, key=f"{key}_cell_size",
                                index=CELL_SIZES.index(d.cell_size if d.cell_size == "auto"
                                                       else int(d.cell_size)),
                                help="'auto': the smallest size (10 m steps, 50-500 m) with at "
                                     "least 5 crimes per cell in a training window and a "
                                     "patrol list of at most 25 cells; the method says why")
            shape = st.radio("Cell shape", ["square", "hex"], horizontal=True,
                             key=f"{key}_shape")
            period = st.select_slider("Patrol-list period", options=months,
                                      value=(default_from, months[-1]), key=f"{key}_period",
                                      format_func=month_label)
        with c2:
            measure = st.radio(
                "Measure", patrol.MEASURES, horizontal=True, key=f"{key}_measure",
                format_func=lambda m: ("Recorded crime" if m == "crime"
                                       else "Anti-social behaviour"),
                help="police.uk publishes anti-social behaviour (ASB) incidents beside crime; "
                     "they are not recorded crime, so ASB is its own measure, never inside "
                     "recorded crime.")
            chosen_types = st.multiselect("Crime types (none = all recorded crime; not with "
                                          "anti-social behaviour)", types, key=f"{key}_types")
            by = st.radio("Patrol area", ["Share of the area", "Number of cells"],
                          horizontal=True, key=f"{key}_by")
            share = st.number_input("Share of the area (%)", 1.0, 50.0,
                                    100 * float(d.area_share or 0.05), 0.5, key=f"{key}_share")
            top_n = st.number_input("Number of cells", 1, 200, 10, 1, key=f"{key}_top_n")
        with c3:
            method = st.selectbox(
                "Method", _METHOD_CHOICES, key=f"{key}_method",
                format_func=lambda m: ("Best in the backtest (median PAI; counts with under 6 "
                                       "held-out months)" if m == "best"
                                       else patrol.METHOD_LABELS[m]))
            gi_by = st.radio("Gi* hot cells by", patrol.GI_INFERENCES, horizontal=True,
                             key=f"{key}_gi_inference",
                             format_func=lambda v: ("Normal approximation" if v == "normal"
                                                    else "Permutations"),
                             help="Both p-values are computed and shown in the method; this "
                                  "chooses which marks the hot cells on the map. Normal "
                                  "approximation: as ArcGIS Hot Spot Analysis and sfhotspot.")
            perms = st.selectbox("Gi* permutations", PERMUTATION_CHOICES,
                                 index=PERMUTATION_CHOICES.index(d.permutations),
                                 key=f"{key}_permutations", format_func=lambda n: f"{n:,}",
                                 help="The smallest permutation p is 2 / (permutations + 1): "
                                      "after FDR over many cells few or none can be "
                                      "significant; the method says how many were")
            value = st.radio("Map shows", ["count", "kde"], horizontal=True,
                             key=f"{key}_value",
                             format_func=lambda v: "Count" if v == "count" else "Density")
            harm = st.checkbox("Weight by harm (ILLUSTRATIVE example weights)",
                               key=f"{key}_harm")
            emerging = st.checkbox("Emerging hot spots (Gi* every month; slower)",
                                   key=f"{key}_emerging")
        st.form_submit_button("Apply patrol settings")
    params = patrol.PatrolParams(
        cell_size=size, shape=shape, month_from=period[0], month_to=period[1],
        measure=str(measure), crime_types=tuple(chosen_types),
        harm=dict(patrol.HARM_WEIGHTS_EXAMPLE) if harm else None,
        area_share=float(share) / 100 if by == "Share of the area" else None,
        top_n=int(top_n) if by == "Number of cells" else None,
        method=None if method == "best" else method, permutations=int(perms),
        gi_inference=str(gi_by),
        seed=d.seed,
        emerging=bool(emerging))
    return params, value, tuple(study)


def _patrol_table(pa: patrol.PatrolAnalysis) -> pd.DataFrame:
    t = pa.patrol.copy()
    lead = ["rank", "cell_id", "street", "count", *(["harm"] if "harm" in t else []), "score"]
    types = [c for c in t.columns if c not in {*lead, "lat", "lon", "easting", "northing",
                                               "street_source", "street_distance_m"}]
    t = t[[*lead, *types, "lat", "lon"]]
    return t.rename(columns={"rank": "Rank", "cell_id": "Cell", "street": "Street (police.uk)",
                             "count": f"{pa.noun[:1].upper()}{pa.noun[1:]} "
                                      f"{pa.period_label}", "harm": "Harm",
                             "score": f"Score ({pa.method})", "lat": "Lat", "lon": "Lon"})


def _summary_table(pa: patrol.PatrolAnalysis) -> pd.DataFrame:
    s = pa.backtest.summary.reset_index() if pa.backtest is not None else pd.DataFrame(
        columns=["method", "median_pai", "mean_pai", "min_pai", "max_pai", "mean_hit_rate",
                 "median_rri", "mean_rri", "months_pai", "months", "months_no_cells"])
    return pd.DataFrame({
        "Method": s["method"].map(lambda m: patrol.METHOD_LABELS.get(m, m)),
        "Median PAI": s["median_pai"].round(2), "Mean PAI": s["mean_pai"].round(2),
        "Lowest PAI": s["min_pai"].round(2), "Highest PAI": s["max_pai"].round(2),
        "Mean hit rate (%)": (100 * s["mean_hit_rate"]).round(1),
        "Median RRI": s["median_rri"].round(2), "Mean RRI": s["mean_rri"].round(2),
        "Months with a PAI": s["months_pai"].astype(int), "Months": s["months"].astype(int),
        "Months with no cell chosen": s["months_no_cells"].astype(int),
    })


def _emerging_table(pa: patrol.PatrolAnalysis) -> pd.DataFrame:
    e = pa.emerging if pa.emerging is not None else pd.DataFrame(columns=["trend_class"])
    counts = e["trend_class"].value_counts()
    cells = e[e["trend_class"] != "no pattern detected"].groupby("trend_class").apply(
        lambda f: ", ".join(f.index[:8]) + (" ..." if len(f) > 8 else ""), include_groups=False)
    return pd.DataFrame({"Category": counts.index, "Cells": counts.to_numpy(),
                         "Which": [cells.get(k, "") for k in counts.index]})


#: The page's two views when the pack has street-level points.
VIEWS: tuple[str, str] = ("Ward maps and statistics", "Patrol hotspots (street-level points)")


def view_switch(pack: Pack, *, key: str = "hs_view") -> bool:
    """Offer the patrol view in the sidebar when the pack has street-level points.

    Only the chosen view runs, so the ward page pays nothing for the patrol
    analysis (and the other way round).

    Parameters
    ----------
    pack
        The pack the page shows.
    key
        Widget key.

    Returns
    -------
    bool
        True when the user chose the patrol view.
    """
    if pack.points is None:
        return False
    choice = st.sidebar.radio(
        "View", VIEWS, key=key, horizontal=False,
        help="Ward maps: crime or referrals by ward beside deprivation. Patrol hotspots: "
             "police.uk street-level crime on a grid of small cells, with a patrol list and "
             "a backtest on held-out months (recorded crime only).")
    return choice == VIEWS[1]


def render_patrol(pack: Pack, *, basemap: str, key: str = "patrol"
                  ) -> patrol.PatrolAnalysis | None:
    """Draw the patrol hotspots view for a pack with street-level points.

    Parameters
    ----------
    pack
        The page's pack; nothing is drawn when ``pack.points`` is ``None``.
    basemap
        ``"none"`` (offline) or ``"osm"``.
    key
        Prefix of every widget and container key (one view per key): the map
        sits in ``f"{key}_map_box"``, its legend in ``f"{key}_legend"``, the
        tables in ``f"{key}_list_table"``, ``f"{key}_backtest_table"`` and
        ``f"{key}_emerging_table"`` (CSS class ``st-key-<key>``).

    Returns
    -------
    PatrolAnalysis or None
        What was drawn (``None`` without points or when the settings fail).
    """
    if pack.points is None:
        return None
    st.subheader("Patrol hotspots (street scale)")
    meta = pack.meta
    st.info(_safe(f"Points: {meta.points_source or 'police.uk street-level crime'}. "
                  + (meta.points_note or "")))
    boroughs = tuple(meta.points_boroughs or ())
    if not boroughs:
        st.warning("The pack does not say which boroughs its points cover "
                   "(pack.json 'points_boroughs'), so there is no study area.")
        return None
    present = set(pack.areas["borough_name"].dropna())
    if not present.intersection(boroughs):
        st.info(_safe(f"The street-level points cover {', '.join(boroughs)}, which is not in "
                      "the boundary layer in use, so there is no study area for patrol cells. "
                      "Upload police.uk files for these areas, or use the pack's own "
                      "boundaries."))
        return None
    default_study, why = _default_study(_pack_key(pack), boroughs, pack)
    if why:
        st.info(_safe(why))
    try:
        params, value, boroughs = _form(pack, key, boroughs, default_study)
    except ValueError as e:  # settings that cannot go together (e.g. ASB with crime types)
        st.error(f"These patrol settings cannot be used together: {_safe(e)}")
        return None
    st.caption(_safe(f"Study area: {', '.join(boroughs)}. Measure: "
                     f"{patrol.MEASURE_LABELS[params.measure]}. Referrals are never shown as "
                     "points, cells or surfaces."))
    try:
        pa = _analysis(_pack_key(pack), boroughs, params, pack)
    except (ValueError, TypeError) as e:
        st.error(f"The patrol analysis cannot run with these settings: {_safe(e)}")
        return None
    st.markdown(_safe(pa.reconciliation_text))
    left, right = st.columns([3, 1], gap="medium")
    rendered, legend, title = _rendered(_pack_key(pack), boroughs, params, value, basemap, pa)
    with left:
        st.markdown(f"**{_safe(title)}**")
        mapview.show_rendered(rendered, key=f"{key}_map")
    with right, st.container(key=f"{key}_legend"):
        st.markdown(legend, unsafe_allow_html=True)
    st.markdown(f"**Patrol list** ({len(pa.patrol):,} cells, {_safe(pa.period_label)}; method: "
                f"{_safe(pa.method_reason)})")
    warnings = patrol.patrol_warnings(pa)
    if warnings:
        with st.container(key=f"{key}_list_warnings"):
            for w in warnings:
                st.warning(_safe(w))
    table = _patrol_table(pa)
    with st.container(key=f"{key}_list_table"):
        st.dataframe(table, hide_index=True, width="stretch",
                     height=35 * (min(len(table), 20) + 1) + 3)
    csv = privacy.csv_bytes(patrol.patrol_for_export(pa)["patrol_list"])
    st.download_button("Download the patrol list (CSV)", csv, file_name="patrol_list.csv",
                       mime="text/csv", key=f"{key}_download",
                       **exports.download_args(
                           "patrol list (CSV)", "patrol_list.csv", pack, None,
                           extra={"patrol": {"boroughs": list(boroughs),
                                             "period": pa.period_label, "method": pa.method}}))
    if pa.backtest is not None:
        st.markdown("**Backtest: which method would have worked here** (PAI on held-out months)")
        with st.container(key=f"{key}_backtest_table"):
            st.dataframe(_summary_table(pa), hide_index=True, width="stretch")
        st.caption("PAI = share of the held-out month's crimes in the chosen cells / share of "
                   "the area they cover (1 = no better than chance). RRI = the chosen cells' "
                   "crimes this month against last month, relative to all crime (1 = the "
                   "cells kept their share; below 1 = their share fell).")
        st.altair_chart(patrolmaps.pai_chart(pa.backtest.per_month), width="stretch")
    if pa.emerging is not None:
        st.markdown("**Emerging hot spots** (each cell's Gi* status over the months)")
        with st.container(key=f"{key}_emerging_table"):
            st.dataframe(_emerging_table(pa), hide_index=True, width="stretch")
    with st.expander("Method"):
        st.markdown(method_markdown(pa))
    return pa


def method_markdown(pa: patrol.PatrolAnalysis) -> str:
    """Return the patrol method as Markdown: a bold heading per section, its text escaped.

    Parameters
    ----------
    pa
        The analysis (its :func:`hotspots.patrol.method_sections`).

    Returns
    -------
    str
        Markdown for ``st.markdown`` (no HTML).
    """
    return "\n\n".join(f"**{_safe(head)}**  \n{_safe(text)}"
                        for head, text in patrol.method_sections(pa))
