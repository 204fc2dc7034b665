#!/usr/bin/env bash
# Install (first run only) and start the dashboard on the bundled demo pack.
# Extra arguments go to the page, e.g.:  bash scripts/start.sh -- --pack path/to/pack
# HOTSPOTS_WARMUP=0 skips the warm-up run (the first visitor then pays for it).
source "$(dirname "$0")/_venv.sh" requirements.txt
PORT="${PORT:-8501}"
# Map scripts are served by the project (no CDN): copy Leaflet into static/vendor/.
.venv/bin/python -c "from hotspots.maps.assets import ensure_static_assets; ensure_static_assets('.')"
echo
echo "Starting the hotspot dashboard (Ctrl+C stops it)."
echo "Nothing leaves this machine: usage statistics are off and the server listens on 127.0.0.1 only."
.venv/bin/python -m streamlit run dashboard.py --server.port "$PORT" "$@" &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null; exit 130' INT TERM

# Warm-up: once the server answers, run the page once through its own websocket (as a
# browser would, but without one), so that imports, the pack, the default ward table,
# maps and statistics are in the server's caches before the first visitor arrives.
if [ "${HOTSPOTS_WARMUP:-1}" != "0" ]; then
  .venv/bin/python - "$PORT" <<'PY' || echo "Warm-up skipped (the first visit will be slower)."
import asyncio, sys, time, urllib.request, warnings
warnings.simplefilter("ignore")
port = int(sys.argv[1])
base = f"127.0.0.1:{port}"
deadline = time.monotonic() + 120
while True:  # the health check answers once the server is up
    try:
        with urllib.request.urlopen(f"http://{base}/_stcore/health", timeout=2) as r:
            if r.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("the server did not answer its health check within 120 s")
    time.sleep(0.2)
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

async def warm() -> None:
    async with websockets.connect(f"ws://{base}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=30) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        await ws.send(msg.SerializeToString())
        while True:  # until the script run has finished (its caches are then filled)
            fwd = ForwardMsg()
            fwd.ParseFromString(await ws.recv())
            if fwd.WhichOneof("type") == "script_finished":
                return

t0 = time.monotonic()
asyncio.run(asyncio.wait_for(warm(), timeout=600))
print(f"Warmed up in {time.monotonic() - t0:.1f} s.")
PY
fi
echo "Ready: open http://localhost:${PORT} in your browser."
wait "$SERVER"
