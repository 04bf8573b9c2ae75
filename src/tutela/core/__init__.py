"""Core: cryptography, storage and the audit chain. Imports no service."""
