"""No server path in an upload's error: the temporary folder a file is read from is not named.

A broken boundary zip (or GeoPackage, GeoJSON) and a broken mapping JSON used to
show ``/tmp/hotspots-xxxx/...`` in the page's message.
"""

from __future__ import annotations

import io
import tempfile
import zipfile

import pytest

from hotspots._errors import UploadError, hide_folder
from hotspots.areas.upload import read_boundary_upload
from hotspots.io import mappings

TMP = tempfile.gettempdir()


def _broken_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("wards.shp", b"not a shapefile at all" * 10)
        z.writestr("wards.dbf", b"junk")
    return buf.getvalue()


@pytest.mark.parametrize("name, data", [
    ("wards.zip", _broken_zip()),
    ("w.gpkg", b"garbage" * 100),
    ("w.geojson", b"{not json"),
], ids=["zip", "gpkg", "geojson"])
def test_a_broken_boundary_upload_names_the_file_not_the_server_folder(name, data):
    with pytest.raises(UploadError) as e:
        read_boundary_upload(name, data)
    msg = str(e.value)
    assert TMP not in msg and "hotspots-" not in msg
    assert name in msg and "cannot be read" in msg


@pytest.mark.parametrize("data", [b"{not json", b'{"columns": 3}', b"[]"])
def test_a_broken_mapping_upload_names_the_file_not_the_server_folder(data):
    with pytest.raises(UploadError) as e:
        mappings.mapping_from_json("my mapping.json", data)
    msg = str(e.value)
    assert TMP not in msg and "hotspots-" not in msg and "my mapping.json" in msg


def test_hide_folder():
    assert hide_folder("'/tmp/x/a.shp' not recognised; see /tmp/x", "/tmp/x") == \
        "'a.shp' not recognised; see (a temporary folder)"


def test_a_board_pack_error_does_not_name_the_servers_temporary_folder(monkeypatch):
    from hotspots._errors import InputDataError
    from ui import report as report_ui

    def failing(cfg, **_k):
        raise InputDataError(f"{cfg.output}/crime-all.csv: cannot be written")

    monkeypatch.setattr(report_ui.report, "build_report", failing)
    cfg = report_ui.report.ReportConfig(title="t")
    with pytest.raises(InputDataError) as e:
        report_ui.build_pack_bytes(None, cfg)  # type: ignore[arg-type]  # never read here
    assert str(e.value) == "crime-all.csv: cannot be written"
