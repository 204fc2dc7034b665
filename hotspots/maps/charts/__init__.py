"""Altair charts of the analysis views (moved here whole; cut by idea in the next commit)."""

from hotspots.maps.charts.trend import *  # noqa: F403
from hotspots.maps.charts.trend import (  # noqa: F401
    NO_CHANGE_COLOUR,
    NOT_COVERED,
    OKABE_ITO,
    PROTECTING,
    SHOWN,
    SUPPRESSED,
    SUPPRESSED_FILL,
    __all__,
)
