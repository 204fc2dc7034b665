"""Every CSV/XLSX the product writes, from hostile inputs, has no live formula anywhere.

Hostile police.uk rows (crime types ``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``,
``+1+2``, ``@SUM(A1)``, a location ``-2+3``) in a file whose *name* starts with
``=`` go through every command that writes a spreadsheet (``check``, ``table``,
``analyse --emerging``, ``patrol --emerging``), the board pack's CSV/XLSX (with a
hostile title), and the page's downloads (the same frames through
:func:`hotspots.privacy.csv_bytes`). Every cell and header of every file is
scanned for a leading ``= + - @ \\t \\r`` (a plain number such as ``-0.5`` is a
number, not a formula, and is allowed).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from hotspots import cli, pipeline, privacy, report
from hotspots.patrol import PatrolParams, analyse_patrol
from hotspots.patrol.export import patrol_for_export
from hotspots.pipeline import uploadrows

HOSTILE_TYPES = ('=HYPERLINK("http://evil.example/?x","click")', "=cmd|' /C calc'!A0",
                 "+1+2", "@SUM(A1)", "-2+3", "\t=1")
HOSTILE_FILE = '=HYPERLINK("http-evil")-street.csv'
# ten months: emerging hot spots need at least 10 (hotspots.stats.emerging.MIN_TIME_STEPS)
MONTHS = tuple(f"2025-{m:02d}" for m in range(1, 11))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def live_formulas(cells: list[str]) -> list[str]:
    """Cells that a spreadsheet would read as a formula (leading = + - @ TAB CR)."""
    return [c for c in cells if c.startswith(privacy.FORMULA_PREFIXES) and not _is_number(c)]


def csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8"))) for c in row]


def xlsx_cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out = list(wb.sheetnames)
    for ws in wb.worksheets:
        out += [str(c.value) for row in ws.iter_rows() for c in row
                if isinstance(c.value, str)]
    return out


def scan_folder(folder: Path) -> dict[str, list[str]]:
    """File name -> live formulas found in its cells, headers, sheet names (empty = clean)."""
    found: dict[str, list[str]] = {}
    for p in sorted(folder.rglob("*")):
        if p.suffix == ".csv":
            found[p.name] = live_formulas(csv_cells(p.read_bytes()))
        elif p.suffix == ".xlsx":
            found[p.name] = live_formulas(xlsx_cells(p))
    return found


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory) -> Path:
    pack = pipeline.load_pack()
    city = pack.areas[pack.areas["borough_name"] == "City of London"].sort_values("area_code")
    pts = city.geometry.representative_point().to_crs("EPSG:4326").iloc[:6]
    lines = ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
             "LSOA name,Crime type,Last outcome category,Context"]
    for m in MONTHS:
        for i, p in enumerate(pts):
            kind = HOSTILE_TYPES[i % len(HOSTILE_TYPES)].replace('"', '""')
            lines.append(f'{m}x{i},{m},CoLP,City of London Police,{p.x:.6f},{p.y:.6f},'
                         f'"-2+3",,,"{kind}",,')
        lines.append(f"{m}nl,{m},CoLP,City of London Police,,,=1+1,,,\"+1+2\",,")  # no location
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / HOSTILE_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_scan_finds_live_formulas():
    assert live_formulas(["=1", "+a", "-x", "@y", "\tz", "\rw", "-0.5", "'=1", "ok"]) == [
        "=1", "+a", "-x", "@y", "\tz", "\rw"]
    raw = pd.DataFrame({"=cmd|' /C calc'!A0": ["+1+2"]}).to_csv(index=False).encode()
    assert live_formulas(csv_cells(raw)) == ["=cmd|' /C calc'!A0", "+1+2"]


@pytest.mark.parametrize("command", [
    ["check"],
    ["table", "--from", MONTHS[0], "--to", MONTHS[-1]],
    ["analyse", "--from", MONTHS[0], "--to", MONTHS[-1], "--permutations", "9", "--emerging"],
    ["patrol", "--permutations", "99", "--emerging", "--train-months", "2"],
], ids=["check", "table", "analyse", "patrol"])
def test_cli_outputs_have_no_live_formula(hostile_file, tmp_path, command, capsys):
    out = tmp_path / "out"
    code = cli.main([*command, "--police-uk", str(hostile_file), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    found = scan_folder(out)
    assert found, "no CSV written"
    assert "unassigned_rows.csv" in found or "unassigned_rows.csv" in {
        p.name for p in out.iterdir()}
    assert {k: v for k, v in found.items() if v} == {}


def test_cli_unassigned_rows_quote_the_hostile_file_name(hostile_file, tmp_path, capsys):
    out = tmp_path / "p"
    assert cli.main(["patrol", "--permutations", "99", "--police-uk", str(hostile_file),
                     "--out", str(out)]) == 0, capsys.readouterr().err
    text = (out / "unassigned_rows.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(\"\"http-evil\"\")-street.csv" in text  # the file name, quoted


def test_board_pack_csv_and_xlsx_have_no_live_formula(hostile_file, tmp_path):
    pack = pipeline.pack_with_files(pipeline.load_pack(), police_uk=[hostile_file])
    cfg = report.ReportConfig(title="=HYPERLINK(\"x\")", marking="+OFFICIAL", measures=(
        "crime:all",), month_from=MONTHS[0], month_to=MONTHS[-1], formats=("csv", "xlsx"),
        boroughs=("City of London",), output=tmp_path / "pack",
        statistics=pipeline.analysis.StatsParams(permutations=9))
    out = report.build_report(cfg, pack=pack)
    found = scan_folder(out.folder)
    assert any(n.endswith(".xlsx") for n in found) and any(n.endswith(".csv") for n in found)
    assert {k: v for k, v in found.items() if v} == {}


def test_page_downloads_have_no_live_formula(hostile_file):
    pack = pipeline.pack_with_files(pipeline.load_pack(), police_uk=[hostile_file])
    pa = analyse_patrol(pack.points, pack.areas, ("City of London",),
                        PatrolParams(permutations=99, train_months=2),
                        rejected=pack.meta.points_rejected)
    frames = {"patrol_list.csv": patrol_for_export(pa)["patrol_list"],
              "rows_not_placed.csv": uploadrows.upload_details(pack),
              "unassigned": pack.unassigned}
    for name, frame in frames.items():
        assert live_formulas(csv_cells(privacy.csv_bytes(frame))) == [], name
    assert len(frames["rows_not_placed.csv"]) or len(frames["unassigned"])
