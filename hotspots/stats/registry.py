"""The statistics registry: every ward statistic of the dashboard, described once.

A :class:`~hotspots.stats.statistic.Statistic` entry says what a statistic is
and how it is named: its function, the columns it adds to the ward table and
what each means, its classes (keys, legend labels, colours by name), its
method in words and the esda function it agrees with (the entry's type is
:mod:`hotspots.stats.statistic`). Everything else is derived from the entry:

- :func:`hotspots.stats.table.hotspot_table` runs every entry (its columns, or
  its numbers under ``params[key]`` for a global statistic);
- the CSV export keeps :func:`export_columns`;
- the page's maps, legends, ward table and ward profile, the board pack's
  maps, tables and method card, and the command line's summary loop over
  :func:`local_statistics` and :func:`global_statistics`.

So a new ward statistic is one function (in its own module of this package),
one entry in :data:`REGISTRY` below and its test. Column names are read from
the entries (``registry.get("gi_star").col("class")``), never written as
literals elsewhere.

Colours are names here (``"high-high"``, ``"hot-1/3"``: the first of three hot
shades); :mod:`hotspots.maps.statmaps` turns names into colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pandas as pd

from hotspots.stats.autocorrelation import (
    _BV_DEF,
    _LISA_DEF,
    _lisa_frame,
    _moran,
    bivariate_classes,
    bivariate_local_moran,
    global_moran,
    local_moran,
)
from hotspots.stats.geary import global_geary
from hotspots.stats.getis import _gi_frame, _gi_levels, local_gi_star
from hotspots.stats.significance import NO_DATA, NO_NEIGHBOURS, LocalResult
from hotspots.stats.statistic import Category, Column, Inputs, Statistic, Words

__all__ = [
    "REGISTRY",
    "Category",
    "Column",
    "Inputs",
    "Statistic",
    "Words",
    "by_prefix",
    "export_columns",
    "get",
    "public_frame",
    "public_global",
    "public_params",
    "withheld_columns",
    "global_statistics",
    "local_statistics",
]


def _p_and_q(prefix: str, heading: str) -> tuple[Column, Column]:
    """Return the pseudo p and adjusted q columns of a permutation statistic.

    Examples
    --------
    >>> [(c.name, c.heading) for c in _p_and_q("gi", "Gi* ")]
    [('gi_p', 'Gi* p'), ('gi_q', 'Gi* q')]
    """
    return (Column(f"{prefix}_p", "p", "pseudo p-value from conditional permutations",
                   label="p (pseudo)", heading=f"{heading}p"),
            Column(f"{prefix}_q", "q", "p adjusted for multiple testing", label="q (adjusted)",
                   heading=f"{heading}q", digits=4))


# --------------------------------------------------------------------------- Getis-Ord Gi*


def _conf(level: float) -> str:
    return f"{100 * (1 - level):g}%"


def _gi_categories(alpha: float) -> tuple[Category, ...]:
    levels = _gi_levels(alpha)
    n = len(levels)
    hot = [Category(f"Hot {_conf(lv)}", f"Hot spot, {_conf(lv)} confidence (q \u2264 {lv:g})",
                    f"hot-{i + 1}/{n}", level=lv) for i, lv in enumerate(levels)]
    cold = [Category(f"Cold {_conf(lv)}", f"Cold spot, {_conf(lv)} confidence (q \u2264 {lv:g})",
                     f"cold-{i + 1}/{n}", level=lv) for i, lv in enumerate(levels)]
    return (*hot, Category("Not significant", "Not significant", "not significant",
                           kind="not significant"),
            *reversed(cold),
            Category(NO_NEIGHBOURS.capitalize(), "No neighbours (not tested)", "no neighbours",
                     kind="no neighbours"),
            Category(NO_DATA.capitalize(), "No data", "no data", kind="no data", short=None))


def _gi_rows(classes: pd.Series) -> list[tuple[str, int]]:
    gi = classes.astype(str)
    return [("hot spots (all levels)", int(gi.str.startswith("Hot").sum())),
            ("cold spots (all levels)", int(gi.str.startswith("Cold").sum())),
            *((str(cls), int(n)) for cls, n in gi.value_counts().sort_index().items())]


def _run_gi(i: Inputs) -> LocalResult:
    return _gi_frame(i.values, i.sw, i.sims(), i.opts)


GI_STAR = Statistic(
    key="gi_star", name="Getis-Ord Gi*", scope="local", function=local_gi_star,
    prefix="gi", short="Gi*", symbol="z",
    columns=(
        Column("gi_g", "ratio", "G*: the share of the whole map's total in the area and its "
               "neighbours (row-standardised weights, the area itself included)", export=False,
               reveals_counts=True),
        Column("gi_z", "statistic", "Ord & Getis (1995) z of the area with its neighbours: "
               "above 0 = a higher total than the map's average would give", label="z",
               heading="Gi* z", digits=2, reveals_counts=True),
        *_p_and_q("gi", "Gi* "),
        Column("gi_class", "class", "hot or cold spot and its confidence, from q and the sign "
               "of z", heading="Gi* class", fill=NO_DATA.capitalize()),
    ),
    categories=_gi_categories,
    method="Getis-Ord Gi* (each ward together with its neighbours) against the whole map.",
    rule="Hot/cold from the sign of z; confidence classes at q \u2264 {levels} "
         "(q = p adjusted by {correction}).",
    reference="esda.G_Local(star=True, transform='B')",
    words=Words(
        title="Hot and cold spots (Gi*)", legend="Getis-Ord Gi* hot and cold spots",
        legend_note="Classes from q, the pseudo p-value adjusted by {correction} "
                    "({permutations} permutations, seed {seed}).",
        class_title="Gi* class", profile="Getis-Ord Gi*",
        print_title="Hot and cold spots (Getis-Ord Gi*)", print_legend="Gi* class",
        figure="Gi* hot and cold spots", card="Getis-Ord Gi* (the ward with its neighbours)",
        tally="Gi* classes ({correction})", print_width=2.3),
    summary=_gi_rows,
    run=_run_gi,
)


# --------------------------------------------------------------------------- local Moran


def _quadrants(alpha: float) -> tuple[Category, ...]:
    return (
        Category("HH", "High-High: high values among high neighbours (hot spot)", "high-high",
                 word="High-High", short="High-High (hot spot)"),
        Category("HL", "High-Low: high value among low neighbours (outlier)", "high-low",
                 word="High-Low", short="High-Low (outlier)"),
        Category("LH", "Low-High: low value among high neighbours (outlier)", "low-high",
                 word="Low-High", short="Low-High (outlier)"),
        Category("LL", "Low-Low: low values among low neighbours (cold spot)", "low-low",
                 word="Low-Low", short="Low-Low (cold spot)"),
        Category("ns", "Not significant", "not significant", kind="not significant",
                 word="Not significant", short="Not significant"),
        Category(NO_NEIGHBOURS, "No neighbours (not tested)", "no neighbours",
                 kind="no neighbours", short=None),
        Category(NO_DATA, "No data", "no data", kind="no data", short=None),
    )


def _lisa_rows(classes: pd.Series) -> list[tuple[str, int]]:
    q = classes.astype(str)
    return [(k, int((q == k).sum())) for k in ("HH", "LL", "HL", "LH")]


def _run_lisa(i: Inputs) -> LocalResult:
    return _lisa_frame(i.values, i.values, i.sw, i.sims(), i.opts, "lisa", "local Moran (LISA)",
                       _LISA_DEF)


LISA = Statistic(
    key="lisa", name="Local Moran (LISA)", scope="local", function=local_moran,
    prefix="lisa", short="LISA", symbol="I",
    columns=(
        Column("lisa_i", "statistic", "local Moran's I (Anselin 1995): above 0 = like its "
               "neighbours", label="Local Moran's I", heading="LISA I", digits=3,
               reveals_counts=True),
        Column("lisa_quadrant", "class", "HH, LL, HL or LH where q <= alpha, else 'ns'",
               heading="LISA cluster", fill=NO_DATA),
        *_p_and_q("lisa", "LISA "),
    ),
    categories=_quadrants,
    method="Local Moran's I (Anselin 1995): each ward against the average of its neighbours.",
    rule="Quadrants shown only where q \u2264 {alpha} after {correction}; all other wards are "
         "'not significant'.",
    reference="esda.Moran_Local",
    words=Words(
        title="Clusters and outliers (LISA)", legend="Local Moran (LISA) clusters",
        legend_note="Significant only: q \u2264 {alpha} after {correction} ({permutations} "
                    "permutations, seed {seed}).",
        class_title="LISA cluster", profile="Local Moran (LISA)",
        print_title="LISA clusters and outliers", print_legend="LISA cluster (local Moran)",
        figure="LISA clusters", card="local Moran (LISA) shown only where significant",
        tally="LISA clusters", print_width=2.6),
    summary=_lisa_rows,
    run=_run_lisa,
)


# --------------------------------------------------------------------------- bivariate LISA


def _run_bivariate(i: Inputs) -> LocalResult:
    other = i.other
    if other is None:
        raise ValueError("the bivariate LISA needs a second variable (Inputs.other).")
    bv = _lisa_frame(i.values, other, i.sw, i.sims("other"), i.opts, "bv",
                     "bivariate local Moran", _BV_DEF)
    classes = bivariate_classes(pd.Series(i.values, index=i.sw.ids),
                                pd.Series(other, index=i.sw.ids))
    return LocalResult(pd.concat([bv.frame, classes], axis=1), bv.params)


BIVARIATE = Statistic(
    key="bivariate", name="Bivariate LISA", scope="local", function=bivariate_local_moran,
    prefix="bv", short="Bivariate", symbol="I", needs=("imd",),
    columns=(
        Column("bv_i", "statistic", "bivariate local Moran's I: the measure in the area "
               "against IMD score around it", label="Bivariate I", heading="Bivariate I",
               digits=3, reveals_counts=True),
        Column("bv_quadrant", "class", "HH, LL, HL or LH (measure here, IMD around) where "
               "q <= alpha, else 'ns'", label="Bivariate LISA", heading="Bivariate LISA",
               fill=NO_DATA),
        *_p_and_q("bv", ""),
        Column("bv_class", "group", "1..9: measure tercile crossed with IMD tercile "
               "(3 x (measure - 1) + IMD)", heading="Class"),
        Column("bv_class_label", "group_label", "the class in words, e.g. 'high-medium'",
               heading="Class (words)", fill=NO_DATA, profile="Bivariate class (terciles)"),
    ),
    categories=_quadrants,
    method="Bivariate local Moran (measure in the ward against IMD score of its neighbours), "
           "in the table and tooltips.",
    rule="Quadrants where q \u2264 {alpha} after {correction}.",
    reference="esda.Moran_Local_BV",
    words=Words(profile="Bivariate LISA (measure here, IMD around)"),
    run=_run_bivariate,
)


# --------------------------------------------------------------------------- global Moran


def _run_moran(i: Inputs) -> Any:
    return _moran(i.values, i.sw, i.opts, "Moran's I", {})


GLOBAL_MORAN = Statistic(
    key="global_moran", name="Moran's I", scope="global", function=global_moran,
    short="Moran's I", symbol="I",
    method="Global Moran's I (Moran 1950): one number for the whole map, above 0 when wards "
           "with similar values neighbour each other.",
    reference="esda.Moran",
    words=Words(card="global Moran's I"),
    run=_run_moran, clustering="above", neutral=0.0, finding=True,
)


# --------------------------------------------------------------------------- global Geary


GLOBAL_GEARY = Statistic(
    key="global_geary", name="Geary's C", scope="global", function=global_geary,
    short="Geary's C", symbol="C",
    method="Global Geary's C (Geary 1954): squared differences between neighbouring wards "
           "against the map's spread; 1 without clustering, below 1 when neighbours are alike.",
    reference="esda.Geary",
    words=Words(card="global Geary's C (below 1 when neighbouring wards are alike)"),
    clustering="below", neutral=1.0,
)


#: Every ward statistic, in the order the page, the board pack and the command line
#: show them (local and global statistics are listed apart: :func:`local_statistics`,
#: :func:`global_statistics`).
REGISTRY: tuple[Statistic, ...] = (
    GLOBAL_MORAN,
    GI_STAR,
    LISA,
    BIVARIATE,
    GLOBAL_GEARY,
)

_BY_KEY: Mapping[str, Statistic] = MappingProxyType({s.key: s for s in REGISTRY})


def get(key: str) -> Statistic:
    """Return the entry with this key.

    Examples
    --------
    >>> get("gi_star").col("class"), get("lisa").col("statistic")
    ('gi_class', 'lisa_i')
    """
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no statistic {key!r} in the registry: one of {list(_BY_KEY)}") from None


def by_prefix(prefix: str) -> Statistic:
    """Return the local statistic whose columns start with ``prefix + "_"`` (``"gi"``)."""
    for s in REGISTRY:
        if s.scope == "local" and s.prefix == prefix:
            return s
    raise KeyError(f"no local statistic with prefix {prefix!r}: one of "
                   f"{[s.prefix for s in local_statistics()]}")


def local_statistics(*, univariate: bool = False) -> tuple[Statistic, ...]:
    """Return the local statistics in order (``univariate``: only those of the measure alone).

    Examples
    --------
    >>> [s.key for s in local_statistics(univariate=True)]
    ['gi_star', 'lisa']
    """
    return tuple(s for s in REGISTRY if s.scope == "local" and not (univariate and s.needs))


def global_statistics() -> tuple[Statistic, ...]:
    """Return the global statistics in order.

    Examples
    --------
    >>> [s.key for s in global_statistics()][:1]
    ['global_moran']
    """
    return tuple(s for s in REGISTRY if s.scope == "global")


def export_columns(*, sensitive: bool = False) -> list[str]:
    """Return the local statistics' columns written in the CSV export, in order.

    ``sensitive`` (referrals): without the columns a suppressed count can be
    solved from (:attr:`Column.reveals_counts <hotspots.stats.statistic.Column>`).

    Examples
    --------
    >>> export_columns()[:4]
    ['gi_z', 'gi_p', 'gi_q', 'gi_class']
    >>> export_columns(sensitive=True)[:4]
    ['gi_p', 'gi_q', 'gi_class', 'lisa_quadrant']
    """
    withheld = set(withheld_columns(sensitive=sensitive))
    return [c.name for s in local_statistics() for c in s.columns if c.name not in withheld]


# --------------------------------------------------------------------------- disclosure
#
# The one rule of what a sensitive measure's exports leave out (the page's rule:
# "z-scores and Moran's I are not shown for referrals"). Every exporter (the CLI's
# analyse, the board pack, the page's tables and downloads, store analyse/emerging)
# goes through these functions. A Gi* z is a fixed function of the area's local
# sum with two constants of the whole map, so with the public counts and the
# weights the suppressed counts can be solved exactly from (I + A) x = S; LISA's
# and the bivariate I and any spatial lag likewise; a global value (Moran's I,
# Geary's C) with its z and normal-theory p is one more equation in the hidden
# counts. Classes, pseudo p and q stay: they are tests, not values of the counts.

#: Emerging hot-spot columns (:mod:`hotspots.stats.emerging`) withheld for a
#: sensitive measure: z-scores and trend statistics of the monthly counts (the
#: page shows only the categories and months for referrals).
EMERGING_REVEALING: tuple[str, ...] = ("gi_z_last", "mk_z", "mk_tau", "mk_p")

#: Keys of a global statistic's result (``to_dict()``) kept for a sensitive
#: measure: the expected value without clustering (a function of n), the
#: permutation pseudo p, n and the run's parameters.
GLOBAL_PUBLIC_KEYS: tuple[str, ...] = ("EI", "EC", "p_sim", "n", "params")

#: Said in a sensitive export where the values were left out.
WITHHELD_NOTE = ("value, z-scores and normal-theory p not published for a sensitive measure: "
                 "with the public counts they would give a suppressed count away")


def withheld_columns(*, sensitive: bool) -> tuple[str, ...]:
    """Return the columns no export may carry: never-exported ones, and revealing ones if sensitive.

    Parameters
    ----------
    sensitive
        The measure's small counts are suppressed (referrals).

    Returns
    -------
    tuple of str
        Local statistics' columns with ``export=False`` (``gi_g``), and for a
        sensitive measure every column flagged ``reveals_counts`` (``gi_z``,
        ``lisa_i``, ``bv_i``) and :data:`EMERGING_REVEALING`.

    Examples
    --------
    >>> withheld_columns(sensitive=False)
    ('gi_g',)
    >>> withheld_columns(sensitive=True)[:4]
    ('gi_g', 'gi_z', 'lisa_i', 'bv_i')
    """
    names = [c.name for s in local_statistics() for c in s.columns
             if not c.export or (sensitive and c.reveals_counts)]
    return tuple(names + list(EMERGING_REVEALING)) if sensitive else tuple(names)


def public_frame(frame: pd.DataFrame, *, sensitive: bool) -> pd.DataFrame:
    """Return ``frame`` without :func:`withheld_columns` (and any ``*_lag`` if sensitive).

    Examples
    --------
    >>> f = pd.DataFrame({"gi_g": [0.1], "gi_z": [2.0], "gi_class": ["Hot 95%"],
    ...                   "value_lag": [3.0]})
    >>> list(public_frame(f, sensitive=False)), list(public_frame(f, sensitive=True))
    (['gi_z', 'gi_class', 'value_lag'], ['gi_class'])
    """
    drop = set(withheld_columns(sensitive=sensitive))
    if sensitive:
        drop |= {c for c in frame.columns if str(c).endswith("_lag")}
    return frame.drop(columns=[c for c in frame.columns if c in drop])


def public_global(result: Mapping[str, Any], *, sensitive: bool) -> dict[str, Any]:
    """Return a global statistic's result (``to_dict()``) as it may be exported.

    Examples
    --------
    >>> g = {"I": 0.16, "EI": -0.001, "z_norm": 7.0, "p_norm": 1e-12, "p_sim": 0.02, "n": 704}
    >>> public_global(g, sensitive=True)["p_sim"], "I" in public_global(g, sensitive=True)
    (0.02, False)
    >>> public_global(g, sensitive=False) == g
    True
    """
    if not sensitive:
        return dict(result)
    out = {k: v for k, v in result.items() if k in GLOBAL_PUBLIC_KEYS}
    out["withheld"] = WITHHELD_NOTE
    return out


def public_params(params: Mapping[str, Any], *, sensitive: bool) -> dict[str, Any]:
    """Return :func:`hotspots.stats.hotspot_table`'s parameters as they may be exported.

    Every global result in them (``global_moran``, ``global_geary``,
    ``global_moran_rate``: any mapping with a ``p_sim``) goes through
    :func:`public_global`; the rest is unchanged.
    """
    return {k: public_global(v, sensitive=sensitive)
            if isinstance(v, Mapping) and "p_sim" in v else v for k, v in params.items()}
