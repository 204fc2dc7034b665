"""A pack from files given one by one (the command line's ``--areas``, ``--police-uk``, ...).

:func:`assemble_pack` reads each file with :mod:`hotspots.io`, places its
records in the areas (:mod:`hotspots.areas`) and returns the same
:class:`~hotspots.pipeline.pack.Pack` a pack folder gives, with a
reconciliation row per source. :func:`pack_with_files` puts files given
without ``--areas`` on a pack's own areas, as the page does with uploads.
"""

from __future__ import annotations

import io as _io
import re
import zipfile
from pathlib import Path

import pandas as pd

from boundaries.load import read_boundaries
from hotspots import io
from hotspots._errors import CRSError, InputDataError
from hotspots._validate import Report
from hotspots.areas import join as join
from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE, place_police_uk
from hotspots.pipeline.meta import PackMeta
from hotspots.pipeline.pack import (
    AREA_COLUMNS,
    POLICE_UK_POINTS_NOTE,
    Pack,
    empty_referrals,
    point_records,
    points_reconciliation,
)
from hotspots.pipeline.uploads import pack_with_uploads


def _name_crs_flag(text: str) -> str:
    """Name the command-line flag beside the Python argument in a CRS fix."""
    return re.sub(r'pass assume_crs=("?)([^"\s)]+)\1',
                  r"pass --assume-crs \2 on the command line (assume_crs=\1\2\1 in Python)",
                  text)


def assemble_pack(
    areas_path: Path | str,
    *,
    layer: str | None = None,
    police_uk: Path | str | None = None,
    mps: Path | str | None = None,
    referrals: Path | str | None = None,
    mapping: Path | str | None = None,
    population: Path | str | None = None,
    imd: Path | str | None = None,
    assume_crs: str | None = None,
) -> Pack:
    """Assemble a pack from individual files (what the CLI and uploads use).

    Parameters
    ----------
    areas_path
        Boundary file (GPKG, GeoJSON, shapefile; any CRS).
    layer
        Layer name in a multi-layer file.
    police_uk
        police.uk street CSV, folder of months, or archive zip; points are
        placed in areas spatially.
    mps
        MPS-layout ward crime file; rows placed by ward code.
    referrals, mapping
        Partner referral spreadsheet and its column mapping (JSON).
    population
        CSV with ``area_code`` and ``population``.
    imd
        CSV with ``area_code`` and ``imd_*`` columns (e.g. a pack's ``imd_wards.csv``).
    assume_crs
        CRS of a boundary file that has none (``--assume-crs`` on the command
        line).

    Returns
    -------
    Pack
        With a reconciliation row per source. police.uk points placed in an area
        outside the covered boroughs are counted *outside* (status
        :data:`STATUS_OUTSIDE_COVERAGE`), so the table sums to *assigned*.

    Raises
    ------
    CRSError
        The boundary file has no usable CRS; the message names both the
        ``--assume-crs`` flag and the ``assume_crs=`` argument.
    """
    try:
        areas, area_report = read_boundaries(areas_path, layer=layer, assume_crs=assume_crs)
    except CRSError as exc:
        raise CRSError(_name_crs_flag(str(exc))) from exc
    areas = areas[AREA_COLUMNS].sort_values("area_code").reset_index(drop=True)
    report = Report()
    report.extend(area_report)
    recs: list[join.Reconciliation] = []
    notes: list[str] = []
    crime_parts: list[pd.DataFrame] = []
    coverage: set[str] = set()
    points = None
    meta = PackMeta(title="Files from the command line", vintage=str(areas_path),
                    synthetic_referrals=False, attribution="", placement={})
    if police_uk is not None:
        res = io.read_police_uk(police_uk)
        report.extend(res.report)
        points = point_records(res.frame)
        placed = place_police_uk(
            [(f"Recorded crime: police.uk ({Path(police_uk).name})", res)], areas)
        (a, rec), = placed.files
        covered, cov = placed.boroughs, placed.coverage
        coverage |= placed.covered_areas
        recs.append(rec)
        meta = meta.replace(
            points_source=f"police.uk street-level crime ({Path(police_uk).name})",
            points_boroughs=tuple(covered), points_reconciliation=points_reconciliation(res),
            points_note=POLICE_UK_POINTS_NOTE)
        notes.append(f"placed by police.uk's anonymised snap points; {cov.rule}; "
                     f"{rec.outside:,} rows outside (of which "
                     f"{int((rec.details['status'] == STATUS_OUTSIDE_COVERAGE).sum()):,} in "
                     "wards outside the covered boroughs); areas elsewhere are 'no data'")
        a = a.assign(major=a["category"], minor=a["category"], count=1)
        crime_parts.append(a[["area_code", "month", "major", "minor", "count"]])
    if mps is not None:
        res = io.read_met_ward_crime(mps)
        report.extend(res.report)
        a, rec = join.codes_to_areas(res.frame, areas, code_col="area_code",
                                     source=f"Recorded crime: MPS ward file ({Path(mps).name})",
                                     rejected=res.rejected)
        recs.append(rec)
        notes.append("rows = ward x offence x month cells with a count; wards not in the file "
                     "are 'no data'")
        coverage |= set(a["area_code"])
        crime_parts.append(a[["area_code", "month", "major", "minor", "count"]])
    crime = (
        pd.concat(crime_parts, ignore_index=True)
        .groupby(["area_code", "month", "major", "minor"], as_index=False)["count"].sum()
        if crime_parts
        else pd.DataFrame(columns=["area_code", "month", "major", "minor", "count"])
    )
    refs = empty_referrals()
    if referrals is not None:
        if mapping is None:
            raise InputDataError(
                f"{referrals}: a referral file needs a column mapping (--mapping mapping.json)."
            )
        cmap = io.load_mapping(mapping)
        res = io.read_referrals(referrals, cmap)
        report.extend(res.report)
        a, rec = join.locate_records(res.frame, areas, source=f"Referrals ({Path(referrals).name})",
                                     rejected=res.rejected, ward_names=cmap.ward_names)
        recs.append(rec)
        notes.append("")
        refs = a[["area_code", "month", "category", "count"]].copy()
    pop = (
        pd.read_csv(population, dtype={"area_code": str})[["area_code", "population"]]
        if population is not None
        else pd.DataFrame({"area_code": areas["area_code"], "population": float("nan")})
    )
    imd_df = (
        pd.read_csv(imd, dtype={"area_code": str})
        if imd is not None
        else pd.DataFrame({"area_code": areas["area_code"]})
    )
    rec_frame = join.reconciliation_frame(recs)
    rec_frame["note"] = notes
    unassigned = [r.details for r in recs]
    return Pack(
        folder=None,
        meta=meta,
        areas=areas,
        crime=crime,
        crime_coverage=frozenset(coverage),
        referrals=refs,
        population=pop,
        imd=imd_df,
        reconciliations=rec_frame,
        unassigned=(pd.concat(unassigned, ignore_index=True) if unassigned
                    else pd.DataFrame(columns=["source", "source_row", "status", "reason"])),
        problems=report.to_frame(),
        points=points,
    )


def _police_files(path: Path | str) -> list[tuple[str, bytes]]:
    """Return a police.uk CSV, zip or folder as uploads (a folder zipped in memory)."""
    p = Path(path)
    if not p.is_dir():
        return [(p.name, p.read_bytes())]
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(p.rglob("*-street.csv")):
            z.writestr(f.relative_to(p).as_posix(), f.read_bytes())
    return [(f"{p.name}.zip", buf.getvalue())]


def pack_with_files(
    pack: Pack,
    *,
    police_uk: Path | str | None = None,
    referrals: Path | str | None = None,
    mapping: Path | str | None = None,
) -> Pack:
    """Return ``pack`` with files given without a boundary file, placed in its own areas.

    What the page does with uploads (:func:`hotspots.pipeline.uploads.pack_with_uploads`),
    for the command line's ``--police-uk`` and ``--referrals`` without ``--areas``.

    Parameters
    ----------
    pack
        The pack (a pack folder or the demo pack).
    police_uk
        police.uk street CSV, folder or archive zip: its crimes **replace** the
        pack's recorded crime (``crime:all`` is then this file's crime) and its
        points the pack's street-level points.
    referrals, mapping
        Referral spreadsheet and its column mapping (JSON): the records
        replace the pack's referrals (never mixed with the demo's SYNTHETIC ones).

    Returns
    -------
    Pack
        With a reconciliation row per file.

    Raises
    ------
    InputDataError
        A file cannot be used (the message names it), or a referral file
        without a mapping.
    """
    if referrals is not None and mapping is None:
        raise InputDataError(
            f"{referrals}: a referral file needs a column mapping (--mapping mapping.json).")
    return pack_with_uploads(
        pack,
        police_uk_files=_police_files(police_uk) if police_uk is not None else (),
        referral_file=((Path(referrals).name, Path(referrals).read_bytes())
                       if referrals is not None else None),
        mapping=io.load_mapping(mapping) if mapping is not None else None,
        crime_mode="replace")
