"""Results derived from one session's uploads are never served to another session.

The page's data caches are shared between sessions for a pack folder (everyone
sees the same public data), but anything computed from uploads is cached per
session: a second session with the very same upload bytes computes its own
(no cross-session hit that would reveal, even by its speed, that somebody else
uploaded the file), and the entries go when the session ends.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from streamlit.runtime.caching import cache_data_api, cache_resource_api

from hotspots import pipeline
from hotspots.pipeline import uploads
from ui import cache

SEL = pipeline.Selection("crime:all", "2025-05", "2025-05")


@pytest.fixture()
def session(monkeypatch):
    """Pretend to be the session named ``session["id"]`` (set it to switch)."""
    current = {"id": f"session-A-{uuid.uuid4()}"}
    for mod in (cache_data_api, cache_resource_api):
        monkeypatch.setattr(mod, "get_session_id_or_throw", lambda: current["id"])
    return current


@pytest.fixture()
def upload() -> uploads.UploadSet:
    pack = pipeline.load_pack()
    city = pack.areas[pack.areas["borough_name"] == "City of London"].sort_values("area_code")
    pts = city.geometry.representative_point().to_crs("EPSG:4326").iloc[:3]
    lines = ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
             "LSOA name,Crime type,Last outcome category,Context"]
    lines += [f"id{i},2025-05,CoLP,City of London Police,{p.x:.6f},{p.y:.6f},On or near X,,,"
              "Robbery,," for i, p in enumerate(pts)]
    data = ("\n".join(lines) + "\n").encode()
    return uploads.UploadSet(police_uk=(("2025-05-city-of-london-street.csv", data),))


def _counting(monkeypatch) -> list[object]:
    calls: list[object] = []
    real = cache.measures.table_for

    def counted(pack, sel):  # type: ignore[no-untyped-def]
        calls.append(sel)
        return real(pack, sel)

    monkeypatch.setattr(cache.measures, "table_for", counted)
    return calls


def test_upload_results_are_cached_per_session(session, upload, monkeypatch):
    calls = _counting(monkeypatch)
    cache.ward_table.clear()
    a = cache.ward_table(None, upload, SEL)
    cache.ward_table(None, upload, SEL)
    assert len(calls) == 1  # the same session: a hit
    session["id"] = f"session-B-{uuid.uuid4()}"
    b = cache.ward_table(None, upload, SEL)
    assert len(calls) == 2  # another session: computed again, never A's entry
    assert b.n_records == a.n_records


def test_pack_folder_results_are_shared_between_sessions(session, monkeypatch):
    calls = _counting(monkeypatch)
    cache.ward_table.clear()
    cache.ward_table(None, None, SEL)
    session["id"] = f"session-B-{uuid.uuid4()}"
    cache.ward_table(None, None, SEL)
    assert len(calls) == 1


def test_every_cache_taking_uploads_is_per_session_for_them():
    for name in ("measure_groups", "ward_table", "measure_panel", "imd_panel", "map_pair",
                 "rendered_panel", "analysis", "emerging_wards"):
        f = getattr(cache, name)
        assert hasattr(f, "per_session") and hasattr(f, "shared"), name


def test_patrol_caches_are_per_session_for_uploaded_points(upload):
    from ui import patrol as patrol_ui

    uploaded = uploads.build_upload_pack(pipeline.load_pack(), upload).pack
    assert patrol_ui._from_uploads((patrol_ui._pack_key(uploaded), ("City of London",)))
    assert not patrol_ui._from_uploads((patrol_ui._pack_key(pipeline.load_pack()), ()))
    for f in (patrol_ui._analysis, patrol_ui._rendered):
        assert hasattr(f, "per_session") and hasattr(f, "shared")


def test_replacing_the_upload_releases_the_old_uploads_results(session, upload, monkeypatch):
    """An analyst who replaces a file (10 times in a session) holds one upload's results.

    Before: each per-session cache kept up to its ``max_entries`` (16 to 64) results of
    files no longer on the page; ``bench/upload_repeat.py --windows shifted`` saw the
    server grow ~10 MB per replaced upload.
    """
    calls = _counting(monkeypatch)
    cache.ward_table.clear()
    a_id, b_id = session["id"], f"session-B-{uuid.uuid4()}"
    state: dict[str, object] = {}
    cache.release_replaced_uploads(upload, state)
    cache.ward_table(None, upload, SEL)
    cache.release_replaced_uploads(upload, state)  # the same files: nothing released
    cache.ward_table(None, upload, SEL)
    assert len(calls) == 1
    session["id"] = b_id
    cache.ward_table(None, upload, SEL)  # session B's own entry
    assert len(calls) == 2
    session["id"] = a_id
    cache.release_replaced_uploads(dataclasses.replace(upload, crime_ids="once"), state)
    session["id"] = b_id
    cache.ward_table(None, upload, SEL)  # B's entry is B's: kept
    assert len(calls) == 2
    session["id"] = a_id
    cache.ward_table(None, upload, SEL)  # A replaced its files: its old results went
    assert len(calls) == 3
