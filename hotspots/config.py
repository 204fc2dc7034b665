"""Run manifests: what made a figure, so it can be traced and reproduced exactly.

A manifest records every input file with its SHA-256, every parameter (seed
included) and the versions of Python and the packages that computed it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from hotspots import __version__

PACKAGES = (
    "geopandas", "shapely", "pyogrio", "pyproj", "pandas", "numpy", "scipy", "libpysal",
    "esda", "numba", "mapclassify", "folium", "streamlit", "openpyxl",
)


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def describe_input(path: Path | str) -> dict[str, Any]:
    """Describe an input file or folder with SHA-256 digests.

    Parameters
    ----------
    path
        A file, or a folder (every file under it is hashed, in sorted order).

    Returns
    -------
    dict
        ``path``, ``sha256`` (of the file, or of the sorted list of
        ``relative path + digest`` lines for a folder) and ``files`` for folders.
    """
    p = Path(path)
    if p.is_dir():
        files = {str(f.relative_to(p)): file_sha256(f) for f in sorted(p.rglob("*")) if f.is_file()}
        listing = "\n".join(f"{k} {v}" for k, v in files.items())
        digest = hashlib.sha256(listing.encode()).hexdigest()
        return {"path": str(p), "sha256": digest, "files": files}
    return {"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size}


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages that shape the numbers."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_manifest(
    *, command: str, inputs: dict[str, Path | str | None], parameters: dict[str, Any]
) -> dict[str, Any]:
    """Build a run manifest.

    Parameters
    ----------
    command
        The command or page action that produced the outputs.
    inputs
        Named input paths (``None`` entries are left out).
    parameters
        Every parameter that affects the numbers (measure, period, rate,
        thresholds, weights, permutations, seed, correction ...).

    Returns
    -------
    dict
        JSON-serialisable manifest.
    """
    return {
        "tool": f"hotspot-dashboard {__version__}",
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "inputs": {k: describe_input(v) for k, v in inputs.items() if v is not None},
        "parameters": parameters,
        "versions": package_versions(),
    }


def write_manifest(manifest: dict[str, Any], path: Path) -> Path:
    """Write a manifest as indented JSON and return the path."""
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n",
                    encoding="utf-8")
    return path


def jsonable(obj: Any) -> Any:
    """Return mappings, sequences and numpy scalars as plain JSON-ready objects.

    Parameters
    ----------
    obj
        Parameters or results (dicts, lists, tuples, numpy scalars, plain values).

    Returns
    -------
    object
        The same structure with string keys, lists for sequences and Python scalars.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({1: (np.int64(2), np.float64(0.5))})
    {'1': [2, 0.5]}
    """
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
