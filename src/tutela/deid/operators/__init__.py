"""De-identification operators: what replaces a value that was found.

Each operator is a small class in its own module implementing `Operator`; `build(spec)`
makes one from a policy entry such as ``{"operator": "mask", "keep_last": 4}``.

    keep          the value as it is
    redact        nothing
    replace       ``<EMAIL_ADDRESS>``, or a template such as ``[{entity_type}]``
    mask          ``*******1234`` (keep_last, keep_first, char, keep_separators)
    generalize    a year, a postcode district, an age band
    pseudonymize  ``EMAIL_ADDRESS_3f9a1c0b7d2e4a61``: keyed HMAC, stable per key   (key)
    fake          a realistic stand-in from Faker, stable per value and key        (key)
    encrypt       ``enc:v1:…``: AES-SIV, reversible with the key (`reveal`)         (key)
    date_shift    dates moved by a per-subject offset, format kept                 (key)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from tutela.deid._pydantic import problems
from tutela.deid.errors import KeyRequired
from tutela.deid.keys import DEFAULT_RECIPIENT, KeySource
from tutela.deid.operators import (
    date_shift,
    encrypt,
    fake,
    generalize,
    keep,
    mask,
    pseudonymize,
    redact,
    replace,
)
from tutela.deid.operators._spec import OperatorType, Options
from tutela.deid.operators.base import Operator, OperatorSpecError
from tutela.deid.operators.date_shift import SubjectAware
from tutela.deid.operators.encrypt import Encrypt

OPERATORS: Mapping[str, OperatorType[Any]] = {
    t.name: t
    for t in (
        keep.TYPE,
        redact.TYPE,
        replace.TYPE,
        mask.TYPE,
        generalize.TYPE,
        pseudonymize.TYPE,
        fake.TYPE,
        encrypt.TYPE,
        date_shift.TYPE,
    )
}


def names() -> list[str]:
    return sorted(OPERATORS)


def parse(spec: Mapping[str, Any], *, where: str = "operator") -> tuple[OperatorType[Any], Options]:
    """The operator type and validated options of one entry, without building it (no key is
    needed to check a policy).

    Raises:
        OperatorSpecError: unknown operator or a bad option; the message names `where` and
            the option, never a value.
    """
    if not isinstance(spec, Mapping):
        raise OperatorSpecError(where, "must be a mapping such as {operator: replace}")
    name = spec.get("operator")
    if not isinstance(name, str) or not name:
        raise OperatorSpecError(f"{where}.operator", f"is required (one of {', '.join(names())})")
    kind = OPERATORS.get(name)
    if kind is None:
        raise OperatorSpecError(
            f"{where}.operator", f"unknown operator (expected one of {', '.join(names())})"
        )
    options = {k: v for k, v in spec.items() if k != "operator"}
    if any(not isinstance(k, str) for k in options):
        raise OperatorSpecError(where, "option names must be strings")
    try:
        return kind, kind.options.model_validate(options)
    except ValidationError as exc:
        raise OperatorSpecError(*problems(exc, where)[0]) from None


def build(
    spec: Mapping[str, Any],
    *,
    keys: KeySource,
    recipient: str = DEFAULT_RECIPIENT,
    where: str = "operator",
) -> Operator:
    """Make the operator a policy entry describes, e.g. ``{"operator": "mask", "keep_last": 4}``.

    Args:
        spec: ``operator`` and that operator's options.
        keys: where keyed operators get `recipient`'s key.
        recipient: whose key the keyed operators use (pseudonyms differ per recipient).
        where: the entry's location, named in errors (``entities.PHONE_NUMBER``).

    Raises:
        OperatorSpecError: unknown operator or option, or a bad option value.
        KeyRequired: a keyed operator and `keys` holds no key.
    """
    kind, options = parse(spec, where=where)
    return make(kind, options, keys=keys, recipient=recipient, where=where)


def make(
    kind: OperatorType[Any],
    options: Options,
    *,
    keys: KeySource,
    recipient: str = DEFAULT_RECIPIENT,
    where: str = "operator",
) -> Operator:
    """Build a parsed entry (see `parse`)."""
    key = None
    if kind.keyed:
        key = keys.key(recipient)
        if key is None:
            raise KeyRequired(where, kind.name, keys.missing_hint)
    return kind.make(options, key)


__all__ = [
    "OPERATORS",
    "Encrypt",
    "Operator",
    "OperatorSpecError",
    "SubjectAware",
    "build",
    "names",
    "parse",
]
