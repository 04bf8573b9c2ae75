"""`redact`: remove the value entirely."""

from __future__ import annotations

from tutela.deid.operators._spec import OperatorType, Options, unkeyed


class RedactOptions(Options):
    pass


class Redact:
    name = "redact"

    def apply(self, value: str, entity_type: str) -> str:
        return ""


TYPE = OperatorType("redact", RedactOptions, unkeyed(lambda _o: Redact()))
