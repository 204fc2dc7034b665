"""Building a pack from files, one source at a time: shared by the page and the command line.

The page adds uploaded bytes to the pack on screen
(:func:`hotspots.pipeline.uploads.pack_with_uploads`); the command line adds
files given by path to a pack made of its ``--areas``
(:func:`hotspots.pipeline.assemble.assemble_pack`). Both go through the
functions here, so the same file gives the same reconciliation on both paths.

:class:`Parts` is the pack being built (mutable while building); each
``apply_*`` function reads one kind of file, places its records in the areas
and records a reconciliation row per file with its per-row details and the
readers' problems.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io as _io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hotspots._errors import InputDataError, UploadError
from hotspots._validate import REPORT_COLUMNS, Report
from hotspots.areas import join as join
from hotspots.areas import reconciliation as recon
from hotspots.areas.lsoa import lsoa_lookup, lsoa_report
from hotspots.areas.names import name_check
from hotspots.areas.wardrows import place_ward_rows
from hotspots.io import ColumnMap, read_met_ward_crime
from hotspots.io.uploads import named_error, read_referral_upload
from hotspots.pipeline.meta import PackMeta, UploadsInfo
from hotspots.pipeline.pack import Pack, with_referral_credit

__all__ = ["CRIME_COLUMNS", "FileInput", "Parts", "add_rec", "apply_met_wards",
           "apply_referrals", "drop_recs", "file_bytes", "finish", "rematched", "set_uploads",
           "start"]

#: A file to read: its name, and its bytes (an upload) or its path (the command line).
FileInput = tuple[str, bytes | str | os.PathLike[str]]
CRIME_COLUMNS = ["area_code", "month", "major", "minor", "count"]


@dataclass
class Parts:
    """The pieces of the pack being built.

    ``details`` pairs each reconciliation source label with its per-row details,
    so that a replaced source loses both its row and its details. ``kind`` is
    ``"upload"`` (the page) or ``"file"`` (the command line): it only changes
    the labels.
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
    kind: str = "upload"
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    detail_sources: set[str] = field(default_factory=set)
    problem_files: set[str] = field(default_factory=set)
    points: pd.DataFrame | None = None

    def label(self, what: str, name: str) -> str:
        """Reconciliation label of a file, e.g. ``"Recorded crime: police.uk upload (x.csv)"``."""
        if self.kind != "upload":
            return f"{what} ({name})"
        return f"Referrals (upload: {name})" if what == "Referrals" else f"{what} upload ({name})"

    def report(self, report: Report | pd.DataFrame) -> None:
        """Keep a reader's problems (and remember which files they name)."""
        frame = report.to_frame() if isinstance(report, Report) else report
        if len(frame):
            self.problems.append(frame)
            self.problem_files.update(str(f) for f in frame["file"].unique())


def start(base: Pack, *, kind: str = "upload") -> Parts:
    """Return the parts of ``base`` (its frozen meta; frames are shared, never mutated)."""
    u = base.unassigned
    ref_file = base.meta.referrals_file
    is_ref = (u["source"] == ref_file) if ref_file and len(u) else pd.Series(False, index=u.index)
    return Parts(meta=base.meta, areas=base.areas,
                 crime=base.crime, coverage=base.crime_coverage, referrals=base.referrals,
                 population=base.population, imd=base.imd, recs=base.reconciliations.copy(),
                 details=[("Recorded crime", u[~is_ref]), ("Referrals", u[is_ref])],
                 problems=[base.problems], points=base.points, kind=kind)


def finish(p: Parts, base: Pack, *, same_areas: bool) -> Pack:
    """Return the built pack."""
    problems = [f for f in p.problems if len(f)]
    # one text type for every source's details, so that stacking them never turns a
    # million Arrow strings into Python objects
    details = [d.astype({c: "str" for c in ("source", "status", "reason") if c in d})
               for _, d in p.details if len(d)]
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


def set_uploads(p: Parts, **changes: Any) -> None:
    """Change what ``p.meta.uploads`` records."""
    info = p.meta.uploads or UploadsInfo()
    p.meta = p.meta.replace(uploads=dataclasses.replace(info, **changes))


def rematched(p: Parts, source: str) -> None:
    """Record a source of the pack's own rows re-matched to uploaded boundaries."""
    info = p.meta.uploads or UploadsInfo()
    set_uploads(p, rematched=(*(info.rematched or ()), source))


def add_rec(p: Parts, rec: recon.Reconciliation, note: str, *, upload: bool = True) -> None:
    """Record a file's reconciliation row and its per-row details."""
    row = recon.reconciliation_frame([rec]).assign(note=note)
    p.recs = pd.concat([p.recs, row], ignore_index=True) if len(p.recs) else row
    p.details.append((rec.source, rec.details))
    if upload:
        p.sources.append(rec.source)
        p.detail_sources.update(str(s) for s in rec.details["source"].unique())


def drop_recs(p: Parts, prefix: str) -> None:
    """Drop the reconciliation rows and details of sources starting with ``prefix``."""
    p.recs = p.recs.loc[~p.recs["source"].str.startswith(prefix)].reset_index(drop=True)
    p.details = [(s, d) for s, d in p.details if not s.startswith(prefix)]


def file_bytes(name: str, part: str, data: bytes | str | os.PathLike[str]) -> bytes:
    """Return a file's bytes (read from its path when given one)."""
    if isinstance(data, bytes):
        return data
    try:
        return Path(data).read_bytes()
    except OSError as exc:
        raise UploadError(part, name, f"{name} cannot be read ({exc.strerror}).") from exc


# --------------------------------------------------------------------------- MPS ward files


def apply_met_wards(p: Parts, files: Sequence[FileInput]) -> None:
    """MPS ward files replace the recorded crime; they cover the wards they list.

    Each file gets a reconciliation of its rows (ward x offence rows of the file,
    not cells). The same bytes given twice are read once; a ward x offence x month
    cell in two files (overlapping downloads of the rolling 24 months) is counted
    once, from the file given first. The covered areas are the wards with a row
    in a file (zero counts included): every other ward shows "no data", never 0.
    """
    drop_recs(p, "Recorded crime")
    seen: dict[str, str] = {}
    parts: list[pd.DataFrame] = []
    covered: set[str] = set()
    names: list[str] = []
    for name, data in files:
        raw = file_bytes(name, "mps", data)
        digest = hashlib.sha256(raw).hexdigest()
        if digest in seen:
            p.notes.append(f"{name} has the same contents as {seen[digest]}: read once.")
            p.report(_one("warning", name, f"same contents as {seen[digest]}: read once (its "
                          "rows are not counted twice)", "Nothing to do."))
            continue
        seen[digest] = name
        try:
            res = read_met_ward_crime(_io.BytesIO(raw), label=name)
        except InputDataError as exc:
            raise UploadError("mps", name, named_error(name, exc)) from exc
        p.report(res.report)
        a, rec, cov = place_ward_rows(res, p.areas,
                                      source=p.label("Recorded crime: MPS ward file", name))
        a = _drop_repeated_cells(p, a, parts, name)
        add_rec(p, rec, "rows = the file's ward x offence rows (each with its months); placed "
                "by ward code; wards not in the file show 'no data', never 0")
        parts.append(a[CRIME_COLUMNS])
        covered |= cov
        names.append(name)
    if not parts:
        return
    crime = pd.concat(parts, ignore_index=True)
    p.crime = (crime.groupby(["area_code", "month", "major", "minor"], as_index=False)["count"]
               .sum().astype({"area_code": str, "month": str, "major": str, "minor": str,
                              "count": "int64"}))
    p.coverage = frozenset(covered)
    label = names[0] if len(names) == 1 else f"{len(names)} files"
    p.meta = p.meta.replace(
        crime_source=f"Metropolitan Police ward-level recorded crime ({label})",
        crime_coverage_note=(f"Areas covered by the MPS ward file(s): {len(covered):,} of "
                             f"{len(p.areas):,} (the wards they list); the others show "
                             "'no data', never 0."),
        crime_sources=None, crime_coverage_areas=None)
    p.notes.append(f"MPS ward crime from {label}: {int(p.crime['count'].sum()):,} offences in "
                   f"{len(covered):,} ward(s); they replace the pack's recorded crime. Wards "
                   "not in the file(s) show 'no data', never 0.")


def _one(severity: str, file: str, what: str, fix: str) -> Report:
    r = Report()
    r.add(severity, file, what, fix)  # type: ignore[arg-type]
    return r


def _drop_repeated_cells(p: Parts, a: pd.DataFrame, earlier: list[pd.DataFrame],
                         name: str) -> pd.DataFrame:
    """Drop ward x offence x month cells an earlier file already counted (reported)."""
    if not earlier:
        return a
    key = ["area_code", "major", "minor", "month"]
    before = pd.concat([e[key] for e in earlier], ignore_index=True).drop_duplicates()
    hit = a[key].merge(before.assign(_hit=True), on=key, how="left")["_hit"].notna().to_numpy()
    if not hit.any():
        return a
    months = sorted(a.loc[hit, "month"].astype(str).unique())
    span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
    p.report(_one("warning", name, f"{int(hit.sum()):,} ward x offence x month counts "
                  f"({span}) are also in an earlier file: counted once, from the earlier file",
                  "Nothing to do if the files are overlapping downloads; otherwise give one."))
    return a.loc[~hit].reset_index(drop=True)


# --------------------------------------------------------------------------- referrals


def apply_referrals(p: Parts, upload: FileInput, mapping: ColumnMap | None,
                    pack_lookup: pd.DataFrame | None) -> None:
    """Read a referral sheet and let it replace the pack's referrals.

    LSOA codes are placed by the pack's best-fit lookup when it applies to the
    areas, otherwise by each LSOA's point (:func:`hotspots.areas.lsoa.lsoa_lookup`,
    so they can be placed on uploaded boundaries too); rows with a 2011 or unknown
    code are named. Ward names that are not exactly one ward are offered for
    confirmation (:func:`hotspots.areas.names.name_check`).
    """
    name, data = upload
    res = read_referral_upload(name, file_bytes(name, "referrals", data), mapping)
    old_file = p.meta.referrals_file
    if old_file:  # the replaced referrals' reading problems go with them
        p.problems = [f[f["file"].astype(str) != str(old_file)] if "file" in f else f
                      for f in p.problems]
    p.report(res.report)
    drop_recs(p, "Referrals")
    lookup = None
    if "lsoa_code" in res.frame:
        lookup = lsoa_lookup(res.frame["lsoa_code"], p.areas, pack_lookup=pack_lookup)
        header = mapping.header("lsoa_code") if mapping is not None else None
        p.report(lsoa_report(res.frame, lookup, name, column=header))
    confirmed = mapping.ward_names if mapping is not None else ()
    a, rec = join.locate_records(res.frame, p.areas, source=p.label("Referrals", name),
                                 rejected=res.rejected, lsoa_lookup=lookup,
                                 ward_names=confirmed)
    by_name = res.frame[join.placed_by(res.frame, lookup is not None) == "name"]
    check = name_check(by_name, p.areas, ward_names=confirmed)
    set_uploads(p, ward_names=tuple(json.loads(check.to_json(orient="records"))))
    n_confirmed = int(check.loc[check["confirmed"].notna(), "rows"].sum()) if len(check) else 0
    add_rec(p, rec, "placed by the location columns of the mapping (ward code, LSOA, "
            "coordinates, then ward name)"
            + (f"; {n_confirmed:,} rows by ward names you confirmed" if n_confirmed else "")
            + (f"; {len(check) - int(check['confirmed'].notna().sum()):,} ward names are not "
               "exactly one ward (without a location; the closest names are offered)"
               if len(check) and check["confirmed"].isna().any() else ""))
    p.referrals = a[["area_code", "month", "category", "count"]].astype(
        {"area_code": str, "month": str, "count": "int64"}).reset_index(drop=True)
    was_synthetic = p.meta.uploads is not None and p.meta.uploads.base_synthetic
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
                   f"{'invented demo ' if was_synthetic else ''}referrals: {rec.assigned:,} of "
                   f"{rec.rows_in:,} rows placed in an area. The page is marked "
                   f"{p.meta.marking}.")
