"""The tamper-evident audit log: HMAC hash chain in the database, head checkpoint outside."""

from tutela.core.audit.chain import AuditEvent, ChainedEntry, VerifyReport
from tutela.core.audit.head import Head, HeadFile
from tutela.core.audit.log import MALFORMED_ID, UNDECLARED, AuditLog

__all__ = [
    "MALFORMED_ID",
    "UNDECLARED",
    "AuditEvent",
    "AuditLog",
    "ChainedEntry",
    "Head",
    "HeadFile",
    "VerifyReport",
]
