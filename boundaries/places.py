"""Places a pack can cover, and resolving a user's name or GSS code to one of them.

A *place* is a set of 2025 local authorities (LAD25): one authority, a
community safety partnership, a police force area, a region, a nation, or
all of England and Wales. :func:`build_catalogue` lists them from ONS lookups:

* local authorities: the LSOA (2021) -> ward (2025) -> LAD (2025) lookup;
* community safety partnerships and police force areas: ONS's December 2019
  LAD -> CSP -> PFA lookup, carried onto the 2025 authorities through the
  2011 LSOAs whose code is the same in 2021 (each December 2019 authority ->
  the 2025 authority holding most of its LSOAs). Where a 2019 partnership's
  authorities were merged into a larger 2025 authority (e.g. Daventry and South
  Northamptonshire -> West Northamptonshire), the place is the whole 2025
  authority, and its ``note`` says so;
* regions: the ONS ward layer's ``RGNCD`` column (the lookups carry no
  regions), named with ONS's nine English region names (:data:`REGION_NAMES`);
* England (E92000001), Wales (W92000004) and England and Wales (K04000001).

:func:`resolve_area` matches names case- and punctuation-insensitively
(``"&"`` = ``"and"``, accents dropped, ONS's inverted names such as
``"Bristol, City of"`` also read in order, Welsh authority names, and force
names with or without "Police"/"Constabulary"); a GSS code matches exactly. A
name shared by places with different authorities is refused with the
candidates (:class:`AmbiguousAreaError`); an unknown one with the closest names
(:class:`AreaNotFoundError`, via :mod:`difflib`). A kind prefix picks one:
``lad:``, ``csp:``, ``pfa:`` (or ``force:``), ``region:``, ``country:``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from hotspots._errors import InputDataError

__all__ = ["KINDS", "REGION_NAMES", "AmbiguousAreaError", "AreaNotFoundError", "Catalogue",
           "Place", "build_catalogue", "combine_places", "lad19_to_lad25", "normalise_name",
           "resolve_area", "resolve_areas"]

#: Kinds of place, in the order a name shared by places with the same authorities is
#: resolved (the first kind wins), with the prefix that picks each.
KINDS: dict[str, str] = {
    "local authority": "lad", "community safety partnership": "csp",
    "police force area": "pfa", "region": "region", "country": "country",
    "England and Wales": "all",
    "combined areas": "combined",
}
_PREFIXES = {"lad": "local authority", "la": "local authority",
             "csp": "community safety partnership", "pfa": "police force area",
             "force": "police force area", "region": "region", "country": "country"}

#: ONS region codes (RGNCD) and names; the lookups carry codes only.
REGION_NAMES: dict[str, str] = {
    "E12000001": "North East", "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber", "E12000004": "East Midlands",
    "E12000005": "West Midlands", "E12000006": "East of England", "E12000007": "London",
    "E12000008": "South East", "E12000009": "South West",
}
_GENERIC = frozenset({"police", "constabulary", "service", "force", "the"})


def normalise_name(text: object) -> str:
    """Return the comparison form of a place name.

    Lower case, accents dropped, ``&`` read as "and", every run of other
    characters than letters and digits a single space.

    Examples
    --------
    >>> normalise_name("Bristol, City of")
    'bristol city of'
    >>> normalise_name("  Ynys Môn ") == normalise_name("ynys-mon")
    True
    >>> normalise_name("Devon & Cornwall")
    'devon and cornwall'
    """
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", t.replace("&", " and ")).strip()


def _variants(name: str) -> set[str]:
    """Comparison forms of a name: as written, inverted ("X, City of"), generic words dropped."""
    out = {normalise_name(name)}
    head, sep, tail = str(name).partition(",")
    if sep and tail.strip():
        out.add(normalise_name(f"{tail} {head}"))
        if normalise_name(tail) in ("city of", "county of"):  # "Bristol, City of" ~ "Bristol"
            out.add(normalise_name(head))
    out |= {" ".join(w for w in v.split() if w not in _GENERIC) for v in list(out)}
    return {v for v in out if v}


@dataclass(frozen=True)
class Place:
    """A place a pack can cover.

    Attributes
    ----------
    kind
        A key of :data:`KINDS`.
    code, name
        GSS code and name (ONS spelling).
    lads
        The 2025 local authority codes it covers, sorted.
    note
        How it was derived, when that needs saying (e.g. a 2019 partnership
        now inside a larger authority).
    aliases
        Other names it is known by (Welsh names).
    """

    kind: str
    code: str
    name: str
    lads: tuple[str, ...]
    note: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``"Cardiff (local authority, W06000015)"``."""
        return f"{self.name} ({self.kind}, {self.code})"

    @property
    def nations(self) -> frozenset[str]:
        """``{"England"}``, ``{"Wales"}`` or both, from the authority codes."""
        names = {"E": "England", "W": "Wales"}
        return frozenset(names[c[0]] for c in self.lads if c[:1] in names)


@dataclass(frozen=True)
class Catalogue:
    """Every place, and the December 2019 authorities that no longer exist.

    Attributes
    ----------
    places
        Every place.
    former
        ``{LAD19 code: (LAD19 name, LAD25 code it is now part of)}`` for the
        December 2019 authorities whose code is gone in 2025.
    lad_names
        ``{LAD25 code: name}``.
    lad_pfa
        ``{LAD25 code: PFA19 code}`` (each 2025 authority's police force area).
    """

    places: tuple[Place, ...]
    former: dict[str, tuple[str, str]] = field(default_factory=dict)
    lad_names: dict[str, str] = field(default_factory=dict)
    lad_pfa: dict[str, str] = field(default_factory=dict)

    def by_kind(self, kind: str) -> list[Place]:
        """Return the places of one kind, by name."""
        return sorted((p for p in self.places if p.kind == kind), key=lambda p: p.name)

    def frame(self) -> pd.DataFrame:
        """Return one row per place: ``kind``, ``code``, ``name``, ``n_lads``, ``note``."""
        return pd.DataFrame([{"kind": p.kind, "code": p.code, "name": p.name,
                              "n_lads": len(p.lads), "note": p.note} for p in self.places])


class AreaNotFoundError(InputDataError):
    """No place has that name or code; ``candidates`` are the closest names."""

    def __init__(self, message: str, candidates: Sequence[Place] = ()) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message)


class AmbiguousAreaError(InputDataError):
    """Several places with different authorities share that name; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: Sequence[Place] = ()) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message)


# --------------------------------------------------------------------------- building


def lad19_to_lad25(lsoa11_lad19: pd.DataFrame, ward_lookup: pd.DataFrame) -> pd.Series:
    """Map each December 2019 authority to the 2025 authority holding most of its LSOAs.

    Parameters
    ----------
    lsoa11_lad19
        ``lsoa11_code``, ``lad19_code`` (:func:`boundaries.national.read_lsoa11_lad19`).
    ward_lookup
        ``lsoa_code`` (2021), ``borough_code`` (LAD25).

    Returns
    -------
    pandas.Series
        LAD25 code indexed by LAD19 code (2011 LSOAs whose code is unchanged in
        2021 carry their authority across; ties go to the lowest code).

    Examples
    --------
    >>> l11 = pd.DataFrame({"lsoa11_code": ["a", "b", "c"], "lad19_code": ["X", "Y", "Y"]})
    >>> l21 = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "borough_code": ["N", "N", "N"]})
    >>> lad19_to_lad25(l11, l21).to_dict()
    {'X': 'N', 'Y': 'N'}
    """
    m = lsoa11_lad19.merge(ward_lookup[["lsoa_code", "borough_code"]],
                           left_on="lsoa11_code", right_on="lsoa_code")
    n = m.groupby(["lad19_code", "borough_code"]).size().rename("n").reset_index()
    n = n.sort_values(["lad19_code", "n", "borough_code"], ascending=[True, False, True])
    best = n.drop_duplicates("lad19_code")
    return pd.Series(best["borough_code"].to_numpy(), index=best["lad19_code"].to_numpy(),
                     name="lad25_code")


def _grouped(lcp: pd.DataFrame, bridge: pd.Series, kind: str, code: str, name: str,
             lad19_names: dict[str, str], lad_names: dict[str, str]) -> list[Place]:
    """Places of one 2019 grouping (CSP or PFA) on 2025 authorities, with merge notes."""
    table = lcp[["lad_code", code, name]].drop_duplicates()
    table = table.assign(lad25=table["lad_code"].map(bridge).fillna(table["lad_code"]))
    members = table.groupby("lad25")["lad_code"].agg(set)
    out = []
    for (c, n), g in table.groupby([code, name], sort=True):
        lads = tuple(sorted(set(g["lad25"])))
        others = sorted(set().union(*(members[lad] for lad in lads)) - set(g["lad_code"]))
        note = ""
        if others:
            note = (f"the December 2019 {kind} is now part of "
                    f"{', '.join(lad_names.get(x, x) for x in lads)} (2025), which also "
                    f"covers {', '.join(lad19_names.get(x, x) for x in others)}: the pack "
                    "covers the whole 2025 authority")
        out.append(Place(kind, str(c), str(n), lads, note))
    return out


def build_catalogue(
    ward_lookup: pd.DataFrame,
    lad_csp_pfa: pd.DataFrame,
    lsoa11_lad19: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    welsh_names: dict[str, str] | None = None,
) -> Catalogue:
    """List every place a pack can cover.

    Parameters
    ----------
    ward_lookup
        :func:`boundaries.national.read_ward_lookup21`.
    lad_csp_pfa
        :func:`boundaries.national.read_lad_csp_pfa`.
    lsoa11_lad19
        :func:`boundaries.national.read_lsoa11_lad19`.
    regions
        :func:`boundaries.national.ward_regions` (``lad_code``, ``region_code``).
    welsh_names
        ``{LAD25 code: Welsh name}`` (aliases).

    Returns
    -------
    Catalogue
    """
    lads = ward_lookup[["borough_code", "borough_name"]].drop_duplicates("borough_code")
    lad_names = dict(zip(lads["borough_code"], lads["borough_name"], strict=True))
    welsh = welsh_names or {}
    places = [Place("local authority", c, n, (c,),
                    aliases=tuple(x for x in [welsh.get(c, "")] if x and x != n))
              for c, n in sorted(lad_names.items())]
    bridge = lad19_to_lad25(lsoa11_lad19, ward_lookup)
    lad19_names = dict(zip(lad_csp_pfa["lad_code"], lad_csp_pfa["lad_name"], strict=False))
    places += _grouped(lad_csp_pfa, bridge, "community safety partnership", "csp_code",
                       "csp_name", lad19_names, lad_names)
    pfas = _grouped(lad_csp_pfa, bridge, "police force area", "pfa_code", "pfa_name",
                    lad19_names, lad_names)
    places += pfas
    lad_pfa = {lad: p.code for p in pfas for lad in p.lads}
    reg = regions[regions["lad_code"].isin(lad_names) & (regions["region_code"] != "")]
    for rc, g in reg.groupby("region_code", sort=True):
        places.append(Place("region", str(rc), REGION_NAMES.get(str(rc), str(rc)),
                            tuple(sorted(g["lad_code"]))))
    for code, name, prefix in (("E92000001", "England", "E"), ("W92000004", "Wales", "W")):
        places.append(Place("country", code, name,
                            tuple(sorted(c for c in lad_names if c.startswith(prefix)))))
    places.append(Place("England and Wales", "K04000001", "England and Wales",
                        tuple(sorted(lad_names)), aliases=("all", "E&W", "EW")))
    former = {str(c): (lad19_names.get(c, c), str(bridge[c])) for c in bridge.index
              if c not in lad_names}
    return Catalogue(tuple(places), former, lad_names, lad_pfa)


# --------------------------------------------------------------------------- resolving


def _split_kind(query: str) -> tuple[str | None, str]:
    head, sep, tail = query.partition(":")
    if sep and normalise_name(head) in _PREFIXES and tail.strip():
        return _PREFIXES[normalise_name(head)], tail.strip()
    return None, query.strip()


def _choose(found: list[Place], query: str) -> Place:
    """One place from exact matches: refuse when their authorities differ."""
    groups: dict[tuple[str, ...], list[Place]] = {}
    for p in found:
        groups.setdefault(p.lads, []).append(p)
    if len(groups) == 1:
        order = list(KINDS)
        return min(found, key=lambda p: (order.index(p.kind), p.code))
    cands = sorted(found, key=lambda p: (list(KINDS).index(p.kind), p.name))
    raise AmbiguousAreaError(
        f"'{query}' names {len(cands)} places with different local authorities: "
        + "; ".join(f"{p.label}, {_authorities(len(p.lads))}" for p in cands)
        + ". Give the GSS code, or the kind before the name (e.g. "
        f"'{KINDS[cands[0].kind]}:{cands[0].name}').", cands)


def _authorities(n: int) -> str:
    return f"{n} local authorit{'y' if n == 1 else 'ies'}"


def _suggest(query: str, places: Iterable[Place], n: int = 6) -> list[Place]:
    """Return the closest places: names containing the query's words, then difflib's nearest."""
    q = normalise_name(query)
    index: dict[str, Place] = {}
    for p in places:
        for v in _variants(p.name) | {normalise_name(a) for a in p.aliases}:
            index.setdefault(v, p)
    words = [w for w in q.split() if w not in _GENERIC]
    contains = [p for v, p in index.items() if words and all(w in v.split() for w in words)]
    close = [index[v] for v in difflib.get_close_matches(q, list(index), n=n, cutoff=0.6)]
    out: list[Place] = []
    for p in contains + close:
        if p not in out:
            out.append(p)
    return out[:n]


def resolve_area(query: str, catalogue: Catalogue) -> Place:
    """Return the place a user means by a name or GSS code.

    Parameters
    ----------
    query
        A name (any case and punctuation; ``"lad:"``, ``"csp:"``, ``"pfa:"``,
        ``"region:"`` or ``"country:"`` in front picks a kind) or a GSS code
        (``W06000015``, ``E23000005``, ``E12000002``, ``K04000001``).
    catalogue
        :func:`build_catalogue`'s result.

    Returns
    -------
    Place
        When several kinds share the name and cover the same authorities (e.g.
        Manchester the authority and Manchester the partnership), the first kind
        of :data:`KINDS` is chosen.

    Raises
    ------
    AmbiguousAreaError
        The name belongs to places with different authorities (e.g. "West
        Midlands": the region and the police force area).
    AreaNotFoundError
        No such name or code (the closest names are listed), or a December 2019
        authority that no longer exists (its 2025 authority is named).
    """
    kind, text = _split_kind(str(query))
    if not text:
        raise AreaNotFoundError("No area given: pass --area with a name or GSS code.")
    places = [p for p in catalogue.places if kind is None or p.kind == kind]
    code = text.strip().upper()
    by_code = [p for p in places if p.code == code]
    if by_code:
        return by_code[0]
    variants = _variants(text)
    found = [p for p in places
             if variants & (_variants(p.name) | {normalise_name(a) for a in p.aliases})]
    if found:
        return _choose(found, text)
    former = [(c, n, new) for c, (n, new) in catalogue.former.items()
              if c == code or normalise_name(n) in variants]
    if former:
        c, n, new = former[0]
        raise AreaNotFoundError(
            f"{n} ({c}) was a local authority in December 2019; since then its area is part "
            f"of {catalogue.lad_names.get(new, new)} ({new}). Use --area {new} (the whole "
            "2025 authority).", [p for p in places if p.code == new])
    cands = _suggest(text, places)
    what = f"{kind}" if kind else ("local authority, community safety partnership, police "
                                   "force area, region or country")
    closest = ("Closest: " + "; ".join(p.label for p in cands) + "."
               if cands else "List the names with 'python -m hotspots pack areas'.")
    raise AreaNotFoundError(f"No {what} is called or coded '{text}'. {closest}", cands)


def combine_places(places: Sequence[Place]) -> Place:
    """Return one place covering several (``--area A --area B``): their authorities' union.

    Examples
    --------
    >>> a = Place("local authority", "W06000021", "Monmouthshire", ("W06000021",))
    >>> b = Place("local authority", "E06000019", "Herefordshire, County of", ("E06000019",))
    >>> p = combine_places([a, b])
    >>> p.kind, p.code, p.lads, sorted(p.nations)
    ('combined areas', 'W06000021+E06000019', ('E06000019', 'W06000021'), ['England', 'Wales'])
    >>> p.name
    'Monmouthshire + Herefordshire, County of'
    >>> combine_places([a]) is a
    True
    """
    unique = list(dict.fromkeys(places))
    if len(unique) == 1:
        return unique[0]
    if not unique:
        raise AreaNotFoundError("No area given: pass --area with a name or GSS code.")
    lads = tuple(sorted({c for p in unique for c in p.lads}))
    return Place("combined areas", "+".join(p.code for p in unique),
                 " + ".join(p.name for p in unique), lads,
                 note="Combined: " + "; ".join(p.label for p in unique) + ".")


def resolve_areas(queries: str | Sequence[str], catalogue: Catalogue) -> Place:
    """Resolve one name or several (:func:`resolve_area` each, then :func:`combine_places`)."""
    qs = [queries] if isinstance(queries, str) else list(queries)
    return combine_places([resolve_area(q, catalogue) for q in qs])
