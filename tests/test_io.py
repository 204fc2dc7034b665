"""Tests for hotspots.io: police.uk, MPS ward crime and referral readers."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError, UploadError
from hotspots.io import (
    POLICE_FRAME_COLUMNS,
    ColumnMap,
    load_mapping,
    read_headers,
    read_met_ward_crime,
    read_police_inputs,
    read_police_uk,
    read_referrals,
    save_mapping,
    standardise_area_name,
)

# --------------------------------------------------------------------------- helpers

POLICE_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)
FORCE = "City of London Police"
ID_A = "a" * 64
ID_B = "b" * 64
ID_C = "c" * 64


def police_row(
    cid: str = "",
    month: str = "2018-01",
    lon: str = "-0.09",
    lat: str = "51.51",
    ctype: str = "Burglary",
    lsoa: str = "E01000001",
    outcome: str = "Under investigation",
) -> str:
    lsoa_name = "City of London 001A" if lsoa else ""
    location = "On or near Wood Street" if lon else "No Location"
    return (f"{cid},{month},{FORCE},{FORCE},{lon},{lat},{location},{lsoa},{lsoa_name},"
            f"{ctype},{outcome},")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def police_file(folder: Path, month: str, rows: list[str], force: str = "city-of-london") -> Path:
    return write(folder / month / f"{month}-{force}-street.csv",
                 "\n".join([POLICE_HEADER, *rows]) + "\n")


def messages(result, severity: str | None = None) -> list[str]:
    return [p.what for p in result.report if severity is None or p.severity == severity]


@pytest.fixture
def police_folder(tmp_path: Path) -> Path:
    """Two months: Jan has a duplicate, an ASB row, a row without coordinates."""
    root = tmp_path / "police"
    police_file(root, "2018-01", [
        police_row(ID_A),
        police_row("", ctype="Anti-social behaviour", outcome=""),
        police_row(ID_B, lon="", lat="", lsoa=""),
        police_row(ID_A, lon="-0.08"),
    ])
    police_file(root, "2018-02", [
        police_row(ID_A, month="2018-02"),  # same id, another month: kept
        police_row("", month="2018-02", ctype="Anti-social behaviour", outcome=""),
    ])
    return root


# --------------------------------------------------------------------------- police.uk


def test_police_single_file_exact_values(tmp_path: Path) -> None:
    path = police_file(tmp_path, "2018-01", [
        police_row(ID_A),
        police_row("", ctype="Anti-social behaviour", outcome=""),
    ])
    result = read_police_uk(path)
    frame = result.frame
    assert list(frame.columns) == POLICE_FRAME_COLUMNS
    assert result.rows_read == 2 and len(result.rejected) == 0
    assert frame["source"].tolist() == ["2018-01-city-of-london-street.csv"] * 2
    assert frame["source_row"].tolist() == [2, 3]
    assert frame.loc[0, "crime_id"] == ID_A
    assert pd.isna(frame.loc[1, "crime_id"])
    assert frame["month"].tolist() == ["2018-01", "2018-01"]
    assert frame["category"].tolist() == ["Burglary", "Anti-social behaviour"]
    assert frame["x"].tolist() == [-0.09, -0.09]
    assert frame["y"].tolist() == [51.51, 51.51]
    assert frame.loc[0, "lsoa_code"] == "E01000001"
    assert frame.loc[0, "lsoa_name"] == "City of London 001A"
    assert frame.loc[0, "location"] == "On or near Wood Street"
    assert frame.loc[0, "falls_within"] == FORCE
    assert frame.loc[0, "outcome"] == "Under investigation"
    assert pd.isna(frame.loc[1, "outcome"])
    assert frame["x"].dtype == "float64" and frame["source_row"].dtype == "int64"
    assert frame["crime_id"].dtype == "string"


def test_police_counts_duplicates_asb_coords_and_months(tmp_path: Path) -> None:
    path = police_file(tmp_path, "2018-01", [
        police_row(ID_A),                                        # 2 kept
        police_row("", ctype="Anti-social behaviour"),           # 3 kept, ASB
        police_row(ID_B, lon="", lat="", lsoa=""),               # 4 kept, no coordinates
        police_row(ID_A, lon="-0.08"),                           # 5 rejected: duplicate
        police_row(ID_C, month="2018-13"),                       # 6 rejected: month
        police_row("d" * 64, month="Jan 2018"),                  # 7 rejected: month
        police_row("e" * 64, lon="0", lat="0"),                  # 8 kept, implausible
        police_row("f" * 64, month=""),                          # 9 rejected: blank month
        police_row("", ctype="Anti-social behaviour"),           # 10 kept, ASB
    ])
    result = read_police_uk(path, crime_ids="once")
    result.check_records()
    assert result.rows_read == 9
    assert result.frame["source_row"].tolist() == [2, 3, 4, 8, 10]
    rejected = result.rejected.set_index("source_row")["reason"]
    assert rejected[5] == (
        "Crime ID aaaaaaaa… repeated in this file (first at row 2): counted once, as chosen"
    )
    assert rejected[6] == "month '2018-13' is not a YYYY-MM month"
    assert rejected[7] == "month 'Jan 2018' is not a YYYY-MM month"
    assert rejected[9] == "month is blank"
    # row 8 (0, 0) is kept with its coordinates: the join counts it outside the study area
    assert result.frame.set_index("source_row").loc[8, ["x", "y"]].tolist() == [0.0, 0.0]
    problems = {p.what.split(" (")[0]: p for p in result.report}
    assert problems["no coordinates"].count == 1 and "row 4" in problems["no coordinates"].what
    asb = [p for p in result.report if "blank Crime ID" in p.what]
    assert [(p.severity, p.count) for p in asb] == [("info", 2)]
    outside = [p for p in result.report if "outside the UK" in p.what]
    assert len(outside) == 1 and outside[0].count == 1 and "row 8" in outside[0].what
    errors = result.report.errors()
    assert sorted(p.row for p in errors) == [6, 7, 9]
    assert {p.column for p in errors} == {"Month"}
    once = [p for p in result.report if "counted once, as chosen" in p.what]
    assert [(p.row, p.column) for p in once] == [(5, "Crime ID")]
    # by default the repeat is counted as police.uk publishes it, and listed
    default = read_police_uk(path)
    assert default.frame["source_row"].tolist() == [2, 3, 4, 5, 8, 10]
    listed = [p for p in default.report if "repeated Crime IDs" in p.what]
    assert len(listed) == 1 and "rows 2, 5" in listed[0].what and listed[0].count == 2


def test_police_missing_coordinates_grouped_with_first_rows(tmp_path: Path) -> None:
    rows = [police_row(f"{i:064d}", lon="", lat="", lsoa="") for i in range(8)]
    result = read_police_uk(police_file(tmp_path, "2018-01", rows))
    warning = [p for p in result.report if p.what.startswith("no coordinates")]
    assert len(warning) == 1
    assert warning[0].count == 8 and warning[0].severity == "warning"
    assert "rows 2, 3, 4, 5, 6 and 3 more" in warning[0].what
    assert result.frame["x"].isna().sum() == 8 and len(result.frame) == 8


def test_police_folder_zip_and_single_files_agree(police_folder: Path, tmp_path: Path) -> None:
    from_folder = read_police_uk(police_folder)
    zpath = tmp_path / "archive.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in sorted(police_folder.rglob("*.csv")):
            zf.write(f, f.relative_to(police_folder).as_posix())
        zf.writestr("2018-01/2018-01-city-of-london-outcomes.csv", "ignored,header\n")
    from_zip = read_police_uk(zpath)
    files = sorted(police_folder.rglob("*-street.csv"))
    singles = [r for _, r in read_police_inputs([(f.name, f) for f in files]).files]

    pd.testing.assert_frame_equal(from_folder.frame, from_zip.frame)
    pd.testing.assert_frame_equal(from_folder.rejected, from_zip.rejected)
    assert from_folder.frame["source"].unique().tolist() == [
        "2018-01/2018-01-city-of-london-street.csv", "2018-02/2018-02-city-of-london-street.csv"]
    cols = [c for c in POLICE_FRAME_COLUMNS if c != "source"]
    joined = pd.concat([r.frame for r in singles], ignore_index=True)
    pd.testing.assert_frame_equal(from_folder.frame[cols], joined[cols])
    assert from_folder.rows_read == from_zip.rows_read == sum(r.rows_read for r in singles) == 6
    # Jan's repeat is counted as published; Feb republishes Jan's crime: counted once (Jan's)
    assert from_folder.rejected["source"].tolist() == [
        "2018-02/2018-02-city-of-london-street.csv"]
    assert from_folder.rejected["reason"].str.startswith(
        "the same crime (Crime ID aaaaaaaa…) is already counted from 2018-01/").all()
    asb = sum(p.count for p in from_zip.report if "blank Crime ID" in p.what)
    assert asb == 2
    skipped = [p for p in from_zip.report if "outcomes file" in p.what]
    assert [p.file for p in skipped] == ["2018-01/2018-01-city-of-london-outcomes.csv"]


def test_police_upload_buffer_with_label(police_folder: Path) -> None:
    data = next(police_folder.rglob("2018-01*-street.csv")).read_bytes()
    result = read_police_uk(io.BytesIO(data), label="jan.csv")
    assert result.frame["source"].unique().tolist() == ["jan.csv"]
    assert result.rows_read == 4 and len(result.rejected) == 0  # the repeat counts as published


def test_police_duplicate_across_files_in_same_month(tmp_path: Path) -> None:
    root = tmp_path / "p"
    police_file(root, "2018-01", [police_row(ID_A)])
    police_file(root, "2018-01", [police_row(ID_B), police_row(ID_A)], force="metropolitan")
    result = read_police_uk(root)
    assert result.rejected["reason"].tolist() == [
        "the same crime (Crime ID aaaaaaaa…) is already counted from "
        "2018-01/2018-01-city-of-london-street.csv row 2 (month 2018-01)"
    ]
    assert result.rejected["source"].tolist() == ["2018-01/2018-01-metropolitan-street.csv"]


def test_police_month_differs_from_folder(tmp_path: Path) -> None:
    root = tmp_path / "p"
    police_file(root, "2018-01", [police_row(ID_A), police_row(ID_B, month="2018-02")])
    result = read_police_uk(root)
    assert len(result.frame) == 2  # kept
    warning = [p for p in result.report if "differs from the folder" in p.what]
    assert len(warning) == 1
    assert warning[0].severity == "warning" and warning[0].count == 1
    assert "'2018-02'" in warning[0].what and "'2018-01'" in warning[0].what
    assert "row 3" in warning[0].what


def test_police_unreadable_coordinate_is_reported_and_missing(tmp_path: Path) -> None:
    path = police_file(tmp_path, "2018-01", [police_row(ID_A), police_row(ID_B, lon="abc")])
    result = read_police_uk(path)
    assert len(result.frame) == 2
    assert result.frame["x"].isna().tolist() == [False, True]
    bad = [p for p in result.report if "not a number" in p.what]
    assert len(bad) == 1 and bad[0].row == 3 and bad[0].column == "Longitude"
    assert "'abc'" in bad[0].what


def test_police_blank_id_on_non_asb_is_warned(tmp_path: Path) -> None:
    result = read_police_uk(police_file(tmp_path, "2018-01", [police_row("", ctype="Burglary")]))
    assert any("other than anti-social" in w for w in messages(result, "warning"))


def test_police_blank_lines_skipped_not_counted(tmp_path: Path) -> None:
    path = write(tmp_path / "x-street.csv",
                 f"{POLICE_HEADER}\n{police_row(ID_A)}\n\n{police_row(ID_B)}\n")
    result = read_police_uk(path)
    assert result.rows_read == 2
    assert result.frame["source_row"].tolist() == [2, 4]  # spreadsheet rows stay true
    assert any(m.startswith("blank lines skipped") for m in messages(result, "info"))


@pytest.mark.parametrize("content", ["", POLICE_HEADER + "\n"], ids=["zero-bytes", "header-only"])
def test_police_empty_file_raises(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "2018-01-city-of-london-street.csv", content)
    with pytest.raises(EmptyInputError, match=r"2018-01-city-of-london-street\.csv is empty"):
        read_police_uk(path)


def test_police_folder_with_some_empty_files_warns(police_folder: Path) -> None:
    write(police_folder / "2018-03" / "2018-03-city-of-london-street.csv", "")
    result = read_police_uk(police_folder)
    empty = [p for p in result.report if p.what.startswith("empty file")]
    assert [(p.file, p.severity) for p in empty] == [
        ("2018-03/2018-03-city-of-london-street.csv", "warning")]
    assert result.rows_read == 6


def test_police_folder_all_empty_raises(tmp_path: Path) -> None:
    root = tmp_path / "allempty"
    write(root / "2018-01" / "2018-01-x-street.csv", "")
    write(root / "2018-02" / "2018-02-x-street.csv", POLICE_HEADER + "\n")
    match = r"every street file in allempty is empty \(2 files\)"
    with pytest.raises(EmptyInputError, match=match):
        read_police_uk(root)


def test_police_folder_without_street_files_raises(tmp_path: Path) -> None:
    write(tmp_path / "f" / "2018-01" / "2018-01-x-outcomes.csv", "a,b\n1,2\n")
    with pytest.raises(EmptyInputError, match=r"no police.uk street files.*outcomes\.csv"):
        read_police_uk(tmp_path / "f")


def test_police_missing_columns_names_file_missing_and_found(tmp_path: Path) -> None:
    root = tmp_path / "p"
    police_file(root, "2018-01", [police_row(ID_A)])
    write(root / "2018-02" / "2018-02-x-street.csv",
          "Crime ID,Month,Longitude,Lat\nx,2018-02,1,2\n")
    with pytest.raises(ColumnMappingError) as info:
        read_police_uk(root)
    text = str(info.value)
    assert "2018-02/2018-02-x-street.csv: missing column(s) 'Falls within'" in text
    assert "'Latitude'" in text and "columns found: 'Crime ID', 'Month', 'Longitude', 'Lat'" in text
    assert "2018-01" not in text.split("\n", 1)[1]  # the good file is not blamed
    assert "street' CSV" in text  # the fix


def test_police_headers_match_ignoring_case_and_spaces(tmp_path: Path) -> None:
    header = POLICE_HEADER.replace("Crime ID", " crime id ").replace("LSOA code", "lsoa  code")
    result = read_police_uk(write(tmp_path / "a-street.csv", f"{header}\n{police_row(ID_A)}\n"))
    assert result.frame.loc[0, "crime_id"] == ID_A
    assert result.frame.loc[0, "lsoa_code"] == "E01000001"


# --------------------------------------------------------------------------- MPS ward crime

MET_HEADER = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202401,202402,202403"


def met_text(*rows: str) -> str:
    return "\n".join([MET_HEADER, *rows]) + "\n"


MET_ROWS = (
    "BURGLARY,BURGLARY - RESIDENTIAL,Abbey,E05000001,Barnet,1,20,30",
    "BURGLARY,BURGLARY - BUSINESS,Abbey,E05000001,Barnet,0,5,0",
    "ROBBERY,ROBBERY OF PERSONAL PROPERTY,Bow,E05000002,Tower Hamlets,0,\"1,234\",7",
)


def test_met_happy_path_long_exact(tmp_path: Path) -> None:
    result = read_met_ward_crime(write(tmp_path / "mps.csv", met_text(*MET_ROWS)))
    frame = result.frame
    assert list(frame.columns) == ["area_code", "area_name", "borough_name", "major", "minor",
                                   "month", "count", "source", "source_row"]
    assert result.rows_read == 3 and len(result.rejected) == 0
    assert frame["source_row"].tolist() == [2, 2, 2, 3, 4, 4]  # the file row of each count
    assert result.rows is not None and result.rows["source_row"].tolist() == [2, 3, 4]
    assert frame["count"].dtype == "int64"
    got = list(frame[["area_code", "minor", "month", "count"]].itertuples(index=False, name=None))
    assert got == [
        ("E05000001", "BURGLARY - RESIDENTIAL", "2024-01", 1),
        ("E05000001", "BURGLARY - RESIDENTIAL", "2024-02", 20),
        ("E05000001", "BURGLARY - RESIDENTIAL", "2024-03", 30),
        ("E05000001", "BURGLARY - BUSINESS", "2024-02", 5),
        ("E05000002", "ROBBERY OF PERSONAL PROPERTY", "2024-02", 1234),
        ("E05000002", "ROBBERY OF PERSONAL PROPERTY", "2024-03", 7),
    ]
    assert frame.loc[4, "borough_name"] == "Tower Hamlets" and frame.loc[4, "area_name"] == "Bow"
    assert frame["count"].sum() == 1 + 20 + 30 + 5 + 1234 + 7
    assert result.report.errors() == []


def test_met_gzip_equals_plain(tmp_path: Path) -> None:
    text = met_text(*MET_ROWS)
    plain = read_met_ward_crime(write(tmp_path / "mps.csv", text))
    gz = tmp_path / "mps.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    packed = read_met_ward_crime(gz)
    pd.testing.assert_frame_equal(plain.frame.drop(columns="source"),
                                  packed.frame.drop(columns="source"))
    assert packed.rows_read == 3


def test_met_bad_cells_reported_and_row_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "mps.csv", met_text(
        "BURGLARY,A,Abbey,E05000001,Barnet,1,-2,3",
        "BURGLARY,B,Abbey,E05000001,Barnet,1,x,2.5",
        "BURGLARY,C,Abbey,E05000001,Barnet,4,,6",
        "BURGLARY,D,Abbey,E05000001,Barnet,2.0,1,1",
    ))
    result = read_met_ward_crime(path)
    assert result.rows_read == 4
    assert result.rejected["source_row"].tolist() == [2, 3, 4]
    cells = sorted((p.row, p.column, p.what) for p in result.report.errors())
    assert cells == [
        (2, "202402", "count '-2' is not a non-negative whole number"),
        (3, "202402", "count 'x' is not a non-negative whole number"),
        (3, "202403", "count '2.5' is not a non-negative whole number"),
        (4, "202402", "count is blank"),
    ]
    assert result.rejected.loc[1, "reason"] == (
        "202402: count 'x' is not a non-negative whole number; "
        "202403: count '2.5' is not a non-negative whole number")
    assert result.frame["minor"].unique().tolist() == ["D"]  # 2.0 is a whole number
    assert result.frame["count"].sum() == 4


def test_met_duplicate_key_is_error(tmp_path: Path) -> None:
    path = write(tmp_path / "mps.csv", met_text(MET_ROWS[0], MET_ROWS[1], MET_ROWS[0]))
    result = read_met_ward_crime(path)
    errors = result.report.errors()
    assert len(errors) == 1 and errors[0].row == 4
    assert "duplicate key E05000001 / BURGLARY / BURGLARY - RESIDENTIAL first seen at row 2" in (
        errors[0].what)
    assert result.rejected["source_row"].tolist() == [4]
    assert result.frame["count"].sum() == 51 + 5


def test_met_partial_month_warned(tmp_path: Path) -> None:
    header = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202402,202403,202404,202405"
    path = write(tmp_path / "m.csv", f"{header}\nA,B,W,E05000001,X,3,100,120,110\n")
    result = read_met_ward_crime(path)
    warnings = [p for p in result.report if p.severity == "warning"]
    assert len(warnings) == 1
    assert warnings[0].column == "202402"
    assert "month 2024-02 totals 3 offences" in warnings[0].what
    assert "start of the window" in warnings[0].what
    assert result.frame["month"].tolist()[0] == "2024-02"  # kept, not dropped


def test_met_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "MajorText,MinorText,Ward,WardCode,Borough,202401\n")
    with pytest.raises(ColumnMappingError,
                       match=r"m\.csv: missing column\(s\) 'WardName', 'LookUp_BoroughName'"
                             r".*columns found: 'MajorText'"):
        read_met_ward_crime(path)


def test_met_no_month_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv",
                 "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,Jan 2024\na,b,c,d,e,1\n")
    with pytest.raises(ColumnMappingError, match=r"month columns named YYYYMM"):
        read_met_ward_crime(path)


@pytest.mark.parametrize("content,match", [
    ("", r"m\.csv is empty"),
    (MET_HEADER + "\n", r"m\.csv has a header but no data rows"),
], ids=["zero-bytes", "header-only"])
def test_met_empty(tmp_path: Path, content: str, match: str) -> None:
    with pytest.raises(EmptyInputError, match=match):
        read_met_ward_crime(write(tmp_path / "m.csv", content))


# --------------------------------------------------------------------------- ColumnMap

RECORDS = {"referral_id": "Ref", "date": "Date", "category": "Type", "ward_name": "Ward",
           "borough": "Borough"}


def test_columnmap_canonical_order_and_hashable() -> None:
    a = ColumnMap({"ward_name": "Ward", "category": "Type", "date": "Date", "lsoa_code": None})
    b = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    assert a == b and hash(a) == hash(b)
    assert list(a.columns) == ["date", "category", "ward_name"]
    assert a.header("ward_name") == "Ward" and a.header("lsoa_code") is None


@pytest.mark.parametrize("columns,layout,match", [
    ({"date": "D", "category": "C", "ward": "W"}, "records",
     r"unknown standard name 'ward' \(did you mean 'ward_name'\?\)"),
    ({"date": "D", "category": "C", "ward_name": "W", "count": "N"}, "records",
     r"'count' is not used by layout 'records'"),
    ({"category": "C", "ward_name": "W"}, "records", r"'date' must be mapped"),
    ({"date": "D", "category": "C", "lon": "X"}, "records", r"'lon' and 'lat' must be mapped"),
    ({"date": "D", "category": "C", "borough": "B"}, "records", r"map at least one location"),
    ({"period": "P", "ward_code": "W"}, "aggregate", r"'count' must be mapped"),
    ({"date": "D", "category": "C", "ward_name": "W"}, "weekly", r"layout 'weekly' is not"),
], ids=["unknown", "wrong-layout", "required", "half-pair", "no-location", "agg-count", "layout"])
def test_columnmap_invalid(columns: dict, layout: str, match: str) -> None:
    with pytest.raises(ColumnMappingError, match=match):
        ColumnMap(columns, layout=layout)  # type: ignore[arg-type]


def test_mapping_round_trip_and_stable_json(tmp_path: Path) -> None:
    mapping = ColumnMap({"ward_name": "Ward", "period": "Month", "count": "N"}, layout="aggregate")
    path = save_mapping(mapping, tmp_path / "m.json")
    assert load_mapping(path) == mapping
    assert path.read_text(encoding="utf-8") == (
        '{\n  "version": 1,\n  "layout": "aggregate",\n  "columns": {\n    "period": "Month",\n'
        '    "count": "N",\n    "ward_name": "Ward"\n  }\n}\n'
    )
    save_mapping(load_mapping(path), tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("content,match", [
    ("{not json", r"bad\.json: not valid JSON"),
    ('{"layout": "records"}', r"bad\.json: expected an object with 'layout' and 'columns'"),
    ('{"layout": "records", "columns": {"date": "D"}}', r"bad\.json: invalid column mapping"),
], ids=["syntax", "shape", "invalid"])
def test_load_mapping_errors_name_file(tmp_path: Path, content: str, match: str) -> None:
    with pytest.raises(ColumnMappingError, match=match):
        load_mapping(write(tmp_path / "bad.json", content))


# --------------------------------------------------------------------------- referrals: CSV


def test_referrals_csv_records_exact(tmp_path: Path) -> None:
    path = write(tmp_path / "refs.csv", (
        "Ref,Date,Type,Ward,Borough\n"
        "R1,2024-03-05,Exploitation,Abbey Ward,Barnet\n"
        "R2,15/04/2024,Neglect,Bow,Tower Hamlets\n"
    ))
    result = read_referrals(path, ColumnMap(RECORDS))
    frame = result.frame
    assert list(frame.columns) == ["source", "source_row", "referral_id", "date", "month",
                                   "category", "ward_name", "borough", "count"]
    assert frame["source"].tolist() == ["refs.csv", "refs.csv"]
    assert frame["source_row"].tolist() == [2, 3]
    assert frame["referral_id"].tolist() == ["R1", "R2"]
    assert frame["date"].tolist() == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-04-15")]
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["month"].tolist() == ["2024-03", "2024-04"]
    assert frame["category"].tolist() == ["Exploitation", "Neglect"]
    assert frame["ward_name"].tolist() == ["Abbey Ward", "Bow"]
    assert frame["borough"].tolist() == ["Barnet", "Tower Hamlets"]
    assert frame["count"].tolist() == [1, 1] and frame["count"].dtype == "int64"
    assert result.rows_read == 2 and result.report.errors() == []


@pytest.mark.parametrize("text,expected", [
    ("2024-03-05", "2024-03-05"),
    ("2024-03-05 14:30:00", "2024-03-05 14:30"),
    ("05/03/2024", "2024-03-05"),
    ("5/3/24", "2024-03-05"),
    ("05-Mar-24", "2024-03-05"),
    ("5 March 2024", "2024-03-05"),
    ("45356", "2024-03-05"),
    ("01/02/2024", "2024-02-01"),
], ids=["iso", "iso-time", "uk", "uk-short", "dd-Mon-yy", "long", "excel-serial", "ambiguous"])
def test_referral_date_formats(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "d.csv", f"Date,Type,Ward\n{text},X,Bow\n")
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    result = read_referrals(path, mapping)
    assert result.frame.loc[0, "date"] == pd.Timestamp(expected)


def test_referral_us_only_dates_warned_and_bad_dates_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv",
                 "When,Type,Ward\n12/31/2024,X,Bow\n01/02/2024,X,Bow\nsoon,X,Bow\n,X,Bow\n")
    mapping = ColumnMap({"date": "When", "category": "Type", "ward_name": "Ward"})
    result = read_referrals(path, mapping)
    assert result.frame["date"].tolist() == [pd.Timestamp("2024-12-31"), pd.Timestamp("2024-02-01")]
    warning = [p for p in result.report if "US order" in p.what]
    assert len(warning) == 1 and "row 2" in warning[0].what and warning[0].column == "When"
    errors = [(p.row, p.column, p.what) for p in result.report.errors()]
    assert errors == [
        (4, "When", "date 'soon' is not a recognised date (use e.g. 2024-03-31 or 31/03/2024)"),
        (5, "When", "date is blank"),
    ]
    assert result.rejected["source_row"].tolist() == [4, 5]
    assert result.rejected["reason"].tolist()[1] == "date is blank"
    assert result.rows_read == 4


def test_referral_cp1252_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "win.csv", "Date,Type,Ward\n2024-01-02,Café visit,Bow Común\n",
                 encoding="cp1252")
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    result = read_referrals(path, mapping)
    assert result.frame.loc[0, "category"] == "Café visit"
    assert result.frame.loc[0, "ward_name"] == "Bow Común"
    assert any("cp1252" in m for m in messages(result, "info"))


def test_referral_utf8_bom_semicolon_and_header_case(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.csv", "date;TYPE;ward  code\n2024-01-02;X;e05000001\n",
                 encoding="utf-8-sig")
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_code": "Ward Code"})
    result = read_referrals(path, mapping)
    assert result.frame.loc[0, "ward_code"] == "E05000001"  # normalised to upper case
    assert not any("cp1252" in m for m in messages(result))


def test_referral_missing_header_lists_found_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path / "refs.csv", "Referral date,Type,Ward Name\n2024-01-02,X,Bow\n")
    mapping = ColumnMap({"date": "Referral date", "category": "Type", "ward_name": "Ward"})
    with pytest.raises(ColumnMappingError) as info:
        read_referrals(path, mapping)
    text = str(info.value)
    assert "refs.csv: column(s) 'Ward' not found in the first 20 rows" in text
    assert "Headers found (row 1): 'Referral date', 'Type', 'Ward Name'" in text
    assert "Did you mean 'Ward Name' for 'Ward'?" in text


@pytest.mark.parametrize("content,match", [
    ("", r"e\.csv is empty"),
    ("Date,Type,Ward\n", r"e\.csv has a header but no data rows"),
    ("Date,Type,Ward\n,,\n\n", r"e\.csv has a header but no data rows"),
], ids=["zero-bytes", "header-only", "blank-rows"])
def test_referral_empty(tmp_path: Path, content: str, match: str) -> None:
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    with pytest.raises(EmptyInputError, match=match):
        read_referrals(write(tmp_path / "e.csv", content), mapping)


def test_referral_old_xls_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    with pytest.raises(InputDataError, match=r"old\.xls: old Excel .xls.*save as \.xlsx"):
        read_referrals(path, mapping)


def test_referral_broken_csv_refused_with_its_line_as_the_upload_page_does(tmp_path: Path) -> None:
    """One strict grid parser (io.sheets): a quote never closed would swallow the rest."""
    text = 'Date,Type,Ward\n2025-05-01,"CCE,Hackney\n2025-05-02,CCE,Hackney\n'
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    with pytest.raises(InputDataError, match=r"b\.csv is a broken CSV at line 3"):
        read_referrals(write(tmp_path / "b.csv", text), mapping)
    with pytest.raises(UploadError, match=r"b\.csv is a broken CSV at line 3") as info:
        read_headers("b.csv", text.encode())
    assert info.value.part == "referrals"


def test_referral_binary_csv_refused(tmp_path: Path) -> None:
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    with pytest.raises(InputDataError, match=r"picture\.csv is not a text CSV"):
        read_referrals(path, mapping)


def test_read_headers_decodes_windows_1252_as_the_reader_does() -> None:
    data = "Date,Café type,Ward\n2024-01-02,x,Bow\n".encode("cp1252")
    headers = read_headers("win.csv", data)
    assert headers == ["Date", "Café type", "Ward"]
    mapping = ColumnMap({"date": headers[0], "category": headers[1], "ward_name": headers[2]})
    assert read_referrals(io.BytesIO(data), mapping, label="win.csv").frame["category"].tolist() \
        == ["x"]


# --------------------------------------------------------------------------- referrals: locations


def test_referral_locations_coordinates_and_unlocated(tmp_path: Path) -> None:
    path = write(tmp_path / "loc.csv", (
        "Date,Type,E,N,Lon,Lat\n"
        "2024-01-02,X,530000,180000,,\n"        # easting/northing
        "2024-01-02,X,,,-0.1,51.5\n"            # lon/lat
        "2024-01-02,X,,,,\n"                    # nothing: kept, unlocated
        "2024-01-02,X,,,51.5,-0.1\n"            # swapped: read the other way round
    ))
    mapping = ColumnMap({"date": "Date", "category": "Type", "easting": "E", "northing": "N",
                         "lon": "Lon", "lat": "Lat"})
    result = read_referrals(path, mapping)
    frame = result.frame
    assert len(frame) == 4 and result.rows_read == 4
    assert frame["x"].tolist()[:2] == [530000.0, -0.1] and frame.loc[3, "x"] == -0.1
    assert frame["y"].tolist()[:2] == [180000.0, 51.5] and frame.loc[3, "y"] == 51.5
    assert frame["xy_crs"].tolist() == ["EPSG:27700", "EPSG:4326", pd.NA, "EPSG:4326"]
    assert frame.loc[2, ["x", "y"]].isna().all()
    unlocated = [p for p in result.report if p.what.startswith("no usable location")]
    assert len(unlocated) == 1 and unlocated[0].count == 1 and "row 4" in unlocated[0].what
    swapped = [p for p in result.report if "swapped" in p.what]
    assert len(swapped) == 1 and "row 5" in swapped[0].what and swapped[0].column == "Lon"
    assert "read the other way round" in swapped[0].what


def test_referral_lon_lat_in_metres_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "Date,Type,X,Y\n2024-01-02,A,530000,180000\n")
    mapping = ColumnMap({"date": "Date", "category": "Type", "lon": "X", "lat": "Y"})
    result = read_referrals(path, mapping)
    assert result.frame.loc[0, "x"] == 530000.0  # kept: the join counts it outside
    far = [p for p in result.report if "outside the UK" in p.what]
    assert len(far) == 1 and "map them as easting/northing" in far[0].fix


def test_referral_codes_and_no_location_row(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv",
                 "Date,Type,LSOA\n2024-01-02,A,E01000001\n2024-01-03,A,\n2024-01-04,A,Bow\n")
    mapping = ColumnMap({"date": "Date", "category": "Type", "lsoa_code": "LSOA"})
    result = read_referrals(path, mapping)
    assert result.frame["lsoa_code"].tolist()[0] == "E01000001"
    assert pd.isna(result.frame.loc[1, "lsoa_code"])
    odd = [p for p in result.report if "does not look like a GSS code" in p.what]
    assert len(odd) == 1 and "'BOW'" in odd[0].what and "row 4" in odd[0].what


def test_referral_blank_category_repeated_id_and_total_row(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", (
        "Ref,Date,Type,Ward\n"
        "R1,2024-01-02,A,Bow\n"
        "R1,2024-01-03,,Bow\n"
        "R2,2024-01-04,B,Grand Total\n"
    ))
    mapping = ColumnMap({"referral_id": "Ref", "date": "Date", "category": "Type",
                         "ward_name": "Ward"})
    result = read_referrals(path, mapping)
    assert result.frame["referral_id"].tolist() == ["R1", "R1"]
    assert pd.isna(result.frame.loc[1, "category"])
    warnings = {p.what: p for p in result.report if p.severity == "warning"}
    assert warnings["repeated referral id (rows 2, 3)"].column == "Ref"
    assert warnings["blank category (row 3)"].column == "Type"
    assert result.rejected["reason"].tolist() == [
        "ward_name 'Grand Total' looks like a totals row, not an area"]
    assert result.rows_read == 3


# --------------------------------------------------------------------------- referrals: aggregate


def test_referral_aggregate_layout(tmp_path: Path) -> None:
    path = write(tmp_path / "agg.csv", (
        "Ward,Month,Referrals\n"
        "Abbey,2024-03,5\n"
        "Bow,Mar 2024,\"1,200\"\n"
        "Bow,202404,0\n"
        "Abbey,04/2024,-1\n"
        "Abbey,someday,3\n"
        "Total,2024-03,1205\n"
    ))
    mapping = ColumnMap({"ward_name": "Ward", "period": "Month", "count": "Referrals"},
                        layout="aggregate")
    result = read_referrals(path, mapping)
    frame = result.frame
    assert frame["month"].tolist() == ["2024-03", "2024-03", "2024-04"]
    assert frame["date"].tolist() == [pd.Timestamp("2024-03-01")] * 2 + [pd.Timestamp("2024-04-01")]
    assert frame["count"].tolist() == [5, 1200, 0]
    assert frame["category"].isna().all()
    # the totals row below the table is no record: skipped and named, not counted
    assert result.rows_read == 5
    reasons = result.rejected.set_index("source_row")["reason"].to_dict()
    assert reasons == {
        5: "count '-1' is not a non-negative whole number",
        6: "period 'someday' is not a month (use e.g. 2024-03 or Mar 2024)",
    }
    assert {(p.row, p.column) for p in result.report.errors()} == {
        (5, "Referrals"), (6, "Month")}
    (skipped,) = [p for p in result.report if "below the table skipped" in p.what]
    assert "row 7" in skipped.what and "'Total'" in skipped.what


def test_referral_total_inside_the_table_is_rejected(tmp_path: Path) -> None:
    """A totals line between records is not a footer: rejected and named, as before."""
    path = write(tmp_path / "agg.csv", "Ward,Month,Referrals\nAbbey,2024-03,5\n"
                 "Total,2024-03,5\nBow,2024-03,2\n")
    mapping = ColumnMap({"ward_name": "Ward", "period": "Month", "count": "Referrals"},
                        layout="aggregate")
    result = read_referrals(path, mapping)
    assert result.rows_read == 3
    assert result.rejected.set_index("source_row")["reason"].to_dict() == {
        3: "ward_name 'Total' looks like a totals row, not an area"}


# --------------------------------------------------------------------------- referrals: XLSX


def make_workbook(path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes["A1"] = "Read me first"
    ws = wb.create_sheet("Referrals")
    ws["A1"] = "Community safety referrals Q1 2024"
    ws.merge_cells("A1:D1")
    ws.append([])  # row 2 blank
    ws.append(["Ref", "Referral Date", "Category", "Ward"])              # row 3: header
    ws.append(["R1", dt.datetime(2024, 1, 5), "Exploitation", "Abbey"])  # 4: datetime cell
    ws.append(["R2", 45356, "Neglect", "Bow"])                            # 5: Excel serial
    ws.append(["R3", "07/02/2024", "Neglect", "Bow"])                     # 6: UK text
    ws.append(["R4", "09-Feb-24", "Other", "Bow"])                        # 7: dd-Mon-yy
    ws.append([None, None, None, None])                                   # 8: blank
    ws.append(["North area"])                                             # 9: merged heading
    ws.merge_cells("A9:D9")
    ws.append(["R5", dt.date(2024, 3, 1), "Exploitation", "Cann Hall"])  # 10
    ws.append(["R6", "2024-03-02", None, None])                           # 11: filled by merge
    ws.merge_cells("C10:C11")
    ws.append(["R7", "not a date", "Other", "Bow"])                       # 12: rejected
    wb.save(path)
    return path


XLSX_MAP = ColumnMap({"referral_id": "Ref", "date": "Referral date", "category": "Category",
                      "ward_name": "Ward"})


def test_referral_xlsx_header_on_row_3_mixed_dates(tmp_path: Path) -> None:
    result = read_referrals(make_workbook(tmp_path / "refs.xlsx"), XLSX_MAP)
    frame = result.frame
    assert frame["referral_id"].tolist() == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert frame["source_row"].tolist() == [4, 5, 6, 7, 10, 11]
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05", "2024-03-05", "2024-02-07", "2024-02-09", "2024-03-01", "2024-03-02"]
    assert frame["category"].tolist()[-2:] == ["Exploitation", "Exploitation"]  # merged C10:C11
    assert pd.isna(frame.loc[5, "ward_name"])  # R6 has no ward: kept, unlocated
    assert result.rejected["source_row"].tolist() == [12]
    assert result.rows_read == 7
    text = " | ".join(p.what for p in result.report)
    assert "header found on row 3" in text
    assert "read sheet 'Referrals'" in text  # chosen because it has the headers
    assert "merged heading rows skipped, e.g. 'North area' (row 9)" in text
    assert "merged cells spanning rows (C10:C11)" in text
    assert "blank rows skipped (row 8)" in text
    assert "no usable location (row 11)" in text
    assert [(p.row, p.column) for p in result.report.errors()] == [(12, "Referral date")]


def test_referral_xlsx_sheet_choice(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "refs.xlsx")
    assert read_referrals(path, XLSX_MAP, sheet=1).rows_read == 7
    with pytest.raises(ColumnMappingError, match=r"refs\.xlsx: no sheet named 'Sheet9'.*'Notes'"):
        read_referrals(path, XLSX_MAP, sheet="Sheet9")
    with pytest.raises(ColumnMappingError, match=r"refs\.xlsx: column\(s\) 'Ref', .* not found"
                       r".*\(sheet 'Notes'; sheets: Notes, Referrals\)"):
        read_referrals(path, XLSX_MAP, sheet="Notes")


def test_referral_xlsx_upload_buffer(tmp_path: Path) -> None:
    data = make_workbook(tmp_path / "refs.xlsx").read_bytes()
    result = read_referrals(io.BytesIO(data), XLSX_MAP, label="upload.xlsx")
    assert result.frame["source"].unique().tolist() == ["upload.xlsx"]
    assert len(result.frame) == 6


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("raw,expected", [
    ("St. Mary's & St James Ward", "st marys and st james"),
    ("ST MARYS AND ST JAMES", "st marys and st james"),
    ("Bow-East", "bow east"),
    ("  Café   Quarter ", "cafe quarter"),
    ("Hampstead Town ward", "hampstead town"),
    ("Ward", "ward"),
    ("Queen’s Park", "queens park"),
], ids=["punct-amp-ward", "upper", "hyphen", "accent-spaces", "lower-ward", "only-ward", "curly"])
def test_standardise_area_name(raw: str, expected: str) -> None:
    assert standardise_area_name(raw) == expected


def test_json_payload_is_plain(tmp_path: Path) -> None:
    path = save_mapping(ColumnMap(RECORDS), tmp_path / "r.json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["columns"] == {"referral_id": "Ref", "date": "Date", "category": "Type",
                                  "ward_name": "Ward", "borough": "Borough"}


def test_non_numeric_coordinate_names_file_row_column_and_value(tmp_path):
    """Latitude 'notanumber': kept as unlocated, reported once with row, column and value."""
    head = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            "LSOA name,Crime type,Last outcome category,Context")
    good = "a1,2020-11,F,F,-0.1,51.5,On or near X,,,Burglary,,"
    bad = "a2,2020-11,F,F,-0.1,notanumber,On or near X,,,Burglary,,"
    path = tmp_path / "2020-11-force-street.csv"
    path.write_text("\n".join([head, good, bad]) + "\n")
    res = read_police_uk(path)
    assert res.rows_read == 2 and len(res.frame) == 2 and len(res.rejected) == 0
    assert res.frame["y"].isna().tolist() == [False, True]
    text = res.report.to_text()
    assert "row 3, column 'Latitude': Latitude 'notanumber' is not a number" in text
    assert "no coordinates" not in text  # not also called 'missing'


def test_broken_quote_is_named_as_such_not_as_a_blank_month(tmp_path):
    """A stray opening quote swallows the next line: the reader says so, names the rows,
    rejects that one record (counted) and numbers the following rows correctly."""
    head = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            "LSOA name,Crime type,Last outcome category,Context")
    row = "{},2020-11,F,F,-0.1,51.5,On or near X,,,Burglary,,"
    text = "\n".join([head, row.format("a1"), '"' + row.format("a2"), row.format("a3") + '"',
                      row.format("a4")]) + "\n"
    path = tmp_path / "2020-11-force-street.csv"
    path.write_text(text)
    res = read_police_uk(path)
    assert res.rows_read == len(res.frame) + len(res.rejected) == 3
    assert res.frame["source_row"].tolist() == [2, 5]
    assert res.rejected["source_row"].tolist() == [3]
    assert "lines 3–4 were read as one row" in res.rejected["reason"].iloc[0]
    text = res.report.to_text()
    assert "month is blank" not in text and "row 3" in text and "quote" in text


def test_police_missing_longitude_is_not_offered_latitude(tmp_path: Path) -> None:
    # Latitude is the file's own Latitude column: it cannot be the missing Longitude too.
    header = POLICE_HEADER.replace("Longitude,", "")
    path = write(tmp_path / "2024-01-x-street.csv", f"{header}\n")
    with pytest.raises(ColumnMappingError) as info:
        read_police_uk(path)
    text = str(info.value)
    assert "missing column(s) 'Longitude'" in text
    assert "'Latitude' for 'Longitude'" not in text and "Did you mean" not in text
    # a misspelt header that no other column claims is still offered
    path = write(tmp_path / "2024-02-x-street.csv",
                 POLICE_HEADER.replace("Longitude", "Longtitude") + "\n")
    with pytest.raises(ColumnMappingError, match=r"Did you mean 'Longtitude' for 'Longitude'\?"):
        read_police_uk(path)


def test_referral_missing_header_is_not_offered_a_mapped_one(tmp_path: Path) -> None:
    path = write(tmp_path / "refs.csv", "Date,Type,Latitude,Long\n2024-01-02,X,51.5,-0.1\n")
    mapping = ColumnMap({"date": "Date", "category": "Type", "lon": "Longitude",
                         "lat": "Latitude"})
    with pytest.raises(ColumnMappingError) as info:
        read_referrals(path, mapping)
    text = str(info.value)
    assert "column(s) 'Longitude' not found" in text
    assert "'Latitude' for 'Longitude'" not in text


def test_met_missing_column_suggests_only_unclaimed_headers(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "MinorText,WardName,WardCode,LookUp_BoroughName,202401\n")
    with pytest.raises(ColumnMappingError) as info:
        read_met_ward_crime(path)
    assert "missing column(s) 'MajorText'" in str(info.value)
    assert "'MinorText' for 'MajorText'" not in str(info.value)  # MinorText is its own column
