"""The page, run headless with Streamlit's AppTest: every widget path, no exception.

Uses the demo pack (``data/demo``) or the folder named by ``HOTSPOTS_PACK``.
Streamlit's caches are process-wide, so the pack is loaded once for all tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hotspots import pipeline
from hotspots.maps.assets import MAP_SYNC_JS_URL
from hotspots.pipeline import measures
from hotspots.pipeline import uploads as uploads
from ui.mapview import CLICK_OBJECTS, clicked_area
from ui.panels import ALL_WARDS_KEY, DATA_QUALITY_KEY, SYNTHETIC_TEXT
from ui.sidebar import PACK_ENV, pack_folder
from ui.views import DRILLDOWN_TAB

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard.py")


@pytest.fixture(scope="module")
def pack() -> pipeline.Pack:
    folder = pack_folder()
    if folder is None and not (ROOT / "data" / "demo" / "pack.json").is_file():
        pytest.fail(f"demo pack missing: build it with 'python -m data.build_demo' or set "
                    f"{PACK_ENV}")
    return pipeline.load_pack(folder)


@pytest.fixture(scope="module")
def default_run(pack) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def _fresh() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _legends(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "hs-legend" in m.value]


def _table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def _maps(at: AppTest) -> list[dict]:
    """Arguments the page sends to each st_folium component (script, links, height...)."""
    def walk(node):  # type: ignore[no-untyped-def]
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return [json.loads(e.proto.json_args) for e in walk(at.main)
            if type(e).__name__ == "UnknownElement"
            and getattr(e.proto, "component_name", "") == "ui.mapview.st_folium"]


def _set_measure(at: AppTest, pack: pipeline.Pack, measure: str) -> AppTest:
    """Choose a measure key through the two-level picker (group, then type)."""
    groups = measures.measure_groups(pack)
    group = next(g for g, mg in groups.items() if measure in mg.options)
    at.selectbox(key="measure_group").set_value(group).run()
    if len(groups[group].options) > 1:
        at.selectbox(key=f"measure_type:{group}").set_value(measure).run()
    return at


def _legend_labels(legend: str) -> list[str]:
    return re.findall(r'<span class="hs-legend-label">([^<]*)</span>', legend)


# --------------------------------------------------------------------------- default


def test_default_run_has_no_exception(default_run):
    assert not default_run.exception, default_run.exception
    assert not default_run.error


def test_default_shows_banner_title_headline(default_run):
    text = _markdown(default_run)
    assert "hs-marking" in text and ">OFFICIAL<" in text
    assert default_run.title[0].value == "Community safety hotspots"
    assert "Spearman&#x27;s rho" in text or "Spearman's rho" in text
    assert "95% CI" in text


def test_default_period_is_latest_12_months(default_run, pack):
    start, end = default_run.select_slider(key="period").value
    assert (start, end) == (pack.months[-12], pack.months[-1])
    assert default_run.selectbox(key="measure_group").value == "crime:all"
    assert default_run.radio(key="basemap").value == "none"
    assert default_run.number_input(key="suppress_below").value == 5


def test_two_legends_with_counts_and_no_data(default_run, pack):
    # The measure and IMD maps; the open "Hotspots" tab adds the Gi* and LISA legends.
    legends = _legends(default_run)
    assert len(legends) == 4
    assert "Getis-Ord" in legends[2] and "LISA" in legends[3]
    legends = legends[:2]
    measure, imd = (_legend_labels(legend) for legend in legends)
    n_city = int((pack.areas["borough_name"] == "City of London").sum())
    assert f"No data ({n_city})" in measure
    counts = [int(re.search(r"\((\d+)\)$", label).group(1)) for label in measure]
    assert sum(counts) == len(pack.areas)
    assert len(imd) >= 3 and "IMD 2019 average score" in legends[1]


def test_maps_load_only_local_scripts_and_report_nothing(default_run):
    maps = _maps(default_run)
    # The measure/IMD pair is one component; the open "Hotspots" tab adds Gi* and LISA.
    assert len(maps) == 3
    pair, others = maps[0], maps[1:]
    assert pair["js_links"] == ["/app/static/vendor/leaflet/leaflet.js", MAP_SYNC_JS_URL]
    assert "map_div2" in pair["script"]  # both maps in the one synchronised element
    # The pair reports ward clicks only (never the view: panning does not rerun).
    assert pair["returned_objects"] == list(CLICK_OBJECTS)
    for args in others:
        # Gi* and LISA draw the same served ward geometry with the project's layer script.
        assert args["js_links"] == ["/app/static/vendor/leaflet/leaflet.js", MAP_SYNC_JS_URL]
        assert args["returned_objects"] == []
        assert '"coordinates"' not in args["script"]  # geometry served once, not inline
    for args in maps:
        assert args["css_links"] == ["/app/static/vendor/leaflet/leaflet.css"]
        assert "tileLayer" not in args["script"] and "https://" not in args["header"]
        assert args["height"] >= 400


def test_two_maps_side_by_side(default_run):
    # Titles above the synchronised pair, one legend under each half.
    cols = default_run.columns
    assert len(cols) >= 4
    assert any("hs-map-title" in m.value for m in cols[0].markdown)
    assert any("hs-map-title" in m.value for m in cols[1].markdown)
    assert any("hs-legend" in m.value and "Crimes" in m.value for m in cols[2].markdown)
    assert any("hs-legend" in m.value and "IMD 2019" in m.value for m in cols[3].markdown)


def test_clicked_ward_is_read_from_the_feature():
    known = ["E05000001", "E05000002"]
    feature = {"id": "E05000002", "properties": {"area_code": "E05000002"}}
    assert clicked_area({"last_active_drawing": feature}, known) == "E05000002"
    by_prop = {"id": None, "properties": {"area_code": "E05000001"}}
    assert clicked_area({"last_active_drawing": by_prop}, known) == "E05000001"
    outline = {"id": "Camden", "properties": {"borough_name": "Camden"}}
    assert clicked_area({"last_active_drawing": outline}, known) is None
    assert clicked_area(None, known) is None
    assert clicked_area({"last_active_drawing": None}, known) is None


def test_map_click_opens_the_ward_in_the_drill_down(pack):
    at = _fresh()
    wt = pipeline.ward_table(pack, pipeline.Selection(
        "crime:all", pack.months[-12], pack.months[-1]))
    row = wt.frame.dropna(subset=["count"]).sort_values("area_code").iloc[10]
    # What views.select_ward (the pair's click callback) sets.
    at.session_state["hs_drill_clicked"] = str(row["area_code"])
    at.session_state["hs_tab"] = DRILLDOWN_TAB
    at.run()
    assert not at.exception
    box = at.selectbox(key="hs_drill_ward")
    assert str(row["area_name"]) in box.value
    shown = [m.value for m in at.markdown] + [h.value for h in at.subheader]
    assert any(str(row["area_name"]) in v for v in shown)
    # The click is used once: a later choice in the list is not overridden.
    other = next(o for o in box.options if str(row["area_name"]) not in o)
    box.set_value(other).run()
    assert at.selectbox(key="hs_drill_ward").value == other


def test_table_has_ranked_wards(default_run):
    t = _table(default_run)
    assert list(t.columns) == ["Rank", "Ward", "Borough", "Crimes", "IMD score", "IMD decile"]
    assert len(t) == 20 and t["Rank"].iloc[0] == "1"


def test_data_quality_and_method(default_run):
    labels = [e.label for e in default_run.expander]
    assert any("Data quality" in label for label in labels)
    text = _markdown(default_run)
    assert "Method and sources" in [s.value for s in default_run.subheader]
    assert "Boundaries:" in text and "Suppression:" in text


# --------------------------------------------------------------------------- widgets


def test_rate_toggle_changes_values():
    at = _fresh()
    counts = _table(at)
    at.radio(key="rate").set_value("per_1000").run()
    assert not at.exception
    rates = _table(at)
    assert "Crimes per 1,000 residents" in rates.columns
    assert rates.iloc[:, 3].tolist() != counts.iloc[:, 3].tolist()
    assert any("per 1,000" in legend for legend in _legends(at))


def test_smoothed_rate_on_the_page_names_its_method(pack):
    """Issue 13 item 13: EB-smoothed rates were only in the command line."""
    at = _fresh()
    assert "Smoothed rate per 1,000 (global empirical Bayes)" in at.radio(key="rate").options
    at.radio(key="rate").set_value("eb_per_1000").run()
    assert not at.exception, at.exception
    column = "Crimes per 1,000 residents, smoothed (global empirical Bayes)"
    top = _table(at)
    assert column in top.columns
    wt = pipeline.ward_table(pack, pipeline.Selection(
        "crime:all", pack.months[-12], pack.months[-1], rate="eb_per_1000"))
    expect = wt.frame.sort_values(["rank", "area_name"]).head(len(top))
    assert top[column].tolist() == expect["value_display"].tolist()
    assert top["Ward"].tolist() == expect["area_name"].tolist()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Empirical-Bayes smoothed rate" in captions and "esda" in captions
    assert "global empirical Bayes" in _markdown(at)  # the heading and the method panel
    assert any("per 1,000" in legend for legend in _legends(at))


def _measure_keys(pack) -> dict[str, str]:
    opts = pipeline.measure_options(pack)
    keys = {"all crime": "crime:all"}
    keys["major"] = next(k for k in opts if k.startswith("crime:major:"))
    keys["minor"] = next(k for k in opts if k.startswith("crime:minor:"))
    keys["referrals"] = "referrals:all"
    keys["referral category"] = next(k for k in opts if k.startswith("referrals:category:"))
    return keys


@pytest.mark.parametrize("family", ["major", "minor", "referrals", "referral category"])
def test_each_measure_family_runs(pack, family):
    key = _measure_keys(pack)[family]
    at = _fresh()
    before = _table(at)
    _set_measure(at, pack, key)
    assert not at.exception, at.exception
    after = _table(at)
    assert after.iloc[:, 3].tolist() != before.iloc[:, 3].tolist() or \
        after["Ward"].tolist() != before["Ward"].tolist()
    if family.startswith("referral"):
        text = _markdown(at)
        assert SYNTHETIC_TEXT in text
        assert any(SYNTHETIC_TEXT in w.value for w in at.warning)
        assert any(SYNTHETIC_TEXT in c.value for c in at.caption)


def test_referrals_suppress_small_counts(pack):
    at = _fresh()
    _set_measure(at, pack, "referrals:all")
    # One month makes small counts likely.
    m = pack.months[-1]
    at.select_slider(key="period").set_value((m, m)).run()
    assert not at.exception
    legend = _legends(at)[0]
    assert "Fewer than 5 (suppressed)" in legend
    script = _maps(at)[0]["script"]
    assert "SYNTHETIC" in script  # the badge drawn on the map itself
    assert "\\u0026lt;5" in script  # tooltips say "<5" (escaped HTML inside the JSON)
    wt = pipeline.ward_table(pack, pipeline.Selection("referrals:all", m, m, "count", 5))
    assert (wt.frame["count_display"] == "<5").any()
    assert not re.search(r"\b[1-4] to [1-4] \(", legend)
    # A higher threshold widens suppression, in the legend and in the table.
    at.number_input(key="suppress_below").set_value(10).run()
    assert not at.exception
    assert "Fewer than 10 (suppressed)" in _legends(at)[0]


def test_referral_tables_never_rank_or_print_small_counts(pack):
    m = pack.months[-1]
    at = _fresh()
    _set_measure(at, pack, "referrals:all")
    at.select_slider(key="period").set_value((m, m)).run()
    assert not at.exception
    closed = len(at.dataframe)  # the A-to-Z table is built only when its expander opens
    at.session_state[ALL_WARDS_KEY] = True  # as a click on "All wards, A to Z"
    at.run()
    assert len(at.dataframe) == closed + 1
    top, every = at.dataframe[0].value, at.dataframe[1].value
    # Top list: only wards at or above the threshold, in rank order.
    assert all(int(v.replace(",", "")) >= 5 for v in top["Referrals"])
    # A to Z list: "<5" where small, never ranked, never a number from 1 to 4.
    small = every["Referrals"] == "<5"
    assert small.any()
    assert (every.loc[small, "Rank"] == "—").all()
    assert not every["Referrals"].isin(["1", "2", "3", "4"]).any()
    assert every["Ward"].tolist() == sorted(every["Ward"].tolist())
    assert sum(SYNTHETIC_TEXT in c.value for c in at.caption) >= 2


def test_period_change_changes_values(pack):
    at = _fresh()
    before = _table(at)
    at.select_slider(key="period").set_value((pack.months[0], pack.months[0])).run()
    assert not at.exception
    assert _table(at).iloc[:, 3].tolist() != before.iloc[:, 3].tolist()
    assert any("1 month" in h.value for h in at.markdown)


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval",
                                    "user_defined"])
def test_each_scheme_changes_legend(scheme):
    at = _fresh()
    before = _legends(at)[0]
    at.selectbox(key="scheme").set_value(scheme).run()
    assert not at.exception
    if scheme == "user_defined":
        at.text_input(key="bins").set_value("1000, 2000, 5000").run()
        assert not at.exception
        labels = _legend_labels(_legends(at)[0])
        assert labels[0].startswith(("0 to 1,000", "1 to 1,000")) or "to 1,000 (" in labels[0]
    elif scheme != "quantiles":
        assert _legends(at)[0] != before


def test_bad_user_bins_explained():
    at = _fresh()
    at.selectbox(key="scheme").set_value("user_defined").run()
    at.text_input(key="bins").set_value("ten, twenty").run()
    assert not at.exception
    assert any("Could not read the bounds" in e.value for e in at.sidebar.error)


def test_k_changes_number_of_classes():
    at = _fresh()
    at.slider(key="k").set_value(3).run()
    assert not at.exception
    labels = [x for x in _legend_labels(_legends(at)[0]) if not x.startswith("No data")]
    assert len(labels) == 3


def test_osm_basemap_warns_about_internet():
    at = _fresh()
    assert all("tile.openstreetmap.org" not in m["script"] for m in _maps(at))
    at.radio(key="basemap").set_value("osm").run()
    assert not at.exception
    assert any("internet" in w.value for w in at.sidebar.warning)
    assert all("tile.openstreetmap.org" in m["script"] for m in _maps(at))


def _empty_selection(pack) -> tuple[str, str] | None:
    """A (measure, month) with no record: a referral category, else a crime type."""
    months = pack.months
    for cat, df in pack.referrals.groupby("category"):
        missing = sorted(set(months) - set(df["month"]))
        if missing:
            return f"referrals:category:{cat}", missing[0]
    for (major, minor), df in pack.crime.groupby(["major", "minor"]):
        missing = sorted(set(months) - set(df.loc[df["count"] > 0, "month"]))
        if missing:
            return f"crime:minor:{major}|{minor}", missing[0]
    return None


def test_empty_period_shows_no_data_message(pack):
    found = _empty_selection(pack)
    if found is None:
        pytest.skip("every measure has records in every month of this pack")
    key, month = found
    assert pipeline.ward_table(pack, pipeline.Selection(key, month, month)).is_empty
    at = _fresh()
    _set_measure(at, pack, key)
    at.select_slider(key="period").set_value((month, month)).run()
    assert not at.exception
    assert any("No data for this selection" in i.value for i in at.info)
    assert not _legends(at)
    assert len(at.dataframe) <= 2  # only the data-quality tables


def test_marking_from_environment(monkeypatch):
    monkeypatch.setenv("HOTSPOTS_MARKING", "official-sensitive")
    at = _fresh()
    banners = [m.value for m in at.markdown if "hs-marking" in m.value]
    assert len(banners) == 2  # top and bottom of the page
    assert all(">OFFICIAL-SENSITIVE<" in b and "#b30000" in b for b in banners)


def test_missing_pack_is_explained_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv(PACK_ENV, str(tmp_path / "nowhere"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("could not be opened" in e.value and "pack.json" in e.value for e in at.error)


def test_statistics_apply_only_on_submit(pack):
    at = _fresh()

    def gi_legend() -> str:
        return [m.value for m in at.markdown if "Getis-Ord" in m.value][0]

    def form_widgets():  # type: ignore[no-untyped-def]
        perms = [s for s in at.sidebar.selectbox if s.label == "Permutations"][0]
        seed = [n for n in at.sidebar.number_input if n.label == "Seed"][0]
        submit = [b for b in at.sidebar.button if "Apply statistics" in b.label][0]
        return perms, seed, submit

    assert "(9,999 permutations, seed 20261123)" in gi_legend()
    perms, seed, _ = form_widgets()
    perms.set_value(99)
    seed.set_value(7)
    at.run()  # a rerun without submitting keeps the old parameters
    assert "(9,999 permutations, seed 20261123)" in gi_legend()
    perms, seed, submit = form_widgets()
    perms.set_value(99)
    seed.set_value(7)
    submit.click().run()
    assert "(99 permutations, seed 7)" in gi_legend()
    assert not at.exception


# --------------------------------------------------------------------------- patrol view


def test_patrol_view_lists_the_library_cells_and_hides_ward_controls(pack):
    from hotspots import patrol as pa_mod
    from ui.patrol import VIEWS, method_markdown
    from ui.sidebar import WARD_ONLY_NOTE

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["patrol_permutations"] = 999  # the form's own widget: fewer, faster
    at.run()
    at.radio(key="hs_view").set_value(VIEWS[1]).run()
    assert not at.exception, at.exception
    months = sorted(set(pack.points["month"].dropna().astype(str)))
    params = pa_mod.PatrolParams(
        cell_size=150, month_from=months[-pa_mod.DEFAULT_LIST_MONTHS], month_to=months[-1],
        permutations=999, seed=pack.meta.seed or pa_mod.DEFAULT_SEED)
    expected = pa_mod.analyse_patrol(pack.points, pack.areas,
                                     tuple(pack.meta.points_boroughs or ()), params,
                                     rejected=pack.meta.points_rejected,
                                     source=str(pack.meta.points_source))
    table = next(d.value for d in at.dataframe if "Street (police.uk)" in d.value.columns)
    assert len(table) == len(expected.patrol) > 0
    assert table["Cell"].tolist() == expected.patrol["cell_id"].tolist()
    # The backtest table has RRI beside PAI and hit rate, as the board pack's (issue 13).
    backtest = next(d.value for d in at.dataframe if "Median PAI" in d.value.columns)
    summary = expected.backtest.summary
    assert {"Median RRI", "Mean RRI"} <= set(backtest.columns)
    for col, key in (("Median RRI", "median_rri"), ("Mean RRI", "mean_rri")):
        pd.testing.assert_series_equal(backtest[col].reset_index(drop=True),
                                       summary[key].round(2).reset_index(drop=True),
                                       check_names=False)
    assert backtest["Median RRI"].notna().any()
    # Month labels, not "2020-09".
    slider = at.select_slider(key="patrol_period")
    assert slider.options[0] == pd.Period(months[0], "M").strftime("%b %Y")
    assert not any(re.fullmatch(r"\d{4}-\d{2}", o) for o in slider.options)
    # Ward-only controls are collapsed under the note; the basemap stays in the sidebar.
    box = next(e for e in at.sidebar.expander if WARD_ONLY_NOTE.lower()[:-1] in e.label)
    assert [s.key for s in box.selectbox][:1] == ["measure_group"]
    assert any(b.label == "Apply statistics" for b in box.button)
    assert at.sidebar.radio(key="basemap").value == "none"
    assert not any(h.value == "Hotspots, deprivation and trends" for h in at.header)
    # The footer describes the patrol method, not the ward maps'.
    footer = _markdown(at).replace("\\", "")
    method = method_markdown(expected)
    assert method.replace("\\", "")[:200] in footer
    assert "**What was counted**" in method and "**The backtest and its finding**" in method
    # Once in the view's Method expander, once in the footer under "Method and sources".
    assert sum(m.value == method for m in at.markdown) == 2
    assert any(s.value == "Method and sources" for s in at.subheader)
    assert "**Classes:**" not in footer and "**Correlation:**" not in footer
    # Back to the ward view: the controls are in the sidebar itself again.
    at.radio(key="hs_view").set_value(VIEWS[0]).run()
    assert not any(WARD_ONLY_NOTE.lower()[:-1] in e.label for e in at.sidebar.expander)
    assert "**Classes:**" in _markdown(at)


def test_patrol_view_uses_the_command_lines_seed_not_the_packs_build_seed(tmp_path,
                                                                          monkeypatch):
    """pack.json's 'seed' made the demo's synthetic referrals; the statistics' seed is
    PatrolParams' (as ``python -m hotspots patrol`` and the board pack use)."""
    import shutil

    from hotspots.patrol.params import DEFAULT_SEED
    from ui.patrol import VIEWS

    folder = tmp_path / "pack"
    shutil.copytree(ROOT / "data" / "demo", folder)
    meta = json.loads((folder / "pack.json").read_text(encoding="utf-8"))
    meta["seed"] = 1234
    (folder / "pack.json").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setenv("HOTSPOTS_PACK", str(folder))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["patrol_permutations"] = 999
    at.run()
    at.radio(key="hs_view").set_value(VIEWS[1]).run()
    assert not at.exception, at.exception
    method = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert f"seed {DEFAULT_SEED}" in method and "seed 1234" not in method


def test_data_quality_tables_are_sent_only_when_opened(pack):
    # the collapsed "Data quality" and "All wards, A to Z" panels cost every first paint
    # and rerun a table each; they are built when opened, with every source's row
    at = _fresh()
    assert not at.exception
    assert not any("rows_in" in d.value.columns for d in at.dataframe)
    at.session_state[DATA_QUALITY_KEY] = True  # as a click on the panel
    at.run()
    rec = next(d.value for d in at.dataframe if "rows_in" in d.value.columns)
    assert (rec["rows_in"] == rec["assigned"] + rec["unlocated"] + rec["outside"]
            + rec["rejected"]).all()
    assert len(rec) >= 1 and int(rec["rows_in"].sum()) > 0  # the measure's sources


def test_patrol_list_too_long_to_patrol_is_flagged_on_the_page():
    """Issue 14: a force's 5% share listed 1,730 cells; the page says so and offers top-N."""
    from ui.patrol import VIEWS

    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["patrol_permutations"] = 999
    at.run()
    at.radio(key="hs_view").set_value(VIEWS[1]).run()
    assert not at.exception, at.exception
    assert not [w for w in at.warning if "more than a team can patrol" in w.value]
    at.radio(key="patrol_by").set_value("Number of cells")
    at.number_input(key="patrol_top_n").set_value(60)
    at.selectbox(key="patrol_method").set_value("counts")  # Gi* lists only significant cells
    next(b for b in at.button if b.label == "Apply patrol settings").click().run()
    assert not at.exception, at.exception
    found = [w for w in at.warning if "more than a team can patrol" in w.value]
    assert len(found) == 1, [m.value for m in at.markdown if "Patrol list" in m.value]
    w = found[0]
    assert "60 cells" in w.value and "Number of cells" in w.value
