"""Year starts, period labels with dates, YTD windows and comparison periods."""

from __future__ import annotations

import pytest

from hotspots import periods as P


@pytest.mark.parametrize(
    ("year_start", "year", "label", "start", "end"),
    [
        ("financial", 2025, "FY 2025/26 (Apr 2025 – Mar 2026)", "2025-04", "2026-03"),
        ("project", 2024, "Project year 2024/25 (May 2024 – Apr 2025)", "2024-05", "2025-04"),
        ("calendar", 2025, "2025 (Jan 2025 – Dec 2025)", "2025-01", "2025-12"),
        ("financial", 1999, "FY 1999/00 (Apr 1999 – Mar 2000)", "1999-04", "2000-03"),
    ],
    ids=["april", "may", "january", "century"],
)
def test_year_labels_show_dates(year_start, year, label, start, end):
    p = P.year_period(year, year_start=year_start)
    assert p.label == label
    assert (p.start, p.end, p.n_months) == (start, end, 12)
    assert p.months[0] == start and p.months[-1] == end and len(p.months) == 12


@pytest.mark.parametrize(
    ("month", "year_start", "name"),
    [
        ("2025-03", "financial", "FY 2024/25"),
        ("2025-04", "financial", "FY 2025/26"),
        ("2025-04", "project", "Project year 2024/25"),
        ("2025-05", "project", "Project year 2025/26"),
        ("2025-01", "calendar", "2025"),
        ("2025-12", "calendar", "2025"),
    ],
)
def test_year_containing_edges(month, year_start, name):
    p = P.year_containing(month, year_start=year_start)
    assert p.name == name
    assert p.start <= month <= p.end


def test_custom_year_start_object():
    ys = P.YearStart("academic", 9, "Academic year (September to August)", "AY {y}/{yy}")
    assert P.year_period(2025, year_start=ys).label == "AY 2025/26 (Sep 2025 – Aug 2026)"
    assert P.get_year_start(ys) is ys


def test_year_start_registry_keys():
    assert set(P.YEAR_STARTS) == {"financial", "project", "calendar"}
    assert {k: v.start_month for k, v in P.YEAR_STARTS.items()} == {
        "financial": 4, "project": 5, "calendar": 1}


@pytest.mark.parametrize(
    ("month", "year_start", "cur", "prev"),
    [
        ("2025-09", "financial", "FY 2025/26 to date (Apr 2025 – Sep 2025)",
         "FY 2024/25, same months (Apr 2024 – Sep 2024)"),
        ("2025-04", "financial", "FY 2025/26 to date (Apr 2025)",
         "FY 2024/25, same months (Apr 2024)"),
        ("2026-02", "project", "Project year 2025/26 to date (May 2025 – Feb 2026)",
         "Project year 2024/25, same months (May 2024 – Feb 2025)"),
        ("2025-06", "calendar", "2025 to date (Jan 2025 – Jun 2025)",
         "2024, same months (Jan 2024 – Jun 2024)"),
    ],
    ids=["fy-sep", "fy-first-month", "project-across-new-year", "calendar"],
)
def test_ytd_windows_compare_the_same_months(month, year_start, cur, prev):
    c, p = P.ytd_windows(month, year_start=year_start)
    assert (c.label, p.label) == (cur, prev)
    assert c.n_months == p.n_months
    assert [m[5:] for m in c.months] == [m[5:] for m in p.months]
    assert all(int(a[:4]) - int(b[:4]) == 1 for a, b in zip(c.months, p.months, strict=True))


def test_year_ending_and_its_comparison():
    c, p = P.comparison_periods("year_ending", month="2026-03")
    assert c.label == "Year ending Mar 2026 (Apr 2025 – Mar 2026)"
    assert p.label == "Year ending Mar 2025 (Apr 2024 – Mar 2025)"
    assert P.year_ending("2026-01", n_months=3).label == (
        "3 months ending Jan 2026 (Nov 2025 – Jan 2026)")


def test_comparison_registry():
    assert set(P.COMPARISONS) == {"year", "ytd", "year_ending", "quarter"}
    c, p = P.comparison_periods("year", month="2026-01", year_start="financial")
    assert (c.name, p.name) == ("FY 2025/26", "FY 2024/25")
    c, p = P.comparison_periods("quarter", month="2026-02", year_start="financial")
    assert c.label == "Q4 FY 2025/26 (Jan 2026 – Mar 2026)"
    assert p.label == "Q4 FY 2024/25 (Jan 2025 – Mar 2025)"
    c, p = P.comparison_periods("quarter", month="2025-07", year_start="project")
    assert c.label == "Q1 Project year 2025/26 (May 2025 – Jul 2025)"


def test_previous_period_adjacent_and_year():
    p = P.custom_period("2025-01", "2025-03")
    assert P.previous_period(p).label == "previous 3 months (Oct 2024 – Dec 2024)"
    assert P.previous_period(p, gap="year").label == (
        "same months a year earlier (Jan 2024 – Mar 2024)")
    one = P.custom_period("2025-01", "2025-01", name="January")
    assert P.previous_period(one).label == "previous 1 month (Dec 2024)"


def test_month_helpers():
    assert P.shift_month("2025-01", -13) == "2023-12"
    assert P.month_range("2025-12", "2026-01") == ("2025-12", "2026-01")
    assert P.month_range("2025-05", "2025-05") == ("2025-05",)


def test_caveats_are_printed_with_the_period():
    p = P.year_period(2024).with_caveat("Recording practice changed in Oct 2024.")
    assert p.caveats == ("Recording practice changed in Oct 2024.",)
    assert p.text == ("FY 2024/25 (Apr 2024 – Mar 2025). Caveat: Recording practice "
                      "changed in Oct 2024.")
    assert P.year_period(2024).text == P.year_period(2024).label  # original untouched


def test_available_months():
    assert P.available_months(P.custom_period("2025-01", "2025-02")) == {"2025-01", "2025-02"}
    assert P.available_months(["2025-01"]) == {"2025-01"}


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("bad", ["2025-13", "2025-4", "202504", "April 2025", 202504, None])
def test_check_month_rejects(bad):
    with pytest.raises(ValueError, match="is not a month: use the form 'YYYY-MM'"):
        P.check_month(bad)


def test_errors():
    with pytest.raises(ValueError, match="period runs backwards: end 2025-01 is before start"):
        P.month_range("2025-03", "2025-01")
    with pytest.raises(ValueError, match="period runs backwards"):
        P.Period("2025-03", "2025-01")
    with pytest.raises(ValueError, match=r"year_start='fiscal' is unknown: use one of \["):
        P.year_period(2025, year_start="fiscal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start_month=13 must be 1"):
        P.YearStart("x", 13, "x", "{y}")
    with pytest.raises(ValueError, match="quarter=5 must be 1, 2, 3 or 4"):
        P.quarter_period(2025, 5)
    with pytest.raises(ValueError, match="n_months=0 must be at least 1"):
        P.year_ending("2025-01", n_months=0)
    with pytest.raises(ValueError, match="gap='month' is unknown"):
        P.previous_period(P.year_period(2025), gap="month")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"kind='decade' is unknown: use one of \['quarter'"):
        P.comparison_periods("decade", month="2025-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="month='2025/01' is not a month"):
        P.comparison_periods("ytd", month="2025/01")
    with pytest.raises(ValueError, match="is one string: pass a list of months"):
        P.available_months("2025-01")
    with pytest.raises(ValueError, match="months_available is empty"):
        P.available_months([])
    with pytest.raises(ValueError, match="months_available='2025-1' is not a month"):
        P.available_months(["2025-1"])


# --------------------------------------------------------------------------- month lists


@pytest.mark.parametrize(
    ("months", "text"),
    [
        (["2025-10", "2025-11", "2026-02", "2026-03"], "Oct–Nov 2025, Feb–Mar 2026"),
        (["2025-10"], "Oct 2025"),
        (["2025-01", "2025-03"], "Jan 2025, Mar 2025"),
        (["2025-11", "2025-12", "2026-01"], "Nov 2025 – Jan 2026"),
        (["2026-03", "2025-10", "2025-10"], "Oct 2025, Mar 2026"),  # unsorted, repeated
        ([], ""),
    ],
    ids=["two-runs", "one", "gaps", "across-years", "unsorted", "none"],
)
def test_months_text_names_every_month_compactly(months, text):
    assert P.months_text(months) == text


def test_incomplete_period_note_names_the_missing_months():
    from ui.sidebar import _incomplete

    fy = P.year_period(2025)  # Apr 2025 - Mar 2026
    have = [m for m in fy.months if m not in ("2025-10", "2025-11", "2026-02", "2026-03")]
    note = _incomplete(fy, have, "the referrals")
    assert "4 of its 12 months (Oct–Nov 2025, Feb–Mar 2026)" in note
    assert "Oct 2025 to Mar 2026" not in note
