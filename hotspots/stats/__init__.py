"""The numbers of the dashboard: spatial weights and statistics, shaped like esda.

This package owns every statistic the pages, reports and patrol plans show:

- :mod:`~hotspots.stats.weights`: spatial weights of an area layer (queen, rook,
  kNN, distance band; islands, cache), built from :mod:`~hotspots.stats.neighbours`;
- :mod:`~hotspots.stats.permutation`: the conditional-permutation kernel, and the
  total-randomisation draws every global statistic shares (:mod:`~hotspots.stats.drawplan`:
  where each block's draws start in the seed's stream, so blocks run on threads);
  :mod:`~hotspots.stats.fastdraws`: the same kernel compiled (numba, imported only
  for national layers of 100 million draws or more);
- :mod:`~hotspots.stats.significance`: inference options, pseudo p-values and
  multiple-testing corrections (FDR), shared by every hotspot statistic;
  :mod:`~hotspots.stats.inputs`: the checks they make on their values;
- :mod:`~hotspots.stats.autocorrelation`: global and local Moran's I (LISA) and
  the bivariate LISA; :mod:`~hotspots.stats.getis`: Getis-Ord Gi*;
  :mod:`~hotspots.stats.table`: all of them for one measure in one table;
- :mod:`~hotspots.stats.registry`: every ward statistic described once (function,
  columns and their meaning, classes, method in words, esda reference): the
  table, exports, maps, pages and board pack are derived from its entries
  (:mod:`~hotspots.stats.statistic`: what an entry is). A
  further ward statistic (e.g. :mod:`~hotspots.stats.geary`, global Geary's C)
  is its own module, its entry there and its test; it is reached through the
  registry, not re-exported here;
- :mod:`~hotspots.stats.ranking`: Spearman's rho, its wording, competition ranks;
  :mod:`~hotspots.stats.tails`: normal and t tails, Spearman and FDR on scipy.special
  (``scipy.stats`` is never imported: it costs 0.6 s of a cold start);
- :mod:`~hotspots.stats.rates`: crude and smoothed rates per 1,000;
- :mod:`~hotspots.stats.association`: association with deprivation (Spearman by
  group, share in the most deprived areas, decile table);
- :mod:`~hotspots.stats.inequality`: how concentrated a measure is (top x% of
  areas, Lorenz curve, Gini);
- :mod:`~hotspots.stats.trends`: period-on-period change, seasonality;
- :mod:`~hotspots.stats.emerging`: emerging hot spots (Gi* over time, Mann-Kendall
  vectorised over units in :mod:`~hotspots.stats.mannkendall`).

It takes numbers and frames in and gives numbers and frames out. It never
imports folium, matplotlib, Streamlit or anything that reads or writes files,
and from the project only the floor (``hotspots._errors``, ``_validate``,
``config``, ``periods``, ...): never ``hotspots.io``, ``areas``, ``maps``,
``patrol``, ``pipeline`` or above (docs/ARCHITECTURE.md).

The public names below are re-exported here, so ``from hotspots import stats``
then ``stats.local_gi_star(...)`` works (a module re-exported whole is
star-imported and its ``__all__`` added, so its names are listed once);
constants that belong to one module (``emerging.CATEGORIES``, ``weights.KINDS``,
``rates.PER``, ...) stay on it.
"""

from hotspots.stats import (
    association,
    autocorrelation,
    emerging,
    getis,
    inequality,
    inputs,
    neighbours,
    permutation,
    ranking,
    rates,
    registry,
    significance,
    statistic,
    table,
    trends,
    weights,
)
from hotspots.stats.association import (
    DeprivedShare,
    Reference,
    decile_table,
    share_in_most_deprived,
    spearman_by_group,
)
from hotspots.stats.autocorrelation import *  # noqa: F403
from hotspots.stats.emerging import (
    GiStarSeries,
    classify_emerging,
    emerging_hotspots,
    gi_star_series,
    mann_kendall,
    mann_kendall_table,
)
from hotspots.stats.getis import GI_LEVELS, gi_star_normal, local_gi_star
from hotspots.stats.inequality import *  # noqa: F403
from hotspots.stats.ranking import *  # noqa: F403
from hotspots.stats.rates import RateResult, Smoother, rates_per_1000, smooth_rates
from hotspots.stats.significance import *  # noqa: F403
from hotspots.stats.table import hotspot_table
from hotspots.stats.trends import (
    ChangeTable,
    callouts,
    change_label,
    change_words,
    compare_periods,
    points_change,
    points_label,
    seasonal_table,
)
from hotspots.stats.weights import (
    IslandFallback,
    SpatialWeights,
    WeightsKind,
    build_weights,
    subset_weights,
    weights_cache_clear,
    weights_cache_info,
    weights_frame,
)

__all__ = [
    # modules
    "association",
    "autocorrelation",
    "emerging",
    "getis",
    "inequality",
    "inputs",
    "neighbours",
    "permutation",
    "ranking",
    "rates",
    "registry",
    "significance",
    "statistic",
    "table",
    "trends",
    "weights",
    # weights
    "IslandFallback",
    "SpatialWeights",
    "WeightsKind",
    "build_weights",
    "subset_weights",
    "weights_cache_clear",
    "weights_cache_info",
    "weights_frame",
    # significance
    *significance.__all__,
    # autocorrelation
    *autocorrelation.__all__,
    # getis
    "GI_LEVELS",
    "gi_star_normal",
    "local_gi_star",
    # table
    "hotspot_table",
    # ranking
    *ranking.__all__,
    # rates
    "RateResult",
    "Smoother",
    "rates_per_1000",
    "smooth_rates",
    # association
    "DeprivedShare",
    "Reference",
    "decile_table",
    "share_in_most_deprived",
    "spearman_by_group",
    # inequality
    *inequality.__all__,
    # trends
    "ChangeTable",
    "callouts",
    "change_label",
    "change_words",
    "compare_periods",
    "points_change",
    "points_label",
    "seasonal_table",
    # emerging
    "GiStarSeries",
    "classify_emerging",
    "emerging_hotspots",
    "gi_star_series",
    "mann_kendall",
    "mann_kendall_table",
]
