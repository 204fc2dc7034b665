"""Anti-social behaviour is its own measure: never inside "all crime", selectable on its own.

police.uk street files hold anti-social behaviour (ASB) incidents beside crime. Tiny
police.uk files with ASB and crime rows in known demo wards are uploaded beside the
pack's crime, uploaded in place of it, and read by the command line; the counts are
checked against an independent geopandas ``sjoin`` of the rows.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from hotspots import cli, pipeline
from hotspots.pipeline import measures
from hotspots.pipeline import uploads as uploads
from hotspots.report import config_from_mapping

ASB = "Anti-social behaviour"
MONTH = "2025-05"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
          "LSOA code,LSOA name,Crime type,Last outcome category,Context")


@pytest.fixture(scope="module")
def base() -> pipeline.Pack:
    return pipeline.load_pack()


@pytest.fixture(scope="module")
def rows(base) -> list[tuple[str, float, float, str]]:
    """Hackney: 4 ASB + 1 burglary; Lambeth: 2 robberies + 1 ASB (lowest ward codes)."""
    a = base.areas
    out = []
    for borough, kinds in (("Hackney", [ASB] * 4 + ["Burglary"]),
                           ("Lambeth", ["Robbery", "Robbery", ASB])):
        ward = a[a["borough_name"] == borough].sort_values("area_code").iloc[0]
        pt = gpd.GeoSeries([ward.geometry.representative_point()], crs=a.crs).to_crs(4326)[0]
        out += [("" if k == ASB else f"{borough}{i}", pt.x, pt.y, k)
                for i, k in enumerate(kinds)]
    return out


def _csv(rows) -> bytes:  # type: ignore[no-untyped-def]
    force = "Metropolitan Police Service"
    lines = [HEADER] + [f"{cid},{MONTH},{force},{force},{x:.6f},{y:.6f},On or near a street,"
                        f",,{kind},,"for cid, x, y, kind in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _sjoin(rows, areas, keep) -> pd.Series:  # type: ignore[no-untyped-def]
    ok = [r for r in rows if keep(r[3])]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([r[1] for r in ok], [r[2] for r in ok]),
                           crs="EPSG:4326").to_crs(areas.crs)
    hits = gpd.sjoin(pts, areas[["area_code", "geometry"]], predicate="within")
    return hits["area_code"].value_counts().sort_index()


def _counts(pack, key: str) -> pd.Series:  # type: ignore[no-untyped-def]
    wt = measures.table_for(pack, pipeline.Selection(key, MONTH, MONTH))
    c = wt.frame.set_index("area_code")["count"]
    return c[c > 0].astype(int).sort_index()


@pytest.mark.parametrize("mode", ["add", "replace"])
def test_asb_never_inside_all_crime_and_selectable_on_its_own(base, rows, mode):
    pack = uploads.pack_with_uploads(base, police_uk_files=[("may.csv", _csv(rows))],
                                     crime_mode=mode)
    opts = pipeline.measure_options(pack)
    assert "asb:all" in opts and "Anti-social behaviour" in opts["asb:all"]
    assert not [k for k in opts if ASB in k and k != "asb:all"]  # not a crime type
    all_police = ("crime:all" if mode == "replace"
                  else f"{uploads.SOURCE_KEY_PREFIX}{uploads.POLICE_UK_KEY}")
    crime = _counts(pack, all_police)
    assert crime.tolist() == _sjoin(rows, base.areas, lambda k: k != ASB).tolist() == [1, 2]
    asb = _counts(pack, "asb:all")
    assert asb.tolist() == _sjoin(rows, base.areas, lambda k: k == ASB).tolist() == [4, 1]
    assert set(asb.index) == set(crime.index)
    wt = measures.table_for(pack, pipeline.Selection("asb:all", MONTH, MONTH))
    assert wt.n_records == 5 and "Anti-social behaviour" in wt.label
    assert wt.frame["count"].isna().sum() == 25  # the City's wards: another force, no data
    groups = measures.measure_groups(pack)
    assert groups["asb"].options == {"asb:all": "All anti-social behaviour"}
    police_types = set(groups["police_uk"].options)
    assert not any(ASB in k for k in police_types)
    with pytest.raises(ValueError, match="its own measure"):
        measures.table_for(pack, pipeline.Selection(
            f"crime:major:{uploads.POLICE_UK_PREFIX}{ASB}", MONTH, MONTH))


def test_pack_without_asb_offers_no_asb_measure(base):
    assert "asb:all" not in pipeline.measure_options(base)
    assert "asb" not in measures.measure_groups(base)


def test_command_line_lists_and_tables_asb(base, rows, tmp_path, capsys):
    wards = base.areas[base.areas["borough_name"].isin(["Hackney", "Lambeth"])]
    wards.to_file(tmp_path / "wards.gpkg", layer="wards", driver="GPKG")
    (tmp_path / "police.csv").write_bytes(_csv(rows))
    files = ["--areas", str(tmp_path / "wards.gpkg"), "--police-uk", str(tmp_path / "police.csv")]
    assert cli.main(["measures", *files]) == 0
    listed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert "asb:all" in listed and not any(ASB in k for k in listed if k != "asb:all")
    assert listed["crime:all"].startswith("All recorded crime")
    for key, expected in (("crime:all", 3), ("asb:all", 5)):
        out = tmp_path / key.replace(":", "_")
        assert cli.main(["table", *files, "--measure", key, "--out", str(out)]) == 0
        assert pd.read_csv(out / "ward_table.csv")["count"].sum() == expected


def test_board_pack_config_takes_the_asb_measure(tmp_path):
    cfg = config_from_mapping({"measures": ["crime:all", "asb:all"], "output": str(tmp_path)})
    assert cfg.measures == ("crime:all", "asb:all")


def test_board_pack_map_of_an_asb_rate_names_asb_not_crimes(base, rows, tmp_path):
    """The measure map of 'asb:all' at a rate per 1,000 says ASB incidents (issue 13)."""
    from matplotlib.text import Text

    from hotspots.report.content import build_section, resolve_period
    from hotspots.report.figures import section_figures

    pack = uploads.pack_with_uploads(base, police_uk_files=[("may.csv", _csv(rows))],
                                     crime_mode="add")
    cfg = config_from_mapping({"measures": ["asb:all"], "rate": "per_1000",
                               "period": {"from": MONTH, "to": MONTH},
                               "statistics": {"permutations": 99},
                               "output": str(tmp_path)})
    s = build_section(pack, cfg, "asb:all", resolve_period(pack.months, cfg))
    figs = section_figures(s, pack.meta, classes=cfg.map_classes)
    fig = next(f for f in figs if f.name.endswith("_measure_map")).figure
    words = " ".join(" ".join(t.get_text() for t in fig.findobj(Text)).split())  # unwrapped
    assert "ASB incidents per 1,000 residents" in words  # legend title
    assert "; ASB incidents per 1,000 residents per ward" in words  # subtitle
    assert "crimes per 1,000" not in words.lower()
    for f in figs:
        f.figure.clear()
