"""Classing values for choropleth maps: a scheme registry over mapclassify.

Every map legend in the project comes from :func:`classify`: class upper bounds,
one class index per area (``-1`` for "no data"), and printed labels that carry the
number of areas in each class, e.g. ``"36 to 48 (3)"``. Class colours come from
:mod:`hotspots.maps.palettes` (ColorBrewer sequential, colour-blind safe); the
neutral greys for "no data" and masked areas are here.

Examples
--------
>>> import pandas as pd
>>> c = classify(pd.Series([1, 2, 2, 3, 7, 9, None]), scheme="user_defined",
...              bins=[2, 5], integer=True)
>>> c.labels
('1 to 2 (3)', '3 to 5 (1)', '6 to 9 (2)', 'No data (1)')
>>> c.class_index.tolist()
[0, 0, 0, 1, 2, 2, -1]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspots.maps.palettes import MAX_K, palette

__all__ = [
    "MASKED_COLOUR",
    "MASKED_INDEX",
    "NO_DATA_COLOUR",
    "NO_DATA_INDEX",
    "SCHEMES",
    "ZERO_COLOUR",
    "ZERO_INDEX",
    "Classification",
    "Scheme",
    "classify",
    "class_colours",
]

#: Class index given to missing values ("no data": NaN, e.g. another force's area).
NO_DATA_INDEX = -1

#: Neutral grey for "no data" (no hatching; the legend says what it means).
NO_DATA_COLOUR = "#bdbdbd"

#: Class index given to masked values (e.g. suppressed small counts): shown, not classed.
MASKED_INDEX = -2

#: Neutral mid grey for masked (suppressed) areas: far darker than the lightest class of
#: every map palette (a pale fill reads as "0"), darker than the "no data" grey, and, where
#: a class is about as dark, much less saturated than it. Print maps hatch it as well.
MASKED_COLOUR = "#7a7a7a"

#: Class index given to zeros when they are their own class (``classify(zero_class=True)``).
ZERO_INDEX = -3

#: White for zero: in no palette, lighter than every class of every palette and far from
#: the greys of "no data" and suppressed areas, so a ward with nothing never reads as a
#: low (or, alone on a map, the darkest) class.
ZERO_COLOUR = "#ffffff"


@dataclass(frozen=True)
class Scheme:
    """One classification scheme of the registry.

    Attributes
    ----------
    key
        Registry key (what the UI passes).
    label
        Plain-words name for a selectbox.
    description
        One sentence for the method panel.
    needs_bins
        True when the user must give the class bounds.
    build
        ``build(y, k, bins)`` returning an object with ``.bins`` (a fitted mapclassify
        classifier, or the same bounds computed with numpy).
    """

    key: str
    label: str
    description: str
    needs_bins: bool
    build: Callable[[np.ndarray, int, Sequence[float] | None], object]


# mapclassify is imported only when a scheme needs it (user-defined bins): its import
# compiles numba functions (about 2 s), which the page's default quantiles would
# otherwise pay on every cold start. Natural breaks are mapclassify's Fisher-Jenks
# programme in numpy (fisher_jenks_bins). Quantiles and equal intervals are the same arithmetic as
# mapclassify 2.10's (tests/test_maps.py checks they are equal to the last bit).
# scipy.stats.scoreatpercentile, which mapclassify calls, gives the same quantiles
# (tests/test_classify.py) but is slower here: 22 us a call against 9 us (704 wards,
# k = 5), and 0.5 s to import scipy.stats where nothing has yet.


@dataclass(frozen=True)
class _Bins:
    """Class upper bounds, shaped like a fitted mapclassify classifier (``.bins``)."""

    bins: np.ndarray


def _score_at_percentile(sorted_y: np.ndarray, pct: float) -> float:
    """``scipy.stats.scoreatpercentile(y, pct)`` ("fraction" interpolation), as mapclassify."""
    idx = pct / 100.0 * (len(sorted_y) - 1)
    i = int(idx)
    if i == idx:
        return float(sorted_y[i])
    w0, w1 = (i + 1) - idx, idx - i
    return float((sorted_y[i] * w0 + sorted_y[i + 1] * w1) / (w0 + w1))


def _quantiles(y: np.ndarray, k: int, bins: Sequence[float] | None) -> _Bins:
    # mapclassify.classifiers.quantile: percentiles at 100/k steps, ties collapsed.
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    sorted_y = np.sort(np.asarray(y, dtype="float64"))
    return _Bins(np.unique(np.array([_score_at_percentile(sorted_y, q) for q in p])))


def _natural_breaks(y: np.ndarray, k: int, bins: Sequence[float] | None) -> _Bins:
    # Fisher-Jenks is the exact (deterministic) optimum of Jenks' natural breaks;
    # mapclassify.NaturalBreaks is a seeded k-means approximation.
    x = np.sort(np.asarray(y, dtype="float64").ravel())
    return _Bins(fisher_jenks_bins(x, min(k, len(np.unique(x)))))


def fisher_jenks_bins(values: np.ndarray, classes: int) -> np.ndarray:
    """Return the upper bounds of Fisher-Jenks natural breaks, as ``mapclassify.FisherJenks``.

    mapclassify's ``_fisher_jenks_means`` in numpy: the same dynamic programme in the
    same float32 arithmetic and order (running sums from each end point down, the last
    of equal costs kept), one vectorised pass per end point and class instead of
    numba's loops, so the page and the board pack do not import mapclassify and
    compile its numba code (about 2 s on a quiet machine). Equal to mapclassify's
    bounds to the last bit (``tests/test_classify.py``).

    Parameters
    ----------
    values
        Sorted values (float64).
    classes
        Number of classes, at most the number of distinct values.

    Returns
    -------
    ndarray
        ``classes`` upper bounds, the last the maximum.

    Examples
    --------
    >>> fisher_jenks_bins(np.array([1.0, 2, 3, 10, 11, 12, 30]), 3).tolist()
    [3.0, 12.0, 30.0]
    """
    values = np.asarray(values, dtype="float64")
    n = len(values)
    v32 = values.astype(np.float32)
    mat1 = np.zeros((n + 1, classes + 1), dtype=np.int32)
    mat2 = np.zeros((n + 1, classes + 1), dtype=np.float32)
    mat1[1, 1:] = 1
    mat2[2:, 1:] = np.inf
    for end in range(2, n + 1):
        run = v32[end - 1::-1]                       # values[end-1], ..., values[0]
        s1 = np.cumsum(run, dtype=np.float32)
        s2 = np.cumsum(run * run, dtype=np.float32)
        w = np.arange(1, end + 1, dtype=np.float32)
        v = s2 - (s1 * s1) / w                       # cost of values[end-m .. end-1]
        before = np.arange(end - 1, 0, -1)           # i4 = end - m, for m = 1 .. end - 1
        for j in range(2, classes + 1):
            cand = v[:-1] + mat2[before, j - 1]
            best = cand.min()
            last = len(cand) - 1 - int(np.argmax((cand == best)[::-1]))
            mat1[end, j] = end - last                # i3 = end - m + 1 with m = last + 1
            mat2[end, j] = best
        mat1[end, 1] = 1
        mat2[end, 1] = v[-1]
    kclass = np.zeros(classes + 1, dtype=values.dtype)
    kclass[classes] = values[n - 1]
    kclass[0] = values[0]
    k = n
    for count_num in range(classes, 1, -1):
        pivot = int(mat1[k, count_num])
        kclass[count_num - 1] = values[pivot - 2]
        k = pivot - 1
    return np.delete(kclass, 0)


def _equal_interval(y: np.ndarray, k: int, bins: Sequence[float] | None) -> _Bins:
    # mapclassify.EqualInterval._set_bins.
    y = np.asarray(y, dtype="float64")
    max_y, min_y = y.max(), y.min()
    if min_y == max_y:
        raise ValueError(f"Not enough unique values in array to form {k} classes. "
                         "All values in `y` are equal.")
    width = (max_y - min_y) * 1.0 / k
    cuts = np.arange(min_y + width, max_y + width, width)
    if len(cuts) > k:
        cuts = cuts[0:k]
    cuts[-1] = max_y
    return _Bins(cuts.copy())


def _user_defined(y: np.ndarray, k: int, bins: Sequence[float] | None) -> object:
    if bins is None or len(bins) == 0:
        raise ValueError(
            "scheme 'user_defined' needs bins=: a list of class upper bounds, e.g. [5, 10, 20]"
        )
    import mapclassify

    return mapclassify.UserDefined(y, bins=sorted(float(b) for b in bins))


#: Scheme registry: key -> :class:`Scheme`. Selectboxes list these keys.
SCHEMES: dict[str, Scheme] = {
    s.key: s
    for s in (
        Scheme("quantiles", "Quantiles (equal numbers of wards)",
               "Quantiles: each class holds about the same number of areas.", False, _quantiles),
        Scheme("natural_breaks", "Natural breaks (Fisher-Jenks)",
               "Natural breaks (Fisher-Jenks): bounds that minimise the spread within classes.",
               False, _natural_breaks),
        Scheme("equal_interval", "Equal intervals",
               "Equal intervals: classes of equal width between the lowest and highest value.",
               False, _equal_interval),
        Scheme("user_defined", "User-defined bounds",
               "User-defined: class upper bounds chosen by the user.", True, _user_defined),
    )
}

#: Fewest classes :func:`classify` forms (the most is the palettes' ``MAX_K``, 9).
MIN_K = 1


@dataclass(frozen=True, eq=False)
class Classification:
    """The result of :func:`classify`.

    Attributes
    ----------
    scheme
        Registry key used.
    bins
        Upper bound of each class (inclusive), ascending; ``len(bins)`` is the
        number of classes actually formed (fewer than asked for when the data
        has fewer distinct values).
    lower
        Lowest value each class can print (the data minimum for the first class).
    counts
        Number of areas in each class.
    class_index
        One class number (0 = lowest) per input value, aligned to the input
        index; :data:`NO_DATA_INDEX` (-1) for missing values.
    labels
        Legend label per class, ``"lower to upper (count)"``, followed by
        ``"0 (n)"`` when zeros are their own class and any value is 0, the
        masked label ``"<masked_label> (n)"`` when any value is masked and
        ``"No data (n)"`` when any value is missing.
    n_no_data
        Number of missing values.
    integer
        Whether bounds were snapped to whole numbers (counts).
    n_masked
        Number of masked values (class index :data:`MASKED_INDEX`).
    n_zero
        Number of zeros in their own class (class index :data:`ZERO_INDEX`).
    """

    scheme: str
    bins: tuple[float, ...]
    lower: tuple[float, ...]
    counts: tuple[int, ...]
    class_index: pd.Series
    labels: tuple[str, ...]
    n_no_data: int
    integer: bool
    n_masked: int = 0
    n_zero: int = 0

    @property
    def k(self) -> int:
        """Number of classes formed (excluding "no data")."""
        return len(self.bins)

    @property
    def class_labels(self) -> tuple[str, ...]:
        """Labels of the value classes only (without the "No data" entry)."""
        return self.labels[: self.k]

    @property
    def zero_label(self) -> str | None:
        """The ``"0 (n)"`` label of the zero class, or ``None`` when it is empty."""
        return self.labels[self.k] if self.n_zero else None

    @property
    def masked_label(self) -> str | None:
        """The masked-areas label, or ``None`` when nothing is masked."""
        return self.labels[self.k + (1 if self.n_zero else 0)] if self.n_masked else None

    @property
    def legend_labels(self) -> tuple[str, ...]:
        """Every label in value order: zero, masked (small counts), classes, no data."""
        first = [x for x in (self.zero_label, self.masked_label) if x]
        return (*first, *self.class_labels, *([self.no_data_label] if self.n_no_data else []))

    @property
    def too_little_to_map(self) -> bool:
        """True when no value class is drawn: every area is 0, masked or without data."""
        return self.k == 0

    @property
    def no_data_label(self) -> str | None:
        """The ``"No data (n)"`` label, or ``None`` when nothing is missing."""
        return self.labels[-1] if self.n_no_data else None


def classify(
    values: pd.Series,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    integer: bool = False,
    masked: pd.Series | None = None,
    masked_label: str = "Suppressed",
    zero_class: bool = False,
    from_zero: bool = False,
) -> Classification:
    """Class a series of area values for a choropleth legend.

    Parameters
    ----------
    values
        One value per area; NaN means "no data" (never treated as 0).
    scheme
        A key of :data:`SCHEMES`.
    k
        Number of classes wanted (1 to 9); fewer are formed when the data has
        fewer distinct values. Ignored for ``"user_defined"``.
    bins
        Class upper bounds for ``"user_defined"``; a last class up to the data
        maximum is added when the maximum exceeds the last bound.
    integer
        The values are whole numbers (counts): bounds are snapped down to whole
        numbers so that printed ranges do not overlap (``"1 to 4"``, ``"5 to 9"``).
    masked
        Optional boolean mask aligned to ``values``: these areas have a value
        that must not be shown (e.g. small counts under suppression). They are
        left out of the class bounds and counts and get their own legend entry
        ``"<masked_label> (n)"`` and class index :data:`MASKED_INDEX` (-2).
        With ``integer=True``, printed ranges are then the smallest and largest
        values actually in each class, so that no masked value is implied.
    masked_label
        Legend text for masked areas, e.g. ``"Fewer than 5 (suppressed)"``.
    zero_class
        Zeros (not masked, not missing) get their own class ``"0 (n)"``, index
        :data:`ZERO_INDEX`, drawn in the neutral :data:`ZERO_COLOUR`; the
        scheme classes the other values only, and bounds at or below 0 are
        dropped (they could only make an empty class). For counts and rates,
        whose zero means "none": a map whose only values are zeros then has no
        value class at all (:attr:`Classification.too_little_to_map`).
    from_zero
        With ``integer=True`` and no negative values: the first class is printed
        from 0 (from 1 after a non-empty zero class), so the classes cover every count
        (``"0 to 4"`` rather than ``"2 to 4"`` when the smallest count is 2).
        Bounds and counts do not change. Ignored when values are masked (the
        printed ranges are then the values in each class) and for non-integers.

    Returns
    -------
    Classification
        Bounds, per-area class index (-1 = no data), counts and legend labels.

    Raises
    ------
    ValueError
        Unknown scheme (the message lists the valid keys), ``k`` outside 1 to 9,
        or ``"user_defined"`` without ``bins``.

    Notes
    -----
    A value ``v`` falls in class ``i`` when ``bins[i-1] < v <= bins[i]``
    (mapclassify's rule). Ties therefore always share a class. Natural breaks
    use Fisher-Jenks (exact, deterministic), not mapclassify's sampled k-means.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(SCHEMES)}; got {scheme!r}")
    if not MIN_K <= int(k) <= MAX_K:
        raise ValueError(f"k must be between {MIN_K} and {MAX_K}; got {k}")
    series = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    y = series.to_numpy()
    missing = np.isnan(y)
    hidden = _mask_array(masked, series) & ~missing
    zero = (y == 0) & ~missing & ~hidden if zero_class else np.zeros(len(y), dtype=bool)
    shown = ~missing & ~hidden & ~zero
    user_bins = _usable_bins(bins, y[shown], zero_class) if SCHEMES[scheme].needs_bins else bins
    upper = _upper_bounds(y[shown], SCHEMES[scheme], int(k), user_bins, integer)
    index = np.full(len(y), NO_DATA_INDEX, dtype="int64")
    index[hidden] = MASKED_INDEX
    index[zero] = ZERO_INDEX
    if len(upper):
        index[shown] = np.minimum(np.searchsorted(upper, y[shown], side="left"), len(upper) - 1)
    counts = tuple(int((index == i).sum()) for i in range(len(upper)))
    lower = _lower_bounds(y[shown], upper, integer)
    printed_upper = tuple(float(b) for b in upper)
    if integer and hidden.any():
        # Print the values actually in each class, so no masked value is implied.
        lower = tuple(float(y[index == i].min()) if n else lo
                      for i, (lo, n) in enumerate(zip(lower, counts, strict=True)))
        printed_upper = tuple(float(y[index == i].max()) if n else hi
                              for i, (hi, n) in enumerate(zip(printed_upper, counts, strict=True)))
    elif from_zero and integer and len(lower) and not (y[~missing] < 0).any():
        lower = (1.0 if zero.any() else 0.0, *lower[1:])
    labels = _labels(lower, printed_upper, counts, integer)
    n_zero, n_hidden, n_missing = int(zero.sum()), int(hidden.sum()), int(missing.sum())
    if n_zero:
        labels = (*labels, f"0 ({n_zero:,})")
    if n_hidden:
        labels = (*labels, f"{masked_label} ({n_hidden:,})")
    if n_missing:
        labels = (*labels, f"No data ({n_missing:,})")
    return Classification(
        scheme=scheme,
        bins=tuple(float(b) for b in upper),
        lower=lower,
        counts=counts,
        class_index=pd.Series(index, index=series.index, name="class_index"),
        labels=labels,
        n_no_data=n_missing,
        integer=integer,
        n_masked=n_hidden,
        n_zero=n_zero,
    )


def _usable_bins(bins: Sequence[float] | None, y: np.ndarray,
                 zero_class: bool) -> Sequence[float] | None:
    """Return user bounds without a bound at or below 0 that could only make an empty class.

    Such a bound is dropped when zeros have their own class, or when no value
    is at or below it (``bins=[0, 4]`` over counts from 2). Other bounds are
    kept even when their class is empty (e.g. bounds shared with another map).
    When none is left, one class up to the maximum.
    """
    if bins is None or len(bins) == 0 or len(y) == 0:
        return bins
    kept = [float(b) for b in bins
            if not (float(b) <= 0 and (zero_class or not (y <= float(b)).any()))]
    return kept or [float(y.max())]


def _mask_array(masked: pd.Series | None, series: pd.Series) -> np.ndarray:
    """Return the mask as a bool array aligned to ``series`` (all False if None)."""
    if masked is None:
        return np.zeros(len(series), dtype=bool)
    m = pd.Series(masked)
    if len(m) != len(series) or not m.index.equals(series.index):
        raise ValueError("masked must be a boolean Series with the same index as values")
    return m.fillna(False).astype(bool).to_numpy()


def class_colours(classification: Classification, palette_name: str) -> pd.Series:
    """Return one hex colour per area (grey for "no data"), aligned to the input.

    Parameters
    ----------
    classification
        Result of :func:`classify`.
    palette_name
        A key of :data:`hotspots.maps.palettes.PALETTES`.

    Returns
    -------
    pandas.Series
        Colours, same index as ``classification.class_index``.
    """
    colours = palette(palette_name, classification.k)
    lookup = dict(enumerate(colours)) | {NO_DATA_INDEX: NO_DATA_COLOUR,
                                         MASKED_INDEX: MASKED_COLOUR, ZERO_INDEX: ZERO_COLOUR}
    return classification.class_index.map(lookup).rename("colour")


def _upper_bounds(
    y: np.ndarray,
    scheme: Scheme,
    k: int,
    bins: Sequence[float] | None,
    integer: bool,
) -> np.ndarray:
    """Return ascending, distinct class upper bounds for the present values."""
    if scheme.needs_bins and (bins is None or len(bins) == 0):
        scheme.build(y, k, bins)  # raises the plain-words error
    if len(y) == 0:
        return np.array([], dtype="float64")
    if len(np.unique(y)) == 1 and not scheme.needs_bins:
        return np.array([float(y[0])])
    with warnings.catch_warnings():
        # "Not enough unique values ... Setting k to ...": handled below.
        warnings.simplefilter("ignore", UserWarning)
        fitted = scheme.build(y, k, bins)
    upper = np.asarray(fitted.bins, dtype="float64")  # type: ignore[attr-defined]
    if integer:
        upper = np.floor(upper + 1e-9)
    upper = np.unique(upper)
    # The last class always reaches the maximum (mapclassify guarantees it;
    # snapping keeps it because the maximum of counts is a whole number).
    if upper[-1] < y.max():
        upper = np.append(upper, y.max())
    return upper


def _lower_bounds(y: np.ndarray, upper: np.ndarray, integer: bool) -> tuple[float, ...]:
    """Return the lowest printable value of each class."""
    if len(upper) == 0:
        return ()
    first = float(min(y.min(), upper[0])) if len(y) else float(upper[0])
    step = 1.0 if integer else 0.0
    return (first, *(float(b) + step for b in upper[:-1]))


def _labels(
    lower: Sequence[float], upper: Sequence[float], counts: Sequence[int], integer: bool
) -> tuple[str, ...]:
    """Return ``"lower to upper (n)"`` labels, one value when lower == upper."""
    decimals = 0 if integer else _decimals([*lower, *upper])
    out = []
    for lo, hi, n in zip(lower, upper, counts, strict=True):
        lo_s, hi_s = _fmt(lo, decimals), _fmt(hi, decimals)
        text = lo_s if lo_s == hi_s else f"{lo_s} to {hi_s}"
        out.append(f"{text} ({n:,})")
    return tuple(out)


def _decimals(edges: Sequence[float]) -> int:
    """Fewest decimals (1 to 4) that print the distinct class edges distinctly."""
    distinct = sorted(set(edges))
    for d in range(1, 5):
        if len({_fmt(e, d) for e in distinct}) == len(distinct):
            return d
    return 4


def _fmt(x: float, decimals: int) -> str:
    """Format a bound with thousands separators; ``-0`` prints as ``0``."""
    if math.isclose(x, 0.0, abs_tol=0.5 * 10**-decimals):
        x = 0.0
    return f"{x:,.{decimals}f}"
