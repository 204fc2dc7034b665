"""Settings of one patrol analysis: :class:`PatrolParams`, its checks and its defaults.

The methods that can choose the patrol cells (:data:`METHODS`), their plain-words
names, the default permutations, list period and seed, and
:func:`permutation_note` (how far a permutation Gi* can reach after FDR). Pure
values: nothing here reads data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from hotspots.io import ASB_CATEGORY
from hotspots.periods import check_month

__all__ = [
    "DEFAULT_LIST_MONTHS",
    "DEFAULT_PERMUTATIONS",
    "DEFAULT_SEED",
    "GI_INFERENCE_LABELS",
    "MEASURES",
    "MEASURE_LABELS",
    "MEASURE_NOUNS",
    "METHODS",
    "METHOD_LABELS",
    "PERMUTATION_STEPS",
    "PatrolParams",
    "Shape",
    "permutation_note",
]


#: What the cells count (``PatrolParams.measure``). police.uk publishes anti-social
#: behaviour in the same street-level files as crime, but ASB incidents are not recorded
#: crime: "crime" is every crime type but ASB, "asb" is ASB alone, never the two together.
MEASURES: tuple[str, ...] = ("crime", "asb")

#: Each measure in words (page, method text, board pack).
MEASURE_LABELS: Mapping[str, str] = {
    "crime": "Recorded crime (police.uk street-level crime, without anti-social behaviour)",
    "asb": "Anti-social behaviour (police.uk ASB incidents: not recorded crime)",
}

#: What one point of each measure is called in tables and sentences.
MEASURE_NOUNS: Mapping[str, str] = {"crime": "crimes", "asb": "ASB incidents"}

#: Methods that can choose the patrol cells (keys of :func:`hotspots.patrol.cells.method_scorers`).
METHODS: tuple[str, ...] = ("counts", "kde", "gi_star", "gi_star_perm")

#: Plain-words names of the methods and the backtest's baseline.
METHOD_LABELS: Mapping[str, str] = {
    "counts": "Counts: most crimes in the period",
    "kde": "Kernel density (quartic) of the period's crimes",
    "gi_star": "Gi* hot spots, normal-approximation p (FDR): significant hot cells only",
    "gi_star_perm": "Gi* hot spots, permutation p (FDR): significant hot cells only",
    "naive": "Naive baseline: last month's counts",
}

#: How Gi* p-values are found (``PatrolParams.gi_inference``), as in
#: :data:`hotspots.patrol.cells.GI_INFERENCES`.
GI_INFERENCE_LABELS: Mapping[str, str] = {
    "normal": "normal approximation (as ArcGIS Hot Spot Analysis and sfhotspot)",
    "permutation": "conditional permutations",
}

#: Gi* permutations for grid cells: with ~160 cells (the City at 150 m) and FDR,
#: 999 permutations cannot make any cell significant (see :func:`permutation_note`).
DEFAULT_PERMUTATIONS = 9_999

#: Permutation counts offered (page, config); advice names the next one up.
PERMUTATION_STEPS: tuple[int, ...] = (999, 9_999, 99_999)

#: Months in the default patrol-list period (the latest complete months of the data).
DEFAULT_LIST_MONTHS = 3

DEFAULT_SEED = 20261123

Shape = Literal["square", "hex"]


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class PatrolParams:
    """Settings of one patrol analysis (frozen and hashable: a cache key).

    Attributes
    ----------
    cell_size
        Metres (default 150, a street block) or ``"auto"`` (the study area's
        shorter side / 50, see :func:`hotspots.patrol.grid.make_grid`).
    shape
        ``"square"`` or ``"hex"`` cells (same area per cell).
    month_from, month_to
        Period of the patrol list (``"YYYY-MM"``); default the latest
        :data:`DEFAULT_LIST_MONTHS` months of the data.
    measure
        ``"crime"`` (default: every police.uk crime type but anti-social
        behaviour) or ``"asb"`` (anti-social behaviour alone); see
        :data:`MEASURES`.
    crime_types
        police.uk crime types to keep (measure ``"crime"``); empty = all
        crime types. Never ``"Anti-social behaviour"``: that is the measure
        ``"asb"``.
    harm
        ``None`` (count crimes) or ``{crime_type: weight}`` (stored as sorted
        pairs); see :data:`hotspots.patrol.cells.HARM_NOTE`.
    area_share
        Share of the study area to patrol (default 0.05). Give ``None`` with
        ``top_n``.
    top_n
        Number of cells instead of an area share.
    method
        ``"counts"``, ``"kde"``, ``"gi_star"`` (Gi* hot cells, normal-approximation
        p), ``"gi_star_perm"`` (Gi* hot cells, permutation p) or ``None``
        (default: the method with the best median PAI in the backtest; ``"counts"``
        when the backtest has fewer than 6 held-out months, too few to choose).
    bandwidth
        KDE radius in metres; ``None`` = MASS bandwidth.nrd rule of thumb.
    band
        Gi* distance band in metres; ``None`` = 1.5 cell sizes.
    permutations
        Gi* permutations (default 9,999: with ~160 cells and FDR, 999 cannot
        reach significance; :func:`permutation_note` says why).
    seed
        Seed of every permutation test.
    gi_inference
        Which Gi* p-values mark the hot cells on the map and in the grid's
        ``gi_class``/``gi_hot``: ``"normal"`` (default; analytical, as ArcGIS and
        sfhotspot) or ``"permutation"``. Both are always computed and shown.
    alpha
        FDR level for Gi* hot cells.
    train_months
        Months each backtest method sees before the month it is scored on.
    emerging
        Also run the emerging hot spot analysis (Gi* per month + Mann-Kendall).
    """

    cell_size: float | Literal["auto"] = 150.0
    shape: Shape = "square"
    month_from: str | None = None
    month_to: str | None = None
    measure: str = "crime"
    crime_types: tuple[str, ...] = ()
    harm: Any = None
    area_share: float | None = 0.05
    top_n: int | None = None
    method: str | None = None
    bandwidth: float | None = None
    band: float | None = None
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    gi_inference: str = "normal"
    alpha: float = 0.05
    train_months: int = 3
    emerging: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.crime_types, str):
            object.__setattr__(self, "crime_types", (self.crime_types,))
        else:
            object.__setattr__(self, "crime_types", tuple(self.crime_types))
        if isinstance(self.harm, Mapping):
            object.__setattr__(self, "harm", tuple(sorted(
                (str(k), float(v)) for k, v in self.harm.items())))
        if self.top_n is not None and self.area_share == 0.05:
            object.__setattr__(self, "area_share", None)  # top_n given: no default share
        if isinstance(self.cell_size, int | float) and not isinstance(self.cell_size, bool):
            object.__setattr__(self, "cell_size", float(self.cell_size))
        problems = _param_problems(self)
        if problems:
            raise ValueError("Patrol settings are not valid: " + "; ".join(problems) + ".")

    @property
    def harm_table(self) -> dict[str, float] | None:
        """The harm weights as a dict, or ``None``."""
        return dict(self.harm) if self.harm is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready parameters for a run manifest."""
        d = asdict(self)
        d["crime_types"] = list(self.crime_types)
        d["harm"] = self.harm_table
        return d


def _is_int(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _is_pos(v: object) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            and v > 0)


def _param_problems(p: PatrolParams) -> list[str]:
    return _data_problems(p) + _method_problems(p)


def _data_problems(p: PatrolParams) -> list[str]:
    out: list[str] = []
    if not (p.cell_size == "auto" or _is_pos(p.cell_size)):
        out.append(f"cell_size={p.cell_size!r}: give metres (e.g. 150) or 'auto'")
    if p.shape not in ("square", "hex"):
        out.append(f"shape={p.shape!r}: choose 'square' or 'hex'")
    for name in ("month_from", "month_to"):
        v = getattr(p, name)
        if v is not None:
            try:
                check_month(v, argument=name)
            except ValueError as e:
                out.append(str(e).rstrip("."))
    if (p.month_from and p.month_to and str(p.month_from) > str(p.month_to)):
        out.append(f"month_from={p.month_from} is after month_to={p.month_to}")
    out += _measure_problems(p)
    if p.harm is not None:
        try:
            pairs = [(str(k), float(v)) for k, v in p.harm]
        except (TypeError, ValueError):
            pairs = []
            out.append("harm: give a mapping {crime_type: weight}")
        if any(not (math.isfinite(w) and w >= 0) for _, w in pairs):
            out.append("harm: every weight must be a number >= 0")
    return out


def _measure_problems(p: PatrolParams) -> list[str]:
    out: list[str] = []
    if p.measure not in MEASURES:
        out.append(f"measure={p.measure!r}: choose 'crime' (recorded crime) or 'asb' "
                   "(anti-social behaviour)")
    if not all(isinstance(c, str) and c.strip() for c in p.crime_types):
        out.append(f"crime_types={p.crime_types!r}: give crime type names (text)")
    elif ASB_CATEGORY in p.crime_types:
        out.append(f"crime_types: '{ASB_CATEGORY}' is not recorded crime but its own measure: "
                   "choose measure='asb' (--measure asb) instead, without crime types")
    elif p.measure == "asb" and p.crime_types:
        out.append(f"crime_types={list(p.crime_types)}: crime types choose among recorded "
                   "crime; the measure 'asb' (anti-social behaviour) takes none")
    if p.measure == "asb" and p.harm is not None:
        out.append("harm: harm weights weigh crime types; the measure 'asb' (anti-social "
                   "behaviour) is counted, not weighted")
    return out


def _method_problems(p: PatrolParams) -> list[str]:
    out: list[str] = []
    if (p.area_share is None) == (p.top_n is None):
        out.append("give exactly one of area_share (e.g. 0.05) or top_n (a number of cells)")
    if p.area_share is not None and not (_is_pos(p.area_share) and p.area_share <= 1):
        out.append(f"area_share={p.area_share!r}: give a share of the area in (0, 1], e.g. 0.05")
    if p.top_n is not None and not (_is_int(p.top_n) and p.top_n >= 1):
        out.append(f"top_n={p.top_n!r}: give a whole number of cells >= 1")
    if p.method is not None and p.method not in METHODS:
        out.append(f"method={p.method!r}: choose one of {list(METHODS)} or None (best in the "
                   "backtest)")
    for name in ("bandwidth", "band"):
        v = getattr(p, name)
        if v is not None and not _is_pos(v):
            out.append(f"{name}={v!r}: give a positive number of metres or None")
    if not (_is_int(p.permutations) and 99 <= p.permutations <= 99_999):
        out.append(f"permutations={p.permutations!r}: give a whole number from 99 to 99,999 "
                   f"(default {DEFAULT_PERMUTATIONS:,})")
    if not _is_int(p.seed):
        out.append(f"seed={p.seed!r}: give a whole number")
    if p.gi_inference not in GI_INFERENCE_LABELS:
        out.append(f"gi_inference={p.gi_inference!r}: choose 'normal' or 'permutation'")
    if not (isinstance(p.alpha, float | int) and 0 < p.alpha < 1):
        out.append(f"alpha={p.alpha!r}: give a level in (0, 1), e.g. 0.05")
    if not (_is_int(p.train_months) and p.train_months >= 1):
        out.append(f"train_months={p.train_months!r}: give a whole number of months >= 1")
    if not isinstance(p.emerging, bool):
        out.append(f"emerging={p.emerging!r}: give True or False")
    return out


def permutation_note(n_cells: int, permutations: int, alpha: float = 0.05,
                     found: int | None = None) -> str:
    """Say how far a permutation Gi* can reach after FDR, and what this run found.

    Parameters
    ----------
    n_cells
        Cells tested (the FDR family).
    permutations
        Permutations per cell.
    alpha
        FDR level.
    found
        Hot cells the permutation p-values gave in this run (``None``: not known).

    Returns
    -------
    str
        The smallest two-sided pseudo p, ``2 / (P + 1)``, and how many cells
        must share it for the best q to reach ``alpha`` (Benjamini-Hochberg gives
        ``q = p_min n / k`` when ``k`` cells share the smallest p). Advice only
        when it follows from the settings: more permutations only when fewer than
        the most offered were used and none was found.

    Examples
    --------
    >>> permutation_note(162, 999)[:60]
    'With 999 permutations the smallest two-sided pseudo p-value '
    """
    p_min = 2.0 / (permutations + 1)
    need = max(1, math.ceil(p_min * n_cells / alpha - 1e-12))
    text = (f"With {permutations:,} permutations the smallest two-sided pseudo p-value is "
            f"2/({permutations:,}+1) = {p_min:.5g}; after Benjamini-Hochberg FDR over "
            f"{n_cells:,} cells a cell reaches q \u2264 {alpha:g} only if at least {need:,} "
            f"{'cells share' if need != 1 else 'cell has'} that smallest p-value "
            "(q = p x cells / k).")
    if found is None:
        return text
    text += f" This run found {found:,} hot cell{'s' if found != 1 else ''} that way."
    if found == 0:
        more = next((m for m in PERMUTATION_STEPS if m > permutations), None)
        if more is not None and need > 1:
            k = max(1, math.ceil(2.0 / (more + 1) * n_cells / alpha - 1e-12))
            text += (f" {more:,} permutations would lower that to {k:,} "
                     f"cell{'s' if k != 1 else ''}.")
        else:
            text += (" More permutations would not change that: a busy cell whose neighbours "
                     "are not busy is not significant by permutation; the normal "
                     "approximation counts the cell itself.")
    return text
