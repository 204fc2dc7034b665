"""Quartic KDE: a hand computation, a brute-force reference, weights and the bandwidth rule."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots.patrol import grid as grid
from hotspots.patrol import kde as kde


def _brute(points, targets, h, w=None):
    w = np.ones(len(points)) if w is None else w
    d2 = ((targets[:, None, :] - points[None, :, :]) ** 2).sum(-1) / h**2
    k = np.where(d2 < 1, 3 / (math.pi * h**2) * (1 - d2) ** 2, 0.0)
    return (k * w[None, :]).sum(1)


def test_hand_computed_case():
    # two points, one target: distances 0 and 60 with h = 100
    d = kde.quartic_density(np.array([[0.0, 0.0], [60.0, 0.0]]), np.array([[0.0, 0.0]]), 100.0)
    hand = 3 / (math.pi * 100**2) * (1 + (1 - 0.36) ** 2)
    assert d[0] == pytest.approx(hand, rel=1e-12)
    # beyond the bandwidth nothing counts
    far = kde.quartic_density(np.array([[0.0, 0.0]]), np.array([[100.0, 0.0]]), 100.0)
    assert far[0] == 0.0


def test_equals_brute_force_with_repeats_and_weights():
    rng = np.random.default_rng(4)
    pts = rng.uniform(0, 1000, (400, 2))
    pts = np.vstack([pts, pts[:150]])  # repeated (snapped) points
    w = rng.uniform(0, 5, len(pts))
    tg = rng.uniform(0, 1000, (300, 2))
    for h in (50.0, 230.0):
        assert np.allclose(kde.quartic_density(pts, tg, h), _brute(pts, tg, h), rtol=1e-10,
                           atol=0)
        assert np.allclose(kde.quartic_density(pts, tg, h, w), _brute(pts, tg, h, w),
                           rtol=1e-10, atol=0)


def test_kernel_integrates_to_one():
    # density of one point summed over a fine lattice x cell area ~ 1
    xs = np.arange(-200, 201, 2.0)
    tg = np.array(np.meshgrid(xs, xs)).reshape(2, -1).T
    total = kde.quartic_density(np.array([[0.3, -0.7]]), tg, 150.0).sum() * 4.0
    assert total == pytest.approx(1.0, abs=1e-3)


def test_kde_on_grid_peaks_at_the_cluster_and_reports_rule():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 1500, 1500)], crs="EPSG:27700")
    g, spec = grid.make_grid(area)
    rng = np.random.default_rng(5)
    cluster = rng.normal([825, 375], 30, (150, 2))
    noise = rng.uniform(0, 1500, (400, 2))
    xy = np.vstack([cluster, noise])
    recs = pd.DataFrame({"easting": xy[:, 0], "northing": xy[:, 1]})
    res = kde.kde_on_grid(recs, g)
    row = g.set_index("cell_id").loc[res.density.idxmax()]
    assert (row["col"], row["row"]) == (5, 2)
    assert res.rule.startswith("auto:") and res.bandwidth >= spec.size
    assert res.bandwidth == pytest.approx(kde.bandwidth_nrd(xy[:, 0], xy[:, 1]))
    fixed = kde.kde_on_grid(recs, g, bandwidth=300)
    assert fixed.rule == "300 m, chosen by the user"
    brute = _brute(xy, g[["centre_x", "centre_y"]].to_numpy(), 300.0) * 1e6
    assert np.allclose(fixed.density.to_numpy(), brute, rtol=1e-10)


def test_bandwidth_rule_matches_mass_nrd_and_floor():
    # MASS::bandwidth.nrd(c(1, 2, 4, 8, 16)) in R = 4*1.06*min(sd, IQR/1.34)*5^-0.2
    v = np.array([1.0, 2, 4, 8, 16])
    sd = np.std(v, ddof=1)
    iqr = 8 - 2  # R type-7 quartiles 2 and 8
    expect = 4 * 1.06 * min(sd, iqr / 1.34) * 5 ** -0.2
    assert kde.bandwidth_nrd(v, v) == pytest.approx(expect)
    h, rule = kde.bandwidth_rule(v, v, cell_size=150.0)
    assert h == 150.0 and "less than a cell" in rule


def test_bandwidth_rule_says_what_it_averages_and_not_sfhotspot_default():
    """Mean of the two axes' nrd, each printed: sfhotspot's code uses the eastings alone."""
    x = np.array([0.0, 100, 200, 400, 800, 1600, 3200, 3300])
    y = np.array([0.0, 50, 60, 70, 80, 2000, 2100, 2200])

    def nrd(v):  # MASS::bandwidth.nrd by hand: R's type-7 quartiles are numpy's default
        q1, q3 = np.percentile(v, [25, 75])
        return 4 * 1.06 * min(np.std(v, ddof=1), (q3 - q1) / 1.34) * len(v) ** -0.2

    h, rule = kde.bandwidth_rule(x, y, cell_size=50.0)
    assert h == pytest.approx((nrd(x) + nrd(y)) / 2)
    assert f"eastings ({nrd(x):,.0f} m)" in rule and f"northings ({nrd(y):,.0f} m)" in rule
    assert f"auto: {h:,.0f} m" in rule and "sfhotspot's default" not in rule
    assert "x-axis value alone" in rule  # the difference from sfhotspot, said once


def test_bad_bandwidth_refused():
    with pytest.raises(ValueError, match="bandwidth"):
        kde.quartic_density(np.zeros((1, 2)), np.zeros((1, 2)), 0.0)


def _square_lattice(n_cols: int, n_rows: int, size: float, seed: int):
    rng = np.random.default_rng(seed)
    ij = np.array([(c, r) for r in range(n_rows) for c in range(n_cols)], dtype=float)
    keep = rng.uniform(size=len(ij)) < 0.8  # holes, as where a study area is clipped
    centres = 500_000.0 + size / 2 + ij[keep] * size  # eastings of England
    w = np.where(rng.uniform(size=keep.sum()) < 0.3, rng.poisson(3, keep.sum()), 0.0)
    return centres, w.astype(float)


@pytest.mark.parametrize("h_cells", [1.0, 3.5, 7.2])
def test_lattice_density_is_the_pair_by_pair_sum(h_cells):
    """The backtest's cell-to-cell KDE by FFT equals the brute-force sum (to 1e-9 of the
    largest), and is exactly 0 where no weighted centre is within the bandwidth."""
    centres, w = _square_lattice(40, 30, 150.0, seed=int(h_cells * 10))
    h = h_cells * 150.0
    got = kde.lattice_density(centres, w, h, 150.0)
    want = _brute(centres, centres, h, w)
    assert got is not None
    assert np.abs(got - want).max() <= 1e-9 * want.max()
    assert ((got == 0) == (want == 0)).all()


def test_lattice_density_declines_what_is_not_one_square_lattice():
    centres, w = _square_lattice(10, 10, 150.0, seed=1)
    assert kde.lattice_density(centres, w, 400.0, 100.0) is None  # another cell size
    shifted = centres.copy()
    shifted[0, 0] += 40.0
    assert kde.lattice_density(shifted, w, 400.0, 150.0) is None


def _peak_mib(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_pair_by_pair_density_holds_a_bounded_number_of_pairs():
    """A force area (94,000 cells, 8.6 km bandwidth) made 13 GB of pairs at once and the
    patrol view died with MemoryError; the pairs are now found a block of centres at a
    time. Here 6,000 points x 6,000 centres all within the bandwidth: 36 million pairs,
    about 860 MB at once before; in blocks of 200,000 pairs the same densities."""
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 1000, (6000, 2))
    w = rng.uniform(0, 2, len(pts))
    tg = rng.uniform(0, 1000, (6000, 2))
    small = kde.quartic_density(pts[:300], tg[:500], 5000.0, w[:300], max_pairs=1_000)
    assert np.allclose(small, _brute(pts[:300], tg[:500], 5000.0, w[:300]), rtol=1e-10)
    got = []
    peak = _peak_mib(lambda: got.append(
        kde.quartic_density(pts, tg, 5000.0, w, max_pairs=200_000)))
    assert peak < 60, peak
    d2 = ((tg[:50, None, :] - pts[None, :, :]) ** 2).sum(-1) / 5000.0**2
    assert np.allclose(got[0][:50], (3 / (math.pi * 5000.0**2) * (1 - d2) ** 2 * w).sum(1),
                       rtol=1e-10)


def test_backtest_kde_on_a_force_sized_square_grid_stays_small():
    """The backtest's KDE scorer on 300 x 300 cells with a 57-cell bandwidth (South Wales:
    94,084 cells, h 8,557 m at 150 m): before, every cell pair within h at once (about
    25 GB); now one FFT convolution."""
    from hotspots.patrol import cells
    from hotspots.patrol.grid import GridSpec

    n, size = 300, 150.0
    ij = np.array([(c, r) for r in range(n) for c in range(n)], dtype=float)
    g = pd.DataFrame({"cell_id": [f"c{i}" for i in range(len(ij))],
                      "centre_x": 300_000 + size / 2 + ij[:, 0] * size,
                      "centre_y": 200_000 + size / 2 + ij[:, 1] * size})
    g.attrs["grid_spec"] = GridSpec("square", size, (300_000.0, 200_000.0), n, n, "150 m")
    rng = np.random.default_rng(3)
    months = pd.DataFrame({"2024-01": rng.poisson(0.05, len(g))},
                          index=pd.Index(g["cell_id"], name="cell_id"))
    scorer = cells.method_scorers(g, bandwidth=8557.0, seed=1)["kde"]
    out = []
    peak = _peak_mib(lambda: out.append(scorer(months)))
    assert peak < 400, peak
    # spot check three cells against the brute-force sum
    c = g[["centre_x", "centre_y"]].to_numpy()
    w = months["2024-01"].to_numpy(dtype=float)
    for i in (0, 45_150, len(g) - 1):
        want = _brute(c[w > 0], c[i:i + 1], 8557.0, w[w > 0])[0] * 1e6
        assert out[0].iloc[i] == pytest.approx(want, rel=1e-9, abs=1e-9 * out[0].max())


@pytest.mark.parametrize(("a_shape", "b_shape"), [
    ((7, 9), (5, 5)), ((1, 12), (3, 3)), ((12, 1), (5, 5)), ((4, 4), (1, 1)), ((3, 2), (7, 7)),
    ((33, 40), (13, 13)), ((1, 1), (3, 3)),
])
def test_convolve_same_is_scipy_signal_fftconvolve_bit_for_bit(a_shape, b_shape):
    from scipy.signal import fftconvolve  # the reference (the module no longer imports it)

    rng = np.random.default_rng(sum(a_shape) * 10 + sum(b_shape))
    a = rng.poisson(2.0, a_shape).astype(float)
    b = rng.random(b_shape)
    got = kde.convolve_same(a, b)
    assert got.shape == a.shape
    assert np.array_equal(got, fftconvolve(a, b, mode="same"))


def test_patrol_kde_does_not_import_scipy_signal():
    # scipy.signal (with scipy.stats) costs 0.3 s of every board pack: not imported
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from hotspots.patrol import kde\n"
            "c = np.array([[50.0, 50.0], [150.0, 50.0], [450.0, 50.0]])\n"
            "assert kde.lattice_density(c, np.array([2.0, 1.0, 0.0]), 200.0, 100.0) is not None\n"
            "print('scipy.signal' in sys.modules, 'scipy.stats' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
