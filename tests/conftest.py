"""Shared fixtures: the real-data folder beside the project, and markers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HOTSPOTS_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEMO = ROOT / "data" / "demo"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``realdata`` when ``../shared/data`` is absent."""
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"real data not found at {SHARED_DATA}")
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (tests using it must be marked ``realdata``)."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """Path to the committed demo pack."""
    return DEMO
