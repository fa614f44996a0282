"""Where the warehouse is, and the project's settings.

The warehouse URL is resolved in this order:

1. an explicit value (``--warehouse`` on the command line, ``url=`` in Python);
2. the ``ILS_WAREHOUSE`` environment variable;
3. ``warehouse = "..."`` in the user config file, ``$ILS_CONFIG`` or
   ``~/.config/ils/config.toml`` (outside the repository, never committed);
4. the embedded demo warehouse, ``$ILS_HOME/demo.sqlite`` (default
   ``~/.local/share/ils/demo.sqlite``).

A password is never part of the URL that is resolved here: it comes from
``ILS_WAREHOUSE_PASSWORD`` (or the ODBC DSN) and is added at connect time only.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

ENV_URL = "ILS_WAREHOUSE"
ENV_PASSWORD = "ILS_WAREHOUSE_PASSWORD"
ENV_CONFIG = "ILS_CONFIG"
ENV_HOME = "ILS_HOME"
ENV_CONNECT_TIMEOUT = "ILS_CONNECT_TIMEOUT"

DEFAULT_CONNECT_TIMEOUT = 15.0


@dataclass(frozen=True)
class ResolvedUrl:
    """A warehouse URL and where it came from (for messages: ``--warehouse``, ``ILS_WAREHOUSE`` ...)."""

    url: str
    source: str


def ils_home() -> Path:
    """The directory for the user's own ILS files (the embedded demo warehouse)."""
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ils"


def demo_path() -> Path:
    """Path of the embedded demo warehouse."""
    return ils_home() / "demo.sqlite"


def demo_url() -> str:
    """URL of the embedded demo warehouse."""
    return "sqlite:///" + str(demo_path().resolve())


def config_path() -> Path:
    """Path of the user config file (it may not exist)."""
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ils" / "config.toml"


def read_user_config() -> dict:
    """The user config file as a dict; empty when there is none."""
    path = config_path()
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    return data


def resolve_warehouse(explicit: str | None = None) -> ResolvedUrl:
    """Resolve the warehouse URL (see the module docstring for the order)."""
    if explicit:
        return ResolvedUrl(explicit, "--warehouse")
    if os.environ.get(ENV_URL):
        return ResolvedUrl(os.environ[ENV_URL], ENV_URL)
    cfg = read_user_config()
    if cfg.get("warehouse"):
        value = cfg["warehouse"]
        if not isinstance(value, str):
            raise ConfigError(f"{config_path()}: 'warehouse' must be a string")
        return ResolvedUrl(value, str(config_path()))
    return ResolvedUrl(demo_url(), "embedded demo warehouse")


def connect_timeout() -> float:
    """Seconds to wait for a server before giving up (``ILS_CONNECT_TIMEOUT``, default 15)."""
    raw = os.environ.get(ENV_CONNECT_TIMEOUT)
    if not raw:
        return DEFAULT_CONNECT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{ENV_CONNECT_TIMEOUT}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"{ENV_CONNECT_TIMEOUT} must be positive, got {raw!r}")
    return value


# A secret's value in a connection string: braced ({...}, with }} for a brace) or up to the next ';'.
_SECRET_RE = re.compile(r"(?i)\b(\w*(?:pwd|password))\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)")
# The same inside free text (a message): an unbraced value also ends at white space or a quote,
# so the rest of the message survives.
_SECRET_IN_TEXT_RE = re.compile(r"(?i)\b(\w*(?:pwd|password))\s*=\s*(\{(?:[^}]|\}\})*\}|[^;\s'\"]*)")
# user:password@ in URL-style strings (postgres://user:pw@host/db), which are not
# valid warehouse URLs but get echoed in the "malformed URL" message.
_USERINFO_RE = re.compile(r"(://[^/:@\s]*:)[^@\s]*@")
# Shorter values are not searched for in free text: replacing every "e" would give the password away.
_MIN_SECRET_LEN = 6


def redact_url(url: str) -> str:
    """A warehouse URL or connection string with every ``PWD``/``PASSWORD`` value hidden."""
    return _USERINFO_RE.sub(r"\1***@", _SECRET_RE.sub(lambda m: f"{m.group(1)}=***", url))


def redact(text: str) -> str:
    """Hide secrets in a message: ``PWD``/``PASSWORD`` values, ``user:password@``, and the
    value of ``ILS_WAREHOUSE_PASSWORD`` (when it is long enough to search for safely)."""
    text = _SECRET_IN_TEXT_RE.sub(lambda m: f"{m.group(1)}=***", text)
    text = _USERINFO_RE.sub(r"\1***@", text)
    secret = os.environ.get(ENV_PASSWORD)
    if secret and len(secret) >= _MIN_SECRET_LEN:
        text = text.replace(secret, "***")
    return text
