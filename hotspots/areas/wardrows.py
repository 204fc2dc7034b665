"""Ward-level crime files (the MPS ward x offence x month table) placed by ward code.

The MPS file has one row per ward and offence with a column per month; the
reader (:func:`hotspots.io.read_met_ward_crime`) reshapes it long. The
reconciliation counts **file rows** (what an analyst sees in the file), not
ward x offence x month cells: a row is *assigned* when its ward code is in the
layer, *outside* when it is not (another boundary vintage), *rejected* when the
reader rejected it; every row not assigned is named with its file and row.
The areas the file covers are the wards with at least one kept row, zero
counts included, so that wards missing from the file show "no data", never 0.
"""

from __future__ import annotations

import pandas as pd

from hotspots._validate import ReadResult
from hotspots.areas.join import codes_to_areas
from hotspots.areas.reconciliation import Reconciliation

__all__ = ["place_ward_rows"]


def place_ward_rows(res: ReadResult, areas: pd.DataFrame, *, source: str,
                    ) -> tuple[pd.DataFrame, Reconciliation, frozenset[str]]:
    """Place an MPS ward file's rows by ward code; reconcile file rows.

    Parameters
    ----------
    res
        :func:`hotspots.io.read_met_ward_crime`'s result (``rows`` set).
    areas
        The area layer (``area_code``).
    source
        Label of the reconciliation.

    Returns
    -------
    assigned : DataFrame
        The long rows (ward x offence x month) of the assigned file rows, with
        ``area_code``.
    reconciliation : Reconciliation
        ``rows_in`` = the file's data rows.
    covered : frozenset of str
        Area codes with at least one assigned file row.
    """
    rows = res.rows if res.rows is not None else res.frame.drop_duplicates("source_row")
    placed, rec = codes_to_areas(rows, areas, code_col="area_code", source=source,
                                 rejected=res.rejected)
    keep = res.frame["source_row"].isin(placed["source_row"])
    assigned = res.frame.loc[keep].reset_index(drop=True)
    assigned["area_code"] = assigned["area_code"].astype(str).str.strip().str.upper()
    return assigned, rec, frozenset(placed["area_code"].astype(str))
