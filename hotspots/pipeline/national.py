"""National LSOA statistics from the store: Gi*, LISA, EB rates, deprivation, emerging hot spots.

For all England and Wales (35,672 LSOAs, 2021 boundaries) or any place of the
catalogue (a force, a region, a nation, a local authority):

* :func:`load_lsoa_layer`: the 2021 LSOA polygons (ONS BGC), and from
  :func:`hotspots.pipeline.lsoas.lsoa_table` (the reader the national page uses
  too) names, Census 2021 usual residents and each nation's own deprivation
  index (England: IoD 2025 on 2021 LSOAs as published; Wales: WIMD 2019 on 2011
  LSOAs carried to 2021 LSOAs, same code else the 2011 LSOA sharing most of the
  area). The ranks and deciles are **within each nation**: England's and Wales's
  are never pooled, ranked together or compared (:data:`DEPRIVATION_NOTE`).
* :func:`lsoa_statistics`: counts from the store for a period, forces and crime
  types, crude and Empirical-Bayes rates per 1,000 residents, and every local
  statistic of the registry (Gi*, LISA) through :func:`hotspots.stats.hotspot_table`
  with queen contiguity: islands (e.g. the Isles of Scilly, Anglesey's and the
  Isle of Wight's LSOAs that touch no other) are linked to their nearest LSOA and
  named in the report, as the ward statistics do.
* :func:`deprivation_deciles`: counts and rates per decile of each nation's index.
* :func:`lsoa_emerging`: Gi* per month and the Mann-Kendall trend of each LSOA's
  Gi* z-scores, classed as ArcGIS Pro's Emerging Hot Spot Analysis does
  (:mod:`hotspots.stats.emerging`).
* :func:`export_frame`: small counts (1 to ``threshold - 1``) hidden in anything
  written, and the rates that would reveal them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from boundaries import national
from boundaries.places import Place, resolve_area
from hotspots import privacy, stats, store
from hotspots._errors import InputDataError
from hotspots.pipeline import lsoas
from hotspots.pipeline.analysis import StatsParams
from hotspots.pipeline.lsoas import LsoaTable
from hotspots.pipeline.packbuild import NationalData

__all__ = [
    "DEPRIVATION_NOTE", "LEVELS", "MEASURES", "LsoaLayer", "LsoaStatistics", "deprivation_deciles",
    "export_frame", "layer_of", "load_lsoa_layer", "lsoa_emerging", "lsoa_statistics",
    "monthly_counts", "analyse_method", "emerging_method", "store_period",
]

#: Area levels of ``store analyse`` / ``store emerging``.
LEVELS: tuple[str, ...] = ("lsoa",)
#: What Gi* and LISA are computed on.
MEASURES: dict[str, str] = {
    "count": "crimes per LSOA",
    "rate": "crude rate per 1,000 residents",
    "eb_rate": "Empirical-Bayes (global) rate per 1,000 residents",
}
#: Why the deprivation columns are per nation.
DEPRIVATION_NOTE = (
    "Deprivation per nation: England's LSOAs carry IoD 2025 (MHCLG) ranks and deciles among "
    "England's 33,755 LSOAs, Wales's carry WIMD 2019 (Welsh Government) ranks and deciles among "
    "Wales's 1,909 (2011) LSOAs. The two indices are different measures: a decile 1 LSOA in "
    "England and one in Wales are each among their own nation's most deprived tenth, not "
    "equally deprived; never rank or pool them together.")
_CORRECTION = {"fdr": "Benjamini-Hochberg FDR", "bonferroni": "Bonferroni correction",
               "none": "no multiple-testing correction (q = p)"}
_AREA_COLUMNS = ("area_code", "area_name", "nation", "borough_code", "borough_name",
                 "population")
_DEP_COLUMNS = ("area_code", "dep_index", "dep_score", "dep_rank", "dep_decile", "dep_route")


@dataclass(frozen=True)
class LsoaLayer:
    """The 2021 LSOAs of a place, with residents and the nation's deprivation index.

    Attributes
    ----------
    areas
        ``area_code`` (LSOA21CD), ``area_name`` (LSOA21NM), ``nation``,
        ``borough_code``, ``borough_name`` (2025 local authority), ``population``
        (Census 2021 usual residents), geometry (EPSG:27700), sorted by code.
    deprivation
        ``area_code``, ``dep_index`` (label of the nation's index), ``dep_score``,
        ``dep_rank``, ``dep_decile`` (within the nation; 1 = most deprived tenth),
        ``dep_route`` (how a 2021 LSOA got its value).
    place
        The place covered.
    notes
        Plain-words lines: LSOAs without population or deprivation, routes.
    """

    areas: gpd.GeoDataFrame
    deprivation: pd.DataFrame
    place: Place
    notes: tuple[str, ...]


def layer_of(lsoas: LsoaTable, polygons: gpd.GeoDataFrame, place: Place) -> LsoaLayer:
    """Return the LSOA layer of a place from the national table and the LSOA polygons.

    Parameters
    ----------
    lsoas
        :func:`hotspots.pipeline.lsoas.lsoa_table`'s result (any rows; those of
        the place's local authorities are kept).
    polygons
        ``area_code`` or ``lsoa_code``, and geometry (EPSG:27700), e.g.
        :func:`boundaries.national.read_lsoa_polygons`.
    place
        The place covered (its ``lads``).

    Returns
    -------
    LsoaLayer
        As :func:`load_lsoa_layer` (which calls this).
    """
    key = "area_code" if "area_code" in polygons.columns else "lsoa_code"
    first = polygons.drop_duplicates(key)
    geom = pd.Series(first.geometry.to_numpy(), index=first[key].astype(str).to_numpy())
    t = lsoas.table
    t = t.loc[t["borough_code"].isin(set(place.lads)) & t["area_code"].isin(geom.index)]
    t = t.reset_index(drop=True)
    areas = gpd.GeoDataFrame(t[list(_AREA_COLUMNS)],
                             geometry=geom.reindex(t["area_code"]).to_numpy(), crs=polygons.crs)
    deprivation = (t[list(_DEP_COLUMNS)].copy() if "dep_index" in t.columns
                   else pd.DataFrame())
    notes = [f"{place.label}: {len(areas):,} LSOAs (2021) from the ONS best-fit lookup",
             *lsoas.notes]
    return LsoaLayer(areas, deprivation, place, tuple(notes))


def load_lsoa_layer(data: NationalData, area: str = "England and Wales", *,
                    deprivation: bool = True) -> LsoaLayer:
    """Read the 2021 LSOAs of a place with residents and deprivation (module docstring).

    The LSOA attributes come from :func:`hotspots.pipeline.lsoas.lsoa_table`, the
    one reader the national page uses too.

    Parameters
    ----------
    data
        The national lookups (:func:`hotspots.pipeline.packbuild.load_national`).
    area
        A place as ``pack build --area`` takes it: ``"England and Wales"``,
        ``"Wales"``, a police force area, a region, a local authority, ...
    deprivation
        Also read each nation's index (the Welsh bridge from 2011 LSOAs reads
        both LSOA layers of Wales: a few seconds).

    Returns
    -------
    LsoaLayer

    Raises
    ------
    InputDataError
        An unknown place, or a national file missing or not the expected one.
    """
    place = resolve_area(area, data.catalogue)
    lk = data.lookup.loc[data.lookup["borough_code"].isin(place.lads)]
    codes = pd.Index(lk["lsoa_code"].astype(str).unique())
    initials = sorted(set(codes.str[:1]))
    whole = len(codes) == int(data.lookup["lsoa_code"].drop_duplicates().str[:1]
                              .isin(initials).sum())
    polys = national.read_lsoa_polygons(data.sources.path("lsoa21_boundaries"),
                                        "lsoa21_boundaries", nations=initials,
                                        codes=None if whole else codes)
    table = lsoas.lsoa_table(data, codes, deprivation=deprivation)
    return layer_of(table, polys, place)


def monthly_counts(counts: pd.DataFrame, codes: Sequence[str], months: Sequence[str]
                   ) -> pd.DataFrame:
    """Units x months frame of counts (0 where none) from store counts.

    Parameters
    ----------
    counts
        ``area_code, month, category, count`` (:attr:`hotspots.store.StoreCounts.counts`).
    codes
        Every unit, in order (rows of the result).
    months
        Every month, in order (columns); a month missing from ``counts`` is 0.

    Returns
    -------
    DataFrame
        Index ``area_code``, one float column per month.

    Examples
    --------
    >>> c = pd.DataFrame({"area_code": ["a", "a", "b"], "month": ["2024-01", "2024-02",
    ...                   "2024-02"], "category": ["x", "y", "x"], "count": [2, 1, 4]})
    >>> monthly_counts(c, ["a", "b", "c"], ["2024-01", "2024-02"]).to_numpy().tolist()
    [[2.0, 1.0], [0.0, 4.0], [0.0, 0.0]]
    """
    codes, months = list(codes), list(months)
    rows = pd.Index(codes).get_indexer(counts["area_code"].astype(str))
    cols = pd.Index(months).get_indexer(counts["month"].astype(str))
    keep = (rows >= 0) & (cols >= 0)
    out = np.zeros((len(codes), len(months)))
    np.add.at(out, (rows[keep], cols[keep]), counts["count"].to_numpy(dtype=float)[keep])
    frame = pd.DataFrame(out, index=pd.Index(codes, name="area_code"), columns=months)
    return frame


@dataclass(frozen=True)
class LsoaStatistics:
    """:func:`lsoa_statistics`' result.

    Attributes
    ----------
    table
        One row per LSOA: the layer's columns (no geometry), ``count``,
        ``rate_per_1000``, ``eb_rate``, the registry's local statistics
        (``n_neighbours``, ``weights_fallback``, ``gi_*``, ``lisa_*``) and the
        deprivation columns.
    params
        JSON-ready: measure, options, each statistic's summary, weights, report.
    """

    table: pd.DataFrame
    params: dict[str, Any]


def lsoa_statistics(layer: LsoaLayer, counts: pd.DataFrame, *, measure: str = "count",
                    permutations: int = StatsParams.permutations, seed: int = StatsParams.seed,
                    alpha: float = 0.05,
                    correction: str = "fdr", weights: stats.SpatialWeights | None = None
                    ) -> LsoaStatistics:
    """Gi*, LISA and rates per LSOA from store counts (module docstring).

    Parameters
    ----------
    layer
        :func:`load_lsoa_layer`'s result.
    counts
        ``area_code, month, category, count`` rows already filtered to the period
        and crime types (:func:`hotspots.store.area_counts`).
    measure
        Key of :data:`MEASURES`: what Gi* and LISA are computed on.
    permutations, seed, alpha, correction
        As :func:`hotspots.stats.hotspot_table` (two-sided; the correction, FDR
        by default, within the layer); permutations and seed default to the
        product's (:class:`hotspots.pipeline.analysis.StatsParams`).
    weights
        Queen weights of ``layer.areas`` already built (default: built here).

    Returns
    -------
    LsoaStatistics

    Raises
    ------
    InputDataError
        Every LSOA has the same value (nothing to find), or the measure is a rate
        and no LSOA has a population.
    ValueError
        An unknown measure.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure={measure!r}: use one of {', '.join(MEASURES)}.")
    areas = layer.areas
    per = counts.groupby(counts["area_code"].astype(str), observed=True)["count"].sum()
    frame = pd.DataFrame({"area_code": areas["area_code"], "area_name": areas["area_name"],
                          "count": areas["area_code"].map(per).fillna(0).astype(float),
                          "population": areas["population"]})
    rates = stats.smooth_rates(frame.drop(columns="population"), method="global",
                               population=frame[["area_code", "population"]],
                               label="Census 2021 usual residents (TS007A)")
    r = rates.frame.set_index("area_code")
    frame["rate_per_1000"] = frame["area_code"].map(r["rate_per_1000"])
    frame["eb_rate"] = frame["area_code"].map(r["eb_rate"])
    geo = gpd.GeoDataFrame(frame, geometry=areas.geometry.to_numpy(), crs=areas.crs)
    sw = weights if weights is not None else stats.build_weights(areas)
    table, params = stats.hotspot_table(
        geo, value_col=measure, population_col="population" if measure == "count" else None,
        weights=sw, permutations=permutations, seed=seed, alpha=alpha,
        correction=correction)  # type: ignore[arg-type]
    out = areas.drop(columns="geometry").merge(
        frame[["area_code", "count", "rate_per_1000", "eb_rate"]], on="area_code")
    out = out.merge(table, on="area_code", how="left")
    if len(layer.deprivation):
        out = out.merge(layer.deprivation, on="area_code", how="left")
    params = {"level": "lsoa", "measure": measure, "measure_words": MEASURES[measure],
              "place": layer.place.label, "layer_notes": list(layer.notes),
              "rates": [p.to_text() for p in rates.report], "deprivation_note":
              DEPRIVATION_NOTE, **params}
    return LsoaStatistics(pd.DataFrame(out), params)


def deprivation_deciles(table: pd.DataFrame) -> pd.DataFrame:
    """Return counts, residents and rate per 1,000 by decile of each nation's own index.

    Parameters
    ----------
    table
        :attr:`LsoaStatistics.table` (``nation``, ``dep_index``, ``dep_decile``,
        ``count``, ``population``).

    Returns
    -------
    DataFrame
        ``nation, dep_index, dep_decile, lsoas, count, population, rate_per_1000``,
        one row per nation and decile (1 = the nation's most deprived tenth); a
        nation's deciles are never pooled with the other's.
    """
    have = table.dropna(subset=["dep_decile"])
    g = have.groupby(["nation", "dep_index", "dep_decile"], observed=True)
    out = g.agg(lsoas=("area_code", "size"), count=("count", "sum"),
                population=("population", "sum")).reset_index()
    out["rate_per_1000"] = 1000 * out["count"] / out["population"].where(out["population"] > 0)
    out["dep_decile"] = out["dep_decile"].astype(int)
    return out


def export_frame(table: pd.DataFrame, *, threshold: int = privacy.DEFAULT_THRESHOLD,
                 count_cols: Sequence[str] = ("count",),
                 rate_cols: Sequence[str] = ("rate_per_1000", "eb_rate"),
                 sensitive: bool = False) -> pd.DataFrame:
    """Return the table as written: small counts and the rates revealing them hidden.

    Statistic columns go through :func:`hotspots.stats.registry.public_frame`: G*
    (``gi_g``, the local sum over the map's total) is never written; with
    ``sensitive`` the z-scores and local I are left out too (police.uk is public:
    they are kept).

    Parameters
    ----------
    table
        Any frame with count columns (e.g. :attr:`LsoaStatistics.table`).
    threshold
        Counts from 1 to ``threshold - 1`` are hidden (0 is shown); ``0`` or
        ``1`` hides nothing.
    count_cols, rate_cols
        Count columns, and columns derived from the first count (a rate with a
        known population gives its count back).
    sensitive
        Leave out every statistic a hidden count could be solved from.

    Returns
    -------
    DataFrame
        Counts as nullable integers, ``<NA>`` where hidden; those rows' rates NaN;
        a boolean ``suppressed`` column says which rows were hidden (and why a
        count is blank).

    Examples
    --------
    >>> t = pd.DataFrame({"count": [0.0, 3.0, 12.0], "rate_per_1000": [0.0, 2.0, 8.0]})
    >>> e = export_frame(t, rate_cols=("rate_per_1000",))
    >>> e["count"].tolist(), e["rate_per_1000"].tolist(), e["suppressed"].tolist()
    ([0, <NA>, 12], [0.0, nan, 8.0], [False, True, False])
    """
    out = stats.registry.public_frame(table, sensitive=sensitive).copy()
    hide = pd.Series(False, index=out.index)
    for col in count_cols:
        mask = privacy.suppressed_mask(out[col], threshold=threshold)
        hide |= mask
        out[col] = out[col].round().astype("Int64").mask(mask)
    first = privacy.suppressed_mask(table[count_cols[0]], threshold=threshold)
    for col in rate_cols:
        if col in out.columns:
            out[col] = out[col].mask(first)
    out["suppressed"] = hide.to_numpy()
    return out


def lsoa_emerging(layer: LsoaLayer, counts: pd.DataFrame, months: Sequence[str], *,
                  permutations: int = StatsParams.permutations, seed: int = StatsParams.seed,
                  alpha: float = 0.10,
                  trend_alpha: float = 0.05, correction: str = "fdr",
                  weights: stats.SpatialWeights | None = None) -> pd.DataFrame:
    """Emerging hot spots per LSOA over months (:func:`hotspots.stats.emerging_hotspots`).

    Parameters
    ----------
    layer
        :func:`load_lsoa_layer`'s result.
    counts
        ``area_code, month, category, count`` already filtered (period, crime types).
    months
        The months in order (a month without a row is 0 everywhere).
    permutations, seed, alpha, trend_alpha
        As :func:`hotspots.stats.emerging_hotspots` (alpha: FDR level of each
        month's Gi*, default 0.10 as ArcGIS's 90% bins; trend_alpha: Mann-Kendall).
    correction
        Multiple-testing control of each month's Gi* (``"fdr"``, ``"bonferroni"``,
        ``"none"``).
    weights
        Queen weights of ``layer.areas`` already built (default: built here).

    Returns
    -------
    DataFrame
        One row per LSOA: the layer's columns (no geometry), ``count`` (all
        months), ``trend_class``, ``n_steps``, ``n_hot``, ``n_cold``,
        ``final_status``, ``mk_trend``, ``mk_tau``, ``mk_z``, ``mk_p``,
        ``gi_z_last``, and the deprivation columns.

    Raises
    ------
    InputDataError
        Fewer months than :data:`hotspots.stats.emerging.MIN_TIME_STEPS` (10).
    """
    stats.emerging.check_time_steps(len(months), span=f"{months[0]} to {months[-1]}"
                                    if len(months) else "")
    codes = layer.areas["area_code"].tolist()
    matrix = monthly_counts(counts, codes, months)
    sw = weights if weights is not None else stats.build_weights(layer.areas)
    res = stats.emerging_hotspots(matrix, sw, permutations=permutations, seed=seed,
                                  alpha=alpha, trend_alpha=trend_alpha,
                                  correction=correction)  # type: ignore[arg-type]
    out = layer.areas.drop(columns="geometry").assign(count=matrix.sum(axis=1).to_numpy())
    out = out.merge(res, left_on="area_code", right_index=True, how="left")
    if len(layer.deprivation):
        out = out.merge(layer.deprivation, on="area_code", how="left")
    return pd.DataFrame(out)


def store_period(con: Any, month_from: str | None, month_to: str | None) -> list[str]:
    """Return the store's months within ``month_from .. month_to`` (both optional, included).

    Raises
    ------
    InputDataError
        No month of the store in that period (the message lists the store's months).
    """
    have = store.store_months(con)
    got = [m for m in have if (month_from or "") <= m <= (month_to or "9999-99")]
    if not got:
        span = f"{have[0]} to {have[-1]}" if have else "none: run 'store add' first"
        raise InputDataError(f"no month of the store between {month_from or 'the first'} and "
                             f"{month_to or 'the last'}; its months: {span}.")
    return got


def _incomplete(flagged: Sequence[dict[str, Any]]) -> list[str]:
    """Return lines naming the force-months that look incomplete (``pack build``'s rule)."""
    if not flagged:
        return ["Incomplete months: none flagged (pack build's rule: under half the force's "
                "busiest month, or crimes per 1,000 residents below the floor)."]
    return [f"Incomplete months ({len(flagged)} force-months; read their counts as partial, "
            "not as low crime: cold spots there may be missing data):",
            *[f"  {f['month']}, {f['force']}: {f['why']}" for f in flagged]]


def _common_method(params: dict[str, Any], threshold: int) -> list[str]:
    months = list(params.get("months", []))
    span = f"{months[0]} to {months[-1]} ({len(months)} months)" if months else "all months"
    crimes = params.get("crime_types", "all")
    forces = params.get("forces", "all")
    forces = forces if isinstance(forces, str) else ", ".join(forces)
    return [
        f"Place: {params.get('place', '')}; areas: 2021 LSOAs (ONS BGC boundaries).",
        f"Crimes: police.uk street-level records from the store, {span}; crime types: "
        f"{crimes if isinstance(crimes, str) else ', '.join(crimes)}; forces: {forces}.",
        *([f"Rows reconciled (rows in = assigned + without a location + outside the place's "
           f"LSOAs + rejected): {params['rows_read']}."] if params.get("rows_read") else []),
        *_incomplete(params.get("incomplete_months") or []),
        "Weights: queen contiguity (a shared boundary point); an LSOA touching no other "
        "(an island) is linked to its nearest LSOA and named in the report.",
        f"Disclosure: counts from 1 to {threshold - 1} are blank in the files (column "
        "'suppressed'), and so are that LSOA's crude and EB rates (a rate with a known "
        "population gives the count back); 0 is shown." if threshold > 1
        else "Disclosure: no count hidden.",
        DEPRIVATION_NOTE,
        *[str(n) for n in params.get("layer_notes", [])],
    ]


def analyse_method(params: dict[str, Any], threshold: int) -> str:
    """Return the method text of ``store analyse`` (written as ``method.txt``)."""
    lines = _common_method(params, threshold) + [
        f"Measure for Gi* and LISA: {params.get('measure_words', '')}.",
        "Rates: crude = 1,000 x count / Census 2021 usual residents (TS007A); EB = global "
        "Empirical-Bayes smoothed rate (Marshall 1991), shrinking small populations' rates "
        "towards the overall rate of the LSOAs analysed.",
        f"Gi*: Getis-Ord G*_i (Ord & Getis 1995 z), {params.get('permutations')} conditional "
        f"permutations with independent draws per LSOA, seed {params.get('seed')}, two-sided, "
        f"{_CORRECTION.get(str(params.get('correction', 'fdr')), params.get('correction'))} "
        f"over all LSOAs at {params.get('alpha')}.",
        "LISA: local Moran's I (Anselin 1995), the same permutations and correction.",
        "G* (gi_g) is not written: it is the local sum over the map's total, so it gives a "
        "blank count back. The z-scores (gi_z) and local Moran's I (lisa_i) are kept: police.uk "
        "is public (every record is on police.uk), so the counts they could be solved for "
        "are published anyway; for referrals the dashboard leaves them out.",
        *[str(r) for r in params.get("report", [])],
    ]
    return "\n".join(lines) + "\n"


def emerging_method(params: dict[str, Any], threshold: int) -> str:
    """Return the method text of ``store emerging`` with every category's definition."""
    lines = _common_method(params, threshold) + [
        f"Each month: Getis-Ord Gi* on the LSOA counts, {params.get('permutations')} "
        f"conditional permutations (seed {params.get('seed')} + month number), two-sided, "
        f"{_CORRECTION.get(str(params.get('correction', 'fdr')), params.get('correction'))} "
        f"within the month at {params.get('alpha')}: an LSOA is a hot (cold) spot that "
        "month when q <= alpha and z > 0 (z < 0). A month with the same count everywhere "
        "has no Gi*: every LSOA is 'not significant' in it.",
        f"Trend: Mann-Kendall test (Mann 1945; Kendall 1975) on each LSOA's monthly Gi* z, "
        f"two-sided at {params.get('trend_alpha')}, tie-corrected variance.",
        "Categories (ArcGIS Pro, Emerging Hot Spot Analysis; 'at least 90% of months' = "
        "n_hot >= 0.9 x months; checked in this order, the first that applies wins):",
        *[f"  {k}: {v}" for k, v in stats.emerging.CATEGORIES.items()],
        "Differences from ArcGIS: neighbours within each month only (no neighbourhood time "
        "step), the correction within each month.",
        "The z-scores (gi_z_last) and trend statistics (mk_z, mk_tau, mk_p) are kept: police.uk "
        "is public (every record is on police.uk); for referrals the dashboard leaves them out.",
    ]
    return "\n".join(lines) + "\n"
