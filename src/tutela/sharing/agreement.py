"""A sharing agreement made ready to run: the partner's purpose, its de-identification policy
keyed for this partner, a rule for every shared field, and the hierarchies of its model.

Everything here is checked before a single value is read, so an agreement that cannot be
carried out is refused without touching the vault.

Keys: the keyed operators of the policy (pseudonymize, fake, encrypt, date_shift) use the
home's de-identification master key (`<home>/deid.key`), derived with HKDF for the partner's
name and a fingerprint of its `recipient_key`. Two partners' pseudonyms of one customer are
unrelated, and so are one partner's before and after its key changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutela.anonymize import Hierarchy, HierarchySource, hierarchies_from_yaml
from tutela.datamap import DataMap, PurposeSpec
from tutela.datamap.spec import PartnerSpec
from tutela.deid.keys import KeySource
from tutela.deid.operators import Operator
from tutela.deid.policy import Policy, load_named
from tutela.sharing.errors import AgreementUnusable, PartnerNotInDataMap

HIERARCHIES_FILE = "hierarchies.yaml"
SUBJECT_TYPE = "SUBJECT"
KEEP = "keep"
MODEL = "model"  # a column left to the anonymizer (quasi-identifier or sensitive attribute)


class PartnerKeys:
    """The keys of one partner: the master's key for the policy's recipient (the partner),
    further bound to the partner's `recipient_key`."""

    def __init__(self, master: KeySource, recipient_key: str) -> None:
        self._master = master
        self.missing_hint = master.missing_hint
        self.fingerprint = hashlib.sha256(recipient_key.encode("utf-8")).hexdigest()[:32]

    def key(self, recipient: str) -> bytes | None:
        return self._master.key(f"{recipient}#{self.fingerprint}")


@dataclass(frozen=True)
class ColumnRule:
    """What happens to one shared field before anonymization: an operator of the policy
    (`action` is its name), kept as it is ("keep"), or left to the privacy model ("model")."""

    field: str
    action: str
    operator: Operator | None = None
    entity_type: str = "TEXT"


@dataclass(frozen=True)
class Agreement:
    """A partner's agreement, checked and ready to run."""

    partner: str
    spec: PartnerSpec
    purpose: PurposeSpec
    policy: Policy
    policy_source: str  # the policy's name, or "inline"
    policy_sha256: str
    rules: tuple[ColumnRule, ...]
    hierarchies: Mapping[str, HierarchySource]
    subject_operator: Operator | None
    key_fingerprint: str

    @property
    def where(self) -> str:
        return f"partners.{self.partner}"


def resolve(datamap: DataMap, partner: str, *, home: Path, keys: KeySource) -> Agreement:
    """The agreement of `partner`, checked: policy readable and keyed, every field with a
    rule, every quasi-identifier with a hierarchy.

    Raises:
        PartnerNotInDataMap: no such partner.
        PolicyInvalid: the policy cannot be read or is invalid (KeyRequired: a keyed
            operator and no de-identification key in the home).
        AgreementUnusable: a field without a rule, a missing hierarchy.
        HierarchyInvalid: a hierarchy file or spec is malformed.
    """
    spec = datamap.partners.get(partner)
    if spec is None:
        raise PartnerNotInDataMap(partner)
    where = f"partners.{partner}"
    partner_keys = PartnerKeys(keys, spec.recipient_key)
    policy, source = _policy(spec, where, home, partner_keys, partner)
    policy.prepare()  # a missing key fails before anything is read
    return Agreement(
        partner=partner,
        spec=spec,
        purpose=datamap.purpose(spec.purpose),
        policy=policy,
        policy_source=source,
        policy_sha256=_digest(policy.document.model_dump(mode="json")),
        rules=_rules(spec, policy, where),
        hierarchies=_hierarchies(spec, where, home),
        subject_operator=_subject_operator(spec, partner_keys, partner),
        key_fingerprint=partner_keys.fingerprint,
    )


def _policy(
    spec: PartnerSpec, where: str, home: Path, keys: KeySource, partner: str
) -> tuple[Policy, str]:
    if isinstance(spec.policy, str):
        named = load_named(home, spec.policy)
        document, source = named.document, spec.policy
    else:
        document = Policy.from_mapping(spec.policy, f"{where}.policy").document
        source = "inline"
    # The partner is the recipient whatever the document says: its keys are the partner's.
    keyed = document.model_copy(update={"recipient": partner})
    return Policy(keyed, keys=keys, source=f"{where}.policy"), source


def _rules(spec: PartnerSpec, policy: Policy, where: str) -> tuple[ColumnRule, ...]:
    """One rule per shared field. A field neither named in the policy's columns nor part of
    the privacy model is refused: nothing leaves as it is unless the agreement says so."""
    model = spec.model
    modelled = {*model.quasi_identifiers, *([model.sensitive] if model.sensitive else [])}
    rules = []
    for i, field in enumerate(spec.fields):
        if field in policy.document.columns:
            operator = policy.column_operator(field)
            action = KEEP if operator is None else operator.name
            if field in model.quasi_identifiers and operator is not None:
                raise AgreementUnusable(
                    f"{where}.policy.columns.{field}",
                    "a quasi-identifier is generalized by the privacy model: keep it in "
                    "the policy or leave it out of the policy's columns",
                )
            rules.append(ColumnRule(field, action, operator, policy.column_entity_type(field)))
        elif field in modelled:
            rules.append(ColumnRule(field, MODEL))
        else:
            raise AgreementUnusable(
                f"{where}.fields[{i}]",
                f"field '{field}' has no rule: name it in the policy's columns (operator "
                "keep, if it may leave as it is) or in the privacy model",
            )
    return tuple(rules)


def _hierarchies(spec: PartnerSpec, where: str, home: Path) -> dict[str, HierarchySource]:
    declared = spec.model.hierarchies
    found: dict[str, HierarchySource] = {}
    location = f"{where}.model.hierarchies"
    if isinstance(declared, dict):
        found = hierarchies_from_yaml(declared, base=home)
    elif isinstance(declared, str):
        path = Path(declared) if Path(declared).is_absolute() else home / declared
        if path.is_dir():
            if (path / HIERARCHIES_FILE).is_file():
                found = hierarchies_from_yaml(path / HIERARCHIES_FILE, base=path)
            for column in spec.model.quasi_identifiers:
                csv = path / f"{column}.csv"
                if column not in found and csv.is_file():
                    found[column] = Hierarchy.read_csv(csv)
        elif path.is_file():
            found = hierarchies_from_yaml(path)
        else:
            raise AgreementUnusable(location, f"{path} is neither a directory nor a file")
    for i, column in enumerate(spec.model.quasi_identifiers):
        if column not in found:
            raise AgreementUnusable(
                location if declared is not None else f"{where}.model.quasi_identifiers[{i}]",
                f"quasi-identifier '{column}' has no generalization hierarchy",
            )
    return {c: found[c] for c in spec.model.quasi_identifiers}


def _subject_operator(spec: PartnerSpec, keys: KeySource, partner: str) -> Operator | None:
    """The keyed pseudonym of the subject id, when the agreement asks for a subject column."""
    if spec.subject_column is None:
        return None
    policy = Policy.from_mapping(
        {
            "recipient": partner,
            "columns": {"subject": {"operator": "pseudonymize", "prefix": "", "length": 32}},
        },
        "subject_column",
        keys=keys,
    )
    return policy.column_operator("subject")


def _digest(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
