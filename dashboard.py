"""Community-safety hotspot dashboard: ward maps of crime or referrals beside deprivation.

Run with ``streamlit run dashboard.py``. This file only lays out the page; the
panels live in ``ui/`` and every number comes from ``hotspots.pipeline``.
"""

from pathlib import Path

import streamlit as st

from ui import cache, panels, sidebar

st.set_page_config(page_title="Community safety hotspots",
                   layout="wide", initial_sidebar_state="expanded")
cache.static_assets(str(Path(__file__).resolve().parent))

folder = sidebar.pack_folder()
pack = panels.load_pack_or_stop(folder)
opts = sidebar.render(folder, cache.measure_options(folder), pack.months)
marking = panels.marking(pack)
wt = cache.ward_table(folder, *opts.table_key)

panels.banner(marking)
panels.page_header(pack)
panels.results(opts, wt)
panels.data_quality(pack, wt)
panels.footer(pack, opts, marking)
