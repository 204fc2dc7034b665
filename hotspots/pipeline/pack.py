"""Compose the steps for one selection: the same ward table for the page and the CLI.

A *pack* is a folder with an area layer and the data to map on it (the demo
pack in ``data/demo`` is one; ``python -m hotspots table`` builds the same
thing from files given on the command line). :func:`ward_table` turns a pack
and a :class:`Selection` into one row per area with the count, rate, rank,
deprivation and display strings, plus the Spearman correlation and the
reconciliation of every source behind the measure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from boundaries.load import read_boundaries
from boundaries.web import web_layer
from hotspots import io, privacy, stats
from hotspots._errors import CRSError, InputDataError
from hotspots._validate import REPORT_COLUMNS, ReadResult, Report
from hotspots.areas import join as join
from hotspots.areas.coverage import STATUS_OUTSIDE_COVERAGE, place_police_uk

ROOT = Path(__file__).resolve().parents[2]
DEMO_PACK = ROOT / "data" / "demo"
ANALYSIS_CRS = "EPSG:27700"

RateKind = Literal["count", "per_1000"]
RATE_LABELS: dict[str, str] = {"count": "Count", "per_1000": "Rate per 1,000 residents"}

AREA_COLUMNS = ["area_code", "area_name", "borough_code", "borough_name", "geometry"]
POINT_COLUMNS = ["source", "source_row", "month", "category", "x", "y", "location", "lsoa_code"]
POLICE_UK_POINTS_NOTE = (
    "police.uk street-level crime: each point is an anonymised snap point (the centre of a "
    "street or a public place near the crime), not the crime's exact location; months as in "
    "the files.")
_POINT_DTYPES = {"source": str, "source_row": "int64", "month": str, "category": str,
                 "x": "float64", "y": "float64", "location": str, "lsoa_code": str}


def points_reconciliation(res: ReadResult) -> dict[str, Any]:
    """Summarise how police.uk points were read, for ``meta["points_reconciliation"]``.

    Parameters
    ----------
    res
        :func:`hotspots.io.read_police_uk`'s result.

    Returns
    -------
    dict
        ``rows_read``, ``rows_kept``, ``rows_rejected`` (``{reason kind: rows}``;
        reasons that name a row are grouped by their kind, e.g. "duplicate Crime
        ID") and ``rows_without_location``.
    """
    kinds = res.rejected["reason"].astype(str).str.replace(r"\s+[0-9a-f]{8}….*$", "",
                                                           regex=True)
    reasons = kinds.value_counts().sort_index()
    return {
        "rows_read": int(res.rows_read),
        "rows_kept": int(len(res.frame)),
        "rows_rejected": {str(k): int(v) for k, v in reasons.items()},
        "rows_without_location": int(res.frame["x"].isna().sum()),
    }


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






def _name_crs_flag(text: str) -> str:
    """Name the command-line flag beside the Python argument in a CRS fix."""
    return re.sub(r'pass assume_crs=("?)([^"\s)]+)\1',
                  r"pass --assume-crs \2 on the command line (assume_crs=\1\2\1 in Python)",
                  text)


@dataclass(frozen=True)
class Pack:
    """Everything one map needs, loaded and reconciled.

    Attributes
    ----------
    folder
        Where the pack was read from (``None`` when assembled in memory).
    meta
        Metadata: title, vintage, sources, attribution, placement basis,
        ``synthetic_referrals``.
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
        ``meta["points_boroughs"]`` names the boroughs the points cover (the
        patrol study area) and ``meta["points_source"]`` says where they are from.
    """

    folder: Path | None
    meta: dict[str, Any]
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


@dataclass(frozen=True)
class Selection:
    """What the user asked to see (small and hashable: a cache key).

    Attributes
    ----------
    measure
        Key from :func:`measure_options`, e.g. ``"crime:all"``,
        ``"crime:major:BURGLARY"``, ``"crime:minor:BURGLARY|BURGLARY - RESIDENTIAL"``,
        ``"referrals:all"``, ``"referrals:category:County Lines"``.
    month_from, month_to
        Inclusive ``YYYY-MM`` bounds.
    rate
        ``"count"`` or ``"per_1000"`` residents.
    suppress_below
        Referral counts from 1 to ``suppress_below - 1`` are hidden.
    boroughs
        Limit the table to these borough names (empty = every area).
    """

    measure: str = "crime:all"
    month_from: str = "0000-01"
    month_to: str = "9999-12"
    rate: RateKind = "count"
    suppress_below: int = privacy.DEFAULT_THRESHOLD
    boroughs: tuple[str, ...] = ()


@dataclass(frozen=True)
class WardTable:
    """One row per area for a selection, and what the page prints around it."""

    frame: gpd.GeoDataFrame
    spearman: stats.SpearmanResult
    reconciliation: pd.DataFrame
    label: str
    period_label: str
    selection: Selection
    is_synthetic: bool
    is_sensitive: bool
    n_records: int

    @property
    def is_empty(self) -> bool:
        """True when no record falls in the selection."""
        return self.n_records == 0


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
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    areas = _read_areas(folder / meta.get("area_layer", "wards.geojson"))
    crime = pd.read_csv(folder / "crime_ward_month.csv.gz",
                        dtype={"area_code": str, "month": str, "major": str, "minor": str,
                               "count": "int64"})
    _, crime_rec = join.codes_to_areas(crime, areas, code_col="area_code",
                                       source="Recorded crime (ward x offence x month rows)")
    population = pd.read_csv(folder / "population.csv", dtype={"area_code": str})
    imd = pd.read_csv(folder / "imd_wards.csv", dtype={"area_code": str})

    report = Report()
    recs = [crime_rec]
    notes = [meta.get("crime_note", "")]
    unassigned = [crime_rec.details]
    referrals = _empty_referrals()
    if meta.get("referrals_file"):
        mapping = io.load_mapping(folder / meta["referrals_mapping"])
        res = io.read_referrals(folder / meta["referrals_file"], mapping)
        report.extend(res.report)
        label = "Referrals (SYNTHETIC)" if meta.get("synthetic_referrals") else "Referrals"
        assigned, rec = join.locate_records(res.frame, areas, source=label, rejected=res.rejected)
        recs.append(rec)
        notes.append("placed by " + meta.get("placement", {}).get("referrals", "ward"))
        unassigned.append(rec.details)
        referrals = assigned[["area_code", "month", "category", "count"]].copy()
    rec_frame = join.reconciliation_frame(recs)
    rec_frame["note"] = notes
    points = None
    if meta.get("points_file"):
        points = point_records(pd.read_csv(folder / meta["points_file"], dtype=_POINT_DTYPES,
                                           keep_default_na=False, na_values={"x": [""], "y": [""]}))
    return Pack(
        folder=folder,
        meta=meta,
        areas=areas,
        crime=crime,
        crime_coverage=frozenset(crime["area_code"].unique()),
        referrals=referrals,
        population=population[["area_code", "population"]],
        imd=imd,
        reconciliations=rec_frame,
        unassigned=pd.concat(unassigned, ignore_index=True),
        problems=report.to_frame() if len(report) else pd.DataFrame(columns=REPORT_COLUMNS),
        points=points,
    )


def _empty_referrals() -> pd.DataFrame:
    return pd.DataFrame({"area_code": pd.Series(dtype=str), "month": pd.Series(dtype=str),
                         "category": pd.Series(dtype=str), "count": pd.Series(dtype="int64")})


# --------------------------------------------------------------------------- measures


def measure_options(pack: Pack) -> dict[str, str]:
    """Return the measures a pack offers, ``key -> label``, in display order.

    Parameters
    ----------
    pack
        A loaded pack.

    Returns
    -------
    dict
        Keys as in :class:`Selection` and human labels.
    """
    opts: dict[str, str] = {}
    if len(pack.crime):
        opts["crime:all"] = "All recorded crime"
        for major in sorted(pack.crime["major"].unique()):
            opts[f"crime:major:{major}"] = _title(major)
        pairs = pack.crime[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
        for major, minor in pairs.itertuples(index=False):
            opts[f"crime:minor:{major}|{minor}"] = f"{_title(major)}: {_title(minor)}"
    if len(pack.referrals):
        tag = " (SYNTHETIC)" if pack.meta.get("synthetic_referrals") else ""
        opts["referrals:all"] = f"All referrals{tag}"
        for cat in sorted(pack.referrals["category"].dropna().unique()):
            opts[f"referrals:category:{cat}"] = f"Referrals: {cat}{tag}"
    return opts


def _title(s: str) -> str:
    small = {"and", "of", "the", "in", "on", "from", "to", "by"}
    words = str(s).lower().split()
    return " ".join(w if (i and w in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _select_records(pack: Pack, sel: Selection) -> tuple[pd.DataFrame, str, frozenset[str] | None]:
    family, _, rest = sel.measure.partition(":")
    if family == "crime":
        df, coverage = pack.crime, pack.crime_coverage
        if rest.startswith("major:"):
            df = df[df["major"] == rest[6:]]
        elif rest.startswith("minor:"):
            major, _, minor = rest[6:].partition("|")
            df = df[(df["major"] == major) & (df["minor"] == minor)]
        elif rest != "all":
            raise ValueError(f"Unknown crime measure {sel.measure!r}; see measure_options().")
    elif family == "referrals":
        df, coverage = pack.referrals, None
        if rest.startswith("category:"):
            df = df[df["category"] == rest[9:]]
        elif rest != "all":
            raise ValueError(f"Unknown referral measure {sel.measure!r}; see measure_options().")
    else:
        raise ValueError(
            f"Unknown measure {sel.measure!r}: it must start with 'crime:' or 'referrals:'."
        )
    df = df[(df["month"] >= sel.month_from) & (df["month"] <= sel.month_to)]
    return df, family, coverage


def period_label(month_from: str, month_to: str) -> str:
    """Return e.g. ``"Apr 2025 to Mar 2026 (12 months)"`` for two ``YYYY-MM`` months."""
    a, b = pd.Period(month_from, "M"), pd.Period(month_to, "M")
    n = (b - a).n + 1
    return f"{a.strftime('%b %Y')} to {b.strftime('%b %Y')} ({n} month{'s' if n != 1 else ''})"


def ward_table(pack: Pack, sel: Selection) -> WardTable:
    """Build the ward table for one selection.

    Parameters
    ----------
    pack
        A loaded pack.
    sel
        Measure, period, rate and suppression threshold.

    Returns
    -------
    WardTable
        ``frame`` columns: ``area_code``, ``area_name``, ``borough_name``,
        ``count`` (NaN = no data for this area), ``population``,
        ``rate_per_1000``, ``value``, ``rank`` (1 = highest, competition
        ranking), ``has_data``, ``imd_score``, ``imd_rank``, ``imd_decile``,
        ``imd_share_20pct``, ``suppressed``, ``count_display``,
        ``value_display``, ``rate_display`` and ``geometry`` (EPSG:27700).

    Raises
    ------
    ValueError
        For an unknown measure key or a month range that runs backwards.
    """
    if sel.month_from > sel.month_to:
        raise ValueError(f"The period runs backwards: {sel.month_from} is after {sel.month_to}.")
    records, family, coverage = _select_records(pack, sel)
    areas = pack.areas
    if sel.boroughs:
        unknown = sorted(set(sel.boroughs) - set(areas["borough_name"].dropna()))
        if unknown:
            raise ValueError(f"Unknown borough(s) {unknown}; see the pack's borough names.")
        areas = areas[areas["borough_name"].isin(sel.boroughs)].reset_index(drop=True)
        records = records[records["area_code"].isin(areas["area_code"])]
    counts = join.count_by_area(records, areas, weight="count")
    t = areas.merge(counts, on="area_code", how="left")
    has_data = (
        t["area_code"].isin(coverage) if coverage is not None else pd.Series(True, index=t.index)
    )
    t["count"] = t["count"].astype(float).where(has_data)
    t = t.merge(pack.population, on="area_code", how="left")
    pop = pd.to_numeric(t["population"], errors="coerce").astype(float)
    t["population"] = pop
    t["rate_per_1000"] = (t["count"] / pop.where(pop > 0) * 1000).astype(float)
    t["value"] = t["count"] if sel.rate == "count" else t["rate_per_1000"]
    t["has_data"] = has_data.to_numpy() & t["value"].notna().to_numpy()
    t["rank"] = stats.competition_rank(t["value"])
    imd_all = ("imd_score", "imd_rank", "imd_decile", "imd_share_10pct", "imd_share_20pct")
    imd_cols = [c for c in imd_all if c in pack.imd]
    t = t.merge(pack.imd[["area_code", *imd_cols]], on="area_code", how="left")
    for c in imd_all:  # always present: NaN when the pack has no deprivation data
        if c not in t:
            t[c] = float("nan")

    sensitive = family == "referrals"
    t["suppressed"] = (
        privacy.suppressed_mask(t["count"], threshold=sel.suppress_below)
        if sensitive else pd.Series(False, index=t.index)
    ).to_numpy()
    t["count_display"] = privacy.display_counts(
        t["count"], threshold=sel.suppress_below, sensitive=sensitive).to_numpy()
    t["rate_display"] = privacy.display_values(
        t["rate_per_1000"], t["suppressed"], decimals=1, threshold=sel.suppress_below).to_numpy()
    t["value_display"] = t["count_display"] if sel.rate == "count" else t["rate_display"]
    # A rank would reveal the order of suppressed small counts: not ranked.
    t["rank"] = t["rank"].where(~t["suppressed"].astype(bool))
    no_pop = t["has_data"].to_numpy() & t["value"].isna().to_numpy()
    t.loc[no_pop, "value_display"] = "no population"

    rho = stats.spearman(t["value"], t["imd_score"])
    labels = measure_options(pack)
    src = "Recorded crime" if family == "crime" else "Referrals"
    recon = pack.reconciliations[pack.reconciliations["source"].str.startswith(src)]
    frame = gpd.GeoDataFrame(t, geometry="geometry", crs=areas.crs)
    return WardTable(
        frame=frame,
        spearman=rho,
        reconciliation=recon.reset_index(drop=True),
        label=f"{labels.get(sel.measure, sel.measure)}, {RATE_LABELS[sel.rate].lower()}",
        period_label=period_label(sel.month_from, sel.month_to),
        selection=sel,
        is_synthetic=sensitive and bool(pack.meta.get("synthetic_referrals")),
        is_sensitive=sensitive,
        # Records in the areas shown (areas the source does not cover are "no data").
        n_records=int(t["count"].sum(skipna=True)) if len(records) else 0,
    )


def table_for_export(wt: WardTable) -> pd.DataFrame:
    """Return the ward table as plain columns safe to export (suppressed, no geometry).

    Parameters
    ----------
    wt
        A ward table.

    Returns
    -------
    DataFrame
        Ranked rows with display strings in place of suppressed numbers and
        spreadsheet formulas neutralised.
    """
    f = wt.frame.drop(columns="geometry")
    hidden = f["suppressed"].to_numpy().astype(bool)
    t = wt.selection.suppress_below
    # Plain numbers (no thousands separators) for spreadsheets; suppressed cells as "<t".
    count = f["count"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    rate = f["rate_per_1000"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    f = f.assign(count=count.where(~hidden, f"<{t}"), rate_per_1000=rate.where(~hidden, f"<{t}"))
    cols = ["rank", "area_code", "area_name", "borough_name", "count", "population",
            "rate_per_1000", "imd_score", "imd_rank", "imd_decile", "imd_share_20pct", "has_data"]
    out = f[[c for c in cols if c in f]].copy()
    if wt.is_sensitive:
        # The rank of a suppressed ward would reveal its order among small counts.
        out["rank"] = out["rank"].where(~hidden)
    out = out.sort_values(["rank", "area_code"], na_position="last", kind="stable")
    return privacy.safe_for_spreadsheet(out.reset_index(drop=True))


__all__ = [
    "Pack", "Selection", "WardTable", "load_pack", "measure_options", "ward_table",
    "table_for_export", "period_label",
]


def assemble_pack(
    areas_path: Path | str,
    *,
    layer: str | None = None,
    police_uk: Path | str | None = None,
    mps: Path | str | None = None,
    referrals: Path | str | None = None,
    mapping: Path | str | None = None,
    population: Path | str | None = None,
    imd: Path | str | None = None,
    assume_crs: str | None = None,
) -> Pack:
    """Assemble a pack from individual files (what the CLI and uploads use).

    Parameters
    ----------
    areas_path
        Boundary file (GPKG, GeoJSON, shapefile; any CRS).
    layer
        Layer name in a multi-layer file.
    police_uk
        police.uk street CSV, folder of months, or archive zip; points are
        placed in areas spatially.
    mps
        MPS-layout ward crime file; rows placed by ward code.
    referrals, mapping
        Partner referral spreadsheet and its column mapping (JSON).
    population
        CSV with ``area_code`` and ``population``.
    imd
        CSV with ``area_code`` and ``imd_*`` columns (e.g. a pack's ``imd_wards.csv``).
    assume_crs
        CRS of a boundary file that has none (``--assume-crs`` on the command
        line).

    Returns
    -------
    Pack
        With a reconciliation row per source. police.uk points placed in an area
        outside the covered boroughs are counted *outside* (status
        :data:`STATUS_OUTSIDE_COVERAGE`), so the table sums to *assigned*.

    Raises
    ------
    CRSError
        The boundary file has no usable CRS; the message names both the
        ``--assume-crs`` flag and the ``assume_crs=`` argument.
    """
    try:
        areas, area_report = read_boundaries(areas_path, layer=layer, assume_crs=assume_crs)
    except CRSError as exc:
        raise CRSError(_name_crs_flag(str(exc))) from exc
    areas = areas[AREA_COLUMNS].sort_values("area_code").reset_index(drop=True)
    report = Report()
    report.extend(area_report)
    recs: list[join.Reconciliation] = []
    notes: list[str] = []
    crime_parts: list[pd.DataFrame] = []
    coverage: set[str] = set()
    points = None
    meta: dict[str, Any] = {"title": "Files from the command line", "vintage": str(areas_path),
                            "synthetic_referrals": False, "attribution": "", "placement": {}}
    if police_uk is not None:
        res = io.read_police_uk(police_uk)
        report.extend(res.report)
        points = point_records(res.frame)
        placed = place_police_uk(
            [(f"Recorded crime: police.uk ({Path(police_uk).name})", res)], areas)
        (a, rec), = placed.files
        covered, cov = placed.boroughs, placed.coverage
        coverage |= placed.covered_areas
        recs.append(rec)
        meta.update(points_source=f"police.uk street-level crime ({Path(police_uk).name})",
                    points_boroughs=list(covered), points_reconciliation=points_reconciliation(res),
                    points_note=POLICE_UK_POINTS_NOTE)
        notes.append(f"placed by police.uk's anonymised snap points; {cov.rule}; "
                     f"{rec.outside:,} rows outside (of which "
                     f"{int((rec.details['status'] == STATUS_OUTSIDE_COVERAGE).sum()):,} in "
                     "wards outside the covered boroughs); areas elsewhere are 'no data'")
        a = a.assign(major=a["category"], minor=a["category"], count=1)
        crime_parts.append(a[["area_code", "month", "major", "minor", "count"]])
    if mps is not None:
        res = io.read_met_ward_crime(mps)
        report.extend(res.report)
        a, rec = join.codes_to_areas(res.frame, areas, code_col="area_code",
                                     source=f"Recorded crime: MPS ward file ({Path(mps).name})",
                                     rejected=res.rejected)
        recs.append(rec)
        notes.append("rows = ward x offence x month cells with a count; wards not in the file "
                     "are 'no data'")
        coverage |= set(a["area_code"])
        crime_parts.append(a[["area_code", "month", "major", "minor", "count"]])
    crime = (
        pd.concat(crime_parts, ignore_index=True)
        .groupby(["area_code", "month", "major", "minor"], as_index=False)["count"].sum()
        if crime_parts
        else pd.DataFrame(columns=["area_code", "month", "major", "minor", "count"])
    )
    refs = _empty_referrals()
    if referrals is not None:
        if mapping is None:
            raise InputDataError(
                f"{referrals}: a referral file needs a column mapping (--mapping mapping.json)."
            )
        res = io.read_referrals(referrals, io.load_mapping(mapping))
        report.extend(res.report)
        a, rec = join.locate_records(res.frame, areas, source=f"Referrals ({Path(referrals).name})",
                                     rejected=res.rejected)
        recs.append(rec)
        notes.append("")
        refs = a[["area_code", "month", "category", "count"]].copy()
    pop = (
        pd.read_csv(population, dtype={"area_code": str})[["area_code", "population"]]
        if population is not None
        else pd.DataFrame({"area_code": areas["area_code"], "population": float("nan")})
    )
    imd_df = (
        pd.read_csv(imd, dtype={"area_code": str})
        if imd is not None
        else pd.DataFrame({"area_code": areas["area_code"]})
    )
    rec_frame = join.reconciliation_frame(recs)
    rec_frame["note"] = notes
    unassigned = [r.details for r in recs]
    return Pack(
        folder=None,
        meta=meta,
        areas=areas,
        crime=crime,
        crime_coverage=frozenset(coverage),
        referrals=refs,
        population=pop,
        imd=imd_df,
        reconciliations=rec_frame,
        unassigned=(pd.concat(unassigned, ignore_index=True) if unassigned
                    else pd.DataFrame(columns=["source", "source_row", "status", "reason"])),
        problems=report.to_frame(),
        points=points,
    )
