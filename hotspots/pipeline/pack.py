"""A pack: an area layer and the data to map on it, loaded from its folder.

A *pack* is a folder with ``pack.json``, an area layer and the data to map on
it (the demo pack in ``data/demo`` is one; :mod:`hotspots.pipeline.assemble`
builds the same thing from files given on the command line).
:func:`load_pack` reads one into a :class:`Pack`; the ward table for a
selection is :func:`hotspots.pipeline.table.ward_table`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from boundaries.load import AREA_COLUMNS, read_boundaries
from boundaries.web import web_layer
from hotspots import io
from hotspots._errors import InputDataError
from hotspots._validate import REPORT_COLUMNS, ReadResult, Report
from hotspots.areas import join as join
from hotspots.pipeline.meta import PackMeta, PointsReconciliation

ROOT = Path(__file__).resolve().parents[2]
DEMO_PACK = ROOT / "data" / "demo"

POINT_COLUMNS = ["source", "source_row", "month", "category", "x", "y", "location", "lsoa_code"]
POLICE_UK_POINTS_NOTE = (
    "police.uk street-level crime: each point is an anonymised snap point (the centre of a "
    "street or a public place near the crime), not the crime's exact location; months as in "
    "the files.")
_POINT_DTYPES = {"source": str, "source_row": "int64", "month": str, "category": str,
                 "x": "float64", "y": "float64", "location": str, "lsoa_code": str}


def points_reconciliation(res: ReadResult) -> PointsReconciliation:
    """Summarise how police.uk points were read, for :attr:`PackMeta.points_reconciliation`.

    Parameters
    ----------
    res
        :func:`hotspots.io.read_police_uk`'s result.

    Returns
    -------
    PointsReconciliation
        ``rows_read``, ``rows_kept``, ``rows_rejected`` (``{reason kind: rows}``;
        reasons that name a row are grouped by their kind, e.g. "duplicate Crime
        ID") and ``rows_without_location``.
    """
    kinds = res.rejected["reason"].astype(str).str.replace(r"\s+[0-9a-f]{8}….*$", "",
                                                           regex=True)
    reasons = kinds.value_counts().sort_index()
    return PointsReconciliation(
        rows_read=int(res.rows_read),
        rows_kept=int(len(res.frame)),
        rows_rejected={str(k): int(v) for k, v in reasons.items()},
        rows_without_location=int(res.frame["x"].isna().sum()),
    )


def point_records(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the columns of police.uk records that the patrol view needs.

    Parameters
    ----------
    frame
        ``frame`` of :func:`hotspots.io.read_police_uk` (or a pack's points file).

    Returns
    -------
    DataFrame
        :data:`POINT_COLUMNS`, one row per input row, in input order.
    """
    out = frame.reindex(columns=POINT_COLUMNS).copy()
    for col in ("source", "month", "category", "location", "lsoa_code"):
        out[col] = out[col].astype("string")
    return out.reset_index(drop=True)






@dataclass(frozen=True)
class Pack:
    """Everything one map needs, loaded and reconciled.

    Attributes
    ----------
    folder
        Where the pack was read from (``None`` when assembled in memory).
    meta
        Metadata (``pack.json``): title, vintage, sources, attribution,
        placement basis, ``synthetic_referrals``, ... (:class:`PackMeta`).
    areas
        Area layer, EPSG:27700: ``area_code``, ``area_name``,
        ``borough_code``, ``borough_name``, ``geometry``.
    crime
        Long recorded crime: ``area_code``, ``month``, ``major``, ``minor``,
        ``count``; ``crime_coverage`` lists the areas the crime source covers.
    referrals
        Assigned referral records: ``area_code``, ``month``, ``category``,
        ``count`` (empty frame when none).
    population
        ``area_code``, ``population``.
    imd
        ``area_code`` and ``imd_*`` columns from :mod:`boundaries.deprivation`.
    reconciliations
        One row per source (see :func:`hotspots.join.reconciliation_frame`)
        plus ``note``.
    unassigned
        Per-row details of everything not assigned (source, row, status, reason).
    problems
        Reader problems as a frame (:data:`hotspots._validate.REPORT_COLUMNS`).
    points
        Street-level point records for the patrol view (police.uk layout,
        :data:`POINT_COLUMNS`: lon/lat in ``x``/``y``, EPSG:4326, NaN when the
        record has no location), or ``None`` when the pack has none. Every
        row the reader kept is here once; the patrol grid reconciles them.
        ``meta.points_boroughs`` names the boroughs the points cover (the
        patrol study area) and ``meta.points_source`` says where they are from.
    """

    folder: Path | None
    meta: PackMeta
    areas: gpd.GeoDataFrame
    crime: pd.DataFrame
    crime_coverage: frozenset[str]
    referrals: pd.DataFrame
    population: pd.DataFrame
    imd: pd.DataFrame
    reconciliations: pd.DataFrame
    unassigned: pd.DataFrame
    problems: pd.DataFrame
    points: pd.DataFrame | None = None
    _web: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False, compare=False)

    @property
    def months(self) -> list[str]:
        """All months with crime or referral data, sorted ``YYYY-MM``."""
        m = set(self.crime["month"].unique()) | set(self.referrals["month"].unique())
        return sorted(str(x) for x in m)

    @property
    def web_areas(self) -> gpd.GeoDataFrame:
        """The area layer for web maps: simplified, EPSG:4326, rounded (built on first use).

        Only pages draw maps, so the CLI never pays for it; the UI's cached
        loaders touch it once inside the cache, before sessions share the pack.
        """
        return self._web_layers()["areas"]

    @property
    def boroughs_web(self) -> gpd.GeoDataFrame:
        """Borough outlines for web maps (dissolved from the areas), EPSG:4326, rounded."""
        return self._web_layers()["boroughs"]

    def _web_layers(self) -> dict[str, gpd.GeoDataFrame]:
        if not self._web:
            self._web.update(build_web_layers(self.areas))
        return self._web


def build_web_layers(areas: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Build the web map layers of a pack (called once, on first use).

    Parameters
    ----------
    areas
        Area layer in EPSG:27700 with ``borough_code``/``borough_name``.

    Returns
    -------
    dict
        ``"areas"``: coverage-simplified at 20 m, EPSG:4326, 5 decimals, with
        ``area_code``, ``area_name``, ``borough_name``; ``"boroughs"``: the
        borough outlines dissolved from the same coverage, simplified at 50 m
        and rounded to 5 decimals.
    """
    web = web_layer(areas, tolerance_m=20.0, precision=5,
                    keep=("area_code", "area_name", "borough_name"))
    b = areas.assign(borough_name=areas["borough_name"].fillna("")).dissolve(
        "borough_name", as_index=False)
    b["area_code"] = b["borough_code"].fillna(b["borough_name"]).astype(str)
    b["area_name"] = b["borough_name"]
    boroughs = web_layer(b[["area_code", "area_name", "borough_name", "geometry"]],
                         tolerance_m=50.0, precision=5, keep=("area_code", "borough_name"))
    boroughs = boroughs.rename(columns={"area_code": "borough_code"})
    return {"areas": web, "boroughs": boroughs}


# --------------------------------------------------------------------------- loading


def _read_areas(path: Path) -> gpd.GeoDataFrame:
    areas, _ = read_boundaries(path, code_col="area_code", name_col="area_name",
                               parent_code_col="borough_code", parent_name_col="borough_name")
    return areas[AREA_COLUMNS].sort_values("area_code").reset_index(drop=True)


def load_pack(folder: Path | str | None = None) -> Pack:
    """Load a pack folder (default: the demo pack) and reconcile its sources.

    Parameters
    ----------
    folder
        Folder with ``pack.json`` and the files it names.

    Returns
    -------
    Pack

    Raises
    ------
    InputDataError
        When ``pack.json`` or a file it names is missing.
    """
    folder = Path(folder) if folder is not None else DEMO_PACK
    meta_path = folder / "pack.json"
    if not meta_path.is_file():
        raise InputDataError(
            f"{meta_path} not found. A pack folder needs pack.json; build the demo pack with "
            "'python -m data.build_demo'."
        )
    meta = PackMeta.from_json(json.loads(meta_path.read_text(encoding="utf-8")),
                              where=str(meta_path))
    areas = _read_areas(folder / (meta.area_layer if meta.area_layer is not None
                                  else "wards.geojson"))
    crime = pd.read_csv(folder / "crime_ward_month.csv.gz",
                        dtype={"area_code": str, "month": str, "major": str, "minor": str,
                               "count": "int64"})
    _, crime_rec = join.codes_to_areas(crime, areas, code_col="area_code",
                                       source="Recorded crime (ward x offence x month rows)")
    population = pd.read_csv(folder / "population.csv", dtype={"area_code": str})
    imd = pd.read_csv(folder / "imd_wards.csv", dtype={"area_code": str})

    report = Report()
    recs = [crime_rec]
    notes = [meta.crime_note if meta.crime_note is not None else ""]
    unassigned = [crime_rec.details]
    referrals = empty_referrals()
    if meta.referrals_file:
        if meta.referrals_mapping is None:
            raise InputDataError(f"{meta_path}: 'referrals_file' needs 'referrals_mapping' "
                                 "(the column mapping file in the pack folder).")
        mapping = io.load_mapping(folder / meta.referrals_mapping)
        res = io.read_referrals(folder / meta.referrals_file, mapping)
        report.extend(res.report)
        label = "Referrals (SYNTHETIC)" if meta.synthetic_referrals else "Referrals"
        assigned, rec = join.locate_records(res.frame, areas, source=label, rejected=res.rejected)
        recs.append(rec)
        notes.append("placed by " + (meta.placement or {}).get("referrals", "ward"))
        unassigned.append(rec.details)
        referrals = assigned[["area_code", "month", "category", "count"]].copy()
    rec_frame = join.reconciliation_frame(recs)
    rec_frame["note"] = notes
    if meta.reconciliation_file:  # a built pack's per-source reconciliation comes first
        built = pd.read_csv(folder / meta.reconciliation_file, keep_default_na=False)
        rec_frame = pd.concat([built[rec_frame.columns], rec_frame], ignore_index=True)
    points = None
    if meta.points_file:
        points = point_records(pd.read_csv(folder / meta.points_file, dtype=_POINT_DTYPES,
                                           keep_default_na=False, na_values={"x": [""], "y": [""]}))
    return Pack(
        folder=folder,
        meta=meta,
        areas=areas,
        crime=crime,
        crime_coverage=frozenset(meta.crime_coverage_areas if meta.crime_coverage_areas
                                 is not None else crime["area_code"].unique()),
        referrals=referrals,
        population=population[["area_code", "population"]],
        imd=imd,
        reconciliations=rec_frame,
        unassigned=pd.concat(unassigned, ignore_index=True),
        problems=report.to_frame() if len(report) else pd.DataFrame(columns=REPORT_COLUMNS),
        points=points,
    )


def empty_referrals() -> pd.DataFrame:
    """Return an empty referral frame with the standard columns and types."""
    return pd.DataFrame({"area_code": pd.Series(dtype=str), "month": pd.Series(dtype=str),
                         "category": pd.Series(dtype=str), "count": pd.Series(dtype="int64")})
