"""`tutela serve`: the HTTP API on uvicorn (uvloop and httptools), one or several workers."""

from __future__ import annotations

import logging.config
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tutela.cli._common import HomeOption, fail, settings_for
from tutela.cli.workers import CannotListen, Supervisor

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]


def log_config() -> dict[str, Any]:
    """Tutela's one-JSON-line-per-request access log on stdout; uvicorn's and Tutela's other
    messages on stderr, one JSON object each (`tutela.api.logs`).

    Uvicorn's access log is off: it would print paths, which can hold subject ids.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(message)s"},
            "server": {"()": "tutela.api.logs.JsonLines"},
        },
        "handlers": {
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stdout",
            },
            "server": {
                "class": "logging.StreamHandler",
                "formatter": "server",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "tutela.api.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "tutela": {"handlers": ["server"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["server"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
        },
    }


def uvicorn_options(app: str) -> dict[str, Any]:
    """How Tutela runs an app factory on uvicorn: uvloop, httptools, its own access log."""
    return {
        "app": app,
        "factory": True,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_config": log_config(),
        "server_header": False,
    }


def serve_app(app: str, host: str, port: int, workers: int) -> int:
    """Serve the app factory `app` (an import string) until interrupted; the exit status.

    Several workers each listen on a socket of their own (`workers.Supervisor`), so the kernel
    spreads connections across them.

    Raises:
        CannotListen: with several workers, the address cannot be bound (a single worker is
            plain uvicorn, which reports that itself).
    """
    import uvicorn

    options = uvicorn_options(app)
    if workers == 1:
        uvicorn.run(host=host, port=port, **options)
        return 0
    logging.config.dictConfig(options["log_config"])  # the supervisor's own messages
    return Supervisor(options, host, port, workers).run()


def run_server(home: Path, host: str, port: int, workers: int) -> None:
    """Serve the home until interrupted. Workers build the app from `TUTELA_HOME`."""
    os.environ["TUTELA_HOME"] = str(home)
    try:
        status = serve_app("tutela.api.app:from_environment", host, port, workers)
    except CannotListen as exc:
        fail(str(exc))
    if status:
        raise typer.Exit(status)


def serve(
    home: HomeOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Server processes.")] = 1,
) -> None:
    """Serve the HTTP API (`/v1`, `/docs`, `/openapi.json`, `/healthz`, `/readyz`)."""
    from tutela._facade import Tutela

    settings = settings_for(home)
    Tutela.open(settings=settings).close()  # fail here, with a clear message, not in a worker
    run_server(settings.home, host, port, workers)
