"""Where uploaded rows went: the uploads' reconciliation rows, per-row reasons, refused files.

:func:`upload_reconciliation` and :func:`upload_details` read them from a pack
built by :func:`hotspots.pipeline.uploads.pack_with_uploads`; :func:`with_refused`
adds a row for every file refused as a whole (rows in = rejected), so every
uploaded row is accounted for even when its file could not be used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from hotspots import privacy
from hotspots.areas import reconciliation as recon
from hotspots.io.uploads import refused_rows
from hotspots.pipeline.meta import UploadsInfo
from hotspots.pipeline.pack import Pack

__all__ = ["upload_details", "upload_reconciliation", "with_refused"]

#: Reconciliation label of an upload, as :func:`pack_with_uploads` names it.
_SOURCE_LABELS = {"police_uk": "Recorded crime: police.uk upload ({})",
                  "mps": "Recorded crime: MPS ward file upload ({})",
                  "referrals": "Referrals (upload: {})"}


def with_refused(pack: Pack, refused: Sequence[tuple[str, str, str, bytes]]) -> Pack:
    """Return ``pack`` with a reconciliation row for every refused file: its rows in, all rejected.

    Parameters
    ----------
    pack
        The pack built from the uploads that could be used.
    refused
        ``(part, file name, why, bytes)`` of each police.uk or referral file
        refused as a whole. (A boundary file has areas, not records: its
        refusal is reported, not reconciled.)

    Returns
    -------
    Pack
        With one reconciliation row per refused file (``rows_in == rejected``,
        the reason in ``note``), a detail row per data row, and the sources
        recorded as uploads (:func:`upload_reconciliation`, :func:`upload_details`).
    """
    recs = []
    for part, name, message, data in refused:
        text = " ".join(message.split())
        first = text if len(text) <= 240 else text[:239] + "…"
        rows = refused_rows(part, name, data)
        details = recon.unassigned_rows(rows, recon.STATUS_REJECTED, f"file refused: {first}")
        recs.append((recon.Reconciliation(_SOURCE_LABELS[part].format(name), len(rows), 0,
                                          0, 0, len(rows), details), f"file refused: {first}"))
    if not recs:
        return pack
    info = pack.meta.uploads or UploadsInfo(base_synthetic=bool(pack.meta.synthetic_referrals))
    meta = pack.meta.replace(uploads=dataclasses.replace(
        info, sources=(*info.sources, *(r.source for r, _ in recs)),
        detail_sources=tuple(sorted({*info.detail_sources, *(
            str(s) for r, _ in recs for s in r.details["source"])}))))
    rows = pd.concat([recon.reconciliation_frame([r]).assign(note=n) for r, n in recs],
                     ignore_index=True)
    return dataclasses.replace(
        pack, meta=meta, reconciliations=pd.concat([pack.reconciliations, rows],
                                                   ignore_index=True),
        unassigned=pd.concat([pack.unassigned, *(r.details for r, _ in recs)],
                             ignore_index=True))


def upload_reconciliation(pack: Pack, *, rematched: bool = False) -> pd.DataFrame:
    """Return the reconciliation rows of the uploads (rows read, assigned, ...).

    Parameters
    ----------
    pack
        A pack from :func:`pack_with_uploads`.
    rematched
        Also return the rows of the pack's own data re-matched to uploaded boundaries.

    Returns
    -------
    DataFrame
        One row per source, as
        :func:`~hotspots.areas.reconciliation.reconciliation_frame`, plus ``note``.
    """
    info = pack.meta.uploads or UploadsInfo()
    sources = list(info.sources) + (list(info.rematched or ()) if rematched else [])
    rec = pack.reconciliations
    return rec[rec["source"].isin(sources)].reset_index(drop=True)


def upload_details(pack: Pack) -> pd.DataFrame:
    """Return the per-row reasons of every uploaded row not placed, safe for a spreadsheet.

    Returns
    -------
    DataFrame
        ``source`` (file, or member of an uploaded zip), ``source_row``
        (spreadsheet row), ``status``, ``reason``; text that looks like a
        formula is neutralised (:func:`hotspots.privacy.safe_for_spreadsheet`).
    """
    sources = set(pack.meta.uploads.detail_sources if pack.meta.uploads else ())
    d = pack.unassigned
    d = d[d["source"].astype(str).isin(sources)] if len(d) else d
    cols = ["source", "source_row", "status", "reason"]
    return privacy.safe_for_spreadsheet(d.reindex(columns=cols).reset_index(drop=True))
