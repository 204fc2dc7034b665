"""The patrol view on a force pack (issue 14): a study-area choice that fits by default."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hotspots.pipeline import packbuild

pytestmark = pytest.mark.realdata

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


@pytest.fixture(scope="module")
def north_wales(shared_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nw") / "nw"
    packbuild.build_pack("North Wales Police", out,
                         data=packbuild.load_national(data_root=shared_data),
                         police_uk=[shared_data / "police_uk_wales_2024-01_to_2024-04"])
    return out


def test_force_pack_patrol_view_starts_on_the_busiest_authority_and_says_so(north_wales,
                                                                            monkeypatch):
    from ui.patrol import VIEWS

    monkeypatch.setenv("HOTSPOTS_PACK", str(north_wales))
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["patrol_permutations"] = 999
    at.run()
    at.radio(key="hs_view").set_value(VIEWS[1]).run()
    assert not at.exception, at.exception
    # before: "...makes about 274,502 cells... Choose fewer areas" with no control on the form
    assert not [e for e in at.error if "cannot run" in e.value]
    study = at.multiselect(key="patrol_study")
    assert len(study.options) == 6 and study.value == ["Wrexham"]
    why = next(i.value for i in at.info if "study area starts as" in i.value).replace("\\", "")
    assert "All 6 areas (6,176 km²) would make about 274,502 cells of 150 m" in why
    assert "starts as Wrexham, the area with the most located records" in why
    # 4 months, 3 training months: one held-out month, said on the page
    assert any("rests on 1 held-out month" in w.value.replace("\\", "") for w in at.warning)
    # the footer's study area is the one analysed (it listed all six authorities)
    footer = next(m.value for m in at.markdown if "**Study area:**" in m.value)
    assert "**Study area:** Wrexham (1 of the pack's 6 areas)." in footer, footer
