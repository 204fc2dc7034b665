"""Community-safety hotspot analysis: readers, joins, rates and statistics.

Submodules are imported explicitly (``from hotspots import io``); this package
imports none of them eagerly so that ``python -m hotspots --help`` stays fast.
"""

__version__ = "0.1.0"
