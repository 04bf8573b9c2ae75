"""`check_datamap` lists every problem of a data map, each at its exact location, so
`tutela datamap check` can tell the author what to fix in one pass.

Each case starts from the shipped example map and breaks one thing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tutela.datamap import DataMap, check_datamap, datamap_version, load_datamap
from tutela.errors import DataMapInvalid, Problem
from tutela.home import example_datamap

Doc = dict[str, Any]
EXAMPLE: Doc = yaml.safe_load(example_datamap())


def _text(mutate: Callable[[Doc], object]) -> str:
    document = copy.deepcopy(EXAMPLE)
    mutate(document)
    return yaml.safe_dump(document, sort_keys=False)


def problems(mutate: Callable[[Doc], object]) -> list[str]:
    """The problems of the example map after `mutate`, as `location: message` lines."""
    return [str(p) for p in check_datamap(_text(mutate))]


def test_the_example_map_is_valid() -> None:
    """The shipped map must pass its own checker, or `tutela init` would refuse it."""
    assert check_datamap(example_datamap()) == []
    datamap = load_datamap(example_datamap())
    assert isinstance(datamap, DataMap)
    assert set(datamap.purposes) == {
        "order_fulfilment",
        "fraud_prevention",
        "newsletter",
        "analytics",
        "personalised_ads",
        "tax_records",
    }


def test_undeclared_field_in_a_purpose() -> None:
    """A purpose may only use declared fields; the index points at the entry to fix."""

    def mutate(d: Doc) -> None:
        d["purposes"]["newsletter"]["fields"] = ["email", "name", "fax", "marketing_preferences"]

    assert problems(mutate) == ["purposes.newsletter.fields[2]: field 'fax' is not declared"]


def test_undeclared_role_in_a_purpose() -> None:
    """Access is granted to declared roles only; a typo must not silently grant nobody."""

    def mutate(d: Doc) -> None:
        d["purposes"]["newsletter"]["roles"].append("intern")

    assert problems(mutate) == ["purposes.newsletter.roles[2]: role 'intern' is not declared"]


def test_unknown_legal_basis() -> None:
    """The message lists the valid bases and does not echo the offending input."""

    def mutate(d: Doc) -> None:
        d["purposes"]["order_fulfilment"]["basis"] = "whim"

    [problem] = check_datamap(_text(mutate))
    assert problem.location == "purposes.order_fulfilment.basis"
    assert "'legitimate_interests'" in problem.message
    assert "whim" not in problem.message


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        ("P2X", "is not an ISO 8601 duration such as P6Y or P90D"),
        ("six years", "is not an ISO 8601 duration such as P6Y or P90D"),
        ("P0D", "must be a positive duration"),
        ("PT0S", "must be a positive duration"),
    ],
)
def test_retention_must_be_a_positive_iso_duration(retention: str, message: str) -> None:
    """Retention drives deletion, so it must parse and be longer than nothing."""

    def mutate(d: Doc) -> None:
        d["purposes"]["analytics"]["retention"] = retention

    assert problems(mutate) == [f"purposes.analytics.retention: {message}"]


def test_category_outside_the_fideslang_taxonomy() -> None:
    """Categories feed records of processing; free text would not map to fideslang."""

    def mutate(d: Doc) -> None:
        d["fields"]["email"]["category"] = "user.contact.carrier_pigeon"

    assert problems(mutate) == [
        "fields.email.category: 'user.contact.carrier_pigeon' is not a fideslang data category"
    ]


def test_mask_with_an_unknown_rule() -> None:
    """A misspelt rule would otherwise leave the value unmasked."""

    def mutate(d: Doc) -> None:
        d["fields"]["email"]["mask"]["support"] = "scramble"

    [line] = problems(mutate)
    assert line.startswith("fields.email.mask.support: unknown masking rule 'scramble' (")
    assert "email_partial" in line  # the known rules are listed


def test_mask_for_an_undeclared_role() -> None:
    """A mask for a role that does not exist protects nobody and hides a typo."""

    def mutate(d: Doc) -> None:
        d["fields"]["email"]["mask"]["intern"] = "redact"

    assert problems(mutate) == ["fields.email.mask.intern: role 'intern' is not declared"]


def test_choice_field_without_choices() -> None:
    """A choice field with no choices could accept nothing (or, worse, anything)."""

    def mutate(d: Doc) -> None:
        del d["fields"]["marketing_preferences"]["choices"]

    assert problems(mutate) == [
        "fields.marketing_preferences.choices: a choice field lists its choices"
    ]


def test_field_used_by_no_purpose() -> None:
    """Data minimisation: collecting a field no purpose needs is refused."""

    def mutate(d: Doc) -> None:
        d["fields"]["fax"] = {"type": "phone", "category": "user.contact.phone_number"}

    assert problems(mutate) == [
        "fields.fax: is used by no purpose (collect only what a purpose needs)"
    ]


@pytest.mark.parametrize("section", ["controller", "roles", "fields", "purposes"])
def test_missing_section(section: str) -> None:
    """Problems that only follow from the missing section may come too; the cause comes first."""

    def mutate(d: Doc) -> None:
        del d[section]

    assert problems(mutate)[0] == f"{section}: is missing"


def test_unknown_section() -> None:
    """A misspelt section name would otherwise be ignored silently."""

    def mutate(d: Doc) -> None:
        d["processors"] = {}

    [line] = problems(mutate)
    assert line.startswith("processors: unknown section")


@pytest.mark.parametrize("section", ["roles", "fields", "purposes"])
def test_invalid_name(section: str) -> None:
    """Names end up in audit rows and CLI options; only a safe alphabet is allowed."""

    def mutate(d: Doc) -> None:
        d[section]["Bad-Name"] = copy.deepcopy(next(iter(d[section].values())))

    assert problems(mutate) == [
        f"{section}.Bad-Name: invalid name "
        "(names are lower-case letters, digits and '_', starting with a letter)"
    ]


def test_yaml_syntax_error_has_a_line_number() -> None:
    """A syntax error has no data-map location, so the line and column are given."""
    [problem] = check_datamap("controller:\n  name: Shop\n  contact: [unclosed\nroles: {}\n")
    assert problem.location.startswith("line 4, column ")
    assert problem.message.startswith("YAML syntax error: ")


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n"])
def test_a_document_that_is_not_a_mapping(text: str) -> None:
    """Empty or non-mapping documents get one clear problem, not a crash."""
    assert check_datamap(text) == [
        Problem("", "a data map is a mapping with controller, roles, fields, purposes")
    ]


def test_several_problems_are_all_reported() -> None:
    """Not just the first: the author fixes everything in one pass."""

    def mutate(d: Doc) -> None:
        d["purposes"]["newsletter"]["fields"].append("fax")
        d["purposes"]["tax_records"]["retention"] = "P2X"
        d["fields"]["phone"]["category"] = "user.nope"
        d["fields"]["name"]["mask"]["ghost"] = "initials"

    assert sorted(problems(mutate)) == [
        "fields.name.mask.ghost: role 'ghost' is not declared",
        "fields.phone.category: 'user.nope' is not a fideslang data category",
        "purposes.newsletter.fields[3]: field 'fax' is not declared",
        "purposes.tax_records.retention: is not an ISO 8601 duration such as P6Y or P90D",
    ]


def test_a_broken_purpose_does_not_make_its_fields_look_unused() -> None:
    """marketing_preferences is listed by newsletter; only the basis is wrong."""

    def mutate(d: Doc) -> None:
        d["purposes"]["newsletter"]["basis"] = "whim"

    assert [p.split(":")[0] for p in problems(mutate)] == ["purposes.newsletter.basis"]


def test_load_datamap_raises_with_every_problem() -> None:
    """The SDK's error carries the same full list the CLI prints."""

    def mutate(d: Doc) -> None:
        d["purposes"]["newsletter"]["roles"].append("intern")
        d["purposes"]["analytics"]["retention"] = "P0D"

    text = _text(mutate)
    with pytest.raises(DataMapInvalid) as raised:
        load_datamap(text)
    assert list(raised.value.problems) == check_datamap(text)
    assert len(raised.value.problems) == 2
    assert str(raised.value) == (f"data map is invalid: {raised.value.problems[0]} (and 1 more)")


def test_datamap_version_ignores_comments_layout_and_order() -> None:
    """The version names the content, so reformatting a map does not look like a change."""
    original = datamap_version(load_datamap(example_datamap()))
    assert len(original) == 16

    reformatted = "# reformatted copy\n" + yaml.safe_dump(
        dict(reversed(EXAMPLE.items())), default_flow_style=True, width=60
    )
    assert reformatted != example_datamap()
    assert datamap_version(load_datamap(reformatted)) == original


def test_datamap_version_changes_with_the_content() -> None:
    """Any change of content is a new version, recorded in the audit log."""

    def mutate(d: Doc) -> None:
        d["purposes"]["analytics"]["retention"] = "P14M"

    original = datamap_version(load_datamap(example_datamap()))
    assert datamap_version(load_datamap(_text(mutate))) != original
