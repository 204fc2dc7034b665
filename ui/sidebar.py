"""The sidebar: what to map, for which months, and how (returns frozen options)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from hotspots import pipeline
from hotspots.classify import SCHEMES
from hotspots.maps import BASEMAPS
from hotspots.privacy import DEFAULT_THRESHOLD

#: Environment variable naming a pack folder (default: the demo pack).
PACK_ENV = "HOTSPOTS_PACK"
DEFAULT_MONTHS = 12
DEFAULT_BINS = "5, 10, 20, 50"


@dataclass(frozen=True)
class PageOptions:
    """Everything the sidebar decides (hashable, passed to the cached builders).

    Attributes
    ----------
    folder
        Pack folder (``None`` = demo pack).
    selection
        Measure, period, rate and suppression threshold.
    scheme, k, bins
        Classification of the maps (``bins`` only for ``"user_defined"``).
    basemap
        ``"none"`` or ``"osm"``.
    """

    folder: str | None
    selection: pipeline.Selection
    scheme: str
    k: int
    bins: tuple[float, ...] | None
    basemap: str

    @property
    def table_key(self) -> tuple[str, str, str, str, int]:
        """The selection as plain cache-key arguments (measure, months, rate, threshold)."""
        s = self.selection
        return (s.measure, s.month_from, s.month_to, s.rate, s.suppress_below)


def pack_folder() -> str | None:
    """Return the pack folder from ``HOTSPOTS_PACK`` (``None``: the demo pack)."""
    return os.environ.get(PACK_ENV) or None


def month_label(month: str) -> str:
    """Return ``"Apr 2025"`` for ``"2025-04"``."""
    return pd.Period(month, "M").strftime("%b %Y")


def render(folder: str | None, options: dict[str, str], months: list[str]) -> PageOptions:
    """Draw the sidebar and return the user's choices.

    Parameters
    ----------
    folder
        Pack folder (``None`` = demo pack).
    options
        Measure key -> label (from :func:`hotspots.pipeline.measure_options`).
    months
        Sorted ``YYYY-MM`` months of the pack.

    Returns
    -------
    PageOptions
    """
    sb = st.sidebar
    sb.header("What to map")
    measure = sb.selectbox("Measure", list(options), format_func=options.__getitem__,
                           key="measure", help="Recorded crime by offence group and type, or "
                           "referrals by category. Type to search.")
    month_from, month_to = _period(months)
    rate = sb.radio("Show", list(pipeline.RATE_LABELS), key="rate", horizontal=True,
                    format_func=pipeline.RATE_LABELS.__getitem__,
                    help="Rates use the Census 2021 usual resident population of each ward.")
    sb.header("Map classes")
    scheme = sb.selectbox("Classification", list(SCHEMES), key="scheme",
                          format_func=lambda s: SCHEMES[s].label)
    bins = _bins(scheme)
    if scheme == "user_defined" and bins is None:
        scheme = "quantiles"
    k = sb.slider("Number of classes", min_value=3, max_value=7, value=5, key="k",
                  disabled=scheme == "user_defined")
    basemap = sb.radio("Background map", list(BASEMAPS), key="basemap",
                       format_func=BASEMAPS.__getitem__)
    if basemap != "none":
        sb.warning("OpenStreetMap tiles are fetched from the internet: the areas you view "
                   "are sent to tile.openstreetmap.org. Choose 'None' to keep everything on "
                   "this machine.")
    sb.header("Privacy")
    threshold = sb.number_input(
        "Suppress referral counts below", min_value=2, max_value=20, value=DEFAULT_THRESHOLD,
        step=1, key="suppress_below",
        help="Referral counts from 1 to this number minus 1 are shown as '<n' in maps, "
             "tooltips and tables. Recorded crime is not suppressed.")
    sel = pipeline.Selection(measure=measure, month_from=month_from, month_to=month_to,
                             rate=rate, suppress_below=int(threshold))
    return PageOptions(folder=folder, selection=sel, scheme=scheme, k=int(k), bins=bins,
                       basemap=basemap)


def _period(months: list[str]) -> tuple[str, str]:
    """Month range selector over the pack's months (default: the latest 12)."""
    if not months:
        st.sidebar.info("This pack has no dated records.")
        return "0000-01", "0000-01"
    if len(months) == 1:
        st.sidebar.caption(f"Period: {month_label(months[0])} (the only month)")
        return months[0], months[0]
    default = (months[max(0, len(months) - DEFAULT_MONTHS)], months[-1])
    start, end = st.sidebar.select_slider(
        "Period (inclusive)", options=months, value=default, key="period",
        format_func=month_label,
        help="Whole calendar months. The default is the latest 12 months of the pack.")
    return str(start), str(end)


def _bins(scheme: str) -> tuple[float, ...] | None:
    """Class upper bounds typed by the user (only for user-defined classes)."""
    if scheme != "user_defined":
        return None
    text = st.sidebar.text_input("Class upper bounds", DEFAULT_BINS, key="bins",
                                 help="Comma-separated, ascending, e.g. 5, 10, 20, 50. "
                                      "A last class up to the highest value is added.")
    try:
        bins = tuple(sorted({float(x) for x in text.replace(";", ",").split(",") if x.strip()}))
    except ValueError:
        bins = ()
    if not bins:
        st.sidebar.error(f"Could not read the bounds {text!r}: type numbers separated by "
                         "commas, e.g. 5, 10, 20. Using quantiles meanwhile.")
        return None
    return bins
