"""A tiny page that draws the patrol hotspots view on the demo pack (tests and screenshots).

``streamlit run tests/apps/patrol_harness.py`` (from the project root). The view
is :func:`ui.patrol.render_patrol`, exactly as the dashboard calls it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hotspots import pipeline  # noqa: E402
from hotspots.maps.assets import ensure_static_assets  # noqa: E402
from ui.patrol import render_patrol  # noqa: E402


@st.cache_resource(show_spinner=False)
def _pack() -> pipeline.Pack:
    # Streamlit serves /app/static/ from the folder of the *main script*: for this
    # harness that is tests/apps/static/ (git-ignored), not the project's static/.
    ensure_static_assets(Path(__file__).resolve().parent)
    return pipeline.load_pack()


st.set_page_config(page_title="Patrol hotspots harness", layout="wide")
st.title("Patrol hotspots")
render_patrol(_pack(), basemap="none")
