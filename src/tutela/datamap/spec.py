"""The data map's shape: controller, roles, fields and purposes, as frozen Pydantic models.

`fields`, `purposes` and `roles` are mappings keyed by name. Cross-references (a purpose's
fields and roles, a field's masking roles) are checked by `check.py`, which reports every
problem with its location.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class Permission(StrEnum):
    """What a role may do besides reading for its purposes. `admin` holds all of them."""

    SUBJECTS_WRITE = "subjects.write"  # add, import, update
    SUBJECTS_ERASE = "subjects.erase"
    AUDIT_READ = "audit.read"
    KEYS_MANAGE = "keys.manage"  # API keys and key-encryption-key rotation


ADMIN_ROLE = "admin"


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


class PurposeSpec(_Spec):
    description: str = ""
    basis: LegalBasis
    fields: tuple[Name, ...] = Field(min_length=1)
    retention: str
    roles: tuple[Name, ...] = Field(min_length=1)


class DataMap(_Spec):
    """A validated data map. Build it with `tutela.datamap.load`, which checks references."""

    controller: Controller
    roles: dict[Name, RoleSpec]
    fields: dict[Name, FieldSpec]
    purposes: dict[Name, PurposeSpec]

    def field(self, name: str) -> FieldSpec:
        """The field's spec; `FieldNotInDataMap` if undeclared."""
        from tutela.errors import FieldNotInDataMap

        try:
            return self.fields[name]
        except KeyError:
            raise FieldNotInDataMap(name) from None

    def allows(self, role: str, permission: Permission) -> bool:
        """Whether `role` holds `permission` (the `admin` role holds every permission)."""
        if role == ADMIN_ROLE:
            return True
        spec = self.roles.get(role)
        return spec is not None and permission in spec.permissions

    def purpose(self, name: str) -> PurposeSpec:
        """The purpose's spec; `PurposeNotInDataMap` if undeclared."""
        from tutela.errors import PurposeNotInDataMap

        try:
            return self.purposes[name]
        except KeyError:
            raise PurposeNotInDataMap(name) from None
