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
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from ui.auth import auth_section_complete
from ui.errors import LOG

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["LOCAL_HOSTS", "check_before_start", "is_loopback", "refuse_unsafe",
           "serving_problem"]

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
                f"login is configured. {HOW}")
    public = [h for h in allowed_hosts if h.lower() not in LOCAL_HOSTS]
    if public:
        return (f"This server answers to {', '.join(public)} (reachable from other "
                f"computers through a proxy) but no login is configured. {HOW}")
    return None


def refuse_unsafe(login_on: bool) -> None:
    """Show only the reason and stop the page when it is served beyond this computer unsafely."""
    problem = serving_problem(st.get_option("server.address"),
                              list(st.get_option("server.allowedHosts") or ()), login_on)
    if problem is None:
        return
    LOG.critical("%s", problem)
    st.error(f"The page shows nothing here. {problem}")
    st.stop()


def _flag_values(argv: Sequence[str], flag: str) -> list[str]:
    """Return every value given for ``--flag VALUE`` or ``--flag=VALUE``."""
    out = []
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif arg.startswith(flag + "="):
            out.append(arg.split("=", 1)[1])
    return out


def check_before_start(argv: Sequence[str], root: Path = ROOT) -> str | None:
    """Return why ``streamlit run dashboard.py ARGV`` must not start, or ``None``.

    Reads what Streamlit would: ``--server.address`` and ``--server.allowedHosts``
    (else ``.streamlit/config.toml``), and the ``[auth]`` section of the secrets
    (``--secrets.files``, else ``.streamlit/secrets.toml``). For
    ``scripts/serve_team.sh``: a team server that would be reachable without the
    login never starts listening.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> check_before_start(["--server.address", "127.0.0.1"], d) is None
    True
    >>> check_before_start(["--server.address", "0.0.0.0"], d)[:37]
    'This server listens on 0.0.0.0 (reach'
    """
    config: dict = {}
    cfg = root / ".streamlit" / "config.toml"
    if cfg.is_file():
        config = tomllib.loads(cfg.read_text(encoding="utf-8"))
    server = config.get("server", {})
    address = (_flag_values(argv, "--server.address") or [server.get("address")])[-1]
    hosts = _flag_values(argv, "--server.allowedHosts") or list(server.get("allowedHosts", []))
    secrets = [Path(f) for f in _flag_values(argv, "--secrets.files")] or [
        root / ".streamlit" / "secrets.toml"]
    auth: dict = {}
    for f in secrets:
        if f.is_file():
            auth |= tomllib.loads(f.read_text(encoding="utf-8")).get("auth", {})
    return serving_problem(address, hosts, auth_section_complete(auth))


if __name__ == "__main__":  # python -m ui.serving [streamlit run flags]: exit 2 when unsafe
    problem = check_before_start(sys.argv[1:])
    if problem:
        print(f"Not starting: {problem}", file=sys.stderr)
        raise SystemExit(2)
