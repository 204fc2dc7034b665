"""Command line: the page's ward table in batch, from a pack or from files.

Examples
--------
::

    python -m hotspots table --out out/                  # demo pack, all crime, latest 12 months
    python -m hotspots table --measure referrals:all --rate per_1000 --out out/
    python -m hotspots table --areas wards.gpkg --police-uk 2020-archive.zip --out out/
    python -m hotspots measures                          # list measure keys
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m hotspots",
        description="Community-safety hotspot analysis in batch (the page's numbers).",
    )
    sub = ap.add_subparsers(dest="command", required=True)
    for name, help_ in (("table", "write the ward table (CSV + GeoPackage) and reconciliation"),
                        ("analyse", "the ward table with hotspot statistics, association and "
                                    "change tables, plus a run manifest"),
                        ("measures", "list the measures a pack offers")):
        p = sub.add_parser(name, help=help_)
        src = p.add_argument_group("data (a pack folder, or files)")
        src.add_argument("--pack", type=Path, help="pack folder (default: the demo pack)")
        src.add_argument("--areas", type=Path, help="boundary file (any CRS)")
        src.add_argument("--layer", help="layer in a multi-layer boundary file")
        src.add_argument("--police-uk", type=Path, help="police.uk CSV, folder or zip")
        src.add_argument("--mps", type=Path, help="MPS ward-level crime file")
        src.add_argument("--referrals", type=Path, help="referral spreadsheet (CSV/XLSX)")
        src.add_argument("--mapping", type=Path, help="referral column mapping (JSON)")
        src.add_argument("--population", type=Path, help="CSV: area_code, population")
        src.add_argument("--imd", type=Path, help="CSV: area_code, imd_score, ...")
        _add_assume_crs(src)
        if name in ("table", "analyse"):
            p.add_argument("--measure", default="crime:all", help="measure key (see 'measures')")
            p.add_argument("--from", dest="month_from", help="first month YYYY-MM")
            p.add_argument("--to", dest="month_to", help="last month YYYY-MM (default: latest)")
            p.add_argument("--rate", choices=["count", "per_1000"], default="count")
            p.add_argument("--suppress-below", type=int, default=5,
                           help="hide referral counts from 1 to N-1 (default 5)")
            p.add_argument("--out", type=Path, required=True, help="output folder")
            p.add_argument("--borough", action="append", default=[],
                           help="limit to a borough (repeat for several)")
        if name == "analyse":
            st = p.add_argument_group("statistics")
            st.add_argument("--weights", choices=["queen", "rook", "knn", "distance"],
                            default="queen")
            st.add_argument("--k", type=int, default=6, help="neighbours for knn weights")
            st.add_argument("--threshold", type=float, help="distance band (m) for distance")
            st.add_argument("--permutations", type=int, default=999)
            st.add_argument("--seed", type=int, default=20261123)
            st.add_argument("--correction", choices=["fdr", "bonferroni", "none"], default="fdr")
            st.add_argument("--alpha", type=float, default=0.05)
            st.add_argument("--year-start", choices=["financial", "project", "calendar"],
                            default="financial", help="year convention for year to date")
            st.add_argument("--emerging", action="store_true",
                            help="also write emerging hot spots per ward (Gi* every month, "
                                 "Mann-Kendall trend): emerging_wards.csv")
    rp = sub.add_parser("report", help="build the board pack (PDF, PNG maps, CSV/XLSX tables, "
                                       "manifest) from a TOML config")
    rp.add_argument("--config", type=Path, required=True,
                    help="board-pack config (see report.example.toml)")
    rp.add_argument("--out", type=Path, help="output folder (overrides the config's 'output')")
    from hotspots.patrol import analysis as patrol_analysis

    pp = sub.add_parser(
        "patrol", help="street-scale patrol hotspots: grid, KDE, Gi*, patrol list, backtest")
    patrol_analysis.add_arguments(pp)  # its data group has --assume-crs too
    return ap


def _add_assume_crs(group) -> None:  # type: ignore[no-untyped-def]
    group.add_argument("--assume-crs", metavar="CRS",
                       help="CRS of an --areas file that has none, e.g. EPSG:27700 "
                            "(British National Grid) or EPSG:4326 (longitude/latitude)")


def _pack(a: argparse.Namespace):  # type: ignore[no-untyped-def]
    from hotspots.pipeline import pack as pipeline

    if a.areas is not None:
        return pipeline.assemble_pack(
            a.areas, layer=a.layer, police_uk=a.police_uk, mps=a.mps, referrals=a.referrals,
            mapping=a.mapping, population=a.population, imd=a.imd, assume_crs=a.assume_crs,
        )
    return pipeline.load_pack(a.pack)


def default_period(months: list[str], month_from: str | None, month_to: str | None,
                   ) -> tuple[str, str]:
    """Return the period to use: the latest 12 months unless given.

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
    if not months:
        return month_from or "0000-01", month_to or "9999-12"
    to = month_to or months[-1]
    upto = [m for m in months if m <= to]
    frm = month_from or (upto[-12] if len(upto) >= 12 else (upto[0] if upto else to))
    return frm, to


def _analyse(a: argparse.Namespace, pack, sel) -> int:  # type: ignore[no-untyped-def]
    from hotspots import privacy
    from hotspots.pipeline import analysis as analysis

    p = analysis.StatsParams(weights=a.weights, k=a.k, threshold=a.threshold,
                             permutations=a.permutations, seed=a.seed, correction=a.correction,
                             alpha=a.alpha, year_start=a.year_start, min_count=5)
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
    if not res.ward.is_sensitive:
        res.deciles.to_csv(a.out / "imd_deciles.csv", index=False)
        res.concentration.to_csv(a.out / "concentration.csv", index=False)
    pack.reconciliations.to_csv(a.out / "reconciliation.csv", index=False)
    pack.unassigned.to_csv(a.out / "unassigned_rows.csv", index=False)
    written = "ward_analysis.csv, ward_analysis.gpkg, spearman_by_borough.csv, "
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
    gm = res.params["hotspots"].get("global_moran", {})
    if gm:
        print(f"Global Moran's I = {gm.get('I', float('nan')):.3f} "
              f"(pseudo p = {gm.get('p_sim', float('nan')):.4f}, {p.permutations} permutations)")
    print("Gi* classes (" + p.correction + "): " + ", ".join(
        f"{k} {v}" for k, v in res.table["gi_class"].value_counts().items()))
    print("LISA clusters: " + ", ".join(
        f"{k} {v}" for k, v in res.table["lisa_quadrant"].value_counts().items()))
    if res.deprived_share is not None:
        print(res.deprived_share.text)
    for n in res.notes:
        print("note: " + n)
    print(f"Wrote {a.out}/{written}reconciliation.csv, unassigned_rows.csv, manifest.json")
    return 0


def _write_manifest(a: argparse.Namespace, pack, sel, extra=None) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import asdict

    from hotspots.config import run_manifest, write_manifest

    inputs = {"pack": pack.folder} if pack.folder is not None else {
        "areas": a.areas, "police_uk": a.police_uk, "mps": a.mps, "referrals": a.referrals,
        "mapping": a.mapping, "population": a.population, "imd": a.imd,
    }
    m = run_manifest(command="python -m hotspots " + " ".join(sys.argv[1:]), inputs=inputs,
                     parameters={"selection": asdict(sel), "layer": a.layer, **(extra or {})})
    write_manifest(m, a.out / "manifest.json")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    from hotspots._errors import InputDataError
    from hotspots.pipeline import pack as pipeline

    a = _parser().parse_args(argv)
    try:
        if a.command == "report":
            from hotspots import report

            return report.main(a)
        if a.command == "patrol":
            from hotspots.patrol import analysis as patrol_analysis

            return patrol_analysis.main(a)
        pack = _pack(a)
        if a.command == "measures":
            for key, label in pipeline.measure_options(pack).items():
                print(f"{key}\t{label}")
            return 0
        frm, to = default_period(pack.months, a.month_from, a.month_to)
        sel = pipeline.Selection(measure=a.measure, month_from=frm, month_to=to, rate=a.rate,
                                 suppress_below=a.suppress_below, boroughs=tuple(a.borough))
        if a.command == "analyse":
            return _analyse(a, pack, sel)
        wt = pipeline.ward_table(pack, sel)
    except (InputDataError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    table = pipeline.table_for_export(wt)
    table.to_csv(a.out / "ward_table.csv", index=False)
    gpkg = a.out / "ward_table.gpkg"
    gpkg.unlink(missing_ok=True)
    geo = wt.frame[["area_code", "geometry"]].merge(table, on="area_code")
    geo.to_file(gpkg, layer="ward_table", driver="GPKG")
    pack.reconciliations.to_csv(a.out / "reconciliation.csv", index=False)
    pack.unassigned.to_csv(a.out / "unassigned_rows.csv", index=False)
    _write_manifest(a, pack, sel)
    print(f"{wt.label}, {wt.period_label}" + ("  [SYNTHETIC referrals]" if wt.is_synthetic else ""))
    print(f"Areas: {len(table)}; with data: {int(wt.frame['has_data'].sum())}; "
          f"records in period: {wt.n_records:,}")
    print(wt.spearman.text.replace("wards", "areas"))
    print("Reconciliation (rows in = assigned + unlocated + outside + rejected):")
    for _, r in pack.reconciliations.iterrows():
        print(f"  {r['source']}: {r['rows_in']:,} = {r['assigned']:,} + {r['unlocated']:,} + "
              f"{r['outside']:,} + {r['rejected']:,}")
        if isinstance(r.get("note"), str) and r["note"]:
            print(f"    ({r['note']})")
    print(f"Wrote {a.out / 'ward_table.csv'}, {gpkg}, reconciliation.csv, unassigned_rows.csv, "
          "manifest.json")
    return 0
