"""The board pack's patrol-cell pages: street-scale hot spots for tasking, from police.uk points.

One call of :func:`hotspots.patrol.analysis.analyse_patrol` (grid, counts, KDE,
Gi*, one selection rule, rolling backtest) is arranged here into what the pack
prints and exports: the cell map (:func:`hotspots.maps.printmaps.cell_map`) beside
the patrol list, the backtest summary with one finding written from one of its
rows (the :class:`~hotspots.report.content.Finding` mechanism, so the sentence
is checked against the table), a PAI-per-month chart, and the method in plain
words. Nothing here computes a statistic.

Recorded crime only: the grid holds police.uk street-level crime; referrals are
never placed on a grid, a point or a surface.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from hotspots import periods, pipeline
from hotspots._errors import InputDataError
from hotspots.config import jsonable
from hotspots.maps import printmaps as staticmaps
from hotspots.patrol import (
    MAX_CELLS,
    METHOD_LABELS,
    PatrolAnalysis,
    analyse_patrol,
    default_study_area,
    method_sections,
    patrol_warnings,
)
from hotspots.report.config import ReportConfig
from hotspots.report.content import Finding, Table
from hotspots.report.figures import FigureSpec

__all__ = [
    "PRINT_TYPE_NAMES",
    "PatrolSection",
    "build_patrol_section",
    "patrol_status",
]

#: Size (inches) of the cell map as printed beside the patrol list (the left 54% of
#: an A4 landscape page's text width, by the height under the page heading).
CELL_MAP_IN: tuple[float, float] = (5.55, 6.0)

#: Size (inches) of the PAI-per-month chart on the backtest page.
PAI_CHART_IN: tuple[float, float] = (10.4, 2.9)

#: Shorter police.uk crime type names for the printed list (the CSV keeps the full names).
PRINT_TYPE_NAMES: Mapping[str, str] = {
    "Anti-social behaviour": "ASB",
    "Violence and sexual offences": "Violence & sexual",
    "Criminal damage and arson": "Criminal damage",
    "Theft from the person": "Theft from person",
    "Possession of weapons": "Weapons",
}

#: How each method ranks cells, for sentences.
METHOD_WORDS: Mapping[str, str] = {
    "counts": "crime counts",
    "kde": "kernel density",
    "gi_star": "Gi* hot spots (normal-approximation p)",
    "gi_star_perm": "Gi* hot spots (permutation p)",
    "naive": "last month's counts",
}

_PREFIX = "On or near "


def _method_words(pa: PatrolAnalysis) -> str:
    """How the list's method ranks cells, in words: ``"crime counts"``, ``"kernel density"``."""
    if pa.method == "counts":
        return f"{pa.noun[:-1]} counts"  # "crime counts", "ASB incident counts"
    return METHOD_WORDS.get(pa.method, pa.method)


def _cap(noun: str) -> str:
    """``"crimes"`` -> ``"Crimes"``; ``"ASB incidents"`` stays."""
    return noun[:1].upper() + noun[1:]
_FIXED = ("rank", "cell_id", "lat", "lon", "easting", "northing", "count", "score", "harm",
          "street", "street_source", "street_distance_m")


@dataclass(frozen=True, eq=False)
class PatrolSection:
    """Everything the pack shows for the patrol cells.

    Attributes
    ----------
    analysis
        The patrol analysis.
    study_area
        Boroughs of the study area, as words (``"City of London"``).
    title
        Heading of the map-and-list page (study area and list period).
    tables
        ``patrol_list``, ``patrol_backtest`` (when a backtest ran),
        ``patrol_backtest_months``, ``patrol_grid`` (one row per cell, with
        its polygon as WKT in EPSG:27700) and ``patrol_reconciliation``.
    findings
        Written from rows of ``patrol_backtest``.
    figures
        The cell map and (with a backtest) the PAI-per-month chart.
    printed_list
        The patrol list as printed beside the map (fewer, shorter columns).
    list_notes, backtest_notes
        Small print under the list and the backtest table.
    method
        (label, text) rows of the patrol method page.
    source_text
        The points' source, for the title page and the sources table.
    """

    analysis: PatrolAnalysis
    study_area: str
    title: str
    tables: dict[str, Table]
    findings: tuple[Finding, ...]
    figures: tuple[FigureSpec, ...]
    printed_list: pd.DataFrame
    list_notes: tuple[str, ...]
    backtest_notes: tuple[str, ...]
    method: tuple[tuple[str, str], ...]
    source_text: str

    @property
    def cell_map(self) -> FigureSpec:
        """The cell map."""
        return self.figures[0]

    @property
    def pai_chart(self) -> FigureSpec | None:
        """The PAI-per-month chart, or ``None`` without a backtest."""
        return self.figures[1] if len(self.figures) > 1 else None


# --------------------------------------------------------------------------- on or off


def _study_boroughs(pack: pipeline.Pack, cfg: ReportConfig) -> tuple[str, ...]:
    return tuple(cfg.patrol.boroughs) or tuple(pack.meta.points_boroughs or ())


def _study_area(pack: pipeline.Pack, cfg: ReportConfig) -> tuple[tuple[str, ...], str]:
    """Return the study area and why: the config's, else the page's default rule.

    A force pack too large for one grid starts, as the page and the command line do,
    on the authority with the most located records (:func:`default_study_area`).
    """
    boroughs = _study_boroughs(pack, cfg)
    if cfg.patrol.boroughs or pack.points is None:
        return boroughs, ""
    return default_study_area(pack.points, pack.areas, boroughs,
                              cell_size=cfg.patrol.params.cell_size,
                              max_cells=MAX_CELLS,
                              choose="with [patrol] boroughs in the report config")


def patrol_status(pack: pipeline.Pack, cfg: ReportConfig) -> tuple[bool, str]:
    """Say whether the pack gets patrol pages, and why (printed in the manifest).

    Parameters
    ----------
    pack
        The loaded pack.
    cfg
        The config (``cfg.patrol.enabled``: ``True``, ``False`` or ``None`` =
        when the pack has points in the pack's boroughs).

    Returns
    -------
    tuple
        ``(included, reason)``.

    Raises
    ------
    InputDataError
        ``enabled = true`` but the pack has no street-level points or no
        study area.
    """
    where = str(cfg.source) if cfg.source is not None else "report config"
    on = cfg.patrol.enabled
    if on is False:
        return False, "switched off in the config ([patrol] enabled = false)"
    if pack.points is None or len(pack.points) == 0:
        if on:
            raise InputDataError(
                f"{where}: [patrol] enabled = true, but the pack has no street-level points "
                "(pack.json 'points_file', or data.police_uk): add police.uk street CSVs or "
                "set enabled = false.")
        return False, "the pack has no street-level points"
    study = _study_boroughs(pack, cfg)
    if not study:
        if on:
            raise InputDataError(
                f"{where}: [patrol] enabled = true, but no study area is known: name it with "
                "[patrol] boroughs = [\"...\"].")
        return False, "no study area for the points (set [patrol] boroughs)"
    if on is None and cfg.boroughs and not set(study) & set(cfg.boroughs):
        return False, (f"the street-level points cover {', '.join(study)}, outside this pack's "
                       f"boroughs ({', '.join(cfg.boroughs)}); set [patrol] enabled = true "
                       "to include them anyway")
    return True, ("switched on in the config" if on else
                  "the pack has street-level points (default)")


# --------------------------------------------------------------------------- tables


def _frame_table(name: str, title: str, frame: pd.DataFrame, key: str,
                 notes: Sequence[str] = ()) -> Table:
    return Table(name, title, frame, pd.DataFrame(False, index=frame.index,
                                                  columns=frame.columns), key,
                 tuple(n for n in notes if n))


def _type_columns(plist: pd.DataFrame) -> list[str]:
    return [c for c in plist.columns if c not in _FIXED]


def _top_types(row: pd.Series, types: Sequence[str], *, short: bool, n: int = 3) -> str:
    counts = sorted(((int(row[t]), t) for t in types if int(row[t]) > 0),
                    key=lambda ct: (-ct[0], ct[1]))[:n]
    name = (lambda t: PRINT_TYPE_NAMES.get(t, t)) if short else (lambda t: t)
    return ", ".join(f"{name(t)} {c}" for c, t in counts)


def _list_table(pa: PatrolAnalysis, title: str) -> tuple[Table, pd.DataFrame]:
    pl = pa.patrol
    types = _type_columns(pl)
    frame = pd.DataFrame({
        "Rank": pl["rank"].astype(int).to_numpy(),
        "Cell": pl["cell_id"].astype(str).to_numpy(),
        "Street (police.uk location)": pl["street"].fillna("").astype(str).to_numpy(),
        _cap(pa.noun): pl["count"].astype(int).to_numpy(),
        "Top offence types": [_top_types(r, types, short=False) for _, r in pl.iterrows()],
        "Score": pl["score"].astype(float).round(3).to_numpy(),
        "Easting": pl["easting"].round(1).to_numpy(),
        "Northing": pl["northing"].round(1).to_numpy(),
        "Latitude": pl["lat"].round(6).to_numpy(),
        "Longitude": pl["lon"].round(6).to_numpy(),
    })
    if "harm" in pl:
        frame.insert(4, "Harm", pl["harm"].astype(float).round(2).to_numpy())
    for t in types:
        frame[t] = pl[t].astype(int).to_numpy()
    notes = (
        f"{_cap(pa.noun)} = police.uk {pa.noun} placed in the cell, {pa.period_label}; "
        f"cells ranked by {_method_words(pa)} ({pa.method_reason}).",
        "Street = the most common police.uk location text in the cell: an anonymous snap "
        "point near the crimes, not an address.",
        f"Cell = grid cell id ({pa.spec.shape}, {pa.spec.size:g} m; row and column in the "
        "name); Easting/Northing = the cell centre (EPSG:27700).",
    )
    short = pd.DataFrame({
        "Rank": frame["Rank"], "Cell": frame["Cell"],
        "Street": [s[len(_PREFIX):] if s.startswith(_PREFIX) else s
                   for s in frame["Street (police.uk location)"]],
        _cap(pa.noun): frame[_cap(pa.noun)],
        "Top offence types": [_top_types(r, types, short=True) for _, r in pl.iterrows()],
    })
    return _frame_table("patrol_list", title, frame, "Cell", notes), short


def _round(v: object, d: int) -> object:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return round(float(v), d)  # type: ignore[arg-type]


def _backtest_table(pa: PatrolAnalysis) -> Table | None:
    if pa.backtest is None:
        return None
    s = pa.backtest.summary
    p = pa.params
    rows = []
    for m, r in s.iterrows():
        row: dict[str, Any] = {
            "Method": str(m), "Description": METHOD_LABELS.get(str(m), str(m)),
            "Months held out": int(r["months"]), "Months with a PAI": int(r["months_pai"]),
            "Median PAI": _round(r["median_pai"], 2), "Mean PAI": _round(r["mean_pai"], 2),
            "Min PAI": _round(r["min_pai"], 2), "Max PAI": _round(r["max_pai"], 2),
            "Mean hit rate (%)": _round(100 * r["mean_hit_rate"], 1),
        }
        if p.area_share is not None:
            row["Target area (%)"] = _round(100 * p.area_share, 2)
        else:
            row["Target cells"] = int(p.top_n)  # type: ignore[arg-type]
        row |= {"Mean area patrolled (%)": _round(r["mean_area_pct"], 1),
                "Median RRI": _round(r["median_rri"], 2),
                f"{_cap(pa.noun)} captured": int(r["captured"]),
                f"{_cap(pa.noun)} (held-out months)": int(r["crimes"])}
        rows.append(row)
    frame = pd.DataFrame(rows)
    first, last = pa.backtest.params["months"]
    title = (f"Backtest: {int(pa.backtest.params['test_months'])} held-out months "
             f"({first} to {last}), {p.train_months} training months each")
    notes = (
        f"PAI (Predictive Accuracy Index) = share of the held-out month's {pa.noun} in the "
        "chosen cells / share of the area they cover: 1 = no better than chance.",
        f"Hit rate = share of the held-out month's {pa.noun} captured; RRI = the chosen cells' "
        f"{pa.noun} this month against last month, relative to all of them (1 = kept its "
        "share).",
        f"Months with a PAI: months in which the method chose at least one cell and there were "
        f"{pa.noun}; 'gi_star' and 'gi_star_perm' choose only significant hot cells (normal-"
        "approximation and permutation p), so they can patrol less than the target area or "
        "nothing.",
    )
    return _frame_table("patrol_backtest", title, frame, "Method", notes)


def _months_table(pa: PatrolAnalysis) -> Table | None:
    if pa.backtest is None:
        return None
    f = pa.backtest.per_month.copy()
    for c in ("area_pct", "hit_rate", "pai", "rri", "hit_rate_at_share"):
        if c in f:
            f[c] = f[c].astype(float).round(4)
    return _frame_table("patrol_backtest_months", "Backtest: every method, every held-out "
                        "month", f.reset_index(drop=True), "method")


def _grid_table(pa: PatrolAnalysis) -> Table:
    g = pa.grid
    keep = [c for c in ("cell_id", "row", "col", "cell_area_m2", "full", "centre_x",
                        "centre_y", "lon", "lat", "count", "harm", "kde", "gi_z", "gi_p",
                        "gi_q", "gi_class", "gi_hot", "gi_p_normal", "gi_q_normal",
                        "gi_hot_normal", "gi_p_perm", "gi_q_perm", "gi_hot_perm",
                        *(c for c in g.columns
                                                       if c.startswith("score_")),
                        "selected_rank", "trend_class") if c in g.columns]
    f = pd.DataFrame(g[keep]).copy()
    for c in ("full", "gi_hot", "gi_hot_normal", "gi_hot_perm"):
        if c in f:
            f[c] = f[c].astype(bool)
    for c in f.columns:
        if f[c].dtype.kind == "f" and c not in ("lon", "lat"):
            f[c] = f[c].round(6)
    f["wkt_epsg27700"] = shapely.to_wkt(g.geometry.to_numpy(), rounding_precision=2)
    return _frame_table("patrol_grid", f"Patrol grid: every cell ({len(f):,}), "
                        f"{pa.period_label}", f.reset_index(drop=True), "cell_id",
                        ("Polygons as WKT in EPSG:27700 (British National Grid): load with "
                         "any GIS.",))


def _reconciliation_table(pa: PatrolAnalysis) -> Table:
    row = {**pa.reconciliation.to_row(), "note": pa.reconciliation_text}
    frame = pd.DataFrame([{k: (v.item() if isinstance(v, np.generic) else v)
                           for k, v in row.items()}])
    frame.insert(0, "Source", pa.source)
    return _frame_table("patrol_reconciliation", "Street-level points: where every row went",
                        frame, "Source")


# --------------------------------------------------------------------------- findings


def _findings(pa: PatrolAnalysis, bt: Table | None) -> list[Finding]:
    if bt is None:
        return []
    out: list[Finding] = []
    f = bt.frame.set_index("Method")
    if pa.method in f.index and int(f.at[pa.method, "Months with a PAI"]) > 0:
        r = f.loc[pa.method]
        if pa.params.area_share is not None:
            area = (f"the highest-scoring cells until they cover {r['Target area (%)']:g}% of "
                    f"the area ({r['Mean area patrolled (%)']:.1f}% on average)")
            cols = ("Target area (%)",)
        else:
            area = (f"the top {int(r['Target cells'])} cells ({r['Mean area patrolled (%)']:.1f}% "
                    "of the area on average)")
            cols = ("Target cells",)
        text = (f"Patrol cells: choosing {area} by {_method_words(pa)} would have "
                f"captured {r['Mean hit rate (%)']:.1f}% of the next month's {pa.noun} (median "
                f"PAI {r['Median PAI']:.2f} over {int(r['Months with a PAI'])} held-out months; "
                "1 = chance).")
        out.append(Finding(text, bt.name, pa.method, (
            *cols, "Mean area patrolled (%)", "Mean hit rate (%)", "Median PAI",
            "Months with a PAI")))
    if "naive" in f.index and int(f.at["naive", "Months with a PAI"]) > 0:
        r = f.loc["naive"]
        out.append(Finding(
            f"Baseline for comparison: last month's counts alone gave a median PAI of "
            f"{r['Median PAI']:.2f} and captured {r['Mean hit rate (%)']:.1f}% of the next "
            f"month's {pa.noun}.", bt.name, "naive", ("Median PAI", "Mean hit rate (%)")))
    return out


# --------------------------------------------------------------------------- figures


def _figures(pa: PatrolAnalysis, pack: pipeline.Pack, title: str) -> list[FigureSpec]:
    g = pa.grid
    study = pack.areas[pack.areas["borough_name"].isin(pa.boroughs)]
    if study.crs is not None and study.crs.to_epsg() != 27700:
        study = study.to_crs(27700)
    labels = {str(r.cell_id): str(int(r.rank)) for r in pa.patrol.itertuples()}
    gi_tested = bool(pa.gi_params.get("tested"))
    what = "harm" if pa.params.harm is not None else "count"
    by = ("normal-approximation p" if pa.params.gi_inference == "normal"
          else f"{pa.params.permutations:,} permutations")
    hot_note = (f"Gi* hot spot: q \u2264 {pa.params.alpha:g} after FDR, z > 0, {by} (dashed, "
                "inside the cell)."
                if gi_tested else "Gi* not computed: " + str(pa.gi_params.get("reason", "")))
    note = ("Natural breaks (Fisher-Jenks); brackets = number of cells. Numbers in cells = "
            f"patrol-list rank. {hot_note} Dotted lines: ward boundaries.")
    fig = staticmaps.cell_map(
        g, what, title=title,
        legend_title=f"{_cap(pa.noun)} per cell, {pa.period_label}" if what == "count"
        else f"Harm per cell, {pa.period_label}",
        selected=list(pa.patrol["cell_id"]),
        hot=list(g.loc[g["gi_hot"].astype(bool), "cell_id"]) if gi_tested else None,
        labels=labels, context_areas=study,
        subtitle=(f"{len(g):,} {pa.spec.shape} cells of {pa.spec.size:g} m; {pa.source}"),
        selected_label=f"Patrol cells, by {pa.method}", note=note,
        attribution=(f"{staticmaps.ATTRIBUTION_DEFAULT} {staticmaps.ATTRIBUTION_POLICE_UK}"),
        figsize=CELL_MAP_IN, zero_class=True)
    out = [FigureSpec("patrol_cell_map", title, fig, "map")]
    if pa.backtest is not None:
        pm = pa.backtest.per_month
        fig = staticmaps.trend_chart(
            pm.assign(series=pm["method"].map(lambda m: f"{m} (baseline)" if m == "naive"
                                              else str(m))),
            x="test_month", y="pai", series="series",
            title="PAI per held-out month (1 = chance; gaps = no PAI that month)",
            ylabel="PAI", figsize=PAI_CHART_IN)
        out.append(FigureSpec("patrol_backtest_pai", "PAI per held-out month", fig, "chart"))
    return out


# --------------------------------------------------------------------------- method


def _data_difference(pa: PatrolAnalysis, pack: pipeline.Pack,
                     current: periods.Period) -> str:
    months = list(pa.monthly.columns)
    first, last = str(months[0]), str(months[-1])
    ward = set(current.months)
    common = ward & {str(m) for m in months}
    # only the force whose rows the maps show (not the forces read but outside the area)
    crime_src = (pipeline.wording.crime_source_used(pack.meta.crime_source)
                 if pack.meta.crime_source else "the ward-level crime data")
    if not common:
        when = f"no month in common with the ward maps' period ({current.label})"
    elif len(common) < len(ward):
        when = f"only {len(common)} month(s) in common with the ward maps' period"
    else:
        when = "the same months as the ward maps"
    span = "" if first in pa.source and last in pa.source else f", {first} to {last}"
    text = (f"The ward maps show {crime_src}, {current.label}. The patrol cells use "
            f"{pa.source}{span}: {when}.")
    if pack.meta.points_note:
        text += " " + pack.meta.points_note
    return text


def _cli_command(cfg: ReportConfig, pa: PatrolAnalysis) -> str:
    p = pa.params
    parts = ["python -m hotspots patrol"]
    if cfg.pack is not None:
        parts.append("--pack PACK")
    parts += [f"--borough '{b}'" for b in pa.boroughs]
    parts += [f"--cell-size {p.cell_size if p.cell_size == 'auto' else f'{p.cell_size:g}'}",
              f"--shape {p.shape}", f"--from {pa.list_months[0]}", f"--to {pa.list_months[-1]}"]
    parts.append(f"--area-share {p.area_share:g}" if p.area_share is not None
                 else f"--top-n {p.top_n}")
    parts += [f"--measure {p.measure}", *(f"--crime-type '{t}'" for t in p.crime_types)]
    if p.method is not None:
        parts.append(f"--method {p.method}")
    parts += [f"--permutations {p.permutations}", f"--seed {p.seed}", f"--alpha {p.alpha:g}",
              f"--gi-inference {p.gi_inference}",
              f"--train-months {p.train_months}", "--out out/patrol"]
    return " ".join(parts)


def _method_rows(pa: PatrolAnalysis, pack: pipeline.Pack, cfg: ReportConfig,
                 current: periods.Period) -> list[tuple[str, str]]:
    """Return the patrol method's sections (as page and ``method.txt``) and the pack's own."""
    rows = list(method_sections(pa))
    rows.insert(1, ("Not the ward maps' data", _data_difference(pa, pack, current)))
    rows.append(("Referrals", "Never placed on the grid, as points or as a surface: they "
                 "appear in this pack only as ward counts with small numbers suppressed."))
    rows.append(("Reproduce", _cli_command(cfg, pa) + " gives the same cells, list and "
                 "backtest."))
    return rows


# --------------------------------------------------------------------------- section


def build_patrol_section(pack: pipeline.Pack, cfg: ReportConfig,
                         current: periods.Period) -> PatrolSection:
    """Run the patrol analysis once and arrange its pages, tables and findings.

    Parameters
    ----------
    pack
        The loaded pack, with street-level points (``pack.points``).
    cfg
        The config (``cfg.patrol``: settings and study area).
    current
        The report's period (to say how the points' period differs from it).

    Returns
    -------
    PatrolSection

    Raises
    ------
    InputDataError
        No points, an unknown study-area borough, a list period outside the
        points' months (from :func:`hotspots.patrol.analysis.analyse_patrol`).
    """
    if pack.points is None:
        raise InputDataError("The pack has no street-level points for the patrol pages.")
    boroughs, why = _study_area(pack, cfg)
    source = pack.meta.points_source or "police.uk street-level crime"
    pa = analyse_patrol(pack.points, pack.areas, boroughs, cfg.patrol.params,
                        rejected=pack.meta.points_rejected, source=source)
    study = ", ".join(pa.boroughs)
    title = f"Patrol cells: {study}, {pa.period_label}"
    map_title = f"Where to patrol: {study}, {pa.period_label}"
    lst, printed = _list_table(pa, f"Patrol list: {study}, {pa.period_label} "
                                   f"({len(pa.patrol)} cells by {pa.method})")
    bt = _backtest_table(pa)
    tables = {t.name: t for t in (lst, bt, _months_table(pa), _grid_table(pa),
                                  _reconciliation_table(pa)) if t is not None}
    findings = tuple(_findings(pa, bt))
    empty = () if len(pa.patrol) else (
        f"No cell was chosen: '{pa.method}' scored no cell above 0 in {pa.period_label}"
        + (" (Gi* found no significant hot cell; see the method page)."
           if pa.method == "gi_star" else "."),)
    list_notes = (*((why,) if why else ()), *empty, *patrol_warnings(pa),
        f"{len(pa.patrol)} cells chosen by {_method_words(pa)} "
        f"({pa.method_reason}).",
        f"Crimes: police.uk street-level crimes in the cell, {pa.period_label}; Street: the "
        "most common police.uk location in the cell ('On or near' left off), a snap point, "
        "not an address.",
        "Every cell: patrol_grid.csv; the full list with every offence type and the cell "
        "centres: patrol_list.csv.",
    )
    return PatrolSection(
        analysis=pa, study_area=study, title=title, tables=tables, findings=findings,
        figures=tuple(_figures(pa, pack, map_title)), printed_list=printed,
        list_notes=list_notes, backtest_notes=bt.notes if bt is not None else (),
        method=tuple(_method_rows(pa, pack, cfg, current)),
        source_text=source + (f" {pack.meta.points_note}" if pack.meta.points_note else ""))


def patrol_manifest(section: PatrolSection | None, status: tuple[bool, str]) -> dict[str, Any]:
    """Return the patrol part of the run manifest (JSON-ready)."""
    out: dict[str, Any] = {"included": status[0], "reason": status[1]}
    if section is None:
        return out
    pa = section.analysis
    out |= {
        "params": pa.params.to_dict(), "boroughs": list(pa.boroughs), "source": pa.source,
        "grid": pa.spec.to_dict(), "list_period": list(pa.list_months), "method": pa.method,
        "method_reason": pa.method_reason,
        "kde": {"bandwidth_m": pa.kde.bandwidth, "rule": pa.kde.rule},
        "gi_star": dict(pa.gi_params),
        "backtest": dict(pa.backtest.params) if pa.backtest is not None else None,
        "reconciliation": pa.reconciliation.to_row(),
        "patrol_cells": [str(c) for c in pa.patrol["cell_id"]],
    }
    return jsonable(out)


