"""Partner shares on SQLite and PostgreSQL: who is exported (consent at the moment of the
share, never the restricted or erased), per-partner pseudonyms, one audit entry per export,
the manifest's hashes, the privacy model, and agreements refused before anything is read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
from sharing_support import add_customers, open_shop, sha256

from tutela import Settings, Tutela
from tutela.actor import Actor
from tutela.deid.errors import KeyRequired
from tutela.sharing import (
    AgreementUnusable,
    NothingToShare,
    PartnerNotInDataMap,
    ShareNotWritten,
)
from tutela.sharing.agreement import SUBJECT_TYPE
from tutela.testing import PiiCanary
from tutela.web.anonymize_report import render_anonymize_report

FIELDS = ("email", "date_of_birth", "country")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _pseudonym(shop: Tutela, partner: str, subject_id: str) -> str:
    operator = shop.sharing.agreement(partner).subject_operator
    assert operator is not None
    return operator.apply(subject_id, SUBJECT_TYPE)


def _shared(shop: Tutela, partner: str, out: Path) -> list[dict[str, str]]:
    shop.sharing.share(partner, out)
    return _rows(out / "data.csv")


def test_a_share_excludes_a_subject_right_after_their_consent_is_withdrawn(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        ids = add_customers(shop, canary, 6)
        before = {r["customer"] for r in _shared(shop, "lab_a", tmp_path / "first")}
        assert before == {_pseudonym(shop, "lab_a", s) for s in ids}

        shop.consents.withdraw(ids[0], "analytics")
        after = _rows(shop.sharing.share("lab_a", tmp_path / "second").directory / "data.csv")

        assert {r["customer"] for r in after} == before - {_pseudonym(shop, "lab_a", ids[0])}
        record = shop.sharing.log()[-1]
        assert (record.subjects, record.rows) == (5, 5)
        # The vault refused the read for that subject, at the moment of the share.
        denied = [
            e.event
            for e in shop.audit_entries(subject_id=ids[0])
            if e.event.action == "subject.read" and e.event.outcome == "denied"
        ]
        assert [(d.purpose, d.detail) for d in denied] == [("analytics", "ConsentNotActive")]


def test_two_partners_pseudonyms_for_the_same_customer_differ(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        ids = add_customers(shop, canary, 5)
        a = _shared(shop, "lab_a", tmp_path / "a")
        b = _shared(shop, "lab_b", tmp_path / "b")
        again = _shared(shop, "lab_a", tmp_path / "a-again")

        assert len(a) == len(b) == 5
        # Nothing lets the two partners join their files: neither the customer's pseudonym
        # nor the pseudonymized email is shared between them...
        assert not {r["customer"] for r in a} & {r["customer"] for r in b}
        assert not {r["email"] for r in a} & {r["email"] for r in b}
        for subject_id in ids:
            assert _pseudonym(shop, "lab_a", subject_id) != _pseudonym(shop, "lab_b", subject_id)
        # The partner is the recipient whatever its named policy says.
        assert shop.sharing.agreement("lab_b").policy.recipient == "lab_b"
        # ... while one partner's pseudonyms are stable from one export to the next.
        assert sorted((r["customer"], r["email"]) for r in again) == sorted(
            (r["customer"], r["email"]) for r in a
        )
        # The quasi-identifiers are the same values: only the keyed columns differ.
        assert sorted((r["date_of_birth"], r["country"]) for r in a) == sorted(
            (r["date_of_birth"], r["country"]) for r in b
        )
        # No personal value was shared in the clear.
        texts = [p.read_text("utf-8") for d in ("a", "b") for p in (tmp_path / d).iterdir()]
        assert not canary.leaks(texts)


def test_erased_restricted_and_unconsented_subjects_are_never_exported(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        ids = add_customers(shop, canary, 6)
        (unconsented,) = add_customers(shop, canary, 1, consent=False)
        erased, restricted = ids[1], ids[2]
        shop.erase(erased)
        # A restriction that still allows the partner's very purpose: the vault would let
        # it be read for analytics, but a restricted customer is never handed to a partner.
        with shop.unit_of_work() as uow:
            shop.vault.restrict(
                uow, restricted, frozenset({"analytics"}), Actor("test", "admin"), why="test"
            )

        rows = _shared(shop, "lab_a", tmp_path / "out")

        shared = {r["customer"] for r in rows}
        for subject_id in (erased, restricted, unconsented):
            assert _pseudonym(shop, "lab_a", subject_id) not in shared
        assert shared == {
            _pseudonym(shop, "lab_a", s) for s in ids if s not in (erased, restricted)
        }


def test_one_audit_entry_per_export_lists_the_count_and_fields_never_ids(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        ids = add_customers(shop, canary, 4)
        first = shop.sharing.share("lab_a", tmp_path / "one")
        second = shop.sharing.share("lab_b", tmp_path / "two")

        entries = [e.event for e in shop.audit_entries() if e.event.action == "share.export"]
        assert len(entries) == 2
        for event, result, partner in zip(
            entries, (first, second), ("lab_a", "lab_b"), strict=True
        ):
            assert tuple(event.fields) == FIELDS
            assert event.purpose == "analytics"
            assert event.subject_id is None
            assert event.detail is not None
            assert f"export {result.record.id} to partner {partner}" in event.detail
            assert "4 subject(s) shared of 4 eligible" in event.detail
            assert not any(s in event.detail for s in ids)
        register = shop.sharing.log()
        assert [(r.id, r.partner, r.subjects, r.fields) for r in register] == [
            (first.record.id, "lab_a", 4, FIELDS),
            (second.record.id, "lab_b", 4, FIELDS),
        ]
        assert [r.id for r in shop.sharing.log(partner="lab_b")] == [second.record.id]
        assert not canary.leaks(repr(e) for e in shop.audit_entries())


def test_the_manifest_hashes_match_the_files(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        add_customers(shop, canary, 5)
        result = shop.sharing.share(
            "lab_a",
            tmp_path / "out",
            render_report=lambda report, title: render_anonymize_report(report, title=title),
        )
        out = tmp_path / "out"
        assert sorted(p.name for p in out.iterdir()) == ["data.csv", "manifest.json", "report.html"]
        manifest = json.loads((out / "manifest.json").read_text("utf-8"))

        assert manifest == result.manifest
        assert {f["name"]: (f["sha256"], f["bytes"]) for f in manifest["files"]} == {
            name: (sha256(out / name), (out / name).stat().st_size)
            for name in ("data.csv", "report.html")
        }
        assert sha256(out / "manifest.json") == result.record.manifest_sha256
        assert shop.sharing.log()[0].manifest_sha256 == result.record.manifest_sha256
        assert manifest["datamap_version"] == shop.datamap_version
        assert (manifest["partner"], manifest["purpose"], manifest["legal_basis"]) == (
            "lab_a",
            "analytics",
            "consent",
        )
        assert manifest["policy"]["columns"] == {
            "email": "pseudonymize",
            "date_of_birth": "model",
            "country": "model",
        }
        assert manifest["model"]["satisfied"] == "1-anonymity"
        assert manifest["metrics"]["records"] == 5
        assert "<html" in (out / "report.html").read_text("utf-8").lower()
        # Nobody can read the export but its owner.
        assert all(p.stat().st_mode & 0o077 == 0 for p in out.iterdir())


def test_the_export_meets_the_agreements_k_anonymity_and_parquet_is_written(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path, k=3, suppression=0.5) as shop:
        add_customers(shop, canary, 12)
        result = shop.sharing.share("lab_a", tmp_path / "out", fmt="parquet")

        table = pl.read_parquet(tmp_path / "out" / "data.parquet")
        assert table.columns == ["customer", *FIELDS]
        sizes = table.group_by(["date_of_birth", "country"]).len()["len"].to_list()
        assert sizes and min(sizes) >= 3
        assert result.record.models == "3-anonymity"
        assert result.record.rows == table.height == 12 - result.suppressed


def test_an_agreement_that_cannot_run_is_refused_before_anything_is_read(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        add_customers(shop, canary, 2)
        reads_before = sum(1 for e in shop.audit_entries() if e.event.action == "subject.read")

        with pytest.raises(PartnerNotInDataMap, match="partner 'nobody'"):
            shop.sharing.share("nobody", tmp_path / "x")
        taken = tmp_path / "taken"
        taken.mkdir()
        (taken / "old.csv").write_text("x\n")
        with pytest.raises(ShareNotWritten, match="not empty"):
            shop.sharing.share("lab_a", taken)
        (settings.home / "deid.key").unlink()
        with pytest.raises(KeyRequired):
            shop.sharing.share("lab_a", tmp_path / "y")

        reads_after = sum(1 for e in shop.audit_entries() if e.event.action == "subject.read")
        assert reads_after == reads_before
        assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
        assert sorted(p.name for p in taken.iterdir()) == ["old.csv"]
        assert shop.sharing.log() == []


def test_a_field_without_a_rule_or_a_hierarchy_is_refused(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        (settings.home / "policies" / "lab_b.yaml").write_text("columns: {}\n")
        with pytest.raises(AgreementUnusable) as raised:
            shop.sharing.agreement("lab_b")
        assert raised.value.field == "partners.lab_b.fields[0]"
        assert "field 'email' has no rule" in str(raised.value)

        (settings.home / "hierarchies" / "country.csv").unlink()
        with pytest.raises(AgreementUnusable, match="'country' has no generalization hierarchy"):
            shop.sharing.agreement("lab_a")


def test_nothing_is_written_when_no_subject_may_be_shared(
    settings: Settings, tmp_path: Path, canary: PiiCanary
) -> None:
    with open_shop(settings, tmp_path) as shop:
        add_customers(shop, canary, 2, consent=False)
        with pytest.raises(NothingToShare, match="partner 'lab_a'"):
            shop.sharing.share("lab_a", tmp_path / "out")
        assert not (tmp_path / "out").exists()
        assert shop.sharing.log() == []
        assert not [e for e in shop.audit_entries() if e.event.action == "share.export"]
