"""Database values made JSON-safe, for an access request's export."""

from __future__ import annotations

import base64
import datetime as dt
import enum
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeAlias

JSONable: TypeAlias = "str | int | float | bool | list[JSONable] | dict[str, JSONable] | None"


def json_safe(value: object) -> JSONable:  # noqa: PLR0911 (one return per kind)
    """A value `json.dumps` accepts and a reader understands.

    date, time and datetime become ISO 8601; Decimal its exact text; bytes base64; a duration
    its seconds; UUIDs and anything unknown their text. JSON columns keep their structure.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)
