"""The privacy notice (GDPR Art. 13, CCPA/CPRA notice at collection), built from the data map.

A notice is plain JSON-able content named by its hash: the first 16 hex characters of the
SHA-256 of its canonical JSON. The content holds the data map version and every sentence the
customer reads (templates add only headings and layout), so a change to the map or to the
wording makes a new version, and a consent naming a notice version names exactly what the
customer was shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tutela.datamap.spec import DataMap, LegalBasis, OnWithdrawal, PurposeSpec
from tutela.errors import NoticeLanguageUnsupported
from tutela.transparency.labels import (
    basis_wording,
    category_label,
    duration_text,
    purpose_title,
    retention_start_text,
)

SCHEMA = "tutela.notice/1"
SUPPORTED_LANGUAGES = ("en",)

# Art. 13(2)(e): whether the data is required, and what happens if it is not given.
_REQUIREMENT = {
    LegalBasis.CONSENT: "Giving this data is voluntary: you decide whether to consent.",
    LegalBasis.CONTRACT: (
        "This data is needed to enter into or perform our contract with you: "
        "without it we cannot provide what you asked for."
    ),
    LegalBasis.LEGAL_OBLIGATION: "The law requires us to process this data.",
    LegalBasis.VITAL_INTERESTS: "This data is needed to protect someone's life or health.",
    LegalBasis.PUBLIC_TASK: "This data is needed to perform a task in the public interest.",
    LegalBasis.LEGITIMATE_INTERESTS: (
        "We process this data for our legitimate interests, which are the purpose described above."
    ),
}

# Art. 15-22, in the order of the Regulation.
RIGHTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "access",
        "Right of access",
        "GDPR Art. 15",
        "Ask whether we hold personal data about you and get a copy of it, with the "
        "information in this notice.",
    ),
    (
        "rectification",
        "Right to rectification",
        "GDPR Art. 16",
        "Have inaccurate data about you corrected and incomplete data completed.",
    ),
    (
        "erasure",
        "Right to erasure",
        "GDPR Art. 17",
        "Have your data deleted when it is no longer needed, when you withdraw your consent "
        "or object, or when it was processed unlawfully.",
    ),
    (
        "restriction",
        "Right to restriction of processing",
        "GDPR Art. 18",
        "Have us keep your data but not use it while its accuracy or your objection is "
        "checked, or when you need it kept for a legal claim.",
    ),
    (
        "portability",
        "Right to data portability",
        "GDPR Art. 20",
        "Receive the data you gave us for processing based on consent or a contract in a "
        "structured, machine-readable format, or have it sent to another organisation.",
    ),
    (
        "objection",
        "Right to object",
        "GDPR Art. 21",
        "Object at any time to processing based on our legitimate interests (we then stop "
        "unless we have compelling legitimate grounds) and to direct marketing (we then "
        "always stop).",
    ),
    (
        "automated_decisions",
        "Rights related to automated decision-making",
        "GDPR Art. 22",
        "Not be subject to a decision based solely on automated processing, including "
        "profiling, that has legal or similarly significant effects on you.",
    ),
)


@dataclass(frozen=True)
class Notice:
    """One version of the privacy notice: its content and the hash that names it."""

    version: str
    content: dict[str, Any]

    def __hash__(self) -> int:  # the version is a function of the content
        return hash(self.version)

    @property
    def datamap_version(self) -> str:
        return str(self.content["datamap_version"])

    @property
    def language(self) -> str:
        return str(self.content["language"])

    @property
    def purposes(self) -> list[dict[str, Any]]:
        purposes: list[dict[str, Any]] = self.content["purposes"]
        return purposes

    def document(self) -> str:
        """The canonical JSON the version is the hash of (what is stored)."""
        return canonical_json(self.content)

    def as_dict(self) -> dict[str, Any]:
        """The content with its version, as served to readers of the JSON format."""
        return {"version": self.version, **self.content}

    @classmethod
    def from_content(cls, content: dict[str, Any]) -> Notice:
        return cls(content_version(content), content)


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def content_version(content: dict[str, Any]) -> str:
    """First 16 hex characters of the SHA-256 of the canonical JSON."""
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()[:16]


def require_language(language: str) -> None:
    """Refuse a language the notice cannot be produced in.

    Raises:
        NoticeLanguageUnsupported: `language` is not one of `SUPPORTED_LANGUAGES`.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise NoticeLanguageUnsupported(language, SUPPORTED_LANGUAGES)


def build_notice(datamap: DataMap, datamap_version: str, *, language: str = "en") -> Notice:
    """The privacy notice for a data map version.

    Raises:
        NoticeLanguageUnsupported: `language` is not one of `SUPPORTED_LANGUAGES`.
    """
    require_language(language)
    controller = datamap.controller
    purposes = [_purpose(datamap, name, spec) for name, spec in datamap.purposes.items()]
    selling = [p["title"] for p in purposes if p["sale_or_share"]]
    content: dict[str, Any] = {
        "schema": SCHEMA,
        "language": language,
        "datamap_version": datamap_version,
        "controller": {
            "name": controller.name,
            "contact": controller.contact,
            "dpo": controller.dpo,
            "address": controller.address,
            "country": controller.country,
            "supervisory_authority": controller.supervisory_authority,
        },
        "introduction": (
            f"{controller.name} is the controller of the personal data described in this "
            "notice: we decide why and how it is used. This notice tells you what we collect, "
            "why, on which legal basis, who receives it, how long we keep it and what your "
            "rights are."
        ),
        "purposes": purposes,
        "categories": _unique(c for p in purposes for c in p["categories"]),
        "recipients": _unique(r for p in purposes for r in p["recipients"]),
        "transfers": _unique(t for p in purposes for t in p["transfers"]),
        "transfers_text": (
            "We transfer personal data outside your country only with the safeguards listed "
            "for each transfer. Contact us for a copy of them."
        ),
        "sale_or_share": _sale_or_share(selling),
        "rights": [
            {"key": key, "name": name, "article": article, "text": text}
            for key, name, article, text in RIGHTS
        ],
        "exercise": _exercise(controller.contact, controller.dpo),
        "consent_withdrawal": (
            "Where we rely on your consent, you can withdraw it at any time, as easily as you "
            "gave it. Withdrawing does not affect the lawfulness of the processing before you "
            "withdrew."
        ),
        "complaint": {
            "authority": controller.supervisory_authority,
            "text": (
                "You have the right to lodge a complaint with a supervisory authority, in "
                "particular in the country where you live or work or where you think your "
                "rights were infringed."
                + (
                    f" Ours is: {controller.supervisory_authority}."
                    if controller.supervisory_authority
                    else ""
                )
            ),
        },
    }
    return Notice.from_content(content)


def _purpose(datamap: DataMap, name: str, spec: PurposeSpec) -> dict[str, Any]:
    basis = basis_wording(spec.basis)
    period = duration_text(spec.retention)
    start = retention_start_text(spec.retention_from)
    return {
        "key": name,
        "title": purpose_title(name),
        "description": spec.description,
        "legal_basis": {
            "key": spec.basis.value,
            "name": basis.name,
            "article": basis.article,
            "text": basis.text,
        },
        "requirement": _REQUIREMENT[spec.basis],
        "categories": _unique(_category(datamap.fields[f].category) for f in spec.fields),
        "recipients": list(spec.recipients),
        "transfers": [
            {
                **t.model_dump(mode="json"),
                "text": f"{t.recipient} in {t.country}, with {t.safeguard}",
            }
            for t in spec.transfers
        ],
        "retention": {
            "duration": spec.retention,
            "period": period,
            "from": spec.retention_from.value,
            "text": f"{period} {start}",
        },
        "sale_or_share": spec.sale_or_share,
        "choice": _choice(spec),
    }


def _category(key: str) -> dict[str, str]:
    label = category_label(key)
    return {"key": label.key, "label": label.name, "description": label.description}


def _choice(spec: PurposeSpec) -> str | None:
    erase = spec.on_withdrawal is OnWithdrawal.ERASE
    if spec.basis is LegalBasis.CONSENT:
        after = (
            "we delete the data no other purpose needs."
            if erase
            else "we stop this processing and keep the data until the retention period ends."
        )
        return (
            "You can withdraw your consent at any time; this does not affect the processing "
            f"before you withdrew. When you withdraw, {after}"
        )
    if spec.basis is LegalBasis.LEGITIMATE_INTERESTS:
        after = (
            "we stop and delete the data no other purpose needs."
            if erase
            else "we stop this processing and keep the data until the retention period ends."
        )
        return f"You can object to this processing at any time (GDPR Art. 21). If you do, {after}"
    return None


def _sale_or_share(purposes: list[str]) -> dict[str, Any]:
    if not purposes:
        return {
            "applies": False,
            "purposes": [],
            "text": "We do not sell or share your personal information.",
        }
    return {
        "applies": True,
        "purposes": purposes,
        "text": (
            "We sell or share personal information, as the California Consumer Privacy Act "
            "(CCPA/CPRA) defines these words, for: "
            + ", ".join(purposes)
            + ". You have the right to opt out of this at any time. We honour the Global "
            "Privacy Control (GPC) signal sent by your browser as a valid opt-out. We will "
            "not discriminate against you for using any of your privacy rights."
        ),
    }


def _exercise(contact: str, dpo: str | None) -> str:
    text = f"To use any of these rights, contact us at {contact}"
    if dpo:
        text += f" or our data protection officer at {dpo}"
    return text + (
        ". We answer within one month of receiving your request (GDPR Art. 12(3)) and may "
        "ask you to confirm your identity first. Using your rights is free of charge."
    )


def _unique(items: Iterable[Any]) -> list[Any]:
    """Items in first-seen order without repeats (dicts compared by value)."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
