"""Ward names: exact matches, the closest names when there is none, and names the user confirmed.

A ward name is placed only when it names exactly one area of the layer (after
:func:`hotspots.io.standardise_area_name`: case, ``&``/``and``, punctuation, a
trailing "ward"), qualified by the borough when one is given, or when the user
confirmed which area it means (a mapping's ``ward_names``). A near miss
("Stratford Olympic Prk", "Canning Town Nth") is **never** matched by
similarity: it is *without a location*, and its reason offers the closest ward
names of the layer (:mod:`difflib`) for the user to confirm one.

:func:`match_names` decides every row (used by
:func:`hotspots.areas.join.names_to_areas`); :func:`name_check` lists the
names that need the user (one row per name) for the page's mapping step and
the command line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from hotspots.io import standardise_area_name

__all__ = ["NameIndex", "closest_areas", "match_names", "name_check"]

#: How many close names are offered.
N_CLOSEST = 3
#: difflib similarity below which a name is not offered.
CUTOFF = 0.6

STATUS_ASSIGNED = "assigned"
STATUS_UNLOCATED = "unlocated"


@dataclass(frozen=True)
class NameIndex:
    """The layer's areas by standardised name (and borough), built once per join.

    Attributes
    ----------
    by_name
        Standardised name -> ``(area_code, standardised borough, borough, area name)``.
    codes
        Every area code of the layer.
    """

    by_name: Mapping[str, tuple[tuple[str, str, str, str], ...]]
    codes: frozenset[str]

    @classmethod
    def of(cls, areas: pd.DataFrame) -> NameIndex:
        """Index an area layer with ``area_code``, ``area_name``, ``borough_name``."""
        out: dict[str, list[tuple[str, str, str, str]]] = {}
        for code, name, borough in zip(areas["area_code"], areas["area_name"],
                                       areas["borough_name"], strict=True):
            b = "" if pd.isna(borough) else str(borough)
            out.setdefault(standardise_area_name(str(name)), []).append(
                (str(code), standardise_area_name(b), b, str(name)))
        return cls({k: tuple(v) for k, v in out.items()},
                   frozenset(str(c) for c in areas["area_code"]))


def closest_areas(name: str, index: NameIndex, *, borough: str | None = None,
                  n: int = N_CLOSEST) -> list[tuple[str, str, str]]:
    """Return the areas whose names are closest to ``name`` (never an exact match's job).

    Parameters
    ----------
    name
        A ward name as written.
    index
        :class:`NameIndex` of the layer.
    borough
        The record's borough, if any: wards of that borough are offered first.
    n
        Most names offered.

    Returns
    -------
    list of (area_code, area name, borough)
        Best first; empty when no name is close (difflib ratio under 0.6).
    """
    key = standardise_area_name(str(name))
    close = difflib.get_close_matches(key, list(index.by_name), n=n * 2, cutoff=CUTOFF)
    found = [area for k in close for area in index.by_name[k]]
    if borough:
        bk = standardise_area_name(str(borough))
        found.sort(key=lambda a: a[1] != bk)  # stable: the borough's wards first
    return [(code, area_name, b) for code, _, b, area_name in found[:n]]


def _offer(cands: Sequence[tuple[str, str, str]]) -> str:
    return ", ".join(f"{name!r} ({borough})" if borough else repr(name)
                     for _, name, borough in cands)


_CONFIRM = "confirm one in the page's mapping step (or the mapping's ward_names) or correct " \
           "the file"


def _one(name: object, borough: object, index: NameIndex,
         confirmed: Mapping[str, str]) -> tuple[str, str, str | None]:
    """Return (status, reason, area code) of one row's ward name."""
    if pd.isna(name) or not str(name).strip():  # type: ignore[arg-type]
        return STATUS_UNLOCATED, "blank ward name", None
    text, key = str(name), standardise_area_name(str(name))
    if key in confirmed and confirmed[key] in index.codes:
        return STATUS_ASSIGNED, "", confirmed[key]
    b = None if pd.isna(borough) or not str(borough).strip() else str(borough)  # type: ignore[arg-type]
    cands = index.by_name.get(key, ())
    if not cands:
        near = closest_areas(text, index, borough=b)
        if not near:
            return (STATUS_UNLOCATED, f"ward name {text!r} is not a ward of the area layer and "
                    "no ward name is close: correct the file", None)
        return (STATUS_UNLOCATED, f"ward name {text!r} is not a ward of the area layer; "
                f"closest: {_offer(near)}; {_CONFIRM}", None)
    if b is not None:
        inside = [c for c in cands if c[1] == standardise_area_name(b)]
        if not inside:
            where = ", ".join(sorted(c[2] for c in cands))
            return (STATUS_UNLOCATED, f"ward {text!r} is not in borough {b!r} (it is in "
                    f"{where}); check the borough or {_CONFIRM}", None)
        cands = tuple(inside)
    if len(cands) > 1:
        where = ", ".join(sorted(c[2] for c in cands))
        return (STATUS_UNLOCATED, f"ward name {text!r} is ambiguous: it exists in {where}; "
                f"give the borough (a borough column) or {_CONFIRM}", None)
    return STATUS_ASSIGNED, "", cands[0][0]


def _confirmed(ward_names: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    pairs = ward_names.items() if isinstance(ward_names, Mapping) else ward_names
    return {standardise_area_name(str(k)): str(v) for k, v in pairs}


def match_names(names: pd.Series, boroughs: pd.Series, areas: pd.DataFrame, *,
                ward_names: Mapping[str, str] | Iterable[tuple[str, str]] = (),
                ) -> tuple[list[str], list[str], list[str | None]]:
    """Decide each row's ward name: its area, or why it has no location.

    Parameters
    ----------
    names, boroughs
        The rows' ward names and boroughs (``<NA>`` when not given), aligned.
    areas
        Area layer with ``area_code``, ``area_name``, ``borough_name``.
    ward_names
        Names the user confirmed: ``{name as written: area code}``.

    Returns
    -------
    tuple of lists
        ``status`` (``"assigned"`` or ``"unlocated"``), ``reason`` (``""`` when
        assigned; the closest ward names when the name is unknown, the boroughs
        when it is ambiguous or in another borough) and ``area_code``.
    """
    index, confirmed = NameIndex.of(areas), _confirmed(ward_names)
    seen: dict[tuple[object, object], tuple[str, str, str | None]] = {}
    status, reason, codes = [], [], []
    for n, b in zip(names, boroughs, strict=True):
        k = (None if pd.isna(n) else str(n), None if pd.isna(b) else str(b))
        if k not in seen:
            seen[k] = _one(n, b, index, confirmed)
        st, rs, cd = seen[k]
        status.append(st)
        reason.append(rs)
        codes.append(cd)
    return status, reason, codes


def name_check(records: pd.DataFrame, areas: pd.DataFrame, *,
               ward_names: Mapping[str, str] | Iterable[tuple[str, str]] = (),
               name_col: str = "ward_name", borough_col: str = "borough") -> pd.DataFrame:
    """List the ward names that need the user: not exactly one ward, or confirmed by them.

    Parameters
    ----------
    records
        The rows placed by ward name (with ``name_col`` and maybe ``borough_col``).
    areas
        Area layer with ``area_code``, ``area_name``, ``borough_name``.
    ward_names
        Names the user confirmed.
    name_col, borough_col
        Columns.

    Returns
    -------
    DataFrame
        One row per name as written: ``name``, ``rows``, ``confirmed`` (the
        confirmed area code or ``None``), ``reason`` (why it has no location,
        ``""`` when confirmed) and ``candidates`` (list of ``[area_code,
        "Ward (Borough)"]``, closest first: the close names of an unknown
        name, every ward of an ambiguous one). Most rows first.
    """
    cols = ["name", "rows", "confirmed", "reason", "candidates"]
    if name_col not in records or records.empty:
        return pd.DataFrame(columns=cols)
    index, confirmed = NameIndex.of(areas), _confirmed(ward_names)
    names = records[name_col].astype("string")
    boroughs = (records[borough_col].astype("string") if borough_col in records
                else pd.Series(pd.NA, index=records.index, dtype="string"))
    out = []
    for (name, borough), rows in pd.DataFrame({"n": names, "b": boroughs}).groupby(
            ["n", "b"], dropna=False, sort=True).size().items():
        if pd.isna(name) or not str(name).strip():
            continue
        key = standardise_area_name(str(name))
        st, why, _ = _one(name, borough, index, {})
        if st == STATUS_ASSIGNED and key not in confirmed:
            continue
        b = None if pd.isna(borough) else str(borough)
        cands = ([(c[0], c[3], c[2]) for c in index.by_name[key]] if key in index.by_name
                 else closest_areas(str(name), index, borough=b))
        out.append({"name": str(name), "rows": int(rows),
                    "confirmed": confirmed.get(key) if key in confirmed else None,
                    "reason": "" if key in confirmed else why,
                    "candidates": [[code, f"{nm} ({bn})" if bn else nm]
                                   for code, nm, bn in cands]})
    frame = pd.DataFrame(out, columns=cols)
    if len(frame):  # one row per name (a name with several boroughs: summed)
        frame = (frame.groupby("name", sort=False, as_index=False)
                 .agg({"rows": "sum", "confirmed": "first", "reason": "first",
                       "candidates": "first"}))
    return frame.sort_values(["rows", "name"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)
