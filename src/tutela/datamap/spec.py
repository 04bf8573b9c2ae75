"""The data map's shape: controller, roles, fields and purposes, as frozen Pydantic models.

`fields`, `purposes` and `roles` are mappings keyed by name. Cross-references (a purpose's
fields and roles, a field's masking roles) are checked by `check.py`, which reports every
problem with its location.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tutela.errors import FieldNotInDataMap, PurposeNotInDataMap

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class LegalBasis(StrEnum):
    """GDPR Art. 6(1) lawful bases."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class FieldType(StrEnum):
    """Value types Tutela validates and normalises on write."""

    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"
    TEXT = "text"
    ADDRESS = "address"
    DATE = "date"
    IDENTIFIER = "identifier"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"


class Sensitivity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SPECIAL = "special"  # GDPR Art. 9 special categories


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Controller(_Spec):
    name: str = Field(min_length=1)
    contact: str = Field(min_length=3)
    dpo: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    address: str | None = None
    # Where customers may complain (GDPR Art. 13(2)(d)), e.g. "Information Commissioner's
    # Office, https://ico.org.uk/make-a-complaint/".
    supervisory_authority: str | None = None
    # Organisational measures to list in the records of processing beside Tutela's own
    # technical ones (Art. 30(1)(g)).
    security_measures: tuple[str, ...] = ()


class Permission(StrEnum):
    """What a role may do besides reading for its purposes. `admin` holds all of them."""

    SUBJECTS_WRITE = "subjects.write"  # add, import, update
    SUBJECTS_ERASE = "subjects.erase"
    REQUESTS_MANAGE = "requests.manage"  # handle data-subject requests
    CONSENTS_READ = "consents.read"  # a subject's consent state and history
    CONSENTS_WRITE = "consents.write"  # record grants and withdrawals for any subject
    # What a public consent widget's key holds: create visitor subjects and record their
    # choices, changing a subject's choices only with one of that subject's receipt ids.
    CONSENTS_COLLECT = "consents.collect"
    AUDIT_READ = "audit.read"
    KEYS_MANAGE = "keys.manage"  # API keys and key-encryption-key rotation
    DEID_USE = "deid.use"  # find and de-identify personal data in texts sent to the API


ADMIN_ROLE = "admin"
# The customer acting on their own data in the privacy center: they may record their own
# consent choices, and nothing else through a permission (the rest goes through requests).
DATA_SUBJECT_ROLE = "data_subject"


class RoleSpec(_Spec):
    description: str = ""
    permissions: tuple[Permission, ...] = ()


class FieldSpec(_Spec):
    type: FieldType
    category: str
    description: str = ""
    sensitivity: Sensitivity = Sensitivity.MEDIUM
    searchable: bool = False
    required: bool = False
    mask: dict[Name, str] = Field(default_factory=dict)
    choices: tuple[str, ...] = ()
    multiple: bool = False
    max_length: int | None = Field(default=None, ge=1, le=100_000)


class OnWithdrawal(StrEnum):
    """What happens to a purpose's fields when consent is withdrawn (or, for a legitimate
    interest, the customer objects): values no other valid purpose needs are erased at once,
    or kept until this purpose's retention runs out."""

    ERASE = "erase"
    KEEP_UNTIL_RETENTION = "keep_until_retention"


class RetentionStart(StrEnum):
    """What a purpose's retention is counted from."""

    COLLECTION = "collection"  # when the subject's values were stored
    CONSENT = "consent"  # the subject's last grant for this purpose


class Transfer(_Spec):
    """A transfer to a third country (GDPR Art. 13(1)(f), 30(1)(e))."""

    country: str = Field(pattern=r"^[A-Z]{2}$")
    recipient: str = Field(min_length=1)
    safeguard: str = Field(min_length=1)  # e.g. "adequacy decision", "standard contractual clauses"


class PurposeSpec(_Spec):
    description: str = ""
    basis: LegalBasis
    fields: tuple[Name, ...] = Field(min_length=1)
    retention: str
    roles: tuple[Name, ...] = Field(min_length=1)
    retention_from: RetentionStart = RetentionStart.COLLECTION
    on_withdrawal: OnWithdrawal = OnWithdrawal.ERASE
    # Selling or sharing personal data (CCPA/CPRA): a Global Privacy Control signal opts out.
    sale_or_share: bool = False
    recipients: tuple[str, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    data_subjects: tuple[str, ...] = ("customers",)

    @property
    def withdrawable(self) -> bool:
        """Whether the customer can withdraw (consent) or object (legitimate interests)."""
        return self.basis in {LegalBasis.CONSENT, LegalBasis.LEGITIMATE_INTERESTS}


PolicyName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ExportFormat(StrEnum):
    """The file format of a partner export."""

    CSV = "csv"
    PARQUET = "parquet"


class PrivacyModelSpec(_Spec):
    """The privacy model a partner's export is anonymized to (see `tutela.anonymize`).

    `hierarchies` is a path relative to the home (a directory holding `hierarchies.yaml`
    and/or one ARX CSV file per quasi-identifier, `<column>.csv`; or a YAML file), or the
    YAML hierarchies written inline.
    """

    k: int = Field(ge=1, le=1_000_000)
    quasi_identifiers: tuple[Name, ...] = Field(min_length=1)
    sensitive: Name | None = None
    l: int | None = Field(default=None, ge=2)  # noqa: E741 - the model's own name
    t: float | None = Field(default=None, ge=0.0, le=1.0)
    suppression: float = Field(default=0.0, ge=0.0, lt=1.0)
    hierarchies: str | dict[str, Any] | None = None


class PartnerSpec(_Spec):
    """A sharing agreement: what a partner receives, why, and how it is de-identified.

    `policy` is a de-identification policy written inline, or the name of one kept in the
    home (`policies/NAME.yaml`). `recipient_key` names the partner's key (a key id or
    public key): pseudonyms are keyed per partner and per this key, so two partners, or one
    partner before and after a key change, cannot join their files.
    """

    description: str = ""
    purpose: Name
    fields: tuple[Name, ...] = Field(min_length=1)
    policy: PolicyName | dict[str, Any]
    model: PrivacyModelSpec
    recipient_key: str = Field(min_length=1, max_length=4096)
    subject_column: Name | None = None  # a per-partner pseudonym of the customer, if wanted
    format: ExportFormat = ExportFormat.CSV


class DataMap(_Spec):
    """A validated data map. Build it with `tutela.datamap.load`, which checks references."""

    controller: Controller
    roles: dict[Name, RoleSpec]
    fields: dict[Name, FieldSpec]
    purposes: dict[Name, PurposeSpec]
    # Optional, and left out of the version when empty: existing maps keep their version.
    partners: dict[Name, PartnerSpec] = Field(default_factory=dict)

    def field(self, name: str) -> FieldSpec:
        """The field's spec; `FieldNotInDataMap` if undeclared."""
        try:
            return self.fields[name]
        except KeyError:
            raise FieldNotInDataMap(name) from None

    def allows(self, role: str, permission: Permission) -> bool:
        """Whether `role` holds `permission` (the `admin` role holds every permission)."""
        if role == ADMIN_ROLE:
            return True
        if role == DATA_SUBJECT_ROLE:
            return permission is Permission.CONSENTS_WRITE
        spec = self.roles.get(role)
        return spec is not None and permission in spec.permissions

    def purpose(self, name: str) -> PurposeSpec:
        """The purpose's spec; `PurposeNotInDataMap` if undeclared."""
        try:
            return self.purposes[name]
        except KeyError:
            raise PurposeNotInDataMap(name) from None
