"""Harm weights: weigh police.uk offences by harm instead of counting them.

:data:`HARM_WEIGHTS_EXAMPLE` is an ILLUSTRATIVE table (not an official index);
:func:`read_harm_weights` reads a force's or partnership's own table and
:func:`harm_weights_for` gives each record its weight. The patrol analysis
(:mod:`hotspots.patrol.analysis`), the CLI and the page use them.
"""

from __future__ import annotations

import csv
import io as _io
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from hotspots._errors import ColumnMappingError, EmptyInputError, InputDataError
from hotspots.io import ASB_CATEGORY

__all__ = [
    "HARM_NOTE",
    "HARM_WEIGHTS_EXAMPLE",
    "POLICE_UK_CATEGORIES",
    "harm_weights_for",
    "read_harm_weights",
]

#: police.uk street-level "Crime type" values.
POLICE_UK_CATEGORIES: tuple[str, ...] = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
    "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
    "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
    "Violence and sexual offences",
)

#: ILLUSTRATIVE harm weights per police.uk crime type. These numbers are NOT official
#: values of any index: they only order the types loosely in the spirit of severity
#: indices such as the Cambridge Crime Harm Index (which weighs an offence by the
#: sentencing starting point in days of custody). police.uk's types are broad groups
#: (e.g. "Violence and sexual offences" spans common assault to rape), so a real
#: table must come from your force's or partnership's agreed weights: replace it with
#: :func:`read_harm_weights`.
HARM_WEIGHTS_EXAMPLE: Mapping[str, float] = MappingProxyType({
    "Anti-social behaviour": 1.0,
    "Bicycle theft": 2.0,
    "Shoplifting": 2.0,
    "Other theft": 3.0,
    "Vehicle crime": 4.0,
    "Criminal damage and arson": 5.0,
    "Public order": 5.0,
    "Other crime": 5.0,
    "Theft from the person": 8.0,
    "Drugs": 10.0,
    "Burglary": 20.0,
    "Possession of weapons": 20.0,
    "Robbery": 40.0,
    "Violence and sexual offences": 50.0,
})

HARM_NOTE = (
    "Harm weighting multiplies each offence by a weight for its crime type before counting. "
    "The built-in table is an ILLUSTRATIVE example, not official weights: load your own "
    "table (a CSV with columns crime_type, weight) agreed with your force or partnership, "
    "e.g. derived from the Cambridge Crime Harm Index."
)


def _fail(label: str, what: str, fix: str) -> InputDataError:
    return InputDataError(f"{label}: {what}. {fix}")


def read_harm_weights(
    path: str | Path | bytes,
    *,
    categories: Iterable[str] | None = POLICE_UK_CATEGORIES,
    label: str | None = None,
) -> dict[str, float]:
    """Read a harm-weight table: a CSV with columns ``crime_type`` and ``weight``.

    Parameters
    ----------
    path
        CSV file (or its bytes). Header names are matched ignoring case and spaces.
    categories
        Crime types the table must cover (default: police.uk's types; a weight for
        anti-social behaviour is optional, it is never counted as crime); ``None``
        accepts any types.
    label
        Name used in messages (default: the file name).

    Returns
    -------
    dict
        ``{crime_type: weight}``.

    Raises
    ------
    InputDataError
        Missing columns, a blank or repeated type, a weight that is not a number
        >= 0, a type not in ``categories``, or a type of ``categories`` missing;
        each message names the file, row and fix.
    """
    name = label or (Path(path).name if not isinstance(path, bytes) else "harm weights")
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(_io.StringIO(text)))
    if not rows:
        raise EmptyInputError(f"{name}: the file is empty. Give a CSV with columns "
                              "crime_type, weight.")
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    missing = [c for c in ("crime_type", "weight") if c not in header]
    if missing:
        raise ColumnMappingError(f"{name}: no column(s) {missing} in the header {rows[0]}. "
                                 "The first row must name the columns crime_type and weight.")
    ti, wi = header.index("crime_type"), header.index("weight")
    out: dict[str, float] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        ctype = row[ti].strip() if ti < len(row) else ""
        raw = row[wi].strip() if wi < len(row) else ""
        if not ctype:
            raise _fail(name, f"row {n}, column crime_type is blank", "Name the crime type.")
        try:
            weight = float(raw)
        except ValueError:
            raise _fail(name, f"row {n}, column weight: {raw!r} is not a number",
                        "Give a number >= 0.") from None
        if not math.isfinite(weight) or weight < 0:
            raise _fail(name, f"row {n}, column weight: {raw!r} is not a number >= 0",
                        "Give a number >= 0.")
        if ctype in out:
            raise _fail(name, f"row {n}: crime type {ctype!r} is listed twice",
                        "Keep one row per crime type.")
        out[ctype] = weight
    if categories is not None:
        cats = list(categories)
        unknown = [c for c in out if c not in cats]
        if unknown:
            raise _fail(name, f"crime type(s) {unknown} are not police.uk crime types",
                        f"Use the exact names: {cats}.")
        absent = [c for c in cats if c not in out and c != ASB_CATEGORY]
        if absent:
            raise _fail(name, f"no weight for crime type(s) {absent}",
                        "Add a row for each (weight 0 leaves a type out).")
    if not out:
        raise EmptyInputError(f"{name}: the table has no rows. Add one row per crime type.")
    return out


def harm_weights_for(
    records: pd.DataFrame, table: Mapping[str, float], *, category: str = "category"
) -> pd.Series:
    """Return each record's harm weight (a float Series aligned with ``records``).

    Parameters
    ----------
    records
        Records with a crime-type column.
    table
        ``{crime_type: weight}`` (:data:`HARM_WEIGHTS_EXAMPLE` or
        :func:`read_harm_weights`).
    category
        Crime-type column.

    Raises
    ------
    InputDataError
        Records whose crime type has no weight (the types and their counts named).
    """
    if category not in records.columns:
        raise ColumnMappingError(f"The records have no {category!r} column for harm weights.")
    w = records[category].map(dict(table))
    if w.isna().any():
        miss = records.loc[w.isna(), category].astype(str).value_counts()
        listed = ", ".join(f"{k!r} ({v})" for k, v in miss.items())
        raise InputDataError(f"No harm weight for crime type(s) {listed}. Add them to the "
                             "harm-weight table.")
    return w.astype(float).rename("harm")
