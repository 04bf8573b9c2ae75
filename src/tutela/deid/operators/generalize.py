"""`generalize`: keep a coarser value. Dates become a year (or year-month), postcodes their
district (UK outward code, US first three digits, elsewhere the first two characters), ages a
band (``30-39``; at or over `top`, ``90+``).

What a value is comes from its entity type (`DATE_TIME`, `DATE_OF_BIRTH`, `POSTCODE`,
`ZIP_CODE`, `AGE`…) or `kind`. A value that cannot be read as its kind is replaced by
``<ENTITY_TYPE>``: never kept as it was.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from tutela.deid.operators import _dates
from tutela.deid.operators._spec import OperatorType, Options, unkeyed

Kind = Literal["date", "postcode", "age"]
_TYPE_KINDS: dict[str, Kind] = {
    "DATE_TIME": "date",
    "DATE": "date",
    "DATE_OF_BIRTH": "date",
    "POSTCODE": "postcode",
    "POSTAL_CODE": "postcode",
    "ZIP_CODE": "postcode",
    "ZIP": "postcode",
    "AGE": "age",
}
_UK_POSTCODE = re.compile(r"([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})", re.IGNORECASE)
_US_ZIP = re.compile(r"(\d{3})\d{2}(?:-\d{4})?")
_AGE = re.compile(r"(\d{1,3})(?:\s*(?:years?|yrs?|y/?o|y))?(?:\s*old)?", re.IGNORECASE)


class GeneralizeOptions(Options):
    """`to`: for dates. `band` and `top`: for ages. `country`: how to read postcodes
    (`auto`: UK or US by their shape, otherwise the first two characters)."""

    kind: Kind | None = None
    to: Literal["year", "year-month"] = "year"
    band: int = Field(10, ge=1, le=100)
    top: int | None = Field(90, ge=1, le=200)
    country: Literal["auto", "GB", "US", "other"] = "auto"
    day_first: bool = True


class Generalize:
    name = "generalize"

    def __init__(self, options: GeneralizeOptions) -> None:
        self.options = options

    def apply(self, value: str, entity_type: str) -> str:
        kind = self.options.kind or _TYPE_KINDS.get(entity_type.upper())
        result = None
        if kind == "date":
            result = self._date(value)
        elif kind == "postcode":
            result = self._postcode(value)
        elif kind == "age":
            result = self._age(value)
        return f"<{entity_type}>" if result is None else result

    def _date(self, value: str) -> str | None:
        found = _dates.year_month(value, day_first=self.options.day_first)
        if found is None:
            return None
        year, month = found
        if self.options.to == "year-month" and month is not None:
            return f"{year:04d}-{month:02d}"
        return f"{year:04d}"

    def _postcode(self, value: str) -> str | None:
        text, country = value.strip(), self.options.country
        if country in {"auto", "GB"} and (m := _UK_POSTCODE.fullmatch(text)):
            return m[1].upper()
        if country in {"auto", "US"} and (m := _US_ZIP.fullmatch(text)):
            return m[1]
        if country in {"auto", "other"}:
            compact = "".join(c for c in text if c.isalnum())
            return compact[:2].upper() if len(compact) > 2 else None
        return None

    def _age(self, value: str) -> str | None:
        m = _AGE.fullmatch(value.strip())
        if m is None:
            return None
        age, band, top = int(m[1]), self.options.band, self.options.top
        if top is not None and age >= top:
            return f"{top}+"
        low = age - age % band
        high = low + band - 1 if top is None else min(low + band - 1, top - 1)
        return str(low) if high == low else f"{low}-{high}"


TYPE = OperatorType("generalize", GeneralizeOptions, unkeyed(Generalize))
