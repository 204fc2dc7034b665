"""Statistics maps (Gi*, LISA, bivariate), tested on the returned folium maps and legends."""

from __future__ import annotations

import html
import json
import re

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import maps, pipeline
from hotspots.maps import statmaps as statmaps
from hotspots.maps.assets import LEAFLET_CSS_URL, LEAFLET_JS_URL, MAP_SYNC_JS_URL
from hotspots.maps.classify import NO_DATA_COLOUR
from hotspots.maps.statmaps.bivariate import _ranges
from hotspots.maps.statmaps.panel import _FitUntilMoved
from hotspots.pipeline import analysis as analysis
from hotspots.stats import registry

FAST = analysis.StatsParams(permutations=99, seed=1)
EVIL = "<script>alert(1)</script>"
PERIOD = ("2025-04", "2026-03")

# pack, crime and referrals: shared fixtures in tests/conftest.py (99 permutations).


def _with_classes(table: pd.DataFrame) -> pd.DataFrame:
    """The crime table with a known mix of Gi* classes and LISA quadrants written in."""
    t = table.copy()
    data = t.index[t["has_data"]]
    gi = ["Hot 99%"] * 3 + ["Hot 95%"] * 2 + ["Hot 90%"] + ["Cold 95%"] * 4 + ["Cold 90%"]
    lisa = ["HH"] * 5 + ["LL"] * 3 + ["HL", "LH", "LH"]
    t.loc[data[:len(gi)], "gi_class"] = gi
    t.loc[data[:len(lisa)], "lisa_quadrant"] = lisa
    return t


def _layer(m: folium.Map) -> folium.GeoJson:
    return [ch for ch in m._children.values() if isinstance(ch, folium.GeoJson)][0]


def _walk(el):
    yield el
    for ch in getattr(el, "_children", {}).values():
        yield from _walk(ch)


def _fills(m: folium.Map) -> dict[str, str]:
    layer = _layer(m)
    return {f["id"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]}


@pytest.mark.parametrize("builder", ["gi_map", "lisa_map", "bivariate_map"])
def test_maps_load_only_the_local_leaflet(pack, crime, builder):
    panel = getattr(statmaps, builder)(pack.web_areas, crime.table, params=crime.params,
                                       value_label="Crimes",
                                       borough_outlines=pack.boroughs_web)
    page = panel.map.get_root().render()
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    # Leaflet and the project's map script (tooltips kept inside the map): both local.
    assert urls == [LEAFLET_JS_URL, MAP_SYNC_JS_URL, LEAFLET_CSS_URL]
    assert "tileLayer" not in page
    js = [src for e in _walk(panel.map) for _, src in getattr(e, "default_js", [])]
    css = [href for e in _walk(panel.map) for _, href in getattr(e, "default_css", [])]
    assert js == [LEAFLET_JS_URL, MAP_SYNC_JS_URL] and css == [LEAFLET_CSS_URL]
    assert len(_layer(panel.map).data["features"]) == len(crime.table)


def test_gi_legend_counts_and_colours_match_the_table(pack, crime):
    t = _with_classes(crime.table)
    panel = statmaps.gi_map(pack.web_areas, t, params=crime.params, value_label="Crimes")
    got = panel.counts.set_index("key")["count"]
    want = t["gi_class"].value_counts()
    assert got[got > 0].sort_index().to_dict() == want.sort_index().to_dict()
    assert got["Hot 99%"] == 3 and got["Cold 99%"] == 0  # classes with no ward stay listed
    assert list(panel.counts["key"][:7]) == ["Hot 99%", "Hot 95%", "Hot 90%", "Not significant",
                                             "Cold 90%", "Cold 95%", "Cold 99%"]
    for label, n in zip(panel.counts["label"], panel.counts["count"], strict=True):
        assert html.escape(f"{label} ({n:,})") in panel.legend
    colour = panel.counts.set_index("key")["colour"]
    fills = _fills(panel.map)
    cls = t.set_index("area_code")["gi_class"]
    assert all(fills[c] == colour[cls[c]] for c in fills)
    assert colour["No data"] == NO_DATA_COLOUR
    assert colour["Hot 99%"] != colour["Cold 99%"] != colour["Not significant"]


def test_gi_alpha_outside_the_standard_levels_gets_its_own_class(pack, crime):
    params = {**crime.params, "hotspots": {**crime.params["hotspots"], "alpha": 0.02}}
    panel = statmaps.gi_map(pack.web_areas, crime.table, params=params, value_label="Crimes")
    assert list(panel.counts["key"][:4]) == ["Hot 99%", "Hot 98%", "Hot 95%", "Hot 90%"]
    assert statmaps.gi_levels(params) == [0.01, 0.02, 0.05, 0.1]


def test_lisa_legend_names_correction_and_alpha(pack, crime):
    t = _with_classes(crime.table)
    panel = statmaps.lisa_map(pack.web_areas, t, params=crime.params, value_label="Crimes")
    got = panel.counts.set_index("key")["count"]
    assert got["HH"] == 5 and got["LL"] == 3 and got["HL"] == 1 and got["LH"] == 2
    assert got["ns"] == int((t["lisa_quadrant"] == "ns").sum())
    assert got["no data"] == 25
    assert "Benjamini-Hochberg FDR" in panel.legend and "0.05" in panel.legend
    assert "99 permutations" in panel.legend and "seed 1" in panel.legend
    bonf = {**crime.params, "hotspots": {**crime.params["hotspots"], "correction": "bonferroni",
                                         "alpha": 0.1}}
    other = statmaps.lisa_map(pack.web_areas, t, params=bonf, value_label="Crimes")
    assert "Bonferroni" in other.legend and "0.1" in other.legend
    fills = _fills(panel.map)
    quad = t.set_index("area_code")["lisa_quadrant"]
    assert {fills[c] for c in quad.index[quad == "HH"]} == {statmaps.LISA_CLASSES["HH"][1]}
    assert {fills[c] for c in quad.index[quad == "ns"]} == {statmaps.NOT_SIGNIFICANT_COLOUR}


def test_method_caption_names_weights_permutations_seed_and_correction(crime):
    for stat in ("gi", "lisa", "bv"):
        text = statmaps.method_caption(crime.params, stat)
        assert "queen contiguity" in text and "row-standardised" in text
        assert "99 conditional permutations" in text and "seed 1" in text
        assert "Benjamini-Hochberg false discovery rate" in text and "two-sided" in text
        assert "scipy" not in text and "false_discovery_control" not in text  # plain words
    with pytest.raises(ValueError, match="statistic='moran' is unknown"):
        statmaps.method_caption(crime.params, "moran")  # type: ignore[arg-type]


def test_bivariate_cells_count_the_table_and_use_the_grid_colours(pack, crime):
    panel = statmaps.bivariate_map(pack.web_areas, crime.table, params=crime.params,
                                   value_label="Crimes", measure_word="Crimes")
    got = panel.counts.set_index("key")["count"]
    want = crime.table["bv_class"].value_counts()
    for k in range(1, 10):
        assert got[str(k)] == want.get(k, 0)
    assert got["no data"] == int(crime.table["bv_class"].isna().sum()) == 25
    cells = re.findall(r'title="([^"]+): (\d+) wards"', panel.legend)
    assert len(cells) == 9 and sum(int(n) for _, n in cells) == got.drop("no data").sum()
    assert "IMD 2019 average score" in panel.legend and "Crimes" in panel.legend
    flat = [c for row in statmaps.BIVARIATE_COLOURS for c in row]
    fills = _fills(panel.map)
    cls = crime.table.set_index("area_code")["bv_class"]
    for code, k in cls.items():
        assert fills[code] == (NO_DATA_COLOUR if pd.isna(k) else flat[int(k) - 1])
    assert flat[8] == "#3b4994" and flat[0] == "#e8e8e8"  # high-high dark, low-low light


def _grid_ranges(legend: str) -> list[str]:
    """The range under each tercile word of the bivariate legend, in the order drawn."""
    return re.findall(r'<span style="color:#555">([^<]+)</span>', html.unescape(legend))


def test_tercile_span_is_hand_computed():
    t = pd.DataFrame({"value": [178.0, 900.0, 5.0, 2000.0], "imd_score": [5.5, 40.2, 1.0, 12.0],
                      "bv_class": [1, 9, None, 5]})
    assert statmaps.tercile_span(t) == ((178.0, 2000.0), (5.5, 40.2))  # classed wards only
    none = t.assign(bv_class=None)
    (lo, hi), _ = statmaps.tercile_span(none)
    assert pd.isna(lo) and pd.isna(hi)


def test_bivariate_bands_start_at_the_smallest_ward_value_not_zero(pack, crime):
    panel = statmaps.bivariate_map(pack.web_areas, crime.table, params=crime.params,
                                   value_label="Crimes", measure_word="Crimes")
    classed = crime.table[crime.table["bv_class"].notna()]
    v, d = classed["value"], classed["imd_score"]
    (a, b), (c, e) = statmaps.tercile_cuts(crime.table)
    lo_v, hi_v = int(v.min()), int(v.max())
    assert lo_v > 0  # every ward with crime data has some: a band from 0 would be wrong
    # Drawn high to low up the side, then low to high along the bottom.
    assert _grid_ranges(panel.legend) == [
        f"{int(b) + 1:,} to {hi_v:,}", f"{int(a) + 1:,} to {int(b):,}", f"{lo_v:,} to {int(a):,}",
        f"{d.min():.1f} to {c:.1f}", f"{c:.1f} to {e:.1f}", f"{e:.1f} to {d.max():.1f}"]
    assert f"0 to {int(a):,}" not in panel.legend
    # A ward outside the table (another selection) does not stretch the bands.
    lambeth = crime.table[crime.table["borough_name"] == "Lambeth"]
    part = statmaps.bivariate_map(pack.web_areas, lambeth, params=crime.params,
                                  value_label="Crimes", measure_word="Crimes")
    low = _grid_ranges(part.legend)[2]
    assert low.startswith(f"{int(lambeth.loc[lambeth['bv_class'].notna(), 'value'].min()):,} to")


def test_bivariate_smallest_referral_count_below_threshold_is_not_printed():
    # Cuts at 6 and 12 (shown), smallest count 2 (would be a suppressed count): "up to 6".
    got = _ranges((6.0, 12.0), (2.0, 40.0), integer=True, hide_below=5)
    assert got == ("up to 6", "7 to 12", "13 to 40")
    assert _ranges((6.0, 12.0), (0.0, 40.0), integer=True, hide_below=5)[0] == (
        "0 to 6")  # zero is not a suppressed count
    rate = _ranges((1.25, 2.5), (float("nan"), float("nan")), integer=False)
    assert rate == ("up to 1.2", "1.2 to 2.5", "over 2.5")  # extremes withheld (referral rate)


def test_gi_and_lisa_maps_fit_the_same_bounds_until_moved(pack, crime):
    from ui import mapview

    maps = [statmaps.gi_map(pack.web_areas, crime.table, params=crime.params,
                            value_label="Crimes").map,
            statmaps.lisa_map(pack.web_areas, crime.table, params=crime.params,
                              value_label="Crimes").map]
    fits = [[e for e in _walk(m) if isinstance(e, _FitUntilMoved)] for m in maps]
    assert [len(f) for f in fits] == [1, 1]
    assert fits[0][0].bounds == fits[1][0].bounds
    west, south, east, north = pack.web_areas.total_bounds
    assert sum(fits[0][0].bounds, []) == pytest.approx([south, west, north, east])
    script = mapview.render_map(maps[0]).script
    assert "new ResizeObserver(fit)" in script and "map_div.fitBounds" not in script
    assert "var map = map_div;" in script  # st_folium's name for the map


def test_tooltips_escape_names_and_show_z_p_q(pack, crime):
    t = crime.table.copy()
    web = pack.web_areas.copy()
    code = t["area_code"].iloc[0]
    t.loc[t.index[0], "area_name"] = EVIL
    web.loc[web["area_code"] == code, "area_name"] = EVIL
    panel = statmaps.gi_map(web, t, params=crime.params, value_label="Crimes <b>",
                            synthetic=True)
    feats = {f["id"]: f["properties"] for f in _layer(panel.map).data["features"]}
    assert feats[code]["area_name"] == html.escape(EVIL)
    page = panel.map.get_root().render()
    assert EVIL not in page and "Crimes <b>" not in page
    code = t.loc[t["has_data"], "area_code"].iloc[5]
    row = t.set_index("area_code").loc[code]
    props = feats[code]
    assert props["gi_z_display"] == f"{row['gi_z']:+.2f}"
    assert props["gi_p_display"] == statmaps.format_p(row["gi_p"])
    assert props["gi_q_display"] == statmaps.format_p(row["gi_q"])
    assert set(props) == {"area_name", "borough_name", "value_display", "gi_class_display",
                          "gi_z_display", "gi_p_display", "gi_q_display"}
    assert "SYNTHETIC" in page


def test_referral_tooltips_keep_suppressed_counts_hidden(pack, referrals):
    t = referrals.table
    assert referrals.ward.is_sensitive and t["suppressed"].any()
    small = t.set_index("area_code")
    hidden = small.index[small["suppressed"].astype(bool)]
    for builder in (statmaps.gi_map, statmaps.lisa_map, statmaps.bivariate_map):
        kwargs = {"threshold": 5} if builder is statmaps.bivariate_map else {}
        panel = builder(pack.web_areas, t, params=referrals.params, value_label="Referrals",
                        sensitive=True, **kwargs)
        feats = {f["id"]: f["properties"] for f in _layer(panel.map).data["features"]}
        for code in hidden:
            props = feats[code]
            assert props["value_display"] == "&lt;5"
            count = str(int(small.at[code, "count"]))
            shown = {v for k, v in props.items()
                     if k not in ("area_name", "borough_name")
                     and not k.endswith(("_p_display", "_q_display"))}
            assert count not in shown
        stat = next(k for k in next(iter(feats.values())) if k.endswith(("_z_display",
                                                                        "_i_display")))
        assert {p[stat] for p in feats.values()} - {"no data"} == {statmaps.HIDDEN_STAT}


def test_bivariate_cut_points_below_threshold_are_not_printed(pack, referrals):
    (lo, _), _ = statmaps.tercile_cuts(referrals.table)
    assert lo < 5  # many small counts: the lower tercile cut is a small number
    panel = statmaps.bivariate_map(pack.web_areas, referrals.table, params=referrals.params,
                                   value_label="Referrals", measure_word="Referrals",
                                   sensitive=True, threshold=5)
    measure = _grid_ranges(panel.legend)[:3]  # the measure's bands (IMD's follow)
    assert measure == ["highest third", "middle third", "lowest third"]
    assert not any(f"to {int(lo)}" in r for r in measure)
    assert "Cut points below 5 are not printed" in panel.legend


def test_tables_behind_the_maps(crime, referrals):
    h = statmaps.hotspot_table(crime.table, value_label="Crimes")
    assert len(h) == len(crime.table)
    assert h["Gi* z"].dropna().is_monotonic_decreasing
    assert {"Gi* class", "Gi* q", "LISA cluster", "LISA q", "Neighbours"} <= set(h.columns)
    r = statmaps.hotspot_table(referrals.table, value_label="Referrals", sensitive=True)
    assert "Gi* z" not in r and "LISA I" not in r
    small = referrals.table["suppressed"].astype(bool)
    assert (r["Referrals"] == "<5").sum() == int(small.sum())
    b = statmaps.bivariate_table(referrals.table, value_label="Referrals", sensitive=True)
    assert "Bivariate I" not in b and len(b) == len(referrals.table)
    assert set(b["Class"].dropna()) <= set(range(1, 10))


def test_referral_table_is_not_in_z_order(referrals):
    """The page's table (and its CSV download) of referrals: class, then p, then ward.

    Sorted by z, the rows would publish the order of every ward's local sum, which
    with the public counts narrows down the suppressed ones.
    """
    r = statmaps.hotspot_table(referrals.table, value_label="Referrals", sensitive=True)
    by_z = referrals.table.sort_values(["gi_z", "area_name"], ascending=[False, True],
                                       kind="stable")["area_name"].tolist()
    assert r["Ward"].tolist() != by_z
    cats = [c.key for c in registry.get("gi_star").classes(0.05)]
    rank = r["Gi* class"].map({k: i for i, k in enumerate(cats)})
    assert rank.is_monotonic_increasing
    for _, block in r.groupby("Gi* class", sort=False):
        assert pd.to_numeric(block["Gi* p"]).is_monotonic_increasing


def test_selection_of_boroughs_draws_only_those_wards(pack):
    sel = pipeline.Selection("crime:all", *PERIOD, boroughs=("Lambeth", "Southwark"))
    a = analysis.analyse(pack, sel, FAST)
    panel = statmaps.gi_map(pack.web_areas, a.table, params=a.params, value_label="Crimes",
                            borough_outlines=pack.boroughs_web)
    feats = _layer(panel.map).data["features"]
    assert len(feats) == len(a.table) < 100
    assert panel.counts["count"].sum() == len(a.table)


def test_bad_inputs_are_refused(pack, crime):
    with pytest.raises(ValueError, match=r"columns missing from the analysis table: \['gi_z'\]"):
        statmaps.gi_map(pack.web_areas, crime.table.drop(columns="gi_z"), params=crime.params,
                        value_label="Crimes")
    with pytest.raises(ValueError, match="basemap must be one of"):
        statmaps.lisa_map(pack.web_areas, crime.table, params=crime.params,
                          value_label="Crimes", basemap="google")  # type: ignore[arg-type]


def test_inputs_not_mutated(pack, crime):
    before_t, before_w = crime.table.copy(), pack.web_areas.copy()
    statmaps.bivariate_map(pack.web_areas, crime.table, params=crime.params, value_label="C")
    pd.testing.assert_frame_equal(crime.table, before_t)
    pd.testing.assert_frame_equal(pack.web_areas, before_w)


# --------------------------------------------------------------------------- static geometry

WARDS_URL = "/app/static/vendor/geo/wards-0123456789abcdef.json"
LINES_URL = "/app/static/vendor/geo/boroughs-0123456789abcdef.json"
STATIC = {"geometry": maps.StaticGeometry(WARDS_URL, maps.GEOMETRY_PROPERTIES),
          "outline_geometry": maps.StaticGeometry(LINES_URL)}
PARAMS = {"hotspots": {"alpha": 0.05, "permutations": 999, "seed": 7, "correction": "fdr"},
          "measure_label": "All crime", "period_label": "Apr 2025 to Mar 2026"}


def _static_spec(m: folium.Map) -> dict:
    layers = [e for e in _walk(m) if isinstance(e, maps.StaticWardLayer)]
    assert len(layers) == 1
    assert not [e for e in _walk(m) if isinstance(e, folium.GeoJson)]  # no inline layer at all
    return json.loads(layers[0].spec_json)


def _static_fills(m: folium.Map) -> dict[str, str]:
    spec = _static_spec(m)
    return {code: spec["colours"][i] for code, i in zip(spec["ids"], spec["fill"], strict=True)}


def _tiny() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Four square wards (one without data) and their statistics, written by hand."""
    codes = ["E05000001", "E05000002", "E05000003", "E05000004"]
    web = gpd.GeoDataFrame(
        {"area_code": codes, "area_name": ["North", "South", "East", "West"],
         "borough_name": ["Aborough"] * 2 + ["Bborough"] * 2},
        geometry=[box(-0.2 + 0.05 * i, 51.5, -0.15 + 0.05 * i, 51.55) for i in range(4)],
        crs="EPSG:4326")
    nan = float("nan")
    table = pd.DataFrame({
        "area_code": codes, "area_name": ["North", "South", "East", "West"],
        "borough_name": ["Aborough"] * 2 + ["Bborough"] * 2,
        "value": [120.0, 80.0, 5.0, nan], "value_display": ["120", "80", "5", None],
        "imd_score": [40.0, 20.0, 10.0, 30.0],
        "gi_z": [3.1, 0.2, -2.4, nan], "gi_p": [0.001, 0.6, 0.02, nan],
        "gi_q": [0.004, 0.7, 0.04, nan], "gi_class": ["Hot 99%", "Not significant", "Cold 95%",
                                                       None],
        "lisa_i": [1.2, 0.1, 0.9, nan], "lisa_p": [0.01, 0.5, 0.03, nan],
        "lisa_q": [0.02, 0.6, 0.04, nan], "lisa_quadrant": ["HH", "ns", "LL", None],
        "bv_class": [9, 5, 1, nan], "bv_class_label": ["", "", "", None],
        "bv_i": [0.5, 0.0, 0.4, nan], "bv_p": [0.01, 0.9, 0.02, nan],
        "bv_q": [0.03, 0.9, 0.04, nan], "bv_quadrant": ["HH", "ns", "LL", None],
    })
    return web, table


@pytest.mark.parametrize("builder", ["gi_map", "lisa_map", "bivariate_map"])
def test_static_geometry_gives_the_same_fills_as_inline_on_a_hand_built_case(builder):
    web, table = _tiny()
    build = getattr(statmaps, builder)
    inline = build(web, table, params=PARAMS, value_label="Crimes")
    static = build(web, table, params=PARAMS, value_label="Crimes", **STATIC)
    flat = [c for row in statmaps.BIVARIATE_COLOURS for c in row]
    want = {
        "gi_map": [statmaps.GI_HOT[3][0], statmaps.NOT_SIGNIFICANT_COLOUR,
                   statmaps.GI_COLD[3][1], NO_DATA_COLOUR],
        "lisa_map": [statmaps.LISA_CLASSES["HH"][1], statmaps.NOT_SIGNIFICANT_COLOUR,
                     statmaps.LISA_CLASSES["LL"][1], NO_DATA_COLOUR],
        "bivariate_map": [flat[8], flat[4], flat[0], NO_DATA_COLOUR],
    }[builder]
    expected = dict(zip(table["area_code"], want, strict=True))
    assert _fills(inline.map) == expected
    assert _static_fills(static.map) == expected
    assert static.legend == inline.legend and static.caption == inline.caption
    pd.testing.assert_frame_equal(static.counts, inline.counts)
    spec = _static_spec(static.map)
    assert spec["url"] == WARDS_URL and spec["ids"] == list(table["area_code"])
    # Tooltips: same labels and values; the names come from the file, not the map.
    feats = {f["id"]: f["properties"] for f in _layer(inline.map).data["features"]}
    assert spec["fields"] == list(feats["E05000001"])
    assert "area_name" not in spec["values"] and "borough_name" not in spec["values"]
    for field, values in spec["values"].items():
        assert values == [feats[c][field] for c in spec["ids"]]
    fits = [[e.bounds for e in _walk(p.map) if isinstance(e, _FitUntilMoved)]
            for p in (inline, static)]
    assert fits[0] == fits[1]
    assert sum(fits[0][0], []) == pytest.approx([51.5, -0.2, 51.55, 0.0])


@pytest.mark.parametrize("builder", ["gi_map", "lisa_map", "bivariate_map"])
def test_static_geometry_maps_carry_no_coordinates(pack, crime, builder):
    from ui import mapview

    kwargs = {"value_label": "Crimes", "borough_outlines": pack.boroughs_web,
              "borough_labels": True, "synthetic": True}
    build = getattr(statmaps, builder)
    inline = mapview.render_map(build(pack.web_areas, crime.table, params=crime.params,
                                      **kwargs).map)
    panel = build(pack.web_areas, crime.table, params=crime.params, **kwargs, **STATIC)
    static = mapview.render_map(panel.map)
    assert '"coordinates"' in inline.script and "Polygon" in inline.script
    for text in (static.script, static.header, static.html):
        assert '"coordinates"' not in text and "Polygon" not in text
        assert "LineString" not in text
    assert static.n_bytes < inline.n_bytes / 5  # measured: ~60-90 kB against ~940 kB
    assert static.js_links == (LEAFLET_JS_URL, MAP_SYNC_JS_URL)
    assert static.css_links == (LEAFLET_CSS_URL,)
    urls = re.findall(r"https?://[^\s\"'<>]+", static.script + static.header + static.html)
    assert urls == []  # nothing fetched from elsewhere (the file URLs are relative)
    assert WARDS_URL in static.script and LINES_URL in static.script
    assert json.dumps(maps.SYNTHETIC_BADGE)[1:-1] in static.script  # the in-map badge
    spec = _static_spec(panel.map)
    assert len(spec["ids"]) == len(crime.table) == 704  # one path per ward


def test_static_geometry_escapes_names_labels_and_values(pack, crime):
    t = crime.table.copy()
    code = t["area_code"].iloc[0]
    t.loc[t.index[0], "value_display"] = EVIL
    panel = statmaps.gi_map(pack.web_areas, t, params=crime.params, value_label="Crimes <b>",
                            attribution="ONS & <i>me</i>", **STATIC)
    from ui import mapview

    r = mapview.render_map(panel.map)
    page = r.script + r.header + r.html
    assert EVIL not in page and "<b>" not in page
    assert "</script" not in r.script.lower()  # the inline table cannot close its script
    spec = _static_spec(panel.map)
    assert spec["values"]["value_display"][spec["ids"].index(code)] == html.escape(EVIL)
    assert spec["aliases"][2] == "Crimes &lt;b&gt;"
    assert spec["attribution"] == html.escape("ONS & <i>me</i>")


def test_static_referral_tooltips_keep_suppressed_counts_hidden(pack, referrals):
    t = referrals.table
    small = t.set_index("area_code")
    hidden = small.index[small["suppressed"].astype(bool)]
    assert len(hidden) > 100
    for builder, stat in ((statmaps.gi_map, "gi_z_display"), (statmaps.lisa_map, "lisa_i_display"),
                          (statmaps.bivariate_map, "bv_i_display")):
        panel = builder(pack.web_areas, t, params=referrals.params, value_label="Referrals",
                        sensitive=True, **STATIC)
        spec = _static_spec(panel.map)
        row = {c: i for i, c in enumerate(spec["ids"])}
        values = spec["values"]
        for code in hidden:
            assert values["value_display"][row[code]] == "&lt;5"
            count = str(int(small.at[code, "count"]))
            shown = {v[row[code]] for k, v in values.items()
                     if not k.endswith(("_p_display", "_q_display"))}
            assert count not in shown
        assert set(values[stat]) - {"no data"} == {statmaps.HIDDEN_STAT}


def test_bivariate_legend_names_the_packs_index(pack, crime):
    demo = statmaps.bivariate_map(pack.web_areas, crime.table, params=crime.params,
                                  value_label="Crimes", measure_word="Crimes")
    assert "against IMD 2019 score (across)" in demo.legend
    wales = statmaps.bivariate_map(pack.web_areas, crime.table, params=crime.params,
                                   value_label="Crimes", measure_word="Crimes",
                                   index_label="WIMD 2019 (Wales)")
    assert "against WIMD 2019 (Wales) score (across)" in wales.legend
    assert "WIMD 2019 (Wales) average score (more deprived)" in wales.legend
    assert "IMD 2019 " not in wales.legend.replace("WIMD 2019 (Wales)", "")
