"""``pack build --store``: a force's pack from a store equals the pack from the files."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from hotspots import pipeline, store
from hotspots.cli import main
from hotspots.pipeline import packbuild

pytestmark = pytest.mark.realdata

WALES = "police_uk_wales_2024-01_to_2024-04"
CITY = "police_uk_city_of_london_2017-12_to_2020-11"


@pytest.fixture(scope="module")
def national(shared_data) -> packbuild.NationalData:
    return packbuild.load_national(data_root=shared_data)


def _gz(path) -> bytes:
    return gzip.decompress(path.read_bytes())


def test_a_force_pack_from_a_store_equals_the_pack_from_the_files(tmp_path, shared_data,
                                                                    national, monkeypatch):
    w = shared_data / WALES
    files = packbuild.build_pack("Dyfed-Powys Police", tmp_path / "files", data=national,
                                 police_uk=[w])
    db = tmp_path / "s.duckdb"
    con = store.connect(db)
    store.add_inputs(con, [shared_data / CITY])  # another force, never read for this pack
    con.close()
    built = packbuild.build_pack("Dyfed-Powys Police", tmp_path / "store", data=national,
                                 police_uk=[w], store=db)  # added to the store, then read
    for name in ("crime_ward_month.csv.gz", "police_uk_points.csv.gz"):
        assert _gz(built.folder / name) == _gz(files.folder / name), name
    rec = pd.read_csv(built.folder / "reconciliation.csv").iloc[-1]
    dyfed_powys = 1_187 + 300 + 164 + 283  # PROVENANCE.md
    # Dyfed-Powys' rows and the other Welsh forces' rows near it; never the City's
    assert dyfed_powys < rec["rows_in"] < 66_647
    assert rec["rows_in"] == rec["assigned"] + rec["unlocated"] + rec["outside"] + rec["rejected"]
    by_files = pd.read_csv(files.folder / "reconciliation.csv").iloc[-1]
    assert rec["assigned"] == by_files["assigned"]
    meta = json.loads((built.folder / "pack.json").read_text())
    assert "City of London Police" in meta["crime_note"] and "not read" in meta["crime_note"]
    spec = meta["inputs"]["police_uk_store"]
    assert len(spec["files"].splitlines()) == 12  # Wales' 12 files, each with its SHA-256
    assert len(spec["adds"].splitlines()) == 2
    p = pipeline.load_pack(built.folder)
    assert int(p.crime["count"].sum()) == int(rec["assigned"])
    # inputs above STORE_ABOVE_BYTES go through a temporary store by themselves
    monkeypatch.setattr(packbuild, "STORE_ABOVE_BYTES", 1)
    auto = packbuild.build_pack("Dyfed-Powys Police", tmp_path / "auto", data=national,
                                police_uk=[w])
    for name in ("crime_ward_month.csv.gz", "police_uk_points.csv.gz"):
        assert _gz(auto.folder / name) == _gz(files.folder / name), name
    note = json.loads((auto.folder / "pack.json").read_text())["crime_note"]
    assert note.startswith("The police.uk files (14 MB, above 0 MB) were read through a "
                           "temporary store. Read from it: the rows of Dyfed-Powys Police")
    assert "police_uk_1" in json.loads((auto.folder / "pack.json").read_text())["inputs"]


def test_cli_pack_build_store_without_the_force_is_a_plain_error(tmp_path, shared_data,
                                                                  capsys):
    db = tmp_path / "city.duckdb"
    assert main(["store", "add", "--store", str(db),
                 str(shared_data / CITY / "2020-11")]) == 0
    capsys.readouterr()
    assert main(["pack", "build", "--area", "Cardiff", "--out", str(tmp_path / "p"),
                 "--store", str(db)]) == 2
    err = capsys.readouterr().err
    assert "city.duckdb: no police.uk row of a force covering Cardiff" in err
    assert "the store holds City of London Police" in err and "Traceback" not in err
