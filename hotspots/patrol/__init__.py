"""Patrol hotspots at street scale: from police.uk street-level points to a patrol list.

What this package owns (layer 3, beside :mod:`hotspots.maps`):

- :mod:`~hotspots.patrol.grid`: square or hexagonal cells over a study area,
  points to cells (reconciled) and counts per cell and month;
  :mod:`~hotspots.patrol.lattice`: which lattice cells the study area's boundary
  may cut, so that only those are built and tested as polygons;
- :mod:`~hotspots.patrol.kde`: quartic kernel density at cell centres;
- :mod:`~hotspots.patrol.harm`: harm weights (an ILLUSTRATIVE table, or your own);
- :mod:`~hotspots.patrol.cells`: Gi* on cells, the method scorers, cell
  selection and the printable patrol list;
- :mod:`~hotspots.patrol.metrics`: hit rate, PAI, RRI and the one selection
  rule (ranked by score, ties by ``cell_id``, never a cell scoring 0 or less);
- :mod:`~hotspots.patrol.backtest`: the rolling backtest on held-out months;
- :mod:`~hotspots.patrol.params`, :mod:`~hotspots.patrol.result`,
  :mod:`~hotspots.patrol.analysis`, :mod:`~hotspots.patrol.export`: the
  settings, the result, the one call that composes the steps
  (:func:`analyse_patrol`), its method card and the frames to write.

It computes numbers and frames only. It must never import folium, Altair,
argparse or Streamlit (the cell map and PAI chart are
:mod:`hotspots.maps.patrolmaps`, the ``patrol`` command is :mod:`hotspots.cli`,
the view is :mod:`ui.patrol`), nor any project package above layer 2 or beside
it: not :mod:`hotspots.maps` (its sibling), :mod:`hotspots.pipeline`,
:mod:`hotspots.report`, :mod:`hotspots.cli`, :mod:`data` or :mod:`ui`. It may
import :mod:`hotspots.areas`, :mod:`hotspots.stats`, :mod:`hotspots.io` and the
floor (``hotspots._errors``, ``hotspots.periods``, ``hotspots.privacy``, ...).

Police.uk street-level crime only: referrals are never placed on the grid.
"""

from hotspots.patrol.analysis import (
    MAX_CELLS,
    MAX_PATROL_CELLS,
    MIN_HELD_OUT_MONTHS,
    analyse_patrol,
    held_out_months,
    patrol_warnings,
)
from hotspots.patrol.backtest import BacktestResult, baseline_methods, rolling_backtest
from hotspots.patrol.cells import (
    GI_INFERENCES,
    gi_star_cells,
    method_scorers,
    patrol_list,
    select_cells,
)
from hotspots.patrol.export import (
    backtest_finding,
    method_sections,
    method_text,
    patrol_for_export,
)
from hotspots.patrol.grid import GridSpec, counts_by_cell, make_grid, points_to_cells
from hotspots.patrol.harm import (
    HARM_NOTE,
    HARM_WEIGHTS_EXAMPLE,
    POLICE_UK_CATEGORIES,
    harm_weights_for,
    read_harm_weights,
)
from hotspots.patrol.kde import KDEResult, kde_on_grid
from hotspots.patrol.metrics import hit_rate, pai, rank_cells, rri
from hotspots.patrol.params import (
    DEFAULT_LIST_MONTHS,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    MEASURE_LABELS,
    MEASURE_NOUNS,
    MEASURES,
    METHOD_LABELS,
    METHODS,
    PatrolParams,
    permutation_note,
)
from hotspots.patrol.result import PatrolAnalysis
from hotspots.patrol.studyarea import default_study_area

__all__ = [
    "MAX_CELLS",
    "MAX_PATROL_CELLS",
    "MIN_HELD_OUT_MONTHS",
    "DEFAULT_LIST_MONTHS",
    "DEFAULT_PERMUTATIONS",
    "DEFAULT_SEED",
    "GI_INFERENCES",
    "HARM_NOTE",
    "HARM_WEIGHTS_EXAMPLE",
    "POLICE_UK_CATEGORIES",
    "MEASURES",
    "MEASURE_LABELS",
    "MEASURE_NOUNS",
    "METHODS",
    "METHOD_LABELS",
    "BacktestResult",
    "GridSpec",
    "KDEResult",
    "PatrolAnalysis",
    "PatrolParams",
    "analyse_patrol",
    "default_study_area",
    "held_out_months",
    "patrol_warnings",
    "backtest_finding",
    "baseline_methods",
    "counts_by_cell",
    "gi_star_cells",
    "hit_rate",
    "kde_on_grid",
    "make_grid",
    "method_scorers",
    "method_sections",
    "method_text",
    "pai",
    "patrol_for_export",
    "patrol_list",
    "permutation_note",
    "points_to_cells",
    "rank_cells",
    "harm_weights_for",
    "read_harm_weights",
    "rolling_backtest",
    "rri",
    "select_cells",
]
