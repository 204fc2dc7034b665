"""The statistics registry: every ward statistic of the dashboard, described once.

A :class:`Statistic` says what a statistic is and how it is named: its
function, the columns it adds to the ward table and what each means, its
classes (keys, legend labels, colours by name), its method in words and the
esda function it agrees with. Everything else is derived from the entry:

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
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
from hotspots.stats.significance import (
    NO_DATA,
    NO_NEIGHBOURS,
    LocalResult,
    _Opts,
    _Sims,
    _simulate,
)
from hotspots.stats.weights import SpatialWeights

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
    "global_statistics",
    "local_statistics",
]

Scope = Literal["local", "global"]
#: What a column of a local statistic holds: ``statistic`` (the number shown, e.g. z),
#: ``ratio`` (another number, kept in the table only), ``p``, ``q``, ``class`` (the
#: category of each area), ``group`` / ``group_label`` (a second grouping and its words).
Role = Literal["statistic", "ratio", "p", "q", "class", "group", "group_label"]
#: What a category stands for.
Kind = Literal["class", "not significant", "no neighbours", "no data"]


@dataclass(frozen=True)
class Column:
    """One output column of a local statistic.

    Attributes
    ----------
    name
        Column of the ward table, e.g. ``"gi_z"``.
    role
        See :data:`Role`.
    meaning
        What the column holds, in words (docs, the analyst's CSV).
    label
        Its label in the web map's tooltip (``""``: not in the tooltip).
    heading
        Its heading in the page's table of the statistic (``""``: not there).
    digits
        Rounding in that table (``None``: as computed).
    export
        Written in the CSV export.
    fill
        Text for the areas without data (``None``: left missing).
    profile
        Heading of its own row in the ward profile (``""``: none).
    """

    name: str
    role: Role
    meaning: str
    label: str = ""
    heading: str = ""
    digits: int | None = None
    export: bool = True
    fill: str | None = None
    profile: str = ""


@dataclass(frozen=True)
class Category:
    """One class of a local statistic (a value of its ``class`` column).

    Attributes
    ----------
    key
        The value in the table, e.g. ``"Hot 99%"`` or ``"HH"``.
    label
        Legend label on the page.
    colour
        Colour name, resolved by :mod:`hotspots.maps.statmaps`.
    kind
        See :data:`Kind`; ``"no neighbours"`` and ``"no data"`` are listed in a
        legend only when some area has them.
    word
        Word in the map's tooltip (default: the key).
    short
        Legend label on paper (default: the key); ``None``: printed as no data.
    level
        The q-value threshold of the class, for classes by confidence level.
    """

    key: str
    label: str
    colour: str
    kind: Kind = "class"
    word: str = ""
    short: str | None = ""
    level: float | None = None

    @property
    def tooltip(self) -> str:
        """The word shown in the tooltip."""
        return self.word or self.key

    @property
    def printed(self) -> str | None:
        """The printed legend label, or ``None`` when printed as no data."""
        return None if self.short is None else (self.short or self.key)


@dataclass(frozen=True)
class Words:
    """How the pages, maps and board pack name a statistic.

    Templates (``legend_note``, and :attr:`Statistic.rule`) are filled with
    ``alpha``, ``correction``, ``permutations``, ``seed`` and ``levels``.

    Attributes
    ----------
    title
        Heading of its web map (the measure and period follow).
    legend
        Title of its web legend.
    legend_note
        Small print of its web legend (template; ``correction`` is the short name).
    class_title
        Heading of its class column (page and printed tables, tooltips).
    profile
        Its row in the ward profile.
    print_title
        Title of its printed map (the measure follows).
    print_legend
        Title of its printed legend.
    figure
        Caption of its printed map in the board pack.
    card
        Its phrase in the method card's list of statistics.
    tally
        Heading of the command line's count of areas per class (template:
        ``{correction}``).
    print_width
        Width (cm) of its class column in the printed top-wards table.
    """

    title: str = ""
    legend: str = ""
    legend_note: str = ""
    class_title: str = ""
    profile: str = ""
    print_title: str = ""
    print_legend: str = ""
    figure: str = ""
    card: str = ""
    tally: str = ""
    print_width: float = 2.4


@dataclass
class Inputs:
    """What :func:`hotspots.stats.table.hotspot_table` gives each statistic.

    Attributes
    ----------
    values
        The measure, in the order of ``sw.ids`` (areas with data only).
    sw
        Weights over those areas.
    opts
        The inference options (permutations, seed, alternative, correction, alpha).
    other
        The second variable of a statistic that needs one (e.g. IMD score).
    """

    values: np.ndarray
    sw: SpatialWeights
    opts: _Opts
    other: np.ndarray | None = None
    _sims: dict[str, _Sims] = field(default_factory=dict, repr=False)

    def sims(self, which: Literal["values", "other"] = "values") -> _Sims:
        """Return the conditional-permutation draws of one variable, made once and shared.

        Statistics of the same variable with the same seed share their draws (and
        so, for Gi* and LISA, their p-values).
        """
        if which not in self._sims:
            v = self.values if which == "values" else self.other
            if v is None:
                raise ValueError("this statistic needs a second variable (Inputs.other).")
            self._sims[which] = _simulate(v, self.sw, self.opts)
        return self._sims[which]

    def options(self, local: bool) -> dict[str, Any]:
        """Return the options as keyword arguments of a statistic's public function."""
        o = self.opts
        out: dict[str, Any] = {"permutations": o.permutations, "seed": o.seed,
                               "alternative": o.alternative}
        if local:
            out.update(correction=o.correction, alpha=o.alpha)
        return out


@dataclass(frozen=True)
class Statistic:
    """One ward statistic: what it computes, what it adds and how it is named.

    Attributes
    ----------
    key
        Registry key, and its key in the parameters of
        :func:`~hotspots.stats.table.hotspot_table`.
    name
        Its name, e.g. ``"Getis-Ord Gi*"`` or ``"Moran's I"``.
    scope
        ``"local"`` (one row per area: columns, classes, a map) or ``"global"``
        (one number for the map: a line on the page, a row in the board pack).
    function
        The public function, e.g. :func:`hotspots.stats.local_gi_star`.
    prefix
        Local: prefix of its columns and the key of its maps (``"gi"``).
    short
        Short name in table headings (``"Gi*"``, ``"LISA"``).
    symbol
        Symbol of the number shown: local ``"z"`` / ``"I"``; global ``"I"`` /
        ``"C"`` (the result's field; its expected value is ``"E" + symbol``).
    columns
        Local: the columns it adds, in order.
    categories
        Local: ``categories(alpha)``, its classes in legend order.
    needs
        Further variables (``("imd",)``): run on the areas that have them, and only
        when they are given.
    method
        What it measures, in one sentence (the method caption's first).
    rule
        Local: how an area gets its class, a template (``{alpha}``,
        ``{correction}``, ``{levels}``).
    reference
        The esda function it is checked against, e.g. ``"esda.Moran"``.
    words
        Titles and labels of its map, legend, tables and method-card phrase.
    summary
        Local: ``summary(classes) -> [(what, wards), ...]``, its rows in the
        board pack's hot spot table (default: wards per class).
    run
        How :func:`~hotspots.stats.table.hotspot_table` runs it (default: the
        public function on :class:`Inputs`; Gi* and LISA share their draws).
    clustering
        Global: clustering is a value ``"above"`` or ``"below"`` :attr:`neutral`.
    neutral
        Global: the value without clustering of similar values.
    finding
        Global: the board pack writes a key finding from it.
    """

    key: str
    name: str
    scope: Scope
    function: Callable[..., Any]
    prefix: str = ""
    short: str = ""
    symbol: str = ""
    columns: tuple[Column, ...] = ()
    categories: Callable[[float], tuple[Category, ...]] | None = None
    needs: tuple[str, ...] = ()
    method: str = ""
    rule: str = ""
    reference: str = ""
    words: Words = Words()
    summary: Callable[[pd.Series], list[tuple[str, int]]] | None = None
    run: Callable[[Inputs], Any] | None = None
    clustering: Literal["above", "below"] = "above"
    neutral: float = 0.0
    finding: bool = False

    # ------------------------------------------------------------------ columns

    def column(self, role: Role) -> Column | None:
        """Return the first column with this role, or ``None``."""
        return next((c for c in self.columns if c.role == role), None)

    def col(self, role: Role) -> str:
        """Return the name of the column with this role (raises ``KeyError`` when none)."""
        c = self.column(role)
        if c is None:
            raise KeyError(f"{self.key} has no {role!r} column")
        return c.name

    @property
    def column_names(self) -> list[str]:
        """The names of its columns, in order."""
        return [c.name for c in self.columns]

    # ------------------------------------------------------------------ classes

    def classes(self, alpha: float) -> tuple[Category, ...]:
        """Return its categories at significance level ``alpha`` (empty for a global statistic)."""
        return self.categories(alpha) if self.categories is not None else ()

    def category(self, alpha: float, kind: Kind) -> Category | None:
        """Return the first category of this kind (e.g. ``"no data"``)."""
        return next((c for c in self.classes(alpha) if c.kind == kind), None)

    def levels(self, alpha: float) -> list[float]:
        """Return the q thresholds of its classes, ascending."""
        return sorted({c.level for c in self.classes(alpha) if c.level is not None})

    def rows(self, classes: pd.Series, alpha: float) -> list[tuple[str, int]]:
        """Return its rows in the board pack's hot spot table: ``(what, wards)``."""
        if self.summary is not None:
            return self.summary(classes)
        values = classes.astype(str)
        return [(c.key, int((values == c.key).sum())) for c in self.classes(alpha)
                if c.kind == "class"]

    # ------------------------------------------------------------------ global

    def clustered(self, value: float) -> bool:
        """Return True when a global value says similar values sit together."""
        return value > self.neutral if self.clustering == "above" else value < self.neutral

    # ------------------------------------------------------------------ running

    def compute(self, inputs: Inputs) -> Any:
        """Run the statistic on :class:`Inputs` (a ``LocalResult`` or a global result)."""
        if self.run is not None:
            return self.run(inputs)
        args: list[Any] = [inputs.values]
        if self.needs:
            args.append(inputs.other)
        return self.function(*args, inputs.sw, **inputs.options(self.scope == "local"))


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
               "neighbours (row-standardised weights, the area itself included)", export=False),
        Column("gi_z", "statistic", "Ord & Getis (1995) z of the area with its neighbours: "
               "above 0 = a higher total than the map's average would give", label="z",
               heading="Gi* z", digits=2),
        Column("gi_p", "p", "pseudo p-value from conditional permutations", label="p (pseudo)",
               heading="Gi* p"),
        Column("gi_q", "q", "p adjusted for multiple testing", label="q (adjusted)",
               heading="Gi* q", digits=4),
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
               "neighbours", label="Local Moran's I", heading="LISA I", digits=3),
        Column("lisa_quadrant", "class", "HH, LL, HL or LH where q <= alpha, else 'ns'",
               heading="LISA cluster", fill=NO_DATA),
        Column("lisa_p", "p", "pseudo p-value from conditional permutations",
               label="p (pseudo)", heading="LISA p"),
        Column("lisa_q", "q", "p adjusted for multiple testing", label="q (adjusted)",
               heading="LISA q", digits=4),
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
               digits=3),
        Column("bv_quadrant", "class", "HH, LL, HL or LH (measure here, IMD around) where "
               "q <= alpha, else 'ns'", label="Bivariate LISA", heading="Bivariate LISA",
               fill=NO_DATA),
        Column("bv_p", "p", "pseudo p-value from conditional permutations", label="p (pseudo)",
               heading="p"),
        Column("bv_q", "q", "p adjusted for multiple testing", label="q (adjusted)",
               heading="q", digits=4),
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


def export_columns() -> list[str]:
    """Return the local statistics' columns written in the CSV export, in order.

    Examples
    --------
    >>> export_columns()[:4]
    ['gi_z', 'gi_p', 'gi_q', 'gi_class']
    """
    return [c.name for s in local_statistics() for c in s.columns if c.export]
