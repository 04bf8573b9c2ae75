"""Outgoing email to customers: the `Mailer` protocol, SMTP delivery and the messages.

`mailer_from_settings` builds the configured mailer; `messages` builds each email (one-time
code, request received, completed, rejected) from templates kept as package data. The
in-memory twin of the mailer is `tutela.testing.OutboxMailer`.
"""

from tutela.outreach import messages
from tutela.outreach.mailer import (
    DirectoryMailer,
    Mailer,
    Message,
    SmtpMailer,
    mailer_from_settings,
)

__all__ = [
    "DirectoryMailer",
    "Mailer",
    "Message",
    "SmtpMailer",
    "mailer_from_settings",
    "messages",
]
