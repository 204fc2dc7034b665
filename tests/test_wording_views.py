"""The page's drill-down, statistics tables and map tooltips speak the pack's words.

The demo pack's wards and crime relabelled as a Welsh pack (WIMD 2019, local
authorities, the Welsh domains): the ward profile, the hot spot and bivariate tables
and the statistics maps' tooltips name the index and "Local authority", never
"IMD 2019" or "Borough"; the demo keeps London's words.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from hotspots import pipeline
from hotspots.maps import statmaps
from hotspots.pipeline import wardprofile, wording

WALES = {"imd_label": "WIMD 2019 (Wales)",
         "area": {"kind": "local authority", "code": "W06000015", "name": "Cardiff",
                  "local_authorities": {"W06000015": "Cardiff"}, "note": ""},
         "deprivation": {"nation": "Wales", "measures": {
             "imd": "Welsh Index of Multiple Deprivation", "income": "Income",
             "community_safety": "Community Safety"}}}
IMD2019 = re.compile(r"\bIMD 2019\b")


@pytest.fixture(scope="module")
def wales(pack) -> pipeline.Pack:
    meta = dataclasses.replace(pack.meta, imd_label=WALES["imd_label"], area=WALES["area"],
                               deprivation=WALES["deprivation"])
    imd = pack.imd.assign(imd_income_score=0.1, imd_community_safety_score=1.5)
    return dataclasses.replace(pack, meta=meta, imd=imd)


@pytest.fixture(scope="module")
def wales_crime(wales, crime):  # type: ignore[no-untyped-def]
    return crime  # the same analysis: the words come from the pack, not the statistics


def test_ward_profile_names_the_packs_index_nation_and_authority(wales, crime):
    code = crime.table.loc[crime.table["has_data"], "area_code"].iloc[0]
    wp = wardprofile.ward_profile(wales, crime, code)
    ind = list(wp.imd["Indicator"])
    assert ind[0] == "WIMD 2019 (Wales) average score (higher = more deprived)"
    assert "WIMD 2019 (Wales) decile (1 = most deprived 10%)" in ind
    assert "Residents in Wales's most deprived 20% of LSOAs" in ind
    assert "Community Safety domain score" in ind  # the Welsh domains, from the pack
    assert "Crime domain score" not in ind
    assert not any(IMD2019.search(x) for x in ind)
    assert set(wp.imd["Reference"]) >= {"national deciles (Wales)", "WIMD 2019 (Wales) domain"}
    assert "Local authority" in wp.neighbours.columns and "Borough" not in wp.neighbours.columns


def test_ward_profile_of_the_demo_keeps_londons_words(pack, crime):
    code = crime.table.loc[crime.table["has_data"], "area_code"].iloc[0]
    wp = wardprofile.ward_profile(pack, crime, code)
    assert wp.imd["Indicator"].iloc[0] == "IMD 2019 average score (higher = more deprived)"
    assert "Borough" in wp.neighbours.columns


def test_statistics_tables_and_tooltips_name_the_authority_and_index(wales, crime):
    auth = wording.authority_word(wales.meta, capital=True)
    assert auth == "Local authority"
    hs = statmaps.hotspot_table(crime.table, value_label="Crimes", authority=auth)
    assert "Local authority" in hs.columns and "Borough" not in hs.columns
    bv = statmaps.bivariate_table(crime.table, value_label="Crimes", authority=auth,
                                  index_label="WIMD 2019 (Wales)")
    assert {"Local authority", "WIMD 2019 (Wales) score", "WIMD 2019 (Wales) decile"} <= set(
        bv.columns)
    assert not {"IMD score", "IMD decile", "Borough"} & set(bv.columns)
    panel = statmaps.local_map("gi_star", wales.web_areas, crime.table, params=crime.params,
                               value_label="Crimes", authority=auth)
    html = panel.map.get_root().render()
    # the tooltip's headings (a ward may be called "Borough & Bankside": only headings count)
    assert '"Local authority"' in html and '"Borough"' not in html
    # the demo's defaults are unchanged
    assert "Borough" in statmaps.hotspot_table(crime.table, value_label="Crimes").columns


def test_ward_profile_shows_the_change_from_iod2019_with_the_caveat(pack, crime):
    code = crime.table.loc[crime.table["has_data"], "area_code"].iloc[0]
    imd = pack.imd.assign(imd2019_avgrank_rank=100, imd2025_avgrank_rank=40,
                          imd2019_avgrank_decile=2, imd2025_avgrank_decile=1,
                          imd_rank_change=-60, imd_decile_change=-1)
    meta = dataclasses.replace(pack.meta, imd_label="IoD 2025 (England)", deprivation={
        "nation": "England", "change": {"n_wards": 6793}})
    wp = wardprofile.ward_profile(dataclasses.replace(pack, imd=imd, meta=meta), crime, code)
    t = wp.imd.set_index("Indicator")
    row = t.loc["Rank change, IoD 2019 to IoD 2025 (1 = most deprived)"]
    assert row["Value"] == "100 to 40 of 6,793 (-60: more deprived relative to other wards)"
    assert "ranks and deciles, not scores" in row["Reference"]
    assert t.loc["Decile change, IoD 2019 to IoD 2025", "Value"] == "2 to 1 (-1)"
    # a pack without the change (the demo) has no such rows
    plain = wardprofile.ward_profile(pack, crime, code).imd["Indicator"]
    assert not plain.str.contains("IoD 2019 to IoD 2025").any()


def test_deprivation_only_table_shows_the_change_since_iod2019(pack):
    imd = pack.imd.assign(imd2019_avgrank_decile=3, imd2025_avgrank_decile=2,
                          imd_rank_change=-15, imd_decile_change=-1)
    meta = dataclasses.replace(pack.meta, imd_label="IoD 2025 (England)")
    t = wording.deprivation_only_table(dataclasses.replace(pack, imd=imd, meta=meta))
    cols = ["Decile, IoD 2019 (average rank)", "Decile, IoD 2025 (average rank)",
            "Rank change since IoD 2019 (negative = more deprived)"]
    assert set(cols) <= set(t.columns)
    assert (t[cols[2]] == -15).all()
    assert not set(cols) & set(wording.deprivation_only_table(pack).columns)  # demo: none


def test_same_p_note_is_said_only_when_the_table_bears_it_out(crime, referrals):
    """Gi* and LISA use the same permutations: their p and q agree, and the page says why."""
    for a in (crime, referrals):
        t = a.table
        known = t["gi_p"].notna() & t["lisa_p"].notna()
        assert known.sum() > 600  # the demo's wards with data
        assert (t.loc[known, "gi_p"] == t.loc[known, "lisa_p"]).all()
        assert (t.loc[known, "gi_q"] == t.loc[known, "lisa_q"]).all()
        note = statmaps.same_p_note(t)
        assert note.startswith("Gi* and LISA have the same p and q in every row")
    other = crime.table.assign(lisa_p=crime.table["lisa_p"] * 0.5)
    assert statmaps.same_p_note(other) == ""
    assert statmaps.same_p_note(crime.table.drop(columns="lisa_p")) == ""

