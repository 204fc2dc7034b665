"""Patrol hotspots at street scale: one call from street-level points to a patrol list.

:func:`analyse_patrol` composes the grid (:mod:`hotspots.grid`), the kernel
density (:mod:`hotspots.kde`), Gi* on cells, the method scorers and the patrol
list (:mod:`hotspots.patrol`), the rolling backtest (:mod:`hotspots.backtest`)
and, optionally, emerging hot spots (:mod:`hotspots.emerging`) for one
:class:`PatrolParams`. It is a pure function of (points, areas, boroughs,
params), so the page can cache it and the CLI (``python -m hotspots patrol``)
gives the same numbers.

Police.uk street-level crime only: referrals are never placed on the grid
(they are shown by area only, never as points, cells or surfaces).
"""

from __future__ import annotations

import argparse
import html
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots.areas.join import Reconciliation
from hotspots.config import jsonable
from hotspots.patrol import backtest as bt
from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as gridmod
from hotspots.patrol.kde import KDEResult, kde_on_grid
from hotspots.periods import check_month, month_range, shift_month

__all__ = [
    "DEFAULT_PERMUTATIONS",
    "METHODS",
    "METHOD_LABELS",
    "PatrolAnalysis",
    "PatrolMap",
    "PatrolParams",
    "add_arguments",
    "analyse_patrol",
    "main",
    "pai_chart",
    "patrol_for_export",
    "patrol_map",
    "permutation_note",
    "rejected_from_meta",
]

#: Methods that can choose the patrol cells (keys of :func:`hotspots.patrol.method_scorers`).
METHODS: tuple[str, ...] = ("counts", "kde", "gi_star")

#: Plain-words names of the methods and the backtest's baseline.
METHOD_LABELS: Mapping[str, str] = {
    "counts": "Counts: most crimes in the period",
    "kde": "Kernel density (quartic) of the period's crimes",
    "gi_star": "Gi* hot spots: significant hot cells only",
    "naive": "Naive baseline: last month's counts",
}

#: Gi* permutations for grid cells: with ~160 cells (the City at 150 m) and FDR,
#: 999 permutations cannot make any cell significant (see :func:`permutation_note`).
DEFAULT_PERMUTATIONS = 9_999

#: Months in the default patrol-list period (the latest complete months of the data).
DEFAULT_LIST_MONTHS = 3

DEFAULT_SEED = 20261123

Shape = Literal["square", "hex"]


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class PatrolParams:
    """Settings of one patrol analysis (frozen and hashable: a cache key).

    Attributes
    ----------
    cell_size
        Metres (default 150, a street block) or ``"auto"`` (the study area's
        shorter side / 50, see :func:`hotspots.grid.make_grid`).
    shape
        ``"square"`` or ``"hex"`` cells (same area per cell).
    month_from, month_to
        Period of the patrol list (``"YYYY-MM"``); default the latest
        :data:`DEFAULT_LIST_MONTHS` months of the data.
    crime_types
        police.uk crime types to keep; empty = all.
    harm
        ``None`` (count crimes) or ``{crime_type: weight}`` (stored as sorted
        pairs); see :data:`hotspots.patrol.HARM_NOTE`.
    area_share
        Share of the study area to patrol (default 0.05). Give ``None`` with
        ``top_n``.
    top_n
        Number of cells instead of an area share.
    method
        ``"counts"``, ``"kde"``, ``"gi_star"`` or ``None`` (default: the method
        with the best median PAI in the backtest).
    bandwidth
        KDE radius in metres; ``None`` = MASS bandwidth.nrd rule of thumb.
    band
        Gi* distance band in metres; ``None`` = 1.5 cell sizes.
    permutations
        Gi* permutations (default 9,999: with ~160 cells and FDR, 999 cannot
        reach significance; :func:`permutation_note` says why).
    seed
        Seed of every permutation test.
    alpha
        FDR level for Gi* hot cells.
    train_months
        Months each backtest method sees before the month it is scored on.
    emerging
        Also run the emerging hot spot analysis (Gi* per month + Mann-Kendall).
    """

    cell_size: float | Literal["auto"] = 150.0
    shape: Shape = "square"
    month_from: str | None = None
    month_to: str | None = None
    crime_types: tuple[str, ...] = ()
    harm: Any = None
    area_share: float | None = 0.05
    top_n: int | None = None
    method: str | None = None
    bandwidth: float | None = None
    band: float | None = None
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    alpha: float = 0.05
    train_months: int = 3
    emerging: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.crime_types, str):
            object.__setattr__(self, "crime_types", (self.crime_types,))
        else:
            object.__setattr__(self, "crime_types", tuple(self.crime_types))
        if isinstance(self.harm, Mapping):
            object.__setattr__(self, "harm", tuple(sorted(
                (str(k), float(v)) for k, v in self.harm.items())))
        if self.top_n is not None and self.area_share == 0.05:
            object.__setattr__(self, "area_share", None)  # top_n given: no default share
        if isinstance(self.cell_size, int | float) and not isinstance(self.cell_size, bool):
            object.__setattr__(self, "cell_size", float(self.cell_size))
        problems = _param_problems(self)
        if problems:
            raise ValueError("Patrol settings are not valid: " + "; ".join(problems) + ".")

    @property
    def harm_table(self) -> dict[str, float] | None:
        """The harm weights as a dict, or ``None``."""
        return dict(self.harm) if self.harm is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready parameters for a run manifest."""
        d = asdict(self)
        d["crime_types"] = list(self.crime_types)
        d["harm"] = self.harm_table
        return d


def _is_int(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _is_pos(v: object) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            and v > 0)


def _param_problems(p: PatrolParams) -> list[str]:
    return _data_problems(p) + _method_problems(p)


def _data_problems(p: PatrolParams) -> list[str]:
    out: list[str] = []
    if not (p.cell_size == "auto" or _is_pos(p.cell_size)):
        out.append(f"cell_size={p.cell_size!r}: give metres (e.g. 150) or 'auto'")
    if p.shape not in ("square", "hex"):
        out.append(f"shape={p.shape!r}: choose 'square' or 'hex'")
    for name in ("month_from", "month_to"):
        v = getattr(p, name)
        if v is not None:
            try:
                check_month(v, argument=name)
            except ValueError as e:
                out.append(str(e).rstrip("."))
    if (p.month_from and p.month_to and str(p.month_from) > str(p.month_to)):
        out.append(f"month_from={p.month_from} is after month_to={p.month_to}")
    if not all(isinstance(c, str) and c.strip() for c in p.crime_types):
        out.append(f"crime_types={p.crime_types!r}: give crime type names (text)")
    if p.harm is not None:
        try:
            pairs = [(str(k), float(v)) for k, v in p.harm]
        except (TypeError, ValueError):
            pairs = []
            out.append("harm: give a mapping {crime_type: weight}")
        if any(not (math.isfinite(w) and w >= 0) for _, w in pairs):
            out.append("harm: every weight must be a number >= 0")
    return out


def _method_problems(p: PatrolParams) -> list[str]:
    out: list[str] = []
    if (p.area_share is None) == (p.top_n is None):
        out.append("give exactly one of area_share (e.g. 0.05) or top_n (a number of cells)")
    if p.area_share is not None and not (_is_pos(p.area_share) and p.area_share <= 1):
        out.append(f"area_share={p.area_share!r}: give a share of the area in (0, 1], e.g. 0.05")
    if p.top_n is not None and not (_is_int(p.top_n) and p.top_n >= 1):
        out.append(f"top_n={p.top_n!r}: give a whole number of cells >= 1")
    if p.method is not None and p.method not in METHODS:
        out.append(f"method={p.method!r}: choose one of {list(METHODS)} or None (best in the "
                   "backtest)")
    for name in ("bandwidth", "band"):
        v = getattr(p, name)
        if v is not None and not _is_pos(v):
            out.append(f"{name}={v!r}: give a positive number of metres or None")
    if not (_is_int(p.permutations) and 99 <= p.permutations <= 99_999):
        out.append(f"permutations={p.permutations!r}: give a whole number from 99 to 99,999 "
                   f"(default {DEFAULT_PERMUTATIONS:,})")
    if not _is_int(p.seed):
        out.append(f"seed={p.seed!r}: give a whole number")
    if not (isinstance(p.alpha, float | int) and 0 < p.alpha < 1):
        out.append(f"alpha={p.alpha!r}: give a level in (0, 1), e.g. 0.05")
    if not (_is_int(p.train_months) and p.train_months >= 1):
        out.append(f"train_months={p.train_months!r}: give a whole number of months >= 1")
    if not isinstance(p.emerging, bool):
        out.append(f"emerging={p.emerging!r}: give True or False")
    return out


def permutation_note(n_cells: int, permutations: int, alpha: float = 0.05) -> str:
    """Say whether Gi* can find any hot cell after FDR with this many permutations.

    Parameters
    ----------
    n_cells
        Cells tested (the FDR family).
    permutations
        Permutations per cell.
    alpha
        FDR level.

    Returns
    -------
    str
        The smallest two-sided pseudo p, ``2 / (P + 1)``, and how many cells
        must share it for the best q to reach ``alpha``: Benjamini-Hochberg
        gives ``q = p_min n / k`` when ``k`` cells share the smallest p.

    Examples
    --------
    >>> permutation_note(162, 999)[:60]
    'With 999 permutations the smallest two-sided pseudo p-value '
    """
    p_min = 2.0 / (permutations + 1)
    need = max(1, math.ceil(p_min * n_cells / alpha - 1e-12))
    return (f"With {permutations:,} permutations the smallest two-sided pseudo p-value is "
            f"2/({permutations:,}+1) = {p_min:.4f}; after Benjamini-Hochberg FDR over "
            f"{n_cells:,} cells a cell can reach q \u2264 {alpha:g} only if at least {need:,} "
            f"{'cells share' if need != 1 else 'cell has'} that smallest p-value "
            "(q = p x cells / k). "
            + ("That rarely happens, so few or no cells can be significant: use 9,999."
               if need > 3 else "Significant hot cells can be found."))


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class PatrolAnalysis:
    """Everything the patrol view, the CLI and the exports show.

    Attributes
    ----------
    params
        The settings.
    grid
        EPSG:27700, one row per cell (``cell_id`` order): the grid columns of
        :func:`hotspots.grid.make_grid` plus ``count`` (list period), ``harm``
        (when weighted), ``kde`` (per km\u00b2), ``gi_z``, ``gi_p``, ``gi_q``,
        ``gi_class``, ``gi_hot`` (q <= alpha and z > 0), ``score_<method>``,
        ``selected_rank`` (rank in the patrol list, NaN otherwise) and
        ``trend_class`` when emerging hot spots ran.
    spec
        The grid's :class:`hotspots.grid.GridSpec`.
    monthly
        Crimes per cell (rows, ``cell_id``) and month (every month of the
        data's range, zeros filled), the table the backtest uses.
    list_months
        Months of the patrol-list period.
    patrol
        The patrol list (:func:`hotspots.patrol.patrol_list`) of the chosen
        method, with ``score``.
    method, method_reason
        The method that chose the list and why (the user's, or the best
        median PAI in the backtest).
    selections
        ``cell_id`` chosen by each method for the list period.
    backtest
        :class:`hotspots.backtest.BacktestResult` over all months, or ``None``
        (too few months; said in ``notes``).
    emerging
        Emerging hot spot table by ``cell_id``, or ``None`` when not run.
    reconciliation
        Where every point went: ``rows_in == assigned + unlocated + outside +
        rejected`` (rejected = rows dropped when the data were read).
    kde
        The density and its bandwidth rule.
    gi_params
        Gi* parameters (statistic, weights, permutations, seed, FDR, counts).
    method_text
        Plain-words method card.
    notes
        Automatic choices and warnings.
    source
        Where the points come from.
    n_selected_records
        Located records in the study area of the chosen types, all months.
    n_period_records
        Of those, in the list period.
    timings
        Seconds per step (for benchmarks; not part of the result's meaning).
    """

    params: PatrolParams
    grid: gpd.GeoDataFrame
    spec: gridmod.GridSpec
    monthly: pd.DataFrame
    list_months: tuple[str, ...]
    patrol: pd.DataFrame
    method: str
    method_reason: str
    selections: Mapping[str, pd.Index]
    backtest: bt.BacktestResult | None
    emerging: pd.DataFrame | None
    reconciliation: Reconciliation
    kde: KDEResult
    gi_params: Mapping[str, Any]
    method_text: str
    notes: tuple[str, ...]
    source: str
    boroughs: tuple[str, ...]
    n_selected_records: int
    n_period_records: int
    rejected_reasons: Mapping[str, int] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)

    @property
    def period_label(self) -> str:
        """``"2020-09 to 2020-11"`` (or one month)."""
        a, b = self.list_months[0], self.list_months[-1]
        return a if a == b else f"{a} to {b}"

    @property
    def reconciliation_text(self) -> str:
        """``"24,750 rows read: 20,888 assigned, ... rejected (252 duplicate Crime ID)"``."""
        r = self.reconciliation
        why = ", ".join(f"{n:,} {k}" for k, n in self.rejected_reasons.items() if n)
        return (f"{r.rows_in:,} rows read: {r.assigned:,} assigned to a grid cell, "
                f"{r.unlocated:,} without a location, {r.outside:,} outside the study area, "
                f"{r.rejected:,} rejected" + (f" ({why}, when the data were read)" if why else ""))

    @property
    def area_m2(self) -> pd.Series:
        """Cell area (m\u00b2) by ``cell_id``."""
        return self.grid.set_index("cell_id")["cell_area_m2"]


# --------------------------------------------------------------------------- steps


def rejected_from_meta(meta: Mapping[str, Any]) -> dict[str, int]:
    """Rows dropped when a pack's points were read, by reason (``meta["points_reconciliation"]``).

    Parameters
    ----------
    meta
        A pack's metadata.

    Returns
    -------
    dict
        ``{reason: rows}``; empty when the pack records none.
    """
    rec = meta.get("points_reconciliation") or {}
    rej = rec.get("rows_rejected", {}) if isinstance(rec, Mapping) else {}
    if isinstance(rej, Mapping):
        return {str(k): int(v) for k, v in rej.items() if int(v)}
    if isinstance(rej, int | float) and rej:
        return {"rejected when read": int(rej)}
    return {}


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


def _filter_types(assigned: pd.DataFrame, types: tuple[str, ...],
                  available: Sequence[str]) -> pd.DataFrame:
    if not types:
        return assigned
    unknown = [t for t in types if t not in available]
    if unknown:
        raise InputDataError(f"Crime type(s) {unknown} are not in the points. Types present: "
                             f"{list(available)}.")
    return assigned[assigned["category"].isin(types)]


def _gi(values: pd.Series, grid: gpd.GeoDataFrame, p: PatrolParams) -> tuple[pd.DataFrame,
                                                                              dict[str, Any]]:
    cells = pd.Index(grid["cell_id"], name="cell_id")
    if len(values) < 2 or np.ptp(values.to_numpy()) == 0:
        frame = pd.DataFrame({"gi_z": np.nan, "gi_p": np.nan, "gi_q": np.nan,
                              "gi_class": "Not tested (no variation)"}, index=cells)
        return frame, {"statistic": "Gi*", "tested": False,
                       "reason": "every cell has the same value in the period"}
    res = patrol.gi_star_cells(values, grid, band=p.band, permutations=p.permutations,
                               seed=p.seed, alpha=p.alpha)
    frame = res.frame[["gi_z", "gi_p", "gi_q", "gi_class"]].reindex(cells)
    return frame, {**dict(res.params), "tested": True}


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
    naive = res.summary["median_pai"].get("naive", np.nan)
    if pd.notna(naive) and naive > med[best]:
        text += (f"; note: the naive baseline (last month's counts) did better "
                 f"({naive:.2f})")
    return best, text


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
        One row per police.uk record (:data:`hotspots.pipeline.POINT_COLUMNS`:
        ``month``, ``category``, lon/lat ``x``/``y``, NaN without a location;
        ``location`` names streets in the list).
    areas
        Area layer with ``borough_name`` (e.g. a pack's wards), projected CRS.
    boroughs
        Boroughs forming the study area (``pack.meta["points_boroughs"]``).
    params
        Settings (default :class:`PatrolParams`).
    rejected
        Rows dropped before ``points`` (e.g. duplicate Crime IDs when the pack
        was built), by reason: counted as *rejected* so that the reconciliation
        starts from the rows read (:func:`rejected_from_meta`).
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
    (:func:`hotspots.patrol.select_cells`: never a cell scoring 0 or less).
    """
    p = params if params is not None else PatrolParams()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    pts = _check_points(points)
    study = _study_area(areas, boroughs)
    g, spec = gridmod.make_grid(study, cell_size=p.cell_size, shape=p.shape)
    reasons = dict(rejected or {})
    placed, rec = gridmod.points_to_cells(pts, g, spec=spec, source=source,
                                          rejected=_rejected_rows(reasons, source))
    if rec.assigned == 0:
        raise EmptyInputError(f"None of the {rec.rows_in:,} points lies in the study area "
                              f"({', '.join(boroughs)}): choose the boroughs the points cover.")
    t0 = _timed(timings, "grid_and_placement", t0)
    months, empty_months = _month_axis(pts)
    list_months = _list_period(p, months)
    types = sorted(set(pts["category"]) - {""})
    chosen = _filter_types(placed, p.crime_types, types)
    notes: list[str] = [spec.rule]
    if empty_months:
        notes.append(f"{len(empty_months)} month(s) inside the data's range have no record at "
                     f"all ({', '.join(empty_months[:6])}{' ...' if len(empty_months) > 6 else ''}"
                     "): counted as zero crimes. Check that no monthly file is missing.")
    table = p.harm_table
    if table is not None:
        chosen = chosen.assign(harm=patrol.harm_weights_for(chosen, table).to_numpy())
    monthly = gridmod.counts_by_cell(chosen, g, by="month", columns=list(months))
    harm_monthly = (gridmod.counts_by_cell(chosen, g, by="month", weights="harm",
                                           columns=list(months)) if table is not None else None)
    period = chosen[chosen["month"].isin(list_months)]
    values = (harm_monthly if harm_monthly is not None else monthly)[list(list_months)].sum(axis=1)
    t0 = _timed(timings, "counts", t0)
    kde = kde_on_grid(period, g, bandwidth=p.bandwidth, cell_size=spec.size,
                      weights="harm" if table is not None else None)
    t0 = _timed(timings, "kde", t0)
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
    object.__setattr__(pa, "method_text", _method_text(pa))
    timings["total"] = round(sum(v for k, v in timings.items() if k != "total"), 4)
    return pa


def _emerging(monthly: pd.DataFrame, sw: Any, p: PatrolParams) -> pd.DataFrame:
    from hotspots.stats.emerging import emerging_hotspots

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
    for c in ("gi_z", "gi_p", "gi_q", "gi_class"):
        out[c] = gi[c].reindex(ids).to_numpy()
    out["gi_hot"] = ((out["gi_q"] <= alpha) & (out["gi_z"] > 0)).fillna(False).astype(bool)
    for m in scores.columns:
        out[f"score_{m}"] = scores[m].reindex(ids).to_numpy()
    rank = pd.Series(np.arange(1, len(selected) + 1, dtype=float), index=selected)
    out["selected_rank"] = rank.reindex(ids).to_numpy()
    if emerging is not None:
        out["trend_class"] = emerging["trend_class"].reindex(ids).to_numpy()
    out.attrs = dict(g.attrs)
    return out


def _method_text(pa: PatrolAnalysis) -> str:
    p, spec = pa.params, pa.spec
    months = list(pa.monthly.columns)
    n = len(pa.grid)
    share = (f"the best cells until they cover {100 * p.area_share:g}% of the study area"
             if p.area_share is not None else f"the {p.top_n} best cells")
    parts = [
        f"Study area: {', '.join(pa.boroughs)} ({pa.grid['cell_area_m2'].sum() / 1e6:,.2f} "
        f"km\u00b2). Points: {pa.source} (months {months[0]} to {months[-1]}); patrol-list "
        f"period {pa.period_label}."
        + (f" Crime types: {', '.join(p.crime_types)}." if p.crime_types else
           " All crime types."),
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
        From :func:`analyse_patrol`.

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
    from hotspots.privacy import safe_for_spreadsheet

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


# --------------------------------------------------------------------------- map and chart


#: Outline of the selected patrol cells and the marker style of Gi* hot cells.
SELECTED_STYLE = {"color": "#000000", "weight": 3.0, "opacity": 1.0, "fill": False}
HOT_STYLE = {"color": "#b2182b", "weight": 2.0, "opacity": 1.0, "fill": False,
             "dashArray": "4 4"}
_CELL_STYLE = {"color": "#ffffff", "weight": 0.4, "fillOpacity": 0.85, "opacity": 0.8}


@dataclass(frozen=True, eq=False)
class PatrolMap:
    """The cell map and what goes beside it.

    Attributes
    ----------
    map
        Offline folium map: one interactive polygon per cell, the selected
        cells outlined, Gi* hot cells marked (non-interactive layers).
    legend
        HTML legend (escaped) with every class range and its number of cells.
    title
        Plain-text heading.
    n_cells
        Cell polygons drawn.
    """

    map: Any
    legend: str
    title: str
    n_cells: int


def _legend_row(swatch: str, label: str) -> str:
    return ('<li style="display:flex;align-items:center;gap:8px;margin:2px 0;">'
            f'<span style="display:inline-block;width:22px;height:14px;{swatch}flex:none;">'
            f'</span><span class="hs-legend-label">{html.escape(label)}</span></li>')


def patrol_map(pa: PatrolAnalysis, *, value: Literal["count", "kde"] = "count",
               basemap: str = "none") -> PatrolMap:
    """Draw the cells as a choropleth of counts or KDE, patrol cells outlined, Gi* hot marked.

    Parameters
    ----------
    pa
        From :func:`analyse_patrol`.
    value
        ``"count"`` (crimes in the list period, natural breaks) or ``"kde"``
        (density per km\u00b2, natural breaks).
    basemap
        ``"none"`` (no tiles, nothing leaves the machine) or ``"osm"``.

    Returns
    -------
    PatrolMap
    """
    import folium

    from hotspots.maps import web as maps
    from hotspots.maps.classify import classify

    if value not in ("count", "kde"):
        raise ValueError(f"value={value!r}: choose 'count' or 'kde'.")
    if basemap not in maps.BASEMAPS:
        raise ValueError(f"basemap must be one of {sorted(maps.BASEMAPS)}; got {basemap!r}")
    cells = pa.grid.to_crs("EPSG:4326")
    cells = cells.set_geometry(shapely.set_precision(cells.geometry.to_numpy(), 1e-6))
    cells = cells.reset_index(drop=True)
    integer = value == "count"
    cls = classify(cells[value].astype(float), scheme="natural_breaks",
                   k=min(5, max(1, int(cells[value].nunique()))), integer=integer)
    colours = list(maps.map_palette("YlOrRd", cls.k))
    ids = cells["cell_id"].astype(str).tolist()
    fill = dict(zip(ids, [colours[int(i)] for i in cls.class_index], strict=True))
    cells["crimes"] = cells["count"]
    cells["kde_text"] = cells["kde"].map(lambda v: f"{v:,.0f}")
    cells["rank_text"] = cells["selected_rank"].map(
        lambda v: "not in the list" if pd.isna(v) else f"{int(v)}")
    fields = {"cell_id": "Cell", "crimes": f"Crimes {pa.period_label}",
              "kde_text": "KDE per km\u00b2", "gi_class": "Gi*", "rank_text": "Patrol rank"}
    m = maps._offline_map(cells, basemap)  # type: ignore[arg-type]
    folium.GeoJson(maps._feature_collection(cells, list(fields), ids), name="cells",
                   style_function=_CellFill(fill),
                   highlight_function=maps._ConstantStyle(maps._HIGHLIGHT_STYLE),
                   tooltip=maps._tooltip(fields)).add_to(m)
    for mask, style, name in ((cells["gi_hot"].to_numpy(), HOT_STYLE, "gi hot"),
                              (cells["selected_rank"].notna().to_numpy(), SELECTED_STYLE,
                               "patrol cells")):
        if mask.any():
            sub = gpd.GeoDataFrame(geometry=cells.geometry[mask].to_numpy(),
                                   index=[f"{name}-{i}" for i in range(int(mask.sum()))],
                                   crs="EPSG:4326")
            folium.GeoJson(sub.to_geo_dict(drop_id=False), name=name,
                           style_function=maps._ConstantStyle(style), interactive=False,
                           control=False).add_to(m)
    (south, west), (north, east) = maps._bounds(cells)
    m.fit_bounds([[south, west], [north, east]])
    what = (f"Crimes per cell, {pa.period_label}" if integer
            else f"Kernel density (crimes per km\u00b2), {pa.period_label}")
    n_sel = int(cells["selected_rank"].notna().sum())
    n_hot = int(cells["gi_hot"].sum())
    rows = [_legend_row(f"background:{c};border:1px solid #555;", lab)
            for c, lab in zip(colours, cls.class_labels, strict=True)]
    rows.append(_legend_row("border:3px solid #000;background:transparent;",
                            f"Patrol cells ({pa.method}) ({n_sel:,})"))
    rows.append(_legend_row("border:2px dashed #b2182b;background:transparent;",
                            f"Gi* hot spot, q \u2264 {pa.params.alpha:g} ({n_hot:,})"))
    note = (f"{len(cells):,} cells of {pa.spec.size:g} m ({pa.spec.shape}); classes: natural "
            "breaks (Fisher-Jenks); ranges with the number of cells.")
    legend = ('<div class="hs-legend" style="font-size:0.92rem;line-height:1.35;color:#1a1a1a;">'
              f'<div style="font-weight:600;margin-bottom:4px;">{html.escape(what)}</div>'
              f'<ul style="list-style:none;margin:0;padding:0;">{"".join(rows)}</ul>'
              f'<div style="font-size:0.8rem;color:#444;margin-top:4px;">{html.escape(note)}'
              "</div></div>")
    return PatrolMap(m, legend, what, len(cells))


class _CellFill:
    """Style function: thin white cell lines, the fill of the cell's class (picklable)."""

    def __init__(self, fill_by_id: dict[str, str]) -> None:
        self.fill_by_id = fill_by_id

    def __call__(self, feature: dict[str, Any]) -> dict[str, Any]:
        return {**_CELL_STYLE, "fillColor": self.fill_by_id[feature["id"]]}


def pai_chart(pa: PatrolAnalysis, *, height: int = 300) -> Any:
    """Altair chart of the backtest's PAI per test month, one line per method.

    Parameters
    ----------
    pa
        From :func:`analyse_patrol` (with a backtest).
    height
        Pixels.

    Returns
    -------
    altair.Chart or None
        ``None`` without a backtest. Months without a defined PAI are gaps.
    """
    import altair as alt

    from hotspots.maps.charts import OKABE_ITO

    if pa.backtest is None:
        return None
    data = pa.backtest.per_month[["method", "test_month", "pai", "hit_rate", "n_cells"]].copy()
    data["pai"] = data["pai"].astype(float)
    names = list(dict.fromkeys(data["method"]))
    return alt.Chart(data).mark_line(point=True, invalid="break-paths-show-domains").encode(
        x=alt.X("test_month:O", title="Held-out month", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("pai:Q", title="PAI (1 = chance)", scale=alt.Scale(zero=True)),
        color=alt.Color("method:N", sort=names, title="Method",
                        scale=alt.Scale(domain=names, range=list(OKABE_ITO[:len(names)]))),
        tooltip=[alt.Tooltip("method:N", title="Method"),
                 alt.Tooltip("test_month:O", title="Month"),
                 alt.Tooltip("pai:Q", title="PAI", format=".2f"),
                 alt.Tooltip("hit_rate:Q", title="Hit rate", format=".1%"),
                 alt.Tooltip("n_cells:Q", title="Cells")],
    ).properties(height=height, width="container",
                 title=alt.TitleParams("PAI per held-out month", anchor="start"))


# --------------------------------------------------------------------------- CLI


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``patrol`` subcommand's options to its parser."""
    src = p.add_argument_group("data (a pack folder, or files)")
    src.add_argument("--pack", type=Path, help="pack folder (default: the demo pack)")
    src.add_argument("--areas", type=Path, help="boundary file (any CRS), with --police-uk")
    src.add_argument("--layer", help="layer in a multi-layer boundary file")
    src.add_argument("--police-uk", type=Path, help="police.uk CSV, folder or zip")
    src.add_argument("--assume-crs", metavar="CRS",
                     help="CRS of an --areas file that has none, e.g. EPSG:27700 "
                          "(British National Grid) or EPSG:4326 (longitude/latitude)")
    p.add_argument("--borough", action="append", default=[],
                   help="study-area borough (repeat; default: the boroughs the points cover)")
    p.add_argument("--cell-size", default="150", help="cell size in metres, or 'auto'")
    p.add_argument("--shape", choices=["square", "hex"], default="square")
    p.add_argument("--from", dest="month_from", help="first month of the patrol list YYYY-MM")
    p.add_argument("--to", dest="month_to", help="last month of the patrol list YYYY-MM")
    p.add_argument("--crime-type", action="append", default=[],
                   help="keep only this police.uk crime type (repeat)")
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--area-share", type=float, help="share of the area to patrol (0.05)")
    sel.add_argument("--top-n", type=int, help="number of cells to patrol")
    p.add_argument("--method", choices=[*METHODS, "best"], default="best",
                   help="method of the patrol list (default: best median PAI in the backtest)")
    p.add_argument("--harm", help="harm weights CSV (crime_type, weight), or 'example' for "
                                  "the ILLUSTRATIVE built-in table")
    p.add_argument("--bandwidth", type=float, help="KDE radius in metres (default: rule)")
    p.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--train-months", type=int, default=3)
    p.add_argument("--emerging", action="store_true", help="also run emerging hot spots")
    p.add_argument("--out", type=Path, required=True, help="output folder")


def _cli_inputs(a: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    from hotspots.pipeline import pack as pipeline

    if a.areas is not None or a.police_uk is not None:
        if a.areas is None or a.police_uk is None:
            raise InputDataError("Give both --areas (boundaries) and --police-uk (street-level "
                                 "crime), or a --pack folder.")
        for f in (a.areas, a.police_uk):
            if not Path(f).exists():
                raise FileNotFoundError(f"{f} not found.")
        pack = pipeline.assemble_pack(a.areas, layer=a.layer, police_uk=a.police_uk,
                                      assume_crs=getattr(a, "assume_crs", None))
        inputs: dict[str, Any] = {"areas": a.areas, "police_uk": a.police_uk}
    else:
        pack = pipeline.load_pack(a.pack)
        inputs = {"pack": pack.folder}
    if pack.points is None:
        raise InputDataError(f"{pack.folder or a.police_uk}: the pack has no street-level points "
                             "(pack.json 'points_file'); the patrol analysis needs police.uk "
                             "street CSVs (--police-uk).")
    return pack, inputs


def _cli_params(a: argparse.Namespace) -> PatrolParams:
    size: float | Literal["auto"] = "auto"
    if a.cell_size != "auto":
        try:
            size = float(a.cell_size)
        except ValueError:
            raise ValueError(f"--cell-size {a.cell_size!r}: give metres (e.g. 150) or "
                             "'auto'.") from None
    harm = None
    if a.harm == "example":
        harm = dict(patrol.HARM_WEIGHTS_EXAMPLE)
    elif a.harm:
        if not Path(a.harm).is_file():
            raise FileNotFoundError(f"--harm {a.harm}: file not found (a CSV with columns "
                                    "crime_type, weight, or 'example').")
        harm = patrol.read_harm_weights(Path(a.harm))
    share = a.area_share if a.area_share is not None else (0.05 if a.top_n is None else None)
    return PatrolParams(
        cell_size=size, shape=a.shape, month_from=a.month_from, month_to=a.month_to,
        crime_types=tuple(a.crime_type), harm=harm,
        area_share=share, top_n=a.top_n,
        method=None if a.method == "best" else a.method, bandwidth=a.bandwidth,
        permutations=a.permutations, seed=a.seed, alpha=a.alpha,
        train_months=a.train_months, emerging=a.emerging)


def main(a: argparse.Namespace) -> int:
    """Run ``python -m hotspots patrol``; return the exit code (2 on bad input)."""
    from hotspots.config import run_manifest, write_manifest

    try:
        params = _cli_params(a)
        pack, inputs = _cli_inputs(a)
        boroughs = tuple(a.borough) or tuple(pack.meta.get("points_boroughs") or ())
        source = str(pack.meta.get("points_source") or "police.uk street-level crime")
        pa = analyse_patrol(pack.points, pack.areas, boroughs, params,
                            rejected=rejected_from_meta(pack.meta), source=source)
    except (InputDataError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = a.out
    out.mkdir(parents=True, exist_ok=True)
    frames = patrol_for_export(pa)
    written = []
    for name, frame in frames.items():
        if name == "grid":
            gpkg = out / "patrol_grid.gpkg"
            gpkg.unlink(missing_ok=True)
            frame.to_file(gpkg, layer="patrol_grid", driver="GPKG")
            written.append(gpkg.name)
        else:
            frame.to_csv(out / f"{name}.csv", index=False)
            written.append(f"{name}.csv")
    (out / "method.txt").write_text(pa.method_text + "\n", encoding="utf-8")
    if a.harm and a.harm != "example":
        inputs["harm"] = a.harm
    m = run_manifest(command="python -m hotspots " + " ".join(sys.argv[1:]), inputs=inputs,
                     parameters={"patrol": params.to_dict(), "boroughs": list(pa.boroughs),
                                 "grid": pa.spec.to_dict(), "list_period": list(pa.list_months),
                                 "method": pa.method, "method_reason": pa.method_reason,
                                 "kde": {"bandwidth_m": pa.kde.bandwidth, "rule": pa.kde.rule},
                                 "gi_star": jsonable(pa.gi_params),
                                 "backtest": jsonable(pa.backtest.params) if pa.backtest
                                 else None,
                                 "reconciliation": pa.reconciliation.to_row(),
                                 "seed": params.seed})
    write_manifest(m, out / "manifest.json")
    written += ["method.txt", "manifest.json"]
    _print_summary(pa)
    print(f"Wrote {out}/: " + ", ".join(written))
    return 0




def _print_summary(pa: PatrolAnalysis) -> None:
    print(f"Patrol hotspots: {', '.join(pa.boroughs)}; {pa.source}")
    print(f"Grid: {len(pa.grid):,} cells, {pa.spec.rule}; list period {pa.period_label}")
    print(f"Reconciliation: {pa.reconciliation_text}")
    if pa.backtest is not None:
        s = pa.backtest.summary
        print(f"Backtest ({pa.backtest.params['selection']}; {pa.params.train_months} training "
              "months):")
        for mth, r in s.iterrows():
            if not r["months_pai"]:
                print(f"  {mth:8s} PAI undefined: it chose no cell in any month")
                continue
            print(f"  {mth:8s} median PAI {r['median_pai']:.2f}  mean PAI {r['mean_pai']:.2f}  "
                  f"mean hit rate {100 * r['mean_hit_rate']:.1f}%  ({int(r['months_pai'])} "
                  f"of {int(r['months'])} months with a PAI)")
    print(f"Patrol list: {len(pa.patrol)} cells by {pa.method_reason}")
    if pa.emerging is not None:
        counts = pa.emerging["trend_class"].value_counts()
        print("Emerging hot spots: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
