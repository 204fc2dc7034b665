"""Indices of Deprivation 2019 (LSOA level) and their roll-up to an area layer.

Readers accept the MHCLG layout (File 1 / 2 / 6 CSVs, ranks and deciles only) and the
GLA "ID 2019 for London" layout (CSV export or the workbook's ``IMD 2019`` sheet, with
scores). :func:`rollup_imd` turns LSOA values into one row per area of a layer, using
an assignment from :func:`boundaries.lookups.read_lsoa_ward_lookup` or
:func:`boundaries.lookups.assign_best_fit`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from boundaries.lookups import read_text_table
from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots._validate import Report

__all__ = ["DOMAINS", "read_imd", "read_imd_population", "rollup_imd"]

_LSOA = r"lsoa code( \(2011\))?|geography code|lsoa11cd|lsoa_code"
_IMD = r"index of multiple deprivation \(imd\)"
_IMD_PATTERNS = {
    "lsoa_code": _LSOA,
    "imd_score": rf"{_IMD} score|imd score|imd_score",
    "imd_rank": rf"{_IMD} rank( \(where 1 is most deprived\))?|imd rank|imd_rank",
    "imd_decile": rf"{_IMD} decile( \(where 1 is most deprived 10% of lsoas\))?"
                  r"|imd decile|imd_decile",
    "population": r"total population: mid 2015 \(excluding prisoners\)",
}

DOMAINS: dict[str, str] = {
    "income": r"income score( \(rate\))?",
    "employment": r"employment score( \(rate\))?",
    "education": r"education,? skills and training score",
    "health": r"health deprivation and disability score",
    "crime": r"crime score",
    "barriers": r"barriers to housing and services score",
    "living_environment": r"living environment score",
}
"""IoD 2019 domains: output name ``imd_<key>_score`` -> header pattern (case-insensitive)."""

_POPULATION_PATTERNS = {
    "lsoa_code": _LSOA + r"|lsoa21cd|lsoa code \(2021\)",
    "population": r"total population: mid 20\d\d \(excluding prisoners\)|persons_all-ages"
                  r"|all ages|age: total|population",
}

_ENGLAND_LSOAS_2011 = 32_844


# --------------------------------------------------------------------------- reading


def read_imd(path: str | Path) -> tuple[pd.DataFrame, Report]:
    """Read LSOA-level English Indices of Deprivation 2019.

    Parameters
    ----------
    path
        One of: MHCLG File 1 (IMD rank and decile), File 2 (domains: ranks and
        deciles) or another MHCLG file with the IMD columns, as CSV (``.gz`` fine,
        UTF-8 with or without BOM, or cp1252); the GLA ``id2019_london_lsoa_imd.csv``
        (header ``geography code``, with scores); or the GLA workbook
        ``ID 2019 for London.xlsx`` (sheet ``IMD 2019`` is found by its headers).
        Thousands separators (``"29,199"``) and trailing spaces in headers are fine.

    Returns
    -------
    imd : pandas.DataFrame
        One row per LSOA: ``lsoa_code`` (str), ``imd_score`` (float; NaN when the file
        has no scores), ``imd_rank`` (Int64, national, 1 = most deprived),
        ``imd_decile`` (Int64, national, 1 = most deprived 10 %), then
        ``imd_<domain>_score`` for each domain score present (see :data:`DOMAINS`) and
        ``population`` (float) when the file has it.
    report : hotspots._validate.Report
        Encoding fallback, missing scores, blank codes (dropped), identical repeated
        rows (dropped), unreadable numbers (set missing), out-of-range deciles.

    Raises
    ------
    InputDataError
        An LSOA appears twice with different values (ranks, scores ...): the
        message names the LSOA, its rows and the values.
    EmptyInputError
        No data rows.
    ColumnMappingError
        No LSOA code column, or neither an IMD score nor an IMD rank column (e.g. a
        population file: use :func:`read_imd_population`).
    """
    label = Path(path).name
    report = Report()
    raw = _read_any(path, report, _IMD_PATTERNS, need=("lsoa_code", "imd_rank|imd_score"))
    cols = _match(raw.columns, _IMD_PATTERNS)
    domains = _match(raw.columns, {f"imd_{k}_score": p for k, p in DOMAINS.items()})
    if "imd_rank" not in cols and "imd_score" not in cols:
        raise ColumnMappingError(
            f"{label}: no 'Index of Multiple Deprivation (IMD) Rank' or 'Score' column. Columns: "
            f"{', '.join(raw.columns)}. For population denominators use read_imd_population."
        )
    out = pd.DataFrame({"lsoa_code": raw[cols["lsoa_code"]].str.strip()})
    for std in ("imd_score", "imd_rank", "imd_decile", *domains, "population"):
        source = cols.get(std) or domains.get(std)
        if source is not None:
            out[std] = _to_number(raw[source], label, source, report)
        elif std in ("imd_score", "imd_rank", "imd_decile"):
            out[std] = np.nan
    if "imd_score" not in cols:
        report.add("info", label, "the file has IMD ranks and deciles but no scores (MHCLG "
                   "Files 1, 2 and 6 carry none): imd_score is missing",
                   "For scores use MHCLG File 5 (scores) or the GLA 'ID 2019 for London' file.")
    _check_deciles(out, label, report)
    out = out.astype({"imd_rank": "Int64", "imd_decile": "Int64"})
    return _clean_codes(out, label, cols["lsoa_code"], report), report


def read_imd_population(path: str | Path, *, report: Report | None = None) -> pd.DataFrame:
    """Read LSOA population denominators (MHCLG File 6, the GLA population sheet, ...).

    Parameters
    ----------
    path
        MHCLG ``File_6_-_IoD2019_Population_Denominators.csv(.gz)`` (``Total
        population: mid 2015 (excluding prisoners)``, thousands separators), the GLA
        ``id2019_london_lsoa_population.csv`` or the workbook's ``Population figures``
        sheet; also ONS-style files with ``Persons_All-Ages`` / ``Age: Total``.
    report
        When given, problems are appended to it: encoding fallback, blank / duplicate
        codes (dropped / first kept), unreadable or negative numbers (set missing).

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code`` (str), ``population`` (float), one row per LSOA.

    Raises
    ------
    EmptyInputError
        No data rows.
    ColumnMappingError
        No LSOA code or population column.
    """
    label = Path(path).name
    report = report if report is not None else Report()
    raw = _read_any(path, report, _POPULATION_PATTERNS, need=("lsoa_code", "population"))
    cols = _match(raw.columns, _POPULATION_PATTERNS)
    if "population" not in cols:
        raise ColumnMappingError(f"{label}: no population column (e.g. 'Total population: mid "
                                 "2015 (excluding prisoners)'). Columns: "
                                 f"{', '.join(raw.columns)}.")
    out = pd.DataFrame({"lsoa_code": raw[cols["lsoa_code"]].str.strip(),
                        "population": _to_number(raw[cols["population"]], label,
                                                 cols["population"], report)})
    negative = np.flatnonzero((out["population"] < 0).to_numpy())
    for i in negative:
        report.add("error", label, "negative population (set missing)", "Check the file.",
                   row=int(i) + 2, column=cols["population"])
    out.loc[out.index[negative], "population"] = np.nan
    return _clean_codes(out, label, cols["lsoa_code"], report)


def _norm(header: str) -> str:
    """Return a header lower-cased with runs of spaces collapsed and ends stripped."""
    return re.sub(r"\s+", " ", str(header)).strip().lower()


def _match(columns: Iterable[str], patterns: dict[str, str]) -> dict[str, str]:
    """Return ``{standard: column}`` for the first column fully matching each pattern."""
    cols = list(columns)
    found: dict[str, str] = {}
    for std, pattern in patterns.items():
        hit = next((c for c in cols if re.fullmatch(pattern, _norm(c))), None)
        if hit is not None:
            found[std] = hit
    return found


def _has(columns: Iterable[str], patterns: dict[str, str], need: tuple[str, ...]) -> bool:
    """Return whether ``columns`` match every entry of ``need`` (``a|b``: either one)."""
    found = _match(columns, patterns)
    return all(any(k in found for k in item.split("|")) for item in need)


def _read_any(
    path: str | Path, report: Report, patterns: dict[str, str], *, need: tuple[str, ...],
) -> pd.DataFrame:
    """Read a CSV or the first matching sheet of a workbook, all cells as text."""
    label = Path(path).name
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        frame = _read_workbook(path, patterns, need=need)
    else:
        frame = read_text_table(path, report, label=label)
    frame.columns = [str(c).strip() for c in frame.columns]
    if "lsoa_code" not in _match(frame.columns, patterns):
        raise ColumnMappingError(f"{label}: no LSOA code column ('LSOA code (2011)', "
                                 f"'geography code' or 'LSOA11CD'). Columns: "
                                 f"{', '.join(frame.columns)}.")
    if len(frame) == 0:
        raise EmptyInputError(f"{label} has no data rows.")
    return frame


def _read_workbook(path: str | Path, patterns: dict[str, str], *, need: tuple[str, ...]
                   ) -> pd.DataFrame:
    """Read the first sheet whose header row matches ``need``."""
    label = Path(path).name
    sheets = pd.read_excel(path, sheet_name=None, nrows=0)
    for name, head in sheets.items():
        if _has(head.columns, patterns, need):
            frame = pd.read_excel(path, sheet_name=name)
            return frame.dropna(how="all")
    raise ColumnMappingError(f"{label}: no sheet has the expected columns ({', '.join(need)}). "
                             f"Sheets: {', '.join(map(str, sheets))}.")


def _to_number(values: pd.Series, label: str, column: str, report: Report) -> pd.Series:
    """Return numbers (float); strip thousands separators; report unreadable cells."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("str").str.strip().str.replace(r"[,\u00a0 ]", "", regex=True)
    text = text.where(values.notna() & (text != ""))
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = np.flatnonzero((numbers.isna() & text.notna()).to_numpy())
    if len(bad):
        report.add("warning", label, f"{len(bad)} values are not numbers (set missing), e.g. "
                   f"{values.iat[bad[0]]!r}", "Fix the cells or remove the notes.",
                   row=int(bad[0]) + 2, column=column, count=len(bad))
    return numbers


def _check_deciles(out: pd.DataFrame, label: str, report: Report) -> None:
    """Set deciles outside 1-10 and ranks below 1 missing, with a report line."""
    checks = (("imd_decile", out["imd_decile"].between(1, 10)), ("imd_rank", out["imd_rank"] >= 1))
    for column, ok in checks:
        bad = out[column].notna() & ~ok
        if bad.any():
            report.add("warning", label, f"{int(bad.sum())} {column} values out of range "
                       "(set missing)", "Deciles are 1-10 and ranks start at 1.",
                       row=int(np.flatnonzero(bad.to_numpy())[0]) + 2, count=int(bad.sum()))
            out.loc[bad, column] = np.nan


def _refuse_conflicts(out: pd.DataFrame, label: str) -> None:
    """Refuse an LSOA listed twice with different values (which one is right is unknown)."""
    values = out.drop(columns="lsoa_code")
    same = out.assign(_key=pd.util.hash_pandas_object(values, index=False).to_numpy())
    per = same.groupby("lsoa_code")["_key"].nunique()
    bad = per[per > 1]
    if bad.empty:
        return
    code = str(bad.index[0])
    rows = same.index[same["lsoa_code"] == code]
    differ = [c for c in values.columns if values.loc[rows, c].astype(str).nunique() > 1]
    shown = "; ".join(f"{c} " + " / ".join(_num(v) for v in values.loc[rows, c])
                      for c in differ[:3])
    raise InputDataError(
        f"{label}: LSOA {code} appears {len(rows)} times with different values (rows "
        f"{', '.join(str(int(i) + 2) for i in rows)}: {shown}); {len(bad)} LSOA(s) in all. "
        "A deprivation file must list each LSOA once: use the file as published (MHCLG or "
        "GLA), or remove the wrong rows.")


def _num(v: object) -> str:
    return "blank" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v))


def _clean_codes(out: pd.DataFrame, label: str, column: str, report: Report) -> pd.DataFrame:
    """Drop rows with blank LSOA codes and identical repeats; refuse conflicting repeats.

    Raises
    ------
    InputDataError
        An LSOA appears twice with different values.
    """
    blank = out["lsoa_code"].isna() | (out["lsoa_code"] == "")
    for i in np.flatnonzero(blank.to_numpy()):
        report.add("error", label, "blank LSOA code (row dropped)", "Fill it in.",
                   row=int(i) + 2, column=column)
    _refuse_conflicts(out[~blank], label)
    dup = ~blank & out["lsoa_code"].duplicated()
    for i in np.flatnonzero(dup.to_numpy()):
        report.add("info", label, f"LSOA {out['lsoa_code'].iat[i]} repeated with the same "
                   "values (the copy is dropped)", "Nothing to do.", row=int(i) + 2,
                   column=column)
    odd = ~blank & ~out["lsoa_code"].str.fullmatch(r"[EW]0[12]\d{6}", na=False)
    if odd.any():
        report.add("warning", label, f"codes that do not look like LSOA codes, e.g. "
                   f"{out['lsoa_code'][odd].iat[0]!r}", "LSOA codes look like E01000001.",
                   row=int(np.flatnonzero(odd.to_numpy())[0]) + 2, column=column,
                   count=int(odd.sum()))
    kept = out[~blank & ~dup].reset_index(drop=True)
    return kept.astype({"lsoa_code": "str"})


# --------------------------------------------------------------------------- roll-up


def rollup_imd(
    imd: pd.DataFrame,
    assignment: pd.DataFrame,
    *,
    population: pd.DataFrame | pd.Series,
    areas: Iterable[str] | pd.DataFrame | None = None,
    report: Report | None = None,
) -> pd.DataFrame:
    """Summarise LSOA deprivation for each area of a layer.

    Parameters
    ----------
    imd
        From :func:`read_imd`: ``lsoa_code``, ``imd_score``, ``imd_rank``,
        ``imd_decile``.
    assignment
        LSOA → area: ``lsoa_code`` (or ``small_code``) and ``area_code``, e.g. from
        :func:`boundaries.lookups.read_lsoa_ward_lookup` or
        :func:`boundaries.lookups.assign_best_fit`. Each LSOA at most once.
    population
        LSOA weights: a frame with ``lsoa_code`` and ``population`` (from
        :func:`read_imd_population`) or a Series indexed by LSOA code. Use the IoD's
        own mid-2015 denominators to reproduce published ward figures.
    areas
        The layer's area codes (an iterable, or a frame with ``area_code``). When
        given, the output has exactly one row per area in this order, areas without
        any LSOA included (``n_lsoa`` 0, IMD values missing) and assignments to other
        codes dropped with a warning. Otherwise one row per assigned area, sorted.
    report
        When given, problems are appended to it: LSOAs without a score, rank or
        population, areas without LSOAs, assignments to unknown areas.

    Returns
    -------
    pandas.DataFrame
        ``area_code``;
        ``imd_score``: population-weighted mean LSOA IMD score (higher = more
        deprived), over LSOAs with a score and a population;
        ``imd_rank``: rank of ``imd_score`` among this layer's areas, 1 = most deprived,
        ties share the lowest rank (competition ranking, ``method="min"``);
        ``imd_decile``: decile of this layer's areas (not England's),
        ``ceil(10 * imd_rank / n)`` with ``n`` the areas ranked, 1 = most deprived
        10 % of the layer's areas;
        ``imd_share_10pct`` / ``imd_share_20pct``: share of the area's population
        living in LSOAs in England's most deprived 10 % / 20 % (national deciles 1 /
        1-2, England reference);
        ``imd_average_rank``: population-weighted mean national LSOA rank;
        ``imd_population``: population of the assigned LSOAs; ``n_lsoa``: assigned
        LSOAs; ``imd_coverage``: share of that population whose LSOA has an IMD score
        (a rank when the file has no scores).

    Raises
    ------
    ColumnMappingError
        A required column is missing.
    InputDataError
        An LSOA appears twice in ``assignment`` or ``population``.

    Notes
    -----
    When ``imd`` has no scores (MHCLG Files 1 / 2), ``imd_score`` is missing and
    ``imd_rank`` / ``imd_decile`` rank the areas by ``imd_average_rank`` instead
    (lower = more deprived); the report says so.

    Examples
    --------
    >>> imd = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "imd_score": [10.0, 40.0, 20.0],
    ...                     "imd_rank": [300, 10, 200], "imd_decile": [3, 1, 2]})
    >>> pop = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "population": [300, 100, 500]})
    >>> out = rollup_imd(imd, pd.DataFrame({"lsoa_code": ["a", "b", "c"],
    ...                                     "area_code": ["X", "X", "Y"]}), population=pop)
    >>> out[["area_code", "imd_score", "imd_rank", "imd_share_10pct"]].to_dict("list")
    {'area_code': ['X', 'Y'], 'imd_score': [17.5, 20.0], 'imd_rank': [2, 1], 'imd_share_10pct': [0.25, 0.0]}
    """  # noqa: E501
    report = report if report is not None else Report()
    lsoas = _lsoa_table(imd, assignment, population, report)
    summary = _summarise(lsoas)
    summary = _restrict_to_areas(summary, areas, report)
    has_scores = bool(imd["imd_score"].notna().any()) if "imd_score" in imd else False
    key, ascending = ("imd_score", False) if has_scores else ("imd_average_rank", True)
    if not has_scores:
        report.add("info", "rollup_imd", "no IMD scores: areas ranked by population-weighted "
                   "mean national rank instead", "Use a file with scores for imd_score.")
    rank = summary[key].rank(ascending=ascending, method="min")
    summary["imd_rank"] = rank.astype("Int64")
    ranked = int(rank.notna().sum())
    share = rank.to_numpy(dtype="float64") * 10 / max(ranked, 1)
    summary["imd_decile"] = pd.Series(np.ceil(share - 1e-9), index=summary.index).astype("Int64")
    columns = ["area_code", "imd_score", "imd_rank", "imd_decile", "imd_share_10pct",
               "imd_share_20pct", "imd_average_rank", "imd_population", "n_lsoa", "imd_coverage"]
    return summary[columns].reset_index(drop=True)


def _lsoa_table(
    imd: pd.DataFrame, assignment: pd.DataFrame, population: pd.DataFrame | pd.Series,
    report: Report,
) -> pd.DataFrame:
    """Return one row per assigned LSOA with area, score, rank, decile and population."""
    code = "lsoa_code" if "lsoa_code" in assignment else "small_code"
    if code not in assignment or "area_code" not in assignment:
        raise ColumnMappingError("rollup_imd: assignment needs 'lsoa_code' (or 'small_code') and "
                                 f"'area_code'; it has {', '.join(map(str, assignment.columns))}.")
    if "lsoa_code" not in imd:
        raise ColumnMappingError("rollup_imd: imd needs 'lsoa_code' (use read_imd).")
    link = pd.DataFrame({"lsoa_code": assignment[code].astype("str"),
                         "area_code": assignment["area_code"].astype("str")})
    pop = _population_table(population)
    for name, frame in (("assignment", link), ("population", pop)):
        twice = frame["lsoa_code"][frame["lsoa_code"].duplicated()]
        if len(twice):
            raise InputDataError(f"rollup_imd: {len(twice)} LSOAs appear more than once in "
                                 f"{name} (e.g. {twice.iat[0]}). Each LSOA must appear once.")
    values = imd.reindex(columns=["lsoa_code", "imd_score", "imd_rank", "imd_decile"])
    values = values.drop_duplicates("lsoa_code").astype({"lsoa_code": "str"})
    table = link.merge(values, on="lsoa_code", how="left").merge(pop, on="lsoa_code", how="left")
    _report_missing(table, imd, report)
    return table


def _population_table(population: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Return ``lsoa_code``, ``population`` from a frame or a Series indexed by code."""
    if isinstance(population, pd.Series):
        frame = pd.DataFrame({"lsoa_code": population.index.astype("str"),
                              "population": population.to_numpy(dtype="float64")})
    elif {"lsoa_code", "population"} <= set(population.columns):
        frame = population[["lsoa_code", "population"]]
    else:
        raise ColumnMappingError("rollup_imd: population needs 'lsoa_code' and 'population' "
                                 "columns (use read_imd_population) or be a Series by LSOA code.")
    return frame.astype({"lsoa_code": "str", "population": "float64"})


def _report_missing(table: pd.DataFrame, imd: pd.DataFrame, report: Report) -> None:
    """Report assigned LSOAs lacking a score, rank or population."""
    has_scores = "imd_score" in imd and bool(imd["imd_score"].notna().any())
    checks = {"population": "no population", "imd_rank": "no IMD rank or decile"}
    if has_scores:
        checks["imd_score"] = "no IMD score"
    for column, what in checks.items():
        lacking = table.loc[table[column].isna(), "lsoa_code"]
        if len(lacking):
            report.add("warning", "rollup_imd",
                       f"{len(lacking)} assigned LSOAs have {what} (e.g. "
                       f"{', '.join(lacking.head(5))}); left out of the weighted figures",
                       "Check that the IMD, population and lookup use 2011 LSOAs.",
                       count=len(lacking))


def _summarise(lsoas: pd.DataFrame) -> pd.DataFrame:
    """Return the per-area weighted figures (no ranks yet)."""
    pop = lsoas["population"]
    scored = lsoas["imd_score"].notna() & pop.notna()
    ranked = lsoas["imd_rank"].notna() & pop.notna()
    dec = lsoas["imd_decile"].astype("float64")
    with_decile = dec.notna() & pop.notna()
    has_scores = bool(lsoas["imd_score"].notna().any())
    covered = scored if has_scores else ranked
    work = pd.DataFrame({
        "area_code": lsoas["area_code"],
        "n_lsoa": 1,
        "pop": pop.fillna(0.0),
        "w_score": pop.where(scored, 0.0),
        "score_x_w": (lsoas["imd_score"] * pop).where(scored, 0.0),
        "w_rank": pop.where(ranked, 0.0),
        "rank_x_w": (lsoas["imd_rank"].astype("float64") * pop).where(ranked, 0.0),
        "w_dec": pop.where(with_decile, 0.0),
        "d10": pop.where(with_decile & (dec <= 1), 0.0),
        "d20": pop.where(with_decile & (dec <= 2), 0.0),
        "covered": pop.where(covered, 0.0),
    })
    sums = work.groupby("area_code", sort=True).sum()
    out = pd.DataFrame({"area_code": sums.index.astype("str")})
    out["imd_score"] = _ratio(sums["score_x_w"], sums["w_score"])
    out["imd_share_10pct"] = _ratio(sums["d10"], sums["w_dec"])
    out["imd_share_20pct"] = _ratio(sums["d20"], sums["w_dec"])
    out["imd_average_rank"] = _ratio(sums["rank_x_w"], sums["w_rank"])
    out["imd_population"] = sums["pop"].to_numpy()
    out["n_lsoa"] = sums["n_lsoa"].to_numpy().astype("int64")
    out["imd_coverage"] = _ratio(sums["covered"], sums["pop"])
    return out


def _ratio(num: pd.Series, den: pd.Series) -> np.ndarray:
    """Return ``num / den`` as floats, NaN where ``den`` is 0."""
    n, d = num.to_numpy(dtype="float64"), den.to_numpy(dtype="float64")
    return np.divide(n, d, out=np.full(len(n), np.nan), where=d > 0)


def _restrict_to_areas(
    summary: pd.DataFrame, areas: Iterable[str] | pd.DataFrame | None, report: Report,
) -> pd.DataFrame:
    """Reindex the summary to the layer's areas (if given), reporting mismatches."""
    if areas is None:
        return summary
    codes = (areas["area_code"] if isinstance(areas, pd.DataFrame) else pd.Series(list(areas)))
    codes = pd.Index(codes.astype("str").drop_duplicates())
    unknown = summary.loc[~summary["area_code"].isin(codes), "area_code"]
    if len(unknown):
        report.add("warning", "rollup_imd", f"LSOAs are assigned to {len(unknown)} codes not in "
                   f"the layer (e.g. {', '.join(unknown.head(5))}); dropped",
                   "Check that the lookup and the layer are the same vintage.",
                   count=len(unknown))
    out = summary.set_index("area_code").reindex(codes)
    out.index.name = "area_code"
    out["n_lsoa"] = out["n_lsoa"].fillna(0).astype("int64")
    out["imd_population"] = out["imd_population"].fillna(0.0)
    empty = out.index[out["n_lsoa"] == 0]
    if len(empty):
        report.add("info", "rollup_imd", f"{len(empty)} areas receive no LSOA (e.g. "
                   f"{', '.join(empty[:5])}); their IMD values are missing",
                   "Expected for small areas under best-fit assignment.", count=len(empty))
    return out.reset_index()
