"""`ConnectorSettings`: one of the business's other SQL databases, as `tutela.toml` declares it.

```toml
[[connectors]]
name = "shop"
url = "postgresql+psycopg://tutela:secret@db.internal/shop"
schema = "sales"
table = "customers"
identity_column = "email"
identity_field = "email"
columns = ["email", "name", "city"]
erase = "delete"
```

Only the shape is checked here (no connection is made); `Connector.check` verifies the table
and columns against the database itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
DEFAULT_MASK = "[erased]"

Identifier = Annotated[str, Field(min_length=1, max_length=128)]
EraseAction = Literal["delete", "null", "mask"]
MatchMode = Literal["casefold", "exact"]


class ConnectorSettings(BaseModel):
    """How to find, collect and erase one customer's rows in one table of another database."""

    # Errors never quote the input: it may be the URL with its password.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str = Field(pattern=NAME_PATTERN, description="Unique name: [a-z][a-z0-9_-]{0,39}.")
    url: SecretStr = Field(description="SQLAlchemy URL (secret: may hold a password).")
    db_schema: Identifier | None = Field(
        default=None, alias="schema", description="Schema holding the table (PostgreSQL)."
    )
    table: Identifier = Field(description="The table holding the customers' rows.")
    identity_column: Identifier = Field(description="Column matched against the identity.")
    identity_field: Identifier = Field(
        description="Vault field (declared in the data map) whose value is matched."
    )
    match: MatchMode = Field(
        default="casefold", description="casefold: lower() on both sides; exact: as stored."
    )
    columns: tuple[Identifier, ...] = Field(
        min_length=1, description="Columns an access request collects (and erasure clears)."
    )
    erase: EraseAction = Field(
        description="delete the rows, set the columns to NULL, or mask them."
    )
    mask_value: str | None = Field(
        default=None,
        min_length=1,
        description=f"Text written by erase = 'mask' into text columns (default {DEFAULT_MASK}).",
    )
    timeout_seconds: float = Field(
        default=10, gt=0, le=300, description="Connect and statement timeout."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        try:
            make_url(value.get_secret_value())
        except (ArgumentError, ValueError):
            raise ValueError("not a valid SQLAlchemy URL") from None
        return value

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a column is listed twice")
        return value

    @field_validator("mask_value")
    @classmethod
    def _mask_value(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("erase", "mask") != "mask":
            raise ValueError("applies only to erase = 'mask'")
        return value

    @property
    def erased_columns(self) -> tuple[str, ...]:
        """What erase = null/mask clears: the collected columns and the identity column."""
        if self.identity_column in self.columns:
            return self.columns
        return (*self.columns, self.identity_column)

    @property
    def mask(self) -> str:
        """The text erase = 'mask' writes."""
        return self.mask_value if self.mask_value is not None else DEFAULT_MASK

    @property
    def qualified_table(self) -> str:
        return f"{self.db_schema}.{self.table}" if self.db_schema else self.table


def _from_json(value: Any) -> Any:
    """`TUTELA_CONNECTORS` holds the list as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("not a JSON list of connectors") from None
    return value


def _unique_names(value: Sequence[ConnectorSettings]) -> Sequence[ConnectorSettings]:
    seen: set[str] = set()
    for spec in value:
        if spec.name in seen:
            raise ValueError(f"connector name '{spec.name}' is used twice")
        seen.add(spec.name)
    return value


ConnectorList = Annotated[
    list[ConnectorSettings], BeforeValidator(_from_json), AfterValidator(_unique_names)
]
"""The type of `Settings.connectors`: a list (JSON text from the environment), names unique."""
