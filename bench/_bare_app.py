"""The baseline for `http_load.py`: FastAPI with one endpoint returning a small JSON object.

Served exactly as `tutela serve` serves Tutela (the same uvicorn options, uvloop, httptools,
and the same workers, each on a socket of its own), so the ratio of Tutela's requests/s to this
one's is what Tutela's own work per request costs: authentication, validation, the database,
sealing and the audit chain.

    python bench/_bare_app.py --port 8001 --workers 2
"""

from __future__ import annotations

import argparse
import sys

from fastapi import FastAPI

from tutela.cli.serve import serve_app

PATH = "/ping"


def create_app() -> FastAPI:
    """The bare application (a factory, so workers build it and nothing runs at import)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get(PATH)
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    return serve_app("_bare_app:create_app", args.host, args.port, args.workers)


if __name__ == "__main__":
    sys.exit(main())
