"""``store analyse`` and ``store emerging``: national LSOA statistics from the store.

The numbers come from :mod:`hotspots.pipeline.national`; this module only reads
the flags, runs it and writes the files (small counts hidden, text neutralised).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def stats_arguments(ss: argparse._SubParsersAction, default_store: Path) -> None:  # type: ignore[type-arg]
    """Add ``store analyse`` and ``store emerging`` to the ``store`` command group."""
    an = ss.add_parser("analyse", help="Gi*, LISA and EB rates per LSOA (all England and Wales "
                                       "or any place) with each nation's deprivation index")
    em = ss.add_parser("emerging", help="emerging hot spots per LSOA: Gi* every month and the "
                                        "Mann-Kendall trend, ArcGIS Pro's categories")
    for q in (an, em):
        q.add_argument("--level", choices=["lsoa"], default="lsoa",
                       help="areas: 2021 LSOAs (35,672 in England and Wales)")
        q.add_argument("--area", default="England and Wales",
                       help="place covered, as 'pack build --area' (a force, region, nation, "
                            "local authority; default: %(default)s)")
        q.add_argument("--from", dest="month_from", help="first month YYYY-MM (default: all)")
        q.add_argument("--to", dest="month_to", help="last month YYYY-MM (default: all)")
        q.add_argument("--of", choices=["crime", "asb"], default="crime",
                       help="'crime' (default): recorded crime, every police.uk crime type but "
                            "anti-social behaviour, as the national page's 'Recorded crime' "
                            "and 'patrol --measure crime'; 'asb': anti-social behaviour alone "
                            "(its own measure, never inside recorded crime)")
        q.add_argument("--crime-type", action="append", metavar="TYPE",
                       help="only this police.uk 'Crime type' (repeat for several; with --of "
                            "crime; default every type of the measure)")
        q.add_argument("--force", action="append",
                       help="only rows of this force ('Falls within'; repeat for several)")
        q.add_argument("--engine", choices=["locator", "spatial"], default="locator",
                       help="place the distinct points by the project's locator or DuckDB's "
                            "spatial join (the same counts)")
        q.add_argument("--permutations", type=int,
                       help="conditional permutations (default: the product's, as the "
                            "national and ward pages, analyse and the board pack)")
        q.add_argument("--seed", type=int,
                       help="permutation seed (default: the product's, as --permutations)")
        q.add_argument("--correction", choices=["fdr", "bonferroni", "none"], default="fdr",
                       help="multiple-testing control over the LSOAs (default %(default)s: "
                            "Benjamini-Hochberg; the page offers the same three)")
        q.add_argument("--suppress-below", type=int, default=5, metavar="N",
                       help="hide counts from 1 to N-1 (and their rates) in the files written "
                            "(default %(default)s; 0 hides nothing)")
        q.add_argument("--no-deprivation", action="store_true",
                       help="leave out the deprivation columns (faster)")
        q.add_argument("--sources", type=Path, help="national files TOML (default: shared data)")
        q.add_argument("--out", type=Path, required=True, help="output folder")
        q.add_argument("--store", type=Path, default=default_store,
                       help="the store's DuckDB file (default: %(default)s)")
    an.add_argument("--measure", choices=["count", "rate", "eb_rate"], default="count",
                    help="what Gi* and LISA are computed on (default: %(default)s)")
    an.add_argument("--alpha", type=float, default=0.05, help="FDR level (default %(default)s)")
    em.add_argument("--alpha", type=float, default=0.10,
                    help="FDR level of each month's Gi* (default %(default)s: ArcGIS's 90%%)")
    em.add_argument("--trend-alpha", type=float, default=0.05,
                    help="Mann-Kendall significance level (default %(default)s)")


def _categories(a: argparse.Namespace, known: list[str]) -> list[str]:
    """Return the crime types counted: the measure's (``--of``), narrowed by ``--crime-type``."""
    from hotspots._errors import InputDataError
    from hotspots.pipeline import nationalstats

    measure = nationalstats.of_categories(a.of, known)
    if not a.crime_type:
        if not measure:
            raise InputDataError(f"{a.store} holds no row of {nationalstats.OF[a.of].lower()} "
                                 f"({nationalstats.OF_CRIME_TYPES[a.of]}).")
        return measure
    other = [t for t in a.crime_type if t in known and t not in measure]
    if other:
        hint = ("anti-social behaviour is its own measure: use --of asb" if a.of == "crime"
                else "--of asb counts anti-social behaviour alone: use --of crime")
        raise InputDataError(f"--crime-type {', '.join(repr(t) for t in other)} is not "
                             f"{nationalstats.OF[a.of].lower()}; {hint}.")
    return list(a.crime_type)


def _counts(a: argparse.Namespace, layer: Any, data: Any
            ) -> tuple[Any, list[str], list[str], str, list[dict[str, Any]]]:
    """Count the rows behind the place's statistics: its forces' rows of the measure.

    Returns the counts, the months, the forces whose LSOAs are tested, which
    rows the reconciliation covers (in words) and the force-months that look
    incomplete (pack build's rule).
    """
    from hotspots import store
    from hotspots._errors import InputDataError
    from hotspots.pipeline import coverage, national

    con = store.connect(a.store, read_only=True, spatial=a.engine == "spatial")
    try:
        months = national.store_period(con, a.month_from, a.month_to)
        forces = store.store_forces(con)
        for flag, given, known in (("--force", a.force, forces),
                                   ("--crime-type", a.crime_type, store.store_categories(con))):
            unknown = [v for v in given or [] if v not in known]
            if unknown:
                raise InputDataError(
                    f"{flag} {', '.join(repr(v) for v in unknown)}: not in {a.store}. "
                    f"Its values: {', '.join(known) or 'none'}.")
        categories = _categories(a, store.store_categories(con))
        if a.force:
            read, words = list(a.force), f"rows of {', '.join(a.force)} (--force)"
        else:  # the forces covering the place (and any with no area), never every force's
            covering, unplaced = coverage.place_forces(forces, layer.place.lads,
                                                       data.catalogue)
            if not covering:
                raise InputDataError(coverage.no_data_message(
                    layer.place.name, coverage.store_coverage(forces, data.catalogue)))
            read, words = [*covering, *unplaced], coverage.forces_words(covering, unplaced)
        got = store.area_counts(con, layer.areas, months=(months[0], months[-1]),
                                forces=read, categories=categories, engine=a.engine,
                                details=True, label=f"police.uk ({a.store.name})")
        incomplete = coverage.incomplete_store_months(con, read, months, data)
    finally:
        con.close()
    words = f"{words}; {_measure_words(a)}; {_period(months)}"
    return got, months, a.force or forces, words, incomplete


def _write(a: argparse.Namespace, name: str, table: Any, layer: Any, got: Any,
           params: dict[str, Any], method: str) -> list[str]:
    import geopandas as gpd

    from hotspots import privacy
    from hotspots.areas import reconciliation_frame
    from hotspots.cli.common import record_export
    from hotspots.pipeline import national

    a.out.mkdir(parents=True, exist_ok=True)
    shown = national.export_frame(table, threshold=a.suppress_below)
    privacy.write_csv(shown, a.out / f"{name}.csv")
    geo = gpd.GeoDataFrame(privacy.safe_for_spreadsheet(shown),
                           geometry=layer.areas.set_index("area_code").geometry.reindex(
                               shown["area_code"]).to_numpy(), crs=layer.areas.crs)
    geo.to_parquet(a.out / f"{name}.parquet")
    privacy.write_csv(reconciliation_frame([got.reconciliation]), a.out / "reconciliation.csv")
    privacy.write_csv(got.reconciliation.details, a.out / "unassigned_rows.csv")
    (a.out / "method.txt").write_text(method, encoding="utf-8")
    run = {"command": f"store {a.store_command}", "store": str(a.store), **params,
           "suppress_below": a.suppress_below}
    (a.out / "run.json").write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    record_export(f"store {a.store_command}", a.out, data=str(a.store), selection={
        "measure": f"{params.get('of', 'crime')}: {params.get('crime_types', '')}",
        "month_from": params["months"][0] if params.get("months") else None,
        "month_to": params["months"][-1] if params.get("months") else None,
        "boroughs": [str(params.get("place", layer.place.label))]},
        suppress_below=a.suppress_below)
    return [f"{name}.csv", f"{name}.parquet", "reconciliation.csv", "unassigned_rows.csv",
            "method.txt", "run.json"]


def _layer(a: argparse.Namespace) -> tuple[Any, Any]:
    from hotspots.pipeline import national, packbuild
    from hotspots.pipeline.analysis import StatsParams

    shared = StatsParams()  # the one set of defaults (page, analyse, board pack)
    a.permutations = shared.permutations if a.permutations is None else a.permutations
    a.seed = shared.seed if a.seed is None else a.seed

    data = packbuild.load_national(a.sources)
    return national.load_lsoa_layer(data, a.area, deprivation=not a.no_deprivation), data


def _covered(layer: Any, data: Any, forces: list[str]) -> tuple[Any, Any]:
    """Keep the LSOAs of the forces in the store (or ``--force``): the rest are no data."""
    from hotspots.pipeline import coverage

    cov = coverage.store_coverage(forces, data.catalogue)
    return coverage.cover_layer(layer, cov)[0], cov


def _measure_words(a: argparse.Namespace) -> str:
    """Return the measure read, in words (``recorded crime (all but anti-social behaviour)``)."""
    from hotspots.pipeline import nationalstats

    types = ", ".join(a.crime_type) if a.crime_type else nationalstats.OF_CRIME_TYPES[a.of]
    return f"{nationalstats.OF[a.of].lower()} ({types})"


def _crime_words(a: argparse.Namespace) -> str | list[str]:
    """Return the crime types of the method text (the page's words for a whole measure)."""
    from hotspots.pipeline import nationalstats

    return list(a.crime_type) if a.crime_type else nationalstats.OF_CRIME_TYPES[a.of]


def _period(months: list[str]) -> str:
    return f"{months[0]} to {months[-1]} ({len(months)} months)"


def run_analyse(a: argparse.Namespace) -> int:
    """Run ``store analyse``; return the exit code."""
    from hotspots import privacy
    from hotspots.pipeline import coverage, national

    t0 = time.perf_counter()
    layer, data = _layer(a)
    got, months, forces, rows, incomplete = _counts(a, layer, data)
    layer, cov = _covered(layer, data, forces)
    t1 = time.perf_counter()
    res = national.lsoa_statistics(layer, got.counts, measure=a.measure,
                                   permutations=a.permutations, seed=a.seed, alpha=a.alpha,
                                   correction=a.correction)
    t2 = time.perf_counter()
    params = {**res.params, "of": a.of, "months": months, "crime_types": _crime_words(a),
              "rows_read": rows, "incomplete_months": incomplete,
              "forces": sorted(cov.forces), "layer_notes": list(layer.notes)}
    method = national.analyse_method(params, a.suppress_below)
    files = _write(a, "lsoa_statistics", res.table, layer, got, params, method)
    if len(layer.deprivation):
        deciles = national.export_frame(national.deprivation_deciles(res.table),
                                        threshold=a.suppress_below, rate_cols=("rate_per_1000",))
        privacy.write_csv(deciles, a.out / "deprivation_deciles.csv")
        files.append("deprivation_deciles.csv")
    print(f"{layer.place.label}: {len(layer.areas):,} LSOAs, {_period(months)}; counts in "
          f"{t1 - t0:.1f}s, statistics in {t2 - t1:.1f}s")
    print(got.reconciliation.text())
    print(f"  ({rows})")
    for line in coverage.incomplete_lines(incomplete):
        print("  " + line)
    print("  " + layer.notes[-1])
    for key in ("gi_star", "lisa"):
        s = res.params.get(key, {})
        if s:
            print(f"  {s.get('statistic', key)}: {s.get('n_significant', 0):,} of "
                  f"{s.get('n_tested', 0):,} LSOAs significant ({a.correction} {a.alpha:g})")
    for line in res.params.get("report", [])[:10]:
        print("  " + line)
    print(f"Wrote {a.out}/: {', '.join(files)}")
    return 0


def run_emerging(a: argparse.Namespace) -> int:
    """Run ``store emerging``; return the exit code."""
    from hotspots.pipeline import coverage, national

    t0 = time.perf_counter()
    layer, data = _layer(a)
    got, months, forces, rows, incomplete = _counts(a, layer, data)
    layer, cov = _covered(layer, data, forces)
    t1 = time.perf_counter()
    table = national.lsoa_emerging(layer, got.counts, months, permutations=a.permutations,
                                   seed=a.seed, alpha=a.alpha, trend_alpha=a.trend_alpha,
                                   correction=a.correction)
    t2 = time.perf_counter()
    params = {"level": "lsoa", "of": a.of, "place": layer.place.label, "months": months,
              "crime_types": _crime_words(a), "rows_read": rows,
              "incomplete_months": incomplete, "forces": sorted(cov.forces),
              "permutations": a.permutations, "seed": a.seed, "alpha": a.alpha,
              "trend_alpha": a.trend_alpha, "correction": a.correction,
              "layer_notes": list(layer.notes),
              "deprivation_note": national.DEPRIVATION_NOTE}
    method = national.emerging_method(params, a.suppress_below)
    files = _write(a, "emerging_hotspots", table, layer, got, params, method)
    print(f"{layer.place.label}: {len(layer.areas):,} LSOAs x {_period(months)}; counts in "
          f"{t1 - t0:.1f}s, Gi* per month and Mann-Kendall in {t2 - t1:.1f}s")
    print(got.reconciliation.text())
    print(f"  ({rows})")
    for line in coverage.incomplete_lines(incomplete):
        print("  " + line)
    print("  " + layer.notes[-1])
    for cat, n in table["trend_class"].value_counts().items():
        print(f"  {cat}: {n:,}")
    print(f"Wrote {a.out}/: {', '.join(files)}")
    return 0
