"""Where every input row went: the reconciliation every join ends with.

``rows_in == assigned + unlocated + outside + rejected`` always holds
(:class:`Reconciliation` refuses anything else), and a per-row detail frame
(:func:`unassigned_rows`) says which rows were not assigned and why. The joins
of :mod:`hotspots.areas.join`, the patrol grid (:mod:`hotspots.patrol.grid`)
and the pack's LSOA placement end here (:func:`reconcile`; points:
:func:`reconcile_points`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "RECONCILIATION_COLUMNS",
    "STATUS_ASSIGNED",
    "STATUS_OUTSIDE",
    "STATUS_REJECTED",
    "STATUS_UNLOCATED",
    "Reconciliation",
    "reconcile",
    "reconcile_points",
    "reconciliation_frame",
    "unassigned_rows",
]

STATUS_ASSIGNED = "assigned"
STATUS_UNLOCATED = "unlocated"
STATUS_OUTSIDE = "outside"
STATUS_REJECTED = "rejected"

RECONCILIATION_COLUMNS = ["source", "rows_in", "assigned", "unlocated", "outside", "rejected"]


@dataclass(frozen=True)
class Reconciliation:
    """Where every input row went.

    Attributes
    ----------
    source
        Label of the input (file or dataset).
    rows_in
        Rows that entered the join (including rows the reader rejected).
    assigned, unlocated, outside, rejected
        Rows assigned to exactly one area; rows *without a location* (none
        given, or a ward name that is not exactly one area of the layer:
        unknown, ambiguous or in another borough); rows whose location lies in
        no area (coordinates outside, or a code the layer does not have);
        rows rejected by the reader.
    details
        One row per *unassigned* input row: ``source``, ``source_row``,
        ``status``, ``reason``.
    """

    source: str
    rows_in: int
    assigned: int
    unlocated: int
    outside: int
    rejected: int
    details: pd.DataFrame = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        total = self.assigned + self.unlocated + self.outside + self.rejected
        if total != self.rows_in:
            raise RuntimeError(
                f"reconciliation of {self.source} does not add up: {self.rows_in} in, "
                f"{self.assigned} + {self.unlocated} + {self.outside} + {self.rejected} = {total}"
            )

    def to_row(self) -> dict[str, object]:
        """Return the counts as one table row."""
        return {c: getattr(self, c) for c in RECONCILIATION_COLUMNS}

    def text(self) -> str:
        """Return a one-line plain-words summary."""
        return (
            f"{self.source}: {self.rows_in:,} rows read = {self.assigned:,} assigned + "
            f"{self.unlocated:,} without a location + {self.outside:,} outside the study area + "
            f"{self.rejected:,} rejected"
        )


def reconciliation_frame(recs: list[Reconciliation]) -> pd.DataFrame:
    """Stack reconciliations into one table (one row per source)."""
    return pd.DataFrame([r.to_row() for r in recs], columns=RECONCILIATION_COLUMNS)


def unassigned_rows(frame: pd.DataFrame, status: str, reason: str | pd.Series) -> pd.DataFrame:
    """Return the detail rows of records that were not assigned, with why.

    Parameters
    ----------
    frame
        The records (``source`` and ``source_row`` columns when they have them).
    status
        :data:`STATUS_UNLOCATED`, :data:`STATUS_OUTSIDE` or :data:`STATUS_REJECTED`.
    reason
        One reason for every row, or one per row.

    Returns
    -------
    DataFrame
        ``source``, ``source_row``, ``status``, ``reason``: one row per record.
    """
    n = len(frame)
    out = pd.DataFrame(
        {
            "source": frame["source"].to_numpy() if "source" in frame else np.full(n, ""),
            "source_row": (
                frame["source_row"].to_numpy() if "source_row" in frame else np.full(n, -1)
            ),
            "status": np.full(n, status, dtype=object),
        }
    )
    out["reason"] = reason.to_numpy() if isinstance(reason, pd.Series) else reason
    return out


def reconcile(
    source: str,
    assigned: pd.DataFrame,
    parts: list[pd.DataFrame],
    rejected_in: pd.DataFrame | None,
) -> tuple[pd.DataFrame, Reconciliation]:
    """End a join: stack the detail rows and count where every row went.

    Parameters
    ----------
    source
        Label of the input.
    assigned
        The records that were assigned.
    parts
        Detail rows of the records that were not (:func:`unassigned_rows`).
    rejected_in
        Rows the reader rejected (with a ``reason``), or ``None``.

    Returns
    -------
    tuple
        The assigned records (index reset) and their :class:`Reconciliation`.
    """
    if rejected_in is not None and len(rejected_in):
        parts = parts + [
            unassigned_rows(
                rejected_in, STATUS_REJECTED, rejected_in.get("reason", "rejected by reader")
            )
        ]
    details = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["source", "source_row", "status", "reason"])
    )
    counts = details["status"].value_counts()
    rec = Reconciliation(
        source=source,
        rows_in=len(assigned) + len(details),
        assigned=len(assigned),
        unlocated=int(counts.get(STATUS_UNLOCATED, 0)),
        outside=int(counts.get(STATUS_OUTSIDE, 0)),
        rejected=int(counts.get(STATUS_REJECTED, 0)),
        details=details.sort_values(["source", "source_row"], kind="stable").reset_index(
            drop=True
        ),
    )
    return assigned.reset_index(drop=True), rec


def reconcile_points(
    source: str,
    records: pd.DataFrame,
    assigned: pd.DataFrame,
    has_xy: np.ndarray,
    inside: np.ndarray,
    rejected: pd.DataFrame | None,
    *,
    where: str,
) -> tuple[pd.DataFrame, Reconciliation]:
    """End a point join: rows without coordinates are unlocated, located rows not inside outside.

    Parameters
    ----------
    source
        Label of the input.
    records
        Every record of the join (only ``source`` and ``source_row`` are read).
    assigned
        The records that were assigned.
    has_xy, inside
        Per record: it has both coordinates; it was assigned.
    rejected
        Rows the reader rejected, or ``None``.
    where
        What a located but unassigned point lies outside, in words
        (``"every area"``, ``"the study area"``).

    Returns
    -------
    tuple
        As :func:`reconcile`.

    Examples
    --------
    >>> recs = pd.DataFrame({"source": "f", "source_row": [2, 3, 4], "x": [1.0, None, 9.0]})
    >>> _, rec = reconcile_points("f", recs, recs.iloc[:1],
    ...                           np.array([True, False, True]),
    ...                           np.array([True, False, False]), None, where="every area")
    >>> rec.text()
    'f: 3 rows read = 1 assigned + 1 without a location + 1 outside the study area + 0 rejected'
    >>> rec.details["reason"].tolist()
    ['no coordinates', 'coordinates lie outside every area']
    """
    brief = records[[c for c in ("source", "source_row") if c in records]]
    parts = [
        unassigned_rows(brief.loc[~has_xy], STATUS_UNLOCATED, "no coordinates"),
        unassigned_rows(brief.loc[has_xy & ~inside], STATUS_OUTSIDE,
                        f"coordinates lie outside {where}"),
    ]
    return reconcile(source, assigned, parts, rejected)
