"""National deprivation indices on small areas, rolled up to wards the way publishers do it.

Three indices, never mixed (their scores, ranks and deciles mean different
things on each side of the border):

* **IoD 2025 (England)**: MHCLG's English Indices of Deprivation 2025, File 7,
  on 2021 LSOAs (:func:`read_iod2025`);
* **WIMD 2019 (Wales)**: the Welsh Government's index on 2011 LSOAs
  (:func:`read_wimd2019`); LSOA deciles are derived from the ranks with
  :func:`decile_from_rank` (the rule IoD 2025's own deciles follow);
* the **composite UK IMD** (mySociety, England-based, CC BY 4.0;
  :func:`read_composite`) for an area spanning England and Wales.

:func:`rollup_index` summarises LSOA values for every ward of a best-fit
LSOA -> ward lookup: the population-weighted average score, its rank among
all the wards given (1 = most deprived) and decile, and the share of the
ward's population living in the nation's 10 % and 20 % most deprived LSOAs,
for the overall index and every domain. Pass the whole nation's lookup so
ranks are national, then keep the wards of the area.

:data:`INDICES` describes each index (edition, nation, labels, the decile
rule) for ``pack.json``, legends and exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hotspots._errors import InputDataError

__all__ = ["INDICES", "IndexRead", "IndexSpec", "decile_from_rank", "read_composite",
           "read_iod2025", "read_wimd2019", "rollup_index", "rollup_columns"]


@dataclass(frozen=True)
class IndexSpec:
    """One edition of a national deprivation index.

    Attributes
    ----------
    key
        ``"iod2025"``, ``"wimd2019"`` or ``"composite"``.
    label
        Short label for legends, e.g. ``"IoD 2025 (England)"``.
    title
        Full title.
    nation
        ``"England"``, ``"Wales"`` or ``"England and Wales"``.
    lsoa_vintage
        2021 or 2011: the LSOAs the file is published on.
    measures
        ``{key: label}``: ``"imd"`` first, then the domains.
    decile_rule
        How the LSOA deciles used for the 10 % / 20 % shares are defined.
    caveat
        What the figures do not mean.
    """

    key: str
    label: str
    title: str
    nation: str
    lsoa_vintage: int
    measures: dict[str, str]
    decile_rule: str
    caveat: str


INDICES: dict[str, IndexSpec] = {s.key: s for s in (
    IndexSpec(
        "iod2025", "IoD 2025 (England)", "English Indices of Deprivation 2025 (MHCLG)",
        "England", 2021,
        {"imd": "Index of Multiple Deprivation", "income": "Income",
         "employment": "Employment", "education": "Education, Skills and Training",
         "health": "Health Deprivation and Disability", "crime": "Crime",
         "barriers": "Barriers to Housing and Services",
         "living_environment": "Living Environment"},
        "MHCLG's published national LSOA deciles (File 7): decile = ceil(rank / 3,375.5) of "
        "England's 33,755 LSOAs",
        "Ranks and deciles are relative to England only; IoD 2025 is not comparable with "
        "IoD 2019 or with the Welsh, Scottish or Northern Irish indices."),
    IndexSpec(
        "wimd2019", "WIMD 2019 (Wales)", "Welsh Index of Multiple Deprivation 2019 (Welsh "
        "Government)", "Wales", 2011,
        {"imd": "Welsh Index of Multiple Deprivation", "income": "Income",
         "employment": "Employment", "health": "Health", "education": "Education",
         "access": "Access to Services", "housing": "Housing",
         "community_safety": "Community Safety",
         "physical_environment": "Physical Environment"},
        "derived from the Welsh Government's ranks: decile = ceil(10 x rank / 1,909) of "
        "Wales's 1,909 LSOAs (decile 1 = ranks 1-190; the rule MHCLG's deciles follow)",
        "Ranks and deciles are relative to Wales only; WIMD is not comparable with the "
        "English indices."),
    IndexSpec(
        "composite", "Composite UK IMD (England-based, mySociety)",
        "Composite UK Index of Multiple Deprivation v3.4.0, England-based (mySociety, CC BY "
        "4.0), from IoD 2019 (England) and WIMD 2019 (Wales)", "England and Wales", 2011,
        {"imd": "Composite UK IMD (England-based)"},
        "mySociety's UK population deciles of the composite score (UK_IMD_E_pop_decile)",
        "An approximation for cross-border mapping (mySociety): fine for deciles and maps, "
        "not for publishing rankings of individual places. Its English part is IoD 2019, "
        "not IoD 2025."),
)}
"""Every index, keyed by :attr:`IndexSpec.key`."""


@dataclass(frozen=True)
class IndexRead:
    """An index read from its file.

    Attributes
    ----------
    frame
        ``lsoa_code`` then ``<measure>_score``, ``<measure>_rank``,
        ``<measure>_decile`` for each measure of the index.
    rows_read
        Data rows in the file.
    rejected
        ``{reason: rows}`` for rows not kept (blank or repeated codes, another
        nation's rows).
    notes
        What was derived (e.g. ranks from scores).
    """

    frame: pd.DataFrame
    rows_read: int
    rejected: dict[str, int]
    notes: tuple[str, ...] = ()


def decile_from_rank(rank: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """Return deciles 1..10 (float, NaN where the rank is missing): ``ceil(10 * rank / n)``.

    Examples
    --------
    >>> decile_from_rank(np.array([1, 190, 191, 1909]), 1909).astype(int).tolist()
    [1, 1, 2, 10]
    >>> decile_from_rank(np.array([3375, 3376, 33755]), 33755).astype(int).tolist()
    [1, 2, 10]
    """
    r = np.asarray(rank, dtype="float64")
    out = np.ceil(10.0 * r / n - 1e-9)
    return np.where(np.isnan(r), np.nan, np.clip(out, 1, 10))


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\ufeff", "")).strip().lower()


def _read_table(path: Path, key: str, title: str) -> pd.DataFrame:
    """Read a CSV (``.gz`` fine) or the first sheet of a workbook (numbers parsed)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path)
        if suffix == ".ods":
            raise InputDataError(f"{path.name}: OpenDocument spreadsheets cannot be read here; "
                                 f"open it and save the data sheet as CSV ({title}).")
        try:
            return pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
        except UnicodeDecodeError:
            return pd.read_csv(path, encoding="cp1252", low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        if isinstance(exc, InputDataError):
            raise
        raise InputDataError(f"{path.name}: cannot read the national file '{key}' ({exc}). "
                             f"Expected {title}.") from exc


def _numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.replace(r"[,\s]", "", regex=True)
    return pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")


def _clean(frame: pd.DataFrame, code_col: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Strip codes; drop blank and repeated codes (first kept), counting them."""
    code = frame[code_col].astype("string").str.strip().str.upper()
    blank = code.isna() | (code == "")
    dup = ~blank & code.duplicated()
    out = frame.assign(lsoa_code=code)[~blank & ~dup]
    rejected = {k: int(v) for k, v in (("blank LSOA code", blank.sum()),
                                       ("LSOA code repeated (first row kept)", dup.sum())) if v}
    return out, rejected


# --------------------------------------------------------------------------- IoD 2025

_IOD_PREFIX = {
    "imd": "index of multiple deprivation (imd)", "income": "income",
    "employment": "employment", "education": "education, skills and training",
    "health": "health deprivation and disability", "crime": "crime",
    "barriers": "barriers to housing and services", "living_environment": "living environment",
}
_IOD_TITLE = ("'English indices of deprivation 2025: File 7: all ranks, scores, deciles and "
              "population denominators' (MHCLG, https://www.gov.uk/government/statistics/"
              "english-indices-of-deprivation-2025)")


def read_iod2025(path: Path | str) -> IndexRead:
    """Read MHCLG's IoD 2025 File 7 (or any file with its column headers).

    Parameters
    ----------
    path
        CSV (``.gz`` fine) or XLSX with ``LSOA code (2021)`` and, for the IMD and
        each domain, ``<Domain> Score``, ``<Domain> Rank (where 1 is most
        deprived)`` and ``<Domain> Decile (where 1 is most deprived 10% of LSOAs)``
        (the Income and Employment scores are ``Score (rate)``).

    Returns
    -------
    IndexRead
        Measures ``imd``, ``income``, ``employment``, ``education``, ``health``,
        ``crime``, ``barriers``, ``living_environment`` (a domain missing from the
        file is left out).

    Raises
    ------
    InputDataError
        No ``LSOA code (2021)`` column (a 2011-LSOA file such as IoD 2019 is named
        as the wrong vintage), or no IMD score, rank and decile.
    """
    path = Path(path)
    raw = _read_table(path, "iod2025", _IOD_TITLE)
    cols = {_norm(c): c for c in raw.columns}
    code = cols.get("lsoa code (2021)") or cols.get("lsoa21cd")
    if code is None:
        old = cols.get("lsoa code (2011)")
        why = ("it is on 2011 LSOAs ('LSOA code (2011)'): IoD 2019 or earlier, the wrong "
               "vintage for 2025 wards" if old else
               f"it has no 'LSOA code (2021)' column (columns: {', '.join(raw.columns[:8])} ...)")
        raise InputDataError(f"{path.name}: {why}. Expected {_IOD_TITLE}.")
    out, rejected = _clean(raw, code)
    frame = pd.DataFrame({"lsoa_code": out["lsoa_code"].astype(str).to_numpy()})
    for key, prefix in _IOD_PREFIX.items():
        found = {}
        for part in ("score", "rank", "decile"):
            pattern = re.escape(prefix) + rf" {part}\b.*"
            hit = next((c for n, c in cols.items() if re.fullmatch(pattern, n)), None)
            if hit is not None:
                found[part] = hit
        if len(found) < 3:
            if key == "imd":
                raise InputDataError(f"{path.name}: no IMD score, rank and decile columns "
                                     f"('Index of Multiple Deprivation (IMD) Score', ...). "
                                     f"Expected {_IOD_TITLE}.")
            continue
        for part, col in found.items():
            frame[f"{key}_{part}"] = _numbers(out[col]).to_numpy()
    other = ~frame["lsoa_code"].str.startswith("E01")
    if other.any():
        rejected["not an English LSOA code"] = int(other.sum())
        frame = frame[~other]
    return IndexRead(frame.reset_index(drop=True), len(raw), rejected)


# --------------------------------------------------------------------------- WIMD 2019

_WIMD_TITLE = ("'Welsh Index of Multiple Deprivation (WIMD) 2019: index and domain scores and "
               "ranks by small area' (Welsh Government, https://www.gov.wales/welsh-index-"
               "multiple-deprivation)")
_WIMD_NAMES = {
    "imd": ("imd", "wimd 2019", "wimd", "wimd2019"),
    "income": ("income",), "employment": ("employment",), "health": ("health",),
    "education": ("education",), "access": ("access", "access to services"),
    "housing": ("housing",), "community_safety": ("crime", "community safety"),
    "physical_environment": ("environment", "physical environment"),
}
_WIMD_CODES = ("lsoa11_code", "lsoa", "lsoa code", "lsoa11cd", "lsoa_code", "lsoa code (2011)")


def _wimd_column(cols: dict[str, str], names: tuple[str, ...], part: str) -> str | None:
    for name in names:
        for cand in (f"{name}_{part}", f"{name} {part}", f"{name} 2019 {part}"):
            if cand in cols:
                return cols[cand]
        if part == "score" and name in cols:  # the Welsh Government's scores sheet
            return cols[name]
    return None


def _wimd_ranks(path: Path) -> pd.DataFrame:
    """Read the Welsh Government's ranks sheet: LSOA code and a rank per measure."""
    raw = _read_table(path, "wimd2019_ranks", _WIMD_TITLE)
    cols = {_norm(c): c for c in raw.columns}
    code = next((cols[c] for c in _WIMD_CODES if c in cols), None)
    if code is None:
        raise InputDataError(f"{path.name}: no LSOA code column (columns: "
                             f"{', '.join(raw.columns[:8])} ...). Expected the WIMD 2019 ranks.")
    out, _ = _clean(raw, code)
    frame = pd.DataFrame({"lsoa_code": out["lsoa_code"].astype(str).to_numpy()})
    for key, names in _WIMD_NAMES.items():
        col = _wimd_column(cols, names, "rank") or _wimd_column(cols, names, "score")
        if col is not None:  # on the ranks sheet, the bare domain name holds the rank
            frame[f"{key}_rank"] = _numbers(out[col]).to_numpy()
    return frame.set_index("lsoa_code")


def read_wimd2019(path: Path | str, ranks: Path | str | None = None) -> IndexRead:
    """Read WIMD 2019 scores and ranks for Wales's 1,909 LSOAs (2011).

    Parameters
    ----------
    path
        CSV or XLSX with an LSOA code column (``lsoa11_code``, ``LSOA code``,
        ``lsoa``) and, for the index and each domain, a score (``IMD_score``,
        ``WIMD 2019``, ``Income``, ...) and a rank (``IMD_rank``, ``Income_rank``,
        ...). Without ranks they are derived from the scores (1 = highest score,
        ties share the lowest rank) and the notes say so; decile columns in the
        file are ignored (they are not Welsh Government figures in every copy):
        deciles always come from the ranks (:func:`decile_from_rank`).
    ranks
        Optional: the Welsh Government's ranks sheet (saved as CSV), whose ranks
        replace any in ``path``.

    Returns
    -------
    IndexRead
        Measures ``imd``, ``income``, ``employment``, ``health``, ``education``,
        ``access``, ``housing``, ``community_safety``, ``physical_environment``.

    Raises
    ------
    InputDataError
        No LSOA code column or no WIMD score.
    """
    path = Path(path)
    raw = _read_table(path, "wimd2019", _WIMD_TITLE)
    cols = {_norm(c): c for c in raw.columns}
    code = next((cols[c] for c in _WIMD_CODES if c in cols), None)
    if code is None or _wimd_column(cols, _WIMD_NAMES["imd"], "score") is None:
        raise InputDataError(f"{path.name}: no LSOA code and WIMD score columns (columns: "
                             f"{', '.join(raw.columns[:8])} ...). Expected {_WIMD_TITLE}.")
    out, rejected = _clean(raw, code)
    frame = pd.DataFrame({"lsoa_code": out["lsoa_code"].astype(str).to_numpy()})
    other = ~frame["lsoa_code"].str.startswith("W01")
    if other.any():
        rejected["not a Welsh LSOA code"] = int(other.sum())
    keep = ~other.to_numpy()
    frame = frame[keep].reset_index(drop=True)
    derived = []
    published = _wimd_ranks(Path(ranks)) if ranks is not None else None
    for key, names in _WIMD_NAMES.items():
        score_col = _wimd_column(cols, names, "score")
        if score_col is None:
            continue
        score = _numbers(out[score_col]).to_numpy()[keep]
        rank_col = _wimd_column(cols, names, "rank")
        if published is not None and f"{key}_rank" in published:
            rank = frame["lsoa_code"].map(published[f"{key}_rank"]).to_numpy(dtype="float64")
        elif rank_col is not None:
            rank = _numbers(out[rank_col]).to_numpy()[keep]
        else:
            rank = pd.Series(score).rank(ascending=False, method="min").to_numpy()
            derived.append(key)
        frame[f"{key}_score"] = score
        frame[f"{key}_rank"] = rank
        frame[f"{key}_decile"] = decile_from_rank(rank, int(np.isfinite(rank).sum()))
    notes = (f"ranks derived from the scores for {', '.join(derived)} (1 = highest score)",
             ) if derived else ()
    return IndexRead(frame, len(raw), rejected, notes)


# --------------------------------------------------------------------------- composite


def read_composite(path: Path | str) -> IndexRead:
    """Read mySociety's composite UK IMD (``UK_IMD_E.csv``, or the Wales-based ``_W``).

    Returns
    -------
    IndexRead
        England and Wales rows only: ``imd_score`` (composite score), ``imd_rank``
        (UK rank, 1 = most deprived), ``imd_decile`` (UK population decile).
        Scottish and Northern Irish rows are counted in ``rejected``.
    """
    path = Path(path)
    title = "'Composite UK Index of Multiple Deprivation' (mySociety, UK_IMD_E.csv)"
    raw = _read_table(path, "composite", title)
    base = next((b for b in ("E", "W") if f"UK_IMD_{b}_score" in raw.columns), None)
    if base is None or "lsoa" not in raw.columns or "nation" not in raw.columns:
        raise InputDataError(f"{path.name}: no 'lsoa', 'nation' and 'UK_IMD_E_score' columns. "
                             f"Expected {title}.")
    out, rejected = _clean(raw, "lsoa")
    ew = out["nation"].isin(["E", "W"])
    if (~ew).any():
        rejected["Scotland or Northern Ireland (not in England and Wales)"] = int((~ew).sum())
    out = out[ew]
    frame = pd.DataFrame({
        "lsoa_code": out["lsoa_code"].astype(str).to_numpy(),
        "imd_score": _numbers(out[f"UK_IMD_{base}_score"]).to_numpy(),
        "imd_rank": _numbers(out[f"UK_IMD_{base}_rank"]).to_numpy(),
        "imd_decile": _numbers(out[f"UK_IMD_{base}_pop_decile"]).to_numpy(),
    })
    return IndexRead(frame, len(raw), rejected, (f"{base}-based composite",))


# --------------------------------------------------------------------------- roll-up


def rollup_columns(measures: list[str]) -> list[str]:
    """Return the columns :func:`rollup_index` writes for these measures, in order.

    Examples
    --------
    >>> rollup_columns(["imd", "income"])[:4]
    ['area_code', 'imd_score', 'imd_rank', 'imd_decile']
    >>> rollup_columns(["imd", "income"])[-5:]
    ['imd_income_score', 'imd_income_rank', 'imd_income_decile', 'imd_income_share_10pct', 'imd_income_share_20pct']
    """  # noqa: E501
    out = ["area_code", "imd_score", "imd_rank", "imd_decile", "imd_share_10pct",
           "imd_share_20pct", "imd_average_rank", "imd_population", "n_lsoa", "imd_coverage"]
    for m in measures:
        if m != "imd":
            out += [f"imd_{m}_{p}" for p in ("score", "rank", "decile", "share_10pct",
                                              "share_20pct")]
    return out


def _rank_decile(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = pd.Series(score)
    rank = s.rank(ascending=False, method="min").to_numpy()
    n = int(s.notna().sum())
    return rank, decile_from_rank(rank, max(n, 1))


def rollup_index(
    values: pd.DataFrame,
    assignment: pd.DataFrame,
    population: pd.DataFrame,
    *,
    measures: list[str],
) -> pd.DataFrame:
    """Population-weighted ward figures of an LSOA index, ranked among all wards given.

    Parameters
    ----------
    values
        ``lsoa_code`` and ``<m>_score``, ``<m>_decile`` (and ``imd_rank``) for
        each measure ``m`` (:class:`IndexRead` frames; LSOAs of the lookup's vintage).
    assignment
        ``lsoa_code`` -> ``area_code``: the best-fit lookup of every ward the
        ranks should be relative to (the whole nation). Each LSOA once.
    population
        ``lsoa_code``, ``population`` (the weights; Census 2021 usual residents).
    measures
        Measure keys, ``"imd"`` first.

    Returns
    -------
    pandas.DataFrame
        One row per area of ``assignment``, sorted by code, columns
        :func:`rollup_columns`: for the index (``imd_*``) and each domain
        (``imd_<domain>_*``): ``score`` = sum(pop x score) / sum(pop) over the
        ward's LSOAs with a score and a population; ``rank`` = rank of that score
        among all the areas (1 = highest score = most deprived; ties share the
        lowest rank); ``decile`` = ceil(10 x rank / areas ranked);
        ``share_10pct`` / ``share_20pct`` = share of the ward's population in
        LSOAs of national decile 1 / 1-2. Also ``imd_average_rank``
        (population-weighted mean LSOA rank), ``imd_population``, ``n_lsoa`` and
        ``imd_coverage`` (share of the population whose LSOA has an IMD score).

    Raises
    ------
    InputDataError
        An LSOA appears twice in ``assignment``.

    Examples
    --------
    >>> v = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "imd_score": [10.0, 40.0, 20.0],
    ...                   "imd_rank": [3, 1, 2], "imd_decile": [3, 1, 2]})
    >>> a = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "area_code": ["X", "X", "Y"]})
    >>> p = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "population": [300, 100, 500]})
    >>> out = rollup_index(v, a, p, measures=["imd"])
    >>> out[["area_code", "imd_score", "imd_rank", "imd_share_10pct"]].to_dict("list")
    {'area_code': ['X', 'Y'], 'imd_score': [17.5, 20.0], 'imd_rank': [2, 1], 'imd_share_10pct': [0.25, 0.0]}
    """  # noqa: E501
    link = assignment[["lsoa_code", "area_code"]].astype(str)
    if link["lsoa_code"].duplicated().any():
        dup = link.loc[link["lsoa_code"].duplicated(), "lsoa_code"].iat[0]
        raise InputDataError(f"rollup_index: LSOA {dup} appears more than once in the lookup; "
                             "a best-fit lookup lists each LSOA once.")
    pop = population.drop_duplicates("lsoa_code").set_index("lsoa_code")["population"]
    t = link.merge(values.drop_duplicates("lsoa_code"), on="lsoa_code", how="left")
    w = t["lsoa_code"].map(pop).astype("float64").to_numpy()
    area = t["area_code"].to_numpy()
    codes, inv = np.unique(area, return_inverse=True)

    def total(x: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=x, minlength=len(codes))

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)

    has_w = np.isfinite(w)
    w0 = np.where(has_w, w, 0.0)
    out = pd.DataFrame({"area_code": codes})
    for m in measures:
        score = t[f"{m}_score"].to_numpy(dtype="float64")
        ok = has_w & np.isfinite(score)
        mean = ratio(total(np.where(ok, w0 * np.nan_to_num(score), 0.0)), total(np.where(ok, w0,
                                                                                        0.0)))
        rank, dec = _rank_decile(mean)
        d = t[f"{m}_decile"].to_numpy(dtype="float64")
        okd = has_w & np.isfinite(d)
        den = total(np.where(okd, w0, 0.0))
        prefix = "imd" if m == "imd" else f"imd_{m}"
        out[f"{prefix}_score"] = mean
        out[f"{prefix}_rank"] = pd.array(np.where(np.isnan(rank), pd.NA, rank), dtype="Int64")
        out[f"{prefix}_decile"] = pd.array(np.where(np.isnan(dec), pd.NA, dec), dtype="Int64")
        out[f"{prefix}_share_10pct"] = ratio(total(np.where(okd & (d <= 1), w0, 0.0)), den)
        out[f"{prefix}_share_20pct"] = ratio(total(np.where(okd & (d <= 2), w0, 0.0)), den)
        if m == "imd":
            r = t["imd_rank"].to_numpy(dtype="float64")
            okr = has_w & np.isfinite(r)
            out["imd_average_rank"] = ratio(total(np.where(okr, w0 * np.nan_to_num(r), 0.0)),
                                            total(np.where(okr, w0, 0.0)))
            out["imd_population"] = total(w0)
            out["n_lsoa"] = np.bincount(inv, minlength=len(codes)).astype("int64")
            out["imd_coverage"] = ratio(total(np.where(ok, w0, 0.0)), out["imd_population"]
                                        .to_numpy())
    return out[rollup_columns(measures)]
