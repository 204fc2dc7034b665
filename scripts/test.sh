#!/usr/bin/env bash
# Install (first run only) and run the whole test suite, browser tests included.
# Fails when a test fails, when no test ran, and when ../shared/data exists but the
# real-data tests (or the browser tests) did not all run.
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests ..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ "$#" -eq 0 ]; then
  echo "Lint (ruff) ..."
  .venv/bin/ruff check .
fi
mkdir -p test-artifacts
rm -f test-artifacts/markers.json
set +e
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
