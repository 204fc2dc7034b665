"""The map component's front end is served from a copy only this user can change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ui import mapview


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_the_copy_is_in_the_users_cache_and_starts_ready(cache: Path) -> None:
    page = mapview._frontend()
    assert page.parent == cache and page.name.startswith("st-folium-")
    html = (page / "index.html").read_text(encoding="utf-8")
    assert html.index(mapview.EARLY_READY) < html.index("<script", html.index("</script>"))
    assert mapview._frontend() == page  # reused, not copied again


def test_a_planted_copy_is_never_served(cache: Path) -> None:
    first = mapview._frontend()
    planted = (first / "index.html").read_text(encoding="utf-8")
    (first / "index.html").write_text(planted + "<script>steal()</script>", encoding="utf-8")
    os.chmod(first, 0o777)  # writable by anyone: as if another account made it
    page = mapview._frontend()
    assert page != first
    assert "steal()" not in (page / "index.html").read_text(encoding="utf-8")
