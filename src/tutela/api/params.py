"""Path, query and JSON body checked in one step, for the routes every integration calls most
(reading and creating a subject).

FastAPI resolves each declared parameter separately on every request (aliases, sequence checks,
one validation per field): about 35 µs for a read's subject id, purpose and field list, more
than decrypting the record, and about 20 µs for a create's body. A route that reads its
parameters with `parse` declares them to OpenAPI with `documented`, from the same model, so the
document and the checks cannot drift; `json_object` gives the errors FastAPI gives for a
declared `dict` body. Errors are FastAPI's own `RequestValidationError`, answered like any
other (422 problem+json with a JSON pointer per bad part). Such a route is a `DirectRoute`:
with nothing declared for FastAPI to solve, it skips FastAPI's per-request solving altogether.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, TypeVar, cast

from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

P = TypeVar("P", bound="Parameters")


class DirectRoute(APIRoute):
    """A route whose endpoint takes the request alone, checks its own parameters (`parse`,
    `json_object`) and returns its `Response`: documented like any other route, and served
    without FastAPI's request handler, which for every route, even one that declares nothing,
    parses the query string, headers and cookies and builds a spare response (about 40 µs a
    request, a tenth of a read)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        if self.dependant.dependencies or self.body_field is not None:
            # FastAPI would solve these; this route would silently skip them.
            raise TypeError(f"{self.path}: a DirectRoute takes no dependencies and no body")
        return cast(Callable[[Request], Coroutine[Any, Any, Response]], self.endpoint)


class Parameters(BaseModel):
    """A route's parameters: the names in `in_path` come from the path, the rest from the
    query string (the last value of a repeated name, as FastAPI takes it)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    in_path: ClassVar[frozenset[str]] = frozenset()


def parse(model: type[P], request: HTTPConnection) -> P:
    """The request's parameters as `model`.

    Raises:
        RequestValidationError: naming each bad parameter by where it is and its name (the
            values given are left out).
    """
    given = {**request.query_params, **request.path_params}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise RequestValidationError(
            [
                {
                    "type": error["type"],
                    "loc": (_where(model, error["loc"]), *error["loc"]),
                    "msg": error["msg"],
                    **({"ctx": error["ctx"]} if "ctx" in error else {}),
                }
                for error in exc.errors(include_url=False, include_input=False)
            ]
        ) from None


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object: a JSON media type (`application/json` or
    `application/*+json`) holding an object.

    Raises:
        RequestValidationError: no body, a body that is not JSON text (with the offset), JSON
            nested too deeply to decode, or JSON that is not an object; the body itself is
            never quoted.
        HTTPException: 400, a body that cannot be decoded at all (not UTF-8).
    """
    body = await request.body()
    if not body:
        raise _body_error("missing", "Field required")
    if _is_json(request.headers.get("content-type", "")):
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body", exc.pos),
                        "msg": "JSON decode error",
                        "ctx": {"error": exc.msg},
                    }
                ]
            ) from None
        except RecursionError:  # the decoder recurses once per level of nesting
            raise _body_error("json_invalid", "JSON nested too deeply") from None
        except ValueError:  # not text at all
            raise HTTPException(400, "There was an error parsing the body") from None
        if isinstance(value, dict):
            return value
    raise _body_error("dict_type", "Input should be a valid dictionary")


def _is_json(content_type: str) -> bool:
    maintype, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def _body_error(kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body",), "msg": message}])


def documented(model: type[Parameters]) -> list[dict[str, Any]]:
    """The OpenAPI parameter objects for `model`, as FastAPI writes declared parameters."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, declared in schema["properties"].items():
        # FastAPI leaves out a `null` default; the parameter is simply not required.
        field_schema = {k: v for k, v in declared.items() if k != "default" or v is not None}
        parameter: dict[str, Any] = {
            "name": name,
            "in": "path" if name in model.in_path else "query",
            "required": name in required,
            "schema": field_schema,
        }
        if "description" in field_schema:
            parameter["description"] = field_schema["description"]
        parameters.append(parameter)
    return parameters


def _where(model: type[Parameters], loc: tuple[int | str, ...]) -> str:
    return "path" if loc and loc[0] in model.in_path else "query"
