"""A sensitive measure's exports carry nothing a suppressed count can be solved from.

The attack of the new-user trial (issue privacy-7): the Ord-Getis z of an area is
a fixed function of its local sum (the area with its neighbours), with two
constants of the whole map. Fit the constants on areas whose whole
neighbourhood is public, turn every z into a local sum, then solve
(I + adjacency) x = local sums with the queen weights of the exported
GeoPackage. Before the fix it gave back all 347 hidden referral counts of the
demo pack exactly. The attack is checked on a crime export (where z is kept)
so that a "recovered nothing" on referrals means the columns are gone, not
that the attack is broken.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspots import cli, stats
from hotspots.stats import registry

#: Columns from which counts can be solved, whatever the registry says (the test's own list).
REVEALING = ("gi_z", "gi_g", "lisa_i", "bv_i")


def _counts(frame: pd.DataFrame) -> pd.Series:
    """Exported counts as numbers (NaN where suppressed, e.g. ``"<5"``)."""
    return pd.to_numeric(frame["count"], errors="coerce")


def gi_attack(csv: pd.DataFrame, gpkg: gpd.GeoDataFrame) -> pd.Series:
    """Recover hidden counts from exported ``gi_z`` and the export's own geometry.

    Returns the recovered counts of the rows whose count is not a number in the
    export (empty when the export has no ``gi_z``).
    """
    if "gi_z" not in csv.columns:
        return pd.Series(dtype=float)
    geo = gpkg[["area_code", "geometry"]].merge(csv[["area_code", "count", "gi_z"]],
                                                on="area_code")
    geo = geo[pd.to_numeric(geo["gi_z"], errors="coerce").notna()].reset_index(drop=True)
    sw = stats.build_weights(geo[["area_code", "geometry"]].assign(
        area_name=geo["area_code"], borough_code="", borough_name=""))
    ids = list(sw.ids)
    geo = geo.set_index("area_code").loc[ids]
    n = len(ids)
    star = (sw.adjacency.toarray() > 0).astype(float) + np.eye(n)
    w = star.sum(axis=1)
    x = _counts(geo.reset_index()).to_numpy()
    z = pd.to_numeric(geo["gi_z"]).to_numpy()
    known = ~np.isnan(x)
    whole = np.array([known[star[i] > 0].all() for i in range(n)])
    # local sum S_i = mean * W_i + sd * z_i * sqrt(W_i (n - W_i) / (n - 1)): two constants
    design = np.column_stack([w, z * np.sqrt(w * (n - w) / (n - 1))])
    coef, *_ = np.linalg.lstsq(design[whole], star[whole] @ np.where(known, x, 0.0),
                               rcond=None)
    local = design @ coef
    solved = np.linalg.solve(star, local)
    hidden = ~known
    return pd.Series(solved[hidden], index=np.array(ids)[hidden])


@pytest.fixture(scope="module")
def referral_export(tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("referrals")
    assert cli.main(["analyse", "--measure", "referrals:all", "--permutations", "99",
                     "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def crime_export(tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("crime")
    assert cli.main(["analyse", "--measure", "crime:all", "--permutations", "99",
                     "--out", str(out)]) == 0
    return out


def _read(folder):  # type: ignore[no-untyped-def]
    return (pd.read_csv(folder / "ward_analysis.csv"),
            gpd.read_file(folder / "ward_analysis.gpkg", layer="ward_analysis"))


def test_the_attack_works_where_z_is_published(crime_export):
    """Positive control: hide crime counts ourselves, the attack gives them back exactly."""
    csv, gpkg = _read(crime_export)
    truth = _counts(csv)
    hide = truth.rank(method="first") <= 200  # the 200 smallest counts
    assert hide.sum() == 200
    recovered = gi_attack(csv.assign(count=truth.where(~hide)), gpkg)
    expected = truth[hide].set_axis(csv.loc[hide, "area_code"]).loc[recovered.index]
    assert len(recovered) == 200
    assert np.allclose(recovered.to_numpy(), expected.to_numpy(), atol=1e-6)


def test_the_trial_attack_recovers_no_suppressed_referral_count(referral_export):
    csv, gpkg = _read(referral_export)
    hidden = csv["count"].astype(str).str.startswith("<")
    assert hidden.sum() > 100  # the demo pack hides hundreds of wards
    recovered = gi_attack(csv, gpkg)
    assert recovered.empty, (f"{len(recovered)} hidden counts solved, "
                             f"{int(np.isclose(recovered, recovered.round()).sum())} whole")
    for frame in (csv, gpkg):
        assert not set(REVEALING) & set(frame.columns)


def test_no_revealing_column_in_any_sensitive_file_but_in_crime_ones(referral_export,
                                                                     crime_export):
    ref_csv, ref_gpkg = _read(referral_export)
    crime_csv, crime_gpkg = _read(crime_export)
    kept = ("gi_z", "lisa_i", "bv_i")
    for frame in (crime_csv, crime_gpkg):
        assert set(kept) <= set(frame.columns)
        assert "gi_g" not in frame.columns  # never exported (ward or LSOA)
    for frame in (ref_csv, ref_gpkg):
        assert not set(REVEALING) & set(frame.columns)
        assert {"gi_class", "gi_p", "gi_q", "lisa_quadrant", "lisa_p", "lisa_q",
                "bv_quadrant", "bv_p", "bv_q"} <= set(frame.columns)


def test_global_statistics_keep_p_but_not_the_value_for_referrals(referral_export,
                                                                  crime_export):
    ref = pd.read_csv(referral_export / "global_statistics.csv")
    crime = pd.read_csv(crime_export / "global_statistics.csv")
    for col in ("value", "z_norm", "p_norm", "z_rand", "p_rand", "z_sim"):
        assert crime[col].notna().all()
        assert ref[col].isna().all(), col
    assert ref["p_sim"].notna().all() and (ref["n"] > 0).all()


def test_the_manifest_holds_no_global_value_for_referrals(referral_export, crime_export):
    def globals_of(folder):  # type: ignore[no-untyped-def]
        h = json.loads((folder / "manifest.json").read_text())["parameters"]["hotspots"]
        return {k: h[k] for k in ("global_moran", "global_geary", "global_moran_rate")
                if k in h}

    ref, crime = globals_of(referral_export), globals_of(crime_export)
    assert set(ref) == {"global_moran", "global_geary", "global_moran_rate"}
    for key, g in ref.items():
        assert not {"I", "C", "z_norm", "z_rand", "z_sim", "p_norm", "p_rand",
                    "EI_sim", "EC_sim", "se_sim"} & set(g), key
        assert "p_sim" in g
    assert "I" in crime["global_moran"] and "C" in crime["global_geary"]


def test_the_registry_flags_exactly_the_revealing_columns():
    flagged = {c.name for s in registry.local_statistics() for c in s.columns
               if c.reveals_counts}
    assert flagged == set(REVEALING)
    assert not set(REVEALING) & set(registry.export_columns(sensitive=True))
    assert {"gi_z", "lisa_i", "bv_i"} <= set(registry.export_columns())


@pytest.mark.parametrize("measure", ["referrals:all", "crime:all"])
def test_emerging_export_follows_the_page_for_referrals(measure, tmp_path):
    """analyse --emerging: referrals keep categories and months, no z, tau or trend p."""
    assert cli.main(["analyse", "--measure", measure, "--permutations", "99", "--emerging",
                     "--out", str(tmp_path)]) == 0
    got = pd.read_csv(tmp_path / "emerging_wards.csv")
    trend = {"gi_z_last", "mk_z", "mk_tau", "mk_p"}
    assert {"trend_class", "n_hot", "n_cold", "mk_trend"} <= set(got.columns)
    if measure.startswith("referrals"):
        assert not trend & set(got.columns)
    else:
        assert trend <= set(got.columns)
