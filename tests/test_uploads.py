"""Uploads on top of the demo pack: pure functions of hotspots.uploads (no Streamlit).

Files are made in the tests (tiny police.uk CSVs with points inside known demo wards,
referral sheets with messy headers, boundary files) and checked against an
independent geopandas ``sjoin``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from hotspots import pipeline
from hotspots._errors import InputDataError
from hotspots.areas import coverage
from hotspots.io import ColumnMap, mappings, sheets
from hotspots.pipeline import measures
from hotspots.pipeline import uploads as uploads

POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                 "LSOA code,LSOA name,Crime type,Last outcome category,Context")
MONTH = "2025-05"


@pytest.fixture(scope="module")
def base() -> pipeline.Pack:
    return pipeline.load_pack()


@pytest.fixture(scope="module")
def wards(base) -> gpd.GeoDataFrame:
    """One known ward in each of three boroughs (the lowest code of each)."""
    a = base.areas
    picks = [a[a["borough_name"] == b].sort_values("area_code").iloc[0]
             for b in ("Hackney", "Lambeth", "Camden")]
    return gpd.GeoDataFrame(picks, crs=a.crs).reset_index(drop=True)


def _police_csv(rows: list[tuple[str, str, object, object, str]], *,
                force: str = "Metropolitan Police Service") -> bytes:
    lines = [POLICE_HEADER]
    for cid, month, lon, lat, kind in rows:
        lon_s = "" if lon is None else f"{lon:.6f}"
        lat_s = "" if lat is None else f"{lat:.6f}"
        lines.append(f"{cid},{month},{force},{force},"
                     f"{lon_s},{lat_s},On or near a street,,,{kind},Under investigation,")
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def police_rows(wards) -> list[tuple[str, str, object, object, str]]:
    """3, 2 and 1 crimes in the three wards, plus rows that cannot be placed."""
    pts = wards.geometry.representative_point().to_crs("EPSG:4326")
    rows = []
    for i, (pt, n) in enumerate(zip(pts, (3, 2, 1), strict=True)):
        for j in range(n):
            kind = "Burglary" if j % 2 == 0 else "Robbery"
            rows.append((f"c{i}{j}", MONTH, pt.x, pt.y, kind))
    rows.append(("", MONTH, None, None, "Anti-social behaviour"))  # no location
    rows.append(("cman", MONTH, -2.2426, 53.4808, "Burglary"))  # Manchester: outside
    rows.append(("cbad", "May 2025", pts.iloc[0].x, pts.iloc[0].y, "Burglary"))  # bad month
    return rows


@pytest.fixture(scope="module")
def police_pack(base, police_rows) -> pipeline.Pack:
    return uploads.pack_with_uploads(
        base, police_uk_files=[("2025-05-metropolitan-street.csv", _police_csv(police_rows))])


def _sjoin_counts(rows, areas, kind: str | None = None) -> pd.Series:
    """Independent reference: points within areas, counted per area_code."""
    ok = [r for r in rows if r[2] is not None and re.fullmatch(r"\d{4}-\d\d", r[1])
          and (kind is None or r[4] == kind)]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([r[2] for r in ok], [r[3] for r in ok]),
                           crs="EPSG:4326").to_crs(areas.crs)
    hits = gpd.sjoin(pts, areas[["area_code", "geometry"]], predicate="within")
    return hits["area_code"].value_counts().sort_index()


# --------------------------------------------------------------------------- police.uk


def test_police_reconciliation_adds_up(police_pack, police_rows, base):
    rec = uploads.upload_reconciliation(police_pack)
    assert len(rec) == 1
    r = rec.iloc[0]
    assert r["rows_in"] == len(police_rows)
    assert r["rows_in"] == r["assigned"] + r["unlocated"] + r["outside"] + r["rejected"]
    assert (r["assigned"], r["unlocated"], r["outside"], r["rejected"]) == (6, 1, 1, 1)
    assert r["assigned"] == _sjoin_counts(police_rows, base.areas).sum()
    details = uploads.upload_details(police_pack)
    assert sorted(details["status"]) == ["outside", "rejected", "unlocated"]
    assert set(details["source"]) == {"2025-05-metropolitan-street.csv"}


def test_police_counts_per_ward_match_independent_sjoin(police_pack, police_rows, base):
    sel = pipeline.Selection(f"{uploads.SOURCE_KEY_PREFIX}police_uk", MONTH, MONTH)
    wt = measures.table_for(police_pack, sel)
    got = wt.frame.set_index("area_code")["count"]
    expected = _sjoin_counts(police_rows, base.areas)
    assert got[expected.index].astype(int).tolist() == expected.tolist()
    assert wt.n_records == expected.sum() == 6
    # The rows say "Metropolitan Police Service": every Met borough is covered (0, not
    # "no data"), the City of London (its own force, E09000001) is not.
    covered = got.notna()
    in_met = base.areas.set_index("area_code")["borough_code"] != "E09000001"
    assert covered.equals(in_met.reindex(got.index))
    assert police_pack.meta.uploads.police_forces == {
        "Metropolitan Police Service": "Metropolitan Police"}
    assert "police.uk" in wt.label and wt.selection == sel
    assert wt.reconciliation["source"].str.contains("police.uk upload").all()


@pytest.mark.parametrize("kind", ["Burglary", "Robbery"])
def test_police_crime_type_measure(police_pack, police_rows, base, kind):
    key = f"crime:major:{uploads.POLICE_UK_PREFIX}{kind}"
    assert key in pipeline.measure_options(police_pack)
    wt = measures.table_for(police_pack, pipeline.Selection(key, MONTH, MONTH))
    expected = _sjoin_counts(police_rows, base.areas, kind)
    got = wt.frame.set_index("area_code")["count"]
    assert got[expected.index].astype(int).tolist() == expected.tolist()
    assert wt.label.startswith(f"police.uk: {kind}")


def test_police_added_keeps_pack_crime_population_and_imd(police_pack, base):
    assert police_pack.population is base.population and police_pack.imd is base.imd
    assert police_pack.crime_coverage == base.crime_coverage
    own = police_pack.crime[~police_pack.crime["major"].str.startswith("police.uk: ")]
    assert len(own) == len(base.crime)
    # "All recorded crime" is still the pack's own source: never the sum of both.
    sel = pipeline.Selection("crime:all", MONTH, MONTH)
    mine, theirs = measures.table_for(police_pack, sel), pipeline.ward_table(base, sel)
    assert mine.n_records == theirs.n_records
    assert "pack data" in mine.label
    assert not mine.reconciliation["source"].str.contains("police.uk").any()
    assert police_pack.web_areas is base.web_areas  # same areas: web layers reused


def test_base_pack_not_modified(base, police_rows):
    meta = json.dumps(base.meta.to_json())
    n_crime, n_rec = len(base.crime), len(base.reconciliations)
    uploads.pack_with_uploads(base, police_uk_files=[("a.csv", _police_csv(police_rows))])
    assert json.dumps(base.meta.to_json()) == meta
    assert (len(base.crime), len(base.reconciliations)) == (n_crime, n_rec)


def test_police_zip_and_replace_mode(base, police_rows):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{MONTH}/{MONTH}-metropolitan-street.csv", _police_csv(police_rows))
    pack = uploads.pack_with_uploads(base, police_uk_files=[("archive.zip", buf.getvalue())],
                                     crime_mode="replace")
    assert pack.crime["major"].str.startswith("police.uk: ").all()
    assert pack.meta.crime_sources is None and "crime_sources" not in pack.meta.to_json()
    wt = measures.table_for(pack, pipeline.Selection("crime:all", MONTH, MONTH))
    assert wt.n_records == 6
    assert not pack.reconciliations["source"].str.startswith("Recorded crime (").any()
    assert set(uploads.upload_details(pack)["source"]) == {
        f"{MONTH}/{MONTH}-metropolitan-street.csv"}


def test_same_crime_in_two_files_counted_once(base, wards):
    pt = wards.geometry.representative_point().to_crs("EPSG:4326").iloc[0]
    a = _police_csv([("dup1", MONTH, pt.x, pt.y, "Burglary"), ("x1", MONTH, pt.x, pt.y, "Drugs")])
    b = _police_csv([("dup1", MONTH, pt.x, pt.y, "Burglary")])
    pack = uploads.pack_with_uploads(base, police_uk_files=[("a.csv", a), ("b.csv", b)])
    rec = uploads.upload_reconciliation(pack).set_index("source")
    assert rec["assigned"].sum() == 2 and rec["rejected"].sum() == 1
    reason = uploads.upload_details(pack)["reason"].iloc[0]
    assert "the same crime (Crime ID dup1…) is already counted from a.csv row 2" in reason


# --------------------------------------------------------------------------- referrals


REFERRALS_CSV = (
    "\ufeffReferral ID ,DOB,Date of referral,Type of concern,Ward,Borough,LSOA\n"
    "R1,01/02/2010,03/05/2025,County Lines,Stoke Newington,Hackney,\n"
    "R2,01/02/2010,04/05/2025,CCE,Stoke Newington,Hackney,\n"
    "R3,01/02/2010,05/05/2025,CCE,Nowhere Ward,Hackney,\n"
    "R4,01/02/2010,not a date,CCE,Stoke Newington,Hackney,\n"
    "R5,01/02/2010,06/05/2025,CCE,,,\n"
    "R6,01/02/2010,07/05/2025,CSE,,,E01000001\n"
).encode("utf-8")


@pytest.fixture(scope="module")
def referral_pack(base) -> pipeline.Pack:
    headers = sheets.read_headers("=partner.csv", REFERRALS_CSV)
    mapping = ColumnMap(mappings.guess_mapping(headers))
    return uploads.pack_with_uploads(base, referral_file=("=partner.csv", REFERRALS_CSV),
                                     mapping=mapping)


def test_referral_upload_replaces_synthetic(referral_pack, base):
    assert base.meta.synthetic_referrals is True
    assert referral_pack.meta.synthetic_referrals is False
    assert referral_pack.meta.marking == "OFFICIAL-SENSITIVE"
    assert not any("SYNTHETIC" in v for v in pipeline.measure_options(referral_pack).values())
    assert not referral_pack.reconciliations["source"].str.contains("SYNTHETIC").any()
    rec = uploads.upload_reconciliation(referral_pack).iloc[0]
    # "Nowhere Ward" names no ward: without a location (not outside any area)
    assert (rec["rows_in"], rec["assigned"], rec["outside"], rec["unlocated"],
            rec["rejected"]) == (6, 3, 0, 2, 1)
    # R6 is placed through the pack's LSOA -> ward lookup.
    lookup = pd.read_csv(base.folder / "imd_lsoa_assignment.csv", dtype=str)
    lsoa_ward = lookup.set_index("small_code").loc["E01000001", "area_code"]
    assert lsoa_ward in set(referral_pack.referrals["area_code"])
    wt = measures.table_for(referral_pack, pipeline.Selection("referrals:all", MONTH, MONTH))
    assert wt.n_records == 3 and not wt.is_synthetic
    assert referral_pack.crime is base.crime


def test_referral_reasons_are_safe_for_spreadsheets(referral_pack):
    details = uploads.upload_details(referral_pack)
    assert len(details) == 3
    assert (details["source"] == "'=partner.csv").all()  # formula neutralised
    assert any("Nowhere Ward" in r for r in details["reason"])
    assert any("not a recognised date" in r for r in details["reason"])


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["\ufeffReferral ID ", "DOB", "Date of referral", "Type of concern", "Ward", "Borough"],
         {"referral_id": "\ufeffReferral ID ", "date": "Date of referral",
          "category": "Type of concern", "ward_name": "Ward", "borough": "Borough"}),
        (["case_ref", "date_of_birth", "DATE_RECEIVED", "CATEGORY", "WD25CD", "LAD25NM"],
         {"referral_id": "case_ref", "date": "DATE_RECEIVED", "category": "CATEGORY",
          "ward_code": "WD25CD", "borough": "LAD25NM"}),
        (["Ward Code", "Ward Name", "Borough Code", "Local Authority", "Incident date",
          "Offence"],
         {"date": "Incident date", "category": "Offence", "ward_code": "Ward Code",
          "ward_name": "Ward Name", "borough": "Local Authority"}),
        (["id", "Date", "Latitude", "Longitude", "Easting", "Northing", "Notes"],
         {"referral_id": "id", "date": "Date", "lon": "Longitude", "lat": "Latitude",
          "easting": "Easting", "northing": "Northing"}),
        (["Colour", "Size"], {}),
    ],
    ids=["bom-and-dob", "snake-case-gss", "code-and-name-columns", "coordinates", "nothing"],
)
def test_guess_mapping_on_messy_headers(headers, expected):
    assert mappings.guess_mapping(headers) == expected


def test_guess_mapping_aggregate_and_remembered():
    headers = ["Month", "Ward", "No. of referrals", "Type"]
    assert mappings.guess_layout(headers) == "aggregate"
    assert mappings.guess_mapping(headers, layout="aggregate") == {
        "period": "Month", "count": "No. of referrals", "category": "Type", "ward_name": "Ward"}
    remembered = {"category": "Ward", "ward_name": "Type"}  # odd, but the user's choice
    got = mappings.guess_mapping(headers, layout="aggregate", remembered=remembered)
    assert got["category"] == "Ward" and got["ward_name"] == "Type"
    with pytest.raises(ValueError, match="layout must be one of"):
        mappings.guess_mapping(headers, layout="wide")  # type: ignore[arg-type]


def test_mapping_json_round_trip_and_remembered_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    m = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    text = mappings.mapping_to_json(m)
    assert json.loads(text) == {"version": 1, "layout": "records",
                                "columns": {"date": "Date", "category": "Type",
                                            "ward_name": "Ward"}}
    assert mappings.mapping_from_json("m.json", text.encode()) == m
    path = mappings.remember_mapping(m, "partner referrals.xlsx")
    assert path == tmp_path / "hotspots" / "mappings" / "partner_referrals.json"
    assert mappings.remembered_mapping(["ward", "DATE", "Type", "Other"]) == m
    assert mappings.remembered_mapping(["Date", "Type"]) is None
    with pytest.raises(uploads.UploadError, match=r"^bad\.json: not valid JSON"):
        mappings.mapping_from_json("bad.json", b"{not json")


# --------------------------------------------------------------------------- bad files


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _shapefile_zip_without_crs(areas: gpd.GeoDataFrame, tmp: Path) -> bytes:
    areas[["area_code", "area_name", "geometry"]].to_file(tmp / "w.shp")
    (tmp / "w.prj").unlink()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in tmp.iterdir():
            z.write(f, f.name)
    return buf.getvalue()


BAD_POLICE = [
    ("wrong-columns.csv", b"a,b\n1,2\n", r"missing column\(s\) 'Crime ID'"),
    ("empty.csv", b"", r"is empty"),
    ("broken.csv", (POLICE_HEADER + '\nx,2025-05,a,b,0.1,51.5,"On or near,d,e,f,g,h\n'
                    "y,2025-05,a,b,0.1,51.5,c,d,e,f,g,h\n").encode(),
     r"could not be read as a CSV \(Error tokenizing data"),
    ("other.zip", b"PK\x03\x04 not really a zip", r"not a readable zip"),
]


@pytest.mark.parametrize(("name", "data", "match"), BAD_POLICE,
                         ids=[b[0] for b in BAD_POLICE])
def test_bad_police_files_name_the_file(base, name, data, match):
    with pytest.raises(uploads.UploadError, match=match) as info:
        uploads.pack_with_uploads(base, police_uk_files=[(name, data)])
    assert str(info.value).startswith(name) and isinstance(info.value, InputDataError)
    assert info.value.part == "police_uk"


BAD_REFERRALS = [
    ("empty.csv", b"", r"is empty \(0 bytes\)"),
    ("broken.csv", b'Date,Type,Ward\n2025-05-01,"CCE,Hackney\n2025-05-02,CCE,Hackney\n',
     r"broken CSV at line \d"),
    ("noheader.xlsx", _xlsx([["R1", "2025-05-01", "CCE", "Hackney"],
                             ["R2", "2025-05-02", "CSE", "Hackney"]]),
     r"has no header row: the first row holds values \('R1'"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, r"old Excel \.xls"),
    ("picture.csv", b"\x89PNG\r\n\x1a\n\0\0\0", r"not a text CSV"),
    ("wrong-columns.csv", b"Colour,Size\nred,1\n", r"missing|not found|Choose|mapped"),
]


@pytest.mark.parametrize(("name", "data", "match"), BAD_REFERRALS,
                         ids=[b[0] for b in BAD_REFERRALS])
def test_bad_referral_files_name_the_file(base, name, data, match):
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    with pytest.raises(uploads.UploadError, match=match) as info:
        uploads.pack_with_uploads(base, referral_file=(name, data), mapping=mapping)
    assert str(info.value).startswith(name)
    assert info.value.part == "referrals"


def test_boundary_without_crs_names_file_and_fix(base, tmp_path):
    data = _shapefile_zip_without_crs(base.areas.iloc[:5], tmp_path)
    with pytest.raises(uploads.UploadError, match=r"no coordinate reference system") as info:
        uploads.pack_with_uploads(base, boundary_file=("wards.zip", data))
    msg = str(info.value)
    assert msg.startswith("wards.zip") and "choose \"EPSG:27700\" as the file's CRS" in msg
    pack = uploads.pack_with_uploads(base, boundary_file=("wards.zip", data),
                                     assume_crs="EPSG:27700")
    assert len(pack.areas) == 5


@pytest.mark.parametrize(("name", "data", "match"), [
    ("empty.gpkg", b"", r"is empty"),
    ("notes.geojson", b"this is not GIS", r"cannot be read as a GIS file"),
    ("nothing.zip", b"", r"is empty"),
], ids=["empty", "not-gis", "empty-zip"])
def test_bad_boundary_files(base, name, data, match):
    with pytest.raises(uploads.UploadError, match=match) as info:
        uploads.pack_with_uploads(base, boundary_file=(name, data))
    assert str(info.value).startswith(name)


def test_one_bad_file_leaves_the_good_ones(base, police_rows):
    good = ("good.csv", _police_csv(police_rows))
    outcome = uploads.build_upload_pack(base, uploads.UploadSet(
        police_uk=(("bad.csv", b"a,b\n1,2\n"), good),
        referral=("empty.csv", b""),
        mapping=ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})))
    assert [(f.part, f.name) for f in outcome.failures] == [("police_uk", "bad.csv"),
                                                           ("referrals", "empty.csv")]
    rec = uploads.upload_reconciliation(outcome.pack).set_index("source")
    assert list(rec.index) == ["Recorded crime: police.uk upload (good.csv)",
                               "Recorded crime: police.uk upload (bad.csv)",
                               "Referrals (upload: empty.csv)"]
    # a refused file's rows are still counted: rows in = rejected
    bad = rec.loc["Recorded crime: police.uk upload (bad.csv)"]
    assert (bad["rows_in"], bad["rejected"], bad["assigned"]) == (1, 1, 0)
    assert rec.loc["Referrals (upload: empty.csv)", "rows_in"] == 0
    assert rec.loc["Recorded crime: police.uk upload (good.csv)", "rows_in"] == len(police_rows)
    everything_bad = uploads.build_upload_pack(base, uploads.UploadSet(
        police_uk=(("bad.csv", b"a,b\n1,2\n"),)))
    assert len(everything_bad.failures) == 1
    assert everything_bad.pack.crime is base.crime and everything_bad.pack.areas is base.areas
    assert list(uploads.upload_reconciliation(everything_bad.pack)["rejected"]) == [1]


@pytest.mark.parametrize("second", ["b.csv", "a.csv"], ids=["other-name", "same-name"])
def test_file_uploaded_twice_is_read_once(base, police_rows, second):
    """The same bytes twice (under another name, or the same one) count once, and say so."""
    data = _police_csv(police_rows)
    once = uploads.build_upload_pack(base, uploads.UploadSet(police_uk=(("a.csv", data),)))
    twice = uploads.build_upload_pack(
        base, uploads.UploadSet(police_uk=(("a.csv", data), (second, data))))
    assert twice.failures == ()
    rec_once = uploads.upload_reconciliation(once.pack).drop(columns="note")
    rec_twice = uploads.upload_reconciliation(twice.pack).drop(columns="note")
    pd.testing.assert_frame_equal(rec_once, rec_twice)
    counts = rec_twice[["rows_in", "assigned", "unlocated", "outside", "rejected"]].sum()
    assert counts.tolist() == [len(police_rows), 6, 1, 1, 1]
    assert any(f"{second} has the same contents as a.csv" in n for n in twice.notes)
    pd.testing.assert_frame_equal(once.pack.crime, twice.pack.crime)


# --------------------------------------------------------------------------- boundaries


def test_boundary_upload_replaces_areas_and_drops_what_no_longer_matches(base):
    sub = base.areas[base.areas["borough_name"].isin(["Hackney", "Islington"])]
    renamed = sub.assign(area_code=sub["area_code"].str.replace("E05", "X05"))
    mixed = pd.concat([sub.iloc[:10], renamed.iloc[10:]])
    geojson = mixed.to_crs("EPSG:4326").to_json().encode()
    pack = uploads.pack_with_uploads(base, boundary_file=("mine.geojson", geojson))
    assert sorted(pack.areas["area_code"]) == sorted(mixed["area_code"])
    kept = set(sub["area_code"].iloc[:10])
    assert set(pack.population["area_code"]) == kept
    assert set(pack.imd["area_code"]) == kept
    assert set(pack.crime["area_code"]) <= kept
    assert len(pack.crime) == base.crime["area_code"].isin(kept).sum()
    assert pack.crime_coverage == frozenset(kept & base.crime_coverage)
    note = " ".join(uploads.UploadOutcome(pack).notes)
    assert f"{len(mixed)} areas" in note and "population for 10 of" in note
    rec = pack.reconciliations.set_index("source")
    crime = rec.loc["Recorded crime (pack rows re-matched to mine.geojson)"]
    assert crime["assigned"] == len(pack.crime) and crime["rows_in"] == len(base.crime)
    assert pack.meta.vintage == "mine.geojson (uploaded)"


def test_boundary_and_police_together(base, police_rows, wards):
    sub = base.areas[base.areas["borough_name"] == "Hackney"]
    pack = uploads.pack_with_uploads(
        base, boundary_file=("hackney.geojson", sub.to_crs(4326).to_json().encode()),
        police_uk_files=[("p.csv", _police_csv(police_rows))])
    rec = uploads.upload_reconciliation(pack).iloc[0]
    assert rec["assigned"] == 3  # only the Hackney ward's points lie inside the layer
    assert rec["outside"] == 1 + 3  # Manchester and the Lambeth and Camden wards


# --------------------------------------------------------------------------- small pieces


def test_upload_set_digest_and_without():
    a = uploads.UploadSet(police_uk=(("a.csv", b"1"), ("b.csv", b"2")))
    assert a.digest == uploads.UploadSet(police_uk=(("a.csv", b"1"), ("b.csv", b"2"))).digest
    assert a.digest != uploads.UploadSet(police_uk=(("a.csv", b"1"), ("b.csv", b"3"))).digest
    assert a.digest != uploads.UploadSet(police_uk=a.police_uk, crime_mode="replace").digest
    assert a.without("police_uk", "a.csv").names == ("b.csv",)
    assert uploads.UploadSet().is_empty and not a.is_empty


def test_measure_groups_two_levels(police_pack, base):
    groups = measures.measure_groups(police_pack)
    assert list(groups)[0] == "crime:all" and list(groups)[-1] == "referrals"
    police = groups["police_uk"].options
    assert list(police)[0] == "crime:source:police_uk"
    assert set(list(police)[1:]) == {"crime:major:police.uk: Burglary",
                                     "crime:major:police.uk: Robbery"}
    n_keys = sum(len(g.options) for g in groups.values())
    opts = pipeline.measure_options(police_pack)
    police_minors = [k for k in opts if k.startswith("crime:minor:police.uk: ")]
    # Every measure once, + the source key, - police.uk types (one type per group).
    assert n_keys == len(opts) + 1 - len(police_minors)
    assert max(len(groups), *(len(g.options) for g in groups.values())) < 20
    plain = measures.measure_groups(base)
    assert "police_uk" not in plain and "crime:all" in plain
    with pytest.raises(ValueError, match="one crime source"):
        measures.table_for(base, pipeline.Selection("crime:source:police_uk"))


def _first_ward(base, borough: str):
    return base.areas[base.areas["borough_name"] == borough].iloc[0]


def test_police_coverage_follows_the_force_and_reconciles(base):
    """A City of London Police file snaps a few points into Tower Hamlets (a Met borough):
    Tower Hamlets stays 'no data', and those points are counted 'outside coverage'."""
    city, th = _first_ward(base, "City of London"), _first_ward(base, "Tower Hamlets")
    pts = gpd.GeoSeries([city.geometry.representative_point()] * 3
                        + [th.geometry.representative_point()] * 30,
                        crs=base.areas.crs).to_crs("EPSG:4326")
    rows = [(f"p{i}", MONTH, p.x, p.y, "Burglary") for i, p in enumerate(pts)]
    rows.append(("nowhere", MONTH, None, None, "Burglary"))
    data = _police_csv(rows, force="City of London Police")
    pack = uploads.pack_with_uploads(base, police_uk_files=[("city.csv", data)])
    # 30 points in Tower Hamlets beat 3 in the City: density alone would pick Tower Hamlets.
    assert pack.meta.uploads.police_boroughs == ("City of London",)
    assert pack.meta.uploads.police_forces == {"City of London Police": "London, City of"}
    sel = pipeline.Selection(f"{uploads.SOURCE_KEY_PREFIX}police_uk", MONTH, MONTH)
    wt = measures.table_for(pack, sel)
    counts = wt.frame.set_index("area_code")["count"]
    assert pd.isna(counts[th["area_code"]]) and counts[city["area_code"]] == 3
    rec = uploads.upload_reconciliation(pack).iloc[0]
    assert (rec["rows_in"], rec["assigned"], rec["unlocated"], rec["outside"],
            rec["rejected"]) == (34, 3, 1, 30, 0)
    assert counts.sum() == rec["assigned"]  # the table adds up to the reconciliation
    assert "outside the covered boroughs" in rec["note"] and "London, City of" in rec["note"]
    details = uploads.upload_details(pack)
    away = details[details["status"] == pipeline.STATUS_OUTSIDE_COVERAGE]
    assert len(away) == 30 and set(away["source_row"]) == set(range(5, 35))
    assert away["reason"].str.contains(f"in {th['area_name']} \\(Tower Hamlets\\)").all()
    # The user can still add Tower Hamlets on the page: then its 30 points count.
    fixed = uploads.pack_with_uploads(base, police_uk_files=[("city.csv", data)],
                                      police_boroughs=["City of London", "Tower Hamlets"])
    counts = measures.table_for(fixed, sel).frame.set_index("area_code")["count"]
    assert counts[th["area_code"]] == 30 and counts.sum() == 33
    assert uploads.upload_reconciliation(fixed).iloc[0]["outside"] == 0
    assert fixed.meta.uploads.police_boroughs_guess == ("City of London",)


def test_unknown_force_falls_back_to_density_and_says_so(base, wards):
    """No police force area is called 'British Transport Police': the density rule decides,
    and a few points across the border do not make a borough covered."""
    hackney = wards.iloc[0]  # the Hackney ward
    islington = _first_ward(base, "Islington")
    pts = gpd.GeoSeries([hackney.geometry.representative_point()] * 80
                        + [islington.geometry.representative_point()] * 2,
                        crs=base.areas.crs).to_crs("EPSG:4326")
    rows = [(f"p{i}", MONTH, p.x, p.y, "Burglary") for i, p in enumerate(pts)]
    data = _police_csv(rows, force="British Transport Police")
    pack = uploads.pack_with_uploads(base, police_uk_files=[("force.csv", data)])
    assert pack.meta.uploads.police_boroughs == ("Hackney",)
    assert pack.meta.uploads.police_forces == {"British Transport Police": None}
    rule = pack.meta.uploads.police_coverage_rule
    assert "no police force area matches British Transport Police" in rule
    assert "dense" in rule and "dense" in " ".join(pack.meta.uploads.notes)
    sel = pipeline.Selection(f"{uploads.SOURCE_KEY_PREFIX}police_uk", MONTH, MONTH)
    counts = measures.table_for(pack, sel).frame.set_index("area_code")["count"]
    assert pd.isna(counts[islington["area_code"]])  # 2 stray points: not a covered borough
    assert counts.sum() == uploads.upload_reconciliation(pack).iloc[0]["assigned"] == 80


def test_boroughs_without_a_lad_code_use_density(base):
    """Areas whose borough code is not in the LAD -> PFA table keep the density rule."""
    city, th = _first_ward(base, "City of London"), _first_ward(base, "Tower Hamlets")
    assigned = pd.DataFrame({"area_code": [city["area_code"]] * 20 + [th["area_code"]] * 20,
                             "falls_within": "City of London Police"})
    areas = base.areas.copy()
    areas.loc[areas["borough_name"] == "Tower Hamlets", "borough_code"] = "X99999999"
    cov = coverage.police_coverage(assigned, areas)
    assert cov.boroughs == ("City of London", "Tower Hamlets")
    assert "code is not in the lookup" in cov.rule
    assert coverage.police_boroughs_guess(assigned, base.areas) == ("City of London",)


def test_aggregate_referral_layout(base):
    sheet = (b"Month,Ward code,Number of referrals\n"
             b"2025-05,E05009385,7\n2025-06,E05009385,3\n2025-06,E99999999,4\n"
             b"Total,,14\n")
    headers = sheets.read_headers("counts.csv", sheet)
    assert mappings.guess_layout(headers) == "aggregate"
    mapping = ColumnMap(mappings.guess_mapping(headers, layout="aggregate"), layout="aggregate")
    pack = uploads.pack_with_uploads(base, referral_file=("counts.csv", sheet), mapping=mapping)
    rec = uploads.upload_reconciliation(pack).iloc[0]
    # the totals line below the table is skipped and named, not counted as a rejected row
    assert (rec["rows_in"], rec["assigned"], rec["outside"], rec["rejected"]) == (3, 2, 1, 0)
    assert pack.problems["what"].str.contains("notes or totals below the table skipped").any()
    wt = measures.table_for(pack, pipeline.Selection("referrals:all", "2025-05", "2025-06"))
    assert wt.n_records == 10
    assert wt.frame.set_index("area_code").loc["E05009385", "count"] == 10


def test_pack_crime_groups_unchanged_beside_police_uk(police_pack, base):
    key = next(k for k in pipeline.measure_options(base) if k.startswith("crime:major:"))
    sel = pipeline.Selection(key, "2025-04", "2026-03")
    mine, theirs = measures.table_for(police_pack, sel), pipeline.ward_table(base, sel)
    assert mine.frame["count"].equals(theirs.frame["count"]) and mine.label == theirs.label


def test_police_upload_points_reach_the_patrol_view(police_pack, police_rows, base):
    """Every kept police.uk row becomes a patrol point once, with its lon/lat."""
    pts = police_pack.points
    assert pts is not None
    from hotspots.io import read_police_uk

    res = read_police_uk(io.BytesIO(_police_csv(police_rows)), label="a.csv")
    assert len(pts) == len(res.frame)
    assert pts["x"].tolist() == pytest.approx(res.frame["x"].tolist(), nan_ok=True)
    assert police_pack.meta.points_boroughs == police_pack.meta.uploads.police_boroughs
    assert "uploaded" in police_pack.meta.points_source
    rec = police_pack.meta.points_reconciliation
    assert rec.rows_read == res.rows_read
    assert rec.rows_kept + sum(rec.rows_rejected.values()) == rec.rows_read
    assert rec.rows_without_location == int(res.frame["x"].isna().sum())


def test_uploaded_points_get_their_own_note_and_a_short_source(base, police_rows):
    """The demo's note ('City of London Police records ...') must not describe uploads."""
    assert "City of London Police" in base.meta.points_note  # what would leak
    half = len(police_rows) // 2
    files = [("a.csv", _police_csv(police_rows[:half])),
             ("b.csv", _police_csv(police_rows[half:]))]
    pack = uploads.pack_with_uploads(base, police_uk_files=files)
    assert pack.meta.points_note == pipeline.POLICE_UK_POINTS_NOTE
    assert "City of London" not in pack.meta.points_note
    assert pack.meta.points_source == "police.uk street-level crime (uploaded: 2 files)"
    one = uploads.pack_with_uploads(base, police_uk_files=files[:1])
    assert one.meta.points_source.endswith("(uploaded: a.csv)")


def test_hotspot_maps_name_the_upload_like_the_ward_maps(police_pack):
    """analyse_for keeps the source's label, so the Gi*/LISA titles say "police.uk uploads"."""
    from hotspots.pipeline import analysis as analysis

    sel = pipeline.Selection(f"{uploads.SOURCE_KEY_PREFIX}police_uk", MONTH, MONTH)
    wt = measures.table_for(police_pack, sel)
    a = measures.analyse_for(police_pack, sel, analysis.StatsParams(permutations=99, seed=1))
    assert "police.uk" in wt.label
    assert a.ward.label == wt.label == a.params["measure_label"]
    assert a.ward.selection == sel


# ------------------------------------------------------------------ SYNTHETIC only where shown


def _small_referrals(base, n: int = 15) -> bytes:
    """n referrals in n different wards (every ward under 5), as a partner would send them."""
    wards = base.areas.sort_values("area_code").iloc[:n]
    lines = ["Ref,Date of referral,Type of concern,Ward,Borough"]
    lines += [f"R{i},0{1 + i % 9}/05/2025,CCE,{w.area_name},{w.borough_name}"
              for i, w in enumerate(wards.itertuples())]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def small_pack(base) -> pipeline.Pack:
    data = _small_referrals(base)
    mapping = ColumnMap(mappings.guess_mapping(sheets.read_headers("mine.csv", data)))
    return uploads.pack_with_uploads(base, referral_file=("mine.csv", data), mapping=mapping)


def test_uploaded_referrals_leave_no_synthetic_label_anywhere(small_pack, base):
    # the demo's own problems, reconciliation and credit name its SYNTHETIC file
    assert "SYNTHETIC" in (base.meta.attribution or "")
    assert base.problems["file"].astype(str).str.contains("SYNTHETIC").any()
    p = small_pack
    text = " ".join([
        pipeline.attribution_text(p.meta, referrals=True),
        " ".join(p.problems.astype(str).stack()), " ".join(p.reconciliations.astype(str).stack()),
        " ".join(p.unassigned.astype(str).stack()), " ".join(uploads.upload_details(p)["reason"]),
        " ".join(pipeline.measure_options(p).values()), " ".join(p.meta.uploads.notes),
        str(p.meta.placement), str(p.meta.title)])
    assert "SYNTHETIC" not in text and "mine.csv" in pipeline.attribution_text(p.meta,
                                                                              referrals=True)
    sel = pipeline.Selection("referrals:all", "2025-05", "2025-05")
    wt = measures.table_for(p, sel)
    assert not wt.is_synthetic and wt.n_records == 15
    export = pipeline.table_for_export(wt)
    assert "data" not in export and "SYNTHETIC" not in export.to_csv()


def test_synthetic_label_only_where_synthetic_data_is_shown(base):
    assert "SYNTHETIC" not in pipeline.attribution_text(base.meta, referrals=False)
    assert "Referrals: SYNTHETIC" in pipeline.attribution_text(base.meta, referrals=True)
    months = base.months
    crime = pipeline.ward_table(base, pipeline.Selection("crime:all", months[-1], months[-1]))
    refs = pipeline.ward_table(base, pipeline.Selection("referrals:all", months[-1], months[-1]))
    assert "data" not in pipeline.table_for_export(crime)
    export = pipeline.table_for_export(refs)
    assert (export["data"] == pipeline.table.SYNTHETIC_EXPORT_LABEL).all()


def test_a_top_list_with_no_ward_to_rank_says_why(small_pack):
    wt = measures.table_for(small_pack, pipeline.Selection("referrals:all", "2025-05", "2025-05"))
    ranked = wt.frame[wt.frame["rank"].notna() & (wt.frame["count"] >= 5)]
    assert ranked.empty and int(wt.frame["suppressed"].sum()) == 15
    text = pipeline.nothing_to_rank_text(wt)
    assert text.startswith("No ward can be listed: every ward has 0 referrals or fewer than 5")


def test_a_refused_file_keeps_its_rows_in_the_reconciliation(base, police_rows):
    # 506 rows without a Longitude column: the whole file is refused, its rows rejected
    header = POLICE_HEADER.replace("Longitude,", "")
    rows = [f"id{i},2025-05,MPS,MPS,51.5,On or near X,,,Robbery,," for i in range(506)]
    bad = ("2025-05-no-longitude-street.csv", ("\n".join([header, *rows]) + "\n").encode())
    refs = b"Date,Type,Place\n2025-05-01,CCE,Bow\n2025-05-02,CCE,Bow\n\n2025-05-03,CSE,Bow\n"
    outcome = uploads.build_upload_pack(base, uploads.UploadSet(
        police_uk=(bad, ("good.csv", _police_csv(police_rows))), referral=("refs.csv", refs),
        mapping=ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})))
    assert {f.name for f in outcome.failures} == {bad[0], "refs.csv"}
    assert "Did you mean" not in outcome.failures[0].message
    rec = uploads.upload_reconciliation(outcome.pack).set_index("source")
    row = rec.loc[f"Recorded crime: police.uk upload ({bad[0]})"]
    assert (row["rows_in"], row["assigned"], row["unlocated"], row["outside"],
            row["rejected"]) == (506, 0, 0, 0, 506)
    assert "refused" in row["note"] and "Longitude" in row["note"]
    ref = rec.loc["Referrals (upload: refs.csv)"]
    assert (ref["rows_in"], ref["rejected"]) == (3, 3)  # the blank line is not a row
    assert (rec["rows_in"] == rec["assigned"] + rec["unlocated"] + rec["outside"]
            + rec["rejected"]).all()
    details = uploads.upload_details(outcome.pack)
    mine = details[details["source"] == bad[0]]
    assert len(mine) == 506 and mine["source_row"].tolist() == list(range(2, 508))
    assert (mine["status"] == "rejected").all() and mine["reason"].str.contains("refused").all()
    assert sorted(details.loc[details["source"] == "refs.csv", "source_row"]) == [2, 3, 5]


# --------------------------------------------------------------------------- near-miss names


NEAR_MISS = (b"Date,Type,Ward,Borough\n"
             b"2025-05-01,CCE,Stratford Olympic Prk,Newham\n"
             b"2025-05-02,CCE,Canning Town Nth,Newham\n"
             b"2025-05-03,CCE,Canning Town Nth,Newham\n"
             b"2025-05-04,CCE,Stratford,Newham\n")


def test_near_miss_names_are_offered_never_matched(base):
    mapping = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward",
                         "borough": "Borough"})
    p = uploads.pack_with_uploads(base, referral_file=("near.csv", NEAR_MISS), mapping=mapping)
    rec = uploads.upload_reconciliation(p).iloc[0]
    assert (rec["rows_in"], rec["assigned"], rec["unlocated"], rec["outside"]) == (4, 1, 3, 0)
    assert "2 ward names are not exactly one ward" in rec["note"]
    names = {n["name"]: n for n in p.meta.uploads.ward_names}
    ctn = names["Canning Town Nth"]
    assert ctn["rows"] == 2 and ctn["confirmed"] is None
    assert ctn["candidates"][0] == ["E05013906", "Canning Town North (Newham)"]
    assert names["Stratford Olympic Prk"]["candidates"][0][0] == "E05013925"
    reasons = uploads.upload_details(p)["reason"]
    assert reasons.str.contains("closest: 'Canning Town North' (Newham)", regex=False).sum() == 2
    # confirmed by the user (saved in the mapping): placed, and said so
    confirmed = ColumnMap(mapping.columns, ward_names={"Canning Town Nth": "E05013906"})
    q = uploads.pack_with_uploads(base, referral_file=("near.csv", NEAR_MISS), mapping=confirmed)
    rec = uploads.upload_reconciliation(q).iloc[0]
    assert (rec["assigned"], rec["unlocated"]) == (3, 1)
    assert "2 rows by ward names you confirmed" in rec["note"]
    assert (q.referrals["area_code"] == "E05013906").sum() == 2
    text = mappings.mapping_to_json(confirmed)
    assert json.loads(text)["ward_names"] == {"Canning Town Nth": "E05013906"}
    assert mappings.mapping_from_json("m.json", text.encode()) == confirmed
    assert "ward_names" not in json.loads(mappings.mapping_to_json(mapping))  # unchanged JSON
