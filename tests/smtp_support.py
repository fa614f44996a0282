"""A real SMTP server on 127.0.0.1 for the tests of ``ils remind`` (aiosmtpd), with STARTTLS and a login.

:class:`Relay` runs aiosmtpd's server in a thread on a free loopback port and
keeps every message it accepts (envelope and the bytes received). It can refuse
recipients (``550``), offer STARTTLS with a certificate for 127.0.0.1 issued by
a CA made in the test (trustme), require it, and require a login. Nothing is
mocked: the client under test talks SMTP to it over TCP.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "ils-relay", "pw-Kx81!räksmörgås"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The message, parsed (headers decoded)."""
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def body(self) -> str:
        """The plain-text body, decoded (SMTP's CRLF line ends as ``\\n``)."""
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")


@dataclass
class _Handler:
    refuse: set[str]
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:  # noqa: N802
        if address.lower() in self.refuse:
            return "550 5.1.1 <" + address + ">: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


class Relay:
    """An SMTP server on 127.0.0.1 (see the module docstring); use as a context manager."""

    def __init__(
        self,
        tmp: Path,
        *,
        refuse: set[str] | None = None,
        starttls: bool = False,
        login: bool = False,
    ):
        self.port = free_port()
        self.handler = _Handler({a.lower() for a in refuse or set()})
        self.cafile: Path | None = None
        kwargs: dict[str, Any] = {}
        if starttls:
            import trustme

            ca = trustme.CA(organization_name="Testets CA")
            server_cert = ca.issue_cert("127.0.0.1", "localhost")
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_cert.configure_cert(ctx)
            self.cafile = tmp / "relay-ca.pem"
            ca.cert_pem.write_to_path(str(self.cafile))
            kwargs.update(tls_context=ctx, require_starttls=True)
        if login:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if isinstance(auth_data, LoginPassword):
            self.handler.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=ok, handled=False)

    @property
    def received(self) -> list[Received]:
        """Every message accepted so far, in order."""
        return self.handler.received

    def __enter__(self) -> Relay:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def write_config(home: Path, port: int, *, starttls: bool = False, **more: Any) -> Path:
    """``~/.config/ils/config.toml`` with an ``[smtp]`` table for the relay on 127.0.0.1:port."""
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", f"starttls = {'true' if starttls else 'false'}"]
    lines.append('sender = "ils@stad.example"')
    for key, value in more.items():
        lines.append(f"{key} = {json.dumps(value) if isinstance(value, str) else value}")
    path = home / ".config" / "ils" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
