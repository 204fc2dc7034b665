"""hotspots.maps."""
