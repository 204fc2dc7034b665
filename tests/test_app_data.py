"""The page with your own data, new filters and map options, run headless with AppTest.

Uploads go through the real ``st.file_uploader`` widgets (AppTest in Streamlit 1.67
can set their files), and once through the documented session-state seam
(:data:`ui.data.TEST_UPLOADS_KEY`). Every bad file must give a clear ``st.error``
naming the file while the page keeps working on the data it had.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import folium
import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hotspots import io as hio
from hotspots import maps, pipeline
from hotspots.io import mappings
from hotspots.maps.classify import classify
from hotspots.pipeline import measures
from hotspots.pipeline import uploads as uploads
from ui import data, sidebar
from ui.panels import SYNTHETIC_TEXT

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard.py")
DEMO = ROOT / "data" / "demo"
POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                 "LSOA code,LSOA name,Crime type,Last outcome category,Context")
REFERRALS = (b"Ref,DOB,Date of referral,Type of concern,Ward,Borough\n"
             b"R1,01/02/2010,03/05/2025,County Lines,Stoke Newington,Hackney\n"
             b"R2,01/02/2010,04/05/2025,CCE,Stoke Newington,Hackney\n"
             b"R3,01/02/2010,05/05/2025,CCE,Nowhere,Hackney\n")


@pytest.fixture(scope="module")
def pack() -> pipeline.Pack:
    return pipeline.load_pack()


@pytest.fixture(autouse=True)
def _no_pack_arguments(monkeypatch):
    """The page reads --pack from sys.argv: pytest's own arguments must not leak in."""
    monkeypatch.setattr("sys.argv", ["dashboard.py"])
    monkeypatch.delenv(data.PACK_ENV, raising=False)


def _app(uploads_on: bool = False, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if uploads_on:
        at.session_state["data_source"] = "uploads"
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    _assert_page_works(at)
    return at


def _upload(at: AppTest, key: str, files: list[tuple[str, bytes]]) -> AppTest:
    widget = at.file_uploader(key=key)
    widget.set_value([(n, d, "application/octet-stream") for n, d in files]
                     if widget.accept_multiple_files else (files[0][0], files[0][1], "text/csv"))
    at.run()
    _assert_page_works(at)
    return at


def _assert_page_works(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert at.title[0].value == "Community safety hotspots"
    assert any("hs-marking" in m.value for m in at.markdown)


def _legends(at: AppTest) -> list[str]:
    """Legends of the measure and IMD maps (the analysis tabs' legends come after them)."""
    found = [m.value for m in at.markdown if "hs-legend" in m.value]
    return [v for v in found if "Getis-Ord" not in v and "LISA" not in v
            and "Bivariate" not in v]


def _legend_counts(legend: str) -> list[int]:
    labels = re.findall(r'<span class="hs-legend-label">([^<]*)</span>', legend)
    return [int(re.search(r"\((\d+)\)$", label).group(1)) for label in labels]


def _heading(at: AppTest) -> str:
    """The results heading, without its Markdown escapes."""
    return next(m.value for m in at.markdown if m.value.startswith("####")).replace("\\", "")


def _table(at: AppTest) -> pd.DataFrame:
    """The ranked ward table (the first table with a Rank and a Ward column)."""
    return next(d.value for d in at.dataframe if {"Rank", "Ward"} <= set(d.value.columns))


def _errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def _maps(at: AppTest) -> list[dict]:
    def walk(node):  # type: ignore[no-untyped-def]
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return [json.loads(e.proto.json_args) for e in walk(at.main)
            if type(e).__name__ == "UnknownElement"
            and getattr(e.proto, "component_name", "") == "ui.mapview.st_folium"]


def _police_csv(pack: pipeline.Pack, borough: str = "Hackney", n: int = 4) -> bytes:
    wards = pack.areas[pack.areas["borough_name"] == borough].sort_values("area_code").iloc[:2]
    pts = wards.geometry.representative_point().to_crs("EPSG:4326")
    lines = [POLICE_HEADER]
    for i in range(n):
        pt = pts.iloc[i % 2]
        lines.append(f"id{borough[:3]}{i},2025-05,MPS,MPS,{pt.x:.6f},{pt.y:.6f},On or near X,,,"
                     f"{'Burglary' if i % 2 else 'Robbery'},,")
    lines.append(",2025-05,MPS,MPS,,,No location,,,Anti-social behaviour,,")
    return ("\n".join(lines) + "\n").encode()


# --------------------------------------------------------------------------- data source


def test_default_is_the_demo_pack_with_upload_choice():
    at = _app()
    radio = at.radio(key="data_source")
    assert radio.value == "demo" and radio.options[-1].startswith("Your own files")
    assert not at.file_uploader and not at.error
    # the hot spot table's caption says why Gi* and LISA have the same p and q
    assert any("have the same p and q in every row" in c.value for c in at.caption)
    radio.set_value("uploads").run()
    _assert_page_works(at)
    assert [u.key for u in at.file_uploader] == ["up_police_uk", "up_mps", "up_boundary",
                                                 "up_referrals"]
    assert any("No files yet" in i.value for i in at.info)
    assert len(_legends(at)) == 2


def test_pack_folder_from_the_command_line(monkeypatch):
    monkeypatch.setattr("sys.argv", ["dashboard.py", "--pack", str(DEMO)])
    at = _app()
    radio = at.radio(key="data_source")
    assert radio.value == "cli" and len(radio.options) == 3
    assert str(DEMO) in radio.options[0]
    assert len(_legends(at)) == 2 and not at.error


def test_missing_pack_folder_falls_back_to_the_demo(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.argv", ["dashboard.py", f"--pack={tmp_path / 'nowhere'}"])
    at = _app()
    assert "could not be opened" in _errors(at) and "Showing the demo pack instead" in _errors(at)
    assert len(_legends(at)) == 2


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["--pack", "a/b"], None, "a/b"),
    (["--pack=c"], "env", "c"),
    (["--other", "x"], "env", "env"),
    (["--pack"], None, None),
], ids=["space", "equals", "environment", "no-value"])
def test_pack_folder_arguments(monkeypatch, argv, env, expected):
    if env:
        monkeypatch.setenv(data.PACK_ENV, env)
    assert data.pack_folder(argv) == expected


# --------------------------------------------------------------------------- police.uk


@pytest.fixture(scope="module")
def police_at(pack) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["data_source"] = "uploads"
    at.run()
    return _upload(at, "up_police_uk", [("2025-05-met-street.csv", _police_csv(pack)),
                                         ("not-police.csv", b"Date,Where\n2025-01,London\n")])


def test_bad_police_file_named_and_page_keeps_working(police_at):
    errors = _errors(police_at)
    assert "not-police.csv" in errors and "missing column(s) 'Crime ID'" in errors
    assert "keeps working without this file" in errors
    assert len(_legends(police_at)) == 2


def test_police_reconciliation_shown(police_at):
    rec = next(d.value for d in police_at.dataframe if "Rows read" in d.value.columns)
    assert list(rec["Upload"]) == ["Recorded crime: police.uk upload (2025-05-met-street.csv)",
                                   "Recorded crime: police.uk upload (not-police.csv)"]
    refused = rec.iloc[1]  # the refused file's row is still counted: rows read = rejected
    assert (refused["Rows read"], refused["Placed in an area"], refused["Rejected"]) == (1, 0, 1)
    assert "file refused" in refused["How"]
    row = rec.iloc[0]
    assert (row["Rows read"], row["Placed in an area"], row["No location"]) == (5, 4, 1)
    assert row["Rows read"] == (row["Placed in an area"] + row["No location"]
                                + row["Outside the study area"] + row["Rejected"])
    labels = [d.label for d in police_at.download_button]
    assert any("reason for each of the 2 rows not placed" in label for label in labels)
    coverage = next(m for m in police_at.multiselect if m.key.startswith("police_boroughs_"))
    assert coverage.value == ["Hackney"]


def test_police_measure_and_coverage_choice(police_at):
    at = police_at
    assert "police_uk" in at.selectbox(key="measure_group").options or any(
        "police.uk" in o for o in at.selectbox(key="measure_group").options)
    at.selectbox(key="measure_group").set_value("police_uk").run()
    _assert_page_works(at)
    assert at.selectbox(key="measure_type:police_uk").value == "crime:source:police_uk"
    at.select_slider(key="period").set_value(("2025-05", "2025-05")).run()
    assert "All recorded crime (police.uk uploads), count, May 2025" in _heading(at)
    top = _table(at)
    assert set(top["Borough"]) == {"Hackney"} and top["Crimes"].iloc[0] == "2"
    counts = _legend_counts(_legends(at)[0])
    n_hackney = 21
    assert counts[-1] == 704 - n_hackney  # every other ward: "no data", never 0
    coverage = next(m for m in at.multiselect if m.key.startswith("police_boroughs_"))
    coverage.set_value(["Hackney", "Islington"]).run()
    _assert_page_works(at)
    assert _legend_counts(_legends(at)[0])[-1] == 704 - n_hackney - 17
    assert any("Areas covered by the police.uk files: 38 of 704" in c.value for c in at.caption)


def test_asb_is_its_own_measure_in_the_picker(pack):
    """Three located ASB incidents and two crimes: ASB is a group of its own, not crime."""
    ward = pack.areas[pack.areas["borough_name"] == "Hackney"].sort_values("area_code").iloc[0]
    pt = gpd.GeoSeries([ward.geometry.representative_point()], crs=pack.areas.crs).to_crs(4326)
    x, y = float(pt.x.iloc[0]), float(pt.y.iloc[0])
    lines = [POLICE_HEADER] + [
        f"{cid},2025-05,MPS,MPS,{x:.6f},{y:.6f},On or near X,,,{kind},,"
        for cid, kind in (("", "Anti-social behaviour"), ("", "Anti-social behaviour"),
                          ("", "Anti-social behaviour"), ("c1", "Robbery"), ("c2", "Burglary"))]
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["data_source"] = "uploads"
    at.run()
    _upload(at, "up_police_uk", [("asb.csv", ("\n".join(lines) + "\n").encode())])
    group = at.selectbox(key="measure_group")
    assert "Anti-social behaviour (police.uk; not recorded crime)" in group.options
    assert not any("Anti-social" in o for o in group.options if "not recorded crime" not in o)
    at.select_slider(key="period").set_value(("2025-05", "2025-05")).run()
    group.set_value("police_uk").run()
    assert not any("Anti-social" in o for o in at.selectbox(key="measure_type:police_uk").options)
    assert _table(at)["Crimes"].iloc[0] == "2"  # the two crimes, never the ASB
    at.selectbox(key="measure_group").set_value("asb").run()
    _assert_page_works(at)
    assert _heading(at).startswith("#### Anti-social behaviour (police.uk incidents; not "
                                   "recorded crime), count, May 2025")
    top = _table(at)
    assert top["ASB incidents"].iloc[0] == "3" and top["Ward"].iloc[0] == ward["area_name"]


# --------------------------------------------------------------------------- referrals


@pytest.fixture(scope="module")
def referral_at() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["data_source"] = "uploads"
    at.run()
    return _upload(at, "up_referrals", [("partner.csv", REFERRALS)])


def _mapping_boxes(at: AppTest) -> dict[str, object]:
    return {re.match(r"map_(.+)_[0-9a-f]{10}_\w+$", s.key).group(1): s
            for s in at.selectbox if s.key and s.key.startswith("map_")}


def test_referral_mapping_is_prefilled_from_headers(referral_at):
    boxes = _mapping_boxes(referral_at)
    values = {k: b.value for k, b in boxes.items() if b.value != data.NOT_MAPPED}
    assert values == {"referral_id": "Ref", "date": "Date of referral",
                      "category": "Type of concern", "ward_name": "Ward", "borough": "Borough"}
    assert set(boxes) == set(hio.LAYOUT_NAMES["records"])
    assert "DOB" in boxes["date"].options  # offered, never guessed
    assert [d.label for d in referral_at.download_button][0] == "Download this mapping (JSON)"


def test_referral_upload_replaces_synthetic_and_marks_sensitive(referral_at):
    at = referral_at
    assert any(">OFFICIAL-SENSITIVE<" in m.value for m in at.markdown)
    assert "SYNTHETIC" not in at.selectbox(key="measure_group").options[-1]
    at.selectbox(key="measure_group").set_value("referrals").run()
    _assert_page_works(at)
    assert not any(SYNTHETIC_TEXT in w.value for w in at.warning)
    rec = next(d.value for d in at.dataframe if "Rows read" in d.value.columns)
    assert rec.iloc[0]["Rows read"] == 3 and rec.iloc[0]["Placed in an area"] == 2
    assert json.loads(at.session_state[data.MAPPING_KEY])["columns"]["date"] == "Date of referral"


def test_mapping_change_remember_and_session_memory(referral_at, tmp_path, monkeypatch):
    at = referral_at
    # Chosen here, not left to an earlier test on the shared module fixture: on two workers
    # that test may run elsewhere, and the SYNTHETIC check below needs the referrals measure.
    at.selectbox(key="measure_group").set_value("referrals").run()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    at.button(key="mapping_remember").click().run()
    saved = tmp_path / "hotspots" / "mappings" / "partner.json"
    assert saved.is_file() and "Saved to" in at.success[0].value
    assert json.loads(saved.read_text())["columns"]["ward_name"] == "Ward"
    # Unmap every location: a clear message, and the page goes on without the file.
    boxes = _mapping_boxes(at)
    boxes["ward_name"].set_value(data.NOT_MAPPED)
    boxes["borough"].set_value(data.NOT_MAPPED)
    at.form_submit_button[0].click().run()
    _assert_page_works(at)
    assert "the column mapping is not complete" in _errors(at)
    assert "map at least one location" in _errors(at)
    assert any(SYNTHETIC_TEXT in w.value for w in at.warning)  # back to the pack's referrals


def test_new_file_prefilled_from_the_session_mapping(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    remembered = mappings.mapping_to_json(hio.ColumnMap(
        {"date": "Date of referral", "category": "Ward", "ward_name": "Borough"}))
    at = _app(uploads_on=True, **{data.MAPPING_KEY: remembered})
    _upload(at, "up_referrals", [("again.csv", REFERRALS)])
    assert any("mapping used earlier in this session" in m.value for m in at.markdown)
    boxes = _mapping_boxes(at)
    assert boxes["category"].value == "Ward" and boxes["ward_name"].value == "Borough"


def test_mapping_json_upload_and_bad_json():
    at = _app(uploads_on=True)
    _upload(at, "up_referrals", [("partner.csv", REFERRALS)])
    mapping = mappings.mapping_to_json(hio.ColumnMap(
        {"date": "Date of referral", "category": "Ref", "ward_name": "Ward"}))
    _upload(at, "up_mapping", [("mine.json", mapping.encode())])
    assert any("Pre-filled from mine.json" in m.value for m in at.markdown)
    assert _mapping_boxes(at)["category"].value == "Ref"
    _upload(at, "up_mapping", [("broken.json", b"{not json")])
    assert "broken.json: not valid JSON" in _errors(at)


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


BAD_REFERRALS = [
    ("empty.csv", b"", "empty.csv is empty (0 bytes)"),
    ("broken.csv", b'Date,Type,Ward\n2025-05-01,"CCE,Hackney\n2025-05-02,CCE,Hackney\n',
     "broken.csv is a broken CSV at line"),
    ("noheader.xlsx", _xlsx([["R1", "2025-05-01", "CCE", "Hackney"]]),
     "noheader.xlsx has no header row"),
    ("colours.csv", b"Colour,Size\nred,1\n", "colours.csv: the column mapping is not complete"),
]


@pytest.mark.parametrize(("name", "payload", "message"), BAD_REFERRALS,
                         ids=[b[0] for b in BAD_REFERRALS])
def test_bad_referral_files_are_explained(name, payload, message):
    at = _app(uploads_on=True)
    _upload(at, "up_referrals", [(name, payload)])
    assert message in _errors(at)
    assert len(_legends(at)) == 2  # the page keeps working on the pack's data


def test_test_seam_stands_in_for_the_uploader(pack):
    at = _app(uploads_on=True, **{data.TEST_UPLOADS_KEY: {
        "up_police_uk": [("seam.csv", _police_csv(pack, "Camden"))]}})
    assert any("police.uk upload (seam.csv)" in str(d.value.values) for d in at.dataframe)


# --------------------------------------------------------------------------- boundaries


def test_boundary_upload_and_missing_crs(pack, tmp_path):
    sub = pack.areas[pack.areas["borough_name"].isin(["Hackney", "Islington"])]
    at = _app(uploads_on=True)
    _upload(at, "up_boundary", [("two.geojson", sub.to_crs(4326).to_json().encode())])
    assert sum(_legend_counts(_legends(at)[0])) == len(sub)
    assert any("Boundaries from two.geojson" in c.value for c in at.caption)
    sub[["area_code", "area_name", "geometry"]].to_file(tmp_path / "w.shp")
    (tmp_path / "w.prj").unlink()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in tmp_path.iterdir():
            z.write(f, f.name)
    _upload(at, "up_boundary", [("nocrs.zip", buf.getvalue())])
    errors = _errors(at)
    assert "nocrs.zip" in errors and "no coordinate reference system" in errors
    assert "EPSG:27700" in errors and len(_legends(at)) == 2
    at.selectbox(key="assume_crs").set_value("EPSG:27700").run()
    _assert_page_works(at)
    assert not at.error and sum(_legend_counts(_legends(at)[0])) == len(sub)


# --------------------------------------------------------------------------- periods


def test_period_types_year_starts_and_ytd(pack):
    at = _app()
    at.radio(key="period_type").set_value("year").run()
    _assert_page_works(at)
    assert at.selectbox(key="year_start").value == "financial"
    assert "FY 2025/26 (Apr 2025 – Mar 2026)" in _heading(at)
    at.selectbox(key="year_start").set_value("calendar").run()
    assert "2025 (Jan 2025 – Dec 2025)" in _heading(at)
    # 2024 misses Jan-Mar in the demo pack: labelled, and warned about.
    assert at.selectbox(key="year:calendar").value == 2025
    at.selectbox(key="year:calendar").set_value(2024).run()
    assert any("is incomplete" in w.value and "3 of its 12" in w.value for w in at.warning)
    at.selectbox(key="year_start").set_value("project").run()
    at.radio(key="period_type").set_value("ytd").run()
    _assert_page_works(at)
    ytd = next(m.value for m in at.markdown if "hs-ytd" in m.value)
    assert "YTD Project year 2025/26 (May 2025 – Mar 2026)" in ytd
    wt = pipeline.ward_table(pack, pipeline.Selection("crime:all", "2025-05", "2026-03"))
    prev = pipeline.ward_table(pack, pipeline.Selection("crime:all", "2024-05", "2025-03"))
    diff = wt.n_records - prev.n_records
    assert f": {wt.n_records:,} (previous YTD May 2024 – Mar 2025: {prev.n_records:,}, " in ytd
    assert f"{diff:+,}, {100 * diff / prev.n_records:+.1f}%)" in ytd
    at.selectbox(key="ytd_month").set_value("2024-06").run()
    assert "previous YTD May 2023 – Jun 2023: not available" in next(
        m.value for m in at.markdown if "hs-ytd" in m.value)


def test_two_level_measure_picker(pack):
    at = _app()
    groups = at.selectbox(key="measure_group")
    assert len(groups.options) < 20
    major = next(g for g in measures.measure_groups(pack) if g.startswith("crime:major:"))
    groups.set_value(major).run()
    _assert_page_works(at)
    types = at.selectbox(key=f"measure_type:{major}")
    assert types.value == major and types.options[0] == "All types in this group"
    minor = measures.measure_groups(pack)[major].options
    types.set_value(list(minor)[1]).run()
    assert list(minor.values())[1] in _heading(at)


# --------------------------------------------------------------------------- map craft


def test_borough_filter_palettes_and_labels(pack):
    at = _app(boroughs=["Hackney"], palette="viridis", imd_palette="Purples")
    top = _table(at)
    assert set(top["Borough"]) == {"Hackney"}
    measure, imd = _legends(at)
    assert sum(_legend_counts(measure)) == 21 and "#fde725" in measure
    assert "#54278f" in imd or "#6a51a3" in imd
    assert "Class bounds from all of them" in imd
    assert "— Hackney" in _heading(at)
    pair = _maps(at)[0]  # the measure and IMD maps, one component (analysis maps: no labels)
    for half in pair["script"].split('"map_div2",', 1):
        assert re.search(r"hs-borough-label.{0,12}Hackney", half)
    assert "hs-borough-label" in pair["header"]  # its style, inline: no stylesheet fetched
    assert "https://" not in pair["header"] and pair["js_links"] == [
        "/app/static/vendor/leaflet/leaflet.js", "/app/static/vendor/hotspots/map-sync.js"]
    at.checkbox(key="borough_labels").uncheck().run()
    assert all("hs-borough-label" not in m["script"] for m in _maps(at))


@pytest.mark.parametrize(("text", "message"), [
    ("10, 5", "must be larger than the one before"),
    ("5, x", "'x' is not a number"),
], ids=["descending", "not-a-number"])
def test_user_bins_validated(text, message):
    at = _app(scheme="user_defined", bins=text)
    assert any(message in e.value for e in at.sidebar.error)
    assert "Quantiles" in _legends(at)[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("5, 10, 20", (5.0, 10.0, 20.0)),
    (" 1 ; 2.5 ,10 ", (1.0, 2.5, 10.0)),
    ("-1, 0, 1e3", (-1.0, 0.0, 1000.0)),
], ids=["commas", "semicolon-and-spaces", "negative-and-exponent"])
def test_parse_bins(text, expected):
    assert sidebar.parse_bins(text) == (expected, None)


def test_map_palettes_registry():
    assert set(maps.MAP_PALETTES) == {"YlOrRd", "Blues", "Purples", "viridis"}
    viridis = maps.map_palette("viridis", 5)
    assert viridis[0] == "#fde725" and viridis[-1] == "#440154" and len(set(viridis)) == 5
    assert maps.map_palette("viridis", 1) == ("#440154",)
    with pytest.raises(ValueError, match="palette must be one of"):
        maps.map_palette("rainbow", 5)


def test_borough_labels_are_escaped_text_with_no_external_script():
    cells = gpd.GeoDataFrame(
        {"area_code": ["A", "B"], "area_name": ["a", "b"], "borough_name": ["<b>X</b>", "Y"],
         "value": [1.0, 2.0]},
        geometry=gpd.GeoSeries.from_wkt(["POLYGON((0 0,1 0,1 1,0 1,0 0))",
                                         "POLYGON((1 0,2 0,2 1,1 1,1 0))"]),
        crs="EPSG:27700").to_crs("EPSG:4326")
    outlines = cells[["borough_name", "geometry"]]
    c = classify(cells["value"], k=2)
    m = maps.choropleth(cells, value_col="value", classification=c, palette="viridis",
                        tooltip_fields={"area_name": "Ward"}, borough_outlines=outlines,
                        borough_labels=True)
    page = m.get_root().render()
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert all(not u.startswith(("http://", "https://")) for u in urls)
    assert "\\u0026lt;b\\u0026gt;X" in page  # escaped, then JSON-encoded
    assert "<b>X" not in page and "\\u003cb\\u003eX" not in page
    group = next(e for e in m._children.values() if isinstance(e, folium.FeatureGroup))
    markers = [e for e in group._children.values() if isinstance(e, folium.Marker)]
    assert len(markers) == 2 and all(mk.options.get("interactive") is False for mk in markers)


def test_imd_classes_from_the_reference_population(pack):
    hackney = pack.web_areas[pack.web_areas["borough_name"] == "Hackney"].reset_index(drop=True)
    panel = maps.imd_panel(hackney, pack.imd, class_reference=pack.imd["imd_score"])
    whole = classify(pack.imd["imd_score"], k=5)
    assert panel.classification.bins[:-1] == whole.bins[:len(panel.classification.bins) - 1]
    assert sum(panel.classification.counts) + panel.classification.n_no_data == len(hackney)
    assert panel.classification.scheme == "quantiles"
    assert "Class bounds from all of them" in panel.legend


# --------------------------------------------------------------------------- review fixes


def _police_months_csv(pack: pipeline.Pack, months: list[str], borough: str = "Hackney") -> bytes:
    ward = pack.areas[pack.areas["borough_name"] == borough].sort_values("area_code").iloc[:1]
    pt = ward.geometry.representative_point().to_crs("EPSG:4326").iloc[0]
    lines = [POLICE_HEADER] + [f"m{i},{m},MPS,MPS,{pt.x:.6f},{pt.y:.6f},On or near X,,,"
                               f"Robbery,," for i, m in enumerate(months)]
    return ("\n".join(lines) + "\n").encode()


def test_police_upload_switches_to_its_measure_and_latest_months(pack):
    months = [f"2019-{m:02d}" for m in range(1, 13)] + ["2020-01", "2020-02"]
    at = _app(uploads_on=True)
    assert at.selectbox(key="measure_group").value == "crime:all"
    _upload(at, "up_police_uk", [("old.csv", _police_months_csv(pack, months))])
    assert at.selectbox(key="measure_group").value == "police_uk"
    assert at.select_slider(key="period").value == ("2019-03", "2020-02")  # its latest 12
    assert "All recorded crime (police.uk uploads), count, Mar 2019 – Feb 2020" in _heading(at)
    assert any("Showing your police.uk upload" in i.value and "latest 12 of its 14 months"
               in i.value for i in at.info)
    assert _table(at)["Crimes"].iloc[0] == "12" and not any("incomplete" in w.value
                                                             for w in at.warning)
    # A period running past the upload's months is warned about.
    at.run()  # (AppTest re-applies the state written by the script for one more run)
    assert at.select_slider(key="period").value == ("2019-03", "2020-02")
    at.select_slider(key="period").set_value(("2019-01", "2024-06")).run()
    _assert_page_works(at)
    warning = next(w.value for w in at.warning if "is incomplete" in w.value)
    assert "months without data for the police.uk uploads" in warning
    assert "of its 66 months" in warning and f"{66 - 14} of its 66" in warning
    # Once only: the user's own choice of measure stays after further reruns.
    at.selectbox(key="measure_group").set_value("crime:all").run()
    at.run()
    assert at.selectbox(key="measure_group").value == "crime:all"
    assert not any("Showing your police.uk upload" in i.value for i in at.info)


def test_wards_without_imd_show_a_dash_and_a_note(pack):
    city = pack.areas[pack.areas["borough_name"] == "City of London"].sort_values("area_code")
    pts = city.geometry.representative_point().to_crs("EPSG:4326")
    lines = [POLICE_HEADER] + [f"c{i},2025-05,CoLP,CoLP,{pt.x:.6f},{pt.y:.6f},On or near X,,,"
                               "Theft,," for i, pt in enumerate(pts)]
    at = _app(uploads_on=True)
    _upload(at, "up_police_uk", [("city.csv", ("\n".join(lines) + "\n").encode())])
    top = _table(at)
    imd = pack.imd.set_index("area_code")["imd_score"]
    code = dict(zip(city["area_name"], city["area_code"], strict=True))
    assert set(top["Borough"]) == {"City of London"} and len(top) == 20
    n_missing = 0
    for ward, score, decile in zip(top["Ward"], top["IMD score"], top["IMD decile"],
                                   strict=True):
        missing = pd.isna(imd[code[ward]])
        n_missing += missing
        assert (score == "—") == missing and (decile == "—") == missing
        assert score == "—" or score == f"{imd[code[ward]]:.1f}"
    assert n_missing > 0 and "None" not in set(top["IMD score"]) | set(top["IMD decile"])
    assert any("— in the IMD columns: no IMD 2019 score for 19 wards" in c.value
               for c in at.caption)


def test_ward_table_prints_imd_values_as_text(pack):
    at = _app(boroughs=["Hackney"])
    top = _table(at)
    imd = pack.imd.set_index("area_code")["imd_score"]
    codes = pack.areas.set_index("area_name").loc[top["Ward"].iloc[0]]
    code = codes["area_code"] if isinstance(codes, pd.Series) else codes["area_code"].iloc[0]
    assert top["IMD score"].iloc[0] == f"{imd[code]:.1f}"
    assert not any("— in the IMD columns" in c.value for c in at.caption)


def test_board_pack_threshold_follows_and_never_undercuts_the_sidebar():
    at = _app(suppress_below=7)
    box = next(n for n in at.number_input if n.label == "Suppress counts below")
    assert box.value == 7 and box.min == 7
    at.number_input(key="suppress_below").set_value(9).run()
    box = next(n for n in at.number_input if n.label == "Suppress counts below")
    assert box.value == 9 and box.min == 9
    box.set_value(12).run()
    assert next(n for n in at.number_input if n.label == "Suppress counts below").value == 12


# --------------------------------------------------------------------------- a small referral file


def _small_referrals(pack: pipeline.Pack, n: int = 15) -> bytes:
    wards = pack.areas.sort_values("area_code").iloc[:n]
    lines = ["Ref,Date of referral,Type of concern,Ward,Borough"]
    lines += [f"R{i},{1 + i % 9:02d}/05/2025,CCE,{w.area_name},{w.borough_name}"
              for i, w in enumerate(wards.itertuples())]
    return ("\n".join(lines) + "\n").encode()


def _page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.warning, *at.info, *at.error, *at.success)]
    parts += [s.label for s in at.selectbox] + [str(s.value) for s in at.selectbox]
    parts += [r.label for r in at.radio] + [str(r.value) for r in at.radio]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def test_small_referral_upload_zero_class_empty_top_list_and_no_synthetic(pack):
    at = _app(uploads_on=True)
    _upload(at, "up_referrals", [("mine.csv", _small_referrals(pack))])
    at.selectbox(key="measure_group").set_value("referrals").run()
    _assert_page_works(at)
    measure = _legends(at)[0]
    labels = re.findall(r'<span class="hs-legend-label">([^<]*)</span>', measure)
    assert labels[0] == f"0 ({len(pack.areas) - 15})" and labels[1].endswith("(15)")
    assert "Too little data to map" in measure
    assert not any(c.value.startswith("Top 0") for c in at.caption)
    assert any(i.value.startswith("No ward can be listed") for i in at.info)
    assert "SYNTHETIC" not in _page_text(at)


def test_near_miss_ward_names_are_confirmed_on_the_page():
    at = _app(uploads_on=True)
    near = (b"Date,Type,Ward,Borough\n2025-05-01,CCE,Stratford Olympic Prk,Newham\n"
            b"2025-05-02,CCE,Canning Town Nth,Newham\n2025-05-03,CCE,Canning Town Nth,Newham\n")
    _upload(at, "up_referrals", [("near.csv", near)])
    rec = next(d.value for d in at.dataframe if "Rows read" in d.value.columns).iloc[0]
    assert (rec["Placed in an area"], rec["No location"],
            rec["Outside the study area"]) == (0, 3, 0)
    boxes = {s.label: s for s in at.selectbox if s.key and s.key.startswith("wardname_")}
    box = boxes["'Canning Town Nth' (2 rows)"]
    assert box.value == data.LEAVE_UNPLACED  # never matched until the user chooses
    assert box.options[1] == "Canning Town North (Newham)"
    box.set_value("E05013906").run()
    _assert_page_works(at)
    rec = next(d.value for d in at.dataframe if "Rows read" in d.value.columns).iloc[0]
    assert (rec["Placed in an area"], rec["No location"]) == (2, 1)
    saved = json.loads(at.session_state[data.MAPPING_KEY])
    assert saved["ward_names"] == {"Canning Town Nth": "E05013906"}
# --------------------------------------------------------------------------- issue 15


MPS_TEXT = (b"MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202501,202502\n"
            b"BURGLARY,BURGLARY - RESIDENTIAL,Stoke Newington,E05009385,Hackney,3,0\n"
            b"ROBBERY,ROBBERY OF PERSONAL PROPERTY,Stoke Newington,E05009385,Hackney,0,0\n"
            b"ROBBERY,ROBBERY OF PERSONAL PROPERTY,Old Ward,E05000026,Barking,1,1\n")


def test_mps_ward_file_uploads_and_covers_only_its_wards(pack):
    """Issue 15: the MPS file could not be uploaded; a small one must leave the other
    wards 'no data', never 0, and its rows are reconciled as file rows with their row."""
    at = _app(uploads_on=True, **{data.TEST_UPLOADS_KEY: {"up_mps": [("mps.csv", MPS_TEXT)]}})
    _assert_page_works(at)
    rec = next(d.value for d in at.dataframe if "Rows read" in d.value.columns)
    row = rec.set_index("Upload").loc["Recorded crime: MPS ward file upload (mps.csv)"]
    assert (row["Rows read"], row["Placed in an area"], row["Outside the study area"]) == (3, 2, 1)
    assert any("MPS ward crime from mps.csv" in c.value and "'no data', never 0" in c.value
               for c in at.caption)
    legend = _legends(at)[0]
    assert _legend_counts(legend) == [1, 703]  # the file's one ward, and 703 wards ...
    assert "No data" in legend or "no data" in legend  # ... shown as "no data", never 0


def test_count_each_crime_id_once_option(pack):
    twice = _police_csv(pack)
    header, first = twice.decode().splitlines()[:2]
    data_ = ("\n".join([header, first, first]) + "\n").encode()  # one Crime ID listed twice
    at = _app(uploads_on=True, **{data.TEST_UPLOADS_KEY: {"up_police_uk": [("p.csv", data_)]}})
    rec = next(d.value for d in at.dataframe if "Rows read" in d.value.columns).iloc[0]
    assert (rec["Rows read"], rec["Rejected"]) == (2, 0)  # as police.uk publishes it
    at.checkbox(key="crime_id_once").check().run()
    rec = next(d.value for d in at.dataframe if "Rows read" in d.value.columns).iloc[0]
    assert (rec["Rows read"], rec["Rejected"]) == (2, 1)


def test_header_row_found_below_a_title_block_or_picked():
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in (["Referrals", "Children's services"], ["Prepared by", "CSP analyst"], [],
              ["Ref", "Date of referral", "Type of concern", "Ward", "Borough"],
              ["R1", "03/05/2025", "CCE", "Stoke Newington", "Hackney"]):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    at = _app(uploads_on=True, **{data.TEST_UPLOADS_KEY: {
        "up_referrals": [("titled.xlsx", buf.getvalue())]}})
    offered = next(s for s in at.selectbox if s.key.startswith("map_category_")).options
    assert "Type of concern" in offered and "Children's services" not in offered
    next(n for n in at.number_input if n.key.startswith("header_row_")).set_value(1).run()
    offered = next(s for s in at.selectbox if s.key.startswith("map_category_")).options
    assert "Children's services" in offered


def test_not_placed_button_label_is_singular_for_one_row():
    """It read 'each of the 1 rows not placed'."""
    from ui.data import not_placed_label

    assert not_placed_label(1) == "Download the reason the 1 row was not placed (CSV)"
    assert not_placed_label(2) == "Download the reason for each of the 2 rows not placed (CSV)"
