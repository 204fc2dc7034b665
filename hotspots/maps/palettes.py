"""Every colour scheme of the maps and charts, in one place.

- **Sequential** (class colours of the choropleths, web and print): ColorBrewer
  ``YlOrRd``, ``Blues`` and ``Purples`` (Brewer & Harrower: colour-blind safe,
  lightness falling monotonically from the first class to the last, so that they
  survive greyscale printing). The hex values come from the ColorBrewer tables
  that ``branca`` ships (folium's own dependency, pinned in ``requirements.txt``),
  not from tables typed here: :func:`brewer`.
- **viridis** (a fourth choice on the page): nine stops of matplotlib's viridis
  (at 0, 1/8, ..., 1; ``tests/test_classify.py`` checks they are matplotlib's),
  interpolated per class count. They are typed here because branca's viridis has
  other stops and importing matplotlib would slow every page start.
- **Okabe & Ito** qualitative colours (boroughs in the scatter plot, years in the
  print trend chart, backtest lines).

One function per kind of palette: :func:`palette` (ColorBrewer sequential, the
print maps' only palettes), :func:`map_palette` (the web maps: those and viridis)
and :func:`brewer` (any ColorBrewer scheme, e.g. the diverging RdBu of Gi*).

Examples
--------
>>> palette("YlOrRd", 3)
('#ffeda0', '#feb24c', '#f03b20')
>>> map_palette("viridis", 3)
('#fde725', '#21918c', '#440154')
>>> brewer("RdBu", 7)[:3]
('#b2182b', '#ef8a62', '#fddbc7')
"""

from __future__ import annotations

from collections.abc import Sequence

from branca.utilities import color_brewer

__all__ = [
    "MAP_PALETTES",
    "MAX_K",
    "OKABE_ITO",
    "OKABE_ITO_LINES",
    "PALETTES",
    "VIRIDIS_STOPS",
    "brewer",
    "map_palette",
    "palette",
]

#: Most classes a palette has colours for.
MAX_K = 9

#: ColorBrewer schemes with explicit colours for 3 to 9 classes.
_BREWER_K = range(3, MAX_K + 1)


def brewer(name: str, k: int) -> tuple[str, ...]:
    """Return the ``k`` colours of a ColorBrewer scheme, as ColorBrewer publishes them.

    Parameters
    ----------
    name
        A ColorBrewer scheme, e.g. ``"YlOrRd"`` or ``"RdBu"``.
    k
        Number of colours, 3 to 9 for the sequential schemes (11 for diverging).

    Returns
    -------
    tuple of str
        Lower-case hex colours from branca's copy of the ColorBrewer tables.
    """
    return tuple(color_brewer(name, k))


#: ColorBrewer sequential palettes (colour-blind safe), light to dark, per class count.
PALETTES: dict[str, dict[int, tuple[str, ...]]] = {
    name: {k: brewer(name, k) for k in _BREWER_K} for name in ("YlOrRd", "Blues", "Purples")
}

#: Colour-blind-safe sequential palettes for the maps: key -> plain-words label.
#: The ColorBrewer ones are :data:`PALETTES`; "viridis" is interpolated from
#: :data:`VIRIDIS_STOPS`, light (low) to dark (high).
MAP_PALETTES: dict[str, str] = {
    "YlOrRd": "Yellow-orange-red (ColorBrewer)",
    "Blues": "Blues (ColorBrewer)",
    "Purples": "Purples (ColorBrewer)",
    "viridis": "Viridis (yellow to purple)",
}

#: matplotlib's viridis at 1, 7/8, ..., 0: light (low values) to dark (high).
VIRIDIS_STOPS = ("#fde725", "#addc30", "#5ec962", "#28ae80", "#21918c", "#2c728e",
                 "#3b528b", "#472d7b", "#440154")

#: Okabe & Ito's colour-blind-safe qualitative palette (grey is kept for "other").
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")

#: Okabe-Ito without its yellow, which a printed line on white loses.
OKABE_ITO_LINES = tuple(c for c in OKABE_ITO if c != "#F0E442")


def palette(name: str, k: int) -> tuple[str, ...]:
    """Return ``k`` colours (light to dark) of a registered palette.

    Parameters
    ----------
    name
        A key of :data:`PALETTES` ("YlOrRd", "Blues", "Purples").
    k
        Number of classes, 0 to 9. For 1 and 2 classes the ends of the
        three-class palette are used (a single class gets the darkest).

    Returns
    -------
    tuple of str
        Hex colours.

    Raises
    ------
    ValueError
        Unknown palette or ``k`` outside 0 to 9.
    """
    if name not in PALETTES:
        raise ValueError(f"palette must be one of {sorted(PALETTES)}; got {name!r}")
    if not 0 <= k <= MAX_K:
        raise ValueError(f"k must be between 0 and {MAX_K}; got {k}")
    three = PALETTES[name][3]
    if k == 0:
        return ()
    if k == 1:
        return (three[2],)
    if k == 2:
        return (three[0], three[2])
    return PALETTES[name][k]


def map_palette(name: str, k: int) -> tuple[str, ...]:
    """Return ``k`` colours, light (low values) to dark (high), of a map palette.

    Parameters
    ----------
    name
        A key of :data:`MAP_PALETTES` (the ColorBrewer keys of
        :data:`PALETTES`, or ``"viridis"``).
    k
        Number of classes, 0 to 9; one class gets the darkest colour.

    Returns
    -------
    tuple of str
        Hex colours.

    Raises
    ------
    ValueError
        Unknown palette (the message lists the valid keys) or ``k`` outside 0 to 9.

    Examples
    --------
    >>> map_palette("viridis", 3)
    ('#fde725', '#21918c', '#440154')
    """
    if name != "viridis":
        if name not in MAP_PALETTES:
            raise ValueError(f"palette must be one of {sorted(MAP_PALETTES)}; got {name!r}")
        return palette(name, k)
    if not 0 <= k <= MAX_K:
        raise ValueError(f"k must be between 0 and 9; got {k}")
    if k <= 1:
        return VIRIDIS_STOPS[-1:] * k
    return tuple(_interpolate(VIRIDIS_STOPS, i / (k - 1)) for i in range(k))


def _interpolate(stops: Sequence[str], t: float) -> str:
    """Return the colour at ``t`` (0 to 1) along evenly spaced hex stops (linear RGB)."""
    pos = t * (len(stops) - 1)
    i = min(int(pos), len(stops) - 2)
    f = pos - i
    a = [int(stops[i][j:j + 2], 16) for j in (1, 3, 5)]
    b = [int(stops[i + 1][j:j + 2], 16) for j in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))
