"""One selection, three entry points, the same numbers (issue 13, item 4).

A new user found the page at 9,999 permutations ("Hot 95% (9)", LISA "HH 9") and
``python -m hotspots analyse`` at 999 ("Hot 90% 9", every LISA cluster not
significant) on the same selection. Here the dashboard (Streamlit's AppTest, nothing
changed: the defaults), the board pack built on that page, and the command line with
its defaults run on the same selection, and every figure they export is compared.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hotspots import cli
from hotspots.pipeline import analysis

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard.py")


def _zip_files(built) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(io.BytesIO(built.zip)) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def page() -> AppTest:
    """The dashboard as a new user opens it, with the board pack built on it."""
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.button(key="hs_report_build").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def board_pack(page) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    return _zip_files(page.session_state["hs_report_built"])


@pytest.fixture(scope="module")
def command_line(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("analyse")
    assert cli.main(["analyse", "--out", str(out)]) == 0
    return out


def _cli_table(out: Path) -> pd.DataFrame:
    t = pd.read_csv(out / "ward_analysis.csv")
    return t[t["has_data"].astype(bool)].set_index(["area_name", "borough_name"])


def test_one_set_of_statistics_defaults_everywhere(board_pack, command_line):
    defaults = asdict(analysis.StatsParams())
    cli_m = json.loads((command_line / "manifest.json").read_text())
    pack_m = json.loads(board_pack["manifest.json"])
    assert cli_m["parameters"]["statistics"] == defaults
    assert pack_m["parameters"]["statistics"] == defaults
    assert defaults["permutations"] == 9999  # 999 cannot reach 95% over ~700 wards with FDR


def test_page_and_command_line_select_the_same_period_and_threshold(board_pack, command_line):
    cli_sel = json.loads((command_line / "manifest.json").read_text())["parameters"]["selection"]
    pack_sel = json.loads(board_pack["manifest.json"])["parameters"]["selection"]
    for key in ("measure", "month_from", "month_to", "rate", "suppress_below", "boroughs"):
        assert pack_sel[key] == cli_sel[key], key


def test_every_ward_figure_agrees(page, board_pack, command_line):
    cli_t = _cli_table(command_line)
    shown = next(d.value for d in page.dataframe if "Gi* class" in d.value.columns)
    shown = shown.set_index(["Ward", "Borough"]).loc[cli_t.index]
    # The page's Hotspots tab against the command line's ward_analysis.csv.
    assert (shown["Gi* class"] == cli_t["gi_class"]).all()
    assert (shown["LISA cluster"] == cli_t["lisa_quadrant"]).all()
    assert (shown["Gi* q"] == cli_t["gi_q"].round(4)).all()
    assert (shown["Gi* z"] == cli_t["gi_z"].round(2)).all()
    assert (shown["LISA q"] == cli_t["lisa_q"].round(4)).all()
    assert (shown["Crimes"].str.replace(",", "").astype(int) == cli_t["count"]).all()
    hot = cli_t["gi_class"].str.startswith("Hot")
    assert hot.any() and (cli_t["lisa_quadrant"] != "ns").any()
    # The board pack built on the page against the command line.
    wards = pd.read_csv(io.BytesIO(board_pack["crime-all_wards.csv"]))
    wards = wards.set_index(["Ward", "Borough"]).loc[cli_t.index]
    assert (wards["Gi* class"] == cli_t["gi_class"]).all()
    assert (wards["LISA cluster"] == cli_t["lisa_quadrant"]).all()
    assert (wards["Count"] == cli_t["count"]).all() and (wards["Rank"] == cli_t["rank"]).all()
    assert (wards["Rate per 1,000"] - cli_t["rate_per_1000"]).abs().max() < 0.051
    # The page's top-wards table against both.
    top = page.dataframe[0].value.set_index(["Ward", "Borough"])
    assert (top["Rank"].astype(int) == cli_t.loc[top.index, "rank"]).all()
    assert (top["Crimes"].str.replace(",", "").astype(int) == cli_t.loc[top.index, "count"]).all()


def test_global_moran_agrees(page, board_pack, command_line):
    gm = json.loads((command_line / "manifest.json").read_text())["parameters"]["hotspots"][
        "global_moran"]
    caption = next(c.value for c in page.caption if c.value.startswith("Global Moran's I"))
    assert f"Global Moran's I = {gm['I']:.3f}" in caption
    shown_p = float(re.search(r"pseudo p = ([\d.]+)", caption).group(1))
    assert shown_p == pytest.approx(gm["p_sim"], abs=5e-4)
    hs = pd.read_csv(io.BytesIO(board_pack["crime-all_hotspots.csv"])).set_index("Statistic")
    assert float(hs.loc["Global Moran's I", "Value"]) == round(gm["I"], 3)
    assert float(hs.loc["Global Moran's I", "Pseudo p"]) == round(gm["p_sim"], 4)
