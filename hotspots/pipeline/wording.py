"""How a pack names its deprivation index and its local authorities, for any area.

The demo pack (London) says "IMD 2019" and "borough"; a pack built for any
place (:mod:`hotspots.pipeline.packbuild`) carries ``imd_label`` (e.g.
``"WIMD 2019 (Wales)"``) and ``area.local_authorities``: outside London its
authorities are "local authorities". :func:`deprivation_only_table` is the
ward table of a pack with no measure (no crime, no referrals).
:func:`crime_source_text` and :func:`crime_source_used` name the forces a pack's
recorded crime comes from (here, not in :mod:`hotspots.pipeline.packcrime`, so that
a board pack's sentence does not import duckdb and the store: 0.14 s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from hotspots.pipeline.meta import PackMeta
from hotspots.pipeline.pack import Pack

#: Label of the index when the pack does not name one (the demo pack: IMD 2019).
DEFAULT_INDEX_LABEL = "IMD 2019"


def index_label(meta: PackMeta) -> str:
    """Return the deprivation index's short label, e.g. ``"IoD 2025 (England)"``.

    Examples
    --------
    >>> index_label(PackMeta())
    'IMD 2019'
    >>> index_label(PackMeta(imd_label="WIMD 2019 (Wales)"))
    'WIMD 2019 (Wales)'
    """
    return meta.imd_label or DEFAULT_INDEX_LABEL


def index_notice(meta: PackMeta) -> str:
    """Return the licence and meaning a legend must carry for the index, or ``""``.

    Only mySociety's composite UK IMD needs one: another licence (CC BY 4.0) and an
    approximation (fine for deciles and maps, not for ranking places).

    Examples
    --------
    >>> index_notice(PackMeta(imd_label="IoD 2025 (England)"))
    ''
    >>> index_notice(PackMeta(deprivation={"index": "composite", "licence": "CC BY 4.0",
    ...                                    "caveat": "An approximation."}))
    'Composite UK IMD by mySociety, licence: CC BY 4.0. An approximation.'
    """
    d = meta.deprivation or {}
    if d.get("index") != "composite":
        return ""
    licence = str(d.get("licence") or "CC BY 4.0").split(";")[0]
    return f"Composite UK IMD by mySociety, licence: {licence}. {d.get('caveat', '')}".strip()


def is_london(meta: PackMeta) -> bool:
    """Return True when the pack's local authorities are London boroughs (or unstated).

    A pack without ``area`` (the demo, packs made by hand) keeps London's wording.

    Examples
    --------
    >>> is_london(PackMeta())
    True
    >>> is_london(PackMeta(area={"local_authorities": {"W06000015": "Cardiff"}}))
    False
    >>> is_london(PackMeta(area={"local_authorities": {"E09000007": "Camden"}}))
    True
    """
    las = (meta.area or {}).get("local_authorities") or {}
    return not las or all(str(code).startswith("E09") for code in las)


def authority_word(meta: PackMeta, *, plural: bool = False, capital: bool = False) -> str:
    """Return ``"borough"`` in London, else ``"local authority"`` (plural, capitalised).

    Examples
    --------
    >>> wales = PackMeta(area={"local_authorities": {"W06000015": "Cardiff"}})
    >>> authority_word(wales, plural=True, capital=True)
    'Local authorities'
    >>> authority_word(PackMeta(), plural=True)
    'boroughs'
    """
    london = is_london(meta)
    word = ("boroughs" if london else "local authorities") if plural else (
        "borough" if london else "local authority")
    return word[:1].upper() + word[1:] if capital else word


@dataclass(frozen=True)
class Words:
    """The words a pack's tables, maps, findings and method card use for its place.

    Attributes
    ----------
    index
        The deprivation index's short label (:func:`index_label`), e.g.
        ``"WIMD 2019 (Wales)"``; ``"IMD 2019"`` for the demo.
    nation
        Whose national deciles the index has (``"England"``, ``"Wales"``, or
        ``"England and Wales"`` for the composite).
    authority
        Column heading of a ward's authority: ``"Borough"`` in London, else
        ``"Local authority"``.
    authorities
        The plural inside a sentence: ``"boroughs"`` or ``"local authorities"``.

    Examples
    --------
    >>> w = words(PackMeta(imd_label="WIMD 2019 (Wales)", deprivation={"nation": "Wales"},
    ...                    area={"local_authorities": {"W06000023": "Powys"}}))
    >>> w.heading("Borough"), w.heading("IMD decile"), w.authorities, w.nation
    ('Local authority', 'WIMD 2019 (Wales) decile', 'local authorities', 'Wales')
    >>> words(PackMeta()).heading("Borough"), words(PackMeta()).index
    ('Borough', 'IMD 2019')
    """

    index: str = DEFAULT_INDEX_LABEL
    nation: str = "England"
    authority: str = "Borough"
    authorities: str = "boroughs"

    @property
    def authority_lower(self) -> str:
        """``"borough"`` or ``"local authority"`` inside a sentence."""
        return self.authority.lower()

    @property
    def decile(self) -> str:
        """Column heading of the ward's national decile, e.g. ``"IoD 2025 (England) decile"``."""
        return f"{self.index} decile"

    def heading(self, column: str) -> str:
        """Return the pack's heading for a London column (``"Borough"``, ``"IMD decile"``)."""
        return {"Borough": self.authority, "IMD decile": self.decile}.get(column, column)


#: The demo pack's words (London boroughs, IMD 2019).
LONDON_WORDS = Words()


def words(meta: PackMeta) -> Words:
    """Return the :class:`Words` of a pack (London's for the demo and hand-made packs)."""
    nation = str((meta.deprivation or {}).get("nation") or "England")
    return Words(index=index_label(meta), nation=nation,
                 authority=authority_word(meta, capital=True),
                 authorities=authority_word(meta, plural=True))


def incomplete_month_notes(meta: PackMeta) -> dict[str, str]:
    """Return month -> why it looks incomplete, for the months the pack flags.

    From ``months_incomplete`` and, when the pack has it, the per-force detail
    ``months_incomplete_detail`` (its ``why``: rows against the force's busiest
    month, or crimes per 1,000 residents against the floor, the rule of
    :func:`hotspots.pipeline.packcrime.incomplete_months`; older packs give
    only the rows against the busiest month).

    Examples
    --------
    >>> m = PackMeta(months_incomplete=("2024-04",), extra={"months_incomplete_detail": [
    ...     {"month": "2024-04", "force": "Dyfed-Powys Police", "rows": 812,
    ...      "busiest_month": "2024-01", "busiest_rows": 3021}]})
    >>> incomplete_month_notes(m)["2024-04"]
    'looks incomplete: Dyfed-Powys Police 812 rows against 3,021 in its busiest month (2024-01)'
    >>> m = PackMeta(months_incomplete=("2024-01",), extra={"months_incomplete_detail": [
    ...     {"month": "2024-01", "force": "Dyfed-Powys Police", "why": "910 crimes for "
    ...      "515,920 residents, 21.2 a year per 1,000, below the floor of 30"}]})
    >>> incomplete_month_notes(m)["2024-01"][:47]
    'looks incomplete: Dyfed-Powys Police 910 crimes'
    >>> incomplete_month_notes(PackMeta(months_incomplete=("2024-02",)))
    {'2024-02': 'looks incomplete (flagged when the pack was built)'}
    """
    detail = meta.extra.get("months_incomplete_detail") or []
    out: dict[str, str] = {}
    for month in meta.months_incomplete or ():
        parts = [f"{r.get('force', '?')} " + (
            str(r["why"]) if r.get("why") else
            f"{int(r.get('rows', 0)):,} rows against {int(r.get('busiest_rows', 0)):,} in its "
            f"busiest month ({r.get('busiest_month', '?')})")
            for r in detail if isinstance(r, dict) and r.get("month") == month]
        out[str(month)] = ("looks incomplete: " + "; ".join(parts) if parts
                           else "looks incomplete (flagged when the pack was built)")
    return out


def has_measure(pack: Pack) -> bool:
    """Return True when the pack has any crime or referral record."""
    return bool(len(pack.crime) or len(pack.referrals))


def deprivation_only_table(pack: Pack) -> pd.DataFrame:
    """Return one row per ward: name, authority, population and deprivation.

    Columns: ``Ward``, ``Code``, the authority word (``Borough`` or ``Local
    authority``), ``Population``, then ``<index> score``, ``rank`` and
    ``decile`` when the pack has them (1 = most deprived), and for English packs
    with IoD 2019 the deciles of both editions on MHCLG's average-rank measure and
    the change in rank (:func:`hotspots.pipeline.packdeprivation.iod2019_change`).
    Missing values stay missing (never zero).
    """
    areas = pd.DataFrame(pack.areas.drop(columns="geometry", errors="ignore"))
    t = areas[["area_code", "area_name", "borough_name"]].merge(
        pack.population[["area_code", "population"]], on="area_code", how="left")
    label = index_label(pack.meta)
    names = {"imd_score": f"{label} score", "imd_rank": f"{label} rank (1 = most deprived)",
             "imd_decile": f"{label} decile (1 = most deprived)"}
    change = {"imd2019_avgrank_decile": "Decile, IoD 2019 (average rank)",
              "imd2025_avgrank_decile": "Decile, IoD 2025 (average rank)",
              "imd_rank_change": "Rank change since IoD 2019 (negative = more deprived)"}
    names.update({k: v for k, v in change.items() if k in pack.imd})
    cols = [c for c in names if c in pack.imd]
    t = t.merge(pack.imd[["area_code", *cols]], on="area_code", how="left")
    if "imd_score" in t:
        t = t.sort_values("imd_score", ascending=False, na_position="last")
    return t.rename(columns={"area_name": "Ward", "area_code": "Code",
                             "borough_name": authority_word(pack.meta, capital=True),
                             "population": "Population", **names}).reset_index(drop=True)


def crime_source_text(forces: Iterable[str], covering: Iterable[str]) -> str:
    """Name the forces whose rows the pack uses, and those read but outside its area.

    Examples
    --------
    >>> crime_source_text(["South Wales Police", "Dyfed-Powys Police"], ["South Wales Police"])
    'police.uk street-level crime (South Wales Police; rows of Dyfed-Powys Police in the \
files are outside this area, counted outside coverage)'
    >>> crime_source_text(["South Wales Police"], ["South Wales Police"])
    'police.uk street-level crime (South Wales Police)'
    """
    used = sorted(set(covering) & set(forces)) or sorted(set(forces))
    other = sorted(set(forces) - set(used))
    tail = _OUTSIDE_TAIL.format(", ".join(other)) if other else ""
    return f"police.uk street-level crime ({', '.join(used)}{tail})"


_OUTSIDE_TAIL = "; rows of {} in the files are outside this area, counted outside coverage"
_OUTSIDE_TAIL_RE = re.compile(re.escape(_OUTSIDE_TAIL).replace(r"\{\}", ".+?") + r"(?=\))")


def crime_source_used(text: str) -> str:
    """Return a pack's crime source without the forces read but outside its area.

    For a sentence that names only the data shown (e.g. "the ward maps show ..."):
    :func:`crime_source_text` also names the forces whose rows were counted
    outside coverage; any other text is returned as it is.

    Examples
    --------
    >>> crime_source_used(crime_source_text(["South Wales Police", "North Wales Police"],
    ...                                     ["South Wales Police"]))
    'police.uk street-level crime (South Wales Police)'
    >>> crime_source_used("Metropolitan Police ward-level recorded crime (MPS ward file)")
    'Metropolitan Police ward-level recorded crime (MPS ward file)'
    """
    return _OUTSIDE_TAIL_RE.sub("", text)



def no_lsoa_wards(codes: Iterable[str], areas: pd.DataFrame) -> list[str]:
    """Return the names of the wards in ``codes`` (those with no LSOA of their own).

    Parameters
    ----------
    codes
        Ward codes, e.g. :attr:`hotspots.pipeline.pack.Pack.no_lsoa`.
    areas
        ``area_code``, ``area_name`` (the pack's wards).

    Returns
    -------
    list of str
        Ward names (the code where a name is missing), in the areas' order.

    Examples
    --------
    >>> no_lsoa_wards({"W1"}, pd.DataFrame({"area_code": ["W1", "W2"],
    ...                                     "area_name": ["Aberdyfi", "Tywyn"]}))
    ['Aberdyfi']
    """
    a = areas[areas["area_code"].isin(set(codes))]
    names = a["area_name"] if "area_name" in a.columns else a["area_code"]
    return [str(n) if pd.notna(n) else str(c) for n, c in zip(names, a["area_code"], strict=True)]


def no_lsoa_text(pack: Pack) -> str:
    """Say, in plain words, which wards have no population or deprivation value and why.

    Returns ``""`` when every ward has at least one LSOA (or the pack does not say),
    e.g. the demo pack.
    """
    names = no_lsoa_wards(pack.no_lsoa, pack.areas)
    if not names:
        return ""
    n = len(names)
    shown = ", ".join(names[:6]) + (f" and {n - 6:,} more" if n > 6 else "")
    ward, have, its = ("ward has", "it has", "its") if n == 1 else ("wards have", "they have",
                                                                    "their")
    return (f"{n:,} {ward} no LSOA of {its} own in ONS's best-fit lookup (each LSOA is given "
            f"to the one ward holding most of its people), so {have} no population or "
            f"deprivation value: {its} crimes are counted, {its} rates are not shown "
            f"({shown}).")
