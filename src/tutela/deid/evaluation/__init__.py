"""A labelled evaluation set for PII detection: seeded, multilingual, with hard negatives.

`generate(n, seed)` writes `n` messages — support tickets, CRM notes, chat lines, emails, form
dumps and log lines — for seven locales, filled with Faker values that are valid for their type
(checksummed ids, real numbering plans, Luhn-valid cards of every brand), and labels the exact
character span of every personal value as it is inserted. The same seed gives the same set
(with the same Faker and python-stdnum versions).

Labelling conventions, so a detector knows what "exact" means:
- PERSON covers the name only, never the title: in "Dear Mrs Smith," the span is "Smith".
  One name in five comes from another country's list (Polish, Turkish, Indian …), so
  a detector cannot reach full recall just by knowing Faker's lists for the seven locales.
- STREET_ADDRESS is the whole postal address — street, postcode, city (and US state) — on one
  line or several; a city named on its own is a LOCATION.
- A value's span never includes surrounding punctuation or whitespace.
- Nothing is nested: every character belongs to at most one span.

Each sample also lists its hard negatives (order numbers, invoice, ticket and tracking ids,
16-digit numbers failing Luhn, version strings, prices, log timestamps, UUIDs): text a detector
should not report, counted separately so a benchmark can give the share it flags.

    from tutela.deid.evaluation import generate
    for sample in generate(500, seed=1):
        found = analyzer.analyze(sample.text)
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

from tutela.deid.evaluation._model import Sample, Span
from tutela.deid.evaluation._texts import NEGATIVE_KINDS, STYLES, compose
from tutela.deid.evaluation._values import (
    CARD_BRANDS,
    GUEST_LOCALES,
    NATIONAL_ID,
    REGIONS,
    Values,
)

__all__ = [
    "CARD_BRANDS",
    "ENTITIES",
    "LOCALES",
    "NEGATIVE_KINDS",
    "STYLES",
    "Sample",
    "Span",
    "generate",
    "read_jsonl",
    "write_jsonl",
]

LOCALES = tuple(REGIONS)
"""Locales the values (names, addresses, phone numbers, ids, dates) are drawn for."""

ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    *NATIONAL_ID.values(),
    "IP_ADDRESS",
    "URL",
    "DATE_TIME",
    "PERSON",
    "STREET_ADDRESS",
    "LOCATION",
)
"""Every entity type the set labels."""

DEFAULT_SIZE = 2_000
DEFAULT_SEED = 7


def generate(n: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> list[Sample]:
    """`n` labelled texts; the same `seed` gives the same texts in processes started with the
    same `PYTHONHASHSEED` (some of Faker's locale providers draw from sets, whose order
    follows the string hash; `bench/deid_quality.py` fixes it).

    Locales and styles take turns, so every combination appears once `n` reaches 42.

    Raises:
        ValueError: `n` is negative.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    from faker import Faker

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    fakes = []
    for index, locale in enumerate(LOCALES + GUEST_LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed * 100 + index)
        fakes.append(fake)
    guests = fakes[len(LOCALES) :]
    values = [
        Values(locale, fake, rng, guests) for locale, fake in zip(LOCALES, fakes, strict=False)
    ]
    combos = [(v, style) for style in STYLES for v in values]
    return [compose(style, v, rng) for v, style in (combos[i % len(combos)] for i in range(n))]


def write_jsonl(
    path: str | Path,
    samples: Iterable[Sample] | None = None,
    *,
    n: int = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
) -> int:
    """Write samples (default: `generate(n, seed)`) as JSON Lines, one sample per line:
    `{"text", "locale", "style", "spans": [{"entity_type", "start", "end"}], "negatives": […]}`.

    Offsets are Python string (code point) indices. Returns the number of lines written.
    """
    rows = generate(n, seed) if samples is None else samples
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for sample in rows:
            out.write(json.dumps(sample.as_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> Iterator[Sample]:
    """The samples in a file written by `write_jsonl` (or by hand in the same shape)."""
    with Path(path).open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield Sample.from_dict(json.loads(line))
