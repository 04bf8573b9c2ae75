"""What each operator module declares: its name, its options (a Pydantic model that forbids
unknown keys) and how to make it, with or without a key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from tutela.deid.operators.base import Operator


class Options(BaseModel):
    """An operator's options as written in a policy entry (besides `operator`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


OptionsT = TypeVar("OptionsT", bound=Options)


@dataclass(frozen=True)
class OperatorType(Generic[OptionsT]):
    """One operator kind. `keyed`: `create` is given the recipient's key (never None)."""

    name: str
    options: type[OptionsT]
    create: Callable[[OptionsT, bytes], Operator]
    keyed: bool = False

    def make(self, options: Any, key: bytes | None) -> Operator:
        return self.create(options, key or b"")


def unkeyed(factory: Callable[[OptionsT], Operator]) -> Callable[[OptionsT, bytes], Operator]:
    """Adapt a factory that takes no key."""
    return lambda options, _key: factory(options)
