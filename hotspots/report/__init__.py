"""Board pack: one command (or one click) to a board-ready PDF, PNG maps, tables and manifest.

``python -m hotspots report --config report.toml [--out DIR]``; the page's
export button calls the same :func:`build_report`. See ``report.example.toml``
for every config key.

Modules: :mod:`~hotspots.report.config` (TOML -> :class:`ReportConfig`),
:mod:`~hotspots.report.configfile` (a config written back as TOML, to rebuild a pack),
:mod:`~hotspots.report.content` (one measure's section), :mod:`~hotspots.report.tables`
(tables with disclosure control), :mod:`~hotspots.report.findings` (key findings,
each from a displayed table row),
:mod:`~hotspots.report.figures` (print maps and charts),
:mod:`~hotspots.report.patrol` (the patrol-cell pages from street-level points),
:mod:`~hotspots.report.method` (title-page sources, method card and caveats, in the
pack's words),
:mod:`~hotspots.report.pdf` (the reportlab layout; :func:`map_table_page` is the
hook for a further map-and-table page such as patrol cells) and
:mod:`~hotspots.report.build` (files and manifest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotspots._lazy import lazy_attribute, lazy_dir

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from hotspots.report.build import (
        ReportOutputs,
        build_report,
        comparable_manifest,
        load_report_pack,
        main,
    )
    from hotspots.report.config import (
        FORMATS,
        MapClasses,
        PatrolSettings,
        ReportConfig,
        ReportConfigError,
        config_from_mapping,
        load_config,
    )
    from hotspots.report.configfile import config_to_mapping, config_toml
    from hotspots.report.content import Finding, MeasureSection, Table, finding_numbers, safe_name
    from hotspots.report.patrol import PatrolSection, build_patrol_section, patrol_status
    from hotspots.report.pdf import MapTablePage, map_table_page

#: Public name -> the module that defines it (imported on first use: a command that
#: only appends to the audit log, e.g. ``analyse``, does not import matplotlib, folium
#: and reportlab behind the board pack).
_EXPORTS = {
    **dict.fromkeys(("ReportOutputs", "build_report", "comparable_manifest",
                     "load_report_pack", "main"), "build"),
    **dict.fromkeys(("FORMATS", "MapClasses", "PatrolSettings", "ReportConfig",
                     "ReportConfigError", "config_from_mapping", "load_config"), "config"),
    "config_to_mapping": "configfile", "config_toml": "configfile",
    **dict.fromkeys(("Finding", "MeasureSection", "Table", "finding_numbers", "safe_name"),
                    "content"),
    **dict.fromkeys(("PatrolSection", "build_patrol_section", "patrol_status"), "patrol"),
    "MapTablePage": "pdf", "map_table_page": "pdf",
}
_MODULES = ("audit", "build", "config", "configfile", "content", "figures", "findings",
            "method", "patrol", "pdf", "pdflayout", "profile", "tables")

__all__ = [
    "FORMATS",
    "Finding",
    "MapClasses",
    "MapTablePage",
    "MeasureSection",
    "PatrolSection",
    "PatrolSettings",
    "ReportConfig",
    "ReportConfigError",
    "ReportOutputs",
    "Table",
    "build_patrol_section",
    "build_report",
    "comparable_manifest",
    "config_from_mapping",
    "config_to_mapping",
    "config_toml",
    "finding_numbers",
    "load_config",
    "load_report_pack",
    "main",
    "map_table_page",
    "patrol_status",
    "safe_name",
]


def __getattr__(name: str) -> Any:
    """Import the module behind a public name (or a sub-module) on first use."""
    return lazy_attribute(globals(), name, _EXPORTS, _MODULES)


def __dir__() -> list[str]:
    return lazy_dir(globals())
