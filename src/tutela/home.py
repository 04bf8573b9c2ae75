"""A Tutela home on disk: creating one, and the key provider it uses.

A home is a directory holding `tutela.toml`, `datamap.yaml`, the key file (unless
`TUTELA_MASTER_KEY` is used), the audit head checkpoint and, by default, the SQLite database.
"""

from __future__ import annotations

import shutil
from importlib import resources

from tutela.config import CONFIG_FILE, Settings
from tutela.core.crypto import EnvKeyProvider, FileKeyProvider, KeyProvider
from tutela.core.storage import create_engine_for
from tutela.core.storage import migrate as migrations
from tutela.datamap import load_datamap
from tutela.errors import ConfigError, HomeExists
from tutela.vault import keys as vault_keys
from tutela.vault import repository as vault_repository


def example_datamap() -> str:
    """The shipped example data map (a small online shop)."""
    return resources.files("tutela").joinpath("examples/datamap.yaml").read_text("utf-8")


def key_provider(settings: Settings) -> KeyProvider:
    """`TUTELA_MASTER_KEY` if set, else the home's key file."""
    if settings.master_key is not None:
        return EnvKeyProvider(settings.master_key.get_secret_value())
    if not settings.key_file.exists():
        raise ConfigError(f"no key file at {settings.key_file} and TUTELA_MASTER_KEY is not set")
    return FileKeyProvider(settings.key_file)


def create_home(
    settings: Settings, document: str | None, provider: KeyProvider | None = None
) -> KeyProvider:
    """Lay out a new home and its database: data map, key file, schema, system keys.

    Nothing is left behind if any step fails, so a failed init can simply be run again.

    Raises:
        DataMapInvalid: the data map has problems (checked before anything is created).
        HomeExists: the directory or the database already holds a Tutela home.
    """
    document = document if document is not None else example_datamap()
    load_datamap(document)
    root = settings.home
    if settings.datamap_file.exists() or settings.key_file.exists():
        raise HomeExists(f"{root} already holds a Tutela home; not overwriting it")
    created_dir = not root.exists()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if provider is None:
            provider = (
                EnvKeyProvider(settings.master_key.get_secret_value())
                if settings.master_key
                else FileKeyProvider.create(settings.key_file)
            )
        engine = create_engine_for(settings.resolved_database_url)
        try:
            migrations.upgrade(engine)
            with engine.begin() as conn:
                if vault_repository.system_keys(conn):
                    raise HomeExists(
                        "the database already holds a Tutela vault; not overwriting it"
                    )
                vault_keys.create_system_keys(conn, provider)
        finally:
            engine.dispose()
        settings.datamap_file.write_text(document, "utf-8")
        config = root / CONFIG_FILE
        if not config.exists():
            config.write_text("# Tutela settings; TUTELA_* environment variables win.\n")
    except BaseException:
        for path in (settings.key_file, settings.datamap_file, settings.audit_head_file):
            path.unlink(missing_ok=True)
        if created_dir:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return provider
