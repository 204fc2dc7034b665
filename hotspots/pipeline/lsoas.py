"""The one reader of the 2021 LSOAs of England and Wales: names, places, residents, deprivation.

Both national paths read their LSOAs here, so the statistics (``store analyse``,
:func:`hotspots.pipeline.national.load_lsoa_layer`) and the national page
(:func:`hotspots.pipeline.nationalmap.national_table`) see the same table:

* the rows are the LSOAs of the ONS 2021 boundaries (``LSOA21CD``), sorted by
  code: the order of the page's geometry file, so a value per row is a value per
  polygon drawn;
* the local authority (2025) comes from the ONS LSOA -> ward -> LAD best-fit
  lookup, the police force area from the LAD -> CSP -> PFA lookup, the region
  from the boundaries' ``RGNCD``;
* Census 2021 usual residents (TS007A);
* each nation's own deprivation index: England IoD 2025 (published on 2021
  LSOAs), Wales WIMD 2019 (on 2011 LSOAs, carried to 2021 LSOAs by code, else
  the 2011 LSOA sharing most of the area, as ``pack build`` does). Ranks and
  deciles are within the nation only, never pooled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import pyogrio

from boundaries import indices, national
from hotspots.pipeline.packbuild import NationalData
from hotspots.pipeline.packdeprivation import _lsoa_values, _read_index

__all__ = ["DEPRIVATION", "LSOA_COLUMNS", "NATIONS", "LsoaTable", "lsoa_table"]

#: Index per nation (code initial -> index key); never mixed in one rank or legend.
DEPRIVATION: dict[str, str] = {"E": "iod2025", "W": "wimd2019"}
#: Nation of a code initial.
NATIONS: dict[str, str] = {"E": "England", "W": "Wales"}
#: Columns of :attr:`LsoaTable.table`, in order.
LSOA_COLUMNS: tuple[str, ...] = (
    "area_code", "area_name", "nation", "borough_code", "borough_name", "region_code",
    "pfa_code", "population", "dep_key", "dep_index", "dep_score", "dep_rank", "dep_decile",
    "dep_route")


@dataclass(frozen=True)
class LsoaTable:
    """:func:`lsoa_table`'s result.

    Attributes
    ----------
    table
        One row per 2021 LSOA, sorted by ``area_code``: ``area_code`` (LSOA21CD),
        ``area_name`` (LSOA21NM), ``nation`` (England/Wales), ``borough_code``,
        ``borough_name`` (2025 local authority; missing when the lookup does not
        list the LSOA), ``region_code`` (``""`` in Wales), ``pfa_code`` (police
        force area, ``""`` when unknown), ``population`` (Census 2021 usual
        residents, float, NaN when missing), ``dep_key`` (``"iod2025"`` or
        ``"wimd2019"``), ``dep_index`` (its label, e.g. ``"IoD 2025 (England)"``),
        ``dep_score``, ``dep_rank``, ``dep_decile`` (within the nation; 1 = most
        deprived tenth; NaN without a value), ``dep_route`` (how the LSOA got
        its value). Without deprivation the ``dep_*`` columns are absent.
    indices
        ``{index key: label}`` of the nations present.
    notes
        Plain-words lines: LSOAs missing from a file, the Welsh routes.
    """

    table: pd.DataFrame
    indices: dict[str, str]
    notes: tuple[str, ...]


def _deprivation(data: NationalData, codes: pd.Series) -> tuple[pd.DataFrame, dict[str, str],
                                                                   list[str]]:
    cols = ["area_code", "dep_key", "dep_index", "dep_score", "dep_rank", "dep_decile",
            "dep_route"]
    parts, labels, notes = [], {}, []
    for initial in sorted(set(codes.str[:1]) & set(DEPRIVATION)):
        key = DEPRIVATION[initial]
        spec = indices.INDICES[key]
        mine = pd.DataFrame({"lsoa_code": codes[codes.str[:1] == initial].to_numpy()})
        values, bridge, routes = _lsoa_values(key, _read_index(key, data.sources), mine,
                                              data.sources, spec)
        values = values.drop_duplicates("lsoa_code")
        frame = mine.merge(values[["lsoa_code", "imd_score", "imd_rank", "imd_decile"]],
                           on="lsoa_code", how="left")
        route = bridge.drop_duplicates("lsoa_code").set_index("lsoa_code")["route"]
        parts.append(pd.DataFrame({
            "area_code": frame["lsoa_code"], "dep_key": key, "dep_index": spec.label,
            "dep_score": frame["imd_score"].astype(float),
            "dep_rank": frame["imd_rank"].astype(float),
            "dep_decile": frame["imd_decile"].astype(float),
            "dep_route": frame["lsoa_code"].map(route).fillna("no value").astype(str)}))
        labels[key] = spec.label
        missing = int(frame["imd_rank"].isna().sum())
        notes.append(f"{spec.label}: {len(frame) - missing:,} of {len(frame):,} LSOAs with a "
                     f"value ({', '.join(f'{k}: {v:,}' for k, v in routes.items())})"
                     + (f"; {missing:,} without (left blank)" if missing else ""))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return out[cols], labels, notes


def lsoa_table(data: NationalData, codes: Iterable[str] | None = None, *,
               deprivation: bool = True) -> LsoaTable:
    """Read the 2021 LSOAs with their places, residents and deprivation (module docstring).

    Parameters
    ----------
    data
        The national lookups (:func:`hotspots.pipeline.packbuild.load_national`).
    codes
        Only these LSOAs (``None``: every LSOA of the boundaries file). Codes the
        boundaries file lacks are left out and counted in ``notes``.
    deprivation
        Also read each nation's index (the Welsh bridge reads both LSOA layers of
        Wales: a few seconds).

    Returns
    -------
    LsoaTable

    Raises
    ------
    InputDataError
        A national file is missing or is not the expected one (named).
    """
    s = data.sources
    raw = pyogrio.read_dataframe(s.path("lsoa21_boundaries"), read_geometry=False,
                                 columns=["LSOA21CD", "LSOA21NM", "RGNCD"])
    table = pd.DataFrame({"area_code": raw["LSOA21CD"].astype(str).str.strip(),
                          "area_name": raw["LSOA21NM"].astype(str),
                          "region_code": raw["RGNCD"].fillna("").astype(str)})
    table = table.loc[table["area_code"].str[:1].isin(list(NATIONS))]
    table = table.drop_duplicates("area_code").sort_values("area_code").reset_index(drop=True)
    notes: list[str] = []
    if codes is not None:
        wanted = pd.Index(pd.Series(list(codes), dtype=str).unique())
        table = table.loc[table["area_code"].isin(wanted)].reset_index(drop=True)
        if len(table) < len(wanted):
            notes.append(f"{len(wanted) - len(table):,} LSOAs of the lookup have no polygon "
                         "(left out)")
    look = data.lookup.drop_duplicates("lsoa_code").set_index("lsoa_code")
    code = table["area_code"]
    table.insert(2, "nation", code.str[:1].map(NATIONS))
    table.insert(3, "borough_code", code.map(look["borough_code"]))
    table.insert(4, "borough_name", code.map(look["borough_name"]))
    table["pfa_code"] = table["borough_code"].map(data.catalogue.lad_pfa).fillna("").astype(str)
    pop, _, _ = national.read_population21(s.path("population"))
    pop = pop.drop_duplicates("lsoa_code").set_index("lsoa_code")["population"]
    table["population"] = code.map(pop).astype(float)
    no_lad = int(table["borough_code"].isna().sum())
    if no_lad:
        notes.append(f"{no_lad:,} LSOAs are not in the ONS best-fit lookup (no local "
                     "authority: in no place but England and Wales)")
    no_pop = int(table["population"].isna().sum())
    if no_pop:
        notes.append(f"{no_pop:,} LSOAs without a Census 2021 population: no rate there")
    labels: dict[str, str] = {}
    if deprivation:
        dep, labels, dep_notes = _deprivation(data, code)
        table = table.merge(dep, on="area_code", how="left")
        notes += dep_notes
    return LsoaTable(table[[c for c in LSOA_COLUMNS if c in table.columns]], labels,
                     tuple(notes))
