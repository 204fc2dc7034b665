"""Which police force covers which local authority: ONS LAD -> police force area (PFA).

police.uk street files say which force recorded each crime (``Falls within``,
e.g. "City of London Police"). A force's file covers exactly the local
authorities of its police force area, so the boroughs (LADs) an upload covers
follow from the force, not from where its points happen to fall.

The table shipped in ``boundaries/data/lad_pfa.csv`` is derived from ONS's
"Local Authority District to Community Safety Partnerships to Police Force
Areas (December 2019) Lookup in England and Wales" by :func:`build_lad_pfa`
(``python -m boundaries.forces SOURCE.csv`` rewrites it byte for byte); its
source and SHA-256 are in ``boundaries/data/PROVENANCE.md``.

Force names are matched to PFA names by :func:`force_key` (the rule is in its
docstring): "City of London Police" ~ "London, City of", "Metropolitan Police
Service" ~ "Metropolitan Police", "Devon & Cornwall Police" ~ "Devon & Cornwall".
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd

from hotspots._errors import ColumnMappingError

__all__ = ["LAD_PFA_PATH", "LAD_PFA_COLUMNS", "build_lad_pfa", "force_key", "lad_pfa",
           "match_forces"]

LAD_PFA_PATH = Path(__file__).resolve().parent / "data" / "lad_pfa.csv"
LAD_PFA_COLUMNS = ["lad_code", "lad_name", "pfa_code", "pfa_name"]
_SOURCE_COLUMNS = {"LAD19CD": "lad_code", "LAD19NM": "lad_name", "PFA19CD": "pfa_code",
                   "PFA19NM": "pfa_name"}
# Words that name the kind of body, not the place: dropped before comparing.
_GENERIC = frozenset({"police", "service", "constabulary", "force", "the"})


def force_key(name: object) -> str:
    """Return the comparison key of a force or police force area name.

    The rule: ONS's inverted names are put back in order ("London, City of" ->
    "City of London"); lower case; "&" -> "and"; every run of characters other
    than letters and digits is a word break; the words "police", "service",
    "constabulary", "force" and "the" are dropped. Two names match when their
    keys are equal.

    Parameters
    ----------
    name
        A police.uk ``Falls within`` value or an ONS ``PFA19NM``.

    Returns
    -------
    str
        The key ("" for a blank name).

    Examples
    --------
    >>> force_key("City of London Police") == force_key("London, City of")
    True
    >>> force_key("Metropolitan Police Service")
    'metropolitan'
    >>> force_key("Devon & Cornwall Police")
    'devon and cornwall'
    """
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = str(name).strip()
    head, sep, tail = text.partition(",")
    if sep and re.search(r"\bof$", tail.strip(), flags=re.IGNORECASE):
        text = f"{tail.strip()} {head.strip()}"
    words = re.split(r"[^0-9a-z]+", text.lower().replace("&", " and "))
    return " ".join(w for w in words if w and w not in _GENERIC)


def build_lad_pfa(source: Path | str) -> pd.DataFrame:
    """Derive the LAD -> PFA table from ONS's LAD19_CSP19_PFA19 lookup CSV.

    Parameters
    ----------
    source
        ``LAD19_CSP19_PFA19_EW_LU.csv`` (columns ``LAD19CD, LAD19NM, CSP19CD,
        CSP19NM, PFA19CD, PFA19NM``; other columns ignored).

    Returns
    -------
    pandas.DataFrame
        ``lad_code, lad_name, pfa_code, pfa_name``, one row per LAD (LADs split
        over several community safety partnerships appear once), sorted by code.

    Raises
    ------
    ColumnMappingError
        A column is missing, or a LAD maps to more than one force area.
    """
    raw = pd.read_csv(source, dtype=str, encoding="utf-8-sig")
    missing = sorted(set(_SOURCE_COLUMNS) - set(raw.columns))
    if missing:
        raise ColumnMappingError(f"{source}: columns {', '.join(missing)} are missing; use "
                                 "ONS's LAD19_CSP19_PFA19 lookup CSV.")
    table = (raw[list(_SOURCE_COLUMNS)].rename(columns=_SOURCE_COLUMNS)
             .apply(lambda c: c.str.strip()).drop_duplicates())
    twice = table["lad_code"][table["lad_code"].duplicated()]
    if len(twice):
        raise ColumnMappingError(f"{source}: {', '.join(sorted(set(twice)))} map to more than "
                                 "one police force area; a LAD must map to one.")
    return table.sort_values("lad_code").reset_index(drop=True)[LAD_PFA_COLUMNS]


@cache
def lad_pfa() -> pd.DataFrame:
    """Return the shipped LAD -> PFA table (``boundaries/data/lad_pfa.csv``).

    Returns
    -------
    pandas.DataFrame
        ``lad_code, lad_name, pfa_code, pfa_name`` (treat as read-only; cached).
    """
    return pd.read_csv(LAD_PFA_PATH, dtype=str, keep_default_na=False)


def match_forces(names: Iterable[object], table: pd.DataFrame | None = None
                 ) -> dict[str, str | None]:
    """Match police.uk force names to police force area codes (see :func:`force_key`).

    Parameters
    ----------
    names
        ``Falls within`` values; blanks are skipped.
    table
        LAD -> PFA table (default :func:`lad_pfa`).

    Returns
    -------
    dict
        ``{force name: PFA code, or None when no PFA has the same key}``
        (e.g. British Transport Police, or a force outside England and Wales).
    """
    table = lad_pfa() if table is None else table
    by_key = dict(zip(table["pfa_name"].map(force_key), table["pfa_code"], strict=True))
    out: dict[str, str | None] = {}
    for name in names:
        key = force_key(name)
        if key:
            out[str(name).strip()] = by_key.get(key)
    return out


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``boundaries/data/lad_pfa.csv`` from the ONS lookup CSV."""
    parser = argparse.ArgumentParser(prog="python -m boundaries.forces", description=main.__doc__)
    parser.add_argument("source", type=Path, help="LAD19_CSP19_PFA19_EW_LU.csv")
    parser.add_argument("--out", type=Path, default=LAD_PFA_PATH)
    args = parser.parse_args(argv)
    table = build_lad_pfa(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, lineterminator="\n")
    print(f"{args.out}: {len(table)} LADs, {table['pfa_code'].nunique()} police force areas")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
