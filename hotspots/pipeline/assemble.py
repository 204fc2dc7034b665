"""A pack from files given one by one (the command line's ``--areas``, ``--police-uk``, ...).

:func:`assemble_pack` reads the boundaries into an empty pack, then adds the
files with exactly the functions the page's uploads use
(:func:`hotspots.pipeline.uploads.pack_with_uploads`, ``kind="file"``), so the
same file gives the same reconciliation on the command line and on the page.
:func:`pack_with_files` puts files given without ``--areas`` on a pack's own
areas, as the page does with uploads.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from boundaries.load import read_boundaries
from hotspots import io
from hotspots._errors import CRSError, InputDataError
from hotspots._validate import REPORT_COLUMNS, Report
from hotspots.areas import reconciliation as recon
from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE
from hotspots.areas.upload import read_boundary_upload
from hotspots.pipeline.meta import PackMeta
from hotspots.pipeline.pack import AREA_COLUMNS, Pack, empty_referrals
from hotspots.pipeline.policeassign import AssignBy
from hotspots.pipeline.uploads import pack_with_uploads

__all__ = ["STATUS_OUTSIDE_COVERAGE", "assemble_pack", "pack_with_files", "read_area_table"]

PathOrPaths = Path | str | Sequence[Path | str]


def _name_crs_flag(text: str) -> str:
    """Name the command-line flag beside the Python argument in a CRS fix."""
    return re.sub(r'pass assume_crs=("?)([^"\s)]+)\1',
                  r"pass --assume-crs \2 on the command line (assume_crs=\1\2\1 in Python)",
                  text)


def _paths(value: PathOrPaths | None) -> list[tuple[str, str]]:
    if value is None:
        return []
    items = [value] if isinstance(value, (str, Path)) else list(value)
    return [(Path(v).name or str(v), str(v)) for v in items]


def _read_areas(path: Path | str, layer: str | None, assume_crs: str | None):  # type: ignore[no-untyped-def]
    """Read the boundary file (a zip through the same safe unzip as the page's uploads)."""
    try:
        if str(path).lower().endswith(".zip"):
            areas, report = read_boundary_upload(Path(path).name, Path(path).read_bytes(),
                                                 assume_crs=assume_crs)
        else:
            areas, report = read_boundaries(path, layer=layer, assume_crs=assume_crs)
    except CRSError as exc:
        raise CRSError(_name_crs_flag(str(exc))) from exc
    return areas[AREA_COLUMNS].sort_values("area_code").reset_index(drop=True), report


def read_area_table(path: Path | str, what: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV with one row per area (population, ward IMD); refuse repeated areas.

    Parameters
    ----------
    path
        The CSV (``area_code`` and the value columns).
    what
        What the file is, for messages ("--population", "--imd").
    columns
        Columns that must be there besides ``area_code``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputDataError
        A column is missing, or an area appears twice with different values (the
        message names the area and the rows). Identical repeats are dropped.
    """
    table = pd.read_csv(path, dtype={"area_code": str})
    missing = [c for c in ("area_code", *columns) if c not in table]
    if missing:
        raise InputDataError(f"{what} {path}: column(s) {', '.join(missing)} missing; columns "
                             f"found: {', '.join(map(str, table.columns))}.")
    table["area_code"] = table["area_code"].astype(str).str.strip()
    table = table.drop_duplicates()
    twice = table["area_code"].duplicated(keep=False)
    if twice.any():
        code = table.loc[twice, "area_code"].iloc[0]
        rows = [int(i) + 2 for i in table.index[table["area_code"] == code]]
        raise InputDataError(
            f"{what} {path}: area {code} appears {len(rows)} times with different values "
            f"(rows {', '.join(map(str, rows))}); {int(twice.sum())} rows in all. Keep one row "
            "per area: a table with two values for one area cannot be used.")
    return table.reset_index(drop=True)


def assemble_pack(
    areas_path: Path | str,
    *,
    layer: str | None = None,
    police_uk: PathOrPaths | None = None,
    mps: PathOrPaths | None = None,
    referrals: Path | str | None = None,
    mapping: Path | str | None = None,
    population: Path | str | None = None,
    imd: Path | str | None = None,
    assume_crs: str | None = None,
    crime_ids: io.CrimeIdRule = "as_published",
    assign_by: AssignBy = "point",
) -> Pack:
    """Assemble a pack from individual files (what the CLI and the board pack use).

    Parameters
    ----------
    areas_path
        Boundary file (GPKG, GeoJSON, shapefile or a zipped one; any CRS).
    layer
        Layer name in a multi-layer file.
    police_uk
        police.uk street CSVs, folders of months or archive zips (one or
        several, read together: :func:`hotspots.io.read_police_inputs`); points
        are placed in areas spatially.
    mps
        MPS-layout ward crime file(s); rows placed by ward code.
    referrals, mapping
        Partner referral spreadsheet and its column mapping (JSON).
    population
        CSV with ``area_code`` and ``population``.
    imd
        CSV with ``area_code`` and ``imd_*`` columns (e.g. a pack's ``imd_wards.csv``).
    assume_crs
        CRS of a boundary file that has none (``--assume-crs`` on the command
        line).
    crime_ids
        How a Crime ID repeated within a police.uk file counts
        (:data:`hotspots.io.CRIME_ID_RULES`).
    assign_by
        police.uk rows by ``"point"`` (snap point) or ``"lsoa"`` (their LSOA
        code, :mod:`hotspots.pipeline.policeassign`).

    Returns
    -------
    Pack
        With a reconciliation row per file. police.uk points placed in an area
        outside the covered boroughs are counted *outside* (status
        :data:`STATUS_OUTSIDE_COVERAGE`), so the table sums to *assigned*.

    Raises
    ------
    CRSError
        The boundary file has no usable CRS; the message names both the
        ``--assume-crs`` flag and the ``assume_crs=`` argument.
    InputDataError
        A file cannot be used (the message names it and says what to do).
    """
    areas, area_report = _read_areas(areas_path, layer, assume_crs)
    report = Report()
    report.extend(area_report)
    pop = (read_area_table(population, "--population", ["population"])[
        ["area_code", "population"]] if population is not None
        else pd.DataFrame({"area_code": areas["area_code"], "population": float("nan")}))
    imd_df = (read_area_table(imd, "--imd") if imd is not None
              else pd.DataFrame({"area_code": areas["area_code"]}))
    meta = PackMeta(title="Files from the command line", vintage=str(areas_path),
                    synthetic_referrals=False, attribution="", placement={})
    recs = recon.reconciliation_frame([]).assign(note=pd.Series(dtype=str))
    base = Pack(folder=None, meta=meta, areas=areas,
                crime=pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else str)
                                    for c in ("area_code", "month", "major", "minor", "count")}),
                crime_coverage=frozenset(), referrals=empty_referrals(), population=pop,
                imd=imd_df, reconciliations=recs,
                unassigned=pd.DataFrame(columns=["source", "source_row", "status", "reason"]),
                problems=report.to_frame() if len(report) else pd.DataFrame(
                    columns=REPORT_COLUMNS))
    if referrals is not None and mapping is None:
        raise InputDataError(
            f"{referrals}: a referral file needs a column mapping (--mapping mapping.json).")
    ref = (Path(referrals).name, str(referrals)) if referrals is not None else None
    pack = pack_with_uploads(
        base, police_uk_files=_paths(police_uk), mps_files=_paths(mps), referral_file=ref,
        mapping=io.load_mapping(mapping) if mapping is not None else None,
        crime_ids=crime_ids, kind="file", assign_by=assign_by)
    return dataclasses.replace(pack, meta=pack.meta.replace(title=meta.title))


def pack_with_files(
    pack: Pack,
    *,
    police_uk: PathOrPaths | None = None,
    referrals: Path | str | None = None,
    mapping: Path | str | None = None,
    crime_ids: io.CrimeIdRule = "as_published",
    assign_by: AssignBy = "point",
) -> Pack:
    """Return ``pack`` with files given without a boundary file, placed in its own areas.

    What the page does with uploads (:func:`hotspots.pipeline.uploads.pack_with_uploads`),
    for the command line's ``--police-uk`` and ``--referrals`` without ``--areas``.

    Parameters
    ----------
    pack
        The pack (a pack folder or the demo pack).
    police_uk
        police.uk street CSVs, folders or archive zips: their crimes **replace**
        the pack's recorded crime (``crime:all`` is then these files' crime) and
        their points the pack's street-level points.
    referrals, mapping
        Referral spreadsheet and its column mapping (JSON): the records
        replace the pack's referrals (never mixed with the demo's SYNTHETIC ones).
    crime_ids
        How a Crime ID repeated within a police.uk file counts.
    assign_by
        police.uk rows by ``"point"`` or ``"lsoa"`` (as :func:`assemble_pack`).

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
        pack, police_uk_files=_paths(police_uk),
        referral_file=(Path(referrals).name, str(referrals)) if referrals is not None else None,
        mapping=io.load_mapping(mapping) if mapping is not None else None,
        crime_mode="replace", crime_ids=crime_ids, assign_by=assign_by)
