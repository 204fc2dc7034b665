"""LSOA codes to the areas of any layer, with each code's census vintage named.

A referral sheet may locate a record by LSOA code. :func:`lsoa_lookup` says,
for the codes a file uses, which area of the layer each lies in: by the pack's
own best-fit lookup when one applies to the layer, otherwise by the point on
the LSOA's surface (:func:`boundaries.lsoapoints.lsoa_points`, every 2011 and
2021 LSOA of England and Wales) located in the layer, so LSOA codes can be placed
on boundaries the user uploads too. :func:`lsoa_report` names the rows whose
code is a 2011 code replaced in 2021, or no LSOA code at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from boundaries.lsoapoints import lsoa_points
from hotspots._validate import Report, rows_text
from hotspots.areas.locate import build_locator, locate_points, project_xy

__all__ = ["VINTAGE_UNKNOWN", "lsoa_lookup", "lsoa_report"]

#: ``vintage`` of a code that is no 2011 or 2021 LSOA of England and Wales.
VINTAGE_UNKNOWN = "unknown"


def _clean(codes: pd.Series) -> pd.Series:
    return codes.astype("string").str.strip().str.upper().str.replace(" ", "", regex=False)


def lsoa_lookup(codes: pd.Series, areas: pd.DataFrame, *,
                pack_lookup: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return where each LSOA code lies in ``areas``, and its vintage.

    Parameters
    ----------
    codes
        The LSOA codes a file uses (blanks ignored).
    areas
        The area layer (``area_code``, ``geometry``; any CRS).
    pack_lookup
        ``lsoa_code``, ``area_code`` best fit of the pack's LSOAs to these
        areas, used first when given.

    Returns
    -------
    pandas.DataFrame
        One row per distinct code: ``lsoa_code``, ``area_code`` (``<NA>`` when
        the LSOA lies in no area, or the code is unknown), ``vintage``
        (``"2011"``, ``"2021"``, ``"2011+2021"`` or :data:`VINTAGE_UNKNOWN`) and
        ``method`` (``"pack lookup"`` or ``"LSOA point"``).
    """
    wanted = pd.Index(_clean(codes).dropna().unique())
    wanted = wanted[wanted != ""]
    pts = lsoa_points().set_index("lsoa_code")
    out = pd.DataFrame({"lsoa_code": wanted.astype(str)})
    out["vintage"] = pts["vintage"].reindex(wanted).fillna(VINTAGE_UNKNOWN).to_numpy()
    out["area_code"] = pd.array([pd.NA] * len(out), dtype="string")
    out["method"] = ""
    if pack_lookup is not None and len(pack_lookup):
        by_pack = pack_lookup.drop_duplicates("lsoa_code").set_index("lsoa_code")["area_code"]
        hit = out["lsoa_code"].isin(by_pack.index)
        out.loc[hit, "area_code"] = by_pack.reindex(out.loc[hit, "lsoa_code"]).to_numpy()
        out.loc[hit, "method"] = "pack lookup"
    todo = out["area_code"].isna() & (out["vintage"] != VINTAGE_UNKNOWN)
    if todo.any() and len(areas):
        xy = pts.loc[out.loc[todo, "lsoa_code"], ["easting", "northing"]].to_numpy(dtype=float)
        px, py = project_xy(xy[:, 0], xy[:, 1], "EPSG:27700", areas.crs)
        codes_arr = areas["area_code"].astype(str).to_numpy()
        loc = build_locator(np.asarray(areas.geometry.array, dtype=object), codes_arr)
        pos = locate_points(loc, px, py)
        found = np.where(pos >= 0, codes_arr[np.maximum(pos, 0)], None)
        out.loc[todo, "area_code"] = pd.array(found, dtype="string")
        out.loc[todo, "method"] = "LSOA point"
    return out


def lsoa_report(records: pd.DataFrame, lookup: pd.DataFrame, name: str, *,
                column: str | None = None) -> Report:
    """Name the rows whose LSOA code is a 2011 code replaced in 2021, or unknown.

    Parameters
    ----------
    records
        Records with ``lsoa_code`` and ``source_row``.
    lookup
        :func:`lsoa_lookup` of their codes.
    name
        The file, for messages.
    column
        The file's header of the LSOA column.

    Returns
    -------
    Report
    """
    report = Report()
    if "lsoa_code" not in records or not len(lookup):
        return report
    code = _clean(records["lsoa_code"])
    vintage = code.map(lookup.set_index("lsoa_code")["vintage"])
    old = records.loc[(vintage == "2011").fillna(False).to_numpy()]
    if len(old):
        example = code[old.index[0]]
        report.add("warning", name,
                   f"{len(old):,} row(s) give a 2011 LSOA code that 2021's census replaced "
                   f"(e.g. {example}; {rows_text(old['source_row'], limit=5)}): placed by "
                   "the 2011 LSOA's point", "Check the codes' vintage; 2021 codes are safer "
                   "for recent data.", column=column, count=len(old))
    new = (vintage == "2021").fillna(False)  # codes 2021 created (not 2011 codes too)
    if len(old) and new.any():
        report.add("warning", name, "the file mixes 2011 and 2021 LSOA codes",
                   "Use one vintage if you can.", column=column)
    unknown = records.loc[(vintage == VINTAGE_UNKNOWN).fillna(False).to_numpy()]
    if len(unknown):
        example = code[unknown.index[0]]
        report.add("error", name,
                   f"{len(unknown):,} row(s) give a code that is no 2011 or 2021 LSOA of "
                   f"England and Wales (e.g. {example!r}; "
                   f"{rows_text(unknown['source_row'], limit=5)}): rejected",
                   "Correct the codes (E01 or W01 and six digits).", column=column,
                   count=len(unknown))
    return report
