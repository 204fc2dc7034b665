"""Shared fixtures: the real-data folder beside the project, and markers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HOTSPOTS_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEMO = ROOT / "data" / "demo"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``realdata`` when ``../shared/data`` is absent; group browser tests.

    Under pytest-xdist's ``--dist loadgroup`` (``scripts/test.sh``) every browser
    test goes to one worker, in order, so that two Streamlit servers and Chromiums
    never compete with each other (several browser tests load the CPU on purpose);
    the other worker runs the rest meanwhile. Every other module is one group too, so
    its tests run in file order on one worker, as they do in one process: tests sharing
    a module-scoped fixture (an ``AppTest`` page, a built pack) then see it in the same
    state on one worker as serially.
    """
    skip = pytest.mark.skip(reason=f"real data not found at {SHARED_DATA}")
    browser_dir = ROOT / "tests" / "browser"
    for item in items:
        if browser_dir in Path(str(item.path)).parents and "browser" not in item.keywords:
            item.add_marker(pytest.mark.browser)  # counted (and grouped) even if unmarked
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
        else:
            item.add_marker(pytest.mark.xdist_group(str(item.path)))
        if "realdata" in item.keywords and not SHARED_DATA.is_dir():
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (tests using it must be marked ``realdata``)."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """Path to the committed demo pack."""
    return DEMO


#: The Streamlit apps the browser and AppTest tests serve: scripts, not importable modules.
collect_ignore = ["apps"]


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


@pytest.fixture(scope="session", autouse=True)
def _audit_log_in_a_temporary_folder(tmp_path_factory) -> Path:
    """Send every export's audit line to a temporary log, never the project's ``audit/``.

    Set through ``HOTSPOTS_TEAM_CONFIG`` (a ``team.toml`` with only ``[audit] log``), so
    the Streamlit servers the browser tests start write there too.
    """
    folder = tmp_path_factory.mktemp("team")
    log = folder / "audit.jsonl"
    (folder / "team.toml").write_text(f'[audit]\nlog = "{log}"\n', encoding="utf-8")
    old = os.environ.get("HOTSPOTS_TEAM_CONFIG")
    os.environ["HOTSPOTS_TEAM_CONFIG"] = str(folder / "team.toml")
    yield log
    if old is None:
        os.environ.pop("HOTSPOTS_TEAM_CONFIG", None)
    else:
        os.environ["HOTSPOTS_TEAM_CONFIG"] = old
