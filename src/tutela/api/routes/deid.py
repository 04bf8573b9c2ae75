"""`/v1/deid:analyze` and `/v1/deid:redact`: find and de-identify personal data in a text
(`deid.use`).

The text is never logged or stored; a refusal is audited, a use is not (it reads nothing of
the vault). Offsets are Unicode code points of the text as sent. Keyed operators use the
server's key, `deid.key` in the home (`tutela deid-key new`); without it a policy asking for
them is refused with 422.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from tutela.api.auth import Caller, CallerDep, call
from tutela.api.routes import AUTHED, problems
from tutela.datamap.spec import Permission
from tutela.deid.custom import ENTITY_TYPE
from tutela.deid.findings import Finding
from tutela.deid.keys import home_key_source
from tutela.deid.policy import POLICY_DIR, Policy, load_named
from tutela.deid.text import Redaction
from tutela.deid.text import redact as redact_text

router = APIRouter(prefix="/v1", tags=["de-identification"])
# Analysis is CPU work of up to a second for a large text: never on the event loop.
in_thread = run_in_threadpool
DEFAULT_POLICY = "default"

EntityType = Annotated[str, StringConstraints(pattern=ENTITY_TYPE)]
PolicyName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AnalyzeIn(_In):
    text: str = Field(description="The text to look through (its size bounded by the body limit).")
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Report findings scoring at least this."
    )
    entities: list[EntityType] | None = Field(
        default=None, max_length=100, description="Report only these types."
    )


class RedactIn(_In):
    text: str = Field(description="The text to de-identify (its size bounded by the body limit).")
    policy: dict[str, Any] | PolicyName | None = Field(
        default=None,
        description="An inline policy (as the YAML policy, without `recognizers`), or the "
        f"name of a policy kept in the home (`{POLICY_DIR}/NAME.yaml`); default: the home's "
        f"`{DEFAULT_POLICY}` policy if there is one, else every type replaced by `<TYPE>`.",
    )


class FindingOut(BaseModel):
    entity_type: str
    start: int = Field(description="First code point of the finding in the text sent.")
    end: int = Field(description="Code point after the finding.")
    score: float
    recognizer: str


class AnalyzeOut(BaseModel):
    findings: list[FindingOut]


class RedactOut(BaseModel):
    text: str
    findings: list[FindingOut] = Field(description="Offsets are into the text sent.")


def _permitted(action: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency: the caller, once their role is known to hold `deid.use` (a refusal is
    audited as `action`). A dependency, so it answers before the body is validated."""

    async def check(caller: CallerDep) -> Caller:
        vault = caller.vault
        await call(vault, vault.require, caller.actor, Permission.DEID_USE, action)
        return caller

    return check


def _out(findings: Sequence[Finding]) -> list[FindingOut]:
    return [FindingOut(**f.as_dict()) for f in findings]


@router.post("/deid:analyze", response_model=AnalyzeOut, responses=problems(*AUTHED, 413))
async def analyze(
    body: AnalyzeIn, caller: Annotated[Caller, Depends(_permitted("deid.analyze"))]
) -> AnalyzeOut:
    """Find personal data: each finding's type, offsets, score and recognizer (never the
    value: the caller has the text)."""
    findings = await in_thread(_analyze, body.text, body.threshold, body.entities)
    return AnalyzeOut(findings=_out(findings))


def _analyze(text: str, threshold: float | None, entities: list[str] | None) -> list[Finding]:
    return Policy.default().analyzer(threshold=threshold, entities=entities).analyze(text)


@router.post("/deid:redact", response_model=RedactOut, responses=problems(*AUTHED, 413))
async def redact(
    body: RedactIn, caller: Annotated[Caller, Depends(_permitted("deid.redact"))]
) -> RedactOut:
    """De-identify a text by a policy; returns the text and what was found in it."""
    home = caller.vault.settings.home
    result = await in_thread(_redact, home, body.text, body.policy)
    return RedactOut(text=result.text, findings=_out(result.findings))


def _redact(home: Path, text: str, spec: dict[str, Any] | str | None) -> Redaction:
    keys = home_key_source(home)
    if isinstance(spec, dict):
        policy = Policy.from_mapping(spec, "request policy", keys=keys, trusted=False)
    elif isinstance(spec, str):
        policy = load_named(home, spec, keys=keys)
    elif (home / POLICY_DIR / f"{DEFAULT_POLICY}.yaml").is_file():
        policy = load_named(home, DEFAULT_POLICY, keys=keys)
    else:
        policy = Policy.default(keys=keys)
    return redact_text(text, policy)
