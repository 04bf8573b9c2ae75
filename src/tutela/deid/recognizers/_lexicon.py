"""Word lists for the name, address and location recognizers, read from Faker's locale
providers on first use and cached (no download, nothing loaded at import)."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")


def wordset(words: str) -> frozenset[str]:
    """A set of the whitespace-separated words of `words` (keeps long word lists readable)."""
    return frozenset(words.split())


def _provider(kind: str, locale: str) -> Any:
    return importlib.import_module(f"faker.providers.{kind}.{locale}").Provider


def _words(kind: str, attributes: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for locale in LOCALES:
        try:
            provider = _provider(kind, locale)
        except ModuleNotFoundError:  # Faker has no such provider for this locale (en_GB lorem)
            continue
        for attribute in attributes:
            values = getattr(provider, attribute, ())
            found.update(v for v in values if isinstance(v, str))
    return frozenset(found)


def _name_parts(names: frozenset[str]) -> frozenset[str]:
    """Each list entry and each part of a compound one ("Jean-Luc", "María José")."""
    parts = set(names)
    for name in names:
        parts.update(p for p in name.replace("-", " ").split() if len(p) > 1 and p[0].isupper())
    return frozenset(parts)


@cache
def first_names() -> frozenset[str]:
    """Given names of the supported locales."""
    return _name_parts(_words("person", ("first_names", "first_names_female", "first_names_male")))


@cache
def last_names() -> frozenset[str]:
    """Family names of the supported locales."""
    return _name_parts(_words("person", ("last_names",)))


@cache
def common_words() -> frozenset[str]:
    """Everyday words of the supported languages (Faker's lorem lists), case-folded."""
    words = _words("lorem", ("word_list",))
    given = {name.casefold() for name in first_names()}  # lists hold "maría", "juan"
    return frozenset(w.casefold() for w in words) - given


@cache
def street_suffixes() -> frozenset[str]:
    """English street types written after the name ("Street", "Crescent", "Parkway"...)."""
    return frozenset(_provider("address", "en_US").street_suffixes) | frozenset(
        _provider("address", "en_GB").street_suffixes
    )


@cache
def cities() -> frozenset[str]:
    """City names where a locale lists them (de_DE, it_IT, nl_NL), plus major cities."""
    listed = set(_words("address", ("cities", "city_names")))
    for locale in LOCALES:
        for places in getattr(_provider("address", locale), "cap_city_province", {}).values():
            listed.update(place[0] for place in places)
    return frozenset(listed | MAJOR_CITIES)


@cache
def regions() -> frozenset[str]:
    """Countries (in each locale's language), states, provinces, counties and regions."""
    return frozenset(
        _words(
            "address",
            ("countries", "states", "counties", "regions", "departments", "provinces"),
        )
    ) - {"Georgia", "Jordan", "Chad"}  # far more often people in support tickets


MAJOR_CITIES = frozenset(
    str.split(
        """
    London Manchester Birmingham Liverpool Leeds Glasgow Edinburgh Bristol Cardiff Belfast
    Sheffield Newcastle Nottingham Leicester Brighton Oxford Cambridge Southampton Aberdeen
    Dublin Paris Lyon Marseille Toulouse Nice Nantes Strasbourg Montpellier Bordeaux Lille
    Rennes Grenoble Berlin Hamburg München Munich Köln Cologne Frankfurt Stuttgart Düsseldorf
    Leipzig Dortmund Essen Bremen Dresden Hannover Nürnberg Wien Vienna Zürich Zurich Genf
    Geneva Basel Bern Madrid Barcelona Valencia Sevilla Seville Zaragoza Málaga Bilbao
    Lisboa Lisbon Porto Roma Rome Milano Milan Napoli Naples Torino Turin Firenze Florence
    Bologna Venezia Venice Genova Palermo Amsterdam Rotterdam Utrecht Eindhoven Groningen
    Brussel Brussels Bruxelles Antwerpen Antwerp Luxembourg Copenhagen Stockholm Oslo
    Helsinki Warsaw Prague Budapest Athens Istanbul Chicago Houston Philadelphia Phoenix
    Seattle Boston Denver Atlanta Miami Dallas Detroit Baltimore Portland Sacramento
    Toronto Montreal Vancouver Sydney Melbourne Tokyo Beijing Shanghai Singapore Mumbai
    Delhi Dubai
    """
    )
) | {
    "New York",
    "New York City",
    "Los Angeles",
    "San Francisco",
    "San Diego",
    "San Jose",
    "Las Vegas",
    "New Orleans",
    "Washington",
    "Den Haag",
    "The Hague",
    "Hong Kong",
    "Mexico City",
    "Buenos Aires",
    "Rio de Janeiro",
    "São Paulo",
}
