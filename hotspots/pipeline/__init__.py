"""The only composer: packs, the ward table, analyses, uploads and view data.

Every other package is a tool the pipeline uses: :mod:`hotspots.io` reads
files, :mod:`hotspots.areas` places records in areas, :mod:`hotspots.stats`
computes, :mod:`hotspots.maps` and :mod:`hotspots.patrol` make pictures and
patrol cells. The pipeline puts them together for one selection, the same way
for the page (``ui/``), the command line (:mod:`hotspots.cli`) and the board
pack (:mod:`hotspots.report`).

Modules
-------
pack
    :class:`Pack` and :func:`load_pack`: a pack folder read.
meta
    :class:`PackMeta`: a pack's ``pack.json``, one typed attribute per key.
assemble
    :func:`assemble_pack`: a pack from files given one by one (the CLI).
measurekey
    :class:`Measure`: what a measure key (``"crime:major:BURGLARY"``) names, as a value.
table
    :class:`Selection`, :class:`WardTable`, :func:`ward_table`: one row per area.
analysis
    Hot spots, clusters, association and trends for a selection.
uploads
    The user's own files on top of a pack (the page).
measures
    The measure picker, and a measure's table and analysis on its own source.
viewdata
    What each view of the page shows, as frames.
wardprofile
    One ward for the drill-down.

Never imports ``report``, ``cli`` or ``ui``. Upper layers import the names
below (``from hotspots import pipeline``), never a module's private helpers.
"""

from boundaries.load import ANALYSIS_CRS, AREA_COLUMNS
from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE
from hotspots.pipeline import (
    analysis,
    assemble,
    measurekey,
    measures,
    meta,
    pack,
    table,
    uploads,
    viewdata,
    wardprofile,
)
from hotspots.pipeline.assemble import assemble_pack
from hotspots.pipeline.measurekey import Measure
from hotspots.pipeline.meta import CrimeSource, PackMeta, PointsReconciliation, UploadsInfo
from hotspots.pipeline.pack import (
    DEMO_PACK,
    POINT_COLUMNS,
    POLICE_UK_POINTS_NOTE,
    Pack,
    build_web_layers,
    load_pack,
    point_records,
    points_reconciliation,
)
from hotspots.pipeline.table import (
    RATE_LABELS,
    RateKind,
    Selection,
    WardTable,
    measure_options,
    period_label,
    table_for_export,
    ward_table,
)

__all__ = [
    "ANALYSIS_CRS", "AREA_COLUMNS", "DEMO_PACK", "POINT_COLUMNS", "POLICE_UK_POINTS_NOTE",
    "RATE_LABELS", "STATUS_OUTSIDE_COVERAGE", "CrimeSource", "Measure", "Pack", "PackMeta",
    "PointsReconciliation", "RateKind", "Selection", "UploadsInfo", "WardTable", "analysis",
    "assemble", "assemble_pack", "build_web_layers", "load_pack", "measure_options",
    "measurekey", "measures", "meta", "pack", "period_label", "point_records",
    "points_reconciliation", "table", "table_for_export", "uploads", "viewdata", "ward_table",
    "wardprofile",
]
