"""Which rule places police.uk rows in areas, and what the other rule would have done.

The page and the command line place police.uk rows by snap point (point in
polygon). On generalised boundaries that is approximate near an edge, so
:func:`assign_police` also

* counts the points within the layer's generalisation of an area edge
  (:func:`hotspots.areas.bylsoa.near_edge`) and warns in plain words;
* places the rows by their own LSOA code through the ONS LSOA (2021) -> ward
  (2025) best-fit lookup (:func:`hotspots.areas.bylsoa.place_by_lsoa`, the
  rule ``pack build --assign-by lsoa`` uses) whenever that lookup is on this
  computer and fits the areas, and reconciles the two rules row by row;
* uses the rule the user chose (``assign_by``).

The lookup is read from the national sources (:func:`boundaries.national.load_sources`,
``../shared/data`` or ``$HOTSPOTS_SHARED_DATA``); without it the LSOA rule is
not offered and :func:`lookup_for` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from boundaries import national
from boundaries.lsoapoints import lsoa_points
from hotspots._errors import InputDataError
from hotspots._validate import ReadResult
from hotspots.areas import reconciliation as join
from hotspots.areas.bylsoa import (
    compare_placements,
    generalisation_m,
    near_edge,
    place_by_lsoa,
    placement_crosstab,
)

__all__ = ["ASSIGN_RULES", "AssignBy", "LookupChoice", "PoliceAssignment", "assign_police",
           "lookup_file_missing", "lookup_for"]

AssignBy = Literal["point", "lsoa"]
#: The two rules, in words (the page's choice, notes and the reconciliation).
ASSIGN_RULES: dict[str, str] = {
    "point": "snap point (point in polygon)",
    "lsoa": "LSOA code (ONS LSOA 2021 -> ward 2025 best-fit lookup)",
}
#: Share of the areas whose code must be a ward of the lookup for it to apply.
LOOKUP_MIN_SHARE = 0.9
_OUTSIDE_EVERY = "coordinates lie outside every area"


@dataclass(frozen=True)
class LookupChoice:
    """The LSOA -> ward lookup for an area layer, or why there is none.

    Attributes
    ----------
    ward
        ``{LSOA (2021) code: ward (2025) code}`` (``None``: not available).
    why
        Where it came from, or why it cannot be used.
    """

    ward: dict[str, str] | None
    why: str


@cache
def _read_lookup(path: str, mtime: float) -> dict[str, str]:
    lk = national.read_ward_lookup21(Path(path))
    return dict(zip(lk["lsoa_code"].astype(str), lk["area_code"].astype(str), strict=True))


@cache
def _codes11() -> frozenset[str]:
    pts = lsoa_points()
    return frozenset(pts.loc[pts["vintage"].str.contains("2011"), "lsoa_code"].astype(str))


def lookup_file_missing() -> str | None:
    """Return why the ONS LSOA (2021) -> ward (2025) lookup is not on this computer, or ``None``.

    A quick check for the page (whether it fits the areas is :func:`lookup_for`'s).
    """
    path = national.load_sources().paths.get("ward_lookup")
    if path is not None and Path(path).is_file():
        return None
    return (f"the ONS lookup ({national.NATIONAL_FILES['ward_lookup'].title}) is not on this "
            f"computer (looked for {path}); set $HOTSPOTS_SHARED_DATA to the shared data folder "
            "to offer it")


def lookup_for(areas: gpd.GeoDataFrame | pd.DataFrame,
               path: Path | None = None) -> LookupChoice:
    """Return the ONS LSOA (2021) -> ward (2025) lookup when it applies to ``areas``.

    Parameters
    ----------
    areas
        The area layer (``area_code``).
    path
        The lookup CSV (default: the national sources' ``ward_lookup``).

    Returns
    -------
    LookupChoice
    """
    if path is None:
        missing = lookup_file_missing()
        if missing is not None:
            return LookupChoice(None, missing)
        path = national.load_sources().paths["ward_lookup"]
    title = national.NATIONAL_FILES["ward_lookup"].title
    if not Path(path).is_file():
        return LookupChoice(None, f"the ONS lookup ({title}) is not at {path}")
    try:
        ward = _read_lookup(str(path), Path(path).stat().st_mtime)
    except InputDataError as exc:
        return LookupChoice(None, f"the ONS lookup cannot be read: {exc}")
    codes = set(areas["area_code"].astype(str))
    share = len(codes & set(ward.values())) / max(len(codes), 1)
    if share < LOOKUP_MIN_SHARE:
        return LookupChoice(None, f"only {share:.0%} of the {len(codes):,} areas are 2025 "
                            f"wards of the ONS lookup ({title}): the boundaries are another "
                            "vintage or another kind of area")
    return LookupChoice(ward, f"{title} ({Path(path).name})")


@dataclass(frozen=True)
class PoliceAssignment:
    """police.uk rows placed by the chosen rule, with the other rule's reconciliation.

    Attributes
    ----------
    files
        ``(assigned rows, reconciliation)`` per file, by the chosen rule.
    rule
        ``"point"`` or ``"lsoa"``.
    comparison
        :func:`hotspots.areas.bylsoa.placement_crosstab` summed over the files
        (``by_point``, ``by_lsoa``, ``rows``); ``None`` without the lookup.
    differences
        :func:`hotspots.areas.bylsoa.compare_placements` summed over the files
        (``None`` without the lookup).
    edge
        ``tolerance_m``, ``placed``, ``placed_near_edge``, ``outside_every_area``,
        ``outside_near_edge`` (``None`` when the layer is not known to be generalised).
    lookup_why
        Where the lookup came from, or why the LSOA rule is not offered.
    notes
        Plain-words warnings and the reconciliation of the two rules.
    file_notes
        Per file (same order as ``files``): the generalisation warning and the
        rows the other rule places differently, for the file's reconciliation
        row (``""`` when there is nothing to say).
    """

    files: list[tuple[pd.DataFrame, join.Reconciliation]]
    rule: AssignBy
    comparison: pd.DataFrame | None
    differences: dict[str, int] | None
    edge: dict[str, float] | None
    lookup_why: str
    notes: list[str] = field(default_factory=list)
    file_notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the summary a pack's ``uploads.police_assignment`` keeps (no row data)."""
        return {"rule": self.rule, "rule_text": ASSIGN_RULES[self.rule],
                "lookup": self.lookup_why, "differences": self.differences,
                "edge": self.edge, "notes": list(self.notes),
                "comparison": (None if self.comparison is None
                               else self.comparison.to_dict("records"))}


def _edge_counts(results: Sequence[tuple[str, ReadResult]],
                 placed: Sequence[tuple[pd.DataFrame, join.Reconciliation]],
                 areas: gpd.GeoDataFrame, tol: float) -> dict[str, float]:
    k = ["source", "source_row"]
    frame = pd.concat([r.frame[[*k, "x", "y"]] for _, r in results], ignore_index=True)
    a = pd.concat([p[0][k] for p in placed], ignore_index=True)
    d = pd.concat([p[1].details for p in placed], ignore_index=True)
    out = d.loc[(d["status"] == join.STATUS_OUTSIDE) & (d["reason"] == _OUTSIDE_EVERY), k]
    near = frame.assign(near=near_edge(frame["x"].to_numpy(), frame["y"].to_numpy(), areas,
                                       tol))[[*k, "near"]]
    n_placed = a.merge(near, on=k, how="left")["near"].fillna(False).astype(bool)
    n_out = out.merge(near, on=k, how="left")["near"].fillna(False).astype(bool)
    return {"tolerance_m": tol, "placed": len(n_placed), "placed_near_edge": int(n_placed.sum()),
            "outside_every_area": len(n_out), "outside_near_edge": int(n_out.sum())}


def _file_edge_note(a: pd.DataFrame, res: ReadResult, areas: gpd.GeoDataFrame,
                    tol: float) -> str:
    xy = a[["source", "source_row"]].merge(res.frame[["source", "source_row", "x", "y"]],
                                           on=["source", "source_row"], how="left")
    n = int(near_edge(xy["x"].to_numpy(), xy["y"].to_numpy(), areas, tol).sum())
    return (f"generalised boundaries ({tol:g} m): {n:,} of the {len(a):,} rows placed by "
            f"snap point lie within {tol:g} m of an area edge")


def _edge_note(e: dict[str, float], vintage: str) -> str:
    tol = f"{e['tolerance_m']:g} m"
    share = e["placed_near_edge"] / e["placed"] if e["placed"] else np.nan
    return (f"Generalised boundaries ({vintage}): police.uk rows are placed by snap point on "
            f"lines simplified to about {tol}. {e['placed_near_edge']:,} of the "
            f"{e['placed']:,} rows placed ({share:.0%}) lie within {tol} of an area edge, where "
            "the simplified line may put them in the neighbouring area; "
            f"{e['outside_near_edge']:,} of the {e['outside_every_area']:,} rows outside every "
            f"area lie within {tol} of an edge. Placing by each row's own LSOA code avoids "
            "the boundary lines (see the comparison of the two rules).")


def _diff_note(d: dict[str, int], rule: AssignBy, n_covered: int, n_never: int) -> str:
    other = "lsoa" if rule == "point" else "point"
    return (f"Placed by {ASSIGN_RULES[rule]}. By {ASSIGN_RULES[other]} instead: "
            f"{d['rows_different_ward']:,} of the rows both rules place would be in another "
            f"area ({d['rows_same_ward']:,} in the same one); "
            f"{d['rows_lsoa_only']:,} rows placed by LSOA code are outside the study area or "
            f"without a location by snap point, and {d['rows_point_only']:,} rows placed by "
            "snap point are not placed by LSOA code (2011 codes, no code, or an LSOA whose "
            "best-fit ward is elsewhere). The LSOA rule puts a whole LSOA's crimes in one "
            f"ward: {n_never:,} of the {n_covered:,} covered areas are no LSOA's best fit "
            "and get none by LSOA code.")


def assign_police(results: Sequence[tuple[str, ReadResult]],
                  placed: Sequence[tuple[pd.DataFrame, join.Reconciliation]],
                  areas: gpd.GeoDataFrame, covered: frozenset[str], *,
                  assign_by: AssignBy = "point", vintage: str | None = None,
                  lookup: LookupChoice | None = None) -> PoliceAssignment:
    """Choose the rule, compare it with the other, and warn on generalised boundaries.

    Parameters
    ----------
    results
        ``(label, read result)`` per police.uk file.
    placed
        The snap-point placement of each file
        (:attr:`hotspots.areas.PolicePlacement.files`).
    areas
        The area layer.
    covered
        Area codes the files' force covers.
    assign_by
        The rule to count by.
    vintage
        The layer's description (``PackMeta.vintage``): its generalisation is
        read from it (:func:`hotspots.areas.bylsoa.generalisation_m`).
    lookup
        :func:`lookup_for` (default: looked up for ``areas``).

    Returns
    -------
    PoliceAssignment

    Raises
    ------
    InputDataError
        ``assign_by="lsoa"`` without a lookup that fits the areas (the message says why).
    """
    lookup = lookup if lookup is not None else lookup_for(areas)
    if assign_by == "lsoa" and lookup.ward is None:
        raise InputDataError(f"police.uk rows cannot be placed by LSOA code: {lookup.why}. "
                             "Place them by snap point instead (the default).")
    tol = generalisation_m(vintage)
    edge = _edge_counts(results, placed, areas, tol) if tol is not None and placed else None
    notes = [_edge_note(edge, vintage or "")] if edge is not None else []
    fnotes = [_file_edge_note(p[0], r, areas, tol) if tol is not None else ""
              for p, (_, r) in zip(placed, results, strict=True)]
    if lookup.ward is None:
        if edge is not None:
            notes.append(f"Placing by LSOA code is not offered here: {lookup.why}.")
        return PoliceAssignment(list(placed), "point", None, None, edge, lookup.why, notes,
                                fnotes)
    codes = set(areas["area_code"].astype(str))
    by_lsoa = [place_by_lsoa(label, res, lookup.ward, codes, covered, _codes11())
               for label, res in results]
    diffs = [compare_placements(p[0], q[0]) for p, q in zip(placed, by_lsoa, strict=True)]
    total = {k: sum(d[k] for d in diffs) for k in diffs[0]} if diffs else None
    tabs = [placement_crosstab(p, q) for p, q in zip(placed, by_lsoa, strict=True)]
    comparison = (pd.concat(tabs, ignore_index=True).groupby(["by_point", "by_lsoa"],
                                                             as_index=False)["rows"].sum()
                  if tabs else None)
    if total is not None:
        never = set(covered) - set(lookup.ward.values())
        notes.append(_diff_note(total, assign_by, len(covered), len(never)))
    other = "LSOA code" if assign_by == "point" else "snap point"
    fnotes = ["; ".join(x for x in (f, f"by {other} instead {d['rows_different_ward']:,} rows "
                                       f"would be in another area, {d['rows_lsoa_only']:,} placed "
                                       f"by LSOA code only, {d['rows_point_only']:,} by snap "
                                       "point only") if x)
              for f, d in zip(fnotes, diffs, strict=True)]
    files = list(placed) if assign_by == "point" else by_lsoa
    return PoliceAssignment(files, assign_by, comparison, total, edge, lookup.why, notes,
                            fnotes)
