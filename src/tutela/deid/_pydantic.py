"""Pydantic validation errors as `(location, reason)` pairs that never quote the input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

_REASONS = {
    "missing": "is required",
    "extra_forbidden": "is not a known option",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
}


def location(parts: Sequence[int | str], prefix: str = "") -> str:
    """`entities.PHONE_NUMBER.keep_last`, `recognizers[0].regex`; ``entities (a name)`` for
    a key that is itself invalid (it could be anything: it is not repeated)."""
    text = prefix
    if "[key]" in parts:  # a mapping key that is not a valid name: never repeat it
        parts = list(parts[: list(parts).index("[key]") - 1])
        return location(parts, prefix) + " (a name)"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def reason(error: Any) -> str:  # noqa: PLR0911 (one answer per kind of error)
    """A short reason for one pydantic error dict; our own validators' messages pass through
    (they are written never to contain the value)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in _REASONS:
        return _REASONS[kind]
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"must be {sign} {ctx.get(key)}"
    if kind == "string_too_short":
        return f"must have at least {ctx.get('min_length')} character(s)"
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} character(s)"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        return str(ctx["error"])
    return "is not valid"


def problems(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Every error of `exc` as (location, reason), locations prefixed with `prefix`."""
    return [(location(e["loc"], prefix), reason(e)) for e in exc.errors()]
