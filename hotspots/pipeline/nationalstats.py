"""The national page's statistics: hot spots (Gi*), clusters (LISA), emerging hot spots per LSOA.

The numbers are :func:`hotspots.pipeline.national.lsoa_statistics`' and
:func:`hotspots.pipeline.national.lsoa_emerging`'s (what ``store analyse`` and
``store emerging`` write), for the place chosen on the page; this module picks
the counts (recorded crime or anti-social behaviour), runs the statistic, and
makes what the page sends: a class per LSOA in the geometry file's order with the
ward page's legend and colours (:func:`hotspots.maps.statmaps.classes.local_keys`:
ColorBrewer RdBu for Gi*, GeoDa's cluster colours for LISA), a tooltip text, and
the method text of the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from hotspots import privacy
from hotspots.io.policeuk import ASB_CATEGORY
from hotspots.maps.classify import NO_DATA_COLOUR
from hotspots.maps.palettes import brewer
from hotspots.maps.statmaps import classes as statclasses
from hotspots.pipeline import coverage as store_coverage
from hotspots.pipeline import national
from hotspots.pipeline.analysis import StatsParams
from hotspots.pipeline.nationalmap import MapValues
from hotspots.stats import emerging

__all__ = ["EMERGING_MIN_MONTHS", "OF", "OF_CRIME_TYPES", "STATISTICS", "StatChoice",
           "emerging_colours", "of_categories", "of_counts", "run_statistic", "stat_method",
           "stat_values"]

#: Statistics the page offers, key -> label.
STATISTICS: dict[str, str] = {
    "hotspots": "Hot spots (Gi*)",
    "clusters": "Clusters and outliers (LISA)",
    "emerging": "Emerging hot spots (Gi* each month, Mann-Kendall trend)",
}
#: What the statistic is computed on: key -> words.
OF: dict[str, str] = {"crime": "Recorded crime", "asb": "Anti-social behaviour"}
#: The crime types each measure counts, in words (method texts of the page and the CLI).
OF_CRIME_TYPES: dict[str, str] = {"crime": "all but anti-social behaviour", "asb": ASB_CATEGORY}
#: Fewest months for emerging hot spots: the one minimum of every view and command
#: (:data:`hotspots.stats.emerging.MIN_TIME_STEPS`, ArcGIS Pro's 10 time steps).
EMERGING_MIN_MONTHS = emerging.MIN_TIME_STEPS
_COLUMN = {"hotspots": "gi_class", "clusters": "lisa_quadrant", "emerging": "trend_class"}
_REGISTRY = {"hotspots": "gi_star", "clusters": "lisa"}


@dataclass(frozen=True)
class StatChoice:
    """One statistic as chosen on the page (the cache key with the store and months).

    Attributes
    ----------
    statistic
        Key of :data:`STATISTICS`.
    of
        Key of :data:`OF`.
    measure
        What Gi* and LISA are computed on (:data:`hotspots.pipeline.national.MEASURES`);
        emerging hot spots are always on monthly counts.
    permutations, seed, correction, alpha
        As ``store analyse`` (``alpha``: the significance level; emerging hot
        spots use it for each month's Gi*). Permutations and seed default to the
        product's (:class:`hotspots.pipeline.analysis.StatsParams`: the ward page,
        ``analyse`` and the board pack), so the same counts give the same numbers.
    """

    statistic: str = "hotspots"
    of: str = "crime"
    measure: str = "count"
    permutations: int = StatsParams.permutations
    seed: int = StatsParams.seed
    correction: str = "fdr"
    alpha: float = 0.05


def _is_asb(categories: pd.Series) -> pd.Series:
    """Return which rows are ASB: its own measure, never inside recorded crime (the one rule)."""
    return categories.astype(str).str.casefold() == ASB_CATEGORY.casefold()


def of_categories(of: str, categories: Sequence[str]) -> list[str]:
    """Return the crime types (of ``categories``, e.g. the store's) a measure counts.

    The page's :func:`of_counts` and ``store analyse``/``store emerging`` (``--of``)
    use this one definition: recorded crime is every police.uk crime type but
    anti-social behaviour; anti-social behaviour is that type alone.

    Examples
    --------
    >>> cats = ["Burglary", "Anti-social behaviour", "Drugs"]
    >>> of_categories("crime", cats), of_categories("asb", cats)
    (['Burglary', 'Drugs'], ['Anti-social behaviour'])
    """
    if of not in OF:
        raise ValueError(f"of={of!r}: use one of {', '.join(OF)}.")
    cats = pd.Series(list(categories), dtype=object)
    asb = _is_asb(cats)
    return [str(c) for c in cats[asb if of == "asb" else ~asb]]


def of_counts(counts: pd.DataFrame, of: str) -> pd.DataFrame:
    """Return the store counts of recorded crime (every category but ASB) or of ASB.

    Examples
    --------
    >>> c = pd.DataFrame({"area_code": ["a", "a"], "month": ["2024-01"] * 2,
    ...                   "category": ["Burglary", "Anti-social behaviour"], "count": [3, 4]})
    >>> of_counts(c, "crime")["count"].tolist(), of_counts(c, "asb")["count"].tolist()
    ([3], [4])
    """
    if of not in OF:
        raise ValueError(f"of={of!r}: use one of {', '.join(OF)}.")
    asb = _is_asb(counts["category"])
    return counts.loc[asb if of == "asb" else ~asb].reset_index(drop=True)


def run_statistic(layer: national.LsoaLayer, counts: pd.DataFrame, months: Sequence[str],
                  choice: StatChoice, *, coverage: store_coverage.StoreCoverage | None = None
                  ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run the chosen statistic on the layer's LSOAs; return its table and parameters.

    Parameters
    ----------
    layer
        The place's LSOAs (:func:`hotspots.pipeline.national.layer_of`).
    counts
        Store counts ``area_code, month, category, count`` for the months (every
        LSOA of England and Wales may be there: those of the place are used).
    months
        The months, in order.
    choice
        What to run.
    coverage
        The forces the store holds (:func:`hotspots.pipeline.coverage.store_coverage`):
        LSOAs of other forces are no data and left out of the statistic (never
        tested as 0); ``None``: every LSOA of the place is covered.

    Returns
    -------
    table : DataFrame
        :func:`~hotspots.pipeline.national.lsoa_statistics`' or
        :func:`~hotspots.pipeline.national.lsoa_emerging`'s table.
    params : dict
        What the method text needs: the statistic's parameters, the months, the
        place, the crime types.

    Raises
    ------
    InputDataError
        Too few months for emerging hot spots, nothing to test, or no LSOA of the
        place in a force the store holds (:func:`hotspots.pipeline.coverage.no_data_message`).
    """
    forces: str | list[str] = "all"
    if coverage is not None:
        layer, _ = store_coverage.cover_layer(layer, coverage)
        forces = sorted(coverage.forces)
    mine = of_counts(counts, choice.of)
    months = list(months)
    base = {"months": months, "place": layer.place.label, "forces": forces,
            "crime_types": OF_CRIME_TYPES[choice.of], "choice": asdict(choice)}
    if choice.statistic == "emerging":
        emerging.check_time_steps(len(months), span=f"{months[0]} to {months[-1]}"
                                  if months else "")
        table = national.lsoa_emerging(layer, mine, months, permutations=choice.permutations,
                                       seed=choice.seed, alpha=choice.alpha,
                                       correction=choice.correction)
        params = {**base, "level": "lsoa", "permutations": choice.permutations,
                  "seed": choice.seed, "alpha": choice.alpha, "trend_alpha": 0.05,
                  "correction": choice.correction, "layer_notes": list(layer.notes),
                  "deprivation_note": national.DEPRIVATION_NOTE}
        return table, params
    if choice.statistic not in _REGISTRY:
        raise ValueError(f"statistic={choice.statistic!r}: use one of {', '.join(STATISTICS)}.")
    res = national.lsoa_statistics(layer, mine, measure=choice.measure,
                                   permutations=choice.permutations, seed=choice.seed,
                                   alpha=choice.alpha, correction=choice.correction)
    return res.table, {**res.params, **base, "layer_notes": list(layer.notes)}


def emerging_colours() -> dict[str, str]:
    """Return a colour per emerging hot spot category (hot: reds, cold: blues).

    Examples
    --------
    >>> c = emerging_colours()
    >>> c["no pattern detected"], len(c) == len(emerging.CATEGORIES)
    ('#ebebeb', True)
    """
    hot = [k for k in emerging.CATEGORIES if k.endswith("hot spot")]
    cold = [k for k in emerging.CATEGORIES if k.endswith("cold spot")]
    reds = brewer("Reds", 9)[::-1][:len(hot)]
    blues = brewer("Blues", 9)[::-1][:len(cold)]
    return {**dict(zip(hot, reds, strict=True)), **dict(zip(cold, blues, strict=True)),
            emerging.NO_PATTERN: statclasses.NOT_SIGNIFICANT_COLOUR}


def _legend_keys(statistic: str, params: dict[str, Any]) -> tuple[list[str], list[str],
                                                                    list[str]]:
    if statistic in _REGISTRY:
        return statclasses.local_keys(_REGISTRY[statistic], params)
    colours = emerging_colours()
    keys = [k for k in emerging.CATEGORIES if k != emerging.NO_PATTERN] + [emerging.NO_PATTERN]
    return (keys + ["No data"], [k[:1].upper() + k[1:] for k in keys] + ["No data"],
            [colours[k] for k in keys] + [NO_DATA_COLOUR])


#: Classes whose tooltip gives the count alone (most LSOAs: the text sent stays small).
_PLAIN = {"Not significant", "ns", emerging.NO_PATTERN}


def _tip(row: Any, statistic: str, label: str) -> str:
    """Return the tooltip's detail (the page puts the class name first): short for most."""
    what = f"count {int(row.count):,}" if pd.notna(row.count) else "no count"
    if label in _PLAIN:
        return what
    if statistic == "hotspots" and pd.notna(getattr(row, "gi_z", np.nan)):
        return f"z {row.gi_z:.2f}, q {row.gi_q:.3g}; {what}"
    if statistic == "clusters" and pd.notna(getattr(row, "lisa_i", np.nan)):
        return f"I {row.lisa_i:.2f}, q {row.lisa_q:.3g}; {what}"
    if statistic == "emerging" and pd.notna(getattr(row, "n_hot", np.nan)):
        return (f"hot {int(row.n_hot)}, cold {int(row.n_cold)} of {int(row.n_steps)} months, "
                f"trend {row.mk_trend}; {what}")
    return what


def stat_values(codes: Sequence[str], mask: np.ndarray, table: pd.DataFrame,
                params: dict[str, Any], statistic: str) -> MapValues:
    """Return a class and a tooltip text per LSOA, and the legend, for a statistic's table.

    Parameters
    ----------
    codes
        Every LSOA in the geometry file's order (:attr:`NationalView.table`'s
        ``lsoa_code``).
    mask
        LSOAs of the place shown (the rest are hidden).
    table
        :func:`run_statistic`'s table (``area_code``, ``count`` and the class column).
    params
        Its parameters (``alpha`` sets Gi*'s confidence classes).
    statistic
        Key of :data:`STATISTICS`.

    Returns
    -------
    MapValues
        Class codes ``0..`` index the legend's categories (the ward page's order
        and colours), ``names`` their short names (``"Hot 95%"``, ``"HH"``), the
        texts the detail after the name (z, q, count: short, 35,672 are sent); an
        LSOA shown but not in ``table`` is "No data". The
        counts in the texts are as on the ward maps: police.uk counts are
        public, never suppressed on the page (files are, see
        :func:`hotspots.pipeline.national.export_frame`).

    Examples
    --------
    >>> t = pd.DataFrame({"area_code": ["a", "b"], "count": [9.0, 0.0],
    ...                   "gi_class": ["Hot 95%", "Not significant"],
    ...                   "gi_z": [2.5, 0.1], "gi_q": [0.03, 0.8]})
    >>> v = stat_values(["a", "b", "c"], np.array([True, True, False]), t, {"alpha": 0.05},
    ...                 "hotspots")
    >>> [int(c) for c in v.classes], v.names[int(v.classes[0])], v.texts[:2]
    ([1, 3, 255], 'Hot 95%', ['z 2.50, q 0.03; count 9', 'count 0'])
    """
    keys, labels, colours = _legend_keys(statistic, params)
    index = {k: i for i, k in enumerate(keys)}
    no_data = index["No data"] if "No data" in index else index["no data"]
    n = len(codes)
    classes = np.full(n, MapValues.CLASS_HIDDEN, dtype=np.uint8)
    texts = [""] * n
    col = _COLUMN[statistic]
    rows = table.set_index(table["area_code"].astype(str))
    pos = pd.Index(list(codes)).get_indexer(rows.index)
    for p, row in zip(pos, rows.itertuples(index=False), strict=True):
        if p < 0 or not mask[p]:
            continue
        key = str(getattr(row, col)) if pd.notna(getattr(row, col)) else None
        c = index.get(key, no_data) if key is not None else no_data
        classes[p] = c
        texts[p] = _tip(row, statistic, keys[c])
    shown = np.flatnonzero(mask & (classes == MapValues.CLASS_HIDDEN))
    classes[shown] = no_data
    for p in shown:
        texts[p] = ""
    got = np.bincount(classes[mask], minlength=256)
    always = {"hotspots": {"Not significant"}, "clusters": {"ns"},
              "emerging": {emerging.NO_PATTERN}}[statistic]
    items = [(i, f"{labels[i]} ({int(got[i]):,})") for i, k in enumerate(keys)
             if got[i] or (k in always) or (statistic != "emerging" and k not in
                                                ("No data", "no data", "No neighbours",
                                                 "no neighbours"))]
    return MapValues(classes, texts, dict(enumerate(colours)), [("", items)],
                     dict(enumerate(keys)))


def stat_method(params: dict[str, Any], statistic: str,
                threshold: int = privacy.DEFAULT_THRESHOLD) -> str:
    """Return the method text (``store analyse`` / ``store emerging``'s ``method.txt``)."""
    if statistic == "emerging":
        return national.emerging_method(params, threshold)
    return national.analyse_method(params, threshold)
