"""A tiny page that draws the analysis tabs on the demo pack (tests and screenshots).

``streamlit run tests/apps/views_harness.py`` (from the project root). The
measure, permutations, year start and the tab can be set in the sidebar or
in the URL: ``?measure=referrals:all&permutations=999&year_start=project``.
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
from hotspots.pipeline import analysis as analysis  # noqa: E402
from ui.views import render_analysis_tabs  # noqa: E402

MEASURES = ["crime:all", "referrals:all"]
YEAR_STARTS = ["financial", "project", "calendar"]


@st.cache_resource(show_spinner=False)
def _pack() -> pipeline.Pack:
    # Streamlit serves /app/static/ from the folder of the *main script*: for this
    # harness that is tests/apps/static/ (git-ignored), not the project's static/.
    ensure_static_assets(Path(__file__).resolve().parent)
    return pipeline.load_pack()


@st.cache_resource(show_spinner="Running the statistics...")
def _analysis(measure: str, permutations: int, year_start: str, month_from: str,
              month_to: str) -> analysis.Analysis:
    sel = pipeline.Selection(measure=measure, month_from=month_from, month_to=month_to)
    return analysis.analyse(_pack(), sel, analysis.StatsParams(
        permutations=permutations, seed=1, year_start=year_start))


def _query(name: str, default: str) -> str:
    return str(st.query_params.get(name, default))


st.set_page_config(page_title="Analysis views harness", layout="wide")
pack = _pack()
q_measure = _query("measure", MEASURES[0])
measure = st.sidebar.selectbox("Measure", MEASURES, key="measure",
                               index=MEASURES.index(q_measure) if q_measure in MEASURES else 0)
perms = st.sidebar.number_input("Permutations", 9, 99_999, int(_query("permutations", "99")),
                                key="permutations")
q_ys = _query("year_start", "financial")
year_start = st.sidebar.selectbox("Year start", YEAR_STARTS, key="year_start",
                                  index=YEAR_STARTS.index(q_ys) if q_ys in YEAR_STARTS else 0)
a = _analysis(measure, int(perms), year_start, _query("from", "2025-04"), _query("to", "2026-03"))
st.title("Analysis views")
render_analysis_tabs(pack, a, basemap="none", suppress_below=5,
                     borough_labels=_query("labels", "0") == "1")
