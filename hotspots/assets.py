"""Offline map scripts: Leaflet served by the app itself, never from a CDN.

folium pages load Leaflet (and jQuery, Bootstrap, Font Awesome) from public CDNs.
On a locked-down council network those requests fail and the map stays blank.
:func:`ensure_static_assets` copies Leaflet 1.9.3 (the version folium 0.20 asks
for) from the installed ``xstatic-leaflet`` wheel into ``static/vendor/leaflet/``,
which Streamlit serves at ``/app/static/vendor/leaflet/`` when
``server.enableStaticServing`` is on. ``static/vendor/`` is not committed: the
page calls this function on start.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from pathlib import Path

__all__ = [
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
        The ``static/vendor/leaflet`` folder.
    """
    source = leaflet_source_dir()
    target = Path(root) / VENDOR_SUBDIR
    for rel in LEAFLET_FILES:
        src, dst = source / rel, target / rel
        if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return target
