"""Which months a measure's own source has, and showing a new upload's latest months.

With uploaded police.uk crime beside the pack's own crime, each source has its own
months; a new police.uk upload (or MPS ward file) switches the page to its measure
and latest months once (:func:`switch_to_upload`), before the sidebar draws.
"""

from __future__ import annotations

import streamlit as st

from hotspots import pipeline
from hotspots.pipeline import measures
from hotspots.pipeline import uploads as uploads
from ui.data import (
    PERIOD_DEFAULT_KEY,
    PERIOD_SET_KEY,
    SWITCH_NOTE_KEY,
    SWITCHED_KEY,
    UPLOAD_PERIOD_MONTHS,
    _police_key,
)

__all__ = ["measure_months", "switch_to_upload"]



def measure_months(pack: pipeline.Pack, measure: str) -> tuple[list[str], str]:
    """Return the months with records for a measure's own source, and that source's name.

    With uploaded police.uk crime beside the pack's own crime, each source has
    its own months (e.g. City of London 2017-2020 beside the Met's 2024-2026):
    a period is complete only if that source has every month of it.

    Parameters
    ----------
    pack
        The pack shown.
    measure
        A measure key (``crime:...``, ``crime:source:police_uk``, ``asb:all``,
        ``referrals:...``).

    Returns
    -------
    tuple
        Sorted ``YYYY-MM`` months, and a name for the source (for messages).
    """
    value = pipeline.Measure.parse(measure)
    if value.is_referrals:
        return sorted(str(m) for m in pack.referrals["month"].unique()), "the referrals"
    crime = pack.crime
    if not pack.meta.crime_sources:
        return sorted(str(m) for m in crime["month"].unique()), "the recorded crime"
    police = crime["major"].astype(str).str.startswith(uploads.POLICE_UK_PREFIX)
    is_police = value.is_police_uk
    rows = crime.loc[police if is_police else ~police, "month"]
    name = "the police.uk uploads" if is_police else "the pack's recorded crime"
    return sorted(str(m) for m in rows.unique()), name


def switch_to_upload(pack: pipeline.Pack, upload_set: uploads.UploadSet | None) -> str | None:
    """On a new police.uk upload, show it: its measure and its latest 12 months.

    Done once per set of police.uk files (before the sidebar draws its
    widgets, so they start on the new values); the user can change both
    afterwards. Nothing happens when no police.uk file could be used.

    Parameters
    ----------
    pack
        The pack with the uploads.
    upload_set
        The session's uploads.

    Returns
    -------
    str or None
        The note saying what was switched (kept for this set of files).
    """
    if upload_set is not None and upload_set.mps and not upload_set.police_uk:
        return _switch_to_mps(pack, upload_set)
    if upload_set is None or not upload_set.police_uk:
        return None
    key = _police_key(upload_set.police_uk)
    if st.session_state.get(SWITCHED_KEY) == key:
        return st.session_state.get(SWITCH_NOTE_KEY)
    group = measures.measure_groups(pack).get("police_uk")
    if group is None:
        return None
    measure = next(iter(group.options))
    months, _ = measure_months(pack, measure)
    if not months:
        return None
    start, end = months[max(0, len(months) - UPLOAD_PERIOD_MONTHS)], months[-1]
    # Widgets keep their browser-side value across reruns, so the new values are written
    # to their session state (the period also becomes the slider's default).
    st.session_state.update({"measure_group": "police_uk", "measure_type:police_uk": measure,
                             "period_type": "custom", "period": (start, end),
                             PERIOD_DEFAULT_KEY: (start, end), PERIOD_SET_KEY: True,
                             SWITCHED_KEY: key})
    span = pipeline.period_label(start, end)
    note = (f"Showing your police.uk upload: the measure is now '{group.label}: "
            f"{group.options[measure]}' and the period {span}, the latest "
            f"{min(len(months), UPLOAD_PERIOD_MONTHS)} of its {len(months)} months. "
            "Change either in the sidebar.")
    st.session_state[SWITCH_NOTE_KEY] = note
    return note


def _switch_to_mps(pack: pipeline.Pack, upload_set: uploads.UploadSet) -> str | None:
    """On a new MPS ward upload (it replaces the recorded crime), show its latest months."""
    key = "mps_" + _police_key(upload_set.mps)
    if st.session_state.get(SWITCHED_KEY) == key:
        return st.session_state.get(SWITCH_NOTE_KEY)
    months, _ = measure_months(pack, "crime:all")
    if not months:
        return None
    start, end = months[max(0, len(months) - UPLOAD_PERIOD_MONTHS)], months[-1]
    st.session_state.update({"period_type": "custom", "period": (start, end),
                             PERIOD_DEFAULT_KEY: (start, end), PERIOD_SET_KEY: True,
                             SWITCHED_KEY: key})
    note = (f"Showing your MPS ward file: the period is now {pipeline.period_label(start, end)}"
            f", the latest {min(len(months), UPLOAD_PERIOD_MONTHS)} of its {len(months)} "
            "months. Change it in the sidebar.")
    st.session_state[SWITCH_NOTE_KEY] = note
    return note
