"""Classification: hand-checked bounds, labels and counts on small series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots.maps.classify import (
    MASKED_COLOUR,
    MASKED_INDEX,
    NO_DATA_COLOUR,
    NO_DATA_INDEX,
    SCHEMES,
    class_colours,
    classify,
)
from hotspots.maps.palettes import MAP_PALETTES, PALETTES, map_palette, palette

NAN = float("nan")


def test_registry_keys():
    assert list(SCHEMES) == ["quantiles", "natural_breaks", "equal_interval", "user_defined"]


def test_unknown_scheme_lists_valid_keys():
    with pytest.raises(
        ValueError,
        match=r"scheme must be one of \['equal_interval', 'natural_breaks', 'quantiles', "
        r"'user_defined'\]; got 'jenks'",
    ):
        classify(pd.Series([1, 2, 3]), scheme="jenks")


@pytest.mark.parametrize("k", [0, 10], ids=["zero", "ten"])
def test_k_out_of_range(k):
    with pytest.raises(ValueError, match="k must be between 1 and 9"):
        classify(pd.Series([1, 2, 3]), k=k)


def test_user_defined_needs_bins():
    with pytest.raises(ValueError, match="needs bins="):
        classify(pd.Series([1, 2, 3]), scheme="user_defined")


def test_quantiles_integer_counts_do_not_overlap():
    # np.percentile of 1..10 at 20/40/60/80 % = 2.8, 4.6, 6.4, 8.2 -> snapped 2, 4, 6, 8.
    c = classify(pd.Series(range(1, 11)), k=5, integer=True)
    assert c.bins == (2.0, 4.0, 6.0, 8.0, 10.0)
    assert c.labels == ("1 to 2 (2)", "3 to 4 (2)", "5 to 6 (2)", "7 to 8 (2)", "9 to 10 (2)")
    assert c.class_index.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert c.counts == (2, 2, 2, 2, 2)


def test_ties_share_a_class():
    # sorted 1 2 5 5 5 5: 33.3 % -> 4.0, 66.7 % -> 5, 100 % -> 5: two classes.
    c = classify(pd.Series([5, 5, 5, 5, 1, 2]), k=3, integer=True)
    assert c.labels == ("1 to 4 (2)", "5 (4)")
    assert c.class_index.tolist() == [1, 1, 1, 1, 0, 0]


def test_nan_is_no_data_not_zero():
    s = pd.Series([0, 0, 1, 2, NAN, 3, NAN], index=list("abcdefg"))
    c = classify(s, scheme="user_defined", bins=[0, 2], integer=True)
    assert c.labels == ("0 (2)", "1 to 2 (2)", "3 (1)", "No data (2)")
    assert c.class_index.to_dict() == {"a": 0, "b": 0, "c": 1, "d": 1, "e": -1, "f": 2, "g": -1}
    assert c.no_data_label == "No data (2)"
    assert c.class_labels == ("0 (2)", "1 to 2 (2)", "3 (1)")
    assert c.class_index.index.equals(s.index)


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_k_greater_than_distinct_values(scheme):
    c = classify(pd.Series([1, 1, 2, 2, 3]), scheme=scheme, k=5, integer=True)
    assert c.labels == ("1 (2)", "2 (2)", "3 (1)")
    assert c.k == 3


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_all_equal_values_one_class(scheme):
    c = classify(pd.Series([4.0, 4.0, 4.0]), scheme=scheme, k=5, integer=True)
    assert c.labels == ("4 (3)",)
    assert c.class_index.tolist() == [0, 0, 0]


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_all_nan_and_empty(scheme):
    c = classify(pd.Series([NAN, NAN]), scheme=scheme)
    assert c.k == 0 and c.labels == ("No data (2)",)
    assert c.class_index.tolist() == [NO_DATA_INDEX, NO_DATA_INDEX]
    empty = classify(pd.Series([], dtype=float), scheme=scheme)
    assert empty.k == 0 and empty.labels == () and len(empty.class_index) == 0


def test_natural_breaks_hand_checked():
    # Three obvious groups: Fisher-Jenks puts the breaks between them.
    c = classify(pd.Series([1, 2, 3, 10, 11, 12, 30]), scheme="natural_breaks", k=3, integer=True)
    assert c.bins == (3.0, 12.0, 30.0)
    assert c.labels == ("1 to 3 (3)", "4 to 12 (3)", "13 to 30 (1)")


def test_equal_interval_floats_and_empty_class():
    c = classify(pd.Series([0.5, 1.5, 2.5, 3.5]), scheme="equal_interval", k=2)
    assert c.labels == ("0.5 to 2.0 (2)", "2.0 to 3.5 (2)")
    gap = classify(pd.Series([0, 1, 2, 9, 10]), scheme="equal_interval", k=5, integer=True)
    assert gap.labels == ("0 to 2 (3)", "3 to 4 (0)", "5 to 6 (0)", "7 to 8 (0)", "9 to 10 (2)")


def test_user_defined_adds_a_class_up_to_the_maximum():
    c = classify(pd.Series([1, 2, 2, 3, 7, 9]), scheme="user_defined", bins=[5, 2], integer=True)
    assert c.bins == (2.0, 5.0, 9.0)
    assert c.labels == ("1 to 2 (3)", "3 to 5 (1)", "6 to 9 (2)")


def test_thousands_separator():
    c = classify(pd.Series([1200, 3400]), scheme="user_defined", bins=[2000], integer=True)
    assert c.labels == ("1,200 to 2,000 (1)", "2,001 to 3,400 (1)")


def test_masked_values_get_their_own_entry_and_imply_nothing():
    s = pd.Series([0, 0, 3, 1, 7, 9, 12, 20, NAN])
    masked = s.between(1, 4)
    c = classify(s, k=3, integer=True, masked=masked, masked_label="Fewer than 5 (suppressed)")
    assert c.labels == (
        "0 (2)", "7 to 9 (2)", "12 to 20 (2)", "Fewer than 5 (suppressed) (2)", "No data (1)"
    )
    assert c.class_index.tolist() == [0, 0, MASKED_INDEX, MASKED_INDEX, 1, 1, 2, 2, -1]
    assert c.masked_label == "Fewer than 5 (suppressed) (2)"
    assert c.no_data_label == "No data (1)"
    colours = class_colours(c, "YlOrRd")
    assert colours.iloc[2] == MASKED_COLOUR and colours.iloc[8] == NO_DATA_COLOUR


def test_masked_must_align():
    with pytest.raises(ValueError, match="same index"):
        classify(pd.Series([1, 2]), masked=pd.Series([True]))


@pytest.mark.parametrize("name", sorted(PALETTES))
def test_palettes_have_k_distinct_colours(name):
    for k in range(0, 10):
        cols = palette(name, k)
        assert len(cols) == k == len(set(cols))
        assert NO_DATA_COLOUR not in cols and MASKED_COLOUR not in cols


def test_unknown_palette():
    with pytest.raises(ValueError,
                       match=r"palette must be one of \['Blues', 'Purples', 'YlOrRd'\]"):
        palette("Rainbow", 5)


def test_class_colours_aligned():
    s = pd.Series([1.0, NAN, 5.0], index=[10, 20, 30])
    c = classify(s, scheme="user_defined", bins=[2])
    cols = class_colours(c, "Blues")
    assert cols.to_dict() == {10: palette("Blues", 2)[0], 20: NO_DATA_COLOUR,
                              30: palette("Blues", 2)[1]}


def test_input_not_mutated():
    s = pd.Series([3.0, NAN, 1.0])
    before = s.copy()
    classify(s, k=2)
    pd.testing.assert_series_equal(s, before)
    assert np.isnan(s.iloc[1])


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    import matplotlib.colors as mcolors

    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
           for c in mcolors.to_rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    lo, hi = sorted((_luminance(a), _luminance(b)))
    return (hi + 0.05) / (lo + 0.05)


def _saturation(colour: str) -> float:
    import matplotlib.colors as mcolors

    return float(mcolors.rgb_to_hsv(mcolors.to_rgb(colour))[1])


def test_suppressed_colour_is_distinct_from_every_class_and_no_data():
    assert _contrast("#ffffff", "#000000") == pytest.approx(21.0)  # the WCAG scale
    # The old pale masked colour was barely apart from the lightest YlOrRd class.
    assert _contrast("#dde6ee", "#ffffb2") < 1.3
    assert _contrast(MASKED_COLOUR, NO_DATA_COLOUR) >= 1.5
    assert _saturation(MASKED_COLOUR) < 0.25  # a grey, not a class hue
    for name in MAP_PALETTES:
        for k in range(3, 8):
            colours = map_palette(name, k)
            assert _contrast(MASKED_COLOUR, colours[0]) >= 3.0, (name, k)
            for c in colours:  # as dark as some class: then clearly greyer than it
                if _contrast(MASKED_COLOUR, c) < 1.5:
                    assert _saturation(c) - _saturation(MASKED_COLOUR) > 0.3, (name, k, c)


# --------------------------------------------------------------------------- palettes

#: The ColorBrewer tables as they were typed in this project before they came from branca.
TYPED_BREWER = {
    ("YlOrRd", 3): "#ffeda0 #feb24c #f03b20",
    ("YlOrRd", 5): "#ffffb2 #fecc5c #fd8d3c #f03b20 #bd0026",
    ("YlOrRd", 7): "#ffffb2 #fed976 #feb24c #fd8d3c #fc4e2a #e31a1c #b10026",
    ("YlOrRd", 9): "#ffffcc #ffeda0 #fed976 #feb24c #fd8d3c #fc4e2a #e31a1c #bd0026 #800026",
    ("Blues", 4): "#eff3ff #bdd7e7 #6baed6 #2171b5",
    ("Blues", 6): "#eff3ff #c6dbef #9ecae1 #6baed6 #3182bd #08519c",
    ("Blues", 8): "#f7fbff #deebf7 #c6dbef #9ecae1 #6baed6 #4292c6 #2171b5 #084594",
    ("Purples", 3): "#efedf5 #bcbddc #756bb1",
    ("Purples", 5): "#f2f0f7 #cbc9e2 #9e9ac8 #756bb1 #54278f",
    ("Purples", 9): "#fcfbfd #efedf5 #dadaeb #bcbddc #9e9ac8 #807dba #6a51a3 #54278f #3f007d",
}


@pytest.mark.parametrize("name, k", sorted(TYPED_BREWER))
def test_colorbrewer_palettes_from_branca_are_the_typed_tables(name, k):
    assert PALETTES[name][k] == tuple(TYPED_BREWER[name, k].split())
    assert palette(name, k) == PALETTES[name][k]


def test_viridis_stops_are_matplotlib_viridis():
    import matplotlib
    from matplotlib.colors import to_hex

    from hotspots.maps.palettes import VIRIDIS_STOPS

    cmap = matplotlib.colormaps["viridis"]
    assert VIRIDIS_STOPS == tuple(to_hex(cmap(i / 8)) for i in range(8, -1, -1))


def test_gi_colours_are_colorbrewer_rdbu():
    from hotspots.maps.statmaps import GI_COLD, GI_HOT

    assert GI_HOT == {3: ("#b2182b", "#ef8a62", "#fddbc7"),
                      4: ("#b2182b", "#d6604d", "#f4a582", "#fddbc7")}
    assert GI_COLD == {3: ("#2166ac", "#67a9cf", "#d1e5f0"),
                       4: ("#2166ac", "#4393c3", "#92c5de", "#d1e5f0")}


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 9])
def test_quantiles_are_scipy_scoreatpercentile(k):
    """The quantile arithmetic is scipy's (kept in numpy: faster, and no scipy import)."""
    from scipy.stats import scoreatpercentile

    rng = np.random.default_rng(k)
    for y in (rng.gamma(2.0, 40.0, 704), rng.integers(0, 12, 704).astype(float),
              np.array([3.0, 3.0, 3.0, 8.0])):
        w = 100.0 / k
        pct = np.minimum(np.arange(w, 100 + w, w), 100.0)
        want = np.unique(scoreatpercentile(y, pct))
        np.testing.assert_array_equal(SCHEMES["quantiles"].build(y, k, None).bins, want)


# --------------------------------------------------------------------------- zero and from 0


def test_zero_gets_its_own_neutral_class_out_of_the_bounds():
    from hotspots.maps.classify import ZERO_COLOUR, ZERO_INDEX

    s = pd.Series([0, 0, 0, 0, 2, 3, 4, 8, 9, 12, NAN], index=list("abcdefghijk"))
    c = classify(s, k=2, integer=True, zero_class=True)
    # quantiles of the non-zero values only: 2 3 4 8 9 12 -> 50% at 6 -> classes 2-6, 7-12
    assert c.bins == (6.0, 12.0)
    assert c.zero_label == "0 (4)" and c.n_zero == 4
    assert c.class_labels == ("2 to 6 (3)", "7 to 12 (3)")
    assert c.class_index.loc[list("abcd")].eq(ZERO_INDEX).all()
    colours = class_colours(c, "YlOrRd")
    assert colours.loc["a"] == ZERO_COLOUR and ZERO_COLOUR not in palette("YlOrRd", 2)
    assert sum(c.counts) + c.n_zero + c.n_no_data == len(s)


def test_only_zeros_and_suppressed_form_no_value_class():
    # 696 wards with 0 and 8 wards under 5: no class is drawn in a hot colour
    s = pd.Series([0] * 696 + [1, 2, 1, 3, 1, 1, 4, 2], dtype=float)
    c = classify(s, k=5, integer=True, masked=s.between(1, 4), zero_class=True,
                 masked_label="Fewer than 5 (suppressed)")
    assert c.k == 0 and c.class_labels == ()
    assert c.zero_label == "0 (696)" and c.masked_label == "Fewer than 5 (suppressed) (8)"
    assert set(class_colours(c, "YlOrRd")) == {"#ffffff", MASKED_COLOUR}


def test_without_zero_class_a_map_of_zeros_is_one_dark_class():
    # the defect the zero class fixes (kept as the default of classify for other maps)
    c = classify(pd.Series([0.0] * 5), k=5, integer=True)
    assert c.labels == ("0 (5)",) and class_colours(c, "YlOrRd").iloc[0] == "#f03b20"


def test_first_class_from_zero_for_counts():
    s = pd.Series([2, 3, 4, 4, 7, 9, 12, 15])
    off = classify(s, scheme="user_defined", bins=[4, 9], integer=True)
    on = classify(s, scheme="user_defined", bins=[4, 9], integer=True, from_zero=True)
    assert off.class_labels[0] == "2 to 4 (4)"
    assert on.class_labels == ("0 to 4 (4)", "5 to 9 (2)", "10 to 15 (2)")
    assert on.bins == off.bins and on.counts == off.counts  # only the printed start moves
    # after a zero class, the first class starts at 1
    z = classify(pd.Series([0, 0, 2, 3, 9]), scheme="user_defined", bins=[4], integer=True,
                 zero_class=True, from_zero=True)
    assert (z.zero_label, *z.class_labels) == ("0 (2)", "1 to 4 (2)", "5 to 9 (1)")
    # rates (not whole numbers) print the data as they are
    r = classify(pd.Series([0.4, 1.5, 2.5]), scheme="user_defined", bins=[1.0], from_zero=True)
    assert r.class_labels[0].startswith("0.4 to")


def test_a_zero_bound_adds_no_empty_class():
    s = pd.Series([2, 3, 4, 4, 7, 9])
    c = classify(s, scheme="user_defined", bins=[0, 4], integer=True, from_zero=True)
    assert c.class_labels == ("0 to 4 (4)", "5 to 9 (2)")
    z = classify(pd.Series([0, 2, 3, 9]), scheme="user_defined", bins=[0, 4], integer=True,
                 zero_class=True, from_zero=True)
    assert (z.zero_label, *z.class_labels) == ("0 (1)", "1 to 4 (2)", "5 to 9 (1)")
    assert 0 not in z.counts


def test_positive_user_bounds_keep_their_empty_classes():
    # bounds shared with another map (e.g. IMD classes of all London) keep their meaning
    c = classify(pd.Series([35.0, 38.0]), scheme="user_defined", bins=[10, 20, 30, 40])
    assert c.k == 4 and c.counts == (0, 0, 0, 2)


@pytest.mark.parametrize("seed", range(12))
def test_natural_breaks_equal_mapclassify_fisher_jenks_to_the_last_bit(seed):
    import subprocess
    import sys

    mapclassify = pytest.importorskip("mapclassify")
    from hotspots.maps.classify import fisher_jenks_bins

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    y = (rng.poisson(rng.gamma(1, 5), n).astype(float) if seed % 2       # counts, many ties
         else np.round(rng.lognormal(2, 1, n), 1))                         # rates
    k = min(int(rng.integers(3, 10)), len(np.unique(y)))
    np.testing.assert_array_equal(fisher_jenks_bins(np.sort(y), k),
                                  mapclassify.FisherJenks(y, k=k).bins)
    if seed == 0:  # and the scheme no longer imports mapclassify (numba) to do it
        code = ("import sys, numpy as np; from hotspots.maps import classify; "
                "classify.SCHEMES['natural_breaks'].build(np.arange(50.0), 5, None); "
                "print('mapclassify' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.strip()
        assert out == "False"


def test_counts_in_every_label_have_a_thousands_separator():
    # issue 14: the patrol legend read "0 (98439)" beside "(1,730)"
    s = pd.Series([0] * 1234 + [5] * 1500 + [9] * 1001 + [NAN] * 2000)
    masked = pd.Series([False] * 1234 + [True] * 1500 + [False] * 3001)
    c = classify(s, k=1, integer=True, zero_class=True, masked=masked, masked_label="Hidden")
    assert c.zero_label == "0 (1,234)"
    assert c.masked_label == "Hidden (1,500)"
    assert c.no_data_label == "No data (2,000)"
    assert c.class_labels == ("9 (1,001)",)
