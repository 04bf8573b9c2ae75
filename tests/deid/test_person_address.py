"""PERSON, STREET_ADDRESS and LOCATION without a model, run the way users get them: every
registered recognizer at once, so overlaps (a name inside a street, a city inside an address)
are exercised.

Each positive asserts the exact span (the title is never part of a name; an address runs from
street to postcode and city); each hard negative that none of the three types is reported.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.deid import Analyzer
from tutela.deid.recognizers._lexicon import first_names, last_names
from tutela.deid.recognizers._person_words import BREAKERS, TITLES
from tutela.deid.registry import default_recognizers, names

ANALYZER = Analyzer(recognizers=default_recognizers())
MINE = {"PERSON", "STREET_ADDRESS", "LOCATION"}


def found(text: str) -> list[tuple[str, str]]:
    return [
        (f.entity_type, text[f.start : f.end])
        for f in ANALYZER.analyze(text)
        if f.entity_type in MINE
    ]


def test_the_three_recognizers_are_registered() -> None:
    assert {"person", "street_address", "location"} <= set(names())


# -- PERSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # titles (en, de, fr, es, it, nl): the title stays outside the span
        ("Dear Mr. Smith, thanks for your order.", "Smith"),
        ("Dear Mrs Olivia Bennett,\n\nyour refund is on its way.", "Olivia Bennett"),
        ("Sehr geehrter Herr Dr. Müller, vielen Dank.", "Müller"),
        ("Sehr geehrte Frau van der Berg, vielen Dank.", "van der Berg"),
        ("Bonjour Mme Dupont, merci pour votre message.", "Dupont"),
        ("M. Jean-Luc Picard a appelé hier.", "Jean-Luc Picard"),
        ("Estimada Sra. García López: gracias.", "García López"),
        ("Gentile Sig.ra Rossi, la ringraziamo.", "Rossi"),
        ("Geachte mevr. de Vries, bedankt.", "de Vries"),
        ("Geachte dhr. Jansen, bedankt voor uw bericht.", "Jansen"),
        # greetings and sign-offs
        ("Hi Anna, the parcel left today.", "Anna"),
        ("Hallo Lukas, danke!", "Lukas"),
        ("Best regards,\nAnna-Lena Müller\nSupport Team", "Anna-Lena Müller"),
        ("Thanks,\nMarco", "Marco"),
        ("Cheers, Tom", "Tom"),
        ("Mit freundlichen Grüßen\nKatharina Schulz", "Katharina Schulz"),
        ("Cordialement,\nPierre Lefèvre", "Pierre Lefèvre"),
        ("Saludos,\nLucía Fernández", "Lucía Fernández"),
        ("Met vriendelijke groet,\nDaan Visser", "Daan Visser"),
        # labels, phrases, chat speakers, e-mail headers
        ("Name: Giulia Bianchi\nPhone: n/a", "Giulia Bianchi"),
        ("Customer: Hendrik de Vries", "Hendrik de Vries"),
        ("Nom : Camille Laurent", "Camille Laurent"),
        ('12:01:07 INFO crm: updated contact name="Sofia Marino"', "Sofia Marino"),
        ("My name is Xochitl Quetzal and I need help.", "Xochitl Quetzal"),
        ("I spoke with John Smith yesterday.", "John Smith"),
        ("Please contact Seán O'Brien about it.", "Seán O'Brien"),
        ("The form was signed by Ruth Bader.", "Ruth Bader"),
        ("[10:32] Lukas Becker: hello there", "Lukas Becker"),
        ("Kalevi: hi, where is my parcel?", "Kalevi"),
        ("From: Ada Lovelace <ada@example.com>", "Ada Lovelace"),
        ("Mary J. Blige called about the invoice.", "Mary J. Blige"),
        # a first and last name from the lists needs no context
        ("Yesterday John Smith complained again.", "John Smith"),
    ],
)
def test_person_found_with_its_exact_span(text: str, name: str) -> None:
    assert ("PERSON", name) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Dear customer, thank you for your patience.",
        "Hi team, Hi there, hello everyone. Dear Sir or Madam,",
        "Acme Corp called on Monday about the Johnson Ltd contract.",
        "May I ask when the order ships? Will you check? Mark the order as done.",
        "Grace period ends in May. Rose gold is back in stock.",
        "The Apple Watch and the Galaxy Note are both out of stock.",
        "Summary: printer jams. Keywords: paper, tray.",
        "Vorgang: f962f884-4545 Sito: www.example.it",
        "Order ORD-2024-123456 and ticket TCK-654321 are linked.",
        "We saw Python is slow here; the Privacy Policy applies.",
        "class Item(BaseModel): name: str",
    ],
)
def test_person_hard_negatives(text: str) -> None:
    assert [f for f in found(text) if f[0] == "PERSON"] == []


def test_a_name_inside_a_street_is_the_street() -> None:
    assert found("Ship to 12, rue Jean Moulin, 75014 Paris.") == [
        ("STREET_ADDRESS", "12, rue Jean Moulin, 75014 Paris")
    ]


# Plain list entries: the lists also hold "Arnsberg,", "die Bont", "Hans-H." and titles.
_PLAIN = re.compile(r"[A-ZÀ-Þ][a-zß-ÿ]+(?:-[A-ZÀ-Þ][a-zß-ÿ]+)?")


def _plain(names: frozenset[str]) -> list[str]:
    return sorted(n for n in names if _PLAIN.fullmatch(n) and n not in BREAKERS | TITLES)


@settings(max_examples=100, deadline=None)
@given(first=st.sampled_from(_plain(first_names())), last=st.sampled_from(_plain(last_names())))
def test_any_listed_name_after_dear_is_found(first: str, last: str) -> None:
    text = f"Dear {first} {last},\n\nthank you for your message."
    assert ("PERSON", f"{first} {last}") in found(text)


# -- STREET_ADDRESS ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Ship to 221B Baker Street please.", "221B Baker Street"),
        ("Ship to 221B Baker Street, London NW1 6XE please.", "221B Baker Street, London NW1 6XE"),
        (
            "The office is at 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
        ),
        ("Flat 3, 12 High St, London SW1A 1AA", "Flat 3, 12 High St, London SW1A 1AA"),
        (
            "Send it to 0681 Crystal Stream Suite 158, Romeroborough, ME 37746.",
            "0681 Crystal Stream Suite 158, Romeroborough, ME 37746",
        ),
        ("Meine Adresse: Hauptstraße 5, 10115 Berlin.", "Hauptstraße 5, 10115 Berlin"),
        ("Anschrift: Karl-Marx-Straße 10a, 12043 Berlin", "Karl-Marx-Straße 10a, 12043 Berlin"),
        ("Bitte an Berliner Allee 3/1\n40212 Düsseldorf", "Berliner Allee 3/1\n40212 Düsseldorf"),
        ("Envoyez à 12 rue de la Paix, 75002 Paris svp.", "12 rue de la Paix, 75002 Paris"),
        ("Adresse : 41, avenue Victor Hugo\n69003 Lyon", "41, avenue Victor Hugo\n69003 Lyon"),
        ("Mi dirección es Calle Mayor 10, 28013 Madrid.", "Calle Mayor 10, 28013 Madrid"),
        (
            "Envíelo a Avenida de la Constitución 5 Piso 2, 41001 Sevilla.",
            "Avenida de la Constitución 5 Piso 2, 41001 Sevilla",
        ),
        ("Indirizzo: Via Roma 1, 00184 Roma", "Via Roma 1, 00184 Roma"),
        (
            "Indirizzo: Viale Monza, 12 Piano 3\n20127 Milano (MI)",
            "Viale Monza, 12 Piano 3\n20127 Milano (MI)",
        ),
        ("Adres: Kerkstraat 12, 1017 GL Amsterdam", "Kerkstraat 12, 1017 GL Amsterdam"),
        ("Adres: Prinsengracht 263\n1016GV\nAmsterdam", "Prinsengracht 263\n1016GV\nAmsterdam"),
        (
            "Please send it to:\nFlat 8\n27 Station Road\nCambridge\nCB1 2JH\nThanks",
            "Flat 8\n27 Station Road\nCambridge\nCB1 2JH",
        ),
        (
            "Studio 36U, Debra Forges, Singhside N33 4AS",
            "Studio 36U, Debra Forges, Singhside N33 4AS",
        ),
    ],
)
def test_street_address_found_whole(text: str, address: str) -> None:
    assert ("STREET_ADDRESS", address) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "We are on the road again; main street pricing applies.",
        "I paid via Apple Pay 2 times and the rue was crowded.",
        "Order 12345 shipped, 3 items, tracking 1Z999AA10123456784.",
        "It took place on the 2nd floor of the main building.",
        "Version 2.3.1 fixed it; see ticket 4471 for details.",
        "Spring 2024 sale: 20% off.",
    ],
)
def test_street_address_hard_negatives(text: str) -> None:
    assert [f for f in found(text) if f[0] == "STREET_ADDRESS"] == []


def test_an_address_keeps_its_city_from_location() -> None:
    assert found("I moved to Kerkstraat 12, 1017 GL Amsterdam last year.") == [
        ("STREET_ADDRESS", "Kerkstraat 12, 1017 GL Amsterdam")
    ]


# -- LOCATION ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("I live in Rotterdam.", "Rotterdam"),
        ("She is based in Lyon these days.", "Lyon"),
        ("The parcel is stuck in Frankfurt am Main.", "Frankfurt am Main"),
        ("We moved from Sri Lanka to Canada last year.", "Sri Lanka"),
        ("I'm travelling to North Jamesville next week.", "North Jamesville"),
        ("Ort: Eisenberg", "Eisenberg"),
        ("login failed from 10.1.2.3 (Ittiri)", "Ittiri"),
    ],
)
def test_location_found_with_context(text: str, place: str) -> None:
    assert ("LOCATION", place) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Berlin.",  # a known city alone is not enough
        "I gave it to Marina yesterday.",
        "Fix line endings from CRLF to LF.",
        "See you in January, in English please.",
    ],
)
def test_location_hard_negatives(text: str) -> None:
    assert [f for f in found(text) if f[0] == "LOCATION"] == []


# -- long texts --------------------------------------------------------------------------------


def test_a_100_kb_text_is_analysed_in_one_pass() -> None:
    """No catastrophic backtracking: a long text of support mail (with long runs of capitalised
    words, digits and separators) finishes; the time is printed, not asserted."""
    block = (
        "Dear Mr. Smith,\nplease ship to 221B Baker Street, London NW1 6XE. "
        "Order 1234567890 ABC DEF GHI JKL MNO PQR STU VWX Main Street Road Avenue "
        "12 12 12 12 12 12, , , , Kerkstraat 12, 1017 GL Amsterdam. I live in Lyon.\n"
        "Best regards,\nAnna-Lena Müller\n"
    )
    text = (block * (100_000 // len(block) + 1))[:100_000]
    started = time.perf_counter()
    findings = ANALYZER.analyze(text)
    elapsed = time.perf_counter() - started
    print(f"100 KB analysed in {elapsed:.3f}s")
    kinds = {f.entity_type for f in findings}
    assert {"PERSON", "STREET_ADDRESS", "LOCATION"} <= kinds


def test_pathological_runs_finish() -> None:
    """Inputs built to make regexes backtrack: long capitalised runs, digit runs, separators."""
    for text in (
        "Aa " * 20_000,
        "12 " * 20_000 + "Street",
        "Via " * 10_000 + "1",
        ("Anna-" * 5_000) + "Straße 5",
        ", " * 20_000 + "10115 Berlin",
        "\n".join(["Flat 1"] * 5_000),
    ):
        ANALYZER.analyze(text)
