"""Partner sharing: exports of what a sharing agreement in the data map allows, de-identified
with per-partner keys and anonymized to the agreement's privacy model, and the register of
what went to whom and when."""

from tutela.sharing.agreement import Agreement, ColumnRule, PartnerKeys
from tutela.sharing.errors import (
    AgreementUnusable,
    NothingToShare,
    PartnerNotInDataMap,
    ShareNotWritten,
)
from tutela.sharing.repository import ShareRecord
from tutela.sharing.service import ReportRenderer, ShareResult, SharingDesk

__all__ = [
    "Agreement",
    "AgreementUnusable",
    "ColumnRule",
    "NothingToShare",
    "PartnerKeys",
    "PartnerNotInDataMap",
    "ReportRenderer",
    "ShareNotWritten",
    "ShareRecord",
    "ShareResult",
    "SharingDesk",
]
