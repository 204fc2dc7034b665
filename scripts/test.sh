#!/usr/bin/env bash
# Install (first run only) and run the whole test suite, browser tests included.
# Fails when a test fails, when no test ran, and when ../shared/data exists but the
# real-data tests (or the browser tests) did not all run.
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
# Debian packages the tests drive: chromium (browser tests), poppler-utils (pdftoppm,
# pdftotext: the board-pack PDF rendered and read back), Java 17 (the Spark engine's test
# runs pyspark in local mode: tests/test_store_spark.py).
need=()
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
if ! command -v pdftoppm >/dev/null 2>&1; then need+=(poppler-utils); fi
if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then need+=(openjdk-17-jre-headless); fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "Installing Debian packages for the tests: ${need[*]} ..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ "$#" -eq 0 ]; then
  echo "Lint (ruff) ..."
  .venv/bin/ruff check .
fi
mkdir -p test-artifacts
rm -f test-artifacts/markers.json
set +e
# One process: on two workers (pytest-xdist, `-n 2 --dist loadgroup`, browser tests
# grouped on one) the suite took 10 min instead of about 13, but an AppTest test
# (test_app_data::test_mapping_change_remember_and_session_memory) failed there in two of
# five runs, never in one process; until that is understood, the suite runs serially.
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "pytest failed (exit $status)." >&2
  exit "$status"
fi
if [ "$#" -eq 0 ]; then
  # The whole suite: make sure it really ran (see tests/check_run.py).
  .venv/bin/python tests/check_run.py test-artifacts/markers.json
fi
