"""Consent: the append-only ledger of grants and withdrawals, signed receipts, and the check
the vault asks at read time."""
