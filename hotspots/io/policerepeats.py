"""The rules on repeated police.uk crimes, in one place for every reader of them.

* **the same crime in two files** (a Crime ID police.uk publishes again in a
  later month, or two overlapping downloads) is counted once: the row from the
  earliest month is kept (then the earlier file, then the earlier row), the
  others are rejected and name it;
* rows **without a Crime ID** (anti-social behaviour) of two overlapping files of
  one month are matched whole, and counted once;
* **a Crime ID repeated within one file** is counted as police.uk publishes it,
  and listed; with ``crime_ids="once"`` the first row is kept.

:mod:`hotspots.io.policeuk` applies them to the files read together;
:func:`cross_file_repeats` applies the same rules to rows already read in
separate batches (the embedded store adds months one batch at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from hotspots._validate import Report
from hotspots.io.common import TEXT, _grouped
from hotspots.io.policefiles import crime_id_codes

__all__ = ["CrimeIdRule", "ReportOf", "cross_file_repeats"]

CrimeIdRule = Literal["as_published", "once"]
ReportOf = Callable[[str], Report]
_MANY = 25  # above this many rows of one kind in a file, one grouped problem, not one per row


def cross_file_repeats(combined: pd.DataFrame, report_of: ReportOf,
                       crime_ids: CrimeIdRule = "as_published") -> pd.Series:
    """Apply the rules on repeats to rows that were read (and checked) in separate batches.

    Parameters
    ----------
    combined
        Kept rows (:data:`~hotspots.io.policefiles.POLICE_FRAME_COLUMNS`; ``source``,
        ``month`` and the other text columns categorical, ``crime_id`` Arrow strings),
        in file order: the rows of a file added earlier come first, each file's rows
        in row order. Only rows whose month is a valid ``YYYY-MM``.
    report_of
        The report of each ``source``.
    crime_ids
        ``"as_published"`` or ``"once"``.

    Returns
    -------
    Series
        The reason each row is now not counted (``<NA>``: still counted), on
        ``combined``'s index.

    Examples
    --------
    >>> ids = pd.Series(["a" * 64, "a" * 64, None], dtype="string[pyarrow]")
    >>> rows = pd.DataFrame({"source": pd.Categorical(["feb.csv", "jan.csv", "jan.csv"]),
    ...                      "source_row": [2, 2, 3], "crime_id": ids,
    ...                      "month": pd.Categorical(["2024-02", "2024-01", "2024-01"])})
    >>> why = cross_file_repeats(rows, lambda s: Report())
    >>> why.isna().tolist()  # February's copy of January's crime is not counted
    [False, True, True]
    """
    reason = pd.Series(pd.NA, index=combined.index, dtype=TEXT)
    ok = pd.Series(True, index=combined.index)
    _repeats(combined, ok, reason, report_of, crime_ids)
    return reason


def _problem(report_of: ReportOf, rows: pd.DataFrame, severity: str, what: str | pd.Series,
             fix: str, column: str | None = None) -> None:
    """Report rows one by one, or grouped per file when there are many."""
    for source, grp in rows.groupby("source", sort=False, observed=True):
        rep = report_of(str(source))
        texts = what[grp.index] if isinstance(what, pd.Series) else None
        if len(grp) > _MANY:
            first = str(texts.iloc[0]) if texts is not None else what
            _grouped(rep, severity, str(source), grp["source_row"],  # type: ignore[arg-type]
                     first if texts is None else f"{first} and similar", fix, column=column)
            continue
        for k, row in enumerate(grp["source_row"]):
            rep.add(severity, str(source), str(texts.iloc[k]) if texts is not None else what,  # type: ignore[arg-type]
                    fix, row=int(row), column=column)


def _repeats(combined: pd.DataFrame, ok_month: pd.Series, reason: pd.Series,
             report_of: ReportOf, crime_ids: CrimeIdRule) -> None:
    """Count a crime in two files once; count repeats within a file as the rule says.

    Works on integer codes (the ids factorised once), so two million rows cost a
    few arrays of integers, not millions of Python strings.
    """
    pos = np.flatnonzero((ok_month & combined["crime_id"].notna()).to_numpy())
    if not len(pos):
        return
    code = crime_id_codes(combined["crime_id"])[pos]
    member = combined["source"].cat.codes.to_numpy()[pos]
    months = combined["month"]
    rank = np.argsort(np.argsort(np.asarray(months.cat.categories.astype(str), dtype=object),
                                 kind="stable"))
    month_rank = rank[months.cat.codes.to_numpy()[pos]]
    code = pd.factorize(code)[0]  # dense labels 0..n-1
    order = np.lexsort((pos, month_rank, code))  # by id, then earliest month, then file order
    starts = np.flatnonzero(np.r_[True, code[order][1:] != code[order][:-1]])
    winner_pos = np.empty(code.max() + 1, dtype=np.int64)
    winner_pos[code[order][starts]] = pos[order][starts]
    winner_member = np.empty(code.max() + 1, dtype=member.dtype)
    winner_member[code[order][starts]] = member[order][starts]
    other_file = member != winner_member[code]
    if other_file.any():
        rows = combined.iloc[pos[other_file]]
        first = combined.iloc[winner_pos[code[other_file]]]
        what = pd.Series(
            [f"the same crime (Crime ID {c[:8]}…) is already counted from {s} row {r} "
             f"(month {m})" for c, s, r, m in zip(rows["crime_id"], first["source"].astype(str),
                                                  first["source_row"], first["month"].astype(str),
                                                  strict=True)],
            index=rows.index, dtype=TEXT)
        reason[rows.index] = what
        _problem(report_of, rows, "warning", what,
                 "Row not counted: police.uk publishes some crimes again in a later month, and "
                 "overlapping downloads repeat them. Nothing to do.", column="Crime ID")
        later, earlier = member[other_file], winner_member[code[other_file]]
        month_same = (combined["month"].cat.codes.to_numpy()[pos[other_file]]
                      == combined["month"].cat.codes.to_numpy()[winner_pos[code[other_file]]])
        pairs = {(int(a), int(b)) for a, b in zip(earlier[month_same], later[month_same],
                                                  strict=True)}
        _blank_id_repeats(combined, ok_month, reason, report_of, pairs)
    # what is left of each id lies in one file (its winner's)
    left_pos, left_code = pos[~other_file], code[~other_file]
    n = np.bincount(left_code, minlength=code.max() + 1)
    repeated = n[left_code] > 1
    if not repeated.any():
        return
    first_of = np.full(code.max() + 1, -1, dtype=np.int64)
    first_of[left_code[::-1]] = left_pos[::-1]  # the earliest position of each id wins
    later = repeated & (left_pos != first_of[left_code])
    if crime_ids == "once":
        rows = combined.iloc[left_pos[later]]
        at = combined["source_row"].to_numpy()[first_of[left_code[later]]]
        what = pd.Series([f"Crime ID {c[:8]}… repeated in this file (first at row {r}): counted "
                          "once, as chosen" for c, r in zip(rows["crime_id"], at, strict=True)],
                         index=rows.index, dtype=TEXT)
        reason[rows.index] = what
        _problem(report_of, rows, "info", what,
                 "Row not counted (your choice: count each Crime ID once).", column="Crime ID")
        return
    _list_repeats(combined, combined.index[left_pos[repeated]], report_of)


_BLANK_KEY = ("month", "falls_within", "x", "y", "location", "category", "lsoa_code")


def _blank_id_repeats(combined: pd.DataFrame, ok_month: pd.Series, reason: pd.Series,
                      report_of: ReportOf, pairs: set[tuple[int, int]]) -> None:
    """Count once the rows without a Crime ID that two overlapping files of one month share.

    Two files that share crimes of the same month are copies or overlapping downloads
    of one police.uk file. Rows without an id (anti-social behaviour) cannot be matched
    by id: a row of the later file is not counted when the earlier file has the same
    row (month, force, point, location, type, LSOA), as many times as it has it.
    """
    blank = (ok_month & combined["crime_id"].isna() & reason.isna()).to_numpy()
    if not pairs or not blank.any():
        return
    sub = combined.loc[blank, ["source", "source_row", *_BLANK_KEY]]
    parts = [sub[c].cat.codes.to_numpy() if isinstance(sub[c].dtype, pd.CategoricalDtype)
             else np.nan_to_num(sub[c].to_numpy(dtype=float), nan=1e9) for c in _BLANK_KEY]
    key = pd.factorize(pd.MultiIndex.from_arrays(parts))[0]
    member = sub["source"].cat.codes.to_numpy()
    for a, b in sorted(pairs, key=lambda p: (p[1], p[0])):
        in_a = pd.Series(key[(member == a) & reason[sub.index].isna().to_numpy()]).value_counts()
        mine = np.flatnonzero((member == b) & reason[sub.index].isna().to_numpy())
        if not len(mine) or in_a.empty:
            continue
        k = key[mine]
        rank = pd.Series(k).groupby(k).cumcount().to_numpy()  # 0 for the first row of a key
        drop = mine[rank < in_a.reindex(k).fillna(0).to_numpy()]
        if not len(drop):
            continue
        rows = sub.iloc[drop]
        first = str(sub["source"].cat.categories[a])
        what = (f"no Crime ID (anti-social behaviour): the same row is in {first}, a copy or "
                "overlapping download of this month's file: counted once")
        reason[rows.index] = what
        _problem(report_of, rows, "warning", what, "Row not counted. Nothing to do.",
                 column="Crime ID")


def _list_repeats(combined: pd.DataFrame, rows: pd.Index, report_of: ReportOf) -> None:
    """Name the Crime IDs repeated within a file (kept, counted as published)."""
    full = combined.loc[rows, ["source", "source_row", "crime_id", "x", "y", "outcome"]]
    key = [full["source"].cat.codes.to_numpy(), crime_id_codes(full["crime_id"])]
    ids = full.assign(outcome=full["outcome"].cat.codes).groupby(key, sort=False)
    differ_of = ((ids["x"].nunique(dropna=False) > 1) | (ids["y"].nunique(dropna=False) > 1)
                 | (ids["outcome"].nunique(dropna=False) > 1)).groupby(level=0).sum()
    n_ids_of = ids.size().groupby(level=0).size()
    for source, grp in full.groupby("source", sort=False, observed=True):
        code = int(grp["source"].cat.codes.iloc[0])
        n_ids, differ = int(n_ids_of[code]), int(differ_of[code])
        example = str(grp["crime_id"].iloc[0])[:8]
        _grouped(report_of(str(source)), "warning", str(source), grp["source_row"],
                 f"{len(grp):,} rows share {n_ids:,} repeated Crime IDs (e.g. {example}…; "
                 f"{differ:,} of them at two places or with two outcomes): counted as "
                 "police.uk publishes them",
                 "Nothing to do. To count each Crime ID once (first row kept), tick 'Count "
                 "each Crime ID once' (command line: --crime-id-once).", column="Crime ID")
