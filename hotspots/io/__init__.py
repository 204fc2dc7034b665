"""hotspots.io."""
