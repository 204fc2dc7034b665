"""Every Streamlit cache of the page, and nothing else.

Functions here wrap pure functions of :mod:`hotspots` keyed by small hashable
arguments (folder, measure key, months, rate, threshold, scheme, k, basemap).
``st.cache_resource`` objects (the pack) are shared between sessions and never
mutated; ``st.cache_data`` hands each caller its own copy (ward tables, maps).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from hotspots import maps, pipeline
from hotspots.assets import ensure_static_assets


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


@st.cache_data(show_spinner=False, max_entries=64)
def measure_options(folder: str | None) -> dict[str, str]:
    """Return the measures the pack offers, ``key -> label``."""
    return pipeline.measure_options(load_pack(folder))


@st.cache_data(show_spinner="Counting...", max_entries=64)
def ward_table(
    folder: str | None,
    measure: str,
    month_from: str,
    month_to: str,
    rate: str,
    suppress_below: int,
) -> pipeline.WardTable:
    """Return the ward table for one selection (see :func:`hotspots.pipeline.ward_table`)."""
    sel = pipeline.Selection(measure=measure, month_from=month_from, month_to=month_to,
                             rate=rate, suppress_below=suppress_below)  # type: ignore[arg-type]
    return pipeline.ward_table(load_pack(folder), sel)


@st.cache_data(show_spinner="Drawing the map...", max_entries=32)
def measure_panel(
    folder: str | None,
    measure: str,
    month_from: str,
    month_to: str,
    rate: str,
    suppress_below: int,
    scheme: str,
    k: int,
    bins: tuple[float, ...] | None,
    basemap: str,
    value_label: str,
) -> maps.MapPanel:
    """Return the measure map with its legend, for one selection and map options."""
    pack = load_pack(folder)
    wt = ward_table(folder, measure, month_from, month_to, rate, suppress_below)
    per_1000 = rate == "per_1000"
    return maps.measure_panel(
        pack.web_areas, wt.frame,
        title=f"{wt.label}, {wt.period_label}",
        value_label=value_label,
        integer=not per_1000,
        sensitive=wt.is_sensitive,
        threshold=suppress_below,
        scheme=scheme, k=k, bins=bins,
        synthetic=wt.is_synthetic,
        basemap=basemap,  # type: ignore[arg-type]
        borough_outlines=pack.boroughs_web,
    )


@st.cache_data(show_spinner="Drawing the map...", max_entries=16)
def imd_panel(folder: str | None, scheme: str, k: int, basemap: str) -> maps.MapPanel:
    """Return the IMD 2019 average-score map and legend (independent of the measure)."""
    pack = load_pack(folder)
    reference = str(pack.meta.get("imd_reference") or "the wards on this map")
    return maps.imd_panel(
        pack.web_areas, pack.imd, scheme=scheme, k=k, reference=reference,
        basemap=basemap,  # type: ignore[arg-type]
        borough_outlines=pack.boroughs_web,
    )

