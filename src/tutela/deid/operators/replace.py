"""`replace`: a fixed text, or a template naming the type (default ``<EMAIL_ADDRESS>``)."""

from __future__ import annotations

import string

from pydantic import Field, field_validator

from tutela.deid.operators._spec import OperatorType, Options, unkeyed

DEFAULT_TEMPLATE = "<{entity_type}>"


class ReplaceOptions(Options):
    """`template` may use ``{entity_type}`` (and ``{{``/``}}`` for braces), nothing else."""

    template: str = Field(DEFAULT_TEMPLATE, max_length=200)

    @field_validator("template")
    @classmethod
    def _only_entity_type(cls, template: str) -> str:
        try:
            fields = [
                (name, spec, conversion)
                for _, name, spec, conversion in string.Formatter().parse(template)
                if name is not None
            ]
        except ValueError:
            raise ValueError("has unbalanced braces (write {{ or }} for a brace)") from None
        if any(f != ("entity_type", "", None) for f in fields):
            raise ValueError("may only use the placeholder {entity_type}")
        return template


class Replace:
    name = "replace"

    def __init__(self, options: ReplaceOptions) -> None:
        self.template = options.template

    def apply(self, value: str, entity_type: str) -> str:
        return self.template.format(entity_type=entity_type)


TYPE = OperatorType("replace", ReplaceOptions, unkeyed(Replace))
