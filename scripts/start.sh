#!/usr/bin/env bash
# Install (first run only) and start the dashboard on the bundled demo pack.
# Extra arguments go to the page, e.g.:  bash scripts/start.sh -- --pack path/to/pack
source "$(dirname "$0")/_venv.sh" requirements.txt
PORT="${PORT:-8501}"
# Map scripts are served by the project (no CDN): copy Leaflet into static/vendor/.
.venv/bin/python -c "from hotspots.assets import ensure_static_assets; ensure_static_assets('.')"
echo
echo "Starting the hotspot dashboard. Open http://localhost:${PORT} in your browser (Ctrl+C stops it)."
echo "Nothing leaves this machine: usage statistics are off and the server listens on 127.0.0.1 only."
exec .venv/bin/python -m streamlit run dashboard.py --server.port "$PORT" "$@"
