"""`DirectRoute` serves its endpoint without FastAPI's handler, so it must refuse what that
handler alone would have done (dependencies, a declared body) rather than skip it."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Body, Depends, Request

from tutela.api.params import DirectRoute


async def _dependency() -> int:
    return 1


async def _with_dependency(request: Request, value: Annotated[int, Depends(_dependency)]) -> None:
    return None


async def _with_body(request: Request, values: Annotated[dict[str, Any], Body()]) -> None:
    return None


@pytest.mark.parametrize("endpoint", [_with_dependency, _with_body])
def test_a_direct_route_refuses_what_it_would_skip(endpoint: object) -> None:
    router = APIRouter()
    with pytest.raises(TypeError, match="/x: a DirectRoute takes no dependencies and no body"):
        router.add_api_route("/x", endpoint, methods=["POST"], route_class_override=DirectRoute)  # type: ignore[arg-type]
