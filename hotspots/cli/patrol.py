"""``patrol``: street-scale patrol hotspots (grid, KDE, Gi*, patrol list, backtest)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Literal

from hotspots.cli.common import (
    INPUT_ERRORS,
    add_assume_crs,
    add_crime_ids,
    crime_ids,
    many,
    print_reconciliation,
    record_export,
)


def patrol_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``patrol`` subcommand's options to its parser."""
    from hotspots.patrol.params import DEFAULT_PERMUTATIONS, DEFAULT_SEED, METHODS

    src = p.add_argument_group("data (a pack folder, or files)")
    src.add_argument("--pack", type=Path, help="pack folder (default: the demo pack)")
    src.add_argument("--areas", type=Path, help="boundary file (any CRS), with --police-uk")
    src.add_argument("--layer", help="layer in a multi-layer boundary file")
    src.add_argument("--police-uk", type=Path, action="append",
                     help="police.uk CSV, folder or zip (repeat for several)")
    add_crime_ids(src)
    add_assume_crs(src)
    p.add_argument("--borough", action="append", default=[],
                   help="study-area borough or local authority (repeat; default: those the "
                        "points cover, or, when they are too large for one grid, the one "
                        "with the most located records)")
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
                   help="method of the patrol list (default: best median PAI in the backtest; "
                        "counts when it has fewer than 6 held-out months)")
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


def patrol_inputs(a: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Return the pack with street-level points the flags describe, and the manifest inputs."""
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
                                      crime_ids=crime_ids(a))
        inputs: dict[str, Any] = {"areas": a.areas, **many("police_uk", a.police_uk)}
    else:
        if a.layer is not None or getattr(a, "assume_crs", None) is not None:
            raise InputDataError("--layer and --assume-crs describe the --areas boundary file; "
                                 "without --areas the pack's own areas are used.")
        pack = pipeline.load_pack(a.pack)
        inputs = {"pack": pack.folder}
        if a.police_uk is not None:  # on the pack's areas; its points replace the pack's
            pack = pipeline.pack_with_files(pack, police_uk=a.police_uk, crime_ids=crime_ids(a))
            inputs.update(many("police_uk", a.police_uk))
    if pack.points is None:
        raise InputDataError(f"{pack.folder or a.areas}: the pack has no street-level points "
                             "(pack.json 'points_file'); the patrol analysis needs police.uk "
                             "street CSVs (--police-uk).")
    return pack, inputs


def patrol_params(a: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Return the :class:`PatrolParams` the flags describe (cell size, harm weights, list size)."""
    from hotspots.patrol import harm as patrol
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


def run_patrol(a: argparse.Namespace) -> int:
    """Run ``python -m hotspots patrol``; return the exit code (2 on bad input)."""
    from hotspots import privacy
    from hotspots._errors import InputDataError
    from hotspots.config import jsonable, run_manifest, write_manifest
    from hotspots.patrol.analysis import MAX_CELLS, analyse_patrol
    from hotspots.patrol.export import patrol_for_export
    from hotspots.patrol.studyarea import default_study_area

    try:
        params = patrol_params(a)
        pack, inputs = patrol_inputs(a)
        boroughs = tuple(a.borough) or tuple(pack.meta.points_boroughs or ())
        if not a.borough and pack.points is not None:  # a force pack: as the page, one area
            boroughs, why = default_study_area(
                pack.points, pack.areas, boroughs,
                cell_size=params.cell_size,
                max_cells=MAX_CELLS, choose="with --borough NAME (repeat for several)")
            if why:
                print(why)
        source = pack.meta.points_source or "police.uk street-level crime"
        pa = analyse_patrol(pack.points, pack.areas, boroughs, params,
                            rejected=pack.meta.points_rejected, source=source)
    except (InputDataError, *INPUT_ERRORS) as e:
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
            privacy.write_csv(frame, out / f"{name}.csv")
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
    record_export("patrol", out, data=str(inputs.get("pack") or a.areas), selection=None,
                  suppress_below=None)
    written += ["method.txt", "manifest.json"]
    print_patrol_summary(pa)
    if a.areas is not None or a.police_uk:  # files were read: where their rows went
        print_reconciliation(pack)
    print(f"Wrote {out}/: " + ", ".join(written))
    return 0


def print_patrol_summary(pa) -> None:  # type: ignore[no-untyped-def]
    """Print the patrol analysis in brief: grid, reconciliation, backtest, Gi*, list."""
    from hotspots.patrol.analysis import patrol_warnings
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
    print(f"Patrol list: {len(pa.patrol):,} cells by {pa.method_reason}")
    for warning in patrol_warnings(pa):
        print(f"Warning: {warning}")
    if pa.emerging is not None:
        counts = pa.emerging["trend_class"].value_counts()
        print("Emerging hot spots: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
