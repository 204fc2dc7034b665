"""hotspots.stats."""
