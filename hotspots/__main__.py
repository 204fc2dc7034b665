"""``python -m hotspots``: see :mod:`hotspots.cli`."""

from hotspots.cli import main

raise SystemExit(main())
