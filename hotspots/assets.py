"""Offline map scripts: Leaflet served by the app itself, never from a CDN.

folium pages load Leaflet (and jQuery, Bootstrap, Font Awesome) from public CDNs.
On a locked-down council network those requests fail and the map stays blank.
:func:`ensure_static_assets` copies Leaflet 1.9.3 (the version folium 0.20 asks
for) from the installed ``xstatic-leaflet`` wheel into ``static/vendor/leaflet/``,
which Streamlit serves at ``/app/static/vendor/leaflet/`` when
``server.enableStaticServing`` is on. It also writes the project's own map-sync
script (:data:`MAP_SYNC_JS`, a few lines of Leaflet that keep side-by-side maps
on the same view) to ``static/vendor/hotspots/``. ``static/vendor/`` is not
committed: the page calls this function on start.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "MAP_SYNC_FILE",
    "MAP_SYNC_JS",
    "MAP_SYNC_JS_URL",
    "LEAFLET_CSS_URL",
    "LEAFLET_FILES",
    "LEAFLET_JS_URL",
    "VENDOR_SUBDIR",
    "ensure_static_assets",
    "leaflet_source_dir",
]

#: Where the copied files live, relative to the project root.
VENDOR_SUBDIR = Path("static") / "vendor" / "leaflet"

#: URLs under Streamlit's static serving (same origin as the page and its iframes).
LEAFLET_JS_URL = "/app/static/vendor/leaflet/leaflet.js"
LEAFLET_CSS_URL = "/app/static/vendor/leaflet/leaflet.css"

#: The map-sync script, relative to the project root, and its URL.
MAP_SYNC_FILE = Path("static") / "vendor" / "hotspots" / "map-sync.js"
MAP_SYNC_JS_URL = "/app/static/vendor/hotspots/map-sync.js"

#: Keeps several Leaflet maps on one view: pan or zoom one, the others follow.
#: (Leaflet.Sync does this too, but lives on a CDN or in an npm tarball; these
#: lines are all the page needs.) ``hsSyncMaps([a, b])`` first gives every map
#: the view of the first one. A flag stops the follower's own "move" event from
#: moving the leader back (an endless loop otherwise).
MAP_SYNC_JS = """\
/* Community safety hotspots: keep side-by-side Leaflet maps on the same view. */
(function () {
  "use strict";
  function hsSyncMaps(maps) {
    var busy = false;
    function follow(leader) {
      if (busy) { return; }
      busy = true;
      try {
        var centre = leader.getCenter(), zoom = leader.getZoom();
        maps.forEach(function (other) {
          if (other !== leader) { other.setView(centre, zoom, {animate: false}); }
        });
      } finally {
        busy = false;
      }
    }
    maps.forEach(function (m) {
      m.on("move zoomend", function () { follow(m); });
    });
    if (maps.length > 1) { follow(maps[0]); }
  }
  window.hsSyncMaps = hsSyncMaps;
}());
"""

#: Files copied from the wheel's data folder (relative paths).
LEAFLET_FILES: tuple[str, ...] = (
    "leaflet.js",
    "leaflet.css",
    "images/layers.png",
    "images/layers-2x.png",
    "images/marker-icon.png",
    "images/marker-icon-2x.png",
    "images/marker-shadow.png",
)


def leaflet_source_dir() -> Path:
    """Return the folder of the installed ``xstatic-leaflet`` files.

    Returns
    -------
    pathlib.Path
        ``xstatic.pkg.leaflet.BASE_DIR``.

    Raises
    ------
    ModuleNotFoundError
        ``XStatic-Leaflet`` is not installed (``pip install -r requirements.txt``).
    """
    try:
        from xstatic.pkg import leaflet
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        raise ModuleNotFoundError(
            "XStatic-Leaflet is not installed; maps cannot be drawn offline. "
            "Run: pip install -r requirements.txt"
        ) from exc
    return Path(leaflet.BASE_DIR)


def ensure_static_assets(root: Path | str) -> Path:
    """Copy the Leaflet files into ``root/static/vendor/leaflet`` if missing.

    Idempotent and safe to call from several processes at once: a file is
    written to a temporary name and moved into place, and only when it is
    missing or differs from the packaged copy.

    Parameters
    ----------
    root
        Project root (the folder holding ``dashboard.py``).

    Returns
    -------
    pathlib.Path
        The ``static/vendor/leaflet`` folder. The map-sync script is written
        to ``root/`` :data:`MAP_SYNC_FILE` as well.
    """
    source = leaflet_source_dir()
    target = Path(root) / VENDOR_SUBDIR
    for rel in LEAFLET_FILES:
        src, dst = source / rel, target / rel
        if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
            continue
        _replace(dst, lambda tmp, src=src: shutil.copyfile(src, tmp))  # type: ignore[misc]
    sync = Path(root) / MAP_SYNC_FILE
    if not (sync.is_file() and sync.read_text(encoding="utf-8") == MAP_SYNC_JS):
        _replace(sync, lambda tmp: Path(tmp).write_text(MAP_SYNC_JS, encoding="utf-8"))
    return target


def _replace(dst: Path, write: Callable[[str], object]) -> None:
    """Write ``dst`` through a temporary file moved into place (atomic for readers)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
