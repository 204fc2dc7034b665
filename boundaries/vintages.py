"""Registry of known boundary-file layouts (which column holds the code, the name, ...).

Each entry of :data:`VINTAGES` describes one published boundary product: the columns
that carry the area code and name and, where present, the parent (borough / local
authority) code and name, the boundary year and where the file comes from.
:func:`detect_vintage` picks the entry that matches a file's columns, so
:func:`boundaries.load.read_boundaries` can standardise any of them to
``area_code``, ``area_name``, ``borough_code``, ``borough_name``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from hotspots._errors import ColumnMappingError

Level = Literal["ward", "lsoa", "borough"]


@dataclass(frozen=True)
class Vintage:
    """One known boundary layout.

    Attributes
    ----------
    key
        Registry key, stored in the ``vintage`` column of loaded layers.
    label
        Plain-words name for menus and messages.
    code_col, name_col
        Columns holding the area code and name (both required to match).
    parent_code_col, parent_name_col
        Columns holding the parent (borough / local authority) code and name, or
        ``None`` when the product has none. Used when present in the file.
    year
        Boundary year.
    level
        ``"ward"``, ``"lsoa"`` or ``"borough"``.
    source
        Publisher and product.
    """

    key: str
    label: str
    code_col: str
    name_col: str
    parent_code_col: str | None
    parent_name_col: str | None
    year: int
    level: Level
    source: str

    @property
    def columns(self) -> tuple[str, ...]:
        """Return the layout's column names (code, name, then parents when defined)."""
        cols = (self.code_col, self.name_col, self.parent_code_col, self.parent_name_col)
        return tuple(c for c in cols if c is not None)


VINTAGES: dict[str, Vintage] = {
    "ons_wards_2025": Vintage(
        "ons_wards_2025", "Wards, May 2025 (ONS)", "WD25CD", "WD25NM", "LAD25CD", "LAD25NM",
        2025, "ward", "ONS Open Geography Portal, Wards (May 2025) Boundaries UK BGC",
    ),
    "gla_wards_2018": Vintage(
        "gla_wards_2018", "London wards, 2018 (GLA)", "GSS_CODE", "NAME", "LAGSSCODE",
        "DISTRICT", 2018, "ward",
        "GLA London Datastore, Statistical GIS Boundary Files for London (London-wards-2018)",
    ),
    "gla_wards_2014": Vintage(
        "gla_wards_2014", "London wards, 2014 (GLA)", "GSS_Code", "Name", "LB_GSS_Code",
        "Borough", 2014, "ward",
        "GLA London Datastore, Statistical GIS Boundary Files for London (London-wards-2014)",
    ),
    "lsoa_2011": Vintage(
        "lsoa_2011", "LSOA 2011", "LSOA11CD", "LSOA11NM", "LAD11CD", "LAD11NM", 2011, "lsoa",
        "ONS LSOA (December 2011) boundaries; GLA LSOA_2011_London_gen_MHW",
    ),
    "lsoa_2021": Vintage(
        "lsoa_2021", "LSOA 2021", "LSOA21CD", "LSOA21NM", "LAD22CD", "LAD22NM", 2021, "lsoa",
        "ONS LSOA (December 2021) boundaries, generalised 20 m",
    ),
    "gla_imd_wards_2018": Vintage(
        "gla_imd_wards_2018", "London wards 2018 with IMD 2019 (GLA)", "ward_code",
        "ward_name", None, "borough", 2018, "ward",
        "GLA Indices of Deprivation 2019 ward-level summary measures (2018 wards)",
    ),
    "hotspots_areas": Vintage(
        "hotspots_areas", "This project's own area layer (a pack's wards.geojson, an export)",
        "area_code", "area_name", "borough_code", "borough_name", 0, "ward",
        "Written by this project (see the pack's PROVENANCE.md for the boundary vintage)",
    ),
    "lad_2022": Vintage(
        "lad_2022", "Local authority districts, December 2022 (ONS)", "LAD22CD", "LAD22NM",
        None, None, 2022, "borough", "ONS LAD (December 2022) boundaries, generalised 20 m",
    ),
}
"""Known boundary layouts, keyed by :attr:`Vintage.key`."""


def describe_vintages() -> str:
    """Return the known layouts as text, one per line (for error messages and help).

    Returns
    -------
    str
        Lines such as ``ons_wards_2025: WD25CD, WD25NM, LAD25CD, LAD25NM``.
    """
    return "\n".join(f"  {v.key}: {', '.join(v.columns)}" for v in VINTAGES.values())


def detect_vintage(columns: Iterable[str]) -> str:
    """Return the key of the layout in :data:`VINTAGES` that matches ``columns``.

    A layout matches when the file has its code and name columns (exact spelling,
    surrounding spaces ignored); among matches the one with the most of its columns
    present wins (so an LSOA 2021 file, which also carries ``LAD22CD`` / ``LAD22NM``,
    is ``lsoa_2021`` rather than ``lad_2022``).

    Parameters
    ----------
    columns
        The file's column names.

    Returns
    -------
    str
        A key of :data:`VINTAGES`.

    Raises
    ------
    ColumnMappingError
        When no layout matches, or two layouts match equally well. The message lists
        the known layouts and how to name the columns explicitly.

    Examples
    --------
    >>> detect_vintage(["WD25CD", "WD25NM", "LAD25CD", "LAD25NM", "geometry"])
    'ons_wards_2025'
    >>> detect_vintage(["LSOA21CD", "LSOA21NM", "LAD22CD", "LAD22NM"])
    'lsoa_2021'
    """
    present = {str(c).strip() for c in columns}
    scored = [
        (sum(c in present for c in v.columns), key)
        for key, v in VINTAGES.items()
        if v.code_col in present and v.name_col in present
    ]
    how = (
        "Name the columns explicitly, e.g. read_boundaries(path, code_col='WD22CD', "
        "name_col='WD22NM', parent_code_col='LAD22CD', parent_name_col='LAD22NM') "
        "(the parent columns are optional)."
    )
    if not scored:
        shown = ", ".join(sorted(present - {"geometry"})) or "(none)"
        raise ColumnMappingError(
            f"Unknown boundary layout: no known code/name column pair among the columns "
            f"[{shown}]. Known layouts (code, name, parent code, parent name):\n"
            f"{describe_vintages()}\n{how}"
        )
    best = max(score for score, _ in scored)
    winners = sorted(key for score, key in scored if score == best)
    if len(winners) > 1:
        raise ColumnMappingError(
            f"Ambiguous boundary layout: the columns match {', '.join(winners)} equally well. "
            f"{how}"
        )
    return winners[0]
