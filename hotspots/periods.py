"""Periods the way users count time: financial, project and calendar years.

Every period is a run of whole months, ``"YYYY-MM"`` to ``"YYYY-MM"``
inclusive, and every label shows its dates, e.g.
``"FY 2025/26 (Apr 2025 – Mar 2026)"``. The year start is a setting taken
from the :data:`YEAR_STARTS` registry (April financial year, May–April
project year, calendar year); comparisons (year on year, year to date against
the same months of the previous year, rolling "year ending", a quarter
against the same quarter a year earlier) come from the :data:`COMPARISONS`
registry.

Examples
--------
>>> year_period(2025, year_start="financial").label
'FY 2025/26 (Apr 2025 – Mar 2026)'
>>> cur, prev = comparison_periods("ytd", month="2025-09", year_start="financial")
>>> cur.label
'FY 2025/26 to date (Apr 2025 – Sep 2025)'
>>> prev.label
'FY 2024/25, same months (Apr 2024 – Sep 2024)'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "DEFAULT_LATEST_MONTHS",
    "COMPARISONS",
    "MONTH_NAMES",
    "YEAR_STARTS",
    "Comparison",
    "Period",
    "YearStart",
    "available_months",
    "check_month",
    "comparison_periods",
    "custom_period",
    "get_year_start",
    "month_range",
    "months_text",
    "previous_period",
    "quarter_period",
    "shift_month",
    "year_containing",
    "year_ending",
    "year_period",
    "ytd_windows",
]

#: Months in the default period of every entry point (page, command line, board pack): the
#: latest 12 months of the data.
DEFAULT_LATEST_MONTHS = 12

#: English month abbreviations (locale-independent), January first.
MONTH_NAMES: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DASH = "\u2013"  # en dash, as in "Apr 2025 – Mar 2026"


# --------------------------------------------------------------------------- months

def check_month(value: object, *, argument: str = "month") -> str:
    """Return ``value`` if it is a ``"YYYY-MM"`` month, else raise.

    Parameters
    ----------
    value
        Candidate month.
    argument
        Name used in the error message.

    Returns
    -------
    str
        The month, unchanged.

    Raises
    ------
    ValueError
        When ``value`` is not a string of the form ``"YYYY-MM"``.

    Examples
    --------
    >>> check_month("2025-04")
    '2025-04'
    """
    if not isinstance(value, str) or not _MONTH_RE.match(value):
        raise ValueError(
            f"{argument}={value!r} is not a month: use the form 'YYYY-MM', e.g. '2025-04'."
        )
    return value


def _index(month: str) -> int:
    """Month as a running number (year * 12 + month - 1)."""
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _pretty(month: str) -> str:
    """``"2025-04"`` -> ``"Apr 2025"``."""
    i = _index(month)
    return f"{MONTH_NAMES[i % 12]} {i // 12}"


def shift_month(month: str, months: int) -> str:
    """Return the month ``months`` later (earlier when negative).

    Examples
    --------
    >>> shift_month("2025-01", -1), shift_month("2025-11", 14)
    ('2024-12', '2027-01')
    """
    return _month(_index(check_month(month)) + months)


def month_range(start: str, end: str) -> tuple[str, ...]:
    """Return every month from ``start`` to ``end`` inclusive.

    Raises
    ------
    ValueError
        For a malformed month or an ``end`` before ``start``.

    Examples
    --------
    >>> month_range("2024-11", "2025-02")
    ('2024-11', '2024-12', '2025-01', '2025-02')
    """
    a, b = _index(check_month(start, argument="start")), _index(check_month(end, argument="end"))
    if b < a:
        raise ValueError(f"The period runs backwards: end {end} is before start {start}.")
    return tuple(_month(i) for i in range(a, b + 1))


def months_text(months: Iterable[str]) -> str:
    """Name a set of months compactly: runs of consecutive months, each with its year.

    Parameters
    ----------
    months
        ``"YYYY-MM"`` months, in any order (repeats ignored).

    Returns
    -------
    str
        Runs joined by ``", "``: one month as ``"Oct 2025"``, a run within a
        year as ``"Oct–Nov 2025"``, a run across years as ``"Nov 2025 – Jan
        2026"``; ``""`` for no months.

    Examples
    --------
    >>> months_text(["2025-10", "2025-11", "2026-02", "2026-03"])
    'Oct–Nov 2025, Feb–Mar 2026'
    >>> months_text(["2025-12", "2026-01", "2024-05"])
    'May 2024, Dec 2025 – Jan 2026'
    """
    index = sorted({_index(check_month(m)) for m in months})
    runs: list[list[int]] = []
    for i in index:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    out = []
    for a, b in runs:
        if a == b:
            out.append(_pretty(_month(a)))
        elif a // 12 == b // 12:
            out.append(f"{MONTH_NAMES[a % 12]}{_DASH}{MONTH_NAMES[b % 12]} {b // 12}")
        else:
            out.append(f"{_pretty(_month(a))} {_DASH} {_pretty(_month(b))}")
    return ", ".join(out)


# --------------------------------------------------------------------------- Period

@dataclass(frozen=True)
class Period:
    """A run of whole months with a name and optional caveats.

    Attributes
    ----------
    start, end
        First and last month, ``"YYYY-MM"``, inclusive.
    name
        What users call it, e.g. ``"FY 2025/26"`` or ``"Year ending Mar 2026"``.
    caveats
        Notes printed with every figure for this period (e.g. a change in
        recording practice).
    """

    start: str
    end: str
    name: str = ""
    caveats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        month_range(self.start, self.end)  # validates both months and their order
        if not self.name:
            object.__setattr__(self, "name", self.dates)

    @property
    def months(self) -> tuple[str, ...]:
        """Every month of the period, in order."""
        return month_range(self.start, self.end)

    @property
    def n_months(self) -> int:
        """Number of months in the period."""
        return _index(self.end) - _index(self.start) + 1

    @property
    def dates(self) -> str:
        """The dates, e.g. ``"Apr 2025 – Mar 2026"`` (one month: ``"Apr 2025"``)."""
        if self.start == self.end:
            return _pretty(self.start)
        return f"{_pretty(self.start)} {_DASH} {_pretty(self.end)}"

    @property
    def label(self) -> str:
        """Name and dates, e.g. ``"FY 2025/26 (Apr 2025 – Mar 2026)"``."""
        if self.name == self.dates:
            return self.dates
        return f"{self.name} ({self.dates})"

    @property
    def text(self) -> str:
        """The label followed by every caveat, for printing beside a figure."""
        if not self.caveats:
            return self.label
        return f"{self.label}. Caveat: {' '.join(self.caveats)}"

    def with_caveat(self, caveat: str) -> Period:
        """Return a copy with one more caveat."""
        return replace(self, caveats=(*self.caveats, caveat))

    def shifted(self, months: int, *, name: str = "") -> Period:
        """Return the period moved by ``months`` (caveats are not carried over)."""
        return Period(shift_month(self.start, months), shift_month(self.end, months), name)


def custom_period(start: str, end: str, *, name: str = "") -> Period:
    """Return a period from ``start`` to ``end`` (the dates are its name by default).

    Examples
    --------
    >>> custom_period("2025-06", "2025-08").label
    'Jun 2025 – Aug 2025'
    """
    return Period(start, end, name)


# --------------------------------------------------------------------------- year starts

@dataclass(frozen=True)
class YearStart:
    """One year-start convention of the registry.

    Attributes
    ----------
    key
        Registry key.
    start_month
        Month the year starts in (1 = January).
    label
        Plain-words name for a selectbox.
    name_format
        Name of the year starting in calendar year ``y``: a format string
        with ``{y}`` (start year), ``{y1}`` (start year + 1) and ``{yy}``
        (last two digits of ``y1``), e.g. ``"FY {y}/{yy}"``.
    """

    key: str
    start_month: int
    label: str
    name_format: str

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError(f"start_month={self.start_month} must be 1 (January) to 12.")

    def name(self, year: int) -> str:
        """Name of the year that starts in calendar year ``year``."""
        return self.name_format.format(y=year, y1=year + 1, yy=f"{(year + 1) % 100:02d}")

    def year_of(self, month: str) -> int:
        """Calendar year in which the year containing ``month`` starts."""
        i = _index(check_month(month))
        y, m = divmod(i, 12)
        return y if m + 1 >= self.start_month else y - 1


#: Year-start registry: key -> :class:`YearStart`. Selectboxes list these keys.
YEAR_STARTS: dict[str, YearStart] = {
    s.key: s
    for s in (
        YearStart("financial", 4, "Financial year (April to March)", "FY {y}/{yy}"),
        YearStart("project", 5, "Project year (May to April)", "Project year {y}/{yy}"),
        YearStart("calendar", 1, "Calendar year (January to December)", "{y}"),
    )
}

YearStartKey = Literal["financial", "project", "calendar"]


def get_year_start(year_start: str | YearStart) -> YearStart:
    """Look a year start up in :data:`YEAR_STARTS` (a :class:`YearStart` passes through).

    Raises
    ------
    ValueError
        For an unknown key, listing the valid ones.
    """
    if isinstance(year_start, YearStart):
        return year_start
    try:
        return YEAR_STARTS[year_start]
    except KeyError:
        raise ValueError(
            f"year_start={year_start!r} is unknown: use one of {sorted(YEAR_STARTS)} "
            "or pass a YearStart(key, start_month, label, name_format)."
        ) from None


def year_period(year: int, *, year_start: YearStartKey | YearStart = "financial") -> Period:
    """Return the year that starts in calendar year ``year``.

    Parameters
    ----------
    year
        Calendar year of the first month (2025 for FY 2025/26).
    year_start
        Key of :data:`YEAR_STARTS` or a :class:`YearStart`.

    Returns
    -------
    Period

    Examples
    --------
    >>> year_period(2024, year_start="project").label
    'Project year 2024/25 (May 2024 – Apr 2025)'
    >>> year_period(2025, year_start="calendar").label
    '2025 (Jan 2025 – Dec 2025)'
    """
    ys = get_year_start(year_start)
    start = f"{year:04d}-{ys.start_month:02d}"
    return Period(start, shift_month(start, 11), ys.name(year))


def year_containing(month: str, *, year_start: YearStartKey | YearStart = "financial") -> Period:
    """Return the whole year (of the given convention) that contains ``month``.

    Examples
    --------
    >>> year_containing("2026-02").label
    'FY 2025/26 (Apr 2025 – Mar 2026)'
    """
    ys = get_year_start(year_start)
    return year_period(ys.year_of(month), year_start=ys)


def year_ending(month: str, *, n_months: int = 12) -> Period:
    """Return the rolling period of ``n_months`` ending with ``month``.

    Examples
    --------
    >>> year_ending("2026-03").label
    'Year ending Mar 2026 (Apr 2025 – Mar 2026)'
    """
    if n_months < 1:
        raise ValueError(f"n_months={n_months} must be at least 1.")
    word = "Year" if n_months == 12 else f"{n_months} months"
    return Period(shift_month(month, 1 - n_months), month, f"{word} ending {_pretty(month)}")


def ytd_windows(
    month: str, *, year_start: YearStartKey | YearStart = "financial"
) -> tuple[Period, Period]:
    """Year to date through ``month``, and the same months of the previous year.

    Parameters
    ----------
    month
        Last month of the year-to-date window (``"YYYY-MM"``).
    year_start
        Key of :data:`YEAR_STARTS` or a :class:`YearStart`.

    Returns
    -------
    tuple of Period
        ``(current, previous)``, both the same number of months.

    Examples
    --------
    >>> cur, prev = ytd_windows("2026-01", year_start="calendar")
    >>> cur.label, prev.label
    ('2026 to date (Jan 2026)', '2025, same months (Jan 2025)')
    """
    ys = get_year_start(year_start)
    y = ys.year_of(month)
    start = f"{y:04d}-{ys.start_month:02d}"
    current = Period(start, month, f"{ys.name(y)} to date")
    previous = current.shifted(-12, name=f"{ys.name(y - 1)}, same months")
    return current, previous


def quarter_period(
    year: int, quarter: int, *, year_start: YearStartKey | YearStart = "financial"
) -> Period:
    """Return quarter ``quarter`` (1-4) of the year starting in ``year``.

    Examples
    --------
    >>> quarter_period(2025, 1).label
    'Q1 FY 2025/26 (Apr 2025 – Jun 2025)'
    """
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter={quarter!r} must be 1, 2, 3 or 4.")
    ys = get_year_start(year_start)
    start = shift_month(f"{year:04d}-{ys.start_month:02d}", 3 * (quarter - 1))
    return Period(start, shift_month(start, 2), f"Q{quarter} {ys.name(year)}")


def previous_period(
    period: Period, *, gap: Literal["adjacent", "year"] = "adjacent"
) -> Period:
    """Return the period to compare ``period`` with.

    Parameters
    ----------
    period
        The current period.
    gap
        ``"adjacent"``: the same number of months just before it;
        ``"year"``: the same months a year earlier.

    Returns
    -------
    Period

    Examples
    --------
    >>> p = custom_period("2025-06", "2025-08")
    >>> previous_period(p).label
    'previous 3 months (Mar 2025 – May 2025)'
    >>> previous_period(p, gap="year").label
    'same months a year earlier (Jun 2024 – Aug 2024)'
    """
    if gap == "adjacent":
        n = period.n_months
        # Lower case: the label is read inside sentences ("... compared with previous 3 months").
        return period.shifted(-n, name=f"previous {n} month{'s' if n != 1 else ''}")
    if gap == "year":
        return period.shifted(-12, name="same months a year earlier")
    raise ValueError(f"gap={gap!r} is unknown: use 'adjacent' or 'year'.")


# --------------------------------------------------------------------------- comparisons

@dataclass(frozen=True)
class Comparison:
    """One way of choosing a current period and the period it is compared with.

    Attributes
    ----------
    key
        Registry key.
    label
        Plain-words name for a selectbox.
    build
        ``build(month, year_start) -> (current, previous)``.
    """

    key: str
    label: str
    build: Callable[[str, YearStart], tuple[Period, Period]]


def _cmp_year(month: str, ys: YearStart) -> tuple[Period, Period]:
    cur = year_containing(month, year_start=ys)
    return cur, year_period(ys.year_of(month) - 1, year_start=ys)


def _cmp_ytd(month: str, ys: YearStart) -> tuple[Period, Period]:
    return ytd_windows(month, year_start=ys)


def _cmp_year_ending(month: str, ys: YearStart) -> tuple[Period, Period]:
    return year_ending(month), year_ending(shift_month(month, -12))


def _cmp_quarter(month: str, ys: YearStart) -> tuple[Period, Period]:
    y = ys.year_of(month)
    q = (_index(month) - _index(f"{y:04d}-{ys.start_month:02d}")) // 3 + 1
    return quarter_period(y, q, year_start=ys), quarter_period(y - 1, q, year_start=ys)


#: Comparison registry: key -> :class:`Comparison`.
COMPARISONS: dict[str, Comparison] = {
    c.key: c
    for c in (
        Comparison("year", "Whole year against the previous year", _cmp_year),
        Comparison("ytd", "Year to date against the same months of the previous year", _cmp_ytd),
        Comparison("year_ending", "12 months ending this month against the 12 before",
                   _cmp_year_ending),
        Comparison("quarter", "Quarter against the same quarter a year earlier", _cmp_quarter),
    )
}

ComparisonKey = Literal["year", "ytd", "year_ending", "quarter"]


def comparison_periods(
    kind: ComparisonKey,
    *,
    month: str,
    year_start: YearStartKey | YearStart = "financial",
) -> tuple[Period, Period]:
    """Return ``(current, previous)`` periods for a comparison of the registry.

    Parameters
    ----------
    kind
        Key of :data:`COMPARISONS`: ``"year"`` (the year containing
        ``month``), ``"ytd"`` (year start to ``month``), ``"year_ending"``
        (12 months ending ``month``) or ``"quarter"`` (the quarter containing
        ``month``); the previous period is always the same months a year
        earlier.
    month
        Reference month, ``"YYYY-MM"``.
    year_start
        Key of :data:`YEAR_STARTS` or a :class:`YearStart`.

    Returns
    -------
    tuple of Period

    Raises
    ------
    ValueError
        For an unknown ``kind`` or year start, or a malformed month.

    Examples
    --------
    >>> [p.label for p in comparison_periods("quarter", month="2025-05")]
    ['Q1 FY 2025/26 (Apr 2025 – Jun 2025)', 'Q1 FY 2024/25 (Apr 2024 – Jun 2024)']
    """
    try:
        comp = COMPARISONS[kind]
    except KeyError:
        raise ValueError(
            f"kind={kind!r} is unknown: use one of {sorted(COMPARISONS)}."
        ) from None
    return comp.build(check_month(month), get_year_start(year_start))


def available_months(months: Iterable[str] | Period) -> frozenset[str]:
    """Validate and return the months a source covers.

    Parameters
    ----------
    months
        Months (``"YYYY-MM"``) or a :class:`Period`.

    Returns
    -------
    frozenset of str

    Raises
    ------
    ValueError
        For a malformed month, a bare string, or an empty set.
    """
    if isinstance(months, Period):
        return frozenset(months.months)
    if isinstance(months, str):
        raise ValueError(
            f"months_available={months!r} is one string: pass a list of months, "
            "e.g. month_range('2024-04', '2026-03'), or a Period."
        )
    out = frozenset(check_month(m, argument="months_available") for m in months)
    if not out:
        raise ValueError("months_available is empty: say which months the source covers.")
    return out
