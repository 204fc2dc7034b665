"""Print maps and charts of the board pack (moved here whole; cut by idea in the next commit)."""

from hotspots.maps.printmaps.page import *  # noqa: F403
from hotspots.maps.printmaps.page import HOT_EDGE, SELECTED_EDGE, __all__  # noqa: F401
