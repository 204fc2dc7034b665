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
    python -m hotspots audit --since 2026-01-01 --measure referrals   # who exported what
    python -m hotspots store add 2024-police-uk-archive.zip  # police.uk into a DuckDB store
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hotspots.cli.audit import audit_arguments, run_audit
from hotspots.cli.common import (
    INPUT_ERRORS,
    default_period,
    pack_from_flags,
    print_reconciliation,
    write_reconciliation,
)
from hotspots.cli.packs import pack_arguments, run_pack
from hotspots.cli.patrol import patrol_arguments, run_patrol
from hotspots.cli.store import run_store, store_arguments
from hotspots.cli.table import check_stats_flags, run_analyse, run_table, table_arguments

__all__ = ["default_period", "main", "print_reconciliation"]


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """Return the command line's parser (each command group adds its own options).

    ``only`` names the command being run: the other commands then get a bare parser
    with their help line (``""``: none is run, e.g. ``--help``), so their options'
    imports are not paid. ``None`` builds every option (tests, documentation).
    """
    ap = argparse.ArgumentParser(
        prog="python -m hotspots",
        description="Community-safety hotspot analysis in batch (the page's numbers).",
    )
    sub = ap.add_subparsers(dest="command", required=True)
    table_arguments(sub, only)
    rp = sub.add_parser("report", help="build the board pack (PDF, PNG maps, CSV/XLSX tables, "
                                       "manifest) from a TOML config")
    rp.add_argument("--config", type=Path, required=True,
                    help="board-pack config (see report.example.toml)")
    rp.add_argument("--out", type=Path, help="output folder (overrides the config's 'output')")
    pp = sub.add_parser(
        "patrol", help="street-scale patrol hotspots: grid, KDE, Gi*, patrol list, backtest")
    if only in (None, "patrol"):
        patrol_arguments(pp)  # its data group has --assume-crs too
    pack_arguments(sub.add_parser(
        "pack", help="build a pack for any council, partnership, police force area, region or "
                     "all of England and Wales from national open data"))
    audit_arguments(sub)
    store_arguments(sub)
    return ap


_GROUPS = {"patrol": run_patrol, "pack": run_pack, "audit": run_audit, "store": run_store}


def _command(argv: list[str]) -> str:
    """Return the command named on the command line (``""`` when none is: ``--help``)."""
    return next((a for a in argv if not a.startswith("-")), "")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (never a traceback: one clear line)."""
    args = sys.argv[1:] if argv is None else list(argv)
    a = _parser(_command(args)).parse_args(args)
    from hotspots._errors import InputDataError

    try:
        return _run(a)
    except (InputDataError, *INPUT_ERRORS) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: this machine ran out of memory for that command. Make the work "
              "smaller (a smaller study area with --borough, larger --cell-size, a shorter "
              "period with --from/--to, fewer --permutations) or run it on a machine with "
              "more memory.", file=sys.stderr)
        return 3
    except Exception as e:  # noqa: BLE001 - never a traceback for a user: one clear line
        if os.environ.get("HOTSPOTS_TRACEBACK") == "1":
            raise
        print(f"error: an unexpected {type(e).__name__} stopped the command ({e}). This is "
              "a bug: please report it with the command you ran; set HOTSPOTS_TRACEBACK=1 "
              "to print where it happened.", file=sys.stderr)
        return 70


def _run(a: argparse.Namespace) -> int:
    from hotspots import pipeline
    from hotspots._errors import InputDataError

    if a.command == "report":
        from hotspots import report

        return report.main(a)
    if a.command in _GROUPS:  # command groups that run and print on their own
        return _GROUPS[a.command](a)
    if a.command == "analyse":
        check_stats_flags(a)
    pack = pack_from_flags(a)
    if a.command == "measures":
        for key, label in pipeline.measure_options(pack).items():
            print(f"{key}\t{label}")
        return 0
    if a.command == "check":
        print_reconciliation(pack)
        if a.out is not None:
            written = write_reconciliation(pack, a.out)
            print(f"Wrote {a.out}/: {', '.join(written)}")
        return 0
    if not pack.months:
        if len(pack.reconciliations):  # files were read: say where their rows went
            print_reconciliation(pack)
            write_reconciliation(pack, a.out)
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
        return run_analyse(a, pack, sel)
    return run_table(a, pack, sel)

