"""The committed demo pack is exactly what the build script makes from ../shared/data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.realdata


def test_demo_pack_rebuilds_byte_identical(tmp_path, shared_data, demo_dir):
    from data.build_demo import build

    hashes = build(shared_data, tmp_path)
    for name in hashes:
        committed = (demo_dir / name).read_bytes()
        rebuilt = (tmp_path / name).read_bytes()
        assert committed == rebuilt, f"{name} differs from a fresh build"
    total = sum((demo_dir / n).stat().st_size for n in hashes)
    assert total < 5_000_000, f"demo pack is {total:,} bytes"


def test_demo_points_are_every_kept_police_uk_row(pack, shared_data):
    """The patrol view's points: every row read_police_uk kept, once, coordinates intact."""
    from hotspots import io

    res = io.read_police_uk(shared_data / "police_uk_city_of_london_2017-12_to_2020-11",
                            crime_ids="once")  # the rule the demo pack is built with
    pts = pack.points
    assert pts is not None
    assert len(pts) == len(res.frame)
    summary = pack.meta.points_reconciliation
    assert summary.rows_read == res.rows_read == summary.rows_kept + sum(
        summary.rows_rejected.values())
    assert summary.rows_without_location == int(res.frame["x"].isna().sum()) > 0
    key = ["source", "source_row"]
    assert not pts.duplicated(key).any()
    merged = pts.merge(res.frame[[*key, "x", "y", "category"]], on=key, suffixes=("", "_raw"))
    assert len(merged) == len(pts)
    both = merged["x"].notna()
    assert (merged["x_raw"].notna() == both).all()
    assert (merged.loc[both, "x"] - merged.loc[both, "x_raw"]).abs().max() < 5e-7
    assert (merged.loc[both, "y"] - merged.loc[both, "y_raw"]).abs().max() < 5e-7
    assert (merged["category"].astype(str) == merged["category_raw"].astype(str)).all()
    assert pack.meta.points_boroughs == ("City of London",)
