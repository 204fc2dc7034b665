"""Which boroughs police.uk points cover: one rule for the CLI and the page.

A force's street-level file holds points it recorded inside its own area and a
few snapped just across the border. The covered boroughs are the local
authorities of the force's police force area (ONS LAD -> PFA lookup,
:mod:`boundaries.forces`); where the force is not known, where points are
dense. Owns that rule and the set of covered areas. Never imports stats, maps
or pipeline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from boundaries.forces import lad_pfa, match_forces
from hotspots._validate import ReadResult
from hotspots.areas.join import points_to_areas
from hotspots.areas.reconciliation import Reconciliation

__all__ = ["COVERAGE_MIN_POINTS", "COVERAGE_MIN_SHARE", "STATUS_OUTSIDE_COVERAGE",
           "PolicePlacement",
           "PoliceCoverage", "coverage_of", "place_police_uk", "police_boroughs_guess",
           "police_coverage", "restrict_to_coverage"]

#: A borough counts as covered by police.uk uploads (a guess the user can correct) when it
#: holds at least ``max(1, min(COVERAGE_MIN_POINTS, ceil(1% of the placed points)))``
#: points and its points per area are at least COVERAGE_MIN_SHARE of the densest
#: borough's: points a force snaps just across its border stay far below that share
#: (City of London Police files put 4% of the City's density into Tower Hamlets).
COVERAGE_MIN_POINTS = 10
COVERAGE_MIN_SHARE = 0.06
#: Reconciliation status of a placed point in an area its source does not cover (counted in
#: the *outside* bucket, which is "outside the study area" on the page and the command line).
STATUS_OUTSIDE_COVERAGE = "outside the study area"


_NO_BOROUGH = "(no borough)"


def _borough_of(areas: gpd.GeoDataFrame) -> pd.Series:
    return areas.set_index("area_code")["borough_name"].fillna(_NO_BOROUGH)


@dataclass(frozen=True)
class PoliceCoverage:
    """Which boroughs police.uk points cover, and why.

    Attributes
    ----------
    boroughs
        Borough names, sorted.
    forces
        ``{Falls within: police force area name, or None when none matches}``.
    rule
        How the boroughs were found, in plain words (for notes).
    """

    boroughs: tuple[str, ...]
    forces: dict[str, str | None]
    rule: str


def _density_guess(assigned: pd.DataFrame, areas: gpd.GeoDataFrame) -> set[str]:
    """Boroughs where the points are dense (see :data:`COVERAGE_MIN_SHARE`)."""
    borough = _borough_of(areas)
    per = assigned["area_code"].map(borough).value_counts()
    if per.empty:
        return set()
    need = max(1, min(COVERAGE_MIN_POINTS, math.ceil(0.01 * len(assigned))))
    density = per / borough.value_counts().reindex(per.index)
    ok = (per >= need) & (density >= COVERAGE_MIN_SHARE * density.max())
    return {str(b) for b in per.index[ok]}


def _borough_lads(areas: gpd.GeoDataFrame) -> pd.Series:
    """Borough name -> its LAD code (first non-blank ``borough_code``; "" when none)."""
    codes = areas.assign(_b=areas["borough_name"].fillna(_NO_BOROUGH))
    code = codes["borough_code"].astype("string").str.strip().replace("", pd.NA)
    return code.groupby(codes["_b"]).first().fillna("").astype(str)


def police_coverage(assigned: pd.DataFrame, areas: gpd.GeoDataFrame) -> PoliceCoverage:
    """Find the boroughs police.uk points cover: the force's area, else where points are dense.

    A borough (``borough_code`` = LAD code) is covered when its LAD lies in the
    police force area of a force named in ``falls_within`` (ONS LAD -> PFA
    lookup, :mod:`boundaries.forces`; names matched by
    :func:`boundaries.forces.force_key`). Points of a force no PFA matches (or
    with a blank ``falls_within``), and boroughs whose code is not in the lookup,
    use the density rule (:data:`COVERAGE_MIN_SHARE`, :data:`COVERAGE_MIN_POINTS`).

    Parameters
    ----------
    assigned
        Placed points with ``area_code`` and, ideally, ``falls_within``.
    areas
        The area layer (``borough_code``, ``borough_name``).

    Returns
    -------
    PoliceCoverage
    """
    table = lad_pfa()
    pfa_of_lad = dict(zip(table["lad_code"], table["pfa_code"], strict=True))
    pfa_name = dict(zip(table["pfa_code"], table["pfa_name"], strict=True))
    force = (assigned["falls_within"].astype("string").str.strip()
             if "falls_within" in assigned else pd.Series(pd.NA, index=assigned.index,
                                                          dtype="string"))
    matched = match_forces(force.dropna().unique())
    known = {c for c in matched.values() if c}
    lads = _borough_lads(areas)
    in_table = lads.isin(pfa_of_lad)
    by_force = {b for b, lad in lads[in_table].items() if pfa_of_lad[lad] in known}
    unknown_pts = ~force.isin([f for f, c in matched.items() if c])
    by_density = _density_guess(assigned.loc[unknown_pts], areas) if known else \
        _density_guess(assigned, areas)
    if known:  # the known force's points still decide boroughs the lookup lacks
        by_density |= (_density_guess(assigned, areas) & set(lads.index[~in_table]))
    rule = _coverage_rule(matched, pfa_name, unknown_pts.any(), (~in_table).any() and bool(known))
    return PoliceCoverage(tuple(sorted(by_force | by_density)),
                          {f: pfa_name.get(c) if c else None for f, c in matched.items()}, rule)


def _coverage_rule(matched: Mapping[str, str | None], pfa_name: Mapping[str, str],
                   any_unknown: bool, lads_missing: bool) -> str:
    forces = [f"{f} -> police force area '{pfa_name[c]}'" for f, c in sorted(matched.items())
              if c]
    unknown = sorted(f for f, c in matched.items() if not c)
    parts = []
    if forces:
        parts.append("covered boroughs = the local authorities of the force's area (ONS LAD "
                     "to police force area lookup, December 2019): " + "; ".join(forces))
    if any_unknown:
        who = (f"no police force area matches {', '.join(unknown)}" if unknown
               else "some rows do not say which force recorded them" if forces
               else "the files do not say which force recorded them")
        parts.append(f"{who}: the boroughs for those points are a guess from where the points "
                     "are dense (check them)")
    if lads_missing:
        parts.append("boroughs whose code is not in the lookup are guessed from where the "
                     "points are dense")
    return "; ".join(parts) or "no points placed: no borough covered"


def police_boroughs_guess(assigned: pd.DataFrame, areas: gpd.GeoDataFrame) -> tuple[str, ...]:
    """Guess which boroughs uploaded police.uk points cover (see :func:`police_coverage`).

    Parameters
    ----------
    assigned
        Placed points with ``area_code`` (and ``falls_within``, the force).
    areas
        The area layer (``borough_code``, ``borough_name``; areas without a
        borough name form one group).

    Returns
    -------
    tuple of str
        Borough names, sorted.
    """
    return police_coverage(assigned, areas).boroughs


def coverage_of(boroughs: Iterable[str], areas: gpd.GeoDataFrame) -> frozenset[str]:
    """Return the area codes of the given boroughs (areas without a borough: "(no borough)")."""
    borough = _borough_of(areas)
    return frozenset(borough.index[borough.isin(set(boroughs))])


def restrict_to_coverage(
    assigned: pd.DataFrame,
    rec: Reconciliation,
    coverage: frozenset[str] | set[str],
    areas: gpd.GeoDataFrame,
    *,
    covered_text: str,
) -> tuple[pd.DataFrame, Reconciliation]:
    """Move placed records whose area is outside the source's coverage to *outside*.

    A police force's file has a few points just across its border; those areas
    show "no data", so their points must not be counted as assigned either,
    or the reconciliation would not add up to the table.

    Parameters
    ----------
    assigned, rec
        :func:`hotspots.areas.join.points_to_areas`'s result.
    coverage
        Area codes the source covers.
    areas
        The area layer (``area_code``, ``area_name``, ``borough_name``).
    covered_text
        What the coverage is, in words (e.g. the covered boroughs), for the reason.

    Returns
    -------
    assigned : DataFrame
        Only the records in covered areas.
    reconciliation : Reconciliation
        ``assigned`` reduced and ``outside`` increased by the records moved; their
        details have status :data:`STATUS_OUTSIDE_COVERAGE` and a reason naming
        the area and the coverage.
    """
    inside = assigned["area_code"].isin(coverage)
    moved = assigned.loc[~inside]
    if moved.empty:
        return assigned.reset_index(drop=True), rec
    names = areas.set_index("area_code")
    ward = moved["area_code"].map(names["area_name"]).fillna(moved["area_code"])
    borough = moved["area_code"].map(names["borough_name"]).fillna("no borough")
    reason = ("in " + ward.astype(str) + " (" + borough.astype(str) + "), outside the study "
              "area: not one of the boroughs the force covers (" + covered_text + ")")
    extra = pd.DataFrame({
        "source": (moved["source"].to_numpy() if "source" in moved else ""),
        "source_row": (moved["source_row"].to_numpy() if "source_row" in moved else -1),
        "status": STATUS_OUTSIDE_COVERAGE,
        "reason": reason.to_numpy(),
    })
    details = (pd.concat([rec.details, extra], ignore_index=True)
               .sort_values(["source", "source_row"], kind="stable").reset_index(drop=True))
    out = Reconciliation(
        source=rec.source, rows_in=rec.rows_in, assigned=rec.assigned - len(moved),
        unlocated=rec.unlocated, outside=rec.outside + len(moved), rejected=rec.rejected,
        details=details)
    return assigned.loc[inside].reset_index(drop=True), out


@dataclass(frozen=True)
class PolicePlacement:
    """police.uk files placed in the areas, restricted to the boroughs the force covers.

    Attributes
    ----------
    files
        Per file, in the order given: the assigned records (covered areas only)
        and the file's reconciliation (points in uncovered areas counted
        *outside*, status :data:`STATUS_OUTSIDE_COVERAGE`).
    coverage
        :func:`police_coverage` of all the files' placed points (the guess).
    boroughs
        The covered boroughs used (the guess, or the caller's choice).
    covered_areas
        Area codes of those boroughs.
    rule
        How the boroughs were chosen, in words.
    moved
        Points moved to *outside* because their area is not covered, per file.
    """

    files: list[tuple[pd.DataFrame, Reconciliation]]
    coverage: PoliceCoverage
    boroughs: tuple[str, ...]
    covered_areas: frozenset[str]
    rule: str
    moved: list[int]


def place_police_uk(
    results: Sequence[tuple[str, ReadResult]],
    areas: gpd.GeoDataFrame,
    *,
    boroughs: Sequence[str] | None = None,
) -> PolicePlacement:
    """Place police.uk points by their snap points, then keep the force's boroughs only.

    The one placement rule for the command line and the page: each file's points
    go to the area they fall in (:func:`hotspots.areas.join.points_to_areas`,
    WGS84), the covered boroughs are :func:`police_coverage` of all files'
    points (or ``boroughs`` when the user chose them), and points in areas of
    other boroughs move to *outside* (:func:`restrict_to_coverage`).

    Parameters
    ----------
    results
        ``(source label, read result)`` per file (:func:`hotspots.io.read_police_uk`).
    areas
        The area layer (``area_code``, ``area_name``, ``borough_code``, ``borough_name``).
    boroughs
        Covered boroughs chosen by the user; ``None`` uses the guess.

    Returns
    -------
    PolicePlacement
    """
    placed = [points_to_areas(res.frame, areas, crs="EPSG:4326", source=label,
                              rejected=res.rejected) for label, res in results]
    cov = police_coverage(pd.concat([a for a, _ in placed], ignore_index=True), areas)
    chosen = tuple(sorted(boroughs)) if boroughs is not None else cov.boroughs
    covered = coverage_of(chosen, areas)
    rule = cov.rule if boroughs is None else "covered boroughs chosen on the page"
    files, moved = [], []
    for a, rec in placed:
        a, rec = restrict_to_coverage(a, rec, covered, areas,
                                      covered_text=", ".join(chosen) or "none")
        files.append((a, rec))
        moved.append(int((rec.details["status"] == STATUS_OUTSIDE_COVERAGE).sum()))
    return PolicePlacement(files, cov, chosen, covered, rule, moved)
