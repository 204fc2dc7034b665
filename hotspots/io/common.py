"""What every reader in :mod:`hotspots.io` shares.

Input as a path or a binary file object (an upload), its name for messages,
text decoding (UTF-8 with or without BOM, then Windows-1252), header matching
ignoring case and spacing with "did you mean" hints, one grouped problem for
many rows, and count parsing (``1,234`` accepted). Internal to the package:
other packages use the readers re-exported by :mod:`hotspots.io`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from hotspots._validate import Report, rows_text

PathLike = str | os.PathLike[str]
Source = PathLike | IO[bytes]

TEXT = "string"  # pandas StringDtype: missing values are <NA>
MONTH_PATTERN = r"\d{4}-(?:0[1-9]|1[0-2])"

# Plausible coordinate ranges (United Kingdom, with a margin), used to spot
# sentinel values such as 0,0 and swapped or mis-typed columns.
LON_RANGE = (-11.0, 3.0)
LAT_RANGE = (49.0, 62.0)
EASTING_RANGE = (0.0, 700_000.0)
NORTHING_RANGE = (0.0, 1_300_000.0)

_SHOW_ROWS = 5  # row numbers quoted in a grouped problem


# --------------------------------------------------------------------------- shared helpers


def _is_buffer(path: Source) -> bool:
    return hasattr(path, "read")


def _input_name(path: Source, label: str | None) -> str:
    """Return the name used in ``source`` and the report."""
    if label:
        return label
    if _is_buffer(path):
        return Path(str(getattr(path, "name", "") or "upload")).name
    return Path(os.fspath(path)).name  # type: ignore[arg-type]


def _input_bytes(path: Source) -> bytes:
    """Return the bytes of a path or binary file object."""
    if _is_buffer(path):
        data = path.read()  # type: ignore[union-attr]
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return Path(os.fspath(path)).read_bytes()  # type: ignore[arg-type]


def _decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), falling back to cp1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _norm_header(value: object) -> str:
    """Return a header compared ignoring case, BOM and runs of spaces."""
    return " ".join(str(value).replace("\ufeff", " ").split()).casefold()


def _match_headers(
    found: Iterable[object], wanted: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """Match wanted header names to the file's headers, ignoring case and spacing.

    Returns ``{file header: wanted name}`` and the wanted names not found.
    """
    lookup: dict[str, str] = {}
    for header in found:
        lookup.setdefault(_norm_header(header), str(header))
    matched: dict[str, str] = {}
    missing: list[str] = []
    for name in wanted:
        key = _norm_header(name)
        if key in lookup:
            matched[lookup[key]] = name
        else:
            missing.append(name)
    return matched, missing


def _suggest(missing: Iterable[str], found: Iterable[object], wanted: Iterable[str] = ()) -> str:
    """Return ``" Did you mean ...?"`` hints for missing headers (difflib).

    Only headers that are not already one of the ``wanted`` names are offered
    (the file's ``Latitude`` is its latitude, never the missing ``Longitude``),
    and each header at most once, to the missing name it is closest to.

    Examples
    --------
    >>> _suggest(["Longitude"], ["Month", "Latitude"], ["Month", "Longitude", "Latitude"])
    ''
    >>> _suggest(["Longitude"], ["Longtitude", "Latitude"], ["Longitude", "Latitude"])
    " Did you mean 'Longtitude' for 'Longitude'?"
    """
    claimed = {_norm_header(w) for w in wanted}
    choices = {_norm_header(h): str(h) for h in found
               if str(h).strip() and _norm_header(h) not in claimed}
    scored = []
    for name in missing:
        for key in difflib.get_close_matches(_norm_header(name), list(choices), n=3, cutoff=0.6):
            ratio = difflib.SequenceMatcher(None, _norm_header(name), key).ratio()
            scored.append((-ratio, str(name), key))
    hints: dict[str, str] = {}
    used: set[str] = set()
    for _, name, key in sorted(scored):
        if name not in hints and key not in used:
            hints[name] = f"'{choices[key]}' for '{name}'"
            used.add(key)
    ordered = [hints[n] for n in missing if n in hints]
    return f" Did you mean {', '.join(ordered)}?" if ordered else ""


def _strip_text(s: pd.Series) -> pd.Series:
    """Return a string column with surrounding spaces removed and blanks as <NA>."""
    out = s.astype(TEXT).str.strip()
    return out.mask(out == "")


def _grouped(
    report: Report,
    severity: Literal["error", "warning", "info"],
    file: str,
    rows: Iterable[int],
    what: str,
    fix: str,
    *,
    column: str | None = None,
) -> None:
    """Add one problem standing for several rows, quoting the first few row numbers."""
    rows = list(rows)
    if rows:
        report.add(severity, file, f"{what} ({rows_text(rows, limit=_SHOW_ROWS)})", fix,
                   column=column, count=len(rows))


def _in_range(values: pd.Series, bounds: tuple[float, float]) -> pd.Series:
    return values.between(bounds[0], bounds[1])


def _to_float(s: pd.Series) -> pd.Series:
    """Convert text or numbers to float64 (unreadable -> NaN)."""
    return pd.to_numeric(s, errors="coerce").astype("float64")


_THOUSANDS_RE = r"\d{1,3}(?:,\d{3})+"


def _parse_count_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse count text (``"12"``, ``"1,234"``, ``"12.0"``); return floats and a bad mask."""
    text = _strip_text(values)
    thousands = text.str.fullmatch(_THOUSANDS_RE).fillna(False).astype(bool)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    number = _to_float(text).to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(number) | (number < 0) | (np.mod(number, 1) != 0)
    return number, bad
