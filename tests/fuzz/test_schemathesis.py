"""schemathesis against the app's own OpenAPI document, in process over WSGI.

Every operation in /api/v1/openapi.json gets generated requests, valid by the
schema and invalid ones, with a real bearer token; every response must not be
a 5xx and must match the document: a declared status code, the declared
content type, and a body valid against the declared schema.

(schemathesis' pytest loader cannot take a function-scoped app with this
pytest, so the operations' Hypothesis strategies are driven here directly.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import FUZZ_SETTINGS, TALLY

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
PER_OPERATION = 60


def _fuzz(operation, headers: dict) -> str:
    campaign = f"schemathesis {operation.label}"
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(FUZZ_SETTINGS, max_examples=PER_OPERATION)
    @given(case=cases)
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)
        TALLY[campaign] += 1

    run()
    return campaign


def test_api_matches_its_openapi_document(app, scene):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the OpenAPI document lost its operations"
    # The organizer's token: it may read, write and sign up, so most paths run deep.
    headers = {"Authorization": f"Bearer {scene.api_tokens['owner']}"}
    for operation in operations:
        campaign = _fuzz(operation, headers)
        assert TALLY[campaign] >= PER_OPERATION, campaign
