"""Consent receipts: what the customer agreed to or withdrew, signed so anyone can check it.

The fields follow ISO/IEC TS 27560 and the Kantara Consent Receipt (receipt id, time,
controller, subject, purposes with legal basis and data categories, notice version, method).
The signature is Ed25519 over the receipt's canonical JSON (keys sorted, no whitespace, UTF-8)
without its `signature` member; the public key is published at `/v1/consents/public-key`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tutela.core.crypto import Signer, signature_valid
from tutela.core.crypto.signing import ALGORITHM
from tutela.datamap import DataMap

SCHEMA = "tutela.consent-receipt/1"


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes a receipt's signature covers."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class ReceiptFacts:
    """What one ledger event says, before it becomes a receipt."""

    receipt_id: str
    at: datetime
    subject_id: str
    purpose: str
    action: str
    method: str
    collector: str
    datamap_version: str
    notice_version: str
    evidence: str | None


def build(datamap: DataMap, facts: ReceiptFacts) -> dict[str, Any]:
    """The unsigned receipt of one event."""
    controller = datamap.controller
    spec = datamap.purpose(facts.purpose)
    return {
        "schema": SCHEMA,
        "receipt_id": facts.receipt_id,
        "timestamp": facts.at.isoformat(timespec="seconds"),
        "jurisdiction": controller.country,
        "controller": {
            "name": controller.name,
            "contact": controller.contact,
            "dpo": controller.dpo,
            "address": controller.address,
        },
        "subject_id": facts.subject_id,
        "action": facts.action,
        "method": facts.method,
        "collector": facts.collector,
        "notice": {"version": facts.notice_version, "url": "/privacy/notice"},
        "datamap_version": facts.datamap_version,
        "purposes": [
            {
                "purpose": facts.purpose,
                "description": spec.description,
                "legal_basis": spec.basis.value,
                "sale_or_share": spec.sale_or_share,
                "data_categories": sorted({datamap.fields[f].category for f in spec.fields}),
                "fields": list(spec.fields),
                "retention": spec.retention,
            }
        ],
        "evidence": facts.evidence,
    }


def sign(receipt: Mapping[str, Any], signer: Signer) -> dict[str, Any]:
    """The receipt with its `signature` member."""
    value = base64.urlsafe_b64encode(signer.sign(canonical(receipt))).decode().rstrip("=")
    return {**receipt, "signature": {"alg": ALGORITHM, "kid": signer.key_id, "value": value}}


@dataclass(frozen=True)
class ReceiptCheck:
    """The outcome of checking a receipt: `valid`, or why not (no personal data)."""

    valid: bool
    reason: str
    receipt_id: str | None = None
    key_id: str | None = None


def verify(document: object, public_keys: Mapping[str, bytes]) -> ReceiptCheck:
    """Check a signed receipt against the published keys (by key id); any changed byte of
    the receipt fails."""
    if not isinstance(document, dict):
        return ReceiptCheck(False, "a receipt is a JSON object")
    receipt_id = document.get("receipt_id")
    receipt_id = receipt_id if isinstance(receipt_id, str) else None
    signature = document.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != ALGORITHM:
        return ReceiptCheck(False, f"the receipt carries no {ALGORITHM} signature", receipt_id)
    kid = signature.get("kid")
    if not isinstance(kid, str) or kid not in public_keys:
        return ReceiptCheck(False, "the receipt was signed with an unknown key", receipt_id)
    raw = _signature_bytes(signature.get("value"))
    if raw is None:
        return ReceiptCheck(False, "the signature value is not base64url", receipt_id, kid)
    if not signature_valid(public_keys[kid], canonical(document), raw):
        return ReceiptCheck(False, "the signature does not match the receipt", receipt_id, kid)
    return ReceiptCheck(True, "signature valid", receipt_id, kid)


def _signature_bytes(value: object) -> bytes | None:
    """The signature, only in its one canonical spelling (base64url without padding): any
    other spelling of the same bytes is a changed receipt too."""
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != value:
        return None
    return raw
