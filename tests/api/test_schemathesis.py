"""Property-based tests of the API against its own OpenAPI document (Schemathesis, in process):
no 5xx, every response conforms to its documented status, content type and schema, invalid
input is refused, the key is not ignored, and every 4xx is problem+json. Run with an admin key
(reaches every operation) and a support key (mostly the 403 paths), with valid and invalid
generated input, on both backends.

`schemathesis.pytest.from_fixture` cannot be used: Schemathesis 4.32 sets `node._nodeid`,
which pytest 9 no longer has. Each operation's strategy is run under `@given` instead, one
subtest per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from api_support import PROBLEM, issue
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.transport import Response

from tutela import Settings, Tutela
from tutela.api import create_app
from tutela.testing import PiiCanary

EXAMPLES = 30

# `:import` takes JSON lines, documented as a string: send the generated string as it is.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


@pytest.fixture(params=["admin", "support"])
def api_schema(
    request: pytest.FixtureRequest, settings: Settings, tutela: Tutela, database_url: str | None
) -> Any:
    """The app's OpenAPI, every generated call carrying a real key of the role."""
    # A budget no run can exhaust: a 429 is valid but would hide every other answer.
    roomy = Settings.load(
        settings.home,
        environ={},
        database_url=database_url,
        api_rate_limit="1000000/minute",
        api_public_rate_limit="1000000/minute",
    )
    loaded = schemathesis.openapi.from_asgi("/openapi.json", create_app(roomy, vault=tutela))
    key = issue(tutela, str(request.param))
    loaded.config.update(headers={"Authorization": f"Bearer {key.text}"})
    return loaded


def _assert_problem_for_4xx(response: Response) -> None:
    if 400 <= response.status_code < 500:
        assert response.headers["content-type"] == [PROBLEM], response.headers
        body = response.json()
        assert body["type"].startswith("urn:tutela:problem:")
        assert body["status"] == response.status_code
        assert body["title"] and body["detail"]


def _has_inputs(operation: Any) -> bool:
    params = [p for p in operation.iter_parameters() if p.name != "Authorization"]
    return bool(params or operation.get_request_payload_content_types())


def _excluded_checks(operation: Any, backend: str) -> list[Any]:
    # The schema admits any purpose string and any object of values; the data map then
    # refuses most of them with 422 by design, so "valid per schema" does not mean "accepted".
    return [positive_data_acceptance]


def _fuzz(operation: Any, mode: GenerationMode, backend: str) -> None:
    excluded = _excluded_checks(operation, backend)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Case) -> None:
        _assert_problem_for_4xx(case.call_and_validate(excluded_checks=excluded))

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_its_contract(
    api_schema: Any, backend: str, mode: GenerationMode, subtests: pytest.Subtests
) -> None:
    """Schemathesis' default checks on each generated call, plus problem+json for 4xx; one
    subtest per operation (negative mode skips operations that take no input)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    if mode is GenerationMode.NEGATIVE:
        operations = [op for op in operations if _has_inputs(op)]
    for operation in operations:
        with subtests.test(msg=operation.label):
            _fuzz(operation, mode, backend)


def test_reading_a_stored_subject_keeps_its_contract(
    api_schema: Any, tutela: Tutela, canary: PiiCanary
) -> None:
    """Random ids and purposes only reach the 404/422 paths: with a stored subject and a real
    purpose the generated `fields` lists reach 200 (values as the role's masks leave them)."""
    sid = tutela.add(canary.customer())
    operation = api_schema["/v1/subjects/{subject_id}"]["GET"]
    seen: set[int] = set()

    @given(
        case=operation.as_strategy(
            path_parameters={"subject_id": sid}, query={"purpose": "order_fulfilment"}
        )
    )
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Case) -> None:
        response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
        _assert_problem_for_4xx(response)
        seen.add(response.status_code)

    run()
    assert 200 in seen
