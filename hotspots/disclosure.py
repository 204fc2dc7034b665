"""Disclosure control for published tables: primary and secondary (complementary) suppression.

Conventions (the same as :mod:`hotspots.privacy`, whose mask is reused here):

- **Primary**: a count from 1 to ``threshold - 1`` (default 5) is hidden and
  printed as ``"<5"`` (:data:`PRIMARY_MARK` formatted with the threshold).
  **Zero is not suppressed**: it identifies nobody, and the page shows zeros too.
  NaN ("no data") is never suppressed and printed as ``"no data"``.
- **Secondary**: a cell hidden only so that no primary cell can be worked out
  by subtraction from a published row or column total; printed as ``"c"``
  (:data:`SECONDARY_MARK`, the ONS convention for "confidential").
- A published **total** from 1 to ``threshold - 1`` is itself a primary cell.

For a table with totals, the cells of every row (and column) and the row's total
form one linear equation. :func:`suppress_table` hides cells until, in every
equation, the hidden cells number none or at least two and (when the total is
shown) add up to at least ``threshold``, and then checks the whole system
exactly: a hidden cell is safe only if it is not a fixed value across all
solutions of the published equations (a null-space test on the constraint
matrix, :func:`determined_cells`). Where a cell is still determined, a further
cell is hidden and the check repeats until it is stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hotspots.privacy import DEFAULT_THRESHOLD, suppressed_mask

__all__ = [
    "NO_DATA_MARK",
    "PRIMARY_MARK",
    "SECONDARY_MARK",
    "determined_cells",
    "suppress_series_with_total",
    "suppress_table",
]

#: Marker of a primary-suppressed cell; ``{t}`` is the threshold (``"<5"``).
PRIMARY_MARK = "<{t}"

#: Marker of a secondary (complementary) suppressed cell.
SECONDARY_MARK = "c"

#: Text for a missing value.
NO_DATA_MARK = "no data"


# --------------------------------------------------------------------------- equations


def _equations(n_rows: int, n_cols: int, *, total_row: bool,
               total_col: bool) -> list[list[tuple[int, int, float]]]:
    """Return the published equations of a table: one per row and column with a total.

    Each equation is a list of ``(row, col, coefficient)``; the cells (the total
    included) sum to zero: ``cell_1 + ... + cell_n - total = 0``.
    """
    eqs: list[list[tuple[int, int, float]]] = []
    if total_col:
        for i in range(n_rows):
            eqs.append([(i, j, 1.0) for j in range(n_cols - 1)] + [(i, n_cols - 1, -1.0)])
    if total_row:
        for j in range(n_cols):
            eqs.append([(i, j, 1.0) for i in range(n_rows - 1)] + [(n_rows - 1, j, -1.0)])
    return eqs


def _determined(hidden: np.ndarray, eqs: list[list[tuple[int, int, float]]]) -> np.ndarray:
    """Boolean array: hidden cells whose value the published equations fix exactly.

    The shown cells are known, so each equation restricted to the hidden cells is
    ``A x = b``. A hidden cell ``x_k`` takes the same value in every solution
    exactly when the null space of ``A`` has no component along ``k``.
    """
    cells = list(zip(*np.nonzero(hidden), strict=True))
    out = np.zeros_like(hidden, dtype=bool)
    if not cells:
        return out
    col = {c: k for k, c in enumerate(cells)}
    rows = []
    for eq in eqs:
        r = np.zeros(len(cells))
        for i, j, a in eq:
            if (i, j) in col:
                r[col[(i, j)]] = a
        if r.any():
            rows.append(r)
    if not rows:
        return out
    a_mat = np.vstack(rows)
    _, s, vt = np.linalg.svd(a_mat)
    rank = int((s > 1e-9 * max(a_mat.shape)).sum())
    null = vt[rank:].T  # n_hidden x (n_hidden - rank)
    fixed = np.linalg.norm(null, axis=1) < 1e-9 if null.size else np.ones(len(cells), bool)
    for (i, j), f in zip(cells, fixed, strict=True):
        out[i, j] = bool(f)
    return out


def determined_cells(mask: pd.DataFrame, *, total_row: bool, total_col: bool) -> pd.DataFrame:
    """Return which hidden cells a reader could work out exactly from the totals.

    Parameters
    ----------
    mask
        True where a cell is hidden; the same layout as :func:`suppress_table`'s
        value columns (last row / last column the totals when flagged).
    total_row, total_col
        Whether the last row / last column are published totals.

    Returns
    -------
    DataFrame of bool
        True where a hidden cell has one value in every solution of the row and
        column equations (it is recoverable by subtraction, however indirect).
    """
    m = mask.to_numpy(dtype=bool)
    eqs = _equations(*m.shape, total_row=total_row, total_col=total_col)
    return pd.DataFrame(_determined(m, eqs), index=mask.index, columns=mask.columns)


# --------------------------------------------------------------------------- suppression


def _check_totals(v: np.ndarray, cols: Sequence[str], index: pd.Index, *, total_row: bool,
                  total_col: bool) -> None:
    z = np.nan_to_num(v)
    if total_col:
        bad = ~np.isclose(z[:, :-1].sum(axis=1), z[:, -1])
        if bad.any():
            raise ValueError(
                f"total column {cols[-1]!r} is not the sum of {list(cols[:-1])} in row(s) "
                f"{list(index[bad][:5])}; pass the table with its totals, or total_col=False"
            )
    if total_row:
        bad = ~np.isclose(z[:-1, :].sum(axis=0), z[-1, :])
        if bad.any():
            raise ValueError(
                f"the last row ({index[-1]!r}) is not the column total in column(s) "
                f"{[c for c, b in zip(cols, bad, strict=True) if b][:5]}; pass the table with "
                "its total row last, or total_row=False"
            )


def _line_fix(v: np.ndarray, hidden: np.ndarray, eq: list[tuple[int, int, float]],
              threshold: int) -> tuple[int, int] | None:
    """Return the cell to hide next in one equation, or None when it is safe.

    Unsafe: exactly one hidden cell, or (with the total shown) hidden cells that
    add up to less than ``threshold``, so that total minus shown is a small count.
    """
    cells = [(i, j) for i, j, _ in eq]
    h = [c for c in cells if hidden[c]]
    if not h:
        return None
    total = cells[-1]
    small_sum = (not hidden[total]) and 0 < np.nansum([v[c] for c in h]) < threshold
    if len(h) >= 2 and not small_sum:
        return None
    free = [c for c in cells if not hidden[c] and np.isfinite(v[c]) and v[c] > 0]
    if not free:
        return None
    return min(free, key=lambda c: (v[c], c))


def _bridge_fix(v: np.ndarray, hidden: np.ndarray, cell: tuple[int, int],
                eqs: list[list[tuple[int, int, float]]]) -> tuple[int, int] | None:
    """Return a shown cell whose hiding leaves ``cell`` undetermined.

    Tried in order: the non-zero shown cells of ``cell``'s own row and column,
    smallest first, then every other non-zero shown cell, smallest first. When
    no single cell is enough, the first candidate is returned (and the caller
    checks again).
    """
    def usable(c: tuple[int, int]) -> bool:
        return not hidden[c] and bool(np.isfinite(v[c])) and v[c] > 0

    near = sorted({(i, j) for eq in eqs if any((a, b) == cell for a, b, _ in eq)
                   for i, j, _ in eq if usable((i, j))}, key=lambda c: (v[c], c))
    rest = sorted((c for c in (tuple(int(x) for x in ij) for ij in np.argwhere(~hidden))
                   if usable(c) and c not in near), key=lambda c: (v[c], c))
    candidates = near + rest  # type: ignore[operator]
    for c in candidates:
        trial = hidden.copy()
        trial[c] = True
        if not _determined(trial, eqs)[cell]:
            return c
    return candidates[0] if candidates else None


def _suppress(v: np.ndarray, eqs: list[list[tuple[int, int, float]]],
              threshold: int) -> tuple[np.ndarray, np.ndarray]:
    primary = suppressed_mask(pd.Series(v.ravel()), threshold=threshold).to_numpy()
    primary = primary.reshape(v.shape)
    hidden = primary.copy()
    while True:
        changed = True
        while changed:  # cheap per-line rule until stable
            changed = False
            for eq in eqs:
                c = _line_fix(v, hidden, eq, threshold)
                if c is not None:
                    hidden[c] = True
                    changed = True
        det = _determined(hidden, eqs)
        if not det.any():
            break
        cell = tuple(int(x) for x in np.argwhere(det)[0])
        c = _bridge_fix(v, hidden, cell, eqs)  # type: ignore[arg-type]
        if c is None:  # nothing left to hide around it (cannot happen with totals > 0)
            break
        hidden[c] = True
    return primary, hidden & ~primary


def _display(values: pd.DataFrame, primary: np.ndarray, secondary: np.ndarray,
             threshold: int) -> pd.DataFrame:
    def fmt(x: Any) -> Any:
        if pd.isna(x):
            return NO_DATA_MARK
        return int(x) if float(x).is_integer() else float(x)

    out = values.astype(object).map(fmt) if len(values) else values.astype(object)
    out = out.mask(pd.DataFrame(primary, index=values.index, columns=values.columns),
                   PRIMARY_MARK.format(t=threshold))
    return out.mask(pd.DataFrame(secondary, index=values.index, columns=values.columns),
                    SECONDARY_MARK)


def suppress_table(
    table: pd.DataFrame,
    *,
    value_cols: Sequence[str],
    total_row: bool,
    total_col: bool,
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress small counts in a table, and enough other cells to protect them from its totals.

    Parameters
    ----------
    table
        Counts (non-negative; NaN = no data, counted as 0 in totals and never
        hidden). Columns other than ``value_cols`` (labels) are passed through.
    value_cols
        The count columns, in order; with ``total_col=True`` the **last** of
        them is the row total.
    total_row
        The **last row** of ``table`` is the column totals (it is checked).
    total_col
        The last of ``value_cols`` is the row totals (it is checked).
    threshold
        Counts from 1 to ``threshold - 1`` are hidden (primary); zero is shown.

    Returns
    -------
    display : DataFrame
        A copy of ``table`` with the value columns as object dtype: whole
        numbers as ``int``, primary cells ``"<5"`` (:data:`PRIMARY_MARK`),
        secondary cells ``"c"`` (:data:`SECONDARY_MARK`), NaN ``"no data"``.
    mask : DataFrame of bool
        ``value_cols`` only, same index: True where a cell is hidden (primary
        or secondary). The primary cells alone are
        ``hotspots.privacy.suppressed_mask`` of each column.

    Raises
    ------
    ValueError
        Missing or non-numeric value columns, negative counts, or totals that
        do not add up (the message names the row or column).

    Notes
    -----
    Rule, applied until nothing changes: in every row and column equation
    (its cells and its total) the hidden cells must be none, or at least two
    and, when the total is shown, add up to at least ``threshold``; where not,
    the smallest non-zero shown cell of that equation (possibly the total) is
    hidden too. Then the whole system is checked exactly (:func:`determined_cells`):
    a hidden cell that the equations still fix (e.g. a cell linking two
    otherwise protected groups) gets a further cell hidden beside it.
    A reader still learns that a ``"<5"`` cell is between 1 and 4 and a
    ``"c"`` cell is 5 or more: this protects against exact recovery, not
    against every bound.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [3, 10, 13], "b": [8, 12, 20], "total": [11, 22, 33]},
    ...                  index=["x", "y", "Total"])
    >>> shown, mask = suppress_table(t, value_cols=["a", "b", "total"], total_row=True,
    ...                              total_col=True)
    >>> shown.to_dict("list")
    {'a': ['<5', 'c', 13], 'b': ['c', 'c', 20], 'total': [11, 22, 33]}
    """
    cols = list(value_cols)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"value_cols {missing} are not in the table; have {list(table.columns)}")
    values = table[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = values.isna() & table[cols].notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise ValueError(f"cell ({table.index[r]!r}, {cols[c]!r}) is not a number: "
                         f"{table[cols].iat[r, c]!r}")
    if (values < 0).to_numpy().any():
        r, c = np.argwhere((values < 0).to_numpy())[0]
        raise ValueError(f"cell ({table.index[r]!r}, {cols[c]!r}) is negative; counts only")
    if (total_col and len(cols) < 2) or (total_row and len(values) < 2):
        raise ValueError("a table with a total row/column needs at least one other row/column")
    v = values.to_numpy()
    _check_totals(v, cols, table.index, total_row=total_row, total_col=total_col)
    eqs = _equations(*v.shape, total_row=total_row, total_col=total_col)
    primary, secondary = _suppress(v, eqs, int(threshold))
    out = table.copy()
    shown = _display(values, primary, secondary, int(threshold))
    for c in cols:
        out[c] = shown[c].astype(object)
    mask = pd.DataFrame(primary | secondary, index=table.index, columns=cols)
    return out, mask


def suppress_series_with_total(
    values: pd.Series,
    *,
    total: float | None = None,
    total_label: str = "Total",
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[pd.Series, pd.Series]:
    """Suppress a breakdown (e.g. referrals by borough) published with its total.

    Parameters
    ----------
    values
        One count per group (NaN = no data).
    total
        The published total (e.g. London); by default the sum of ``values``.
        It must equal that sum: put any remainder ("unknown borough") in
        ``values`` as its own group, so that it is protected too.
    total_label
        Index label of the total entry appended to the result.
    threshold
        Counts from 1 to ``threshold - 1`` are hidden; zero is shown.

    Returns
    -------
    display : Series of object
        ``values`` then the total under ``total_label``: numbers, ``"<5"``
        (primary), ``"c"`` (hidden to protect a primary cell) or ``"no data"``.
    mask : Series of bool
        Same index as ``display``: True where hidden.

    Raises
    ------
    ValueError
        ``total`` differs from the sum, ``total_label`` is already an index
        label, or a value is negative or not a number.

    Examples
    --------
    >>> shown, mask = suppress_series_with_total(pd.Series([3, 9, 12, 0], index=list("abcd")))
    >>> shown.tolist()
    ['<5', 'c', 12, 0, 24]
    """
    s = pd.Series(values)
    if total_label in s.index:
        raise ValueError(f"total_label {total_label!r} is already one of the groups; pick another")
    nums = pd.to_numeric(s, errors="coerce").astype(float)
    summed = float(np.nansum(nums.to_numpy()))
    if total is not None and not np.isclose(float(total), summed):
        raise ValueError(
            f"total {total} differs from the sum of the values ({summed:g}); add the remainder "
            "(e.g. 'Not assigned to a borough') as its own group so it is protected too"
        )
    name = s.name if s.name is not None else "count"
    frame = pd.DataFrame({name: [*nums.tolist(), summed]},
                         index=pd.Index([*s.index.tolist(), total_label]))
    if s.notna().sum() > nums.notna().sum():
        bad = s[s.notna() & nums.isna()].index[0]
        raise ValueError(f"value for {bad!r} is not a number: {s[bad]!r}")
    shown, mask = suppress_table(frame, value_cols=[name], total_row=True, total_col=False,
                                 threshold=threshold)
    return shown[name].rename(s.name), mask[name].rename(s.name)
