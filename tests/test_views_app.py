"""The analysis tabs in Streamlit's AppTest, on the harness page (demo pack, 99 permutations).

``tests/apps/views_harness.py`` loads the demo pack, runs
:func:`hotspots.analysis.analyse` and calls :func:`ui.views.render_analysis_tabs`.
The tabs are lazy (only the open one runs): a test opens a tab through its
session-state key, as a click would.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hotspots.maps.web import SYNTHETIC_BADGE
from hotspots.stats.emerging import NO_PATTERN
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


def test_decile_table_gives_its_labels_the_width_they_need(app):
    # "1, most deprived 10%, this layer" was cut to "1, most deprived 10%" (the grid's
    # automatic width): the Decile column gets pixels for its longest label, measured here
    # in DejaVu Sans 14 px (wider than the page's Source Sans) plus the cells' padding
    import json

    from PIL import ImageFont

    at = _open(app, "Deprivation")
    (grid,) = [d for d in at.dataframe if "Decile" in d.value.columns]
    config = json.loads(grid.proto.columns)
    width = config.get("Decile", {}).get("width")
    fonts = [f for f in (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                         Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"))
             if f.is_file()]
    if not fonts:
        pytest.skip("no DejaVu or Liberation font to measure the labels with")
    font = ImageFont.truetype(str(fonts[0]), 14)
    longest = max(font.getlength(str(t)) for t in grid.value["Decile"])
    assert isinstance(width, int) and width >= longest + 16, (width, longest)


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
    globals_ = [c.value for c in at.caption if c.value.startswith("Global ")]
    assert len(globals_) == 2 and all("not shown for referrals" in g for g in globals_)
    assert not any(re.search(r" = -?\d", g.split("pseudo p", 1)[0]) for g in globals_)
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


# --------------------------------------------------------------------------- cached page

EMERGING_STATS = {"permutations": 999, "seed": 1}  # 99 permutations never reach q <= 0.10


def _cached_page() -> None:
    """The analysis tabs as the dashboard draws them: ui.cache and a cache key."""
    import streamlit as st

    from hotspots import pipeline
    from hotspots.pipeline import analysis as an
    from ui import cache, views

    measure = st.selectbox("Measure", ["crime:all", "referrals:all"], key="measure")
    key = (None, None, pipeline.Selection(measure, "2025-04", "2026-03"),
           an.StatsParams(permutations=999, seed=1))
    views.render_analysis_tabs(cache.pack(None, None), cache.analysis(*key), cache_key=key)


@pytest.fixture(scope="module")
def cached_app() -> AppTest:
    at = AppTest.from_function(_cached_page, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def _emerging_expected(measure: str) -> pd.DataFrame:
    from hotspots import pipeline
    from hotspots.pipeline import analysis as analysis

    sel = pipeline.Selection(measure, "2025-04", "2026-03")
    return analysis.emerging_wards(pipeline.load_pack(), sel,
                                   analysis.StatsParams(**EMERGING_STATS))


def test_hotspot_maps_draw_from_static_geometry_on_the_cached_page(cached_app):
    legends = [m.value for m in cached_app.markdown if "hs-legend" in m.value]
    assert len(legends) == 2  # Gi* and LISA drawn with no exception
    assert "999 conditional permutations" in _text(cached_app)


def test_emerging_section_is_off_by_default_then_lists_the_patterned_wards(cached_app):
    at = _open(cached_app, "Trends")
    toggle = at.toggle(key="hs_emerging")
    assert toggle.value is False and "Mann" in toggle.label
    assert not any("Months hot" in f.columns for f in _frames(at))
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    frames = _frames(at)
    want = _emerging_expected("crime:all")
    patterned = want[want["trend_class"] != NO_PATTERN]
    assert len(patterned) > 0  # the demo crime has some at 999 permutations
    table = next(f for f in frames if "Months hot" in f.columns)
    assert len(table) == len(patterned)
    assert list(table["Ward"]) == list(patterned["area_name"])
    assert list(table["Borough"]) == list(patterned["borough_name"])
    assert list(table["Category"].str.lower()) == list(patterned["trend_class"])
    assert list(table["Months hot"]) == list(patterned["n_hot"])
    assert list(table["Months cold"]) == list(patterned["n_cold"])
    assert list(table["Gi* z (final month)"]) == list(patterned["gi_z_last"].round(2))
    counts = next(f for f in frames if "What it means" in f.columns)
    assert int(counts["Wards"].sum()) == len(want)
    got = counts.set_index(counts["Category"].str.lower())["Wards"]
    assert got[got > 0].to_dict() == want["trend_class"].value_counts().to_dict()
    assert counts["Category"].iloc[-1] == "No pattern detected"
    assert "Mann\\-Kendall" in _text(at)  # the explanation, Markdown-escaped
    assert at.get("download_button")  # the CSV of the wards with a pattern


def test_emerging_section_for_referrals_shows_no_z(cached_app):
    at = cached_app
    at.selectbox(key="measure").set_value("referrals:all").run()
    at = _open(at, "Trends")
    at.toggle(key="hs_emerging").set_value(True).run()
    assert not at.exception, at.exception
    frames = _frames(at)
    counts = next(f for f in frames if "What it means" in f.columns)
    want = _emerging_expected("referrals:all")
    assert int(counts["Wards"].sum()) == len(want) == 704
    hidden = {"Gi* z (final month)", "Kendall's tau", "Trend p", "Gi* z", "z"}
    assert not any(hidden & set(f.columns) for f in frames)
    assert "z-scores and trend statistics of monthly referral counts" in _text(at)


def test_emerging_tables_from_a_hand_built_frame():
    from ui.views import emerging_counts, emerging_table

    e = pd.DataFrame({
        "area_code": ["A", "B", "C"], "area_name": ["Ash", "Birch", "Cedar"],
        "borough_name": ["X", "X", "Y"],
        "trend_class": ["new hot spot", "persistent cold spot", NO_PATTERN],
        "n_steps": [24, 24, 24], "n_hot": [1, 0, 0], "n_cold": [0, 23, 0],
        "final_status": ["hot", "cold", "ns"], "mk_trend": ["increasing", "no trend", "no trend"],
        "mk_p": [0.01, 0.4, 0.9], "mk_tau": [0.5, -0.1, 0.0], "mk_z": [2.5, -0.8, 0.1],
        "gi_z_last": [2.346, -3.1, 0.2],
    })
    t = emerging_table(e, sensitive=False)
    assert list(t["Ward"]) == ["Ash", "Birch"]
    assert list(t["Final month"]) == ["Hot spot", "Cold spot"]
    assert list(t["Gi* z (final month)"]) == [2.35, -3.1]
    r = emerging_table(e.drop(columns=["mk_tau", "mk_z", "gi_z_last"]), sensitive=True)
    assert list(r.columns) == ["Ward", "Borough", "Category", "Months hot", "Months cold",
                               "Months", "Final month", "Trend in clustering"]
    c = emerging_counts(e).set_index("Category")["Wards"]
    assert len(c) == 17 and c.sum() == 3
    assert c["New hot spot"] == 1 and c["Persistent cold spot"] == 1
    assert c["No pattern detected"] == 1 and c["Intensifying hot spot"] == 0
    assert list(c.index[-1:]) == ["No pattern detected"]
    assert list(t["Category"]) == ["New hot spot", "Persistent cold spot"]
    assert "final month" in emerging_counts(e).set_index("Category").loc[
        "New hot spot", "What it means"]


def test_a_map_click_sets_the_drill_down_ward_without_a_state_warning(monkeypatch):
    """Issue 13 item 20: no "created with a default value but also set via Session State"."""
    import logging

    from streamlit.elements.lib import policies

    logged: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record.getMessage())

    # Streamlit logs the warning once per process: reset it so this test sees it.
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    handler = Catch()
    logging.getLogger(policies._LOGGER.name).addHandler(handler)
    try:
        at = AppTest.from_file(str(HARNESS), default_timeout=120)
        at.run()
        at.session_state["hs_drill_clicked"] = "E05013806"  # what ui.views.select_ward sets
        at.session_state["hs_tab"] = "Ward drill-down"
        at.run()
        assert not at.exception, at.exception
        assert at.selectbox(key="hs_drill_ward").value == "St James's, Westminster"
        at.selectbox(key="hs_drill_ward").set_value("Brixton North, Lambeth").run()
        assert at.selectbox(key="hs_drill_ward").value == "Brixton North, Lambeth"
        at.session_state["hs_drill_clicked"] = "E05013806"  # a second click, later
        at.run()
        assert at.selectbox(key="hs_drill_ward").value == "St James's, Westminster"
    finally:
        logging.getLogger(policies._LOGGER.name).removeHandler(handler)
    assert not [m for m in logged if "Session State API" in m], logged


def test_decile_table_shows_a_dash_not_none_where_a_rate_is_undefined():
    # South Wales: one ward gets no LSOA from the lookup (no population, no index value);
    # its "no IMD value" row has no rate, which the grid printed as "None"
    from types import SimpleNamespace

    from ui.views import _deciles

    d = pd.DataFrame({"decile_label": ["1, most deprived 10%, this layer", "no IMD value"],
                      "areas": [20, 1], "count": [6793, 84], "share_of_count": [0.182, 0.002],
                      "rate_per_1000": [45.759, np.nan]})
    for sensitive in (False, True):
        a = SimpleNamespace(deciles=d, ward=SimpleNamespace(is_sensitive=sensitive))
        out = _deciles(a, 5)  # type: ignore[arg-type]
        assert list(out["Rate per 1,000"]) == ["45.76", "\u2014"], sensitive
        assert not out.astype(str).isin(["None", "nan", "<NA>"]).any().any(), sensitive
