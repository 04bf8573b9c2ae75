"""Fixtures of the outreach tests: SMTP servers on loopback and a data-map controller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from outreach_support import Certificate, Inbox, Server, authenticator, make_certificate, run_server

from tutela.datamap.spec import Controller as DataController


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    """Plain SMTP: offers neither STARTTLS nor AUTH."""
    yield from run_server(Inbox())


@pytest.fixture
def starttls_server(certificate: Certificate) -> Iterator[Server]:
    """Requires STARTTLS before anything else; offers AUTH once encrypted and requires it."""
    yield from run_server(
        Inbox(),
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )


@pytest.fixture
def tls_server(certificate: Certificate) -> Iterator[Server]:
    """Implicit TLS (the "SMTPS" of port 465)."""
    yield from run_server(Inbox(), ssl_context=certificate.server_context())


@pytest.fixture
def controller() -> DataController:
    return DataController(
        name="Acme Shop Ltd",
        contact="privacy@acme.example",
        dpo="Dana Protect",
        supervisory_authority="Information Commissioner's Office, https://ico.org.uk/make-a-complaint/",
    )
