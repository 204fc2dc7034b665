"""Tests for boundaries.vintages, boundaries.load, boundaries.web and boundaries.lookups.

Every fixture is drawn by hand in EPSG:27700 around (530000, 180000) (central London),
so the answers (areas, assignments, gaps) can be checked on paper.
"""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, Polygon, box

from boundaries import load
from boundaries.load import read_boundaries
from boundaries.lookups import assign_best_fit, read_lsoa_ward_lookup
from boundaries.vintages import VINTAGES, detect_vintage
from boundaries.web import coverage_gaps, geojson_bytes, round_polygons, web_layer
from hotspots._errors import ColumnMappingError, CRSError, EmptyInputError, InputDataError

X0, Y0 = 530_000.0, 180_000.0
DEMO_WARDS = Path(__file__).resolve().parents[1] / "data" / "demo" / "wards.geojson"

# The GLA LSOA 2011 shapefile's .prj: ESRI-style WKT that pyproj cannot match to an
# EPSG code at default confidence (scale factor 0.999601272 vs 0.9996012717).
ESRI_BNG_WKT = (
    'PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",'
    'SPHEROID["Airy_1830",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",400000.0],PARAMETER["False_Northing",-100000.0],'
    'PARAMETER["Central_Meridian",-2.0],PARAMETER["Scale_Factor",0.999601272],'
    'PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]'
)


def sq(i: float, j: float, size: float = 100.0) -> Polygon:
    """Return the 100 m square in column ``i``, row ``j`` of a grid at (X0, Y0)."""
    return box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)


def ward_frame(geoms: list, codes: list[str] | None = None, crs: str | None = "EPSG:27700"
               ) -> gpd.GeoDataFrame:
    """Return an ONS-2025-ward-like layer."""
    codes = codes or [f"E0500000{k}" for k in range(1, len(geoms) + 1)]
    return gpd.GeoDataFrame(
        {"WD25CD": codes, "WD25NM": [f"Ward {c[-1]}" for c in codes],
         "LAD25CD": "E09000033", "LAD25NM": "Westminster", "extra": 1.5},
        geometry=geoms, crs=crs,
    )


def grid2x2() -> gpd.GeoDataFrame:
    """Return four 100 m wards in a 2 x 2 grid."""
    return ward_frame([sq(0, 0), sq(1, 0), sq(0, 1), sq(1, 1)])


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs: object) -> Path:
    """Write a layer with pyogrio and return the path (no-CRS layers on purpose)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        frame.to_file(path, engine="pyogrio", **kwargs)
    return path


# --------------------------------------------------------------------------- vintages


@pytest.mark.parametrize(
    ("columns", "key"),
    [
        (["WD25CD", "WD25NM", "LAD25CD", "LAD25NM", "geometry"], "ons_wards_2025"),
        (["NAME", "GSS_CODE", "DISTRICT", "LAGSSCODE", "HECTARES"], "gla_wards_2018"),
        (["Name", "GSS_Code", "LB_GSS_Code", "Borough"], "gla_wards_2014"),
        (["LSOA11CD", "LSOA11NM", "LAD11CD", "LAD11NM", "USUALRES"], "lsoa_2011"),
        (["LSOA11CD", "LSOA11NM", "BNG_E"], "lsoa_2011"),
        (["LSOA21CD", "LSOA21NM", "MSOA21CD", "LAD22CD", "LAD22NM"], "lsoa_2021"),
        (["fid", "GSS", "ward_code", "ward_name", "borough", "population"], "gla_imd_wards_2018"),
        (["LAD22NM", "LAD22CD"], "lad_2022"),
    ],
    ids=["ons2025", "gla2018", "gla2014", "lsoa2011", "lsoa2011-no-parent", "lsoa2021-not-lad",
         "gla-imd", "lad2022"],
)
def test_detect_vintage(columns: list[str], key: str) -> None:
    assert detect_vintage(columns) == key


def test_registry_entries_are_complete() -> None:
    assert set(VINTAGES) == {"ons_wards_2025", "gla_wards_2018", "gla_wards_2014", "lsoa_2011",
                             "lsoa_2021", "gla_imd_wards_2018", "lad_2022", "hotspots_areas"}
    v = VINTAGES["gla_imd_wards_2018"]
    assert (v.code_col, v.name_col, v.parent_code_col, v.parent_name_col) == (
        "ward_code", "ward_name", None, "borough")
    # Every published layout has a year; the project's own layout takes the pack's vintage.
    assert all(v.year and v.source for k, v in VINTAGES.items() if k != "hotspots_areas")
    assert VINTAGES["hotspots_areas"].year == 0 and VINTAGES["hotspots_areas"].source


def test_detect_vintage_unknown_lists_layouts_and_fix() -> None:
    with pytest.raises(ColumnMappingError, match="Unknown boundary layout") as info:
        detect_vintage(["code", "label", "geometry"])
    message = str(info.value)
    assert "ons_wards_2025: WD25CD, WD25NM, LAD25CD, LAD25NM" in message
    assert "code_col=" in message and "[code, label]" in message


def test_detect_vintage_ambiguous() -> None:
    with pytest.raises(ColumnMappingError, match="Ambiguous.*gla_wards_2014, gla_wards_2018"):
        detect_vintage(["GSS_CODE", "NAME", "GSS_Code", "Name"])


# --------------------------------------------------------------------------- read_boundaries


def test_read_gpkg_standard_columns(tmp_path: Path) -> None:
    path = write(grid2x2(), tmp_path / "wards.gpkg")
    areas, report = read_boundaries(path)
    assert list(areas.columns) == ["area_code", "area_name", "borough_code", "borough_name",
                                   "vintage", "geometry"]
    assert areas.crs.to_epsg() == 27700
    assert areas["area_code"].tolist() == ["E05000001", "E05000002", "E05000003", "E05000004"]
    assert areas["area_code"].dtype == "str"
    assert (areas["borough_name"] == "Westminster").all()
    assert (areas["vintage"] == "ons_wards_2025").all()
    assert areas.area.tolist() == [10_000.0] * 4
    assert not report.errors()
    assert "layout 'ons_wards_2025'" in report.to_text()


def test_read_geojson_lonlat_is_reprojected(tmp_path: Path) -> None:
    path = write(grid2x2().to_crs("EPSG:4326"), tmp_path / "wards.geojson")
    areas, report = read_boundaries(path)
    assert areas.crs.to_epsg() == 27700
    np.testing.assert_allclose(areas.area, 10_000.0, rtol=1e-6)
    np.testing.assert_allclose(areas.total_bounds, [X0, Y0, X0 + 200, Y0 + 200], atol=0.01)
    assert "reprojected from EPSG:4326" in report.to_text()


def test_read_without_parent_columns_gives_missing_borough(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"LAD22CD": ["E09000001", "E09000002"],
                              "LAD22NM": ["City of London", "Barking"]},
                             geometry=[sq(0, 0), sq(1, 0)], crs="EPSG:27700")
    areas, _ = read_boundaries(write(frame, tmp_path / "lad.gpkg"))
    assert areas["vintage"].iat[0] == "lad_2022"
    assert areas["borough_code"].isna().all() and areas["borough_name"].isna().all()


def test_explicit_columns(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"code": ["A1", "A2"], "label": ["North", "South"],
                              "boro": ["B", "B"]},
                             geometry=[sq(0, 0), sq(0, 1)], crs="EPSG:27700")
    path = write(frame, tmp_path / "custom.gpkg")
    areas, _ = read_boundaries(path, code_col="code", name_col="label", parent_name_col="boro")
    assert areas[["area_code", "area_name", "borough_name"]].values.tolist() == [
        ["A1", "North", "B"], ["A2", "South", "B"]]
    assert areas["borough_code"].isna().all()
    assert (areas["vintage"] == "custom").all()
    only_code, report = read_boundaries(path, code_col="code")
    assert only_code["area_name"].tolist() == ["A1", "A2"]
    assert "codes are used as names" in report.to_text()


def test_explicit_column_not_found(tmp_path: Path) -> None:
    path = write(grid2x2(), tmp_path / "wards.gpkg")
    with pytest.raises(ColumnMappingError, match=r"wards.gpkg: column\(s\) 'WD24NM' not found"):
        read_boundaries(path, name_col="WD24NM")


def test_unknown_layout_names_file(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=[sq(0, 0)], crs="EPSG:27700")
    with pytest.raises(ColumnMappingError, match=r"odd.gpkg: Unknown boundary layout.*"):
        read_boundaries(write(frame, tmp_path / "odd.gpkg"))


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.gpkg"):
        read_boundaries(tmp_path / "nope.gpkg")


@pytest.mark.parametrize(
    ("to_crs", "fix"),
    [(None, 'assume_crs="EPSG:27700"'), ("EPSG:4326", 'assume_crs="EPSG:4326"')],
    ids=["bng-coordinates", "lonlat-coordinates"],
)
def test_missing_crs_names_file_and_fix(tmp_path: Path, to_crs: str | None, fix: str) -> None:
    frame = grid2x2() if to_crs is None else grid2x2().to_crs(to_crs)
    path = write(frame.set_crs(None, allow_override=True), tmp_path / "nocrs.shp")
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(CRSError, match=r"nocrs.shp has no coordinate reference system") as info:
        read_boundaries(path)
    assert fix in str(info.value)
    areas, report = read_boundaries(path, assume_crs=fix.split('"')[1])
    assert areas.crs.to_epsg() == 27700
    np.testing.assert_allclose(areas.area, 10_000.0, rtol=1e-6)
    assert "the file has no CRS; using assume_crs" in report.to_text()


def test_missing_crs_unrecognisable_coordinates(tmp_path: Path) -> None:
    frame = ward_frame([box(5e6, 5e6, 5e6 + 100, 5e6 + 100)], crs=None)
    with pytest.raises(CRSError, match=r'neither longitude/latitude.*assume_crs="EPSG:<code>"'):
        read_boundaries(write(frame, tmp_path / "far.shp"))


def test_ambiguous_esri_bng_accepted_with_warning(tmp_path: Path) -> None:
    path = write(grid2x2(), tmp_path / "esri.shp")
    path.with_suffix(".prj").write_text(ESRI_BNG_WKT)
    areas, report = read_boundaries(path)
    assert areas.crs.to_epsg() == 27700
    warnings = [p.what for p in report if p.severity == "warning"]
    assert any("closest match is EPSG:27700" in w and "treated as EPSG:27700" in w
               for w in warnings)


def test_ambiguous_crs_outside_bng_is_refused(tmp_path: Path) -> None:
    frame = ward_frame([box(2e6, 3e6, 2e6 + 100, 3e6 + 100)])
    path = write(frame, tmp_path / "esri_far.shp")
    path.with_suffix(".prj").write_text(ESRI_BNG_WKT)
    with pytest.raises(CRSError, match=r"esri_far.shp: the CRS .* is ambiguous.*assume_crs="):
        read_boundaries(path)


def test_ambiguous_custom_crs_is_refused(tmp_path: Path) -> None:
    path = write(grid2x2(), tmp_path / "custom_crs.shp")
    path.with_suffix(".prj").write_text(ESRI_BNG_WKT.replace("-2.0", "-7.5").replace(
        "0.999601272", "0.95"))
    with pytest.raises(CRSError, match=r"ambiguous.*move points by up to") as info:
        read_boundaries(path)
    assert 'assume_crs="EPSG:27700"' in str(info.value)


@pytest.mark.parametrize(
    ("declared", "coords", "fix"),
    [("EPSG:4326", "bng", 'assume_crs="EPSG:27700"'),
     ("EPSG:27700", "lonlat", 'assume_crs="EPSG:4326"')],
    ids=["lonlat-crs-metre-coords", "bng-crs-degree-coords"],
)
def test_crs_mix_up(tmp_path: Path, declared: str, coords: str, fix: str) -> None:
    frame = grid2x2() if coords == "bng" else grid2x2().to_crs("EPSG:4326")
    frame = frame.set_crs(declared, allow_override=True)
    path = write(frame, tmp_path / "mixup.gpkg")
    with pytest.raises(CRSError, match="mixup.gpkg: CRS mix-up") as info:
        read_boundaries(path)
    assert fix in str(info.value)


def test_assume_crs_overrides_wrong_declared_crs(tmp_path: Path) -> None:
    frame = grid2x2().set_crs("EPSG:4326", allow_override=True)
    areas, report = read_boundaries(write(frame, tmp_path / "wrong.gpkg"),
                                    assume_crs="EPSG:27700")
    assert areas.crs.to_epsg() == 27700
    assert areas.area.tolist() == [10_000.0] * 4
    assert "assume_crs=EPSG:27700 overrides it" in report.to_text()


def test_duplicate_and_blank_codes(tmp_path: Path) -> None:
    frame = ward_frame([sq(0, 0), sq(1, 0), sq(2, 0), sq(3, 0)],
                       codes=["E05000001", "E05000002", "E05000001", "E0500000X"])
    frame.loc[3, "WD25CD"] = "  "
    with pytest.raises(InputDataError, match="cannot be used") as info:
        read_boundaries(write(frame, tmp_path / "dups.gpkg"))
    errors = info.value.report.errors()
    texts = [(p.row, p.what) for p in errors]
    assert (4, "area code E05000001 appears 2 times (rows 2, 4)") in texts
    assert (5, "blank area code") in texts
    assert "E05000001 appears 2 times" in str(info.value)


def test_non_polygon_geometries_are_errors_with_rows(tmp_path: Path) -> None:
    frame = ward_frame([sq(0, 0), Point(X0, Y0), LineString([(X0, Y0), (X0 + 5, Y0 + 5)])])
    with pytest.raises(InputDataError, match=r"row 3.*Point geometry, not a polygon") as info:
        read_boundaries(write(frame, tmp_path / "mixed.geojson"))
    rows = {p.row: p.what for p in info.value.report.errors()}
    assert sorted(rows) == [3, 4]
    assert "LineString" in rows[4]


def test_missing_geometry_is_an_error(tmp_path: Path) -> None:
    frame = ward_frame([sq(0, 0), None])
    with pytest.raises(InputDataError, match="E05000002 has no geometry"):
        read_boundaries(write(frame, tmp_path / "nogeom.gpkg"))


def test_bow_tie_repaired_and_reported(tmp_path: Path) -> None:
    bow_tie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    assert not bow_tie.is_valid
    frame = ward_frame([sq(-1, 0), bow_tie])
    areas, report = read_boundaries(write(frame, tmp_path / "bowtie.gpkg"))
    assert areas.is_valid.all()
    fixed = areas.geometry.iat[1]
    assert fixed.geom_type == "MultiPolygon" and fixed.area == pytest.approx(5_000.0)
    (warning,) = [p for p in report if p.severity == "warning"]
    assert warning.row == 3
    assert "make_valid: E05000002 (Ward 2): Self-intersection" in warning.what


def test_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(EmptyInputError, match="empty.geojson has no features"):
        read_boundaries(path)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "zero.gpkg"
    path.write_bytes(b"")
    with pytest.raises(EmptyInputError, match=r"zero.gpkg is empty \(0 bytes\)"):
        read_boundaries(path)


def test_multi_layer_gpkg_needs_layer(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    write(grid2x2(), path, layer="wards")
    write(grid2x2().iloc[:2], path, layer="merged", mode="a")
    with pytest.raises(InputDataError, match=r"two.gpkg has 2 layers: wards, merged.*layer="):
        read_boundaries(path)
    areas, _ = read_boundaries(path, layer="merged")
    assert len(areas) == 2
    with pytest.raises(InputDataError, match=r"no layer 'other'. Its layers are: wards, merged"):
        read_boundaries(path, layer="other")


# --------------------------------------------------------------------------- web layer


def zigzag_pair() -> gpd.GeoDataFrame:
    """Return two 200 m x 200 m areas sharing a wiggly edge (5 m zigzags every 10 m)."""
    ys = np.arange(0, 201, 10.0)
    xs = 200 + np.where(np.arange(len(ys)) % 2 == 1, 5.0, 0.0)
    edge = [(X0 + x, Y0 + y) for x, y in zip(xs, ys, strict=True)]
    left = Polygon([(X0, Y0), *edge, (X0, Y0 + 200)])
    right = Polygon([*edge, (X0 + 400, Y0 + 200), (X0 + 400, Y0)])
    return gpd.GeoDataFrame({"area_code": ["A", "B"], "area_name": ["Left", "Right"],
                             "borough_name": ["X", "X"], "other": [1, 2]},
                            geometry=[left, right], crs="EPSG:27700", index=[10, 20])


def test_web_layer_output_contract() -> None:
    areas = zigzag_pair()
    assert shapely.coverage_is_valid(areas.geometry.values)
    web = web_layer(areas)
    assert web.crs.to_epsg() == 4326
    assert list(web.columns) == ["area_code", "area_name", "borough_name", "geometry"]
    assert web.index.tolist() == [10, 20]
    coords = shapely.get_coordinates(web.geometry.values)
    np.testing.assert_array_equal(coords, np.round(coords, 5))
    assert web.is_valid.all()
    assert shapely.get_num_coordinates(web.geometry.values).sum() < \
        shapely.get_num_coordinates(areas.geometry.values).sum()
    assert coverage_gaps(web) < 0.01
    assert shapely.coverage_is_valid(web.geometry.values)
    assert areas.columns.tolist() == ["area_code", "area_name", "borough_name", "other",
                                      "geometry"]  # input untouched


def test_web_layer_keep_and_precision() -> None:
    web = web_layer(zigzag_pair(), keep=("area_code",), precision=3, tolerance_m=0)
    assert list(web.columns) == ["area_code", "geometry"]
    coords = shapely.get_coordinates(web.geometry.values)
    np.testing.assert_array_equal(coords, np.round(coords, 3))


def test_web_layer_missing_column_and_no_crs() -> None:
    with pytest.raises(ColumnMappingError, match="column.s. ward not in the layer.*keep="):
        web_layer(zigzag_pair(), keep=("area_code", "ward"))
    with pytest.raises(CRSError, match="no CRS"):
        web_layer(zigzag_pair().set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="tolerance_m"):
        web_layer(zigzag_pair(), tolerance_m=-1)


@pytest.mark.parametrize(
    ("depth", "tolerance", "removed"),
    [(15.0, 20.0, True), (45.0, 20.0, False), (45.0, 30.0, True)],
    ids=["300m2-at-20m", "900m2-at-20m", "900m2-at-30m"],
)
def test_tolerance_is_sqrt_of_triangle_area(depth: float, tolerance: float, removed: bool) -> None:
    # A notch 40 m wide: triangle area = 40 * depth / 2 (300 or 900 m²).
    # coverage_simplify removes it when area <= tolerance ** 2 (400 or 900 m²).
    notch = Polygon([(X0, Y0), (X0 + 480, Y0), (X0 + 500, Y0 + depth), (X0 + 520, Y0),
                     (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)])
    layer = gpd.GeoDataFrame({"area_code": ["A"]}, geometry=[notch], crs="EPSG:27700")
    web = web_layer(layer, tolerance_m=tolerance, keep=("area_code",))
    assert bool(shapely.get_num_coordinates(web.geometry.iat[0]) == 5) is removed


def test_round_polygons_repairs_collapsed_spike() -> None:
    # The spike is 3e-6 degrees wide: rounding to 5 dp collapses it onto a line.
    spike = Polygon([(0, 0), (1, 0), (1, 1), (0.500004, 1), (0.500004, 1.5),
                     (0.500001, 1.5), (0.500001, 1), (0, 1)])
    assert spike.is_valid
    naive = shapely.transform(spike, lambda c: np.round(c, 5))
    assert not naive.is_valid
    (out,) = round_polygons(np.array([spike], dtype=object), precision=5)
    assert out.is_valid and out.geom_type in ("Polygon", "MultiPolygon")
    assert out.area == pytest.approx(1.0)
    coords = shapely.get_coordinates(out)
    np.testing.assert_array_equal(coords, np.round(coords, 5))


def test_coverage_gaps_hand_counted() -> None:
    clean = gpd.GeoDataFrame(geometry=[sq(0, 0), sq(1, 0)], crs="EPSG:27700")
    assert coverage_gaps(clean) == pytest.approx(0.0, abs=1e-6)
    overlap = gpd.GeoDataFrame(geometry=[sq(0, 0), box(X0 + 99, Y0, X0 + 200, Y0 + 100)],
                               crs="EPSG:27700")
    assert coverage_gaps(overlap) == pytest.approx(100.0)  # 1 m x 100 m
    ring = gpd.GeoDataFrame(geometry=[sq(i, j) for i in range(3) for j in range(3)
                                      if (i, j) != (1, 1)], crs="EPSG:27700")
    assert coverage_gaps(ring) == pytest.approx(10_000.0)  # the missing middle square
    assert coverage_gaps(ring.to_crs("EPSG:4326")) == pytest.approx(10_000.0, rel=1e-6)


def test_geojson_bytes() -> None:
    web = web_layer(zigzag_pair())
    assert geojson_bytes(web) == len(web.to_json(drop_id=True).encode("utf-8"))
    assert geojson_bytes(web) > 100


# --------------------------------------------------------------------------- lookups


def test_read_lsoa_ward_lookup_bom_and_gzip(tmp_path: Path) -> None:
    text = ("\ufeffLSOA21CD,LSOA21NM,LSOA21NMW,WD25CD,WD25NM,WD25NMW,LAD25CD,LAD25NM,ObjectId\n"
            "E01000001,City 001A,,E05009288,Aldersgate,,E09000001,City of London,1\n"
            "E01000002,City 001B,,E05009289,Aldgate,,E09000001,City of London,2\n")
    path = tmp_path / "lookup.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    lookup = read_lsoa_ward_lookup(path)
    assert lookup.columns.tolist() == ["lsoa_code", "area_code", "area_name", "borough_code",
                                       "borough_name"]
    assert lookup.iloc[0].tolist() == ["E01000001", "E05009288", "Aldersgate", "E09000001",
                                       "City of London"]


def test_read_lsoa_ward_lookup_cp1252_and_wd18(tmp_path: Path) -> None:
    path = tmp_path / "wd18.csv"
    path.write_bytes("LSOA11CD,LSOA11NM,WD18CD,WD18NM,LAD18CD,LAD18NM,FID\n"
                     "E01000001,A,E05000001,Saint-Éloi,E09000001,B,1\n".encode("cp1252"))
    lookup = read_lsoa_ward_lookup(path)
    assert lookup["area_name"].iat[0] == "Saint-Éloi"


def test_read_lsoa_ward_lookup_errors(tmp_path: Path) -> None:
    bad = tmp_path / "conflict.csv"
    bad.write_text("LSOA11CD,WD18CD\nE01000001,E05000001\nE01000001,E05000002\n"
                   "E01000002,E05000001\nE01000002,E05000001\n")
    with pytest.raises(InputDataError, match=r"E01000001 is assigned to several wards"):
        read_lsoa_ward_lookup(bad)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,ward\nE01000001,E05000001\n")
    with pytest.raises(ColumnMappingError, match="not an LSOA → ward lookup"):
        read_lsoa_ward_lookup(wrong)


def two_wards() -> gpd.GeoDataFrame:
    """Return wards A (west) and B (east), 100 m squares sharing the edge x = X0 + 100."""
    return gpd.GeoDataFrame({"area_code": ["A", "B"]}, geometry=[sq(0, 0), sq(1, 0)],
                            crs="EPSG:27700")


def small_layer(geoms: dict[str, Polygon]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"area_code": list(geoms)}, geometry=list(geoms.values()),
                            crs="EPSG:27700")


def test_assign_best_fit_by_point_on_surface() -> None:
    small = small_layer({
        "s_inside_b": box(X0 + 120, Y0 + 10, X0 + 180, Y0 + 40),
        "s_on_edge": box(X0 + 50, Y0, X0 + 150, Y0 + 100),  # point on surface (X0+100, Y0+50)
        "s_outside": box(X0 + 300, Y0, X0 + 320, Y0 + 20),  # point (X0+310, Y0+10): 110 m from B
        "s_inside_a": box(X0 + 10, Y0 + 10, X0 + 40, Y0 + 40),
    })
    assert small.representative_point().iat[1].equals(Point(X0 + 100, Y0 + 50))
    out, report = assign_best_fit(small, two_wards())
    assert out.to_dict("list") == {
        "small_code": ["s_inside_b", "s_on_edge", "s_outside", "s_inside_a"],
        "area_code": ["B", "A", "B", "A"],
        "method": ["point_on_surface", "point_on_surface", "nearest", "point_on_surface"],
    }
    text = report.to_text()
    assert "s_on_edge has its point on surface on the boundary of A, B; assigned to A" in text
    assert "s_outside lies outside every area" in text and "110 m" in text
    assert "assigned to the nearest area B" in text


def test_assign_best_fit_overlapping_areas_lowest_code() -> None:
    areas = gpd.GeoDataFrame({"area_code": ["Z", "M"]}, geometry=[sq(0, 0), sq(0, 0)],
                             crs="EPSG:27700")
    out, report = assign_best_fit(small_layer({"s": box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20)}),
                                  areas)
    assert out["area_code"].tolist() == ["M"]
    assert "inside several overlapping areas M, Z; assigned to M" in report.to_text()


def test_assign_best_fit_nearest_tie_is_lowest_code() -> None:
    areas = gpd.GeoDataFrame({"area_code": ["Q", "P"]},
                             geometry=[sq(0, 0), sq(2, 0)], crs="EPSG:27700")
    gap = box(X0 + 140, Y0 + 40, X0 + 160, Y0 + 60)  # centred between the two, 40 m from each
    out, _ = assign_best_fit(small_layer({"g": gap}), areas)
    assert out[["area_code", "method"]].values.tolist() == [["P", "nearest"]]


def test_assign_best_fit_largest_overlap() -> None:
    small = small_layer({
        "mostly_a": box(X0 + 20, Y0, X0 + 130, Y0 + 100),  # 80 m in A, 30 m in B
        "even": box(X0 + 50, Y0, X0 + 150, Y0 + 100),  # 50 / 50: lowest code
        "outside": box(X0 + 300, Y0, X0 + 320, Y0 + 20),
    })
    out, report = assign_best_fit(small, two_wards(), method="largest_overlap")
    assert out["area_code"].tolist() == ["A", "A", "B"]
    assert out["method"].tolist() == ["largest_overlap", "largest_overlap", "nearest"]
    assert "even overlaps equally A, B; assigned to A" in report.to_text()


def test_assign_best_fit_errors() -> None:
    small = small_layer({"s": box(X0, Y0, X0 + 10, Y0 + 10)})
    with pytest.raises(ValueError, match="method must be one of point_on_surface"):
        assign_best_fit(small, two_wards(), method="centroid")  # type: ignore[arg-type]
    with pytest.raises(CRSError, match="CRS mismatch: small is EPSG:3857, areas is EPSG:27700"):
        assign_best_fit(small.set_crs("EPSG:3857", allow_override=True), two_wards())
    with pytest.raises(CRSError, match="longitude/latitude"):
        assign_best_fit(small.to_crs("EPSG:4326"), two_wards().to_crs("EPSG:4326"))
    with pytest.raises(CRSError, match="'areas' has no CRS"):
        assign_best_fit(small, two_wards().set_crs(None, allow_override=True))
    with pytest.raises(ColumnMappingError, match="'small' has no 'area_code' column"):
        assign_best_fit(small.rename(columns={"area_code": "code"}), two_wards())
    with pytest.raises(EmptyInputError, match="'small' has no rows"):
        assign_best_fit(small.iloc[:0], two_wards())
    twice = pd.concat([small, small], ignore_index=True)
    with pytest.raises(InputDataError, match="area_code s appears more than once"):
        assign_best_fit(twice, two_wards())


def test_web_layer_warns_on_broken_coverage() -> None:
    overlapping = gpd.GeoDataFrame({"area_code": ["A", "B"]},
                                   geometry=[sq(0, 0), box(X0 + 90, Y0, X0 + 200, Y0 + 100)],
                                   crs="EPSG:27700")
    with pytest.warns(UserWarning, match="not a clean coverage"):
        web = web_layer(overlapping, keep=("area_code",))
    assert web.is_valid.all()


def test_web_layer_keeps_duplicate_index_labels() -> None:
    areas = zigzag_pair()
    areas.index = [7, 7]
    web = web_layer(areas)
    assert web.index.tolist() == [7, 7] and web["area_code"].tolist() == ["A", "B"]


def test_the_projects_own_area_layer_reads_back():
    """A pack's wards.geojson (our own column names) is a known layout, so the CLI takes it."""
    from pathlib import Path

    from boundaries.load import read_boundaries

    path = Path(__file__).resolve().parents[1] / "data" / "demo" / "wards.geojson"
    areas, _ = read_boundaries(path)
    assert len(areas) == 704 and areas.crs.to_epsg() == 27700
    assert areas["area_code"].str.match(r"^E05\d{6}$").all()
    assert set(areas["borough_name"]) >= {"City of London", "Camden"}


def test_overlapping_areas_reported_and_a_point_in_the_overlap_counted_once(tmp_path):
    """Issue 15: overlapping polygons were not detected. Two of the demo pack's wards,
    one grown by 100 m into its neighbours: the overlap is reported with the rule, and a
    point inside both is counted once (lowest code), as geopandas.sjoin would list it twice."""
    from hotspots.areas import join

    wards = gpd.read_file(DEMO_WARDS)
    wards = wards[wards["borough_name"] == "Hackney"].to_crs("EPSG:27700").reset_index(drop=True)
    grown = wards.copy()
    big = grown["area_code"] == grown["area_code"].max()
    grown.loc[big, "geometry"] = grown.loc[big, "geometry"].buffer(100.0)
    path = tmp_path / "overlap.gpkg"
    grown.to_file(path, driver="GPKG")
    areas, report = read_boundaries(path)
    text = report.to_text()
    assert "pair(s) of areas overlap" in text and "counted once" in text
    (problem,) = [p for p in report if "overlap" in p.what]
    pairs = load.overlapping_areas(areas)
    assert problem.count == len(pairs) and len(pairs) >= 2
    grown_code = grown.loc[big, "area_code"].iloc[0]
    assert ((pairs["code_a"] == grown_code) | (pairs["code_b"] == grown_code)).all()
    # an independent count of the overlaps: neighbours the grown ward now covers > 1 m²
    inter = grown.loc[~big].intersection(grown.loc[big, "geometry"].iloc[0]).area
    assert len(pairs) == int((inter > 1.0).sum())
    # a point inside the first overlap lies in two wards (sjoin lists it twice) ...
    first = pairs.iloc[0]
    ga = areas.set_index("area_code").geometry
    pt = ga[first["code_a"]].intersection(ga[first["code_b"]]).representative_point()
    pts = pd.DataFrame({"x": [pt.x], "y": [pt.y], "source": ["p.csv"], "source_row": [2]})
    hits = gpd.sjoin(gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts.x, pts.y),
                                      crs="EPSG:27700"), areas, predicate="intersects")
    assert len(hits) == 2
    # ... and is counted once, in the lower code
    assigned, rec = join.points_to_areas(pts, areas, crs="EPSG:27700")
    assert rec.assigned == 1 and assigned["area_code"].tolist() == [first["code_a"]]


def test_demo_wards_have_no_overlap():
    areas, report = read_boundaries(DEMO_WARDS)
    assert load.overlapping_areas(areas).empty
    assert not any("overlap" in p.what for p in report)
