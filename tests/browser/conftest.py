"""Fixtures for the browser tests: Tutela served for real, a test shop on a second origin
that embeds the consent widget with one script tag, and headless Chromium (Playwright).

The browser is the system's `/usr/bin/chromium` (Debian package, installed by
`scripts/ensure-chromium`); no browser is ever downloaded. Chromium missing is a failure,
not a skip. Screenshots go to `${TUTELA_TEST_ARTIFACTS:-.artifacts}/browser/`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, ApiServer, Shop, Site
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tutela import Settings, Tutela


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests cannot run. "
            "Run scripts/ensure-chromium (make test does), or set TUTELA_TEST_CHROMIUM.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    base = Path(os.environ.get("TUTELA_TEST_ARTIFACTS") or ".artifacts")
    if not base.is_absolute():
        base = request.config.rootpath / base
    path = base / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def site(
    settings: Settings, database_url: str | None, backend: str, artifacts: Path
) -> Iterator[Site]:
    """A fresh home served on its own port, allowing the shop's origin, and a collector key."""
    Tutela.init(settings=settings).close()
    shop = Shop()
    shop.start()
    served = Settings.load(
        settings.home, environ={}, database_url=database_url, cors_origins=[shop.origin]
    )
    vault = Tutela.open(settings=served)
    server = ApiServer(served)
    try:
        _, key = vault.create_api_key(name="widget", role="collector")
        shop.api, shop.key = server.url, key
        server.start()
        yield Site(server.url, shop, key, vault, backend, artifacts)
    finally:
        server.stop()
        vault.close()
        shop.stop()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """`new_page(viewport=…, extra_http_headers=…)`: a page in a fresh browser context (its
    own cookies). Uncaught errors and console errors or warnings (a refused CORS request, a
    widget that could not save) fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(**context_options: Any) -> Page:
        context_options.setdefault("viewport", {"width": 1100, "height": 760})
        context = browser.new_context(**context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.on(
            "console",
            lambda msg: msg.type in {"error", "warning"} and errors.append(f"console: {msg.text}"),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"the page reported errors: {errors}"
