"""Standard column names, the two referral layouts, and area-name normalising.

A partner's referral spreadsheet is described by a :class:`ColumnMap` from
standard names (:data:`STANDARD_NAMES`, per layout :data:`LAYOUT_NAMES`) to the
file's own headers; :func:`save_mapping` / :func:`load_mapping` keep one as
small JSON. :func:`standardise_area_name` is how ward names are compared when
joining by name.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hotspots._errors import ColumnMappingError
from hotspots.io.common import PathLike

__all__ = [
    "LAYOUT_NAMES",
    "STANDARD_NAMES",
    "ColumnMap",
    "Layout",
    "load_mapping",
    "save_mapping",
    "standardise_area_name",
]


Layout = Literal["records", "aggregate"]

#: Standard column names a referral spreadsheet can be mapped to (registry).
STANDARD_NAMES: dict[str, str] = {
    "referral_id": "the referral's own id (optional; repeats are reported)",
    "date": "date of the referral or incident",
    "category": "type of referral or offence",
    "ward_code": "ward GSS code (E05...)",
    "ward_name": "ward name",
    "borough": "borough / local authority name (tells apart wards with the same name)",
    "lsoa_code": "LSOA code (E01...)",
    "lon": "longitude (WGS84 degrees)",
    "lat": "latitude (WGS84 degrees)",
    "easting": "British National Grid easting (metres)",
    "northing": "British National Grid northing (metres)",
    "period": "month of an aggregate count (2024-03, 202403, Mar 2024, a date ...)",
    "count": "number of referrals in the row (aggregate layout)",
}

#: Standard names each layout accepts, in canonical order.
LAYOUT_NAMES: dict[str, tuple[str, ...]] = {
    "records": ("referral_id", "date", "category", "ward_code", "ward_name", "borough",
                "lsoa_code", "lon", "lat", "easting", "northing"),
    "aggregate": ("period", "count", "category", "ward_code", "ward_name", "borough"),
}
_REQUIRED: dict[str, tuple[str, ...]] = {"records": ("date", "category"),
                                         "aggregate": ("period", "count")}
_LOCATIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "records": (("ward_code",), ("ward_name",), ("lsoa_code",), ("lon", "lat"),
                ("easting", "northing")),
    "aggregate": (("ward_code",), ("ward_name",)),
}
_PAIRS = (("lon", "lat"), ("easting", "northing"))


def _mapping_problems(columns: Mapping[str, str], layout: str) -> list[str]:
    """Return every problem with a mapping (empty when valid)."""
    if layout not in LAYOUT_NAMES:
        return [f"layout {layout!r} is not one of {sorted(LAYOUT_NAMES)}"]
    allowed = LAYOUT_NAMES[layout]
    problems = []
    for std, header in columns.items():
        if std not in STANDARD_NAMES:
            close = difflib.get_close_matches(std, list(STANDARD_NAMES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown standard name {std!r}{hint}; known: {', '.join(allowed)}")
        elif std not in allowed:
            problems.append(
                f"{std!r} is not used by layout {layout!r} (allowed: {', '.join(allowed)})"
            )
        if not isinstance(header, str):
            problems.append(f"the header for {std!r} must be text, got {header!r}")
    problems += [f"{req!r} must be mapped for layout {layout!r}" for req in _REQUIRED[layout]
                 if req not in columns]
    for a, b in _PAIRS:
        if (a in columns) != (b in columns):
            problems.append(f"{a!r} and {b!r} must be mapped together")
    if not any(all(n in columns for n in group) for group in _LOCATIONS[layout]):
        options = " | ".join("+".join(g) for g in _LOCATIONS[layout])
        problems.append(f"map at least one location: {options}")
    return problems


@dataclass(frozen=True, init=False)
class ColumnMap:
    """How a partner's spreadsheet headers map to the standard names.

    Parameters
    ----------
    columns
        ``{standard name: the spreadsheet's header}``, e.g.
        ``{"date": "Referral date", "category": "Type", "ward_name": "Ward"}``.
        Entries whose header is ``None`` or ``""`` are dropped (not mapped).
        Standard names are the keys of :data:`STANDARD_NAMES`.
    layout
        ``"records"`` (one row per referral: ``date``, ``category`` and at
        least one location: ``ward_code`` | ``ward_name`` (+ ``borough``) |
        ``lsoa_code`` | ``lon`` + ``lat`` | ``easting`` + ``northing``) or
        ``"aggregate"`` (counts: ``period``, ``count`` and ``ward_code`` or
        ``ward_name`` (+ ``borough``), optionally ``category``).
    ward_names
        Ward names of the file that the user confirmed as one area:
        ``{name as written: area code}`` (e.g. ``{"Canning Town Nth":
        "E05013912"}``, chosen from the closest names offered). Rows with such
        a name are placed in that area; nothing else is ever matched by
        similarity. Needs a ``ward_name`` column.

    Raises
    ------
    ColumnMappingError
        Unknown standard names (with the closest known name), names the layout
        does not use, missing required names, half a coordinate pair, or no
        location.

    Examples
    --------
    >>> m = ColumnMap({"date": "Date", "category": "Type", "ward_name": "Ward"})
    >>> m.header("ward_name"), m.layout
    ('Ward', 'records')
    """

    pairs: tuple[tuple[str, str], ...]
    layout: Layout
    ward_names: tuple[tuple[str, str], ...] = ()

    def __init__(self, columns: Mapping[str, str | None], *, layout: Layout = "records",
                 ward_names: Mapping[str, str] | None = None) -> None:
        given = {k: v for k, v in dict(columns).items() if v is not None and v != ""}
        problems = _mapping_problems(given, layout)
        names = dict(ward_names or {})
        if names and "ward_name" not in given:
            problems.append("ward_names (confirmed ward names) need a 'ward_name' column")
        bad = [k for k, v in names.items()
               if not isinstance(k, str) or not k.strip() or not isinstance(v, str)]
        if bad:
            problems.append(f"ward_names must map a name to an area code (text), got {bad[:3]}")
        if problems:
            raise ColumnMappingError(
                "invalid column mapping: " + "; ".join(problems)
                + ". Fix the mapping (standard name -> your spreadsheet's header)."
            )
        order = LAYOUT_NAMES[layout]
        pairs = tuple((k, str(given[k])) for k in order if k in given)
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "layout", layout)
        object.__setattr__(self, "ward_names", tuple(sorted(
            (" ".join(k.split()), v.strip().upper()) for k, v in names.items())))

    @property
    def columns(self) -> dict[str, str]:
        """Return ``{standard name: header}`` in canonical order."""
        return dict(self.pairs)

    def header(self, name: str) -> str | None:
        """Return the spreadsheet header mapped to a standard name, or ``None``."""
        return self.columns.get(name)

    def has(self, *names: str) -> bool:
        """Return True when every given standard name is mapped."""
        cols = self.columns
        return all(n in cols for n in names)


def save_mapping(mapping: ColumnMap, path: PathLike) -> Path:
    """Write a column mapping as small JSON with a stable key order.

    Parameters
    ----------
    mapping
        The mapping to save.
    path
        Destination ``.json`` file (overwritten).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    payload: dict[str, object] = {"version": 1, "layout": mapping.layout,
                                  "columns": mapping.columns}
    if mapping.ward_names:
        payload["ward_names"] = dict(mapping.ward_names)
    out = Path(os.fspath(path))
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def load_mapping(path: PathLike) -> ColumnMap:
    """Read a column mapping written by :func:`save_mapping`.

    Parameters
    ----------
    path
        A ``.json`` file with ``layout``, ``columns`` and optionally
        ``ward_names`` (confirmed ward names).

    Returns
    -------
    ColumnMap

    Raises
    ------
    ColumnMappingError
        The file is not valid JSON, lacks ``columns`` or holds an invalid
        mapping; the message names the file.
    """
    p = Path(os.fspath(path))
    try:
        payload = json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ColumnMappingError(
            f"{p.name}: not valid JSON ({exc}). Save the mapping again with save_mapping()."
        ) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("columns"), dict):
        raise ColumnMappingError(
            f"{p.name}: expected an object with 'layout' and 'columns'. "
            "Save the mapping again with save_mapping()."
        )
    names = payload.get("ward_names") or {}
    if not isinstance(names, dict):
        raise ColumnMappingError(f"{p.name}: 'ward_names' must be an object "
                                 "{\"name in the file\": \"area code\"}.")
    try:
        return ColumnMap(payload["columns"], layout=payload.get("layout", "records"),
                         ward_names=names)
    except ColumnMappingError as exc:
        raise ColumnMappingError(f"{p.name}: {exc}") from exc


# --------------------------------------------------------------------------- names

_APOSTROPHES = re.compile(r"['\u2018\u2019`\u00b4]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def standardise_area_name(s: str) -> str:
    """Return an area name normalised for joining by name.

    Accents are removed, text is case-folded, ``&`` becomes ``and``,
    apostrophes are dropped, other punctuation becomes a space, runs of
    spaces collapse, and a trailing ``" ward"`` is removed.

    Parameters
    ----------
    s
        An area (ward) name as written in a spreadsheet or boundary file.

    Returns
    -------
    str

    Examples
    --------
    >>> standardise_area_name("St. Mary's &  St James Ward")
    'st marys and st james'
    >>> standardise_area_name("Bow-East")
    'bow east'
    """
    text = unicodedata.normalize("NFKD", s)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.casefold().replace("&", " and "))
    text = " ".join(_PUNCTUATION.sub(" ", text).split())
    return text[: -len(" ward")] if text.endswith(" ward") else text
