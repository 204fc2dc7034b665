"""``python -m hotspots audit``: read and filter the export audit log.

The log itself is :mod:`hotspots.report.audit`; this module only parses the
flags and prints (or writes) the entries.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def audit_arguments(sub) -> None:  # type: ignore[no-untyped-def]
    """Add the ``audit`` command to the command line's subparsers."""
    p = sub.add_parser("audit", help="read the export audit log: who exported what, when, "
                                     "with which selection and suppression threshold")
    p.add_argument("--log", type=Path, help="the audit log (default: team.toml [audit] log, "
                                            "else audit/exports.jsonl)")
    p.add_argument("--user", help="entries whose user contains this (an address or domain)")
    p.add_argument("--since", help="first day, YYYY-MM-DD (UTC)")
    p.add_argument("--until", help="last day, YYYY-MM-DD (UTC)")
    p.add_argument("--export", help="entries whose export contains this, e.g. 'board pack'")
    p.add_argument("--measure", help="entries whose measure contains this, e.g. referrals")
    p.add_argument("--json", action="store_true", help="print the matching JSON lines as stored")
    p.add_argument("--csv", type=Path, help="also write the matching entries to this CSV")


def run_audit(a: argparse.Namespace) -> int:
    """Run ``python -m hotspots audit``; return the exit code (2 on bad input)."""
    from hotspots import privacy, team
    from hotspots._errors import InputDataError
    from hotspots.report import audit

    try:
        path = a.log if a.log is not None else team.load_team_config().audit_log
        got = audit.read_entries(path)
        rows = audit.filter_entries(got.entries, user=a.user, since=a.since, until=a.until,
                                    export=a.export, measure=a.measure)
    except InputDataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if a.json:
        for e in rows:
            print(json.dumps(e, ensure_ascii=False))
    else:
        table = audit.to_frame(rows)
        print(table.to_string(index=False) if len(table) else "No export matches.")
    print(f"{len(rows):,} of {len(got.entries):,} entries in {path}", file=sys.stderr)
    if got.bad_lines:
        print(f"warning: {len(got.bad_lines)} line(s) could not be read (lines "
              f"{', '.join(map(str, got.bad_lines[:10]))}); the file may have been edited.",
              file=sys.stderr)
    if a.csv is not None:
        privacy.write_csv(audit.to_frame(rows), a.csv)
    return 0
