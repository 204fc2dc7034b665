"""The result of one patrol analysis: :class:`PatrolAnalysis`, what every view reads.

A frozen record of frames and settings (built by
:func:`hotspots.patrol.analysis.analyse_patrol`); it computes nothing but its
period label, its reconciliation sentence and the cell areas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from hotspots.areas.reconciliation import Reconciliation
from hotspots.patrol.backtest import BacktestResult
from hotspots.patrol.grid import GridSpec
from hotspots.patrol.kde import KDEResult
from hotspots.patrol.params import MEASURE_LABELS, MEASURE_NOUNS, PatrolParams

__all__ = ["PatrolAnalysis"]


@dataclass(frozen=True, eq=False)
class PatrolAnalysis:
    """Everything the patrol view, the CLI and the exports show.

    Attributes
    ----------
    params
        The settings.
    grid
        EPSG:27700, one row per cell (``cell_id`` order): the grid columns of
        :func:`hotspots.patrol.grid.make_grid` plus ``count`` (list period), ``harm``
        (when weighted), ``kde`` (per km\u00b2), ``gi_z``, ``gi_p``, ``gi_q``,
        ``gi_class``, ``gi_hot`` (q <= alpha and z > 0; from the p-values
        ``params.gi_inference`` names), the same under each inference
        (``gi_p_normal``, ``gi_q_normal``, ``gi_hot_normal``, ``gi_p_perm``,
        ``gi_q_perm``, ``gi_hot_perm``), ``score_<method>``,
        ``selected_rank`` (rank in the patrol list, NaN otherwise) and
        ``trend_class`` when emerging hot spots ran.
    spec
        The grid's :class:`hotspots.patrol.grid.GridSpec`.
    monthly
        Crimes per cell (rows, ``cell_id``) and month (every month of the
        data's range, zeros filled), the table the backtest uses.
    list_months
        Months of the patrol-list period.
    patrol
        The patrol list (:func:`hotspots.patrol.cells.patrol_list`) of the chosen
        method, with ``score``.
    method, method_reason
        The method that chose the list and why (the user's, or the best
        median PAI in the backtest).
    selections
        ``cell_id`` chosen by each method for the list period.
    backtest
        :class:`hotspots.patrol.backtest.BacktestResult` over all months, or ``None``
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
    spec: GridSpec
    monthly: pd.DataFrame
    list_months: tuple[str, ...]
    patrol: pd.DataFrame
    method: str
    method_reason: str
    selections: Mapping[str, pd.Index]
    backtest: BacktestResult | None
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
    def noun(self) -> str:
        """What one point counted is called: ``"crimes"`` or ``"ASB incidents"``."""
        return MEASURE_NOUNS[self.params.measure]

    @property
    def measure_label(self) -> str:
        """The measure in words (recorded crime without ASB, or ASB)."""
        return MEASURE_LABELS[self.params.measure]

    @property
    def reconciliation_text(self) -> str:
        """Where every row went, and how many of them the map counts.

        ``"24,750 rows read: 20,888 assigned, ... rejected (252 duplicate Crime ID); of
        those assigned, ... fall in the list period ...: the counts on the map and the list"``.
        """
        r = self.reconciliation
        why = ", ".join(f"{n:,} {k}" for k, n in self.rejected_reasons.items() if n)
        # the map counts fewer: one measure (ASB or crime, the chosen types) in the list period
        return (f"{r.rows_in:,} rows read: {r.assigned:,} assigned to a grid cell, "
                f"{r.unlocated:,} without a location, {r.outside:,} outside the study area, "
                f"{r.rejected:,} rejected" + (f" ({why}, when the data were read)" if why else "")
                + f"; of those assigned, {self.n_selected_records:,} are {self.noun} of the "
                f"chosen types (every month) and {self.n_period_records:,} fall in the list "
                f"period {self.period_label}: the counts on the map and the list")

    @property
    def area_m2(self) -> pd.Series:
        """Cell area (m\u00b2) by ``cell_id``."""
        return self.grid.set_index("cell_id")["cell_area_m2"]

