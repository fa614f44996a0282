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

The SMTP relay that ``ils remind --send`` sends through is the ``[smtp]`` table
of the same config file (:func:`smtp_settings`); its password, when the relay
wants a login, comes from ``ILS_SMTP_PASSWORD`` only, like the warehouse's.
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
ENV_SMTP_PASSWORD = "ILS_SMTP_PASSWORD"

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


# -- the SMTP relay (ils remind) ------------------------------------------------------------------

#: The settings of the ``[smtp]`` table, with what each holds (for the error listing them).
SMTP_KEYS = {
    "host": "the relay's host name",
    "port": "its port (default 587 with STARTTLS, else 25)",
    "starttls": "true to encrypt with STARTTLS (default true)",
    "sender": "the From address of the reminders",
    "user": "the login at the relay, if it wants one (the password: ILS_SMTP_PASSWORD)",
    "cafile": "a PEM file of the CA that signed the relay's certificate (default: the system's CAs)",
    "timeout": "seconds to wait for the relay (default 30)",
}
DEFAULT_SMTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP relay: where, how, from whom. The password is never here (:func:`smtp_password`)."""

    host: str
    port: int
    starttls: bool
    sender: str
    user: str | None = None
    cafile: str | None = None
    timeout: float = DEFAULT_SMTP_TIMEOUT
    source: str = ""

    @property
    def address(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.port}"


def smtp_settings() -> SmtpSettings:
    """The ``[smtp]`` table of the user config file, checked; a one-line :class:`ConfigError` naming the setting.

    ``host`` and ``sender`` are required; ``port`` defaults to 587 with STARTTLS
    (the default) and 25 without; a ``user`` needs STARTTLS (a password is never
    sent in clear text); ``cafile`` must be a readable file.
    """
    path = config_path()
    where = f"{path} [smtp]"
    table = read_user_config().get("smtp")
    if table is None:
        raise ConfigError(
            f"no SMTP relay is configured: add an [smtp] table with host and sender (and port, starttls, user, "
            f"cafile) to {path}; see docs/round.md"
        )
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'smtp' must be a table ([smtp]) with host, port, starttls, sender")
    unknown = sorted(set(table) - set(SMTP_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r}; valid: {', '.join(SMTP_KEYS)}")

    def text(key: str, required: bool = False) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                raise ConfigError(f"{where}: '{key}' is missing: {SMTP_KEYS[key]}")
            return None
        if not isinstance(value, str) or not value.strip() or value != value.strip() or not value.isprintable():
            raise ConfigError(f"{where}: '{key}' must be a non-empty string without spaces around it, got {value!r}")
        return value

    host = text("host", required=True) or ""
    if any(c.isspace() or c in "/@:" for c in host):
        raise ConfigError(f"{where}: 'host' must be a host name or address, got {host!r}")
    starttls = table.get("starttls", True)
    if not isinstance(starttls, bool):
        raise ConfigError(f"{where}: 'starttls' must be true or false, got {starttls!r}")
    port = table.get("port", 587 if starttls else 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ConfigError(f"{where}: 'port' must be a whole number 1-65535, got {port!r}")
    sender = text("sender", required=True) or ""
    local, _, domain = sender.rpartition("@")
    if not local or "." not in domain or any(c.isspace() or c in '<>,;"' for c in sender):
        raise ConfigError(f"{where}: 'sender' must be an e-mail address (anna@stad.se), got {sender!r}")
    user = text("user")
    if user is not None and not starttls:
        raise ConfigError(
            f"{where}: 'user' is set but starttls is false: the password would travel in clear text; "
            "set starttls = true (or leave out user)"
        )
    cafile = text("cafile")
    if cafile is not None:
        ca = Path(cafile).expanduser()
        if not ca.is_file():
            raise ConfigError(f"{where}: 'cafile' {cafile!r} is not a file")
        cafile = str(ca)
    timeout = table.get("timeout", DEFAULT_SMTP_TIMEOUT)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 600:
        raise ConfigError(f"{where}: 'timeout' must be a number of seconds (0-600], got {timeout!r}")
    return SmtpSettings(host, port, starttls, sender, user, cafile, float(timeout), str(path))


def smtp_password() -> str | None:
    """The relay's password from ``ILS_SMTP_PASSWORD`` (None when unset); never printed or logged."""
    return os.environ.get(ENV_SMTP_PASSWORD) or None


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
    values of ``ILS_WAREHOUSE_PASSWORD`` and ``ILS_SMTP_PASSWORD`` (when long enough to search for safely)."""
    text = _SECRET_IN_TEXT_RE.sub(lambda m: f"{m.group(1)}=***", text)
    text = _USERINFO_RE.sub(r"\1***@", text)
    for name in (ENV_PASSWORD, ENV_SMTP_PASSWORD):
        secret = os.environ.get(name)
        if secret and len(secret) >= _MIN_SECRET_LEN:
            text = text.replace(secret, "***")
    return text
