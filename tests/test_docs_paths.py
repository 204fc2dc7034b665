"""Every module path the developer docs name exists (docs/CONTRACTS.md, docs/ARCHITECTURE.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotspots.pipeline.meta import PackMeta

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("docs/CONTRACTS.md", "docs/ARCHITECTURE.md")
TOPS = ("hotspots", "boundaries", "ui", "static", "docs", "tests", "bench")
PACKAGES = ("io", "areas", "stats", "patrol", "maps", "pipeline", "report", "cli")


def named_paths(text: str) -> set[str]:
    """Project paths written in the text: ``hotspots/x.py``, ``stats/weights.py``, ``maps/``.

    >>> sorted(named_paths("see `hotspots/io.py` and `patrol/grid.py`, not `a/b.py`"))
    ['hotspots/io.py', 'hotspots/patrol/grid.py']
    """
    out = set()
    for m in re.findall(r"(?<![\w./])((?:\w+/)+(?:\w+\.\w+)?)", text):
        top = m.split("/")[0]
        if top in TOPS:
            out.add(m)
        elif top in PACKAGES and m.endswith(".py"):
            out.add(f"hotspots/{m}")
    return out


def named_modules(text: str) -> set[str]:
    """Dotted project names in backticks: ``hotspots.areas.lsoa.lsoa_lookup``."""
    return set(re.findall(r"`((?:hotspots|boundaries|ui)(?:\.\w+)+)", text))


def _module_exists(dotted: str) -> bool:
    """The longest module prefix of a dotted name is a file or package of the project."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:n])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return n >= len(parts) - 1  # a module, or one name in a module
    return False


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_named_in_the_docs_exists(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = sorted(p for p in named_paths(text) if not (ROOT / p).exists())
    assert not missing, f"{doc} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_module_named_in_the_docs_exists(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = sorted(m for m in named_modules(text) if not _module_exists(m))
    assert not missing, f"{doc} names modules that do not exist: {missing}"


def test_contracts_name_pack_metadata_by_its_typed_fields():
    """``Pack.meta`` is a PackMeta: the contracts name its attributes, not dict keys."""
    text = (ROOT / "docs/CONTRACTS.md").read_text(encoding="utf-8")
    assert not re.findall(r"meta\[\"\w+\"\]", text)
    named = set(re.findall(r"PackMeta\.(\w+)", text))
    assert named and named <= set(PackMeta.__dataclass_fields__), named
