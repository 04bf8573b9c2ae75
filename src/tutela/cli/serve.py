"""`tutela serve`: the HTTP API on uvicorn (uvloop and httptools), one or several workers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tutela.cli._common import HomeOption, settings_for

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]


def log_config() -> dict[str, Any]:
    """Uvicorn's own messages plus Tutela's one-JSON-line-per-request access log on stdout.

    Uvicorn's access log is off: it would print paths, which can hold subject ids.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(message)s"},
            "server": {"format": "%(levelname)s %(name)s: %(message)s"},
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
            "uvicorn": {"handlers": ["server"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
        },
    }


def run_server(home: Path, host: str, port: int, workers: int) -> None:
    """Serve the home until interrupted. Workers build the app from `TUTELA_HOME`."""
    import uvicorn

    os.environ["TUTELA_HOME"] = str(home)
    uvicorn.run(
        "tutela.api.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=log_config(),
        server_header=False,
    )


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
