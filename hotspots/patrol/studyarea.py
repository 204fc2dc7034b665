"""The patrol study area: which of a pack's local authorities the cells cover by default.

A force or region pack covers thousands of km\u00b2: at 150 m that is far more cells than
the patrol analysis handles (:data:`hotspots.patrol.analysis.MAX_CELLS`). The default
study area is then the one authority (or partnership) with the most located points
among those that fit, and the caller says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import pandas as pd

from hotspots.patrol.grid import DEFAULT_CELL_SIZE

__all__ = ["CHOOSE_ON_PAGE", "default_study_area"]


#: How the page's reader chooses other areas (the command line passes its own words)
CHOOSE_ON_PAGE = "under 'Study area' in the patrol settings"


def default_study_area(points: pd.DataFrame, areas: gpd.GeoDataFrame, boroughs: Sequence[str],
                       *, cell_size: float | Literal["auto"], max_cells: int,
                       choose: str = CHOOSE_ON_PAGE) -> tuple[tuple[str, ...], str]:
    """Return the default study area and a sentence saying why (empty when all fit).

    Parameters
    ----------
    points
        Located records: ``x``, ``y`` in EPSG:4326 (police.uk longitude, latitude).
    areas
        Projected areas (metres) with ``borough_name``.
    boroughs
        The authorities the points cover (``pack.meta.points_boroughs``).
    cell_size
        Cell size in metres; ``"auto"`` counts as :data:`hotspots.patrol.grid.DEFAULT_CELL_SIZE`
        (the size the analysis checks its cell limit with).
    max_cells
        The most cells the analysis handles.
    choose
        Where the reader chooses other areas, for the sentence (the page's
        control, or the command line's flag).

    Returns
    -------
    tuple of str, str
        All ``boroughs`` and ``""`` when they fit; otherwise the fitting
        authority with the most located points (all months, crime and ASB) and
        a sentence naming the rule.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a = gpd.GeoDataFrame({"borough_name": ["A", "B"]},
    ...                      geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
    ...                      crs="EPSG:27700")
    >>> default_study_area(pd.DataFrame({"x": [], "y": []}), a, ["A", "B"],
    ...                    cell_size=100, max_cells=200)
    (('A', 'B'), '')
    """
    names = tuple(boroughs)
    cell_size = DEFAULT_CELL_SIZE if cell_size == "auto" else float(cell_size)
    study = areas[areas["borough_name"].isin(names)]
    per = study.geometry.area.groupby(study["borough_name"]).sum() / cell_size**2
    if per.sum() <= max_cells or per.empty:
        return names, ""
    fits = per[per <= max_cells]
    if fits.empty:
        return names, ""  # none fits alone: the analysis's own message says what to do
    xy = points.dropna(subset=["x", "y"])
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy["x"], xy["y"]),
                           crs="EPSG:4326").to_crs(areas.crs)
    joined = gpd.sjoin(pts, study[["borough_name", "geometry"]], predicate="within")
    counts = joined["borough_name"].value_counts().reindex(fits.index, fill_value=0)
    best = str(counts.sort_values(ascending=False, kind="stable").index[0])
    km2 = float(study.geometry.area.sum()) / 1e6
    return (best,), (
        f"All {len(names)} areas ({km2:,.0f} km\u00b2) would make about {per.sum():,.0f} cells "
        f"of {cell_size:g} m, more than the {max_cells:,} the patrol analysis handles, so the "
        f"study area starts as {best}, the area with the most located records "
        f"({int(counts[best]):,} in the pack's months). Choose other areas {choose}.")
