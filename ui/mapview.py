"""st_folium glue: draw folium maps that report nothing back, or only a click.

Rendering a folium map into the component's arguments (the Leaflet script with
the inline GeoJSON, about 0.9 MB per 700 wards; the measure/IMD pair's wards come
from static geometry files instead, ~90 kB per selection, see
:func:`ui.cache.static_geometry`) takes a few tenths of a second;
``st_folium`` does it on every rerun. :func:`render_map` does it once, so that
``ui/cache.py`` can keep the result keyed by small arguments, and
:func:`show_rendered` hands it to the same front-end component ``st_folium``
uses.

The component's page says it is ready as soon as its HTML is read
(:data:`EARLY_READY`). Streamlit shows "Your app is having trouble loading the
... component" when a component has not said so 60 s after it was placed on the
page, and st_folium's own page says so only after its 225 kB script has been
parsed and run. Same-origin component frames share the page's main thread in the
browser: with a busy CPU and several maps arriving at once that took over 60 s
(measured: up to 121 s from a frame being placed to st_folium's ready message,
while the server answered the frame's requests in under 1.5 s;
``tests/browser/test_first_loads.py``). The frame still shows the map only when
st_folium's script runs: its own ready message comes then, and Streamlit sends
the map's arguments again on it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import branca
import folium
import folium.elements
import folium.plugins
import streamlit as st
import streamlit.components.v1 as components
import streamlit_folium as _sf

from hotspots.pipeline import packcache

__all__ = [
    "CLICK_OBJECTS",
    "MAP_HEIGHT",
    "RenderedMap",
    "RenderedPair",
    "RenderedPanel",
    "clicked_area",
    "render_map",
    "show_rendered",
]

MAP_HEIGHT = 470

#: Inline script the component's page runs first: Streamlit's component protocol
#: (``streamlit:componentReady``, API version 1), sent before st_folium's script loads.
EARLY_READY = ('<script>window.parent.postMessage({isStreamlitMessage: true, '
               'type: "streamlit:componentReady", apiVersion: 1}, "*");</script>')
#: The frame's page has no margin: with the browser's default 8 px the map was pushed
#: 8 px down in a frame exactly its height, cutting off its bottom edge (the scale bar
#: and the Leaflet credit).
FRAME_CSS = "<style>html, body { margin: 0; padding: 0; }</style>"


def _frontend() -> Path:
    """st_folium's front end with :data:`EARLY_READY` and :data:`FRAME_CSS` first in its page.

    Copied once into the user's own cache folder (beside the pack cache, made
    0700; named by a digest of the page, so the user's server processes share
    one copy), never into the project. Not the shared temporary folder: there
    another account on a team server could plant a page under the predictable
    name and have its script run in every user's dashboard. A copy that exists
    is used only when it is this user's and writable by no one else; otherwise
    a fresh private folder is made.
    """
    src = Path(_sf.__file__).resolve().parent / "frontend" / "build"
    page = (src / "index.html").read_text(encoding="utf-8")
    if "<head>" not in page:  # another st_folium layout: serve it unchanged
        return src
    page = page.replace("<head>", "<head>" + EARLY_READY + FRAME_CSS, 1)
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()[:16]
    root = packcache.cache_dir().parent
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:  # no writable cache folder: a private one for this process
        root = Path(tempfile.mkdtemp(prefix="hotspots-"))
    dst = root / f"st-folium-{digest}"
    if (dst / "index.html").is_file() and _private(dst):
        return dst
    tmp = Path(tempfile.mkdtemp(prefix=dst.name + ".", dir=root))  # mode 0700
    shutil.copytree(src, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map"))
    (tmp / "index.html").write_text(page, encoding="utf-8")
    if dst.exists():
        return tmp  # someone else's or unsafe copy: use ours, leave that one alone
    try:
        os.rename(tmp, dst)
    except OSError:  # another process of this user made it first
        shutil.rmtree(tmp, ignore_errors=True)
        return dst if _private(dst) else _frontend_fresh(src, page, root)
    return dst


def _private(folder: Path) -> bool:
    """Return True when ``folder`` and its page belong to this user and no one else can write.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "index.html").write_text("x")
    >>> _private(d)
    True
    >>> d.chmod(0o777)
    >>> _private(d)
    False
    """
    try:
        for p in (folder, folder / "index.html"):
            st_ = p.lstat()
            if p.is_symlink() or st_.st_uid != os.getuid() or st_.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


def _frontend_fresh(src: Path, page: str, root: Path) -> Path:
    """Return a private copy of the front end for this process only."""
    tmp = Path(tempfile.mkdtemp(prefix="st-folium.", dir=root))
    shutil.copytree(src, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map"))
    (tmp / "index.html").write_text(page, encoding="utf-8")
    return tmp


#: The map component: st_folium's front end (:func:`_frontend`), declared here, so its
#: frames are titled ``ui.mapview.st_folium``.
_component_func = components.declare_component("st_folium", path=str(_frontend()))

#: What a map that selects a ward reports back: the clicked feature (GeoJSON,
#: whose ``id`` is the ward's ``area_code``) and a click counter, so that clicking
#: the same ward again after choosing another in the list selects it again.
#: Panning and zooming change neither, so they never rerun the script.
CLICK_OBJECTS: tuple[str, ...] = ("last_active_drawing", "last_object_clicked_count")


@dataclass(frozen=True)
class RenderedMap:
    """A folium map (or :class:`folium.plugins.DualMap`) rendered for the component.

    Attributes
    ----------
    script
        The Leaflet script (layers, data, controls), with st_folium's names
        ``map_div`` (and ``map_div2`` for a pair).
    header
        Styles and inline scripts for the frame's head.
    html
        Extra HTML of the map's figure.
    map_id
        The map's id before renaming (st_folium passes it on).
    css_links, js_links
        Stylesheets and scripts the frame loads, in order (local only for
        the project's maps).
    """

    script: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]

    @property
    def n_bytes(self) -> int:
        """Size of the text sent to the browser (UTF-8 bytes)."""
        return sum(len(x.encode("utf-8")) for x in (self.script, self.header, self.html))


@dataclass(frozen=True)
class RenderedPair:
    """The measure and IMD maps in one synchronised component, with their titles and legends.

    Attributes
    ----------
    rendered
        The pair (:func:`hotspots.maps.synced_pair`), or the measure map alone
        when there is no IMD map.
    left_title, left_legend
        The measure map's heading and HTML legend.
    right_title, right_legend
        The IMD map's, or ``None`` when there is no IMD map.
    """

    rendered: RenderedMap
    left_title: str
    left_legend: str
    right_title: str | None = None
    right_legend: str | None = None


@dataclass(frozen=True)
class RenderedPanel:
    """One rendered map with its heading, HTML legend and method caption.

    Attributes
    ----------
    rendered
        From :func:`render_map`.
    title, legend, caption
        Drawn above, beside or below the map (``legend`` is escaped HTML).
    """

    rendered: RenderedMap
    title: str
    legend: str
    caption: str = ""


def render_map(fig: folium.Map | folium.plugins.DualMap) -> RenderedMap:
    """Render a map the way ``st_folium`` does, once (the map is modified: pass a copy).

    The same steps as ``streamlit_folium.st_folium`` 0.27.4 before it calls its
    component (``tests/test_app.py`` checks the output is identical).

    Parameters
    ----------
    fig
        A :class:`folium.Map` or :class:`folium.plugins.DualMap`.

    Returns
    -------
    RenderedMap
    """
    if isinstance(fig, folium.plugins.DualMap):
        fig.render()
    else:
        fig.get_root().render()
    fig.render()
    html = _sf._get_html(fig)
    header = _sf._get_header(fig)
    script = _sf._get_map_string(fig)  # type: ignore[arg-type]
    css, js = _links(fig)
    return RenderedMap(script=script, header=header, html=html, map_id=_sf.get_full_id(fig),
                       css_links=css, js_links=js)


def _links(fig: folium.MacroElement) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the stylesheets and scripts of every element (st_folium's walk)."""

    def walk(el: Any) -> Iterable[Any]:
        if isinstance(el, branca.colormap.ColorMap):
            yield el
        if isinstance(el, folium.plugins.DualMap):
            yield from walk(el.m1)
            yield from walk(el.m2)
        if isinstance(el, folium.elements.JSCSSMixin):
            yield el
        for child in getattr(el, "_children", {}).values():
            yield from walk(child)

    css: list[str] = []
    js: list[str] = []
    for el in walk(fig):
        if isinstance(el, branca.colormap.ColorMap):
            # What st_folium adds for a colour scale: d3 from a CDN. The project's
            # maps never hold one (legends are drawn beside the map).
            js[:0] = ["https://d3js.org/d3.v4.min.js",
                      "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"]
        css.extend(href for _, href in getattr(el, "default_css", []))
        js.extend(src for _, src in getattr(el, "default_js", []))
    return tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js))


def show_rendered(
    r: RenderedMap,
    *,
    key: str,
    height: int = MAP_HEIGHT,
    returned_objects: Iterable[str] = (),
    on_change: Callable[[], None] | None = None,
) -> Mapping[str, Any] | None:
    """Draw a rendered map in the current container (full width).

    The component sits in a container keyed ``f"{key}_box"`` (CSS class
    ``st-key-<key>_box``), so that a test can find this map by name.

    Parameters
    ----------
    r
        From :func:`render_map` (cache it: rendering is the slow part).
    key
        Widget key, one per map slot on the page; the latest value the map
        reported is also kept in ``st.session_state[key]``.
    height
        Height in pixels.
    returned_objects
        What the map reports back (st_folium's names); empty: nothing, so
        panning and hovering never rerun the script. :data:`CLICK_OBJECTS`
        reports ward clicks only.
    on_change
        Called (before the rerun) when the reported value changes, e.g. on a
        click; read ``st.session_state[key]`` in it.

    Returns
    -------
    dict or None
        The reported values (only ``returned_objects``).
    """
    wanted = list(returned_objects)
    hash_key = _sf.generate_js_hash(r.script, key, False)

    def changed() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})
        if on_change is not None:
            on_change()

    with st.container(key=f"{key}_box"):
        value: Mapping[str, Any] | None = _component_func(
            script=r.script, header=r.header, html=r.html, id=r.map_id, key=hash_key,
            height=height, width=None, returned_objects=wanted,
            default=dict.fromkeys(wanted), zoom=None, center=None, feature_group=None,
            return_on_hover=False, layer_control=None, pixelated=False,
            css_links=list(r.css_links), js_links=list(r.js_links), on_change=changed,
            wrap_longitude=False,
        )
    return value


def clicked_area(value: Mapping[str, Any] | None, known: Iterable[str]) -> str | None:
    """Return the ``area_code`` of the ward a map reported as clicked, if known.

    Parameters
    ----------
    value
        What the map reported (``show_rendered(..., returned_objects=CLICK_OBJECTS)``).
    known
        The area codes that may be selected (a click on anything else, e.g. a
        borough outline, selects nothing).

    Returns
    -------
    str or None
        The feature's ``id`` (the project's maps use ``area_code`` as the
        GeoJSON feature id), else its ``area_code`` property; ``None`` when
        nothing known was clicked.
    """
    feature = (value or {}).get("last_active_drawing")
    if not isinstance(feature, Mapping):
        return None
    props = feature.get("properties")
    candidates = [feature.get("id"),
                  props.get("area_code") if isinstance(props, Mapping) else None]
    codes = set(known)
    for c in candidates:
        if c is not None and str(c) in codes:
            return str(c)
    return None
