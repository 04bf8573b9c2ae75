"""Key escrow: a key-encryption key split into printable shares with Shamir's secret sharing,
any `threshold` of which rebuild it and fewer reveal nothing.

Shares are SLIP-0039 mnemonics (Trezor's `shamir-mnemonic`, the reference implementation):
words from a 1,024-word list, each share with its own checksum, so a mistyped word is caught
on entry. The shared secret is the key version (2 bytes) followed by the 32-byte key, so the
rebuilt key goes back under the version it had.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutela.core.crypto import _hazmat
from tutela.errors import EscrowFailed

_VERSION_BYTES = 2


@dataclass(frozen=True)
class RecoveredKey:
    version: int
    material: bytes = field(repr=False)


def split(version: int, material: bytes, *, shares: int, threshold: int) -> list[str]:
    """`shares` mnemonics of the key; any `threshold` of them rebuild it.

    Raises:
        EscrowFailed: impossible numbers (threshold above shares, below 2, or over 16).
    """
    import shamir_mnemonic

    if len(material) != _hazmat.KEY_BYTES or not 0 < version < 1 << 16:
        raise EscrowFailed("only a 256-bit key with a version below 65536 can be split")
    if not 2 <= threshold <= shares <= 16:
        raise EscrowFailed("shares must satisfy 2 <= threshold <= shares <= 16")
    secret = version.to_bytes(_VERSION_BYTES, "big") + material
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, shares)], secret)
    return list(groups[0])


def combine(mnemonics: list[str]) -> RecoveredKey:
    """Rebuild a key from shares made by `split`.

    Raises:
        EscrowFailed: too few shares, shares of different keys, or a malformed share
            (the message says which, never a share's words).
    """
    import shamir_mnemonic

    cleaned = [" ".join(m.lower().split()) for m in mnemonics if m.strip()]
    if not cleaned:
        raise EscrowFailed("no shares given")
    try:
        groups = shamir_mnemonic.decode_mnemonics(cleaned)
    except shamir_mnemonic.MnemonicError as exc:
        raise EscrowFailed(f"a share is malformed or mistyped ({_safe(exc)})") from None
    for group in groups.values():
        needed = group.member_threshold()
        if len(group) < needed:
            raise EscrowFailed(
                f"{len(group)} share(s) given, {needed} needed: fewer shares reveal nothing"
            )
    try:
        secret = shamir_mnemonic.combine_mnemonics(cleaned)
    except shamir_mnemonic.MnemonicError as exc:
        raise EscrowFailed(f"the shares do not rebuild a key ({_safe(exc)})") from None
    if len(secret) != _VERSION_BYTES + _hazmat.KEY_BYTES:
        raise EscrowFailed("the shares hold something other than a Tutela key")
    return RecoveredKey(int.from_bytes(secret[:_VERSION_BYTES], "big"), secret[_VERSION_BYTES:])


def _safe(exc: Exception) -> str:
    """The library's reason without the words it sometimes quotes."""
    text = re.sub(r"(\"[^\"]*\"|'[^']*')", "…", str(exc))
    text = text.split("starting with", 1)[0].strip().rstrip(".,")
    return text[:120] or type(exc).__name__
