"""Alembic environment: runs against the engine handed over in `config.attributes`."""

from __future__ import annotations

import importlib

from alembic import context

from tutela.core.storage.base import metadata

# Register every model on the shared metadata for autogenerate, without a static import from
# core into the services (the layer contracts forbid that).
importlib.import_module("tutela._models")

config = context.config
engine = config.attributes.get("engine")
# A restore builds the schema inside its own transaction: it hands over its connection, and
# commits (or rolls back) itself.
given = config.attributes.get("connection")

if given is not None:
    context.configure(
        connection=given,
        target_metadata=metadata,
        render_as_batch=given.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    assert engine is not None, "config.attributes needs an engine or a connection"
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
