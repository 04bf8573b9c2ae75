"""Sharing with partners: export what an agreement allows, de-identified and anonymized, and
keep the register of what went to whom and when.

`SharingDesk.share` runs an agreement of the data map (`tutela.sharing.agreement`):

1. the agreement is checked (policy, keys, a rule per field, hierarchies) before any read;
2. the vault is read page by page, through its purpose-gated batch read for the partner's
   purpose: a subject without the consent the purpose needs (or who objected), or whose
   processing is restricted, is left out at the moment of reading; erased subjects do not
   exist any more. Each read is audited by the vault, as every read is;
3. the rows are de-identified by the policy, with pseudonyms keyed for this partner, and
   anonymized to the agreement's privacy model (`tutela.anonymize`);
4. the data file, the HTML report (rendered by the caller: services hold no templates) and
   the manifest are written all or nothing;
5. the export enters the share register and the audit log as one entry naming the partner,
   the purpose, the fields and how many subjects were shared, never which ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutela.actor import Actor
from tutela.clock import Clock
from tutela.core.audit import AuditEvent
from tutela.core.crypto import random_id
from tutela.core.uow import UnitOfWork
from tutela.datamap import DataMap
from tutela.datamap.masking import JsonValue
from tutela.datamap.spec import ExportFormat
from tutela.deid.keys import KeySource, home_key_source
from tutela.sharing import files, repository
from tutela.sharing.agreement import Agreement, resolve
from tutela.sharing.errors import NothingToShare
from tutela.sharing.repository import ShareRecord
from tutela.sharing.table import build_table
from tutela.vault import Vault

if TYPE_CHECKING:
    import polars as pl

    from tutela.anonymize import Result
    from tutela.anonymize.report import AnonymizationReport

ACTION = "share.export"
# Renders the HTML report of an export (`tutela.web.anonymize_report` in the CLI).
ReportRenderer = Callable[["AnonymizationReport", str], str]


@dataclass(frozen=True)
class ShareResult:
    """An export written and registered."""

    record: ShareRecord
    directory: Path
    files: tuple[Path, ...]
    manifest: dict[str, Any]
    left_out_incomplete: int  # subjects lacking a quasi-identifier's value: not shared
    suppressed: int  # records the privacy model suppressed

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.record.as_dict(),
            "directory": str(self.directory),
            "files": [str(p) for p in self.files],
            "left_out_incomplete": self.left_out_incomplete,
            "suppressed": self.suppressed,
        }


class SharingDesk:
    """Partner exports and their register."""

    def __init__(
        self,
        datamap: DataMap,
        vault: Vault,
        *,
        home: Path,
        clock: Clock,
        keys: KeySource | None = None,
        datamap_version: Callable[[], str],
        page_size: int = 1_000,
    ) -> None:
        self.datamap = datamap
        self._vault = vault
        self._home = home
        self._keys = keys
        self._clock = clock
        self._version = datamap_version
        self._page = page_size

    def agreement(self, partner: str) -> Agreement:
        """The partner's agreement, checked (see `tutela.sharing.agreement.resolve`). Keys
        are the home's `deid.key` unless others were given, looked up now (a key created
        after the home was opened is used)."""
        keys = self._keys if self._keys is not None else home_key_source(self._home)
        return resolve(self.datamap, partner, home=self._home, keys=keys)

    def share(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        partner: str,
        out: Path,
        *,
        actor: Actor,
        fmt: ExportFormat | None = None,
        render_report: ReportRenderer | None = None,
    ) -> ShareResult:
        """Export to `partner` into the directory `out` (which must not hold anything).

        Raises:
            PartnerNotInDataMap, PolicyInvalid, KeyRequired, AgreementUnusable,
            HierarchyInvalid: the agreement cannot run; nothing was read.
            RoleNotAllowed: the actor's role may not use the partner's purpose (audited).
            AnonymizationInvalid, NoSolution: the privacy model cannot be met.
            ShareNotWritten: the destination holds something or cannot be written.
            NothingToShare: no subject may be shared now.
        """
        from tutela.anonymize import anonymize
        from tutela.anonymize.report import build_report

        agreement = self.agreement(partner)
        files.check_destination(out)
        records = self._read(unit_of_work, agreement, actor)
        table, incomplete = build_table(agreement, self.datamap, records)
        if table.height == 0:
            raise NothingToShare(partner, agreement.spec.purpose)
        model = agreement.spec.model
        result = anonymize(
            table,
            quasi=list(model.quasi_identifiers),
            hierarchies=agreement.hierarchies,
            k=model.k,
            l=model.l,
            t=model.t,
            sensitive=model.sensitive,
            suppression=model.suppression,
        )
        report = build_report(
            table,
            result,
            heights=_heights(agreement, table),
            suppression_limit=model.suppression,
            source=f"share to {partner}",
            k=model.k,
        )
        export_id = random_id("shr")
        now = self._clock.now()
        kind = fmt or agreement.spec.format
        with files.staging(out, export_id) as staged:
            written = [files.write_data(result.table, staged, kind)]
            if render_report is not None:
                html = render_report(report, f"Share to {partner}")
                written.append(files.write_text(staged / files.REPORT, html))
            manifest = self._manifest(
                agreement, result, report, export_id=export_id, at=now, kind=kind, written=written
            )
            manifest_sha256 = files.write_manifest(staged, manifest)
        record = ShareRecord(
            id=export_id,
            partner=partner,
            purpose=agreement.spec.purpose,
            at=now,
            actor=actor.id,
            subjects=len(records),
            rows=result.table.height,
            fields=agreement.spec.fields,
            format=kind.value,
            models=result.models,
            datamap_version=self._version(),
            manifest_sha256=manifest_sha256,
            destination=str(out.resolve()),
        )
        try:
            with unit_of_work() as uow:
                self._register(uow, record, actor)
        except BaseException:
            files.remove(out)  # an export not in the register must not exist
            raise
        paths = (*(out / p.name for p in written), out / files.MANIFEST)
        return ShareResult(
            record,
            out,
            paths,
            manifest,
            left_out_incomplete=incomplete,
            suppressed=result.metrics.suppressed,
        )

    def log(self, uow: UnitOfWork, *, partner: str | None = None) -> list[ShareRecord]:
        """The share register, oldest first."""
        return repository.exports(uow.conn, partner=partner)

    # -- steps -----------------------------------------------------------------------------

    def _read(
        self, unit_of_work: Callable[[], UnitOfWork], agreement: Agreement, actor: Actor
    ) -> dict[str, dict[str, JsonValue]]:
        """Every subject the partner's purpose may use now, with the shared fields' values.
        One transaction per page: the restriction filter and the purpose-gated read of a
        page see the same state."""
        records: dict[str, dict[str, JsonValue]] = {}
        after = ""
        fields = list(agreement.spec.fields)
        while True:
            with unit_of_work() as uow:
                page = repository.unrestricted_subjects(uow.conn, after, self._page)
                if not page:
                    break
                read = self._vault.read_many(
                    uow, page, purpose=agreement.spec.purpose, actor=actor, fields=fields
                )
            records.update(read)
            after = page[-1]
        return records

    def _register(self, uow: UnitOfWork, record: ShareRecord, actor: Actor) -> None:
        repository.insert_export(uow.conn, record)
        uow.record(
            AuditEvent(
                actor=actor.id,
                role=actor.role,
                action=ACTION,
                purpose=record.purpose,
                fields=record.fields,
                detail=(
                    f"export {record.id} to partner {record.partner}: {record.rows} "
                    f"subject(s) shared of {record.subjects} eligible, {record.format}"
                )[:256],
            )
        )

    def _manifest(
        self,
        agreement: Agreement,
        result: Result,
        report: AnonymizationReport,
        *,
        export_id: str,
        at: datetime,
        kind: ExportFormat,
        written: list[Path],
    ) -> dict[str, Any]:
        spec = agreement.spec
        figures = report.as_dict()
        return {
            "export_id": export_id,
            "created_at": at.isoformat(),
            "partner": agreement.partner,
            "purpose": spec.purpose,
            "legal_basis": agreement.purpose.basis.value,
            "datamap_version": self._version(),
            "fields": list(spec.fields),
            "subject_column": spec.subject_column,
            "format": kind.value,
            "rows": result.table.height,
            "files": files.file_entries(written),
            "policy": {
                "source": agreement.policy_source,
                "sha256": agreement.policy_sha256,
                "recipient": agreement.policy.recipient,
                "key_fingerprint": agreement.key_fingerprint,
                "columns": {rule.field: rule.action for rule in agreement.rules},
            },
            "model": {
                "k": spec.model.k,
                "l": spec.model.l,
                "t": spec.model.t,
                "quasi_identifiers": list(spec.model.quasi_identifiers),
                "sensitive": spec.model.sensitive,
                "suppression_limit": spec.model.suppression,
                "satisfied": result.models,
                "method": result.method,
                "levels": None if result.levels is None else dict(result.levels),
            },
            "metrics": figures["metrics"],
            "risk": {"before": figures["risk_before"], "after": figures["risk_after"]},
            "class_sizes": figures["class_sizes"],
        }


def _heights(agreement: Agreement, table: pl.DataFrame) -> dict[str, int]:
    return {
        column: source.build(column, table[column]).height
        for column, source in agreement.hierarchies.items()
    }
