"""Demo-pack build scripts and synthetic data generators."""
