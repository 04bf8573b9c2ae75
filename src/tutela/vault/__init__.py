"""The vault: per-subject envelope encryption, blind-index search, purpose-gated reads, erasure."""

from tutela.vault.access import ConsentCheck
from tutela.vault.keys import RotationReport, SystemKeys
from tutela.vault.service import Vault
from tutela.vault.values import ValueRules

__all__ = [
    "ConsentCheck",
    "RotationReport",
    "SystemKeys",
    "ValueRules",
    "Vault",
]
