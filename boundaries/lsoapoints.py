"""One point inside every LSOA of England and Wales, 2011 and 2021: LSOA codes on any layer.

A referral sheet may give an LSOA code instead of a ward. To place it in *any*
area layer (the pack's wards or boundaries the user uploads) the dashboard
needs to know where each LSOA is: the table shipped in
``boundaries/data/lsoa_points.csv.gz`` holds, for every 2011 and every 2021
LSOA of England and Wales, a point on its surface (British National Grid
metres, rounded to the metre) and which censuses' LSOA sets the code belongs to
(``2011``, ``2021`` or ``2011+2021``; about 95% of codes are in both).

An LSOA is then placed in the area containing its point, the same best-fit rule
(point on surface) the pack uses for its deprivation roll-up
(:func:`boundaries.lookups.assign_best_fit`). ``python -m boundaries.lsoapoints
LSOA11.gpkg LSOA21.gpkg`` rebuilds the table byte for byte from ONS's
generalised (BGC) boundaries; sources and SHA-256 are in
``boundaries/data/PROVENANCE.md``.
"""

from __future__ import annotations

import argparse
import gzip
import io
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["LSOA_POINTS_COLUMNS", "LSOA_POINTS_PATH", "build_lsoa_points", "lsoa_points"]

LSOA_POINTS_PATH = Path(__file__).resolve().parent / "data" / "lsoa_points.csv.gz"
LSOA_POINTS_COLUMNS = ["lsoa_code", "vintage", "easting", "northing"]


def _points(path: Path | str, code_col: str) -> pd.DataFrame:
    layer = gpd.read_file(path, columns=[code_col]).to_crs("EPSG:27700")
    pts = shapely.point_on_surface(np.asarray(layer.geometry.array, dtype=object))
    return pd.DataFrame({"lsoa_code": layer[code_col].astype(str).str.strip().to_numpy(),
                         "easting": np.round(shapely.get_x(pts)).astype("int64"),
                         "northing": np.round(shapely.get_y(pts)).astype("int64")})


def build_lsoa_points(lsoa11: Path | str, lsoa21: Path | str) -> pd.DataFrame:
    """Build the table from ONS 2011 and 2021 LSOA boundaries (any CRS).

    Parameters
    ----------
    lsoa11, lsoa21
        Boundary files with ``LSOA11CD`` / ``LSOA21CD``.

    Returns
    -------
    pandas.DataFrame
        :data:`LSOA_POINTS_COLUMNS`, one row per code, sorted by code. A code
        in both sets takes its 2021 point.
    """
    p11, p21 = _points(lsoa11, "LSOA11CD"), _points(lsoa21, "LSOA21CD")
    both = set(p11["lsoa_code"]) & set(p21["lsoa_code"])
    p21["vintage"] = np.where(p21["lsoa_code"].isin(both), "2011+2021", "2021")
    p11 = p11[~p11["lsoa_code"].isin(both)].assign(vintage="2011")
    out = pd.concat([p11, p21], ignore_index=True)
    return out.sort_values("lsoa_code").reset_index(drop=True)[LSOA_POINTS_COLUMNS]


@cache
def lsoa_points() -> pd.DataFrame:
    """Return the shipped table (cached; treat as read-only).

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``vintage`` (``"2011"``, ``"2021"`` or ``"2011+2021"``),
        ``easting``, ``northing`` (EPSG:27700 metres).
    """
    return pd.read_csv(LSOA_POINTS_PATH, dtype={"lsoa_code": str, "vintage": str,
                                                "easting": "int64", "northing": "int64"})


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``boundaries/data/lsoa_points.csv.gz`` from ONS's LSOA boundaries."""
    parser = argparse.ArgumentParser(prog="python -m boundaries.lsoapoints",
                                     description=main.__doc__)
    parser.add_argument("lsoa11", type=Path, help="LSOA 2011 boundaries (LSOA11CD)")
    parser.add_argument("lsoa21", type=Path, help="LSOA 2021 boundaries (LSOA21CD)")
    parser.add_argument("--out", type=Path, default=LSOA_POINTS_PATH)
    args = parser.parse_args(argv)
    text = build_lsoa_points(args.lsoa11, args.lsoa21).to_csv(index=False, lineterminator="\n")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode("utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(buf.getvalue())
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
