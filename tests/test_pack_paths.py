"""A pack's pack.json can name files only inside its own folder.

``referrals_file = "../../../../etc/passwd"`` used to be read and its first line
echoed in the error; now any name that leaves the folder (``..``, an absolute
path, a symlink pointing out) is refused, naming the key and what to do, and
no content of the outside file appears in the message.
"""

from __future__ import annotations

import json
import shutil

import pytest

from hotspots import cli, pipeline
from hotspots._errors import InputDataError

SECRET = "root:x:0:0:TOP-SECRET-LINE"


@pytest.fixture()
def pack_copy(tmp_path):
    folder = tmp_path / "packs" / "mine"
    shutil.copytree(pipeline.DEMO_PACK, folder)
    outside = tmp_path / "passwd"
    outside.write_text(SECRET + "\nline2\n", encoding="utf-8")
    return folder, outside


def _point(folder, key, value):
    meta = json.loads((folder / "pack.json").read_text(encoding="utf-8"))
    meta[key] = value
    (folder / "pack.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("key", ["referrals_file", "referrals_mapping", "points_file",
                                 "area_layer", "reconciliation_file"])
@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_a_name_leaving_the_pack_folder_is_refused(pack_copy, key, how):
    folder, outside = pack_copy
    if how == "dotdot":
        value = "../../passwd"
    elif how == "absolute":
        value = str(outside)
    else:
        (folder / "link.csv").symlink_to(outside)
        value = "link.csv"
    _point(folder, key, value)
    with pytest.raises(InputDataError) as e:
        pipeline.load_pack(folder)
    msg = str(e.value)
    assert key in msg and "inside the pack folder" in msg
    assert "TOP-SECRET" not in msg and "root:x" not in msg
    assert str(outside) not in msg and str(folder.parent) not in msg


def test_cli_refuses_it_without_echoing_the_file(pack_copy, tmp_path, capsys):
    folder, _ = pack_copy
    _point(folder, "referrals_file", "../../../../etc/passwd")
    assert cli.main(["measures", "--pack", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "referrals_file" in err and "root:" not in err


def test_names_inside_the_folder_still_work(pack_copy):
    folder, _ = pack_copy
    (folder / "sub").mkdir()
    shutil.move(folder / "referrals_SYNTHETIC.csv", folder / "sub" / "refs.csv")
    _point(folder, "referrals_file", "sub/../sub/refs.csv")
    pack = pipeline.load_pack(folder)
    assert len(pack.referrals) > 0
