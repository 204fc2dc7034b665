"""The board pack of a pack built for a place outside London speaks that place's words.

Two packs are built from the real national files: Powys (Wales: WIMD 2019, the real
Dyfed-Powys police.uk months, all four flagged incomplete) and Exeter (England outside
London: IoD 2025; its crime is a small police.uk file written here, synthetic rows at
each ward's representative point, because the shared data hold no English force's
street files outside London). Their board packs are read back from the PDF, the CSVs
and the figures' text: no "IMD 2019" and no "borough" where neither applies; the
index, its edition and nation, and "Local authority" where they do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from matplotlib.text import Text
from pypdf import PdfReader

from hotspots import pipeline
from hotspots.pipeline import packbuild
from hotspots.report import build_report, config_from_mapping
from hotspots.report.content import build_section, resolve_period
from hotspots.report.figures import section_figures

pytestmark = pytest.mark.realdata

WALES = "police_uk_wales_2024-01_to_2024-04"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
          "LSOA code,LSOA name,Crime type,Last outcome category,Context")
BOROUGH = re.compile(r"\bboroughs?\b", re.IGNORECASE)
IMD2019 = re.compile(r"\bIMD 2019\b")  # England's IoD 2019 (not "WIMD 2019")


def _synthetic_police_uk(wards: gpd.GeoDataFrame, folder: Path) -> list[Path]:
    """Three months of police.uk rows for Devon & Cornwall Police, 1 to 7 per ward."""
    pts = wards.geometry.representative_point().to_crs(4326)
    out = []
    for month in ("2024-01", "2024-02", "2024-03"):
        lines = [HEADER]
        for i, (code, p) in enumerate(zip(wards["area_code"], pts, strict=True)):
            for j in range(1 + (i * 5 + int(month[-1])) % 7):
                lines.append(f"{code}{month}{j},{month},Devon & Cornwall Police,Devon & "
                             f"Cornwall Police,{p.x:.6f},{p.y:.6f},On or near a street,,,"
                             "Burglary,,")
        path = folder / f"{month}-devon-and-cornwall-street.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out.append(path)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data) -> dict[str, tuple[pipeline.Pack, Path, str]]:
    root = tmp_path_factory.mktemp("anyplace")
    national = packbuild.load_national(data_root=shared_data)
    powys = packbuild.build_pack(
        "Powys", root / "powys", data=national,
        police_uk=sorted((shared_data / WALES).glob("*/*dyfed-powys-street.csv")))
    first = packbuild.build_pack("Exeter", root / "exeter0", data=national)
    files = _synthetic_police_uk(pipeline.load_pack(first.folder).areas, root)
    exeter = packbuild.build_pack("Exeter", root / "exeter", data=national, police_uk=files)
    out = {}
    for name, b, (frm, to) in (("powys", powys, ("2024-01", "2024-04")),
                               ("exeter", exeter, ("2024-01", "2024-03"))):
        pack = pipeline.load_pack(b.folder)
        cfg = config_from_mapping({
            "title": f"{name} board pack", "measures": ["crime:all"], "rate": "per_1000",
            "period": {"from": frm, "to": to, "comparison": "none"},
            "statistics": {"permutations": 99, "seed": 1},
            # Powys: patrol pages by default (the pack has points), refused as too large
            **({} if name == "powys" else {"patrol": {"enabled": False}}),
            "formats": ["pdf", "csv", "png"], "output": str(root / f"{name}-report")})
        res = build_report(cfg, pack=pack)
        text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(res.pdf).pages)
                        .split())
        s = build_section(pack, cfg, "crime:all", resolve_period(pack.months, cfg))
        figs = section_figures(s, pack.meta, classes=cfg.map_classes)
        fig_text = {f.name.split("_", 1)[1]: " ".join(" ".join(
            t.get_text() for t in f.figure.findobj(Text)).split()) for f in figs}
        out[name] = (pack, res.folder, text, fig_text, res.patrol_reason)
    return out


@pytest.mark.parametrize("name, index, edition", [
    ("powys", "WIMD 2019 (Wales)", "Welsh Index of Multiple Deprivation 2019"),
    ("exeter", "IoD 2025 (England)", "English Indices of Deprivation 2025"),
])
def test_board_pack_names_the_pack_index_and_local_authorities(built, name, index, edition):
    pack, folder, text, figs, _ = built[name]
    assert pack.meta.imd_label == index
    assert not IMD2019.search(text)
    assert not BOROUGH.findall(text), BOROUGH.findall(text)[:5]
    assert "By local authority" in text and "Local authority" in text
    assert f"Spearman's rank correlation with {index} score" in text
    assert edition in text  # the method card's deprivation row: edition and nation
    assert "population base: Census 2021" in text
    top = pd.read_csv(folder / "crime-all_top_wards.csv")
    assert "Local authority" in top.columns and f"{index} decile" in top.columns
    assert "Borough" not in top.columns and "IMD decile" not in top.columns
    assert top[f"{index} decile"].between(1, 10).all()
    by_la = pd.read_csv(folder / "crime-all_boroughs.csv")
    assert list(by_la["Local authority"]) == [pack.areas["borough_name"].iloc[0], "Total"]
    dep = figs["imd_map"]
    assert f"Deprivation: {index} average score by ward" in dep
    assert f"{index} score (higher = more deprived)" in dep
    assert edition in dep and "Census 2021" in dep
    assert not IMD2019.search(" ".join(figs.values()))
    assert not any(BOROUGH.search(t) for t in figs.values())


def test_powys_board_pack_flags_the_incomplete_months(built):
    _, _, text, figs, _ = built["powys"]
    assert ("Months that look incomplete in the police.uk files (read them as partial, not "
            "as a fall in crime): Jan–Apr 2024") in text
    assert "2024-01: Dyfed-Powys Police 910 crimes for" in text  # the method card's detail
    assert "below the floor of 30" in text
    assert "Months that look incomplete" in figs["monthly"]
    assert "Looks incomplete" in figs["monthly"]  # the ringed months' legend
    assert "not Wales's deciles" in text and "England's" not in text


def test_powys_board_pack_leaves_out_patrol_cells_for_a_county(built):
    """5,196 km^2 of 150 m cells (230,912) ran out of memory after minutes; now left out,
    saying why and what to do, and the rest of the pack is built."""
    _, folder, text, _, reason = built["powys"]
    assert "makes about 230,912 cells of 150 m" in reason and "at least 230 m" in reason
    assert (folder / "powys-board-pack.pdf").is_file() and "Patrol cells:" not in text
    # The PDF says so too (it said nothing: the reason was only in the terminal and manifest).
    assert "Patrol pages left out: The patrol study area (Powys: 5,196 km²)" in text
    assert "makes about 230,912 cells of 150 m" in text


NW_GAPS = ["Aberdyfi", "Abersoch gyda Llanengan", "Clynnog"]


@pytest.fixture(scope="module")
def north_wales(tmp_path_factory, shared_data) -> tuple[pipeline.Pack, str]:
    """A North Wales force pack's board pack, with the default comparison and patrol."""
    root = tmp_path_factory.mktemp("northwales")
    b = packbuild.build_pack("North Wales", root / "nw",
                             data=packbuild.load_national(data_root=shared_data),
                             police_uk=[shared_data / WALES])
    pack = pipeline.load_pack(b.folder)
    cfg = config_from_mapping({"title": "NW board pack", "measures": ["crime:all"],
                               "statistics": {"permutations": 99, "seed": 1},
                               "patrol": {"permutations": 99},
                               "formats": ["pdf"], "output": str(root / "report")})
    res = build_report(cfg, pack=pack)
    return pack, " ".join(" ".join(p.extract_text() or "" for p in PdfReader(res.pdf).pages)
                          .split())


def test_north_wales_wards_without_lsoa_are_explained_once_in_plain_words(
        north_wales, shared_data):
    """Six small Gwynedd wards get no LSOA in ONS's best-fit LSOA21->WD25 lookup: the board
    read raw '[warning] ... Check the population file' lines under Key findings."""
    pack, text = north_wales
    lookup = pd.read_csv(next((shared_data / "lookups").glob("LSOA_(2021)_to_Electoral_Ward_"
                                                              "(2025)*.csv.gz")),
                         usecols=["WD25CD"], encoding="utf-8-sig")
    gaps = pack.areas[~pack.areas["area_code"].isin(lookup["WD25CD"])]
    assert len(gaps) == 6 and set(NW_GAPS) <= set(gaps["area_name"])  # the real cause
    assert pack.population.set_index("area_code").loc[gaps["area_code"], "population"].isna().all()
    assert "[warning]" not in text and "population file" not in text
    assert "Check the" not in text
    assert text.count("6 wards have no LSOA of their own in ONS's best-fit lookup") == 1
    assert "their crimes are counted, their rates are not shown (Aberdyfi, " in text


def test_north_wales_board_pack_wording(north_wales):
    """'its count covers the other 0 only'; '1 wards are'."""
    _, text = north_wales
    assert "the other 0" not in text and "Choose periods" not in text
    assert "is not in the data: none of its 4 months (Jan–Apr 2023) are covered" in text
    assert not re.search(r"\b1 (wards|rows)\b", text), re.findall(r".{60}\b1 wards.{20}", text)


def test_north_wales_board_pack_has_patrol_pages_for_the_busiest_authority(north_wales):
    """The whole force is too large for one grid: the pages were left out; now, as the page
    and the command line, they cover the authority with the most located records, and say
    why and how to choose another."""
    _, text = north_wales
    assert "Patrol pages left out:" not in text
    assert "Patrol cells: Wrexham" in text
    assert "so the study area starts as Wrexham, the area with the most located records" in text
    assert "Choose other areas with [patrol] boroughs in the report config." in text


def test_board_pack_of_a_pack_without_crime_is_deprivation_and_population(
        tmp_path, shared_data):
    """Manchester built without police.uk files: the board pack was refused ("nothing to map
    or rank"); now it prints deprivation and population pages, says there is no crime data,
    and never prints a crime figure (no zeros)."""
    national = packbuild.load_national(data_root=shared_data)
    b = packbuild.build_pack("Manchester", tmp_path / "manchester", data=national)
    pack = pipeline.load_pack(b.folder)
    cfg = config_from_mapping({"title": "Manchester profile", "formats": ["pdf", "csv", "xlsx"],
                               "output": str(tmp_path / "report")})
    res = build_report(cfg, pack=pack)
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(res.pdf).pages]
    text = " ".join(pages)
    assert "No crime data: this pack was built without police.uk files" in text
    assert "Deprivation: IoD 2025 (England) score by ward" in text
    assert "Population and deprivation by local authority" in text
    assert "English Indices of Deprivation 2025" in text and "Census 2021" in text
    # no crime page, no crime count, no hot spot statistics
    for absent in ("Recorded crime", "crimes", "Getis", "Moran", "per 1,000"):
        assert absent not in text, absent
    assert not any("Crime" in p and "rank" in p.lower() and "Hot spot" in p for p in pages)
    # the tables against the pack's files, read independently
    imd = pd.read_csv(b.folder / "imd_wards.csv")
    pop = pd.read_csv(b.folder / "population.csv")
    dep = pd.read_csv(res.folder / "deprivation_wards.csv")
    assert len(dep) == len(imd) == 32
    top = imd.sort_values("imd_score", ascending=False).iloc[0]
    name = pack.areas.set_index("area_code").loc[top["area_code"], "area_name"]
    assert dep.iloc[0]["Ward"] == name
    assert dep.iloc[0]["IoD 2025 (England) score"] == round(top["imd_score"], 2)
    assert f"{name} (Manchester) has the highest IoD 2025 (England) average score" in text
    la = pd.read_csv(res.folder / "population_authorities.csv")
    assert la.loc[0, "Residents"] == pop["population"].sum()
    m = pop.merge(imd, on="area_code")
    share = 100 * (m["imd_share_10pct"] * m["population"]).sum() / m["population"].sum()
    assert la.loc[0, "% residents in most deprived 10% LSOAs"] == round(share, 1)
    man = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert man["parameters"]["measures"] == []
    assert man["parameters"]["deprivation"]["edition"] == "English Indices of Deprivation 2025"
    assert {"deprivation_wards.csv", "population_authorities.csv"} <= set(man["outputs"])
