"""The page's caches are keyed by the frozen Selection and StatsParams themselves."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from hotspots import pipeline
from hotspots.pipeline import analysis as analysis_mod
from ui import cache

SEL = pipeline.Selection("crime:all", "2025-04", "2026-03")
STATS = analysis_mod.StatsParams(permutations=99, seed=1)


def test_selection_and_stats_are_frozen_and_hashable():
    assert hash(SEL) == hash(pipeline.Selection("crime:all", "2025-04", "2026-03"))
    assert hash(STATS) == hash(analysis_mod.StatsParams(permutations=99, seed=1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        SEL.measure = "referrals:all"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        STATS.seed = 2  # type: ignore[misc]


@pytest.mark.parametrize("func", [cache.ward_table, cache.measure_panel, cache.map_pair,
                                  cache.analysis, cache.emerging_wards])
def test_cached_builders_take_the_selection(func):
    params = list(inspect.signature(func).parameters)
    assert params[:3] == ["folder", "upload_set", "sel"]
    assert not {"measure", "month_from", "month_to", "rate", "boroughs"} & set(params)


def _counting(monkeypatch, name: str) -> list[object]:
    calls: list[object] = []
    real = getattr(cache.measures, name)

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(args[1])
        return real(*args)

    monkeypatch.setattr(cache.measures, name, counted)
    return calls


def test_equal_selections_hit_the_ward_table_cache(monkeypatch):
    calls = _counting(monkeypatch, "table_for")
    cache.ward_table.clear()
    first = cache.ward_table(None, None, SEL)
    again = cache.ward_table(None, None, pipeline.Selection("crime:all", "2025-04", "2026-03"))
    assert len(calls) == 1 and again.n_records == first.n_records
    cache.ward_table(None, None, dataclasses.replace(SEL, month_from="2025-05"))
    cache.ward_table(None, None, dataclasses.replace(SEL, boroughs=("Camden",)))
    assert len(calls) == 3


def test_equal_statistics_hit_the_analysis_cache(monkeypatch):
    calls = _counting(monkeypatch, "analyse_for")
    cache.analysis.clear()
    sel = dataclasses.replace(SEL, boroughs=("Camden", "Islington"))
    cache.analysis(None, None, sel, STATS)
    cache.analysis(None, None, dataclasses.replace(sel),
                   analysis_mod.StatsParams(permutations=99, seed=1))
    assert len(calls) == 1
    cache.analysis(None, None, sel, dataclasses.replace(STATS, seed=2))
    assert len(calls) == 2


@pytest.mark.parametrize("func", [cache.measure_panel, cache.map_pair])
def test_map_builders_take_the_map_style_as_one_key(func):
    """The measure map's options are one frozen value, listed once (not a parameter list
    repeated by every builder)."""
    params = list(inspect.signature(func).parameters)
    assert params[:5] == ["folder", "upload_set", "sel", "style", "value_label"]
    assert not {"scheme", "k", "bins", "basemap", "palette", "from_zero"} & set(params)
    style = cache.MapStyle("quantiles", 5, None, "none")
    assert hash(style) == hash(cache.MapStyle("quantiles", 5, None, "none"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        style.k = 6  # type: ignore[misc]
