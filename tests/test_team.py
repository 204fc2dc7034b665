"""Team settings (team.toml): the allow-list and the audit log's place."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotspots import team
from hotspots._errors import InputDataError

ROOT = Path(__file__).resolve().parents[1]


def test_no_file_means_laptop_defaults(tmp_path):
    cfg = team.load_team_config(tmp_path / "absent.toml")
    assert not cfg.has_allow_list
    assert cfg.audit_log == ROOT / "audit" / "exports.jsonl"
    assert not team.is_allowed("anyone@council.gov.uk", cfg)  # an empty list allows no one


def test_the_example_file_reads(tmp_path):
    cfg = team.load_team_config(ROOT / "team.example.toml")
    assert cfg.allowed_domains == {"council.gov.uk"}
    assert team.is_allowed("b@council.gov.uk", cfg) and not team.is_allowed("b@x.org", cfg)
    assert cfg.audit_log == Path("/var/lib/hotspots/audit/exports.jsonl")


def test_env_var_names_the_file(tmp_path, monkeypatch):
    p = tmp_path / "t.toml"
    p.write_text('[access]\nallowed_users = ["Ann@X.org "]\n[audit]\nlog = "a/b.jsonl"\n')
    monkeypatch.setenv(team.ENV_VAR, str(p))
    cfg = team.load_team_config()
    assert cfg.allowed_users == {"ann@x.org"} and cfg.audit_log == ROOT / "a" / "b.jsonl"


@pytest.mark.parametrize("text, words", [
    ("[access\n", "not valid TOML"),
    ('[access]\nallowed_domains = "council.gov.uk"\n', "must be a list"),
    ('[access]\nallowed_domain = ["x"]\n', "does not know allowed_domain"),
    ("[audit]\nlog = 3\n", "file path in quotes"),
])
def test_bad_settings_are_named(tmp_path, text, words):
    p = tmp_path / "team.toml"
    p.write_text(text)
    with pytest.raises(InputDataError, match=words):
        team.load_team_config(p)
