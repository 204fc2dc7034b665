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
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import geopandas as gpd
import pandas as pd

from hotspots._errors import InputDataError, UploadError
from hotspots.areas import join as join
from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE, place_police_uk
from hotspots.areas.upload import read_boundary_upload
from hotspots.io import CRIME_ID_RULES, ColumnMap, CrimeIdRule
from hotspots.io.mappings import mapping_to_json
from hotspots.io.uploads import Upload, read_police_uploads
from hotspots.pipeline.building import (
    FileInput,
    Parts,
    add_rec,
    apply_met_wards,
    apply_referrals,
    drop_recs,
    finish,
    rematched,
    set_uploads,
    start,
)
from hotspots.pipeline.measurekey import (  # the key constants, re-exported here too
    PACK_KEY,
    POLICE_UK_KEY,
    POLICE_UK_PREFIX,
    SOURCE_KEY_PREFIX,
)
from hotspots.pipeline.meta import CrimeSource, PointsReconciliation, UploadsInfo
from hotspots.pipeline.pack import (
    POLICE_UK_POINTS_NOTE,
    Pack,
    point_records,
    points_reconciliation,
)
from hotspots.pipeline.policeassign import ASSIGN_RULES, AssignBy, assign_police
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

Part = Literal["police_uk", "mps", "referrals", "boundary"]
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
    mps
        ``(file name, bytes)`` of MPS ward-level crime files (they replace the
        pack's recorded crime and cover the wards they list).
    crime_ids
        How a Crime ID repeated within a police.uk file counts
        (:data:`hotspots.io.CRIME_ID_RULES`).
    assign_by
        How police.uk rows are placed: ``"point"`` (snap point) or ``"lsoa"``
        (their LSOA code, :mod:`hotspots.pipeline.policeassign`).
    """

    police_uk: tuple[Upload, ...] = ()
    referral: Upload | None = None
    mapping: ColumnMap | None = None
    boundary: Upload | None = None
    assume_crs: str | None = None
    crime_mode: CrimeMode = "add"
    police_boroughs: tuple[str, ...] | None = None
    mps: tuple[Upload, ...] = ()
    crime_ids: CrimeIdRule = "as_published"
    assign_by: AssignBy = "point"

    @cached_property
    def digest(self) -> str:
        """SHA-256 over every name, every file's bytes and every option."""
        h = hashlib.sha256()
        for name, data in (*self.police_uk, self.referral or ("", b""),
                           self.boundary or ("", b""), *self.mps):
            h.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        options = {"mapping": mapping_to_json(self.mapping) if self.mapping else None,
                   "assume_crs": self.assume_crs, "crime_mode": self.crime_mode,
                   "police_boroughs": self.police_boroughs, "n_police": len(self.police_uk),
                   "crime_ids": self.crime_ids, "assign_by": self.assign_by}
        h.update(json.dumps(options, sort_keys=True).encode("utf-8"))
        return h.hexdigest()

    @property
    def is_empty(self) -> bool:
        """True when no file would change the pack."""
        return (not self.police_uk and not self.mps and self.referral is None
                and self.boundary is None)

    @property
    def names(self) -> tuple[str, ...]:
        """The uploaded file names."""
        files = [*self.police_uk, *self.mps,
                 *(u for u in (self.referral, self.boundary) if u)]
        return tuple(name for name, _ in files)

    def without(self, part: Part, name: str) -> UploadSet:
        """Return a copy without the named upload (the first of that name)."""
        if part in ("police_uk", "mps"):
            files = list(getattr(self, part))
            at = next((i for i, u in enumerate(files) if u[0] == name), None)
            if at is None:  # not named by the failure: drop them all, never loop
                return dataclasses.replace(self, **{part: ()})
            return dataclasses.replace(self, **{part: tuple(files[:at] + files[at + 1:])})
        if part == "referrals":
            return dataclasses.replace(self, referral=None, mapping=None)
        return dataclasses.replace(self, boundary=None)


@dataclass(frozen=True)
class UploadFailure:
    """One upload left out, and why.

    Attributes
    ----------
    part
        ``"police_uk"``, ``"mps"``, ``"referrals"`` or ``"boundary"``.
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


def _apply_boundary(p: Parts, upload: Upload, assume_crs: str | None, *,
                    keep_crime: bool, keep_referrals: bool) -> None:
    """Replace the areas; keep only population, IMD, crime and referral rows that match."""
    name, data = upload
    areas, report = read_boundary_upload(name, data, assume_crs=assume_crs)
    p.report(report)
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
        add_rec(p, crime_rec, "by ward code; codes not in the uploaded layer are 'outside' "
                 "(another boundary vintage)", upload=False)
        rematched(p, crime_rec.source)
    if keep_referrals and len(p.referrals):
        add_rec(p, ref_rec, "by ward code, as for crime", upload=False)
        rematched(p, ref_rec.source)
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


def apply_police_uk(p: Parts, files: Sequence[FileInput], mode: CrimeMode,
                    boroughs: Sequence[str] | None, crime_ids: CrimeIdRule = "as_published",
                    assign_by: AssignBy = "point") -> None:
    """Place police.uk points in the areas; add (or replace) crime measures.

    The files are read together (:func:`hotspots.io.read_police_inputs`: a file
    given twice is read once, the same crime in two files counted once, Crime
    IDs repeated within a file counted as ``crime_ids`` says). Points placed in
    an area outside the covered boroughs are not counted: they move from
    *assigned* to *outside* (status "outside the study area", with the ward
    named) so that each file's reconciliation adds up to the table. With
    ``assign_by="lsoa"`` the rows are counted by their LSOA code instead
    (:func:`hotspots.pipeline.policeassign.assign_police`, which also warns on
    generalised boundaries and reconciles the two rules).
    """
    points, read, labelled = [], [], []
    if mode == "replace":
        drop_recs(p, "Recorded crime")
    prefix = POLICE_UK_PREFIX if (p.kind == "upload" or len(p.crime)) else ""
    got = read_police_uploads(files, crime_ids=crime_ids)
    for _name, why in got.skipped:
        p.notes.append(why + ".")
    p.report(got.report)
    for name, res in got.files:
        p.report(res.report)
        points.append(point_records(res.frame))
        read.append(points_reconciliation(res))
        labelled.append((p.label("Recorded crime: police.uk", name), res))
    placed = place_police_uk(labelled, p.areas, boroughs=boroughs)
    cov, guess, chosen = placed.coverage, placed.coverage.boroughs, placed.boroughs
    coverage, rule = placed.covered_areas, placed.rule
    try:
        chosen_rule = assign_police(labelled, placed.files, p.areas, coverage,
                                    assign_by=assign_by, vintage=p.meta.vintage)
    except InputDataError as exc:
        raise UploadError("police_uk", files[0][0], str(exc)) from exc
    parts = []
    moved = sum(int((rec.details["status"] == STATUS_OUTSIDE_COVERAGE).sum())
                for _, rec in chosen_rule.files)
    for (a, rec), (name, res), extra in zip(chosen_rule.files, got.files,
                                            chosen_rule.file_notes, strict=True):
        n_out = int((rec.details["status"] == STATUS_OUTSIDE_COVERAGE).sum())
        if rec.assigned == 0 and rec.outside:
            forces = ", ".join(sorted(str(f) for f in res.frame["falls_within"].dropna()
                                      .unique())) or "a force not named in the file"
            p.notes.append(f"None of the {rec.outside + rec.unlocated:,} rows of {name} "
                           f"({forces}) lies in the study area: check it is the right force's "
                           "file, or give boundaries that cover it.")
        how = ("placed spatially by police.uk's anonymised snap points; " if assign_by == "point"
               else f"placed by {ASSIGN_RULES['lsoa']}; ")
        add_rec(p, rec, how + (f"measures '{prefix}<Crime type>'; " if prefix else "")
                + f"{rule}; {n_out:,} rows fall in wards outside the covered boroughs and are "
                f"counted as outside the study area; {CRIME_ID_RULES[crime_ids]}"
                + (f"; {extra}" if extra else ""))
        # counted on categoricals; the few distinct texts are built after counting
        parts.append(a[["area_code", "month", "category"]].astype("category")
                     .value_counts(sort=False).rename("count").reset_index())
    new = (pd.concat([q.astype({"area_code": str, "month": str, "category": str})
                      for q in parts], ignore_index=True)
           .groupby(["area_code", "month", "category"], as_index=False)["count"].sum())
    new = new.loc[new["count"] > 0]
    new = pd.DataFrame({"area_code": new["area_code"].astype(str),
                        "month": new["month"].astype(str),
                        "major": prefix + new["category"].astype(str),
                        "minor": new["category"].astype(str),
                        "count": new["count"].astype("int64")}).reset_index(drop=True)
    set_uploads(p, police_boroughs=tuple(chosen), police_boroughs_guess=tuple(guess),
                police_coverage_rule=cov.rule, police_forces=dict(cov.forces),
                crime_ids=crime_ids, police_assignment=chosen_rule.to_json())
    # The patrol view works on the uploaded points (they replace a pack's own points).
    p.points = pd.concat(points, ignore_index=True)
    rejected: dict[str, int] = {}
    for r in read:
        for reason, n in dict(r.rows_rejected).items():
            rejected[reason] = rejected.get(reason, 0) + n
    label = _uploaded_label(files, p.kind)
    p.meta = p.meta.replace(
        points_source=label, points_boroughs=tuple(chosen),
        points_note=POLICE_UK_POINTS_NOTE,
        points_reconciliation=PointsReconciliation(
            rows_read=sum(r.rows_read for r in read),
            rows_kept=sum(r.rows_kept for r in read),
            rows_rejected=dict(sorted(rejected.items())),
            rows_without_location=sum(r.rows_without_location for r in read)),
        points_file=None)
    if mode == "replace" or not len(p.crime):
        p.crime, p.coverage = new, coverage
        p.meta = p.meta.replace(crime_source=label,
                                crime_coverage_note=_coverage_note(coverage, p.areas),
                                crime_sources=None, crime_coverage_areas=None)
    else:
        base_label = (p.meta.crime_source if p.meta.crime_source is not None
                      else "the pack's recorded crime")
        p.crime = pd.concat([p.crime, new], ignore_index=True)
        p.meta = p.meta.replace(crime_sources=(
            CrimeSource(key=PACK_KEY, label="pack data", coverage=tuple(sorted(p.coverage))),
            CrimeSource(key=POLICE_UK_KEY, label="police.uk uploads", prefix=POLICE_UK_PREFIX,
                        coverage=tuple(sorted(coverage))),
        ), crime_source=f"{base_label}; and {label}")
    p.meta = p.meta.replace(placement={**(p.meta.placement or {}), "police_uk": (
        "police.uk anonymised snap point" if assign_by == "point" else ASSIGN_RULES["lsoa"])})
    p.notes.append(f"police.uk: {int(new['count'].sum()):,} crimes placed in "
                   f"{new['area_code'].nunique():,} areas; "
                   + ("they replace the pack's recorded crime. " if mode == "replace" else
                      f"added beside the pack's crime as '{POLICE_UK_PREFIX}<Crime type>'. "
                      if prefix else "")
                   + _coverage_note(coverage, p.areas) + f" How: {rule}."
                   + (f" {moved:,} rows fall in wards outside the covered boroughs: counted "
                      "as outside the study area, not in the table." if moved else "")
                   + f" Crime IDs: {CRIME_ID_RULES[crime_ids]}.")
    p.notes.extend(chosen_rule.notes)


def _uploaded_label(files: Sequence[FileInput], kind: str = "upload") -> str:
    """Short source label: the file's name, or how many files (not every name)."""
    how = "uploaded: " if kind == "upload" else ""
    if len(files) == 1:
        return f"police.uk street-level crime ({how}{files[0][0]})"
    return f"police.uk street-level crime ({how}{len(files):,} files)"


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


def pack_with_uploads(
    base: Pack,
    *,
    police_uk_files: Iterable[FileInput] = (),
    mps_files: Iterable[FileInput] = (),
    referral_file: FileInput | None = None,
    mapping: ColumnMap | None = None,
    boundary_file: Upload | None = None,
    assume_crs: str | None = None,
    crime_mode: CrimeMode = "add",
    police_boroughs: Sequence[str] | None = None,
    crime_ids: CrimeIdRule = "as_published",
    kind: str = "upload",
    assign_by: AssignBy = "point",
) -> Pack:
    """Return a new pack: ``base`` with the uploaded files read in and placed in its areas.

    Parameters
    ----------
    base
        The pack the user is looking at (not modified).
    police_uk_files
        ``(name, bytes)`` of police.uk street CSVs or archive zips (or
        ``(name, path)``: a file, folder or zip). Points are placed spatially
        (:func:`hotspots.join.points_to_areas`, one reconciliation per file) and
        counted as crime measures with major group ``"police.uk: <Crime type>"``
        and type ``"<Crime type>"``.
    mps_files
        ``(name, bytes or path)`` of MPS ward-level crime files: they replace
        the pack's recorded crime and cover the wards they list
        (:func:`hotspots.pipeline.building.apply_met_wards`).
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
    crime_ids
        How a Crime ID repeated within a police.uk file counts
        (:data:`hotspots.io.CRIME_ID_RULES`; default: as police.uk publishes).
    assign_by
        ``"point"`` (default) or ``"lsoa"``: how police.uk rows are placed
        (:func:`hotspots.pipeline.policeassign.assign_police`).
    kind
        ``"upload"`` (the page) or ``"file"`` (the command line's files): only
        labels differ, and files give plain ``<Crime type>`` measures when
        police.uk is the only crime.

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
    mps = list(mps_files)
    p = start(base, kind=kind)
    p.meta = p.meta.replace(uploads=UploadsInfo(
        base_synthetic=bool(base.meta.synthetic_referrals)))
    if boundary_file is not None:
        _apply_boundary(p, boundary_file, assume_crs,
                        keep_crime=not ((files and crime_mode == "replace") or mps),
                        keep_referrals=referral_file is None)
    if mps:
        apply_met_wards(p, mps)
    if files:
        apply_police_uk(p, files, crime_mode, police_boroughs, crime_ids, assign_by)
    if referral_file is not None:
        apply_referrals(p, referral_file, mapping, _lsoa_lookup(base, boundary_file is not None))
    names = [n for n, _ in (*files, *mps)] + [u[0] for u in (referral_file, boundary_file) if u]
    if kind == "upload":
        title = base.meta.title if base.meta.title is not None else "Data pack"
        p.meta = p.meta.replace(title=f"{title} + your files")
    set_uploads(p, files=tuple(names), sources=tuple(p.sources), notes=tuple(p.notes),
                detail_sources=tuple(sorted(p.detail_sources)),
                problem_files=tuple(sorted(p.problem_files | set(names))))
    return finish(p, base, same_areas=boundary_file is None)


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
                base, police_uk_files=todo.police_uk, mps_files=todo.mps,
                referral_file=todo.referral, mapping=todo.mapping, boundary_file=todo.boundary,
                assume_crs=todo.assume_crs, crime_mode=todo.crime_mode,
                police_boroughs=todo.police_boroughs, crime_ids=todo.crime_ids,
                assign_by=todo.assign_by)
            break
        except UploadError as exc:
            failures.append(UploadFailure(exc.part, exc.name, str(exc)))
            todo = todo.without(exc.part, exc.name)
    files = {("police_uk", n): d for n, d in uploads.police_uk}
    files.update({("mps", n): d for n, d in uploads.mps})
    if uploads.referral is not None:
        files[("referrals", uploads.referral[0])] = uploads.referral[1]
    refused = [(f.part, f.name, f.message, files[(f.part, f.name)]) for f in failures
               if (f.part, f.name) in files]
    return UploadOutcome(with_refused(pack, refused), tuple(failures))
