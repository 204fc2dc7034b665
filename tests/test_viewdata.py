"""The frames behind the analysis views: records, monthly series, change, ward profile."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots.maps import statmaps as statmaps
from hotspots.pipeline import analysis as analysis
from hotspots.pipeline import viewdata as viewdata
from hotspots.pipeline import wardprofile as wardprofile

FAST = analysis.StatsParams(permutations=99, seed=1)
PERIOD = ("2025-04", "2026-03")

# pack, crime and referrals: shared fixtures in tests/conftest.py (99 permutations).


def test_monthly_series_sums_the_records_and_leaves_uncovered_months_blank(pack, crime):
    long = viewdata.monthly_long(pack, crime.ward.selection, year_start="calendar")
    got = long.dropna(subset=["count"]).set_index("month")["count"]
    want = pack.crime.groupby("month")["count"].sum()
    pd.testing.assert_series_equal(got.sort_index(), want.astype(float).sort_index(),
                                   check_names=False)
    assert long.loc[long["month"] == "2024-01", "count"].isna().all()  # before the data


def test_borough_change_leaves_out_boroughs_without_data(crime):
    bc = viewdata.borough_change(crime)
    assert bc is not None
    f = bc.table.frame
    assert "City of London" not in set(f["borough_name"])
    assert any("No data for City of London" in n for n in bc.notes)
    assert not (bc.hide_count.any() or bc.hide_prev.any())
    w = viewdata.ward_change(crime)
    assert int(f["count"].sum()) == int(w["count"].sum()) == crime.ward.n_records
    with pytest.raises(ValueError, match="which='month' is unknown"):
        viewdata.borough_change(crime, which="month")  # type: ignore[arg-type]


def test_callouts_leave_out_hidden_counts(referrals):
    w = viewdata.ward_change(referrals)
    out = viewdata.change_callouts(referrals.change, w, name_col="label", sensitive=True,
                                   threshold=5)
    small = w[(w["count"].between(1, 4)) | (w["count_prev"].between(1, 4))]
    text = " ".join(out.values())
    assert "among the areas whose counts can be shown" in text
    for label in small["label"]:
        assert f"{label}," not in text.replace(" with ", ", ")


def test_ward_choices_are_ward_comma_borough(crime):
    choices = wardprofile.ward_choices(crime.table)
    assert len(choices) == len(crime.table)
    assert "Brixton North, Lambeth" in choices
    labels = list(choices)
    assert labels == sorted(labels, key=str.casefold)


def test_ward_profile_crime(pack, crime):
    code = wardprofile.ward_choices(crime.table)["Brixton North, Lambeth"]
    p = wardprofile.ward_profile(pack, crime, code, value_label="Crimes")
    row = crime.table.set_index("area_code").loc[code]
    facts = p.facts.set_index("What")["Value"]
    assert facts["Crimes"] == row["value_display"]
    assert facts["Rank in the period (1 = highest; ties share a rank)"].startswith(
        f"{int(row['rank']):,} of ")
    status = p.status.set_index("Statistic")
    assert status.at["Getis-Ord Gi*", "Result"] == row["gi_class"]
    assert status.at["Getis-Ord Gi*", "q"] == statmaps.format_p(row["gi_q"])
    assert status.at["Local Moran (LISA)", "Result"] == row["lisa_quadrant"]
    assert len(p.neighbours) == int(row["n_neighbours"]) > 0
    assert "Brixton North" not in set(p.neighbours["Ward"])
    imd = p.imd.set_index("Indicator")["Value"]
    assert imd["IMD 2019 average score (higher = more deprived)"] == f"{row['imd_score']:.1f}"
    assert p.trend_level.endswith("(this ward)")
    assert p.trend["count"].sum() == pack.crime.loc[pack.crime["area_code"] == code,
                                                    "count"].sum()
    moved = int(crime.change.frame.set_index("area_code").at[code, "rank_move"])
    assert facts["Rank movement (previous period)"] == wardprofile.rank_move_words(moved)
    note = wardprofile.imd_reference_note(p.imd)
    assert all(note.count(f": {ref}.") == 1 for ref in set(p.imd["Reference"]))


@pytest.mark.parametrize(("move", "words"), [(0, "no change"), (3, "up 3 places"),
                                             (-1, "down 1 place"), (12, "up 12 places"),
                                             (pd.NA, "no data"), (None, "no data")],
                         ids=["zero", "up", "down-one", "up-many", "na", "none"])
def test_rank_move_words(move, words):
    assert wardprofile.rank_move_words(move) == words


def test_imd_reference_note_groups_indicators_by_reference():
    imd = pd.DataFrame({"Indicator": ["IMD score (higher = more deprived)", "IMD rank (1 = top)",
                                      "IMD decile", "Share"],
                        "Value": ["1", "2", "3", "4"],
                        "Reference": ["mean of LSOAs", "London wards", "London wards", ""]})
    assert wardprofile.imd_reference_note(imd) == (
        "IMD score: mean of LSOAs. IMD rank and IMD decile: London wards.")


def test_ward_profile_referrals_uses_the_borough_and_hides_small_counts(pack, referrals):
    t = referrals.table
    code = t.loc[t["suppressed"].astype(bool), "area_code"].iloc[0]
    p = wardprofile.ward_profile(pack, referrals, code, value_label="Referrals")
    facts = p.facts.set_index("What")["Value"]
    assert facts["Referrals"] == "<5"
    assert facts["Rank in the period (1 = highest; ties share a rank)"].startswith("not shown")
    assert "(the ward's borough)" in p.trend_level and p.notes
    assert (p.status["Statistic value"].str.contains("not shown for referrals")
            | (p.status["Statistic value"] == "") | p.status["Statistic"].str.startswith(
                "Neighbours")).all()
    with pytest.raises(KeyError, match="is not a ward of this analysis"):
        wardprofile.ward_profile(pack, referrals, "E99999999")
