"""One-way layers: only dashboard.py and ui/ touch streamlit; the domain never imports ui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", ".git", "tests", "static", "test-artifacts", "__pycache__", "out"}
UI_ONLY = {"streamlit", "streamlit_folium"}


def _sources() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("*.py")
        if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts[:-1])
        and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
    )


def _imports(path: Path) -> set[str]:
    """Top-level package names imported anywhere in the file (incl. inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value.split(".")[0])
    return names


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def test_sources_found():
    rels = {_rel(p) for p in _sources()}
    assert "hotspots/maps/classify.py" in rels and "hotspots/maps/web.py" in rels


@pytest.mark.parametrize("path", _sources(), ids=_rel)
def test_streamlit_only_in_dashboard_and_ui(path):
    rel = _rel(path)
    if rel == "dashboard.py" or rel.startswith("ui/"):
        return
    leaked = _imports(path) & UI_ONLY
    assert not leaked, f"{rel} imports {sorted(leaked)}: move that code to ui/"


@pytest.mark.parametrize(
    "path", [p for p in _sources() if _rel(p).startswith(("hotspots/", "boundaries/"))], ids=_rel
)
def test_domain_never_imports_ui(path):
    bad = _imports(path) & {"ui", "dashboard"}
    assert not bad, f"{_rel(path)} imports {sorted(bad)}: the domain must not depend on the UI"


def test_checker_catches_a_leak(tmp_path):
    f = tmp_path / "leak.py"
    f.write_text("def f():\n    import streamlit as st\n    from ui import panels\n")
    assert _imports(f) == {"streamlit", "ui"}


def test_start_script_warms_up_on_this_machine_only():
    """The warm-up in scripts/start.sh talks to the local server only, and can be skipped."""
    import re

    text = (ROOT / "scripts" / "start.sh").read_text(encoding="utf-8")
    urls = re.findall(r"(?:https?|wss?)://([^/:\"'\s}{$]+)", text)
    assert urls and set(urls) <= {"127.0.0.1", "localhost"}, urls
    assert 'base = f"127.0.0.1:{port}"' in text and text.count("{base}") == 2
    assert "_stcore/health" in text and "_stcore/stream" in text
    assert 'HOTSPOTS_WARMUP:-1}" != "0"' in text  # HOTSPOTS_WARMUP=0 skips it
    # The user is told to open the page only after the warm-up (or its failure).
    assert text.index("Warm-up skipped") < text.index("Ready: open http://localhost")
