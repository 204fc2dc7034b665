"""An uploaded boundary file (bytes) read into the standard area layer.

GDAL reads from disk, so the upload is written to a temporary folder that is
deleted before :func:`read_boundary_upload` returns; a zip is unpacked there,
never outside it, through :class:`hotspots.io.SafeZip` (bounded size and
compression ratio, streamed: a "zip bomb" is refused before it fills memory or
disk).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio

from boundaries.load import ANALYSIS_CRS, AREA_COLUMNS, read_boundaries
from hotspots._errors import CRSError, InputDataError, UploadError, hide_folder
from hotspots._validate import Report
from hotspots.io import SafeZip
from hotspots.io.mappings import safe_file_name
from hotspots.io.uploads import named_error

__all__ = ["BOUNDARY_SUFFIXES", "MAX_BOUNDARY_BYTES", "read_boundary_upload"]

#: Files in a zip that hold boundaries.
BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
#: Most bytes a boundary zip may unpack to (all of England and Wales' LSOAs, full
#: resolution, are about 1 GiB as a shapefile).
MAX_BOUNDARY_BYTES = 1536 * 1024**2


def read_boundary_upload(
    name: str, data: bytes, *, assume_crs: str | None = None
) -> tuple[gpd.GeoDataFrame, Report]:
    """Read an uploaded boundary file into the standard area layer (EPSG:27700).

    Parameters
    ----------
    name
        File name: ``.gpkg``, ``.geojson``/``.json``, or ``.zip`` holding a
        shapefile (``.shp`` with ``.shx``, ``.dbf`` and ``.prj``), a GeoPackage
        or a GeoJSON.
    data
        The file's bytes (written to a temporary folder that is deleted).
    assume_crs
        CRS to use when the file has none.

    Returns
    -------
    areas : geopandas.GeoDataFrame
        ``area_code``, ``area_name``, ``borough_code``, ``borough_name``,
        ``geometry``, sorted by code.
    report : Report
        What was detected and repaired.

    Raises
    ------
    UploadError
        Empty or unreadable file, unknown layout, no CRS (the fix names
        ``assume_crs``), or blank / repeated area codes.
    """
    if not data:
        raise UploadError("boundary", name, f"{name} is empty (0 bytes). Export the "
                          "boundaries again.")
    with tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        path = _boundary_path(name, data, Path(tmp))
        try:
            areas, report = read_boundaries(path, assume_crs=assume_crs,
                                            **_standard_columns(path))
        except CRSError as exc:
            text = re.sub(r'pass assume_crs=("[^"]+")', r"choose \1 as the file's CRS",
                          named_error(name, exc))
            raise UploadError("boundary", name, hide_folder(text, tmp)) from exc
        except (InputDataError, FileNotFoundError) as exc:
            raise UploadError("boundary", name,
                              hide_folder(named_error(name, exc), tmp)) from exc
    if report.errors():
        raise UploadError("boundary", name, f"{name} cannot be used as an area layer:\n"
                          f"{report.to_text(severity='error', limit=10)}")
    areas = areas[AREA_COLUMNS].sort_values("area_code").reset_index(drop=True)
    return gpd.GeoDataFrame(areas, geometry="geometry", crs=ANALYSIS_CRS), report


def _boundary_path(name: str, data: bytes, tmp: Path) -> Path:
    """Write the upload (unzipping a zip safely) and return the file to read."""
    if data[:4] != b"PK\x03\x04":
        path = tmp / safe_file_name(name, Path(name).suffix.lower() or ".gpkg")
        path.write_bytes(data)
        return path
    try:
        with SafeZip(data, name, max_bytes=MAX_BOUNDARY_BYTES) as archive:
            for member in archive.names():
                if member.startswith("__MACOSX/"):
                    continue
                target = (tmp / Path(member).name).resolve()
                if target.parent != tmp.resolve() or target.name.startswith("."):
                    continue  # never write outside the temporary folder
                archive.extract(member, target)
    except InputDataError as exc:
        raise UploadError("boundary", name, named_error(name, exc)) from exc
    found = sorted(p for p in tmp.iterdir() if p.suffix.lower() in BOUNDARY_SUFFIXES)
    if not found:
        raise UploadError("boundary", name, f"{name} holds no boundary file (.shp, .gpkg or "
                          ".geojson). Zip the shapefile's .shp, .shx, .dbf and .prj together.")
    shp = [p for p in found if p.suffix.lower() == ".shp"]
    return shp[0] if shp else found[0]


def _standard_columns(path: Path) -> dict[str, str]:
    """Name the columns of a layer already in the pack's standard form."""
    try:
        fields = set(pyogrio.read_info(path)["fields"])
    except Exception:  # noqa: BLE001 - read_boundaries reports unreadable files itself
        return {}
    if "area_code" not in fields:
        return {}
    given = {"code_col": "area_code", "name_col": "area_name",
             "parent_code_col": "borough_code", "parent_name_col": "borough_name"}
    return {k: v for k, v in given.items() if v in fields}
