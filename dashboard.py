"""Community-safety hotspot dashboard: ward maps of crime or referrals beside deprivation.

Run with ``streamlit run dashboard.py`` (the demo pack), or
``streamlit run dashboard.py -- --pack PATH`` for a pack folder. This file only
lays out the page; the panels live in ``ui/`` and every number comes from
``hotspots.pipeline`` and ``hotspots.uploads``.
"""

from pathlib import Path

import streamlit as st

from hotspots._errors import InputDataError
from ui import cache, data, panels, sidebar, views

st.set_page_config(page_title="Community safety hotspots",
                   layout="wide", initial_sidebar_state="expanded")
cache.static_assets(str(Path(__file__).resolve().parent))

head = st.container()
choice = data.choose_source(data.pack_folder())
folder, base = data.base_pack(choice)
upload_set, section = data.upload_section() if choice.kind == "uploads" else (None, None)
pack = data.current_pack(folder, upload_set, section)
opts = sidebar.render(folder, upload_set, pack)
stats_params = sidebar.stats_form()
marking = panels.marking(pack)
wt = cache.ward_table(*opts.pack_key, *opts.table_key)

with head:
    panels.banner(marking)
    panels.page_header(pack)
panels.results(opts, wt)
if not wt.is_empty:
    st.header("Hotspots, deprivation and trends")
    try:
        an = cache.analysis(*opts.pack_key, *opts.table_key, stats_params)
    except (InputDataError, ValueError) as e:
        st.error(f"The hotspot statistics cannot be computed for this selection: {e}")
    else:
        views.render_analysis_tabs(pack, an, basemap=opts.basemap,  # type: ignore[arg-type]
                                   suppress_below=opts.selection.suppress_below,
                                   borough_labels=False)
panels.data_quality(pack, wt)
panels.footer(pack, opts, marking)
