"""Board pack: PDF text, findings against their tables, disclosure control, fonts, pages, files.

One pack (all crime and SYNTHETIC referrals, demo pack, 99 permutations) is built
once per session and read back with pypdf and pdftoppm.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from hotspots import disclosure
from hotspots.maps import printmaps as staticmaps
from hotspots.report import (
    MapTablePage,
    Table,
    build_report,
    comparable_manifest,
    config_from_mapping,
    finding_numbers,
    safe_name,
)
from hotspots.report.build import _write_csvs, _write_xlsx
from hotspots.report.config import MapClasses
from hotspots.report.content import SECONDARY_TEXT, build_section, resolve_period
from hotspots.report.figures import MAP_PANEL_IN, section_figures
from hotspots.report.pdf import PDF_DPI
from hotspots.report.tables import _hide_derived

MARKING = "OFFICIAL-SENSITIVE"
PERIOD = ("2025-04", "2026-03")


def _cfg(out: Path, **extra):  # type: ignore[no-untyped-def]
    data = {"measures": ["crime:all", "referrals:all"], "marking": MARKING,
            "period": {"from": PERIOD[0], "to": PERIOD[1]},
            "statistics": {"permutations": 99, "seed": 1}, "output": str(out)}
    data.update(extra)
    return config_from_mapping(data)


PATROL_TITLE = "Patrol cells: next week (test page)"


def _patrol_page(pack) -> MapTablePage:  # type: ignore[no-untyped-def]
    """A stand-in for the patrol section: one map and a ranked table."""
    areas = pack.areas[pack.areas["borough_name"] == "Lambeth"].copy()
    areas["crimes"] = np.arange(len(areas)) * 7
    fig = staticmaps.class_map(areas, "crimes", title="Lambeth cells", legend_title="Crimes",
                               figsize=(6.0, 5.4), legend="below")
    table = pd.DataFrame({"Rank": range(1, 41), "Cell": [f"=cell {i}" for i in range(40)],
                          "Crimes": [12345 - 100 * i for i in range(40)]})
    return MapTablePage(PATROL_TITLE, fig, table, name="patrol-cells",
                        notes=("Hot-spot patrol cells, 28 days.",))


@pytest.fixture(scope="session")
def built(pack, tmp_path_factory):  # type: ignore[no-untyped-def]
    return build_report(_cfg(tmp_path_factory.mktemp("pack")), pack=pack, command="test",
                        extra_pages=[_patrol_page(pack)])


@pytest.fixture(scope="session")
def pages(built) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.extract_text() or "" for p in PdfReader(built.pdf).pages]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------- PDF text


def test_headings_present_in_order(pages):
    text = _norm(" ".join(pages))
    heads = ["Community safety board pack", "Key findings",
             "Where: All recorded crime beside deprivation",
             "Hot spots and clusters: All recorded crime", "By borough: All recorded crime",
             "Top 15 wards: All recorded crime", "Trend: All recorded crime",
             "Where: All referrals (SYNTHETIC) beside deprivation",
             "By borough: All referrals (SYNTHETIC)", "Method card"]
    where = [text.find(h) for h in heads]
    assert all(i >= 0 for i in where), dict(zip(heads, where, strict=True))
    assert where == sorted(where)


def test_marking_top_and_bottom_of_every_page(pages):
    assert len(pages) >= 10
    for i, p in enumerate(pages, start=1):
        assert p.count(MARKING) >= 2, f"page {i}: {p[:200]}"


def test_synthetic_label_on_title_page_and_every_footer(built, pages):
    assert "SYNTHETIC referrals" in pages[0]
    assert all("SYNTHETIC" in p for p in pages)
    assert any(s.synthetic for s in built.sections)


def test_method_card_names_the_method(pages):
    start = max(i for i, p in enumerate(pages) if "Method card" in p)
    card = _norm(" ".join(pages[start:]))  # the card may run onto a second page
    for words in ("queen contiguity", "99 conditional permutations, seed 1",
                  "Benjamini-Hochberg", "shown as '<5'", "snapped to anonymous map points",
                  "recording practice", "SYNTHETIC", "London wards, May 2025"):
        assert words in card, words


# --------------------------------------------------------------------------- findings


def _cell_numbers(v: object) -> float | None:
    if isinstance(v, str):
        return None
    return float(v)  # type: ignore[arg-type]


def test_every_finding_quotes_its_table_row(built, pages):
    text = _norm(" ".join(pages))
    assert len(built.findings) >= 10
    for f in built.findings:
        table = built.tables[f.table]
        row = table.row(f.row_key)
        nums = [abs(x) for x in finding_numbers(f.text)]
        for col in f.value_cols:
            v = _cell_numbers(row[col])
            assert v is not None, (f.text, col, row[col])
            assert any(np.isclose(abs(v), n, atol=0.051) for n in nums), (f.text, col, v)
        assert _norm(f.text) in text, f.text


def test_referral_change_finding_against_the_raw_records(built, pack):
    s = next(s for s in built.sections if s.sensitive)
    f = next(f for f in s.findings if f.row_key == "Total")
    r = pack.referrals
    now = int(r.loc[r["month"].between(*PERIOD), "count"].sum())
    prev = int(r.loc[r["month"].between("2024-04", "2025-03"), "count"].sum())
    assert f"{now:,} referrals" in f.text and f"({prev:,} in" in f.text
    assert f"{100 * abs(now - prev) / prev:.1f}%" in f.text


def test_deprivation_finding_is_the_association_result(built):
    s = next(s for s in built.sections if s.sensitive)
    share = s.analysis.deprived_share
    f = next(f for f in s.findings if f.table.endswith("_deprivation"))
    assert f.text.startswith(f"{100 * share.share:.0f}% of wards with 5 or more referrals "
                             f"({share.n_in_most_deprived} of {share.n_qualifying})")


def test_referral_findings_use_only_shown_cells(built):
    s = next(s for s in built.sections if s.sensitive)
    for f in s.findings:
        t = built.tables[f.table]
        i = t.frame.index[t.frame[t.key].astype(str) == f.row_key][0]
        assert not t.mask.loc[i, list(f.value_cols)].any(), f.text


# --------------------------------------------------------------------------- disclosure


def test_referral_tables_show_no_count_from_1_to_4(built):
    for name, t in built.tables.items():
        if not name.startswith("referrals"):
            continue
        for col in ("Count", "Previous"):
            if col in t.frame:
                nums = pd.to_numeric(t.frame[col], errors="coerce").dropna()
                assert not nums.between(1, 4).any(), (name, col)


def test_ward_suppression_protects_each_borough_total(built):
    s = next(s for s in built.sections if s.sensitive)
    wards = s.tables[f"{s.slug}_wards"]
    raw = s.analysis.table.set_index("area_code")["count"]
    assert wards.frame["Count"].eq("<5").sum() == int(raw.between(1, 4).sum())
    for borough, idx in wards.frame.groupby("Borough").groups.items():
        hidden = wards.mask.loc[idx, "Count"]
        if not hidden.any():
            continue
        values = raw.loc[wards.frame.loc[idx, "Ward code"][hidden]]
        # The borough table prints the total: the hidden wards must be two or more and
        # add up to at least the threshold, so no one of them can be worked out.
        assert hidden.sum() >= 2 and values.sum() >= 5, borough


def test_referral_pdf_table_rows_show_no_small_counts(built, pages):
    s = next(s for s in built.sections if s.sensitive)
    text = "\n".join(p for p in pages if "By borough: All referrals" in p
                     or "Top 15 wards: All referrals" in p)
    names = list(s.tables[f"{s.slug}_boroughs"].frame["Borough"]) + list(
        s.tables[f"{s.slug}_top_wards"].frame["Ward"])
    checked = 0
    for line in text.splitlines():
        for name in names:
            if re.match(rf"^\d*\s*{re.escape(name)}\s", line + " "):
                after = line.split(name, 1)[1]
                cells = re.findall(r"(?<![\w.<+-])\d[\d,]*(?![\d.%])", after)[:2]
                assert not any(1 <= int(c.replace(",", "")) <= 4 for c in cells), line
                checked += 1
    assert checked >= 30


def test_hand_built_secondary_suppression_and_derived_cells():
    t = pd.DataFrame({"Borough": ["A", "B", "C", "Total"], "Count": [3, 10, 12, 25],
                      "Previous": [8, 9, 7, 24], "Change": [-5, 1, 5, 1]})
    shown, mask = disclosure.suppress_table(t, value_cols=["Count", "Previous"],
                                            total_row=True, total_col=False)
    mask = mask.reindex(columns=t.columns, fill_value=False)
    shown, mask = _hide_derived(shown, mask, {"Change": ("Count", "Previous")})
    assert shown["Count"].tolist() == ["<5", "c", 12, 25]
    assert shown["Previous"].tolist() == [8, 9, 7, 24]
    assert shown["Change"].tolist() == [SECONDARY_TEXT, SECONDARY_TEXT, 5, 1]


# --------------------------------------------------------------------------- fonts, pages, files


def test_every_font_is_embedded(built):
    reader = PdfReader(built.pdf)
    seen = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None:  # Type0: descriptor on the descendant font
                desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            desc = desc.get_object()
            assert "/FontFile2" in desc, font.get("/BaseFont")
            seen.add(str(font["/BaseFont"]).split("+")[-1])
    assert seen == {"DejaVuSans", "DejaVuSans-Bold"}


def test_map_images_are_binary_streams_not_ascii85(built):
    # ASCII85 in pure Python was ~10% of the board pack's time (issue 18)
    reader = PdfReader(built.pdf)
    filters = set()
    for page in reader.pages:
        for ref in page["/Resources"].get_object().get("/XObject", {}).values():
            f = ref.get_object().get("/Filter")
            filters.update(str(x) for x in (f if isinstance(f, list) else [f]))
    assert "/FlateDecode" in filters and "/ASCII85Decode" not in filters


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_map_pages_render_with_content(built, pages, tmp_path):
    map_pages = [i for i, p in enumerate(pages, start=1)
                 if p.strip().splitlines() and ("beside deprivation" in p
                                                or "Hot spots and clusters:" in p[:400])
                 and "\nPseudo p\n" not in p]  # the hot spot table's page is not a map
    assert len(map_pages) == 4
    for i in map_pages:
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(i), "-l", str(i),
                        str(built.pdf), str(tmp_path / f"p{i}")], check=True)
        png = next(tmp_path.glob(f"p{i}*.png"))
        a = np.asarray(Image.open(png).convert("L"), dtype=float)
        h, w = a.shape
        for half in (a[int(h * 0.2):int(h * 0.7), : w // 2], a[int(h * 0.2):int(h * 0.7), w // 2:]):
            assert half.std() > 20, (i, half.std())
            assert (half < 200).mean() > 0.05, i  # ink, not an empty panel


def test_png_maps_at_print_resolution(built):
    names = {p.name for p in built.pngs}
    assert {"crime-all_measure_map.png", "crime-all_imd_map.png", "crime-all_gi_map.png",
            "crime-all_lisa_map.png", "referrals-all_measure_map.png",
            "referrals-all_monthly.png"} <= names
    im = Image.open(next(p for p in built.pngs if p.name == "crime-all_measure_map.png"))
    # The PNG is the printed map (half an A4 landscape page) at 300 dpi, so at 100% zoom
    # it shows what the paper shows; it was >= 2000 px when maps were drawn larger and
    # shrunk onto the page.
    assert round(im.info["dpi"][0]) == 300 and im.size[0] == round(300 * MAP_PANEL_IN[0])
    assert 1500 <= im.size[0] and im.size[1] <= round(300 * MAP_PANEL_IN[1])


def test_outputs_listed_in_manifest_with_hashes(built):
    m = comparable_manifest(built.manifest)
    assert "created_utc" not in m
    assert set(m["outputs"]) == {p.name for p in built.files if p != built.manifest}
    assert m["parameters"]["statistics"]["permutations"] == 99
    assert m["inputs"]["pack"]["sha256"]
    assert len(m["parameters"]["findings"]) == len(built.findings)


def test_same_config_twice_gives_identical_files(pack, tmp_path):
    runs = []
    for name in ("a", "b"):
        cfg = _cfg(tmp_path / name, measures=["referrals:all"], boroughs=["Lambeth", "Hackney"],
                   formats=["pdf", "csv", "xlsx"])
        runs.append(build_report(cfg, pack=pack, command="test"))
    a, b = runs
    assert [p.name for p in a.files] == [p.name for p in b.files]
    for pa, pb in zip(a.files, b.files, strict=True):
        if pa.name != "manifest.json":
            assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert comparable_manifest(a.manifest) == comparable_manifest(b.manifest)
    assert a.manifest.read_bytes() != b"" and len(a.csvs) >= 6


# --------------------------------------------------------------------------- safety of files


@pytest.mark.parametrize("raw, safe", [
    ("referrals:category:County Lines", "referrals-category-county-lines"),
    ("../../etc/passwd", "etc-passwd"),
    ("..\\..\\boot.ini", "boot-ini"),
    (".hidden", "hidden"),
    ("", "pack"),
    ("crime-all_boroughs", "crime-all_boroughs"),
], ids=["measure", "posix-traversal", "windows-traversal", "dotfile", "empty", "table"])
def test_safe_names(raw, safe):
    assert safe_name(raw) == safe
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")


def test_exports_neutralise_formulas_and_names(tmp_path):
    frame = pd.DataFrame({"Ward": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "Ok"],
                          "Count": [5, 6, 7, 8]})
    t = Table("../evil", "=title", frame, pd.DataFrame(False, index=frame.index,
                                                      columns=frame.columns), "Ward")
    csvs = _write_csvs(tmp_path, {"../evil": t}, [], "OFFICIAL")
    assert all(p.parent == tmp_path and not p.name.startswith(".") for p in csvs)
    body = csvs[0].read_text()
    assert "'=HYPERLINK" in body and "'+1" in body and "'@SUM" in body
    from openpyxl import load_workbook

    x = _write_xlsx(tmp_path / "t.xlsx", {"../evil": t}, "OFFICIAL")
    ws = load_workbook(x)["evil"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert "'=title" in values and "'=HYPERLINK(\"http://x\")" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in values)


# --------------------------------------------------------------------------- the page


def test_page_export_builds_and_offers_downloads():
    from streamlit.testing.v1 import AppTest

    harness = Path(__file__).resolve().parent / "apps" / "report_harness.py"
    at = AppTest.from_file(str(harness), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert at.text_input(key="hs_report_marking").value == "OFFICIAL-SENSITIVE"
    box = next(n for n in at.number_input if n.label == "Suppress counts below")
    assert box.value == box.min == 5  # the page's threshold, and no lower
    box.set_value(6)
    at.button(key="hs_report_build").click().run()
    assert not at.exception, at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 2
    assert [s.value for s in at.success][0].startswith("Board pack ready")
    built = at.session_state["hs_report_built"]
    assert built.pdf.startswith(b"%PDF") and built.zip.startswith(b"PK")
    text = " ".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(built.pdf))
                    .pages)
    assert "shown as '<6'" in _norm(text)


# --------------------------------------------------------------------------- print layout


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils not installed")
def test_maps_printed_at_100_percent_and_fill_the_page(built, pages, tmp_path):
    listing = subprocess.run(["pdfimages", "-list", str(built.pdf)], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    rows = [line.split() for line in listing]
    map_pages = [i for i, p in enumerate(pages, start=1)
                 if ("beside deprivation" in p or "Hot spots and clusters:" in p[:400])
                 and "\nPseudo p\n" not in p]  # the hot spot table's page is not a map
    assert len(map_pages) == 4
    for i in map_pages:
        imgs = [r for r in rows if int(r[0]) == i]
        assert len(imgs) == 2, (i, imgs)
        for r in imgs:  # columns 12, 13: x-ppi, y-ppi; 100% = the raster's own dpi
            assert abs(int(r[12]) - PDF_DPI) <= 3 and abs(int(r[13]) - PDF_DPI) <= 3, r
    # The maps and legends reach into the bottom third of the page (it was left empty).
    i = map_pages[0]
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(i), "-l", str(i),
                    str(built.pdf), str(tmp_path / "m")], check=True)
    a = np.asarray(Image.open(next(tmp_path.glob("m*.png"))).convert("L"), dtype=float)
    h, w = a.shape
    band = a[int(h * 0.62):int(h * 0.78)]
    for half in (band[:, : w // 2], band[:, w // 2:]):
        assert (half < 200).mean() > 0.03


def test_referral_trend_shows_no_small_month_and_says_so(pack, tmp_path):
    cfg = _cfg(tmp_path, measures=["referrals:category:County Lines"], boroughs=["Hillingdon"])
    s = build_section(pack, cfg, cfg.measures[0], resolve_period(pack.months, cfg))
    raw = s.monthly.assign(c=pd.to_numeric(s.monthly["count"], errors="coerce"))
    hidden = s.monthly["status"].astype(str).str.startswith("suppressed")
    assert hidden.sum() >= 5  # this borough and category has many months of 1 to 4
    (chart,) = [f for f in section_figures(s, pack.meta) if f.kind == "chart"]
    ax = chart.figure.axes[0]
    drawn = np.concatenate([ln.get_ydata() for ln in ax.get_lines()])
    assert drawn.size == 12 * len(ax.get_lines())  # month of year on x, one line a year
    assert not ((drawn >= 1) & (drawn <= 4)).any()
    assert np.isnan(drawn).sum() >= hidden.sum()  # gaps, never zeros
    shown = raw.loc[raw["status"] == "shown", "c"]
    assert sorted(drawn[~np.isnan(drawn)]) == sorted(shown)  # every shown month, as counted
    caption = " ".join(t.get_text() for t in chart.figure.texts)
    caption = " ".join(caption.split())
    assert "Months with 1 to 4 referrals are suppressed and drawn as gaps (never as 0)" in caption
    assert f"{int(hidden.sum())} months hidden here" in caption


def test_method_card_states_the_disclosure_markers(pages):
    start = max(i for i, p in enumerate(pages) if "Method card" in p)
    card = _norm(" ".join(pages[start:]))  # the card may run onto a second page
    for words in ("'<5' = a small count (1 to 4)", "'c' = a count hidden to protect a small "
                  "count", "Zero is shown as 0", "No point location of a referral is used "
                  "anywhere"):
        assert words in card, words


def test_patrol_hook_page_with_map_and_table(built, pages):
    i = next(i for i, p in enumerate(pages) if PATROL_TITLE in p)
    card = max(i for i, p in enumerate(pages) if "Method card" in p)
    assert i == card - 1  # after the measures, before the method card
    text = _norm(pages[i])
    assert "=cell 0" in text and "12,345" in text and "=cell 29" in text
    assert "=cell 30" not in text and "First 30 of 40 rows; the CSV has them all." in text
    assert MARKING in pages[i]
    png = next(p for p in built.pngs if p.name == "patrol-cells.png")
    csv = next(p for p in built.csvs if p.name == "patrol-cells.csv")
    assert Image.open(png).size[0] == 1800  # 6.0 in at 300 dpi
    body = csv.read_text()
    assert body.count("\n") == 41 and "'=cell 39" in body  # every row, formula neutralised
    m = comparable_manifest(built.manifest)
    assert {"patrol-cells.png", "patrol-cells.csv"} <= set(m["outputs"])


def _legend(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for ax in fig.axes for leg in [ax.get_legend()] if leg is not None
            for t in leg.get_texts()]


def test_count_map_zero_class_and_first_class_from_zero(pack, tmp_path):
    cfg = _cfg(tmp_path, measures=["referrals:category:County Lines"], boroughs=["Hillingdon"])
    assert cfg.map_classes.from_zero  # on by default, as on the page
    off = _cfg(tmp_path, map={"first_class_from_zero": False})
    assert not off.map_classes.from_zero
    s = build_section(pack, cfg, cfg.measures[0], resolve_period(pack.months, cfg))
    counts = pd.to_numeric(s.analysis.table["count"], errors="coerce")
    n_zero = int((counts == 0).sum())
    assert n_zero > 0
    (fig,) = [f.figure for f in section_figures(s, pack.meta) if f.name.endswith("measure_map")]
    labels = _legend(fig)
    assert labels[0] == f"0 ({n_zero})"  # zeros first, their own (white) class
    assert fig.classification.n_zero == n_zero
    crime = build_section(pack, cfg, "crime:all", resolve_period(pack.months, cfg))
    for from_zero, start in ((True, "0 to "), (False, None)):
        (fig,) = [f.figure for f in section_figures(crime, pack.meta,
                                                    classes=MapClasses(from_zero=from_zero))
                  if f.name.endswith("measure_map")]
        first = _legend(fig)[0]
        low = int(pd.to_numeric(crime.analysis.table["count"], errors="coerce").min())
        assert first.startswith(start or f"{low:,} to ")
    with pytest.raises(Exception, match=r"map.first_class_from_zero' must be true or false"):
        _cfg(tmp_path, map={"first_class_from_zero": "yes"})


def _pdf_text(path) -> str:  # type: ignore[no-untyped-def]
    return _norm(" ".join(p.extract_text() or "" for p in PdfReader(path).pages))


def test_synthetic_only_in_packs_that_show_synthetic_referrals(pack, tmp_path):
    crime = build_report(_cfg(tmp_path / "crime", measures=["crime:all"], formats=["pdf"]),
                         pack=pack, command="test")
    assert "SYNTHETIC" not in _pdf_text(crime.pdf)  # the demo's referrals are not in it
    from hotspots.io import ColumnMap, mappings, sheets
    from hotspots.pipeline import uploads

    wards = pack.areas.sort_values("area_code").iloc[:15]
    data = ("Ref,Date of referral,Type of concern,Ward,Borough\n" + "".join(
        f"R{i},0{1 + i % 9}/05/2025,CCE,{w.area_name},{w.borough_name}\n"
        for i, w in enumerate(wards.itertuples()))).encode()
    mapping = ColumnMap(mappings.guess_mapping(sheets.read_headers("mine.csv", data)))
    mine = uploads.pack_with_uploads(pack, referral_file=("mine.csv", data), mapping=mapping)
    cfg = _cfg(tmp_path / "mine", measures=["referrals:all"], formats=["pdf", "csv"],
               period={"from": "2025-05", "to": "2025-05", "comparison": "none"})
    out = build_report(cfg, pack=mine, command="test")
    text = _pdf_text(out.pdf)
    assert "SYNTHETIC" not in text and "mine.csv" in text
    assert "Top 0 wards" not in text
    assert "No ward can be listed: every ward has 0 referrals or fewer than 5" in text
    assert not any("SYNTHETIC" in p.read_text(encoding="utf-8") for p in out.files
                   if p.suffix == ".csv")


def test_no_comparison_builds_without_change_columns(pack, tmp_path):
    """comparison = "none" (offered on the page's export too) used to raise a KeyError."""
    cfg = _cfg(tmp_path, measures=["crime:all", "referrals:all"],
               period={"from": PERIOD[0], "to": PERIOD[1], "comparison": "none"},
               formats=["csv"], patrol={"enabled": False})
    out = build_report(cfg, pack=pack, command="test")
    for s in out.sections:
        for name in (f"{s.slug}_wards", f"{s.slug}_top_wards", f"{s.slug}_boroughs"):
            cols = set(s.tables[name].frame.columns)
            assert not cols & {"Previous", "Change", "Change %", "Rank (previous)"}, name
            assert {"Rank", "Count"} <= cols
        assert not any(f.text.startswith(("Largest rise", s.label + ":")) for f in s.findings)
        assert any(f.text.startswith("Highest ward") for f in s.findings)


def test_a_map_table_page_with_tall_rows_fits_one_page():
    """Cardiff's patrol list (long street names in narrow columns) made a table taller than
    the page: reportlab's LayoutError reached the user as a traceback. Rows are now cut
    until the table fits, saying how many are printed."""
    import matplotlib.pyplot as plt
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    from hotspots.report import pdflayout
    from hotspots.report.pdf import map_table_page

    fig, ax = plt.subplots(figsize=(6, 5.4))
    long = "On or near " + "Very Long Street Name And Another Road Beside It " * 3
    table = pd.DataFrame({"Rank": range(1, 31), "Street": [long] * 30,
                          "Crimes": [100 - i for i in range(30)]})
    page = map_table_page(fig, table, "Patrol cells: test", col_widths=[1, 2, 1])
    plt.close(fig)
    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=pdflayout.PAGE)
    frame = Frame(pdflayout.MARGIN, pdflayout.MARGIN, pdflayout.FRAME_W, pdflayout.FRAME_H,
                  id="normal")
    doc.addPageTemplates([PageTemplate(id="Later", frames=[frame])])
    doc.build(page)  # raised LayoutError: the table was taller than the frame
    reader = PdfReader(io.BytesIO(buf.getvalue()))
    text = _norm(" ".join(p.extract_text() or "" for p in reader.pages))
    assert len(reader.pages) == 1
    assert re.search(r"First \d+ of 30 rows; the CSV has them all\.", text), text[-300:]


@pytest.mark.parametrize("size", [(5.2, 5.45), (10.4, 5.5), (3.333, 2.71)])
def test_a_pdf_figure_is_the_pixels_of_its_png(size):
    """Issue 18: the PDF's figures skip the PNG round trip (encode, decode, encode again:
    1.5 s of the board pack) and embed the same RGB pixels, so the PDF keeps its bytes."""
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image as PILImage

    from hotspots.report import pdflayout

    fig, ax = plt.subplots(figsize=size)
    ax.fill([0, 1, 1], [0, 0, 1], color="#b30000", alpha=0.6)
    ax.set_title("Hot spots (Gi*)")
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=pdflayout.PDF_DPI, facecolor="white")
    png.seek(0)
    want = np.asarray(PILImage.open(png).convert("RGB"))
    got = np.asarray(PILImage.open(pdflayout._rgb_bitmap(fig)))
    plt.close(fig)
    assert got.shape == want.shape and (got == want).all()


def test_print_maps_resolve_the_default_patch_colour_once():
    """Issue 18: geopandas makes one patch per polygon, and a default face colour of "C0"
    was looked up in the property cycle for each (0.6 s of the board pack); inside the
    print style it is the colour itself, the same colour."""
    import matplotlib
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Polygon

    from hotspots.maps.printmaps import page

    with page._style():
        face = matplotlib.rcParams["patch.facecolor"]
        patch = Polygon([[0, 0], [1, 0], [1, 1]])
    assert face != "C0" and to_rgba(face) == to_rgba("C0")
    assert patch.get_facecolor() == to_rgba("C0")


def test_referral_exports_carry_no_value_a_suppressed_count_can_be_solved_from(built):
    """The manifest's global statistics for referrals: pseudo p, no value; no table has z or I."""
    sections = json.loads(built.manifest.read_text())["parameters"]["sections"]
    for key in ("global_moran", "global_geary"):
        ref = sections["referrals:all"]["hotspots"][key]
        crime = sections["crime:all"]["hotspots"][key]
        assert "p_sim" in ref and "p_sim" in crime
        assert not {"I", "C", "z_norm", "z_rand", "z_sim", "p_norm", "p_rand"} & set(ref)
        assert {"z_norm", "p_norm"} <= set(crime)
    heads = {"Gi* z", "LISA I", "Bivariate I", "gi_z", "gi_g", "lisa_i", "bv_i"}
    assert any("referrals" in p.name for p in built.csvs)
    for p in built.csvs:  # the patrol cells are recorded crime, never referrals
        if not p.name.startswith("patrol"):
            assert not heads & set(pd.read_csv(p, nrows=0).columns), p.name
    assert built.xlsx is not None
    sheets = pd.read_excel(built.xlsx, sheet_name=None, header=None)
    for name, sheet in sheets.items():
        if not name.lower().startswith("patrol"):
            assert not heads & {str(v) for v in sheet.to_numpy().ravel()}, name
