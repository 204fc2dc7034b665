"""hotspots.pipeline."""
