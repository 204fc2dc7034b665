"""Spearman's rho with IMD uses only what is published (issue 13: suppressed counts).

Referral counts from 1 to 4 are hidden everywhere, but rho over the raw counts moved
with their order: on the demo's synthetic referrals the printed (2-decimal) rho per
borough differed in 31 of 33 boroughs between the raw counts and the hidden ones tied.
Now a hidden count enters as the middle of its range (2.5). Reference: scipy's
``spearmanr`` on the published values, and invariance: changing the hidden counts
within 1 to 4 leaves every rho unchanged.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from hotspots import pipeline
from hotspots.pipeline.analysis import StatsParams, analyse


@pytest.fixture(scope="module")
def demo():
    return pipeline.load_pack(None)


def _sel(pack, rate="count"):
    months = sorted(pack.referrals["month"].unique())
    return pipeline.Selection("referrals:all", months[-12], months[-1], rate=rate)


@pytest.mark.parametrize("rate", ["count", "per_1000"])
def test_rho_is_scipy_on_the_published_values(demo, rate):
    wt = pipeline.ward_table(demo, _sel(demo, rate))
    t = wt.frame
    hidden = t["suppressed"].astype(bool)
    assert hidden.sum() > 100
    mid = 2.5 if rate == "count" else 2.5 / t["population"] * 1000
    published = t["value"].where(~hidden, mid)
    ok = published.notna() & t["imd_score"].notna()
    want = spearmanr(published[ok], t.loc[ok, "imd_score"]).statistic
    assert wt.spearman.rho == pytest.approx(want, abs=1e-12)
    raw = spearmanr(t.loc[ok, "value"], t.loc[ok, "imd_score"]).statistic
    assert abs(raw - want) > 0.01  # the raw counts would have printed another rho


def test_hidden_counts_do_not_move_any_rho(demo):
    sel = _sel(demo)
    params = StatsParams(permutations=99)
    a = analyse(demo, sel, params)
    refs = demo.referrals
    wt = pipeline.ward_table(demo, sel)
    hidden = set(wt.frame.loc[wt.frame["suppressed"].astype(bool), "area_code"])
    # every hidden ward gets one more record (still within 1 to 4 where it had 1 to 3)
    in_period = refs["month"].between(sel.month_from, sel.month_to)
    counts = wt.frame.set_index("area_code")["count"]
    grow = sorted(c for c in hidden if counts[c] <= 3)
    extra = refs[in_period & refs["area_code"].isin(grow)].drop_duplicates("area_code")
    assert len(extra) > 50
    changed = dataclasses.replace(demo, referrals=pd.concat([refs, extra], ignore_index=True))
    b = analyse(changed, sel, params)
    assert b.ward.spearman.rho == pytest.approx(a.ward.spearman.rho, abs=1e-12)
    pd.testing.assert_series_equal(a.by_borough["rho"], b.by_borough["rho"])
    assert np.isfinite(a.by_borough["rho"]).sum() > 20
