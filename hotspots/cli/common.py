"""What every command shares: the data flags, the pack they describe, the reconciliation print.

Command modules (:mod:`hotspots.cli.table`, :mod:`hotspots.cli.patrol`,
:mod:`hotspots.cli.packs`) import from here; nothing here imports them.
"""

from __future__ import annotations

import argparse
import csv
import sys
import zipfile
from pathlib import Path
from typing import Any


def add_crime_ids(group) -> None:  # type: ignore[no-untyped-def]
    """Add ``--crime-id-once`` (how repeated police.uk Crime IDs count) to a data group."""
    group.add_argument("--crime-id-once", action="store_true",
                       help="count each police.uk Crime ID once (the first row in file order); "
                            "default: rows as police.uk publishes them (a crime listed twice "
                            "in a month's file counts twice, as on police.uk's own maps)")


def crime_ids(a: argparse.Namespace) -> str:
    """Return the readers' ``crime_ids`` rule the flags chose: ``once`` or ``as_published``."""
    return "once" if getattr(a, "crime_id_once", False) else "as_published"


def add_assume_crs(group) -> None:  # type: ignore[no-untyped-def]
    """Add ``--assume-crs`` (the CRS of a boundary file that has none) to a data group."""
    group.add_argument("--assume-crs", metavar="CRS",
                       help="CRS of an --areas file that has none, e.g. EPSG:27700 "
                            "(British National Grid) or EPSG:4326 (longitude/latitude)")


#: File flags of the data group: (attribute, flag).
FILE_FLAGS = (("areas", "--areas"), ("police_uk", "--police-uk"), ("mps", "--mps"),
               ("referrals", "--referrals"), ("mapping", "--mapping"),
               ("population", "--population"), ("imd", "--imd"), ("pack", "--pack"))


#: Flags that only mean something with a boundary file (--areas), and why.
AREAS_ONLY = {
    "layer": "--layer names a layer of the --areas boundary file",
    "assume_crs": "--assume-crs is the CRS of the --areas boundary file",
    "mps": "--mps needs --areas: the boundary file its ward codes refer to (e.g. the pack's "
           "own wards.geojson)",
    "population": "--population belongs to files given with --areas (a pack has its own "
                  "population)",
    "imd": "--imd belongs to files given with --areas (a pack has its own deprivation)",
}


def check_data_flags(a: argparse.Namespace) -> None:
    """Refuse a data flag that would be ignored, and files that do not exist."""
    from hotspots._errors import InputDataError

    for attr, flag in FILE_FLAGS:
        given = getattr(a, attr, None)
        for path in given if isinstance(given, list) else [given]:
            if path is not None and not Path(path).exists():
                raise FileNotFoundError(f"{flag} {path}: not found. Check the path.")
    if a.areas is not None and a.pack is not None:
        raise InputDataError("Give a pack folder (--pack) or files with a boundary file "
                             "(--areas ...), not both: --areas would replace the pack.")
    if a.areas is None:
        given = [why for attr, why in AREAS_ONLY.items() if getattr(a, attr, None) is not None]
        if given:
            raise InputDataError("; ".join(given) + ". Without --areas the pack's own areas "
                                 "are used: give --areas too, or leave the flag out.")
    if getattr(a, "mapping", None) is not None and getattr(a, "referrals", None) is None:
        raise InputDataError("--mapping is the column mapping of a --referrals file: give "
                             "--referrals too, or leave --mapping out.")
    if getattr(a, "referrals", None) is not None and a.mapping is None:
        raise InputDataError(f"--referrals {a.referrals}: a referral file needs its column "
                             "mapping (--mapping mapping.json, e.g. downloaded from the page).")


def pack_from_flags(a: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Return the pack the flags describe: a pack folder (the demo by default), or files.

    Files given without --areas are placed in the pack's own areas (never left
    out while the pack's own, e.g. SYNTHETIC, data is shown instead).
    """
    from hotspots import pipeline

    check_data_flags(a)
    if a.areas is not None:
        return pipeline.assemble_pack(
            a.areas, layer=a.layer, police_uk=a.police_uk, mps=a.mps, referrals=a.referrals,
            mapping=a.mapping, population=a.population, imd=a.imd, assume_crs=a.assume_crs,
            crime_ids=crime_ids(a), assign_by=getattr(a, "assign_by", "point"),
        )
    pack = pipeline.load_pack(a.pack)
    if a.police_uk is None and a.referrals is None:
        return pack
    return pipeline.pack_with_files(pack, police_uk=a.police_uk, referrals=a.referrals,
                                    mapping=a.mapping, crime_ids=crime_ids(a),
                                    assign_by=getattr(a, "assign_by", "point"))


#: Errors that mean "this input cannot be used" (the message says why); never a traceback.
INPUT_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, OSError,
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


def write_reconciliation(pack, out: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Write reconciliation, unassigned rows and problems CSVs (neutralised); return names."""
    from hotspots import privacy

    out.mkdir(parents=True, exist_ok=True)
    privacy.write_csv(pack.reconciliations, out / "reconciliation.csv")
    privacy.write_csv(pack.unassigned, out / "unassigned_rows.csv")
    privacy.write_csv(pack.problems, out / "problems.csv")
    return ["reconciliation.csv", "unassigned_rows.csv", "problems.csv"]


def write_ward_files(out: Path, name: str, table, areas, *,  # type: ignore[no-untyped-def]
                     text_columns: bool = False) -> Path:
    """Write ``<name>.csv`` (:func:`hotspots.privacy.write_csv`) and the ``<name>.gpkg`` layer.

    The GeoPackage holds the table on the areas' geometry; ``text_columns`` writes
    its object columns as strings. Returns the GeoPackage's path.
    """
    from hotspots import privacy

    out.mkdir(parents=True, exist_ok=True)
    privacy.write_csv(table, out / f"{name}.csv")
    gpkg = out / f"{name}.gpkg"
    gpkg.unlink(missing_ok=True)
    geo = areas[["area_code", "geometry"]].merge(table, on="area_code")
    if text_columns:
        for c in geo.columns:
            if geo[c].dtype == object:
                geo[c] = geo[c].astype("string")
    geo.to_file(gpkg, layer=name, driver="GPKG")
    return gpkg


def many(key: str, paths: list[Path] | None) -> dict[str, Path]:
    """Name repeated inputs for a manifest: ``police_uk``, or ``police_uk_1``, ``police_uk_2``."""
    paths = paths or []
    if len(paths) == 1:
        return {key: paths[0]}
    return {f"{key}_{i}": p for i, p in enumerate(paths, start=1)}


def write_run_manifest(a: argparse.Namespace, pack, sel, extra=None) -> None:  # type: ignore[no-untyped-def]
    """Write manifest.json: the command, every input file with its hash, the selection."""
    from dataclasses import asdict

    from hotspots import pipeline
    from hotspots.config import run_manifest, write_manifest

    inputs: dict[str, Any] = {}
    for attr, _ in FILE_FLAGS:
        given = getattr(a, attr, None)
        if isinstance(given, list):
            inputs.update(many(attr, given))
        elif given is not None:
            inputs[attr] = given
    if a.areas is None:  # a pack folder (the demo by default), with any files on top
        inputs["pack"] = pack.folder or a.pack or pipeline.DEMO_PACK
    m = run_manifest(command="python -m hotspots " + " ".join(sys.argv[1:]), inputs=inputs,
                     parameters={"selection": asdict(sel), "layer": a.layer, **(extra or {})})
    write_manifest(m, a.out / "manifest.json")
    record_export(a.command, a.out, data=str(inputs.get("pack") or a.areas),
                  selection=asdict(sel), suppress_below=sel.suppress_below)


def record_export(command: str, out: Path, *, data: str, selection: dict[str, Any] | None,
                  suppress_below: int | None) -> None:
    """Append the command's export to the audit log (``python -m hotspots audit`` reads it)."""
    from hotspots.report import audit

    files = sorted(p.name for p in out.iterdir() if p.is_file())
    audit.record(audit.audit_entry(
        user=audit.local_user(), via="cli", export=f"{command} (files)", files=files, data=data,
        selection=audit.selection_fields(selection) if selection is not None else None,
        suppress_below=suppress_below, folder=str(out)))


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


def print_ward_names(pack, limit: int = 10) -> None:  # type: ignore[no-untyped-def]
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
