"""The board pack for a period without data the year before (issue 15: KeyError 'Previous').

The demo pack's first year (2024-04 to 2025-03) has no data for the year before it; with
``comparison = "none"`` there is no previous period at all. Both used to crash in the
ward table (``KeyError: ['Previous']``); the tables must build, without a 'Previous'
column when there is nothing to compare with, and say why.
"""

from __future__ import annotations

import pytest

from hotspots.report.config import config_from_mapping
from hotspots.report.content import build_section, resolve_period


def _cfg(tmp_path, comparison: str):  # type: ignore[no-untyped-def]
    return config_from_mapping({
        "measures": ["crime:all", "referrals:all"], "period": {"from": "2024-04", "to": "2025-03",
                                                                "comparison": comparison},
        "statistics": {"permutations": 99, "seed": 1}, "output": str(tmp_path)})


@pytest.mark.parametrize("comparison", ["none", "same_period_last_year"])
@pytest.mark.parametrize("measure", ["crime:all", "referrals:all"])
def test_first_year_builds_every_table(pack, tmp_path, comparison, measure):
    cfg = _cfg(tmp_path, comparison)
    section = build_section(pack, cfg, measure, resolve_period(pack.months, cfg))
    wards = section.tables[f"{section.slug}_wards"].frame
    assert section.change is None  # nothing to compare with
    assert "Previous" not in wards.columns and "Change" not in wards.columns
    assert len(wards) > 600  # every ward with data is listed
    counts = wards["Count"].astype(str)
    if measure == "crime:all":  # the counts are the ward table's (no suppression for crime)
        assert counts.astype(int).sum() == section.analysis.table["count"].sum()
    boroughs = section.tables[f"{section.slug}_boroughs"].frame
    assert "Previous" not in boroughs.columns and "Total" in boroughs["Borough"].tolist()
    if comparison != "none":
        note = next(n for n in section.notes if n.startswith("No comparison"))
        # the period is named once ("No comparison: same months a year earlier (Apr 2023 ...)
        # is not in the data ..."), not twice
        assert note.startswith("No comparison: same months a year earlier (Apr 2023"), note
        assert note.count("same months a year earlier") == 1, note
