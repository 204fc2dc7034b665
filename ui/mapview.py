"""st_folium glue: draw a folium map that reports nothing back to the server."""

from __future__ import annotations

import folium
from streamlit_folium import st_folium

MAP_HEIGHT = 470


def show_map(m: folium.Map, *, key: str, height: int = MAP_HEIGHT) -> None:
    """Draw a map in the current container.

    ``returned_objects=[]``: panning and hovering never rerun the script.
    The map loads only the scripts listed on the map instance (the project's
    own Leaflet copy, see :mod:`hotspots.assets`).

    Parameters
    ----------
    m
        A map from :mod:`hotspots.maps` (a private copy: st_folium renames
        its elements while rendering).
    key
        Widget key, one per map slot on the page.
    height
        Height in pixels.
    """
    st_folium(m, key=key, returned_objects=[], use_container_width=True, height=height)
