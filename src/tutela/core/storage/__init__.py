"""Storage: the SQLAlchemy engine, the shared metadata and Alembic migrations."""

from tutela.core.storage.base import Base, metadata
from tutela.core.storage.engine import create_engine_for, is_sqlite

__all__ = ["Base", "create_engine_for", "is_sqlite", "metadata"]
