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
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from hotspots.config import jsonable
from hotspots.stats import permutation as _perm
from hotspots.stats.inputs import _aligned, _check_varies
from hotspots.stats.significance import Alternative, _normal_p, _options
from hotspots.stats.weights import SpatialWeights

__all__ = ["GearyResult", "global_geary", "permuted_geary"]


@dataclass(frozen=True)
class GearyResult:
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

    def to_dict(self) -> dict[str, Any]:
        """Return the numbers and parameters as plain JSON-ready Python objects."""
        out: dict[str, Any] = {k: getattr(self, k) for k in (
            "C", "EC", "z_norm", "z_rand", "z_sim", "p_norm", "p_rand", "p_sim", "EC_sim",
            "se_sim", "n")}
        out["params"] = jsonable(self.params)
        return out

    @property
    def text(self) -> str:
        """One plain-words sentence."""
        return (f"Geary's C = {self.C:.3f} (1 without clustering, below 1 when neighbours are "
                f"alike; permutation z = {self.z_sim:.2f}, pseudo p = {self.p_sim:.3g}, "
                f"{self.params.get('permutations')} permutations, n = {self.n}).")


def _squared_differences(values: np.ndarray, w: sparse.csr_array) -> np.ndarray:
    """``sum_ij w_ij (y_i - y_j)**2`` of each row of ``values`` (``(m, n)`` or ``(n,)``)."""
    coo = w.tocoo()
    y = np.atleast_2d(values)
    return ((y[:, coo.row] - y[:, coo.col]) ** 2) @ coo.data


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
    InputDataError
        Values not aligned with the weights, missing, infinite or constant.
    ValueError
        Bad ``permutations``, ``seed`` or ``alternative``.

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
    y = _aligned(values, sw, "values")
    _check_varies(y, "values")
    w = sw.row_standardised()
    n = len(y)
    s0 = float(w.sum())
    wt = w.T.tocsr()
    s1 = 0.5 * float(((w + wt) ** 2).sum())
    s2 = float(((np.asarray(w.sum(axis=1)) + np.asarray(wt.sum(axis=1))) ** 2).sum())
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
    sims = permuted_geary(y, w, opts.permutations, opts.seed)
    tol = 1e-12 * max(1.0, abs(value))
    p_sim = float(_perm.pseudo_p(np.array([(sims >= value - tol).sum()]),
                                 np.array([(sims <= value + tol).sum()]),
                                 opts.permutations, opts.alternative)[0])
    ec_sim, se_sim = float(sims.mean()), float(sims.std())
    z_norm, z_rand = (value - 1.0) / math.sqrt(v_norm), (value - 1.0) / math.sqrt(v_rand)
    params = {"statistic": "Geary's C", "weights": jsonable(sw.params),
              **{k: v for k, v in opts.params().items() if not k.startswith(("correction",
                                                                               "alpha"))},
              "p_norm": "normal approximation, " + opts.alternative}
    return GearyResult(
        C=value, EC=1.0, z_norm=z_norm, z_rand=z_rand,
        z_sim=(value - ec_sim) / se_sim if se_sim > 0 else float("nan"),
        p_norm=_normal_p(z_norm, opts.alternative), p_rand=_normal_p(z_rand, opts.alternative),
        p_sim=p_sim, EC_sim=ec_sim, se_sim=se_sim, n=n, params=MappingProxyType(params),
    )
