"""The analyzer's shortcuts find exactly what the slow way finds.

Each shortcut (patterns tried only where numbers start, reversed look-back patterns, bounded
searches, the shared context words, pre-checks before libphonenumber) is compared with the
straightforward code it replaces: on the labelled evaluation texts, and on random texts
built from the characters and words the patterns care about.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.deid import Analyzer, Finding
from tutela.deid._digits import matches_at_numbers, numbers
from tutela.deid.analyzer import _CONTEXT_CHARS, CONTEXT_WINDOW, _ContextWords
from tutela.deid.evaluation import generate
from tutela.deid.recognizer import PatternRecognizer
from tutela.deid.recognizers import (
    _guards,
    _person_cues,
    date_time,
    ip_address,
    location,
    person,
    phone,
    street_address,
)
from tutela.deid.recognizers._address_shapes import en_street
from tutela.deid.recognizers.iban import _COMPACT, _GROUPED, IbanRecognizer
from tutela.deid.recognizers.url import UrlRecognizer
from tutela.deid.registry import default_recognizers

TEXTS = [s.text for s in generate(300, 11)]
# Digits, their joiners and neighbours, letters of either case, Unicode digits and letters.
NUMBERY = st.text(alphabet="0123456789 .-/:,#x_aZ٣\n", max_size=60)
# Words and separators the look-back patterns read; dotless i, capital I with dot, long s.
WORDS = (
    *("order", "no", "nr", "n°", "#", "ref:", "Invoice", "ID", "id=", "BSN", "steuer-id"),
    *("my", "phone", "is", ",", ".", ":", "-", "(", "=", "\n", "\t", "", "12", "3a"),
    *("Mr", "Dear", "Regards", "thanks", "best", "hartelijke", "groet", "spoke", "with"),
    *("in", "the", "name", "of", "\u0131", "\u0130", "\u017f", "born", "Birth", "DOB"),
    *("BIRTH", "nato", "Nata", "address", "card", "IBAN", "www.", "://"),
)
WORDY = st.lists(st.sampled_from([*WORDS, " ", "  ", "x", "Anna", "7"]), max_size=14).map("".join)


def _digit_patterns() -> Iterator[tuple[re.Pattern[str], int]]:
    for recognizer in default_recognizers():
        if isinstance(recognizer, PatternRecognizer):
            yield from ((rx, p.digits) for p, rx in recognizer._compiled if p.digits)
    yield from ((rx, d) for rx, d in zip(date_time._PATTERNS, date_time._DIGITS, strict=True) if d)
    yield ip_address._V4, 4
    yield en_street(), 1


DIGIT_PATTERNS = list(_digit_patterns())


def _spans(matches: Iterator[re.Match[str]]) -> list[tuple[int, int]]:
    return [m.span() for m in matches]


@pytest.mark.parametrize("text", TEXTS[:100])
def test_patterns_tried_at_numbers_match_as_a_scan_does(text: str) -> None:
    for regex, digits in DIGIT_PATTERNS:
        assert _spans(matches_at_numbers(regex, text, digits)) == _spans(regex.finditer(text))


@given(text=NUMBERY)
@settings(max_examples=300, deadline=None)
def test_patterns_tried_at_numbers_match_as_a_scan_does_on_random_text(text: str) -> None:
    for regex, digits in DIGIT_PATTERNS:
        assert _spans(matches_at_numbers(regex, text, digits)) == _spans(regex.finditer(text))


def test_numbers_counts_digits_across_single_joiners() -> None:
    # Not after a letter or "_"; "a-12" and "  34" start their own counts.
    assert numbers("card 4111 1111-1111.1111 x7 _8 a-12  34") == (
        (5, 16), (10, 12), (15, 8), (20, 4), (33, 2), (37, 2),
    )  # fmt: skip


def test_a_recognizer_finds_the_same_with_its_patterns_scanned() -> None:
    for recognizer in default_recognizers():
        if not isinstance(recognizer, PatternRecognizer):
            continue
        scanned = type(recognizer)()
        scanned._compiled = [
            (dataclasses.replace(p, digits=0), rx) for p, rx in recognizer._compiled
        ]
        for text in TEXTS:
            assert list(recognizer.find(text)) == list(scanned.find(text)), recognizer.name


# Month names of each language in either case, words glued to them, days, years, edges.
DATEY = st.lists(
    st.sampled_from(
        (
            *("March", "MAR", "mar.", "März", "MÄRZ", "févr", "Mai", "ottobre", "Oct", "okt"),
            *("5", "05", "1984", "31st", "5th", "of", "de", ",", ".", "/", "-", ":", "_", "x"),
            *(" ", "  ", "\n", "\t", "\u212a", "\u017f", "\u0131", "e\u0301", "7a", "v"),
        )
    ),
    max_size=14,
).map("".join)


@pytest.mark.parametrize("text", TEXTS[:100])
def test_month_first_dates_tried_at_words_match_as_a_scan_does(text: str) -> None:
    regex = date_time._PATTERNS[date_time._DIGITS.index(0)]
    assert _spans(date_time.matches_at_words(regex, text)) == _spans(regex.finditer(text))


@given(text=DATEY)
@settings(max_examples=500, deadline=None)
def test_month_first_dates_tried_at_words_match_as_a_scan_does_on_random_text(text: str) -> None:
    regex = date_time._PATTERNS[date_time._DIGITS.index(0)]
    assert _spans(date_time.matches_at_words(regex, text)) == _spans(regex.finditer(text))


def _without_look_ahead(regex: re.Pattern[str]) -> re.Pattern[str]:
    plain = regex.pattern.replace(date_time._LETTER_AFTER_DAY, "", 1)
    assert plain != regex.pattern
    return re.compile(plain, regex.flags)


@pytest.mark.parametrize("text", TEXTS[:100])
def test_the_look_ahead_for_a_month_after_a_day_drops_no_date(text: str) -> None:
    regex = date_time._PATTERNS[2]
    assert _spans(regex.finditer(text)) == _spans(_without_look_ahead(regex).finditer(text))


@given(text=DATEY)
@settings(max_examples=500, deadline=None)
def test_the_look_ahead_for_a_month_after_a_day_drops_no_date_on_random_text(text: str) -> None:
    regex = date_time._PATTERNS[2]
    assert _spans(regex.finditer(text)) == _spans(_without_look_ahead(regex).finditer(text))


# -- reversed look-back patterns -----------------------------------------------------------

REFERENCE = re.compile(
    r"(?:(?<![^\W\d_])(?:order|invoice|inv|ref|reference|tracking|ticket|case|receipt|"
    r"transaction|txn|confirmation|booking|shipment|parcel|sku|item|bestellung|rechnung|"
    r"commande|facture|pedido|factura|ordine|fattura|riferimento|referencia|référence|"
    r"referenz|referentie|kenmerk|aktenzeichen)s?"
    r"[\s.:#-]*(?:(?:no|nr|n[°º]|num|number|nummer|numéro|número|numero|id)\b[\s.:#-]*)?"
    r"|#\s*)$",
    re.IGNORECASE,
)
ID_LABEL = re.compile(
    r"(?<![^\W\d_])(?:id|ids|identifier|identification|kennung|bsn|burgerservicenummer|ssn|"
    r"nif|dni|nie|nir|nino|idnr|steuer-?id|steuernummer)(?:[^\w\n]+[^\W\d_]+){0,3}[^\w\n]*$",
    re.IGNORECASE,
)
LAST_WORD = re.compile(r"(?:\w+[ \t]*[:=]?|\()[ \t]*\Z")


@given(text=WORDY)
@settings(max_examples=500, deadline=None)
def test_reversed_look_backs_agree_with_the_forward_patterns(text: str) -> None:
    end = len(text)
    assert _guards.after_reference(text, end) == _guards.preceded_by(text, end, REFERENCE)
    assert _guards.preceded_by_reversed(text, end, phone._ID_LABEL_REVERSED) == _guards.preceded_by(
        text, end, ID_LABEL
    )
    last = LAST_WORD.search(text, max(0, end - 30), end)
    word = last.group().strip(" \t").casefold() if last else ""
    cue = word.endswith((":", "=")) or word == "(" or word in location._CUES
    assert location._cue(text, end) == (word if cue else "")


@given(text=WORDY)
@settings(max_examples=500, deadline=None)
def test_bounded_searches_find_what_a_full_search_finds(text: str) -> None:
    for regex, longest, tail in (
        (_person_cues.PHRASE_BEFORE, _person_cues.LONGEST_PHRASE, " \t"),
        (_person_cues.SIGN_OFF_BEFORE, _person_cues.LONGEST_SIGN_OFF, " \t,.!\r\n-"),
        (person._HOUSE_NUMBER_BEFORE, len("12345b,"), " \t"),
    ):
        bounded, full = _guards.search_ending(regex, text, longest, tail), regex.search(text)
        assert (bounded and bounded.group()) == (full and full.group())


def test_the_phrase_bound_is_longer_than_every_phrase() -> None:
    phrases = _person_cues.PHRASE_BEFORE.pattern.removeprefix(r"(?<!\w)").rsplit("[ \\t]+", 1)[0]
    assert re._parser.parse(phrases).getwidth()[1] <= _person_cues.LONGEST_PHRASE  # type: ignore[attr-defined]


# -- the analyzer's shared context words ---------------------------------------------------

WORD = re.compile(r"[^\W_]+")


def _near(text: str, found: Finding, context: tuple[str, ...]) -> bool:
    """The context check as it was: the words of the text either side, found each time."""
    before = WORD.findall(text, max(0, found.start - _CONTEXT_CHARS), found.start)
    after = WORD.findall(text, found.end, found.end + _CONTEXT_CHARS)
    return any(
        w.casefold().startswith(context)
        for w in (*before[-CONTEXT_WINDOW:], *after[:CONTEXT_WINDOW])
    )


@given(
    words=st.lists(st.sampled_from([*WORDS, "phone", "Tel", "x" * 130, "ab_cd"]), max_size=40),
    start=st.integers(0, 400),
    length=st.integers(0, 30),
)
@settings(max_examples=300, deadline=None)
def test_context_words_are_found_as_before(words: list[str], start: int, length: int) -> None:
    text = " ".join(words)
    start = min(start, len(text))
    found = Finding("X", start, min(len(text), start + length), 0.5, "x")
    context = ("phone", "tel", "birth", "cc", "id")
    words_of = _ContextWords(text)
    expected = _near(text, found, context)
    assert words_of.near(found, context) == expected
    assert words_of.anywhere(context) or not expected


@given(
    words=st.lists(st.sampled_from([*WORDS, "Straße", "SS", "x" * 50, "a b c d e f"]), max_size=40),
    start=st.integers(0, 400),
    length=st.integers(0, 30),
    context=st.lists(
        st.sampled_from(["", "ph", "phone", "t", "tel", "ss", "stra", "id"]), min_size=1, max_size=4
    ),
)
@settings(max_examples=300, deadline=None)
def test_context_words_by_first_letter_and_near_windows_find_as_before(
    words: list[str], start: int, length: int, context: list[str]
) -> None:
    text = " ".join(words)
    start = min(start, len(text))
    found = Finding("X", start, min(len(text), start + length), 0.5, "x")
    expected = _near(text, found, tuple(context))
    assert _ContextWords(text).near(found, tuple(context)) == expected


@given(text=WORDY)
@settings(max_examples=500, deadline=None)
def test_the_cue_pre_check_never_hides_a_cue(text: str) -> None:
    analyzer = Analyzer()
    for recognizer in analyzer.recognizers:
        if recognizer.context and analyzer._cues[recognizer.name].search(text):
            assert _ContextWords(text).maybe_cued(recognizer.context), recognizer.name


def test_the_analyzer_finds_the_same_without_its_pre_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Always(_ContextWords):
        def anywhere(self, context: tuple[str, ...]) -> bool:
            return True

        def maybe_cued(self, context: tuple[str, ...]) -> bool:
            return True

    analyzer = Analyzer()
    for threshold in (0.5, 0.3):
        results = [analyzer.analyze(text, threshold=threshold) for text in TEXTS]
        with monkeypatch.context() as patch:
            patch.setattr("tutela.deid.analyzer._ContextWords", Always)
            assert [analyzer.analyze(text, threshold=threshold) for text in TEXTS] == results


def _resolve_by_rank(analyzer: Analyzer, candidates: list[Finding]) -> list[Finding]:
    """Overlap resolution as it was, for every input: best first, each kept unless it
    overlaps one kept before, then sorted by start."""
    order = analyzer._order
    ranked = sorted(
        candidates, key=lambda f: (-f.score, f.start - f.end, order.get(f.recognizer, -1), f.start)
    )
    kept: list[Finding] = []
    for finding in ranked:
        if all(k.end <= finding.start or k.start >= finding.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


SPANS = st.lists(
    st.builds(
        lambda start, length, score, name: Finding("X", start, start + length, score, name),
        st.integers(0, 30),
        st.integers(0, 6),
        st.sampled_from((0.3, 0.5, 0.85, 1.0)),
        st.sampled_from(("phone", "person", "deny_list")),
    ),
    max_size=6,
)


@given(candidates=SPANS)
@settings(max_examples=500, deadline=None)
def test_resolving_disjoint_findings_keeps_what_ranking_keeps(candidates: list[Finding]) -> None:
    analyzer = Analyzer(recognizers=default_recognizers({"phone", "person"}))
    resolved = analyzer._resolve(list(candidates))
    non_empty = all(f.start < f.end for f in candidates)
    if non_empty or len(candidates) < 2:
        assert resolved == _resolve_by_rank(analyzer, candidates)
    by_start = sorted(candidates, key=lambda f: f.start)
    if non_empty and all(a.end <= b.start for a, b in itertools.pairwise(by_start)):
        assert resolved == by_start


# -- IBAN starts, URL and phone pre-checks -------------------------------------------------


def _iban_by_search(text: str) -> list[tuple[int, int]]:
    found = []
    for regex in (_COMPACT, _GROUPED):
        pos = 0
        while (match := regex.search(text, pos)) is not None:
            end = IbanRecognizer._longest_valid(text, match)
            if end is None:
                pos = match.start() + 1
                continue
            found.append((match.start(), end))
            pos = end
    return found


@pytest.mark.parametrize("text", [*TEXTS, "xDE89 3704 0044 0532 0130 00 DE89370400440532013000"])
def test_iban_tried_at_its_starts_finds_what_a_search_finds(text: str) -> None:
    assert [(f.start, f.end) for f in IbanRecognizer().find(text)] == _iban_by_search(text)


def test_url_pre_check_drops_no_url() -> None:
    url = UrlRecognizer()
    for text in [*TEXTS, "see WWW.Example.com", "HTTPS://x.org", "ftp://files.example.org/a"]:
        assert list(url.find(text)) == list(PatternRecognizer.find(url, text))


def _phone_by_matcher(recognizer: phone.PhoneRecognizer, text: str) -> list[Finding]:
    """Phone numbers the way `find` worked before it asked `_rejected` before parsing."""
    seen: set[tuple[int, int]] = set()
    found = []
    for candidate in phone._CANDIDATE.finditer(text):
        raw = candidate.group()
        if phone._not_a_number(text, candidate):
            continue
        regions = recognizer._regions_for(raw)
        found_in = recognizer._whole(raw, regions)
        if found_in is not None and "/" not in raw:
            spans = [phone._balanced(text, candidate.start(), candidate.end())]
        elif found_in is None and not phone._MAY_HOLD_NUMBERS.search(raw):
            continue
        else:
            spans = recognizer._matched(text, candidate, regions)
        for start, end in spans:
            if (start, end) in seen:
                continue
            seen.add((start, end))
            number = text[start:end]
            if not recognizer._rejected(text, start, end, number):
                score = recognizer._score(number)
                found.append(Finding("PHONE_NUMBER", start, end, score, recognizer.name))
    return found


def test_phone_checks_before_parsing_drop_no_number() -> None:
    recognizer = phone.PhoneRecognizer()
    for text in TEXTS:
        assert list(recognizer.find(text)) == _phone_by_matcher(recognizer, text)


# -- English streets only where a street type is a word of the text --------------------------


class _EveryWord:
    """A set holding every word: the street recognizer then tries each number, as it did."""

    def __contains__(self, word: object) -> bool:
        return True


STREETY = st.lists(
    st.sampled_from(
        (
            *("12", "221B", "5-7", "3/4", "Baker", "Main", "North", "St", "Street", "St.", "Rd"),
            *("Vista", "Smith", "Crescent", "Flat", "Apt", "8", "Hauptstraße", "rue", "Calle"),
            *(" ", " ", ", ", "\n", ".", "-", "_", "Street5", "Way", "way", "\u017ft", "Ave"),
            *("Springfield,", "IL", "62704", "London", "SW1A 1AA"),
        )
    ),
    max_size=14,
).map("".join)


@pytest.mark.parametrize("text", TEXTS)
def test_english_streets_are_found_without_trying_each_number(text: str) -> None:
    _assert_same_streets(text)


@given(text=STREETY)
@settings(max_examples=500, deadline=None)
def test_english_streets_are_found_without_trying_each_number_on_random_text(text: str) -> None:
    _assert_same_streets(text)


def _assert_same_streets(text: str) -> None:
    fast = street_address.StreetAddressRecognizer()
    plain = street_address.StreetAddressRecognizer()
    plain._en_types = _EveryWord()  # type: ignore[assignment]
    assert list(fast.find(text)) == list(plain.find(text))
