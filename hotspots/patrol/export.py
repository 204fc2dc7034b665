"""What a patrol analysis hands out: its method in plain words and the frames to write.

:func:`method_sections` writes the method card of a :class:`PatrolAnalysis` in
short sections with headings, every claim read from the result (what the page's
expander, the CLI's ``method.txt`` via :func:`method_text` and the board pack
print);
:func:`patrol_for_export` gives the patrol list, the grid layer, the backtest
tables, emerging hot spots and the reconciliation, ready to write.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from hotspots.patrol import grid as gridmod
from hotspots.patrol import harm
from hotspots.patrol.backtest import result_words
from hotspots.patrol.params import MEASURE_NOUNS, permutation_note
from hotspots.patrol.result import PatrolAnalysis
from hotspots.privacy import safe_for_spreadsheet

__all__ = ["backtest_finding", "method_sections", "method_text", "patrol_for_export"]


def _counted(pa: PatrolAnalysis) -> str:
    p = pa.params
    months = list(pa.monthly.columns)
    kind = (f"{pa.measure_label}: " + (f"the crime types {', '.join(p.crime_types)}"
                                       if p.crime_types else "every police.uk crime type")
            if p.measure == "crime" else f"{pa.measure_label}")
    span = (f"{months[0]} to {months[-1]}" if months[0] != months[-1] else months[0])
    where = pa.source if span in pa.source else f"{pa.source}, {span}"
    text = f"{kind}. Points: {where}; the patrol list ranks the cells on {pa.period_label}. "
    if p.measure == "crime":
        text += ("police.uk publishes anti-social behaviour beside crime; it is not recorded "
                 "crime and is never counted here (it is its own measure). ")
    if p.harm is not None:
        text += ("Cells are ranked by harm: each crime times the weight of its type (see "
                 "Caveats); the backtest still counts crimes captured. ")
    return text + f"Where every row went: {pa.reconciliation_text}."


def _grid_words(pa: PatrolAnalysis) -> str:
    spec = pa.spec
    km2 = pa.grid["cell_area_m2"].sum() / 1e6
    edge = ("a point on a shared edge goes to the cell east or north of it" if spec.shape
            == "square" else "a point equally near two centres goes to the lower cell id")
    return (f"{len(pa.grid):,} {spec.shape} cells of {spec.size:g} m over "
            f"{', '.join(pa.boroughs)} ({km2:,.2f} km\u00b2), clipped to the study area. Cell "
            f"size: {spec.rule}. Each located point counts in exactly one cell ({edge}).")


def _gi_words(pa: PatrolAnalysis) -> str:
    """Gi* as it was run and what it found, from the result itself."""
    p, gp, n = pa.params, pa.gi_params, len(pa.grid)
    if not gp.get("tested"):
        return f"Gi* was not computed: {gp.get('reason', '')}."
    band = float((gp.get("weights") or {}).get("threshold", p.band or 1.5 * pa.spec.size))
    used = p.gi_inference
    n_normal, n_perm = int(pa.grid["gi_hot_normal"].sum()), int(pa.grid["gi_hot_perm"].sum())
    mark = {"normal": " (used for the hot cells shown)" if used == "normal" else "",
            "permutation": " (used for the hot cells shown)" if used == "permutation" else ""}
    islands = int((gp.get("weights") or {}).get("n_islands", 0))
    return (
        f"Getis-Ord Gi* on the period's {'harm' if p.harm else MEASURE_NOUNS[p.measure]} per "
        f"cell, distance band {band:g} m (the touching cells), two-sided p-values with "
        f"Benjamini-Hochberg FDR over the {n:,} cells, found two ways: from the normal "
        "approximation (as ArcGIS's Hot Spot Analysis and sfhotspot) and from "
        f"{p.permutations:,} conditional permutations (seed {p.seed}). Hot cells (q \u2264 "
        f"{p.alpha:g}, z > 0): {n_normal} of {n:,} cells by the normal approximation"
        f"{mark['normal']}; {n_perm} of {n:,} cells by {p.permutations:,} permutations"
        f"{mark['permutation']}. "
        + permutation_note(n, p.permutations, p.alpha, found=n_perm)
        + (f" {islands} cell{'s' if islands != 1 else ''} had no neighbour in the band and "
           f"{'were' if islands != 1 else 'was'} linked to the nearest cell, so every cell is "
           "tested (an area left with no neighbour would get no Gi* at all, not the 0 GeoDa "
           "prints)." if islands else ""))


def _selection_words(pa: PatrolAnalysis) -> str:
    p = pa.params
    share = (f"the best cells until they cover {100 * p.area_share:g}% of the study area (the "
             "last cell may take it slightly past)" if p.area_share is not None
             else f"the {p.top_n} best cells")
    return (f"Each method scores every cell on the period: 'counts' by its {pa.noun}, 'kde' "
            f"by a quartic kernel density (bandwidth {pa.kde.rule}) of the cell counts at the "
            "cell centres, 'gi_star' and 'gi_star_perm' by Gi* z among the significant hot "
            "cells only (normal-approximation and permutation p). The patrol area is "
            f"{share}, ranked by score, ties by cell id, never a cell scoring 0 or less: one "
            "rule for the list and the backtest, so the Gi* methods can patrol less than the "
            f"target or nothing. The list uses {pa.method_reason}; it has {len(pa.patrol)} "
            "cells.")


def backtest_finding(pa: PatrolAnalysis) -> str:
    """Say in one sentence what the list's method would have achieved in the backtest.

    Parameters
    ----------
    pa
        A patrol analysis.

    Returns
    -------
    str
        From the backtest summary row of ``pa.method`` (empty without a backtest).
    """
    if pa.backtest is None:
        return ""
    r = pa.backtest.summary.loc[pa.method]
    if not int(r["months_pai"]):
        return (f"Finding: {result_words(pa.method, r)}; choose another method or a larger "
                "cell size for the list.")
    return (f"Finding: '{pa.method}' would have captured {100 * r['mean_hit_rate']:.1f}% of the "
            f"next month's {pa.noun} on average, patrolling {r['mean_area_pct']:.1f}% of the "
            f"area (median PAI {r['median_pai']:.2f} over {int(r['months_pai'])} held-out "
            "months; 1 = chance).")


def _caveats(pa: PatrolAnalysis) -> str:
    p = pa.params
    parts = [gridmod.METHOD_NOTE,
             "The kernel density has no edge correction: cells near the study area's edge "
             "see only the points inside it.",
             "The normal approximation treats the cell counts as roughly normal; street "
             "counts are skewed (many empty cells, a few busy map points), so its p-values "
             "are approximate and can be smaller than the permutation test's, which holds each "
             "cell's own count fixed and asks whether its neighbours are busier than chance "
             "(a lone busy cell among quiet ones is not significant there)."]
    if p.harm is not None:
        parts.append(harm.HARM_NOTE)
    if pa.emerging is not None:
        parts.append("Emerging hot spots: Gi* per month (FDR within each month, q \u2264 0.10) "
                     "and a Mann-Kendall trend of each cell's z-scores, classified by ESRI's "
                     "rules.")
    parts.extend(pa.notes[1:])
    return " ".join(parts)


def method_sections(pa: PatrolAnalysis) -> tuple[tuple[str, str], ...]:
    """Write the patrol method as short sections, each (heading, text), from the result.

    Parameters
    ----------
    pa
        From :func:`hotspots.patrol.analysis.analyse_patrol`.

    Returns
    -------
    tuple
        ``("What was counted", ...)``, ``("The grid", ...)``, ``("Gi* hot cells",
        ...)``, ``("The selection rule", ...)``, ``("The backtest and its
        finding", ...)``, ``("Caveats", ...)``: every number and claim in them
        is read from ``pa`` (hot cells found, PAI, the settings used).
    """
    backtest = (pa.backtest.method_text + " " + backtest_finding(pa) if pa.backtest is not None
                else next((n for n in pa.notes if n.startswith("No backtest")),
                          "No backtest: too few months."))
    return (("What was counted", _counted(pa)), ("The grid", _grid_words(pa)),
            ("Gi* hot cells", _gi_words(pa)), ("The selection rule", _selection_words(pa)),
            ("The backtest and its finding", backtest), ("Caveats", _caveats(pa)))


def method_text(pa: PatrolAnalysis) -> str:
    """Write the method card as plain text: each section's heading on its own line, then its text.

    Parameters
    ----------
    pa
        From :func:`hotspots.patrol.analysis.analyse_patrol` (which stores this
        text as ``pa.method_text``; the CLI writes it to ``method.txt``).

    Returns
    -------
    str
        :func:`method_sections`, separated by blank lines.
    """
    return "\n\n".join(f"{head}\n{text}" for head, text in method_sections(pa))


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

