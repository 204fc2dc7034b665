"""``pack build`` and ``pack areas``: a pack for any place from national open data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def pack_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``pack build`` and ``pack areas`` to the ``pack`` parser."""
    sub = p.add_subparsers(dest="pack_command", required=True)
    b = sub.add_parser("build", help="write a pack folder (pack.json, wards, population, "
                                     "deprivation, crime) for one place")
    b.add_argument("--area", required=True, action="append",
                   help="name or GSS code: local authority, community safety partnership, "
                        "police force area, region, England, Wales, or 'England and Wales' "
                        "(prefix lad:, csp:, pfa:, region: to pick a kind); repeat it for "
                        "several places in one pack")
    b.add_argument("--out", type=Path, required=True, help="pack folder to write")
    b.add_argument("--police-uk", type=Path, nargs="+", action="extend", default=[],
                   metavar="FILE_OR_FOLDER_OR_ZIP",
                   help="police.uk street CSVs, folders of months or archive zips")
    b.add_argument("--store", type=Path,
                   help="read police.uk rows from this store (python -m hotspots store add): "
                        "only the forces covering the area; with --police-uk, the files are "
                        "added to it first")
    b.add_argument("--assign-by", choices=["point", "lsoa"], default="point",
                   help="place police.uk rows by snap point in the ward polygon (default) or "
                        "by the row's LSOA code through the ONS lookup")
    b.add_argument("--deprivation", "--index", default="auto",
                   choices=["auto", "iod2025", "wimd2019", "composite", "none"],
                   help="auto: IoD 2025 in England, WIMD 2019 in Wales; composite: mySociety's "
                        "composite UK IMD (CC BY 4.0; for an area spanning both nations)")
    b.add_argument("--title", help="pack title (default: the place)")
    b.add_argument("--marking", default="OFFICIAL", help="protective marking")
    for q in (b, a := sub.add_parser("areas", help="list the places a pack can cover")):
        q.add_argument("--sources", type=Path,
                       help="TOML naming your own downloads of the national files "
                            "(default: ../shared/data; see sources.example.toml)")
    a.add_argument("--kind", choices=["local authority", "community safety partnership",
                                      "police force area", "region", "country"])
    a.add_argument("--search", help="names containing this text")


def run_pack(a: argparse.Namespace) -> int:
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
            a.area, a.out, sources=a.sources, police_uk=a.police_uk, store=a.store,
            assign_by=a.assign_by,
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
        print(f"Months flagged incomplete: {', '.join(m.months_incomplete)} (far fewer rows "
              "than the force's busiest month, or too few crimes for a whole month of any "
              "force; the rule in full is in the pack's PROVENANCE.md)")
    print("Reconciliation (rows in = assigned + unlocated + outside + rejected):")
    for r in built.reconciliation.itertuples(index=False):
        print(f"  {r.source}: {r.rows_in:,} = {r.assigned:,} + {r.unlocated:,} + "
              f"{r.outside:,} + {r.rejected:,}")
    took = ", ".join(f"{k} {v:.1f}s" for k, v in built.seconds.items())
    print(f"Wrote {built.folder}/ ({len(m.files or {})} files + pack.json, PROVENANCE.md) in "
          f"{sum(built.seconds.values()):.1f}s ({took})")
    return 0
