"""City of London Police files on the London wards: coverage follows the force, and the
ward table adds up to the reconciliation (reviewer's case: 22,343 'assigned' vs 20,888)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from boundaries import forces
from hotspots import cli, pipeline

pytestmark = pytest.mark.realdata

MONTH_DIR = "police_uk_city_of_london_2017-12_to_2020-11/2018-01"
LOOKUP = "lookups/LAD19_CSP19_PFA19_EW_LU.csv"


def test_cli_table_covers_only_the_city_and_adds_up(shared_data: Path, demo_dir: Path,
                                                    tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    assert cli.main(["table", "--areas", str(demo_dir / "wards.geojson"), "--police-uk",
                     str(shared_data / MONTH_DIR), "--crime-id-once", "--out", str(out)]) == 0
    table = pd.read_csv(out / "ward_table.csv", dtype={"area_code": str})
    recon = pd.read_csv(out / "reconciliation.csv")
    details = pd.read_csv(out / "unassigned_rows.csv")
    areas = pipeline.load_pack(demo_dir).areas.set_index("area_code")["borough_name"]
    has = table.set_index("area_code")["count"].notna()
    assert set(areas[has.reindex(areas.index, fill_value=False)]) == {"City of London"}
    asb_out = tmp_path / "asb"
    assert cli.main(["table", "--areas", str(demo_dir / "wards.geojson"), "--police-uk",
                     str(shared_data / MONTH_DIR), "--measure", "asb:all",
                     "--out", str(asb_out)]) == 0
    asb = pd.read_csv(asb_out / "ward_table.csv")["count"].sum()
    # recorded crime + anti-social behaviour (its own measure) = every placed row
    assert asb > 0 and table["count"].sum() + asb == recon["assigned"].sum()
    r = recon.iloc[0]
    assert r["rows_in"] == r["assigned"] + r["unlocated"] + r["outside"] + r["rejected"]
    raw = pd.read_csv(next((shared_data / MONTH_DIR).glob("*-street.csv")))
    assert r["rows_in"] == len(raw)
    away = details[details["status"] == pipeline.STATUS_OUTSIDE_COVERAGE]
    assert len(away) > 0 and len(away) <= r["outside"]
    assert not away["reason"].str.contains(r"\(City of London\), outside the study").any()
    assert away["reason"].str.contains(r"\(Tower Hamlets\), outside the study").sum() == 30


def test_shipped_lad_pfa_table_is_the_derived_one(shared_data: Path, tmp_path: Path) -> None:
    """The committed table equals a rebuild from the ONS lookup, byte for byte."""
    out = tmp_path / "lad_pfa.csv"
    assert forces.main([str(shared_data / LOOKUP), "--out", str(out)]) == 0
    assert out.read_bytes() == forces.LAD_PFA_PATH.read_bytes()
