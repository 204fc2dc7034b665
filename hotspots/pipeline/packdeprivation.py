"""Deprivation for a pack built for any place: the nation's own index on the 2025 wards.

The choice (:func:`choose_index`): England -> IoD 2025, Wales -> WIMD 2019. An
area spanning both nations is refused for a single national index (their
ranks and scores cannot be pooled) unless the user asks for mySociety's
composite UK IMD (``--deprivation composite``) or none.

:func:`pack_deprivation` rolls the chosen index up from LSOAs to every ward of
the nation (ranks are national), then keeps the pack's wards:

* IoD 2025 is on 2021 LSOAs: the ONS LSOA (2021) -> ward (2025) best-fit lookup
  gives each LSOA its ward (exact codes, no geometry);
* WIMD 2019 and the composite are on 2011 LSOAs: each 2021 LSOA takes the value
  of the 2011 LSOA with the same code, else of the 2011 LSOA sharing most of
  its area (:func:`boundaries.lookups.lsoa21_to_lsoa11`); the number of LSOAs
  on each route is recorded.

Weights are Census 2021 usual residents of the 2021 LSOAs.

Deprivation change (England, :func:`iod2019_change`): when MHCLG's IoD 2019
File 1 is available, IMD 2019 is rolled up to the same 2025 wards the same way
(its 2011 LSOAs carried to 2021 LSOAs: same code, else the retired 2011 LSOA
sharing most of the new LSOA's area) and ranked among the same wards; each
ward gets its rank and decile in both editions on MHCLG's "average rank" summary
measure (File 1 has ranks, not scores) and the change (:data:`CHANGE_CAVEAT`:
ranks and deciles, never scores, compare between editions, and only as a
change relative to the other wards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from boundaries import indices, national
from boundaries.deprivation import read_imd
from boundaries.lookups import lsoa21_to_lsoa11
from boundaries.places import Place
from hotspots._errors import InputDataError

__all__ = ["CHANGE_CAVEAT", "CHOICES", "DeprivationResult", "choose_index",
           "iod2019_change", "pack_deprivation", "source_reconciliation"]

#: MHCLG's guidance on comparing editions (IoD 2025 technical report and FAQ), as printed.
CHANGE_CAVEAT = (
    "MHCLG: the indices measure relative deprivation at one point in time. Ranks and "
    "deciles can be compared between IoD 2019 and IoD 2025 (has a ward moved up or down "
    "relative to the others?), scores cannot (indicators, data and methods changed). A "
    "change in rank is relative: a ward can rank as more deprived while becoming less "
    "deprived in absolute terms, if others improved faster. IoD 2019 is on 2011 LSOAs: "
    "carried here to 2021 LSOAs (same code, else the 2011 LSOA sharing most of the area), "
    "so a 2019 ward value is an approximation where LSOA boundaries changed.")

#: ``--deprivation`` values.
CHOICES = ("auto", "iod2025", "wimd2019", "composite", "none")
_FILE_OF = {"iod2025": "iod2025", "wimd2019": "wimd2019", "composite": "composite"}
_NATION_PREFIX = {"England": ("E",), "Wales": ("W",), "England and Wales": ("E", "W")}


@dataclass(frozen=True)
class DeprivationResult:
    """Ward deprivation of a pack and how it was made.

    Attributes
    ----------
    wards
        One row per pack ward (``area_code`` + :func:`boundaries.indices.rollup_columns`);
        empty but for ``area_code`` when no index is used.
    lsoas
        The LSOAs of the pack's wards: ``small_code`` (2021 LSOA), ``area_code``,
        ``method``, ``lsoa11_code``, ``route``, ``population``, ``imd_score``,
        ``imd_rank``, ``imd_decile``.
    meta
        ``pack.json``'s ``deprivation`` entry.
    reconciliation
        The index file's rows: rows in = assigned + unlocated + outside + rejected.
    inputs
        National file keys read.
    """

    wards: pd.DataFrame
    lsoas: pd.DataFrame
    meta: dict[str, Any]
    reconciliation: dict[str, Any] | None
    inputs: tuple[str, ...] = field(default_factory=tuple)


def choose_index(place: Place, choice: str) -> str:
    """Return the index to use for a place, or refuse a mix of nations.

    Parameters
    ----------
    place
        The pack's place.
    choice
        One of :data:`CHOICES`.

    Returns
    -------
    str
        ``"iod2025"``, ``"wimd2019"``, ``"composite"`` or ``"none"``.

    Raises
    ------
    InputDataError
        The place spans England and Wales and a single national index was asked
        for (or ``auto``); or the index does not cover the place's nation.
    """
    if choice not in CHOICES:
        raise InputDataError(f"--deprivation {choice!r}: choose one of {', '.join(CHOICES)}.")
    nations = place.nations
    if choice in ("none", "composite"):
        return choice
    if len(nations) > 1:
        raise InputDataError(
            f"{place.label} spans England and Wales. The English IoD 2025 and the Welsh WIMD "
            "2019 are separate national indices: their scores, ranks and deciles cannot be "
            "compared or pooled across the border, so one map of them would mislead. Build "
            "one pack per nation (--area England, --area Wales), or pass --index composite "
            "(mySociety's composite UK IMD, England-based: one approximate score for both "
            "nations from IoD 2019 and WIMD 2019, CC BY 4.0; fine for deciles and maps, not "
            "for ranking places) or --index none.")
    nation = next(iter(nations))
    wanted = {"England": "iod2025", "Wales": "wimd2019"}[nation]
    if choice == "auto":
        return wanted
    if choice != wanted:
        raise InputDataError(f"--deprivation {choice}: {indices.INDICES[choice].label} does not "
                             f"cover {place.label} ({nation}); use --deprivation {wanted}.")
    return choice


def source_reconciliation(source: str, rows_in: int, assigned: int, unlocated: int,
                          outside: int, rejected: int, note: str) -> dict[str, Any]:
    """One row of a pack's source reconciliation (checks that it adds up).

    Examples
    --------
    >>> source_reconciliation("x", 10, 6, 1, 2, 1, "")["rows_in"]
    10
    """
    if assigned + unlocated + outside + rejected != rows_in:
        raise RuntimeError(f"reconciliation of {source} does not add up: {rows_in} in, "
                           f"{assigned} + {unlocated} + {outside} + {rejected}")
    return {"source": source, "rows_in": int(rows_in), "assigned": int(assigned),
            "unlocated": int(unlocated), "outside": int(outside), "rejected": int(rejected),
            "note": note}


def _nation_lookup(lookup: pd.DataFrame, nation: str) -> pd.DataFrame:
    keep = lookup["lsoa_code"].str[:1].isin(_NATION_PREFIX[nation])
    return lookup.loc[keep, ["lsoa_code", "area_code"]].reset_index(drop=True)


def _bridge(sources: national.Sources, codes21: pd.Series, codes11: set[str], nation: str
            ) -> pd.DataFrame:
    """2021 LSOA -> 2011 LSOA whose values it takes (same code, else largest overlap)."""
    new = sorted(set(codes21) - codes11)
    prefixes = _NATION_PREFIX[nation]
    p21 = national.read_lsoa_polygons(sources.path("lsoa21_boundaries"), "lsoa21_boundaries",
                                      nations=prefixes, codes=new)
    p11 = national.read_lsoa_polygons(sources.path("lsoa11_boundaries"), "lsoa11_boundaries",
                                      nations=prefixes)
    return lsoa21_to_lsoa11(codes21, codes11, p21, p11)


def _read_index(key: str, sources: national.Sources) -> indices.IndexRead:
    path = sources.path(_FILE_OF[key])
    if key == "wimd2019":
        return indices.read_wimd2019(path, sources.optional("wimd2019_ranks"))
    return indices.read_iod2025(path) if key == "iod2025" else indices.read_composite(path)


def _lsoa_values(key: str, read: indices.IndexRead, lookup: pd.DataFrame,
                 sources: national.Sources, spec: indices.IndexSpec
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Return the index on the nation's 2021 LSOAs, the route of each, and the route counts."""
    codes21 = lookup["lsoa_code"]
    values = read.frame
    if spec.lsoa_vintage == 2021:
        bridge = pd.DataFrame({"lsoa_code": codes21, "lsoa11_code": pd.NA,
                               "route": "2021 LSOA (as published)", "overlap_share": 1.0})
        return values, bridge, {"2021 LSOA (as published)": int(codes21.isin(
            set(values["lsoa_code"])).sum())}
    codes11 = set(values["lsoa_code"])
    bridge = _bridge(sources, codes21, codes11, spec.nation)
    v = values.rename(columns={"lsoa_code": "lsoa11_code"})
    on21 = bridge[["lsoa_code", "lsoa11_code"]].merge(v, on="lsoa11_code", how="left")
    routes = {str(k): int(n) for k, n in bridge["route"].value_counts().sort_index().items()}
    return on21.drop(columns=["lsoa11_code"]), bridge, routes


def _meta(spec: indices.IndexSpec, n_ref: int, routes: dict[str, int], note: tuple[str, ...],
          file: national.NationalFile) -> dict[str, Any]:
    ref = f"{spec.nation}'s {n_ref:,} 2025 wards with at least one LSOA (ONS best-fit lookup)"
    return {
        "index": spec.key, "label": spec.label, "title": spec.title, "nation": spec.nation,
        "edition": spec.title.split(" (")[0], "lsoa_vintage": spec.lsoa_vintage,
        "population_base": "Census 2021 usual residents (ONS TS007A), 2021 LSOAs",
        "summary": f"{spec.label}, population-weighted, Census 2021",
        "reference": ref, "n_reference_wards": int(n_ref),
        "score_rule": "ward score = population-weighted mean of its LSOAs' scores (Census "
                      "2021 usual residents; ONS LSOA (2021) -> ward (2025) best-fit lookup)",
        "rank_rule": f"rank of the ward score among {ref}; 1 = most deprived; ties share the "
                     "lowest rank",
        "decile_rule": "ward decile = ceil(10 x rank / wards ranked); 1 = most deprived 10% of "
                       "wards",
        "share_rule": f"imd_share_10pct / imd_share_20pct = share of the ward's population in "
                      f"{spec.nation}'s 10% / 20% most deprived LSOAs ({spec.decile_rule})",
        "lsoa_routes": routes,
        "lsoa_route_rule": ("2021 LSOAs take the value of the 2011 LSOA with the same code, "
                            "else of the 2011 LSOA sharing the largest part of their area "
                            "(ONS 20 m generalised boundaries)") if spec.lsoa_vintage == 2011
        else "IoD 2025 is published on 2021 LSOAs: joined by code",
        "measures": dict(spec.measures), "caveat": spec.caveat, "notes": list(note),
        "licence": file.licence, "attribution": file.attribution,
    }


def pack_deprivation(place: Place, wards: pd.DataFrame, lookup: pd.DataFrame,
                     population: pd.DataFrame, sources: national.Sources, choice: str
                     ) -> DeprivationResult:
    """Roll the place's national index up to its 2025 wards.

    Parameters
    ----------
    place
        The pack's place.
    wards
        The pack's wards (``area_code``).
    lookup
        The whole LSOA (2021) -> ward (2025) lookup (``lsoa_code``, ``area_code``).
    population
        ``lsoa_code``, ``population`` (Census 2021).
    sources
        Where the national files are.
    choice
        ``--deprivation`` (see :func:`choose_index`).

    Returns
    -------
    DeprivationResult
    """
    key = choose_index(place, choice)
    codes = wards[["area_code"]].astype(str)
    if key == "none":
        empty = pd.DataFrame(columns=["small_code", "area_code", "method"])
        return DeprivationResult(codes, empty, {"index": "none", "label": "none",
                                                "summary": "no deprivation index (asked for "
                                                           "none)"}, None)
    spec = indices.INDICES[key]
    read = _read_index(key, sources)
    nat = _nation_lookup(lookup, spec.nation)
    values, bridge, routes = _lsoa_values(key, read, nat, sources, spec)
    rolled = indices.rollup_index(values, nat, population, measures=list(
        m for m in spec.measures if f"{m}_score" in values))
    n_ref = int(rolled["imd_score"].notna().sum())
    out = codes.merge(rolled, on="area_code", how="left")
    out["n_lsoa"] = out["n_lsoa"].fillna(0).astype("int64")
    out["imd_population"] = out["imd_population"].fillna(0.0)
    in_pack = nat[nat["area_code"].isin(set(codes["area_code"]))]
    lsoas = _lsoa_table(in_pack, bridge, values, population)
    rec = _index_reconciliation(read, nat, bridge, set(in_pack["lsoa_code"]),
                                national.NATIONAL_FILES[_FILE_OF[key]], spec)
    inputs = (_FILE_OF[key],) + (("wimd2019_ranks",) if key == "wimd2019" and
                                  sources.optional("wimd2019_ranks") else ()) + (
        ("lsoa21_boundaries", "lsoa11_boundaries") if spec.lsoa_vintage == 2011 else ())
    meta = _meta(spec, n_ref, routes, read.notes, national.NATIONAL_FILES[_FILE_OF[key]])
    if key == "iod2025":
        change, meta["change"] = iod2019_change(nat, population, sources, values)
        if len(change):
            out = out.merge(change, on="area_code", how="left")
            inputs += ("iod2019", "lsoa21_boundaries", "lsoa11_boundaries")
    return DeprivationResult(out, lsoas, meta, rec, inputs)


#: Columns :func:`iod2019_change` adds to a ward (1 = most deprived; change = 2025 - 2019).
CHANGE_COLUMNS = ["imd2019_avgrank_rank", "imd2019_avgrank_decile", "imd2025_avgrank_rank",
                  "imd2025_avgrank_decile", "imd_rank_change", "imd_decile_change"]


def average_rank_rank(ranks: pd.DataFrame, nat: pd.DataFrame, population: pd.DataFrame
                      ) -> pd.DataFrame:
    """Rank wards by the population-weighted average of their LSOAs' national ranks.

    MHCLG's "average rank" summary measure (as for local authorities), on wards:
    ``avg_rank`` = sum(pop x LSOA rank) / sum(pop) over the ward's LSOAs with a rank
    and a population; ``rank`` = its rank among all wards (1 = lowest average rank =
    most deprived; ties share the lowest rank); ``decile`` = ceil(10 x rank / wards).

    Parameters
    ----------
    ranks
        ``lsoa_code``, ``imd_rank`` (on the lookup's LSOAs).
    nat
        ``lsoa_code`` -> ``area_code`` (every ward ranks are relative to).
    population
        ``lsoa_code``, ``population``.

    Examples
    --------
    >>> nat = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "area_code": ["W1", "W1", "W2"]})
    >>> pop = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "population": [100, 300, 50]})
    >>> r = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "imd_rank": [10, 2, 5]})
    >>> average_rank_rank(r, nat, pop).to_dict("list")  # W1: (100*10 + 300*2) / 400 = 4
    {'area_code': ['W1', 'W2'], 'avg_rank': [4.0, 5.0], 'rank': [1, 2], 'decile': [5, 10]}
    """
    t = nat.merge(population, on="lsoa_code", how="left").merge(
        ranks[["lsoa_code", "imd_rank"]], on="lsoa_code", how="left")
    t = t.dropna(subset=["population", "imd_rank"])
    t = t.assign(w=t["population"].astype(float), wr=t["population"] * t["imd_rank"])
    g = t.groupby("area_code")[["w", "wr"]].sum()
    g = g[g["w"] > 0]
    avg = (g["wr"] / g["w"]).rename("avg_rank")
    rank = avg.rank(method="min", ascending=True).astype("int64")
    decile = np.ceil(10 * rank / len(avg)).astype("int64")
    return pd.DataFrame({"area_code": avg.index, "avg_rank": avg.to_numpy(),
                         "rank": rank.to_numpy(), "decile": decile.to_numpy()}).reset_index(
        drop=True)


def iod2019_change(nat: pd.DataFrame, population: pd.DataFrame, sources: national.Sources,
                   values25: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return each English ward's change in rank and decile from IoD 2019 to IoD 2025.

    MHCLG publishes IoD 2019 File 1 with ranks and deciles (no scores), and says
    ranks, not scores, compare between editions: both editions are summarised the
    same way, by :func:`average_rank_rank` (the population-weighted average of the
    LSOAs' national ranks, Census 2021 weights), among the same English 2025 wards.
    These ranks are not the score-based ``imd_rank`` of the pack (a different summary
    measure), and are labelled so.

    Parameters
    ----------
    nat
        England's LSOA (2021) -> ward (2025) lookup (``lsoa_code``, ``area_code``).
    population
        ``lsoa_code``, ``population`` (Census 2021).
    sources
        Where the national files are (``iod2019``: MHCLG's File 1; absent: no change).
    values25
        IoD 2025 on 2021 LSOAs (``lsoa_code``, ``imd_rank``).

    Returns
    -------
    tuple
        ``area_code`` + :data:`CHANGE_COLUMNS` (empty when the file is absent), and
        ``pack.json``'s ``deprivation.change`` entry (rules, route counts, caveat).
        ``imd_rank_change`` = rank 2025 - rank 2019 (negative: the ward moved towards
        the most deprived); ``imd_decile_change`` likewise.
    """
    path = sources.paths.get("iod2019")
    if path is None or not path.is_file():
        return pd.DataFrame(columns=["area_code", *CHANGE_COLUMNS]), {
            "computed": False, "why": "MHCLG's IoD 2019 File 1 not found (sources key "
            f"'iod2019': {national.NATIONAL_FILES['iod2019'].describe()})"}
    imd19, _ = read_imd(path)
    codes11 = set(imd19["lsoa_code"])
    codes21 = nat["lsoa_code"]
    retired = sorted(codes11 - set(codes21))  # split, merged and changed 2011 LSOAs
    new = sorted(set(codes21) - codes11)
    p21 = national.read_lsoa_polygons(sources.path("lsoa21_boundaries"), "lsoa21_boundaries",
                                      nations=("E",), codes=new)
    p11 = national.read_lsoa_polygons(sources.path("lsoa11_boundaries"), "lsoa11_boundaries",
                                      nations=("E",), codes=retired)
    bridge = lsoa21_to_lsoa11(codes21, codes11, p21, p11)
    on21 = bridge[["lsoa_code", "lsoa11_code"]].merge(
        imd19[["lsoa_code", "imd_rank"]].rename(columns={"lsoa_code": "lsoa11_code"}),
        on="lsoa11_code", how="left")
    r19 = average_rank_rank(on21, nat, population)
    r25 = average_rank_rank(values25, nat, population)
    both = r25[["area_code", "rank", "decile"]].rename(
        columns={"rank": "imd2025_avgrank_rank", "decile": "imd2025_avgrank_decile"}).merge(
        r19[["area_code", "rank", "decile"]].rename(
            columns={"rank": "imd2019_avgrank_rank", "decile": "imd2019_avgrank_decile"}),
        on="area_code", how="inner")
    both["imd_rank_change"] = both["imd2025_avgrank_rank"] - both["imd2019_avgrank_rank"]
    both["imd_decile_change"] = both["imd2025_avgrank_decile"] - both["imd2019_avgrank_decile"]
    out = both[["area_code", *CHANGE_COLUMNS]].astype({c: "Int64" for c in CHANGE_COLUMNS})
    routes = {str(k): int(n) for k, n in bridge["route"].value_counts().sort_index().items()}
    n = len(out)
    return out, {
        "computed": True, "from": "IoD 2019 (England), MHCLG File 1 (ranks), 2011 LSOAs",
        "to": "IoD 2025 (England)", "n_wards": n, "measure": "rank of average rank",
        "rule": "each edition summarised the same way: a ward's average rank = Census "
                "2021-population-weighted mean of its LSOAs' national IMD ranks; ranked among "
                f"the same {n:,} English 2025 wards (1 = most deprived), decile = ceil(10 x "
                "rank / wards); imd_rank_change = rank 2025 - rank 2019 (negative: moved "
                "towards the most deprived), imd_decile_change = decile 2025 - decile 2019. "
                "Not the score-based ward rank (imd_rank) shown elsewhere",
        "lsoa_routes": routes, "caveat": CHANGE_CAVEAT}


def _lsoa_table(in_pack: pd.DataFrame, bridge: pd.DataFrame, values: pd.DataFrame,
                population: pd.DataFrame) -> pd.DataFrame:
    t = in_pack.merge(bridge[["lsoa_code", "lsoa11_code", "route"]], on="lsoa_code", how="left")
    t = t.merge(population, on="lsoa_code", how="left")
    t = t.merge(values[["lsoa_code", "imd_score", "imd_rank", "imd_decile"]], on="lsoa_code",
                how="left")
    t = t.rename(columns={"lsoa_code": "small_code"})
    t.insert(2, "method", "ONS best-fit lookup LSOA (2021) -> ward (2025)")
    for c in ("imd_rank", "imd_decile"):  # the composite's UK ranks average ties (250.5)
        whole = t[c].dropna()
        if (whole == whole.round()).all():
            t[c] = t[c].astype("Int64")
    return t.sort_values("small_code").reset_index(drop=True)


def _index_reconciliation(read: indices.IndexRead, nat: pd.DataFrame, bridge: pd.DataFrame,
                          pack_lsoas: set[str], file: national.NationalFile,
                          spec: indices.IndexSpec) -> dict[str, Any]:
    """Rows of the index file: in the pack's wards, elsewhere, not linked to a ward, rejected."""
    codes = read.frame["lsoa_code"]
    rejected = sum(read.rejected.values())
    if spec.lsoa_vintage == 2021:
        inside = codes.isin(pack_lsoas)
        linked = codes.isin(set(nat["lsoa_code"]))
        why = "codes not in the LSOA (2021) -> ward (2025) lookup (another vintage?)"
    else:
        users = bridge.dropna(subset=["lsoa11_code"])
        inside = codes.isin(set(users.loc[users["lsoa_code"].isin(pack_lsoas), "lsoa11_code"]))
        linked = codes.isin(set(users["lsoa11_code"]))
        why = ("2011 LSOAs no 2021 LSOA takes its value from (replaced in 2021 and not the "
               "largest overlap of any new LSOA)")
    unlocated = int((~linked).sum())
    assigned = int(inside.sum())
    outside = int((linked & ~inside).sum())
    parts = [f"assigned = LSOAs used by the pack's wards; outside = LSOAs of {spec.nation}'s "
             f"other wards (used for the national ranks); unlocated = {unlocated:,} {why}"]
    parts += [f"rejected: {n:,} {r}" for r, n in read.rejected.items()]
    return source_reconciliation(f"{spec.label}: {file.title}", read.rows_read, assigned,
                                 unlocated, outside, rejected, "; ".join(parts))
