"""A loaded pack kept as Arrow files on disk, keyed by the content of its files and of the code.

Loading a pack reads and checks its CSVs and its GeoJSON and places every row
(0.8 s for the demo pack on a quiet machine, most of the command line's cold run).
The result depends only on the bytes of the pack's files and on the code that reads
them, so :func:`hotspots.pipeline.pack.load_pack` stores the frames of a loaded
:class:`~hotspots.pipeline.pack.Pack` once, as Arrow IPC files (Feather v2, LZ4; the
area layer as GeoArrow with WKB geometry: no pickle, nothing executable), and reads them
back next time. Arrow files are read without decoding pages (the demo's 316,000 crime rows
in about half the time of Parquet) and need neither ``pyarrow.parquet`` nor
``pyarrow.dataset`` (imported by Parquet reads: about 13 ms of a cold command).

- **Key**: SHA-256 over every file in the pack folder and its subfolders (path and bytes), every
  ``.py`` file of the ``hotspots`` and ``boundaries`` packages (so a change of the
  readers, the joins or the reconciliation is never served from an old cache) and
  :data:`FORMAT`. A changed byte anywhere gives a new key, and the stale entry is
  replaced (one entry per pack folder).
- **Where**: ``$HOTSPOTS_CACHE_DIR`` or ``$XDG_CACHE_HOME/hotspots`` (default
  ``~/.cache/hotspots``), folder ``packs/<hash of the pack folder's path>``, created
  readable by the user only (a pack may hold referral counts). ``HOTSPOTS_PACK_CACHE=0``
  switches it off.
- **Safety**: an entry is written to a temporary folder and renamed into place, so a
  reader never sees half an entry; any failure to write or read it (read-only home,
  full disk, a frame Arrow cannot hold) falls back to reading the pack's files.

Examples
--------
>>> len(source_digest()) == 64
True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

__all__ = ["FORMAT", "FRAMES", "WEB_LAYERS", "cache_dir", "enabled", "entry_for",
           "read_entry", "read_web", "source_digest", "write_entry", "write_web"]

#: Bumped when the layout of an entry changes.
FORMAT = "hotspots-pack-cache-2"
#: The pack's frames kept in an entry (``<name>.arrow``; ``areas`` with its geometry).
FRAMES = ("areas", "crime", "referrals", "population", "imd", "reconciliations",
          "unassigned", "problems", "points")
#: The web map layers kept beside the frames once a page or a map has built them.
WEB_LAYERS = ("areas", "boroughs")
_CODE_ROOTS = ("hotspots", "boundaries")
_PROJECT = Path(__file__).resolve().parents[2]


def enabled() -> bool:
    """Return False when ``HOTSPOTS_PACK_CACHE`` is ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get("HOTSPOTS_PACK_CACHE", "1").strip().lower() not in (
        "0", "false", "no", "off")


def cache_dir() -> Path:
    """Return the folder holding the pack entries (see the module docstring)."""
    base = os.environ.get("HOTSPOTS_CACHE_DIR")
    if base:
        return Path(base) / "packs"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "hotspots" / "packs"


def source_digest() -> str:
    """Return the SHA-256 of the project's Python source that shapes a loaded pack."""
    h = hashlib.sha256(FORMAT.encode())
    for root in _CODE_ROOTS:
        for path in sorted((_PROJECT / root).rglob("*.py")):
            h.update(str(path.relative_to(_PROJECT)).encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def pack_key(folder: Path) -> str:
    """Return the entry key of a pack folder: its files' names and bytes, and the code."""
    h = hashlib.sha256(source_digest().encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):  # subfolders too
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        with path.open("rb") as f:
            h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()


def entry_for(folder: Path) -> tuple[Path, str]:
    """Return ``(entry folder, key)`` of a pack folder (the entry may not exist)."""
    where = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]
    return cache_dir() / where, pack_key(folder)


def read_entry(entry: Path, key: str) -> dict[str, pd.DataFrame | None] | None:
    """Return the cached frames when ``entry`` holds ``key``, else ``None``."""
    try:
        stamp = json.loads((entry / "key.json").read_text(encoding="utf-8"))
        if stamp.get("key") != key:
            return None
        out: dict[str, pd.DataFrame | None] = {}
        for name in FRAMES:
            path = entry / f"{name}.arrow"
            if name == "areas":
                out[name] = gpd.read_feather(path)
            else:
                out[name] = pd.read_feather(path) if path.is_file() else None
            # Arrow reads object columns of text back as strings: restore them
            for col in stamp["object_columns"].get(name, []):
                out[name][col] = out[name][col].astype(object)
        return out
    except Exception:  # noqa: BLE001 - any unreadable entry: read the pack's files instead
        return None


def write_entry(entry: Path, key: str, frames: dict[str, pd.DataFrame | None]) -> bool:
    """Write the frames under ``entry`` (atomically, replacing an older entry).

    Returns
    -------
    bool
        True when written; False when it could not be (the caller carries on).
    """
    tmp: Path | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
        for name in FRAMES:
            frame = frames.get(name)
            if frame is not None:
                frame.to_feather(tmp / f"{name}.arrow")
        objects = {name: [str(c) for c in frame.columns if frame[c].dtype == object]
                   for name, frame in frames.items() if frame is not None}
        (tmp / "key.json").write_text(json.dumps({"key": key, "format": FORMAT,
                                                  "object_columns": objects}),
                                      encoding="utf-8")
        old = entry.with_name(entry.name + ".old")
        if entry.exists():
            shutil.rmtree(old, ignore_errors=True)
            entry.rename(old)
        tmp.rename(entry)
        shutil.rmtree(old, ignore_errors=True)
        return True
    except Exception:  # noqa: BLE001 - caching is optional: the pack was loaded anyway
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        return False


def read_web(entry: Path) -> dict[str, gpd.GeoDataFrame] | None:
    """Return the web layers kept in ``entry`` (see :data:`WEB_LAYERS`), else ``None``."""
    try:
        return {name: gpd.read_parquet(entry / f"web_{name}.parquet") for name in WEB_LAYERS}
    except Exception:  # noqa: BLE001 - not there (yet) or unreadable: build them
        return None


def write_web(entry: Path, layers: dict[str, gpd.GeoDataFrame]) -> bool:
    """Keep the web layers in ``entry`` (each file written aside, then renamed in)."""
    try:
        if not (entry / "key.json").is_file():
            return False
        for name in WEB_LAYERS:
            tmp = entry / f".web_{name}.{os.getpid()}.tmp"
            layers[name].to_parquet(tmp)
            os.replace(tmp, entry / f"web_{name}.parquet")
        return True
    except Exception:  # noqa: BLE001 - caching is optional
        return False
