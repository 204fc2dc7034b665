"""Team-server settings: who may sign in, and where the export audit log is kept.

Read from ``team.toml`` in the project folder (or the file named by the
``HOTSPOTS_TEAM_CONFIG`` environment variable); see ``team.example.toml``. On a
laptop the file is absent and nothing here applies: no login, and the audit log
in ``audit/exports.jsonl`` under the project folder. Nothing in it is secret
(the login's client secret lives in ``.streamlit/secrets.toml``).

::

    [access]
    allowed_users = ["a.analyst@council.gov.uk"]      # exact e-mail addresses
    allowed_domains = ["council.gov.uk", "police.uk"]  # every address at these domains

    [audit]
    log = "/var/lib/hotspots/audit/exports.jsonl"      # relative paths: to the project folder
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from hotspots._errors import InputDataError

__all__ = ["ENV_VAR", "TeamConfig", "is_allowed", "load_team_config", "team_config_path"]

ROOT = Path(__file__).resolve().parents[1]
ENV_VAR = "HOTSPOTS_TEAM_CONFIG"
DEFAULT_AUDIT_LOG = Path("audit") / "exports.jsonl"


@dataclass(frozen=True)
class TeamConfig:
    """Who may use a team server, and where exports are recorded.

    Attributes
    ----------
    allowed_users
        Exact e-mail addresses (lower case).
    allowed_domains
        E-mail domains (lower case, without ``@``): every address at the domain
        itself is allowed (not its subdomains).
    audit_log
        The JSON-lines file every export is appended to.
    """

    allowed_users: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    audit_log: Path = ROOT / DEFAULT_AUDIT_LOG

    @property
    def has_allow_list(self) -> bool:
        """True when at least one user or domain is allowed."""
        return bool(self.allowed_users or self.allowed_domains)


def team_config_path() -> Path:
    """Return the team settings file: ``$HOTSPOTS_TEAM_CONFIG`` or ``team.toml`` here."""
    given = os.environ.get(ENV_VAR)
    return Path(given) if given else ROOT / "team.toml"


def _strings(where: str, key: str, value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputDataError(f"{where}: [access] {key} must be a list of text, e.g. "
                             f"{key} = [\"council.gov.uk\"].")
    return frozenset(v.strip().lower().lstrip("@") for v in value if v.strip())


def load_team_config(path: Path | None = None) -> TeamConfig:
    """Read the team settings (a missing file gives the laptop defaults).

    Parameters
    ----------
    path
        The TOML file (default :func:`team_config_path`).

    Returns
    -------
    TeamConfig

    Raises
    ------
    InputDataError
        When the file is not valid TOML or a key has the wrong type (named).
    """
    p = path if path is not None else team_config_path()
    if not p.is_file():
        return TeamConfig()
    where = p.name
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InputDataError(f"{where}: not valid TOML ({e}). See team.example.toml.") from None
    access = data.get("access", {})
    audit = data.get("audit", {})
    unknown = sorted(set(access) - {"allowed_users", "allowed_domains"})
    if unknown:
        raise InputDataError(f"{where}: [access] does not know {', '.join(unknown)}; use "
                             "allowed_users and allowed_domains.")
    log = audit.get("log")
    if log is not None and not isinstance(log, str):
        raise InputDataError(f"{where}: [audit] log must be a file path in quotes.")
    log_path = Path(log) if log else DEFAULT_AUDIT_LOG
    return TeamConfig(
        allowed_users=_strings(where, "allowed_users", access.get("allowed_users", [])),
        allowed_domains=_strings(where, "allowed_domains", access.get("allowed_domains", [])),
        audit_log=log_path if log_path.is_absolute() else ROOT / log_path)


def is_allowed(email: str | None, cfg: TeamConfig) -> bool:
    """Return True when ``email`` is on the allow-list (exact address or its domain).

    Parameters
    ----------
    email
        The signed-in user's e-mail (``None``: not known, never allowed).
    cfg
        The team settings.

    Returns
    -------
    bool

    Examples
    --------
    >>> cfg = TeamConfig(allowed_users=frozenset({"ann@x.org"}),
    ...                  allowed_domains=frozenset({"council.gov.uk"}))
    >>> [is_allowed(e, cfg) for e in ("Ann@X.org", "bo@council.gov.uk", "bo@evil.council.gov.uk",
    ...                                "bo@council.gov.uk.evil", "council.gov.uk", None)]
    [True, True, False, False, False, False]
    """
    if not email or email.count("@") != 1:
        return False
    e = email.strip().lower()
    return e in cfg.allowed_users or e.rsplit("@", 1)[1] in cfg.allowed_domains
