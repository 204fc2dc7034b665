"""Every Streamlit cache of the page, and nothing else.

Functions here wrap pure functions of :mod:`hotspots` keyed by small hashable
arguments: the pack (folder, uploads), the frozen
:class:`~hotspots.pipeline.Selection` (measure, months, rate, threshold,
boroughs), the frozen :class:`~hotspots.pipeline.analysis.StatsParams`, and
the map options (:class:`MapStyle`; the IMD map's palette). An
:class:`~hotspots.uploads.UploadSet` is keyed by its SHA-256 digest, never by
hashing its bytes again; a selection and statistics parameters by their
``repr`` (every field, named, and the class). ``st.cache_resource``
objects (packs) are shared and never mutated; packs built from uploads are
cached per *session* (released when the browser tab closes). ``st.cache_data``
hands each caller its own copy (ward tables, maps).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from hotspots import maps, pipeline
from hotspots.io import sheets
from hotspots.maps.assets import ensure_static_assets, write_static_geometry
from hotspots.pipeline import analysis as _analysis
from hotspots.pipeline import measures, wording
from hotspots.pipeline import uploads as uploads
from ui import mapview


@dataclass(frozen=True)
class MapStyle:
    """How the measure map is classed and drawn: one cache-key argument of the map builders.

    Attributes
    ----------
    scheme, k, bins
        Classification (``bins`` only for ``"user_defined"``).
    basemap
        ``"none"`` or ``"osm"``.
    palette
        Measure palette (a key of :data:`hotspots.maps.MAP_PALETTES`).
    borough_labels
        Write borough names on the maps.
    from_zero
        Print the first class of a count from 0.
    """

    scheme: str
    k: int
    bins: tuple[float, ...] | None
    basemap: str
    palette: str = "YlOrRd"
    borough_labels: bool = False
    from_zero: bool = True


_HASH: dict[Any, Any] = {uploads.UploadSet: lambda u: u.digest, pipeline.Selection: repr,
                         _analysis.StatsParams: repr, MapStyle: repr}
_PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _has_upload(values: tuple[Any, ...]) -> bool:
    """Return True when an argument (or an element of a tuple one) is a non-empty UploadSet."""
    for v in values:
        if isinstance(v, uploads.UploadSet) and not v.is_empty:
            return True
        if isinstance(v, tuple) and _has_upload(v):
            return True
    return False


#: Every per-session cache made by :func:`shared_or_session` (released together).
_SESSION_CACHES: list[Any] = []
_UPLOAD_DIGEST_KEY = "_uploads_digest"


def release_replaced_uploads(upload_set: uploads.UploadSet | None,
                             state: MutableMapping[str, Any] | None = None) -> bool:
    """Drop this session's cached results when its uploaded files were replaced.

    The per-session caches hold up to their ``max_entries`` results each; without
    this, results of files no longer on the page stayed until the session ended
    (an analyst replacing a file ten times kept ten files' maps). The packs built
    from uploads (:func:`upload_outcome`, 4 entries) stay, so switching back is quick.

    Parameters
    ----------
    upload_set
        The session's uploads this run (``None`` or empty: none).
    state
        Where the last digest is kept (default ``st.session_state``).

    Returns
    -------
    bool
        True when results were released.
    """
    state = st.session_state if state is None else state
    digest = "" if upload_set is None or upload_set.is_empty else upload_set.digest
    before = state.get(_UPLOAD_DIGEST_KEY, "")
    state[_UPLOAD_DIGEST_KEY] = digest
    if not before or before == digest:
        return False
    for per_session in _SESSION_CACHES:
        per_session.clear()
    return True


def shared_or_session(decorator: Callable[..., Any],
                      private: Callable[[tuple[Any, ...]], bool],
                      **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """Return a Streamlit cache shared between sessions, except for calls ``private`` names.

    Parameters
    ----------
    decorator
        ``st.cache_data`` or ``st.cache_resource``.
    private
        Called with the call's arguments (positional, then keyword values):
        True sends the call to the session's own cache.
    **kwargs
        The decorator's options (``show_spinner``, ``max_entries``, ``hash_funcs``).

    Returns
    -------
    callable
        A decorator. The decorated function has ``shared`` and ``per_session``
        (the two caches) and ``clear()``.
    """
    def wrap(fn: Callable[..., Any]) -> Any:
        shared = decorator(**kwargs)(fn)
        per_session = decorator(scope="session", **kwargs)(fn)
        _SESSION_CACHES.append(per_session)

        @functools.wraps(fn)
        def call(*args: Any, **kw: Any) -> Any:
            use = per_session if private((*args, *kw.values())) else shared
            return use(*args, **kw)

        def clear() -> None:
            shared.clear()
            if get_script_run_ctx(suppress_warning=True) is not None:  # this session's only
                per_session.clear()

        call.shared, call.per_session, call.clear = shared, per_session, clear  # type: ignore[attr-defined]
        return call
    return wrap


def _data_cache(**kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """``st.cache_data`` shared for pack folders, per session for anything from uploads.

    A call with a non-empty :class:`~hotspots.pipeline.uploads.UploadSet` among
    its arguments (or in a tuple argument, as the rendered-panel key) uses the
    session's own cache: results derived from one session's uploads never
    reach another, and are released when the session ends.
    """
    return shared_or_session(st.cache_data, _has_upload, **kwargs)


@st.cache_resource(show_spinner=False)
def static_assets(root: str) -> str:
    """Copy the offline Leaflet files under ``root/static`` once per server process."""
    return str(ensure_static_assets(Path(root)))


@st.cache_resource(show_spinner="Loading the data pack...")
def load_pack(folder: str | None = None) -> pipeline.Pack:
    """Load a pack (``None`` = the demo pack) and build its web layers once.

    The web layers are built here, inside the cached call, so that sessions
    sharing the pack never build them concurrently.
    """
    pack = pipeline.load_pack(Path(folder) if folder else None)
    _ = pack.web_areas, pack.boroughs_web
    return pack


@st.cache_resource(show_spinner="Reading your files...", max_entries=4, scope="session",
                   hash_funcs=_HASH)
def upload_outcome(folder: str | None, upload_set: uploads.UploadSet) -> uploads.UploadOutcome:
    """Return the pack built from the base pack and the session's uploads."""
    outcome = uploads.build_upload_pack(load_pack(folder), upload_set)
    _ = outcome.pack.web_areas, outcome.pack.boroughs_web
    return outcome


def _static_root() -> Path:
    """Folder of the running page's main script: Streamlit serves its ``static/``."""
    ctx = get_script_run_ctx(suppress_warning=True)
    main = getattr(ctx, "main_script_path", None)
    return Path(main).resolve().parent if main else _PROJECT_ROOT


@st.cache_resource(show_spinner=False, max_entries=8)
def _geometry_files(folder: str | None, root: str) -> tuple[maps.StaticGeometry,
                                                            maps.StaticGeometry]:
    p = load_pack(folder)
    wards = write_static_geometry(root, "wards", maps.ward_geometry_json(p.web_areas))
    outlines = write_static_geometry(root, "boroughs", maps.outline_geometry_json(p.boroughs_web))
    return (maps.StaticGeometry(wards, maps.GEOMETRY_PROPERTIES), maps.StaticGeometry(outlines))


def static_geometry(
    folder: str | None, upload_set: uploads.UploadSet | None
) -> tuple[maps.StaticGeometry | None, maps.StaticGeometry | None]:
    """Return the static ward and borough-outline geometry files of a pack folder.

    Written once per pack and server (``static/vendor/geo/``, named by content),
    so that a new selection sends only colours and tooltip values. Packs built
    from uploads keep their geometry inline (``(None, None)``): an upload's
    boundaries are never written to a served folder.
    """
    if upload_set is not None and not upload_set.is_empty:
        return None, None
    return _geometry_files(folder, str(_static_root()))


def pack(folder: str | None, upload_set: uploads.UploadSet | None) -> pipeline.Pack:
    """Return the cached pack for a folder and (optional) uploads."""
    if upload_set is None or upload_set.is_empty:
        return load_pack(folder)
    return upload_outcome(folder, upload_set).pack


@st.cache_data(show_spinner=False, max_entries=16, scope="session")
def upload_headers(name: str, data: bytes, header_row: int | None = None) -> list[str]:
    """Return the headers of an uploaded referral spreadsheet (raises UploadError)."""
    return sheets.read_headers(name, data, header_row=header_row)


@_data_cache(show_spinner=False, max_entries=64, hash_funcs=_HASH)
def measure_groups(folder: str | None,
                   upload_set: uploads.UploadSet | None) -> dict[str, measures.MeasureGroup]:
    """Return the two-level measure list of the pack."""
    return measures.measure_groups(pack(folder, upload_set))


@_data_cache(show_spinner="Counting...", max_entries=64, hash_funcs=_HASH)
def ward_table(folder: str | None, upload_set: uploads.UploadSet | None,
               sel: pipeline.Selection) -> pipeline.WardTable:
    """Return the ward table for one selection (see :func:`hotspots.measures.table_for`)."""
    return measures.table_for(pack(folder, upload_set), sel)


def _web_layers(p: pipeline.Pack, boroughs: tuple[str, ...]) -> tuple[Any, Any]:
    if not boroughs:
        return p.web_areas, p.boroughs_web
    return (p.web_areas[p.web_areas["borough_name"].isin(boroughs)].reset_index(drop=True),
            p.boroughs_web[p.boroughs_web["borough_name"].isin(boroughs)].reset_index(drop=True))


@_data_cache(show_spinner="Drawing the map...", max_entries=32, hash_funcs=_HASH)
def measure_panel(folder: str | None, upload_set: uploads.UploadSet | None,
                  sel: pipeline.Selection, style: MapStyle, value_label: str) -> maps.MapPanel:
    """Return the measure map with its legend, for one selection and map options."""
    p = pack(folder, upload_set)
    wt = ward_table(folder, upload_set, sel)
    areas, outlines = _web_layers(p, sel.boroughs)
    geometry, outline_geometry = static_geometry(folder, upload_set)
    return maps.measure_panel(
        areas, wt.frame,
        title=f"{wt.label}, {wt.period_label}",
        value_label=value_label,
        integer=sel.rate == "count",
        sensitive=wt.is_sensitive,
        threshold=sel.suppress_below,
        scheme=style.scheme, k=style.k, bins=style.bins,
        synthetic=wt.is_synthetic,
        basemap=style.basemap,  # type: ignore[arg-type]
        borough_outlines=outlines,
        palette_name=style.palette,
        borough_labels=style.borough_labels,
        geometry=geometry, outline_geometry=outline_geometry,
        authority=wording.authority_word(p.meta, capital=True),
        from_zero=style.from_zero,
    )


@_data_cache(show_spinner="Drawing the map...", max_entries=16, hash_funcs=_HASH)
def imd_panel(
    folder: str | None,
    upload_set: uploads.UploadSet | None,
    scheme: str,
    k: int,
    basemap: str,
    palette: str = "Blues",
    borough_labels: bool = False,
    boroughs: tuple[str, ...] = (),
) -> maps.MapPanel:
    """Return the deprivation average-score map and legend (independent of the measure)."""
    p = pack(folder, upload_set)
    areas, outlines = _web_layers(p, boroughs)
    reference = p.meta.imd_reference or "the wards on this map"
    geometry, outline_geometry = static_geometry(folder, upload_set)
    return maps.imd_panel(
        areas, p.imd, scheme=scheme, k=k, reference=reference,
        basemap=basemap,  # type: ignore[arg-type]
        borough_outlines=outlines, palette_name=palette, borough_labels=borough_labels,
        class_reference=p.imd["imd_score"] if boroughs and "imd_score" in p.imd else None,
        geometry=geometry, outline_geometry=outline_geometry,
        index_label=wording.index_label(p.meta),
        authority=wording.authority_word(p.meta, capital=True),
        notice=wording.index_notice(p.meta),
    )


@_data_cache(show_spinner="Drawing the maps...", max_entries=32, hash_funcs=_HASH)
def map_pair(folder: str | None, upload_set: uploads.UploadSet | None, sel: pipeline.Selection,
             style: MapStyle, value_label: str,
             imd_palette: str = "Blues") -> mapview.RenderedPair:
    """Return the measure and IMD maps as one synchronised pair, rendered for the page.

    Rendered once per selection and map options: a rerun that changes
    nothing here (another tab, a statistics setting) sends the cached text.
    Without IMD scores the measure map is drawn alone. The IMD map takes the
    classification, basemap and borough labels of ``style`` with ``imd_palette``.
    """
    measure_p = measure_panel(folder, upload_set, sel, style, value_label)
    p = pack(folder, upload_set)
    has_imd = "imd_score" in p.imd and bool(p.imd["imd_score"].notna().any())
    if not has_imd:
        return mapview.RenderedPair(mapview.render_map(measure_p.map), measure_p.title,
                                    measure_p.legend)
    imd_p = imd_panel(folder, upload_set, style.scheme, style.k, style.basemap, imd_palette,
                      style.borough_labels, sel.boroughs)
    return mapview.RenderedPair(
        mapview.render_map(maps.synced_pair(measure_p.map, imd_p.map)),
        measure_p.title, measure_p.legend, imd_p.title, imd_p.legend)


@_data_cache(show_spinner="Drawing the map...", max_entries=32, hash_funcs=_HASH)
def rendered_panel(key: tuple[Any, ...],
                   _build: Callable[[], mapview.RenderedPanel]) -> mapview.RenderedPanel:
    """Return ``_build()``, once per ``key`` (the analysis' cache arguments and the view's).

    ``_build`` (not hashed) draws and renders a statistics map of the analysis
    that ``key`` names; the analysis maps of a tab are then rendered once per
    selection, statistics and map options, not on every rerun.
    """
    return _build()


@_data_cache(show_spinner="Computing hotspot statistics...", max_entries=16, hash_funcs=_HASH)
def analysis(
    folder: str | None,
    upload_set: uploads.UploadSet | None,
    sel: pipeline.Selection,
    stats: _analysis.StatsParams,
) -> _analysis.Analysis:
    """Return the full ward analysis for one selection and one set of statistics."""
    return measures.analyse_for(pack(folder, upload_set), sel, stats)  # type: ignore[no-any-return]


@_data_cache(show_spinner="Testing every month for hot spots (Gi*) and their trends...",
               max_entries=8, hash_funcs=_HASH)
def emerging_wards(
    folder: str | None,
    upload_set: uploads.UploadSet | None,
    sel: pipeline.Selection,
    stats: _analysis.StatsParams,
) -> pd.DataFrame:
    """Return the emerging hot spots per ward (keyed like :func:`analysis`).

    :func:`hotspots.analysis.emerging_wards` on the measure's own crime source
    (as :func:`hotspots.measures.analyse_for`); it uses every month of the pack,
    so the period only names the cache entry.
    """
    return measures.emerging_for(pack(folder, upload_set), sel, stats)  # type: ignore[no-any-return]
