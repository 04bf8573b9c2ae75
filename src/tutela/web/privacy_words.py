"""What the privacy center says in plain words: field labels, legal bases, retention periods,
request types, statuses and outcomes (presentation only; no rule lives here).

An outcome summary names fields and purposes, never a value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from tutela.datamap import LegalBasis
from tutela.rights.service import RequestType, RequestView, Status
from tutela.transparency.labels import duration_text, purpose_title

BASIS_WORDS: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: "your consent (you can withdraw it at any time)",
    LegalBasis.CONTRACT: "needed to carry out our contract with you",
    LegalBasis.LEGAL_OBLIGATION: "required by law",
    LegalBasis.VITAL_INTERESTS: "to protect your life or someone else's",
    LegalBasis.PUBLIC_TASK: "a task we carry out in the public interest",
    LegalBasis.LEGITIMATE_INTERESTS: "our legitimate interests (you may object)",
}

TYPE_WORDS: dict[RequestType, str] = {
    RequestType.ACCESS: "Access to your data",
    RequestType.PORTABILITY: "Copy of your data",
    RequestType.RECTIFICATION: "Correction",
    RequestType.ERASURE: "Deletion",
    RequestType.RESTRICTION: "Restriction of processing",
    RequestType.OBJECTION: "Objection to processing",
}

STATUS_WORDS: dict[Status, str] = {
    Status.RECEIVED: "Received",
    Status.VERIFIED: "Verified",
    Status.AWAITING_APPROVAL: "Waiting for approval by our staff",
    Status.IN_PROGRESS: "In progress",
    Status.COMPLETED: "Done",
    Status.REJECTED: "Refused",
}

_ACRONYMS = {"id": "ID", "ip": "IP", "url": "URL", "iban": "IBAN", "vat": "VAT"}


def field_label(name: str) -> str:
    """A field key as a label: "date_of_birth" → "Date of birth", "loyalty_id" → "Loyalty ID"."""
    words = [_ACRONYMS.get(w, w) for w in name.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def fields_text(names: Iterable[str]) -> str:
    return ", ".join(field_label(n) for n in names) or "—"


def purpose_label(name: str) -> str:
    return purpose_title(name)


def basis_text(basis: LegalBasis) -> str:
    return BASIS_WORDS[basis]


def retention_text(retention: str) -> str:
    return duration_text(retention)


def value_text(value: Any) -> str:
    """A held value as text (lists joined, booleans in words)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def when(at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(on: date | None) -> str:
    return "—" if on is None else on.isoformat()


def status_text(status: Status) -> str:
    return STATUS_WORDS[status]


def type_text(request_type: RequestType) -> str:
    return TYPE_WORDS[request_type]


def outcome_text(view: RequestView) -> str:  # noqa: PLR0911 - one sentence per kind of outcome
    """What a request came to, in a sentence naming fields and purposes only."""
    outcome = view.outcome
    if view.status is Status.REJECTED:
        return "We refused this request; the email we sent you gives the reason."
    if outcome.get("retry"):
        return "Not finished yet: one of our systems could not be reached; we are trying again."
    if view.status is not Status.COMPLETED:
        return "—"
    if "subject" in outcome and outcome["subject"] is None:
        return "We held no data about you."
    kind = view.type
    if kind in (RequestType.ACCESS, RequestType.PORTABILITY):
        how = (
            "sent to you as a one-time download link"
            if "download_expires_at" in outcome
            else "handed over here in the privacy center"
        )
        return f"A copy of {len(outcome.get('fields', []))} field(s), {how}."
    if kind is RequestType.RECTIFICATION:
        if outcome.get("fields"):
            return f"Corrected: {fields_text(outcome['fields'])}."
        return "Carried out by our staff."
    if kind is RequestType.ERASURE:
        kept = outcome.get("kept") or {}
        erased = outcome.get("erased")
        text = (
            "Erased all your data."
            if erased == "all"
            else (f"Erased: {fields_text(erased or [])}.")
        )
        if kept:
            text += f" Kept because the law requires it: {fields_text(kept)}."
        return text
    if kind is RequestType.RESTRICTION:
        allowed = ", ".join(purpose_label(p) for p in outcome.get("allowed", [])) or "nothing"
        return f"Processing restricted: your data is only kept for {allowed}."
    if kind is RequestType.OBJECTION:
        stopped = ", ".join(purpose_label(p) for p in outcome.get("withdrawn", [])) or "nothing"
        return f"Stopped: {stopped}."
    return "—"
