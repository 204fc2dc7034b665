"""Run-wide hooks (the root conftest applies to every collected item, doctests included).

The tally of outcomes that ``scripts/test.sh`` checks with ``tests/check_run.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED_DATA = Path(os.environ.get("HOTSPOTS_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_configure(config: pytest.Config) -> None:
    """Keep the run's pack cache (hotspots.pipeline.packcache) out of the user's home."""
    if "HOTSPOTS_CACHE_DIR" not in os.environ:
        import tempfile

        os.environ["HOTSPOTS_CACHE_DIR"] = tempfile.mkdtemp(prefix="hotspots-test-cache-")


# --------------------------------------------------------------------------- run tally
# scripts/test.sh reads this tally (via tests/check_run.py) to fail a run in which
# the real-data, browser or Spark tests were skipped where they must run.

_TALLY: dict = {
    "passed": 0, "failed": 0, "skipped": 0, "collection_skipped": [], "doctests": 0,
    "realdata": {"ran": 0, "skipped": 0}, "browser": {"ran": 0, "skipped": 0},
    "spark": {"ran": 0, "skipped": 0},
}


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Record modules skipped at collection (a module-level skip or importorskip)."""
    if report.skipped and report.nodeid not in _TALLY["collection_skipped"]:
        _TALLY["collection_skipped"].append(str(report.nodeid))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count outcomes overall and for the ``realdata``, ``browser`` and ``spark`` markers."""
    done = report.when == "call" or (report.when == "setup" and not report.passed)
    if not done:
        if report.when == "teardown" and report.failed:
            _TALLY["failed"] += 1
        return
    outcome = "skipped" if report.skipped else ("passed" if report.passed else "failed")
    _TALLY[outcome] += 1
    if report.nodeid.split("::")[0].endswith(".py") and not report.nodeid.startswith("tests/"):
        _TALLY["doctests"] += 0 if report.skipped else 1  # outside tests/: only doctests
    for marker in ("realdata", "browser", "spark"):
        if marker in report.keywords:
            _TALLY[marker]["skipped" if report.skipped else "ran"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the tally to ``test-artifacts/markers.json`` (the controller's, under xdist)."""
    import json
    import shutil

    if hasattr(session.config, "workerinput"):  # an xdist worker: its reports reach
        return  # the controller, which tallies them all

    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    tally = dict(_TALLY)
    tally["shared_data_present"] = SHARED_DATA.is_dir()
    tally["chromium_present"] = bool(shutil.which("chromium") or Path("/usr/bin/chromium").exists())
    java_home = os.environ.get("JAVA_HOME")
    tally["java_present"] = bool(shutil.which("java")
                                 or (java_home and (Path(java_home) / "bin" / "java").exists()))
    (out / "markers.json").write_text(json.dumps(tally, indent=2))
