"""Helpers shared by the transparency tests (imported by name: the tests have no packages):
the example data map, changed copies of it, and what its notice and ROPA must mention."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml

from tutela.datamap import DataMap, datamap_version, load_datamap
from tutela.home import example_datamap

Doc = dict[str, Any]
EXAMPLE_TEXT = example_datamap()
EXAMPLE: Doc = yaml.safe_load(EXAMPLE_TEXT)

# What the example map declares, as a reader of the notice must see it.
PURPOSE_TITLES = (
    "Order fulfilment",
    "Fraud prevention",
    "Newsletter",
    "Analytics",
    "Personalised ads",
    "Tax records",
)
BASES = (
    "Performance of a contract (GDPR Art. 6(1)(b))",
    "Legitimate interests (GDPR Art. 6(1)(f))",
    "Consent (GDPR Art. 6(1)(a))",
    "Compliance with a legal obligation (GDPR Art. 6(1)(c))",
)
# fideslang's names for the example's categories.
CATEGORY_LABELS = {
    "user.contact.email": "User Contact Email",
    "user.name": "Name",
    "user.contact.phone_number": "User Contact Phone Number",
    "user.contact.address": "User Contact Address",
    "user.demographic.date_of_birth": "Birth Date",
    "user.unique_id": "Unique ID",
    "user.behavior": "Observed Behavior",
    "user.contact.address.country": "User Contact Country",
}
RETENTIONS = (
    "6 years from when the data was collected",
    "2 years from when the data was collected",
    "2 years from when you last gave consent",
    "13 months from when you last gave consent",
    "1 year from when you last gave consent",
    "10 years from when the data was collected",
)
RECIPIENTS = (
    "Parcel carriers",
    "Payment processor",
    "Email delivery provider",
    "Advertising partners",
    "Tax authority",
    "External auditors",
)


def changed(mutate: Callable[[Doc], object]) -> str:
    """The example map's YAML after `mutate`."""
    document = copy.deepcopy(EXAMPLE)
    mutate(document)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def loaded(text: str = EXAMPLE_TEXT) -> tuple[DataMap, str]:
    """A map and its version."""
    datamap = load_datamap(text)
    return datamap, datamap_version(datamap)


def with_description(purpose: str, description: str) -> str:
    def mutate(d: Doc) -> None:
        d["purposes"][purpose]["description"] = description

    return changed(mutate)
