"""Small-number suppression, escaping and spreadsheet formula neutralising."""

from __future__ import annotations

import pandas as pd

from hotspots import privacy


def test_counts_below_threshold_hidden_zero_shown():
    got = privacy.display_counts(pd.Series([0, 1, 4, 5, 1234, float("nan")]), threshold=5)
    assert got.tolist() == ["0", "<5", "<5", "5", "1,234", "no data"]


def test_threshold_is_configurable_and_crime_not_suppressed():
    s = pd.Series([2, 3, 9])
    assert privacy.display_counts(s, threshold=3).tolist() == ["<3", "3", "9"]
    assert privacy.display_counts(s, sensitive=False).tolist() == ["2", "3", "9"]


def test_rates_hidden_where_count_is():
    counts = pd.Series([2, 10])
    mask = privacy.suppressed_mask(counts)
    got = privacy.display_values(pd.Series([0.51234, 2.0]), mask)
    assert got.tolist() == ["suppressed (count <5)", "2.0"]


def test_escape_and_formula_neutralising():
    assert privacy.escape_text("<b>A&B</b>") == "&lt;b&gt;A&amp;B&lt;/b&gt;"
    df = pd.DataFrame({"a": ["=HYPERLINK(1)", "+1", "ok", "-2"], "n": [1, 2, 3, 4]})
    out = privacy.safe_for_spreadsheet(df)
    assert out["a"].tolist() == ["'=HYPERLINK(1)", "'+1", "ok", "'-2"]
    assert df["a"].iloc[0] == "=HYPERLINK(1)"  # input not mutated
