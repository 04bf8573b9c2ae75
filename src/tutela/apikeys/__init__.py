"""API keys: each carries a role for the purpose checks and is the audit actor of its calls."""

from tutela.apikeys.service import (
    ApiKeyInfo,
    AuthCache,
    authenticate,
    create,
    is_active,
    list_keys,
    revoke,
)

__all__ = [
    "ApiKeyInfo",
    "AuthCache",
    "authenticate",
    "create",
    "is_active",
    "list_keys",
    "revoke",
]
