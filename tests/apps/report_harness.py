"""A tiny page that draws the board-pack export on the demo pack (tests).

Two boroughs, referrals, 99 permutations: small enough to build in seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hotspots import pipeline  # noqa: E402
from hotspots.pipeline import analysis as analysis  # noqa: E402
from ui.report import render_export  # noqa: E402
from ui.sidebar import PageOptions  # noqa: E402


@st.cache_resource(show_spinner=False)
def _pack() -> pipeline.Pack:
    return pipeline.load_pack()


sel = pipeline.Selection(measure="referrals:all", month_from="2025-04", month_to="2026-03",
                         boroughs=("Lambeth", "Southwark"))
opts = PageOptions(folder=None, selection=sel, scheme="quantiles", k=5, bins=None,
                   basemap="none")
render_export(_pack(), opts, analysis.StatsParams(permutations=99, seed=1),
              marking="OFFICIAL-SENSITIVE")
