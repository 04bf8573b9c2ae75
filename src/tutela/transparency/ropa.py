"""Records of processing activities (GDPR Art. 30(1)), one activity per data map purpose.

Exported as CSV (one row per purpose, list cells joined with "; ", formula injection
neutralised), JSON (`as_dict`) or, through `tutela.web`, HTML.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from typing import Any

from tutela.datamap.spec import DataMap, PurposeSpec
from tutela.transparency.labels import (
    basis_wording,
    category_label,
    duration_text,
    purpose_title,
    retention_start_text,
)

# What the vault itself does to every value it holds (Art. 30(1)(g), 32). Keep these true:
# each names a mechanism in tutela.core or tutela.vault.
TECHNICAL_MEASURES: tuple[str, ...] = (
    "Encryption of every personal value field by field with AES-256-GCM under a per-customer "
    "data key, bound to its customer, field and key version",
    "Per-customer data keys wrapped by a versioned key-encryption key, rotated without "
    "re-encrypting values",
    "Search through keyed blind indexes (HMAC-SHA256 under a separate key), without decryption",
    "Reads gated by role and purpose, with values masked per role",
    "Consent checked at the time of each read",
    "Tamper-evident audit log of every access and refusal: entries HMAC-chained, with the "
    "chain head checkpointed outside the database",
    "Erasure by crypto-shredding: the customer's data key is destroyed and the values deleted",
)

LIST_SEPARATOR = "; "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# CSV header, in Art. 30(1) order, and the key of each column in `RopaActivity.row()`.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("controller", "Controller"),
    ("controller_contact", "Controller contact"),
    ("dpo", "Data protection officer"),
    ("controller_address", "Controller address"),
    ("purpose", "Purpose"),
    ("purpose_description", "Purpose description"),
    ("legal_basis", "Legal basis"),
    ("data_subjects", "Categories of data subjects"),
    ("data_categories", "Categories of personal data"),
    ("fields", "Fields"),
    ("recipients", "Recipients"),
    ("transfers", "Transfers to third countries"),
    ("retention", "Retention"),
    ("security_measures", "Security measures"),
    ("datamap_version", "Data map version"),
)


@dataclass(frozen=True)
class RopaController:
    name: str
    contact: str
    dpo: str | None
    address: str | None
    country: str | None


@dataclass(frozen=True)
class RopaCategory:
    key: str
    label: str


@dataclass(frozen=True)
class RopaTransfer:
    country: str
    recipient: str
    safeguard: str

    def __str__(self) -> str:
        return f"{self.country}: {self.recipient} ({self.safeguard})"


@dataclass(frozen=True)
class RopaActivity:
    """One processing activity: a purpose with its Art. 30(1)(b)-(g) entries."""

    purpose: str
    title: str
    description: str
    legal_basis: str
    data_subjects: tuple[str, ...]
    categories: tuple[RopaCategory, ...]
    fields: tuple[str, ...]
    recipients: tuple[str, ...]
    transfers: tuple[RopaTransfer, ...]
    retention: str


@dataclass(frozen=True)
class Ropa:
    """The records of processing of one data map version."""

    datamap_version: str
    controller: RopaController
    activities: tuple[RopaActivity, ...]
    technical_measures: tuple[str, ...]
    organisational_measures: tuple[str, ...]

    @property
    def security_measures(self) -> tuple[str, ...]:
        return self.technical_measures + self.organisational_measures

    def rows(self) -> list[dict[str, str]]:
        """One flat row per activity, keyed as `COLUMNS` (lists joined with "; ")."""
        c = self.controller
        measures = LIST_SEPARATOR.join(self.security_measures)
        return [
            {
                "controller": c.name,
                "controller_contact": c.contact,
                "dpo": c.dpo or "",
                "controller_address": c.address or "",
                "purpose": a.purpose,
                "purpose_description": a.description,
                "legal_basis": a.legal_basis,
                "data_subjects": LIST_SEPARATOR.join(a.data_subjects),
                "data_categories": LIST_SEPARATOR.join(
                    f"{cat.label} ({cat.key})" for cat in a.categories
                ),
                "fields": LIST_SEPARATOR.join(a.fields),
                "recipients": LIST_SEPARATOR.join(a.recipients),
                "transfers": LIST_SEPARATOR.join(str(t) for t in a.transfers),
                "retention": a.retention,
                "security_measures": measures,
                "datamap_version": self.datamap_version,
            }
            for a in self.activities
        ]

    def to_csv(self) -> str:
        """CSV with a header row and one row per purpose; cells that a spreadsheet would run
        as a formula get a leading apostrophe."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([csv_cell(title) for _, title in COLUMNS])
        for row in self.rows():
            writer.writerow([csv_cell(row[key]) for key, _ in COLUMNS])
        return out.getvalue()

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: controller, activities with their lists, and the security measures."""
        return {
            "datamap_version": self.datamap_version,
            "controller": asdict(self.controller),
            "activities": [_listed(asdict(a)) for a in self.activities],
            "security_measures": {
                "technical": list(self.technical_measures),
                "organisational": list(self.organisational_measures),
            },
        }


def _listed(data: dict[str, Any]) -> dict[str, Any]:
    """`asdict` output with tuples as lists, as JSON will read them back."""
    return {
        key: [_listed(v) if isinstance(v, dict) else v for v in value]
        if isinstance(value, tuple)
        else value
        for key, value in data.items()
    }


def csv_cell(value: str) -> str:
    """Neutralise CSV formula injection: a cell starting with = + - @ (or a tab or carriage
    return) is prefixed with an apostrophe so spreadsheets show it as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def build_ropa(datamap: DataMap, datamap_version: str) -> Ropa:
    """The records of processing for a data map version."""
    c = datamap.controller
    return Ropa(
        datamap_version=datamap_version,
        controller=RopaController(c.name, c.contact, c.dpo, c.address, c.country),
        activities=tuple(_activity(datamap, name, spec) for name, spec in datamap.purposes.items()),
        technical_measures=TECHNICAL_MEASURES,
        organisational_measures=tuple(c.security_measures),
    )


def _activity(datamap: DataMap, name: str, spec: PurposeSpec) -> RopaActivity:
    categories: list[RopaCategory] = []
    for field in spec.fields:
        label = category_label(datamap.fields[field].category)
        category = RopaCategory(label.key, label.name)
        if category not in categories:
            categories.append(category)
    start = retention_start_text(spec.retention_from, audience="controller")
    return RopaActivity(
        purpose=name,
        title=purpose_title(name),
        description=spec.description,
        legal_basis=basis_wording(spec.basis).text,
        data_subjects=tuple(spec.data_subjects),
        categories=tuple(categories),
        fields=tuple(spec.fields),
        recipients=tuple(spec.recipients),
        transfers=tuple(RopaTransfer(t.country, t.recipient, t.safeguard) for t in spec.transfers),
        retention=f"{duration_text(spec.retention)} {start} ({spec.retention})",
    )
