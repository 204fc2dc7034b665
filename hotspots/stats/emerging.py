"""Emerging hot spots: how each cell's or ward's hot/cold status moved over time.

In the style of ArcGIS Pro's *Emerging Hot Spot Analysis*, in three steps:

1. :func:`gi_star_series`: Getis-Ord Gi* (:func:`hotspots.stats.local_gi_star`)
   on every time step separately, with permutation p-values and a
   multiple-testing correction within each step. A unit is **hot** in a step
   when its q-value is at most ``alpha`` (default 0.10, ArcGIS's 90% level)
   and its z is above 0, **cold** when z is below 0, else **ns** (not
   significant). A step in which every unit has the same count (e.g. no crime
   at all) has no Gi*: every unit is "ns" there.
2. :func:`mann_kendall`: the Mann-Kendall trend test (the numbers of
   ``pymannkendall``'s ``original_test``, vectorised over units in
   :mod:`hotspots.stats.mannkendall`) on each unit's series of Gi* z-scores: is clustering
   getting stronger (``increasing``), weaker (``decreasing``) or neither
   (``no trend``), at ``trend_alpha`` (default 0.05).
3. :func:`classify_emerging`: one category per unit from its status series
   and its trend, by the rules below.

The rules, in plain words, for *n* time steps. "At least 90% of steps" means
``n_hot >= 0.9 n`` (so 9 of 10 steps, 11 of 12, every step when n < 10).
They are checked in this order and the first that applies wins:

* **Final step hot:**
  a. hot in at least 90% of steps: **intensifying hot spot** if the z-scores
     rise significantly, **diminishing hot spot** if they fall
     significantly, otherwise **persistent hot spot**;
  b. otherwise, if the unit was a significant cold spot in any step:
     **oscillating hot spot**;
  c. otherwise, if the final step is the only hot step: **new hot spot**;
  d. otherwise, if the hot steps form one unbroken run of at least two that
     ends at the final step: **consecutive hot spot**;
  e. otherwise (hot before, on and off, never cold): **sporadic hot spot**.
* **Final step cold:** the same with hot and cold swapped (an *intensifying*
  cold spot's z-scores fall significantly, i.e. it gets colder; a
  *diminishing* one's rise).
* **Final step not significant:** **historical hot spot** if hot in at least
  90% of steps, **historical cold spot** if cold in at least 90%, otherwise
  **no pattern detected**.

These follow ESRI's definitions ("How Emerging Hot Spot Analysis works",
ArcGIS Pro): new = hot in the final step and never before; consecutive = a
single uninterrupted run of at least two hot steps in the final steps, never
hot before it, fewer than 90% of steps hot; intensifying / diminishing = hot
in 90% of steps including the final one with a significant rise / fall in
clustering intensity; persistent = hot in 90% of steps with no trend;
sporadic = hot in the final step, on-again off-again before, fewer than 90%
hot and never cold; oscillating = hot in the final step, cold in an earlier
step, fewer than 90% hot; historical = not hot in the final step but hot in at
least 90% of steps. Where ESRI's wording lets two categories apply, the order
above decides, and it is the one used by ``sfdep`` (Parry) for new and
consecutive: a unit that was ever a significant cold spot and is now hot is
*oscillating*, not *new* or *consecutive*; a unit whose final step is hot
takes a hot category even when 90% of its steps were cold (oscillating hot,
not historical cold).

Differences from ArcGIS, stated for the method card: Gi* here uses spatial
neighbours within each time step only (ArcGIS can add the same location's
previous steps, its "neighbourhood time step"), and the correction is applied
within each step (the family is the units of one step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hotspots._errors import InputDataError
from hotspots.stats import registry as registry
from hotspots.stats.mannkendall import mann_kendall_matrix
from hotspots.stats.significance import Correction
from hotspots.stats.weights import SpatialWeights

__all__ = [
    "CATEGORIES",
    "MIN_TIME_STEPS",
    "STATUSES",
    "GiStarSeries",
    "check_time_steps",
    "classify_emerging",
    "emerging_hotspots",
    "gi_star_series",
    "mann_kendall",
    "mann_kendall_table",
]

#: Getis-Ord Gi* of the registry: run on every step, its z, p and q columns read.
_GI = registry.get("gi_star")

HOT, COLD, NS = "hot", "cold", "ns"
#: Status of a unit in one time step.
STATUSES: tuple[str, str, str] = (HOT, COLD, NS)

NO_PATTERN = "no pattern detected"

#: Categories and their plain-words definitions (hot and cold spot versions).
CATEGORIES: Mapping[str, str] = MappingProxyType({
    NO_PATTERN: "none of the patterns below",
    **{f"{kind} {w} spot": text.format(w=w, o=o)
       for w, o in (("hot", "cold"), ("cold", "hot"))
       for kind, text in (
           ("new", "a significant {w} spot in the final step and never before"),
           ("consecutive", "one unbroken run of at least two significant {w} spot steps "
                           "ending at the final step, never a {w} spot before it, fewer "
                           "than 90% of steps {w}"),
           ("intensifying", "a significant {w} spot in at least 90% of steps including the "
                            "final one, clustering getting significantly stronger"),
           ("persistent", "a significant {w} spot in at least 90% of steps including the "
                          "final one, no significant trend in clustering"),
           ("diminishing", "a significant {w} spot in at least 90% of steps including the "
                           "final one, clustering getting significantly weaker"),
           ("sporadic", "a significant {w} spot in the final step and on and off before, "
                        "fewer than 90% of steps {w}, never a significant {o} spot"),
           ("oscillating", "a significant {w} spot in the final step that was a significant "
                           "{o} spot in an earlier step, fewer than 90% of steps {w}"),
           ("historical", "not a significant {w} spot in the final step, but one in at "
                          "least 90% of steps"),
       )},
})

TRENDS: tuple[str, ...] = ("increasing", "decreasing", "no trend", "not tested")

#: Fewest time steps (months) for emerging hot spots, everywhere (ward page, national page,
#: ``store emerging``, ``analyse --emerging``, patrol): ArcGIS Pro's Emerging Hot Spot
#: Analysis asks for at least 10 time steps. With 4 the Mann-Kendall test's smallest
#: two-sided p is 0.089 (no trend can be significant at 0.05), with 5 it is 0.027: the
#: trend-based categories (intensifying, diminishing) need a series long enough to show one.
MIN_TIME_STEPS = 10


def check_time_steps(n: int, *, unit: str = "months", span: str = "",
                     minimum: int = MIN_TIME_STEPS) -> None:
    """Refuse emerging hot spots on too few time steps, with a message saying what to do.

    Parameters
    ----------
    n
        Time steps in the data (months).
    unit
        Their name in the message.
    span
        The steps in words (``"2024-01 to 2024-04"``), added to the message.
    minimum
        Fewest steps (default :data:`MIN_TIME_STEPS`).

    Raises
    ------
    InputDataError
        ``n < minimum``: names how many are needed and how many there are.

    Examples
    --------
    >>> check_time_steps(12)
    >>> try:
    ...     check_time_steps(4, span="2024-01 to 2024-04")
    ... except InputDataError as e:
    ...     print(str(e)[:77])
    Emerging hot spots need at least 10 months; there are 4 (2024-01 to 2024-04).
    """
    if n >= minimum:
        return
    where = f" ({span})" if span else ""
    raise InputDataError(
        f"Emerging hot spots need at least {minimum} {unit}; there are {n}{where}. ArcGIS "
        f"Pro's Emerging Hot Spot Analysis asks for at least {minimum} time steps: on fewer, "
        "a trend in clustering can hardly be found (with 4 months none can be significant) "
        f"and the categories mislead. Choose a period of {minimum} {unit} or more (add "
        "months to the data if it has fewer).")


# --------------------------------------------------------------------------- Gi* per step


@dataclass(frozen=True, eq=False)
class GiStarSeries:
    """Gi* for every unit and time step (frames: index = unit, columns = steps).

    Attributes
    ----------
    z, p, q
        Gi* z-score, permutation pseudo p-value and corrected q-value (NaN for
        a step with no variation, or a unit without neighbours).
    status
        ``"hot"`` / ``"cold"`` / ``"ns"`` per unit and step.
    params
        Permutations, seeds (``seed + step number``), correction, alpha, steps
        without variation, weights parameters.
    """

    z: pd.DataFrame
    p: pd.DataFrame
    q: pd.DataFrame
    status: pd.DataFrame
    params: Mapping[str, Any]

    def long(self) -> pd.DataFrame:
        """Return one row per unit and step: ``unit``, ``step``, ``z``, ``p``, ``q``, ``status``."""
        parts = {name: getattr(self, name).stack(future_stack=True)
                 for name in ("z", "p", "q", "status")}
        out = pd.DataFrame(parts)
        out.index.names = ["unit", "step"]
        return out.reset_index()


def _check_series_counts(counts: object, sw: SpatialWeights) -> pd.DataFrame:
    if not isinstance(counts, pd.DataFrame):
        raise TypeError("counts must be a DataFrame: one row per unit (cell_id or "
                        "area_code), one column per time step in order.")
    index = counts.index.astype(str)
    missing, extra = sw.ids.difference(index), pd.Index(index).difference(sw.ids)
    if len(missing) or len(extra) or index.has_duplicates:
        raise InputDataError(
            f"counts rows do not match the weights: {len(missing)} units of the weights have "
            f"no row (e.g. {missing[:5].tolist()}), {len(extra)} rows are not in the weights "
            f"(e.g. {extra[:5].tolist()})"
            + (", and some units appear twice" if index.has_duplicates else "")
            + ". Give one row per unit of the layer the weights were built on "
            "(use 0 where there was no crime).")
    if counts.shape[1] < 1:
        raise InputDataError("counts has no time steps (columns).")
    values = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputDataError(f"counts must be numbers >= 0: {int(bad.sum())} entries are not "
                             f"(e.g. unit {counts.index[r]!r}, step {counts.columns[c]!r}).")
    out = pd.DataFrame(values, index=index, columns=counts.columns).reindex(sw.ids)
    out.index.name = counts.index.name or "unit"
    return out


def gi_star_series(
    counts: pd.DataFrame,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    correction: Correction = "fdr",
    alpha: float = 0.10,
) -> GiStarSeries:
    """Gi* hot and cold spots for every time step.

    Parameters
    ----------
    counts
        Units x time steps (e.g. cells x months), values >= 0; rows must be the
        units of ``sw`` (any order; results follow ``sw.ids``).
    sw
        Spatial weights of the units (:func:`hotspots.stats.weights.build_weights`).
    permutations
        Conditional permutations per step.
    seed
        Seed; step *j* (0-based) uses ``seed + j`` so the steps' draws differ.
    correction
        Multiple-testing correction within each step (``"fdr"``,
        ``"bonferroni"``, ``"none"``).
    alpha
        Largest q-value counted significant (default 0.10: 90% confidence, as
        ArcGIS's emerging hot spot bins).

    Returns
    -------
    GiStarSeries
        ``z``, ``p``, ``q``, ``status`` frames and ``params``.

    Raises
    ------
    InputDataError
        Rows not matching the weights, values missing or negative.
    ValueError
        Bad options.

    Notes
    -----
    Each step is :func:`hotspots.stats.local_gi_star` (Getis & Ord 1992; Ord &
    Getis 1995) with two-sided inference. A step whose counts do not vary has
    no defined Gi* z (the variance is 0): its z, p and q are NaN and every unit
    is "ns" in it (listed in ``params["steps_without_variation"]``).
    """
    frame = _check_series_counts(counts, sw)
    shape = (len(frame), frame.shape[1])
    z, p, q = (np.full(shape, np.nan) for _ in range(3))
    flat: list[str] = []
    for j, step in enumerate(frame.columns):
        y = frame[step]
        if np.ptp(y.to_numpy()) == 0:
            flat.append(str(step))
            continue
        res = _GI.function(y, sw, permutations=permutations, seed=seed + j,
                           alternative="two-sided", correction=correction, alpha=alpha)
        z[:, j] = res.frame[_GI.col("statistic")].to_numpy()
        p[:, j] = res.frame[_GI.col("p")].to_numpy()
        q[:, j] = res.frame[_GI.col("q")].to_numpy()
    sig = np.nan_to_num(q, nan=1.0) <= alpha
    status = np.where(sig & (z > 0), HOT, np.where(sig & (z < 0), COLD, NS))

    def wrap(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=frame.index, columns=frame.columns)

    params = MappingProxyType({
        "statistic": "Getis-Ord Gi* per time step (hotspots.stats.local_gi_star)",
        "permutations": permutations, "seed": seed, "seeds": "seed + step number (0-based)",
        "alternative": "two-sided", "correction": correction, "alpha": alpha,
        "steps": len(frame.columns), "steps_without_variation": tuple(flat),
        "weights": dict(sw.params),
    })
    return GiStarSeries(wrap(z), wrap(p), wrap(q), wrap(status), params)


# --------------------------------------------------------------------------- trend


def mann_kendall(series: pd.Series | np.ndarray | list[float], *,
                 alpha: float = 0.05) -> pd.Series:
    """Mann-Kendall trend test on one series (in time order).

    Parameters
    ----------
    series
        Values in time order; NaN entries are skipped (``pymannkendall``'s
        ``"skip"``), order kept.
    alpha
        Significance level of the trend.

    Returns
    -------
    Series
        ``trend`` ("increasing", "decreasing", "no trend", or "not tested" when
        fewer than 3 values), ``tau`` (Kendall's tau-a, ``S / (n (n - 1) / 2)``),
        ``s`` (the MK score), ``z``, ``p`` (two-sided, normal approximation with
        continuity and tie corrections), ``n`` (values used).

    Notes
    -----
    Mann (1945), Kendall (1975), Gilbert (1987):
    :func:`hotspots.stats.mannkendall.mann_kendall_matrix` on one row, the
    numbers of ``pymannkendall.original_test`` (Hussain & Mahmud 2019). On a
    series without ties ``tau`` equals ``scipy.stats.kendalltau(time, values)``.

    Examples
    --------
    >>> r = mann_kendall([1, 3, 2, 5, 4, 6, 8, 7])
    >>> r["trend"], round(r["tau"], 4), r["s"]
    ('increasing', 0.7857, 22.0)
    """
    r = mann_kendall_matrix(np.asarray(series, dtype=float)[None, :], alpha=alpha)
    return pd.Series({"trend": str(r["trend"][0]), "tau": float(r["tau"][0]),
                      "s": float(r["s"][0]), "z": float(r["z"][0]), "p": float(r["p"][0]),
                      "n": int(r["n"][0])}, dtype=object)


def mann_kendall_table(values: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """:func:`mann_kendall` on every row of a units x steps frame.

    Parameters
    ----------
    values
        Units x time steps (e.g. ``GiStarSeries.z``), columns in time order.
    alpha
        Significance level of the trend.

    Returns
    -------
    DataFrame
        Index = units; ``trend``, ``tau``, ``s``, ``z``, ``p``, ``n``.
    """
    r = mann_kendall_matrix(values.to_numpy(dtype=float), alpha=alpha)
    return pd.DataFrame({"trend": r["trend"], "tau": r["tau"], "s": r["s"], "z": r["z"],
                         "p": r["p"], "n": r["n"]}, index=values.index)


# --------------------------------------------------------------------------- classes


def _at_least(count: int, n: int, threshold: float) -> bool:
    """``count >= threshold * n``, robust to float rounding (9 of 10 at 0.9 is True)."""
    return count >= threshold * n - 1e-9


def _final_run(states: list[str], side: str) -> int:
    run = 0
    for s in reversed(states):
        if s != side:
            break
        run += 1
    return run


def _side_class(states: list[str], side: str, trend: str, threshold: float) -> str:
    """Category of a unit whose final step is ``side`` ("hot" or "cold")."""
    other = COLD if side == HOT else HOT
    n, m = len(states), states.count(side)
    label = f"{side} spot"
    if _at_least(m, n, threshold):
        stronger = "increasing" if side == HOT else "decreasing"
        weaker = "decreasing" if side == HOT else "increasing"
        if trend == stronger:
            return f"intensifying {label}"
        if trend == weaker:
            return f"diminishing {label}"
        return f"persistent {label}"
    if other in states:
        return f"oscillating {label}"
    if m == 1:
        return f"new {label}"
    if _final_run(states, side) == m:  # m >= 2 here: one unbroken final run
        return f"consecutive {label}"
    return f"sporadic {label}"


def _classify_one(states: list[str], trend: str, threshold: float) -> str:
    final = states[-1]
    if final in (HOT, COLD):
        return _side_class(states, final, trend, threshold)
    n = len(states)
    if _at_least(states.count(HOT), n, threshold):
        return "historical hot spot"
    if _at_least(states.count(COLD), n, threshold):
        return "historical cold spot"
    return NO_PATTERN


def classify_emerging(status: pd.DataFrame, trend: pd.DataFrame | pd.Series, *,
                      threshold: float = 0.9) -> pd.Series:
    """Emerging hot spot category of each unit (rules in the module docstring).

    Parameters
    ----------
    status
        Units x time steps (columns in time order) of ``"hot"``, ``"cold"``,
        ``"ns"``.
    trend
        Mann-Kendall result per unit (:func:`mann_kendall_table` of the Gi* z)
        with a ``trend`` column, or a Series of trend words, indexed like
        ``status``.
    threshold
        Share of steps for the persistent / intensifying / diminishing /
        historical patterns (ESRI's 90%).

    Returns
    -------
    Series
        Category per unit, one of :data:`CATEGORIES`, named ``trend_class``.

    Raises
    ------
    InputDataError
        Unknown status or trend words, or units missing from ``trend``.

    Examples
    --------
    >>> st = pd.DataFrame([["ns", "ns", "hot"], ["hot", "hot", "hot"]], index=["a", "b"])
    >>> classify_emerging(st, pd.Series(["no trend", "increasing"], index=["a", "b"])).tolist()
    ['new hot spot', 'intensifying hot spot']
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold={threshold!r}: give a share of steps in (0, 1].")
    words = trend["trend"] if isinstance(trend, pd.DataFrame) else trend
    missing = status.index.difference(words.index)
    if len(missing):
        raise InputDataError(f"trend has no row for {len(missing)} units (e.g. "
                             f"{missing[:5].tolist()}); compute it on the same units.")
    words = words.reindex(status.index)
    bad_t = ~words.isin(TRENDS)
    if bad_t.any():
        raise InputDataError(f"unknown trend {words[bad_t].iloc[0]!r} for unit "
                             f"{words.index[bad_t][0]!r}: use one of {list(TRENDS)}.")
    values = status.to_numpy(dtype=object)
    bad = ~np.isin(values, np.array(STATUSES, dtype=object))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputDataError(f"unknown status {values[r, c]!r} (unit {status.index[r]!r}, "
                             f"step {status.columns[c]!r}): use one of {list(STATUSES)}.")
    if status.shape[1] < 1:
        raise InputDataError("status has no time steps.")
    out = [_classify_one(list(row), str(t), threshold) for row, t in zip(values, words,
                                                                         strict=True)]
    return pd.Series(out, index=status.index, name="trend_class", dtype=object)


def emerging_hotspots(
    counts: pd.DataFrame,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    correction: Correction = "fdr",
    alpha: float = 0.10,
    trend_alpha: float = 0.05,
    threshold: float = 0.9,
    min_steps: int = MIN_TIME_STEPS,
) -> pd.DataFrame:
    """Emerging hot spot analysis of units (grid cells or wards) over time steps.

    Parameters
    ----------
    counts
        Units x time steps (columns in time order), values >= 0, rows = the
        units of ``sw``.
    sw
        Spatial weights of the units.
    permutations, seed, correction, alpha
        As :func:`gi_star_series`.
    trend_alpha
        Significance level of the Mann-Kendall trend on the Gi* z-scores.
    threshold
        Share of steps for the 90% rules.
    min_steps
        Fewest time steps (default :data:`MIN_TIME_STEPS`; lower only to test the
        classification itself).

    Returns
    -------
    DataFrame
        One row per unit (``sw.ids`` order): ``trend_class``, ``n_steps``,
        ``n_hot``, ``n_cold``, ``final_status``, ``mk_trend``, ``mk_tau``,
        ``mk_z``, ``mk_p`` (trend of the Gi* z-scores), ``gi_z_last``.

    Raises
    ------
    InputDataError, ValueError
        As :func:`gi_star_series` and :func:`classify_emerging`; fewer than
        ``min_steps`` time steps (:func:`check_time_steps`).
    """
    if isinstance(counts, pd.DataFrame) and len(counts.columns):
        cols = [str(c) for c in counts.columns]
        check_time_steps(len(cols), span=f"{cols[0]} to {cols[-1]}", minimum=min_steps)
    gi = gi_star_series(counts, sw, permutations=permutations, seed=seed,
                        correction=correction, alpha=alpha)
    mk = mann_kendall_table(gi.z, alpha=trend_alpha)
    st = gi.status
    out = pd.DataFrame({
        "trend_class": classify_emerging(st, mk, threshold=threshold),
        "n_steps": st.shape[1],
        "n_hot": (st == HOT).sum(axis=1),
        "n_cold": (st == COLD).sum(axis=1),
        "final_status": st.iloc[:, -1],
        "mk_trend": mk["trend"], "mk_tau": mk["tau"], "mk_z": mk["z"], "mk_p": mk["p"],
        "gi_z_last": gi.z.iloc[:, -1],
    }, index=st.index)
    return out
