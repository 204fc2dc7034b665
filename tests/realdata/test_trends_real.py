"""Change tables on real recorded crime, checked against independent pandas sums.

MPS ward-level crime (London Datastore, Mar 2024 - Mar 2026) read through the
project's reader, compared with a plain ``read_csv`` of the wide file; and the
committed demo pack (24 complete months, Apr 2024 - Mar 2026).
"""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots._errors import InputDataError
from hotspots.io import read_met_ward_crime
from hotspots.periods import comparison_periods, month_range, year_period
from hotspots.stats import trends as T

pytestmark = pytest.mark.realdata

MPS = "mps_ward_crime_2024-03_to_2026-03/MPS Ward Level Crime (most recent 24 months).csv.gz"
# 2024-03 is a partial month at the edge of the rolling window (47 offences): not covered.
COVERED = month_range("2024-04", "2026-03")


@pytest.fixture(scope="module")
def mps(shared_data):
    path = shared_data / MPS
    return read_met_ward_crime(path).frame, pd.read_csv(path)


def _wide_sum(wide: pd.DataFrame, by: str, months: tuple[str, ...]) -> pd.Series:
    cols = [m.replace("-", "") for m in months]
    return wide[cols].sum(axis=1).groupby(wide[by]).sum()


def test_fy_borough_totals_against_independent_groupby(mps):
    long, wide = mps
    cur, prev = year_period(2025), year_period(2024)
    t = T.compare_periods(long, cur, prev, months_available=COVERED, group="borough_name")
    assert t.title == ("FY 2025/26 (Apr 2025 – Mar 2026) compared with "
                       "FY 2024/25 (Apr 2024 – Mar 2025)")
    f = t.frame.set_index("borough_name")
    exp_cur = _wide_sum(wide, "LookUp_BoroughName", cur.months)
    exp_prev = _wide_sum(wide, "LookUp_BoroughName", prev.months)
    assert len(f) == 33 == len(exp_cur)
    pd.testing.assert_series_equal(f["count"].sort_index(), exp_cur.sort_index(),
                                   check_names=False, check_index_type=False)
    pd.testing.assert_series_equal(f["count_prev"].sort_index(), exp_prev.sort_index(),
                                   check_names=False, check_index_type=False)
    assert (f["change_abs"] == f["count"] - f["count_prev"]).all()
    pct = 100 * (exp_cur - exp_prev) / exp_prev
    assert f["change_pct"].sort_index().to_numpy() == pytest.approx(pct.sort_index().to_numpy())
    # competition ranks against pandas' own min-rank of the independent totals
    assert f["rank"].sort_index().tolist() == (
        exp_cur.rank(method="min", ascending=False).astype(int).sort_index().tolist())
    assert f["rank_prev"].sort_index().tolist() == (
        exp_prev.rank(method="min", ascending=False).astype(int).sort_index().tolist())
    assert (f["rank_move"] == f["rank_prev"] - f["rank"]).all()
    assert t.frame["rank"].is_monotonic_increasing
    assert f["count"].sum() == exp_cur.sum() and not t.incomplete
    # Aviation Security (SO18) is tiny: its percentage change may be on a small base,
    # every borough is far above it
    assert f.drop(index="Aviation Security (SO18)")["small_base"].sum() == 0


def test_ward_ytd_and_partial_month(mps):
    long, wide = mps
    cur, prev = comparison_periods("ytd", month="2025-09", year_start="financial")
    t = T.compare_periods(long, cur, prev, months_available=COVERED)
    f = t.frame.set_index("area_code")
    exp = _wide_sum(wide, "WardCode", cur.months)
    assert len(f) == 679
    assert (f["count"].sort_index() == exp.sort_index()).all()
    assert f["change_label"].str.match(r"^([+-][\d,]+ \([+-]\d+\.\d%\)|new|no change)$").all()
    # FY 2023/24 reaches before the data (and its last month is the partial 2024-03)
    # (none of its months is covered: said so, not "incomplete")
    with pytest.raises(InputDataError, match=r"FY 2023/24 \(Apr 2023 – Mar 2024\) is not in "
                                             r"the data: none of its 12 months"):
        T.compare_periods(long, year_period(2024), year_period(2023), months_available=COVERED)


def test_demo_pack_fy_comparison_and_seasonality(demo_dir):
    crime = pd.read_csv(demo_dir / "crime_ward_month.csv.gz", dtype={"month": str})
    months = tuple(sorted(crime["month"].unique()))
    assert months == COVERED
    cur, prev = comparison_periods("year", month="2026-03", year_start="financial")
    burglary = crime[crime["major"] == "BURGLARY"]
    t = T.compare_periods(burglary, cur, prev, months_available=months)
    f = t.frame.set_index("area_code")
    by_fy = burglary.assign(fy=burglary["month"].map(lambda m: "cur" if m >= "2025-04" else "prev"))
    exp = by_fy.groupby(["area_code", "fy"])["count"].sum().unstack(fill_value=0)
    assert (f["count"].reindex(exp.index) == exp["cur"]).all()
    assert (f["count_prev"].reindex(exp.index) == exp["prev"]).all()
    assert t.frame["rank"].iloc[0] == 1
    wide = T.seasonal_table(crime, months_available=months, year_start="financial")
    assert list(wide.columns) == ["FY 2024/25", "FY 2025/26"]
    assert wide.sum().tolist() == [
        crime.loc[crime["month"].isin(year_period(y).months), "count"].sum() for y in (2024, 2025)]
    cal = T.seasonal_table(crime, months_available=months, year_start="calendar")
    assert list(cal.columns) == ["2024", "2025", "2026"]
    assert cal["2024"].isna().sum() == 3 and cal["2026"].isna().sum() == 9
