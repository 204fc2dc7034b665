"""Primary and secondary suppression (hotspots.disclosure) on hand-built tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from hotspots.disclosure import determined_cells, suppress_series_with_total, suppress_table
from hotspots.privacy import suppressed_mask


def with_totals(interior: list[list[float]]) -> pd.DataFrame:
    df = pd.DataFrame(interior, columns=[f"c{j}" for j in range(len(interior[0]))],
                      index=[f"r{i}" for i in range(len(interior))], dtype=float)
    df["total"] = df.sum(axis=1)
    df.loc["Total"] = df.sum()
    return df


def equations(shape: tuple[int, int]) -> list[np.ndarray]:
    """Row and column equations of a table whose last row and column are totals."""
    n_r, n_c = shape
    eqs = []
    for i in range(n_r):
        a = np.zeros(shape)
        a[i, :-1], a[i, -1] = 1, -1
        eqs.append(a.ravel())
    for j in range(n_c):
        a = np.zeros(shape)
        a[:-1, j], a[-1, j] = 1, -1
        eqs.append(a.ravel())
    return eqs


def fixed_by_rank(values: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells pinned by the equations: e_k lies in the row space (rank test)."""
    idx = np.flatnonzero(hidden.ravel())
    a = np.array([e[idx] for e in equations(values.shape)])
    r = np.linalg.matrix_rank(a)
    out = []
    for k, flat in enumerate(idx):
        e = np.zeros(len(idx))
        e[k] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == r:
            out.append(tuple(int(x) for x in np.unravel_index(flat, values.shape)))
    return out


def lp_range(values: np.ndarray, hidden: np.ndarray, cell: int) -> tuple[float, float]:
    """Min and max of one hidden cell over non-negative solutions (scipy HiGHS)."""
    idx = np.flatnonzero(hidden.ravel())
    shown = ~hidden.ravel()
    v = values.ravel()
    a = np.array(equations(values.shape))
    a_eq, b_eq = a[:, idx], -a[:, shown] @ v[shown]
    c = np.zeros(len(idx))
    c[list(idx).index(cell)] = 1
    lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert lo.status == 0 and hi.status == 0
    return lo.fun, -hi.fun


def test_primary_only_zero_and_nan_conventions() -> None:
    t = pd.DataFrame({"name": ["a", "b", "c", "d"], "n": [0, 3, 12, np.nan]})
    shown, mask = suppress_table(t, value_cols=["n"], total_row=False, total_col=False)
    assert shown["n"].tolist() == [0, "<5", 12, "no data"]
    assert shown["name"].tolist() == ["a", "b", "c", "d"]
    assert mask["n"].tolist() == [False, True, False, False]
    # the same primary rule as hotspots.privacy
    assert mask["n"].tolist() == suppressed_mask(t["n"]).tolist()


def test_threshold_is_configurable() -> None:
    t = pd.DataFrame({"n": [7, 12, 0]})
    shown, _ = suppress_table(t, value_cols=["n"], total_row=False, total_col=False,
                              threshold=10)
    assert shown["n"].tolist() == ["<10", 12, 0]


def test_two_by_two_all_hidden() -> None:
    t = with_totals([[3, 8], [10, 12]])
    shown, mask = suppress_table(t, value_cols=list(t.columns), total_row=True, total_col=True)
    assert shown.loc["r0"].tolist() == ["<5", "c", 11]
    assert shown.loc["r1"].tolist() == ["c", "c", 22]
    assert shown.loc["Total"].tolist() == [13, 20, 33]
    assert mask.to_numpy().sum() == 4


def test_secondary_cascades_through_rows_and_columns() -> None:
    # r0's 2 -> hide r0's smallest other (20); column c0 then has one hidden cell ->
    # hide 15; column c1 has one -> hide 40; row r1 then has two (55): stable.
    t = with_totals([[2, 20, 30], [15, 40, 50], [16, 60, 70]])
    shown, mask = suppress_table(t, value_cols=list(t.columns), total_row=True, total_col=True)
    expected = np.zeros(t.shape, dtype=bool)
    expected[0, 0] = expected[0, 1] = expected[1, 0] = expected[1, 1] = True
    assert (mask.to_numpy() == expected).all()
    assert shown.iat[0, 0] == "<5" and shown.iat[0, 1] == "c" and shown.iat[1, 1] == "c"
    assert fixed_by_rank(t.to_numpy(), mask.to_numpy()) == []


def test_hidden_cells_in_a_line_must_sum_to_threshold() -> None:
    # 1 + 2 = 3: total minus shown would print a small count; a third cell is hidden.
    t = with_totals([[1, 2, 20, 30], [10, 10, 10, 10]])
    _, mask = suppress_table(t, value_cols=list(t.columns), total_row=True, total_col=True)
    assert mask.loc["r0", "c2"]  # smallest non-zero shown cell in the row
    assert not mask.loc["r0", "c3"]


def test_small_total_is_suppressed() -> None:
    t = with_totals([[1, 2, 0], [9, 8, 7]])
    shown, mask = suppress_table(t, value_cols=list(t.columns), total_row=True, total_col=True)
    assert shown.loc["r0", "total"] == "<5"
    assert shown.loc["r0", "c2"] == 0  # zero stays shown
    assert fixed_by_rank(t.to_numpy(), mask.to_numpy()) == []


def test_bridge_cell_is_found_determined() -> None:
    # Every row and column has 0 or >= 2 hidden cells, yet (r0, c0) links two
    # protected cycles and equals total - shown - (a known sum): the exact check sees it.
    hidden = np.zeros((6, 6), dtype=bool)  # 5 x 5 interior + totals
    for i, j in [(0, 1), (0, 2), (1, 1), (1, 2),  # cycle through row r0
                 (2, 0), (2, 3), (3, 0), (3, 3),  # cycle through column c0
                 (0, 0)]:                          # the bridge
        hidden[i, j] = True
    mask = pd.DataFrame(hidden)
    det = determined_cells(mask, total_row=True, total_col=True)
    assert det.to_numpy().sum() == 1 and bool(det.iat[0, 0])
    values = np.full((5, 5), 9.0)
    values = with_totals(values.tolist()).to_numpy()
    assert fixed_by_rank(values, hidden) == [(0, 0)]


def test_found_bridge_case_is_repaired() -> None:
    # Found by random search: the per-line rule alone left a cell recoverable.
    t = with_totals([[0, 0, 6], [0, 4, 2], [9, 9, 9], [6, 6, 15], [6, 1, 0], [9, 15, 9]])
    _, mask = suppress_table(t, value_cols=list(t.columns), total_row=True, total_col=True)
    assert fixed_by_rank(t.to_numpy(), mask.to_numpy()) == []


def test_random_tables_no_cell_recoverable() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        r, c = rng.integers(2, 6, 2)
        x = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30], size=(r, c),
                       p=[.15, .1, .1, .05, .05, .15, .15, .15, .1])
        t = with_totals(x.tolist())
        _, mask = suppress_table(t, value_cols=list(t.columns), total_row=True,
                                 total_col=True)
        v, h = t.to_numpy(), mask.to_numpy()
        # every primary cell is hidden, and nothing hidden is pinned by the totals
        assert (h | ~suppressed_mask(pd.Series(v.ravel())).to_numpy().reshape(v.shape)).all()
        assert fixed_by_rank(v, h) == [], (t, mask)
        # and, with counts non-negative (scipy LP), each hidden cell has a real range
        for flat in np.flatnonzero(h.ravel()):
            lo, hi = lp_range(v, h, int(flat))
            assert hi - lo > 0.5


def test_totals_must_add_up() -> None:
    t = with_totals([[3, 8], [10, 12]])
    t.loc["r1", "total"] = 23
    with pytest.raises(ValueError, match="'total' is not the sum"):
        suppress_table(t, value_cols=list(t.columns), total_row=False, total_col=True)


def test_series_with_total() -> None:
    s = pd.Series([3, 9, 12, 0], index=["Barnet", "Brent", "Camden", "Ealing"], name="n")
    shown, mask = suppress_series_with_total(s, total=24, total_label="London")
    assert shown.to_dict() == {"Barnet": "<5", "Brent": "c", "Camden": 12, "Ealing": 0,
                               "London": 24}
    assert mask.tolist() == [True, True, False, False, False]


def test_series_two_small_cells_summing_low_get_a_third() -> None:
    s = pd.Series([1, 2, 30, 40])
    shown, _ = suppress_series_with_total(s)
    assert shown.tolist() == ["<5", "<5", "c", 40, 73]


def test_series_small_total_and_mismatch() -> None:
    shown, _ = suppress_series_with_total(pd.Series([1, 2, 0]))
    assert shown.tolist() == ["<5", "<5", 0, "<5"]
    with pytest.raises(ValueError, match="differs from the sum"):
        suppress_series_with_total(pd.Series([5, 6]), total=20)
