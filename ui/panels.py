"""One small function per panel of the page: banner, headline, maps, table, method.

Panels only draw: numbers come from :mod:`hotspots.pipeline` (through
:mod:`ui.cache`); text from the pack or the user is HTML-escaped before it is
drawn as HTML.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from hotspots import pipeline, stats
from hotspots.maps.classify import SCHEMES
from hotspots.maps.palettes import MAP_PALETTES
from hotspots.maps.web import BASEMAPS, SYNTHETIC_BADGE
from hotspots.pipeline import wording
from hotspots.stats import trends as trends
from hotspots.stats.rates import SMOOTHERS
from ui import cache, mapview
from ui import patrol as patrol_ui
from ui.sidebar import PageOptions

#: Environment variable with the protective marking printed on the page.
MARKING_ENV = "HOTSPOTS_MARKING"
DEFAULT_MARKING = "OFFICIAL"
SYNTHETIC_TEXT = SYNTHETIC_BADGE
TOP_N = 20
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


def _safe(text: object) -> str:
    """Escape text for st.markdown with HTML on: HTML entities and Markdown marks.

    Quotes are left as they are (``quote=False``): text content needs no escaped
    quotes, and ``&#x27;`` with its ``#`` escaped for Markdown showed as
    "&#x27;" on the page ("ID 2019 for London&#x27;").
    """
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


#: Page-wide CSS. A table's toolbar (columns, download, search, full screen) is drawn
#: 44 px above the table, over whatever is there (a caption): every table gets 2.75 rem
#: (44 px) more room above it, so the toolbar fits in that room and Streamlit's 1 rem gap
#: is left clear (2 rem left 4 px, and a caption was touched in a busy test run). Any
#: element holding a data frame, whatever wrappers Streamlit puts between them (a
#: strict child chain once left one table without the room in a busy test run).
PAGE_CSS = """<style>
div[data-testid="stElementContainer"]:has(div[data-testid="stDataFrame"]) { margin-top: 2.75rem; }
</style>"""


def page_css() -> None:
    """Add :data:`PAGE_CSS` to the page (takes no room)."""
    st.html(PAGE_CSS)


# --------------------------------------------------------------------------- start


def marking(pack: pipeline.Pack) -> str:
    """Protective marking: ``HOTSPOTS_MARKING``, else the pack's, else OFFICIAL."""
    return (os.environ.get(MARKING_ENV) or pack.meta.marking or DEFAULT_MARKING).strip().upper()


def banner(marking_text: str, *, key: str = "marking_top") -> None:
    """Draw the protective-marking banner (in a container keyed ``key``)."""
    sensitive = "SENSITIVE" in marking_text or "SECRET" in marking_text
    colour = "#b30000" if sensitive else "#1f3b73"
    with st.container(key=key):
        st.markdown(
            f'<div class="hs-marking" style="background:{colour};color:#fff;text-align:center;'
            f'font-weight:700;letter-spacing:0.08em;padding:4px 0;border-radius:3px;">'
            f"{html.escape(marking_text)}</div>",
            unsafe_allow_html=True,
        )


def page_header(pack: pipeline.Pack) -> None:
    """Draw the page title and the boundary vintage."""
    st.title("Community safety hotspots")
    m = pack.meta
    st.caption(f"{m.title if m.title is not None else 'Data pack'} · Boundaries: "
               f"{m.vintage if m.vintage is not None else 'vintage not stated'}")


# --------------------------------------------------------------------------- results


def results(opts: PageOptions, wt: pipeline.WardTable, *,
            on_ward_click: Callable[[str], None] | None = None) -> None:
    """Draw the warning, headline, maps and table, or the no-data message.

    ``on_ward_click(area_code)`` is called (before the next rerun) when a ward
    of the measure map is clicked, e.g. :func:`ui.views.select_ward`.
    """
    synthetic_warning(wt)
    if opts.period_note:
        st.warning(opts.period_note, icon="⚠️")
    if wt.is_empty:
        no_data(wt)
        return
    headline(wt, opts)
    map_pair(opts, wt, on_ward_click=on_ward_click)
    top_wards(wt, cache.pack(*opts.pack_key).meta)


#: Widget key of the deprivation map of a pack without any measure.
DEPRIVATION_MAP_KEY = "deprivation_only_map"


def deprivation_only(pack: pipeline.Pack, opts: PageOptions) -> None:
    """Draw a pack with no crime and no referrals: deprivation map and ward table.

    The crime views say there is no crime data (never zero counts).
    """
    label = wording.index_label(pack.meta)
    st.info(f"No crime data in this pack ({pack.meta.crime_source or 'no crime source'}), "
            "and no referrals: there are no counts, rates or hot spots to show. Below: "
            f"{label} deprivation and the Census 2021 population of each ward.")
    has_imd = "imd_score" in pack.imd and bool(pack.imd["imd_score"].notna().any())
    if has_imd:
        panel = cache.imd_panel(*opts.pack_key, opts.scheme, opts.k, opts.basemap,
                                opts.imd_palette, False, ())
        _map_title(panel.title)
        mapview.show_rendered(mapview.render_map(panel.map), key=DEPRIVATION_MAP_KEY)
        st.markdown(panel.legend, unsafe_allow_html=True)
    else:
        st.info(f"No {label} scores for these wards, so there is no deprivation map.")
    t = wording.deprivation_only_table(pack)
    st.markdown(f"#### Wards: population and {_safe(label)}")
    st.dataframe(t, hide_index=True, width="stretch", key="deprivation_only_table",
                 column_config=_deprivation_formats(t))
    st.caption(f"{len(t):,} wards, most deprived first. Population: "
               f"{pack.meta.population_source or 'not stated'}.")
    change = (pack.meta.deprivation or {}).get("change") or {}
    if change.get("computed"):  # MHCLG's caveat beside the change columns
        st.caption(_safe(f"Change since IoD 2019: {change.get('rule', '')}. "
                         f"{change.get('caveat', '')}"))


def _deprivation_formats(t: pd.DataFrame) -> dict[str, Any]:
    """Print scores with 1 decimal and counts and ranks with thousands separators.

    As the other tables: the raw "60.6525" and "19234" read as unformatted data.
    """
    config: dict[str, Any] = {}
    for col in t.columns:
        name = str(col)
        if name.endswith(" score"):
            config[col] = st.column_config.NumberColumn(format="%.1f")
        elif name == "Population" or " rank " in name or name.startswith("Rank change"):
            config[col] = st.column_config.NumberColumn(format="localized")
    return config


def deprivation_footer(pack: pipeline.Pack, marking_text: str) -> None:
    """Draw the method and sources of a pack without any measure."""
    meta = pack.meta
    lines = [f"**Boundaries:** {meta.vintage or 'not stated'}.",
             f"**Recorded crime:** {meta.crime_source or 'none'}.",
             f"**Population:** {meta.population_source or 'not stated'}.",
             f"**Deprivation:** {meta.imd_source or 'not stated'}."]
    if meta.imd_reference:
        lines.append(f"**Ranks and deciles relative to:** {meta.imd_reference}.")
    st.divider()
    st.subheader("Method and sources")
    st.markdown("\n".join(f"- {_safe_md_line(line)}" for line in lines))
    st.caption(_safe(pipeline.attribution_text(meta, referrals=False)))  # no referral shown
    banner(marking_text, key="marking_bottom")


def synthetic_warning(wt: pipeline.WardTable) -> None:
    """Say loudly that referral figures are invented, when they are."""
    if wt.is_synthetic:
        with st.container(key="synthetic_warning"):
            st.warning(f"**{SYNTHETIC_TEXT}.** These referrals were generated for the demo: "
                       "do not use them for decisions.", icon="⚠️")


def no_data(wt: pipeline.WardTable) -> None:
    """Explain an empty selection (no records in the chosen months)."""
    st.info(f"No data for this selection: {wt.label}, {wt.period_label}. "
            "Choose other months or another measure.")


def headline(wt: pipeline.WardTable, opts: PageOptions | None = None) -> None:
    """Draw the one-sentence reading: the measure against deprivation (and YTD change)."""
    r = wt.spearman
    period = opts.period.label if opts and opts.period else wt.period_label
    where = (f" — {', '.join(wt.selection.boroughs)}" if wt.selection.boroughs else "")
    st.markdown(f"#### {_safe(wt.label)}, {_safe(period)}{_safe(where)}")
    if opts and opts.previous is not None:
        st.markdown(f'<p class="hs-ytd">{html.escape(ytd_text(opts, wt))}</p>',
                    unsafe_allow_html=True)
    st.markdown(
        f'<p class="hs-headline">Against the {html.escape(_index_label(opts))} average score '
        f"of each ward: "
        f"{html.escape(r.text)}</p>",
        unsafe_allow_html=True,
    )
    st.caption(f"{_count_text(wt.n_records, wt)} records in the period. Ranks: 1 = highest, "
               "ties share a rank (1, 2, 2, 4). Wards without data are left out of the "
               "correlation.")


def _index_label(opts: PageOptions | None) -> str:
    """Return the pack's deprivation label, e.g. ``"IMD 2019"`` or ``"WIMD 2019 (Wales)"``."""
    if opts is None:
        return wording.DEFAULT_INDEX_LABEL
    return wording.index_label(cache.pack(*opts.pack_key).meta)


def _count_text(n: int, wt: pipeline.WardTable) -> str:
    """Return a total as text; referral totals from 1 to threshold - 1 as '<t'."""
    t = wt.selection.suppress_below
    return f"<{t}" if wt.is_sensitive and 0 < n < t else f"{n:,}"


def ytd_text(opts: PageOptions, wt: pipeline.WardTable) -> str:
    """Return e.g. ``"YTD FY 2025/26 (Apr 2025 – Sep 2025): 1,234 (previous YTD ...)"``."""
    cur, prev = opts.period, opts.previous
    if cur is None or prev is None:
        return ""
    n = wt.n_records
    head = f"YTD {cur.label.replace(' to date', '')}: {_count_text(n, wt)}"
    s = wt.selection
    months = set(cache.pack(*opts.pack_key).months)
    if not set(prev.months) <= months:
        return f"{head} (previous YTD {prev.dates}: not available, the data do not cover it)"
    before = cache.ward_table(*opts.pack_key, dataclasses.replace(
        s, month_from=prev.start, month_to=prev.end)).n_records
    if wt.is_sensitive and (0 < n < s.suppress_below or 0 < before < s.suppress_below):
        return f"{head} (previous YTD {prev.dates}: {_count_text(before, wt)})"
    change = trends.change_label(n, before)
    if change not in ("new", "no change"):
        change = change.replace(" (", ", ").rstrip(")")
    small = (" — small base: the percentage says little"
             if 0 < before < trends.DEFAULT_SMALL_BASE else "")
    return f"{head} (previous YTD {prev.dates}: {before:,}, {change}){small}"


#: Widget key of the measure/IMD map pair (its last reported click is kept here).
PAIR_KEY = "map_pair"


def map_pair(opts: PageOptions, wt: pipeline.WardTable, *,
             on_ward_click: Callable[[str], None] | None = None) -> None:
    """Draw the measure and IMD maps side by side, panning and zooming together.

    One component holds both maps (:func:`hotspots.maps.synced_pair`), rendered
    once per selection (:func:`ui.cache.map_pair`); each map has its title above
    and its legend below. Panning never reruns the script; a click on a ward
    of the measure map calls ``on_ward_click(area_code)`` when given.
    """
    sel = opts.selection
    style = cache.MapStyle(opts.scheme, opts.k, opts.bins, opts.basemap, opts.palette,
                           opts.borough_labels, opts.from_zero)
    pair = cache.map_pair(*opts.pack_key, opts.selection, style, _value_label(sel),
                          opts.imd_palette)
    left, right = st.columns(2, gap="medium")
    with left:
        _map_title(pair.left_title)
    with right:
        if pair.right_title is None:
            st.info(f"No {_index_label(opts)} scores for these areas (the boundaries do not "
                    "match the pack's ward codes), so there is no deprivation map.")
        else:
            _map_title(pair.right_title)
    known = wt.frame["area_code"].astype(str).tolist()

    def clicked() -> None:
        code = mapview.clicked_area(st.session_state.get(PAIR_KEY), known)
        if code is not None and on_ward_click is not None:
            on_ward_click(code)

    mapview.show_rendered(pair.rendered, key=PAIR_KEY,
                          returned_objects=mapview.CLICK_OBJECTS if on_ward_click else (),
                          on_change=clicked)
    if on_ward_click is not None:
        which = "the left-hand map" if pair.right_title is not None else "the map"
        st.caption(f"Click a ward on {which} to see it in the Ward drill-down tab (or pick it "
                   "from the list there)."
                   + (" Both maps pan and zoom together." if pair.right_title else ""))
    left, right = st.columns(2, gap="medium")
    with left, st.container(key=f"{PAIR_KEY}_measure_legend"):
        st.markdown(pair.left_legend, unsafe_allow_html=True)
    if pair.right_legend is not None:
        with right, st.container(key=f"{PAIR_KEY}_imd_legend"):
            st.markdown(pair.right_legend, unsafe_allow_html=True)


def _map_title(title: str) -> None:
    """Draw a map's heading (the SYNTHETIC badge is inside the map, and warned of above)."""
    st.markdown(f'<div class="hs-map-title" style="font-weight:600;min-height:3em;">'
                f"{html.escape(title)}</div>", unsafe_allow_html=True)


def _value_label(sel: pipeline.Selection) -> str:
    return pipeline.value_words(sel.rate, sensitive=sel.measure_value.is_referrals,
                                what=pipeline.value_word(sel.measure))


#: Session-state keys of the expanders whose tables are built only when open (each opening
#: reruns the page): every ward A to Z, and the data-quality panel.
ALL_WARDS_KEY, DATA_QUALITY_KEY = "all_wards_open", "data_quality_open"


def top_wards(wt: pipeline.WardTable, meta: pipeline.PackMeta | None = None) -> None:
    """Draw the wards with the highest values, then every ward A to Z (when opened).

    ``meta`` names the columns (the pack's index, "Local authority" outside
    London); without it, the demo's "Borough" and "IMD".

    For referrals, wards with suppressed counts are never ranked or listed in
    rank order (their order would reveal the small counts): the top list holds
    only wards at or above the threshold, and the A-to-Z list shows ``"<5"``.
    """
    f = pd.DataFrame(wt.frame.drop(columns="geometry"))
    ranked = f[f["rank"].notna()]
    if wt.is_sensitive:
        ranked = ranked[~ranked["suppressed"].astype(bool)
                        & (ranked["count"] >= wt.selection.suppress_below)]
    top = ranked.sort_values(["rank", "area_name"], kind="stable").head(TOP_N)
    caption = (f"Top {len(top)} wards: {wt.label}, {wt.period_label}." if len(top)
               else f"{wt.label}, {wt.period_label}.")
    if wt.is_sensitive:
        n_small = int(f["suppressed"].astype(bool).sum())
        caption += (f" {n_small} wards with 1 to {wt.selection.suppress_below - 1} referrals "
                    f"are shown as '<{wt.selection.suppress_below}' and not ranked.")
    if wt.is_synthetic:
        caption += f" :red[**{SYNTHETIC_TEXT}**]"
    caption += _imd_note(f, meta)
    st.subheader("Wards with the highest values")
    st.caption(caption)
    with st.container(key="top_wards_table"):
        if len(top):
            st.dataframe(_ward_rows(top, wt, meta), hide_index=True, width="stretch")
        else:
            st.info(pipeline.nothing_to_rank_text(wt))
    every_box = st.expander("All wards, A to Z", key=ALL_WARDS_KEY, on_change="rerun")
    if every_box.open:  # built and sent only when opened: a first paint and a rerun do less
        with every_box:
            every = f.sort_values(["area_name", "borough_name"], kind="stable")
            if wt.is_synthetic:
                st.caption(f":red[**{SYNTHETIC_TEXT}**]")
            with st.container(key="all_wards_table"):
                st.dataframe(_ward_rows(every, wt, meta), hide_index=True, width="stretch")


def _ward_rows(f: pd.DataFrame, wt: pipeline.WardTable,
               meta: pipeline.PackMeta | None = None) -> pd.DataFrame:
    """Display columns: rank (hidden where suppressed), ward, borough, value, IMD."""
    meta = meta if meta is not None else pipeline.PackMeta()
    label = wording.index_label(meta)
    imd = "IMD" if label == wording.DEFAULT_INDEX_LABEL else label
    rank = f["rank"].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}")
    if wt.is_sensitive:
        rank = rank.where(~f["suppressed"].astype(bool), "—")
    return pd.DataFrame({
        "Rank": rank.to_numpy(),
        "Ward": f["area_name"].to_numpy(),
        wording.authority_word(meta, capital=True): f["borough_name"].to_numpy(),
        _value_label(wt.selection): f["value_display"].to_numpy(),
        f"{imd} score": _imd_text(f, "imd_score", lambda v: f"{v:.1f}"),
        f"{imd} decile": _imd_text(f, "imd_decile", lambda v: f"{int(v)}"),
    })


#: Shown for a ward without an IMD 2019 value (never "None" or "nan").
NO_IMD = "—"


def _imd_text(f: pd.DataFrame, col: str, fmt: Callable[[float], str]) -> list[str]:
    """Return an IMD column as text, :data:`NO_IMD` where the ward has no value."""
    if col not in f:
        return [NO_IMD] * len(f)
    return [NO_IMD if pd.isna(v) else fmt(float(v)) for v in f[col]]


def _imd_note(f: pd.DataFrame, meta: pipeline.PackMeta | None = None) -> str:
    """Say what "—" in the IMD columns means, when some ward has no IMD score."""
    n = len(f) if "imd_score" not in f else int(f["imd_score"].isna().sum())
    if not n:
        return ""
    label = wording.index_label(meta if meta is not None else pipeline.PackMeta())
    imd = "IMD" if label == wording.DEFAULT_INDEX_LABEL else label
    return (f" {NO_IMD} in the {imd} columns: no {label} score for {n:,} ward"
            f"{'s' if n != 1 else ''} (why: Data quality, below).")


# --------------------------------------------------------------------------- method


def data_quality(pack: pipeline.Pack, wt: pipeline.WardTable | None) -> None:
    """Draw how every source row was accounted for, and the problems found.

    ``wt`` ``None`` (a pack without any measure): every source of the pack. The
    panel's content is drawn only while it is open (opening it reruns the page).
    """
    box = st.expander("Data quality: where every row went", key=DATA_QUALITY_KEY,
                      on_change="rerun")
    if not box.open:  # its tables are built and sent only when opened
        return
    with box:
        st.caption("rows_in = assigned + unlocated (no location) + outside (outside the study "
                   "area) + rejected, per source.")
        rec = wt.reconciliation if wt is not None else pack.reconciliations
        with st.container(key="reconciliation_table"):
            st.dataframe(rec, hide_index=True, width="stretch")
        notes = (rec.loc[rec["note"].fillna("").astype(str).str.strip() != "", ["source", "note"]]
                 if "note" in rec else rec.iloc[0:0])
        if len(notes):  # in full: a table cell cuts long notes off
            with st.container(key="reconciliation_notes"):
                st.markdown("**How each source was placed** (the table's notes in full)")
                for source, note in notes.itertuples(index=False):
                    st.caption(f"**{_safe(source)}**: {_safe(note)}")
        if gap := wording.no_lsoa_text(pack):
            with st.container(key="no_lsoa_wards"):
                st.caption(_safe(gap))
        if len(pack.problems):
            st.caption(f"{len(pack.problems)} problems reported while reading the files.")
            with st.container(key="problems_table"):
                st.dataframe(pack.problems, hide_index=True, width="stretch")
        else:
            st.caption("No problems reported while reading the files.")


def footer(pack: pipeline.Pack, opts: PageOptions, marking_text: str) -> None:
    """Draw the method and attribution panel."""
    meta, sel = pack.meta, opts.selection
    measure = sel.measure_value
    family = "police_uk" if measure.is_police_uk else measure.family
    placement = (meta.placement or {}).get(family, "not stated")

    def stated(value: str | None) -> str:
        return value if value is not None else "not stated"

    scale = "; ".join(f"{w} from {b:g}" for b, w in stats.WORDING_SCALE)
    lines = [
        f"**Period:** {opts.period.label if opts.period else sel.month_from} "
        "(whole calendar months, inclusive)."
        + (f" Compared with {opts.previous.label}." if opts.previous else ""),
        f"**Areas:** {'boroughs ' + ', '.join(sel.boroughs) if sel.boroughs else 'all'}.",
        f"**Boundaries:** {stated(meta.vintage)}.",
        f"**Recorded crime:** {stated(meta.crime_source)}. "
        f"{meta.crime_coverage_note or ''}",
        f"**Placement of this measure:** {placement}.",
        f"**Population (rates):** {stated(meta.population_source)}.",
        f"**Values:** {pipeline.RATE_WORDS[sel.rate]}."
        + (f" {SMOOTHERS[pipeline.EB_METHOD].description} Computed with "
           "esda's Empirical_Bayes arithmetic (numpy) over the wards shown."
           if sel.rate == "eb_per_1000" else ""),
        f"**Deprivation:** {stated(meta.imd_source)}.",
        f"**Classes:** {SCHEMES[opts.scheme].description} Grey = no data (never zero).",
        f"**Correlation:** Spearman's rank correlation with a 95% confidence interval "
        f"(ties get average ranks). Wording of |rho|: {scale}."
        + (f" Suppressed counts (1 to {sel.suppress_below - 1}) enter as the middle of that "
           "range, so rho uses only what is published."
           if measure.family == "referrals" else ""),
        f"**Suppression:** referral counts from 1 to {sel.suppress_below - 1} are shown as "
        f"'<{sel.suppress_below}', in maps, tooltips and tables, and their rates and ranks "
        "are not shown.",
        f"**Colours:** {MAP_PALETTES[opts.palette]} (measure), "
        f"{MAP_PALETTES[opts.imd_palette]} ({wording.index_label(meta)}); "
        "both colour-blind safe.",
        f"**Background map:** {BASEMAPS[opts.basemap]}.",
    ]
    referrals = measure.family == "referrals"
    if referrals and meta.synthetic_referrals:  # only where they are shown
        lines.append(f"**Referrals:** {SYNTHETIC_TEXT} ({meta.synthetic_label or ''}).")
    st.divider()
    st.subheader("Method and sources")
    st.markdown("\n".join(f"- {_safe_md_line(line)}" for line in lines))
    st.caption(_safe(pipeline.attribution_text(meta, referrals=referrals)))
    banner(marking_text, key="marking_bottom")


def patrol_footer(pack: pipeline.Pack, pa: object | None, opts: PageOptions,
                  marking_text: str) -> None:
    """Draw the method and sources of the patrol view (not the ward maps').

    Parameters
    ----------
    pack
        The pack shown (its points' source and study area).
    pa
        The :class:`hotspots.patrol.result.PatrolAnalysis` drawn, or ``None``
        when the view could not run (then only the sources are listed).
    opts
        The page options (background map).
    marking_text
        Protective marking, printed again at the bottom.
    """
    meta = pack.meta
    covered = tuple(meta.points_boroughs or ())
    study = tuple(getattr(pa, "boroughs", ()) or covered)
    boroughs = ", ".join(study) or "not stated"
    if len(study) < len(covered):  # the analysis ran on part of the pack (the form's choice)
        boroughs += f" ({len(study)} of the pack's {len(covered)} areas)"
    lines = [
        f"**Points:** {meta.points_source or 'police.uk street-level crime'}. "
        f"{meta.points_note or ''}",
        f"**Study area:** {boroughs}.",
        f"**Background map:** {BASEMAPS[opts.basemap]}.",
        "**Referrals:** never shown as points, cells or surfaces in this view.",
    ]
    st.divider()
    st.subheader("Method and sources")
    st.caption("Of the patrol hotspots view. The ward maps' method is shown with the ward "
               "maps.")
    st.markdown("\n".join(f"- {_safe_md_line(line)}" for line in lines))
    if pa is not None:  # the view's own sections, Markdown marks escaped (no HTML)
        st.markdown(patrol_ui.method_markdown(pa))
    st.caption(_safe(pipeline.attribution_text(meta, referrals=False)))
    banner(marking_text, key="marking_bottom")


def _safe_md_line(line: str) -> str:
    """Escape HTML in a method line while keeping its bold labels."""
    return html.escape(line, quote=False)
