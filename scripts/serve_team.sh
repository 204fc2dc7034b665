#!/usr/bin/env bash
# Start the dashboard for a team (a council VM, behind a TLS proxy): the flags go to
# 'streamlit run'. It refuses to start when the page would be reachable from other
# computers without the login ([auth] in .streamlit/secrets.toml; README, Team server).
# On a laptop use scripts/start.sh instead.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m ui.serving "$@" || exit 2
exec .venv/bin/python -m streamlit run dashboard.py "$@"
