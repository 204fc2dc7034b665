"""Spatial weights on hand-made layers: neighbour sets, islands, parts, cache, errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box

from hotspots._errors import ColumnMappingError, CRSError, EmptyInputError, InputDataError
from hotspots.stats import weights as weights

# 3 x 3 grid of unit squares, codes a..i row by row from the bottom left:
#   g h i
#   d e f
#   a b c
CODES = list("abcdefghi")
ROOK = {
    "a": "bd", "b": "ace", "c": "bf", "d": "aeg", "e": "bdfh", "f": "cei",
    "g": "dh", "h": "egi", "i": "fh",
}
QUEEN_EXTRA = {  # diagonal (corner-touching) neighbours
    "a": "e", "b": "df", "c": "e", "d": "bh", "e": "acgi", "f": "bh", "g": "e", "h": "df",
    "i": "e",
}


def grid(nx: int = 3, ny: int = 3, *, codes: list[str] | None = None, crs: object = "EPSG:27700",
         origin: tuple[float, float] = (0.0, 0.0)) -> gpd.GeoDataFrame:
    cells = [box(origin[0] + x, origin[1] + y, origin[0] + x + 1, origin[1] + y + 1)
             for y in range(ny) for x in range(nx)]
    codes = codes or [f"c{i}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"area_code": codes, "area_name": [f"Area {c}" for c in codes]},
                            geometry=cells, crs=crs)


def neighbour_sets(sw: weights.SpatialWeights) -> dict[str, set[str]]:
    a, ids = sw.adjacency, sw.ids.tolist()
    return {ids[i]: {ids[j] for j in a.indices[a.indptr[i]:a.indptr[i + 1]]} for i in range(sw.n)}


@pytest.fixture(autouse=True)
def _fresh_cache():
    weights.weights_cache_clear()
    yield
    weights.weights_cache_clear()


def test_rook_and_queen_on_3x3_grid_match_hand_lattice():
    g = grid(codes=CODES)
    rook = neighbour_sets(weights.build_weights(g, kind="rook"))
    queen = neighbour_sets(weights.build_weights(g, kind="queen"))
    assert rook == {c: set(v) for c, v in ROOK.items()}
    assert queen == {c: set(ROOK[c]) | set(QUEEN_EXTRA[c]) for c in CODES}
    sw = weights.build_weights(g)
    assert sw.n_neighbours.to_dict() == {c: len(queen[c]) for c in CODES}
    assert sw.islands == () and sw.components == 1
    assert (sw.adjacency != sw.adjacency.T).nnz == 0
    assert sw.params["kind"] == "queen" and sw.params["island_fallback"] == "knn1"


def test_rook_needs_a_shared_edge_not_a_near_miss():
    # b touches a along an edge but c only shares a corner with b; d is 1 mm away
    g = gpd.GeoDataFrame(
        {"area_code": ["a", "b", "c", "d"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 1, 3, 2), box(3.001, 1, 4, 2)],
        crs="EPSG:27700")
    rook = neighbour_sets(weights.build_weights(g, kind="rook", island_fallback="none"))
    queen = neighbour_sets(weights.build_weights(g, kind="queen", island_fallback="none"))
    assert rook == {"a": {"b"}, "b": {"a"}, "c": set(), "d": set()}
    assert queen == {"a": {"b"}, "b": {"a", "c"}, "c": {"b"}, "d": set()}


def test_island_is_named_and_linked_to_its_nearest_area_both_ways():
    g = grid(codes=CODES)
    far = gpd.GeoDataFrame({"area_code": ["z"], "area_name": ["Far Isle"]},
                           geometry=[box(10, 0, 11, 1)], crs="EPSG:27700")
    layer = gpd.GeoDataFrame(gpd.pd.concat([g, far], ignore_index=True), crs="EPSG:27700")
    sw = weights.build_weights(layer)
    assert sw.islands == (("z", "Far Isle"),)
    assert neighbour_sets(sw)["z"] == {"c"}            # c's right edge is 7 m away, nearest
    assert "z" in neighbour_sets(sw)["c"]              # and the link goes both ways
    assert sw.n_neighbours["z"] == 1 and sw.components == 1
    assert sw.params["n_components_before_fallback"] == 2
    assert sw.fallback["z"] == "island: linked to nearest area c"
    assert sw.fallback["c"] == "gained island neighbour z"
    text = sw.report.to_text()
    assert "island: z (Far Isle) has no queen neighbour" in text
    assert "c (Area c), 7 m away" in text and "island_fallback='knn1'" in text


def test_island_left_alone_with_fallback_none_is_reported_not_hidden():
    layer = grid(codes=CODES)
    layer.loc[len(layer)] = ["z", "Far Isle", box(10, 0, 11, 1)]
    sw = weights.build_weights(layer, island_fallback="none")
    assert sw.n_neighbours["z"] == 0 and sw.components == 2
    assert sw.fallback["z"] == "island: no neighbours"
    assert "left without one" in sw.report.to_text()
    frame = weights.weights_frame(sw)
    assert list(frame.columns) == ["area_code", "n_neighbours", "weights_fallback"]
    assert frame.set_index("area_code").loc["z", "n_neighbours"] == 0


def test_touching_without_a_shared_vertex_is_an_island_and_the_report_says_so():
    # b leans on a's right edge but none of its corners is one of a's vertices
    g = gpd.GeoDataFrame({"area_code": ["a", "b"], "area_name": ["Ay", "Bee"]},
                         geometry=[box(0, 0, 1, 1),
                                   Polygon([(1, 0.2), (2, 0.2), (2, 0.8), (1, 0.8)])],
                         crs="EPSG:27700")
    sw = weights.build_weights(g)
    assert {c for c, _ in sw.islands} == {"a", "b"}
    assert neighbour_sets(sw) == {"a": {"b"}, "b": {"a"}}
    assert "which it touches without sharing an exact boundary vertex" in sw.report.to_text()


def test_disconnected_part_is_reported_with_its_members_names():
    main = grid(codes=CODES)
    pair = grid(2, 1, codes=["p1", "p2"], origin=(20.0, 0.0))
    layer = gpd.GeoDataFrame(gpd.pd.concat([main, pair], ignore_index=True), crs="EPSG:27700")
    sw = weights.build_weights(layer)
    assert sw.islands == () and sw.components == 2
    text = sw.report.to_text()
    assert "2 disconnected parts: the largest has 9 areas" in text
    assert "2 areas: Area p1, Area p2" in text


def test_knn_is_asymmetric_and_follows_centroid_distance():
    # centroids at x = 0.5, 1.5, 3.5, 6.5
    g = gpd.GeoDataFrame({"area_code": list("abcd")},
                         geometry=[box(x, 0, x + 1, 1) for x in (0, 1, 3, 6)], crs="EPSG:27700")
    sw = weights.build_weights(g, kind="knn", k=1)
    assert neighbour_sets(sw) == {"a": {"b"}, "b": {"a"}, "c": {"b"}, "d": {"c"}}
    sw2 = weights.build_weights(g, kind="knn", k=2)
    assert neighbour_sets(sw2) == {"a": {"b", "c"}, "b": {"a", "c"}, "c": {"a", "b"},
                                   "d": {"b", "c"}}
    assert sw.params["k"] == 1 and sw2.params["k"] == 2


def test_distance_band_reproduces_rook_and_queen_on_the_grid():
    g = grid(codes=CODES)
    assert neighbour_sets(weights.build_weights(g, kind="distance", threshold=1.0)) == {
        c: set(v) for c, v in ROOK.items()}
    assert neighbour_sets(weights.build_weights(g, kind="distance", threshold=1.5)) == \
        neighbour_sets(weights.build_weights(g, kind="queen"))


def test_distance_band_threshold_chosen_automatically_is_reported():
    g = gpd.GeoDataFrame({"area_code": list("abc")},
                         geometry=[box(x, 0, x + 1, 1) for x in (0, 1, 4)], crs="EPSG:27700")
    sw = weights.build_weights(g, kind="distance")
    assert sw.params["threshold"] == pytest.approx(3.0) and sw.params["threshold_auto"]
    assert sw.islands == () and neighbour_sets(sw)["c"] == {"b"}
    assert "chosen automatically: 3.0 m" in sw.report.to_text()


def test_cache_returns_the_same_object_for_the_same_layer_and_options():
    g = grid(codes=CODES)
    first = weights.build_weights(g)
    assert weights.weights_cache_info()[:2] == (0, 1)
    again = weights.build_weights(g.copy())
    assert again is first
    assert weights.weights_cache_info()[:2] == (1, 1)
    assert weights.build_weights(g, kind="rook") is not first
    moved = g.copy()
    moved.geometry = moved.translate(0.5, 0)
    assert weights.build_weights(moved) is not first
    renamed = g.assign(area_name="other")
    assert weights.build_weights(renamed) is not first
    assert weights.weights_cache_info().misses == 4


def test_cached_weights_cannot_be_changed_through_their_parts():
    sw = weights.build_weights(grid(codes=CODES))
    with pytest.raises(ValueError, match="read-only"):
        sw.adjacency.data[0] = 5.0
    w = sw.w
    w.transform = "r"
    assert sw.w.transform.upper() == "O"
    assert sorted(w.neighbors["e"]) == sorted(ROOK["e"] + QUEEN_EXTRA["e"])
    rs = sw.row_standardised()
    assert np.allclose(rs.sum(axis=1), 1.0) and sw.adjacency.data.max() == 1.0


def test_subset_weights_rebuilds_on_the_areas_kept():
    g = grid(codes=CODES)
    sw = weights.build_weights(g, kind="rook")
    sub = weights.subset_weights(sw, [c for c in CODES if c != "e"])
    assert sub.params["kind"] == "rook" and sub.n == 8
    assert neighbour_sets(sub)["b"] == {"a", "c"}
    corner = weights.subset_weights(sw, ["a", "i", "e"])     # no two of them share an edge
    assert {c for c, _ in corner.islands} == {"a", "e", "i"}
    assert corner.n_neighbours.min() == 1                    # linked by the fallback
    with pytest.raises(InputDataError, match="not in the weights"):
        weights.subset_weights(sw, ["a", "nope"])


@pytest.mark.parametrize(
    ("layer", "kwargs", "error", "match"),
    [
        (grid().iloc[:0], {}, EmptyInputError, "empty"),
        (grid().rename(columns={"area_code": "code"}), {}, ColumnMappingError, "area_code"),
        (grid(codes=list("aabcdefgh")), {}, InputDataError, "duplicate area_code: a"),
        (grid(crs="EPSG:4326"), {"kind": "distance", "threshold": 1.0}, CRSError,
         r"to_crs\('EPSG:27700'\)"),
        (grid(crs=None), {"kind": "knn"}, CRSError, "has no CRS"),
        (grid(), {"kind": "hexagon"}, ValueError, r"choose one of \['queen', 'rook'"),
        (grid(), {"island_fallback": "drop"}, ValueError, "island_fallback='drop'"),
        (grid(), {"kind": "knn", "k": 9}, ValueError, "integer k from 1 to 8"),
        (grid(), {"kind": "distance", "threshold": -1.0}, ValueError, "positive number"),
    ],
    ids=["empty", "no-code-column", "duplicate-codes", "lonlat-distance", "no-crs-knn",
         "unknown-kind", "unknown-fallback", "k-too-large", "negative-threshold"],
)
def test_bad_input_raises_naming_the_fix(layer, kwargs, error, match):
    with pytest.raises(error, match=match):
        weights.build_weights(layer, **kwargs)


def test_points_are_refused_for_contiguity_but_fine_for_knn():
    pts = gpd.GeoDataFrame({"area_code": list("abc")},
                           geometry=[Point(0, 0), Point(1, 0), Point(5, 0)], crs="EPSG:27700")
    with pytest.raises(InputDataError, match="needs polygons"):
        weights.build_weights(pts)
    assert neighbour_sets(weights.build_weights(pts, kind="knn", k=1))["c"] == {"b"}


def test_not_a_geodataframe_is_refused():
    with pytest.raises(TypeError, match="must be a GeoDataFrame"):
        weights.build_weights(grid().drop(columns="geometry").to_dict())  # type: ignore[arg-type]


def _voronoi_layer(n: int, seed: int) -> gpd.GeoDataFrame:
    """Irregular polygons sharing vertices (a Voronoi tessellation, clipped)."""
    import shapely

    rng = np.random.default_rng(seed)
    pts = shapely.multipoints(rng.random((n, 2)) * 1000)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box(0, 0, 1000, 1000)))
    cells = shapely.intersection(cells, box(0, 0, 1000, 1000))
    return gpd.GeoDataFrame({"area_code": [f"A{i:04d}" for i in range(len(cells))]},
                            geometry=cells, crs="EPSG:27700")


def test_hashed_queen_pairs_equal_the_exact_three_key_sort():
    import shapely

    from hotspots.stats import neighbours

    layer = _voronoi_layer(400, seed=3)
    xy, owner = shapely.get_coordinates(layer.geometry.to_numpy(), return_index=True)
    keys = neighbours._coordinate_keys(xy)
    exact = neighbours._shared_key_pairs([keys[:, 0], keys[:, 1]], owner)
    hashed = neighbours._hashed_vertex_pairs(keys, owner)
    assert hashed is not None and len(exact[0]) > 800
    assert np.array_equal(exact[0], hashed[0]) and np.array_equal(exact[1], hashed[1])


@pytest.mark.parametrize("bits_kept", [0, 6, 12])
def test_hash_collisions_are_sorted_out_by_exact_coordinates(monkeypatch, bits_kept):
    import shapely

    from hotspots.stats import neighbours

    layer = _voronoi_layer(200, seed=4)
    xy, owner = shapely.get_coordinates(layer.geometry.to_numpy(), return_index=True)
    keys = neighbours._coordinate_keys(xy)
    exact = neighbours._shared_key_pairs([keys[:, 0], keys[:, 1]], owner)
    built = weights.build_weights(layer).adjacency.toarray()
    # hashes cut to their top `bits_kept` bits (0: every coordinate hashes alike): runs of
    # equal hashes hold different coordinates, interleaved, and are sorted again
    real_mix = neighbours._mix
    keep = np.uint64(((1 << bits_kept) - 1) << (64 - bits_kept)) if bits_kept else np.uint64(0)
    monkeypatch.setattr(neighbours, "_mix", lambda v: real_mix(v) & keep)
    hashed = neighbours._hashed_vertex_pairs(keys, owner)
    assert hashed is not None and len(exact[0]) > 400
    assert np.array_equal(exact[0], hashed[0]) and np.array_equal(exact[1], hashed[1])
    weights.weights_cache_clear()
    assert np.array_equal(weights.build_weights(layer).adjacency.toarray(), built)


def test_owners_out_of_vertex_order_take_the_exact_path():
    from hotspots.stats import neighbours

    keys = np.array([[1, 1], [2, 2], [1, 1]], dtype=np.int64)
    assert neighbours._hashed_vertex_pairs(keys, np.array([1, 0, 0])) is None
    pairs = neighbours._hashed_vertex_pairs(keys, np.array([0, 0, 1]))
    assert pairs is not None and pairs[0].tolist() == [0] and pairs[1].tolist() == [1]


def test_minus_zero_and_zero_are_one_vertex():
    left = Polygon([(-1.0, 0.0), (-0.0, 0.0), (-0.0, 1.0), (-1.0, 1.0)])
    right = Polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])
    layer = gpd.GeoDataFrame({"area_code": ["L", "R"]}, geometry=[left, right],
                             crs="EPSG:27700")
    for kind in ("queen", "rook"):
        weights.weights_cache_clear()
        assert weights.build_weights(layer, kind=kind).n_neighbours.tolist() == [1, 1]


def test_the_same_geometry_objects_are_hashed_once_and_new_ones_again(monkeypatch):
    import shapely

    from hotspots.stats import neighbours

    layer = _voronoi_layer(60, seed=9)
    weights.weights_cache_clear()
    calls = []
    real = shapely.to_wkb
    monkeypatch.setattr(shapely, "to_wkb", lambda g, *a, **k: calls.append(len(g)) or real(g))
    first = weights.build_weights(layer)
    assert weights.build_weights(layer) is first and calls == [len(layer)]  # hashed once
    moved = layer.copy()
    moved.loc[0, "geometry"] = shapely.affinity.translate(layer.geometry.iloc[0], 5.0)
    other = weights.build_weights(moved)  # one geometry object is new: hashed again
    assert len(calls) == 2 and other is not first
    assert other.params["fingerprint"] != first.params["fingerprint"]
    same_shapes = layer.copy()
    same_shapes["geometry"] = shapely.from_wkb(real(layer.geometry.to_numpy()))
    again = weights.build_weights(same_shapes)  # new objects, same WKB: same weights
    assert len(calls) == 3 and again is first
    weights.weights_cache_clear()
    assert not neighbours._geometry_digests
