"""The key findings of a board pack, each written from one row of a displayed table.

Each :class:`Finding` quotes numbers read from a row of one of the tables of
:mod:`hotspots.report.tables` *as displayed* (suppressed cells already
hidden), so a sentence can never show a number the table hides; the finding
names its table, row and columns. The global statistic the registry marks
for a finding (:attr:`hotspots.stats.statistic.Statistic.finding`) gives one.
The sentences say what a ward's value is (a count, a rate per 1,000 residents or
a smoothed rate), as the page's selection does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hotspots import pipeline
from hotspots.pipeline import analysis as analysis_mod
from hotspots.pipeline.wording import LONDON_WORDS, Words
from hotspots.report.tables import SECONDARY_TEXT, Table, _num_text, value_column
from hotspots.stats import registry as registry
from hotspots.stats import trends as trends

__all__ = ["Finding", "finding_numbers", "key_findings"]


@dataclass(frozen=True)
class Finding:
    """One key finding and where its numbers come from.

    Attributes
    ----------
    text
        The sentence printed on the findings page.
    table
        :attr:`Table.name` of the table the numbers are read from.
    row_key
        Value of that table's key column on the row used.
    value_cols
        Columns of that row whose (displayed) values the sentence quotes.
    """

    text: str
    table: str
    row_key: str
    value_cols: tuple[str, ...]


# --------------------------------------------------------------------------- findings


def _is_shown(table: Table, key: object, cols: Sequence[str]) -> bool:
    i = table.frame.index[table.frame[table.key].astype(str) == str(key)]
    if len(i) != 1:
        return False
    r = table.frame.loc[i[0]]
    return not bool(table.mask.loc[i[0], list(cols)].any()) and all(
        not isinstance(r[c], str) or r[c] not in ("", SECONDARY_TEXT) for c in cols)


def _change_finding(label: str, word: str, b: Table, ct: trends.ChangeTable,
                    comparison: str) -> Finding | None:
    if not _is_shown(b, "Total", ["Count", "Previous", "Change", "Change %"]):
        return None
    r = b.row("Total")
    now, prev, ch, pct = r["Count"], r["Previous"], r["Change"], r["Change %"]
    if ch == 0:
        move = "unchanged"
    elif pct == "":
        move = f"{'up' if ch > 0 else 'down'} {_num_text(abs(ch))}"
    else:
        move = (f"{'up' if ch > 0 else 'down'} {_num_text(abs(float(pct)), 1)}% "
                f"({_num_text(ch, signed=True)})")
    text = (f"{label}: {_num_text(now)} {word} in {ct.current.dates}, {move} on "
            f"{comparison} ({_num_text(prev)} in {ct.previous.dates}).")
    return Finding(text, b.name, "Total", ("Count", "Previous", "Change %", "Change"))


def _rise_finding(word: str, b: Table, words: Words) -> Finding | None:
    k = b.key  # the authority column ("Borough" or "Local authority")
    f = b.frame[b.frame[k] != "Total"]
    shown = [i for i in f.index if _is_shown(b, f.at[i, k], ["Change", "Change %"])
             and isinstance(f.at[i, "Change"], int | np.integer) and f.at[i, "Change"] > 0]
    if not shown:
        return None
    best = max(shown, key=lambda i: (int(f.at[i, "Change"]), str(f.at[i, k])))
    r = f.loc[best]
    pct = r["Change %"]
    pct_text = f" ({_num_text(float(pct), 1, signed=True)}%)" if pct != "" else " (new)"
    text = (f"Largest rise by {words.authority_lower}: {r[k]}, "
            f"{_num_text(r['Change'], signed=True)} {word}{pct_text}; the table shows every "
            f"{words.authority_lower}'s absolute and % change.")
    return Finding(text, b.name, str(r[k]), ("Change", "Change %"))


def _value_words(a: analysis_mod.Analysis) -> str:
    """Return what a ward's value is, inside a sentence ("" for counts)."""
    rate = a.ward.selection.rate
    return "" if rate == "count" else pipeline.RATE_WORDS[rate]


def _top_finding(a: analysis_mod.Analysis, word: str, top: Table,
                 words: Words) -> Finding | None:
    if not len(top.frame):
        return None
    r = top.frame.iloc[0]
    col = value_column(a)
    if not _is_shown(top, r["Ward code"], [col]):
        return None
    rate = a.ward.selection.rate
    value = (f"{_num_text(r[col])} {word}" if rate == "count" else
             f"{_num_text(r[col], 1)} {word} per 1,000 residents"
             + (f" (smoothed, {pipeline.EB_METHOD_WORDS})" if rate == "eb_per_1000" else ""))
    text = (f"Highest ward: {r['Ward']} ({r[words.authority]}) with {value}, "
            f"rank {_num_text(r['Rank'])} of the wards shown.")
    return Finding(text, top.name, str(r["Ward code"]), (col, "Rank"))


def _hotspot_findings(a: analysis_mod.Analysis, hs: Table, word: str) -> list[Finding]:
    h = a.params.get("hotspots", {})
    corr = {"fdr": "Benjamini-Hochberg false discovery rate control",
            "bonferroni": "Bonferroni correction", "none": "no multiple-testing correction"
            }.get(str(h.get("correction", "")), str(h.get("correction_text", "")))
    perms = int(h.get("permutations", 0))
    gi = registry.get("gi_star")
    hot_row = f"{gi.short} hot spots (all levels)"
    hot = hs.row(hot_row)["Wards"]
    cold = hs.row(f"{gi.short} cold spots (all levels)")["Wards"]
    tested = hs.row("Wards tested")["Wards"]
    on = f" on the {_value_words(a)}" if _value_words(a) else ""
    out = [Finding(
        f"{gi.name}{on}: {hot} {'ward is a hot spot' if hot == 1 else 'wards are hot spots'} "
        f"and {cold} {'is a cold spot' if cold == 1 else 'are cold spots'} at 90% "
        f"confidence or more, of {tested} wards tested, after {corr} "
        f"({perms:,} permutations).",
        hs.name, hot_row, ("Wards",))]
    for s in registry.global_statistics():
        if not s.finding:
            continue
        name = f"Global {s.name}"
        m = hs.row(name)
        if m["Pseudo p"] == "":
            continue
        p = float(m["Pseudo p"])
        alpha = float(h.get("alpha", 0.05))
        verdict = ("wards with many " + word + " tend to neighbour each other"
                   if p <= alpha else "no clear clustering across the whole map")
        value = "" if isinstance(m["Value"], str) else f"{s.symbol} = {m['Value']:.3f}, "
        out.append(Finding(
            f"{name}{on} ({value}pseudo p = {p:.4f}, {perms:,} permutations): "
            f"{verdict}.", hs.name, name, ("Pseudo p",) if not value
            else ("Value", "Pseudo p")))
    return out


def _association_findings(label: str, word: str, tables: dict[str, Table],
                          slug: str, words: Words) -> list[Finding]:
    out: list[Finding] = []
    sp = tables.get(f"{slug}_spearman")
    if sp is not None and (sp.frame["Area"] == "All areas").any():
        r = sp.row("All areas")
        if r["rho"] != "":
            out.append(Finding(
                f"{label} and deprivation: Spearman's rho = {r['rho']:.2f} (95% CI "
                f"{r['CI low']:.2f} to {r['CI high']:.2f}, n = {r['n']} wards), "
                f"{r['Wording']}.", sp.name, "All areas", ("rho", "CI low", "CI high", "n")))
    dp = tables.get(f"{slug}_deprivation")
    if dp is not None:
        r = dp.row("share")
        out.append(Finding(
            f"{r['Share (%)']}% of wards with {r['Wards with at least']} or more {word} "
            f"({r['In most deprived']} of {r['Qualifying wards']}) are in the "
            f"{r['Most deprived fraction (%)']}% most deprived wards of this map by "
            f"{words.index} score (a quantile of these wards, not {words.nation}'s national "
            "deciles).",
            dp.name, "share", ("Share (%)", "Wards with at least", "In most deprived",
                               "Qualifying wards", "Most deprived fraction (%)")))
    return out


def key_findings(a: analysis_mod.Analysis, tables: dict[str, Table], slug: str,
                 ct: trends.ChangeTable | None, comparison: str,
                 words: Words = LONDON_WORDS) -> list[Finding]:
    """Return the key findings of one measure, each from a row of its displayed tables.

    ``words``: the pack's authority word and index (:func:`hotspots.pipeline.wording.words`).
    """
    label = a.ward.label.split(",")[0]
    word = pipeline.value_word(a.ward.selection.measure)
    word = word if word.startswith("ASB") else word.lower()
    b = tables[f"{slug}_boroughs"]
    out: list[Finding | None] = []
    if ct is not None:
        out.append(_change_finding(label, word, b, ct, comparison))
        out.append(_rise_finding(word, b, words))
    out.append(_top_finding(a, word, tables[f"{slug}_top_wards"], words))
    what = f" ({_value_words(a)})" if _value_words(a) else ""
    out += _association_findings(label + what, word, tables, slug, words)
    out += _hotspot_findings(a, tables[f"{slug}_hotspots"], word)
    return [f for f in out if f is not None]


def finding_numbers(text: str) -> list[float]:
    """Return the numbers written in a sentence (``"1,234"``, ``"-12.5%"``, ``"0.56"``).

    Examples
    --------
    >>> finding_numbers("Up 12.5% (+310) to 2,890, rho = -0.04")
    [12.5, 310.0, 2890.0, -0.04]
    """
    found = re.findall(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?", text)
    return [float(x.replace(",", "").replace("−", "-")) for x in found]
