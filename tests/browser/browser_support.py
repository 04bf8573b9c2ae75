"""Helpers of the browser tests (imported by name: the tests have no packages): Tutela's API
served for real in a thread, and a test shop on a second origin that embeds the widget."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page

from tutela import Settings, Tutela
from tutela.api import create_app

HOST = "127.0.0.1"
CHROMIUM = Path(os.environ.get("TUTELA_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 20.0
# The shop's own inline script: it records every `tutela:consent` event and CSP violation.
SHOP_SCRIPT = (
    "window.tutelaEvents=[];window.cspViolations=[];"
    'document.addEventListener("tutela:consent",e=>window.tutelaEvents.push(e.detail));'
    'document.addEventListener("securitypolicyviolation",'
    "e=>window.cspViolations.push(e.violatedDirective+' '+e.blockedURI));"
)
SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example Shop</title></head>
<body>
<header><h1>Example Shop</h1><nav><a href="/">Home</a> <a href="/basket">Basket</a></nav></header>
<main><p>Handmade things, shipped with care.</p></main>
<script>{shop_script}</script>
<script src="{api}/consent.js" data-key="{key}" async></script>
</body></html>
"""


def free_socket() -> socket.socket:
    """A listening-ready TCP socket on a free 127.0.0.1 port (no race with another test)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


def csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@dataclass
class Shop:
    """The embedding website: one page on its own origin, under a strict CSP of its own
    (no inline styles allowed, so the widget must style itself without them)."""

    api: str = ""
    key: str = ""
    server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None
        return f"http://{HOST}:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.origin + "/"

    def page(self) -> bytes:
        return SHOP_PAGE.format(shop_script=SHOP_SCRIPT, api=self.api, key=self.key).encode()

    def csp(self) -> str:
        return (
            f"default-src 'self'; script-src {csp_hash(SHOP_SCRIPT)} {self.api}/consent.js; "
            f"connect-src {self.api}; style-src 'self'; img-src 'self'; base-uri 'none'"
        )

    def start(self) -> None:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] not in {"/", "/basket"}:
                    self.send_response(204 if self.path == "/favicon.ico" else 404)
                    self.end_headers()
                    return
                body = shop.page()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", shop.csp())
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        threading.Thread(target=self.server.serve_forever, name="shop", daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Site:
    """Tutela's API on one origin, the shop on another, and an SDK handle for assertions."""

    api: str
    shop: Shop
    key: str
    vault: Tutela
    backend: str
    artifacts: Path

    def screenshot(self, page: Page, name: str) -> Path:
        path = self.artifacts / f"{name}-{self.backend}.png"
        page.screenshot(path=str(path))
        return path


class ApiServer:
    """`create_app(settings)` on uvicorn in a thread of this process, on a pre-bound socket."""

    def __init__(self, settings: Settings) -> None:
        self._sock = free_socket()
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(settings), log_level="warning", access_log=False, lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="tutela-api"
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the Tutela API server did not start", pytrace=False)
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()
