"""Maps of the hotspot statistics (moved here whole; cut by idea in the next commit)."""

from hotspots.maps.statmaps.bivariate import *  # noqa: F403
from hotspots.maps.statmaps.bivariate import __all__, _FitUntilMoved, _gi_keys, _ranges  # noqa: F401
