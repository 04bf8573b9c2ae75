"""`encrypt`: a reversible token, ``enc:v1:<base64url>``, AES-256-SIV under the recipient's key.

Deterministic (the same value gives the same token under one key, so joins survive) and
authenticated (a token altered, or opened with another key, fails as one `DecryptionFailed`).
The value is encrypted exactly as written; `reveal` gives it back to whoever holds the key.
"""

from __future__ import annotations

import base64
import binascii
import re

from tutela.core.crypto.deterministic import DeterministicCipher, subkey
from tutela.deid.operators._spec import OperatorType, Options
from tutela.errors import DecryptionFailed

PREFIX = "enc:v1:"
TOKEN = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]{22,}")
_AAD = b"tutela.deid.encrypt.v1"


class EncryptOptions(Options):
    pass


class Encrypt:
    name = "encrypt"

    def __init__(self, options: EncryptOptions, key: bytes) -> None:
        self._cipher = DeterministicCipher(subkey(key, "encrypt", DeterministicCipher.KEY_BYTES))

    def apply(self, value: str, entity_type: str) -> str:
        if not value:
            return value  # nothing to hide (AES-SIV takes no empty plaintext)
        sealed = self._cipher.seal(value.encode("utf-8"), _AAD)
        return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def decrypt(self, token: str) -> str:
        """The value of one token.

        Raises:
            DecryptionFailed: not a token of this key (for whatever reason).
        """
        if not token.startswith(PREFIX):
            raise DecryptionFailed()
        body = token[len(PREFIX) :]
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._cipher.open(blob, _AAD).decode("utf-8")
        except (binascii.Error, ValueError):
            raise DecryptionFailed() from None


TYPE = OperatorType("encrypt", EncryptOptions, Encrypt, keyed=True)
