"""The privacy center's pages where customers change their data: correct a value, and
their choices (consent, or objection, per purpose). Included in `privacy_center.router`, under
`/privacy`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from tutela.datamap import LegalBasis
from tutela.datamap.spec import FieldSpec, FieldType
from tutela.errors import FieldNotInDataMap, RequestStateInvalid, ValidationFailed
from tutela.rights.portal import Session
from tutela.web.pages import redirect, tutela_of
from tutela.web.privacy_common import (
    PREFIX,
    current_session,
    error_page,
    flash_of,
    portal_of,
    render,
    run,
    signed_in_form,
    text,
    to_sign_in,
)
from tutela.web.privacy_words import (
    basis_text,
    field_label,
    purpose_label,
    value_text,
)

router = APIRouter()

INPUTS: dict[FieldType, tuple[str, str]] = {  # field type: (input type, autocomplete)
    FieldType.EMAIL: ("email", "email"),
    FieldType.PHONE: ("tel", "tel"),
    FieldType.NAME: ("text", "name"),
    FieldType.ADDRESS: ("text", "street-address"),
    FieldType.DATE: ("date", "off"),
    FieldType.INTEGER: ("number", "off"),
}

# -- correct ---------------------------------------------------------------------------------


@router.get("/correct")
async def correct_page(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    held = {f.name: f.value for f in await run(portal_of(request).my_data, session)}
    name = request.query_params.get("field", "")
    if not name:
        fields = [
            {"name": n, "label": field_label(n), "value": value_text(v)} for n, v in held.items()
        ]
        return render(
            request,
            "privacy_correct_list.html",
            title="Correct my data",
            session=session,
            fields=fields,
        )
    spec = tutela_of(request).datamap.fields.get(name)
    if spec is None:
        return error_page(
            request,
            404,
            "No such field",
            "We do not keep a field by that name.",
            session=session,
        )
    return _correct_form(request, session, name, spec, held.get(name))


def _correct_form(
    request: Request,
    session: Session,
    name: str,
    spec: FieldSpec,
    current: Any,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    kind, autocomplete = INPUTS.get(spec.type, ("text", "off"))
    if spec.choices:
        kind = "checkboxes" if spec.multiple else "select"
    elif spec.type is FieldType.BOOLEAN:
        kind = "select"
    chosen = current if isinstance(current, list | tuple) else [current]
    return render(
        request,
        "privacy_correct.html",
        title=f"Correct: {field_label(name)}",
        session=session,
        field=name,
        label=field_label(name),
        description=spec.description,
        kind=kind,
        autocomplete=autocomplete,
        choices=spec.choices or (("true", "false") if spec.type is FieldType.BOOLEAN else ()),
        selected=[
            str(c).lower() if isinstance(c, bool) else str(c) for c in chosen if c is not None
        ],
        current="" if current is None or isinstance(current, list | tuple) else str(current),
        error=error,
        status_code=status_code,
    )


@router.post("/correct")
async def correct(request: Request) -> Response:
    posted = await signed_in_form(request)
    if isinstance(posted, Response):
        return posted
    session, form = posted
    name = text(form, "field")
    spec = tutela_of(request).datamap.fields.get(name)
    if spec is None:
        return error_page(
            request,
            422,
            "No such field",
            "We do not keep a field by that name; nothing was changed.",
            session=session,
        )
    value: Any = (
        [v for v in form.getlist("value") if isinstance(v, str)]
        if spec.multiple
        else text(form, "value")
    )
    try:
        await run(portal_of(request).correct, session, {name: value})
    except (ValidationFailed, FieldNotInDataMap) as exc:
        reason = exc.reason if isinstance(exc, ValidationFailed) else "cannot be corrected here"
        return _correct_form(
            request,
            session,
            name,
            spec,
            value,
            error=f"{field_label(name)} {reason}. Nothing was changed.",
            status_code=422,
        )
    except RequestStateInvalid:
        return error_page(
            request,
            409,
            "Nothing to correct",
            "We hold no data under the email address you signed in with, so there is nothing "
            "to correct.",
            session=session,
        )
    return redirect(f"{PREFIX}/me?done=corrected")


# -- choices ---------------------------------------------------------------------------------


@router.get("/consents")
async def consents_page(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return to_sign_in(request)
    choices = await run(portal_of(request).choices, session)
    rows = [
        {
            "purpose": c.purpose,
            "label": purpose_label(c.purpose),
            "description": c.description,
            "active": c.active,
            "consent": c.basis is LegalBasis.CONSENT,
            "basis": basis_text(c.basis),
        }
        for c in choices
    ]
    return render(
        request,
        "privacy_consents.html",
        title="My choices",
        session=session,
        choices=rows,
        flash=flash_of(request),
    )


@router.post("/consents")
async def consents(request: Request) -> Response:
    posted = await signed_in_form(request)
    if isinstance(posted, Response):
        return posted
    session, form = posted
    center = portal_of(request)
    on = {v for v in form.getlist("purpose") if isinstance(v, str)}
    # Only the purposes the page lists, and only those whose state changes.
    changes = {
        c.purpose: c.purpose in on
        for c in await run(center.choices, session)
        if (c.purpose in on) != c.active
    }
    if changes:
        await run(center.choose, session, changes)
    return redirect(f"{PREFIX}/consents?done=choices")
