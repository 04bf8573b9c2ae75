"""Data categories: the fideslang default taxonomy, loaded once on first use."""

from __future__ import annotations

from functools import cache


@cache
def data_categories() -> frozenset[str]:
    """Every `fides_key` of the fideslang default data-category taxonomy."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY  # heavy: only when a map is checked

    return frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category)
