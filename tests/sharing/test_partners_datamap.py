"""Partners in the data map: optional (a map without them keeps its version), and every
problem of an agreement reported with its location."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from sharing_support import EXAMPLE, partners_yaml

from tutela.datamap import check_datamap, datamap_version, load_datamap

Doc = dict[str, Any]


def _with_partners() -> Doc:
    document: Doc = yaml.safe_load(EXAMPLE + partners_yaml())
    return document


def test_a_map_without_partners_keeps_its_version_and_partners_change_it() -> None:
    plain = load_datamap(EXAMPLE)
    assert plain.partners == {}
    # The version hashes the map without defaults: no "partners" key, as before they existed.
    assert "partners" not in plain.model_dump(mode="json", exclude_defaults=True)
    empty = load_datamap(EXAMPLE + "\npartners: {}\n")
    assert datamap_version(empty) == datamap_version(plain)

    shared = load_datamap(EXAMPLE + partners_yaml())
    assert sorted(shared.partners) == ["lab_a", "lab_b"]
    assert shared.partners["lab_b"].policy == "lab_b"
    assert datamap_version(shared) != datamap_version(plain)


def test_every_problem_of_an_agreement_is_reported_with_its_location() -> None:
    document = copy.deepcopy(_with_partners())
    lab = document["partners"]["lab_a"]
    lab["purpose"] = "research"
    document["partners"]["lab_b"]["fields"] = ["email", "name", "fax"]
    document["partners"]["lab_b"]["model"].update({"quasi_identifiers": ["date_of_birth"], "l": 2})
    document["partners"]["lab_b"]["subject_column"] = "email"
    document["partners"]["Bad-Name"] = {"purpose": "analytics"}

    problems = {str(p) for p in check_datamap(yaml.safe_dump(document))}

    assert {
        "partners.lab_a.purpose: purpose 'research' is not declared",
        "partners.lab_b.fields[1]: field 'name' is not declared for purpose 'analytics'",
        "partners.lab_b.fields[2]: field 'fax' is not declared",
        "partners.lab_b.model.quasi_identifiers[0]: 'date_of_birth' is not one of the "
        "partner's fields",
        "partners.lab_b.model.sensitive: l-diversity and t-closeness need it",
        "partners.lab_b.subject_column: is also the name of a shared field",
    } <= problems
    assert any(p.startswith("partners.Bad-Name: invalid name") for p in problems)


def test_an_agreement_missing_its_parts_names_each_of_them() -> None:
    document = copy.deepcopy(_with_partners())
    document["partners"]["lab_a"] = {"purpose": "analytics", "fields": ["email"]}
    document["partners"]["lab_b"]["model"]["suppression"] = 1.5

    problems = {str(p) for p in check_datamap(yaml.safe_dump(document))}

    assert {
        "partners.lab_a.policy: is required",
        "partners.lab_a.model: is required",
        "partners.lab_a.recipient_key: is required",
    } <= problems
    assert any(p.startswith("partners.lab_b.model.suppression:") for p in problems)
