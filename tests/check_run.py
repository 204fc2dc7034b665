"""After pytest: fail when nothing ran, or when marked tests were skipped where they must run.

Reads the marker tally written by ``tests/conftest.py``. Real-data tests must all
run when ``../shared/data`` exists; browser tests must all run when Chromium is
installed (``scripts/test.sh`` installs it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> int:
    """Check the tally file and print a one-line verdict; return the exit code."""
    p = Path(path)
    if not p.is_file():
        print(f"check_run: {p} missing: pytest did not finish a session.", file=sys.stderr)
        return 1
    t = json.loads(p.read_text())
    problems = []
    if t["passed"] == 0:
        problems.append("no test passed")
    required = (("realdata", t["shared_data_present"]), ("browser", t["chromium_present"]))
    for marker, must in required:
        ran, skipped = t[marker]["ran"], t[marker]["skipped"]
        if must and (ran == 0 or skipped):
            problems.append(f"{marker} tests: {ran} ran, {skipped} skipped (all must run here)")
    print(
        f"check_run: {t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped; "
        f"realdata ran {t['realdata']['ran']}, browser ran {t['browser']['ran']}"
    )
    for msg in problems:
        print(f"check_run: FAIL: {msg}", file=sys.stderr)
    return 1 if problems or t["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts/markers.json"))
