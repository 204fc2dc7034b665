"""The sidebar: what to map, where, for which period, and how (returns frozen options)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from hotspots import periods, pipeline
from hotspots.maps.classify import SCHEMES
from hotspots.maps.palettes import MAP_PALETTES
from hotspots.maps.web import BASEMAPS
from hotspots.pipeline import analysis as analysis
from hotspots.pipeline import measures, wording
from hotspots.pipeline import uploads as uploads
from hotspots.privacy import DEFAULT_THRESHOLD
from hotspots.stats.rates import SMOOTHERS
from ui import cache
from ui.data import PACK_ENV, PERIOD_DEFAULT_KEY, PERIOD_SET_KEY, pack_folder
from ui.uploadperiod import measure_months

__all__ = ["PACK_ENV", "WARD_ONLY_NOTE", "PageOptions", "month_label", "pack_folder",
           "parse_bins", "render", "stats_form", "ward_settings_box"]

#: What the collapsed ward-only settings say in the patrol view.
WARD_ONLY_NOTE = "These apply to the ward maps."

DEFAULT_MONTHS = periods.DEFAULT_LATEST_MONTHS
DEFAULT_BINS = "5, 10, 20, 50"
PERIOD_TYPES: dict[str, str] = {
    "custom": "Custom months",
    "year": "A whole year",
    "ytd": "Year to date",
}


@dataclass(frozen=True)
class PageOptions:
    """Everything the sidebar decides (passed to the cached builders).

    Attributes
    ----------
    folder
        Base pack folder (``None`` = demo pack).
    upload_set
        The session's uploads (``None`` = none).
    selection
        Measure, period, rate, suppression threshold and boroughs.
    scheme, k, bins
        Classification of the maps (``bins`` only for ``"user_defined"``).
    basemap
        ``"none"`` or ``"osm"``.
    period
        The chosen period, with its label (e.g. ``"FY 2025/26 (Apr 2025 – Mar 2026)"``).
    previous
        The same months of the previous year (year to date only).
    period_note
        Why the period's figures are incomplete, if they are.
    palette, imd_palette
        Map palettes (keys of :data:`hotspots.maps.MAP_PALETTES`).
    borough_labels
        Write borough names on the maps.
    has_measure
        False when the pack has no crime and no referrals: the page shows
        deprivation and population only (``selection`` is then a placeholder).
    from_zero
        Print the first class of a count from 0 (``"0 to 4"``), not from the
        smallest count (``"2 to 4"``). On by default: the classes of a count
        then cover every possible count with no gap (a reader never asks where
        a ward with 1 would go), the first class does not change with one
        ward's count between periods, and board members used to legends that
        start at 0 see the same. Zero itself is always its own white class.
    """

    folder: str | None
    selection: pipeline.Selection
    scheme: str
    k: int
    bins: tuple[float, ...] | None
    basemap: str
    upload_set: uploads.UploadSet | None = None
    period: periods.Period | None = None
    previous: periods.Period | None = None
    period_note: str | None = None
    palette: str = "YlOrRd"
    imd_palette: str = "Blues"
    borough_labels: bool = True
    has_measure: bool = True
    from_zero: bool = True

    @property
    def pack_key(self) -> tuple[str | None, uploads.UploadSet | None]:
        """The pack as cache-key arguments (folder, uploads)."""
        return self.folder, self.upload_set


def month_label(month: str) -> str:
    """Return ``"Apr 2025"`` for ``"2025-04"``."""
    return pd.Period(month, "M").strftime("%b %Y")


def ward_settings_box(patrol_view: bool) -> DeltaGenerator:
    """Return where the ward-only sidebar controls go.

    The sidebar itself in the ward view; in the patrol view a collapsed
    expander saying :data:`WARD_ONLY_NOTE`, so the controls keep their values
    (a widget that is not drawn forgets its value) without crowding the
    patrol view.
    """
    if not patrol_view:
        return st.sidebar
    box = st.sidebar.expander(f"Ward map settings: {WARD_ONLY_NOTE.lower()[:-1]}",
                              expanded=False)
    box.caption(f"{WARD_ONLY_NOTE} The patrol view has its own settings, above its map.")
    return box


def render(folder: str | None, upload_set: uploads.UploadSet | None,
           pack: pipeline.Pack, *, box: DeltaGenerator | None = None) -> PageOptions:
    """Draw the sidebar and return the user's choices.

    Parameters
    ----------
    folder
        Base pack folder (``None`` = demo pack).
    upload_set
        The session's uploads, if any.
    pack
        The pack shown (months, boroughs).
    box
        Where the ward-only controls go (:func:`ward_settings_box`; default
        the sidebar). The background map, used by both views, is always
        drawn in the sidebar itself.

    Returns
    -------
    PageOptions
    """
    with box if box is not None else st.sidebar:
        st.header("What to map")
        measure = _measure(cache.measure_groups(folder, upload_set))
        if measure is None:
            return _no_measure_options(folder, upload_set)
        boroughs = _boroughs(pack)
        st.header("Period")
        months, source = measure_months(pack, measure)
        period, previous, note = _period(pack.months, months, source)
        rate = st.radio("Show", list(pipeline.RATE_LABELS), key="rate",
                        format_func=pipeline.RATE_LABELS.__getitem__,
                        help="Rates use the Census 2021 usual resident population of each "
                             "ward. A crude rate on a small population swings widely; the "
                             f"smoothed rate ({pipeline.EB_METHOD_WORDS}) pulls each ward's "
                             "rate towards the rate of all the wards shown, the more the "
                             "smaller its population.")
        if rate == "eb_per_1000":
            st.caption(SMOOTHERS[pipeline.EB_METHOD].description
                       + " Computed as esda.smoothing.Empirical_Bayes computes it (the same "
                       "arithmetic in numpy).")
        st.header("Map")
        scheme = st.selectbox("Classification", list(SCHEMES), key="scheme",
                              format_func=lambda s: SCHEMES[s].label)
        bins = _bins(scheme)
        if scheme == "user_defined" and bins is None:
            scheme = "quantiles"
        k = st.slider("Number of classes", min_value=3, max_value=7, value=5, key="k",
                      disabled=scheme == "user_defined")
        from_zero = st.checkbox(
            "First class from 0 (counts)", value=True, key="from_zero",
            help="On: the first class of a count reads '0 to 4', so the classes cover every "
                 "count. Off: it starts at the smallest count on the map ('2 to 4'). Wards "
                 "with 0 are always their own white class.")
        palette = st.selectbox("Colours of the measure map", list(MAP_PALETTES), key="palette",
                               format_func=MAP_PALETTES.__getitem__,
                               help="All four palettes are colour-blind safe.")
        imd_palette = st.selectbox(f"Colours of the {wording.index_label(pack.meta)} map",
                                   list(MAP_PALETTES),
                                   key="imd_palette", index=list(MAP_PALETTES).index("Blues"),
                                   format_func=MAP_PALETTES.__getitem__)
        labels = st.checkbox(f"{wording.authority_word(pack.meta, capital=True)} names on "
                             "the maps", value=True, key="borough_labels")
    basemap = _basemap()
    with box if box is not None else st.sidebar:
        st.header("Privacy")
        threshold = st.number_input(
            "Suppress referral counts below", min_value=2, max_value=20,
            value=DEFAULT_THRESHOLD, step=1, key="suppress_below",
            help="Referral counts from 1 to this number minus 1 are shown as '<n' in maps, "
                 "tooltips and tables. Recorded crime is not suppressed.")
    sel = pipeline.Selection(measure=measure, month_from=period.start if period else "0000-01",
                             month_to=period.end if period else "0000-01",
                             rate=rate,  # type: ignore[arg-type]
                             suppress_below=int(threshold), boroughs=boroughs)
    return PageOptions(folder=folder, upload_set=upload_set, selection=sel, scheme=scheme,
                       k=int(k), bins=bins, basemap=basemap, period=period, previous=previous,
                       period_note=note, palette=palette, imd_palette=imd_palette,
                       borough_labels=bool(labels), from_zero=bool(from_zero))


#: Said in the sidebar (and above the maps) when a pack has no crime and no referrals.
NO_MEASURE_TEXT = ("This pack has no crime data and no referrals, so there is nothing to "
                   "count: the page shows deprivation and population only. Build the pack "
                   "with police.uk files (--police-uk) or add files in the Data section.")


def _no_measure_options(folder: str | None,
                        upload_set: uploads.UploadSet | None) -> PageOptions:
    """Map options of a pack without any measure (deprivation colours, background map)."""
    imd_palette = st.selectbox("Colours of the deprivation map", list(MAP_PALETTES),
                               key="imd_palette", index=list(MAP_PALETTES).index("Blues"),
                               format_func=MAP_PALETTES.__getitem__)
    scheme = st.selectbox("Classification", [s for s in SCHEMES if not SCHEMES[s].needs_bins],
                          key="scheme", format_func=lambda s: SCHEMES[s].label)
    k = st.slider("Number of classes", min_value=3, max_value=7, value=5, key="k")
    basemap = _basemap()
    return PageOptions(folder=folder, upload_set=upload_set, selection=pipeline.Selection(),
                       scheme=str(scheme), k=int(k), bins=None, basemap=basemap,
                       imd_palette=str(imd_palette), has_measure=False)


def _basemap() -> str:
    """Background map choice (both views), always in the sidebar itself."""
    sb = st.sidebar
    basemap = sb.radio("Background map", list(BASEMAPS), key="basemap",
                       format_func=BASEMAPS.__getitem__)
    if basemap != "none":
        sb.warning("OpenStreetMap tiles are fetched from the internet: the areas you view "
                   "are sent to tile.openstreetmap.org. Choose 'None' to keep everything on "
                   "this machine.")
    return str(basemap)


# --------------------------------------------------------------------------- measure


def _keep_valid(key: str, options: list[str]) -> None:
    """Forget a widget's value that is no longer an option (e.g. after new uploads)."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def _measure(groups: dict[str, measures.MeasureGroup]) -> str | None:
    """Two selectboxes: family and group, then type or category (``None``: no measure)."""
    sb = st
    keys = list(groups)
    if not keys:
        sb.info(NO_MEASURE_TEXT)
        return None
    _keep_valid("measure_group", keys)
    group = sb.selectbox("Measure", keys, key="measure_group",
                         format_func=lambda g: groups[g].label,
                         help="Recorded crime by offence group, uploaded police.uk crime, "
                              "police.uk anti-social behaviour (its own measure: never inside "
                              "recorded crime), or referrals. Type to search.")
    options = groups[group].options
    if len(options) == 1:
        return next(iter(options))
    type_key = f"measure_type:{group}"
    _keep_valid(type_key, list(options))
    key = str(sb.selectbox("Type or category", list(options), key=type_key,
                           format_func=options.__getitem__))
    words = pipeline.Measure.parse(key).source_wording
    if words is not None:  # the label spells out the source's abbreviations
        with sb.container(key="measure_source_wording"):
            sb.caption(f"In the source file: {words}")
    return key


def _boroughs(pack: pipeline.Pack) -> tuple[str, ...]:
    """Borough filter (empty = every area); the maps then zoom to those boroughs."""
    names = sorted(str(b) for b in pack.areas["borough_name"].dropna().unique())
    if len(names) < 2:
        return ()
    if "boroughs" in st.session_state:
        st.session_state["boroughs"] = [b for b in st.session_state["boroughs"] if b in names]
    words = wording.authority_word(pack.meta, plural=True)
    chosen = st.multiselect(
        words[:1].upper() + words[1:], names, key="boroughs", placeholder=f"All {words}",
        help=f"Show only these {words}: tables, classes and maps (zoomed to them).")
    return tuple(sorted(chosen))


# --------------------------------------------------------------------------- period


def _period(months: list[str], source_months: list[str] | None = None,
            source: str = "the data") -> tuple[periods.Period | None, periods.Period | None,
                                                str | None]:
    """Period type, then the period; returns (period, previous year's same months, note).

    ``months`` are the pack's months (the choices); ``source_months`` those of
    the measure's own source (the note says when the period runs past them).
    """
    if not months:
        st.info("This pack has no dated records.")
        return None, None, None
    have = months if source_months is None else source_months
    kind = st.radio("Period type", list(PERIOD_TYPES), key="period_type",
                    format_func=PERIOD_TYPES.__getitem__, horizontal=True)
    if kind == "custom":
        start, end = _custom_months(months)
        period = periods.custom_period(start, end)
        return period, None, _incomplete(period, have, source)
    start_key = st.selectbox(
        "Year starts in", list(periods.YEAR_STARTS), key="year_start",
        format_func=lambda k: periods.YEAR_STARTS[k].label,
        help="Calendar year (January), financial year (April) or project year (May).")
    ys = periods.get_year_start(start_key)
    if kind == "year":
        period = _year(months, ys)
        return period, None, _incomplete(period, have, source)
    options = list(reversed(months))
    _keep_valid("ytd_month", options)
    month = st.selectbox("Year to date, up to the end of", options, key="ytd_month",
                         format_func=month_label)
    cur, prev = periods.ytd_windows(str(month), year_start=ys)
    st.caption(f"{cur.label}, against {prev.label}.")
    return cur, prev, _incomplete(cur, have, source)


def _custom_months(months: list[str]) -> tuple[str, str]:
    """Month range selector over the pack's months (default: the latest 12)."""
    if len(months) == 1:
        st.caption(f"Period: {month_label(months[0])} (the only month)")
        return months[0], months[0]
    if "period" in st.session_state and not set(st.session_state["period"]) <= set(months):
        del st.session_state["period"]
    default = (months[max(0, len(months) - DEFAULT_MONTHS)], months[-1])
    chosen = st.session_state.get(PERIOD_DEFAULT_KEY)
    if chosen is not None and set(chosen) <= set(months):
        default = (str(chosen[0]), str(chosen[1]))  # e.g. a new upload's latest 12 months
    # No value on the run that wrote the slider's state (Streamlit warns when both are set);
    # the widget's identity is its key, so leaving the value out keeps the same widget.
    set_now = bool(st.session_state.pop(PERIOD_SET_KEY, False)) and "period" in st.session_state
    start, end = st.select_slider(
        "Period (inclusive)", options=months, key="period",
        **({} if set_now else {"value": default}),
        format_func=month_label,
        help="Whole calendar months. The default is the latest 12 months of the pack.")
    return str(start), str(end)


def _year(months: list[str], ys: periods.YearStart) -> periods.Period:
    """Draw the year choice (default: the latest complete year) and return it."""
    years = sorted({ys.year_of(m) for m in months})
    have = set(months)

    def label(y: int) -> str:
        p = periods.year_period(y, year_start=ys)
        n = sum(m in have for m in p.months)
        return p.label if n == p.n_months else f"{p.label}, data for {n} of 12 months"

    complete = [y for y in years
                if all(m in have for m in periods.year_period(y, year_start=ys).months)]
    key = f"year:{ys.key}"
    _keep_valid(key, years)  # type: ignore[arg-type]
    year = st.selectbox("Year", years, key=key, format_func=label,
                                index=years.index(complete[-1] if complete else years[-1]))
    return periods.year_period(int(year), year_start=ys)


def _incomplete(period: periods.Period, months: list[str],
                source: str = "the data") -> str | None:
    """Say which of the period's months have no records in ``source`` (None: all have)."""
    have = set(months)
    missing = [m for m in period.months if m not in have]
    if not missing:
        return None
    span = periods.months_text(missing)
    if len(missing) == period.n_months:
        return (f"{period.label} is incomplete: {source} have no records in any of its "
                f"{period.n_months} months ({span}), so every ward shows no data or 0. "
                "Choose a period within the months of this measure.")
    return (f"{period.label} is incomplete: the period includes months without data for "
            f"{source}: {len(missing)} of its {period.n_months} months ({span}); its "
            "figures cover the other months only.")


# --------------------------------------------------------------------------- classes


def parse_bins(text: str) -> tuple[tuple[float, ...] | None, str | None]:
    """Read comma-separated class upper bounds; return (bounds, error message).

    Examples
    --------
    >>> parse_bins("5, 10; 20")
    ((5.0, 10.0, 20.0), None)
    >>> parse_bins("5, ten")[0] is None
    True
    """
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    fix = ("Type numbers separated by commas, in ascending order, e.g. 5, 10, 20. "
           "Using quantiles meanwhile.")
    if not parts:
        return None, f"Could not read the bounds {text!r}: there are none. {fix}"
    values = []
    for p in parts:
        try:
            v = float(p.replace(" ", ""))
        except ValueError:
            return None, f"Could not read the bounds {text!r}: {p!r} is not a number. {fix}"
        if v != v or v in (float("inf"), float("-inf")):
            return None, f"Could not read the bounds {text!r}: {p!r} is not a finite number. {fix}"
        values.append(v)
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        return None, (f"Could not read the bounds {text!r}: each bound must be larger than the "
                      f"one before it. {fix}")
    return tuple(values), None


def _bins(scheme: str) -> tuple[float, ...] | None:
    """Class upper bounds typed by the user (only for user-defined classes)."""
    if scheme != "user_defined":
        return None
    text = st.text_input("Class upper bounds", DEFAULT_BINS, key="bins",
                                 help="Comma-separated, ascending, e.g. 5, 10, 20, 50. "
                                      "A last class up to the highest value is added.")
    bins, error = parse_bins(text)
    if error:
        st.error(error)
    return bins


# --------------------------------------------------------------------------- statistics

#: Session key holding the submitted :class:`hotspots.analysis.StatsParams`.
STATS_KEY = "stats_params"

WEIGHT_LABELS = {
    "queen": "Queen contiguity (share a boundary point)",
    "rook": "Rook contiguity (share an edge)",
    "knn": "k nearest neighbours",
    "distance": "Distance band",
}
CORRECTION_LABELS = {
    "fdr": "False discovery rate (Benjamini-Hochberg)",
    "bonferroni": "Bonferroni (strictest)",
    "none": "None (not advised: many false hotspots)",
}
YEAR_START_LABELS = {"financial": "Financial year (April)", "project": "Project year (May)",
                     "calendar": "Calendar year (January)"}


#: The page starts from the one set of defaults every entry point uses (the command line's
#: ``analyse`` and the board pack too): :class:`hotspots.pipeline.analysis.StatsParams`.
PAGE_STATS_DEFAULT = analysis.StatsParams()


def stats_form(*, box: DeltaGenerator | None = None) -> analysis.StatsParams:
    """Draw the statistics form; parameters apply only when the form is submitted.

    Parameters
    ----------
    box
        Where to draw it (:func:`ward_settings_box`; default the sidebar).

    Returns
    -------
    hotspots.analysis.StatsParams
        The last submitted parameters (defaults until the first submit), so
        no widget tick reruns 999 permutations.
    """
    current: analysis.StatsParams = st.session_state.get(STATS_KEY, PAGE_STATS_DEFAULT)
    with box if box is not None else st.sidebar, st.form("stats_form"):
        st.header("Hotspot statistics")
        weights = st.selectbox("Neighbours", list(WEIGHT_LABELS),
                               index=list(WEIGHT_LABELS).index(current.weights),
                               format_func=WEIGHT_LABELS.__getitem__)
        k = st.number_input("k (nearest neighbours)", min_value=2, max_value=20,
                            value=current.k, step=1)
        band = st.number_input("Distance band in metres (0 = smallest that links every area)",
                               min_value=0, max_value=50_000, step=250,
                               value=int(current.threshold or 0))
        perms = st.selectbox("Permutations", [99, 999, 9999],
                             index=[99, 999, 9999].index(current.permutations)
                             if current.permutations in (99, 999, 9999) else 1,
                             help="With ~700 wards and FDR, 999 permutations cannot reach 95% "
                                  "confidence (the smallest p is 0.002); 9,999 can, in under a "
                                  "second.")
        seed = st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=current.seed,
                               step=1, help="The same seed gives identical results.")
        correction = st.selectbox("Multiple-testing control", list(CORRECTION_LABELS),
                                  index=list(CORRECTION_LABELS).index(current.correction),
                                  format_func=CORRECTION_LABELS.__getitem__)
        alpha = st.selectbox("Significance (LISA clusters)", [0.01, 0.05, 0.10],
                             index=[0.01, 0.05, 0.10].index(current.alpha)
                             if current.alpha in (0.01, 0.05, 0.10) else 1)
        year_start = st.selectbox("Year starts in", list(YEAR_START_LABELS),
                                  index=list(YEAR_START_LABELS).index(current.year_start),
                                  format_func=YEAR_START_LABELS.__getitem__)
        if st.form_submit_button("Apply statistics"):
            current = analysis.StatsParams(
                weights=str(weights), k=int(k), threshold=float(band) or None,
                permutations=int(perms), seed=int(seed),
                correction=correction, alpha=float(alpha),  # type: ignore[arg-type]
                year_start=str(year_start))
            st.session_state[STATS_KEY] = current
    return current
