"""The statistics map panel, and what every statistics map draws the same way.

A :class:`StatMapPanel` is the folium map, an HTML legend drawn *beside* it with
the number of wards in each class, a title and a method caption. Every statistics
map is a categorical ward map (:func:`_class_map`: one colour per ward, tooltips
from display columns) on the offline map of :mod:`hotspots.maps.web`, with the
area layers of :mod:`hotspots.maps.arealayers` (inline or static geometry),
fitted to its wards until a person moves it (:class:`_FitUntilMoved`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from hotspots._errors import CRSError
from hotspots.maps.arealayers import StaticGeometry, _add_area_layers
from hotspots.maps.panels import ward_map_frame
from hotspots.maps.statmaps.classes import NO_NEIGHBOURS_COLOUR, NOT_SIGNIFICANT_COLOUR
from hotspots.maps.web import BASEMAPS, Basemap, _bounds, _MapTitle, _offline_map

__all__ = ["NOT_SIGNIFICANT_COLOUR", "NO_NEIGHBOURS_COLOUR", "StatMapPanel"]


@dataclass(frozen=True, eq=False)
class StatMapPanel:
    """A statistics map with what is drawn around it on the page.

    Attributes
    ----------
    map
        The folium map (offline unless an internet basemap was chosen).
    legend
        HTML legend (escaped) with the number of wards in each class.
    title
        Plain-text heading for the map.
    caption
        The method in words: statistic, weights, permutations, seed,
        correction and significance level.
    counts
        The legend as a frame: ``key``, ``label``, ``colour``, ``count``
        (legend order; classes with no ward are kept with 0).
    """

    map: folium.Map
    legend: str
    title: str
    caption: str
    counts: pd.DataFrame


# --------------------------------------------------------------------------- legend


def _legend(title: str, counts: pd.DataFrame, note: str | None) -> str:
    items = "".join(
        '<li style="display:flex;align-items:center;gap:8px;margin:2px 0;">'
        f'<span style="display:inline-block;width:22px;height:14px;background:{c};'
        'border:1px solid #555;flex:none;"></span>'
        f'<span class="hs-legend-label">{html.escape(f"{label} ({n:,})")}</span></li>'
        for c, label, n in zip(counts["colour"], counts["label"], counts["count"], strict=True)
    )
    small = (f'<div style="font-size:0.8rem;color:#444;margin-top:4px;">{html.escape(note)}'
             "</div>" if note else "")
    return ('<div class="hs-legend" style="font-size:0.92rem;line-height:1.35;color:#1a1a1a;">'
            f'<div style="font-weight:600;margin-bottom:4px;">{html.escape(title)}</div>'
            f'<ul style="list-style:none;margin:0;padding:0;">{items}</ul>{small}</div>')


def _counts(keys: Sequence[str], labels: Sequence[str], colours: Sequence[str],
            values: pd.Series, optional: Sequence[str] = ()) -> pd.DataFrame:
    """Legend rows with the number of areas per key (``optional`` keys only when present)."""
    tally = values.value_counts()
    rows = [(k, lab, col, int(tally.get(k, 0)))
            for k, lab, col in zip(keys, labels, colours, strict=True)
            if k not in optional or int(tally.get(k, 0)) > 0]
    return pd.DataFrame(rows, columns=["key", "label", "colour", "count"])


# --------------------------------------------------------------------------- map


class _FitUntilMoved(MacroElement):
    """Fit the map to its bounds now and whenever its box changes size, until a person moves it.

    Leaflet fits once, to the box it has when the script runs; on the page a
    map's frame can still be growing or shrinking then (a scroll bar
    appearing, a column settling), and with ``zoomSnap`` 0.25 a few pixels
    pick another zoom. Refitting on every resize gives two maps of the same
    size the same view (the Gi* and LISA maps side by side); the first
    pointer, wheel or key event on the map stops it, so a person's pan or
    zoom is never undone.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var bounds = L.latLngBounds({{ this.bounds|tojson }});
            var moved = false;
            function fit() {
                if (moved) { return; }
                map.invalidateSize({animate: false});
                map.fitBounds(bounds, {animate: false});
            }
            fit();
            var box = map.getContainer();
            ["pointerdown", "wheel", "keydown", "touchstart"].forEach(function (type) {
                box.addEventListener(type, function () { moved = true; },
                                     {capture: true, passive: true});
            });
            if (window.ResizeObserver) {
                new ResizeObserver(fit).observe(box);
            } else {
                window.addEventListener("resize", fit);
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitUntilMoved"
        self.bounds = [[float(v) for v in corner] for corner in bounds]


def _web_frame(web_areas: gpd.GeoDataFrame, table: pd.DataFrame,
               columns: Sequence[str]) -> gpd.GeoDataFrame:
    """Return the web layer limited to the table's areas, with ``columns`` attached."""
    missing = [c for c in ("area_code", *columns) if c not in table.columns]
    if missing:
        raise ValueError(f"columns missing from the analysis table: {missing}; run "
                         "hotspots.pipeline.analysis.analyse() to get them")
    if web_areas.crs is None:
        raise CRSError("the web layer has no CRS; set it first, e.g. set_crs('EPSG:4326')")
    codes = set(table["area_code"].astype(str))
    web = web_areas[web_areas["area_code"].astype(str).isin(codes)].reset_index(drop=True)
    frame = ward_map_frame(web, table, list(columns))
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    return frame


def _class_map(
    frame: gpd.GeoDataFrame,
    colours: Sequence[str],
    fields: Mapping[str, str],
    *,
    basemap: Basemap,
    borough_outlines: gpd.GeoDataFrame | None,
    borough_labels: bool,
    badge: str | None,
    attribution: str | None,
    geometry: StaticGeometry | None = None,
    outline_geometry: StaticGeometry | None = None,
) -> folium.Map:
    """Build a categorical choropleth: one colour per row, tooltips from display columns.

    With ``geometry`` the wards' polygons stay in the static file the browser
    fetches once (:class:`hotspots.maps.arealayers.StaticWardLayer`): the map carries
    only each ward's code, colour and tooltip values. The bounds are still
    computed here from ``frame``, so the view is the same either way.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {sorted(BASEMAPS)}; got {basemap!r}")
    ids = frame["area_code"].astype(str).tolist()
    m = _offline_map(frame, basemap)
    _add_area_layers(m, frame, fields, dict(zip(ids, colours, strict=True)),
                     id_col="area_code", attribution=attribution, geometry=geometry,
                     borough_outlines=borough_outlines, outline_geometry=outline_geometry,
                     borough_labels=borough_labels)
    if badge:
        _MapTitle("", badge).add_to(m)
    (south, west), (north, east) = _bounds(frame)
    _FitUntilMoved([[south, west], [north, east]]).add_to(m)
    return m


def _base_fields(value_label: str, authority: str = "Borough") -> dict[str, str]:
    """Tooltip fields: ward, its authority (``"Borough"``, ``"Local authority"``), value."""
    return {"area_name": "Ward", "borough_name": authority, "value_display": value_label}


def _outlines_for(outlines: gpd.GeoDataFrame | None,
                  table: pd.DataFrame) -> gpd.GeoDataFrame | None:
    if outlines is None or "borough_name" not in outlines or "borough_name" not in table:
        return outlines
    keep = outlines["borough_name"].isin(set(table["borough_name"].dropna()))
    return outlines[keep].reset_index(drop=True)


def _title(params: Mapping[str, Any], what: str) -> str:
    label, period = params.get("measure_label"), params.get("period_label")
    tail = ", ".join(str(x) for x in (label, period) if x)
    return f"{what}: {tail}" if tail else what


def _names(table: pd.DataFrame, value_label: str, authority: str = "Borough") -> pd.DataFrame:
    return pd.DataFrame({
        "Ward": table["area_name"].astype(str).to_numpy(),
        authority: table["borough_name"].astype(str).to_numpy(),
        value_label: table["value_display"].fillna("no data").astype(str).to_numpy(),
    }, index=table.index)
