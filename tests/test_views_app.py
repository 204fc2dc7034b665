"""The analysis tabs in Streamlit's AppTest, on the harness page (demo pack, 99 permutations).

``tests/apps/views_harness.py`` loads the demo pack, runs
:func:`hotspots.analysis.analyse` and calls :func:`ui.views.render_analysis_tabs`.
The tabs are lazy (only the open one runs): a test opens a tab through its
session-state key, as a click would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hotspots.maps import SYNTHETIC_BADGE
from ui.views import TABS

HARNESS = Path(__file__).resolve().parent / "apps" / "views_harness.py"
HEADINGS = {
    "Hotspots": "Hot spots and clusters",
    "Bivariate": "Measure and deprivation together",
    "Deprivation": "How the measure relates to deprivation",
    "Trends": "Trends and change",
    "Ward drill-down": "Ward drill-down",
}


def _open(at: AppTest, tab: str) -> AppTest:
    at.session_state["hs_tab"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [w.value for w in at.warning])


def _frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


@pytest.fixture(scope="module")
def app() -> AppTest:
    at = AppTest.from_file(str(HARNESS), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def referral_app() -> AppTest:
    at = AppTest.from_file(str(HARNESS), default_timeout=120)
    at.run()
    at.selectbox(key="measure").set_value("referrals:all").run()
    assert not at.exception, at.exception
    return at


def test_tabs_in_order_and_hotspots_open_first(app):
    assert [t.label for t in app.tabs] == list(TABS)
    assert [s.value for s in app.subheader] == ["Hot spots and clusters"]
    legends = [m.value for m in app.markdown if "hs-legend" in m.value]
    assert len(legends) == 2
    assert "Getis-Ord Gi* hot and cold spots" in legends[0]
    assert "Local Moran (LISA) clusters" in legends[1]
    table = _frames(app)[0]
    assert {"Ward", "Borough", "Crimes", "Gi* class", "Gi* z", "Gi* q", "LISA cluster"} <= set(
        table.columns)
    assert len(table) == 704
    assert "99 conditional permutations" in _text(app)
    captions = " ".join(c.value for c in app.caption)
    assert "Benjamini\\-Hochberg false discovery rate" in captions  # escaped Markdown
    assert "scipy" not in captions and "false_discovery_control" not in captions


def test_deprivation_spearman_table_reads_as_text(app):
    at = _open(app, "Deprivation")
    table = next(f for f in _frames(at) if "rho" in f.columns)
    city = table.set_index("Area").loc["City of London"]  # no crime data: rho not defined
    assert (city["rho"], city["95% CI low"], city["95% CI high"]) == ("\u2014",) * 3
    assert city["Small n"] == "yes"
    assert not table.astype(str).isin(["None", "nan", "<NA>", "True", "False"]).any().any()
    assert set(table["Small n"]) <= {"yes", ""}
    west = table.set_index("Area").loc["Westminster"]
    assert re.fullmatch(r"-?[01]\.\d\d", west["rho"])  # two decimals, e.g. 0.54
    assert not table[["rho", "95% CI low", "95% CI high"]].isin(["-0.00"]).any().any()
    captions = " ".join(c.value for c in at.caption)
    assert "too few wards with both a value and an IMD score" in captions
    assert r"City of London \(n = 0\)" in captions  # Markdown-escaped


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_draws_its_heading_and_the_numbers_behind_it(app, tab):
    at = _open(app, tab)
    assert [s.value for s in at.subheader] == [HEADINGS[tab]]
    frames = _frames(at)
    assert frames and all(len(f) for f in frames)


def test_trends_tab_has_borough_and_ward_change_tables(app):
    at = _open(app, "Trends")
    frames = _frames(at)
    borough = next(f for f in frames if "Borough" in f.columns and "Ward" not in f.columns
                   and "Rank move" in f.columns)
    ward = next(f for f in frames if "Ward" in f.columns and "Rank move" in f.columns)
    for f in (borough, ward):
        assert {"Count", "Previous count", "Change", "Change %", "Change (words)", "Small base",
                "Rank", "Previous rank", "Rank move"} <= set(f.columns)
    assert "City of London" not in set(borough["Borough"])  # no crime data: left out
    text = _text(at)
    assert "Highest:" in text and "Largest rise:" in text and "Largest fall:" in text
    assert "compared with previous 12 months" in text  # lower case inside the sentence
    assert "compared with Previous" not in text and "compared with Same" not in text


def test_drilldown_selectbox_changes_the_ward(app):
    at = _open(app, "Ward drill-down")
    box = at.selectbox(key="hs_drill_ward")
    first = box.value
    assert first == "West End, Westminster"  # opens on the top-ranked ward
    assert any(m.value == "### West End, Westminster" for m in at.markdown)
    other = "Brixton North, Lambeth"
    box.set_value(other).run()
    assert not at.exception, at.exception
    heads = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert heads == [f"### {other}"]
    facts = _frames(at)[0].set_index("What")["Value"]
    assert facts["Crimes"] != "29,924"
    neighbours = _frames(at)[-1]
    assert "Brixton North" not in set(neighbours["Ward"]) and len(neighbours) > 2
    imd = next(f for f in _frames(at) if "Indicator" in f.columns)
    assert list(imd.columns) == ["Indicator", "Value"]  # the references are in a caption
    assert any("population\\-weighted mean" in c.value for c in at.caption)
    moves = [v for k, v in facts.items() if k.startswith("Rank movement")]
    assert moves and not any(m.startswith(("+", "-")) for m in moves)


def test_referrals_show_small_counts_as_less_than_five_and_say_synthetic(referral_app):
    at = _open(referral_app, "Hotspots")
    table = _frames(at)[0]
    assert (table["Referrals"] == "<5").sum() > 100
    assert "Gi* z" not in table.columns and "LISA I" not in table.columns
    assert any(SYNTHETIC_BADGE in w.value for w in at.warning)  # above the maps
    titles = [m.value for m in at.markdown if "hs-map-title" in m.value]
    assert len(titles) == 2 and not any(SYNTHETIC_BADGE in t for t in titles)  # it is in the map
    at = _open(referral_app, "Trends")
    ward = next(f for f in _frames(at) if "Ward" in f.columns and "Rank move" in f.columns)
    assert (ward["Count"] == "<5").any()
    counts = pd.to_numeric(ward["Count"], errors="coerce").dropna()
    assert not counts.between(1, 4).any()
    at = _open(referral_app, "Ward drill-down")
    assert SYNTHETIC_BADGE in _text(at)
