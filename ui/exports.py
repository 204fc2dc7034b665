"""The page's exports go to the audit log when a download button is clicked.

Each download button passes :func:`on_download` as its ``on_click`` with what
is exported; the line (who, when, what, selection, threshold) is appended to
the audit log of :mod:`hotspots.report.audit`. When the log cannot be written
the user is told (with a reference) and the server log has the details.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from hotspots import pipeline
from hotspots.report import audit
from ui import auth
from ui.errors import LOG, new_reference

__all__ = ["download_args", "on_download"]


def _data_label(pack: pipeline.Pack) -> str:
    if pack.meta.uploads is not None:
        return f"uploads on {pack.meta.title or 'the pack'}"
    return pack.meta.title or "pack"


def on_download(export: str, files: Sequence[str], data: str,
                selection: dict[str, Any] | None, suppress_below: int | None,
                extra: dict[str, Any] | None = None) -> None:
    """Append one page export to the audit log (a download button's ``on_click``)."""
    user = auth.current_user() or audit.local_user()
    try:
        audit.record(audit.audit_entry(user=user, via="page", export=export, files=files,
                                       data=data, selection=selection,
                                       suppress_below=suppress_below, **(extra or {})))
    except OSError as e:
        ref = new_reference()
        LOG.error("Audit log not written [%s]", ref, exc_info=e)
        st.warning(f"This download was not recorded in the export audit log (reference "
                   f"{ref}): tell whoever runs this server.")


def download_args(export: str, file_name: str, pack: pipeline.Pack,
                  selection: pipeline.Selection | None, *, sensitive: bool = True,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return ``on_click`` and ``args`` for ``st.download_button`` that record the export.

    Parameters
    ----------
    export
        What is exported, in words (``"board pack (PDF)"``).
    file_name
        The file handed over.
    pack
        The pack it came from.
    selection
        The page's selection (``None`` when the export has none, e.g. patrol cells).
    sensitive
        Whether suppression applies (referrals); ``False`` records no threshold.
    extra
        Anything else worth recording.
    """
    threshold = int(selection.suppress_below) if selection is not None and sensitive else None
    return {"on_click": on_download,
            "args": (export, [file_name], _data_label(pack),
                     audit.selection_fields(selection) if selection is not None else None,
                     threshold, extra)}
