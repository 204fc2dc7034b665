"""hotspots.io against the real open data in ../shared/data.

Every expected number is recomputed here from the raw files with plain pandas,
independently of the reader, and checked against the PROVENANCE.md facts.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from hotspots.io import read_met_ward_crime, read_police_uk

pytestmark = pytest.mark.realdata

POLICE = "police_uk_city_of_london_2017-12_to_2020-11"
MPS = "mps_ward_crime_2024-03_to_2026-03/MPS Ward Level Crime (most recent 24 months).csv.gz"


@pytest.fixture(scope="module")
def police_dir(shared_data: Path) -> Path:
    return shared_data / POLICE


@pytest.fixture(scope="module")
def police_raw(police_dir: Path) -> pd.DataFrame:
    """Every street CSV read as plain text, with its relative path and spreadsheet row."""
    parts = []
    for f in sorted(police_dir.rglob("*-street.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        df["file"] = f.relative_to(police_dir).as_posix()
        df["row"] = range(2, len(df) + 2)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def police(police_dir: Path):
    return read_police_uk(police_dir)


def test_police_reads_all_36_months(police, police_raw: pd.DataFrame) -> None:
    police.check_records()
    assert police_raw["file"].nunique() == 36
    assert police.rows_read == len(police_raw) == 24_750
    months = sorted(police.frame["month"].unique())
    assert len(months) == 36 and months[0] == "2017-12" and months[-1] == "2020-11"
    assert police.frame["source"].nunique() == 36
    # no month problems in this data set, no folder mismatches, no implausible coordinates
    text = " ".join(p.what for p in police.report)
    assert "YYYY-MM" not in text and "differs from the folder" not in text
    assert "plausible" not in text


def test_police_rows_without_coordinates(police, police_raw: pd.DataFrame) -> None:
    raw_missing = int(((police_raw["Longitude"] == "") | (police_raw["Latitude"] == "")).sum())
    assert raw_missing == 1_807  # PROVENANCE
    kept_missing = int(police.frame["x"].isna().sum())
    rejected_missing = int(police.rejected["x"].isna().sum())
    assert kept_missing + rejected_missing == raw_missing
    reported = [p for p in police.report if p.what.startswith("no coordinates")]
    assert all(p.severity == "warning" for p in reported)
    assert sum(p.count for p in reported) == kept_missing
    # every unlocated row also has no LSOA (PROVENANCE)
    assert police.frame.loc[police.frame["x"].isna(), "lsoa_code"].isna().all()


def test_police_repeated_ids_counted_as_published_and_listed(police,
                                                              police_raw: pd.DataFrame) -> None:
    """Default: every row counts, as on police.uk's maps; each file's repeats are listed."""
    named = police_raw[police_raw["Crime ID"] != ""]
    in_groups = named.duplicated(["file", "Crime ID"], keep=False)
    assert len(police.rejected) == 0 and len(police.frame) == 24_750
    listed = [p for p in police.report if "repeated Crime IDs" in p.what]
    assert sum(p.count for p in listed) == int(in_groups.sum())
    per_file = named[in_groups].groupby("file").size()
    assert {p.file: p.count for p in listed} == per_file.to_dict()


def test_police_duplicate_ids_rejected_when_counted_once(police_dir: Path,
                                                          police_raw: pd.DataFrame) -> None:
    once = read_police_uk(police_dir, crime_ids="once")
    named = police_raw[police_raw["Crime ID"] != ""]
    dup = named.duplicated(["Month", "Crime ID"])
    assert int(dup.sum()) == 252  # PROVENANCE
    assert len(once.rejected) == 252
    expected = set(zip(named.loc[dup, "file"], named.loc[dup, "row"], strict=True))
    got = set(zip(once.rejected["source"], once.rejected["source_row"], strict=True))
    assert got == expected
    assert once.rejected["reason"].str.contains("repeated in this file").all()
    kept_ids = once.frame.dropna(subset=["crime_id"])
    assert not kept_ids.duplicated(["month", "crime_id"]).any()


def test_police_blank_ids_are_asb(police, police_raw: pd.DataFrame) -> None:
    blank = police_raw["Crime ID"] == ""
    assert int(blank.sum()) == 3_501  # PROVENANCE: Anti-social behaviour 3,501
    assert (police_raw.loc[blank, "Crime type"] == "Anti-social behaviour").all()
    info = [p for p in police.report if p.severity == "info" and "blank Crime ID" in p.what]
    assert sum(p.count for p in info) == 3_501
    assert int(police.frame["crime_id"].isna().sum()) == 3_501


def test_police_categories_preserved(police, police_raw: pd.DataFrame) -> None:
    everything = pd.concat([police.frame["category"], police.rejected["category"]])
    got = everything.value_counts().to_dict()
    assert got == police_raw["Crime type"].value_counts().to_dict()
    assert len(got) == 14 and got["Other theft"] == 5_507 and got["Possession of weapons"] == 202


def test_police_zip_equals_folder(police, police_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "police.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(police_dir.rglob("*-street.csv")):
            zf.write(f, f.relative_to(police_dir).as_posix())
    from_zip = read_police_uk(archive)
    pd.testing.assert_frame_equal(from_zip.frame, police.frame)
    pd.testing.assert_frame_equal(from_zip.rejected, police.rejected)
    assert from_zip.rows_read == police.rows_read


@pytest.fixture(scope="module")
def mps_raw(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / MPS)


@pytest.fixture(scope="module")
def mps(shared_data: Path):
    return read_met_ward_crime(shared_data / MPS)


def month_columns(raw: pd.DataFrame) -> list[str]:
    return [c for c in raw.columns if c.isdigit() and len(c) == 6]


def test_mps_rows_and_grand_total(mps, mps_raw: pd.DataFrame) -> None:
    months = month_columns(mps_raw)
    assert len(mps_raw) == mps.rows_read == 18_669
    assert len(months) == 25
    assert int(mps_raw[months].to_numpy().sum()) == 1_780_436  # PROVENANCE
    assert int(mps.frame["count"].sum()) == 1_780_436
    assert len(mps.rejected) == 0 and mps.report.errors() == []
    assert (mps.frame["count"] > 0).all()
    assert mps.frame["area_code"].nunique() == 679


def test_mps_ward_month_totals_equal_wide(mps, mps_raw: pd.DataFrame) -> None:
    months = month_columns(mps_raw)
    wide = mps_raw.groupby("WardCode")[months].sum()
    wide.columns = [f"{c[:4]}-{c[4:]}" for c in months]
    expected = wide.stack()
    expected = expected[expected > 0].sort_index()
    got = mps.frame.groupby(["area_code", "month"])["count"].sum().sort_index()
    assert got.to_dict() == expected.to_dict()


def test_mps_row_totals_preserved(mps, mps_raw: pd.DataFrame) -> None:
    months = month_columns(mps_raw)
    raw_rows = mps_raw.assign(total=mps_raw[months].sum(axis=1))
    raw_rows = raw_rows[raw_rows["total"] > 0]
    expected = raw_rows.set_index(["WardCode", "MajorText", "MinorText"])["total"].to_dict()
    got = mps.frame.groupby(["area_code", "major", "minor"])["count"].sum().to_dict()
    assert got == expected


def test_mps_first_month_flagged_partial(mps, mps_raw: pd.DataFrame) -> None:
    assert int(mps_raw["202403"].sum()) == 47  # PROVENANCE
    partial = [p for p in mps.report if "partial month" in p.what]
    assert [(p.severity, p.column) for p in partial] == [("warning", "202403")]
    assert "month 2024-03 totals 47 offences" in partial[0].what
    assert "start of the window" in partial[0].what
    assert mps.frame["month"].min() == "2024-03"  # flagged, not dropped
