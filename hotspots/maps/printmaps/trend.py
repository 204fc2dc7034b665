"""The print chart of monthly values: years end to end, or the same months overlaid.

Lines break where a month is not covered or is hidden (never drawn as zero); each
line has an Okabe-Ito colour, a marker and, overlaid, a dash of its own, so lines
stay apart in greyscale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hotspots import periods
from hotspots.maps.palettes import OKABE_ITO_LINES
from hotspots.maps.printmaps.page import _attribution, _head_in, _style, _titles

__all__ = ["trend_chart"]


def trend_chart(
    monthly: pd.DataFrame,
    *,
    x: str = "month",
    y: str = "value",
    series: str | None = None,
    title: str,
    ylabel: str,
    figsize: tuple[float, float] = (11.69 * 0.8, 8.27 * 0.45),
    subtitle: str | None = None,
    attribution: str | None = None,
    overlay: bool = False,
    year_start: str | periods.YearStart = "financial",
    flagged: Sequence[str] = (),
) -> Figure:
    """Draw monthly values as lines for print: years end to end, or overlaid.

    Parameters
    ----------
    monthly
        Long frame with ``x`` (``"YYYY-MM"`` strings, periods or dates), ``y``
        (NaN = not covered or hidden: the line breaks there, never drawn as
        zero) and, optionally, ``series``.
    x, y, series
        Column names. ``series`` gives one line each (Okabe-Ito colours plus
        distinct markers and dashes, so lines stay apart in greyscale).
    title, ylabel
        Chart title and y axis label.
    figsize
        Figure size in inches.
    subtitle
        Optional line under the title.
    attribution
        Optional source line at the bottom.
    overlay
        ``False``: one continuous month axis. ``True``: the x axis is the month
        of the year in the ``year_start`` convention (Apr .. Mar for financial
        years) and each year is its own line, the same months of earlier years
        overlaid; ``series`` then names the years (default: the convention's
        year names, e.g. ``"FY 2025/26"``). The latest year is drawn heaviest.
    year_start
        Year convention for ``overlay``: a key of
        :data:`hotspots.periods.YEAR_STARTS` or a :class:`~hotspots.periods.YearStart`.
    flagged
        ``"YYYY-MM"`` months that look incomplete (a partial upload): each is ringed
        in vermilion with its own legend entry, so a low point reads as partial,
        not as a fall.

    Returns
    -------
    matplotlib.figure.Figure
        The y axis starts at 0 and prints thousands separators (``80,000``).

    Raises
    ------
    ValueError
        A named column is missing, a month cannot be read, or (overlay) one
        series holds the same month of the year twice.
    """
    missing = [c for c in (x, y, series) if c is not None and c not in monthly.columns]
    if missing:
        raise ValueError(f"trend_chart: columns {missing} are not in the frame; "
                         f"have {list(monthly.columns)}")
    try:
        months = pd.PeriodIndex(pd.to_datetime(monthly[x].astype(str)), freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"trend_chart: column {x!r} must hold months like '2025-04' ({exc})") \
            from exc
    data = pd.DataFrame({"month": months, "value": pd.to_numeric(monthly[y], errors="coerce"),
                         "series": monthly[series].astype(str).to_numpy() if series else ""})
    if overlay:
        ys = periods.get_year_start(year_start)
        data["pos"] = (data["month"].map(lambda p: p.month) - ys.start_month) % 12
        if not series:
            data["series"] = [ys.name(ys.year_of(str(p))) for p in data["month"]]
        ticks = list(range(12))
        labels = [pd.Period(f"2000-{(ys.start_month - 1 + i) % 12 + 1:02d}", "M").strftime("%b")
                  for i in ticks]
        n_pos = 12
        twice = data.groupby(["series", "pos"])["month"].nunique()
        if (twice > 1).any():
            bad = twice[twice > 1].index[0]
            raise ValueError(f"trend_chart: series {bad[0]!r} holds more than one "
                             f"{labels[bad[1]]}; with overlay=True each series must be one "
                             f"year ({ys.label}): pass series= the year column")
    else:
        axis = pd.period_range(data["month"].min(), data["month"].max(), freq="M") if len(data) \
            else pd.PeriodIndex([], freq="M")
        where = {p: i for i, p in enumerate(axis)}
        data["pos"] = data["month"].map(where)
        n_pos = len(axis)
        step = max(1, int(np.ceil(len(axis) / 12)))
        ticks = list(range(0, len(axis), step))
        labels = [axis[t].strftime("%b\n%Y") for t in ticks]
    markers = ("o", "s", "^", "D", "v", "P", "X")
    dashes = ("-", "--", "-.", ":")
    with _style():
        fig = Figure(figsize=figsize, facecolor="white")
        FigureCanvasAgg(fig)
        width, height = figsize
        top = 1 - (_head_in(width, title, subtitle) + 0.05) / height
        bottom = (0.5 + (0.2 if attribution else 0.0)) / height
        right = 0.8 if (series or overlay) else 0.97
        ax = fig.add_axes((0.9 / width, bottom, right - 0.9 / width, top - bottom))
        names = list(dict.fromkeys(data["series"])) if (series or overlay) else [""]
        for i, name in enumerate(names):
            part = data[data["series"] == name].groupby("pos")["value"].sum(min_count=1)
            line = np.full(n_pos, np.nan)
            line[part.index.to_numpy(dtype=int)] = part.to_numpy()
            latest = overlay and i == len(names) - 1
            ax.plot(range(n_pos), line, color=OKABE_ITO_LINES[i % len(OKABE_ITO_LINES)],
                    marker=markers[i % len(markers)], markersize=4 if latest else 3.5,
                    linewidth=2.4 if latest else 1.6,
                    linestyle="-" if latest or not overlay else dashes[(len(names) - 1 - i) % 4],
                    label=name or None, zorder=3 + i)
        ring = data[data["month"].astype(str).isin({str(m) for m in flagged})]
        ring = ring.groupby(["series", "pos"])["value"].sum(min_count=1).dropna()
        if len(ring):
            ax.scatter(ring.index.get_level_values("pos").to_numpy(dtype=float),
                       ring.to_numpy(dtype=float), s=110, facecolors="none",
                       edgecolors="#D55E00", linewidths=1.8, zorder=20,
                       label="Looks incomplete")
        ax.set_xticks(ticks, labels, fontsize=7.5 if overlay else 7)
        ax.set_xlim(-0.5, max(n_pos - 0.5, 0.5))
        ax.set_ylim(bottom=0)
        if not np.isfinite(data["value"]).any():
            ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
        ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10],
                                                      integer=True))
        ax.set_ylabel(ylabel, fontsize=8.5)
        if overlay:
            ax.set_xlabel(f"Month ({ys.label})", fontsize=8)
        ax.tick_params(axis="y", labelsize=7.5)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        if series or overlay or len(ring):
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7.5,
                      handlelength=2.8)
        _titles(fig, title, subtitle)
        _attribution(fig, attribution or "")
    return fig
