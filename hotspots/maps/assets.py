"""Offline map scripts: Leaflet served by the app itself, never from a CDN.

folium pages load Leaflet (and jQuery, Bootstrap, Font Awesome) from public CDNs.
On a locked-down council network those requests fail and the map stays blank.
:func:`ensure_static_assets` copies Leaflet 1.9.3 (the version folium 0.20 asks
for) from the installed ``xstatic-leaflet`` wheel into ``static/vendor/leaflet/``,
which Streamlit serves at ``/app/static/vendor/leaflet/`` when
``server.enableStaticServing`` is on. It also writes the project's own map-sync
script (:data:`MAP_SYNC_JS`, a few lines of Leaflet that keep side-by-side maps
on the same view) with the map-layer functions (:data:`MAP_LAYERS_JS`: ward layers
whose geometry the browser fetches once from a static file, see
:func:`write_static_geometry`) to ``static/vendor/hotspots/map-sync.js``. ``static/vendor/``
is not committed: the page calls this function on start.
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
    "MAP_LAYERS_JS",
    "MAP_LAYERS_JS_URL",
    "MAP_SYNC_FILE",
    "MAP_SYNC_JS",
    "MAP_SYNC_JS_URL",
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

#: Keeps several Leaflet maps on one view: pan or zoom one, the others follow.
#: (Leaflet.Sync does this too, but lives on a CDN or in an npm tarball; these
#: lines are all the page needs.) ``hsSyncMaps([a, b])`` first gives every map
#: the view of the first one. A flag stops the follower's own "move" event from
#: moving the leader back (an endless loop otherwise).
_SYNC_JS = """\
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

#: The map-layer functions live in the map-sync file (one project script per map
#: frame; st_folium loads each listed script one after another).
MAP_LAYERS_JS_URL = MAP_SYNC_JS_URL

#: Geometry files written at run time (named by a hash of their content), and their URL.
GEO_SUBDIR = Path("static") / "vendor" / "geo"
GEO_URL_PREFIX = "/app/static/vendor/geo/"

#: Ward and outline layers whose geometry is fetched once from a static GeoJSON file
#: (``hsWardLayer(map, spec)``, ``hsOutlineLayer(map, spec)``); the map's own script
#: carries only each ward's colour and tooltip values (``spec``), so a new selection
#: sends tens of kB instead of the geometry again. The layer is added to the map at
#: once (empty) and filled when the file arrives, so st_folium's click handler, set
#: on the layers present when the map is made, still sees clicks on its wards. The
#: file's text is kept on the top page (a string, never an object of a frame that
#: may go away), so a redrawn map, or the second map of a pair, parses it without a
#: request. Tooltip labels and values arrive HTML-escaped (in the map's table and in
#: the file), as folium's own tooltips do.
MAP_LAYERS_JS = """\
/* Community safety hotspots: map layers drawn from a static GeoJSON file. */
(function () {
  "use strict";
  var parsed = {};
  function store() {
    var w = window;
    try { if (window.top && window.top.document) { w = window.top; } } catch (e) { w = window; }
    if (!w.__hsGeoText) { w.__hsGeoText = new w.Object(); }
    return w.__hsGeoText;
  }
  function hsGeo(url) {
    if (!parsed[url]) {
      var texts = store(), text = texts[url];
      var got = typeof text === "string" ? Promise.resolve(text)
        : fetch(url, {credentials: "same-origin"}).then(function (r) {
          if (!r.ok) { throw new Error("map geometry " + url + ": HTTP " + r.status); }
          return r.text();
        }).then(function (t) { texts[url] = t; return t; });
      parsed[url] = got.then(function (t) { return JSON.parse(t); });
    }
    return parsed[url];
  }
  var css = false;
  function addCss() {
    if (css) { return; }
    css = true;
    var s = document.createElement("style");
    s.textContent = ".hs-tip { font-size: 13px; } .hs-tip table { margin: auto; }"
      + " .hs-tip tr { text-align: left; } .hs-tip th { padding: 2px; padding-right: 8px; }";
    document.head.appendChild(s);
  }
  function table(labels, values) {
    var t = document.createElement("table");
    for (var i = 0; i < labels.length; i++) {
      var tr = t.insertRow(), th = document.createElement("th"), td = document.createElement("td");
      th.innerHTML = labels[i];  /* escaped by the server, as folium's tooltips are */
      td.innerHTML = values[i] === null || values[i] === undefined ? "" : String(values[i]);
      tr.appendChild(th);
      tr.appendChild(td);
    }
    return t;
  }
  function own(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function fill(layer, url) {
    hsGeo(url).then(function (data) { layer.addData(data); },
                    function (err) { if (window.console) { console.error(err); } });
  }
  function hsWardLayer(map, spec) {
    var row = {};
    spec.ids.forEach(function (id, i) { row[id] = i; });
    addCss();
    var layer = L.geoJson(null, {
      attribution: spec.attribution || null,
      filter: function (f) { return own(row, f.id); },
      style: function (f) {
        return L.extend({}, spec.style, {fillColor: spec.colours[spec.fill[row[f.id]]]});
      },
      onEachFeature: function (f, l) {
        var i = row[f.id];
        l.on("mouseover", function () { l.setStyle(spec.highlight); });
        l.on("mouseout", function () { layer.resetStyle(l); });
        if (!spec.fields.length) { return; }
        l.bindTooltip(function () {
          return table(spec.aliases, spec.fields.map(function (name) {
            return own(spec.values, name) ? spec.values[name][i] : (f.properties || {})[name];
          }));
        }, {sticky: true, className: "hs-tip"});
      }
    });
    layer.addTo(map);
    fill(layer, spec.url);
    return layer;
  }
  function hsOutlineLayer(map, spec) {
    var keep = {}, pane = "hsOutlines";
    spec.keep.forEach(function (id) { keep[id] = true; });
    if (!map.getPane(pane)) {  /* above the wards whichever file arrives first */
      map.createPane(pane).style.zIndex = 450;
      map.getPane(pane).style.pointerEvents = "none";
    }
    var layer = L.geoJson(null, {
      pane: pane, interactive: false,
      filter: function (f) { return own(keep, f.id); },
      style: function () { return spec.style; }
    });
    layer.addTo(map);
    fill(layer, spec.url);
    return layer;
  }
  window.hsWardLayer = hsWardLayer;
  window.hsOutlineLayer = hsOutlineLayer;
}());
"""

#: What :data:`MAP_SYNC_FILE` holds: the view sync, then the map-layer functions.
MAP_SYNC_JS = _SYNC_JS + MAP_LAYERS_JS

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
