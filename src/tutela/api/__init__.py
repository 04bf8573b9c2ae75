"""The HTTP API (FastAPI): the vault's main door for applications."""

from tutela.api.app import create_app

__all__ = ["create_app"]
