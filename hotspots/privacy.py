"""Small-number suppression and escaping for everything shown or exported.

Referral counts are about vulnerable people: counts from 1 to ``threshold - 1``
are shown as ``"<threshold"``; zero is shown as zero (it reveals no person).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 5
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def suppressed_mask(counts: pd.Series, *, threshold: int = DEFAULT_THRESHOLD) -> pd.Series:
    """Return True where a count must be hidden (``0 < count < threshold``).

    Parameters
    ----------
    counts
        Counts (NaN = no data, never suppressed).
    threshold
        Smallest count that may be shown; ``0`` or ``1`` disables suppression.

    Returns
    -------
    Series of bool
    """
    c = pd.to_numeric(counts, errors="coerce")
    return ((c > 0) & (c < threshold)).fillna(False).astype(bool)


def display_counts(
    counts: pd.Series,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    sensitive: bool = True,
    no_data: str = "no data",
) -> pd.Series:
    """Format counts for display, suppressing small ones when sensitive.

    Parameters
    ----------
    counts
        Counts, NaN where the area has no data.
    threshold
        Suppression threshold (counts below it, except 0, become ``"<t"``).
    sensitive
        Apply suppression (referrals) or not (recorded crime).
    no_data
        Text for NaN.

    Returns
    -------
    Series of str

    Examples
    --------
    >>> display_counts(pd.Series([0, 3, 12, float("nan")])).tolist()
    ['0', '<5', '12', 'no data']
    """
    c = pd.to_numeric(counts, errors="coerce")
    out = c.map(lambda v: no_data if pd.isna(v) else f"{int(round(v)):,}")
    if sensitive:
        out = out.where(~suppressed_mask(c, threshold=threshold), f"<{threshold}")
    return out.astype(str)


def display_values(
    values: pd.Series,
    suppressed: pd.Series,
    *,
    decimals: int = 1,
    threshold: int = DEFAULT_THRESHOLD,
    no_data: str = "no data",
) -> pd.Series:
    """Format derived values (rates) hiding those whose count is suppressed.

    A rate with a known population reveals its count, so it is suppressed
    wherever the count is.

    Parameters
    ----------
    values
        Values to format.
    suppressed
        Mask from :func:`suppressed_mask` for the underlying counts.
    decimals
        Decimal places.
    threshold
        Threshold used for the count (for the label).
    no_data
        Text for NaN.

    Returns
    -------
    Series of str
    """
    v = pd.to_numeric(values, errors="coerce")
    out = v.map(lambda x: no_data if pd.isna(x) else f"{x:,.{decimals}f}")
    return out.where(~suppressed.astype(bool), f"suppressed (count <{threshold})").astype(str)


def escape_text(value: object) -> str:
    """HTML-escape user-supplied text for maps, tooltips and popups."""
    return html.escape("" if value is None or (isinstance(value, float) and np.isnan(value))
                       else str(value), quote=True)


def neutralise_formula(value: object) -> object:
    r"""Prefix spreadsheet-formula-looking text with a quote for CSV/XLSX export.

    Examples
    --------
    >>> neutralise_formula("=HYPERLINK(1)"), neutralise_formula("\t=1"), neutralise_formula(3)
    ("'=HYPERLINK(1)", "'\t=1", 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_for_spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with every text cell *and every column header* neutralised.

    Text in categorical columns is neutralised too (their categories are text).
    This is the one place every CSV/XLSX the product writes (page and command
    line) passes through: :func:`csv_bytes`, :func:`write_csv`, and the board
    pack's workbook.

    Examples
    --------
    >>> f = safe_for_spreadsheet(pd.DataFrame({"=cmd|' /C calc'!A0": ["+1+2"], "n": [1]}))
    >>> list(f.columns), f.iloc[0, 0]
    (["'=cmd|' /C calc'!A0", 'n'], "'+1+2")
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).map(neutralise_formula)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(neutralise_formula)
    out.columns = [neutralise_formula(c) for c in out.columns]
    if out.index.name is not None:
        out.index.name = neutralise_formula(out.index.name)
    return out


def csv_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    r"""Return ``frame`` as UTF-8 CSV bytes with every cell and header neutralised.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"@x": ["=1"]}))
    b"'@x\n'=1\n"
    """
    text = safe_for_spreadsheet(frame).to_csv(index=index, lineterminator="\n")
    return text.encode("utf-8")


def write_csv(frame: pd.DataFrame, path: Path | str, *, index: bool = False) -> Path:
    """Write ``frame`` as a CSV whose every cell and header is neutralised; return the path."""
    p = Path(path)
    p.write_bytes(csv_bytes(frame, index=index))
    return p


_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def safe_sheet_name(text: str, *, fallback: str = "Sheet") -> str:
    r"""Return a valid Excel sheet name that cannot be read as a formula.

    At most 31 characters, none of ``[ ] : * ? / \`` or control characters, no
    leading or trailing apostrophe, and no leading ``= + - @``.

    Examples
    --------
    >>> safe_sheet_name("=HYPERLINK(x)"), safe_sheet_name("a/b"), safe_sheet_name("''")
    ('HYPERLINK(x)', 'a-b', 'Sheet')
    """
    s = _SHEET_BAD.sub("-", str(text)).lstrip("".join(FORMULA_PREFIXES) + "' ").rstrip("' ")
    return s[:31].rstrip("' ") or fallback
