"""`Settings.load`: explicit values > `TUTELA_*` > the home's `tutela.toml` > defaults, with the
environment taken from the mapping the caller passes, so nothing reads process state unasked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela import Settings
from tutela.errors import ConfigError

KEY = "1:" + "QUJD" * 11  # a well-formed-looking secret; only its absence from repr matters


def test_defaults_without_environment_or_toml(tmp_path: Path) -> None:
    """With nothing configured, a home works on its own SQLite file."""
    settings = Settings.load(tmp_path, environ={})
    assert settings.home == tmp_path
    assert settings.database_url is None
    assert settings.master_key is None
    assert (settings.busy_timeout_ms, settings.import_batch_size) == (30_000, 1_000)
    assert settings.phone_default_region == "GB"


def test_environment_comes_from_the_given_mapping_not_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embedding applications and tests must be able to shut the process environment out."""
    monkeypatch.setenv("TUTELA_BUSY_TIMEOUT_MS", "1")
    monkeypatch.setenv("TUTELA_PHONE_DEFAULT_REGION", "FR")
    settings = Settings.load(tmp_path, environ={"TUTELA_BUSY_TIMEOUT_MS": "250"})
    assert settings.busy_timeout_ms == 250
    assert settings.phone_default_region == "GB"


def test_os_environ_is_the_default_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI passes no mapping, so the process environment is read."""
    monkeypatch.setenv("TUTELA_BUSY_TIMEOUT_MS", "7")
    assert Settings.load(tmp_path).busy_timeout_ms == 7


def test_constructing_settings_directly_reads_no_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only `load` gathers sources; the constructor is pure."""
    monkeypatch.setenv("TUTELA_IMPORT_BATCH_SIZE", "5")
    assert Settings(home=tmp_path).import_batch_size == 1_000


def test_unrelated_tutela_variables_are_ignored(tmp_path: Path) -> None:
    """TUTELA_DEBUG is read by the CLI, not a setting; it must not trip `extra="forbid"`."""
    assert Settings.load(tmp_path, environ={"TUTELA_DEBUG": "1"}).home == tmp_path


def test_source_order_explicit_over_environment_over_toml(tmp_path: Path) -> None:
    """Each source only fills what the higher ones leave unset."""
    (tmp_path / "tutela.toml").write_text(
        'busy_timeout_ms = 111\nimport_batch_size = 222\nphone_default_region = "US"\n'
    )
    settings = Settings.load(
        tmp_path,
        environ={"TUTELA_IMPORT_BATCH_SIZE": "333", "TUTELA_PHONE_DEFAULT_REGION": "DE"},
        phone_default_region="FR",
    )
    assert settings.busy_timeout_ms == 111  # only the TOML sets it
    assert settings.import_batch_size == 333  # the environment beats the TOML
    assert settings.phone_default_region == "FR"  # explicit beats both


def test_none_overrides_do_not_mask_lower_sources(tmp_path: Path) -> None:
    """`database_url=None` means "not given" (the CLI and fixtures pass it that way)."""
    url = "postgresql+psycopg://app@db/vault"
    settings = Settings.load(tmp_path, environ={"TUTELA_DATABASE_URL": url}, database_url=None)
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == url


def test_tutela_home_picks_the_home(tmp_path: Path) -> None:
    """TUTELA_HOME chooses the home (and its TOML); an explicit home beats it."""
    chosen = tmp_path / "vault"
    (chosen).mkdir()
    (chosen / "tutela.toml").write_text("busy_timeout_ms = 42\n")
    settings = Settings.load(environ={"TUTELA_HOME": str(chosen)})
    assert settings.home == chosen
    assert settings.busy_timeout_ms == 42  # the chosen home's TOML is the one read
    assert Settings.load(tmp_path, environ={"TUTELA_HOME": str(chosen)}).home == tmp_path


def test_default_home_is_under_the_given_home_directory(tmp_path: Path) -> None:
    """The fallback `~/.tutela` uses the HOME of the given mapping."""
    assert Settings.load(environ={"HOME": str(tmp_path)}).home == tmp_path / ".tutela"


def test_tilde_in_tutela_home_expands_with_the_given_environment(tmp_path: Path) -> None:
    """`~` should mean the given mapping's HOME, as for the default home."""
    settings = Settings.load(environ={"TUTELA_HOME": "~/vault", "HOME": str(tmp_path)})
    assert settings.home == tmp_path / "vault"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("import_batch_size", "0"),
        ("busy_timeout_ms", "soon"),
        ("sqlite_synchronous", "SOMETIMES"),
    ],
)
def test_an_invalid_value_names_the_setting(tmp_path: Path, name: str, value: str) -> None:
    """The operator must know which variable to fix."""
    with pytest.raises(ConfigError, match=f"invalid settings: {name}: "):
        Settings.load(tmp_path, environ={f"TUTELA_{name.upper()}": value})


def test_an_unknown_toml_key_or_bad_toml_is_a_config_error(tmp_path: Path) -> None:
    """A typo in tutela.toml is refused, not ignored; bad syntax names the file."""
    toml = tmp_path / "tutela.toml"
    toml.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="colour"):
        Settings.load(tmp_path, environ={})
    toml.write_text("busy_timeout_ms = \n")
    with pytest.raises(ConfigError, match=str(toml)):
        Settings.load(tmp_path, environ={})


def test_resolved_database_url(tmp_path: Path) -> None:
    """Without a URL the database is the home's own SQLite file."""
    assert Settings.load(tmp_path, environ={}).resolved_database_url == (
        f"sqlite:///{tmp_path / 'tutela.db'}"
    )
    url = "postgresql+psycopg://app@db/vault"
    assert Settings.load(tmp_path, environ={}, database_url=url).resolved_database_url == url


def test_home_files(tmp_path: Path) -> None:
    """Every home file lives inside the home directory."""
    settings = Settings.load(tmp_path, environ={})
    assert settings.key_file == tmp_path / "keys.json"
    assert settings.datamap_file == tmp_path / "datamap.yaml"
    assert settings.audit_head_file == tmp_path / "audit.head"


def test_master_key_is_secret(tmp_path: Path) -> None:
    """The key-encryption key must not end up in logs or tracebacks through repr/str."""
    settings = Settings.load(tmp_path, environ={"TUTELA_MASTER_KEY": KEY})
    assert settings.master_key is not None
    assert settings.master_key.get_secret_value() == KEY
    for text in (
        repr(settings),
        str(settings),
        repr(settings.master_key),
        str(settings.master_key),
    ):
        assert KEY not in text
        assert "QUJD" not in text


def test_settings_are_frozen(tmp_path: Path) -> None:
    """Settings are built once and passed down; nobody may change them midway."""
    settings = Settings.load(tmp_path, environ={})
    with pytest.raises(ValueError, match="frozen"):
        settings.busy_timeout_ms = 1  # type: ignore[misc]
