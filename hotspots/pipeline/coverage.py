"""Which LSOAs the store has police.uk data for: the forces it holds, and no data elsewhere.

police.uk publishes each force's records in its own files; a store holding only
the Welsh forces knows nothing of Kent. An LSOA of a force the store does not
hold is **no data** (never 0 crimes) and is left out of every statistic (Gi*,
LISA, emerging hot spots are computed on the covered LSOAs only), and a place
with no covered LSOA gets a message naming the forces the store holds.

A force is matched to its police force area by name (``"Dyfed-Powys Police"``
is the police force area ``Dyfed-Powys``); a store force with no police force
area (British Transport Police) covers no LSOA and is named in
:attr:`StoreCoverage.unplaced`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from boundaries.places import resolve_area
from hotspots import store
from hotspots._errors import InputDataError
from hotspots.pipeline import packbuild, packcrime
from hotspots.pipeline.national import LsoaLayer
from hotspots.pipeline.nationalmap import crime_and_asb

__all__ = ["StoreCoverage", "cover_layer", "covered_counts", "covered_mask", "forces_words",
           "incomplete_lines", "incomplete_store_months", "no_data_message", "place_forces",
           "store_coverage"]


@dataclass(frozen=True)
class StoreCoverage:
    """The forces a store holds and the local authorities they police.

    Attributes
    ----------
    forces
        The store's forces (``Falls within``) matched to a police force area.
    lads
        The 2025 local authority codes of those police force areas.
    unplaced
        The store's forces with no police force area (e.g. British Transport Police).
    """

    forces: tuple[str, ...]
    lads: frozenset[str]
    unplaced: tuple[str, ...] = ()

    def words(self) -> str:
        """Return the forces held, in words.

        Examples
        --------
        >>> StoreCoverage(("Gwent Police", "Dyfed-Powys Police"), frozenset()).words()
        'Dyfed-Powys Police, Gwent Police'
        >>> StoreCoverage((), frozenset()).words()
        'no force (the store is empty)'
        """
        names = sorted(self.forces) + sorted(self.unplaced)
        return ", ".join(names) if names else "no force (the store is empty)"


def store_coverage(forces: Sequence[str], catalogue: Any) -> StoreCoverage:
    """Return the coverage of a store holding ``forces`` (:func:`hotspots.store.store_forces`).

    Parameters
    ----------
    forces
        Force names as police.uk writes them in ``Falls within``.
    catalogue
        The place catalogue (:attr:`hotspots.pipeline.packbuild.NationalData.catalogue`).

    Returns
    -------
    StoreCoverage
    """
    areas, unplaced = _force_lads(forces, catalogue)
    return StoreCoverage(tuple(areas), frozenset().union(*areas.values()), unplaced)


def _force_lads(forces: Sequence[str], catalogue: Any
                ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """Return each force's local authorities (in the given order), and the forces with none.

    A ``Falls within`` name that is no police force area of the catalogue (police.uk's
    British Transport Police) has no area of its own.
    """
    areas: dict[str, tuple[str, ...]] = {}
    unplaced: list[str] = []
    for name in forces:
        try:
            areas[str(name)] = tuple(resolve_area(f"pfa:{name}", catalogue).lads)
        except InputDataError:
            unplaced.append(str(name))
    return areas, tuple(unplaced)


def place_forces(forces: Sequence[str], place_lads: Sequence[str], catalogue: Any
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the store's forces whose rows are behind a place's map and statistics.

    A force covers the place when its police force area shares a local authority
    with it. A force with no area of its own (police.uk's British Transport Police)
    may have rows anywhere: its rows are read too (those outside the place count
    as outside every area).

    Parameters
    ----------
    forces
        The store's ``Falls within`` names (:func:`hotspots.store.store_forces`).
    place_lads
        The place's local authority codes (:attr:`boundaries.places.Place.lads`).
    catalogue
        The place catalogue.

    Returns
    -------
    covering : tuple of str
        Forces covering the place, sorted.
    unplaced : tuple of str
        Forces of the store with no area of their own, sorted.
    """
    want = set(place_lads)
    areas, unplaced = _force_lads(forces, catalogue)
    covering = [name for name, lads in areas.items() if want & set(lads)]
    return tuple(sorted(covering)), tuple(sorted(unplaced))


def forces_words(covering: Sequence[str], unplaced: Sequence[str]) -> str:
    """Return which forces' rows a reconciliation covers, in words.

    Examples
    --------
    >>> forces_words(["A Police"], ["BTP"])
    'rows of A Police (the force covering the place) and BTP (no area of its own)'
    """
    one = "the force" if len(covering) == 1 else "the forces"
    parts = [f"{', '.join(covering)} ({one} covering the place)"] if covering else []
    if unplaced:
        parts.append(f"{', '.join(unplaced)} (no area of its own)")
    return "rows of " + (" and ".join(parts) if parts else "no force")


def covered_mask(lad_codes: pd.Series, coverage: StoreCoverage) -> np.ndarray:
    """Return which LSOAs (by their local authority code) the store has data for.

    Examples
    --------
    >>> cov = StoreCoverage(("A Police",), frozenset({"L1"}))
    >>> covered_mask(pd.Series(["L1", "L2", "L1"]), cov).tolist()
    [True, False, True]
    """
    return lad_codes.astype(str).isin(coverage.lads).to_numpy()


def no_data_message(place: str, coverage: StoreCoverage) -> str:
    """Return what to say for a place with no covered LSOA.

    Examples
    --------
    >>> no_data_message("Kent", StoreCoverage(("Gwent Police",), frozenset()))[:60]
    'The store holds no police.uk data for Kent: it holds Gwent P'
    """
    return (f"The store holds no police.uk data for {place}: it holds {coverage.words()}. "
            "Add its files with python -m hotspots store add <police.uk archive or folder> "
            "--store <store file>.")


def cover_layer(layer: LsoaLayer, coverage: StoreCoverage) -> tuple[LsoaLayer, int]:
    """Return the layer's LSOAs the store has data for, and how many were left out.

    Parameters
    ----------
    layer
        A place's LSOAs (:func:`hotspots.pipeline.national.layer_of`).
    coverage
        :func:`store_coverage`'s result.

    Returns
    -------
    layer : LsoaLayer
        Only the covered LSOAs (and their deprivation rows), with a note saying
        which forces were covered and how many LSOAs were left out as no data.
    left_out : int

    Raises
    ------
    InputDataError
        No LSOA of the place is covered (:func:`no_data_message`).
    """
    keep = covered_mask(layer.areas["borough_code"], coverage)
    if not keep.any():
        raise InputDataError(no_data_message(layer.place.name, coverage))
    left_out = int((~keep).sum())
    if not left_out:
        note = f"Forces in the store: {coverage.words()}; every LSOA of the place covered."
        return replace(layer, notes=(*layer.notes, note)), 0
    areas = layer.areas.loc[keep].reset_index(drop=True)
    dep = layer.deprivation
    if len(dep):
        dep = dep.loc[dep["area_code"].isin(set(areas["area_code"]))].reset_index(drop=True)
    note = (f"Forces in the store: {coverage.words()}. {left_out:,} of {len(keep):,} LSOAs of "
            f"{layer.place.label} are in forces the store does not hold: no data, left out "
            f"of the statistics (not counted as 0); {len(areas):,} LSOAs tested.")
    return replace(layer, areas=areas, deprivation=dep, notes=(*layer.notes, note)), left_out


def covered_counts(counts: pd.DataFrame, lsoas: pd.DataFrame,
                   coverage: StoreCoverage | None) -> pd.DataFrame:
    """Return recorded crime and ASB per LSOA: 0 where covered and none, missing where no data.

    Parameters
    ----------
    counts
        Store counts ``area_code, month, category, count``.
    lsoas
        ``lsoa_code`` and ``lad_code`` (:attr:`hotspots.pipeline.nationalmap.NationalView.table`).
    coverage
        The forces the store holds; ``None``: every LSOA covered.

    Returns
    -------
    DataFrame
        ``lsoa_code``, ``crime``, ``asb`` as nullable integers (``<NA>``: an LSOA
        of a force the store does not hold: no data, never 0).
    """
    out = crime_and_asb(counts, lsoas["lsoa_code"])
    for col in ("crime", "asb"):
        out[col] = out[col].astype("Int64")
    if coverage is not None:
        out.loc[~covered_mask(lsoas["lad_code"], coverage), ["crime", "asb"]] = pd.NA
    return out


def incomplete_store_months(con: Any, forces: Sequence[str], months: Sequence[str],
                            data: Any) -> list[dict[str, Any]]:
    """Return the force-months of the store that look incomplete, as ``pack build`` flags them.

    The rule is :func:`hotspots.pipeline.packcrime.incomplete_months` (rows against the
    force's busiest month in the store, crimes per 1,000 residents of its force area
    against the floor), on the store's counted rows per force and month.

    Parameters
    ----------
    con
        An open store.
    forces
        The forces whose rows are read (others are not judged).
    months
        The months shown (flags of other months are left out).
    data
        The national lookups (:func:`hotspots.pipeline.packbuild.load_national`).

    Returns
    -------
    list of dict
        As :func:`~hotspots.pipeline.packcrime.incomplete_months`, by month then force.
    """
    rows = store.force_month_rows(con)
    residents = packbuild.force_residents(data, list(forces))
    flagged = packcrime.incomplete_months(rows, list(forces), residents=residents)
    keep = set(months)
    return [f for f in flagged if f["month"] in keep]


def incomplete_lines(flagged: Sequence[dict[str, Any]]) -> list[str]:
    """Return one plain-words line per incomplete force-month (empty when none).

    Examples
    --------
    >>> incomplete_lines([{"month": "2024-02", "force": "A Police", "why": "3 rows"}])[1]
    '  2024-02, A Police: 3 rows'
    """
    if not flagged:
        return []
    return [f"{len(flagged)} force-month(s) look incomplete in the police.uk data (read their "
            "counts as partial, not as low crime; cold spots there may be missing data):",
            *[f"  {f['month']}, {f['force']}: {f['why']}" for f in flagged]]
