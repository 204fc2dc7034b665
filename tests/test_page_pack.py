"""What the analyst chose is what the board sees (issue 13, item 1).

A new user chose Robbery at a rate per 1,000 on the page, built the board pack there, and
got "Robbery: count by ward" and "West End ... 1,293 crimes" where the page showed 121.5
per 1,000. Here several page states are set on the dashboard (Streamlit's AppTest), the
board pack is built from the config the page's button builds, and every figure is compared
with the page's own tables and legend: measure, period, rate (crude and smoothed),
boroughs, map classes, statistics settings and the suppression threshold.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hotspots import pipeline, report
from hotspots.pipeline import measures
from hotspots.report.figures import section_figures

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard.py")

#: Page states: sidebar choices, and the statistics form's (applied with its button).
STATES: dict[str, dict] = {
    "robbery, rate per 1,000": {"measure": "crime:major:ROBBERY", "rate": "per_1000"},
    "referrals, smoothed rate, two boroughs, threshold 6": {
        "measure": "referrals:all", "rate": "eb_per_1000", "boroughs": ["Lambeth", "Southwark"],
        "suppress_below": 6},
    "burglary count, equal intervals in 4 classes, own statistics": {
        "measure": "crime:major:BURGLARY", "scheme": "equal_interval", "k": 4,
        "palette": "Purples", "form": {"Permutations": 999, "Seed": 7}},
}


def _set_measure(at: AppTest, pack: pipeline.Pack, measure: str) -> None:
    groups = measures.measure_groups(pack)
    group = next(g for g, mg in groups.items() if measure in mg.options)
    at.selectbox(key="measure_group").set_value(group).run()
    if len(groups[group].options) > 1:
        at.selectbox(key=f"measure_type:{group}").set_value(measure).run()


def _page(pack: pipeline.Pack, state: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    _set_measure(at, pack, state["measure"])
    for key in ("rate", "scheme", "k", "palette", "boroughs", "suppress_below"):
        if key in state:
            widget = {"rate": at.radio, "scheme": at.selectbox, "k": at.slider,
                      "palette": at.selectbox, "boroughs": at.multiselect,
                      "suppress_below": at.number_input}[key]
            widget(key=key).set_value(state[key]).run()
    for label, value in state.get("form", {}).items():
        next(w for w in [*at.selectbox, *at.number_input] if w.label == label).set_value(value)
    if state.get("form"):
        next(b for b in at.button if b.label == "Apply statistics").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module", params=list(STATES))
def built(request, pack, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The page in one state, and the board pack its button builds (CSV only, no patrol)."""
    state = STATES[request.param]
    at = _page(pack, state)
    cfg = at.session_state["hs_report_config"]
    fast = dataclasses.replace(cfg, formats=("csv",), output=tmp_path_factory.mktemp("pack"),
                               patrol=report.PatrolSettings(enabled=False))
    return state, at, cfg, report.build_report(fast, pack=pack, command="test")


def _number(text: str) -> float:
    return float(str(text).replace(",", ""))


def test_every_page_choice_reaches_the_config_and_the_manifest(built):
    state, at, cfg, out = built
    sel = json.loads(out.manifest.read_text())["parameters"]["selection"]
    start, end = at.select_slider(key="period").value
    assert (cfg.measures, cfg.month_from, cfg.month_to) == ((state["measure"],), start, end)
    assert (sel["measure"], sel["month_from"], sel["month_to"]) == (state["measure"], start, end)
    assert cfg.rate == sel["rate"] == state.get("rate", "count")
    assert sel["smoothing"].startswith(
        "global empirical Bayes" if cfg.rate == "eb_per_1000" else "none")
    assert list(cfg.boroughs) == sel["boroughs"] == state.get("boroughs", [])
    classes = sel["classification"]
    assert (classes["scheme"], classes["k"], classes["palette"]) == (
        state.get("scheme", "quantiles"), state.get("k", 5), state.get("palette", "YlOrRd"))
    assert cfg.suppress_below == sel["suppress_below"] == state.get("suppress_below", 5)
    form = state.get("form", {})
    assert sel["statistics"]["permutations"] == form.get("Permutations", 9999)
    assert sel["statistics"]["seed"] == form.get("Seed", 20261123)
    # The config written into the pack rebuilds the same config.
    again = report.load_config(out.config)
    assert dataclasses.replace(again, source=None, output=cfg.output) == dataclasses.replace(
        cfg, formats=("csv",), patrol=again.patrol)


def test_the_pack_ranks_and_prints_the_pages_value(built):
    state, at, cfg, out = built
    s = out.sections[0]
    page_top = at.dataframe[0].value  # "Wards with the highest values"
    value_col = pipeline.value_words(cfg.rate, sensitive=s.sensitive)
    assert value_col in page_top.columns
    pack_col = {"count": "Count", "per_1000": "Rate per 1,000",
                "eb_per_1000": "Smoothed rate per 1,000"}[cfg.rate]
    wards = s.tables[f"{s.slug}_wards"].frame.set_index(["Ward", "Borough"])
    compared = 0
    for _, r in page_top.iterrows():
        row = wards.loc[(r["Ward"], r["Borough"])]
        if isinstance(row[pack_col], str):  # hidden in the pack (secondary suppression)
            continue
        decimals = 0 if cfg.rate == "count" else 1
        assert f"{float(row[pack_col]):,.{decimals}f}" == r[value_col], r["Ward"]
        assert int(row["Rank"]) == int(r["Rank"].replace(",", "")), r["Ward"]
        compared += 1
    assert compared >= 10
    # The top wards table and its finding lead with the page's first ward and its value.
    top = s.tables[f"{s.slug}_top_wards"].frame
    first = page_top.iloc[0]
    assert (top.iloc[0]["Ward"], top.iloc[0]["Borough"]) == (first["Ward"], first["Borough"])
    finding = next(f for f in s.findings if f.text.startswith("Highest ward"))
    assert f"{first['Ward']} ({first['Borough']}) with {first[value_col]} " in finding.text
    if cfg.rate != "count":
        assert "per 1,000 residents" in finding.text
        assert pack_col in finding.value_cols
    assert s.tables[f"{s.slug}_top_wards"].title.endswith(s.analysis.ward.label)
    assert pipeline.RATE_WORDS[cfg.rate] in s.analysis.ward.label


def test_the_pack_has_the_pages_hot_spots(built):
    state, at, cfg, out = built
    s = out.sections[0]
    shown = next(d.value for d in at.dataframe if "Gi* class" in d.value.columns)
    shown = shown.set_index(["Ward", "Borough"])
    wards = s.tables[f"{s.slug}_wards"].frame.set_index(["Ward", "Borough"])
    assert len(wards) and set(wards.index) <= set(shown.index)
    assert (wards["Gi* class"] == shown.loc[wards.index, "Gi* class"]).all()
    assert (wards["LISA cluster"] == shown.loc[wards.index, "LISA cluster"]).all()
    caption = " ".join(c.value for c in at.caption)
    perms = state.get("form", {}).get("Permutations", 9999)
    assert f"{perms:,} conditional permutations" in caption
    finding = next(f for f in s.findings if f.text.startswith("Getis-Ord Gi*"))
    assert f"({perms:,} permutations)" in finding.text
    if cfg.rate != "count":
        assert finding.text.startswith(f"Getis-Ord Gi* on the {pipeline.RATE_WORDS[cfg.rate]}")


def test_the_pack_map_has_the_pages_classes(built, pack):
    state, at, cfg, out = built
    legend = next(m.value for m in at.markdown if "hs-legend" in m.value)
    page = re.findall(r'<span class="hs-legend-label">([^<]*)</span>', legend)
    page_classes = [x for x in page if re.fullmatch(r"[\d.,]+ to [\d.,]+ \(\d+\)", x)]
    figs = section_figures(out.sections[0], pack.meta, classes=cfg.map_classes)
    measure_map = next(f for f in figs if f.name.endswith("_measure_map"))
    printed = list(measure_map.figure.classification.class_labels)
    assert printed == page_classes and len(printed) >= 3
    if "k" in state:
        assert len(printed) == state["k"]
    rate_words = pipeline.RATE_WORDS[cfg.rate]
    assert measure_map.title == f"{out.sections[0].label}: {rate_words} by ward"
    for f in figs:
        f.figure.clear()


def test_the_borough_table_follows_the_rate(built):
    state, at, cfg, out = built
    s = out.sections[0]
    b = s.tables[f"{s.slug}_boroughs"]
    f = b.frame[b.frame["Borough"] != "Total"]
    if cfg.rate == "count":
        assert "Rate per 1,000" not in b.frame.columns
        return
    assert {"Population", "Rate per 1,000"} <= set(b.frame.columns)
    assert "per 1,000 residents" in b.title
    shown = f[~b.mask.loc[f.index, "Rate per 1,000"]]
    rates = shown["Rate per 1,000"].astype(float)
    expect = (shown["Count"].astype(float) / shown["Population"].astype(float) * 1000).round(1)
    assert (rates == expect).all() and len(shown)
    ranks = pd.to_numeric(shown["Rank"])
    assert ranks.is_monotonic_increasing  # ranked by the rate, highest first
    if state.get("boroughs"):
        assert set(f["Borough"]) == set(state["boroughs"])
