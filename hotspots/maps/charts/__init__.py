"""Altair chart specs of the analysis views, and the plain tables behind them.

Every chart has a ``*_table`` function returning the frame it draws (the
screen-reader and copy-paste path); the chart is built from that frame only,
so what the table hides the chart cannot show. Streamlit draws the specs with
its bundled Vega-Lite: nothing is fetched from the internet.

Referral measures are sensitive: with ``sensitive=True`` no point, bar, label
or tooltip carries a count from 1 to ``threshold - 1``:

* months of a trend are hidden where the count is small (drawn as a band
  "1 to 4", never a value) and, where a published total would let a reader
  work a hidden month out (a year, the compared periods), one more month is
  hidden (:func:`protect_totals`);
* wards with a suppressed count sit in a labelled band of the scatter plot
  (counts) or are left out of it (rates), their value only as ``"<5"``;
* change bars and ranks leave out every row whose count, in either period,
  is hidden, and ranks are recomputed over the rows shown.

Colours are colour-blind safe: years from light to dark blue (older years
lighter), rises and falls red and blue (ColorBrewer RdBu).

- :mod:`~hotspots.maps.charts.trend`: the year-on-year monthly chart (and the
  helpers every chart shares: month order, year colours, :func:`protect_totals`);
- :mod:`~hotspots.maps.charts.scatter`: ward values against the IMD score;
- :mod:`~hotspots.maps.charts.change`: the change-and-rank table and change bars.

``OKABE_ITO`` (the qualitative colours, :mod:`hotspots.maps.palettes`) is
re-exported for the patrol chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotspots._lazy import lazy_attribute, lazy_dir

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from hotspots.maps.charts.change import (
        FALL_COLOUR,
        NO_CHANGE_COLOUR,
        RISE_COLOUR,
        change_bar_chart,
        change_bar_table,
        change_table,
        change_words,
    )
    from hotspots.maps.charts.scatter import scatter_chart, scatter_table
    from hotspots.maps.charts.trend import (
        INCOMPLETE_COLOUR,
        NOT_COVERED,
        PROTECTING,
        SHOWN,
        SUPPRESSED,
        SUPPRESSED_FILL,
        month_order,
        protect_totals,
        trend_chart,
        trend_table,
        year_colours,
    )
    from hotspots.maps.palettes import OKABE_ITO

#: Public name -> the module defining it, imported on first use (the board pack's
#: tables need the trend table, not Altair)
_EXPORTS = {
    **dict.fromkeys((
        "FALL_COLOUR", "NO_CHANGE_COLOUR", "RISE_COLOUR", "change_bar_chart", "change_bar_table",
        "change_table", "change_words",
    ), "hotspots.maps.charts.change"),
    **dict.fromkeys(("scatter_chart", "scatter_table"), "hotspots.maps.charts.scatter"),
    **dict.fromkeys((
        "INCOMPLETE_COLOUR", "NOT_COVERED", "PROTECTING", "SHOWN", "SUPPRESSED",
        "SUPPRESSED_FILL", "month_order", "protect_totals", "trend_chart", "trend_table",
        "year_colours",
    ), "hotspots.maps.charts.trend"),
    "OKABE_ITO": "hotspots.maps.palettes",
}
_MODULES = ("change", "scatter", "trend")

__all__ = [
    "FALL_COLOUR",
    "INCOMPLETE_COLOUR",
    "NOT_COVERED",
    "NO_CHANGE_COLOUR",
    "OKABE_ITO",
    "PROTECTING",
    "RISE_COLOUR",
    "SHOWN",
    "SUPPRESSED",
    "SUPPRESSED_FILL",
    "change_bar_chart",
    "change_bar_table",
    "change_table",
    "change_words",
    "month_order",
    "protect_totals",
    "scatter_chart",
    "scatter_table",
    "trend_chart",
    "trend_table",
    "year_colours",
]


def __getattr__(name: str) -> Any:
    """Import the module behind a public name (or a sub-module) on first use."""
    return lazy_attribute(globals(), name, _EXPORTS, _MODULES)


def __dir__() -> list[str]:
    return lazy_dir(globals())
