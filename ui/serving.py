"""The page is served beyond this computer only with a login.

``scripts/start.sh`` listens on 127.0.0.1 (``.streamlit/config.toml``): nobody
else can reach the page, and no login is needed. A team server listens on a
network address, or sits behind a reverse proxy (then its public host name is
in ``server.allowedHosts``): either way, without a complete ``[auth]`` section
in ``.streamlit/secrets.toml`` every visitor gets only a message saying how to
configure the login, and the server log says the same (:func:`refuse_unsafe`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import streamlit as st

from ui.errors import LOG

__all__ = ["LOCAL_HOSTS", "is_loopback", "refuse_unsafe", "serving_problem"]

#: Host names that stay on this computer.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})

HOW = ("Either keep the page on this computer (server.address = \"127.0.0.1\" in "
       ".streamlit/config.toml, as scripts/start.sh does), or configure the login: an [auth] "
       "section in .streamlit/secrets.toml (redirect_uri, cookie_secret, client_id, "
       "client_secret, server_metadata_url) and the allowed users or e-mail domains in "
       "team.toml. See the README, 'Team server'.")


def is_loopback(address: str | None) -> bool:
    """Return True when a listening address stays on this computer.

    An unset address means every network interface (Streamlit's default).

    Examples
    --------
    >>> [is_loopback(a) for a in ("127.0.0.1", "localhost", "::1", "127.0.0.2", "0.0.0.0",
    ...                           "", None, "10.0.0.5", "council-vm")]
    [True, True, True, True, False, False, False, False, False]
    """
    if not address:
        return False
    a = address.strip().strip("[]").lower()
    if a == "localhost":
        return True
    try:
        return ipaddress.ip_address(a).is_loopback
    except ValueError:
        return False


def serving_problem(address: str | None, allowed_hosts: Sequence[str],
                    login_on: bool) -> str | None:
    """Return why the page must not be served this way, or ``None`` when it may.

    Parameters
    ----------
    address
        ``server.address`` (``None`` or ``""``: every interface).
    allowed_hosts
        ``server.allowedHosts``: a name other than this computer's means the page
        is reached from elsewhere (a reverse proxy), even on a loopback address.
    login_on
        Whether the login is configured.

    Examples
    --------
    >>> serving_problem("127.0.0.1", ["localhost", "127.0.0.1"], False) is None
    True
    >>> serving_problem("0.0.0.0", [], True) is None
    True
    >>> serving_problem("0.0.0.0", [], False)[:40]
    'This server listens on 0.0.0.0 (reachabl'
    >>> serving_problem("127.0.0.1", ["hotspots.council.gov.uk"], False)[:55]
    'This server answers to hotspots.council.gov.uk (reachab'
    """
    if login_on:
        return None
    if not is_loopback(address):
        where = address or "every network interface"
        return (f"This server listens on {where} (reachable from other computers) but no "
                f"login is configured, so it shows nothing. {HOW}")
    public = [h for h in allowed_hosts if h.lower() not in LOCAL_HOSTS]
    if public:
        return (f"This server answers to {', '.join(public)} (reachable from other "
                f"computers through a proxy) but no login is configured, so it shows "
                f"nothing. {HOW}")
    return None


def refuse_unsafe(login_on: bool) -> None:
    """Show only the reason and stop the page when it is served beyond this computer unsafely."""
    problem = serving_problem(st.get_option("server.address"),
                              list(st.get_option("server.allowedHosts") or ()), login_on)
    if problem is None:
        return
    LOG.critical("%s", problem)
    st.error(problem)
    st.stop()
