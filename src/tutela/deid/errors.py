"""Errors of de-identification policies and keys (messages name locations, never values).

They sit under `ValidationFailed`, so the CLI (exit 1) and the API (422 problem+json, with the
location as its pointer) report them like any invalid input:

    ValidationFailed
    └── PolicyInvalid           (a policy document or inline policy: location and reason)
        ├── KeyRequired         (an operator needs a key and none was given)
        └── NerUnavailable      (`ner: true` without spaCy and a model installed)
"""

from __future__ import annotations

from collections.abc import Sequence

from tutela.errors import TutelaError, ValidationFailed


class PolicyInvalid(ValidationFailed):
    """The policy cannot be used as written; `field` is the location (e.g.
    `entities.PHONE_NUMBER.keep_last`), `reason` says what is wrong with it."""

    def __init__(
        self,
        location: str,
        reason: str,
        *,
        source: str = "policy",
        problems: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.field, self.reason, self.source = location, reason, source
        # `problems`, when given, starts with (location, reason).
        self._more = tuple(problems)[1:]
        where = f"{source}: {location}" if location else source
        more = f" (and {len(self._more)} more)" if self._more else ""
        TutelaError.__init__(self, f"{where}: {reason}{more}")


class KeyRequired(PolicyInvalid):
    """A keyed operator (pseudonymize, fake, encrypt, date_shift) without a key."""

    def __init__(self, location: str, operator: str, hint: str) -> None:
        super().__init__(location, f"operator '{operator}' needs a key: {hint}")


class NerUnavailable(PolicyInvalid):
    """The policy asks for the NER backend but spaCy or its model is not installed."""

    def __init__(self, reason: str) -> None:
        super().__init__("ner", reason)
