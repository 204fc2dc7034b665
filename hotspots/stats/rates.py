"""Counts to rates per 1,000 residents, and Empirical-Bayes smoothed rates.

A crude rate on a small population swings wildly (2 referrals among 300
residents is 6.7 per 1,000); Empirical-Bayes (EB) smoothing pulls each rate
towards a reference mean -- London-wide (``"global"``) or the area and its
neighbours (``"spatial"``) -- the more strongly the smaller its population.
Global smoothing is written here in numpy (esda's ``Empirical_Bayes``
arithmetic, checked against it in the tests, so a cold start does not import
esda); spatial smoothing is :mod:`esda.smoothing`'s
``Spatial_Empirical_Bayes``. This module aligns frames and weights, keeps areas
without population out of the calculation and reports them.

Areas with zero or missing population get NaN rates (never ``inf``) and are
listed, by code and name, in the returned :class:`~hotspots._validate.Report`.
Areas with a missing count ("no data", e.g. policed by another force) get NaN
rates too and are left out of the smoothing.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"area_code": ["A", "B", "C"], "area_name": ["Ay", "Bee", "Sea"],
...                    "count": [4, 0, 6], "population": [2000, 0, 3000]})
>>> r = rates_per_1000(df)
>>> r.frame["rate_per_1000"].tolist()
[2.0, nan, 2.0]
>>> r.report.to_frame()["what"].tolist()
['B (Bee) has a population of 0: its rate is left blank']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots._validate import Report

if TYPE_CHECKING:  # pragma: no cover
    from libpysal.weights import W

# esda and libpysal are imported inside the functions that use them: importing
# esda costs about a second, which crude rates should not pay.

__all__ = ["SMOOTHERS", "PER", "RateResult", "Smoother", "rates_per_1000", "smooth_rates"]

#: Rates are per this many residents.
PER = 1000.0


@dataclass(frozen=True)
class RateResult:
    """Rates and what was found on the way.

    Attributes
    ----------
    frame
        A copy of the input with ``population``, ``rate_per_1000`` (and
        ``eb_rate`` from :func:`smooth_rates`), NaN where not defined.
    report
        Areas with zero or missing population, missing counts and, for
        spatial smoothing, areas without neighbours.
    description
        One sentence for the method panel.
    """

    frame: pd.DataFrame
    report: Report
    description: str


# --------------------------------------------------------------------------- checks

def _check_columns(frame: pd.DataFrame, needed: list[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ColumnMappingError(
            f"The {what} frame lacks column(s) {missing}; it has {list(frame.columns)}. "
            "Name yours with code_col=, count_col= or population_col=."
        )


def _numeric(values: pd.Series, column: str, what: str, problems: list[str]) -> pd.Series:
    """Numbers, NaN where missing; non-numbers and negatives become problems."""
    num = pd.to_numeric(values, errors="coerce").astype(float)
    bad = num.isna() & values.notna()
    if bad.any():
        problems.append(f"{what} column '{column}' has {int(bad.sum())} non-numeric value(s), "
                        f"e.g. {values[bad].astype(str).unique()[:3].tolist()}")
    if (num < 0).any():
        problems.append(f"{what} column '{column}' has {int((num < 0).sum())} negative value(s)")
    return num


def _attach_population(
    frame: pd.DataFrame, population: pd.DataFrame | None, code_col: str, population_col: str
) -> pd.DataFrame:
    """Return a copy of ``frame`` with ``population_col`` (merged on ``code_col`` if given)."""
    if population is None:
        _check_columns(frame, [population_col], "counts (no population= given)")
        return frame.copy()
    if population_col in frame.columns:
        raise ValueError(
            f"The counts frame already has a '{population_col}' column and population= was "
            "also given: drop one of them."
        )
    _check_columns(population, [code_col, population_col], "population")
    dup = population[code_col].duplicated(keep=False)
    if dup.any():
        raise InputDataError(
            f"The population frame lists {population.loc[dup, code_col].nunique()} area(s) more "
            f"than once, e.g. {population.loc[dup, code_col].astype(str).unique()[:3].tolist()}: "
            "give one population per area."
        )
    pop = population[[code_col, population_col]]
    return frame.merge(pop, on=code_col, how="left", validate="one_to_one")


def _prepare(
    frame: pd.DataFrame, population: pd.DataFrame | None, *, code_col: str, count_col: str,
    population_col: str,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Return a validated copy with population attached, numeric counts and populations."""
    _check_columns(frame, [code_col, count_col], "counts")
    out = _attach_population(frame, population, code_col, population_col)
    problems: list[str] = []
    dup = out[code_col].duplicated()
    if dup.any():
        examples = out.loc[dup, code_col].astype(str).unique()[:3].tolist()
        problems.append(f"area code(s) appear more than once, e.g. {examples} "
                        "(give one row per area)")
    counts = _numeric(out[count_col], count_col, "count", problems)
    pop = _numeric(out[population_col], population_col, "population", problems)
    if problems:
        raise InputDataError("Rates cannot be computed: " + "; ".join(problems) + ".")
    out[population_col] = pop
    return out, counts, pop


def _name(row_code: object, row_name: object) -> str:
    if row_name is None or (isinstance(row_name, float) and np.isnan(row_name)):
        return f"{row_code} (name not given)"
    return f"{row_code} ({row_name})"


def _report_gaps(out: pd.DataFrame, counts: pd.Series, pop: pd.Series, *, code_col: str,
                 name_col: str, count_col: str, population_col: str, label: str) -> Report:
    """One report line per area without a usable population or count."""
    rep = Report()
    names = out[name_col] if name_col in out.columns else pd.Series(None, index=out.index)
    # only the areas a line is written for (counts and pop are columns of ``out``)
    gap = pop.isna().to_numpy() | (pop == 0).to_numpy() | counts.isna().to_numpy()
    for i in out.index[gap]:
        who = _name(out.at[i, code_col], names.at[i])
        c = counts.at[i]
        if pd.isna(pop.at[i]) or pop.at[i] == 0:
            state = "no population (missing)" if pd.isna(pop.at[i]) else "a population of 0"
            extra = f" although it has a count of {c:g}" if pd.notna(c) and c > 0 else ""
            rep.add("warning", label, f"{who} has {state}{extra}: its rate is left blank",
                    "Check the population file covers this area (or accept 'no rate').",
                    column=population_col)
        elif pd.isna(c):
            rep.add("info", label, f"{who} has no count (no data): its rate is left blank",
                    "Expected for areas the source does not cover; shown as 'no data'.",
                    column=count_col)
    return rep


# --------------------------------------------------------------------------- crude rates

def rates_per_1000(
    frame: pd.DataFrame,
    *,
    population: pd.DataFrame | None = None,
    code_col: str = "area_code",
    name_col: str = "area_name",
    count_col: str = "count",
    population_col: str = "population",
    label: str = "population",
) -> RateResult:
    """Crude rates per 1,000 residents, NaN where population is 0 or missing.

    Parameters
    ----------
    frame
        One row per area: ``code_col``, ``count_col`` (NaN = no data),
        optionally ``name_col`` and ``population_col``. Not modified.
    population
        Optional frame of ``code_col`` and ``population_col`` to merge in
        (the frame must then not have its own population column).
    code_col, name_col, count_col, population_col
        Column names.
    label
        Name of the population source, used as ``file`` in the report.

    Returns
    -------
    RateResult
        ``frame`` adds ``population`` (float) and ``rate_per_1000``.

    Raises
    ------
    ColumnMappingError
        When a named column is missing.
    InputDataError
        For duplicate areas, non-numeric or negative counts or populations.
    ValueError
        When the population is given twice.

    Notes
    -----
    ``rate_per_1000 = 1000 * count / population``. The population must be of
    the same boundary vintage as the counts (ARCHITECTURE §6).
    """
    out, counts, pop = _prepare(frame, population, code_col=code_col, count_col=count_col,
                                population_col=population_col)
    usable = pop > 0
    out["rate_per_1000"] = (PER * counts / pop.where(usable)).astype(float)
    rep = _report_gaps(out, counts, pop, code_col=code_col, name_col=name_col,
                       count_col=count_col, population_col=population_col, label=label)
    return RateResult(out, rep, "Crude rate: count per 1,000 residents.")


# --------------------------------------------------------------------------- smoothing

def _global_eb(e: np.ndarray, b: np.ndarray, w: W | None) -> np.ndarray:
    """Global EB (Marshall 1991) in numpy, with Marshall's rule for a negative variance.

    The same arithmetic, in the same order, as esda's ``Empirical_Bayes`` (equal to
    the last bit: ``tests/test_rates.py``), without importing esda, libpysal and
    numba (about a second of every cold start).
    """
    e = np.asarray(e, dtype=float)
    b = np.asarray(b, dtype=float)
    m = e.sum() / b.sum()
    rate = e / b
    dev = rate - m
    between = (b * dev * dev).sum() / b.sum() - m / b.mean()
    if between <= 0:
        # Marshall (1991): a negative moment estimate of the between-area variance
        # is set to 0, i.e. every rate is shrunk fully to the global mean. esda
        # does not clamp here, and would give weights outside [0, 1].
        return np.full(len(e), m)
    weight = between / (between + m / b)
    return weight * rate + (1.0 - weight) * m


def _spatial_eb(e: np.ndarray, b: np.ndarray, w: W | None) -> np.ndarray:
    """Smooth with esda's spatial EB; 0 where a neighbourhood has no events (esda: NaN)."""
    from esda.smoothing import Spatial_Empirical_Bayes, Spatial_Rate

    if w is None:
        raise ValueError("spatial Empirical-Bayes smoothing needs weights (w=).")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(Spatial_Empirical_Bayes(e, b, w).r, dtype=float).ravel()
        local = np.asarray(Spatial_Rate(e, b, w).r, dtype=float).ravel()
    return np.where(local == 0, 0.0, r)


@dataclass(frozen=True)
class Smoother:
    """One Empirical-Bayes smoother of the registry.

    Attributes
    ----------
    key
        Registry key.
    label
        Plain-words name for a selectbox.
    description
        One sentence for the method panel.
    needs_weights
        True when a libpysal ``W`` must be given.
    smooth
        ``smooth(events, population, w) -> rates`` on areas with population > 0.
    """

    key: str
    label: str
    description: str
    needs_weights: bool
    smooth: Callable[[np.ndarray, np.ndarray, W | None], np.ndarray]


#: Smoother registry: key -> :class:`Smoother`.
SMOOTHERS: dict[str, Smoother] = {
    s.key: s
    for s in (
        Smoother("global", "Empirical Bayes (global)",
                 "Empirical-Bayes smoothed rate per 1,000 residents (global: each rate is "
                 "shrunk towards the overall rate, more strongly the smaller its population; "
                 "Marshall 1991).", False, _global_eb),
        Smoother("spatial", "Empirical Bayes (spatial)",
                 "Empirical-Bayes smoothed rate per 1,000 residents (spatial: each rate is "
                 "shrunk towards the rate of the area and its neighbours, more strongly the "
                 "smaller its population; Marshall 1991).", True, _spatial_eb),
    )
}


def _align_weights(w: object, codes: pd.Series, index: pd.Index) -> tuple[W, list[int]]:
    """Return a new binary W over the usable areas (frame order) and its islands' positions.

    The ids of ``w`` may be the area codes or the frame's index labels.
    """
    from libpysal.weights import W

    if not isinstance(w, W):
        raise TypeError(f"w must be a libpysal.weights.W, not {type(w).__name__}.")
    ids = set(w.neighbors)
    if set(codes) <= ids:
        keys = list(codes)
    elif set(index) <= ids:
        keys = list(index)
    else:
        lost = [c for c in codes if c not in ids][:5]
        raise InputDataError(
            f"The weights do not cover every area with a population: {len(ids)} ids such as "
            f"{list(w.id_order)[:3]}, but areas such as {lost} are missing (matched against "
            "the area codes and the frame index). Build the weights on the same layer, with "
            "the area codes as ids (e.g. libpysal Queen.from_dataframe(gdf, ids='area_code'))."
        )
    keep = set(keys)
    neighbours = {k: [j for j in w.neighbors[k] if j in keep and j != k] for k in keys}
    # A fresh binary W: esda's spatial EB counts neighbours and sums populations with
    # the *original* weights, and switches the transform of the W it is given.
    wb = W(neighbours, id_order=keys, silence_warnings=True)
    return wb, [i for i, k in enumerate(keys) if not neighbours[k]]


def smooth_rates(
    frame: pd.DataFrame,
    *,
    method: Literal["global", "spatial"] = "global",
    w: W | None = None,
    population: pd.DataFrame | None = None,
    code_col: str = "area_code",
    name_col: str = "area_name",
    count_col: str = "count",
    population_col: str = "population",
    label: str = "population",
) -> RateResult:
    r"""Crude and Empirical-Bayes smoothed rates per 1,000 residents.

    Parameters
    ----------
    frame
        One row per area (see :func:`rates_per_1000`). Not modified.
    method
        Key of :data:`SMOOTHERS`: ``"global"`` or ``"spatial"``.
    w
        libpysal weights for ``method="spatial"`` (any ``W``: contiguity,
        kNN, distance; only its neighbour sets are used). Its ids must be
        the area codes or the frame's index labels; it may cover more areas
        than the frame.
    population, code_col, name_col, count_col, population_col, label
        As :func:`rates_per_1000`.

    Returns
    -------
    RateResult
        ``frame`` adds ``population``, ``rate_per_1000`` and ``eb_rate`` (per
        1,000; NaN where population is 0 or missing, or the count is missing).

    Raises
    ------
    ColumnMappingError, InputDataError
        As :func:`rates_per_1000`; also when ``w`` does not cover the areas.
    ValueError
        For an unknown method, or ``w`` missing for / given to the wrong method.
    TypeError
        When ``w`` is not a libpysal ``W``.

    Notes
    -----
    Marshall, R. J. (1991). Mapping disease and mortality rates using
    empirical Bayes estimators. *Applied Statistics* 40(2), 283-294.
    With events :math:`e_i`, populations :math:`b_i`, crude rates
    :math:`r_i = e_i / b_i`, reference mean :math:`m = \sum e / \sum b`
    and moment estimate of the between-area variance
    :math:`A = \sum b_i (r_i - m)^2 / \sum b - m / \bar b` (set to 0
    when negative), the smoothed rate is :math:`m + C_i (r_i - m)` with
    :math:`C_i = A / (A + m / b_i)`. The spatial version computes
    :math:`m`, :math:`A` and :math:`\bar b` over each area and its
    neighbours (Anselin, Lozano-Gracia & Koschinsky 2006, *Rate
    transformations and smoothing*, GeoDa Center). The global one is esda's
    ``Empirical_Bayes`` arithmetic in numpy, the spatial one
    :mod:`esda.smoothing`'s; areas without population are left out first, so
    they take no part in any area's reference mean. An area left with no
    neighbours keeps its crude rate under spatial smoothing (reported).
    """
    smoother = SMOOTHERS.get(method)
    if smoother is None:
        raise ValueError(f"method={method!r} is unknown: use one of {sorted(SMOOTHERS)}.")
    if smoother.needs_weights and w is None:
        raise ValueError(f"method={method!r} needs w=: libpysal weights for the areas "
                         "(e.g. queen contiguity from hotspots.weights).")
    if w is not None and not smoother.needs_weights:
        raise ValueError(f"w= is only used by method='spatial', not method={method!r}.")
    res = rates_per_1000(frame, population=population, code_col=code_col, name_col=name_col,
                         count_col=count_col, population_col=population_col, label=label)
    out, rep = res.frame, res.report
    counts = pd.to_numeric(out[count_col], errors="coerce").astype(float)
    use = (out[population_col] > 0) & counts.notna()
    out["eb_rate"] = np.nan
    if use.any():
        wb = None
        if smoother.needs_weights:
            wb, islands = _align_weights(w, out.loc[use, code_col], out.index[use])
            _report_islands(rep, out[use], islands, code_col, name_col, label)
        e, b = counts[use].to_numpy(), out.loc[use, population_col].to_numpy(dtype=float)
        out.loc[use, "eb_rate"] = PER * smoother.smooth(e, b, wb)
    return RateResult(out, rep, smoother.description)


def _report_islands(rep: Report, sub: pd.DataFrame, islands: list[int], code_col: str,
                    name_col: str, label: str) -> None:
    for i in islands:
        row = sub.iloc[i]
        rep.add("warning", label,
                f"{_name(row[code_col], row.get(name_col))} has no neighbours with a "
                "population in the weights: its spatial EB rate is its crude rate",
                "Expected for islands; consider kNN weights for them.", column=code_col)
