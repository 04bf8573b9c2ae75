"""`mask`: hide characters behind a masking character, keeping the first/last few.

The output has the input's length. With `keep_separators` (phones, cards, IBANs) only letters
and digits are masked and counted; spaces, dashes, dots, brackets and ``+`` stay where they
are. A value too short to hide anything once `keep_first` and `keep_last` are kept is masked
entirely: a mask never gives a whole value back.
"""

from __future__ import annotations

from pydantic import Field

from tutela.deid.operators._spec import OperatorType, Options, unkeyed


class MaskOptions(Options):
    keep_last: int = Field(4, ge=0, le=64)
    keep_first: int = Field(0, ge=0, le=64)
    char: str = Field("*", min_length=1, max_length=1)
    keep_separators: bool = False


class Mask:
    name = "mask"

    def __init__(self, options: MaskOptions) -> None:
        self.options = options

    def apply(self, value: str, entity_type: str) -> str:
        o = self.options
        maskable = [i for i, c in enumerate(value) if not o.keep_separators or c.isalnum()]
        if len(maskable) <= o.keep_first + o.keep_last:
            shown: set[int] = set()
        else:
            shown = set(maskable[: o.keep_first]) | set(maskable[len(maskable) - o.keep_last :])
        hidden = set(maskable) - shown
        return "".join(o.char if i in hidden else c for i, c in enumerate(value))


TYPE = OperatorType("mask", MaskOptions, unkeyed(Mask))
