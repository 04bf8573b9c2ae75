"""Imports every models module so the shared metadata knows all tables (Alembic, tests)."""

from tutela.apikeys import models as apikey_models
from tutela.consent import models as consent_models
from tutela.core.audit import models as audit_models
from tutela.datamap import models as datamap_models
from tutela.dp import models as dp_models
from tutela.rights import models as rights_models
from tutela.sharing import models as sharing_models
from tutela.transparency import models as transparency_models
from tutela.vault import models as vault_models

__all__ = [
    "apikey_models",
    "audit_models",
    "consent_models",
    "datamap_models",
    "dp_models",
    "rights_models",
    "sharing_models",
    "transparency_models",
    "vault_models",
]
