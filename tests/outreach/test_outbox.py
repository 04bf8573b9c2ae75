"""`OutboxMailer`, the in-memory twin, and the mailer built from settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from tutela import Settings
from tutela.datamap.spec import Controller
from tutela.errors import ConfigError, MailNotSent
from tutela.outreach import Mailer, SmtpMailer, mailer_from_settings, messages
from tutela.testing import OutboxMailer


def test_outbox_keeps_messages_in_order_and_finds_the_last_per_address(
    controller: Controller,
) -> None:
    outbox: Mailer = OutboxMailer()
    first = messages.verification_code(controller, "ada@example.com", "111111", 10)
    second = messages.request_received(controller, "bob@example.com", "r1", "access", date.today())
    third = messages.verification_code(controller, "ada@example.com", "222222", 10)
    for message in (first, second, third):
        outbox.send(message)
    assert isinstance(outbox, OutboxMailer)
    assert outbox.messages == [first, second, third]
    assert outbox.last_to("ada@example.com") is third
    assert outbox.last_to("BOB@example.com") is second
    with pytest.raises(LookupError):
        outbox.last_to("carol@example.com")


def test_codes_for_reads_only_verification_codes_of_that_address(controller: Controller) -> None:
    outbox = OutboxMailer()
    outbox.send(messages.verification_code(controller, "ada@example.com", "111111", 10))
    outbox.send(messages.verification_code(controller, "bob@example.com", "999999", 10))
    outbox.send(
        messages.request_received(controller, "ada@example.com", "123456", "access", date.today())
    )
    outbox.send(messages.verification_code(controller, "Ada@Example.com", "222222", 10))
    assert outbox.codes_for("ada@example.com") == ["111111", "222222"]
    assert outbox.codes_for("carol@example.com") == []


def test_without_smtp_host_sending_fails_loudly(tmp_path: Path, controller: Controller) -> None:
    mailer = mailer_from_settings(Settings.load(tmp_path, environ={}))
    message = messages.verification_code(controller, "ada@example.com", "111111", 10)
    with pytest.raises(MailNotSent, match="no SMTP server configured: set smtp_host"):
        mailer.send(message)


def test_settings_describe_the_smtp_mailer(tmp_path: Path) -> None:
    settings = Settings.load(
        tmp_path,
        environ={
            "TUTELA_SMTP_HOST": "mail.acme.example",
            "TUTELA_SMTP_PORT": "465",
            "TUTELA_SMTP_SECURITY": "tls",
            "TUTELA_SMTP_USERNAME": "mailer",
            "TUTELA_SMTP_PASSWORD": "s3cret-pass",
            "TUTELA_MAIL_FROM": "Acme Privacy <privacy@acme.example>",
            "TUTELA_SMTP_TIMEOUT_SECONDS": "2.5",
        },
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "mail.acme.example",
        465,
        "tls",
    )
    assert settings.smtp_username == "mailer"
    assert settings.smtp_password == SecretStr("s3cret-pass")
    assert "s3cret-pass" not in repr(settings)
    assert settings.mail_from == "Acme Privacy <privacy@acme.example>"
    assert settings.smtp_timeout_seconds == 2.5
    mailer = mailer_from_settings(settings)
    assert isinstance(mailer, SmtpMailer)
    assert (mailer.host, mailer.port, mailer.security, mailer.timeout) == (
        "mail.acme.example",
        465,
        "tls",
        2.5,
    )


def test_smtp_defaults(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path, environ={})
    assert settings.smtp_host is None
    assert (settings.smtp_port, settings.smtp_security) == (587, "starttls")
    assert settings.smtp_username is None and settings.smtp_password is None
    assert settings.mail_from == "privacy@localhost"
    assert settings.smtp_timeout_seconds == 10


def test_smtp_settings_from_the_toml_file(tmp_path: Path) -> None:
    (tmp_path / "tutela.toml").write_text(
        'smtp_host = "localhost"\nsmtp_port = 25\nsmtp_security = "none"\n', encoding="utf-8"
    )
    settings = Settings.load(tmp_path, environ={})
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "localhost",
        25,
        "none",
    )


@pytest.mark.parametrize(
    "value",
    ["not-an-address", "a@b@c", "privacy@", "Acme <privacy@acme.example", "a@x.example\nBcc: e@x"],
)
def test_an_invalid_mail_from_names_the_setting(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="mail_from"):
        Settings.load(tmp_path, environ={"TUTELA_MAIL_FROM": value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TUTELA_SMTP_SECURITY", "ssl"),
        ("TUTELA_SMTP_PORT", "0"),
        ("TUTELA_SMTP_TIMEOUT_SECONDS", "0"),
    ],
)
def test_invalid_smtp_values_name_the_setting(tmp_path: Path, name: str, value: str) -> None:
    setting = name.removeprefix("TUTELA_").lower()
    with pytest.raises(ConfigError, match=setting):
        Settings.load(tmp_path, environ={name: value})


def test_a_username_without_a_password_is_a_config_error(tmp_path: Path) -> None:
    settings = Settings.load(
        tmp_path, environ={"TUTELA_SMTP_HOST": "mail.example", "TUTELA_SMTP_USERNAME": "mailer"}
    )
    with pytest.raises(ConfigError, match="smtp_username and smtp_password"):
        mailer_from_settings(settings)


def test_the_directory_mailer_writes_each_message_as_a_private_eml_file(
    controller: Controller, tmp_path: Path
) -> None:
    from email import message_from_bytes, policy

    from tutela.outreach import DirectoryMailer

    outbox = tmp_path / "outbox"
    mailer = DirectoryMailer(outbox, sender="Shop <privacy@shop.example>")
    mailer.send(messages.verification_code(controller, "ada@example.com", "123456", 10))
    (written,) = list(outbox.glob("*-verification_code-*.eml"))
    assert written.stat().st_mode & 0o777 == 0o600
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["To"] == "ada@example.com"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "123456" in body.get_content()


def test_settings_with_an_outbox_directory_and_no_smtp_host_write_files(tmp_path: Path) -> None:
    from tutela.outreach import DirectoryMailer

    settings = Settings.load(tmp_path, environ={"TUTELA_MAIL_OUTBOX_DIR": str(tmp_path / "out")})
    assert isinstance(mailer_from_settings(settings), DirectoryMailer)
