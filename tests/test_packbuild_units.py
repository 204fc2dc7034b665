"""Pack building for any place, on hand-made inputs (no real data needed).

Name resolution, the deprivation roll-up, the index readers, the 2021 -> 2011 LSOA
bridge, the sources TOML, the index choice and the incomplete-month rule. The real
national files are exercised in ``tests/realdata/test_packbuild_real.py``.
"""

from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from boundaries import indices, lookups, national, places
from hotspots._errors import InputDataError
from hotspots.pipeline import packcrime, packdeprivation


@pytest.mark.parametrize("module", [indices, national, places, lookups, packcrime,
                                    packdeprivation])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# --------------------------------------------------------------------------- places


@pytest.fixture(scope="module")
def catalogue() -> places.Catalogue:
    lookup = pd.DataFrame({
        "lsoa_code": ["a1", "a2", "b1", "c1", "d1", "w1"],
        "borough_code": ["E08000001", "E08000001", "E08000002", "E06000099", "E06000099",
                         "W06000001"],
        "borough_name": ["Alpha", "Alpha", "Beta, City of", "Gamma Shire", "Gamma Shire",
                         "Isle of Anglesey"],
        "area_code": ["x"] * 6,
    })
    lcp = pd.DataFrame({
        "lad_code": ["E08000001", "E08000002", "E07000001", "E07000002", "W06000001"],
        "lad_name": ["Alpha", "Beta, City of", "Old North", "Old South", "Isle of Anglesey"],
        "csp_code": ["E22000001", "E22000002", "E22000003", "E22000004", "W14000001"],
        "csp_name": ["Alpha", "Beta", "Old North", "Old South", "Anglesey"],
        "pfa_code": ["E23000001", "E23000001", "E23000002", "E23000002", "W15000001"],
        "pfa_name": ["West Midlands", "West Midlands", "Gamma", "Gamma", "North Wales"],
    })
    l11 = pd.DataFrame({"lsoa11_code": ["a1", "b1", "c1", "d1", "w1"],
                        "lad19_code": ["E08000001", "E08000002", "E07000001", "E07000002",
                                       "W06000001"]})
    regions = pd.DataFrame({"lad_code": ["E08000001", "E08000002", "E06000099", "W06000001"],
                            "region_code": ["E12000005", "E12000005", "E12000005", ""]})
    return places.build_catalogue(lookup, lcp, l11, regions,
                                  welsh_names={"W06000001": "Ynys Môn"})


def test_names_resolve_whatever_the_case_and_punctuation(catalogue):
    assert places.resolve_area("ALPHA", catalogue).code == "E08000001"
    assert places.resolve_area("  beta city of ", catalogue).code == "E08000002"
    assert places.resolve_area("City of Beta", catalogue).code == "E08000002"
    assert places.resolve_area("Beta", catalogue).code == "E08000002"  # same LADs as the CSP
    assert places.resolve_area("ynys mon", catalogue).code == "W06000001"
    assert places.resolve_area("North Wales Police", catalogue).code == "W15000001"
    assert places.resolve_area("e23000001", catalogue).lads == ("E08000001", "E08000002")


def test_a_shared_name_with_the_same_authorities_picks_the_authority(catalogue):
    p = places.resolve_area("Alpha", catalogue)
    assert (p.kind, p.code) == ("local authority", "E08000001")
    assert places.resolve_area("csp:Alpha", catalogue).code == "E22000001"


def test_a_shared_name_with_different_authorities_is_ambiguous(catalogue):
    with pytest.raises(places.AmbiguousAreaError) as e:
        places.resolve_area("west-midlands", catalogue)  # the force area and the region
    assert [p.code for p in e.value.candidates] == ["E23000001", "E12000005"]
    assert "2 local authorities" in str(e.value) and "3 local authorities" in str(e.value)
    assert "pfa:West Midlands" in str(e.value)
    assert places.resolve_area("pfa:West Midlands", catalogue).code == "E23000001"
    assert places.resolve_area("region: west midlands", catalogue).code == "E12000005"


def test_merged_authorities_carry_the_2019_partnerships(catalogue):
    csp = places.resolve_area("Old North", catalogue)
    assert csp.kind == "community safety partnership"
    assert csp.lads == ("E06000099",)
    assert "Gamma Shire" in csp.note and "Old South" in csp.note
    assert catalogue.lad_pfa["E06000099"] == "E23000002"


def test_regions_countries_and_all(catalogue):
    assert places.resolve_area("E12000005", catalogue).lads == ("E06000099", "E08000001",
                                                                "E08000002")
    assert places.resolve_area("Wales", catalogue).lads == ("W06000001",)
    ew = places.resolve_area("England and Wales", catalogue)
    assert ew.nations == {"England", "Wales"}
    assert places.resolve_area("all", catalogue) == ew


def test_unknown_names_offer_the_closest(catalogue):
    with pytest.raises(places.AreaNotFoundError) as e:
        places.resolve_area("Alpah", catalogue)
    assert "Closest: Alpha" in str(e.value)
    assert e.value.candidates[0].code == "E08000001"
    with pytest.raises(places.AreaNotFoundError, match="No area given"):
        places.resolve_area("  ", catalogue)


def test_a_former_authority_names_its_successor(catalogue):
    with pytest.raises(places.AreaNotFoundError, match="now part|since then"):
        places.resolve_area("Old South", catalogue.__class__(
            tuple(p for p in catalogue.places if p.kind == "local authority"),
            catalogue.former, catalogue.lad_names, catalogue.lad_pfa))
    with pytest.raises(places.AreaNotFoundError, match="E06000099"):
        places.resolve_area("E07000002", catalogue)


# --------------------------------------------------------------------------- roll-up


def test_rollup_weights_ranks_deciles_and_shares():
    v = pd.DataFrame({"lsoa_code": list("abcde"),
                      "imd_score": [10.0, 40.0, 20.0, 30.0, np.nan],
                      "imd_rank": [4, 1, 3, 2, np.nan], "imd_decile": [8, 1, 6, 2, np.nan],
                      "income_score": [0.1, 0.4, 0.2, 0.3, 0.5],
                      "income_rank": [5, 2, 4, 3, 1], "income_decile": [9, 2, 7, 5, 1]})
    a = pd.DataFrame({"lsoa_code": list("abcde"), "area_code": ["X", "X", "Y", "Z", "Z"]})
    p = pd.DataFrame({"lsoa_code": list("abcde"), "population": [300, 100, 500, 200, 200]})
    out = indices.rollup_index(v, a, p, measures=["imd", "income"]).set_index("area_code")
    assert out.loc["X", "imd_score"] == pytest.approx((300 * 10 + 100 * 40) / 400)
    assert out.loc["Z", "imd_score"] == 30.0  # e has no score: left out of the mean
    assert out.loc["Z", "imd_coverage"] == 0.5
    assert out["imd_rank"].tolist() == [3, 2, 1]  # Z 30 > Y 20 > X 17.5
    assert out["imd_decile"].tolist() == [10, 7, 4]  # ceil(10 rank / 3)
    assert out.loc["X", "imd_share_10pct"] == 0.25 and out.loc["Z", "imd_share_20pct"] == 1.0
    assert out.loc["Z", "imd_income_score"] == pytest.approx(0.4)
    assert out.loc["Z", "imd_income_share_10pct"] == 0.5
    assert list(out.reset_index().columns) == indices.rollup_columns(["imd", "income"])


def test_rollup_refuses_an_lsoa_twice():
    v = pd.DataFrame({"lsoa_code": ["a"], "imd_score": [1.0], "imd_rank": [1],
                      "imd_decile": [1]})
    a = pd.DataFrame({"lsoa_code": ["a", "a"], "area_code": ["X", "Y"]})
    with pytest.raises(InputDataError, match="more than once"):
        indices.rollup_index(v, a, pd.DataFrame({"lsoa_code": ["a"], "population": [1]}),
                             measures=["imd"])


def test_decile_rule_matches_iod2025_and_wimd():
    assert indices.decile_from_rank(np.array([3375, 3376, 6751, 33755]), 33755).tolist() == \
        [1.0, 2.0, 2.0, 10.0]
    d = indices.decile_from_rank(np.arange(1, 1910), 1909)
    assert np.bincount(d.astype(int))[1:].tolist() == [190, 191, 191, 191, 191, 191, 191,
                                                       191, 191, 191]


# --------------------------------------------------------------------------- readers


def test_iod_reader_names_a_2011_file_as_the_wrong_vintage(tmp_path):
    f = tmp_path / "File_1.csv"
    f.write_text("LSOA code (2011),Index of Multiple Deprivation (IMD) Rank\nE01000001,29199\n")
    with pytest.raises(InputDataError, match="2011 LSOAs.*File 7"):
        indices.read_iod2025(f)


def test_iod_reader_takes_file_7_headers(tmp_path):
    head = ["LSOA code (2021)", "LSOA name (2021)"] + [
        f"{p} {s}" for p in ("Index of Multiple Deprivation (IMD)", "Crime")
        for s in ("Score", "Rank (where 1 is most deprived)",
                  "Decile (where 1 is most deprived 10% of LSOAs)")] + [
        "Income Deprivation Affecting Children Index (IDACI) Score (rate)"]
    rows = ["E01000001,A,12.5,900,3,0.1,800,2,0.2", "W01000001,B,1,2,1,1,1,1,0.1",
            ",C,1,1,1,1,1,1,0.1", "E01000001,A,1,1,1,1,1,1,0.1"]
    f = tmp_path / "file7.csv"
    f.write_text(",".join(head) + "\n" + "\n".join(rows) + "\n")
    r = indices.read_iod2025(f)
    assert r.frame.columns.tolist() == ["lsoa_code", "imd_score", "imd_rank", "imd_decile",
                                        "crime_score", "crime_rank", "crime_decile"]
    assert r.frame["imd_score"].tolist() == [12.5]
    assert r.rows_read == 4
    assert r.rejected == {"blank LSOA code": 1, "LSOA code repeated (first row kept)": 1,
                          "not an English LSOA code": 1}


def test_wimd_reader_scores_sheet_with_and_without_the_ranks_sheet(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("lsoa,LSOA Name,WIMD 2019,Income,Community Safety\n"
                      "W01000001,A,10.0,5,1\nW01000002,B,30.0,5,2\nW01000003,C,20.0,9,3\n",
                      encoding="utf-8-sig")
    r = indices.read_wimd2019(scores)
    assert r.frame["imd_rank"].tolist() == [3, 1, 2]
    assert r.frame["income_rank"].tolist() == [2, 2, 1]  # ties share the lowest rank
    assert "ranks derived from the scores" in r.notes[0]
    assert r.frame["imd_decile"].tolist() == [10, 4, 7]
    ranks = tmp_path / "ranks.csv"
    ranks.write_text("LSOA Code,WIMD 2019,Income\nW01000001,1,3\nW01000002,2,2\n"
                     "W01000003,3,1\n")
    r2 = indices.read_wimd2019(scores, ranks)
    assert r2.frame["imd_rank"].tolist() == [1, 2, 3]
    assert r2.frame["community_safety_rank"].tolist() == [3, 2, 1]  # not in the ranks file
    with pytest.raises(InputDataError, match="save the data sheet as CSV"):
        indices.read_wimd2019(tmp_path / "wimd.ods")


def test_bridge_same_code_then_largest_overlap():
    p21 = gpd.GeoDataFrame({"lsoa_code": ["N1", "N2"]},
                           geometry=[box(0, 0, 10, 10), box(50, 50, 60, 60)], crs="EPSG:27700")
    p11 = gpd.GeoDataFrame({"lsoa_code": ["A", "B", "C"]},
                           geometry=[box(0, 0, 4, 10), box(4, 0, 10, 10), box(20, 20, 30, 30)],
                           crs="EPSG:27700")
    out = lookups.lsoa21_to_lsoa11(["C", "N1", "N2"], {"A", "B", "C"}, p21, p11)
    assert out["lsoa11_code"].tolist()[:2] == ["C", "B"] and pd.isna(out["lsoa11_code"][2])
    assert out["route"].tolist() == ["same code", "largest overlap", "none"]
    assert out["overlap_share"].tolist()[:2] == [1.0, 0.6]


# --------------------------------------------------------------------------- sources


def test_sources_toml_relative_to_its_folder_and_defaults(tmp_path):
    (tmp_path / "sub").mkdir()
    toml = tmp_path / "sub" / "sources.toml"
    toml.write_text('[sources]\niod2025 = "../downloads/File_7.csv"\n')
    s = national.load_sources(toml, data_root=tmp_path / "shared")
    assert s.paths["iod2025"] == tmp_path / "sub" / ".." / "downloads" / "File_7.csv"
    assert s.origin["iod2025"] == str(toml) and s.origin["wards"] == "default"
    assert s.paths["wards"] == tmp_path / "shared" / national.NATIONAL_FILES["wards"].default
    assert s.optional("wimd2019_ranks") is None
    with pytest.raises(InputDataError) as e:
        s.path("iod2025")
    msg = str(e.value)
    assert "File_7.csv" in msg and "English indices of deprivation 2025: File 7" in msg
    assert "gov.uk" in msg and "iod2025" in msg


def test_sources_toml_refuses_unknown_keys_and_bad_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[sources]\nimd = "x.csv"\n')
    with pytest.raises(InputDataError, match="unknown keys imd.*iod2025"):
        national.load_sources(bad)
    bad.write_text("[sources\n")
    with pytest.raises(InputDataError, match="not a valid TOML"):
        national.load_sources(bad)
    with pytest.raises(InputDataError, match="not found"):
        national.load_sources(tmp_path / "missing.toml")


# --------------------------------------------------------------------------- choices


def test_index_choice_never_mixes_nations():
    eng = places.Place("local authority", "E08000003", "Manchester", ("E08000003",))
    wal = places.Place("local authority", "W06000015", "Cardiff", ("W06000015",))
    both = places.Place("England and Wales", "K04000001", "England and Wales",
                        ("E08000003", "W06000015"))
    assert packdeprivation.choose_index(eng, "auto") == "iod2025"
    assert packdeprivation.choose_index(wal, "auto") == "wimd2019"
    assert packdeprivation.choose_index(both, "composite") == "composite"
    assert packdeprivation.choose_index(both, "none") == "none"
    for choice in ("auto", "iod2025", "wimd2019"):
        with pytest.raises(InputDataError, match="spans England and Wales.*composite"):
            packdeprivation.choose_index(both, choice)
    with pytest.raises(InputDataError, match="does not cover Cardiff"):
        packdeprivation.choose_index(wal, "iod2025")
    with pytest.raises(InputDataError, match="choose one of"):
        packdeprivation.choose_index(wal, "imd2019")


def test_incomplete_months_per_force():
    f = pd.DataFrame({"falls_within": ["A"] * 10 + ["A"] * 4 + ["B"] * 3 + ["B"] * 3,
                      "month": ["2024-01"] * 10 + ["2024-02"] * 4 + ["2024-01"] * 3
                      + ["2024-02"] * 3})
    flagged = packcrime.incomplete_months(f)
    assert [(r["month"], r["force"], r["rows"], r["busiest_rows"]) for r in flagged] == [
        ("2024-02", "A", 4, 10)]
    assert packcrime.incomplete_months(f, ["B"]) == []


def test_incomplete_months_rate_floor_catches_a_force_short_every_month():
    # force B: 3 crimes and 1 anti-social behaviour row in each month, for 1,500 residents:
    # 3 / 1,500 * 12,000 = 24 crimes a year per 1,000 (below the floor of 30; ASB is not a
    # crime); force A: 10 and 8 crimes for 2,000 residents = 60 and 48 a year per 1,000
    f = pd.DataFrame({
        "falls_within": ["A"] * 18 + ["B"] * 8,
        "month": ["2024-01"] * 10 + ["2024-02"] * 8 + ["2024-01"] * 4 + ["2024-02"] * 4,
        "category": ["Burglary"] * 18 + (["Burglary"] * 3 + ["Anti-social behaviour"]) * 2})
    assert packcrime.RATE_FLOOR_PER_1000_A_YEAR == 30
    flagged = packcrime.incomplete_months(f, residents={"A": 2000, "B": 1500})
    assert [(r["force"], r["month"], r["crime_rows"]) for r in flagged] == [
        ("B", "2024-01", 3), ("B", "2024-02", 3)]
    assert flagged[0]["crimes_per_1000_a_year"] == 24.0
    assert "below the floor" in flagged[0]["why"] and "busiest" not in flagged[0]["why"]
    # without residents only the busiest-month rule applies: nothing is flagged
    assert packcrime.incomplete_months(f) == []
    # a force without a resident count is judged on its busiest month alone
    assert packcrime.incomplete_months(f, residents={"A": 2000}) == []


def test_crime_source_wording_does_not_import_duckdb():
    # the board pack's patrol page names the crime source: that sentence must not load the
    # store and duckdb (0.14 s of every pack); packcrime still offers the same functions
    import subprocess
    import sys

    from hotspots.pipeline import wording

    assert packcrime.crime_source_used is wording.crime_source_used
    assert packcrime.crime_source_text is wording.crime_source_text
    code = ("import sys\nfrom hotspots import pipeline\n"
            "t = pipeline.wording.crime_source_text(['A Police', 'B Police'], ['A Police'])\n"
            "print(pipeline.wording.crime_source_used(t), 'duckdb' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "police.uk street-level crime (A Police) False"
