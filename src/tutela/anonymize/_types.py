"""The names of the options (literal types), importable without numpy or Polars."""

from __future__ import annotations

from typing import Literal

LVariant = Literal["distinct", "entropy", "recursive"]
"""l-diversity variant: at least l distinct values, entropy >= log l, or recursive (c,l)."""

TDistance = Literal["auto", "equal", "ordered"]
"""t-closeness ground distance: equal (categorical), ordered (numeric), auto (by dtype)."""

Method = Literal["optimal", "mondrian"]
"""Globally optimal full-domain generalization, or Mondrian local recoding."""

MetricName = Literal["loss", "precision", "height", "discernibility", "avg_class_size", "entropy"]
"""What the optimal search minimises."""

METRICS: tuple[MetricName, ...] = (
    "loss",
    "precision",
    "height",
    "discernibility",
    "avg_class_size",
    "entropy",
)
"""Loss (ARX's default), 1 - precision, the sum of levels, discernibility, C_avg and
non-uniform entropy."""
