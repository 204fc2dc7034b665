"""The only composer: packs, the ward table, analyses, uploads and view data.

Every other package is a tool the pipeline uses: :mod:`hotspots.io` reads
files, :mod:`hotspots.areas` places records in areas, :mod:`hotspots.stats`
computes, :mod:`hotspots.maps` and :mod:`hotspots.patrol` make pictures and
patrol cells. The pipeline puts them together for one selection, the same way
for the page (``ui/``), the command line (:mod:`hotspots.cli`) and the board
pack (:mod:`hotspots.report`).

Modules
-------
meta
    :class:`PackMeta`: a pack's ``pack.json``, one typed attribute per key.
pack
    :class:`Pack` and :func:`load_pack`: a pack folder read.
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

packbuild, packdeprivation, packcrime
    A pack folder for any place in England and Wales from national open data
    (``python -m hotspots pack build``).
lsoas
    The one reader of the 35,672 2021 LSOAs (names, places, residents, each
    nation's deprivation) that ``national`` and ``nationalmap`` both use.
national
    LSOA statistics for all England and Wales from the store: Gi*, LISA, EB
    rates, deprivation per nation, emerging hot spots (``store analyse``,
    ``store emerging``).
nationalmap
    The national LSOA view (``--national``): every 2021 LSOA with population, each
    nation's deprivation index and store counts; its geometry file; the values sent.
nationalstats
    The national view's hot spots, clusters and emerging hot spots for a place
    (``national``'s statistics, the ward page's legends).

Never imports ``report``, ``cli`` or ``ui``. Upper layers import the names
below (``from hotspots import pipeline``), never a module's private helpers.
The names load on first use (PEP 562), so ``pack build`` does not pay for the
statistics and map modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotspots._lazy import lazy_attribute, lazy_dir

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from boundaries.load import ANALYSIS_CRS, AREA_COLUMNS
    from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE
    from hotspots.pipeline import (
        analysis,
        assemble,
        measurekey,
        measures,
        meta,
        national,
        pack,
        packbuild,
        packcrime,
        packdeprivation,
        table,
        uploads,
        viewdata,
        wardprofile,
    )
    from hotspots.pipeline.assemble import assemble_pack, pack_with_files
    from hotspots.pipeline.measurekey import ASB_KEY, Measure
    from hotspots.pipeline.meta import CrimeSource, PackMeta, PointsReconciliation, UploadsInfo
    from hotspots.pipeline.pack import (
        DEMO_PACK,
        POINT_COLUMNS,
        POLICE_UK_POINTS_NOTE,
        Pack,
        attribution_text,
        build_web_layers,
        load_pack,
        point_records,
        points_reconciliation,
    )
    from hotspots.pipeline.packbuild import build_pack
    from hotspots.pipeline.table import (
        ASB_LABEL,
        EB_METHOD,
        EB_METHOD_WORDS,
        RATE_LABELS,
        RATE_WORDS,
        RateKind,
        Selection,
        WardTable,
        family_records,
        is_asb,
        measure_options,
        nothing_to_rank_text,
        period_label,
        table_for_export,
        value_word,
        value_words,
        ward_table,
    )

#: Public name -> the module that defines it (imported on first use, so that a command
#: needing one module, e.g. ``pack build``, does not import the statistics and maps).
_EXPORTS = {
    "ANALYSIS_CRS": "boundaries.load", "AREA_COLUMNS": "boundaries.load",
    "STATUS_OUTSIDE_COVERAGE": "hotspots.areas.coverage",
    "assemble_pack": "hotspots.pipeline.assemble",
    "ASB_KEY": "hotspots.pipeline.measurekey", "Measure": "hotspots.pipeline.measurekey",
    "pack_with_files": "hotspots.pipeline.assemble",
    **dict.fromkeys(("CrimeSource", "PackMeta", "PointsReconciliation", "UploadsInfo"),
                    "hotspots.pipeline.meta"),
    **dict.fromkeys(("DEMO_PACK", "POINT_COLUMNS", "POLICE_UK_POINTS_NOTE", "Pack",
                     "attribution_text", "build_web_layers", "load_pack", "point_records",
                     "points_reconciliation"),
                    "hotspots.pipeline.pack"),
    "build_pack": "hotspots.pipeline.packbuild",
    **dict.fromkeys(("ASB_LABEL", "EB_METHOD", "EB_METHOD_WORDS", "RATE_LABELS", "RATE_WORDS",
                     "RateKind", "Selection", "WardTable", "family_records", "is_asb",
                     "measure_options", "nothing_to_rank_text", "period_label",
                     "SYNTHETIC_EXPORT_LABEL", "table_for_export", "value_word",
                     "value_words", "ward_table"),
                    "hotspots.pipeline.table"),
}
_MODULES = ("analysis", "assemble", "measurekey", "measures", "meta", "national", "pack",
            "packbuild",
            "packcrime", "packdeprivation", "table", "uploadrows", "uploads", "viewdata",
            "wardprofile", "wording")

__all__ = [
    "ASB_KEY", "ASB_LABEL", "family_records", "is_asb", "value_word", "value_words",
    "ANALYSIS_CRS", "AREA_COLUMNS", "DEMO_PACK", "EB_METHOD", "EB_METHOD_WORDS", "POINT_COLUMNS",
    "POLICE_UK_POINTS_NOTE", "RATE_LABELS", "RATE_WORDS", "STATUS_OUTSIDE_COVERAGE",
    "CrimeSource", "Measure", "Pack", "PackMeta",
    "PointsReconciliation", "RateKind", "Selection", "UploadsInfo", "WardTable", "analysis",
    "assemble", "assemble_pack", "attribution_text", "build_pack", "build_web_layers",
    "load_pack", "measure_options", "measurekey", "measures", "meta", "national",
    "nothing_to_rank_text",
    "pack", "pack_with_files", "packbuild", "packcrime",
    "packdeprivation", "period_label", "point_records", "points_reconciliation", "table",
    "table_for_export", "uploads", "viewdata", "ward_table", "wardprofile", "wording",
]


def __getattr__(name: str) -> Any:
    """Import the module behind a public name (or a sub-module) on first use."""
    return lazy_attribute(globals(), name, _EXPORTS, _MODULES)


def __dir__() -> list[str]:
    return lazy_dir(globals())
