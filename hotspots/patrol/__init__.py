"""hotspots.patrol."""
