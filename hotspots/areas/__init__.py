"""hotspots.areas."""
