"""What the analyst picks: measure groups, and a measure's table and analysis on its source.

With uploaded police.uk crime beside the pack's own, each measure is computed
on one crime source with that source's coverage (:func:`table_for`,
:func:`analyse_for`, :func:`emerging_for`); :func:`measure_groups` is the
two-level picker.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hotspots.pipeline import analysis as analysis
from hotspots.pipeline.measurekey import PACK_KEY, POLICE_UK_KEY, POLICE_UK_PREFIX, Measure
from hotspots.pipeline.meta import CrimeSource
from hotspots.pipeline.pack import Pack
from hotspots.pipeline.table import RATE_WORDS, Selection, WardTable, measure_options, ward_table

__all__ = ["MeasureGroup", "analyse_for", "emerging_for", "measure_groups", "source_pack",
           "table_for"]


@dataclass(frozen=True)
class MeasureGroup:
    """First level of the two-level measure picker.

    Attributes
    ----------
    label
        What the first selectbox shows.
    options
        ``measure key -> label`` for the second selectbox; the first entry is
        the whole group.
    """

    label: str
    options: dict[str, str]


def _sources(pack: Pack) -> tuple[CrimeSource, ...]:
    return pack.meta.crime_sources or ()


def measure_groups(pack: Pack) -> dict[str, MeasureGroup]:
    """Group the pack's measures two levels deep: family and group, then type.

    Parameters
    ----------
    pack
        A pack (with or without uploads).

    Returns
    -------
    dict
        ``group key -> MeasureGroup``: ``"crime:all"`` (all recorded crime of
        the pack's source), one ``"crime:major:<group>"`` per offence group
        (then its types), ``"police_uk"`` (uploaded police.uk crime: all, then
        each crime type), ``"asb"`` (police.uk anti-social behaviour: its own
        measure, never a crime type) and ``"referrals"`` (all, then each category).
    """
    opts = measure_options(pack)
    value = {k: Measure.parse(k) for k in opts}
    crime_all, referrals_all = Measure("crime").key, Measure("referrals").key
    groups: dict[str, MeasureGroup] = {}
    police = {k: v for k, v in opts.items()
              if value[k].police_uk_type is not None and value[k].type is None}
    mixed = bool(_sources(pack))
    if crime_all in opts and (mixed or not police):
        label = f"Recorded crime: all offences{_source_tag(pack, PACK_KEY)}"
        groups[crime_all] = MeasureGroup(label, {crime_all: "All offences"})
    for key, label in opts.items():
        m = value[key]
        if m.group is None or m.type is not None or key in police:
            continue
        types = {k: v.split(": ", 1)[-1] for k, v in opts.items()
                 if value[k].type is not None and value[k].group == m.group}
        groups[key] = MeasureGroup(f"Recorded crime: {label}",
                                   {key: "All types in this group", **types})
    if police:
        all_key = Measure("crime", source=POLICE_UK_KEY).key if mixed else crime_all
        types = {k: str(value[k].police_uk_type) for k in police}
        groups["police_uk"] = MeasureGroup("police.uk upload: crime types",
                                           {all_key: "All crime types", **types})
    asb = Measure("asb").key
    if asb in opts:
        groups["asb"] = MeasureGroup("Anti-social behaviour (police.uk; not recorded crime)",
                                     {asb: "All anti-social behaviour"})
    if referrals_all in opts:
        cats = {k: v.split(": ", 1)[-1] for k, v in opts.items()
                if value[k].category is not None}
        groups["referrals"] = MeasureGroup(opts[referrals_all].replace("All referrals",
                                                                       "Referrals"),
                                           {referrals_all: "All categories", **cats})
    return groups


def _source_tag(pack: Pack, key: str) -> str:
    for s in _sources(pack):
        if s.key == key:
            return f" ({s.label})"
    return ""


def _crime_view(pack: Pack, measure: Measure) -> tuple[Pack, str, str | None]:
    """Return (pack restricted to one crime source, measure key to use, label override)."""
    srcs = {s.key: s for s in _sources(pack)}
    is_police = pack.crime["major"].str.startswith(POLICE_UK_PREFIX)
    if measure.is_asb:  # only police.uk publishes ASB: counted on its uploads' coverage
        return _view(pack, is_police, srcs[POLICE_UK_KEY]), measure.key, None
    if measure.source is not None:
        key = measure.source
        if key not in srcs:
            raise ValueError(f"Unknown crime source {key!r}: this pack has {sorted(srcs)}.")
        rows = is_police if key == POLICE_UK_KEY else ~is_police
        label = f"All recorded crime ({srcs[key].label})"
        return _view(pack, rows, srcs[key]), Measure("crime").key, label
    if measure.is_all:
        return (_view(pack, ~is_police, srcs[PACK_KEY]), measure.key,
                f"All recorded crime ({srcs[PACK_KEY].label})")
    police = measure.is_police_uk
    src = srcs[POLICE_UK_KEY if police else PACK_KEY]
    return _view(pack, is_police if police else ~is_police, src), measure.key, None


def _view(pack: Pack, rows: pd.Series, source: CrimeSource) -> Pack:
    return dataclasses.replace(pack, crime=pack.crime.loc[rows].reset_index(drop=True),
                               crime_coverage=frozenset(source.coverage))


def source_pack(pack: Pack, measure: str) -> tuple[Pack, str]:
    """Return the pack restricted to the measure's own crime source, and the key to use on it.

    With uploaded police.uk crime beside the pack's own (``meta.crime_sources``),
    a crime or ASB measure is counted on one source (:func:`table_for`): the
    monthly series, the drill-down's chart and the board pack's monthly table
    take the same records as the maps, never both sources summed. A one-source
    pack, or a referral measure, is returned as given.

    Parameters
    ----------
    pack
        A pack.
    measure
        A measure key.

    Returns
    -------
    tuple
        ``(pack, measure key)``.
    """
    m = Measure.parse(measure)
    if not _sources(pack) or not (m.is_crime or m.is_asb):
        return pack, measure
    view, key, _ = _crime_view(pack, m)
    return view, key


def _source_split(
    pack: Pack, sel: Selection
) -> tuple[Pack, Selection, str | None] | None:
    """Return (one-source pack, selection, label override), or None for a one-source pack."""
    m = sel.measure_value
    if not _sources(pack) or not (m.is_crime or m.is_asb):
        if m.source is not None:
            raise ValueError(f"Unknown measure {sel.measure!r}: this pack has one crime source.")
        return None
    view, measure, label = _crime_view(pack, m)
    return view, dataclasses.replace(sel, measure=measure), label


def table_for(pack: Pack, sel: Selection) -> WardTable:
    """Return :func:`hotspots.ward_table` with crime coverage per source.

    When uploaded police.uk crime sits beside the pack's own crime
    (``meta.crime_sources``), each crime measure is counted on its own
    source with that source's coverage (areas the source does not cover show
    "no data", never 0), ``"crime:all"`` means the pack's own source (adding
    both would count the same crimes twice) and ``"crime:source:<key>"``
    selects all crime of one source.

    Parameters
    ----------
    pack
        A pack.
    sel
        The selection.

    Returns
    -------
    WardTable
        With ``selection`` as given and the reconciliation of the measure's source.
    """
    split = _source_split(pack, sel)
    if split is None:
        return ward_table(pack, sel)
    view, view_sel, label = split
    wt = ward_table(view, view_sel)
    police = sel.measure_value.is_police_uk
    rec = wt.reconciliation
    rec = rec[rec["source"].str.contains("police.uk upload", regex=False) == police]
    return dataclasses.replace(wt, selection=sel, label=_view_label(label, wt.label, sel),
                               reconciliation=rec.reset_index(drop=True))


def _view_label(label: str | None, table_label: str, sel: Selection) -> str:
    """Return the measure's label when it is one source of several (the map's title)."""
    rate = RATE_WORDS[sel.rate]
    return f"{label}, {rate}" if label else table_label


def analyse_for(pack: Pack, sel: Selection, params: Any) -> Any:
    """Return :func:`hotspots.analysis.analyse` on the measure's own crime source.

    As :func:`table_for`: with uploaded police.uk crime beside the pack's own,
    the analysis runs on one source with that source's coverage.

    Parameters
    ----------
    pack
        A pack.
    sel
        The selection.
    params
        :class:`hotspots.analysis.StatsParams`.

    Returns
    -------
    hotspots.analysis.Analysis
    """
    split = _source_split(pack, sel)
    if split is None:
        return analysis.analyse(pack, sel, params)
    view, view_sel, label = split
    a = analysis.analyse(view, view_sel, params)
    # The same title as the ward maps (table_for), so the hotspot maps name the source too.
    new = _view_label(label, a.ward.label, sel)
    return dataclasses.replace(a, ward=dataclasses.replace(a.ward, label=new, selection=sel),
                               params={**a.params, "measure_label": new})


def emerging_for(pack: Pack, sel: Selection, params: Any) -> pd.DataFrame:
    """Return :func:`hotspots.analysis.emerging_wards` on the measure's own crime source.

    Parameters
    ----------
    pack, sel, params
        As :func:`analyse_for`.

    Returns
    -------
    DataFrame
        One row per ward with data (see :func:`hotspots.analysis.emerging_wards`).
    """
    split = _source_split(pack, sel)
    if split is not None:  # one crime source at a time, as analyse_for
        pack, sel = split[0], split[1]
    return analysis.emerging_wards(pack, sel, params)
