"""Records meet areas: joins, the point locator, police coverage, uploaded boundary files.

Everything that decides which area a record belongs to lives here, with one rule
for the page and the command line:

* :mod:`~hotspots.areas.join` -- points, codes, names and LSOA codes to areas,
  each with a :class:`Reconciliation` (rows in = assigned + without a location
  + outside every area + rejected; :mod:`~hotspots.areas.reconciliation`);
* :mod:`~hotspots.areas.locate` -- the fast exact point-in-polygon locator
  (identical to ``geopandas.sjoin``'s predicate, measured in ``bench/``), and
  :mod:`~hotspots.areas.project`, coordinate arrays projected as ``to_crs`` does;
* :mod:`~hotspots.areas.coverage` -- which boroughs a police force's points
  cover, and :func:`place_police_uk`, the one police.uk placement;
* :mod:`~hotspots.areas.upload` -- an uploaded boundary file's bytes read into
  the standard area layer.

Layer 2: imports :mod:`hotspots.io`, :mod:`boundaries` and the floor only;
never ``stats``, ``maps``, ``patrol``, ``pipeline``, ``report``, ``cli`` or
``ui``. Upper layers use the names below, never a module's ``_private`` helpers.
"""

from hotspots.areas import reconciliation
from hotspots.areas.coverage import (
    COVERAGE_MIN_POINTS,
    COVERAGE_MIN_SHARE,
    STATUS_OUTSIDE_COVERAGE,
    PoliceCoverage,
    PolicePlacement,
    coverage_of,
    place_police_uk,
    police_boroughs_guess,
    police_coverage,
    restrict_to_coverage,
)
from hotspots.areas.join import (
    codes_to_areas,
    count_by_area,
    locate_records,
    lsoas_to_areas,
    names_to_areas,
    points_to_areas,
)
from hotspots.areas.locate import PolygonLocator, build_locator, locate_points, project_xy
from hotspots.areas.reconciliation import *  # noqa: F403
from hotspots.areas.upload import BOUNDARY_SUFFIXES, read_boundary_upload

__all__ = [
    *reconciliation.__all__,
    "BOUNDARY_SUFFIXES", "COVERAGE_MIN_POINTS", "COVERAGE_MIN_SHARE", "STATUS_OUTSIDE_COVERAGE",
    "PoliceCoverage", "PolicePlacement", "PolygonLocator", "build_locator", "codes_to_areas",
    "count_by_area", "coverage_of", "locate_points", "locate_records", "lsoas_to_areas",
    "names_to_areas", "place_police_uk", "points_to_areas", "police_boroughs_guess",
    "police_coverage", "project_xy", "read_boundary_upload", "restrict_to_coverage",
]
