"""The export audit log: who exported what, when, with which selection and threshold.

Disclosure control in practice needs a record. Every export (the page's board
pack PDF and zip, CSV downloads; the command line's board pack and tables) is
appended as one JSON line to a local file (``team.toml`` ``[audit] log``,
default ``audit/exports.jsonl`` in the project folder). Lines are only ever
appended (with an exclusive lock, so two sessions never interleave), never
rewritten. ``python -m hotspots audit`` reads and filters it.

A line::

    {"time": "2026-12-06T15:56:07Z", "user": "ann@council.gov.uk", "via": "page",
     "export": "board pack (zip)", "files": ["community-safety-board-pack.zip"],
     "data": "London wards demo pack", "selection": {"measure": "referrals:all",
     "month_from": "2025-04", "month_to": "2026-03", "rate": "count", "boroughs": []},
     "suppress_below": 5}
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hotspots import team
from hotspots._errors import InputDataError

__all__ = ["COLUMNS", "AuditRead", "append_entry", "audit_entry", "filter_entries",
           "local_user", "read_entries", "record", "selection_fields", "to_frame"]

#: Columns of :func:`to_frame`, in order.
COLUMNS = ("time", "user", "via", "export", "files", "data", "measure", "period", "rate",
           "boroughs", "suppress_below")


def selection_fields(selection: Any) -> dict[str, Any]:
    """Return the audit fields of a :class:`hotspots.pipeline.Selection` (or a dict like it).

    Examples
    --------
    >>> f = selection_fields({"measure": "crime:all", "month_from": "2025-01",
    ...                       "month_to": "2025-03", "rate": "count", "boroughs": ("Bow",)})
    >>> f["measure"], f["month_to"], f["boroughs"]
    ('crime:all', '2025-03', ['Bow'])
    """
    get = selection.get if isinstance(selection, Mapping) else (
        lambda k, d=None: getattr(selection, k, d))
    return {"measure": get("measure"), "month_from": get("month_from"),
            "month_to": get("month_to"), "rate": get("rate"),
            "boroughs": list(get("boroughs", ()) or ())}


def audit_entry(*, user: str, via: str, export: str, files: Sequence[str], data: str,
                selection: Mapping[str, Any] | None, suppress_below: int | None,
                when: datetime | None = None, **extra: Any) -> dict[str, Any]:
    """Return one audit line (a JSON-ready dict).

    Parameters
    ----------
    user
        The signed-in e-mail, or ``local:<login name>`` on a laptop or the command line.
    via
        ``"page"`` or ``"cli"``.
    export
        What was exported, in words (``"board pack (PDF)"``, ``"patrol list (CSV)"``).
    files
        The file names handed over.
    data
        The data it came from: the pack's title, ``uploads`` or the files given.
    selection
        From :func:`selection_fields` (``None`` when the export has none).
    suppress_below
        The suppression threshold applied (``None`` when nothing is suppressed:
        public recorded crime).
    when
        Default: now (UTC).
    **extra
        Anything else worth recording (e.g. the patrol settings).
    """
    t = (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"time": t, "user": user, "via": via, "export": export, "files": list(files),
            "data": data, "selection": dict(selection) if selection is not None else None,
            "suppress_below": suppress_below, **extra}


def append_entry(path: Path, entry: Mapping[str, Any]) -> Path:
    """Append one entry as a JSON line (creating the file and its folder; locked).

    The file is created readable and writable by its owner only (``0o600``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, sort_keys=False, default=str) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return path


def local_user() -> str:
    """Return ``local:<login name>``: the user of a laptop page or of the command line."""
    try:
        return "local:" + getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "local:unknown"


def record(entry: Mapping[str, Any], path: Path | None = None) -> Path:
    """Append ``entry`` to the audit log (default: ``team.toml`` ``[audit] log``)."""
    return append_entry(path if path is not None else team.load_team_config().audit_log, entry)


@dataclass(frozen=True)
class AuditRead:
    """Entries read from an audit log, and the line numbers that could not be read."""

    entries: tuple[dict[str, Any], ...]
    bad_lines: tuple[int, ...]


def read_entries(path: Path) -> AuditRead:
    """Read every entry of an audit log (unreadable lines are counted, not fatal).

    Raises
    ------
    InputDataError
        When the file does not exist (named, with what to do).
    """
    if not path.is_file():
        raise InputDataError(f"{path}: no audit log here yet (nothing exported, or another "
                             "file: see team.toml [audit] log, or give --log).")
    entries, bad = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for i, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                bad.append(i)
                continue
            if isinstance(e, dict):
                entries.append(e)
            else:
                bad.append(i)
    return AuditRead(tuple(entries), tuple(bad))


def _day(text: str, flag: str) -> str:
    try:
        return datetime.strptime(text, "%Y-%m-%d").strftime("%Y-%m-%d")
    except ValueError:
        raise InputDataError(f"{flag} {text!r}: give a date as YYYY-MM-DD.") from None


def filter_entries(entries: Iterable[Mapping[str, Any]], *, user: str | None = None,
                   since: str | None = None, until: str | None = None,
                   export: str | None = None, measure: str | None = None,
                   ) -> list[Mapping[str, Any]]:
    """Return the entries that match every filter given.

    Parameters
    ----------
    entries
        From :func:`read_entries`.
    user
        Text in the user (case-insensitive: an address or a domain).
    since, until
        First and last day, ``YYYY-MM-DD`` (UTC), both included.
    export
        Text in the export's description (``"board pack"``, ``"csv"``).
    measure
        Text in the selection's measure (``"referrals"``).

    Examples
    --------
    >>> es = [{"time": "2026-01-02T10:00:00Z", "user": "a@x.org", "export": "board pack (PDF)",
    ...        "selection": {"measure": "referrals:all"}},
    ...       {"time": "2026-01-03T09:00:00Z", "user": "b@y.org", "export": "patrol list (CSV)",
    ...        "selection": None}]
    >>> [e["user"] for e in filter_entries(es, since="2026-01-03")]
    ['b@y.org']
    >>> [e["user"] for e in filter_entries(es, measure="referrals", until="2026-01-02")]
    ['a@x.org']
    """
    lo = _day(since, "--since") if since else None
    hi = _day(until, "--until") if until else None
    out = []
    for e in entries:
        day = str(e.get("time", ""))[:10]
        sel = e.get("selection") or {}
        if user and user.lower() not in str(e.get("user", "")).lower():
            continue
        if lo and day < lo or hi and day > hi:
            continue
        if export and export.lower() not in str(e.get("export", "")).lower():
            continue
        if measure and measure.lower() not in str(sel.get("measure") or "").lower():
            continue
        out.append(e)
    return out


def to_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Return entries as a table with :data:`COLUMNS` (period ``from to to``; lists joined)."""
    rows = []
    for e in entries:
        sel = e.get("selection") or {}
        period = (f"{sel.get('month_from')} to {sel.get('month_to')}"
                  if sel.get("month_from") else "")
        rows.append({"time": e.get("time"), "user": e.get("user"), "via": e.get("via"),
                     "export": e.get("export"), "files": "; ".join(e.get("files") or ()),
                     "data": e.get("data"), "measure": sel.get("measure") or "",
                     "period": period, "rate": sel.get("rate") or "",
                     "boroughs": "; ".join(sel.get("boroughs") or ()),
                     "suppress_below": e.get("suppress_below")})
    return pd.DataFrame(rows, columns=list(COLUMNS))
