"""The README's commands: every Python one-liner in scripts/*.sh still runs after a move."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ONE_LINERS = [(p.name, code) for p in sorted((ROOT / "scripts").glob("*.sh"))
              for code in re.findall(r'python -c "([^"]+)"', p.read_text(encoding="utf-8"))]


def test_the_start_script_has_its_asset_one_liner():
    assert any("ensure_static_assets" in code for _, code in ONE_LINERS), ONE_LINERS


@pytest.mark.parametrize(("script", "code"), ONE_LINERS, ids=[s for s, _ in ONE_LINERS])
def test_script_one_liner_runs(script, code):
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{script}: {code}\n{done.stderr[-2000:]}"
