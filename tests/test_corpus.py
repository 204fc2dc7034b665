"""Every awkward file through the command line and the page (issue 15).

The corpus (:mod:`tests.corpus.cases`, built at test time by :mod:`tests.corpus.build`
from ../shared/data; nothing generated is committed) holds police.uk, MPS, referral and
boundary files an analyst really has. Each goes through ``python -m hotspots check``
(``hotspots.cli.main``) and through the page's
:func:`hotspots.pipeline.uploads.build_upload_pack`; both must give the case's exact
reconciliation (rows in = assigned + without a location + outside the study area +
rejected), the same one, and name the problem in words the user sees, or refuse the
file with a message (never a traceback).

The base files' counts (``S``, ``T``, ``A``, ``W`` and the 2018-ward case) are checked
against an independent reference: geopandas ``sjoin`` of the raw CSV rows on the wards
(lowest code on ties), the force's boroughs only.
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspots import pipeline
from hotspots.io import read_headers
from tests.corpus.build import (
    DEMO,
    MPS_NAME,
    WALES,
    A,
    Case,
    Counts,
    S,
    T,
    W,
    build,
    city,
    city_sample,
)
from tests.corpus.cases import CASES, PAGE_REJECTED
from tests.corpus.run import run_cli, run_page

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="module")
def base() -> pipeline.Pack:
    return pipeline.load_pack()


def test_the_corpus_is_large_and_every_case_is_distinct():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    refused = [c for c in CASES if c.counts is None]
    assert 8 <= len(refused) < len(CASES) // 3


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_the_command_line_and_the_page(case: Case, corpus_root: Path, base):
    folder = build(case, corpus_root)
    cli = run_cli(case, folder)
    page = run_page(case, folder, base)
    for out in (cli, page):
        assert "Traceback" not in out.text
        for word in case.words:
            assert word in out.text, (word, out.text[:3000])
    if case.counts is not None:
        assert cli.code == 0, cli.text[-2000:]
        assert cli.counts == case.counts.as_tuple(), cli.text[-3000:]
        assert page.counts == cli.counts, page.text[-3000:]
        return
    # refused: the command line stops with a message; the page leaves the file out
    assert cli.code == 2 and cli.counts is None, cli.text[-2000:]
    assert cli.text.count("error:") == 1
    refused = case.extra.get("refused")
    if refused == "boundary":  # one bad file never hides the good ones on the page
        assert page.counts == case.extra["page"].as_tuple()  # type: ignore[union-attr]
    else:  # the page leaves the file out and counts its rows as rejected
        n = PAGE_REJECTED[case.id]
        assert page.counts == (n, 0, 0, 0, n), page.text[-2000:]


# --------------------------------------------------------------------------- case extras


def test_title_block_page_offers_the_real_headers(corpus_root: Path):
    """The page's mapping step offers the header row below the title block, not row 1."""
    case = next(c for c in CASES if c.id == "r07_title_block")
    data = (build(case, corpus_root) / "referrals.xlsx").read_bytes()
    assert read_headers("referrals.xlsx", data) == case.extra["headers"]
    # and the user can pick the row by hand
    assert read_headers("referrals.xlsx", data, header_row=2) == ["Prepared by",
                                                                  "Children's services"]


def test_small_mps_upload_leaves_other_wards_no_data(corpus_root: Path, base):
    """A 40-row MPS upload covers its wards only: the other wards show 'no data', never 0."""
    from hotspots.pipeline import uploads

    case = next(c for c in CASES if c.id == "m02_mps_few_wards")
    folder = build(case, corpus_root)
    data = (folder / MPS_NAME).read_bytes()
    listed = set(pd.read_csv(io.BytesIO(data), dtype=str)["WardCode"])
    out = uploads.build_upload_pack(base, uploads.UploadSet(mps=((MPS_NAME, data),)))
    assert out.failures == ()
    wt = pipeline.ward_table(out.pack, pipeline.Selection("crime:all", "2024-04", "2026-03"))
    with_data = set(wt.frame.loc[wt.frame["has_data"], "area_code"])
    assert with_data == listed and len(with_data) < 10
    assert wt.frame.loc[~wt.frame["has_data"], "count"].isna().all()  # "no data", never 0
    assert len(wt.frame) - len(with_data) > 690


def test_mps_rows_not_placed_name_file_and_row(corpus_root: Path, base):
    case = next(c for c in CASES if c.id == "m04_mps_old_ward_codes")
    folder = build(case, corpus_root)
    cli = run_cli(case, folder)
    assert cli.code == 0
    rows = pd.read_csv(folder / "cli-out" / "unassigned_rows.csv")
    assert rows["source"].tolist() == [MPS_NAME] * 3
    assert rows["source_row"].tolist() == [12, 13, 14]  # file rows, never -1


# --------------------------------------------------------------------------- reference


def _reference(rows: pd.DataFrame, wards: gpd.GeoDataFrame, boroughs: set[str]) -> Counts:
    """geopandas sjoin of raw police.uk rows: assigned in the boroughs, else outside."""
    x = pd.to_numeric(rows["Longitude"], errors="coerce")
    y = pd.to_numeric(rows["Latitude"], errors="coerce")
    has = (x.notna() & y.notna()).to_numpy()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[has], y[has]), crs=4326).to_crs(
        wards.crs)
    hit = gpd.sjoin(pts, wards[["area_code", "borough_name", "geometry"]],
                    predicate="intersects", how="left")
    first = hit.sort_values("area_code").groupby(level=0).first()  # lowest code on ties
    inside = int(first["borough_name"].isin(boroughs).sum())
    return Counts(inside, int((~has).sum()), int(has.sum()) - inside, 0)


def _frame(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header)


@pytest.fixture(scope="module")
def demo_wards() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "wards.geojson").to_crs(27700)


def test_base_counts_against_geopandas(demo_wards):
    city_only = {"City of London"}
    assert _reference(_frame(*city_sample("2019-06", 200)), demo_wards, city_only) == S
    assert _reference(_frame(*city_sample("2019-07", 150)), demo_wards, city_only) == T
    assert _reference(_frame(*city("2019-06")), demo_wards, city_only) == A
    raw = pd.read_csv(WALES / "2024-01" / "2024-01-dyfed-powys-street.csv", dtype=str,
                      keep_default_na=False)
    assert _reference(raw, demo_wards, set()) == W


def test_count_each_crime_id_once_against_pandas(demo_wards):
    """p02: the first row of each Crime ID in file order kept (pandas drop_duplicates)."""
    raw = _frame(*city("2019-06"))
    named = raw["Crime ID"] != ""
    once = raw[~named | ~raw.duplicated("Crime ID")]
    ref = _reference(once, demo_wards, {"City of London"})
    n_rejected = len(raw) - len(once)
    case = next(c for c in CASES if c.id == "p02_month_once")
    assert case.counts == Counts(ref.assigned, ref.unlocated, ref.outside, n_rejected)


def test_uploaded_2018_wards_against_geopandas(corpus_root: Path):
    case = next(c for c in CASES if c.id == "b03_zipped_shapefile_2018")
    folder = build(case, corpus_root)
    wards = gpd.read_file(f"zip://{folder / 'wards2018.zip'}").to_crs(27700)
    wards = wards.rename(columns={"GSS_CODE": "area_code"}).assign(
        borough_name=lambda w: np.where(w["LAGSSCODE"] == "E09000001", "City", "other"))
    assert _reference(_frame(*city_sample("2019-06", 200)), wards, {"City"}) == case.counts
