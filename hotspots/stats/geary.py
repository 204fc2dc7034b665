"""Global Geary's C: spatial autocorrelation from the differences between neighbours.

Moran's I asks whether neighbours deviate from the mean *together*; Geary's C
asks how much neighbours *differ*: ``C`` is 1 without spatial autocorrelation,
below 1 when neighbouring wards have similar values (clustering) and above 1
when they differ (dispersion). It is more sensitive than Moran's I to local
differences, so the two are read side by side.

Computed in numpy on the project's row-standardised weights, as
``esda.Geary`` (default ``transformation="r"``): the statistic, its moments
under normality and randomisation (Cliff & Ord 1981) and z agree to 1e-12.
Permutation inference is total randomisation with the draws every global
statistic shares (:func:`hotspots.stats.permutation.permuted_blocks`: Moran's I
and Geary's C of one seed see the same permuted maps), and the pseudo p-value
of :data:`hotspots.stats.permutation.ALTERNATIVES` (esda's own draws come from
numpy's global random state and its p is one-tailed, so only the distribution
can be compared).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from hotspots.stats import permutation as _perm
from hotspots.stats.inputs import _varying
from hotspots.stats.significance import (
    Alternative,
    _global_params,
    _GlobalResult,
    _normal_p,
    _options,
)
from hotspots.stats.weights import SpatialWeights, weight_moments

__all__ = ["GearyResult", "global_geary", "permuted_geary"]


@dataclass(frozen=True)
class GearyResult(_GlobalResult):
    """Global Geary's C with normal, randomisation and permutation inference.

    Attributes
    ----------
    C
        Geary's C (row-standardised weights).
    EC
        Expected C without spatial autocorrelation: 1.
    z_norm, p_norm
        z and p under the normality assumption (Cliff & Ord 1981).
    z_rand, p_rand
        z and p under the randomisation assumption (uses the kurtosis).
    z_sim, p_sim
        z against the permutation distribution and the pseudo p-value.
    EC_sim, se_sim
        Mean and standard deviation of C over the permutations.
    n
        Number of areas.
    params
        Everything that made the result (statistic, weights, permutations,
        seed, alternative, p-value formula).

    Notes
    -----
    ``alternative`` is on C itself: ``"greater"`` tests C above 1 (neighbours
    differ), ``"lesser"`` C below 1 (neighbours alike: clustering).
    """

    C: float
    EC: float
    z_norm: float
    z_rand: float
    z_sim: float
    p_norm: float
    p_rand: float
    p_sim: float
    EC_sim: float
    se_sim: float
    n: int
    params: Mapping[str, Any] = field(compare=False)

    @property
    def text(self) -> str:
        """One plain-words sentence."""
        return (f"Geary's C = {self.C:.3f} (1 without clustering, below 1 when neighbours are "
                f"alike; permutation z = {self.z_sim:.2f}, pseudo p = {self.p_sim:.3g}, "
                f"{self.params.get('permutations')} permutations, n = {self.n}).")


def _squared_differences(values: np.ndarray, w: sparse.csr_array) -> np.ndarray:
    """``sum_ij w_ij (y_i - y_j)**2`` of each row of ``values`` (``(m, n)`` or ``(n,)``).

    Expanded as ``sum_i y_i**2 (r_i + c_i) - 2 y.(W y)`` (``r``, ``c``: row and
    column sums of ``w``) on values centred by their mean (a shift leaves every
    difference unchanged and keeps the expansion free of cancellation): one sparse
    product per block instead of a gather of every pair (about 15x faster for
    9,999 permutations of 700 wards).
    """
    y = np.atleast_2d(values)
    y = y - y.mean(axis=1, keepdims=True)
    margins = np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()
    cross = np.einsum("ij,ij->i", y, (w @ y.T).T)
    return (y * y) @ margins - 2.0 * cross


def permuted_geary(y: np.ndarray, w: sparse.csr_array, permutations: int,
                   seed: int) -> np.ndarray:
    """Geary's C of ``permutations`` random permutations of ``y`` (total randomisation).

    Parameters
    ----------
    y
        Values, one per area.
    w
        Row-standardised weights (CSR).
    permutations
        Number of permutations.
    seed
        Seed of :func:`hotspots.stats.permutation.permuted_blocks` (the draws of
        every global statistic with this seed).

    Returns
    -------
    ndarray
        ``(permutations,)`` simulated C.
    """
    n = len(y)
    den = 2.0 * float(w.sum()) * float(((y - y.mean()) ** 2).sum())
    out = [(n - 1) * _squared_differences(block, w) / den
           for block in _perm.permuted_blocks(y, permutations, seed)]
    return np.concatenate(out) if out else np.empty(0)


def global_geary(
    values: pd.Series | np.ndarray,
    sw: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alternative: Alternative = "two-sided",
) -> GearyResult:
    """Global Geary's C of a measure, with normal, randomisation and permutation inference.

    Parameters
    ----------
    values, sw, permutations, seed
        As :func:`~hotspots.stats.autocorrelation.global_moran` (one number per
        area; weights row-standardised here; the same seed gives the same
        permuted maps as Moran's I).
    alternative
        ``"two-sided"``, ``"greater"`` (C above 1: neighbours differ) or
        ``"lesser"`` (C below 1: neighbours alike); applies to ``p_sim``,
        ``p_norm`` and ``p_rand``.

    Returns
    -------
    GearyResult
        ``C``, ``EC`` (1), ``z_norm``/``z_rand``/``z_sim``, ``p_norm``/``p_rand``/
        ``p_sim``, ``EC_sim``, ``se_sim``, ``n`` and ``params``.

    Raises
    ------
    InputDataError, ValueError
        As :func:`~hotspots.stats.autocorrelation.global_moran`.

    Notes
    -----
    ``C = (n - 1) sum_ij w_ij (y_i - y_j)**2 / (2 S0 sum_i (y_i - ybar)**2)``
    (Geary 1954). Variances from Cliff & Ord (1981), as ``esda.Geary``:
    ``VC_norm = ((2 S1 + S2)(n - 1) - 4 S0**2) / (2 (n + 1) S0**2)`` and the
    randomisation variance with the sample kurtosis. esda's ``p_norm`` and
    ``p_rand`` are one-tailed in the direction of ``C - 1``: they equal
    ``p_norm`` here with ``alternative="lesser"`` when C < 1 (``"greater"``
    when C > 1), and half the two-sided value.

    Examples
    --------
    Four areas in a row, values rising along it: every pair of neighbours
    differs by 1, so ``C = 3 * 4 / (2 * 4 * 5) = 0.3`` (neighbours alike).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hotspots.stats.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"area_code": list("abcd"), "area_name": list("abcd")},
    ...                          geometry=[box(i, 0, i + 1, 1) for i in range(4)],
    ...                          crs="EPSG:27700")
    >>> res = global_geary([1.0, 2.0, 3.0, 4.0], build_weights(cells, kind="rook"), seed=1,
    ...                    permutations=99)
    >>> round(res.C, 12), res.EC
    (0.3, 1.0)
    """
    opts = _options(permutations, seed, alternative)
    y = _varying(values, sw, "values")
    w = sw.row_standardised()
    n = len(y)
    s0, s1, s2 = weight_moments(w)
    yd = y - y.mean()
    yss = float(yd @ yd)
    value = float((n - 1) * _squared_differences(y, w)[0] / (2.0 * s0 * yss))
    n2, s02 = n * n, s0 * s0
    kurt = float((yd**4).sum() / n / ((yd**2).sum() / n) ** 2)
    a = (n - 1) * s1 * (n2 - 3 * n + 3 - (n - 1) * kurt)
    b = 0.25 * (n - 1) * s2 * (n2 + 3 * n - 6 - (n2 - n + 2) * kurt)
    c = s02 * (n2 - 3 - (n - 1) ** 2 * kurt)
    v_rand = (a - b + c) / (n * (n - 2) * (n - 3) * s02)
    v_norm = ((2 * s1 + s2) * (n - 1) - 4 * s02) / (2 * (n + 1) * s02)
    sims = _perm.global_sims(value, permuted_geary(y, w, opts.permutations, opts.seed),
                             opts.permutations, opts.alternative)
    z_norm, z_rand = (value - 1.0) / math.sqrt(v_norm), (value - 1.0) / math.sqrt(v_rand)
    return GearyResult(
        C=value, EC=1.0, z_norm=z_norm, z_rand=z_rand, z_sim=sims.z_sim,
        p_norm=_normal_p(z_norm, opts.alternative), p_rand=_normal_p(z_rand, opts.alternative),
        p_sim=sims.p_sim, EC_sim=sims.mean, se_sim=sims.sd, n=n,
        params=_global_params("Geary's C", sw, opts),
    )
