"""Statistics of association and of spatial clustering.

- Rank correlation of a measure with deprivation (:func:`spearman`), worded on
  one scale (:data:`WORDING_SCALE`).
- Hotspot statistics on :mod:`hotspots.weights`: global Moran's I
  (:func:`global_moran`, :func:`global_moran_rate`), Getis-Ord Gi*
  (:func:`local_gi_star`), local Moran / LISA (:func:`local_moran`), bivariate
  LISA against IMD (:func:`bivariate_local_moran`, :func:`bivariate_classes`),
  multiple-testing control (:func:`adjust_pvalues`) and all of them in one table
  (:func:`hotspot_table`). Every result carries the parameters that made it.

The statistics are computed in numpy (formulas as esda's, checked against esda
to 1e-12 and against GeoDa's engine through pygeoda); permutation inference
uses :mod:`hotspots._perm`, which needs no numba compilation, so a cold start
costs no JIT time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats as sps

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots._validate import Report
from hotspots.config import jsonable
from hotspots.stats import permutation as _perm
from hotspots.stats.weights import SpatialWeights, WeightsKind, build_weights, subset_weights

# One documented wording scale for |rho|, used on every page and export.
# (Lower bound inclusive.) Based on the common Dancey & Reidy style bands.
WORDING_SCALE: tuple[tuple[float, str], ...] = (
    (0.0, "negligible"),
    (0.1, "weak"),
    (0.3, "moderate"),
    (0.5, "strong"),
    (0.7, "very strong"),
)


def describe_rho(rho: float) -> str:
    """Return the wording for a rank correlation, e.g. ``"moderate positive"``.

    Parameters
    ----------
    rho
        Spearman's rho in [-1, 1].

    Returns
    -------
    str
        Strength word from :data:`WORDING_SCALE` plus direction.

    Examples
    --------
    >>> describe_rho(0.46), describe_rho(0.49), describe_rho(-0.05)
    ('moderate positive', 'moderate positive', 'negligible')
    """
    if not math.isfinite(rho):
        return "not defined"
    word = WORDING_SCALE[0][1]
    for bound, w in WORDING_SCALE:
        if abs(rho) >= bound:
            word = w
    if word == "negligible":
        return word
    return f"{word} {'positive' if rho > 0 else 'negative'}"


@dataclass(frozen=True)
class SpearmanResult:
    """Spearman rank correlation with its 95% confidence interval.

    Attributes
    ----------
    rho, ci_low, ci_high
        Coefficient and the 95% interval (Fisher z with the Bonett & Wright
        (2000) variance ``(1 + rho**2 / 2) / (n - 3)``).
    n
        Number of pairs used (areas with both values).
    p_value
        Two-sided p-value from :func:`scipy.stats.spearmanr`.
    n_ties_x, n_ties_y
        Number of values sharing a rank with another (ties are given the
        average rank).
    """

    rho: float
    ci_low: float
    ci_high: float
    n: int
    p_value: float
    n_ties_x: int
    n_ties_y: int

    @property
    def wording(self) -> str:
        """Strength and direction in words (see :data:`WORDING_SCALE`)."""
        return describe_rho(self.rho)

    @property
    def text(self) -> str:
        """One plain-words sentence with rho, CI and n."""
        if not math.isfinite(self.rho):
            return f"Rank correlation not defined (n = {self.n}; needs at least 4 varying pairs)."
        return (
            f"Spearman's rho = {self.rho:.2f} (95% CI {self.ci_low:.2f} to {self.ci_high:.2f}, "
            f"n = {self.n} wards): a {self.wording} association."
        )


def spearman(x: pd.Series, y: pd.Series, *, confidence: float = 0.95) -> SpearmanResult:
    """Spearman rank correlation of two aligned series, with CI and n.

    Pairs with a missing value in either series are left out (and ``n`` says
    how many remain). Ties get the average rank.

    Parameters
    ----------
    x, y
        Aligned numeric series (e.g. ward rate and ward IMD score).
    confidence
        Confidence level of the interval.

    Returns
    -------
    SpearmanResult
        rho, interval, n, p-value and tie counts; NaN rho when fewer than
        4 pairs or a constant series.

    Notes
    -----
    Interval: Fisher z-transform of rho with standard error
    ``sqrt((1 + rho**2 / 2) / (n - 3))`` (Bonett, D. G. & Wright, T. A.
    (2000), *Psychometrika* 65, 23-28).
    """
    df = pd.DataFrame({"x": pd.to_numeric(x, errors="coerce"),
                       "y": pd.to_numeric(y, errors="coerce")}).dropna()
    n = len(df)
    ties_x = int(df["x"].duplicated(keep=False).sum())
    ties_y = int(df["y"].duplicated(keep=False).sum())
    nan = float("nan")
    if n < 4 or df["x"].nunique() < 2 or df["y"].nunique() < 2:
        return SpearmanResult(nan, nan, nan, n, nan, ties_x, ties_y)
    res = sps.spearmanr(df["x"], df["y"])
    rho = float(res.statistic)
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    se = math.sqrt((1 + rho**2 / 2) / (n - 3))
    zc = sps.norm.ppf(0.5 + confidence / 2)
    lo, hi = float(np.tanh(z - zc * se)), float(np.tanh(z + zc * se))
    return SpearmanResult(rho, lo, hi, n, float(res.pvalue), ties_x, ties_y)


def competition_rank(values: pd.Series, *, ascending: bool = False) -> pd.Series:
    """Rank with ties sharing the best rank ("1224" competition ranking).

    Parameters
    ----------
    values
        Numeric values; NaN gets a NaN rank.
    ascending
        ``False`` (default) gives rank 1 to the highest value.

    Returns
    -------
    Series
        Float ranks (NaN where the value is missing).

    Examples
    --------
    >>> competition_rank(pd.Series([5, 3, 5, 1])).tolist()
    [1.0, 3.0, 1.0, 4.0]
    """
    return values.rank(method="min", ascending=ascending)


# ============================================================================ hotspots
#
# Conventions shared by every hotspot statistic below:
# - values are aligned with the weights' ids (a Series indexed by area_code in any
#   order, or an array in the weights' order); missing values are refused here
#   (hotspot_table drops areas without data and rebuilds the weights for the rest);
# - weights are the binary links of hotspots.weights, row-standardised (Gi*: with
#   the area itself included, weight 1 before standardising);
# - permutation inference is conditional randomisation (hotspots._perm), independent
#   draws for every area; the same seed gives the same draws, so Gi* and LISA on one
#   variable share them (and their p-values);
# - p-values are adjusted over the areas tested (islands without neighbours are not
#   tested) before any label.

Alternative = Literal["two-sided", "greater", "lesser"]
Correction = Literal["fdr", "bonferroni", "none"]

NO_DATA = "no data"
NO_NEIGHBOURS = "no neighbours"


def _fdr(p: np.ndarray) -> np.ndarray:
    return np.asarray(sps.false_discovery_control(p, method="bh"), dtype=float)


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, p * len(p))


def _unadjusted(p: np.ndarray) -> np.ndarray:
    return p.astype(float, copy=True)


#: Multiple-testing corrections (``correction=`` / ``method=``), each taking the
#: p-values of one family (no NaN) and returning adjusted ones (q-values).
CORRECTIONS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = MappingProxyType(
    {"fdr": _fdr, "bonferroni": _bonferroni, "none": _unadjusted}
)

CORRECTION_TEXT: Mapping[str, str] = MappingProxyType({
    "fdr": "Benjamini-Hochberg false discovery rate (scipy.stats.false_discovery_control)",
    "bonferroni": "Bonferroni: min(1, p * number of areas tested)",
    "none": "no multiple-testing correction (q = p)",
})

#: Confidence levels of the Gi* classes: a class needs ``gi_q <= level``.
GI_LEVELS: tuple[float, ...] = (0.01, 0.05, 0.10)

#: LISA quadrant codes: (focal value high?, neighbours' lag high?) -> label.
QUADRANTS: Mapping[tuple[bool, bool], str] = MappingProxyType(
    {(True, True): "HH", (False, False): "LL", (True, False): "HL", (False, True): "LH"}
)

#: Words for the terciles of :func:`bivariate_classes`.
TERCILE_WORDS: tuple[str, str, str] = ("low", "medium", "high")


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I with normal and permutation inference.

    Attributes
    ----------
    I
        Moran's I (row-standardised weights).
    EI
        Expected I under no autocorrelation, ``-1 / (n - 1)``.
    z_norm, p_norm
        z and p under the normality assumption (Cliff & Ord 1981).
    z_rand, p_rand
        z and p under the randomisation assumption (uses the kurtosis).
    z_sim, p_sim
        z against the permutation distribution and the pseudo p-value.
    EI_sim, se_sim
        Mean and standard deviation of I over the permutations.
    n
        Number of areas.
    params
        Everything that made the result (statistic, weights, permutations,
        seed, alternative, p-value formula).
    """

    I: float  # noqa: E741 -- the statistic's name
    EI: float
    z_norm: float
    z_rand: float
    z_sim: float
    p_norm: float
    p_rand: float
    p_sim: float
    EI_sim: float
    se_sim: float
    n: int
    params: Mapping[str, Any] = field(compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the numbers and parameters as plain JSON-ready Python objects."""
        out: dict[str, Any] = {k: getattr(self, k) for k in (
            "I", "EI", "z_norm", "z_rand", "z_sim", "p_norm", "p_rand", "p_sim", "EI_sim",
            "se_sim", "n")}
        out["params"] = jsonable(self.params)
        return out

    @property
    def text(self) -> str:
        """One plain-words sentence."""
        return (f"Moran's I = {self.I:.3f} (expected {self.EI:.3f} without clustering; "
                f"permutation z = {self.z_sim:.2f}, pseudo p = {self.p_sim:.3g}, "
                f"{self.params.get('permutations')} permutations, n = {self.n}).")


@dataclass(frozen=True, eq=False)
class LocalResult:
    """A local statistic: one row per area (index ``area_code``) and its parameters.

    Attributes
    ----------
    frame
        Columns of the statistic (see each function), indexed like the weights ids.
    params
        Statistic, weights parameters, permutations, seed, alternative, p-value
        formula, correction, alpha and counts of areas tested / significant.
    """

    frame: pd.DataFrame
    params: Mapping[str, Any]


@dataclass(frozen=True)
class _Opts:
    """Validated inference options shared by the statistics."""

    permutations: int
    seed: int
    alternative: str
    correction: str
    alpha: float

    def params(self) -> dict[str, Any]:
        return {"permutations": self.permutations, "seed": self.seed,
                "alternative": self.alternative,
                "p_value": "pseudo p = " + _perm.ALTERNATIVE_TEXT[self.alternative],
                "correction": self.correction, "correction_text":
                CORRECTION_TEXT[self.correction], "alpha": self.alpha}


@dataclass(frozen=True)
class _Sims:
    """Conditional-permutation tail counts on the neighbour sums of one variable."""

    k: np.ndarray
    observed: np.ndarray
    n_ge: np.ndarray
    n_le: np.ndarray


# --------------------------------------------------------------------------- checks


def _options(permutations: object, seed: object, alternative: object,
             correction: object = "none", alpha: object = 0.05) -> _Opts:
    """Validate the inference options; raise naming the argument and allowed values."""
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) \
            or permutations < 1:
        raise ValueError(f"permutations={permutations!r}: give a positive whole number "
                         "(999 for published results).")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed={seed!r}: give a non-negative whole number, e.g. seed=12345, "
                         "so that the result can be reproduced.")
    if alternative not in _perm.ALTERNATIVES:
        raise ValueError(f"alternative={alternative!r} is not known: choose one of "
                         f"{list(_perm.ALTERNATIVES)}.")
    if correction not in CORRECTIONS:
        raise ValueError(f"correction={correction!r} is not known: choose one of "
                         f"{list(CORRECTIONS)}.")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha <= 0.5:
        raise ValueError(f"alpha={alpha!r}: give the largest q-value to call significant, "
                         "between 0 and 0.5 (e.g. 0.05).")
    return _Opts(int(permutations), int(seed), str(alternative), str(correction), float(alpha))


def _aligned(values: object, sw: SpatialWeights, what: str) -> np.ndarray:
    """Return the values as floats in the weights' order; refuse misaligned, missing, infinite."""
    if isinstance(values, pd.Series):
        series = values
        index = series.index.astype(str) if len(series) else series.index
        if not index.equals(sw.ids):
            missing = sw.ids.difference(index)
            extra = pd.Index(index).difference(sw.ids)
            if len(missing) or len(extra) or index.has_duplicates:
                raise InputDataError(
                    f"{what} are not aligned with the weights: {len(missing)} weights areas "
                    f"have no value (e.g. {missing[:5].tolist()}), {len(extra)} values are "
                    f"for areas not in the weights (e.g. {extra[:5].tolist()})"
                    + (", and the index has duplicate codes" if index.has_duplicates else "")
                    + ". Pass a Series indexed by area_code for the layer the weights were "
                    "built on (build_weights(areas)), or use hotspot_table()."
                )
            series = pd.Series(series.to_numpy(), index=index).reindex(sw.ids)
        arr = np.asarray(series.to_numpy())
    else:
        arr = np.asarray(values)
        if arr.ndim != 1 or len(arr) != sw.n:
            raise InputDataError(
                f"{what} are not aligned with the weights: got {arr.shape} values for "
                f"{sw.n} areas. Pass one value per area in the weights' order (sw.ids), or a "
                "Series indexed by area_code."
            )
    try:
        y = np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        raise InputDataError(f"{what} must be numbers; convert the column first "
                             "(pd.to_numeric).") from None
    bad = ~np.isfinite(y)
    if bad.any():
        codes = sw.ids[bad][:5].tolist()
        raise InputDataError(
            f"{what}: {int(bad.sum())} areas have a missing or infinite value (e.g. {codes}). "
            "No data is never treated as zero: use hotspot_table(), which computes on the "
            "areas with data and rebuilds the weights for them, or "
            "weights.subset_weights(sw, codes_with_data)."
        )
    return y


def _check_varies(y: np.ndarray, what: str) -> None:
    if len(y) < 3 or np.ptp(y) == 0:
        raise InputDataError(
            f"{what} take a single value ({y[0] if len(y) else 'none'}) or there are fewer "
            "than 3 areas: spatial autocorrelation is not defined. Choose another measure or "
            "period."
        )


def _check_non_negative(y: np.ndarray, sw: SpatialWeights, what: str) -> None:
    neg = y < 0
    if neg.any():
        raise InputDataError(
            f"{what}: Gi* needs values >= 0 (counts or rates), but {int(neg.sum())} areas are "
            f"negative (e.g. {sw.ids[neg][:5].tolist()}). Use local_moran() for a measure that "
            "can be negative (e.g. a change)."
        )


# --------------------------------------------------------------------------- p-values


def adjust_pvalues(p: object, *, method: Correction) -> np.ndarray:
    """Adjust p-values for multiple testing (q-values).

    Parameters
    ----------
    p
        p-values (array-like); NaN entries (areas not tested) stay NaN and are
        not counted in the family.
    method
        ``"fdr"`` (Benjamini-Hochberg, :func:`scipy.stats.false_discovery_control`),
        ``"bonferroni"`` or ``"none"``. See :data:`CORRECTIONS`.

    Returns
    -------
    ndarray
        Adjusted p-values, same shape.

    Raises
    ------
    ValueError
        Unknown ``method``, or p-values outside [0, 1].

    Notes
    -----
    Benjamini, Y. & Hochberg, Y. (1995), *J. R. Statist. Soc. B* 57, 289-300:
    ``q_(i) = min_{j >= i} p_(j) m / j``; rejecting ``q <= alpha`` controls the
    false discovery rate at ``alpha``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, np.nan], method="fdr").round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    if method not in CORRECTIONS:
        raise ValueError(f"method={method!r} is not known: choose one of {list(CORRECTIONS)}.")
    arr = np.asarray(p, dtype=float)
    tested = ~np.isnan(arr)
    if ((arr[tested] < 0) | (arr[tested] > 1)).any():
        raise ValueError("p-values must lie between 0 and 1.")
    out = np.full(arr.shape, np.nan)
    if tested.any():
        out[tested] = CORRECTIONS[method](arr[tested])
    return out


def _normal_p(z: float, alternative: str) -> float:
    table = {"two-sided": 2 * sps.norm.sf(abs(z)), "greater": sps.norm.sf(z),
             "lesser": sps.norm.cdf(z)}
    return float(table[alternative])


# --------------------------------------------------------------------------- global


def _moran(y: np.ndarray, sw: SpatialWeights, opts: _Opts, statistic: str,
           extra: Mapping[str, Any]) -> MoranResult:
    """Moran's I, its moments (Cliff & Ord) and permutation inference."""
    w = sw.row_standardised()
    n = len(y)
    z = y - y.mean()
    s0 = float(w.sum())
    zz = float(z @ z)
    value = n / s0 * float(z @ (w @ z)) / zz
    ei = -1.0 / (n - 1)
    wt = w.T.tocsr()
    s1 = 0.5 * float(((w + wt) ** 2).sum())
    s2 = float(((np.asarray(w.sum(axis=1)) + np.asarray(wt.sum(axis=1))) ** 2).sum())
    n2, s02 = n * n, s0 * s0
    v_norm = (n2 * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - ei**2
    kurt = (z**4).sum() / n / ((z**2).sum() / n) ** 2
    a = n * ((n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    b = kurt * ((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    v_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s02) - ei**2
    sims = _perm.permuted_global_moran(z, w, opts.permutations, opts.seed)
    tol = 1e-12 * max(1.0, abs(value))
    p_sim = float(_perm.pseudo_p(np.array([(sims >= value - tol).sum()]),
                                 np.array([(sims <= value + tol).sum()]),
                                 opts.permutations, opts.alternative)[0])
    ei_sim, se_sim = float(sims.mean()), float(sims.std())
    z_norm, z_rand = (value - ei) / math.sqrt(v_norm), (value - ei) / math.sqrt(v_rand)
    params = {"statistic": statistic, **extra, "weights": jsonable(sw.params),
              **{k: v for k, v in opts.params().items() if not k.startswith(("correction",
                                                                               "alpha"))},
              "p_norm": "normal approximation, " + opts.alternative}
    return MoranResult(
        I=value, EI=ei, z_norm=z_norm, z_rand=z_rand,
        z_sim=(value - ei_sim) / se_sim if se_sim > 0 else float("nan"),
        p_norm=_normal_p(z_norm, opts.alternative), p_rand=_normal_p(z_rand, opts.alternative),
        p_sim=p_sim, EI_sim=ei_sim, se_sim=se_sim, n=n, params=MappingProxyType(params),
    )


def global_moran(
    values: pd.Series | np.ndarray,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
) -> MoranResult:
    """Global Moran's I of a measure, with normal and permutation inference.

    Parameters
    ----------
    values
        One number per area: a Series indexed by ``area_code`` (any order) or an
        array in ``sw.ids`` order. Counts or rates; no missing values.
    sw
        Weights from :func:`hotspots.weights.build_weights` (row-standardised here).
    permutations
        Random permutations of the values for the pseudo p-value.
    seed
        Seed of the permutations (required, so every result can be reproduced).
    alternative
        ``"two-sided"`` (clustering or dispersion), ``"greater"`` (clustering)
        or ``"lesser"``; applies to ``p_sim``, ``p_norm`` and ``p_rand``.

    Returns
    -------
    MoranResult
        ``I``, ``EI``, ``z_norm``/``z_rand``/``z_sim``, ``p_norm``/``p_rand``/
        ``p_sim``, ``n`` and ``params``.

    Raises
    ------
    InputDataError
        Values not aligned with the weights, missing, infinite or constant.
    ValueError
        Bad ``permutations``, ``seed`` or ``alternative``.

    Notes
    -----
    ``I = (n / S0) * sum_ij w_ij z_i z_j / sum_i z_i**2`` with ``z`` the centred
    values (Moran 1950); moments under normality and randomisation from Cliff
    & Ord (1981), as ``esda.Moran``. The pseudo p-value is
    ``min(1, 2 (min(#sim >= I, #sim <= I) + 1) / (permutations + 1))`` for
    ``"two-sided"``.
    """
    opts = _options(permutations, seed, alternative)
    y = _aligned(values, sw, "values")
    _check_varies(y, "values")
    return _moran(y, sw, opts, "Moran's I", {})


def _eb_standardised(e: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """Assuncao & Reis (1999) EB-standardised rates; negative variances use b_i-only term."""
    rate = e / b
    beta = e.sum() / b.sum()
    s2 = (b * (rate - beta) ** 2).sum() / b.sum()
    alpha = s2 - beta / (b.sum() / len(e))
    var = alpha + beta / b
    negative = var < 0
    var = np.where(negative, beta / b, var)
    return (rate - beta) / np.sqrt(var), int(negative.sum())


def global_moran_rate(
    events: pd.Series | np.ndarray,
    population: pd.Series | np.ndarray,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
) -> MoranResult:
    """Rate-adjusted global Moran's I (Assuncao & Reis 1999) for counts over populations.

    Small populations make crude rates noisy; the EB standardisation divides each
    rate's deviation from the overall rate by its expected standard error, so
    small areas do not dominate I (as ``esda.Moran_Rate``, ``adjusted=True``).

    Parameters
    ----------
    events
        Counts per area (>= 0), aligned like ``values`` of :func:`global_moran`.
    population
        Population at risk per area (> 0), same alignment.
    sw
        Weights from :func:`hotspots.weights.build_weights`.
    permutations, seed, alternative
        As :func:`global_moran`.

    Returns
    -------
    MoranResult
        Moran's I of the EB-standardised rates; ``params`` say how many areas had
        a negative EB variance estimate (their variance is then ``beta / b_i``).

    Raises
    ------
    InputDataError
        Misaligned or missing values, negative events or non-positive population.
    ValueError
        Bad options.

    Notes
    -----
    Assuncao, R. M. & Reis, E. A. (1999), *Statistics in Medicine* 18, 2147-2162:
    ``z_i = (r_i - beta) / sqrt(alpha + beta / b_i)``, ``beta = sum e / sum b``,
    ``alpha = s2 - beta / mean(b)``.
    """
    opts = _options(permutations, seed, alternative)
    e = _aligned(events, sw, "events")
    b = _aligned(population, sw, "population")
    if (e < 0).any() or (b <= 0).any():
        bad = sw.ids[(e < 0) | (b <= 0)][:5].tolist()
        raise InputDataError(
            f"rate-adjusted Moran needs events >= 0 and population > 0; not so for areas such "
            f"as {bad}. Leave out areas without population (hotspot_table does)."
        )
    y, n_negative = _eb_standardised(e, b)
    _check_varies(y, "EB-standardised rates")
    return _moran(y, sw, opts, "rate-adjusted Moran's I (Assuncao-Reis EB standardisation)",
                  {"n_negative_variance": n_negative})


# --------------------------------------------------------------------------- local


def _simulate(y: np.ndarray, sw: SpatialWeights, opts: _Opts) -> _Sims:
    """Tail counts of the conditionally permuted neighbour sums of ``y``."""
    a = sw.adjacency
    k = np.diff(a.indptr).astype(np.int64)
    observed = a @ y
    n_ge, n_le = _perm.neighbour_sum_counts(y, k, observed, opts.permutations, opts.seed)
    return _Sims(k, observed, n_ge, n_le)


def _p_and_q(n_ge: np.ndarray, n_le: np.ndarray, tested: np.ndarray,
             opts: _Opts) -> tuple[np.ndarray, np.ndarray]:
    p = np.where(tested, _perm.pseudo_p(n_ge, n_le, opts.permutations, opts.alternative),
                 np.nan)
    return p, adjust_pvalues(p, method=opts.correction)  # type: ignore[arg-type]


def _local_params(statistic: str, definition: str, sw: SpatialWeights, opts: _Opts,
                  tested: np.ndarray, significant: np.ndarray) -> Mapping[str, Any]:
    return MappingProxyType({
        "statistic": statistic, "definition": definition, "weights": jsonable(sw.params),
        **opts.params(), "n_areas": int(sw.n), "n_tested": int(tested.sum()),
        "n_significant": int(significant.sum()),
    })


def _gi_levels(alpha: float) -> list[float]:
    """Class thresholds: the standard 99/95/90% levels, plus alpha if it is another level.

    The 90% classes are always shown (as in ArcGIS's Gi_Bin): a board sees
    which areas are hot at each confidence, and ``alpha`` still decides which
    areas count as significant in the summary.
    """
    return sorted(set(GI_LEVELS) | {alpha})


def _gi_classes(z: np.ndarray, q: np.ndarray, tested: np.ndarray, alpha: float) -> np.ndarray:
    out = np.where(tested, "Not significant", "No neighbours").astype(object)
    for level in sorted(_gi_levels(alpha), reverse=True):
        hit = tested & (q <= level) & (z != 0)
        conf = f"{100 * (1 - level):g}%"
        out[hit & (z > 0)] = f"Hot {conf}"
        out[hit & (z < 0)] = f"Cold {conf}"
    return out


def _gi_frame(y: np.ndarray, sw: SpatialWeights, sims: _Sims, opts: _Opts) -> LocalResult:
    n, k = len(y), sims.k
    tested = k > 0
    local_sum = y + sims.observed
    g = local_sum / ((k + 1) * y.sum())
    wi = k + 1.0
    s = math.sqrt(float(np.var(y)))
    z = (local_sum - y.mean() * wi) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))
    p, q = _p_and_q(sims.n_ge, sims.n_le, tested, opts)
    z = np.where(tested, z, np.nan)
    cls = _gi_classes(z, q, tested, opts.alpha)
    frame = pd.DataFrame({"gi_g": np.where(tested, g, np.nan), "gi_z": z, "gi_p": p, "gi_q": q,
                          "gi_class": cls}, index=sw.ids)
    sig = tested & (q <= opts.alpha)
    definition = ("G*_i = sum_j w_ij y_j / sum_j y_j with the area itself included and "
                  "row-standardised weights (Getis & Ord 1992); gi_z is Ord & Getis (1995)'s "
                  "z, which does not depend on the standardisation; classes from gi_q at "
                  f"levels {_gi_levels(opts.alpha)}, sign from gi_z")
    return LocalResult(frame, _local_params("Getis-Ord Gi*", definition, sw, opts, tested, sig))


def _lisa_frame(x: np.ndarray, y: np.ndarray, sw: SpatialWeights, sims: _Sims, opts: _Opts,
                prefix: str, statistic: str, definition: str) -> LocalResult:
    """Local Moran of focal ``x`` against the lag of ``y`` (univariate when x is y)."""
    n, k = len(x), sims.k
    tested = k > 0
    zx = (x - x.mean()) / x.std()
    zy = (y - y.mean()) / y.std()
    lag = sw.row_standardised() @ zy
    value = (n - 1) * zx * lag / (zx @ zx)
    # the simulated statistic is zx_i times a rising function of the neighbour sum
    up, down = zx > 0, zx < 0
    full = np.full(n, opts.permutations)  # zx_i = 0: the statistic is 0 in every draw
    n_ge = np.where(up, sims.n_ge, np.where(down, sims.n_le, full))
    n_le = np.where(up, sims.n_le, np.where(down, sims.n_ge, full))
    p, q = _p_and_q(n_ge, n_le, tested, opts)
    sig = tested & (q <= opts.alpha)
    quad = np.array([QUADRANTS[(bool(a), bool(b))] for a, b in zip(up, lag > 0, strict=True)],
                    dtype=object)
    quad = np.where(sig, quad, "ns")
    quad = np.where(tested, quad, NO_NEIGHBOURS)
    frame = pd.DataFrame({f"{prefix}_i": np.where(tested, value, np.nan),
                          f"{prefix}_quadrant": quad, f"{prefix}_p": p, f"{prefix}_q": q},
                         index=sw.ids)
    return LocalResult(frame, _local_params(statistic, definition, sw, opts, tested, sig))


_LISA_DEF = ("I_i = (n - 1) z_i sum_j w_ij z_j / sum_j z_j**2, z standardised, row-standardised "
             "weights (Anselin 1995; = esda Moran_Local = GeoDa); quadrant HH/LL/HL/LH from the "
             "signs of z_i and its lag where q <= alpha, else 'ns'")
_BV_DEF = ("I_i = (n - 1) zx_i sum_j w_ij zy_j / sum_j zx_j**2: the measure x here against the "
           "lag of y around (Anselin, Syabri & Smirnov 2002; = esda Moran_Local_BV = GeoDa); "
           "quadrant from the signs of zx_i and the lag of zy where q <= alpha, else 'ns'")


def local_gi_star(
    values: pd.Series | np.ndarray,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
    correction: Correction = "fdr",
    alpha: float = 0.05,
) -> LocalResult:
    """Getis-Ord Gi* hot and cold spots, with permutation p-values and FDR control.

    Parameters
    ----------
    values
        One value >= 0 per area (count or rate): a Series indexed by
        ``area_code`` or an array in ``sw.ids`` order; no missing values.
    sw
        Weights from :func:`hotspots.weights.build_weights`; the area itself is
        added with weight 1 and rows are standardised.
    permutations
        Conditional permutations for the pseudo p-value (999 for published work).
    seed
        Seed of the permutations (required).
    alternative
        ``"two-sided"`` (hot or cold), ``"greater"`` or ``"lesser"``.
    correction
        Multiple-testing correction applied before any label: ``"fdr"``
        (Benjamini-Hochberg), ``"bonferroni"`` or ``"none"``.
    alpha
        Largest ``gi_q`` counted as significant in the summary. Classes always use
        the levels 0.01, 0.05 and 0.10 on ``gi_q`` ("Hot 99%", "Hot 95%",
        "Hot 90%", "Not significant", "Cold 90%", ...), plus ``alpha`` itself
        when it is another level.

    Returns
    -------
    LocalResult
        ``frame`` indexed by ``area_code``: ``gi_g`` (the G* ratio), ``gi_z``,
        ``gi_p``, ``gi_q``, ``gi_class`` ("No neighbours" and NaN for islands
        left without neighbours); ``params``.

    Raises
    ------
    InputDataError
        Values misaligned, missing, negative or constant.
    ValueError
        Bad options.

    Notes
    -----
    ``G*_i = sum_j w_ij y_j / sum_j y_j`` (Getis & Ord 1992), ``j`` including
    ``i``. ``gi_z = (sum_j w_ij y_j - ybar W_i) / (s sqrt((n S1_i - W_i**2) /
    (n - 1)))`` with binary weights (Ord & Getis 1995), equal to
    ``esda.G_Local(..., star=True, transform="B").Zs``. (esda's ``transform="R"``
    z uses the row sum 1 as the number of neighbours and is smaller by about
    ``sqrt(k + 1)``; the standardised z does not depend on the transform.)
    ``gi_p`` comes from conditional randomisation: it equals the LISA p-value of
    the same variable with the same seed, since both statistics rise with the
    neighbours' sum. Resolution: the smallest two-sided p is ``2 / (permutations
    + 1)``, so after Benjamini-Hochberg over *m* areas the 99% class needs at
    least ``200 m / (permutations + 1)`` areas at that floor; use 9999
    permutations when the 99% class matters on a large layer.
    """
    opts = _options(permutations, seed, alternative, correction, alpha)
    y = _aligned(values, sw, "values")
    _check_varies(y, "values")
    _check_non_negative(y, sw, "values")
    return _gi_frame(y, sw, _simulate(y, sw, opts), opts)


def local_moran(
    values: pd.Series | np.ndarray,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
    correction: Correction = "fdr",
    alpha: float = 0.05,
) -> LocalResult:
    """Local Moran's I (LISA) with quadrants shown only where significant after correction.

    Parameters
    ----------
    values
        One value per area (Series indexed by ``area_code`` or array in
        ``sw.ids`` order); no missing values.
    sw
        Weights from :func:`hotspots.weights.build_weights` (row-standardised here).
    permutations, seed, alternative, correction, alpha
        As :func:`local_gi_star`.

    Returns
    -------
    LocalResult
        ``frame`` indexed by ``area_code``: ``lisa_i``, ``lisa_quadrant`` (HH, LL,
        HL, LH where ``lisa_q <= alpha``, else ``"ns"``; ``"no neighbours"`` for
        islands left alone), ``lisa_p``, ``lisa_q``; ``params``.

    Raises
    ------
    InputDataError
        Values misaligned, missing or constant.
    ValueError
        Bad options.

    Notes
    -----
    Anselin, L. (1995), Local indicators of spatial association -- LISA,
    *Geographical Analysis* 27, 93-115. ``lisa_i`` equals ``esda.Moran_Local().Is``
    and GeoDa's local Moran; the global I is ``sum(lisa_i) / (n - 1)``.
    """
    opts = _options(permutations, seed, alternative, correction, alpha)
    y = _aligned(values, sw, "values")
    _check_varies(y, "values")
    return _lisa_frame(y, y, sw, _simulate(y, sw, opts), opts, "lisa", "local Moran (LISA)",
                       _LISA_DEF)


def bivariate_local_moran(
    x: pd.Series | np.ndarray,
    y: pd.Series | np.ndarray,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
    correction: Correction = "fdr",
    alpha: float = 0.05,
) -> LocalResult:
    """Bivariate local Moran: the measure ``x`` in an area against ``y`` around it.

    Parameters
    ----------
    x
        Focal variable (e.g. the crime measure), aligned like ``values`` of
        :func:`local_moran`.
    y
        Variable whose spatial lag is used (e.g. IMD score), same alignment.
    sw
        Weights from :func:`hotspots.weights.build_weights`.
    permutations, seed, alternative, correction, alpha
        As :func:`local_gi_star`; the permutations shuffle ``y`` around a fixed ``x_i``.

    Returns
    -------
    LocalResult
        ``frame`` indexed by ``area_code``: ``bv_i``, ``bv_quadrant`` (first letter
        ``x`` here, second ``y`` around; ``"ns"`` where not significant), ``bv_p``,
        ``bv_q``; ``params``.

    Raises
    ------
    InputDataError
        Either variable misaligned, missing or constant.
    ValueError
        Bad options.

    Notes
    -----
    Anselin, L., Syabri, I. & Smirnov, O. (2002), Visualizing multivariate spatial
    correlation with dynamically linked windows. ``bv_i`` equals
    ``esda.Moran_Local_BV(x, y, w).Is`` and GeoDa's bivariate local Moran. It
    relates ``x`` to *neighbouring* ``y``; for same-area association use
    :func:`spearman`.
    """
    opts = _options(permutations, seed, alternative, correction, alpha)
    xv = _aligned(x, sw, "x")
    yv = _aligned(y, sw, "y")
    _check_varies(xv, "x")
    _check_varies(yv, "y")
    return _lisa_frame(xv, yv, sw, _simulate(yv, sw, opts), opts, "bv", "bivariate local Moran",
                       _BV_DEF)


def bivariate_classes(x: pd.Series | np.ndarray, y: pd.Series | np.ndarray) -> pd.DataFrame:
    """Nine classes for a bivariate choropleth: terciles of ``x`` crossed with terciles of ``y``.

    Parameters
    ----------
    x, y
        Aligned numbers (Series with the same index, or arrays of equal length);
        NaN gives ``<NA>`` / ``"no data"``.

    Returns
    -------
    DataFrame
        Index of ``x`` (or a RangeIndex): ``bv_class`` (Int64, 1..9 =
        ``3 * (x tercile - 1) + y tercile``, so 1 = low-low, 3 = low x / high y,
        7 = high x / low y, 9 = high-high) and ``bv_class_label``
        (``"<x tercile>-<y tercile>"``, e.g. ``"high-medium"``).

    Raises
    ------
    InputDataError
        ``x`` and ``y`` not aligned.

    Notes
    -----
    Tercile cut points are :func:`numpy.quantile` at 1/3 and 2/3 of the values
    present; a value equal to a cut point goes to the lower class (as
    mapclassify's quantiles), so many ties (e.g. zero counts) can make the
    lowest class larger than a third.

    Examples
    --------
    >>> bivariate_classes(np.arange(6.0), np.arange(6.0)[::-1])["bv_class_label"].tolist()
    ['low-high', 'low-high', 'medium-medium', 'medium-medium', 'high-low', 'high-low']
    """
    if isinstance(x, pd.Series) and isinstance(y, pd.Series) and not x.index.equals(y.index):
        raise InputDataError("x and y have different indexes: align them first "
                             "(e.g. y.reindex(x.index)).")
    xs = pd.to_numeric(pd.Series(np.asarray(x)), errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(pd.Series(np.asarray(y)), errors="coerce").to_numpy(dtype=float)
    if len(xs) != len(ys):
        raise InputDataError(f"x has {len(xs)} values and y {len(ys)}: give one of each per "
                             "area.")
    index = x.index if isinstance(x, pd.Series) else pd.RangeIndex(len(xs))
    ok = ~np.isnan(xs) & ~np.isnan(ys)
    tx, ty = _terciles(xs, ok), _terciles(ys, ok)
    cls = pd.array(np.where(ok, 3 * (tx - 1) + ty, 0), dtype="Int64")
    cls[~ok] = pd.NA
    words = np.array(TERCILE_WORDS, dtype=object)
    label = np.where(ok, words[np.clip(tx, 1, 3) - 1] + "-" + words[np.clip(ty, 1, 3) - 1],
                     NO_DATA)
    return pd.DataFrame({"bv_class": cls, "bv_class_label": label}, index=index)


def _terciles(v: np.ndarray, ok: np.ndarray) -> np.ndarray:
    if not ok.any():
        return np.zeros(len(v), dtype=np.int64)
    lo, hi = np.quantile(v[ok], [1 / 3, 2 / 3])
    return 1 + (v > lo).astype(np.int64) + (v > hi).astype(np.int64)


# --------------------------------------------------------------------------- table




def _table_weights(areas: gpd.GeoDataFrame, weights: SpatialWeights | str, *, k: int,
                   threshold: float | None, island_fallback: str) -> SpatialWeights:
    if isinstance(weights, SpatialWeights):
        codes = pd.Index(areas["area_code"].astype(str))
        if not codes.sort_values().equals(weights.ids.sort_values()):
            raise InputDataError(
                "weights= was built on another layer: its areas differ from the frame's "
                f"({weights.n} vs {len(codes)} areas). Build it with "
                "build_weights(areas_with_values) or pass weights='queen'."
            )
        return weights
    return build_weights(areas, kind=weights, k=k,  # type: ignore[arg-type]
                         threshold=threshold, island_fallback=island_fallback)  # type: ignore[arg-type]


def _with_data(sw: SpatialWeights, has: pd.Series, what: str, names: pd.Series,
               report: Report, *, mention: pd.Series | None = None) -> SpatialWeights:
    """Weights over the areas with data (rebuilt when some have none), reported.

    ``mention`` marks the areas to name in the report (default: all without data).
    """
    if has.all():
        return sw
    if has.sum() < 3:
        raise InputDataError(
            f"only {int(has.sum())} of {len(has)} areas have a {what}: hotspot statistics "
            "need at least 3. Choose another measure, period or layer."
        )
    missing = has.index[~has if mention is None else mention]
    if not len(missing):
        return subset_weights(sw, has.index[has])
    shown = ", ".join(f"{c} ({names[c]})" for c in missing[:10])
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    report.add("warning", "hotspot_table",
               f"{len(missing)} areas have no {what}: {shown}{more}. They are left out of the "
               f"statistics (shown as '{NO_DATA}', never as zero) and the weights are rebuilt "
               f"on the {int(has.sum())} areas with data",
               "Check the data source covers these areas if they should have a value.")
    sub = subset_weights(sw, has.index[has])
    report.extend(p for p in sub.report if p.severity == "warning")
    return sub


def _numeric_column(areas: pd.DataFrame, col: str | None, role: str) -> pd.Series | None:
    if col is None:
        return None
    if col not in areas.columns:
        raise ColumnMappingError(f"{role}={col!r} is not a column of the frame "
                                 f"(columns: {list(areas.columns)}).")
    out = pd.to_numeric(areas[col], errors="coerce")
    bad = out.isna() & areas[col].notna()
    if bad.any():
        raise InputDataError(f"column {col!r} has values that are not numbers in "
                             f"{int(bad.sum())} rows (e.g. {areas.loc[bad, col].iloc[0]!r}). "
                             "Clean or convert the column first.")
    out.index = pd.Index(areas["area_code"].astype(str), name="area_code")
    return out.astype(float)


def hotspot_table(
    areas_with_values: gpd.GeoDataFrame,
    *,
    value_col: str,
    imd_col: str | None = None,
    population_col: str | None = None,
    weights: SpatialWeights | WeightsKind = "queen",
    k: int = 6,
    threshold: float | None = None,
    island_fallback: Literal["knn1", "none"] = "knn1",
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
    correction: Correction = "fdr",
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every hotspot statistic for one measure, one row per area, plus a parameters dict.

    Parameters
    ----------
    areas_with_values
        Area layer (``area_code``, ``area_name``, geometry; EPSG:27700) with the
        measure and optional IMD and population columns. NaN means no data.
    value_col
        The measure (count or rate, >= 0).
    imd_col
        IMD score column: adds the bivariate LISA (measure here vs IMD around)
        and the 3 x 3 bivariate classes.
    population_col
        Population column: adds the rate-adjusted global Moran with ``value_col``
        as the event count.
    weights
        A kind for :func:`hotspots.weights.build_weights` (``"queen"`` default,
        ``"rook"``, ``"knn"``, ``"distance"``) or ready-built weights for this layer.
    k, threshold, island_fallback
        Options of :func:`hotspots.weights.build_weights` (when ``weights`` is a kind).
    permutations, seed, alternative, correction, alpha
        As :func:`local_gi_star`; the same seed drives every statistic.

    Returns
    -------
    table : DataFrame
        In the frame's order: ``area_code``, ``n_neighbours``, ``weights_fallback``,
        ``gi_g``, ``gi_z``, ``gi_p``, ``gi_q``, ``gi_class``, ``lisa_i``,
        ``lisa_quadrant``, ``lisa_p``, ``lisa_q`` and, with ``imd_col``, ``bv_i``,
        ``bv_quadrant``, ``bv_p``, ``bv_q``, ``bv_class``, ``bv_class_label``.
        Areas without a value get NaN and ``"no data"`` labels. ``n_neighbours`` and
        ``weights_fallback`` describe the weights of Gi* and LISA (the areas with a
        value); the bivariate statistics use the areas with both values.
    params : dict
        JSON-ready: columns used, options, weights parameters, ``global_moran``
        (and ``global_moran_rate``), each local statistic's parameters and counts,
        and ``report`` (plain-words lines: weights, islands, areas without data).

    Raises
    ------
    TypeError
        The frame is not a GeoDataFrame (weights need geometry).
    ColumnMappingError
        A named column is missing.
    InputDataError
        Non-numeric values, negative values (Gi*), a constant measure, or
        ``weights`` built on another layer.
    ValueError
        Bad options.

    Notes
    -----
    No data is never zero: areas with a missing ``value_col`` are left out and
    the weights are rebuilt on the rest (areas that lose every neighbour get the
    island fallback), which the report says; the bivariate statistics use the
    areas with both values. Gi*, LISA and the global I share one seed; Gi* and
    LISA share their permutation draws (and so their p-values).
    """
    opts = _options(permutations, seed, alternative, correction, alpha)
    if not isinstance(areas_with_values, gpd.GeoDataFrame):
        raise TypeError("areas_with_values must be a GeoDataFrame with the area geometry "
                        "(the weights are built from it).")
    if "area_code" not in areas_with_values.columns:
        raise ColumnMappingError("The frame has no 'area_code' column: read the layer with "
                                 "boundaries.load.read_boundaries() or rename the code column.")
    value = _numeric_column(areas_with_values, value_col, "value_col")
    if value is None:  # pragma: no cover -- value_col is a required str
        raise ColumnMappingError("value_col is required.")
    imd = _numeric_column(areas_with_values, imd_col, "imd_col")
    pop = _numeric_column(areas_with_values, population_col, "population_col")
    sw_all = _table_weights(areas_with_values, weights, k=k, threshold=threshold,
                            island_fallback=island_fallback)
    report = Report()
    report.extend(sw_all.report)
    names = pd.Series(sw_all.names.to_numpy(), index=sw_all.ids)
    value = value.reindex(sw_all.ids)
    sw = _with_data(sw_all, value.notna(), value_col, names, report)
    y = value.reindex(sw.ids).to_numpy()
    _check_varies(y, value_col)
    _check_non_negative(y, sw, value_col)
    sims = _simulate(y, sw, opts)
    gi = _gi_frame(y, sw, sims, opts)
    lisa = _lisa_frame(y, y, sw, sims, opts, "lisa", "local Moran (LISA)", _LISA_DEF)
    params: dict[str, Any] = {
        "value_col": value_col, "imd_col": imd_col, "population_col": population_col,
        **opts.params(), "weights": jsonable(sw.params), "n_areas": int(sw_all.n),
        "n_with_data": int(sw.n), "no_data": sw_all.ids.difference(sw.ids).tolist(),
        "global_moran": _moran(y, sw, opts, "Moran's I", {}).to_dict(),
        "gi_star": _local_summary(gi), "lisa": _local_summary(lisa),
    }
    parts = [gi.frame, lisa.frame]
    if pop is not None:
        params["global_moran_rate"] = _table_rate(value, pop.reindex(sw_all.ids), sw_all, names,
                                                  opts, report)
    if imd is not None:
        bv_parts, params["bivariate"] = _table_bivariate(value, imd.reindex(sw_all.ids), sw_all,
                                                         names, opts, report)
        parts.extend(bv_parts)
    params["report"] = [p.to_text() for p in report]
    return _assemble(areas_with_values, sw, parts), params


def _local_summary(res: LocalResult) -> dict[str, Any]:
    return {k: v for k, v in jsonable(res.params).items() if k in (
        "statistic", "definition", "n_tested", "n_significant")}


def _table_rate(value: pd.Series, pop: pd.Series, sw_all: SpatialWeights, names: pd.Series,
                opts: _Opts, report: Report) -> dict[str, Any]:
    has = value.notna() & (pop > 0)
    sw = _with_data(sw_all, has, "positive population (rate-adjusted Moran)", names, report,
                    mention=value.notna() & ~has)
    e = value.reindex(sw.ids).to_numpy()
    b = pop.reindex(sw.ids).to_numpy()
    return global_moran_rate(e, b, sw, permutations=opts.permutations, seed=opts.seed,
                             alternative=opts.alternative).to_dict()  # type: ignore[arg-type]


def _table_bivariate(value: pd.Series, imd: pd.Series, sw_all: SpatialWeights,
                     names: pd.Series, opts: _Opts,
                     report: Report) -> tuple[list[pd.DataFrame], dict[str, Any]]:
    has = value.notna() & imd.notna()
    sw = _with_data(sw_all, has, "IMD score", names, report, mention=value.notna() & ~has)
    x = value.reindex(sw.ids).to_numpy()
    yv = imd.reindex(sw.ids).to_numpy()
    _check_varies(yv, "IMD score")
    bv = _lisa_frame(x, yv, sw, _simulate(yv, sw, opts), opts, "bv", "bivariate local Moran",
                     _BV_DEF)
    classes = bivariate_classes(value.reindex(sw.ids), imd.reindex(sw.ids))
    return [bv.frame, classes], {**_local_summary(bv), "x": "value", "y": "imd",
                                 "n": int(sw.n)}


def _assemble(areas: pd.DataFrame, sw: SpatialWeights, parts: list[pd.DataFrame]) -> pd.DataFrame:
    codes = pd.Index(areas["area_code"].astype(str), name="area_code")
    out = pd.DataFrame(index=codes)
    out["n_neighbours"] = sw.n_neighbours.reindex(codes).astype("Int64")
    out["weights_fallback"] = sw.fallback.reindex(codes).fillna(NO_DATA)
    for part in parts:
        out = out.join(part, how="left")
    for col in out.columns:
        if col in ("gi_class",):
            out[col] = out[col].fillna(NO_DATA.capitalize())
        elif col.endswith(("_quadrant", "_label")):
            out[col] = out[col].fillna(NO_DATA)
    return out.reset_index()
