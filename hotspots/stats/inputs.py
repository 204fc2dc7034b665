"""Values meet the weights: the checks every hotspot statistic makes on its input.

:func:`_aligned` puts the values in the weights' order (refusing misaligned,
missing or infinite values: no data is never treated as zero);
:func:`_check_varies` and :func:`_check_non_negative` refuse a constant measure
and, for Gi*, negative values. Private to :mod:`hotspots.stats`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots._errors import InputDataError
from hotspots.stats.weights import SpatialWeights

__all__: list[str] = []


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


def _varying(values: object, sw: SpatialWeights, what: str) -> np.ndarray:
    """:func:`_aligned` values that vary (what every autocorrelation statistic needs)."""
    y = _aligned(values, sw, what)
    _check_varies(y, what)
    return y


def _check_non_negative(y: np.ndarray, sw: SpatialWeights, what: str) -> None:
    neg = y < 0
    if neg.any():
        raise InputDataError(
            f"{what}: Gi* needs values >= 0 (counts or rates), but {int(neg.sum())} areas are "
            f"negative (e.g. {sw.ids[neg][:5].tolist()}). Use local_moran() for a measure that "
            "can be negative (e.g. a change)."
        )
