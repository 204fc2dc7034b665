"""Every hotspot statistic for one measure in one table: :func:`hotspot_table`.

Every statistic of :data:`hotspots.stats.registry.REGISTRY` (Gi*, LISA, global
Moran's I, ... and, with an IMD column, the bivariate LISA and the 3 x 3
bivariate classes), one row per area; global Moran's I is also computed in its
rate-adjusted form when a population is given. Areas without a value are left
out and the weights rebuilt on the rest (never treated as zero); the report
says so.
"""

from __future__ import annotations

from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots._validate import Report
from hotspots.config import jsonable
from hotspots.stats import registry as registry
from hotspots.stats.autocorrelation import global_moran_rate
from hotspots.stats.inputs import _check_non_negative, _check_varies
from hotspots.stats.significance import (
    NO_DATA,
    Alternative,
    Correction,
    LocalResult,
    _options,
    _Opts,
    simulate_together,
)
from hotspots.stats.weights import SpatialWeights, WeightsKind, build_weights, subset_weights

__all__ = ["NEED_WORDS", "hotspot_table"]

#: The variable a statistic's ``needs`` names, in words (reports and errors).
NEED_WORDS = {"imd": "IMD score"}


def _table_weights(areas: gpd.GeoDataFrame, weights: SpatialWeights | str, *, k: int,
                   threshold: float | None, island_fallback: str) -> SpatialWeights:
    if isinstance(weights, SpatialWeights):
        codes = pd.Index(areas["area_code"].astype(str))
        if not codes.sort_values().equals(weights.ids.sort_values()):
            raise InputDataError(
                "weights= was built on another layer: its areas differ from the frame's "
                f"({weights.n} vs {len(codes)} areas). Build it with "
                "build_weights(areas_with_values) or pass weights='queen'."
            )
        return weights
    return build_weights(areas, kind=weights, k=k,  # type: ignore[arg-type]
                         threshold=threshold, island_fallback=island_fallback)  # type: ignore[arg-type]


def _with_data(sw: SpatialWeights, has: pd.Series, what: str, names: pd.Series,
               report: Report, *, mention: pd.Series | None = None) -> SpatialWeights:
    """Weights over the areas with data (rebuilt when some have none), reported.

    ``mention`` marks the areas to name in the report (default: all without data).
    """
    if has.all():
        return sw
    if has.sum() < 3:
        raise InputDataError(
            f"only {int(has.sum())} of {len(has)} areas have a {what}: hotspot statistics "
            "need at least 3. Choose another measure, period or layer."
        )
    missing = has.index[~has if mention is None else mention]
    if not len(missing):
        return subset_weights(sw, has.index[has])
    shown = ", ".join(f"{c} ({names[c]})" for c in missing[:10])
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    report.add("warning", "hotspot_table",
               f"{len(missing)} areas have no {what}: {shown}{more}. They are left out of the "
               f"statistics (shown as '{NO_DATA}', never as zero) and the weights are rebuilt "
               f"on the {int(has.sum())} areas with data",
               "Check the data source covers these areas if they should have a value.")
    sub = subset_weights(sw, has.index[has])
    report.extend(p for p in sub.report if p.severity == "warning")
    return sub


def _numeric_column(areas: pd.DataFrame, col: str | None, role: str) -> pd.Series | None:
    if col is None:
        return None
    if col not in areas.columns:
        raise ColumnMappingError(f"{role}={col!r} is not a column of the frame "
                                 f"(columns: {list(areas.columns)}).")
    out = pd.to_numeric(areas[col], errors="coerce")
    bad = out.isna() & areas[col].notna()
    if bad.any():
        raise InputDataError(f"column {col!r} has values that are not numbers in "
                             f"{int(bad.sum())} rows (e.g. {areas.loc[bad, col].iloc[0]!r}). "
                             "Clean or convert the column first.")
    out.index = pd.Index(areas["area_code"].astype(str), name="area_code")
    return out.astype(float)


def hotspot_table(
    areas_with_values: gpd.GeoDataFrame,
    *,
    value_col: str,
    imd_col: str | None = None,
    population_col: str | None = None,
    weights: SpatialWeights | WeightsKind = "queen",
    k: int = 6,
    threshold: float | None = None,
    island_fallback: Literal["knn1", "none"] = "knn1",
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
    correction: Correction = "fdr",
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every hotspot statistic for one measure, one row per area, plus a parameters dict.

    Parameters
    ----------
    areas_with_values
        Area layer (``area_code``, ``area_name``, geometry; EPSG:27700) with the
        measure and optional IMD and population columns. NaN means no data.
    value_col
        The measure (count or rate, >= 0).
    imd_col
        IMD score column: adds the bivariate LISA (measure here vs IMD around)
        and the 3 x 3 bivariate classes.
    population_col
        Population column: adds the rate-adjusted global Moran with ``value_col``
        as the event count.
    weights
        A kind for :func:`hotspots.stats.weights.build_weights` (``"queen"`` default,
        ``"rook"``, ``"knn"``, ``"distance"``) or ready-built weights for this layer.
    k, threshold, island_fallback
        Options of :func:`hotspots.stats.weights.build_weights` (when ``weights`` is a kind).
    permutations, seed, alternative, correction, alpha
        As :func:`~hotspots.stats.getis.local_gi_star`; the same seed drives every statistic.

    Returns
    -------
    table : DataFrame
        In the frame's order: ``area_code``, ``n_neighbours``, ``weights_fallback``,
        then the columns of every local statistic of the registry in its order
        (``gi_g``, ``gi_z``, ``gi_p``, ``gi_q``, ``gi_class``, ``lisa_i``,
        ``lisa_quadrant``, ``lisa_p``, ``lisa_q`` and, with ``imd_col``, ``bv_i``,
        ``bv_quadrant``, ``bv_p``, ``bv_q``, ``bv_class``, ``bv_class_label``).
        Areas without a value get NaN and ``"no data"`` labels. ``n_neighbours`` and
        ``weights_fallback`` describe the weights of Gi* and LISA (the areas with a
        value); the bivariate statistics use the areas with both values.
    params : dict
        JSON-ready: columns used, options, weights parameters, under each
        registry key the statistic's numbers (a global one, e.g. ``global_moran``)
        or parameters and counts (a local one, e.g. ``gi_star``), ``global_moran_rate``
        with a population, and ``report`` (plain-words lines: weights, islands, areas without data).

    Raises
    ------
    TypeError
        The frame is not a GeoDataFrame (weights need geometry).
    ColumnMappingError
        A named column is missing.
    InputDataError
        Non-numeric values, negative values (Gi*), a constant measure, or
        ``weights`` built on another layer.
    ValueError
        Bad options.

    Notes
    -----
    No data is never zero: areas with a missing ``value_col`` are left out and
    the weights are rebuilt on the rest (areas that lose every neighbour get the
    island fallback), which the report says; the bivariate statistics use the
    areas with both values. Gi*, LISA and the global I share one seed; Gi* and
    LISA share their permutation draws (and so their p-values).
    """
    opts = _options(permutations, seed, alternative, correction, alpha)
    if not isinstance(areas_with_values, gpd.GeoDataFrame):
        raise TypeError("areas_with_values must be a GeoDataFrame with the area geometry "
                        "(the weights are built from it).")
    if "area_code" not in areas_with_values.columns:
        raise ColumnMappingError("The frame has no 'area_code' column: read the layer with "
                                 "boundaries.load.read_boundaries() or rename the code column.")
    value = _numeric_column(areas_with_values, value_col, "value_col")
    if value is None:  # pragma: no cover -- value_col is a required str
        raise ColumnMappingError("value_col is required.")
    imd = _numeric_column(areas_with_values, imd_col, "imd_col")
    pop = _numeric_column(areas_with_values, population_col, "population_col")
    sw_all = _table_weights(areas_with_values, weights, k=k, threshold=threshold,
                            island_fallback=island_fallback)
    report = Report()
    report.extend(sw_all.report)
    names = pd.Series(sw_all.names.to_numpy(), index=sw_all.ids)
    value = value.reindex(sw_all.ids)
    sw = _with_data(sw_all, value.notna(), value_col, names, report)
    y = value.reindex(sw.ids).to_numpy()
    _check_varies(y, value_col)
    _check_non_negative(y, sw, value_col)
    inputs = registry.Inputs(y, sw, opts)
    params: dict[str, Any] = {
        "value_col": value_col, "imd_col": imd_col, "population_col": population_col,
        **opts.params(), "weights": jsonable(sw.params), "n_areas": int(sw_all.n),
        "n_with_data": int(sw.n), "no_data": sw_all.ids.difference(sw.ids).tolist(),
    }
    _simulate_with_imd(y, imd, sw, opts)
    parts: list[pd.DataFrame] = []
    for stat in registry.REGISTRY:
        if not stat.needs:
            params[stat.key] = _run(stat, inputs, parts)
    if pop is not None:
        params["global_moran_rate"] = _table_rate(value, pop.reindex(sw_all.ids), sw_all, names,
                                                  opts, report)
    others = {"imd": imd}
    for stat in registry.REGISTRY:
        given = [others[n] for n in stat.needs]
        if stat.needs and all(v is not None for v in given):
            params[stat.key] = _table_needs(stat, value, given[0].reindex(sw_all.ids),  # type: ignore[union-attr]
                                            sw_all, names, opts, report, parts)
    params["report"] = [p.to_text() for p in report]
    return _assemble(areas_with_values, sw, parts), params


def _simulate_with_imd(y: np.ndarray, imd: pd.Series | None, sw: SpatialWeights,
                       opts: _Opts) -> None:
    """Draw the permutations of the measure and of IMD score once, when they share weights.

    The bivariate LISA runs on the areas with both values; when every area with a
    value has an IMD score, those are the measure's weights, and the conditional
    draws (which depend on the weights and the seed, not on the values) are made
    once for both variables. Each gets exactly the counts of its own simulation.
    """
    if imd is None or not any(s.scope == "local" and "imd" in s.needs
                              for s in registry.REGISTRY):
        return
    x = imd.reindex(sw.ids)
    if x.notna().all():
        simulate_together([y, x.to_numpy()], sw, opts)


def _run(stat: registry.Statistic, inputs: registry.Inputs,
         parts: list[pd.DataFrame]) -> dict[str, Any]:
    """Run one statistic: a local one adds its columns to ``parts``; return its parameters."""
    res = stat.compute(inputs)
    if stat.scope == "global":
        return res.to_dict()
    parts.append(res.frame)
    return _local_summary(res)


def _local_summary(res: LocalResult) -> dict[str, Any]:
    return {k: v for k, v in jsonable(res.params).items() if k in (
        "statistic", "definition", "n_tested", "n_significant")}


def _table_rate(value: pd.Series, pop: pd.Series, sw_all: SpatialWeights, names: pd.Series,
                opts: _Opts, report: Report) -> dict[str, Any]:
    has = value.notna() & (pop > 0)
    sw = _with_data(sw_all, has, "positive population (rate-adjusted Moran)", names, report,
                    mention=value.notna() & ~has)
    e = value.reindex(sw.ids).to_numpy()
    b = pop.reindex(sw.ids).to_numpy()
    return global_moran_rate(e, b, sw, permutations=opts.permutations, seed=opts.seed,
                             alternative=opts.alternative).to_dict()  # type: ignore[arg-type]


def _table_needs(stat: registry.Statistic, value: pd.Series, other: pd.Series,
                 sw_all: SpatialWeights, names: pd.Series, opts: _Opts, report: Report,
                 parts: list[pd.DataFrame]) -> dict[str, Any]:
    """Run a statistic of the measure and another variable on the areas with both."""
    need = stat.needs[0]
    words = NEED_WORDS.get(need, need)
    has = value.notna() & other.notna()
    sw = _with_data(sw_all, has, words, names, report, mention=value.notna() & ~has)
    x = value.reindex(sw.ids).to_numpy()
    yv = other.reindex(sw.ids).to_numpy()
    _check_varies(yv, words)
    summary = _run(stat, registry.Inputs(x, sw, opts, other=yv), parts)
    return {**summary, "x": "value", "y": need, "n": int(sw.n)}


def _assemble(areas: pd.DataFrame, sw: SpatialWeights, parts: list[pd.DataFrame]) -> pd.DataFrame:
    codes = pd.Index(areas["area_code"].astype(str), name="area_code")
    out = pd.DataFrame(index=codes)
    out["n_neighbours"] = sw.n_neighbours.reindex(codes).astype("Int64")
    out["weights_fallback"] = sw.fallback.reindex(codes).fillna(NO_DATA)
    for part in parts:
        out = out.join(part, how="left")
    fills = {c.name: c.fill for stat in registry.local_statistics() for c in stat.columns
             if c.fill is not None}
    for col in out.columns:
        if col in fills:
            out[col] = out[col].fillna(fills[col])
    return out.reset_index()
