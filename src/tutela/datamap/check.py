"""Load a data map from YAML and report every problem with its location.

Problems are collected, not raised one at a time, so `tutela datamap check` can list them all:
``purposes.marketing.fields[2]: field 'fax' is not declared``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import isodate
import yaml
from pydantic import BaseModel, ValidationError

from tutela.datamap.masking import MASK_RULES
from tutela.datamap.spec import (
    Controller,
    DataMap,
    FieldSpec,
    FieldType,
    LegalBasis,
    PartnerSpec,
    PurposeSpec,
    RetentionStart,
    RoleSpec,
)
from tutela.datamap.taxonomy import data_categories
from tutela.errors import DataMapInvalid, Problem

_SECTIONS = ("controller", "roles", "fields", "purposes", "partners")
_NAME_HINT = "names are lower-case letters, digits and '_', starting with a letter"
M = TypeVar("M", bound=BaseModel)


def load_datamap(text: str) -> DataMap:
    """Parse and validate a data map.

    Raises:
        DataMapInvalid: with every problem found, each with its location.
    """
    datamap, problems = _check(text)
    if problems or datamap is None:
        raise DataMapInvalid(problems)
    return datamap


def check_datamap(text: str) -> list[Problem]:
    """Every problem in the data map (empty when it is valid)."""
    return _check(text)[1]


def datamap_version(datamap: DataMap) -> str:
    """Content hash naming this version of the map (comments and layout do not count)."""
    # Defaults are left out, so a release that adds an optional key keeps existing versions.
    dump = datamap.model_dump(mode="json", exclude_defaults=True)
    canonical = json.dumps(dump, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _check(text: str) -> tuple[DataMap | None, list[Problem]]:
    problems: list[Problem] = []
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or "not valid YAML"
        return None, [Problem(where, f"YAML syntax error: {reason}")]
    if not isinstance(raw, dict):
        return None, [
            Problem("", "a data map is a mapping with controller, roles, fields, purposes")
        ]

    for key in raw:
        if key not in _SECTIONS:
            problems.append(
                Problem(str(key), f"unknown section (expected one of {', '.join(_SECTIONS)})")
            )
    controller = _model(Controller, raw.get("controller"), "controller", problems)
    roles = _entries(RoleSpec, raw, "roles", problems)
    fields = _entries(FieldSpec, raw, "fields", problems)
    purposes = _entries(PurposeSpec, raw, "purposes", problems)
    # Partners are optional: a map without them is as valid (and versioned) as before.
    partners = (
        _entries(PartnerSpec, raw, "partners", problems) if raw.get("partners") is not None else {}
    )

    problems += _field_problems(fields, roles)
    problems += _purpose_problems(raw, purposes, fields, roles)
    problems += _partner_problems(raw, partners, purposes, fields)
    if problems or controller is None:
        return None, problems
    return (
        DataMap(
            controller=controller,
            roles=roles,
            fields=fields,
            purposes=purposes,
            partners=partners,
        ),
        [],
    )


def _field_problems(
    fields: Mapping[str, FieldSpec], roles: Mapping[str, RoleSpec]
) -> list[Problem]:
    problems = []
    categories = data_categories()
    for name, spec in fields.items():
        where = f"fields.{name}"
        if spec.category not in categories:
            problems.append(
                Problem(f"{where}.category", f"'{spec.category}' is not a fideslang data category")
            )
        for role, rule in spec.mask.items():
            if role not in roles:
                problems.append(Problem(f"{where}.mask.{role}", f"role '{role}' is not declared"))
            if rule not in MASK_RULES:
                known = ", ".join(sorted(MASK_RULES))
                problems.append(
                    Problem(f"{where}.mask.{role}", f"unknown masking rule '{rule}' ({known})")
                )
        if spec.type is FieldType.CHOICE and not spec.choices:
            problems.append(Problem(f"{where}.choices", "a choice field lists its choices"))
        if spec.type is not FieldType.CHOICE and (spec.choices or spec.multiple):
            problems.append(Problem(f"{where}.choices", "only choice fields take choices"))
    return problems


def _purpose_problems(
    raw: Mapping[str, Any],
    purposes: Mapping[str, PurposeSpec],
    fields: Mapping[str, FieldSpec],
    roles: Mapping[str, RoleSpec],
) -> list[Problem]:
    problems = []
    used = _named_in_raw_purposes(raw)
    for name, purpose in purposes.items():
        where = f"purposes.{name}"
        for i, field in enumerate(purpose.fields):
            if field not in fields and not _present(raw, "fields", field):
                problems.append(Problem(f"{where}.fields[{i}]", f"field '{field}' is not declared"))
        for i, role in enumerate(purpose.roles):
            if role not in roles and not _present(raw, "roles", role):
                problems.append(Problem(f"{where}.roles[{i}]", f"role '{role}' is not declared"))
        problems.extend(_retention_problems(purpose.retention, f"{where}.retention"))
        if purpose.retention_from is RetentionStart.CONSENT and purpose.basis is not (
            LegalBasis.CONSENT
        ):
            problems.append(
                Problem(f"{where}.retention_from", "only consent purposes count from consent")
            )
        if purpose.sale_or_share and not purpose.withdrawable:
            problems.append(
                Problem(
                    f"{where}.sale_or_share",
                    "selling or sharing rests on consent or legitimate_interests "
                    "(the customer must be able to opt out)",
                )
            )
    for name in fields:
        if name not in used:
            problems.append(
                Problem(
                    f"fields.{name}", "is used by no purpose (collect only what a purpose needs)"
                )
            )
    return problems


def _partner_problems(
    raw: Mapping[str, Any],
    partners: Mapping[str, PartnerSpec],
    purposes: Mapping[str, PurposeSpec],
    fields: Mapping[str, FieldSpec],
) -> list[Problem]:
    """A partner shares declared fields of one declared purpose, and its privacy model names
    only fields it shares."""
    problems = []
    for name, partner in partners.items():
        where = f"partners.{name}"
        purpose = purposes.get(partner.purpose)
        if purpose is None and not _present(raw, "purposes", partner.purpose):
            problems.append(
                Problem(f"{where}.purpose", f"purpose '{partner.purpose}' is not declared")
            )
        if len(set(partner.fields)) != len(partner.fields):
            problems.append(Problem(f"{where}.fields", "lists a field twice"))
        for i, field in enumerate(partner.fields):
            if field not in fields and not _present(raw, "fields", field):
                problems.append(Problem(f"{where}.fields[{i}]", f"field '{field}' is not declared"))
            elif purpose is not None and field not in purpose.fields:
                problems.append(
                    Problem(
                        f"{where}.fields[{i}]",
                        f"field '{field}' is not declared for purpose '{partner.purpose}'",
                    )
                )
        problems += _model_problems(where, partner)
    return problems


def _model_problems(where: str, partner: PartnerSpec) -> list[Problem]:
    """The privacy model and the subject column of one partner."""
    problems = []
    model = partner.model
    for i, column in enumerate(model.quasi_identifiers):
        if column not in partner.fields:
            problems.append(
                Problem(
                    f"{where}.model.quasi_identifiers[{i}]",
                    f"'{column}' is not one of the partner's fields",
                )
            )
    if model.sensitive is not None and model.sensitive not in partner.fields:
        problems.append(
            Problem(
                f"{where}.model.sensitive",
                f"'{model.sensitive}' is not one of the partner's fields",
            )
        )
    elif model.sensitive is not None and model.sensitive in model.quasi_identifiers:
        problems.append(Problem(f"{where}.model.sensitive", "is also a quasi-identifier"))
    if (model.l is not None or model.t is not None) and model.sensitive is None:
        problems.append(Problem(f"{where}.model.sensitive", "l-diversity and t-closeness need it"))
    if partner.subject_column is not None and partner.subject_column in partner.fields:
        problems.append(Problem(f"{where}.subject_column", "is also the name of a shared field"))
    return problems


def _present(raw: Mapping[str, Any], section: str, name: str) -> bool:
    """True if `name` need not be reported as undeclared: it is in the raw section but failed
    to parse, or the whole section is missing or malformed. Either already has its own
    problem; repeating it for every reference would only bury it.
    """
    entries = raw.get(section)
    return not isinstance(entries, dict) or name in entries


def _named_in_raw_purposes(raw: Mapping[str, Any]) -> set[str]:
    """Field names any purpose lists, including purposes that failed to parse for another
    reason: their fields are not 'unused', the purpose is what is wrong."""
    used: set[str] = set()
    purposes = raw.get("purposes")
    if isinstance(purposes, dict):
        for body in purposes.values():
            names = body.get("fields") if isinstance(body, dict) else None
            if isinstance(names, list):
                used.update(n for n in names if isinstance(n, str))
    return used


def _retention_problems(text: str, where: str) -> list[Problem]:
    try:
        duration = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError):
        return [Problem(where, "is not an ISO 8601 duration such as P6Y or P90D")]
    if isinstance(duration, isodate.Duration):
        positive = duration.years > 0 or duration.months > 0 or duration.tdelta.total_seconds() > 0
    else:
        positive = duration.total_seconds() > 0
    return [] if positive else [Problem(where, "must be a positive duration")]


def _entries(
    model: type[M], raw: Mapping[str, Any], section: str, problems: list[Problem]
) -> dict[str, M]:
    entries = raw.get(section)
    if entries is None:
        problems.append(Problem(section, "is missing"))
        return {}
    if not isinstance(entries, dict):
        problems.append(Problem(section, "must be a mapping keyed by name"))
        return {}
    parsed: dict[str, M] = {}
    for name, body in entries.items():
        where = f"{section}.{name}"
        if not isinstance(name, str) or not _is_name(name):
            problems.append(Problem(where, f"invalid name ({_NAME_HINT})"))
            continue
        item = _model(model, body if body is not None else {}, where, problems)
        if item is not None:
            parsed[name] = item
    return parsed


def _model(model: type[M], body: object, where: str, problems: list[Problem]) -> M | None:
    if body is None:
        problems.append(Problem(where, "is missing"))
        return None
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(Problem(_location(where, error["loc"]), _message(error)))
        return None


def _location(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known key"
    if kind == "string_pattern_mismatch":
        return f"invalid name ({_NAME_HINT})"
    # Pydantic's own message names the expectation; the offending input is never echoed.
    return str(error["msg"])


def _is_name(name: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name) is not None
