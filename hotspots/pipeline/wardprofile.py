"""One ward for the drill-down: its labels, facts, hotspot status, deprivation and neighbours.

:func:`ward_profile` gathers, as plain frames (no streamlit), what the page's
Ward drill-down tab shows about one ward of an
:class:`~hotspots.pipeline.analysis.Analysis`: its value, rank and change in
both comparisons, one row per local statistic of
:mod:`hotspots.stats.registry` (class, statistic, p and q), its IMD 2019
indicators, its neighbours under the analysis' weights (with each statistic's
class) and its monthly series (:func:`hotspots.pipeline.viewdata.monthly_long`).
:func:`ward_choices` gives the ward picker's labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hotspots.maps import charts as charts
from hotspots.maps.statmaps import HIDDEN_STAT, format_p
from hotspots.periods import YearStart, YearStartKey
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline import wording as wording
from hotspots.pipeline.pack import Pack
from hotspots.pipeline.viewdata import Which, monthly_long, ward_change
from hotspots.stats import NO_DATA
from hotspots.stats import registry as registry
from hotspots.stats.weights import build_weights

__all__ = [
    "WardProfile",
    "imd_reference_note",
    "rank_move_words",
    "ward_choices",
    "ward_profile",
]

_DOMAIN_LABELS = {
    "income": "Income", "employment": "Employment",
    "education": "Education, skills and training",
    "health": "Health deprivation and disability", "crime": "Crime",
    "barriers": "Barriers to housing and services", "living_environment": "Living environment",
}


def ward_choices(table: pd.DataFrame) -> dict[str, str]:
    """Return ``"Ward, Borough"`` labels -> area codes, A to Z.

    Parameters
    ----------
    table
        Frame with ``area_code``, ``area_name``, ``borough_name``.

    Returns
    -------
    dict
        Labels are unique (a repeated label gets its code appended).
    """
    f = table[["area_code", "area_name", "borough_name"]].copy()
    f["label"] = f["area_name"].astype(str) + ", " + f["borough_name"].fillna("").astype(str)
    dup = f["label"].duplicated(keep=False)
    f.loc[dup, "label"] = f.loc[dup, "label"] + " (" + f.loc[dup, "area_code"].astype(str) + ")"
    f = f.sort_values(["label"], key=lambda s: s.str.casefold(), kind="stable")
    return dict(zip(f["label"], f["area_code"].astype(str), strict=True))


@dataclass(frozen=True)
class WardProfile:
    """Everything the drill-down shows about one ward, as plain tables.

    Attributes
    ----------
    area_code, label
        The ward's code and ``"Ward, Borough"``.
    facts
        ``What`` / ``Value`` (text): value, rank, counts and change in both
        periods, ranks by count in both periods and the movement.
    status
        One row per local statistic of the registry: ``Statistic``, ``Result``,
        ``Statistic value``, ``p``, ``q`` (and a row per further class, e.g. the
        bivariate terciles), then the neighbours used.
    imd
        ``Indicator`` / ``Value`` / ``Reference`` rows: IMD 2019 score, rank,
        decile, share in England's most deprived 20%, domain scores if the
        pack has them.
    neighbours
        The ward's neighbours under the analysis' weights: ``Ward``,
        ``Borough``, the value and the class of each local statistic of the
        measure alone (``Gi* class``, ``LISA cluster``, ...).
    trend
        Month-of-year series for the trend chart (see :func:`monthly_long`).
    trend_level
        What the trend sums, e.g. ``"Coldharbour, Lambeth (this ward)"``.
    notes
        Notes to print.
    """

    area_code: str
    label: str
    facts: pd.DataFrame
    status: pd.DataFrame
    imd: pd.DataFrame
    neighbours: pd.DataFrame
    trend: pd.DataFrame
    trend_level: str
    notes: tuple[str, ...]


def _txt(v: object, fmt: str = "{:,.0f}") -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return "no data"
    return fmt.format(v)


def _cell(v: object) -> str:
    """Return a table cell as text: numbers with thousands separators, text as it is."""
    if isinstance(v, str):
        return v
    return _txt(v, "{:,.0f}")


def _ward_facts(a: analysis_mod.Analysis, row: pd.Series, value_label: str) -> pd.DataFrame:
    sel, t = a.ward.selection, a.ward.selection.suppress_below
    sensitive = a.ward.is_sensitive
    n_ranked = int(a.table["rank"].notna().sum())
    rank = ("not shown (small count)" if sensitive and bool(row.get("suppressed"))
            else _txt(row.get("rank"), "{:,.0f}") + f" of {n_ranked:,} wards ranked")
    rows = [("Measure", str(a.params.get("measure_label", sel.measure))),
            ("Period", str(a.params.get("period_label", ""))),
            (value_label, str(row.get("value_display", "no data"))),
            ("Rank in the period (1 = highest; ties share a rank)", rank)]
    pairs: tuple[tuple[Which, str], ...] = (("change", "previous period"),
                                            ("ytd", "year to date"))
    for which, name in pairs:
        ct = a.change if which == "change" else a.ytd
        w = ward_change(a, which=which)
        if ct is None or w is None:
            rows.append((f"Compared with the {name}", "not available"))
            continue
        shown = charts.change_table(w, name_col="area_code", name_label="area_code",
                                    sensitive=sensitive, threshold=t)
        r = shown[shown["area_code"] == row["area_code"]]
        if r.empty:
            rows.append((f"Compared with the {name}", "no data"))
            continue
        r0 = r.iloc[0]
        rows += [
            (f"Count, {ct.current.label}", _cell(r0["Count"])),
            (f"Count, {ct.previous.label}", _cell(r0["Previous count"])),
            (f"Change ({name})", str(r0["Change (words)"])
             + (" (small base: the % says little)" if r0["Small base"] == "yes"
                and r0["Change (words)"] not in ("not shown", "new", "no change") else "")),
            (f"Rank by count, {ct.current.label}", _txt(r0["Rank"], "{:,}")),
            (f"Rank by count, {ct.previous.label}", _txt(r0["Previous rank"], "{:,}")),
            (f"Rank movement ({name})", rank_move_words(r0["Rank move"])),
        ]
    return pd.DataFrame(rows, columns=["What", "Value"])


def rank_move_words(move: object) -> str:
    """Return a movement in rank in words (positive = up the table).

    Examples
    --------
    >>> rank_move_words(0), rank_move_words(3), rank_move_words(-1), rank_move_words(None)
    ('no change', 'up 3 places', 'down 1 place', 'no data')
    """
    v = pd.to_numeric(pd.Series([move], dtype=object), errors="coerce").iloc[0]
    if pd.isna(v):
        return "no data"
    n = int(v)
    if n == 0:
        return "no change"
    return f"{'up' if n > 0 else 'down'} {abs(n):,} place{'s' if abs(n) != 1 else ''}"


def imd_reference_note(imd: pd.DataFrame) -> str:
    """Return the ``Reference`` column of :attr:`WardProfile.imd` as one sentence.

    Indicators sharing a reference are named together, e.g. ``"IMD rank and
    IMD decile: London's 2025 wards."``, so the table itself can stay narrow.

    Parameters
    ----------
    imd
        ``Indicator`` / ``Value`` / ``Reference`` rows.

    Returns
    -------
    str
        Empty when there is no reference.
    """
    parts = []
    refs = imd["Reference"].astype(str)
    for ref in dict.fromkeys(r for r in refs if r.strip()):
        names = [str(x).split(" (")[0] for x in imd.loc[refs == ref, "Indicator"]]
        what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(f"{what}: {ref}.")
    return " ".join(parts)


def _ward_status(row: pd.Series, sensitive: bool) -> pd.DataFrame:
    """One row per local statistic of the registry (those of another variable when run)."""
    def stat(v: object) -> str:
        return HIDDEN_STAT if sensitive and v is not None and not pd.isna(v) else _txt(
            v, "{:+.3f}")

    rows = []
    for s in registry.local_statistics():
        if s.needs and s.col("class") not in row:
            continue
        rows.append((s.words.profile, str(row.get(s.col("class"), NO_DATA)),
                     f"{s.symbol} = " + stat(row.get(s.col("statistic"))),
                     format_p(row.get(s.col("p"))), format_p(row.get(s.col("q")))))
        rows += [(c.profile, str(row.get(c.name, NO_DATA)), "", "", "")
                 for c in s.columns if c.profile]
    rows.append(("Neighbours used", _txt(row.get("n_neighbours"), "{:,.0f}"),
                 str(row.get("weights_fallback") or ""), "", ""))
    return pd.DataFrame(rows, columns=["Statistic", "Result", "Statistic value", "p", "q"])


def _ward_imd(pack: Pack, row: pd.Series, n: int) -> pd.DataFrame:
    ref = pack.meta.imd_reference or "the wards of this layer"
    w = wording.words(pack.meta)  # the pack's index and nation (IMD 2019, England: the demo)
    imd = "IMD" if w.index == wording.DEFAULT_INDEX_LABEL else w.index
    rows = [
        (f"{w.index} average score (higher = more deprived)",
         _txt(row.get("imd_score"), "{:.1f}"), "population-weighted mean of the ward's LSOAs"),
        (f"{imd} rank (1 = most deprived)", _txt(row.get("imd_rank"), "{:,.0f}") + f" of {n:,}",
         ref),
        (f"{imd} decile (1 = most deprived 10%)", _txt(row.get("imd_decile"), "{:.0f}"), ref),
        (f"Residents in {w.nation}'s most deprived 20% of LSOAs",
         _txt(row.get("imd_share_20pct"), "{:.0%}"), f"national deciles ({w.nation})"),
    ]
    frame = pack.imd[pack.imd["area_code"] == row["area_code"]]
    rows += _ward_change(frame, pack.meta.deprivation or {})
    measures = dict((pack.meta.deprivation or {}).get("measures") or _DOMAIN_LABELS)
    domain_ref = "IoD 2019 domain" if imd == "IMD" else f"{w.index} domain"
    for key, label in measures.items():
        col = f"imd_{key}_score"
        if key != "imd" and col in frame.columns and len(frame):
            rows.append((f"{label} domain score", _txt(frame[col].iloc[0], "{:.3g}"),
                         domain_ref))
    return pd.DataFrame(rows, columns=["Indicator", "Value", "Reference"])


def _ward_change(frame: pd.DataFrame, dep: Any) -> list[tuple[str, str, str]]:
    """Rows of the ward's change from IoD 2019 to IoD 2025 (rank of average rank), if any."""
    cols = ("imd2019_avgrank_rank", "imd2025_avgrank_rank", "imd2019_avgrank_decile",
            "imd2025_avgrank_decile")
    if not len(frame) or any(c not in frame for c in cols) or frame[cols[0]].isna().all():
        return []
    r = frame.iloc[0]
    n = int((dep.get("change") or {}).get("n_wards", 0))
    ref = ("MHCLG: ranks and deciles, not scores, compare between editions; a change is "
           "relative to the other wards (rank of average LSOA rank, both editions)")
    move = int(r["imd2025_avgrank_rank"]) - int(r["imd2019_avgrank_rank"])
    words = ("no change" if move == 0 else f"{move:+,}: " + (
        "more deprived" if move < 0 else "less deprived") + " relative to other wards")
    dec = int(r["imd2025_avgrank_decile"]) - int(r["imd2019_avgrank_decile"])
    return [
        ("Rank change, IoD 2019 to IoD 2025 (1 = most deprived)",
         f"{int(r['imd2019_avgrank_rank']):,} to {int(r['imd2025_avgrank_rank']):,}"
         + (f" of {n:,}" if n else "") + f" ({words})", ref),
        ("Decile change, IoD 2019 to IoD 2025",
         f"{int(r['imd2019_avgrank_decile'])} to {int(r['imd2025_avgrank_decile'])} "
         f"({dec:+d})", ref),
    ]


def _neighbours(pack: Pack, a: analysis_mod.Analysis, code: str,
                value_label: str) -> pd.DataFrame:
    s = a.params.get("statistics", {})
    kind = str(s.get("weights", "queen"))
    opts: dict[str, Any] = {"k": int(s.get("k", 6))} if kind == "knn" else {}
    if kind == "distance":
        opts["threshold"] = s.get("threshold")
    sw = build_weights(pack.areas, kind=kind, **opts)  # type: ignore[arg-type]
    i = sw.ids.get_loc(code)
    adj = sw.adjacency
    codes = [sw.ids[j] for j in adj.indices[adj.indptr[i]:adj.indptr[i + 1]]]
    info = pack.areas.set_index("area_code").loc[codes, ["area_name", "borough_name"]]
    t = a.table.set_index("area_code")
    inside = [c in t.index for c in codes]
    auth = wording.authority_word(pack.meta, capital=True)
    out = pd.DataFrame({
        "Ward": info["area_name"].astype(str).to_numpy(),
        auth: info["borough_name"].astype(str).to_numpy(),
        value_label: [str(t.at[c, "value_display"]) if ok else "outside the selection"
                      for c, ok in zip(codes, inside, strict=True)],
        **{s.words.class_title: [str(t.at[c, s.col("class")]) if ok else ""
                                 for c, ok in zip(codes, inside, strict=True)]
           for s in registry.local_statistics(univariate=True)},
    })
    return out.sort_values([auth, "Ward"], kind="stable").reset_index(drop=True)


def ward_profile(
    pack: Pack,
    a: analysis_mod.Analysis,
    area_code: str,
    *,
    year_start: YearStartKey | YearStart | None = None,
    value_label: str = "Value",
) -> WardProfile:
    """Return one ward's profile for the drill-down.

    Parameters
    ----------
    pack
        The pack the analysis was run on.
    a
        The analysis.
    area_code
        The ward (a code of ``a.table``).
    year_start
        Year convention of the trend (default: the analysis').
    value_label
        Heading of the value, e.g. ``"Crimes"``.

    Returns
    -------
    WardProfile
        For referrals the trend is the ward's borough (ward-level monthly
        counts are almost all below the threshold) and says so.

    Raises
    ------
    KeyError
        The code is not in the analysis table.
    """
    t = a.table
    match = t[t["area_code"] == area_code]
    if match.empty:
        raise KeyError(f"{area_code!r} is not a ward of this analysis; pick one of "
                       "ward_choices(analysis.table).")
    row = match.iloc[0]
    ys = year_start or a.params.get("statistics", {}).get("year_start", "financial")
    label = f"{row['area_name']}, {row['borough_name']}"
    sel = a.ward.selection
    notes: list[str] = []
    if a.ward.is_sensitive:
        borough = row["borough_name"]
        codes = t.loc[t["borough_name"] == borough, "area_code"]
        word = wording.authority_word(pack.meta)
        level = f"{borough} (the ward's {word})"
        notes.append("Monthly referrals are not shown for a single ward: most months would be "
                     f"below {sel.suppress_below}. The chart shows the ward's {word}.")
    else:
        codes = pd.Series([area_code])
        level = f"{label} (this ward)"
    trend = monthly_long(pack, sel, year_start=ys, area_codes=codes)
    n_imd = int(pd.to_numeric(pack.imd.get("imd_score", pd.Series(dtype=float)),
                              errors="coerce").notna().sum())
    return WardProfile(
        area_code=area_code, label=label,
        facts=_ward_facts(a, row, value_label),
        status=_ward_status(row, a.ward.is_sensitive),
        imd=_ward_imd(pack, row, n_imd),
        neighbours=_neighbours(pack, a, area_code, value_label),
        trend=trend, trend_level=level, notes=tuple(notes),
    )
