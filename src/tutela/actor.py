"""Who is acting: an id for the audit log and a role for the purpose checks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """`id` is what the audit log records (an API key id, `cli`, `sdk`); `role` is checked."""

    id: str
    role: str


SYSTEM = Actor(id="system", role="admin")
