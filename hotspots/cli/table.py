"""``table``, ``analyse``, ``check`` and ``measures``: the page's ward table in batch."""

from __future__ import annotations

import argparse
from pathlib import Path

from hotspots.cli.common import (
    add_assume_crs,
    add_crime_ids,
    print_reconciliation,
    print_ward_names,
    write_reconciliation,
    write_run_manifest,
    write_ward_files,
)

#: The table group's commands and their one-line help.
TABLE_COMMANDS = {
    "table": "write the ward table (CSV + GeoPackage) and reconciliation",
    "analyse": "the ward table with hotspot statistics, association and change tables, plus "
               "a run manifest",
    "check": "read the files and say where every row went (the reconciliation and every "
             "problem), without a table",
    "measures": "list the measures a pack offers",
}


def table_arguments(sub, only: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Add ``table``, ``analyse``, ``check`` and ``measures`` to the subcommand parsers.

    With ``only`` (a command name, or ``""`` for none), the other commands get a bare
    parser with their help line: their defaults need the pipeline's imports (about a
    second), which ``--help`` and the other commands should not pay.
    """
    if only is not None and only not in TABLE_COMMANDS:
        for name, help_ in TABLE_COMMANDS.items():
            sub.add_parser(name, help=help_)
        return
    from hotspots import pipeline
    from hotspots.pipeline.analysis import StatsParams
    from hotspots.privacy import DEFAULT_THRESHOLD

    d = StatsParams()  # the page's and the board pack's defaults too
    for name, help_ in TABLE_COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        if only is not None and name != only:
            continue
        src = p.add_argument_group("data (a pack folder, or files)")
        src.add_argument("--pack", type=Path, help="pack folder (default: the demo pack)")
        src.add_argument("--areas", type=Path, help="boundary file (any CRS)")
        src.add_argument("--layer", help="layer in a multi-layer boundary file")
        src.add_argument("--police-uk", type=Path, action="append",
                         help="police.uk CSV, folder or zip (repeat for several: read "
                              "together, a file given twice is read once)")
        src.add_argument("--mps", type=Path, action="append",
                         help="MPS ward-level crime file (repeat for several)")
        src.add_argument("--referrals", type=Path, help="referral spreadsheet (CSV/XLSX)")
        src.add_argument("--mapping", type=Path, help="referral column mapping (JSON)")
        src.add_argument("--population", type=Path, help="CSV: area_code, population")
        src.add_argument("--imd", type=Path, help="CSV: area_code, imd_score, ...")
        add_crime_ids(src)
        src.add_argument("--assign-by", choices=["point", "lsoa"], default="point",
                         help="place police.uk rows by snap point in the area (default) or by "
                              "their own LSOA code (ONS LSOA 2021 -> ward 2025 best-fit lookup)")
        add_assume_crs(src)
        if name == "check":
            p.add_argument("--out", type=Path, help="also write reconciliation.csv, "
                                                    "unassigned_rows.csv and problems.csv here")
        if name in ("table", "analyse"):
            p.add_argument("--measure", default="crime:all", help="measure key (see 'measures')")
            p.add_argument("--from", dest="month_from", help="first month YYYY-MM")
            p.add_argument("--to", dest="month_to", help="last month YYYY-MM (default: latest)")
            p.add_argument("--rate", choices=list(pipeline.RATE_LABELS), default="count",
                           help="count, crude rate per 1,000 residents, or the rate smoothed "
                                f"by {pipeline.EB_METHOD_WORDS} (eb_per_1000)")
            p.add_argument("--suppress-below", type=int, default=DEFAULT_THRESHOLD,
                           help="hide referral counts from 1 to N-1 (default %(default)s)")
            p.add_argument("--out", type=Path, required=True, help="output folder")
            p.add_argument("--borough", action="append", default=[],
                           help="limit to a borough (repeat for several)")
        if name == "analyse":
            st = p.add_argument_group("statistics")
            st.description = ("Defaults are the page's and the board pack's "
                              "(hotspots.pipeline.analysis.StatsParams).")
            st.add_argument("--weights", choices=["queen", "rook", "knn", "distance"],
                            default=d.weights, help="default %(default)s")
            st.add_argument("--k", type=int,
                            help=f"neighbours for --weights knn (default {d.k})")
            st.add_argument("--threshold", type=float,
                            help="distance band (m) for --weights distance")
            st.add_argument("--permutations", type=int, default=d.permutations,
                            help="default %(default)s")
            st.add_argument("--seed", type=int, default=d.seed, help="default %(default)s")
            st.add_argument("--correction", choices=["fdr", "bonferroni", "none"],
                            default=d.correction, help="default %(default)s")
            st.add_argument("--alpha", type=float, default=d.alpha,
                            help="significance of LISA clusters (default %(default)s)")
            st.add_argument("--year-start", choices=["financial", "project", "calendar"],
                            default=d.year_start,
                            help="year convention for year to date (default %(default)s)")
            st.add_argument("--min-count", type=int, default=d.min_count,
                            help="'wards with at least N' in the deprivation headline "
                                 "(default %(default)s)")
            st.add_argument("--emerging", action="store_true",
                            help="also write emerging hot spots per ward (Gi* every month, "
                                 "Mann-Kendall trend): emerging_wards.csv")


def check_stats_flags(a: argparse.Namespace) -> None:
    """Refuse a statistics flag that the chosen weights do not use."""
    from hotspots._errors import InputDataError

    if a.k is not None and a.weights != "knn":
        raise InputDataError(f"--k applies to --weights knn (here --weights {a.weights}): "
                             "add --weights knn, or leave --k out.")
    if a.threshold is not None and a.weights != "distance":
        raise InputDataError(f"--threshold applies to --weights distance (here --weights "
                             f"{a.weights}): add --weights distance, or leave --threshold out.")


def run_analyse(a: argparse.Namespace, pack, sel) -> int:  # type: ignore[no-untyped-def]
    """Run ``analyse``: write the ward statistics, global tables and manifest; print a summary."""
    from hotspots import privacy, stats
    from hotspots.pipeline import analysis as analysis

    d = analysis.StatsParams()
    p = analysis.StatsParams(weights=a.weights, k=d.k if a.k is None else a.k,
                             threshold=d.threshold if a.threshold is None else a.threshold,
                             permutations=a.permutations, seed=a.seed, correction=a.correction,
                             alpha=a.alpha, year_start=a.year_start, min_count=a.min_count)
    res = analysis.analyse(pack, sel, p)
    write_ward_files(a.out, "ward_analysis", analysis.analysis_for_export(res), res.table,
                     text_columns=True)
    privacy.write_csv(res.by_borough, a.out / "spearman_by_borough.csv")
    globals_ = analysis.global_table(res)
    privacy.write_csv(globals_, a.out / "global_statistics.csv")
    if not res.ward.is_sensitive:
        privacy.write_csv(res.deciles, a.out / "imd_deciles.csv")
        privacy.write_csv(res.concentration, a.out / "concentration.csv")
    write_reconciliation(pack, a.out)
    written = ("ward_analysis.csv, ward_analysis.gpkg, spearman_by_borough.csv, "
               "global_statistics.csv, ")
    if a.emerging:
        em = analysis.emerging_wards(pack, sel, p)
        privacy.write_csv(em, a.out / "emerging_wards.csv")
        written += "emerging_wards.csv, "
        print("Emerging hot spots (wards): " + ", ".join(
            f"{k} {v}" for k, v in em["trend_class"].value_counts().items()))
    write_run_manifest(a, pack, sel, extra=analysis.params_for_export(res))
    wt = res.ward
    print(f"{wt.label}, {wt.period_label}" + ("  [SYNTHETIC referrals]" if wt.is_synthetic else ""))
    print(wt.spearman.text)
    for g in globals_.itertuples():
        value = "not shown for referrals" if wt.is_sensitive else f"{g.value:.3f}"
        print(f"Global {g.statistic} = {value} "
              f"(pseudo p = {g.p_sim:.4f}, {p.permutations} permutations)")
    for s in stats.registry.local_statistics(univariate=True):
        print(s.words.tally.format(correction=p.correction) + ": " + ", ".join(
            f"{k} {v}" for k, v in res.table[s.col("class")].value_counts().items()))
    if res.deprived_share is not None:
        print(res.deprived_share.text)
    for n in res.notes:
        print("note: " + n)
    print_ward_names(pack)
    print_reconciliation(pack)
    print(f"Wrote {a.out}/{written}reconciliation.csv, unassigned_rows.csv, problems.csv, "
          "manifest.json")
    return 0


def print_asb_split(pack, sel) -> None:  # type: ignore[no-untyped-def]
    """Say how placed police.uk rows split into recorded crime and anti-social behaviour."""
    import dataclasses

    from hotspots import pipeline

    if sel.measure != "crime:all" or pack.meta.crime_sources \
            or not pipeline.is_asb(pack.crime).any():
        return
    months = pack.crime["month"].astype(str)
    every = dataclasses.replace(sel, month_from=months.min(), month_to=months.max(), boroughs=())
    n_crime = pipeline.ward_table(pack, every).n_records
    asb = dataclasses.replace(every, measure=pipeline.ASB_KEY)
    n_asb = pipeline.ward_table(pack, asb).n_records
    print(f"Placed rows, all months: {n_crime + n_asb:,} = {n_crime:,} recorded crimes + "
          f"{n_asb:,} anti-social behaviour incidents (not recorded crime, so not in this "
          f"measure: --measure {pipeline.ASB_KEY})")


def run_table(a: argparse.Namespace, pack, sel) -> int:  # type: ignore[no-untyped-def]
    """Write the ward table (CSV + GeoPackage), reconciliation and manifest; print a summary."""
    from hotspots import pipeline

    wt = pipeline.ward_table(pack, sel)
    table = pipeline.table_for_export(wt)
    gpkg = write_ward_files(a.out, "ward_table", table, wt.frame)
    write_reconciliation(pack, a.out)
    write_run_manifest(a, pack, sel)
    print(f"{wt.label}, {wt.period_label}" + ("  [SYNTHETIC referrals]" if wt.is_synthetic else ""))
    print(f"Areas: {len(table)}; with data: {int(wt.frame['has_data'].sum())}; "
          f"records in period: {wt.n_records:,}")
    print(wt.spearman.text.replace("wards", "areas"))
    print_asb_split(pack, sel)
    print_reconciliation(pack)
    print_ward_names(pack)
    print(f"Wrote {a.out / 'ward_table.csv'}, {gpkg}, reconciliation.csv, unassigned_rows.csv, "
          "problems.csv, manifest.json")
    return 0
