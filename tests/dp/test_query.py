"""The query language of `tutela dp`: what parses, and refusals that never echo the text."""

from __future__ import annotations

import pytest

from tutela.dp import DpQueryInvalid, QueryKind, parse_query


@pytest.mark.parametrize(
    ("text", "kind", "column", "bounds", "categories"),
    [
        ("count", QueryKind.COUNT, None, None, ()),
        ("COUNT", QueryKind.COUNT, None, None, ()),
        ("count by country in GB,FR, DE", QueryKind.HISTOGRAM, "country", None, ("GB", "FR", "DE")),
        (
            'histogram "home town" in "New York",Paris',
            QueryKind.HISTOGRAM,
            "home town",
            None,
            ("New York", "Paris"),
        ),
        ("sum amount bounds 0..1000", QueryKind.SUM, "amount", (0.0, 1000.0), ()),
        ("mean amount bounds -5.5 .. 2e3", QueryKind.MEAN, "amount", (-5.5, 2000.0), ()),
        ("mean amount clamp 1..2", QueryKind.MEAN, "amount", (1.0, 2.0), ()),
    ],
)
def test_queries_parse(
    text: str,
    kind: QueryKind,
    column: str | None,
    bounds: tuple[float, float] | None,
    categories: tuple[str, ...],
) -> None:
    query = parse_query(text)
    assert (query.kind, query.column, query.bounds, query.categories) == (
        kind,
        column,
        bounds,
        categories,
    )
    assert parse_query(query.text()) == query


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        ("median amount", "expected 'count'"),
        ("count by country", "declares its categories"),
        ("count by country in ", "declares no categories"),
        ("count by country in GB,GB", "a category twice"),
        ("mean amount", "declares the bounds"),
        ("sum amount bounds 10..1", "LOW below HIGH"),
        ("sum amount bounds 0..1e999", "finite numbers"),
        ("sum amount bounds zero..ten", "LOW..HIGH"),
        ('sum "amount bounds 0..1', "unclosed quote"),
    ],
)
def test_malformed_queries_are_refused_by_position_without_echoing_them(
    text: str, reason: str
) -> None:
    with pytest.raises(DpQueryInvalid) as raised:
        parse_query(text, "query[3]")
    assert raised.value.field == "query[3]"
    assert reason in raised.value.reason
    assert str(raised.value).startswith("query[3]: ")
    if text:
        assert text not in str(raised.value)
