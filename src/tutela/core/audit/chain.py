"""The hash chain: how an entry's MAC is computed and how a chain is checked.

``mac_n = HMAC-SHA256(audit_key, "tutela.audit.v1" 0x00 || mac_{n-1} || canonical_json(entry_n))``
with ``mac_0`` = 32 zero bytes. The canonical JSON has sorted keys, no spaces and the time in
UTC with microseconds, so the same entry always gives the same bytes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import encode_basestring_ascii

from tutela.core.crypto import KeyedMac, mac

GENESIS = bytes(32)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_LABEL = b"tutela.audit.v1\x00"


@dataclass(frozen=True)
class AuditEvent:
    """What an operation asks to be recorded: ids, names and outcomes, never values."""

    actor: str
    action: str
    outcome: str = "ok"
    role: str | None = None
    subject_id: str | None = None
    fields: Sequence[str] = ()
    purpose: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ChainedEntry:
    """An event placed in the chain."""

    seq: int
    at: datetime
    event: AuditEvent
    prev_mac: bytes
    mac: bytes


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(seq: int, at: datetime | str, event: AuditEvent) -> bytes:
    """The bytes an entry's MAC covers; `at` may be given already as `canonical_time(at)`.

    Exactly ``json.dumps(entry, sort_keys=True, separators=(",", ":"))`` of the entry as a
    JSON object (keys action, actor, at, detail, fields, outcome, purpose, role, seq,
    subject), written out directly because it runs once per audited operation.
    """
    stamp = at if isinstance(at, str) else canonical_time(at)
    return (
        f'{{"action":{_s(event.action)},"actor":{_s(event.actor)},"at":{_s(stamp)},'
        f'"detail":{_s(event.detail)},"fields":{fields_json(tuple(event.fields))},'
        f'"outcome":{_s(event.outcome)},"purpose":{_s(event.purpose)},"role":{_s(event.role)},'
        f'"seq":{int(seq)},"subject":{_s(event.subject_id)}}}'
    ).encode()


def _s(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


@lru_cache(maxsize=1024)
def fields_json(fields: tuple[str, ...]) -> str:
    """The JSON array of field names (cached: a handful of distinct tuples recur)."""
    return _CANONICAL.encode(list(fields))


def entry_mac(
    key: bytes | KeyedMac, prev_mac: bytes, seq: int, at: datetime | str, event: AuditEvent
) -> bytes:
    message = _LABEL + prev_mac + canonical_bytes(seq, at, event)
    return key.digest(message) if isinstance(key, KeyedMac) else mac(key, message)


def link(
    key: bytes | KeyedMac,
    last_seq: int,
    last_mac: bytes,
    at: datetime,
    events: Iterable[AuditEvent],
) -> list[ChainedEntry]:
    """Chain `events` after the entry (`last_seq`, `last_mac`); `key` may come keyed already
    (an appender keeps one, rather than keying HMAC afresh for every append)."""
    signer = key if isinstance(key, KeyedMac) else KeyedMac(key)
    entries = []
    seq, prev = last_seq, last_mac
    stamp = canonical_time(at)  # one time for the whole group
    for event in events:
        seq += 1
        current = entry_mac(signer, prev, seq, stamp, event)
        entries.append(ChainedEntry(seq, at, event, prev, current))
        prev = current
    return entries


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of `verify`: `ok`, the count checked, and the first broken entry if any."""

    ok: bool
    entries: int
    first_broken: int | None = None
    reason: str | None = None
    head_seq: int = 0


class ChainVerifier:
    """Feeds entries in `seq` order and remembers the first that does not fit."""

    def __init__(self, key: bytes) -> None:
        self._key = KeyedMac(key)
        self.count = 0
        self.last_seq = 0
        self.last_mac = GENESIS
        self.broken: tuple[int, str] | None = None

    def feed(self, entry: ChainedEntry) -> bool:
        """Check one entry; returns False (and stops accepting) at the first break."""
        if self.broken:
            return False
        expected_seq = self.last_seq + 1
        if entry.seq != expected_seq:
            reason = (
                f"entries {expected_seq}..{entry.seq - 1} are missing"
                if entry.seq > expected_seq
                else "entries are out of order"
            )
            self.broken = (expected_seq, reason)
            return False
        if entry.prev_mac != self.last_mac:
            self.broken = (entry.seq, "does not link to the entry before it")
            return False
        if entry.mac != entry_mac(self._key, entry.prev_mac, entry.seq, entry.at, entry.event):
            self.broken = (entry.seq, "content does not match its MAC (edited)")
            return False
        self.count += 1
        self.last_seq, self.last_mac = entry.seq, entry.mac
        return True
