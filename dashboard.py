"""Community-safety hotspot dashboard: ward maps of crime or referrals beside deprivation.

Run with ``streamlit run dashboard.py`` (the demo pack), or
``streamlit run dashboard.py -- --pack PATH`` for a pack folder. This file only
lays out the page; the panels live in ``ui/`` and every number comes from
``hotspots.pipeline`` and ``hotspots.uploads``.
"""

from pathlib import Path

import streamlit as st

from hotspots._errors import InputDataError
from ui import auth, cache, data, errors, panels, patrol, serving, sidebar, uploadperiod, views
from ui import national as national_view
from ui import report as report_ui

st.set_page_config(page_title="Community safety hotspots",
                   layout="wide", initial_sidebar_state="expanded")
cache.static_assets(str(Path(__file__).resolve().parent))
panels.page_css()
# An unexpected error shows a reference (its traceback goes to the server log only).
with errors.guard("The page"):
    # Served beyond this computer only with a login; then only to allowed, signed-in users.
    serving.refuse_unsafe(auth.login_configured())
    auth.require_user()
    if national_view.requested():  # `--national`: the LSOA map of England and Wales, its own page
        national_view.render()
        st.stop()
    head = st.container()
    choice = data.choose_source(data.pack_folder())
    folder, base = data.base_pack(choice)
    upload_set, section = data.upload_section() if choice.kind == "uploads" else (None, None)
    cache.release_replaced_uploads(upload_set)  # a replaced file's maps are not kept
    pack = data.current_pack(folder, upload_set, section)
    marking = panels.marking(pack)
    with head:  # drawn as soon as the pack is known: the page shows while the maps are made
        panels.banner(marking)
        panels.page_header(pack)
    upload_note = uploadperiod.switch_to_upload(pack, upload_set)
    patrol_view = patrol.view_switch(pack)
    ward_box = sidebar.ward_settings_box(patrol_view)
    opts = sidebar.render(folder, upload_set, pack, box=ward_box)
    patrol_result = None
    wt = None
    if not opts.has_measure:  # no crime, no referrals: deprivation and population only
        panels.deprivation_only(pack, opts)
        report_ui.render_profile_export(pack, marking=marking)
        panels.data_quality(pack, None)
        panels.deprivation_footer(pack, marking)
        st.stop()
    stats_params = sidebar.stats_form(box=ward_box)
    wt = cache.ward_table(*opts.pack_key, opts.selection)

    if patrol_view:
        patrol_result = patrol.render_patrol(pack, basemap=opts.basemap)  # type: ignore[arg-type]
    else:
        if upload_note and opts.selection.measure == st.session_state.get("measure_type:police_uk"):
            st.info(upload_note)
        panels.results(opts, wt, on_ward_click=views.select_ward)
        if not wt.is_empty:
            st.header("Hotspots, deprivation and trends")
            try:
                an = cache.analysis(*opts.pack_key, opts.selection, stats_params)
            except (InputDataError, ValueError) as e:
                st.error(f"The hotspot statistics cannot be computed for this selection: {e}")
            else:
                views.render_analysis_tabs(pack, an, basemap=opts.basemap,  # type: ignore[arg-type]
                                           suppress_below=opts.selection.suppress_below,
                                           borough_labels=False,
                                           cache_key=(*opts.pack_key, opts.selection,
                                                      stats_params))
            report_ui.render_export(pack, opts, stats_params, marking=marking)
    panels.data_quality(pack, wt)
    if patrol_view:
        panels.patrol_footer(pack, patrol_result, opts, marking)
    else:
        panels.footer(pack, opts, marking)
