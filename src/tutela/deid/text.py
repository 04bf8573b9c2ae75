"""De-identify free text as a policy says, and give `encrypt` tokens back to a key holder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutela.deid.findings import Finding
from tutela.deid.keys import DEFAULT_RECIPIENT, KeySource
from tutela.deid.operators import build
from tutela.deid.operators.encrypt import TOKEN, Encrypt
from tutela.errors import DecryptionFailed

if TYPE_CHECKING:
    from tutela.deid.policy import Policy


def redact_text(text: str, findings: Sequence[Finding], policy: Policy) -> str:
    """`text` with each finding replaced by its type's operator output.

    Replaces from the end, so the offsets of the findings still to do hold. Of findings that
    overlap (an analyzer never returns such), the one starting later is applied.

    Raises:
        KeyRequired: an operator needs a key and the policy has none.
    """
    out = text
    limit = len(text)
    for finding in sorted(findings, key=lambda f: (f.start, f.end), reverse=True):
        if finding.end > limit or finding.start < 0 or finding.start >= finding.end:
            continue
        value = text[finding.start : finding.end]
        replacement = policy.operator_for(finding.entity_type).apply(value, finding.entity_type)
        out = out[: finding.start] + replacement + out[finding.end :]
        limit = finding.start
    return out


@dataclass(frozen=True)
class Redaction:
    """A de-identified text and what was found in the original (offsets into the original)."""

    text: str
    findings: list[Finding]


def redact(
    text: str,
    policy: Policy,
    *,
    threshold: float | None = None,
    entities: Sequence[str] | None = None,
) -> Redaction:
    """Find personal data with the policy's analyzer and de-identify it."""
    findings = policy.analyzer(threshold=threshold, entities=entities).analyze(text)
    return Redaction(redact_text(text, findings, policy), findings)


class DetectText:
    """The operator of a free-text column (``operator: detect``): each cell is analyzed and
    de-identified as text under the policy."""

    name = "detect"

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._analyzer = policy.analyzer()

    def apply(self, value: str, entity_type: str) -> str:
        return redact_text(value, self._analyzer.analyze(value), self.policy)


@dataclass(frozen=True)
class Revealed:
    """A text with its `encrypt` tokens decrypted; `failed` counts tokens left as they were
    (not made with this key, or altered)."""

    text: str
    revealed: int
    failed: int


def reveal_text(text: str, keys: KeySource, *, recipient: str = DEFAULT_RECIPIENT) -> Revealed:
    """Decrypt every ``enc:v1:…`` token of `text` made with `recipient`'s key.

    Raises:
        KeyRequired: `keys` holds no key.
    """
    operator = build({"operator": "encrypt"}, keys=keys, recipient=recipient, where="reveal")
    assert isinstance(operator, Encrypt)
    revealed = failed = 0
    parts: list[str] = []
    last = 0
    for match in TOKEN.finditer(text):
        try:
            value = operator.decrypt(match.group())
        except DecryptionFailed:
            failed += 1
            continue
        parts += [text[last : match.start()], value]
        last = match.end()
        revealed += 1
    parts.append(text[last:])
    return Revealed("".join(parts), revealed, failed)
