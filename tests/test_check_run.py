"""tests/check_run.py: the gate that says the suite really ran."""

from __future__ import annotations

import json

from tests import check_run


def _tally(**over):  # type: ignore[no-untyped-def]
    t = {"passed": 100, "failed": 0, "skipped": 0, "collection_skipped": [], "doctests": 80,
         "realdata": {"ran": 60, "skipped": 0}, "browser": {"ran": 25, "skipped": 0},
         "shared_data_present": True, "chromium_present": True}
    t.update(over)
    return t


def _run(tmp_path, tally, expected=None, monkeypatch=None):  # type: ignore[no-untyped-def]
    f = tmp_path / "markers.json"
    f.write_text(json.dumps(tally))
    exp = tmp_path / "expected.json"
    exp.write_text(json.dumps(expected or {"realdata": 55, "browser": 22, "doctests": 78}))
    monkeypatch.setattr(check_run, "EXPECTED", exp)
    return check_run.main(str(f))


def test_a_full_run_passes(tmp_path, monkeypatch):
    assert _run(tmp_path, _tally(), monkeypatch=monkeypatch) == 0


def test_a_module_skipped_at_collection_fails_the_run(tmp_path, monkeypatch, capsys):
    t = _tally(collection_skipped=["tests/realdata/test_pygeoda_agreement.py"])
    assert _run(tmp_path, t, monkeypatch=monkeypatch) == 1
    assert "skipped at collection" in capsys.readouterr().err


def test_fewer_real_data_tests_than_recorded_fail_the_run(tmp_path, monkeypatch, capsys):
    t = _tally(realdata={"ran": 44, "skipped": 0})
    assert _run(tmp_path, t, monkeypatch=monkeypatch) == 1
    assert "realdata: 44 ran, at least 55 expected" in capsys.readouterr().err


def test_fewer_doctests_than_recorded_fail_the_run(tmp_path, monkeypatch):
    assert _run(tmp_path, _tally(doctests=3), monkeypatch=monkeypatch) == 1


def test_without_shared_data_real_data_minimum_does_not_apply(tmp_path, monkeypatch):
    t = _tally(realdata={"ran": 0, "skipped": 0}, shared_data_present=False)
    assert _run(tmp_path, t, monkeypatch=monkeypatch) == 0


def test_a_skipped_spark_test_fails_the_run_where_java_exists(tmp_path, monkeypatch, capsys):
    t = _tally(spark={"ran": 0, "skipped": 1}, java_present=True)
    assert _run(tmp_path, t, monkeypatch=monkeypatch) == 1
    assert "spark tests: 0 ran, 1 skipped (all must run here)" in capsys.readouterr().err


def test_fewer_spark_tests_than_recorded_fail_the_run_where_java_exists(tmp_path, monkeypatch):
    exp = {"realdata": 55, "browser": 22, "doctests": 78, "spark": 3}
    t = _tally(spark={"ran": 2, "skipped": 0}, java_present=True)
    assert _run(tmp_path, t, exp, monkeypatch=monkeypatch) == 1
    t = _tally(spark={"ran": 0, "skipped": 0}, java_present=False)  # no Java: not required
    assert _run(tmp_path, t, exp, monkeypatch=monkeypatch) == 0


def test_recorded_minimums_are_in_the_repo():
    exp = json.loads(check_run.EXPECTED.read_text())
    assert set(exp) == {"realdata", "browser", "doctests", "spark"} and min(exp.values()) > 0
