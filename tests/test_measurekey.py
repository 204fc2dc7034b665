"""Measure keys as values: every key the page, the CLI and the report accept round-trips."""

from __future__ import annotations

import pytest

from hotspots import pipeline
from hotspots.pipeline import measures
from hotspots.pipeline import uploads as uploads
from hotspots.pipeline.measurekey import POLICE_UK_PREFIX, Measure

POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                 "LSOA code,LSOA name,Crime type,Last outcome category,Context")


@pytest.fixture(scope="module")
def base() -> pipeline.Pack:
    return pipeline.load_pack()


@pytest.fixture(scope="module")
def police_pack(base) -> pipeline.Pack:
    """The demo pack with a tiny police.uk upload beside its crime (two crime sources)."""
    a = base.areas
    wards = a[a["borough_name"] == "Hackney"].sort_values("area_code").iloc[:2]
    pts = wards.geometry.representative_point().to_crs("EPSG:4326")
    lines = [POLICE_HEADER]
    for i, kind in enumerate(("Burglary", "Robbery", "Criminal damage and arson")):
        pt = pts.iloc[i % 2]
        lines.append(f"c{i},2025-05,MPS,MPS,{pt.x:.6f},{pt.y:.6f},On or near X,,,{kind},,")
    data = ("\n".join(lines) + "\n").encode()
    return uploads.pack_with_uploads(base, police_uk_files=[("2025-05-street.csv", data)])


def _every_key(pack: pipeline.Pack) -> list[str]:
    keys = list(pipeline.measure_options(pack))
    for group in measures.measure_groups(pack).values():
        keys += [k for k in group.options if k not in keys]
    return keys


def test_every_demo_key_round_trips(base):
    keys = _every_key(base)
    assert len(keys) > 40
    for key in keys:
        m = Measure.parse(key)
        assert m.key == key == str(m)
        assert Measure.parse(m.key) == m
        assert pipeline.Selection(key).measure_value == m


def test_every_upload_key_round_trips(police_pack):
    keys = _every_key(police_pack)
    police = [k for k in keys if Measure.parse(k).is_police_uk]
    assert "crime:source:police_uk" in police
    assert "crime:major:police.uk: Burglary" in police
    assert "crime:minor:police.uk: Burglary|Burglary" in police
    for key in [*keys, "crime:source:pack"]:
        assert Measure.parse(key).key == key


@pytest.mark.parametrize(("key", "want"), [
    ("crime:all", Measure("crime")),
    ("crime:major:BURGLARY", Measure("crime", group="BURGLARY")),
    ("crime:minor:BURGLARY|BURGLARY - RESIDENTIAL",
     Measure("crime", group="BURGLARY", type="BURGLARY - RESIDENTIAL")),
    ("crime:source:police_uk", Measure("crime", source="police_uk")),
    ("crime:major:police.uk: Robbery", Measure("crime", group=POLICE_UK_PREFIX + "Robbery")),
    ("referrals:all", Measure("referrals")),
    ("referrals:category:County Lines", Measure("referrals", category="County Lines")),
    ("referrals:category:a:b|c", Measure("referrals", category="a:b|c")),
    ("asb:all", Measure("asb")),
])
def test_parse_forms(key, want):
    m = Measure.parse(key)
    assert m == want and m.key == key


def test_what_a_measure_says():
    police = Measure.parse("crime:minor:police.uk: Robbery|Robbery")
    assert police.is_crime and police.is_police_uk and police.police_uk_type == "Robbery"
    assert not police.is_all and not police.is_referrals
    assert Measure.parse("crime:source:police_uk").is_police_uk
    assert not Measure.parse("crime:source:pack").is_police_uk
    assert Measure.parse("crime:major:BURGLARY").police_uk_type is None
    assert Measure.parse("referrals:all").is_all and Measure.parse("referrals:all").is_referrals
    assert Measure.parse("crime:all").is_all
    # police.uk anti-social behaviour: its own family, never crime; from police.uk only
    asb = Measure.parse("asb:all")
    assert asb.is_asb and not asb.is_crime and not asb.is_referrals and asb.is_police_uk
    with pytest.raises(ValueError, match="nothing narrows it"):
        Measure("asb", group="x")


@pytest.mark.parametrize(("key", "message"), [
    ("nope:all", "Unknown measure 'nope:all': it must start with 'crime:' or 'referrals:', or "
                 "be 'asb:all'."),
    ("asb:major:x", "Unknown measure 'asb:major:x': anti-social behaviour is 'asb:all'."),
    ("crime", "Unknown crime measure 'crime'; see measure_options()."),
    ("crime:foo", "Unknown crime measure 'crime:foo'; see measure_options()."),
    ("crime:minor:BURGLARY", "Unknown crime measure 'crime:minor:BURGLARY'; see "
                             "measure_options()."),
    ("referrals:x", "Unknown referral measure 'referrals:x'; see measure_options()."),
])
def test_bad_keys_are_named(key, message):
    with pytest.raises(ValueError) as e:
        Measure.parse(key)
    assert str(e.value) == message


@pytest.mark.parametrize("kwargs", [
    {"family": "bogus"}, {"family": "crime", "category": "x"},
    {"family": "referrals", "group": "x"}, {"family": "crime", "source": "a", "group": "b"},
    {"family": "crime", "type": "x"},
])
def test_impossible_measures_are_refused(kwargs):
    with pytest.raises(ValueError):
        Measure(**kwargs)


def test_ward_table_refuses_a_source_key_on_a_one_source_pack(base):
    with pytest.raises(ValueError, match="Unknown crime measure 'crime:source:police_uk'"):
        pipeline.ward_table(base, pipeline.Selection("crime:source:police_uk"))
    with pytest.raises(ValueError, match="this pack has one crime source"):
        measures.table_for(base, pipeline.Selection("crime:source:police_uk"))
