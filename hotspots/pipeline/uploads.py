"""Your own data on top of a pack: uploaded files read in memory and placed in its areas.

The dashboard lets an analyst add files to the pack they are looking at (the
demo pack or a pack folder): police.uk street-level crime CSVs or the
police.uk zip, a partner's referral spreadsheet with a column mapping, and a
boundary file. Everything here is a pure function of bytes: nothing is sent
anywhere, and a boundary file (which GDAL must read from disk) is written to a
temporary folder that is deleted before the function returns.

* :func:`pack_with_uploads` builds a new :class:`hotspots.Pack`:
  police.uk points are placed spatially in the pack's areas and **added** as
  crime measures under their own keys (major ``"police.uk: <Crime type>"``),
  keeping the pack's population and IMD; uploaded referrals **replace** the
  pack's (synthetic) referrals; an uploaded boundary file replaces the areas
  and keeps only the population, IMD, crime and referral rows whose area code
  is in the new layer (the reconciliation notes say how many).
* :func:`build_upload_pack` does the same but drops any upload that cannot be
  read, returning what went wrong, so the page keeps working.
* :func:`guess_mapping` pre-fills the column-mapping step from messy headers
  (and a remembered mapping); mappings are saved as the small JSON of
  :func:`hotspots.io.save_mapping`, on request under
  ``~/.config/hotspots/mappings/``.
* :func:`table_for` is :func:`hotspots.ward_table` with crime
  coverage per source (uploaded police.uk points do not cover the same areas
  as the pack's crime source).

Every error is an :class:`UploadError` (an
:class:`~hotspots._errors.InputDataError`) whose message starts with the
uploaded file's name and says what to do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from hotspots._errors import UploadError
from hotspots._validate import REPORT_COLUMNS
from hotspots.areas import join as join
from hotspots.areas.coverage import place_police_uk
from hotspots.areas.names import name_check
from hotspots.areas.upload import read_boundary_upload
from hotspots.io import ColumnMap
from hotspots.io.mappings import mapping_to_json
from hotspots.io.uploads import Upload, read_police_uploads, read_referral_upload
from hotspots.pipeline.measurekey import (  # the key constants, re-exported here too
    PACK_KEY,
    POLICE_UK_KEY,
    POLICE_UK_PREFIX,
    SOURCE_KEY_PREFIX,
)
from hotspots.pipeline.meta import CrimeSource, PackMeta, PointsReconciliation, UploadsInfo
from hotspots.pipeline.pack import (
    POLICE_UK_POINTS_NOTE,
    Pack,
    point_records,
    points_reconciliation,
    with_referral_credit,
)
from hotspots.pipeline.uploadrows import upload_details, upload_reconciliation, with_refused

__all__ = [
    "POLICE_UK_PREFIX",
    "SOURCE_KEY_PREFIX",
    "UploadError",
    "UploadFailure",
    "UploadOutcome",
    "UploadSet",
    "build_upload_pack",
    "pack_with_uploads",
    "upload_details",
    "upload_reconciliation",
]

Part = Literal["police_uk", "referrals", "boundary"]
CrimeMode = Literal["add", "replace"]
Layout = Literal["records", "aggregate"]


@dataclass(frozen=True)
class UploadSet:
    """Every upload of one session, as plain bytes (small and hashable by digest).

    Attributes
    ----------
    police_uk
        ``(file name, bytes)`` of police.uk street CSVs or archive zips.
    referral
        ``(file name, bytes)`` of a referral spreadsheet (CSV or XLSX), or ``None``.
    mapping
        Column mapping for the referral file.
    boundary
        ``(file name, bytes)`` of a GeoPackage, GeoJSON or zipped shapefile, or ``None``.
    assume_crs
        CRS to use for a boundary file that has none (e.g. ``"EPSG:27700"``).
    crime_mode
        ``"add"``: police.uk crime sits beside the pack's crime under its own
        keys; ``"replace"``: it replaces the pack's crime.
    police_boroughs
        Boroughs the police.uk files cover (``None``: guessed).
    """

    police_uk: tuple[Upload, ...] = ()
    referral: Upload | None = None
    mapping: ColumnMap | None = None
    boundary: Upload | None = None
    assume_crs: str | None = None
    crime_mode: CrimeMode = "add"
    police_boroughs: tuple[str, ...] | None = None

    @cached_property
    def digest(self) -> str:
        """SHA-256 over every name, every file's bytes and every option."""
        h = hashlib.sha256()
        for name, data in (*self.police_uk, self.referral or ("", b""),
                           self.boundary or ("", b"")):
            h.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        options = {"mapping": mapping_to_json(self.mapping) if self.mapping else None,
                   "assume_crs": self.assume_crs, "crime_mode": self.crime_mode,
                   "police_boroughs": self.police_boroughs}
        h.update(json.dumps(options, sort_keys=True).encode("utf-8"))
        return h.hexdigest()

    @property
    def is_empty(self) -> bool:
        """True when no file would change the pack."""
        return not self.police_uk and self.referral is None and self.boundary is None

    @property
    def names(self) -> tuple[str, ...]:
        """The uploaded file names."""
        files = [*self.police_uk, *(u for u in (self.referral, self.boundary) if u)]
        return tuple(name for name, _ in files)

    def without(self, part: Part, name: str) -> UploadSet:
        """Return a copy without the named upload."""
        if part == "police_uk":
            return dataclasses.replace(self, police_uk=tuple(u for u in self.police_uk
                                                             if u[0] != name))
        if part == "referrals":
            return dataclasses.replace(self, referral=None, mapping=None)
        return dataclasses.replace(self, boundary=None)


@dataclass(frozen=True)
class UploadFailure:
    """One upload left out, and why.

    Attributes
    ----------
    part
        ``"police_uk"``, ``"referrals"`` or ``"boundary"``.
    name
        The file name.
    message
        What is wrong and how to fix it.
    """

    part: str
    name: str
    message: str


@dataclass(frozen=True)
class UploadOutcome:
    """The pack built from the uploads that could be used, and those that could not.

    Attributes
    ----------
    pack
        The new pack (the base pack itself when nothing could be used).
    failures
        Uploads left out, with the reason.
    """

    pack: Pack
    failures: tuple[UploadFailure, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """Plain-words notes on what the uploads changed."""
        info = self.pack.meta.uploads
        return info.notes if info is not None else ()


# --------------------------------------------------------------------------- pack


@dataclass
class _Parts:
    """The pieces of the pack being built (private, mutable while building).

    ``details`` pairs each reconciliation source label with its per-row details,
    so that a replaced source loses both its row and its details.
    """

    meta: PackMeta
    areas: gpd.GeoDataFrame
    crime: pd.DataFrame
    coverage: frozenset[str]
    referrals: pd.DataFrame
    population: pd.DataFrame
    imd: pd.DataFrame
    recs: pd.DataFrame
    details: list[tuple[str, pd.DataFrame]]
    problems: list[pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    detail_sources: set[str] = field(default_factory=set)
    points: pd.DataFrame | None = None


def _start(base: Pack) -> _Parts:
    u = base.unassigned
    ref_file = base.meta.referrals_file
    is_ref = (u["source"] == ref_file) if ref_file and len(u) else pd.Series(False, index=u.index)
    return _Parts(meta=base.meta, areas=base.areas,
                  crime=base.crime, coverage=base.crime_coverage, referrals=base.referrals,
                  population=base.population, imd=base.imd, recs=base.reconciliations.copy(),
                  details=[("Recorded crime", u[~is_ref]), ("Referrals", u[is_ref])],
                  problems=[base.problems], points=base.points)


def _add_rec(p: _Parts, rec: join.Reconciliation, note: str, *, upload: bool = True) -> None:
    row = join.reconciliation_frame([rec]).assign(note=note)
    p.recs = pd.concat([p.recs, row], ignore_index=True)
    p.details.append((rec.source, rec.details))
    if upload:
        p.sources.append(rec.source)
        p.detail_sources.update(str(s) for s in rec.details["source"].unique())


def _drop_recs(p: _Parts, prefix: str) -> None:
    """Drop the reconciliation rows and details of sources starting with ``prefix``."""
    p.recs = p.recs.loc[~p.recs["source"].str.startswith(prefix)].reset_index(drop=True)
    p.details = [(s, d) for s, d in p.details if not s.startswith(prefix)]


def _apply_boundary(p: _Parts, upload: Upload, assume_crs: str | None, *,
                    keep_crime: bool, keep_referrals: bool) -> None:
    """Replace the areas; keep only population, IMD, crime and referral rows that match."""
    name, data = upload
    areas, report = read_boundary_upload(name, data, assume_crs=assume_crs)
    p.problems.append(report.to_frame())
    codes, old_codes, n = set(areas["area_code"]), set(p.areas["area_code"]), len(areas)
    crime, crime_rec = join.codes_to_areas(
        p.crime if keep_crime else p.crime.iloc[0:0], areas, code_col="area_code",
        source=f"Recorded crime (pack rows re-matched to {name})")
    refs, ref_rec = join.codes_to_areas(
        p.referrals if keep_referrals else p.referrals.iloc[0:0], areas, code_col="area_code",
        source=f"Referrals (pack rows re-matched to {name})")
    pop = p.population[p.population["area_code"].isin(codes)].reset_index(drop=True)
    imd = p.imd[p.imd["area_code"].isin(codes)].reset_index(drop=True)
    n_pop = int(pd.to_numeric(pop["population"], errors="coerce").notna().sum())
    n_imd = int(imd["imd_score"].notna().sum()) if "imd_score" in imd else 0
    p.recs, p.details = p.recs.iloc[0:0], []
    if keep_crime:
        _add_rec(p, crime_rec, "by ward code; codes not in the uploaded layer are 'outside' "
                 "(another boundary vintage)", upload=False)
        _rematched(p, crime_rec.source)
    if keep_referrals and len(p.referrals):
        _add_rec(p, ref_rec, "by ward code, as for crime", upload=False)
        _rematched(p, ref_rec.source)
    p.areas, p.crime, p.referrals = areas, crime[p.crime.columns], refs[p.referrals.columns]
    p.coverage = frozenset(p.coverage & codes)
    p.population, p.imd = pop, imd
    p.notes.append(
        f"Boundaries from {name}: {n:,} areas ({len(codes & old_codes):,} with the same code "
        f"as one of the pack's {len(old_codes):,}). Kept where the codes match: population "
        f"for {n_pop:,} of {n:,} areas, IMD for {n_imd:,}, {crime_rec.assigned:,} of "
        f"{crime_rec.rows_in:,} recorded-crime rows and {ref_rec.assigned:,} of "
        f"{ref_rec.rows_in:,} referral records; the rest was dropped."
    )
    p.meta = p.meta.replace(vintage=f"{name} (uploaded)")
    lost = "not available for the uploaded boundaries (no matching area codes)"
    if not n_pop:
        p.meta = p.meta.replace(population_source=lost)
    if not n_imd:
        p.meta = p.meta.replace(imd_source=lost)


def _uploads(p: _Parts, **changes: Any) -> None:
    """Change what ``p.meta.uploads`` records (set by :func:`pack_with_uploads` first)."""
    info = p.meta.uploads or UploadsInfo()
    p.meta = p.meta.replace(uploads=dataclasses.replace(info, **changes))


def _rematched(p: _Parts, source: str) -> None:
    info = p.meta.uploads or UploadsInfo()
    _uploads(p, rematched=(*(info.rematched or ()), source))


def _apply_police_uk(p: _Parts, files: Sequence[Upload], mode: CrimeMode,
                     boroughs: Sequence[str] | None) -> None:
    """Place police.uk points in the areas; add (or replace) crime measures.

    Points placed in an area outside the covered boroughs are not counted: they
    move from *assigned* to *outside* ("outside coverage", with the ward named)
    so that each file's reconciliation adds up to the table.
    """
    points, read, labelled = [], [], []
    if mode == "replace":
        _drop_recs(p, "Recorded crime")
    for name, res in read_police_uploads(files):
        p.problems.append(res.report.to_frame())
        points.append(point_records(res.frame))
        read.append(points_reconciliation(res))
        labelled.append((f"Recorded crime: police.uk upload ({name})", res))
    placed = place_police_uk(labelled, p.areas, boroughs=boroughs)
    cov, guess, chosen = placed.coverage, placed.coverage.boroughs, placed.boroughs
    coverage, rule, moved = placed.covered_areas, placed.rule, sum(placed.moved)
    parts = []
    for (a, rec), n_out in zip(placed.files, placed.moved, strict=True):
        _add_rec(p, rec, "placed spatially by police.uk's anonymised snap points; measures "
                 f"'{POLICE_UK_PREFIX}<Crime type>'; {rule}; {n_out:,} rows fall in wards "
                 "outside the covered boroughs and are counted as outside")
        parts.append(a.assign(major=POLICE_UK_PREFIX + a["category"].astype(str),
                              minor=a["category"].astype(str), count=1)
                     [["area_code", "month", "major", "minor", "count"]])
    new = (pd.concat(parts, ignore_index=True)
           .groupby(["area_code", "month", "major", "minor"], as_index=False)["count"].sum())
    new = new.astype({"area_code": str, "month": str, "major": str, "minor": str,
                      "count": "int64"})
    _uploads(p, police_boroughs=tuple(chosen), police_boroughs_guess=tuple(guess),
             police_coverage_rule=cov.rule, police_forces=dict(cov.forces))
    # The patrol view works on the uploaded points (they replace a pack's own points).
    p.points = pd.concat(points, ignore_index=True)
    rejected: dict[str, int] = {}
    for r in read:
        for reason, n in dict(r.rows_rejected).items():
            rejected[reason] = rejected.get(reason, 0) + n
    p.meta = p.meta.replace(
        points_source=_uploaded_label(files), points_boroughs=tuple(chosen),
        points_note=POLICE_UK_POINTS_NOTE,
        points_reconciliation=PointsReconciliation(
            rows_read=sum(r.rows_read for r in read),
            rows_kept=sum(r.rows_kept for r in read),
            rows_rejected=dict(sorted(rejected.items())),
            rows_without_location=sum(r.rows_without_location for r in read)),
        points_file=None)
    label = _uploaded_label(files)
    if mode == "replace" or not len(p.crime):
        p.crime, p.coverage = new, coverage
        p.meta = p.meta.replace(crime_source=label,
                                crime_coverage_note=_coverage_note(coverage, p.areas),
                                crime_sources=None)
    else:
        base_label = (p.meta.crime_source if p.meta.crime_source is not None
                      else "the pack's recorded crime")
        p.crime = pd.concat([p.crime, new], ignore_index=True)
        p.meta = p.meta.replace(crime_sources=(
            CrimeSource(key=PACK_KEY, label="pack data", coverage=tuple(sorted(p.coverage))),
            CrimeSource(key=POLICE_UK_KEY, label="police.uk uploads", prefix=POLICE_UK_PREFIX,
                        coverage=tuple(sorted(coverage))),
        ), crime_source=f"{base_label}; and {label}")
    p.meta = p.meta.replace(placement={**(p.meta.placement or {}),
                                       "police_uk": "police.uk anonymised snap point"})
    p.notes.append(f"police.uk: {int(new['count'].sum()):,} crimes placed in "
                   f"{new['area_code'].nunique():,} areas; "
                   + ("they replace the pack's recorded crime. " if mode == "replace" else
                      f"added beside the pack's crime as '{POLICE_UK_PREFIX}<Crime type>'. ")
                   + _coverage_note(coverage, p.areas) + f" How: {rule}."
                   + (f" {moved:,} points fall in wards outside the covered boroughs: counted "
                      "as 'outside coverage', not in the table." if moved else ""))


def _uploaded_label(files: Sequence[Upload]) -> str:
    """Short source label: the file's name, or how many files (not every name)."""
    if len(files) == 1:
        return f"police.uk street-level crime (uploaded: {files[0][0]})"
    return f"police.uk street-level crime (uploaded: {len(files):,} files)"


def _coverage_note(coverage: frozenset[str], areas: gpd.GeoDataFrame) -> str:
    return (f"Areas covered by the police.uk files: {len(coverage):,} of {len(areas):,} "
            "(the boroughs the files cover); the others show 'no data', never 0.")


def _lsoa_lookup(base: Pack, boundary_changed: bool) -> pd.DataFrame | None:
    """Return the pack's LSOA -> area best-fit lookup, when it applies to the areas."""
    path = base.folder / "imd_lsoa_assignment.csv" if base.folder else None
    if boundary_changed or path is None or not path.is_file():
        return None
    lookup = pd.read_csv(path, dtype=str).rename(columns={"small_code": "lsoa_code"})
    return lookup[["lsoa_code", "area_code"]] if "lsoa_code" in lookup else None


def _apply_referrals(p: _Parts, upload: Upload, mapping: ColumnMap | None,
                     lookup: pd.DataFrame | None) -> None:
    """Read the referral upload and let it replace the pack's referrals."""
    name, data = upload
    res = read_referral_upload(name, data, mapping)
    old_file = p.meta.referrals_file
    if old_file:  # the replaced referrals' reading problems go with them
        p.problems = [f[f["file"].astype(str) != str(old_file)] if "file" in f else f
                      for f in p.problems]
    p.problems.append(res.report.to_frame())
    _drop_recs(p, "Referrals")
    confirmed = mapping.ward_names if mapping is not None else ()
    a, rec = join.locate_records(res.frame, p.areas, source=f"Referrals (upload: {name})",
                                 rejected=res.rejected, lsoa_lookup=lookup, ward_names=confirmed)
    by_name = res.frame[join.placed_by(res.frame, lookup is not None) == "name"]
    check = name_check(by_name, p.areas, ward_names=confirmed)
    _uploads(p, ward_names=tuple(json.loads(check.to_json(orient="records"))))
    n_confirmed = int(check.loc[check["confirmed"].notna(), "rows"].sum()) if len(check) else 0
    _add_rec(p, rec, "placed by the location columns of the mapping (ward code, LSOA, "
             "coordinates, then ward name)"
             + (f"; {n_confirmed:,} rows by ward names you confirmed" if n_confirmed else "")
             + (f"; {len(check) - int(check['confirmed'].notna().sum()):,} ward names are not "
                "exactly one ward (without a location; the closest names are offered)"
                if len(check) and check["confirmed"].isna().any() else ""))
    p.referrals = a[["area_code", "month", "category", "count"]].astype(
        {"area_code": str, "month": str, "count": "int64"}).reset_index(drop=True)
    p.meta = p.meta.replace(
        synthetic_referrals=False, synthetic_label="", referrals_file=name,
        attribution=with_referral_credit(p.meta.attribution or "",
                                         f"Referrals: {name} (your file, read on this "
                                         "computer)."))
    marking = (p.meta.marking or "OFFICIAL").upper()
    if "SENSITIVE" not in marking and "SECRET" not in marking:
        p.meta = p.meta.replace(marking="OFFICIAL-SENSITIVE")  # real referrals: about children
    p.meta = p.meta.replace(placement={**(p.meta.placement or {}),
                                       "referrals": f"as given in {name}"})
    p.notes.append(f"Referrals from {name} replace the pack's "
                   f"{'invented demo ' if _was_synthetic(p) else ''}referrals: {rec.assigned:,} of "
                   f"{rec.rows_in:,} rows placed in an area. The page is marked "
                   f"{p.meta.marking}.")


def _was_synthetic(p: _Parts) -> bool:
    return p.meta.uploads is not None and p.meta.uploads.base_synthetic


def pack_with_uploads(
    base: Pack,
    *,
    police_uk_files: Iterable[Upload] = (),
    referral_file: Upload | None = None,
    mapping: ColumnMap | None = None,
    boundary_file: Upload | None = None,
    assume_crs: str | None = None,
    crime_mode: CrimeMode = "add",
    police_boroughs: Sequence[str] | None = None,
) -> Pack:
    """Return a new pack: ``base`` with the uploaded files read in and placed in its areas.

    Parameters
    ----------
    base
        The pack the user is looking at (not modified).
    police_uk_files
        ``(name, bytes)`` of police.uk street CSVs or archive zips. Points are
        placed spatially (:func:`hotspots.join.points_to_areas`, one
        reconciliation per file) and counted as crime measures with major
        group ``"police.uk: <Crime type>"`` and type ``"<Crime type>"``.
    referral_file, mapping
        ``(name, bytes)`` of a CSV/XLSX referral spreadsheet and its
        :class:`~hotspots.io.ColumnMap`. The records replace the pack's
        referrals (``meta.synthetic_referrals`` becomes False). LSOA codes
        are placed with the pack's LSOA lookup when it has one.
    boundary_file
        ``(name, bytes)`` of a boundary file (see :func:`read_boundary_upload`);
        it replaces the areas. Population, IMD, crime and referral rows are
        kept where their area code is in the new layer, dropped otherwise.
    assume_crs
        CRS for a boundary file that has none.
    crime_mode
        ``"add"`` (police.uk beside the pack's crime; ``meta.crime_sources``
        records each source's coverage, see :func:`table_for`) or
        ``"replace"``.
    police_boroughs
        Boroughs the police.uk files cover (areas elsewhere show "no data");
        ``None``: guessed by :func:`police_boroughs_guess`.

    Returns
    -------
    Pack
        ``folder=None``; ``meta.uploads`` lists the files, the
        reconciliation sources of the uploads and plain-words notes.
        ``reconciliations`` has one row per source, with a ``note``.

    Raises
    ------
    UploadError
        For the first upload that cannot be used (the message names the file,
        and the row or column where it can).
    """
    files = list(police_uk_files)
    p = _start(base)
    p.meta = p.meta.replace(uploads=UploadsInfo(
        base_synthetic=bool(base.meta.synthetic_referrals)))
    if boundary_file is not None:
        _apply_boundary(p, boundary_file, assume_crs,
                        keep_crime=not (files and crime_mode == "replace"),
                        keep_referrals=referral_file is None)
    if files:
        _apply_police_uk(p, files, crime_mode, police_boroughs)
    if referral_file is not None:
        _apply_referrals(p, referral_file, mapping, _lsoa_lookup(base, boundary_file is not None))
    names = [n for n, _ in files] + [u[0] for u in (referral_file, boundary_file) if u]
    title = base.meta.title if base.meta.title is not None else "Data pack"
    p.meta = p.meta.replace(title=f"{title} + your files")
    _uploads(p, files=tuple(names), sources=tuple(p.sources), notes=tuple(p.notes),
             detail_sources=tuple(sorted(p.detail_sources)))
    problems = [f for f in p.problems if len(f)]
    details = [d for _, d in p.details if len(d)]
    same_areas = boundary_file is None
    return Pack(
        folder=None, meta=p.meta, areas=p.areas, crime=p.crime,
        crime_coverage=frozenset(p.coverage), referrals=p.referrals,
        population=p.population, imd=p.imd, reconciliations=p.recs.reset_index(drop=True),
        unassigned=(pd.concat(details, ignore_index=True) if details
                    else base.unassigned.iloc[0:0].reset_index(drop=True)),
        problems=(pd.concat(problems, ignore_index=True) if problems
                  else pd.DataFrame(columns=REPORT_COLUMNS)),
        points=p.points,
        _web=base._web if same_areas else {},  # same areas: one set of web layers, built once
    )


def build_upload_pack(base: Pack, uploads: UploadSet) -> UploadOutcome:
    """Build the pack from every upload that can be used; report the others.

    An upload that raises :class:`UploadError` is left out and the pack is
    built again without it, so one bad file never hides the good ones.

    Parameters
    ----------
    base
        The pack the uploads are added to.
    uploads
        The session's uploads.

    Returns
    -------
    UploadOutcome
        The pack (``base``'s data when no upload could be used) and the failures.
        A refused police.uk or referral file still has its reconciliation row:
        its rows in, every one rejected, the reason in the note and per row.
    """
    failures: list[UploadFailure] = []
    todo = uploads
    pack = base
    while not todo.is_empty:
        try:
            pack = pack_with_uploads(
                base, police_uk_files=todo.police_uk, referral_file=todo.referral,
                mapping=todo.mapping, boundary_file=todo.boundary,
                assume_crs=todo.assume_crs, crime_mode=todo.crime_mode,
                police_boroughs=todo.police_boroughs)
            break
        except UploadError as exc:
            failures.append(UploadFailure(exc.part, exc.name, str(exc)))
            todo = todo.without(exc.part, exc.name)
    files = {("police_uk", n): d for n, d in uploads.police_uk}
    if uploads.referral is not None:
        files[("referrals", uploads.referral[0])] = uploads.referral[1]
    refused = [(f.part, f.name, f.message, files[(f.part, f.name)]) for f in failures
               if (f.part, f.name) in files]
    return UploadOutcome(with_refused(pack, refused), tuple(failures))
