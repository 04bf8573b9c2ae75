"""`[[connectors]]` in tutela.toml and `TUTELA_CONNECTORS`: parsed into `Settings.connectors`,
with every bad value refused by an error that names the setting and never quotes the URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tutela import Settings
from tutela.connectors import ConnectorSettings
from tutela.errors import ConfigError

PASSWORD = "Pw-7f3kq9"  # a test value: only its absence from output matters

SHOP = """
[[connectors]]
name = "shop"
url = "postgresql+psycopg://tutela:{password}@db.internal:5432/shop"
schema = "sales"
table = "customers"
identity_column = "email"
identity_field = "email"
columns = ["email", "name", "city"]
erase = "mask"
mask_value = "[gone]"
timeout_seconds = 3.5

[[connectors]]
name = "crm-2"
url = "sqlite:////srv/crm.db"
table = "contacts"
identity_column = "mail"
identity_field = "email"
match = "exact"
columns = ["name"]
erase = "delete"
"""


def _home(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "tutela.toml").write_text(toml, encoding="utf-8")
    return tmp_path


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "shop",
        "url": f"postgresql://u:{PASSWORD}@h/db",
        "table": "customers",
        "identity_column": "email",
        "identity_field": "email",
        "columns": ["email"],
        "erase": "delete",
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def _toml(*entries: dict[str, Any]) -> str:
    blocks = []
    for entry in entries:
        lines = [f"{k} = {json.dumps(v)}" for k, v in entry.items()]
        blocks.append("[[connectors]]\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def test_connectors_are_read_from_tutela_toml(tmp_path: Path) -> None:
    settings = Settings.load(_home(tmp_path, SHOP.format(password=PASSWORD)), environ={})
    shop, crm = settings.connectors
    assert isinstance(shop, ConnectorSettings)
    assert (shop.name, shop.db_schema, shop.table, shop.qualified_table) == (
        "shop",
        "sales",
        "customers",
        "sales.customers",
    )
    assert (shop.identity_column, shop.identity_field, shop.match) == ("email", "email", "casefold")
    assert shop.columns == ("email", "name", "city")
    assert (shop.erase, shop.mask, shop.timeout_seconds) == ("mask", "[gone]", 3.5)
    assert shop.url.get_secret_value().endswith(f":{PASSWORD}@db.internal:5432/shop")
    assert (crm.db_schema, crm.match, crm.timeout_seconds, crm.mask) == (
        None,
        "exact",
        10,
        "[erased]",
    )
    assert crm.erased_columns == ("name", "mail")
    assert PASSWORD not in repr(settings) + str(settings)


def test_no_connectors_by_default(tmp_path: Path) -> None:
    assert Settings.load(tmp_path, environ={}).connectors == []


def test_connectors_from_the_environment_as_a_json_list(tmp_path: Path) -> None:
    environ = {"TUTELA_CONNECTORS": json.dumps([_entry(), _entry(name="other", erase="null")])}
    settings = Settings.load(tmp_path, environ=environ)
    assert [c.name for c in settings.connectors] == ["shop", "other"]
    with pytest.raises(ConfigError, match=r"connectors: .*not a JSON list"):
        Settings.load(tmp_path, environ={"TUTELA_CONNECTORS": "shop"})


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"erase": "shred"}, "connectors.1.erase"),
        ({"erase": None}, "connectors.1.erase"),
        ({"name": "Shop"}, "connectors.1.name"),
        ({"name": "x" * 41}, "connectors.1.name"),
        ({"match": "fuzzy"}, "connectors.1.match"),
        ({"columns": []}, "connectors.1.columns"),
        ({"columns": ["email", "email"]}, "connectors.1.columns"),
        ({"table": None}, "connectors.1.table"),
        ({"table": ""}, "connectors.1.table"),
        ({"timeout_seconds": 0}, "connectors.1.timeout_seconds"),
        ({"mask_value": "x"}, "connectors.1.mask_value"),  # erase is delete
        ({"url": f"nonsense {PASSWORD}"}, "connectors.1.url"),
        ({"colour": "red"}, "connectors.1.colour"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(
    tmp_path: Path, changes: dict[str, Any], location: str
) -> None:
    home = _home(tmp_path, _toml(_entry(name="fine"), _entry(**changes)))
    with pytest.raises(ConfigError) as raised:
        Settings.load(home, environ={})
    assert f"{location}:" in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_connector_names_are_unique(tmp_path: Path) -> None:
    home = _home(tmp_path, _toml(_entry(), _entry(erase="null")))
    with pytest.raises(ConfigError, match=r"connectors: .*'shop' is used twice"):
        Settings.load(home, environ={})


def test_a_validation_error_never_quotes_the_url() -> None:
    with pytest.raises(ValueError, match="url") as raised:
        ConnectorSettings.model_validate(_entry(url=f"nonsense {PASSWORD}"))
    assert PASSWORD not in str(raised.value)
