"""What every analysis view shares: its options, and how it draws text, tables and maps.

:class:`ViewOptions` says how the views draw; the helpers escape text for
Markdown, draw a data table, pick the threshold, year convention and words of
an analysis, render a statistics map once per cache key and draw it with its
legend and caption. Used by :mod:`ui.views` (the tabs and the statistics
views) and :mod:`ui.trendviews` (trends and emerging hot spots).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from hotspots import pipeline
from hotspots.maps import statmaps as statmaps
from hotspots.maps.web import SYNTHETIC_BADGE
from hotspots.periods import YearStart, get_year_start
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import uploads as uploads
from hotspots.pipeline import wording as wording
from ui import cache, mapview

__all__ = ["ViewOptions", "text_width"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


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
        :func:`ui.cache.analysis`, ``(folder, upload_set, selection, stats)``.
        When given, each map is rendered once per key and options
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


#: Pixels per character and per cell (padding) that :func:`text_width` allows: more than
#: the page's 14 px Source Sans needs (about 6.3 px a character), so a label never cuts.
_CHAR_PX, _CELL_PX, _MAX_PX = 7.5, 24, 520


def text_width(texts: Any) -> int:
    """Return a column width in pixels that shows the longest text whole.

    Examples
    --------
    >>> text_width(["1, most deprived 10%, this layer", "2"])
    264
    >>> text_width([]) == text_width([""]) == 75
    True
    """
    longest = max((len(str(t)) for t in texts), default=0)
    return int(min(_MAX_PX, max(75, round(_CELL_PX + _CHAR_PX * longest))))


def _table(frame: pd.DataFrame, widths: dict[str, Any] | None = None,
           right: tuple[str, ...] = (), *, key: str) -> None:
    """Draw a data table: whole numbers with thousands separators, no index.

    ``widths`` maps column -> ``"small"``, ``"medium"``, ``"large"`` or pixels,
    for columns whose text would otherwise be cut off; ``right`` names text
    columns of numbers (with a dash where undefined) to align like numbers.
    The table sits in a container keyed ``key`` (CSS class ``st-key-<key>``).
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
    with st.container(key=key):
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
    return pipeline.value_words(sel.rate, sensitive=a.ward.is_sensitive,
                                what=pipeline.value_word(sel.measure))


def _measure_word(a: analysis_mod.Analysis) -> str:
    what = pipeline.value_word(a.ward.selection.measure)
    rate = a.ward.selection.rate
    return {"per_1000": f"{what[:-1]} rate",
            "eb_per_1000": f"Smoothed {what[:-1].lower()} rate"}.get(rate, what)


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
            "geometry": geometry, "outline_geometry": outlines,
            "authority": wording.authority_word(pack.meta, capital=True)}


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
    with st.container(key=f"{key}_legend"):
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
