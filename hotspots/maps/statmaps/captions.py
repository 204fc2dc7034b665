"""The words of the statistics maps: p-values as text, corrections, Gi* levels, captions.

:func:`method_caption` describes how a statistics map was made (statistic,
weights, permutations, seed, correction, alpha, how many wards were tested and
found significant); the page prints it under the map and the board pack under
the printed map. For a sensitive (referral) measure the local statistic itself
is never printed (:data:`HIDDEN_STAT`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from hotspots.stats import GI_LEVELS
from hotspots.stats import registry as registry

__all__ = [
    "CORRECTION_SHORT",
    "CORRECTION_WORDS",
    "HIDDEN_STAT",
    "Statistic",
    "format_p",
    "gi_levels",
    "method_caption",
]


#: A local statistic's prefix in :mod:`hotspots.stats.registry` (``"gi"``, ``"lisa"``, ``"bv"``).
Statistic = str


#: Shown instead of z and I for sensitive (referral) measures: with the neighbours'
#: counts, a local statistic would let a reader work out a suppressed count.
HIDDEN_STAT = "not shown for referrals"


# --------------------------------------------------------------------------- formatting


def format_p(value: object) -> str:
    """Return a p- or q-value with three significant figures (``"no data"`` for NaN).

    Examples
    --------
    >>> format_p(0.0001), format_p(0.056583), format_p(1.0), format_p(float("nan"))
    ('0.0001', '0.0566', '1', 'no data')
    """
    v = _float(value)
    return "no data" if v is None else f"{v:.3g}"


def _float(value: object) -> float | None:
    try:
        v = float(cast(Any, value))
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _fmt_stat(value: object) -> str:
    v = _float(value)
    return "no data" if v is None else f"{v:+.2f}"


#: Short names of the multiple-testing corrections, for legends.
CORRECTION_SHORT: dict[str, str] = {
    "fdr": "Benjamini-Hochberg FDR",
    "bonferroni": "Bonferroni",
    "none": "no correction (q = p)",
}


#: The corrections in plain words, for the method captions on the page (the
#: function behind each is named in the run's method text and manifest).
CORRECTION_WORDS: dict[str, str] = {
    "fdr": "the Benjamini-Hochberg false discovery rate procedure",
    "bonferroni": "Bonferroni (p times the number of wards tested)",
    "none": "no multiple-testing correction (q = p)",
}


def _correction(h: Mapping[str, Any]) -> str:
    key = str(h.get("correction", "?"))
    return CORRECTION_SHORT.get(key, key)


def _correction_words(h: Mapping[str, Any]) -> str:
    """Return the correction in words, without function names (no ``scipy.stats...``)."""
    key = str(h.get("correction", "?"))
    if key in CORRECTION_WORDS:
        return CORRECTION_WORDS[key]
    text = str(h.get("correction_text", key))
    return re.sub(r"\s*\([\w.]+\)$", "", text)  # drop a trailing "(module.function)"


def _stat_text(values: pd.Series, sensitive: bool) -> pd.Series:
    """Signed statistic as text, or :data:`HIDDEN_STAT` for a sensitive measure."""
    if sensitive:
        return values.map(lambda v: "no data" if _float(v) is None else HIDDEN_STAT)
    return values.map(_fmt_stat)


def _hotspots(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the hotspot parameters, from ``Analysis.params`` or ``hotspot_table``'s dict."""
    inner = params.get("hotspots")
    return cast(Mapping[str, Any], inner) if isinstance(inner, Mapping) else params


def gi_levels(params: Mapping[str, Any]) -> list[float]:
    """Return the Gi* class levels (q thresholds): 0.01, 0.05, 0.10 plus ``alpha`` if other.

    Parameters
    ----------
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params` (or the hotspot parameters).

    Returns
    -------
    list of float
        Ascending, as :func:`hotspots.stats.local_gi_star` classes them.
    """
    alpha = float(_hotspots(params).get("alpha", 0.05))
    return sorted(set(GI_LEVELS) | {alpha})


# --------------------------------------------------------------------------- captions


def _weights_text(h: Mapping[str, Any]) -> str:
    w = h.get("weights", {}) or {}
    kind = str(w.get("kind", "?"))
    what = {"queen": "queen contiguity", "rook": "rook contiguity",
            "knn": f"{w.get('k', '?')} nearest neighbours",
            "distance": f"distance band {w.get('threshold', '?')} m"}.get(kind, kind)
    text = f"Weights: {what}, row-standardised"
    n_islands = int(w.get("n_islands", 0) or 0)
    if n_islands:
        fallback = ("linked to their nearest ward" if w.get("island_fallback") == "knn1"
                    else "left without neighbours (not tested)")
        text += f"; {n_islands} island ward(s) {fallback}"
    return text + "."


def method_caption(params: Mapping[str, Any], statistic: Statistic) -> str:
    """Describe how a statistics map was made, in one paragraph.

    Parameters
    ----------
    params
        :attr:`hotspots.pipeline.analysis.Analysis.params` (``"hotspots"`` inside it is
        what :func:`hotspots.stats.hotspot_table` returned).
    statistic
        The prefix of a local statistic of :mod:`hotspots.stats.registry`:
        ``"gi"``, ``"lisa"``, ``"bv"``, ...

    Returns
    -------
    str
        Names the statistic (the entry's method), the weights, the number of
        permutations, the seed, the alternative, the correction and alpha (the
        entry's rule), and how many wards were tested and found significant.

    Raises
    ------
    ValueError
        For an unknown ``statistic``.
    """
    h = _hotspots(params)
    known = [s.prefix for s in registry.local_statistics()]
    if statistic not in known:
        raise ValueError(f"statistic={statistic!r} is unknown: use "
                         + ", ".join(repr(k) for k in known[:-1]) + f" or {known[-1]!r}.")
    stat = registry.by_prefix(statistic)
    alpha = float(h.get("alpha", 0.05))
    perms = (f"{int(h.get('permutations', 0)):,} conditional permutations (seed "
             f"{h.get('seed', '?')}), {h.get('alternative', 'two-sided')} pseudo p-values")
    part = h.get(stat.key, {}) or {}
    tested, sig = part.get("n_tested"), part.get("n_significant")
    tally = (f" {sig:,} of {tested:,} wards tested are significant at q \u2264 {alpha:g}."
             if tested is not None and sig is not None else "")
    no_data = len(h.get("no_data", []) or [])
    missing = (f" {no_data} ward(s) without data are left out (grey), never counted as zero."
               if no_data else "")
    levels = ", ".join(f"{lv:g}" for lv in stat.levels(alpha))
    rule = stat.rule.format(alpha=f"{alpha:g}", correction=_correction_words(h), levels=levels)
    return " ".join([stat.method, _weights_text(h), perms + ".", rule]) + tally + missing
