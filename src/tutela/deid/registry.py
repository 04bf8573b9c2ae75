"""Which recognizers exist. Each recognizer module registers its class with `@register`;
`default_recognizers()` builds one of each (with the settings they take)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TypeVar

from tutela.deid.recognizer import Recognizer

R = TypeVar("R", bound=type[Recognizer])
_REGISTRY: dict[str, Callable[[], Recognizer]] = {}


def register(cls: R) -> R:
    """Class decorator: make a recognizer part of the default set (by its `name`)."""
    if cls.name in _REGISTRY:
        raise ValueError(f"recognizer '{cls.name}' registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _load_all() -> None:
    import tutela.deid.recognizers as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def default_recognizers(only: set[str] | None = None) -> list[Recognizer]:
    """One instance of every registered recognizer (or of those named in `only`).

    Raises:
        ValueError: `only` names a recognizer that does not exist.
    """
    _load_all()
    if only is not None and (unknown := only - set(_REGISTRY)):
        raise ValueError(f"unknown recognizer(s): {', '.join(sorted(unknown))}")
    return [
        factory() for name, factory in sorted(_REGISTRY.items()) if only is None or name in only
    ]
