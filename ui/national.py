"""The national LSOA view: England and Wales, a region or a police force area, LSOA by LSOA.

Opened with ``bash scripts/start.sh -- --national`` (add ``--store FILE`` for
police.uk counts from a store made by ``python -m hotspots store add``). The
35,672 LSOA polygons are one binary file (``hotspots.maps.lsoageom``) written
once in the user's cache folder (0700) and served from this component's own
folder, so the browser fetches and caches it once; the page then sends only a
class and a tooltip text per LSOA for each choice. The component
(``ui/national_map/``) draws them on a canvas, offline.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, cast

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from boundaries import national as national_files
from boundaries.places import Place
from hotspots import privacy, store
from hotspots._errors import InputDataError
from hotspots.maps import MAP_PALETTES
from hotspots.maps.classify import SCHEMES
from hotspots.pipeline import coverage as store_cover
from hotspots.pipeline import national as lsoa_stats
from hotspots.pipeline import nationalmap as national
from hotspots.pipeline import nationalstats

__all__ = ["requested", "render", "store_path"]

MAP_HEIGHT = 620
_SRC = Path(__file__).resolve().parent / "national_map"
_ALL = "All England and Wales"
_MEASURES = {"deprivation": "Deprivation (each nation's own index)",
             "population": "Usual residents (Census 2021)",
             "crime": "Recorded crime (police.uk, from the store)",
             "asb": "Anti-social behaviour (police.uk, from the store; not recorded crime)",
             "statistics": "Hot spots and clusters (Gi*, LISA, emerging; from the store)"}
_CORRECTIONS = {"fdr": "False discovery rate (Benjamini-Hochberg)",
                "bonferroni": "Bonferroni (strictest)",
                "none": "None (not advised: many false hotspots)"}
_STAT_MEASURES = {"count": "Count", "rate": "Rate per 1,000 residents",
                  "eb_rate": "Empirical-Bayes rate per 1,000 residents"}


def requested(argv: list[str] | None = None) -> bool:
    """Return True when the page was started with ``--national`` (or ``HOTSPOTS_NATIONAL=1``).

    >>> requested(["--national"]), requested(["--pack", "x"])
    (True, False)
    """
    args = sys.argv[1:] if argv is None else argv
    return "--national" in args or os.environ.get("HOTSPOTS_NATIONAL", "") == "1"


def store_path(argv: list[str] | None = None) -> str | None:
    """Return the store file given with ``--store FILE`` (or ``HOTSPOTS_STORE``).

    >>> store_path(["--national", "--store", "s.duckdb"]), store_path(["--store=t.duckdb"])
    ('s.duckdb', 't.duckdb')
    """
    args = list(sys.argv[1:] if argv is None else argv)
    for i, a in enumerate(args):
        if a == "--store" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--store="):
            return a.split("=", 1)[1] or None
    return os.environ.get("HOTSPOTS_STORE") or None


def _component_folder() -> Path:
    """Return the private folder the component is served from (page, script, geometry).

    One folder per version of the component (its page and script hashed): two servers of
    different versions on one computer (two checkouts, an upgrade while one runs) share the
    user's cache folder, and a single ``index.html`` there was rewritten by whichever started
    last, so one served the other's script.
    """
    try:
        base = national.geometry_folder()
    except OSError:  # no private cache folder: one for this process
        base = Path(tempfile.mkdtemp(prefix="hotspots-national-"))
    script = (_SRC / "national_map.js").read_bytes()
    source = (_SRC / "index.html").read_text(encoding="utf-8")
    digest = hashlib.sha256(script + source.encode("utf-8")).hexdigest()[:12]
    folder = base / f"component-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    name = f"national_map-{digest}.js"
    if not (folder / name).is_file():
        shutil.copyfile(_SRC / "national_map.js", folder / name)
    page = source.replace('src="national_map.js"', f'src="{name}"')
    old = (folder / "index.html").read_text(encoding="utf-8") if (
        folder / "index.html").is_file() else ""
    if re.sub(r'<body[^>]*>', "<body>", old) != page:
        (folder / "index.html").write_text(page, encoding="utf-8")
    return folder


_FOLDER = _component_folder()
_component = components.declare_component("national_map", path=str(_FOLDER))


@st.cache_resource(show_spinner="Reading the national LSOA files (once)...")
def _view() -> national.NationalView:
    return national.national_table()


@st.cache_resource(show_spinner="Preparing the LSOA boundaries (once)...")
def _geometry_name() -> str:
    built = national.geometry_file(_view().data.sources.path("lsoa21_boundaries"),
                                   _FOLDER.parent)
    path = _FOLDER / built.name  # served from the component's folder: a link to the one file
    if not path.is_file():
        try:
            os.link(built, path)
        except OSError:  # another file system: a copy
            shutil.copyfile(built, path)
    # the page names it too, so the frame starts fetching it before its arguments arrive
    page = (_FOLDER / "index.html").read_text(encoding="utf-8")
    marked = re.sub(r'<body[^>]*>', f'<body data-geometry="{path.name}">', page, count=1)
    if marked != page:
        (_FOLDER / "index.html").write_text(marked, encoding="utf-8")
    return path.name


@st.cache_resource(show_spinner="Reading the LSOA polygons for the store's points...")
def _lsoa_polygons() -> Any:
    p = national_files.read_lsoa_polygons(
        _view().data.sources.path("lsoa21_boundaries"), "lsoa21_boundaries")
    return p.rename(columns={"lsoa_code": "area_code"})


@st.cache_resource(show_spinner=False)
def _store_months(path: str) -> list[str]:
    con = store.connect(path, read_only=True)
    try:
        return store.store_status(con).months
    finally:
        con.close()


@st.cache_resource(show_spinner=False, max_entries=4)
def _coverage_of(path: str, stamp: tuple[int, int]) -> store_cover.StoreCoverage:
    con = store.connect(path, read_only=True)
    try:
        forces = store.store_forces(con)
    finally:
        con.close()
    return store_cover.store_coverage(forces, _view().data.catalogue)


def _coverage(path: str) -> store_cover.StoreCoverage:
    """Return the forces the store holds (LSOAs of the others are no data, never 0)."""
    return _coverage_of(path, _stamp(path))


def _stamp(path: str) -> tuple[int, int]:
    """Return the store file's modification time and size (in every cache key of its counts)."""
    st_ = Path(path).stat()
    return st_.st_mtime_ns, st_.st_size


@st.cache_resource(show_spinner=False, max_entries=4)
def _store_categories(path: str, stamp: tuple[int, int]) -> list[str]:
    con = store.connect(path, read_only=True)
    try:
        return store.store_categories(con)
    finally:
        con.close()


@st.cache_resource(show_spinner="Counting the store's rows for the place...", max_entries=8)
def _place_long(path: str, stamp: tuple[int, int], months: tuple[str, str], place: str,
                of: str) -> tuple[pd.DataFrame, str]:
    """Return the counts and reconciliation of exactly the rows behind a place's map.

    The rows of the forces covering the place (and of any force with no area of its own)
    and of the measure's crime types (:func:`hotspots.pipeline.nationalstats.of_categories`,
    as ``store analyse``), placed on the place's LSOAs: rows in = assigned + without a
    location + outside the place + rejected.
    """
    layer = _layer(place)
    forces = list(_coverage(path).forces) + list(_coverage(path).unplaced)
    covering, unplaced = store_cover.place_forces(forces, layer.place.lads,
                                                  _view().data.catalogue)
    words = (f"{store_cover.forces_words(covering, unplaced)}; "
             f"{nationalstats.OF[of].lower()} ({nationalstats.OF_CRIME_TYPES[of]})")
    if not covering:
        empty = pd.DataFrame({"area_code": pd.Series(dtype=str), "month": pd.Series(dtype=str),
                              "category": pd.Series(dtype=str),
                              "count": pd.Series(dtype="int64")})
        return empty, f"no rows: {words}"
    counts, line = national.store_counts(
        path, layer.areas[["area_code", "geometry"]], months, forces=[*covering, *unplaced],
        categories=nationalstats.of_categories(of, _store_categories(path, stamp)))
    return counts, f"{line} ({words})"


@st.cache_resource(show_spinner=False, max_entries=8)
def _incomplete_of(path: str, stamp: tuple[int, int], months: tuple[str, str], place: str
                   ) -> list[str]:
    """Return the lines naming the place's force-months that look incomplete (pack build's)."""
    layer = _layer(place)
    forces = list(_coverage(path).forces) + list(_coverage(path).unplaced)
    covering, unplaced = store_cover.place_forces(forces, layer.place.lads,
                                                  _view().data.catalogue)
    chosen = [m for m in _store_months(path) if months[0] <= m <= months[1]]
    con = store.connect(path, read_only=True)
    try:
        flagged = store_cover.incomplete_store_months(con, [*covering, *unplaced], chosen,
                                                      _view().data)
    finally:
        con.close()
    return store_cover.incomplete_lines(flagged)


def _incomplete_warning(path: str, months: tuple[str, str], place: str) -> None:
    """Warn beside the map when a force-month behind it looks incomplete."""
    lines = _incomplete_of(path, _stamp(path), months, place)
    if lines:
        with st.container(key="national_incomplete"):
            st.warning(privacy.escape_text(lines[0]) + "\n\n" + "\n".join(
                f"- {privacy.escape_text(line.strip())}" for line in lines[1:]))


def _store_counts(path: str, months: tuple[str, str], place: str, of: str
                  ) -> tuple[pd.DataFrame, str]:
    counts, line = _place_long(path, _stamp(path), months, place, of)
    v = _view()
    return store_cover.covered_counts(counts, v.table[["lsoa_code", "lad_code"]],
                                      _coverage(path)), line


@st.cache_resource(show_spinner=False, max_entries=8)
def _layer(place: str) -> lsoa_stats.LsoaLayer:
    v = _view()
    _, where = national.place_mask(v, "England and Wales" if place == _ALL else place)
    return lsoa_stats.layer_of(v.lsoas, _lsoa_polygons(), cast(Place, where))


@st.cache_data(show_spinner=False, max_entries=16)
def _statistic(store_file: str, stamp: tuple[int, int], months: tuple[str, str], place: str,
               fields: tuple[Any, ...]) -> dict[str, Any]:
    """Return the component's arguments for one statistic, its method text and a summary."""
    choice = nationalstats.StatChoice(*fields)
    v = _view()
    counts, line = _place_long(store_file, stamp, months, place, choice.of)
    have = _store_months(store_file)
    chosen = [m for m in have if months[0] <= m <= months[1]]
    layer = _layer(place)
    table, params = nationalstats.run_statistic(layer, counts, chosen, choice,
                                                coverage=_coverage(store_file))
    mask, _ = national.place_mask(v, None if place == _ALL else place)
    mask = mask & v.table["lsoa_code"].isin(set(layer.areas["area_code"])).to_numpy()
    mv = nationalstats.stat_values(v.table["lsoa_code"].tolist(), mask, table, params,
                                   choice.statistic)
    return {"classes": base64.b64encode(mv.classes.tobytes()).decode("ascii"),
            "texts": "\n".join(t.replace("\n", " ") for t in mv.texts),
            "colours": {str(c): col for c, col in mv.colours.items()},
            "legends": mv.legends, "shown": int(mask.sum()),
            "names": {str(c): n for c, n in (mv.names or {}).items()},
            "method": nationalstats.stat_method(params, choice.statistic),
            "reconciliation": line}


@st.cache_data(show_spinner=False, max_entries=32)
def _values(measure: str, rate: bool, place: str, scheme: str, k: int, palette: str,
            store_file: str | None, months: tuple[str, str] | None) -> dict[str, Any]:
    """Return the component's arguments for one choice (cached: a rerun resends the same)."""
    v = _view()
    table = v.table
    if measure in ("crime", "asb") and store_file and months:
        counts, _ = _store_counts(store_file, months, place, measure)
        table = table.merge(counts, on="lsoa_code", how="left")
    mask, _ = national.place_mask(v, None if place == _ALL else place)
    mv = national.map_values(table, mask, measure=measure, rate=rate, scheme=scheme, k=k,
                             palette=palette, index_labels=v.indices, sensitive=False)
    return {"classes": base64.b64encode(mv.classes.tobytes()).decode("ascii"),
            "texts": "\n".join(t.replace("\n", " ") for t in mv.texts),
            "colours": {str(c): col for c, col in mv.colours.items()},
            "legends": mv.legends, "shown": int(mask.sum())}


def _legend_html(title: str, items: list[tuple[int, str]], colours: dict[str, str]) -> str:
    rows = "".join(
        '<li style="display:flex;align-items:center;gap:8px;margin:2px 0;">'
        f'<span style="display:inline-block;width:22px;height:14px;flex:none;'
        f'border:1px solid #555;background:{html.escape(colours.get(str(c), "#bdbdbd"))};">'
        f'</span><span class="hs-legend-label">{html.escape(label)}</span></li>'
        for c, label in items)
    head = f"<b>{html.escape(title)}</b>" if title else ""
    return f'<div class="hs-legend">{head}<ul style="list-style:none;padding:0;margin:4px 0;">' \
           f"{rows}</ul></div>"


def _places() -> list[str]:
    cat = _view().data.catalogue
    out = [_ALL]
    for kind, prefix in (("country", "country"), ("region", "region"),
                         ("police force area", "pfa")):
        out += [f"{prefix}:{p.name}" for p in cat.by_kind(kind)]
    return out


def _place_label(value: str) -> str:
    kind, _, name = value.partition(":")
    words = {"country": "Nation", "region": "Region", "pfa": "Police force area"}
    return f"{words[kind]}: {name}" if name else value


def _place_name(value: str) -> str:
    """Return the place's name for the title (``"Dyfed-Powys"``, ``"Wales"``)."""
    return "England and Wales" if value == _ALL else value.partition(":")[2] or value


def render() -> None:
    """Draw the national LSOA view (the whole page)."""
    heading = st.empty()  # the title names the place, chosen in the sidebar below
    store_file = store_path()
    if store_file and not Path(store_file).is_file():
        st.error(f"The store {store_file} does not exist. Make one with "
                 "`python -m hotspots store add <police.uk files>`, or start without --store.")
        store_file = None
    v = _view()
    geometry = _geometry_name()
    months_all = _store_months(store_file) if store_file else []
    measures = [m for m in _MEASURES if m not in ("crime", "asb", "statistics") or months_all]
    with st.sidebar:
        st.header("National LSOA view")
        place = st.selectbox("Area", _places(), key="national_place", format_func=_place_label,
                             help="All 35,672 LSOAs, a nation, an English region or a police "
                                  "force area (LSOAs of its local authorities).")
        heading.title(f"{_place_name(place)} by LSOA")
        measure = st.radio("Measure", measures, format_func=_MEASURES.__getitem__,
                           key="national_measure")
        rate = False
        months: tuple[str, str] | None = None
        choice: nationalstats.StatChoice | None = None
        if measure == "statistics":
            choice, months = _stats_sidebar(months_all)
        if measure in ("crime", "asb"):
            start, end = st.select_slider("Months", months_all,
                                          value=(months_all[max(0, len(months_all) - 12)],
                                                 months_all[-1]), key="national_months")
            months = (start, end)
            rate = st.radio("Show", ["count", "rate"], key="national_rate",
                            format_func={"count": "Count",
                                         "rate": "Rate per 1,000 residents"}.__getitem__
                            ) == "rate"
        if measure not in ("deprivation", "statistics"):
            scheme = st.selectbox("Classes", [s for s in SCHEMES if not SCHEMES[s].needs_bins],
                                  key="national_scheme",
                                  format_func=lambda s: SCHEMES[s].label.replace("wards",
                                                                                 "LSOAs"))
            k = st.slider("Number of classes", 3, 9, 5, key="national_k")
            palette = st.selectbox("Colours", list(MAP_PALETTES), key="national_palette",
                                   format_func=MAP_PALETTES.__getitem__)
        else:
            scheme, k, palette = "quantiles", 10, "YlOrRd"
    stat_error = None
    if choice is not None and store_file and months:
        n = int(national.place_mask(v, None if place == _ALL else place)[0].sum())
        try:
            with st.spinner(f"Computing {nationalstats.STATISTICS[choice.statistic].lower()} "
                            f"for {n:,} LSOAs ({choice.permutations:,} permutations; cached "
                            "for this choice)..."):
                args = _statistic(store_file, _stamp(store_file), months, place,
                                  dataclasses.astuple(choice))
        except InputDataError as exc:  # too few months, nothing to test: say so, no traceback
            stat_error = str(exc)
            args = _values("deprivation", False, place, "quantiles", 10, "YlOrRd", None, None)
    else:
        args = _values(measure, rate, place, scheme, k, palette, store_file, months)
        uncovered = (_uncovered_place(v, place, store_file)
                     if measure in ("crime", "asb") and store_file else None)
        if uncovered:  # the map stays: every LSOA of the place is "no data"
            st.error(uncovered)
    if stat_error:
        st.error(stat_error)
    if measure == "deprivation" or stat_error:
        labels = {key[0].upper(): lab for key, lab in (("E", v.indices["iod2025"]),
                                                        ("W", v.indices["wimd2019"]))}
        labels = {k_: f"{lab} decile (1 = most deprived, 10 = least)"
                  for k_, lab in labels.items()}
    elif choice is not None and months:
        labels = {"*": f"{nationalstats.STATISTICS[choice.statistic]} of "
                       f"{nationalstats.OF[choice.of].lower()}, {months[0]} to {months[1]}"}
    else:
        period = f", {months[0]} to {months[1]}" if months else ""
        unit = " per 1,000 residents" if rate else ""
        labels = {"*": f"{_MEASURES[measure].split(' (')[0]}{unit}{period}"}
    if store_file and months and (measure in ("crime", "asb") or choice is not None):
        _incomplete_warning(store_file, months, place)
    st.caption(f"{args['shown']:,} LSOAs shown ({_place_label(place)}). Hover an LSOA for its "
               "name and value; drag to pan, scroll or the +/- buttons to zoom.")
    left, right = st.columns([4, 1])
    with left, st.container(key="national_map_box"):
        _component(geometry=geometry, classes=args["classes"], texts=args["texts"],
                   colours=args["colours"], labels=labels, fit_key=place, height=MAP_HEIGHT,
                   names=args.get("names"),
                   key="national_map", default=None)
    with right, st.container(key="national_legend"):
        for title, items in args["legends"]:
            st.markdown(_legend_html(title or labels["*"], items, args["colours"]),
                        unsafe_allow_html=True)
    if choice is not None and not stat_error and "method" in args:
        _stat_notes(args, choice)
    _notes(v, measure, store_file, months, place)


def _uncovered_place(v: national.NationalView, place: str, store_file: str) -> str | None:
    """Return the message for a place with no LSOA in a force the store holds (else None)."""
    mask, where = national.place_mask(v, None if place == _ALL else place)
    cov = _coverage(store_file)
    if (mask & store_cover.covered_mask(v.table["lad_code"], cov)).any():
        return None
    return store_cover.no_data_message(where.name if where else "England and Wales", cov)


def _stats_sidebar(months_all: list[str]) -> tuple[nationalstats.StatChoice,
                                                   tuple[str, str]]:
    """Draw the statistics choices (a form: a change is computed only when applied)."""
    stats_ = list(nationalstats.STATISTICS)  # emerging on too few months: refused, said why
    current: nationalstats.StatChoice = st.session_state.get(
        "national_stat_choice", nationalstats.StatChoice())
    start, end = st.select_slider("Months", months_all,
                                  value=(months_all[max(0, len(months_all) - 12)],
                                         months_all[-1]), key="national_stat_months")
    with st.form("national_stats_form"):
        statistic = st.radio("Statistic", stats_, format_func=nationalstats.STATISTICS.get,
                             index=stats_.index(current.statistic)
                             if current.statistic in stats_ else 0, key="national_statistic",
                             help="Emerging hot spots need at least "
                                  f"{nationalstats.EMERGING_MIN_MONTHS} months in the period "
                                  "(ArcGIS Pro's minimum of time steps).")
        of = st.radio("Of", list(nationalstats.OF), format_func=nationalstats.OF.get,
                      index=list(nationalstats.OF).index(current.of), key="national_stat_of")
        measure = st.selectbox("Gi* and LISA on", list(_STAT_MEASURES),
                               index=list(_STAT_MEASURES).index(current.measure),
                               format_func=_STAT_MEASURES.get, key="national_stat_measure",
                               help="Emerging hot spots are always on monthly counts.")
        perms = st.selectbox("Permutations", [99, 999, 9999], key="national_stat_perms",
                             index=[99, 999, 9999].index(current.permutations)
                             if current.permutations in (99, 999, 9999) else 1,
                             help="The default is the product's (as the ward page, analyse "
                                  "and the board pack), so the same counts give the same "
                                  "answer. The smallest p-value is 2 / (permutations + 1): "
                                  "with FDR over thousands of LSOAs, 999 permutations can "
                                  "leave nothing significant where 9,999 find hot spots. "
                                  "Time at 9,999 (Gi*, measured on a busy 2-core laptop): "
                                  "the largest force (Metropolitan Police, 4,988 LSOAs) about "
                                  "4 CPU-seconds; all England and Wales (35,672 LSOAs) about "
                                  "35 CPU-seconds, up to a minute; then cached. 999 is ten "
                                  "times quicker.")
        seed = st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1,
                               value=current.seed, key="national_stat_seed",
                               help="The same seed gives identical results.")
        correction = st.selectbox("Multiple-testing control", list(_CORRECTIONS),
                                  index=list(_CORRECTIONS).index(current.correction),
                                  format_func=_CORRECTIONS.get, key="national_stat_correction")
        alpha = st.selectbox("Significance", [0.01, 0.05, 0.10], key="national_stat_alpha",
                             index=[0.01, 0.05, 0.10].index(current.alpha)
                             if current.alpha in (0.01, 0.05, 0.10) else 1)
        if st.form_submit_button("Apply statistics"):
            current = nationalstats.StatChoice(
                statistic=str(statistic), of=str(of), measure=str(measure),
                permutations=int(perms), seed=int(seed), correction=str(correction),
                alpha=float(alpha))
            st.session_state["national_stat_choice"] = current
    return current, (start, end)


def _stat_notes(args: dict[str, Any], choice: nationalstats.StatChoice) -> None:
    with st.container(key="national_stat_notes"):
        st.markdown(f"**police.uk rows:** {args['reconciliation']}. Counts of police.uk "
                    "records are public and shown as on the ward maps; the command line's "
                    "files (`store analyse`, `store emerging`) blank counts from 1 to 4 and "
                    "their rates.")
        with st.expander("Method", expanded=False):
            st.code(args["method"], language=None)


def _notes(v: national.NationalView, measure: str, store_file: str | None,
           months: tuple[str, str] | None, place: str) -> None:
    with st.container(key="national_notes"):
        if measure == "deprivation":
            st.markdown(
                "Each nation's own index, never pooled: **English Indices of Deprivation 2025** "
                "(MHCLG, 2021 LSOAs) for England and the **Welsh Index of Multiple Deprivation "
                "2019** (Welsh Government, 2011 LSOAs) for Wales. Deciles rank LSOAs within "
                "their own nation only: an English decile 1 and a Welsh decile 1 are not the "
                "same level of deprivation. " + " ".join(privacy.escape_text(n) for n in v.notes))
        if store_file and months and measure in ("crime", "asb"):
            _, line = _store_counts(store_file, months, place, measure)
            st.markdown(f"**police.uk rows ({months[0]} to {months[1]}):** {line}. "
                        "Recorded crime is not suppressed (as on the ward maps); anti-social "
                        "behaviour is its own measure.")
        st.caption("Boundaries: ONS LSOA (December 2021) BGC, simplified to "
                   f"{national.GEOMETRY_TOLERANCE:.0f} m for drawing (neighbours keep shared "
                   "edges). Population: Census 2021 (ONS). Open Government Licence v3.0; "
                   "contains OS data © Crown copyright and database right.")
