"""`tutela.sharing` and `tutela.dp` in the Python SDK: partner exports and their register,
and differentially private statistics paid from the privacy-budget ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tutela.actor import Actor
from tutela.core.uow import UnitOfWork
from tutela.datamap.spec import ExportFormat
from tutela.sharing import (
    Agreement,
    AgreementUnusable,
    ReportRenderer,
    ShareRecord,
    ShareResult,
    SharingDesk,
)

SDK = "sdk"


class Sharing:
    """Exports to the partners of the data map. Reached as `Tutela(...).sharing`."""

    def __init__(self, desk: SharingDesk, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self.desk = desk
        self._uow = unit_of_work

    @property
    def partners(self) -> list[str]:
        """The partners the data map declares."""
        return sorted(self.desk.datamap.partners)

    def agreement(self, partner: str) -> Agreement:
        """The partner's agreement, checked without reading anything (policy, keys, a rule
        for every field, hierarchies).

        Raises:
            PartnerNotInDataMap, PolicyInvalid, KeyRequired, AgreementUnusable,
            HierarchyInvalid.
        """
        return self.desk.agreement(partner)

    def share(
        self,
        partner: str,
        out: Path,
        *,
        fmt: str | None = None,
        render_report: ReportRenderer | None = None,
        actor: Actor | None = None,
    ) -> ShareResult:
        """Export to `partner` into the new (or empty) directory `out`: the data, the
        manifest and, given a renderer, the HTML report. See `SharingDesk.share`.

        Args:
            partner: a partner of the data map.
            out: where to write; refused if it holds anything.
            fmt: "csv" or "parquet" (default: the agreement's format).
            render_report: turns the anonymization report into HTML (the CLI passes
                `tutela.web.anonymize_report.render_anonymize_report`).
            actor: who exports; its role must be allowed the partner's purpose.
        """
        try:
            kind = ExportFormat(fmt) if fmt is not None else None
        except ValueError:
            raise AgreementUnusable("format", "is csv or parquet") from None
        return self.desk.share(
            self._uow,
            partner,
            out,
            actor=actor or Actor(SDK, "admin"),
            fmt=kind,
            render_report=render_report,
        )

    def log(self, *, partner: str | None = None) -> list[ShareRecord]:
        """The share register: every export, oldest first (of one partner, if given)."""
        with self._uow() as uow:
            return self.desk.log(uow, partner=partner)
