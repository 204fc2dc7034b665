"""The awkward-files corpus (issue 15): built from ../shared/data at test time, never committed."""
