"""A Python worker's cached locator belongs to one layer, whatever the broadcast's id.

Broadcast ids start again at 0 in each SparkContext, and a process can outlive one (the
driver, a reused worker): keyed by id, the Welsh LSOAs were once placed with the
locator of a bigger layer and came back with area ranks up to 35,671 (a CI failure).
No Spark here: a broadcast is anything with ``id`` and ``value``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from hotspots.store import sparkrows as spark_mod


@dataclass
class _Broadcast:
    id: int
    value: Any


def _layer(n: int) -> tuple[list[bytes], list[str], str]:
    geoms = [box(i * 1000.0, 0.0, (i + 1) * 1000.0, 1000.0) for i in range(n)]
    return list(shapely.to_wkb(np.asarray(geoms, dtype=object))), [f"A{i:03d}" for i in range(n)], \
        "EPSG:27700"


def test_same_broadcast_id_another_layer_gets_its_own_locator(monkeypatch):
    monkeypatch.setattr(spark_mod, "POINT_CRS", "EPSG:27700")  # points in metres here
    pts = pd.DataFrame({"x": [500.0, 2500.0], "y": [500.0, 500.0]})
    big = list(spark_mod.place_batches(_Broadcast(0, _layer(5)), iter([pts])))[0]
    assert big["a"].tolist() == [0, 2]
    wkb, codes, crs = _layer(5)
    # the same id in a new context: two areas only, in another order of codes
    small = _Broadcast(0, (wkb[2:4], ["B2", "B1"], crs))
    got = list(spark_mod.place_batches(small, iter([pts])))[0]
    # x=2500 lies in the first of the two (code B2, rank 1 among B1 < B2); x=500 in none
    assert got["a"].tolist() == [-1, 1]


def test_a_worker_counts_its_rows_per_cell_and_places_each_point_once(monkeypatch):
    """count_batches on two batches, checked by hand: cell keys, the three negative keys,
    the partition's distinct points and the rows not assigned."""
    import pyarrow as pa

    monkeypatch.setattr(spark_mod, "POINT_CRS", "EPSG:27700")
    placed = []
    real = spark_mod.locate_points
    monkeypatch.setattr(spark_mod, "locate_points",
                        lambda loc, x, y, **kw: placed.extend(x) or real(loc, x, y, **kw))
    wkb, _, crs = _layer(3)
    layer = _Broadcast(0, (wkb, ["A2", "A0", "A1"], crs))  # ranks: box 0 -> 2, box 1 -> 0
    b = pa.record_batch({
        "x": pa.array([500.0, 500.0, 1500.0, None, 9999.0, -0.0, 2500.0]),
        "y": [500.0, 500.0, 500.0, 1.0, 500.0, 500.0, float("nan")],
        "month": ["2024-01", "2024-02", "2024-01", "2024-01", None, "2024-01", "2024-01"],
        "category": ["B", "A", "Z", "A", "A", "A", "A"],
        "reason": [None, None, None, None, None, "repeated", None],
        "file_id": pa.array([4] * 7, pa.int32()), "source_row": pa.array(range(7), pa.int64())})
    out = pa.Table.from_batches(list(spark_mod.count_batches(
        layer, (["2024-01", "2024-02"], ["A", "B"]), iter([b, b.slice(0, 3)])))).to_pandas()
    cells = out[out["n"].notna()].set_index("k")["n"].astype(int).to_dict()
    # key = (rank * 3 + month) * 3 + type; a missing month or type is the position 2
    assert cells == {(2 * 3 + 0) * 3 + 1: 2, (2 * 3 + 1) * 3 + 0: 2, (0 * 3 + 0) * 3 + 2: 2,
                     -1: 1, -2: 2, -3: 1}
    pts = out[out["x"].notna()]
    assert sorted(zip(pts["x"], pts["y"], strict=True)) == [
        (500.0, 500.0), (1500.0, 500.0), (9999.0, 500.0)]
    assert sorted(placed) == [500.0, 1500.0, 9999.0]  # each point once, both batches
    lost = out[out["file_id"].notna()].sort_values("source_row")
    assert lost["source_row"].tolist() == [3, 4, 5, 6]
    assert lost["k"].tolist() == [-2, -1, -3, -2]
    assert lost["reason"].tolist()[2] == "repeated" and lost["file_id"].eq(4).all()
    # the store gave the distinct points already: none sent back, the same counts
    again = pa.Table.from_batches(list(spark_mod.count_batches(
        layer, (["2024-01", "2024-02"], ["A", "B"]), iter([b, b.slice(0, 3)]), points=False)))
    again = again.to_pandas()
    assert again["x"].isna().all()
    assert again[again["n"].notna()].set_index("k")["n"].astype(int).to_dict() == cells
