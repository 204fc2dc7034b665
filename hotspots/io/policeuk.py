"""police.uk street-level crime: monthly CSVs, folders of months, archive zips, many at once.

:func:`read_police_inputs` reads every street file of every input (a file, a
folder, a zip; :mod:`hotspots.io.policefiles` finds and parses them) and applies
one set of rules to all of them together, so that the command line and the page
count the same rows:

* **the same file twice** (byte for byte, under any name, in any input) is read
  once; the copy is named;
* **the same crime in two files** (a Crime ID police.uk publishes again in a
  later month, or two overlapping downloads) is counted once: the row from the
  earliest month is kept, the others are rejected and name it;
* **a Crime ID repeated within one file** is counted as police.uk publishes it
  (its own maps do: some crimes are listed at two snap points or with two
  outcomes); the repeats are listed. With ``crime_ids="once"`` the first row in
  file order is kept and the repeats are rejected (:data:`CRIME_ID_RULES`);
* a month that is not ``YYYY-MM`` and a line broken by a stray quote reject the
  row; swapped Longitude/Latitude are read the right way round and reported;
  coordinates outside the UK are kept (the join counts them *outside*);
  unreadable coordinates count as *without a location*.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError, UploadError
from hotspots._validate import ReadResult, Report
from hotspots.io.common import (
    LAT_RANGE,
    LON_RANGE,
    MONTH_PATTERN,
    TEXT,
    Source,
    _grouped,
    _in_range,
    _input_name,
)
from hotspots.io.policefiles import (
    FIX_COLUMNS,
    POLICE_COLUMNS,
    POLICE_FRAME_COLUMNS,
    Member,
    categorical_text,
    input_members,
    is_all_blank,
    numbers,
    parse_member,
    report_blank_lines,
    strip_text,
)
from hotspots.io.policerepeats import CrimeIdRule, ReportOf, _problem, _repeats

__all__ = ["ASB_CATEGORY", "CRIME_ID_RULES", "POLICE_COLUMNS", "POLICE_FRAME_COLUMNS",
           "CrimeIdRule", "Members", "PoliceRead", "read_police_inputs", "read_police_uk"]

#: police.uk's "Crime type" of anti-social behaviour. police.uk publishes ASB in the
#: street-level files beside crime, but ASB incidents are not recorded crime (they have
#: no Crime ID): every view offers ASB as its own measure, never inside "all crime".
ASB_CATEGORY = "Anti-social behaviour"

#: How a Crime ID repeated within one file is counted, in words (for notes and messages).
CRIME_ID_RULES: dict[str, str] = {
    "as_published": "rows counted as police.uk publishes them (its own maps do): a Crime ID "
                    "repeated within a file (one crime listed at two snap points or with two "
                    "outcomes) counts each time; the same crime in two files counts once",
    "once": "each Crime ID counted once: within a file the first row in file order is kept "
            "and later rows with the same Crime ID are rejected; the same crime in two files "
            "counts once",
}


@dataclass(frozen=True)
class PoliceRead:
    """police.uk inputs read together.

    Attributes
    ----------
    files
        ``(input name, ReadResult)`` for each input that had rows, in the order given.
    skipped
        ``(input name, why)`` for inputs not read (the same bytes as an earlier one).
    report
        The problems of the inputs not read (each file's own are in its ReadResult).
    """

    files: list[tuple[str, ReadResult]]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    report: Report = field(default_factory=Report)


def read_police_uk(path: Source, *, label: str | None = None,
                   crime_ids: CrimeIdRule = "as_published") -> ReadResult:
    """Read police.uk street-level crime CSVs (one file, a folder or the archive zip).

    Parameters
    ----------
    path
        One monthly street CSV (``2020-11-city-of-london-street.csv``, or
        ``.csv.gz``), a folder searched at any depth for ``*-street.csv``
        (normally ``YYYY-MM/`` folders), or the police.uk archive zip (members
        read straight from the zip, bounded: :mod:`hotspots.io.safezip`). A
        binary file object (an upload) holding a CSV, a gzip or a zip works too.
    label
        Name to use for the input in messages; for a single CSV it is also the
        ``source`` value (useful when ``path`` is a temporary upload).
    crime_ids
        ``"as_published"`` (default) or ``"once"``: see :data:`CRIME_ID_RULES`.

    Returns
    -------
    ReadResult
        ``frame`` with columns ``source`` (file name relative to ``path``),
        ``source_row``, ``crime_id`` (``<NA>`` when blank), ``month``
        (``"YYYY-MM"``), ``category`` (Crime type), ``x``, ``y`` (lon/lat,
        EPSG:4326; NaN when missing or unreadable; kept when outside the UK),
        ``lsoa_code``, ``lsoa_name``, ``location``, ``falls_within``,
        ``outcome`` (text columns categorical). ``rejected`` holds the same
        columns plus ``reason``. ``rows_read == len(frame) + len(rejected)``.

    Raises
    ------
    ColumnMappingError
        A file lacks required police.uk columns (every such file is listed,
        with the columns it has).
    EmptyInputError
        The file is empty (0 bytes or header only), or every file found is,
        or a folder / zip holds no ``*-street.csv``.
    InputDataError
        ``path`` looks like a zip or gzip but cannot be opened, or would
        unpack to too much (a "zip bomb").

    Notes
    -----
    See the module docstring for the rules on repeats. Reported and kept: rows
    without coordinates (the join counts them as *unlocated*), coordinates
    outside the UK (lon -11..3, lat 49..62; the join counts them *outside*),
    swapped Longitude/Latitude (read the other way round), blank Crime IDs
    (anti-social behaviour, info per file), a month that differs from the
    file's ``YYYY-MM`` folder, empty files inside a folder or zip, files in a
    folder or zip that are not street files (named, skipped), a Windows
    encoding, extra columns and values with stray spaces (trimmed).
    """
    name = _input_name(path, label)
    try:
        read = read_police_inputs([(name, path)], crime_ids=crime_ids)
    except UploadError as exc:
        cause = exc.__cause__
        raise (cause if isinstance(cause, InputDataError) else exc) from None
    return read.files[0][1]


@dataclass(frozen=True)
class Members:
    """Street files already found in an input (a batch of them), to read in place of a path.

    Attributes
    ----------
    items
        The :class:`~hotspots.io.policefiles.Member` files, in order.
    is_container
        True when they come from a folder or zip (messages then name each file).
    """

    items: Sequence[Member]
    is_container: bool = True


def read_police_inputs(inputs: Sequence[tuple[str, Source | Members]], *,
                       crime_ids: CrimeIdRule = "as_published",
                       seen: dict[bytes, str] | None = None,
                       all_copies_ok: bool = False) -> PoliceRead:
    """Read several police.uk inputs with one set of rules (see the module docstring).

    Parameters
    ----------
    inputs
        ``(name, file, folder, zip or binary file object)`` per input, in order;
        or ``(name, Members)`` for street files already found.
    crime_ids
        ``"as_published"`` (default) or ``"once"``: see :data:`CRIME_ID_RULES`.
    seen
        SHA-256 digest -> name of files read before (by an earlier call): a file
        with the same bytes is not read again. Updated in place with the files read.
    all_copies_ok
        Return an empty :attr:`PoliceRead.files` (the copies in ``skipped``)
        instead of raising when every file is a copy of one read before.

    Returns
    -------
    PoliceRead

    Raises
    ------
    UploadError
        For the first input that cannot be used (``part="police_uk"``, its
        name, and the reader's message, which names the file and the fix).
    """
    reports = [Report() for _ in inputs]
    owner: dict[str, int] = {}
    seen = {} if seen is None else seen
    frames: list[pd.DataFrame] = []
    skipped: list[tuple[str, str]] = []
    top = Report()
    for i, (name, path) in enumerate(inputs):
        try:
            got, copy_of = _read_input(name, path, reports[i], seen, frames)
        except InputDataError as exc:
            text = str(exc) if name in str(exc) else f"{name}: {exc}"
            raise UploadError("police_uk", name, text) from exc
        if not got:
            skipped.append((name, f"{name} has the same contents as {copy_of}: not read "
                                  "again (its crimes are counted once)"))
            top.extend(reports[i])
        for source in got:
            owner.setdefault(source, i)
    if not frames and all_copies_ok:
        return PoliceRead([], skipped, top)
    if not frames:
        raise UploadError("police_uk", inputs[0][0],
                          f"{inputs[0][0]}: every file given is a copy of another.")
    combined = _concat(frames)
    del frames
    report_of: ReportOf = lambda s: reports[owner[s]]  # noqa: E731
    numbers(combined)
    strip_text(combined, report_of)
    combined = report_blank_lines(combined, report_of)
    frame, rejected = _police_checks(combined, report_of, crime_ids)
    del combined
    used = sorted({owner[s] for s in owner})
    out = []
    for i in used:
        kept, rej = (frame, rejected) if len(used) == 1 else (
            _of_input(frame, owner, i), _of_input(rejected, owner, i))
        out.append((inputs[i][0], ReadResult(kept, rej, reports[i], len(kept) + len(rej))
                    .check_records()))
    return PoliceRead(out, skipped, top)


def _of_input(frame: pd.DataFrame, owner: dict[str, int], i: int) -> pd.DataFrame:
    """Return the rows of one input (its members' sources)."""
    cats = frame["source"].cat.categories
    mine = np.append(np.array([owner.get(str(c)) == i for c in cats], dtype=bool), False)
    return frame.loc[mine[frame["source"].cat.codes.to_numpy()]].reset_index(drop=True)


def _read_input(name: str, path: Source | Members, report: Report, seen: dict[bytes, str],
                frames: list[pd.DataFrame]) -> tuple[list[str], str]:
    """Parse one input's members into ``frames``.

    Returns the sources read, and (when every member was a copy) what the first
    copy repeats.
    """
    if isinstance(path, Members):
        is_container, members = path.is_container, iter(path.items)
    else:
        is_container, members = input_members(name, path, report)
    empty: list[str] = []
    column_problems: list[str] = []
    sources: list[str] = []
    copy_of = ""
    for member in members:
        digest = hashlib.sha256(member.data).digest()
        if digest in seen:
            copy_of = copy_of or seen[digest]
            report.add("warning", member.source if is_container else name,
                       f"same contents as {seen[digest]}: read once (its rows are not counted "
                       "twice)", "Nothing to do; remove the copy to silence this message.")
            continue
        if member.source in seen.values():  # another file of the same name, other contents
            member = dataclasses.replace(member, source=_unique(name, member.source, seen))
        seen[digest] = member.source
        known = len(column_problems)
        frame = parse_member(member, report, column_problems)
        if frame is not None and len(frame) and not is_all_blank(frame):
            frames.append(frame)
            sources.append(member.source)
        elif len(column_problems) == known:
            empty.append(member.source)
    if column_problems:
        raise ColumnMappingError(f"{name}: not a police.uk street CSV layout.\n"
                                 + "\n".join(column_problems) + f"\n{FIX_COLUMNS}")
    if not sources:
        if copy_of and not empty:
            return [], copy_of
        what = (f"every street file in {name} is empty ({len(empty)} files)" if is_container
                else f"{name} is empty (0 bytes, a header without data rows, or blank lines)")
        raise EmptyInputError(f"{what}. Download the file(s) again from data.police.uk.")
    for source in empty:
        report.add("warning", source, "empty file (0 bytes or header only), skipped",
                   "Download this month again if it should have crimes.")
    return sources, copy_of


def _unique(name: str, source: str, seen: dict[bytes, str]) -> str:
    """Return a name for a file whose name another has (``a.csv (2)``, ``zip: path``)."""
    base = f"{name}: {source}" if source != name else source
    k = 2 if base in seen.values() else 1
    while (candidate := base if k == 1 else f"{base} ({k})") in seen.values():
        k += 1
    return candidate


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack member frames, keeping categoricals categorical (categories unioned)."""
    if len(frames) == 1:
        return categorical_text(frames[0])
    out = {}
    for col in frames[0].columns:
        parts = [f[col] for f in frames]
        if col in ("x", "y") and any(p.dtype == object for p in parts):
            # text of small files beside the float categories of large ones: made numbers
            # next (policefiles.numbers), so their categories need no (mixed-type) sort
            codes, uniques = pd.factorize(pd.concat([p.astype(object) for p in parts],
                                                    ignore_index=True), sort=False)
            out[col] = pd.Series(pd.Categorical.from_codes(codes, categories=uniques))
        elif any(p.dtype == object for p in parts):  # small files read as text: one category
            out[col] = pd.concat([p.astype(object) for p in parts],
                                 ignore_index=True).astype("category")
        elif isinstance(parts[0].dtype, pd.CategoricalDtype):
            out[col] = pd.api.types.union_categoricals(
                [pd.Categorical(p) for p in parts], ignore_order=True)
        else:
            out[col] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({c: (v if isinstance(v, pd.Series) else pd.Series(v))
                         for c, v in out.items()})


# --------------------------------------------------------------------------- checks


def _police_checks(combined: pd.DataFrame, report_of: ReportOf, crime_ids: CrimeIdRule,
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reject broken lines, bad months and repeats; report and fix coordinates."""
    reason = pd.Series(pd.NA, index=combined.index, dtype=TEXT)
    broken = combined["broken_line"].notna()
    if broken.any():
        reason[broken] = "broken line: " + combined.loc[broken, "broken_line"].astype(str)
        _problem(report_of, combined.loc[broken], "error", reason,
                 "Row rejected. Open the file in a text editor and remove the stray quote "
                 "(or put the quotes around the whole cell).")
    month = combined["month"]
    ok_month = pd.Series(_cat_test(month, lambda c: c.str.fullmatch(MONTH_PATTERN)),
                         index=combined.index) & ~broken
    bad = ~ok_month & ~broken
    if bad.any():
        value = month[bad].astype(str)
        what = pd.Series(np.where(month[bad].isna(), "month is blank",
                                  "month '" + value + "' is not a YYYY-MM month"),
                         index=value.index, dtype=TEXT)
        reason[bad] = what
        _problem(report_of, combined.loc[bad], "error", what,
                 "Row rejected. Correct the Month cell (YYYY-MM, e.g. 2020-11).", column="Month")
    _repeats(combined, ok_month, reason, report_of, crime_ids)
    keep = reason.isna().to_numpy()
    rejected = combined.loc[~keep, POLICE_FRAME_COLUMNS].assign(reason=reason[~keep])
    kept = combined if keep.all() else combined.loc[keep]  # no copy of two million rows
    kept = kept.reset_index(drop=True)
    _report_folder_months(kept, report_of)
    kept = _clean_coordinates(kept, report_of)
    _report_blank_ids(kept, report_of)
    return kept[POLICE_FRAME_COLUMNS], rejected.reset_index(drop=True)


def _report_folder_months(kept: pd.DataFrame, report_of: ReportOf) -> None:
    folder = kept["folder_month"].astype("object")
    month = kept["month"].astype("object")
    differs = folder.notna() & (month != folder)
    for source, rows in kept.loc[differs].groupby("source", sort=False, observed=True):
        months = ", ".join(f"'{m}'" for m in pd.unique(rows["month"].astype(str))[:3])
        _grouped(report_of(str(source)), "warning", str(source), rows["source_row"],
                 f"Month {months} differs from the folder '{rows['folder_month'].iloc[0]}'",
                 "Kept with the Month in the file; check the file is in the right folder.",
                 column="Month")


def _clean_coordinates(kept: pd.DataFrame, report_of: ReportOf) -> pd.DataFrame:
    """Swap swapped pairs back, report coordinates outside the UK and missing ones."""
    x, y = kept["x"], kept["y"]
    given = x.notna() & y.notna()
    plausible = _in_range(x, LON_RANGE) & _in_range(y, LAT_RANGE)
    swapped = given & ~plausible & _in_range(y, LON_RANGE) & _in_range(x, LAT_RANGE)
    if swapped.any():
        kept.loc[swapped, ["x", "y"]] = kept.loc[swapped, ["y", "x"]].to_numpy()
        for source, rows in kept.loc[swapped].groupby("source", sort=False, observed=True):
            n_given = int((given & (kept["source"] == source)).sum())
            every = "every located row" if len(rows) == n_given else f"{len(rows):,} rows"
            _grouped(report_of(str(source)), "warning", str(source), rows["source_row"],
                     f"Longitude and Latitude are swapped in {every} (a latitude in the "
                     "Longitude column): read the other way round",
                     "Check the file: swap the two columns' headers (or values) so that "
                     "Longitude holds about -6 to 2 and Latitude about 50 to 56.",
                     column="Longitude")
    outside = given & ~plausible & ~swapped
    for source, rows in kept.loc[outside].groupby("source", sort=False, observed=True):
        first = rows.iloc[0]
        _grouped(report_of(str(source)), "warning", str(source), rows["source_row"],
                 f"coordinates outside the UK (lon {LON_RANGE[0]:g}..{LON_RANGE[1]:g}, lat "
                 f"{LAT_RANGE[0]:g}..{LAT_RANGE[1]:g}), e.g. {first['x']:g}, {first['y']:g}: "
                 "counted as outside the study area",
                 "Check these rows' Longitude and Latitude.", column="Longitude")
    unreadable = kept["coord_unreadable"].to_numpy()
    if unreadable.any():
        text = kept["coord_bad_text"].astype(str)
        for header in ("Longitude", "Latitude"):
            which = unreadable & text.str.startswith(header).to_numpy()
            rows = kept.loc[which]
            what = pd.Series(text[which] + " is not a number", index=rows.index)
            _problem(report_of, rows, "warning", what,
                     "Kept as a crime without a location. Correct the cell if you know the "
                     "coordinates.", column=header)
        kept.loc[unreadable, ["x", "y"]] = np.nan
    missing = ~given & ~kept["coord_unreadable"]
    for source, rows in kept.loc[missing].groupby("source", sort=False, observed=True):
        _grouped(report_of(str(source)), "warning", str(source), rows["source_row"],
                 "no coordinates", "Kept; counted as without a location (police.uk could not "
                 "place them on the map).", column="Longitude")
    return kept


def _cat_test(s: pd.Series, test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """Evaluate a test on a categorical's categories once; missing values give False."""
    ok = test(pd.Series(s.cat.categories.astype(str), dtype=object)).fillna(False)
    return np.append(ok.to_numpy(dtype=bool), False)[s.cat.codes.to_numpy()]


def _report_blank_ids(kept: pd.DataFrame, report_of: ReportOf) -> None:
    blank = kept["crime_id"].isna()
    for source, rows in kept.loc[blank].groupby("source", sort=False, observed=True):
        report_of(str(source)).add(
            "info", str(source),
            "blank Crime ID (anti-social behaviour: police.uk publishes it without an id)",
            "Kept; nothing to do.", column="Crime ID", count=len(rows))
    odd = blank & ~_cat_test(kept["category"], lambda c: c.str.casefold()
                             == ASB_CATEGORY.casefold())
    for source, rows in kept.loc[odd].groupby("source", sort=False, observed=True):
        _grouped(report_of(str(source)), "warning", str(source), rows["source_row"],
                 "blank Crime ID on a crime other than anti-social behaviour",
                 "Kept; check the file was not edited.", column="Crime ID")
