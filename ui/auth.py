"""Optional sign-in for a team server (OpenID Connect through Streamlit's ``st.login``).

Off unless ``.streamlit/secrets.toml`` has a complete ``[auth]`` section
(``redirect_uri``, ``cookie_secret`` and a provider's ``client_id``,
``client_secret``, ``server_metadata_url``: Microsoft Entra ID or any OpenID
Connect provider). When on, :func:`require_user` lets the page run only for a
signed-in user on the allow-list of ``team.toml`` (:mod:`hotspots.team`);
everyone else gets a sign-in button, or a refusal with a sign-out button. The
signed-in user is shown in the sidebar with a sign-out button.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import streamlit as st

from hotspots import team
from hotspots.privacy import escape_text

__all__ = ["LOGIN_KEYS", "auth_section_complete", "current_user", "login_configured",
           "login_provider", "require_user", "signed_in_address", "user_slug"]

#: The keys a provider needs (at ``[auth]`` or in ``[auth.<name>]``).
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
LOGIN_KEYS = ("redirect_uri", "cookie_secret")
_USER_KEY = "hs_signed_in_user"


def _provider_sections(section: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    if all(section.get(k) for k in PROVIDER_KEYS):
        out["default"] = section
    for name, value in section.items():
        if isinstance(value, Mapping) and all(value.get(k) for k in PROVIDER_KEYS):
            out[str(name)] = value
    return out


def auth_section_complete(section: Mapping[str, Any] | None) -> bool:
    """Return True when an ``[auth]`` section is complete enough for ``st.login``.

    Examples
    --------
    >>> ok = {"redirect_uri": "https://h/oauth2callback", "cookie_secret": "s",
    ...       "client_id": "c", "client_secret": "x", "server_metadata_url": "https://i/.well"}
    >>> auth_section_complete(ok), auth_section_complete({**ok, "cookie_secret": ""})
    (True, False)
    >>> auth_section_complete({"redirect_uri": "r", "cookie_secret": "s",
    ...                        "microsoft": {k: ok[k] for k in PROVIDER_KEYS}})
    True
    >>> auth_section_complete(None)
    False
    """
    if not section:
        return False
    return all(section.get(k) for k in LOGIN_KEYS) and bool(_provider_sections(section))


def _auth_section() -> Mapping[str, Any] | None:
    try:
        return st.secrets.get("auth")  # type: ignore[no-any-return]
    except (FileNotFoundError, KeyError, OSError, ValueError):  # no or unreadable secrets
        return None


def login_configured() -> bool:
    """Return True when this server has a complete ``[auth]`` section (login on)."""
    return auth_section_complete(_auth_section())


def login_provider() -> str | None:
    """Return the provider name for ``st.login`` (``None`` = the ``[auth]`` section's own)."""
    names = list(_provider_sections(_auth_section() or {}))
    if not names or names[0] == "default":
        return None
    return names[0]


def _sign_in_page() -> None:
    st.title("Community safety hotspots")
    st.markdown("This team server holds sensitive data: **sign in** with your work account "
                "to continue.")
    provider = login_provider()
    st.button("Sign in", key="hs_login", type="primary", on_click=st.login,
              args=(provider,) if provider else ())


def _refused_page(email: str | None) -> None:
    st.title("Community safety hotspots")
    who = escape_text(email) if email else "an account without an e-mail address"
    st.error(f"You are signed in as {who}, which is not on this server's list of allowed "
             "users. Ask whoever runs this server to add your address or your organisation's "
             "e-mail domain (team.toml, [access]), or sign out and use another account.")
    st.button("Sign out", key="hs_logout_refused", on_click=st.logout)


def require_user(cfg: team.TeamConfig | None = None) -> str | None:
    """Stop the page unless the visitor may use it; return the signed-in e-mail.

    Without login configured (a laptop) it does nothing and returns ``None``.
    With login, a visitor who is not signed in sees only a sign-in button, and
    a signed-in visitor not on the allow-list only a refusal and a sign-out
    button (an empty allow-list refuses everyone). The allowed user is shown
    in the sidebar with a sign-out button.

    Parameters
    ----------
    cfg
        Team settings (default: :func:`hotspots.team.load_team_config`).
    """
    if not login_configured():
        st.session_state.pop(_USER_KEY, None)
        return None
    cfg = cfg if cfg is not None else team.load_team_config()
    if not st.user.is_logged_in:
        _sign_in_page()
        st.stop()
    email = signed_in_address(st.user.to_dict())
    if not team.is_allowed(email, cfg):
        _refused_page(email)
        st.stop()
    st.session_state[_USER_KEY] = email
    with st.sidebar.container(key="hs_user"):
        st.caption(f"Signed in as **{escape_text(email)}**")
        st.button("Sign out", key="hs_logout", on_click=st.logout)
    return email


def signed_in_address(claims: Mapping[str, Any]) -> str | None:
    """Return the address the allow-list checks: ``email``, else Entra ID's user name.

    Microsoft Entra ID sends ``email`` only when the account has a mailbox
    address set; its ``preferred_username`` (the user principal name, an address
    the council's tenant controls) is used then. Nothing that is not an address
    is returned.

    Examples
    --------
    >>> signed_in_address({"email": "Ann@X.org", "preferred_username": "a@y.org"})
    'Ann@X.org'
    >>> signed_in_address({"preferred_username": "bo@council.gov.uk"})
    'bo@council.gov.uk'
    >>> signed_in_address({"preferred_username": "bo"}) is None, signed_in_address({})
    (True, None)
    """
    for key in ("email", "preferred_username", "upn"):
        value = claims.get(key)
        if isinstance(value, str) and value.count("@") == 1:
            return value
    return None


def current_user() -> str | None:
    """Return the signed-in user's e-mail this session (``None`` without login)."""
    value = st.session_state.get(_USER_KEY)
    return str(value) if value else None


def user_slug(email: str) -> str:
    """Return a folder-safe name for a user, not revealing the address.

    Examples
    --------
    >>> user_slug("Ann@X.org") == user_slug("ann@x.org"), len(user_slug("a@b"))
    (True, 16)
    """
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]
