"""Choropleth maps, tested on the returned folium.Map and its rendered HTML."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots._errors import CRSError
from hotspots.maps.assets import LEAFLET_CSS_URL, LEAFLET_JS_URL, MAP_SYNC_JS_URL
from hotspots.maps.choropleths import choropleth, legend_html
from hotspots.maps.classify import MASKED_COLOUR, NO_DATA_COLOUR, ZERO_COLOUR, classify
from hotspots.maps.palettes import palette
from hotspots.maps.web import BASEMAPS

EVIL = "<script>alert(1)</script>"
TOOLTIP = {"area_name": "Ward", "borough_name": "Borough", "value_display": "Value", "rank": "Rank"}


@pytest.fixture()
def wards() -> gpd.GeoDataFrame:
    """A 3 x 3 grid of 1 km squares in central London, two boroughs, one without data."""
    cells = [box(530000 + i * 1000, 180000 + j * 1000, 531000 + i * 1000, 181000 + j * 1000)
             for j in range(3) for i in range(3)]
    names = [EVIL, "O'Brien & Sons", "Ward C", "Ward D", "Ward E", "Ward F", "Ward G",
             "Ward H", "Ward I"]
    values = [0.0, 1.0, 2.0, 5.0, 8.0, 13.0, 21.0, np.nan, np.nan]
    gdf = gpd.GeoDataFrame(
        {
            "area_code": [f"E0500000{i}" for i in range(9)],
            "area_name": names,
            "borough_name": ["Alpha"] * 6 + ["<b>Beta</b>"] * 3,
            "value": values,
        },
        geometry=cells,
        crs="EPSG:27700",
    ).to_crs("EPSG:4326")
    gdf["value_display"] = gdf["value"].map(lambda v: "no data" if np.isnan(v) else f"{v:.0f}")
    gdf["rank"] = gdf["value"].rank(ascending=False, method="min")
    return gdf


@pytest.fixture()
def boroughs(wards) -> gpd.GeoDataFrame:
    return wards.dissolve("borough_name", as_index=False)[["borough_name", "geometry"]]


def _build(wards, boroughs=None, **kw):
    c = classify(wards["value"], scheme="user_defined", bins=[1, 5, 10], integer=True)
    m = choropleth(wards, value_col="value", classification=c, palette="YlOrRd",
                   tooltip_fields=TOOLTIP, borough_outlines=boroughs, **kw)
    return m, c


def _geojson_layers(m: folium.Map) -> list[folium.GeoJson]:
    return [ch for ch in m._children.values() if isinstance(ch, folium.GeoJson)]


def _walk(el):
    yield el
    for ch in getattr(el, "_children", {}).values():
        yield from _walk(ch)


def test_no_external_scripts_css_or_tiles(wards, boroughs):
    m, _ = _build(wards, boroughs, title="All crime")
    page = m.get_root().render()
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert urls == [LEAFLET_JS_URL, MAP_SYNC_JS_URL, LEAFLET_CSS_URL]  # all the app's own
    assert "http://" not in " ".join(urls) and "https://" not in " ".join(urls)
    assert "tileLayer" not in page and not any(
        isinstance(e, folium.TileLayer) for e in _walk(m)
    )
    # What st_folium loads: every default_js/default_css in the tree, one after another.
    js = [src for e in _walk(m) for _, src in getattr(e, "default_js", [])]
    css = [href for e in _walk(m) for _, href in getattr(e, "default_css", [])]
    assert js == [LEAFLET_JS_URL, MAP_SYNC_JS_URL] and css == [LEAFLET_CSS_URL]


def test_class_level_cdn_lists_untouched(wards):
    before_js, before_css = list(folium.Map.default_js), list(folium.Map.default_css)
    _build(wards)
    assert folium.Map.default_js == before_js and folium.Map.default_css == before_css
    assert folium.Map().default_js[0][1].startswith("https://")


def test_osm_basemap_is_the_only_external_request(wards):
    m, _ = _build(wards, basemap="osm")
    page = m.get_root().render()
    assert "tile.openstreetmap.org" in page
    assert re.findall(r'<script[^>]+src="([^"]+)"', page) == [LEAFLET_JS_URL, MAP_SYNC_JS_URL]
    assert "osm" in BASEMAPS and "internet" in BASEMAPS["osm"]


def test_unknown_basemap(wards):
    with pytest.raises(ValueError, match=r"basemap must be one of \['none', 'osm'\]"):
        _build(wards, basemap="google")


def test_one_feature_per_area_with_minimal_properties(wards, boroughs):
    m, _ = _build(wards, boroughs)
    ward_layer, outline_layer = _geojson_layers(m)
    feats = ward_layer.data["features"]
    assert len(feats) == len(wards)
    assert [f["id"] for f in feats] == wards["area_code"].tolist()
    assert all(set(f["properties"]) == set(TOOLTIP) for f in feats)
    assert all(f["properties"] == {} for f in outline_layer.data["features"])
    assert len(outline_layer.data["features"]) == 2


def test_tooltip_text_is_escaped(wards):
    m, _ = _build(wards, title="Crime <b>bold</b>", badge="SYNTHETIC <i>x</i>")
    feats = _geojson_layers(m)[0].data["features"]
    assert feats[0]["properties"]["area_name"] == html.escape(EVIL)
    assert feats[1]["properties"]["area_name"] == "O&#x27;Brien &amp; Sons"
    assert feats[7]["properties"]["borough_name"] == "&lt;b&gt;Beta&lt;/b&gt;"
    page = m.get_root().render()
    assert EVIL not in page and "alert(1)" in page
    assert "<b>bold</b>" not in page and "<i>x</i>" not in page
    assert "textContent" in page  # titles are set as text, never parsed as HTML


def test_no_data_shown_as_text_and_grey(wards):
    m, _ = _build(wards)
    feats = _geojson_layers(m)[0].data["features"]
    assert feats[7]["properties"]["value_display"] == "no data"
    assert feats[7]["properties"]["rank"] == "no data"
    assert feats[2]["properties"]["rank"] == "5"


def test_colours_match_classes(wards):
    m, c = _build(wards)
    layer = _geojson_layers(m)[0]
    cols = palette("YlOrRd", c.k)
    expected = [cols[i] if i >= 0 else NO_DATA_COLOUR for i in c.class_index]
    got = [layer.style_function(f)["fillColor"] for f in layer.data["features"]]
    assert got == expected
    assert c.class_index.tolist() == [0, 0, 1, 1, 2, 3, 3, -1, -1]
    page = m.get_root().render()
    for colour in {*expected}:
        assert colour in page


def test_masked_areas_drawn_in_masked_colour(wards):
    masked = wards["value"].between(1, 4)
    c = classify(wards["value"], k=3, integer=True, masked=masked, masked_label="Suppressed")
    m = choropleth(wards, value_col="value", classification=c, palette="Purples",
                   tooltip_fields=TOOLTIP)
    layer = _geojson_layers(m)[0]
    fills = [layer.style_function(f)["fillColor"] for f in layer.data["features"]]
    assert fills[1] == fills[2] == MASKED_COLOUR
    assert fills[7] == NO_DATA_COLOUR


def test_fits_bounds_to_data(wards):
    m, _ = _build(wards)
    page = m.get_root().render()
    west, south, east, north = wards.total_bounds
    assert "fitBounds" in page
    fit = re.search(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", page)
    assert fit is not None
    assert np.allclose([float(x) for x in fit.groups()], [south, west, north, east])


def test_outlines_not_interactive(wards, boroughs):
    m, _ = _build(wards, boroughs)
    outline = _geojson_layers(m)[1]
    assert outline.options.get("interactive") is False
    style = outline.style_function(outline.data["features"][0])
    assert style["fill"] is False and style["weight"] < 2


def test_reprojects_other_crs_and_refuses_missing_crs(wards):
    c = classify(wards["value"], k=3)
    m = choropleth(wards.to_crs("EPSG:27700"), value_col="value", classification=c,
                   palette="Blues", tooltip_fields=TOOLTIP)
    coords = _geojson_layers(m)[0].data["features"][0]["geometry"]["coordinates"]
    assert -1 < np.asarray(coords[0]).ravel()[0] < 1  # longitude, not easting
    with pytest.raises(CRSError, match="no CRS"):
        choropleth(wards.set_crs(None, allow_override=True), value_col="value",
                   classification=c, palette="Blues", tooltip_fields=TOOLTIP)


def test_misaligned_inputs_refused(wards):
    c = classify(wards["value"].reset_index(drop=True).iloc[:5], k=3)
    with pytest.raises(ValueError, match="not aligned"):
        choropleth(wards, value_col="value", classification=c, palette="Blues",
                   tooltip_fields=TOOLTIP)
    good = classify(wards["value"], k=3)
    with pytest.raises(ValueError, match="columns missing"):
        choropleth(wards, value_col="value", classification=good, palette="Blues",
                   tooltip_fields={"nope": "Nope"})
    with pytest.raises(ValueError, match="palette has 2 colours"):
        choropleth(wards, value_col="value", classification=good, palette=["#000", "#fff"],
                   tooltip_fields=TOOLTIP)
    other = classify(wards["value"].fillna(0), k=3)
    with pytest.raises(ValueError, match="'no data' areas differ"):
        choropleth(wards, value_col="value", classification=other, palette="Blues",
                   tooltip_fields=TOOLTIP)


def test_legend_html_has_each_label_escaped(wards):
    c = classify(wards["value"], scheme="user_defined", bins=[1, 5, 10], integer=True)
    out = legend_html(c, "YlOrRd", title="Crimes in <Ward>", note="Scheme & k")
    for label in c.labels:
        assert html.escape(label) in out
    assert c.labels[-1] == "No data (2)"
    assert "Crimes in &lt;Ward&gt;" in out and "Scheme &amp; k" in out
    for colour in (*palette("YlOrRd", c.k), NO_DATA_COLOUR):
        assert f"background:{colour}" in out
    assert "<script" not in out


def test_empty_layer_still_builds():
    empty = gpd.GeoDataFrame(
        {"area_code": [], "value": pd.Series([], dtype=float), "area_name": []},
        geometry=[], crs="EPSG:4326",
    )
    c = classify(empty["value"])
    m = choropleth(empty, value_col="value", classification=c, palette="Blues",
                   tooltip_fields={"area_name": "Ward"})
    assert "leaflet.js" in m.get_root().render()


def test_input_frame_not_mutated(wards):
    before = wards.copy()
    _build(wards)
    pd.testing.assert_frame_equal(pd.DataFrame(wards.drop(columns="geometry")),
                                  pd.DataFrame(before.drop(columns="geometry")))


# --------------------------------------------------------------------------- offline assets


def test_static_assets_copied_once_and_repaired(tmp_path):
    from hotspots.maps.assets import (
        LEAFLET_FILES,
        VENDOR_SUBDIR,
        ensure_static_assets,
        leaflet_source_dir,
    )

    target = ensure_static_assets(tmp_path)
    assert target == tmp_path / VENDOR_SUBDIR
    for rel in LEAFLET_FILES:
        assert (target / rel).read_bytes() == (leaflet_source_dir() / rel).read_bytes()
    js = target / "leaflet.js"
    stamp = js.stat().st_mtime_ns
    ensure_static_assets(tmp_path)  # idempotent: nothing rewritten
    assert js.stat().st_mtime_ns == stamp
    js.write_text("broken")
    ensure_static_assets(tmp_path)  # a damaged copy is replaced
    assert js.read_bytes() == (leaflet_source_dir() / "leaflet.js").read_bytes()
    assert not [p for p in target.rglob(".*")]  # no temporary files left behind


def test_asset_urls_match_static_serving_paths():
    from hotspots.maps.assets import VENDOR_SUBDIR

    # Streamlit serves <app folder>/static/<path> at /app/static/<path>.
    assert LEAFLET_JS_URL == "/app/" + (VENDOR_SUBDIR / "leaflet.js").as_posix()
    assert LEAFLET_CSS_URL == "/app/" + (VENDOR_SUBDIR / "leaflet.css").as_posix()
    assert "1.9.3" in (Path(__import__("xstatic.pkg.leaflet", fromlist=["x"]).BASE_DIR)
                       / "leaflet.js").read_text()[:300]


# --------------------------------------------------------------------------- page panels


@pytest.fixture()
def ward_table(wards) -> pd.DataFrame:
    """A ward-table-like frame: referral counts with small ones suppressed."""
    count = pd.Series([0, 3, 1, 5, 8, 13, 21, np.nan, 2], index=wards.index)
    suppressed = count.between(1, 4)
    display = count.map(lambda v: "no data" if np.isnan(v) else f"{v:.0f}").where(~suppressed, "<5")
    return pd.DataFrame({
        "area_code": wards["area_code"], "value": count, "count": count,
        "rank": count.rank(ascending=False, method="min"), "value_display": display,
        "suppressed": suppressed, "imd_score": [10.0, 20, 30, 40, 50, 60, 70, np.nan, 80],
        "imd_rank": [8, 7, 6, 5, 4, 3, 2, np.nan, 1], "imd_decile": [10, 9, 8, 6, 5, 4, 2,
                                                                      np.nan, 1],
    })


def test_measure_panel_hides_small_counts(wards, ward_table):
    from hotspots.maps.panels import measure_panel
    from hotspots.maps.web import SYNTHETIC_BADGE

    web = wards[["area_code", "area_name", "borough_name", "geometry"]]
    p = measure_panel(web, ward_table, title="Referrals", value_label="Referrals",
                      integer=True, sensitive=True, threshold=5, k=3, synthetic=True)
    props = [f["properties"] for f in _geojson_layers(p.map)[0].data["features"]]
    assert [x["value_display"] for x in props] == ["0", "&lt;5", "&lt;5", "5", "8", "13", "21",
                                                   "no data", "&lt;5"]
    assert props[1]["rank_display"] == "not shown (small count)"
    assert props[3]["rank_display"] == "4"
    assert p.classification.n_masked == 3
    assert "Fewer than 5 (suppressed) (3)" in p.legend
    assert not re.search(r"[1-4] to [1-4] \(", p.legend)
    assert json.dumps(SYNTHETIC_BADGE) in p.map.get_root().render()


def _legend_rows(legend: str) -> list[tuple[str, str]]:
    return re.findall(r'background:(#[0-9a-f]{6});[^>]*></span><span class="hs-legend-label">'
                      r"([^<]*)</span>", legend)


def test_measure_panel_zeros_are_white_and_first(wards, ward_table):
    from hotspots.maps.panels import measure_panel

    web = wards[["area_code", "area_name", "borough_name", "geometry"]]
    p = measure_panel(web, ward_table, title="Referrals", value_label="Referrals",
                      integer=True, sensitive=True, threshold=5, k=3)
    rows = _legend_rows(p.legend)
    assert rows[0] == (ZERO_COLOUR, "0 (1)")
    assert rows[1] == (MASKED_COLOUR, "Fewer than 5 (suppressed) (3)")
    assert all(colour in palette("YlOrRd", p.classification.k) for colour, _ in rows[2:-1])
    assert rows[-1] == (NO_DATA_COLOUR, "No data (1)")


def test_measure_panel_with_only_zeros_and_small_counts_says_too_little_to_map(wards):
    from hotspots.maps.panels import measure_panel

    web = wards[["area_code", "area_name", "borough_name", "geometry"]]
    count = pd.Series([0, 3, 1, 0, 0, 0, 0, 0, 2], index=wards.index, dtype=float)
    table = pd.DataFrame({"area_code": wards["area_code"], "value": count,
                          "rank": count.rank(ascending=False, method="min"),
                          "value_display": count.map(lambda v: f"{v:.0f}"),
                          "suppressed": count.between(1, 4)})
    p = measure_panel(web, table, title="Referrals", value_label="Referrals", integer=True,
                      sensitive=True, threshold=5, k=5)
    rows = _legend_rows(p.legend)
    assert rows == [(ZERO_COLOUR, "0 (6)"), (MASKED_COLOUR, "Fewer than 5 (suppressed) (3)")]
    assert "Too little data to map: every ward has 0 or fewer than 5 (suppressed)" in p.legend
    page = p.map.get_root().render()
    for hot in palette("YlOrRd", 3):  # no ward is drawn in a colour of the scale
        assert hot not in page


def test_measure_panel_crime_is_not_suppressed(wards, ward_table):
    from hotspots.maps.panels import measure_panel

    web = wards[["area_code", "area_name", "borough_name", "geometry"]]
    p = measure_panel(web, ward_table, title="Crime", value_label="Crimes", integer=True,
                      sensitive=False, threshold=5, k=3)
    assert p.classification.n_masked == 0 and "suppressed" not in p.legend
    assert "SYNTHETIC" not in p.map.get_root().render()


def test_imd_panel_legend_states_reference_and_falls_back_from_user_bins(wards, ward_table):
    from hotspots.maps.panels import imd_panel

    web = wards[["area_code", "area_name", "borough_name", "geometry"]]
    p = imd_panel(web, ward_table, scheme="user_defined", k=4, reference="London wards")
    assert p.classification.scheme == "quantiles" and p.classification.k == 4
    assert "relative to London wards" in p.legend and "No data (1)" in p.legend
    props = [f["properties"] for f in _geojson_layers(p.map)[0].data["features"]]
    assert props[0]["imd_rank_display"] == "8 of 8" and props[7]["imd_score_display"] == "no data"
    assert props[8]["imd_decile_display"] == "1"


# --------------------------------------------------------------------------- synced pair


def test_static_assets_write_the_map_sync_script(tmp_path):
    from hotspots.maps.assets import (
        MAP_SYNC_FILE,
        MAP_SYNC_JS,
        MAP_SYNC_JS_URL,
        ensure_static_assets,
    )

    ensure_static_assets(tmp_path)
    sync = tmp_path / MAP_SYNC_FILE
    assert sync.read_text(encoding="utf-8") == MAP_SYNC_JS
    assert MAP_SYNC_JS_URL == "/app/" + MAP_SYNC_FILE.as_posix()
    sync.write_text("broken")
    ensure_static_assets(tmp_path)  # a damaged copy is replaced
    assert sync.read_text(encoding="utf-8") == MAP_SYNC_JS
    # The script guards against the follower moving the leader back (a loop).
    assert "busy" in MAP_SYNC_JS and "window.hsSyncMaps" in MAP_SYNC_JS


def test_map_sync_script_is_a_committed_file_copied_byte_for_byte(tmp_path):
    import subprocess

    from hotspots.maps.assets import MAP_SYNC_FILE, MAP_SYNC_SOURCE, ensure_static_assets

    root = Path(__file__).resolve().parents[1]
    assert MAP_SYNC_SOURCE == root / "static" / "js" / "map_sync.js"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "static/js/map_sync.js"],
                             cwd=root, capture_output=True, text=True)
    assert tracked.returncode == 0 or not (root / ".git").exists(), tracked.stderr
    ensure_static_assets(tmp_path)
    assert (tmp_path / MAP_SYNC_FILE).read_bytes() == MAP_SYNC_SOURCE.read_bytes()
    assert "window.hsWardLayer" in MAP_SYNC_SOURCE.read_text(encoding="utf-8")


def test_synced_pair_moves_layers_and_loads_only_local_scripts(wards, ward_table):
    from hotspots.maps.assets import MAP_SYNC_JS_URL
    from hotspots.maps.panels import SyncedMaps, imd_panel, measure_panel, synced_pair

    web = wards.to_crs("EPSG:4326")
    left = measure_panel(web, ward_table, title="Referrals", value_label="Referrals",
                         integer=True, sensitive=True, threshold=5, k=3, borough_labels=True,
                         borough_outlines=web.dissolve("borough_name").reset_index()).map
    right = imd_panel(web, ward_table, k=3).map
    n_left, n_right = len(left._children), len(right._children)
    pair = synced_pair(left, right)
    assert isinstance(pair, SyncedMaps)
    # The right map's FitBounds is dropped: the pair starts on the left map's view.
    assert len(pair.m1._children) == n_left and len(pair.m2._children) == n_right - 1
    assert not left._children and not right._children  # moved, not copied
    page = pair.get_root().render()
    # Each map: one GeoJSON feature per ward (9), with the ward code as its id.
    m1, m2 = pair.m1.get_name(), pair.m2.get_name()
    assert f"hsSyncMaps([{m1}, {m2}]);" in page
    for code in wards["area_code"]:
        assert page.count(f'"id": "{code}"') == 2
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and all(s.startswith("/app/static/") for s in scripts), scripts
    assert MAP_SYNC_JS_URL in scripts and LEAFLET_JS_URL in scripts
    assert "cdn.jsdelivr" not in page and "https://" not in page.split("<body>")[0]
    assert "hs-borough-label" in page  # the label style travelled to the pair's header
    assert "\\u0026lt;5" in page  # suppressed tooltips kept ("&lt;5", JSON-escaped)


# --------------------------------------------------------------------------- classes


@pytest.mark.parametrize("k", [1, 3, 5, 7, 9])
@pytest.mark.parametrize("kind", ["gamma", "ties", "tiny", "two_values"])
def test_numpy_quantiles_and_equal_intervals_equal_mapclassify(kind, k):
    """The schemes computed without mapclassify give its bounds exactly (no tolerance)."""
    import warnings

    import mapclassify

    from hotspots.maps.classify import SCHEMES

    rng = np.random.default_rng(k)
    y = {"gamma": rng.gamma(2.0, 40.0, 704),
         "ties": rng.integers(0, 12, 704).astype(float),
         "tiny": rng.normal(0.0, 1e-3, 37),
         "two_values": np.array([3.0, 3.0, 3.0, 8.0])}[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        q_ref = mapclassify.Quantiles(y, k=k).bins
        e_ref = mapclassify.EqualInterval(y, k=k).bins
    q = SCHEMES["quantiles"].build(y, k, None).bins  # type: ignore[attr-defined]
    e = SCHEMES["equal_interval"].build(y, k, None).bins  # type: ignore[attr-defined]
    np.testing.assert_array_equal(q, q_ref)
    np.testing.assert_array_equal(e, e_ref)


def test_page_import_does_not_import_mapclassify():
    """mapclassify's import compiles numba code (~2 s): no scheme but user-defined pays it."""
    import subprocess
    import sys

    code = ("import sys, pandas as pd\n"
            "import ui.cache, ui.panels, ui.views, hotspots.maps\n"
            "from hotspots.maps.classify import classify\n"
            "classify(pd.Series([1.0, 2, 3, 9]), scheme='quantiles', k=3)\n"
            "classify(pd.Series([1.0, 2, 3, 9]), scheme='equal_interval', k=3)\n"
            "print('mapclassify' in sys.modules)\n"
            "classify(pd.Series([1.0, 2, 3, 9]), scheme='natural_breaks', k=2)\n"
            "print('mapclassify' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout.split()
    assert out == ["False", "False"]  # natural breaks: Fisher-Jenks in numpy (issue 18)


# --------------------------------------------------------------------------- static geometry


def _spec(page: str, fn: str) -> dict:
    """The JSON spec passed to ``hsWardLayer`` / ``hsOutlineLayer`` in a rendered page."""
    start = page.index(f"{fn}(")
    start = page.index("{", start)
    spec, _ = json.JSONDecoder().raw_decode(page[start:])
    return spec


def test_ward_geometry_file_holds_geometry_codes_and_names_only(wards):
    from hotspots.maps.arealayers import ward_geometry_json

    data = json.loads(ward_geometry_json(wards))
    feats = data["features"]
    assert [f["id"] for f in feats] == wards["area_code"].tolist()
    assert all(set(f["properties"]) == {"area_name", "borough_name"} for f in feats)
    assert feats[0]["properties"]["area_name"] == html.escape(EVIL)  # tooltip text, escaped
    assert all(f["geometry"]["type"] == "Polygon" for f in feats)
    dup = pd.concat([wards, wards.iloc[:1]])
    with pytest.raises(ValueError, match="unique, non-null 'area_code'"):
        ward_geometry_json(dup)
    with pytest.raises(CRSError, match="no CRS"):
        ward_geometry_json(wards.set_crs(None, allow_override=True))


def test_outline_geometry_file_is_lines_named_by_borough(boroughs):
    from hotspots.maps.arealayers import outline_geometry_json

    feats = json.loads(outline_geometry_json(boroughs))["features"]
    assert sorted(f["id"] for f in feats) == sorted(boroughs["borough_name"])
    assert all(f["properties"] == {} for f in feats)
    assert {f["geometry"]["type"] for f in feats} <= {"LineString", "MultiLineString"}


def test_static_geometry_written_once_per_content(tmp_path):
    from hotspots.maps.assets import GEO_SUBDIR, GEO_URL_PREFIX, write_static_geometry

    url = write_static_geometry(tmp_path, "wards", b'{"a": 1}')
    assert url.startswith(GEO_URL_PREFIX + "wards-") and url.endswith(".json")
    path = tmp_path / GEO_SUBDIR / url.rsplit("/", 1)[1]
    assert path.read_bytes() == b'{"a": 1}'
    mtime = path.stat().st_mtime_ns
    assert write_static_geometry(tmp_path, "wards", b'{"a": 1}') == url  # same content, same file
    assert path.stat().st_mtime_ns == mtime
    other = write_static_geometry(tmp_path, "wards", b'{"a": 2}')
    assert other != url and len(list((tmp_path / GEO_SUBDIR).iterdir())) == 2
    with pytest.raises(ValueError, match="letters, digits"):
        write_static_geometry(tmp_path, "../x", b"{}")


def test_geo_folder_is_ignored_by_git():
    ignore = (Path(__file__).resolve().parents[1] / ".gitignore").read_text(encoding="utf-8")
    assert "/static/vendor/" in ignore.splitlines()


def test_static_pair_sends_colours_and_tooltips_not_geometry(wards, ward_table, boroughs):
    from hotspots.maps.arealayers import GEOMETRY_PROPERTIES, StaticGeometry
    from hotspots.maps.assets import MAP_SYNC_JS, MAP_SYNC_JS_URL
    from hotspots.maps.panels import imd_panel, measure_panel, synced_pair

    web = wards[["area_code", "area_name", "borough_name", "geometry"]]
    geo = StaticGeometry("/app/static/vendor/geo/wards-x.json", GEOMETRY_PROPERTIES)
    lines = StaticGeometry("/app/static/vendor/geo/boroughs-y.json")
    left = measure_panel(web, ward_table, title="Referrals", value_label="Referrals",
                         integer=True, sensitive=True, threshold=5, k=3, borough_labels=True,
                         borough_outlines=boroughs, geometry=geo, outline_geometry=lines)
    right = imd_panel(web, ward_table, k=3, borough_outlines=boroughs, geometry=geo,
                      outline_geometry=lines)
    page = synced_pair(left.map, right.map).get_root().render()
    assert '"coordinates"' not in page  # no polygon or outline inline
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == [LEAFLET_JS_URL, MAP_SYNC_JS_URL]
    assert "window.hsWardLayer" in MAP_SYNC_JS and "window.hsOutlineLayer" in MAP_SYNC_JS
    spec = _spec(page, "hsWardLayer")
    assert spec["url"] == geo.url and spec["ids"] == wards["area_code"].tolist()
    # Names come from the file; the measure's values travel with the map, small counts hidden.
    assert spec["fields"] == ["area_name", "borough_name", "value_display", "rank_display"]
    assert set(spec["values"]) == {"value_display", "rank_display"}
    assert spec["values"]["value_display"] == ["0", "&lt;5", "&lt;5", "5", "8", "13", "21",
                                               "no data", "&lt;5"]
    assert spec["values"]["rank_display"][1] == "not shown (small count)"
    # Colours: the legend's classes (the 'no data' and suppressed wards in their own colours).
    fills = [spec["colours"][i] for i in spec["fill"]]
    assert fills[7] == NO_DATA_COLOUR and fills[1] == fills[2] == MASKED_COLOUR
    expected = [palette("YlOrRd", left.classification.k)[i]
                for i in left.classification.class_index.iloc[[3, 4, 5, 6]]]
    assert [fills[i] for i in (3, 4, 5, 6)] == expected
    assert fills[0] == ZERO_COLOUR  # the ward with 0: white, its own class
    outline = _spec(page, "hsOutlineLayer")
    assert outline["url"] == lines.url and sorted(outline["keep"]) == sorted(
        boroughs["borough_name"])


def test_static_layer_text_cannot_break_out_of_the_script(wards, ward_table):
    from hotspots.maps.arealayers import StaticGeometry
    from hotspots.maps.panels import measure_panel

    web = wards[["area_code", "area_name", "borough_name", "geometry"]]
    table = ward_table.assign(value_display=ward_table["value_display"].where(
        ward_table.index != 0, "</script><img src=x onerror=alert(1)>"))
    p = measure_panel(web, table, title="t", value_label="V", integer=True, sensitive=False,
                      threshold=5, geometry=StaticGeometry("/g.json"))
    page = p.map.get_root().render()
    assert "<img" not in page and "</script><" not in page.split("hsWardLayer", 1)[1][:5000]
    spec = _spec(page, "hsWardLayer")
    assert spec["values"]["value_display"][0] == html.escape(
        "</script><img src=x onerror=alert(1)>")
    assert spec["values"]["area_name"][0] == html.escape(EVIL)  # no file properties: inline


@pytest.mark.parametrize(("name", "short"), [
    ("Hammersmith and Fulham", "H&F"), ("Kensington and Chelsea", "K&C"),
    ("Barking and Dagenham", "B&D"), ("City of London", "City"),
    ("Richmond upon Thames", "Richmond"), ("Tower Hamlets", "Tower H."),
    ("Camden", "Camden"),
], ids=lambda v: v if isinstance(v, str) and " " not in v else None)
def test_short_borough_names(name, short):
    from hotspots.maps.arealayers import short_borough_name

    assert short_borough_name(name) == short


def test_borough_labels_biggest_first_with_short_names_and_declutter(wards):
    web = wards.copy()
    web["borough_name"] = ["Hammersmith and Fulham"] * 6 + ["City of London"] * 3
    outlines = web.dissolve("borough_name", as_index=False)[["borough_name", "geometry"]]
    outlines = outlines.sort_values("borough_name")  # the small one first in the frame
    m, _ = _build(web, outlines, borough_labels=True)
    page = m.get_root().render()
    big = page.index('data-full=\\"Hammersmith and Fulham\\" data-short=\\"H\\u0026amp;F\\"')
    small = page.index('data-full=\\"City of London\\" data-short=\\"City\\"')
    assert big < small  # placed first, so the bigger borough keeps its full name
    assert "getBoundingClientRect" in page and 'data-short' in page


# --------------------------------------------------------------------------- review fixes


def _fit(m: folium.Map) -> list[list[float]]:
    fits = [c for c in m._children.values() if type(c).__name__ == "FitBounds"]
    assert len(fits) == 1
    return fits[0].bounds


def _grid_4326(n: int = 10) -> gpd.GeoDataFrame:
    cells = [box(0.01 * i, 51 + 0.01 * j, 0.01 * (i + 1), 51 + 0.01 * (j + 1))
             for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame({"area_code": [f"A{i:03d}" for i in range(n * n)],
                             "area_name": [f"a{i}" for i in range(n * n)],
                             "value": np.nan}, geometry=cells, crs="EPSG:4326")


def test_map_zooms_to_the_few_areas_with_data_with_a_margin():
    grid = _grid_4326()
    grid.loc[[0, 1], "value"] = [3.0, 5.0]  # cells (0, 0) and (0, 1): lon 0-0.01, lat 51-51.02
    c = classify(grid["value"], k=2)
    m = choropleth(grid, value_col="value", classification=c, palette="YlOrRd",
                   tooltip_fields={"area_name": "Ward"}, fit_to_data=True)
    (south, west), (north, east) = _fit(m)
    # Data box 0.01 x 0.02 degrees, 15% margin each side, clipped to the layer (0-0.1, 51-51.1).
    assert (south, west) == pytest.approx((51.0, 0.0))
    assert north == pytest.approx(51.02 + 0.003) and east == pytest.approx(0.01 + 0.0015)
    assert len(_geojson_layers(m)[0].data["features"]) == 100  # the whole layer stays drawn


def test_map_keeps_the_layer_view_when_data_cover_most_of_it():
    grid = _grid_4326()
    grid["value"] = np.arange(100, dtype=float)
    grid.loc[[5, 50], "value"] = np.nan
    c = classify(grid["value"], k=3)
    m = choropleth(grid, value_col="value", classification=c, palette="YlOrRd",
                   tooltip_fields={"area_name": "Ward"}, fit_to_data=True)
    (south, west), (north, east) = _fit(m)
    assert (south, west, north, east) == pytest.approx((51.0, 0.0, 51.1, 0.1))


def test_map_opens_on_the_wards_not_on_a_far_small_island():
    # Cardiff: Butetown holds Flat Holm, an island about 5 km out in the Bristol Channel,
    # and the maps opened zoomed out to show it; the view fits the bulk of the wards
    # while the island ward stays drawn whole
    from shapely.geometry import MultiPolygon

    grid = _grid_4326()
    island = box(0.05, 50.90, 0.051, 50.901)  # 0.1 degrees south of the grid, 1e-6 deg²
    cell = grid.geometry.iloc[0]
    grid.loc[0, "geometry"] = MultiPolygon([cell, island])
    grid["value"] = np.arange(100.0)
    c = classify(grid["value"], k=3)
    m = choropleth(grid, value_col="value", classification=c, palette="YlOrRd",
                   tooltip_fields={"area_name": "Ward"})
    (south, west), (north, east) = _fit(m)
    assert (south, west, north, east) == pytest.approx((51.0, 0.0, 51.1, 0.1))
    features = _geojson_layers(m)[0].data["features"]
    assert len(features) == 100
    drawn = [f for f in features if f["geometry"]["type"] == "MultiPolygon"]
    assert len(drawn) == 1 and len(drawn[0]["geometry"]["coordinates"]) == 2
    # a big island (a tenth of the layer) is part of the area and stays in view
    grid.loc[0, "geometry"] = MultiPolygon([cell, box(0.0, 50.9, 0.1, 50.91)])
    m = choropleth(grid, value_col="value", classification=c, palette="YlOrRd",
                   tooltip_fields={"area_name": "Ward"})
    assert _fit(m)[0][0] == pytest.approx(50.9)


def test_suppressed_legend_entry_sits_next_to_the_zero_class():
    s = pd.Series([0, 0, 0, 1, 2, 3, 6, 7, 9, 12, 20, np.nan])
    masked = s.between(1, 4)
    c = classify(s, k=3, integer=True, masked=masked,
                 masked_label="Fewer than 5 (suppressed)")
    labels = re.findall(r'<span class="hs-legend-label">([^<]*)</span>',
                        legend_html(c, "YlOrRd", title="Referrals"))
    assert labels == ["0 (3)", "Fewer than 5 (suppressed) (3)", "6 to 7 (2)",
                      "9 to 20 (3)", "No data (1)"]
    swatches = re.findall(r"background:(#[0-9a-f]{6})", legend_html(c, "YlOrRd", title="R"))
    assert swatches[1] == MASKED_COLOUR and swatches[-1] == NO_DATA_COLOUR


def test_suppressed_legend_entry_first_without_a_zero_class():
    s = pd.Series([1, 2, 6, 7, 9, 12, 20])
    c = classify(s, k=2, integer=True, masked=s.between(1, 4), masked_label="Suppressed")
    labels = re.findall(r'<span class="hs-legend-label">([^<]*)</span>',
                        legend_html(c, "Blues", title="Referrals"))
    assert labels[0] == "Suppressed (2)" and len(labels) == 3


def test_synced_pair_starts_on_the_left_maps_fit():
    from hotspots.maps.panels import synced_pair

    grid = _grid_4326()
    grid.loc[[0, 1], "value"] = [3.0, 5.0]
    c = classify(grid["value"], k=2)
    left = choropleth(grid, value_col="value", classification=c, palette="YlOrRd",
                      tooltip_fields={"area_name": "Ward"}, fit_to_data=True)
    full = grid.assign(value=np.arange(100.0))
    right = choropleth(full, value_col="value", classification=classify(full["value"], k=3),
                       palette="Blues", tooltip_fields={"area_name": "Ward"})
    left_fit = _fit(left)
    pair = synced_pair(left, right)
    fits = [[type(ch).__name__ for ch in m._children.values()].count("FitBounds")
            for m in (pair.m1, pair.m2)]
    assert fits == [1, 0]  # the IMD map's whole-layer fit would otherwise win in the browser
    assert _fit(pair.m1) == left_fit


# --------------------------------------------------------------------------- the package


def test_package_exports_resolve_to_their_modules():
    import hotspots.maps as maps_pkg

    assert set(maps_pkg.__all__) == set(maps_pkg._EXPORTS) | set(maps_pkg._MODULES)
    for name, module in maps_pkg._EXPORTS.items():
        assert getattr(maps_pkg, name) is getattr(
            __import__(f"hotspots.maps.{module}", fromlist=[name]), name), name
    with pytest.raises(AttributeError):
        maps_pkg.no_such_name  # noqa: B018


def test_classify_import_stays_light():
    """The package's re-exports are lazy: classing values never loads folium or matplotlib."""
    import subprocess
    import sys

    code = ("import sys, hotspots.maps, hotspots.maps.classify\n"
            "print(sorted(m for m in ('folium', 'matplotlib', 'altair', 'geopandas')"
            " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout.strip()
    assert out == "[]"


def test_single_maps_keep_leaflets_control_font_size(wards, boroughs):
    """The scale bar and credit read the same on the hotspot maps as on the pair.

    folium's ``Map`` sets ``.leaflet-container { font-size: 1rem }`` (16 px) by
    default, while Leaflet's own stylesheet, which the side-by-side pair keeps, says
    0.75rem (12 px): the hotspot maps' scale bar was a third larger. Failed before.
    """
    m, _ = _build(wards, boroughs, title="All crime")
    sizes = re.findall(r"\.leaflet-container\s*\{\s*font-size:\s*([^;]+);", m.get_root().render())
    assert sizes and set(sizes) == {"0.75rem"}, sizes
