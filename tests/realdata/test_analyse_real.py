"""`python -m hotspots analyse` on the real MPS file and 2025 wards from ../shared/data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotspots import cli

pytestmark = pytest.mark.realdata

MPS = "mps_ward_crime_2024-03_to_2026-03/MPS Ward Level Crime (most recent 24 months).csv.gz"
WARDS = "london_wards_2025_ons_bgc/london_wd25_bgc.gpkg"


def test_analyse_real_files(tmp_path, shared_data, capsys):
    code = cli.main(["analyse", "--areas", str(shared_data / WARDS),
                     "--mps", str(shared_data / MPS),
                     "--from", "2025-04", "--to", "2026-03", "--permutations", "199",
                     "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    t = pd.read_csv(tmp_path / "ward_analysis.csv", dtype={"count": str})
    wide = pd.read_csv(shared_data / MPS)
    months = [c for c in wide.columns if c.isdigit() and "202504" <= c <= "202603"]
    expect = wide.groupby("WardCode")[months].sum().sum(axis=1)
    got = pd.to_numeric(t.set_index("area_code")["count"], errors="coerce")
    assert (got.loc[expect.index] == expect).all()
    # The 25 City of London wards are not in the MPS file: no data, never zero.
    nodata = t[~t["area_code"].isin(expect.index)]
    assert len(nodata) == 25 and nodata["count"].isna().all()
    assert set(nodata["gi_class"]) == {"No data"}
    tested = t[t["area_code"].isin(expect.index)]
    assert tested["gi_z"].notna().all() and tested["lisa_quadrant"].notna().all()
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["parameters"]["statistics"]["permutations"] == 199
    assert len(m["inputs"]["mps"]["sha256"]) == 64
