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
