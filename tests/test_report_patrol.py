"""Board pack patrol pages: cell map and list, backtest finding, method, files, config.

One pack (all recorded crime, demo pack, 99 permutations for the wards and the
patrol Gi*; with 99 permutations Gi* finds no hot cell, which is fine here) is
built once per module and read back with pypdf and pdftoppm.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from hotspots.patrol import PatrolParams, analyse_patrol
from hotspots.report import (
    ReportConfigError,
    build_patrol_section,
    build_report,
    comparable_manifest,
    config_from_mapping,
    finding_numbers,
    load_config,
    patrol_status,
)
from hotspots.report.build import _write_csvs, _write_xlsx
from hotspots.report.content import resolve_period

PERIOD = ("2025-04", "2026-03")
PATROL = {"permutations": 99, "seed": 7}
MAP_HEAD = "Patrol cells: City of London, 2020-09 to 2020-11"
BACKTEST_HEAD = "Patrol cells: would the method have worked? (City of London)"
METHOD_HEAD = "Patrol cells: method (City of London)"


def _cfg(out, **extra):  # type: ignore[no-untyped-def]
    data = {"measures": ["crime:all"], "period": {"from": PERIOD[0], "to": PERIOD[1]},
            "statistics": {"permutations": 99, "seed": 1}, "output": str(out),
            "patrol": dict(PATROL)}
    data.update(extra)
    return config_from_mapping(data)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def built(pack, tmp_path_factory):  # type: ignore[no-untyped-def]
    return build_report(_cfg(tmp_path_factory.mktemp("patrol-pack")), pack=pack,
                        command="test")


@pytest.fixture(scope="module")
def pages(built) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.extract_text() or "" for p in PdfReader(built.pdf).pages]


@pytest.fixture(scope="module")
def direct(pack):  # type: ignore[no-untyped-def]
    """The patrol analysis run directly, with the settings the config names."""
    return analyse_patrol(pack.points, pack.areas, pack.meta.points_boroughs,
                          PatrolParams(**PATROL), rejected=pack.meta.points_rejected,
                          source=pack.meta.points_source)


def _page(pages: list[str], head: str) -> int:
    hits = [i for i, p in enumerate(pages) if head in _norm(p)[:300]]
    assert len(hits) == 1, (head, hits)
    return hits[0]


# --------------------------------------------------------------------------- pages


def test_patrol_pages_in_order_before_the_method_card(built, pages):
    assert built.patrol is not None and "default" in built.patrol_reason
    where = [_page(pages, h) for h in (MAP_HEAD, BACKTEST_HEAD, METHOD_HEAD)]
    assert where == sorted(where) and where[2] == where[0] + 2
    assert "Method card" in pages[-1] and where[2] < len(pages) - 1
    assert "Trend: All recorded crime" in pages[where[0] - 1]  # after the measures
    assert "Patrol cells" in pages[0]  # the title page names the patrol area and period


def test_finding_sentence_printed_and_traced_to_the_backtest_row(built, pages, direct):
    text = _norm(" ".join(pages))
    f = built.patrol.findings[0]
    assert f.table == "patrol_backtest" and f.row_key == direct.method == "counts"
    assert _norm(f.text) in text
    # Its numbers are the backtest summary's (independent of the report's table).
    r = direct.backtest.summary.loc[direct.method]
    assert (f"captured {100 * r['mean_hit_rate']:.1f}% of the next month's crimes (median PAI "
            f"{r['median_pai']:.2f} over {int(r['months_pai'])} held-out months") in f.text
    assert f"({r['mean_area_pct']:.1f}% on average)" in f.text and "cover 5% of" in f.text
    # ... and every quoted column of the table row is in the sentence.
    row = built.tables[f.table].row(f.row_key)
    nums = finding_numbers(f.text)
    for col in f.value_cols:
        assert any(np.isclose(float(row[col]), n, atol=0.051) for n in nums), (col, row[col])
    assert f in built.findings  # so test_report's findings check covers it too
    m = comparable_manifest(built.manifest)
    assert f.text in [x["text"] for x in m["parameters"]["findings"]]


def test_patrol_list_in_the_pdf_is_patrol_analysis_list(built, pages, direct):
    cells = list(direct.patrol["cell_id"])
    assert list(built.patrol.analysis.patrol["cell_id"]) == cells and len(cells) >= 3
    page = pages[_page(pages, MAP_HEAD)]
    printed = re.findall(r"sq150_r\d{3}_c\d{3}", page)
    assert printed == cells
    csv = pd.read_csv(built.folder / "patrol_list.csv")
    assert list(csv["Cell"]) == cells and list(csv["Rank"]) == list(range(1, len(cells) + 1))
    assert list(csv["Crimes"]) == list(direct.patrol["count"])


def test_cell_counts_are_the_police_uk_points_in_the_study_area(built, pack):
    """Recorded crime only: the grid counts the list period's located points in the City."""
    pa = built.patrol.analysis
    pts = pack.points[pack.points["month"].isin(pa.list_months)].dropna(subset=["x", "y"])
    pts = pts[pts["category"] != "Anti-social behaviour"]  # not recorded crime: never counted
    g = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts["x"], pts["y"]), crs="EPSG:4326")
    city = pack.areas[pack.areas["borough_name"] == "City of London"].to_crs(4326)
    inside = gpd.sjoin(g, city[["geometry"]], predicate="intersects")
    n_inside = inside.index.nunique()
    grid = pd.read_csv(built.folder / "patrol_grid.csv")
    assert len(grid) == len(pa.grid) and grid["count"].sum() == n_inside
    rec = pd.read_csv(built.folder / "patrol_reconciliation.csv").iloc[0]
    assert rec["rows_in"] == rec["assigned"] + rec["unlocated"] + rec["outside"] + rec["rejected"]
    assert rec["rows_in"] == pack.meta.points_reconciliation.rows_read


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_patrol_map_page_renders_with_content(built, pages, tmp_path):
    i = _page(pages, MAP_HEAD) + 1
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(i), "-l", str(i),
                    str(built.pdf), str(tmp_path / "p")], check=True)
    a = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("L"), dtype=float)
    h, w = a.shape
    left = a[int(h * 0.2):int(h * 0.7), : int(w * 0.5)]  # the map
    right = a[int(h * 0.15):int(h * 0.45), int(w * 0.55):]  # the list
    assert left.std() > 20 and (left < 200).mean() > 0.08, (left.std(), (left < 200).mean())
    assert right.std() > 10 and (right < 200).mean() > 0.02


def _printed_headers(built) -> list[str]:  # type: ignore[no-untyped-def]
    """Every column heading the PDF prints, table by table (the columns pdf.py prints)."""
    from hotspots.report import pdf

    out: list[str] = []
    for name, t in built.tables.items():
        cols = (pdf.patrol_backtest_columns(t.frame) if name == "patrol_backtest"
                else pdf.BOROUGH_COLUMNS if name.endswith("_boroughs")
                else pdf.TOP_WARD_COLUMNS if name.endswith("_top_wards")
                else pdf.HOTSPOT_COLUMNS if name.endswith("_hotspots") else ())
        out += [c for c in cols if c in t.frame.columns]
    return out + [str(c) for c in built.patrol.printed_list.columns]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_every_table_heading_word_survives_pdftotext(built):
    """Headings wrap at spaces only: never 'Mean area pa trolled (%)' or 'Crimes capture d'."""
    text = subprocess.run(["pdftotext", str(built.pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    tokens = " " + " ".join(text.split()) + " "
    headers = _printed_headers(built)
    assert "Mean area patrolled (%)" in headers and "Crimes (held-out months)" in headers
    broken = [h for h in dict.fromkeys(headers) if f" {' '.join(h.split())} " not in tokens]
    assert broken == [], broken
    # and no word of a table body is split either (e.g. a long method name)
    for method in built.tables["patrol_backtest"].frame["Method"]:
        assert f" {method} " in tokens, method


def test_method_page_names_grid_snapping_gi_and_other_source(pages):
    start = _page(pages, METHOD_HEAD)
    end = next(i for i in range(start, len(pages)) if "Method card" in pages[i])
    card = _norm(" ".join(pages[start:end]))
    for words in ("162 square cells of 150 m", "snapped", "99 conditional permutations",
                  "seed 7", "Benjamini-Hochberg FDR", "City of London Police, 2017-12 to 2020-11",
                  "no month in common with the ward maps' period (Apr 2025 – Mar 2026)",
                  "24,750 rows read", "Referrals Never placed on the grid",
                  "With 99 permutations the smallest two-sided pseudo p-value",
                  "cells by the normal approximation (used for the hot cells shown)"):
        assert words in card, words
    # short sections with headings, in the page's order (item 18), not one paragraph
    heads = ["What was counted", "Not the ward maps' data", "The grid", "Gi* hot cells",
             "The selection rule", "The backtest and its finding", "Caveats", "Referrals",
             "Reproduce"]
    where = [card.find(f" {h} ") for h in heads]
    assert -1 not in where and where == sorted(where), dict(zip(heads, where, strict=True))


def test_patrol_files_written_listed_and_in_the_workbook(built):
    names = {p.name for p in built.files}
    want = {"patrol_list.csv", "patrol_grid.csv", "patrol_backtest.csv",
            "patrol_backtest_months.csv", "patrol_reconciliation.csv", "patrol_cell_map.png",
            "patrol_backtest_pai.png"}
    assert want <= names
    m = comparable_manifest(built.manifest)
    assert want <= set(m["outputs"])
    p = m["parameters"]["patrol"]
    assert p["included"] and p["params"]["permutations"] == 99 and p["params"]["seed"] == 7
    assert p["list_period"] == ["2020-09", "2020-10", "2020-11"]
    assert p["patrol_cells"] == list(built.patrol.analysis.patrol["cell_id"])
    from openpyxl import load_workbook

    sheets = load_workbook(built.xlsx, read_only=True).sheetnames
    assert {"patrol_list", "patrol_backtest", "patrol_grid"} <= set(sheets)
    bt = pd.read_csv(built.folder / "patrol_backtest.csv")
    assert list(bt["Method"]) == ["counts", "kde", "gi_star", "gi_star_perm", "naive"]


def test_exported_patrol_text_is_formula_neutralised(pack, tmp_path):
    pts = pack.points.copy()
    pts["location"] = "=HYPERLINK(\"http://x\")"
    evil = dataclasses.replace(pack, points=pts)
    cfg = _cfg(tmp_path)
    section = build_patrol_section(evil, cfg, resolve_period(pack.months, cfg))
    assert section.tables["patrol_list"].frame["Street (police.uk location)"].iloc[0] \
        .startswith("=")  # raw in memory; neutralised on the way out
    (csv,) = [p for p in _write_csvs(tmp_path, {"patrol_list": section.tables["patrol_list"]},
                                     [], "OFFICIAL") if p.name == "patrol_list.csv"]
    assert "'=HYPERLINK" in csv.read_text()
    from openpyxl import load_workbook

    x = _write_xlsx(tmp_path / "t.xlsx", section.tables, "OFFICIAL")
    values = [c.value for row in load_workbook(x)["patrol_list"].iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


# --------------------------------------------------------------------------- on and off


def test_enabled_false_leaves_the_pages_out(pack, tmp_path):
    cfg = _cfg(tmp_path, boroughs=["City of London", "Camden"], formats=["pdf", "csv"],
               patrol={"enabled": False})
    out = build_report(cfg, pack=pack, command="test")
    text = " ".join(p.extract_text() or "" for p in PdfReader(out.pdf).pages)
    assert "Patrol cells" not in text and "Patrol list" not in text and "PAI" not in text
    assert out.patrol is None and not any(p.name.startswith("patrol") for p in out.files)
    m = comparable_manifest(out.manifest)
    assert m["parameters"]["patrol"] == {"included": False, "reason": out.patrol_reason}
    assert "enabled = false" in out.patrol_reason


def test_default_follows_the_points_and_the_pack_boroughs(pack, tmp_path):
    on, why = patrol_status(pack, _cfg(tmp_path))
    assert on and "default" in why
    on, why = patrol_status(pack, _cfg(tmp_path, boroughs=["Lambeth"]))
    assert not on and "outside this pack's boroughs" in why
    assert patrol_status(pack, _cfg(tmp_path, boroughs=["Lambeth"],
                                    patrol={"enabled": True}))[0]
    no_points = dataclasses.replace(pack, points=None)
    assert patrol_status(no_points, _cfg(tmp_path)) == (
        False, "the pack has no street-level points")
    with pytest.raises(Exception, match="no street-level points"):
        patrol_status(no_points, _cfg(tmp_path, patrol={"enabled": True}))


# --------------------------------------------------------------------------- config


def _toml(tmp_path, text):  # type: ignore[no-untyped-def]
    p = tmp_path / "report.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text, words", [
    ("[patrol]\ncolour = 1\n", "unknown key 'patrol.colour'"),
    ("[patrol]\nenabled = 'yes'\n", "'patrol.enabled' must be true or false"),
    ("[patrol]\npermutations = 10\n", "'patrol.permutations' must be between 99"),
    ("[patrol]\narea_share = 5\n", "'patrol.area_share' must be above 0 and at most 1"),
    ("[patrol]\narea_share = 0.1\ntop_n = 5\n", "'patrol.area_share' and 'patrol.top_n'"),
    ("[patrol]\nshape = 'round'\n", "'patrol.shape' must be one of ['square', 'hex']"),
    ("[patrol]\ncell_size = -5\n", "'patrol.cell_size' must be a number of metres"),
    ("[patrol]\nfrom = '2020-11'\nto = '2020-01'\n", "'patrol.from' (2020-11) is after"),
    ("[patrol]\nmethod = 'magic'\n", "'patrol.method' must be one of"),
    ("[patrol]\nmeasure = 'noise'\n", "'patrol.measure' must be one of ['crime', 'asb']"),
    ("[patrol]\nmeasure = 'asb'\ncrime_types = ['Robbery']\n", "takes none"),
], ids=["unknown", "bool", "permutations", "share", "share-and-top", "shape", "size",
        "backwards", "method", "measure", "asb-with-types"])
def test_bad_patrol_config_names_key_and_file(tmp_path, text, words):
    path = _toml(tmp_path, text)
    with pytest.raises(ReportConfigError) as e:
        load_config(path)
    assert words in str(e.value) and str(path) in str(e.value)


def test_patrol_config_values_reach_the_analysis_settings(tmp_path):
    cfg = load_config(_toml(tmp_path, "[patrol]\nenabled = true\ncell_size = 200\n"
                                      "shape = 'hex'\ntop_n = 12\npermutations = 999\n"
                                      "seed = 5\ntrain_months = 2\nfrom = '2020-01'\n"
                                      "to = '2020-06'\nmethod = 'kde'\n"
                                      "boroughs = ['City of London']\nmeasure = 'asb'\n"
                                      "gi_inference = 'permutation'\n"))
    p = cfg.patrol.params
    assert cfg.patrol.enabled is True and cfg.patrol.boroughs == ("City of London",)
    assert (p.cell_size, p.shape, p.top_n, p.area_share, p.permutations, p.seed,
            p.train_months, p.month_from, p.month_to, p.method, p.measure, p.gi_inference) == (
        200.0, "hex", 12, None, 999, 5, 2, "2020-01", "2020-06", "kde", "asb", "permutation")
    default = load_config(_toml(tmp_path, "title = 'x'\n")).patrol
    assert default.enabled is None and default.params == PatrolParams()
    assert default.params.permutations == 9_999


def test_example_config_documents_every_patrol_key():
    from pathlib import Path

    from hotspots.report.config import SCHEMA

    text = (Path(__file__).resolve().parents[1] / "report.example.toml").read_text()
    section = text.split("[patrol]", 1)[1]
    for key in SCHEMA["patrol"]:
        assert re.search(rf"^#? ?{key} = ", section, re.M), key


def test_same_config_gives_identical_patrol_files(built, pack, tmp_path):
    again = build_report(_cfg(tmp_path), pack=pack, command="test")
    mine = {p.name: p for p in built.files if p.name != "manifest.json"}
    theirs = {p.name: p for p in again.files if p.name != "manifest.json"}
    assert mine.keys() == theirs.keys()
    for name in [n for n in mine if n.startswith("patrol")] + [built.pdf.name]:
        assert mine[name].read_bytes() == theirs[name].read_bytes(), name
    assert comparable_manifest(built.manifest)["parameters"] == \
        comparable_manifest(again.manifest)["parameters"]


def test_method_names_only_the_packs_force_not_the_forces_outside(pack, tmp_path):
    # a force pack built from files of three forces: its crime source line says the other
    # forces' rows were read and counted outside coverage; the patrol method's "ward maps
    # show ..." sentence names only the force whose rows are used
    source = ("police.uk street-level crime (South Wales Police; rows of Dyfed-Powys Police, "
              "North Wales Police in the files are outside this area, counted outside "
              "coverage)")
    welsh = dataclasses.replace(pack, meta=dataclasses.replace(pack.meta, crime_source=source))
    cfg = _cfg(tmp_path)
    section = build_patrol_section(welsh, cfg, resolve_period(pack.months, cfg))
    text = dict(section.method)["Not the ward maps' data"]
    assert "The ward maps show police.uk street-level crime (South Wales Police)" in text, text
    assert "Dyfed-Powys" not in text and "North Wales" not in text, text


def test_board_pack_list_notes_carry_the_list_size_warning(pack, tmp_path):
    """Issue 14: the page's and CLI's warnings are shared text, in the board pack too."""
    cfg = _cfg(tmp_path, patrol={**PATROL, "top_n": 60, "method": "counts"})
    section = build_patrol_section(pack, cfg, resolve_period(pack.months, cfg))
    assert len(section.analysis.patrol) == 60
    assert any(n.startswith("The patrol list has 60 cells (the top 60 cells), more than a team "
                            "can patrol") for n in section.list_notes)
