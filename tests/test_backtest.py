"""Rolling backtest and its metrics, on hand-built counts with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspots._errors import InputDataError
from hotspots.patrol.backtest import baseline_methods, rolling_backtest
from hotspots.patrol.metrics import (
    area_share,
    hit_rate,
    hit_rate_at_area_share,
    pai,
    rank_cells,
    rri,
    select_by_area_share,
    select_top_n,
)

CELLS = pd.Index([f"c{i:02d}" for i in range(10)], name="cell_id")


def ten_cells() -> pd.DataFrame:
    """10 equal cells; January picks c00, c01; February has 10 crimes, 6 in them."""
    jan = [5, 3, 1, 1, 1, 1, 1, 1, 1, 1]  # N_prev = 16, n_prev (c00 + c01) = 8
    feb = [4, 2, 1, 1, 1, 1, 0, 0, 0, 0]  # N = 10, n = 6
    return pd.DataFrame({"2025-01": jan, "2025-02": feb}, index=CELLS)


# --------------------------------------------------------------------------- metrics


def test_hand_computed_pai_hit_rate_rri():
    counts = ten_cells()
    area = pd.Series(1.0, index=CELLS)
    res = rolling_backtest(counts, baseline_methods(), area, train_months=1, area_share=0.2)
    row = res.per_month.iloc[0]
    assert (row["method"], row["test_month"], row["train_from"], row["train_to"]) == (
        "naive", "2025-02", "2025-01", "2025-01")
    assert row["n_cells"] == 2
    assert row["crimes"] == 10 and row["captured"] == 6
    assert row["hit_rate"] == pytest.approx(0.6)
    assert row["area_pct"] == pytest.approx(20.0)
    assert row["pai"] == pytest.approx(3.0)
    # RRI = (n_t / n_{t-1}) / (N_t / N_{t-1}) = (6 / 8) / (10 / 16) = 1.2
    assert row["rri"] == pytest.approx(1.2)
    # the same by top_n
    by_n = rolling_backtest(counts, baseline_methods(), area, train_months=1, top_n=2)
    assert by_n.per_month.iloc[0]["pai"] == pytest.approx(3.0)


def test_metric_functions_match_definitions():
    assert hit_rate(6, 10) == pytest.approx(0.6)
    assert area_share(2, 10) == pytest.approx(0.2)
    assert pai(6, 10, 2, 10) == pytest.approx(3.0)
    assert pai(1, 100, 50, 100) == pytest.approx(0.02)
    assert rri(6, 8, 10, 16) == pytest.approx(1.2)
    assert rri(3, 3, 20, 10) == pytest.approx(0.5)


@pytest.mark.parametrize("value", [
    hit_rate(0, 0), area_share(0, 0), pai(0, 0, 2, 10), pai(0, 10, 0, 10), pai(1, 10, 1, 0),
    rri(5, 0, 10, 10), rri(0, 5, 0, 10), rri(5, 5, 10, 0), rri(0, 0, 0, 0),
], ids=["hit N=0", "area A=0", "pai N=0", "pai a=0", "pai A=0", "rri n_prev=0", "rri N=0",
        "rri N_prev=0", "rri all 0"])
def test_zero_denominators_are_nan_never_inf(value):
    assert math.isnan(value)


# --------------------------------------------------------------------------- selection


def test_ranking_ties_by_cell_id_and_no_zero_or_nan():
    s = pd.Series([2.0, 5.0, 2.0, 0.0, -1.0, np.nan, 2.0], index=list("gbdaexc"))
    assert rank_cells(s).tolist() == ["b", "c", "d", "g"]
    assert select_top_n(s, 2).tolist() == ["b", "c"]
    assert select_top_n(s, 10).tolist() == ["b", "c", "d", "g"]  # only 4 score above 0


def test_area_share_selection_with_unequal_areas():
    scores = pd.Series([9, 8, 7, 1], index=list("abcd"))
    area = pd.Series([3.0, 1.0, 1.0, 5.0], index=list("abcd"))  # total 10
    assert select_by_area_share(scores, area, area_share=0.35).tolist() == ["a", "b"]  # 3 < 3.5
    assert select_by_area_share(scores, area, area_share=0.30).tolist() == ["a"]  # 3 >= 3
    assert select_by_area_share(scores, area, area_share=0.10).tolist() == ["a"]  # overshoot
    assert select_by_area_share(scores, area, area_share=0.5).tolist() == ["a", "b", "c"]
    assert select_by_area_share(scores, area, area_share=0.51).tolist() == list("abcd")
    # the backtest divides by the area actually chosen (a + b = 4 of 10)
    counts = pd.DataFrame({"2025-01": [9, 8, 7, 1], "2025-02": [2, 2, 0, 6]},
                          index=pd.Index(list("abcd"), name="cell_id"))
    row = rolling_backtest(counts, baseline_methods(), area, train_months=1,
                           area_share=0.35).per_month.iloc[0]
    assert row["area_pct"] == pytest.approx(40.0)
    assert row["hit_rate"] == pytest.approx(0.4)
    assert row["pai"] == pytest.approx(1.0)
    # at exactly 35%: a (area 3, 2 crimes) + half of b (area 0.5 of 1, 1 crime) = 3 / 10
    assert row["hit_rate_at_share"] == pytest.approx(0.3)


def test_hit_rate_at_area_share_interpolates_the_crossing_cell():
    s = pd.Series([3, 2, 1], index=list("abc"))
    obs = pd.Series([4, 2, 4], index=list("abc"))
    area = pd.Series([1.0, 1.0, 2.0], index=list("abc"))
    assert hit_rate_at_area_share(s, obs, area, area_share=0.25) == pytest.approx(0.4)
    assert hit_rate_at_area_share(s, obs, area, area_share=0.375) == pytest.approx(0.5)
    assert hit_rate_at_area_share(s, obs, area, area_share=1.0) == pytest.approx(1.0)
    assert math.isnan(hit_rate_at_area_share(s, obs * 0, area, area_share=0.5))


def test_custom_select_and_option_errors():
    counts, area = ten_cells(), pd.Series(1.0, index=CELLS)

    def last_three(scores: pd.Series, cell_area: pd.Series) -> pd.Index:
        return pd.Index(["c07", "c08", "c09"])

    row = rolling_backtest(counts, baseline_methods(), area, train_months=1,
                           select=last_three).per_month.iloc[0]
    assert row["n_cells"] == 3 and row["captured"] == 0 and row["pai"] == 0.0
    with pytest.raises(ValueError, match="top_n or select"):
        rolling_backtest(counts, baseline_methods(), area, train_months=1, top_n=2,
                         select=last_three)
    with pytest.raises(ValueError, match="area_share"):
        rolling_backtest(counts, baseline_methods(), area, train_months=1, area_share=0)
    with pytest.raises(ValueError, match="top_n"):
        rolling_backtest(counts, baseline_methods(), area, train_months=1, top_n=0)


# --------------------------------------------------------------------------- rolling window


def test_each_method_sees_only_the_k_months_before_the_test_month():
    months = ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
    counts = pd.DataFrame(np.arange(20).reshape(4, 5), index=list("abcd"), columns=months)
    seen: list[list[str]] = []

    def spy(train: pd.DataFrame) -> pd.Series:
        seen.append(list(train.columns))
        train.iloc[:, :] = -99  # a method cannot change the caller's counts
        return pd.Series(1.0, index=train.index)

    res = rolling_backtest(counts, {"spy": spy}, pd.Series(1.0, index=counts.index),
                           train_months=2)
    assert seen == [months[0:2], months[1:3], months[2:4]]
    assert res.per_month["test_month"].tolist() == months[2:]
    assert res.per_month["train_from"].tolist() == months[0:3]
    assert res.per_month["train_to"].tolist() == months[1:4]
    assert (counts.to_numpy() >= 0).all()


def test_summary_and_method_text():
    months = ["2025-01", "2025-02", "2025-03", "2025-04"]
    counts = pd.DataFrame({m: [6, 1, 1, 1, 1] for m in months},
                          index=pd.Index(list("abcde"), name="cell_id"))
    counts["2025-03"] = [1, 6, 1, 1, 1]
    res = rolling_backtest(counts, baseline_methods(), pd.Series(1.0, index=counts.index),
                           train_months=1, area_share=0.2)
    # picks a, a, b -> hit rates 0.6, 0.1, 0.1 with area 0.2 -> PAI 3.0, 0.5, 0.5
    assert res.per_month["pai"].tolist() == pytest.approx([3.0, 0.5, 0.5])
    s = res.summary.loc["naive"]
    assert s["months"] == 3 and s["months_pai"] == 3
    assert s["mean_pai"] == pytest.approx(4 / 3)
    assert s["median_pai"] == pytest.approx(0.5)
    assert (s["min_pai"], s["max_pai"]) == pytest.approx((0.5, 3.0))
    assert "2025-01 to 2025-04" in res.method_text and "median PAI 0.50" in res.method_text
    assert res.params["train_months"] == 1 and res.params["test_months"] == 3


def test_month_without_crime_gives_nan_not_a_crash():
    counts = ten_cells()
    counts["2025-03"] = 0
    counts["2025-04"] = counts["2025-02"]
    res = rolling_backtest(counts, baseline_methods(), pd.Series(1.0, index=CELLS),
                           train_months=1, area_share=0.2)
    m = res.per_month.set_index("test_month")
    assert math.isnan(m.loc["2025-03", "hit_rate"]) and math.isnan(m.loc["2025-03", "pai"])
    assert math.isnan(m.loc["2025-03", "rri"])
    # April is scored on cells chosen from an empty March: nothing chosen, PAI undefined
    assert m.loc["2025-04", "n_cells"] == 0 and math.isnan(m.loc["2025-04", "pai"])
    assert not np.isinf(res.per_month[["hit_rate", "pai", "rri"]].to_numpy(float)).any()
    assert res.summary.loc["naive", "months_pai"] == 1
    assert res.summary.loc["naive", "mean_pai"] == pytest.approx(3.0)


def test_undefined_pai_is_explained_in_words():
    """A method that never chooses a cell, and a month without crime: said, never 'undefined'."""
    counts = ten_cells()
    counts["2025-03"] = 0
    counts["2025-04"] = counts["2025-02"]
    never = {"never": lambda train: pd.Series(0.0, index=train.index)}
    res = rolling_backtest(counts, {**baseline_methods(), **never},
                           pd.Series(1.0, index=CELLS), train_months=1, area_share=0.2)
    text = res.method_text
    assert "undefined" not in text
    s = res.summary
    assert s.loc["never", "months_no_cells"] == 3 and s.loc["never", "months_no_crime"] == 1
    assert s.loc["naive", "months_no_cells"] == 1 and s.loc["naive", "months_no_crime"] == 1
    assert ("never: no PAI in any of the 3 held-out months (it chose no cell in any of them; "
            "1 month had no crime)") in text
    assert ("naive: median PAI 3.00 (range 3.00 to 3.00) over 1 of 3 held-out months (no PAI "
            "in 2: 1 without crime, 1 with no cell chosen), mean hit rate 30.0%") in text


# --------------------------------------------------------------------------- bad input


def test_gap_in_months_is_named():
    counts = ten_cells().rename(columns={"2025-02": "2025-04"})
    with pytest.raises(InputDataError, match=r"2025-01 is followed by 2025-04 \(missing "
                                             r"2025-02 to 2025-03\)"):
        rolling_backtest(counts, baseline_methods(), pd.Series(1.0, index=CELLS),
                         train_months=1)


@pytest.mark.parametrize("change, match", [
    (lambda c: c[["2025-02", "2025-01"]], "in order"),
    (lambda c: c.rename(columns={"2025-02": "Feb"}), "not a month"),
    (lambda c: c.assign(**{"2025-02": -1}), "numbers >= 0"),
    (lambda c: c[["2025-01"]], "at least 2"),
], ids=["unsorted", "not a month", "negative", "too few months"])
def test_bad_counts_raise(change, match):
    with pytest.raises(InputDataError, match=match):
        rolling_backtest(change(ten_cells()), baseline_methods(), pd.Series(1.0, index=CELLS),
                         train_months=1)


def test_bad_area_and_bad_method_raise():
    counts = ten_cells()
    with pytest.raises(InputDataError, match="no area for 1 cells"):
        rolling_backtest(counts, baseline_methods(), pd.Series(1.0, index=CELLS[:-1]),
                         train_months=1)
    with pytest.raises(TypeError, match="'arr' returned ndarray"):
        rolling_backtest(counts, {"arr": lambda t: t.to_numpy()[:, 0]},
                         pd.Series(1.0, index=CELLS), train_months=1)
    with pytest.raises(InputDataError, match="not in counts"):
        rolling_backtest(counts, {"extra": lambda t: pd.Series(1.0, index=["zz"])},
                         pd.Series(1.0, index=CELLS), train_months=1)
