"""A pack folder for any place in England and Wales, from national open data.

``python -m hotspots pack build --area NAME_OR_CODE --out packs/NAME`` calls
:func:`build_pack`, which writes the folder format :func:`hotspots.pipeline.load_pack`
opens (the page and the CLI): ``pack.json``, ``wards.geojson`` (the place's
May 2025 wards, coverage-simplified), ``population.csv`` (Census 2021),
``imd_wards.csv`` (the nation's own deprivation index on the wards,
:mod:`hotspots.pipeline.packdeprivation`), ``imd_lsoa_assignment.csv``,
``crime_ward_month.csv.gz`` (police.uk, when given:
:mod:`hotspots.pipeline.packcrime`; otherwise empty, and said so) and
``reconciliation.csv`` (for every source, rows in = assigned + without a
location + outside every area + rejected), plus ``PROVENANCE.md``. A pack built
here has no referrals (never synthetic ones); the user adds their own.

The national files come from :func:`boundaries.national.load_sources` (defaults
under ``../shared/data``, or a sources TOML). Every input's SHA-256, title,
publisher and licence is in ``pack.json`` under ``inputs``. The same inputs
give byte-identical files.
"""

from __future__ import annotations

import gzip
import hashlib
import io as _io
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from boundaries import national
from boundaries.forces import match_forces
from boundaries.places import Catalogue, Place, build_catalogue, resolve_areas
from boundaries.web import web_layer
from hotspots import store as police_store
from hotspots.config import describe_input, file_sha256
from hotspots.pipeline.meta import PackMeta
from hotspots.pipeline.packcrime import AssignBy, CrimeResult, pack_crime, read_store
from hotspots.pipeline.packdeprivation import (
    DeprivationResult,
    choose_index,
    pack_deprivation,
    source_reconciliation,
)

__all__ = ["NationalData", "PackBuild", "build_pack", "force_residents", "list_areas",
           "load_national", "pfa_residents"]

POLICE_UK_ATTRIBUTION = ("Street-level crime: data.police.uk, contains public sector "
                         "information licensed under the Open Government Licence v3.0.")
_RECONCILIATION_COLUMNS = ["source", "rows_in", "assigned", "unlocated", "outside", "rejected",
                           "note"]


@dataclass(frozen=True)
class NationalData:
    """The national lookups every pack needs, read once.

    Attributes
    ----------
    sources
        Where each national file is.
    lookup
        ONS LSOA (2021) -> ward (2025) -> LAD (2025): ``lsoa_code``, ``area_code``,
        ``area_name``, ``borough_code``, ``borough_name``.
    catalogue
        Every place a pack can cover.
    codes11
        Every 2011 LSOA code (to recognise the wrong vintage).
    """

    sources: national.Sources
    lookup: pd.DataFrame
    catalogue: Catalogue
    codes11: frozenset[str]


def load_national(sources: Path | str | None = None, *, data_root: Path | None = None
                  ) -> NationalData:
    """Read the lookups and list the places (about two seconds).

    Parameters
    ----------
    sources
        A sources TOML file, or ``None`` for the defaults.
    data_root
        Folder of the default paths (default ``../shared/data``).

    Returns
    -------
    NationalData

    Raises
    ------
    InputDataError
        A lookup is missing or is not the expected file (named by its official title).
    """
    s = national.load_sources(sources, data_root=data_root)
    lookup = national.read_ward_lookup21(s.path("ward_lookup"))
    l11 = national.read_lsoa11_lad19(s.path("lsoa11_lad19"))
    catalogue = build_catalogue(
        lookup, national.read_lad_csp_pfa(s.path("lad_csp_pfa")), l11,
        national.ward_regions(s.path("wards")),
        welsh_names=national.welsh_lad_names(s.path("ward_lookup")))
    return NationalData(s, lookup, catalogue, frozenset(l11["lsoa11_code"]))


def list_areas(data: NationalData, *, kind: str | None = None, search: str | None = None
               ) -> pd.DataFrame:
    """Return the places a pack can cover: ``kind``, ``code``, ``name``, ``n_lads``, ``note``.

    Parameters
    ----------
    data
        :func:`load_national`.
    kind
        Keep one kind (``"local authority"``, ...).
    search
        Keep names containing this text (case-insensitive).
    """
    f = data.catalogue.frame()
    if kind:
        f = f[f["kind"] == kind]
    if search:
        f = f[f["name"].str.contains(search, case=False, regex=False)]
    return f.sort_values(["kind", "name"]).reset_index(drop=True)


@dataclass(frozen=True)
class PackBuild:
    """A pack written to its folder.

    Attributes
    ----------
    folder
        The pack folder.
    place
        The place it covers.
    meta
        ``pack.json`` as written (:class:`~hotspots.pipeline.meta.PackMeta`).
    reconciliation
        One row per source (``reconciliation.csv``).
    seconds
        Time taken by each step (not written to the pack, so packs stay
        byte-reproducible).
    """

    folder: Path
    place: Place
    meta: PackMeta
    reconciliation: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)


def _csv_bytes(frame: pd.DataFrame, *, gz: bool = False, float_format: str | None = None
               ) -> bytes:
    data = frame.to_csv(index=False, lineterminator="\n", float_format=float_format).encode()
    if not gz:
        return data
    buf = _io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(data)
    return buf.getvalue()


def _population(wards: pd.DataFrame, lookup: pd.DataFrame, sources: national.Sources
                ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Census 2021 usual residents per ward; the LSOA frame; the source reconciliation."""
    path = sources.path("population")
    pop, rows, rejected = national.read_population21(path)
    ward = dict(zip(lookup["lsoa_code"], lookup["area_code"], strict=True))
    area = pop["lsoa_code"].map(ward)
    pack = set(wards["area_code"])
    inside = area.isin(pack)
    per = pop[inside].groupby(area[inside])["population"].sum()
    n = pop[inside].groupby(area[inside]).size()
    out = wards[["area_code"]].copy()
    out["population"] = out["area_code"].map(per).round().astype("Int64")
    out["n_lsoa21"] = out["area_code"].map(n).fillna(0).astype("int64")
    unknown = int(area.isna().sum())
    missing = len(set(lookup["lsoa_code"]) - set(pop["lsoa_code"]))
    note = (f"assigned = LSOAs of the pack's wards (ONS best-fit lookup); unlocated = "
            f"{unknown:,} codes not in the LSOA (2021) lookup (another vintage?); "
            f"{missing:,} LSOAs of the lookup have no population row"
            + "".join(f"; rejected: {v:,} {k}" for k, v in rejected.items()))
    rec = source_reconciliation(f"Population: {national.NATIONAL_FILES['population'].title}",
                                rows, int(inside.sum()), unknown, int((~inside).sum() - unknown),
                                sum(rejected.values()), note)
    return out, pop, rec


def _layer_recs(wards: gpd.GeoDataFrame, lookup: pd.DataFrame, sources: national.Sources
                ) -> list[dict[str, Any]]:
    n_layer = int(pyogrio.read_info(sources.path("wards"))["features"])
    pack = set(wards["area_code"])
    in_lookup = lookup["area_code"].isin(pack)
    empty = sorted(pack - set(lookup["area_code"]))
    return [
        source_reconciliation(
            f"Wards: {national.NATIONAL_FILES['wards'].title}", n_layer, len(wards), 0,
            n_layer - len(wards), 0,
            "assigned = wards of the place's local authorities; outside = the UK's other "
            f"wards; {len(empty):,} of the place's wards receive no LSOA from the best-fit "
            "lookup (population and deprivation 'no data')"
            + (f": {', '.join(empty[:10])}" + (" ..." if len(empty) > 10 else "") if empty
               else "")),
        source_reconciliation(
            f"LSOA lookup: {national.NATIONAL_FILES['ward_lookup'].title}", len(lookup),
            int(in_lookup.sum()), 0, int((~in_lookup).sum()), 0,
            "2021 LSOAs: assigned = best-fit to one of the place's wards; outside = elsewhere"),
    ]


def pfa_residents(data: NationalData, pop_lsoa: pd.DataFrame | None = None) -> dict[str, int]:
    """Return police force area code -> Census 2021 usual residents.

    Each 2021 LSOA's residents go to its 2025 authority (ONS best-fit lookup), each
    authority to its force area (``data.catalogue.lad_pfa``).

    Parameters
    ----------
    data
        :func:`load_national`.
    pop_lsoa
        ``lsoa_code, population`` (default: read from the population file).
    """
    if pop_lsoa is None:
        pop_lsoa = national.read_population21(data.sources.path("population"))[0]
    lad = dict(zip(data.lookup["lsoa_code"], data.lookup["borough_code"], strict=True))
    pfa = pop_lsoa["lsoa_code"].map(lad).map(data.catalogue.lad_pfa)
    per = pop_lsoa["population"].groupby(pfa).sum()
    return {str(k): int(round(v)) for k, v in per.items()}


def force_residents(data: NationalData, forces: Sequence[str]) -> dict[str, int]:
    """Return police.uk force name (``Falls within``) -> residents of its force area.

    Forces matched to no force area (e.g. British Transport Police) are left out.
    """
    by_pfa = pfa_residents(data)
    return {f: by_pfa[code] for f, code in match_forces(forces).items() if code in by_pfa}


def _title(place: Place) -> str:
    return f"{place.name} ({place.kind}, {place.code}): wards May 2025"


def _inputs(keys: Sequence[str], sources: national.Sources, police: Sequence[Path],
            store_input: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in dict.fromkeys(keys):
        spec = national.NATIONAL_FILES[key]
        p = sources.path(key)
        out[key] = {"title": spec.title, "publisher": spec.publisher, "licence": spec.licence,
                    "path": str(p), "from": sources.origin[key], "sha256": file_sha256(p),
                    "used_for": spec.used_for}
    for i, p in enumerate(police, start=1):
        d = describe_input(p)
        out[f"police_uk_{i}"] = {"title": "police.uk street-level crime (street CSVs)",
                                 "publisher": "data.police.uk (Home Office, police forces)",
                                 "licence": "Open Government Licence v3.0", "path": str(p),
                                 "sha256": d["sha256"],
                                 "used_for": "recorded crime and the patrol view's points"}
    if store_input:
        out["police_uk_store"] = store_input
    return out


def _store_input(con: Any, path: Path, sources: Sequence[str]) -> dict[str, Any]:
    """Provenance of a store: its path, adds and the SHA-256 of every file read from it."""
    files = con.execute("""SELECT source, sha256 FROM files WHERE copy_of IS NULL
                           AND source IN (SELECT unnest(?)) ORDER BY file_id""",
                        [sorted(sources)]).fetchall()
    adds = con.execute("SELECT add_id, added_utc, inputs FROM adds ORDER BY add_id").fetchall()
    digest = hashlib.sha256("\n".join(f"{s}\t{h}" for s, h in files).encode()).hexdigest()
    return {"title": "police.uk street-level crime (street CSVs, from the store)",
            "publisher": "data.police.uk (Home Office, police forces)",
            "licence": "Open Government Licence v3.0", "path": str(path),
            "sha256": digest, "files": "\n".join(f"{h}  {s}" for s, h in files),
            "adds": "\n".join(f"add {a} at {t}: {', '.join(json.loads(i))}" for a, t, i in adds),
            "used_for": "recorded crime and the patrol view's points (SHA-256: of the list "
                        "of files read, each with its own SHA-256)"}


def build_pack(
    area: str | Sequence[str],
    out: Path | str,
    *,
    sources: Path | str | None = None,
    police_uk: Sequence[Path | str] = (),
    store: Path | str | None = None,
    assign_by: AssignBy = "point",
    deprivation: str = "auto",
    title: str | None = None,
    marking: str = "OFFICIAL",
    data: NationalData | None = None,
) -> PackBuild:
    """Build a pack folder for a place from national files (and police.uk files).

    Parameters
    ----------
    area
        A name or GSS code (:func:`boundaries.places.resolve_area`), or several
        (their local authorities together, :func:`boundaries.places.combine_places`).
    out
        The pack folder (created; files of a previous build are replaced).
    sources
        A sources TOML (default: the files under ``../shared/data``).
    police_uk
        police.uk street CSVs, folders of months or archive zips (none: no crime).
    store
        A store (``python -m hotspots store add``) to read police.uk rows from: only
        the forces covering the place are read. With ``police_uk`` too, the files
        are added to the store first.
    assign_by
        ``"point"`` (snap point in the ward polygon) or ``"lsoa"`` (the row's LSOA
        code through the ONS lookup).
    deprivation
        ``"auto"`` (IoD 2025 in England, WIMD 2019 in Wales; refused for an area
        spanning both), ``"iod2025"``, ``"wimd2019"``, ``"composite"`` or ``"none"``.
    title, marking
        For ``pack.json`` (default title: the place).
    data
        :func:`load_national`'s result, to build several packs from one read.

    Returns
    -------
    PackBuild

    Raises
    ------
    InputDataError
        Unknown or ambiguous area (closest names listed), an area spanning
        England and Wales with a national index, a missing or wrong national file
        (named, with its official title), unreadable police.uk files.
    """
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}

    clock = [t0]

    def lap(name: str) -> None:
        now = time.perf_counter()
        seconds[name] = round(now - clock[0], 3)
        clock[0] = now

    data = data or load_national(sources)
    place = resolve_areas(area, data.catalogue)
    choose_index(place, deprivation)  # refuse a mix of nations before reading anything big
    s = data.sources
    police = [Path(p) for p in police_uk]
    for p in police:
        if not p.exists():
            raise FileNotFoundError(f"--police-uk {p}: not found.")
    lap("national lookups")
    all_ew = place.kind == "England and Wales"
    wards = national.read_wards(s.path("wards"), None if all_ew else place.lads)
    wards = wards[wards["borough_code"].isin(place.lads)].reset_index(drop=True)
    lap("wards")
    population, pop_lsoa, pop_rec = _population(wards, data.lookup, s)
    lap("population")
    dep = pack_deprivation(place, wards, data.lookup, pop_lsoa, s, deprivation)
    lap("deprivation")
    store_input = None
    # residents of every force area, for the incomplete-month rate rule
    residents = pfa_residents(data, pop_lsoa) if (police or store is not None) else None
    if store is not None:
        crime, store_input = _crime_from_store(Path(store), police, place, wards, data,
                                               assign_by, residents=residents)
        police = []  # their rows come from the store (its provenance lists every file)
    elif police and bytes_on_disk(police) > STORE_ABOVE_BYTES:
        # big inputs go through a temporary store: a month in memory at a time, and only
        # the rows of the forces covering the place (and near it) are placed
        with tempfile.TemporaryDirectory(prefix="hotspots-store-") as tmp:
            crime, _ = _crime_from_store(Path(tmp) / "police_uk.duckdb", police, place, wards,
                                         data, assign_by, label="temporary store",
                                         residents=residents)
        crime.meta["crime_note"] = (
            f"The police.uk files ({bytes_on_disk(police) / 1024**2:,.0f} MB, above "
            f"{STORE_ABOVE_BYTES / 1024**2:,.0f} MB) were read through a temporary store. "
            + crime.meta["crime_note"].replace("the store temporary store", "it"))
    else:
        crime = (pack_crime(police, place, wards, data.lookup, data.catalogue, data.codes11,
                            assign_by=assign_by, pfa_residents=residents) if police else None)
    lap("crime")
    folder = Path(out)
    meta, recs = _write(folder, place, wards, population, dep, crime, data,
                        [pop_rec], police, title or _title(place), marking, store_input)
    lap("write")
    return PackBuild(folder, place, meta, recs, seconds)


#: police.uk inputs larger than this on disk (a zip counts packed) are read through a
#: temporary store rather than whole into pandas (bench/store_scale.py: the pandas path's
#: peak memory grows with every row; the store's stays at about one month's).
STORE_ABOVE_BYTES = 512 * 1024**2


def bytes_on_disk(paths: Sequence[Path]) -> int:
    """Total size of files and of the files in folders (a zip counts as its packed size)."""
    total = 0
    for p in paths:
        if p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        elif p.exists():
            total += p.stat().st_size
    return total


def _crime_from_store(path: Path, police: Sequence[Path], place: Place,
                      wards: gpd.GeoDataFrame, data: NationalData, assign_by: AssignBy,
                      label: str | None = None, residents: dict[str, int] | None = None
                      ) -> tuple[CrimeResult, dict[str, Any]]:
    """Add any files to the store, then place the covering forces' rows from it."""
    if police:
        con = police_store.connect(path)
        try:
            police_store.add_inputs(con, police)
        finally:
            con.close()
    con = police_store.connect(path, read_only=True)
    try:
        got = read_store(con, place, data.catalogue, wards, label=label or path.name)
        crime = pack_crime([], place, wards, data.lookup, data.catalogue, data.codes11,
                           assign_by=assign_by, results=got.results,
                           pfa_residents=residents)
        sources = {str(v) for _, r in got.results for f in (r.frame, r.rejected)
                   for v in f["source"].unique()}
        store_input = _store_input(con, path, sorted(sources))
    finally:
        con.close()
    crime.meta["crime_note"] = got.note
    return crime, store_input


def _write(folder: Path, place: Place, wards: gpd.GeoDataFrame, population: pd.DataFrame,
           dep: DeprivationResult, crime: CrimeResult | None, data: NationalData,
           recs: list[dict[str, Any]], police: Sequence[Path], title: str, marking: str,
           store_input: dict[str, Any] | None = None) -> tuple[PackMeta, pd.DataFrame]:
    folder.mkdir(parents=True, exist_ok=True)
    s = data.sources
    files: dict[str, bytes] = {}
    rec_rows = _layer_recs(wards, data.lookup, s) + recs
    if dep.reconciliation:
        rec_rows.append(dep.reconciliation)
    files["population.csv"] = _csv_bytes(population)
    files["imd_wards.csv"] = _csv_bytes(dep.wards)
    files["imd_lsoa_assignment.csv"] = _csv_bytes(dep.lsoas)
    if crime is not None:
        rec_rows += crime.reconciliations
        files["crime_ward_month.csv.gz"] = _csv_bytes(crime.crime, gz=True)
        pts = crime.points.copy()
        for col in ("x", "y"):  # police.uk publishes 6 decimals; keep them all
            pts[col] = pts[col].map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
        files["police_uk_points.csv.gz"] = _csv_bytes(pts, gz=True)
        files["unassigned_rows.csv.gz"] = _csv_bytes(crime.unassigned, gz=True)
    else:
        files["crime_ward_month.csv.gz"] = _csv_bytes(pd.DataFrame(
            columns=["area_code", "month", "major", "minor", "count"]), gz=True)
    reconciliation = pd.DataFrame(rec_rows, columns=_RECONCILIATION_COLUMNS)
    files["reconciliation.csv"] = _csv_bytes(reconciliation)
    layer = web_layer(wards, tolerance_m=10.0, precision=6,
                      keep=("area_code", "area_name", "borough_code", "borough_name"))
    wards_path = folder / "wards.geojson"
    wards_path.unlink(missing_ok=True)
    layer.to_file(wards_path, driver="GeoJSON",
                  layer_options={"COORDINATE_PRECISION": 6, "RFC7946": "YES"})
    for name in ("police_uk_points.csv.gz", "unassigned_rows.csv.gz"):
        (folder / name).unlink(missing_ok=True)
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    keys = ["wards", "ward_lookup", "lad_csp_pfa", "lsoa11_lad19", "population", *dep.inputs]
    doc = _meta(place, dep, crime, data, reconciliation, title, marking, wards)
    doc["inputs"] = _inputs(keys, s, police, store_input)
    doc["attribution"] = " ".join(dict.fromkeys(
        [national.NATIONAL_FILES[k].attribution for k in dict.fromkeys(keys)]
        + ([POLICE_UK_ATTRIBUTION] if crime is not None else [])))
    names = sorted([*files, "wards.geojson"])
    doc["files"] = {n: file_sha256(folder / n) for n in names}
    meta = PackMeta.from_json(doc, where=str(folder / "pack.json"))
    (folder / "PROVENANCE.md").write_text(_provenance(doc), encoding="utf-8")
    (folder / "pack.json").write_text(json.dumps(meta.to_json(), indent=2, ensure_ascii=False)
                                      + "\n", encoding="utf-8")
    return meta, reconciliation


def _meta(place: Place, dep: DeprivationResult, crime: CrimeResult | None, data: NationalData,
          reconciliation: pd.DataFrame, title: str, marking: str, wards: pd.DataFrame
          ) -> dict[str, Any]:
    d = dep.meta
    lads = sorted(set(wards["borough_code"]))
    doc: dict[str, Any] = {
        "title": title, "marking": marking,
        "area": {"kind": place.kind, "code": place.code, "name": place.name,
                 "local_authorities": {c: data.catalogue.lad_names.get(c, c) for c in lads},
                 "note": place.note},
        "vintage": "Wards, May 2025 (ONS Wards (May 2025) Boundaries UK BGC, generalised 20 m, "
                   "coverage-simplified 10 m); each ward's local authority: LAD, May 2025",
        "area_layer": "wards.geojson",
        "imd_label": d.get("label", "none"),
        "imd_source": d.get("summary", "none"),
        "imd_reference": d.get("reference", ""),
        "deprivation": d,
        "population_source": "ONS Census 2021 TS007A usual residents, LSOA 2021 -> ward 2025 "
                             "(ONS best-fit lookup)",
        "synthetic_referrals": False,
        "referrals": "none: a pack built from national open data has no referrals (and never "
                     "synthetic ones); add your own on the page or with --referrals",
        "reconciliation_file": "reconciliation.csv",
        "reconciliation": reconciliation.to_dict("records"),
    }
    if crime is None:
        doc.update(crime_source="none: no police.uk files were given with --police-uk",
                    crime_months=[], crime_note="No recorded crime in this pack.",
                    crime_coverage_note="No crime data: every ward is 'no data'.",
                    crime_coverage_areas=[], placement={"crime": "none",
                                                        "referrals": "none in this pack"},
                    months_incomplete=[])
    else:
        doc.update(crime.meta)
        doc["crime_coverage_areas"] = sorted(crime.covered)
        doc["points_file"] = "police_uk_points.csv.gz"
        doc["unassigned_file"] = "unassigned_rows.csv.gz"
    return doc


def _provenance(doc: dict[str, Any]) -> str:
    d = doc["deprivation"]
    lines = [f"# {doc['title']}", "",
             f"Built by `python -m hotspots pack build` for {doc['area']['name']} "
             f"({doc['area']['kind']}, {doc['area']['code']}): "
             f"{len(doc['area']['local_authorities'])} local authorities. "
             + (doc["area"]["note"] + "." if doc["area"]["note"] else ""), "",
             "## Inputs", "", "| key | title | publisher | licence | SHA-256 |",
             "| --- | --- | --- | --- | --- |"]
    lines += [f"| {k} | {v['title']} | {v['publisher']} | {v['licence']} | `{v['sha256']}` |"
              for k, v in doc["inputs"].items()]
    lines += ["", "## Deprivation", "", f"- {d.get('summary', 'none')}"]
    lines += [f"- {k.replace('_', ' ')}: {d[k]}" for k in
              ("reference", "score_rule", "rank_rule", "decile_rule", "share_rule",
               "lsoa_route_rule", "lsoa_routes", "caveat", "change") if k in d]
    lines += ["", "## Recorded crime", "", f"- {doc['crime_source']}",
              f"- {doc['crime_coverage_note']}"]
    if doc.get("months_incomplete"):
        lines.append(f"- Months flagged incomplete: {', '.join(doc['months_incomplete'])} "
                     f"({doc['months_incomplete_rule']})")
    lines += ["", "## Reconciliation (rows in = assigned + unlocated + outside + rejected)", "",
              "| source | rows in | assigned | unlocated | outside | rejected |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r['source']} | {r['rows_in']:,} | {r['assigned']:,} | {r['unlocated']:,} | "
              f"{r['outside']:,} | {r['rejected']:,} |" for r in doc["reconciliation"]]
    lines += ["", "## Referrals", "", doc["referrals"], "", "## Attribution", "",
              doc["attribution"], ""]
    return "\n".join(lines)
