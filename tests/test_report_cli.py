"""Board-pack config (TOML) validation and ``python -m hotspots report``."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotspots import cli
from hotspots.report import ReportConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "report.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_example_config_documents_and_parses():
    cfg = load_config(ROOT / "report.example.toml")
    assert cfg.pack == ROOT / "data" / "demo"
    assert cfg.measures == ("crime:all", "referrals:all")
    assert cfg.statistics.permutations == 9999 and cfg.statistics.correction == "fdr"
    assert cfg.suppress_below == 5 and cfg.marking == "OFFICIAL"
    assert cfg.output == ROOT / "out" / "board-pack"
    assert cfg.comparison == "same_period_last_year"


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    cfg = load_config(_write(tmp_path, 'output = "packs/q1"\nmarking = "official-sensitive"\n'
                                       '[data]\npack = "../demo"\n'))
    assert cfg.output == tmp_path / "packs" / "q1"
    assert cfg.pack == tmp_path / ".." / "demo"
    assert cfg.marking == "OFFICIAL-SENSITIVE"


@pytest.mark.parametrize("text, words", [
    ('colour = "red"\n', "unknown key 'colour'"),
    ('[statistics]\npermutations = "many"\n', "'statistics.permutations' must be a whole number"),
    ('[statistics]\npermutations = 10\n', "'statistics.permutations' must be between 99"),
    ('[statistics]\ncorrection = "holm"\n', "'statistics.correction' must be one of"),
    ('[statistics]\nseeds = 1\n', "unknown key 'statistics.seeds'"),
    ('[period]\nfrom = "April"\n', "'period.from' must be a month 'YYYY-MM'"),
    ('[period]\nfrom = "2025-06"\nto = "2025-01"\n', "'period.from' (2025-06) is after"),
    ('measures = "crime:all"\n', "'measures' must be a list of strings"),
    ('measures = ["burglary"]\n', "keys start with 'crime:' or 'referrals:'"),
    ('formats = ["pdf", "docx"]\n', "'formats' has ['docx']"),
    ('[disclosure]\nthreshold = true\n', "'disclosure.threshold' must be a whole number"),
    ('[data]\npack = "x"\nareas = "w.gpkg"\n', "use a pack folder or files, not both"),
    ('[data]\nreferrals = "r.csv"\nareas = "w.gpkg"\n', "'data.referrals' needs 'data.mapping'"),
    ('statistics = 5\n', "[statistics] must be a table"),
    ('rate = "weekly"\n', "'rate' must be one of ['count', 'per_1000', 'eb_per_1000']"),
    ('[map]\nscheme = "jenks"\n', "'map.scheme' must be one of"),
    ('[map]\nscheme = "user_defined"\n', "'map.scheme' = 'user_defined' needs 'map.bins'"),
    ('[map]\nbins = [10, 5]\n', "'map.bins' must be in ascending order"),
    ('[map]\npalette = "viridis"\n', "'map.palette' must be one of"),
], ids=["unknown-top", "type", "range", "choice", "unknown-sub", "month", "backwards",
        "measures-type", "measure-key", "format", "bool-not-int", "pack-and-files",
        "referrals-mapping", "section-type", "rate", "scheme", "bins-needed", "bins-order",
        "palette"])
def test_bad_config_names_key_and_file(tmp_path, text, words):
    path = _write(tmp_path, text)
    with pytest.raises(ReportConfigError) as e:
        load_config(path)
    assert words in str(e.value)
    assert str(path) in str(e.value)


def test_defaults_are_the_pages_and_the_command_lines():
    from dataclasses import asdict

    from hotspots.pipeline.analysis import StatsParams
    from hotspots.report import ReportConfig, config_from_mapping

    assert ReportConfig().statistics == config_from_mapping({}).statistics == StatsParams()
    args = cli._parser().parse_args(["analyse", "--out", "x"])
    d = asdict(StatsParams())
    # --k and --threshold are refused unless their weights are chosen, so they parse as
    # None and the command uses StatsParams' values (hotspots.cli._analyse).
    parsed = {k: getattr(args, k) for k in d}
    assert parsed["k"] is None and parsed["threshold"] is None
    assert {**parsed, "k": d["k"], "threshold": d["threshold"]} == d


def test_written_config_rebuilds_the_same_config(tmp_path):
    from dataclasses import replace

    from hotspots.report import MapClasses, ReportConfig, config_toml

    cfg = ReportConfig(
        title='Q1 "board" pack', measures=("crime:major:ROBBERY", "referrals:all"),
        month_from="2025-04", month_to="2026-03", rate="eb_per_1000",
        map_classes=MapClasses(scheme="user_defined", bins=(5, 10, 20.5), palette="Blues"),
        boroughs=("Lambeth",), suppress_below=7, pack=ROOT / "data" / "demo")
    again = load_config(_write(tmp_path, config_toml(cfg)))
    assert replace(again, source=None, output=cfg.output) == cfg


def test_written_config_keeps_first_class_from_zero(tmp_path):
    from hotspots.report import MapClasses, ReportConfig, config_toml

    cfg = ReportConfig(map_classes=MapClasses(from_zero=False), pack=ROOT / "data" / "demo")
    text = config_toml(cfg)
    assert "first_class_from_zero = false" in text  # beside the page's other map choices
    assert load_config(_write(tmp_path, text)).map_classes.from_zero is False
    assert ReportConfig().map_classes.from_zero is True  # on by default, as on the page


def test_all_problems_reported_at_once(tmp_path):
    path = _write(tmp_path, 'titel = "x"\n[statistics]\nalpha = 2\nseed = -1\n')
    with pytest.raises(ReportConfigError, match=r"3 problem\(s\)") as e:
        load_config(path)
    for key in ("'titel'", "'statistics.alpha'", "'statistics.seed'"):
        assert key in str(e.value)


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ReportConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "title = 'unterminated\n"))
    with pytest.raises(ReportConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_cli_bad_config_exits_2_with_the_message(tmp_path, capsys):
    path = _write(tmp_path, "[statistics]\npermutations = 'lots'\n")
    assert cli.main(["report", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "statistics.permutations" in err and str(path) in err


def test_cli_builds_the_pack(tmp_path, capsys):
    path = _write(tmp_path, f'''
title = "Q1 pack: Lambeth & Southwark"
measures = ["referrals:all"]
boroughs = ["Lambeth", "Southwark"]
formats = ["csv", "pdf"]
output = "ignored"
[data]
pack = "{(ROOT / "data" / "demo").as_posix()}"
[period]
from = "2025-04"
to = "2026-03"
[statistics]
permutations = 99
seed = 3
''')
    out = tmp_path / "out"
    assert cli.main(["report", "--config", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "All referrals (SYNTHETIC): " in printed and "Wrote " in printed
    names = sorted(p.name for p in out.iterdir())
    assert "q1-pack-lambeth-southwark.pdf" in names
    assert {"referrals-all_boroughs.csv", "referrals-all_wards.csv", "manifest.json",
            "notes.csv"} <= set(names)
    assert not (tmp_path / "ignored").exists()
    boroughs = (out / "referrals-all_boroughs.csv").read_text().splitlines()
    assert boroughs[0].startswith("Rank,Borough,Count,Previous")
    assert {b.split(",")[1] for b in boroughs[1:]} == {"Lambeth", "Southwark", "Total"}


def test_a_pack_without_crime_or_referrals_gets_a_deprivation_and_population_pack(
        tmp_path, capsys):
    """A pack built without --police-uk (e.g. Manchester) first said 'only 0 of 32 areas have
    a value: hotspot statistics need at least 3', then was refused; issue 14 asks for its
    deprivation and population pages, saying there is no crime data (never zeros)."""
    from hotspots import cli
    from tests.test_app_anypack import no_crime_pack

    folder = no_crime_pack(tmp_path / "nocrime")
    cfg = tmp_path / "r.toml"
    cfg.write_text(f'measures = ["crime:all"]\nformats = ["pdf", "csv"]\n[data]\n'
                   f'pack = "{folder.as_posix()}"\n'
                   '[period]\nfrom = "2025-04"\nto = "2026-03"\n', encoding="utf-8")
    assert cli.main(["report", "--config", str(cfg), "--out", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert "No crime data: this pack was built without police.uk files" in out
    assert "Traceback" not in out + err and "at least 3" not in out + err
    assert (tmp_path / "out" / "population_authorities.csv").is_file()
    assert not list((tmp_path / "out").glob("crime*"))


def test_a_measure_the_pack_has_no_records_of_is_named(tmp_path, pack):
    """The example config on a force pack (no referrals) failed with "value take a single
    value (0.0) ... spatial autocorrelation is not defined", naming neither the measure nor
    the cause."""
    import dataclasses

    from hotspots._errors import InputDataError
    from hotspots.report import build_report, config_from_mapping

    no_referrals = dataclasses.replace(pack, referrals=pack.referrals.iloc[:0])
    cfg = config_from_mapping({"title": "T", "measures": ["crime:all", "referrals:all"],
                               "statistics": {"permutations": 99, "seed": 1},
                               "formats": ["pdf"], "output": str(tmp_path)})
    with pytest.raises(InputDataError) as e:
        build_report(cfg, pack=no_referrals)
    text = str(e.value)
    assert "measures = ['referrals:all', ...], but the pack has no referrals records" in text
    assert "Remove 'referrals:all' from measures" in text and "crime:all" in text
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_cli_audit_entry_names_the_months_printed(tmp_path, _audit_log_in_a_temporary_folder):
    """With latest_months (no from/to) the audit entry said month_from/month_to: null."""
    import json

    from hotspots.report import audit

    path = _write(tmp_path, f'''
title = "Latest months"
measures = ["crime:all"]
formats = ["csv"]
[data]
pack = "{(ROOT / "data" / "demo").as_posix()}"
[period]
latest_months = 3
[statistics]
permutations = 99
seed = 3
[patrol]
enabled = false
''')
    out = tmp_path / "out"
    assert cli.main(["report", "--config", str(path), "--out", str(out)]) == 0
    sel = json.loads((out / "manifest.json").read_text())["parameters"]["selection"]
    entry = [e for e in audit.read_entries(_audit_log_in_a_temporary_folder).entries
             if e["export"] == "board pack" and e["data"].endswith("demo")][-1]["selection"]
    assert entry["month_from"] == sel["month_from"] and entry["month_to"] == sel["month_to"]
    assert entry["month_from"] is not None and entry["month_from"] < entry["month_to"]


def test_cli_builds_with_the_imported_modules_frozen_for_the_collector(tmp_path, monkeypatch):
    """The build's collections skip what was imported before it (issue 18), then unfreeze."""
    import gc

    import hotspots.report.build as build

    seen = []

    def fake_build(cfg):  # type: ignore[no-untyped-def]
        seen.append(gc.get_freeze_count())
        raise ValueError("stop here")

    monkeypatch.setattr(build, "build_report", fake_build)
    path = _write(tmp_path, "measures = [\"crime:all\"]\n")
    assert cli.main(["report", "--config", str(path), "--out", str(tmp_path / "o")]) == 2
    assert seen and seen[0] > 1000  # pandas, matplotlib ... are frozen during the build
    assert gc.get_freeze_count() == 0  # and thawed after it, even when it failed
