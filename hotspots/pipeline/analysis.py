"""The full ward analysis for one selection: hotspots, smoothing, association, change.

:func:`analyse` composes the ward table (:func:`hotspots.ward_table`)
with Empirical-Bayes rates, the hotspot statistics (Gi*, LISA, bivariate LISA
against IMD, global Moran), the deprivation association (Spearman overall and
per borough, the share of high-count wards in the most deprived, the decile
table, concentration) and the change tables (period against the previous
period of the same length, and year to date against the previous year to
date). The CLI's ``analyse`` command and the page call it; every parameter
that shapes a number is kept in :attr:`Analysis.params` for the run manifest.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from hotspots import periods, privacy, stats
from hotspots.pipeline.pack import Pack
from hotspots.pipeline.table import (
    Selection,
    WardTable,
    family_months,
    family_records,
    rank_values,
    select_records,
    table_for_export,
    ward_table,
)
from hotspots.stats import association as association
from hotspots.stats import emerging as emerging
from hotspots.stats import inequality as inequality
from hotspots.stats import trends as trends
from hotspots.stats import weights as weights

Correction = Literal["fdr", "bonferroni", "none"]


@dataclass(frozen=True)
class StatsParams:
    """Parameters of the hotspot statistics (small and hashable: a cache key).

    Its defaults are the defaults of every entry point: the page's statistics
    form, ``python -m hotspots analyse`` and the board-pack config all start
    from ``StatsParams()``, so the same inputs give the same numbers.

    Attributes
    ----------
    weights
        ``"queen"`` (default), ``"rook"``, ``"knn"`` or ``"distance"``.
    k
        Neighbours for ``"knn"``.
    threshold
        Distance band in metres for ``"distance"``.
    permutations
        Conditional permutations for pseudo p-values (9,999 by default: with ~700
        wards and FDR, 999 cannot reach 95% confidence, as the smallest pseudo p is
        0.002; 9,999 take a few seconds).
    seed
        Seed of the permutations: the same seed gives identical output.
    correction
        Multiple-testing control before any label: ``"fdr"``
        (Benjamini-Hochberg), ``"bonferroni"`` or ``"none"``.
    alpha
        Significance level for LISA quadrants.
    year_start
        Year convention for year-to-date: ``"financial"`` (April),
        ``"project"`` (May) or ``"calendar"``.
    min_count
        "Wards with at least this many" for the deprivation headline.
    """

    weights: str = "queen"
    k: int = 6
    threshold: float | None = None
    permutations: int = 9999
    seed: int = 20261123
    correction: Correction = "fdr"
    alpha: float = 0.05
    year_start: str = "financial"
    min_count: int = 5


@dataclass(frozen=True)
class Analysis:
    """Everything :func:`analyse` computed, ready for tables, maps and exports."""

    ward: WardTable
    table: gpd.GeoDataFrame
    params: dict[str, Any]
    by_borough: pd.DataFrame
    deprived_share: association.DeprivedShare | None
    deciles: pd.DataFrame
    concentration: pd.DataFrame
    change: trends.ChangeTable | None
    ytd: trends.ChangeTable | None
    notes: tuple[str, ...]


def _records_all_months(pack: Pack, sel: Selection) -> pd.DataFrame:
    wide = replace(sel, month_from="0000-01", month_to="9999-12")
    records, _, _ = select_records(pack, wide)
    if sel.boroughs:
        keep = pack.areas.loc[pack.areas["borough_name"].isin(sel.boroughs), "area_code"]
        records = records[records["area_code"].isin(keep)]
    return records


def _change_tables(
    pack: Pack, sel: Selection, p: StatsParams, codes: pd.Series
) -> tuple[trends.ChangeTable | None, trends.ChangeTable | None, list[str]]:
    records = _records_all_months(pack, sel)
    available = family_months(pack, sel.measure)
    notes: list[str] = []
    current = periods.custom_period(sel.month_from, sel.month_to)
    out: list[trends.ChangeTable | None] = []
    pairs = [
        ("previous period", periods.previous_period(current, gap="adjacent")),
        ("year to date", None),
    ]
    for name, prev in pairs:
        if prev is None:
            cur, prev = periods.ytd_windows(sel.month_to, year_start=p.year_start)
        else:
            cur = current
        try:
            out.append(trends.compare_periods(records, cur, prev, months_available=available,
                                              groups=list(codes), incomplete="raise"))
        except Exception as e:  # noqa: BLE001 - reported as a note, the rest still runs
            notes.append(f"No {name} comparison: {e}")
            out.append(None)
    return out[0], out[1], notes


def analyse(pack: Pack, sel: Selection, p: StatsParams) -> Analysis:
    """Run the whole ward analysis for one selection.

    Parameters
    ----------
    pack
        A loaded pack.
    sel
        Measure, period, rate, suppression threshold and borough filter.
    p
        Statistical parameters.

    Returns
    -------
    Analysis
        ``table`` has the ward-table columns plus ``eb_rate``,
        ``n_neighbours``, ``weights_fallback``, the columns of every local
        statistic of :mod:`hotspots.stats.registry` (``gi_*``, ``lisa_*``,
        ``bv_*``, ...) and the change columns
        ``count_prev``, ``change_abs``, ``change_pct``, ``change_label``,
        ``rank_prev``, ``rank_move``, ``small_base`` (against the previous
        period of the same length).

    Raises
    ------
    ValueError, InputDataError
        For an unknown measure, a backwards period or unusable values.
    """
    wt = ward_table(pack, sel)
    t = wt.frame  # with the smoothed rates (eb_rate) and what smoothing found (rate_notes)
    notes: list[str] = []
    lines = list(wt.rate_notes)
    if lines and lines[0].startswith("No population"):
        notes.append(lines[0])
    elif wt.is_sensitive and lines:
        # Per-area lines quote the area's count, which may be a suppressed one.
        notes.append(f"{len(lines)} areas have no usable population: their rates are "
                     "left blank.")
    elif lines:
        notes += lines[:3]
        if len(lines) > 3:
            notes.append(f"... and {len(lines) - 3} more areas without a usable population "
                         "(their rates are blank).")

    has_imd = bool(t["imd_score"].notna().sum() >= 3)
    if not has_imd:
        notes.append("No deprivation data for this layer: bivariate statistics, the "
                     "correlation with IMD and the decile table are left out.")
    hotspots = partial(
        stats.hotspot_table, t, value_col="value", imd_col="imd_score" if has_imd else None,
        population_col=(
            "population"
            if sel.rate == "count" and (pd.to_numeric(t["population"]) > 0).sum() >= 3
            else None
        ),
        weights=p.weights, k=p.k, threshold=p.threshold, permutations=p.permutations,
        seed=p.seed, correction=p.correction, alpha=p.alpha,
    )
    # The statistics (numpy, mostly outside the GIL) run beside the change tables
    # (pandas): neither reads what the other makes, and a core is free while they run.
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(contextvars.copy_context().run, hotspots)
        change, ytd, change_notes = _change_tables(pack, sel, p, t["area_code"])
        hot, hot_params = running.result()
    t = t.merge(hot, on="area_code", how="left")
    notes += change_notes
    if change is not None:
        cols = ["area_code", "count_prev", "change_abs", "change_pct", "change_label",
                "rank_prev", "rank_move", "small_base"]
        t = t.merge(change.frame[cols], on="area_code", how="left")
        t.loc[~t["has_data"], ["count_prev", "change_abs", "change_pct"]] = float("nan")

    by_borough = (
        association.spearman_by_group(t.assign(value=rank_values(t, sel)), measure="value",
                                      score="imd_score", by="borough_name")
        if has_imd else pd.DataFrame()
    )
    shared = None
    if wt.is_sensitive and has_imd:
        # The board headline: "x% of wards with 5 or more referrals fall into the
        # highest 20 percent of IMD score" (London-relative, and it says so).
        shared = association.share_in_most_deprived(
            t, measure="count", min_count=p.min_count, quantile=0.2, reference="layer",
            score="imd_score")
    deciles = (
        association.decile_table(t, measure="count", population="population",
                                 reference="layer", score="imd_score")
        if has_imd else pd.DataFrame()
    )
    conc = inequality.concentration(t, measure="count")
    params = {
        "selection": asdict(sel),
        "statistics": asdict(p),
        "hotspots": hot_params,
        "period_label": wt.period_label,
        "measure_label": wt.label,
    }
    frame = gpd.GeoDataFrame(t, geometry="geometry", crs=wt.frame.crs)
    return Analysis(ward=wt, table=frame, params=params, by_borough=by_borough,
                    deprived_share=shared, deciles=deciles, concentration=conc,
                    change=change, ytd=ytd, notes=tuple(notes))


#: Columns of the CSV export, in order: the ward table's, then every local statistic's
#: exported columns (:func:`hotspots.stats.registry.export_columns`), then the change.
EXPORT_COLUMNS = [
    "rank", "area_code", "area_name", "borough_name", "count", "population", "rate_per_1000",
    "eb_rate", "imd_score", "imd_rank", "imd_decile", "imd_share_20pct", "has_data",
    "n_neighbours", "weights_fallback", *stats.registry.export_columns(),
    "count_prev", "change_abs", "change_pct", "change_label", "rank_prev", "rank_move",
    "small_base",
]

#: Columns of :func:`global_table`.
GLOBAL_COLUMNS = ["statistic", "key", "value", "expected", "z_norm", "p_norm", "z_rand",
                  "p_rand", "z_sim", "p_sim", "permutations", "seed", "n"]


def global_table(a: Analysis) -> pd.DataFrame:
    """Return one row per global statistic of the registry (Moran's I, ...) for the analysis.

    Parameters
    ----------
    a
        An analysis.

    Returns
    -------
    DataFrame
        :data:`GLOBAL_COLUMNS`: the statistic's name and registry key, its value
        and expected value without clustering, z and p under normality,
        randomisation and permutation, the permutations, seed and number of
        wards; in the registry's order (statistics the analysis lacks are left out).
        For a sensitive measure the value, its z-scores and normal-theory p are
        blank (:func:`hotspots.stats.registry.public_global`): pseudo p and n stay.
    """
    h = a.params.get("hotspots", {})
    rows = []
    for s in stats.registry.global_statistics():
        g = h.get(s.key)
        if not g:
            continue
        run = g.get("params", {})
        g = stats.registry.public_global(g, sensitive=a.ward.is_sensitive)
        rows.append({"statistic": s.name, "key": s.key, "value": g.get(s.symbol),
                     "expected": g.get("E" + s.symbol),
                     **{k: g.get(k) for k in GLOBAL_COLUMNS[4:10]},
                     "permutations": run.get("permutations"), "seed": run.get("seed"),
                     "n": g.get("n")})
    return pd.DataFrame(rows, columns=GLOBAL_COLUMNS)


def params_for_export(a: Analysis) -> dict[str, Any]:
    """Return :attr:`Analysis.params` as a manifest may carry them.

    For a sensitive measure the global statistics keep their pseudo p, n and
    parameters but not their value, z-scores or normal-theory p
    (:func:`hotspots.stats.registry.public_params`); the CLI's ``analyse`` and
    the board pack write their manifests from this.
    """
    return {**a.params, "hotspots": stats.registry.public_params(
        a.params.get("hotspots", {}), sensitive=a.ward.is_sensitive)}


def analysis_for_export(a: Analysis) -> pd.DataFrame:
    """Return the analysis table with suppression applied, ready for CSV/GeoPackage.

    Counts, rates, smoothed rates, previous counts and changes are hidden
    wherever the count (or the previous count) is suppressed, for sensitive
    measures, and so is every statistic a suppressed count could be solved from
    (Gi* z, LISA I, bivariate I: :func:`hotspots.stats.registry.public_frame`;
    classes, p and q stay); text cells are neutralised against spreadsheet formulas.

    Parameters
    ----------
    a
        An analysis.

    Returns
    -------
    DataFrame
        :data:`EXPORT_COLUMNS` present in the table, ranked.
    """
    base = table_for_export(a.ward).set_index("area_code")
    t = a.table.drop(columns="geometry").set_index("area_code")
    out = stats.registry.public_frame(
        t[[c for c in EXPORT_COLUMNS if c in t and c != "area_code"]],
        sensitive=a.ward.is_sensitive).copy()
    for c in ("rank", "count", "rate_per_1000"):
        out[c] = base.loc[out.index, c]
    if "change_label" in out and "count_prev" in t:
        # Words, not signs: "+12 (+20.0%)" would be neutralised to "'+12 ..." in a spreadsheet.
        now, before = t.loc[out.index, "count"], t.loc[out.index, "count_prev"]
        out["change_label"] = [trends.change_words(c, p)
                               for c, p in zip(now, before, strict=True)]
    if a.ward.is_sensitive:
        thr = a.ward.selection.suppress_below
        hide = privacy.suppressed_mask(t["count"], threshold=thr)
        if "count_prev" in t:
            hide |= privacy.suppressed_mask(t["count_prev"], threshold=thr)
        for c in ("eb_rate", "count_prev", "change_abs", "change_pct", "change_label",
                  "rank_prev", "rank_move"):
            if c in out:
                out[c] = out[c].astype(object).where(~hide.to_numpy(), f"<{thr}" if c in (
                    "count_prev",) else None)
    out = out.reset_index().sort_values(["rank", "area_code"], na_position="last",
                                        kind="stable")
    if "data" in base:  # SYNTHETIC referrals say so on every row, as in table_for_export
        out.insert(0, "data", base["data"].iloc[0])
    return privacy.safe_for_spreadsheet(out.reset_index(drop=True))


#: Columns of :func:`emerging_wards` hidden for sensitive measures (z-scores and
#: trend statistics of monthly referral counts, which could narrow down a suppressed
#: count): :data:`hotspots.stats.registry.EMERGING_REVEALING`, the one rule.
EMERGING_SENSITIVE_COLUMNS = stats.registry.EMERGING_REVEALING


def emerging_wards(pack: Pack, sel: Selection, p: StatsParams
                   ) -> pd.DataFrame:
    """Emerging hot spots per ward: Gi* every month, Mann-Kendall on the z series.

    Every month the pack has for the measure's family is one time step (the
    selection's measure and boroughs apply, its period does not: trends need the
    whole series). Months inside that range without a record count 0. Wards
    without data for the measure (e.g. outside the crime source's coverage) are
    left out, as in the hotspot table.

    Parameters
    ----------
    pack, sel
        The pack and selection (measure, boroughs).
    p
        Weights, permutations, seed and correction as for :func:`analyse`; the
        hot/cold level of each month is 90% (``alpha=0.10``, ESRI's default).

    Returns
    -------
    DataFrame
        ``area_code``, ``area_name``, ``borough_name`` and the columns of
        :func:`hotspots.emerging.emerging_hotspots`, sorted by category then
        ward; for a sensitive measure :data:`EMERGING_SENSITIVE_COLUMNS` are
        dropped.

    Raises
    ------
    InputDataError
        Fewer months than :data:`hotspots.stats.emerging.MIN_TIME_STEPS` (10).
    """
    wt = ward_table(pack, sel)
    t = wt.frame[wt.frame["count"].notna()]
    source = family_records(pack, sel.measure)
    if source.empty:
        emerging.check_time_steps(0)
    first, last = pd.Period(source["month"].min(), "M"), pd.Period(source["month"].max(), "M")
    months = [str(m) for m in pd.period_range(first, last, freq="M")]
    emerging.check_time_steps(len(months), span=f"{months[0]} to {months[-1]}")
    records = _records_all_months(pack, sel)
    counts = (records[records["area_code"].isin(t["area_code"])]
              .pivot_table(index="area_code", columns="month", values="count", aggfunc="sum")
              .reindex(index=t["area_code"], columns=months).fillna(0.0))
    areas = pack.areas[pack.areas["area_code"].isin(t["area_code"])]
    sw = weights.build_weights(areas, kind=p.weights, k=p.k, threshold=p.threshold)
    res = emerging.emerging_hotspots(counts.loc[list(sw.ids)], sw, permutations=p.permutations,
                                     seed=p.seed, correction=p.correction, alpha=0.10)
    out = (res.rename_axis("area_code").reset_index()
           .merge(t[["area_code", "area_name", "borough_name"]], on="area_code", how="left"))
    if wt.is_sensitive:
        out = stats.registry.public_frame(out, sensitive=True)
    # Patterns first (in the registry's order), "no pattern detected" last.
    order = {c: i for i, c in enumerate(emerging.CATEGORIES)}
    order[emerging.NO_PATTERN] = len(order)
    out = out.sort_values(["trend_class", "area_name"],
                          key=lambda s: s.map(order) if s.name == "trend_class" else s)
    lead = ["area_code", "area_name", "borough_name"]
    return out[lead + [c for c in out.columns if c not in lead]].reset_index(drop=True)
