"""Request and response bodies of the data-subject request endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RequestKind = Literal[
    "access", "portability", "rectification", "erasure", "restriction", "objection"
]
RECEIVED_MESSAGE = (
    "If this address is known to us, a one-time code has been sent to it: present it to "
    "verify the request. The code expires in a few minutes."
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class NewRequest(_In):
    """A data-subject request as a privacy center or contact form submits it."""

    type: RequestKind
    email: str = Field(min_length=3, max_length=254, description="Where the code is sent.")
    jurisdiction: str | None = Field(
        default=None,
        max_length=8,
        pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$",
        examples=["DE", "US-CA"],
        description="ISO country (or subdivision): `US`/`US-CA` follow the CCPA, all else GDPR.",
    )


class CodeIn(_In):
    code: str = Field(min_length=1, max_length=16, description="The one-time code emailed.")


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=1_000, description="Told to the requester.")


class NoteIn(_In):
    note: str = Field(min_length=1, max_length=1_000, description="What staff did.")


class RequestReceived(_Out):
    """The same shape (and message) whether or not the email belongs to a customer."""

    id: str
    status: str
    due_on: date
    message: str = RECEIVED_MESSAGE


class RequestVerified(_Out):
    id: str
    status: str


class TimelineEvent(_Out):
    at: datetime
    status: str
    actor: str
    note: str


class RequestOut(_Out):
    """A request as staff see it: ids, statuses and dates, never the requester's email."""

    id: str
    type: str
    status: str
    regime: str
    subject_id: str | None
    received_at: datetime
    due_on: date
    latest_extension: date
    acknowledge_by: date | None
    extension_reason: str | None
    verified_at: datetime | None
    closed_at: datetime | None
    outcome: dict[str, Any]
    timeline: list[TimelineEvent] = Field(
        default_factory=list, description="Every step, oldest first (only on the single view)."
    )


class RequestList(_Out):
    requests: list[RequestOut]
