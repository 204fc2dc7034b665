"""Offline map scripts: Leaflet served by the app itself, never from a CDN.

folium pages load Leaflet (and jQuery, Bootstrap, Font Awesome) from public CDNs.
On a locked-down council network those requests fail and the map stays blank.
:func:`ensure_static_assets` copies Leaflet 1.9.3 (the version folium 0.20 asks
for) from the installed ``xstatic-leaflet`` wheel into ``static/vendor/leaflet/``,
which Streamlit serves at ``/app/static/vendor/leaflet/`` when
``server.enableStaticServing`` is on. It also copies the project's own map script,
committed as ``static/js/map_sync.js`` (:data:`MAP_SYNC_SOURCE`: a few lines of
Leaflet that keep side-by-side maps on the same view, and the map-layer functions
that draw wards whose geometry the browser fetches once from a static file, see
:func:`write_static_geometry`), to ``static/vendor/hotspots/map-sync.js`` under the
app's folder. ``static/vendor/`` is not committed: the page calls this function on
start.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "GEO_SUBDIR",
    "GEO_URL_PREFIX",
    "MAP_LAYERS_JS_URL",
    "MAP_SYNC_FILE",
    "MAP_SYNC_JS",
    "MAP_SYNC_JS_URL",
    "MAP_SYNC_SOURCE",
    "LEAFLET_CSS_URL",
    "LEAFLET_FILES",
    "LEAFLET_JS_URL",
    "VENDOR_SUBDIR",
    "ensure_static_assets",
    "leaflet_source_dir",
    "write_static_geometry",
]

#: Where the copied files live, relative to the project root.
VENDOR_SUBDIR = Path("static") / "vendor" / "leaflet"

#: URLs under Streamlit's static serving (same origin as the page and its iframes).
LEAFLET_JS_URL = "/app/static/vendor/leaflet/leaflet.js"
LEAFLET_CSS_URL = "/app/static/vendor/leaflet/leaflet.css"

#: The map-sync script, relative to the project root, and its URL.
MAP_SYNC_FILE = Path("static") / "vendor" / "hotspots" / "map-sync.js"
MAP_SYNC_JS_URL = "/app/static/vendor/hotspots/map-sync.js"

#: The project's own map script as committed (``static/js/map_sync.js``), copied to
#: :data:`MAP_SYNC_FILE` by :func:`ensure_static_assets`. It holds two parts:
#:
#: - ``hsSyncMaps([a, b])`` keeps several Leaflet maps on one view: pan or zoom one,
#:   the others follow (Leaflet.Sync does this too, but lives on a CDN or in an npm
#:   tarball). It first gives every map the view of the first one; a flag stops the
#:   follower's own "move" event from moving the leader back (an endless loop
#:   otherwise).
#: - ``hsWardLayer(map, spec)`` and ``hsOutlineLayer(map, spec)``: ward and outline
#:   layers whose geometry is fetched once from a static GeoJSON file (see
#:   :func:`write_static_geometry`); the map's own script carries only each ward's
#:   colour and tooltip values (``spec``), so a new selection sends tens of kB instead
#:   of the geometry again. The layer is added to the map at once (empty) and filled
#:   when the file arrives, so st_folium's click handler, set on the layers present
#:   when the map is made, still sees clicks on its wards. The file's text is kept on
#:   the top page (a string, never an object of a frame that may go away), so a
#:   redrawn map, or the second map of a pair, parses it without a request. Tooltip
#:   labels and values arrive HTML-escaped (in the map's table and in the file), as
#:   folium's own tooltips do.
#:
#: Both live in one file because st_folium loads each listed script of a map frame
#: one after another: one project script per frame.
MAP_SYNC_SOURCE = Path(__file__).resolve().parents[2] / "static" / "js" / "map_sync.js"

#: The text of :data:`MAP_SYNC_SOURCE` (what :data:`MAP_SYNC_FILE` holds once copied).
MAP_SYNC_JS = MAP_SYNC_SOURCE.read_text(encoding="utf-8")

#: The map-layer functions live in the map-sync file.
MAP_LAYERS_JS_URL = MAP_SYNC_JS_URL

#: Geometry files written at run time (named by a hash of their content), and their URL.
GEO_SUBDIR = Path("static") / "vendor" / "geo"
GEO_URL_PREFIX = "/app/static/vendor/geo/"

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
        _copy_if_changed(source / rel, target / rel)
    _copy_if_changed(MAP_SYNC_SOURCE, Path(root) / MAP_SYNC_FILE)
    return target


def write_static_geometry(root: Path | str, name: str, data: bytes) -> str:
    """Write a GeoJSON file under ``root/static/vendor/geo/``, named by its content.

    The name carries the first 16 hex digits of the content's SHA-256, so a
    changed pack gets a new file and a new URL (a browser never shows stale
    geometry from its cache), and an unchanged one is written once.

    Parameters
    ----------
    root
        Folder of the page's main script (Streamlit serves its ``static/``).
    name
        Short lower-case stem, e.g. ``"wards"`` (letters, digits, ``-``, ``_``).
    data
        The file's bytes (geometry and codes or names only: the folder is
        served to anyone who can open the page).

    Returns
    -------
    str
        The file's URL under Streamlit's static serving, e.g.
        ``/app/static/vendor/geo/wards-0123456789abcdef.json``.

    Raises
    ------
    ValueError
        ``name`` is empty or holds other characters.
    """
    if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name):
        raise ValueError(f"name must be letters, digits, '-' or '_'; got {name!r}")
    file_name = f"{name}-{hashlib.sha256(data).hexdigest()[:16]}.json"
    path = Path(root) / GEO_SUBDIR / file_name
    if not (path.is_file() and path.stat().st_size == len(data)):
        _replace(path, lambda tmp: Path(tmp).write_bytes(data))
    return GEO_URL_PREFIX + file_name


def _copy_if_changed(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` unless ``dst`` already holds the same bytes."""
    if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
        return
    _replace(dst, lambda tmp: shutil.copyfile(src, tmp))


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
