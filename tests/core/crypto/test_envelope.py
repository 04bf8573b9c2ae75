"""Envelope encryption: known answers pin the format; any move or edit of a ciphertext fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutela.core.crypto import DataKey, new_secret
from tutela.core.crypto.envelope import seal_field_with_nonce
from tutela.errors import DecryptionFailed

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "envelope.json").read_text())


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["field"])
def test_known_answer_vectors(case: dict[str, object]) -> None:
    key = DataKey(
        str(case["subject_id"]), int(case["dek_version"]), bytes.fromhex(str(case["key"]))
    )
    plaintext = str(case["plaintext"]).encode()
    sealed = seal_field_with_nonce(
        key, str(case["field"]), plaintext, bytes.fromhex(str(case["nonce"]))
    )
    assert sealed.hex() == case["ciphertext"]
    assert key.open(str(case["field"]), sealed) == plaintext


@given(st.binary(max_size=2048))
def test_round_trip_with_fresh_nonces(plaintext: bytes) -> None:
    key = DataKey.generate("sub_a")
    first, second = key.seal("email", plaintext), key.seal("email", plaintext)
    assert first != second  # a fresh random nonce every time
    assert key.open("email", first) == key.open("email", second) == plaintext


def test_ciphertext_bound_to_subject_field_and_version() -> None:
    material = new_secret()
    key = DataKey("sub_a", 1, material)
    sealed = key.seal("email", b"value")
    for other, field in [
        (DataKey("sub_b", 1, material), "email"),  # another subject's row, same key bytes
        (DataKey("sub_a", 2, material), "email"),  # another key version
        (key, "name"),  # another field
    ]:
        with pytest.raises(DecryptionFailed):
            other.open(field, sealed)


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
def test_any_flipped_byte_fails_with_one_opaque_error(position: int) -> None:
    key = DataKey.generate("sub_a")
    sealed = bytearray(key.seal("email", b"value"))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionFailed) as raised:
        key.open("email", bytes(sealed))
    assert str(raised.value) == "decryption failed"


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + bytes(27), b"\x02" + bytes(40)])
def test_truncated_or_unknown_format_fails(blob: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        DataKey.generate("sub_a").open("email", blob)


def test_key_material_is_not_in_repr() -> None:
    key = DataKey.generate("sub_a")
    assert key.material.hex() not in repr(key)
