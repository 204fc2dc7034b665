"""Remembered column mappings are per signed-in user on a team server.

On a shared server one user's remembered mapping used to pre-fill another's
page. Signed in, a user's mappings live in their own folder (named by a hash of
the address, not the address); a laptop (no login) keeps the computer's folder.
"""

from __future__ import annotations

from hotspots.io import ColumnMap, mappings
from ui import auth, data

HEADERS = ["Ref", "Date of referral", "Type of concern", "Ward"]
MAPPING = ColumnMap({"referral_id": "Ref", "date": "Date of referral",
                     "category": "Type of concern", "ward_name": "Ward"})


def test_a_users_mapping_prefills_only_their_own_page(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setattr(data.auth, "current_user", lambda: "Ann@Council.gov.uk")
    ann = data._mappings_folder()
    mappings.remember_mapping(MAPPING, "partner.csv", folder=ann)
    assert mappings.remembered_mapping(HEADERS, folder=ann) == MAPPING

    monkeypatch.setattr(data.auth, "current_user", lambda: "bob@council.gov.uk")
    bob = data._mappings_folder()
    assert bob != ann and mappings.remembered_mapping(HEADERS, folder=bob) is None

    monkeypatch.setattr(data.auth, "current_user", lambda: None)  # a laptop
    assert data._mappings_folder() == mappings.mappings_folder()
    assert mappings.remembered_mapping(HEADERS, folder=data._mappings_folder()) is None
    assert "council" not in str(ann).lower()  # the folder does not reveal the address
    assert ann == mappings.mappings_folder(auth.user_slug("ann@council.gov.uk"))


def test_a_user_folder_name_cannot_leave_the_mappings_folder():
    import pytest

    for bad in ("../x", "a/b", "", "."):
        with pytest.raises(ValueError):
            mappings.mappings_folder(bad)
