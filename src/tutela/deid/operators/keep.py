"""`keep`: leave the value as it is (for types a recipient may see)."""

from __future__ import annotations

from tutela.deid.operators._spec import OperatorType, Options, unkeyed


class KeepOptions(Options):
    pass


class Keep:
    name = "keep"

    def apply(self, value: str, entity_type: str) -> str:
        return value


TYPE = OperatorType("keep", KeepOptions, unkeyed(lambda _o: Keep()))
