"""A pack spanning England and Wales on mySociety's composite UK IMD (issue 14).

Monmouthshire (Wales) and Herefordshire (England) in one pack (``--area`` twice):
refused for a single national index; with ``--index composite`` the composite is
rolled up to the 2025 wards, checked here against an independent pandas +
geopandas computation from the raw files (to 1e-9; ranks and deciles exactly),
and its licence and meaning are on the legend, the board pack's method card and
both manifests.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.text import Text
from pypdf import PdfReader

from hotspots import cli, pipeline
from hotspots._errors import InputDataError
from hotspots.pipeline import packbuild
from hotspots.report import build_report, config_from_mapping

pytestmark = pytest.mark.realdata

LOOKUP = ("lookups/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2"
          ".csv.gz")
COMPOSITE = "uk_composite_imd_mysociety/UK_IMD_E.csv.gz"
CENSUS = "population/census2021-ts007a-lsoa.csv.gz"
AREAS = ["Monmouthshire", "Herefordshire"]


@pytest.fixture(scope="module")
def border(tmp_path_factory, shared_data) -> packbuild.PackBuild:
    national = packbuild.load_national(data_root=shared_data)
    return packbuild.build_pack(AREAS, tmp_path_factory.mktemp("border") / "pack",
                                data=national, deprivation="composite")


def test_a_pack_across_the_border_is_refused_for_a_national_index(tmp_path, shared_data,
                                                                   capsys):
    national = packbuild.load_national(data_root=shared_data)
    for choice in ("auto", "iod2025", "wimd2019"):
        with pytest.raises(InputDataError, match=r"spans England and Wales.*--index composite"):
            packbuild.build_pack(AREAS, tmp_path / choice, data=national, deprivation=choice)
        assert not (tmp_path / choice).exists()  # refused before anything is written
    code = cli.main(["pack", "build", "--area", "Monmouthshire", "--area", "Herefordshire",
                     "--out", str(tmp_path / "cli")])
    err = capsys.readouterr().err
    assert code == 2 and "spans England and Wales" in err and "Traceback" not in err


def _polygons(path: Path, column: str, codes: set[str] | None = None) -> gpd.GeoDataFrame:
    g = gpd.read_file(path, columns=[column]).to_crs(27700)
    g = g[g[column].str[:1].isin(["E", "W"])]
    if codes is not None:
        g = g[g[column].isin(codes)]
    g = g.set_geometry(shapely.make_valid(g.geometry.values))
    return g.rename(columns={column: "code"})


def test_composite_rollup_agrees_with_pandas(border, shared_data):
    """Every England and Wales ward from the raw files: score, 10%/20% shares, rank, decile."""
    comp = pd.read_csv(shared_data / COMPOSITE)
    comp = comp[comp["nation"].isin(["E", "W"])]
    lk = pd.read_csv(shared_data / LOOKUP, encoding="utf-8-sig", usecols=["LSOA21CD", "WD25CD"])
    old = set(comp["lsoa"])
    new = set(lk["LSOA21CD"]) - old
    p21 = _polygons(shared_data / "lsoa_2021_england_wales_bgc/lsoa21_ew_bgc.gpkg", "LSOA21CD",
                    new)
    p11 = _polygons(shared_data / "lsoa_2011_england_wales_bgc/lsoa11_ew_bgc.gpkg", "LSOA11CD")
    o = gpd.overlay(p21, p11, how="intersection", keep_geom_type=True)
    o["a"] = o.area
    o = o.sort_values(["code_1", "a", "code_2"], ascending=[True, False, True])
    donor = {c: c for c in lk["LSOA21CD"] if c in old}
    donor.update(o.drop_duplicates("code_1").set_index("code_1")["code_2"].to_dict())
    assert all(c in donor for c in lk["LSOA21CD"])
    lk["src"] = lk["LSOA21CD"].map(donor)
    pop = pd.read_csv(shared_data / CENSUS, usecols=["geography code", "Age: Total"])
    m = lk.merge(comp, left_on="src", right_on="lsoa").merge(
        pop, left_on="LSOA21CD", right_on="geography code")
    assert len(m) == len(lk) == 35672
    w = m["Age: Total"].astype(float)
    dec = m["UK_IMD_E_pop_decile"]
    s = pd.DataFrame({"ward": m["WD25CD"], "w": w, "ws": w * m["UK_IMD_E_score"],
                      "w10": w * (dec == 1), "w20": w * (dec <= 2)}).groupby("ward").sum()
    ref = pd.DataFrame({"score": s["ws"] / s["w"], "share10": s["w10"] / s["w"],
                        "share20": s["w20"] / s["w"]})
    ref["rank"] = ref["score"].rank(ascending=False, method="min")
    ref["decile"] = np.ceil(10 * ref["rank"] / len(ref))
    ours = pd.read_csv(border.folder / "imd_wards.csv").set_index("area_code")
    assert len(ours) == 92 and ours["imd_score"].notna().all()
    assert {c[0] for c in ours.index} == {"E", "W"}  # both nations, one scale
    r = ref.reindex(ours.index)
    for col, theirs in (("score", "score"), ("share_10pct", "share10"),
                        ("share_20pct", "share20")):
        assert np.abs(ours[f"imd_{col}"] - r[theirs]).max() < 1e-9, col
    for col in ("rank", "decile"):
        assert (ours[f"imd_{col}"].astype("float64") == r[col]).all(), col
    meta = border.meta.deprivation or {}
    assert meta["n_reference_wards"] == len(ref)
    lsoas = pd.read_csv(border.folder / "imd_lsoa_assignment.csv")
    assert (lsoas["lsoa11_code"] == lsoas["small_code"].map(donor)).all()


def test_composite_licence_and_meaning_on_legend_method_card_and_manifests(border, tmp_path):
    meta = json.loads((border.folder / "pack.json").read_text(encoding="utf-8"))
    dep = meta["deprivation"]
    assert dep["index"] == "composite" and dep["licence"].startswith("Creative Commons "
                                                                    "Attribution 4.0")
    assert "not for publishing rankings" in dep["caveat"] and "IoD 2019" in dep["caveat"]
    pack = pipeline.load_pack(border.folder)
    res = build_report(config_from_mapping({
        "title": "Border profile", "formats": ["pdf", "png"], "output": str(tmp_path / "r")}),
        pack=pack)
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(res.pdf).pages).split())
    assert "Composite UK IMD (England-based, mySociety) score by ward" in text
    assert "licence: Creative Commons Attribution 4.0" in text  # the method card
    assert "not for publishing rankings of individual places" in text
    man = json.loads(res.manifest.read_text(encoding="utf-8"))["parameters"]["deprivation"]
    assert man["licence"] == dep["licence"] and man["caveat"] == dep["caveat"]
    # the print map's legend note and the page's legend
    from hotspots.report.profile import area_profile

    fig = area_profile(pack, config_from_mapping({"title": "x"})).pages[0].figure
    legend = " ".join(t.get_text() for t in fig.findobj(Text))
    assert "Composite UK IMD by mySociety, licence: Creative Commons Attribution 4.0" in legend
    from ui import cache

    panel = cache.imd_panel(str(border.folder), None, "quantiles", 5, "none")
    assert "licence: Creative Commons Attribution 4.0" in panel.legend
    assert "not for publishing rankings" in panel.legend
