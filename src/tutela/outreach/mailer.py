"""Sending email: the `Message`, the `Mailer` protocol and its SMTP implementation.

The in-memory twin is `tutela.testing.OutboxMailer`. Every failure to hand a message to the
server is one `MailNotSent` whose text names the server and the kind of failure, never the
recipient or the content (a server's reply can quote the recipient, so it is not repeated).
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import SecretStr

from tutela.clock import Clock, SystemClock
from tutela.core.crypto import random_id
from tutela.errors import ConfigError, MailNotSent

if TYPE_CHECKING:
    from tutela.config import Settings

Security = Literal["starttls", "tls", "none"]


@dataclass(frozen=True)
class Message:
    """One email to one recipient, with a plain-text body and its HTML alternative.

    `kind` says which message it is (e.g. `verification_code`); the sender is the mailer's.
    """

    to: str
    subject: str
    text: str
    html: str
    kind: str = ""


class Mailer(Protocol):
    """Something that delivers a `Message` or raises `MailNotSent`."""

    def send(self, message: Message) -> None: ...


class SmtpMailer:
    """Delivers through an SMTP server, opening one connection per message.

    Args:
        host: the mail server.
        sender: the From address, optionally with a display name (`Shop <privacy@shop.example>`).
        port: the server port (587 for STARTTLS, 465 for implicit TLS, 25 for a local relay).
        security: `starttls` (upgrade before anything is sent; refused if the server does not
            offer it), `tls` (implicit TLS), or `none` (plain text: a relay on the same host).
        username: login name; the password is then required.
        password: login password.
        timeout: seconds to wait for the server at each step.
        clock: the `Date` header's source.
        ssl_context: for a server with a private CA; default: the system's trusted CAs with
            host name checking.
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        *,
        sender: str,
        port: int = 587,
        security: Security = "starttls",
        username: str | None = None,
        password: SecretStr | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("an SMTP login needs both a username and a password")
        self.host = host
        self.port = port
        self.security: Security = security
        self.username = username
        self._password = password
        self.timeout = timeout
        self._sender = _parse_sender(sender)
        self._clock: Clock = clock or SystemClock()
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"SmtpMailer(host={self.host!r}, port={self.port}, security={self.security!r})"

    @property
    def server(self) -> str:
        """`host:port`, as named in errors."""
        return f"{self.host}:{self.port}"

    def send(self, message: Message) -> None:
        """Deliver `message` to the server.

        Raises:
            MailNotSent: the recipient address is malformed, or the connection, TLS, login or
                delivery failed.
        """
        email = self._compose(message)
        stage = "connect"
        try:
            with self._connect() as smtp:
                if self.security == "starttls":
                    stage = "starttls"
                    smtp.starttls(context=self._context())
                if self.username is not None and self._password is not None:
                    stage = "login"
                    smtp.login(self.username, self._password.get_secret_value())
                stage = "send"
                smtp.send_message(email, from_addr=self._sender.addr_spec, to_addrs=[message.to])
        except (smtplib.SMTPException, OSError) as exc:
            # `from None`: the original's text may quote the recipient or a server reply.
            raise MailNotSent(f"mail not sent via {self.server}: {_failure(exc, stage)}") from None

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _compose(self, message: Message) -> EmailMessage:
        return compose(message, self._sender, self._clock.now(), self.server)


def compose(message: Message, sender: Address, at: datetime, where: str) -> EmailMessage:
    """The MIME message (plain text with an HTML alternative) for `message`.

    Raises:
        MailNotSent: the recipient address or a header is not valid (`where` names the route).
    """
    try:
        recipient = Address(addr_spec=message.to)
        if not (recipient.username and recipient.domain):
            raise ValueError("no domain")
    except Exception:  # the stdlib parser raises several types; all mean "malformed"
        raise MailNotSent(
            f"mail not sent via {where}: the recipient address is not valid"
        ) from None
    email = EmailMessage()
    try:
        email["Subject"] = message.subject
        email["From"] = sender
        email["To"] = recipient
        email["Date"] = format_datetime(at)
        email["Message-ID"] = f"<{random_id('msg')}@{sender.domain}>"
    except ValueError:  # a CR or LF in the subject: refused rather than folded into headers
        raise MailNotSent(
            f"mail not sent via {where}: a header of the message is not valid"
        ) from None
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class DirectoryMailer:
    """Writes each message as an `.eml` file into a directory instead of sending it: for
    development and demos (`mail_outbox_dir`). Files are readable by their owner only."""

    name = "directory"

    def __init__(self, directory: Path, *, sender: str, clock: Clock | None = None) -> None:
        self.directory = directory
        self._sender = _parse_sender(sender)
        self._clock: Clock = clock or SystemClock()

    def send(self, message: Message) -> None:
        """Write `message` to `<directory>/<time>-<kind>-<id>.eml`.

        Raises:
            MailNotSent: the message is malformed or the directory is not writable.
        """
        now = self._clock.now()
        email = compose(message, self._sender, now, f"directory {self.directory}")
        name = f"{now:%Y%m%dT%H%M%S%f}-{message.kind or 'message'}-{random_id('eml')}.eml"
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(bytes(email))
        except OSError as exc:
            raise MailNotSent(
                f"mail not written to directory {self.directory}: {type(exc).__name__}"
            ) from None


class _Unconfigured:
    """The mailer when no SMTP server is configured: sending fails loudly, never silently."""

    name = "unconfigured"

    def send(self, message: Message) -> None:
        raise MailNotSent(
            "no SMTP server configured: set smtp_host in tutela.toml or TUTELA_SMTP_HOST "
            "(or mail_outbox_dir to write emails to files)"
        )


def mailer_from_settings(settings: Settings, *, clock: Clock | None = None) -> Mailer:
    """The mailer the settings describe; without `smtp_host`, one whose `send` raises.

    Raises:
        ConfigError: only one of `smtp_username` and `smtp_password` is set.
    """
    if settings.smtp_host is None:
        if settings.mail_outbox_dir is not None:
            return DirectoryMailer(settings.mail_outbox_dir, sender=settings.mail_from, clock=clock)
        return _Unconfigured()
    if (settings.smtp_username is None) != (settings.smtp_password is None):
        raise ConfigError("smtp_username and smtp_password must be set together")
    return SmtpMailer(
        settings.smtp_host,
        sender=settings.mail_from,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout_seconds,
        clock=clock,
    )


def _parse_sender(sender: str) -> Address:
    name, spec = "", sender.strip()
    if spec.endswith(">") and "<" in spec:
        name, _, spec = spec[:-1].rpartition("<")
    try:
        address = Address(display_name=name.strip().strip('"'), addr_spec=spec.strip())
    except Exception:  # the stdlib parser raises several types; all mean "malformed"
        raise ValueError("the sender is not a valid email address") from None
    if not (address.username and address.domain):
        raise ValueError("the sender is not a valid email address")
    return address


# What each failure is called, most specific first. Server replies are never quoted (they can
# name the recipient); only their numeric code is.
_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (smtplib.SMTPAuthenticationError, "authentication failed"),
    (smtplib.SMTPRecipientsRefused, "the server refused the recipient"),
    (smtplib.SMTPSenderRefused, "the server refused the sender"),
    (smtplib.SMTPDataError, "the server refused the message"),
    (smtplib.SMTPConnectError, "the server refused the session"),
    (smtplib.SMTPHeloError, "the server refused the greeting"),
    (smtplib.SMTPServerDisconnected, "the server closed the connection"),
    (smtplib.SMTPResponseException, "unexpected server reply"),
    (smtplib.SMTPException, "SMTP error"),
    (ssl.SSLCertVerificationError, "the server's TLS certificate was not accepted"),
    (ssl.SSLError, "TLS failed"),
    (ConnectionRefusedError, "connection refused"),
    (socket.gaierror, "the host name could not be resolved"),
    (TimeoutError, "timed out"),
)
_NOT_OFFERED = {
    "starttls": "the server does not offer STARTTLS",
    "login": "the server does not offer authentication (AUTH)",
}


def _failure(exc: BaseException, stage: str) -> str:
    """What went wrong, in words that quote neither the message nor the server's reply."""
    if isinstance(exc, smtplib.SMTPNotSupportedError) and stage in _NOT_OFFERED:
        return _NOT_OFFERED[stage]
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):
        exc = exc.__context__  # smtplib reports a reply that never came as a disconnection
    kind = next(
        (text for cls, text in _FAILURES if isinstance(exc, cls)),
        f"network error ({type(exc).__name__})",
    )
    reply = f", reply {exc.smtp_code}" if isinstance(exc, smtplib.SMTPResponseException) else ""
    return f"{kind} (during {stage}{reply})"
