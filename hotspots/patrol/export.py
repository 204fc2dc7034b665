"""What a patrol analysis hands out: its method in plain words and the frames to write.

:func:`method_text` writes the method card of a :class:`PatrolAnalysis` (what
the page's expander, the CLI's ``method.txt`` and the board pack print);
:func:`patrol_for_export` gives the patrol list, the grid layer, the backtest
tables, emerging hot spots and the reconciliation, ready to write.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as gridmod
from hotspots.patrol.params import permutation_note
from hotspots.patrol.result import PatrolAnalysis
from hotspots.privacy import safe_for_spreadsheet

__all__ = ["method_text", "patrol_for_export"]


def method_text(pa: PatrolAnalysis) -> str:
    """Write the method card of a patrol analysis in plain words (one paragraph).

    Parameters
    ----------
    pa
        From :func:`hotspots.patrol.analysis.analyse_patrol` (which stores this
        text as ``pa.method_text``).

    Returns
    -------
    str
        Study area, grid, reconciliation, KDE, Gi*, selection rule, backtest,
        the method of the list and the notes.
    """
    p, spec = pa.params, pa.spec
    months = list(pa.monthly.columns)
    n = len(pa.grid)
    share = (f"the best cells until they cover {100 * p.area_share:g}% of the study area"
             if p.area_share is not None else f"the {p.top_n} best cells")
    parts = [
        f"Study area: {', '.join(pa.boroughs)} ({pa.grid['cell_area_m2'].sum() / 1e6:,.2f} "
        f"km\u00b2). Points: {pa.source} (months {months[0]} to {months[-1]}); patrol-list "
        f"period {pa.period_label}."
        + f" Measure: {pa.measure_label}."
        + (f" Crime types: {', '.join(p.crime_types)}." if p.crime_types else
           " All crime types." if p.measure == "crime" else ""),
        f"Grid: {n:,} {spec.shape} cells of {spec.size:g} m ({spec.rule}), clipped to the "
        "study area; a point on a shared edge goes to the cell east/north of it (squares) or "
        "to the lowest cell id (hexagons).",
        f"Reconciliation: {pa.reconciliation_text}.",
        gridmod.METHOD_NOTE,
        f"Kernel density: quartic kernel, bandwidth {pa.kde.rule}; per km\u00b2 at cell "
        "centres, no edge correction. The 'kde' method ranks cells by the same kernel applied "
        "to the period's cell counts at cell centres (as the backtest does).",
    ]
    gp = pa.gi_params
    if gp.get("tested"):
        band = gp.get("weights", {}).get("threshold", (p.band or 1.5 * spec.size))
        parts.append(
            f"Gi*: Getis-Ord Gi* on the period's {'harm' if p.harm else 'counts'} per cell, "
            f"distance band {float(band):g} m (the touching cells), {p.permutations:,} "
            f"conditional permutations, seed {p.seed}, two-sided pseudo p-values, "
            f"Benjamini-Hochberg FDR; hot cells have q \u2264 {p.alpha:g} and z > 0 "
            f"({int(pa.grid['gi_hot'].sum())} of {n:,}). "
            + permutation_note(n, p.permutations, p.alpha)
            + " The 'gi_star' method picks significant hot cells only, so it may patrol "
            "less than the target area.")
    else:
        parts.append("Gi* was not computed: " + str(gp.get("reason", "")) + ".")
    parts.append(f"Selection: {share}, ranked by score, ties by cell id, never a cell "
                 "scoring 0 or less (one rule for the list and the backtest).")
    if pa.backtest is not None:
        parts.append(pa.backtest.method_text)
    parts.append(f"Patrol list method: {pa.method_reason}.")
    if p.harm is not None:
        parts.append(patrol.HARM_NOTE + " Harm ranks the cells; the backtest still counts "
                     "crimes captured.")
    if pa.emerging is not None:
        parts.append("Emerging hot spots: Gi* per month (FDR within each month, q \u2264 0.10) "
                     "and a Mann-Kendall trend of each cell's z-scores, classified by ESRI's "
                     "rules (hotspots/emerging.py).")
    parts.extend(n_ for n_ in pa.notes[1:])
    return " ".join(parts)


# --------------------------------------------------------------------------- exports


def _geo_ready(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    for c in out.columns:
        if c != "geometry" and (out[c].dtype == object or pd.api.types.is_bool_dtype(out[c])):
            out[c] = out[c].astype("string") if out[c].dtype == object else out[c].astype(int)
    return out


def patrol_for_export(pa: PatrolAnalysis) -> dict[str, pd.DataFrame]:
    """Frames to write: the patrol list, the grid layer, backtest tables, emerging, reconciliation.

    Parameters
    ----------
    pa
        From :func:`hotspots.patrol.analysis.analyse_patrol`.

    Returns
    -------
    dict
        ``patrol_list`` (spreadsheet-safe text), ``grid`` (GeoDataFrame,
        EPSG:27700, for a GeoPackage), ``backtest_per_month``,
        ``backtest_summary``, ``emerging`` (when run), ``reconciliation`` (one
        row) and ``unassigned_rows`` (every point not placed, with the reason).
        Street-level crime is public police.uk data: no suppression applies
        (referrals are never placed on the grid).
    """
    keep = [c for c in pa.grid.columns if c not in ("full",)]
    out: dict[str, pd.DataFrame] = {
        "patrol_list": safe_for_spreadsheet(pa.patrol.assign(
            period=pa.period_label, method=pa.method)),
        "grid": _geo_ready(pa.grid[keep]),
    }
    if pa.backtest is not None:
        out["backtest_per_month"] = pa.backtest.per_month.copy()
        out["backtest_summary"] = pa.backtest.summary.reset_index()
    if pa.emerging is not None:
        out["emerging"] = safe_for_spreadsheet(pa.emerging.reset_index())
    r = pa.reconciliation
    out["reconciliation"] = pd.DataFrame([{**r.to_row(), "note": pa.reconciliation_text}])
    out["unassigned_rows"] = safe_for_spreadsheet(r.details)
    return out

