"""Command line: a file given is used (on the pack's areas) or the command fails saying why.

Never is the demo's SYNTHETIC data shown in place of the user's file, and no flag
is taken and then ignored.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotspots import cli, pipeline


@pytest.fixture(scope="module")
def referral_files(tmp_path_factory, pack):  # type: ignore[no-untyped-def]
    """15 referrals in 15 wards of the demo pack (all under 5) and their mapping."""
    folder = tmp_path_factory.mktemp("refs")
    wards = pack.areas.sort_values("area_code").iloc[:15]
    lines = ["Ref,Date of referral,Type of concern,Ward,Borough"]
    lines += [f"R{i},{1 + i % 9:02d}/05/2025,CCE,{w.area_name},{w.borough_name}"
              for i, w in enumerate(wards.itertuples())]
    refs = folder / "my.csv"
    refs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = folder / "m.json"
    mapping.write_text(json.dumps({"version": 1, "layout": "records", "columns": {
        "date": "Date of referral", "category": "Type of concern", "ward_name": "Ward",
        "borough": "Borough"}}), encoding="utf-8")
    return refs, mapping, set(wards["area_code"])


def test_referrals_without_areas_are_used_on_the_packs_areas(referral_files, tmp_path, capsys):
    refs, mapping, codes = referral_files
    code = cli.main(["table", "--measure", "referrals:all", "--referrals", str(refs),
                     "--mapping", str(mapping), "--from", "2025-05", "--to", "2025-05",
                     "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "SYNTHETIC" not in out and "my.csv" in out
    assert "records in period: 15" in out
    recon = pd.read_csv(tmp_path / "reconciliation.csv")
    mine = recon[recon["source"].str.contains("my.csv")].iloc[0]
    assert (mine["rows_in"], mine["assigned"]) == (15, 15)
    assert not recon["source"].str.contains("SYNTHETIC").any()
    table = pd.read_csv(tmp_path / "ward_table.csv", dtype={"count": str})
    assert "data" not in table  # no SYNTHETIC label column: these are the user's referrals
    assert set(table.loc[table["count"] == "<5", "area_code"]) == codes
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "referrals" in manifest["inputs"] and "mapping" in manifest["inputs"]


@pytest.mark.parametrize(("args", "message"), [
    (["--referrals", "{refs}"], "--mapping"),
    (["--mapping", "{mapping}"], "--mapping is the column mapping of a --referrals file"),
    (["--layer", "wards"], "--layer"),
    (["--assume-crs", "EPSG:27700"], "--assume-crs"),
    (["--mps", "{refs}"], "--mps"),
    (["--population", "{refs}"], "--population"),
    (["--imd", "{refs}"], "--imd"),
    (["--areas", "{refs}", "--pack", "{folder}"], "not both"),
    (["--referrals", "{folder}/missing.csv", "--mapping", "{mapping}"], "missing.csv"),
], ids=["no-mapping", "mapping-alone", "layer", "assume-crs", "mps", "population", "imd",
        "pack-and-areas", "missing-file"])
def test_a_flag_that_cannot_be_used_fails_saying_why(referral_files, tmp_path, capsys, args,
                                                     message):
    refs, mapping, _ = referral_files
    subs = {"refs": str(refs), "mapping": str(mapping), "folder": str(refs.parent)}
    argv = ["table", "--measure", "referrals:all", *[a.format(**subs) for a in args],
            "--out", str(tmp_path / "o")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o" / "ward_table.csv").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--k", "8"], "--k applies to --weights knn"),
    (["--threshold", "500"], "--threshold applies to --weights distance"),
], ids=["k-with-queen", "threshold-with-queen"])
def test_statistics_flags_for_another_weights_kind_fail(tmp_path, capsys, args, message):
    assert cli.main(["analyse", *args, "--permutations", "99", "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_police_uk_without_areas_replaces_the_packs_crime(pack, tmp_path, capsys):
    city = pack.areas[pack.areas["borough_name"] == "City of London"].sort_values("area_code")
    pts = city.geometry.representative_point().to_crs("EPSG:4326").iloc[:2]
    header = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
              "LSOA name,Crime type,Last outcome category,Context")
    rows = [f"id{i},2025-05,City of London Police,City of London Police,{p.x:.6f},{p.y:.6f},"
            f"On or near X,,,Robbery,,"
            for i, p in enumerate([pts.iloc[0]] * 3 + [pts.iloc[1]] * 2)]
    police = tmp_path / "2025-05-city-of-london-street.csv"
    police.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    code = cli.main(["table", "--police-uk", str(police), "--from", "2025-05", "--to", "2025-05",
                     "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "records in period: 5" in out and police.name in out
    table = pd.read_csv(tmp_path / "o" / "ward_table.csv")
    counts = table.set_index("area_code")["count"]
    assert counts[city["area_code"].iloc[0]] == 3 and counts.sum() == 5
    assert counts.isna().sum() == len(pack.areas) - len(city)  # elsewhere: no data, not 0
    assert pipeline.measure_options(pipeline.load_pack())  # the demo pack itself untouched


def test_patrol_police_uk_without_areas_uses_the_packs_areas(pack, tmp_path, capsys):
    city = pack.areas[pack.areas["borough_name"] == "City of London"].sort_values("area_code")
    pts = city.geometry.representative_point().to_crs("EPSG:4326")
    header = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
              "LSOA name,Crime type,Last outcome category,Context")
    lines = [header]
    for m in ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05"):
        lines += [f"{m}x{i},{m},CoLP,City of London Police,{p.x:.6f},{p.y:.6f},On or near X,,,"
                  "Robbery,," for i, p in enumerate(pts.iloc[:6])]
    police = tmp_path / "city.csv"
    police.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = cli.main(["patrol", "--police-uk", str(police), "--permutations", "99",
                     "--out", str(tmp_path / "p")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "city.csv" in out and "City of London" in out
    rec = pd.read_csv(tmp_path / "p" / "reconciliation.csv").iloc[0]
    assert rec["rows_in"] == 30


def test_near_miss_ward_names_are_printed_with_the_closest_wards(tmp_path, capsys):
    refs = tmp_path / "near.csv"
    refs.write_text("Date,Type,Ward,Borough\n2025-05-01,CCE,Stratford Olympic Prk,Newham\n"
                    "2025-05-02,CCE,Canning Town Nth,Newham\n"
                    "2025-05-03,CCE,Canning Town Nth,Newham\n", encoding="utf-8")
    columns = {"date": "Date", "category": "Type", "ward_name": "Ward", "borough": "Borough"}
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"layout": "records", "columns": columns}), encoding="utf-8")
    argv = ["table", "--measure", "referrals:all", "--referrals", str(refs), "--mapping",
            str(mapping), "--from", "2025-05", "--to", "2025-05", "--out", str(tmp_path / "o")]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "Ward names without a location (3 rows" in out
    assert ("2 rows: ward name 'Canning Town Nth' is not a ward of the area layer; closest: "
            "'Canning Town North' (Newham)") in out
    recon = pd.read_csv(tmp_path / "o" / "reconciliation.csv").iloc[-1]
    assert (recon["unlocated"], recon["outside"]) == (3, 0)
    # the confirmed name, saved in the mapping, is placed
    mapping.write_text(json.dumps({"layout": "records", "columns": columns, "ward_names": {
        "Canning Town Nth": "E05013906"}}), encoding="utf-8")
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "Canning Town Nth" not in out and "Stratford Olympic Prk" in out
    table = pd.read_csv(tmp_path / "o" / "ward_table.csv", dtype={"count": str})
    assert table.set_index("area_code").loc["E05013906", "count"] == "<5"


@pytest.mark.parametrize(("error", "code", "words"), [
    (MemoryError(), 3, "ran out of memory"),
    (KeyError("boom"), 70, "an unexpected KeyError stopped the command"),
])
def test_no_traceback_reaches_the_user(error, code, words, monkeypatch, capsys):
    """A force-sized patrol run died with MemoryError and a 30-line traceback; any error
    the CLI does not expect is now one line that says what to do."""
    from hotspots import cli, pipeline

    def fail(*a, **k):
        raise error

    monkeypatch.setattr(pipeline, "measure_options", fail)
    monkeypatch.delenv("HOTSPOTS_TRACEBACK", raising=False)
    assert cli.main(["measures"]) == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("HOTSPOTS_TRACEBACK", "1")  # a developer asks for it
    if code == 70:
        with pytest.raises(KeyError):
            cli.main(["measures"])
