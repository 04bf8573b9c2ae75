"""The privacy notice built from the data map says everything GDPR Art. 13 asks, in every
format, is named by the hash of its content, and shows the map's text as text, never markup."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from transparency_support import (
    BASES,
    CATEGORY_LABELS,
    PURPOSE_TITLES,
    RECIPIENTS,
    RETENTIONS,
    Doc,
    changed,
    loaded,
    with_description,
)

from tutela.errors import DataMapError, NoticeLanguageUnsupported
from tutela.transparency import Notice, build_notice
from tutela.transparency.labels import category_label, duration_text
from tutela.web.render import NOTICE_FORMATS, markdown_text, render_notice


def example_notice() -> Notice:
    return build_notice(*loaded())


class _Text(HTMLParser):
    """The text a browser shows (entities decoded), and every tag opened."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown_text(fmt: str, notice: Notice) -> str:
    """What a reader sees of the notice in `fmt`, whitespace collapsed."""
    rendered = render_notice(notice, fmt)
    if fmt == "html":
        parser = _Text()
        parser.feed(rendered)
        rendered = " ".join(parser.parts)
    elif fmt == "md":
        rendered = re.sub(r"\\(.)", r"\1", rendered)  # Markdown escapes show as the character
    else:
        rendered = json.dumps(json.loads(rendered), ensure_ascii=False)
    return " ".join(rendered.split())


@pytest.mark.parametrize("fmt", NOTICE_FORMATS)
def test_every_format_says_what_the_map_declares(fmt: str) -> None:
    """Each purpose with its description, legal basis and article, the fideslang label of
    each category, each retention in words with its start, and each recipient."""
    datamap, _ = loaded()
    text = shown_text(fmt, example_notice())
    expected = [
        *PURPOSE_TITLES,
        *(p.description for p in datamap.purposes.values()),
        *BASES,
        *CATEGORY_LABELS.values(),
        *RETENTIONS,
        *RECIPIENTS,
    ]
    missing = [e for e in expected if e not in text]
    assert not missing, f"{fmt} lacks {missing}"


@pytest.mark.parametrize("fmt", NOTICE_FORMATS)
def test_every_format_carries_the_rest_of_article_13(fmt: str) -> None:
    """Controller and DPO contacts and address, transfers with their safeguard, selling or
    sharing with the opt-out and GPC, rights of Art. 15-22 and how to use them, withdrawal
    of consent, and the complaint to the named supervisory authority."""
    text = shown_text(fmt, example_notice())
    for expected in (
        "Example Shop Ltd",
        "privacy@shop.example",
        "dpo@shop.example",
        "1 High Street, Exampleton EX1 2AB, United Kingdom",
        "Email delivery provider in US, with standard contractual clauses",
        "right to opt out",
        "Global Privacy Control",
        "Personalised ads",
        *(f"GDPR Art. {n}" for n in (15, 16, 17, 18, 20, 21, 22)),
        "Right of access",
        "Right to rectification",
        "Right to erasure",
        "Right to restriction of processing",
        "Right to data portability",
        "Right to object",
        "To use any of these rights, contact us at privacy@shop.example",
        "withdraw it at any time",
        "does not affect the lawfulness of the processing before you withdrew",
        "lodge a complaint with a supervisory authority",
        "Information Commissioner's Office, https://ico.org.uk/make-a-complaint/",
    ):
        assert expected in text, f"{fmt} lacks {expected!r}"


def test_per_purpose_content_is_structured() -> None:
    """The JSON form keeps each purpose's parts apart, for programs (the privacy center,
    consent banners) that show one purpose at a time."""
    newsletter = next(p for p in example_notice().purposes if p["key"] == "newsletter")
    assert newsletter["legal_basis"] == {
        "key": "consent",
        "name": "Consent",
        "article": "GDPR Art. 6(1)(a)",
        "text": "Consent (GDPR Art. 6(1)(a))",
    }
    assert [c["key"] for c in newsletter["categories"]] == [
        "user.contact.email",
        "user.name",
        "user.behavior",
    ]
    assert newsletter["retention"] == {
        "duration": "P2Y",
        "period": "2 years",
        "from": "consent",
        "text": "2 years from when you last gave consent",
    }
    assert newsletter["transfers"] == [
        {
            "country": "US",
            "recipient": "Email delivery provider",
            "safeguard": "standard contractual clauses",
            "text": "Email delivery provider in US, with standard contractual clauses",
        }
    ]
    assert "withdraw" in newsletter["choice"]
    contract = next(p for p in example_notice().purposes if p["key"] == "order_fulfilment")
    assert contract["choice"] is None  # a contract is not a choice to withdraw


def test_a_map_that_sells_nothing_says_so() -> None:
    def mutate(d: Doc) -> None:
        d["purposes"]["personalised_ads"]["sale_or_share"] = False

    notice = build_notice(*loaded(changed(mutate)))
    assert notice.content["sale_or_share"] == {
        "applies": False,
        "purposes": [],
        "text": "We do not sell or share your personal information.",
    }


def test_the_version_is_the_hash_of_the_canonical_content() -> None:
    notice = example_notice()
    canonical = json.dumps(notice.content, sort_keys=True, separators=(",", ":"))
    assert notice.version == hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert notice.document() == canonical
    assert build_notice(*loaded()).version == notice.version  # deterministic


def test_the_content_names_the_data_map_version() -> None:
    """Even a map change the notice would not show makes a new notice version."""
    datamap, version = loaded()
    assert build_notice(datamap, version).datamap_version == version
    assert build_notice(datamap, "0" * 16).version != build_notice(datamap, version).version


def test_a_changed_description_changes_the_version() -> None:
    changed_text = with_description("newsletter", "Monthly news about our shop")
    assert build_notice(*loaded(changed_text)).version != example_notice().version


def test_only_english_is_supported_for_now() -> None:
    datamap, version = loaded()
    with pytest.raises(NoticeLanguageUnsupported) as raised:
        build_notice(datamap, version, language="fr")
    assert isinstance(raised.value, DataMapError)
    assert str(raised.value) == (
        "the privacy notice is not available in language 'fr' (supported: en)"
    )


HOSTILE = '<script>alert("x")</script> & <b>bold</b> [link](javascript:alert(1))'


def test_html_shows_the_map_text_as_text() -> None:
    """A description holding markup comes out escaped: no script, no injected tag."""
    notice = build_notice(*loaded(with_description("newsletter", HOSTILE)))
    html = render_notice(notice, "html")
    assert "<script" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    parser = _Text()
    parser.feed(html)
    assert "script" not in parser.tags and "b" not in parser.tags
    assert HOSTILE in " ".join(parser.parts)


def test_markdown_shows_the_map_text_as_text() -> None:
    notice = build_notice(*loaded(with_description("newsletter", HOSTILE + "\n# heading")))
    md = render_notice(notice, "md")
    assert "<script>" not in md and "[link]" not in md
    assert "\\<script\\>" in md
    assert "\n# heading" not in md  # a value cannot start a block of its own


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text, 6(1)(a)", "plain text, 6(1)(a)"),
        ("a_b *c* `d`", "a\\_b \\*c\\* \\`d\\`"),
        ("- item", "\\- item"),
        ("1. item", "1\\. item"),
        ("two\nlines", "two lines"),
    ],
)
def test_markdown_escaping(value: str, expected: str) -> None:
    assert markdown_text(value) == expected


def test_html_page_needs_no_script_or_inline_style_when_linked() -> None:
    """Served under the API's CSP (no inline script or style): the page links its stylesheet."""
    html = render_notice(example_notice(), "html", stylesheet_url="/privacy/static/notice.css")
    assert '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<link rel="stylesheet" href="/privacy/static/notice.css">' in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    for tag in ("<main>", "<header>", "<footer>", "<nav", "<section", "<article", "<dl>"):
        assert tag in html


def test_standalone_html_embeds_its_stylesheet() -> None:
    html = render_notice(example_notice(), "html")
    assert "<style>" in html and "<link" not in html


def test_json_format_is_the_content_with_its_version() -> None:
    notice = example_notice()
    data: dict[str, Any] = json.loads(render_notice(notice, "json"))
    assert data == {"version": notice.version, **notice.content}


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown notice format 'pdf'"):
        render_notice(example_notice(), "pdf")


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("P6Y", "6 years"),
        ("P1Y", "1 year"),
        ("P13M", "13 months"),
        ("P1M", "1 month"),
        ("P90D", "90 days"),
        ("P2W", "2 weeks"),
        ("P1Y6M", "1 year and 6 months"),
        ("P1Y2M3D", "1 year, 2 months and 3 days"),
        ("PT36H", "36 hours"),
        ("P0.5Y", "0.5 years"),
        ("not a duration", "not a duration"),
    ],
)
def test_retention_in_words(iso: str, words: str) -> None:
    assert duration_text(iso) == words


def test_category_labels_come_from_fideslang() -> None:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    taxonomy = {c.fides_key: c for c in DEFAULT_TAXONOMY.data_category}
    for key, name in CATEGORY_LABELS.items():
        label = category_label(key)
        assert label.name == name == taxonomy[key].name
        assert label.description == taxonomy[key].description
