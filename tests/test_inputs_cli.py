"""Issue 15 on the command line: no traceback, the reconciliation always shown, and the
readers' warnings printed; refused IMD tables; the safe unzip's limits.

Built from the real files in ../shared/data where the class needs them.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from boundaries.deprivation import read_imd
from hotspots import cli
from hotspots._errors import InputDataError
from hotspots.io import SafeZip, UnsafeArchiveError, gunzip_bounded
from tests.corpus.build import CITY, IMD, WALES, city_sample

ROOT = Path(__file__).resolve().parents[1]
WARDS = ROOT / "data" / "demo" / "wards.geojson"
S_NAME = "2019-06-city-of-london-street.csv"


def _main(args: list[str], capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.realdata
def test_table_when_nothing_is_placed_shows_the_reconciliation(tmp_path, capsys):
    """Was: 'year 0 is out of range' (a traceback hiding the reconciliation)."""
    police = WALES / "2024-01" / "2024-01-dyfed-powys-street.csv"
    code, out, err = _main(["table", "--areas", str(WARDS), "--police-uk", str(police),
                            "--out", str(tmp_path)], capsys)
    assert code == 2 and "Traceback" not in out + err
    assert "1,187 = 0 + 361 + 826 + 0" in out
    assert "no record was placed in an area" in err
    rec = pd.read_csv(tmp_path / "reconciliation.csv").iloc[0]
    assert (rec["rows_in"], rec["assigned"], rec["unlocated"], rec["outside"]) == (1187, 0, 361,
                                                                                   826)


@pytest.mark.realdata
def test_table_reads_a_bare_carriage_return_and_prints_the_warnings(tmp_path, capsys):
    """Was: an unhandled csv.Error; and the readers' warnings were never printed."""
    header, rows = city_sample("2019-06", 200)
    loc = header.index("Location")
    rows[5][loc] = rows[5][loc].replace("On or near ", "On or near\r")  # unquoted bare CR
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
    assert "\r" in text and '"' not in text
    path = tmp_path / S_NAME
    path.write_bytes(text.encode())
    code, out, err = _main(["table", "--areas", str(WARDS), "--police-uk", str(path),
                            "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    assert "200 = 189 + 0 + 11 + 0" in out
    assert "Problems found in the files" in out
    assert "carriage return(s) inside cells read as spaces" in out
    assert "blank Crime ID (anti-social behaviour" in out
    problems = pd.read_csv(tmp_path / "o" / "problems.csv")
    assert (problems["file"] == S_NAME).sum() >= 2


@pytest.mark.realdata
def test_repeated_police_uk_flag_reads_every_file(tmp_path, capsys):
    """Was: --police-uk given twice kept only the last one."""
    jun = CITY / "2019-06" / S_NAME
    jul = CITY / "2019-07" / "2019-07-city-of-london-street.csv"
    code, out, _ = _main(["check", "--areas", str(WARDS), "--police-uk", str(jun),
                          "--police-uk", str(jul), "--police-uk", str(jun)], capsys)
    assert code == 0
    assert "(2019-06-city-of-london-street.csv): 922 =" in out
    assert "(2019-07-city-of-london-street.csv): 866 =" in out
    assert out.count(": 922 =") == 1 and "has the same contents as" in out


def test_imd_table_with_an_area_twice_is_refused(tmp_path, capsys):
    imd = tmp_path / "imd.csv"
    imd.write_text("area_code,imd_score\nE05009288,10.5\nE05009289,20.0\nE05009288,11.0\n")
    code, _, err = _main(["check", "--areas", str(WARDS), "--imd", str(imd)], capsys)
    assert code == 2
    assert "area E05009288 appears 2 times with different values (rows 2, 4)" in err
    imd.write_text("area_code,imd_score\nE05009288,10.5\nE05009288,10.5\n")  # a plain copy
    code, _, err = _main(["check", "--areas", str(WARDS), "--imd", str(imd)], capsys)
    assert code == 0, err


@pytest.mark.realdata
def test_real_imd_file_with_a_duplicated_lsoa_is_refused(tmp_path):
    """MHCLG's IoD 2019 File 1 with one LSOA listed again: conflicting ranks refuse the file,
    an identical copy is dropped and said so."""
    rows = list(csv.reader(io.StringIO(gzip.decompress(IMD.read_bytes()).decode("utf-8-sig"))))
    header, body = rows[0], rows[1:200]
    first = body[0]
    rank = int(first[4].replace(",", ""))
    conflicting = first[:4] + [f"{rank + 1:,}"] + first[5:]

    def write(path: Path, extra: list[str]) -> Path:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *body, extra])
        path.write_text(buf.getvalue())
        return path

    with pytest.raises(InputDataError, match=rf"LSOA {first[0]} appears 2 times with different"):
        read_imd(write(tmp_path / "imd_conflict.csv", conflicting))
    copy = write(tmp_path / "imd_copy.csv", first)
    imd, report = read_imd(copy)
    assert len(imd) == 199 and imd["lsoa_code"].is_unique
    assert any("repeated with the same values" in p.what for p in report)


# --------------------------------------------------------------------------- safe unzip


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_safe_zip_refuses_ratio_size_and_count_before_reading():
    bomb = _zip({"a.csv": b"\0" * (16 << 20)})  # 16 MiB of zeros, ~1,000 times smaller
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        SafeZip(bomb, "bomb.zip")
    big = _zip({"a.csv": bytes(range(256)) * 4096})  # 1 MiB, packs poorly
    with pytest.raises(UnsafeArchiveError, match="would unpack to 1.0 MiB"):
        SafeZip(big, "big.zip", max_bytes=512 * 1024)
    many = _zip({f"{i}.csv": b"x" for i in range(30)})
    with pytest.raises(UnsafeArchiveError, match="holds 30 files"):
        SafeZip(many, "many.zip", max_members=20)


def test_safe_zip_counts_what_comes_out_not_what_the_header_says():
    """A central directory that under-declares: the streamed count stops it."""
    data = bytes(range(256)) * 64  # 16 KiB
    raw = bytearray(_zip({"a.csv": data}))
    # patch the central directory's 'uncompressed size' of the member to 100 bytes
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (100).to_bytes(4, "little")
    with SafeZip(bytes(raw), "liar.zip") as z, pytest.raises(
            (UnsafeArchiveError, InputDataError)):
        z.read("a.csv")


def test_gunzip_bounded():
    assert gunzip_bounded(gzip.compress(b"a,b\n") + gzip.compress(b"1,2\n"), "x.gz") == \
        b"a,b\n1,2\n"
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        gunzip_bounded(gzip.compress(b"\0" * (16 << 20)), "bomb.gz")
    with pytest.raises(InputDataError, match="cut short"):
        gunzip_bounded(gzip.compress(b"a" * 1000)[:-12], "cut.gz")
