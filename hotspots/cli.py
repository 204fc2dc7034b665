"""Command line: the page's ward table in batch, from a pack or from files.

Examples
--------
::

    python -m hotspots table --out out/                  # demo pack, all crime, latest 12 months
    python -m hotspots table --measure referrals:all --rate per_1000 --out out/
    python -m hotspots table --areas wards.gpkg --police-uk 2020-archive.zip --out out/
    python -m hotspots measures                          # list measure keys
    python -m hotspots patrol --out out/patrol           # demo pack's street-level points
    python -m hotspots pack build --area Cardiff --out packs/cardiff \
        --police-uk 2024-01-south-wales-street.csv 2024-02-south-wales-street.csv
    python -m hotspots pack areas --search york         # names and codes a pack can cover
"""

from __future__ import annotations

import argparse
import csv
import sys
import zipfile
from pathlib import Path
from typing import Any, Literal


def _parser() -> argparse.ArgumentParser:
    from hotspots import pipeline
    from hotspots.pipeline.analysis import StatsParams
    from hotspots.privacy import DEFAULT_THRESHOLD

    d = StatsParams()  # the page's and the board pack's defaults too
    ap = argparse.ArgumentParser(
        prog="python -m hotspots",
        description="Community-safety hotspot analysis in batch (the page's numbers).",
    )
    sub = ap.add_subparsers(dest="command", required=True)
    for name, help_ in (("table", "write the ward table (CSV + GeoPackage) and reconciliation"),
                        ("analyse", "the ward table with hotspot statistics, association and "
                                    "change tables, plus a run manifest"),
                        ("check", "read the files and say where every row went (the "
                                  "reconciliation and every problem), without a table"),
                        ("measures", "list the measures a pack offers")):
        p = sub.add_parser(name, help=help_)
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
        _add_crime_ids(src)
        _add_assume_crs(src)
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
    rp = sub.add_parser("report", help="build the board pack (PDF, PNG maps, CSV/XLSX tables, "
                                       "manifest) from a TOML config")
    rp.add_argument("--config", type=Path, required=True,
                    help="board-pack config (see report.example.toml)")
    rp.add_argument("--out", type=Path, help="output folder (overrides the config's 'output')")
    pp = sub.add_parser(
        "patrol", help="street-scale patrol hotspots: grid, KDE, Gi*, patrol list, backtest")
    _patrol_arguments(pp)  # its data group has --assume-crs too
    _pack_arguments(sub.add_parser(
        "pack", help="build a pack for any council, partnership, police force area, region or "
                     "all of England and Wales from national open data"))
    return ap


def _pack_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``pack build`` and ``pack areas`` to the ``pack`` parser."""
    sub = p.add_subparsers(dest="pack_command", required=True)
    b = sub.add_parser("build", help="write a pack folder (pack.json, wards, population, "
                                     "deprivation, crime) for one place")
    b.add_argument("--area", required=True,
                   help="name or GSS code: local authority, community safety partnership, "
                        "police force area, region, England, Wales, or 'England and Wales' "
                        "(prefix lad:, csp:, pfa:, region: to pick a kind)")
    b.add_argument("--out", type=Path, required=True, help="pack folder to write")
    b.add_argument("--police-uk", type=Path, nargs="+", action="extend", default=[],
                   metavar="FILE_OR_FOLDER_OR_ZIP",
                   help="police.uk street CSVs, folders of months or archive zips")
    b.add_argument("--assign-by", choices=["point", "lsoa"], default="point",
                   help="place police.uk rows by snap point in the ward polygon (default) or "
                        "by the row's LSOA code through the ONS lookup")
    b.add_argument("--deprivation", default="auto",
                   choices=["auto", "iod2025", "wimd2019", "composite", "none"],
                   help="auto: IoD 2025 in England, WIMD 2019 in Wales; composite: mySociety's "
                        "composite UK IMD (for an area spanning both nations)")
    b.add_argument("--title", help="pack title (default: the place)")
    b.add_argument("--marking", default="OFFICIAL", help="protective marking")
    for q in (b, a := sub.add_parser("areas", help="list the places a pack can cover")):
        q.add_argument("--sources", type=Path,
                       help="TOML naming your own downloads of the national files "
                            "(default: ../shared/data; see sources.example.toml)")
    a.add_argument("--kind", choices=["local authority", "community safety partnership",
                                      "police force area", "region", "country"])
    a.add_argument("--search", help="names containing this text")


def _pack_command(a: argparse.Namespace) -> int:
    """Run ``python -m hotspots pack build|areas``; return the exit code (2 on bad input)."""
    from hotspots._errors import InputDataError
    from hotspots.pipeline import packbuild

    try:
        if a.pack_command == "areas":
            table = packbuild.list_areas(packbuild.load_national(a.sources), kind=a.kind,
                                         search=a.search)
            for r in table.itertuples(index=False):
                print(f"{r.code}\t{r.kind}\t{r.name}" + (f"\t({r.note})" if r.note else ""))
            return 0
        built = packbuild.build_pack(
            a.area, a.out, sources=a.sources, police_uk=a.police_uk, assign_by=a.assign_by,
            deprivation=a.deprivation, title=a.title, marking=a.marking)
    except (InputDataError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    m = built.meta
    area = m.area or {}
    n = len(area.get("local_authorities", {}))
    print(f"{built.place.label}: {n} local authorit{'y' if n == 1 else 'ies'}")
    if built.place.note:
        print(f"note: {built.place.note}")
    print(f"Deprivation: {m.imd_source}" + (f"; ranks among {m.imd_reference}"
                                            if m.imd_reference else ""))
    print(f"Recorded crime: {m.crime_source}")
    if m.months_incomplete:
        print(f"Months flagged incomplete: {', '.join(m.months_incomplete)} "
              f"({(m.months_incomplete_rule or '').split(' (')[0]})")
    print("Reconciliation (rows in = assigned + unlocated + outside + rejected):")
    for r in built.reconciliation.itertuples(index=False):
        print(f"  {r.source}: {r.rows_in:,} = {r.assigned:,} + {r.unlocated:,} + "
              f"{r.outside:,} + {r.rejected:,}")
    took = ", ".join(f"{k} {v:.1f}s" for k, v in built.seconds.items())
    print(f"Wrote {built.folder}/ ({len(m.files or {})} files + pack.json, PROVENANCE.md) in "
          f"{sum(built.seconds.values()):.1f}s ({took})")
    return 0


def _add_crime_ids(group) -> None:  # type: ignore[no-untyped-def]
    group.add_argument("--crime-id-once", action="store_true",
                       help="count each police.uk Crime ID once (the first row in file order); "
                            "default: rows as police.uk publishes them (a crime listed twice "
                            "in a month's file counts twice, as on police.uk's own maps)")


def _crime_ids(a: argparse.Namespace) -> str:
    return "once" if getattr(a, "crime_id_once", False) else "as_published"


def _add_assume_crs(group) -> None:  # type: ignore[no-untyped-def]
    group.add_argument("--assume-crs", metavar="CRS",
                       help="CRS of an --areas file that has none, e.g. EPSG:27700 "
                            "(British National Grid) or EPSG:4326 (longitude/latitude)")


#: File flags of the data group: (attribute, flag).
_FILE_FLAGS = (("areas", "--areas"), ("police_uk", "--police-uk"), ("mps", "--mps"),
               ("referrals", "--referrals"), ("mapping", "--mapping"),
               ("population", "--population"), ("imd", "--imd"), ("pack", "--pack"))

#: Flags that only mean something with a boundary file (--areas), and why.
_AREAS_ONLY = {
    "layer": "--layer names a layer of the --areas boundary file",
    "assume_crs": "--assume-crs is the CRS of the --areas boundary file",
    "mps": "--mps needs --areas: the boundary file its ward codes refer to (e.g. the pack's "
           "own wards.geojson)",
    "population": "--population belongs to files given with --areas (a pack has its own "
                  "population)",
    "imd": "--imd belongs to files given with --areas (a pack has its own deprivation)",
}


def _check_data_flags(a: argparse.Namespace) -> None:
    """Refuse a data flag that would be ignored, and files that do not exist."""
    from hotspots._errors import InputDataError

    for attr, flag in _FILE_FLAGS:
        given = getattr(a, attr, None)
        for path in given if isinstance(given, list) else [given]:
            if path is not None and not Path(path).exists():
                raise FileNotFoundError(f"{flag} {path}: not found. Check the path.")
    if a.areas is not None and a.pack is not None:
        raise InputDataError("Give a pack folder (--pack) or files with a boundary file "
                             "(--areas ...), not both: --areas would replace the pack.")
    if a.areas is None:
        given = [why for attr, why in _AREAS_ONLY.items() if getattr(a, attr, None) is not None]
        if given:
            raise InputDataError("; ".join(given) + ". Without --areas the pack's own areas "
                                 "are used: give --areas too, or leave the flag out.")
    if getattr(a, "mapping", None) is not None and getattr(a, "referrals", None) is None:
        raise InputDataError("--mapping is the column mapping of a --referrals file: give "
                             "--referrals too, or leave --mapping out.")
    if getattr(a, "referrals", None) is not None and a.mapping is None:
        raise InputDataError(f"--referrals {a.referrals}: a referral file needs its column "
                             "mapping (--mapping mapping.json, e.g. downloaded from the page).")


def _pack(a: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Return the pack the flags describe: a pack folder (the demo by default), or files.

    Files given without --areas are placed in the pack's own areas (never left
    out while the pack's own, e.g. SYNTHETIC, data is shown instead).
    """
    from hotspots import pipeline

    _check_data_flags(a)
    if a.areas is not None:
        return pipeline.assemble_pack(
            a.areas, layer=a.layer, police_uk=a.police_uk, mps=a.mps, referrals=a.referrals,
            mapping=a.mapping, population=a.population, imd=a.imd, assume_crs=a.assume_crs,
            crime_ids=_crime_ids(a),
        )
    pack = pipeline.load_pack(a.pack)
    if a.police_uk is None and a.referrals is None:
        return pack
    return pipeline.pack_with_files(pack, police_uk=a.police_uk, referrals=a.referrals,
                                    mapping=a.mapping, crime_ids=_crime_ids(a))


#: Errors that mean "this input cannot be used" (the message says why); never a traceback.
_INPUT_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, OSError,
                                                   UnicodeError, EOFError, csv.Error,
                                                   zipfile.BadZipFile)


def print_reconciliation(pack) -> None:  # type: ignore[no-untyped-def]
    """Print where every row went, per source, the notes, and every problem found."""
    print("Reconciliation (rows in = assigned + without a location + outside the study area "
          "+ rejected):")
    for _, r in pack.reconciliations.iterrows():
        print(f"  {r['source']}: {r['rows_in']:,} = {r['assigned']:,} + {r['unlocated']:,} + "
              f"{r['outside']:,} + {r['rejected']:,}")
        if isinstance(r.get("note"), str) and r["note"]:
            print(f"    ({r['note']})")
    for note in (pack.meta.uploads.notes if pack.meta.uploads is not None else ()):
        print(f"note: {note}")
    problems = pack.problems
    if len(problems):
        print(f"Problems found in the files ({len(problems):,}; file, row, column, what, what "
              "to do):")
        for _, q in problems.iterrows():
            where = str(q["file"])
            if _filled(q["row"]):
                where += f", row {int(q['row'])}"
            if isinstance(q["column"], str) and q["column"]:
                where += f", column '{q['column']}'"
            n = f" ({int(q['count']):,} rows)" if int(q["count"]) > 1 else ""
            print(f"  [{q['severity']}] {where}: {q['what']}{n}. {q['fix']}")


def _filled(value: object) -> bool:
    """Return True when a cell holds a value (not None, NaN or <NA>)."""
    import pandas as pd

    return bool(pd.notna(value))


def _write_reconciliation(pack, out: Path) -> list[str]:  # type: ignore[no-untyped-def]
    from hotspots import privacy

    out.mkdir(parents=True, exist_ok=True)
    pack.reconciliations.to_csv(out / "reconciliation.csv", index=False)
    privacy.safe_for_spreadsheet(pack.unassigned).to_csv(out / "unassigned_rows.csv",
                                                         index=False)
    privacy.safe_for_spreadsheet(pack.problems).to_csv(out / "problems.csv", index=False)
    return ["reconciliation.csv", "unassigned_rows.csv", "problems.csv"]


def _check_stats_flags(a: argparse.Namespace) -> None:
    """Refuse a statistics flag that the chosen weights do not use."""
    from hotspots._errors import InputDataError

    if a.k is not None and a.weights != "knn":
        raise InputDataError(f"--k applies to --weights knn (here --weights {a.weights}): "
                             "add --weights knn, or leave --k out.")
    if a.threshold is not None and a.weights != "distance":
        raise InputDataError(f"--threshold applies to --weights distance (here --weights "
                             f"{a.weights}): add --weights distance, or leave --threshold out.")


def default_period(months: list[str], month_from: str | None, month_to: str | None,
                   ) -> tuple[str, str]:
    """Return the period to use: the latest 12 months unless given (as the page).

    Parameters
    ----------
    months
        Sorted available months.
    month_from, month_to
        User's choice (either may be None).

    Returns
    -------
    tuple of str
    """
    from hotspots.periods import DEFAULT_LATEST_MONTHS as n

    if not months:
        return month_from or "0000-01", month_to or "9999-12"
    to = month_to or months[-1]
    upto = [m for m in months if m <= to]
    frm = month_from or (upto[-n] if len(upto) >= n else (upto[0] if upto else to))
    return frm, to


def _analyse(a: argparse.Namespace, pack, sel) -> int:  # type: ignore[no-untyped-def]
    from hotspots import privacy, stats
    from hotspots.pipeline import analysis as analysis

    d = analysis.StatsParams()
    p = analysis.StatsParams(weights=a.weights, k=d.k if a.k is None else a.k,
                             threshold=d.threshold if a.threshold is None else a.threshold,
                             permutations=a.permutations, seed=a.seed, correction=a.correction,
                             alpha=a.alpha, year_start=a.year_start, min_count=a.min_count)
    res = analysis.analyse(pack, sel, p)
    a.out.mkdir(parents=True, exist_ok=True)
    table = analysis.analysis_for_export(res)
    table.to_csv(a.out / "ward_analysis.csv", index=False)
    gpkg = a.out / "ward_analysis.gpkg"
    gpkg.unlink(missing_ok=True)
    geo = res.table[["area_code", "geometry"]].merge(table, on="area_code")
    for c in geo.columns:
        if geo[c].dtype == object:
            geo[c] = geo[c].astype("string")
    geo.to_file(gpkg, layer="ward_analysis", driver="GPKG")
    res.by_borough.to_csv(a.out / "spearman_by_borough.csv", index=False)
    globals_ = analysis.global_table(res)
    globals_.to_csv(a.out / "global_statistics.csv", index=False)
    if not res.ward.is_sensitive:
        res.deciles.to_csv(a.out / "imd_deciles.csv", index=False)
        res.concentration.to_csv(a.out / "concentration.csv", index=False)
    _write_reconciliation(pack, a.out)
    written = ("ward_analysis.csv, ward_analysis.gpkg, spearman_by_borough.csv, "
               "global_statistics.csv, ")
    if a.emerging:
        em = analysis.emerging_wards(pack, sel, p)
        privacy.safe_for_spreadsheet(em).to_csv(a.out / "emerging_wards.csv", index=False)
        written += "emerging_wards.csv, "
        print("Emerging hot spots (wards): " + ", ".join(
            f"{k} {v}" for k, v in em["trend_class"].value_counts().items()))
    _write_manifest(a, pack, sel, extra=res.params)
    wt = res.ward
    print(f"{wt.label}, {wt.period_label}" + ("  [SYNTHETIC referrals]" if wt.is_synthetic else ""))
    print(wt.spearman.text)
    for g in globals_.itertuples():
        print(f"Global {g.statistic} = {g.value:.3f} "
              f"(pseudo p = {g.p_sim:.4f}, {p.permutations} permutations)")
    for s in stats.registry.local_statistics(univariate=True):
        print(s.words.tally.format(correction=p.correction) + ": " + ", ".join(
            f"{k} {v}" for k, v in res.table[s.col("class")].value_counts().items()))
    if res.deprived_share is not None:
        print(res.deprived_share.text)
    for n in res.notes:
        print("note: " + n)
    _print_ward_names(pack)
    print_reconciliation(pack)
    print(f"Wrote {a.out}/{written}reconciliation.csv, unassigned_rows.csv, problems.csv, "
          "manifest.json")
    return 0


def _print_asb_split(pack, sel) -> None:  # type: ignore[no-untyped-def]
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


def _many(key: str, paths: list[Path] | None) -> dict[str, Path]:
    """Name repeated inputs for a manifest: ``police_uk``, or ``police_uk_1``, ``police_uk_2``."""
    paths = paths or []
    if len(paths) == 1:
        return {key: paths[0]}
    return {f"{key}_{i}": p for i, p in enumerate(paths, start=1)}


def _write_manifest(a: argparse.Namespace, pack, sel, extra=None) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import asdict

    from hotspots import pipeline
    from hotspots.config import run_manifest, write_manifest

    inputs: dict[str, Any] = {}
    for attr, _ in _FILE_FLAGS:
        given = getattr(a, attr, None)
        if isinstance(given, list):
            inputs.update(_many(attr, given))
        elif given is not None:
            inputs[attr] = given
    if a.areas is None:  # a pack folder (the demo by default), with any files on top
        inputs["pack"] = pack.folder or a.pack or pipeline.DEMO_PACK
    m = run_manifest(command="python -m hotspots " + " ".join(sys.argv[1:]), inputs=inputs,
                     parameters={"selection": asdict(sel), "layer": a.layer, **(extra or {})})
    write_manifest(m, a.out / "manifest.json")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    from hotspots import pipeline
    from hotspots._errors import InputDataError

    a = _parser().parse_args(argv)
    try:
        if a.command == "report":
            from hotspots import report

            return report.main(a)
        if a.command == "patrol":
            return _patrol(a)
        if a.command == "pack":
            return _pack_command(a)
        if a.command == "analyse":
            _check_stats_flags(a)
        pack = _pack(a)
        if a.command == "measures":
            for key, label in pipeline.measure_options(pack).items():
                print(f"{key}\t{label}")
            return 0
        if a.command == "check":
            print_reconciliation(pack)
            if a.out is not None:
                written = _write_reconciliation(pack, a.out)
                print(f"Wrote {a.out}/: {', '.join(written)}")
            return 0
        if not pack.months:
            if len(pack.reconciliations):  # files were read: say where their rows went
                print_reconciliation(pack)
                _write_reconciliation(pack, a.out)
            raise InputDataError(
                f"{pack.folder or a.areas}: no record was placed in an area, so there is no "
                "table to make (the pack has no recorded crime and no referrals"
                + (f"; see the reconciliation above, written to {a.out}/reconciliation.csv"
                   if len(pack.reconciliations) else "") + "). Check the files cover the "
                "areas given; or build a pack with --police-uk (python -m hotspots pack build "
                "... --police-uk FILES), or give --referrals with --mapping.")
        frm, to = default_period(pack.months, a.month_from, a.month_to)
        sel = pipeline.Selection(measure=a.measure, month_from=frm, month_to=to, rate=a.rate,
                                 suppress_below=a.suppress_below, boroughs=tuple(a.borough))
        if a.command == "analyse":
            return _analyse(a, pack, sel)
        wt = pipeline.ward_table(pack, sel)
    except (InputDataError, *_INPUT_ERRORS) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    table = pipeline.table_for_export(wt)
    table.to_csv(a.out / "ward_table.csv", index=False)
    gpkg = a.out / "ward_table.gpkg"
    gpkg.unlink(missing_ok=True)
    geo = wt.frame[["area_code", "geometry"]].merge(table, on="area_code")
    geo.to_file(gpkg, layer="ward_table", driver="GPKG")
    _write_reconciliation(pack, a.out)
    _write_manifest(a, pack, sel)
    print(f"{wt.label}, {wt.period_label}" + ("  [SYNTHETIC referrals]" if wt.is_synthetic else ""))
    print(f"Areas: {len(table)}; with data: {int(wt.frame['has_data'].sum())}; "
          f"records in period: {wt.n_records:,}")
    print(wt.spearman.text.replace("wards", "areas"))
    _print_asb_split(pack, sel)
    print_reconciliation(pack)
    _print_ward_names(pack)
    print(f"Wrote {a.out / 'ward_table.csv'}, {gpkg}, reconciliation.csv, unassigned_rows.csv, "
          "problems.csv, manifest.json")
    return 0


def _print_ward_names(pack, limit: int = 10) -> None:  # type: ignore[no-untyped-def]
    """Print the ward names that are not exactly one ward, with the closest names offered."""
    u = pack.unassigned
    if not len(u):
        return
    reason = u["reason"].astype(str)
    names = reason[(u["status"] == "unlocated") & reason.str.match(r"ward( name)? '")]
    if names.empty:
        return
    print(f"Ward names without a location ({len(names):,} rows; every row in "
          "unassigned_rows.csv). To place them, correct the file or confirm the ward in the "
          "mapping JSON: \"ward_names\": {\"name in the file\": \"area code\"}")
    counts = names.value_counts()
    for text, n in counts.head(limit).items():
        print(f"  {n:,} row{'s' if n != 1 else ''}: {text}")
    if len(counts) > limit:
        print(f"  ... and {len(counts) - limit:,} more names")


# --------------------------------------------------------------------------- patrol


def _patrol_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``patrol`` subcommand's options to its parser."""
    from hotspots.patrol.params import DEFAULT_PERMUTATIONS, DEFAULT_SEED, METHODS

    src = p.add_argument_group("data (a pack folder, or files)")
    src.add_argument("--pack", type=Path, help="pack folder (default: the demo pack)")
    src.add_argument("--areas", type=Path, help="boundary file (any CRS), with --police-uk")
    src.add_argument("--layer", help="layer in a multi-layer boundary file")
    src.add_argument("--police-uk", type=Path, action="append",
                     help="police.uk CSV, folder or zip (repeat for several)")
    _add_crime_ids(src)
    _add_assume_crs(src)
    p.add_argument("--borough", action="append", default=[],
                   help="study-area borough (repeat; default: the boroughs the points cover)")
    p.add_argument("--cell-size", default="150",
                   help="cell size in metres, or 'auto' (the smallest size with 5 crimes a "
                        "cell per training window and a list of at most 25 cells)")
    p.add_argument("--shape", choices=["square", "hex"], default="square")
    p.add_argument("--from", dest="month_from", help="first month of the patrol list YYYY-MM")
    p.add_argument("--to", dest="month_to", help="last month of the patrol list YYYY-MM")
    p.add_argument("--measure", choices=["crime", "asb"], default="crime",
                   help="'crime': police.uk recorded crime without anti-social behaviour "
                        "(default); 'asb': anti-social behaviour alone (its own measure)")
    p.add_argument("--crime-type", action="append", default=[],
                   help="keep only this police.uk crime type (repeat; with --measure crime)")
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
    p.add_argument("--gi-inference", choices=["normal", "permutation"], default="normal",
                   help="p-values that mark the Gi* hot cells: 'normal' (analytical, as "
                        "ArcGIS and sfhotspot; default) or 'permutation'; both are written")
    p.add_argument("--train-months", type=int, default=3)
    p.add_argument("--emerging", action="store_true", help="also run emerging hot spots")
    p.add_argument("--out", type=Path, required=True, help="output folder")


def _patrol_inputs(a: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    from hotspots import pipeline
    from hotspots._errors import InputDataError

    if a.areas is not None and (a.police_uk is None or a.pack is not None):
        raise InputDataError("With --areas (boundaries) give --police-uk (street-level "
                             "crime) and no --pack; or a --pack folder, with or without "
                             "--police-uk.")
    for f, flag in ((a.areas, "--areas"), *((p, "--police-uk") for p in a.police_uk or ()),
                    (a.pack, "--pack")):
        if f is not None and not Path(f).exists():
            raise FileNotFoundError(f"{flag} {f}: not found. Check the path.")
    if a.areas is not None:
        pack = pipeline.assemble_pack(a.areas, layer=a.layer, police_uk=a.police_uk,
                                      assume_crs=getattr(a, "assume_crs", None),
                                      crime_ids=_crime_ids(a))
        inputs: dict[str, Any] = {"areas": a.areas, **_many("police_uk", a.police_uk)}
    else:
        if a.layer is not None or getattr(a, "assume_crs", None) is not None:
            raise InputDataError("--layer and --assume-crs describe the --areas boundary file; "
                                 "without --areas the pack's own areas are used.")
        pack = pipeline.load_pack(a.pack)
        inputs = {"pack": pack.folder}
        if a.police_uk is not None:  # on the pack's areas; its points replace the pack's
            pack = pipeline.pack_with_files(pack, police_uk=a.police_uk, crime_ids=_crime_ids(a))
            inputs.update(_many("police_uk", a.police_uk))
    if pack.points is None:
        raise InputDataError(f"{pack.folder or a.areas}: the pack has no street-level points "
                             "(pack.json 'points_file'); the patrol analysis needs police.uk "
                             "street CSVs (--police-uk).")
    return pack, inputs


def _patrol_params(a: argparse.Namespace):  # type: ignore[no-untyped-def]
    from hotspots.patrol import cells as patrol
    from hotspots.patrol.params import PatrolParams

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
        measure=a.measure, crime_types=tuple(a.crime_type), harm=harm,
        area_share=share, top_n=a.top_n,
        method=None if a.method == "best" else a.method, bandwidth=a.bandwidth,
        permutations=a.permutations, seed=a.seed, alpha=a.alpha, gi_inference=a.gi_inference,
        train_months=a.train_months, emerging=a.emerging)


def _patrol(a: argparse.Namespace) -> int:
    """Run ``python -m hotspots patrol``; return the exit code (2 on bad input)."""
    from hotspots._errors import InputDataError
    from hotspots.config import jsonable, run_manifest, write_manifest
    from hotspots.patrol.analysis import analyse_patrol
    from hotspots.patrol.export import patrol_for_export

    try:
        params = _patrol_params(a)
        pack, inputs = _patrol_inputs(a)
        boroughs = tuple(a.borough) or tuple(pack.meta.points_boroughs or ())
        source = pack.meta.points_source or "police.uk street-level crime"
        pa = analyse_patrol(pack.points, pack.areas, boroughs, params,
                            rejected=pack.meta.points_rejected, source=source)
    except (InputDataError, *_INPUT_ERRORS) as e:
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
    _print_patrol_summary(pa)
    if a.areas is not None or a.police_uk:  # files were read: where their rows went
        print_reconciliation(pack)
    print(f"Wrote {out}/: " + ", ".join(written))
    return 0


def _print_patrol_summary(pa) -> None:  # type: ignore[no-untyped-def]
    from hotspots.patrol.backtest import result_words

    print(f"Patrol hotspots: {', '.join(pa.boroughs)}; {pa.source}")
    print(f"Measure: {pa.measure_label}")
    print(f"Grid: {len(pa.grid):,} cells, {pa.spec.rule}; list period {pa.period_label}")
    print(f"Reconciliation: {pa.reconciliation_text}")
    if pa.backtest is not None:
        s = pa.backtest.summary
        print(f"Backtest ({pa.backtest.params['selection']}; {pa.params.train_months} training "
              "months):")
        for mth, r in s.iterrows():
            if not r["months_pai"]:
                print(f"  {result_words(str(mth), r)}")
                continue
            print(f"  {mth:12s} median PAI {r['median_pai']:.2f}  mean PAI {r['mean_pai']:.2f}  "
                  f"mean hit rate {100 * r['mean_hit_rate']:.1f}%  median RRI "
                  f"{r['median_rri']:.2f}  ({int(r['months_pai'])} "
                  f"of {int(r['months'])} months with a PAI)")
    gp = pa.gi_params
    if gp.get("tested"):
        print(f"Gi* hot cells (q <= {pa.params.alpha:g}, z > 0): {gp['hot_normal']} by the "
              f"normal approximation, {gp['hot_perm']} by {pa.params.permutations:,} "
              f"permutations; the map and grid use the {pa.params.gi_inference} p-values")
    print(f"Patrol list: {len(pa.patrol)} cells by {pa.method_reason}")
    if pa.emerging is not None:
        counts = pa.emerging["trend_class"].value_counts()
        print("Emerging hot spots: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
