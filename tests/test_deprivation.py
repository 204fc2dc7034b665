"""Tests for boundaries.deprivation: IMD readers and the area roll-up, answers by hand."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from boundaries.deprivation import read_imd, read_imd_population, rollup_imd
from boundaries.lookups import assign_best_fit
from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots._validate import Report

IDS = ("LSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
       "Local Authority District name (2019)")
FILE1_HEADER = (f"\ufeff{IDS},Index of Multiple Deprivation (IMD) Rank,"
                "Index of Multiple Deprivation (IMD) Decile")
GLA_HEADER = (
    "geography code,LSOA name (2011),Local Authority District code (2019),"
    "Local Authority District name (2019),Index of Multiple Deprivation (IMD) Score ,"
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),"
    "Income Score (rate),Income Rank (where 1 is most deprived),Crime Score,"
    "Living Environment Score"
)
FILE6_HEADER = (f"\ufeff{IDS},Total population: mid 2015 (excluding prisoners),"
                "Dependent Children aged 0-15: mid 2015 (excluding prisoners)")


# --------------------------------------------------------------------------- read_imd


def test_read_mhclg_file1_thousands_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "File_1.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(f"{FILE1_HEADER}\n"
                     'E01000001,City of London 001A,E09000001,City of London,"29,199",9\n'
                     "E01000005,City of London 001E,E09000001,City of London,8678,3\n")
    imd, report = read_imd(path)
    assert imd.columns.tolist() == ["lsoa_code", "imd_score", "imd_rank", "imd_decile"]
    assert imd["imd_rank"].tolist() == [29199, 8678]
    assert str(imd["imd_rank"].dtype) == "Int64" and str(imd["imd_decile"].dtype) == "Int64"
    assert imd["imd_score"].isna().all()
    info = report.to_text()
    assert "no scores" in info and "File 5" in info and "GLA" in info


def test_read_gla_layout_scores_domains_trailing_spaces(tmp_path: Path) -> None:
    path = tmp_path / "id2019_london_lsoa_imd.csv"
    path.write_text(f"{GLA_HEADER}\n"
                    "E01000001,City 001A,E09000001,City of London,6.208,29199,9,0.007,32831,"
                    "-2.012,31.873\n"
                    "E01002082,Haringey 013A,E09000014,Haringey,64.677,59,1,0.4,100,1.5,40\n")
    imd, report = read_imd(path)
    assert imd.columns.tolist() == ["lsoa_code", "imd_score", "imd_rank", "imd_decile",
                                    "imd_income_score", "imd_crime_score",
                                    "imd_living_environment_score"]
    assert imd["imd_score"].tolist() == [6.208, 64.677]
    assert imd["imd_crime_score"].tolist() == [-2.012, 1.5]
    assert not report.errors() and len(report) == 0


def test_read_cp1252_fallback(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    path.write_bytes(f"{FILE1_HEADER[1:]}\n"
                     "E01000001,Saint-Éloi 001A,E09000001,City,100,1\n".encode("cp1252"))
    imd, report = read_imd(path)
    assert imd["imd_rank"].tolist() == [100]
    assert "cp1252" in report.to_text()


def test_read_gla_workbook_finds_imd_sheet(tmp_path: Path) -> None:
    path = tmp_path / "ID 2019 for London.xlsx"
    table = pd.DataFrame({
        "geography code": ["E01000001", "E01000002"],
        "Index of Multiple Deprivation (IMD) Score": [6.208, 5.143],
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": [29199, 30379],
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)":
            [9, 10],
    })
    population = pd.DataFrame({
        "LSOA code (2011)": ["E01000001", "E01000002"],
        "Total population: mid 2015 (excluding prisoners) ": [1296, 1156],
    })
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Notes": ["read me"]}).to_excel(writer, sheet_name="Notes", index=False)
        table.to_excel(writer, sheet_name="IMD 2019", index=False)
        population.to_excel(writer, sheet_name="Population figures", index=False)
    imd, _ = read_imd(path)
    assert imd["imd_score"].tolist() == [6.208, 5.143]
    assert imd["imd_decile"].tolist() == [9, 10]
    pop = read_imd_population(path)
    assert pop.to_dict("list") == {"lsoa_code": ["E01000001", "E01000002"],
                                   "population": [1296.0, 1156.0]}


def test_read_imd_bad_values_reported(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(f"{FILE1_HEADER[1:]}\n"
                    "E01000001,a,b,c,12,1\n"
                    ",a,b,c,13,1\n"            # blank code: dropped (row 3)
                    "E01000001,a,b,c,12,1\n"   # repeated, same values: dropped (row 4)
                    "E01000003,a,b,c,n/a,12\n"  # unreadable rank, decile out of range
                    "E01000004,a,b,c,15,2\n")
    imd, report = read_imd(path)
    assert imd["lsoa_code"].tolist() == ["E01000001", "E01000003", "E01000004"]
    assert imd["imd_rank"].tolist()[0] == 12 and pd.isna(imd["imd_rank"].iat[1])
    assert pd.isna(imd["imd_decile"].iat[1])
    rows = {(p.severity, p.row) for p in report}
    assert {("error", 3), ("info", 4), ("warning", 5)} <= rows
    assert "not numbers" in report.to_text() and "imd_decile values out of range" in \
        report.to_text()


def test_read_imd_refuses_an_lsoa_with_two_different_ranks(tmp_path: Path) -> None:
    """Two rows for one LSOA that disagree: which is right cannot be guessed, so refuse."""
    path = tmp_path / "twice.csv"
    path.write_text(f"{FILE1_HEADER[1:]}\n"
                    "E01000001,a,b,c,12,1\n"
                    "E01000002,a,b,c,13,1\n"
                    "E01000001,a,b,c,14,1\n")
    with pytest.raises(InputDataError) as info:
        read_imd(path)
    text = str(info.value)
    assert "E01000001 appears 2 times with different values (rows 2, 4:" in text
    assert "imd_rank 12 / 14" in text and "twice.csv" in text


def test_read_imd_refuses_population_file(tmp_path: Path) -> None:
    path = tmp_path / "File_6.csv"
    path.write_text(f"{FILE6_HEADER}\nE01000001,a,b,c,\"1,296\",175\n", encoding="utf-8")
    with pytest.raises(ColumnMappingError, match="File_6.csv: no 'Index of Multiple.*"
                                                 "read_imd_population"):
        read_imd(path)


def test_read_imd_without_lsoa_column(tmp_path: Path) -> None:
    path = tmp_path / "nolsoa.csv"
    path.write_text("ward,Index of Multiple Deprivation (IMD) Rank\nX,1\n")
    with pytest.raises(ColumnMappingError, match="nolsoa.csv: no LSOA code column"):
        read_imd(path)


@pytest.mark.parametrize("content", ["", f"{FILE1_HEADER[1:]}\n"], ids=["zero-bytes",
                                                                       "header-only"])
def test_read_imd_empty(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(EmptyInputError, match="empty.csv"):
        read_imd(path)


def test_read_imd_population_file6(tmp_path: Path) -> None:
    path = tmp_path / "File_6.csv"
    path.write_text(f"{FILE6_HEADER}\nE01000001,a,b,c,\"1,296\",175\n"
                    "E01000002,a,b,c,1156,182\nE01000003,a,b,c,-5,1\n", encoding="utf-8")
    report = Report()
    pop = read_imd_population(path, report=report)
    assert pop.columns.tolist() == ["lsoa_code", "population"]
    assert pop["population"].tolist()[:2] == [1296.0, 1156.0]
    assert math.isnan(pop["population"].iat[2])
    assert [p.row for p in report.errors()] == [4]


def test_read_imd_population_no_column(tmp_path: Path) -> None:
    path = tmp_path / "nopop.csv"
    path.write_text("LSOA code (2011),Index of Multiple Deprivation (IMD) Rank\nE01000001,3\n")
    with pytest.raises(ColumnMappingError, match="nopop.csv: no population column"):
        read_imd_population(path)


# --------------------------------------------------------------------------- rollup_imd

# Hand-computed fixture. Areas A, B, C, D; D gets no LSOA.
#   A: L1 (score 40, pop 100, decile 1) + L2 (20, 300, decile 3)
#      score = (40*100 + 20*300) / 400 = 25; share10 = 100/400; share20 = 100/400
#   B: L3 (30, 200, decile 2) + L4 (10, 200, decile 6) + L7 (99, no population)
#      score = (30*200 + 10*200) / 400 = 20 (L7 left out); share10 0; share20 0.5
#   C: L5 (25, 500, decile 2) + L6 (not in the IMD file, pop 500)
#      score = 25; coverage 0.5; share20 = 500/500 (L6 has no decile)
#   Ranks: A and C tie at 25 -> both 1, B -> 3 (competition ranking).
#   Layer deciles (n = 3 ranked): ceil(10 * 1 / 3) = 4 for A and C, ceil(10 * 3 / 3) = 10 for B.

IMD = pd.DataFrame({
    "lsoa_code": ["L1", "L2", "L3", "L4", "L5", "L7"],
    "imd_score": [40.0, 20.0, 30.0, 10.0, 25.0, 99.0],
    "imd_rank": pd.array([100, 9000, 5000, 19000, 4000, 1], dtype="Int64"),
    "imd_decile": pd.array([1, 3, 2, 6, 2, 1], dtype="Int64"),
})
ASSIGNMENT = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L4", "L5", "L6", "L7"],
                           "area_code": ["A", "A", "B", "B", "C", "C", "B"]})
POPULATION = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L4", "L5", "L6"],
                           "population": [100, 300, 200, 200, 500, 500]})


def test_rollup_hand_computed() -> None:
    report = Report()
    out = rollup_imd(IMD, ASSIGNMENT, population=POPULATION, areas=["A", "B", "C", "D"],
                     report=report)
    assert out.columns.tolist() == ["area_code", "imd_score", "imd_rank", "imd_decile",
                                    "imd_share_10pct", "imd_share_20pct", "imd_average_rank",
                                    "imd_population", "n_lsoa", "imd_coverage"]
    assert out["area_code"].tolist() == ["A", "B", "C", "D"]
    np.testing.assert_allclose(out["imd_score"], [25.0, 20.0, 25.0, np.nan])
    assert out["imd_rank"].tolist()[:3] == [1, 3, 1] and out["imd_rank"].isna().iat[3]
    assert out["imd_decile"].tolist()[:3] == [4, 10, 4] and out["imd_decile"].isna().iat[3]
    np.testing.assert_allclose(out["imd_share_10pct"], [0.25, 0.0, 0.0, np.nan])
    np.testing.assert_allclose(out["imd_share_20pct"], [0.25, 0.5, 1.0, np.nan])
    np.testing.assert_allclose(out["imd_average_rank"],
                               [(100 * 100 + 9000 * 300) / 400, 12000.0, 4000.0, np.nan])
    assert out["imd_population"].tolist() == [400.0, 400.0, 1000.0, 0.0]
    assert out["n_lsoa"].tolist() == [2, 3, 2, 0]
    np.testing.assert_allclose(out["imd_coverage"], [1.0, 1.0, 0.5, np.nan])
    text = report.to_text()
    assert "1 assigned LSOAs have no population (e.g. L7)" in text
    assert "1 assigned LSOAs have no IMD score (e.g. L6)" in text
    assert "1 areas receive no LSOA (e.g. D)" in text


def test_rollup_layer_deciles_ten_and_twenty_areas() -> None:
    for n in (10, 20):
        codes = [f"L{i:02d}" for i in range(n)]
        imd = pd.DataFrame({"lsoa_code": codes, "imd_score": np.arange(n, dtype=float),
                            "imd_rank": pd.array(range(n, 0, -1), dtype="Int64"),
                            "imd_decile": pd.array([1] * n, dtype="Int64")})
        assignment = pd.DataFrame({"lsoa_code": codes, "area_code": codes})
        pop = pd.Series(1.0, index=codes)
        out = rollup_imd(imd, assignment, population=pop)
        # the highest score is rank 1 and decile 1; n / 10 areas per decile
        expected = [math.ceil((n - i) * 10 / n) for i in range(n)]
        assert out["imd_decile"].tolist() == expected
        assert out["imd_rank"].tolist() == list(range(n, 0, -1))


def test_rollup_without_scores_ranks_by_average_rank() -> None:
    imd = IMD.assign(imd_score=np.nan)
    report = Report()
    out = rollup_imd(imd, ASSIGNMENT, population=POPULATION, report=report)
    assert out["imd_score"].isna().all()
    # average ranks: A 6775, B 12000, C 4000 -> C most deprived
    assert out.set_index("area_code")["imd_rank"].to_dict() == {"A": 2, "B": 3, "C": 1}
    assert out.set_index("area_code")["imd_coverage"].tolist() == [1.0, 1.0, 0.5]
    assert "ranked by population-weighted mean national rank" in report.to_text()


def test_rollup_accepts_assign_best_fit_output() -> None:
    x0, y0 = 530_000.0, 180_000.0
    lsoas = gpd.GeoDataFrame({"area_code": ["L1", "L2", "L3"]},
                             geometry=[box(x0, y0, x0 + 50, y0 + 50),
                                       box(x0 + 50, y0, x0 + 100, y0 + 50),
                                       box(x0 + 100, y0, x0 + 200, y0 + 50)],
                             crs="EPSG:27700")
    wards = gpd.GeoDataFrame({"area_code": ["W1", "W2"]},
                             geometry=[box(x0, y0, x0 + 100, y0 + 50),
                                       box(x0 + 100, y0, x0 + 200, y0 + 50)],
                             crs="EPSG:27700")
    assignment, _ = assign_best_fit(lsoas, wards)
    out = rollup_imd(IMD, assignment, population=POPULATION, areas=wards)
    np.testing.assert_allclose(out["imd_score"], [25.0, 30.0])
    assert out["n_lsoa"].tolist() == [2, 1]


def test_rollup_drops_codes_not_in_layer() -> None:
    report = Report()
    out = rollup_imd(IMD, ASSIGNMENT, population=POPULATION,
                     areas=pd.DataFrame({"area_code": ["A", "B"]}), report=report)
    assert out["area_code"].tolist() == ["A", "B"]
    assert "assigned to 1 codes not in the layer (e.g. C)" in report.to_text()


def test_rollup_errors() -> None:
    twice = pd.concat([ASSIGNMENT, ASSIGNMENT.iloc[:1]])
    with pytest.raises(InputDataError, match="1 LSOAs appear more than once in assignment"):
        rollup_imd(IMD, twice, population=POPULATION)
    with pytest.raises(ColumnMappingError, match="assignment needs 'lsoa_code'"):
        rollup_imd(IMD, ASSIGNMENT.rename(columns={"lsoa_code": "code"}), population=POPULATION)
    with pytest.raises(ColumnMappingError, match="population needs 'lsoa_code' and 'population'"):
        rollup_imd(IMD, ASSIGNMENT, population=POPULATION.rename(columns={"population": "n"}))


def test_rollup_does_not_mutate_inputs() -> None:
    before = (IMD.copy(), ASSIGNMENT.copy(), POPULATION.copy())
    rollup_imd(IMD, ASSIGNMENT, population=POPULATION, areas=["A", "B", "C", "D"])
    for original, kept in zip((IMD, ASSIGNMENT, POPULATION), before, strict=True):
        pd.testing.assert_frame_equal(original, kept)
