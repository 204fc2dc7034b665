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
# Two workers (pytest-xdist, `--dist loadgroup`): the browser tests on one worker in
# order, every other module kept whole on one worker in file order (tests/conftest.py),
# so tests sharing a module-scoped fixture see it as they do in one process.
# HOTSPOTS_TEST_WORKERS=0 runs the suite in one process; a test file given as an
# argument runs in one process unless -n is given.
workers="${HOTSPOTS_TEST_WORKERS:-2}"
xdist=()
if [ "$#" -eq 0 ] && [ "$workers" != "0" ]; then xdist=(-n "$workers" --dist loadgroup); fi
.venv/bin/python -m pytest "${xdist[@]}" "$@"
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
