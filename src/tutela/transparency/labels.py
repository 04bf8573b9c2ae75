"""Human wording for what the data map says in keys: data categories (from the fideslang
taxonomy), legal bases, retention periods and purpose names. English only for now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from tutela.datamap.spec import LegalBasis, RetentionStart


@dataclass(frozen=True)
class CategoryLabel:
    """A fideslang data category: its key, display name and description."""

    key: str
    name: str
    description: str


@cache
def _categories() -> dict[str, CategoryLabel]:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY  # heavy: only when first asked

    return {
        c.fides_key: CategoryLabel(c.fides_key, c.name or c.fides_key, c.description or "")
        for c in DEFAULT_TAXONOMY.data_category
    }


def category_label(key: str) -> CategoryLabel:
    """The fideslang name and description of a data category key.

    A key the taxonomy does not know (a validated map never has one) is shown as itself.
    """
    return _categories().get(key) or CategoryLabel(key, key, "")


@dataclass(frozen=True)
class BasisWording:
    """A legal basis as people read it, with its GDPR article."""

    name: str
    article: str

    @property
    def text(self) -> str:
        """E.g. "Consent (GDPR Art. 6(1)(a))"."""
        return f"{self.name} ({self.article})"


BASES: dict[LegalBasis, BasisWording] = {
    LegalBasis.CONSENT: BasisWording("Consent", "GDPR Art. 6(1)(a)"),
    LegalBasis.CONTRACT: BasisWording("Performance of a contract", "GDPR Art. 6(1)(b)"),
    LegalBasis.LEGAL_OBLIGATION: BasisWording(
        "Compliance with a legal obligation", "GDPR Art. 6(1)(c)"
    ),
    LegalBasis.VITAL_INTERESTS: BasisWording("Protection of vital interests", "GDPR Art. 6(1)(d)"),
    LegalBasis.PUBLIC_TASK: BasisWording(
        "Performance of a task in the public interest", "GDPR Art. 6(1)(e)"
    ),
    LegalBasis.LEGITIMATE_INTERESTS: BasisWording("Legitimate interests", "GDPR Art. 6(1)(f)"),
}


def basis_wording(basis: LegalBasis) -> BasisWording:
    return BASES[basis]


_DURATION = re.compile(
    r"^P(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


def duration_text(iso: str) -> str:
    """An ISO 8601 duration in words: "P6Y" → "6 years", "P1Y6M" → "1 year and 6 months".

    Anything that is not a plain ISO 8601 duration is returned as it is.
    """
    match = _DURATION.fullmatch(iso.strip().upper())
    if match is None or not any(match.groupdict().values()):
        return iso
    parts = []
    for unit in _UNITS:
        amount = match.group(unit)
        if amount is None:
            continue
        number = amount.replace(",", ".")
        singular = number in {"1", "1.0"}
        parts.append(f"{number} {unit[:-1] if singular else unit}")
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def retention_start_text(
    start: RetentionStart, *, audience: Literal["customer", "controller"] = "customer"
) -> str:
    """What a retention period is counted from, said to the customer ("you") or in a record
    kept by the controller ("the customer")."""
    if start is RetentionStart.CONSENT:
        who = "you" if audience == "customer" else "the customer"
        return f"from when {who} last gave consent"
    return "from when the data was collected"


def purpose_title(name: str) -> str:
    """A purpose key as a title: "order_fulfilment" → "Order fulfilment"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
