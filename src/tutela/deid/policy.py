"""De-identification policies: what to find, and what each type or column becomes.

    threshold: 0.5
    recipient: analytics-team          # whose key the keyed operators use
    default: {operator: replace}       # entity types not listed
    entities:
      EMAIL_ADDRESS: {operator: pseudonymize}
      PHONE_NUMBER: {operator: mask, keep_last: 4, char: "*"}
    columns:                           # tables: a column's operator, or detect for free text
      email: {operator: pseudonymize, entity_type: EMAIL_ADDRESS}
      notes: {operator: detect}
    allow: ["support@shop.example"]
    deny: [{term: "Project Falcon", entity_type: PROJECT}]
    recognizers: [...]                 # see tutela.deid.custom
    ner: false                         # true, or {model: en_core_web_lg}: see tutela.deid.ner

Every problem names its location (``entities.PHONE_NUMBER.keep_last: must be >= 0``), never
a value. Operators are checked when the policy is read and built, with the key, when first
used (`prepare` builds them all at once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from tutela.deid import operators as ops
from tutela.deid._pydantic import problems
from tutela.deid.analyzer import DEFAULT_THRESHOLD, Analyzer, DenyTerm
from tutela.deid.custom import ENTITY_TYPE, CustomRecognizer, RecognizerSpec
from tutela.deid.errors import PolicyInvalid
from tutela.deid.keys import DEFAULT_RECIPIENT, KeySource, NoKey
from tutela.deid.operators import Operator, OperatorSpecError
from tutela.deid.operators._spec import OperatorType, Options
from tutela.deid.recognizer import Recognizer
from tutela.deid.registry import default_recognizers
from tutela.deid.registry import names as builtin_recognizers

DETECT = "detect"  # a column of free text: find and de-identify what is in it
KEEP = "keep"
POLICY_DIR = "policies"  # named policies in a Tutela home: policies/NAME.yaml
POLICY_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_POLICY_BYTES = 1_048_576

EntityType = Annotated[str, StringConstraints(pattern=ENTITY_TYPE)]
ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DenySpec(_Strict):
    term: str = Field(min_length=1, max_length=200)
    entity_type: EntityType


class NerSpec(_Strict):
    model: str = Field("en_core_web_sm", pattern=r"^[A-Za-z0-9_.-]{1,100}$")


class PolicyDocument(_Strict):
    """The policy as written (structure only; operator entries are checked by `Policy`)."""

    threshold: float = Field(DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    recipient: str = Field(DEFAULT_RECIPIENT, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
    default: dict[str, Any] = Field(default_factory=lambda: {"operator": "replace"})
    entities: dict[EntityType, dict[str, Any]] = Field(default_factory=dict)
    columns: dict[ColumnName, dict[str, Any]] = Field(default_factory=dict)
    allow: tuple[Annotated[str, StringConstraints(min_length=1, max_length=500)], ...] = ()
    deny: tuple[DenySpec, ...] = ()
    recognizers: tuple[RecognizerSpec, ...] = ()
    ner: bool | NerSpec = False


class Policy:
    """A checked policy, with the keys its keyed operators will use.

    Build with `Policy.load(path)`, `Policy.parse(text, source)` or `Policy.from_mapping`;
    `with_keys` gives a copy using other keys.
    """

    def __init__(
        self, document: PolicyDocument, *, keys: KeySource | None = None, source: str = "policy"
    ) -> None:
        self.document = document
        self.source = source
        self.keys: KeySource = keys if keys is not None else NoKey()
        self._entries: dict[str, tuple[str, OperatorType[Any], Options]] = {}
        self._columns: dict[str, str] = {}  # column name -> its entity type
        self._built: dict[str, Operator] = {}
        self._recognizers: list[Recognizer] | None = None
        self._check()

    # -- reading ---------------------------------------------------------------------------

    @classmethod
    def from_mapping(
        cls,
        data: Any,
        source: str = "policy",
        *,
        keys: KeySource | None = None,
        trusted: bool = True,
    ) -> Policy:
        """A policy from parsed YAML or JSON.

        Args:
            trusted: False for a policy sent by a caller (an API request): it may not declare
                recognizers, whose regular expressions could stall the server.

        Raises:
            PolicyInvalid: the first problem, by location (`problems` holds them all).
        """
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise PolicyInvalid("", "must be a mapping of settings", source=source)
        if not trusted and data.get("recognizers"):
            raise PolicyInvalid(
                "recognizers",
                "an inline policy cannot declare recognizers (use a named policy)",
                source=source,
            )
        try:
            document = PolicyDocument.model_validate(dict(data))
        except ValidationError as exc:
            found = problems(exc)
            raise PolicyInvalid(*found[0], source=source, problems=found) from None
        return cls(document, keys=keys, source=source)

    @classmethod
    def parse(cls, text: str, source: str = "policy", *, keys: KeySource | None = None) -> Policy:
        """A policy from YAML (or JSON) text; `source` names it in errors."""
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise PolicyInvalid("", f"is not valid YAML{where}", source=source) from None
        except yaml.YAMLError:
            raise PolicyInvalid("", "is not valid YAML", source=source) from None
        return cls.from_mapping(data, source, keys=keys)

    @classmethod
    def load(cls, path: Path, *, keys: KeySource | None = None) -> Policy:
        """A policy from a YAML file.

        Raises:
            PolicyInvalid: unreadable, too large, or invalid (the message names the file).
        """
        try:
            with path.open("rb") as file:
                raw = file.read(MAX_POLICY_BYTES + 1)
        except OSError:
            raise PolicyInvalid("", "cannot be read", source=str(path)) from None
        if len(raw) > MAX_POLICY_BYTES:
            raise PolicyInvalid("", f"is larger than {MAX_POLICY_BYTES} bytes", source=str(path))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyInvalid("", "is not UTF-8 text", source=str(path)) from None
        return cls.parse(text, str(path), keys=keys)

    @classmethod
    def default(cls, *, keys: KeySource | None = None) -> Policy:
        """Every type found replaced by ``<ENTITY_TYPE>``, default threshold."""
        return cls(PolicyDocument(), keys=keys, source="default policy")

    def with_keys(self, keys: KeySource) -> Policy:
        return Policy(self.document, keys=keys, source=self.source)

    # -- checking --------------------------------------------------------------------------

    def _check(self) -> None:
        doc = self.document
        self._entry("default", doc.default)
        for entity_type, spec in doc.entities.items():
            self._entry(f"entities.{entity_type}", spec)
        for column, spec in doc.columns.items():
            where = f"columns.{column}"
            rest = dict(spec)
            entity_type = rest.pop("entity_type", None)
            if entity_type is not None and not (
                isinstance(entity_type, str) and re.fullmatch(ENTITY_TYPE, entity_type)
            ):
                raise PolicyInvalid(
                    f"{where}.entity_type", f"must match {ENTITY_TYPE}", source=self.source
                )
            self._columns[column] = entity_type or _type_of_column(column)
            if rest.get("operator") == DETECT:
                if len(rest) > 1:
                    extra = sorted(k for k in rest if k != "operator")[0]
                    raise PolicyInvalid(
                        f"{where}.{extra}", "is not a known option", source=self.source
                    )
                continue
            self._entry(where, rest)
        names = set(builtin_recognizers())
        seen: set[str] = set()
        for i, recognizer in enumerate(doc.recognizers):
            if recognizer.name in names or recognizer.name == "deny_list":
                raise PolicyInvalid(
                    f"recognizers[{i}].name",
                    "is the name of a built-in recognizer",
                    source=self.source,
                )
            if recognizer.name in seen:
                raise PolicyInvalid(f"recognizers[{i}].name", "is used twice", source=self.source)
            seen.add(recognizer.name)

    def _entry(self, where: str, spec: Mapping[str, Any]) -> None:
        try:
            kind, options = ops.parse(spec, where=where)
        except OperatorSpecError as exc:
            raise PolicyInvalid(exc.location, exc.reason, source=self.source) from None
        self._entries[where] = (where, kind, options)

    # -- using -----------------------------------------------------------------------------

    @property
    def threshold(self) -> float:
        return self.document.threshold

    @property
    def recipient(self) -> str:
        return self.document.recipient

    @property
    def needs_key(self) -> bool:
        """Whether any operator of the policy needs a key."""
        return any(kind.keyed for _, kind, _ in self._entries.values())

    def analyzer(
        self, *, threshold: float | None = None, entities: Iterable[str] | None = None
    ) -> Analyzer:
        """An analyzer with the built-in and the policy's recognizers (and NER if asked for),
        its allow and deny lists and threshold (or `threshold`).

        Raises:
            NerUnavailable: `ner` is on and spaCy or its model is missing.
        """
        if self._recognizers is None:
            found: list[Recognizer] = [*default_recognizers()]
            found += [CustomRecognizer(spec) for spec in self.document.recognizers]
            ner = self.document.ner
            if ner:
                from tutela.deid.ner import NerRecognizer

                found.append(
                    NerRecognizer(ner.model) if isinstance(ner, NerSpec) else NerRecognizer()
                )
            self._recognizers = found
        return Analyzer(
            recognizers=self._recognizers,
            threshold=self.threshold if threshold is None else threshold,
            allow=self.document.allow,
            deny=[DenyTerm(d.term, d.entity_type) for d in self.document.deny],
            entities=entities,
        )

    def operator_for(self, entity_type: str) -> Operator:
        """The operator for a type found in text (the `default` entry if it is not listed).

        Raises:
            KeyRequired: the operator needs a key and the policy's key source has none.
        """
        where = f"entities.{entity_type}"
        return self._operator(where if where in self._entries else "default")

    def column_operator(self, name: str) -> Operator | None:
        """The operator of a table column: None to keep it as it is (not listed, or
        `keep`), a `DetectText` (``operator: detect``) to find and de-identify free text.

        Raises:
            KeyRequired: as `operator_for`.
        """
        if name not in self.document.columns:
            return None
        if self.document.columns[name].get("operator") == DETECT:
            from tutela.deid.text import DetectText

            return DetectText(self)
        where = f"columns.{name}"
        if self._entries[where][1].name == KEEP:
            return None
        return self._operator(where)

    def column_entity_type(self, name: str) -> str:
        """The entity type a column's values are given as: its `entity_type`, or the column
        name in capitals (``e-mail`` → ``E_MAIL``)."""
        return self._columns.get(name) or _type_of_column(name)

    def prepare(self) -> None:
        """Build every operator now, so a missing key fails before any work is done.

        Raises:
            KeyRequired: a keyed operator and no key.
        """
        for where in self._entries:
            self._operator(where)

    def _operator(self, where: str) -> Operator:
        built = self._built.get(where)
        if built is None:
            _, kind, options = self._entries[where]
            built = ops.make(kind, options, keys=self.keys, recipient=self.recipient, where=where)
            self._built[where] = built
        return built


def _type_of_column(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "VALUE"


def load_named(home: Path, name: str, *, keys: KeySource | None = None) -> Policy:
    """A named policy kept in a Tutela home (``policies/NAME.yaml``).

    Raises:
        PolicyInvalid: not a policy name, no such policy, or the policy is invalid.
    """
    if not POLICY_NAME.fullmatch(name):
        raise PolicyInvalid("policy", f"a policy name matches {POLICY_NAME.pattern}")
    path = home / POLICY_DIR / f"{name}.yaml"
    if not path.is_file():
        raise PolicyInvalid("policy", f"there is no policy named '{name}'")
    return Policy.load(path, keys=keys)
