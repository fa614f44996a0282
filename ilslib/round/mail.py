"""E-mail through the configured SMTP relay: build a message, send many, say what failed.

The relay is the ``[smtp]`` table of the user config file
(:func:`ilslib.config.smtp_settings`): host, port, STARTTLS, sender, and a
login whose password comes from ``ILS_SMTP_PASSWORD`` only. With STARTTLS the
relay's certificate is verified (the system's CAs, or ``cafile``); it is never
switched off. The password is handed to the relay and nowhere else: not to a
message, a log or an error.

:func:`send` sends each message on its own: a recipient the relay refuses, or a
connection that breaks, fails that message (one line naming the address or the
host) and the others are still sent; a connection that cannot be made at all
fails every message with one line naming the host.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage

from ..config import SmtpSettings, redact
from ..errors import IlsError


class MailError(IlsError):
    """A message could not be sent (the relay is unreachable, refused the login or a recipient)."""

    exit_code = 1


@dataclass(frozen=True)
class Letter:
    """One message to one person: address, name, subject and plain text (Swedish); ``key`` is the caller's."""

    to: str
    name: str
    subject: str
    body: str
    key: object = None


@dataclass
class Outcome:
    """What happened to one :class:`Letter`: sent, or the one-line reason it was not."""

    letter: Letter
    sent: bool
    error: str | None = None
    message_id: str | None = None


@dataclass
class Delivery:
    """The outcomes of a :func:`send`, in the letters' order."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def sent(self) -> list[Outcome]:
        """The letters the relay accepted."""
        return [o for o in self.outcomes if o.sent]

    @property
    def failed(self) -> list[Outcome]:
        """The letters that were not sent."""
        return [o for o in self.outcomes if not o.sent]


def _domain(sender: str) -> str:
    return sender.rpartition("@")[2] or "localhost"


def build(letter: Letter, settings: SmtpSettings, *, now: dt.datetime | None = None) -> EmailMessage:
    """The e-mail of a letter: From the configured sender, To the person, UTF-8 plain text, a Message-ID."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    try:
        msg["To"] = Address(display_name=letter.name, addr_spec=letter.to)
    except (ValueError, IndexError):  # an address the e-mail package cannot parse: the relay decides
        msg["To"] = letter.to
    msg["Subject"] = letter.subject
    msg["Date"] = email.utils.format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = email.utils.make_msgid(domain=_domain(settings.sender))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a reminder
    msg.set_content(letter.body, charset="utf-8")
    return msg


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Verification on, always: the system's CAs, or the configured ``cafile``."""
    return ssl.create_default_context(cafile=settings.cafile)


def _reason(exc: BaseException) -> str:
    """The relay's answer (code and text) or the system's, in one line."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(text.split())}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return str(exc.verify_message or exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


class _Relay:
    """One connection to the relay, made when first needed and made again after it breaks."""

    def __init__(self, settings: SmtpSettings, password: str | None):
        self.settings = settings
        self.password = password
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot connect to the SMTP relay {s.address}: {_reason(exc)}") from None
        try:
            smtp.ehlo()
            if s.starttls:
                if not smtp.has_extn("starttls"):
                    raise MailError(
                        f"the SMTP relay {s.address} does not offer STARTTLS (starttls = true in {s.source}): "
                        "nothing was sent in clear text"
                    )
                try:
                    smtp.starttls(context=_tls_context(s))
                except ssl.SSLCertVerificationError as exc:
                    raise MailError(
                        f"cannot verify the certificate of the SMTP relay {s.address}: {_reason(exc)} "
                        f"(set [smtp] cafile in {s.source} to the CA that signed it)"
                    ) from None
                except (ssl.SSLError, OSError) as exc:
                    raise MailError(f"STARTTLS with the SMTP relay {s.address} failed: {_reason(exc)}") from None
                smtp.ehlo()
            if s.user:
                if not self.password:
                    raise MailError(
                        f"the SMTP relay {s.address} login {s.user!r} needs its password in ILS_SMTP_PASSWORD"
                    )
                try:
                    _login(smtp, s.user, self.password)
                except smtplib.SMTPAuthenticationError as exc:
                    raise MailError(
                        f"the SMTP relay {s.address} refused the login {s.user!r}: {_reason(exc)}"
                    ) from None
                except smtplib.SMTPNotSupportedError as exc:
                    raise MailError(f"the SMTP relay {s.address} does not offer a login (AUTH): {exc}") from None
        except MailError:
            _quit(smtp)
            raise
        except (OSError, smtplib.SMTPException) as exc:
            _quit(smtp)
            raise MailError(f"the SMTP relay {s.address} broke off: {_reason(exc)}") from None
        self.smtp = smtp
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            _quit(self.smtp)
            self.smtp = None


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Log in at the relay; a login or password with letters beyond ASCII (å, ä, ö) goes as UTF-8 (AUTH PLAIN).

    smtplib sends the credentials as ASCII only and fails on anything else, while
    AUTH PLAIN is defined on UTF-8 (RFC 4616).
    """
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    if "plain" not in smtp.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPNotSupportedError("the relay offers no AUTH PLAIN for a login or password beyond ASCII")
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, resp = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, resp)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def send(
    letters: Sequence[Letter],
    settings: SmtpSettings,
    password: str | None = None,
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Delivery:
    """Send every letter through the relay, one message each; return what happened to each.

    ``on_outcome`` is called right after each letter is sent or has failed (so a
    caller can record it before the next one). A connection that cannot be made,
    or a login the relay refuses, fails every remaining letter with the same
    one-line reason; a refused recipient or a broken connection fails that
    letter, and the next one gets a new connection.
    """
    relay = _Relay(settings, password)
    delivery = Delivery()
    fatal: str | None = None

    def done(outcome: Outcome) -> None:
        delivery.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    try:
        for letter in letters:
            if fatal is not None:
                done(Outcome(letter, False, fatal))
                continue
            try:
                smtp = relay.smtp or relay.open()
            except MailError as exc:
                fatal = redact(str(exc))
                done(Outcome(letter, False, fatal))
                continue
            msg = build(letter, settings)
            try:
                smtp.send_message(msg, from_addr=settings.sender, to_addrs=[letter.to])
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()), (0, b""))
                why = _reason(smtplib.SMTPResponseException(code, text))
                done(
                    Outcome(
                        letter, False, f"the SMTP relay {settings.address} refused the recipient {letter.to}: {why}"
                    )
                )
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                done(
                    Outcome(
                        letter,
                        False,
                        f"the SMTP relay {settings.address} refused the message to {letter.to}: {_reason(exc)}",
                    )
                )
            except (OSError, smtplib.SMTPException) as exc:  # the connection broke: the next letter reconnects
                relay.smtp = None
                done(
                    Outcome(
                        letter,
                        False,
                        f"the SMTP relay {settings.address} broke off while sending to {letter.to}: {_reason(exc)}",
                    )
                )
            else:
                done(Outcome(letter, True, message_id=str(msg["Message-ID"])))
    finally:
        relay.close()
    return delivery
