"""Print maps (hotspots.staticmaps): legends agree with classify, suppression, determinism."""

from __future__ import annotations

import re
import shutil
import subprocess

import geopandas as gpd
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from matplotlib.legend import Legend
from shapely.geometry import box

from hotspots._errors import CRSError
from hotspots.maps.classify import MASKED_COLOUR, classify
from hotspots.maps.palettes import PALETTES, palette
from hotspots.maps.printmaps import (
    DEFAULT_PALETTE,
    category_map,
    class_map,
    luminance,
    quantile_note,
    save_figure,
    trend_chart,
)


@pytest.fixture()
def grid() -> gpd.GeoDataFrame:
    """4 x 5 grid of 1 km squares in two boroughs; values 0..40, two NaN, three small."""
    cells = [box(530000 + 1000 * c, 180000 + 1000 * r, 531000 + 1000 * c, 181000 + 1000 * r)
             for r in range(4) for c in range(5)]
    values = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 20, 25, 30, 35, 40, np.nan, np.nan]
    return gpd.GeoDataFrame({
        "area_code": [f"E05{i:06d}" for i in range(20)],
        "area_name": [f"Ward {i}" for i in range(20)],
        "borough_code": ["E09000001" if i % 5 < 3 else "E09000002" for i in range(20)],
        "borough_name": ["Westborough" if i % 5 < 3 else "Eastborough" for i in range(20)],
        "value": values,
    }, geometry=cells, crs="EPSG:27700")


def legend_texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for leg in fig.findobj(Legend) for t in leg.get_texts()]


def pixel(fig, ax, x: float, y: float) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    return tuple(img[int(img.shape[0] - py), int(px), :3] / 255.0)  # type: ignore[return-value]


def test_legend_matches_classify_with_counts(grid: gpd.GeoDataFrame) -> None:
    suppressed = grid["value"].between(1, 4)
    fig = class_map(grid, "value", title="Referrals", legend_title="Referrals",
                    suppressed=suppressed, no_data_label="No data")
    expected = classify(grid["value"], scheme="quantiles", k=5, integer=True,
                        masked=suppressed, masked_label="Suppressed (<5)")
    texts = legend_texts(fig)
    assert texts == list(expected.labels)
    assert texts[-2:] == ["Suppressed (<5) (3)", "No data (2)"]
    # class counts printed add up to the wards shown in classes
    assert sum(int(t.rsplit("(", 1)[1].rstrip(")")) for t in texts) == len(grid)
    # no suppressed value (2, 3, 4) can be read from any class range
    bounds = {float(x) for t in texts[:-2] for x in re.findall(r"[\d.]+", t.split("(")[0])}
    assert bounds and not bounds & {2.0, 3.0, 4.0}


def test_user_defined_bins_ranges(grid: gpd.GeoDataFrame) -> None:
    fig = class_map(grid, "value", title="t", legend_title="Crimes", scheme="user_defined",
                    bins=[9, 19])
    assert legend_texts(fig) == ["0 to 9 (9)", "10 to 19 (4)", "20 to 40 (5)", "No data (2)"]


def test_suppressed_wards_are_not_class_coloured(grid: gpd.GeoDataFrame) -> None:
    suppressed = grid["value"].between(1, 4)
    fig = class_map(grid, "value", title="t", legend_title="n", suppressed=suppressed,
                    borough_labels=False)
    ax = fig.axes[0]
    k = fig.classification.k
    class_rgb = [np.array(mcolors.to_rgb(c)) for c in palette(DEFAULT_PALETTE, k)]
    masked = np.array(mcolors.to_rgb(MASKED_COLOUR))
    for i in np.flatnonzero(suppressed.to_numpy()):
        c = grid.geometry.iloc[i].centroid
        # sample a few points inside the square: hatch lines or the masked grey, never a class
        for dx, dy in ((-200, -300), (150, 250), (300, -100)):
            rgb = np.array(pixel(fig, ax, c.x + dx, c.y + dy))
            assert min(np.abs(rgb - col).max() for col in class_rgb) > 0.05
        assert any(np.abs(np.array(pixel(fig, ax, c.x + dx, c.y + dy)) - masked).max() < 0.02
                   for dx in range(-300, 301, 50) for dy in (-250, 0, 250))
    # a classed ward is drawn in its class colour
    c = grid.geometry.iloc[17].centroid  # the maximum: darkest class
    assert np.abs(np.array(pixel(fig, ax, c.x + 250, c.y + 250)) - class_rgb[-1]).max() < 0.02


def test_png_at_300_dpi_not_blank_and_byte_identical(grid: gpd.GeoDataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = []
    for n in range(2):
        fig = class_map(grid, "value", title="Crimes", legend_title="Crimes",
                        subtitle="Apr 2025 to Mar 2026")
        paths.append(save_figure(fig, tmp_path / f"map{n}.png"))
    a, b = (p.read_bytes() for p in paths)
    assert a == b
    img = imread(paths[0])
    w, h = fig.get_size_inches()
    assert img.shape[:2] == (round(h * 300), round(w * 300))
    assert img[..., :3].std() > 0.1  # a drawn map, not an empty page
    assert b"Software" not in a and b"Creation" not in a


def test_pdf_is_deterministic_with_truetype_fonts(grid: gpd.GeoDataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fig = class_map(grid, "value", title="Crimes", legend_title="Crimes")
    one = save_figure(fig, tmp_path / "a.pdf").read_bytes()
    two = save_figure(fig, tmp_path / "b.pdf").read_bytes()
    assert one == two and b"CreationDate" not in one
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", str(tmp_path / "a.pdf")], capture_output=True,
                             text=True, check=True).stdout
        assert "DejaVuSans" in out and "TrueType" in out and "Type 3" not in out


def test_print_palettes_fall_monotonically_in_lightness() -> None:
    for name in PALETTES:
        for k in range(2, 10):
            lum = [luminance(c) for c in palette(name, k)]
            assert all(a > b for a, b in zip(lum, lum[1:], strict=False)), (name, k, lum)
    assert luminance("#ffffff") == pytest.approx(1.0)
    assert luminance("#808080") == pytest.approx(0.2159, abs=1e-4)  # sRGB mid grey


def test_crs_errors(grid: gpd.GeoDataFrame) -> None:
    with pytest.raises(CRSError, match="EPSG:27700"):
        class_map(grid.to_crs(4326), "value", title="t", legend_title="t")
    with pytest.raises(CRSError, match="no CRS"):
        class_map(grid.set_crs(None, allow_override=True), "value", title="t", legend_title="t")
    with pytest.raises(ValueError, match="'nope'"):
        class_map(grid, "nope", title="t", legend_title="t")


def test_category_map_counts_and_unknown(grid: gpd.GeoDataFrame) -> None:
    g = grid.assign(cls=["Hot 99%"] * 3 + ["Not significant"] * 15 + [None] * 2)
    cats = {"Hot 99%": "#b2182b", "Cold 99%": "#2166ac", "Not significant": "#ebebeb"}
    fig = category_map(g, "cls", categories=cats, title="Gi*", legend_title="Gi*")
    assert legend_texts(fig) == ["Hot 99% (3)", "Cold 99% (0)", "Not significant (15)",
                                 "No data (2)"]
    with pytest.raises(ValueError, match="HH"):
        category_map(g.assign(cls="HH"), "cls", categories=cats, title="t", legend_title="t")


def test_borough_names_drawn(grid: gpd.GeoDataFrame) -> None:
    fig = class_map(grid, "value", title="t", legend_title="t")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"Westborough", "Eastborough"} <= texts


def test_trend_chart_breaks_at_missing_months() -> None:
    m = pd.DataFrame({"month": ["2025-01", "2025-02", "2025-04", "2025-05"],
                      "value": [10, 12, 9, np.nan]})
    fig = trend_chart(m, title="Monthly", ylabel="Crimes")
    (line,) = fig.axes[0].get_lines()
    y = line.get_ydata()
    assert len(y) == 5 and np.isnan(y[2]) and np.isnan(y[4])  # March absent, May NaN
    assert y[0] == 10 and y[3] == 9
    assert fig.axes[0].get_ylabel() == "Crimes"


# --------------------------------------------------------------------------- print layout


def _inches(fig, artist) -> object:  # type: ignore[no-untyped-def]
    fig.canvas.draw()
    return artist.get_window_extent(fig.canvas.get_renderer()).transformed(
        fig.dpi_scale_trans.inverted())


def test_legend_below_gives_the_map_the_panel_width(grid: gpd.GeoDataFrame) -> None:
    panel = (5.2, 5.45)
    right = class_map(grid, "value", title="t", legend_title="Crimes", figsize=panel)
    below = class_map(grid, "value", title="t", legend_title="Crimes", figsize=panel,
                      legend="below")
    w_right = _inches(right, right.axes[0]).width
    w_below = _inches(below, below.axes[0]).width
    assert w_right <= 0.67 * panel[0] and w_below >= 0.9 * panel[0], (w_right, w_below)
    (leg,) = below.findobj(Legend)
    box, map_box = _inches(below, leg), _inches(below, below.axes[0])
    assert box.y1 <= map_box.y0 + 0.01  # under the map, not beside it
    assert leg._ncols >= 2  # entries in columns, not one long list
    # nothing runs into the attribution line or off the figure
    note = [t for t in below.axes[1].texts if t.get_text().startswith("Quantiles")]
    attribution = [t for t in below.texts if t.get_text().startswith("Contains OS")]
    assert note and attribution
    assert _inches(below, note[0]).y0 > _inches(below, attribution[0]).y1
    assert below.get_size_inches()[1] <= panel[1] + 1e-9


def test_legend_position_is_checked(grid: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="'left'"):
        class_map(grid, "value", title="t", legend_title="t", legend="left")
    g = grid.assign(cls=["Hot 99%"] * 20)
    with pytest.raises(ValueError, match="legend must be one of"):
        category_map(g, "cls", categories={"Hot 99%": "#b2182b"}, title="t", legend_title="t",
                     legend="top")


def test_quantile_note_only_claims_equal_classes_when_true(grid: gpd.GeoDataFrame) -> None:
    even = classify(pd.Series(np.arange(100.0)), scheme="quantiles", k=5)
    assert quantile_note(even) == "Quantiles: each class holds about the same number of areas."
    # 60 zero wards and 40 others: the class of 0 holds 60, the others about 10 each
    ties = classify(pd.Series([0.0] * 60 + list(range(1, 41))), scheme="quantiles", k=5)
    assert max(ties.counts) >= 2 * min(ties.counts)
    assert "same number" not in quantile_note(ties) and "ties" in quantile_note(ties)
    zeros = grid.assign(value=[0] * 12 + list(range(5, 11)) + [np.nan, np.nan])
    fig = class_map(zeros, "value", title="t", legend_title="n")
    notes = [t.get_text() for t in fig.axes[1].texts]
    assert notes and "same number" not in notes[0] and "ties keep the classes unequal" in \
        " ".join(notes[0].split())


def test_london_borough_names_fit_without_overlap_at_print_size(pack) -> None:  # type: ignore[no-untyped-def]
    areas = pack.areas.assign(v=np.arange(len(pack.areas)) % 17)
    fig = class_map(areas, "v", title="Crimes by ward", legend_title="Crimes",
                    figsize=(5.2, 5.45), legend="below", subtitle="Apr 2025 to Mar 2026")
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_zorder() == 6]  # borough names (N arrow is 7)
    names = {" ".join(t.get_text().replace("&", "and").split()) for t in labels}
    assert names == set(areas["borough_name"]), set(areas["borough_name"]) ^ names
    assert not getattr(fig, "hotspots_unlabelled", [])
    assert min(t.get_fontsize() for t in labels) >= 4.1  # printed at 100%: still legible
    boxes = [t.get_window_extent(renderer) for t in labels]
    clash = [(labels[i].get_text(), labels[j].get_text()) for i in range(len(boxes))
             for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]
    assert not clash
    # and the names sit inside the map panel
    panel = ax.get_window_extent(renderer)
    assert all(panel.x0 - 1 <= b.x0 and b.x1 <= panel.x1 + 1 for b in boxes)


# --------------------------------------------------------------------------- trend chart


def _two_years() -> pd.DataFrame:
    months = pd.period_range("2024-04", "2026-03", freq="M").astype(str)
    values = [70000.0 + 100 * i for i in range(24)]
    values[5] = np.nan  # Sep 2024 not covered
    return pd.DataFrame({"month": months, "value": values})


def test_trend_overlay_puts_the_same_months_of_each_year_together() -> None:
    fig = trend_chart(_two_years(), title="Monthly", ylabel="Crimes", overlay=True,
                      year_start="financial")
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["FY 2024/25", "FY 2025/26"]
    first, second = (ln.get_ydata() for ln in lines)
    assert len(first) == len(second) == 12
    assert list(lines[0].get_xdata()) == list(range(12))
    assert first[0] == 70000 and second[0] == 71200  # both Aprils at x = 0
    assert np.isnan(first[5]) and second[5] == 71700  # a gap, never a zero
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["Apr", "May", "Jun"]
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "Mar"
    assert ax.get_ylim()[0] == 0
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "60,000" in ticks and all("," in t for t in ticks if len(t) > 3)
    assert lines[1].get_linewidth() > lines[0].get_linewidth()  # the latest year stands out


def test_trend_overlay_calendar_years_and_series_checks() -> None:
    fig = trend_chart(_two_years(), title="t", ylabel="n", overlay=True, year_start="calendar")
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines()] == ["2024", "2025", "2026"]
    assert ax.get_xticklabels()[0].get_text() == "Jan"
    assert np.isnan(ax.get_lines()[0].get_ydata()[0])  # Jan 2024: before the data
    with pytest.raises(ValueError, match="more than one Apr"):
        trend_chart(_two_years().assign(s="all"), series="s", title="t", ylabel="n",
                    overlay=True)


def test_trend_continuous_keeps_years_end_to_end_with_separators() -> None:
    m = _two_years().assign(year=["a"] * 12 + ["b"] * 12)
    fig = trend_chart(m, series="year", title="t", ylabel="n")
    ax = fig.axes[0]
    a, b = (ln.get_ydata() for ln in ax.get_lines())
    assert len(a) == 24 and np.isnan(a[12:]).all() and np.isnan(b[:12]).all()
    fig.canvas.draw()
    assert any(t.get_text() == "60,000" for t in ax.get_yticklabels())


def test_trend_chart_rings_the_months_flagged_incomplete():
    """A month the pack flags as incomplete is ringed (red, its own legend entry), not left
    to read as a collapse; other months are not ringed."""
    from matplotlib.collections import PathCollection

    from hotspots.maps import printmaps

    m = pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03", "2024-04"],
                      "value": [900.0, 95.0, 42.0, 23.0]})
    fig = printmaps.trend_chart(m, title="t", ylabel="Crimes", flagged=["2024-02", "2024-04"])
    rings = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert len(rings) == 1
    assert rings[0].get_offsets().tolist() == [[1.0, 95.0], [3.0, 23.0]]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Looks incomplete" in labels
    plain = printmaps.trend_chart(m, title="t", ylabel="Crimes")
    assert not [c for c in plain.axes[0].collections if isinstance(c, PathCollection)]


def test_png_is_rgb_with_the_pixels_matplotlib_writes(grid: gpd.GeoDataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The page is opaque: the PNG drops the alpha channel, not a pixel (issue 18)."""
    from PIL import Image

    fig = class_map(grid, "value", title="Crimes", legend_title="Crimes",
                    suppressed=grid["value"].between(1, 4))
    ours = save_figure(fig, tmp_path / "ours.png")
    fig.savefig(tmp_path / "mpl.png", dpi=300, facecolor="white")
    with Image.open(ours) as a, Image.open(tmp_path / "mpl.png") as b:
        assert a.mode == "RGB" and b.mode == "RGBA"
        assert a.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        rgba = np.asarray(b)
        assert (rgba[..., 3] == 255).all()
        np.testing.assert_array_equal(np.asarray(a), rgba[..., :3])
