"""Change and rank tables, points, seasonality: hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.periods import comparison_periods, custom_period, month_range, year_period
from hotspots.stats import trends as T

JAN, FEB = custom_period("2025-01", "2025-01"), custom_period("2025-02", "2025-02")
AVAILABLE = ["2025-01", "2025-02"]


def _long(rows):
    return pd.DataFrame(rows, columns=["area_code", "month", "count"])


@pytest.fixture
def counts():
    # previous (Jan) -> current (Feb), by hand:
    #   A 10 -> 12  (+2, +20.0%)       B  0 -> 3   new
    #   C  5 -> 0   (-5, -100.0%)      D  0 -> 0   no change
    #   E  4 -> 12  (+8, +200.0%)      F 40 -> 40  no change
    # A's February is split across two rows (e.g. two offence types): summed.
    return _long([
        ("A", "2025-01", 10), ("A", "2025-02", 7), ("A", "2025-02", 5),
        ("B", "2025-02", 3), ("C", "2025-01", 5), ("D", "2024-06", 9),
        ("E", "2025-01", 4), ("E", "2025-02", 12),
        ("F", "2025-01", 40), ("F", "2025-02", 40),
    ])


def test_change_table_hand_computed(counts):
    before = counts.copy()
    t = T.compare_periods(counts, FEB, JAN, months_available=AVAILABLE)
    pd.testing.assert_frame_equal(counts, before)  # input untouched
    f = t.frame.set_index("area_code")
    assert list(t.frame.columns) == ["area_code", *T.CHANGE_COLUMNS]
    assert f["count"].to_dict() == {"F": 40, "A": 12, "E": 12, "B": 3, "C": 0, "D": 0}
    assert f["count_prev"].to_dict() == {"F": 40, "A": 10, "E": 4, "B": 0, "C": 5, "D": 0}
    assert f["change_abs"].to_dict() == {"F": 0, "A": 2, "E": 8, "B": 3, "C": -5, "D": 0}
    assert f.loc["A", "change_pct"] == pytest.approx(20.0)
    assert f.loc["E", "change_pct"] == pytest.approx(200.0)
    assert f.loc["C", "change_pct"] == pytest.approx(-100.0)
    assert f.loc["F", "change_pct"] == 0.0
    assert math.isnan(f.loc["B", "change_pct"]) and math.isnan(f.loc["D", "change_pct"])
    assert np.isfinite(f["change_pct"].dropna()).all()  # never inf
    assert f["change_label"].to_dict() == {
        "F": "no change", "A": "+2 (+20.0%)", "E": "+8 (+200.0%)", "B": "new",
        "C": "-5 (-100.0%)", "D": "no change"}
    # Competition ranks ("1224"): current 40, 12, 12, 3, 0, 0 -> 1, 2, 2, 4, 5, 5
    assert f["rank"].to_dict() == {"F": 1, "A": 2, "E": 2, "B": 4, "C": 5, "D": 5}
    # previous 40, 10, 5, 4, 0, 0 -> F 1, A 2, C 3, E 4, B 5, D 5
    assert f["rank_prev"].to_dict() == {"F": 1, "A": 2, "E": 4, "B": 5, "C": 3, "D": 5}
    assert f["rank_move"].to_dict() == {"F": 0, "A": 0, "E": 2, "B": 1, "C": -2, "D": 0}
    assert str(f["rank"].dtype) == "Int64" and f["count"].dtype == "int64"
    # small base: previous count below 10 (0 included)
    assert f["small_base"].to_dict() == {
        "F": False, "A": False, "E": True, "B": True, "C": True, "D": True}
    assert not f["incomplete"].any() and not t.incomplete
    # sorted by rank, ties by group
    assert t.frame["area_code"].tolist() == ["F", "A", "E", "B", "C", "D"]
    assert t.title == "Feb 2025 compared with Jan 2025"


def test_small_base_threshold_is_configurable(counts):
    f = T.compare_periods(counts, FEB, JAN, months_available=AVAILABLE,
                          small_base=5).frame.set_index("area_code")
    assert f["small_base"].to_dict() == {
        "F": False, "A": False, "E": True, "B": True, "C": False, "D": True}


def test_groups_adds_areas_without_records(counts):
    f = T.compare_periods(counts, FEB, JAN, months_available=AVAILABLE,
                          groups=["A", "Z"]).frame.set_index("area_code")
    assert f.loc["Z", ["count", "count_prev", "rank", "rank_prev"]].tolist() == [0, 0, 5, 5]
    assert f.loc["Z", "change_label"] == "no change"
    assert len(f) == 7


def test_any_group_column_and_fractional_counts():
    df = pd.DataFrame({"borough": ["X", "X", "Y"], "month": ["2025-01", "2025-02", "2025-02"],
                       "n": [2.5, 4.0, 1.5]})
    t = T.compare_periods(df, FEB, JAN, months_available=AVAILABLE, group="borough",
                          count_col="n")
    f = t.frame.set_index("borough")
    assert f.loc["X", "change_label"] == "+1.5 (+60.0%)"
    assert f["count"].dtype == "float64"


def test_month_without_records_counts_zero_only_if_covered():
    df = _long([("A", "2025-01", 3), ("A", "2025-03", 4)])
    q = custom_period("2025-01", "2025-03")
    prev = custom_period("2024-10", "2024-12")
    cover = month_range("2024-10", "2025-03")
    t = T.compare_periods(df, q, prev, months_available=cover)  # Feb covered, no records: 0
    assert t.frame.loc[0, "count"] == 7 and t.frame.loc[0, "count_prev"] == 0
    # February not covered by the source: the period reaches beyond the data
    gap = [m for m in cover if m != "2025-02"]
    with pytest.raises(InputDataError, match=r"Jan 2025 – Mar 2025 is incomplete: the data do "
                                             r"not cover 1 of its 3 months \(Feb 2025\)"):
        T.compare_periods(df, q, prev, months_available=gap)


def test_incomplete_period_raises_or_is_flagged(counts):
    fy = year_period(2024)
    with pytest.raises(InputDataError, match=r"FY 2024/25 \(Apr 2024 – Mar 2025\) is "
                                             r"incomplete.*The data cover Jan–Feb 2025 "
                                             r"\(2 months\)"):
        T.compare_periods(counts, fy, year_period(2023), months_available=AVAILABLE)
    t = T.compare_periods(counts, FEB, custom_period("2024-12", "2025-01"),
                          months_available=AVAILABLE, incomplete="flag")
    assert t.incomplete and t.frame["incomplete"].all()
    assert "do not cover 1 of its 2 months (Dec 2024)" in t.notes[0]
    assert t.frame.set_index("area_code").loc["A", "count_prev"] == 10  # covered months only


def test_ytd_against_same_months_previous_year():
    rows = []
    for m in month_range("2024-04", "2025-09"):
        rows.append(("A", m, 1))
        rows.append(("B", m, 2 if m >= "2025-04" else 1))
    df = _long(rows)
    cur, prev = comparison_periods("ytd", month="2025-09", year_start="financial")
    t = T.compare_periods(df, cur, prev, months_available=month_range("2024-04", "2025-09"))
    f = t.frame.set_index("area_code")
    assert f.loc["A", ["count", "count_prev"]].tolist() == [6, 6]  # Apr-Sep each year
    assert f.loc["B", ["count", "count_prev", "change_label"]].tolist() == [12, 6,
                                                                          "+6 (+100.0%)"]
    assert t.title == ("FY 2025/26 to date (Apr 2025 – Sep 2025) compared with "
                       "FY 2024/25, same months (Apr 2024 – Sep 2024)")


def test_caveats_travel_with_the_table(counts):
    jan = JAN.with_caveat("New recording system from 2025-01.")
    t = T.compare_periods(counts, FEB, jan, months_available=AVAILABLE)
    assert any("New recording system" in n for n in t.notes)
    assert any("below 10" in n for n in t.notes)


def test_callouts_name_the_percentage_riser_too(counts):
    t = T.compare_periods(counts.assign(count=counts["count"] * 10), FEB, JAN,
                          months_available=AVAILABLE)
    c = T.callouts(t)
    assert c["top"] == "Highest: F with 400 (Feb 2025)."
    assert c["largest_rise"] == "Largest rise: E, +80 (+200.0%)."
    assert c["largest_pct_rise"].endswith("E, +80 (+200.0%).")
    assert c["largest_fall"] == "Largest fall: C, -50 (-100.0%)."
    assert c["new"] == "New (none in the previous period): 1 (B)."
    # With the original counts E is on a small base: the % callout skips it
    c2 = T.callouts(T.compare_periods(counts, FEB, JAN, months_available=AVAILABLE))
    assert c2["largest_pct_rise"].endswith("A, +2 (+20.0%).")


@pytest.mark.parametrize(
    ("now", "before", "label"),
    [(60, 50, "+10 (+20.0%)"), (3, 0, "new"), (0, 0, "no change"), (7, 7, "no change"),
     (0, 4, "-4 (-100.0%)"), (1500, 1000, "+500 (+50.0%)"), (12000, 10000, "+2,000 (+20.0%)"),
     (float("nan"), 3, "no data")],
)
def test_change_label(now, before, label):
    assert T.change_label(now, before) == label


def test_points_are_points_not_percent():
    assert T.points_label(0.54, 0.46) == "+8.0 percentage points (from 46.0% to 54.0%)"
    assert T.points_label(45.0, 46.0, scale="percent") == (
        "-1.0 percentage point (from 46.0% to 45.0%)")
    assert T.points_label(0.5, 0.5) == "no change (50.0%)"
    out = T.points_change(pd.Series([0.54, 0.30], index=["x", "y"]),
                          pd.Series([0.46, 0.35], index=["x", "y"]))
    assert out["change_points"].round(10).tolist() == [8.0, -5.0]
    assert out.loc["y", "change_label"] == "-5.0 percentage points (from 35.0% to 30.0%)"
    assert "per cent" not in " ".join(out["change_label"])


def test_seasonal_table_wide_and_long():
    df = pd.DataFrame({"month": ["2024-04", "2024-05", "2025-04", "2025-04"],
                       "count": [5, 6, 3, 4]})
    cover = month_range("2024-04", "2025-05")
    wide = T.seasonal_table(df, months_available=cover, year_start="financial")
    assert list(wide.columns) == ["FY 2024/25", "FY 2025/26"]
    assert wide.index[:3].tolist() == ["Apr", "May", "Jun"] and wide.index[-1] == "Mar"
    assert wide.loc["Apr"].tolist() == [5.0, 7.0]
    assert wide.loc["May"].tolist() == [6.0, 0.0]      # covered, no records: 0
    assert wide.loc["Jun", "FY 2024/25"] == 0.0
    assert math.isnan(wide.loc["Jun", "FY 2025/26"])   # not covered: no data, not 0
    long = T.seasonal_table(df, months_available=cover, year_start="calendar", layout="long")
    assert list(long.columns) == ["year", "year_label", "month_of_year", "month_name",
                                  "month", "count", "available"]
    assert long["year"].unique().tolist() == [2024, 2025]
    assert len(long) == 24 and long["available"].sum() == 14
    assert long.loc[long["month"] == "2025-04", "count"].item() == 7.0
    assert long["year_label"].iloc[0] == "2024 (Jan 2024 – Dec 2024)"


# --------------------------------------------------------------------------- errors

def test_errors(counts):
    kw = {"months_available": AVAILABLE}
    with pytest.raises(ColumnMappingError, match=r"lacks column\(s\) \['area_code'\]"):
        T.compare_periods(counts.drop(columns="area_code"), FEB, JAN, **kw)
    bad = counts.copy()
    bad.loc[0, "month"] = "Jan 2025"
    with pytest.raises(InputDataError, match=r"1 row\(s\) with a month not of the form"):
        T.compare_periods(bad, FEB, JAN, **kw)
    bad = counts.copy()
    bad.loc[0, "count"] = -1
    with pytest.raises(InputDataError, match=r"1 row\(s\) with a negative 'count'"):
        T.compare_periods(bad, FEB, JAN, **kw)
    bad = counts.astype({"count": float})
    bad.loc[0, "count"] = np.nan
    with pytest.raises(InputDataError, match=r"missing or non-numeric 'count'"):
        T.compare_periods(bad, FEB, JAN, **kw)
    bad = counts.copy()
    bad.loc[0, "area_code"] = None
    with pytest.raises(InputDataError, match=r"1 row\(s\) with no 'area_code'"):
        T.compare_periods(bad, FEB, JAN, **kw)
    with pytest.raises(ValueError, match="incomplete='skip' is unknown"):
        T.compare_periods(counts, FEB, JAN, incomplete="skip", **kw)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is one string"):
        T.compare_periods(counts, FEB, JAN, months_available="2025-01")
    with pytest.raises(ValueError, match="scale='ratio' is unknown"):
        T.points_label(0.1, 0.2, scale="ratio")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scale='ratio' is unknown"):
        T.points_change(pd.Series([0.1]), pd.Series([0.2]), scale="ratio")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must have the same index"):
        T.points_change(pd.Series([0.1], index=[1]), pd.Series([0.2], index=[2]))
    with pytest.raises(ValueError, match="layout='tall' is unknown"):
        T.seasonal_table(counts, months_available=AVAILABLE, layout="tall")  # type: ignore[arg-type]
    with pytest.raises(ColumnMappingError, match=r"lacks column\(s\) \['n'\]"):
        T.seasonal_table(counts, months_available=AVAILABLE, count_col="n")


def test_empty_and_all_zero_tables():
    empty = _long([]).astype({"count": "int64"})
    t = T.compare_periods(empty, FEB, JAN, months_available=AVAILABLE)
    assert t.frame.empty and list(t.frame.columns) == ["area_code", *T.CHANGE_COLUMNS]
    assert T.callouts(t) == {} and not t.incomplete
    z = T.compare_periods(empty, FEB, JAN, months_available=AVAILABLE, groups=["A", "B"])
    assert z.frame["rank"].tolist() == [1, 1] and z.frame["change_label"].tolist() == [
        "no change", "no change"]
    assert T.callouts(z) == {}  # no "Highest: A with 0"


def test_incomplete_message_has_no_parameter_names(counts):
    """The page shows this message: plain words, the API hint only as an exception note."""
    with pytest.raises(InputDataError) as info:
        T.compare_periods(counts, year_period(2024), year_period(2023),
                          months_available=AVAILABLE)
    text = str(info.value)
    assert "incomplete=" not in text and "'flag'" not in text
    assert "Choose periods that lie inside the data" in text
    assert any("incomplete='flag'" in n for n in info.value.__notes__)


@pytest.mark.parametrize("value", [None, np.nan, pd.NA, pd.NaT, "12", " 8 ", "", "abc", 3, 4.5,
                                   np.int64(7), np.float32(2.5)])
def test_change_words_reads_values_as_pandas_to_numeric_does(value):
    ref = float(pd.to_numeric(pd.Series([value], dtype=object), errors="coerce").iloc[0])
    got = T._as_float(value)
    assert (np.isnan(ref) and np.isnan(got)) or got == ref
    assert T.change_words(value, 4) == ("no data" if np.isnan(ref) else
                                        T.change_words(ref, 4.0))


def test_period_wholly_outside_the_data_says_so_plainly():
    """It read 'the data do not cover 4 of its 4 months ...; its count covers the other 0 only'."""
    df = _long([("A", "2025-01", 3), ("A", "2025-03", 4)])
    q = custom_period("2025-01", "2025-03")
    prev = custom_period("2024-01", "2024-03")
    with pytest.raises(InputDataError) as e:
        T.compare_periods(df, q, prev, months_available=month_range("2025-01", "2025-03"))
    msg = str(e.value)
    assert "Jan 2024 – Mar 2024 is not in the data: none of its 3 months (Jan–Mar 2024) are " \
           "covered." in msg
    assert "the other 0" not in msg

    one = custom_period("2024-03", "2024-03")
    with pytest.raises(InputDataError, match=r"Mar 2024 is not in the data: its month "
                                             r"\(Mar 2024\) is not covered\."):
        T.compare_periods(df, q, one, months_available=month_range("2025-01", "2025-03"))
