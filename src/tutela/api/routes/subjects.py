"""`/v1/subjects`: create, import, read, update, erase, find."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from tutela.api.auth import BEARER, CallerDep, call, current_caller
from tutela.api.params import DirectRoute, Parameters, documented, json_object, parse
from tutela.api.routes import AUTHED, problems
from tutela.api.schemas import (
    FindRequest,
    FindResult,
    ImportResult,
    SubjectCreated,
    SubjectUpdated,
    SubjectValues,
)
from tutela.datamap import Permission
from tutela.errors import ValidationFailed
from tutela.vault.importing import parse_json_lines

router = APIRouter(prefix="/v1", tags=["subjects"])
SubjectId = Annotated[str, Path(min_length=1, max_length=64, description="An opaque subject id.")]
_VALUES = "Field names (from the data map) to values."
_VALUES_EXAMPLE = {"email": "ada@example.com", "name": "Ada Lovelace"}
Values = Annotated[dict[str, Any], Body(description=_VALUES, examples=[_VALUES_EXAMPLE])]


async def create_subject(request: Request) -> Response:
    """Store a new subject's values, each sealed under the subject's own key."""
    caller = await current_caller(request)
    values = await json_object(request)
    vault, actor = caller.vault, caller.actor
    # Validated and sealed here (CPU only, no I/O), so the group's lock waits only for the
    # inserts.
    sealed = vault.prepare_add(values, actor=actor)
    created = SubjectCreated(id=await caller.call_together(vault.add, sealed, actor=actor))
    return _json(created, status=201)


router.add_api_route(
    "/subjects",
    create_subject,
    methods=["POST"],
    status_code=201,
    response_model=SubjectCreated,
    responses=problems(*AUTHED, 413),
    # Read by `params.json_object` (see `params` for why), so declared here.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": True,
                        "title": "Values",
                        "description": _VALUES,
                        "examples": [_VALUES_EXAMPLE],
                    }
                }
            },
        },
        "security": BEARER,
    },
    route_class_override=DirectRoute,
)


@router.post(
    "/subjects:import",
    response_model=ImportResult,
    responses=problems(*AUTHED, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One JSON object per line; all rows are stored or none.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
async def import_subjects(request: Request, caller: CallerDep) -> ImportResult:
    """Bulk create from JSON lines in one transaction; a bad row names its line and field."""
    vault, actor = caller.vault, caller.actor
    await run_in_threadpool(vault.require, actor, Permission.SUBJECTS_WRITE, "subject.add")
    rows = parse_json_lines(await request.body())
    ids = await run_in_threadpool(vault.add_many, rows, actor=actor)
    return ImportResult(stored=len(ids), ids=ids)


class ReadParameters(Parameters):
    """`GET /v1/subjects/{subject_id}`: whose values, for which purpose, which fields."""

    in_path = frozenset({"subject_id"})
    subject_id: str = Field(min_length=1, max_length=64, description="An opaque subject id.")
    purpose: str = Field(min_length=1, max_length=63)
    fields: str | None = Field(
        None,
        max_length=2000,
        description="Comma-separated field names (all the purpose's fields if absent).",
    )

    @field_validator("fields")
    @classmethod
    def _names_something(cls, value: str | None) -> str | None:
        # `fields=` or `fields=a,,b` is a mistake, never a request for every field.
        if value is not None and not all(part.strip() for part in value.split(",")):
            raise ValueError("must list field names separated by commas, none of them empty")
        return value


async def read_subject(request: Request) -> Response:
    """A subject's values for a purpose, masked as the key's role requires (audited)."""
    caller = await current_caller(request)
    query = parse(ReadParameters, request)
    names = [f.strip() for f in query.fields.split(",") if f.strip()] if query.fields else None
    values = await caller.read_together(query.subject_id, names, purpose=query.purpose)
    return _json(SubjectValues(id=query.subject_id, purpose=query.purpose, values=values))


router.add_api_route(
    "/subjects/{subject_id}",
    read_subject,
    methods=["GET"],
    response_model=SubjectValues,
    responses=problems(*AUTHED, 404),
    # Read by `params.parse` (see there why), so declared here rather than in the signature.
    openapi_extra={"parameters": documented(ReadParameters), "security": BEARER},
    route_class_override=DirectRoute,
)


@router.patch(
    "/subjects/{subject_id}", response_model=SubjectUpdated, responses=problems(*AUTHED, 404, 413)
)
async def update_subject(
    subject_id: SubjectId, values: Values, caller: CallerDep
) -> SubjectUpdated:
    """Replace some values (rectification); `null` removes a value."""
    vault, actor = caller.vault, caller.actor
    await caller.call_together(vault.update, subject_id, values, actor=actor)
    return SubjectUpdated(id=subject_id, updated=sorted(values))


@router.delete(
    "/subjects/{subject_id}",
    status_code=204,
    response_class=Response,
    responses=problems(*AUTHED, 404),
)
async def erase_subject(subject_id: SubjectId, caller: CallerDep) -> Response:
    """Erase: the subject's key and values are destroyed; cannot be undone."""
    vault, actor = caller.vault, caller.actor
    await call(vault, vault.erase, subject_id, actor=actor)
    return Response(status_code=204)


@router.post("/subjects:find", response_model=FindResult, responses=problems(*AUTHED, 413))
async def find_subjects(query: FindRequest, caller: CallerDep) -> FindResult:
    """Ids of subjects whose searchable field equals the value; nothing is decrypted."""
    vault, actor = caller.vault, caller.actor
    try:
        ids = await caller.call_together(
            vault.find,
            query.field,
            query.value,
            purpose=query.purpose,
            role=actor.role,
            actor_id=actor.id,
        )
    except ValidationFailed as exc:  # the value is the body's `value`, whatever its field
        raise ValidationFailed("value", exc.reason) from None
    return FindResult(field=query.field, ids=ids)


def _json(body: BaseModel, status: int = 200) -> Response:
    """`body` serialized here, for the two routes every integration calls most: given the model
    itself, FastAPI would validate it again against `response_model` before serializing it."""
    return Response(body.model_dump_json(), status_code=status, media_type="application/json")
