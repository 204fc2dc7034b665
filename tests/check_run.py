"""After pytest: fail when nothing ran, or when marked tests were skipped where they must run.

Reads the marker tally written by the root ``conftest.py``. Real-data tests must all
run when ``../shared/data`` exists; browser tests must all run when Chromium is
installed (``scripts/test.sh`` installs it); Spark tests (real data on a local JVM)
must all run when Java is installed and ``../shared/data`` exists (``scripts/test.sh``
installs Debian's Java 17 and the pinned pyspark). A module skipped at collection (a
module-level ``pytest.importorskip``) never reaches the per-test tally, so it
fails the run too, and so does running fewer real-data, browser or doctest
examples than ``tests/expected_counts.json`` records (raise those numbers when
tests are added; never lower them to make a run pass).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXPECTED = Path(__file__).with_name("expected_counts.json")


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
    spark_here = bool(t.get("java_present")) and t["shared_data_present"]
    required = (("realdata", t["shared_data_present"]), ("browser", t["chromium_present"]),
                ("spark", spark_here))
    for marker, must in required:
        ran, skipped = t.get(marker, {}).get("ran", 0), t.get(marker, {}).get("skipped", 0)
        if must and (ran == 0 or skipped):
            problems.append(f"{marker} tests: {ran} ran, {skipped} skipped (all must run here)")
    if t.get("collection_skipped"):
        problems.append(f"modules skipped at collection: {t['collection_skipped']}")
    expected = json.loads(EXPECTED.read_text()) if EXPECTED.is_file() else {}
    counts = {"realdata": t["realdata"]["ran"], "browser": t["browser"]["ran"],
              "doctests": t.get("doctests", 0), "spark": t.get("spark", {}).get("ran", 0)}
    for kind, need in expected.items():
        present = {"realdata": t["shared_data_present"], "browser": t["chromium_present"],
                   "spark": spark_here}
        if present.get(kind, True) and counts.get(kind, 0) < need:
            problems.append(f"{kind}: {counts.get(kind, 0)} ran, at least {need} expected "
                            f"({EXPECTED.name})")
    print(
        f"check_run: {t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped; "
        f"realdata ran {t['realdata']['ran']}, browser ran {t['browser']['ran']}, "
        f"doctests ran {t.get('doctests', 0)}, spark ran {counts['spark']}"
    )
    for msg in problems:
        print(f"check_run: FAIL: {msg}", file=sys.stderr)
    return 1 if problems or t["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts/markers.json"))
