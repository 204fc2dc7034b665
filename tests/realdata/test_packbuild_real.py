"""Packs for any place built from the real national files in ``../shared/data``.

Four packs are built once for the module (about 25 s): Cardiff (South Wales
police.uk months, WIMD 2019), Powys (Dyfed-Powys months, incomplete months
flagged), Manchester (IoD 2025, no crime file) and the whole Dyfed-Powys police
force area (every Welsh force's files, placed by LSOA code: the other forces'
rows are outside coverage). The ward roll-ups are checked against independent
pandas / geopandas computations from the raw files to 1e-9.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from boundaries.places import AmbiguousAreaError, AreaNotFoundError, resolve_area
from hotspots import cli, pipeline
from hotspots import io as hotspots_io
from hotspots._errors import InputDataError
from hotspots.pipeline import packbuild, packcrime

pytestmark = pytest.mark.realdata

WALES = "police_uk_wales_2024-01_to_2024-04"
LOOKUP = ("lookups/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2"
          ".csv.gz")
IOD = "imd2025_lsoa_england/IoD2025_LSOA21_scores_ranks_deciles.csv.gz"
WIMD = "wimd2019_lsoa_wales/wimd2019_lsoa11_scores_ranks_humaniverse.csv"
CENSUS = "population/census2021-ts007a-lsoa.csv.gz"


@pytest.fixture(scope="module")
def national(shared_data) -> packbuild.NationalData:
    return packbuild.load_national(data_root=shared_data)


@pytest.fixture(scope="module")
def packs(tmp_path_factory, shared_data, national) -> dict[str, packbuild.PackBuild]:
    root = tmp_path_factory.mktemp("packs")
    w = shared_data / WALES
    return {
        "cardiff": packbuild.build_pack("Cardiff", root / "cardiff", data=national,
                                        police_uk=sorted(w.glob("*/*south-wales-street.csv"))),
        "powys": packbuild.build_pack("powys", root / "powys", data=national,
                                      police_uk=sorted(w.glob("*/*dyfed-powys-street.csv"))),
        "manchester": packbuild.build_pack("E08000003", root / "manchester", data=national),
        "force": packbuild.build_pack("Dyfed-Powys Police", root / "dyfed_powys", data=national,
                                      police_uk=[w], assign_by="lsoa"),
    }


# --------------------------------------------------------------------------- the packs


@pytest.mark.parametrize("name", ["cardiff", "powys", "manchester", "force"])
def test_every_pack_opens_and_reconciles(packs, name):
    built = packs[name]
    p = pipeline.load_pack(built.folder)
    meta = json.loads((built.folder / "pack.json").read_text())
    assert set(p.areas["borough_code"]) == set(built.place.lads)
    assert p.areas["area_code"].str.match(r"[EW]05\d{6}").all()
    assert p.areas.crs.to_epsg() == 27700
    assert len(p.imd) == len(p.population) == len(p.areas)
    assert not meta["synthetic_referrals"] and "referrals_file" not in meta
    assert p.referrals.empty
    rec = pd.read_csv(built.folder / "reconciliation.csv")
    assert (rec["rows_in"] == rec[["assigned", "unlocated", "outside", "rejected"]]
            .sum(axis=1)).all()
    assert p.reconciliations["source"].iloc[0].startswith("Wards: Wards (May 2025)")
    for key, spec in meta["inputs"].items():
        assert len(spec["sha256"]) == 64 and spec["licence"], key
    for file, digest in meta["files"].items():
        assert packbuild.file_sha256(built.folder / file) == digest
    assert "Open Government Licence" in meta["attribution"]


def test_cardiff_wimd_and_south_wales_crime(packs):
    built = packs["cardiff"]
    m = built.meta.to_json()
    assert (built.place.kind, built.place.code) == ("local authority", "W06000015")
    assert len(m["area"]["local_authorities"]) == 1
    d = m["deprivation"]
    assert (d["label"], d["nation"], d["index"]) == ("WIMD 2019 (Wales)", "Wales", "wimd2019")
    assert d["summary"] == "WIMD 2019 (Wales), population-weighted, Census 2021"
    assert d["lsoa_routes"] == {"largest overlap": 80, "same code": 1837}
    assert d["n_reference_wards"] == 752
    p = pipeline.load_pack(built.folder)
    assert p.months == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert p.crime_coverage == frozenset(p.areas["area_code"])
    police = built.reconciliation[built.reconciliation["source"].str.contains("police.uk")]
    assert len(police) == 4 and police["rows_in"].sum() == 10885 + 10322 + 11628 + 11125
    assert int(p.crime["count"].sum()) == int(police["assigned"].sum())
    assert m["months_incomplete"] == []
    cmp = m["police_uk_assignment"]
    assert cmp["rule"] == "point" and cmp["rows_different_ward"] > 0
    assert cmp["rows_same_ward"] + cmp["rows_different_ward"] + cmp["rows_point_only"] == \
        int(police["assigned"].sum())
    assert m["police_uk_lsoa_codes"].get("2011 only", 0) == 0
    assert len(p.points) >= int(police["assigned"].sum())
    assert m["points_boroughs"] == ["Cardiff"]


def test_a_built_pack_json_is_pack_meta(packs):
    for built in packs.values():
        doc = json.loads((built.folder / "pack.json").read_text())
        meta = pipeline.PackMeta.from_json(doc)
        assert meta.to_json() == doc and built.meta == meta
    p = pipeline.load_pack(packs["cardiff"].folder)
    assert p.meta.imd_label == "WIMD 2019 (Wales)"
    assert p.meta.deprivation["population_base"].startswith("Census 2021")
    assert p.meta.area["code"] == "W06000015"
    assert p.meta.months_incomplete == () and p.meta.reconciliation_file == "reconciliation.csv"
    assert pipeline.load_pack(packs["powys"].folder).meta.months_incomplete == (
        "2024-01", "2024-02", "2024-03", "2024-04")


def test_powys_flags_the_incomplete_dyfed_powys_months(packs):
    m = packs["powys"].meta.to_json()
    # every month: January too, though it is the force's busiest month in the files (1,187
    # rows, 910 of them crimes): 910 crimes a month for 515,000 residents is about 21 a year
    # per 1,000, far below the lowest rate any force area records (PROVENANCE: "Dyfed-Powys
    # is incomplete in these months")
    assert m["months_incomplete"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert "50%" in m["months_incomplete_rule"] and "per 1,000" in m["months_incomplete_rule"]
    d = m["months_incomplete_detail"]
    assert {r["force"] for r in d} == {"Dyfed-Powys Police"}
    # the months' rows counted: 1,187, 300, 164 and 283 in the files, less the 0, 1, 1 and 3
    # crimes police.uk publishes again after an earlier month (counted once, in the first month)
    assert [r["rows"] for r in d] == [1187, 299, 163, 280]
    assert [r["month"] for r in d if "busiest month" in r["why"]] == [
        "2024-02", "2024-03", "2024-04"]
    jan = d[0]
    # the force area's Census 2021 usual residents: the four authorities (Carmarthenshire
    # 187,880 + Ceredigion 71,475 + Pembrokeshire 123,400 + Powys 133,165, ONS rounded
    # figures: 515,920); its crime rows exclude anti-social behaviour (277 of 1,187)
    assert abs(jan["residents"] - 515_920) < 200 and jan["crime_rows"] == 910
    assert jan["crimes_per_1000_a_year"] == pytest.approx(910 / jan["residents"] * 12_000,
                                                          abs=0.05)
    assert jan["crimes_per_1000_a_year"] < packcrime.RATE_FLOOR_PER_1000_A_YEAR
    assert "Months flagged incomplete" in (packs["powys"].folder / "PROVENANCE.md").read_text()


def test_incomplete_rule_on_the_real_welsh_months(shared_data, national):
    """On all 12 real files: every Dyfed-Powys month, no North or South Wales month."""
    res = hotspots_io.read_police_uk(shared_data / WALES)
    pop = packbuild.force_residents(national, ["Dyfed-Powys Police", "North Wales Police",
                                               "South Wales Police"])
    flagged = packcrime.incomplete_months(res.frame, residents=pop)
    assert sorted({(r["force"], r["month"]) for r in flagged}) == [
        ("Dyfed-Powys Police", f"2024-0{i}") for i in range(1, 5)]
    # North Wales's quietest month (February, 3,815 crimes for about 687,000 residents) is
    # about 67 a year per 1,000: more than twice the floor
    rates = packcrime.force_month_rates(res.frame, pop)
    nw = rates[rates["force"] == "North Wales Police"]
    assert nw["crimes_per_1000_a_year"].min() > 2 * packcrime.RATE_FLOOR_PER_1000_A_YEAR


def test_manchester_iod2025_without_crime(packs):
    built = packs["manchester"]
    m = built.meta.to_json()
    assert m["deprivation"]["label"] == "IoD 2025 (England)"
    assert m["imd_source"] == "IoD 2025 (England), population-weighted, Census 2021"
    assert m["deprivation"]["n_reference_wards"] == 6793
    assert m["crime_source"].startswith("none") and m["crime_coverage_areas"] == []
    p = pipeline.load_pack(built.folder)
    assert p.crime.empty and p.points is None and len(p.areas) == 32
    assert p.imd["imd_decile"].between(1, 10).all()


def test_whole_force_area_other_forces_are_outside_coverage(packs, shared_data):
    built = packs["force"]
    assert built.place.code == "W15000004" and len(built.place.lads) == 4
    assert sum(built.seconds.values()) < 60
    m = built.meta.to_json()
    assert m["police_uk_assignment"]["rule"] == "lsoa"
    assert sorted(m["points_boroughs"]) == ["Carmarthenshire", "Ceredigion", "Pembrokeshire",
                                            "Powys"]
    rows = pd.read_csv(gzip.open(built.folder / "unassigned_rows.csv.gz"))
    away = rows[rows["status"] == pipeline.STATUS_OUTSIDE_COVERAGE]
    # 42,987 South Wales + 20,747 North Wales rows with an LSOA code (PROVENANCE row counts),
    # less the 5 South Wales crimes published again the next month (counted once, from the
    # first month) plus the 3 Crime IDs listed twice within a month's file (counted as
    # police.uk publishes them): 63,734 - 5 + 3
    assert len(away) == 63732
    assert away["reason"].str.contains("South Wales Police|North Wales Police").all()
    rec = built.reconciliation.iloc[-1]
    assert rec["rows_in"] == 66647 and rec["outside"] >= len(away)
    assert m["months_incomplete"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    # the source names the force whose rows are used, and the others as outside (it named
    # all three forces as if the pack's crime came from them)
    assert m["crime_source"] == (
        "police.uk street-level crime (Dyfed-Powys Police; rows of North Wales Police, South "
        "Wales Police in the files are outside this area, counted outside coverage)")


# --------------------------------------------------------------------------- roll-ups


def _independent_iod(shared: Path, score: str, decile: str) -> pd.DataFrame:
    """Ward score, rank, decile and 10%/20% shares from the raw files with plain pandas."""
    iod = pd.read_csv(shared / IOD)
    lk = pd.read_csv(shared / LOOKUP, encoding="utf-8-sig", usecols=["LSOA21CD", "WD25CD"])
    pop = pd.read_csv(shared / CENSUS, usecols=["geography code", "Age: Total"])
    m = (lk.merge(iod, left_on="LSOA21CD", right_on="LSOA code (2021)")
         .merge(pop, left_on="LSOA21CD", right_on="geography code"))
    w = m["Age: Total"].astype(float)
    g = pd.DataFrame({"ward": m["WD25CD"], "w": w, "ws": w * m[score],
                      "w10": w * (m[decile] == 1), "w20": w * (m[decile] <= 2)})
    s = g.groupby("ward").sum()
    out = pd.DataFrame({"score": s["ws"] / s["w"], "share10": s["w10"] / s["w"],
                        "share20": s["w20"] / s["w"]})
    out["rank"] = out["score"].rank(ascending=False, method="min")
    out["decile"] = np.ceil(10 * out["rank"] / len(out))
    return out


@pytest.mark.parametrize("measure,prefix", [
    ("Index of Multiple Deprivation (IMD)", "imd"), ("Income", "imd_income"),
    ("Living Environment", "imd_living_environment")])
def test_iod2025_rollup_agrees_with_pandas(packs, shared_data, measure, prefix):
    score = next(c for c in pd.read_csv(shared_data / IOD, nrows=0).columns
                 if c.startswith(f"{measure} Score"))
    ref = _independent_iod(shared_data, score,
                           f"{measure} Decile (where 1 is most deprived 10% of LSOAs)")
    assert len(ref) == 6793
    ours = pd.read_csv(packs["manchester"].folder / "imd_wards.csv").set_index("area_code")
    _assert_agree(ours, ref, prefix, "manchester")


def _assert_agree(ours: pd.DataFrame, ref: pd.DataFrame, prefix: str, label: str) -> None:
    """Scores and shares to 1e-9, ranks and deciles exactly; missing in both places alike."""
    r = ref.reindex(ours.index)
    for col, theirs in (("score", "score"), ("share_10pct", "share10"),
                        ("share_20pct", "share20")):
        a, b = ours[f"{prefix}_{col}"], r[theirs]
        assert (a.isna() == b.isna()).all(), (label, col)
        assert np.abs(a - b).max() < 1e-9, (label, col)
    for col in ("rank", "decile"):
        a, b = ours[f"{prefix}_{col}"].astype("float64"), r[col]
        assert (a.isna() == b.isna()).all() and (a.dropna() == b.dropna()).all(), (label, col)


def _welsh_polygons(path: Path, column: str, codes: set[str] | None = None) -> gpd.GeoDataFrame:
    g = gpd.read_file(path, columns=[column], where=f"{column} LIKE 'W%'").to_crs(27700)
    if codes is not None:
        g = g[g[column].isin(codes)]
    g = g.set_geometry(shapely.make_valid(g.geometry.values))
    return g.rename(columns={column: "code"})


def test_wimd_rollup_agrees_with_geopandas_overlay(packs, shared_data):
    wimd = pd.read_csv(shared_data / WIMD)
    lk = pd.read_csv(shared_data / LOOKUP, encoding="utf-8-sig", usecols=["LSOA21CD", "WD25CD"])
    lk = lk[lk["LSOA21CD"].str.startswith("W")]
    old = set(wimd["lsoa11_code"])
    new = set(lk["LSOA21CD"]) - old
    p21 = _welsh_polygons(shared_data / "lsoa_2021_england_wales_bgc/lsoa21_ew_bgc.gpkg",
                          "LSOA21CD", new)
    p11 = _welsh_polygons(shared_data / "lsoa_2011_england_wales_bgc/lsoa11_ew_bgc.gpkg",
                          "LSOA11CD")
    o = gpd.overlay(p21, p11, how="intersection", keep_geom_type=True)
    o["a"] = o.area
    o = o.sort_values(["code_1", "a", "code_2"], ascending=[True, False, True])
    donor = dict(zip(lk["LSOA21CD"], lk["LSOA21CD"], strict=True))
    donor.update(o.drop_duplicates("code_1").set_index("code_1")["code_2"].to_dict())
    assert len(new) == 80 and all(c in donor for c in new)
    lk["src"] = lk["LSOA21CD"].map(donor)
    pop = pd.read_csv(shared_data / CENSUS, usecols=["geography code", "Age: Total"])
    m = lk.merge(wimd, left_on="src", right_on="lsoa11_code").merge(
        pop, left_on="LSOA21CD", right_on="geography code")
    assert len(m) == len(lk) == 1917
    w = m["Age: Total"].astype(float)
    dec = np.ceil(10 * m["IMD_rank"] / 1909)
    s = pd.DataFrame({"ward": m["WD25CD"], "w": w, "ws": w * m["IMD_score"],
                      "w10": w * (dec == 1), "w20": w * (dec <= 2)}).groupby("ward").sum()
    ref = pd.DataFrame({"score": s["ws"] / s["w"], "share10": s["w10"] / s["w"],
                        "share20": s["w20"] / s["w"]})
    ref["rank"] = ref["score"].rank(ascending=False, method="min")
    ref["decile"] = np.ceil(10 * ref["rank"] / len(ref))
    for name in ("cardiff", "powys"):
        ours = pd.read_csv(packs[name].folder / "imd_wards.csv").set_index("area_code")
        _assert_agree(ours, ref, "imd", name)
        lsoas = pd.read_csv(packs[name].folder / "imd_lsoa_assignment.csv")
        assert (lsoas["lsoa11_code"] == lsoas["small_code"].map(donor)).all()


# --------------------------------------------------------------------------- names


def test_names_and_codes_on_the_real_catalogue(national):
    cat = national.catalogue
    assert resolve_area("cardiff", cat).code == "W06000015"
    assert resolve_area("Caerdydd", cat).code == "W06000015"
    assert resolve_area("w06000015", cat).name == "Cardiff"
    assert resolve_area("E23000005", cat).name == "Greater Manchester"
    assert resolve_area("Bristol", cat).code == "E06000023"
    assert resolve_area("south wales police", cat).code == "W15000003"
    assert resolve_area("Yorkshire and the Humber", cat).kind == "region"
    with pytest.raises(AmbiguousAreaError) as e:
        resolve_area("West Midlands", cat)
    assert {p.kind for p in e.value.candidates} == {"police force area", "region"}
    with pytest.raises(AmbiguousAreaError, match="North Yorkshire"):
        resolve_area("north yorkshire", cat)
    with pytest.raises(AreaNotFoundError) as e:
        resolve_area("Manchestr", cat)
    assert e.value.candidates[0].name == "Manchester"
    with pytest.raises(AreaNotFoundError, match="North Yorkshire \\(E06000065\\)"):
        resolve_area("Craven", cat)
    csp = resolve_area("Daventry and South Northamptonshire", cat)
    assert csp.lads == ("E06000062",) and "West Northamptonshire" in csp.note


# --------------------------------------------------------------------------- CLI, bad input


def test_cli_table_on_a_built_pack(packs, tmp_path, capsys):
    rc = cli.main(["table", "--pack", str(packs["cardiff"].folder), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "Areas: 28; with data: 28" in out
    assert "WIMD 2019 (Wales)" in out and "police.uk (2024-01-south-wales-street.csv)" in out
    table = pd.read_csv(tmp_path / "ward_table.csv")
    assert len(table) == 28 and table["imd_score"].notna().all()


def test_cli_errors_are_plain_messages(tmp_path, capsys, shared_data, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_SHARED_DATA", str(shared_data))
    for area, expected in (("Manchestr", "Closest: Manchester (local authority, E08000003)"),
                           ("West Midlands", "pfa:West Midlands"),
                           ("England and Wales", "cannot be compared or pooled")):
        rc = cli.main(["pack", "build", "--area", area, "--out", str(tmp_path / "x")])
        err = capsys.readouterr().err
        assert rc == 2 and err.startswith("error: ") and expected in err
        assert "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_cli_table_on_a_pack_without_measures(packs, tmp_path, capsys):
    rc = cli.main(["table", "--pack", str(packs["manchester"].folder), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "no recorded crime and no referrals" in err and "--police-uk" in err


def test_wrong_and_missing_national_files_are_named(tmp_path, shared_data, national):
    toml = tmp_path / "sources.toml"
    old = shared_data / "imd2019_lsoa_england/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
    toml.write_text(f'[sources]\niod2025 = "{old}"\n')
    data = packbuild.load_national(toml, data_root=shared_data)
    with pytest.raises(InputDataError, match="2011 LSOAs.*File 7"):
        packbuild.build_pack("Manchester", tmp_path / "m", data=data)
    toml.write_text('[sources]\npopulation = "nope/census.csv"\n')
    data = packbuild.load_national(toml, data_root=shared_data)
    with pytest.raises(InputDataError) as e:
        packbuild.build_pack("Manchester", tmp_path / "m", data=data)
    assert "census.csv" in str(e.value) and "Census 2021: TS007A" in str(e.value)
    toml.write_text(f'[sources]\nward_lookup = "{shared_data / CENSUS}"\n')
    with pytest.raises(InputDataError, match="LSOA21CD, WD25CD and LAD25CD"):
        packbuild.load_national(toml, data_root=shared_data)


def test_lsoa_codes_of_the_wrong_vintage_are_counted(tmp_path, shared_data, national):
    src = shared_data / WALES / "2024-01" / "2024-01-south-wales-street.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    cardiff = frame[frame["LSOA name"].str.startswith("Cardiff")].head(200).copy()
    gone = sorted(c for c in national.codes11 - set(national.lookup["lsoa_code"])
                  if c.startswith("W01"))[:5]
    cardiff.iloc[:50, cardiff.columns.get_loc("LSOA code")] = np.resize(gone, 50)
    f = tmp_path / "2024-01" / "2024-01-south-wales-street.csv"
    f.parent.mkdir()
    cardiff.to_csv(f, index=False)
    built = packbuild.build_pack("Cardiff", tmp_path / "pack", data=national, police_uk=[f],
                                 assign_by="lsoa")
    assert built.meta.to_json()["police_uk_lsoa_codes"]["2011 only"] == 50
    rows = pd.read_csv(gzip.open(tmp_path / "pack" / "unassigned_rows.csv.gz"))
    assert rows["reason"].str.contains("wrong vintage").sum() == 50
    rec = built.reconciliation.iloc[-1]
    assert rec["rows_in"] == 200 and rec["unlocated"] >= 50
    assert built.meta.to_json()["police_uk_assignment"]["rows_point_only"] >= 50


IOD2019 = "imd2019_lsoa_england/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(str).str.replace(",", ""), errors="coerce")


def _avg_rank_rank(lsoa_rank: pd.DataFrame, lk: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    m = lk.merge(lsoa_rank, on="lsoa").merge(pop, on="lsoa")
    m = m.assign(pop=_num(m["pop"]), rank=_num(m["rank"]))
    g = (m.assign(wr=m["pop"] * m["rank"]).groupby("ward")[["pop", "wr"]].sum())
    out = pd.DataFrame({"avg": g["wr"] / g["pop"]})
    out["rank"] = out["avg"].rank(method="min")
    out["decile"] = np.ceil(10 * out["rank"] / len(out))
    return out


def test_iod2019_to_2025_change_agrees_with_pandas(packs, shared_data):
    """The change columns from the raw files with plain pandas and a geopandas bridge.

    2025: exactly (2021 LSOAs, no bridge). 2019: 2011 LSOAs; a 2021 LSOA with a 2011
    code takes it; a new one here takes the retired 2011 LSOA containing its
    representative point (an independent, cruder bridge than the pack's largest
    overlap), so 2019 ranks agree for nearly every ward, not all.
    """
    lk = pd.read_csv(shared_data / LOOKUP, encoding="utf-8-sig", usecols=["LSOA21CD", "WD25CD"])
    lk = lk[lk["LSOA21CD"].str.startswith("E")].rename(columns={"LSOA21CD": "lsoa",
                                                                  "WD25CD": "ward"})
    pop = pd.read_csv(shared_data / CENSUS, usecols=["geography code", "Age: Total"]).rename(
        columns={"geography code": "lsoa", "Age: Total": "pop"})
    iod = pd.read_csv(shared_data / IOD)
    r25 = iod[["LSOA code (2021)", "Index of Multiple Deprivation (IMD) Rank (where 1 is most "
               "deprived)"]].set_axis(["lsoa", "rank"], axis=1)
    ref25 = _avg_rank_rank(r25, lk, pop)
    f1 = pd.read_csv(shared_data / IOD2019, encoding="utf-8-sig")
    r19 = f1.iloc[:, [0, 4]].set_axis(["lsoa11", "rank"], axis=1)
    new = sorted(set(lk["lsoa"]) - set(r19["lsoa11"]))
    retired = sorted(set(r19["lsoa11"]) - set(lk["lsoa"]))
    p21 = gpd.read_file(shared_data / "lsoa_2021_england_wales_bgc/lsoa21_ew_bgc.gpkg",
                        where="LSOA21CD IN ('" + "','".join(new) + "')")
    p11 = gpd.read_file(shared_data / "lsoa_2011_england_wales_bgc/lsoa11_ew_bgc.gpkg",
                        where="LSOA11CD IN ('" + "','".join(retired) + "')")
    pts = gpd.GeoDataFrame({"lsoa": p21["LSOA21CD"]}, geometry=p21.representative_point(),
                           crs=p21.crs).to_crs(p11.crs)
    hit = gpd.sjoin(pts, p11[["LSOA11CD", "geometry"]], predicate="within")
    bridge = pd.concat([pd.DataFrame({"lsoa": sorted(set(lk["lsoa"]) & set(r19["lsoa11"]))})
                        .assign(lsoa11=lambda d: d["lsoa"]),
                        hit[["lsoa", "LSOA11CD"]].rename(columns={"LSOA11CD": "lsoa11"})])
    ref19 = _avg_rank_rank(bridge.merge(r19, on="lsoa11")[["lsoa", "rank"]], lk, pop)
    ours = pd.read_csv(packs["manchester"].folder / "imd_wards.csv").set_index("area_code")
    assert packs["manchester"].meta.deprivation["change"]["n_wards"] == len(ref25) == 6793
    r = ref25.reindex(ours.index)
    assert (ours["imd2025_avgrank_rank"] == r["rank"]).all()
    assert (ours["imd2025_avgrank_decile"] == r["decile"]).all()
    r = ref19.reindex(ours.index)
    same = (ours["imd2019_avgrank_rank"] - r["rank"]).abs() <= 2
    assert same.mean() >= 0.9, (ours["imd2019_avgrank_rank"] - r["rank"]).describe()
    assert (ours["imd2019_avgrank_decile"] - r["decile"]).abs().max() <= 1
    assert (ours["imd_rank_change"] == ours["imd2025_avgrank_rank"]
            - ours["imd2019_avgrank_rank"]).all()
    assert "Ranks and deciles can be compared" in packs["manchester"].meta.deprivation[
        "change"]["caveat"]


def test_a_force_pack_web_layer_is_simplified_for_its_width(packs):
    """Dyfed-Powys (190 km wide) at London's 20 m sent 50,144 vertices for 204 wards and took
    the browser 20 s to draw; its web layer is now simplified in proportion to its width."""
    from boundaries.web import web_layer
    from hotspots.pipeline import pack as packmod

    p = pipeline.load_pack(packs["force"].folder)
    assert packmod.web_tolerance(p.areas) == 63.0
    n = int(shapely.get_num_coordinates(p.web_areas.geometry.values).sum())
    at20 = web_layer(p.areas, tolerance_m=20.0, precision=5, keep=("area_code",))
    assert n < 0.75 * int(shapely.get_num_coordinates(at20.geometry.values).sum())
    assert len(p.web_areas) == len(p.areas)  # every ward still drawn
    assert packmod.web_tolerance(pipeline.load_pack().areas) == 20.0  # London unchanged


def test_cli_pack_build_says_why_months_are_flagged_in_a_whole_sentence(tmp_path, capsys,
                                                                       shared_data,
                                                                       monkeypatch):
    """It printed "(a month is flagged for a force when)": the rule cut at its first '('."""
    monkeypatch.setenv("HOTSPOTS_SHARED_DATA", str(shared_data))
    files = sorted((shared_data / WALES).glob("*/*dyfed-powys-street.csv"))
    rc = cli.main(["pack", "build", "--area", "Powys", "--police-uk", *map(str, files),
                   "--out", str(tmp_path / "powys")])
    out = capsys.readouterr().out
    assert rc == 0
    line = next(x for x in out.splitlines() if x.startswith("Months flagged incomplete"))
    assert line.startswith("Months flagged incomplete: 2024-01, 2024-02, 2024-03, 2024-04 "
                           "(far fewer rows than the force's busiest month")
    assert line.endswith("the rule in full is in the pack's PROVENANCE.md)")
    assert "Months flagged incomplete" in (tmp_path / "powys" / "PROVENANCE.md").read_text()
