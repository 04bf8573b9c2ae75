"""Consent receipts: one Ed25519-signed receipt per ledger event that anyone holding the
published key can check; any change to a signed receipt fails the check; the request's
evidence is kept only as a keyed hash. Known-answer vectors pin the canonical form and the
signature.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tutela import Settings, Tutela
from tutela.consent import receipts
from tutela.core.crypto import Signer
from tutela.testing import PiiCanary

VECTORS = Path(__file__).parents[1] / "vectors" / "consent_receipt.json"


def _vector() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text("utf-8"))
    return data


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- known-answer vectors --------------------------------------------------------------------


def test_canonical_form_and_signature_match_the_known_answer_vector() -> None:
    """A change to the canonical JSON or the signing breaks every receipt already handed out:
    this fixed receipt must keep giving the same bytes and the same signature."""
    vector = _vector()
    receipt = vector["receipt"]
    signer = Signer(bytes.fromhex(vector["private_key"]))
    assert signer.public_key.hex() == vector["public_key"]
    assert receipts.canonical(receipt).decode("utf-8") == vector["canonical"]
    signed = receipts.sign(receipt, signer)
    assert signed == {**receipt, "signature": vector["signature"]}
    assert _unb64url(signed["signature"]["value"]).hex() == vector["signature_hex"]
    # The signature member is not covered by itself: the signed receipt has the same bytes.
    assert receipts.canonical(signed) == receipts.canonical(receipt)
    check = receipts.verify(signed, {signer.key_id: signer.public_key})
    assert (check.valid, check.receipt_id, check.key_id) == (
        True,
        receipt["receipt_id"],
        vector["signature"]["kid"],
    )


def test_vector_follows_the_documented_recipe() -> None:
    """Independently of the code: Ed25519 over UTF-8 JSON with sorted keys and no whitespace,
    base64url without padding, kid = first 16 hex digits of SHA-256 of the raw public key."""
    vector = _vector()
    body = json.dumps(
        vector["receipt"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert body.decode() == vector["canonical"]
    public = bytes.fromhex(vector["public_key"])
    signature = bytes.fromhex(vector["signature_hex"])
    Ed25519PublicKey.from_public_bytes(public).verify(signature, body)  # raises if wrong
    assert vector["signature"] == {
        "alg": "Ed25519",
        "kid": hashlib.sha256(public).hexdigest()[:16],
        "value": _b64url(signature),
    }


def test_signer_is_standard_ed25519_rfc8032_test_1() -> None:
    rfc = _vector()["rfc8032"]
    signer = Signer(bytes.fromhex(rfc["private_key"]))
    assert signer.public_key.hex() == rfc["public_key"]
    assert signer.sign(bytes.fromhex(rfc["message"])).hex() == rfc["signature"]


# -- receipts of real events -----------------------------------------------------------------


def test_every_event_gets_a_receipt_that_verifies(tutela: Tutela, canary: PiiCanary) -> None:
    sid = tutela.add(canary.customer())
    granted = tutela.consents.grant(sid, "newsletter")
    withdrawn = tutela.consents.withdraw(sid, "newsletter").receipts[0]
    regranted = tutela.consents.grant(sid, "newsletter")
    stored = tutela.consents.receipts(sid)
    assert stored == [granted, withdrawn, regranted]
    for receipt in stored:
        check = tutela.consents.verify(receipt)
        assert check.valid, check
        assert check.reason == "signature valid"
        assert check.receipt_id == receipt["receipt_id"]
    assert [r["action"] for r in stored] == ["grant", "withdraw", "grant"]
    assert len({r["receipt_id"] for r in stored}) == 3


def test_a_receipt_says_what_was_agreed_to_and_under_which_notice(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """The ISO/IEC TS 27560 / Kantara fields: controller, subject, purpose with its legal
    basis, data categories and retention, notice and data map versions, method, collector."""
    sid = tutela.add(canary.customer())
    receipt = tutela.consents.grant(sid, "personalised_ads", method="web_form")
    controller = tutela.datamap.controller
    assert receipt["schema"] == "tutela.consent-receipt/1"
    assert receipt["receipt_id"].startswith("rcpt_")
    assert receipt["subject_id"] == sid
    assert (receipt["action"], receipt["method"], receipt["collector"]) == (
        "grant",
        "web_form",
        "sdk",
    )
    assert receipt["jurisdiction"] == controller.country
    assert receipt["controller"]["name"] == controller.name
    assert receipt["notice"]["version"] == tutela.consents.notice_version
    assert receipt["datamap_version"] == tutela.datamap_version
    assert receipt["purposes"] == [
        {
            "purpose": "personalised_ads",
            "description": tutela.datamap.purposes["personalised_ads"].description,
            "legal_basis": "consent",
            "sale_or_share": True,
            "data_categories": ["user.contact.email", "user.unique_id"],
            "fields": ["email", "loyalty_id"],
            "retention": "P1Y",
        }
    ]
    assert receipt["signature"]["kid"] == tutela.consents.public_key()["kid"]
    assert canary.leaks([json.dumps(receipt)]) == []


def _tamperings(receipt: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every leaf of the receipt changed in turn (strings, booleans, nulls, list items)."""

    def changed(value: Any) -> Any:
        if isinstance(value, bool):
            return not value
        if isinstance(value, str):
            return value[:-1] + ("x" if not value.endswith("x") else "y") if value else "x"
        if value is None:
            return "x"
        return value + 1

    def walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        if isinstance(node, dict):
            for key, child in node.items():
                yield from walk(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                yield from walk(child, (*path, index))
        else:
            yield path

    for path in walk({k: v for k, v in receipt.items() if k != "signature"}, ()):
        copied = copy.deepcopy(receipt)
        parent = copied
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = changed(parent[path[-1]])
        yield "/".join(map(str, path)), copied


def test_changing_any_field_of_a_signed_receipt_fails_verification(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    receipt = tutela.consents.grant(sid, "newsletter")
    cases = list(_tamperings(receipt))
    assert len(cases) > 20  # every leaf, including each purpose, field and category
    still_valid = [where for where, doc in cases if tutela.consents.verify(doc).valid]
    assert still_valid == []
    for _, doc in cases[:3]:
        assert tutela.consents.verify(doc).reason == "the signature does not match the receipt"


def test_added_or_removed_members_fail_verification(tutela: Tutela, canary: PiiCanary) -> None:
    sid = tutela.add(canary.customer())
    receipt = tutela.consents.grant(sid, "analytics")
    added = {**receipt, "note": "granted twice"}
    dropped = {k: v for k, v in receipt.items() if k != "evidence"}
    reordered_list = copy.deepcopy(receipt)
    reordered_list["purposes"][0]["fields"].reverse()
    for doc in (added, dropped, reordered_list):
        assert not tutela.consents.verify(doc).valid


def test_changing_any_byte_of_the_signature_fails_verification(
    tutela: Tutela, canary: PiiCanary
) -> None:
    """Each of the 64 signature bytes flipped in turn (re-encoded canonically)."""
    sid = tutela.add(canary.customer())
    receipt = tutela.consents.grant(sid, "newsletter")
    raw = _unb64url(receipt["signature"]["value"])
    assert len(raw) == 64
    for position in range(len(raw)):
        flipped = bytearray(raw)
        flipped[position] ^= 0x01
        doc = copy.deepcopy(receipt)
        doc["signature"]["value"] = _b64url(bytes(flipped))
        assert not tutela.consents.verify(doc).valid, position


def test_a_signature_value_changed_without_changing_its_bytes_fails_verification(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    receipt = tutela.consents.grant(sid, "newsletter")
    value = receipt["signature"]["value"]
    # 64 bytes take 86 characters: the last one carries 2 bits, the other 4 are unused.
    last = value[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 0x01]
    variants = [value[:-1] + sibling, value + "==", value.replace("-", "+").replace("_", "/")]
    variants = [v for v in variants if v != value]
    accepted = []
    for variant in variants:
        doc = copy.deepcopy(receipt)
        doc["signature"]["value"] = variant
        if tutela.consents.verify(doc).valid:
            accepted.append(variant)
    assert accepted == []


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda r: r.pop("signature"), "the receipt carries no Ed25519 signature"),
        (lambda r: r.__setitem__("signature", "abc"), "the receipt carries no Ed25519 signature"),
        (lambda r: r["signature"].__setitem__("alg", "HS256"), "no Ed25519 signature"),
        (
            lambda r: r["signature"].__setitem__("kid", "0000000000000000"),
            "the receipt was signed with an unknown key",
        ),
        (lambda r: r["signature"].pop("kid"), "the receipt was signed with an unknown key"),
        (
            lambda r: r["signature"].__setitem__("value", "%%%not base64%%%"),
            "the signature value is not base64url",
        ),
        (
            lambda r: r["signature"].__setitem__("value", "AAAA"),
            "the signature does not match the receipt",
        ),
        (lambda r: r["signature"].__setitem__("value", 12), "not base64url"),
    ],
    ids=[
        "no-signature",
        "signature-not-object",
        "other-alg",
        "unknown-kid",
        "no-kid",
        "garbage-base64",
        "short-signature",
        "value-not-text",
    ],
)
def test_a_spoilt_signature_is_invalid_with_a_reason(
    tutela: Tutela, canary: PiiCanary, spoil: Callable[[dict[str, Any]], Any], reason: str
) -> None:
    sid = tutela.add(canary.customer())
    receipt = copy.deepcopy(tutela.consents.grant(sid, "newsletter"))
    spoil(receipt)
    check = tutela.consents.verify(receipt)
    assert not check.valid
    assert reason in check.reason
    assert check.receipt_id == receipt["receipt_id"]
    assert canary.leaks([check.reason]) == []


@pytest.mark.parametrize("document", [None, [], "receipt", 42, {}])
def test_something_that_is_not_a_receipt_is_invalid(document: object) -> None:
    signer = Signer(bytes.fromhex(_vector()["private_key"]))
    check = receipts.verify(document, {signer.key_id: signer.public_key})
    assert not check.valid
    assert check.receipt_id is None


def test_a_receipt_signed_by_another_home_does_not_verify(
    tutela: Tutela, tmp_path: Path, canary: PiiCanary
) -> None:
    """Another home's key has another kid: unknown here. Forged with our kid: bad signature."""
    sid = tutela.add(canary.customer())
    ours = tutela.consents.grant(sid, "newsletter")
    other_settings = Settings.load(tmp_path / "other", environ={})
    with Tutela.init(settings=other_settings) as other:
        foreign = other.consents.grant(other.add(canary.customer(1)), "newsletter")
    assert foreign["signature"]["kid"] != ours["signature"]["kid"]
    assert tutela.consents.verify(foreign).reason == "the receipt was signed with an unknown key"
    forged = {**foreign, "signature": {**foreign["signature"], "kid": ours["signature"]["kid"]}}
    assert tutela.consents.verify(forged).reason == "the signature does not match the receipt"


def test_the_published_public_key_verifies_receipts_independently(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    receipt = tutela.consents.grant(sid, "analytics")
    published = tutela.consents.public_key()
    assert published["alg"] == "Ed25519"
    assert published["kid"] == receipt["signature"]["kid"]
    public = _unb64url(published["public_key"])
    assert len(public) == 32
    Ed25519PublicKey.from_public_bytes(public).verify(
        _unb64url(receipt["signature"]["value"]), receipts.canonical(receipt)
    )


def test_the_signing_key_survives_reopening_the_home(
    tutela: Tutela, settings: Settings, canary: PiiCanary
) -> None:
    """Receipts handed out before a restart still verify after it (the key is stored)."""
    sid = tutela.add(canary.customer())
    receipt = tutela.consents.grant(sid, "newsletter")
    with Tutela.open(settings=settings) as reopened:
        assert reopened.consents.public_key() == tutela.consents.public_key()
        assert reopened.consents.verify(receipt).valid


# -- evidence --------------------------------------------------------------------------------


def _ledger_rows(tutela: Tutela) -> list[dict[str, Any]]:
    with tutela.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM consent_event ORDER BY seq")).mappings()
        return [dict(r) for r in rows]


def test_evidence_is_a_keyed_hash_never_the_raw_request(tutela: Tutela, canary: PiiCanary) -> None:
    """The address and user agent of a request go into the ledger only as a 16-byte keyed
    hash: the same request gives the same hash, another gives another, and the raw text is
    in neither the receipt nor the database row."""
    sid = tutela.add(canary.customer())
    agent = f"203.0.113.7|CanaryBrowser/{canary.token}"
    canary.values.append(agent)
    first = tutela.consents.record(sid, {"newsletter": True}, evidence=agent).receipts[0]
    again = tutela.consents.record(sid, {"analytics": True}, evidence=agent).receipts[0]
    other = tutela.consents.record(sid, {"analytics": False}, evidence="198.51.100.1|curl")
    none = tutela.consents.grant(sid, "personalised_ads")
    assert first["evidence"] == again["evidence"]
    assert len(bytes.fromhex(first["evidence"])) == 16
    assert other.receipts[0]["evidence"] not in (None, first["evidence"])
    assert none["evidence"] is None
    rows = _ledger_rows(tutela)
    assert bytes(rows[0]["evidence"]).hex() == first["evidence"]
    assert rows[-1]["evidence"] is None
    texts = [json.dumps(tutela.consents.receipts(sid)), repr(rows)]
    assert canary.leaks(texts) == []
    assert not any(canary.token in text or "203.0.113.7" in text for text in texts)
