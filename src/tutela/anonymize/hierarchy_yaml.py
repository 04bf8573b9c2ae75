"""Hierarchies declared in YAML: numeric bands/intervals, date units, or ARX CSV files."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tutela.anonymize.errors import HierarchyInvalid
from tutela.anonymize.hierarchy import (
    DATE_UNITS,
    Bands,
    DateHierarchy,
    Hierarchy,
    HierarchySource,
    Interval,
    IntervalHierarchy,
    Level,
)


def hierarchies_from_yaml(
    document: str | Path | Mapping[str, Any], *, base: Path | None = None
) -> dict[str, HierarchySource]:
    """Hierarchies declared in YAML, one entry per column:

        age:
          numeric:
            - {band: 5}                      # 0-4, 5-9, ...   (`start:` moves the origin)
            - {band: 10}
            - intervals: [[0, 20], [20, 40, "20-39"], [40, 200, "40+"]]
        signup_date:
          date: [month, quarter, year]
        education: hierarchies/education.csv   # an ARX CSV file, relative to the YAML

    A `*` top level is added to numeric and date hierarchies.

    Args:
        document: a YAML file path, YAML text, or an already parsed mapping.
        base: the directory ARX file paths are relative to (default: the YAML file's).

    Raises:
        HierarchyInvalid: the document does not follow this format (location and reason).
    """
    import yaml

    source = "hierarchies"
    if isinstance(document, Path):
        try:
            text = document.read_text(encoding="utf-8")
        except OSError as exc:
            raise HierarchyInvalid(document.name, f"cannot read ({type(exc).__name__})") from None
        base = base or document.parent
        source = document.name
        document = text
    if isinstance(document, str):
        try:
            document = yaml.safe_load(document)
        except yaml.YAMLError as exc:
            # from None: the parser's message quotes the document, which may hold values
            raise HierarchyInvalid(source, f"not valid YAML ({type(exc).__name__})") from None
    if isinstance(document, Mapping) and set(document) == {"hierarchies"}:
        document = document["hierarchies"]
    if not isinstance(document, Mapping) or not document:
        raise HierarchyInvalid(source, "expected a mapping of column name to hierarchy")
    base = base or Path.cwd()
    return {str(col): _entry(str(col), spec, base, source) for col, spec in document.items()}


def _entry(column: str, spec: Any, base: Path, source: str) -> HierarchySource:
    where = f"{source}: {column}"
    if isinstance(spec, str):
        return Hierarchy.read_csv(base / spec)
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise HierarchyInvalid(where, "expected a file name, `numeric:` or `date:`")
    ((kind, body),) = spec.items()
    if kind == "date":
        if not isinstance(body, list) or not body or not all(u in DATE_UNITS for u in body):
            raise HierarchyInvalid(f"{where}.date", f"expected a list of units from {DATE_UNITS}")
        return DateHierarchy(tuple(body))
    if kind != "numeric":
        raise HierarchyInvalid(where, "expected a file name, `numeric:` or `date:`")
    if not isinstance(body, list) or not body:
        raise HierarchyInvalid(f"{where}.numeric", "expected a list of levels")
    return IntervalHierarchy(tuple(_level(f"{where}.numeric[{i}]", b) for i, b in enumerate(body)))


def _level(where: str, body: Any) -> Level:
    if isinstance(body, Mapping) and "band" in body:
        width, start = body["band"], body.get("start", 0)
        extra = set(body) - {"band", "start"}
        if extra or not _is_number(width) or width <= 0 or not _is_number(start):
            raise HierarchyInvalid(where, "`band` needs a positive width and optional `start`")
        return Bands(float(width), float(start))
    if (
        isinstance(body, Mapping)
        and set(body) == {"intervals"}
        and isinstance(body["intervals"], list)
    ):
        intervals = []
        for j, item in enumerate(body["intervals"]):
            ok = (
                isinstance(item, list)
                and len(item) in (2, 3)
                and _is_number(item[0])
                and _is_number(item[1])
                and item[0] < item[1]
                and (len(item) == 2 or isinstance(item[2], str))
            )
            if not ok:
                raise HierarchyInvalid(f"{where}.intervals[{j}]", "expected [low, high, label?]")
            intervals.append(Interval(float(item[0]), float(item[1]), *item[2:]))
        return tuple(intervals)
    raise HierarchyInvalid(where, "expected `{band: width}` or `{intervals: [[low, high], ...]}`")


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
