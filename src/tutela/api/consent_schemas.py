"""Request and response bodies of the consent endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

Method = Literal["web_form", "api", "import", "gpc_signal", "staff"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConsentChoices(BaseModel):
    """Choices to record: purpose name → true (grant) or false (withdraw, or object)."""

    model_config = ConfigDict(extra="forbid")

    choices: dict[str, StrictBool] = Field(
        default_factory=dict, max_length=64, examples=[{"newsletter": True, "analytics": False}]
    )
    method: Method = "api"
    notice_version: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{16}$",
        description="The notice version the customer was shown (default: the current one).",
    )
    proof: str | None = Field(
        default=None,
        max_length=64,
        description="One of the subject's receipt ids: required from a collector key.",
    )


class ConsentRecorded(_Out):
    subject_id: str
    notice_version: str
    gpc_honoured: bool = Field(
        description="The request carried Sec-GPC: 1 and every sold or shared purpose was opted out."
    )
    erased_fields: list[str]
    receipts: list[dict[str, Any]]


class PurposeOffer(_Out):
    name: str
    description: str
    basis: str
    sale_or_share: bool
    categories: list[str] = Field(description="Human labels of the data categories used.")
    active_by_default: bool = False


class ConsentConfig(_Out):
    """What a consent banner needs: controller, choosable purposes, notice version."""

    controller: dict[str, str | None]
    notice_version: str
    notice_url: str
    gpc: bool = Field(description="This request carried a Global Privacy Control signal.")
    purposes: list[PurposeOffer]


class ConsentEventOut(_Out):
    receipt_id: str
    purpose: str
    action: str
    at: datetime
    method: str
    collector: str
    datamap_version: str
    notice_version: str


class PurposeStatus(_Out):
    purpose: str
    basis: str
    active: bool
    stale: bool
    last: ConsentEventOut | None


class ConsentStatus(_Out):
    subject_id: str
    notice_version: str
    purposes: list[PurposeStatus]


class ConsentHistory(_Out):
    subject_id: str
    events: list[ConsentEventOut]


class StaleConsents(_Out):
    notice_version: str
    stale: list[dict[str, str]]


class PublicKey(_Out):
    alg: str
    kid: str
    public_key: str = Field(description="The raw Ed25519 public key, base64url.")


class ReceiptVerification(_Out):
    valid: bool
    reason: str
    receipt_id: str | None
    kid: str | None
