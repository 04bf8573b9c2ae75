"""A shop home with two research partners sharing the analytics purpose, and its customers.

Both partners receive the same fields under the same model; only their names and keys
differ, so anything that tells their files apart comes from the per-partner keys.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import tutela
from tutela import Settings, Tutela
from tutela.deid.keys import create_key_file
from tutela.testing import PiiCanary

EXAMPLE = (Path(tutela.__file__).parent / "examples" / "datamap.yaml").read_text("utf-8")
COUNTRIES = ("GB", "FR", "DE", "US")


def partners_yaml(*, k: int = 1, suppression: float = 0.0) -> str:
    return f"""
partners:
  lab_a:
    description: University lab A
    purpose: analytics
    fields: [email, date_of_birth, country]
    policy:
      columns:
        email: {{operator: pseudonymize}}
    model:
      k: {k}
      quasi_identifiers: [date_of_birth, country]
      suppression: {suppression}
      hierarchies: hierarchies
    recipient_key: lab-a-2026
    subject_column: customer
  lab_b:
    purpose: analytics
    fields: [email, date_of_birth, country]
    policy: lab_b
    model:
      k: {k}
      quasi_identifiers: [date_of_birth, country]
      suppression: {suppression}
      hierarchies: hierarchies
    recipient_key: lab-b-2026
    subject_column: customer
"""


def open_shop(settings: Settings, tmp_path: Path, *, k: int = 1, **kwargs: Any) -> Tutela:
    """A new home with the partners, a de-identification key, lab B's named policy and the
    hierarchies directory (a YAML date hierarchy and an ARX CSV file for country)."""
    datamap = tmp_path / "datamap-partners.yaml"
    datamap.write_text(EXAMPLE + partners_yaml(k=k, **kwargs), "utf-8")
    shop = Tutela.init(settings=settings, datamap=datamap)
    home = settings.home
    create_key_file(home / "deid.key")
    (home / "policies").mkdir()
    (home / "policies" / "lab_b.yaml").write_text(
        "recipient: ignored-for-partners\ncolumns:\n  email: {operator: pseudonymize}\n"
    )
    hierarchies = home / "hierarchies"
    hierarchies.mkdir()
    (hierarchies / "hierarchies.yaml").write_text("date_of_birth: {date: [year, decade]}\n")
    (hierarchies / "country.csv").write_text(
        "GB;Europe;*\nFR;Europe;*\nDE;Europe;*\nUS;America;*\n"
    )
    return shop


def customer(canary: PiiCanary, n: int) -> dict[str, Any]:
    values = canary.customer(n)
    return {
        "email": values["email"],
        "name": values["name"],
        "date_of_birth": f"19{60 + n % 30:02d}-0{1 + n % 9}-1{n % 9}",
        "country": COUNTRIES[n % len(COUNTRIES)],
    }


def add_customers(
    shop: Tutela, canary: PiiCanary, count: int, *, consent: bool = True
) -> list[str]:
    ids = shop.add_many([customer(canary, n) for n in range(count)])
    if consent:
        for subject_id in ids:
            shop.consents.grant(subject_id, "analytics")
    return ids


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
