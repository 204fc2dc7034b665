"""The page on packs other than the demo: no crime file, labels of any area, the pack picker.

A small pack is made in a temporary folder from the demo pack (its wards,
population and IMD) without its crime, referrals and points: what ``pack
build`` writes for a place without police.uk files (e.g. Manchester).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.data import PACK_ENV, PACKS_DIR_ENV

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard.py")
_DROP = ("referrals_file", "referrals_mapping", "synthetic_label", "points_file",
         "points_source", "points_boroughs", "points_note", "points_reconciliation", "files")


def no_crime_pack(folder: Path, **meta_changes: object) -> Path:
    """Write a pack without crime, referrals or points to ``folder`` (from the demo's areas)."""
    shutil.copytree(ROOT / "data" / "demo", folder,
                    ignore=shutil.ignore_patterns("crime_*", "referrals_*", "police_uk_*"))
    with gzip.open(folder / "crime_ward_month.csv.gz", "wt") as f:
        f.write("area_code,month,major,minor,count\n")
    meta = json.loads((folder / "pack.json").read_text())
    for key in _DROP:
        meta.pop(key, None)
    meta.update(title="No crime test pack", synthetic_referrals=False, crime_months=[],
                crime_source="none: no police.uk files were given with --police-uk",
                crime_coverage_areas=[], placement={"crime": "none"}, **meta_changes)
    (folder / "pack.json").write_text(json.dumps(meta))
    return folder


def _run(monkeypatch, folder: Path) -> AppTest:
    monkeypatch.setenv(PACK_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.info]
    parts += [m.value for m in at.caption] + [m.value for m in at.warning]
    return "\n".join(str(p) for p in parts)


def test_a_pack_without_crime_opens_on_deprivation_and_population(tmp_path, monkeypatch):
    at = _run(monkeypatch, no_crime_pack(tmp_path / "nocrime"))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    text = _text(at)
    assert "no crime data" in text.lower()
    assert "No crime test pack" in text
    # deprivation and population of every ward, never a zero crime count
    frames = [d.value for d in at.dataframe]
    ward_tables = [f for f in frames if "Population" in f.columns]
    assert ward_tables, [list(f.columns) for f in frames]
    t = ward_tables[0]
    n_wards = len(json.loads((tmp_path / "nocrime" / "wards.geojson").read_text())["features"])
    assert len(t) == n_wards
    assert not any("Count" in c or "per 1,000" in c for c in t.columns)


WALES_META = {"imd_label": "WIMD 2019 (Wales)",
              "area": {"kind": "local authority", "code": "W06000015", "name": "Cardiff",
                       "local_authorities": {"W06000015": "Cardiff"}, "note": ""}}


def labelled_pack(folder: Path, meta_changes: dict[str, object]) -> Path:
    """Copy the demo pack (with its crime) to ``folder`` with other pack.json values."""
    shutil.copytree(ROOT / "data" / "demo", folder)
    meta = json.loads((folder / "pack.json").read_text())
    meta.pop("files", None)
    meta.update(meta_changes)
    (folder / "pack.json").write_text(json.dumps(meta))
    return folder


def test_labels_follow_the_packs_index_and_authorities(tmp_path, monkeypatch):
    at = _run(monkeypatch, labelled_pack(tmp_path / "wales", WALES_META))
    assert not at.exception, at.exception
    text = _text(at)
    assert "Against the WIMD 2019 (Wales) average score of each ward" in text
    legends = [m.value for m in at.markdown if "hs-legend" in m.value]
    assert any("WIMD 2019 (Wales) average score" in v for v in legends), legends
    assert not any("IMD 2019 average" in v.replace("WIMD 2019 (Wales) average", "")
                   for v in legends)
    labels = [w.label for w in at.multiselect]
    assert "Local authorities" in labels and "Boroughs" not in labels
    assert any(c.label == "Local authority names on the maps" for c in at.checkbox)
    top = at.dataframe[0].value
    assert {"Local authority", "WIMD 2019 (Wales) score", "WIMD 2019 (Wales) decile"} <= set(
        top.columns), list(top.columns)
    # the method's colours line and the board pack's caption (said "(IMD)" and "boroughs")
    md = " ".join(m.value for m in at.markdown)
    assert "(WIMD 2019 (Wales)); both colour-blind safe" in md and "(IMD);" not in md
    caption = next(c.value for c in at.caption if c.value.startswith("A4 landscape PDF"))
    assert "local authorities, map classes" in caption and "borough" not in caption


def test_a_pack_without_crime_names_its_index_in_the_table(tmp_path, monkeypatch):
    at = _run(monkeypatch, no_crime_pack(tmp_path / "nocrime_w", **WALES_META))
    assert not at.exception, at.exception
    t = next(d.value for d in at.dataframe if "Population" in d.value.columns)
    assert "WIMD 2019 (Wales) score" in t.columns and "Local authority" in t.columns
    scores = t["WIMD 2019 (Wales) score"].dropna().to_numpy()
    assert len(scores) and (scores[:-1] >= scores[1:]).all()  # most deprived first


def test_the_data_section_lists_every_pack_folder_and_switches(tmp_path, monkeypatch):
    packs = tmp_path / "packs"
    no_crime_pack(packs / "nocrime")
    labelled_pack(packs / "wales", {**WALES_META, "title": "Wales test pack"})
    (packs / "not_a_pack").mkdir()
    monkeypatch.setenv(PACKS_DIR_ENV, str(packs))
    monkeypatch.delenv(PACK_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    radio = at.radio(key="data_source")
    assert radio.options[0].startswith("Demo pack")  # no --pack: the demo first
    assert "Pack: nocrime: No crime test pack" in radio.options
    assert "Pack: wales: Wales test pack" in radio.options
    assert not any("not_a_pack" in o for o in radio.options)
    assert "Against the IMD 2019 average score" in _text(at)  # the demo, as before
    radio.set_value(f"folder:{packs / 'nocrime'}").run()
    assert not at.exception, at.exception
    assert "No crime test pack" in _text(at)
    assert "no crime data" in _text(at).lower()
    at.radio(key="data_source").set_value(f"folder:{packs / 'wales'}").run()
    assert not at.exception, at.exception
    assert "Against the WIMD 2019 (Wales) average score" in _text(at)


def test_months_flagged_incomplete_are_named_on_the_trends_tab(tmp_path, monkeypatch):
    demo = json.loads((ROOT / "data" / "demo" / "pack.json").read_text())
    last = demo["crime_months"][-1]
    detail = [{"month": last, "force": "Test Police", "rows": 812, "busiest_month": "2024-01",
               "busiest_rows": 3021}]
    folder = labelled_pack(tmp_path / "flagged", {"months_incomplete": [last],
                                                   "months_incomplete_detail": detail})
    monkeypatch.setenv(PACK_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["hs_tab"] = "Trends"
    at.run()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning if "look incomplete" in w.value]
    assert len(warnings) == 1, [w.value for w in at.warning]
    assert last in warnings[0] and "Test Police 812 rows against 3,021" in warnings[0]


def test_no_incomplete_warning_without_flagged_months(tmp_path, monkeypatch):
    folder = labelled_pack(tmp_path / "plain", {})
    monkeypatch.setenv(PACK_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["hs_tab"] = "Trends"
    at.run()
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning if "look incomplete" in w.value]
    # the Trends tab did run: its table of months is there
    assert "The numbers behind the chart (one row per month)" in [e.label for e in at.expander]


def test_trends_tab_says_local_authority_outside_london(tmp_path, monkeypatch):
    folder = labelled_pack(tmp_path / "wales_trends", WALES_META)
    monkeypatch.setenv(PACK_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["hs_tab"] = "Trends"
    at.run()
    assert not at.exception, at.exception
    text = _text(at)
    assert "**By local authority**" in text and "**By borough**" not in text
    assert "Local authorities — " in text and "Boroughs — " not in text
    tables = [d.value for d in at.dataframe]
    assert any("Local authority" in t.columns for t in tables)
    assert not any("Borough" in t.columns for t in tables)


def test_a_pack_without_crime_shows_the_change_since_iod2019_with_the_caveat(tmp_path,
                                                                            monkeypatch):
    import pandas as pd

    change = {"computed": True, "rule": "rank of average rank among the same wards",
              "caveat": "MHCLG: ranks and deciles can be compared, scores cannot."}
    folder = no_crime_pack(tmp_path / "nocrime_change", imd_label="IoD 2025 (England)",
                           deprivation={"nation": "England", "change": change})
    imd = pd.read_csv(folder / "imd_wards.csv")
    imd.assign(imd2019_avgrank_decile=4, imd2025_avgrank_decile=3, imd_rank_change=-7).to_csv(
        folder / "imd_wards.csv", index=False)
    at = _run(monkeypatch, folder)
    assert not at.exception, at.exception
    t = next(d.value for d in at.dataframe if "Population" in d.value.columns)
    assert (t["Rank change since IoD 2019 (negative = more deprived)"] == -7).all()
    text = _text(at)
    assert "Change since IoD 2019: rank of average rank" in text
    assert "ranks and deciles can be compared, scores cannot" in text


def test_a_pack_without_crime_builds_its_board_pack_on_the_page(tmp_path, monkeypatch):
    """The deprivation-only page had no board-pack export; now one button builds the area
    profile (deprivation and population pages, no crime pages) as on the command line."""
    at = _run(monkeypatch, no_crime_pack(tmp_path / "nocrime"))
    button = next(b for b in at.button if b.key == "hs_report_build")
    button.click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    built = at.session_state["hs_report_built"]
    assert built.pdf.startswith(b"%PDF") and built.zip_name.endswith(".zip")
    assert built.findings and "has the highest" in built.findings[0]
    assert any("Board pack ready" in s.value for s in at.success)


def test_a_pack_without_crime_formats_its_table_like_the_others(tmp_path, monkeypatch):
    """Manchester's table showed raw '60.6525' and '19234': scores now print with 1 decimal,
    population and ranks with thousands separators."""
    at = _run(monkeypatch, no_crime_pack(tmp_path / "nocrime_f", **WALES_META))
    assert not at.exception, at.exception
    d = next(d for d in at.dataframe if "Population" in d.value.columns)
    config = json.loads(d.proto.columns)
    fmt = {c: v.get("type_config", {}).get("format") for c, v in config.items()}
    assert fmt.get("WIMD 2019 (Wales) score") == "%.1f", fmt
    assert fmt.get("Population") == "localized", fmt
    assert fmt.get("WIMD 2019 (Wales) rank (1 = most deprived)") == "localized", fmt


def test_wards_without_an_lsoa_are_explained_in_data_quality(tmp_path, monkeypatch):
    """The page blamed 'their codes are not in the pack's IMD roll-up'; the real cause is ONS's
    best-fit lookup giving a small ward no LSOA of its own (n_lsoa21 = 0)."""
    import pandas as pd

    from ui.panels import DATA_QUALITY_KEY

    folder = no_crime_pack(tmp_path / "nocrime_l")
    pop = pd.read_csv(folder / "population.csv", dtype={"area_code": str})
    first = pop["area_code"].iloc[0]
    pop["n_lsoa21"] = 3
    pop.loc[0, ["population", "n_lsoa21"]] = [None, 0]
    pop.to_csv(folder / "population.csv", index=False)
    monkeypatch.setenv(PACK_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[DATA_QUALITY_KEY] = True  # as a click on the panel
    at.run()
    assert not at.exception, at.exception
    text = _text(at).replace("\\", "")  # markdown escapes
    assert "1 ward has no LSOA of its own in ONS's best-fit lookup" in text, first
    assert "its crimes are counted, its rates are not shown" in text
    assert "IMD roll-up" not in text
