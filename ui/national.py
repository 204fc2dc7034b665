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
import hashlib
import html
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from boundaries import national as national_files
from hotspots import privacy, store
from hotspots.maps import MAP_PALETTES
from hotspots.maps.classify import SCHEMES
from hotspots.pipeline import nationalmap as national

__all__ = ["requested", "render", "store_path"]

MAP_HEIGHT = 620
_SRC = Path(__file__).resolve().parent / "national_map"
_ALL = "All England and Wales"
_MEASURES = {"deprivation": "Deprivation (each nation's own index)",
             "population": "Usual residents (Census 2021)",
             "crime": "Recorded crime (police.uk, from the store)",
             "asb": "Anti-social behaviour (police.uk, from the store; not recorded crime)"}


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
    """Return the private folder the component is served from (page, script, geometry)."""
    try:
        folder = national.geometry_folder()
    except OSError:  # no private cache folder: one for this process
        folder = Path(tempfile.mkdtemp(prefix="hotspots-national-"))
    script = (_SRC / "national_map.js").read_bytes()
    name = f"national_map-{hashlib.sha256(script).hexdigest()[:12]}.js"
    if not (folder / name).is_file():
        shutil.copyfile(_SRC / "national_map.js", folder / name)
    page = (_SRC / "index.html").read_text(encoding="utf-8").replace(
        'src="national_map.js"', f'src="{name}"')
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
    path = national.geometry_file(_view().data.sources.path("lsoa21_boundaries"), _FOLDER)
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


@st.cache_data(show_spinner="Counting the store's rows per LSOA...", max_entries=8)
def _store_counts(path: str, months: tuple[str, str]) -> tuple[pd.DataFrame, str]:
    return national.store_lsoa_counts(path, _lsoa_polygons(), months)


@st.cache_data(show_spinner=False, max_entries=32)
def _values(measure: str, rate: bool, place: str, scheme: str, k: int, palette: str,
            store_file: str | None, months: tuple[str, str] | None) -> dict[str, Any]:
    """Return the component's arguments for one choice (cached: a rerun resends the same)."""
    v = _view()
    table = v.table
    if measure in ("crime", "asb") and store_file and months:
        counts, _ = _store_counts(store_file, months)
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


def render() -> None:
    """Draw the national LSOA view (the whole page)."""
    st.title("England and Wales by LSOA")
    store_file = store_path()
    if store_file and not Path(store_file).is_file():
        st.error(f"The store {store_file} does not exist. Make one with "
                 "`python -m hotspots store add <police.uk files>`, or start without --store.")
        store_file = None
    v = _view()
    geometry = _geometry_name()
    months_all = _store_months(store_file) if store_file else []
    measures = [m for m in _MEASURES if m not in ("crime", "asb") or months_all]
    with st.sidebar:
        st.header("National LSOA view")
        place = st.selectbox("Area", _places(), key="national_place", format_func=_place_label,
                             help="All 35,672 LSOAs, a nation, an English region or a police "
                                  "force area (LSOAs of its local authorities).")
        measure = st.radio("Measure", measures, format_func=_MEASURES.__getitem__,
                           key="national_measure")
        rate = False
        months: tuple[str, str] | None = None
        if measure in ("crime", "asb"):
            start, end = st.select_slider("Months", months_all,
                                          value=(months_all[max(0, len(months_all) - 12)],
                                                 months_all[-1]), key="national_months")
            months = (start, end)
            rate = st.radio("Show", ["count", "rate"], key="national_rate",
                            format_func={"count": "Count",
                                         "rate": "Rate per 1,000 residents"}.__getitem__
                            ) == "rate"
        if measure != "deprivation":
            scheme = st.selectbox("Classes", [s for s in SCHEMES if not SCHEMES[s].needs_bins],
                                  key="national_scheme", format_func=lambda s: SCHEMES[s].label)
            k = st.slider("Number of classes", 3, 9, 5, key="national_k")
            palette = st.selectbox("Colours", list(MAP_PALETTES), key="national_palette",
                                   format_func=MAP_PALETTES.__getitem__)
        else:
            scheme, k, palette = "quantiles", 10, "YlOrRd"
    args = _values(measure, rate, place, scheme, k, palette, store_file, months)
    if measure == "deprivation":
        labels = {key[0].upper(): lab for key, lab in (("E", v.indices["iod2025"]),
                                                        ("W", v.indices["wimd2019"]))}
        labels = {k_: f"{lab} decile (1 = most deprived, 10 = least)"
                  for k_, lab in labels.items()}
    else:
        period = f", {months[0]} to {months[1]}" if months else ""
        unit = " per 1,000 residents" if rate else ""
        labels = {"*": f"{_MEASURES[measure].split(' (')[0]}{unit}{period}"}
    st.caption(f"{args['shown']:,} LSOAs shown ({_place_label(place)}). Hover an LSOA for its "
               "name and value; drag to pan, scroll or the +/- buttons to zoom.")
    left, right = st.columns([4, 1])
    with left, st.container(key="national_map_box"):
        _component(geometry=geometry, classes=args["classes"], texts=args["texts"],
                   colours=args["colours"], labels=labels, fit_key=place, height=MAP_HEIGHT,
                   key="national_map", default=None)
    with right, st.container(key="national_legend"):
        for title, items in args["legends"]:
            st.markdown(_legend_html(title or labels["*"], items, args["colours"]),
                        unsafe_allow_html=True)
    _notes(v, measure, store_file, months)


def _notes(v: national.NationalView, measure: str, store_file: str | None,
           months: tuple[str, str] | None) -> None:
    with st.container(key="national_notes"):
        if measure == "deprivation":
            st.markdown(
                "Each nation's own index, never pooled: **English Indices of Deprivation 2025** "
                "(MHCLG, 2021 LSOAs) for England and the **Welsh Index of Multiple Deprivation "
                "2019** (Welsh Government, 2011 LSOAs) for Wales. Deciles rank LSOAs within "
                "their own nation only: an English decile 1 and a Welsh decile 1 are not the "
                "same level of deprivation. " + " ".join(privacy.escape_text(n) for n in v.notes))
        if store_file and months and measure in ("crime", "asb"):
            _, line = _store_counts(store_file, months)
            st.markdown(f"**police.uk rows ({months[0]} to {months[1]}):** {line}. "
                        "Recorded crime is not suppressed (as on the ward maps); anti-social "
                        "behaviour is its own measure.")
        st.caption("Boundaries: ONS LSOA (December 2021) BGC, simplified to "
                   f"{national.GEOMETRY_TOLERANCE:.0f} m for drawing (neighbours keep shared "
                   "edges). Population: Census 2021 (ONS). Open Government Licence v3.0; "
                   "contains OS data © Crown copyright and database right.")
