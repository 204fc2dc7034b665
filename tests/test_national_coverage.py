"""LSOAs of forces the store does not hold are no data, never 0 (issue 17, item 1),
and the national statistics use the product's one set of defaults (item 2).

Reference for the statistics on covered LSOAs: the same statistic run on a layer
built by hand with only those LSOAs (what a user would do by choosing the forces).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd
import pytest

from boundaries.places import Place
from hotspots._errors import InputDataError
from hotspots.pipeline import analysis, coverage, national, nationalstats
from tests.test_national import counts, layer

MONTHS = ["2024-01", "2024-02"]


def two_forces() -> national.LsoaLayer:
    """8 x 8 LSOAs: the first four rows in local authority L1, the rest in L2."""
    lay = layer()
    areas = lay.areas.copy()
    areas["borough_code"] = np.where(np.arange(len(areas)) < 32, "L1", "L2")
    return dataclasses.replace(lay, areas=areas,
                               place=Place("country", "X", "Two forces", ("L1", "L2")))


def only_l1(lay: national.LsoaLayer) -> national.LsoaLayer:
    keep = lay.areas["borough_code"] == "L1"
    areas = lay.areas.loc[keep].reset_index(drop=True)
    dep = lay.deprivation.loc[lay.deprivation["area_code"].isin(areas["area_code"])]
    return dataclasses.replace(lay, areas=areas, deprivation=dep.reset_index(drop=True))


COVER_L1 = coverage.StoreCoverage(("Force One Police",), frozenset({"L1"}))


@pytest.mark.parametrize("statistic", ["hotspots", "clusters"])
def test_uncovered_lsoas_are_left_out_not_zero(statistic: str) -> None:
    lay = two_forces()
    c = counts(lay, MONTHS)
    c = c.loc[c["area_code"].isin(set(lay.areas["area_code"][:32]))]  # the store: L1 only
    choice = nationalstats.StatChoice(statistic=statistic, permutations=199, seed=3)
    table, params = nationalstats.run_statistic(lay, c, MONTHS, choice, coverage=COVER_L1)
    assert len(table) == 32
    assert set(table["area_code"]) == set(lay.areas["area_code"][:32])
    ref = national.lsoa_statistics(only_l1(lay), c, permutations=199, seed=3)
    col = "gi_z" if statistic == "hotspots" else "lisa_i"
    np.testing.assert_allclose(table[col].to_numpy(), ref.table[col].to_numpy())
    assert params["forces"] == ["Force One Police"]
    method = nationalstats.stat_method(params, statistic)
    assert "forces: Force One Police" in method
    assert "32 of 64 LSOAs" in method and "not counted as 0" in method
    # on the map: the 32 uncovered LSOAs are "No data", never a class of the test
    codes = lay.areas["area_code"].tolist()
    mv = nationalstats.stat_values(codes, np.ones(64, dtype=bool), table, params, statistic)
    names = [mv.names[int(k)].casefold() for k in mv.classes[32:]]
    assert set(names) == {"no data"}
    legend = [text.casefold() for _, items in mv.legends for _, text in items]
    assert "no data (32)" in legend


def test_emerging_on_covered_lsoas_only() -> None:
    lay = two_forces()
    months = [f"2024-{m:02d}" for m in range(1, 11)]
    c = counts(lay, months)
    c = c.loc[c["area_code"].isin(set(lay.areas["area_code"][:32]))]
    choice = nationalstats.StatChoice(statistic="emerging", permutations=99, seed=5)
    table, params = nationalstats.run_statistic(lay, c, months, choice, coverage=COVER_L1)
    ref = national.lsoa_emerging(only_l1(lay), c, months, permutations=99, seed=5,
                                 alpha=choice.alpha)
    assert table["area_code"].tolist() == ref["area_code"].tolist()
    assert table["trend_class"].tolist() == ref["trend_class"].tolist()
    assert params["forces"] == ["Force One Police"]


def test_place_without_data_gets_a_clear_message() -> None:
    lay = two_forces()
    cov = coverage.StoreCoverage(("Gwent Police", "Dyfed-Powys Police"), frozenset({"W1"}))
    choice = nationalstats.StatChoice(permutations=99)
    with pytest.raises(InputDataError) as err:
        nationalstats.run_statistic(lay, counts(lay, MONTHS), MONTHS, choice, coverage=cov)
    msg = str(err.value)
    assert msg.startswith("The store holds no police.uk data for Two forces: it holds "
                          "Dyfed-Powys Police, Gwent Police.")
    assert "python -m hotspots store add" in msg


def test_counts_of_uncovered_lsoas_are_missing_not_zero() -> None:
    c = pd.DataFrame({"area_code": ["a", "a"], "month": ["2024-01"] * 2,
                      "category": ["Burglary", "Anti-social behaviour"], "count": [3, 4]})
    out = coverage.covered_counts(c, pd.DataFrame({"lsoa_code": ["a", "b", "c"],
                                                   "lad_code": ["L1", "L1", "L2"]}), COVER_L1)
    assert out["crime"].tolist()[:2] == [3, 0] and pd.isna(out["crime"].iloc[2])
    assert out["asb"].tolist()[:2] == [4, 0] and pd.isna(out["asb"].iloc[2])


def test_national_defaults_are_the_products() -> None:
    shared = analysis.StatsParams()
    choice = nationalstats.StatChoice()
    assert (choice.permutations, choice.seed) == (shared.permutations, shared.seed)


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def wales_store(tmp_path_factory, shared_data):  # type: ignore[no-untyped-def]
    """A store holding the four Welsh forces' January and February 2024 only."""
    import subprocess
    import sys

    store = tmp_path_factory.mktemp("natcover") / "wales.duckdb"
    folder = shared_data / "police_uk_wales_2024-01_to_2024-04"
    subprocess.run([sys.executable, "-m", "hotspots", "store", "add", "--store", str(store),
                    str(folder / "2024-01"), str(folder / "2024-02")], check=True,
                   capture_output=True)
    return store


def _analyse(store, out, *args: str, command: str = "analyse"):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "hotspots", "store", command, "--store",
                           str(store), "--out", str(out), "--no-deprivation", *args],
                          capture_output=True, text=True)


@pytest.mark.realdata
def test_real_welsh_forces_cover_exactly_the_welsh_lsoas(shared_data):
    from hotspots import store as store_mod  # noqa: F401  (the store's force names)
    from hotspots.pipeline import nationalmap

    v = nationalmap.national_table()
    forces = ["Dyfed-Powys Police", "Gwent Police", "North Wales Police", "South Wales Police"]
    cov = coverage.store_coverage([*forces, "British Transport Police"], v.data.catalogue)
    assert sorted(cov.forces) == forces and cov.unplaced == ("British Transport Police",)
    mask = coverage.covered_mask(v.table["lad_code"], cov)
    assert int(mask.sum()) == int((v.table["nation"] == "Wales").sum()) == 1917
    got = coverage.covered_counts(
        pd.DataFrame({"area_code": [v.table["lsoa_code"].iloc[0]], "month": ["2024-01"],
                      "category": ["Burglary"], "count": [2]}),
        v.table[["lsoa_code", "lad_code"]], cov)
    assert int(got["crime"].isna().sum()) == len(v.table) - 1917  # England: no data, not 0


@pytest.mark.realdata
def test_cli_analyse_tests_covered_lsoas_only_with_the_shared_defaults(wales_store, tmp_path):
    import json

    r = _analyse(wales_store, tmp_path / "ew")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "ew" / "lsoa_statistics.csv")
    # the shared sample holds three Welsh forces (no Gwent): their LSOAs by the page's
    # own police force area column (W15000002 = Gwent), not by the LAD lists used here
    from hotspots.pipeline import nationalmap

    t = nationalmap.national_table().table
    expected = set(t.loc[(t["nation"] == "Wales") & (t["pfa_code"] != "W15000002"),
                         "lsoa_code"])
    assert set(table["area_code"]) == expected and len(expected) == 1543
    # G* is the local sum over the map's total: never written (the trial solved blank counts)
    assert "gi_g" not in table.columns and {"gi_z", "gi_class", "suppressed"} <= set(table)
    assert table.loc[table["suppressed"], "count"].isna().all()
    run = json.loads((tmp_path / "ew" / "run.json").read_text())
    shared = analysis.StatsParams()
    assert (run["permutations"], run["seed"]) == (shared.permutations, shared.seed)
    assert run["forces"] == ["Dyfed-Powys Police", "North Wales Police", "South Wales Police"]
    method = (tmp_path / "ew" / "method.txt").read_text()
    assert "34,129 of 35,672 LSOAs" in method and "1,543 LSOAs tested" in method
    assert "not counted as 0" in method
    assert "G* (gi_g) is not written" in method and "police.uk is public" in method


@pytest.mark.realdata
@pytest.mark.parametrize("command", ["analyse", "emerging"])
def test_cli_analyse_of_a_force_not_in_the_store_says_so(wales_store, tmp_path, command):
    r = _analyse(wales_store, tmp_path / "kent", "--area", "pfa:Kent", "--permutations", "99",
                 command=command)
    assert r.returncode != 0
    assert "The store holds no police.uk data for Kent: it holds Dyfed-Powys Police" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "kent" / "lsoa_statistics.csv").exists()


def _page(store, place: str, measure: str):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    os.environ["HOTSPOTS_STORE"] = str(store)
    try:
        at = AppTest.from_string("from ui import national\nnational.render()\n",
                                 default_timeout=600)
        at.run()
        at.selectbox(key="national_place").set_value(place)
        at.radio(key="national_measure").set_value(measure)
        at.run()
    finally:
        del os.environ["HOTSPOTS_STORE"]
    assert not at.exception, at.exception
    return at


@pytest.mark.realdata
def test_page_force_not_in_the_store_says_so_not_a_cut_off_sentence(wales_store):
    at = _page(wales_store, "pfa:Kent", "statistics")
    errors = [e.value for e in at.error]
    assert any(e.startswith("The store holds no police.uk data for Kent: it holds "
                            "Dyfed-Powys Police, North Wales Police, South Wales Police.")
               for e in errors), errors
    at = _page(wales_store, "pfa:Kent", "crime")
    assert any("no police.uk data for Kent" in e.value for e in at.error)
    legend = " ".join(m.value for m in at.markdown)
    assert "No data (" in legend and "0 (" not in legend


def _page_table(store, place: str, of: str, months: list[str], **choice):  # type: ignore[no-untyped-def]
    """The national page's table for a place: its layer, store counts and run_statistic."""
    from hotspots import store as store_mod
    from hotspots.pipeline import nationalmap

    v = nationalmap.national_table()
    _, where = nationalmap.place_mask(v, place)
    polygons = __import__("boundaries.national", fromlist=["x"]).read_lsoa_polygons(
        v.data.sources.path("lsoa21_boundaries"), "lsoa21_boundaries", nations=["W"])
    lay = national.layer_of(v.lsoas, polygons, where)
    con = store_mod.connect(store, read_only=True)
    try:
        forces = store_mod.store_forces(con)
    finally:
        con.close()
    cov = coverage.store_coverage(forces, v.data.catalogue)
    covering, unplaced = coverage.place_forces(forces, where.lads, v.data.catalogue)
    counts, _ = nationalmap.store_counts(store, lay.areas, (months[0], months[-1]),
                                         forces=[*covering, *unplaced])
    return nationalstats.run_statistic(lay, counts, months, nationalstats.StatChoice(
        of=of, **choice), coverage=cov)


@pytest.mark.realdata
@pytest.mark.parametrize("flags, of", [((), "crime"), (("--of", "asb"), "asb")])
def test_cli_analyse_classes_equal_the_pages_per_lsoa(wales_store, tmp_path, flags, of):
    """store analyse's default is the page's 'Recorded crime' (all but ASB); --of asb is ASB.

    The trial found the CLI counting ASB as crime by default (11/7/24 hot vs the page's 12/6/20).
    """
    r = _analyse(wales_store, tmp_path / "nw", "--area", "pfa:North Wales", "--permutations",
                 "999", "--seed", "3", *flags)
    assert r.returncode == 0, r.stderr
    cli = pd.read_csv(tmp_path / "nw" / "lsoa_statistics.csv")
    page, params = _page_table(wales_store, "pfa:North Wales", of, MONTHS, permutations=999,
                               seed=3)
    assert dict(zip(cli["area_code"], cli["gi_class"], strict=True)) == dict(
        zip(page["area_code"], page["gi_class"], strict=True))
    assert dict(zip(cli["area_code"], cli["lisa_quadrant"], strict=True)) == dict(
        zip(page["area_code"], page["lisa_quadrant"], strict=True))
    shown = cli.dropna(subset=["count"])  # the files blank 1-4; every other count is the page's
    on_page = page.set_index("area_code")["count"]
    assert shown.set_index("area_code")["count"].to_dict() == on_page[shown["area_code"]].to_dict()
    assert len(shown) > 150  # most LSOAs compared (ASB: 188 of 417 have 0 or 5+)
    method = (tmp_path / "nw" / "method.txt").read_text()
    assert f"crime types: {nationalstats.OF_CRIME_TYPES[of]}" in method
    assert params["crime_types"] == nationalstats.OF_CRIME_TYPES[of]


@pytest.mark.realdata
def test_cli_emerging_on_too_few_months_is_refused_naming_both(wales_store, tmp_path):
    """The trial: 4 months gave 'Consecutive cold spot (113)' with no caution; now refused."""
    r = _analyse(wales_store, tmp_path / "em", "--area", "pfa:North Wales", "--permutations",
                 "99", command="emerging")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "Emerging hot spots need at least 10 months; there are 2 (2024-01 to 2024-02)" \
        in r.stderr
    assert not (tmp_path / "em" / "emerging_hotspots.csv").exists()


@pytest.mark.realdata
def test_page_emerging_on_too_few_months_says_so(wales_store):
    at = _page(wales_store, "pfa:North Wales", "statistics")
    at.radio(key="national_statistic").set_value("emerging")
    next(b for b in at.button if b.label == "Apply statistics").click()
    os.environ["HOTSPOTS_STORE"] = str(wales_store)
    try:
        at.run()
    finally:
        del os.environ["HOTSPOTS_STORE"]
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("Emerging hot spots need at least 10 months; there are 2" in e for e in errors), \
        errors


@pytest.mark.realdata
@pytest.mark.parametrize("flags, asb", [((), False), (("--of", "asb"), True)])
def test_cli_reconciles_the_places_forces_and_measure_only(wales_store, tmp_path, shared_data,
                                                           flags, asb):
    """The trial: '--area pfa:Dyfed-Powys' reported every force's rows without a location.

    Reference: the Dyfed-Powys Police files of the two months read with pandas (rows of the
    measure: ASB or every other crime type), not through the store.
    """
    r = _analyse(wales_store, tmp_path / "nw", "--area", "pfa:Dyfed-Powys", "--permutations",
                 "99", *flags)
    assert r.returncode == 0, r.stderr
    folder = shared_data / "police_uk_wales_2024-01_to_2024-04"
    raw = pd.concat([pd.read_csv(folder / m / f"{m}-dyfed-powys-street.csv") for m in MONTHS])
    mine = raw[(raw["Crime type"] == "Anti-social behaviour") == asb]
    rec = pd.read_csv(tmp_path / "nw" / "reconciliation.csv").iloc[0]
    assert rec["rows_in"] == len(mine) == (rec["assigned"] + rec["unlocated"] + rec["outside"]
                                           + rec["rejected"])
    no_location = int((mine["Longitude"].isna() | mine["Latitude"].isna()).sum())
    assert rec["unlocated"] == no_location and (asb or no_location > 300)  # 361 + 24 crimes
    words = "rows of Dyfed-Powys Police (the force covering the place)"
    assert words in r.stdout
    assert words in (tmp_path / "nw" / "method.txt").read_text()
    assert "anti-social behaviour" in r.stdout.split(words, 1)[1].splitlines()[0].lower()


@pytest.mark.realdata
@pytest.mark.parametrize("measure, asb", [("crime", False), ("asb", True)])
def test_page_reconciles_the_places_forces_and_measure_only(wales_store, shared_data, measure,
                                                            asb):
    """The line under the national map is the place's rows of the measure, not the store's.

    Reference: the Dyfed-Powys Police files of the two months read with pandas.
    """
    folder = shared_data / "police_uk_wales_2024-01_to_2024-04"
    raw = pd.concat([pd.read_csv(folder / m / f"{m}-dyfed-powys-street.csv") for m in MONTHS])
    mine = raw[(raw["Crime type"] == "Anti-social behaviour") == asb]
    unlocated = int((mine["Longitude"].isna() | mine["Latitude"].isna()).sum())
    at = _page(wales_store, "pfa:Dyfed-Powys", measure)
    notes = " ".join(m.value for m in at.markdown if "police.uk rows" in m.value)
    assert f"{len(mine):,} rows in = " in notes, notes
    assert f"+ {unlocated:,} without a location" in notes
    assert "rows of Dyfed-Powys Police (the force covering the place)" in notes
    assert ("anti-social behaviour (Anti-social behaviour)" if asb
            else "recorded crime (all but anti-social behaviour)") in notes


@pytest.mark.realdata
def test_cli_flags_the_incomplete_months_pack_build_flags(wales_store, tmp_path):
    """The trial: Dyfed-Powys's short months were presented as real low crime.

    Reference: pack build's rule by hand on the raw files: January 2024 has 1,187 rows of
    which 910 crimes for Dyfed-Powys's ~516,000 residents (21 a year per 1,000, under the
    floor of 30); February has 300 rows, under half of January's.
    """
    r = _analyse(wales_store, tmp_path / "dp", "--area", "pfa:Dyfed-Powys", "--permutations",
                 "99")
    assert r.returncode == 0, r.stderr
    assert "2 force-month(s) look incomplete" in r.stdout
    assert "2024-01, Dyfed-Powys Police: 910 crimes for" in r.stdout
    assert "2024-02, Dyfed-Powys Police: 299 rows, under 50% of the 1,187" in r.stdout
    method = (tmp_path / "dp" / "method.txt").read_text()
    assert "Incomplete months (2 force-months" in method and "2024-02, Dyfed-Powys" in method
    run = __import__("json").loads((tmp_path / "dp" / "run.json").read_text())
    assert [(f["month"], f["force"]) for f in run["incomplete_months"]] == [
        ("2024-01", "Dyfed-Powys Police"), ("2024-02", "Dyfed-Powys Police")]
    # North Wales: no month flagged, and it says so
    r = _analyse(wales_store, tmp_path / "nw", "--area", "pfa:North Wales", "--permutations",
                 "99")
    assert "look incomplete" not in r.stdout
    assert "Incomplete months: none flagged" in (tmp_path / "nw" / "method.txt").read_text()


@pytest.mark.realdata
@pytest.mark.parametrize("place, flagged", [("pfa:Dyfed-Powys", True), ("pfa:North Wales", False)])
def test_page_warns_of_incomplete_months_beside_the_map(wales_store, place, flagged):
    at = _page(wales_store, place, "crime")
    warnings = [w.value for w in at.warning]
    text = " ".join(warnings)
    assert ("2 force-month(s) look incomplete" in text) == flagged, warnings
    assert ("2024-01, Dyfed-Powys Police: 910 crimes for" in text) == flagged
    assert ("2024-02, Dyfed-Powys Police: 299 rows" in text) == flagged
    # the page's title names the place shown (it said "England and Wales" for a force), and
    # the classes speak of LSOAs, not wards
    name = place.split(":", 1)[1]
    assert [t.value for t in at.title] == [f"{name} by LSOA"]
    assert "Quantiles (equal numbers of LSOAs)" in at.selectbox(key="national_scheme").options
