"""The table of a share, built in memory from the records the vault released: one row per
subject, one column per shared field, each de-identified by its rule.

Values never touch the disk before they are de-identified and anonymized. Types follow the
data map, so a hierarchy can work on them: integers stay integers, dates become dates (for
date hierarchies), and a choice of several values is written "a;b". A column an operator
rewrote is text. An operator runs once per distinct value (pseudonyms and fakes are
deterministic per value and key), and per subject for a subject-aware one (`date_shift`
offsets each customer's dates by their own offset).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tutela.datamap import DataMap, FieldType
from tutela.datamap.masking import JsonValue
from tutela.deid.operators import Operator, SubjectAware
from tutela.sharing.agreement import SUBJECT_TYPE, Agreement, ColumnRule

if TYPE_CHECKING:
    import polars as pl


def build_table(
    agreement: Agreement,
    datamap: DataMap,
    records: Mapping[str, Mapping[str, JsonValue]],
) -> tuple[pl.DataFrame, int]:
    """The de-identified table of `records` (subject id → values), ready for the privacy
    model, and how many subjects were left out for lacking a quasi-identifier's value (a
    hierarchy has no place for a missing value; such a record is not shared at all).

    Raises:
        AgreementUnusable: an operator failed on a value (names the field and the error's
            class, never the value).
    """
    import polars as pl

    from tutela.sharing.errors import AgreementUnusable

    quasi = agreement.spec.model.quasi_identifiers
    subjects = [s for s, values in records.items() if all(values.get(q) is not None for q in quasi)]
    incomplete = len(records) - len(subjects)
    columns: dict[str, pl.Series] = {}
    if agreement.subject_operator is not None and agreement.spec.subject_column is not None:
        name = agreement.spec.subject_column
        pseudonyms = [agreement.subject_operator.apply(s, SUBJECT_TYPE) for s in subjects]
        columns[name] = pl.Series(name, pseudonyms, dtype=pl.String)
    for rule in agreement.rules:
        raw = [records[s].get(rule.field) for s in subjects]
        try:
            columns[rule.field] = _column(rule, raw, subjects, datamap.fields[rule.field].type)
        except Exception as exc:
            # Only the class: an operator's message may quote the value.
            raise AgreementUnusable(
                f"{agreement.where}.fields",
                f"field '{rule.field}' could not be de-identified ({type(exc).__name__})",
            ) from None
    return pl.DataFrame(list(columns.values())), incomplete


def _column(
    rule: ColumnRule, raw: Sequence[JsonValue], subjects: Sequence[str], kind: FieldType
) -> pl.Series:
    import polars as pl

    if rule.operator is None:
        return _typed(rule.field, raw, kind)
    texts = [_text(v) for v in raw]
    return pl.Series(rule.field, _apply(rule, rule.operator, texts, subjects), dtype=pl.String)


def _apply(
    rule: ColumnRule, operator: Operator, texts: Sequence[str | None], subjects: Sequence[str]
) -> list[str | None]:
    if isinstance(operator, SubjectAware):
        return [
            v if v is None or _blank(v) else operator.apply_for(v, rule.entity_type, s)
            for v, s in zip(texts, subjects, strict=True)
        ]
    memo: dict[str, str] = {}
    out: list[str | None] = []
    for value in texts:
        if value is None or _blank(value):
            out.append(value)
            continue
        done = memo.get(value)
        if done is None:
            done = memo[value] = operator.apply(value, rule.entity_type)
        out.append(done)
    return out


def _typed(name: str, raw: Sequence[JsonValue], kind: FieldType) -> pl.Series:
    import polars as pl

    if kind is FieldType.INTEGER:
        return pl.Series(name, [v if isinstance(v, int) else None for v in raw], dtype=pl.Int64)
    if kind is FieldType.BOOLEAN:
        return pl.Series(name, [v if isinstance(v, bool) else None for v in raw], dtype=pl.Boolean)
    texts = pl.Series(name, [_text(v) for v in raw], dtype=pl.String)
    if kind is FieldType.DATE:
        return texts.str.to_date("%Y-%m-%d", strict=False)
    return texts


def _text(value: JsonValue | Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _blank(value: str | None) -> bool:
    # A blank value holds nothing personal; its pseudonym would only say "blank".
    return value is None or not value or value.isspace()
