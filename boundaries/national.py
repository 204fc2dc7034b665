"""The national files a pack for any area is built from, and their readers.

A pack for a local authority, a community safety partnership, a police force
area, a region or all of England and Wales is cut from a handful of national
files published by ONS, MHCLG, the Welsh Government and mySociety.
:data:`NATIONAL_FILES` names each one by its official title and publisher,
says what the pack uses it for and where the project expects it by default
(``../shared/data`` beside the project, or ``$HOTSPOTS_SHARED_DATA``). A user
points at their own downloads of the same files with a small TOML file
(:func:`load_sources`; ``sources.example.toml`` at the project root lists every
key)::

    [sources]
    iod2025 = "downloads/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"

Relative paths in a TOML file are read from the TOML file's folder. A missing
or wrong file is refused with an :class:`~hotspots._errors.InputDataError` that
names the file's official title and where to download it.

The readers here return plain frames with standard column names; the area
names and codes are resolved in :mod:`boundaries.places`, deprivation in
:mod:`boundaries.indices`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from boundaries.load import ANALYSIS_CRS, AREA_COLUMNS, repair_polygons
from boundaries.lookups import read_lsoa_ward_lookup, read_text_table
from hotspots._errors import InputDataError
from hotspots._validate import Report

__all__ = [
    "NATIONAL_FILES", "NationalFile", "Sources", "default_data_root", "load_sources",
    "read_lad_csp_pfa", "read_lsoa11_lad19", "read_lsoa_polygons", "read_population21",
    "read_ward_lookup21",
    "read_wards", "ward_regions", "welsh_lad_names",
]

ROOT = Path(__file__).resolve().parents[1]
OGL = "Open Government Licence v3.0"
ONS_ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government "
                   "Licence v.3.0")
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"


@dataclass(frozen=True)
class NationalFile:
    """One official national file a pack is built from.

    Attributes
    ----------
    key
        Key in the sources TOML (``[sources] key = "path"``).
    title
        The official title, as the publisher names the product.
    publisher
        Who publishes it.
    where
        Where to download it (a web address and what to search for).
    licence
        Its licence.
    attribution
        The attribution statement the licence asks for.
    default
        Path under the shared data folder (``../shared/data``); ``""`` for an optional
        file with no default.
    used_for
        What the pack takes from it, in plain words.
    """

    key: str
    title: str
    publisher: str
    where: str
    licence: str
    attribution: str
    default: str
    used_for: str

    def describe(self) -> str:
        """Return ``"'title' (publisher; where)"`` for messages."""
        return f"'{self.title}' ({self.publisher}; {self.where})"


_GEOPORTAL = "https://geoportal.statistics.gov.uk/ (search the title)"
NATIONAL_FILES: dict[str, NationalFile] = {f.key: f for f in (
    NationalFile(
        "wards", "Wards (May 2025) Boundaries UK BGC", "Office for National Statistics",
        _GEOPORTAL, OGL, f"{ONS_ATTRIBUTION}. {OS_ATTRIBUTION} 2025.",
        "wards_2025_uk_bgc/wd25_uk_bgc.gpkg",
        "the ward polygons (WD25CD, WD25NM, LAD25CD, LAD25NM, RGNCD)"),
    NationalFile(
        "ward_lookup",
        "LSOA (2021) to Electoral Ward (2025) to LAD (2025) Best Fit Lookup in EW",
        "Office for National Statistics", _GEOPORTAL, OGL, f"{ONS_ATTRIBUTION}.",
        "lookups/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2"
        ".csv.gz",
        "which 2025 ward and local authority each 2021 LSOA belongs to (best fit)"),
    NationalFile(
        "lad_csp_pfa",
        "Local Authority District to Community Safety Partnerships to Police Force Areas "
        "(December 2019) Lookup in England and Wales",
        "Office for National Statistics", _GEOPORTAL, OGL, f"{ONS_ATTRIBUTION}.",
        "lookups/LAD19_CSP19_PFA19_EW_LU.csv",
        "which community safety partnership and police force area each authority is in"),
    NationalFile(
        "lsoa11_lad19",
        "Lower Layer Super Output Area (2011) to Ward (2019) Lookup in England and Wales",
        "Office for National Statistics", _GEOPORTAL, OGL, f"{ONS_ATTRIBUTION}.",
        "lookups/LSOA11_WD19_LAD19_EW_LU.csv.gz",
        "the December 2019 authority of each 2011 LSOA, to carry the 2019 partnerships and "
        "force areas onto the 2025 authorities"),
    NationalFile(
        "population",
        "Census 2021: TS007A Age by five-year age bands, Lower layer Super Output Areas",
        "Office for National Statistics (Nomis bulk download)",
        "https://www.nomisweb.co.uk/sources/census_2021_bulk (TS007A)", OGL,
        f"{ONS_ATTRIBUTION}.", "population/census2021-ts007a-lsoa.csv.gz",
        "usual residents per 2021 LSOA (Age: Total): ward population and deprivation weights"),
    NationalFile(
        "iod2025",
        "English indices of deprivation 2025: File 7: all ranks, scores, deciles and "
        "population denominators",
        "Ministry of Housing, Communities and Local Government",
        "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025", OGL,
        "Contains MHCLG data licensed under the Open Government Licence v3.0 (English indices "
        "of deprivation 2025).",
        "imd2025_lsoa_england/IoD2025_LSOA21_scores_ranks_deciles.csv.gz",
        "IMD and domain scores, ranks and deciles per 2021 LSOA in England"),
    NationalFile(
        "iod2019",
        "English indices of deprivation 2019: File 1: index of multiple deprivation",
        "Ministry of Housing, Communities and Local Government",
        "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019 (File 1, "
        "saved as CSV)", OGL,
        "Contains MHCLG data licensed under the Open Government Licence v3.0 (English indices "
        "of deprivation 2019).",
        "imd2019_lsoa_england/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
        "optional: IMD 2019 ranks per 2011 LSOA, for each English ward's change in rank and "
        "decile from IoD 2019 to IoD 2025 (left out when the file is absent)"),
    NationalFile(
        "wimd2019",
        "Welsh Index of Multiple Deprivation (WIMD) 2019: index and domain scores and ranks "
        "by small area",
        "Welsh Government",
        "https://www.gov.wales/welsh-index-multiple-deprivation-full-index-update-ranks-2019 "
        "(the ranks and the scores spreadsheets; save the data sheet as CSV)", OGL,
        "Contains Welsh Government data licensed under the Open Government Licence v3.0 "
        "(WIMD 2019).",
        "wimd2019_lsoa_wales/wimd2019_lsoa11_scores_ranks_humaniverse.csv",
        "WIMD and domain scores and ranks per 2011 LSOA in Wales"),
    NationalFile(
        "wimd2019_ranks",
        "Welsh Index of Multiple Deprivation (WIMD) 2019: index and domain ranks by small area",
        "Welsh Government",
        "https://www.gov.wales/welsh-index-multiple-deprivation-full-index-update-ranks-2019 "
        "(save the WIMD_2019_ranks sheet as CSV)", OGL,
        "Contains Welsh Government data licensed under the Open Government Licence v3.0 "
        "(WIMD 2019).", "",
        "optional: the Welsh Government's published ranks, when 'wimd2019' is the scores "
        "sheet only (without it, ranks are derived from the scores)"),
    NationalFile(
        "lsoa11_boundaries",
        "Lower Layer Super Output Areas (December 2011) Boundaries EW BGC",
        "Office for National Statistics", _GEOPORTAL, OGL,
        f"{ONS_ATTRIBUTION}. {OS_ATTRIBUTION} 2011.",
        "lsoa_2011_england_wales_bgc/lsoa11_ew_bgc.gpkg",
        "2011 LSOA polygons: the best fit of 2021 LSOAs whose code changed to a 2011 LSOA "
        "(WIMD 2019 and the composite index are on 2011 LSOAs)"),
    NationalFile(
        "lsoa21_boundaries",
        "Lower layer Super Output Areas (December 2021) Boundaries EW BGC",
        "Office for National Statistics", _GEOPORTAL, OGL,
        f"{ONS_ATTRIBUTION}. {OS_ATTRIBUTION} 2021.",
        "lsoa_2021_england_wales_bgc/lsoa21_ew_bgc.gpkg",
        "2021 LSOA polygons of the LSOAs whose code changed since 2011 (same use)"),
    NationalFile(
        "composite",
        "Composite UK Index of Multiple Deprivation (England-based, UK_IMD_E), v3.4.0",
        "mySociety", "https://github.com/mysociety/composite_uk_imd (data/packages/uk_index)",
        "Creative Commons Attribution 4.0 (CC BY 4.0); the national indices it is built "
        "from are Open Government Licence v3.0",
        "Composite UK IMD by mySociety (CC BY 4.0), built from the English IoD 2019, WIMD "
        "2019, SIMD 2020 and NIMDM 2017 (Open Government Licence v3.0).",
        "uk_composite_imd_mysociety/UK_IMD_E.csv.gz",
        "one deprivation score on England's scale for every LSOA, for areas spanning England "
        "and Wales (only with --deprivation composite)"),
)}
"""Every national file, keyed by its sources-TOML key."""


def default_data_root() -> Path:
    """Return the folder the default paths are under.

    ``$HOTSPOTS_SHARED_DATA`` when set, else ``../shared/data`` from the project root.
    """
    env = os.environ.get("HOTSPOTS_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Sources:
    """Where each national file is, and where that choice came from.

    Attributes
    ----------
    paths
        ``{key: path}`` for every key of :data:`NATIONAL_FILES` (optional files
        without a default only when the TOML file names them).
    origin
        ``{key: "default" | "<toml file>"}``.
    """

    paths: Mapping[str, Path]
    origin: Mapping[str, str]

    def path(self, key: str) -> Path:
        """Return the path of one file, refusing with the official title when it is missing.

        Raises
        ------
        InputDataError
            The file does not exist (the message names the file's official title,
            publisher and where to download it, and the TOML key to set).
        """
        spec = NATIONAL_FILES[key]
        p = self.paths.get(key)
        if p is None:
            raise InputDataError(f"National file '{key}' is not set: it is {spec.describe()}. "
                                 f"Name it in a sources TOML file: [sources] {key} = \"path\".")
        if not p.is_file():
            where = ("the default place" if self.origin[key] == "default"
                     else f"the place {self.origin[key]} names")
            raise InputDataError(
                f"National file '{key}' not found at {p} ({where}). It is {spec.describe()}; "
                f"it gives {spec.used_for}. Download it and name it in a sources TOML file: "
                f"[sources] {key} = \"path/to/file\" (see sources.example.toml), then pass "
                "--sources that.toml.")
        return p

    def optional(self, key: str) -> Path | None:
        """Return an optional file's path (checked like :meth:`path`), or ``None`` when unset."""
        return self.path(key) if key in self.paths else None


def load_sources(path: Path | str | None = None, *, data_root: Path | None = None) -> Sources:
    """Return where every national file is: the TOML file's choice, else the default.

    Parameters
    ----------
    path
        A TOML file with a ``[sources]`` table of ``key = "path"`` lines (keys of
        :data:`NATIONAL_FILES`); relative paths are read from the TOML file's
        folder. ``None``: defaults only.
    data_root
        Folder of the default paths (default :func:`default_data_root`).

    Returns
    -------
    Sources

    Raises
    ------
    InputDataError
        The TOML file is missing, cannot be parsed, or names an unknown key.

    Examples
    --------
    >>> s = load_sources(data_root=Path("/data"))
    >>> s.paths["iod2025"].as_posix()
    '/data/imd2025_lsoa_england/IoD2025_LSOA21_scores_ranks_deciles.csv.gz'
    >>> s.origin["iod2025"]
    'default'
    """
    root = data_root if data_root is not None else default_data_root()
    paths = {k: root / f.default for k, f in NATIONAL_FILES.items() if f.default}
    origin = dict.fromkeys(NATIONAL_FILES, "default")
    if path is None:
        return Sources(paths, origin)
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"Sources file {path} not found. Copy sources.example.toml and "
                             "edit the paths.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: not a valid TOML file ({exc}).") from exc
    table = data.get("sources", {})
    extra = sorted(set(data) - {"sources"})
    unknown = sorted(set(table) - set(NATIONAL_FILES))
    if extra or unknown or not isinstance(table, dict):
        raise InputDataError(
            f"{path}: unknown {'keys' if unknown else 'tables'} "
            f"{', '.join(unknown or extra) or '(sources is not a table)'}. The file needs a "
            f"[sources] table with any of: {', '.join(NATIONAL_FILES)}.")
    for key, value in table.items():
        p = Path(str(value)).expanduser()
        paths[key] = p if p.is_absolute() else (path.parent / p)
        origin[key] = str(path)
    return Sources(paths, origin)


# --------------------------------------------------------------------------- readers


def _wrong_file(key: str, path: Path, why: str) -> InputDataError:
    spec = NATIONAL_FILES[key]
    return InputDataError(f"{path.name} is not the expected national file '{key}': {why}. "
                          f"Expected {spec.describe()}.")


def _header(path: Path) -> list[str]:
    """Return a CSV's header names (BOM and spaces stripped)."""
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputDataError(f"{path.name}: cannot read it as CSV ({exc}).") from exc
    return [str(c).strip() for c in head.columns]


def read_ward_lookup21(path: Path) -> pd.DataFrame:
    """Read ONS's LSOA (2021) -> Electoral Ward (2025) -> LAD (2025) best-fit lookup.

    Parameters
    ----------
    path
        The lookup CSV (``LSOA21CD, LSOA21NM, WD25CD, WD25NM, LAD25CD, LAD25NM``).

    Returns
    -------
    pandas.DataFrame
        One row per 2021 LSOA: ``lsoa_code``, ``area_code`` (ward), ``area_name``,
        ``borough_code`` (LAD25CD), ``borough_name``.

    Raises
    ------
    InputDataError
        Another vintage (e.g. LSOA11 or WD19 columns) or not a lookup.
    """
    cols = set(_header(path))
    if not {"LSOA21CD", "WD25CD", "LAD25CD"} <= cols:
        raise _wrong_file("ward_lookup", path, f"it has columns {', '.join(sorted(cols))}, "
                          "not LSOA21CD, WD25CD and LAD25CD")
    return read_lsoa_ward_lookup(path)


def read_lad_csp_pfa(path: Path) -> pd.DataFrame:
    """Read ONS's LAD -> community safety partnership -> police force area lookup (Dec 2019).

    Parameters
    ----------
    path
        ``LAD19_CSP19_PFA19_EW_LU.csv``.

    Returns
    -------
    pandas.DataFrame
        ``lad_code, lad_name, csp_code, csp_name, pfa_code, pfa_name``: one row
        per (LAD, CSP) pair (a LAD split over several partnerships appears once
        per partnership).
    """
    need = {"LAD19CD": "lad_code", "LAD19NM": "lad_name", "CSP19CD": "csp_code",
            "CSP19NM": "csp_name", "PFA19CD": "pfa_code", "PFA19NM": "pfa_name"}
    cols = set(_header(path))
    if not set(need) <= cols:
        raise _wrong_file("lad_csp_pfa", path, f"columns {', '.join(sorted(set(need) - cols))}"
                          " are missing")
    raw = read_text_table(path, Report())
    out = raw[list(need)].rename(columns=need).apply(lambda c: c.str.strip())
    return out.drop_duplicates().reset_index(drop=True)


def read_lsoa11_lad19(path: Path) -> pd.DataFrame:
    """Read the LSOA (2011) -> LAD (2019) columns of ONS's LSOA11 -> WD19 lookup.

    Returns
    -------
    pandas.DataFrame
        ``lsoa11_code``, ``lad19_code``, one row per 2011 LSOA.
    """
    cols = set(_header(path))
    if not {"LSOA11CD", "LAD19CD"} <= cols:
        raise _wrong_file("lsoa11_lad19", path, f"it has columns {', '.join(sorted(cols))}, "
                          "not LSOA11CD and LAD19CD")
    raw = pd.read_csv(path, usecols=["LSOA11CD", "LAD19CD"], dtype=str, encoding="utf-8-sig")
    out = raw.rename(columns={"LSOA11CD": "lsoa11_code", "LAD19CD": "lad19_code"})
    return out.apply(lambda c: c.str.strip()).drop_duplicates("lsoa11_code")


_POP_CODE = ("geography code", "lsoa21cd", "lsoa code (2021)", "lsoa_code", "lsoa code")
_POP_VALUE = ("age: total", "total: all usual residents", "population", "usual residents")


def read_population21(path: Path) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Read Census 2021 usual residents per 2021 LSOA (TS007A ``Age: Total``).

    Parameters
    ----------
    path
        The Nomis bulk CSV (``geography code``, ``Age: Total``; ``.gz`` fine), or any
        CSV with an LSOA 2021 code column and a population column
        (``Total: All usual residents``, ``population``).

    Returns
    -------
    frame : pandas.DataFrame
        ``lsoa_code``, ``population`` (float), one row per LSOA.
    rows_read : int
        Data rows in the file.
    rejected : dict
        ``{reason: rows}``: blank or repeated codes, unreadable or negative numbers.

    Raises
    ------
    InputDataError
        No LSOA code or population column (the message names the official file).
    """
    names = {c.lower(): c for c in _header(path)}
    code = next((names[c] for c in _POP_CODE if c in names), None)
    value = next((names[c] for c in _POP_VALUE if c in names), None)
    if code is None or value is None:
        raise _wrong_file("population", path, "no LSOA code ('geography code') and population "
                          f"('Age: Total') columns; it has {', '.join(list(names.values())[:6])}")
    raw = pd.read_csv(path, usecols=[code, value], dtype={code: str}, encoding="utf-8-sig")
    lsoa = raw[code].astype("string").str.strip().str.upper()
    pop = pd.to_numeric(raw[value].astype("string").str.replace(",", ""), errors="coerce")
    blank = lsoa.isna() | (lsoa == "")
    dup = ~blank & lsoa.duplicated()
    bad = ~blank & ~dup & (pop.isna() | (pop < 0))
    keep = ~blank & ~dup & ~bad
    rejected = {k: int(v) for k, v in (("blank LSOA code", blank.sum()),
                                       ("LSOA code repeated (first row kept)", dup.sum()),
                                       ("population missing or negative", bad.sum())) if v}
    out = pd.DataFrame({"lsoa_code": lsoa[keep].astype(str).to_numpy(),
                        "population": pop[keep].astype("float64").to_numpy()})
    return out, len(raw), rejected


def read_wards(path: Path, lad_codes: Iterable[str] | None) -> gpd.GeoDataFrame:
    """Read the May 2025 wards of some local authorities, in EPSG:27700.

    Parameters
    ----------
    path
        ``Wards (May 2025) Boundaries UK BGC`` (GeoPackage, GeoJSON or shapefile).
    lad_codes
        LAD25 codes to keep; ``None`` keeps every ward of England and Wales.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`boundaries.load.AREA_COLUMNS` (``borough_*`` = the local authority)
        plus ``region_code`` (RGNCD; blank in Wales), sorted by ``area_code``;
        invalid polygons repaired.

    Raises
    ------
    InputDataError
        The file lacks the WD25 columns, or has no ward in those authorities.
    """
    try:
        info = pyogrio.read_info(path)
    except Exception as exc:  # noqa: BLE001 - any GDAL failure means "not this file"
        raise _wrong_file("wards", path, f"GDAL cannot open it ({exc})") from exc
    fields = set(info["fields"])
    need = ["WD25CD", "WD25NM", "LAD25CD", "LAD25NM"]
    if not set(need) <= fields:
        raise _wrong_file("wards", path, f"columns {', '.join(sorted(set(need) - fields))} "
                          "are missing (another ward vintage?)")
    columns = need + (["RGNCD"] if "RGNCD" in fields else [])
    if lad_codes is None:
        where = "substr(WD25CD, 1, 1) IN ('E', 'W')"
    else:
        codes = sorted({str(c) for c in lad_codes})
        where = "LAD25CD IN (" + ", ".join(f"'{c}'" for c in codes if c.isalnum()) + ")"
    raw = pyogrio.read_dataframe(path, columns=columns, where=where)
    if len(raw) == 0:
        raise InputDataError(f"{path.name}: no ward of local authorities "
                             f"{', '.join(sorted(lad_codes or []))} found.")
    raw = raw.to_crs(ANALYSIS_CRS)
    out = gpd.GeoDataFrame({
        "area_code": raw["WD25CD"].astype(str).str.strip(),
        "area_name": raw["WD25NM"].astype(str).str.strip(),
        "borough_code": raw["LAD25CD"].astype(str).str.strip(),
        "borough_name": raw["LAD25NM"].astype(str).str.strip(),
        "region_code": (raw["RGNCD"].fillna("").astype(str) if "RGNCD" in raw
                        else pd.Series("", index=raw.index)),
    }, geometry=repair_polygons(raw.geometry.to_numpy()), crs=ANALYSIS_CRS)
    out = out.drop_duplicates("area_code").sort_values("area_code").reset_index(drop=True)
    return out[[*AREA_COLUMNS[:-1], "region_code", "geometry"]]


def ward_regions(path: Path) -> pd.DataFrame:
    """Return each England and Wales local authority's region code from the ward layer.

    Returns
    -------
    pandas.DataFrame
        ``lad_code``, ``region_code`` (blank for Wales or when the layer has no
        ``RGNCD``), one row per authority.
    """
    fields = set(pyogrio.read_info(path)["fields"])
    cols = ["LAD25CD"] + (["RGNCD"] if "RGNCD" in fields else [])
    raw = pyogrio.read_dataframe(path, columns=cols, read_geometry=False,
                                 where="substr(LAD25CD, 1, 1) IN ('E', 'W')")
    region = (raw["RGNCD"].fillna("").astype(str) if "RGNCD" in raw
              else pd.Series("", index=raw.index))
    out = pd.DataFrame({"lad_code": raw["LAD25CD"].astype(str), "region_code": region})
    out = out.sort_values(["lad_code", "region_code"], ascending=[True, False])
    return out.drop_duplicates("lad_code").reset_index(drop=True)


def welsh_lad_names(path: Path) -> dict[str, str]:
    """Return ``{LAD25 code: Welsh name}`` from the ward lookup (``LAD25NMW``), if it has one."""
    if "LAD25NMW" not in set(_header(path)):
        return {}
    raw = pd.read_csv(path, usecols=["LAD25CD", "LAD25NMW"], dtype=str, encoding="utf-8-sig")
    raw = raw.dropna().drop_duplicates("LAD25CD")
    return dict(zip(raw["LAD25CD"].str.strip(), raw["LAD25NMW"].str.strip(), strict=True))


def read_lsoa_polygons(path: Path, key: str, *, nations: Iterable[str] = ("E", "W"),
                       codes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Read LSOA polygons (2011 or 2021 BGC layer) in EPSG:27700, repaired.

    Parameters
    ----------
    path
        The layer (``LSOA11CD`` or ``LSOA21CD`` column).
    key
        ``"lsoa11_boundaries"`` or ``"lsoa21_boundaries"`` (for messages and the
        expected code column).
    nations
        Code initials to keep (``"E"``, ``"W"``).
    codes
        Only these codes (``None``: every LSOA of ``nations``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``lsoa_code``, ``geometry``, sorted by code.
    """
    column = "LSOA11CD" if key == "lsoa11_boundaries" else "LSOA21CD"
    try:
        fields = set(pyogrio.read_info(path)["fields"])
    except Exception as exc:  # noqa: BLE001 - any GDAL failure means "not this file"
        raise _wrong_file(key, path, f"GDAL cannot open it ({exc})") from exc
    if column not in fields:
        raise _wrong_file(key, path, f"it has no {column} column (another LSOA vintage?)")
    where = f"substr({column}, 1, 1) IN (" + ", ".join(
        f"'{n}'" for n in nations if n.isalpha()) + ")"
    if codes is not None:
        wanted = sorted({c for c in codes if str(c).isalnum()})
        if not wanted:
            return gpd.GeoDataFrame({"lsoa_code": []}, geometry=[], crs=ANALYSIS_CRS)
        where = f"{column} IN (" + ", ".join(f"'{c}'" for c in wanted) + ")"
    raw = pyogrio.read_dataframe(path, columns=[column], where=where).to_crs(ANALYSIS_CRS)
    out = gpd.GeoDataFrame({"lsoa_code": raw[column].astype(str).str.strip()},
                           geometry=repair_polygons(raw.geometry.to_numpy()), crs=ANALYSIS_CRS)
    return out.drop_duplicates("lsoa_code").sort_values("lsoa_code").reset_index(drop=True)
