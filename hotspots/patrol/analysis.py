"""Patrol hotspots at street scale: one call from street-level points to a patrol list.

:func:`analyse_patrol` composes the grid (:mod:`hotspots.patrol.grid`), the
kernel density (:mod:`hotspots.patrol.kde`), Gi* on cells, the method scorers
and the patrol list (:mod:`hotspots.patrol.cells`), the rolling backtest
(:mod:`hotspots.patrol.backtest`) and, optionally, emerging hot spots
(:mod:`hotspots.stats.emerging`) for one
:class:`~hotspots.patrol.params.PatrolParams`. It is a pure function of
(points, areas, boroughs, params), so the page can cache it and the CLI
(``python -m hotspots patrol``) gives the same numbers. The result is a
:class:`~hotspots.patrol.result.PatrolAnalysis`; its method card and export
frames come from :mod:`hotspots.patrol.export`.

Police.uk street-level crime only: referrals are never placed on the grid
(they are shown by area only, never as points, cells or surfaces).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots.io import ASB_CATEGORY
from hotspots.patrol import backtest as bt
from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as gridmod
from hotspots.patrol.cellsize import AUTO_MIN_PER_CELL, auto_cell_size
from hotspots.patrol.export import method_text
from hotspots.patrol.harm import harm_weights_for
from hotspots.patrol.kde import KDEResult, kde_on_grid
from hotspots.patrol.params import DEFAULT_LIST_MONTHS, MEASURE_NOUNS, METHODS, PatrolParams
from hotspots.patrol.result import PatrolAnalysis
from hotspots.periods import month_range, shift_month
from hotspots.stats.emerging import emerging_hotspots
from hotspots.stats.permutation import keep_draws

__all__ = ["MAX_CELLS", "MAX_PATROL_CELLS", "MIN_HELD_OUT_MONTHS", "analyse_patrol",
           "held_out_months", "patrol_warnings"]


# --------------------------------------------------------------------------- steps


def _study_area(areas: gpd.GeoDataFrame, boroughs: Sequence[str]) -> gpd.GeoDataFrame:
    if isinstance(boroughs, str):
        boroughs = [boroughs]
    if "borough_name" not in areas.columns:
        raise ColumnMappingError("The area layer has no 'borough_name' column; read it with "
                                 "boroughs.load.read_boundaries (parent_name_col=).")
    if not boroughs:
        raise EmptyInputError("No borough chosen for the patrol study area: name at least one "
                              "(e.g. --borough 'City of London').")
    known = sorted(set(areas["borough_name"].dropna().astype(str)))
    unknown = [b for b in boroughs if b not in known]
    if unknown:
        raise InputDataError(f"Borough(s) {unknown} are not in the area layer. Known boroughs: "
                             f"{known[:12]}{' ...' if len(known) > 12 else ''}.")
    study = areas[areas["borough_name"].isin(list(boroughs))]
    if study.crs is not None and not study.crs.is_geographic:
        study = study.to_crs(gridmod.ANALYSIS_CRS)
    return study


def _check_points(points: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(points, pd.DataFrame):
        raise TypeError("points must be a DataFrame (a pack's points: "
                        "hotspots.pipeline.load_pack().points).")
    missing = [c for c in ("month", "category", "x", "y") if c not in points.columns]
    if missing:
        raise ColumnMappingError(f"The points have no column(s) {missing} (columns: "
                                 f"{list(points.columns)}). Give police.uk records "
                                 "(hotspots.pipeline.POINT_COLUMNS).")
    if len(points) == 0:
        raise EmptyInputError("There are no street-level points: load police.uk street CSVs.")
    months = points["month"].astype("string")
    bad = months.isna() | ~months.fillna("").str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        row = points["source_row"].iloc[i] if "source_row" in points else i
        raise InputDataError(f"{int(bad.sum()):,} points have no valid month (e.g. row {row}: "
                             f"{points['month'].iloc[i]!r}); months must be 'YYYY-MM'.")
    out = points.copy()
    out["month"] = months.astype(str)
    out["category"] = out["category"].astype("string").fillna("").astype(str)
    return out


def _rejected_rows(rejected: Mapping[str, int], source: str) -> pd.DataFrame | None:
    n = sum(rejected.values())
    if not n:
        return None
    reasons = [f"{k} (rejected when the data were read)" for k, v in rejected.items()
               for _ in range(v)]
    return pd.DataFrame({"source": source, "source_row": np.full(n, -1), "reason": reasons})


def _month_axis(points: pd.DataFrame) -> tuple[tuple[str, ...], list[str]]:
    present = set(points["month"])
    months = month_range(min(present), max(present))
    return months, [m for m in months if m not in present]


def _list_period(params: PatrolParams, months: Sequence[str]) -> tuple[str, ...]:
    first, last = months[0], months[-1]
    to = params.month_to or last
    frm = params.month_from or max(first, shift_month(to, -(DEFAULT_LIST_MONTHS - 1)))
    for name, v in (("month_from", frm), ("month_to", to)):
        if not first <= v <= last:
            raise InputDataError(f"{name}={v} is outside the points' months ({first} to "
                                 f"{last}). Choose months inside that range.")
    if frm > to:
        raise InputDataError(f"The patrol-list period starts ({frm}) after it ends ({to}).")
    return month_range(frm, to)


def _measure_records(assigned: pd.DataFrame, p: PatrolParams,
                     available: Sequence[str]) -> pd.DataFrame:
    """Keep the records the measure counts: crime (all types or some) without ASB, or ASB."""
    is_asb = (assigned["category"] == ASB_CATEGORY).to_numpy()
    if p.measure == "asb":
        if not is_asb.any():
            raise InputDataError("The points in the study area hold no anti-social behaviour "
                                 f"record (police.uk Crime type '{ASB_CATEGORY}'): choose the "
                                 "measure 'crime'.")
        return assigned[is_asb]
    crime = assigned[~is_asb]
    types = p.crime_types
    if not types:
        return crime
    kinds = [t for t in available if t != ASB_CATEGORY]
    unknown = [t for t in types if t not in kinds]
    if unknown:
        raise InputDataError(f"Crime type(s) {unknown} are not in the points. Crime types "
                             f"present: {kinds}.")
    return crime[crime["category"].isin(types)]


def _gi(values: pd.Series, grid: gpd.GeoDataFrame, p: PatrolParams) -> tuple[pd.DataFrame,
                                                                              dict[str, Any]]:
    cells = pd.Index(grid["cell_id"], name="cell_id")
    if len(values) < 2 or np.ptp(values.to_numpy()) == 0:
        frame = pd.DataFrame({c: np.nan for c in _GI_COLUMNS[:-1]}, index=cells)
        frame["gi_class"] = "Not tested (no variation)"
        return frame, {"statistic": "Gi*", "tested": False, "inference": p.gi_inference,
                       "reason": "every cell has the same value in the period"}
    res = patrol.gi_star_cells(values, grid, band=p.band, permutations=p.permutations,
                               seed=p.seed, alpha=p.alpha, inference=p.gi_inference)
    frame = res.frame[list(_GI_COLUMNS)].reindex(cells)
    return frame, {**dict(res.params), "tested": True}


_GI_COLUMNS = ("gi_z", "gi_p", "gi_q", "gi_p_normal", "gi_q_normal", "gi_p_perm", "gi_q_perm",
               "gi_class")


#: The most cells a study area may make (a borough of 150 m cells has a few thousand; the
#: kernel density and Gi* of a rural county's 230,000 cells ran out of memory).
MAX_CELLS = 100_000


def _check_size(study: gpd.GeoDataFrame, p: PatrolParams) -> None:
    """Refuse a study area that would make more than :data:`MAX_CELLS` cells, saying what to do."""
    size = float(gridmod.DEFAULT_CELL_SIZE if p.cell_size == "auto" else p.cell_size)
    area = float(study.geometry.area.sum())
    n = area / size**2
    if n > MAX_CELLS:
        least = int(math.ceil(math.sqrt(area / MAX_CELLS) / 10) * 10)
        names = ", ".join(sorted(set(study["borough_name"].astype(str))))
        raise InputDataError(
            f"The patrol study area ({names}: {area / 1e6:,.0f} km²) makes about {n:,.0f} "
            f"cells of {size:g} m, and the patrol analysis handles at most {MAX_CELLS:,}: "
            "patrol cells are for a town or a district, not a county or a force area. Choose "
            "fewer areas for the study area ('Study area' in the patrol settings; --borough on "
            f"the command line), or cells of at least {least} m.")


def _make_grid(study: gpd.GeoDataFrame, pts: pd.DataFrame, p: PatrolParams, n_months: int,
               types: Sequence[str]) -> tuple[gpd.GeoDataFrame, gridmod.GridSpec]:
    """Make the grid; ``cell_size="auto"`` is chosen from the measure's points (cellsize)."""
    _check_size(study, p)
    if p.cell_size != "auto":
        return gridmod.make_grid(study, cell_size=p.cell_size, shape=p.shape)
    g0, spec0 = gridmod.make_grid(study, cell_size=gridmod.DEFAULT_CELL_SIZE)
    placed0, _ = gridmod.points_to_cells(pts, g0, spec=spec0)
    n = len(_measure_records(placed0, p, types))
    size, rule = auto_cell_size(float(g0["cell_area_m2"].sum()), n / n_months * p.train_months,
                                window_months=p.train_months, area_share=p.area_share,
                                top_n=p.top_n, noun=MEASURE_NOUNS[p.measure])
    return gridmod.make_grid(study, cell_size=size, shape=p.shape, rule=rule)


def _density_note(n_records: int, n_months: int, g: gpd.GeoDataFrame, spec: gridmod.GridSpec,
                  p: PatrolParams) -> list[str]:
    """Warn when a chosen cell size leaves too few points per cell (naming the auto size)."""
    per_window = n_records / max(n_months, 1) * p.train_months
    area = float(g["cell_area_m2"].sum())
    per_cell = per_window / (area / spec.size**2)
    if p.cell_size == "auto" or per_cell >= AUTO_MIN_PER_CELL:
        return []
    noun = MEASURE_NOUNS[p.measure]
    size, _ = auto_cell_size(area, per_window, window_months=p.train_months,
                             area_share=p.area_share, top_n=p.top_n, noun=noun)
    return [f"{spec.size:g} m cells hold {per_cell:.1f} {noun} each in a {p.train_months}-month "
            f"training window on average (fewer than {AUTO_MIN_PER_CELL}): rankings are noisy "
            "and Gi* rarely reaches significance"
            + (f"; the automatic size would be {size:g} m." if size != spec.size else ".")]


#: Fewer held-out months than this and the backtest is too weak to choose the method: the
#: patrol list falls back to 'counts' and says so (one month's PAI is mostly noise).
MIN_HELD_OUT_MONTHS = 6


def held_out_months(res: bt.BacktestResult | None) -> int | None:
    """Return the number of held-out months of a backtest (``None`` when it does not say).

    Parameters
    ----------
    res
        A backtest result; its ``summary`` column ``months`` counts each method's
        held-out months.

    Returns
    -------
    int or None
        The most held-out months of any method, ``None`` without a backtest or
        without a ``months`` column.

    Examples
    --------
    >>> held_out_months(None) is None
    True
    """
    if res is None or "months" not in res.summary or res.summary.empty:
        return None
    return int(res.summary["months"].max())


#: More listed cells than a team can task: the list is flagged and 'Number of cells' offered.
MAX_PATROL_CELLS = 50


def patrol_warnings(pa: PatrolAnalysis) -> list[str]:
    """Return the warnings a reader of the patrol list must see (page, CLI, board pack).

    Parameters
    ----------
    pa
        The analysis.

    Returns
    -------
    list of str
        A weak-backtest warning when the method was chosen on fewer than
        :data:`MIN_HELD_OUT_MONTHS` held-out months (or the user chose it on
        such a backtest), and a list-size warning when the list has more than
        :data:`MAX_PATROL_CELLS` cells (an area share of a large study area).
    """
    out = []
    held = held_out_months(pa.backtest)
    if held is not None and held < MIN_HELD_OUT_MONTHS:
        out.append(
            f"The backtest rests on {held} held-out month{'' if held == 1 else 's'} (fewer "
            f"than {MIN_HELD_OUT_MONTHS}): its PAI cannot tell the methods apart, so it is weak "
            "evidence for any method"
            + (" and the list uses 'counts'." if pa.params.method is None else ".")
            + " Add months of data for a stronger backtest.")
    n = len(pa.patrol)
    if n > MAX_PATROL_CELLS:
        total = float(pa.grid["cell_area_m2"].sum()) if "cell_area_m2" in pa.grid else float(
            pa.grid.geometry.area.sum())
        km2 = total / 1e6
        rule = (f"{100 * pa.params.area_share:g}% of a "
                f"{f'{km2:,.0f}' if km2 >= 10 else f'{km2:.2f}'} km² study area"
                if pa.params.area_share is not None else f"the top {n:,} cells")
        every = ""
        if "count" in pa.grid and "cell_id" in pa.patrol:
            busy = set(pa.grid.loc[pa.grid["count"] > 0, "cell_id"])
            if busy and busy <= set(pa.patrol["cell_id"]):  # the share outran the crime
                every = (f" Every cell with any {pa.noun} in the list period "
                         f"({len(busy):,}) is on it, so the list does not pick out hot spots.")
        out.append(
            f"The patrol list has {n:,} cells ({rule}), more than a team can patrol (at most "
            f"about {MAX_PATROL_CELLS}).{every} Choose Patrol area: 'Number of cells' (e.g. 10 "
            "to 25; --top-n on the command line), or a smaller study area.")
    return out


def _choose_method(p: PatrolParams, res: bt.BacktestResult | None) -> tuple[str, str]:
    if p.method is not None:
        return p.method, f"'{p.method}', chosen by the user"
    if res is None:
        return "counts", "'counts' (no backtest was possible, so the simplest method is used)"
    med = res.summary["median_pai"].reindex(list(METHODS))
    if med.notna().sum() == 0:
        return "counts", "'counts' (no method had a defined PAI in the backtest)"
    best = str(med.idxmax())  # first of METHODS on a tie
    text = (f"'{best}', the best median PAI in the backtest ({med[best]:.2f}; "
            + ", ".join(f"{m} {med[m]:.2f}" for m in METHODS if m != best and pd.notna(med[m]))
            + ")")
    held_out = held_out_months(res)
    if held_out is not None and held_out < MIN_HELD_OUT_MONTHS:
        return "counts", (
            f"'counts': the backtest rests on {held_out} held-out month"
            f"{'' if held_out == 1 else 's'}, fewer than {MIN_HELD_OUT_MONTHS}, too few to "
            "choose between methods, so the list uses the simplest method (the rule below "
            f"{MIN_HELD_OUT_MONTHS} held-out months; a weak hint only: {text}; choose a "
            "method yourself, or add months of data for a stronger backtest)")
    naive = res.summary["median_pai"].get("naive", np.nan)
    if pd.notna(naive) and naive > med[best]:
        text += (f"; note: the naive baseline (last month's counts) did better "
                 f"({naive:.2f})")
    return best, text + _smaller_area_note(p, res.summary, best)


def _smaller_area_note(p: PatrolParams, summary: pd.DataFrame, best: str) -> str:
    """Say when the best PAI came from patrolling less than the target area (PAI rewards it)."""
    if p.area_share is None:
        return ""
    target = 100 * p.area_share
    r = summary.loc[best]
    if not r["mean_area_pct"] < 0.9 * target:
        return ""
    hits = summary["mean_hit_rate"].reindex(list(METHODS))
    more = str(hits.idxmax()) if hits.notna().any() else best
    text = (f"; note: '{best}' patrolled {r['mean_area_pct']:.1f}% of the area on average "
            f"against the {target:g}% target, and a smaller area alone raises the PAI")
    if more != best and hits[more] > r["mean_hit_rate"]:
        text += (f"; '{more}' captured more ({100 * hits[more]:.1f}% of the next month's "
                 f"{MEASURE_NOUNS[p.measure]} against {100 * r['mean_hit_rate']:.1f}%)")
    return text


def _timed(timings: dict[str, float], name: str, t0: float) -> float:
    t1 = time.perf_counter()
    timings[name] = round(t1 - t0, 4)
    return t1


def analyse_patrol(
    points: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    boroughs: Sequence[str],
    params: PatrolParams | None = None,
    *,
    rejected: Mapping[str, int] | None = None,
    source: str = "police.uk street-level crime",
) -> PatrolAnalysis:
    """Grid, density, Gi*, patrol list and backtest of street-level points for a study area.

    Parameters
    ----------
    points
        One row per police.uk record (:data:`hotspots.pipeline.pack.POINT_COLUMNS`:
        ``month``, ``category``, lon/lat ``x``/``y``, NaN without a location;
        ``location`` names streets in the list).
    areas
        Area layer with ``borough_name`` (e.g. a pack's wards), projected CRS.
    boroughs
        Boroughs forming the study area (a pack's ``meta.points_boroughs``).
    params
        Settings (default :class:`PatrolParams`).
    rejected
        Rows dropped before ``points`` (e.g. duplicate Crime IDs when the pack
        was built), by reason: counted as *rejected* so that the reconciliation
        starts from the rows read (a pack's ``meta.points_rejected``).
    source
        Where the points come from (printed with the results).

    Returns
    -------
    PatrolAnalysis

    Raises
    ------
    InputDataError
        Unknown boroughs or crime types, points without months, a list period
        outside the data, or no located point in the study area.
    ValueError
        Bad settings (from :class:`PatrolParams`).

    Notes
    -----
    Months: every month from the first to the last month of the points is a
    column of the cell x month table; a month inside that range with no
    record at all is filled with zeros and named in ``notes`` (the backtest
    needs consecutive months). The patrol list ranks cells by the chosen
    method on the list period, exactly as the backtest ranks them on its
    training months, and uses the same selection rule
    (:func:`hotspots.patrol.cells.select_cells`: never a cell scoring 0 or less).
    """
    p = params if params is not None else PatrolParams()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    pts = _check_points(points)
    study = _study_area(areas, boroughs)
    months, empty_months = _month_axis(pts)
    types = sorted(set(pts["category"]) - {""})
    g, spec = _make_grid(study, pts, p, len(months), types)
    reasons = dict(rejected or {})
    placed, rec = gridmod.points_to_cells(pts, g, spec=spec, source=source,
                                          rejected=_rejected_rows(reasons, source))
    if rec.assigned == 0:
        raise EmptyInputError(f"None of the {rec.rows_in:,} points lies in the study area "
                              f"({', '.join(boroughs)}): choose the boroughs the points cover.")
    t0 = _timed(timings, "grid_and_placement", t0)
    list_months = _list_period(p, months)
    chosen = _measure_records(placed, p, types)
    notes: list[str] = [spec.rule, *_density_note(len(chosen), len(months), g, spec, p)]
    if empty_months:
        notes.append(f"{len(empty_months)} month(s) inside the data's range have no record at "
                     f"all ({', '.join(empty_months[:6])}{' ...' if len(empty_months) > 6 else ''}"
                     "): counted as zero crimes. Check that no monthly file is missing.")
    table = p.harm_table
    if table is not None:
        chosen = chosen.assign(harm=harm_weights_for(chosen, table).to_numpy())
    monthly = gridmod.counts_by_cell(chosen, g, by="month", columns=list(months))
    harm_monthly = (gridmod.counts_by_cell(chosen, g, by="month", weights="harm",
                                           columns=list(months)) if table is not None else None)
    period = chosen[chosen["month"].isin(list_months)]
    values = (harm_monthly if harm_monthly is not None else monthly)[list(list_months)].sum(axis=1)
    t0 = _timed(timings, "counts", t0)
    kde = kde_on_grid(period, g, bandwidth=p.bandwidth, cell_size=spec.size,
                      weights="harm" if table is not None else None)
    t0 = _timed(timings, "kde", t0)
    # Gi* of the list period and of every training window: one grid, one seed, so the
    # conditional draws are made once and summed again for each window (the same counts)
    with keep_draws():
        gi, gi_params = _gi(values.astype(float), g, p)
        t0 = _timed(timings, "gi_star", t0)
        scorers = patrol.method_scorers(g, bandwidth=p.bandwidth, band=p.band,
                                        permutations=p.permutations, seed=p.seed,
                                        harm=harm_monthly, alpha=p.alpha)
        area = g.set_index("cell_id")["cell_area_m2"]
        list_wide = monthly[list(list_months)]
        scores = pd.DataFrame({m: scorers[m](list_wide) for m in METHODS})
        selections = {m: patrol.select_cells(scores[m], area, top_n=p.top_n,
                                             area_share=p.area_share) for m in METHODS}
        t0 = _timed(timings, "scores", t0)
        res = None
        if len(months) > p.train_months:
            res = bt.rolling_backtest(monthly, {**scorers, **bt.baseline_methods()}, area,
                                      train_months=p.train_months,
                                      area_share=p.area_share or 0.05, top_n=p.top_n)
        else:
            notes.append(f"No backtest: the points cover {len(months)} month(s); a backtest with "
                         f"{p.train_months} training month(s) needs at least {p.train_months + 1}.")
        t0 = _timed(timings, "backtest", t0)
    method, reason = _choose_method(p, res)
    emerging = None
    if p.emerging:
        sw = patrol.grid_weights(g, band=p.band)
        emerging = _emerging(harm_monthly if harm_monthly is not None else monthly, sw, p)
        t0 = _timed(timings, "emerging", t0)
    plist = patrol.patrol_list(g, period, selections[method])
    plist.insert(plist.columns.get_loc("count") + 1, "score",
                 scores[method].reindex(plist["cell_id"]).to_numpy())
    if table is not None:
        plist.insert(plist.columns.get_loc("count") + 1, "harm",
                     values.reindex(plist["cell_id"]).to_numpy())
    grid_out = _grid_table(g, values if table is not None else None,
                           list_wide.sum(axis=1), kde, gi, scores, selections[method],
                           emerging, p.alpha)
    pa = PatrolAnalysis(
        params=p, grid=grid_out, spec=spec, monthly=monthly, list_months=tuple(list_months),
        patrol=plist, method=method, method_reason=reason, selections=selections,
        backtest=res, emerging=emerging, reconciliation=rec, kde=kde, gi_params=gi_params,
        method_text="", notes=tuple(notes), source=source, boroughs=tuple(boroughs),
        n_selected_records=len(chosen), n_period_records=len(period),
        rejected_reasons=reasons, timings=timings,
    )
    object.__setattr__(pa, "method_text", method_text(pa))
    timings["total"] = round(sum(v for k, v in timings.items() if k != "total"), 4)
    return pa


def _emerging(monthly: pd.DataFrame, sw: Any, p: PatrolParams) -> pd.DataFrame:
    out = emerging_hotspots(monthly, sw, permutations=p.permutations, seed=p.seed)
    out.index.name = "cell_id"
    return out


def _grid_table(g: gpd.GeoDataFrame, harm: pd.Series | None, counts: pd.Series,
                kde: KDEResult, gi: pd.DataFrame, scores: pd.DataFrame, selected: pd.Index,
                emerging: pd.DataFrame | None, alpha: float) -> gpd.GeoDataFrame:
    out = g.copy()
    ids = out["cell_id"]
    out["count"] = counts.reindex(ids).to_numpy().astype("int64")
    if harm is not None:
        out["harm"] = harm.reindex(ids).to_numpy(dtype=float)
    out["kde"] = kde.density.reindex(ids).to_numpy()
    for c in _GI_COLUMNS:
        out[c] = gi[c].reindex(ids).to_numpy()
    for suffix in ("", "_normal", "_perm"):
        out[f"gi_hot{suffix}"] = ((out[f"gi_q{suffix}"] <= alpha)
                                  & (out["gi_z"] > 0)).fillna(False).astype(bool)
    for m in scores.columns:
        out[f"score_{m}"] = scores[m].reindex(ids).to_numpy()
    rank = pd.Series(np.arange(1, len(selected) + 1, dtype=float), index=selected)
    out["selected_rank"] = rank.reindex(ids).to_numpy()
    if emerging is not None:
        out["trend_class"] = emerging["trend_class"].reindex(ids).to_numpy()
    out.attrs = dict(g.attrs)
    return out

