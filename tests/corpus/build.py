"""Build the corpus of awkward real-world files (issue 15) from the real data in ../shared/data.

Nothing here is committed data: :func:`build` writes one case's files into a temporary
folder at test time, from the police.uk street files of the City of London Police and
the Welsh forces, the MPS ward table, ONS ward and LSOA lookups and boundaries, and the
Home Office NRM exploitation types (real category names). Each :class:`Case` says what
it covers, how the command line and the page are given its files, and what must come
out: the exact reconciliation (rows in, assigned, without a location, outside the study
area, rejected), or a refusal, and words the messages must contain on both paths.

Counts are written as literals. Where they follow from a base file they are written as
that arithmetic (``S.plus(...)``); the base files' own counts are checked against an
independent reference (geopandas ``sjoin`` of the raw rows on the demo pack's wards,
lowest code on ties, the force's boroughs only) in ``tests/test_corpus.py``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("HOTSPOTS_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEMO = ROOT / "data" / "demo"
CITY = DATA / "police_uk_city_of_london_2017-12_to_2020-11"
WALES = DATA / "police_uk_wales_2024-01_to_2024-04"
MPS = (DATA / "mps_ward_crime_2024-03_to_2026-03"
       / "MPS Ward Level Crime (most recent 24 months).csv.gz")
LSOA21_WD25 = (DATA / "lookups" / "LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_"
               "Best_Fit_Lookup_in_EW_v2.csv.gz")
WARDS18 = DATA / "london_wards_2018" / "london_wards_2018.gpkg"
UK_WARDS = DATA / "wards_2025_uk_bgc" / "wd25_uk_bgc.gpkg"
NRM = DATA / "referrals_nrm" / "nrm_referrals_local-authority_2023_q4.csv"
IMD = DATA / "imd2019_lsoa_england" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"


# --------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class Counts:
    """A reconciliation: rows in = assigned + without a location + outside + rejected."""

    assigned: int
    unlocated: int
    outside: int
    rejected: int

    @property
    def rows_in(self) -> int:
        return self.assigned + self.unlocated + self.outside + self.rejected

    def plus(self, other: Counts) -> Counts:
        return Counts(self.assigned + other.assigned, self.unlocated + other.unlocated,
                      self.outside + other.outside, self.rejected + other.rejected)

    def move(self, n: int, src: str, dst: str) -> Counts:
        """Move ``n`` rows from one bucket to another."""
        values = {k: getattr(self, k) for k in ("assigned", "unlocated", "outside", "rejected")}
        values[src] -= n
        values[dst] += n
        return Counts(**values)

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.rows_in, self.assigned, self.unlocated, self.outside, self.rejected)


#: The base files' reconciliations on the demo pack's wards (checked against geopandas
#: in tests/test_corpus.py). S = the first 200 rows of the City's 2019-06 street file,
#: T = the first 150 rows of 2019-07, A = all of 2019-06, W = Dyfed-Powys 2024-01.
S = Counts(189, 0, 11, 0)
T = Counts(138, 0, 12, 0)
A = Counts(778, 67, 77, 0)
W = Counts(0, 361, 826, 0)


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One awkward input and what must come of it.

    Attributes
    ----------
    id
        Short name (also the case's folder).
    covers
        The class of problem, in words.
    police, mps
        Inputs given to ``--police-uk`` / ``--mps`` (files or folders in the case folder).
    page_police, page_mps
        What the page uploads instead (a folder is uploaded as a zip of it); ``None``:
        the same files. ``(upload name, file)`` pairs.
    referrals, mapping
        A referral sheet and its column mapping (standard name -> header).
    areas
        A boundary file: ``--areas`` on the command line, the boundary upload on the page
        (``None``: the demo pack's wards).
    crime_ids
        ``"once"`` adds ``--crime-id-once`` / ticks "count each Crime ID once".
    counts
        The exact reconciliation of the case's files (summed over its files), or
        ``None`` when the input is refused.
    words
        Text both paths must show (CLI output; page failures, notes, problems, reasons).
    """

    id: str
    covers: str
    counts: Counts | None
    words: tuple[str, ...] = ()
    police: tuple[str, ...] = ()
    page_police: tuple[tuple[str, str], ...] | None = None
    mps: tuple[str, ...] = ()
    page_mps: tuple[tuple[str, str], ...] | None = None
    referrals: str | None = None
    mapping: dict[str, str] | None = None
    layout: str = "records"
    areas: str | None = None
    crime_ids: str = "as_published"
    extra: dict[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- real rows


def _read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def _csv(header: list[str], rows: list[list[str]], *, sep: str = ",") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def city(month: str) -> tuple[list[str], list[list[str]]]:
    """The City of London Police street file of one month."""
    return _rows(_read(CITY / month / f"{month}-city-of-london-street.csv"))


def city_sample(month: str = "2019-06", n: int = 200) -> tuple[list[str], list[list[str]]]:
    header, rows = city(month)
    return header, [list(r) for r in rows[:n]]


def _col(header: list[str], name: str) -> int:
    return header.index(name)


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path.name


def _zip(path: Path, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _zip_folder(folder: Path, target: Path) -> None:
    _zip(target, {p.relative_to(folder).as_posix(): p.read_bytes()
                  for p in sorted(folder.rglob("*")) if p.is_file()})


def _bomb(path: Path, member: str, mib: int = 64) -> None:
    """A zip holding ``mib`` MiB of zeros (about 1,000 times smaller packed)."""
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open(member, "w") as m:
            for _ in range(mib):
                m.write(chunk)


# --------------------------------------------------------------------------- police.uk builders

S_NAME = "2019-06-city-of-london-street.csv"
T_NAME = "2019-07-city-of-london-street.csv"


def _s(d: Path, name: str = S_NAME, **kw: object) -> str:
    header, rows = city_sample("2019-06", 200)
    return _write(d / name, _csv(header, rows))


def _t(d: Path, name: str = T_NAME) -> str:
    header, rows = city_sample("2019-07", 150)
    return _write(d / name, _csv(header, rows))


def _edit(d: Path, name: str, edit: Callable[[list[str], list[list[str]]], None], *,
          month: str = "2019-06", n: int = 200, encoding: str = "utf-8") -> None:
    header, rows = city_sample(month, n)
    edit(header, rows)
    text = _csv(header, rows).decode("utf-8")
    _write(d / name, text.encode(encoding))


_CITY: list[object] = []


def _city_polygon() -> object:
    if not _CITY:
        wards = demo_wards()
        _CITY.append(wards.loc[wards["borough_name"] == "City of London"].union_all())
    return _CITY[0]


def _located(header: list[str], rows: list[list[str]]) -> list[int]:
    """Rows (0-based) whose point lies inside a City ward (rows S assigns), first first."""
    import shapely

    lon, lat = _col(header, "Longitude"), _col(header, "Latitude")
    city_shape = _city_polygon()
    return [i for i, r in enumerate(rows) if r[lon] and shapely.contains_xy(
        city_shape, float(r[lon]), float(r[lat]))]


def b_same_crime_two_months(d: Path) -> None:
    _s(d)
    header, s_rows = city_sample("2019-06", 200)
    header, t_rows = city_sample("2019-07", 150)
    cid, month = _col(header, "Crime ID"), _col(header, "Month")
    # police.uk publishes some crimes again the next month: 5 of S's crimes reappear in T
    again = [list(s_rows[i]) for i in _located(header, s_rows)[:5]]
    for r in again:
        assert r[cid]
        r[month] = "2019-07"
    _write(d / T_NAME, _csv(header, t_rows + again))


def b_overlapping_downloads(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    _write(d / "2019-06-a-street.csv", _csv(header, rows[:120]))
    _write(d / "2019-06-b-street.csv", _csv(header, rows[80:]))


def b_folder_copy(d: Path, *, differ: bool) -> None:
    header, rows = city_sample("2019-06", 200)
    _write(d / "police" / "2019-06" / S_NAME, _csv(header, rows))
    copy = [list(r) for r in rows]
    if differ:  # a re-download: some outcomes have moved on
        out = _col(header, "Last outcome category")
        for r in copy[:10]:
            r[out] = "Investigation complete; no suspect identified"
    _write(d / "police" / "2019-06" / "2019-06-city-of-london-street (1).csv",
           _csv(header, copy))
    _zip_folder(d / "police", d / "police.zip")


def b_folder_gz_and_others(d: Path, *, others: bool, gz: bool) -> None:
    header, rows = city_sample("2019-06", 200)
    s = _csv(header, rows)
    folder = d / "police"
    if gz:
        _write(folder / "2019-06" / (S_NAME + ".gz"), gzip.compress(s, mtime=0))
        header_t, rows_t = city_sample("2019-07", 150)
        _write(folder / "2019-07" / T_NAME, _csv(header_t, rows_t))
    else:
        _write(folder / "2019-06" / S_NAME, s)
    if others:
        cols = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                "Location", "LSOA code", "LSOA name", "Outcome type"]
        keep = [header.index(c) for c in cols[:-1]]
        outcomes = [[r[i] for i in keep] + ["Investigation complete; no suspect identified"]
                    for r in rows if r[0]][:50]
        _write(folder / "2019-06" / "2019-06-city-of-london-outcomes.csv", _csv(cols, outcomes))
        sas = ["Type", "Date", "Part of a policing operation", "Policing operation", "Latitude",
               "Longitude", "Gender", "Age range", "Self-defined ethnicity",
               "Officer-defined ethnicity", "Legislation", "Object of search", "Outcome",
               "Outcome linked to object of search", "Removal of more than just outer clothing"]
        lon, lat = header.index("Longitude"), header.index("Latitude")
        searches = [["Person search", "2019-06-03T10:00:00+00:00", "False", "", r[lat], r[lon],
                     "Male", "18-24", "", "", "Misuse of Drugs Act 1971 (section 23)",
                     "Controlled drugs", "A no further action disposal", "", "False"]
                    for r in rows[:20]]
        _write(folder / "2019-06" / "2019-06-city-of-london-stop-and-search.csv",
               _csv(sas, searches))
    _zip_folder(folder, d / "police.zip")


def b_zip_with_junk(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    _zip(d / "archive.zip", {
        f"2019-06/{S_NAME}": _csv(header, rows),
        "2019-06/2019-06-city-of-london-outcomes.csv": b"Crime ID,Month,Outcome type\n",
        "__MACOSX/2019-06/._2019-06-city-of-london-street.csv": b"\0\x05\x16\x07",
        "README.txt": b"Downloaded from data.police.uk\n",
    })


def b_zip_same_month_twice(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    s = _csv(header, rows)
    _zip(d / "archive.zip", {f"2019-06/{S_NAME}": s, f"copy/2019-06/{S_NAME}": s})


def b_bare_cr(d: Path) -> None:
    def edit(header: list[str], rows: list[list[str]]) -> None:
        loc = _col(header, "Location")
        rows[3][loc] = rows[3][loc].replace("near ", "near\r")   # inside a cell the writer quotes
    header, rows = city_sample("2019-06", 200)
    edit(header, rows)
    data = _csv(header, rows)
    # and a bare CR typed into an unquoted cell of another row
    data = data.replace(b"On or near Supermarket", b"On or near\rSupermarket", 1)
    _write(d / S_NAME, data)


def b_cp1252(d: Path) -> None:
    def edit(header: list[str], rows: list[list[str]]) -> None:
        loc = _col(header, "Location")
        for r in rows[:5]:
            r[loc] = r[loc].replace("On or near ", "On or near Caf\u00e9 \u2019s ")
    _edit(d, S_NAME, edit, encoding="cp1252")


def b_extra_column(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    _write(d / S_NAME, _csv([*header, "Notes"], [[*r, "checked"] for r in rows]))


def b_missing_column(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    drop = _col(header, "Crime type")
    _write(d / S_NAME, _csv([h for i, h in enumerate(header) if i != drop],
                            [[c for i, c in enumerate(r) if i != drop] for r in rows]))


def b_swapped(d: Path, *, rows_only: int | None) -> None:
    header, rows = city_sample("2019-06", 200)
    lon, lat = _col(header, "Longitude"), _col(header, "Latitude")
    if rows_only is None:
        header[lon], header[lat] = header[lat], header[lon]
    else:
        for r in [rows[i] for i in _located(header, rows)[:rows_only]]:
            r[lon], r[lat] = r[lat], r[lon]
    _write(d / S_NAME, _csv(header, rows))


def b_outside_uk(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    lon, lat = _col(header, "Longitude"), _col(header, "Latitude")
    picked = _located(header, rows)[:8]
    for k, i in enumerate(picked):
        rows[i][lon], rows[i][lat] = ("2.352222", "48.856613") if k < 5 else ("0", "0")
    _write(d / S_NAME, _csv(header, rows))


def b_coordinate_text(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    lat = _col(header, "Latitude")
    for i in _located(header, rows)[:4]:
        rows[i][lat] = "n/a"
    _write(d / S_NAME, _csv(header, rows))


def b_bad_months(d: Path, *, every: bool = False) -> None:
    header, rows = city_sample("2019-06", 200)
    month = _col(header, "Month")
    picked = range(len(rows)) if every else _located(header, rows)[:5]
    for k, i in enumerate(picked):
        rows[i][month] = "Jun-19" if (every or k < 3) else ""
    _write(d / S_NAME, _csv(header, rows))


def b_wrong_folder(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    _write(d / "police" / "2019-07" / S_NAME, _csv(header, rows))
    _zip_folder(d / "police", d / "police.zip")


def b_blank_lines(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    lines = _csv(header, rows).split(b"\n")
    lines[50:50] = [b""]
    lines[120:120] = [b"", b",,,,,,,,,,,"]
    _write(d / S_NAME, b"\n".join(lines))


def b_broken_quote(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    loc = _col(header, "Location")
    data = _csv(header, rows).decode()
    lines = data.split("\n")
    # row 7 opens a quote that only row 8 closes: the two lines read as one broken row
    r7 = next(csv.reader([lines[6]]))
    r8 = next(csv.reader([lines[7]]))
    lines[6] = ",".join(c if i != loc else '"' + c for i, c in enumerate(r7))
    lines[7] = ",".join(c if i != loc else c + '"' for i, c in enumerate(r8))
    _write(d / S_NAME, "\n".join(lines).encode())


def b_spaces(d: Path) -> None:
    def edit(header: list[str], rows: list[list[str]]) -> None:
        kind, month = _col(header, "Crime type"), _col(header, "Month")
        for r in rows[:10]:
            r[kind] = f" {r[kind]} "
        rows[11][month] = " 2019-06"
    _edit(d, S_NAME, edit)


def b_no_coordinates(d: Path) -> None:
    def edit(header: list[str], rows: list[list[str]]) -> None:
        for r in rows:
            r[_col(header, "Longitude")] = r[_col(header, "Latitude")] = ""
    _edit(d, S_NAME, edit)


def b_semicolons(d: Path) -> None:
    header, rows = city_sample("2019-06", 200)
    _write(d / S_NAME, _csv(header, rows, sep=";"))


def b_wales(d: Path) -> None:
    _write(d / "2024-01-dyfed-powys-street.csv",
           (WALES / "2024-01" / "2024-01-dyfed-powys-street.csv").read_bytes())


def b_wales_two_months(d: Path) -> None:
    for m in ("2024-03", "2024-04"):
        _write(d / "police" / m / f"{m}-dyfed-powys-street.csv",
               (WALES / m / f"{m}-dyfed-powys-street.csv").read_bytes())
    _zip_folder(d / "police", d / "police.zip")


def b_city_and_wales(d: Path) -> None:
    _s(d)
    b_wales(d)


POLICE_BUILDERS: dict[str, Callable[[Path], object]] = {
    "p01_month_as_published": lambda d: _write(d / S_NAME.replace("street", "street"),
                                               _csv(*city("2019-06"))),
    "p02_month_once": lambda d: _write(d / S_NAME, _csv(*city("2019-06"))),
    "p03_two_months": lambda d: (_s(d), _t(d)),
    "p04_same_crime_next_month": b_same_crime_two_months,
    "p05_overlapping_downloads": b_overlapping_downloads,
    "p06_same_file_two_names": lambda d: (_s(d, "a.csv"), _s(d, "b.csv")),
    "p07_same_file_same_name": lambda d: _s(d),
    "p08_folder_identical_copy": lambda d: b_folder_copy(d, differ=False),
    "p09_folder_changed_copy": lambda d: b_folder_copy(d, differ=True),
    "p10_folder_gz": lambda d: b_folder_gz_and_others(d, others=False, gz=True),
    "p11_folder_outcomes_and_searches": lambda d: b_folder_gz_and_others(d, others=True,
                                                                          gz=False),
    "p12_zip_archive": lambda d: _zip(d / "archive.zip", {
        f"2019-06/{S_NAME}": _csv(*city_sample("2019-06", 200)),
        f"2019-07/{T_NAME}": _csv(*city_sample("2019-07", 150))}),
    "p13_zip_with_junk": b_zip_with_junk,
    "p14_zip_bomb": lambda d: _bomb(d / "archive.zip", f"2019-06/{S_NAME}"),
    "p15_gz_bomb": lambda d: _write(d / (S_NAME + ".gz"),
                                    gzip.compress(b"\0" * (64 << 20), compresslevel=9)),
    "p16_bare_carriage_return": b_bare_cr,
    "p17_windows_1252": b_cp1252,
    "p18_extra_column": b_extra_column,
    "p19_missing_column": b_missing_column,
    "p20_swapped_columns": lambda d: b_swapped(d, rows_only=None),
    "p21_swapped_rows": lambda d: b_swapped(d, rows_only=10),
    "p22_outside_the_uk": b_outside_uk,
    "p23_coordinate_text": b_coordinate_text,
    "p24_bad_months": b_bad_months,
    "p25_wrong_month_folder": b_wrong_folder,
    "p26_blank_lines": b_blank_lines,
    "p27_header_only": lambda d: _write(d / S_NAME, _csv(city("2019-06")[0], [])),
    "p28_zero_bytes": lambda d: _write(d / S_NAME, b""),
    "p29_broken_quote": b_broken_quote,
    "p30_stray_spaces": b_spaces,
    "p31_other_force_area": b_wales,
    "p32_no_coordinates": b_no_coordinates,
    "p33_excel_months": lambda d: b_bad_months(d, every=True),
    "p34_single_gz": lambda d: _write(d / (S_NAME + ".gz"),
                                      gzip.compress(_csv(*city_sample("2019-06", 200)),
                                                    mtime=0)),
    "p35_zip_same_month_twice": b_zip_same_month_twice,
    "p36_two_forces": b_city_and_wales,
    "p37_republished_next_month": b_wales_two_months,
    "p38_semicolons": b_semicolons,
    "p39_zip_not_a_zip": lambda d: _write(d / "archive.zip", b"PK\x03\x04 not really a zip"),
}


# --------------------------------------------------------------------------- MPS builders

MPS_NAME = "MPS Ward Level Crime (most recent 24 months).csv"


def mps_rows(n: int) -> tuple[list[str], list[list[str]]]:
    header, rows = _rows(_read(MPS))
    return header, [list(r) for r in rows[:n]]


def b_mps(d: Path, n: int = 300, edit: Callable[[list[str], list[list[str]]], None] | None
          = None, name: str = MPS_NAME) -> None:
    header, rows = mps_rows(n)
    if edit:
        edit(header, rows)
    _write(d / name, _csv(header, rows))


def _mps_bad_counts(header: list[str], rows: list[list[str]]) -> None:
    rows[4][header.index("202404")] = "x"
    rows[9][header.index("202501")] = "-3"


def _mps_old_wards(header: list[str], rows: list[list[str]]) -> None:
    code = header.index("WardCode")
    for r, old in zip(rows[10:13], ("E05000026", "E05000027", "E05000028"), strict=True):
        r[code] = old  # 2014 ward codes: another boundary vintage


def _mps_twice(header: list[str], rows: list[list[str]]) -> None:
    rows.append(list(rows[20]))


def _mps_blank_ward(header: list[str], rows: list[list[str]]) -> None:
    rows[30][header.index("WardCode")] = ""


def b_mps_overlap(d: Path) -> None:
    header, rows = mps_rows(300)
    months = [h for h in header if h.isdigit()]
    first = [c for c in header if not c.isdigit()] + months[:12]
    later = [c for c in header if not c.isdigit()] + months[6:]
    for cols, name in ((first, "mps-2024.csv"), (later, "mps-2025.csv")):
        idx = [header.index(c) for c in cols]
        _write(d / name, _csv(cols, [[r[i] for i in idx] for r in rows]))


MPS_BUILDERS: dict[str, Callable[[Path], object]] = {
    "m01_mps_rows": lambda d: b_mps(d),
    "m02_mps_few_wards": lambda d: b_mps(d, 40),
    "m03_mps_bad_counts": lambda d: b_mps(d, edit=_mps_bad_counts),
    "m04_mps_old_ward_codes": lambda d: b_mps(d, edit=_mps_old_wards),
    "m05_mps_repeated_row": lambda d: b_mps(d, edit=_mps_twice),
    "m06_mps_gz": lambda d: _write(d / (MPS_NAME + ".gz"),
                                   gzip.compress(_csv(*mps_rows(300)), mtime=0)),
    "m07_mps_overlapping_months": b_mps_overlap,
    "m08_mps_same_file_twice": lambda d: (b_mps(d), b_mps(d, name="copy.csv")),
    "m09_mps_blank_ward_code": lambda d: b_mps(d, edit=_mps_blank_ward),
}


# --------------------------------------------------------------------------- referral builders

REF_HEADER = ["Ref", "Date referred", "Referral type", "Ward code"]
REF_MAPPING = {"referral_id": "Ref", "date": "Date referred", "category": "Referral type",
               "ward_code": "Ward code"}


def nrm_types() -> list[str]:
    """The Home Office NRM exploitation types (real category names)."""
    kinds = pd.read_csv(NRM, dtype=str)["Exploitation type"].dropna().unique()
    return sorted(k for k in kinds if k not in ("Total",))


def demo_wards() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "wards.geojson")


def referral_rows(n: int = 60) -> list[list[object]]:
    """``n`` referrals: real ward codes (every 11th London ward), real NRM types, 2025 dates."""
    codes = sorted(demo_wards()["area_code"])[::11]
    kinds = nrm_types()
    return [[f"R{i:04d}", f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}", kinds[i % len(kinds)],
             codes[i % len(codes)]] for i in range(n)]


def _xlsx(path: Path, rows: list[list[object]], *, formulas: dict[tuple[int, int], str] | None
          = None, merge: list[str] | None = None) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Referrals"
    for r in rows:
        ws.append(r)
    for (row, col), f in (formulas or {}).items():
        ws.cell(row=row, column=col, value=f)  # written by a program: no saved result
    for rng in merge or []:
        ws.merge_cells(rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _ref_csv(path: Path, rows: list[list[object]], header: list[str] = REF_HEADER, *,
             encoding: str = "utf-8", sep: str = ",") -> None:
    _write(path, _csv(header, [[str(c) for c in r] for r in rows], sep=sep)
           .decode().encode(encoding))


def b_ref_footer(d: Path, *, xlsx: bool) -> None:
    rows = [REF_HEADER, *referral_rows()]
    rows += [[], ["Source: children's services case system, extract of 3 March 2026"],
             ["Figures are provisional and may change."]]
    if xlsx:
        _xlsx(d / "referrals.xlsx", rows)
    else:
        _write(d / "referrals.csv", _csv(rows[0], [[str(c) for c in r] for r in rows[1:]]))


def b_ref_formulas(d: Path) -> None:
    rows = [REF_HEADER, *referral_rows()]
    _xlsx(d / "referrals.xlsx", rows, formulas={
        (5, 3): '=VLOOKUP(A5,Types!A:B,2,FALSE)', (9, 3): "=Types!B2", (12, 3): '=IF(1,"x","y")'})


def b_ref_errors(d: Path) -> None:
    rows = [REF_HEADER, *referral_rows()]
    rows[3][2] = "#N/A"
    rows[7][2] = "#REF!"
    _xlsx(d / "referrals.xlsx", rows)


def b_ref_title_block(d: Path) -> None:
    rows = [["Exploitation referrals", "Community Safety Partnership"],
            ["Prepared by", "Children's services"], ["Period", "Jan to Dec 2025"], [],
            REF_HEADER, *referral_rows()]
    _xlsx(d / "referrals.xlsx", rows)


def b_ref_merged(d: Path) -> None:
    body = referral_rows()
    rows = [REF_HEADER, ["First half of 2025"], *body[:30], ["Second half of 2025"], *body[30:]]
    _xlsx(d / "referrals.xlsx", rows, merge=["A2:D2", "A33:D33"])


def b_ref_edit(d: Path, edit: Callable[[list[list[object]]], None], *, name: str = "referrals.csv",
               header: list[str] = REF_HEADER, encoding: str = "utf-8", sep: str = ",",
               rows: list[list[object]] | None = None) -> None:
    rows = rows if rows is not None else referral_rows()
    edit(rows)
    _ref_csv(d / name, rows, header, encoding=encoding, sep=sep)


def lsoa21_london(n: int) -> list[str]:
    lookup = pd.read_csv(LSOA21_WD25, dtype=str, encoding="utf-8-sig")
    return sorted(lookup.loc[lookup["LAD25CD"].str.startswith("E09"), "LSOA21CD"])[::97][:n]


def lsoa_only_london(vintage: str, n: int) -> list[str]:
    """London LSOA codes of one census only ("2011": replaced in 2021; "2021": new)."""
    from boundaries.lsoapoints import lsoa_points

    pts = lsoa_points()
    london = pts[(pts["vintage"] == vintage) & pts["lsoa_code"].str.startswith("E01")
                 & pts["easting"].between(505000, 560000)
                 & pts["northing"].between(157000, 199000)]
    return sorted(london["lsoa_code"])[:n]


def b_ref_lsoa(d: Path, codes: list[str]) -> None:
    kinds = nrm_types()
    rows = [[f"R{i:04d}", f"2025-{1 + i % 12:02d}-10", kinds[i % len(kinds)], c]
            for i, c in enumerate(codes)]
    _ref_csv(d / "referrals.csv", rows, ["Ref", "Date referred", "Referral type", "LSOA"])


def city_points(n: int) -> list[tuple[float, float]]:
    header, rows = city_sample("2019-06", 200)
    lon, lat = _col(header, "Longitude"), _col(header, "Latitude")
    return [(float(rows[i][lon]), float(rows[i][lat])) for i in _located(header, rows)[:n]]


def b_ref_xy(d: Path, *, kind: str) -> None:
    kinds = nrm_types()
    pts = city_points(30)
    if kind == "bng":
        xy = gpd.GeoSeries(gpd.points_from_xy(*zip(*pts, strict=True)), crs=4326).to_crs(27700)
        cells = [(f"{p.x:,.2f}", f"{p.y:,.2f}") for p in xy]  # "531,975.80"
        header = ["Ref", "Date referred", "Referral type", "Easting", "Northing"]
    else:
        cells = [(f"{lon}", f"{lat}") for lon, lat in pts]
        if kind == "swapped":
            cells = [(b, a) for a, b in cells]
        if kind == "abroad":
            cells[:3] = [("2.352222", "48.856613")] * 3
        header = ["Ref", "Date referred", "Referral type", "Longitude", "Latitude"]
    rows = [[f"R{i:04d}", f"2025-{1 + i % 12:02d}-10", kinds[i % len(kinds)], *c]
            for i, c in enumerate(cells)]
    _ref_csv(d / "referrals.csv", rows, header)


def b_ref_aggregate(d: Path) -> None:
    wards = demo_wards().sort_values("area_code")
    names = wards.groupby("area_name")["borough_name"].nunique()
    shared = sorted(names[names > 1].index)[0]  # a ward name used in two boroughs
    picked = wards[~wards["area_name"].isin(names[names > 1].index)].iloc[::30][:19]
    rows = [[w.area_name, w.borough_name, "2025-03", str(3 + i)]
            for i, w in enumerate(picked.itertuples())]
    rows.append([shared, "", "2025-03", "4"])
    _write(d / "referrals.csv", _csv(["Ward", "Borough", "Month", "Referrals"], rows))


def b_ref_wales(d: Path) -> None:
    import pyogrio

    welsh = pyogrio.read_dataframe(UK_WARDS, columns=["WD25CD"], read_geometry=False)
    codes = sorted(c for c in welsh["WD25CD"] if c.startswith("W05"))[:3]

    def edit(rows: list[list[object]]) -> None:
        for r, c in zip(rows[:3], codes, strict=True):
            r[3] = c
    b_ref_edit(d, edit)


def b_boundary_2018(d: Path, *, zipped: bool) -> None:
    wards = gpd.read_file(WARDS18, layer="London_Ward").to_crs(27700)
    if zipped:
        sub = wards[wards["DISTRICT"].isin([
            "City and County of the City of London", "Islington", "Hackney", "Tower Hamlets",
            "Camden", "City of Westminster", "Southwark", "Lambeth"])]
        shp = d / "shp"
        shp.mkdir(parents=True, exist_ok=True)
        sub.to_file(shp / "wards2018.shp")
        _zip_folder(shp, d / "wards2018.zip")
    else:
        wards.to_file(d / "wards2018.gpkg", driver="GPKG", layer="wards2018")


def b_boundary_overlap(d: Path) -> None:
    wards = demo_wards().to_crs(27700)
    sub = wards[wards["borough_name"].isin(["City of London", "Islington", "Hackney",
                                            "Tower Hamlets", "Camden", "Westminster",
                                            "Southwark", "Lambeth"])].copy()
    grow = sub["area_code"] == "E05009300"  # a City ward grown 150 m into its neighbours
    sub.loc[grow, "geometry"] = sub.loc[grow, "geometry"].buffer(150.0)
    sub.to_file(d / "overlap.gpkg", driver="GPKG", layer="wards")
    _s(d)


def b_boundary_no_crs(d: Path) -> None:
    wards = demo_wards().to_crs(27700)
    sub = wards[wards["borough_name"] == "City of London"]
    shp = d / "shp"
    shp.mkdir(parents=True, exist_ok=True)
    sub.to_file(shp / "city.shp")
    (shp / "city.prj").unlink()
    _zip_folder(shp, d / "city_no_crs.zip")
    _s(d)


REFERRAL_BUILDERS: dict[str, Callable[[Path], object]] = {
    "r01_csv": lambda d: b_ref_edit(d, lambda rows: None),
    "r02_xlsx": lambda d: _xlsx(d / "referrals.xlsx", [REF_HEADER, *referral_rows()]),
    "r03_footer_notes_xlsx": lambda d: b_ref_footer(d, xlsx=True),
    "r04_footer_notes_csv": lambda d: b_ref_footer(d, xlsx=False),
    "r05_formula_without_value": b_ref_formulas,
    "r06_excel_errors": b_ref_errors,
    "r07_title_block": b_ref_title_block,
    "r08_windows_1252": lambda d: b_ref_edit(
        d, lambda rows: [r.__setitem__(2, f"{r[2]} \u2013 county lines") for r in rows[:6]],
        encoding="cp1252"),
    "r09_stray_spaces": lambda d: b_ref_edit(
        d, lambda rows: [r.__setitem__(2, f"  {r[2]} ") for r in rows[:7]]),
    "r10_lsoa_2021": lambda d: b_ref_lsoa(d, lsoa21_london(40)),
    "r11_lsoa_2011_and_2021": lambda d: b_ref_lsoa(d, lsoa21_london(24) + lsoa_only_london(
        "2011", 6) + lsoa_only_london("2021", 6)),
    "r12_lsoa_unknown": lambda d: b_ref_lsoa(d, lsoa21_london(20) + ["E01999999", "S01006506",
                                                                     "Bow"]),
    "r13_lsoa_on_uploaded_boundaries": lambda d: (b_ref_lsoa(d, lsoa21_london(40)),
                                                  b_boundary_2018(d, zipped=False)),
    "r14_grid_refs_thousands": lambda d: b_ref_xy(d, kind="bng"),
    "r15_lon_lat_swapped": lambda d: b_ref_xy(d, kind="swapped"),
    "r16_points_abroad": lambda d: b_ref_xy(d, kind="abroad"),
    "r17_bad_dates": lambda d: b_ref_edit(
        d, lambda rows: (rows[2].__setitem__(1, "31/02/2025"),
                         rows[5].__setitem__(1, "yesterday"))),
    "r18_totals_row": lambda d: b_ref_edit(
        d, lambda rows: rows.append(["Total", "", "", "60"])),
    "r19_aggregate_ambiguous_name": b_ref_aggregate,
    "r20_unmapped_columns": lambda d: b_ref_edit(
        d, lambda rows: [r.extend(["A. Worker", "seen twice"]) for r in rows],
        header=[*REF_HEADER, "Worker", "Notes"]),
    "r21_blank_location": lambda d: b_ref_edit(
        d, lambda rows: [r.__setitem__(3, "") for r in rows[10:13]]),
    "r22_welsh_wards": b_ref_wales,
    "r23_old_xls": lambda d: _write(d / "referrals.xls",
                                    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),
    "r24_broken_csv": lambda d: _write(d / "referrals.csv", _csv(REF_HEADER, [
        [str(c) for c in r] for r in referral_rows(10)]) + b'R9999,2025-01-01,"Sexual,E05\n'),
    "r25_merged_headings": b_ref_merged,
    "r26_semicolons": lambda d: b_ref_edit(d, lambda rows: None, sep=";"),
    "r27_formula_text_csv": lambda d: b_ref_edit(
        d, lambda rows: rows[4].__setitem__(2, "=VLOOKUP(A5,Types!A:B,2,0)")),
    "r28_xlsx_bomb": lambda d: _bomb(d / "referrals.xlsx", "xl/worksheets/sheet1.xml"),
}

BOUNDARY_BUILDERS: dict[str, Callable[[Path], object]] = {
    "b01_overlapping_wards": b_boundary_overlap,
    "b02_boundary_zip_bomb": lambda d: (_bomb(d / "wards.zip", "wards.shp"), _s(d)),
    "b03_zipped_shapefile_2018": lambda d: (b_boundary_2018(d, zipped=True), _s(d)),
    "b04_shapefile_without_crs": b_boundary_no_crs,
}

BUILDERS: dict[str, Callable[[Path], object]] = {
    **POLICE_BUILDERS, **MPS_BUILDERS, **REFERRAL_BUILDERS, **BOUNDARY_BUILDERS}


def build(case: Case, root: Path) -> Path:
    """Write one case's files into ``root/<case id>`` and return that folder."""
    folder = root / case.id
    folder.mkdir(parents=True, exist_ok=True)
    BUILDERS[case.id](folder)
    if case.mapping is not None:
        (folder / "mapping.json").write_text(json.dumps(
            {"layout": case.layout, "columns": case.mapping}), encoding="utf-8")
    return folder


def with_counts(case: Case, counts: Counts | None) -> Case:
    return replace(case, counts=counts)
