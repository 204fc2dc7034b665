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


# --------------------------------------------------------------------------- run tally
# scripts/test.sh reads this tally (via tests/check_run.py) to fail a run in which
# the real-data or browser tests were skipped where they must run.

_TALLY: dict = {
    "passed": 0, "failed": 0, "skipped": 0,
    "realdata": {"ran": 0, "skipped": 0}, "browser": {"ran": 0, "skipped": 0},
}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count outcomes overall and for the ``realdata`` and ``browser`` markers."""
    done = report.when == "call" or (report.when == "setup" and not report.passed)
    if not done:
        if report.when == "teardown" and report.failed:
            _TALLY["failed"] += 1
        return
    outcome = "skipped" if report.skipped else ("passed" if report.passed else "failed")
    _TALLY[outcome] += 1
    for marker in ("realdata", "browser"):
        if marker in report.keywords:
            _TALLY[marker]["skipped" if report.skipped else "ran"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the tally to ``test-artifacts/markers.json``."""
    import json
    import shutil

    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    tally = dict(_TALLY)
    tally["shared_data_present"] = SHARED_DATA.is_dir()
    tally["chromium_present"] = bool(shutil.which("chromium") or Path("/usr/bin/chromium").exists())
    (out / "markers.json").write_text(json.dumps(tally, indent=2))


# --------------------------------------------------------------------------- shared analyses
# One demo-pack analysis per measure family for the view tests (99 permutations, seed 1,
# latest 12 months), computed once per session.


@pytest.fixture(scope="session")
def pack():  # type: ignore[no-untyped-def]
    """The demo pack, loaded once (test modules may define their own ``pack``)."""
    from hotspots import pipeline

    return pipeline.load_pack()


@pytest.fixture(scope="session")
def crime(pack):  # type: ignore[no-untyped-def]
    """Analysis of all recorded crime, Apr 2025 - Mar 2026."""
    from hotspots import pipeline
    from hotspots.pipeline import analysis as analysis

    return analysis.analyse(pack, pipeline.Selection("crime:all", "2025-04", "2026-03"),
                            analysis.StatsParams(permutations=99, seed=1))


@pytest.fixture(scope="session")
def referrals(pack):  # type: ignore[no-untyped-def]
    """Analysis of all (SYNTHETIC) referrals, Apr 2025 - Mar 2026."""
    from hotspots import pipeline
    from hotspots.pipeline import analysis as analysis

    return analysis.analyse(pack, pipeline.Selection("referrals:all", "2025-04", "2026-03"),
                            analysis.StatsParams(permutations=99, seed=1))
