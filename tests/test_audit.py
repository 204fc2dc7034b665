"""The export audit log: written by the page's downloads and the command line, read by ``audit``.

Every line is checked against what was done: who (the login name on a laptop),
what (the export and its files), the selection and the suppression threshold.
"""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hotspots import cli
from hotspots.report import audit

APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture()
def audit_log(_audit_log_in_a_temporary_folder: Path) -> Path:
    """The run's audit log (tests/conftest.py sends every export there)."""
    return _audit_log_in_a_temporary_folder


def _entries(log: Path) -> list[dict]:
    return [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x.strip()]


def _append_many(args: tuple[str, int, int]) -> None:
    path, who, n = args
    for i in range(n):
        audit.append_entry(Path(path), audit.audit_entry(
            user=f"u{who}", via="cli", export="x" * 2000, files=[f"f{i}.csv"], data="d",
            selection=None, suppress_below=None))


def test_concurrent_appends_never_interleave(tmp_path):
    log = tmp_path / "a" / "log.jsonl"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_append_many, [(str(log), w, 50) for w in range(4)])
    got = audit.read_entries(log)
    assert got.bad_lines == () and len(got.entries) == 200
    assert sorted({e["user"] for e in got.entries}) == ["u0", "u1", "u2", "u3"]
    assert log.stat().st_mode & 0o777 == 0o600  # the owner's only


def test_filters_and_unreadable_lines(tmp_path):
    log = tmp_path / "log.jsonl"
    day = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    for user, measure in (("ann@council.gov.uk", "referrals:all"), ("bob@x.org", "crime:all")):
        audit.append_entry(log, audit.audit_entry(
            user=user, via="page", export="board pack (PDF)", files=["p.pdf"], data="d",
            selection={"measure": measure, "month_from": "2025-04", "month_to": "2026-03",
                       "rate": "count", "boroughs": []}, suppress_below=5, when=day))
    with open(log, "a", encoding="utf-8") as f:
        f.write("{not json\n")
    got = audit.read_entries(log)
    assert got.bad_lines == (3,) and len(got.entries) == 2
    assert [e["user"] for e in audit.filter_entries(got.entries, user="council.gov.uk")] == [
        "ann@council.gov.uk"]
    assert audit.filter_entries(got.entries, since="2026-03-03") == []
    assert len(audit.filter_entries(got.entries, since="2026-03-02", until="2026-03-02")) == 2
    assert [e["user"] for e in audit.filter_entries(got.entries, measure="crime")] == [
        "bob@x.org"]
    table = audit.to_frame(got.entries)
    assert table["period"].tolist() == ["2025-04 to 2026-03"] * 2
    assert table["time"].iloc[0] == "2026-03-02T09:30:00Z"


def test_cli_table_is_recorded_and_audit_reads_it(tmp_path, capsys, audit_log):
    log = audit_log
    before = len(_entries(log)) if log.exists() else 0
    out = tmp_path / "o"
    assert cli.main(["table", "--measure", "referrals:all", "--suppress-below", "7",
                     "--borough", "Lambeth", "--out", str(out)]) == 0
    new = _entries(log)[before:]
    assert len(new) == 1
    e = new[0]
    assert e["via"] == "cli" and e["user"].startswith("local:") and e["export"] == "table (files)"
    assert e["suppress_below"] == 7 and e["selection"]["measure"] == "referrals:all"
    assert e["selection"]["boroughs"] == ["Lambeth"] and "ward_table.csv" in e["files"]
    capsys.readouterr()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert cli.main(["audit", "--since", today, "--measure", "referrals", "--json"]) == 0
    printed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert printed[-1] == e
    assert cli.main(["audit", "--user", "nobody-such", "--csv", str(tmp_path / "a.csv")]) == 0
    assert "No export matches." in capsys.readouterr().out
    assert cli.main(["audit", "--since", "March", "--log", str(log)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert cli.main(["audit", "--log", str(tmp_path / "none.jsonl")]) == 2


def test_page_board_pack_download_is_recorded(audit_log, monkeypatch):
    import ui.report

    def small(_pack, cfg):  # the pack's bytes do not matter here, its record does
        return ui.report.BuiltPack("pack.pdf", b"%PDF-1.4", "pack.zip", b"PK", "2 files",
                                   (f"threshold {cfg.suppress_below}",))

    monkeypatch.setattr(ui.report, "build_pack_bytes", small)
    log = audit_log
    at = AppTest.from_file(str(APPS / "report_harness.py"), default_timeout=180)
    at.run()
    next(n for n in at.number_input if n.label == "Suppress counts below").set_value(6)
    at.button(key="hs_report_build").click().run()
    assert not at.exception, at.exception
    before = len(_entries(log)) if log.exists() else 0
    at.download_button(key="hs_report_pdf").click().run()
    assert not at.exception, at.exception
    new = _entries(log)[before:]
    assert len(new) == 1
    e = new[0]
    built = at.session_state["hs_report_built"]
    assert e["via"] == "page" and e["export"] == "board pack (PDF)"
    assert e["files"] == [built.pdf_name] and e["suppress_below"] == 6
    assert e["selection"] == {"measure": "referrals:all", "month_from": "2025-04",
                              "month_to": "2026-03", "rate": "count",
                              "boroughs": ["Lambeth", "Southwark"]}
    assert e["user"].startswith("local:")  # a laptop: no login


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday"])
def test_bad_dates_are_named(bad):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        audit.filter_entries([], since=bad)
