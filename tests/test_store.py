"""The embedded store (hotspots.store): the readers' rules across adds, counts per area.

Every comparison is against an independent path: the pandas reader given the same files
together (``hotspots.io.read_police_inputs``), the pandas join (``points_to_areas``) and
``geopandas.sjoin`` with the lowest-code rule.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots import io, store
from hotspots._errors import InputDataError
from hotspots.areas import points_to_areas
from hotspots.cli import main

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context\n")
FORCE = "Test Police"


def _row(cid: str, month: str, x: float | str, y: float | str, crime: str = "Burglary") -> str:
    return (f"{cid},{month},{FORCE},{FORCE},{x},{y},On or near X,E01000001,City 001A,{crime},"
            "Under investigation,\n")


def _file(folder: Path, name: str, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _id(k: int) -> str:
    return f"{k:064x}"


def _kept_keys(con) -> set[tuple[str, int]]:
    rows = con.execute("SELECT f.source, r.source_row FROM records r JOIN files f "
                       "USING (file_id) WHERE r.reason IS NULL").fetchall()
    return {(s, int(r)) for s, r in rows}


def _pandas_kept(paths: list[Path]) -> tuple[set[tuple[str, int]], int]:
    read = io.read_police_inputs([(p.name, p) for p in paths])
    keys, rejected = set(), 0
    for _, res in read.files:
        keys |= {(str(s), int(r)) for s, r in zip(res.frame["source"], res.frame["source_row"],
                                                  strict=True)}
        rejected += len(res.rejected)
    return keys, rejected


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "s.duckdb")
    yield c
    c.close()


def test_a_crime_of_an_earlier_month_added_later_is_counted_from_that_month(tmp_path, con):
    feb = _file(tmp_path / "2024-02", "2024-02-test-street.csv",
                [_row(_id(1), "2024-02", -0.1, 51.5), _row(_id(2), "2024-02", -0.1, 51.5)])
    jan = _file(tmp_path / "2024-01", "2024-01-test-street.csv",
                [_row(_id(1), "2024-01", -0.2, 51.5), _row(_id(3), "2024-01", -0.2, 51.5)])
    store.add_inputs(con, [feb])
    first = store.store_status(con)
    assert (first.rows_counted, first.rows_rejected) == (2, 0)
    r = store.add_inputs(con, [jan])
    assert r.stored_now_rejected == 1  # February's copy of crime 1 loses to January's
    st = store.store_status(con)
    assert (st.rows_read, st.rows_counted, st.rows_rejected) == (4, 3, 1)
    reason = con.execute("SELECT reason FROM records WHERE crime_id = ? AND reason IS NOT NULL",
                         [_id(1)]).fetchone()[0]
    assert "2024-01-test-street.csv row 2" in reason and "month 2024-01" in reason
    # the pandas reader given both files together keeps the same rows
    kept, rejected = _pandas_kept([feb, jan])
    assert _kept_keys(con) == kept and rejected == 1


def test_the_same_file_in_a_later_add_is_read_once(tmp_path, con):
    a = _file(tmp_path / "2024-01", "2024-01-test-street.csv",
              [_row(_id(1), "2024-01", -0.1, 51.5), _row("", "2024-01", -0.1, 51.5,
                                                          "Anti-social behaviour")])
    copy = tmp_path / "elsewhere" / "2024-01-test-street (1).csv"
    copy.parent.mkdir()
    copy.write_bytes(a.read_bytes())
    store.add_inputs(con, [a])
    r = store.add_inputs(con, [copy])
    assert r.rows_read == 0 and r.files == []
    assert r.copies == [("2024-01-test-street (1).csv", "2024-01-test-street.csv")]
    assert any("same contents as 2024-01-test-street.csv" in p.what for p in r.report)
    st = store.store_status(con)
    assert (st.files, st.copies, st.rows_read, st.rows_counted) == (1, 1, 2, 2)


def test_rows_without_an_id_of_an_overlapping_download_are_matched_whole_across_adds(
        tmp_path, con):
    asb = [_row("", "2024-01", -0.1, 51.5, "Anti-social behaviour"),
           _row("", "2024-01", -0.3, 51.5, "Anti-social behaviour")]
    first = _file(tmp_path / "a" / "2024-01", "2024-01-test-street.csv",
                  [_row(_id(1), "2024-01", -0.1, 51.5), *asb])
    # a later download of the same month: one crime and one ASB row more (other bytes)
    second = _file(tmp_path / "b" / "2024-01", "2024-01-test-street.csv",
                   [_row(_id(1), "2024-01", -0.1, 51.5), _row(_id(2), "2024-01", -0.1, 51.5),
                    *asb, _row("", "2024-01", -0.2, 51.5, "Anti-social behaviour")])
    store.add_inputs(con, [first])
    store.add_inputs(con, [second])
    st = store.store_status(con)
    kept, rejected = _pandas_kept([first, second])
    assert len(kept) == 5 and rejected == 3  # crime 1 and the two ASB rows counted once
    assert (st.rows_counted, st.rows_rejected) == (5, 3)
    keys = _kept_keys(con)
    assert len(keys) == 5
    # the same rows, the second file named as the reader names a same-named file
    renamed = {(s if s == "2024-01/2024-01-test-street.csv" else s.split(": ")[-1], r)
               for s, r in keys}
    assert renamed == {(s.split(": ")[-1], r) for s, r in kept}


def test_an_add_that_fails_leaves_the_store_as_it_was(tmp_path, con):
    feb = _file(tmp_path / "2024-02", "2024-02-test-street.csv",
                [_row(_id(1), "2024-02", -0.1, 51.5)])
    store.add_inputs(con, [feb])
    # January (committed as its own batch) makes February's copy of crime 1 not counted ...
    jan = _file(tmp_path / "2024-01", "2024-01-test-street.csv",
                [_row(_id(1), "2024-01", -0.1, 51.5), _row(_id(2), "2024-01", -0.1, 51.5)])
    bad = tmp_path / "2024-03" / "2024-03-test-street.csv"
    bad.parent.mkdir()
    bad.write_text("Crime ID,Month\nx,2024-03\n")
    with pytest.raises(InputDataError, match="missing column"):
        store.add_inputs(con, [jan, bad])
    # ... and the failed add is undone: February's row is counted again
    st = store.store_status(con)
    assert (st.adds, st.files, st.rows_read, st.rows_counted) == (1, 1, 1, 1)
    r = store.add_inputs(con, [jan])  # the same files can be added again afterwards
    assert (r.rows_counted, r.stored_now_rejected) == (2, 1)


def test_a_store_keeps_one_rule_on_repeated_ids(tmp_path, con):
    f = _file(tmp_path / "2024-01", "2024-01-test-street.csv",
              [_row(_id(1), "2024-01", -0.1, 51.5), _row(_id(1), "2024-01", -0.1, 51.6)])
    store.add_inputs(con, [f], crime_ids="once")
    assert store.store_status(con).rows_counted == 1
    g = _file(tmp_path / "2024-02", "2024-02-test-street.csv",
              [_row(_id(2), "2024-02", -0.1, 51.5)])
    with pytest.raises(store.StoreError, match="would mix two rules"):
        store.add_inputs(con, [g], crime_ids="as_published")


def test_counts_both_engines_equal_a_hand_count(tmp_path, con):
    # two squares sharing the edge lon -0.1 (lon/lat areas: no projection in between)
    areas = gpd.GeoDataFrame({"area_code": ["B", "A"]},
                             geometry=[shapely.box(-0.1, 51.5, 0.0, 51.6),
                                       shapely.box(-0.2, 51.5, -0.1, 51.6)], crs="EPSG:4326")
    rows = [_row(_id(1), "2024-01", -0.15, 51.55),  # in A
            _row(_id(2), "2024-01", -0.1, 51.55),  # on the shared edge: the lower code, A
            _row(_id(3), "2024-01", -0.05, 51.55),  # in B
            _row(_id(4), "2024-01", 1.0, 51.55),  # outside both
            _row(_id(5), "2024-01", "", ""),  # no coordinates
            _row(_id(6), "2024-13", -0.15, 51.55)]  # a month that is not a month: rejected
    f = _file(tmp_path / "2024-01", "2024-01-test-street.csv", rows)
    store.add_inputs(con, [f])
    con.load_extension(str(store.spatial_extension_path()))
    for engine in store.ENGINES:
        got = store.area_counts(con, areas, engine=engine, details=True)
        assert got.counts[["area_code", "count"]].values.tolist() == [["A", 2], ["B", 1]]
        rec = got.reconciliation
        assert (rec.rows_in, rec.assigned, rec.unlocated, rec.outside, rec.rejected) == (
            6, 3, 1, 1, 1)
        assert sorted(rec.details["status"]) == ["outside", "rejected", "unlocated"]


# --------------------------------------------------------------------------- real data

WALES = "police_uk_wales_2024-01_to_2024-04"
CITY = "police_uk_city_of_london_2017-12_to_2020-11"


@pytest.fixture(scope="module")
def real_store(tmp_path_factory, shared_data):
    path = tmp_path_factory.mktemp("store") / "real.duckdb"
    c = store.connect(path)
    store.add_inputs(c, [shared_data / WALES])  # a month per batch: repeats cross batches
    store.add_inputs(c, [shared_data / CITY, shared_data / WALES / "2024-02"])  # copies
    c.close()
    c = store.connect(path, read_only=True, spatial=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def lsoas(shared_data):
    a = gpd.read_file(shared_data / "lsoa_2021_england_wales_bgc" / "lsoa21_ew_bgc.gpkg",
                      columns=["LSOA21CD"])
    return a.rename(columns={"LSOA21CD": "area_code"}).to_crs(27700)


@pytest.mark.realdata
def test_real_months_keep_the_rows_the_pandas_reader_keeps(real_store, shared_data):
    kept, rejected = _pandas_kept([shared_data / WALES, shared_data / CITY])
    st = store.store_status(real_store)
    assert _kept_keys(real_store) == kept
    assert st.rows_rejected == rejected == 10  # Welsh crimes republished in a later month
    assert st.rows_read == 66_647 + 24_750  # PROVENANCE.md's row counts; copies not read
    assert st.copies == 3
    assert st.months[0] == "2017-12" and st.months[-1] == "2024-04"


@pytest.mark.realdata
@pytest.mark.parametrize("engine", ["locator", "spatial"])
def test_real_counts_per_lsoa_equal_the_pandas_path(real_store, shared_data, lsoas, engine):
    got = store.area_counts(real_store, lsoas, engine=engine)
    read = io.read_police_inputs([(p, shared_data / p) for p in (WALES, CITY)])
    parts, totals = [], np.zeros(5, dtype=int)
    for name, res in read.files:
        a, rec = points_to_areas(res.frame, lsoas, crs="EPSG:4326", rejected=res.rejected,
                                 source=name)
        parts.append(a)
        totals += [rec.rows_in, rec.assigned, rec.unlocated, rec.outside, rec.rejected]
    a = pd.concat(parts, ignore_index=True)
    want = (a.assign(month=a["month"].astype(str), category=a["category"].astype(str))
            .groupby(["area_code", "month", "category"]).size().rename("count").reset_index())
    have = got.counts.astype({"area_code": str, "month": str, "category": str})
    pd.testing.assert_frame_equal(have, want, check_dtype=False)
    rec = got.reconciliation
    assert [rec.rows_in, rec.assigned, rec.unlocated, rec.outside, rec.rejected] == list(totals)
    assert rec.outside == 422  # City points outside every LSOA polygon (off the BGC coast)


@pytest.mark.realdata
def test_real_counts_equal_geopandas_sjoin_on_welsh_lsoas(real_store, lsoas):
    wales = lsoas[lsoas["area_code"].str.startswith("W")].reset_index(drop=True)
    got = store.area_counts(real_store, wales, months=("2024-01", "2024-04"))
    pts = real_store.execute("SELECT x, y FROM records WHERE reason IS NULL AND x IS NOT NULL "
                             "AND month BETWEEN '2024-01' AND '2024-04'").df()
    g = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["x"], pts["y"]),
                         crs="EPSG:4326").to_crs(27700)
    j = gpd.sjoin(g, wales, predicate="intersects", how="inner")
    j = j.sort_values("area_code").groupby(level=0).head(1)  # the lowest code wins a tie
    want = j["area_code"].value_counts().sort_index()
    have = got.counts.astype({"area_code": str}).groupby("area_code")["count"].sum().sort_index()
    pd.testing.assert_series_equal(have, want, check_names=False, check_dtype=False)
    assert got.reconciliation.outside == len(pts) - len(j) > 0  # English points: outside


@pytest.mark.realdata
def test_cli_store_add_status_counts(tmp_path, shared_data, capsys):
    db = tmp_path / "cli.duckdb"
    assert main(["store", "add", "--store", str(db), str(shared_data / WALES / "2024-01")]) == 0
    out = capsys.readouterr().out
    assert "17,257 rows read = 17,257 counted + 0 not counted" in out  # 1,187 + 5,185 + 10,885
    assert main(["store", "add", "--store", str(db), str(shared_data / WALES / "2024-01")]) == 0
    out = capsys.readouterr().out
    assert "not read again: 2024-01-dyfed-powys-street.csv (same contents as" in out
    assert main(["store", "status", "--store", str(db), "--problems",
                 str(tmp_path / "p.csv"), "--by-month", str(tmp_path / "m.csv")]) == 0
    out = capsys.readouterr().out
    assert "3 street files from 2 add(s); 3 file(s) skipped as copies" in out
    assert (tmp_path / "p.csv").is_file()
    by_month = pd.read_csv(tmp_path / "m.csv").set_index("falls_within")
    assert by_month.loc["Dyfed-Powys Police", "rows_read"] == 1_187  # PROVENANCE.md
    assert by_month["rows_read"].sum() == 17_257
    areas = shared_data / "lsoa_2021_england_wales_bgc" / "lsoa21_ew_bgc.gpkg"
    assert main(["store", "counts", "--store", str(db), "--areas", str(areas), "--force",
                 "Dyfed-Powys Police", "--suppress-below", "0", "--out",
                 str(tmp_path / "out")]) == 0
    rec = pd.read_csv(tmp_path / "out" / "reconciliation.csv").iloc[0]
    assert rec["rows_in"] == 1_187
    assert rec["rows_in"] == rec["assigned"] + rec["unlocated"] + rec["outside"] + rec["rejected"]
    counts = pd.read_csv(tmp_path / "out" / "area_counts.csv")
    assert counts["count"].sum() == rec["assigned"]
    capsys.readouterr()
    assert main(["store", "counts", "--store", str(db), "--areas", str(areas), "--force",
                 "Dyfed Powys", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--force 'Dyfed Powys': no rows of that force" in err
    assert "Dyfed-Powys Police, North Wales Police, South Wales Police" in err


def test_cli_status_of_a_missing_store_is_a_plain_error(tmp_path, capsys):
    assert main(["store", "status", "--store", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "no store there" in err and "Traceback" not in err


@pytest.mark.realdata
def test_an_archive_zip_is_added_like_its_folder(tmp_path, shared_data):
    import zipfile

    folder = shared_data / WALES
    archive = tmp_path / "police-uk-archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.glob("*/*-street.csv")):
            z.write(f, f"{f.parent.name}/{f.name}")
        z.writestr("2024-01/2024-01-south-wales-outcomes.csv", "Crime ID,Month\n")
    con = store.connect(tmp_path / "zip.duckdb")
    r = store.add_inputs(con, [archive], batch_bytes=4 * 1024**2)  # small batches: many
    assert any("outcomes file" in p.what for p in r.report)  # skipped and named
    kept, rejected = _pandas_kept([folder])
    assert _kept_keys(con) == kept
    assert store.store_status(con).rows_rejected == rejected == 10
    con.close()


def test_the_store_prints_no_progress_bar(tmp_path):
    # DuckDB draws a progress bar on stdout for queries over 2 s (a busy machine, a national
    # count) when stdout is a real file, as in a command (not under pytest's capture)
    import subprocess
    import sys

    probe = ("from hotspots import store\n"
             f"for ro in (False, True):\n    con = store.connect({str(tmp_path / 'p.duckdb')!r},"
             " read_only=ro)\n"
             "    print(con.execute(\"SELECT current_setting('enable_progress_bar')\")"
             ".fetchone()[0])\n    con.close()\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.split() == ["False", "False"]


def test_cli_store_counts_suppresses_neutralises_and_is_audited(
        tmp_path, capsys, _audit_log_in_a_temporary_folder):
    """`store counts` wrote every small count and raw text (no '<5' rule, no formula guard:
    a file named '=...' reached unassigned_rows.csv as a formula), and no audit line."""
    from hotspots.report import audit

    areas = gpd.GeoDataFrame({"LAD22CD": ["B", "A"], "LAD22NM": ["Bee", "Ay"]},
                             geometry=[shapely.box(-0.1, 51.5, 0.0, 51.6),
                                       shapely.box(-0.2, 51.5, -0.1, 51.6)], crs="EPSG:4326")
    areas.to_file(tmp_path / "areas.gpkg", driver="GPKG")
    rows = ([_row(_id(k), "2024-01", -0.15, 51.55) for k in range(7)]  # A: 7
            + [_row(_id(10 + k), "2024-01", -0.05, 51.55) for k in range(2)]  # B: 2
            + [_row(_id(20), "2024-01", "", "")])  # no coordinates
    f = _file(tmp_path / "2024-01", "=2024-01-test-street.csv", rows)
    db = tmp_path / "s.duckdb"
    assert main(["store", "add", "--store", str(db), str(f)]) == 0
    out = tmp_path / "out"
    assert main(["store", "counts", "--store", str(db), "--areas", str(tmp_path / "areas.gpkg"),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    counts = pd.read_csv(out / "area_counts.csv").set_index("area_code")["count"]
    assert counts["A"] == 7 and pd.isna(counts["B"])  # 2 is below 5: blank
    assert "1 area-month-type counts from 1 to 4 written blank" in printed
    unassigned = (out / "unassigned_rows.csv").read_text(encoding="utf-8")
    assert "'=2024-01-test-street.csv" in unassigned  # neutralised, never a formula
    rec = pd.read_csv(out / "reconciliation.csv").iloc[0]
    assert (rec["rows_in"], rec["assigned"], rec["unlocated"]) == (10, 9, 1)
    entry = audit.read_entries(_audit_log_in_a_temporary_folder).entries[-1]
    assert entry["export"] == "store counts (files)" and entry["data"] == str(db)
    assert entry["suppress_below"] == 5 and "area_counts.csv" in entry["files"]
    assert main(["store", "counts", "--store", str(db), "--areas", str(tmp_path / "areas.gpkg"),
                 "--suppress-below", "0", "--out", str(tmp_path / "all")]) == 0
    assert pd.read_csv(tmp_path / "all" / "area_counts.csv").set_index(
        "area_code")["count"].to_dict() == {"A": 7, "B": 2}
