"""police.uk street-level crime for a pack built for any place.

:func:`pack_crime` reads every ``--police-uk`` input (CSV, folder of months or
archive zip), places each row in the pack's 2025 wards and reconciles it:

* ``assign_by="point"`` (default): the row's anonymised snap point, by
  point-in-polygon (:func:`hotspots.areas.coverage.place_police_uk`);
* ``assign_by="lsoa"``: the row's own ``LSOA code`` through the ONS LSOA (2021)
  -> ward (2025) best-fit lookup.

Both rules are always run, and the pack says how many rows they put in
different wards. Coverage follows the force: a ward counts only when its local
authority is in the police force area of a force named in the files'
``Falls within`` (ONS December 2019 LAD -> PFA lookup, carried to 2025
authorities). Rows of a force whose area does not include the pack's place
are *outside coverage*; rows of the right force outside the place are
*outside*. LSOA codes of the wrong vintage (2011 codes in files from before
~2023) are counted and, under ``assign_by="lsoa"``, are *without a location*
with that reason; never dropped silently.

A month is flagged incomplete for a force (:func:`incomplete_months`) when
the force has fewer than half the rows of its busiest month in the files, or
when its crime rows (anti-social behaviour excluded), as a yearly rate per
1,000 residents of its police force area, fall below a floor no whole month
of any force comes near (:data:`RATE_FLOOR_PER_1000_A_YEAR`, :data:`INCOMPLETE_RULE`).
The second test catches a force whose every month in the files is short
(Dyfed-Powys, January to April 2024 in the shared data: its busiest month,
January, has 910 crimes for about 516,000 residents, 21 a year per 1,000).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import geopandas as gpd
import pandas as pd

from boundaries.forces import match_forces
from boundaries.places import Catalogue, Place
from hotspots import io, store
from hotspots._errors import EmptyInputError
from hotspots._validate import ReadResult
from hotspots.areas import reconciliation as recon
from hotspots.areas.bylsoa import compare_placements, lsoa_vintage, place_by_lsoa
from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE, place_police_uk
from hotspots.pipeline.pack import POLICE_UK_POINTS_NOTE, point_records, points_reconciliation

# the crime source's wording lives in wording (no duckdb import for a sentence); named here too
from hotspots.pipeline.wording import crime_source_text, crime_source_used

__all__ = ["INCOMPLETE_SHARE", "RATE_FLOOR_PER_1000_A_YEAR", "AssignBy", "CrimeResult",
           "StoreRead", "crime_source_text", "crime_source_used", "force_month_rates",
           "incomplete_months", "pack_crime", "read_store"]

AssignBy = Literal["point", "lsoa"]
#: A force's month is flagged when it has fewer rows than this share of the force's busiest
#: month in the files.
INCOMPLETE_SHARE = 0.5
#: ... or when its crime rows (ASB excluded) per 1,000 residents of the force area, times 12,
#: are below this: three quarters of the lowest yearly rate of police recorded crime
#: (excluding fraud) that ONS has published for any police force area since 2012 (about 40
#: per 1,000, Dyfed-Powys, the lowest-crime force: 41 in the year to September 2012; 40,873
#: crimes, about 79 per 1,000, in the year to September 2023).
RATE_FLOOR_PER_1000_A_YEAR = 30
INCOMPLETE_RULE = (
    "a month is flagged for a force when (1) the force's rows in the files that month are fewer "
    f"than {INCOMPLETE_SHARE:.0%} of its busiest month in the same files (a month far below "
    "the others is almost always a partial upload), or (2) its crime rows that month "
    "(anti-social behaviour excluded) for each 1,000 residents of its police force area "
    "(Census 2021), times 12, are fewer than "
    f"{RATE_FLOOR_PER_1000_A_YEAR}: three quarters of the lowest yearly rate of police recorded "
    "crime (excluding fraud) ONS has published for any force area since 2012 (about 40 per "
    "1,000, Dyfed-Powys), so no whole month of any force comes near it. Rule (2) catches a "
    "force whose every month in the files is short, which rule (1) cannot; a force a little "
    "short in every month passes both: compare with its published totals")
_ASB = "anti-social behaviour"


@dataclass(frozen=True)
class CrimeResult:
    """Recorded crime of a pack from police.uk files.

    Attributes
    ----------
    crime
        ``area_code, month, major, minor, count`` (police.uk crime type in both
        ``major`` and ``minor``).
    points
        Point records for the patrol view (:data:`hotspots.pipeline.POINT_COLUMNS`):
        the rows placed in the pack's wards and the covering forces' rows without
        a location.
    reconciliations
        One row per input (``source_reconciliation`` layout), rows in =
        assigned + without a location + outside + rejected.
    unassigned
        ``source, source_row, status, reason`` of every row not placed.
    covered
        Area codes of the wards the files' forces cover.
    meta
        ``pack.json`` entries (sources, months, coverage, incomplete months,
        the comparison of the two rules, LSOA code vintages).
    """

    crime: pd.DataFrame
    points: pd.DataFrame
    reconciliations: list[dict[str, Any]]
    unassigned: pd.DataFrame
    covered: frozenset[str]
    meta: dict[str, Any]


def force_month_rates(frame: pd.DataFrame, residents: Mapping[str, float]) -> pd.DataFrame:
    """Return each force-month's crime rows per 1,000 residents, as a yearly rate.

    Parameters
    ----------
    frame
        police.uk rows with ``falls_within``, ``month`` and ``category`` (rows
        whose category is anti-social behaviour are not crimes and not counted).
    residents
        Force name (as in ``Falls within``) -> residents of its police force area;
        forces not in it are left out.

    Returns
    -------
    DataFrame
        ``force, month, crime_rows, residents, crimes_per_1000_a_year``
        (``crime_rows / residents * 1000 * 12``, rounded to 0.1), by force then month.

    Examples
    --------
    >>> f = pd.DataFrame({"falls_within": ["A"] * 3, "month": ["2024-01"] * 3,
    ...                   "category": ["Burglary", "Robbery", "Anti-social behaviour"]})
    >>> force_month_rates(f, {"A": 1000}).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'force': 'A', 'month': '2024-01', 'crime_rows': 2, 'residents': 1000,
      'crimes_per_1000_a_year': 24.0}]
    """
    cols = ["force", "month", "crime_rows", "residents", "crimes_per_1000_a_year"]
    force = frame["falls_within"].astype("string")
    crime = ~frame["category"].astype("string").str.strip().str.casefold().eq(_ASB).fillna(
        False)
    months = frame["month"].astype("string")
    known = force.isin(list(residents)).fillna(False)
    pairs = pd.DataFrame({"force": force[known], "month": months[known]}).dropna()
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    weight = (frame["rows"].to_numpy(dtype="int64") if "rows" in frame
              else 1)  # one row each, or aggregated rows
    crime = crime.to_numpy(dtype=bool) * weight
    n = (pd.DataFrame({"force": force, "month": months, "crime": crime})[known]
         .groupby(["force", "month"])["crime"].sum())
    out = pairs.drop_duplicates().sort_values(["force", "month"]).reset_index(drop=True)
    out["crime_rows"] = [int(n.get((f, m), 0)) for f, m in zip(out["force"], out["month"],
                                                                strict=True)]
    out["residents"] = out["force"].map(residents).astype("int64")
    out["crimes_per_1000_a_year"] = (out["crime_rows"] / out["residents"] * 12_000).round(1)
    return out[cols].astype({"force": str, "month": str})


def incomplete_months(frame: pd.DataFrame, forces: Sequence[str] | None = None, *,
                      residents: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """Flag force-months that look incomplete (:data:`INCOMPLETE_RULE`).

    Parameters
    ----------
    frame
        police.uk rows with ``falls_within`` and ``month`` (and ``category`` for
        the rate rule); or rows aggregated with a ``rows`` column (how many each
        stands for: :func:`hotspots.store.force_month_rows`).
    forces
        Only these forces (``None``: all).
    residents
        Force name -> residents of its police force area, for the rate rule
        (a force not in it is judged on its busiest month alone).

    Returns
    -------
    list of dict
        ``{"month", "force", "rows", "busiest_month", "busiest_rows", "why"}`` per
        flagged force-month (with ``crime_rows``, ``residents`` and
        ``crimes_per_1000_a_year`` when the force's residents are known), by month
        then force. ``why`` says which test flagged it, with its numbers.

    Examples
    --------
    >>> f = pd.DataFrame({"falls_within": ["A"] * 13 + ["B"] * 2,
    ...                   "month": ["2024-01"] * 10 + ["2024-02"] * 3 + ["2024-01", "2024-02"]})
    >>> [(r["month"], r["force"], r["rows"]) for r in incomplete_months(f)]
    [('2024-02', 'A', 3)]
    """
    force = frame["falls_within"].astype("string").fillna("(force not given)")
    n = (pd.crosstab(force, frame["month"], values=frame["rows"], aggfunc="sum").fillna(0)
         .astype("int64") if "rows" in frame else pd.crosstab(force, frame["month"]))
    rates = (force_month_rates(frame, residents).set_index(["force", "month"])
             if residents and "category" in frame else pd.DataFrame())
    out = []
    for name, row in n.iterrows():
        if forces is not None and name not in forces:
            continue
        top = int(row.max())
        for month, rows in row.items():
            if not rows:
                continue
            why = []
            if rows < INCOMPLETE_SHARE * top:
                why.append(f"{int(rows):,} rows, under {INCOMPLETE_SHARE:.0%} of the "
                           f"{top:,} of its busiest month ({row.idxmax()})")
            extra: dict[str, Any] = {}
            if (name, month) in rates.index:
                r = rates.loc[(name, month)]
                extra = {"crime_rows": int(r["crime_rows"]), "residents": int(r["residents"]),
                         "crimes_per_1000_a_year": float(r["crimes_per_1000_a_year"])}
                if r["crimes_per_1000_a_year"] < RATE_FLOOR_PER_1000_A_YEAR:
                    why.append(f"{int(r['crime_rows']):,} crimes for {int(r['residents']):,} "
                               f"residents, {r['crimes_per_1000_a_year']:.1f} a year per "
                               f"1,000, below the floor of {RATE_FLOOR_PER_1000_A_YEAR}")
            if why:
                out.append({"month": str(month), "force": str(name), "rows": int(rows),
                            "busiest_month": str(row.idxmax()), "busiest_rows": top,
                            **extra, "why": "; ".join(why)})
    return sorted(out, key=lambda r: (r["month"], r["force"]))


def _read(paths: Sequence[Path]) -> list[tuple[str, ReadResult]]:
    """Read each input; with several, prefix each row's ``source`` with the input's name."""
    out = []
    # read together: the rules on repeats (a file given twice, the same crime in two
    # files) are the page's and the command line's (hotspots.io.read_police_inputs)
    read = io.read_police_inputs([(Path(p).name, p) for p in paths])
    for name, res in read.files:
        if len(paths) > 1:
            for f in (res.frame, res.rejected):
                if "source" in f:
                    f["source"] = name + "/" + f["source"].astype(str)
        out.append((f"Recorded crime: police.uk ({name})", res))
    return out


def _relabel_other_forces(rec: recon.Reconciliation, frame: pd.DataFrame,
                          outside_forces: set[str]) -> recon.Reconciliation:
    """Rows outside every ward recorded by a force not covering the place: outside coverage."""
    if not outside_forces:
        return rec
    force = frame.set_index(["source", "source_row"])["falls_within"]
    d = rec.details.copy()
    key = pd.MultiIndex.from_frame(d[["source", "source_row"]])
    f = pd.Series(force.reindex(key).to_numpy(), index=d.index).astype("string")
    move = (d["status"] == recon.STATUS_OUTSIDE) & f.isin(outside_forces)
    d.loc[move, "status"] = STATUS_OUTSIDE_COVERAGE
    d.loc[move, "reason"] = ("recorded by " + f[move].astype(str) + ", whose police force area "
                             "does not include the pack's area")
    return recon.Reconciliation(rec.source, rec.rows_in, rec.assigned, rec.unlocated,
                                rec.outside, rec.rejected, d)


def _rec_row(rec: recon.Reconciliation, note: str) -> dict[str, Any]:
    return {**rec.to_row(), "note": note}


#: Degrees added around the wards' box when reading other forces' rows from a store.
_BOX_PAD = 0.01


@dataclass(frozen=True)
class StoreRead:
    """The rows a pack takes from a store (:func:`read_store`).

    Attributes
    ----------
    results
        ``(label, ReadResult)``: the covering forces' rows, as the readers give them.
    forces_read
        The forces whose rows were read (their area includes the place, or unknown).
    forces_left
        The store's other forces, not read (their rows cannot be in the pack's wards'
        coverage; their count is in the note).
    rows_left
        Rows of those forces in the store.
    note
        The above in words (``crime_note`` in ``pack.json``).
    """

    results: list[tuple[str, ReadResult]]
    forces_read: list[str]
    forces_left: list[str]
    rows_left: int
    note: str


def read_store(con: duckdb.DuckDBPyConnection, place: Place, catalogue: Catalogue,
               wards: gpd.GeoDataFrame, *, label: str = "store") -> StoreRead:
    """Read from a store the rows of the forces covering the place, and any row near it.

    A pack from a national store never holds the whole country in memory: only
    the forces covering the place (and any force not in the ONS lookup) are
    read, with the rows of other forces whose point lies in the wards' bounding
    box (a crime snapped across a force border is placed in a ward as from the
    files), as :func:`hotspots.store.read_results` gives them (the readers' kept
    and rejected rows and problems), and then placed exactly as files are. The
    other rows (other forces, away from the place) are not read: from the files
    they would be *outside* every ward, so the pack's counts are the same.
    """
    forces = store.store_forces(con)
    matched = match_forces(forces)
    place_pfas = {catalogue.lad_pfa.get(lad) for lad in place.lads}
    read = sorted(f for f in forces if matched.get(f) in place_pfas or not matched.get(f))
    left = sorted(set(forces) - set(read))
    x0, y0, x1, y1 = (float(v) for v in wards.to_crs("EPSG:4326").total_bounds)
    box = (x0 - _BOX_PAD, y0 - _BOX_PAD, x1 + _BOX_PAD, y1 + _BOX_PAD)
    results = store.read_results(con, forces=read, or_within=box,
                                 label=f"Recorded crime: police.uk ({label})")
    if not results:
        raise EmptyInputError(
            f"{label}: no police.uk row of a force covering {place.name} ("
            f"{', '.join(sorted(catalogue_name(catalogue, p) for p in place_pfas if p))}"
            f"), nor any row near it; the store holds {', '.join(forces) or 'no rows'}. Add the "
            "force's files with 'python -m hotspots store add'.")
    n_read = results[0][1].rows_read
    rows_left = int(con.execute("SELECT count(*) FROM records").fetchone()[0]) - n_read
    note = (f"Read from the store {label}: the rows of {', '.join(read) or 'no force'}"
            + (f", and of other forces near the place; {rows_left:,} rows of "
               f"{', '.join(left)} away from the place (outside the box around its wards, so "
               "outside every ward) were not read" if left else "") + ".")
    return StoreRead(results, read, left, rows_left, note)


def pack_crime(paths: Sequence[Path], place: Place, wards: pd.DataFrame, lookup: pd.DataFrame,
               catalogue: Catalogue, codes11: frozenset[str], *, assign_by: AssignBy = "point",
               results: list[tuple[str, ReadResult]] | None = None,
               pfa_residents: Mapping[str, float] | None = None) -> CrimeResult:
    """Read police.uk files and place every row in the pack's wards.

    Parameters
    ----------
    paths
        police.uk street CSVs, folders of months or archive zips.
    place
        The pack's place.
    wards
        The pack's wards (EPSG:27700, ``borough_code`` = LAD25 code).
    lookup
        The whole LSOA (2021) -> ward (2025) lookup.
    catalogue
        :func:`boundaries.places.build_catalogue` (each authority's force area).
    codes11
        Every 2011 LSOA code (to tell a 2011 code from an unknown one).
    assign_by
        ``"point"`` or ``"lsoa"`` (module docstring).
    results
        Rows already read (:func:`read_store`) instead of ``paths``.
    pfa_residents
        Police force area code -> residents (Census 2021), for the incomplete-month
        rate rule (``None``: the busiest-month rule alone).

    Returns
    -------
    CrimeResult
    """
    results = _read(paths) if results is None else results
    if not results:
        raise EmptyInputError("no police.uk row to place: the store has no rows of a force "
                                "covering the place. Add the force's files with 'store add'.")
    frame = pd.concat([r.frame for _, r in results], ignore_index=True)
    forces = match_forces(frame["falls_within"].dropna().unique())
    place_pfas = {catalogue.lad_pfa.get(lad) for lad in place.lads}
    covering = {f for f, pfa in forces.items() if pfa in place_pfas}
    other = {f for f, pfa in forces.items() if pfa and pfa not in place_pfas}
    unknown = sorted(f for f, pfa in forces.items() if not pfa)
    pfas = {forces[f] for f in covering}
    lads = wards.drop_duplicates("borough_code")
    covered_names = sorted(lads.loc[lads["borough_code"].map(catalogue.lad_pfa).isin(pfas),
                                    "borough_name"])
    placed = place_police_uk(results, wards, boroughs=covered_names)
    covered = placed.covered_areas
    pack_codes = set(wards["area_code"])
    ward = dict(zip(lookup["lsoa_code"].astype(object), lookup["area_code"].astype(object),
                    strict=True))
    recs, assigned, details, diffs = [], [], [], []
    for (label, res), (a_pt, rec_pt) in zip(results, placed.files, strict=True):
        rec_pt = _relabel_other_forces(rec_pt, res.frame, other)
        a_ls, rec_ls = place_by_lsoa(label, res, ward, pack_codes, covered, codes11)
        rec_ls = _relabel_other_forces(rec_ls, res.frame, other)
        diffs.append(compare_placements(a_pt, a_ls))
        a, rec = (a_pt, rec_pt) if assign_by == "point" else (a_ls, rec_ls)
        assigned.append(a)
        details.append(rec.details)
        recs.append(_rec_row(rec, _note(rec, assign_by, diffs[-1])))
    a = pd.concat(assigned, ignore_index=True)
    crime = (a.assign(major=a["category"], minor=a["category"], count=1)
             .groupby(["area_code", "month", "major", "minor"], as_index=False)["count"].sum()
             .sort_values(["area_code", "month", "major", "minor"]).reset_index(drop=True))
    keep_forces = covering | set(unknown)
    no_xy = frame[frame["x"].isna() & frame["falls_within"].isin(keep_forces)]
    points = point_records(pd.concat([a, no_xy], ignore_index=True)
                           .sort_values(["source", "source_row"]))
    residents = {f: pfa_residents[pfa] for f, pfa in forces.items()
                 if pfa and pfa in (pfa_residents or {})}
    flagged = incomplete_months(frame, sorted(keep_forces) or None, residents=residents)
    vint = lsoa_vintage(frame["lsoa_code"], ward.keys(), codes11).value_counts()
    months = sorted(frame["month"].dropna().unique())
    total = {k: int(sum(d[k] for d in diffs)) for k in diffs[0]} if diffs else {}
    meta = {
        "crime_source": crime_source_text(forces, covering),
        "crime_months": [months[0], months[-1]] if months else [],
        "crime_note": "",
        "crime_coverage_note": (
            f"Covered: the wards of {', '.join(covered_names) or 'no authority'} (the police "
            f"force area of {', '.join(sorted(covering)) or 'no force in the files'}); other "
            "wards are 'no data', never zero."),
        "crime_forces": {f: (catalogue_name(catalogue, pfa) if pfa else None)
                         for f, pfa in sorted(forces.items())},
        "placement": {"crime": _RULES[assign_by], "referrals": "none in this pack"},
        "police_uk_assignment": {"rule": assign_by, "text": _RULES[assign_by],
                                 "other_rule": _RULES["lsoa" if assign_by == "point" else
                                                      "point"], **total},
        "police_uk_lsoa_codes": {str(k): int(v) for k, v in vint.sort_index().items()},
        "months_incomplete": sorted({r["month"] for r in flagged}),
        "months_incomplete_rule": INCOMPLETE_RULE,
        "months_incomplete_detail": flagged,
        "points_source": "police.uk street-level crime, " + ", ".join(sorted(covering or forces))
        + (f", {months[0]} to {months[-1]}" if months else ""),
        "points_boroughs": covered_names,
        "points_note": POLICE_UK_POINTS_NOTE + " The pack keeps the rows placed in its wards "
        "and the covering forces' rows without a location.",
        "points_reconciliation": _points_summary(results),
    }
    unassigned = pd.concat(details, ignore_index=True)
    return CrimeResult(crime, points, recs, unassigned, frozenset(covered), meta)


_RULES = {
    "point": "police.uk snap point inside the 2025 ward polygon (point in polygon); wards of "
             "authorities outside the force's area are not covered",
    "lsoa": "the row's own LSOA code (2021) through the ONS LSOA (2021) -> ward (2025) "
            "best-fit lookup",
}


def catalogue_name(catalogue: Catalogue, code: str) -> str:
    """Return a place's name from its code (the code when unknown)."""
    return next((p.name for p in catalogue.places if p.code == code), code)


def _note(rec: recon.Reconciliation, assign_by: AssignBy, diff: dict[str, int]) -> str:
    cov = int((rec.details["status"] == STATUS_OUTSIDE_COVERAGE).sum())
    other = "LSOA code" if assign_by == "point" else "snap point"
    return (f"placed by {'snap point (point in polygon)' if assign_by == 'point' else 'LSOA code (ONS lookup)'}; "  # noqa: E501
            f"{rec.outside:,} outside (of which {cov:,} outside the force's coverage); by "
            f"{other} instead, {diff['rows_different_ward']:,} of the rows both rules place "
            f"would be in a different ward, {diff['rows_point_only'] + diff['rows_lsoa_only']:,} "
            "placed by one rule only")


def _points_summary(results: list[tuple[str, ReadResult]]) -> dict[str, Any]:
    """Sum how the police.uk inputs were read (``points_reconciliation`` in pack.json)."""
    parts = [points_reconciliation(r).to_json() for _, r in results]
    rejected: dict[str, int] = {}
    for p in parts:
        for k, v in p["rows_rejected"].items():
            rejected[k] = rejected.get(k, 0) + v
    return {"rows_read": sum(p["rows_read"] for p in parts),
            "rows_kept": sum(p["rows_kept"] for p in parts), "rows_rejected": rejected,
            "rows_without_location": sum(p["rows_without_location"] for p in parts)}
