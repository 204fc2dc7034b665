"""Deprivation association and concentration: scipy, hand-computed and second formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.stats import association as A
from hotspots.stats import inequality as inequality
from hotspots.stats import spearman


@pytest.fixture
def wards():
    rng = np.random.default_rng(20261123)
    n = 60
    score = rng.uniform(5, 60, n).round(1)
    count = rng.poisson(score / 4)
    borough = np.repeat(["Lambeth", "Brent", "Ealing", "Sutton"], [25, 20, 8, 7])
    df = pd.DataFrame({"area_code": [f"W{i:03d}" for i in range(n)], "borough_name": borough,
                       "count": count, "imd_score": score})
    df.loc[3, "imd_score"] = np.nan       # an area without a score
    df.loc[10, "borough_name"] = None     # an area without a borough
    return df


# --------------------------------------------------------------------------- Spearman

def test_spearman_by_group_against_scipy(wards):
    before = wards.copy()
    out = A.spearman_by_group(wards, measure="count", by="borough_name")
    pd.testing.assert_frame_equal(wards, before)
    assert list(out.columns) == A.SPEARMAN_COLUMNS
    assert out["group"].tolist() == ["All areas", "Brent", "Ealing", "Lambeth", "Sutton"]
    ok = wards.dropna(subset=["imd_score"])
    for _, row in out.iterrows():
        sub = ok if row["group"] == "All areas" else ok[ok["borough_name"] == row["group"]]
        ref = sps.spearmanr(sub["count"], sub["imd_score"])
        assert row["n"] == len(sub)
        assert row["rho"] == pytest.approx(ref.statistic, abs=1e-12)
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
        own = spearman(sub["count"], sub["imd_score"])
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((own.ci_low, own.ci_high))
        assert row["ci_low"] < row["rho"] < row["ci_high"]
        assert row["wording"] == own.wording and row["text"] == own.text
        assert row["small_n"] == (len(sub) < 10)
        assert row["n_zero"] == int((sub["count"] == 0).sum())
    # the area without a borough counts overall only
    assert out["n"].iloc[0] == 59 and out["n"].iloc[1:].sum() == 58
    assert out.set_index("group")["small_n"].to_dict() == {
        "All areas": False, "Brent": False, "Ealing": True, "Lambeth": False, "Sutton": True}


def test_spearman_overall_only_and_small_n_threshold(wards):
    out = A.spearman_by_group(wards, measure="count", small_n=100, overall_label="London")
    assert out["group"].tolist() == ["London"] and bool(out["small_n"].iloc[0])


def test_spearman_tiny_group_is_nan_not_error():
    df = pd.DataFrame({"b": ["x"] * 3, "m": [1, 2, 3], "imd_score": [3.0, 2.0, 1.0]})
    out = A.spearman_by_group(df, measure="m", by="b")
    assert out["n"].tolist() == [3, 3] and out["rho"].isna().all()
    assert out["wording"].tolist() == ["not defined", "not defined"]


# --------------------------------------------------------------------------- most deprived

@pytest.fixture
def ten():
    # Scores 100, 90, ..., 10 (ranks 1..10; the 20% most deprived are P and Q).
    return pd.DataFrame({
        "area_code": list("PQRSTUVWXY"),
        "imd_score": [100.0, 90, 80, 70, 60, 50, 40, 30, 20, 10],
        "count": [9, 5, 0, 7, 1, 6, 0, 0, 5, 2],
        "population": [1000] * 10,
        "nat_decile": [1, 1, 1, 2, 2, 3, 5, 7, 9, 10],
    })


def test_share_in_most_deprived_layer_by_hand(ten):
    r = A.share_in_most_deprived(ten, measure="count", min_count=5, layer_name="London")
    # Qualifying (>= 5): P, Q, S, U, X -> 5 areas; in the top 20% (P, Q) -> 2; 2/5 = 40%
    assert (r.n_qualifying, r.n_in_most_deprived, r.share) == (5, 2, pytest.approx(0.4))
    assert r.reference == "layer" and r.n_reference == 10
    assert r.text == (
        "40% of wards with 5 or more referrals (2 of 5) fall into the 20% most deprived wards "
        "by IMD, relative to the 10 wards of London with an IMD score (London-relative "
        "quantile of wards' scores, not England's national deciles).")


def test_share_in_most_deprived_national_deciles(ten):
    r = A.share_in_most_deprived(ten, measure="count", reference="national_decile",
                                 decile_col="nat_decile")
    # deciles 1-2 (England's 20% most deprived): P, Q, R, S, T; qualifying among them P, Q, S
    assert (r.n_qualifying, r.n_in_most_deprived) == (5, 3)
    assert "England's national IMD deciles (column 'nat_decile'" in r.text
    assert "England's national IMD deciles" in r.reference_text


def test_share_ties_at_the_boundary_are_all_in(ten):
    df = ten.assign(imd_score=[100.0, 90, 90, 70, 60, 50, 40, 30, 20, 10])
    # Q and R tie at rank 2 <= 0.2 * 10: both in
    r = A.share_in_most_deprived(df, measure="count", min_count=0)
    assert r.n_in_most_deprived == 3


def test_share_leaves_out_areas_without_score(ten):
    df = ten.copy()
    df.loc[0, "imd_score"] = np.nan
    r = A.share_in_most_deprived(df, measure="count", min_count=5)
    # 9 scored areas: top 20% = rank <= 1.8 -> Q only
    assert (r.n_reference, r.n_qualifying, r.n_in_most_deprived, r.n_without_reference) == (
        9, 4, 1, 1)
    assert r.text.endswith(
        "Left out for want of an IMD value: 1 of the wards with 5 or more referrals.")
    none = A.share_in_most_deprived(ten, measure="count", min_count=50)
    assert math.isnan(none.share) and none.text.startswith("No wards have 50 or more")


def test_decile_table_by_hand(ten):
    before = ten.copy()
    t = A.decile_table(ten, measure="count")
    pd.testing.assert_frame_equal(ten, before)
    assert list(t.columns) == ["decile", "decile_label", "areas", "count", "share_of_count",
                               "population", "rate_per_1000"]
    assert t["decile"].tolist() == list(range(1, 11))
    assert t["areas"].tolist() == [1] * 10
    assert t["count"].tolist() == [9, 5, 0, 7, 1, 6, 0, 0, 5, 2]
    assert t["share_of_count"].sum() == pytest.approx(1.0)
    assert t["share_of_count"].iloc[0] == pytest.approx(9 / 35)
    assert t["rate_per_1000"].iloc[0] == pytest.approx(9.0)
    assert t["decile_label"].iloc[0] == "1, most deprived 10%, this layer"
    assert t["decile_label"].iloc[9] == "10, least deprived 10%, this layer"


def test_decile_table_national_no_score_row_and_zero_deciles(ten):
    df = ten.copy()
    df.loc[9, "nat_decile"] = np.nan
    df.loc[0, "population"] = 0  # P counts, but not in the rate
    t = A.decile_table(df, measure="count", reference="national_decile",
                       decile_col="nat_decile", nation="England")
    assert len(t) == 11 and pd.isna(t["decile"].iloc[-1])
    assert t["decile_label"].iloc[-1] == "no IMD value"
    assert t["decile_label"].iloc[0] == "1, most deprived 10%, England, national"
    row1 = t.iloc[0]
    assert (row1["areas"], row1["count"], row1["population"]) == (3, 14, 2000)
    assert row1["rate_per_1000"] == pytest.approx(1000 * 5 / 2000)  # P left out of the rate
    assert t.loc[t["decile"] == 4, ["areas", "count"]].iloc[0].tolist() == [0, 0]
    assert math.isnan(t.loc[t["decile"] == 4, "rate_per_1000"].iloc[0])
    assert t["count"].sum() == df["count"].sum()
    assert "population" not in A.decile_table(df, measure="count", population=None).columns


def test_layer_deciles_agree_with_the_quantile_rule(wards):
    t = A.decile_table(wards, measure="count", population=None)
    r = A.share_in_most_deprived(wards, measure="count", min_count=0)
    assert r.n_in_most_deprived == t.loc[t["decile"] <= 2, "areas"].sum()
    assert t["areas"].sum() == len(wards)


# --------------------------------------------------------------------------- concentration

def _gini_pairs(x):
    """Independent formula: mean absolute difference over twice the mean."""
    x = np.asarray(x, dtype=float)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


def test_gini_hand_computed():
    # [0, 0, 1, 3]: sum of |xi - xj| over ordered pairs = 20; 20 / (2 * 16 * 1) = 0.625
    assert inequality.gini([0, 0, 1, 3]) == pytest.approx(0.625, abs=1e-15)
    assert inequality.gini([3, 0, 1, 0]) == pytest.approx(0.625, abs=1e-15)
    assert inequality.gini([5, 5, 5, 5]) == 0.0
    assert inequality.gini([0, 0, 0, 7]) == pytest.approx(1 - 1 / 4)
    assert inequality.gini(pd.Series([0, 0, 1, 3, np.nan])) == pytest.approx(0.625)  # NaN left out
    assert math.isnan(inequality.gini([0, 0])) and math.isnan(inequality.gini([]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gini_against_pairwise_formula_and_lorenz_area(seed):
    x = np.random.default_rng(seed).poisson(3, 200) * np.random.default_rng(seed + 9).integers(
        0, 4, 200)
    g = inequality.gini(x)
    assert g == pytest.approx(_gini_pairs(x), abs=1e-12)
    lc = inequality.lorenz_curve(x)
    area = np.trapezoid(lc["share_of_count"], lc["share_of_areas"])
    assert g == pytest.approx(1 - 2 * area, abs=1e-12)


def test_lorenz_curve_points():
    lc = inequality.lorenz_curve([3, 0, 1, 0])
    assert lc["areas"].tolist() == [0, 1, 2, 3, 4]
    assert lc["share_of_areas"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert lc["share_of_count"].tolist() == [0, 0, 0, 0.25, 1.0]


def test_concentration_by_hand():
    df = pd.DataFrame({"count": [50, 20, 10, 5, 5, 4, 3, 2, 1, 0, np.nan]})
    t = inequality.concentration(df, measure="count", top=(0.1, 0.2, 0.25))
    # 10 areas with data, total 100; top 10% = 1 area (50), 20% = 2 (70), 25% -> ceil 2.5 = 3
    assert t["n_areas"].tolist() == [1, 2, 3]
    assert t["share_of_count"].tolist() == pytest.approx([0.5, 0.7, 0.8])
    assert t["text"].iloc[0] == "The top 10% of wards (1 of 10) hold 50.0% of offences."
    assert t["gini"].nunique() == 1
    assert t["gini"].iloc[0] == pytest.approx(_gini_pairs([50, 20, 10, 5, 5, 4, 3, 2, 1, 0]))


# --------------------------------------------------------------------------- errors

def test_errors(ten):
    with pytest.raises(ColumnMappingError, match=r"lacks column\(s\) \['rate'\]"):
        A.spearman_by_group(ten, measure="rate")
    with pytest.raises(ColumnMappingError, match=r"lacks column\(s\) \['borough'\]"):
        A.spearman_by_group(ten, measure="count", by="borough")
    with pytest.raises(ValueError, match=r"reference='london' is unknown: use one of"):
        A.share_in_most_deprived(ten, measure="count", reference="london")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quantile=1.2 must be between 0 and 1"):
        A.share_in_most_deprived(ten, measure="count", quantile=1.2)
    with pytest.raises(ValueError, match="quantile=0.25 is not a whole number of deciles"):
        A.share_in_most_deprived(ten, measure="count", quantile=0.25,
                                 reference="national_decile", decile_col="nat_decile")
    with pytest.raises(ValueError, match="needs decile_col="):
        A.share_in_most_deprived(ten, measure="count", reference="national_decile")
    with pytest.raises(ColumnMappingError, match=r"lacks column\(s\) \['imd_decile_nat'\]"):
        A.decile_table(ten, measure="count", reference="national_decile",
                       decile_col="imd_decile_nat")
    with pytest.raises(InputDataError, match="values other than deciles 1-10, e.g. \\[11\\]"):
        A.decile_table(ten.assign(nat_decile=[11] + [1] * 9), measure="count",
                       reference="national_decile", decile_col="nat_decile")
    with pytest.raises(ValueError, match="reference='x' is unknown"):
        A.decile_table(ten, measure="count", reference="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"non-negative values; got 1 negative"):
        inequality.gini([1, -1, 2])
    with pytest.raises(ValueError, match=r"non-negative values"):
        inequality.lorenz_curve([-3])
    with pytest.raises(ValueError, match=r"fractions outside \(0, 1\]: \[0, 1.5\]"):
        inequality.concentration(ten, measure="count", top=(0, 0.1, 1.5))
    with pytest.raises(ColumnMappingError, match=r"lacks column\(s\) \['n'\]"):
        inequality.concentration(ten, measure="n")
