"""Request and response bodies of the HTTP API (Pydantic v2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FieldValue = str | int | bool | list[str] | None


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Problem(_Out):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class SubjectCreated(_Out):
    id: str


class SubjectValues(_Out):
    id: str
    purpose: str
    values: dict[str, FieldValue]


class SubjectUpdated(_Out):
    id: str
    updated: list[str]


class ImportResult(_Out):
    stored: int
    ids: list[str]


class FindRequest(BaseModel):
    """A search by value: in the body, so values never reach URLs or access logs."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=63)
    value: str | int | bool | list[str] = Field(union_mode="left_to_right")
    purpose: str = Field(max_length=63)


class FindResult(_Out):
    field: str
    ids: list[str]


class DataMapOut(_Out):
    version: str
    datamap: dict[str, Any]


class AuditEntryOut(_Out):
    seq: int
    at: datetime
    actor: str
    role: str | None
    action: str
    outcome: str
    subject: str | None
    fields: list[str]
    purpose: str | None
    detail: str | None


class AuditPage(_Out):
    entries: list[AuditEntryOut]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


class VerifyResult(_Out):
    ok: bool
    entries: int
    first_broken: int | None
    reason: str | None


class RotationResult(_Out):
    kek_version: int
    rewrapped: int


class Health(_Out):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
