"""Getis-Ord Gi* hot and cold spots, with permutation p-values and FDR control.

:func:`local_gi_star` classes each area "Hot 99%" ... "Cold 90%" on its q-value
at the levels :data:`GI_LEVELS` (Getis & Ord 1992; Ord & Getis 1995); checked
against esda's ``G_Local`` and GeoDa.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pandas as pd

from hotspots.config import jsonable
from hotspots.stats.inputs import _check_non_negative, _varying
from hotspots.stats.significance import (
    CORRECTION_TEXT,
    Alternative,
    Correction,
    LocalResult,
    _local_params,
    _options,
    _Opts,
    _p_and_q,
    _Sims,
    _simulate,
    adjust_pvalues,
)
from hotspots.stats.tails import normal_cdf, normal_sf
from hotspots.stats.weights import SpatialWeights

__all__ = ["GI_LEVELS", "NORMAL_P_TEXT", "gi_star_normal", "local_gi_star"]

#: Confidence levels of the Gi* classes: a class needs ``gi_q <= level``.
GI_LEVELS: tuple[float, ...] = (0.01, 0.05, 0.10)


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


def _gi_gz(y: np.ndarray, observed: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G*_i and its z (Ord & Getis 1995) from the neighbours' sums, binary weights + self."""
    n = len(y)
    local_sum = y + observed
    g = local_sum / ((k + 1) * y.sum())
    wi = k + 1.0
    s = math.sqrt(float(np.var(y)))
    z = (local_sum - y.mean() * wi) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))
    return g, z


def _gi_frame(y: np.ndarray, sw: SpatialWeights, sims: _Sims, opts: _Opts) -> LocalResult:
    k = sims.k
    tested = k > 0
    g, z = _gi_gz(y, sims.observed, k)
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
        Weights from :func:`hotspots.stats.weights.build_weights`; the area itself is
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
        left without neighbours, where GeoDa reports 0: not tested is not the same
        as no hot spot); ``params``.

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
    y = _varying(values, sw, "values")
    _check_non_negative(y, sw, "values")
    return _gi_frame(y, sw, _simulate(y, sw, opts), opts)


#: The analytical p-value of each alternative, in words.
NORMAL_P_TEXT = MappingProxyType({
    "two-sided": "normal approximation: p = 2 (1 - Phi(|z|))",
    "greater": "normal approximation: p = 1 - Phi(z)",
    "lesser": "normal approximation: p = Phi(z)",
})


def _normal_tail(z: np.ndarray, alternative: str) -> np.ndarray:
    if alternative == "two-sided":
        return 2.0 * normal_sf(np.abs(z))
    return normal_sf(z) if alternative == "greater" else normal_cdf(z)


def gi_star_normal(
    values: pd.Series | np.ndarray,
    sw: SpatialWeights,
    *,
    alternative: Alternative = "two-sided",
    correction: Correction = "fdr",
    alpha: float = 0.05,
) -> LocalResult:
    """Getis-Ord Gi* with analytical p-values from the standard normal, and FDR control.

    The z of :func:`local_gi_star` (Ord & Getis 1995), with its p-value taken
    from the normal distribution instead of permutations: what ArcGIS's Hot Spot
    Analysis (Getis-Ord Gi*) and R's ``spdep::localG`` / sfhotspot's
    ``hotspot_gistar`` report. Its smallest p is not bounded by a number of
    permutations, so after a correction over many areas (e.g. ~160 grid cells)
    it can still find significant cells.

    Parameters
    ----------
    values
        One value >= 0 per area, as :func:`local_gi_star`.
    sw
        Weights from :func:`hotspots.stats.weights.build_weights` (the area itself
        is added with weight 1).
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"lesser"``.
    correction
        ``"fdr"`` (Benjamini-Hochberg, default), ``"bonferroni"`` or ``"none"``,
        over the areas with neighbours.
    alpha
        Largest ``gi_q`` counted as significant (classes as :func:`local_gi_star`).

    Returns
    -------
    LocalResult
        ``gi_g``, ``gi_z``, ``gi_p``, ``gi_q``, ``gi_class`` as
        :func:`local_gi_star` (NaN and "No neighbours" for areas without
        neighbours: such an area has no local statistic at all, which a 0
        would hide; GeoDa reports 0 there); ``params`` name the p-value.

    Notes
    -----
    Two-sided ``p = 2 (1 - Phi(|z|))``, twice esda's ``G_Local(...).p_norm``
    (the tail beyond ``|z|``). The normal approximation assumes roughly normal
    values; street counts (many zeros, a few busy points) are skewed, so these
    p-values are approximate and can be smaller than a permutation test's. Which
    one chose the cells must be said wherever they are shown.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hotspots.stats.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"area_code": list("abcd")}, crs="EPSG:27700",
    ...                          geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> r = gi_star_normal(pd.Series([9.0, 5, 1, 0], index=list("abcd")),
    ...                    build_weights(cells, kind="rook"), correction="none")
    >>> r.frame["gi_z"].round(3).tolist()
    [1.58, 1.053, -1.474, -1.58]
    """
    opts = _options(1, 0, alternative, correction, alpha)
    y = _varying(values, sw, "values")
    _check_non_negative(y, sw, "values")
    a = sw.adjacency
    k = np.diff(a.indptr).astype(np.int64)
    tested = k > 0
    g, z = _gi_gz(y, a @ y, k)
    z = np.where(tested, z, np.nan)
    p = np.where(tested, _normal_tail(np.nan_to_num(z), opts.alternative), np.nan)
    q = adjust_pvalues(p, method=opts.correction)  # type: ignore[arg-type]
    cls = _gi_classes(z, q, tested, opts.alpha)
    frame = pd.DataFrame({"gi_g": np.where(tested, g, np.nan), "gi_z": z, "gi_p": p,
                          "gi_q": q, "gi_class": cls}, index=sw.ids)
    sig = tested & (q <= opts.alpha)
    return LocalResult(frame, MappingProxyType({
        "statistic": "Getis-Ord Gi*",
        "definition": "Ord & Getis (1995) z of G*_i with binary weights and the area itself "
                      "included; p from the standard normal distribution (as ArcGIS Hot Spot "
                      "Analysis and spdep::localG)",
        "weights": jsonable(sw.params), "inference": "normal approximation",
        "alternative": opts.alternative, "p_value": NORMAL_P_TEXT[opts.alternative],
        "correction": opts.correction, "correction_text": CORRECTION_TEXT[opts.correction],
        "alpha": opts.alpha, "n_areas": int(sw.n), "n_tested": int(tested.sum()),
        "n_significant": int(sig.sum()),
    }))
