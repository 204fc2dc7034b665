"""How a measure relates to deprivation.

* :func:`spearman_by_group` -- Spearman's rho of a measure with IMD score,
  with its 95% CI, n and one documented wording, overall and per borough
  (or any grouping column), flagging small groups.
* :func:`share_in_most_deprived` -- "x% of wards with k or more referrals
  fall into the 20% most deprived", always saying which reference population
  the quantile uses (:data:`REFERENCES`): this layer's own areas
  (e.g. London-relative) or a national decile column (England's deciles).
* :func:`decile_table` -- the full table by IMD decile: areas, count, share
  of count, population and rate.

How concentrated the measure is (top x% of areas, Lorenz curve, Gini) is
:mod:`hotspots.stats.inequality`.

IMD scores: higher = more deprived. IMD deciles and ranks: 1 = most deprived.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.stats.ranking import competition_rank, spearman

__all__ = [
    "REFERENCES",
    "SMALL_N",
    "SPEARMAN_COLUMNS",
    "DeprivedShare",
    "Reference",
    "decile_table",
    "share_in_most_deprived",
    "spearman_by_group",
]

#: Groups with fewer areas than this are flagged ``small_n``.
SMALL_N = 10

#: Columns of :func:`spearman_by_group`.
SPEARMAN_COLUMNS = [
    "group", "n", "rho", "ci_low", "ci_high", "p_value", "wording", "small_n",
    "n_ties_measure", "n_ties_score", "n_zero", "text",
]


def _need(frame: pd.DataFrame, columns: Iterable[str | None]) -> None:
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise ColumnMappingError(
            f"The frame lacks column(s) {missing}; it has {list(frame.columns)}."
        )


# --------------------------------------------------------------------------- Spearman

def _spearman_row(label: object, x: pd.Series, y: pd.Series, small_n: int) -> dict[str, object]:
    r = spearman(x, y)
    zeros = int((pd.to_numeric(x, errors="coerce")[y.notna()] == 0).sum())
    return {
        "group": label, "n": r.n, "rho": r.rho, "ci_low": r.ci_low, "ci_high": r.ci_high,
        "p_value": r.p_value, "wording": r.wording, "small_n": r.n < small_n,
        "n_ties_measure": r.n_ties_x, "n_ties_score": r.n_ties_y, "n_zero": zeros,
        "text": r.text,
    }


def spearman_by_group(
    frame: pd.DataFrame,
    *,
    measure: str,
    score: str = "imd_score",
    by: str | None = None,
    overall_label: str = "All areas",
    small_n: int = SMALL_N,
) -> pd.DataFrame:
    """Spearman rank correlation of a measure with IMD score, overall and per group.

    Parameters
    ----------
    frame
        One row per area with ``measure`` and ``score``. Not modified.
    measure
        Column to correlate (count, rate or EB rate).
    score
        Deprivation score column (higher = more deprived).
    by
        Optional grouping column (e.g. ``"borough_name"``); areas with no
        group value count in the overall row only.
    overall_label
        ``group`` value of the overall row.
    small_n
        Groups with ``n < small_n`` are flagged ``small_n`` (their interval is
        wide and their rho unstable).

    Returns
    -------
    DataFrame
        :data:`SPEARMAN_COLUMNS`: one row per group, the overall row first,
        then groups in sorted order. ``n`` counts areas with both values;
        ``n_ties_*`` count values sharing a rank; ``n_zero`` counts zero
        measures (zeros tie with each other); ``text`` is one sentence.

    Raises
    ------
    ColumnMappingError
        When a named column is missing.

    Notes
    -----
    Computed by :func:`hotspots.stats.spearman`: ties get average ranks,
    the 95% CI is Fisher's z with the Bonett & Wright (2000) variance,
    the p-value is two-sided (:func:`scipy.stats.spearmanr`), and the
    wording comes from :data:`hotspots.stats.WORDING_SCALE`. rho is NaN
    below 4 pairs or for a constant series.
    """
    _need(frame, [measure, score, by])
    x, y = frame[measure], pd.to_numeric(frame[score], errors="coerce")
    rows = [_spearman_row(overall_label, x, y, small_n)]
    if by is not None:
        for key, idx in sorted(frame.groupby(by, dropna=True, sort=False).groups.items(),
                               key=lambda kv: str(kv[0])):
            rows.append(_spearman_row(key, x.loc[idx], y.loc[idx], small_n))
    out = pd.DataFrame(rows, columns=SPEARMAN_COLUMNS)
    out["n"] = out["n"].astype("int64")
    out["small_n"] = out["small_n"].astype(bool)
    return out


# --------------------------------------------------------------------------- reference populations

@dataclass(frozen=True)
class Reference:
    """How "the q most deprived" is decided, and how to say it.

    Attributes
    ----------
    key
        Registry key.
    label
        Plain-words name.
    decile
        ``decile(frame, score, decile_col) -> Series`` of deciles
        (1 = most deprived 10%, NaN where unknown).
    member
        ``member(frame, quantile, score, decile_col) -> Series`` (nullable
        bool): the area lies in the most deprived ``quantile`` (NA where
        unknown).
    describe
        ``describe(n_reference, layer_name, decile_col, nation, area_word)
        -> str``, the reference population in words.
    short
        ``short(layer_name, nation) -> str``, e.g. ``"London"`` or
        ``"England, national"``, for decile labels.
    """

    key: str
    label: str
    decile: Callable[[pd.DataFrame, str, str | None], pd.Series]
    member: Callable[[pd.DataFrame, float, str, str | None], pd.Series]
    describe: Callable[[int, str, str | None, str, str], str]
    short: Callable[[str, str], str]


def _layer_rank(frame: pd.DataFrame, score: str) -> pd.Series:
    return competition_rank(pd.to_numeric(frame[score], errors="coerce"), ascending=False)


def _layer_decile(frame: pd.DataFrame, score: str, decile_col: str | None) -> pd.Series:
    rank = _layer_rank(frame, score)
    n = int(rank.notna().sum())
    return np.ceil(10 * rank / n - 1e-9) if n else rank


def _layer_member(frame: pd.DataFrame, quantile: float, score: str,
                  decile_col: str | None) -> pd.Series:
    rank = _layer_rank(frame, score)
    inside = rank <= quantile * rank.notna().sum() + 1e-9
    return inside.astype("boolean").where(rank.notna())


def _national_decile(frame: pd.DataFrame, score: str, decile_col: str | None) -> pd.Series:
    if decile_col is None:
        raise ValueError("reference='national_decile' needs decile_col=: the column of "
                         "national IMD deciles (1 = most deprived 10%).")
    d = pd.to_numeric(frame[decile_col], errors="coerce")
    bad = d.notna() & ~d.isin(range(1, 11))
    if bad.any():
        raise InputDataError(f"Column '{decile_col}' has values other than deciles 1-10, e.g. "
                             f"{frame.loc[bad, decile_col].unique()[:3].tolist()}.")
    return d.astype(float)


def _national_member(frame: pd.DataFrame, quantile: float, score: str,
                     decile_col: str | None) -> pd.Series:
    d = _national_decile(frame, score, decile_col)
    return (d <= round(quantile * 10)).astype("boolean").where(d.notna())


def _describe_layer(n: int, layer_name: str, decile_col: str | None, nation: str,
                    area_word: str) -> str:
    return (f"relative to the {n} {area_word} of {layer_name} with an IMD score "
            f"({layer_name}-relative quantile of {area_word}' scores, "
            f"not {nation}'s national deciles)")


def _describe_national(n: int, layer_name: str, decile_col: str | None, nation: str,
                       area_word: str) -> str:
    return (f"by {nation}'s national IMD deciles (column '{decile_col}'; "
            f"not a quantile of {layer_name}'s own {area_word})")


#: Reference-population registry: key -> :class:`Reference`.
REFERENCES: dict[str, Reference] = {
    r.key: r
    for r in (
        Reference("layer", "This layer's areas (e.g. London-relative)", _layer_decile,
                  _layer_member, _describe_layer, lambda layer, nation: layer),
        Reference("national_decile", "National deciles (e.g. England)", _national_decile,
                  _national_member, _describe_national,
                  lambda layer, nation: f"{nation}, national"),
    )
}

ReferenceKey = Literal["layer", "national_decile"]


def _reference(key: str) -> Reference:
    try:
        return REFERENCES[key]
    except KeyError:
        raise ValueError(
            f"reference={key!r} is unknown: use one of {sorted(REFERENCES)}."
        ) from None


# --------------------------------------------------------------------------- share in most deprived

@dataclass(frozen=True)
class DeprivedShare:
    """Share of areas with at least ``min_count`` that lie in the most deprived quantile.

    Attributes
    ----------
    share
        ``n_in_most_deprived / n_qualifying`` (NaN when no area qualifies).
    n_qualifying
        Areas with ``measure >= min_count`` and a known deprivation value.
    n_in_most_deprived
        Of those, the areas in the most deprived ``quantile``.
    n_without_reference
        Areas with ``measure >= min_count`` but no score/decile (left out).
    n_reference
        Areas that define the quantile (with a score or decile).
    min_count, quantile, reference
        The parameters.
    reference_text
        The reference population in words.
    text
        The headline sentence.
    """

    share: float
    n_qualifying: int
    n_in_most_deprived: int
    n_without_reference: int
    n_reference: int
    min_count: float
    quantile: float
    reference: str
    reference_text: str
    text: str


def _check_quantile(quantile: float, reference: str) -> None:
    if not 0 < quantile < 1:
        raise ValueError(f"quantile={quantile!r} must be between 0 and 1, e.g. 0.2.")
    if reference == "national_decile" and not math.isclose(quantile * 10, round(quantile * 10)):
        raise ValueError(f"quantile={quantile!r} is not a whole number of deciles: with "
                         "reference='national_decile' use 0.1, 0.2, ..., 0.9.")


def share_in_most_deprived(
    frame: pd.DataFrame,
    *,
    measure: str,
    min_count: float = 5,
    quantile: float = 0.2,
    reference: ReferenceKey = "layer",
    score: str = "imd_score",
    decile_col: str | None = None,
    layer_name: str = "this layer",
    nation: str = "England",
    area_word: str = "wards",
    measure_word: str = "referrals",
) -> DeprivedShare:
    """Share of areas with at least ``min_count`` that lie in the most deprived quantile.

    Parameters
    ----------
    frame
        One row per area with ``measure`` and ``score`` (or ``decile_col``).
        Not modified.
    measure
        Count column (e.g. referrals over three years).
    min_count
        Areas with ``measure >= min_count`` qualify.
    quantile
        Most deprived fraction, e.g. 0.2 for "the 20% most deprived".
    reference
        Key of :data:`REFERENCES`. ``"layer"``: the areas of this frame with
        an IMD score, ranked by score (e.g. London's wards: London-relative);
        an area is in the most deprived ``quantile`` when its competition
        rank (1 = highest score) is at most ``quantile * n``, so ties at the
        boundary are all in. ``"national_decile"``: national deciles in
        ``decile_col`` (1 = most deprived 10% of England); ``quantile`` must
        be a whole number of deciles.
    score, decile_col
        Score column (``"layer"``) and national decile column
        (``"national_decile"``).
    layer_name, nation
        Names used in the text (e.g. ``"London"``, ``"England"``).
    area_word, measure_word
        Words used in the text.

    Returns
    -------
    DeprivedShare

    Raises
    ------
    ColumnMappingError
        When a named column is missing.
    InputDataError
        For a decile column with values outside 1-10.
    ValueError
        For an unknown reference, a quantile outside (0, 1) or not a whole
        number of deciles, or a missing ``decile_col``.

    Notes
    -----
    The reference population decides the answer: London's wards are more
    deprived than England's on average, so "the 20% most deprived for
    London" and "England's most deprived 20%" are different sets of wards.
    The text always names the one used.
    """
    ref = _reference(reference)
    _check_quantile(quantile, reference)
    _need(frame, [measure, score if reference == "layer" else decile_col])
    inside = ref.member(frame, quantile, score, decile_col)
    qualifies = pd.to_numeric(frame[measure], errors="coerce") >= min_count
    known = inside.notna()
    n_q = int((qualifies & known).sum())
    n_in = int((qualifies & inside.fillna(False)).sum())
    ref_text = ref.describe(int(known.sum()), layer_name, decile_col, nation, area_word)
    share = n_in / n_q if n_q else float("nan")
    pct = f"{100 * quantile:g}%"
    k = f"{min_count:g}"
    if n_q:
        text = (f"{100 * share:.0f}% of {area_word} with {k} or more {measure_word} ({n_in} of "
                f"{n_q}) fall into the {pct} most deprived {area_word} by IMD, {ref_text}.")
    else:
        text = f"No {area_word} have {k} or more {measure_word} and a known IMD value."
    n_out = int((qualifies & ~known).sum())
    if n_out:
        text += (f" Left out for want of an IMD value: {n_out} of the {area_word} with {k} "
                 f"or more {measure_word}.")
    return DeprivedShare(share, n_q, n_in, n_out, int(known.sum()), float(min_count),
                         float(quantile), reference, ref_text, text)


# --------------------------------------------------------------------------- decile table

def decile_table(
    frame: pd.DataFrame,
    *,
    measure: str,
    population: str | None = "population",
    reference: ReferenceKey = "layer",
    score: str = "imd_score",
    decile_col: str | None = None,
    layer_name: str = "this layer",
    nation: str = "England",
) -> pd.DataFrame:
    """Totals of a measure by IMD decile, with shares and rates.

    Parameters
    ----------
    frame
        One row per area. Areas whose ``measure`` is missing (no data) are
        left out. Not modified.
    measure
        Count column.
    population
        Population column for the rate (``None``: no rate columns).
    reference, score, decile_col, layer_name, nation
        As :func:`share_in_most_deprived`. With ``"layer"`` the decile of an
        area is ``ceil(10 * rank / n)`` (rank 1 = highest score, competition
        ranking), consistent with its quantile rule.

    Returns
    -------
    DataFrame
        One row per decile 1-10 (all ten, zeros included), plus a row with
        ``decile`` <NA> for areas without an IMD value when there are any:
        ``decile`` (Int64), ``decile_label`` (naming the reference, e.g.
        ``"1 (most deprived 10%, this layer)"``), ``areas``, ``count``,
        ``share_of_count`` (of the table total, so the shares add to 1),
        ``population`` and ``rate_per_1000`` (count per 1,000 residents over
        the decile's areas with a population > 0).

    Raises
    ------
    ColumnMappingError, InputDataError, ValueError
        As :func:`share_in_most_deprived`.
    """
    ref = _reference(reference)
    _need(frame, [measure, population, score if reference == "layer" else decile_col])
    counts = pd.to_numeric(frame[measure], errors="coerce")
    has = counts.notna()
    work = pd.DataFrame({"decile": ref.decile(frame, score, decile_col)[has].astype("Int64"),
                         "count": counts[has]})
    if population is not None:
        pop = pd.to_numeric(frame[population], errors="coerce")[has]
        work["population"] = pop.where(pop > 0)
        work["count_rated"] = work["count"].where(work["population"].notna())
    g = work.groupby("decile", dropna=False)
    out = pd.DataFrame({"areas": g.size(), "count": g["count"].sum()})
    if np.all(np.mod(out["count"].to_numpy(), 1) == 0):
        out["count"] = out["count"].astype("int64")
    out = out.reindex(pd.Index([*range(1, 11), *([pd.NA] if work["decile"].isna().any() else [])],
                               dtype="Int64", name="decile"), fill_value=0)
    total = out["count"].sum()
    out["share_of_count"] = out["count"] / total if total else np.nan
    if population is not None:
        out["population"] = g["population"].sum(min_count=1).reindex(out.index)
        rated = g["count_rated"].sum(min_count=1).reindex(out.index)
        out["rate_per_1000"] = 1000 * rated / out["population"].where(out["population"] > 0)
    where = ref.short(layer_name, nation)
    out.insert(0, "decile_label", [_decile_label(d, where) for d in out.index])
    out = out.reset_index()
    out["areas"] = out["areas"].astype("int64")
    return out


def _decile_label(d: object, where: str) -> str:
    if pd.isna(d):
        return "no IMD value"
    k = int(d)  # type: ignore[call-overload]
    extra = {1: f", most deprived 10%, {where}", 10: f", least deprived 10%, {where}"}
    return f"{k}{extra.get(k, '')}"
