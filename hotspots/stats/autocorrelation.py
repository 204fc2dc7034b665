"""Spatial autocorrelation: global and local Moran's I, and the bivariate LISA.

- Global Moran's I (:func:`global_moran`) and its rate-adjusted form for counts
  over populations (:func:`global_moran_rate`, Assuncao & Reis 1999), both as
  :class:`MoranResult`.
- Local Moran / LISA (:func:`local_moran`) and the bivariate LISA of a measure
  against IMD around it (:func:`bivariate_local_moran`), quadrants shown only
  where significant after correction; :func:`bivariate_classes` gives the nine
  classes of a bivariate choropleth.

The statistics are computed in numpy (formulas as esda's, checked against esda
to 1e-12 and against GeoDa's engine through pygeoda); permutation inference
uses :mod:`hotspots.stats.permutation`, which needs no numba compilation, so a
cold start costs no JIT time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hotspots._errors import InputDataError
from hotspots.stats import permutation as _perm
from hotspots.stats.inputs import _aligned, _check_varies, _varying
from hotspots.stats.significance import (
    NO_DATA,
    NO_NEIGHBOURS,
    Alternative,
    Correction,
    LocalResult,
    _global_params,
    _GlobalResult,
    _local_params,
    _normal_p,
    _options,
    _Opts,
    _p_and_q,
    _Sims,
    _simulate,
)
from hotspots.stats.weights import SpatialWeights, weight_moments

__all__ = [
    "QUADRANTS",
    "TERCILE_WORDS",
    "MoranResult",
    "bivariate_classes",
    "bivariate_local_moran",
    "global_moran",
    "global_moran_rate",
    "local_moran",
]

#: LISA quadrant codes: (focal value high?, neighbours' lag high?) -> label.
QUADRANTS: Mapping[tuple[bool, bool], str] = MappingProxyType(
    {(True, True): "HH", (False, False): "LL", (True, False): "HL", (False, True): "LH"}
)

#: Words for the terciles of :func:`bivariate_classes`.
TERCILE_WORDS: tuple[str, str, str] = ("low", "medium", "high")


@dataclass(frozen=True)
class MoranResult(_GlobalResult):
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

    @property
    def text(self) -> str:
        """One plain-words sentence."""
        return (f"Moran's I = {self.I:.3f} (expected {self.EI:.3f} without clustering; "
                f"permutation z = {self.z_sim:.2f}, pseudo p = {self.p_sim:.3g}, "
                f"{self.params.get('permutations')} permutations, n = {self.n}).")


# --------------------------------------------------------------------------- global


def _moran(y: np.ndarray, sw: SpatialWeights, opts: _Opts, statistic: str,
           extra: Mapping[str, Any]) -> MoranResult:
    """Moran's I, its moments (Cliff & Ord) and permutation inference."""
    w = sw.row_standardised()
    n = len(y)
    z = y - y.mean()
    s0, s1, s2 = weight_moments(w)
    value = n / s0 * float(z @ (w @ z)) / float(z @ z)
    ei = -1.0 / (n - 1)
    n2, s02 = n * n, s0 * s0
    v_norm = (n2 * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - ei**2
    kurt = (z**4).sum() / n / ((z**2).sum() / n) ** 2
    a = n * ((n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    b = kurt * ((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    v_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s02) - ei**2
    sims = _perm.global_sims(value, _perm.permuted_global_moran(z, w, opts.permutations,
                                                                 opts.seed),
                             opts.permutations, opts.alternative)
    z_norm, z_rand = (value - ei) / math.sqrt(v_norm), (value - ei) / math.sqrt(v_rand)
    return MoranResult(
        I=value, EI=ei, z_norm=z_norm, z_rand=z_rand, z_sim=sims.z_sim,
        p_norm=_normal_p(z_norm, opts.alternative), p_rand=_normal_p(z_rand, opts.alternative),
        p_sim=sims.p_sim, EI_sim=sims.mean, se_sim=sims.sd, n=n,
        params=_global_params(statistic, sw, opts, extra),
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
        Weights from :func:`hotspots.stats.weights.build_weights` (row-standardised here).
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
    y = _varying(values, sw, "values")
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
        Weights from :func:`hotspots.stats.weights.build_weights`.
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
        Weights from :func:`hotspots.stats.weights.build_weights` (row-standardised here).
    permutations, seed, alternative, correction, alpha
        As :func:`~hotspots.stats.getis.local_gi_star`.

    Returns
    -------
    LocalResult
        ``frame`` indexed by ``area_code``: ``lisa_i``, ``lisa_quadrant`` (HH, LL,
        HL, LH where ``lisa_q <= alpha``, else ``"ns"``; ``"no neighbours"`` for
        islands left alone), ``lisa_p``, ``lisa_q``; ``params``. An island left
        without neighbours (``island_fallback="none"``) gets NaN statistics, where
        GeoDa reports 0: it was not tested, and a 0 would read as "tested, no local
        association" (the default fallback links each island to its nearest area,
        so none is left).

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
    y = _varying(values, sw, "values")
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
        Weights from :func:`hotspots.stats.weights.build_weights`.
    permutations, seed, alternative, correction, alpha
        As :func:`~hotspots.stats.getis.local_gi_star`; the permutations shuffle ``y``
        around a fixed ``x_i``.

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
    :func:`~hotspots.stats.ranking.spearman`.
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
