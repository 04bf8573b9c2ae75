"""Backups: consistent encrypted snapshots in a portable format, verified, pruned, restored
with the erasure ledger replayed so nobody erased comes back."""

from tutela.backup.ledger import LedgerFile
from tutela.backup.models import (
    BackupInfo,
    BackupResult,
    ConnectorReplay,
    RestoreReport,
    VerifyReport,
)
from tutela.backup.policy import Keep
from tutela.backup.restore import Restorer
from tutela.backup.service import BackupService
from tutela.backup.store import BackupStore, LocalDirectoryStore, MemoryBackupStore, StoredObject

__all__ = [
    "BackupInfo",
    "BackupResult",
    "BackupService",
    "BackupStore",
    "ConnectorReplay",
    "Keep",
    "LedgerFile",
    "LocalDirectoryStore",
    "MemoryBackupStore",
    "RestoreReport",
    "Restorer",
    "StoredObject",
    "VerifyReport",
]
