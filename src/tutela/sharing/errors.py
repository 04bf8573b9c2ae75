"""Errors of partner sharing (messages name partners, fields and files, never a value).

DataMapError
└── PartnerNotInDataMap     (no sharing agreement of that name in the data map)
ValidationFailed
└── AgreementUnusable       (the agreement cannot be carried out as declared: location)
TutelaError
├── NothingToShare          (no subject may be shared now: nothing is written)
└── ShareNotWritten         (the export could not be written; nothing is left behind)
"""

from __future__ import annotations

from pathlib import Path

from tutela.errors import DataMapError, TutelaError, ValidationFailed


class PartnerNotInDataMap(DataMapError):
    """A share named a partner the data map does not declare."""

    def __init__(self, partner: str) -> None:
        self.partner = partner
        super().__init__(f"partner '{partner}' is not declared in the data map")


class AgreementUnusable(ValidationFailed):
    """The agreement is valid as a document but cannot be carried out: its policy, its
    hierarchies or a field left without a rule. `field` is the location in the data map
    (``partners.acme.fields[1]``), `reason` what is wrong there."""


class NothingToShare(TutelaError):
    """No subject may be shared with the partner now (none has the purpose valid, or every
    one lacks a quasi-identifier's value): no empty export is written."""

    def __init__(self, partner: str, purpose: str) -> None:
        self.partner, self.purpose = partner, purpose
        super().__init__(
            f"nothing to share with partner '{partner}': no subject may be used for purpose "
            f"'{purpose}' now with every quasi-identifier known"
        )


class ShareNotWritten(TutelaError):
    """The export's files could not be written; nothing was left at the destination."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: cannot write the export: {reason}")
