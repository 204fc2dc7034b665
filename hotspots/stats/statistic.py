"""What a ward statistic is, for the registry: its columns, classes, words and how it runs.

:class:`Statistic` is one entry of :data:`hotspots.stats.registry.REGISTRY`:
its function and, for a local statistic, its output :class:`Column` s (with
their meaning) and :class:`Category` s (keys, labels, colours by name); its
method in words, its esda reference and the :class:`Words` the pages, maps and
board pack name it with. :class:`Inputs` is what
:func:`hotspots.stats.table.hotspot_table` gives each statistic to run on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from hotspots.stats.significance import _Opts, _Sims, _simulate
from hotspots.stats.weights import SpatialWeights

__all__ = ["Category", "Column", "Inputs", "Kind", "Role", "Scope", "Statistic", "Words"]

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
    reveals_counts
        A suppressed count can be solved from it (with the public counts and the
        weights): never written in a sensitive measure's export, nor shown on its
        page (:func:`hotspots.stats.registry.withheld_columns`).
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
    reveals_counts: bool = False
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
