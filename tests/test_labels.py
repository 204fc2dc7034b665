"""Labels people read: measure names (MPS capitals) and police.uk street names."""

from __future__ import annotations

import csv
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import pipeline
from hotspots.labels import measure_label, street_name
from hotspots.patrol import cells as patrol
from hotspots.patrol import grid as grid


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("NFIB FRAUD", "NFIB Fraud"),
        ("NFIB", "NFIB"),
        ("RES BURGLARY OF A HOME", "Residential Burglary of a Home"),
        ("VIOLENCE AGAINST THE PERSON", "Violence Against the Person"),
        ("VIOLENCE WITH INJURY", "Violence with Injury"),
        ("THEFT OR UNAUTH TAKING OF A MOTOR VEH",
         "Theft or Unauthorised Taking of a Motor Vehicle"),
        ("PUBLIC FEAR ALARM OR DISTRESS", "Public Fear Alarm or Distress"),
        ("BURGLARY - RESIDENTIAL", "Burglary - Residential"),
        ("A BURGLARY", "A Burglary"),  # a small word is capitalised first
        ("CHILDREN'S HOMES", "Children's Homes"),
        # the source's own capitalisation is kept (police.uk, referral categories)
        ("Anti-social behaviour", "Anti-social behaviour"),
        ("Child criminal exploitation (CCE)", "Child criminal exploitation (CCE)"),
        ("police.uk: Vehicle crime", "police.uk: Vehicle crime"),
    ],
)
def test_measure_label(text, label):
    assert measure_label(text) == label


def test_measure_options_use_the_one_label_function(demo_dir):
    opts = pipeline.measure_options(pipeline.load_pack(demo_dir))
    assert opts["crime:major:NFIB FRAUD"] == "NFIB Fraud"
    assert opts["crime:minor:BURGLARY|RES BURGLARY OF A HOME"] == (
        "Burglary: Residential Burglary of a Home")
    labels = " | ".join(opts.values())
    assert "Nfib" not in labels and " Of A " not in labels and " A " not in labels
    for key, label in opts.items():  # every crime label is measure_label of its key's parts
        if key.startswith("crime:minor:"):
            major, minor = key[len("crime:minor:"):].split("|")
            assert label == f"{measure_label(major)}: {measure_label(minor)}"


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("On or near Alderman'S Walk", "On or near Alderman's Walk"),
        ("On or near St Andrew'S Hill", "On or near St Andrew's Hill"),
        ("On or near Gray'S Inn Road", "On or near Gray's Inn Road"),
        ("On or near O'Leary Drive", "On or near O'Leary Drive"),
        ("On or near Mcinroy Close", "On or near McInroy Close"),
        ("On or near Macdonald Road", "On or near Macdonald Road"),  # Mac is left alone
        ("On or near Allt-Y-Graban Road", "On or near Allt-y-Graban Road"),
        ("On or near Ty'N-Y-Coed Lane", "On or near Ty'n-y-Coed Lane"),
        ("On or near Banc-Yr-Allt", "On or near Banc-yr-Allt"),
        ("On or near Bron Yr Allt", "On or near Bron yr Allt"),
        ("On or near Bron-Y-De", "On or near Bron-y-De"),  # last piece keeps its capital
        ("On or near Heads Of The Valleys Road", "On or near Heads of the Valleys Road"),
        ("On or near Yr-Hen-Lawnt", "On or near Yr-Hen-Lawnt"),  # first piece too
        ("Stratford-Upon-Avon Road", "Stratford-upon-Avon Road"),
        ("On or near Supermarket", "On or near Supermarket"),
    ],
)
def test_street_name(location, name):
    assert street_name(location) == name


def _police_uk_locations(folder) -> set[str]:
    out = set()
    for f in sorted(folder.rglob("*-street.csv")):
        with f.open(encoding="utf-8-sig", newline="") as fh:
            out |= {row["Location"] for row in csv.DictReader(fh) if row.get("Location")}
    return out


@pytest.mark.realdata
def test_street_names_of_real_police_uk_files(shared_data):
    locations = set()
    for name in ("police_uk_city_of_london_2017-12_to_2020-11",
                 "police_uk_wales_2024-01_to_2024-04"):
        locations |= _police_uk_locations(shared_data / name)
    assert len(locations) > 10_000
    assert "On or near Alderman'S Walk" in locations  # police.uk's own casing
    fixed = {loc: street_name(loc) for loc in locations}
    for loc, name in fixed.items():
        assert name.casefold() == loc.casefold()  # only letter case ever changes
        street = name[len("On or near "):]
        # no capital straight after an apostrophe but in O'Leary / D'Arcy names
        assert not re.search(r"(?<![\s-][OD])'[A-Z]", " " + street), name
        assert not re.search(r"\bMc[a-z]", street), name
        assert not re.search(r"-(Y|Yr|Upon|On)-", street), name
    assert fixed["On or near Alderman'S Walk"] == "On or near Alderman's Walk"
    assert fixed["On or near St Andrew'S Hill"] == "On or near St Andrew's Hill"
    assert sum(a != b for a, b in fixed.items()) > 1000


def test_patrol_list_names_streets_with_mended_case():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 300, 300)], crs="EPSG:27700")
    g, _ = grid.make_grid(area)
    xy = np.array([[10.0, 10.0]] * 3 + [[160.0, 160.0]] * 2)
    recs = pd.DataFrame({"source": "f.csv", "source_row": np.arange(2, 7), "x": xy[:, 0],
                         "y": xy[:, 1], "category": "Robbery", "month": "2020-01",
                         "location": ["On or near Alderman'S Walk"] * 3
                         + ["On or near Mcinroy Close"] * 2})
    out, _ = grid.points_to_cells(recs, g, crs="EPSG:27700")
    counts = grid.counts_by_cell(out, g).set_index("cell_id")["count"]
    sel = counts[counts > 0].sort_values(ascending=False).index
    pl = patrol.patrol_list(g, out, sel)
    assert pl["street"].tolist() == ["On or near Alderman's Walk", "On or near McInroy Close"]
