"""Community-safety hotspot dashboard: ward maps of crime or referrals beside deprivation.

Run with ``streamlit run dashboard.py`` (the demo pack), or
``streamlit run dashboard.py -- --pack PATH`` for a pack folder. This file only
lays out the page; the panels live in ``ui/`` and every number comes from
``hotspots.pipeline`` and ``hotspots.uploads``.
"""

from pathlib import Path

import streamlit as st

from ui import cache, data, panels, sidebar

st.set_page_config(page_title="Community safety hotspots",
                   layout="wide", initial_sidebar_state="expanded")
cache.static_assets(str(Path(__file__).resolve().parent))

head = st.container()
choice = data.choose_source(data.pack_folder())
folder, base = data.base_pack(choice)
upload_set, section = data.upload_section() if choice.kind == "uploads" else (None, None)
pack = data.current_pack(folder, upload_set, section)
opts = sidebar.render(folder, upload_set, pack)
marking = panels.marking(pack)
wt = cache.ward_table(*opts.pack_key, *opts.table_key)

with head:
    panels.banner(marking)
    panels.page_header(pack)
panels.results(opts, wt)
panels.data_quality(pack, wt)
panels.footer(pack, opts, marking)
