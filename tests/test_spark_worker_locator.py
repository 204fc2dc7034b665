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

from hotspots.store import spark as spark_mod


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
