"""The page's gate alone (tests): serving check, sign-in, allow-list, who is signed in.

The same two calls as the top of ``dashboard.py``, then one line of text: the
browser test of the login does not pay for the data pack and its maps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui import auth, errors, serving  # noqa: E402

with errors.guard("The page"):
    serving.refuse_unsafe(auth.login_configured())
    user = auth.require_user()
    with st.container(key="hs_page_body"):
        st.write(f"The page for signed-in users (user known: {user is not None}).")
