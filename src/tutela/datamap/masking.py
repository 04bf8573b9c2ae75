"""Masking rules a data map can assign per role (e.g. support sees ``j***@example.com``).

Each rule is a small named class in the registry; `apply_mask` runs one on a stored value.
"""

from __future__ import annotations

from typing import ClassVar

JsonValue = str | int | bool | list[str] | None


class MaskRule:
    """Base of masking rules: `name` is what the data map writes."""

    name: ClassVar[str]
    description: ClassVar[str]

    def apply(self, value: JsonValue) -> JsonValue:
        raise NotImplementedError


class Redact(MaskRule):
    name = "redact"
    description = "hide the whole value"

    def apply(self, value: JsonValue) -> JsonValue:
        return None if value is None else "[redacted]"


class EmailPartial(MaskRule):
    name = "email_partial"
    description = "first letter of the local part and the domain: j***@example.com"

    def apply(self, value: JsonValue) -> JsonValue:
        if not isinstance(value, str) or "@" not in value:
            return Redact().apply(value)
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"


class Last4(MaskRule):
    name = "last4"
    description = "only the last four characters: ********1234"

    def apply(self, value: JsonValue) -> JsonValue:
        if not isinstance(value, str):
            return Redact().apply(value)
        keep = value[-4:] if len(value) > 6 else ""
        return "*" * (len(value) - len(keep)) + keep


class Initials(MaskRule):
    name = "initials"
    description = "initials only: J. S."

    def apply(self, value: JsonValue) -> JsonValue:
        if not isinstance(value, str):
            return Redact().apply(value)
        return " ".join(f"{part[0]}." for part in value.split() if part)


class YearOnly(MaskRule):
    name = "year_only"
    description = "the year of a date: 1987"

    def apply(self, value: JsonValue) -> JsonValue:
        if not isinstance(value, str) or len(value) < 4:
            return Redact().apply(value)
        return value[:4]


class FirstLine(MaskRule):
    name = "first_line_hidden"
    description = "an address without its first (street) line"

    def apply(self, value: JsonValue) -> JsonValue:
        if not isinstance(value, str):
            return Redact().apply(value)
        lines = [line for line in value.replace(",", "\n").splitlines() if line.strip()]
        return ", ".join(["***", *[line.strip() for line in lines[1:]]])


MASK_RULES: dict[str, MaskRule] = {
    rule.name: rule
    for rule in (Redact(), EmailPartial(), Last4(), Initials(), YearOnly(), FirstLine())
}


def apply_mask(rule_name: str, value: JsonValue) -> JsonValue:
    """Mask `value` with the named rule (names are checked when the data map loads)."""
    return MASK_RULES[rule_name].apply(value)
