"""No traceback reaches a user: unexpected errors are logged in full under a reference.

The page shows a short message with a reference (``E-1A2B3C4D``) that the user
can quote; the server log (stderr of ``streamlit run``) has the same reference
with the full traceback. Streamlit's own error display is off as well
(``client.showErrorDetails = "none"`` in ``.streamlit/config.toml``), for the
errors that happen outside these guards (widget callbacks).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.logger import get_logger

__all__ = ["LOG", "guard", "new_reference", "show_unexpected"]

LOG = get_logger("hotspots.page")


def new_reference() -> str:
    """Return a short random reference a user can quote, e.g. ``E-1A2B3C4D``."""
    return "E-" + secrets.token_hex(4).upper()


def show_unexpected(what: str, exc: BaseException) -> str:
    """Log ``exc`` with its traceback under a new reference; show the reference; return it.

    Parameters
    ----------
    what
        What failed, in the user's words (``"The board pack"``).
    exc
        The exception (its text is never shown: it may hold server paths).
    """
    ref = new_reference()
    LOG.error("%s failed [%s]: %s", what, ref, type(exc).__name__, exc_info=exc)
    st.error(f"{what} stopped because of an unexpected error. The details are in the server "
             f"log under reference **{ref}**: quote it to whoever runs this server.")
    return ref


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Run a block; show an unexpected error by its reference instead of a traceback.

    ``st.stop()`` and ``st.rerun()`` pass through (they are not errors).
    """
    try:
        yield
    except Exception as e:  # noqa: BLE001 - the point: nothing unexpected reaches the user
        show_unexpected(what, e)
