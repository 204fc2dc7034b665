"""A page whose run fails unexpectedly inside the page's guard (tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui import errors  # noqa: E402

with errors.guard("The page"):
    st.write("before the error")
    if st.button("Break", key="break"):
        raise RuntimeError("/tmp/board-pack-abc123/secret.csv: something broke")
st.write("after the guard")
