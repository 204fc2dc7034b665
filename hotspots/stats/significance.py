"""Inference shared by every hotspot statistic: options, permutations, p-values, corrections.

Conventions of the hotspot statistics (:mod:`hotspots.stats.getis`,
:mod:`hotspots.stats.autocorrelation`, :mod:`hotspots.stats.table`):

- values are aligned with the weights' ids (a Series indexed by area_code in any
  order, or an array in the weights' order); missing values are refused
  (:mod:`hotspots.stats.inputs`; hotspot_table drops areas without data and
  rebuilds the weights for the rest);
- weights are the binary links of :mod:`hotspots.stats.weights`, row-standardised
  (Gi*: with the area itself included, weight 1 before standardising);
- permutation inference is conditional randomisation
  (:mod:`hotspots.stats.permutation`), independent draws for every area; the same
  seed gives the same draws, so Gi* and LISA on one variable share them (and their
  p-values);
- p-values are adjusted over the areas tested (islands without neighbours are not
  tested) before any label (:func:`adjust_pvalues`, :data:`CORRECTIONS`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from hotspots.config import jsonable
from hotspots.stats import permutation as _perm
from hotspots.stats.tails import fdr_bh, normal_cdf, normal_sf
from hotspots.stats.weights import SpatialWeights

__all__ = [
    "CORRECTIONS",
    "CORRECTION_TEXT",
    "NO_DATA",
    "NO_NEIGHBOURS",
    "Alternative",
    "Correction",
    "LocalResult",
    "adjust_pvalues",
]

#: Tail of a test (``alternative=``); see :data:`hotspots.stats.permutation.ALTERNATIVES`.
Alternative = Literal["two-sided", "greater", "lesser"]
#: Multiple-testing correction (``correction=``); see :data:`CORRECTIONS`.
Correction = Literal["fdr", "bonferroni", "none"]

#: Label of an area without a value: left out, never treated as zero.
NO_DATA = "no data"
#: Label of an area left without neighbours (not tested).
NO_NEIGHBOURS = "no neighbours"


def _fdr(p: np.ndarray) -> np.ndarray:
    return fdr_bh(p)


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, p * len(p))


def _unadjusted(p: np.ndarray) -> np.ndarray:
    return p.astype(float, copy=True)


#: Multiple-testing corrections (``correction=`` / ``method=``), each taking the
#: p-values of one family (no NaN) and returning adjusted ones (q-values).
CORRECTIONS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = MappingProxyType(
    {"fdr": _fdr, "bonferroni": _bonferroni, "none": _unadjusted}
)

#: Each correction in words, for the parameters of every result.
CORRECTION_TEXT: Mapping[str, str] = MappingProxyType({
    "fdr": "Benjamini-Hochberg false discovery rate (scipy.stats.false_discovery_control)",
    "bonferroni": "Bonferroni: min(1, p * number of areas tested)",
    "none": "no multiple-testing correction (q = p)",
})


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


class _GlobalResult:
    """What every global result (a frozen dataclass ending in ``params``) does alike."""

    def to_dict(self) -> dict[str, Any]:
        """Return the numbers and parameters as plain JSON-ready Python objects."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        out["params"] = jsonable(out.pop("params"))
        return out


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


# --------------------------------------------------------------------------- options


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
    table = {"two-sided": 2 * normal_sf(abs(z)), "greater": normal_sf(z),
             "lesser": normal_cdf(z)}
    return float(table[alternative])


# --------------------------------------------------------------------------- permutations


#: The last simulations, by (values, neighbours, permutations, seed): LISA and Gi* of one
#: variable count the same draws of the same neighbour sums (their statistics are both
#: monotone in the sum), so a second statistic on the same values reuses the first's.
_LAST_SIMS: dict[tuple[bytes, bytes, int, int], _Sims] = {}


def _sims_key(y: np.ndarray, sw: SpatialWeights, opts: _Opts) -> tuple[bytes, bytes, int, int]:
    a = sw.adjacency
    return (hashlib.sha256(y.tobytes()).digest(),
            hashlib.sha256(np.ascontiguousarray(a.indptr).tobytes()
                           + np.ascontiguousarray(a.indices).tobytes()).digest(),
            opts.permutations, opts.seed)


def _simulate(y: np.ndarray, sw: SpatialWeights, opts: _Opts) -> _Sims:
    """Tail counts of the conditionally permuted neighbour sums of ``y``."""
    return simulate_together([y], sw, opts)[0]


def simulate_together(ys: list[np.ndarray], sw: SpatialWeights, opts: _Opts) -> list[_Sims]:
    """Tail counts of several variables on one layer, their draws made once.

    Each variable gets exactly what a simulation of its own gives (the draws do
    not depend on the values: :func:`hotspots.stats.permutation.neighbour_sum_counts_many`);
    the results are kept as :func:`_simulate`'s, so the statistics that ask for one
    variable later (the bivariate LISA for IMD score) find it done.
    """
    ys = [np.ascontiguousarray(y, dtype=float) for y in ys]
    keys = [_sims_key(y, sw, opts) for y in ys]
    found = [_LAST_SIMS.get(key) for key in keys]  # one lookup each: threads may replace
    todo = [i for i, f in enumerate(found) if f is None]
    if todo:
        a = sw.adjacency
        k = np.diff(a.indptr).astype(np.int64)
        observed = [a @ ys[i] for i in todo]
        counts = _perm.neighbour_sum_counts_many([ys[i] for i in todo], k, observed,
                                                 opts.permutations, opts.seed)
        k.flags.writeable = False
        if len(_LAST_SIMS) + len(todo) > 4:
            _LAST_SIMS.clear()
        for i, obs, (n_ge, n_le) in zip(todo, observed, counts, strict=True):
            for arr in (obs, n_ge, n_le):
                arr.flags.writeable = False
            found[i] = _LAST_SIMS[keys[i]] = _Sims(k, obs, n_ge, n_le)
    return found  # type: ignore[return-value]


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


def _global_params(statistic: str, sw: SpatialWeights, opts: _Opts,
                   extra: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """Parameters of a global statistic: no correction or alpha (one test)."""
    return MappingProxyType({
        "statistic": statistic, **(extra or {}), "weights": jsonable(sw.params),
        **{k: v for k, v in opts.params().items() if not k.startswith(("correction", "alpha"))},
        "p_norm": "normal approximation, " + opts.alternative,
    })
