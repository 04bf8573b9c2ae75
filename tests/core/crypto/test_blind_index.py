"""Blind index: known answers, and digests that differ by field and by key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutela.core.crypto import BlindIndex, new_secret

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "blind_index.json").read_text())


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["field"])
def test_known_answer_vectors(case: dict[str, str]) -> None:
    index = BlindIndex(bytes.fromhex(case["key"]))
    assert index.digest(case["field"], case["normalised"]).hex() == case["digest"]


def test_field_and_key_change_the_digest() -> None:
    index = BlindIndex(new_secret())
    assert index.digest("email", "a@b.example") != index.digest("backup_email", "a@b.example")
    assert index.digest("email", "a@b.example") != BlindIndex(new_secret()).digest(
        "email", "a@b.example"
    )


def test_key_must_be_256_bits() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(b"short")
