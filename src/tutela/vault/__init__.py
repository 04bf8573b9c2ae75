"""The vault: per-subject envelope encryption, blind-index search, purpose-gated reads, erasure."""

from tutela.vault.keys import RotationReport, SystemKeys
from tutela.vault.service import ConsentCheck, NoConsentRecorded, Vault
from tutela.vault.values import ValueRules

__all__ = [
    "ConsentCheck",
    "NoConsentRecorded",
    "RotationReport",
    "SystemKeys",
    "ValueRules",
    "Vault",
]
